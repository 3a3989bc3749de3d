/* The report renderers on hand-built decisions: the Markdown rendered by cmark-gfm (GitHub's
 * renderer) into real tables with hostile names kept inside their cells, the check-run
 * payload within GitHub's limits, the JSON round trip, and the terminal table. */
#include <cJSON.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bg_buf.h"
#include "bg_decision.h"
#include "bg_error.h"
#include "bg_report.h"
#include "tf.h"

#define HOSTILE "evil | </table><script>alert(1)</script> [x](javascript:alert(1))"
/* more ways out of a cell: an escaped pipe, code, a new row, an autolink, an image tag */
#define HOSTILE2                                                                                   \
	"a\\|b `c|d` **bold** _em_ \n| x | y |\n http://evil.example/ www.evil.example "           \
	"<img src=x onerror=alert(1)> &lt;b&gt; ![i](javascript:x)"

static char *xdup(const char *s)
{
	char *d = bg_strdup(s);
	TF_CHECK(d, "out of memory");
	return d;
}

static void push(char ***v, size_t *n, const char *s)
{
	TF_CHECK(bg_strv_push(v, n, s) == 0, "out of memory");
}

static void set_row(struct bg_row *r, const char *name, enum bg_verdict v, double base,
		    double change, double lo, double hi)
{
	r->benchmark = xdup(name);
	r->params = xdup("threads=1");
	r->mode = xdup("default");
	r->kernel_base = xdup("avx2");
	r->kernel_head = xdup("avx2");
	r->n_base = r->n_head = 20;
	r->base_time = base;
	r->head_time = base * (1 + change);
	r->change = change;
	r->ci_lo = lo;
	r->ci_hi = hi;
	r->p = 0.0004;
	r->p_adjusted = 0.0021;
	r->threshold = 0.03;
	r->noise_floor = 0.011;
	r->detectable = fmax(fabs(lo), fabs(hi));
	r->hl_shift = base * change;
	r->gelems_head = 1.61;
	r->floor_gelems = 1.5;
	r->verdict = v;
}

/* A realistic failing CI decision: 4 gates (perf and tests fail), 6 rows with every
 * verdict, a cpu suite with a new failure and a gpu suite skipped, the strict-mode result,
 * findings and commands; extra rows named with multi-byte characters. */
static struct bg_decision *make_decision(size_t extra_rows)
{
	struct bg_decision *d = calloc(1, sizeof(*d));
	TF_CHECK(d, "out of memory");
	d->id = 7;
	d->kind = xdup("ci");
	d->created = 1795000000;
	d->base.sha = xdup("5f3c2a1b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a");
	d->base.subject = xdup("kernels: pack ternary weights 4 per byte");
	d->base.binary_hash = xdup("sha256:9e1f4c0a7b2d");
	d->base.kernels = xdup("avx2,ref");
	d->base.run_id = 12;
	d->head.sha = xdup("9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b");
	d->head.subject = xdup("matmul: unroll the avx2 inner loop");
	d->head.binary_hash = NULL; /* unknown */
	d->head.kernels = xdup("avx2");
	d->head.dispatch = xdup("cpu_class zen3, gemm avx2, gemv avx2, quant avx2, lm_head avx2");
	d->head.run_id = 13;
	d->machine = xdup("AMD EPYC 7B13, 2 CPUs, Linux 6.1.0-18-amd64 [3f2a9c]");
	d->fingerprint = xdup("3f2a9c7d1e");
	push(&d->commands, &d->n_commands, "bitgate ci --base origin/main --head HEAD");
	push(&d->commands, &d->n_commands, "build/bin/bitnet-bench --format json --rounds 10");
	push(&d->commands, &d->n_commands, "ctest --test-dir build -LE gpu --output-junit cpu.xml");

