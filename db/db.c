/* bitgate's SQLite store: the schema and its migrations, transactions that survive a
 * concurrent writer or a kill at any moment, cached statements, and the typed reads and
 * writes of bg_db.h. Export and import are in db_io.c. */
#include "bg_db.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "bg_error.h"
#include "bg_fs.h"
#include "bg_hash.h"
#include "db_int.h"

/* Long enough for a build or a big import in another process to finish. */
#define BUSY_TIMEOUT_MS 30000
/* BEGIN IMMEDIATE can report SQLITE_BUSY at once (WAL recovery) or after the timeout; a
 * few more tries cover a writer that is slow but alive. */
#define BEGIN_RETRIES 8

/* --- schema ---------------------------------------------------------------------------- */

/* Migration steps in order: step i brings user_version from i to i + 1. Never edit a step
 * that has shipped; append one. */
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
};

#define SCHEMA_VERSION ((int)(sizeof(migrations) / sizeof(migrations[0])))

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

/* Samples go in SAMPLE_CHUNK rows per statement: one step stores 32 rows, a third of the
 * cost of stepping 32 single-row inserts. Anonymous ? parameters number themselves. */
#define SAMPLE_CHUNK 32
#define SAMPLE_ROWS4 "(?, ?, ?), (?, ?, ?), (?, ?, ?), (?, ?, ?)"
#define SAMPLE_ROWS16 SAMPLE_ROWS4 ", " SAMPLE_ROWS4 ", " SAMPLE_ROWS4 ", " SAMPLE_ROWS4
#define SAMPLE_ROWS SAMPLE_ROWS16 ", " SAMPLE_ROWS16

static const char *const stmt_sql[ST_COUNT] = {
	[ST_MACHINE_FIND] = "SELECT id FROM machines WHERE fingerprint = ?1",
	[ST_MACHINE_INSERT] = "INSERT INTO machines (fingerprint, hostname, cpu, flags, cores, "
			      "mem_bytes, os, gpu) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[ST_MACHINE_GET] = "SELECT id, fingerprint, hostname, cpu, flags, cores, mem_bytes, os, "
			   "gpu FROM machines WHERE id = ?1",
	[ST_COMMIT_FIND] = "SELECT id FROM commits WHERE sha = ?1",
	[ST_COMMIT_UPSERT] = "INSERT INTO commits (sha, tree, parent, subject, author, time) "
			     "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (sha) DO UPDATE SET "
			     "tree = excluded.tree, parent = excluded.parent, "
			     "subject = excluded.subject, author = excluded.author, "
			     "time = excluded.time "
			     "WHERE commits.tree IS NULL AND excluded.tree IS NOT NULL",
	[ST_COMMIT_STUB] = "INSERT INTO commits (sha) VALUES (?1)",
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
			  "?9, ?10, ?11, ?12, ?13, ?14, ?15)",
	[ST_RUN_EXISTS] = "SELECT complete FROM runs WHERE id = ?1",
	[ST_RUN_BY_UUID] = "SELECT id FROM runs WHERE uuid = ?1",
	[ST_RUN_FINISH] = "UPDATE runs SET status = ?2, finished = ?3, complete = ?4 WHERE id = ?1",
	[ST_RUN_SET_BUILD] = "UPDATE runs SET build_id = ?2 WHERE id = ?1",
	[ST_RUN_GET] = "SELECT " RUN_COLS " FROM runs r JOIN commits c ON c.id = r.commit_id "
		       "WHERE r.id = ?1",
	[ST_RUN_LIST] = "SELECT " RUN_COLS " FROM runs r JOIN commits c ON c.id = r.commit_id "
			"WHERE (?1 IS NULL OR (c.sha >= ?1 AND c.sha < ?2)) "
			"AND (?3 IS NULL OR r.kind = ?3) AND (?4 = 0 OR r.complete = 1) "
			"AND r.started >= ?5 ORDER BY r.started DESC, r.id DESC LIMIT ?6",
	[ST_SERIES_FIND] = "SELECT id FROM series WHERE benchmark = ?1 AND params = ?2 "
			   "AND metric = ?3 AND mode = ?4",
	[ST_SERIES_INSERT] = "INSERT INTO series (benchmark, params, metric, mode) "
			     "VALUES (?1, ?2, ?3, ?4)",
	[ST_BENCH_OUTPUT_INSERT] = "INSERT INTO bench_outputs (run_id, round, mode, params, "
				   "format, context) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[ST_RESULT_INSERT] = "INSERT INTO results (run_id, series_id, round, kernel, checked, "
			     "skipped, iterations, elements, bytes) "
			     "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	[ST_SAMPLE_INSERT] = "INSERT INTO samples (result_id, idx, value) VALUES (?1, ?2, ?3)",
	[ST_SAMPLE_INSERT_MANY] = "INSERT INTO samples (result_id, idx, value) VALUES " SAMPLE_ROWS,
	[ST_SUITE_INSERT] = "INSERT INTO test_suites (run_id, suite, passed, failed, skipped, "
			    "errored) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[ST_CASE_INSERT] = "INSERT INTO test_cases (suite_id, idx, name, classname, outcome, "
			   "time_s, message) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[ST_ERROR_INSERT] = "INSERT INTO errors (run_id, stage, message, detail, time) "
			    "VALUES (?1, ?2, ?3, ?4, ?5)",
	[ST_RESULTS_OF_RUN] = "SELECT x.id, s.id, s.benchmark, s.params, s.metric, s.mode, "
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
			   "r.started, r.finished, r.complete, r.status "
			   "FROM runs r JOIN commits c ON c.id = r.commit_id "
			   "JOIN machines m ON m.id = r.machine_id "
			   "LEFT JOIN builds b ON b.id = r.build_id "
			   "WHERE r.started >= ?1 ORDER BY r.started, r.uuid",
};

int db_fail(struct bg_db *db, const char *what)
{
	return bg_error_set(BG_EDB, "%s: %s: %s", db->path, what, sqlite3_errmsg(db->h));
}

int db_stmt(struct bg_db *db, enum db_stmt_id id, sqlite3_stmt **out)
{
	sqlite3_stmt *s = db->st[id];
	if (s) {
		sqlite3_reset(s);
		sqlite3_clear_bindings(s);
	} else {
		if (sqlite3_prepare_v3(db->h, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT, &s,
				       NULL) != SQLITE_OK)
			return db_fail(db, "preparing a statement");
		db->st[id] = s;
	}
	*out = s;
	return 0;
}

void db_idle(struct bg_db *db)
{
	for (int i = 0; i < ST_COUNT; i++)
		if (db->st[i] && sqlite3_stmt_busy(db->st[i]))
			sqlite3_reset(db->st[i]);
}

void db_bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, i);
}

