/* What the db/ test programs share: a check that a call returned 0, naming the call, its
 * code and the error message when it did not; a check that two strings are equal (neither
 * NULL); and a count read with SQLite itself, beside db/, from a database file. */
#ifndef DB_FIXTURE_H
#define DB_FIXTURE_H

#include <sqlite3.h>
#include <stdint.h>
#include <string.h>

#include "bg_error.h"
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

/* The one integer sql (a SELECT count(*) ...) returns on the database at path; fails the
 * test when it cannot be read. */
static inline int64_t db_raw_count(const char *path, const char *sql)
{
	sqlite3 *h;
	sqlite3_stmt *s;
	TF_CHECK(sqlite3_open(path, &h) == SQLITE_OK, "open %s", path);
	TF_CHECK(sqlite3_prepare_v2(h, sql, -1, &s, NULL) == SQLITE_OK, "%s: %s", sql,
		 sqlite3_errmsg(h));
	TF_CHECK(sqlite3_step(s) == SQLITE_ROW, "%s", sql);
	int64_t v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(h);
	return v;
}

#endif
