/* bitgate's store, the core: the schema and its migrations, opening, transactions that
 * survive a concurrent writer or a kill at any moment, cached statements and the helpers
 * the other db_*.c share (db_int.h), and the check. The engine is behind db_sql.h (SQLite:
 * db_sql_sqlite.c; PostgreSQL: db_sql_pg.c). The records are in db_records.c, db_runs.c,
 * db_nightly.c and db_decisions.c, export and import in db_io.c. */
#include "bg_db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bg_buf.h"
#include "bg_error.h"
#include "db_int.h"

/* --- schema ---------------------------------------------------------------------------- */

/* Migration steps in order: step i brings the schema version from i to i + 1. Never edit a
 * step that has shipped; append one. The DDL is SQLite's (STRICT tables, WITHOUT ROWID,
 * INTEGER PRIMARY KEY as the row id); db_sql_exec_ddl gives PostgreSQL the same schema in its
 * words, so write only the types INTEGER, REAL and TEXT, and SQL both engines run. */
static const char *const migrations[] = {
	/* 1: the first schema */
	"CREATE TABLE machines (\n"
	"	id INTEGER PRIMARY KEY,\n"
	"	fingerprint TEXT NOT NULL UNIQUE,\n"
	"	hostname TEXT,\n"
	"	cpu TEXT,\n"
	"	flags TEXT,\n"
	"	cores INTEGER NOT NULL DEFAULT 0,\n"
	"	mem_bytes INTEGER NOT NULL DEFAULT 0,\n"
	"	os TEXT,\n"
	"	gpu TEXT\n"
	") STRICT;\n"
	/* tree is NULL while only a run has named the commit (bg_db_commit_put fills it) */
	"CREATE TABLE commits (\n"
	"	id INTEGER PRIMARY KEY,\n"
	"	sha TEXT NOT NULL UNIQUE,\n"
	"	tree TEXT,\n"
	"	parent TEXT,\n"
	"	subject TEXT,\n"
	"	author TEXT,\n"
	"	time INTEGER NOT NULL DEFAULT 0\n"
	") STRICT;\n"
	"CREATE TABLE builds (\n"
	"	id INTEGER PRIMARY KEY,\n"
	"	machine_id INTEGER NOT NULL REFERENCES machines (id),\n"
	"	tree TEXT NOT NULL,\n"
	"	config_hash TEXT NOT NULL,\n"
	"	status TEXT NOT NULL,\n"
	"	duration_s REAL NOT NULL DEFAULT 0,\n"
	"	log_tail TEXT,\n"
	"	binary_hash TEXT,\n"
	"	dir TEXT,\n"
	"	created INTEGER NOT NULL,\n"
	"	last_used INTEGER NOT NULL,\n"
	"	size_bytes INTEGER NOT NULL DEFAULT 0,\n"
	"	UNIQUE (machine_id, tree, config_hash)\n"
	") STRICT;\n"
	"CREATE TABLE runs (\n"
	"	id INTEGER PRIMARY KEY,\n"
	"	uuid TEXT NOT NULL UNIQUE,\n"
	"	kind TEXT NOT NULL CHECK (kind IN ('ci', 'nightly', 'local')),\n"
	"	commit_id INTEGER NOT NULL REFERENCES commits (id),\n"
	"	worktree INTEGER NOT NULL DEFAULT 0 CHECK (worktree IN (0, 1)),\n"
	"	tree TEXT,\n"
	"	machine_id INTEGER NOT NULL REFERENCES machines (id),\n"
	"	build_id INTEGER REFERENCES builds (id),\n"
	"	config_hash TEXT,\n"
	"	env_json TEXT,\n"
	"	harness_version TEXT,\n"
	"	label TEXT,\n"
	"	started INTEGER NOT NULL,\n"
	"	finished INTEGER NOT NULL DEFAULT 0,\n"
	"	complete INTEGER NOT NULL DEFAULT 0 CHECK (complete IN (0, 1)),\n"
	"	status TEXT NOT NULL DEFAULT 'running'\n"
	") STRICT;\n"
	"CREATE INDEX runs_commit ON runs (commit_id);\n"
	"CREATE INDEX runs_started ON runs (started);\n"
	"CREATE INDEX runs_machine ON runs (machine_id);\n"
	"CREATE INDEX runs_build ON runs (build_id);\n"
	"CREATE TABLE series (\n"
	"	id INTEGER PRIMARY KEY,\n"
	"	benchmark TEXT NOT NULL,\n"
	"	params TEXT NOT NULL DEFAULT '',\n"
	"	metric TEXT NOT NULL,\n"
	"	mode TEXT NOT NULL,\n"
	"	UNIQUE (benchmark, params, metric, mode)\n"
	") STRICT;\n"
	/* the context each bench process reported (program, version, ISA, ...), verbatim */
	"CREATE TABLE bench_outputs (\n"
	"	id INTEGER PRIMARY KEY,\n"
	"	run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,\n"
	"	round INTEGER NOT NULL,\n"
	"	mode TEXT NOT NULL,\n"
	"	params TEXT NOT NULL,\n"
	"	format TEXT,\n"
	"	context TEXT\n"
	") STRICT;\n"
	"CREATE INDEX bench_outputs_run ON bench_outputs (run_id);\n"
	"CREATE TABLE results (\n"
	"	id INTEGER PRIMARY KEY,\n"
	"	run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,\n"
	"	series_id INTEGER NOT NULL REFERENCES series (id),\n"
	"	round INTEGER NOT NULL,\n"
	"	kernel TEXT,\n"
	"	checked INTEGER CHECK (checked IN (0, 1)),\n"
	"	skipped TEXT,\n"
	"	iterations INTEGER NOT NULL DEFAULT 0,\n"
	"	elements REAL NOT NULL DEFAULT 0,\n"
	"	bytes REAL NOT NULL DEFAULT 0,\n"
	"	UNIQUE (run_id, series_id, round)\n"
	") STRICT;\n"
	"CREATE INDEX results_series ON results (series_id);\n"
	/* the bulk of the database: clustered on its only access path, no other index */
	"CREATE TABLE samples (\n"
	"	result_id INTEGER NOT NULL REFERENCES results (id) ON DELETE CASCADE,\n"
	"	idx INTEGER NOT NULL,\n"
	"	value REAL NOT NULL,\n"
	"	PRIMARY KEY (result_id, idx)\n"
	") STRICT, WITHOUT ROWID;\n"
	"CREATE TABLE test_suites (\n"
	"	id INTEGER PRIMARY KEY,\n"
	"	run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,\n"
	"	suite TEXT NOT NULL,\n"
	"	passed INTEGER NOT NULL DEFAULT 0,\n"
	"	failed INTEGER NOT NULL DEFAULT 0,\n"
	"	skipped INTEGER NOT NULL DEFAULT 0,\n"
	"	errored INTEGER NOT NULL DEFAULT 0\n"
	") STRICT;\n"
	"CREATE INDEX test_suites_run ON test_suites (run_id);\n"
	"CREATE TABLE test_cases (\n"
	"	id INTEGER PRIMARY KEY,\n"
	"	suite_id INTEGER NOT NULL REFERENCES test_suites (id) ON DELETE CASCADE,\n"
	"	idx INTEGER NOT NULL,\n"
	"	name TEXT NOT NULL,\n"
	"	classname TEXT,\n"
	"	outcome TEXT NOT NULL\n"
	"		CHECK (outcome IN ('passed', 'failed', 'skipped', 'errored')),\n"
	"	time_s REAL NOT NULL DEFAULT 0,\n"
	"	message TEXT,\n"
	"	UNIQUE (suite_id, idx)\n"
	") STRICT;\n"
	"CREATE TABLE errors (\n"
	"	id INTEGER PRIMARY KEY,\n"
	"	run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,\n"
	"	stage TEXT NOT NULL,\n"
	"	message TEXT NOT NULL,\n"
	"	detail TEXT,\n"
	"	time INTEGER NOT NULL\n"
	") STRICT;\n"
	"CREATE INDEX errors_run ON errors (run_id);\n",
	/* 2: decisions of comparisons (bitgate compare / ci), re-rendered by bitgate report */
	"CREATE TABLE decisions (\n"
	"	id INTEGER PRIMARY KEY,\n"
	"	kind TEXT NOT NULL CHECK (kind IN ('compare', 'ci')),\n"
	"	base_run_id INTEGER REFERENCES runs (id) ON DELETE SET NULL,\n"
	"	head_run_id INTEGER REFERENCES runs (id) ON DELETE SET NULL,\n"
	"	strict_run_id INTEGER REFERENCES runs (id) ON DELETE SET NULL,\n"
	"	conclusion TEXT NOT NULL,\n"
	"	created INTEGER NOT NULL,\n"
	"	decision TEXT NOT NULL\n"
	") STRICT;\n"
	"CREATE INDEX decisions_head ON decisions (head_run_id);\n",
	/* 3: regressions the nightly found: a lasting shift of a series on a machine between
	 * two measured commits, its state and what bisect blamed */
	"CREATE TABLE regressions (\n"
	"	id INTEGER PRIMARY KEY,\n"
	"	machine_id INTEGER NOT NULL REFERENCES machines (id),\n"
	"	series_id INTEGER NOT NULL REFERENCES series (id),\n"
	"	good_sha TEXT NOT NULL,\n"
	"	bad_sha TEXT NOT NULL,\n"
	"	rel REAL NOT NULL,\n"
	"	lo REAL NOT NULL,\n"
	"	hi REAL NOT NULL,\n"
	"	p REAL NOT NULL,\n"
	"	state TEXT NOT NULL CHECK (state IN ('detected', 'acknowledged', 'fixed')),\n"
	"	reason TEXT,\n"
	"	fixed_sha TEXT,\n"
	"	suspect_sha TEXT,\n"
	"	suspect_rel REAL,\n"
	"	suspect_lo REAL,\n"
	"	suspect_hi REAL,\n"
	"	detected INTEGER NOT NULL,\n"
	"	updated INTEGER NOT NULL,\n"
	"	UNIQUE (machine_id, series_id, bad_sha)\n"
	") STRICT;\n",
	/* 4: the opt-in modes of a decision (gates.modes), one row per mode it declared, in its
	 * order, with the mode's run; decisions.strict_run_id is no longer written: its runs
	 * move here as the mode "strict" */
	"CREATE TABLE decision_modes (\n"
	"	decision_id INTEGER NOT NULL REFERENCES decisions (id) ON DELETE CASCADE,\n"
	"	position INTEGER NOT NULL,\n"
	"	name TEXT NOT NULL,\n"
	"	run_id INTEGER REFERENCES runs (id) ON DELETE SET NULL,\n"
	"	PRIMARY KEY (decision_id, position)\n"
	") STRICT;\n"
	"CREATE INDEX decision_modes_run ON decision_modes (run_id);\n"
	"INSERT INTO decision_modes (decision_id, position, name, run_id)\n"
	"	SELECT id, 0, 'strict', strict_run_id FROM decisions WHERE strict_run_id IS NOT "
	"NULL;\n"
	"UPDATE decisions SET strict_run_id = NULL;\n",
	/* 5: the work queue of a fleet (bitgate nightly --claim): one row per commit a pool of
	 * runners is to measure, claimed by one runner at a time under a lease (milliseconds
	 * on the database's clock, so runners' clocks need not agree) and kept once done, so a
	 * pool never queues a commit twice; runs.pool names the pool whose claim made the run
	 * (NULL: a run made without one, which counts for every pool of its machine) */
	"CREATE TABLE queue (\n"
	"	id INTEGER PRIMARY KEY,\n"
	"	pool TEXT NOT NULL,\n"
	"	kind TEXT NOT NULL CHECK (kind IN ('nightly', 'bisect')),\n"
	"	sha TEXT NOT NULL,\n"
	"	position INTEGER NOT NULL,\n"
	"	state TEXT NOT NULL CHECK (state IN ('queued', 'claimed', 'done', 'failed')),\n"
	"	runner TEXT,\n"
	"	lease_until INTEGER,\n"
	"	attempts INTEGER NOT NULL DEFAULT 0,\n"
	"	run_uuid TEXT,\n"
	"	enqueued INTEGER NOT NULL,\n"
	"	updated INTEGER NOT NULL,\n"
	"	UNIQUE (pool, kind, sha)\n"
	") STRICT;\n"
	"CREATE INDEX queue_next ON queue (pool, kind, state, position);\n"
	"ALTER TABLE runs ADD COLUMN pool TEXT;\n",
	/* 6: samples without their foreign key to results. PostgreSQL checks one row by row
	 * (a trigger, an index probe and a row lock per sample: 56% of an import there), and
	 * nothing needs it: db/ writes a result's samples right after it in the same
	 * transaction and never deletes results; bitgate db check looks for orphans in one
	 * query on both engines. SQLite drops a constraint only by copying the table. */
	"CREATE TABLE samples_new (\n"
	"	result_id INTEGER NOT NULL,\n"
	"	idx INTEGER NOT NULL,\n"
	"	value REAL NOT NULL,\n"
	"	PRIMARY KEY (result_id, idx)\n"
	") STRICT, WITHOUT ROWID;\n"
	"INSERT INTO samples_new (result_id, idx, value) SELECT result_id, idx, value FROM "
	"samples;\n"
	"DROP TABLE samples;\n"
	"ALTER TABLE samples_new RENAME TO samples;\n",
};

