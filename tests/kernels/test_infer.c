/* The forward pass on the tiny synthetic model against a float reference written here from
 * the architecture (weights dequantized to floats, activations quantized the same way,
 * everything else in double): logits agree within a stated tolerance, greedy tokens are
 * identical over 32 steps, and results are bit-identical for any thread count and kernel.
 * Strict mode refuses a fallback kernel in a BitLinear. Sampling: greedy, top-k, top-p. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bn_dispatch.h"
#include "bn_error.h"
#include "bn_gguf.h"
#include "bn_half.h"
#include "bn_infer.h"
#include "bn_model.h"
#include "tf.h"

/* Logits of the fast path and of the reference may differ by float rounding, which can
 * flip an int8 rounding of an activation; both stay within this of each other (absolute,
 * logits here are of order 1). */
#define LOGIT_TOL 0.05

static char *tiny_model(uint64_t seed)
{
	char *p = tf_tmpfile("bn-infer");
	struct bn_model_config c;
	TF_CHECK_EQ(bn_model_preset(&c, "tiny"), 0);
	TF_CHECK(bn_model_write_synthetic(&c, seed, p) == 0, "%s", bn_error_last());
	return p;
}

/* --- the reference ---------------------------------------------------------------------- */

struct ref {
	const struct bn_model *m;
	int pos;
	double *kc, *vc; /* layers x ctx x kv_dim */
	int ctx;
};

/* W (n x k) as floats: (code - 1) * scale, codes read from the I2_S layout directly. */
static double wval(const struct bn_tmat *w, int j, int i)
{
	const uint8_t *row = w->codes + (size_t)j * w->row_bytes;
	int block = i / 128, in = i % 128;
	uint8_t byte = row[block * 32 + in % 32];
	int code = (byte >> (6 - 2 * (in / 32))) & 3;
	return (double)(code - 1) * w->scale;
}

/* absmax int8 quantization as bn_quant.h states it, in float */
static void quant_row(const double *x, int k, int8_t *q, float *s)
{
	float a = 0;
	for (int i = 0; i < k; i++)
		if (fabsf((float)x[i]) > a)
			a = fabsf((float)x[i]);
	*s = a > 0 ? 127.0f / a : 0;
	for (int i = 0; i < k; i++) {
		float v = rintf((float)x[i] * *s);
		q[i] = (int8_t)(v > 127 ? 127 : v < -128 ? -128 : v);
	}
}

static void linear(const struct bn_tmat *w, const double *x, double *y)
{
	int8_t *q = malloc((size_t)w->k);
	float s;
	quant_row(x, w->k, q, &s);
	for (int j = 0; j < w->n; j++) {
		double acc = 0;
		for (int i = 0; i < w->k; i++)
			acc += q[i] * wval(w, j, i);
		y[j] = s > 0 ? acc / s : 0;
	}
	free(q);
}

static void norm(double *out, const double *v, const float *w, int n, double eps)
{
	double ss = 0;
	for (int i = 0; i < n; i++)
		ss += v[i] * v[i];
	double r = 1 / sqrt(ss / n + eps);
	for (int i = 0; i < n; i++)
		out[i] = v[i] * r * w[i];
}

static void rope_ref(double *v, int heads, int d, int pos, double theta)
{
	for (int h = 0; h < heads; h++)
		for (int i = 0; i < d / 2; i++) {
			double ang = pos * pow(theta, -2.0 * i / d);
			double a = v[h * d + 2 * i], b = v[h * d + 2 * i + 1];
			v[h * d + 2 * i] = a * cos(ang) - b * sin(ang);
			v[h * d + 2 * i + 1] = a * sin(ang) + b * cos(ang);
		}
}

