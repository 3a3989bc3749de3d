/* The dashboard's own queries: where each sample of a series came from (run and round), for
 * the per-series CSV, read beside bg_db_series_walk with the same filters and order; the
 * test suites along the commits; and, for a dashboard of every machine, the machines and
 * the commits stored for each, and the pools whose runners measured them. */
#include <stdlib.h>
#include <string.h>

#include "bg_db.h"
#include "bg_error.h"
#include "db_int.h"

static int mismatch(const struct bg_walk_series *w)
{
	return bg_error_set(BG_EINPUT,
			    "series %s (%s, %s): the samples stored differ from those read "
			    "before (a run was recorded meanwhile); render again",
			    w->benchmark, w->params, w->mode);
}

/* The point at each position in shas (-1: none), where each point starts in the flat
 * origins, and how many of its slots are filled (none yet). */
static int origin_slots(const struct bg_walk_series *w, size_t n, long **pt_of, size_t **start,
			size_t **next)
{
	size_t np = w->n_points ? w->n_points : 1;
	*pt_of = malloc((n ? n : 1) * sizeof(**pt_of));
	*start = malloc(np * sizeof(**start));
	*next = calloc(np, sizeof(**next));
	if (!*pt_of || !*start || !*next)
		return bg_error_oom();
	for (size_t i = 0; i < n; i++)
		(*pt_of)[i] = -1;
	size_t at = 0;
	for (size_t p = 0; p < w->n_points; p++) {
		if (w->points[p].pos >= n)
			return bg_error_set(BG_EINPUT,
					    "series %s: a point outside the commits given",
					    w->benchmark);
		(*pt_of)[w->points[p].pos] = (long)p;
		(*start)[p] = at;
		at += w->points[p].n;
	}
	return 0;
}

/* The statement's rows into out at their point's next slot; BG_EINPUT when the samples
 * stored no longer match w (a run finished between the two reads). */
static int origin_rows(struct db_sql_stmt *s, const struct bg_walk_series *w,
		       const char *const *shas, size_t n, struct bg_sample_origin *out)
{
	long *pt_of = NULL;
	size_t *start = NULL, *next = NULL;
	int rc = origin_slots(w, n, &pt_of, &start, &next), step = 0;
	/* the commits sorted would be faster; a series has one row per sample and the
	 * commits are looked up once per run, so a linear scan per new sha is enough */
	const char *last_sha = NULL;
	long p = -1;
	while (rc == 0 && (step = db_sql_step(s, "reading where samples came from")) == 1) {
		const char *sha = db_sql_col_text(s, 0);
		if (!sha)
			continue;
		if (!last_sha || strcmp(sha, last_sha)) {
			p = -1;
			for (size_t i = 0; i < n && p < 0; i++)
				p = !strcmp(shas[i], sha) ? pt_of[i] : -1;
			free((void *)last_sha);
			if (!(last_sha = bg_strdup(sha)))
				rc = BG_ENOMEM;
		}
		if (rc || p < 0)
			continue;
		if (next[p] == w->points[p].n) {
			rc = mismatch(w);
			continue;
		}
		out[start[p] + next[p]++] =
			(struct bg_sample_origin){db_sql_col_int64(s, 1), db_sql_col_int(s, 2)};
	}
	if (rc == 0 && step < 0)
		rc = step;
	for (size_t q = 0; rc == 0 && q < w->n_points; q++)
		if (next[q] != w->points[q].n)
			rc = mismatch(w);
	free((void *)last_sha);
	free(pt_of);
	free(start);
	free(next);
	return rc;
}

size_t bg_db_walk_total(const struct bg_walk_series *w)
{
	size_t total = 0;
	for (size_t p = 0; p < w->n_points; p++)
		total += w->points[p].n;
	return total;
}

int bg_db_series_origins(struct bg_db *db, int64_t machine_id, const char *kind,
			 const struct bg_walk_series *w, const char *const *shas, size_t n,
			 struct bg_sample_origin **out)
{
	static const char sql[] =
		"SELECT c.sha, r.id, x.round "
		"FROM runs r JOIN commits c ON c.id = r.commit_id "
		"JOIN results x ON x.run_id = r.id "
		"JOIN series se ON se.id = x.series_id "
		"JOIN samples sm ON sm.result_id = x.id "
		"WHERE r.machine_id = ?1 AND r.kind = ?2 AND r.complete = 1 AND r.worktree = 0 "
		"AND x.skipped IS NULL AND se.benchmark = ?3 AND se.params = ?4 "
		"AND se.metric = ?5 AND se.mode = ?6 "
		"ORDER BY r.id, x.round, sm.idx";
	size_t total = bg_db_walk_total(w);
	*out = calloc(total ? total : 1, sizeof(**out));
	if (!*out)
		return bg_error_oom();
	struct db_sql_stmt *s = NULL;
	int err = db_begin_read(db, "reading where samples came from");
	if (err < 0) {
		free(*out);
		*out = NULL;
		return err;
	}
	if ((err = db_sql_prepare(db->sql, sql, 0, &s, "reading where samples came from")) == 0) {
		db_sql_bind_int64(s, 1, machine_id);
		db_sql_bind_text(s, 2, kind);
		db_sql_bind_text(s, 3, w->benchmark);
		db_sql_bind_text(s, 4, w->params);
		db_sql_bind_text(s, 5, w->metric);
		db_sql_bind_text(s, 6, w->mode);
		err = origin_rows(s, w, shas, n, *out);
	}
	db_sql_finalize(s);
	err = db_end(db, err, "reading where samples came from");
	if (err < 0) {
		free(*out);
		*out = NULL;
	}
	return err;
}

