/* The nightly dashboard's queries: which commits of a line are measured, every series
 * along that line, and the regressions found in them. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bg_db.h"
#include "bg_error.h"
#include "db_int.h"

/* --- which commits are measured ---------------------------------------------------------- */

int bg_db_commits_measured(struct bg_db *db, int64_t machine_id, const char *kind,
			   int with_bisect, const char *const *shas, size_t n, int *done)
{
	static const char sql[] =
		"SELECT coalesce(max(CASE WHEN r.complete = 1 THEN 2 "
		"WHEN r.status IN ('build-failed', 'config-error') THEN 1 ELSE 0 END), 0) "
		"FROM runs r JOIN commits c ON c.id = r.commit_id "
		"WHERE c.sha = ?1 AND r.machine_id = ?2 AND r.kind = ?3 AND r.worktree = 0 "
		"AND (?4 = 1 OR r.label IS NULL OR r.label <> 'bisect')";
	struct db_sql_stmt *s = NULL;
	int err = db_begin_read(db, "finding measured commits");
	if (err < 0)
		return err;
	if ((err = db_sql_prepare(db->sql, sql, 0, &s, "finding measured commits")) < 0)
		goto done;
	for (size_t i = 0; i < n; i++) {
		db_sql_reset(s);
		db_sql_bind_text(s, 1, shas[i]);
		db_sql_bind_int64(s, 2, machine_id);
		db_sql_bind_text(s, 3, kind);
		db_sql_bind_int64(s, 4, with_bisect);
		if ((err = db_sql_step(s, "finding measured commits")) <= 0) {
			if (err == 0)
				err = bg_error_set(BG_EDB, "%s: finding measured commits: no row",
						   db->path);
			goto done;
		}
		err = 0;
		static const int state[] = {BG_COMMIT_UNMEASURED, BG_COMMIT_UNMEASURABLE,
					    BG_COMMIT_MEASURED};
		done[i] = state[db_sql_col_int(s, 0)];
	}
done:
	db_sql_finalize(s);
	return db_end(db, err, "finding measured commits");
}

/* --- series along a line of commits ---------------------------------------------------- */

struct sha_pos {
	const char *sha;
	size_t pos;
};

static int by_sha(const void *a, const void *b)
{
	return strcmp(((const struct sha_pos *)a)->sha, ((const struct sha_pos *)b)->sha);
}

/* One sample on its way into a series: its commit's position and the order it came in. */
struct walk_sample {
	size_t pos, seq;
	double value;
};

static int by_pos_seq(const void *a, const void *b)
{
	const struct walk_sample *x = a, *y = b;
	if (x->pos != y->pos)
		return x->pos < y->pos ? -1 : 1;
	return (x->seq > y->seq) - (x->seq < y->seq);
}

/* Turns the collected samples of one series into its points. */
static int finish_series(struct bg_walk_series *ser, struct walk_sample *v, size_t n)
{
	qsort(v, n, sizeof(*v), by_pos_seq);
	size_t points = 0;
	for (size_t i = 0; i < n; i++)
		points += i == 0 || v[i].pos != v[i - 1].pos;
	ser->points = calloc(points ? points : 1, sizeof(*ser->points));
	if (!ser->points)
		return bg_error_oom();
	for (size_t i = 0, p = 0; i < n; p++) {
		size_t j = i;
		while (j < n && v[j].pos == v[i].pos)
			j++;
		struct bg_walk_point *pt = &ser->points[p];
		pt->pos = v[i].pos;
		pt->samples = malloc((j - i) * sizeof(double));
		if (!pt->samples)
			return bg_error_oom();
		for (size_t k = i; k < j; k++)
			pt->samples[k - i] = v[k].value;
		pt->n = j - i;
		ser->n_points = p + 1;
		i = j;
	}
	return 0;
}

static int by_series_name(const void *a, const void *b)
{
	const struct bg_walk_series *x = a, *y = b;
	int c = strcmp(x->benchmark, y->benchmark);
	if (!c)
		c = strcmp(x->params, y->params);
	if (!c)
		c = strcmp(x->metric, y->metric);
	return c ? c : strcmp(x->mode, y->mode);
}

/* The walk under way: the commits' positions, the series made so far and the samples of the
 * last one, gathered until the next series starts. */
struct walk {
	struct sha_pos *index; /* the commits, sorted by sha for bsearch */
	size_t n_index;
	struct bg_walk_series *v; /* the series, in statement order */
	size_t len, cap;
	struct walk_sample *buf; /* samples of v[len - 1] */
	size_t blen, bcap;
	size_t seq; /* order of arrival, so equal positions keep it */
};

