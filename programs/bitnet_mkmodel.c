/* bitnet-mkmodel: writes a deterministic synthetic BitNet b1.58 model (random ternary
 * weights) in GGUF, with the shapes of a preset. Thin program over bn_model.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bn_error.h"
#include "bn_model.h"
#include "opt.h"

#define PROG "bitnet-mkmodel"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: bitnet-mkmodel --config tiny|2b [--seed N] -o FILE\n"
		"\n"
		"Writes a BitNet b1.58 model in GGUF (architecture bitnet-25, I2_S ternary\n"
		"weights, a tied F16 embedding) with random weights that depend only on the seed,\n"
		"so the same command always writes the same file. No real weights can be\n"
		"downloaded on this project's machines; a real bitnet.cpp GGUF file loads with\n"
		"the same code (bitnet-run -m FILE).\n"
		"\n"
		"  --config NAME  tiny: hidden 256, 2 layers, 4 heads (2 KV), FFN 512, vocabulary\n"
		"                 of 256 bytes (for tests, a few MB); 2b: BitNet-b1.58-2B-4T's\n"
		"                 shapes (hidden 2560, 30 layers, 20 heads, 5 KV heads, head dim\n"
		"                 128, FFN 6912, vocabulary 128256; about 1.2 GB)\n"
		"  --seed N       random seed (default 1)\n"
		"  -o FILE        output file (written to FILE.tmp, then renamed)\n"
		"  -h, --help     this help\n"
		"\n"
		"exit status: 0 written, 2 usage, 3 could not write.\n");
}

/* What the command line asks for. */
struct args {
	const char *config; /* the preset */
	const char *out;    /* the file to write */
	unsigned long long seed;
};

/* Reads argv into *a. Returns -1 to go on, or the exit status to stop with: 0 after the
 * help, 2 after a usage error (printed). */
static int parse_args(struct args *a, int argc, char **argv)
{
	const struct opt opts[] = {
		{.name = "--config", .kind = OPT_STRING, .dest = &a->config},
		{.name = "-o", .alias = "--output", .kind = OPT_STRING, .dest = &a->out},
		{.name = "--seed", .kind = OPT_U64, .dest = &a->seed},
	};
	*a = (struct args){.seed = 1};
	int rc = opt_read(PROG, opts, OPT_COUNT(opts), argc, argv, usage, 1);
	if (rc >= 0)
		return rc;
	if (!a->config || !a->out) {
		fprintf(stderr, PROG ": --config and -o are required\n");
		usage(stderr);
		return 2;
	}
	return -1;
}

int main(int argc, char **argv)
{
	struct args a;
	int rc = parse_args(&a, argc, argv);
	if (rc >= 0)
		return rc;
	struct bn_model_config c;
	if (bn_model_preset(&c, a.config)) {
		fprintf(stderr, PROG ": %s\n", bn_error_last());
		return 2;
	}
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (bn_model_write_synthetic(&c, a.seed, a.out)) {
		fprintf(stderr, PROG ": %s\n", bn_error_last());
		return 3;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	fprintf(stderr, PROG ": wrote %s (%s, seed %llu) in %.1f s\n", a.out, a.config, a.seed,
		(double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec));
	return 0;
}
