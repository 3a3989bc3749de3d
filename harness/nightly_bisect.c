/* The nightly's bisects (bitgate nightly --bisect): every open regression not bisected yet
 * whose range holds several commits is bisected (bisect.c), its first bad commit stored as
 * the regression's suspect. With --claim, the runners of a pool split the regressions of
 * their machine through the shared queue (kind "bisect", one item per regression, in a
 * pool of its own per machine, as a regression is one machine's): each is bisected by one
 * runner, under a renewed lease, and taken again when its runner dies. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bg_bisect.h"
#include "bg_error.h"
#include "bg_fleet.h"
#include "bg_log.h"
#include "bg_proc.h"
#include "bg_trend.h"
#include "nightly_int.h"

/* 1 when g is to be bisected: detected, no suspect yet, both ends on the line with at
 * least one commit between them. */
static int wanted(const struct nightly_bisect *b, const struct bg_regression_rec *g)
{
	ptrdiff_t pg = bg_commit_index(b->line, b->n, g->good_sha),
		  pb = bg_commit_index(b->line, b->n, g->bad_sha);
	return !strcmp(g->state, "detected") && !g->suspect_sha && pg >= 0 && pb - pg >= 2;
}

/* What a finished bisect of the series name found, on stdout; 1 when a first bad commit. */
static int print_result(const char *name, const struct bg_bisect_result *r)
{
	if (!r->slowdown) {
		printf("  bisect of %s: the ends differ by %+.1f%% [%+.1f%%, %+.1f%%] now, below "
		       "the threshold: not bisected\n",
		       name, 100 * (r->ends.estimate - 1), 100 * (r->ends.lo - 1),
		       100 * (r->ends.hi - 1));
		return 0;
	}
	size_t cands = r->first_bad - r->last_good;
	const struct bg_commit *c = &r->line[r->first_bad];
	printf("  bisected %s: first bad commit %s%.10s %s (%+.1f%% [%+.1f%%, %+.1f%%])\n", name,
	       cands > 1 ? "(after skipped ones) " : "", c->sha, c->subject ? c->subject : "",
	       100 * (r->step.estimate - 1), 100 * (r->step.lo - 1), 100 * (r->step.hi - 1));
	return 1;
}

/* Bisects g: 0 (*found 1 when a first bad commit was stored; *failed 1 when it failed on
 * bitgate's side, reported, status 3), or BG_EINTR. A bisect that cannot go on (an end no
 * longer builds...) is reported and left. */
static int bisect_one(struct nightly_bisect *b, const struct bg_regression_rec *g, int *found,
		      int *failed)
{
	char name[256];
	bg_trend_series_name(name, sizeof(name), g->benchmark, g->params, g->mode);
	bg_log_info("bisecting %s: %td commits between %.10s and %.10s", name,
		    bg_commit_index(b->line, b->n, g->bad_sha) -
			    bg_commit_index(b->line, b->n, g->good_sha),
		    g->good_sha, g->bad_sha);
	struct bg_bisect_opts o = {.bench = g->benchmark,
				   .params = g->params,
				   .mode = g->mode,
				   .metric = g->metric,
				   .good = g->good_sha,
				   .bad = g->bad_sha,
				   .threshold = b->nc->threshold,
				   .cut = -1,
				   .repetitions = b->eo->repetitions,
				   .retries = 2,
				   .jobs = b->eo->jobs,
				   .pin_cpu = b->eo->pin_cpu};
	struct bg_bisect_result r;
	int rc = bg_bisect_run(b->app, &o, &r);
	*found = *failed = 0;
	if (rc == 0) {
		*found = print_result(name, &r);
	} else if (rc == BG_EINPUT) {
		bg_log_warn("bisect of %s: %s", name, bg_error_last());
		rc = 0;
	} else if (rc != BG_EINTR) {
		bg_log_error("bisect of %s: %s", name, bg_error_last());
		*b->status = BG_EXIT_INFRA;
		*failed = 1;
		rc = 0;
	}
	bg_bisect_result_clear(&r);
	return rc;
}

int nightly_bisect_open(struct nightly_bisect *b, size_t *done)
{
	struct bg_regression_rec *regs = NULL;
	size_t nregs = 0;
	int found, failed;
	*done = 0;
	int rc = bg_db_regression_list(b->app->db, b->app->machine_id, &regs, &nregs);
	for (size_t i = 0; rc == 0 && i < nregs; i++)
		if (wanted(b, &regs[i]) && (rc = bisect_one(b, &regs[i], &found, &failed)) == 0)
			*done += (size_t)found;
	bg_db_regression_list_free(regs, nregs);
	return rc;
}

/* The fleet's step for a claimed regression (bg_fleet_measure_fn): key is its id. One no
 * longer stored or no longer wanted (another runner's analysis moved it, it was bisected)
 * is done with nothing to do. */
static int claimed_one(void *arg, const char *key, int *done, char **uuid)
{
	struct nightly_bisect *b = arg;
	struct bg_regression_rec *regs = NULL;
	size_t nregs = 0;
	int64_t id = strtoll(key, NULL, 10);
	int found = 0, failed = 0;
	(void)uuid;
	int rc = bg_db_regression_list(b->app->db, b->app->machine_id, &regs, &nregs);
	for (size_t i = 0; rc == 0 && i < nregs; i++)
		if (regs[i].id == id && wanted(b, &regs[i]))
			rc = bisect_one(b, &regs[i], &found, &failed);
	bg_db_regression_list_free(regs, nregs);
	b->found += (size_t)found;
	*done = rc == 0 && !failed;
	return rc;
}

/* The ids of the machine's regressions to bisect, as queue keys: *keys (free() each and
 * it), *k of them. */
static int wanted_keys(struct nightly_bisect *b, char ***keys, size_t *k)
{
	struct bg_regression_rec *regs = NULL;
	size_t nregs = 0;
	*keys = NULL;
	*k = 0;
	int rc = bg_db_regression_list(b->app->db, b->app->machine_id, &regs, &nregs);
	if (rc == 0 && nregs && !(*keys = calloc(nregs, sizeof(**keys))))
		rc = bg_error_oom();
	for (size_t i = 0; rc == 0 && i < nregs; i++) {
		char id[24];
		snprintf(id, sizeof(id), "%lld", (long long)regs[i].id);
		if (wanted(b, &regs[i]) && !((*keys)[(*k)++] = bg_strdup(id)))
			rc = bg_error_oom();
	}
	bg_db_regression_list_free(regs, nregs);
	return rc;
}

int nightly_bisect_claimed(struct nightly_bisect *b, const char *pool, int lease_s, size_t *queued)
{
	char bpool[128], **keys;
	size_t k, added = 0;
	struct bg_fleet fleet;
	/* a regression is one machine's: its bisect is for the pool's runners of that machine */
	snprintf(bpool, sizeof(bpool), "%s@machine-%lld", pool, (long long)b->app->machine_id);
	int rc = wanted_keys(b, &keys, &k);
	if (rc == 0)
		rc = bg_db_queue_enqueue(b->app->db, bpool, "bisect", (const char *const *)keys, k,
					 0, &added);
	for (size_t i = 0; i < k; i++)
		free(keys[i]);
	free(keys);
	*queued = k;
	if (rc == 0 && k)
		bg_log_info("pool %s: %zu regressions to bisect (%zu newly queued)", bpool, k,
			    added);
	if (rc == 0)
		rc = bg_fleet_init(&fleet, b->app, bpool, lease_s);
	if (rc == 0)
		rc = bg_fleet_work(&fleet, "bisect", claimed_one, b);
	return rc;
}
