/* int8 absmax activation quantization on the device: the bytes, scales and sums of
 * bn_ref_quant_row (bn_quant.h), one block per row. Bit-identical because each element is
 * one IEEE multiply (no contraction: __fmul_rn) and one round-half-even (rintf), the scale
 * one IEEE division (__fdiv_rn), and max and integer sums do not depend on order. */
#include <cuda_runtime.h>

#include <string.h>

#include "bn_cuda.h"
#include "cuda_int.h"

#define QUANT_THREADS 256
#define NO_BAD_ROW 0x7f7f7f7f /* what a byte-wise memset of 0x7f leaves: "no bad row" */

/* bn_act_scale (kernels_int.h) on the device. */
__device__ __forceinline__ float act_scale(float amax)
{
	float s = __fdiv_rn(127.0f, amax);
	return (amax > 0.0f && s <= 3.4028234663852886e38f) ? s : 0.0f;
}

/* The block's max of v (v >= 0) or sum, returned to every thread. */
__device__ float block_max(float v, float *shared)
{
	for (int o = 16; o > 0; o >>= 1)
		v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
	int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
	if (lane == 0)
		shared[warp] = v;
	__syncthreads();
	v = lane < (int)(blockDim.x >> 5) ? shared[lane] : 0.0f;
	for (int o = 16; o > 0; o >>= 1)
		v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
	__syncthreads(); /* shared is reused */
	return v;
}

__device__ int block_sum(int v, int *shared)
{
	for (int o = 16; o > 0; o >>= 1)
		v += __shfl_xor_sync(0xffffffffu, v, o);
	int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
	if (lane == 0)
		shared[warp] = v;
	__syncthreads();
	v = lane < (int)(blockDim.x >> 5) ? shared[lane] : 0;
	for (int o = 16; o > 0; o >>= 1)
		v += __shfl_xor_sync(0xffffffffu, v, o);
	return v;
}

__global__ void __launch_bounds__(QUANT_THREADS)
quant_rows(int8_t *q, float *scale, int32_t *rowsum, int *bad_row, const float *x, size_t ldx,
	   int k, int k_pad)
{
	__shared__ float fshared[32];
	__shared__ int ishared[32];
	const int row = blockIdx.x;
	const float *xr = x + (size_t)row * ldx;
	int8_t *qr = q + (size_t)row * (size_t)k_pad;

	float amax = 0.0f;
	int bad = 0;
	for (int c = threadIdx.x; c < k; c += blockDim.x) {
		float v = xr[c];
		if (!isfinite(v))
			bad = 1;
		else
			amax = fmaxf(amax, fabsf(v));
	}
	if (__syncthreads_or(bad)) {
		if (threadIdx.x == 0)
			atomicMin(bad_row, row);
		return;
	}
	amax = block_max(amax, fshared);
	const float s = act_scale(amax);

	int sum = 0;
	for (int c = threadIdx.x; c < k; c += blockDim.x) {
		float v = rintf(__fmul_rn(xr[c], s));
		v = v > 127.0f ? 127.0f : (v < -128.0f ? -128.0f : v);
		int qi = (int)v;
		qr[c] = (int8_t)qi;
		sum += qi;
	}
	for (int c = k + threadIdx.x; c < k_pad; c += blockDim.x)
		qr[c] = 0;
	sum = block_sum(sum, ishared);
	if (threadIdx.x == 0) {
		scale[row] = s;
		rowsum[row] = sum;
	}
}

int bn_cu_quantize_async(struct bn_cuda_qact *a, const float *x, size_t ldx, int m, int reset,
			 cudaStream_t stream)
{
	if (m <= 0 || m > a->capacity || ldx < (size_t)a->k)
		return bn_error_set(BN_EINVAL, "quantize %dx%d on the device: %d rows, capacity %d, "
				    "row stride %zu", m, a->k, m, a->capacity, ldx);
	if (reset)
		BN_CU(cudaMemsetAsync(a->bad_row, 0x7f, sizeof(int), stream),
		      "quantize on the device");
	quant_rows<<<m, QUANT_THREADS, 0, stream>>>(a->q, a->scale, a->rowsum, a->bad_row, x, ldx,
						       a->k, a->k_pad);
	BN_CU_LAUNCHED("quantize on the device");
	a->m = m;
	return 0;
}

int bn_cu_quant_check(const struct bn_cuda_qact *a, cudaStream_t stream)
{
	int bad = NO_BAD_ROW;
	BN_CU(cudaMemcpyAsync(&bad, a->bad_row, sizeof(int), cudaMemcpyDeviceToHost, stream),
	      "quantize on the device");
	BN_CU(cudaStreamSynchronize(stream), "quantize on the device");
	if (bad != NO_BAD_ROW)
		return bn_error_set(BN_EFORMAT,
				    "quantize %dx%d: row %d holds NaN or infinity; no int8 scale "
				    "represents it",
				    a->m, a->k, bad);
	return 0;
}

int bn_cuda_quantize(struct bn_cuda_qact *a, const float *x, size_t ldx, int m)
{
	int rc = bn_cu_quantize_async(a, x, ldx, m, 1, 0);
	return rc ? rc : bn_cu_quant_check(a, 0);
}
