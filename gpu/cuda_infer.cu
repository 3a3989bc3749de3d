/* The BitNet b1.58 forward pass with every layer on the device (bn_cuda.h): the formulas of
 * kernels/infer.c, one kernel per step. Weights are uploaded once, the KV cache lives in
 * device memory, and only the token ids go up and the last logits come down per eval.
 *
 * What matches the CPU bit for bit: the embedding rows, activation quantization, the
 * BitLinear integers and their scaling ((float)acc * (w_scale / x_scale), no contraction),
 * the RoPE angles (computed on the host as the CPU does). What does not: sums of floats
 * (norms, attention, the lm_head) run in another order, so logits agree to rounding. */
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bn_cuda.h"
#include "bn_infer.h"
#include "cuda_int.h"

#define ROW_THREADS 256 /* per-row kernels: norms, element-wise steps */

struct dev_layer {
	float *attn_norm, *attn_sub_norm, *ffn_norm, *ffn_sub_norm;
	struct bn_cuda_tmat *wq, *wk, *wv, *wo, *w_gate, *w_up, *w_down;
};

struct bn_cuda_infer {
	const struct bn_model *m;
	int max_tokens, pos;
	int q_dim, kv_dim;
	struct dev_layer *layer;
	void *embd; /* vocab x hidden, F16 or F32 as in the file */
	float *output_norm;
	float *k_cache, *v_cache; /* layers x max_tokens x kv_dim */
	float *logits_dev;
	float *logits; /* host copy of the last row's */
	double *inv_freq; /* host: RoPE frequencies, as the CPU computes them */
	size_t device_bytes;
	/* per-batch buffers, grown to cap rows */
	int cap;
	float *x, *h, *q, *k, *v, *att, *gate, *up, *rope_cs, *scores;
	float *rope_host; /* host staging of rope_cs */
	int32_t *acc, *tokens;
	struct bn_cuda_qact *qa_hidden, *qa_ffn;
};

/* ---- device steps ---- */

__device__ double block_sum_double(double v, double *shared)
{
	for (int o = 16; o > 0; o >>= 1)
		v += __shfl_xor_sync(0xffffffffu, v, o);
	const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
	if (lane == 0)
		shared[warp] = v;
	__syncthreads();
	v = lane < (int)(blockDim.x >> 5) ? shared[lane] : 0.0;
	for (int o = 16; o > 0; o >>= 1)
		v += __shfl_xor_sync(0xffffffffu, v, o);
	__syncthreads();
	return v;
}

__device__ float block_reduce_float(float v, float *shared, int is_max)
{
	for (int o = 16; o > 0; o >>= 1) {
		float t = __shfl_xor_sync(0xffffffffu, v, o);
		v = is_max ? fmaxf(v, t) : v + t;
	}
	const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
	if (lane == 0)
		shared[warp] = v;
	__syncthreads();
	v = lane < (int)(blockDim.x >> 5) ? shared[lane] : (is_max ? -INFINITY : 0.0f);
	for (int o = 16; o > 0; o >>= 1) {
		float t = __shfl_xor_sync(0xffffffffu, v, o);
		v = is_max ? fmaxf(v, t) : v + t;
	}
	__syncthreads();
	return v;
}

/* x[i] = embedding row tokens[i] (F16 widened exactly, or F32 copied). */
__global__ void embed_rows(float *x, const void *embd, int f16, const int32_t *tokens, int hidden)
{
	const size_t row = (size_t)tokens[blockIdx.x] * (size_t)hidden;
	float *xi = x + (size_t)blockIdx.x * (size_t)hidden;
	for (int c = threadIdx.x; c < hidden; c += blockDim.x)
		xi[c] = f16 ? __half2float(((const __half *)embd)[row + (size_t)c])
			    : ((const float *)embd)[row + (size_t)c];
}

/* out = v / sqrt(mean(v^2) + eps) * w per row of n (in place allowed); the mean of squares
 * in double, as on the CPU. */
