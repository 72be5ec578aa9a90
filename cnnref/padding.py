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


def _taps_in_padding(out_h, out_w, kh, kw, stride, pad, height, width) -> np.ndarray:
    """Bool (Ho, Wo, KH, KW): does window (i, j) read the padding through tap (k1, k2)?"""
    rows = padded_taps(out_h, kh, stride, pad, height)
    cols = padded_taps(out_w, kw, stride, pad, width)
    return rows[:, None, :, None] | cols[None, :, None, :]


def forward_padding_nans(
    out: np.ndarray, w: np.ndarray, x_shape: tuple[int, ...], stride: int, pad: int
) -> None:
    """Set out[n, i, j, f] = NaN wherever a padded tap (k1, k2) of window (i, j) meets a
    non-finite w[k1, k2, c, f] for some c (in place). out (N, Ho, Wo, F), w (KH, KW, C, F)."""
    if pad == 0:
        return
    nonfinite = ~np.isfinite(w).all(axis=2)  # (KH, KW, F)
    if not nonfinite.any():
        return
    taps = _taps_in_padding(*out.shape[1:3], *w.shape[:2], stride, pad, *x_shape[1:3])
    meets = np.einsum("ijab,abf->ijf", taps.astype(np.intp), nonfinite.astype(np.intp)) > 0
    out[:, meets] = np.nan


def filter_gradient_padding_nans(
    dw: np.ndarray, dout: np.ndarray, x_shape: tuple[int, ...], stride: int, pad: int
) -> None:
    """Set dw[k1, k2, c, f] = NaN wherever tap (k1, k2) reads the padding in some window (i, j)
    with a non-finite dout[n, i, j, f] (in place). dw (KH, KW, C, F), dout (N, Ho, Wo, F)."""
    if pad == 0:
        return
    nonfinite = ~np.isfinite(dout).all(axis=0)  # (Ho, Wo, F)
    if not nonfinite.any():
        return
    taps = _taps_in_padding(*dout.shape[1:3], *dw.shape[:2], stride, pad, *x_shape[1:3])
    meets = np.einsum("ijab,ijf->abf", taps.astype(np.intp), nonfinite.astype(np.intp)) > 0
    dw[np.broadcast_to(meets[:, :, None, :], dw.shape)] = np.nan
