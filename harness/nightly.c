/* The nightly engine behind `bitgate nightly` (harness/cmd_nightly.c): measure the branch's
 * new first-parent commits, find change points in every series, store the regressions,
 * bisect the open ones when asked, and render the static dashboard (the analysis and the
 * site are nightly_site.c's, shared with `bitgate site`). */
#include "bg_nightly.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bg_buf.h"
#include "bg_error.h"
#include "bg_fleet.h"
#include "bg_fs.h"
#include "bg_log.h"
#include "bg_nightly_config.h"
#include "bg_proc.h"
#include "nightly_int.h"

size_t bg_nightly_choose(size_t m, size_t max, size_t *pick)
{
	if (m == 0 || max == 0)
		return 0;
	if (m <= max) {
		for (size_t i = 0; i < m; i++)
			pick[i] = m - 1 - i;
		return m;
	}
	size_t k = 0;
	pick[k++] = m - 1;
	for (size_t j = 0; k < max && j + 1 < max; j++) {
		size_t idx = (size_t)((double)j * (double)(m - 1) / (double)(max - 1) + 0.5);
		int seen = 0;
		for (size_t q = 0; q < k; q++)
			seen |= pick[q] == idx;
		if (!seen)
			pick[k++] = idx;
	}
	return k;
}

/* One nightly: what it works on, phase by phase. */
struct nightly {
	struct bg_app *app;
	const struct bg_nightly_opts *o;
	const char *branch;          /* o->branch, or branch_owned */
	char *branch_owned;          /* the default branch, as HEAD's bitgate.json names it */
	struct bg_commit tip;        /* the branch's tip */
	struct bg_config *cfg;       /* the tip's bitgate.json */
	struct bg_nightly_config nc; /* its nightly section */
	struct bg_commit *line;      /* first parents of the tip, oldest first */
	size_t n;
	const struct bg_commit *walk; /* the last o->depth of line: what the dashboard covers */
	size_t nw;
	char *site_owned; /* the default site directory */
	struct nightly_part part; /* this machine along walk: its analysis */
	int status;  /* the exit status so far */
	int stopped; /* interrupted, or a commit failed on bitgate's side */
	const char *pool;  /* --claim: the pool (o->pool, or pool_buf) */
	char pool_buf[64]; /* the machine class's pool */
	size_t claimed;    /* --claim: commits this runner claimed */
};

static void nightly_clear(struct nightly *ng)
{
	nightly_part_clear(&ng->part);
	free(ng->site_owned);
	free(ng->branch_owned);
	bg_nightly_config_clear(&ng->nc);
	bg_config_free(ng->cfg);
	bg_commit_list_free(ng->line, ng->n);
	bg_commit_clear(&ng->tip);
}

/* The branch to follow: the one given, else the default branch HEAD's bitgate.json names. */
static int resolve_branch(struct nightly *ng)
{
	ng->branch = ng->o->branch;
	if (ng->branch)
		return 0;
	struct bg_commit head = {0};
	struct bg_config *cfg = NULL;
	int rc;
	if ((rc = bg_git_resolve(ng->app->repo, "HEAD", &head)) == 0 &&
	    (rc = bg_engine_load_config(ng->app, &head, NULL, &cfg)) == 0 &&
	    !(ng->branch = ng->branch_owned = bg_strdup(cfg->default_branch)))
		rc = bg_error_oom();
	bg_config_free(cfg);
	bg_commit_clear(&head);
	return rc;
}

/* The branch's tip, its configuration and the first-parent line the dashboard covers. */
static int resolve(struct nightly *ng)
{
	struct bg_app *app = ng->app;
	int rc;
	if ((rc = bg_app_machine(app)) < 0 || (rc = resolve_branch(ng)) < 0 ||
	    (rc = bg_git_resolve(app->repo, ng->branch, &ng->tip)) < 0 ||
	    (rc = bg_engine_load_config(app, &ng->tip, NULL, &ng->cfg)) < 0 ||
	    (rc = bg_nightly_config_read(ng->cfg, &ng->nc)) < 0 ||
	    (rc = bg_git_range(app->repo, NULL, ng->tip.sha, 1, &ng->line, &ng->n)) < 0)
		return rc;
	size_t depth = (size_t)ng->o->depth;
	size_t first = ng->n > depth ? ng->n - depth : 0;
	ng->walk = ng->line + first;
	ng->nw = ng->n - first;
	return 0;
}

