/* Kernel dispatch: chooses a kernel per operation once per context (the table below, or one
 * forced kernel), splits output rows across the thread pool, records which kernel ran each
 * operation, and applies strict mode by swapping in refusing entry points at creation
 * (nothing is checked per call). The streaming kernels' tuning per CPU class lives here. */
#include "bn_dispatch.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bn_cpu.h"
#include "bn_error.h"
#include "bn_pool.h"
#include "bn_strict.h"
#include "kernels_int.h"

static const struct bn_kernel_impl *const bn_kernels[BN_KERNEL_COUNT] = {
	&bn_kernel_ref,
	&bn_kernel_avx2,
	&bn_kernel_avx512,
	&bn_kernel_amx,
};

static const char *const bn_op_names[BN_OP_COUNT] = {"gemm", "gemv", "quant", "lm_head"};

/* Which kernel runs each operation when none is forced: the first row of the operation
 * whose kernel runs here and, for GEMM, whose min_rows the call reaches; ref is every
 * operation's last resort. Why each row wins (bitnet-bench medians, 1 thread; "SPR": the
 * Sapphire Rapids figures of issue 15 at 2f397b9, 2026-12-02; "Zen 5": this repository's
 * Zen 5 runner, 2026-12-02; Zen 3: README, 2026-11-24, AVX2 only):
 * - GEMM, AMX from 16 rows (one full tile): matmul/amx/256^3 1,113-1,161 Gelem/s against
 *   avx512's 333-337 (SPR), and e2e/2b/prefill64 153.7 against 88.0 tokens/s. Below 16 rows
 *   the tile unit multiplies padding rows (a 1-row GEMV on AMX runs 712 us against avx512's
 *   256 us on gemv/2560x6912, SPR), so smaller GEMMs take the VNNI path. The 16-row cut is
 *   the tile height, not a measured crossover (no AMX machine measured it yet).
 * - GEMM, AVX-512 over AVX2: matmul 256^3 392 against 167 Gelem/s (Zen 5).
 * - GEMV, AVX-512 over AVX2, never AMX: gemv/2560x6912 hot 88 against 170 us (Zen 5); from
 *   DRAM 68% against 64% of membw/read (SPR; avx2 is 10% faster hot there, 230 against 256
 *   us, but decode streams its weights from DRAM); AMX 712 us hot (SPR).
 * - quant, AVX-512 over AVX2: quant/6912 0.68 against 1.10 us (Zen 5).
 * - lm_head, AVX-512 over F16C: twice the lanes per FMA, the same bits. */
static const struct bn_op_rule {
	enum bn_op op;
	int kernel;
	int min_rows; /* GEMM: the fewest activation rows this kernel takes */
} bn_op_rules[] = {
	{BN_OP_GEMM, BN_KERNEL_AMX, 16},    {BN_OP_GEMM, BN_KERNEL_AVX512, 0},
	{BN_OP_GEMM, BN_KERNEL_AVX2, 0},    {BN_OP_GEMV, BN_KERNEL_AVX512, 0},
	{BN_OP_GEMV, BN_KERNEL_AVX2, 0},    {BN_OP_QUANT, BN_KERNEL_AVX512, 0},
	{BN_OP_QUANT, BN_KERNEL_AVX2, 0},   {BN_OP_LM_HEAD, BN_KERNEL_AVX512, 0},
	{BN_OP_LM_HEAD, BN_KERNEL_AVX2, 0},
};

