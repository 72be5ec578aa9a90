"""Naive twins of ``cnnref/linear.py``: the dense layer a = X W + b and its gradients, by index
sums."""

from __future__ import annotations

from .arguments import Array, array, copied_array, result_dtype, sizes_agree, zeros


def _inputs_and_weights(x, w) -> tuple[Array, Array]:
    """Copies of x (N, D) and w (D, M), refused unless they agree on D."""
    x = copied_array("x", x, 2, "(N, D)")
    w = copied_array("w", w, 2, "(D, M)")
    sizes_agree("D (features)", x_columns=x.shape[1], w_rows=w.shape[0])
    return x, w


def dense(x: Array, w: Array, b: Array) -> Array:
    """a_nm = b_m + Σ_d x_nd W_dm (the notes' a = Wᵀx + b for each sample).

    Shapes: x (N, D), w (D, M), b (M,) → a (N, M).
    """
    x, w = _inputs_and_weights(x, w)
    b = copied_array("b", b, 1, "(M,)")
    sizes_agree("M (outputs)", w_columns=w.shape[1], b_length=b.shape[0])
    (n_samples, n_features), n_out = x.shape, w.shape[1]
    dtype = result_dtype(x, w, b)
    x, w, b = x.tolist(), w.tolist(), b.tolist()
    a = zeros((n_samples, n_out), dtype)
    for n in range(n_samples):
        for m in range(n_out):
            total = b[m]
            for d in range(n_features):
                total += x[n][d] * w[d][m]
            a[n][m] = total
    return array(a, (n_samples, n_out), dtype)


def dense_backward(delta: Array, x: Array, w: Array) -> tuple[Array, Array, Array]:
    """Gradients of a = X W + b given δ = ∂J/∂a, each by its own index sum:

    dx_nd = Σ_m δ_nm W_dm  (N, D),   dW_dm = Σ_n x_nd δ_nm  (D, M),   db_m = Σ_n δ_nm  (M,).
    """
    x, w = _inputs_and_weights(x, w)
    delta = copied_array("delta", delta, 2, "(N, M)")
    sizes_agree("N (samples)", delta_rows=delta.shape[0], x_rows=x.shape[0])
    sizes_agree("M (outputs)", delta_columns=delta.shape[1], w_columns=w.shape[1])
    (n_samples, n_features), n_out = x.shape, w.shape[1]
    dtype = result_dtype(delta, x, w)
    delta, x, w = delta.tolist(), x.tolist(), w.tolist()
    dx = zeros((n_samples, n_features), dtype)
    dw = zeros((n_features, n_out), dtype)
    db = zeros((n_out,), dtype)
    for n in range(n_samples):
        for d in range(n_features):
            for m in range(n_out):
                dx[n][d] += delta[n][m] * w[d][m]
    for d in range(n_features):
        for m in range(n_out):
            for n in range(n_samples):
                dw[d][m] += x[n][d] * delta[n][m]
    for m in range(n_out):
        for n in range(n_samples):
            db[m] += delta[n][m]
    return (
        array(dx, (n_samples, n_features), dtype),
        array(dw, (n_features, n_out), dtype),
        array(db, (n_out,), dtype),
    )