	d->n_gates = 4;
	d->gates = calloc(4, sizeof(*d->gates));
	TF_CHECK(d->gates, "out of memory");
	static const char *const gates[][2] = {
		{"build", "compiled base 5f3c2a1 and head 9a8b7c6 (Release, 212 s)"},
		{"benchmarks", "6/6 benchmarks ran; outputs checked against ref"},
		{"perf", "1 slower beyond its threshold: matmul/avx2/256x256x256"},
		{"tests", "cpu: 1 new failure (test_matmul__avx2_tail)"},
	};
	for (size_t i = 0; i < 4; i++) {
		d->gates[i].name = xdup(gates[i][0]);
		d->gates[i].evidence = xdup(gates[i][1]);
		d->gates[i].status = i < 2 ? BG_GATE_PASS : BG_GATE_FAIL;
	}

	d->n_rows = 6 + extra_rows;
	d->rows = calloc(d->n_rows, sizeof(*d->rows));
	TF_CHECK(d->rows, "out of memory");
	set_row(&d->rows[0], "matmul/avx2/64x64x64", BG_VERDICT_NO_CHANGE, 130520, -0.004, -0.012,
		0.008);
	d->rows[0].noise_floor = -1; /* no history */
	d->rows[0].gelems_head = -1;
	d->rows[0].floor_gelems = -1;
	set_row(&d->rows[1], "matmul/avx2/256x256x256", BG_VERDICT_SLOWER, 10.42e6, 0.073, 0.051,
		0.096);
	set_row(&d->rows[2], "gemv/avx2/2560x6912", BG_VERDICT_FASTER, 812.5, -0.125, -0.15, -0.1);
	set_row(&d->rows[3], "quant/avx2/4096", BG_VERDICT_NOISY, 4100, 0.021, -0.04, 0.083);
	set_row(&d->rows[4], "e2e/bitnet-2b/decode", BG_VERDICT_MISSING, 2.1e9, NAN, NAN, NAN);
	d->rows[4].n_head = 0;
	d->rows[4].head_time = NAN;
	d->rows[4].p = d->rows[4].p_adjusted = d->rows[4].detectable = NAN;
	d->rows[4].hl_shift = NAN;
	d->rows[4].gelems_head = -1;
	free(d->rows[4].kernel_head);
	d->rows[4].kernel_head = NULL;
	set_row(&d->rows[5], "matmul/avx2/256x256x256", BG_VERDICT_NO_CHANGE, 10.5e6, 0.0004,
		-0.002, 0.003);
	free(d->rows[5].mode);
	d->rows[5].mode = xdup("strict");
	free(d->rows[5].kernel_head);
	d->rows[5].kernel_head = xdup("avx512");
	for (size_t i = 0; i < extra_rows; i++) {
		char name[128];
		/* 2-, 3- and 4-byte characters, so a careless cut could split one */
		snprintf(name, sizeof(name),
			 "matmul/\xC3\xB1\xC3\xB1/\xE6\x97\xA5\xE6\x9C\xAC/\xF0\x9F\x9A\x80/%zu",
			 i);
		set_row(&d->rows[6 + i], name, (enum bg_verdict)(i % 5), 1000 + (double)i, 0.01,
			-0.01, 0.03);
	}

	d->n_suites = 2;
	d->suites = calloc(2, sizeof(*d->suites));
	TF_CHECK(d->suites, "out of memory");
	struct bg_suite_cmp *cpu = &d->suites[0], *gpu = &d->suites[1];
	cpu->suite = xdup("cpu");
	cpu->base_passed = 906, cpu->base_total = 907;
	cpu->head_passed = 905, cpu->head_failed = 2, cpu->head_skipped = 0;
	cpu->head_total = 907;
	cpu->pass_rate = 905.0 / 907;
	cpu->floor = 0.999;
	push(&cpu->new_failures, &cpu->n_new_failures, "test_matmul__avx2_tail");
	gpu->suite = xdup("gpu");
	gpu->pass_rate = NAN;
	gpu->floor = 0.999;
	gpu->skipped = xdup("no CUDA device");

	d->strict.measured = 1;
	d->strict.overhead = 0.0042;
	d->strict.lo = -0.001;
	d->strict.hi = 0.0095;
	d->strict.limit = 0.01;
	d->strict.n_benchmarks = 12;
	d->strict.run_id = 14;