static void ref_step(struct ref *r, int token, double *logits)
{
	const struct bn_model *m = r->m;
	const struct bn_model_config *c = &m->cfg;
	int H = c->hidden, F = c->ffn, d = c->head_dim, kv = c->kv_heads * d;
	double *x = calloc((size_t)H, sizeof(double)), *h = calloc((size_t)F, sizeof(double));
	double *q = calloc((size_t)H, sizeof(double)), *k = calloc((size_t)kv, sizeof(double));
	double *v = calloc((size_t)kv, sizeof(double)), *a = calloc((size_t)H, sizeof(double));
	double *g = calloc((size_t)F, sizeof(double)), *u = calloc((size_t)F, sizeof(double));
	double *sc = calloc((size_t)r->ctx, sizeof(double));
	for (int i = 0; i < H; i++)
		x[i] = bn_f16_to_f32(((const uint16_t *)m->embd)[(size_t)token * H + i]);
	for (int l = 0; l < c->layers; l++) {
		const struct bn_layer_weights *w = &m->layer[l];
		norm(h, x, w->attn_norm, H, c->rms_eps);
		linear(&w->wq, h, q);
		linear(&w->wk, h, k);
		linear(&w->wv, h, v);
		rope_ref(q, c->heads, d, r->pos, c->rope_theta);
		rope_ref(k, c->kv_heads, d, r->pos, c->rope_theta);
		double *kc = r->kc + ((size_t)l * r->ctx) * kv, *vc = r->vc + ((size_t)l * r->ctx) * kv;
		memcpy(kc + (size_t)r->pos * kv, k, (size_t)kv * sizeof(double));
		memcpy(vc + (size_t)r->pos * kv, v, (size_t)kv * sizeof(double));
		int group = c->heads / c->kv_heads;
		for (int hd = 0; hd < c->heads; hd++) {
			int o = (hd / group) * d;
			double mx = -INFINITY, sum = 0;
			for (int t = 0; t <= r->pos; t++) {
				double dot = 0;
				for (int i = 0; i < d; i++)
					dot += q[hd * d + i] * kc[(size_t)t * kv + o + i];
				sc[t] = dot / sqrt((double)d);
				mx = sc[t] > mx ? sc[t] : mx;
			}
			for (int t = 0; t <= r->pos; t++)
				sum += (sc[t] = exp(sc[t] - mx));
			for (int i = 0; i < d; i++) {
				double acc = 0;
				for (int t = 0; t <= r->pos; t++)
					acc += sc[t] / sum * vc[(size_t)t * kv + o + i];
				a[hd * d + i] = acc;
			}
		}
		norm(a, a, w->attn_sub_norm, H, c->rms_eps);
		linear(&w->wo, a, h);
		for (int i = 0; i < H; i++)
			x[i] += h[i];
		norm(h, x, w->ffn_norm, H, c->rms_eps);
		linear(&w->w_gate, h, g);
		linear(&w->w_up, h, u);
		for (int i = 0; i < F; i++)
			g[i] = (g[i] > 0 ? g[i] * g[i] : 0) * u[i];
		norm(g, g, w->ffn_sub_norm, F, c->rms_eps);
		linear(&w->w_down, g, h);
		for (int i = 0; i < H; i++)
			x[i] += h[i];
	}
	norm(h, x, m->output_norm, H, c->rms_eps);
	for (int t = 0; t < c->vocab; t++) {
		double acc = 0;
		for (int i = 0; i < H; i++)
			acc += bn_f16_to_f32(((const uint16_t *)m->embd)[(size_t)t * H + i]) * h[i];
		logits[t] = acc;
	}
	r->pos++;
	free(x), free(h), free(q), free(k), free(v), free(a), free(g), free(u), free(sc);
}

static int argmax_d(const double *v, int n)
{
	int b = 0;
	for (int i = 1; i < n; i++)
		if (v[i] > v[b])
			b = i;
	return b;
}