int db_step_done(struct bg_db *db, sqlite3_stmt *s, const char *what)
{
	int rc = sqlite3_step(s);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return db_fail(db, what);
	sqlite3_reset(s);
	return 0;
}

int db_col_str(sqlite3_stmt *s, int i, char **out)
{
	const unsigned char *v = sqlite3_column_text(s, i);
	if (!v) {
		*out = NULL;
		/* NULL text with a non-NULL column means SQLite ran out of memory */
		return sqlite3_column_type(s, i) == SQLITE_NULL ? 0 : bg_error_oom();
	}
	*out = bg_strdup((const char *)v);
	return *out ? 0 : BG_ENOMEM;
}

/* Sleeps ms milliseconds, through signals. */
static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

int db_begin(struct bg_db *db, const char *what)
{
	for (int attempt = 0;; attempt++) {
		int rc = sqlite3_exec(db->h, "BEGIN IMMEDIATE", NULL, NULL, NULL);
		if (rc == SQLITE_OK)
			return 0;
		if ((rc & 0xff) != SQLITE_BUSY || attempt >= BEGIN_RETRIES)
			return bg_error_set(BG_EDB, "%s: %s: cannot start a transaction: %s",
					    db->path, what, sqlite3_errmsg(db->h));
		sleep_ms(20L * (attempt + 1));
	}
}

