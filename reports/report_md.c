/* The Markdown check-run report (see bg_report.h): what a reviewer reads on a pull request.
 * Layout: the verdict line, the gates table, then one "### " section each for the findings,
 * benchmarks, opt-in modes (when declared), tests, evidence and method. report_checkrun.c relies on
 * that: the check run's summary is everything before the first line starting with "### ". */
#include "bg_report.h"
#include "report_int.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bg_error.h"
#include "bg_table.h"

#define DASH "\xE2\x80\x94"        /* U+2014, printed for unknown figures */
#define REPLACEMENT "\xEF\xBF\xBD" /* U+FFFD, printed for bytes that are not UTF-8 */


/* Appends untrusted text as one line of valid UTF-8: control characters and runs of blanks
 * become one space (leading and trailing ones nothing), malformed bytes U+FFFD. With escape,
 * also every character that could end a table cell, start a block, emphasis, code, a link,
 * an autolink or raw HTML is escaped, so the text renders as itself in any inline position. */
static int put_text(struct bg_buf *out, const char *text, int escape)
{
	const unsigned char *s = (const unsigned char *)(text ? text : "");
	while (*s && (*s <= ' ' || *s == 0x7F))
		s++;
	/* "12." or "12)" first would make an ordered list of a list item's text */
	size_t digits = 0;
	while (s[digits] >= '0' && s[digits] <= '9')
		digits++;
	const unsigned char *list_mark =
		digits && (s[digits] == '.' || s[digits] == ')') ? s + digits : NULL;
	const unsigned char *start = s;
	int blank = 0; /* held back until something follows */
	int err = 0;
	while (*s && !err) {
		uint32_t cp;
		size_t n = bg_utf8_seq(s, SIZE_MAX, &cp);
		if (n == 1 && (cp <= ' ' || cp == 0x7F)) {
			blank = 1, s++;
			continue;
		}
		if (blank && bg_buf_putc(out, ' '))
			return BG_ENOMEM;
		blank = 0;
		if (n == 0 || (n > 1 && bg_invisible_control(cp))) {
			err = bg_buf_puts(out, REPLACEMENT);
			s += n ? n : 1;
			continue;
		}
		if (n > 1 || !escape) {
			err = bg_buf_put(out, s, n);
			s += n;
			continue;
		}
		unsigned char c = *s;
		switch (c) {
		case '<': err = bg_buf_puts(out, "&lt;"); break;
		case '>': err = bg_buf_puts(out, "&gt;"); break;
		case '&': err = bg_buf_puts(out, "&amp;"); break;
		case '\\':
		case '`':
		case '*':
		case '_':
		case '[':
		case ']':
		case '|':
		case '~': err = bg_buf_putc(out, '\\') || bg_buf_putc(out, (char)c); break;
		case '#':
		case '-':
		case '+':
		case '=':
			/* a heading, list or rule marker only where the text starts */
			err = (s == start ? bg_buf_putc(out, '\\') : 0) ||
			      bg_buf_putc(out, (char)c);
			break;
		case '.':
		case ')':
			err = (s == list_mark ? bg_buf_putc(out, '\\') : 0) ||
			      bg_buf_putc(out, (char)c);
			break;
		case ':':
			/* "scheme://" and "www." are autolinked by GitHub; an escape stops that */
			err = (s[1] == '/' && s[2] == '/' ? bg_buf_putc(out, '\\') : 0) ||
			      bg_buf_putc(out, ':');
			break;
		default:
			if ((c | 0x20) == 'w' && (s[1] | 0x20) == 'w' && (s[2] | 0x20) == 'w' &&
			    s[3] == '.') {
				err = bg_buf_put(out, s, 3) || bg_buf_puts(out, "\\.");
				s += 4;
				continue;
			}
			err = bg_buf_putc(out, (char)c);
		}
		s++;
	}
	return err ? BG_ENOMEM : 0;
}

int bg_md_escape_cell(struct bg_buf *out, const char *text)
{
	return put_text(out, text, 1);
}

/* Hex digests, SHAs, fingerprints: shown as code when they look like one, escaped text
 * otherwise (a code span cannot hold every string safely inside a table). */
