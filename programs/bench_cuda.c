/* bitnet-bench's CUDA benchmarks (built with BITGATE_HAVE_CUDA): the device's copy
 * bandwidth, gpu/'s GEMV and GEMM kernels and the whole-model decode, each checked against
 * the CPU before CUDA events time it. bench_list.c lists them, bench_measure.c runs them
 * through the table that bench_cuda_open returns. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "bn_cuda.h"
#include "bn_dispatch.h"
#include "bn_error.h"
#include "bn_infer.h"
#include "bn_model.h"

/* gemv/cuda rotates over copies of its weights that hold at least this much together: over
 * twice an H100's 50 MB L2, so every launch reads its weights from DRAM, as a decode does. */
#define GEMV_ROTATE_BYTES (128ull << 20)

#define DECODE_CHECK_STEPS 4 /* decode@cuda: greedy tokens compared after the prompt */

struct bench_dev {
	const struct bench_def *def;
	struct bn_cuda_timer *timer;
	void *src, *dst;             /* copy: CUDA_COPY_BYTES each */
	struct bn_cuda_qact *x;      /* gemv, matmul: the activations */
	struct bn_cuda_tmat *w;      /* the uploaded weights */
	struct bn_cuda_tmat *copies; /* gemv: ncopies views; [0] is *w, the others own words */
	int ncopies, next;
	int32_t *y;             /* device output, m x n */
	struct bn_model *model; /* decode */
	struct bn_cuda_infer *infer;
	double weight_bytes; /* per iteration */
};

static void cuda_teardown(struct bench_dev *b)
{
	if (!b)
		return;
	for (int i = 1; i < b->ncopies; i++)
		bn_cuda_free(b->copies[i].words);
	free(b->copies);
	bn_cuda_tmat_free(b->w);
	bn_cuda_qact_free(b->x);
	bn_cuda_free(b->y);
	bn_cuda_free(b->src);
	bn_cuda_free(b->dst);
	bn_cuda_infer_free(b->infer);
	bn_model_close(b->model);
	bn_cuda_timer_free(b->timer);
	free(b);
}

/* One iteration, queued on the device (a decode step waits for its logits). */
static int launch(struct bench_dev *b, const struct bn_cuda_tmat *w)
{
	const struct bench_def *d = b->def;
	switch (d->kind) {
	case K_MEMBW: return bn_cuda_copy(b->dst, b->src, CUDA_COPY_BYTES);
	case K_GEMV: return bn_cuda_gemv(b->y, b->x, w);
	case K_MATMUL: return bn_cuda_gemm(b->y, (size_t)d->n, b->x, w);
	case K_DECODE: {
		if (bn_cuda_infer_pos(b->infer) >= E2E_PROMPT + E2E_DECODE)
			bn_cuda_infer_truncate(b->infer, E2E_PROMPT);
		int32_t t = bench_argmax_token(bn_cuda_infer_logits(b->infer), b->model->cfg.vocab);
		return bn_cuda_infer_eval(b->infer, &t, 1);
	}
	default: return bn_error_set(BN_EINVAL, "%s: not a CUDA benchmark", d->name);
	}
}

/* The device's product for w against want (the CPU ref kernel's), every output compared.
 * y is poisoned first, so a kernel that writes nothing cannot pass on an earlier result. */
static int check_product(struct bench_dev *b, const struct bn_cuda_tmat *w, const int32_t *want,
			 int corrupt)
{
	const struct bench_def *d = b->def;
	size_t ny = (size_t)d->m * (size_t)d->n;
	int32_t *got = bench_xalloc(ny * sizeof(int32_t));
	memset(got, 0x5a, ny * sizeof(int32_t));
	if (bn_cuda_upload(b->y, got, ny * sizeof(int32_t)) || launch(b, w) || bn_cuda_sync() ||
	    bn_cuda_download(got, b->y, ny * sizeof(int32_t)))
		bench_die_bn(d->name);
	if (corrupt)
		got[ny / 2] ^= 1;
	int ok = bench_check_ints(d->name, BN_CUDA_KERNEL_NAME, got, want, ny, (size_t)d->n);
	free(got);
	return ok;
}

/* gemv, matmul: random activations and weights, the CPU ref kernel's product, the same
 * data on the device; then the check. gemv gets its rotation of weight copies. */