int db_begin_read(struct bg_db *db, const char *what)
{
	if (sqlite3_exec(db->h, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		return db_fail(db, what);
	return 0;
}

int db_end(struct bg_db *db, int err, const char *what)
{
	db_idle(db);
	if (sqlite3_get_autocommit(db->h))
		return err; /* SQLite already rolled back (e.g. after SQLITE_FULL) */
	if (err == 0 && sqlite3_exec(db->h, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		err = bg_error_set(BG_EDB, "%s: %s: committing: %s", db->path, what,
				   sqlite3_errmsg(db->h));
	if (err < 0 && !sqlite3_get_autocommit(db->h))
		sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
	return err;
}

/* --- open, migrate, close -------------------------------------------------------------- */

static int user_version(struct bg_db *db, int *out)
{
	sqlite3_stmt *s = NULL;
	int err = 0;
	if (sqlite3_prepare_v2(db->h, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK ||
	    sqlite3_step(s) != SQLITE_ROW) {
		err = db_fail(db, "reading the schema version");
		goto done;
	}
	*out = sqlite3_column_int(s, 0);
done:
	sqlite3_finalize(s);
	return err;
}

static int refuse_newer(struct bg_db *db, int v)
{
	return bg_error_set(BG_EDB,
			    "%s: database schema version %d is newer than this bitgate's (%d); "
			    "use a newer bitgate",
			    db->path, v, SCHEMA_VERSION);
}

static int migrate(struct bg_db *db)
{
	struct bg_buf sql = BG_BUF_INIT;
	int v = 0, err;
	if ((err = user_version(db, &v)) < 0)
		return err;
	if (v > SCHEMA_VERSION)
		return refuse_newer(db, v);
	if (v == SCHEMA_VERSION)
		return 0;
	if ((err = db_begin(db, "migrating the schema")) < 0)
		return err;
	/* another process may have migrated between the read above and our write lock */
	if ((err = user_version(db, &v)) < 0)
		goto done;
	if (v > SCHEMA_VERSION) {
		err = refuse_newer(db, v);
		goto done;
	}
	for (int step = v; step < SCHEMA_VERSION; step++) {
		if (sqlite3_exec(db->h, migrations[step], NULL, NULL, NULL) != SQLITE_OK) {
			err = bg_error_set(BG_EDB, "%s: migrating the schema to version %d: %s",
					   db->path, step + 1, sqlite3_errmsg(db->h));
			goto done;
		}
	}
	if ((err = bg_buf_printf(&sql, "PRAGMA user_version = %d", SCHEMA_VERSION)) < 0)
		goto done;
	if (sqlite3_exec(db->h, sql.ptr, NULL, NULL, NULL) != SQLITE_OK)
		err = db_fail(db, "setting the schema version");
done:
	bg_buf_free(&sql);
	return db_end(db, err, "migrating the schema");
}

/* WAL lets readers run beside the one writer; switching needs a moment alone. */
static int set_wal(struct bg_db *db)
{
	for (int attempt = 0;; attempt++) {
		sqlite3_stmt *s = NULL;
		int rc = sqlite3_prepare_v2(db->h, "PRAGMA journal_mode = WAL", -1, &s, NULL);
		if (rc == SQLITE_OK)
			rc = sqlite3_step(s);
		if (rc == SQLITE_ROW) {
			const char *mode = (const char *)sqlite3_column_text(s, 0);
			/* an in-memory database stays "memory"; that is fine */
			int ok = mode && (!strcmp(mode, "wal") || !strcmp(mode, "memory"));
			sqlite3_finalize(s);
			if (!ok)
				return bg_error_set(BG_EDB, "%s: cannot switch to WAL journal mode",
						    db->path);
			return 0;
		}
		int err = (rc & 0xff) == SQLITE_BUSY && attempt < BEGIN_RETRIES
				  ? 0
				  : db_fail(db, "setting WAL journal mode");
		sqlite3_finalize(s);
		if (err < 0)
			return err;
		sleep_ms(20L * (attempt + 1));
	}
}

static int make_parent_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash || slash == path)
		return 0;
	char *dir = strndup(path, (size_t)(slash - path));
	if (!dir)
		return bg_error_oom();
	int err = bg_fs_mkdirs(dir);
	free(dir);
	return err;
}

int bg_db_open(struct bg_db **out, const char *path)
{
	struct bg_db *db = NULL;
	int err = 0;
	*out = NULL;
	if (!path || !*path)
		return bg_error_set(BG_EINPUT, "database path is empty");
	if (strcmp(path, ":memory:") && (err = make_parent_dir(path)) < 0)
		return bg_error_wrap("%s: creating the database directory", path);
	if (!(db = calloc(1, sizeof(*db))) || !(db->path = bg_strdup(path))) {
		err = bg_error_oom();
		goto done;
	}
	int rc = sqlite3_open_v2(path, &db->h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (rc != SQLITE_OK) {
		err = bg_error_set(BG_EDB, "%s: cannot open the database: %s", path,
				   db->h ? sqlite3_errmsg(db->h) : sqlite3_errstr(rc));
		goto done;
	}
	sqlite3_extended_result_codes(db->h, 1);
	sqlite3_busy_timeout(db->h, BUSY_TIMEOUT_MS);
	/* the first statement reads the file: a file that is not a database fails here */
	if (sqlite3_exec(db->h, "PRAGMA foreign_keys = ON", NULL, NULL, NULL) != SQLITE_OK) {
		err = db_fail(db, "enabling foreign keys");
		goto done;
	}
	if ((err = set_wal(db)) < 0)
		goto done;
	/* with WAL, NORMAL loses no committed-and-checkpointed data and never corrupts */
	if (sqlite3_exec(db->h, "PRAGMA synchronous = NORMAL", NULL, NULL, NULL) != SQLITE_OK) {
		err = db_fail(db, "setting synchronous mode");
		goto done;
	}
	if ((err = migrate(db)) < 0)
		goto done;
	*out = db;
	db = NULL;
done:
	bg_db_close(db);
	return err;
}

void bg_db_close(struct bg_db *db)
{
	if (!db)
		return;
	for (int i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(db->st[i]);
	sqlite3_close(db->h);
	free(db->path);
	free(db);
}

/* --- check ----------------------------------------------------------------------------- */

/* Runs a query and appends one report line per row (format gets the row's columns as
 * text, at most four); counts them in *problems. */
static int check_query(struct bg_db *db, struct bg_buf *report, int *problems, const char *sql,
		       const char *fmt)
{
	sqlite3_stmt *s = NULL;
	int err = 0, rc;
	if (sqlite3_prepare_v2(db->h, sql, -1, &s, NULL) != SQLITE_OK) {
		err = db_fail(db, "checking");
		goto done;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *c[4] = {"", "", "", ""};
		int n = sqlite3_column_count(s);
		for (int i = 0; i < n && i < 4; i++) {
			const char *v = (const char *)sqlite3_column_text(s, i);
			c[i] = v ? v : "NULL";
		}
		/* integrity_check says "ok" in one row when it found nothing */
		if (n == 1 && !strcmp(c[0], "ok"))
			continue;
		(*problems)++;
		if (report && ((err = bg_buf_printf(report, fmt, c[0], c[1], c[2], c[3])) < 0 ||
			       (err = bg_buf_putc(report, '\n')) < 0))
			goto done;
	}
	if (rc != SQLITE_DONE)
		err = db_fail(db, "checking");
done:
	sqlite3_finalize(s);
	return err;
}

int bg_db_check(struct bg_db *db, struct bg_buf *report)
{
	static const struct {
		const char *sql;
		const char *fmt; /* gets four strings */
	} checks[] = {
		{"PRAGMA integrity_check", "integrity: %s%s%s%s"},
		{"SELECT \"table\", rowid, parent, '' FROM pragma_foreign_key_check",
		 "foreign key: %s row %s refers to a missing %s row%s"},
		{"SELECT uuid, id, '', '' FROM runs WHERE complete = 1 AND finished <= 0 LIMIT 100",
		 "run %s (id %s) is complete but has no finish time%s%s"},
		{"SELECT uuid, id, '', '' FROM runs WHERE complete = 1 AND status = 'running' "
		 "LIMIT 100",
		 "run %s (id %s) is complete but its status is still \"running\"%s%s"},
		{"SELECT id, run_id, '', '' FROM results WHERE run_id NOT IN (SELECT id FROM runs) "
		 "LIMIT 100",
		 "result %s belongs to run %s, which does not exist%s%s"},
		{"SELECT DISTINCT result_id, '', '', '' FROM samples "
		 "WHERE result_id NOT IN (SELECT id FROM results) LIMIT 100",
		 "samples belong to result %s, which does not exist%s%s%s"},
	};
	int problems = 0, err;
	if ((err = db_begin_read(db, "checking")) < 0)
		return err;
	for (size_t i = 0; i < sizeof(checks) / sizeof(checks[0]) && err == 0; i++)
		err = check_query(db, report, &problems, checks[i].sql, checks[i].fmt);
	if ((err = db_end(db, err, "checking")) < 0)
		return err;
	if (problems == 0)
		return report ? bg_buf_puts(report, "ok\n") : 0;
	return bg_error_set(BG_EDB, "%s: the check found %d problem%s", db->path, problems,
			    problems == 1 ? "" : "s");
}

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
	    (err = db_col_str(s, 2, &out->hostname)) < 0 || (err = db_col_str(s, 3, &out->cpu)) < 0 ||
	    (err = db_col_str(s, 4, &out->flags)) < 0 || (err = db_col_str(s, 7, &out->os)) < 0 ||
	    (err = db_col_str(s, 8, &out->gpu)) < 0)
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

/* Lower-cases a SHA prefix into out (size bytes) and makes the range's upper bound;
 * 0, or -1 when it is not a hex prefix of at most 64 digits. */
static int sha_range(const char *prefix, char *lo, char *hi, size_t size)
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

int bg_db_commit_get(struct bg_db *db, const char *sha_prefix, struct bg_commit_rec *out)
{
	char lo[80], hi[80];
	sqlite3_stmt *s;
	int err = 0, rc;
	memset(out, 0, sizeof(*out));
	if (!sha_prefix || !*sha_prefix)
		return bg_error_set(BG_EINPUT, "%s: looking up a commit: empty SHA", db->path);
	if (sha_range(sha_prefix, lo, hi, sizeof(lo)) < 0)
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
	    (err = db_col_str(s, 4, &b->status)) < 0 || (err = db_col_str(s, 6, &b->log_tail)) < 0 ||
	    (err = db_col_str(s, 7, &b->binary_hash)) < 0 || (err = db_col_str(s, 8, &b->dir)) < 0)
		bg_db_build_clear(b);
	return err;
}

int bg_db_build_put(struct bg_db *db, const struct bg_build_rec *b, int64_t *id)
{
	sqlite3_stmt *s;
	int err;
	if (!b->tree || !b->config_hash || !b->status)
		return bg_error_set(BG_EINPUT, "%s: storing a build: tree, config hash and status "
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
static int update_by_id(struct bg_db *db, enum db_stmt_id st, int64_t id, int has_arg,
			int64_t arg, const char *what, const char *thing)
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
		err = bg_error_set(BG_ENOTFOUND, "%s: %s: no %s with id %lld", db->path, what, thing,
				   (long long)id);
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
		if (len == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			struct bg_build_rec *nv = realloc(v, ncap * sizeof(*nv));
			if (!nv) {
				err = bg_error_oom();
				goto done;
			}
			v = nv;
			cap = ncap;
		}
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

/* --- runs ------------------------------------------------------------------------------ */

int db_kind_valid(const char *kind)
{
	return kind && (!strcmp(kind, "ci") || !strcmp(kind, "nightly") || !strcmp(kind, "local"));
}

/* A random (version 4) UUID in out (37 bytes). */
static int make_uuid(char out[37])
{
	uint8_t r[16];
	size_t got = 0;
	while (got < sizeof(r)) {
		ssize_t n = getrandom(r + got, sizeof(r) - got, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return bg_error_set(BG_EINFRA, "making a run id: getrandom: %s",
					    strerror(errno));
		}
		got += (size_t)n;
	}
	r[6] = (uint8_t)((r[6] & 0x0f) | 0x40);
	r[8] = (uint8_t)((r[8] & 0x3f) | 0x80);
	char hex[33];
	bg_hex(hex, r, sizeof(r));
	static const int groups[] = {8, 4, 4, 4, 12};
	char *p = out;
	const char *h = hex;
	for (int g = 0; g < 5; g++) {
		if (g)
			*p++ = '-';
		memcpy(p, h, (size_t)groups[g]);
		p += groups[g];
		h += groups[g];
	}
	*p = '\0';
	return 0;
}

static int row_exists(struct bg_db *db, enum db_stmt_id st, int64_t id, int *exists)
{
	sqlite3_stmt *s;
	int err;
	if ((err = db_stmt(db, st, &s)) < 0)
		return err;
	sqlite3_bind_int64(s, 1, id);
	int rc = sqlite3_step(s);
	*exists = rc == SQLITE_ROW;
	sqlite3_reset(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_fail(db, "looking up a row");
}

int db_run_insert(struct bg_db *db, const struct bg_run_rec *r, int64_t commit_id, int64_t *id)
{
	sqlite3_stmt *s;
	int err;
	if ((err = db_stmt(db, ST_RUN_INSERT, &s)) < 0)
		return err;
	db_bind_text(s, 1, r->uuid);
	db_bind_text(s, 2, r->kind);
	sqlite3_bind_int64(s, 3, commit_id);
	sqlite3_bind_int(s, 4, r->worktree ? 1 : 0);
	db_bind_text(s, 5, r->tree);
	sqlite3_bind_int64(s, 6, r->machine_id);
	if (r->build_id)
		sqlite3_bind_int64(s, 7, r->build_id);
	db_bind_text(s, 8, r->config_hash);
	db_bind_text(s, 9, r->env_json);
	db_bind_text(s, 10, r->harness_version);
	db_bind_text(s, 11, r->label);
	sqlite3_bind_int64(s, 12, r->started);
	sqlite3_bind_int64(s, 13, r->finished);
	sqlite3_bind_int(s, 14, r->complete ? 1 : 0);
	db_bind_text(s, 15, r->status);
	if (sqlite3_step(s) != SQLITE_DONE) {
		if (sqlite3_extended_errcode(db->h) == SQLITE_CONSTRAINT_UNIQUE)
			return bg_error_set(BG_EINPUT, "%s: storing run %s: a run with this uuid "
						       "exists",
					    db->path, r->uuid);
		return db_fail(db, "storing a run");
	}
	sqlite3_reset(s);
	*id = sqlite3_last_insert_rowid(db->h);
	return 0;
}

int bg_db_run_begin(struct bg_db *db, struct bg_run_rec *run)
{
	char uuid[37];
	char *made = NULL;
	int64_t commit_id, id = 0;
	int err, exists;
	if (!db_kind_valid(run->kind))
		return bg_error_set(BG_EINPUT,
				    "%s: starting a run: kind \"%s\" is not ci, nightly or local",
				    db->path, run->kind ? run->kind : "(none)");
	if (!run->commit_sha || !*run->commit_sha)
		return bg_error_set(BG_EINPUT, "%s: starting a run: no commit", db->path);
	struct bg_run_rec r = *run;
	if (!r.uuid) {
		if ((err = make_uuid(uuid)) < 0)
			return err;
		if (!(made = bg_strdup(uuid)))
			return BG_ENOMEM;
		r.uuid = made;
	}
	if (!r.started)
		r.started = bg_unix_time();
	r.finished = 0;
	r.complete = 0;
	r.status = "running";
	if ((err = db_begin(db, "starting a run")) < 0)
		goto done;
	if ((err = row_exists(db, ST_MACHINE_GET, r.machine_id, &exists)) < 0)
		goto end;
	if (!exists) {
		err = bg_error_set(BG_ENOTFOUND, "%s: starting a run: no machine with id %lld",
				   db->path, (long long)r.machine_id);
		goto end;
	}
	if (r.build_id) {
		if ((err = row_exists(db, ST_BUILD_EXISTS, r.build_id, &exists)) < 0)
			goto end;
		if (!exists) {
			err = bg_error_set(BG_ENOTFOUND,
					   "%s: starting a run: no build with id %lld", db->path,
					   (long long)r.build_id);
			goto end;
		}
	}
	if ((err = db_commit_ensure(db, r.commit_sha, &commit_id)) < 0)
		goto end;
	err = db_run_insert(db, &r, commit_id, &id);
end:
	if ((err = db_end(db, err, "starting a run")) < 0)
		goto done;
	run->id = id;
	run->started = r.started;
	if (made) {
		run->uuid = made;
		made = NULL;
	}
done:
	free(made);
	return err;
}

/* BG_ENOTFOUND unless the run exists. */
static int need_run(struct bg_db *db, int64_t run_id, const char *what)
{
	int exists, err;
	if ((err = row_exists(db, ST_RUN_EXISTS, run_id, &exists)) < 0)
		return err;
	return exists ? 0
		      : bg_error_set(BG_ENOTFOUND, "%s: %s: no run with id %lld", db->path, what,
				     (long long)run_id);
}

int db_series_id(struct bg_db *db, const char *benchmark, const char *params, const char *metric,
		 const char *mode, int64_t *id)
{
	sqlite3_stmt *s;
	int err;
	for (int insert = 0; insert < 2; insert++) {
		if ((err = db_stmt(db, insert ? ST_SERIES_INSERT : ST_SERIES_FIND, &s)) < 0)
			return err;
		db_bind_text(s, 1, benchmark);
		db_bind_text(s, 2, params);
		db_bind_text(s, 3, metric);
		db_bind_text(s, 4, mode);
		int rc = sqlite3_step(s);
		if (!insert && rc == SQLITE_ROW) {
			*id = sqlite3_column_int64(s, 0);
			sqlite3_reset(s);
			return 0;
		}
		if (rc != SQLITE_DONE)
			return db_fail(db, "storing a series");
		sqlite3_reset(s);
	}
	*id = sqlite3_last_insert_rowid(db->h);
	return 0;
}

int db_result_insert(struct bg_db *db, const struct db_result_row *r, const char *benchmark,
		     int64_t *id)
{
	sqlite3_stmt *s;
	int err;
	if ((err = db_stmt(db, ST_RESULT_INSERT, &s)) < 0)
		return err;
	sqlite3_bind_int64(s, 1, r->run_id);
	sqlite3_bind_int64(s, 2, r->series_id);
	sqlite3_bind_int64(s, 3, r->round);
	db_bind_text(s, 4, r->kernel);
	if (r->checked == 0 || r->checked == 1)
		sqlite3_bind_int(s, 5, r->checked);
	db_bind_text(s, 6, r->skipped);
	sqlite3_bind_int64(s, 7, r->iterations);
	sqlite3_bind_double(s, 8, isfinite(r->elements) ? r->elements : 0);
	sqlite3_bind_double(s, 9, isfinite(r->bytes) ? r->bytes : 0);
	if (sqlite3_step(s) != SQLITE_DONE) {
		if (sqlite3_extended_errcode(db->h) == SQLITE_CONSTRAINT_UNIQUE)
			return bg_error_set(BG_EINPUT,
					    "%s: storing results of run %lld: benchmark %s appears "
					    "twice in round %lld",
					    db->path, (long long)r->run_id, benchmark,
					    (long long)r->round);
		return db_fail(db, "storing a result");
	}
	sqlite3_reset(s);
	*id = sqlite3_last_insert_rowid(db->h);
	return 0;
}

int db_samples_insert(struct bg_db *db, int64_t result_id, const double *values, size_t n)
{
	sqlite3_stmt *s;
	size_t i = 0;
	int err, rc;
	/* the hot path: skip db_stmt's clear_bindings, every parameter is bound anew */
	if (n >= SAMPLE_CHUNK && !(s = db->st[ST_SAMPLE_INSERT_MANY]) &&
	    (err = db_stmt(db, ST_SAMPLE_INSERT_MANY, &s)) < 0)
		return err;
	for (; i + SAMPLE_CHUNK <= n; i += SAMPLE_CHUNK) {
		for (int k = 0; k < SAMPLE_CHUNK; k++) {
			sqlite3_bind_int64(s, 3 * k + 1, result_id);
			sqlite3_bind_int64(s, 3 * k + 2, (int64_t)(i + (size_t)k));
			sqlite3_bind_double(s, 3 * k + 3, values[i + (size_t)k]);
		}
		rc = sqlite3_step(s);
		sqlite3_reset(s);
		if (rc != SQLITE_DONE)
			return db_fail(db, "storing samples");
	}
	if (i < n && !(s = db->st[ST_SAMPLE_INSERT]) &&
	    (err = db_stmt(db, ST_SAMPLE_INSERT, &s)) < 0)
		return err;
	for (; i < n; i++) {
		sqlite3_bind_int64(s, 1, result_id);
		sqlite3_bind_int64(s, 2, (int64_t)i);
		sqlite3_bind_double(s, 3, values[i]);
		rc = sqlite3_step(s);
		sqlite3_reset(s);
		if (rc != SQLITE_DONE)
			return db_fail(db, "storing samples");
	}
	return 0;
}

int db_bench_output_insert(struct bg_db *db, int64_t run_id, int64_t round, const char *mode,
			   const char *params, const char *format, const char *context)
{
	sqlite3_stmt *s;
	int err;
	if ((err = db_stmt(db, ST_BENCH_OUTPUT_INSERT, &s)) < 0)
		return err;
	sqlite3_bind_int64(s, 1, run_id);
	sqlite3_bind_int64(s, 2, round);
	db_bind_text(s, 3, mode);
	db_bind_text(s, 4, params);
	db_bind_text(s, 5, format);
	db_bind_text(s, 6, context);
	return db_step_done(db, s, "storing a bench context");
}

int bg_db_run_add_bench(struct bg_db *db, int64_t run_id, int round, const char *mode,
			const char *params, const struct bg_bench_set *set)
{
	const char *what = "storing benchmark results";
	int err;
	if (!mode || !*mode)
		mode = "default";
	if (!params)
		params = "";
	/* check the input before taking the write lock */
	for (size_t i = 0; i < set->n; i++) {
		const struct bg_bench *b = &set->v[i];
		if (!b->name || !*b->name)
			return bg_error_set(BG_EINPUT, "%s: %s of run %lld: benchmark %zu has no name",
					    db->path, what, (long long)run_id, i);
		for (size_t k = 0; k < b->n_samples; k++)
			if (!isfinite(b->samples[k]))
				return bg_error_set(BG_EINPUT,
						    "%s: %s of run %lld: benchmark %s: sample %zu "
						    "is not a finite number",
						    db->path, what, (long long)run_id, b->name, k);
	}
	if ((err = db_begin(db, what)) < 0)
		return err;
	if ((err = need_run(db, run_id, what)) < 0)
		goto done;
	if ((err = db_bench_output_insert(db, run_id, round, mode, params, set->format,
					  set->ctx.json)) < 0)
		goto done;
	for (size_t i = 0; i < set->n; i++) {
		const struct bg_bench *b = &set->v[i];
		struct db_result_row row = {
			.run_id = run_id,
			.round = round,
			.kernel = b->kernel,
			.checked = b->checked,
			.skipped = b->skipped,
			.iterations = b->iterations,
			.elements = b->elements,
			.bytes = b->bytes,
		};
		int64_t result_id;
		if ((err = db_series_id(db, b->name, params, b->unit ? b->unit : "", mode,
					&row.series_id)) < 0 ||
		    (err = db_result_insert(db, &row, b->name, &result_id)) < 0)
			goto done;
		if ((err = db_samples_insert(db, result_id, b->samples, b->n_samples)) < 0)
			goto done;
	}
done:
	return db_end(db, err, what);
}

int db_suite_insert(struct bg_db *db, int64_t run_id, const struct bg_test_suite *suite)
{
	sqlite3_stmt *s;
	int err;
	if ((err = db_stmt(db, ST_SUITE_INSERT, &s)) < 0)
		return err;
	sqlite3_bind_int64(s, 1, run_id);
	db_bind_text(s, 2, suite->suite);
	sqlite3_bind_int(s, 3, suite->passed);
	sqlite3_bind_int(s, 4, suite->failed);
	sqlite3_bind_int(s, 5, suite->skipped);
	sqlite3_bind_int(s, 6, suite->errored);
	if ((err = db_step_done(db, s, "storing a test suite")) < 0)
		return err;
	int64_t suite_id = sqlite3_last_insert_rowid(db->h);
	for (size_t i = 0; i < suite->n; i++) {
		const struct bg_test_case *c = &suite->cases[i];
		if ((err = db_stmt(db, ST_CASE_INSERT, &s)) < 0)
			return err;
		sqlite3_bind_int64(s, 1, suite_id);
		sqlite3_bind_int64(s, 2, (int64_t)i);
		db_bind_text(s, 3, c->name);
		db_bind_text(s, 4, c->classname);
		db_bind_text(s, 5, bg_outcome_name(c->outcome));
		sqlite3_bind_double(s, 6, isfinite(c->time_s) ? c->time_s : 0);
		db_bind_text(s, 7, c->message);
		if ((err = db_step_done(db, s, "storing a test case")) < 0)
			return err;
	}
	return 0;
}

int bg_db_run_add_tests(struct bg_db *db, int64_t run_id, const struct bg_test_suite *suite)
{
	const char *what = "storing test results";
	int err;
	if (!suite->suite || !*suite->suite)
		return bg_error_set(BG_EINPUT, "%s: %s of run %lld: the suite has no name", db->path,
				    what, (long long)run_id);
	for (size_t i = 0; i < suite->n; i++) {
		if (!suite->cases[i].name)
			return bg_error_set(BG_EINPUT, "%s: %s of suite %s: case %zu has no name",
					    db->path, what, suite->suite, i);
		if ((unsigned)suite->cases[i].outcome > BG_TEST_ERRORED)
			return bg_error_set(BG_EINPUT, "%s: %s of suite %s: case %s has outcome %d",
					    db->path, what, suite->suite, suite->cases[i].name,
					    (int)suite->cases[i].outcome);
	}
	if ((err = db_begin(db, what)) < 0)
		return err;
	if ((err = need_run(db, run_id, what)) == 0)
		err = db_suite_insert(db, run_id, suite);
	return db_end(db, err, what);
}

int db_error_insert(struct bg_db *db, int64_t run_id, const char *stage, const char *message,
		    const char *detail, int64_t time)
{
	sqlite3_stmt *s;
	int err;
	if ((err = db_stmt(db, ST_ERROR_INSERT, &s)) < 0)
		return err;
	sqlite3_bind_int64(s, 1, run_id);
	db_bind_text(s, 2, stage);
	db_bind_text(s, 3, message);
	db_bind_text(s, 4, detail);
	sqlite3_bind_int64(s, 5, time);
	return db_step_done(db, s, "storing an error");
}

int bg_db_run_add_error(struct bg_db *db, int64_t run_id, const char *stage,
			const char *message, const char *detail)
{
	const char *what = "storing an error";
	int err;
	if (!stage || !message)
		return bg_error_set(BG_EINPUT, "%s: %s of run %lld: stage and message are required",
				    db->path, what, (long long)run_id);
	if ((err = db_begin(db, what)) < 0)
		return err;
	if ((err = need_run(db, run_id, what)) == 0)
		err = db_error_insert(db, run_id, stage, message, detail, bg_unix_time());
	return db_end(db, err, what);
}

int bg_db_run_finish(struct bg_db *db, int64_t run_id, const char *status, int complete)
{
	const char *what = "finishing a run";
	sqlite3_stmt *s;
	int err;
	if (!status || !*status)
		return bg_error_set(BG_EINPUT, "%s: %s: no status", db->path, what);
	if ((err = db_begin(db, what)) < 0)
		return err;
	if ((err = db_stmt(db, ST_RUN_FINISH, &s)) < 0)
		goto done;
	sqlite3_bind_int64(s, 1, run_id);
	db_bind_text(s, 2, status);
	sqlite3_bind_int64(s, 3, bg_unix_time());
	sqlite3_bind_int(s, 4, complete ? 1 : 0);
	if ((err = db_step_done(db, s, what)) < 0)
		goto done;
	if (sqlite3_changes(db->h) == 0)
		err = bg_error_set(BG_ENOTFOUND, "%s: %s: no run with id %lld", db->path, what,
				   (long long)run_id);
done:
	return db_end(db, err, what);
}

int bg_db_run_set_build(struct bg_db *db, int64_t run_id, int64_t build_id)
{
	const char *what = "linking a run to its build";
	sqlite3_stmt *s;
	int err, exists;
	if ((err = db_begin(db, what)) < 0)
		return err;
	if ((err = row_exists(db, ST_BUILD_EXISTS, build_id, &exists)) < 0)
		goto done;
	if (!exists) {
		err = bg_error_set(BG_ENOTFOUND, "%s: %s: no build with id %lld", db->path, what,
				   (long long)build_id);
		goto done;
	}
	if ((err = db_stmt(db, ST_RUN_SET_BUILD, &s)) < 0)
		goto done;
	sqlite3_bind_int64(s, 1, run_id);
	sqlite3_bind_int64(s, 2, build_id);
	if ((err = db_step_done(db, s, what)) < 0)
		goto done;
	if (sqlite3_changes(db->h) == 0)
		err = bg_error_set(BG_ENOTFOUND, "%s: %s: no run with id %lld", db->path, what,
				   (long long)run_id);
done:
	return db_end(db, err, what);
}

/* Fills r from a row of RUN_COLS. */
static int read_run(sqlite3_stmt *s, struct bg_run_rec *r)
{
	int err;
	memset(r, 0, sizeof(*r));
	r->id = sqlite3_column_int64(s, 0);
	r->worktree = sqlite3_column_int(s, 4);
	r->machine_id = sqlite3_column_int64(s, 6);
	r->build_id = sqlite3_column_int64(s, 7); /* NULL reads as 0 */
	r->started = sqlite3_column_int64(s, 12);
	r->finished = sqlite3_column_int64(s, 13);
	r->complete = sqlite3_column_int(s, 14);
	r->n_samples = sqlite3_column_int64(s, 16);
	if ((err = db_col_str(s, 1, &r->uuid)) < 0 || (err = db_col_str(s, 2, &r->kind)) < 0 ||
	    (err = db_col_str(s, 3, &r->commit_sha)) < 0 || (err = db_col_str(s, 5, &r->tree)) < 0 ||
	    (err = db_col_str(s, 8, &r->config_hash)) < 0 ||
	    (err = db_col_str(s, 9, &r->env_json)) < 0 ||
	    (err = db_col_str(s, 10, &r->harness_version)) < 0 ||
	    (err = db_col_str(s, 11, &r->label)) < 0 || (err = db_col_str(s, 15, &r->status)) < 0)
		bg_db_run_clear(r);
	return err;
}

int bg_db_run_get(struct bg_db *db, int64_t id, struct bg_run_rec *out)
{
	sqlite3_stmt *s;
	int err;
	memset(out, 0, sizeof(*out));
	if ((err = db_stmt(db, ST_RUN_GET, &s)) < 0)
		return err;
	sqlite3_bind_int64(s, 1, id);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		err = read_run(s, out);
	else if (rc == SQLITE_DONE)
		err = bg_error_set(BG_ENOTFOUND, "%s: no run with id %lld", db->path, (long long)id);
	else
		err = db_fail(db, "reading a run");
	db_idle(db);
	return err;
}

int bg_db_run_list(struct bg_db *db, const struct bg_run_filter *f, struct bg_run_rec **out,
		   size_t *n)
{
	static const struct bg_run_filter all;
	struct bg_run_rec *v = NULL;
	size_t len = 0, cap = 0;
	char lo[80], hi[80];
	sqlite3_stmt *s;
	int err, rc;
	*out = NULL;
	*n = 0;
	if (!f)
		f = &all;
	if ((err = db_stmt(db, ST_RUN_LIST, &s)) < 0)
		return err;
	if (f->commit_prefix) {
		/* not a SHA prefix: no commit can match, so no run does */
		if (sha_range(f->commit_prefix, lo, hi, sizeof(lo)) < 0)
			return 0;
		db_bind_text(s, 1, lo);
		db_bind_text(s, 2, hi);
	}
	db_bind_text(s, 3, f->kind);
	sqlite3_bind_int(s, 4, f->only_complete ? 1 : 0);
	sqlite3_bind_int64(s, 5, f->since);
	sqlite3_bind_int64(s, 6, f->limit ? (int64_t)f->limit : -1);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (len == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			struct bg_run_rec *nv = realloc(v, ncap * sizeof(*nv));
			if (!nv) {
				err = bg_error_oom();
				goto done;
			}
			v = nv;
			cap = ncap;
		}
		if ((err = read_run(s, &v[len])) < 0)
			goto done;
		len++;
	}
	if (rc != SQLITE_DONE)
		err = db_fail(db, "listing runs");
done:
	db_idle(db);
	if (err < 0) {
		bg_db_run_list_free(v, len);
		return err;
	}
	*out = v;
	*n = len;
	return 0;
}

void bg_db_run_clear(struct bg_run_rec *r)
{
	if (!r)
		return;
	free(r->uuid);
	free(r->kind);
	free(r->commit_sha);
	free(r->tree);
	free(r->config_hash);
	free(r->env_json);
	free(r->harness_version);
	free(r->label);
	free(r->status);
	memset(r, 0, sizeof(*r));
}

void bg_db_run_list_free(struct bg_run_rec *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		bg_db_run_clear(&v[i]);
	free(v);
}

/* --- results --------------------------------------------------------------------------- */

/* Appends kernel to the comma-separated list *list unless it is already in it. */
static int add_kernel(char **list, const char *kernel)
{
	if (!kernel)
		return 0;
	size_t kn = strlen(kernel);
	if (*list) {
		for (const char *p = *list; *p;) {
			size_t len = strcspn(p, ",");
			if (len == kn && !memcmp(p, kernel, kn))
				return 0;
			p += len + (p[len] == ',');
		}
	}
	struct bg_buf b = BG_BUF_INIT;
	if ((*list && (bg_buf_puts(&b, *list) < 0 || bg_buf_putc(&b, ',') < 0)) ||
	    bg_buf_puts(&b, kernel) < 0) {
		bg_buf_free(&b);
		return BG_ENOMEM;
	}
	free(*list);
	*list = bg_buf_detach(&b);
	return 0;
}

/* Appends one round's samples to r. */
static int add_samples(struct bg_db *db, struct bg_result_rec *r, int64_t result_id, int round)
{
	sqlite3_stmt *s;
	int err, rc;
	size_t cap = r->n;
	if ((err = db_stmt(db, ST_SAMPLES_OF_RESULT, &s)) < 0)
		return err;
	sqlite3_bind_int64(s, 1, result_id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (r->n == cap) {
			cap = cap ? cap * 2 : 64;
			double *ns = realloc(r->samples, cap * sizeof(*ns));
			if (ns)
				r->samples = ns;
			int *nr = realloc(r->rounds, cap * sizeof(*nr));
			if (nr)
				r->rounds = nr;
			if (!ns || !nr)
				return bg_error_oom();
		}
		r->samples[r->n] = sqlite3_column_double(s, 0);
		r->rounds[r->n] = round;
		r->n++;
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : db_fail(db, "reading samples");
}

static void result_clear(struct bg_result_rec *r)
{
	free(r->benchmark);
	free(r->params);
	free(r->metric);
	free(r->mode);
	free(r->kernel);
	free(r->skipped);
	free(r->samples);
	free(r->rounds);
	memset(r, 0, sizeof(*r));
}

static int read_results(struct bg_db *db, int64_t run_id, struct bg_result_rec **out,
			size_t *n)
{
	struct bg_result_rec *v = NULL;
	size_t len = 0, cap = 0;
	int64_t series = -1;
	int ran = 0; /* the current series has a round that was not skipped */
	sqlite3_stmt *s;
	int err, rc;
	if ((err = db_stmt(db, ST_RESULTS_OF_RUN, &s)) < 0)
		return err;
	sqlite3_bind_int64(s, 1, run_id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t result_id = sqlite3_column_int64(s, 0);
		int round = sqlite3_column_int(s, 6);
		const char *skipped = (const char *)sqlite3_column_text(s, 9);
		struct bg_result_rec *r;
		if (sqlite3_column_int64(s, 1) != series) {
			if (len == cap) {
				size_t ncap = cap ? cap * 2 : 16;
				struct bg_result_rec *nv = realloc(v, ncap * sizeof(*nv));
				if (!nv) {
					err = bg_error_oom();
					goto done;
				}
				v = nv;
				cap = ncap;
			}
			r = &v[len++];
			memset(r, 0, sizeof(*r));
			series = sqlite3_column_int64(s, 1);
			ran = 0;
			r->checked = -1;
			if ((err = db_col_str(s, 2, &r->benchmark)) < 0 ||
			    (err = db_col_str(s, 3, &r->params)) < 0 ||
			    (err = db_col_str(s, 4, &r->metric)) < 0 ||
			    (err = db_col_str(s, 5, &r->mode)) < 0)
				goto done;
		}
		r = &v[len - 1];
		if ((err = add_kernel(&r->kernel, (const char *)sqlite3_column_text(s, 7))) < 0)
			goto done;
		/* any round not verified makes the series not verified */
		if (sqlite3_column_type(s, 8) != SQLITE_NULL) {
			int checked = sqlite3_column_int(s, 8);
			if (checked == 0 || r->checked == -1)
				r->checked = checked;
		}
		if (!skipped) {
			ran = 1;
			free(r->skipped);
			r->skipped = NULL;
		} else if (!ran) {
			free(r->skipped);
			if (!(r->skipped = bg_strdup(skipped))) {
				err = BG_ENOMEM;
				goto done;
			}
		}
		if (sqlite3_column_int64(s, 10))
			r->iterations = sqlite3_column_int64(s, 10);
		if (sqlite3_column_double(s, 11) != 0)
			r->elements = sqlite3_column_double(s, 11);
		if (sqlite3_column_double(s, 12) != 0)
			r->bytes = sqlite3_column_double(s, 12);
		if ((err = add_samples(db, r, result_id, round)) < 0)
			goto done;
	}
	if (rc != SQLITE_DONE)
		err = db_fail(db, "reading results");
done:
	if (err < 0) {
		bg_db_results_free(v, len);
		return err;
	}
	*out = v;
	*n = len;
	return 0;
}

int bg_db_run_results(struct bg_db *db, int64_t run_id, struct bg_result_rec **out, size_t *n)
{
	int err;
	*out = NULL;
	*n = 0;
	if ((err = db_begin_read(db, "reading results")) < 0)
		return err;
	if ((err = need_run(db, run_id, "reading results")) == 0)
		err = read_results(db, run_id, out, n);
	return db_end(db, err, "reading results");
}

void bg_db_results_free(struct bg_result_rec *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		result_clear(&v[i]);
	free(v);
}

/* --- tests and errors ------------------------------------------------------------------ */

static int read_cases(struct bg_db *db, int64_t suite_id, struct bg_test_suite *t)
{
	size_t cap = 0;
	sqlite3_stmt *s;
	int err, rc;
	if ((err = db_stmt(db, ST_CASES_OF_SUITE, &s)) < 0)
		return err;
	sqlite3_bind_int64(s, 1, suite_id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (t->n == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			struct bg_test_case *nv = realloc(t->cases, ncap * sizeof(*nv));
			if (!nv)
				return bg_error_oom();
			t->cases = nv;
			cap = ncap;
		}
		struct bg_test_case *c = &t->cases[t->n];
		memset(c, 0, sizeof(*c));
		t->n++;
		int outcome = bg_outcome_parse((const char *)sqlite3_column_text(s, 2));
		c->outcome = outcome < 0 ? BG_TEST_ERRORED : (enum bg_outcome)outcome;
		c->time_s = sqlite3_column_double(s, 3);
		if ((err = db_col_str(s, 0, &c->name)) < 0 ||
		    (err = db_col_str(s, 1, &c->classname)) < 0 ||
		    (err = db_col_str(s, 4, &c->message)) < 0)
			return err;
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : db_fail(db, "reading test cases");
}

static int read_suites(struct bg_db *db, int64_t run_id, struct bg_test_suite ***out, size_t *n)
{
	struct bg_test_suite **v = NULL;
	size_t len = 0, cap = 0;
	sqlite3_stmt *s;
	int err, rc;
	if ((err = db_stmt(db, ST_SUITES_OF_RUN, &s)) < 0)
		return err;
	sqlite3_bind_int64(s, 1, run_id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (len == cap) {
			size_t ncap = cap ? cap * 2 : 8;
			struct bg_test_suite **nv = realloc(v, ncap * sizeof(*nv));
			if (!nv) {
				err = bg_error_oom();
				goto done;
			}
			v = nv;
			cap = ncap;
		}
		struct bg_test_suite *t = calloc(1, sizeof(*t));
		if (!t) {
			err = bg_error_oom();
			goto done;
		}
		v[len++] = t;
		t->passed = sqlite3_column_int(s, 2);
		t->failed = sqlite3_column_int(s, 3);
		t->skipped = sqlite3_column_int(s, 4);
		t->errored = sqlite3_column_int(s, 5);
		if ((err = db_col_str(s, 1, &t->suite)) < 0 ||
		    (err = read_cases(db, sqlite3_column_int64(s, 0), t)) < 0)
			goto done;
	}
	if (rc != SQLITE_DONE)
		err = db_fail(db, "reading test suites");
done:
	if (err < 0) {
		bg_db_tests_free(v, len);
		return err;
	}
	*out = v;
	*n = len;
	return 0;
}

int bg_db_run_tests(struct bg_db *db, int64_t run_id, struct bg_test_suite ***out, size_t *n)
{
	int err;
	*out = NULL;
	*n = 0;
	if ((err = db_begin_read(db, "reading test results")) < 0)
		return err;
	if ((err = need_run(db, run_id, "reading test results")) == 0)
		err = read_suites(db, run_id, out, n);
	return db_end(db, err, "reading test results");
}

void bg_db_tests_free(struct bg_test_suite **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		bg_test_suite_free(v[i]);
	free(v);
}

static int read_errors(struct bg_db *db, int64_t run_id, struct bg_error_rec **out, size_t *n)
{
	struct bg_error_rec *v = NULL;
	size_t len = 0, cap = 0;
	sqlite3_stmt *s;
	int err, rc;
	if ((err = db_stmt(db, ST_ERRORS_OF_RUN, &s)) < 0)
		return err;
	sqlite3_bind_int64(s, 1, run_id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (len == cap) {
			size_t ncap = cap ? cap * 2 : 8;
			struct bg_error_rec *nv = realloc(v, ncap * sizeof(*nv));
			if (!nv) {
				err = bg_error_oom();
				goto done;
			}
			v = nv;
			cap = ncap;
		}
		struct bg_error_rec *e = &v[len++];
		memset(e, 0, sizeof(*e));
		e->time = sqlite3_column_int64(s, 3);
		if ((err = db_col_str(s, 0, &e->stage)) < 0 ||
		    (err = db_col_str(s, 1, &e->message)) < 0 ||
		    (err = db_col_str(s, 2, &e->detail)) < 0)
			goto done;
	}
	if (rc != SQLITE_DONE)
		err = db_fail(db, "reading errors");
done:
	if (err < 0) {
		bg_db_errors_free(v, len);
		return err;
	}
	*out = v;
	*n = len;
	return 0;
}

int bg_db_run_errors(struct bg_db *db, int64_t run_id, struct bg_error_rec **out, size_t *n)
{
	int err;
	*out = NULL;
	*n = 0;
	if ((err = db_begin_read(db, "reading errors")) < 0)
		return err;
	if ((err = need_run(db, run_id, "reading errors")) == 0)
		err = read_errors(db, run_id, out, n);
	return db_end(db, err, "reading errors");
}

void bg_db_errors_free(struct bg_error_rec *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].stage);
		free(v[i].message);
		free(v[i].detail);
	}
	free(v);
}