/* How far ahead the streaming kernels prefetch their weight run, per CPU class. A GEMV
 * reads 8 (AVX-512) or 4 (AVX2) rows as interleaved short streams, which hardware
 * prefetchers follow badly; the distance covers the latency at the core's bandwidth.
 * - Zen 3: AVX2 8,192 bytes gave 94-98% of membw/read on gemv/2560x6912/dram (README,
 *   2026-11-24). AVX-512: none on Zen 3.
 * - Zen 5: BITNET_STREAM_PREFETCH swept 0, 4K, 8K, 12K, 16K in 3 alternated quiet rounds
 *   (gemv/{2560x6912,6912x2560}/dram, 1 thread, 2026-12-02): AVX-512 Gelem/s 51-64 with
 *   none, 74-76 and 75-77 (2560x6912) at 8K and 12K, 71-82 and 88-90 (6912x2560); AVX2 ~78
 *   at both 8K and 12K, 47-57 with none. So 12K for AVX-512, 8K for AVX2.
 * - Zen 4: Zen 5's row, not measured.
 * - Sapphire Rapids and other Intel: not measured on this code (no such machine in that
 *   session). 8K for both: over twice the bandwidth-delay product of a Sapphire Rapids
 *   core (13.4 GB/s membw/read x ~130 ns), where the AVX2 8K GEMV read 64% of membw/read
 *   and the AVX-512 one, prefetching 1K ahead per row, 68% (issue 15, 2f397b9). */
enum bn_cpu_class { BN_CLASS_ZEN3, BN_CLASS_ZEN4, BN_CLASS_ZEN5, BN_CLASS_SPR, BN_CLASS_OTHER };

static const struct bn_tune bn_tunes[] = {
	[BN_CLASS_ZEN3] = {.cpu_class = "zen3", .avx2_prefetch = 8192, .avx512_prefetch = 8192},
	[BN_CLASS_ZEN4] = {.cpu_class = "zen4", .avx2_prefetch = 8192, .avx512_prefetch = 12288},
	[BN_CLASS_ZEN5] = {.cpu_class = "zen5", .avx2_prefetch = 8192, .avx512_prefetch = 12288},
	[BN_CLASS_SPR] = {.cpu_class = "sapphire-rapids",
			  .avx2_prefetch = 8192,
			  .avx512_prefetch = 8192},
	[BN_CLASS_OTHER] = {.cpu_class = "other", .avx2_prefetch = 8192, .avx512_prefetch = 8192},
};

/* BITNET_STREAM_PREFETCH=BYTES (0-65536) replaces the class's distances for both kernels:
 * how the table's rows were measured, and how a new CPU class gets its row. */
static struct bn_tune bn_tune_env;

static const struct bn_tune *bn_tune_pick(void)
{
	const struct bn_cpu *c = bn_cpu_get();
	enum bn_cpu_class i = BN_CLASS_OTHER;
	if (c->vendor == BN_CPU_VENDOR_AMD && c->family == 0x19) /* Zen 3 and 4 */
		i = (c->features & BN_CPU_AVX512F) ? BN_CLASS_ZEN4 : BN_CLASS_ZEN3;
	else if (c->vendor == BN_CPU_VENDOR_AMD && c->family == 0x1a)
		i = BN_CLASS_ZEN5;
	else if (c->vendor == BN_CPU_VENDOR_INTEL && (c->features & BN_CPU_AMX_TILE))
		i = BN_CLASS_SPR; /* and its AMX successors, until one is measured apart */
	const char *env = getenv("BITNET_STREAM_PREFETCH");
	char *end;
	long v = env && *env ? strtol(env, &end, 10) : -1;
	if (v < 0 || v > 65536 || *end)
		return &bn_tunes[i];
	bn_tune_env = bn_tunes[i];
	bn_tune_env.avx2_prefetch = bn_tune_env.avx512_prefetch = (int)v;
	return &bn_tune_env;
}

const struct bn_tune *bn_tune_get(void)
{
	static const struct bn_tune *_Atomic tune;
	const struct bn_tune *t = atomic_load_explicit(&tune, memory_order_acquire);
	if (!t) {
		t = bn_tune_pick();
		atomic_store_explicit(&tune, t, memory_order_release);
	}
	return t;
}

const char *bn_cpu_class(void)
{
	return bn_tune_get()->cpu_class;
}

typedef int (*bn_gemm_entry)(struct bn_ctx *, int32_t *, size_t, const struct bn_qact *,
			     const struct bn_tmat *, int is_gemv);
typedef int (*bn_quant_entry)(struct bn_ctx *, struct bn_qact *, const float *, size_t, int);

