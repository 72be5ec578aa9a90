"""Naive twins of ``cnnref/gradients.py``: the notes' closed-form gradients, each by its own
index sum — the output and hidden deltas, ∂J/∂W and ∂J/∂b of a layer, the two-layer network's
grad_V … grad_b, and the notes' first-layer gradients of a network with two hidden layers.
"""

from __future__ import annotations

from .activations import activation_derivative
from .arguments import (
    ACTIVATIONS,
    Array,
    array,
    copied_array,
    one_of,
    result_dtype,
    sizes_agree,
    targets_like,
    zeros,
)


def output_delta(t: Array, y: Array) -> Array:
    """δ^(L)_nk = tₙₖ − yₙₖ, the derivative of J with respect to the softmax input.  (N, K)"""
    y = copied_array("y", y, 2, "(N, K)")
    t = targets_like("t", t, y)
    shape, dtype, t, y = y.shape, y.dtype, t.tolist(), y.tolist()
    delta = zeros(shape, dtype)
    for n in range(shape[0]):
        for k in range(shape[1]):
            delta[n][k] = t[n][k] - y[n][k]
    return array(delta, shape, dtype)


def hidden_delta(delta_next: Array, w_next: Array, z: Array, activation: str) -> Array:
    """δ^(l)_nm = (Σ_j δ^(l+1)_nj W^(l+1)_mj) z^(l)′_nm, one step of the delta recursion.

    Shapes: δ^(l+1) (N, M⁽ˡ⁺¹⁾), W^(l+1) (M⁽ˡ⁾, M⁽ˡ⁺¹⁾), Z^(l) (N, M⁽ˡ⁾) → δ^(l) (N, M⁽ˡ⁾).
    """
    one_of("activation", activation, ACTIVATIONS)
    delta_next = copied_array("delta", delta_next, 2, "(N, M_next)")
    w_next = copied_array("w", w_next, 2, "(M, M_next)")
    z = copied_array("z", z, 2, "(N, M)")
    sizes_agree("N (samples)", delta_rows=delta_next.shape[0], z_rows=z.shape[0])
    sizes_agree("M (units of this layer)", w_rows=w_next.shape[0], z_columns=z.shape[1])
    sizes_agree(
        "M_next (units of the next layer)",
        delta_columns=delta_next.shape[1],
        w_columns=w_next.shape[1],
    )
    z_prime = activation_derivative(z, activation).tolist()
    (n_samples, n_units), n_next = z.shape, w_next.shape[1]
    dtype = result_dtype(delta_next, w_next, z)
    delta_next, w_next = delta_next.tolist(), w_next.tolist()
    delta = zeros((n_samples, n_units), dtype)
    for n in range(n_samples):
        for m in range(n_units):
            back = 0.0
            for j in range(n_next):
                back += delta_next[n][j] * w_next[m][j]
            delta[n][m] = back * z_prime[n][m]
    return array(delta, (n_samples, n_units), dtype)


def weight_gradient(z_prev: Array, delta: Array) -> Array:
    """∂J/∂W^(l)_ij = Σₙ z^(l−1)_ni δ^(l)_nj.

    Shapes: Z^(l−1) (N, M⁽ˡ⁻¹⁾), δ^(l) (N, M⁽ˡ⁾) → (M⁽ˡ⁻¹⁾, M⁽ˡ⁾).
    """
    z_prev = copied_array("z", z_prev, 2, "(N, M_prev)")
    delta = copied_array("delta", delta, 2, "(N, M)")
    sizes_agree("N (samples)", z_rows=z_prev.shape[0], delta_rows=delta.shape[0])
    (n_samples, n_in), n_out = z_prev.shape, delta.shape[1]
    dtype = result_dtype(z_prev, delta)
    z_prev, delta = z_prev.tolist(), delta.tolist()
    grad = zeros((n_in, n_out), dtype)
    for i in range(n_in):
        for j in range(n_out):
            for n in range(n_samples):
                grad[i][j] += z_prev[n][i] * delta[n][j]
    return array(grad, (n_in, n_out), dtype)


def bias_gradient(delta: Array) -> Array:
    """∂J/∂b^(l)_m = Σₙ δ^(l)_nm.  Shapes: δ^(l) (N, M) → (M,)."""
    delta = copied_array("delta", delta, 2, "(N, M)")
    (n_samples, n_units), dtype, delta = delta.shape, delta.dtype, delta.tolist()
    grad = zeros((n_units,), dtype)
    for m in range(n_units):
        for n in range(n_samples):
            grad[m] += delta[n][m]
    return array(grad, (n_units,), dtype)


