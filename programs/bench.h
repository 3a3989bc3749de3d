/* bitnet-bench internals shared by its files: the benchmark list, the results it measured,
 * the JSON writer for the bitgate-bench/1 schema, the helpers every benchmark uses, and the
 * table of functions behind the benchmarks of a device (bench_cuda.c). */
#ifndef BN_BENCH_H
#define BN_BENCH_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct bn_ctx;
struct bn_model;
struct bn_qact;

#define BENCH_PROG "bitnet-bench"

#define EXIT_WRONG 1 /* a kernel failed its check against the reference */
#define EXIT_USAGE 2
#define EXIT_FAILED 3 /* could not run (out of memory, bad environment) */

#define E2E_PROMPT 64 /* tokens of the prefill benchmark, and before every decode */
#define E2E_DECODE 64 /* positions the decode benchmark cycles over after the prompt */

#define CUDA_COPY_BYTES (256ull << 20) /* membw/cuda-copy: buffer copied device to device */

enum bench_kind { K_MATMUL, K_GEMV, K_GEMV_DRAM, K_QUANT, K_HEAD, K_MEMBW, K_PREFILL, K_DECODE };

#define BENCH_OPS 4 /* BN_OP_COUNT: gemm, gemv, quant, lm_head */

struct bench_def {
	enum bench_kind kind;
	int kernel;         /* CPU kernel id; -1 for membw, e2e and the device's benchmarks */
	int cuda;           /* runs on the CUDA device (bench_cuda.c), not the CPU */
	int m, n, k;        /* matmul: M x N x K; gemv: K x N (m = 1); quant: n values */
	const char *config; /* e2e: the model preset */
	char name[96];
};

struct bench_result {
	char name[96];      /* e.g. matmul/avx2/256x256x256 */
	const char *family; /* matmul, gemv, quant, membw, e2e */
	const char *unit;   /* "ns": samples are ns per iteration */
	double *samples;    /* one per repetition; NULL when skipped */
	int nsamples;
	long long iterations;    /* iterations behind each sample */
	double elements;         /* work per iteration: MACs, values quantized, bytes read */
	double bytes;            /* memory traffic per iteration, 0 if not meaningful */
	double weight_bytes;     /* device: weight bytes per iteration (the gemv note), else 0 */
	int kernel;              /* the kernel the dispatch reported running, -1 if none */
	int ops[BENCH_OPS];      /* e2e: the kernel that ran each operation (bn_op), -1 none */
	const char *kernel_name; /* when kernel < 0: the device kernel that ran, else NULL */
	int checked;             /* output matched the reference before timing */
	char skipped[160];       /* non-empty: why this benchmark did not run here */
};

/* The GPU a CUDA benchmark ran on, as the JSON context and the table header name it. */
struct bench_gpu {
	char name[256];
	int cc_major, cc_minor; /* compute capability */
	int sm_count;
	int clock_mhz;     /* SM clock */
	int mem_clock_mhz; /* memory clock */
	int mem_bus_bits;
	double memory_bytes;
	int driver_version;    /* CUDA's encoding: 13000 is 13.0 */
	int runtime_version;   /* the CUDA runtime linked in */
	const char *built_for; /* compute capabilities the kernels were built for ("80 90") */
};

struct bench_context {
	const char *version;
	const char *build_type;
	int threads;
	int strict_mode;
	double min_time;
	int repetitions;
	unsigned kernels_seen;       /* bit per kernel id observed at dispatch */
	const struct bn_ctx *dispatch; /* a context as the benchmarks make them: its choices */
	const char *device_kernel;   /* the device kernel that ran (cuda-dp4a), else NULL */
	const struct bench_gpu *gpu; /* the device, when a CUDA benchmark ran; else NULL */
	const char *slowdown; /* BITNET_BENCH_SLOWDOWN when set (calibration only), else NULL */
};

/* Writes the whole run as bitgate-bench/1 JSON to f. Returns 0, or -1 out of memory. */
int bench_write_json(FILE *f, const struct bench_context *ctx, const struct bench_result *r, int n);

/* Median of a sample array (copied, not reordered). */
double bench_median(const double *v, int n);

/* ---- helpers of bitnet_bench.c that the device benchmarks use too ---- */

double bench_now_s(void);
/* Waits on the clock for seconds: the calibration slowdown's real work. */
void bench_spin(double seconds);
/* Page-aligned memory; out of memory ends the program (EXIT_FAILED). */
void *bench_xalloc(size_t bytes);
/* Prints "bitnet-bench: what: <libbitnet's last error>" and exits EXIT_FAILED. */
void bench_die_bn(const char *what) __attribute__((noreturn));
/* Deterministic random activations over the whole int8 range, and random valid codes. */
void bench_fill_acts(struct bn_qact *a);
void bench_fill_codes(uint8_t *codes, int n, int k, int k_pad);
/* A dispatch context on kernel, through BITNET_KERNEL when via_env; failing ends the run. */
struct bn_ctx *bench_ctx_new(int kernel, int threads, int via_env);
/* Compares count int32 outputs (rows of row_len) with the reference's. Returns 1 when they
 * match; otherwise prints the first difference for benchmark name run by kernel, saying it
 * refuses to time it, and returns 0. */
int bench_check_ints(const char *name, const char *kernel, const int32_t *got, const int32_t *want,
		     size_t count, size_t row_len);
/* The greedy next token: what decoding does between two steps. */
int32_t bench_argmax_token(const float *logits, int n);
/* Opens the synthetic model of def->config, writing it to the model directory first when
 * it is missing; failing ends the run. */
struct bn_model *bench_model_open(const struct bench_def *def);
/* The prompt every e2e benchmark evaluates (E2E_PROMPT tokens). */
void bench_e2e_prompt(int32_t *prompt, int vocab);

/* ---- the benchmarks of a device other than the CPU ---- */

struct bench_dev; /* one benchmark's state on the device */

/* A device backend: bitnet_bench.c lists its benchmarks (bench_def.cuda) and runs the same
 * check-warm-calibrate-sample sequence around these calls. */
struct bench_device {
	const char *kernel_name; /* recorded as each result's kernel */
	/* Sets up def's benchmark and checks its output against the CPU before anything is
	 * timed. Returns 0, or EXIT_WRONG after printing the first difference ("refusing to
	 * time it"); any other failure ends the program. corrupt (--inject-fault): spoil the
	 * device's checked output, to show the refusal. */
	int (*setup)(struct bench_dev **out, const struct bench_def *def, int threads, int corrupt);
	/* Runs n iterations and returns the seconds they took by the device's clock, with
	 * extra_s of waiting (the calibration slowdown) inside the timed span. */
	double (*run_timed)(struct bench_dev *b, long long n, double extra_s);
	/* Bytes of weights one iteration reads (the model's for e2e), 0 for a copy. */
	double (*weight_bytes)(const struct bench_dev *b);
	void (*teardown)(struct bench_dev *b);
};

/* The CUDA benchmarks (bench_cuda.c, built with BITGATE_HAVE_CUDA): their table when device
 * 0 can run them, with *gpu describing it; NULL with *why (static text) otherwise. */
const struct bench_device *bench_cuda_open(struct bench_gpu *gpu, const char **why);

#endif