static int put_code(struct bg_buf *out, const char *s, const char *unknown)
{
	if (!s || !*s)
		return bg_buf_puts(out, unknown);
	size_t n =
		strspn(s, "0123456789abcdefABCDEFghijklmnopqrstuvwxyzGHIJKLMNOPQRSTUVWXYZ._:/=+-");
	if (s[n] || n > 200)
		return bg_md_escape_cell(out, s);
	return bg_buf_printf(out, "`%s`", s);
}


static void fmt_time(char *out, size_t size, double ns)
{
	if (!isfinite(ns) || ns < 0)
		snprintf(out, size, DASH);
	else
		bg_fmt_ns(out, size, ns);
}

static void fmt_p(char *out, size_t size, double p)
{
	if (!isfinite(p))
		snprintf(out, size, DASH);
	else if (p < 0.001)
		snprintf(out, size, "<0.001");
	else
		snprintf(out, size, "%.3f", p);
}

static const char *status_symbol(enum bg_gate_status s)
{
	switch (s) {
	case BG_GATE_PASS: return "\xE2\x9C\x85 pass";       /* ✅ */
	case BG_GATE_FAIL: return "\xE2\x9D\x8C fail";       /* ❌ */
	case BG_GATE_SKIPPED: return "\xE2\x9A\xAA skipped"; /* ⚪ */
	}
	return "\xE2\x9D\x93 unknown"; /* ❓ */
}

static const char *verdict_symbol(enum bg_verdict v)
{
	switch (v) {
	case BG_VERDICT_NO_CHANGE: return "\xE2\x9C\x85 no change";         /* ✅ */
	case BG_VERDICT_FASTER: return "\xF0\x9F\x9F\xA2 faster";           /* 🟢 */
	case BG_VERDICT_SLOWER: return "\xF0\x9F\x94\xB4 slower";           /* 🔴 */
	case BG_VERDICT_NOISY: return "\xF0\x9F\x9F\xA1 noisy";             /* 🟡 */
	case BG_VERDICT_MISSING: return "\xE2\x9A\xA0\xEF\xB8\x8F missing"; /* ⚠️ */
	}
	return "\xE2\x9D\x93 unknown";
}

/* Display order of the benchmark table: what needs attention first, so a cut check run
 * still shows it. */
static int verdict_rank(enum bg_verdict v)
{
	switch (v) {
	case BG_VERDICT_SLOWER: return 0;
	case BG_VERDICT_MISSING: return 1;
	case BG_VERDICT_NOISY: return 2;
	case BG_VERDICT_FASTER: return 3;
	case BG_VERDICT_NO_CHANGE: return 4;
	}
	return 0; /* an unknown verdict is worth a look too */
}

struct ranked {
	int rank;
	size_t index;
};

