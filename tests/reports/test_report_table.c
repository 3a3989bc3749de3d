/* The terminal table (report_table.c): every header, row and verdict, the figures, and no
 * escape sequence from a name reaching the terminal. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bg_decision.h"
#include "bg_report.h"
#include "report_fixture.h"
#include "tf.h"

TF_TEST(report__terminal_table)
{
	struct bg_decision *d = report_fixture_make(0);
	free(d->rows[3].benchmark);
	d->rows[3].benchmark = report_dup("quant/\x1b[31mred\x1b[0m");
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
