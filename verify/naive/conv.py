"""Naive twins of ``cnnref/conv.py``: the convolution layer and its gradients, one scalar product
at a time, in both modes (cross-correlation and the notes' convolution).
"""

from __future__ import annotations

from operator import mul

from .arguments import (
    CONV_MODES,
    Array,
    array,
    copied_array,
    integer_at_least,
    one_of,
    result_dtype,
    sizes_agree,
    window_count,
    zeros,
)


def _conv_arguments(x, w, stride, pad, mode):
    x = copied_array("x", x, 4, "(N, H, W, C)")
    w = copied_array("w", w, 4, "(KH, KW, C, F)")
    stride = integer_at_least("stride", stride, 1)
    pad = integer_at_least("pad", pad, 0)
    one_of("mode", mode, CONV_MODES)
    sizes_agree("C (input channels)", x_axis_3=x.shape[3], w_axis_2=w.shape[2])
    out_h = window_count("height", x.shape[1] + 2 * pad, w.shape[0], stride, "kernel height")
    out_w = window_count("width", x.shape[2] + 2 * pad, w.shape[1], stride, "kernel width")
    return x, w, stride, pad, out_h, out_w


def _zero_padded(x: Array, pad: int) -> list:
    """in[n, r, s, c] = x[n, r − pad, s − pad, c] inside the image, 0 in the border of width pad
    (as nested lists, indexed in[n][r][s][c])."""
    n_samples, height, width, channels = x.shape
    padded = zeros((n_samples, height + 2 * pad, width + 2 * pad, channels), x.dtype)
    for n, image in enumerate(x.tolist()):
        for r, row in enumerate(image):
            padded[n][r + pad][pad : pad + width] = row
    return padded


def _unpadded(padded: list, pad: int, height: int, width: int) -> list:
    """The image inside the border of width pad: padded[n][r + pad][s + pad] for r < height,
    s < width (the inverse of :func:`_zero_padded`)."""
    return [[row[pad : pad + width] for row in image[pad : pad + height]] for image in padded]


def _filter_rows(w: Array) -> list:
    """Each filter f as one flat list w[:, :, :, f] in (k1, k2, c) order, the order a window's
    pixels are listed in by :func:`_window_pixels`."""
    kh, kw, channels, n_filters = w.shape
    return w.reshape(kh * kw * channels, n_filters).T.tolist()


def _window_pixels(padded: list, n: int, rows: list, columns: list) -> list:
    """The pixels in[n, r, s, c] that one window reads, flat in (k1, k2, c) order."""
    return [value for r in rows for s in columns for value in padded[n][r][s]]


def _tap(i: int, k: int, kernel: int, stride: int, mode: str) -> int:
    """Row (or column) of the padded input that output position i reads through filter tap k.

    Cross-correlation reads in[i·s + k]. Convolution is the notes' in[p − k] at output position
    p = i·s + K − 1: the valid region starts where p − k stays ≥ 0 for every tap k < K.
    """
    if mode == "cross-correlation":
        return i * stride + k
    return i * stride + kernel - 1 - k


def _windows(n_samples: int, out_h: int, out_w: int, kh: int, kw: int, stride: int, mode: str):
    """Every output pixel (n, i, j) in order, with the padded input rows[k1] and columns[k2] its
    window reads through tap (k1, k2)."""
    for n in range(n_samples):
        for i in range(out_h):
            rows = [_tap(i, k1, kh, stride, mode) for k1 in range(kh)]
            for j in range(out_w):
                columns = [_tap(j, k2, kw, stride, mode) for k2 in range(kw)]
                yield n, i, j, rows, columns


