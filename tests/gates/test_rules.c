/* Gate rules on synthetic samples: a clear regression, a clear improvement, noise, missing
 * data, a crashed head, a new test failure, a GPU suite that cannot run, the strict-mode
 * overhead, throughput floors, the benchmarks gate's evidence and the noise floor. Samples
 * are made with a fixed generator, so each case decides the same way every time. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bg_decision.h"
#include "bg_rules.h"
#include "tf.h"

#define ROUNDS 10
#define PER 5
#define N (ROUNDS * PER)

struct side {
	double v[N];
	int r[N];
};

static unsigned long long state = 42;

static double uniform(void)
{
	state = state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (double)(state >> 11) / 9007199254740992.0;
}

/* center * (1 +- jitter), round by round; with slow_share > 0 a round is 1.6x slower with
 * that probability (the bimodal processes of a shared VM) */
static void fill(struct side *s, double center, double jitter, double slow_share)
{
	for (int r = 0; r < ROUNDS; r++) {
		double mode = uniform() < slow_share ? 1.6 : 1.0;
		for (int k = 0; k < PER; k++) {
			s->v[r * PER + k] = center * mode * (1 + jitter * (2 * uniform() - 1));
			s->r[r * PER + k] = r;
		}
	}
}

static struct bg_cmp_series series(const char *name, const struct side *b, const struct side *h)
{
	struct bg_cmp_series s = {
		.benchmark = name,
		.params = "threads=1",
		.mode = "default",
		.base = b ? b->v : NULL,
		.base_round = b ? b->r : NULL,
		.nb = b ? N : 0,
		.head = h ? h->v : NULL,
		.head_round = h ? h->r : NULL,
		.nh = h ? N : 0,
		.kernel_base = "avx2",
		.kernel_head = "avx2",
		.checked_head = 1,
		.elements = 1e6,
		.noise_floor = -1,
	};
	return s;
}

static struct bg_gate_config cfg(void)
{
	struct bg_gate_config c;
	bg_gate_config_defaults(&c);
	return c;
}

static struct bg_cmp_input input(const struct bg_gate_config *c, const struct bg_cmp_series *s,
				 size_t n)
{
	struct bg_cmp_input in = {
		.cfg = c,
		.base = {1, 1, NULL, NULL, 0},
		.head = {1, 1, NULL, NULL, 0},
		.series = s,
		.n_series = n,
		.seed = 7,
	};
	return in;
}

static struct bg_decision *decide(const struct bg_cmp_input *in)
{
	struct bg_decision *d = calloc(1, sizeof(*d));
	TF_CHECK(d, "oom");
	TF_CHECK_EQ(bg_gates_decide(in, d), 0);
	return d;
}

static const struct bg_gate *gate(const struct bg_decision *d, const char *name)
{
	for (size_t i = 0; i < d->n_gates; i++)
		if (!strcmp(d->gates[i].name, name))
			return &d->gates[i];
	tf_fail(__FILE__, __LINE__, "no gate %s", name);
}

TF_TEST(rules__clear_regression_fails_perf)
{
	static struct side b, h, b2, h2;
	fill(&b, 100, 0.01, 0);
	fill(&h, 120, 0.01, 0);
	fill(&b2, 50, 0.01, 0);
	fill(&h2, 50, 0.01, 0);
	struct bg_cmp_series s[] = {series("gemv/avx2/2560x6912", &b, &h),
				    series("quant/avx2/6912", &b2, &h2)};
	struct bg_gate_config c = cfg();
	struct bg_cmp_input in = input(&c, s, 2);
	struct bg_decision *d = decide(&in);
	TF_CHECK_EQ(d->rows[0].verdict, BG_VERDICT_SLOWER);
	TF_CHECK(fabs(d->rows[0].change - 0.20) < 0.02, "change %g", d->rows[0].change);
	TF_CHECK(d->rows[0].ci_lo > 0.15 && d->rows[0].ci_hi < 0.25, "interval [%g, %g]",
		 d->rows[0].ci_lo, d->rows[0].ci_hi);
	TF_CHECK(d->rows[0].p_adjusted < 0.05, "p %g", d->rows[0].p_adjusted);
	TF_CHECK_EQ(d->rows[1].verdict, BG_VERDICT_NO_CHANGE);
	TF_CHECK_EQ(gate(d, "perf")->status, BG_GATE_FAIL);
	TF_CHECK(strstr(gate(d, "perf")->evidence, "gemv/avx2/2560x6912"), "%s",
		 gate(d, "perf")->evidence);
	TF_CHECK_EQ(d->conclusion, 1);
	TF_CHECK(d->n_findings >= 1 && strstr(d->findings[0], "slower"), "findings");
	bg_decision_free(d);
}

