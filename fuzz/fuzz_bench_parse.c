/* libFuzzer harness: bench output (harness/bench_parse.c and bench_<format>.c). The first
 * byte picks the format (modulo 4: bitgate-bench/1, Google Benchmark, hyperfine,
 * pytest-benchmark); the rest is the output. What comes back must keep the header's
 * promise: every benchmark named, with a unit, and either skipped with a reason or with
 * samples that are finite and > 0. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "bg_bench_parse.h"
#include "bg_error.h"
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_set(const struct bg_bench_set *set)
{
	FUZZ_CHECK(set->n > 0 && set->format != NULL, "an empty set");
	for (size_t i = 0; i < set->n; i++) {
		const struct bg_bench *b = &set->v[i];
		FUZZ_CHECK(b->name && b->name[0] && b->unit && b->unit[0], "a nameless benchmark");
		FUZZ_CHECK(b->skipped ? b->n_samples == 0 : b->n_samples > 0,
			   "neither skipped nor measured");
		for (size_t k = 0; k < b->n_samples; k++)
			FUZZ_CHECK(isfinite(b->samples[k]) && b->samples[k] > 0, "a bad sample");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const formats[] = {BG_FORMAT_BITGATE, BG_FORMAT_GBENCH,
					      BG_FORMAT_HYPERFINE, BG_FORMAT_PYTEST};
	if (size < 1)
		return 0;
	const char *format = formats[data[0] % 4];
	char *text = fuzz_copy(data + 1, size - 1);
	struct bg_bench_set *set = (struct bg_bench_set *)&set; /* must be reset */
	int rc = bg_bench_parse(&set, text, size - 1, format, "fuzz input");
	if (rc < 0) {
		FUZZ_CHECK(set == NULL, "a set came back with an error");
		FUZZ_CHECK(bg_error_last()[0] != '\0', "an error without a message");
	} else {
		FUZZ_CHECK(set != NULL, "success without a set");
		check_set(set);
	}
	bg_bench_set_free(set);
	free(text);
	bg_error_clear();
	return 0;
}