def _network_arrays(t, y, per_sample: dict, parameters: dict) -> tuple:
    """Checks shared by grad_V … grad_b1_three_layer: y (N, K), t like y, every array 2-D, and the
    per-sample arrays (x, z, …) with the same N rows as y. Returns t, y and the named arrays."""
    y = copied_array("y", y, 2, "(N, K)")
    t = targets_like("t", t, y)
    arrays = {
        name: copied_array(name, value, 2) for name, value in {**per_sample, **parameters}.items()
    }
    sizes_agree(
        "N (samples)",
        y_rows=y.shape[0],
        **{f"{name}_rows": arrays[name].shape[0] for name in per_sample},
    )
    return t, y, arrays


def grad_V(z: Array, t: Array, y: Array) -> Array:
    """∂J/∂V_mk = Σₙ (tₙₖ − yₙₖ) z_nm.  Shapes: z (N, M), t and y (N, K) → (M, K)."""
    t, y, arrays = _network_arrays(t, y, {"z": z}, {})
    z = arrays["z"]
    (n_samples, n_hidden), n_classes = z.shape, y.shape[1]
    dtype = result_dtype(z, y)
    z, t, y = z.tolist(), t.tolist(), y.tolist()
    grad = zeros((n_hidden, n_classes), dtype)
    for m in range(n_hidden):
        for k in range(n_classes):
            for n in range(n_samples):
                grad[m][k] += (t[n][k] - y[n][k]) * z[n][m]
    return array(grad, (n_hidden, n_classes), dtype)


def grad_c(t: Array, y: Array) -> Array:
    """∂J/∂c_k = Σₙ (tₙₖ − yₙₖ).  Shapes: t and y (N, K) → (K,)."""
    t, y, _ = _network_arrays(t, y, {}, {})
    (n_samples, n_classes), dtype, t, y = y.shape, y.dtype, t.tolist(), y.tolist()
    grad = zeros((n_classes,), dtype)
    for k in range(n_classes):
        for n in range(n_samples):
            grad[k] += t[n][k] - y[n][k]
    return array(grad, (n_classes,), dtype)


def grad_W(x: Array, z: Array, v: Array, t: Array, y: Array, activation: str) -> Array:
    """∂J/∂W_dm = Σₖ Σₙ (tₙₖ − yₙₖ) V_mk z′_nm x_nd, z′ the activation derivative in terms of z.

    Shapes: x (N, D), z (N, M), v (M, K), t and y (N, K) → (D, M).
    """
    one_of("activation", activation, ACTIVATIONS)
    t, y, arrays = _network_arrays(t, y, {"x": x, "z": z}, {"v": v})
    x, z, v = arrays["x"], arrays["z"], arrays["v"]
    sizes_agree("M (hidden units)", z_columns=z.shape[1], v_rows=v.shape[0])
    sizes_agree("K (classes)", v_columns=v.shape[1], y_columns=y.shape[1])
    z_prime = activation_derivative(z, activation).tolist()
    (n_samples, n_features), n_hidden, n_classes = x.shape, z.shape[1], y.shape[1]
    dtype = result_dtype(x, z, v, y)
    x, v, t, y = x.tolist(), v.tolist(), t.tolist(), y.tolist()
    grad = zeros((n_features, n_hidden), dtype)
    for d in range(n_features):
        for m in range(n_hidden):
            for k in range(n_classes):
                for n in range(n_samples):
                    grad[d][m] += (t[n][k] - y[n][k]) * v[m][k] * z_prime[n][m] * x[n][d]
    return array(grad, (n_features, n_hidden), dtype)


def grad_b(z: Array, v: Array, t: Array, y: Array, activation: str) -> Array:
    """∂J/∂b_m = Σₖ Σₙ (tₙₖ − yₙₖ) V_mk z′_nm.  Shapes: z (N, M), v (M, K), t, y (N, K) → (M,)."""
    one_of("activation", activation, ACTIVATIONS)
    t, y, arrays = _network_arrays(t, y, {"z": z}, {"v": v})
    z, v = arrays["z"], arrays["v"]
    sizes_agree("M (hidden units)", z_columns=z.shape[1], v_rows=v.shape[0])
    sizes_agree("K (classes)", v_columns=v.shape[1], y_columns=y.shape[1])
    z_prime = activation_derivative(z, activation).tolist()
    (n_samples, n_hidden), n_classes = z.shape, y.shape[1]
    dtype = result_dtype(z, v, y)
    v, t, y = v.tolist(), t.tolist(), y.tolist()
    grad = zeros((n_hidden,), dtype)
    for m in range(n_hidden):
        for k in range(n_classes):
            for n in range(n_samples):
                grad[m] += (t[n][k] - y[n][k]) * v[m][k] * z_prime[n][m]
    return array(grad, (n_hidden,), dtype)


