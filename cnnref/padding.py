"""The rule for non-finite values meeting the zero padding of a convolution.

Padding is a border of zeros that takes part in the products like any other input: a padded tap
contributes 0 · w[k1, k2, c, f] to the forward sum and 0 · dout[n, i, j, f] to the filter gradient,
and IEEE arithmetic makes 0 · ±inf and 0 · NaN a NaN. So an infinite or NaN filter weight turns
every output whose window reaches into the padding through that weight into NaN, and likewise a
non-finite upstream gradient the filter-gradient entries whose taps read the padding. This is what
the im2col path computes (its patch matrix holds the zeros) and what PyTorch computes; the direct
loops skip padded taps, and the functions here give them the same NaNs. Finite values are
unaffected (0 · finite = 0).
"""

from __future__ import annotations

import numpy as np


def padded_taps(out_size: int, kernel: int, stride: int, pad: int, size: int) -> np.ndarray:
    """Bool (out_size, kernel): does output position i read the padding through tap k, i.e. is
    i·stride + k − pad outside [0, size)?"""
    rows = np.arange(out_size)[:, None] * stride + np.arange(kernel)[None, :] - pad
    return (rows < 0) | (rows >= size)


def _where_padding_meets(
    subscripts: str, values: np.ndarray, axis: int, windows, kernel, stride, pad, x_shape
) -> np.ndarray | None:
    """Where a padded tap meets a non-finite entry of ``values`` (reduced over ``axis``): the
    bool result of einsum(``subscripts``, taps, nonfinite) > 0 with taps (Ho, Wo, KH, KW) the
    padded taps of windows (Ho, Wo) and kernel (KH, KW), or None when nothing meets (no padding,
    or every value finite)."""
    if pad == 0:
        return None
    nonfinite = ~np.isfinite(values).all(axis=axis)
    if not nonfinite.any():
        return None
    rows = padded_taps(windows[0], kernel[0], stride, pad, x_shape[1])
    cols = padded_taps(windows[1], kernel[1], stride, pad, x_shape[2])
    taps = rows[:, None, :, None] | cols[None, :, None, :]
    return np.einsum(subscripts, taps.astype(np.intp), nonfinite.astype(np.intp)) > 0


def forward_padding_nans(
    out: np.ndarray, w: np.ndarray, x_shape: tuple[int, ...], stride: int, pad: int
) -> None:
    """Set out[n, i, j, f] = NaN wherever a padded tap (k1, k2) of window (i, j) meets a
    non-finite w[k1, k2, c, f] for some c (in place). out (N, Ho, Wo, F), w (KH, KW, C, F)."""
    meets = _where_padding_meets(
        "ijab,abf->ijf", w, 2, out.shape[1:3], w.shape[:2], stride, pad, x_shape
    )
    if meets is not None:
        out[:, meets] = np.nan


def filter_gradient_padding_nans(
    dw: np.ndarray, dout: np.ndarray, x_shape: tuple[int, ...], stride: int, pad: int
) -> None:
    """Set dw[k1, k2, c, f] = NaN wherever tap (k1, k2) reads the padding in some window (i, j)
    with a non-finite dout[n, i, j, f] (in place). dw (KH, KW, C, F), dout (N, Ho, Wo, F)."""
    meets = _where_padding_meets(
        "ijab,ijf->abf", dout, 0, dout.shape[1:3], dw.shape[:2], stride, pad, x_shape
    )
    if meets is not None:
        dw[np.broadcast_to(meets[:, :, None, :], dw.shape)] = np.nan