#define SCHEMA_VERSION ((int)BG_COUNTOF(migrations))

int bg_db_schema_version(void)
{
	return SCHEMA_VERSION;
}

/* --- statements ------------------------------------------------------------------------ */

#define BUILD_COLS                                                                                 \
	"id, machine_id, tree, config_hash, status, duration_s, log_tail, binary_hash, dir, "      \
	"created, last_used, size_bytes"

#define RUN_COLS                                                                                   \
	"r.id, r.uuid, r.kind, c.sha, r.worktree, r.tree, r.machine_id, r.build_id, "              \
	"r.config_hash, r.env_json, r.harness_version, r.label, r.started, r.finished, "           \
	"r.complete, r.status, "                                                                   \
	"(SELECT count(*) FROM results x JOIN samples s ON s.result_id = x.id "                    \
	"WHERE x.run_id = r.id)"

static const char *const stmt_sql[ST_COUNT] = {
	[ST_MACHINE_FIND] = "SELECT id FROM machines WHERE fingerprint = ?1",
	[ST_MACHINE_INSERT] = "INSERT INTO machines (fingerprint, hostname, cpu, flags, cores, "
			      "mem_bytes, os, gpu) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
			      "RETURNING id",
	[ST_MACHINE_GET] = "SELECT id, fingerprint, hostname, cpu, flags, cores, mem_bytes, os, "
			   "gpu FROM machines WHERE id = ?1",
	[ST_COMMIT_FIND] = "SELECT id FROM commits WHERE sha = ?1",
	[ST_COMMIT_UPSERT] = "INSERT INTO commits (sha, tree, parent, subject, author, time) "
			     "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (sha) DO UPDATE SET "
			     "tree = excluded.tree, parent = excluded.parent, "
			     "subject = excluded.subject, author = excluded.author, "
			     "time = excluded.time "
			     "WHERE commits.tree IS NULL AND excluded.tree IS NOT NULL",
	[ST_COMMIT_STUB] = "INSERT INTO commits (sha) VALUES (?1) RETURNING id",
	/* ?2 is ?1 followed by a character above every hex digit: a range on the unique index */
	[ST_COMMIT_PREFIX] = "SELECT sha, tree, parent, subject, author, time FROM commits "
			     "WHERE sha >= ?1 AND sha < ?2 ORDER BY sha LIMIT 2",
	[ST_BUILD_UPSERT] = "INSERT INTO builds (machine_id, tree, config_hash, status, "
			    "duration_s, log_tail, binary_hash, dir, created, last_used, "
			    "size_bytes) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) "
			    "ON CONFLICT (machine_id, tree, config_hash) DO UPDATE SET "
			    "status = excluded.status, duration_s = excluded.duration_s, "
			    "log_tail = excluded.log_tail, binary_hash = excluded.binary_hash, "
			    "dir = excluded.dir, created = excluded.created, "
			    "last_used = excluded.last_used, size_bytes = excluded.size_bytes "
			    "RETURNING id",
	[ST_BUILD_FIND] = "SELECT " BUILD_COLS " FROM builds "
			  "WHERE machine_id = ?1 AND tree = ?2 AND config_hash = ?3",
	[ST_BUILD_TOUCH] = "UPDATE builds SET last_used = ?2 WHERE id = ?1",
	[ST_BUILD_LIST] = "SELECT " BUILD_COLS " FROM builds WHERE dir IS NOT NULL "
			  "ORDER BY last_used, id",
	[ST_BUILD_FORGET_DIR] = "UPDATE builds SET dir = NULL WHERE id = ?1",
	[ST_BUILD_EXISTS] = "SELECT 1 FROM builds WHERE id = ?1",
	[ST_RUN_INSERT] = "INSERT INTO runs (uuid, kind, commit_id, worktree, tree, machine_id, "
			  "build_id, config_hash, env_json, harness_version, label, started, "
			  "finished, complete, status) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
			  "?9, ?10, ?11, ?12, ?13, ?14, ?15) RETURNING id",
	[ST_RUN_EXISTS] = "SELECT complete FROM runs WHERE id = ?1",
	[ST_RUN_BY_UUID] = "SELECT id FROM runs WHERE uuid = ?1",
	[ST_RUN_FINISH] = "UPDATE runs SET status = ?2, finished = ?3, complete = ?4 WHERE id = ?1",
	[ST_RUN_SET_BUILD] = "UPDATE runs SET build_id = ?2 WHERE id = ?1",
	[ST_RUN_GET] = "SELECT " RUN_COLS " FROM runs r JOIN commits c ON c.id = r.commit_id "
		       "WHERE r.id = ?1",
	[ST_RUN_LIST] =
		"SELECT " RUN_COLS " FROM runs r JOIN commits c ON c.id = r.commit_id "
		"WHERE (CAST(?1 AS TEXT) IS NULL OR (c.sha >= ?1 AND c.sha < ?2)) "
		"AND (CAST(?3 AS TEXT) IS NULL OR r.kind = ?3) AND (?4 = 0 OR r.complete = 1) "
		"AND r.started >= ?5 ORDER BY r.started DESC, r.id DESC LIMIT ?6",
	[ST_SERIES_FIND] = "SELECT id FROM series WHERE benchmark = ?1 AND params = ?2 "
			   "AND metric = ?3 AND mode = ?4",
	[ST_SERIES_INSERT] = "INSERT INTO series (benchmark, params, metric, mode) "
			     "VALUES (?1, ?2, ?3, ?4) RETURNING id",
	[ST_BENCH_OUTPUT_INSERT] = "INSERT INTO bench_outputs (run_id, round, mode, params, "
				   "format, context) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[ST_RESULT_INSERT] = "INSERT INTO results (run_id, series_id, round, kernel, checked, "
			     "skipped, iterations, elements, bytes) "
			     "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	[ST_SUITE_INSERT] = "INSERT INTO test_suites (run_id, suite, passed, failed, skipped, "
			    "errored) VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id",
	[ST_ERROR_INSERT] = "INSERT INTO errors (run_id, stage, message, detail, time) "
			    "VALUES (?1, ?2, ?3, ?4, ?5)",
	[ST_RESULTS_OF_RUN] =
		"SELECT x.id, s.id, s.benchmark, s.params, s.metric, s.mode, "
		"x.round, x.kernel, x.checked, x.skipped, x.iterations, "
		"x.elements, x.bytes FROM results x JOIN series s ON s.id = x.series_id "
		"WHERE x.run_id = ?1 "
		"ORDER BY s.benchmark, s.mode, s.params, s.metric, x.round",
	[ST_SAMPLES_OF_RESULT] = "SELECT value FROM samples WHERE result_id = ?1 ORDER BY idx",
	[ST_SUITES_OF_RUN] = "SELECT id, suite, passed, failed, skipped, errored "
			     "FROM test_suites WHERE run_id = ?1 ORDER BY id",
	[ST_CASES_OF_SUITE] = "SELECT name, classname, outcome, time_s, message FROM test_cases "
			      "WHERE suite_id = ?1 ORDER BY idx",
	[ST_ERRORS_OF_RUN] = "SELECT stage, message, detail, time FROM errors WHERE run_id = ?1 "
			     "ORDER BY id",
	[ST_BENCH_OUTPUTS_OF_RUN] = "SELECT round, mode, params, format, context "
				    "FROM bench_outputs WHERE run_id = ?1 ORDER BY id",
	/* ordered by what is the same in every database, so exports compare byte for byte */
	[ST_EXPORT_RUNS] = "SELECT r.id, r.uuid, r.kind, c.sha, c.tree, c.parent, c.subject, "
			   "c.author, c.time, r.worktree, r.tree, m.fingerprint, m.hostname, "
			   "m.cpu, m.flags, m.cores, m.mem_bytes, m.os, m.gpu, b.id, b.tree, "
			   "b.config_hash, b.status, b.duration_s, b.binary_hash, b.log_tail, "
			   "b.created, r.config_hash, r.env_json, r.harness_version, r.label, "
			   "r.started, r.finished, r.complete, r.status, r.pool "
			   "FROM runs r JOIN commits c ON c.id = r.commit_id "
			   "JOIN machines m ON m.id = r.machine_id "
			   "LEFT JOIN builds b ON b.id = r.build_id "
			   "WHERE r.started >= ?1 ORDER BY r.started, r.uuid",
};

/* How each statement is prepared beyond DB_SQL_PERSISTENT: the hot inserts whose id is
 * wanted say so instead of RETURNING id (db_sql_step_insert). */
static const unsigned stmt_flags[ST_COUNT] = {
	[ST_RESULT_INSERT] = DB_SQL_INSERT_ID,
};

int db_fail(struct bg_db *db, const char *what)
{
	return bg_error_set(BG_EDB, "%s: %s: %s", db->path, what, db_sql_errmsg(db->sql));
}

int db_stmt(struct bg_db *db, enum db_stmt_id id, struct db_sql_stmt **out)
{
	struct db_sql_stmt *s = db->st[id];
	int err;
	if (s) {
		db_sql_reset(s);
		db_sql_unbind(s);
	} else {
		if ((err = db_sql_prepare(db->sql, stmt_sql[id], DB_SQL_PERSISTENT | stmt_flags[id],
					  &s, "preparing a statement")) < 0)
			return err;
		db->st[id] = s;
	}
	*out = s;
	return 0;
}

void db_idle(struct bg_db *db)
{
	for (int i = 0; i < ST_COUNT; i++)
		if (db->st[i] && db_sql_busy(db->st[i]))
			db_sql_reset(db->st[i]);
}

int db_step_done(struct bg_db *db, struct db_sql_stmt *s, const char *what)
{
	(void)db;
	int rc = db_sql_step(s, what);
	if (rc < 0)
		return rc;
	db_sql_reset(s);
	return 0;
}

int db_step_id(struct bg_db *db, struct db_sql_stmt *s, const char *what, int64_t *id)
{
	int rc = db_sql_step(s, what);
	if (rc == 1)
		*id = db_sql_col_int64(s, 0);
	db_sql_reset(s);
	if (rc == 0)
		return bg_error_set(BG_EDB, "%s: %s: no id came back", db->path, what);
	return rc < 0 ? rc : 0;
}

int db_col_str(struct db_sql_stmt *s, int i, char **out)
{
	const char *v = db_sql_col_text(s, i);
	if (!v) {
		*out = NULL;
		/* NULL text with a non-NULL column means the engine ran out of memory */
		return db_sql_col_is_null(s, i) ? 0 : bg_error_oom();
	}
	*out = bg_strdup(v);
	return *out ? 0 : BG_ENOMEM;
}

int db_begin(struct bg_db *db, const char *what)
{
	return db_sql_begin_write(db->sql, what);
}

int db_begin_read(struct bg_db *db, const char *what)
{
	return db_sql_exec(db->sql, "BEGIN", what);
}

int db_end(struct bg_db *db, int err, const char *what)
{
	char step[160];
	db_idle(db);
	if (!db_sql_in_transaction(db->sql))
		return err; /* the engine already rolled back (e.g. SQLite after SQLITE_FULL) */
	snprintf(step, sizeof(step), "%s: committing", what);
	if (err == 0)
		err = db_sql_exec(db->sql, "COMMIT", step);
	if (err < 0)
		db_sql_rollback(db->sql);
	return err;
}

int db_row_exists(struct bg_db *db, enum db_stmt_id st, int64_t id, int *exists)
{
	struct db_sql_stmt *s;
	int err;
	if ((err = db_stmt(db, st, &s)) < 0)
		return err;
	db_sql_bind_int64(s, 1, id);
	int rc = db_sql_step(s, "looking up a row");
	*exists = rc == 1;
	db_sql_reset(s);
	return rc < 0 ? rc : 0;
}

int db_sha_range(const char *prefix, char *lo, char *hi, size_t size)
{
	size_t n = strlen(prefix);
	if (n == 0 || n + 2 > size)
		return -1;
	for (size_t i = 0; i < n; i++) {
		char ch = prefix[i];
		if (ch >= 'A' && ch <= 'F')
			ch = (char)(ch - 'A' + 'a');
		if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f')))
			return -1;
		lo[i] = hi[i] = ch;
	}
	lo[n] = '\0';
	hi[n] = '~'; /* above every hex digit: every SHA starting with lo sorts below hi */
	hi[n + 1] = '\0';
	return 0;
}

int db_push_sample(double **samples, int **rounds, size_t *n, size_t *cap, double v, int round)
{
	size_t cap_s = *cap, cap_r = *cap;
	int err;
	if ((err = bg_grow((void **)samples, &cap_s, *n, sizeof(**samples), 64)) < 0 ||
	    (err = bg_grow((void **)rounds, &cap_r, *n, sizeof(**rounds), 64)) < 0)
		return err;
	*cap = cap_s;
	(*samples)[*n] = v;
	(*rounds)[(*n)++] = round;
	return 0;
}

/* --- open, migrate, close -------------------------------------------------------------- */

static int refuse_newer(struct bg_db *db, int v)
{
	return bg_error_set(BG_EDB,
			    "%s: database schema version %d is newer than this bitgate's (%d); "
			    "use a newer bitgate",
			    db->path, v, SCHEMA_VERSION);
}

/* Migrates db up to version (SCHEMA_VERSION but in tests of a migration). */
static int migrate(struct bg_db *db, int version)
{
	char what[64];
	int v = 0, err;
	if ((err = db_sql_schema_version(db->sql, &v)) < 0)
		return err;
	if (v > SCHEMA_VERSION)
		return refuse_newer(db, v);
	if (v >= version)
		return 0;
	if ((err = db_begin(db, "migrating the schema")) < 0)
		return err;
	/* another process may have migrated between the read above and our write lock */
	if ((err = db_sql_schema_version(db->sql, &v)) < 0)
		goto done;
	if (v > SCHEMA_VERSION) {
		err = refuse_newer(db, v);
		goto done;
	}
	for (int step = v; step < version && err == 0; step++) {
		snprintf(what, sizeof(what), "migrating the schema to version %d", step + 1);
		err = db_sql_exec_ddl(db->sql, migrations[step], what);
	}
	if (err == 0)
		err = db_sql_set_schema_version(db->sql, version);
done:
	return db_end(db, err, "migrating the schema");
}

int bg_db_is_server(const char *target)
{
	return target && db_sql_is_server(target);
}

const char *bg_db_name(const struct bg_db *db)
{
	return db->path;
}

int db_open_at_version(struct bg_db **out, const char *path, int version)
{
	struct bg_db *db = NULL;
	int err = 0;
	*out = NULL;
	if (!path || !*path)
		return bg_error_set(BG_EINPUT, "database path is empty");
	if (!(db = calloc(1, sizeof(*db)))) {
		err = bg_error_oom();
		goto done;
	}
	if ((err = db_sql_open(&db->sql, path)) < 0)
		goto done;
	db->path = db_sql_path(db->sql);
	if ((err = migrate(db, version)) < 0)
		goto done;
	*out = db;
	db = NULL;
done:
	bg_db_close(db);
	return err;
}

int bg_db_open(struct bg_db **out, const char *path)
{
	return db_open_at_version(out, path, SCHEMA_VERSION);
}

void bg_db_close(struct bg_db *db)
{
	if (!db)
		return;
	for (int i = 0; i < ST_COUNT; i++)
		db_sql_finalize(db->st[i]);
	db_sql_close(db->sql);
	free(db);
}

/* --- check ----------------------------------------------------------------------------- */

/* Runs a query of four columns and appends one report line per row (format gets the
 * columns as text); counts them in *problems. */
static int check_query(struct bg_db *db, struct bg_buf *report, int *problems, const char *sql,
		       const char *fmt)
{
	struct db_sql_stmt *s = NULL;
	int err, rc = 0;
	if ((err = db_sql_prepare(db->sql, sql, 0, &s, "checking")) < 0)
		return err;
	while ((rc = db_sql_step(s, "checking")) == 1) {
		const char *c[4];
		for (int i = 0; i < 4; i++) {
			const char *v = db_sql_col_text(s, i);
			c[i] = v ? v : "NULL";
		}
		(*problems)++;
		if (report && ((err = bg_buf_printf(report, fmt, c[0], c[1], c[2], c[3])) < 0 ||
			       (err = bg_buf_putc(report, '\n')) < 0))
			goto done;
	}
	if (rc < 0)
		err = rc;
done:
	db_sql_finalize(s);
	return err;
}

int bg_db_check(struct bg_db *db, struct bg_buf *report)
{
	static const struct {
		const char *sql;
		const char *fmt; /* gets four strings */
		int sqlite_only; /* PostgreSQL enforces foreign keys itself and has no file check */
	} checks[] = {
		/* SQLite side: its own integrity and foreign key checks */
		{"SELECT integrity_check, '', '', '' FROM pragma_integrity_check "
		 "WHERE integrity_check <> 'ok'",
		 "integrity: %s%s%s%s", 1},
		{"SELECT \"table\", rowid, parent, '' FROM pragma_foreign_key_check",
		 "foreign key: %s row %s refers to a missing %s row%s", 1},
		{"SELECT uuid, id, '', '' FROM runs WHERE complete = 1 AND finished <= 0 LIMIT 100",
		 "run %s (id %s) is complete but has no finish time%s%s", 0},
		{"SELECT uuid, id, '', '' FROM runs WHERE complete = 1 AND status = 'running' "
		 "LIMIT 100",
		 "run %s (id %s) is complete but its status is still \"running\"%s%s", 0},
		{"SELECT id, run_id, '', '' FROM results WHERE run_id NOT IN (SELECT id FROM runs) "
		 "LIMIT 100",
		 "result %s belongs to run %s, which does not exist%s%s", 0},
		{"SELECT DISTINCT result_id, '', '', '' FROM samples "
		 "WHERE result_id NOT IN (SELECT id FROM results) LIMIT 100",
		 "samples belong to result %s, which does not exist%s%s%s", 0},
	};
	int sqlite = !strcmp(db_sql_engine(db->sql), "SQLite");
	int problems = 0, err;
	if ((err = db_begin_read(db, "checking")) < 0)
		return err;
	for (size_t i = 0; i < BG_COUNTOF(checks) && err == 0; i++)
		if (sqlite || !checks[i].sqlite_only)
			err = check_query(db, report, &problems, checks[i].sql, checks[i].fmt);
	if ((err = db_end(db, err, "checking")) < 0)
		return err;
	if (problems == 0)
		return report ? bg_buf_puts(report, "ok\n") : 0;
	return bg_error_set(BG_EDB, "%s: the check found %d problem%s", db->path, problems,
			    problems == 1 ? "" : "s");
}
