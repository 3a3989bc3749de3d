/* Inside the engine seam: what db_sql.c dispatches to. Each engine (db_sql_sqlite.c,
 * db_sql_pg.c) fills one table of operations and embeds struct db_sql and struct
 * db_sql_stmt as the first member of its own connection and statement, so a pointer to
 * either is a pointer to the engine's. Private to db_sql*.c. */
#ifndef BG_DB_SQL_INT_H
#define BG_DB_SQL_INT_H

#include <stdint.h>

#include "db_sql.h"

/* One engine's side of each db_sql_* call, with db_sql.h's contract; the calls db_sql.c
 * answers itself (path, failed_unique, changes, col_int) have no row. Every field is set. */
struct db_sql_ops {
	const char *engine; /* "SQLite", "PostgreSQL": for messages */
	void (*close)(struct db_sql *c);
	const char *(*errmsg)(struct db_sql *c);
	int (*exec)(struct db_sql *c, const char *script, const char *what);
	int (*exec_ddl)(struct db_sql *c, const char *script, const char *what);
	int (*begin_write)(struct db_sql *c, const char *what);
	void (*rollback)(struct db_sql *c);
	int (*in_transaction)(struct db_sql *c);
	int (*schema_version)(struct db_sql *c, int *out);
	int (*set_schema_version)(struct db_sql *c, int version);
	int (*prepare)(struct db_sql *c, const char *sql, unsigned flags, struct db_sql_stmt **out,
		       const char *what);
	int (*param_count)(struct db_sql_stmt *s);
	void (*bind_int64)(struct db_sql_stmt *s, int i, int64_t v);
	void (*bind_double)(struct db_sql_stmt *s, int i, double v);
	void (*bind_text)(struct db_sql_stmt *s, int i, const char *v);
	int (*step)(struct db_sql_stmt *s, const char *what);
	int (*step_insert)(struct db_sql_stmt *s, const char *what, int64_t *id);
	int64_t (*col_int64)(struct db_sql_stmt *s, int i);
	double (*col_double)(struct db_sql_stmt *s, int i);
	const char *(*col_text)(struct db_sql_stmt *s, int i);
	int (*col_is_null)(struct db_sql_stmt *s, int i);
	void (*reset)(struct db_sql_stmt *s);
	void (*unbind)(struct db_sql_stmt *s);
	int (*busy)(struct db_sql_stmt *s);
	void (*finalize)(struct db_sql_stmt *s);
	/* bulk inserts: begin makes b (db_sql.c fills its common part), a value goes to column
	 * i (from 0) of the current row, row ends a complete row, flush sends what is left,
	 * free frees b, nothing sent */
	int (*bulk_begin)(struct db_sql *c, const char *table, const char *columns, int ncols,
			  struct db_sql_bulk **out);
	void (*bulk_int64)(struct db_sql_bulk *b, int i, int64_t v);
	void (*bulk_double)(struct db_sql_bulk *b, int i, double v);
	void (*bulk_text)(struct db_sql_bulk *b, int i, const char *v);
	int (*bulk_row)(struct db_sql_bulk *b);
	int (*bulk_flush)(struct db_sql_bulk *b); /* first's rows, then b's */
	int (*bulk_ids)(struct db_sql_bulk *b, size_t n, int64_t *ids);
	void (*bulk_free)(struct db_sql_bulk *b);
};

/* The part of a connection every engine has. */
struct db_sql {
	const struct db_sql_ops *ops;
	char *path; /* the name for messages: a file's path, or PostgreSQL's host and database
		     * (never its password) */
};

/* The part of a statement every engine has; the engine's step keeps the two results. */
struct db_sql_stmt {
	struct db_sql *c; /* borrowed: the connection it was prepared on */
	int64_t changes;  /* rows the last finished run inserted, updated or deleted */
	int unique;       /* the last step failed on a UNIQUE or PRIMARY KEY constraint */
};

/* The part of a bulk insert every engine has; db_sql.c counts the values of each row. */
struct db_sql_bulk {
	struct db_sql *c; /* borrowed: the connection the rows go to */
	const char *what; /* borrowed: the rows' name in messages */
	int ncols;        /* values per row */
	int nvals;        /* values the current row has had so far */
	struct db_sql_bulk *first; /* borrowed: its rows are sent before these; NULL: none */
};

extern const struct db_sql_ops db_sql_sqlite_ops;
extern const struct db_sql_ops db_sql_pg_ops;

/* The engines' openers, behind db_sql_open and db_sql_open_pg. */
int db_sql_sqlite_open(struct db_sql **out, const char *path);
int db_sql_pg_open(struct db_sql **out, const char *conninfo);

#endif
