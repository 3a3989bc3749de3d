/* bitnet-bench's data: deterministic random activations, weights and floats, the same in
 * every run. One random sequence for the whole run, owned here and read only through these
 * fill functions. */
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"
#include "bn_error.h"
#include "bn_half.h"
#include "bn_quant.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng_next(void)
{
	/* splitmix64: deterministic data, the same in every run */
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Uniform in [lo, hi), from the top 53 bits of the next number. */
static double rng_uniform(double lo, double hi)
{
	return lo + (hi - lo) * ((double)(rng_next() >> 11) / 9007199254740992.0);
}

/* Random activations over the whole int8 range, extremes included. */
void bench_fill_acts(struct bn_qact *a)
{
	for (int i = 0; i < a->m; i++)
		for (int c = 0; c < a->k; c++)
			a->q[(size_t)i * a->k_pad + c] = (int8_t)(rng_next() & 0xff);
	for (int i = 0; i < a->m; i++)
		a->scale[i] = 1.0f;
	bn_qact_finish(a);
}

/* Random valid codes (0, 1, 2) in a row's first k weights, code 1 in the padding. */
void bench_fill_codes(uint8_t *codes, int n, int k, int k_pad)
{
	int8_t *t = bench_xalloc((size_t)n * (size_t)k);
	for (size_t i = 0; i < (size_t)n * (size_t)k; i++)
		t[i] = (int8_t)((int)(rng_next() % 3) - 1);
	struct bn_tmat w = {
		.codes = codes, .n = n, .k = k, .k_pad = k_pad, .row_bytes = (size_t)k_pad / 4};
	if (bn_tmat_pack(&w, t, 1.0f)) {
		fprintf(stderr, "%s: %s\n", BENCH_PROG, bn_error_last());
		exit(EXIT_FAILED);
	}
	free(t);
}

void bench_fill_floats(float *x, size_t n, double lo, double hi)
{
	for (size_t i = 0; i < n; i++)
		x[i] = (float)rng_uniform(lo, hi);
}

void bench_fill_f16(uint16_t *x, size_t n, double lo, double hi)
{
	for (size_t i = 0; i < n; i++)
		x[i] = bn_f32_to_f16((float)rng_uniform(lo, hi));
}
