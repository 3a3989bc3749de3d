/* The GitHub check-run payload (report_checkrun.c): well-formed JSON and UTF-8, the summary
 * and text split where the Markdown's sections begin, GitHub's size limits kept, and a cut
 * that never breaks the Markdown. */
#include <cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "bg_buf.h"
#include "bg_decision.h"
#include "bg_error.h"
#include "bg_report.h"
#include "report_fixture.h"
#include "tf.h"

static cJSON *checkrun(const struct bg_decision *d, const char *name, char **text)
{
	struct bg_buf b = BG_BUF_INIT;
	TF_CHECK(bg_report_checkrun(&b, d, name) == 0, "checkrun: %s", bg_error_last());
	TF_CHECK(report_valid_utf8(bg_buf_cstr(&b)), "payload is not UTF-8");
	cJSON *o = cJSON_Parse(bg_buf_cstr(&b));
	TF_CHECK(o, "payload is not JSON: %.300s", bg_buf_cstr(&b));
	*text = bg_buf_detach(&b);
	return o;
}

static const char *str_at(const cJSON *o, const char *a, const char *b)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, a);
	if (b)
		j = cJSON_GetObjectItemCaseSensitive(j, b);
	TF_CHECK(cJSON_IsString(j), "%s%s%s missing or not a string", a, b ? "." : "", b ? b : "");
	return j->valuestring;
}

TF_TEST(report__checkrun_payload)
{
	struct bg_decision *d = report_fixture_make(0);
	char *raw;
	cJSON *o = checkrun(d, "bitgate / perf", &raw);
	TF_CHECK(!strcmp(str_at(o, "name", NULL), "bitgate / perf"), "name");
	TF_CHECK(!strcmp(str_at(o, "head_sha", NULL), d->head.sha), "head_sha");
	TF_CHECK(!strcmp(str_at(o, "status", NULL), "completed"), "status");
	TF_CHECK(!strcmp(str_at(o, "conclusion", NULL), "failure"), "conclusion");
	const char *title = str_at(o, "output", "title");
	TF_CHECK(!strcmp(title, "bitgate: FAIL \xE2\x80\x94 2 of 4 gates failed (perf: "
				"matmul/avx2/256x256x256 +7.3% slower; tests: cpu: 1 new failure "
				"(test_matmul__avx2_tail))"),
		 "title: %s", title);
	const char *summary = str_at(o, "output", "summary"), *text = str_at(o, "output", "text");
	TF_CHECK(!strncmp(summary, "**bitgate: FAIL**", 17) &&
			 strstr(summary, "| Gate | Status | Evidence |") && !strstr(summary, "###"),
		 "summary:\n%s", summary);
	TF_CHECK(!strncmp(text, "### Key findings", 16) && strstr(text, "### Benchmarks") &&
			 strstr(text, "### Method") && !strstr(text, "truncated"),
		 "text:\n%s", text);
	/* together they are the whole report */
	char *md = report_markdown(d);
	TF_CHECK(strlen(summary) + strlen(text) == strlen(md) &&
			 !strncmp(md, summary, strlen(summary)),
		 "summary + text != report");
	free(md);
	cJSON_Delete(o);
	free(raw);

	static const char *const want[] = {"success", "failure", "neutral"};
	for (int c = 0; c < 3; c++) {
		d->conclusion = c;
		o = checkrun(d, NULL, &raw);
		TF_CHECK(!strcmp(str_at(o, "conclusion", NULL), want[c]), "conclusion %d", c);
		TF_CHECK(!strcmp(str_at(o, "name", NULL), "bitgate"), "default name");
		cJSON_Delete(o);
		free(raw);
	}
	bg_decision_free(d);

	/* an empty decision (every string NULL) still makes a valid payload */
	struct bg_decision *z = calloc(1, sizeof(*z));
	TF_CHECK(z, "out of memory");
	z->conclusion = 2;
	o = checkrun(z, "bitgate", &raw);
	TF_CHECK(!strcmp(str_at(o, "output", "title"),
			 "bitgate: NEUTRAL \xE2\x80\x94 no gates were evaluated"),
		 "empty title: %s", str_at(o, "output", "title"));
	TF_CHECK(!strcmp(str_at(o, "head_sha", NULL), ""), "empty head_sha");
	cJSON_Delete(o);
	free(raw);
	bg_decision_free(z);
}