/* --claim: the pool this runner joins, --pool or its machine class. */
static int join_pool(struct nightly *ng)
{
	ng->pool = ng->o->pool;
	if (!ng->pool) {
		bg_fleet_default_pool(ng->pool_buf, sizeof(ng->pool_buf), &ng->app->machine);
		ng->pool = ng->pool_buf;
	}
	return bg_fleet_check_pool(ng->pool);
}

/* Records each of the m commits todo names whose tree has no bitgate.json (a history that
 * adopted bitgate late) as one that cannot be measured, once, and keeps the others in todo
 * (*m shrinks); *recorded counts them. */
static int record_unconfigured(struct nightly *ng, size_t *todo, size_t *m, size_t *recorded)
{
	size_t keep = 0;
	int rc = 0;
	for (size_t i = 0; i < *m && rc == 0; i++) {
		const struct bg_commit *c = &ng->walk[todo[i]];
		int has = bg_git_has_file(ng->app->repo, c, "bitgate.json");
		if (has > 0) {
			todo[keep++] = todo[i];
		} else if ((rc = has) == 0) {
			struct bg_subject s;
			rc = bg_engine_record_unconfigured(ng->app, &s, c, &ng->o->eo);
			bg_subject_clear(&s);
			(*recorded)++;
		}
	}
	*m = keep;
	return rc;
}

/* Which commits of the walk to measure now (*sel, indices into walk, newest first; *k of
 * them): those with no nightly run on this machine (with --claim: in the pool,
 * bg_db_queue_measured) and a bitgate.json, chosen by bg_nightly_choose. */
static int pending(struct nightly *ng, size_t **sel, size_t *k)
{
	size_t nw = ng->nw;
	const char **shas = malloc((nw ? nw : 1) * sizeof(*shas));
	int *state = malloc((nw ? nw : 1) * sizeof(*state));
	size_t *todo = malloc((nw ? nw : 1) * sizeof(*todo));
	size_t *pick = *sel = malloc((nw ? nw : 1) * sizeof(*pick));
	int rc = !shas || !state || !todo || !pick ? bg_error_oom() : 0;
	for (size_t i = 0; rc == 0 && i < nw; i++)
		shas[i] = ng->walk[i].sha;
	if (rc == 0 && ng->pool)
		rc = bg_db_queue_measured(ng->app->db, ng->pool, ng->app->machine_id, "nightly",
					  shas, nw, state);
	else if (rc == 0)
		rc = bg_db_commits_measured(ng->app->db, ng->app->machine_id, "nightly", 0, shas,
					    nw, state);
	size_t m = 0, broken = 0;
	for (size_t i = 0; rc == 0 && i < nw; i++) {
		if (state[i] == BG_COMMIT_UNMEASURED)
			todo[m++] = i;
		broken += state[i] == BG_COMMIT_UNMEASURABLE;
	}
	if (rc == 0)
		rc = record_unconfigured(ng, todo, &m, &broken);
	*k = rc == 0 ? bg_nightly_choose(m, (size_t)ng->o->max_commits, pick) : 0;
	for (size_t j = 0; j < *k; j++)
		pick[j] = todo[pick[j]];
	free(shas);
	free(state);
	free(todo);
	if (rc == 0)
		bg_log_info("%s: %zu first-parent commits, %zu measured, %zu cannot be (they do "
			    "not build or have no usable bitgate.json), %zu new; measuring %zu",
			    ng->branch, nw, nw - m - broken, broken, m, *k);
	return rc;
}