def _three_layer_arrays(per_sample: dict, w2, w3, t, y, activation: str) -> tuple:
    one_of("activation", activation, ACTIVATIONS)
    t, y, arrays = _network_arrays(t, y, per_sample, {"w2": w2, "w3": w3})
    z1, z2, w2, w3 = arrays["z1"], arrays["z2"], arrays["w2"], arrays["w3"]
    sizes_agree("M⁽¹⁾ (first hidden layer)", z1_columns=z1.shape[1], w2_rows=w2.shape[0])
    sizes_agree(
        "M⁽²⁾ (second hidden layer)",
        z2_columns=z2.shape[1],
        w2_columns=w2.shape[1],
        w3_rows=w3.shape[0],
    )
    sizes_agree("K (classes)", w3_columns=w3.shape[1], y_columns=y.shape[1])
    return t, y, arrays


def _first_layer_term(t, y, w3, z2_prime, w2, z1_prime, n, k, m2, m1):
    """One term of both first-layer sums:

    (tₙₖ − yₙₖ) W⁽³⁾_m⁽²⁾k z⁽²⁾′_nm⁽²⁾ W⁽²⁾_m⁽¹⁾m⁽²⁾ z⁽¹⁾′_nm⁽¹⁾."""
    return (t[n][k] - y[n][k]) * w3[m2][k] * z2_prime[n][m2] * w2[m1][m2] * z1_prime[n][m1]


def grad_W1_three_layer(
    x: Array, z1: Array, z2: Array, w2: Array, w3: Array, t: Array, y: Array, activation: str
) -> Array:
    """The notes' first-layer gradient of a network with two hidden layers, with its sum over m⁽²⁾:

        ∂J/∂W⁽¹⁾_dm⁽¹⁾ =
            Σ_m⁽²⁾ Σₖ Σₙ (tₙₖ − yₙₖ) W⁽³⁾_m⁽²⁾k z⁽²⁾′_nm⁽²⁾ W⁽²⁾_m⁽¹⁾m⁽²⁾ z⁽¹⁾′_nm⁽¹⁾ x_nd

    Shapes: x (N, D), z1 (N, M⁽¹⁾), z2 (N, M⁽²⁾), w2 (M⁽¹⁾, M⁽²⁾), w3 (M⁽²⁾, K), t and y (N, K)
    → (D, M⁽¹⁾).
    """
    t, y, arrays = _three_layer_arrays({"x": x, "z1": z1, "z2": z2}, w2, w3, t, y, activation)
    x, z1, z2, w2, w3 = (arrays[name] for name in ("x", "z1", "z2", "w2", "w3"))
    z1_prime = activation_derivative(z1, activation).tolist()
    z2_prime = activation_derivative(z2, activation).tolist()
    (n_samples, n_features), n_first, n_second = x.shape, z1.shape[1], z2.shape[1]
    n_classes, dtype = y.shape[1], result_dtype(x, z1, z2, w2, w3, y)
    x, w2, w3, t, y = x.tolist(), w2.tolist(), w3.tolist(), t.tolist(), y.tolist()
    grad = zeros((n_features, n_first), dtype)
    for d in range(n_features):
        for m1 in range(n_first):
            for m2 in range(n_second):
                for k in range(n_classes):
                    for n in range(n_samples):
                        term = _first_layer_term(t, y, w3, z2_prime, w2, z1_prime, n, k, m2, m1)
                        grad[d][m1] += term * x[n][d]
    return array(grad, (n_features, n_first), dtype)


def grad_b1_three_layer(
    z1: Array, z2: Array, w2: Array, w3: Array, t: Array, y: Array, activation: str
) -> Array:
    """The first-layer bias gradient of a network with two hidden layers:

        ∂J/∂b⁽¹⁾_m⁽¹⁾ = Σ_m⁽²⁾ Σₖ Σₙ (tₙₖ − yₙₖ) W⁽³⁾_m⁽²⁾k z⁽²⁾′_nm⁽²⁾ W⁽²⁾_m⁽¹⁾m⁽²⁾ z⁽¹⁾′_nm⁽¹⁾

    Shapes: z1 (N, M⁽¹⁾), z2 (N, M⁽²⁾), w2 (M⁽¹⁾, M⁽²⁾), w3 (M⁽²⁾, K), t and y (N, K) → (M⁽¹⁾,).
    """
    t, y, arrays = _three_layer_arrays({"z1": z1, "z2": z2}, w2, w3, t, y, activation)
    z1, z2, w2, w3 = (arrays[name] for name in ("z1", "z2", "w2", "w3"))
    z1_prime = activation_derivative(z1, activation).tolist()
    z2_prime = activation_derivative(z2, activation).tolist()
    (n_samples, n_first), n_second = z1.shape, z2.shape[1]
    n_classes, dtype = y.shape[1], result_dtype(z1, z2, w2, w3, y)
    w2, w3, t, y = w2.tolist(), w3.tolist(), t.tolist(), y.tolist()
    grad = zeros((n_first,), dtype)
    for m1 in range(n_first):
        for m2 in range(n_second):
            for k in range(n_classes):
                for n in range(n_samples):
                    grad[m1] += _first_layer_term(t, y, w3, z2_prime, w2, z1_prime, n, k, m2, m1)
    return array(grad, (n_first,), dtype)
