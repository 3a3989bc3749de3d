/* The SQLite side of db_sql.h (db_sql_sqlite_ops), the only file of db/ that includes
 * <sqlite3.h>: opening with WAL, foreign keys, a busy timeout and synchronous
 * NORMAL; BEGIN IMMEDIATE retried while another writer holds the lock; the schema version in
 * PRAGMA user_version; statements as thin wrappers over sqlite3_stmt. */
#include "db_sql.h"
#include "db_sql_int.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bg_buf.h"
#include "bg_error.h"
#include "bg_fs.h"

/* Long enough for a build or a big import in another process to finish. */
#define BUSY_TIMEOUT_MS 30000
/* BEGIN IMMEDIATE can report SQLITE_BUSY at once (WAL recovery) or after the timeout; a
 * few more tries cover a writer that is slow but alive. */
#define BEGIN_RETRIES 8

/* A connection: db_sql's common part first (its path is the file's, as opened). */
struct sq_conn {
	struct db_sql base;
	sqlite3 *h;
};

/* A statement: db_sql_stmt's common part first (changes: sqlite3_changes when the last
 * run finished). */
struct sq_stmt {
	struct db_sql_stmt base;
	sqlite3_stmt *st;
};

/* The engine's own calls, used before their definitions below (an engine never goes back
 * through db_sql.c's dispatch). */
static int sq_exec(struct db_sql *c, const char *script, const char *what);
static void sq_close(struct db_sql *c);
static int sq_prepare(struct db_sql *c, const char *sql, unsigned flags, struct db_sql_stmt **out,
		      const char *what);
static int sq_step(struct db_sql_stmt *s, const char *what);
static void sq_finalize(struct db_sql_stmt *s);
static void sq_rollback(struct db_sql *c);
static int64_t sq_col_int64(struct db_sql_stmt *s, int i);

static sqlite3 *H(struct db_sql *c)
{
	return ((struct sq_conn *)c)->h;
}

static sqlite3_stmt *ST(struct db_sql_stmt *s)
{
	return ((struct sq_stmt *)s)->st;
}

static int fail(struct db_sql *c, const char *what)
{
	return bg_error_set(BG_EDB, "%s: %s: %s", c->path, what, sqlite3_errmsg(H(c)));
}

static const char *sq_errmsg(struct db_sql *c)
{
	return sqlite3_errmsg(H(c));
}

/* Sleeps ms milliseconds, through signals. */
static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* --- open, close ----------------------------------------------------------------------- */

