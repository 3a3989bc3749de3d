/* libFuzzer harness: JUnit XML test reports (harness/junit.c, through libxml2). */
#include <stddef.h>
#include <stdint.h>

#include "bg_error.h"
#include "bg_junit.h"
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *xml = fuzz_copy(data, size);
	struct bg_test_suite *suite = (struct bg_test_suite *)&suite; /* must be reset */
	int rc = bg_junit_parse(&suite, "fuzz", xml, size, "fuzz input");
	if (rc < 0) {
		FUZZ_CHECK(suite == NULL, "a suite came back with an error");
		FUZZ_CHECK(bg_error_last()[0] != '\0', "an error without a message");
	} else {
		FUZZ_CHECK(suite != NULL, "success without a suite");
	}
	bg_test_suite_free(suite);
	free(xml);
	bg_error_clear();
	return 0;
}