TF_TEST(rules__clear_improvement_passes)
{
	static struct side b, h;
	fill(&b, 100, 0.01, 0);
	fill(&h, 80, 0.01, 0);
	struct bg_cmp_series s[] = {series("gemv/avx2/2560x6912", &b, &h)};
	struct bg_gate_config c = cfg();
	struct bg_cmp_input in = input(&c, s, 1);
	struct bg_decision *d = decide(&in);
	TF_CHECK_EQ(d->rows[0].verdict, BG_VERDICT_FASTER);
	TF_CHECK_EQ(gate(d, "perf")->status, BG_GATE_PASS);
	TF_CHECK_EQ(gate(d, "build")->status, BG_GATE_PASS);
	TF_CHECK_EQ(gate(d, "benchmarks")->status, BG_GATE_PASS);
	TF_CHECK_EQ(gate(d, "tests")->status, BG_GATE_SKIPPED);
	TF_CHECK_EQ(d->conclusion, 0);
	bg_decision_free(d);
}

/* the same distribution on both sides, processes landing in a slow mode at random: no
 * slowdown may be declared */
TF_TEST(rules__noise_is_not_a_regression)
{
	struct bg_gate_config c = cfg();
	int slower = 0;
	for (int t = 0; t < 40; t++) {
		static struct side b, h;
		fill(&b, 100, 0.02, 0.4);
		fill(&h, 100, 0.02, 0.4);
		struct bg_cmp_series s[] = {series("matmul/avx2/256x256x256", &b, &h)};
		struct bg_cmp_input in = input(&c, s, 1);
		in.seed = (uint64_t)t;
		struct bg_decision *d = decide(&in);
		slower += d->rows[0].verdict == BG_VERDICT_SLOWER;
		TF_CHECK(d->rows[0].verdict != BG_VERDICT_MISSING, "missing");
		bg_decision_free(d);
	}
	/* at alpha 0.05 an occasional alarm is possible; a rule that alarms on noise is not */
	TF_CHECK(slower <= 3, "%d of 40 noisy A/A comparisons called slower", slower);
}

TF_TEST(rules__noise_floor_raises_the_threshold)
{
	static struct side b, h;
	fill(&b, 100, 0.005, 0);
	fill(&h, 108, 0.005, 0);
	struct bg_cmp_series s[] = {series("gemv/avx2/2560x6912", &b, &h)};
	struct bg_gate_config c = cfg();
	struct bg_cmp_input in = input(&c, s, 1);
	struct bg_decision *d = decide(&in);
	TF_CHECK_EQ(d->rows[0].verdict, BG_VERDICT_SLOWER); /* 8% > 5% */
	bg_decision_free(d);
	s[0].noise_floor = 0.10; /* this series moves 10% between runs anyway */
	d = decide(&in);
	TF_CHECK(d->rows[0].threshold == 0.10, "threshold %g", d->rows[0].threshold);
	TF_CHECK(d->rows[0].verdict != BG_VERDICT_SLOWER, "verdict %s",
		 bg_verdict_name(d->rows[0].verdict));
	TF_CHECK_EQ(gate(d, "perf")->status, BG_GATE_PASS);
	bg_decision_free(d);
}

