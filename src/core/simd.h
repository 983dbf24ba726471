/* Run-time choice of AVX2 variants for the per-step loops (src/neuron/lif_alif.c,
 * src/learn/bptt.c). Internal.
 *
 * The library is compiled for the x86-64 baseline (SSE2). A few hot loops also exist as AVX2
 * variants (GCC target attributes), chosen on CPUs that have AVX2:
 *   LSNN_AVX2_CLONES  before a loop function: GCC compiles it twice (target_clones) and the
 *                     dynamic loader picks one (an ifunc);
 *   LSNN_X86_DISPATCH 1 where hand-written AVX2 variants (with lsnn__have_avx2() to choose) can
 *                     be compiled.
 * Only the wider registers are used: FMA is not enabled (and -std=c11 keeps a * b + c as two
 * roundings), and every variant computes each element with the same operations in the same
 * order (no horizontal sums), so results do not depend on the CPU. Defining LSNN_NO_SIMD_DISPATCH
 * (or another compiler or target) leaves the baseline code only. */
#ifndef LSNN_CORE_SIMD_H
#define LSNN_CORE_SIMD_H

#include "lsnn/core.h"

#if defined(__GNUC__) && defined(__x86_64__) && defined(__linux__) && !defined(LSNN_NO_SIMD_DISPATCH)
#define LSNN_X86_DISPATCH 1
#include <immintrin.h>
static inline int lsnn__have_avx2(void)
{
    return __builtin_cpu_supports("avx2");
}
/* One AVX register of lsnn_real, for functions with __attribute__((target("avx2"))). */
#if LSNN_REAL_IS_DOUBLE
#define LSNN__VL 4
typedef __m256d lsnn__v;
#define LSNN__V_SET1 _mm256_set1_pd
#define LSNN__V_LOAD _mm256_loadu_pd
#define LSNN__V_STORE _mm256_storeu_pd
#define LSNN__V_ADD _mm256_add_pd
#define LSNN__V_MUL _mm256_mul_pd
#define LSNN__V_ZERO _mm256_setzero_pd
#else
#define LSNN__VL 8
typedef __m256 lsnn__v;
#define LSNN__V_SET1 _mm256_set1_ps
#define LSNN__V_LOAD _mm256_loadu_ps
#define LSNN__V_STORE _mm256_storeu_ps
#define LSNN__V_ADD _mm256_add_ps
#define LSNN__V_MUL _mm256_mul_ps
#define LSNN__V_ZERO _mm256_setzero_ps
#endif
#if !defined(__clang__)
#define LSNN_AVX2_CLONES __attribute__((target_clones("avx2", "default")))
#endif
#else
#define LSNN_X86_DISPATCH 0
#endif

#ifndef LSNN_AVX2_CLONES
#define LSNN_AVX2_CLONES
#endif

#endif
