/* The direct NHWC convolution micro-kernel: one image, cross-correlation, bias and activation
 * fused into the store.
 *
 *   out[i, j, f] = act(b[f] + sum_{k1 < KH} sum_{t < KW*C} x[i*s + k1, j*s*C + t] * w[k1, t, f])
 *
 * with x one image of Hp x Wp pixels (already zero padded) stored as rows of Wp*C values, w the
 * (KH, KW, C, F) filters read as (KH, KW*C, F), and t = k2*C + c: for a fixed kernel row k1 the
 * KW*C values a window reads form one contiguous run of x, and the filter rows w[k1, t, :] one
 * contiguous block. The filters are taken in blocks of 2 vectors (16 floats or 8 doubles) and the
 * output pixels of a row in blocks of 6 (the rest in blocks of 4, 2, 1): each tap loads 2 filter vectors and broadcasts 6 inputs
 * into 12 accumulators, which stay in registers (no memory traffic but the loads of x and w).
 * Vectors are GCC's generic vector extensions; the file is compiled twice, once for AVX2 + FMA
 * (the function-level target attribute) and once for the baseline x86-64, and
 * cnnref_direct_conv_* picks the AVX2 one at run time only where the CPU has AVX2 and FMA, so a
 * build runs on any x86-64 CPU. F must be a multiple of 2 vectors (16 floats, 8 doubles).
 */
#ifndef CNNREF_DIRECT_CONV_H
#define CNNREF_DIRECT_CONV_H

#include <stddef.h>

typedef float cnnref_v8sf __attribute__((vector_size(32), aligned(4)));
typedef double cnnref_v4df __attribute__((vector_size(32), aligned(8)));
typedef int cnnref_v8si __attribute__((vector_size(32), aligned(4)));
typedef long long cnnref_v4di __attribute__((vector_size(32), aligned(8)));

#define CNNREF_ACT_NONE 0
#define CNNREF_ACT_RELU 1

/* One block of Q (<= 6) output pixels x 2 filter vectors; Q is a compile-time constant in every
 * expansion, so the compiler unrolls the q loops and keeps acc in registers. */
#define CNNREF_BLOCK(T, V, IV, VW, Q)                                                                \
    {                                                                                           \
        V acc[Q][2];                                                                            \
        const V b0 = *(const V *)(bias + fb), b1 = *(const V *)(bias + fb + VW);                \
        for (int q = 0; q < Q; q++) {                                                           \
            acc[q][0] = b0;                                                                     \
            acc[q][1] = b1;                                                                     \
        }                                                                                       \
        for (ptrdiff_t k1 = 0; k1 < KH; k1++) {                                                 \
            const T *xr = x + ((i * stride + k1) * Wp + j * stride) * C;                        \
            const T *wr = w + k1 * run * F + fb;                                                \
            for (ptrdiff_t t = 0; t < run; t++) {                                               \
                const V w0 = *(const V *)(wr + t * F), w1 = *(const V *)(wr + t * F + VW);      \
                for (int q = 0; q < Q; q++) {                                                   \
                    T xv = xr[q * stride * C + t];                                              \
                    acc[q][0] += xv * w0;                                                       \
                    acc[q][1] += xv * w1;                                                       \
                }                                                                               \
            }                                                                                   \
        }                                                                                       \
        for (int q = 0; q < Q; q++) {                                                           \
            V r0 = acc[q][0], r1 = acc[q][1];                                                   \
            if (relu) { /* 0 where r <= 0, else r: NaN passes, as in the relu kernel */         \
                V zero = {0};                                                                   \
                r0 = (V)((IV)r0 & ~(IV)(r0 <= zero));                                           \
                r1 = (V)((IV)r1 & ~(IV)(r1 <= zero));                                           \
            }                                                                                   \
            T *o = out + (i * Wo + j + q) * F + fb;                                             \
            *(V *)o = r0;                                                                       \
            *(V *)(o + VW) = r1;                                                                \
        }                                                                                       \
    }

