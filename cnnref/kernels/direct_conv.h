/* The SIMD micro-kernels of the NHWC convolution, one image each: the forward pass with the bias
 * and relu fused into the store, the filter gradient and the input gradient.
 *
 *   out[i, j, f] = act(b[f] + sum_{k1 < KH} sum_{t < KW*C} x[i*s + k1, j*s*C + t] * w[k1, t, f])
 *
 * with x one image of Hp x Wp pixels (already zero padded) stored as rows of Wp*C values, w the
 * (KH, KW, C, F) filters read as (KH, KW*C, F), and t = k2*C + c: for a fixed kernel row k1 the
 * KW*C values a window reads form one contiguous run of x, and the filter rows w[k1, t, :] one
 * contiguous block. Each kernel keeps a block of rows (output pixels or taps) x vectors (of
 * filters or channels) in 12 accumulators, which stay in registers: 6 rows x 2 vectors, or 12
 * rows x 1 vector where the channels fill one vector only; each step loads the vectors and
 * broadcasts one scalar per row. Vectors are GCC's generic vector extensions; the file is
 * compiled three times, for AVX-512 (vectors of 16 floats or 8 doubles), for AVX2 + FMA (8 floats
 * or 4 doubles; both by function-level target attributes) and for the baseline x86-64, and the
 * entry points pick at run time the widest clone the CPU has and the channel count fills, so a
 * build runs on any x86-64 CPU. The vectorized channel count must be a multiple of the vector
 * width (the Python layer asks for 2 AVX2 vectors: 16 floats or 8 doubles).
 */
#ifndef CNNREF_DIRECT_CONV_H
#define CNNREF_DIRECT_CONV_H

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

typedef float cnnref_v8sf __attribute__((vector_size(32), aligned(4)));
typedef double cnnref_v4df __attribute__((vector_size(32), aligned(8)));
typedef float cnnref_v16sf __attribute__((vector_size(64), aligned(4)));
typedef double cnnref_v8df __attribute__((vector_size(64), aligned(8)));

/* The pieces every kernel's register block is made of. A block holds acc[Q][NV]: Q rows (output
 * pixels or taps) x NV vectors (of filters or channels), NV = 2, or 1 where the vectorized
 * channels fill one AVX-512 vector only. Q and NV are compile-time constants in every expansion,
 * so the compiler unrolls the q and v loops and keeps acc in registers. */
#define CNNREF_ACC_ZERO(V, Q, NV)                                                                \
    V acc[Q][NV];                                                                               \
    for (int q = 0; q < Q; q++)                                                                 \
        for (int v = 0; v < NV; v++)                                                            \
            acc[q][v] = (V){0};

/* The NV vectors at ADDR, v-th at ADDR + v * VW, into vec[NV]. */
#define CNNREF_LOAD(V, VW, NV, ADDR)                                                             \
    V vec[NV];                                                                                  \
    for (int v = 0; v < NV; v++)                                                                \
        vec[v] = *(const V *)((ADDR) + v * VW);

/* acc[q] += SRC(q) * vec for every q: Q broadcasts against NV vector loads. */
#define CNNREF_ACC_FMA(T, Q, NV, SRC)                                                            \
    for (int q = 0; q < Q; q++) {                                                               \
        const T s_ = SRC;                                                                       \
        for (int v = 0; v < NV; v++)                                                            \
            acc[q][v] += s_ * vec[v];                                                           \
    }

/* The NV vectors at ADDR(q) += acc[q] for every q. */
#define CNNREF_ACC_ADD_TO(T, V, VW, Q, NV, ADDR)                                                 \
    for (int q = 0; q < Q; q++) {                                                               \
        T *o_ = ADDR;                                                                           \
        for (int v = 0; v < NV; v++)                                                            \
            *(V *)(o_ + v * VW) = *(V *)(o_ + v * VW) + acc[q][v];                              \
    }

