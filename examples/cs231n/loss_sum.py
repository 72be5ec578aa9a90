"""A buggy ``cs231n`` submission: the softmax loss and its gradient are summed over the batch, not
averaged.

base: correct
"""

import numpy as np


def softmax_loss(x, y):
    shifted = x - x.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    n = x.shape[0]
    loss = -log_probs[np.arange(n), y].sum()
    dx = np.exp(log_probs)
    dx[np.arange(n), y] -= 1
    return loss, dx