/* Finishes the series before and starts the one of the statement's row. */
static int walk_new_series(struct walk *w, struct db_sql_stmt *s)
{
	int err;
	if (w->len && (err = finish_series(&w->v[w->len - 1], w->buf, w->blen)) < 0)
		return err;
	w->blen = 0;
	if (bg_grow((void **)&w->v, &w->cap, w->len, sizeof(*w->v), 16) < 0)
		return BG_ENOMEM;
	struct bg_walk_series *ser = &w->v[w->len++];
	memset(ser, 0, sizeof(*ser));
	if ((err = db_col_str(s, 1, &ser->benchmark)) < 0 ||
	    (err = db_col_str(s, 2, &ser->params)) < 0 ||
	    (err = db_col_str(s, 3, &ser->metric)) < 0 || (err = db_col_str(s, 4, &ser->mode)) < 0)
		return err;
	return 0;
}

static int walk_add_sample(struct walk *w, size_t pos, double value)
{
	if (bg_grow((void **)&w->buf, &w->bcap, w->blen, sizeof(*w->buf), 1024) < 0)
		return BG_ENOMEM;
	w->buf[w->blen++] = (struct walk_sample){pos, w->seq++, value};
	return 0;
}

/* The statement's rows (ordered by series) on the walk's commits into series. */
static int walk_rows(struct bg_db *db, struct walk *w, struct db_sql_stmt *s)
{
	int64_t cur = -1;
	int rc, err;
	while ((rc = db_sql_step(s, "reading series along commits")) == 1) {
		struct sha_pos key = {db_sql_col_text(s, 5), 0};
		const struct sha_pos *hit =
			key.sha ? bsearch(&key, w->index, w->n_index, sizeof(*w->index), by_sha)
				: NULL;
		if (!hit)
			continue;
		int64_t id = db_sql_col_int64(s, 0);
		if (id != cur && (err = walk_new_series(w, s)) < 0)
			return err;
		cur = id;
		if ((err = walk_add_sample(w, hit->pos, db_sql_col_double(s, 6))) < 0)
			return err;
	}
	if (rc < 0)
		return rc;
	return w->len ? finish_series(&w->v[w->len - 1], w->buf, w->blen) : 0;
}

int bg_db_series_walk(struct bg_db *db, int64_t machine_id, const char *kind,
		      const char *benchmark, const char *const *shas, size_t n,
		      struct bg_walk_series **out, size_t *n_out)
{
	*out = NULL;
	*n_out = 0;
	static const char sql[] =
		"SELECT se.id, se.benchmark, se.params, se.metric, se.mode, c.sha, sm.value "
		"FROM runs r JOIN commits c ON c.id = r.commit_id "
		"JOIN results x ON x.run_id = r.id "
		"JOIN series se ON se.id = x.series_id "
		"JOIN samples sm ON sm.result_id = x.id "
		"WHERE r.machine_id = ?1 AND r.kind = ?2 AND r.complete = 1 AND r.worktree = 0 "
		"AND x.skipped IS NULL AND (CAST(?3 AS TEXT) IS NULL OR se.benchmark = ?3) "
		"ORDER BY se.id, r.id, x.round, sm.idx";
	struct walk w = {.index = malloc((n ? n : 1) * sizeof(*w.index)), .n_index = n};
	struct db_sql_stmt *s = NULL;
	int err = 0;
	if (!w.index)
		return bg_error_oom();
	for (size_t i = 0; i < n; i++)
		w.index[i] = (struct sha_pos){shas[i], i};
	qsort(w.index, n, sizeof(*w.index), by_sha);
	if ((err = db_begin_read(db, "reading series along commits")) < 0) {
		free(w.index);
		return err;
	}
	if ((err = db_sql_prepare(db->sql, sql, 0, &s, "reading series along commits")) == 0) {
		db_sql_bind_int64(s, 1, machine_id);
		db_sql_bind_text(s, 2, kind);
		db_sql_bind_text(s, 3, benchmark);
		err = walk_rows(db, &w, s);
	}
	db_sql_finalize(s);
	err = db_end(db, err, "reading series along commits");
	free(w.index);
	free(w.buf);
	if (err < 0) {
		bg_db_series_walk_free(w.v, w.len);
		return err;
	}
	if (w.len)
		qsort(w.v, w.len, sizeof(*w.v), by_series_name);
	*out = w.v;
	*n_out = w.len;
	return 0;
}

void bg_db_series_walk_free(struct bg_walk_series *v, size_t n)
{
	if (!v)
		return;
	for (size_t i = 0; i < n; i++) {
		free(v[i].benchmark);
		free(v[i].params);
		free(v[i].metric);
		free(v[i].mode);
		for (size_t p = 0; p < v[i].n_points && v[i].points; p++)
			free(v[i].points[p].samples);
		free(v[i].points);
	}
	free(v);
}