TF_TEST(rules__missing_data_fails_benchmarks)
{
	static struct side b, h;
	fill(&b, 100, 0.01, 0);
	fill(&h, 100, 0.01, 0);
	struct bg_cmp_series s[] = {series("gemv/avx2/2560x6912", &b, &h),
				    series("matmul/avx2/256x256x256", &b, NULL)};
	struct bg_gate_config c = cfg();
	struct bg_cmp_input in = input(&c, s, 2);
	struct bg_decision *d = decide(&in);
	TF_CHECK_EQ(d->rows[1].verdict, BG_VERDICT_MISSING);
	TF_CHECK_EQ(gate(d, "benchmarks")->status, BG_GATE_FAIL);
	TF_CHECK(strstr(gate(d, "benchmarks")->evidence, "matmul/avx2/256x256x256"), "%s",
		 gate(d, "benchmarks")->evidence);
	TF_CHECK_EQ(d->conclusion, 1);
	bg_decision_free(d);
}

TF_TEST(rules__crashed_head_never_passes)
{
	static struct side b;
	fill(&b, 100, 0.01, 0);
	struct bg_cmp_series s[] = {series("gemv/avx2/2560x6912", &b, NULL)};
	struct bg_gate_config c = cfg();
	struct bg_cmp_input in = input(&c, s, 1);
	in.head.complete = 0;
	in.head.error = "bench r1: killed by signal 11 (Segmentation fault)";
	struct bg_decision *d = decide(&in);
	TF_CHECK_EQ(gate(d, "benchmarks")->status, BG_GATE_FAIL);
	TF_CHECK(strstr(gate(d, "benchmarks")->evidence, "signal 11"), "%s",
		 gate(d, "benchmarks")->evidence);
	TF_CHECK_EQ(gate(d, "perf")->status, BG_GATE_FAIL);
	TF_CHECK_EQ(d->conclusion, 1);
	bg_decision_free(d);
	/* nothing measured at all: still no pass */
	in.n_series = 0;
	d = decide(&in);
	TF_CHECK_EQ(gate(d, "perf")->status, BG_GATE_FAIL);
	TF_CHECK_EQ(gate(d, "benchmarks")->status, BG_GATE_FAIL);
	bg_decision_free(d);
	/* a head that did not build */
	in.head.built = 0;
	in.head.error = "build step 'compile' failed: exit status 2";
	d = decide(&in);
	TF_CHECK_EQ(gate(d, "build")->status, BG_GATE_FAIL);
	TF_CHECK(strstr(gate(d, "build")->evidence, "compile"), "%s", gate(d, "build")->evidence);
	bg_decision_free(d);
}

TF_TEST(rules__benchmarks_evidence_lists_each_problem)
{
	/* the phases of the benchmarks gate, each problem in order, "; " between them: an
	 * incomplete base, a head kernel never checked, a benchmark skipped on head (with why) */
	static struct side b, h;
	fill(&b, 100, 0.01, 0);
	fill(&h, 100, 0.01, 0);
	struct bg_cmp_series s[] = {series("gemv/avx2/2560x6912", &b, &h),
				    series("matmul/cuda/256x256x256", &b, NULL)};
	s[0].checked_head = 0;
	s[1].skipped_head = "no CUDA device";
	struct bg_gate_config c = cfg();
	struct bg_cmp_input in = input(&c, s, 2);
	in.base.complete = 0; /* no error text: "no samples" */
	struct bg_decision *d = decide(&in);
	TF_CHECK_EQ(gate(d, "benchmarks")->status, BG_GATE_FAIL);
	TF_CHECK(!strcmp(gate(d, "benchmarks")->evidence,
			 "base measurement incomplete: no samples; gemv/avx2/2560x6912: kernel "
			 "avx2 not verified against the reference; matmul/cuda/256x256x256 ran on "
			 "base but not on head (skipped: no CUDA device)"),
		 "%s", gate(d, "benchmarks")->evidence);
	bg_decision_free(d);
}

static struct bg_test_case tc(const char *name, enum bg_outcome o, const char *msg)
{
	struct bg_test_case c = {(char *)name, NULL, o, 0, (char *)msg};
	return c;
}

