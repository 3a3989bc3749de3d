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
	"finds the newest decision that involves a run. check-run writes the GitHub check-run\n"
	"payloads as `bitgate ci --check-run-json` does: a JSON array, the overall check\n"
	"\"bitgate\" first, then one \"bitgate/GATE\" per gate of the decision.",
	"exit status: 0 rendered; 2 no such decision; 3 the database is unusable.\n",
};

/* The decision the arguments name (DECISION, --run RUN, else the newest), read back. */
static int load(struct bg_app *app, int64_t id, int run, struct bg_decision **d)
{
	char *json = NULL;
	char origin[64];
	int rc;
	if (run && (rc = bg_db_decision_of_run(app->db, run, &id)) < 0)
		return rc;
	if ((rc = bg_db_decision_get(app->db, id, &id, &json)) < 0)
		return rc;
	snprintf(origin, sizeof(origin), "decision %lld", (long long)id);
	rc = bg_decision_from_json(d, json, strlen(json), origin);
	free(json);
	if (rc == 0)
		(*d)->id = id;
	return rc;
}

int cmd_report(struct bg_app *app, int argc, char **argv)
{
	const char *format = "md";
	int run = 0;
	const struct bg_opt opts[] = {
		BG_OPT_ROW_FORMAT(&format, "md|json|table|check-run", "output format (default md)"),
		{"run", 0, BG_OPT_INT, &run, "RUN", "the newest decision involving this run"},
		BG_OPT_ROW_END,
	};
	static const char one[] = "give one DECISION or --run RUN";
	const char *arg;
	int status = bg_cli_parse_args(&info, opts, argc, argv, &arg, 1, one);
	if (status != BG_CLI_GO_ON)
		return status;
	int64_t id = 0;
	if (arg && run)
		return bg_cli_usage_error(&info, "%s", one);
	if (arg && bg_parse_i64(arg[0] == '#' ? arg + 1 : arg, &id) < 0)
		return bg_cli_usage_error(&info, "%s: expected a decision number", arg);
	const char *names[8];
	bg_report_writer_names(names, 8);
	int w = bg_cli_choice(&info, "format", format, names);
	if (w < 0)
		return BG_EXIT_USAGE;
	if ((status = bg_app_setup(app)))
		return status;
	struct bg_decision *d = NULL;
	int rc;
	if ((rc = load(app, id, run, &d)) == 0)
		rc = bg_report_writers[w].write(stdout, d);
	bg_decision_free(d);
	return rc < 0 ? bg_app_fail(rc) : BG_EXIT_OK;
}
