/* What a subject's measurement produces, as bitgate holds it between parsing and storage:
 * a bench program's output (bitgate-bench/1 or Google Benchmark JSON) and a test suite's
 * results (JUnit XML). The parsers in harness/ make these; db/ stores them. */
#ifndef BG_RESULT_H
#define BG_RESULT_H

#include <stddef.h>
#include <stdint.h>

/* One benchmark of a bench program's output. Strings and arrays are owned by the set. */
struct bg_bench {
	char *name;        /* e.g. "matmul/avx2/256x256x256" */
	char *unit;        /* unit of the samples: "ns" (per iteration) */
	double *samples;   /* raw samples, in output order; NULL when skipped */
	size_t n_samples;  /* 0 when skipped */
	int64_t iterations; /* iterations behind each sample (0 when not said) */
	double elements;   /* work per iteration (0 when not said) */
	double bytes;      /* memory traffic per iteration (0 when not said) */
	char *kernel;      /* kernel the dispatch ran, as the program reported; NULL if not said */
	int checked;       /* 1 verified against the reference, 0 not verified, -1 not said */
	char *skipped;     /* why it could not run here; NULL when it ran */
};

/* The program's description of where it ran. */
struct bg_bench_ctx {
	char *program;     /* "bitnet-bench", "googlebenchmark" executable name, ...; may be NULL */
	char *version;     /* may be NULL */
	char *cpu;         /* may be NULL */
	char *build_type;  /* may be NULL */
	char **isa;        /* ISA extensions the program saw */
	size_t n_isa;
	char **kernels;    /* kernel IDs observed at dispatch */
	size_t n_kernels;
	char *dispatch;    /* the kernel per operation the program reported ("gemm amx, gemv
			    * avx512, ..."), from context.dispatch; NULL when not said */
	int threads;       /* 0 when not said */
	int strict_mode;   /* 1, 0, or -1 when not said */
	char *json;        /* the context object, unformatted JSON text, stored verbatim */
};

struct bg_bench_set {
	char *format;           /* "bitgate-bench/1" or "googlebenchmark" */
	struct bg_bench_ctx ctx;
	struct bg_bench *v;     /* the benchmarks, in output order */
	size_t n;
};

void bg_bench_set_free(struct bg_bench_set *set);

enum bg_outcome {
	BG_TEST_PASSED = 0,
	BG_TEST_FAILED = 1,
	BG_TEST_SKIPPED = 2,
	BG_TEST_ERRORED = 3,
};

/* "passed", "failed", "skipped", "errored". */
const char *bg_outcome_name(enum bg_outcome o);

/* Parses an outcome name; -1 when unknown. */
int bg_outcome_parse(const char *s);

struct bg_test_case {
	char *name;      /* the test's name */
	char *classname; /* JUnit classname; may be NULL */
	enum bg_outcome outcome;
	double time_s;   /* seconds, 0 when not said */
	char *message;   /* failure, error or skip message, trimmed to 4 KiB; may be NULL */
};

struct bg_test_suite {
	char *suite;     /* the configured suite name ("cpu", "gpu") */
	int passed, failed, skipped, errored;
	struct bg_test_case *cases;
	size_t n;
};

void bg_test_suite_free(struct bg_test_suite *suite);

#endif
