/* Machines, commits and builds: the records runs refer to. Each write is one transaction;
 * the row-level upserts are shared with import (db_io.c). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bg_db.h"
#include "bg_error.h"
#include "db_int.h"

/* --- machines -------------------------------------------------------------------------- */

int db_machine_upsert(struct bg_db *db, const struct bg_machine_rec *m, int64_t *id)
{
	sqlite3_stmt *s;
	int err;
	if ((err = db_stmt(db, ST_MACHINE_FIND, &s)) < 0)
		return err;
	db_bind_text(s, 1, m->fingerprint);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(s, 0);
		sqlite3_reset(s);
		return 0;
	}
	if (rc != SQLITE_DONE)
		return db_fail(db, "looking up a machine");
	if ((err = db_stmt(db, ST_MACHINE_INSERT, &s)) < 0)
		return err;
	db_bind_text(s, 1, m->fingerprint);
	db_bind_text(s, 2, m->hostname);
	db_bind_text(s, 3, m->cpu);
	db_bind_text(s, 4, m->flags);
	sqlite3_bind_int(s, 5, m->cores);
	sqlite3_bind_int64(s, 6, m->mem_bytes);
	db_bind_text(s, 7, m->os);
	db_bind_text(s, 8, m->gpu);
	if ((err = db_step_done(db, s, "storing a machine")) < 0)
		return err;
	*id = sqlite3_last_insert_rowid(db->h);
	return 0;
}

int bg_db_machine_put(struct bg_db *db, const struct bg_machine_rec *m, int64_t *id)
{
	int err;
	if (!m->fingerprint || !*m->fingerprint)
		return bg_error_set(BG_EINPUT, "%s: storing a machine: it has no fingerprint",
				    db->path);
	if ((err = db_begin(db, "storing a machine")) < 0)
		return err;
	err = db_machine_upsert(db, m, id);
	return db_end(db, err, "storing a machine");
}

int bg_db_machine_get(struct bg_db *db, int64_t id, struct bg_machine_rec *out)
{
	sqlite3_stmt *s;
	int err;
	memset(out, 0, sizeof(*out));
	if ((err = db_stmt(db, ST_MACHINE_GET, &s)) < 0)
		return err;
	sqlite3_bind_int64(s, 1, id);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_DONE) {
		err = bg_error_set(BG_ENOTFOUND, "%s: no machine with id %lld", db->path,
				   (long long)id);
		goto done;
	}
	if (rc != SQLITE_ROW) {
		err = db_fail(db, "reading a machine");
		goto done;
	}
	out->id = sqlite3_column_int64(s, 0);
	out->cores = sqlite3_column_int(s, 5);
	out->mem_bytes = sqlite3_column_int64(s, 6);
	if ((err = db_col_str(s, 1, &out->fingerprint)) < 0 ||
	    (err = db_col_str(s, 2, &out->hostname)) < 0 ||
	    (err = db_col_str(s, 3, &out->cpu)) < 0 || (err = db_col_str(s, 4, &out->flags)) < 0 ||
	    (err = db_col_str(s, 7, &out->os)) < 0 || (err = db_col_str(s, 8, &out->gpu)) < 0)
		goto done;
done:
	if (err < 0)
		bg_db_machine_clear(out);
	db_idle(db);
	return err;
}

void bg_db_machine_clear(struct bg_machine_rec *m)
{
	if (!m)
		return;
	free(m->fingerprint);
	free(m->hostname);
	free(m->cpu);
	free(m->flags);
	free(m->os);
	free(m->gpu);
	memset(m, 0, sizeof(*m));
}

/* --- commits --------------------------------------------------------------------------- */

static int commit_find(struct bg_db *db, const char *sha, int64_t *id, int *found)
{
	sqlite3_stmt *s;
	int err;
	if ((err = db_stmt(db, ST_COMMIT_FIND, &s)) < 0)
		return err;
	db_bind_text(s, 1, sha);
	int rc = sqlite3_step(s);
	*found = rc == SQLITE_ROW;
	if (*found)
		*id = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_fail(db, "looking up a commit");
}

int db_commit_upsert(struct bg_db *db, const struct bg_commit_rec *c, int64_t *id)
{
	sqlite3_stmt *s;
	int err, found;
	if ((err = db_stmt(db, ST_COMMIT_UPSERT, &s)) < 0)
		return err;
	db_bind_text(s, 1, c->sha);
	db_bind_text(s, 2, c->tree);
	db_bind_text(s, 3, c->parent);
	db_bind_text(s, 4, c->subject);
	db_bind_text(s, 5, c->author);
	sqlite3_bind_int64(s, 6, c->time);
	if ((err = db_step_done(db, s, "storing a commit")) < 0)
		return err;
	if ((err = commit_find(db, c->sha, id, &found)) < 0)
		return err;
	return found ? 0 : bg_error_set(BG_EDB, "%s: commit %s vanished", db->path, c->sha);
}

