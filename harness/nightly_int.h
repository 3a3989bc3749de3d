/* The nightly's analysis and dashboard (nightly_site.c), one engine for the two commands
 * that render it: `bitgate nightly` (nightly.c: this machine, along the branch's first
 * parents) and `bitgate site` (site.c: every machine in the database, along the commits
 * stored for it); and the nightly's bisects (nightly_bisect.c). Private to harness/. */
#ifndef BG_NIGHTLY_INT_H
#define BG_NIGHTLY_INT_H

#include <stddef.h>
#include <stdint.h>

#include "bg_app.h"
#include "bg_db.h"
#include "bg_engine.h"
#include "bg_git.h"
#include "bg_nightly_config.h"
#include "bg_site.h"

struct nightly_view; /* one series' points and changes, owned by the analysis */

/* One machine's share of the dashboard: whose runs, along which commits, and what the
 * analysis made of them. The caller fills the first five fields (all borrowed); the
 * analysis fills the rest; nightly_part_clear releases them. */
struct nightly_part {
	int64_t machine_id;           /* whose runs and regressions */
	const char *machine;          /* how the site names the machine (e.g. its CPU) */
	const char *tag;              /* NULL on a one-machine site; else appended to its
					 series' keys and test suites' names, so several
					 machines' series live side by side: [a-z0-9-] only */
	const struct bg_commit *line; /* the commits covered, oldest first */
	size_t n;
	struct bg_walk_series *walk; /* the series measured along line */
	size_t n_walk;
	struct nightly_view *views;    /* one per series */
	struct bg_site_series *series; /* one per series, as the site shows it */
	char (*dates)[16];             /* of line's commits */
};

/* Finds the change points of every nightly series of p's machine along p->line and stores
 * its regressions (a known one keeps its identity, one the analysis no longer finds over
 * the same commits is removed); fills p's series for the site. Analysing again clears the
 * previous analysis first. */
int nightly_analyse(struct bg_db *db, struct nightly_part *p, const struct bg_nightly_config *nc);

void nightly_part_clear(struct nightly_part *p);

/* What the site is called and where it goes. */
struct nightly_render_opts {
	const char *title;      /* the pages' title */
	const char *repo;       /* shown on the index; may be NULL */
	const char *commit_url; /* the commit link template; may be NULL */
	const char *dir;        /* where the site goes */
	int png;                /* PNG plots too */
	const char *headline;   /* the summary line's start: "nightly: 12 commits on main" */
};

/* Renders the site of the analysed parts (their series, stored regressions and test
 * suites, in the parts' order) and prints the summary: the headline with the counts and
 * where the site went, then each open regression (with its machine when there are
 * several parts). */
int nightly_render(struct bg_db *db, struct nightly_part *parts, size_t nparts,
		   const struct nightly_render_opts *ro);

/* The bisects of the nightly's open regressions (nightly_bisect.c): this machine's, along
 * line. Every field borrowed; found counts the first bad commits stored. */
struct nightly_bisect {
	struct bg_app *app;
	const struct bg_commit *line;
	size_t n;
	const struct bg_nightly_config *nc;
	const struct bg_engine_opts *eo;
	int *status; /* made 3 when a bisect fails on bitgate's side */
	size_t found;
};

/* Bisects every open regression not bisected yet whose range holds more than one commit;
 * *done: how many found a first bad commit. BG_EINTR when interrupted; a regression whose
 * bisect cannot go on (an end no longer builds...) is reported and left. */
int nightly_bisect_open(struct nightly_bisect *b, size_t *done);

/* The same through the queue of pool's runners of this machine (nightly --claim): queues
 * the regressions to bisect (*queued: how many there were), then claims and bisects them
 * with the other runners until none is left; b->found counts this runner's. */
int nightly_bisect_claimed(struct nightly_bisect *b, const char *pool, int lease_s, size_t *queued);

#endif
