/* The gpu suite (label gpu). Without a usable device every case reports skipped, with the
 * reason the probe gave, never passed. */
#include <math.h>
#include <string.h>
#include <unistd.h>

#include "bn_cuda.h"
#include "bn_dispatch.h"
#include "bn_error.h"
#include "bn_infer.h"
#include "bn_model.h"
#include "tf.h"

static void need_device(struct bn_cuda_device *d)
{
	if (bn_cuda_probe(d))
		TF_SKIP("no usable CUDA device: %s", bn_error_last());
}

/* A usable device reports sane properties, and the probe gives the same answer twice. */
TF_TEST(gpu__device_probe)
{
	struct bn_cuda_device d, again;
	need_device(&d);
	TF_CHECK(d.name[0] != '\0', "device has no name");
	TF_CHECK(d.sm_count > 0, "%s: %d SMs", d.name, d.sm_count);
	TF_CHECK(d.cc_major * 10 + d.cc_minor >= 80, "%s: compute capability %d.%d", d.name,
		 d.cc_major, d.cc_minor);
	TF_CHECK(d.mem_bytes > 0 && d.driver_version > 0 && d.runtime_version > 0,
		 "%s: memory %zu, driver %d, runtime %d", d.name, d.mem_bytes, d.driver_version,
		 d.runtime_version);
	TF_CHECK_EQ(bn_cuda_probe(&again), 0);
	TF_CHECK(!memcmp(&d, &again, sizeof(d)), "the second probe differs");
	TF_CHECK(strlen(bn_cuda_built_for()) > 0, "no architectures recorded");
}

/* ---- kernels against the CPU ---------------------------------------------------------- */

static struct bn_ctx *ref_ctx(void)
{
	struct bn_ctx *ctx;
	struct bn_ctx_opts o = {.kernel = BN_KERNEL_REF, .threads = 1};
	TF_CHECK_EQ(bn_ctx_new(&ctx, &o), 0);
	return ctx;
}

static float rand_float(void)
{
	return (float)((double)(tf_rand() % 2000001) / 1000000.0 - 1.0);
}

/* Quantizes m rows of x on the CPU (ref) and on the device; every byte, scale bit and sum
 * must agree. */
static void check_quant(struct bn_ctx *ctx, const float *x, int m, int k, const char *what)
{
	struct bn_qact *want, *got;
	struct bn_cuda_qact *d;
	float *dx;
	TF_CHECK_EQ(bn_qact_new(&want, m, k), 0);
	TF_CHECK_EQ(bn_qact_new(&got, m, k), 0);
	TF_CHECK_EQ(bn_quantize(ctx, want, x, (size_t)k, m), 0);
	TF_CHECK(bn_cuda_qact_new(&d, m, k) == 0, "%s", bn_error_last());
	TF_CHECK(bn_cuda_malloc((void **)&dx, (size_t)m * k * sizeof(float)) == 0, "%s",
		 bn_error_last());
	TF_CHECK_EQ(bn_cuda_upload(dx, x, (size_t)m * k * sizeof(float)), 0);
	TF_CHECK(bn_cuda_quantize(d, dx, (size_t)k, m) == 0, "%s: %s", what, bn_error_last());
	TF_CHECK(bn_cuda_qact_download(got, d) == 0, "%s", bn_error_last());
	for (int i = 0; i < m; i++) {
		TF_CHECK(!memcmp(&got->scale[i], &want->scale[i], sizeof(float)),
			 "%s: row %d scale %.9g, CPU %.9g", what, i, (double)got->scale[i],
			 (double)want->scale[i]);
		TF_CHECK(got->rowsum[i] == want->rowsum[i], "%s: row %d sum %d, CPU %d", what, i,
			 got->rowsum[i], want->rowsum[i]);
		for (int c = 0; c < want->k_pad; c++) {
			size_t at = (size_t)i * want->k_pad + c;
			TF_CHECK(got->q[at] == want->q[at], "%s: row %d col %d: %d, CPU %d", what,
				 i, c, got->q[at], want->q[at]);
		}
	}
	bn_cuda_free(dx);
	bn_cuda_qact_free(d);
	bn_qact_free(want);
	bn_qact_free(got);
}

/* Random rows of ragged widths, and rows built to hit the rounding: halves (x * s lands on
 * .5 exactly), a zero row, a row whose max is tiny, and huge values. */
