import numpy as np

DEBUG = False


def affine_forward(x, w, b):
    x_flat = x.reshape(x.shape[0], -1)
    out = x_flat.dot(w) + b
    cache = {"x": x, "w": w, "b": b, "x_flat": x_flat, "shape": x.shape}
    return out, cache


def affine_backward(dout, cache):
    dx = dout.dot(cache["w"].T).reshape(cache["shape"])
    dw = cache["x_flat"].T.dot(dout)
    db = dout.sum(axis=0)
    return dx, dw, db


def relu_forward(x):
    mask = x > 0
    out = x * mask
    return out, (x, mask)


def relu_backward(dout, cache):
    _, mask = cache
    return dout * mask


def conv_forward_naive(x, w, b, conv_param):
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    stride, pad = conv_param.get("stride", 1), conv_param.get("pad", 0)
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode="constant")
    H_out = (H + 2 * pad - HH) // stride + 1
    W_out = (W + 2 * pad - WW) // stride + 1
    out = np.zeros((N, F, H_out, W_out))
    w_row = w.reshape(F, -1)
    for n in range(N):
        for i in range(H_out):
            for j in range(W_out):
                field = x_pad[n, :, i * stride:i * stride + HH, j * stride:j * stride + WW].reshape(-1)
                out[n, :, i, j] = w_row.dot(field) + b
    if DEBUG:
        print("conv out", out.shape)
    cache = (x, w, b, conv_param, x_pad, (H_out, W_out))
    return out, cache


def conv_backward_naive(dout, cache):
    x, w, b, conv_param, x_pad, (H_out, W_out) = cache
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    stride, pad = conv_param["stride"], conv_param["pad"]
    dx_pad = np.zeros_like(x_pad)
    dw = np.zeros_like(w)
    db = np.sum(dout, axis=(0, 2, 3))
    for n in range(N):
        for f in range(F):
            for i in range(H_out):
                for j in range(W_out):
                    hs, ws = i * stride, j * stride
                    dw[f] += dout[n, f, i, j] * x_pad[n, :, hs:hs + HH, ws:ws + WW]
                    dx_pad[n, :, hs:hs + HH, ws:ws + WW] += dout[n, f, i, j] * w[f]
    dx = dx_pad[:, :, pad:pad + H, pad:pad + W]
    return dx, dw, db


def max_pool_forward_naive(x, pool_param):
    N, C, H, W = x.shape
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    H_out, W_out = (H - ph) // s + 1, (W - pw) // s + 1
    out = np.zeros((N, C, H_out, W_out))
    argmax = np.zeros((N, C, H_out, W_out), dtype=int)
    for i in range(H_out):
        for j in range(W_out):
            window = x[:, :, i * s:i * s + ph, j * s:j * s + pw].reshape(N, C, -1)
            argmax[:, :, i, j] = window.argmax(axis=2)
            out[:, :, i, j] = window.max(axis=2)
    cache = (x, pool_param, argmax)
    return out, cache


def max_pool_backward_naive(dout, cache):
    x, pool_param, argmax = cache
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    N, C, H_out, W_out = dout.shape
    dx = np.zeros_like(x)
    for n in range(N):
        for c in range(C):
            for i in range(H_out):
                for j in range(W_out):
                    k = argmax[n, c, i, j]
                    dx[n, c, i * s + k // pw, j * s + k % pw] += dout[n, c, i, j]
    return dx


def softmax_loss(x, y):
    probs = np.exp(x - np.max(x, axis=1, keepdims=True))
    probs /= np.sum(probs, axis=1, keepdims=True)
    N = x.shape[0]
    loss = -np.sum(np.log(probs[np.arange(N), y])) / N
    dx = probs.copy()
    dx[np.arange(N), y] -= 1
    dx /= N
    return loss, dx


if __name__ == "__main__":
    x = np.random.randn(2, 3, 4, 4)
    print(conv_forward_naive(x, np.random.randn(3, 3, 3, 3), np.zeros(3), {"stride": 1, "pad": 1})[0].shape)
