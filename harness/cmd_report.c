/* bitgate report: a stored decision rendered again from the database alone. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bg_app.h"
#include "bg_cmds.h"
#include "bg_error.h"
#include "bg_report.h"

static const struct bg_cmd_info info = {
	"report",
	"bitgate report [DECISION | --run RUN] [--format md|json|table|check-run]",
	"Renders a decision stored by `bitgate compare` or `bitgate ci` (default: the newest)\n"
	"from the database alone: DECISION is its number as those commands print it; --run\n"
	"finds the newest decision that involves a run.",
	"exit status: 0 rendered; 2 no such decision; 3 the database is unusable.\n",
};

int cmd_report(int argc, char **argv)
{
	const char *format = "md";
	int run = 0;
	const struct bg_opt opts[] = {
		{"format", 0, BG_OPT_STR, &format, "md|json|table|check-run",
		 "output format (default md)"},
		{"run", 0, BG_OPT_INT, &run, "RUN", "the newest decision involving this run"},
		{NULL, 0, BG_OPT_END, NULL, NULL, NULL},
	};
	char **pos = NULL;
	int npos = 0;
	int rc = bg_cli_parse(&info, opts, argc, argv, &pos, &npos);
	if (rc)
		return rc == 1 ? BG_EXIT_OK : BG_EXIT_USAGE;
	int64_t id = 0;
	const char *arg = npos ? pos[0] : NULL;
	free(pos);
	if (npos > 1 || (arg && run))
		return bg_cli_usage_error(&info, "give one DECISION or --run RUN");
	if (arg && bg_parse_i64(arg[0] == '#' ? arg + 1 : arg, &id) < 0)
		return bg_cli_usage_error(&info, "%s: expected a decision number", arg);
	if (strcmp(format, "md") && strcmp(format, "json") && strcmp(format, "table") &&
	    strcmp(format, "check-run"))
		return bg_cli_usage_error(
			&info, "--format %s: expected md, json, table or check-run", format);
	struct bg_app app;
	int status = bg_app_open(&app, BG_APP_DB | BG_APP_REPO_IF_ANY);
	if (status) {
		bg_app_close(&app);
		return status;
	}
	char *json = NULL;
	struct bg_decision *d = NULL;
	struct bg_buf out = BG_BUF_INIT;
	char origin[64];
	if (run && (rc = bg_db_decision_of_run(app.db, run, &id)) < 0)
		goto done;
	if ((rc = bg_db_decision_get(app.db, id, &id, &json)) < 0)
		goto done;
	snprintf(origin, sizeof(origin), "decision %lld", (long long)id);
	if ((rc = bg_decision_from_json(&d, json, strlen(json), origin)) < 0)
		goto done;
	d->id = id;
	if (!strcmp(format, "json")) {
		char *again = NULL;
		if ((rc = bg_decision_to_json(d, &again)) == 0)
			printf("%s\n", again);
		free(again);
	} else if (!strcmp(format, "table")) {
		bg_report_table(stdout, d);
	} else if (!strcmp(format, "check-run")) {
		if ((rc = bg_report_checkrun(&out, d, "bitgate")) == 0)
			printf("%s\n", bg_buf_cstr(&out));
	} else if ((rc = bg_report_markdown(&out, d)) == 0) {
		fputs(bg_buf_cstr(&out), stdout);
	}
done:
	if (rc < 0)
		status = bg_app_fail(rc);
	bg_buf_free(&out);
	bg_decision_free(d);
	free(json);
	bg_app_close(&app);
	return status;
}
