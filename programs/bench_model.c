/* bitnet-bench's synthetic models for the e2e benchmarks: where they live, written when
 * missing; the prompt every e2e benchmark evaluates, and the greedy choice between steps. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench.h"
#include "bn_model.h"

/* Where a preset's synthetic model lives: BITNET_MODEL_DIR, else $XDG_CACHE_HOME/bitnet,
 * else ~/.cache/bitnet; the directory is made, with its parents. */
static void model_path(char *out, size_t cap, const char *config)
{
	const char *dir = getenv("BITNET_MODEL_DIR"), *xdg = getenv("XDG_CACHE_HOME");
	const char *home = getenv("HOME");
	char base[3072];
	if (dir && *dir)
		snprintf(base, sizeof(base), "%s", dir);
	else if (xdg && *xdg)
		snprintf(base, sizeof(base), "%s/bitnet", xdg);
	else
		snprintf(base, sizeof(base), "%s/.cache/bitnet", home && *home ? home : "/tmp");
	/* make the directory and its parents */
	for (char *p = base + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			mkdir(base, 0777);
			*p = '/';
		}
	mkdir(base, 0777);
	snprintf(out, cap, "%s/synthetic-%s-seed1.gguf", base, config);
}

struct bn_model *bench_model_open(const struct bench_def *d)
{
	char path[4096];
	model_path(path, sizeof(path), d->config);
	if (access(path, R_OK) != 0) {
		struct bn_model_config c;
		if (bn_model_preset(&c, d->config))
			bench_die_bn(d->name);
		fprintf(stderr, "%s: writing the synthetic %s model to %s\n", BENCH_PROG, d->config,
			path);
		double t0 = bench_now_s();
		if (bn_model_write_synthetic(&c, 1, path))
			bench_die_bn(d->name);
		fprintf(stderr, "%s: wrote it in %.1f s\n", BENCH_PROG, bench_now_s() - t0);
	}
	struct bn_model *m;
	if (bn_model_open(&m, path))
		bench_die_bn(d->name);
	return m;
}

void bench_e2e_prompt(int32_t *prompt, int vocab)
{
	for (int i = 0; i < E2E_PROMPT; i++)
		prompt[i] = (int32_t)((i * 131 + 7) % (vocab < 256 ? vocab : 256));
}

int32_t bench_argmax_token(const float *logits, int n)
{
	int32_t best = 0;
	for (int32_t i = 1; i < n; i++)
		if (logits[i] > logits[best])
			best = i;
	return best;
}
