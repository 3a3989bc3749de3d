/* The BitNet b1.58 forward pass, its KV cache, and sampling (see bn_infer.h). */
#include "bn_infer.h"

#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bn_error.h"
#include "bn_half.h"

struct bn_infer {
	const struct bn_model *m;
	struct bn_ctx *ctx;
	int threads;
	int max_tokens, pos;
	int q_dim, kv_dim;
	float *k_cache, *v_cache; /* layers x max_tokens x kv_dim */
	double *inv_freq;         /* head_dim / 2 */
	float *logits;            /* vocab */
	/* per batch of up to cap rows */
	int cap;
	float *x, *h, *q, *k, *v, *att, *gate, *up;
	float *rope_cs;           /* per row: cos, sin of each of the head_dim / 2 angles */
	float *scores;            /* threads x max_tokens */
	int32_t *acc;
	struct bn_qact *qa_hidden, *qa_ffn; /* quantized rows of k = hidden and k = ffn */
	struct bn_infer_stages stages;
	double mark; /* the time the current stage began */
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Adds the time since the last mark to *stage and moves the mark. */
static void lap(struct bn_infer *s, double *stage)
{
	double t = now_s();
	*stage += t - s->mark;
	s->mark = t;
}

void bn_infer_stages_get(const struct bn_infer *s, struct bn_infer_stages *out)
{
	*out = s->stages;
}

void bn_infer_stages_reset(struct bn_infer *s)
{
	memset(&s->stages, 0, sizeof(s->stages));
}

static void free_batch(struct bn_infer *s)
{
	free(s->x), free(s->h), free(s->q), free(s->k), free(s->v), free(s->att);
	free(s->gate), free(s->up), free(s->rope_cs), free(s->scores), free(s->acc);
	bn_qact_free(s->qa_hidden);
	bn_qact_free(s->qa_ffn);
	s->x = s->h = s->q = s->k = s->v = s->att = s->gate = s->up = s->scores = NULL;
	s->rope_cs = NULL;
	s->acc = NULL;
	s->qa_hidden = s->qa_ffn = NULL;
	s->cap = 0;
}

static int ensure_batch(struct bn_infer *s, int n)
{
	if (n <= s->cap)
		return 0;
	free_batch(s);
	const struct bn_model_config *c = &s->m->cfg;
	size_t rows = (size_t)n;
	size_t wide = (size_t)(c->ffn > c->hidden ? c->ffn : c->hidden);
	s->x = malloc(rows * (size_t)c->hidden * sizeof(float));
	s->h = malloc(rows * wide * sizeof(float));
	s->q = malloc(rows * (size_t)s->q_dim * sizeof(float));
	s->k = malloc(rows * (size_t)s->kv_dim * sizeof(float));
	s->v = malloc(rows * (size_t)s->kv_dim * sizeof(float));
	s->att = malloc(rows * (size_t)s->q_dim * sizeof(float));
	s->gate = malloc(rows * (size_t)c->ffn * sizeof(float));
	s->up = malloc(rows * (size_t)c->ffn * sizeof(float));
	s->rope_cs = malloc(rows * (size_t)c->head_dim * sizeof(float));
	s->scores = malloc((size_t)s->threads * (size_t)s->max_tokens * sizeof(float));
	s->acc = malloc(rows * wide * sizeof(int32_t));
	int err = bn_qact_new(&s->qa_hidden, n, c->hidden);
	err = err ? err : bn_qact_new(&s->qa_ffn, n, c->ffn);
	if (err || !s->x || !s->h || !s->q || !s->k || !s->v || !s->att || !s->gate || !s->up ||
	    !s->rope_cs || !s->scores || !s->acc) {
		free_batch(s);
		return bn_error_set(BN_ENOMEM, "inference: out of memory for a batch of %d tokens", n);
	}
	s->cap = n;
	return 0;
}

void bn_infer_free(struct bn_infer *s)
{
	if (!s)
		return;
	free_batch(s);
	free(s->k_cache), free(s->v_cache), free(s->inv_freq), free(s->logits);
	bn_ctx_free(s->ctx);
	free(s);
}

int bn_infer_new(struct bn_infer **out, const struct bn_model *m,
		 const struct bn_infer_opts *opts)
{
	*out = NULL;
	const struct bn_model_config *c = &m->cfg;
	struct bn_infer *s = calloc(1, sizeof(*s));
	if (!s)
		return bn_error_set(BN_ENOMEM, "inference: out of memory");
	s->m = m;
	s->threads = opts && opts->threads > 0 ? opts->threads : 1;
	s->max_tokens = opts && opts->max_tokens > 0 ? opts->max_tokens : c->context;
	if (s->max_tokens > c->context) {
		bn_infer_free(s);
		return bn_error_set(BN_EINVAL, "inference: %d tokens exceed the model's context of %d",
				    opts->max_tokens, c->context);
	}
	s->q_dim = c->heads * c->head_dim;
	s->kv_dim = c->kv_heads * c->head_dim;
	struct bn_ctx_opts co = {.kernel = opts ? opts->kernel : BN_KERNEL_AUTO,
				 .threads = s->threads};
	int err = bn_ctx_new(&s->ctx, &co);
	if (err) {
		bn_infer_free(s);
		return err;
	}
	size_t cache = (size_t)c->layers * (size_t)s->max_tokens * (size_t)s->kv_dim;
	s->k_cache = calloc(cache, sizeof(float));
	s->v_cache = calloc(cache, sizeof(float));
	s->inv_freq = malloc((size_t)(c->head_dim / 2) * sizeof(double));
	s->logits = malloc((size_t)c->vocab * sizeof(float));
	if (!s->k_cache || !s->v_cache || !s->inv_freq || !s->logits) {
		bn_infer_free(s);
		return bn_error_set(BN_ENOMEM, "inference: out of memory for a cache of %d tokens",
				    s->max_tokens);
	}
	for (int i = 0; i < c->head_dim / 2; i++)
		s->inv_freq[i] = pow((double)c->rope_theta, -2.0 * i / c->head_dim);
	*out = s;
	return 0;
}

void bn_infer_reset(struct bn_infer *s)
{
	s->pos = 0;
}

void bn_infer_truncate(struct bn_infer *s, int pos)
{
	if (pos >= 0 && pos < s->pos)
		s->pos = pos;
}

int bn_infer_pos(const struct bn_infer *s)
{
	return s->pos;
}

const float *bn_infer_logits(const struct bn_infer *s)
{
	return s->logits;
}

struct bn_ctx *bn_infer_ctx(struct bn_infer *s)
{
	return s->ctx;
}

/* --- pieces -------------------------------------------------------------------------------- */

/* out = v / sqrt(mean(v^2) + eps) * w, accumulated in double in index order. */
static void rmsnorm(float *out, const float *v, const float *w, int n, float eps)
{
	double ss = 0;
	for (int i = 0; i < n; i++)
		ss += (double)v[i] * v[i];
	float r = (float)(1.0 / sqrt(ss / n + eps));
	for (int i = 0; i < n; i++)
		out[i] = v[i] * r * w[i];
}

/* y (rows x w->n) = BitLinear of the rows already quantized in a. */
static int bitlinear(struct bn_infer *s, float *y, struct bn_qact *a, int rows,
		     const struct bn_tmat *w)
{
	int err = rows == 1 ? bn_gemv(s->ctx, s->acc, a, w)
			    : bn_gemm(s->ctx, s->acc, (size_t)w->n, a, w);
	if (err)
		return err;
	for (int i = 0; i < rows; i++) {
		float rs = a->scale[i];
		float f = rs > 0 ? w->scale / rs : 0;
		const int32_t *acc = s->acc + (size_t)i * (size_t)w->n;
		float *yi = y + (size_t)i * (size_t)w->n;
		for (int j = 0; j < w->n; j++)
			yi[j] = (float)acc[j] * f;
	}
	return 0;
}

/* Quantizes rows x k floats of x (stride k) into a, whose row count is set to rows: the
 * kernels compute every row a says it has. */
static int quantize(struct bn_infer *s, struct bn_qact *a, const float *x, int rows, int k)
{
	a->m = rows;
	return bn_quantize(s->ctx, a, x, (size_t)k, rows);
}

/* The cos and sin of each RoPE angle at positions pos .. pos + n - 1, computed once per eval
 * for every layer: row i holds (cos, sin) of pos_i * theta^(-2j / head_dim) for each j. */
static void rope_angles(struct bn_infer *s, int pos, int n)
{
	int half = s->m->cfg.head_dim / 2;
	for (int i = 0; i < n; i++)
		for (int j = 0; j < half; j++) {
			double ang = (pos + i) * s->inv_freq[j];
			s->rope_cs[(size_t)i * 2 * half + 2 * j] = (float)cos(ang);
			s->rope_cs[(size_t)i * 2 * half + 2 * j + 1] = (float)sin(ang);
		}
}

static void rope(const struct bn_infer *s, float *v, int n_heads, const float *cs)
{
	int d = s->m->cfg.head_dim;
	for (int h = 0; h < n_heads; h++) {
		float *p = v + (size_t)h * (size_t)d;
		for (int i = 0; i < d / 2; i++) {
			float c = cs[2 * i], sn = cs[2 * i + 1];
			float a = p[2 * i], b = p[2 * i + 1];
			p[2 * i] = a * c - b * sn;
			p[2 * i + 1] = a * sn + b * c;
		}
	}
}

/* a . b in a fixed order the compiler can vectorize: eight running sums, lane l taking
 * elements i with i % 8 == l, then ((s0 + s4) + (s2 + s6)) + ((s1 + s5) + (s3 + s7)). */
static float dot8(const float *a, const float *b, int n)
{
	float acc[8] = {0};
	int i = 0;
	for (; i + 8 <= n; i += 8)
		for (int l = 0; l < 8; l++)
			acc[l] += a[i + l] * b[i + l];
	for (int l = 0; i < n; i++, l++)
		acc[l] += a[i] * b[i];
	return ((acc[0] + acc[4]) + (acc[2] + acc[6])) + ((acc[1] + acc[5]) + (acc[3] + acc[7]));
}

/* Attention of query head h of one row at position pos over cache positions 0..pos of
 * layer l, into out (head_dim floats); scores is max_tokens floats of scratch. */
static void attend_head(const struct bn_infer *s, float *out, const float *qh, int l, int h,
			int pos, float *scores)
{
	const struct bn_model_config *c = &s->m->cfg;
	int d = c->head_dim, group = c->heads / c->kv_heads;
	size_t kvo = (size_t)(h / group) * (size_t)d;
	const float *kc = s->k_cache + (size_t)l * (size_t)s->max_tokens * (size_t)s->kv_dim + kvo;
	const float *vc = s->v_cache + (size_t)l * (size_t)s->max_tokens * (size_t)s->kv_dim + kvo;
	float scale = 1.0f / sqrtf((float)d);
	float mx = -INFINITY;
	for (int t = 0; t <= pos; t++) {
		scores[t] = dot8(qh, kc + (size_t)t * (size_t)s->kv_dim, d) * scale;
		if (scores[t] > mx)
			mx = scores[t];
	}
	double sum = 0;
	for (int t = 0; t <= pos; t++) {
		scores[t] = expf(scores[t] - mx);
		sum += scores[t];
	}
	float inv = (float)(1.0 / sum);
	for (int i = 0; i < d; i++)
		out[i] = 0;
	for (int t = 0; t <= pos; t++) {
		const float *vt = vc + (size_t)t * (size_t)s->kv_dim;
		float p = scores[t] * inv;
		for (int i = 0; i < d; i++)
			out[i] += p * vt[i];
	}
}

/* Attention of n rows over layer l, the (row, head) pairs shared out among the threads:
 * each pair is one thread's work in a fixed order, so the thread count changes nothing. */
struct attn_job {
	struct bn_infer *s;
	int l, n;
	atomic_int next;
};

static void attn_worker(void *arg, int tid)
{
	struct attn_job *j = arg;
	struct bn_infer *s = j->s;
	int heads = s->m->cfg.heads, d = s->m->cfg.head_dim;
	float *scores = s->scores + (size_t)tid * (size_t)s->max_tokens;
	for (;;) {
		int it = atomic_fetch_add_explicit(&j->next, 1, memory_order_relaxed);
		if (it >= j->n * heads)
			return;
		int i = it / heads, h = it % heads;
		size_t off = (size_t)i * (size_t)s->q_dim + (size_t)h * (size_t)d;
		attend_head(s, s->att + off, s->q + off, j->l, h, s->pos + i, scores);
	}
}

struct head_job {
	struct bn_infer *s;
	const float *x;
	int threads;
};

/* logits[v] = E[v] . x for an F32 embedding, vocabulary rows split among the threads;
 * each logit is one thread's sum in index order, so the thread count does not change it.
 * (An F16 embedding, the usual one, goes through the dispatch's lm_head: bn_gemv_f16.) */
static void lm_head_f32_worker(void *arg, int tid)
{
	const struct head_job *j = arg;
	const struct bn_model *m = j->s->m;
	int hidden = m->cfg.hidden, vocab = m->cfg.vocab;
	int per = (vocab + j->threads - 1) / j->threads;
	int lo = tid * per, hi = lo + per < vocab ? lo + per : vocab;
	for (int v = lo; v < hi; v++) {
		const float *e = (const float *)m->embd + (size_t)v * (size_t)hidden;
		float acc = 0;
		for (int i = 0; i < hidden; i++)
			acc += e[i] * j->x[i];
		j->s->logits[v] = acc;
	}
}

/* --- the forward pass -------------------------------------------------------------------- */

int bn_infer_check_tokens(const struct bn_model_config *c, int pos, int max_tokens,
			  const int32_t *tokens, int n)
{
	if (n <= 0)
		return bn_error_set(BN_EINVAL, "inference: no tokens to evaluate");
	if (n > max_tokens - pos)
		return bn_error_set(BN_EINVAL,
				    "inference: %d more tokens do not fit the cache (%d of %d used)",
				    n, pos, max_tokens);
	for (int i = 0; i < n; i++)
		if (tokens[i] < 0 || tokens[i] >= c->vocab)
			return bn_error_set(BN_EINVAL,
					    "inference: token %d (at %d) is outside the vocabulary "
					    "of %d",
					    (int)tokens[i], i, c->vocab);
	return 0;
}

/* x = the embedding rows of the n tokens, as F32. */
static void embed(struct bn_infer *s, const int32_t *tokens, int n)
{
	const struct bn_model *m = s->m;
	int H = m->cfg.hidden;
	for (int i = 0; i < n; i++) {
		float *xi = s->x + (size_t)i * (size_t)H;
		if (m->embd_f16) {
			const uint16_t *e = (const uint16_t *)m->embd + (size_t)tokens[i] * (size_t)H;
			for (int k = 0; k < H; k++)
				xi[k] = bn_f16_to_f32(e[k]);
		} else {
			memcpy(xi, (const float *)m->embd + (size_t)tokens[i] * (size_t)H,
			       (size_t)H * sizeof(float));
		}
	}
}

/* h = rmsnorm(x) row by row, with the norm's weights. */
static void norm_rows(struct bn_infer *s, const float *weight, int n)
{
	const struct bn_model_config *c = &s->m->cfg;
	int H = c->hidden;
	for (int i = 0; i < n; i++)
		rmsnorm(s->h + (size_t)i * (size_t)H, s->x + (size_t)i * (size_t)H, weight, H,
			c->rms_eps);
}

/* Layer l's attention block over n tokens at s->pos: Q, K, V, RoPE, the KV cache, the heads,
 * the sub-norm and the output projection into h. */
static int attention_block(struct bn_infer *s, const struct bn_layer_weights *w, int l, int n)
{
	const struct bn_model_config *c = &s->m->cfg;
	struct bn_infer_stages *st = &s->stages;
	int err;
	norm_rows(s, w->attn_norm, n);
	lap(s, &st->other_s);
	if ((err = quantize(s, s->qa_hidden, s->h, n, c->hidden)) ||
	    (err = bitlinear(s, s->q, s->qa_hidden, n, &w->wq)) ||
	    (err = bitlinear(s, s->k, s->qa_hidden, n, &w->wk)) ||
	    (err = bitlinear(s, s->v, s->qa_hidden, n, &w->wv)))
		return err;
	lap(s, &st->bitlinear_s);
	size_t base = (size_t)l * (size_t)s->max_tokens * (size_t)s->kv_dim;
	for (int i = 0; i < n; i++) {
		int pos = s->pos + i;
		const float *cs = s->rope_cs + (size_t)i * (size_t)c->head_dim;
		rope(s, s->q + (size_t)i * (size_t)s->q_dim, c->heads, cs);
		rope(s, s->k + (size_t)i * (size_t)s->kv_dim, c->kv_heads, cs);
		memcpy(s->k_cache + base + (size_t)pos * (size_t)s->kv_dim,
		       s->k + (size_t)i * (size_t)s->kv_dim, (size_t)s->kv_dim * sizeof(float));
		memcpy(s->v_cache + base + (size_t)pos * (size_t)s->kv_dim,
		       s->v + (size_t)i * (size_t)s->kv_dim, (size_t)s->kv_dim * sizeof(float));
	}
	struct attn_job aj = {.s = s, .l = l, .n = n};
	atomic_init(&aj.next, 0);
	bn_ctx_parallel(s->ctx, attn_worker, &aj);
	for (int i = 0; i < n; i++) {
		float *ai = s->att + (size_t)i * (size_t)s->q_dim;
		rmsnorm(ai, ai, w->attn_sub_norm, s->q_dim, c->rms_eps);
	}
	lap(s, &st->attention_s);
	if ((err = quantize(s, s->qa_hidden, s->att, n, s->q_dim)) ||
	    (err = bitlinear(s, s->h, s->qa_hidden, n, &w->wo)))
		return err;
	lap(s, &st->bitlinear_s);
	return 0;
}

/* Layer l's feed-forward block: gate and up, squared ReLU gating, the sub-norm and the down
 * projection into h. */
static int ffn_block(struct bn_infer *s, const struct bn_layer_weights *w, int n)
{
	const struct bn_model_config *c = &s->m->cfg;
	struct bn_infer_stages *st = &s->stages;
	int F = c->ffn, err;
	norm_rows(s, w->ffn_norm, n);
	lap(s, &st->other_s);
	if ((err = quantize(s, s->qa_hidden, s->h, n, c->hidden)) ||
	    (err = bitlinear(s, s->gate, s->qa_hidden, n, &w->w_gate)) ||
	    (err = bitlinear(s, s->up, s->qa_hidden, n, &w->w_up)))
		return err;
	lap(s, &st->bitlinear_s);
	for (size_t i = 0; i < (size_t)n * (size_t)F; i++) {
		float g = s->gate[i] > 0 ? s->gate[i] : 0;
		s->gate[i] = g * g * s->up[i];
	}
	for (int i = 0; i < n; i++) {
		float *gi = s->gate + (size_t)i * (size_t)F;
		rmsnorm(gi, gi, w->ffn_sub_norm, F, c->rms_eps);
	}
	lap(s, &st->other_s);
	if ((err = quantize(s, s->qa_ffn, s->gate, n, F)) ||
	    (err = bitlinear(s, s->h, s->qa_ffn, n, &w->w_down)))
		return err;
	lap(s, &st->bitlinear_s);
	return 0;
}

/* x += h: a block's residual connection. */
static void add_residual(struct bn_infer *s, int n)
{
	for (size_t i = 0; i < (size_t)n * (size_t)s->m->cfg.hidden; i++)
		s->x[i] += s->h[i];
}

/* The logits of the last of the n tokens: the output norm, then the lm_head. */
static int lm_head(struct bn_infer *s, int n)
{
	const struct bn_model *m = s->m;
	const struct bn_model_config *c = &m->cfg;
	int H = c->hidden;
	float *last = s->h;
	rmsnorm(last, s->x + (size_t)(n - 1) * (size_t)H, m->output_norm, H, c->rms_eps);
	lap(s, &s->stages.other_s);
	if (m->embd_f16) {
		int err = bn_gemv_f16(s->ctx, s->logits, (const uint16_t *)m->embd, last, H,
				      c->vocab);
		if (err)
			return err;
	} else {
		struct head_job job = {.s = s, .x = last, .threads = s->threads};
		bn_ctx_parallel(s->ctx, lm_head_f32_worker, &job);
	}
	lap(s, &s->stages.lm_head_s);
	return 0;
}

int bn_infer_eval(struct bn_infer *s, const int32_t *tokens, int n)
{
	const struct bn_model *m = s->m;
	const struct bn_model_config *c = &m->cfg;
	int err = bn_infer_check_tokens(c, s->pos, s->max_tokens, tokens, n);
	if (err)
		return err;
	err = ensure_batch(s, n);
	if (err)
		return err;
	s->mark = now_s();
	rope_angles(s, s->pos, n);
	embed(s, tokens, n);
	for (int l = 0; l < c->layers; l++) {
		const struct bn_layer_weights *w = &m->layer[l];
		if ((err = attention_block(s, w, l, n)))
			return err;
		add_residual(s, n);
		if ((err = ffn_block(s, w, n)))
			return err;
		add_residual(s, n);
	}
	if ((err = lm_head(s, n)))
		return err;
	s->pos += n;
	return 0;
}

/* --- sampling ------------------------------------------------------------------------------ */

struct cand {
	float logit;
	int32_t id;
};

static uint64_t next_rand(uint64_t *st)
{
	uint64_t z = (*st += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

int bn_sampler_init(struct bn_sampler *s, const struct bn_sampler_opts *o, int vocab)
{
	memset(s, 0, sizeof(*s));
	s->o = *o;
	if (!(o->temperature >= 0) || o->top_k < 0 || !(o->top_p > 0 && o->top_p <= 1))
		return bn_error_set(BN_EINVAL,
				    "sampler: temperature %g must be >= 0, top-k %d >= 0, top-p %g "
				    "in (0, 1]",
				    (double)o->temperature, o->top_k, (double)o->top_p);
	s->state = o->seed;
	s->n = vocab;
	s->prob = malloc((size_t)vocab * sizeof(float));
	s->cand = malloc((size_t)vocab * sizeof(struct cand));
	if (!s->prob || !s->cand) {
		bn_sampler_clear(s);
		return bn_error_set(BN_ENOMEM, "sampler: out of memory");
	}
	return 0;
}

void bn_sampler_clear(struct bn_sampler *s)
{
	free(s->prob);
	free(s->cand);
	s->prob = NULL;
	s->cand = NULL;
}

/* Larger logit first; the lower id first among equals, so the order is total. */
static int by_logit(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;
	if (x->logit != y->logit)
		return x->logit > y->logit ? -1 : 1;
	return (x->id > y->id) - (x->id < y->id);
}

int32_t bn_sample(struct bn_sampler *s, const float *logits)
{
	int n = s->n;
	if (s->o.temperature == 0) {
		int32_t best = 0;
		for (int32_t i = 1; i < n; i++)
			if (logits[i] > logits[best])
				best = i;
		return best;
	}
	struct cand *c = s->cand;
	for (int32_t i = 0; i < n; i++)
		c[i] = (struct cand){logits[i], i};
	qsort(c, (size_t)n, sizeof(*c), by_logit);
	int keep = s->o.top_k > 0 && s->o.top_k < n ? s->o.top_k : n;
	double mx = c[0].logit, sum = 0;
	for (int i = 0; i < keep; i++) {
		s->prob[i] = (float)exp((c[i].logit - mx) / s->o.temperature);
		sum += s->prob[i];
	}
	if (s->o.top_p < 1) {
		double run = 0;
		for (int i = 0; i < keep; i++) {
			run += s->prob[i] / sum;
			if (run >= s->o.top_p) {
				keep = i + 1;
				break;
			}
		}
		sum = 0;
		for (int i = 0; i < keep; i++)
			sum += s->prob[i];
	}
	double u = (double)(next_rand(&s->state) >> 11) * (1.0 / 9007199254740992.0) * sum;
	double run = 0;
	for (int i = 0; i < keep; i++) {
		run += s->prob[i];
		if (u < run)
			return c[i].id;
	}
	return c[keep - 1].id;
}
