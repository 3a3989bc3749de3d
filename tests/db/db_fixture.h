/* What the db/ test programs share: a check that a call returned 0, naming the call, its
 * code and the error message when it did not; a check that two strings are equal (neither
 * NULL); the case's database on either engine; raw statements and counts through the
 * engine seam, beside db/'s records. */
#ifndef DB_FIXTURE_H
#define DB_FIXTURE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bg_error.h"
#include "db_sql.h"
#include "pg_fixture.h"
#include "tf.h"

#define CHECK_OK(expr)                                                                             \
	do {                                                                                       \
		int rc_ = (expr);                                                                  \
		TF_CHECK(rc_ == 0, "%s: %d %s", #expr, rc_, bg_error_last());                      \
	} while (0)

#define CHECK_STR(a, b)                                                                            \
	do {                                                                                       \
		const char *a_ = (a), *b_ = (b);                                                   \
		TF_CHECK(a_ &&b_ && !strcmp(a_, b_), "%s == %s: \"%s\" != \"%s\"", #a, #b,         \
			 a_ ? a_ : "(null)", b_ ? b_ : "(null)");                                  \
	} while (0)

/* 1 when this case runs on PostgreSQL: ctest's <case>_pg twin of a program registered
 * with BOTH_BACKENDS sets BITGATE_TEST_DB=pg (tests/CMakeLists.txt). */
static inline int db_test_pg(void)
{
	const char *v = getenv("BITGATE_TEST_DB");
	return v && !strcmp(v, "pg");
}

/* The database a case works on, as bg_db_open takes it: the file dir/file (open makes its
 * directory), or on PostgreSQL a new empty database named after file and the case
 * (pg_fixture_new_db). */
static inline void db_test_target(char *out, size_t size, const char *dir, const char *file)
{
	char tag[128];
	if (!db_test_pg()) {
		snprintf(out, size, "%s/%s", dir, file);
		return;
	}
	snprintf(tag, sizeof(tag), "%s_%s", file, tf_case_name());
	snprintf(out, size, "%s", pg_fixture_new_db(tag));
}

/* What a message about the database target names must name: its path, or the server's
 * database (never the conninfo, which may hold a password). */
static inline const char *db_test_shown(const char *target)
{
	return db_test_pg() ? "/" PG_FIXTURE_DB : target;
}

/* Runs sql on the database target names, through the engine seam alone (beside db/'s
 * records); fails the test when it cannot. */
static inline void db_raw_exec(const char *target, const char *sql)
{
	struct db_sql *c;
	TF_CHECK(db_sql_open(&c, target) == 0, "open: %s", bg_error_last());
	TF_CHECK(db_sql_exec(c, sql, "raw") == 0, "%s: %s", sql, bg_error_last());
	db_sql_close(c);
}

/* The one integer sql (a SELECT count(*) ...) returns on the database target names, read
 * through the engine seam alone; fails the test when it cannot be read. */
static inline int64_t db_raw_count(const char *target, const char *sql)
{
	struct db_sql *c;
	struct db_sql_stmt *s;
	TF_CHECK(db_sql_open(&c, target) == 0, "open: %s", bg_error_last());
	TF_CHECK(db_sql_prepare(c, sql, 0, &s, "raw") == 0, "%s: %s", sql, bg_error_last());
	TF_CHECK(db_sql_step(s, "raw") == 1, "%s: no row: %s", sql, bg_error_last());
	int64_t v = db_sql_col_int64(s, 0);
	db_sql_finalize(s);
	db_sql_close(c);
	return v;
}

/* The schema version stored in the database target names, read and written through the
 * engine seam (SQLite: PRAGMA user_version; PostgreSQL: its version table). */
static inline int db_raw_version(const char *target)
{
	struct db_sql *c;
	int v = -1;
	TF_CHECK(db_sql_open(&c, target) == 0, "open: %s", bg_error_last());
	TF_CHECK(db_sql_schema_version(c, &v) == 0, "version: %s", bg_error_last());
	db_sql_close(c);
	return v;
}

static inline void db_raw_set_version(const char *target, int v)
{
	struct db_sql *c;
	TF_CHECK(db_sql_open(&c, target) == 0, "open: %s", bg_error_last());
	TF_CHECK(db_sql_set_schema_version(c, v) == 0, "version: %s", bg_error_last());
	db_sql_close(c);
}

#endif
