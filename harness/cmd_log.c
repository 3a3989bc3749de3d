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

int cmd_log(int argc, char **argv)
{
	const char *format = "table", *kind = NULL;
	int limit = 20, all = 0, complete = 0;
	const struct bg_opt opts[] = {
		{"limit", 'n', BG_OPT_INT, &limit, "N", "show at most N runs (default 20)"},
		{"all", 'a', BG_OPT_FLAG, &all, NULL, "show every run"},
		{"kind", 0, BG_OPT_STR, &kind, "KIND",
		 "only runs of this kind (local, ci, nightly)"},
		{"complete", 0, BG_OPT_FLAG, &complete, NULL, "only complete runs"},
		{"format", 0, BG_OPT_STR, &format, "table|json", "output format (default table)"},
		{NULL, 0, BG_OPT_END, NULL, NULL, NULL},
	};
	char **pos = NULL;
	int npos = 0;
	int rc = bg_cli_parse(&info, opts, argc, argv, &pos, &npos);
	if (rc)
		return rc == 1 ? BG_EXIT_OK : BG_EXIT_USAGE;
	const char *commit = npos ? pos[0] : NULL;
	free(pos);
	if (npos > 1)
		return bg_cli_usage_error(&info, "expected at most one COMMIT");
	if (strcmp(format, "table") && strcmp(format, "json"))
		return bg_cli_usage_error(&info, "--format %s: expected table or json", format);
	if (limit < 1 && !all)
		return bg_cli_usage_error(&info, "--limit %d: expected a positive number", limit);
	struct bg_app app;
	int status = bg_app_open(&app, BG_APP_DB | BG_APP_REPO_IF_ANY);
	if (status) {
		bg_app_close(&app);
		return status;
	}
	char sha[41] = "";
	if (commit && (rc = bg_app_commit_sha(&app, commit, sha)) < 0) {
		status = bg_app_fail(rc);
		bg_app_close(&app);
		return status;
	}
	struct bg_run_filter f = {.commit_prefix = commit ? sha : NULL,
				  .kind = kind,
				  .only_complete = complete,
				  .limit = all ? 0 : (size_t)limit};
	struct bg_run_rec *runs = NULL;
	size_t n = 0;
	if ((rc = bg_db_run_list(app.db, &f, &runs, &n)) < 0) {
		status = bg_app_fail(rc);
		bg_app_close(&app);
		return status;
	}
	if (!strcmp(format, "json")) {
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
		char *text = cJSON_Print(arr);
		if (text)
			printf("%s\n", text);
		free(text);
		cJSON_Delete(arr);
	} else {
		static const char *const hdr[] = {"run",   "started (UTC)", "kind",   "commit",
						  "label", "samples",       "status", NULL};
		struct bg_table *t;
		if (bg_table_new(&t, hdr) == 0) {
			bg_table_align(t, 0, BG_RIGHT);
			bg_table_align(t, 5, BG_RIGHT);
			for (size_t i = 0; i < n; i++) {
				char when[32];
				bg_format_time(when, sizeof(when), runs[i].started);
				bg_table_cellf(t, "%lld", (long long)runs[i].id);
				bg_table_cell(t, when);
				bg_table_cell(t, runs[i].kind);
				bg_table_cellf(t, "%.10s%s", runs[i].commit_sha,
					       runs[i].worktree ? "+wt" : "");
				bg_table_cell(t, runs[i].label ? runs[i].label : "");
				bg_table_cellf(t, "%lld", (long long)runs[i].n_samples);
				bg_table_cellf(t, "%s%s", runs[i].status,
					       runs[i].complete ? "" : " (incomplete)");
			}
			bg_table_print(t, stdout);
			bg_table_free(t);
		}
	}
	bg_db_run_list_free(runs, n);
	bg_app_close(&app);
	return BG_EXIT_OK;
}