__global__ void __launch_bounds__(ROW_THREADS)
rmsnorm_rows(float *out, const float *in, const float *w, int n, float eps)
{
	__shared__ double shared[32];
	const float *v = in + (size_t)blockIdx.x * (size_t)n;
	float *o = out + (size_t)blockIdx.x * (size_t)n;
	double ss = 0;
	for (int c = threadIdx.x; c < n; c += blockDim.x)
		ss += (double)v[c] * (double)v[c];
	ss = block_sum_double(ss, shared);
	const float r = (float)(1.0 / sqrt(ss / n + (double)eps));
	for (int c = threadIdx.x; c < n; c += blockDim.x)
		o[c] = __fmul_rn(__fmul_rn(v[c], r), w[c]);
}

/* y = (float)acc * (w_scale / x_scale[row]), 0 for a zero row: BitLinear's output. */
__global__ void scale_rows(float *y, const int32_t *acc, const float *x_scale, float w_scale,
			   int n)
{
	const size_t base = (size_t)blockIdx.x * (size_t)n;
	const float rs = x_scale[blockIdx.x];
	const float f = rs > 0.0f ? __fdiv_rn(w_scale, rs) : 0.0f;
	for (int c = threadIdx.x; c < n; c += blockDim.x)
		y[base + (size_t)c] = __fmul_rn((float)acc[base + (size_t)c], f);
}

/* RoPE on row i's query and key heads with that row's (cos, sin) pairs, then the key and
 * value rows into layer l's cache at position pos0 + i. */
__global__ void rope_and_cache(float *q, float *k, const float *v, const float *cs,
			       float *k_cache, float *v_cache, int pos0, int heads, int kv_heads,
			       int d)
{
	const int i = blockIdx.x;
	const int q_dim = heads * d, kv_dim = kv_heads * d, half = d / 2;
	const float *c = cs + (size_t)i * (size_t)d;
	float *qi = q + (size_t)i * (size_t)q_dim, *ki = k + (size_t)i * (size_t)kv_dim;
	for (int p = threadIdx.x; p < (heads + kv_heads) * half; p += blockDim.x) {
		const int h = p / half, j = p % half;
		float *base = h < heads ? qi + (size_t)h * d : ki + (size_t)(h - heads) * d;
		const float co = c[2 * j], sn = c[2 * j + 1];
		const float a = base[2 * j], b = base[2 * j + 1];
		base[2 * j] = __fsub_rn(__fmul_rn(a, co), __fmul_rn(b, sn));
		base[2 * j + 1] = __fadd_rn(__fmul_rn(a, sn), __fmul_rn(b, co));
	}
	__syncthreads();
	const size_t at = (size_t)(pos0 + i) * (size_t)kv_dim;
	for (int c2 = threadIdx.x; c2 < kv_dim; c2 += blockDim.x) {
		k_cache[at + (size_t)c2] = ki[c2];
		v_cache[at + (size_t)c2] = v[(size_t)i * (size_t)kv_dim + (size_t)c2];
	}
}

/* Causal attention of query head blockIdx.y of row blockIdx.x (position pos0 + row) over
 * the layer's cache positions 0..pos: scores by warps, softmax, then the weighted values
 * with one thread per output element. scores: max_tokens floats per (row, head). */
