"""The notes' closed-form gradients, in the notes' convention: gradient *ascent* on
J = Σₙ Σₖ tₙₖ log yₙₖ, so every function here returns ∇J (descent on cross-entropy uses −∇J).
Each function checks its arguments and states its formula; the arithmetic is compiled
(cnnref/kernels/gradients.pyx: typed loops, the products by BLAS through SciPy's cython_blas,
the ⊙ Z′ of the hidden delta fused into one pass after its product).

The network of the notes: a hidden layer z = σ(X W + b), then y = softmax(Z V + c).
Shapes: x (N, D), W (D, M), b (M,), z (N, M), V (M, K), c (K,), t and y (N, K).
"""

from __future__ import annotations

import numpy as np

from .activations import DERIVATIVE_CODES
from .kernels import gradients as _gradients
from .threads import one_blas_thread
from .validation import (
    ACTIVATIONS,
    choice,
    distribution_rows,
    float_array,
    same_dtype,
    target_array,
)


def output_delta(t: np.ndarray, y: np.ndarray) -> np.ndarray:
    """δ^(L) = T − Y, the derivative of J with respect to the softmax's input a^(L).  (N, K)

    The targets' rows must each sum to 1 (one-hot labels or probability distributions): the
    general derivative is ∂J/∂aₙₖ = tₙₖ − yₙₖ Σⱼ tₙⱼ, which is T − Y only then, so other targets
    are rejected with a ValueError rather than given a wrong gradient. Every gradient below that
    starts from T − Y (grad_V, grad_c, grad_W, grad_b, delta_recursion, backprop) inherits this.

    Twin :func:`verify.naive.gradients.output_delta`, :doc:`/derivations/softmax`.
    """
    y = float_array("y", y, 2, "(N, K)")
    t = distribution_rows("t", target_array("t", t, y))
    delta = np.empty_like(y)
    _gradients.output_delta(t, y, delta)
    return delta


def hidden_delta(
    delta_next: np.ndarray, w_next: np.ndarray, z: np.ndarray, activation: str
) -> np.ndarray:
    """δ^(l) = (δ^(l+1) W^(l+1)ᵀ) ⊙ Z^(l)′, one step of the delta recursion.

    Shapes: δ^(l+1) (N, M⁽ˡ⁺¹⁾), W^(l+1) (M⁽ˡ⁾, M⁽ˡ⁺¹⁾), Z^(l) (N, M⁽ˡ⁾) → δ^(l) (N, M⁽ˡ⁾).

    Twin :func:`verify.naive.gradients.hidden_delta`, :doc:`/derivations/delta-recursion`.
    """
    return hidden_delta_named(delta_next, w_next, z, activation, ("delta_next", "w_next", "z"))


def hidden_delta_named(
    delta_next: np.ndarray,
    w_next: np.ndarray,
    z: np.ndarray,
    activation: str,
    names: tuple[str, str, str],
) -> np.ndarray:
    """:func:`hidden_delta` with the caller's names for its three arrays in the error messages."""
    delta_name, w_name, z_name = names
    choice("activation", activation, ACTIVATIONS)
    delta_next = float_array(delta_name, delta_next, 2, "(N, M_next)")
    w_next = float_array(w_name, w_next, 2, "(M, M_next)")
    z = float_array(z_name, z, 2, "(N, M)")
    same_dtype(**{delta_name: delta_next, w_name: w_next, z_name: z})
    if z.shape[0] != delta_next.shape[0]:
        raise ValueError(
            f"{z_name} {z.shape} must have the same N rows as {delta_name} {delta_next.shape}"
        )
    expected = (z.shape[1], delta_next.shape[1])
    if w_next.shape != expected:
        raise ValueError(
            f"{w_name} must have shape (M, M_next) = {expected} to chain {z_name} {z.shape} "
            f"(N, M) to {delta_name} {delta_next.shape} (N, M_next), got shape {w_next.shape}"
        )
    delta = np.empty_like(z)
    with one_blas_thread():
        _gradients.hidden_delta(delta_next, w_next, z, delta, DERIVATIVE_CODES[activation])
    return delta


