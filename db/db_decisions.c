/* A series' history (for noise floors) and stored decisions of comparisons. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bg_error.h"
#include "db_int.h"

void bg_db_history_free(struct bg_history_point *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].sha);
		free(v[i].samples);
		free(v[i].rounds);
	}
	free(v);
}

int bg_db_series_history(struct bg_db *db, int64_t machine_id, const char *benchmark,
			 const char *params, const char *metric, const char *mode, int64_t before,
			 size_t limit, struct bg_history_point **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	/* newest first, so the limit keeps the latest runs; reversed at the end */
	static const char sql[] =
		"SELECT r.id, c.sha, r.started, sm.value, x.round FROM runs r "
		"JOIN commits c ON c.id = r.commit_id "
		"JOIN results x ON x.run_id = r.id "
		"JOIN series se ON se.id = x.series_id "
		"JOIN samples sm ON sm.result_id = x.id "
		"WHERE r.machine_id = ?1 AND r.complete = 1 AND se.benchmark = ?2 "
		"AND se.params = ?3 AND se.metric = ?4 AND se.mode = ?5 "
		"AND (?6 = 0 OR r.started < ?6) AND x.skipped IS NULL "
		"AND (r.label IS NULL OR r.label = 'base') "
		"ORDER BY r.started DESC, r.id DESC, x.round, sm.idx";
	struct db_sql_stmt *s = NULL;
	struct bg_history_point *v = NULL;
	size_t len = 0, cap = 0, scap = 0;
	int err = db_begin_read(db, "reading a series' history");
	if (err < 0)
		return err;
	if ((err = db_sql_prepare(db->sql, sql, 0, &s, "reading a series' history")) < 0)
		goto done;
	db_sql_bind_int64(s, 1, machine_id);
	db_sql_bind_text(s, 2, benchmark);
	db_sql_bind_text(s, 3, params ? params : "");
	db_sql_bind_text(s, 4, metric);
	db_sql_bind_text(s, 5, mode);
	db_sql_bind_int64(s, 6, before);
	int rc;
	while ((rc = db_sql_step(s, "reading a series' history")) == 1) {
		int64_t run = db_sql_col_int64(s, 0);
		if (!len || v[len - 1].run_id != run) {
			if (limit && len == limit)
				break;
			if ((err = bg_grow((void **)&v, &cap, len, sizeof(*v), 16)) < 0)
				goto done;
			memset(&v[len], 0, sizeof(v[len]));
			v[len].run_id = run;
			v[len].started = db_sql_col_int64(s, 2);
			len++;
			scap = 0;
			if ((err = db_col_str(s, 1, &v[len - 1].sha)) < 0)
				goto done;
		}
		struct bg_history_point *p = &v[len - 1];
		if ((err = db_push_sample(&p->samples, &p->rounds, &p->n, &scap,
					  db_sql_col_double(s, 3), db_sql_col_int(s, 4))) < 0)
			goto done;
	}
	if (rc < 0)
		err = rc;
done:
	db_sql_finalize(s);
	err = db_end(db, err, "reading a series' history");
	if (err < 0) {
		bg_db_history_free(v, len);
		return err;
	}
	for (size_t i = 0; i < len / 2; i++) {
		struct bg_history_point t = v[i];
		v[i] = v[len - 1 - i];
		v[len - 1 - i] = t;
	}
	*out = v;
	*n = len;
	return 0;
}

static void bind_run(struct db_sql_stmt *s, int i, int64_t run)
{
	if (run > 0)
		db_sql_bind_int64(s, i, run);
	else
		db_sql_bind_null(s, i);
}

static int put_modes(struct bg_db *db, int64_t id, const struct bg_db_mode_run *modes, size_t n)
{
	static const char sql[] =
		"INSERT INTO decision_modes (decision_id, position, name, run_id) "
		"VALUES (?1, ?2, ?3, ?4)";
	struct db_sql_stmt *s = NULL;
	int err = db_sql_prepare(db->sql, sql, 0, &s, "storing a decision's modes");
	for (size_t i = 0; i < n && !err; i++) {
		db_sql_reset(s);
		db_sql_bind_int64(s, 1, id);
		db_sql_bind_int64(s, 2, (int64_t)i);
		db_sql_bind_text(s, 3, modes[i].name);
		bind_run(s, 4, modes[i].run_id);
		err = db_step_done(db, s, "storing a decision's modes");
	}
	db_sql_finalize(s);
	return err;
}