TF_TEST(gpu__quant_matches_cpu)
{
	struct bn_cuda_device dev;
	need_device(&dev);
	tf_seed(21);
	struct bn_ctx *ctx = ref_ctx();
	static const int ks[] = {1, 7, 127, 128, 129, 1000, 2560, 6912};
	for (size_t s = 0; s < sizeof(ks) / sizeof(ks[0]); s++) {
		int m = 5, k = ks[s];
		float *x = malloc((size_t)m * k * sizeof(float));
		for (int i = 0; i < m * k; i++)
			x[i] = rand_float() * (float)(1 + i % 7);
		for (int c = 0; c < k; c++) {
			x[k + c] = 0.0f;                                   /* zero row */
			x[2 * k + c] = (float)(c % 255 - 127) * 0.5f;      /* exact halves */
			x[3 * k + c] = rand_float() * 1e-38f;              /* tiny max */
			x[4 * k + c] = rand_float() * 3e38f;               /* huge */
		}
		char what[32];
		snprintf(what, sizeof(what), "k %d", k);
		check_quant(ctx, x, m, k, what);
		free(x);
	}
	bn_ctx_free(ctx);
}

/* A row holding NaN or infinity is refused with the row named, as on the CPU. */
TF_TEST(gpu__quant_refuses_nonfinite_rows)
{
	struct bn_cuda_device dev;
	need_device(&dev);
	const int m = 4, k = 300;
	float x[4 * 300];
	for (int i = 0; i < m * k; i++)
		x[i] = 0.25f;
	x[2 * k + 17] = NAN;
	x[3 * k + 1] = INFINITY;
	struct bn_cuda_qact *d;
	float *dx;
	TF_CHECK_EQ(bn_cuda_qact_new(&d, m, k), 0);
	TF_CHECK_EQ(bn_cuda_malloc((void **)&dx, sizeof(x)), 0);
	TF_CHECK_EQ(bn_cuda_upload(dx, x, sizeof(x)), 0);
	TF_CHECK_EQ(bn_cuda_quantize(d, dx, (size_t)k, m), BN_EFORMAT);
	TF_CHECK(strstr(bn_error_last(), "row 2 holds NaN or infinity") != NULL, "message: %s",
		 bn_error_last());
	/* the next, clean call succeeds: nothing sticky is left behind */
	TF_CHECK_EQ(bn_cuda_quantize(d, dx, (size_t)k, 2), 0);
	bn_cuda_free(dx);
	bn_cuda_qact_free(d);
}

/* One GEMV or GEMM of random ternary weights (or all -1 / all +1) and int8 activations
 * (random or extreme) on the device, against the ref kernel, every output. */
static void check_product(struct bn_ctx *ctx, int m, int n, int k, int wfill, int xfill)
{
	int8_t *t = malloc((size_t)n * k);
	for (size_t i = 0; i < (size_t)n * k; i++)
		t[i] = wfill == 1 ? -1 : wfill == 2 ? 1 : (int8_t)((int)(tf_rand() % 3) - 1);
	struct bn_tmat *w;
	struct bn_qact *x;
	TF_CHECK_EQ(bn_tmat_new(&w, n, k), 0);
	TF_CHECK_EQ(bn_tmat_pack(w, t, 1.0f), 0);
	free(t);
	TF_CHECK_EQ(bn_qact_new(&x, m, k), 0);
	for (int i = 0; i < m; i++)
		for (int c = 0; c < k; c++)
			x->q[(size_t)i * x->k_pad + c] = xfill == 1   ? -128
							 : xfill == 2 ? 127
								      : (int8_t)(tf_rand() & 0xff);
	bn_qact_finish(x);
	size_t outs = (size_t)m * n;
	int32_t *want = malloc(outs * sizeof(int32_t)), *got = malloc(outs * sizeof(int32_t));
	if (m == 1)
		TF_CHECK_EQ(bn_gemv(ctx, want, x, w), 0);
	else
		TF_CHECK_EQ(bn_gemm(ctx, want, (size_t)n, x, w), 0);

	struct bn_cuda_tmat *dw;
	struct bn_cuda_qact *dx;
	int32_t *dy;
	TF_CHECK(bn_cuda_tmat_upload(&dw, w) == 0, "%s", bn_error_last());
	TF_CHECK(bn_cuda_qact_new(&dx, m, k) == 0, "%s", bn_error_last());
	TF_CHECK(bn_cuda_qact_upload(dx, x) == 0, "%s", bn_error_last());
	TF_CHECK(bn_cuda_malloc((void **)&dy, outs * sizeof(int32_t)) == 0, "%s", bn_error_last());
	for (int path = 0; path < (m == 1 ? 2 : 1); path++) { /* m = 1: GEMV and GEMM */
		memset(got, 0x55, outs * sizeof(int32_t)); /* poison: every output must be written */
		TF_CHECK_EQ(bn_cuda_upload(dy, got, outs * sizeof(int32_t)), 0);
		int rc = m == 1 && path == 0 ? bn_cuda_gemv(dy, dx, dw)
					     : bn_cuda_gemm(dy, (size_t)n, dx, dw);
		TF_CHECK(rc == 0 && bn_cuda_sync() == 0, "%dx%dx%d: %s", m, n, k, bn_error_last());
		TF_CHECK_EQ(bn_cuda_download(got, dy, outs * sizeof(int32_t)), 0);
		for (size_t o = 0; o < outs; o++)
			TF_CHECK(got[o] == want[o],
				 "%s %dx%dx%d (w %d, x %d): y[%zu][%zu] = %d, ref %d",
				 m == 1 && path == 0 ? "gemv" : "gemm", m, n, k, wfill, xfill,
				 o / (size_t)n, o % (size_t)n, got[o], want[o]);
	}
	bn_cuda_free(dy);
	bn_cuda_qact_free(dx);
	bn_cuda_tmat_free(dw);
	free(want);
	free(got);
	bn_qact_free(x);
	bn_tmat_free(w);
}

