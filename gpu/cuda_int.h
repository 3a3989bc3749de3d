/* Internal to gpu/: how a CUDA call's failure becomes a bn_error. Not installed. */
#ifndef BN_CUDA_INT_H
#define BN_CUDA_INT_H

#include <cuda_runtime.h>

#include <stdint.h>
#include <stdio.h>

#include "bn_error.h"

/* A failed CUDA call: BN_EUNSUPPORTED when there is no usable device (so callers can skip),
 * otherwise BN_EIO; the message names the call, the input and the runtime's text. */
int bn_cu_fail(cudaError_t e, const char *call, const char *what);

/* Evaluates a CUDA runtime call; on failure returns the bn error from the enclosing
 * function. what: the operation and its input, for the message. */
#define BN_CU(call, what)                                                                  \
	do {                                                                               \
		cudaError_t bn_cu_e_ = (call);                                            \
		if (bn_cu_e_ != cudaSuccess)                                               \
			return bn_cu_fail(bn_cu_e_, #call, (what));                       \
	} while (0)

/* After a kernel launch: the launch's own error (bad configuration, no device). */
#define BN_CU_LAUNCHED(what) BN_CU(cudaGetLastError(), (what))

/* Makes sure a device is there before the first allocation, so "no device" reads as the
 * probe's reason rather than as a failed cudaMalloc. */
int bn_cu_ready(void);

struct bn_cuda_qact;
struct bn_cuda_tmat;

/* bn_cuda_quantize in two halves, so a forward pass can queue many and check once: the
 * launch (reset: clear the bad-row flag first; 0 keeps an earlier call's bad row), and the
 * wait that turns a NaN/inf row into BN_EFORMAT. */
int bn_cu_quantize_async(struct bn_cuda_qact *a, const float *x, size_t ldx, int m, int reset,
			 cudaStream_t stream);
int bn_cu_quant_check(const struct bn_cuda_qact *a, cudaStream_t stream);

/* y[j] = row `row` of x times w^T: the GEMV of decode, queued on stream. */
int bn_cu_gemv_async(int32_t *y, const struct bn_cuda_qact *x, int row,
		     const struct bn_cuda_tmat *w, cudaStream_t stream);

/* bn_cuda_gemm queued on stream. */
int bn_cu_gemm_async(int32_t *y, size_t ldy, const struct bn_cuda_qact *x,
		     const struct bn_cuda_tmat *w, cudaStream_t stream);

#endif
