/* The fleet's dashboard behind `bitgate site` (harness/cmd_site.c): the nightly's analysis
 * and site (nightly_site.c) for every machine with nightly runs in the database, along the
 * commits stored for each, measuring nothing and needing no repository. */
#ifndef BG_DASHBOARD_H
#define BG_DASHBOARD_H

#include <stddef.h>
#include <stdint.h>

#include "bg_app.h"
#include "bg_git.h"

struct bg_dashboard_opts {
	const char *site_dir;    /* where the site goes; NULL: <state dir>/site */
	const char *config_path; /* a bitgate.json for the threshold, acknowledgements and
				    commit links; NULL: HEAD's when bitgate runs in a
				    repository, else the defaults */
	const char *title;       /* NULL: "bitgate nightly: every machine" */
	int depth;               /* commits of each machine the site covers, newest back */
	int png;                 /* PNG plots too */
};

/* Analyses every machine's nightly series (storing their regressions, as the nightly
 * does) and renders one site of them all, each series and regression with its machine.
 * Returns 0 or a negative code with bg_error_last() set: BG_EINPUT for an unusable
 * bitgate.json, BG_EDB, BG_EINFRA when the site cannot be written. */
int bg_dashboard_run(struct bg_app *app, const struct bg_dashboard_opts *o);

/* Puts the m commits of v (sorted by committer time) in first-parent order where their
 * times tie: a commit whose first parent is among the tied ones comes after it. */
void bg_dashboard_order_ties(struct bg_commit *v, size_t m);

#endif