/* Rows J .. END - 1 in blocks of 12 / NV (6 rows of 2 vectors, 12 of 1), then 6, 4, 2s and 1s. */
#define CNNREF_TILE(BLOCK, T, V, VW, NV, J, END)                                                 \
    for (; J + 12 / NV <= END; J += 12 / NV) BLOCK(T, V, VW, 12 / NV, NV)                       \
    if (NV == 1 && J + 6 <= END) {                                                              \
        BLOCK(T, V, VW, 6, NV)                                                                  \
        J += 6;                                                                                 \
    }                                                                                           \
    if (J + 4 <= END) {                                                                         \
        BLOCK(T, V, VW, 4, NV)                                                                  \
        J += 4;                                                                                 \
    }                                                                                           \
    for (; J + 2 <= END; J += 2) BLOCK(T, V, VW, 2, NV)                                         \
    for (; J < END; J++) BLOCK(T, V, VW, 1, NV)

/* A kernel's body for the vectors per block its channel count allows: 2 where CHANNELS is a
 * multiple of 2 vectors, else 1 (AVX-512 with 16 float channels, say). */
#define CNNREF_BY_VECTORS(BODY, T, V, VW, CHANNELS)                                              \
    if ((CHANNELS) % (2 * VW) == 0)                                                             \
        BODY(T, V, VW, 2)                                                                       \
    else                                                                                        \
        BODY(T, V, VW, 1)

/* Forward: Q consecutive output pixels j x NV filter vectors, started at the bias; each tap loads
 * NV filter vectors and broadcasts Q inputs. relu is a mask in the stores: 0 where r <= 0, else
 * r, so NaN passes, as in the relu kernel. */
#define CNNREF_FORWARD_BLOCK(T, V, VW, Q, NV)                                                    \
    {                                                                                           \
        V acc[Q][NV];                                                                           \
        for (int q = 0; q < Q; q++)                                                             \
            for (int v = 0; v < NV; v++)                                                        \
                acc[q][v] = *(const V *)(bias + fb + v * VW);                                   \
        for (ptrdiff_t k1 = 0; k1 < KH; k1++) {                                                 \
            const T *xr = x + ((i * stride + k1) * Wp + j * stride) * C;                        \
            const T *wr = w + k1 * run * F + fb;                                                \
            for (ptrdiff_t t = 0; t < run; t++) {                                               \
                CNNREF_LOAD(V, VW, NV, wr + t * F)                                              \
                CNNREF_ACC_FMA(T, Q, NV, xr[q * stride * C + t])                                \
            }                                                                                   \
        }                                                                                       \
        for (int q = 0; q < Q; q++) {                                                           \
            T *o = out + (i * Wo + j + q) * F + fb;                                             \
            for (int v = 0; v < NV; v++) {                                                      \
                V r0 = acc[q][v];                                                               \
                if (relu) {                                                                     \
                    const V zero = {0};                                                         \
                    const __typeof__(r0 <= zero) m0 = r0 <= zero;                               \
                    r0 = (V)((__typeof__(m0))r0 & ~m0);                                         \
                }                                                                               \
                *(V *)(o + v * VW) = r0;                                                        \
            }                                                                                   \
        }                                                                                       \
    }

#define CNNREF_FORWARD_BODY(T, V, VW, NV)                                                        \
    for (ptrdiff_t i = 0; i < Ho; i++) {                                                        \
        for (ptrdiff_t fb = 0; fb < F; fb += NV * VW) {                                         \
            ptrdiff_t j = 0;                                                                    \
            CNNREF_TILE(CNNREF_FORWARD_BLOCK, T, V, VW, NV, j, Wo)                              \
        }                                                                                       \
    }

#define CNNREF_DEFINE_DIRECT(NAME, ATTR, T, V, VW)                                               \
    ATTR static void NAME(const T *x, ptrdiff_t Wp, ptrdiff_t C, const T *w, const T *bias,     \
                          T *out, ptrdiff_t Ho, ptrdiff_t Wo, ptrdiff_t KH, ptrdiff_t KW,       \
                          ptrdiff_t stride, ptrdiff_t F, int relu)                              \
    {                                                                                           \
        const ptrdiff_t run = KW * C;                                                           \
        CNNREF_BY_VECTORS(CNNREF_FORWARD_BODY, T, V, VW, F)                                     \
    }

