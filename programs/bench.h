/* bitnet-bench's internals, one section per file: the options, the benchmark list, the
 * results measured, the helpers every benchmark uses (bench_base.c, bench_data.c,
 * bench_model.c), the CPU benchmarks and their reference check, the DRAM stack, the
 * calibration slowdown, the measurement, the table and JSON writers, the device choice and
 * the table of functions behind a device's benchmarks (bench_cuda.c). bitnet_bench.c, the
 * main program, is only called, never calls up into anything here. */
#ifndef BN_BENCH_H
#define BN_BENCH_H

#include <regex.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "bn_dispatch.h"

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

#define BENCH_OPS BN_OP_COUNT /* gemm, gemv, quant, lm_head */

#define DRAM_STACK_BYTES (1ull << 30) /* weights streamed from a stack over 1 GiB */

#define FAULT_CUDA BN_KERNEL_COUNT /* --inject-fault cuda: the device's checked output */

/* ---- the options (bench_opts.c) ---- */

struct bench_options {
	int list;           /* --list: print the benchmarks and exit */
	const char *filter; /* --filter: a POSIX extended regex over names, or NULL */
	double min_time;    /* seconds of each repetition */
	int repetitions;    /* samples per benchmark */
	int threads;        /* worker threads per kernel call */
	int json;           /* --format json */
	int inject_fault; /* kernel id (or FAULT_CUDA) whose checked output is corrupted, -1 none */
};

void bench_usage(FILE *f);
/* Reads argv into *o. Returns -1 to go on, or the exit status to stop with: 0 after the
 * help, EXIT_USAGE after a usage error (printed). */
int bench_parse_args(struct bench_options *o, int argc, char **argv);

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

/* ---- the benchmark list (bench_list.c) ---- */

#define BENCH_MAX 256 /* room for every benchmark build_defs can list */

/* Fills d with every benchmark, grouped by shape so the kernels of one shape (the CUDA one
 * last) run side by side, bandwidth first. kernels: bitmask of CPU kernels (0: no CPU
 * benchmark); cuda: list the CUDA benchmarks. Returns how many. */
int bench_list(struct bench_def *d, unsigned kernels, int cuda);
/* The family a benchmark's results are grouped in: matmul, gemv, quant, head, membw, e2e. */
const char *bench_family(enum bench_kind kind);
/* Work per iteration (MACs, values, bytes, tokens), and memory traffic in *bytes. */
double bench_elements(const struct bench_def *d, double *bytes);

/* ---- clock, memory, fatal errors (bench_base.c) ---- */

double bench_now_s(void);
/* Waits on the clock for seconds: the calibration slowdown's real work. */
void bench_spin(double seconds);
/* Page-aligned memory; out of memory ends the program (EXIT_FAILED). */
void *bench_xalloc(size_t bytes);
/* Zeroed memory for count items; out of memory ends the program (EXIT_FAILED). */
void *bench_xcalloc(size_t count, size_t size);
/* Prints "bitnet-bench: what: <libbitnet's last error>" and exits EXIT_FAILED. */
void bench_die_bn(const char *what) __attribute__((noreturn));
/* A dispatch context on kernel, through BITNET_KERNEL when via_env; failing ends the run. */
struct bn_ctx *bench_ctx_new(int kernel, int threads, int via_env);

/* ---- deterministic data (bench_data.c; one random sequence for the whole run) ---- */

/* Random activations over the whole int8 range, and random valid codes. */
void bench_fill_acts(struct bn_qact *a);
void bench_fill_codes(uint8_t *codes, int n, int k, int k_pad);
/* n random floats, uniform in [lo, hi); and as F16 halves. */
void bench_fill_floats(float *x, size_t n, double lo, double hi);
void bench_fill_f16(uint16_t *x, size_t n, double lo, double hi);

/* ---- the synthetic models of the e2e benchmarks (bench_model.c) ---- */

/* Opens the synthetic model of def->config, writing it to the model directory first when
 * it is missing; failing ends the run. */
struct bn_model *bench_model_open(const struct bench_def *def);
/* The prompt every e2e benchmark evaluates (E2E_PROMPT tokens). */
void bench_e2e_prompt(int32_t *prompt, int vocab);
/* The greedy next token: what decoding does between two steps. */
int32_t bench_argmax_token(const float *logits, int n);

/* ---- the DRAM stack of gemv/.../dram (bench_dram.c) ---- */

/* Layers of one K x N weight matrix, copies in one allocation over DRAM_STACK_BYTES, so a
 * GEMV walking them reads its weights from DRAM. One at a time, kept for the next kernel of
 * the same shape. */
struct bench_dram {
	int n, k, layers;
	uint8_t *mem;
	struct bn_tmat *mats; /* layers views into mem */
};

/* Makes dram hold a stack of n x k layers, reusing it when it already does. */
void bench_dram_prepare(struct bench_dram *dram, int n, int k);
void bench_dram_release(struct bench_dram *dram);

/* ---- the CPU benchmarks (bench_cpu.c) and their reference check (bench_check.c) ---- */

