/* Ternary GEMM for prefill with __dp4a: Y = X W^T, X int8 (m tokens), W in the W16 layout
 * (bn_cuda_layout.h). A block computes a tile of TM tokens x TN weight rows, walking k in
 * chunks of TK: the chunk's activations and packed weights go to shared memory, then each
 * thread accumulates a 2 x 4 patch. Exact int32, so bit-identical to bn_gemm. (Tensor-core
 * int8 MMA is the next step; this is the first, simple one.) */
#include <cuda_runtime.h>

#include "bn_cuda.h"
#include "bn_cuda_layout.h"
#include "cuda_int.h"

#define TM 32                  /* tokens per block tile */
#define TN 64                  /* weight rows per block tile */
#define TK 128                 /* weights per k chunk (one I2_S block) */
#define TK_WORDS (TK / 16)     /* W16 words per row per chunk */
#define AS_STRIDE (TK / 4 + 4) /* int32s per token row in shared memory: +4 skews the banks
				* and keeps rows 16-byte aligned */
#define GEMM_THREADS 256       /* 16 x 16: tx picks rows tx + 16r, ty tokens ty + 16t */

static_assert(TM * TK / 16 == GEMM_THREADS, "one 16-byte activation load per thread");
static_assert(TN * TK_WORDS / 4 <= GEMM_THREADS, "at most one 16-byte weight load per thread");
static_assert(TM == 32 && TN == 64, "the 2 x 4 patch per thread assumes this tile");

__global__ void __launch_bounds__(GEMM_THREADS)
gemm_w16(int32_t *y, size_t ldy, const int8_t *xq, const int32_t *xsum, int m, int k_pad,
	 const uint32_t *w, int n, int row_words)
{
	__shared__ __align__(16) uint32_t as[TM][AS_STRIDE];
	__shared__ uint32_t ws[TK_WORDS][TN]; /* transposed: a warp reads 16 rows' words at once */
	const int tid = threadIdx.x;
	const int tx = tid % 16, ty = tid / 16;
	const int m0 = blockIdx.y * TM, n0 = blockIdx.x * TN;

	int32_t acc[2][4] = {{0, 0, 0, 0}, {0, 0, 0, 0}};
	for (int k0 = 0; k0 < k_pad; k0 += TK) {
		{ /* activations: token tid / 8, 16 bytes at (tid % 8) * 16 */
			const int t = tid / 8, c = tid % 8;
			uint4 v = make_uint4(0, 0, 0, 0);
			if (m0 + t < m)
				v = __ldg((const uint4 *)(xq + (size_t)(m0 + t) * k_pad + k0) + c);
			*(uint4 *)&as[t][4 * c] = v;
		}
		if (tid < TN * TK_WORDS / 4) { /* weights: row tid / 2, words 4 (tid % 2) .. +3 */
			const int r = tid / 2, h = tid % 2;
			uint4 v = make_uint4(0, 0, 0, 0);
			if (n0 + r < n)
				v = __ldcs((const uint4 *)(w + (size_t)(n0 + r) * row_words +
							   k0 / 16) + h);
			ws[4 * h + 0][r] = v.x;
			ws[4 * h + 1][r] = v.y;
			ws[4 * h + 2][r] = v.z;
			ws[4 * h + 3][r] = v.w;
		}
		__syncthreads();
#pragma unroll
		for (int wd = 0; wd < TK_WORDS; wd++) {
			uint32_t wr[4];
#pragma unroll
			for (int r = 0; r < 4; r++)
				wr[r] = ws[wd][tx + 16 * r];
#pragma unroll
			for (int t = 0; t < 2; t++) {
				const uint4 a = *(const uint4 *)&as[ty + 16 * t][4 * wd];
#pragma unroll
				for (int r = 0; r < 4; r++)
					acc[t][r] = bn_w16_dot16(wr[r], a.x, a.y, a.z, a.w, acc[t][r]);
			}
		}
		__syncthreads();
	}
#pragma unroll
	for (int t = 0; t < 2; t++) {
		const int i = m0 + ty + 16 * t;
		if (i >= m)
			continue;
		const int32_t sum = xsum[i];
#pragma unroll
		for (int r = 0; r < 4; r++) {
			const int j = n0 + tx + 16 * r;
			if (j < n)
				y[(size_t)i * ldy + j] = acc[t][r] - sum;
		}
	}
}

int bn_cu_gemm_async(int32_t *y, size_t ldy, const struct bn_cuda_qact *x,
		     const struct bn_cuda_tmat *w, cudaStream_t stream)
{
	if (x->k != w->k || x->m <= 0 || ldy < (size_t)w->n)
		return bn_error_set(BN_EINVAL, "gemm %dx%dx%d on the device: activations %dx%d, "
				    "row stride %zu", x->m, w->n, w->k, x->m, x->k, ldy);
	char what[80];
	snprintf(what, sizeof(what), "gemm %dx%dx%d on the device", x->m, w->n, w->k);
	dim3 grid((unsigned)((w->n + TN - 1) / TN), (unsigned)((x->m + TM - 1) / TM));
	gemm_w16<<<grid, GEMM_THREADS, 0, stream>>>(y, ldy, x->q, x->rowsum, x->m, x->k_pad,
						    w->words, w->n, (int)w->row_words);
	BN_CU_LAUNCHED(what);
	return 0;
}

int bn_cuda_gemm(int32_t *y, size_t ldy, const struct bn_cuda_qact *x,
		 const struct bn_cuda_tmat *w)
{
	return bn_cu_gemm_async(y, ldy, x, w, 0);
}
