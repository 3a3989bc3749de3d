/* Ternary x int8 GEMM and GEMV: every kernel this machine runs, every thread count 1..4,
 * random and edge shapes, against a plain integer product computed here from the unpacked
 * matrices (so the ref kernel is checked too). Kernels the CPU lacks report skipped. */
#include <math.h>
#include <string.h>

#include "bn_dispatch.h"
#include "bn_error.h"
#include "tf.h"

enum fill { F_RANDOM, F_ZERO_X, F_MIN_X, F_MAX_X };

struct problem {
	int m, n, k;
	struct bn_tmat *w;
	struct bn_qact *x;
	int8_t *t;     /* n x k ternary */
	int32_t *want; /* m x n */
};

/* wfill: 0 random, 1 all -1, 2 all +1 */
static void make_problem(struct problem *p, int m, int n, int k, enum fill xf, int wfill)
{
	p->m = m;
	p->n = n;
	p->k = k;
	p->t = malloc((size_t)n * k);
	for (size_t i = 0; i < (size_t)n * k; i++)
		p->t[i] = wfill == 1 ? -1 : wfill == 2 ? 1 : (int8_t)((int)(tf_rand() % 3) - 1);
	TF_CHECK_EQ(bn_tmat_new(&p->w, n, k), 0);
	TF_CHECK_EQ(bn_tmat_pack(p->w, p->t, 1.0f), 0);
	TF_CHECK_EQ(bn_qact_new(&p->x, m, k), 0);
	for (int i = 0; i < m; i++)
		for (int c = 0; c < k; c++) {
			int8_t v = xf == F_ZERO_X  ? 0
				   : xf == F_MIN_X ? -128
				   : xf == F_MAX_X ? 127
						   : (int8_t)(tf_rand() & 0xff);
			p->x->q[(size_t)i * p->x->k_pad + c] = v;
		}
	bn_qact_finish(p->x);
	p->want = malloc(sizeof(int32_t) * (size_t)m * n);
	for (int i = 0; i < m; i++)
		for (int j = 0; j < n; j++) {
			long long s = 0;
			for (int c = 0; c < k; c++)
				s += (long long)p->t[(size_t)j * k + c] *
				     p->x->q[(size_t)i * p->x->k_pad + c];
			p->want[(size_t)i * n + j] = (int32_t)s;
		}
}

static void free_problem(struct problem *p)
{
	bn_tmat_free(p->w);
	bn_qact_free(p->x);
	free(p->t);
	free(p->want);
}

static void check_product(int kernel, const struct problem *p, int gemv)
{
	for (int threads = 1; threads <= tf_max_threads(4); threads++) {
		struct bn_ctx *ctx;
		struct bn_ctx_opts o = {.kernel = kernel, .threads = threads};
		TF_CHECK_EQ(bn_ctx_new(&ctx, &o), 0);
		/* a wider output stride shows the kernel writes only its m x n */
		size_t ldy = gemv ? (size_t)p->n : (size_t)p->n + 3;
		int32_t *y = malloc(sizeof(int32_t) * (size_t)p->m * ldy);
		for (size_t i = 0; i < (size_t)p->m * ldy; i++)
			y[i] = 0x5a5a5a5a;
		int rc = gemv ? bn_gemv(ctx, y, p->x, p->w) : bn_gemm(ctx, y, ldy, p->x, p->w);
		TF_CHECK(rc == 0, "%s %s %dx%dx%d: %s", bn_kernel_name(kernel),
			 gemv ? "gemv" : "gemm", p->m, p->n, p->k, bn_error_last());
		TF_CHECK_EQ(bn_ctx_ran(ctx, gemv ? BN_OP_GEMV : BN_OP_GEMM), kernel);
		for (int i = 0; i < p->m; i++) {
			for (int j = 0; j < p->n; j++)
				TF_CHECK(y[i * ldy + j] == p->want[(size_t)i * p->n + j],
					 "%s %s %dx%dx%d, %d threads: y[%d][%d] = %d, want %d",
					 bn_kernel_name(kernel), gemv ? "gemv" : "gemm", p->m, p->n,
					 p->k, threads, i, j, y[i * ldy + j],
					 p->want[(size_t)i * p->n + j]);
			for (size_t j = (size_t)p->n; j < ldy; j++)
				TF_CHECK(y[i * ldy + j] == 0x5a5a5a5a, "%s wrote past row %d",
					 bn_kernel_name(kernel), i);
		}
		free(y);
		bn_ctx_free(ctx);
	}
}

