/* The SIMD micro-kernels of the NHWC convolution, one image each: the forward pass with the bias
 * and relu fused into the store, the filter gradient and the input gradient.
 *
 *   out[i, j, f] = act(b[f] + sum_{k1 < KH} sum_{t < KW*C} x[i*s + k1, j*s*C + t] * w[k1, t, f])
 *
 * with x one image of Hp x Wp pixels (already zero padded) stored as rows of Wp*C values, w the
 * (KH, KW, C, F) filters read as (KH, KW*C, F), and t = k2*C + c: for a fixed kernel row k1 the
 * KW*C values a window reads form one contiguous run of x, and the filter rows w[k1, t, :] one
 * contiguous block. Each kernel keeps a block of up to 6 rows (output pixels or taps) x 2 vectors
 * (16 floats or 8 doubles of filters or channels) in 12 accumulators, which stay in registers:
 * each step loads 2 vectors and broadcasts 6 scalars. Vectors are GCC's generic vector
 * extensions; the file is compiled twice, once for AVX2 + FMA (the function-level target
 * attribute) and once for the baseline x86-64, and the entry points pick the AVX2 one at run time
 * only where the CPU has AVX2 and FMA, so a build runs on any x86-64 CPU. The vectorized channel
 * count must be a multiple of 2 vectors.
 */
#ifndef CNNREF_DIRECT_CONV_H
#define CNNREF_DIRECT_CONV_H

#include <stddef.h>

typedef float cnnref_v8sf __attribute__((vector_size(32), aligned(4)));
typedef double cnnref_v4df __attribute__((vector_size(32), aligned(8)));
typedef float cnnref_v16sf __attribute__((vector_size(64), aligned(4)));
typedef double cnnref_v8df __attribute__((vector_size(64), aligned(8)));

/* The pieces every kernel's register block is made of. A block holds acc[Q][2]: Q rows (output
 * pixels or taps) x 2 vectors (of filters or channels). Q is a compile-time constant in every
 * expansion, so the compiler unrolls the q loops and keeps acc in registers. */
#define CNNREF_ACC_SET(V, Q, A0, A1)                                                             \
    V acc[Q][2];                                                                                \
    for (int q = 0; q < Q; q++) {                                                               \
        acc[q][0] = A0;                                                                         \
        acc[q][1] = A1;                                                                         \
    }

/* The accumulators of a block that sums from zero (the gradients). */
#define CNNREF_ACC_ZERO(V, Q) CNNREF_ACC_SET(V, Q, (V){0}, (V){0})

/* acc[q] += SRC(q) * (V0, V1) for every q: Q broadcasts against 2 vector loads. */
#define CNNREF_ACC_FMA(T, Q, SRC, V0, V1)                                                        \
    for (int q = 0; q < Q; q++) {                                                               \
        const T s_ = SRC;                                                                       \
        acc[q][0] += s_ * V0;                                                                   \
        acc[q][1] += s_ * V1;                                                                   \
    }

/* The 2 vectors at ADDR(q) += acc[q] for every q. */
#define CNNREF_ACC_ADD_TO(T, V, VW, Q, ADDR)                                                     \
    for (int q = 0; q < Q; q++) {                                                               \
        T *o_ = ADDR;                                                                           \
        *(V *)o_ = *(V *)o_ + acc[q][0];                                                        \
        *(V *)(o_ + VW) = *(V *)(o_ + VW) + acc[q][1];                                          \
    }

/* Rows J .. END - 1 in blocks of 6, then one of 4, then 2s and a 1. */
#define CNNREF_TILE(BLOCK, T, V, VW, J, END)                                                     \
    for (; J + 6 <= END; J += 6) BLOCK(T, V, VW, 6)                                             \
    if (J + 4 <= END) {                                                                         \
        BLOCK(T, V, VW, 4)                                                                      \
        J += 4;                                                                                 \
    }                                                                                           \
    for (; J + 2 <= END; J += 2) BLOCK(T, V, VW, 2)                                             \
    for (; J < END; J++) BLOCK(T, V, VW, 1)

/* Forward: Q consecutive output pixels j x 2 filter vectors, started at the bias; each tap loads
 * 2 filter vectors and broadcasts Q inputs. relu is a mask in the stores: 0 where r <= 0, else r,
 * so NaN passes, as in the relu kernel. */