def conv2d(
    x: Array, w: Array, b: Array, stride: int = 1, pad: int = 0, mode: str = "cross-correlation"
) -> Array:
    """Convolution layer forward pass, one scalar product at a time.

    Cross-correlation::

        out[n, i, j, f] = b[f] + Σ_k1 Σ_k2 Σ_c in[n, i·s + k1, j·s + k2, c] · w[k1, k2, c, f]

    Convolution, the notes' formula over the valid region, at p = i·s + KH − 1, q = j·s + KW − 1::

        out[n, i, j, f] = b[f] + Σ_k1 Σ_k2 Σ_c in[n, p − k1, q − k2, c] · w[k1, k2, c, f]

    ``in`` is x zero-padded by ``pad`` on each side of H and W. Shapes: x (N, H, W, C),
    w (KH, KW, C, F), b (F,) → out (N, Ho, Wo, F), Ho = (H + 2·pad − KH) // s + 1, Wo likewise.
    """
    x, w, stride, pad, out_h, out_w = _conv_arguments(x, w, stride, pad, mode)
    b = copied_array("b", b, 1, "(F,)")
    sizes_agree("F (filters)", w_axis_3=w.shape[3], b_length=b.shape[0])
    n_samples = x.shape[0]
    kh, kw, n_filters = w.shape[0], w.shape[1], w.shape[3]
    dtype = result_dtype(x, w, b)
    padded, filters, b = _zero_padded(x, pad), _filter_rows(w), b.tolist()
    out = zeros((n_samples, out_h, out_w, n_filters), dtype)
    for n, i, j, rows, columns in _windows(n_samples, out_h, out_w, kh, kw, stride, mode):
        window = _window_pixels(padded, n, rows, columns)
        for f in range(n_filters):
            # out[n, i, j, f] = b[f] + Σ_(k1, k2, c) in[n, r, s, c] · w[k1, k2, c, f]
            out[n][i][j][f] = b[f] + sum(map(mul, window, filters[f]))
    return array(out, (n_samples, out_h, out_w, n_filters), dtype)


def conv2d_backward(
    dout: Array, x: Array, w: Array, stride: int = 1, pad: int = 0, mode: str = "cross-correlation"
) -> tuple[Array, Array, Array]:
    """The three gradients of the convolution layer by the chain rule, one scalar product each.

    Every term in[n, r, s, c] · w[k1, k2, c, f] of out[n, i, j, f] (r, s the rows and columns that
    :func:`conv2d` reads through tap (k1, k2) for either mode) contributes, with
    g = dout = ∂J/∂out::

        d_in[n, r, s, c] += Σ_f g[n, i, j, f] · w[k1, k2, c, f]   (for each window and tap)
        dw[k1, k2, c, f]  = Σ_(n, i, j) in[n, r, s, c] · g[n, i, j, f]
        db[f]             = Σ_(n, i, j) g[n, i, j, f]

    and dx is d_in with the zero-padding border cut off (pixels no window reaches keep 0).
    Shapes: dout (N, Ho, Wo, F), x (N, H, W, C), w (KH, KW, C, F) → dx like x, dw like w, db (F,).
    """
    x, w, stride, pad, out_h, out_w = _conv_arguments(x, w, stride, pad, mode)
    dout = copied_array("dout", dout, 4, "(N, Ho, Wo, F)")
    n_samples, height, width, channels = x.shape
    kh, kw, n_filters = w.shape[0], w.shape[1], w.shape[3]
    if dout.shape != (n_samples, out_h, out_w, n_filters):
        raise ValueError(
            f"dout must have shape {(n_samples, out_h, out_w, n_filters)} (N, Ho, Wo, F) of the "
            f"forward output, got shape {dout.shape}"
        )
    dtype = result_dtype(dout, x, w)
    padded, grads, taps = _zero_padded(x, pad), dout.tolist(), w.tolist()
    windows = list(_windows(n_samples, out_h, out_w, kh, kw, stride, mode))
    # g[n, i, j, f] for one filter f, listed in the order of ``windows``
    by_filter = [[grads[n][i][j][f] for n, i, j, _, _ in windows] for f in range(n_filters)]
    d_padded = zeros((n_samples, height + 2 * pad, width + 2 * pad, channels), dtype)
    for n, i, j, rows, columns in windows:
        g = grads[n][i][j]
        for k1 in range(kh):
            for k2 in range(kw):
                d_pixel, tap = d_padded[n][rows[k1]][columns[k2]], taps[k1][k2]
                for c in range(channels):
                    d_pixel[c] += sum(map(mul, g, tap[c]))  # Σ_f g[n, i, j, f] · w[k1, k2, c, f]
    dw = zeros((kh, kw, channels, n_filters), dtype)
    for k1 in range(kh):
        for k2 in range(kw):
            for c in range(channels):
                # in[n, r, s, c] read through tap (k1, k2) by each window, in window order
                pixels = [padded[n][rows[k1]][columns[k2]][c] for n, _, _, rows, columns in windows]
                dw[k1][k2][c] = [sum(map(mul, pixels, column)) for column in by_filter]
    dx = _unpadded(d_padded, pad, height, width)
    return (
        array(dx, x.shape, dtype),
        array(dw, (kh, kw, channels, n_filters), dtype),
        array([sum(column) for column in by_filter], (n_filters,), dtype),
    )