static void require_kernel(int kernel)
{
	const char *why;
	if (!bn_kernel_available(kernel, &why))
		TF_SKIP("kernel %s not available here: %s", bn_kernel_name(kernel), why);
}

static void gemm_suite(int kernel)
{
	require_kernel(kernel);
	static const int shapes[][3] = {
		{1, 1, 1},    {1, 2, 3},     {3, 5, 7},     {4, 2, 128},   {5, 3, 129},
		{7, 9, 255},  {16, 16, 256}, {17, 33, 300}, {32, 32, 32},  {33, 31, 384},
		{64, 64, 64}, {2, 70, 1000}, {20, 48, 640}, {1, 40, 2560},
	};
	for (size_t s = 0; s < sizeof(shapes) / sizeof(shapes[0]); s++) {
		struct problem p;
		make_problem(&p, shapes[s][0], shapes[s][1], shapes[s][2], F_RANDOM, 0);
		check_product(kernel, &p, 0);
		free_problem(&p);
	}
	/* Edges: zero activations; the extremes against all -1 and all +1 weights, at a k
	 * long enough to overflow any int16 accumulator that was not widened in time. */
	static const struct {
		enum fill xf;
		int wfill;
	} edges[] = {{F_ZERO_X, 0}, {F_MIN_X, 1}, {F_MIN_X, 2},
		     {F_MAX_X, 1},  {F_MAX_X, 2}, {F_MIN_X, 0}};
	for (size_t e = 0; e < sizeof(edges) / sizeof(edges[0]); e++) {
		struct problem p;
		make_problem(&p, 5, 6, 4100, edges[e].xf, edges[e].wfill);
		check_product(kernel, &p, 0);
		free_problem(&p);
	}
}

static void gemv_suite(int kernel)
{
	require_kernel(kernel);
	static const int shapes[][2] = {{1, 1},    {5, 3},     {128, 4},   {129, 17},
					{255, 33}, {2560, 64}, {300, 100}, {6912, 20}};
	for (size_t s = 0; s < sizeof(shapes) / sizeof(shapes[0]); s++) {
		struct problem p;
		make_problem(&p, 1, shapes[s][1], shapes[s][0], F_RANDOM, 0);
		check_product(kernel, &p, 1);
		free_problem(&p);
	}
	for (int e = 0; e < 4; e++) {
		struct problem p;
		make_problem(&p, 1, 9, 8200, e < 2 ? F_MIN_X : F_MAX_X, 1 + e % 2);
		check_product(kernel, &p, 1);
		free_problem(&p);
	}
}

TF_TEST(matmul__ref)
{
	gemm_suite(BN_KERNEL_REF);
}
TF_TEST(matmul__avx2)
{
	gemm_suite(BN_KERNEL_AVX2);
}
TF_TEST(matmul__avx512)
{
	gemm_suite(BN_KERNEL_AVX512);
}
TF_TEST(matmul__amx)
{
	gemm_suite(BN_KERNEL_AMX);
}
TF_TEST(gemv__ref)
{
	gemv_suite(BN_KERNEL_REF);
}
TF_TEST(gemv__avx2)
{
	gemv_suite(BN_KERNEL_AVX2);
}
TF_TEST(gemv__avx512)
{
	gemv_suite(BN_KERNEL_AVX512);
}
TF_TEST(gemv__amx)
{
	gemv_suite(BN_KERNEL_AMX);
}

