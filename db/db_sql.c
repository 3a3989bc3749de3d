/* The engine seam's front: each db_sql_* call goes to the table of its connection's engine
 * (db_sql_int.h), chosen once when the connection opens; one indirect call per call, as
 * curl's backends do. The calls every engine answers alike are answered here. */
#include "db_sql.h"

#include <ctype.h>
#include <stddef.h>
#include <string.h>

#include "bg_error.h"
#include "db_sql_int.h"

int db_sql_is_server(const char *target)
{
	static const char *const keys[] = {"host", "hostaddr", "port", "dbname", "user", "service"};
	if (!strncmp(target, "postgresql://", 13) || !strncmp(target, "postgres://", 11))
		return 1;
	while (isspace((unsigned char)*target))
		target++;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		size_t n = strlen(keys[i]);
		if (strncmp(target, keys[i], n))
			continue;
		const char *p = target + n;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '=')
			return 1;
	}
	return 0;
}

int db_sql_open(struct db_sql **out, const char *target)
{
	if (db_sql_is_server(target))
		return db_sql_pg_open(out, target);
	return db_sql_sqlite_open(out, target);
}

int db_sql_open_pg(struct db_sql **out, const char *conninfo)
{
	return db_sql_pg_open(out, conninfo);
}

void db_sql_close(struct db_sql *c)
{
	if (c)
		c->ops->close(c);
}

const char *db_sql_path(const struct db_sql *c)
{
	return c->path;
}

const char *db_sql_engine(const struct db_sql *c)
{
	return c->ops->engine;
}

const char *db_sql_errmsg(struct db_sql *c)
{
	return c->ops->errmsg(c);
}

int db_sql_exec(struct db_sql *c, const char *script, const char *what)
{
	return c->ops->exec(c, script, what);
}

int db_sql_exec_ddl(struct db_sql *c, const char *script, const char *what)
{
	return c->ops->exec_ddl(c, script, what);
}

int db_sql_begin_write(struct db_sql *c, const char *what)
{
	return c->ops->begin_write(c, what);
}

void db_sql_rollback(struct db_sql *c)
{
	c->ops->rollback(c);
}

int db_sql_in_transaction(struct db_sql *c)
{
	return c->ops->in_transaction(c);
}

int db_sql_schema_version(struct db_sql *c, int *out)
{
	return c->ops->schema_version(c, out);
}

int db_sql_set_schema_version(struct db_sql *c, int version)
{
	return c->ops->set_schema_version(c, version);
}

int db_sql_prepare(struct db_sql *c, const char *sql, unsigned flags, struct db_sql_stmt **out,
		   const char *what)
{
	return c->ops->prepare(c, sql, flags, out, what);
}

int db_sql_param_count(struct db_sql_stmt *s)
{
	return s->c->ops->param_count(s);
}

void db_sql_bind_int64(struct db_sql_stmt *s, int i, int64_t v)
{
	s->c->ops->bind_int64(s, i, v);
}

void db_sql_bind_double(struct db_sql_stmt *s, int i, double v)
{
	s->c->ops->bind_double(s, i, v);
}

void db_sql_bind_text(struct db_sql_stmt *s, int i, const char *v)
{
	s->c->ops->bind_text(s, i, v);
}

void db_sql_bind_null(struct db_sql_stmt *s, int i)
{
	s->c->ops->bind_text(s, i, NULL);
}

int db_sql_step(struct db_sql_stmt *s, const char *what)
{
	return s->c->ops->step(s, what);
}

int db_sql_step_insert(struct db_sql_stmt *s, const char *what, int64_t *id)
{
	return s->c->ops->step_insert(s, what, id);
}

int db_sql_failed_unique(struct db_sql_stmt *s)
{
	return s->unique;
}

int64_t db_sql_changes(struct db_sql_stmt *s)
{
	return s->changes;
}

