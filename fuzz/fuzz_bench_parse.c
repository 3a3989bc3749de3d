/* libFuzzer harness: bench output (harness/bench_parse.c). The first byte picks the
 * format (even: bitgate-bench/1, odd: Google Benchmark JSON); the rest is the output. */
#include <stddef.h>
#include <stdint.h>

#include "bg_bench_parse.h"
#include "bg_error.h"
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const char *format = (data[0] & 1) ? BG_FORMAT_GBENCH : BG_FORMAT_BITGATE;
	char *text = fuzz_copy(data + 1, size - 1);
	struct bg_bench_set *set = (struct bg_bench_set *)&set; /* must be reset */
	int rc = bg_bench_parse(&set, text, size - 1, format, "fuzz input");
	if (rc < 0) {
		FUZZ_CHECK(set == NULL, "a set came back with an error");
		FUZZ_CHECK(bg_error_last()[0] != '\0', "an error without a message");
	} else {
		FUZZ_CHECK(set != NULL, "success without a set");
	}
	bg_bench_set_free(set);
	free(text);
	bg_error_clear();
	return 0;
}