__global__ void __launch_bounds__(ROW_THREADS)
attend(float *out, const float *q, const float *k_cache, const float *v_cache, float *scores,
       int pos0, int heads, int kv_heads, int d, int max_tokens)
{
	__shared__ float shared[32];
	const int i = blockIdx.x, h = blockIdx.y;
	const int pos = pos0 + i, kv_dim = kv_heads * d, q_dim = heads * d;
	const int kvo = (h / (heads / kv_heads)) * d;
	const float *qh = q + (size_t)i * (size_t)q_dim + (size_t)h * d;
	float *sc = scores + ((size_t)i * heads + h) * (size_t)max_tokens;
	const float scale = 1.0f / sqrtf((float)d);
	const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31, warps = blockDim.x >> 5;

	float mx = -INFINITY;
	for (int t = warp; t <= pos; t += warps) {
		const float *kt = k_cache + (size_t)t * kv_dim + kvo;
		float s = 0.0f;
		for (int c = lane; c < d; c += 32)
			s = fmaf(qh[c], kt[c], s);
		for (int o = 16; o > 0; o >>= 1)
			s += __shfl_xor_sync(0xffffffffu, s, o);
		s = __fmul_rn(s, scale);
		if (lane == 0)
			sc[t] = s;
		mx = fmaxf(mx, s);
	}
	mx = block_reduce_float(mx, shared, 1); /* its __syncthreads publish sc[] too */
	float sum = 0.0f;
	for (int t = threadIdx.x; t <= pos; t += blockDim.x) {
		const float e = expf(sc[t] - mx);
		sc[t] = e;
		sum += e;
	}
	sum = block_reduce_float(sum, shared, 0);
	const float inv = (float)(1.0 / (double)sum);
	float *o = out + (size_t)i * (size_t)q_dim + (size_t)h * d;
	for (int c = threadIdx.x; c < d; c += blockDim.x) {
		float a = 0.0f;
		for (int t = 0; t <= pos; t++)
			a = fmaf(sc[t] * inv, v_cache[(size_t)t * kv_dim + kvo + c], a);
		o[c] = a;
	}
}

__global__ void add_into(float *x, const float *y, size_t n)
{
	for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
	     i += (size_t)gridDim.x * blockDim.x)
		x[i] = __fadd_rn(x[i], y[i]);
}

/* gate = relu(gate)^2 * up, BitNet's squared-ReLU GLU. */
__global__ void relu2_glu(float *gate, const float *up, size_t n)
{
	for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n;
	     i += (size_t)gridDim.x * blockDim.x) {
		const float g = gate[i] > 0.0f ? gate[i] : 0.0f;
		gate[i] = __fmul_rn(__fmul_rn(g, g), up[i]);
	}
}

/* logits[v] = E[v] . x for the tied embedding, a warp per vocabulary row. */
__global__ void lm_head(float *logits, const void *embd, int f16, const float *x, int hidden,
			int vocab)
{
	const int v = (int)((blockIdx.x * (size_t)blockDim.x + threadIdx.x) >> 5);
	const int lane = threadIdx.x & 31;
	if (v >= vocab)
		return;
	float s = 0.0f;
	if (f16) {
		const __half2 *e = (const __half2 *)((const __half *)embd + (size_t)v * hidden);
		for (int c = lane; c < hidden / 2; c += 32) {
			const float2 ef = __half22float2(e[c]);
			s = fmaf(ef.x, x[2 * c], s);
			s = fmaf(ef.y, x[2 * c + 1], s);
		}
	} else {
		const float *e = (const float *)embd + (size_t)v * hidden;
		for (int c = lane; c < hidden; c += 32)
			s = fmaf(e[c], x[c], s);
	}
	for (int o = 16; o > 0; o >>= 1)
		s += __shfl_xor_sync(0xffffffffu, s, o);
	if (lane == 0)
		logits[v] = s;
}

/* ---- set-up ---- */

static int dev_alloc(struct bn_cuda_infer *s, void **p, size_t bytes)
{
	int rc = bn_cuda_malloc(p, bytes);
	if (!rc)
		s->device_bytes += bytes;
	return rc;
}

static int dev_copy_of(struct bn_cuda_infer *s, float **out, const float *host, size_t n)
{
	int rc = dev_alloc(s, (void **)out, n * sizeof(float));
	return rc ? rc : bn_cuda_upload(*out, host, n * sizeof(float));
}

static int upload_matrix(struct bn_cuda_infer *s, struct bn_cuda_tmat **out,
			 const struct bn_tmat *w)
{
	int rc = bn_cuda_tmat_upload(out, w);
	if (!rc)
		s->device_bytes += (size_t)w->n * (*out)->row_words * sizeof(uint32_t);
	return rc;
}

