/* libFuzzer harness: a pattern from a file or a command line (bitgate.json's
 * gates.modes[].filter, --filter), bounded by common/regex.c and compiled, then matched
 * against benchmark names. Any pattern the bounds let through must compile and match
 * quickly: scripts/fuzz's -timeout catches one that does not. */
#include <regex.h>
#include <stddef.h>
#include <stdint.h>

#include "bg_regex.h"
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* the last: 88 bytes that many patterns almost match */
	static const char long_name[] =
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaab";
	static const char *const names[] = {"gemv/avx2/2560x6912",
					    "matmul/ref/64x64x64",
					    "e2e/tiny/decode",
					    "BM_A",
					    "",
					    long_name};
	char *text = malloc(size + 1); /* a pattern ends at its first NUL, as from a file */
	FUZZ_CHECK(text != NULL, "out of memory copying the input");
	memcpy(text, data, size);
	text[size] = '\0';
	regex_t re;
	char why[256] = "";
	if (bg_regex_compile(&re, text, why, sizeof(why)) == 0) {
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			(void)regexec(&re, names[i], 0, NULL, 0);
		regfree(&re);
	} else {
		FUZZ_CHECK(why[0] != '\0', "refused without a reason");
	}
	free(text);
	return 0;
}
