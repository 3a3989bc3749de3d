/* Internals shared by db.c (schema, transactions, statements), db_records.c (machines,
 * commits, builds), db_runs.c (runs and their results), db_nightly.c (series along the
 * branch, regressions), db_decisions.c (decisions, a series' history), db_site.c (what the
 * dashboard reads along the commits) and db_io.c (export and import): the connection with
 * its cached statements, column and sample helpers, and the row-level inserts, all over
 * the engine seam db_sql.h. Nothing outside db/ includes this. */
#ifndef BG_DB_INT_H
#define BG_DB_INT_H

#include <stdint.h>

#include "bg_db.h"
#include "db_sql.h"

/* Every statement bitgate runs more than once, prepared once per connection. */
enum db_stmt_id {
	ST_MACHINE_FIND,
	ST_MACHINE_INSERT,
	ST_MACHINE_GET,
	ST_COMMIT_FIND,
	ST_COMMIT_UPSERT,
	ST_COMMIT_STUB,
	ST_COMMIT_PREFIX,
	ST_BUILD_UPSERT,
	ST_BUILD_FIND,
	ST_BUILD_TOUCH,
	ST_BUILD_LIST,
	ST_BUILD_FORGET_DIR,
	ST_BUILD_EXISTS,
	ST_RUN_INSERT,
	ST_RUN_EXISTS,
	ST_RUN_BY_UUID,
	ST_RUN_FINISH,
	ST_RUN_SET_BUILD,
	ST_RUN_GET,
	ST_RUN_LIST,
	ST_SERIES_FIND,
	ST_SERIES_INSERT,
	ST_BENCH_OUTPUT_INSERT,
	ST_RESULT_INSERT,
	ST_SUITE_INSERT,
	ST_ERROR_INSERT,
	ST_RESULTS_OF_RUN,
	ST_SAMPLES_OF_RESULT,
	ST_SUITES_OF_RUN,
	ST_CASES_OF_SUITE,
	ST_ERRORS_OF_RUN,
	ST_BENCH_OUTPUTS_OF_RUN,
	ST_EXPORT_RUNS,
	ST_COUNT
};

struct bg_db {
	struct db_sql *sql;
	const char *path;                 /* as opened, for messages (db_sql's) */
	struct db_sql_stmt *st[ST_COUNT]; /* prepared on first use, NULL until then */
};

/* The cached statement id, reset and with its bindings cleared. BG_EDB when it cannot be
 * prepared. */
int db_stmt(struct bg_db *db, enum db_stmt_id id, struct db_sql_stmt **out);

/* bg_db_open, migrating only up to version (at most the current one): for the tests of a
 * migration, which need a database as an older bitgate left it. */
int db_open_at_version(struct bg_db **out, const char *path, int version);

/* Resets every cached statement still stepping, so none keeps a read snapshot open. */
void db_idle(struct bg_db *db);

/* BG_EDB "PATH: what: the engine's last message". */
int db_fail(struct bg_db *db, const char *what);

/* BEGIN IMMEDIATE, retried while another writer holds the lock past the busy timeout. */
int db_begin(struct bg_db *db, const char *what);

/* Ends the transaction db_begin started: COMMIT when err is 0, ROLLBACK otherwise (or when
 * COMMIT fails). Returns err, or the COMMIT failure. */
int db_end(struct bg_db *db, int err, const char *what);

/* A read snapshot (BEGIN DEFERRED) for queries made of several statements; db_end ends it. */
int db_begin_read(struct bg_db *db, const char *what);

/* Steps a statement that returns no row (or whose row is not wanted) and resets it: 0 or
 * BG_EDB naming what. */
int db_step_done(struct bg_db *db, struct db_sql_stmt *s, const char *what);

/* Steps a statement that returns one id (INSERT ... RETURNING id) into *id and resets it;
 * BG_EDB naming what. */
int db_step_id(struct bg_db *db, struct db_sql_stmt *s, const char *what, int64_t *id);

/* A column as a malloc'd string (NULL for SQL NULL); BG_ENOMEM. */
int db_col_str(struct db_sql_stmt *s, int i, char **out);