struct bn_ctx {
	int kernel;                              /* the forced kernel, else bn_kernel_best() */
	int forced;                              /* 1: kernel runs every operation */
	const struct bn_kernel_impl *gemm;       /* GEMM of gemm_split rows or more */
	const struct bn_kernel_impl *gemm_small; /* GEMM of fewer rows */
	int gemm_split;                          /* 0: gemm serves every row count */
	const struct bn_kernel_impl *gemv;
	const struct bn_kernel_impl *quant;   /* whose quant_row runs */
	const struct bn_kernel_impl *lm_head; /* whose dot_f16 runs */
	int threads;
	struct bn_pool *pool;
	struct bn_scratch *scratch; /* one per thread */
	struct bn_scratch prep;     /* the kernel's rearranged activations */
	int ran[BN_OP_COUNT];       /* kernel id last run per op, -1 never */
	bn_gemm_entry run_gemm;     /* real, or refusing in strict mode */
	bn_quant_entry run_quant;
	char asked[192];    /* strict refusal: what was asked for */
	char available[32]; /* and what would have served it */
};

const char *bn_kernel_name(int id)
{
	return (id >= 0 && id < BN_KERNEL_COUNT) ? bn_kernels[id]->name : "?";
}

const char *bn_op_name(int op)
{
	return (op >= 0 && op < BN_OP_COUNT) ? bn_op_names[op] : "?";
}

int bn_kernel_from_name(int *out, const char *name)
{
	for (int i = 0; i < BN_KERNEL_COUNT; i++)
		if (!strcmp(name, bn_kernels[i]->name)) {
			*out = i;
			return 0;
		}
	if (!strcmp(name, BN_KERNEL_CUDA_NAME))
		return bn_error_set(BN_EUNSUPPORTED,
				    "kernel 'cuda' runs on the GPU (libbitnet_cuda: bitnet-bench, "
				    "bitnet-run), not in the CPU dispatch");
	return bn_error_set(BN_EINVAL, "unknown kernel '%.40s': expected ref, avx2, avx512 or amx",
			    name);
}

/* What the CPU offers for a kernel, ignoring an OS refusal of AMX. */
static int cpu_has(int id, const char **why)
{
	unsigned f = bn_cpu_get()->features;
	unsigned need = 0;
	const char *msg = NULL;
	switch (id) {
	case BN_KERNEL_REF: return 1;
	case BN_KERNEL_AVX2:
		need = BN_CPU_AVX2;
		msg = "this CPU lacks avx2";
		break;
	case BN_KERNEL_AVX512:
		need = BN_CPU_AVX512F | BN_CPU_AVX512BW | BN_CPU_AVX512VL | BN_CPU_AVX512VNNI;
		msg = "this CPU lacks avx512f/avx512bw/avx512vl/avx512_vnni";
		break;
	case BN_KERNEL_AMX:
		need = BN_CPU_AMX_TILE | BN_CPU_AMX_INT8 | BN_CPU_AVX512F | BN_CPU_AVX512BW |
		       BN_CPU_AVX512VL | BN_CPU_AVX512VNNI;
		msg = "this CPU lacks amx_tile/amx_int8 (with avx512_vnni)";
		break;
	default:
		if (why)
			*why = "no such kernel";
		return 0;
	}
	if ((f & need) == need)
		return 1;
	if (why)
		*why = msg;
	return 0;
}

int bn_kernel_available(int id, const char **why)
{
	if (!cpu_has(id, why))
		return 0;
	const struct bn_cpu *c = bn_cpu_get();
	if (id == BN_KERNEL_AMX && !c->amx_permitted) {
		if (why)
			*why = c->amx_refusal;
		return 0;
	}
	return 1;
}

int bn_kernel_best(void)
{
	for (int id = BN_KERNEL_COUNT - 1; id > 0; id--)
		if (bn_kernel_available(id, NULL))
			return id;
	return BN_KERNEL_REF;
}

/* The set whose function serves op when kernel is asked for it: its own GEMM/GEMV, the
 * quantizer and lm_head it names (AMX borrows AVX-512's), or ref's lm_head where the CPU
 * lacks what the set's needs. */
