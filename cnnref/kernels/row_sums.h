/* The inner loop of sum_rows (cnnref/kernels/dense.pyx): one run of consecutive rows of an
   (rows, cols) array added into cols double-precision totals,

       total[m] += delta[n, m]   for first <= n < last, row by row (memory order),

   so each total sums its column in row order, starting from the value it holds. Written in C for
   what Cython cannot say: the arrays do not overlap (restrict), and a block of 16 columns keeps
   its totals in registers across the rows instead of storing and reloading them at every row
   (the chain through memory made the seed network's conv1 bias gradient, 50,176 rows of 16,
   take 0.28 ms). The order of the additions is the same either way, so are the bits. */

#ifndef CNNREF_ROW_SUMS_H
#define CNNREF_ROW_SUMS_H

#include <stddef.h>

/* Compiled twice where the toolchain picks a clone at load time (GCC or clang on x86 Linux): for
   AVX2, whose wider conversions and adds take the block in fewer instructions, and for the
   baseline x86-64. */
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__)) && defined(__linux__)
#define CNNREF_ROW_SUMS_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define CNNREF_ROW_SUMS_CLONES
#endif

#define CNNREF_ROW_BLOCK 16

#define CNNREF_DEFINE_ADD_ROWS(NAME, T)                                                           \
    CNNREF_ROW_SUMS_CLONES static void NAME(const T *restrict delta, ptrdiff_t first,            \
                                            ptrdiff_t last, ptrdiff_t cols,                      \
                                            double *restrict total) {                            \
        ptrdiff_t m0 = 0;                                                                         \
        for (; m0 + CNNREF_ROW_BLOCK <= cols; m0 += CNNREF_ROW_BLOCK) {                           \
            double acc[CNNREF_ROW_BLOCK];                                                         \
            for (int k = 0; k < CNNREF_ROW_BLOCK; k++)                                            \
                acc[k] = total[m0 + k];                                                           \
            for (ptrdiff_t n = first; n < last; n++) {                                            \
                const T *restrict row = delta + n * cols + m0;                                    \
                for (int k = 0; k < CNNREF_ROW_BLOCK; k++)                                        \
                    acc[k] += row[k];                                                             \
            }                                                                                     \
            for (int k = 0; k < CNNREF_ROW_BLOCK; k++)                                            \
                total[m0 + k] = acc[k];                                                           \
        }                                                                                         \
        for (ptrdiff_t m = m0; m < cols; m++) {                                                   \
            double sum = total[m];                                                                \
            for (ptrdiff_t n = first; n < last; n++)                                              \
                sum += delta[n * cols + m];                                                       \
            total[m] = sum;                                                                       \
        }                                                                                         \
    }

CNNREF_DEFINE_ADD_ROWS(cnnref_add_rows_f, float)
CNNREF_DEFINE_ADD_ROWS(cnnref_add_rows_d, double)

#endif