#define CNNREF_DEFINE_DIRECT(NAME, ATTR, T, V, IV, VW)                                               \
    ATTR static void NAME(const T *x, ptrdiff_t Wp, ptrdiff_t C, const T *w, const T *bias,     \
                          T *out, ptrdiff_t Ho, ptrdiff_t Wo, ptrdiff_t KH, ptrdiff_t KW,       \
                          ptrdiff_t stride, ptrdiff_t F, int relu)                              \
    {                                                                                           \
        const ptrdiff_t run = KW * C;                                                           \
        for (ptrdiff_t i = 0; i < Ho; i++) {                                                    \
            for (ptrdiff_t fb = 0; fb < F; fb += 2 * VW) {                                      \
                ptrdiff_t j = 0;                                                                \
                for (; j + 6 <= Wo; j += 6) CNNREF_BLOCK(T, V, IV, VW, 6)                           \
                if (j + 4 <= Wo) { CNNREF_BLOCK(T, V, IV, VW, 4) j += 4; }                      \
                for (; j + 2 <= Wo; j += 2) CNNREF_BLOCK(T, V, IV, VW, 2)                           \
                for (; j < Wo; j++) CNNREF_BLOCK(T, V, IV, VW, 1)                                   \
            }                                                                                   \
        }                                                                                       \
    }

/* The filter gradient of one image, accumulated:
 *
 *   dw[k1, t, f] += sum_{i < Ho} sum_{j < Wo} x[i*s + k1, j*s*C + t] * dout[i, j, f]
 *
 * (the adjoint of the forward kernel's sum). A block holds 6 (or 5) consecutive taps t x 2
 * filter vectors in 12 (10) accumulators; each output pixel loads its 2 vectors of dout and broadcasts the 6
 * inputs of those taps. The block is added to dw once per image. */
#define CNNREF_DW_BLOCK(T, V, VW, Q)                                                             \
    {                                                                                           \
        V acc[Q][2];                                                                            \
        for (int q = 0; q < Q; q++) {                                                           \
            acc[q][0] = (V){0};                                                                 \
            acc[q][1] = (V){0};                                                                 \
        }                                                                                       \
        for (ptrdiff_t i = 0; i < Ho; i++) {                                                    \
            const T *xr = x + (i * stride + k1) * Wp * C + t0;                                  \
            const T *dr = dout + i * Wo * F + fb;                                               \
            for (ptrdiff_t j = 0; j < Wo; j++) {                                                \
                const V d0 = *(const V *)(dr + j * F), d1 = *(const V *)(dr + j * F + VW);      \
                const T *xp = xr + j * stride * C;                                              \
                for (int q = 0; q < Q; q++) {                                                   \
                    T xv = xp[q];                                                               \
                    acc[q][0] += xv * d0;                                                       \
                    acc[q][1] += xv * d1;                                                       \
                }                                                                               \
            }                                                                                   \
        }                                                                                       \
        for (int q = 0; q < Q; q++) {                                                           \
            T *o = dw + (k1 * run + t0 + q) * F + fb;                                           \
            *(V *)o = *(V *)o + acc[q][0];                                                      \
            *(V *)(o + VW) = *(V *)(o + VW) + acc[q][1];                                        \
        }                                                                                       \
    }

#define CNNREF_DEFINE_DW(NAME, ATTR, T, V, VW)                                                   \
    ATTR static void NAME(const T *x, ptrdiff_t Wp, ptrdiff_t C, const T *dout, T *dw,          \
                          ptrdiff_t Ho, ptrdiff_t Wo, ptrdiff_t KH, ptrdiff_t KW,               \
                          ptrdiff_t stride, ptrdiff_t F)                                        \
    {                                                                                           \
        const ptrdiff_t run = KW * C;                                                           \
        for (ptrdiff_t k1 = 0; k1 < KH; k1++) {                                                 \
            for (ptrdiff_t fb = 0; fb < F; fb += 2 * VW) {                                      \
                ptrdiff_t t0 = 0;                                                               \
                if (run % 6 != 0 && run % 5 == 0) /* e.g. KW*C = 15: no short blocks */         \
                    for (; t0 + 5 <= run; t0 += 5) CNNREF_DW_BLOCK(T, V, VW, 5)                 \
                for (; t0 + 6 <= run; t0 += 6) CNNREF_DW_BLOCK(T, V, VW, 6)                     \
                if (t0 + 4 <= run) { CNNREF_DW_BLOCK(T, V, VW, 4) t0 += 4; }                    \
                for (; t0 + 2 <= run; t0 += 2) CNNREF_DW_BLOCK(T, V, VW, 2)                     \
                for (; t0 < run; t0++) CNNREF_DW_BLOCK(T, V, VW, 1)                             \
            }                                                                                   \
        }                                                                                       \
    }

