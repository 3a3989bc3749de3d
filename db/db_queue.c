/* The work queue of a fleet (bg_db.h, "the work queue of a fleet"): the commits a pool of
 * runners is to measure, each claimed by one runner under a lease on the database's clock,
 * renewed while it works, released when done, taken back when its lease runs out. The one
 * place where db/'s SQL differs by engine beyond the check: PostgreSQL's claims lock rows
 * (FOR UPDATE SKIP LOCKED) instead of taking the writers' lock. */
#include "bg_db.h"

#include <stdio.h>
#include <string.h>

#include "bg_error.h"
#include "db_int.h"

static int is_pg(struct bg_db *db)
{
	return !strcmp(db_sql_engine(db->sql), "PostgreSQL");
}

/* What PostgreSQL appends to a claim's row selection, so concurrent claims pass each other. */
static const char *skip_locked(struct bg_db *db)
{
	return is_pg(db) ? " FOR UPDATE SKIP LOCKED" : "";
}

static int check_args(struct bg_db *db, const char *pool, const char *kind)
{
	if (!pool || !*pool)
		return bg_error_set(BG_EINPUT, "%s: the work queue: the pool's name is empty",
				    db->path);
	if (!kind || (strcmp(kind, "nightly") && strcmp(kind, "bisect")))
		return bg_error_set(BG_EINPUT,
				    "%s: the work queue: unknown kind \"%s\" (nightly or bisect)",
				    db->path, kind ? kind : "");
	return 0;
}

/* Prepares a one-off statement; with lock, sql holds one %s where the engine's row lock
 * goes. */
static int prepare(struct bg_db *db, const char *sql, int lock, struct db_sql_stmt **s,
		   const char *what)
{
	char text[1024];
	if (!lock)
		return db_sql_prepare(db->sql, sql, 0, s, what);
	snprintf(text, sizeof(text), sql, skip_locked(db));
	return db_sql_prepare(db->sql, text, 0, s, what);
}

/* The database's clock in milliseconds since the epoch: every runner's leases on one clock. */
static int now_ms(struct bg_db *db, int64_t *out)
{
	const char *sql =
		is_pg(db) ? "SELECT CAST(extract(epoch FROM clock_timestamp()) * 1000 AS BIGINT)"
			  : "SELECT CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)";
	struct db_sql_stmt *s = NULL;
	int err = db_sql_prepare(db->sql, sql, 0, &s, "reading the database's clock");
	if (err == 0 && (err = db_sql_step(s, "reading the database's clock")) == 1) {
		*out = db_sql_col_int64(s, 0);
		err = 0;
	} else if (err == 0) {
		err = bg_error_set(BG_EDB, "%s: reading the database's clock: no row", db->path);
	}
	db_sql_finalize(s);
	return err;
}

/* Runs a one-off statement of no rows, int64 parameters from ints[] then texts from texts[]
 * (numbered on), and its changed rows in *changes (may be NULL). */
static int run_update(struct bg_db *db, const char *sql, int lock, const int64_t *ints, int n_ints,
		      const char *const *texts, int n_texts, int64_t *changes, const char *what)
{
	struct db_sql_stmt *s = NULL;
	int err = prepare(db, sql, lock, &s, what);
	for (int i = 0; err == 0 && i < n_ints; i++)
		db_sql_bind_int64(s, i + 1, ints[i]);
	for (int i = 0; err == 0 && i < n_texts; i++)
		db_sql_bind_text(s, n_ints + i + 1, texts[i]);
	if (err == 0 && (err = db_sql_step(s, what)) > 0)
		err = 0;
	if (err == 0 && changes)
		*changes = db_sql_changes(s);
	db_sql_finalize(s);
	return err;
}

/* The one integer a query of the pool and kind (?1, ?2) returns. */
static int count_of(struct bg_db *db, const char *sql, const char *pool, const char *kind,
		    int64_t *out, const char *what)
{
	struct db_sql_stmt *s = NULL;
	int err = prepare(db, sql, 0, &s, what);
	if (err == 0) {
		db_sql_bind_text(s, 1, pool);
		db_sql_bind_text(s, 2, kind);
		if ((err = db_sql_step(s, what)) == 1) {
			*out = db_sql_col_int64(s, 0);
			err = 0;
		} else if (err == 0) {
			err = bg_error_set(BG_EDB, "%s: %s: no row", db->path, what);
		}
	}
	db_sql_finalize(s);
	return err;
}

