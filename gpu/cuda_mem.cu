/* Device memory, copies, timers, and the device twins of bn_tmat and bn_qact (bn_cuda.h). */
#include <cuda_runtime.h>

#include <stdio.h>
#include <stdlib.h>

#include "bn_cuda.h"
#include "bn_cuda_layout.h"
#include "cuda_int.h"

int bn_cu_fail(cudaError_t e, const char *call, const char *what)
{
	int code = BN_EIO;
	if (e == cudaErrorNoDevice || e == cudaErrorInsufficientDriver)
		code = BN_EUNSUPPORTED;
	else if (e == cudaErrorMemoryAllocation)
		code = BN_ENOMEM;
	cudaGetLastError(); /* clear a sticky launch error so the next call starts clean */
	return bn_error_set(code, "%s: %s failed: %s (%s)", what, call, cudaGetErrorString(e),
			    cudaGetErrorName(e));
}

int bn_cu_ready(void)
{
	struct bn_cuda_device d;
	return bn_cuda_probe(&d);
}

int bn_cuda_malloc(void **out, size_t bytes)
{
	*out = NULL;
	int rc = bn_cu_ready();
	if (rc)
		return rc;
	char what[64];
	snprintf(what, sizeof(what), "allocating %zu bytes on the device", bytes);
	BN_CU(cudaMalloc(out, bytes ? bytes : 1), what);
	return 0;
}

void bn_cuda_free(void *p)
{
	if (p)
		cudaFree(p);
}

int bn_cuda_upload(void *dev, const void *host, size_t bytes)
{
	BN_CU(cudaMemcpy(dev, host, bytes, cudaMemcpyHostToDevice), "copy to the device");
	return 0;
}

int bn_cuda_download(void *host, const void *dev, size_t bytes)
{
	BN_CU(cudaMemcpy(host, dev, bytes, cudaMemcpyDeviceToHost), "copy from the device");
	return 0;
}

int bn_cuda_copy(void *dev_dst, const void *dev_src, size_t bytes)
{
	BN_CU(cudaMemcpyAsync(dev_dst, dev_src, bytes, cudaMemcpyDeviceToDevice, 0),
	      "copy on the device");
	return 0;
}

int bn_cuda_sync(void)
{
	BN_CU(cudaDeviceSynchronize(), "waiting for the device");
	return 0;
}

struct bn_cuda_timer {
	cudaEvent_t start, stop;
};

int bn_cuda_timer_new(struct bn_cuda_timer **out)
{
	*out = NULL;
	int rc = bn_cu_ready();
	if (rc)
		return rc;
	struct bn_cuda_timer *t = (struct bn_cuda_timer *)calloc(1, sizeof(*t));
	if (!t)
		return bn_error_set(BN_ENOMEM, "out of memory");
	cudaError_t e = cudaEventCreate(&t->start);
	if (e == cudaSuccess) {
		e = cudaEventCreate(&t->stop);
		if (e != cudaSuccess)
			cudaEventDestroy(t->start);
	}
	if (e != cudaSuccess) {
		free(t);
		return bn_cu_fail(e, "cudaEventCreate", "timer");
	}
	*out = t;
	return 0;
}

void bn_cuda_timer_free(struct bn_cuda_timer *t)
{
	if (!t)
		return;
	cudaEventDestroy(t->start);
	cudaEventDestroy(t->stop);
	free(t);
}

int bn_cuda_timer_start(struct bn_cuda_timer *t)
{
	BN_CU(cudaEventRecord(t->start, 0), "timer start");
	return 0;
}

int bn_cuda_timer_stop(struct bn_cuda_timer *t, double *seconds)
{
	float ms = 0.0f;
	BN_CU(cudaEventRecord(t->stop, 0), "timer stop");
	BN_CU(cudaEventSynchronize(t->stop), "timer stop");
	BN_CU(cudaEventElapsedTime(&ms, t->start, t->stop), "timer stop");
	*seconds = (double)ms * 1e-3;
	return 0;
}

/* ---- weights ---- */

