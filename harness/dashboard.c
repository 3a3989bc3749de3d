/* The fleet's dashboard behind `bitgate site` (harness/cmd_site.c): every machine with
 * nightly runs in the database, each along the commits stored for it, analysed and
 * rendered by the nightly's own engine (nightly_site.c) into one site. No repository is
 * needed: the commit line comes from the stored commits (their committer times, ties put
 * in first-parent order), which are the commits the nightly measured, so the analysis sees
 * the same points as the nightly's walk of the branch. */
#include "bg_dashboard.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bg_buf.h"
#include "bg_config.h"
#include "bg_engine.h"
#include "bg_error.h"
#include "bg_fs.h"
#include "bg_hash.h"
#include "bg_log.h"
#include "bg_nightly_config.h"
#include "nightly_int.h"

/* One site of every machine: what it works on, phase by phase. */
struct dashboard {
	struct bg_app *app;
	const struct bg_dashboard_opts *o;
	struct bg_config *cfg;       /* the bitgate.json read, or NULL */
	struct bg_nightly_config nc; /* its nightly section, or the defaults */
	int64_t *ids;                /* the machines, in the site's order */
	size_t n;
	struct bg_machine_rec *machines; /* n of each below */
	struct bg_commit **lines;        /* every commit stored for the machine, oldest first */
	size_t *n_lines;
	char (*labels)[300]; /* how the site names each machine */
	char (*tags)[16];    /* what its series' keys carry */
	struct nightly_part *parts;
};

/* The threshold, acknowledgements and commit links: --config's bitgate.json, else HEAD's
 * when there is a repository and it has one, else the defaults. */
static int load_config(struct dashboard *d)
{
	struct bg_app *app = d->app;
	int rc = 0;
	if (d->o->config_path) {
		rc = bg_config_load(&d->cfg, d->o->config_path);
	} else if (app->repo) {
		struct bg_commit head = {0};
		int has = 0;
		if ((rc = bg_git_resolve(app->repo, "HEAD", &head)) == 0 &&
		    (rc = has = bg_git_has_file(app->repo, &head, "bitgate.json")) > 0)
			rc = bg_engine_load_config(app, &head, NULL, &d->cfg);
		bg_commit_clear(&head);
	}
	if (rc < 0)
		return rc;
	if (!d->cfg)
		bg_log_info("no bitgate.json (give one with --config FILE): the default threshold "
			    "of 3%%, no acknowledged regressions, commits not linked");
	struct bg_config none = {0};
	return bg_nightly_config_read(d->cfg ? d->cfg : &none, &d->nc);
}

void bg_dashboard_order_ties(struct bg_commit *v, size_t m)
{
	for (size_t a = 0, b; a < m; a = b) {
		for (b = a + 1; b < m && v[b].time == v[a].time;)
			b++;
		/* place first, each time, the earliest whose first parent is not still waiting */
		for (size_t i = a; i + 1 < b; i++) {
			size_t pick = i;
			for (size_t k = i, waits = 1; k < b && waits; k++) {
				waits = 0;
				for (size_t j = i; j < b && !waits; j++)
					waits = j != k && !strcmp(v[k].parent, v[j].sha);
				pick = waits ? pick : k;
			}
			struct bg_commit t = v[i];
			v[i] = v[pick];
			v[pick] = t;
		}
	}
}

/* The commits stored for machine i as its line, oldest first. */
static int load_line(struct dashboard *d, size_t i)
{
	struct bg_commit_rec *recs = NULL;
	size_t m = 0;
	int rc = bg_db_site_commits(d->app->db, d->ids[i], "nightly", &recs, &m);
	if (rc == 0 && !(d->lines[i] = calloc(m + 1, sizeof(**d->lines))))
		rc = bg_error_oom();
	for (size_t k = 0; rc == 0 && k < m; k++) {
		struct bg_commit *c = &d->lines[i][k];
		snprintf(c->sha, sizeof(c->sha), "%s", recs[k].sha);
		snprintf(c->tree, sizeof(c->tree), "%s", recs[k].tree ? recs[k].tree : "");
		snprintf(c->parent, sizeof(c->parent), "%s", recs[k].parent ? recs[k].parent : "");
		c->subject = recs[k].subject; /* taken over */
		c->author = recs[k].author;
		c->time = recs[k].time;
		recs[k].subject = recs[k].author = NULL;
		d->n_lines[i]++;
	}
	bg_db_commit_list_free(recs, m);
	if (rc == 0)
		bg_dashboard_order_ties(d->lines[i], d->n_lines[i]);
	return rc;
}

/* Each machine's tag (the start of its fingerprint's SHA-256: stable across copies of the
 * database) and label: its CPU, after the pools whose runners measured on it ("zen3: AMD
 * EPYC 7763"), with its tag when another machine's label is the same. */