int db_decision_insert(struct bg_db *db, const char *kind, int64_t created, int64_t base_run,
		       int64_t head_run, const struct bg_db_mode_run *modes, size_t n_modes,
		       const char *conclusion, const char *json, int64_t *id)
{
	static const char sql[] = "INSERT INTO decisions (kind, base_run_id, head_run_id, "
				  "conclusion, created, decision) VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
				  "RETURNING id";
	struct db_sql_stmt *s = NULL;
	int err = db_sql_prepare(db->sql, sql, 0, &s, "storing a decision");
	if (err < 0)
		return err;
	db_sql_bind_text(s, 1, kind);
	bind_run(s, 2, base_run);
	bind_run(s, 3, head_run);
	db_sql_bind_text(s, 4, conclusion);
	db_sql_bind_int64(s, 5, created);
	db_sql_bind_text(s, 6, json);
	err = db_step_id(db, s, "storing a decision", id);
	db_sql_finalize(s);
	return err < 0 ? err : put_modes(db, *id, modes, n_modes);
}

int bg_db_decision_put(struct bg_db *db, const char *kind, int64_t base_run, int64_t head_run,
		       const struct bg_db_mode_run *modes, size_t n_modes, const char *conclusion,
		       const char *json, int64_t *id)
{
	int64_t new_id = 0;
	int err = db_begin(db, "storing a decision");
	if (err < 0)
		return err;
	err = db_decision_insert(db, kind, (int64_t)time(NULL), base_run, head_run, modes, n_modes,
				 conclusion, json, &new_id);
	if (err == 0 && id)
		*id = new_id;
	return db_end(db, err, "storing a decision");
}

int bg_db_decision_get(struct bg_db *db, int64_t id, int64_t *id_out, char **json)
{
	*json = NULL;
	static const char by_id[] = "SELECT id, decision FROM decisions WHERE id = ?1";
	static const char newest[] = "SELECT id, decision FROM decisions ORDER BY id DESC LIMIT 1";
	struct db_sql_stmt *s = NULL;
	int err = db_sql_prepare(db->sql, id ? by_id : newest, 0, &s, "reading a decision");
	if (err < 0)
		return err;
	if (id)
		db_sql_bind_int64(s, 1, id);
	int rc = db_sql_step(s, "reading a decision");
	if (rc == 1) {
		if (id_out)
			*id_out = db_sql_col_int64(s, 0);
		err = db_col_str(s, 1, json);
	} else if (rc == 0) {
		err = id ? bg_error_set(BG_ENOTFOUND, "%s: no decision %lld", db->path,
					(long long)id)
			 : bg_error_set(BG_ENOTFOUND, "%s: no decision is stored", db->path);
	} else {
		err = rc;
	}
	db_sql_finalize(s);
	return err;
}

int bg_db_decision_of_run(struct bg_db *db, int64_t run_id, int64_t *id)
{
	static const char sql[] =
		"SELECT id FROM decisions WHERE base_run_id = ?1 OR head_run_id = ?1 OR id IN "
		"(SELECT decision_id FROM decision_modes WHERE run_id = ?1) ORDER BY id DESC LIMIT "
		"1";
	struct db_sql_stmt *s = NULL;
	int err = db_sql_prepare(db->sql, sql, 0, &s, "finding a decision");
	if (err < 0)
		return err;
	db_sql_bind_int64(s, 1, run_id);
	int rc = db_sql_step(s, "finding a decision");
	if (rc == 1)
		*id = db_sql_col_int64(s, 0);
	else if (rc == 0)
		err = bg_error_set(BG_ENOTFOUND, "no decision involves run %lld",
				   (long long)run_id);
	else
		err = rc;
	db_sql_finalize(s);
	return err;
}
