/* Internal: the table each kernel set (ref, avx2, avx512, amx) fills in, and the helpers
 * the per-ISA files share. Not installed; programs use bn_dispatch.h. */
#ifndef KERNELS_INT_H
#define KERNELS_INT_H

#include <stddef.h>
#include <stdint.h>

#include "bn_pack.h"
#include "bn_quant.h"

/* Per-thread scratch memory that kernels may grow; owned by the context. */
struct bn_scratch {
	void *p;
	size_t cap;
};

/* Returns at least bytes of 64-byte aligned memory, or NULL (out of memory). */
void *bn_scratch_get(struct bn_scratch *s, size_t bytes);
void bn_scratch_release(struct bn_scratch *s);

struct bn_kernel_impl {
	int id;           /* BN_KERNEL_* */
	const char *name; /* as in BITNET_KERNEL */
	int n_align;      /* output rows are handed out in multiples of this (tile height) */

	/* Optional: rearranges all of x once per call, before the threads start, into prep
	 * (prep_size bytes, 64-byte aligned). NULL when the kernel reads x as it is. */
	size_t (*prep_size)(int m, int k_pad);
	void (*prep)(void *prep, const struct bn_qact *x);

	/* Output rows [n0, n1) of y = x * w^T for every row of x. Return 0 or BN_ENOMEM. */
	int (*gemm)(int32_t *y, size_t ldy, const struct bn_qact *x, const void *prep,
		    const struct bn_tmat *w, int n0, int n1, struct bn_scratch *s);
	/* The same for x->m == 1. */
	int (*gemv)(int32_t *y, const struct bn_qact *x, const void *prep, const struct bn_tmat *w,
		    int n0, int n1, struct bn_scratch *s);

	/* Quantizes one row (k floats) into q (k_pad bytes, padding zeroed), its scale and the
	 * sum of q. Returns 0, or 1 when the row holds NaN or infinity (q then unspecified). */
	int (*quant_row)(int8_t *q, float *scale, int32_t *sum, const float *x, int k, int k_pad);
	int quant_id; /* the kernel whose quant_row this is (AMX has none of its own) */

	/* The lm_head: y[j - n0] = e_j . x for F16 rows j in [n0, n1) of e (row stride k, k a
	 * multiple of 32), each in exactly the order of bn_ref_dot_f16, so every kernel gives
	 * the same bits. dot_f16_id names the set whose function this is (AMX borrows
	 * AVX-512's). */
	void (*dot_f16)(float *y, const uint16_t *e, const float *x, int k, int n0, int n1);
	int dot_f16_id;
	unsigned dot_f16_needs; /* BN_CPU_* bits its dot_f16 needs beyond the set's own */
};

extern const struct bn_kernel_impl bn_kernel_ref;
extern const struct bn_kernel_impl bn_kernel_avx2;
extern const struct bn_kernel_impl bn_kernel_avx512;
extern const struct bn_kernel_impl bn_kernel_amx;

/* How the streaming kernels (GEMV, the lm_head) read weights on this CPU class: chosen
 * once from CPUID by bn_tune_get (dispatch.c, where the figures behind each row are). */
struct bn_tune {
	const char *cpu_class; /* "zen3", "zen4", "zen5", "sapphire-rapids", "other" */
	int avx2_prefetch;     /* bytes ahead of the weight run the AVX2 GEMV prefetches */
	int avx512_prefetch;   /* the same for the AVX-512 GEMV and lm_head; 0: none */
};
const struct bn_tune *bn_tune_get(void);

/* Shared between kernel files. The F16C lm_head (x86/dot_f16c.c) is the AVX2 set's; the
 * AVX-512 weight decoder and quantizer (x86/kernels_avx512.c) serve the AMX set too:
 * bn_avx512_decode_vnni16 writes weight rows j0 .. j0 + rows - 1 (rows <= 16) in the VNNI
 * layout, 64 bytes (4 codes of each of 16 rows) per group of 4 columns, ld bytes apart. */
void bn_f16c_dot_f16(float *y, const uint16_t *e, const float *x, int k, int n0, int n1);
void bn_avx512_dot_f16(float *y, const uint16_t *e, const float *x, int k, int n0, int n1);
void bn_avx512_decode_vnni16(uint8_t *dst, size_t ld, const struct bn_tmat *w, int j0, int rows);
int bn_avx512_quant_row(int8_t *q, float *scale, int32_t *sum, const float *x, int k, int k_pad);

/* Scalar quantization of one row: the definition in bn_quant.h; SIMD files reuse it for
 * their tails. */
int bn_ref_quant_row(int8_t *q, float *scale, int32_t *sum, const float *x, int k, int k_pad);

/* The scale for a row whose max |x| is amax: 127 / amax, or 0 when that is not finite
 * (amax 0 or so small the division overflows). */
static inline float bn_act_scale(float amax)
{
	float s = 127.0f / amax;
	return (amax > 0.0f && s <= 3.4028234663852886e38f) ? s : 0.0f;
}

#endif