	push(&d->findings, &d->n_findings,
	     "matmul/avx2/256x256x256 is 7.3% slower [+5.1%, +9.6%], beyond its 3.0% threshold");
	push(&d->findings, &d->n_findings, "1 new test failure in cpu: test_matmul__avx2_tail");
	push(&d->findings, &d->n_findings, "e2e/bitnet-2b/decode has no samples on head");
	d->rounds = 10;
	d->alpha = 0.05;
	d->conclusion = 1;
	d->method = xdup("Medians of per-iteration times from 10 interleaved rounds per side; "
			 "95% intervals of the change by bootstrap; Mann-Whitney U p-values, "
			 "Holm-adjusted over the table.");
	return d;
}

static char *markdown(const struct bg_decision *d)
{
	struct bg_buf b = BG_BUF_INIT;
	TF_CHECK(bg_report_markdown(&b, d) == 0, "markdown: %s", bg_error_last());
	return bg_buf_detach(&b);
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* cmark-gfm's HTML for md (GitHub's renderer and its table extension), or a skip. */
static char *render(const char *md, const char *flags)
{
	if (system("command -v cmark-gfm >/dev/null 2>&1") != 0)
		TF_SKIP("cmark-gfm is not installed (scripts/bootstrap installs it)");
	char path[] = "/tmp/bg_report_XXXXXX";
	int fd = mkstemp(path);
	TF_CHECK(fd >= 0, "mkstemp failed");
	FILE *f = fdopen(fd, "w");
	TF_CHECK(f && fputs(md, f) >= 0 && fclose(f) == 0, "cannot write %s", path);
	struct bg_buf cmd = BG_BUF_INIT, html = BG_BUF_INIT;
	TF_CHECK(bg_buf_printf(&cmd, "cmark-gfm %s '%s'", flags, path) == 0, "oom");
	FILE *p = popen(bg_buf_cstr(&cmd), "r");
	TF_CHECK(p, "cannot run %s", bg_buf_cstr(&cmd));
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0)
		TF_CHECK(bg_buf_put(&html, chunk, n) == 0, "oom");
	int status = pclose(p);
	unlink(path);
	TF_CHECK(status == 0, "%s exited with %d", bg_buf_cstr(&cmd), status);
	bg_buf_free(&cmd);
	TF_CHECK(bg_buf_puts(&html, "") == 0, "oom");
	return bg_buf_detach(&html);
}

/* Checks that every row of the k-th table (from 0) of html has cols cells; returns its
 * header row's HTML (borrowed up to the first </tr>) start. */
static const char *check_table(const char *html, size_t k, size_t cols)
{
	const char *t = html;
	for (size_t i = 0; i <= k; i++) {
		t = strstr(t, "<table>");
		TF_CHECK(t, "table %zu missing", k);
		t += 7;
	}
	const char *end = strstr(t, "</table>");
	TF_CHECK(end, "table %zu not closed", k);
	size_t rows = 0;
	for (const char *r = strstr(t, "<tr>"); r && r < end; r = strstr(r + 4, "<tr>")) {
		const char *re = strstr(r, "</tr>");
		TF_CHECK(re && re < end, "row not closed");
		size_t cells = 0;
		for (const char *c = r; c < re; c++)
			cells += !strncmp(c, "<td", 3) || !strncmp(c, "<th", 3);
		TF_CHECK(cells == cols, "table %zu row %zu has %zu cells, want %zu: %.*s", k, rows,
			 cells, cols, (int)(re - r), r);
		rows++;
	}
	TF_CHECK(rows >= 2, "table %zu has %zu rows", k, rows);
	return t;
}

static int valid_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		size_t n = *p < 0x80             ? 1
			   : (*p & 0xE0) == 0xC0 ? 2
			   : (*p & 0xF0) == 0xE0 ? 3
			   : (*p & 0xF8) == 0xF0 ? 4
						 : 0;
		if (!n || (n == 2 && *p < 0xC2))
			return 0;
		for (size_t i = 1; i < n; i++)
			if ((p[i] & 0xC0) != 0x80)
				return 0;
		p += n;
	}
	return 1;
}