TF_TEST(rules__new_test_failure_and_skipped_gpu_suite)
{
	static struct side b, h;
	fill(&b, 100, 0.01, 0);
	fill(&h, 100, 0.01, 0);
	struct bg_cmp_series s[] = {series("gemv/avx2/2560x6912", &b, &h)};
	struct bg_test_case base_cases[] = {tc("pack__roundtrip", BG_TEST_PASSED, NULL),
					    tc("matmul__avx2", BG_TEST_PASSED, NULL),
					    tc("flaky__old", BG_TEST_FAILED, "was broken")};
	struct bg_test_case head_cases[] = {tc("pack__roundtrip", BG_TEST_PASSED, NULL),
					    tc("matmul__avx2", BG_TEST_FAILED, "1 != 2"),
					    tc("flaky__old", BG_TEST_FAILED, "still broken")};
	struct bg_test_case gpu_cases[] = {tc("gemv__cuda", BG_TEST_SKIPPED, "no CUDA device"),
					   tc("gemm__cuda", BG_TEST_SKIPPED, "no CUDA device")};
	struct bg_test_suite base_cpu = {"cpu", 2, 1, 0, 0, base_cases, 3};
	struct bg_test_suite head_cpu = {"cpu", 1, 2, 0, 0, head_cases, 3};
	struct bg_test_suite gpu = {"gpu", 0, 0, 2, 0, gpu_cases, 2};
	const struct bg_test_suite *bs[] = {&base_cpu, &gpu}, *hs[] = {&head_cpu, &gpu};
	const char *expected[] = {"cpu", "gpu"};
	struct bg_gate_config c = cfg();
	c.test_floor = 0.5;
	struct bg_cmp_input in = input(&c, s, 1);
	in.tests_ran = 1;
	in.base.suites = bs;
	in.base.n_suites = 2;
	in.head.suites = hs;
	in.head.n_suites = 2;
	in.suites_expected = expected;
	in.n_suites_expected = 2;
	struct bg_decision *d = decide(&in);
	TF_CHECK_EQ(d->n_suites, 2);
	TF_CHECK_EQ(d->suites[0].n_new_failures, 1); /* flaky__old failed on base too */
	TF_CHECK(!strcmp(d->suites[0].new_failures[0], "matmul__avx2"), "%s",
		 d->suites[0].new_failures[0]);
	TF_CHECK(d->suites[1].skipped && strstr(d->suites[1].skipped, "no CUDA device"),
		 "gpu suite not skipped");
	TF_CHECK_EQ(gate(d, "tests")->status, BG_GATE_FAIL);
	TF_CHECK_EQ(d->conclusion, 1);
	bg_decision_free(d);

	/* without the new failure: cpu passes, gpu is skipped, never counted as passed */
	head_cases[1].outcome = BG_TEST_PASSED;
	head_cpu.passed = 2;
	head_cpu.failed = 1;
	d = decide(&in);
	TF_CHECK_EQ(gate(d, "tests")->status, BG_GATE_PASS);
	TF_CHECK(strstr(gate(d, "tests")->evidence, "gpu skipped (no CUDA device)"), "%s",
		 gate(d, "tests")->evidence);
	TF_CHECK(isnan(d->suites[1].pass_rate), "a skipped suite has no pass rate");
	bg_decision_free(d);

	/* only the GPU suite configured: the gate is skipped, not passed */
	in.suites_expected = expected + 1;
	in.n_suites_expected = 1;
	d = decide(&in);
	TF_CHECK_EQ(gate(d, "tests")->status, BG_GATE_SKIPPED);
	bg_decision_free(d);
	/* a configured suite with no results on head fails */
	in.head.n_suites = 0;
	in.suites_expected = expected;
	in.n_suites_expected = 2;
	d = decide(&in);
	TF_CHECK_EQ(gate(d, "tests")->status, BG_GATE_FAIL);
	bg_decision_free(d);
}

static char *mode_env[] = {"BITNET_STRICT_MODE=1", NULL};

