/* The decision renderers by name: a command picks one from its --format value, and the names
 * it lists in its usage error come from this table (curl's backends as a table of writers). */
#include <stdlib.h>
#include <string.h>

#include "bg_report.h"

static int write_md(FILE *out, const struct bg_decision *d)
{
	struct bg_buf b = BG_BUF_INIT;
	int rc = bg_report_markdown(&b, d);
	if (rc == 0)
		fputs(bg_buf_cstr(&b), out);
	bg_buf_free(&b);
	return rc;
}

static int write_json(FILE *out, const struct bg_decision *d)
{
	char *json = NULL;
	int rc = bg_decision_to_json(d, &json);
	if (rc == 0)
		fprintf(out, "%s\n", json);
	free(json);
	return rc;
}

static int write_table(FILE *out, const struct bg_decision *d)
{
	bg_report_table(out, d);
	return 0;
}

static int write_checkrun(FILE *out, const struct bg_decision *d)
{
	struct bg_buf b = BG_BUF_INIT;
	int rc = bg_report_checkruns(&b, d, "bitgate");
	if (rc == 0)
		fprintf(out, "%s\n", bg_buf_cstr(&b));
	bg_buf_free(&b);
	return rc;
}

const struct bg_report_writer bg_report_writers[] = {
	{"md", write_md},       {"json", write_json},
	{"table", write_table}, {"check-run", write_checkrun},
	{NULL, NULL},
};

const struct bg_report_writer *bg_report_writer_find(const char *name)
{
	for (const struct bg_report_writer *w = bg_report_writers; w->name; w++)
		if (!strcmp(w->name, name))
			return w;
	return NULL;
}

size_t bg_report_writer_names(const char **out, size_t cap)
{
	size_t n = 0;
	for (const struct bg_report_writer *w = bg_report_writers; w->name && n + 1 < cap; w++)
		out[n++] = w->name;
	if (cap)
		out[n] = NULL;
	return n;
}
