/* bitnet-bench internals shared by its two files: the results it measured and the JSON
 * writer for the bitgate-bench/1 schema. */
#ifndef BN_BENCH_H
#define BN_BENCH_H

#include <stdio.h>

struct bench_result {
	char name[96];      /* e.g. matmul/avx2/256x256x256 */
	const char *family; /* matmul, gemv, quant, membw */
	const char *unit;   /* "ns": samples are ns per iteration */
	double *samples;    /* one per repetition; NULL when skipped */
	int nsamples;
	long long iterations; /* iterations behind each sample */
	double elements;      /* work per iteration: MACs, values quantized, bytes read */
	double bytes;         /* memory traffic per iteration, 0 if not meaningful */
	int kernel;           /* the kernel the dispatch reported running, -1 if none */
	int checked;          /* output matched the reference before timing */
	char skipped[160];    /* non-empty: why this benchmark did not run here */
};

struct bench_context {
	const char *version;
	const char *build_type;
	int threads;
	int strict_mode;
	double min_time;
	int repetitions;
	unsigned kernels_seen; /* bit per kernel id observed at dispatch */
	const char *slowdown;  /* BITNET_BENCH_SLOWDOWN when set (calibration only), else NULL */
};

/* Writes the whole run as bitgate-bench/1 JSON to f. Returns 0, or -1 out of memory. */
int bench_write_json(FILE *f, const struct bench_context *ctx, const struct bench_result *r, int n);

/* Median of a sample array (copied, not reordered). */
double bench_median(const double *v, int n);

#endif