/* The filter gradient of one image, accumulated:
 *
 *   dw[k1, t, f] += sum_{i < Ho} sum_{j < Wo} x[i*s + k1, j*s*C + t] * dout[i, j, f]
 *
 * (the adjoint of the forward kernel's sum). A block holds Q consecutive taps t x NV filter
 * vectors; each output pixel loads its NV vectors of dout and broadcasts the Q inputs of those
 * taps. The block is added to dw once per image. Where KW*C is a multiple of 5 but not of the
 * block (conv1: 15), the taps go 5 (NV = 2) or 15 (NV = 1) at a time, leaving no short blocks. */
#define CNNREF_FILTER_BLOCK(T, V, VW, Q, NV)                                                     \
    {                                                                                           \
        CNNREF_ACC_ZERO(V, Q, NV)                                                               \
        for (ptrdiff_t i = 0; i < Ho; i++) {                                                    \
            const T *xr = x + (i * stride + k1) * Wp * C + t0;                                  \
            const T *dr = dout + i * Wo * F + fb;                                               \
            for (ptrdiff_t j = 0; j < Wo; j++) {                                                \
                CNNREF_LOAD(V, VW, NV, dr + j * F)                                              \
                const T *xp = xr + j * stride * C;                                              \
                CNNREF_ACC_FMA(T, Q, NV, xp[q])                                                 \
            }                                                                                   \
        }                                                                                       \
        CNNREF_ACC_ADD_TO(T, V, VW, Q, NV, dw + (k1 * run + t0 + q) * F + fb)                   \
    }

/* The taps per block for a run of 5k taps: 5 rows of 2 vectors, or 15 of 1. */
#define CNNREF_FIVES(NV) ((NV) == 2 ? 5 : 15)

#define CNNREF_FILTER_BODY(T, V, VW, NV)                                                         \
    for (ptrdiff_t k1 = 0; k1 < KH; k1++) {                                                     \
        for (ptrdiff_t fb = 0; fb < F; fb += NV * VW) {                                         \
            ptrdiff_t t0 = 0;                                                                   \
            if (run % (12 / NV) != 0 && run % CNNREF_FIVES(NV) == 0)                            \
                for (; t0 + CNNREF_FIVES(NV) <= run; t0 += CNNREF_FIVES(NV))                    \
                    CNNREF_FILTER_BLOCK(T, V, VW, CNNREF_FIVES(NV), NV)                         \
            CNNREF_TILE(CNNREF_FILTER_BLOCK, T, V, VW, NV, t0, run)                             \
        }                                                                                       \
    }

#define CNNREF_DEFINE_DW(NAME, ATTR, T, V, VW)                                                   \
    ATTR static void NAME(const T *x, ptrdiff_t Wp, ptrdiff_t C, const T *dout, T *dw,          \
                          ptrdiff_t Ho, ptrdiff_t Wo, ptrdiff_t KH, ptrdiff_t KW,               \
                          ptrdiff_t stride, ptrdiff_t F)                                        \
    {                                                                                           \
        const ptrdiff_t run = KW * C;                                                           \
        CNNREF_BY_VECTORS(CNNREF_FILTER_BODY, T, V, VW, F)                                      \
    }

/* The input gradient of one image, in scatter form:
 *
 *   dx[i*s + k1 - p, j*s + k2 - p, c] += sum_{f < F} dout[i, j, f] * wt[k1, k2, f, c]
 *
 * for every i, j, k1, k2, with wt the filters transposed to (KH, KW, F, C) and dx one unpadded
 * image of H x W pixels, zeroed first. For each upstream row i and tap (k1, k2) only the pixels
 * j whose target lies inside the image are visited, so no multiply-add is spent on padding. A
 * block holds Q consecutive pixels j x NV channel vectors: each filter f loads NV vectors of wt
 * and broadcasts the Q values dout[i, j + q, f]; the block is then added to its Q targets. C must
 * be a multiple of the vector width. */
#define CNNREF_INPUT_BLOCK(T, V, VW, Q, NV)                                                      \
    {                                                                                           \
        CNNREF_ACC_ZERO(V, Q, NV)                                                               \
        const T *dr = dout + (i * Wo + j) * F;                                                  \
        const T *wr = wt + (k1 * KW + k2) * F * C + cb;                                         \
        for (ptrdiff_t f = 0; f < F; f++) {                                                     \
            CNNREF_LOAD(V, VW, NV, wr + f * C)                                                  \
            CNNREF_ACC_FMA(T, Q, NV, dr[q * F + f])                                             \
        }                                                                                       \
        CNNREF_ACC_ADD_TO(T, V, VW, Q, NV, dx + (r * W + (j + q) * stride + k2 - pad) * C + cb) \
    }