TF_TEST(report__markdown_verdict_first)
{
	struct bg_decision *d = make_decision(0);
	char *md = markdown(d);
	const char *want = "**bitgate: FAIL** \xE2\x80\x94 2 of 4 gates failed (perf: "
			   "matmul/avx2/256x256x256 +7.3% slower; tests: cpu: 1 new failure "
			   "(test\\_matmul\\_\\_avx2\\_tail))\n";
	TF_CHECK(!strncmp(md, want, strlen(want)), "first line: %.*s", (int)strcspn(md, "\n"), md);
	free(md);

	for (size_t i = 0; i < 4; i++)
		d->gates[i].status = BG_GATE_PASS;
	d->conclusion = 0;
	md = markdown(d);
	want = "**bitgate: PASS** \xE2\x80\x94 all 4 gates passed\n";
	TF_CHECK(!strncmp(md, want, strlen(want)), "first line: %.*s", (int)strcspn(md, "\n"), md);
	free(md);

	d->gates[3].status = BG_GATE_SKIPPED;
	free(d->gates[3].evidence);
	d->gates[3].evidence = xdup("no CUDA device");
	d->conclusion = 2;
	md = markdown(d);
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
	struct bg_decision *d = make_decision(0);
	char *md = markdown(d);
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
	TF_CHECK(strstr(md, "**+0.42%** [-0.10%, +0.95%]"), "strict overhead:\n%s", md);
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
	d->strict.measured = 0;
	d->strict.skipped = xdup("the strict build failed");
	md = markdown(d);
	TF_CHECK(strstr(md, "### Strict-mode overhead\n\n\xE2\x9A\xAA not measured: the strict "
			    "build failed\n"),
		 "strict not measured:\n%s", md);
	TF_CHECK(!strstr(md, "strict 14"), "an unmeasured strict run is cited as evidence");
	const char *sections[] = {"### Key findings",         "### Benchmarks",
				  "### Strict-mode overhead", "### Tests",
				  "### Evidence trail",       "### Method"};
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
	struct bg_decision *d = make_decision(0);
	char *md = markdown(d);
	char *html = render(md, "--extension table");
	TF_CHECK(count(html, "<table>") == 3 && count(html, "</table>") == 3,
		 "want 3 tables (gates, benchmarks, tests):\n%s", html);
	const char *gates = check_table(html, 0, 3);
	TF_CHECK(!strncmp(strstr(gates, "<tr>"),
			  "<tr>\n<th>Gate</th>\n<th>Status</th>\n<th>Evidence</th>\n</tr>", 56),
		 "gates header:\n%s", gates);
	check_table(html, 1, 11);
	check_table(html, 2, 6);
	TF_CHECK(count(html, "<li>") == 3 + 5 + 2, "findings and evidence lists:\n%s", html);
	TF_CHECK(strstr(html, "<p><strong>bitgate: FAIL</strong>"), "verdict paragraph:\n%s", html);
	TF_CHECK(strstr(html, "<pre><code class=\"language-sh\">bitgate ci"), "commands block");
	free(html);
	free(md);
	bg_decision_free(d);
}