/* *exists is 1 when the statement st (one ?1 parameter: an id) returns a row. */
int db_row_exists(struct bg_db *db, enum db_stmt_id st, int64_t id, int *exists);

/* Lower-cases a SHA prefix into lo and makes hi, the upper bound of the range of SHAs that
 * start with it (both size bytes); 0, or -1 when it is not a short enough hex prefix. */
int db_sha_range(const char *prefix, char *lo, char *hi, size_t size);

/* Appends one sample and its round to the parallel arrays *samples and *rounds (*n used,
 * room for *cap), growing both together; BG_ENOMEM. */
int db_push_sample(double **samples, int **rounds, size_t *n, size_t *cap, double v, int round);

/* --- row-level writes, inside a transaction the caller holds -------------------------- */

/* The machine's id, inserting it when its fingerprint is new. */
int db_machine_upsert(struct bg_db *db, const struct bg_machine_rec *m, int64_t *id);

/* Stores a commit; a row that only a run named so far (no tree) gets the details. */
int db_commit_upsert(struct bg_db *db, const struct bg_commit_rec *c, int64_t *id);

/* The id of the commit sha, inserting a row with only the SHA when it is unknown. */
int db_commit_ensure(struct bg_db *db, const char *sha, int64_t *id);

/* The id of a series, created when new. */
int db_series_id(struct bg_db *db, const char *benchmark, const char *params, const char *metric,
		 const char *mode, int64_t *id);

/* Inserts a run with every field of r as given (begin passes status "running"); commit_id
 * from db_commit_ensure. */
int db_run_insert(struct bg_db *db, const struct bg_run_rec *r, int64_t commit_id, int64_t *id);

/* One result row (a series in one round of a run); kernel, skipped may be NULL. */
struct db_result_row {
	int64_t run_id;
	int64_t series_id;
	int64_t round;
	const char *kernel;
	int checked; /* 1, 0, -1 not said */
	const char *skipped;
	int64_t iterations;
	double elements;
	double bytes;
};
int db_result_insert(struct bg_db *db, const struct db_result_row *r, const char *benchmark,
		     int64_t *id);

/* BG_EINPUT: r's benchmark appears twice in its round of its run. */
int db_result_twice(struct bg_db *db, const struct db_result_row *r, const char *benchmark);

/* A bulk insert into results, and a result into it with the id it is given
 * (db_sql_bulk_ids); the caller checks that no (series, round) comes twice in a run. */
int db_results_begin(struct bg_db *db, struct db_sql_bulk **out);
int db_result_row(struct db_sql_bulk *results, int64_t id, const struct db_result_row *r);

/* A bulk insert into samples (db_sql_bulk_begin), and a result's samples into it,
 * numbered from 0; every value must be finite. The rows are stored by db_sql_bulk_end at
 * the latest, before the transaction commits. */
int db_samples_begin(struct bg_db *db, struct db_sql_bulk **out);
int db_samples_insert(struct db_sql_bulk *samples, int64_t result_id, const double *values,
		      size_t n);

/* A bench process's context: format and context JSON (either may be NULL). */
int db_bench_output_insert(struct bg_db *db, int64_t run_id, int64_t round, const char *mode,
			   const char *params, const char *format, const char *context);

/* A bulk insert into test_cases, and a test suite with its cases (into cases, stored by
 * db_sql_bulk_end at the latest). */
int db_cases_begin(struct bg_db *db, struct db_sql_bulk **out);
int db_suite_insert(struct bg_db *db, struct db_sql_bulk *cases, int64_t run_id,
		    const struct bg_test_suite *suite);

int db_error_insert(struct bg_db *db, int64_t run_id, const char *stage, const char *message,
		    const char *detail, int64_t time);

/* 1 when kind is one of the run kinds. */
int db_kind_valid(const char *kind);

/* Inserts a decision made at created, and its modes in their order, into the open
 * transaction; *id its new id (db_decisions.c; bg_db_decision_put and import use it). */
int db_decision_insert(struct bg_db *db, const char *kind, int64_t created, int64_t base_run,
		       int64_t head_run, const struct bg_db_mode_run *modes, size_t n_modes,
		       const char *conclusion, const char *json, int64_t *id);

#endif