#define CNNREF_INPUT_BODY(T, V, VW, NV)                                                          \
    for (ptrdiff_t i = 0; i < Ho; i++) {                                                        \
        for (ptrdiff_t k1 = 0; k1 < KH; k1++) {                                                 \
            const ptrdiff_t r = i * stride + k1 - pad;                                          \
            if (r < 0 || r >= H)                                                                \
                continue;                                                                       \
            for (ptrdiff_t k2 = 0; k2 < KW; k2++) {                                             \
                /* pixels j with 0 <= j*s + k2 - p < W */                                       \
                const ptrdiff_t lo = k2 >= pad ? 0 : (pad - k2 + stride - 1) / stride;          \
                const ptrdiff_t last = W - 1 + pad - k2;                                        \
                ptrdiff_t hi = last < 0 ? 0 : last / stride + 1;                                \
                if (hi > Wo)                                                                    \
                    hi = Wo;                                                                    \
                for (ptrdiff_t cb = 0; cb < C; cb += NV * VW) {                                 \
                    ptrdiff_t j = lo;                                                           \
                    CNNREF_TILE(CNNREF_INPUT_BLOCK, T, V, VW, NV, j, hi)                        \
                }                                                                               \
            }                                                                                   \
        }                                                                                       \
    }

#define CNNREF_DEFINE_DX(NAME, ATTR, T, V, VW)                                                   \
    ATTR static void NAME(const T *dout, ptrdiff_t Ho, ptrdiff_t Wo, ptrdiff_t F, const T *wt,  \
                          T *dx, ptrdiff_t H, ptrdiff_t W, ptrdiff_t C, ptrdiff_t KH,           \
                          ptrdiff_t KW, ptrdiff_t stride, ptrdiff_t pad)                        \
    {                                                                                           \
        for (ptrdiff_t e = 0; e < H * W * C; e++)                                               \
            dx[e] = 0;                                                                          \
        CNNREF_BY_VECTORS(CNNREF_INPUT_BODY, T, V, VW, C)                                       \
    }

/* The sum of a vector's VW lanes as a tree of pairwise sums (halves first), not a chain. */
#define CNNREF_LANE_SUM_4(A) (((A)[0] + (A)[2]) + ((A)[1] + (A)[3]))
#define CNNREF_LANE_SUM_8(A)                                                                     \
    ((((A)[0] + (A)[4]) + ((A)[2] + (A)[6])) + (((A)[1] + (A)[5]) + ((A)[3] + (A)[7])))
#define CNNREF_LANE_SUM(A, VW) CNNREF_LANE_SUM_##VW(A)

/* The input gradient of one image in gather form, for stride 1 and any channel count C:
 *
 *   dx[r, s, c] = sum_{k1, k2} sum_{f < F} dout[r + p - k1, s + p - k2, f] * w[k1, k2, c, f]
 *
 * over the taps whose dout pixel exists (0 <= r + p - k1 < Ho, 0 <= s + p - k2 < Wo), with w the
 * (KH, KW, C, F) filters as they are and dx one unpadded image of H x W pixels, each value
 * written once. The sum over f runs along the vector lanes: an accumulator holds VW partial sums
 * of one dx value, added across its lanes at the end. A block holds Q consecutive pixels s x CB
 * channels (the channels go 4 at a time, then the rest): each vector of filters loads CB vectors
 * of w and Q vectors of dout for Q x CB multiply-adds. Pixels that read every tap go Q at a
 * time; the others (the left and right edges, and what is left over) one by one over their
 * valid taps only, so no multiply-add is spent on padding and a non-finite filter meets exactly
 * the dout values the scatter form pairs it with. F must be a multiple of VW. */
