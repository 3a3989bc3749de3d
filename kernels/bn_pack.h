/* The packed 2-bit ternary weight format (bitnet.cpp's I2_S layout) and the weight matrix
 * that the GEMM/GEMV kernels read.
 *
 * I2_S, as bitnet.cpp writes it for x86:
 *   - each weight w in {-1, 0, +1} is stored as the 2-bit code c = w + 1 (-1 -> 0, 0 -> 1,
 *     +1 -> 2); code 3 is invalid;
 *   - weights go in blocks of BN_I2S_BLOCK = 128, each BN_I2S_BLOCK_BYTES = 32 bytes;
 *   - weight j of a block (0 <= j < 128) sits in byte (j % 32) of the block, at bit
 *     6 - 2 * (j / 32): byte b holds weights b, b+32, b+64, b+96 in bits 7-6, 5-4, 3-2, 1-0;
 *   - a tensor has one float scale (mean |W| before quantization); in a GGUF file it sits
 *     in a 32-byte tail after the n/4 bytes of codes (the GGUF reader handles the tail).
 * So one 32-byte load holds four runs of 32 consecutive weights, each pulled out with one
 * shift and one mask: the compute layout is the storage layout, nothing is converted.
 *
 * A weight matrix (struct bn_tmat) is n rows (outputs) of k weights (inputs). Each row is
 * packed on its own, padded with zero weights (code 1) up to k_pad, the next multiple of
 * 128, so a row is k_pad / 4 bytes and starts on a block boundary. When k is a multiple of
 * 128 the matrix is byte-for-byte the flat I2_S packing of the n*k tensor. */
#ifndef BN_PACK_H
#define BN_PACK_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define BN_I2S_BLOCK 128      /* weights per block */
#define BN_I2S_BLOCK_BYTES 32 /* bytes per block: 2 bits per weight */
#define BN_I2S_GROUPS 4       /* runs of consecutive weights in a block */
#define BN_I2S_GROUP 32       /* weights per run; a run is one byte lane of the block */
#define BN_I2S_SCALE_TAIL 32  /* bytes after the codes in a GGUF I2_S tensor */

#ifndef __cplusplus /* checked once, by the C compiler; gpu/ includes this from C++ */
_Static_assert(BN_I2S_BLOCK * 2 == BN_I2S_BLOCK_BYTES * 8, "I2_S stores 2 bits per weight");
_Static_assert(BN_I2S_GROUPS *BN_I2S_GROUP == BN_I2S_BLOCK, "a block is four runs");
_Static_assert(BN_I2S_GROUP == BN_I2S_BLOCK_BYTES, "a run spans the block's bytes once");
_Static_assert(BN_I2S_SCALE_TAIL >= sizeof(float), "the scale fits in the tail");
#endif

/* Largest k the kernels accept: with codes <= 3 and |x| <= 128 an int32 accumulator of
 * sum(code * x) stays below 2^31 for k <= 2^22. */
#define BN_MAX_K (1 << 22)

/* A packed ternary weight matrix. Owns codes (64-byte aligned). */
struct bn_tmat {
	uint8_t *codes;   /* n rows of row_bytes bytes, I2_S blocks */
	float scale;      /* per-tensor scale: real weight = (code - 1) * scale */
	int n;            /* rows: output features */
	int k;            /* columns: input features */
	int k_pad;        /* k rounded up to a multiple of BN_I2S_BLOCK */
	size_t row_bytes; /* k_pad / 4 */
};

/* k rounded up to the block size; 0 when k is out of range. */
int bn_i2s_k_pad(int k);

/* Allocates an n x k matrix of zero weights (every code 1) with scale 1. */
int bn_tmat_new(struct bn_tmat **out, int n, int k);
void bn_tmat_free(struct bn_tmat *w);

/* Packs t (n x k values in {-1, 0, +1}, row-major) into w. Any other value: BN_EINVAL
 * naming its row and column; w is left unchanged. */
int bn_tmat_pack(struct bn_tmat *w, const int8_t *t, float scale);

/* Unpacks w into t (n x k). A code 3 anywhere in a row (padding included): BN_EFORMAT
 * naming the row and column. */
int bn_tmat_unpack(int8_t *t, const struct bn_tmat *w);

/* Checks every code of w, padding included (padding must be code 1). */
int bn_tmat_validate(const struct bn_tmat *w);

/* Dequantizes w to floats (n x k): a float fallback, refused in strict mode. */
int bn_tmat_dequantize(float *out, const struct bn_tmat *w);

/* Flat I2_S, exactly bitnet.cpp's layout: n values (n a multiple of 128) to n / 4 bytes
 * and back. Same errors as above, positions given as flat indices. */
int bn_i2s_pack(uint8_t *dst, const int8_t *src, size_t n);
int bn_i2s_unpack(int8_t *dst, const uint8_t *src, size_t n);

#ifdef __cplusplus
}
#endif

#endif
