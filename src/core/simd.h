/* Run-time choice of AVX2 variants for the per-step loops (src/neuron/lif_alif.c,
 * src/learn/bptt.c). Internal.
 *
 * The library is compiled for the x86-64 baseline (SSE2). A few hot loops also exist as AVX2
 * variants (GCC target attributes), chosen on CPUs that have AVX2:
 *   LSNN_X86_DISPATCH    1 where AVX2 variants can be compiled;
 *   lsnn__have_avx2()    whether to take them: the CPU has AVX2 and the baseline is not forced
 *                        (lsnn__simd_force_baseline); 0 where LSNN_X86_DISPATCH is 0;
 *   LSNN_SIMD_VARIANTS   compiles a loop body (a LSNN_SIMD_BODY function name##_body) twice, as
 *                        name##_base and, where LSNN_X86_DISPATCH, name##_avx2 (target "avx2");
 *   LSNN_SIMD_CALL       calls one of them, chosen once per call (never inside the loop);
 *   hand-written AVX2 functions test lsnn__have_avx2() themselves (bptt.c);
 *   LSNN_AVX2_CLONES     before a loop function: GCC compiles it twice (target_clones) and the
 *                        dynamic loader picks one (an ifunc); lsnn__simd_force_baseline cannot
 *                        switch it (still used by src/learn/eprop.c).
 * Only the wider registers are used: FMA is not enabled (and -std=c11 keeps a * b + c as two
 * roundings), and every variant computes each element with the same operations in the same
 * order (no horizontal sums), so results do not depend on the CPU. Defining LSNN_NO_SIMD_DISPATCH
 * (or another compiler or target) leaves the baseline code only. */
#ifndef LSNN_CORE_SIMD_H
#define LSNN_CORE_SIMD_H

#include "lsnn/core.h"

/* For tests only (tests/test_simd.c): on != 0 makes lsnn__have_avx2() answer 0, so that every
 * variant chosen through it runs its baseline code; 0 restores the CPU's choice. Call it only
 * while no simulation runs. Defined in every build (a no-op without LSNN_X86_DISPATCH). */
void lsnn__simd_force_baseline(int on);
extern int lsnn__simd_baseline_forced;

/* The variants are kept out of line (as target_clones would): inlined into a caller whose
 * pointers are not restrict, GCC stops vectorising some of the loops. */
#if defined(__GNUC__)
#define LSNN_SIMD_BODY static inline __attribute__((always_inline))
#define LSNN__SIMD_NOINLINE __attribute__((noinline))
#else
#define LSNN_SIMD_BODY static inline
#define LSNN__SIMD_NOINLINE
#endif

#if defined(__GNUC__) && defined(__x86_64__) && defined(__linux__) &&                             \
    !defined(LSNN_NO_SIMD_DISPATCH)
#define LSNN_X86_DISPATCH 1
#include <immintrin.h>
static inline int lsnn__have_avx2(void)
{
    return !lsnn__simd_baseline_forced && __builtin_cpu_supports("avx2");
}
#define LSNN_SIMD_VARIANTS(name, params, args)                                                    \
    LSNN__SIMD_NOINLINE static void name##_base params { name##_body args; }                      \
    __attribute__((target("avx2"))) LSNN__SIMD_NOINLINE static void name##_avx2 params            \
    {                                                                                             \
        name##_body args;                                                                         \
    }
#define LSNN_SIMD_CALL(name, args) (lsnn__have_avx2() ? name##_avx2 args : name##_base args)
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
static inline int lsnn__have_avx2(void)
{
    return 0;
}
#define LSNN_SIMD_VARIANTS(name, params, args)                                                    \
    LSNN__SIMD_NOINLINE static void name##_base params { name##_body args; }
#define LSNN_SIMD_CALL(name, args) name##_base args
#endif

#ifndef LSNN_AVX2_CLONES
#define LSNN_AVX2_CLONES
#endif

#endif