#define CNNREF_GATHER_BLOCK(T, V, VW, Q, CB, K2LO, K2HI)                                         \
    {                                                                                           \
        CNNREF_ACC_ZERO(V, Q, CB)                                                               \
        const ptrdiff_t k2lo = K2LO, k2hi = K2HI;                                               \
        for (ptrdiff_t k1 = k1lo; k1 < k1hi; k1++) {                                            \
            const T *drow = dout + ((r + pad - k1) * Wo + s + pad) * F;                         \
            const T *wk = w + (k1 * KW * C + c0) * F;                                           \
            for (ptrdiff_t k2 = k2lo; k2 < k2hi; k2++) {                                        \
                const T *dp = drow - k2 * F;                                                    \
                const T *wp = wk + k2 * C * F;                                                  \
                for (ptrdiff_t f = 0; f < F; f += VW) {                                         \
                    V wv[CB];                                                                   \
                    for (int cb = 0; cb < CB; cb++)                                             \
                        wv[cb] = *(const V *)(wp + cb * F + f);                                 \
                    for (int q = 0; q < Q; q++) {                                               \
                        const V d = *(const V *)(dp + q * F + f);                               \
                        for (int cb = 0; cb < CB; cb++)                                         \
                            acc[q][cb] += d * wv[cb];                                           \
                    }                                                                           \
                }                                                                               \
            }                                                                                   \
        }                                                                                       \
        for (int q = 0; q < Q; q++)                                                             \
            for (int cb = 0; cb < CB; cb++)                                                     \
                dx[(r * W + s + q) * C + c0 + cb] = CNNREF_LANE_SUM(acc[q][cb], VW);            \
    }

/* Pixel s alone, over its valid taps k2 (0 <= s + p - k2 < Wo). */
#define CNNREF_GATHER_PIXEL(T, V, VW, CB)                                                        \
    CNNREF_GATHER_BLOCK(T, V, VW, 1, CB, s + pad - Wo + 1 > 0 ? s + pad - Wo + 1 : 0,           \
                        s + pad + 1 < KW ? s + pad + 1 : KW)

/* Row r of dx, channels c0 .. c0 + CB - 1: pixels s in [KW - 1 - p, Wo - p) read every tap. */
#define CNNREF_GATHER_ROW(T, V, VW, Q, CB)                                                       \
    {                                                                                           \
        const ptrdiff_t inner_lo = KW - 1 - pad, inner_hi = Wo - pad < W ? Wo - pad : W;        \
        ptrdiff_t s = 0;                                                                        \
        for (; s < W && s < inner_lo; s++)                                                      \
            CNNREF_GATHER_PIXEL(T, V, VW, CB)                                                   \
        for (; s + Q <= inner_hi; s += Q)                                                       \
            CNNREF_GATHER_BLOCK(T, V, VW, Q, CB, 0, KW)                                         \
        for (; s < W; s++)                                                                      \
            CNNREF_GATHER_PIXEL(T, V, VW, CB)                                                   \
    }

#define CNNREF_DEFINE_DX_GATHER(NAME, ATTR, T, V, VW)                                            \
    ATTR static void NAME(const T *dout, ptrdiff_t Ho, ptrdiff_t Wo, ptrdiff_t F, const T *w,   \
                          T *dx, ptrdiff_t H, ptrdiff_t W, ptrdiff_t C, ptrdiff_t KH,           \
                          ptrdiff_t KW, ptrdiff_t pad)                                          \
    {                                                                                           \
        for (ptrdiff_t r = 0; r < H; r++) {                                                     \
            /* kernel rows k1 with 0 <= r + p - k1 < Ho */                                      \
            const ptrdiff_t k1lo = r + pad - Ho + 1 > 0 ? r + pad - Ho + 1 : 0;                 \
            const ptrdiff_t k1hi = r + pad + 1 < KH ? r + pad + 1 : KH;                         \
            for (ptrdiff_t c0 = 0; c0 < C;) {                                                   \
                switch (C - c0 >= 4 ? 4 : C - c0) {                                             \
                case 4:                                                                         \
                    CNNREF_GATHER_ROW(T, V, VW, 3, 4)                                           \
                    c0 += 4;                                                                    \
                    break;                                                                      \
                case 3:                                                                         \
                    CNNREF_GATHER_ROW(T, V, VW, 4, 3)                                           \
                    c0 += 3;                                                                    \
                    break;                                                                      \
                case 2:                                                                         \
                    CNNREF_GATHER_ROW(T, V, VW, 6, 2)                                           \
                    c0 += 2;                                                                    \
                    break;                                                                      \
                default:                                                                        \
                    CNNREF_GATHER_ROW(T, V, VW, 8, 1)                                           \
                    c0 += 1;                                                                    \
                }                                                                               \
            }                                                                                   \
        }                                                                                       \
    }

