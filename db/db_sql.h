/* The seam between db/ and its SQL engine: a connection, prepared statements with ?N
 * parameters, rows read column by column. db_sql_sqlite.c is the SQLite side; a PostgreSQL
 * side (libpq) is meant to sit behind the same calls, so nothing here assumes SQLite: a new
 * row's id comes back by INSERT ... RETURNING id (or db_sql_step_insert, for the hot
 * inserts), columns are read through typed calls (libpq returns text), parameters are ?N
 * (the PostgreSQL side, db_sql_pg.c, translates them to $N). Each connection carries its
 * engine's table of operations (db_sql_int.h); db_sql.c dispatches. Private to db/ and its
 * tests. */
#ifndef BG_DB_SQL_H
#define BG_DB_SQL_H

#include <stddef.h>
#include <stdint.h>

/* A connection: the engine's handle and the database's name for messages. */
struct db_sql;

/* A prepared statement of one connection; it keeps a pointer to its connection. */
struct db_sql_stmt;

/* --- connection (the engine's side: opening, pragmas, locking) ------------------------- */

/* 1 when target names a PostgreSQL database rather than a SQLite file: a URI
 * (postgresql://... or postgres://...) or a libpq conninfo, which starts with one of its
 * keywords and '=' (host=, hostaddr=, port=, dbname=, user=, service=); 0 for a path. */
int db_sql_is_server(const char *target);

/* Opens the database target names (db_sql_is_server): a SQLite file, created when missing,
 * in WAL mode with foreign keys on and a busy timeout; or a PostgreSQL database
 * (db_sql_open_pg). BG_EDB "NAME: what failed: engine message". */
int db_sql_open(struct db_sql **out, const char *target);

/* Connects to the PostgreSQL database conninfo names (a libpq URI postgresql://... or
 * "host=... dbname=..."), ready for use: its schema-version table made when missing. The
 * connection's name (db_sql_path) is its host, port and database, never its password.
 * BG_EDB "postgresql://HOST:PORT/DB: what failed: server message". */
int db_sql_open_pg(struct db_sql **out, const char *conninfo);

/* The connection's engine: "SQLite" or "PostgreSQL", for the few places where db/'s SQL must
 * differ (the check's engine-own part, row locks of the work queue). */
const char *db_sql_engine(const struct db_sql *c);

/* Closes c; NULL is fine. Finalize its statements first (bg_db_close does). */
void db_sql_close(struct db_sql *c);

/* The name the connection was opened with (a path; PostgreSQL: its host, port and
 * database), for messages. Borrowed. */
const char *db_sql_path(const struct db_sql *c);

/* The engine's last error message on c. Borrowed, valid until the next call on c. */
const char *db_sql_errmsg(struct db_sql *c);

/* Runs script (one or more statements, no parameters, no rows wanted); 0 or BG_EDB
 * "PATH: what: engine message". */
int db_sql_exec(struct db_sql *c, const char *script, const char *what);

/* Runs DDL written in SQLite's dialect (the migrations): as is on SQLite; on PostgreSQL
 * with its words for SQLite's types (INTEGER PRIMARY KEY: a BIGINT identity; INTEGER:
 * BIGINT; REAL: DOUBLE PRECISION; TEXT: TEXT COLLATE "C", which sorts by bytes as SQLite
 * does) and the table options STRICT and WITHOUT ROWID dropped. Upper-case words only,
 * outside quotes and comments. As db_sql_exec otherwise. */
int db_sql_exec_ddl(struct db_sql *c, const char *script, const char *what);

/* Starts a write transaction, waiting for another writer (SQLite: BEGIN IMMEDIATE, retried
 * while busy; PostgreSQL: READ COMMITTED behind one advisory lock every writer takes, so
 * writers run one at a time as on SQLite and none fails with a serialization error). On
 * PostgreSQL a statement that fails inside the transaction aborts it: only a rollback
 * follows. BG_EDB "PATH: what: cannot start a transaction: message". */
int db_sql_begin_write(struct db_sql *c, const char *what);

/* Rolls back the open transaction, if any; a failure is not reported (the caller is
 * already reporting the error that made it roll back). */
void db_sql_rollback(struct db_sql *c);

/* 1 while a transaction is open on c (the engine may have ended one after an error). */
int db_sql_in_transaction(struct db_sql *c);

/* The schema version stored in the database (SQLite: PRAGMA user_version; PostgreSQL: the
 * one-row table bitgate_schema_version, no row 0), and setting it inside the migration's
 * transaction. */
int db_sql_schema_version(struct db_sql *c, int *out);
int db_sql_set_schema_version(struct db_sql *c, int version);

/* --- statements ------------------------------------------------------------------------ */

/* How a statement is prepared (db_sql_prepare's flags, or'ed). */
enum db_sql_flag {
	/* kept for the connection's life (the statement table), not a one-off query */
	DB_SQL_PERSISTENT = 1,
	/* a one-row INSERT into a table with an integer id, its new id read by
	 * db_sql_step_insert (the PostgreSQL side appends RETURNING id) */
	DB_SQL_INSERT_ID = 2,
};

/* Prepares sql (parameters ?1, ?2, ...) with flags from enum db_sql_flag. BG_EDB "PATH:
 * what: engine message". */
int db_sql_prepare(struct db_sql *c, const char *sql, unsigned flags, struct db_sql_stmt **out,
		   const char *what);

