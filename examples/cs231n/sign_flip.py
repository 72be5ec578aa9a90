"""A buggy ``cs231n`` submission: softmax_loss returns the gradient of the log-likelihood (T − Y)
/ N
instead of the loss's gradient (Y − T) / N.

base: correct
"""

import numpy as np


def softmax_loss(x, y):
    shifted = x - x.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    n = x.shape[0]
    loss = -log_probs[np.arange(n), y].mean()
    dx = -np.exp(log_probs)
    dx[np.arange(n), y] += 1
    return loss, dx / n
