/* The Markdown report (report_md.c) on the hand-made decision: the verdict first, the
 * figures, real tables when cmark-gfm (GitHub's renderer) renders it, hostile names kept
 * inside their cells, and the cell escaping. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bg_buf.h"
#include "bg_decision.h"
#include "bg_report.h"
#include "report_fixture.h"
#include "tf.h"

TF_TEST(report__markdown_verdict_first)
{
	struct bg_decision *d = report_fixture_make(0);
	char *md = report_markdown(d);
	const char *want = "**bitgate: FAIL** \xE2\x80\x94 2 of 4 gates failed (perf: "
			   "matmul/avx2/256x256x256 +7.3% slower; tests: cpu: 1 new failure "
			   "(test\\_matmul\\_\\_avx2\\_tail))\n";
	TF_CHECK(!strncmp(md, want, strlen(want)), "first line: %.*s", (int)strcspn(md, "\n"), md);
	free(md);

	for (size_t i = 0; i < 4; i++)
		d->gates[i].status = BG_GATE_PASS;
	d->conclusion = 0;
	md = report_markdown(d);
	want = "**bitgate: PASS** \xE2\x80\x94 all 4 gates passed\n";
	TF_CHECK(!strncmp(md, want, strlen(want)), "first line: %.*s", (int)strcspn(md, "\n"), md);
	free(md);

	d->gates[3].status = BG_GATE_SKIPPED;
	free(d->gates[3].evidence);
	d->gates[3].evidence = report_dup("no CUDA device");
	d->conclusion = 2;
	md = report_markdown(d);
	want = "**bitgate: NEUTRAL** \xE2\x80\x94 3 of 4 gates passed, 1 skipped (tests: no CUDA "
	       "device)\n";
	TF_CHECK(!strncmp(md, want, strlen(want)), "first line: %.*s", (int)strcspn(md, "\n"), md);
	TF_CHECK(strstr(md, "| **tests** | \xE2\x9A\xAA skipped (no CUDA device) |"),
		 "skipped gate row:\n%s", md);
	free(md);
	bg_decision_free(d);
}

TF_TEST(report__markdown_figures)
{
	struct bg_decision *d = report_fixture_make(0);
	char *md = report_markdown(d);
	/* the slower row: medians with units, signed change, interval, threshold, noise */
	TF_CHECK(strstr(md, "| matmul/avx2/256x256x256 \xC2\xB7 threads=1 | avx2 | 10.42 ms | "
			    "11.18 ms | +7.3% | [+5.1%, +9.6%] | \xC2\xB1"
			    "3.0% (noise 1.1%) | 9.6% | 0.002 | 1.61 (floor 1.50) | "),
		 "slower row:\n%s", md);
	/* no history and no throughput: the unknowns are dashes, never nan */
	TF_CHECK(strstr(md, "| -0.40% | [-1.2%, +0.8%] | \xC2\xB1"
			    "3.0% | 1.2% | 0.002 | \xE2\x80\x94 | "),
		 "no-change row:\n%s", md);
	TF_CHECK(strstr(md, "missing (no samples on head)"), "missing row not explained:\n%s", md);
	TF_CHECK(strstr(md, "avx2 \xE2\x86\x92 avx512"), "kernel change not shown");
	TF_CHECK(!strstr(md, "nan") && !strstr(md, "NAN") && !strstr(md, "inf"),
		 "a non-finite figure leaked:\n%s", md);
	/* the slower row comes first in the table, ahead of the no-change one before it */
	TF_CHECK(strstr(md, "| matmul/avx2/256x256x256 \xC2\xB7 threads=1 | avx2 | 10.42") <
			 strstr(md, "| matmul/avx2/64x64x64"),
		 "rows not ordered by importance");
	TF_CHECK(strstr(md, "| cpu | 906/907 | 905/907 (2 failed, 0 skipped) | 99.78% | 99.90% "
			    "| **1:** test\\_matmul\\_\\_avx2\\_tail |"),
		 "cpu suite row:\n%s", md);
	TF_CHECK(strstr(md, "- **strict** (`BITNET_STRICT_MODE=1`): against the default mode "
			    "**+0.42%** [-0.10%, +0.95%]"),
		 "strict overhead:\n%s", md);
	TF_CHECK(strstr(md, ", strict 14\n"), "the mode's run not in the evidence:\n%s", md);
	TF_CHECK(strstr(md, "`5f3c2a1b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a`") &&
			 strstr(md, "`sha256:9e1f4c0a7b2d`") && strstr(md, "hash unknown") &&
			 strstr(md, "```sh\nbitgate ci --base origin/main --head HEAD\n"),
		 "evidence trail:\n%s", md);
	/* the head's kernel per operation, as its bench program reported it; none for base */
	TF_CHECK(strstr(md, "kernels avx2; dispatch cpu\\_class zen3, gemm avx2, gemv avx2, "
			    "quant avx2, lm\\_head avx2\n"),
		 "dispatch:\n%s", md);
	TF_CHECK(!strstr(md, "avx2,ref; dispatch"), "a dispatch claimed for base:\n%s", md);
	free(md);
	/* what was not measured says why */
	d->modes[0].measured = 0;
	d->modes[0].run_id = 0;
	d->modes[0].skipped = report_dup("the strict build failed");
	md = report_markdown(d);
	TF_CHECK(strstr(md, "### Opt-in modes: overhead\n\n- **strict** (`BITNET_STRICT_MODE=1`): "
			    "\xE2\x9A\xAA not measured: the strict build failed\n"),
		 "strict not measured:\n%s", md);
	TF_CHECK(!strstr(md, "strict 14"), "an unmeasured strict run is cited as evidence");
	const char *sections[] = {"### Key findings",           "### Benchmarks",
				  "### Opt-in modes: overhead", "### Tests",
				  "### Evidence trail",         "### Method"};
	const char *prev = md;
	for (size_t i = 0; i < 6; i++) {
		const char *s = strstr(md, sections[i]);
		TF_CHECK(s && s > prev, "section %s missing or out of order", sections[i]);
		prev = s;
	}
	free(md);
	bg_decision_free(d);
}

