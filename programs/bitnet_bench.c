/* bitnet-bench: times libbitnet's kernels and prints a table or bitgate-bench/1 JSON.
 * Every kernel benchmark first checks the kernel's output against the reference kernel
 * and refuses to time a kernel that is wrong. Thin program over the library (bn_*.h). */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <regex.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "bench.h"
#include "bn_cpu.h"
#include "bn_dispatch.h"
#include "bn_error.h"
#include "bn_half.h"
#include "bn_infer.h"
#include "bn_model.h"
#include "bn_strict.h"

#ifndef BITGATE_VERSION
#define BITGATE_VERSION "0.0.0"
#endif
#ifndef BITGATE_BUILD_TYPE
#define BITGATE_BUILD_TYPE "unknown"
#endif

#define DRAM_STACK_BYTES (1ull << 30) /* weights streamed from a stack over 1 GiB */

#define E2E_CHECK 2 /* prompt tokens compared with the ref kernel before timing */

_Static_assert(BENCH_OPS == BN_OP_COUNT, "bench.h counts the dispatch's operations");

#define FAULT_CUDA BN_KERNEL_COUNT /* --inject-fault cuda: the device's checked output */

#define NO_CUDA_BUILD "built without CUDA (no nvcc at configure time)"

struct options {
	int list;
	const char *filter;
	double min_time;
	int repetitions;
	int threads;
	int json;
	int inject_fault; /* kernel id (or FAULT_CUDA) whose checked output is corrupted, -1 none */
};

static const char *prog = BENCH_PROG;

static void usage(FILE *f)
{
	fprintf(f,
		"usage: bitnet-bench [options]\n"
		"\n"
		"Times libbitnet's ternary kernels. Each benchmark checks its kernel against the\n"
		"reference kernel first and refuses to time a kernel whose output differs.\n"
		"\n"
		"options:\n"
		"  --list              list the benchmarks (with why any is skipped here) and "
		"exit\n"
		"  --filter REGEX      run only benchmarks whose name matches (POSIX extended)\n"
		"  --min-time SEC      minimum time of each repetition (default 0.1)\n"
		"  --repetitions N     samples per benchmark (default 5)\n"
		"  --threads N         worker threads per kernel call (default 1)\n"
		"  --format table|json output format (default table; json is bitgate-bench/1)\n"
		"  --inject-fault K    testing: corrupt kernel K's checked output (K a CPU\n"
		"                      kernel or cuda), to show the refusal\n"
		"  -h, --help          this help\n"
		"\n"
		"names: matmul/<kernel>/<M>x<N>x<K>, gemv/<kernel>/<K>x<N>[/dram], "
		"quant/<kernel>/<n>,\n"
		"membw/read; <kernel> is ref, avx2, avx512 or amx. e2e/<config>/prefill64 and\n"
		"e2e/<config>/decode (config tiny or 2b) run the whole model on the best kernel\n"
		"(or BITNET_KERNEL): a prompt of 64 tokens as one batch, and one token after it;\n"
		"the synthetic model is written to BITNET_MODEL_DIR (default ~/.cache/bitnet)\n"
		"when missing (2b: about 1.2 GB).\n"
		"CUDA (device 0, kernel cuda-dp4a): membw/cuda-copy (a 256 MiB device-to-\n"
		"device copy), gemv/cuda/<K>x<N> (weights rotated over 128 MiB of copies, so\n"
		"they come from DRAM, not L2), matmul/cuda/<M>x<N>x<K> and\n"
		"e2e/<config>/decode@cuda. Each is checked against the CPU first (gemv,\n"
		"matmul: every output against the ref kernel; decode@cuda: the greedy tokens\n"
		"after the prompt and 4 decode steps against the best CPU kernel) and timed\n"
		"with CUDA events. Without a usable GPU, or built without nvcc, they are\n"
		"listed as skipped with the reason.\n"
		"environment: BITNET_KERNEL=K benchmarks only CPU kernel K (through the\n"
		"dispatch); BITNET_KERNEL=cuda is BITNET_DEVICE=cuda. BITNET_DEVICE=cuda\n"
		"benchmarks only the CUDA device, BITNET_DEVICE=cpu only the CPU (default:\n"
		"both, or only the CPU when BITNET_KERNEL names a CPU kernel); any other value\n"
		"is a usage error. BITNET_STRICT_MODE=1 turns fallbacks into errors; with\n"
		"BITNET_DEVICE=cuda, no usable device is an error (exit 3), not skipped\n"
		"benchmarks. BITNET_BENCH_SLOWDOWN=RE:PCT (gate calibration only) makes\n"
		"matching benchmarks PCT%% slower with real work.\n"
		"exit status: 0 ok, 1 a kernel was wrong, 2 usage, 3 could not run.\n");
}

/* ---- small helpers ---- */