/* Each kernel three times: an AVX-512 clone (vectors of 16 floats or 8 doubles), an AVX2 + FMA
 * clone (8 floats or 4 doubles; function-level target attributes) and the baseline x86-64 build,
 * picked at run time. */
#define CNNREF_DEFINE_ALL(SUFFIX, ATTR, VF, WF, VD, WD)                                          \
    CNNREF_DEFINE_DIRECT(cnnref_direct_f_##SUFFIX, ATTR, float, VF, WF)                          \
    CNNREF_DEFINE_DIRECT(cnnref_direct_d_##SUFFIX, ATTR, double, VD, WD)                         \
    CNNREF_DEFINE_DW(cnnref_dw_f_##SUFFIX, ATTR, float, VF, WF)                                  \
    CNNREF_DEFINE_DW(cnnref_dw_d_##SUFFIX, ATTR, double, VD, WD)                                 \
    CNNREF_DEFINE_DX(cnnref_dx_f_##SUFFIX, ATTR, float, VF, WF)                                  \
    CNNREF_DEFINE_DX(cnnref_dx_d_##SUFFIX, ATTR, double, VD, WD)

/* The gather kernel has no AVX-512 clone: its lane sums per dx value cost more at 16 lanes than
 * the wider multiply-adds save (measured on the seed network's conv1). */
#define CNNREF_DEFINE_GATHER(SUFFIX, ATTR)                                                       \
    CNNREF_DEFINE_DX_GATHER(cnnref_dx_gather_f_##SUFFIX, ATTR, float, cnnref_v8sf, 8)             \
    CNNREF_DEFINE_DX_GATHER(cnnref_dx_gather_d_##SUFFIX, ATTR, double, cnnref_v4df, 4)

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#define CNNREF_HAVE_AVX2_CLONE 1
CNNREF_DEFINE_ALL(avx512, __attribute__((target("avx512f,avx512vl,avx2,fma"))), cnnref_v16sf, 16,
                  cnnref_v8df, 8)
CNNREF_DEFINE_ALL(avx2, __attribute__((target("avx2,fma"))), cnnref_v8sf, 8, cnnref_v4df, 4)
CNNREF_DEFINE_GATHER(avx2, __attribute__((target("avx2,fma"))))
#endif
CNNREF_DEFINE_ALL(base, , cnnref_v8sf, 8, cnnref_v4df, 4)
CNNREF_DEFINE_GATHER(base, )

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

/* 1 where the AVX-512 clone may run (AVX-512 F and VL, enabled by the OS) and the environment
 * variable CNNREF_SIMD is not "avx2" (which keeps the AVX2 clone, to compare the two), checked
 * once. */
static int cnnref_use_avx512(void)
{
#ifdef CNNREF_HAVE_AVX2_CLONE
    static int checked = -1;
    if (checked < 0) {
        const char *cap = getenv("CNNREF_SIMD");
        __builtin_cpu_init();
        checked = cnnref_use_avx2() && __builtin_cpu_supports("avx512f") &&
                  __builtin_cpu_supports("avx512vl") && !(cap && strcmp(cap, "avx2") == 0);
    }
    return checked;
#else
    return 0;
#endif
}

/* The clone to run: AVX-512 where the CPU has it and the vectorized channel count CHANNELS is a
 * multiple of BLOCK (the AVX-512 kernel's channels per block), else AVX2, else the baseline. */
#ifdef CNNREF_HAVE_AVX2_CLONE
#define CNNREF_PICK_AVX2(KERNEL, ARGS)                                                           \
    if (cnnref_use_avx2()) {                                                                    \
        KERNEL##_avx2 ARGS;                                                                     \
        return;                                                                                 \
    }                                                                                           \
    KERNEL##_base ARGS;
#define CNNREF_PICK(KERNEL, ARGS, CHANNELS, BLOCK)                                               \
    if ((CHANNELS) % (BLOCK) == 0 && cnnref_use_avx512()) {                                     \
        KERNEL##_avx512 ARGS;                                                                   \
        return;                                                                                 \
    }                                                                                           \
    CNNREF_PICK_AVX2(KERNEL, ARGS)
#else
#define CNNREF_PICK_AVX2(KERNEL, ARGS) KERNEL##_base ARGS;
#define CNNREF_PICK(KERNEL, ARGS, CHANNELS, BLOCK) KERNEL##_base ARGS;
#endif

/* An AVX-512 vector of T: 16 floats or 8 doubles. */
#define CNNREF_WIDE(T) ((ptrdiff_t)(64 / sizeof(T)))

#define CNNREF_DEFINE_FORWARD_ENTRY(NAME, KERNEL, T)                                             \
    static void NAME(const T *x, ptrdiff_t Wp, ptrdiff_t C, const T *w, const T *bias, T *out,  \
                     ptrdiff_t Ho, ptrdiff_t Wo, ptrdiff_t KH, ptrdiff_t KW, ptrdiff_t stride,  \
                     ptrdiff_t F, int relu)                                                     \
    {                                                                                           \
        CNNREF_PICK(KERNEL, (x, Wp, C, w, bias, out, Ho, Wo, KH, KW, stride, F, relu), F,      \
                    CNNREF_WIDE(T))                                                       \
    }

#define CNNREF_DEFINE_FILTER_ENTRY(NAME, KERNEL, T)                                              \
    static void NAME(const T *x, ptrdiff_t Wp, ptrdiff_t C, const T *dout, T *dw, ptrdiff_t Ho, \
                     ptrdiff_t Wo, ptrdiff_t KH, ptrdiff_t KW, ptrdiff_t stride, ptrdiff_t F)   \
    {                                                                                           \
        CNNREF_PICK(KERNEL, (x, Wp, C, dout, dw, Ho, Wo, KH, KW, stride, F), F,                \
                    CNNREF_WIDE(T))                                                       \
    }

#define CNNREF_DEFINE_INPUT_ENTRY(NAME, KERNEL, T)                                               \
    static void NAME(const T *dout, ptrdiff_t Ho, ptrdiff_t Wo, ptrdiff_t F, const T *wt, T *dx, \
                     ptrdiff_t H, ptrdiff_t W, ptrdiff_t C, ptrdiff_t KH, ptrdiff_t KW,         \
                     ptrdiff_t stride, ptrdiff_t pad)                                           \
    {                                                                                           \
        CNNREF_PICK(KERNEL, (dout, Ho, Wo, F, wt, dx, H, W, C, KH, KW, stride, pad), C,        \
                    CNNREF_WIDE(T))                                                       \
    }

#define CNNREF_DEFINE_GATHER_ENTRY(NAME, KERNEL, T)                                              \
    static void NAME(const T *dout, ptrdiff_t Ho, ptrdiff_t Wo, ptrdiff_t F, const T *w, T *dx,  \
                     ptrdiff_t H, ptrdiff_t W, ptrdiff_t C, ptrdiff_t KH, ptrdiff_t KW,         \
                     ptrdiff_t pad)                                                             \
    {                                                                                           \
        CNNREF_PICK_AVX2(KERNEL, (dout, Ho, Wo, F, w, dx, H, W, C, KH, KW, pad))               \
    }

CNNREF_DEFINE_FORWARD_ENTRY(cnnref_direct_conv_f, cnnref_direct_f, float)
CNNREF_DEFINE_FORWARD_ENTRY(cnnref_direct_conv_d, cnnref_direct_d, double)
CNNREF_DEFINE_FILTER_ENTRY(cnnref_filter_gradient_f, cnnref_dw_f, float)
CNNREF_DEFINE_FILTER_ENTRY(cnnref_filter_gradient_d, cnnref_dw_d, double)
CNNREF_DEFINE_INPUT_ENTRY(cnnref_input_gradient_f, cnnref_dx_f, float)
CNNREF_DEFINE_INPUT_ENTRY(cnnref_input_gradient_d, cnnref_dx_d, double)
CNNREF_DEFINE_GATHER_ENTRY(cnnref_input_gradient_gather_f, cnnref_dx_gather_f, float)
CNNREF_DEFINE_GATHER_ENTRY(cnnref_input_gradient_gather_d, cnnref_dx_gather_d, double)

#endif