TF_TEST(report__markdown_renders_tables)
{
	struct bg_decision *d = report_fixture_make(0);
	char *md = report_markdown(d);
	char *html = report_gfm_html(md, "--extension table");
	TF_CHECK(report_count(html, "<table>") == 3 && report_count(html, "</table>") == 3,
		 "want 3 tables (gates, benchmarks, tests):\n%s", html);
	const char *gates = report_check_table(html, 0, 3);
	TF_CHECK(!strncmp(strstr(gates, "<tr>"),
			  "<tr>\n<th>Gate</th>\n<th>Status</th>\n<th>Evidence</th>\n</tr>", 56),
		 "gates header:\n%s", gates);
	report_check_table(html, 1, 11);
	report_check_table(html, 2, 6);
	TF_CHECK(report_count(html, "<li>") == 3 + 1 + 5 + 2,
		 "findings, modes and evidence lists:\n%s", html);
	TF_CHECK(strstr(html, "<p><strong>bitgate: FAIL</strong>"), "verdict paragraph:\n%s", html);
	TF_CHECK(strstr(html, "<pre><code class=\"language-sh\">bitgate ci"), "commands block");
	free(html);
	free(md);
	bg_decision_free(d);
}

TF_TEST(report__markdown_hostile_text)
{
	struct bg_decision *d = report_fixture_make(0);
	free(d->head.subject);
	d->head.subject = report_dup(HOSTILE);
	free(d->rows[1].benchmark);
	d->rows[1].benchmark = report_dup(HOSTILE);
	free(d->rows[2].benchmark);
	d->rows[2].benchmark = report_dup(HOSTILE2);
	free(d->gates[1].evidence);
	d->gates[1].evidence = report_dup(HOSTILE2);
	free(d->suites[0].new_failures[0]);
	d->suites[0].new_failures[0] = report_dup(HOSTILE);
	report_push(&d->suites[0].new_failures, &d->suites[0].n_new_failures, HOSTILE2);
	free(d->findings[0]);
	d->findings[0] = report_dup("# " HOSTILE2);
	char *md = report_markdown(d);
	static const char *const modes[] = {"--extension table", "--unsafe --extension table",
					    ("--unsafe --extension table --extension autolink "
					     "--extension strikethrough --extension tagfilter")};
	for (size_t m = 0; m < 3; m++) {
		char *html = report_gfm_html(md, modes[m]);
		TF_CHECK(report_count(html, "<table>") == 3 && report_count(html, "</table>") == 3,
			 "%s: want 3 tables:\n%s", modes[m], html);
		report_check_table(html, 0, 3);
		report_check_table(html, 1, 11);
		report_check_table(html, 2, 6);
		TF_CHECK(!strstr(html, "<script") && !strstr(html, "<img") &&
				 !strstr(html, "<a href") && !strstr(html, "<strong>bold") &&
				 !strstr(html, "<code>c") && !strstr(html, "<h1") &&
				 !strstr(html, "<!-- raw HTML omitted -->"),
			 "%s: markup got through:\n%s", modes[m], html);
		/* the text itself is all there, shown literally */
		TF_CHECK(report_count(html,
				      "evil | &lt;/table&gt;&lt;script&gt;alert(1)&lt;/script&gt; "
				      "[x](javascript:alert(1))") == 4,
			 "%s: hostile text not shown literally:\n%s", modes[m], html);
		TF_CHECK(strstr(html, "a\\|b `c|d` **bold** _em_ | x | y | http://evil.example/ "
				      "www.evil.example &lt;img src=x onerror=alert(1)&gt; "
				      "&amp;lt;b&amp;gt; ![i](javascript:x)"),
			 "%s: second hostile text not shown literally:\n%s", modes[m], html);
		free(html);
	}
	free(md);
	bg_decision_free(d);
}

