"""A buggy ``cs231n`` submission: softmax_loss returns the gradient of the log-likelihood (T − Y)
/ N instead of the loss's gradient (Y − T) / N.

base: correct
"""

EDITS = [
    ("softmax_loss", "dx = np.exp(log_probs)", "dx = -np.exp(log_probs)"),
    ("softmax_loss", "dx[np.arange(n), y] -= 1", "dx[np.arange(n), y] += 1"),
]
