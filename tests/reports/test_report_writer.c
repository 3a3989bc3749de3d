/* The decision writers by name (reports/report_writer.c): each name renders what its
 * renderer renders, the names come in the order usage messages list them, and an unknown
 * name finds nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bg_report.h"
#include "report_fixture.h"
#include "tf.h"

/* What writer name printed for d. */
static char *written(const char *name, const struct bg_decision *d)
{
	const struct bg_report_writer *w = bg_report_writer_find(name);
	TF_CHECK(w != NULL && !strcmp(w->name, name), "no writer %s", name);
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	TF_CHECK(f != NULL, "open_memstream");
	TF_CHECK_EQ(w->write(f, d), 0);
	fclose(f);
	return text;
}

TF_TEST(report_writer__names_in_order)
{
	const char *names[8];
	TF_CHECK_EQ(bg_report_writer_names(names, 8), 4);
	TF_CHECK(!strcmp(names[0], "md") && !strcmp(names[1], "json") &&
			 !strcmp(names[2], "table") && !strcmp(names[3], "check-run") && !names[4],
		 "md, json, table, check-run, then NULL");
	TF_CHECK_EQ(bg_report_writer_names(names, 3), 2);
	TF_CHECK(names[2] == NULL, "cut to fit, still terminated");
	TF_CHECK(bg_report_writer_find("xml") == NULL && bg_report_writer_find("") == NULL,
		 "unknown names find nothing");
}

TF_TEST(report_writer__each_renders_its_format)
{
	struct bg_decision *d = report_fixture_make(0);
	char *md = written("md", d), *want_md = report_markdown(d);
	TF_CHECK(!strcmp(md, want_md), "md is the Markdown report");
	char *json = written("json", d), *want_json = NULL;
	TF_CHECK_EQ(bg_decision_to_json(d, &want_json), 0);
	size_t n = strlen(want_json);
	TF_CHECK(!strncmp(json, want_json, n) && !strcmp(json + n, "\n"),
		 "json is the stored form and a line break");
	char *table = written("table", d), *want_table = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&want_table, &len);
	TF_CHECK(f != NULL, "open_memstream");
	bg_report_table(f, d);
	fclose(f);
	TF_CHECK(*table && !strcmp(table, want_table), "table is the terminal table:\n%s", table);
	char *cr = written("check-run", d);
	TF_CHECK(strstr(cr, "\"name\":\"bitgate\"") || strstr(cr, "\"name\": \"bitgate\""),
		 "the check run is named bitgate: %.200s", cr);
	TF_CHECK(cr[strlen(cr) - 1] == '\n', "a line break after the payload");
	free(md);
	free(want_md);
	free(json);
	free(want_json);
	free(table);
	free(want_table);
	free(cr);
	bg_decision_free(d);
}