/* --- test suites along a line of commits ------------------------------------------------ */

/* The suite of the statement's row, the last one of *v when it is the same (0), else a new
 * one (1). */
static int suite_of_row(struct db_sql_stmt *s, struct bg_suite_walk **v, size_t *len, size_t *cap,
			struct bg_suite_walk **out)
{
	const char *name = db_sql_col_text(s, 0);
	if (*len && !strcmp((*v)[*len - 1].suite, name ? name : "")) {
		*out = &(*v)[*len - 1];
		return 0;
	}
	if (bg_grow((void **)v, cap, *len, sizeof(**v), 8) < 0)
		return BG_ENOMEM;
	*out = &(*v)[(*len)++];
	memset(*out, 0, sizeof(**out));
	(*out)->suite = bg_strdup(name ? name : "");
	return (*out)->suite ? 1 : bg_error_oom();
}

/* The statement's rows (by suite, then commit) on the caller's commits into *v. */
static int suite_rows(struct db_sql_stmt *s, const char *const *shas, size_t n,
		      struct bg_suite_walk **v, size_t *len)
{
	size_t cap = 0, pcap = 0;
	int step, rc = 0;
	struct bg_suite_walk *cur = NULL;
	while (rc == 0 && (step = db_sql_step(s, "reading test suites along commits")) == 1) {
		const char *sha = db_sql_col_text(s, 1);
		long pos = -1;
		for (size_t i = 0; sha && i < n && pos < 0; i++)
			pos = !strcmp(shas[i], sha) ? (long)i : -1;
		if (pos < 0)
			continue;
		if ((rc = suite_of_row(s, v, len, &cap, &cur)) < 0)
			break;
		pcap = rc ? 0 : pcap;
		rc = 0;
		if (bg_grow((void **)&cur->points, &pcap, cur->n_points, sizeof(*cur->points), 64) <
		    0) {
			rc = BG_ENOMEM;
			break;
		}
		cur->points[cur->n_points++] = (struct bg_suite_point){
			.pos = (size_t)pos,
			.passed = db_sql_col_int(s, 2),
			.failed = db_sql_col_int(s, 3),
			.errored = db_sql_col_int(s, 4),
			.skipped = db_sql_col_int(s, 5),
		};
	}
	if (rc == 0 && step < 0)
		rc = step;
	return rc;
}

static int by_pos(const void *a, const void *b)
{
	size_t x = ((const struct bg_suite_point *)a)->pos,
	       y = ((const struct bg_suite_point *)b)->pos;
	return (x > y) - (x < y);
}

int bg_db_suite_walk(struct bg_db *db, int64_t machine_id, const char *kind,
		     const char *const *shas, size_t n, struct bg_suite_walk **out, size_t *n_out)
{
	static const char sql[] =
		"SELECT ts.suite, c.sha, sum(ts.passed), sum(ts.failed), sum(ts.errored), "
		"sum(ts.skipped) "
		"FROM runs r JOIN commits c ON c.id = r.commit_id "
		"JOIN test_suites ts ON ts.run_id = r.id "
		"WHERE r.machine_id = ?1 AND r.kind = ?2 AND r.worktree = 0 "
		"AND (r.label IS NULL OR r.label <> 'bisect') "
		"GROUP BY ts.suite, c.sha ORDER BY ts.suite, c.sha";
	*out = NULL;
	*n_out = 0;
	struct db_sql_stmt *s = NULL;
	struct bg_suite_walk *v = NULL;
	size_t len = 0;
	int err = db_begin_read(db, "reading test suites along commits");
	if (err < 0)
		return err;
	if ((err = db_sql_prepare(db->sql, sql, 0, &s, "reading test suites along commits")) == 0) {
		db_sql_bind_int64(s, 1, machine_id);
		db_sql_bind_text(s, 2, kind);
		err = suite_rows(s, shas, n, &v, &len);
	}
	db_sql_finalize(s);
	err = db_end(db, err, "reading test suites along commits");
	if (err < 0) {
		bg_db_suite_walk_free(v, len);
		return err;
	}
	for (size_t i = 0; i < len; i++)
		qsort(v[i].points, v[i].n_points, sizeof(*v[i].points), by_pos);
	*out = v;
	*n_out = len;
	return 0;
}