static int name_machines(struct dashboard *d)
{
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < d->n; i++) {
		const struct bg_machine_rec *m = &d->machines[i];
		const char *fp = m->fingerprint ? m->fingerprint : "";
		char digest[65], *pools = NULL;
		bg_sha256_hex(digest, fp, strlen(fp));
		snprintf(d->tags[i], sizeof(d->tags[i]), "%.8s", digest);
		rc = bg_db_site_pools(d->app->db, d->ids[i], "nightly", &pools);
		snprintf(d->labels[i], sizeof(d->labels[i]), "%s%s%s", pools ? pools : "",
			 pools ? ": " : "", m->cpu && *m->cpu ? m->cpu : "unknown CPU");
		free(pools);
	}
	char *shared = calloc(d->n + 1, 1);
	if (rc == 0 && !shared)
		rc = bg_error_oom();
	for (size_t i = 0; rc == 0 && i < d->n; i++)
		for (size_t k = i + 1; k < d->n; k++)
			if (!strcmp(d->labels[i], d->labels[k]))
				shared[i] = shared[k] = 1;
	for (size_t i = 0; rc == 0 && i < d->n; i++) {
		size_t len = strlen(d->labels[i]);
		if (shared[i])
			snprintf(d->labels[i] + len, sizeof(d->labels[i]) - len, " (%s)",
				 d->tags[i]);
	}
	free(shared);
	return rc;
}

/* Every machine with nightly runs, its record and its line. */
static int load_machines(struct dashboard *d)
{
	int rc = bg_db_site_machines(d->app->db, "nightly", &d->ids, &d->n);
	if (rc < 0)
		return rc;
	size_t n = d->n + 1;
	d->machines = calloc(n, sizeof(*d->machines));
	d->lines = calloc(n, sizeof(*d->lines));
	d->n_lines = calloc(n, sizeof(*d->n_lines));
	d->labels = calloc(n, sizeof(*d->labels));
	d->tags = calloc(n, sizeof(*d->tags));
	d->parts = calloc(n, sizeof(*d->parts));
	if (!d->machines || !d->lines || !d->n_lines || !d->labels || !d->tags || !d->parts)
		return bg_error_oom();
	for (size_t i = 0; rc == 0 && i < d->n; i++)
		if ((rc = bg_db_machine_get(d->app->db, d->ids[i], &d->machines[i])) == 0)
			rc = load_line(d, i);
	return rc == 0 ? name_machines(d) : rc;
}

/* Each machine's last o->depth commits analysed, its regressions stored. */
static int analyse_machines(struct dashboard *d)
{
	size_t depth = (size_t)d->o->depth;
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < d->n; i++) {
		size_t first = d->n_lines[i] > depth ? d->n_lines[i] - depth : 0;
		d->parts[i] = (struct nightly_part){.machine_id = d->ids[i],
						    .machine = d->labels[i],
						    .tag = d->tags[i],
						    .line = d->lines[i] + first,
						    .n = d->n_lines[i] - first};
		rc = nightly_analyse(d->app->db, &d->parts[i], &d->nc);
		if (rc == 0)
			bg_log_info("%s: %zu commits, %zu series", d->labels[i], d->parts[i].n,
				    d->parts[i].n_walk);
	}
	return rc;
}

static void dashboard_clear(struct dashboard *d)
{
	for (size_t i = 0; i < d->n; i++) {
		if (d->parts)
			nightly_part_clear(&d->parts[i]);
		if (d->machines)
			bg_db_machine_clear(&d->machines[i]);
		if (d->lines)
			bg_commit_list_free(d->lines[i], d->n_lines[i]);
	}
	free(d->parts);
	free(d->machines);
	free(d->lines);
	free(d->n_lines);
	free(d->labels);
	free(d->tags);
	free(d->ids);
	bg_nightly_config_clear(&d->nc);
	bg_config_free(d->cfg);
}

int bg_dashboard_run(struct bg_app *app, const struct bg_dashboard_opts *o)
{
	struct dashboard d = {.app = app, .o = o};
	int rc = load_config(&d);
	if (rc == 0)
		rc = load_machines(&d);
	if (rc == 0 && !d.n)
		bg_log_warn("the database holds no complete nightly run: the site shows no "
			    "series");
	if (rc == 0)
		rc = analyse_machines(&d);
	char *dir = o->site_dir ? NULL : bg_path_joined(app->state_dir, "site");
	if (rc == 0 && !o->site_dir && !dir)
		rc = bg_error_oom();
	if (rc == 0) {
		char headline[64];
		snprintf(headline, sizeof(headline), "site: %zu machine%s", d.n,
			 d.n == 1 ? "" : "s");
		struct nightly_render_opts ro = {
			.title = o->title ? o->title : "bitgate nightly: every machine",
			.repo = app->workdir,
			.commit_url = d.nc.commit_url,
			.dir = o->site_dir ? o->site_dir : dir,
			.png = o->png,
			.headline = headline};
		rc = nightly_render(app->db, d.parts, d.n, &ro);
	}
	if (rc < 0)
		bg_progress_clear();
	free(dir);
	dashboard_clear(&d);
	return rc;
}