double bench_now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void bench_spin(double seconds)
{
	double until = bench_now_s() + seconds;
	while (bench_now_s() < until)
		;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng_next(void)
{
	/* splitmix64: deterministic data, the same in every run */
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static int parse_int(const char *s, int lo, int hi, int *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return -1;
	*out = (int)v;
	return 0;
}

void *bench_xalloc(size_t bytes)
{
	size_t sz = (bytes + 4095) / 4096 * 4096;
	void *p = aligned_alloc(4096, sz);
	if (!p) {
		fprintf(stderr, "%s: out of memory (%zu bytes)\n", prog, bytes);
		exit(EXIT_FAILED);
	}
	return p;
}

/* Random activations over the whole int8 range, extremes included. */
void bench_fill_acts(struct bn_qact *a)
{
	for (int i = 0; i < a->m; i++)
		for (int c = 0; c < a->k; c++)
			a->q[(size_t)i * a->k_pad + c] = (int8_t)(rng_next() & 0xff);
	for (int i = 0; i < a->m; i++)
		a->scale[i] = 1.0f;
	bn_qact_finish(a);
}

/* Random valid codes (0, 1, 2) in a row's first k weights, code 1 in the padding. */
void bench_fill_codes(uint8_t *codes, int n, int k, int k_pad)
{
	int8_t *t = bench_xalloc((size_t)n * (size_t)k);
	for (size_t i = 0; i < (size_t)n * (size_t)k; i++)
		t[i] = (int8_t)((int)(rng_next() % 3) - 1);
	struct bn_tmat w = {
		.codes = codes, .n = n, .k = k, .k_pad = k_pad, .row_bytes = (size_t)k_pad / 4};
	if (bn_tmat_pack(&w, t, 1.0f)) {
		fprintf(stderr, "%s: %s\n", prog, bn_error_last());
		exit(EXIT_FAILED);
	}
	free(t);
}

/* ---- the benchmark list ---- */

static const int matmul_sizes[] = {32, 64, 128, 256, 512};
static const int gemv_shapes[][2] = {{2560, 2560}, {2560, 6912}, {6912, 2560}};
static const int quant_sizes[] = {2560, 6912};
/* The lm_head of BitNet-2B (K x N): F16 rows on the CPU (head/), I2_S on the GPU (gemv/cuda);
 * and, CUDA only, the prefill GEMMs of 64 tokens (M x N x K) */
static const int head_shape[2] = {2560, 128256};
static const int cuda_prefill_shapes[][3] = {{64, 2560, 2560}, {64, 6912, 2560}, {64, 2560, 6912}};
static const char *const e2e_configs[] = {"tiny", "2b"};

/* Appends a benchmark; kernel is a CPU kernel id, or -1 with cuda set for the device. */
static int add_def(struct bench_def *d, int n, enum bench_kind kind, int kernel, int cuda, int m,
		   int nn, int k)
{
	struct bench_def *b = &d[n];
	b->kind = kind;
	b->kernel = kernel;
	b->cuda = cuda;
	b->m = m;
	b->n = nn;
	b->k = k;
	const char *kn = cuda ? BN_KERNEL_CUDA_NAME : kernel >= 0 ? bn_kernel_name(kernel) : "";
	switch (kind) {
	case K_MATMUL:
		snprintf(b->name, sizeof(b->name), "matmul/%s/%dx%dx%d", kn, m, nn, k);
		break;
	case K_GEMV: snprintf(b->name, sizeof(b->name), "gemv/%s/%dx%d", kn, k, nn); break;
	case K_GEMV_DRAM:
		snprintf(b->name, sizeof(b->name), "gemv/%s/%dx%d/dram", kn, k, nn);
		break;
	case K_QUANT: snprintf(b->name, sizeof(b->name), "quant/%s/%d", kn, nn); break;
	case K_HEAD: snprintf(b->name, sizeof(b->name), "head/%s/%dx%d", kn, k, nn); break;
	case K_MEMBW:
		snprintf(b->name, sizeof(b->name), cuda ? "membw/cuda-copy" : "membw/read");
		break;
	case K_PREFILL:
	case K_DECODE: break; /* named by add_e2e */
	}
	return n + 1;
}

static int add_e2e(struct bench_def *d, int n, enum bench_kind kind, const char *config, int cuda)
{
	n = add_def(d, n, kind, -1, cuda, kind == K_PREFILL ? E2E_PROMPT : 1, 0, 0);
	d[n - 1].config = config;
	snprintf(d[n - 1].name, sizeof(d[n - 1].name), "e2e/%s/%s%s", config,
		 kind == K_PREFILL ? "prefill64" : "decode", cuda ? "@cuda" : "");
	return n;
}

/* All benchmarks, grouped by shape so that the kernels of one shape (the CUDA one last)
 * run side by side. The bandwidth benchmarks come first so GEMV figures can be compared
 * with them. kernels: bitmask of CPU kernels (0: no CPU benchmark); cuda: list the CUDA
 * benchmarks. */
static int build_defs(struct bench_def *d, unsigned kernels, int cuda)
{
	int n = 0;
	if (kernels)
		n = add_def(d, n, K_MEMBW, -1, 0, 0, 0, 0);
	if (cuda)
		n = add_def(d, n, K_MEMBW, -1, 1, 0, 0, 0);
	for (size_t s = 0; s < sizeof(matmul_sizes) / sizeof(matmul_sizes[0]); s++) {
		int z = matmul_sizes[s];
		for (int id = 0; id < BN_KERNEL_COUNT; id++)
			if (kernels & (1u << id))
				n = add_def(d, n, K_MATMUL, id, 0, z, z, z);
		if (cuda)
			n = add_def(d, n, K_MATMUL, -1, 1, z, z, z);
	}
	for (size_t s = 0; cuda && s < sizeof(cuda_prefill_shapes) / sizeof(cuda_prefill_shapes[0]);
	     s++)
		n = add_def(d, n, K_MATMUL, -1, 1, cuda_prefill_shapes[s][0],
			    cuda_prefill_shapes[s][1], cuda_prefill_shapes[s][2]);
	for (int dram = 0; dram < 2; dram++)
		for (size_t s = 0; s < sizeof(gemv_shapes) / sizeof(gemv_shapes[0]); s++) {
			for (int id = 0; id < BN_KERNEL_COUNT; id++)
				if (kernels & (1u << id))
					n = add_def(d, n, dram ? K_GEMV_DRAM : K_GEMV, id, 0, 1,
						    gemv_shapes[s][1], gemv_shapes[s][0]);
			if (cuda && !dram) /* the CUDA GEMV always streams its weights */
				n = add_def(d, n, K_GEMV, -1, 1, 1, gemv_shapes[s][1],
					    gemv_shapes[s][0]);
		}
	if (cuda)
		n = add_def(d, n, K_GEMV, -1, 1, 1, head_shape[1], head_shape[0]);
	for (int id = 0; id < BN_KERNEL_COUNT; id++)
		if ((kernels & (1u << id)) && id != BN_KERNEL_AMX) /* AMX borrows AVX-512's */
			n = add_def(d, n, K_HEAD, id, 0, 1, head_shape[1], head_shape[0]);
	for (size_t s = 0; s < sizeof(quant_sizes) / sizeof(quant_sizes[0]); s++)
		for (int id = 0; id < BN_KERNEL_COUNT; id++)
			if ((kernels & (1u << id)) &&
			    id != BN_KERNEL_AMX) /* AMX has no quantizer */
				n = add_def(d, n, K_QUANT, id, 0, 1, quant_sizes[s], 0);
	for (size_t c = 0; c < sizeof(e2e_configs) / sizeof(e2e_configs[0]); c++) {
		if (kernels) {
			n = add_e2e(d, n, K_PREFILL, e2e_configs[c], 0);
			n = add_e2e(d, n, K_DECODE, e2e_configs[c], 0);
		}
		if (cuda)
			n = add_e2e(d, n, K_DECODE, e2e_configs[c], 1);
	}
	return n;
}

/* ---- one benchmark ---- */

/* What one timed iteration does; returns 0 or a bn error. */
struct bench_state {
	const struct bench_def *def;
	struct bn_ctx *ctx;
	struct bn_qact *x;
	struct bn_tmat *w;     /* matmul, gemv */
	struct bn_tmat *stack; /* gemv dram: layers sharing one allocation */
	int layers;
	int next_layer;
	int32_t *y;
	float *fin;    /* quant input; head: x */
	uint16_t *emb; /* head: F16 rows */
	float *logits; /* head: output */
	void *membuf; /* membw */
	size_t membytes;
	volatile uint64_t sink;
	struct bn_model *model; /* e2e */
	struct bn_infer *infer;
	int32_t prompt[E2E_PROMPT];
	const struct bench_device *device; /* a device's benchmark (def->cuda): its backend */
	struct bench_dev *dev;             /* and its state */
};

int32_t bench_argmax_token(const float *logits, int n)
{
	int32_t best = 0;
	for (int32_t i = 1; i < n; i++)
		if (logits[i] > logits[best])
			best = i;
	return best;
}

static int run_once(struct bench_state *s)
{
	switch (s->def->kind) {
	case K_MATMUL: return bn_gemm(s->ctx, s->y, (size_t)s->w->n, s->x, s->w);
	case K_GEMV: return bn_gemv(s->ctx, s->y, s->x, s->w);
	case K_GEMV_DRAM: {
		int rc = bn_gemv(s->ctx, s->y, s->x, &s->stack[s->next_layer]);
		s->next_layer = (s->next_layer + 1) % s->layers;
		return rc;
	}
	case K_QUANT: return bn_quantize(s->ctx, s->x, s->fin, (size_t)s->def->n, 1);
	case K_HEAD: return bn_gemv_f16(s->ctx, s->logits, s->emb, s->fin, s->def->k, s->def->n);
	case K_MEMBW: s->sink += bn_membw_read(s->ctx, s->membuf, s->membytes); return 0;
	case K_PREFILL:
		bn_infer_truncate(s->infer, 0);
		return bn_infer_eval(s->infer, s->prompt, E2E_PROMPT);
	case K_DECODE: {
		if (bn_infer_pos(s->infer) >= E2E_PROMPT + E2E_DECODE)
			bn_infer_truncate(s->infer, E2E_PROMPT);
		const struct bn_model_config *c = &s->model->cfg;
		int32_t t = bench_argmax_token(bn_infer_logits(s->infer), c->vocab);
		return bn_infer_eval(s->infer, &t, 1);
	}
	}
	return 0;
}

/* One DRAM stack at a time, kept for the next kernel of the same shape. */
static struct {
	int n, k, layers;
	uint8_t *mem;
	struct bn_tmat *mats;
} dram;

static void dram_release(void)
{
	free(dram.mem);
	free(dram.mats);
	memset(&dram, 0, sizeof(dram));
}

static void dram_prepare(int n, int k)
{
	if (dram.mem && dram.n == n && dram.k == k)
		return;
	dram_release();
	int k_pad = bn_i2s_k_pad(k);
	size_t layer = (size_t)n * (size_t)k_pad / 4;
	int layers = (int)((DRAM_STACK_BYTES + layer - 1) / layer) + 1;
	size_t total = layer * (size_t)layers;
	dram.mem = bench_xalloc(total);
	madvise(dram.mem, (total + 4095) / 4096 * 4096, MADV_HUGEPAGE);
	bench_fill_codes(dram.mem, n, k, k_pad);
	for (int l = 1; l < layers; l++)
		memcpy(dram.mem + layer * (size_t)l, dram.mem, layer);
	dram.mats = calloc((size_t)layers, sizeof(*dram.mats));
	if (!dram.mats) {
		fprintf(stderr, "%s: out of memory\n", prog);
		exit(EXIT_FAILED);
	}
	for (int l = 0; l < layers; l++)
		dram.mats[l] = (struct bn_tmat){.codes = dram.mem + layer * (size_t)l,
						.scale = 1.0f,
						.n = n,
						.k = k,
						.k_pad = k_pad,
						.row_bytes = layer / n};
	dram.n = n;
	dram.k = k;
	dram.layers = layers;
}

void bench_die_bn(const char *what)
{
	fprintf(stderr, "%s: %s: %s\n", prog, what, bn_error_last());
	exit(EXIT_FAILED);
}

/* Creates the context for a benchmark's kernel: through BITNET_KERNEL when it is set (so the
 * dispatch validates it and strict mode applies), explicitly otherwise. */
struct bn_ctx *bench_ctx_new(int kernel, int threads, int via_env)
{
	struct bn_ctx *ctx;
	struct bn_ctx_opts o = {.kernel = via_env ? BN_KERNEL_AUTO : kernel, .threads = threads};
	if (bn_ctx_new(&ctx, &o))
		bench_die_bn("kernel context");
	return ctx;
}

/* The whole model on the benchmark's kernel against the ref kernel: E2E_CHECK prompt tokens
 * (GEMM) and one decoded token (GEMV) must give the same logits bit for bit (the forward
 * pass is exact in its integer parts and fixed in its float order). Leaves the benchmark's
 * own state at the end of its prompt. */
static int check_e2e(struct bench_state *s, const struct options *opt)
{
	const struct bench_def *d = s->def;
	const struct bn_model_config *c = &s->model->cfg;
	struct bn_infer *ref;
	struct bn_infer_opts ro = {.kernel = BN_KERNEL_REF, .threads = 1,
				   .max_tokens = E2E_CHECK + 1};
	if (bn_infer_new(&ref, s->model, &ro))
		bench_die_bn(d->name);
	size_t bytes = (size_t)c->vocab * sizeof(float);
	float *want = bench_xalloc(bytes);
	int ok = 1;
	for (int step = 0; step < 2 && ok; step++) {
		int32_t next = 0;
		if (step == 0) {
			if (bn_infer_eval(ref, s->prompt, E2E_CHECK) ||
			    bn_infer_eval(s->infer, s->prompt, E2E_CHECK))
				bench_die_bn(d->name);
		} else {
			next = bench_argmax_token(bn_infer_logits(ref), c->vocab);
			if (bn_infer_eval(ref, &next, 1) || bn_infer_eval(s->infer, &next, 1))
				bench_die_bn(d->name);
		}
		memcpy(want, bn_infer_logits(ref), bytes);
		const float *got = bn_infer_logits(s->infer);
		if (opt->inject_fault == bn_ctx_kernel(bn_infer_ctx(s->infer)))
			((float *)got)[c->vocab / 2] += 1.0f;
		for (int i = 0; i < c->vocab && ok; i++)
			if (memcmp(&got[i], &want[i], sizeof(float))) {
				fprintf(stderr,
					"%s: %s: kernel %s is wrong: %s logit %d = %.9g, ref kernel "
					"%.9g; refusing to time it\n",
					prog, d->name,
					bn_kernel_name(bn_ctx_kernel(bn_infer_ctx(s->infer))),
					step ? "decode" : "prefill", i, (double)got[i],
					(double)want[i]);
				ok = 0;
			}
	}
	free(want);
	bn_infer_free(ref);
	bn_infer_truncate(s->infer, 0);
	if (ok && bn_infer_eval(s->infer, s->prompt, E2E_PROMPT))
		bench_die_bn(d->name);
	return ok;
}

int bench_check_ints(const char *name, const char *kernel, const int32_t *got, const int32_t *want,
		     size_t count, size_t row_len)
{
	for (size_t i = 0; i < count; i++)
		if (got[i] != want[i]) {
			fprintf(stderr,
				"%s: %s: kernel %s is wrong: y[%zu][%zu] = %d, reference %d; "
				"refusing to time it\n",
				prog, name, kernel, i / row_len, i % row_len, got[i], want[i]);
			return 0;
		}
	return 1;
}

/* The lm_head on the benchmark's kernel against ref's: every logit bit for bit. */
static int check_head(struct bench_state *s, struct bn_ctx *ref, const struct options *opt)
{
	const struct bench_def *d = s->def;
	float *want = bench_xalloc(sizeof(float) * (size_t)d->n);
	if (bn_gemv_f16(ref, want, s->emb, s->fin, d->k, d->n) ||
	    bn_gemv_f16(s->ctx, s->logits, s->emb, s->fin, d->k, d->n))
		bench_die_bn(d->name);
	if (opt->inject_fault == d->kernel)
		s->logits[d->n / 2] += 1.0f;
	int ok = 1;
	for (int j = 0; j < d->n && ok; j++)
		if (memcmp(&s->logits[j], &want[j], sizeof(float))) {
			fprintf(stderr,
				"%s: %s: kernel %s is wrong: logit %d = %.9g, reference %.9g; "
				"refusing to time it\n",
				prog, d->name, bn_kernel_name(d->kernel), j, (double)s->logits[j],
				(double)want[j]);
			ok = 0;
		}
	free(want);
	return ok;
}

/* Compares the kernel's output for this benchmark with the reference kernel's. Returns 1
 * when they match; prints the first difference and returns 0 otherwise. */
static int check_against_ref(struct bench_state *s, const struct options *opt)
{
	const struct bench_def *d = s->def;
	if (d->kind == K_MEMBW)
		return 1;
	if (d->kind == K_PREFILL || d->kind == K_DECODE)
		return check_e2e(s, opt);
	struct bn_ctx *ref = bench_ctx_new(BN_KERNEL_REF, 1, 0);
	int ok = 1;
	if (d->kind == K_HEAD) {
		ok = check_head(s, ref, opt);
	} else if (d->kind == K_QUANT) {
		struct bn_qact *want;
		if (bn_qact_new(&want, 1, d->n) ||
		    bn_quantize(ref, want, s->fin, (size_t)d->n, 1) ||
		    bn_quantize(s->ctx, s->x, s->fin, (size_t)d->n, 1))
			bench_die_bn(d->name);
		if (opt->inject_fault == d->kernel)
			s->x->q[d->n / 2] ^= 1;
		for (int c = 0; c < s->x->k_pad && ok; c++)
			if (s->x->q[c] != want->q[c]) {
				fprintf(stderr,
					"%s: %s: kernel %s is wrong: q[%d] = %d, reference %d; "
					"refusing "
					"to time it\n",
					prog, d->name, bn_kernel_name(d->kernel), c, s->x->q[c],
					want->q[c]);
				ok = 0;
			}
		if (ok &&
		    (s->x->scale[0] != want->scale[0] || s->x->rowsum[0] != want->rowsum[0])) {
			fprintf(stderr,
				"%s: %s: kernel %s is wrong: scale/sum %g/%d, reference %g/%d; "
				"refusing to time it\n",
				prog, d->name, bn_kernel_name(d->kernel), (double)s->x->scale[0],
				s->x->rowsum[0], (double)want->scale[0], want->rowsum[0]);
			ok = 0;
		}
		bn_qact_free(want);
	} else {
		const struct bn_tmat *w = d->kind == K_GEMV_DRAM ? &s->stack[0] : s->w;
		size_t ny = (size_t)s->x->m * (size_t)w->n;
		int32_t *want = bench_xalloc(ny * sizeof(int32_t));
		int rc = d->kind == K_MATMUL ? bn_gemm(ref, want, (size_t)w->n, s->x, w)
					     : bn_gemv(ref, want, s->x, w);
		if (!rc)
			rc = d->kind == K_MATMUL ? bn_gemm(s->ctx, s->y, (size_t)w->n, s->x, w)
						 : bn_gemv(s->ctx, s->y, s->x, w);
		if (rc)
			bench_die_bn(d->name);
		if (opt->inject_fault == d->kernel)
			s->y[ny / 2] ^= 1;
		ok = bench_check_ints(d->name, bn_kernel_name(d->kernel), s->y, want, ny,
				      (size_t)w->n);
		free(want);
	}
	bn_ctx_free(ref);
	return ok;
}

/* The synthetic model of a preset, written into the model directory when missing. */
static void model_path(char *out, size_t cap, const char *config)
{
	const char *dir = getenv("BITNET_MODEL_DIR"), *xdg = getenv("XDG_CACHE_HOME");
	const char *home = getenv("HOME");
	char base[3072];
	if (dir && *dir)
		snprintf(base, sizeof(base), "%s", dir);
	else if (xdg && *xdg)
		snprintf(base, sizeof(base), "%s/bitnet", xdg);
	else
		snprintf(base, sizeof(base), "%s/.cache/bitnet", home && *home ? home : "/tmp");
	/* make the directory and its parents */
	for (char *p = base + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			mkdir(base, 0777);
			*p = '/';
		}
	mkdir(base, 0777);
	snprintf(out, cap, "%s/synthetic-%s-seed1.gguf", base, config);
}

struct bn_model *bench_model_open(const struct bench_def *d)
{
	char path[4096];
	model_path(path, sizeof(path), d->config);
	if (access(path, R_OK) != 0) {
		struct bn_model_config c;
		if (bn_model_preset(&c, d->config))
			bench_die_bn(d->name);
		fprintf(stderr, "%s: writing the synthetic %s model to %s\n", prog, d->config,
			path);
		double t0 = bench_now_s();
		if (bn_model_write_synthetic(&c, 1, path))
			bench_die_bn(d->name);
		fprintf(stderr, "%s: wrote it in %.1f s\n", prog, bench_now_s() - t0);
	}
	struct bn_model *m;
	if (bn_model_open(&m, path))
		bench_die_bn(d->name);
	return m;
}

void bench_e2e_prompt(int32_t *prompt, int vocab)
{
	for (int i = 0; i < E2E_PROMPT; i++)
		prompt[i] = (int32_t)((i * 131 + 7) % (vocab < 256 ? vocab : 256));
}

static void setup_e2e(struct bench_state *s, const struct options *opt)
{
	const struct bench_def *d = s->def;
	s->model = bench_model_open(d);
	struct bn_infer_opts io = {.kernel = BN_KERNEL_AUTO, .threads = opt->threads,
				   .max_tokens = E2E_PROMPT + E2E_DECODE};
	if (bn_infer_new(&s->infer, s->model, &io))
		bench_die_bn(d->name);
	s->ctx = NULL;
	bench_e2e_prompt(s->prompt, s->model->cfg.vocab);
}

/* The lm_head's F16 rows (random finite halves in [-1, 1); one 1 MiB block repeated, which
 * streams from DRAM all the same) and a random x. */
static void setup_head(struct bench_state *s)
{
	const struct bench_def *d = s->def;
	const size_t count = (size_t)d->n * (size_t)d->k, block = (size_t)1 << 19;
	s->emb = bench_xalloc(count * sizeof(uint16_t));
	madvise(s->emb, count * sizeof(uint16_t), MADV_HUGEPAGE);
	for (size_t i = 0; i < block && i < count; i++)
		s->emb[i] = bn_f32_to_f16(
			(float)((double)(rng_next() >> 11) / 4503599627370496.0 - 1.0));
	for (size_t i = block; i < count; i += block)
		memcpy(s->emb + i, s->emb,
		       (count - i < block ? count - i : block) * sizeof(uint16_t));
	s->fin = bench_xalloc(sizeof(float) * (size_t)d->k);
	for (int c = 0; c < d->k; c++)
		s->fin[c] = (float)((double)(rng_next() >> 11) / 4503599627370496.0 - 1.0);
	s->logits = bench_xalloc(sizeof(float) * (size_t)d->n);
}

static void setup(struct bench_state *s, const struct options *opt, int via_env)
{
	const struct bench_def *d = s->def;
	if (d->kind == K_MEMBW) {
		s->ctx = bench_ctx_new(BN_KERNEL_REF, opt->threads, 0);
		s->membytes = DRAM_STACK_BYTES;
		s->membuf = bench_xalloc(s->membytes);
		madvise(s->membuf, s->membytes, MADV_HUGEPAGE);
		for (size_t i = 0; i < s->membytes / 8; i++)
			((uint64_t *)s->membuf)[i] = i;
		return;
	}
	if (d->kind == K_PREFILL || d->kind == K_DECODE) {
		setup_e2e(s, opt);
		return;
	}
	s->ctx = bench_ctx_new(d->kernel, opt->threads, via_env);
	if (d->kind == K_HEAD) {
		setup_head(s);
		return;
	}
	if (d->kind == K_QUANT) {
		if (bn_qact_new(&s->x, 1, d->n))
			bench_die_bn(d->name);
		s->fin = bench_xalloc(sizeof(float) * (size_t)d->n);
		for (int c = 0; c < d->n; c++)
			s->fin[c] = (float)((double)(int64_t)(rng_next() >> 11) /
						    9007199254740992.0 * 8.0 -
					    4.0);
		return;
	}
	if (bn_qact_new(&s->x, d->m, d->k))
		bench_die_bn(d->name);
	bench_fill_acts(s->x);
	s->y = bench_xalloc(sizeof(int32_t) * (size_t)d->m * (size_t)d->n);
	if (d->kind == K_GEMV_DRAM) {
		dram_prepare(d->n, d->k);
		s->stack = dram.mats;
		s->layers = dram.layers;
	} else {
		if (bn_tmat_new(&s->w, d->n, d->k))
			bench_die_bn(d->name);
		bench_fill_codes(s->w->codes, d->n, d->k, s->w->k_pad);
	}
}

static void teardown(struct bench_state *s)
{
	bn_infer_free(s->infer);
	bn_model_close(s->model);
	bn_ctx_free(s->ctx);
	bn_qact_free(s->x);
	bn_tmat_free(s->w);
	free(s->y);
	free(s->fin);
	free(s->emb);
	free(s->logits);
	free(s->membuf);
}

static double elements_of(const struct bench_def *d, double *bytes)
{
	switch (d->kind) {
	case K_MATMUL: {
		double kp = (double)bn_i2s_k_pad(d->k);
		*bytes = (double)d->n * kp / 4 + (double)d->m * kp + 4.0 * d->m * d->n;
		return (double)d->m * d->n * d->k;
	}
	case K_GEMV:
	case K_GEMV_DRAM: {
		double kp = (double)bn_i2s_k_pad(d->k);
		*bytes = (double)d->n * kp / 4 + kp + 4.0 * d->n;
		return (double)d->n * d->k;
	}
	case K_QUANT: *bytes = 5.0 * d->n; return (double)d->n;
	case K_HEAD:
		*bytes = 2.0 * d->n * d->k + 4.0 * d->k + 4.0 * d->n;
		return (double)d->n * d->k;
	case K_MEMBW:
		*bytes = d->cuda ? 2.0 * (double)CUDA_COPY_BYTES /* read + written */
				 : (double)DRAM_STACK_BYTES;
		return *bytes;
	case K_PREFILL:
	case K_DECODE: *bytes = 0; return d->m; /* tokens per iteration */
	}
	return 0;
}

/* Calibration of a gate only: BITNET_BENCH_SLOWDOWN="REGEX:PERCENT" makes every benchmark
 * whose name matches take PERCENT% longer per iteration, by spinning on the clock for that
 * share of its own calibrated iteration time. Real work in the timed region, so a gate can
 * be shown to catch a slowdown of known size; the JSON context says it was on. */
static regex_t slowdown_re;
static double slowdown_pct;  /* 0: off */
static double extra_per_iter; /* seconds added per iteration of the current benchmark */

static int slowdown_init(const char *spec)
{
	const char *colon = spec ? strrchr(spec, ':') : NULL;
	char *end;
	if (!colon)
		return -1;
	double pct = strtod(colon + 1, &end);
	if (*end || !(pct > 0 && pct <= 1000))
		return -1;
	char re[256];
	snprintf(re, sizeof(re), "%.*s", (int)(colon - spec), spec);
	if (regcomp(&slowdown_re, re, REG_EXTENDED | REG_NOSUB))
		return -1;
	slowdown_pct = pct;
	return 0;
}

/* Runs n iterations and returns the seconds they took; a failing call ends the program. */
static double run_timed(struct bench_state *s, long long n)
{
	if (s->dev) /* by the device's clock */
		return s->device->run_timed(s->dev, n, extra_per_iter * (double)n);
	double t0 = bench_now_s();
	for (long long i = 0; i < n; i++)
		if (run_once(s))
			bench_die_bn(s->def->name);
	if (extra_per_iter > 0)
		bench_spin(extra_per_iter * (double)n);
	return bench_now_s() - t0;
}

/* Checks, warms up, calibrates and times one benchmark. Returns 0, or EXIT_WRONG. */
static int run_bench(const struct bench_def *d, const struct options *opt, int via_env,
		     const struct bench_device *device, struct bench_result *r)
{
	struct bench_state s = {.def = d};
	if (d->cuda) {
		s.device = device;
		if (device->setup(&s.dev, d, opt->threads, opt->inject_fault == FAULT_CUDA))
			return EXIT_WRONG;
	} else {
		setup(&s, opt, via_env);
		if (!check_against_ref(&s, opt)) {
			teardown(&s);
			return EXIT_WRONG;
		}
	}
	r->checked = d->kind != K_MEMBW;
	if (s.infer) /* the check ran other shapes (2 prompt tokens, a GEMV in prefill) */
		bn_ctx_ran_reset(bn_infer_ctx(s.infer));
	/* Warm-up (not stored): a DRAM stack is walked once whole so pages are mapped. */
	run_timed(&s, d->kind == K_GEMV_DRAM ? s.layers : 1);
	/* Calibrate: double the iterations until a batch takes a tenth of min-time. */
	long long iters = 1;
	double t;
	for (;;) {
		t = run_timed(&s, iters);
		if (t >= opt->min_time / 10 || iters >= (1LL << 40))
			break;
		iters *= 2;
	}
	double per = t / (double)iters;
	extra_per_iter = slowdown_pct > 0 && !regexec(&slowdown_re, d->name, 0, NULL, 0)
				 ? per * slowdown_pct / 100
				 : 0;
	long long n = per > 0 ? (long long)ceil(opt->min_time / per) : 1;
	r->iterations = n < 1 ? 1 : n;
	r->samples = calloc((size_t)opt->repetitions, sizeof(double));
	if (!r->samples) {
		fprintf(stderr, "%s: out of memory\n", prog);
		exit(EXIT_FAILED);
	}
	for (int rep = 0; rep < opt->repetitions; rep++)
		r->samples[rep] = run_timed(&s, r->iterations) * 1e9 / (double)r->iterations;
	r->nsamples = opt->repetitions;
	r->elements = elements_of(d, &r->bytes);
	if (s.dev) {
		r->kernel_name = d->kind == K_MEMBW ? NULL : device->kernel_name;
		r->weight_bytes = device->weight_bytes(s.dev);
		if (d->kind == K_DECODE)
			r->bytes = r->weight_bytes; /* weights read per iteration */
		device->teardown(s.dev);
		return 0;
	}
	switch (d->kind) {
	case K_MATMUL: r->kernel = bn_ctx_ran(s.ctx, BN_OP_GEMM); break;
	case K_GEMV:
	case K_GEMV_DRAM: r->kernel = bn_ctx_ran(s.ctx, BN_OP_GEMV); break;
	case K_QUANT: r->kernel = bn_ctx_ran(s.ctx, BN_OP_QUANT); break;
	case K_HEAD: r->kernel = bn_ctx_ran(s.ctx, BN_OP_LM_HEAD); break;
	case K_MEMBW: r->kernel = -1; break;
	case K_PREFILL: r->kernel = bn_ctx_ran(bn_infer_ctx(s.infer), BN_OP_GEMM); break;
	case K_DECODE: r->kernel = bn_ctx_ran(bn_infer_ctx(s.infer), BN_OP_GEMV); break;
	}
	for (int op = 0; op < BENCH_OPS; op++) /* what the timed runs used, op by op */
		r->ops[op] = s.infer ? bn_ctx_ran(bn_infer_ctx(s.infer), (enum bn_op)op) : -1;
	if (d->kind == K_PREFILL || d->kind == K_DECODE)
		r->bytes = (double)s.model->weight_bytes; /* weights read per iteration */
	teardown(&s);
	return 0;
}

/* ---- output ---- */

static const struct bench_result *find_result(const struct bench_result *r, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(r[i].name, name) && r[i].nsamples > 0)
			return &r[i];
	return NULL;
}

/* The same benchmark's name with kernel ref in place of this one's. */
static void ref_name(char *out, size_t cap, const struct bench_result *r)
{
	const char *a = strchr(r->name, '/');
	const char *b = a ? strchr(a + 1, '/') : NULL;
	if (!b) {
		out[0] = '\0';
		return;
	}
	snprintf(out, cap, "%.*sref%s", (int)(a - r->name + 1), r->name, b);
}

/* "dispatch (zen5): gemm amx from 16 rows, else avx512; gemv avx512; ..." */
static void print_dispatch(FILE *f, const struct bn_ctx *ctx)
{
	int split = bn_ctx_gemm_split(ctx);
	fprintf(f, "dispatch (%s%s): gemm %s", bn_cpu_class(),
		bn_ctx_forced(ctx) ? ", BITNET_KERNEL" : "",
		bn_kernel_name(bn_ctx_op_kernel(ctx, BN_OP_GEMM, split ? split : 1)));
	if (split)
		fprintf(f, " from %d rows, else %s", split,
			bn_kernel_name(bn_ctx_op_kernel(ctx, BN_OP_GEMM, 1)));
	for (int op = BN_OP_GEMV; op < BN_OP_COUNT; op++)
		fprintf(f, "; %s %s", bn_op_name(op),
			bn_kernel_name(bn_ctx_op_kernel(ctx, (enum bn_op)op, 1)));
	fputc('\n', f);
}

static void print_table(FILE *f, const struct bench_context *c, const struct bench_result *r, int n)
{
	fprintf(f, "bitnet-bench %s (%s) on %s, %d thread%s%s; medians of %d samples\n", c->version,
		c->build_type, bn_cpu_get()->model, c->threads, c->threads == 1 ? "" : "s",
		c->strict_mode ? ", strict mode" : "", c->repetitions);
	if (c->gpu)
		fprintf(f,
			"GPU: %s (compute capability %d.%d, %d SMs, %.0f GiB), kernels built for "
			"%s\n",
			c->gpu->name, c->gpu->cc_major, c->gpu->cc_minor, c->gpu->sm_count,
			c->gpu->memory_bytes / (1024.0 * 1024 * 1024), c->gpu->built_for);
	if (c->dispatch)
		print_dispatch(f, c->dispatch);
	fprintf(f, "%-32s %-9s %12s %8s %10s %9s %9s  %s\n", "benchmark", "kernel", "median",
		"spread", "Gelem/s", "GB/s", "vs ref", "note");
	const struct bench_result *mem = find_result(r, n, "membw/read");
	double mem_bw = mem ? mem->bytes / bench_median(mem->samples, mem->nsamples) : 0;
	const struct bench_result *copy = find_result(r, n, "membw/cuda-copy");
	double copy_bw = copy ? copy->bytes / bench_median(copy->samples, copy->nsamples) : 0;
	for (int i = 0; i < n; i++) {
		const struct bench_result *x = &r[i];
		if (x->skipped[0]) {
			fprintf(f, "%-32s %-9s %12s  skipped: %s\n", x->name, "-", "-", x->skipped);
			continue;
		}
		double med = bench_median(x->samples, x->nsamples);
		double lo = x->samples[0], hi = x->samples[0];
		for (int j = 1; j < x->nsamples; j++) {
			lo = x->samples[j] < lo ? x->samples[j] : lo;
			hi = x->samples[j] > hi ? x->samples[j] : hi;
		}
		char medbuf[32], spread[16], gel[16], gbs[16], vs[16] = "", note[48] = "";
		if (med >= 1e6)
			snprintf(medbuf, sizeof(medbuf), "%.3f ms", med / 1e6);
		else if (med >= 1e3)
			snprintf(medbuf, sizeof(medbuf), "%.2f us", med / 1e3);
		else
			snprintf(medbuf, sizeof(medbuf), "%.1f ns", med);
		snprintf(spread, sizeof(spread), "%.1f%%", med > 0 ? 100.0 * (hi - lo) / med : 0.0);
		snprintf(gel, sizeof(gel), "%.2f",
			 strcmp(x->family, "membw") ? x->elements / med : 0);
		if (!strcmp(x->family, "membw"))
			snprintf(gel, sizeof(gel), "-");
		if (!strcmp(x->family, "e2e")) /* tokens, not elements */
			snprintf(note, sizeof(note), "%.1f tokens/s", x->elements / med * 1e9);
		/* a decode's roofline: its weights at the bandwidth of its own device */
		double roof_bw = strstr(x->name, "@cuda") ? copy_bw : mem_bw;
		if (!strcmp(x->family, "e2e") && roof_bw > 0 && !strstr(x->name, "prefill"))
			snprintf(note, sizeof(note), "%.1f tokens/s, %.0f%% of roofline",
				 x->elements / med * 1e9, 100.0 * x->bytes / med / roof_bw);
		snprintf(gbs, sizeof(gbs), "%.2f", x->bytes / med);
		char rn[96];
		ref_name(rn, sizeof(rn), x);
		const struct bench_result *ref = rn[0] ? find_result(r, n, rn) : NULL;
		if (ref && ref != x)
			snprintf(vs, sizeof(vs), "%.1fx",
				 bench_median(ref->samples, ref->nsamples) / med);
		if (!strcmp(x->family, "e2e"))
			snprintf(gel, sizeof(gel), "-");
		if ((strstr(x->name, "/dram") || !strcmp(x->family, "head")) && mem_bw > 0)
			snprintf(note, sizeof(note), "%.0f%% of membw/read",
				 100.0 * x->bytes / med / mem_bw);
		if (!strncmp(x->name, "gemv/cuda/", 10) && copy_bw > 0) /* weights from DRAM */
			snprintf(note, sizeof(note), "%.0f%% of membw/cuda-copy",
				 100.0 * x->weight_bytes / med / copy_bw);
		const char *kn = x->kernel >= 0   ? bn_kernel_name(x->kernel)
				 : x->kernel_name ? x->kernel_name
						  : "-";
		fprintf(f, "%-32s %-9s %12s %8s %10s %9s %9s  %s\n", x->name, kn, medbuf, spread,
			gel, gbs, vs, note);
	}
	fprintf(f, "spread: (max - min) / median over the samples; vs ref: ref median / median, "
		   "same shape, same run\n");
}

/* ---- main ---- */

static int parse_args(int argc, char **argv, struct options *o)
{
	*o = (struct options){.min_time = 0.1, .repetitions = 5, .threads = 1, .inject_fault = -1};
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			exit(0);
		} else if (!strcmp(a, "--list")) {
			o->list = 1;
			continue;
		}
		if (!v) {
			fprintf(stderr, "%s: %s: unknown option or missing value (see --help)\n",
				prog, a);
			return -1;
		}
		i++;
		if (!strcmp(a, "--filter")) {
			o->filter = v;
		} else if (!strcmp(a, "--min-time")) {
			char *end;
			o->min_time = strtod(v, &end);
			if (*end || !(o->min_time >= 0.0 && o->min_time <= 3600.0)) {
				fprintf(stderr, "%s: --min-time %s: expected seconds in 0..3600\n",
					prog, v);
				return -1;
			}
		} else if (!strcmp(a, "--repetitions")) {
			if (parse_int(v, 1, 100000, &o->repetitions)) {
				fprintf(stderr, "%s: --repetitions %s: expected 1..100000\n", prog,
					v);
				return -1;
			}
		} else if (!strcmp(a, "--threads")) {
			if (parse_int(v, 1, 256, &o->threads)) {
				fprintf(stderr, "%s: --threads %s: expected 1..256\n", prog, v);
				return -1;
			}
		} else if (!strcmp(a, "--format")) {
			if (!strcmp(v, "json"))
				o->json = 1;
			else if (strcmp(v, "table")) {
				fprintf(stderr, "%s: --format %s: expected table or json\n", prog,
					v);
				return -1;
			}
		} else if (!strcmp(a, "--inject-fault")) {
			if (!strcmp(v, BN_KERNEL_CUDA_NAME)) {
				o->inject_fault = FAULT_CUDA;
			} else if (bn_kernel_from_name(&o->inject_fault, v)) {
				fprintf(stderr, "%s: --inject-fault: %s (or cuda)\n", prog,
					bn_error_last());
				return -1;
			}
		} else {
			fprintf(stderr, "%s: %s: unknown option (see --help)\n", prog, a);
			return -1;
		}
	}
	return 0;
}