TF_TEST(report__escape_cell)
{
	struct bg_buf b = BG_BUF_INIT;
	TF_CHECK(bg_md_escape_cell(&b, "  a|b\\c`d*e_f[g]h<i>j&k~l\r\nm\tn  ") == 0, "escape");
	TF_CHECK(!strcmp(bg_buf_cstr(&b), "a\\|b\\\\c\\`d\\*e\\_f\\[g\\]h&lt;i&gt;j&amp;k\\~l m n"),
		 "got %s", bg_buf_cstr(&b));
	bg_buf_clear(&b);
	/* block markers only where the text starts; malformed UTF-8 and bidi overrides */
	TF_CHECK(bg_md_escape_cell(&b, "1. - x \xFF\xE2\x80\xAE y \xC3\xA9") == 0, "escape");
	TF_CHECK(!strcmp(bg_buf_cstr(&b), "1\\. - x \xEF\xBF\xBD\xEF\xBF\xBD y \xC3\xA9"), "got %s",
		 bg_buf_cstr(&b));
	bg_buf_clear(&b);
	TF_CHECK(bg_md_escape_cell(&b, "- see https://x.example and www.x.example") == 0, "escape");
	TF_CHECK(!strcmp(bg_buf_cstr(&b), "\\- see https\\://x.example and www\\.x.example"),
		 "got %s", bg_buf_cstr(&b));
	bg_buf_clear(&b);
	TF_CHECK(bg_md_escape_cell(&b, NULL) == 0 && b.len == 0, "NULL is empty");
	bg_buf_free(&b);
}

/* A project that declares no opt-in mode gets no such section: nothing is claimed for a mode
 * it does not have. */
TF_TEST(report__markdown_without_modes)
{
	struct bg_decision *d = report_fixture_make(0);
	for (size_t i = 0; i < d->n_modes; i++) {
		free(d->modes[i].name);
		free(d->modes[i].env);
		free(d->modes[i].skipped);
	}
	free(d->modes);
	d->modes = NULL;
	d->n_modes = 0;
	char *md = report_markdown(d);
	TF_CHECK(!strstr(md, "Opt-in modes") && !strstr(md, "overhead"), "a mode claimed:\n%s", md);
	TF_CHECK(strstr(md, "### Tests"), "report cut short:\n%s", md);
	free(md);
	bg_decision_free(d);
}