/* The input gradient of one image, in scatter form:
 *
 *   dx[i*s + k1 - p, j*s + k2 - p, c] = sum_{i, j, k1, k2} sum_{f < F} dout[i, j, f] * wt[k1, k2, f, c]
 *
 * with wt the filters transposed to (KH, KW, F, C) and dx one unpadded image of H x W pixels
 * (overwritten). For each upstream row i and tap (k1, k2) only the pixels j whose target lies
 * inside the image are visited, so no multiply-add is spent on padding. A block holds Q
 * consecutive pixels j x 2 channel vectors in 2Q accumulators: each filter f loads 2 vectors of
 * wt and broadcasts the Q values dout[i, j + q, f]; the block is then added to its Q targets.
 * C must be a multiple of 2 vectors. */
#define CNNREF_DX_BLOCK(T, V, VW, Q)                                                             \
    {                                                                                           \
        V acc[Q][2];                                                                            \
        for (int q = 0; q < Q; q++) {                                                           \
            acc[q][0] = (V){0};                                                                 \
            acc[q][1] = (V){0};                                                                 \
        }                                                                                       \
        const T *dr = dout + (i * Wo + j) * F;                                                  \
        const T *wr = wt + (k1 * KW + k2) * F * C + cb;                                         \
        for (ptrdiff_t f = 0; f < F; f++) {                                                     \
            const V w0 = *(const V *)(wr + f * C), w1 = *(const V *)(wr + f * C + VW);          \
            for (int q = 0; q < Q; q++) {                                                       \
                T dv = dr[q * F + f];                                                           \
                acc[q][0] += dv * w0;                                                           \
                acc[q][1] += dv * w1;                                                           \
            }                                                                                   \
        }                                                                                       \
        for (int q = 0; q < Q; q++) {                                                           \
            T *o = dx + (r * W + (j + q) * stride + k2 - pad) * C + cb;                         \
            *(V *)o = *(V *)o + acc[q][0];                                                      \
            *(V *)(o + VW) = *(V *)(o + VW) + acc[q][1];                                        \
        }                                                                                       \
    }

#define CNNREF_DEFINE_DX(NAME, ATTR, T, V, VW)                                                   \
    ATTR static void NAME(const T *dout, ptrdiff_t Ho, ptrdiff_t Wo, ptrdiff_t F, const T *wt,  \
                          T *dx, ptrdiff_t H, ptrdiff_t W, ptrdiff_t C, ptrdiff_t KH,           \
                          ptrdiff_t KW, ptrdiff_t stride, ptrdiff_t pad)                        \
    {                                                                                           \
        for (ptrdiff_t e = 0; e < H * W * C; e++)                                               \
            dx[e] = 0;                                                                          \
        for (ptrdiff_t i = 0; i < Ho; i++) {                                                    \
            for (ptrdiff_t k1 = 0; k1 < KH; k1++) {                                             \
                const ptrdiff_t r = i * stride + k1 - pad;                                      \
                if (r < 0 || r >= H)                                                            \
                    continue;                                                                   \
                for (ptrdiff_t k2 = 0; k2 < KW; k2++) {                                         \
                    /* pixels j with 0 <= j*s + k2 - p < W */                                   \
                    const ptrdiff_t lo = k2 >= pad ? 0 : (pad - k2 + stride - 1) / stride;      \
                    const ptrdiff_t last = W - 1 + pad - k2;                                    \
                    ptrdiff_t hi = last < 0 ? 0 : last / stride + 1;                            \
                    if (hi > Wo)                                                                \
                        hi = Wo;                                                                \
                    for (ptrdiff_t cb = 0; cb < C; cb += 2 * VW) {                              \
                        ptrdiff_t j = lo;                                                       \
                        for (; j + 6 <= hi; j += 6) CNNREF_DX_BLOCK(T, V, VW, 6)                \
                        if (j + 4 <= hi) { CNNREF_DX_BLOCK(T, V, VW, 4) j += 4; }               \
                        for (; j + 2 <= hi; j += 2) CNNREF_DX_BLOCK(T, V, VW, 2)                \
                        for (; j < hi; j++) CNNREF_DX_BLOCK(T, V, VW, 1)                        \
                    }                                                                           \
                }                                                                               \
            }                                                                                   \
        }                                                                                       \
    }

/* Each kernel twice: an AVX2 + FMA clone (function-level target attribute) and the baseline
 * x86-64 build, picked at run time. */