/* The model's shapes (n x k) and the 128256 x 2560 head, then ragged random shapes. */
TF_TEST(gpu__gemv_matches_ref)
{
	struct bn_cuda_device dev;
	need_device(&dev);
	tf_seed(22);
	struct bn_ctx *ctx = ref_ctx();
	static const int shapes[][2] = {{2560, 2560}, {6912, 2560}, {2560, 6912}, {128256, 2560}};
	for (size_t s = 0; s < 4; s++)
		check_product(ctx, 1, shapes[s][0], shapes[s][1], 0, 0);
	check_product(ctx, 1, 300, 2560, 1, 1); /* extremes: all -1 times -128 */
	check_product(ctx, 1, 300, 2560, 2, 2);
	for (int i = 0; i < 24; i++)
		check_product(ctx, 1, 1 + (int)(tf_rand() % 9000), 1 + (int)(tf_rand() % 3000), 0,
			      0);
	bn_ctx_free(ctx);
}

TF_TEST(gpu__gemm_matches_ref)
{
	struct bn_cuda_device dev;
	need_device(&dev);
	tf_seed(23);
	struct bn_ctx *ctx = ref_ctx();
	check_product(ctx, 64, 2560, 2560, 0, 0);
	check_product(ctx, 64, 6912, 2560, 0, 0);
	check_product(ctx, 64, 2560, 6912, 0, 0);
	check_product(ctx, 33, 65, 129, 1, 1);
	check_product(ctx, 33, 65, 129, 2, 2);
	for (int i = 0; i < 16; i++)
		check_product(ctx, 2 + (int)(tf_rand() % 100), 1 + (int)(tf_rand() % 700),
			      1 + (int)(tf_rand() % 1500), 0, 0);
	bn_ctx_free(ctx);
}

static struct bn_model *tiny_model(char **path);

/* With no device every entry point fails with BN_EUNSUPPORTED and the probe's reason, and
 * nothing aborts. (With a device this case has nothing to check and says so.) */
TF_TEST(gpu__no_device_fails_cleanly)
{
	struct bn_cuda_device dev;
	if (bn_cuda_probe(&dev) == 0)
		TF_SKIP("a device is present (%s); this case checks the path without one",
			dev.name);
	char why[256];
	snprintf(why, sizeof(why), "%s", bn_error_last());
	void *p = (void *)1;
	TF_CHECK_EQ(bn_cuda_malloc(&p, 64), BN_EUNSUPPORTED);
	TF_CHECK(p == NULL, "a failed allocation left a pointer");
	TF_CHECK(!strcmp(bn_error_last(), why), "message '%s', probe said '%s'", bn_error_last(),
		 why);
	struct bn_tmat *w;
	struct bn_cuda_tmat *dw = (struct bn_cuda_tmat *)1;
	TF_CHECK_EQ(bn_tmat_new(&w, 4, 128), 0);
	TF_CHECK_EQ(bn_cuda_tmat_upload(&dw, w), BN_EUNSUPPORTED);
	TF_CHECK(dw == NULL, "a failed upload left a matrix");
	bn_tmat_free(w);
	struct bn_cuda_qact *dx = (struct bn_cuda_qact *)1;
	TF_CHECK_EQ(bn_cuda_qact_new(&dx, 1, 128), BN_EUNSUPPORTED);
	TF_CHECK(dx == NULL, "a failed allocation left activations");
	struct bn_cuda_timer *t;
	TF_CHECK_EQ(bn_cuda_timer_new(&t), BN_EUNSUPPORTED);
	char *path;
	struct bn_model *m = tiny_model(&path);
	struct bn_cuda_infer *s = (struct bn_cuda_infer *)1;
	TF_CHECK_EQ(bn_cuda_infer_new(&s, m, 16), BN_EUNSUPPORTED);
	TF_CHECK(s == NULL, "a failed set-up left a pass");
	bn_model_close(m);
	unlink(path);
	free(path);
}