TF_TEST(infer__tiny_matches_reference)
{
	char *path = tiny_model(11);
	struct bn_model *m;
	TF_CHECK(bn_model_open(&m, path) == 0, "%s", bn_error_last());
	struct bn_infer *s;
	struct bn_infer_opts o = {.kernel = BN_KERNEL_AUTO, .threads = 1, .max_tokens = 64};
	TF_CHECK(bn_infer_new(&s, m, &o) == 0, "%s", bn_error_last());
	struct ref r = {.m = m, .ctx = 64};
	size_t cache = (size_t)m->cfg.layers * 64 * m->cfg.kv_heads * m->cfg.head_dim;
	r.kc = calloc(cache, sizeof(double));
	r.vc = calloc(cache, sizeof(double));
	double *ref_logits = malloc(256 * sizeof(double));
	/* a prompt of 8 bytes as one batch (GEMM), against the reference token by token */
	const int32_t prompt[8] = {'H', 'e', 'l', 'l', 'o', ',', ' ', 'w'};
	TF_CHECK(bn_infer_eval(s, prompt, 8) == 0, "%s", bn_error_last());
	for (int i = 0; i < 8; i++)
		ref_step(&r, prompt[i], ref_logits);
	double worst = 0;
	const float *lg = bn_infer_logits(s);
	for (int t = 0; t < 256; t++)
		worst = fmax(worst, fabs(lg[t] - ref_logits[t]));
	TF_CHECK(worst < LOGIT_TOL, "prefill logits differ by %g", worst);
	/* then 32 greedy steps (GEMV): the same tokens */
	int32_t tok = (int32_t)argmax_d(ref_logits, 256);
	for (int step = 0; step < 32; step++) {
		int32_t mine = 0;
		for (int t = 1; t < 256; t++)
			if (lg[t] > lg[mine])
				mine = t;
		TF_CHECK(mine == tok, "step %d: token %d, reference %d", step, mine, tok);
		TF_CHECK(bn_infer_eval(s, &tok, 1) == 0, "%s", bn_error_last());
		ref_step(&r, tok, ref_logits);
		lg = bn_infer_logits(s);
		worst = 0;
		for (int t = 0; t < 256; t++)
			worst = fmax(worst, fabs(lg[t] - ref_logits[t]));
		TF_CHECK(worst < LOGIT_TOL, "step %d: logits differ by %g", step, worst);
		tok = (int32_t)argmax_d(ref_logits, 256);
	}
	/* the logits are not all alike (the model is not degenerate) */
	double lo = INFINITY, hi = -INFINITY;
	for (int t = 0; t < 256; t++)
		lo = fmin(lo, lg[t]), hi = fmax(hi, lg[t]);
	TF_CHECK(hi - lo > 0.5, "logits span only %g", hi - lo);
	TF_CHECK(bn_ctx_ran(bn_infer_ctx(s), BN_OP_GEMM) >= 0 &&
			 bn_ctx_ran(bn_infer_ctx(s), BN_OP_GEMV) >= 0,
		 "kernels not recorded");
	free(ref_logits), free(r.kc), free(r.vc);
	bn_infer_free(s);
	bn_model_close(m);
	unlink(path);
	free(path);
}

/* 16 prompt tokens then 16 greedy steps; returns the final logits (malloc'd). */
static float *run(const struct bn_model *m, int kernel, int threads, int32_t *tokens_out)
{
	struct bn_infer *s;
	struct bn_infer_opts o = {.kernel = kernel, .threads = threads, .max_tokens = 40};
	TF_CHECK(bn_infer_new(&s, m, &o) == 0, "%s", bn_error_last());
	int32_t prompt[16];
	for (int i = 0; i < 16; i++)
		prompt[i] = (int32_t)(i * 37 % 256);
	TF_CHECK_EQ(bn_infer_eval(s, prompt, 16), 0);
	for (int step = 0; step < 16; step++) {
		const float *lg = bn_infer_logits(s);
		int32_t t = 0;
		for (int i = 1; i < 256; i++)
			if (lg[i] > lg[t])
				t = i;
		tokens_out[step] = t;
		TF_CHECK_EQ(bn_infer_eval(s, &t, 1), 0);
	}
	float *out = malloc(256 * sizeof(float));
	memcpy(out, bn_infer_logits(s), 256 * sizeof(float));
	bn_infer_free(s);
	return out;
}

TF_TEST(infer__same_for_every_thread_count_and_kernel)
{
	char *path = tiny_model(5);
	struct bn_model *m;
	TF_CHECK_EQ(bn_model_open(&m, path), 0);
	int32_t base_tok[16], tok[16];
	float *base = run(m, BN_KERNEL_REF, 1, base_tok);
	int checked = 0;
	for (int kernel = 0; kernel < BN_KERNEL_COUNT; kernel++) {
		if (!bn_kernel_available(kernel, NULL))
			continue;
		for (int threads = 1; threads <= 3; threads++) {
			float *l = run(m, kernel, threads, tok);
			TF_CHECK(!memcmp(l, base, 256 * sizeof(float)),
				 "%s with %d threads: logits differ from ref with 1",
				 bn_kernel_name(kernel), threads);
			TF_CHECK(!memcmp(tok, base_tok, sizeof(tok)), "%s with %d threads: tokens",
				 bn_kernel_name(kernel), threads);
			free(l);
			checked++;
		}
	}
	TF_CHECK(checked >= 3, "only %d configurations", checked);
	free(base);
	bn_model_close(m);
	unlink(path);
	free(path);
}

