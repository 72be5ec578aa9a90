"""softmax_loss: exp of the raw scores (overflows on large scores).

base: loops
expect: softmax_loss = SOFTMAX_OVERFLOW
"""
import numpy as np

def softmax_loss(x, y):
    probs = np.exp(x)
    probs /= np.sum(probs, axis=1, keepdims=True)
    N = x.shape[0]
    loss = -np.sum(np.log(probs[np.arange(N), y])) / N
    dx = probs.copy()
    dx[np.arange(N), y] -= 1
    dx /= N
    return loss, dx
