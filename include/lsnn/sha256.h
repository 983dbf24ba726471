/* lsnn/sha256.h - SHA-256 (FIPS 180-4), for checking downloaded data sets.
 *
 * Incremental: lsnn_sha256_init, any number of lsnn_sha256_update calls, lsnn_sha256_final.
 * No dynamic memory, no errors. */
#ifndef LSNN_SHA256_H
#define LSNN_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define LSNN_SHA256_BYTES 32
/* Hex digest length including the terminating NUL. */
#define LSNN_SHA256_HEX 65

typedef struct lsnn_sha256_ctx {
    uint32_t h[8];
    uint64_t nbytes;        /* message length so far */
    unsigned char buf[64];  /* partial block */
    size_t nbuf;
} lsnn_sha256_ctx;

void lsnn_sha256_init(lsnn_sha256_ctx *c);
void lsnn_sha256_update(lsnn_sha256_ctx *c, const void *data, size_t n);
/* Writes the 32-byte digest; the context must be re-initialised before reuse. */
void lsnn_sha256_final(lsnn_sha256_ctx *c, unsigned char out[LSNN_SHA256_BYTES]);

/* One-shot digest of a buffer. */
void lsnn_sha256(const void *data, size_t n, unsigned char out[LSNN_SHA256_BYTES]);
/* Lower-case hex of a digest into hex (LSNN_SHA256_HEX bytes, NUL-terminated). */
void lsnn_sha256_hex(const unsigned char digest[LSNN_SHA256_BYTES], char hex[LSNN_SHA256_HEX]);

#endif