/* WAL lets readers run beside the one writer; switching needs a moment alone. */
static int set_wal(struct db_sql *c)
{
	for (int attempt = 0;; attempt++) {
		sqlite3_stmt *s = NULL;
		int rc = sqlite3_prepare_v2(H(c), "PRAGMA journal_mode = WAL", -1, &s, NULL);
		if (rc == SQLITE_OK)
			rc = sqlite3_step(s);
		if (rc == SQLITE_ROW) {
			const char *mode = (const char *)sqlite3_column_text(s, 0);
			/* an in-memory database stays "memory"; that is fine */
			int ok = mode && (!strcmp(mode, "wal") || !strcmp(mode, "memory"));
			sqlite3_finalize(s);
			if (!ok)
				return bg_error_set(BG_EDB, "%s: cannot switch to WAL journal mode",
						    c->path);
			return 0;
		}
		/* the first statement reads the file: a damaged one fails here */
		int damaged = (rc & 0xff) == SQLITE_NOTADB || (rc & 0xff) == SQLITE_CORRUPT;
		int err = (rc & 0xff) == SQLITE_BUSY && attempt < BEGIN_RETRIES
				  ? 0
				  : fail(c, damaged ? "opening" : "setting WAL journal mode");
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

/* The connection's settings, once the file is open. */
static int configure(struct db_sql *c)
{
	int err;
	sqlite3_extended_result_codes(H(c), 1);
	sqlite3_busy_timeout(H(c), BUSY_TIMEOUT_MS);
	/* the first statement reads the file: a file that is not a database fails here */
	if ((err = sq_exec(c, "PRAGMA foreign_keys = ON", "enabling foreign keys")) < 0 ||
	    (err = set_wal(c)) < 0)
		return err;
	/* with WAL, NORMAL loses no committed-and-checkpointed data and never corrupts */
	return sq_exec(c, "PRAGMA synchronous = NORMAL", "setting synchronous mode");
}

int db_sql_sqlite_open(struct db_sql **out, const char *path)
{
	struct sq_conn *c = NULL;
	int err = 0;
	*out = NULL;
	if (strcmp(path, ":memory:") && make_parent_dir(path) < 0)
		return bg_error_wrap("%s: creating the database directory", path);
	if (!(c = calloc(1, sizeof(*c))) || !(c->base.path = bg_strdup(path))) {
		free(c);
		return bg_error_oom();
	}
	c->base.ops = &db_sql_sqlite_ops;
	int rc = sqlite3_open_v2(path, &c->h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (rc != SQLITE_OK) {
		err = bg_error_set(BG_EDB, "%s: cannot open the database: %s", path,
				   c->h ? sqlite3_errmsg(c->h) : sqlite3_errstr(rc));
		goto done;
	}
	if ((err = configure(&c->base)) < 0)
		goto done;
	*out = &c->base;
	c = NULL;
done:
	if (c)
		sq_close(&c->base);
	return err;
}

static void sq_close(struct db_sql *c)
{
	sqlite3_close(H(c));
	free(c->path);
	free(c);
}

/* --- scripts, transactions, the schema version ----------------------------------------- */

static int sq_exec(struct db_sql *c, const char *script, const char *what)
{
	return sqlite3_exec(H(c), script, NULL, NULL, NULL) == SQLITE_OK ? 0 : fail(c, what);
}

static int sq_begin_write(struct db_sql *c, const char *what)
{
	for (int attempt = 0;; attempt++) {
		int rc = sqlite3_exec(H(c), "BEGIN IMMEDIATE", NULL, NULL, NULL);
		if (rc == SQLITE_OK)
			return 0;
		if ((rc & 0xff) != SQLITE_BUSY || attempt >= BEGIN_RETRIES)
			return bg_error_set(BG_EDB, "%s: %s: cannot start a transaction: %s",
					    c->path, what, sqlite3_errmsg(H(c)));
		sleep_ms(20L * (attempt + 1));
	}
}

static void sq_rollback(struct db_sql *c)
{
	if (!sqlite3_get_autocommit(H(c)))
		sqlite3_exec(H(c), "ROLLBACK", NULL, NULL, NULL);
}

static int sq_in_transaction(struct db_sql *c)
{
	return !sqlite3_get_autocommit(H(c));
}

static int sq_schema_version(struct db_sql *c, int *out)
{
	struct db_sql_stmt *s = NULL;
	const char *what = "reading the schema version";
	int err = sq_prepare(c, "PRAGMA user_version", 0, &s, what);
	if (err == 0 && (err = sq_step(s, what)) == 0)
		err = bg_error_set(BG_EDB, "%s: %s: no row", c->path, what);
	if (err == 1) {
		*out = (int)sq_col_int64(s, 0);
		err = 0;
	}
	sq_finalize(s);
	return err;
}

static int sq_set_schema_version(struct db_sql *c, int version)
{
	char sql[64];
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", version);
	return sq_exec(c, sql, "setting the schema version");
}

/* --- statements ------------------------------------------------------------------------ */

static int sq_prepare(struct db_sql *c, const char *sql, unsigned flags, struct db_sql_stmt **out,
		      const char *what)
{
	struct sq_stmt *s = calloc(1, sizeof(*s));
	*out = NULL;
	if (!s)
		return bg_error_oom();
	s->base.c = c;
	if (sqlite3_prepare_v3(H(c), sql, -1,
			       (flags & DB_SQL_PERSISTENT) ? SQLITE_PREPARE_PERSISTENT : 0, &s->st,
			       NULL) != SQLITE_OK) {
		free(s);
		return fail(c, what);
	}
	*out = &s->base;
	return 0;
}

static int sq_param_count(struct db_sql_stmt *s)
{
	return sqlite3_bind_parameter_count(ST(s));
}

static void sq_bind_int64(struct db_sql_stmt *s, int i, int64_t v)
{
	sqlite3_bind_int64(ST(s), i, v);
}

static void sq_bind_double(struct db_sql_stmt *s, int i, double v)
{
	sqlite3_bind_double(ST(s), i, v);
}

/* NULL binds SQL NULL (db_sql_bind_null comes here too). */
static void sq_bind_text(struct db_sql_stmt *s, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(ST(s), i, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(ST(s), i);
}

static int sq_step(struct db_sql_stmt *s, const char *what)
{
	int rc = sqlite3_step(ST(s));
	s->unique = 0;
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE) {
		s->changes = sqlite3_changes(H(s->c));
		return 0;
	}
	int ext = sqlite3_extended_errcode(H(s->c));
	s->unique = ext == SQLITE_CONSTRAINT_UNIQUE || ext == SQLITE_CONSTRAINT_PRIMARYKEY;
	return fail(s->c, what);
}

static int sq_step_insert(struct db_sql_stmt *s, const char *what, int64_t *id)
{
	int rc = sq_step(s, what);
	if (rc == 0)
		*id = sqlite3_last_insert_rowid(H(s->c));
	else if (rc > 0)
		rc = bg_error_set(BG_EDB, "%s: %s: the insert gave a row", s->c->path, what);
	return rc;
}

static int64_t sq_col_int64(struct db_sql_stmt *s, int i)
{
	return sqlite3_column_int64(ST(s), i);
}

static double sq_col_double(struct db_sql_stmt *s, int i)
{
	return sqlite3_column_double(ST(s), i);
}

static const char *sq_col_text(struct db_sql_stmt *s, int i)
{
	return (const char *)sqlite3_column_text(ST(s), i);
}

static int sq_col_is_null(struct db_sql_stmt *s, int i)
{
	return sqlite3_column_type(ST(s), i) == SQLITE_NULL;
}

static void sq_reset(struct db_sql_stmt *s)
{
	sqlite3_reset(ST(s));
}

static void sq_unbind(struct db_sql_stmt *s)
{
	sqlite3_clear_bindings(ST(s));
}

static int sq_busy(struct db_sql_stmt *s)
{
	return sqlite3_stmt_busy(ST(s));
}

static void sq_finalize(struct db_sql_stmt *s)
{
	sqlite3_finalize(ST(s));
	free(s);
}

/* --- bulk inserts ---------------------------------------------------------------------- */

/* A value waiting for its row's chunk to be stepped. */
struct sq_val {
	enum { SQ_NULL, SQ_INT, SQ_DOUBLE, SQ_TEXT } type;
	union {
		int64_t i;
		double d;
		char *t; /* malloc'd */
	} v;
};

/* A bulk insert: rows gathered DB_SQL_BULK_CHUNK at a time, then bound to one multi-row
 * INSERT and stepped (as many one-row steps would cost three times more); the rows left
 * at the end go one by one. */
struct sq_bulk {
	struct db_sql_bulk base;
	char *table, *columns;
	sqlite3_stmt *many, *one; /* INSERTs of DB_SQL_BULK_CHUNK rows and of one; on first use */
	int64_t next_id;          /* the next id bulk_ids gives; 0 before the first */
	int rows;                 /* complete rows in vals */
	int oom;                  /* a text could not be copied: the row fails */
	struct sq_val *vals;      /* DB_SQL_BULK_CHUNK rows of ncols values */
};

static struct sq_bulk *SB(struct db_sql_bulk *b)
{
	return (struct sq_bulk *)b;
}

static int sq_bulk_begin(struct db_sql *c, const char *table, const char *columns, int ncols,
			 struct db_sql_bulk **out)
{
	struct sq_bulk *b = calloc(1, sizeof(*b));
	(void)c;
	if (!b || !(b->table = bg_strdup(table)) || !(b->columns = bg_strdup(columns)) ||
	    !(b->vals = calloc((size_t)ncols * DB_SQL_BULK_CHUNK, sizeof(*b->vals)))) {
		if (b) {
			free(b->table);
			free(b->columns);
		}
		free(b);
		return bg_error_oom();
	}
	*out = &b->base;
	return 0;
}

/* The slot of column i of the row being gathered, its old text freed. */
static struct sq_val *slot(struct db_sql_bulk *b, int i)
{
	struct sq_val *v = &SB(b)->vals[SB(b)->rows * b->ncols + i];
	if (v->type == SQ_TEXT)
		free(v->v.t);
	v->type = SQ_NULL;
	return v;
}

static void sq_bulk_int64(struct db_sql_bulk *b, int i, int64_t x)
{
	struct sq_val *v = slot(b, i);
	v->type = SQ_INT;
	v->v.i = x;
}

static void sq_bulk_double(struct db_sql_bulk *b, int i, double x)
{
	struct sq_val *v = slot(b, i);
	v->type = SQ_DOUBLE;
	v->v.d = x;
}

static void sq_bulk_text(struct db_sql_bulk *b, int i, const char *x)
{
	struct sq_val *v = slot(b, i);
	if (!x)
		return;
	if (!(v->v.t = strdup(x))) {
		SB(b)->oom = 1;
		return;
	}
	v->type = SQ_TEXT;
}

/* Prepares *st, the INSERT of rows rows, unless it is already. */
static int bulk_prepare(struct sq_bulk *b, int rows, sqlite3_stmt **st)
{
	struct bg_buf sql = {0};
	if (*st)
		return 0;
	int err = bg_buf_printf(&sql, "INSERT INTO %s (%s) VALUES ", b->table, b->columns);
	for (int r = 0; r < rows && err == 0; r++)
		for (int i = 0; i < b->base.ncols && err == 0; i++)
			err = bg_buf_puts(&sql, i ? ", ?" : r ? "), (?" : "(?");
	if (err == 0 && (err = bg_buf_putc(&sql, ')')) == 0 &&
	    sqlite3_prepare_v2(H(b->base.c), sql.ptr, -1, st, NULL) != SQLITE_OK)
		err = fail(b->base.c, b->base.what);
	bg_buf_free(&sql);
	return err;
}

/* Binds rows rows of vals from row first to st and steps it. */
static int bulk_step(struct sq_bulk *b, sqlite3_stmt *st, int first, int rows)
{
	const struct sq_val *v = &b->vals[first * b->base.ncols];
	for (int k = 1; k <= rows * b->base.ncols; k++, v++) {
		if (v->type == SQ_INT)
			sqlite3_bind_int64(st, k, v->v.i);
		else if (v->type == SQ_DOUBLE)
			sqlite3_bind_double(st, k, v->v.d);
		else if (v->type == SQ_TEXT)
			sqlite3_bind_text(st, k, v->v.t, -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(st, k);
	}
	int rc = sqlite3_step(st);
	int err = rc == SQLITE_DONE ? 0 : fail(b->base.c, b->base.what);
	sqlite3_reset(st);
	return err;
}

static int sq_bulk_flush(struct db_sql_bulk *bb);

static int sq_bulk_row(struct db_sql_bulk *bb)
{
	struct sq_bulk *b = SB(bb);
	int err;
	if (b->oom) {
		b->oom = 0;
		return bg_error_oom();
	}
	if (++b->rows < DB_SQL_BULK_CHUNK)
		return 0;
	b->rows = 0;
	if ((bb->first && (err = sq_bulk_flush(bb->first)) < 0) ||
	    (err = bulk_prepare(b, DB_SQL_BULK_CHUNK, &b->many)) < 0)
		return err;
	return bulk_step(b, b->many, 0, DB_SQL_BULK_CHUNK);
}

static int sq_bulk_flush(struct db_sql_bulk *bb)
{
	struct sq_bulk *b = SB(bb);
	int err = 0;
	if (bb->first && (err = sq_bulk_flush(bb->first)) < 0)
		return err;
	if (b->rows && (err = bulk_prepare(b, 1, &b->one)) < 0)
		return err;
	for (int r = 0; r < b->rows && err == 0; r++)
		err = bulk_step(b, b->one, r, 1);
	b->rows = 0;
	return err;
}

static int sq_bulk_ids(struct db_sql_bulk *bb, size_t n, int64_t *ids)
{
	struct sq_bulk *b = SB(bb);
	if (!b->next_id) {
		struct bg_buf sql = {0};
		sqlite3_stmt *st = NULL;
		int err = bg_buf_printf(&sql, "SELECT coalesce(max(id), 0) FROM %s", b->table);
		if (err == 0 &&
		    (sqlite3_prepare_v2(H(bb->c), sql.ptr, -1, &st, NULL) != SQLITE_OK ||
		     sqlite3_step(st) != SQLITE_ROW))
			err = fail(bb->c, bb->what);
		if (err == 0)
			b->next_id = sqlite3_column_int64(st, 0) + 1;
		sqlite3_finalize(st);
		bg_buf_free(&sql);
		if (err < 0)
			return err;
	}
	for (size_t i = 0; i < n; i++)
		ids[i] = b->next_id++;
	return 0;
}

static void sq_bulk_free(struct db_sql_bulk *bb)
{
	struct sq_bulk *b = SB(bb);
	for (int k = 0; k < DB_SQL_BULK_CHUNK * bb->ncols; k++)
		if (b->vals[k].type == SQ_TEXT)
			free(b->vals[k].v.t);
	sqlite3_finalize(b->many);
	sqlite3_finalize(b->one);
	free(b->vals);
	free(b->table);
	free(b->columns);
	free(b);
}

const struct db_sql_ops db_sql_sqlite_ops = {
	.engine = "SQLite",
	.close = sq_close,
	.errmsg = sq_errmsg,
	.exec = sq_exec,
	.exec_ddl = sq_exec, /* the migrations are written in SQLite's dialect */
	.begin_write = sq_begin_write,
	.rollback = sq_rollback,
	.in_transaction = sq_in_transaction,
	.schema_version = sq_schema_version,
	.set_schema_version = sq_set_schema_version,
	.prepare = sq_prepare,
	.param_count = sq_param_count,
	.bind_int64 = sq_bind_int64,
	.bind_double = sq_bind_double,
	.bind_text = sq_bind_text,
	.step = sq_step,
	.step_insert = sq_step_insert,
	.col_int64 = sq_col_int64,
	.col_double = sq_col_double,
	.col_text = sq_col_text,
	.col_is_null = sq_col_is_null,
	.reset = sq_reset,
	.unbind = sq_unbind,
	.busy = sq_busy,
	.finalize = sq_finalize,
	.bulk_begin = sq_bulk_begin,
	.bulk_int64 = sq_bulk_int64,
	.bulk_double = sq_bulk_double,
	.bulk_text = sq_bulk_text,
	.bulk_row = sq_bulk_row,
	.bulk_flush = sq_bulk_flush,
	.bulk_ids = sq_bulk_ids,
	.bulk_free = sq_bulk_free,
};
