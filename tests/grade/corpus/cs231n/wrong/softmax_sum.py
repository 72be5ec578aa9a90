"""softmax_loss: loss and dx summed over the batch.

base: im2col
expect: softmax_loss = SUM_NOT_MEAN
"""
import numpy as np

def softmax_loss(x, y):
    num_train = x.shape[0]
    scores = x - np.max(x, axis=1).reshape(-1, 1)
    exp_scores = np.exp(scores)
    probs = exp_scores / np.sum(exp_scores, axis=1).reshape(-1, 1)
    loss = np.sum(-np.log(probs[range(num_train), y]))
    dscores = probs
    dscores[range(num_train), y] -= 1
    return loss, dscores