static int enqueue_rows(struct bg_db *db, const char *pool, const char *kind,
			const char *const *shas, size_t n, int64_t now, size_t *added)
{
	static const char insert[] =
		"INSERT INTO queue (pool, kind, sha, position, state, attempts, enqueued, updated) "
		"VALUES (?1, ?2, ?3, ?4, 'queued', 0, ?5, ?5) ON CONFLICT (pool, kind, sha) DO "
		"UPDATE SET state = 'queued', position = excluded.position, runner = NULL, "
		"lease_until = NULL, attempts = 0, run_uuid = NULL, updated = excluded.updated "
		"WHERE queue.state = 'failed'";
	int64_t next = 0;
	int err = count_of(db,
			   "SELECT coalesce(max(position), -1) + 1 FROM queue "
			   "WHERE pool = ?1 AND kind = ?2",
			   pool, kind, &next, "queueing commits");
	struct db_sql_stmt *s = NULL;
	if (err == 0)
		err = db_sql_prepare(db->sql, insert, 0, &s, "queueing commits");
	for (size_t i = 0; err == 0 && i < n; i++) {
		if (!shas[i] || !*shas[i] ||
		    strlen(shas[i]) >= sizeof(((struct bg_queue_claim *)0)->sha)) {
			err = bg_error_set(BG_EINPUT, "%s: queueing commits: \"%s\" is no commit",
					   db->path, shas[i] ? shas[i] : "");
			break;
		}
		db_sql_reset(s);
		db_sql_bind_text(s, 1, pool);
		db_sql_bind_text(s, 2, kind);
		db_sql_bind_text(s, 3, shas[i]);
		db_sql_bind_int64(s, 4, next + (int64_t)i);
		db_sql_bind_int64(s, 5, now);
		if ((err = db_sql_step(s, "queueing commits")) > 0)
			err = 0;
		if (err == 0)
			*added += (size_t)db_sql_changes(s);
	}
	db_sql_finalize(s);
	return err;
}

int bg_db_queue_enqueue(struct bg_db *db, const char *pool, const char *kind,
			const char *const *shas, size_t n, int only_when_idle, size_t *added)
{
	size_t count = 0;
	int64_t now = 0, open = 0;
	int err = check_args(db, pool, kind);
	if (added)
		*added = 0;
	if (err < 0 || (err = db_begin(db, "queueing commits")) < 0)
		return err;
	if ((err = now_ms(db, &now)) == 0 && only_when_idle)
		err = count_of(db,
			       "SELECT count(*) FROM queue WHERE pool = ?1 AND kind = ?2 "
			       "AND state IN ('queued', 'claimed')",
			       pool, kind, &open, "queueing commits");
	if (err == 0 && open == 0)
		err = enqueue_rows(db, pool, kind, shas, n, now, &count);
	if ((err = db_end(db, err, "queueing commits")) == 0 && added)
		*added = count;
	return err;
}

/* Inside the caller's transaction: the pool's expired claims queued again, or failed. */
static int take_back(struct bg_db *db, const char *pool, const char *kind, int64_t now, size_t *n)
{
	const int64_t ints[] = {now, BG_QUEUE_MAX_ATTEMPTS};
	const char *const texts[] = {pool, kind};
	int64_t changes = 0;
	int err = run_update(db,
			     "UPDATE queue SET state = CASE WHEN attempts >= ?2 THEN 'failed' "
			     "ELSE 'queued' END, runner = NULL, lease_until = NULL, updated = ?1 "
			     "WHERE id IN (SELECT id FROM queue WHERE pool = ?3 AND kind = ?4 "
			     "AND state = 'claimed' AND lease_until < ?1%s)",
			     1, ints, 2, texts, 2, &changes, "taking back expired claims");
	if (n)
		*n = err == 0 ? (size_t)changes : 0;
	return err;
}

/* PostgreSQL's claims run beside each other (their rows locked, skipped by the others);
 * SQLite's behind its one writer lock. */
static int begin_claim(struct bg_db *db, const char *what)
{
	return is_pg(db) ? db_sql_exec(db->sql, "BEGIN", what) : db_begin(db, what);
}

int bg_db_queue_take_back(struct bg_db *db, const char *pool, const char *kind, size_t *n)
{
	int64_t now = 0;
	int err = check_args(db, pool, kind);
	if (n)
		*n = 0;
	if (err < 0 || (err = begin_claim(db, "taking back expired claims")) < 0)
		return err;
	if ((err = now_ms(db, &now)) == 0)
		err = take_back(db, pool, kind, now, n);
	return db_end(db, err, "taking back expired claims");
}

