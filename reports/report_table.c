/* The comparison as a terminal table for `bitgate compare` (see bg_report.h): one row per
 * benchmark in the decision's order, then the gates. Names from the repository are shown
 * with control characters replaced, so a benchmark name cannot drive the terminal. */
#include "bg_report.h"
#include "report_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "bg_table.h"

/* Appends text with C0 and C1 control characters (escape sequences) shown as '?'. */
static int put_printable(struct bg_buf *out, const char *text)
{
	const unsigned char *s = (const unsigned char *)(text ? text : "");
	int err = 0;
	for (; *s && !err; s++) {
		if (*s < ' ' || *s == 0x7F)
			err = bg_buf_putc(out, '?');
		else if (s[0] == 0xC2 && s[1] >= 0x80 && s[1] <= 0x9F)
			err = bg_buf_putc(out, '?'), s++;
		else
			err = bg_buf_putc(out, (char)*s);
	}
	return err;
}


static int add_row(struct bg_table *t, const struct bg_row *r)
{
	struct bg_buf name = BG_BUF_INIT;
	char base[32] = "-", head[32] = "-", change[32], lo[32], hi[32], thr[32];
	if (isfinite(r->base_time))
		bg_fmt_ns(base, sizeof(base), r->base_time);
	if (isfinite(r->head_time))
		bg_fmt_ns(head, sizeof(head), r->head_time);
	bg_fmt_pct(change, sizeof(change), r->change, r->change, 1, "-");
	double mag = fmax(fabs(r->ci_lo), fabs(r->ci_hi));
	bg_fmt_pct(lo, sizeof(lo), r->ci_lo, mag, 1, "-");
	bg_fmt_pct(hi, sizeof(hi), r->ci_hi, mag, 1, "-");
	bg_fmt_pct(thr, sizeof(thr), r->threshold, r->threshold, 0, "-");
	int err = put_printable(&name, r->benchmark);
	if (!err && r->params && *r->params)
		err = bg_buf_putc(&name, ' ') || put_printable(&name, r->params);
	if (!err && r->mode && *r->mode && strcmp(r->mode, "default"))
		err = bg_buf_puts(&name, " (") || put_printable(&name, r->mode) ||
		      bg_buf_putc(&name, ')');
	err = err || bg_table_cell(t, bg_buf_cstr(&name)) || bg_table_cell(t, base) ||
	      bg_table_cell(t, head) || bg_table_cell(t, change);
	if (!err && isfinite(r->ci_lo) && isfinite(r->ci_hi))
		err = bg_table_cellf(t, "[%s, %s]", lo, hi);
	else if (!err)
		err = bg_table_cell(t, "-");
	if (!err && isfinite(r->threshold))
		err = bg_table_cellf(t, "\xC2\xB1%s", thr); /* ± */
	else if (!err)
		err = bg_table_cell(t, "-");
	err = err || bg_table_cell(t, bg_verdict_name(r->verdict));
	bg_buf_free(&name);
	return err;
}

static void print_gates(FILE *out, const struct bg_decision *d)
{
	static const char *const headers[] = {"gate", "status", "evidence", NULL};
	struct bg_table *t;
	if (bg_table_new(&t, headers) < 0)
		return;
	int err = 0;
	for (size_t i = 0; i < d->n_gates && !err; i++) {
		struct bg_buf name = BG_BUF_INIT, evidence = BG_BUF_INIT;
		err = put_printable(&name, d->gates[i].name) ||
		      put_printable(&evidence, d->gates[i].evidence) ||
		      bg_table_cell(t, bg_buf_cstr(&name)) ||
		      bg_table_cell(t, bg_gate_status_name(d->gates[i].status)) ||
		      bg_table_cell(t, bg_buf_cstr(&evidence));
		bg_buf_free(&name);
		bg_buf_free(&evidence);
	}
	if (!err) {
		fputc('\n', out);
		bg_table_print(t, out);
	}
	bg_table_free(t);
}

void bg_report_table(FILE *out, const struct bg_decision *d)
{
	char ql[16], hb[32], hh[32];
	bg_fmt_quantile(ql, sizeof(ql), d->quantile);
	snprintf(hb, sizeof(hb), "base %s", ql);
	snprintf(hh, sizeof(hh), "head %s", ql);
	const char *const headers[] = {"benchmark", hb,        hh,        "change %",
				       "95% CI",    "threshold", "verdict", NULL};
	struct bg_table *t;
	if (bg_table_new(&t, headers) < 0)
		return;
	for (size_t c = 1; c <= 5; c++)
		bg_table_align(t, c, BG_RIGHT);
	int err = 0;
	for (size_t i = 0; i < d->n_rows && !err; i++)
		err = add_row(t, &d->rows[i]);
	if (!err)
		bg_table_print(t, out);
	else
		fputs("bitgate: out of memory writing the comparison table\n", out);
	bg_table_free(t);
	if (!err && d->n_gates)
		print_gates(out, d);
}