#define CNNREF_FORWARD_BLOCK(T, V, VW, Q)                                                        \
    {                                                                                           \
        CNNREF_ACC_SET(V, Q, *(const V *)(bias + fb), *(const V *)(bias + fb + VW))             \
        for (ptrdiff_t k1 = 0; k1 < KH; k1++) {                                                 \
            const T *xr = x + ((i * stride + k1) * Wp + j * stride) * C;                        \
            const T *wr = w + k1 * run * F + fb;                                                \
            for (ptrdiff_t t = 0; t < run; t++) {                                               \
                const V w0 = *(const V *)(wr + t * F), w1 = *(const V *)(wr + t * F + VW);      \
                CNNREF_ACC_FMA(T, Q, xr[q * stride * C + t], w0, w1)                            \
            }                                                                                   \
        }                                                                                       \
        for (int q = 0; q < Q; q++) {                                                           \
            V r0 = acc[q][0], r1 = acc[q][1];                                                   \
            if (relu) {                                                                         \
                const V zero = {0};                                                             \
                const __typeof__(r0 <= zero) m0 = r0 <= zero, m1 = r1 <= zero;                  \
                r0 = (V)((__typeof__(m0))r0 & ~m0);                                             \
                r1 = (V)((__typeof__(m1))r1 & ~m1);                                             \
            }                                                                                   \
            T *o = out + (i * Wo + j + q) * F + fb;                                             \
            *(V *)o = r0;                                                                       \
            *(V *)(o + VW) = r1;                                                                \
        }                                                                                       \
    }

#define CNNREF_DEFINE_DIRECT(NAME, ATTR, T, V, VW)                                               \
    ATTR static void NAME(const T *x, ptrdiff_t Wp, ptrdiff_t C, const T *w, const T *bias,     \
                          T *out, ptrdiff_t Ho, ptrdiff_t Wo, ptrdiff_t KH, ptrdiff_t KW,       \
                          ptrdiff_t stride, ptrdiff_t F, int relu)                              \
    {                                                                                           \
        const ptrdiff_t run = KW * C;                                                           \
        for (ptrdiff_t i = 0; i < Ho; i++) {                                                    \
            for (ptrdiff_t fb = 0; fb < F; fb += 2 * VW) {                                      \
                ptrdiff_t j = 0;                                                                \
                CNNREF_TILE(CNNREF_FORWARD_BLOCK, T, V, VW, j, Wo)                              \
            }                                                                                   \
        }                                                                                       \
    }

/* The filter gradient of one image, accumulated:
 *
 *   dw[k1, t, f] += sum_{i < Ho} sum_{j < Wo} x[i*s + k1, j*s*C + t] * dout[i, j, f]
 *
 * (the adjoint of the forward kernel's sum). A block holds Q consecutive taps t x 2 filter
 * vectors; each output pixel loads its 2 vectors of dout and broadcasts the Q inputs of those
 * taps. The block is added to dw once per image. Where KW*C is a multiple of 5 but not of 6
 * (conv1: 15), the taps go 5 at a time, leaving no short blocks. */
#define CNNREF_FILTER_BLOCK(T, V, VW, Q)                                                         \
    {                                                                                           \
        CNNREF_ACC_ZERO(V, Q)                                                                   \
        for (ptrdiff_t i = 0; i < Ho; i++) {                                                    \
            const T *xr = x + (i * stride + k1) * Wp * C + t0;                                  \
            const T *dr = dout + i * Wo * F + fb;                                               \
            for (ptrdiff_t j = 0; j < Wo; j++) {                                                \
                const V d0 = *(const V *)(dr + j * F), d1 = *(const V *)(dr + j * F + VW);      \
                const T *xp = xr + j * stride * C;                                              \
                CNNREF_ACC_FMA(T, Q, xp[q], d0, d1)                                             \
            }                                                                                   \
        }                                                                                       \
        CNNREF_ACC_ADD_TO(T, V, VW, Q, dw + (k1 * run + t0 + q) * F + fb)                       \
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
                if (run % 6 != 0 && run % 5 == 0)                                               \
                    for (; t0 + 5 <= run; t0 += 5) CNNREF_FILTER_BLOCK(T, V, VW, 5)             \
                CNNREF_TILE(CNNREF_FILTER_BLOCK, T, V, VW, t0, run)                             \
            }                                                                                   \
        }                                                                                       \
    }