#define CNNREF_DEFINE_ALL(SUFFIX, ATTR)                                                          \
    CNNREF_DEFINE_DIRECT(cnnref_direct_f_##SUFFIX, ATTR, float, cnnref_v8sf, cnnref_v8si, 8)     \
    CNNREF_DEFINE_DIRECT(cnnref_direct_d_##SUFFIX, ATTR, double, cnnref_v4df, cnnref_v4di, 4)    \
    CNNREF_DEFINE_DW(cnnref_dw_f_##SUFFIX, ATTR, float, cnnref_v8sf, 8)                          \
    CNNREF_DEFINE_DW(cnnref_dw_d_##SUFFIX, ATTR, double, cnnref_v4df, 4)                         \
    CNNREF_DEFINE_DX(cnnref_dx_f_##SUFFIX, ATTR, float, cnnref_v8sf, 8)                          \
    CNNREF_DEFINE_DX(cnnref_dx_d_##SUFFIX, ATTR, double, cnnref_v4df, 4)

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#define CNNREF_HAVE_AVX2_CLONE 1
CNNREF_DEFINE_ALL(avx2, __attribute__((target("avx2,fma"))))
#endif
CNNREF_DEFINE_ALL(base, )

/* 1 where the AVX2 + FMA clone may run on this CPU (checked once, at run time). */
static int cnnref_use_avx2(void)
{
#ifdef CNNREF_HAVE_AVX2_CLONE
    static int checked = -1;
    if (checked < 0) {
        __builtin_cpu_init();
        checked = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    }
    return checked;
#else
    return 0;
#endif
}

#ifdef CNNREF_HAVE_AVX2_CLONE
#define CNNREF_PICK(KERNEL, ARGS)                                                                \
    if (cnnref_use_avx2()) {                                                                    \
        KERNEL##_avx2 ARGS;                                                                     \
        return;                                                                                 \
    }                                                                                           \
    KERNEL##_base ARGS;
#else
#define CNNREF_PICK(KERNEL, ARGS) KERNEL##_base ARGS;
#endif

#define CNNREF_DEFINE_FORWARD_ENTRY(NAME, KERNEL, T)                                             \
    static void NAME(const T *x, ptrdiff_t Wp, ptrdiff_t C, const T *w, const T *bias, T *out,  \
                     ptrdiff_t Ho, ptrdiff_t Wo, ptrdiff_t KH, ptrdiff_t KW, ptrdiff_t stride,  \
                     ptrdiff_t F, int relu)                                                     \
    {                                                                                           \
        CNNREF_PICK(KERNEL, (x, Wp, C, w, bias, out, Ho, Wo, KH, KW, stride, F, relu))          \
    }

#define CNNREF_DEFINE_FILTER_ENTRY(NAME, KERNEL, T)                                              \
    static void NAME(const T *x, ptrdiff_t Wp, ptrdiff_t C, const T *dout, T *dw, ptrdiff_t Ho, \
                     ptrdiff_t Wo, ptrdiff_t KH, ptrdiff_t KW, ptrdiff_t stride, ptrdiff_t F)   \
    {                                                                                           \
        CNNREF_PICK(KERNEL, (x, Wp, C, dout, dw, Ho, Wo, KH, KW, stride, F))                    \
    }

#define CNNREF_DEFINE_INPUT_ENTRY(NAME, KERNEL, T)                                               \
    static void NAME(const T *dout, ptrdiff_t Ho, ptrdiff_t Wo, ptrdiff_t F, const T *wt, T *dx, \
                     ptrdiff_t H, ptrdiff_t W, ptrdiff_t C, ptrdiff_t KH, ptrdiff_t KW,         \
                     ptrdiff_t stride, ptrdiff_t pad)                                           \
    {                                                                                           \
        CNNREF_PICK(KERNEL, (dout, Ho, Wo, F, wt, dx, H, W, C, KH, KW, stride, pad))            \
    }

CNNREF_DEFINE_FORWARD_ENTRY(cnnref_direct_conv_f, cnnref_direct_f, float)
CNNREF_DEFINE_FORWARD_ENTRY(cnnref_direct_conv_d, cnnref_direct_d, double)
CNNREF_DEFINE_FILTER_ENTRY(cnnref_filter_gradient_f, cnnref_dw_f, float)
CNNREF_DEFINE_FILTER_ENTRY(cnnref_filter_gradient_d, cnnref_dw_d, double)
CNNREF_DEFINE_INPUT_ENTRY(cnnref_input_gradient_f, cnnref_dx_f, float)
CNNREF_DEFINE_INPUT_ENTRY(cnnref_input_gradient_d, cnnref_dx_d, double)

#endif
