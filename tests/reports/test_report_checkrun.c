/* The GitHub check-run payload (report_checkrun.c): well-formed JSON and UTF-8, the summary
 * and text split where the Markdown's sections begin, GitHub's size limits kept, and a cut
 * that never breaks the Markdown. */
#include <cJSON.h>
#include <stdio.h>
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

/* bg_report_checkruns(d, name) parsed: an array, every element checked for UTF-8. */
static cJSON *checkruns(const struct bg_decision *d, const char *name, size_t want)
{
	struct bg_buf b = BG_BUF_INIT;
	TF_CHECK(bg_report_checkruns(&b, d, name) == 0, "checkruns: %s", bg_error_last());
	TF_CHECK(report_valid_utf8(bg_buf_cstr(&b)), "payloads are not UTF-8");
	cJSON *a = cJSON_Parse(bg_buf_cstr(&b));
	TF_CHECK(cJSON_IsArray(a), "not a JSON array: %.300s", bg_buf_cstr(&b));
	TF_CHECK_EQ((size_t)cJSON_GetArraySize(a), want);
	bg_buf_free(&b);
	return a;
}

TF_TEST(report__checkruns_one_per_gate)
{
	struct bg_decision *d = report_fixture_make(0);
	/* a fifth gate as an opt-in mode would add it: the names come from the decision */
	d->gates = realloc(d->gates, 5 * sizeof(*d->gates));
	TF_CHECK(d->gates, "out of memory");
	d->gates[4] = (struct bg_gate){report_dup("mode strict"), BG_GATE_SKIPPED,
				       report_dup("strict run not measured: --no-strict")};
	d->n_gates = 5;
	cJSON *a = checkruns(d, NULL, 6);
	static const char *const names[] = {"bitgate",      "bitgate/build", "bitgate/benchmarks",
					    "bitgate/perf", "bitgate/tests", "bitgate/mode strict"};
	static const char *const concl[] = {"failure", "success", "success",
					    "failure", "failure", "neutral"};
	for (int i = 0; i < 6; i++) {
		const cJSON *o = cJSON_GetArrayItem(a, i);
		TF_CHECK(!strcmp(str_at(o, "name", NULL), names[i]), "payload %d: name %s", i,
			 str_at(o, "name", NULL));
		TF_CHECK(!strcmp(str_at(o, "conclusion", NULL), concl[i]), "%s: conclusion %s",
			 names[i], str_at(o, "conclusion", NULL));
		TF_CHECK(!strcmp(str_at(o, "head_sha", NULL), d->head.sha) &&
				 !strcmp(str_at(o, "status", NULL), "completed"),
			 "%s: head_sha or status", names[i]);
		/* every payload carries the report's sections as its text */
		TF_CHECK(!strncmp(str_at(o, "output", "text"), "### Key findings", 16), "%s: text",
			 names[i]);
	}
	/* the overall payload is bg_report_checkrun's, byte for byte */
	struct bg_buf one = BG_BUF_INIT;
	TF_CHECK_EQ(bg_report_checkrun(&one, d, NULL), 0);
	char *first = cJSON_PrintUnformatted(cJSON_GetArrayItem(a, 0));
	TF_CHECK(first && !strcmp(first, bg_buf_cstr(&one)), "overall payload differs");
	free(first);
	bg_buf_free(&one);
	const cJSON *perf = cJSON_GetArrayItem(a, 3);
	TF_CHECK(!strcmp(str_at(perf, "output", "title"),
			 "perf: FAIL \xE2\x80\x94 1 slower beyond its threshold: "
			 "matmul/avx2/256x256x256"),
		 "perf title: %s", str_at(perf, "output", "title"));
	const char *summary = str_at(perf, "output", "summary");
	static const char want_summary[] = "**bitgate/perf: FAIL**\n\n1 slower beyond its "
					   "threshold: matmul/avx2/256x256x256\n\nOverall: "
					   "**bitgate: FAIL** \xE2\x80\x94 2 of 5 gates failed";
	TF_CHECK(!strncmp(summary, want_summary, strlen(want_summary)), "perf summary:\n%s",
		 summary);
	TF_CHECK(!strcmp(str_at(cJSON_GetArrayItem(a, 5), "output", "title"),
			 "mode strict: SKIPPED \xE2\x80\x94 strict run not measured: --no-strict"),
		 "skipped title");
	cJSON_Delete(a);

	/* a status gates cannot name fails its check; the prefix is the check run's name */
	d->gates[2].status = (enum bg_gate_status)7;
	a = checkruns(d, "bitgate-arm64", 6);
	TF_CHECK(!strcmp(str_at(cJSON_GetArrayItem(a, 3), "name", NULL), "bitgate-arm64/perf") &&
			 !strcmp(str_at(cJSON_GetArrayItem(a, 3), "conclusion", NULL), "failure"),
		 "unknown status");
	cJSON_Delete(a);
	bg_decision_free(d);

	/* no gates: the overall payload alone */
	struct bg_decision *z = calloc(1, sizeof(*z));
	TF_CHECK(z, "out of memory");
	z->conclusion = 2;
	a = checkruns(z, "bitgate", 1);
	TF_CHECK(!strcmp(str_at(cJSON_GetArrayItem(a, 0), "conclusion", NULL), "neutral"), "empty");
	cJSON_Delete(a);
	bg_decision_free(z);
}