static const struct bn_kernel_impl *serving(int kernel, enum bn_op op)
{
	const struct bn_kernel_impl *k = bn_kernels[kernel];
	switch (op) {
	case BN_OP_QUANT: return bn_kernels[k->quant_id];
	case BN_OP_LM_HEAD: {
		const struct bn_kernel_impl *h = bn_kernels[k->dot_f16_id];
		unsigned need = h->dot_f16_needs;
		return (bn_cpu_get()->features & need) == need ? h : &bn_kernel_ref;
	}
	default: return k;
	}
}

/* The table's choice for op on a GEMM of rows rows; *min_rows gets the row's bound. */
static const struct bn_kernel_impl *auto_choice(enum bn_op op, int rows, int *min_rows)
{
	*min_rows = 0;
	for (size_t i = 0; i < sizeof(bn_op_rules) / sizeof(bn_op_rules[0]); i++) {
		const struct bn_op_rule *r = &bn_op_rules[i];
		if (r->op != op || rows < r->min_rows || !bn_kernel_available(r->kernel, NULL))
			continue;
		const struct bn_kernel_impl *k = serving(r->kernel, op);
		if (k->id != r->kernel) /* this set borrows what serves op: not this row's */
			continue;
		*min_rows = r->min_rows;
		return k;
	}
	return &bn_kernel_ref;
}

/* Fills the context's per-operation kernels: all from one forced kernel, or the table's. */
static void choose_kernels(struct bn_ctx *ctx, int forced_kernel)
{
	if (forced_kernel >= 0) {
		ctx->gemm = ctx->gemm_small = ctx->gemv = bn_kernels[forced_kernel];
		ctx->quant = serving(forced_kernel, BN_OP_QUANT);
		ctx->lm_head = serving(forced_kernel, BN_OP_LM_HEAD);
		ctx->gemm_split = 0;
		return;
	}
	int split, unused;
	ctx->gemm = auto_choice(BN_OP_GEMM, 1 << 30, &split);
	ctx->gemm_small = auto_choice(BN_OP_GEMM, 1, &unused);
	ctx->gemm_split = ctx->gemm == ctx->gemm_small ? 0 : split;
	ctx->gemv = auto_choice(BN_OP_GEMV, 1, &unused);
	ctx->quant = auto_choice(BN_OP_QUANT, 1, &unused);
	ctx->lm_head = auto_choice(BN_OP_LM_HEAD, 1, &unused);
}

/* ---- running the kernels ---- */

struct gemm_job {
	const struct bn_kernel_impl *k;
	int32_t *y;
	size_t ldy;
	const struct bn_qact *x;
	const void *prep;
	const struct bn_tmat *w;
	struct bn_scratch *scratch;
	int is_gemv;
	int chunk;       /* output rows per claim */
	atomic_int next; /* next unclaimed output row */
	atomic_int err;  /* first kernel error */
};

static void gemm_worker(void *arg, int tid)
{
	struct gemm_job *j = arg;
	for (;;) {
		int n0 = atomic_fetch_add_explicit(&j->next, j->chunk, memory_order_relaxed);
		if (n0 >= j->w->n)
			return;
		int n1 = n0 + j->chunk < j->w->n ? n0 + j->chunk : j->w->n;
		int rc = j->is_gemv
				 ? j->k->gemv(j->y, j->x, j->prep, j->w, n0, n1, &j->scratch[tid])
				 : j->k->gemm(j->y, j->ldy, j->x, j->prep, j->w, n0, n1,
					      &j->scratch[tid]);
		if (rc) {
			int zero = 0;
			atomic_compare_exchange_strong(&j->err, &zero, rc);
			return;
		}
	}
}

