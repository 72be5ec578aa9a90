/* The inner loop of the 2 × 2 max-pool's backward pass (cnnref/kernels/pool.pyx), across the C
   channels of one window, given the winners' offsets k (0: top-left, 1: top-right, 2: bottom-left,
   3: bottom-right):

       d = dout[c] · σ′(z at the winner)   (kind 0: d = dout[c]; 1 relu, 2 sigmoid, 3 tanh)
       dx[element k of the window, c] = d, the window's three other elements 0

   z at the winner is the pooled value p[c] (the forward pass copied it there, bit for bit): where
   the caller kept p it is read from p, a quarter of z's memory; else from z, selected by masks.

   σ′ in terms of z, rounded to the dtype as cnnref's activation kernels compute it. Written in C
   for what Cython cannot say, so that the loop vectorises instead of branching on random offsets:
   the arrays do not overlap (restrict), every load is unconditional, and every choice is a bit
   mask on the values' bits. (Selects written as ?: let the compiler turn them back into branches,
   and multiplying by an indicator instead would turn ∞ into NaN and -0 into 0: the winner's
   value is copied as it is.) Returns how many offsets exceed 3; those windows get 0 throughout,
   and the caller raises. */

#ifndef CNNREF_POOL_WINDOW_H
#define CNNREF_POOL_WINDOW_H

#include <stdint.h>
#include <string.h>

/* The winners' loop compiled twice where the toolchain can pick a clone at load time (GCC or clang
   on x86 Linux: an ifunc): for AVX2, whose wider compares and packs its masks vectorise to (twice
   as fast in float64 as the baseline build), and for the baseline x86-64. The backward loops are
   not cloned: their AVX2 build was slower than the baseline one. */
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__)) && defined(__linux__)
#define CNNREF_POOL_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define CNNREF_POOL_CLONES
#endif

/* The tie rule as C expressions, so that compilers use compare masks, blends and setcc instead
   of branches (which mispredict on random data). BEATS: a later candidate replaces the current
   maximum best (pool.pyx's general window loop). LARGER: the new maximum (this form vectorises
   over channels). MATCH_MASK below finds the 2 × 2 windows' winners by the same rule. */
#define CNNREF_BEATS(candidate, best) \
    (((candidate) > (best)) | (((candidate) != (candidate)) & ((best) == (best))))
#define CNNREF_LARGER(candidate, best) \
    (((candidate) > (best) || ((candidate) != (candidate) && (best) == (best))) ? (candidate) \
                                                                               : (best))

/* A value's bits and back (memcpy is the defined way; compilers emit no copy). */
static inline uint32_t cnnref_bits_f(float v) { uint32_t b; memcpy(&b, &v, sizeof b); return b; }
static inline float cnnref_value_f(uint32_t b) { float v; memcpy(&v, &b, sizeof v); return v; }
static inline uint64_t cnnref_bits_d(double v) { uint64_t b; memcpy(&b, &v, sizeof b); return b; }
static inline double cnnref_value_d(uint64_t b) { double v; memcpy(&v, &b, sizeof v); return v; }

/* σ′(z) of each kind, with the same roundings as the Cython kernels (1.0 − … in double, then
   rounded to T); relu's step u(z) as a mask on 1's bits; kind 0: no activation, times 1. */
#define CNNREF_SLOPE_NONE(T, U, S, z) ((T)1)
#define CNNREF_SLOPE_RELU(T, U, S, z) cnnref_value_##S(-(U)((z) > 0) & cnnref_bits_##S((T)1))
#define CNNREF_SLOPE_SIGMOID(T, U, S, z) ((T)((z) * (1.0 - (z))))
#define CNNREF_SLOPE_TANH(T, U, S, z) ((T)(1.0 - (z) * (z)))

/* z at the winner of channel c of window (i, j): from z's top and bottom rows zt/zb by the masks
   m0…m3, or the pooled value there. */