int db_commit_ensure(struct bg_db *db, const char *sha, int64_t *id)
{
	sqlite3_stmt *s;
	int err, found;
	if ((err = commit_find(db, sha, id, &found)) < 0 || found)
		return err;
	if ((err = db_stmt(db, ST_COMMIT_STUB, &s)) < 0)
		return err;
	db_bind_text(s, 1, sha);
	if ((err = db_step_done(db, s, "storing a commit")) < 0)
		return err;
	*id = sqlite3_last_insert_rowid(db->h);
	return 0;
}

int bg_db_commit_put(struct bg_db *db, const struct bg_commit_rec *c)
{
	int64_t id;
	int err;
	if (!c->sha || !*c->sha)
		return bg_error_set(BG_EINPUT, "%s: storing a commit: it has no SHA", db->path);
	if ((err = db_begin(db, "storing a commit")) < 0)
		return err;
	err = db_commit_upsert(db, c, &id);
	return db_end(db, err, "storing a commit");
}

int bg_db_commit_get(struct bg_db *db, const char *sha_prefix, struct bg_commit_rec *out)
{
	char lo[80], hi[80];
	sqlite3_stmt *s;
	int err = 0, rc;
	memset(out, 0, sizeof(*out));
	if (!sha_prefix || !*sha_prefix)
		return bg_error_set(BG_EINPUT, "%s: looking up a commit: empty SHA", db->path);
	if (db_sha_range(sha_prefix, lo, hi, sizeof(lo)) < 0)
		return bg_error_set(BG_ENOTFOUND, "%s: no commit %s stored (not a SHA)", db->path,
				    sha_prefix);
	if ((err = db_stmt(db, ST_COMMIT_PREFIX, &s)) < 0)
		return err;
	db_bind_text(s, 1, lo);
	db_bind_text(s, 2, hi);
	if ((rc = sqlite3_step(s)) == SQLITE_DONE) {
		err = bg_error_set(BG_ENOTFOUND, "%s: no commit %s stored", db->path, sha_prefix);
		goto done;
	}
	if (rc != SQLITE_ROW) {
		err = db_fail(db, "looking up a commit");
		goto done;
	}
	out->time = sqlite3_column_int64(s, 5);
	if ((err = db_col_str(s, 0, &out->sha)) < 0 || (err = db_col_str(s, 1, &out->tree)) < 0 ||
	    (err = db_col_str(s, 2, &out->parent)) < 0 ||
	    (err = db_col_str(s, 3, &out->subject)) < 0 ||
	    (err = db_col_str(s, 4, &out->author)) < 0)
		goto done;
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		err = bg_error_set(BG_EINPUT, "%s: commit prefix %s is ambiguous (%s, %s, ...)",
				   db->path, sha_prefix, out->sha,
				   (const char *)sqlite3_column_text(s, 0));
		goto done;
	}
	if (rc != SQLITE_DONE)
		err = db_fail(db, "looking up a commit");
done:
	if (err < 0)
		bg_db_commit_clear(out);
	db_idle(db);
	return err;
}

void bg_db_commit_clear(struct bg_commit_rec *c)
{
	if (!c)
		return;
	free(c->sha);
	free(c->tree);
	free(c->parent);
	free(c->subject);
	free(c->author);
	memset(c, 0, sizeof(*c));
}

/* --- builds ---------------------------------------------------------------------------- */

/* Fills b from a row of BUILD_COLS. */
static int read_build(sqlite3_stmt *s, struct bg_build_rec *b)
{
	int err;
	memset(b, 0, sizeof(*b));
	b->id = sqlite3_column_int64(s, 0);
	b->machine_id = sqlite3_column_int64(s, 1);
	b->duration_s = sqlite3_column_double(s, 5);
	b->created = sqlite3_column_int64(s, 9);
	b->last_used = sqlite3_column_int64(s, 10);
	b->size_bytes = sqlite3_column_int64(s, 11);
	if ((err = db_col_str(s, 2, &b->tree)) < 0 ||
	    (err = db_col_str(s, 3, &b->config_hash)) < 0 ||
	    (err = db_col_str(s, 4, &b->status)) < 0 ||
	    (err = db_col_str(s, 6, &b->log_tail)) < 0 ||
	    (err = db_col_str(s, 7, &b->binary_hash)) < 0 || (err = db_col_str(s, 8, &b->dir)) < 0)
		bg_db_build_clear(b);
	return err;
}