static int run_gemm(struct bn_ctx *ctx, int32_t *y, size_t ldy, const struct bn_qact *x,
		    const struct bn_tmat *w, int is_gemv)
{
	const struct bn_kernel_impl *k = is_gemv ? ctx->gemv
					 : ctx->gemm_split && x->m < ctx->gemm_split
						 ? ctx->gemm_small
						 : ctx->gemm;
	const void *prep = NULL;
	if (k->prep) {
		void *p = bn_scratch_get(&ctx->prep, k->prep_size(x->m, x->k_pad));
		if (!p)
			return bn_error_set(BN_ENOMEM, "%s: out of memory for %s activations",
					    is_gemv ? "gemv" : "gemm", k->name);
		k->prep(p, x);
		prep = p;
	}
	struct gemm_job job = {
		.k = k,
		.y = y,
		.ldy = ldy,
		.x = x,
		.prep = prep,
		.w = w,
		.scratch = ctx->scratch,
		.is_gemv = is_gemv,
	};
	/* About four claims per thread keeps threads busy when one is slowed down. */
	int per = (w->n + ctx->threads * 4 - 1) / (ctx->threads * 4);
	int a = k->n_align > 0 ? k->n_align : 1;
	if (per < 16)
		per = 16;
	job.chunk = (per + a - 1) / a * a;
	atomic_init(&job.next, 0);
	atomic_init(&job.err, 0);
	if (ctx->threads == 1 || w->n <= job.chunk)
		gemm_worker(&job, 0);
	else
		bn_pool_run(ctx->pool, gemm_worker, &job);
	int rc = atomic_load(&job.err);
	if (rc)
		return bn_error_set(rc, "%s %dx%dx%d: %s kernel out of memory",
				    is_gemv ? "gemv" : "gemm", x->m, w->n, w->k, k->name);
	ctx->ran[is_gemv ? BN_OP_GEMV : BN_OP_GEMM] = k->id;
	return 0;
}

struct quant_job {
	const struct bn_kernel_impl *k;
	struct bn_qact *a;
	const float *x;
	size_t ldx;
	int m;
	atomic_int next;
	atomic_int bad_row; /* first row with NaN/inf, or -1 */
};

static void quant_worker(void *arg, int tid)
{
	struct quant_job *j = arg;
	for (;;) {
		int i = atomic_fetch_add_explicit(&j->next, 1, memory_order_relaxed);
		if (i >= j->m)
			return;
		struct bn_qact *a = j->a;
		if (j->k->quant_row(a->q + (size_t)i * a->k_pad, &a->scale[i], &a->rowsum[i],
				    j->x + (size_t)i * j->ldx, a->k, a->k_pad)) {
			int cur = atomic_load(&j->bad_row);
			while ((cur == -1 || i < cur) &&
			       !atomic_compare_exchange_weak(&j->bad_row, &cur, i))
				;
		}
	}
}

static int run_quant(struct bn_ctx *ctx, struct bn_qact *a, const float *x, size_t ldx, int m)
{
	struct quant_job job = {.k = ctx->quant, .a = a, .x = x, .ldx = ldx, .m = m};
	atomic_init(&job.next, 0);
	atomic_init(&job.bad_row, -1);
	if (ctx->threads == 1 || m < 4)
		quant_worker(&job, 0);
	else
		bn_pool_run(ctx->pool, quant_worker, &job);
	int bad = atomic_load(&job.bad_row);
	if (bad >= 0)
		return bn_error_set(BN_EFORMAT,
				    "quantize %dx%d: row %d holds NaN or infinity; no int8 scale "
				    "represents it",
				    m, a->k, bad);
	ctx->ran[BN_OP_QUANT] = ctx->quant->id;
	return 0;
}

struct f16_job {
	const struct bn_kernel_impl *k;
	float *y;
	const uint16_t *e;
	const float *x;
	int k_cols, n;
	atomic_int next; /* next unclaimed row */
};

/* Rows are claimed in chunks so a thread slowed down by another process holds up little;
 * each row is one thread's sum in a fixed order, so who takes it changes nothing. */
#define F16_CHUNK 256

static void f16_worker(void *arg, int tid)
{
	struct f16_job *j = arg;
	(void)tid;
	for (;;) {
		int n0 = atomic_fetch_add_explicit(&j->next, F16_CHUNK, memory_order_relaxed);
		if (n0 >= j->n)
			return;
		int n1 = n0 + F16_CHUNK < j->n ? n0 + F16_CHUNK : j->n;
		j->k->dot_f16(j->y + n0, j->e, j->x, j->k_cols, n0, n1);
	}
}