/* Inside the claim's transaction: the first queued row, *found 0 when none. */
static int first_queued(struct bg_db *db, const char *pool, const char *kind,
			struct bg_queue_claim *out, int *found)
{
	struct db_sql_stmt *s = NULL;
	int err = prepare(db,
			  "SELECT id, sha, attempts FROM queue WHERE pool = ?1 AND kind = ?2 "
			  "AND state = 'queued' ORDER BY position, id LIMIT 1%s",
			  1, &s, "claiming a commit");
	if (err == 0) {
		db_sql_bind_text(s, 1, pool);
		db_sql_bind_text(s, 2, kind);
		err = db_sql_step(s, "claiming a commit");
	}
	*found = err == 1;
	if (err == 1) {
		const char *sha = db_sql_col_text(s, 1);
		out->id = db_sql_col_int64(s, 0);
		snprintf(out->sha, sizeof(out->sha), "%s", sha ? sha : "");
		out->attempts = db_sql_col_int(s, 2) + 1;
		err = 0;
	}
	db_sql_finalize(s);
	return err;
}

int bg_db_queue_claim(struct bg_db *db, const char *pool, const char *kind, const char *runner,
		      int64_t lease_ms, struct bg_queue_claim *out, int *found, size_t *held,
		      size_t *taken_back)
{
	int64_t now = 0, others = 0;
	int err = check_args(db, pool, kind);
	*found = 0;
	memset(out, 0, sizeof(*out));
	if (err == 0 && (!runner || !*runner || lease_ms <= 0))
		err = bg_error_set(BG_EINPUT, "%s: claiming a commit: no runner or lease",
				   db->path);
	if (err < 0 || (err = begin_claim(db, "claiming a commit")) < 0)
		return err;
	if ((err = now_ms(db, &now)) == 0 &&
	    (err = take_back(db, pool, kind, now, taken_back)) == 0)
		err = first_queued(db, pool, kind, out, found);
	if (err == 0 && *found) {
		const int64_t ints[] = {out->id, now + lease_ms, now};
		const char *const texts[] = {runner};
		out->lease_until = now + lease_ms;
		err = run_update(db,
				 "UPDATE queue SET state = 'claimed', lease_until = ?2, "
				 "updated = ?3, attempts = attempts + 1, runner = ?4 "
				 "WHERE id = ?1",
				 0, ints, 3, texts, 1, NULL, "claiming a commit");
	} else if (err == 0) {
		err = count_of(db,
			       "SELECT count(*) FROM queue WHERE pool = ?1 AND kind = ?2 "
			       "AND state = 'claimed'",
			       pool, kind, &others, "claiming a commit");
	}
	if ((err = db_end(db, err, "claiming a commit")) < 0)
		*found = 0;
	if (held)
		*held = err == 0 ? (size_t)others : 0;
	return err;
}

/* The message for a claim runner no longer holds, naming who has it now. */
static int lost(struct bg_db *db, const struct bg_queue_claim *c, const char *runner)
{
	struct db_sql_stmt *s = NULL;
	char now_with[200] = "";
	if (db_sql_prepare(db->sql, "SELECT pool, state, runner FROM queue WHERE id = ?1", 0, &s,
			   "reading a claim") == 0) {
		db_sql_bind_int64(s, 1, c->id);
		if (db_sql_step(s, "reading a claim") == 1) {
			const char *pool = db_sql_col_text(s, 0), *state = db_sql_col_text(s, 1),
				   *other = db_sql_col_text(s, 2);
			snprintf(now_with, sizeof(now_with), " of pool %s; it is %s%s%s now",
				 pool ? pool : "?", state ? state : "?", other ? " by " : "",
				 other ? other : "");
		}
	}
	db_sql_finalize(s);
	return bg_error_set(BG_EINFRA,
			    "%s: commit %.12s%s: runner %s lost its claim (the lease ran out and "
			    "the claim was taken back)",
			    db->path, c->sha, now_with, runner);
}

int bg_db_queue_renew(struct bg_db *db, struct bg_queue_claim *c, const char *runner,
		      int64_t lease_ms)
{
	int64_t now = 0, changes = 0;
	int err = now_ms(db, &now);
	if (err < 0)
		return err;
	const int64_t ints[] = {c->id, c->attempts, now + lease_ms, now};
	const char *const texts[] = {runner};
	err = run_update(db,
			 "UPDATE queue SET lease_until = ?3, updated = ?4 WHERE id = ?1 AND "
			 "attempts = ?2 AND state = 'claimed' AND runner = ?5",
			 0, ints, 4, texts, 1, &changes, "renewing a lease");
	if (err < 0)
		return err;
	if (changes == 0)
		return lost(db, c, runner);
	c->lease_until = now + lease_ms;
	return 0;
}

