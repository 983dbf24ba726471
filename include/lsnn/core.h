/* lsnn/core.h - numeric type and random numbers.
 *
 * lsnn_real is float (the product) or double when LSNN_REAL_DOUBLE is defined (the library is
 * built a second time that way for the gradient checks against finite differences). */
#ifndef LSNN_CORE_H
#define LSNN_CORE_H

#include <stddef.h>
#include <stdint.h>

#ifdef LSNN_REAL_DOUBLE
typedef double lsnn_real;
#define LSNN_REAL_IS_DOUBLE 1
#else
typedef float lsnn_real;
#define LSNN_REAL_IS_DOUBLE 0
#endif

/* xoshiro256** generator (Blackman & Vigna), seeded through splitmix64. One generator per
 * independent stream; streams are derived from (seed, purpose, index) with lsnn_rng_derive so that
 * results do not depend on the number of threads. */
typedef struct lsnn_rng {
    uint64_t s[4];
} lsnn_rng;

void lsnn_rng_seed(lsnn_rng *r, uint64_t seed);
/* A generator for stream (a, b, c) of `seed`: independent of any other triple. */
void lsnn_rng_derive(lsnn_rng *r, uint64_t seed, uint64_t a, uint64_t b, uint64_t c);
uint64_t lsnn_rng_u64(lsnn_rng *r);
/* Uniform in [0, 1) with 53 random bits. */
double lsnn_rng_uniform(lsnn_rng *r);
/* Uniform integer in [0, n). */
uint64_t lsnn_rng_below(lsnn_rng *r, uint64_t n);
/* Standard normal (Box-Muller, no cached second value so the stream is position-independent). */
double lsnn_rng_normal(lsnn_rng *r);

/* Counter-based draws: a pure function of the key, used where a value must be regenerated
 * identically later (current noise recomputed during the backward pass). */
uint64_t lsnn_hash4(uint64_t a, uint64_t b, uint64_t c, uint64_t d);
/* Standard normal from a 4-word key (Box-Muller). */
double lsnn_hash_normal(uint64_t a, uint64_t b, uint64_t c, uint64_t d);
/* The same split for loops over d with a, b, c fixed: key3 = lsnn_hash_key3(a, b, c) once, then
 * lsnn_hash_normal_at(key3, d) == lsnn_hash_normal(a, b, c, d) exactly. */
uint64_t lsnn_hash_key3(uint64_t a, uint64_t b, uint64_t c);
double lsnn_hash_normal_at(uint64_t key3, uint64_t d);
/* Another standard normal of the same key (not the same value): the ziggurat method, about a
 * fifth of Box-Muller's cost (no log or cos for 99% of the draws). network.noise_draw. */
double lsnn_hash_normal_zig(uint64_t key3, uint64_t d);

#endif