static int setup_product(struct bench_dev *b, int threads, int corrupt)
{
	const struct bench_def *d = b->def;
	struct bn_qact *hx;
	struct bn_tmat *hw;
	if (bn_qact_new(&hx, d->m, d->k) || bn_tmat_new(&hw, d->n, d->k))
		bench_die_bn(d->name);
	bench_fill_acts(hx);
	bench_fill_codes(hw->codes, d->n, d->k, hw->k_pad);
	size_t ny = (size_t)d->m * (size_t)d->n;
	int32_t *want = bench_xalloc(ny * sizeof(int32_t));
	struct bn_ctx *ref = bench_ctx_new(BN_KERNEL_REF, threads, 0);
	if ((d->kind == K_GEMV ? bn_gemv(ref, want, hx, hw)
			       : bn_gemm(ref, want, (size_t)d->n, hx, hw)) ||
	    bn_cuda_qact_new(&b->x, d->m, d->k) || bn_cuda_qact_upload(b->x, hx) ||
	    bn_cuda_tmat_upload(&b->w, hw) || bn_cuda_malloc((void **)&b->y, ny * sizeof(int32_t)))
		bench_die_bn(d->name);
	bn_ctx_free(ref);
	bn_qact_free(hx);
	bn_tmat_free(hw);
	size_t wbytes = (size_t)b->w->n * b->w->row_words * sizeof(uint32_t);
	b->weight_bytes = (double)wbytes;
	b->ncopies = 1;
	if (d->kind == K_GEMV) {
		size_t want_copies = (GEMV_ROTATE_BYTES + wbytes - 1) / wbytes;
		int n = want_copies < 2 ? 2 : (int)want_copies;
		b->copies = calloc((size_t)n, sizeof(*b->copies));
		if (!b->copies) {
			fprintf(stderr, "%s: %s: out of memory\n", BENCH_PROG, d->name);
			exit(EXIT_FAILED);
		}
		b->copies[0] = *b->w;
		for (; b->ncopies < n; b->ncopies++) {
			struct bn_cuda_tmat *c = &b->copies[b->ncopies];
			*c = *b->w;
			if (bn_cuda_malloc((void **)&c->words, wbytes) ||
			    bn_cuda_copy(c->words, b->w->words, wbytes)) {
				c->words = NULL;
				bench_die_bn(d->name);
			}
		}
		if (bn_cuda_sync())
			bench_die_bn(d->name);
	}
	/* the uploaded matrix, and for gemv the last copy as well */
	int ok = check_product(b, b->w, want, corrupt) &&
		 (d->kind != K_GEMV || check_product(b, &b->copies[b->ncopies - 1], want, 0));
	free(want);
	return ok;
}

/* decode@cuda: the prompt, then DECODE_CHECK_STEPS greedy steps, on the device and on the
 * CPU's best kernel. Logits are floats summed in another order on the device, so they may
 * differ in the last bits; the greedy tokens must not. Leaves the device's state at the end
 * of its prompt. */
static int setup_decode(struct bench_dev *b, int threads, int corrupt)
{
	const struct bench_def *d = b->def;
	b->model = bench_model_open(d);
	b->weight_bytes = (double)b->model->weight_bytes;
	const int vocab = b->model->cfg.vocab;
	struct bn_infer *cpu;
	struct bn_infer_opts co = {.kernel = bn_kernel_best(),
				   .threads = threads,
				   .max_tokens = E2E_PROMPT + DECODE_CHECK_STEPS};
	if (bn_cuda_infer_new(&b->infer, b->model, E2E_PROMPT + E2E_DECODE) ||
	    bn_infer_new(&cpu, b->model, &co))
		bench_die_bn(d->name);
	int32_t prompt[E2E_PROMPT];
	bench_e2e_prompt(prompt, vocab);
	float *got = bench_xalloc((size_t)vocab * sizeof(float));
	double max_diff = 0;
	int ok = 1;
	for (int step = 0; step <= DECODE_CHECK_STEPS && ok; step++) {
		/* both are fed the CPU's choice, so one difference does not cascade */
		const int32_t *tokens = prompt;
		int32_t next = 0;
		if (step > 0) {
			next = bench_argmax_token(bn_infer_logits(cpu), vocab);
			tokens = &next;
		}
		int n = step == 0 ? E2E_PROMPT : 1;
		if (bn_infer_eval(cpu, tokens, n) || bn_cuda_infer_eval(b->infer, tokens, n))
			bench_die_bn(d->name);
		const float *want = bn_infer_logits(cpu);
		memcpy(got, bn_cuda_infer_logits(b->infer), (size_t)vocab * sizeof(float));
		int32_t want_token = bench_argmax_token(want, vocab);
		if (corrupt && step == DECODE_CHECK_STEPS) /* another token wins */
			got[(want_token + 1) % vocab] = fabsf(got[want_token]) + 1.0f;
		for (int i = 0; i < vocab; i++) {
			double diff = fabs((double)got[i] - (double)want[i]);
			if (!(diff <= max_diff)) /* NaN sticks */
				max_diff = diff;
		}
		int32_t got_token = bench_argmax_token(got, vocab);
		if (got_token != want_token) {
			char where[32] = "after the prompt";
			if (step)
				snprintf(where, sizeof(where), "at decode step %d", step);
			fprintf(stderr,
				"%s: %s: kernel %s is wrong: greedy token %s is %d, CPU kernel %s "
				"gives %d (max |logit difference| %.3g); refusing to time it\n",
				BENCH_PROG, d->name, BN_CUDA_KERNEL_NAME, where, (int)got_token,
				bn_kernel_name(bn_ctx_kernel(bn_infer_ctx(cpu))), (int)want_token,
				max_diff);
			ok = 0;
		}
	}
	free(got);
	bn_infer_free(cpu);
	bn_cuda_infer_truncate(b->infer, E2E_PROMPT);
	return ok;
}

