/* Ternary W2A8 GEMV for decode: y = W x with W in the W16 layout (bn_cuda_layout.h) and x
 * int8. A warp owns R consecutive rows; each lane streams 16-byte loads of weights (64
 * weights) past the 64 activation bytes they pair with, loaded once for all R rows, decodes
 * codes with one shift and one mask per 4 weights and accumulates with __dp4a; a butterfly
 * of shuffles sums the lanes. Exact int32, so bit-identical to bn_gemv. */
#include <cuda_runtime.h>

#include "bn_cuda.h"
#include "bn_cuda_layout.h"
#include "cuda_int.h"

#define GEMV_THREADS 256 /* 8 warps per block */

template <int R>
__global__ void __launch_bounds__(GEMV_THREADS)
gemv_w16(int32_t *y, const int8_t *xq, const int32_t *xsum, const uint32_t *w, int n,
	 int row_words)
{
	const int lane = threadIdx.x & 31;
	const int row0 = (int)((blockIdx.x * (unsigned)GEMV_THREADS + threadIdx.x) >> 5) * R;
	if (row0 >= n)
		return; /* whole warps leave together */
	const int chunks = row_words / 4; /* 16-byte loads per row */
	const uint4 *x4 = (const uint4 *)xq;
	int32_t acc[R];
#pragma unroll
	for (int r = 0; r < R; r++)
		acc[r] = 0;

	for (int i = lane; i < chunks; i += 32) {
		const uint4 xa = __ldg(x4 + 4 * i), xb = __ldg(x4 + 4 * i + 1);
		const uint4 xc = __ldg(x4 + 4 * i + 2), xd = __ldg(x4 + 4 * i + 3);
#pragma unroll
		for (int r = 0; r < R; r++) {
			if (row0 + r >= n)
				break;
			const uint4 *wr = (const uint4 *)(w + (size_t)(row0 + r) * row_words);
			const uint4 wv = __ldcs(wr + i); /* streamed once: do not keep in cache */
			int32_t a = acc[r];
			a = bn_w16_dot16(wv.x, xa.x, xa.y, xa.z, xa.w, a);
			a = bn_w16_dot16(wv.y, xb.x, xb.y, xb.z, xb.w, a);
			a = bn_w16_dot16(wv.z, xc.x, xc.y, xc.z, xc.w, a);
			a = bn_w16_dot16(wv.w, xd.x, xd.y, xd.z, xd.w, a);
			acc[r] = a;
		}
	}
	const int32_t sum = xsum[0];
#pragma unroll
	for (int r = 0; r < R; r++) {
		int32_t a = acc[r];
		for (int o = 16; o > 0; o >>= 1)
			a += __shfl_xor_sync(0xffffffffu, a, o);
		if (lane == 0 && row0 + r < n)
			y[row0 + r] = a - sum; /* sum((code - 1) * x) */
	}
}

/* Rows per warp: one for small matrices, so there are enough warps to cover every SM; more
 * for tall ones (the head), so each activation load serves several rows. */
static int rows_per_warp(int n)
{
	return n >= 65536 ? 4 : (n >= 8192 ? 2 : 1);
}

int bn_cu_gemv_async(int32_t *y, const struct bn_cuda_qact *x, int row,
		     const struct bn_cuda_tmat *w, cudaStream_t stream)
{
	if (x->k != w->k || row < 0 || row >= x->m)
		return bn_error_set(BN_EINVAL, "gemv %dx%d on the device: activations are %dx%d "
				    "(row %d)", w->k, w->n, x->m, x->k, row);
	char what[64];
	snprintf(what, sizeof(what), "gemv %dx%d on the device", w->k, w->n);
	const int r = rows_per_warp(w->n);
	const int warps = (w->n + r - 1) / r;
	const int blocks = (warps + GEMV_THREADS / 32 - 1) / (GEMV_THREADS / 32);
	const int8_t *xq = x->q + (size_t)row * (size_t)x->k_pad;
	const int32_t *xs = x->rowsum + row;
	const int rw = (int)w->row_words;
	switch (r) {
	case 4: gemv_w16<4><<<blocks, GEMV_THREADS, 0, stream>>>(y, xq, xs, w->words, w->n, rw); break;
	case 2: gemv_w16<2><<<blocks, GEMV_THREADS, 0, stream>>>(y, xq, xs, w->words, w->n, rw); break;
	default: gemv_w16<1><<<blocks, GEMV_THREADS, 0, stream>>>(y, xq, xs, w->words, w->n, rw);
	}
	BN_CU_LAUNCHED(what);
	return 0;
}

int bn_cuda_gemv(int32_t *y, const struct bn_cuda_qact *x, const struct bn_cuda_tmat *w)
{
	if (x->m != 1)
		return bn_error_set(BN_EINVAL, "gemv %dx%d on the device: %d activation rows, not 1",
				    w->k, w->n, x->m);
	return bn_cu_gemv_async(y, x, 0, w, 0);
}
