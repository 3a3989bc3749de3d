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
	struct db_sql_stmt *s;
	int err;
	if ((err = db_stmt(db, ST_MACHINE_FIND, &s)) < 0)
		return err;
	db_sql_bind_text(s, 1, m->fingerprint);
	int rc = db_sql_step(s, "looking up a machine");
	if (rc == 1) {
		*id = db_sql_col_int64(s, 0);
		db_sql_reset(s);
		return 0;
	}
	if (rc < 0)
		return rc;
	if ((err = db_stmt(db, ST_MACHINE_INSERT, &s)) < 0)
		return err;
	db_sql_bind_text(s, 1, m->fingerprint);
	db_sql_bind_text(s, 2, m->hostname);
	db_sql_bind_text(s, 3, m->cpu);
	db_sql_bind_text(s, 4, m->flags);
	db_sql_bind_int64(s, 5, m->cores);
	db_sql_bind_int64(s, 6, m->mem_bytes);
	db_sql_bind_text(s, 7, m->os);
	db_sql_bind_text(s, 8, m->gpu);
	return db_step_id(db, s, "storing a machine", id);
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
	struct db_sql_stmt *s;
	int err;
	memset(out, 0, sizeof(*out));
	if ((err = db_stmt(db, ST_MACHINE_GET, &s)) < 0)
		return err;
	db_sql_bind_int64(s, 1, id);
	int rc = db_sql_step(s, "reading a machine");
	if (rc == 0) {
		err = bg_error_set(BG_ENOTFOUND, "%s: no machine with id %lld", db->path,
				   (long long)id);
		goto done;
	}
	if (rc < 0) {
		err = rc;
		goto done;
	}
	out->id = db_sql_col_int64(s, 0);
	out->cores = db_sql_col_int(s, 5);
	out->mem_bytes = db_sql_col_int64(s, 6);
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
	struct db_sql_stmt *s;
	int err;
	if ((err = db_stmt(db, ST_COMMIT_FIND, &s)) < 0)
		return err;
	db_sql_bind_text(s, 1, sha);
	int rc = db_sql_step(s, "looking up a commit");
	*found = rc == 1;
	if (*found)
		*id = db_sql_col_int64(s, 0);
	db_sql_reset(s);
	return rc < 0 ? rc : 0;
}

int db_commit_upsert(struct bg_db *db, const struct bg_commit_rec *c, int64_t *id)
{
	struct db_sql_stmt *s;
	int err, found;
	if ((err = db_stmt(db, ST_COMMIT_UPSERT, &s)) < 0)
		return err;
	db_sql_bind_text(s, 1, c->sha);
	db_sql_bind_text(s, 2, c->tree);
	db_sql_bind_text(s, 3, c->parent);
	db_sql_bind_text(s, 4, c->subject);
	db_sql_bind_text(s, 5, c->author);
	db_sql_bind_int64(s, 6, c->time);
	if ((err = db_step_done(db, s, "storing a commit")) < 0)
		return err;
	if ((err = commit_find(db, c->sha, id, &found)) < 0)
		return err;
	return found ? 0 : bg_error_set(BG_EDB, "%s: commit %s vanished", db->path, c->sha);
}