int64_t db_sql_col_int64(struct db_sql_stmt *s, int i)
{
	return s->c->ops->col_int64(s, i);
}

int db_sql_col_int(struct db_sql_stmt *s, int i)
{
	return (int)s->c->ops->col_int64(s, i);
}

double db_sql_col_double(struct db_sql_stmt *s, int i)
{
	return s->c->ops->col_double(s, i);
}

const char *db_sql_col_text(struct db_sql_stmt *s, int i)
{
	return s->c->ops->col_text(s, i);
}

int db_sql_col_is_null(struct db_sql_stmt *s, int i)
{
	return s->c->ops->col_is_null(s, i);
}

void db_sql_reset(struct db_sql_stmt *s)
{
	s->c->ops->reset(s);
}

void db_sql_unbind(struct db_sql_stmt *s)
{
	s->c->ops->unbind(s);
}

int db_sql_busy(struct db_sql_stmt *s)
{
	return s->c->ops->busy(s);
}

void db_sql_finalize(struct db_sql_stmt *s)
{
	if (s)
		s->c->ops->finalize(s);
}

/* The most columns a bulk insert takes: SQLite binds DB_SQL_BULK_CHUNK rows of them in one
 * statement. */
#define BULK_MAX_COLS 64

int db_sql_bulk_begin(struct db_sql *c, const char *table, const char *columns, const char *what,
		      struct db_sql_bulk **out)
{
	int ncols = 1, err;
	for (const char *p = columns; *p; p++)
		ncols += *p == ',';
	*out = NULL;
	if (!*table || !*columns || ncols > BULK_MAX_COLS)
		return bg_error_set(BG_EDB, "%s: %s: a bulk insert into \"%s\" of %d columns",
				    c->path, what, table, ncols);
	if ((err = c->ops->bulk_begin(c, table, columns, ncols, out)) < 0)
		return err;
	(*out)->c = c;
	(*out)->what = what;
	(*out)->ncols = ncols;
	(*out)->nvals = 0;
	(*out)->first = NULL;
	return 0;
}

int db_sql_bulk_ids(struct db_sql_bulk *b, size_t n, int64_t *ids)
{
	return n ? b->c->ops->bulk_ids(b, n, ids) : 0;
}

void db_sql_bulk_after(struct db_sql_bulk *b, struct db_sql_bulk *first)
{
	b->first = first;
}

/* The column the next value goes to, or -1 past the last (db_sql_bulk_row says so). */
static int bulk_next(struct db_sql_bulk *b)
{
	int i = b->nvals++;
	return i < b->ncols ? i : -1;
}

void db_sql_bulk_int64(struct db_sql_bulk *b, int64_t v)
{
	int i = bulk_next(b);
	if (i >= 0)
		b->c->ops->bulk_int64(b, i, v);
}

void db_sql_bulk_double(struct db_sql_bulk *b, double v)
{
	int i = bulk_next(b);
	if (i >= 0)
		b->c->ops->bulk_double(b, i, v);
}

void db_sql_bulk_text(struct db_sql_bulk *b, const char *v)
{
	int i = bulk_next(b);
	if (i >= 0)
		b->c->ops->bulk_text(b, i, v);
}

int db_sql_bulk_row(struct db_sql_bulk *b)
{
	int n = b->nvals;
	b->nvals = 0;
	if (n != b->ncols)
		return bg_error_set(BG_EDB, "%s: %s: a row of %d values, not %d", b->c->path,
				    b->what, n, b->ncols);
	return b->c->ops->bulk_row(b);
}

int db_sql_bulk_end(struct db_sql_bulk *b, int err)
{
	if (!b)
		return err;
	if (err == 0 && b->nvals)
		err = bg_error_set(BG_EDB, "%s: %s: a row of %d values left unfinished", b->c->path,
				   b->what, b->nvals);
	if (err == 0)
		err = b->c->ops->bulk_flush(b);
	b->c->ops->bulk_free(b);
	return err;
}
