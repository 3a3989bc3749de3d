/* Packing ternary weights into I2_S blocks and back (layout in bn_pack.h). */
#include "bn_pack.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bn_error.h"
#include "bn_strict.h"

/* Code c of block position pos goes to byte pos % 32 at bit 6 - 2 * (pos / 32). */
static inline void put_code(uint8_t *block, int pos, unsigned code)
{
	block[pos % BN_I2S_GROUP] |= (uint8_t)(code << (6 - 2 * (pos / BN_I2S_GROUP)));
}

static inline unsigned get_code(const uint8_t *block, int pos)
{
	return (block[pos % BN_I2S_GROUP] >> (6 - 2 * (pos / BN_I2S_GROUP))) & 3u;
}

int bn_i2s_k_pad(int k)
{
	if (k <= 0 || k > BN_MAX_K)
		return 0;
	return (k + BN_I2S_BLOCK - 1) / BN_I2S_BLOCK * BN_I2S_BLOCK;
}

int bn_tmat_new(struct bn_tmat **out, int n, int k)
{
	*out = NULL;
	int k_pad = bn_i2s_k_pad(k);
	if (n <= 0 || k_pad == 0)
		return bn_error_set(BN_EINVAL,
				    "ternary matrix %dx%d: rows must be > 0 and columns "
				    "in 1..%d",
				    n, k, BN_MAX_K);
	size_t row_bytes = (size_t)k_pad / 4;
	size_t bytes = row_bytes * (size_t)n;
	bytes = (bytes + 63) / 64 * 64;
	struct bn_tmat *w = calloc(1, sizeof(*w));
	if (!w)
		return bn_error_set(BN_ENOMEM, "ternary matrix %dx%d: out of memory", n, k);
	w->codes = aligned_alloc(64, bytes);
	if (!w->codes) {
		free(w);
		return bn_error_set(BN_ENOMEM, "ternary matrix %dx%d: out of memory (%zu bytes)", n,
				    k, bytes);
	}
	memset(w->codes, 0x55, bytes); /* every code 1: weight 0 */
	w->scale = 1.0f;
	w->n = n;
	w->k = k;
	w->k_pad = k_pad;
	w->row_bytes = row_bytes;
	*out = w;
	return 0;
}

void bn_tmat_free(struct bn_tmat *w)
{
	if (!w)
		return;
	free(w->codes);
	free(w);
}

int bn_tmat_pack(struct bn_tmat *w, const int8_t *t, float scale)
{
	for (int j = 0; j < w->n; j++)
		for (int c = 0; c < w->k; c++) {
			int8_t v = t[(size_t)j * w->k + c];
			if (v < -1 || v > 1)
				return bn_error_set(
					BN_EINVAL,
					"pack %dx%d: value %d at row %d, column %d is not "
					"ternary (-1, 0, +1)",
					w->n, w->k, v, j, c);
		}
	memset(w->codes, 0, w->row_bytes * (size_t)w->n);
	for (int j = 0; j < w->n; j++) {
		uint8_t *row = w->codes + (size_t)j * w->row_bytes;
		for (int c = 0; c < w->k_pad; c++) {
			int v = c < w->k ? t[(size_t)j * w->k + c] : 0;
			put_code(row + (size_t)(c / BN_I2S_BLOCK) * BN_I2S_BLOCK_BYTES,
				 c % BN_I2S_BLOCK, (unsigned)(v + 1));
		}
	}
	w->scale = scale;
	return 0;
}

/* 1 when some 2-bit code in p[0..n) is 3 (both bits of a field set): eight bytes at a time,
 * x & (x >> 1) has bit 2i set where field i is 3 (the bit shifted in from the next byte lands
 * on an odd bit, which the mask drops). */
static int has_code3(const uint8_t *p, size_t n)
{
	uint64_t acc = 0;
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t x;
		memcpy(&x, p + i, sizeof(x));
		acc |= x & (x >> 1);
	}
	for (; i < n; i++)
		acc |= (uint64_t)(p[i] & (p[i] >> 1));
	return (acc & 0x5555555555555555ull) != 0;
}

