/* Random numbers: xoshiro256** streams and counter-based hashes (see lsnn/core.h). */
#include "lsnn/core.h"
#include "core/rng_inline.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>

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
    return lsnn__rng_u64(r);
}

double lsnn_rng_uniform(lsnn_rng *r)
{
    return lsnn__rng_uniform(r);
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
    return lsnn_hash_normal_at(lsnn_hash_key3(a, b, c), d);
}

/* lsnn_hash4's first three rounds: lsnn_hash4(a, b, c, d) is one more round on key3 ^ d. */
uint64_t lsnn_hash_key3(uint64_t a, uint64_t b, uint64_t c)
{
    uint64_t x = a;
    uint64_t h = lsnn__splitmix64(&x);
    x = h ^ b;
    h = lsnn__splitmix64(&x);
    x = h ^ c;
    return lsnn__splitmix64(&x);
}

double lsnn_hash_normal_at(uint64_t key3, uint64_t d)
{
    uint64_t x = key3 ^ d;
    const uint64_t h1 = lsnn__splitmix64(&x);
    x = h1;
    const uint64_t h2 = lsnn__splitmix64(&x);
    return lsnn__box_muller(h1, h2);
}

/* The ziggurat of Marsaglia and Tsang (2000) for f(x) = exp(-x^2 / 2), 256 layers of area V
 * each: layer 0 is the rectangle [0, zig_x[0]] x [0, f(R)] (its part beyond R stands for the
 * tail), layer i >= 1 the rectangle [0, zig_x[i]] x [f(zig_x[i]), f(zig_x[i + 1])], with
 * zig_x[1] = R, zig_x[i + 1] = f^-1(f(zig_x[i]) + V / zig_x[i]) and zig_x[256] = 0. */
enum { ZIG_N = 256 };
static const double ZIG_R = 3.6541528853610088, ZIG_V = 4.92867323399e-3;
static double zig_x[ZIG_N + 1], zig_f[ZIG_N + 1];
static pthread_once_t zig_once = PTHREAD_ONCE_INIT;
static atomic_int zig_ready; /* set (release) once the tables are built: the per-draw check */

static void lsnn__zig_init(void)
{
    zig_f[1] = exp(-0.5 * ZIG_R * ZIG_R);
    zig_x[0] = ZIG_V / zig_f[1];
    zig_f[0] = 0;
    zig_x[1] = ZIG_R;
    for (int i = 1; i < ZIG_N - 1; i++) {
        zig_f[i + 1] = zig_f[i] + ZIG_V / zig_x[i];
        zig_x[i + 1] = sqrt(-2.0 * log(zig_f[i + 1]));
    }
    zig_x[ZIG_N] = 0;
    zig_f[ZIG_N] = 1;
    atomic_store_explicit(&zig_ready, 1, memory_order_release);
}

/* A uniform in (0, 1] from the top 53 bits. */
static inline double lsnn__unit_open0(uint64_t h)
{
    return ((double)(h >> 11) + 1.0) * 0x1.0p-53;
}

double lsnn_hash_normal_zig(uint64_t key3, uint64_t d)
{
    if (!atomic_load_explicit(&zig_ready, memory_order_acquire))
        pthread_once(&zig_once, lsnn__zig_init);
    uint64_t x = key3 ^ d; /* a splitmix64 stream; almost every draw takes one word of it */
    for (;;) {
        const uint64_t h = lsnn__splitmix64(&x);
        const int i = (int)(h & (ZIG_N - 1));                    /* the layer: bits 0-7 */
        const double u = (double)(h >> 11) * 0x1.0p-52 - 1.0;    /* [-1, 1): bits 11-63 */
        const double z = u * zig_x[i];
        if (fabs(z) < zig_x[i + 1])
            return z; /* inside the part of the layer that lies under the curve */
        if (i == 0) { /* the tail beyond R (Marsaglia 1964) */
            for (;;) {
                const double a = -log(lsnn__unit_open0(lsnn__splitmix64(&x))) / ZIG_R;
                const double b = -log(lsnn__unit_open0(lsnn__splitmix64(&x)));
                if (b + b >= a * a)
                    return u < 0 ? -(ZIG_R + a) : ZIG_R + a;
            }
        }
        /* the wedge: accept under the curve */
        const double w = lsnn__unit_open0(lsnn__splitmix64(&x));
        const double y = zig_f[i] + w * (zig_f[i + 1] - zig_f[i]);
        if (y < exp(-0.5 * z * z))
            return z;
    }
}