/* The input gradient of one image, in scatter form:
 *
 *   dx[i*s + k1 - p, j*s + k2 - p, c] += sum_{f < F} dout[i, j, f] * wt[k1, k2, f, c]
 *
 * for every i, j, k1, k2, with wt the filters transposed to (KH, KW, F, C) and dx one unpadded
 * image of H x W pixels, zeroed first. For each upstream row i and tap (k1, k2) only the pixels
 * j whose target lies inside the image are visited, so no multiply-add is spent on padding. A
 * block holds Q consecutive pixels j x 2 channel vectors: each filter f loads 2 vectors of wt and
 * broadcasts the Q values dout[i, j + q, f]; the block is then added to its Q targets. C must be
 * a multiple of 2 vectors. */
#define CNNREF_INPUT_BLOCK(T, V, VW, Q)                                                          \
    {                                                                                           \
        CNNREF_ACC_ZERO(V, Q)                                                                   \
        const T *dr = dout + (i * Wo + j) * F;                                                  \
        const T *wr = wt + (k1 * KW + k2) * F * C + cb;                                         \
        for (ptrdiff_t f = 0; f < F; f++) {                                                     \
            const V w0 = *(const V *)(wr + f * C), w1 = *(const V *)(wr + f * C + VW);          \
            CNNREF_ACC_FMA(T, Q, dr[q * F + f], w0, w1)                                         \
        }                                                                                       \
        CNNREF_ACC_ADD_TO(T, V, VW, Q, dx + (r * W + (j + q) * stride + k2 - pad) * C + cb)     \
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
                        CNNREF_TILE(CNNREF_INPUT_BLOCK, T, V, VW, j, hi)                        \
                    }                                                                           \
                }                                                                               \
            }                                                                                   \
        }                                                                                       \
    }

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
/* The sum of a vector's VW lanes as a tree of pairwise sums (halves first), not a chain. */
#define CNNREF_LANE_SUM4(A, L) (((A)[L] + (A)[L + 2]) + ((A)[L + 1] + (A)[L + 3]))
#define CNNREF_LANE_SUM8(A, L) (CNNREF_LANE_SUM4(A, L) + CNNREF_LANE_SUM4(A, L + 4))
#define CNNREF_LANE_SUM(A, VW)                                                                   \
    ((VW) == 16 ? CNNREF_LANE_SUM8(A, 0) + CNNREF_LANE_SUM8(A, 8)                                 \
     : (VW) == 8 ? CNNREF_LANE_SUM8(A, 0)                                                         \
                 : CNNREF_LANE_SUM4(A, 0))

#define CNNREF_GATHER_BLOCK(T, V, VW, Q, CB, K2LO, K2HI)                                         \
    {                                                                                           \
        V acc[Q][CB];                                                                           \
        for (int q = 0; q < Q; q++)                                                             \
            for (int cb = 0; cb < CB; cb++)                                                     \
                acc[q][cb] = (V){0};                                                            \
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

/* 1 where the AVX-512 clone may run (AVX-512 F and VL, enabled by the OS), checked once. */
static int cnnref_use_avx512(void)
{
#ifdef CNNREF_HAVE_AVX2_CLONE
    static int checked = -1;
    if (checked < 0) {
        __builtin_cpu_init();
        checked = cnnref_use_avx2() && __builtin_cpu_supports("avx512f") &&
                  __builtin_cpu_supports("avx512vl");
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
                    2 * CNNREF_WIDE(T))                                                   \
    }

#define CNNREF_DEFINE_FILTER_ENTRY(NAME, KERNEL, T)                                              \
    static void NAME(const T *x, ptrdiff_t Wp, ptrdiff_t C, const T *dout, T *dw, ptrdiff_t Ho, \
                     ptrdiff_t Wo, ptrdiff_t KH, ptrdiff_t KW, ptrdiff_t stride, ptrdiff_t F)   \
    {                                                                                           \
        CNNREF_PICK(KERNEL, (x, Wp, C, dout, dw, Ho, Wo, KH, KW, stride, F), F,                \
                    2 * CNNREF_WIDE(T))                                                   \
    }

#define CNNREF_DEFINE_INPUT_ENTRY(NAME, KERNEL, T)                                               \
    static void NAME(const T *dout, ptrdiff_t Ho, ptrdiff_t Wo, ptrdiff_t F, const T *wt, T *dx, \
                     ptrdiff_t H, ptrdiff_t W, ptrdiff_t C, ptrdiff_t KH, ptrdiff_t KW,         \
                     ptrdiff_t stride, ptrdiff_t pad)                                           \
    {                                                                                           \
        CNNREF_PICK(KERNEL, (dout, Ho, Wo, F, wt, dx, H, W, C, KH, KW, stride, pad), C,        \
                    2 * CNNREF_WIDE(T))                                                   \
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
