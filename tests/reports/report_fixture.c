/* The hand-made decision and shared checks of report_fixture.h. */
#include "report_fixture.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bg_buf.h"
#include "bg_error.h"
#include "bg_report.h"
#include "tf.h"

char *report_dup(const char *s)
{
	char *d = bg_strdup(s);
	TF_CHECK(d, "out of memory");
	return d;
}

void report_push(char ***v, size_t *n, const char *s)
{
	TF_CHECK(bg_strv_push(v, n, s) == 0, "out of memory");
}

static void set_row(struct bg_row *r, const char *name, enum bg_verdict v, double base,
		    double change, double lo, double hi)
{
	r->benchmark = report_dup(name);
	r->params = report_dup("threads=1");
	r->mode = report_dup("default");
	r->kernel_base = report_dup("avx2");
	r->kernel_head = report_dup("avx2");
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

/* Both sides, the machine and the commands. */
static void fixture_sides(struct bg_decision *d)
{
	d->id = 7;
	d->kind = report_dup("ci");
	d->created = 1795000000;
	d->base.sha = report_dup("5f3c2a1b9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a");
	d->base.subject = report_dup("kernels: pack ternary weights 4 per byte");
	d->base.binary_hash = report_dup("sha256:9e1f4c0a7b2d");
	d->base.kernels = report_dup("avx2,ref");
	d->base.run_id = 12;
	d->head.sha = report_dup("9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b");
	d->head.subject = report_dup("matmul: unroll the avx2 inner loop");
	d->head.binary_hash = NULL; /* unknown */
	d->head.kernels = report_dup("avx2");
	d->head.dispatch =
		report_dup("cpu_class zen3, gemm avx2, gemv avx2, quant avx2, lm_head avx2");
	d->head.run_id = 13;
	d->machine = report_dup("AMD EPYC 7B13, 2 CPUs, Linux 6.1.0-18-amd64 [3f2a9c]");
	d->fingerprint = report_dup("3f2a9c7d1e");
	report_push(&d->commands, &d->n_commands, "bitgate ci --base origin/main --head HEAD");
	report_push(&d->commands, &d->n_commands,
		    "build/bin/bitnet-bench --format json --rounds 10");
	report_push(&d->commands, &d->n_commands,
		    "ctest --test-dir build -LE gpu --output-junit cpu.xml");
}

/* build and benchmarks pass, perf and tests fail. */
static void fixture_gates(struct bg_decision *d)
{
	static const char *const gates[][2] = {
		{"build", "compiled base 5f3c2a1 and head 9a8b7c6 (Release, 212 s)"},
		{"benchmarks", "6/6 benchmarks ran; outputs checked against ref"},
		{"perf", "1 slower beyond its threshold: matmul/avx2/256x256x256"},
		{"tests", "cpu: 1 new failure (test_matmul__avx2_tail)"},
	};
	d->n_gates = BG_COUNTOF(gates);
	d->gates = calloc(d->n_gates, sizeof(*d->gates));
	TF_CHECK(d->gates, "out of memory");
	for (size_t i = 0; i < d->n_gates; i++) {
		d->gates[i].name = report_dup(gates[i][0]);
		d->gates[i].evidence = report_dup(gates[i][1]);
		d->gates[i].status = i == 2 || i == 3 ? BG_GATE_FAIL : BG_GATE_PASS;
	}
}

/* Six rows with every verdict (one in strict mode), then the extra ones. */
static void fixture_rows(struct bg_decision *d, size_t extra_rows)
{
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
	d->rows[5].mode = report_dup("strict");
	free(d->rows[5].kernel_head);
	d->rows[5].kernel_head = report_dup("avx512");
	for (size_t i = 0; i < extra_rows; i++) {
		char name[128];
		/* 2-, 3- and 4-byte characters, so a careless cut could split one */
		snprintf(name, sizeof(name),
			 "matmul/\xC3\xB1\xC3\xB1/\xE6\x97\xA5\xE6\x9C\xAC/\xF0\x9F\x9A\x80/%zu",
			 i);
		set_row(&d->rows[6 + i], name, (enum bg_verdict)(i % 5), 1000 + (double)i, 0.01,
			-0.01, 0.03);
	}
}

/* A cpu suite with a new failure, a gpu suite skipped. */
static void fixture_suites(struct bg_decision *d)
{
	d->n_suites = 2;
	d->suites = calloc(2, sizeof(*d->suites));
	TF_CHECK(d->suites, "out of memory");
	struct bg_suite_cmp *cpu = &d->suites[0], *gpu = &d->suites[1];
	cpu->suite = report_dup("cpu");
	cpu->base_passed = 906, cpu->base_total = 907;
	cpu->head_passed = 905, cpu->head_failed = 2, cpu->head_skipped = 0;
	cpu->head_total = 907;
	cpu->pass_rate = 905.0 / 907;
	cpu->floor = 0.999;
	report_push(&cpu->new_failures, &cpu->n_new_failures, "test_matmul__avx2_tail");
	gpu->suite = report_dup("gpu");
	gpu->pass_rate = NAN;
	gpu->floor = 0.999;
	gpu->skipped = report_dup("no CUDA device");
}

struct bg_decision *report_fixture_make(size_t extra_rows)
{
	struct bg_decision *d = calloc(1, sizeof(*d));
	TF_CHECK(d, "out of memory");
	fixture_sides(d);
	fixture_gates(d);
	fixture_rows(d, extra_rows);
	fixture_suites(d);
	d->modes = calloc(1, sizeof(*d->modes));
	TF_CHECK(d->modes, "out of memory");
	d->n_modes = 1;
	d->modes[0].name = report_dup("strict");
	d->modes[0].env = report_dup("BITNET_STRICT_MODE=1");
	d->modes[0].measured = 1;
	d->modes[0].overhead = 0.0042;
	d->modes[0].lo = -0.001;
	d->modes[0].hi = 0.0095;
	d->modes[0].limit = 0.01;
	d->modes[0].n_benchmarks = 12;
	d->modes[0].run_id = 14;

	report_push(
		&d->findings, &d->n_findings,
		"matmul/avx2/256x256x256 is 7.3% slower [+5.1%, +9.6%], beyond its 3.0% threshold");
	report_push(&d->findings, &d->n_findings,
		    "1 new test failure in cpu: test_matmul__avx2_tail");
	report_push(&d->findings, &d->n_findings, "e2e/bitnet-2b/decode has no samples on head");
	d->rounds = 10;
	d->alpha = 0.05;
	d->conclusion = 1;
	d->method =
		report_dup("Medians of per-iteration times from 10 interleaved rounds per side; "
			   "95% intervals of the change by bootstrap; Mann-Whitney U p-values, "
			   "Holm-adjusted over the table.");
	return d;
}

char *report_markdown(const struct bg_decision *d)
{
	struct bg_buf b = BG_BUF_INIT;
	TF_CHECK(bg_report_markdown(&b, d) == 0, "markdown: %s", bg_error_last());
	return bg_buf_detach(&b);
}

size_t report_count(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

char *report_gfm_html(const char *md, const char *flags)
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

const char *report_check_table(const char *html, size_t k, size_t cols)
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

int report_valid_utf8(const char *s)
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