TF_TEST(report__checkrun_limits)
{
	/* 20,000 rows with multi-byte names: far past GitHub's 65,535 characters */
	struct bg_decision *d = report_fixture_make(20000);
	/* and a title far past 255 bytes, made of 3-byte characters */
	struct bg_buf longname = BG_BUF_INIT;
	for (int i = 0; i < 200; i++)
		TF_CHECK(bg_buf_puts(&longname, "\xE6\x97\xA5") == 0, "oom");
	free(d->gates[2].evidence);
	d->gates[2].evidence = bg_buf_detach(&longname);
	free(d->gates[2].name);
	d->gates[2].name = report_dup("throughput");
	char *raw;
	cJSON *o = checkrun(d, "bitgate", &raw);
	const char *title = str_at(o, "output", "title");
	const char *summary = str_at(o, "output", "summary"), *text = str_at(o, "output", "text");
	TF_CHECK(strlen(title) <= 255 && report_valid_utf8(title), "title: %zu bytes",
		 strlen(title));
	TF_CHECK(strlen(summary) <= 65535 && report_valid_utf8(summary), "summary: %zu bytes",
		 strlen(summary));
	TF_CHECK(strlen(text) <= 65535 && report_valid_utf8(text), "text: %zu bytes", strlen(text));
	/* the benchmark table loses rows (the least important) so that the sections after it
	 * stay whole: no cut, the count of the rows left out instead */
	TF_CHECK(strlen(text) > 32768, "text cut too short: %zu bytes", strlen(text));
	TF_CHECK(!strstr(text, "report truncated:"), "cut although rows could go:\n%s",
		 text + strlen(text) - 300);
	TF_CHECK(strstr(text, "### Method") && strstr(text, "### Tests"), "sections lost");
	const char *left = strstr(text, " more rows left out here (");
	TF_CHECK(left && strstr(left, " noisy, 4001 faster, 4002 no change); the full report "
				      "is in the job summary"),
		 "no count of the rows left out");
	long shown = 0;
	const char *sep = strstr(text, "|---|---|--:|");
	for (const char *p = sep; p && p < left; p = strstr(p + 1, "\n| "))
		shown += p != sep;
	const char *num = left;
	while (num > text && num[-1] >= '0' && num[-1] <= '9')
		num--;
	TF_CHECK(shown > 100 && shown + strtol(num, NULL, 10) == 20006,
		 "%ld rows shown, %ld left out, of 20006", shown, strtol(num, NULL, 10));
	/* slower rows first, so what was cut is of the least interest */
	TF_CHECK(strstr(text, "| matmul/avx2/256x256x256 \xC2\xB7 threads=1 | avx2 | 10.42 ms"),
		 "the slower row was cut");
	cJSON_Delete(o);
	free(raw);
	bg_decision_free(d);
}

TF_TEST(report__checkrun_cut_in_commands)
{
	/* a cut inside the commands block closes the fence before the note */
	struct bg_decision *d = report_fixture_make(0);
	for (int i = 0; i < 4000; i++)
		report_push(&d->commands, &d->n_commands,
			    "build/bin/bitnet-bench --filter 'matmul/*' x");
	char *raw;
	cJSON *o = checkrun(d, "bitgate", &raw);
	const char *text = str_at(o, "output", "text");
	TF_CHECK(strlen(text) <= 65535, "text: %zu bytes", strlen(text));
	TF_CHECK(strstr(text, "x\n```\n\n> **\xE2\x80\xA6 report truncated:**"),
		 "fence not closed before the note:\n%s", text + strlen(text) - 300);
	char *html = report_gfm_html(text, "--extension table");
	TF_CHECK(strstr(html, "</code></pre>\n<blockquote>"), "note inside the code block");
	free(html);
	cJSON_Delete(o);
	free(raw);
	bg_decision_free(d);
}
