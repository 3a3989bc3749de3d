/* The nightly engine behind `bitgate nightly`: measure the new first-parent commits of a
 * branch, find the change points of every series, store the regressions (bisecting the open
 * ones when asked), and render the static dashboard. */
#ifndef BG_NIGHTLY_H
#define BG_NIGHTLY_H

#include <stddef.h>
#include <stdint.h>

#include "bg_app.h"
#include "bg_engine.h"

struct bg_nightly_opts {
	const char *branch;       /* NULL: the default branch HEAD's bitgate.json names */
	const char *site_dir;     /* NULL: <state dir>/site */
	int max_commits;          /* new commits measured in this run (0: none) */
	int depth;                /* first-parent commits the dashboard covers, newest back */
	int png;                  /* PNG plots beside the SVG ones */
	int bisect;               /* bisect each open regression whose range holds several */
	int claim;                /* share the commits with the pool's other runners (the queue) */
	const char *pool;         /* with claim: the pool (NULL: the machine class) */
	int lease_s;              /* with claim: each claim's lease, renewed every third */
	struct bg_engine_opts eo; /* how each commit is measured (kind "nightly") */
};

/* One nightly on app (repository and database open). Returns 0 or a negative code with
 * bg_error_last() set (the progress line cleared). *status is the exit status otherwise:
 * BG_EXIT_INFRA when a commit could not be measured for another reason than its build, a
 * bisect could not go on, or an interruption stopped the nightly (each logged), else 0. */
int bg_nightly_run(struct bg_app *app, const struct bg_nightly_opts *o, int *status);

/* Which of the m unmeasured commits (oldest first) to measure, at most max: the newest, then
 * the others spread evenly from the oldest. Writes indices into pick (room for
 * min(m, max)), newest first; returns how many. */
size_t bg_nightly_choose(size_t m, size_t max, size_t *pick);

/* A file-name-safe, stable key for a series into out (cap bytes): its name in [a-z0-9-],
 * cut at 80 characters, and the start of the name's SHA-256 so two names that slug alike
 * still differ. */
void bg_nightly_series_key(char *out, size_t cap, const char *name);

struct bg_regression_rec;

/* The summary's line for an open regression r of the series called name into out (cap
 * bytes, cut to fit): its change with its interval, its range, its metric and which way is
 * worse for it ("GB/s, higher is better: it fell"), so a throughput's drop reads as the
 * regression it is. */
void bg_nightly_regression_line(char *out, size_t cap, const char *name,
				const struct bg_regression_rec *r);

/* A commit time (Unix seconds) as its UTC date, "YYYY-MM-DD". */
void bg_nightly_date(char out[16], int64_t time_s);

#endif