int bg_db_build_put(struct bg_db *db, const struct bg_build_rec *b, int64_t *id)
{
	sqlite3_stmt *s;
	int err;
	if (!b->tree || !b->config_hash || !b->status)
		return bg_error_set(BG_EINPUT,
				    "%s: storing a build: tree, config hash and status "
				    "are required",
				    db->path);
	int64_t created = b->created ? b->created : bg_unix_time();
	if ((err = db_begin(db, "storing a build")) < 0)
		return err;
	if ((err = db_stmt(db, ST_BUILD_UPSERT, &s)) < 0)
		goto done;
	sqlite3_bind_int64(s, 1, b->machine_id);
	db_bind_text(s, 2, b->tree);
	db_bind_text(s, 3, b->config_hash);
	db_bind_text(s, 4, b->status);
	sqlite3_bind_double(s, 5, isfinite(b->duration_s) ? b->duration_s : 0);
	db_bind_text(s, 6, b->log_tail);
	db_bind_text(s, 7, b->binary_hash);
	db_bind_text(s, 8, b->dir);
	sqlite3_bind_int64(s, 9, created);
	sqlite3_bind_int64(s, 10, b->last_used ? b->last_used : created);
	sqlite3_bind_int64(s, 11, b->size_bytes);
	if (sqlite3_step(s) != SQLITE_ROW) {
		err = db_fail(db, "storing a build");
		goto done;
	}
	*id = sqlite3_column_int64(s, 0);
done:
	return db_end(db, err, "storing a build");
}

int bg_db_build_find(struct bg_db *db, int64_t machine_id, const char *tree,
		     const char *config_hash, struct bg_build_rec *out, int *found)
{
	sqlite3_stmt *s;
	int err;
	*found = 0;
	memset(out, 0, sizeof(*out));
	if ((err = db_stmt(db, ST_BUILD_FIND, &s)) < 0)
		return err;
	sqlite3_bind_int64(s, 1, machine_id);
	db_bind_text(s, 2, tree);
	db_bind_text(s, 3, config_hash);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		if ((err = read_build(s, out)) == 0)
			*found = 1;
	} else if (rc != SQLITE_DONE) {
		err = db_fail(db, "looking up a build");
	}
	db_idle(db);
	return err;
}

/* Runs an UPDATE of one row by id (?1) with an optional integer ?2; BG_ENOTFOUND when
 * no row has the id. */
static int update_by_id(struct bg_db *db, enum db_stmt_id st, int64_t id, int has_arg, int64_t arg,
			const char *what, const char *thing)
{
	sqlite3_stmt *s;
	int err;
	if ((err = db_begin(db, what)) < 0)
		return err;
	if ((err = db_stmt(db, st, &s)) < 0)
		goto done;
	sqlite3_bind_int64(s, 1, id);
	if (has_arg)
		sqlite3_bind_int64(s, 2, arg);
	if ((err = db_step_done(db, s, what)) < 0)
		goto done;
	if (sqlite3_changes(db->h) == 0)
		err = bg_error_set(BG_ENOTFOUND, "%s: %s: no %s with id %lld", db->path, what,
				   thing, (long long)id);
done:
	return db_end(db, err, what);
}

int bg_db_build_touch(struct bg_db *db, int64_t id)
{
	return update_by_id(db, ST_BUILD_TOUCH, id, 1, bg_unix_time(), "marking a build used",
			    "build");
}

int bg_db_build_forget_dir(struct bg_db *db, int64_t id)
{
	return update_by_id(db, ST_BUILD_FORGET_DIR, id, 0, 0, "forgetting a build's directory",
			    "build");
}

int bg_db_build_list(struct bg_db *db, struct bg_build_rec **out, size_t *n)
{
	struct bg_build_rec *v = NULL;
	size_t len = 0, cap = 0;
	sqlite3_stmt *s;
	int err, rc;
	*out = NULL;
	*n = 0;
	if ((err = db_stmt(db, ST_BUILD_LIST, &s)) < 0)
		return err;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if ((err = bg_grow((void **)&v, &cap, len, sizeof(*v), 16)) < 0)
			goto done;
		if ((err = read_build(s, &v[len])) < 0)
			goto done;
		len++;
	}
	if (rc != SQLITE_DONE)
		err = db_fail(db, "listing builds");
done:
	db_idle(db);
	if (err < 0) {
		bg_db_build_list_free(v, len);
		return err;
	}
	*out = v;
	*n = len;
	return 0;
}

void bg_db_build_clear(struct bg_build_rec *b)
{
	if (!b)
		return;
	free(b->tree);
	free(b->config_hash);
	free(b->status);
	free(b->log_tail);
	free(b->binary_hash);
	free(b->dir);
	memset(b, 0, sizeof(*b));
}

void bg_db_build_list_free(struct bg_build_rec *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		bg_db_build_clear(&v[i]);
	free(v);
}
