/* Absmean ternary quantization of weights and the quantized-activation buffers. The
 * per-row activation quantizers are kernels (ref and SIMD), run through the dispatch. */
#include "bn_quant.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bn_error.h"

int bn_quant_ternary(int8_t *q, float *scale, const float *w, size_t n)
{
	if (n == 0)
		return bn_error_set(BN_EINVAL, "ternary quantization: empty tensor");
	double sum = 0.0;
	for (size_t i = 0; i < n; i++) {
		if (!isfinite(w[i]))
			return bn_error_set(BN_EFORMAT,
					    "ternary quantization: non-finite weight at index %zu",
					    i);
		sum += fabs((double)w[i]);
	}
	float s = (float)(sum / (double)n);
	float d = s > 1e-5f ? s : 1e-5f;
	for (size_t i = 0; i < n; i++) {
		float v = nearbyintf(w[i] / d);
		q[i] = (int8_t)(v > 1.0f ? 1 : (v < -1.0f ? -1 : (int)v));
	}
	*scale = s;
	return 0;
}

int bn_qact_new(struct bn_qact **out, int m, int k)
{
	*out = NULL;
	int k_pad = (k > 0 && k <= (1 << 22)) ? (k + 127) / 128 * 128 : 0;
	if (m <= 0 || k_pad == 0)
		return bn_error_set(BN_EINVAL,
				    "activations %dx%d: rows must be > 0 and columns in "
				    "1..%d",
				    m, k, 1 << 22);
	struct bn_qact *a = calloc(1, sizeof(*a));
	size_t qbytes = ((size_t)m * k_pad + 63) / 64 * 64;
	size_t rbytes = ((size_t)m * 4 + 63) / 64 * 64;
	if (a) {
		a->q = aligned_alloc(64, qbytes);
		a->scale = aligned_alloc(64, rbytes);
		a->rowsum = aligned_alloc(64, rbytes);
	}
	if (!a || !a->q || !a->scale || !a->rowsum) {
		bn_qact_free(a);
		return bn_error_set(BN_ENOMEM, "activations %dx%d: out of memory", m, k);
	}
	memset(a->q, 0, qbytes);
	memset(a->scale, 0, rbytes);
	memset(a->rowsum, 0, rbytes);
	a->m = m;
	a->k = k;
	a->k_pad = k_pad;
	*out = a;
	return 0;
}

void bn_qact_free(struct bn_qact *a)
{
	if (!a)
		return;
	free(a->q);
	free(a->scale);
	free(a->rowsum);
	free(a);
}

void bn_qact_finish(struct bn_qact *a)
{
	for (int i = 0; i < a->m; i++) {
		int8_t *row = a->q + (size_t)i * a->k_pad;
		int32_t s = 0;
		for (int c = 0; c < a->k; c++)
			s += row[c];
		memset(row + a->k, 0, (size_t)(a->k_pad - a->k));
		a->rowsum[i] = s;
	}
}
