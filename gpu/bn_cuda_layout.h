/* The device weight layout of the CUDA kernels ("W16"), shared by the upload (host), the
 * kernels (device) and a host-only test that checks it without a GPU: plain C that nvcc
 * also compiles for the device.
 *
 * I2_S (bn_pack.h) puts four runs of 32 weights in one byte lane of a 32-byte block, so four
 * consecutive weights sit in four different bytes only when read as bits 7-6 of bytes b..b+3;
 * on the CPU that suits 32-byte vectors. A GPU thread wants one 32-bit word to feed __dp4a
 * against 4 consecutive activation bytes, and its 16-byte loads to cover one contiguous range
 * of k. W16 therefore stores 16 consecutive weights per 32-bit word:
 *   - word w of a row holds weights 16w .. 16w+15;
 *   - weight 16w + 4s + j (s, j in 0..3) is the 2-bit code in byte j, bits 2s+1..2s;
 * so (word >> 2s) & 0x03030303 is four int8 codes for activation bytes 16w+4s .. 16w+4s+3,
 * the int32 at activation offset 16w + 4s. A 16-byte load of 4 words covers 64 weights, whose
 * activations are the next 64 bytes. Codes are kept as stored (w + 1): kernels compute
 * sum(code * x) - sum(x), as the CPU kernels do, so even an invalid code 3 gives the CPU's
 * answer. Rows are k_pad / 16 words (k_pad a multiple of 128, so a row is 32 words). */
#ifndef BN_CUDA_LAYOUT_H
#define BN_CUDA_LAYOUT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "bn_pack.h"

#ifdef __CUDACC__
#define BN_HD __host__ __device__ __forceinline__
#else
#define BN_HD static inline
#endif

#define BN_W16_WEIGHTS 16 /* weights per 32-bit word */
#define BN_W16_MASK 0x03030303u

/* Words per row of a matrix whose rows are k_pad weights. */
BN_HD size_t bn_w16_row_words(int k_pad)
{
	return (size_t)k_pad / BN_W16_WEIGHTS;
}

/* The four codes of weights 16w + 4s .. 16w + 4s + 3, one per byte (byte j: weight +j). */
BN_HD uint32_t bn_w16_codes(uint32_t word, int s)
{
	return (word >> (2 * s)) & BN_W16_MASK;
}

/* Repacks one I2_S row (k_pad / 4 bytes) into k_pad / 16 W16 words. Word w of a block's 8
 * words covers weights 16w..16w+15: run g = w / 2 of the block (bits 7-6 shifted by 2g), in
 * bytes 16 (w % 2) .. 16 (w % 2) + 15; each group of 4 of those bytes gives one s. */
static inline void bn_w16_repack_row(uint32_t *dst, const uint8_t *i2s_row, int k_pad)
{
	for (int b = 0; b < k_pad / BN_I2S_BLOCK; b++) {
		const uint8_t *block = i2s_row + (size_t)b * BN_I2S_BLOCK_BYTES;
		for (int w = 0; w < BN_I2S_BLOCK / BN_W16_WEIGHTS; w++) {
			int shift = 6 - 2 * (w / 2);
			uint32_t word = 0;
			for (int s = 0; s < 4; s++) {
				uint32_t four;
				memcpy(&four, block + 16 * (w % 2) + 4 * s, 4); /* little-endian */
				word |= ((four >> shift) & BN_W16_MASK) << (2 * s);
			}
			dst[(size_t)b * (BN_I2S_BLOCK / BN_W16_WEIGHTS) + (size_t)w] = word;
		}
	}
}

/* __dp4a: the sum of the four products of the signed bytes of a and b, plus c. On the host
 * (the layout test) the same arithmetic in a loop. */
BN_HD int32_t bn_w16_dp4a(uint32_t a, uint32_t b, int32_t c)
{
#ifdef __CUDA_ARCH__
	return __dp4a((int)a, (int)b, c);
#else
	for (int j = 0; j < 4; j++)
		c += (int32_t)(int8_t)(uint8_t)(a >> (8 * j)) * (int32_t)(int8_t)(uint8_t)(b >> (8 * j));
	return c;
#endif
}

/* acc + sum(code * x) over the 16 weights of one W16 word, whose activations are the four
 * int32 words x0..x3 (bytes 16w .. 16w+15). Every kernel's inner step, and the test's. */
BN_HD int32_t bn_w16_dot16(uint32_t word, uint32_t x0, uint32_t x1, uint32_t x2, uint32_t x3,
			   int32_t acc)
{
	acc = bn_w16_dp4a(bn_w16_codes(word, 0), x0, acc);
	acc = bn_w16_dp4a(bn_w16_codes(word, 1), x1, acc);
	acc = bn_w16_dp4a(bn_w16_codes(word, 2), x2, acc);
	return bn_w16_dp4a(bn_w16_codes(word, 3), x3, acc);
}

#endif