int db_commit_ensure(struct bg_db *db, const char *sha, int64_t *id)
{
	struct db_sql_stmt *s;
	int err, found;
	if ((err = commit_find(db, sha, id, &found)) < 0 || found)
		return err;
	if ((err = db_stmt(db, ST_COMMIT_STUB, &s)) < 0)
		return err;
	db_sql_bind_text(s, 1, sha);
	return db_step_id(db, s, "storing a commit", id);
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
	struct db_sql_stmt *s;
	int err = 0, rc;
	memset(out, 0, sizeof(*out));
	if (!sha_prefix || !*sha_prefix)
		return bg_error_set(BG_EINPUT, "%s: looking up a commit: empty SHA", db->path);
	if (db_sha_range(sha_prefix, lo, hi, sizeof(lo)) < 0)
		return bg_error_set(BG_ENOTFOUND, "%s: no commit %s stored (not a SHA)", db->path,
				    sha_prefix);
	if ((err = db_stmt(db, ST_COMMIT_PREFIX, &s)) < 0)
		return err;
	db_sql_bind_text(s, 1, lo);
	db_sql_bind_text(s, 2, hi);
	if ((rc = db_sql_step(s, "looking up a commit")) == 0) {
		err = bg_error_set(BG_ENOTFOUND, "%s: no commit %s stored", db->path, sha_prefix);
		goto done;
	}
	if (rc < 0) {
		err = rc;
		goto done;
	}
	out->time = db_sql_col_int64(s, 5);
	if ((err = db_col_str(s, 0, &out->sha)) < 0 || (err = db_col_str(s, 1, &out->tree)) < 0 ||
	    (err = db_col_str(s, 2, &out->parent)) < 0 ||
	    (err = db_col_str(s, 3, &out->subject)) < 0 ||
	    (err = db_col_str(s, 4, &out->author)) < 0)
		goto done;
	if ((rc = db_sql_step(s, "looking up a commit")) == 1) {
		err = bg_error_set(BG_EINPUT, "%s: commit prefix %s is ambiguous (%s, %s, ...)",
				   db->path, sha_prefix, out->sha, db_sql_col_text(s, 0));
		goto done;
	}
	if (rc < 0)
		err = rc;
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
static int read_build(struct db_sql_stmt *s, struct bg_build_rec *b)
{
	int err;
	memset(b, 0, sizeof(*b));
	b->id = db_sql_col_int64(s, 0);
	b->machine_id = db_sql_col_int64(s, 1);
	b->duration_s = db_sql_col_double(s, 5);
	b->created = db_sql_col_int64(s, 9);
	b->last_used = db_sql_col_int64(s, 10);
	b->size_bytes = db_sql_col_int64(s, 11);
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
	struct db_sql_stmt *s;
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
	db_sql_bind_int64(s, 1, b->machine_id);
	db_sql_bind_text(s, 2, b->tree);
	db_sql_bind_text(s, 3, b->config_hash);
	db_sql_bind_text(s, 4, b->status);
	db_sql_bind_double(s, 5, isfinite(b->duration_s) ? b->duration_s : 0);
	db_sql_bind_text(s, 6, b->log_tail);
	db_sql_bind_text(s, 7, b->binary_hash);
	db_sql_bind_text(s, 8, b->dir);
	db_sql_bind_int64(s, 9, created);
	db_sql_bind_int64(s, 10, b->last_used ? b->last_used : created);
	db_sql_bind_int64(s, 11, b->size_bytes);
	err = db_step_id(db, s, "storing a build", id);
done:
	return db_end(db, err, "storing a build");
}

int bg_db_build_find(struct bg_db *db, int64_t machine_id, const char *tree,
		     const char *config_hash, struct bg_build_rec *out, int *found)
{
	struct db_sql_stmt *s;
	int err;
	*found = 0;
	memset(out, 0, sizeof(*out));
	if ((err = db_stmt(db, ST_BUILD_FIND, &s)) < 0)
		return err;
	db_sql_bind_int64(s, 1, machine_id);
	db_sql_bind_text(s, 2, tree);
	db_sql_bind_text(s, 3, config_hash);
	int rc = db_sql_step(s, "looking up a build");
	if (rc == 1) {
		if ((err = read_build(s, out)) == 0)
			*found = 1;
	} else if (rc < 0) {
		err = rc;
	}
	db_idle(db);
	return err;
}

/* Runs an UPDATE of one row by id (?1) with an optional integer ?2; BG_ENOTFOUND when
 * no row has the id. */
static int update_by_id(struct bg_db *db, enum db_stmt_id st, int64_t id, int has_arg, int64_t arg,
			const char *what, const char *thing)
{
	struct db_sql_stmt *s;
	int err;
	if ((err = db_begin(db, what)) < 0)
		return err;
	if ((err = db_stmt(db, st, &s)) < 0)
		goto done;
	db_sql_bind_int64(s, 1, id);
	if (has_arg)
		db_sql_bind_int64(s, 2, arg);
	if ((err = db_step_done(db, s, what)) < 0)
		goto done;
	if (db_sql_changes(s) == 0)
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
	struct db_sql_stmt *s;
	int err, rc;
	*out = NULL;
	*n = 0;
	if ((err = db_stmt(db, ST_BUILD_LIST, &s)) < 0)
		return err;
	while ((rc = db_sql_step(s, "listing builds")) == 1) {
		if ((err = bg_grow((void **)&v, &cap, len, sizeof(*v), 16)) < 0)
			goto done;
		if ((err = read_build(s, &v[len])) < 0)
			goto done;
		len++;
	}
	if (rc < 0)
		err = rc;
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
