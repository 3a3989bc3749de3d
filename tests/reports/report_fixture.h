/* A hand-made decision for the report renderers' suites (test_report_md.c,
 * test_report_checkrun.c, test_report_json.c, test_report_table.c), and the checks they share:
 * Markdown rendered by cmark-gfm (GitHub's renderer), its tables counted cell by cell, UTF-8
 * validated. */
#ifndef REPORT_FIXTURE_H
#define REPORT_FIXTURE_H

#include <stddef.h>

#include "bg_decision.h"

#define HOSTILE "evil | </table><script>alert(1)</script> [x](javascript:alert(1))"
/* more ways out of a cell: an escaped pipe, code, a new row, an autolink, an image tag */
#define HOSTILE2                                                                                   \
	"a\\|b `c|d` **bold** _em_ \n| x | y |\n http://evil.example/ www.evil.example "           \
	"<img src=x onerror=alert(1)> &lt;b&gt; ![i](javascript:x)"

/* A copy of s (free()); fails the test when out of memory. */
char *report_dup(const char *s);

/* bg_strv_push that fails the test when out of memory. */
void report_push(char ***v, size_t *n, const char *s);

/* A realistic failing CI decision: 4 gates (perf and tests fail), 6 rows with every
 * verdict, a cpu suite with a new failure and a gpu suite skipped, the mode strict measured,
 * findings and commands; extra_rows more rows named with multi-byte characters. Free with
 * bg_decision_free. */
struct bg_decision *report_fixture_make(size_t extra_rows);

/* The Markdown report of d (free()). */
char *report_markdown(const struct bg_decision *d);

/* How often needle occurs in hay, without overlaps. */
size_t report_count(const char *hay, const char *needle);

/* cmark-gfm's HTML for md with its flags (free()); skips the test when cmark-gfm is not
 * installed. */
char *report_gfm_html(const char *md, const char *flags);

/* Checks that every row of the k-th table (from 0) of html has cols cells; returns where
 * that table's rows start (borrowed from html). */
const char *report_check_table(const char *html, size_t k, size_t cols);

/* 1 when s is well-formed UTF-8. */
int report_valid_utf8(const char *s);

#endif