TF_TEST(report__markdown_hostile_text)
{
	struct bg_decision *d = make_decision(0);
	free(d->head.subject);
	d->head.subject = xdup(HOSTILE);
	free(d->rows[1].benchmark);
	d->rows[1].benchmark = xdup(HOSTILE);
	free(d->rows[2].benchmark);
	d->rows[2].benchmark = xdup(HOSTILE2);
	free(d->gates[1].evidence);
	d->gates[1].evidence = xdup(HOSTILE2);
	free(d->suites[0].new_failures[0]);
	d->suites[0].new_failures[0] = xdup(HOSTILE);
	push(&d->suites[0].new_failures, &d->suites[0].n_new_failures, HOSTILE2);
	free(d->findings[0]);
	d->findings[0] = xdup("# " HOSTILE2);
	char *md = markdown(d);
	static const char *const modes[] = {"--extension table", "--unsafe --extension table",
					    "--unsafe --extension table --extension autolink "
					    "--extension strikethrough --extension tagfilter"};
	for (size_t m = 0; m < 3; m++) {
		char *html = render(md, modes[m]);
		TF_CHECK(count(html, "<table>") == 3 && count(html, "</table>") == 3,
			 "%s: want 3 tables:\n%s", modes[m], html);
		check_table(html, 0, 3);
		check_table(html, 1, 11);
		check_table(html, 2, 6);
		TF_CHECK(!strstr(html, "<script") && !strstr(html, "<img") &&
				 !strstr(html, "<a href") && !strstr(html, "<strong>bold") &&
				 !strstr(html, "<code>c") && !strstr(html, "<h1") &&
				 !strstr(html, "<!-- raw HTML omitted -->"),
			 "%s: markup got through:\n%s", modes[m], html);
		/* the text itself is all there, shown literally */
		TF_CHECK(count(html, "evil | &lt;/table&gt;&lt;script&gt;alert(1)&lt;/script&gt; "
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

static cJSON *checkrun(const struct bg_decision *d, const char *name, char **text)
{
	struct bg_buf b = BG_BUF_INIT;
	TF_CHECK(bg_report_checkrun(&b, d, name) == 0, "checkrun: %s", bg_error_last());
	TF_CHECK(valid_utf8(bg_buf_cstr(&b)), "payload is not UTF-8");
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
	struct bg_decision *d = make_decision(0);
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
	char *md = markdown(d);
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
	struct bg_decision *d = make_decision(20000);
	/* and a title far past 255 bytes, made of 3-byte characters */
	struct bg_buf longname = BG_BUF_INIT;
	for (int i = 0; i < 200; i++)
		TF_CHECK(bg_buf_puts(&longname, "\xE6\x97\xA5") == 0, "oom");
	free(d->gates[2].evidence);
	d->gates[2].evidence = bg_buf_detach(&longname);
	free(d->gates[2].name);
	d->gates[2].name = xdup("throughput");
	char *raw;
	cJSON *o = checkrun(d, "bitgate", &raw);
	const char *title = str_at(o, "output", "title");
	const char *summary = str_at(o, "output", "summary"), *text = str_at(o, "output", "text");
	TF_CHECK(strlen(title) <= 255 && valid_utf8(title), "title: %zu bytes", strlen(title));
	TF_CHECK(strlen(summary) <= 65535 && valid_utf8(summary), "summary: %zu bytes",
		 strlen(summary));
	TF_CHECK(strlen(text) <= 65535 && valid_utf8(text), "text: %zu bytes", strlen(text));
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
	struct bg_decision *d = make_decision(0);
	for (int i = 0; i < 4000; i++)
		push(&d->commands, &d->n_commands, "build/bin/bitnet-bench --filter 'matmul/*' x");
	char *raw;
	cJSON *o = checkrun(d, "bitgate", &raw);
	const char *text = str_at(o, "output", "text");
	TF_CHECK(strlen(text) <= 65535, "text: %zu bytes", strlen(text));
	TF_CHECK(strstr(text, "x\n```\n\n> **\xE2\x80\xA6 report truncated:**"),
		 "fence not closed before the note:\n%s", text + strlen(text) - 300);
	char *html = render(text, "--extension table");
	TF_CHECK(strstr(html, "</code></pre>\n<blockquote>"), "note inside the code block");
	free(html);
	cJSON_Delete(o);
	free(raw);
	bg_decision_free(d);
}

TF_TEST(report__json_round_trip)
{
	struct bg_decision *d = make_decision(3);
	d->rows[0].change = 1.0 / 3;              /* needs all 17 digits */
	d->rows[0].hl_shift = -0.0;               /* sign of zero */
	d->rows[1].p = 5e-324;                    /* smallest subnormal */
	d->head.run_id = (INT64_C(1) << 60) + 1;  /* beyond a double's integers */
	d->base.run_id = -(INT64_C(1) << 53) - 1; /* just beyond */
	d->strict.lo = INFINITY;                  /* non-finite: null, read back as NAN */
	free(d->base.kernels);
	d->base.kernels = xdup(""); /* empty and NULL stay apart */
	free(d->head.subject);
	d->head.subject = xdup(HOSTILE "\n\"quoted\" \xF0\x9F\x9A\x80");
	char *a, *b;
	TF_CHECK(bg_decision_to_json(d, &a) == 0, "to_json: %s", bg_error_last());
	struct bg_decision *e;
	TF_CHECK(bg_decision_from_json(&e, a, strlen(a), "test") == 0, "from_json: %s",
		 bg_error_last());
	TF_CHECK(bg_decision_to_json(e, &b) == 0, "to_json: %s", bg_error_last());
	TF_CHECK(!strcmp(a, b), "round trip differs:\n%s\n%s", a, b);
	TF_CHECK(e->rows[0].change == 1.0 / 3, "1/3 lost bits");
	TF_CHECK(e->rows[0].hl_shift == 0 && signbit(e->rows[0].hl_shift), "-0 lost its sign");
	TF_CHECK(e->rows[1].p == 5e-324, "subnormal lost");
	TF_CHECK(e->head.run_id == (INT64_C(1) << 60) + 1, "int64 lost: %lld",
		 (long long)e->head.run_id);
	TF_CHECK(e->base.run_id == -(INT64_C(1) << 53) - 1, "int64 lost");
	TF_CHECK(isnan(e->strict.lo) && isnan(e->rows[4].head_time), "non-finite must read NAN");
	TF_CHECK(e->head.binary_hash == NULL && e->base.kernels && !*e->base.kernels,
		 "NULL and empty strings");
	TF_CHECK(!strcmp(e->head.subject, d->head.subject), "subject");
	TF_CHECK(e->head.dispatch && !strcmp(e->head.dispatch, d->head.dispatch) &&
			 !e->base.dispatch,
		 "dispatch");
	TF_CHECK(e->n_rows == 9 && e->n_gates == 4 && e->n_suites == 2 &&
			 e->suites[0].n_new_failures == 1 && e->n_commands == 3 &&
			 e->n_findings == 3 && e->rows[1].verdict == BG_VERDICT_SLOWER &&
			 e->gates[2].status == BG_GATE_FAIL && e->conclusion == 1 &&
			 !strcmp(e->suites[1].skipped, "no CUDA device"),
		 "fields differ");
	/* an empty decision too */
	struct bg_decision *z = calloc(1, sizeof(*z)), *y;
	char *c, *c2;
	TF_CHECK(z && bg_decision_to_json(z, &c) == 0, "to_json empty");
	TF_CHECK(bg_decision_from_json(&y, c, strlen(c), "empty") == 0, "from_json empty: %s",
		 bg_error_last());
	TF_CHECK(bg_decision_to_json(y, &c2) == 0 && !strcmp(c, c2), "empty round trip");
	free(c);
	free(c2);
	bg_decision_free(y);
	bg_decision_free(z);
	free(a);
	free(b);
	bg_decision_free(e);
	bg_decision_free(d);
}

TF_TEST(report__json_malformed)
{
	struct bg_decision *d = make_decision(0);
	char *good;
	TF_CHECK(bg_decision_to_json(d, &good) == 0, "to_json");
	bg_decision_free(d);
	static const char *const bad[] = {
		"",
		"{",
		"[]",
		"null",
		"{}",
		"{\"schema\":\"bitgate-decision/2\"}",
		"{\"schema\":\"bitgate-decision/1\"}", /* no base */
		"{\"schema\":\"bitgate-decision/1\",\"base\":{},\"head\":{},\"strict\":{},"
		"\"conclusion\":\"maybe\"}",
		"{\"schema\":\"bitgate-decision/1\",\"base\":{\"run_id\":1.5},\"head\":{},"
		"\"strict\":{},\"conclusion\":\"success\"}",
		"{\"schema\":\"bitgate-decision/1\",\"base\":{},\"head\":{},\"strict\":{},"
		"\"conclusion\":\"success\",\"rows\":[{\"verdict\":\"slower\",\"change\":\"7%\"}]}",
		"{\"schema\":\"bitgate-decision/1\",\"base\":{},\"head\":{},\"strict\":{},"
		"\"conclusion\":\"success\",\"rows\":[{\"verdict\":\"worse\"}]}",
		"{\"schema\":\"bitgate-decision/1\",\"base\":{},\"head\":{},\"strict\":{},"
		"\"conclusion\":\"success\",\"gates\":[{\"status\":\"pass\"}, 3]}",
		"{\"schema\":\"bitgate-decision/1\",\"base\":{},\"head\":{},\"strict\":{},"
		"\"conclusion\":\"success\",\"suites\":[{\"new_failures\":[1]}]}",
		"{\"schema\":\"bitgate-decision/1\",\"base\":{},\"head\":{},\"strict\":{},"
		"\"conclusion\":\"success\",\"rows\":[{\"verdict\":\"slower\",\"n_base\":-1}]}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		struct bg_decision *e = (struct bg_decision *)1;
		int err = bg_decision_from_json(&e, bad[i], strlen(bad[i]), "decision.json");
		TF_CHECK(err == BG_EINPUT, "case %zu (%s): %d", i, bad[i], err);
		TF_CHECK(e == NULL, "case %zu: out not cleared", i);
		TF_CHECK(strstr(bg_error_last(), "decision.json: "), "case %zu: message %s", i,
			 bg_error_last());
	}
	/* the minimal valid document, to show the cases above fail for their own reason */
	const char *min = "{\"schema\":\"bitgate-decision/1\",\"base\":{},\"head\":{},"
			  "\"strict\":{},\"conclusion\":\"success\"}";
	struct bg_decision *e;
	TF_CHECK(bg_decision_from_json(&e, min, strlen(min), "min") == 0, "%s", bg_error_last());
	bg_decision_free(e);
	/* a good document cut short, or with trailing data, is malformed */
	size_t n = strlen(good);
	TF_CHECK(bg_decision_from_json(&e, good, n - 1, "cut") == BG_EINPUT, "truncated accepted");
	good[n - 1] = '\0';
	struct bg_buf t = BG_BUF_INIT;
	TF_CHECK(bg_buf_printf(&t, "%s}}", good) == 0, "oom");
	TF_CHECK(bg_decision_from_json(&e, t.ptr, t.len, "trailing") == BG_EINPUT,
		 "trailing data accepted");
	bg_buf_free(&t);
	free(good);
}

TF_TEST(report__terminal_table)
{
	struct bg_decision *d = make_decision(0);
	free(d->rows[3].benchmark);
	d->rows[3].benchmark = xdup("quant/\x1b[31mred\x1b[0m");
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	TF_CHECK(f, "open_memstream");
	bg_report_table(f, d);
	fclose(f);
	const char *want[] = {"benchmark", "base median", "head median", "change %", "95% CI",
			      "threshold", "verdict",     "gate",        "status",   "evidence"};
	for (size_t i = 0; i < sizeof(want) / sizeof(*want); i++)
		TF_CHECK(strstr(text, want[i]), "header %s missing:\n%s", want[i], text);
	for (size_t i = 0; i < d->n_rows; i++) {
		if (i == 3)
			continue;
		TF_CHECK(strstr(text, d->rows[i].benchmark), "row %s missing:\n%s",
			 d->rows[i].benchmark, text);
	}
	for (int v = 0; v < 5; v++)
		TF_CHECK(strstr(text, bg_verdict_name((enum bg_verdict)v)), "verdict %s missing",
			 bg_verdict_name((enum bg_verdict)v));
	TF_CHECK(strstr(text, "quant/?[31mred?[0m") && !strchr(text, '\x1b'),
		 "escape sequence reached the terminal:\n%s", text);
	TF_CHECK(strstr(text, "+7.3%") && strstr(text, "[+5.1%, +9.6%]") &&
			 strstr(text, "\xC2\xB1"
				      "3.0%") &&
			 strstr(text, "10.42 ms"),
		 "figures:\n%s", text);
	TF_CHECK(strstr(text, "perf") && strstr(text, "fail") && !strstr(text, "nan"), "gates:\n%s",
		 text);
	free(text);
	bg_decision_free(d);
}
