/* bitnet-bench's options: its help text and its table of options (opt.h). */
#include <stdio.h>
#include <string.h>

#include "bench.h"
#include "bn_error.h"
#include "opt.h"

void bench_usage(FILE *f)
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

_Static_assert(EXIT_USAGE == 2, "opt_read's exit status for a usage error");

/* --format table|json */
static int parse_format(const char *prog, const char *opt, const char *v, void *dest)
{
	int *json = dest;
	if (!strcmp(v, "json"))
		*json = 1;
	else if (strcmp(v, "table")) {
		fprintf(stderr, "%s: %s %s: expected table or json\n", prog, opt, v);
		return -1;
	}
	return 0;
}

/* --inject-fault K: a CPU kernel by name, or cuda (FAULT_CUDA). */
static int parse_fault(const char *prog, const char *opt, const char *v, void *dest)
{
	int *fault = dest;
	if (!strcmp(v, BN_KERNEL_CUDA_NAME))
		*fault = FAULT_CUDA;
	else if (bn_kernel_from_name(fault, v)) {
		fprintf(stderr, "%s: %s: %s (or cuda)\n", prog, opt, bn_error_last());
		return -1;
	}
	return 0;
}

int bench_parse_args(struct bench_options *o, int argc, char **argv)
{
	const struct opt opts[] = {
		{.name = "--list", .kind = OPT_FLAG, .dest = &o->list},
		{.name = "--filter", .kind = OPT_STRING, .dest = &o->filter},
		{.name = "--min-time",
		 .kind = OPT_DOUBLE,
		 .dest = &o->min_time,
		 .lo = 0,
		 .hi = 3600},
		{.name = "--repetitions",
		 .kind = OPT_INT,
		 .dest = &o->repetitions,
		 .lo = 1,
		 .hi = 100000},
		{.name = "--threads", .kind = OPT_INT, .dest = &o->threads, .lo = 1, .hi = 256},
		{.name = "--format", .kind = OPT_CUSTOM, .dest = &o->json, .parse = parse_format},
		{.name = "--inject-fault",
		 .kind = OPT_CUSTOM,
		 .dest = &o->inject_fault,
		 .parse = parse_fault},
	};
	*o = (struct bench_options){
		.min_time = 0.1, .repetitions = 5, .threads = 1, .inject_fault = -1};
	/* no help after a mistake, only its message's "(see --help)" */
	return opt_read(BENCH_PROG, opts, OPT_COUNT(opts), argc, argv, bench_usage, 0);
}
