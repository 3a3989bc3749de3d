/* bitgate site: the command over the fleet's dashboard (harness/dashboard.c), which renders
 * the nightly dashboard of every machine in the database, measuring nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bg_app.h"
#include "bg_cli.h"
#include "bg_cmds.h"
#include "bg_dashboard.h"
#include "bg_error.h"

static const struct bg_cmd_info info = {
	"site",
	"bitgate site [--site DIR] [--config FILE] [--depth N] [--title TEXT] [--png]",
	"Renders the nightly dashboard of every machine that has nightly runs in the database\n"
	"(e.g. a fleet of runners sharing one PostgreSQL): each machine's series, change points,\n"
	"regressions and test suites in one site, every series and regression named with its\n"
	"machine (its CPU, after the pools of nightly --claim that measured on it: \"zen3:\n"
	"AMD EPYC 7763\"). It measures nothing and needs no repository: each machine's commits\n"
	"are those its runs stored, in committer-time order. As the nightly does, it finds the\n"
	"change points of every series and stores (updates, removes) each machine's\n"
	"regressions, so the site and `bitgate nightly` agree; bisect's suspects are kept.",
	"The threshold, acknowledged regressions and commit links come from --config FILE, else\n"
	"from HEAD's bitgate.json when bitgate runs in a repository, else the defaults (3%,\n"
	"none, commits not linked).\n\n"
	"exit status: 0 done; 2 bad usage or an unusable bitgate.json; 3 the database is\n"
	"unusable or the site could not be written.\n\n"
	"examples:\n"
	"  bitgate --db postgresql://bitgate@db.example/bitgate site --site public/\n"
	"  bitgate site --site public/ --config bitgate.json --depth 200\n",
};

int cmd_site(struct bg_app *app, int argc, char **argv)
{
	struct bg_dashboard_opts o = {.depth = 1000};
	const struct bg_opt opts[] = {
		{"site", 0, BG_OPT_STR, &o.site_dir, "DIR",
		 "where the dashboard goes (default .bitgate/site)"},
		{"config", 0, BG_OPT_STR, &o.config_path, "FILE",
		 "bitgate.json: threshold, acknowledgements, commit links"},
		{"depth", 0, BG_OPT_INT, &o.depth, "N",
		 "each machine's newest N commits (default 1000)"},
		{"title", 0, BG_OPT_STR, &o.title, "TEXT",
		 "the pages' title (default \"bitgate nightly: every machine\")"},
		{"png", 0, BG_OPT_FLAG, &o.png, NULL, "PNG plots too (SVG always)"},
		BG_OPT_ROW_END,
	};
	int status = bg_cli_parse_args(&info, opts, argc, argv, NULL, 0,
				       "no arguments expected (see --site)");
	if (status != BG_CLI_GO_ON)
		return status;
	if (bg_cli_check_range(&info, "depth", o.depth, 1, 1000000))
		return BG_EXIT_USAGE;
	if ((status = bg_app_setup(app)))
		return status;
	int rc = bg_dashboard_run(app, &o);
	return rc < 0 ? bg_app_fail(rc) : BG_EXIT_OK;
}
