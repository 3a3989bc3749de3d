/* libFuzzer harness: `bitgate db import` (db/db_io.c bg_db_import) reading the input as a
 * file of export lines, into one in-memory database per process, with decisions' ids set by
 * reports/report_json.c as bitgate does. An import is all or nothing, so after a failed one
 * the database's own export must be what it was before. The database is opened afresh once
 * it holds a few hundred imported runs, so that check stays cheap. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "bg_db.h"
#include "bg_error.h"
#include "bg_report.h"
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_DB_MAX_RUNS 64 /* imported runs before the database is opened afresh */

static struct bg_db *db;
static size_t db_runs;
static char *db_export; /* the database's export after its last successful import */

/* The whole database as export lines (malloc'd). */
static char *export_all(void)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	FUZZ_CHECK(f != NULL, "open_memstream failed");
	int rc = bg_db_export(db, f, 0, bg_decision_json_set_ids, NULL, NULL);
	FUZZ_CHECK(fclose(f) == 0, "cannot close the export stream");
	FUZZ_CHECK(rc == 0, bg_error_last());
	return text;
}

static void open_db(void)
{
	if (db && db_runs < FUZZ_DB_MAX_RUNS)
		return;
	bg_db_close(db);
	free(db_export);
	FUZZ_CHECK(bg_db_open(&db, ":memory:") == 0, bg_error_last());
	db_runs = 0;
	db_export = export_all();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	open_db();
	char *text = fuzz_copy(data, size);
	FILE *in = size ? fmemopen(text, size, "r") : fopen("/dev/null", "r");
	FUZZ_CHECK(in != NULL, "cannot open the input as a file");
	struct bg_import_stats st;
	int rc = bg_db_import(db, in, "fuzz input", bg_decision_json_set_ids, &st);
	fclose(in);
	free(text);
	char *after = export_all();
	if (rc < 0) {
		FUZZ_CHECK(bg_error_last()[0] != '\0', "an error without a message");
		FUZZ_CHECK(st.runs_added == 0 && st.decisions_added == 0 && st.samples_added == 0,
			   "a failed import counted something as added");
		FUZZ_CHECK(strcmp(after, db_export) == 0, "a failed import changed the database");
		free(after);
	} else {
		db_runs += st.runs_added;
		free(db_export);
		db_export = after;
	}
	bg_error_clear();
	return 0;
}