static void free_batch(struct bn_cuda_infer *s)
{
	float *bufs[] = {s->x, s->h, s->q, s->k, s->v, s->att, s->gate, s->up, s->rope_cs,
			 s->scores};
	for (size_t i = 0; i < sizeof(bufs) / sizeof(bufs[0]); i++)
		bn_cuda_free(bufs[i]);
	bn_cuda_free(s->acc);
	bn_cuda_free(s->tokens);
	bn_cuda_qact_free(s->qa_hidden);
	bn_cuda_qact_free(s->qa_ffn);
	free(s->rope_host);
	s->x = s->h = s->q = s->k = s->v = s->att = s->gate = s->up = s->rope_cs = NULL;
	s->scores = s->rope_host = NULL;
	s->acc = s->tokens = NULL;
	s->qa_hidden = s->qa_ffn = NULL;
	s->cap = 0;
}

static int ensure_batch(struct bn_cuda_infer *s, int n)
{
	if (n <= s->cap)
		return 0;
	free_batch(s);
	const struct bn_model_config *c = &s->m->cfg;
	const size_t rows = (size_t)n, f = sizeof(float);
	const size_t wide = (size_t)(c->ffn > c->hidden ? c->ffn : c->hidden);
	int rc = 0;
	struct {
		float **p;
		size_t bytes;
	} want[] = {
		{&s->x, rows * (size_t)c->hidden * f},
		{&s->h, rows * wide * f},
		{&s->q, rows * (size_t)s->q_dim * f},
		{&s->k, rows * (size_t)s->kv_dim * f},
		{&s->v, rows * (size_t)s->kv_dim * f},
		{&s->att, rows * (size_t)s->q_dim * f},
		{&s->gate, rows * (size_t)c->ffn * f},
		{&s->up, rows * (size_t)c->ffn * f},
		{&s->rope_cs, rows * (size_t)c->head_dim * f},
		{&s->scores, rows * (size_t)c->heads * (size_t)s->max_tokens * f},
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]) && !rc; i++)
		rc = bn_cuda_malloc((void **)want[i].p, want[i].bytes);
	if (!rc)
		rc = bn_cuda_malloc((void **)&s->acc, rows * wide * sizeof(int32_t));
	if (!rc)
		rc = bn_cuda_malloc((void **)&s->tokens, rows * sizeof(int32_t));
	if (!rc)
		rc = bn_cuda_qact_new(&s->qa_hidden, n, c->hidden);
	if (!rc)
		rc = bn_cuda_qact_new(&s->qa_ffn, n, c->ffn);
	if (!rc && !(s->rope_host = (float *)malloc(rows * (size_t)c->head_dim * f)))
		rc = bn_error_set(BN_ENOMEM, "inference on the device: out of host memory");
	if (rc) {
		free_batch(s);
		return rc;
	}
	s->cap = n;
	return 0;
}

static void free_layers(struct bn_cuda_infer *s)
{
	if (!s->layer)
		return;
	for (int l = 0; l < s->m->cfg.layers; l++) {
		struct dev_layer *d = &s->layer[l];
		bn_cuda_free(d->attn_norm);
		bn_cuda_free(d->attn_sub_norm);
		bn_cuda_free(d->ffn_norm);
		bn_cuda_free(d->ffn_sub_norm);
		struct bn_cuda_tmat *mats[] = {d->wq, d->wk, d->wv, d->wo, d->w_gate, d->w_up,
					       d->w_down};
		for (size_t i = 0; i < 7; i++)
			bn_cuda_tmat_free(mats[i]);
	}
	free(s->layer);
	s->layer = NULL;
}

void bn_cuda_infer_free(struct bn_cuda_infer *s)
{
	if (!s)
		return;
	free_batch(s);
	free_layers(s);
	bn_cuda_free(s->embd);
	bn_cuda_free(s->output_norm);
	bn_cuda_free(s->k_cache);
	bn_cuda_free(s->v_cache);
	bn_cuda_free(s->logits_dev);
	free(s->logits);
	free(s->inv_freq);
	free(s);
}