/* The CUDA benchmarks' backend when they can run here; NULL and why not otherwise. */
static const struct bench_device *cuda_device(struct bench_gpu *gpu, const char **why)
{
#ifdef BITGATE_HAVE_CUDA
	return bench_cuda_open(gpu, why);
#else
	(void)gpu;
	*why = NO_CUDA_BUILD;
	return NULL;
#endif
}

/* Which devices to benchmark: BITNET_DEVICE=cpu or cuda narrows the run to one; unset, both,
 * unless BITNET_KERNEL names a CPU kernel (then the CPU alone). BITNET_KERNEL=cuda is
 * BITNET_DEVICE=cuda. *asked: the variable that asked for the CUDA device by name, else
 * NULL. Returns 0, or -1 with the usage error printed. */
static int select_devices(int *cpu, int *cuda, const char **asked)
{
	const char *dev = getenv("BITNET_DEVICE"), *kern = getenv("BITNET_KERNEL");
	int kern_cuda = kern && !strcmp(kern, BN_KERNEL_CUDA_NAME);
	*cpu = 1;
	*cuda = !(kern && *kern) || kern_cuda;
	*asked = kern_cuda ? "BITNET_KERNEL=cuda" : NULL;
	if (dev && *dev) {
		if (strcmp(dev, "cpu") && strcmp(dev, "cuda")) {
			fprintf(stderr,
				"%s: BITNET_DEVICE=%s: expected cpu or cuda (or unset for both)\n",
				prog, dev);
			return -1;
		}
		if (kern_cuda && !strcmp(dev, "cpu")) {
			fprintf(stderr, "%s: BITNET_KERNEL=cuda contradicts BITNET_DEVICE=cpu\n",
				prog);
			return -1;
		}
		*cuda = !strcmp(dev, "cuda");
		*asked = *cuda ? "BITNET_DEVICE=cuda" : NULL;
	}
	if (*asked)
		*cpu = 0;
	return 0;
}