static int cuda_setup(struct bench_dev **out, const struct bench_def *d, int threads, int corrupt)
{
	struct bench_dev *b = calloc(1, sizeof(*b));
	if (!b) {
		fprintf(stderr, "%s: %s: out of memory\n", BENCH_PROG, d->name);
		exit(EXIT_FAILED);
	}
	b->def = d;
	if (bn_cuda_timer_new(&b->timer))
		bench_die_bn(d->name);
	int ok = 1;
	switch (d->kind) {
	case K_MEMBW:
		if (bn_cuda_malloc(&b->src, CUDA_COPY_BYTES) ||
		    bn_cuda_malloc(&b->dst, CUDA_COPY_BYTES))
			bench_die_bn(d->name);
		break;
	case K_GEMV:
	case K_MATMUL: ok = setup_product(b, threads, corrupt); break;
	case K_DECODE: ok = setup_decode(b, threads, corrupt); break;
	default:
		fprintf(stderr, "%s: %s: not a CUDA benchmark\n", BENCH_PROG, d->name);
		exit(EXIT_FAILED);
	}
	if (!ok) {
		cuda_teardown(b);
		return EXIT_WRONG;
	}
	*out = b;
	return 0;
}

/* A batch between two CUDA events. The slowdown's wait starts once the device is idle, so it
 * adds to the batch instead of hiding behind the queued work. */
static double cuda_run_timed(struct bench_dev *b, long long n, double extra_s)
{
	double s = 0;
	if (bn_cuda_timer_start(b->timer))
		bench_die_bn(b->def->name);
	for (long long i = 0; i < n; i++) {
		const struct bn_cuda_tmat *w = b->w;
		if (b->copies) {
			w = &b->copies[b->next];
			b->next = (b->next + 1) % b->ncopies;
		}
		if (launch(b, w))
			bench_die_bn(b->def->name);
	}
	if (extra_s > 0) {
		if (bn_cuda_sync())
			bench_die_bn(b->def->name);
		bench_spin(extra_s);
	}
	if (bn_cuda_timer_stop(b->timer, &s))
		bench_die_bn(b->def->name);
	return s;
}

static double cuda_weight_bytes(const struct bench_dev *b)
{
	return b->weight_bytes;
}

static const struct bench_device cuda_device = {
	.kernel_name = BN_CUDA_KERNEL_NAME,
	.setup = cuda_setup,
	.run_timed = cuda_run_timed,
	.weight_bytes = cuda_weight_bytes,
	.teardown = cuda_teardown,
};

const struct bench_device *bench_cuda_open(struct bench_gpu *gpu, const char **why)
{
	static char reason[512];
	struct bn_cuda_device d;
	if (bn_cuda_probe(&d)) {
		snprintf(reason, sizeof(reason), "%s", bn_error_last());
		*why = reason;
		return NULL;
	}
	memset(gpu, 0, sizeof(*gpu));
	snprintf(gpu->name, sizeof(gpu->name), "%s", d.name);
	gpu->cc_major = d.cc_major;
	gpu->cc_minor = d.cc_minor;
	gpu->sm_count = d.sm_count;
	gpu->clock_mhz = d.clock_khz / 1000;
	gpu->mem_clock_mhz = d.mem_clock_khz / 1000;
	gpu->mem_bus_bits = d.mem_bus_bits;
	gpu->memory_bytes = (double)d.mem_bytes;
	gpu->driver_version = d.driver_version;
	gpu->runtime_version = d.runtime_version;
	gpu->built_for = bn_cuda_built_for();
	return &cuda_device;
}