static int upload_layer(struct bn_cuda_infer *s, struct dev_layer *d,
			const struct bn_layer_weights *w)
{
	const struct bn_model_config *c = &s->m->cfg;
	int rc = dev_copy_of(s, &d->attn_norm, w->attn_norm, (size_t)c->hidden);
	rc = rc ? rc : dev_copy_of(s, &d->attn_sub_norm, w->attn_sub_norm, (size_t)s->q_dim);
	rc = rc ? rc : dev_copy_of(s, &d->ffn_norm, w->ffn_norm, (size_t)c->hidden);
	rc = rc ? rc : dev_copy_of(s, &d->ffn_sub_norm, w->ffn_sub_norm, (size_t)c->ffn);
	rc = rc ? rc : upload_matrix(s, &d->wq, &w->wq);
	rc = rc ? rc : upload_matrix(s, &d->wk, &w->wk);
	rc = rc ? rc : upload_matrix(s, &d->wv, &w->wv);
	rc = rc ? rc : upload_matrix(s, &d->wo, &w->wo);
	rc = rc ? rc : upload_matrix(s, &d->w_gate, &w->w_gate);
	rc = rc ? rc : upload_matrix(s, &d->w_up, &w->w_up);
	rc = rc ? rc : upload_matrix(s, &d->w_down, &w->w_down);
	return rc;
}