int bg_db_queue_release(struct bg_db *db, const struct bg_queue_claim *c, const char *runner,
			int done, const char *run_uuid)
{
	int64_t now = 0, changes = 0;
	int err = db_begin(db, "releasing a claim");
	if (err < 0)
		return err;
	if ((err = now_ms(db, &now)) == 0) {
		const int64_t ints[] = {c->id, c->attempts, now};
		const char *const texts[] = {done ? "done" : "failed", run_uuid, runner};
		err = run_update(db,
				 "UPDATE queue SET state = ?4, run_uuid = ?5, lease_until = NULL, "
				 "updated = ?3 WHERE id = ?1 AND attempts = ?2 AND "
				 "state = 'claimed' AND runner = ?6",
				 0, ints, 3, texts, 3, &changes, "releasing a claim");
	}
	if (err == 0 && changes == 0)
		err = lost(db, c, runner);
	if (err == 0 && run_uuid) {
		const int64_t ints[] = {c->id};
		const char *const texts[] = {run_uuid};
		err = run_update(db,
				 "UPDATE runs SET pool = (SELECT pool FROM queue WHERE id = ?1) "
				 "WHERE uuid = ?2",
				 0, ints, 1, texts, 1, NULL, "releasing a claim");
	}
	return db_end(db, err, "releasing a claim");
}

int bg_db_queue_counts(struct bg_db *db, const char *pool, const char *kind,
		       struct bg_queue_counts *out)
{
	struct db_sql_stmt *s = NULL;
	int err = check_args(db, pool, kind);
	memset(out, 0, sizeof(*out));
	if (err == 0)
		err = db_sql_prepare(
			db->sql,
			"SELECT state, count(*) FROM queue WHERE pool = ?1 AND kind = ?2 "
			"GROUP BY state",
			0, &s, "counting the work queue");
	if (err == 0) {
		db_sql_bind_text(s, 1, pool);
		db_sql_bind_text(s, 2, kind);
	}
	while (err == 0 && (err = db_sql_step(s, "counting the work queue")) == 1) {
		const char *state = db_sql_col_text(s, 0);
		size_t n = (size_t)db_sql_col_int64(s, 1);
		if (!state)
			continue;
		if (!strcmp(state, "queued"))
			out->queued = n;
		else if (!strcmp(state, "claimed"))
			out->claimed = n;
		else if (!strcmp(state, "done"))
			out->done = n;
		else if (!strcmp(state, "failed"))
			out->failed = n;
		err = 0;
	}
	db_sql_finalize(s);
	return err < 0 ? err : 0;
}

int bg_db_queue_measured(struct bg_db *db, const char *pool, int64_t machine_id, const char *kind,
			 const char *const *shas, size_t n, int *state)
{
	static const char sql[] =
		"SELECT coalesce(max(CASE WHEN r.complete = 1 THEN 2 "
		"WHEN r.status IN ('build-failed', 'config-error') THEN 1 ELSE 0 END), 0) "
		"FROM runs r JOIN commits c ON c.id = r.commit_id "
		"WHERE c.sha = ?1 AND r.kind = ?3 AND r.worktree = 0 "
		"AND (r.pool = ?4 OR (r.pool IS NULL AND r.machine_id = ?2)) "
		"AND (r.label IS NULL OR r.label <> 'bisect')";
	static const int states[] = {BG_COMMIT_UNMEASURED, BG_COMMIT_UNMEASURABLE,
				     BG_COMMIT_MEASURED};
	struct db_sql_stmt *s = NULL;
	int err = db_begin_read(db, "finding the pool's measured commits");
	if (err < 0)
		return err;
	err = db_sql_prepare(db->sql, sql, 0, &s, "finding the pool's measured commits");
	for (size_t i = 0; err == 0 && i < n; i++) {
		db_sql_reset(s);
		db_sql_bind_text(s, 1, shas[i]);
		db_sql_bind_int64(s, 2, machine_id);
		db_sql_bind_text(s, 3, kind);
		db_sql_bind_text(s, 4, pool);
		if ((err = db_sql_step(s, "finding the pool's measured commits")) == 1) {
			int v = db_sql_col_int(s, 0);
			state[i] = states[v >= 0 && v <= 2 ? v : 0];
			err = 0;
		} else if (err == 0) {
			err = bg_error_set(BG_EDB,
					   "%s: finding the pool's measured commits: no row",
					   db->path);
		}
	}
	db_sql_finalize(s);
	return db_end(db, err, "finding the pool's measured commits");
}