void bg_db_suite_walk_free(struct bg_suite_walk *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		free(v[i].suite);
		free(v[i].points);
	}
	free(v);
}

/* --- every machine, and the commits stored for each -------------------------------------- */

int bg_db_site_machines(struct bg_db *db, const char *kind, int64_t **out, size_t *n)
{
	static const char sql[] = "SELECT m.id FROM machines m WHERE EXISTS (SELECT 1 FROM runs r "
				  "WHERE r.machine_id = m.id AND r.kind = ?1 AND r.complete = 1) "
				  "ORDER BY m.cpu, m.fingerprint";
	*out = NULL;
	*n = 0;
	struct db_sql_stmt *s = NULL;
	size_t cap = 0;
	int step = 0, err = db_sql_prepare(db->sql, sql, 0, &s, "listing machines");
	if (err == 0)
		db_sql_bind_text(s, 1, kind);
	while (err == 0 && (step = db_sql_step(s, "listing machines")) == 1) {
		if ((err = bg_grow((void **)out, &cap, *n, sizeof(**out), 8)) < 0)
			break;
		(*out)[(*n)++] = db_sql_col_int64(s, 0);
	}
	if (err == 0 && step < 0)
		err = step;
	db_sql_finalize(s);
	if (err < 0) {
		free(*out);
		*out = NULL;
		*n = 0;
	}
	return err;
}

int bg_db_site_pools(struct bg_db *db, int64_t machine_id, const char *kind, char **out)
{
	static const char sql[] = "SELECT DISTINCT pool FROM runs WHERE machine_id = ?1 "
				  "AND kind = ?2 AND pool IS NOT NULL ORDER BY pool";
	struct bg_buf names = BG_BUF_INIT;
	struct db_sql_stmt *s = NULL;
	int step = 0, err = db_sql_prepare(db->sql, sql, 0, &s, "listing a machine's pools");
	if (err == 0) {
		db_sql_bind_int64(s, 1, machine_id);
		db_sql_bind_text(s, 2, kind);
	}
	while (err == 0 && (step = db_sql_step(s, "listing a machine's pools")) == 1) {
		const char *pool = db_sql_col_text(s, 0);
		err = bg_buf_printf(&names, "%s%s", names.len ? ", " : "", pool ? pool : "");
	}
	if (err == 0 && step < 0)
		err = step;
	db_sql_finalize(s);
	*out = err == 0 && names.len ? bg_buf_detach(&names) : NULL;
	bg_buf_free(&names);
	return err;
}

/* The statement's rows (sha, tree, parent, subject, author, time) into *v. */
static int commit_rows(struct db_sql_stmt *s, struct bg_commit_rec **v, size_t *len)
{
	size_t cap = 0;
	int step, err = 0;
	while ((step = db_sql_step(s, "reading the commits measured")) == 1) {
		if ((err = bg_grow((void **)v, &cap, *len, sizeof(**v), 64)) < 0)
			return err;
		struct bg_commit_rec *c = &(*v)[(*len)++];
		memset(c, 0, sizeof(*c));
		c->time = db_sql_col_int64(s, 5);
		if ((err = db_col_str(s, 0, &c->sha)) < 0 ||
		    (err = db_col_str(s, 1, &c->tree)) < 0 ||
		    (err = db_col_str(s, 2, &c->parent)) < 0 ||
		    (err = db_col_str(s, 3, &c->subject)) < 0 ||
		    (err = db_col_str(s, 4, &c->author)) < 0)
			return err;
	}
	return step < 0 ? step : 0;
}

int bg_db_site_commits(struct bg_db *db, int64_t machine_id, const char *kind,
		       struct bg_commit_rec **out, size_t *n)
{
	static const char sql[] =
		"SELECT c.sha, c.tree, c.parent, c.subject, c.author, c.time FROM commits c "
		"WHERE c.id IN (SELECT r.commit_id FROM runs r WHERE r.machine_id = ?1 "
		"AND r.kind = ?2 AND r.worktree = 0) ORDER BY c.time, c.sha";
	*out = NULL;
	*n = 0;
	struct db_sql_stmt *s = NULL;
	int err = db_sql_prepare(db->sql, sql, 0, &s, "reading the commits measured");
	if (err == 0) {
		db_sql_bind_int64(s, 1, machine_id);
		db_sql_bind_text(s, 2, kind);
		err = commit_rows(s, out, n);
	}
	db_sql_finalize(s);
	if (err < 0) {
		bg_db_commit_list_free(*out, *n);
		*out = NULL;
		*n = 0;
	}
	return err;
}

void bg_db_commit_list_free(struct bg_commit_rec *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		bg_db_commit_clear(&v[i]);
	free(v);
}
