/* BitNet b1.58 quantization.
 *
 * Weights, absmean: s = mean(|W|) over the whole tensor, accumulated in double in index
 * order and rounded once to float; W_q = clamp(rint(W / max(s, 1e-5f)), -1, +1) where
 * rint rounds half to even. The tensor scale stored with W_q is s.
 *
 * Activations, absmax per row: a = max |x|; s = 127 / a (float division);
 * q = clamp(rint(x * s), -128, 127), half to even. A row of zeros has s = 0 and q = 0.
 * A row holding NaN or infinity is refused (BN_EFORMAT, naming the row), since no scale
 * represents it. Every kernel produces exactly these bytes: max is order-independent and
 * each element is one float multiply and one rounding, the same in scalar and SIMD. */
#ifndef BN_QUANT_H
#define BN_QUANT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Ternary quantization of n floats: q gets values in {-1, 0, +1}, *scale gets s. */
int bn_quant_ternary(int8_t *q, float *scale, const float *w, size_t n);

/* Quantized activations: m rows of k int8 values, each row zero-padded to k_pad (a
 * multiple of 128) so kernels read whole blocks. Owns all buffers (64-byte aligned). */
struct bn_qact {
	int8_t *q;       /* m rows of k_pad bytes; columns k..k_pad-1 are 0 */
	float *scale;    /* per row: 127 / max|x| (0 for a zero row); x ~ q / scale */
	int32_t *rowsum; /* per row: sum of q, used by kernels that compute with codes w+1 */
	int m;           /* rows (tokens) */
	int k;           /* columns (features) */
	int k_pad;       /* k rounded up to a multiple of 128 */
};

int bn_qact_new(struct bn_qact **out, int m, int k);
void bn_qact_free(struct bn_qact *a);

/* Fills a's padding and rowsum after q was written directly (tests, benchmarks that set
 * extreme values by hand). */
void bn_qact_finish(struct bn_qact *a);

#ifdef __cplusplus
}
#endif

#endif