int bn_cuda_infer_new(struct bn_cuda_infer **out, const struct bn_model *m, int max_tokens)
{
	*out = NULL;
	const struct bn_model_config *c = &m->cfg;
	if (max_tokens <= 0)
		max_tokens = c->context;
	if (max_tokens > c->context)
		return bn_error_set(BN_EINVAL, "inference: %d tokens exceed the model's context of %d",
				    max_tokens, c->context);
	int rc = bn_cu_ready();
	if (rc)
		return rc;
	struct bn_cuda_infer *s = (struct bn_cuda_infer *)calloc(1, sizeof(*s));
	if (!s)
		return bn_error_set(BN_ENOMEM, "inference on the device: out of memory");
	s->m = m;
	s->max_tokens = max_tokens;
	s->q_dim = c->heads * c->head_dim;
	s->kv_dim = c->kv_heads * c->head_dim;
	s->layer = (struct dev_layer *)calloc((size_t)c->layers, sizeof(*s->layer));
	s->logits = (float *)malloc((size_t)c->vocab * sizeof(float));
	s->inv_freq = (double *)malloc((size_t)(c->head_dim / 2) * sizeof(double));
	if (!s->layer || !s->logits || !s->inv_freq) {
		bn_cuda_infer_free(s);
		return bn_error_set(BN_ENOMEM, "inference on the device: out of memory");
	}
	for (int i = 0; i < c->head_dim / 2; i++)
		s->inv_freq[i] = pow((double)c->rope_theta, -2.0 * i / c->head_dim);
	const size_t embd_bytes = (size_t)c->vocab * (size_t)c->hidden * (m->embd_f16 ? 2 : 4);
	const size_t cache = (size_t)c->layers * (size_t)max_tokens * (size_t)s->kv_dim;
	rc = dev_alloc(s, &s->embd, embd_bytes);
	rc = rc ? rc : bn_cuda_upload(s->embd, m->embd, embd_bytes);
	rc = rc ? rc : dev_copy_of(s, &s->output_norm, m->output_norm, (size_t)c->hidden);
	rc = rc ? rc : dev_alloc(s, (void **)&s->k_cache, cache * sizeof(float));
	rc = rc ? rc : dev_alloc(s, (void **)&s->v_cache, cache * sizeof(float));
	rc = rc ? rc : dev_alloc(s, (void **)&s->logits_dev, (size_t)c->vocab * sizeof(float));
	for (int l = 0; l < c->layers && !rc; l++)
		rc = upload_layer(s, &s->layer[l], &m->layer[l]);
	rc = rc ? rc : ensure_batch(s, 1);
	if (rc) {
		bn_cuda_infer_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

const float *bn_cuda_infer_logits(const struct bn_cuda_infer *s)
{
	return s->logits;
}

int bn_cuda_infer_pos(const struct bn_cuda_infer *s)
{
	return s->pos;
}

void bn_cuda_infer_truncate(struct bn_cuda_infer *s, int pos)
{
	if (pos >= 0 && pos < s->pos)
		s->pos = pos;
}

size_t bn_cuda_infer_device_bytes(const struct bn_cuda_infer *s)
{
	return s->device_bytes;
}

/* ---- the forward pass ---- */

/* BitLinear: y (rows x w->n) from the rows quantized in a. */
static int bitlinear(struct bn_cuda_infer *s, float *y, const struct bn_cuda_qact *a, int rows,
		     const struct bn_cuda_tmat *w)
{
	int rc = rows == 1 ? bn_cu_gemv_async(s->acc, a, 0, w, 0)
			   : bn_cu_gemm_async(s->acc, (size_t)w->n, a, w, 0);
	if (rc)
		return rc;
	scale_rows<<<rows, ROW_THREADS>>>(y, s->acc, a->scale, w->scale, w->n);
	BN_CU_LAUNCHED("BitLinear scaling on the device");
	return 0;
}

/* Quantizes rows of x without resetting the bad-row flag: the eval checks once, at the end,
 * whether any quantization of the pass met NaN or infinity. */
static int quantize(struct bn_cuda_qact *a, const float *x, int rows, int k)
{
	return bn_cu_quantize_async(a, x, (size_t)k, rows, 0, 0);
}

static int elementwise_blocks(size_t n)
{
	size_t b = (n + ROW_THREADS - 1) / ROW_THREADS;
	return (int)(b < 4096 ? b : 4096);
}

static int eval_layer(struct bn_cuda_infer *s, int l, int n)
{
	const struct bn_model_config *c = &s->m->cfg;
	const struct dev_layer *w = &s->layer[l];
	const int H = c->hidden, F = c->ffn;
	const float eps = c->rms_eps;
	const size_t cache_at = (size_t)l * (size_t)s->max_tokens * (size_t)s->kv_dim;
	int rc;

	rmsnorm_rows<<<n, ROW_THREADS>>>(s->h, s->x, w->attn_norm, H, eps);
	BN_CU_LAUNCHED("attention norm on the device");
	if ((rc = quantize(s->qa_hidden, s->h, n, H)) ||
	    (rc = bitlinear(s, s->q, s->qa_hidden, n, w->wq)) ||
	    (rc = bitlinear(s, s->k, s->qa_hidden, n, w->wk)) ||
	    (rc = bitlinear(s, s->v, s->qa_hidden, n, w->wv)))
		return rc;
	rope_and_cache<<<n, ROW_THREADS>>>(s->q, s->k, s->v, s->rope_cs, s->k_cache + cache_at,
					   s->v_cache + cache_at, s->pos, c->heads, c->kv_heads,
					   c->head_dim);
	BN_CU_LAUNCHED("RoPE on the device");
	attend<<<dim3((unsigned)n, (unsigned)c->heads), ROW_THREADS>>>(
		s->att, s->q, s->k_cache + cache_at, s->v_cache + cache_at, s->scores, s->pos,
		c->heads, c->kv_heads, c->head_dim, s->max_tokens);
	BN_CU_LAUNCHED("attention on the device");
	rmsnorm_rows<<<n, ROW_THREADS>>>(s->att, s->att, w->attn_sub_norm, s->q_dim, eps);
	BN_CU_LAUNCHED("attention sub-norm on the device");
	if ((rc = quantize(s->qa_hidden, s->att, n, s->q_dim)) ||
	    (rc = bitlinear(s, s->h, s->qa_hidden, n, w->wo)))
		return rc;
	size_t nh = (size_t)n * (size_t)H, nf = (size_t)n * (size_t)F;
	add_into<<<elementwise_blocks(nh), ROW_THREADS>>>(s->x, s->h, nh);
	BN_CU_LAUNCHED("residual on the device");
	rmsnorm_rows<<<n, ROW_THREADS>>>(s->h, s->x, w->ffn_norm, H, eps);
	BN_CU_LAUNCHED("FFN norm on the device");
	if ((rc = quantize(s->qa_hidden, s->h, n, H)) ||
	    (rc = bitlinear(s, s->gate, s->qa_hidden, n, w->w_gate)) ||
	    (rc = bitlinear(s, s->up, s->qa_hidden, n, w->w_up)))
		return rc;
	relu2_glu<<<elementwise_blocks(nf), ROW_THREADS>>>(s->gate, s->up, nf);
	BN_CU_LAUNCHED("squared ReLU on the device");
	rmsnorm_rows<<<n, ROW_THREADS>>>(s->gate, s->gate, w->ffn_sub_norm, F, eps);
	BN_CU_LAUNCHED("FFN sub-norm on the device");
	if ((rc = quantize(s->qa_ffn, s->gate, n, F)) ||
	    (rc = bitlinear(s, s->h, s->qa_ffn, n, w->w_down)))
		return rc;
	add_into<<<elementwise_blocks(nh), ROW_THREADS>>>(s->x, s->h, nh);
	BN_CU_LAUNCHED("residual on the device");
	return 0;
}

int bn_cuda_infer_eval(struct bn_cuda_infer *s, const int32_t *tokens, int n)
{
	const struct bn_model_config *c = &s->m->cfg;
	int rc = bn_infer_check_tokens(c, s->pos, s->max_tokens, tokens, n);
	if (rc)
		return rc;
	if ((rc = ensure_batch(s, n)))
		return rc;
	/* RoPE angles on the host, exactly as the CPU computes them */
	const int half = c->head_dim / 2;
	for (int i = 0; i < n; i++)
		for (int j = 0; j < half; j++) {
			double ang = (s->pos + i) * s->inv_freq[j];
			s->rope_host[(size_t)i * 2 * half + 2 * j] = (float)cos(ang);
			s->rope_host[(size_t)i * 2 * half + 2 * j + 1] = (float)sin(ang);
		}
	if ((rc = bn_cuda_upload(s->rope_cs, s->rope_host,
				 (size_t)n * (size_t)c->head_dim * sizeof(float))) ||
	    (rc = bn_cuda_upload(s->tokens, tokens, (size_t)n * sizeof(int32_t))))
		return rc;
	BN_CU(cudaMemsetAsync(s->qa_hidden->bad_row, 0x7f, sizeof(int), 0), "inference");
	BN_CU(cudaMemsetAsync(s->qa_ffn->bad_row, 0x7f, sizeof(int), 0), "inference");
	embed_rows<<<n, ROW_THREADS>>>(s->x, s->embd, s->m->embd_f16, s->tokens, c->hidden);
	BN_CU_LAUNCHED("embedding on the device");
	for (int l = 0; l < c->layers; l++)
		if ((rc = eval_layer(s, l, n)))
			return rc;
	rmsnorm_rows<<<1, ROW_THREADS>>>(s->h, s->x + (size_t)(n - 1) * (size_t)c->hidden,
					 s->output_norm, c->hidden, c->rms_eps);
	BN_CU_LAUNCHED("output norm on the device");
	const int warps_per_block = ROW_THREADS / 32;
	lm_head<<<(c->vocab + warps_per_block - 1) / warps_per_block, ROW_THREADS>>>(
		s->logits_dev, s->embd, s->m->embd_f16, s->h, c->hidden, c->vocab);
	BN_CU_LAUNCHED("lm_head on the device");
	if ((rc = bn_cu_quant_check(s->qa_hidden, 0)) || (rc = bn_cu_quant_check(s->qa_ffn, 0)))
		return rc;
	rc = bn_cuda_download(s->logits, s->logits_dev, (size_t)c->vocab * sizeof(float));
	if (rc)
		return rc;
	s->pos += n;
	return 0;
}