/* The number of parameters sql declared (the highest ?N). */
int db_sql_param_count(struct db_sql_stmt *s);

/* Binds parameter i (from 1). A text is not copied: it must outlive the step; NULL binds
 * SQL NULL. A parameter never bound, or bound before db_sql_unbind, is NULL. */
void db_sql_bind_int64(struct db_sql_stmt *s, int i, int64_t v);
void db_sql_bind_double(struct db_sql_stmt *s, int i, double v);
void db_sql_bind_text(struct db_sql_stmt *s, int i, const char *v);
void db_sql_bind_null(struct db_sql_stmt *s, int i);

/* Runs s or moves to its next row: 1 a row is ready, 0 done, <0 BG_EDB "PATH: what:
 * engine message". Steps after done need a db_sql_reset first. */
int db_sql_step(struct db_sql_stmt *s, const char *what);

/* Runs an INSERT prepared with DB_SQL_INSERT_ID: 0 and its new row's id in *id, or <0 as
 * db_sql_step. For the hot inserts: a RETURNING clause costs SQLite a trigger program per
 * row (about 23,000 instructions, 3% of an import), its last rowid nothing. The other
 * inserts say RETURNING id and read it as a row. */
int db_sql_step_insert(struct db_sql_stmt *s, const char *what, int64_t *id);

/* 1 when the last step failed on a UNIQUE (or primary key) constraint. */
int db_sql_failed_unique(struct db_sql_stmt *s);

/* Rows the statement's last run inserted, updated or deleted (valid once its step said
 * done, or after its RETURNING row). */
int64_t db_sql_changes(struct db_sql_stmt *s);

/* Columns of the current row, from 0. NULL reads as 0, 0.0 and a NULL text. A text is
 * borrowed until the next step, reset or finalize. */
int64_t db_sql_col_int64(struct db_sql_stmt *s, int i);
int db_sql_col_int(struct db_sql_stmt *s, int i);
double db_sql_col_double(struct db_sql_stmt *s, int i);
const char *db_sql_col_text(struct db_sql_stmt *s, int i);
int db_sql_col_is_null(struct db_sql_stmt *s, int i);

/* Ends the current run of s (its rows, its read snapshot) so it can run again; the
 * bindings stay. Cheap when s is not running. */
void db_sql_reset(struct db_sql_stmt *s);

/* Every parameter back to NULL. */
void db_sql_unbind(struct db_sql_stmt *s);

/* 1 while s is between its first step and its end or reset. */
int db_sql_busy(struct db_sql_stmt *s);

/* Frees s; NULL is fine. */
void db_sql_finalize(struct db_sql_stmt *s);

/* --- bulk inserts ---------------------------------------------------------------------- */

/* Many rows into one table inside a write transaction, the engine's fastest way: SQLite
 * steps one prepared INSERT of DB_SQL_BULK_CHUNK rows at a time (the last few row by row);
 * PostgreSQL writes the rows in COPY's text format into a buffer and sends it by COPY ...
 * FROM STDIN (one statement, no round trip per row) whenever it grows past a few MiB, and
 * at db_sql_bulk_end. So a row may reach its table only at db_sql_bulk_end: until then no
 * statement may read it or need it (a foreign key of another table's row). Other statements
 * may run between rows. A failure of any row (a constraint, a dropped connection) comes
 * back from db_sql_bulk_row or db_sql_bulk_end; the caller rolls back, as after a failed
 * step. */
struct db_sql_bulk;

/* Rows per SQLite step: a third of the cost of as many one-row steps. */
#define DB_SQL_BULK_CHUNK 32

/* Starts rows into table's columns (names separated by commas, as in an INSERT; at most
 * 64); what names the rows in messages and must outlive b. BG_EDB "PATH: what: engine
 * message". */
int db_sql_bulk_begin(struct db_sql *c, const char *table, const char *columns, const char *what,
		      struct db_sql_bulk **out);

/* The current row's next column, in the order of columns: an integer, a double (exact; NaN
 * and infinities as the engine spells them), a text (copied; NULL is SQL NULL). */
void db_sql_bulk_int64(struct db_sql_bulk *b, int64_t v);
void db_sql_bulk_double(struct db_sql_bulk *b, double v);
void db_sql_bulk_text(struct db_sql_bulk *b, const char *v);

/* Ends the current row, which must have had every column; it may send rows. 0, or BG_EDB
 * "PATH: what: engine message" (or "...: a row of N values, not M"). */
int db_sql_bulk_row(struct db_sql_bulk *b);

/* Sends the rows not sent yet and frees b (NULL is fine): 0, or BG_EDB as db_sql_bulk_row.
 * With err < 0 (the caller failed, and rolls back) sends nothing and returns err. */
int db_sql_bulk_end(struct db_sql_bulk *b, int err);

/* n ids for new rows of b's table, given in its INTEGER PRIMARY KEY column id, so that the
 * rows of another bulk insert may name them before they are sent (results' ids in their
 * samples): PostgreSQL draws them from the column's identity sequence (one round trip for
 * all n; unique, in no promised order); SQLite counts on from the table's largest id when b
 * was first asked (so nothing but b may insert into the table while b is open). BG_EDB. */
int db_sql_bulk_ids(struct db_sql_bulk *b, size_t n, int64_t *ids);

/* b's rows are sent only after all of first's given so far (their foreign keys name first's
 * rows); end b before first. */
void db_sql_bulk_after(struct db_sql_bulk *b, struct db_sql_bulk *first);

#endif
