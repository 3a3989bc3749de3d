/* SHA-256 (FIPS 180-4), for configuration hashes, binary hashes and content keys. */
#ifndef BG_HASH_H
#define BG_HASH_H

#include <stddef.h>
#include <stdint.h>

struct bg_sha256 {
	uint32_t h[8];     /* chaining state */
	uint64_t len;      /* bytes hashed so far */
	uint8_t block[64]; /* pending partial block */
	size_t fill;       /* bytes in block */
};

void bg_sha256_init(struct bg_sha256 *s);
void bg_sha256_update(struct bg_sha256 *s, const void *data, size_t n);
void bg_sha256_final(struct bg_sha256 *s, uint8_t digest[32]);

/* Lower-case hex of a digest (65 bytes with the NUL). */
void bg_hex(char *out, const uint8_t *bytes, size_t n);

/* One-shot hex digest of a buffer. */
void bg_sha256_hex(char out[65], const void *data, size_t n);

/* Hex digest of a file's contents; BG_ENOTFOUND / BG_EINFRA with the path. */
int bg_sha256_file(char out[65], const char *path);

#endif