static double wall_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The stage timers cover every stage, never add up to more than the evals took, and start
 * again from zero after a reset. */
TF_TEST(infer__stages_account_for_eval_time)
{
	char *path = tiny_model(4);
	struct bn_model *m;
	TF_CHECK_EQ(bn_model_open(&m, path), 0);
	struct bn_infer *s;
	struct bn_infer_opts o = {.kernel = BN_KERNEL_AUTO, .threads = 2, .max_tokens = 32};
	TF_CHECK_EQ(bn_infer_new(&s, m, &o), 0);
	int32_t prompt[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	double t0 = wall_s();
	TF_CHECK_EQ(bn_infer_eval(s, prompt, 8), 0);
	for (int i = 0; i < 4; i++)
		TF_CHECK_EQ(bn_infer_eval(s, &prompt[i], 1), 0);
	double wall = wall_s() - t0;
	struct bn_infer_stages st;
	bn_infer_stages_get(s, &st);
	TF_CHECK(st.bitlinear_s > 0 && st.attention_s > 0 && st.lm_head_s > 0 && st.other_s > 0,
		 "a stage has no time: bitlinear %g, attention %g, lm_head %g, other %g",
		 st.bitlinear_s, st.attention_s, st.lm_head_s, st.other_s);
	double sum = st.bitlinear_s + st.attention_s + st.lm_head_s + st.other_s;
	TF_CHECK(sum <= wall, "stages sum to %g s, more than the %g s the evals took", sum, wall);
	bn_infer_stages_reset(s);
	bn_infer_stages_get(s, &st);
	TF_CHECK(st.bitlinear_s == 0 && st.attention_s == 0 && st.lm_head_s == 0 && st.other_s == 0,
		 "reset left time in a stage");
	bn_infer_free(s);
	bn_model_close(m);
	unlink(path);
	free(path);
}

TF_TEST(infer__bad_input)
{
	char *path = tiny_model(2);
	struct bn_model *m;
	TF_CHECK_EQ(bn_model_open(&m, path), 0);
	struct bn_infer *s;
	struct bn_infer_opts o = {.threads = 1, .max_tokens = 4};
	TF_CHECK_EQ(bn_infer_new(&s, m, &o), 0);
	int32_t bad = 256, five[5] = {1, 2, 3, 4, 5};
	TF_CHECK_EQ(bn_infer_eval(s, &bad, 1), BN_EINVAL);
	TF_CHECK(strstr(bn_error_last(), "outside the vocabulary of 256"), "%s", bn_error_last());
	TF_CHECK_EQ(bn_infer_eval(s, five, 5), BN_EINVAL);
	TF_CHECK(strstr(bn_error_last(), "do not fit the cache"), "%s", bn_error_last());
	TF_CHECK_EQ(bn_infer_pos(s), 0);
	bn_infer_free(s);
	o.max_tokens = 100000;
	TF_CHECK_EQ(bn_infer_new(&s, m, &o), BN_EINVAL);
	bn_model_close(m);
	unlink(path);
	free(path);
}

TF_TEST(infer__strict_refuses_fallback)
{
	setenv("BITNET_STRICT_MODE", "1", 1);
	if (bn_kernel_best() == BN_KERNEL_REF)
		TF_SKIP("no SIMD kernel here, so ref is no fallback");
	char *path = tiny_model(2);
	struct bn_model *m;
	TF_CHECK_EQ(bn_model_open(&m, path), 0);
	setenv("BITNET_KERNEL", "ref", 1);
	struct bn_infer *s;
	struct bn_infer_opts o = {.kernel = BN_KERNEL_AUTO, .threads = 1, .max_tokens = 8};
	TF_CHECK_EQ(bn_infer_new(&s, m, &o), 0);
	int32_t t[2] = {1, 2};
	TF_CHECK_EQ(bn_infer_eval(s, t, 2), BN_ESTRICT);
	TF_CHECK(strstr(bn_error_last(), "STRICT"), "%s", bn_error_last());
	bn_infer_free(s);
	bn_model_close(m);
	unlink(path);
	free(path);
}

TF_TEST(infer__sampling)
{
	float logits[6] = {0.5f, 2.0f, 2.0f, -1.0f, 1.9f, 0.0f};
	struct bn_sampler sp;
	struct bn_sampler_opts o = {.temperature = 0, .top_p = 1, .seed = 1};
	TF_CHECK_EQ(bn_sampler_init(&sp, &o, 6), 0);
	TF_CHECK_EQ(bn_sample(&sp, logits), 1); /* the lower id of the tie */
	bn_sampler_clear(&sp);
	/* top-k 2 at a high temperature: only ids 1 and 2 ever come out, both do */
	o = (struct bn_sampler_opts){.temperature = 5, .top_k = 2, .top_p = 1, .seed = 9};
	TF_CHECK_EQ(bn_sampler_init(&sp, &o, 6), 0);
	int seen[6] = {0};
	for (int i = 0; i < 400; i++)
		seen[bn_sample(&sp, logits)]++;
	TF_CHECK(seen[1] > 100 && seen[2] > 100 && seen[1] + seen[2] == 400, "top-k: %d %d",
		 seen[1], seen[2]);
	bn_sampler_clear(&sp);
	/* top-p small: only the most likely token (id 1, lower id first among equals) */
	o = (struct bn_sampler_opts){.temperature = 1, .top_p = 0.1f, .seed = 3};
	TF_CHECK_EQ(bn_sampler_init(&sp, &o, 6), 0);
	for (int i = 0; i < 50; i++)
		TF_CHECK_EQ(bn_sample(&sp, logits), 1);
	bn_sampler_clear(&sp);
	/* the same seed, the same draws */
	o = (struct bn_sampler_opts){.temperature = 1, .top_p = 1, .seed = 77};
	struct bn_sampler a, b;
	TF_CHECK_EQ(bn_sampler_init(&a, &o, 6), 0);
	TF_CHECK_EQ(bn_sampler_init(&b, &o, 6), 0);
	for (int i = 0; i < 100; i++)
		TF_CHECK_EQ(bn_sample(&a, logits), bn_sample(&b, logits));
	bn_sampler_clear(&a);
	bn_sampler_clear(&b);
	o.top_p = 0;
	TF_CHECK_EQ(bn_sampler_init(&sp, &o, 6), BN_EINVAL);
}

/* The model file read into huge-page memory (the default above 64 MiB, BITNET_MODEL_LOAD=copy
 * for any size) and mapped (BITNET_MODEL_LOAD=map) give the same model: the same logits bit
 * for bit after a prompt and a decoded token. */
TF_TEST(infer__copied_and_mapped_models_agree)
{
	char *path = tiny_model(11);
	float *logits[2] = {NULL, NULL};
	int vocab = 0;
	static const char *const how[2] = {"copy", "map"};
	for (int i = 0; i < 2; i++) {
		setenv("BITNET_MODEL_LOAD", how[i], 1);
		struct bn_model *m;
		TF_CHECK(bn_model_open(&m, path) == 0, "%s: %s", how[i], bn_error_last());
		TF_CHECK((m->file->map_bytes != 0) == (i == 0), "%s: map_bytes %zu", how[i],
			 m->file->map_bytes);
		vocab = m->cfg.vocab;
		struct bn_infer *s;
		struct bn_infer_opts o = {.kernel = BN_KERNEL_AUTO, .threads = 1, .max_tokens = 8};
		TF_CHECK_EQ(bn_infer_new(&s, m, &o), 0);
		int32_t prompt[3] = {1, 2, 3}, next = 4;
		TF_CHECK_EQ(bn_infer_eval(s, prompt, 3), 0);
		TF_CHECK_EQ(bn_infer_eval(s, &next, 1), 0);
		logits[i] = malloc(sizeof(float) * (size_t)vocab);
		memcpy(logits[i], bn_infer_logits(s), sizeof(float) * (size_t)vocab);
		bn_infer_free(s);
		bn_model_close(m);
	}
	unsetenv("BITNET_MODEL_LOAD");
	TF_CHECK(!memcmp(logits[0], logits[1], sizeof(float) * (size_t)vocab),
		 "copied and mapped models disagree");
	free(logits[0]);
	free(logits[1]);
	unlink(path);
	free(path);
}
