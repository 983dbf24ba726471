/* Random numbers: xoshiro256** streams and counter-based hashes (see lsnn/core.h). */
#include "lsnn/core.h"

#include <math.h>

static uint64_t lsnn__splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static inline uint64_t lsnn__rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

void lsnn_rng_seed(lsnn_rng *r, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++)
        r->s[i] = lsnn__splitmix64(&x);
}

void lsnn_rng_derive(lsnn_rng *r, uint64_t seed, uint64_t a, uint64_t b, uint64_t c)
{
    lsnn_rng_seed(r, lsnn_hash4(seed, a, b, c));
}

uint64_t lsnn_rng_u64(lsnn_rng *r)
{
    uint64_t *s = r->s;
    const uint64_t result = lsnn__rotl(s[1] * 5, 7) * 9;
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = lsnn__rotl(s[3], 45);
    return result;
}

double lsnn_rng_uniform(lsnn_rng *r)
{
    return (double)(lsnn_rng_u64(r) >> 11) * 0x1.0p-53;
}

uint64_t lsnn_rng_below(lsnn_rng *r, uint64_t n)
{
    /* Rejection sampling removes the modulo bias. */
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do {
        x = lsnn_rng_u64(r);
    } while (x >= limit);
    return x % n;
}

static double lsnn__box_muller(uint64_t u1bits, uint64_t u2bits)
{
    /* u1 in (0, 1] so that log(u1) is finite. */
    double u1 = ((double)(u1bits >> 11) + 1.0) * 0x1.0p-53;
    double u2 = (double)(u2bits >> 11) * 0x1.0p-53;
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586477 * u2);
}

double lsnn_rng_normal(lsnn_rng *r)
{
    uint64_t a = lsnn_rng_u64(r);
    uint64_t b = lsnn_rng_u64(r);
    return lsnn__box_muller(a, b);
}

uint64_t lsnn_hash4(uint64_t a, uint64_t b, uint64_t c, uint64_t d)
{
    uint64_t x = a;
    uint64_t h = lsnn__splitmix64(&x);
    x = h ^ b;
    h = lsnn__splitmix64(&x);
    x = h ^ c;
    h = lsnn__splitmix64(&x);
    x = h ^ d;
    return lsnn__splitmix64(&x);
}

double lsnn_hash_normal(uint64_t a, uint64_t b, uint64_t c, uint64_t d)
{
    uint64_t h1 = lsnn_hash4(a, b, c, d);
    uint64_t x = h1;
    uint64_t h2 = lsnn__splitmix64(&x);
    return lsnn__box_muller(h1, h2);
}
