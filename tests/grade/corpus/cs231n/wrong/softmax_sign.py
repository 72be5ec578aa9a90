"""softmax_loss: dx = onehot − probs, the ascent sign.

base: loops
expect: softmax_loss = NEGATED_DESCENT
"""
import numpy as np

def softmax_loss(x, y):
    shifted_logits = x - np.max(x, axis=1, keepdims=True)
    Z = np.sum(np.exp(shifted_logits), axis=1, keepdims=True)
    log_probs = shifted_logits - np.log(Z)
    probs = np.exp(log_probs)
    N = x.shape[0]
    loss = -np.sum(log_probs[np.arange(N), y]) / N
    dx = -probs
    dx[np.arange(N), y] += 1
    dx /= N
    return loss, dx
