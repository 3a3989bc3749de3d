/* The reader of JUnit XML test reports (libxml2), as a subject's test suites write them.
 * Malformed input is BG_EINPUT with the origin and what is wrong; nothing is partially
 * returned. */
#ifndef BG_JUNIT_H
#define BG_JUNIT_H

#include <stddef.h>

#include "bg_result.h"

/* Bytes of a report bg_junit_parse_file reads (a test suite of a pull request writes it). */
#define BG_JUNIT_MAX_FILE (64u << 20)

/* Attributes of one element (libxml2 checks them for duplicates in quadratic time). */
#define BG_JUNIT_MAX_ATTRIBUTES 256

/* Reads a JUnit XML file (testsuites/testsuite/testcase, as ctest --output-junit, pytest,
 * nextest and go-junit-report write it). A testcase with <failure> is failed, <error>
 * errored, <skipped> skipped (ctest's status="notrun"/"disabled" too), else passed. suite
 * names the result (bg_test_suite.suite). BG_ENOTFOUND when the file is missing, BG_EINPUT
 * when it is larger than BG_JUNIT_MAX_FILE or an element has more than
 * BG_JUNIT_MAX_ATTRIBUTES attributes. */
int bg_junit_parse_file(struct bg_test_suite **out, const char *suite, const char *path);

/* Same, from memory (origin names it in messages). */
int bg_junit_parse(struct bg_test_suite **out, const char *suite, const char *xml, size_t len,
		   const char *origin);

#endif