TF_TEST(rules__mode_overhead_is_its_own_gate)
{
	static struct side b, h, def, strict, slow;
	fill(&b, 100, 0.005, 0);
	fill(&h, 100, 0.005, 0);
	fill(&def, 100, 0.002, 0);
	fill(&strict, 100, 0.002, 0);
	fill(&slow, 103, 0.002, 0);
	struct bg_cmp_series s[] = {series("gemv/avx2/2560x6912", &b, &h)};
	struct bg_cmp_series st[] = {series("gemv/avx2/2560x6912", &def, &strict)};
	struct bg_mode_config mc = {"strict", mode_env, 1, 0.01, NULL};
	struct bg_gate_config c = cfg();
	c.modes = &mc;
	c.n_modes = 1;
	struct bg_mode_input mi = {.requested = 1};
	struct bg_cmp_input in = input(&c, s, 1);
	in.modes = &mi;
	in.n_modes = 1;
	/* declared and asked for, but not made: its gate fails closed, perf is untouched */
	struct bg_decision *d = decide(&in);
	TF_CHECK_EQ(gate(d, "strict")->status, BG_GATE_FAIL);
	TF_CHECK_EQ(gate(d, "perf")->status, BG_GATE_PASS);
	TF_CHECK_EQ(d->n_modes, (size_t)1);
	TF_CHECK(d->modes[0].skipped, "the reason is kept");
	TF_CHECK_EQ(d->conclusion, 1);
	bg_decision_free(d);
	mi.ran = 1;
	mi.series = st;
	mi.n_series = 1;
	d = decide(&in);
	TF_CHECK(d->modes[0].measured && fabs(d->modes[0].overhead) < 0.003, "overhead %g",
		 d->modes[0].overhead);
	TF_CHECK(d->modes[0].lo <= d->modes[0].overhead && d->modes[0].overhead <= d->modes[0].hi,
		 "interval");
	TF_CHECK(d->modes[0].hi < 0.01, "hi %g", d->modes[0].hi);
	TF_CHECK(!strcmp(d->modes[0].name, "strict") &&
			 !strcmp(d->modes[0].env, "BITNET_STRICT_MODE=1"),
		 "%s %s", d->modes[0].name, d->modes[0].env);
	TF_CHECK_EQ(gate(d, "strict")->status, BG_GATE_PASS);
	TF_CHECK(strstr(gate(d, "strict")->evidence, "strict-mode overhead"), "%s",
		 gate(d, "strict")->evidence);
	TF_CHECK_EQ(d->conclusion, 0);
	bg_decision_free(d);
	/* 3% overhead: above the 1% limit */
	st[0] = series("gemv/avx2/2560x6912", &def, &slow);
	d = decide(&in);
	TF_CHECK(fabs(d->modes[0].overhead - 0.03) < 0.005, "overhead %g", d->modes[0].overhead);
	TF_CHECK_EQ(gate(d, "strict")->status, BG_GATE_FAIL);
	TF_CHECK_EQ(gate(d, "perf")->status, BG_GATE_PASS);
	TF_CHECK(strstr(gate(d, "strict")->evidence, "not below 1.00%"), "%s",
		 gate(d, "strict")->evidence);
	TF_CHECK_EQ(d->conclusion, 1);
	bg_decision_free(d);
	/* not asked for (--modes none): skipped, never a pass, and the conclusion stands */
	mi.requested = 0;
	d = decide(&in);
	TF_CHECK_EQ(gate(d, "strict")->status, BG_GATE_SKIPPED);
	TF_CHECK(!d->modes[0].measured, "not measured");
	TF_CHECK_EQ(d->conclusion, 0);
	bg_decision_free(d);
}