static int refuse_gemm(struct bn_ctx *ctx, int32_t *y, size_t ldy, const struct bn_qact *x,
		       const struct bn_tmat *w, int is_gemv)
{
	char shape[64];
	if (is_gemv)
		snprintf(shape, sizeof(shape), "%dx%d", w->k, w->n);
	else
		snprintf(shape, sizeof(shape), "%dx%dx%d", x->m, w->n, w->k);
	return bn_strict_refuse(is_gemv ? "gemv" : "gemm", shape, ctx->asked, ctx->available);
}

static int refuse_quant(struct bn_ctx *ctx, struct bn_qact *a, const float *x, size_t ldx, int m)
{
	char shape[64];
	snprintf(shape, sizeof(shape), "%dx%d", m, a->k);
	return bn_strict_refuse("quant", shape, ctx->asked, ctx->available);
}

/* ---- public entry points ---- */

static int check_gemm_args(const char *op, const struct bn_qact *x, const struct bn_tmat *w)
{
	if (!x || !w)
		return bn_error_set(BN_EINVAL, "%s: missing activations or weights", op);
	if (x->k != w->k || x->k_pad != w->k_pad)
		return bn_error_set(BN_EINVAL,
				    "%s: activations have %d columns but weights %dx%d expect %d",
				    op, x->k, w->n, w->k, w->k);
	return 0;
}

int bn_gemm(struct bn_ctx *ctx, int32_t *y, size_t ldy, const struct bn_qact *x,
	    const struct bn_tmat *w)
{
	int rc = check_gemm_args("gemm", x, w);
	if (rc)
		return rc;
	if (ldy < (size_t)w->n)
		return bn_error_set(BN_EINVAL, "gemm %dx%dx%d: output stride %zu is less than %d",
				    x->m, w->n, w->k, ldy, w->n);
	return ctx->run_gemm(ctx, y, ldy, x, w, 0);
}

int bn_gemv(struct bn_ctx *ctx, int32_t *y, const struct bn_qact *x, const struct bn_tmat *w)
{
	int rc = check_gemm_args("gemv", x, w);
	if (rc)
		return rc;
	if (x->m != 1)
		return bn_error_set(BN_EINVAL, "gemv %dx%d: expected one activation row, got %d",
				    w->k, w->n, x->m);
	return ctx->run_gemm(ctx, y, (size_t)w->n, x, w, 1);
}

int bn_gemv_f16(struct bn_ctx *ctx, float *y, const uint16_t *e, const float *x, int k, int n)
{
	if (!y || !e || !x || k <= 0 || k % 32 || n <= 0)
		return bn_error_set(BN_EINVAL,
				    "lm_head %dx%d: expected F16 rows of a positive multiple of 32 "
				    "columns",
				    k, n);
	if (ctx->run_gemm == refuse_gemm) { /* strict mode refuses this context's fallback */
		char shape[64];
		snprintf(shape, sizeof(shape), "%dx%d", k, n);
		return bn_strict_refuse("lm_head", shape, ctx->asked, ctx->available);
	}
	struct f16_job job = {.k = ctx->lm_head, .y = y, .e = e, .x = x, .k_cols = k, .n = n};
	atomic_init(&job.next, 0);
	if (ctx->threads == 1 || n <= F16_CHUNK)
		f16_worker(&job, 0);
	else
		bn_pool_run(ctx->pool, f16_worker, &job);
	ctx->ran[BN_OP_LM_HEAD] = ctx->lm_head->id;
	return 0;
}

int bn_quantize(struct bn_ctx *ctx, struct bn_qact *a, const float *x, size_t ldx, int m)
{
	if (!a || !x || m <= 0 || m > a->m || ldx < (size_t)a->k)
		return bn_error_set(BN_EINVAL,
				    "quantize: %d rows into %dx%d activations with row stride %zu",
				    m, a ? a->m : 0, a ? a->k : 0, ldx);
	return ctx->run_quant(ctx, a, x, ldx, m);
}

/* The kernel a new context runs, and whether it is a fallback strict mode refuses. */
struct kernel_choice {
	int kernel;
	int forced;   /* asked for (by id or BITNET_KERNEL), not chosen as the best */
	int from_env; /* asked for by BITNET_KERNEL */
	int fallback; /* a better kernel than the one that runs is on this CPU */
	char asked[192], available[32]; /* a fallback: what was asked for, what is best */
};