def weight_gradient(z_prev: np.ndarray, delta: np.ndarray) -> np.ndarray:
    """∇_{W^(l)} J = Z^(l−1)ᵀ δ^(l).

    Shapes: Z^(l−1) (N, M⁽ˡ⁻¹⁾), δ^(l) (N, M⁽ˡ⁾) → (M⁽ˡ⁻¹⁾, M⁽ˡ⁾).

    Twin :func:`verify.naive.gradients.weight_gradient`, :doc:`/derivations/delta-recursion`.
    """
    return _weight_gradient(z_prev, delta, ("z_prev", "delta"))


def _weight_gradient(z_prev: np.ndarray, delta: np.ndarray, names: tuple[str, str]) -> np.ndarray:
    """:func:`weight_gradient` with the caller's names for its two arrays in the error messages."""
    z_name, delta_name = names
    z_prev = float_array(z_name, z_prev, 2, "(N, M_prev)")
    delta = float_array(delta_name, delta, 2, "(N, M)")
    same_dtype(**{z_name: z_prev, delta_name: delta})
    if z_prev.shape[0] != delta.shape[0]:
        raise ValueError(
            f"{z_name} {z_prev.shape} must have the same N rows as {delta_name} {delta.shape}"
        )
    gradient = np.empty((z_prev.shape[1], delta.shape[1]), dtype=delta.dtype)
    with one_blas_thread():
        _gradients.weight_gradient(z_prev, delta, gradient)
    return gradient


def bias_gradient(delta: np.ndarray) -> np.ndarray:
    """∇_{b^(l)} J = Σₙ δ^(l) = δ^(l)ᵀ 1_N.  Shapes: δ^(l) (N, M) → (M,).

    Twin :func:`verify.naive.gradients.bias_gradient`, :doc:`/derivations/delta-recursion`.
    """
    delta = float_array("delta", delta, 2, "(N, M)")
    gradient = np.empty(delta.shape[1], dtype=delta.dtype)
    _gradients.bias_gradient(delta, gradient)
    return gradient


def grad_V(z: np.ndarray, t: np.ndarray, y: np.ndarray) -> np.ndarray:
    """∇_V J = Zᵀ (T − Y), i.e. ∂J/∂V_mk = Σₙ (tₙₖ − yₙₖ) z_nm.  Shapes → (M, K).

    Twin :func:`verify.naive.gradients.grad_V`, :doc:`/derivations/output-layer`.
    """
    return _weight_gradient(z, output_delta(t, y), ("z", "T − Y"))


def grad_c(t: np.ndarray, y: np.ndarray) -> np.ndarray:
    """∇_c J = Σₙ (T − Y), i.e. ∂J/∂c_k = Σₙ (tₙₖ − yₙₖ).  Shapes → (K,).

    Twin :func:`verify.naive.gradients.grad_c`, :doc:`/derivations/output-layer`.
    """
    y = float_array("y", y, 2, "(N, K)")
    t = distribution_rows("t", target_array("t", t, y))
    gradient = np.empty(y.shape[1], dtype=y.dtype)
    _gradients.output_bias_gradient(t, y, gradient)
    return gradient


def grad_W(
    x: np.ndarray, z: np.ndarray, v: np.ndarray, t: np.ndarray, y: np.ndarray, activation: str
) -> np.ndarray:
    """∇_W J = Xᵀ {[(T − Y) Vᵀ] ⊙ Z′}, i.e. ∂J/∂W_dm = Σₖ Σₙ (tₙₖ − yₙₖ) V_mk z′_nm x_nd.

    Z′ is the activation's derivative written in terms of z.  Shapes → (D, M).

    Twin :func:`verify.naive.gradients.grad_W`, :doc:`/derivations/hidden-layer`.
    """
    delta = hidden_delta_named(output_delta(t, y), v, z, activation, ("T − Y", "v", "z"))
    return _weight_gradient(x, delta, ("x", "[(T − Y) Vᵀ] ⊙ Z′"))


def grad_b(
    z: np.ndarray, v: np.ndarray, t: np.ndarray, y: np.ndarray, activation: str
) -> np.ndarray:
    """∇_b J = Σₙ [(T − Y) Vᵀ] ⊙ Z′, i.e. ∂J/∂b_m = Σₖ Σₙ (tₙₖ − yₙₖ) V_mk z′_nm.  Shapes → (M,).

    Twin :func:`verify.naive.gradients.grad_b`, :doc:`/derivations/hidden-layer`.
    """
    return bias_gradient(
        hidden_delta_named(output_delta(t, y), v, z, activation, ("T − Y", "v", "z"))
    )