TF_TEST(rules__modes_none_declared_none_gated)
{
	static struct side b, h;
	fill(&b, 100, 0.005, 0);
	fill(&h, 100, 0.005, 0);
	struct bg_cmp_series s[] = {series("BM_sort", &b, &h)};
	struct bg_gate_config c = cfg();
	struct bg_cmp_input in = input(&c, s, 1);
	struct bg_decision *d = decide(&in);
	TF_CHECK_EQ(d->n_modes, (size_t)0);
	TF_CHECK_EQ(d->n_gates, (size_t)4);
	for (size_t i = 0; i < d->n_gates; i++)
		TF_CHECK(!strstr(d->gates[i].evidence, "mode"), "%s: %s", d->gates[i].name,
			 d->gates[i].evidence);
	bg_decision_free(d);
	/* two modes: a gate each, in the declared order, after the built-in ones */
	static struct side m1, m2;
	fill(&m1, 100, 0.002, 0);
	fill(&m2, 100, 0.002, 0);
	struct bg_cmp_series ms[] = {series("BM_sort", &m1, &m2)};
	char *env2[] = {"TRACE=1", NULL};
	struct bg_mode_config mc[] = {{"strict", mode_env, 1, 0.01, NULL},
				      {"trace", env2, 1, 0.05, NULL}};
	struct bg_mode_input mi[] = {{1, 1, NULL, ms, 1}, {1, 1, NULL, ms, 1}};
	c.modes = mc;
	c.n_modes = 2;
	in.modes = mi;
	in.n_modes = 2;
	d = decide(&in);
	TF_CHECK_EQ(d->n_gates, (size_t)6);
	TF_CHECK(!strcmp(d->gates[4].name, "strict") && !strcmp(d->gates[5].name, "trace"), "%s %s",
		 d->gates[4].name, d->gates[5].name);
	TF_CHECK_EQ(d->n_modes, (size_t)2);
	TF_CHECK(!strcmp(d->modes[1].name, "trace") && d->modes[1].limit == 0.05, "%s %g",
		 d->modes[1].name, d->modes[1].limit);
	bg_decision_free(d);
}

TF_TEST(rules__floors_and_required)
{
	static struct side b, h;
	fill(&b, 100000, 0.01, 0); /* 1e6 elements / 1e5 ns = 10 Gelem/s */
	fill(&h, 100000, 0.01, 0);
	struct bg_cmp_series s[] = {series("matmul/avx2/256x256x256", &b, &h)};
	struct bg_gate_config c = cfg();
	struct bg_pattern_value floor = {"matmul/*/256x256x256", 5};
	char *req[] = {"matmul/avx2/*"};
	c.floors = &floor;
	c.n_floors = 1;
	c.required = req;
	c.n_required = 1;
	struct bg_cmp_input in = input(&c, s, 1);
	struct bg_decision *d = decide(&in);
	TF_CHECK_EQ(gate(d, "benchmarks")->status, BG_GATE_PASS);
	TF_CHECK(fabs(d->rows[0].gelems_head - 10) < 0.2, "Gelem/s %g", d->rows[0].gelems_head);
	TF_CHECK(d->rows[0].floor_gelems == 5, "floor recorded");
	bg_decision_free(d);
	floor.value = 20;
	d = decide(&in);
	TF_CHECK_EQ(gate(d, "benchmarks")->status, BG_GATE_FAIL);
	TF_CHECK(strstr(gate(d, "benchmarks")->evidence, "below the floor"), "%s",
		 gate(d, "benchmarks")->evidence);
	bg_decision_free(d);
	floor.value = 5;
	req[0] = "gemv/avx512/*";
	d = decide(&in);
	TF_CHECK_EQ(gate(d, "benchmarks")->status, BG_GATE_FAIL);
	TF_CHECK(strstr(gate(d, "benchmarks")->evidence, "gemv/avx512/*"), "%s",
		 gate(d, "benchmarks")->evidence);
	bg_decision_free(d);
	/* a kernel the bench did not verify */
	req[0] = "matmul/avx2/*";
	s[0].checked_head = 0;
	d = decide(&in);
	TF_CHECK_EQ(gate(d, "benchmarks")->status, BG_GATE_FAIL);
	bg_decision_free(d);
}

/* The passing benchmarks gate claims only what the head's bench format proved: a check
 * against the reference where the program said so, kernels where it named them, and for
 * a format with no such field (Google Benchmark, hyperfine, pytest-benchmark), that it has
 * none. */