int main(int argc, char **argv)
{
	struct options opt;
	if (parse_args(argc, argv, &opt))
		return EXIT_USAGE;
	if (bn_strict_mode() < 0) {
		fprintf(stderr, "%s: %s\n", prog, bn_strict_env_error());
		return EXIT_USAGE;
	}
	int cpu, cuda;
	const char *cuda_asked;
	if (select_devices(&cpu, &cuda, &cuda_asked))
		return EXIT_USAGE;
	/* The device is probed once, when a CUDA benchmark is listed or asked for by name. A
	 * CUDA request that cannot be served is an error in strict mode, not skipped ones. */
	struct bench_gpu gpu = {0};
	const char *no_cuda = NULL;
	const struct bench_device *device = NULL;
	int probed = 0;
	if (cuda_asked) {
		device = cuda_device(&gpu, &no_cuda);
		probed = 1;
	}
	if (cuda_asked && !device && bn_strict_mode() > 0) {
		fprintf(stderr, "%s: %s in strict mode, but the CUDA benchmarks cannot run: %s\n",
			prog, cuda_asked, no_cuda);
		return EXIT_FAILED;
	}
	/* BITNET_KERNEL narrows the run to one kernel, validated by the dispatch itself. */
	unsigned kernels = cpu ? (1u << BN_KERNEL_COUNT) - 1 : 0;
	int via_env = 0;
	const char *env = getenv("BITNET_KERNEL");
	/* A context made as the benchmarks make theirs, for the per-operation choice the JSON
	 * context and the table report. */
	struct bn_ctx *probe = NULL;
	if (cpu || (env && *env && strcmp(env, BN_KERNEL_CUDA_NAME))) {
		struct bn_ctx_opts o = {.kernel = BN_KERNEL_AUTO, .threads = 1};
		if (bn_ctx_new(&probe, &o)) {
			fprintf(stderr, "%s: %s\n", prog, bn_error_last());
			return bn_error_last()[0] && strstr(bn_error_last(), "unknown")
				       ? EXIT_USAGE
				       : EXIT_FAILED;
		}
	}
	if (probe && bn_ctx_forced(probe)) {
		kernels = cpu ? 1u << bn_ctx_kernel(probe) : 0;
		via_env = 1;
	}
	regex_t re;
	if (opt.filter) {
		int rc = regcomp(&re, opt.filter, REG_EXTENDED | REG_NOSUB);
		if (rc) {
			char msg[128];
			regerror(rc, &re, msg, sizeof(msg));
			fprintf(stderr, "%s: --filter '%s': %s\n", prog, opt.filter, msg);
			bn_ctx_free(probe);
			return EXIT_USAGE;
		}
	}
	struct bench_def defs[256] = {0};
	int ndefs = build_defs(defs, kernels, cuda);
	struct bench_result *res = calloc((size_t)ndefs, sizeof(*res));
	if (!res) {
		bn_ctx_free(probe);
		return EXIT_FAILED;
	}
	int nres = 0;
	for (int i = 0; i < ndefs; i++) {
		if (opt.filter && regexec(&re, defs[i].name, 0, NULL, 0) != 0)
			continue;
		struct bench_result *r = &res[nres++];
		snprintf(r->name, sizeof(r->name), "%s", defs[i].name);
		r->unit = "ns";
		r->kernel = -1;
		for (int op = 0; op < BENCH_OPS; op++)
			r->ops[op] = -1;
		r->family = defs[i].kind == K_MATMUL                                ? "matmul"
			    : defs[i].kind == K_QUANT                               ? "quant"
			    : defs[i].kind == K_HEAD                                ? "head"
			    : defs[i].kind == K_MEMBW                               ? "membw"
			    : defs[i].kind == K_PREFILL || defs[i].kind == K_DECODE ? "e2e"
										    : "gemv";
		const char *why = NULL;
		if (defs[i].kernel >= 0 && !bn_kernel_available(defs[i].kernel, &why))
			snprintf(r->skipped, sizeof(r->skipped), "%s", why);
		if (defs[i].cuda && !probed) {
			device = cuda_device(&gpu, &no_cuda);
			probed = 1;
		}
		if (defs[i].cuda && !device)
			snprintf(r->skipped, sizeof(r->skipped), "%s", no_cuda);
	}
	if (opt.filter)
		regfree(&re);
	if (opt.list) {
		for (int i = 0; i < nres; i++)
			if (res[i].skipped[0])
				printf("%s (skipped: %s)\n", res[i].name, res[i].skipped);
			else
				printf("%s\n", res[i].name);
		free(res);
		bn_ctx_free(probe);
		return 0;
	}
	if (nres == 0) {
		fprintf(stderr, "%s: no benchmark matches --filter '%s' (see --list)\n", prog,
			opt.filter ? opt.filter : "");
		free(res);
		bn_ctx_free(probe);
		return EXIT_USAGE;
	}
	const char *slow = getenv("BITNET_BENCH_SLOWDOWN");
	if (slow && *slow) {
		if (slowdown_init(slow)) {
			fprintf(stderr, "%s: BITNET_BENCH_SLOWDOWN=%s: expected REGEX:PERCENT\n", prog,
				slow);
			free(res);
			return EXIT_USAGE;
		}
		fprintf(stderr, "%s: injecting a %g%% slowdown into %s (calibration)\n", prog,
			slowdown_pct, slow);
	} else {
		slow = NULL;
	}
	struct bench_context ctx = {
		.slowdown = slow,
		.version = BITGATE_VERSION,
		.build_type = BITGATE_BUILD_TYPE,
		.threads = opt.threads,
		.strict_mode = bn_strict_mode() > 0,
		.min_time = opt.min_time,
		.repetitions = opt.repetitions,
		.dispatch = cpu ? probe : NULL,
	};
	int status = 0;
	double t0 = bench_now_s();
	for (int i = 0, j = 0; i < ndefs; i++) {
		if (j >= nres || strcmp(defs[i].name, res[j].name))
			continue;
		struct bench_result *r = &res[j++];
		if (r->skipped[0])
			continue;
		fprintf(stderr, "[%d/%d %5.1fs] %s\n", j, nres, bench_now_s() - t0, r->name);
		if (run_bench(&defs[i], &opt, via_env, device, r)) {
			status = EXIT_WRONG;
			break;
		}
		if (r->kernel >= 0)
			ctx.kernels_seen |= 1u << r->kernel;
		for (int op = 0; op < BENCH_OPS; op++)
			if (r->ops[op] >= 0)
				ctx.kernels_seen |= 1u << r->ops[op];
		if (r->kernel_name)
			ctx.device_kernel = r->kernel_name;
		if (defs[i].cuda)
			ctx.gpu = &gpu;
	}
	dram_release();
	if (status == 0) {
		if (opt.json) {
			if (bench_write_json(stdout, &ctx, res, nres)) {
				fprintf(stderr, "%s: out of memory writing JSON\n", prog);
				status = EXIT_FAILED;
			}
		} else {
			print_table(stdout, &ctx, res, nres);
		}
	}
	for (int i = 0; i < nres; i++)
		free(res[i].samples);
	free(res);
	bn_ctx_free(probe);
	return status;
}