TF_TEST(matmul__rejects_mismatched_shapes)
{
	struct bn_ctx *ctx;
	struct bn_ctx_opts o = {.kernel = BN_KERNEL_REF, .threads = 1};
	TF_CHECK_EQ(bn_ctx_new(&ctx, &o), 0);
	struct bn_tmat *w;
	struct bn_qact *x, *x2;
	TF_CHECK_EQ(bn_tmat_new(&w, 4, 100), 0);
	TF_CHECK_EQ(bn_qact_new(&x, 2, 101), 0);
	TF_CHECK_EQ(bn_qact_new(&x2, 2, 100), 0);
	int32_t y[16];
	TF_CHECK_EQ(bn_gemm(ctx, y, 4, x, w), BN_EINVAL);
	TF_CHECK(strstr(bn_error_last(), "101 columns"), "message: %s", bn_error_last());
	TF_CHECK_EQ(bn_gemm(ctx, y, 3, x2, w), BN_EINVAL); /* output stride < n */
	TF_CHECK_EQ(bn_gemv(ctx, y, x2, w), BN_EINVAL);    /* two rows for a gemv */
	TF_CHECK(strstr(bn_error_last(), "one activation row"), "message: %s", bn_error_last());
	bn_tmat_free(w);
	bn_qact_free(x);
	bn_qact_free(x2);
	bn_ctx_free(ctx);
}

/* Raw bytes, the invalid code 3 included (a matrix that skipped validation): every kernel
 * still agrees with ref, because all compute sum(code * x) - sum(x) without overflow. */
TF_TEST(matmul__any_bytes_agree_with_ref)
{
	struct bn_ctx *ref;
	struct bn_ctx_opts ro = {.kernel = BN_KERNEL_REF, .threads = 1};
	TF_CHECK_EQ(bn_ctx_new(&ref, &ro), 0);
	struct bn_tmat *w;
	struct bn_qact *x;
	int m = 5, n = 13, k = 2000;
	TF_CHECK_EQ(bn_tmat_new(&w, n, k), 0);
	TF_CHECK_EQ(bn_qact_new(&x, m, k), 0);
	for (size_t i = 0; i < (size_t)n * w->row_bytes; i++)
		w->codes[i] = (i % 7) ? (uint8_t)tf_rand() : 0xff; /* runs of code 3 too */
	for (size_t i = 0; i < (size_t)m * x->k_pad; i++)
		x->q[i] = (i % 5) ? (int8_t)tf_rand() : -128;
	bn_qact_finish(x);
	int32_t want[5 * 13], got[5 * 13];
	for (int pass = 0; pass < 3; pass++) {
		if (pass > 0) {
			/* the worst case for any int16 accumulator: code 3 everywhere, x all
			 * -128/127 */
			memset(w->codes, 0xff, (size_t)n * w->row_bytes);
			memset(x->q, pass == 1 ? -128 : 127, (size_t)m * x->k_pad);
			bn_qact_finish(x);
		}
		TF_CHECK_EQ(bn_gemm(ref, want, (size_t)n, x, w), 0);
		for (int id = 1; id < BN_KERNEL_COUNT; id++) {
			if (!bn_kernel_available(id, NULL))
				continue;
			struct bn_ctx *ctx;
			struct bn_ctx_opts o = {.kernel = id, .threads = tf_max_threads(2)};
			TF_CHECK_EQ(bn_ctx_new(&ctx, &o), 0);
			TF_CHECK_EQ(bn_gemm(ctx, got, (size_t)n, x, w), 0);
			TF_CHECK(memcmp(want, got, sizeof(want)) == 0, "%s gemm differs from ref",
				 bn_kernel_name(id));
			struct bn_qact one = *x;
			one.m = 1;
			TF_CHECK_EQ(bn_gemv(ctx, got, &one, w), 0);
			TF_CHECK(memcmp(want, got, (size_t)n * sizeof(int32_t)) == 0,
				 "%s gemv differs from ref", bn_kernel_name(id));
			bn_ctx_free(ctx);
		}
	}
	bn_tmat_free(w);
	bn_qact_free(x);
	bn_ctx_free(ref);
}

/* A half from random bits, any finite value: normal, subnormal, +-0, up to +-65504. */
static uint16_t random_finite_half(void)
{
	for (;;) {
		uint16_t h = (uint16_t)tf_rand();
		if ((h & 0x7c00) != 0x7c00)
			return h;
	}
}

