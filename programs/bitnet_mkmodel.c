/* bitnet-mkmodel: writes a deterministic synthetic BitNet b1.58 model (random ternary
 * weights) in GGUF, with the shapes of a preset. Thin program over bn_model.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bn_error.h"
#include "bn_model.h"

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

int main(int argc, char **argv)
{
	const char *config = NULL, *out = NULL;
	uint64_t seed = 1;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return 0;
		}
		if (i + 1 >= argc) {
			fprintf(stderr, "bitnet-mkmodel: %s: unknown option or missing value\n", a);
			usage(stderr);
			return 2;
		}
		if (!strcmp(a, "--config")) {
			config = argv[++i];
		} else if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
			out = argv[++i];
		} else if (!strcmp(a, "--seed")) {
			char *end;
			errno = 0;
			unsigned long long v = strtoull(argv[++i], &end, 10);
			if (errno || *end || end == argv[i] || argv[i][0] == '-') {
				fprintf(stderr, "bitnet-mkmodel: --seed: '%s' is not a number\n",
					argv[i]);
				return 2;
			}
			seed = v;
		} else {
			fprintf(stderr, "bitnet-mkmodel: unknown option %s\n", a);
			usage(stderr);
			return 2;
		}
	}
	if (!config || !out) {
		fprintf(stderr, "bitnet-mkmodel: --config and -o are required\n");
		usage(stderr);
		return 2;
	}
	struct bn_model_config c;
	if (bn_model_preset(&c, config)) {
		fprintf(stderr, "bitnet-mkmodel: %s\n", bn_error_last());
		return 2;
	}
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (bn_model_write_synthetic(&c, seed, out)) {
		fprintf(stderr, "bitnet-mkmodel: %s\n", bn_error_last());
		return 3;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	fprintf(stderr, "bitnet-mkmodel: wrote %s (%s, seed %" PRIu64 ") in %.1f s\n", out, config,
		seed, (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec));
	return 0;
}