/* BITNET_KERNEL, when set: *want its kernel and k->from_env 1. */
static int kernel_from_env(struct kernel_choice *k, int *want)
{
	const char *env = getenv("BITNET_KERNEL");
	if (!env || !*env)
		return 0;
	if (bn_kernel_from_name(want, env))
		return !strcmp(env, BN_KERNEL_CUDA_NAME)
			       ? bn_error_set(BN_EUNSUPPORTED,
					      "BITNET_KERNEL=cuda: the GPU is served by "
					      "libbitnet_cuda (bitnet-bench, bitnet-run), not by "
					      "the CPU dispatch")
			       : bn_error_set(BN_EINVAL,
					      "BITNET_KERNEL=%.40s: unknown kernel (expected ref, "
					      "avx2, avx512 or amx)",
					      env);
	k->from_env = 1;
	return 0;
}

/* Resolves want (a kernel id, or BN_KERNEL_AUTO: BITNET_KERNEL, else the best) to a kernel
 * available here, noting a fallback. */
static int choose_kernel(struct kernel_choice *k, int want)
{
	int err;
	if (want == BN_KERNEL_AUTO && (err = kernel_from_env(k, &want)))
		return err;
	const char *why = NULL;
	k->forced = want != BN_KERNEL_AUTO;
	if (want == BN_KERNEL_AUTO) {
		want = bn_kernel_best();
		/* AMX on the CPU but refused by the OS: a fallback, which strict mode refuses. */
		if (want != BN_KERNEL_AMX && cpu_has(BN_KERNEL_AMX, NULL)) {
			k->fallback = 1;
			snprintf(k->asked, sizeof(k->asked), "amx (%s)", bn_cpu_get()->amx_refusal);
		}
	} else if (want < 0 || want >= BN_KERNEL_COUNT) {
		return bn_error_set(BN_EINVAL, "kernel id %d: no such kernel", want);
	}
	if (!bn_kernel_available(want, &why))
		return bn_error_set(BN_EUNSUPPORTED,
				    "%s%s: not available here: %s (CPU: %s; best "
				    "available: %s)",
				    k->from_env ? "BITNET_KERNEL=" : "kernel ",
				    bn_kernel_name(want), why, bn_cpu_get()->model,
				    bn_kernel_name(bn_kernel_best()));
	if (k->from_env && want == BN_KERNEL_REF && bn_kernel_best() != BN_KERNEL_REF) {
		k->fallback = 1;
		snprintf(k->asked, sizeof(k->asked), "ref (BITNET_KERNEL=ref)");
	}
	if (k->fallback)
		snprintf(k->available, sizeof(k->available), "%s",
			 bn_kernel_name(bn_kernel_best()));
	k->kernel = want;
	return 0;
}

int bn_ctx_new(struct bn_ctx **out, const struct bn_ctx_opts *opts)
{
	*out = NULL;
	int strict = bn_strict_mode();
	if (strict < 0)
		return bn_error_set(BN_EINVAL, "%s", bn_strict_env_error());
	int threads = opts && opts->threads > 0 ? opts->threads : 1;
	struct kernel_choice k = {0};
	int err = choose_kernel(&k, opts ? opts->kernel : BN_KERNEL_AUTO);
	if (err)
		return err;
	struct bn_ctx *ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return bn_error_set(BN_ENOMEM, "kernel context: out of memory");
	ctx->kernel = k.kernel;
	ctx->forced = k.forced;
	choose_kernels(ctx, k.forced ? k.kernel : -1);
	ctx->threads = threads;
	bn_ctx_ran_reset(ctx);
	ctx->scratch = calloc((size_t)threads, sizeof(*ctx->scratch));
	int rc = ctx->scratch ? bn_pool_new(&ctx->pool, threads)
			      : bn_error_set(BN_ENOMEM, "kernel context: out of memory");
	if (rc) {
		bn_ctx_free(ctx);
		return rc;
	}
	ctx->run_gemm = run_gemm;
	ctx->run_quant = run_quant;
	if (k.fallback && strict) {
		memcpy(ctx->asked, k.asked, sizeof(k.asked));
		memcpy(ctx->available, k.available, sizeof(k.available));
		ctx->run_gemm = refuse_gemm;
		ctx->run_quant = refuse_quant;
	}
	*out = ctx;
	return 0;
}

