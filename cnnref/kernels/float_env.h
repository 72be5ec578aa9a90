/* Subnormal numbers flushed to zero for the duration of a kernel's loop, on the thread that runs
 * it: the SSE control register's FTZ (results below the smallest normal number become 0) and DAZ
 * (such inputs are read as 0) bits. On x86 a multiply-add that meets a subnormal operand or
 * result takes a microcode assist of about a hundred cycles, so a training step whose gradients
 * have become tiny (a network that has fit its batch) would otherwise run an order of magnitude
 * slower. Every value this changes is below 1.2e-38 (float32) or 2.2e-308 (float64) in size.
 * The previous register is restored when the loop ends, so the caller's own arithmetic keeps
 * IEEE subnormals. Elsewhere than x86 both calls do nothing. */
#ifndef CNNREF_FLOAT_ENV_H
#define CNNREF_FLOAT_ENV_H

#if defined(__SSE2__) || defined(__x86_64__)
#include <xmmintrin.h>
#define CNNREF_FTZ_DAZ 0x8040u

static inline unsigned int cnnref_flush_subnormals(void)
{
    const unsigned int saved = _mm_getcsr();
    _mm_setcsr(saved | CNNREF_FTZ_DAZ);
    return saved;
}

static inline void cnnref_restore_float_env(unsigned int saved) { _mm_setcsr(saved); }
#else
static inline unsigned int cnnref_flush_subnormals(void) { return 0; }
static inline void cnnref_restore_float_env(unsigned int saved) { (void)saved; }
#endif

#endif
