/* bitgate log: the runs stored, newest first. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bg_app.h"
#include "bg_cmds.h"
#include "bg_error.h"
#include "bg_table.h"

static const struct bg_cmd_info info = {
	"log",
	"bitgate log [options] [COMMIT]",
	"Lists the runs in the database, newest first; with COMMIT (a revision or SHA prefix),\n"
	"only that commit's runs.",
	"exit status: 0 listed; 2 bad usage or an unknown commit; 3 the database is unusable.\n",
};

static void print_json(const struct bg_run_rec *runs, size_t n)
{
	cJSON *arr = cJSON_CreateArray();
	for (size_t i = 0; i < n; i++) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "run", (double)runs[i].id);
		cJSON_AddStringToObject(o, "uuid", runs[i].uuid);
		cJSON_AddStringToObject(o, "kind", runs[i].kind);
		cJSON_AddStringToObject(o, "commit", runs[i].commit_sha);
		cJSON_AddBoolToObject(o, "worktree", runs[i].worktree);
		cJSON_AddStringToObject(o, "status", runs[i].status);
		cJSON_AddBoolToObject(o, "complete", runs[i].complete);
		cJSON_AddNumberToObject(o, "started", (double)runs[i].started);
		cJSON_AddNumberToObject(o, "finished", (double)runs[i].finished);
		cJSON_AddNumberToObject(o, "samples", (double)runs[i].n_samples);
		if (runs[i].label)
			cJSON_AddStringToObject(o, "label", runs[i].label);
		cJSON_AddItemToArray(arr, o);
	}
	bg_cli_print_json(arr);
}

static void print_table(const struct bg_run_rec *runs, size_t n)
{
	static const char *const hdr[] = {"run",   "started (UTC)", "kind",   "commit",
					  "label", "samples",       "status", NULL};
	struct bg_table *t;
	if (bg_table_new(&t, hdr) < 0)
		return;
	bg_table_align(t, 0, BG_RIGHT);
	bg_table_align(t, 5, BG_RIGHT);
	for (size_t i = 0; i < n; i++) {
		char when[32];
		bg_format_time(when, sizeof(when), runs[i].started);
		bg_table_cellf(t, "%lld", (long long)runs[i].id);
		bg_table_cell(t, when);
		bg_table_cell(t, runs[i].kind);
		bg_table_cellf(t, "%.10s%s", runs[i].commit_sha, runs[i].worktree ? "+wt" : "");
		bg_table_cell(t, runs[i].label ? runs[i].label : "");
		bg_table_cellf(t, "%lld", (long long)runs[i].n_samples);
		bg_table_cellf(t, "%s%s", runs[i].status, runs[i].complete ? "" : " (incomplete)");
	}
	bg_table_print(t, stdout);
	bg_table_free(t);
}

/* The --format values, each with its printer. */
static const char *const format_names[] = {"table", "json", NULL};
static void (*const printers[])(const struct bg_run_rec *, size_t) = {print_table, print_json};

/* Lists the runs f selects (commit: a revision or SHA prefix to resolve first, or NULL). */
static int list(struct bg_app *app, const char *commit, struct bg_run_filter *f, int format)
{
	char sha[41] = "";
	int rc;
	if (commit && (rc = bg_app_commit_sha(app, commit, sha)) < 0)
		return rc;
	f->commit_prefix = commit ? sha : NULL;
	struct bg_run_rec *runs = NULL;
	size_t n = 0;
	if ((rc = bg_db_run_list(app->db, f, &runs, &n)) < 0)
		return rc;
	printers[format](runs, n);
	bg_db_run_list_free(runs, n);
	return 0;
}

int cmd_log(struct bg_app *app, int argc, char **argv)
{
	const char *format = "table", *kind = NULL;
	int limit = 20, all = 0, complete = 0;
	const struct bg_opt opts[] = {
		{"limit", 'n', BG_OPT_INT, &limit, "N", "show at most N runs (default 20)"},
		{"all", 'a', BG_OPT_FLAG, &all, NULL, "show every run"},
		{"kind", 0, BG_OPT_STR, &kind, "KIND",
		 "only runs of this kind (local, ci, nightly)"},
		{"complete", 0, BG_OPT_FLAG, &complete, NULL, "only complete runs"},
		BG_OPT_ROW_FORMAT(&format, "table|json", BG_HELP_FORMAT),
		BG_OPT_ROW_END,
	};
	const char *commit;
	int status = bg_cli_parse_args(&info, opts, argc, argv, &commit, 1,
				       "expected at most one COMMIT");
	if (status != BG_CLI_GO_ON)
		return status;
	int f = bg_cli_choice(&info, "format", format, format_names);
	if (f < 0)
		return BG_EXIT_USAGE;
	if (limit < 1 && !all)
		return bg_cli_usage_error(&info, "--limit %d: expected a positive number", limit);
	if ((status = bg_app_setup(app)))
		return status;
	struct bg_run_filter filter = {
		.kind = kind, .only_complete = complete, .limit = all ? 0 : (size_t)limit};
	int rc = list(app, commit, &filter, f);
	return rc < 0 ? bg_app_fail(rc) : BG_EXIT_OK;
}