int bn_cuda_tmat_upload(struct bn_cuda_tmat **out, const struct bn_tmat *w)
{
	*out = NULL;
	if (w->n <= 0 || w->k_pad <= 0 || w->k_pad % BN_I2S_BLOCK)
		return bn_error_set(BN_EINVAL, "upload of a %dx%d weight matrix: bad shape (k_pad %d)",
				    w->n, w->k, w->k_pad);
	size_t row_words = bn_w16_row_words(w->k_pad);
	size_t bytes = (size_t)w->n * row_words * sizeof(uint32_t);
	uint32_t *host = (uint32_t *)malloc(bytes);
	struct bn_cuda_tmat *d = (struct bn_cuda_tmat *)calloc(1, sizeof(*d));
	if (!host || !d) {
		free(host);
		free(d);
		return bn_error_set(BN_ENOMEM, "upload of a %dx%d weight matrix: out of memory",
				    w->n, w->k);
	}
	for (int j = 0; j < w->n; j++)
		bn_w16_repack_row(host + (size_t)j * row_words, w->codes + (size_t)j * w->row_bytes,
				  w->k_pad);
	int rc = bn_cuda_malloc((void **)&d->words, bytes);
	if (!rc)
		rc = bn_cuda_upload(d->words, host, bytes);
	free(host);
	if (rc) {
		bn_cuda_free(d->words);
		free(d);
		return rc;
	}
	d->scale = w->scale;
	d->n = w->n;
	d->k = w->k;
	d->k_pad = w->k_pad;
	d->row_words = row_words;
	*out = d;
	return 0;
}

void bn_cuda_tmat_free(struct bn_cuda_tmat *w)
{
	if (!w)
		return;
	bn_cuda_free(w->words);
	free(w);
}

/* ---- activations ---- */

int bn_cuda_qact_new(struct bn_cuda_qact **out, int m, int k)
{
	*out = NULL;
	int k_pad = bn_i2s_k_pad(k);
	if (m <= 0 || k_pad <= 0)
		return bn_error_set(BN_EINVAL, "device activations %dx%d: bad shape", m, k);
	struct bn_cuda_qact *a = (struct bn_cuda_qact *)calloc(1, sizeof(*a));
	if (!a)
		return bn_error_set(BN_ENOMEM, "out of memory");
	int rc = bn_cuda_malloc((void **)&a->q, (size_t)m * (size_t)k_pad);
	if (!rc)
		rc = bn_cuda_malloc((void **)&a->scale, (size_t)m * sizeof(float));
	if (!rc)
		rc = bn_cuda_malloc((void **)&a->rowsum, (size_t)m * sizeof(int32_t));
	if (!rc)
		rc = bn_cuda_malloc((void **)&a->bad_row, sizeof(int));
	if (!rc) {
		char what[64];
		snprintf(what, sizeof(what), "device activations %dx%d", m, k);
		cudaError_t e = cudaMemset(a->q, 0, (size_t)m * (size_t)k_pad);
		if (e != cudaSuccess)
			rc = bn_cu_fail(e, "cudaMemset", what);
	}
	if (rc) {
		bn_cuda_qact_free(a);
		return rc;
	}
	a->m = m;
	a->capacity = m;
	a->k = k;
	a->k_pad = k_pad;
	*out = a;
	return 0;
}

void bn_cuda_qact_free(struct bn_cuda_qact *a)
{
	if (!a)
		return;
	bn_cuda_free(a->q);
	bn_cuda_free(a->scale);
	bn_cuda_free(a->rowsum);
	bn_cuda_free(a->bad_row);
	free(a);
}

int bn_cuda_qact_upload(struct bn_cuda_qact *a, const struct bn_qact *h)
{
	if (h->k != a->k || h->m > a->capacity)
		return bn_error_set(BN_EINVAL, "upload of %dx%d activations into %dx%d", h->m, h->k,
				    a->capacity, a->k);
	int rc = bn_cuda_upload(a->q, h->q, (size_t)h->m * (size_t)h->k_pad);
	if (!rc)
		rc = bn_cuda_upload(a->scale, h->scale, (size_t)h->m * sizeof(float));
	if (!rc)
		rc = bn_cuda_upload(a->rowsum, h->rowsum, (size_t)h->m * sizeof(int32_t));
	if (!rc)
		a->m = h->m;
	return rc;
}

int bn_cuda_qact_download(struct bn_qact *h, const struct bn_cuda_qact *a)
{
	if (h->k != a->k || h->m < a->m)
		return bn_error_set(BN_EINVAL, "download of %dx%d activations into %dx%d", a->m, a->k,
				    h->m, h->k);
	int rc = bn_cuda_download(h->q, a->q, (size_t)a->m * (size_t)a->k_pad);
	if (!rc)
		rc = bn_cuda_download(h->scale, a->scale, (size_t)a->m * sizeof(float));
	if (!rc)
		rc = bn_cuda_download(h->rowsum, a->rowsum, (size_t)a->m * sizeof(int32_t));
	return rc;
}