/* --- regressions ------------------------------------------------------------------------ */

static int valid_state(const char *s)
{
	return s && (!strcmp(s, "detected") || !strcmp(s, "acknowledged") || !strcmp(s, "fixed"));
}

int bg_db_regression_put(struct bg_db *db, struct bg_regression_rec *r)
{
	static const char insert[] =
		"INSERT INTO regressions (machine_id, series_id, good_sha, bad_sha, rel, lo, hi, p, "
		"state, reason, fixed_sha, detected, updated) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12) "
		"ON CONFLICT (machine_id, series_id, bad_sha) DO UPDATE SET "
		"good_sha = excluded.good_sha, rel = excluded.rel, lo = excluded.lo, "
		"hi = excluded.hi, p = excluded.p, state = excluded.state, "
		"reason = excluded.reason, fixed_sha = excluded.fixed_sha, "
		"updated = excluded.updated "
		"RETURNING id";
	/* a known regression whose range the analysis narrowed or moved: keeps its id,
	 * detected time and suspect */
	static const char update[] =
		"UPDATE regressions SET series_id = ?2, good_sha = ?3, bad_sha = ?4, rel = ?5, "
		"lo = ?6, hi = ?7, p = ?8, state = ?9, reason = ?10, fixed_sha = ?11, updated = ?12 "
		"WHERE id = ?13 AND machine_id = ?1 RETURNING id";
	if (!valid_state(r->state) || !r->good_sha || !r->bad_sha || !r->benchmark || !r->metric ||
	    !r->mode)
		return bg_error_set(BG_EINPUT, "storing a regression of %s: incomplete record "
				    "(state '%s')", r->benchmark ? r->benchmark : "?",
				    r->state ? r->state : "(none)");
	struct db_sql_stmt *s = NULL;
	int64_t series = 0;
	int err = db_begin(db, "storing a regression");
	if (err < 0)
		return err;
	if ((err = db_series_id(db, r->benchmark, r->params ? r->params : "", r->metric, r->mode,
				&series)) < 0)
		goto done;
	if ((err = db_sql_prepare(db->sql, r->id > 0 ? update : insert, 0, &s,
				  "storing a regression")) < 0)
		goto done;
	db_sql_bind_int64(s, 1, r->machine_id);
	db_sql_bind_int64(s, 2, series);
	db_sql_bind_text(s, 3, r->good_sha);
	db_sql_bind_text(s, 4, r->bad_sha);
	db_sql_bind_double(s, 5, r->rel);
	db_sql_bind_double(s, 6, r->lo);
	db_sql_bind_double(s, 7, r->hi);
	db_sql_bind_double(s, 8, r->p);
	db_sql_bind_text(s, 9, r->state);
	db_sql_bind_text(s, 10, r->reason);
	db_sql_bind_text(s, 11, r->fixed_sha);
	db_sql_bind_int64(s, 12, (int64_t)time(NULL));
	if (r->id > 0)
		db_sql_bind_int64(s, 13, r->id);
	int step = db_sql_step(s, "storing a regression");
	if (step == 0 && r->id > 0) {
		err = bg_error_set(BG_ENOTFOUND, "%s: no regression %lld on machine %lld", db->path,
				   (long long)r->id, (long long)r->machine_id);
		goto done;
	}
	if (step <= 0) {
		err = step < 0 ? step
			       : bg_error_set(BG_EDB, "%s: storing a regression: no id came back",
					      db->path);
		goto done;
	}
	r->id = db_sql_col_int64(s, 0);
	if ((err = db_sql_step(s, "storing a regression")) > 0)
		err = 0;
done:
	db_sql_finalize(s);
	return db_end(db, err, "storing a regression");
}

int bg_db_regression_set_suspect(struct bg_db *db, int64_t id, const char *sha, double rel,
				 double lo, double hi)
{
	static const char sql[] = "UPDATE regressions SET suspect_sha = ?2, suspect_rel = ?3, "
				  "suspect_lo = ?4, suspect_hi = ?5, updated = ?6 WHERE id = ?1";
	struct db_sql_stmt *s = NULL;
	int err = db_begin(db, "storing a bisect result");
	if (err < 0)
		return err;
	if ((err = db_sql_prepare(db->sql, sql, 0, &s, "storing a bisect result")) < 0)
		goto done;
	db_sql_bind_int64(s, 1, id);
	db_sql_bind_text(s, 2, sha);
	db_sql_bind_double(s, 3, rel);
	db_sql_bind_double(s, 4, lo);
	db_sql_bind_double(s, 5, hi);
	db_sql_bind_int64(s, 6, (int64_t)time(NULL));
	/* an UPDATE gives no row: 0 (done) or an error */
	if ((err = db_sql_step(s, "storing a bisect result")) == 0 && db_sql_changes(s) == 0)
		err = bg_error_set(BG_ENOTFOUND, "%s: no regression %lld", db->path, (long long)id);
done:
	db_sql_finalize(s);
	return db_end(db, err, "storing a bisect result");
}