/* The lm_head (bn_gemv_f16): every kernel and thread count gives ref's bits exactly, on
 * halves of every kind and row counts around the kernels' row groups and thread chunks;
 * and ref itself is the dot product (checked in double with a rounding bound). */
TF_TEST(lm_head__every_kernel_matches_ref)
{
	static const int shapes[][2] = {{32, 1}, {96, 3}, {2560, 5}, {256, 257}, {128, 1031}};
	struct bn_ctx *ref;
	struct bn_ctx_opts ro = {.kernel = BN_KERNEL_REF, .threads = 1};
	TF_CHECK_EQ(bn_ctx_new(&ref, &ro), 0);
	for (size_t s = 0; s < sizeof(shapes) / sizeof(shapes[0]); s++) {
		int k = shapes[s][0], n = shapes[s][1];
		uint16_t *e = malloc(sizeof(uint16_t) * (size_t)k * (size_t)n);
		float *x = malloc(sizeof(float) * (size_t)k);
		float *want = malloc(sizeof(float) * (size_t)n),
		      *got = malloc(sizeof(float) * (size_t)n);
		for (size_t i = 0; i < (size_t)k * (size_t)n; i++)
			e[i] = random_finite_half();
		for (int i = 0; i < k; i++)
			x[i] = (float)((double)(tf_rand() >> 11) / 9007199254740992.0 - 0.5);
		TF_CHECK_EQ(bn_gemv_f16(ref, want, e, x, k, n), 0);
		TF_CHECK_EQ(bn_ctx_ran(ref, BN_OP_LM_HEAD), BN_KERNEL_REF);
		for (int j = 0; j < n; j++) {
			double sum = 0, mag = 0;
			for (int i = 0; i < k; i++) {
				const uint16_t h = e[(size_t)j * (size_t)k + i];
				int ex = (h >> 10) & 0x1f, man = h & 0x3ff;
				double v = ex ? ldexp(1024 + man, ex - 25) : ldexp(man, -24);
				v = (h & 0x8000) ? -v : v;
				sum += v * x[i];
				mag += fabs(v * x[i]);
			}
			TF_CHECK(fabs(want[j] - sum) <= 1e-5 * mag + 1e-30, "row %d: %.9g vs %.9g",
				 j, (double)want[j], sum);
		}
		for (int id = 1; id < BN_KERNEL_COUNT; id++) {
			if (!bn_kernel_available(id, NULL))
				continue;
			for (int t = 1; t <= tf_max_threads(3); t++) {
				struct bn_ctx *ctx;
				struct bn_ctx_opts o = {.kernel = id, .threads = t};
				TF_CHECK_EQ(bn_ctx_new(&ctx, &o), 0);
				memset(got, 0xff, sizeof(float) * (size_t)n);
				TF_CHECK_EQ(bn_gemv_f16(ctx, got, e, x, k, n), 0);
				TF_CHECK_EQ(bn_ctx_ran(ctx, BN_OP_LM_HEAD),
					    bn_ctx_op_kernel(ctx, BN_OP_LM_HEAD, 1));
				for (int j = 0; j < n; j++)
					TF_CHECK(!memcmp(&got[j], &want[j], sizeof(float)),
						 "%s (lm_head %s), %d threads, %dx%d: row %d = "
						 "%.9g, "
						 "ref %.9g",
						 bn_kernel_name(id),
						 bn_kernel_name(
							 bn_ctx_op_kernel(ctx, BN_OP_LM_HEAD, 1)),
						 t, k, n, j, (double)got[j], (double)want[j]);
				bn_ctx_free(ctx);
			}
		}
		free(e), free(x), free(want), free(got);
	}
	/* a row length the kernels cannot take is an error, not a wrong answer */
	float y;
	uint16_t e1[33] = {0};
	float x1[33] = {0};
	TF_CHECK_EQ(bn_gemv_f16(ref, &y, e1, x1, 33, 1), BN_EINVAL);
	bn_ctx_free(ref);
}