/* Measures commit c, the j-th of k (k 0: of the pool's queue). A commit that does not build
 * or whose bitgate.json is unusable is recorded (and not retried): *done 1; one that fails
 * otherwise makes the status 3 (*done 0); an error of bitgate's own or an interruption
 * stops the nightly (ng->stopped; what was measured is kept) and returns -1. *uuid (may be
 * NULL) takes the run's uuid. */
static int measure_one(struct nightly *ng, const struct bg_commit *c, size_t j, size_t k, int *done,
		       char **uuid)
{
	struct bg_subject subj;
	memset(&subj, 0, sizeof(subj));
	char at[48];
	if (k)
		snprintf(at, sizeof(at), "%zu/%zu", j, k);
	else
		snprintf(at, sizeof(at), "#%zu", j);
	bg_progress_prefix("[%s %.10s]", at, c->sha);
	bg_progress_start();
	bg_log_info("[%s] %.10s %s", at, c->sha, c->subject ? c->subject : "");
	int rc = bg_engine_run_one(ng->app, &subj, c, &ng->o->eo);
	int unmeasurable =
		!strcmp(subj.status, "build-failed") || !strcmp(subj.status, "config-error");
	*done = !subj.failed || unmeasurable;
	if (subj.failed && !unmeasurable) {
		bg_log_error("%.10s: %s", c->sha, subj.error ? subj.error : subj.status);
		ng->status = BG_EXIT_INFRA;
	} else if (subj.failed) {
		bg_log_info("%.10s cannot be measured (%s): recorded, not retried", c->sha,
			    subj.status);
	}
	if (uuid && subj.run_uuid)
		*uuid = bg_strdup(subj.run_uuid);
	bg_subject_clear(&subj);
	if (rc < 0 || bg_interrupted(NULL)) {
		if (rc == BG_EINTR || bg_interrupted(NULL))
			bg_log_error("interrupted: what was measured is kept");
		else
			bg_log_error("%s", bg_error_last());
		*done = 0;
		ng->status = BG_EXIT_INFRA;
		ng->stopped = 1;
		return -1;
	}
	return 0;
}

/* Measures the k commits sel names (measure_one), until one stops the nightly. */
static void measure(struct nightly *ng, const size_t *sel, size_t k)
{
	int done;
	for (size_t j = 0; j < k; j++)
		if (measure_one(ng, &ng->walk[sel[j]], j + 1, k, &done, NULL) < 0)
			return;
	bg_progress_clear();
}

/* The fleet's measure step (bg_fleet_measure_fn): the claimed commit, found on the line or
 * else in the repository (another runner's nightly may have queued it). */
static int fleet_measure(void *arg, const char *sha, int *done, char **uuid)
{
	struct nightly *ng = arg;
	struct bg_commit other = {0};
	ptrdiff_t i = bg_commit_index(ng->line, ng->n, sha);
	int rc = i >= 0 ? 0 : bg_git_resolve(ng->app->repo, sha, &other);
	if (rc == 0)
		rc = measure_one(ng, i >= 0 ? &ng->line[i] : &other, ++ng->claimed, 0, done, uuid);
	bg_commit_clear(&other);
	bg_progress_clear();
	return rc < 0 ? (ng->stopped ? BG_EINTR : rc) : 0;
}

/* --claim: queues the k commits sel names for the pool (unless its runners are at work on
 * a batch already), then claims and measures the pool's queue with the other runners
 * until it is empty. */
static int claim_and_measure(struct nightly *ng, const size_t *sel, size_t k)
{
	const char **shas = malloc((k ? k : 1) * sizeof(*shas));
	size_t added = 0;
	struct bg_fleet fleet;
	int rc = shas ? 0 : bg_error_oom();
	for (size_t j = 0; rc == 0 && j < k; j++)
		shas[j] = ng->walk[sel[j]].sha;
	if (rc == 0)
		rc = bg_db_queue_enqueue(ng->app->db, ng->pool, "nightly", shas, k, 1, &added);
	free(shas);
	if (rc == 0) {
		bg_log_info("pool %s: queued %zu of the %zu commits", ng->pool, added, k);
		rc = bg_fleet_init(&fleet, ng->app, ng->pool, ng->o->lease_s);
	}
	if (rc == 0)
		rc = bg_fleet_work(&fleet, "nightly", fleet_measure, ng);
	if (rc < 0 && ng->stopped)
		rc = 0; /* measure_one said why */
	if (rc == 0)
		bg_log_info("pool %s: this runner (%s) measured %zu commits%s", ng->pool,
			    fleet.runner, fleet.measured, fleet.lost ? "; it lost a lease" : "");
	return rc;
}

