/* xoshiro256** inline, for the library's hot loops (task generators drawing input spikes per
 * channel and step): the same numbers as lsnn_rng_u64 and lsnn_rng_uniform (lsnn/core.h), which
 * call these, without a function call per draw. Internal. */
#ifndef LSNN_CORE_RNG_INLINE_H
#define LSNN_CORE_RNG_INLINE_H

#include <stdint.h>

#include "lsnn/core.h"

static inline uint64_t lsnn__rng_u64(lsnn_rng *r)
{
    uint64_t *s = r->s;
    const uint64_t x = s[1] * 5;
    const uint64_t result = ((x << 7) | (x >> 57)) * 9;
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = (s[3] << 45) | (s[3] >> 19);
    return result;
}

/* Uniform in [0, 1) with 53 random bits. */
static inline double lsnn__rng_uniform(lsnn_rng *r)
{
    return (double)(lsnn__rng_u64(r) >> 11) * 0x1.0p-53;
}

#endif