static int cmp_ranked(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;
	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

static const struct bg_row *worst_slower(const struct bg_decision *d, size_t *count)
{
	const struct bg_row *worst = NULL;
	*count = 0;
	for (size_t i = 0; i < d->n_rows; i++) {
		const struct bg_row *r = &d->rows[i];
		if (r->verdict != BG_VERDICT_SLOWER)
			continue;
		++*count;
		if (!worst || (isfinite(r->change) && !(r->change <= worst->change)))
			worst = r;
	}
	return worst;
}

/* "perf: matmul/avx2/256x256x256 +7.3% slower" for the perf gate when a row is slower, the
 * gate's evidence for the others. */
static int put_failed_gate(struct bg_buf *out, const struct bg_decision *d, const struct bg_gate *g)
{
	size_t slower;
	const struct bg_row *w = worst_slower(d, &slower);
	int err = bg_md_escape_cell(out, g->name) || bg_buf_puts(out, ": ");
	if (!err && g->name && !strcmp(g->name, "perf") && w) {
		char pct[32];
		bg_fmt_pct(pct, sizeof(pct), w->change, w->change, 1, DASH);
		err = bg_md_escape_cell(out, w->benchmark) ||
		      bg_buf_printf(out, " %s slower", pct) ||
		      (slower > 1 ? bg_buf_printf(out, " and %zu more", slower - 1) : 0);
	} else if (!err) {
		err = bg_md_escape_cell(out, g->evidence && *g->evidence ? g->evidence : "failed");
	}
	return err;
}

/* The first line: "**bitgate: FAIL** — 1 of 4 gates failed (perf: ... +7.3% slower)". */
static int put_verdict(struct bg_buf *out, const struct bg_decision *d)
{
	static const char *const words[] = {"PASS", "FAIL", "NEUTRAL"};
	size_t pass = 0, fail = 0, skipped = 0;
	for (size_t i = 0; i < d->n_gates; i++) {
		enum bg_gate_status s = d->gates[i].status;
		pass += s == BG_GATE_PASS;
		fail += s == BG_GATE_FAIL;
		skipped += s != BG_GATE_PASS && s != BG_GATE_FAIL;
	}
	const char *word = (unsigned)d->conclusion < 3 ? words[d->conclusion] : "UNKNOWN";
	int err = bg_buf_printf(out, "**bitgate: %s** " DASH " ", word);
	if (err)
		return err;
	if (!d->n_gates)
		return bg_buf_puts(out, "no gates were evaluated\n");
	if (pass == d->n_gates)
		return bg_buf_printf(out, "all %zu gates passed\n", pass);
	/* the failed gates explain themselves, else the skipped ones */
	enum bg_gate_status shown = fail ? BG_GATE_FAIL : BG_GATE_SKIPPED;
	if (fail)
		err = bg_buf_printf(out, "%zu of %zu gates failed", fail, d->n_gates);
	else
		err = bg_buf_printf(out, "%zu of %zu gates passed, %zu skipped", pass, d->n_gates,
				    skipped);
	if (!err && fail && skipped)
		err = bg_buf_printf(out, ", %zu skipped", skipped);
	const char *sep = " (";
	for (size_t i = 0; i < d->n_gates && !err; i++) {
		const struct bg_gate *g = &d->gates[i];
		int match = shown == BG_GATE_FAIL ? g->status == BG_GATE_FAIL
						  : g->status != BG_GATE_PASS;
		if (!match)
			continue;
		err = bg_buf_puts(out, sep);
		sep = "; ";
		if (!err && shown == BG_GATE_FAIL)
			err = put_failed_gate(out, d, g);
		else if (!err)
			err = bg_md_escape_cell(out, g->name) || bg_buf_puts(out, ": ") ||
			      bg_md_escape_cell(out, g->evidence ? g->evidence : "no reason given");
	}
	if (!err && strcmp(sep, " ("))
		err = bg_buf_putc(out, ')');
	return err || bg_buf_putc(out, '\n') ? BG_ENOMEM : 0;
}

static int put_gates(struct bg_buf *out, const struct bg_decision *d)
{
	int err =
		bg_buf_puts(out, "\n| Gate | Status | Evidence |\n|------|--------|----------|\n");
	for (size_t i = 0; i < d->n_gates && !err; i++) {
		const struct bg_gate *g = &d->gates[i];
		err = bg_buf_puts(out, "| **") || bg_md_escape_cell(out, g->name) ||
		      bg_buf_puts(out, "** | ") || bg_buf_puts(out, status_symbol(g->status));
		if (err)
			break;
		if (g->status == BG_GATE_SKIPPED) /* the evidence is the reason */
			err = bg_buf_puts(out, " (") ||
			      bg_md_escape_cell(out, g->evidence && *g->evidence
							     ? g->evidence
							     : "no reason given") ||
			      bg_buf_puts(out, ") | " DASH " |\n");
		else
			err = bg_buf_puts(out, " | ") ||
			      bg_md_escape_cell(out,
						g->evidence && *g->evidence ? g->evidence : DASH) ||
			      bg_buf_puts(out, " |\n");
	}
	if (!err && !d->n_gates)
		err = bg_buf_puts(out, "| " DASH " | no gates evaluated | " DASH " |\n");
	return err ? BG_ENOMEM : 0;
}

static int put_findings(struct bg_buf *out, const struct bg_decision *d)
{
	int err = bg_buf_puts(out, "\n### Key findings\n\n");
	for (size_t i = 0; i < d->n_findings && !err; i++)
		err = bg_buf_printf(out, "%zu. ", i + 1) ||
		      bg_md_escape_cell(out, d->findings[i]) || bg_buf_putc(out, '\n');
	if (!err && !d->n_findings)
		err = bg_buf_puts(out, "None recorded.\n");
	return err ? BG_ENOMEM : 0;
}

static int put_row(struct bg_buf *out, const struct bg_row *r)
{
	char base[32], head[32], change[32], ci[80], thr[32], floor[32], det[32], p[32];
	fmt_time(base, sizeof(base), r->base_time);
	fmt_time(head, sizeof(head), r->head_time);
	bg_fmt_pct(change, sizeof(change), r->change, r->change, 1, DASH);
	bg_fmt_interval(ci, sizeof(ci), r->ci_lo, r->ci_hi, DASH);
	bg_fmt_pct(thr, sizeof(thr), r->threshold, r->threshold, 0, DASH);
	bg_fmt_pct(floor, sizeof(floor), r->noise_floor, r->noise_floor, 0, DASH);
	bg_fmt_pct(det, sizeof(det), r->detectable, r->detectable, 0, DASH);
	fmt_p(p, sizeof(p), r->p_adjusted);

	int err = bg_buf_puts(out, "| ") || bg_md_escape_cell(out, r->benchmark);
	if (!err && r->params && *r->params)
		err = bg_buf_puts(out, " \xC2\xB7 ") || bg_md_escape_cell(out, r->params); /* · */
	if (!err && r->mode && *r->mode && strcmp(r->mode, "default"))
		err = bg_buf_puts(out, " \xC2\xB7 ") || bg_md_escape_cell(out, r->mode);
	err = err || bg_buf_puts(out, " | ");
	/* kernel IDs as observed at dispatch: one when both sides agree */
	if (!err && !r->kernel_base && !r->kernel_head)
		err = bg_buf_puts(out, DASH);
	else if (!err && r->kernel_base && r->kernel_head &&
		 !strcmp(r->kernel_base, r->kernel_head))
		err = bg_md_escape_cell(out, r->kernel_base);
	else if (!err)
		err = bg_md_escape_cell(out, r->kernel_base ? r->kernel_base : "none") ||
		      bg_buf_puts(out, " \xE2\x86\x92 ") || /* → */
		      bg_md_escape_cell(out, r->kernel_head ? r->kernel_head : "none");
	err = err || bg_buf_printf(out, " | %s | %s | %s | %s | ", base, head, change, ci);
	if (!err && isfinite(r->threshold))
		err = bg_buf_printf(out, "\xC2\xB1%s", thr); /* ± */
	else if (!err)
		err = bg_buf_puts(out, DASH);
	if (!err && isfinite(r->noise_floor) && r->noise_floor >= 0)
		err = bg_buf_printf(out, " (noise %s)", floor);
	err = err || bg_buf_printf(out, " | %s | %s | ", det, p);
	if (!err && isfinite(r->gelems_head) && r->gelems_head >= 0)
		err = bg_buf_printf(out, "%.2f", r->gelems_head);
	else if (!err)
		err = bg_buf_puts(out, DASH);
	if (!err && isfinite(r->floor_gelems) && r->floor_gelems >= 0)
		err = bg_buf_printf(out, " (floor %.2f)", r->floor_gelems);
	err = err || bg_buf_puts(out, " | ") || bg_buf_puts(out, verdict_symbol(r->verdict));
	if (!err && r->verdict == BG_VERDICT_MISSING)
		err = bg_buf_puts(out, !r->n_base && !r->n_head ? " (no samples on either side)"
				       : !r->n_head             ? " (no samples on head)"
				       : !r->n_base             ? " (no samples on base)"
								: " (not compared)");
	return err || bg_buf_puts(out, " |\n") ? BG_ENOMEM : 0;
}

static int put_benchmarks(struct bg_buf *out, const struct bg_decision *d, size_t max_rows)
{
	size_t count[5] = {0};
	for (size_t i = 0; i < d->n_rows; i++)
		if ((unsigned)d->rows[i].verdict < 5)
			count[d->rows[i].verdict]++;
	char ql[16];
	bg_fmt_quantile(ql, sizeof(ql), d->quantile);
	int err = bg_buf_puts(out, "\n### Benchmarks\n\n");
	if (!err && !d->n_rows)
		return bg_buf_puts(out, "No benchmarks were compared.\n");
	err = err ||
	      bg_buf_printf(out,
			    "%zu benchmarks, %d interleaved rounds per side, family-wise "
			    "\xCE\xB1 = %g (Holm-adjusted p): %zu slower, %zu faster, %zu noisy, "
			    "%zu missing, %zu no change. Times per iteration are each side's %s "
			    "of all its samples, so a "
			    "positive change is a slowdown; the threshold is the larger of the "
			    "configured one and the benchmark's noise floor; detectable is the "
			    "smallest change this run could have seen.\n\n",
			    d->n_rows, d->rounds, d->alpha, count[BG_VERDICT_SLOWER],
			    count[BG_VERDICT_FASTER], count[BG_VERDICT_NOISY],
			    count[BG_VERDICT_MISSING], count[BG_VERDICT_NO_CHANGE], ql) ||
	      bg_buf_puts(out, "| Benchmark | Kernel | Base | Head | Change | 95% interval | "
			       "Threshold | Detectable | p (adj.) | Gelem/s | Verdict |\n"
			       "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|---|\n");
	if (err)
		return BG_ENOMEM;
	struct ranked *order = malloc(d->n_rows * sizeof(*order));
	if (!order)
		return bg_error_oom();
	for (size_t i = 0; i < d->n_rows; i++)
		order[i] = (struct ranked){verdict_rank(d->rows[i].verdict), i};
	qsort(order, d->n_rows, sizeof(*order), cmp_ranked);
	size_t shown = d->n_rows < max_rows ? d->n_rows : max_rows;
	for (size_t i = 0; i < shown && !err; i++)
		err = put_row(out, &d->rows[order[i].index]);
	if (!err && shown < d->n_rows) {
		size_t left[5] = {0};
		for (size_t i = shown; i < d->n_rows; i++)
			if ((unsigned)d->rows[order[i].index].verdict < 5)
				left[d->rows[order[i].index].verdict]++;
		err = bg_buf_printf(out, "\n_%zu more rows left out here (", d->n_rows - shown);
		static const enum bg_verdict by_rank[] = {BG_VERDICT_SLOWER, BG_VERDICT_MISSING,
							   BG_VERDICT_NOISY, BG_VERDICT_FASTER,
							   BG_VERDICT_NO_CHANGE};
		const char *sep = "";
		for (int k = 0; k < 5 && !err; k++)
			if (left[by_rank[k]]) {
				enum bg_verdict v = by_rank[k];
				err = bg_buf_printf(out, "%s%zu %s", sep, left[v], bg_verdict_name(v));
				sep = ", ";
			}
		err = err || bg_buf_puts(out, "); the full report is in the job summary and the "
					      "report artifact._\n");
	}
	free(order);
	return err;
}

static int put_mode(struct bg_buf *out, const struct bg_mode_cmp *m)
{
	int err = bg_buf_puts(out, "- **") || bg_md_escape_cell(out, m->name ? m->name : "?") ||
		  bg_buf_puts(out, "** (") || put_code(out, m->env, "no environment recorded") ||
		  bg_buf_puts(out, "): ");
	if (err)
		return BG_ENOMEM;
	if (!m->measured)
		return bg_buf_puts(out, "\xE2\x9A\xAA not measured: ") ||
				       bg_md_escape_cell(out, m->skipped ? m->skipped
									 : "no reason given") ||
				       bg_buf_puts(out, "\n")
			       ? BG_ENOMEM
			       : 0;
	char over[32], ci[80], limit[32];
	bg_fmt_pct(over, sizeof(over), m->overhead, m->overhead, 1, DASH);
	bg_fmt_interval(ci, sizeof(ci), m->lo, m->hi, DASH);
	bg_fmt_pct(limit, sizeof(limit), m->limit, m->limit, 0, DASH);
	return bg_buf_printf(out,
			     "against the default mode **%s** %s (95%% interval; geometric mean "
			     "of mode/default - 1 over %zu benchmarks); allowed: %s. Run %lld.\n",
			     over, ci, m->n_benchmarks, limit, (long long)m->run_id);
}

/* The opt-in modes bitgate.json declares (gates.modes), each against the default mode;
 * nothing when it declares none. */
static int put_modes(struct bg_buf *out, const struct bg_decision *d)
{
	if (!d->n_modes)
		return 0;
	int err = bg_buf_puts(out, "\n### Opt-in modes: overhead\n\n");
	for (size_t i = 0; i < d->n_modes && !err; i++)
		err = put_mode(out, &d->modes[i]);
	return err;
}

static int put_tests(struct bg_buf *out, const struct bg_decision *d)
{
	int err = bg_buf_puts(out, "\n### Tests\n\n");
	if (!err && !d->n_suites)
		return bg_buf_puts(out, "No test suites were run.\n");
	err = err || bg_buf_puts(out, "| Suite | Base passed | Head passed | Pass rate | Floor | "
				      "New failures |\n|---|--:|--:|--:|--:|---|\n");
	for (size_t i = 0; i < d->n_suites && !err; i++) {
		const struct bg_suite_cmp *s = &d->suites[i];
		err = bg_buf_puts(out, "| ") || bg_md_escape_cell(out, s->suite);
		if (!err && s->skipped) {
			err = bg_buf_puts(out, " | " DASH " | \xE2\x9A\xAA skipped (") ||
			      bg_md_escape_cell(out, s->skipped) ||
			      bg_buf_puts(out, ") | " DASH " | " DASH " | " DASH " |\n");
			continue;
		}
		char rate[32], floor[32];
		if (isfinite(s->pass_rate) && s->pass_rate >= 0)
			snprintf(rate, sizeof(rate), "%.2f%%", s->pass_rate * 100);
		else
			snprintf(rate, sizeof(rate), DASH);
		if (isfinite(s->floor) && s->floor >= 0)
			snprintf(floor, sizeof(floor), "%.2f%%", s->floor * 100);
		else
			snprintf(floor, sizeof(floor), DASH);
		err = err || bg_buf_printf(out, " | %d/%d | %d/%d", s->base_passed, s->base_total,
					   s->head_passed, s->head_total);
		if (!err && (s->head_failed || s->head_skipped))
			err = bg_buf_printf(out, " (%d failed, %d skipped)", s->head_failed,
					    s->head_skipped);
		err = err || bg_buf_printf(out, " | %s | %s | ", rate, floor);
		if (!err && !s->n_new_failures)
			err = bg_buf_puts(out, "none");
		else if (!err)
			err = bg_buf_printf(out, "**%zu:** ", s->n_new_failures);
		for (size_t k = 0; k < s->n_new_failures && !err; k++)
			err = (k ? bg_buf_puts(out, ", ") : 0) ||
			      bg_md_escape_cell(out, s->new_failures[k]);
		err = err || bg_buf_puts(out, " |\n");
	}
	return err ? BG_ENOMEM : 0;
}

static int put_side(struct bg_buf *out, const char *label, const struct bg_side *s)
{
	int err =
		bg_buf_printf(out, "- **%s:** ", label) || put_code(out, s->sha, "unknown commit");
	if (!err && s->worktree)
		err = bg_buf_puts(out, " plus uncommitted changes (working tree)");
	err = err || bg_buf_puts(out, " " DASH " ") ||
	      bg_md_escape_cell(out, s->subject && *s->subject ? s->subject : "(no subject)") ||
	      bg_buf_printf(out, "\n  - run %lld; bench binary ", (long long)s->run_id) ||
	      put_code(out, s->binary_hash, "hash unknown") || bg_buf_puts(out, "; kernels ") ||
	      bg_md_escape_cell(out, s->kernels && *s->kernels ? s->kernels : "none reported");
	if (!err && s->dispatch && *s->dispatch)
		err = bg_buf_puts(out, "; dispatch ") || bg_md_escape_cell(out, s->dispatch);
	err = err || bg_buf_putc(out, '\n');
	return err ? BG_ENOMEM : 0;
}

/* The commands, verbatim in a fence longer than any backtick run they hold. */
static int put_commands(struct bg_buf *out, const struct bg_decision *d)
{
	size_t fence = 3;
	for (size_t i = 0; i < d->n_commands; i++) {
		size_t run = 0;
		for (const char *p = d->commands[i] ? d->commands[i] : ""; *p; p++) {
			run = *p == '`' ? run + 1 : 0;
			if (run >= fence)
				fence = run + 1;
		}
	}
	int err = bg_buf_puts(out, "- **Commands:**\n\n");
	for (size_t k = 0; k < fence && !err; k++)
		err = bg_buf_putc(out, '`');
	err = err || bg_buf_puts(out, "sh\n");
	for (size_t i = 0; i < d->n_commands && !err; i++)
		err = put_text(out, d->commands[i], 0) || bg_buf_putc(out, '\n');
	for (size_t k = 0; k < fence && !err; k++)
		err = bg_buf_putc(out, '`');
	return err || bg_buf_putc(out, '\n') ? BG_ENOMEM : 0;
}

/* ", strict 12" for each opt-in mode whose run was made. */
static int put_mode_runs(struct bg_buf *out, const struct bg_decision *d)
{
	int err = 0;
	for (size_t i = 0; i < d->n_modes && !err; i++)
		if (d->modes[i].run_id)
			err = bg_buf_puts(out, ", ") ||
			      bg_md_escape_cell(out, d->modes[i].name ? d->modes[i].name : "?") ||
			      bg_buf_printf(out, " %lld", (long long)d->modes[i].run_id);
	return err;
}

static int put_evidence(struct bg_buf *out, const struct bg_decision *d)
{
	char when[32];
	bg_format_time(when, sizeof(when), d->created);
	int err = bg_buf_puts(out, "\n### Evidence trail\n\n") || put_side(out, "Base", &d->base) ||
		  put_side(out, "Head", &d->head) || bg_buf_puts(out, "- **Machine:** ") ||
		  bg_md_escape_cell(out, d->machine && *d->machine ? d->machine : "unknown") ||
		  bg_buf_puts(out, "; fingerprint ") || put_code(out, d->fingerprint, "unknown") ||
		  bg_buf_puts(out, "\n- **Database:** decision ") ||
		  (d->id ? bg_buf_printf(out, "%lld", (long long)d->id)
			 : bg_buf_puts(out, "not stored")) ||
		  bg_buf_puts(out, " (") || bg_md_escape_cell(out, d->kind ? d->kind : "?") ||
		  bg_buf_printf(out, ", %s UTC); runs: base %lld, head %lld", when,
				(long long)d->base.run_id, (long long)d->head.run_id) ||
		  put_mode_runs(out, d) || bg_buf_putc(out, '\n');
	if (!err && d->n_commands)
		err = put_commands(out, d);
	else if (!err)
		err = bg_buf_puts(out, "- **Commands:** not recorded\n");
	return err ? BG_ENOMEM : 0;
}

static int put_method(struct bg_buf *out, const struct bg_decision *d)
{
	int err = bg_buf_puts(out, "\n### Method\n\n") ||
		  bg_md_escape_cell(out, d->method && *d->method ? d->method : "Not recorded.") ||
		  bg_buf_putc(out, '\n');
	return err ? BG_ENOMEM : 0;
}

int bg_report_markdown(struct bg_buf *out, const struct bg_decision *d)
{
	return bg_report_markdown_rows(out, d, SIZE_MAX);
}

int bg_report_markdown_rows(struct bg_buf *out, const struct bg_decision *d, size_t max_rows)
{
	size_t mark = out->len;
	int err = put_verdict(out, d);
	err = err ? err : put_gates(out, d);
	err = err ? err : put_findings(out, d);
	err = err ? err : put_benchmarks(out, d, max_rows);
	err = err ? err : put_modes(out, d);
	err = err ? err : put_tests(out, d);
	err = err ? err : put_evidence(out, d);
	err = err ? err : put_method(out, d);
	if (err) {
		out->len = mark; /* no half report */
		if (out->ptr)
			out->ptr[mark] = '\0';
		return bg_error_oom();
	}
	return 0;
}