int bg_db_regression_delete(struct bg_db *db, int64_t id)
{
	struct db_sql_stmt *s = NULL;
	int err = db_begin(db, "removing a regression");
	if (err < 0)
		return err;
	if ((err = db_sql_prepare(db->sql, "DELETE FROM regressions WHERE id = ?1", 0, &s,
				  "removing a regression")) < 0)
		goto done;
	db_sql_bind_int64(s, 1, id);
	err = db_sql_step(s, "removing a regression"); /* a DELETE gives no row */
done:
	db_sql_finalize(s);
	return db_end(db, err, "removing a regression");
}

void bg_db_regression_clear(struct bg_regression_rec *r)
{
	free(r->benchmark);
	free(r->params);
	free(r->metric);
	free(r->mode);
	free(r->good_sha);
	free(r->bad_sha);
	free(r->state);
	free(r->reason);
	free(r->fixed_sha);
	free(r->suspect_sha);
	memset(r, 0, sizeof(*r));
}

void bg_db_regression_list_free(struct bg_regression_rec *v, size_t n)
{
	if (!v)
		return;
	for (size_t i = 0; i < n; i++)
		bg_db_regression_clear(&v[i]);
	free(v);
}

int bg_db_regression_list(struct bg_db *db, int64_t machine_id, struct bg_regression_rec **out,
			  size_t *n)
{
	*out = NULL;
	*n = 0;
	static const char sql[] =
		"SELECT g.id, g.machine_id, se.benchmark, se.params, se.metric, se.mode, g.good_sha, "
		"g.bad_sha, g.rel, g.lo, g.hi, g.p, g.state, g.reason, g.fixed_sha, g.suspect_sha, "
		"g.suspect_rel, g.suspect_lo, g.suspect_hi, g.detected, g.updated "
		"FROM regressions g JOIN series se ON se.id = g.series_id "
		"WHERE ?1 = 0 OR g.machine_id = ?1 "
		"ORDER BY CASE g.state WHEN 'detected' THEN 0 WHEN 'acknowledged' THEN 1 ELSE 2 END, "
		"g.detected DESC, g.id DESC";
	struct db_sql_stmt *s = NULL;
	struct bg_regression_rec *v = NULL;
	size_t len = 0, cap = 0;
	int err = db_begin_read(db, "listing regressions");
	if (err < 0)
		return err;
	if ((err = db_sql_prepare(db->sql, sql, 0, &s, "listing regressions")) < 0)
		goto done;
	db_sql_bind_int64(s, 1, machine_id);
	int rc;
	while ((rc = db_sql_step(s, "listing regressions")) == 1) {
		if ((err = bg_grow((void **)&v, &cap, len, sizeof(*v), 16)) < 0)
			goto done;
		struct bg_regression_rec *r = &v[len++];
		memset(r, 0, sizeof(*r));
		r->id = db_sql_col_int64(s, 0);
		r->machine_id = db_sql_col_int64(s, 1);
		char **text[] = {&r->benchmark, &r->params, &r->metric, &r->mode,
				 &r->good_sha,  &r->bad_sha};
		for (int i = 0; i < 6 && err == 0; i++)
			err = db_col_str(s, 2 + i, text[i]);
		r->rel = db_sql_col_double(s, 8);
		r->lo = db_sql_col_double(s, 9);
		r->hi = db_sql_col_double(s, 10);
		r->p = db_sql_col_double(s, 11);
		if (err == 0)
			err = db_col_str(s, 12, &r->state);
		if (err == 0)
			err = db_col_str(s, 13, &r->reason);
		if (err == 0)
			err = db_col_str(s, 14, &r->fixed_sha);
		if (err == 0)
			err = db_col_str(s, 15, &r->suspect_sha);
		if (err < 0)
			goto done;
		r->suspect_rel = db_sql_col_double(s, 16);
		r->suspect_lo = db_sql_col_double(s, 17);
		r->suspect_hi = db_sql_col_double(s, 18);
		r->detected = db_sql_col_int64(s, 19);
		r->updated = db_sql_col_int64(s, 20);
	}
	if (rc < 0)
		err = rc;
done:
	db_sql_finalize(s);
	err = db_end(db, err, "listing regressions");
	if (err < 0) {
		bg_db_regression_list_free(v, len);
		return err;
	}
	*out = v;
	*n = len;
	return 0;
}