#define CNNREF_WINNER_FROM_Z(S, c)                                                                 \
    cnnref_value_##S((cnnref_bits_##S(zt[c]) & m0) | (cnnref_bits_##S(zt[C + c]) & m1)            \
                     | (cnnref_bits_##S(zb[c]) & m2) | (cnnref_bits_##S(zb[C + c]) & m3))
#define CNNREF_WINNER_FROM_POOLED(S, c) (pooled[(i * Wo + j) * C + (c)])

/* T the float type, U the unsigned integer of its size, S its suffix (f, d), OFFSET the winners';
   one window's channels: g, w its dout and offsets, zt/zb and dt/db its top and bottom rows. */
#define CNNREF_WINDOW_LOOP(T, U, S, OFFSET, SLOPE, WINNER)                                        \
    for (Py_ssize_t c = 0; c < C; c++) {                                                          \
        OFFSET k = w[c];                                                                          \
        U m0 = -(U)(k == 0), m1 = -(U)(k == 1), m2 = -(U)(k == 2), m3 = -(U)(k == 3);             \
        T at = WINNER(S, c);                                                                      \
        U d = cnnref_bits_##S(g[c] * SLOPE(T, U, S, at));                                        \
        (void)at;                                                                                 \
        dt[c] = cnnref_value_##S(d & m0);                                                         \
        dt[C + c] = cnnref_value_##S(d & m1);                                                     \
        db[c] = cnnref_value_##S(d & m2);                                                         \
        db[C + c] = cnnref_value_##S(d & m3);                                                     \
        bad += k > 3;                                                                             \
    }

/* The forward pass of one image's 2 × 2 windows at stride 2, x (H, W, C) to out (Ho, Wo, C) and,
   in the second form, to winners: out[c] = the maximum of the window's four elements top[c],
   top[C + c], top[row + c], top[row + C + c] (LARGER, in that order), winner[c] = the offset
   (0…3, row-major) of the first of them that matches it. MATCH_MASK: v equals the maximum, NaN
   matching NaN (the tie rule of pool.pyx: the first match is the winner), as a mask on U so that
   the loops over the channels vectorise (the maxima first, then the winners: in one loop the
   compiler branched, and so it did with one function testing for winners at each window). One
   call per image, not per window: the call through the clone's resolver cost more than a
   window's 16 channels. */
#define CNNREF_MATCH_MASK(U, v, b) (-(U)(((v) == (b)) | (((v) != (v)) & ((b) != (b)))))
#define CNNREF_MAXIMA_2X2(T)                                                                      \
    for (Py_ssize_t c = 0; c < C; c++) {                                                          \
        T b = CNNREF_LARGER(top[C + c], top[c]);                                                  \
        b = CNNREF_LARGER(top[row + c], b);                                                       \
        best[c] = CNNREF_LARGER(top[row + C + c], b);                                             \
    }
#define CNNREF_WINNERS_2X2(T, U)                                                                  \
    unsigned char *restrict winner = winners + (i * Wo + j) * C;                                  \
    for (Py_ssize_t c = 0; c < C; c++) {                                                          \
        const T b = best[c];                                                                      \
        const U after0 = ~CNNREF_MATCH_MASK(U, top[c], b);                                        \
        const U after1 = after0 & ~CNNREF_MATCH_MASK(U, top[C + c], b);                           \
        const U after2 = after1 & ~CNNREF_MATCH_MASK(U, top[row + c], b);                         \
        winner[c] = (unsigned char)((after0 & 1) + (after1 & 1) + (after2 & 1));                  \
    }
#define CNNREF_WINDOWS_2X2(T, BODY)                                                               \
    const Py_ssize_t row = W * C;                                                                 \
    for (Py_ssize_t i = 0; i < Ho; i++) {                                                         \
        for (Py_ssize_t j = 0; j < Wo; j++) {                                                     \
            const T *restrict top = x + (2 * i * W + 2 * j) * C;                                  \
            T *restrict best = out + (i * Wo + j) * C;                                            \
            BODY                                                                                  \
        }                                                                                         \
    }
#define CNNREF_MAX_2X2_IMAGE(NAME, T)                                                             \
    CNNREF_POOL_CLONES static void NAME(const T *restrict x, T *restrict out, Py_ssize_t W,      \
                                        Py_ssize_t C, Py_ssize_t Ho, Py_ssize_t Wo) {            \
        CNNREF_WINDOWS_2X2(T, CNNREF_MAXIMA_2X2(T))                                               \
    }
#define CNNREF_WINNERS_2X2_IMAGE(NAME, T, U)                                                      \
    CNNREF_POOL_CLONES static void NAME(const T *restrict x, T *restrict out,                    \
                                        unsigned char *restrict winners, Py_ssize_t W,           \
                                        Py_ssize_t C, Py_ssize_t Ho, Py_ssize_t Wo) {            \
        CNNREF_WINDOWS_2X2(T, CNNREF_MAXIMA_2X2(T) CNNREF_WINNERS_2X2(T, U))                      \
    }

CNNREF_MAX_2X2_IMAGE(cnnref_max_2x2_image_f, float)
CNNREF_MAX_2X2_IMAGE(cnnref_max_2x2_image_d, double)
CNNREF_WINNERS_2X2_IMAGE(cnnref_winners_2x2_image_f, float, uint32_t)
CNNREF_WINNERS_2X2_IMAGE(cnnref_winners_2x2_image_d, double, uint64_t)

/* The image loop for σ′ of the kernel's kind, z at the winners found by WINNER. */
#define CNNREF_BY_KIND(T, U, S, OFFSET, WINNER)                                                   \
    switch (kind) {                                                                               \
    case 1: CNNREF_IMAGE_LOOP(T, U, S, OFFSET, CNNREF_SLOPE_RELU, WINNER) break;                  \
    case 2: CNNREF_IMAGE_LOOP(T, U, S, OFFSET, CNNREF_SLOPE_SIGMOID, WINNER) break;               \
    case 3: CNNREF_IMAGE_LOOP(T, U, S, OFFSET, CNNREF_SLOPE_TANH, WINNER) break;                  \
    default: CNNREF_IMAGE_LOOP(T, U, S, OFFSET, CNNREF_SLOPE_NONE, WINNER) break;                 \
    }

/* One image: dout, winners, pooled (Ho, Wo, C) and z, dx (H, W, C), the last row and column of
   dx set to 0 where no window covers them (odd H or W); pooled may be NULL (σ′ read from z). */
#define CNNREF_BACKWARD_2X2_IMAGE(NAME, T, U, S, OFFSET)                                          \
    static Py_ssize_t NAME(const T *restrict dout, const OFFSET *restrict winners,               \
                           const T *restrict z, const T *restrict pooled, T *restrict dx,       \
                           Py_ssize_t H, Py_ssize_t W, Py_ssize_t C, Py_ssize_t Ho,             \
                           Py_ssize_t Wo, int kind) {                                           \
        Py_ssize_t bad = 0;                                                                       \
        if (pooled == NULL)                                                                       \
            CNNREF_BY_KIND(T, U, S, OFFSET, CNNREF_WINNER_FROM_Z)                                 \
        else                                                                                      \
            CNNREF_BY_KIND(T, U, S, OFFSET, CNNREF_WINNER_FROM_POOLED)                            \
        for (Py_ssize_t i = 0; i < Ho && W > 2 * Wo; i++) {                                       \
            memset(dx + (2 * i * W + 2 * Wo) * C, 0, C * sizeof(T));                              \
            memset(dx + ((2 * i + 1) * W + 2 * Wo) * C, 0, C * sizeof(T));                        \
        }                                                                                         \
        if (H > 2 * Ho)                                                                           \
            memset(dx + 2 * Ho * W * C, 0, W * C * sizeof(T));                                    \
        return bad;                                                                               \
    }

#define CNNREF_IMAGE_LOOP(T, U, S, OFFSET, SLOPE, WINNER)                                         \
    for (Py_ssize_t i = 0; i < Ho; i++) {                                                         \
        for (Py_ssize_t j = 0; j < Wo; j++) {                                                     \
            const T *restrict g = dout + (i * Wo + j) * C;                                        \
            const OFFSET *restrict w = winners + (i * Wo + j) * C;                                \
            const T *restrict zt = z + (2 * i * W + 2 * j) * C, *restrict zb = zt + W * C;        \
            T *restrict dt = dx + (2 * i * W + 2 * j) * C, *restrict db = dt + W * C;             \
            (void)zb; /* unused where WINNER reads the pooled values */                           \
            CNNREF_WINDOW_LOOP(T, U, S, OFFSET, SLOPE, WINNER)                                    \
        }                                                                                         \
    }

CNNREF_BACKWARD_2X2_IMAGE(cnnref_backward_2x2_image_f_u8, float, uint32_t, f, unsigned char)
CNNREF_BACKWARD_2X2_IMAGE(cnnref_backward_2x2_image_f_u32, float, uint32_t, f, unsigned int)
CNNREF_BACKWARD_2X2_IMAGE(cnnref_backward_2x2_image_d_u8, double, uint64_t, d, unsigned char)
CNNREF_BACKWARD_2X2_IMAGE(cnnref_backward_2x2_image_d_u32, double, uint64_t, d, unsigned int)

#endif