TF_TEST(rules__benchmarks_evidence_claims_what_the_format_proved)
{
	static struct side b, h;
	fill(&b, 100, 0.01, 0);
	fill(&h, 100, 0.01, 0);
	struct bg_cmp_series s[] = {series("a", &b, &h), series("b", &b, &h)};
	struct bg_gate_config c = cfg();
	struct bg_cmp_input in = input(&c, s, 2);
	in.bench_format = "bitgate-bench/1";
	in.format_checks = 1;
	struct bg_decision *d = calloc(1, sizeof(*d));
	TF_CHECK(d && (d->head.kernels = strdup("avx2,ref")), "oom");
	TF_CHECK_EQ(bg_gates_decide(&in, d), 0);
	TF_CHECK(!strcmp(gate(d, "benchmarks")->evidence,
			 "2 benchmarks ran on head, every result checked against the reference by "
			 "the bench program; kernels avx2,ref"),
		 "%s", gate(d, "benchmarks")->evidence);
	bg_decision_free(d);

	s[1].checked_head = -1;
	d = decide(&in);
	TF_CHECK(!strcmp(gate(d, "benchmarks")->evidence,
			 "2 benchmarks ran on head, 1 of them checked against the reference by the "
			 "bench program; the others did not say; no kernel IDs reported"),
		 "%s", gate(d, "benchmarks")->evidence);
	bg_decision_free(d);

	s[0].checked_head = s[1].checked_head = -1;
	s[0].kernel_head = s[1].kernel_head = NULL;
	in.bench_format = "googlebenchmark";
	in.format_checks = 0;
	d = decide(&in);
	TF_CHECK_EQ(gate(d, "benchmarks")->status, BG_GATE_PASS);
	TF_CHECK(!strcmp(gate(d, "benchmarks")->evidence,
			 "2 benchmarks ran on head; results not checked by the bench program: the "
			 "googlebenchmark format has no check field; no kernel IDs (the "
			 "googlebenchmark format has none)"),
		 "%s", gate(d, "benchmarks")->evidence);
	bg_decision_free(d);
}

/* A rate is better higher: its fall is the regression (with the same threshold and
 * statistics), its rise the improvement, its fast part the top of its samples, and a mode
 * that lowers it costs. */
TF_TEST(rules__a_rate_is_better_higher)
{
	static struct side b, lower, higher, def, slowed;
	fill(&b, 100, 0.005, 0);
	fill(&lower, 80, 0.005, 0);
	fill(&higher, 120, 0.005, 0);
	struct bg_cmp_series s[] = {series("membw/read", &b, &lower),
				    series("membw/copy", &b, &higher),
				    series("gemv/time", &b, &higher)};
	s[0].metric = "GB/s";
	s[1].metric = "GB/s";
	s[2].metric = "ns"; /* the same rise, for a time, is the regression */
	struct bg_gate_config c = cfg();
	struct bg_cmp_input in = input(&c, s, 3);
	struct bg_decision *d = decide(&in);
	TF_CHECK(d->rows[0].higher_better && d->rows[1].higher_better && !d->rows[2].higher_better,
		 "directions");
	TF_CHECK_EQ(d->rows[0].verdict, BG_VERDICT_SLOWER);
	TF_CHECK_EQ(d->rows[1].verdict, BG_VERDICT_FASTER);
	TF_CHECK_EQ(d->rows[2].verdict, BG_VERDICT_SLOWER);
	TF_CHECK(fabs(d->rows[0].change + 0.2) < 0.01, "change %g", d->rows[0].change);
	/* the fast part of a rate is its top: the 90% quantile when the gates read the 10% */
	TF_CHECK(d->rows[0].base_time > 100.2, "base level %g", d->rows[0].base_time);
	TF_CHECK(d->rows[0].gelems_head < 0, "no Gelem/s from a rate");
	TF_CHECK_EQ(gate(d, "perf")->status, BG_GATE_FAIL);
	bg_decision_free(d);

	/* a mode that lowers a rate by 3% costs 3% */
	fill(&def, 100, 0.002, 0);
	fill(&slowed, 97, 0.002, 0);
	struct bg_cmp_series ms[] = {series("membw/read", &def, &slowed)};
	ms[0].metric = "GB/s";
	struct bg_mode_config mc = {"strict", mode_env, 1, 0.01, NULL};
	struct bg_mode_input mi = {1, 1, NULL, ms, 1};
	c.modes = &mc;
	c.n_modes = 1;
	in = input(&c, s, 2);
	in.modes = &mi;
	in.n_modes = 1;
	d = decide(&in);
	TF_CHECK(fabs(d->modes[0].overhead - 0.031) < 0.004, "overhead %g", d->modes[0].overhead);
	TF_CHECK_EQ(gate(d, "strict")->status, BG_GATE_FAIL);
	bg_decision_free(d);
}