void bn_ctx_free(struct bn_ctx *ctx)
{
	if (!ctx)
		return;
	bn_pool_free(ctx->pool);
	if (ctx->scratch)
		for (int i = 0; i < ctx->threads; i++)
			bn_scratch_release(&ctx->scratch[i]);
	free(ctx->scratch);
	bn_scratch_release(&ctx->prep);
	free(ctx);
}

int bn_ctx_kernel(const struct bn_ctx *ctx)
{
	return ctx->kernel;
}

int bn_ctx_forced(const struct bn_ctx *ctx)
{
	return ctx->forced;
}

int bn_ctx_op_kernel(const struct bn_ctx *ctx, enum bn_op op, int rows)
{
	switch (op) {
	case BN_OP_GEMM:
		return (ctx->gemm_split && rows < ctx->gemm_split ? ctx->gemm_small : ctx->gemm)
			->id;
	case BN_OP_GEMV: return ctx->gemv->id;
	case BN_OP_QUANT: return ctx->quant->id;
	case BN_OP_LM_HEAD: return ctx->lm_head->id;
	default: return -1;
	}
}

int bn_ctx_gemm_split(const struct bn_ctx *ctx)
{
	return ctx->gemm_split;
}
int bn_ctx_threads(const struct bn_ctx *ctx)
{
	return ctx->threads;
}

void bn_ctx_parallel(struct bn_ctx *ctx, void (*fn)(void *arg, int tid), void *arg)
{
	if (ctx->threads == 1)
		fn(arg, 0);
	else
		bn_pool_run(ctx->pool, fn, arg);
}
int bn_ctx_ran(const struct bn_ctx *ctx, enum bn_op op)
{
	return (op >= 0 && op < BN_OP_COUNT) ? ctx->ran[op] : -1;
}

void bn_ctx_ran_reset(struct bn_ctx *ctx)
{
	for (int i = 0; i < BN_OP_COUNT; i++)
		ctx->ran[i] = -1;
}

void *bn_scratch_get(struct bn_scratch *s, size_t bytes)
{
	if (bytes <= s->cap)
		return s->p;
	size_t cap = (bytes + 4095) / 4096 * 4096;
	void *p = aligned_alloc(64, cap);
	if (!p)
		return NULL;
	free(s->p);
	s->p = p;
	s->cap = cap;
	return p;
}

void bn_scratch_release(struct bn_scratch *s)
{
	free(s->p);
	s->p = NULL;
	s->cap = 0;
}

/* ---- memory bandwidth ---- */

struct membw_job {
	const uint64_t *buf;
	size_t words;
	int threads;
	uint64_t sums[256]; /* one per thread (the pool allows 256) */
};

static void membw_worker(void *arg, int tid)
{
	struct membw_job *j = arg;
	size_t lines = j->words / 8;
	size_t l0 = lines * (size_t)tid / (size_t)j->threads;
	size_t l1 = lines * (size_t)(tid + 1) / (size_t)j->threads;
	const uint64_t *p = j->buf + l0 * 8;
	uint64_t a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
	for (size_t l = l0; l < l1; l++, p += 8) {
		a0 += p[0];
		a1 += p[1];
		a2 += p[2];
		a3 += p[3];
		a4 += p[4];
		a5 += p[5];
		a6 += p[6];
		a7 += p[7];
	}
	j->sums[tid] = a0 ^ a1 ^ a2 ^ a3 ^ a4 ^ a5 ^ a6 ^ a7;
}

uint64_t bn_membw_read(struct bn_ctx *ctx, const void *buf, size_t bytes)
{
	struct membw_job job = {.buf = buf, .words = bytes / 8, .threads = ctx->threads};
	if (ctx->threads == 1)
		membw_worker(&job, 0);
	else
		bn_pool_run(ctx->pool, membw_worker, &job);
	uint64_t s = 0;
	for (int i = 0; i < ctx->threads; i++)
		s += job.sums[i];
	return s;
}