/* One CPU benchmark's state: what one timed iteration works on. */
struct bench_cpu {
	const struct bench_def *def;
	struct bn_ctx *ctx;
	struct bn_qact *x;
	struct bn_tmat *w;           /* matmul, gemv */
	const struct bn_tmat *stack; /* gemv dram: layers sharing one allocation (borrowed) */
	int layers;
	int next_layer;
	int32_t *y;
	float *fin;    /* quant input; head: x */
	uint16_t *emb; /* head: F16 rows */
	float *logits; /* head: output */
	void *membuf;  /* membw */
	size_t membytes;
	volatile uint64_t sink;
	struct bn_model *model; /* e2e */
	struct bn_infer *infer;
	int32_t prompt[E2E_PROMPT];
};

/* Sets up s->def's benchmark on threads, its kernel through BITNET_KERNEL when via_env; a
 * gemv/dram benchmark borrows dram's stack. Failing ends the program. */
void bench_cpu_setup(struct bench_cpu *s, int threads, int via_env, struct bench_dram *dram);
/* One timed iteration. Returns 0 or a bn error. */
int bench_cpu_run_once(struct bench_cpu *s);
/* The kernel the dispatch reported running the benchmark's own operation, -1 for membw. */
int bench_cpu_kernel(const struct bench_cpu *s);
void bench_cpu_teardown(struct bench_cpu *s);

/* Compares the benchmark's output with the reference kernel's, first corrupting it when
 * fault is its kernel (--inject-fault). Returns 1 when they match; prints the first
 * difference ("refusing to time it") and returns 0 otherwise. */
int bench_check(struct bench_cpu *s, int fault);
/* Compares count int32 outputs (rows of row_len) with the reference's. Returns 1 when they
 * match; otherwise prints the first difference for benchmark name run by kernel, saying it
 * refuses to time it, and returns 0. */
int bench_check_ints(const char *name, const char *kernel, const int32_t *got, const int32_t *want,
		     size_t count, size_t row_len);

/* ---- the calibration slowdown (bench_slowdown.c) ---- */

/* BITNET_BENCH_SLOWDOWN="REGEX:PERCENT" (gate calibration only): every benchmark whose name
 * matches takes PERCENT% longer per iteration, by spinning on the clock for that share of
 * its own calibrated iteration time. */
struct bench_slowdown {
	const char *spec; /* the variable's value when on, else NULL */
	double pct;       /* 0: off */
	regex_t re;
};

/* Reads spec (NULL or empty: off). Returns 0, or -1 when it is not REGEX:PERCENT. */
int bench_slowdown_init(struct bench_slowdown *sd, const char *spec);
/* The seconds to add to each iteration of benchmark name, whose iterations take per. */
double bench_slowdown_extra(const struct bench_slowdown *sd, const char *name, double per);
void bench_slowdown_free(struct bench_slowdown *sd);

/* ---- output (bench_table.c, bench_json.c) ---- */

/* Writes the whole run as a table. */
void bench_write_table(FILE *f, const struct bench_context *c, const struct bench_result *r, int n);
/* Writes the whole run as bitgate-bench/1 JSON to f. Returns 0, or -1 out of memory. */
int bench_write_json(FILE *f, const struct bench_context *ctx, const struct bench_result *r, int n);

/* Median of a sample array (copied, not reordered). */
double bench_median(const double *v, int n);

/* ---- the benchmarks of a device other than the CPU ---- */

struct bench_dev; /* one benchmark's state on the device */

/* A device backend: bench_list.c lists its benchmarks (bench_def.cuda) and bench_measure.c
 * runs the same check-warm-calibrate-sample sequence around these calls. */
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

/* ---- which kernels and devices to benchmark (bench_targets.c) ---- */

struct bench_targets {
	int cpu, cuda;          /* benchmark the CPU, the CUDA device */
	const char *cuda_asked; /* the variable that asked for the CUDA device by name, or NULL */
	unsigned kernels;       /* bit per CPU kernel to benchmark */
	int via_env;            /* BITNET_KERNEL forced one: contexts are made through it */
	struct bn_ctx *probe;   /* a context made as the benchmarks make theirs, for the report */
	struct bench_gpu gpu;   /* the device, once probed */
	const struct bench_device *device; /* its backend; NULL when it cannot run here */
	const char *no_cuda;               /* then why not */
	int probed;                        /* the device was probed (it is, once at most) */
};

/* Chooses from BITNET_DEVICE, BITNET_KERNEL and BITNET_STRICT_MODE. Returns 0, or the exit
 * status with the error printed. */
int bench_targets_choose(struct bench_targets *t);
/* The CUDA benchmarks' backend, probing the device the first time it is asked for; NULL
 * with t->no_cuda saying why when they cannot run here. */
const struct bench_device *bench_targets_device(struct bench_targets *t);
void bench_targets_free(struct bench_targets *t);

/* ---- one benchmark measured (bench_measure.c) ---- */

/* What the benchmarks of one run share. */
struct bench_run {
	const struct bench_options *opt;
	int via_env;                       /* CPU contexts through BITNET_KERNEL */
	const struct bench_device *device; /* the CUDA benchmarks' backend, or NULL */
	struct bench_dram dram;            /* kept from one gemv/dram benchmark to the next */
	struct bench_slowdown slowdown;
};

/* Checks d against the reference, warms it up, calibrates its iterations and takes
 * opt->repetitions samples into r. Returns 0, or EXIT_WRONG after the check refused it. */
int bench_measure(struct bench_run *run, const struct bench_def *d, struct bench_result *r);

#endif