/* ---- the whole model ------------------------------------------------------------------ */

static struct bn_model *tiny_model(char **path)
{
	struct bn_model_config c;
	struct bn_model *m;
	*path = tf_tmpfile("gpu-tiny.gguf");
	TF_CHECK_EQ(bn_model_preset(&c, "tiny"), 0);
	TF_CHECK(bn_model_write_synthetic(&c, 5, *path) == 0, "%s", bn_error_last());
	TF_CHECK(bn_model_open(&m, *path) == 0, "%s", bn_error_last());
	return m;
}

static int32_t argmax(const float *v, int n)
{
	int32_t best = 0;
	for (int32_t i = 1; i < n; i++)
		if (v[i] > v[best])
			best = i;
	return best;
}

/* A prompt as one batch (GEMM) and then greedy decoding (GEMV) on the device and on the
 * CPU: the same tokens at every step, and logits within float rounding of each other. */
TF_TEST(gpu__decode_matches_cpu)
{
	struct bn_cuda_device dev;
	need_device(&dev);
	char *path;
	struct bn_model *m = tiny_model(&path);
	const int vocab = m->cfg.vocab, steps = 48;
	struct bn_infer *cpu;
	struct bn_infer_opts o = {.kernel = BN_KERNEL_REF, .threads = 1, .max_tokens = 64};
	TF_CHECK_EQ(bn_infer_new(&cpu, m, &o), 0);
	struct bn_cuda_infer *gpu;
	TF_CHECK(bn_cuda_infer_new(&gpu, m, 64) == 0, "%s", bn_error_last());
	TF_CHECK(bn_cuda_infer_device_bytes(gpu) > 0, "no device memory counted");
	int32_t prompt[9] = {72, 101, 108, 108, 111, 44, 32, 119, 111};
	TF_CHECK_EQ(bn_infer_eval(cpu, prompt, 9), 0);
	TF_CHECK(bn_cuda_infer_eval(gpu, prompt, 9) == 0, "%s", bn_error_last());
	for (int step = 0; step < steps; step++) {
		const float *a = bn_infer_logits(cpu), *b = bn_cuda_infer_logits(gpu);
		float amax = 0, dmax = 0;
		for (int v = 0; v < vocab; v++) {
			float d = fabsf(a[v] - b[v]);
			dmax = d > dmax ? d : dmax;
			amax = fabsf(a[v]) > amax ? fabsf(a[v]) : amax;
		}
		TF_CHECK(dmax <= 1e-3f * (amax > 1 ? amax : 1),
			 "step %d: logits differ by up to %g (largest logit %g)", step,
			 (double)dmax, (double)amax);
		int32_t ta = argmax(a, vocab), tb = argmax(b, vocab);
		TF_CHECK(ta == tb, "step %d: CPU token %d, device token %d", step, ta, tb);
		TF_CHECK_EQ(bn_infer_eval(cpu, &ta, 1), 0);
		TF_CHECK(bn_cuda_infer_eval(gpu, &tb, 1) == 0, "%s", bn_error_last());
	}
	TF_CHECK_EQ(bn_cuda_infer_pos(gpu), 9 + steps);
	/* rewinding replays the same logits */
	float first = bn_cuda_infer_logits(gpu)[0];
	int32_t last = prompt[8];
	bn_cuda_infer_truncate(gpu, 9 + steps - 1);
	bn_infer_truncate(cpu, 9 + steps - 1);
	TF_CHECK_EQ(bn_infer_eval(cpu, &last, 1), 0);
	TF_CHECK_EQ(bn_cuda_infer_eval(gpu, &last, 1), 0);
	TF_CHECK(fabsf(bn_cuda_infer_logits(gpu)[0] - bn_infer_logits(cpu)[0]) <= 1e-3f,
		 "after a rewind: %g vs CPU %g (before: %g)", (double)bn_cuda_infer_logits(gpu)[0],
		 (double)bn_infer_logits(cpu)[0], (double)first);
	int32_t bad = vocab;
	TF_CHECK_EQ(bn_cuda_infer_eval(gpu, &bad, 1), BN_EINVAL);
	bn_cuda_infer_free(gpu);
	bn_infer_free(cpu);
	bn_model_close(m);
	unlink(path);
	free(path);
}