/* The analysis, and with o->bisect the bisects of the open regressions (with --claim,
 * shared with the pool's runners) and, when any was bisected, the analysis again: the
 * bisect runs are points of their series now, so the ranges narrow. */
static int analyse_and_bisect(struct nightly *ng)
{
	struct bg_app *app = ng->app;
	ng->part = (struct nightly_part){.machine_id = app->machine_id,
					 .machine = app->machine.cpu,
					 .line = ng->walk,
					 .n = ng->nw};
	int rc = nightly_analyse(app->db, &ng->part, &ng->nc);
	if (rc < 0 || !ng->o->bisect)
		return rc;
	struct nightly_bisect b = {.app = app,
				   .line = ng->walk,
				   .n = ng->nw,
				   .nc = &ng->nc,
				   .eo = &ng->o->eo,
				   .status = &ng->status};
	size_t bisected = 0, queued = 0;
	if (ng->pool)
		rc = nightly_bisect_claimed(&b, ng->pool, ng->o->lease_s, &queued);
	else
		rc = nightly_bisect_open(&b, &bisected);
	if (rc == BG_EINTR || bg_interrupted(NULL)) {
		bg_log_error("interrupted while bisecting: what was measured is kept");
		ng->status = BG_EXIT_INFRA;
		ng->stopped = 1;
		return 0;
	}
	/* with a pool, other runners' bisects count too: they are stored */
	if (rc < 0 || !(bisected || queued))
		return rc;
	return nightly_analyse(app->db, &ng->part, &ng->nc);
}

/* Where the site goes: o->site_dir, else <state dir>/site. */
static int site_dir(struct nightly *ng, const char **dir)
{
	*dir = ng->o->site_dir;
	if (*dir)
		return 0;
	if (!(ng->site_owned = bg_path_joined(ng->app->state_dir, "site")))
		return bg_error_oom();
	*dir = ng->site_owned;
	return 0;
}

/* The site of this machine's series along the walk, and the summary. */
static int render(struct nightly *ng, const char *dir)
{
	char title[160], headline[200];
	snprintf(title, sizeof(title), "bitgate nightly: %s", ng->branch);
	snprintf(headline, sizeof(headline), "nightly: %zu commits on %s", ng->nw, ng->branch);
	struct nightly_render_opts ro = {.title = title,
					 .repo = ng->app->workdir,
					 .commit_url = ng->nc.commit_url,
					 .dir = dir,
					 .png = ng->o->png,
					 .headline = headline};
	return nightly_render(ng->app->db, &ng->part, 1, &ro);
}

int bg_nightly_run(struct bg_app *app, const struct bg_nightly_opts *o, int *status)
{
	struct nightly ng = {.app = app, .o = o};
	size_t *sel = NULL, k = 0;
	const char *dir = NULL;
	int rc = resolve(&ng);
	if (rc == 0 && o->claim)
		rc = join_pool(&ng);
	if (rc == 0)
		rc = pending(&ng, &sel, &k);
	if (rc == 0) {
		bg_signals_install();
		if (o->claim)
			rc = claim_and_measure(&ng, sel, k);
		else
			measure(&ng, sel, k);
	}
	free(sel);
	if (rc == 0 && !ng.stopped && (rc = site_dir(&ng, &dir)) == 0)
		rc = analyse_and_bisect(&ng);
	if (rc == 0 && !ng.stopped)
		rc = render(&ng, dir);
	if (rc < 0)
		bg_progress_clear();
	*status = ng.status;
	nightly_clear(&ng);
	return rc;
}