TF_TEST(report__checkruns_huge_evidence)
{
	/* 100,000 3-byte characters and markup of evidence on one gate, 20,000 rows */
	struct bg_decision *d = report_fixture_make(20000);
	struct bg_buf big = BG_BUF_INIT;
	for (int i = 0; i < 20000; i++)
		TF_CHECK(bg_buf_puts(&big, "\xE6\x97\xA5\xE6\x97\xA5 <b>|`x`|\xE6\x97\xA5") == 0,
			 "oom");
	free(d->gates[3].evidence);
	d->gates[3].evidence = bg_buf_detach(&big);
	cJSON *a = checkruns(d, NULL, 5);
	for (int i = 0; i < 5; i++) {
		const cJSON *o = cJSON_GetArrayItem(a, i);
		const char *title = str_at(o, "output", "title");
		const char *summary = str_at(o, "output", "summary");
		const char *text = str_at(o, "output", "text");
		TF_CHECK(strlen(title) <= 255 && report_valid_utf8(title), "%d: title %zu bytes", i,
			 strlen(title));
		TF_CHECK(strlen(summary) <= 65535 && report_valid_utf8(summary),
			 "%d: summary %zu bytes", i, strlen(summary));
		TF_CHECK(strlen(text) <= 65535 && report_valid_utf8(text), "%d: text %zu bytes", i,
			 strlen(text));
	}
	const cJSON *tests = cJSON_GetArrayItem(a, 4);
	const char *title = str_at(tests, "output", "title");
	TF_CHECK(strlen(title) > 240 && !strcmp(title + strlen(title) - 3, "\xE2\x80\xA6"),
		 "the long title is cut with an ellipsis: %s", title);
	const char *summary = str_at(tests, "output", "summary");
	TF_CHECK(strlen(summary) > 30000 && !strstr(summary, "<b>") &&
			 strstr(summary, "\xE2\x80\xA6 (evidence cut; the full report") &&
			 strstr(summary, "\n\nOverall: **bitgate: FAIL**"),
		 "the evidence cut with a note, markup escaped, the verdict kept (%zu bytes):\n%s",
		 strlen(summary), summary + strlen(summary) - 300);
	cJSON_Delete(a);
	bg_decision_free(d);
}

TF_TEST(report__checkruns_escaping)
{
	struct bg_decision *d = report_fixture_make(0);
	free(d->gates[1].name);
	d->gates[1].name = report_dup("bench\"marks\\\x01");
	free(d->gates[1].evidence);
	d->gates[1].evidence = report_dup(HOSTILE "\n" HOSTILE2 "\x7F\xFF");
	cJSON *a = checkruns(d, "bitgate", 5);
	const cJSON *o = cJSON_GetArrayItem(a, 2);
	/* quotes and backslashes survive JSON; a control character becomes a space */
	TF_CHECK(!strcmp(str_at(o, "name", NULL), "bitgate/bench\"marks\\ "), "name: %s",
		 str_at(o, "name", NULL));
	const char *title = str_at(o, "output", "title");
	TF_CHECK(!strchr(title, '\n') && !strchr(title, '\x7F') && report_valid_utf8(title),
		 "title on one line, no control characters: %s", title);
	const char *summary = str_at(o, "output", "summary");
	TF_CHECK(!strstr(summary, "<script>") && !strstr(summary, "<img") &&
			 strstr(summary, "\\](javascript:") && !strstr(summary, "\n| x |"),
		 "hostile evidence not escaped:\n%s", summary);
	char *html = report_gfm_html(summary, "--extension table --extension autolink");
	TF_CHECK(!strstr(html, "<script") && !strstr(html, "<img") && !strstr(html, "<table") &&
			 !strstr(html, "href=\"javascript"),
		 "rendered:\n%s", html);
	free(html);
	cJSON_Delete(a);

	/* `bitgate report --format check-run` writes the array and a line break */
	const struct bg_report_writer *w = bg_report_writer_find("check-run");
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	TF_CHECK(w && f, "check-run writer");
	TF_CHECK_EQ(w->write(f, d), 0);
	fclose(f);
	struct bg_buf want = BG_BUF_INIT;
	TF_CHECK_EQ(bg_report_checkruns(&want, d, "bitgate"), 0);
	TF_CHECK(len == want.len + 1 && !strncmp(text, bg_buf_cstr(&want), want.len) &&
			 text[want.len] == '\n',
		 "writer output differs");
	free(text);
	bg_buf_free(&want);
	bg_decision_free(d);
}
