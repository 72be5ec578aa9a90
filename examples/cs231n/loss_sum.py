"""A buggy ``cs231n`` submission: the softmax loss and its gradient are summed over the batch, not
averaged.

base: correct
"""

EDITS = [
    ("softmax_loss", "log_probs[np.arange(n), y].mean()", "log_probs[np.arange(n), y].sum()"),
    ("softmax_loss", "return loss, dx / n", "return loss, dx"),
]