/* The first invalid code of row j (code 3, or padding that is not code 1), or 0. */
static int validate_row(const struct bn_tmat *w, int j)
{
	const uint8_t *row = w->codes + (size_t)j * w->row_bytes;
	for (int c = 0; c < w->k_pad; c++) {
		unsigned code = get_code(row + (size_t)(c / BN_I2S_BLOCK) * BN_I2S_BLOCK_BYTES,
					 c % BN_I2S_BLOCK);
		if (code == 3 || (c >= w->k && code != 1))
			return bn_error_set(BN_EFORMAT,
					    "ternary matrix %dx%d: invalid code %u at row %d, "
					    "column %d%s",
					    w->n, w->k, code, j, c,
					    c >= w->k ? " (padding must be code 1)" : "");
	}
	return 0;
}

int bn_tmat_validate(const struct bn_tmat *w)
{
	/* a whole model is checked at load: scan bytes, and name the position only when a row
	 * holds something wrong */
	for (int j = 0; j < w->n; j++) {
		const uint8_t *row = w->codes + (size_t)j * w->row_bytes;
		int suspect = has_code3(row, w->row_bytes);
		for (int c = w->k; c < w->k_pad && !suspect; c++)
			suspect = get_code(row + (size_t)(c / BN_I2S_BLOCK) * BN_I2S_BLOCK_BYTES,
					   c % BN_I2S_BLOCK) != 1;
		if (suspect)
			return validate_row(w, j);
	}
	return 0;
}

int bn_tmat_unpack(int8_t *t, const struct bn_tmat *w)
{
	int rc = bn_tmat_validate(w);
	if (rc)
		return rc;
	for (int j = 0; j < w->n; j++) {
		const uint8_t *row = w->codes + (size_t)j * w->row_bytes;
		for (int c = 0; c < w->k; c++)
			t[(size_t)j * w->k + c] =
				(int8_t)((int)get_code(row + (size_t)(c / BN_I2S_BLOCK) *
								       BN_I2S_BLOCK_BYTES,
						       c % BN_I2S_BLOCK) -
					 1);
	}
	return 0;
}

int bn_tmat_dequantize(float *out, const struct bn_tmat *w)
{
	char shape[48];
	snprintf(shape, sizeof(shape), "%dx%d", w->n, w->k);
	int rc = bn_strict_check_fallback("dequantize", shape, "ternary integer kernels",
					  "the float dequantization path");
	if (rc)
		return rc;
	rc = bn_tmat_validate(w);
	if (rc)
		return rc;
	for (int j = 0; j < w->n; j++) {
		const uint8_t *row = w->codes + (size_t)j * w->row_bytes;
		for (int c = 0; c < w->k; c++) {
			int v = (int)get_code(row + (size_t)(c / BN_I2S_BLOCK) * BN_I2S_BLOCK_BYTES,
					      c % BN_I2S_BLOCK) -
				1;
			out[(size_t)j * w->k + c] = (float)v * w->scale;
		}
	}
	return 0;
}

int bn_i2s_pack(uint8_t *dst, const int8_t *src, size_t n)
{
	if (n % BN_I2S_BLOCK)
		return bn_error_set(BN_EINVAL, "I2_S pack: %zu values is not a multiple of %d", n,
				    BN_I2S_BLOCK);
	for (size_t i = 0; i < n; i++)
		if (src[i] < -1 || src[i] > 1)
			return bn_error_set(BN_EINVAL,
					    "I2_S pack: value %d at index %zu is not ternary",
					    src[i], i);
	memset(dst, 0, n / 4);
	for (size_t i = 0; i < n; i++)
		put_code(dst + i / BN_I2S_BLOCK * BN_I2S_BLOCK_BYTES, (int)(i % BN_I2S_BLOCK),
			 (unsigned)(src[i] + 1));
	return 0;
}

int bn_i2s_unpack(int8_t *dst, const uint8_t *src, size_t n)
{
	if (n % BN_I2S_BLOCK)
		return bn_error_set(BN_EINVAL, "I2_S unpack: %zu values is not a multiple of %d", n,
				    BN_I2S_BLOCK);
	for (size_t i = 0; i < n; i++) {
		unsigned code = get_code(src + i / BN_I2S_BLOCK * BN_I2S_BLOCK_BYTES,
					 (int)(i % BN_I2S_BLOCK));
		if (code == 3)
			return bn_error_set(
				BN_EFORMAT, "I2_S unpack: invalid code 3 at index %zu (byte %zu)",
				i, i / BN_I2S_BLOCK * BN_I2S_BLOCK_BYTES + i % BN_I2S_GROUP);
		dst[i] = (int8_t)((int)code - 1);
	}
	return 0;
}
