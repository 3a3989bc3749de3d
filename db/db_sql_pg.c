/* The PostgreSQL side of db_sql.h (db_sql_pg_ops) over libpq, the only file that includes
 * <libpq-fe.h>: ?N parameters sent as $N; statements kept for the connection's life are
 * named prepared statements, one-off ones the unnamed statement; rows read from the whole
 * result in text format; writers one at a time behind a transaction-scoped advisory lock
 * (SQLite's BEGIN IMMEDIATE); the schema version in a one-row table of its own. */
#include "db_sql.h"
#include "db_sql_int.h"

#include <ctype.h>
#include <libpq-fe.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bg_buf.h"
#include "bg_error.h"

/* Seconds to wait for the server when the conninfo does not say. */
#define CONNECT_TIMEOUT "10"
/* A writer waits this long for another one, as SQLite's busy timeout. */
#define LOCK_TIMEOUT "30s"
/* The advisory lock every bitgate writer takes in begin_write: "bitg". */
#define WRITER_LOCK "1651078247"
/* The schema version's table: one row at most (one is always true). */
#define SCHEMA_TABLE "bitgate_schema_version"

struct pg_stmt;

/* A connection: db_sql's common part first (its path: postgresql://HOST:PORT/DB). */
struct pg_conn {
	struct db_sql base;
	PGconn *pg;
	char *password;          /* the conninfo's, blanked out of every message; NULL: none */
	unsigned next_name;      /* prepared statements are named bg_1, bg_2, ... */
	struct pg_stmt *unnamed; /* the one-off statement the server holds unnamed, if any */
	char msg[512];           /* a message's first line, password blanked (errmsg) */
};

/* A parameter: its text, borrowed or in buf; NULL is SQL NULL. */
struct pg_param {
	const char *v;
	char buf[32];
};

/* A statement: db_sql_stmt's common part first. */
struct pg_stmt {
	struct db_sql_stmt base;
	char *sql;     /* with $N, and RETURNING id when DB_SQL_INSERT_ID */
	char name[16]; /* the prepared statement's name; "" for a one-off */
	int nparams;
	struct pg_param *params; /* nparams */
	const char **values;     /* nparams: the texts handed to libpq */
	PGresult *res;           /* the current run's rows; NULL when not run since reset */
	int row;                 /* the current row of res; -1 before the first */
};

/* The engine's own calls, used before their definitions below (an engine never goes back
 * through db_sql.c's dispatch). */
static int pg_exec(struct db_sql *c, const char *script, const char *what);
static void pg_close(struct db_sql *bc);
static int pg_prepare(struct db_sql *c, const char *sql, unsigned flags, struct db_sql_stmt **out,
		      const char *what);
static int pg_step(struct db_sql_stmt *bs, const char *what);
static void pg_finalize(struct db_sql_stmt *bs);
static void pg_rollback(struct db_sql *c);
static int64_t pg_col_int64(struct db_sql_stmt *bs, int i);

static struct pg_conn *PG(struct db_sql *c)
{
	return (struct pg_conn *)c;
}

/* The first line of msg into c->msg, each occurrence of the password as "***". */
static const char *clean(struct pg_conn *c, const char *msg)
{
	size_t n = 0, plen = c->password ? strlen(c->password) : 0;
	for (const char *p = msg ? msg : "(no message)"; *p && *p != '\n';) {
		const char *put = p;
		size_t len = 1;
		if (plen && !strncmp(p, c->password, plen)) {
			put = "***";
			len = 3;
			p += plen;
		} else
			p++;
		if (n + len >= sizeof(c->msg))
			break;
		memcpy(c->msg + n, put, len);
		n += len;
	}
	c->msg[n] = '\0';
	return c->msg;
}

/* BG_EDB "NAME: what: message", the message res's (or the connection's when res is NULL). */
static int fail(struct db_sql *c, const char *what, const PGresult *res)
{
	const char *m = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	return bg_error_set(BG_EDB, "%s: %s: %s", c->path, what,
			    clean(PG(c), m ? m : PQerrorMessage(PG(c)->pg)));
}

static const char *pg_errmsg(struct db_sql *c)
{
	return clean(PG(c), PQerrorMessage(PG(c)->pg));
}

/* Runs sql by the simple protocol, which drops the unnamed statement. 0, or BG_EDB with
 * *sqlstate (when given) the error's code. */
static int simple(struct db_sql *c, const char *sql, const char *what, char sqlstate[6])
{
	PGresult *res = PQexec(PG(c)->pg, sql);
	ExecStatusType st = PQresultStatus(res);
	int err = 0;
	PG(c)->unnamed = NULL;
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		const char *code = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		if (sqlstate)
			snprintf(sqlstate, 6, "%s", code ? code : "");
		err = fail(c, what, res);
	}
	PQclear(res);
	return err;
}

/* --- open, close ----------------------------------------------------------------------- */

/* The connection's name for messages, from what libpq connected (or tried) to: malloc'd,
 * NULL when out of memory. */
static char *conn_name(PGconn *pg)
{
	const char *host = PQhost(pg), *port = PQport(pg), *db = PQdb(pg);
	char buf[512];
	host = host && *host ? host : "localhost";
	port = port && *port ? port : "5432";
	db = db ? db : "";
	if (host[0] == '/') /* a socket directory: the URI form libpq reads back */
		snprintf(buf, sizeof(buf), "postgresql:///%s?host=%s&port=%s", db, host, port);
	else
		snprintf(buf, sizeof(buf), "postgresql://%s:%s/%s", host, port, db);
	return bg_strdup(buf);
}

/* The conninfo's password, to keep out of messages: *out NULL when it has none. */
static int read_password(const char *conninfo, char **out)
{
	char *perr = NULL;
	PQconninfoOption *opts = PQconninfoParse(conninfo, &perr);
	int err = 0;
	*out = NULL;
	if (!opts) {
		/* libpq's reason may quote the password: not shown */
		PQfreemem(perr);
		return bg_error_set(BG_EDB, "PostgreSQL: the connection string is neither a "
					    "postgresql:// URI nor host=... dbname=... pairs");
	}
	for (PQconninfoOption *o = opts; o->keyword; o++)
		if (!strcmp(o->keyword, "password") && o->val && *o->val)
			err = (*out = bg_strdup(o->val)) ? 0 : bg_error_oom();
	PQconninfoFree(opts);
	return err;
}

static void no_notices(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

/* The schema version's table; two first opens at once may race on it (IF NOT EXISTS is
 * not race-free): the loser's error says the table, or its row type, exists (42P07,
 * 42710) or hits the catalog's unique index (23505). */
static int make_schema_table(struct db_sql *c)
{
	char code[6] = "";
	int err = simple(c,
			 "CREATE TABLE IF NOT EXISTS " SCHEMA_TABLE " (one boolean PRIMARY KEY "
			 "DEFAULT true CHECK (one), version integer NOT NULL)",
			 "making the schema version's table", code);
	return err < 0 && (!strcmp(code, "23505") || !strcmp(code, "42P07") ||
			   !strcmp(code, "42710"))
		       ? 0
		       : err;
}

/* PQconnectdb(conninfo), giving up after CONNECT_TIMEOUT seconds unless conninfo or
 * $PGCONNECT_TIMEOUT says otherwise (libpq alone waits as long as TCP does). */
static PGconn *connect(const char *conninfo)
{
	const char *env = getenv("PGCONNECT_TIMEOUT");
	const char *const keys[] = {"connect_timeout", "dbname", NULL};
	const char *const values[] = {env && *env ? env : CONNECT_TIMEOUT, conninfo, NULL};
	return PQconnectdbParams(keys, values, 1); /* conninfo's own words win */
}

int db_sql_pg_open(struct db_sql **out, const char *conninfo)
{
	struct pg_conn *c = calloc(1, sizeof(*c));
	int err;
	*out = NULL;
	if (!c)
		return bg_error_oom();
	c->base.ops = &db_sql_pg_ops;
	if ((err = read_password(conninfo, &c->password)) < 0)
		goto done;
	if (!(c->pg = connect(conninfo)) || !(c->base.path = conn_name(c->pg))) {
		err = bg_error_oom();
		goto done;
	}
	if (PQstatus(c->pg) != CONNECTION_OK) {
		err = bg_error_set(BG_EDB, "%s: cannot connect: %s", c->base.path,
				   clean(c, PQerrorMessage(c->pg)));
		goto done;
	}
	PQsetNoticeProcessor(c->pg, no_notices, NULL);
	if ((err = make_schema_table(&c->base)) < 0)
		goto done;
	*out = &c->base;
	c = NULL;
done:
	if (c)
		c->base.ops->close(&c->base);
	return err;
}

static void pg_close(struct db_sql *bc)
{
	struct pg_conn *c = PG(bc);
	PQfinish(c->pg);
	free(c->password);
	free(c->base.path);
	free(c);
}

/* --- scripts, transactions, the schema version ----------------------------------------- */

static int pg_exec(struct db_sql *c, const char *script, const char *what)
{
	return simple(c, script, what, NULL);
}

/* READ COMMITTED, each statement seeing what was committed before it, behind one advisory
 * lock that every writer takes: writers run one at a time and wait for each other, as
 * under SQLite's BEGIN IMMEDIATE, and a read-then-write in db/ (the migration's second
 * version read, the put-if-missing of records) sees the previous writer's commit. So no
 * transaction fails with a serialization error that db/ would have to retry, as
 * REPEATABLE READ or SERIALIZABLE would make it; readers never wait. */
static int pg_begin_write(struct db_sql *c, const char *what)
{
	char why[160];
	snprintf(why, sizeof(why), "%s: cannot start a transaction", what);
	int err = simple(c,
			 "BEGIN ISOLATION LEVEL READ COMMITTED; SET LOCAL lock_timeout = "
			 "'" LOCK_TIMEOUT "'; SELECT pg_advisory_xact_lock(" WRITER_LOCK ")",
			 why, NULL);
	if (err < 0)
		pg_rollback(c);
	return err;
}

static void pg_rollback(struct db_sql *c)
{
	if (PQtransactionStatus(PG(c)->pg) != PQTRANS_IDLE)
		PQclear(PQexec(PG(c)->pg, "ROLLBACK"));
	PG(c)->unnamed = NULL;
}

/* An open transaction, or one a failed statement aborted (it waits for its rollback). */
static int pg_in_transaction(struct db_sql *c)
{
	PGTransactionStatusType st = PQtransactionStatus(PG(c)->pg);
	return st == PQTRANS_INTRANS || st == PQTRANS_INERROR;
}

static int pg_schema_version(struct db_sql *c, int *out)
{
	struct db_sql_stmt *s = NULL;
	const char *what = "reading the schema version";
	int err = pg_prepare(c, "SELECT version FROM " SCHEMA_TABLE, 0, &s, what);
	if (err == 0 && (err = pg_step(s, what)) >= 0) {
		*out = err == 1 ? (int)pg_col_int64(s, 0) : 0; /* no row: a new database */
		err = 0;
	}
	pg_finalize(s);
	return err;
}

static int pg_set_schema_version(struct db_sql *c, int version)
{
	char sql[160];
	snprintf(sql, sizeof(sql),
		 "INSERT INTO " SCHEMA_TABLE " (version) VALUES (%d) ON CONFLICT (one) DO UPDATE "
		 "SET version = excluded.version",
		 version);
	return simple(c, sql, "setting the schema version", NULL);
}

/* --- statements ------------------------------------------------------------------------ */

/* Skips a quoted string, identifier or comment starting at p (its opening already seen
 * as open); returns past its end. */
static const char *skip_quoted(const char *p)
{
	if (p[0] == '-' && p[1] == '-')
		return p + strcspn(p, "\n");
	if (p[0] == '/' && p[1] == '*') {
		const char *end = strstr(p + 2, "*/");
		return end ? end + 2 : p + strlen(p);
	}
	const char *end = strchr(p + 1, *p); /* '' inside a string: two strings in a row */
	return end ? end + 1 : p + strlen(p);
}

/* sql with each ?N as $N and each bare ? as SQLite numbers it (one past the highest so
 * far), outside strings, quoted names and comments; RETURNING id appended when asked.
 * malloc'd, NULL when out of memory; *nparams the highest number. */
static char *translate(const char *sql, int returning_id, int *nparams)
{
	struct bg_buf b = {0};
	int high = 0, err = 0;
	for (const char *p = sql; *p && err == 0;) {
		if (*p == '\'' || *p == '"' || (p[0] == '-' && p[1] == '-') ||
		    (p[0] == '/' && p[1] == '*')) {
			const char *end = skip_quoted(p);
			err = bg_buf_put(&b, p, (size_t)(end - p));
			p = end;
		} else if (*p == '?') {
			char *end = (char *)p + 1;
			long n = isdigit((unsigned char)p[1]) ? strtol(p + 1, &end, 10) : high + 1;
			high = n > high ? (int)n : high;
			err = bg_buf_printf(&b, "$%ld", n);
			p = end;
		} else
			err = bg_buf_putc(&b, *p++);
	}
	if (err == 0 && returning_id) {
		while (b.len && strchr("; \t\n", b.ptr[b.len - 1]))
			b.len--;
		err = bg_buf_puts(&b, " RETURNING id");
	}
	*nparams = high;
	if (err < 0) {
		bg_buf_free(&b);
		return NULL;
	}
	return bg_buf_detach(&b);
}

/* --- DDL in SQLite's dialect ---------------------------------------------------------- */

static int ident_char(char ch)
{
	return isalnum((unsigned char)ch) || ch == '_';
}

/* The length of word w when p starts with it as a whole word; else 0. */
static size_t word_at(const char *p, const char *w)
{
	size_t n = strlen(w);
	return !strncmp(p, w, n) && !ident_char(p[n]) ? n : 0;
}

static const char *skip_space(const char *p)
{
	while (isspace((unsigned char)*p))
		p++;
	return p;
}

/* Past a table's options (STRICT, WITHOUT ROWID, separated by commas) starting at p, or p
 * when none starts there. */
static const char *skip_table_options(const char *p)
{
	for (const char *q = p;;) {
		size_t n;
		if ((n = word_at(q, "STRICT")))
			q += n;
		else if ((n = word_at(q, "WITHOUT")) && (n = word_at(skip_space(q + n), "ROWID")))
			q = skip_space(q + word_at(q, "WITHOUT")) + n;
		else
			return p;
		p = q;
		const char *next = skip_space(q);
		if (*next != ',')
			return p;
		q = skip_space(next + 1);
	}
}

/* The PostgreSQL word for the upper-case SQLite word at p (n bytes), or NULL to copy it;
 * *skip: where to go on from. */
static const char *pg_word(const char *p, size_t n, const char **skip)
{
	*skip = p + n;
	if (n == 7 && !strncmp(p, "INTEGER", n))
		return word_at(skip_space(p + n), "PRIMARY")
			       ? "BIGINT GENERATED BY DEFAULT AS IDENTITY"
			       : "BIGINT";
	if (n == 4 && !strncmp(p, "REAL", n))
		return "DOUBLE PRECISION";
	if (n == 4 && !strncmp(p, "TEXT", n))
		return "TEXT COLLATE \"C\"";
	if ((n == 6 && !strncmp(p, "STRICT", n)) || (n == 7 && !strncmp(p, "WITHOUT", n))) {
		*skip = skip_table_options(p);
		return *skip == p ? NULL : "";
	}
	return NULL;
}

/* script (SQLite's DDL) in PostgreSQL's words (db_sql_exec_ddl): malloc'd, NULL when out of
 * memory. */
static char *ddl_translate(const char *script)
{
	struct bg_buf b = {0};
	int err = 0;
	for (const char *p = script; *p && err == 0;) {
		const char *end = p + 1, *put;
		if (*p == '\'' || *p == '"' || (p[0] == '-' && p[1] == '-') ||
		    (p[0] == '/' && p[1] == '*')) {
			end = skip_quoted(p);
			err = bg_buf_put(&b, p, (size_t)(end - p));
		} else if (*p >= 'A' && *p <= 'Z' && (p == script || !ident_char(p[-1]))) {
			while (ident_char(*end))
				end++;
			if ((put = pg_word(p, (size_t)(end - p), &end)))
				err = bg_buf_puts(&b, put);
			else
				err = bg_buf_put(&b, p, (size_t)(end - p));
		} else
			err = bg_buf_putc(&b, *p);
		p = end;
	}
	if (err < 0) {
		bg_buf_free(&b);
		return NULL;
	}
	return bg_buf_detach(&b);
}

static int pg_exec_ddl(struct db_sql *c, const char *script, const char *what)
{
	char *sql = ddl_translate(script);
	if (!sql)
		return bg_error_oom();
	int err = simple(c, sql, what, NULL);
	free(sql);
	return err;
}

static void pg_finalize(struct db_sql_stmt *bs);

/* Prepares s->sql as s->name on the server: the error now, as SQLite's prepare gives it. */
static int server_prepare(struct pg_stmt *s, const char *what)
{
	struct pg_conn *c = PG(s->base.c);
	PGresult *res = PQprepare(c->pg, s->name, s->sql, s->nparams, NULL);
	int err = PQresultStatus(res) == PGRES_COMMAND_OK ? 0 : fail(s->base.c, what, res);
	PQclear(res);
	if (!s->name[0])
		c->unnamed = err == 0 ? s : NULL;
	return err;
}

static int pg_prepare(struct db_sql *c, const char *sql, unsigned flags, struct db_sql_stmt **out,
		      const char *what)
{
	struct pg_stmt *s = calloc(1, sizeof(*s));
	int err;
	*out = NULL;
	if (!s)
		return bg_error_oom();
	s->base.c = c;
	s->row = -1;
	if (!(s->sql = translate(sql, (flags & DB_SQL_INSERT_ID) != 0, &s->nparams)) ||
	    !(s->params = calloc((size_t)s->nparams + 1, sizeof(*s->params))) ||
	    !(s->values = calloc((size_t)s->nparams + 1, sizeof(*s->values)))) {
		pg_finalize(&s->base);
		return bg_error_oom();
	}
	if (flags & DB_SQL_PERSISTENT)
		snprintf(s->name, sizeof(s->name), "bg_%u", ++PG(c)->next_name);
	if ((err = server_prepare(s, what)) < 0) {
		s->name[0] = '\0'; /* nothing to deallocate */
		pg_finalize(&s->base);
		return err;
	}
	*out = &s->base;
	return 0;
}

static int pg_param_count(struct db_sql_stmt *s)
{
	return ((struct pg_stmt *)s)->nparams;
}

/* Parameter i's slot, or NULL when out of range (SQLite ignores those too). */
static struct pg_param *param(struct db_sql_stmt *bs, int i)
{
	struct pg_stmt *s = (struct pg_stmt *)bs;
	return i >= 1 && i <= s->nparams ? &s->params[i - 1] : NULL;
}

static void pg_bind_int64(struct db_sql_stmt *s, int i, int64_t v)
{
	struct pg_param *p = param(s, i);
	if (p) {
		snprintf(p->buf, sizeof(p->buf), "%lld", (long long)v);
		p->v = p->buf;
	}
}

static void pg_bind_double(struct db_sql_stmt *s, int i, double v)
{
	struct pg_param *p = param(s, i);
	if (!p)
		return;
	if (isnan(v))
		snprintf(p->buf, sizeof(p->buf), "NaN");
	else if (isinf(v))
		snprintf(p->buf, sizeof(p->buf), "%sInfinity", v < 0 ? "-" : "");
	else
		snprintf(p->buf, sizeof(p->buf), "%.17g", v);
	p->v = p->buf;
}

static void pg_bind_text(struct db_sql_stmt *s, int i, const char *v)
{
	struct pg_param *p = param(s, i);
	if (p)
		p->v = v;
}

static void pg_reset(struct db_sql_stmt *bs)
{
	struct pg_stmt *s = (struct pg_stmt *)bs;
	PQclear(s->res);
	s->res = NULL;
	s->row = -1;
}

/* Runs s on the server, keeping its rows: named, or the unnamed statement while the
 * server still holds it as s's, or parsed again. */
static int run(struct pg_stmt *s, const char *what)
{
	struct pg_conn *c = PG(s->base.c);
	PGresult *res;
	for (int i = 0; i < s->nparams; i++)
		s->values[i] = s->params[i].v;
	if (s->name[0] || c->unnamed == s)
		res = PQexecPrepared(c->pg, s->name, s->nparams, s->values, NULL, NULL, 0);
	else
		res = PQexecParams(c->pg, s->sql, s->nparams, NULL, s->values, NULL, NULL, 0);
	if (!s->name[0])
		c->unnamed = s;
	ExecStatusType st = PQresultStatus(res);
	if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
		s->res = res;
		s->row = -1;
		s->base.changes = strtoll(PQcmdTuples(res), NULL, 10);
		return 0;
	}
	const char *code = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	s->base.unique = code && !strcmp(code, "23505");
	int err = fail(s->base.c, what, res);
	PQclear(res);
	return err;
}

static int pg_step(struct db_sql_stmt *bs, const char *what)
{
	struct pg_stmt *s = (struct pg_stmt *)bs;
	int err;
	bs->unique = 0;
	if (s->res && s->row >= PQntuples(s->res))
		pg_reset(bs); /* past its end: runs again, as SQLite's step does */
	if (!s->res && (err = run(s, what)) < 0)
		return err;
	if (++s->row < PQntuples(s->res))
		return 1;
	s->row = PQntuples(s->res);
	return 0;
}

static int64_t pg_col_int64(struct db_sql_stmt *bs, int i);

static int pg_step_insert(struct db_sql_stmt *bs, const char *what, int64_t *id)
{
	struct pg_stmt *s = (struct pg_stmt *)bs;
	int rc = pg_step(bs, what);
	if (rc == 0)
		return bg_error_set(BG_EDB, "%s: %s: the insert gave no id", bs->c->path, what);
	if (rc > 0) {
		*id = pg_col_int64(bs, 0);
		s->row = PQntuples(s->res); /* done, as SQLite's step after its insert */
		rc = 0;
	}
	return rc;
}

/* The current row's column i as text, NULL for SQL NULL or no such row or column. */
static const char *value(struct db_sql_stmt *bs, int i)
{
	struct pg_stmt *s = (struct pg_stmt *)bs;
	if (!s->res || s->row < 0 || s->row >= PQntuples(s->res) || i < 0 ||
	    i >= PQnfields(s->res) || PQgetisnull(s->res, s->row, i))
		return NULL;
	return PQgetvalue(s->res, s->row, i);
}

/* Integers as text; a boolean's t and f as 1 and 0. */
static int64_t pg_col_int64(struct db_sql_stmt *bs, int i)
{
	const char *v = value(bs, i);
	if (!v)
		return 0;
	if (!strcmp(v, "t") || !strcmp(v, "f"))
		return v[0] == 't';
	return strtoll(v, NULL, 10);
}

static double pg_col_double(struct db_sql_stmt *bs, int i)
{
	const char *v = value(bs, i);
	return v ? strtod(v, NULL) : 0.0; /* strtod reads NaN, Infinity and -Infinity too */
}

static const char *pg_col_text(struct db_sql_stmt *bs, int i)
{
	return value(bs, i);
}

static int pg_col_is_null(struct db_sql_stmt *bs, int i)
{
	return value(bs, i) == NULL;
}

static void pg_unbind(struct db_sql_stmt *bs)
{
	struct pg_stmt *s = (struct pg_stmt *)bs;
	for (int i = 0; i < s->nparams; i++)
		s->params[i].v = NULL;
}

static int pg_busy(struct db_sql_stmt *bs)
{
	struct pg_stmt *s = (struct pg_stmt *)bs;
	return s->res && s->row >= 0 && s->row < PQntuples(s->res);
}

static void pg_finalize(struct db_sql_stmt *bs)
{
	struct pg_stmt *s = (struct pg_stmt *)bs;
	struct pg_conn *c = PG(bs->c);
	pg_reset(bs);
	if (s->name[0] && PQstatus(c->pg) == CONNECTION_OK) {
		char sql[48];
		snprintf(sql, sizeof(sql), "DEALLOCATE %s", s->name);
		PQclear(PQexec(c->pg, sql));
		c->unnamed = NULL;
	}
	if (c->unnamed == s)
		c->unnamed = NULL;
	free(s->sql);
	free(s->params);
	free(s->values);
	free(s);
}

/* --- bulk inserts: COPY ... FROM STDIN ------------------------------------------------- */

/* Rows are sent once this many bytes of them are waiting: one COPY per a few MiB. */
#define BULK_SEND_BYTES (4u << 20)

/* A bulk insert: rows in COPY's text format (tab between columns, \N for NULL, a newline
 * after each row), sent by one COPY when enough have gathered and at the end. */
struct pg_bulk {
	struct db_sql_bulk base;
	char *copy;         /* COPY table (columns) FROM STDIN */
	char *ids;          /* $1 new ids from the table's identity sequence */
	struct bg_buf rows; /* complete rows not sent yet, then the current one */
	int oom;            /* a value could not be written: the row fails */
};

static struct pg_bulk *PB(struct db_sql_bulk *b)
{
	return (struct pg_bulk *)b;
}

static int pg_bulk_begin(struct db_sql *c, const char *table, const char *columns, int ncols,
			 struct db_sql_bulk **out)
{
	struct pg_bulk *b = calloc(1, sizeof(*b));
	struct bg_buf sql = {0};
	(void)c;
	(void)ncols;
	if (!b || bg_buf_printf(&sql, "COPY %s (%s) FROM STDIN", table, columns) < 0 ||
	    !(b->copy = bg_buf_detach(&sql)) ||
	    bg_buf_printf(&sql,
			  "SELECT nextval(pg_get_serial_sequence('%s', 'id')) "
			  "FROM generate_series(1, $1::bigint)",
			  table) < 0 ||
	    !(b->ids = bg_buf_detach(&sql))) {
		bg_buf_free(&sql);
		if (b)
			free(b->copy);
		free(b);
		return bg_error_oom();
	}
	*out = &b->base;
	return 0;
}

/* Appends column i's text (n bytes) to the current row, a tab before all but the first. */
static void put_value(struct db_sql_bulk *bb, int i, const char *v, size_t n)
{
	struct bg_buf *rows = &PB(bb)->rows;
	if (bg_buf_grow(rows, n + 1) < 0) {
		PB(bb)->oom = 1;
		return;
	}
	if (i)
		rows->ptr[rows->len++] = '\t';
	memcpy(rows->ptr + rows->len, v, n);
	rows->len += n;
}

static void pg_bulk_int64(struct db_sql_bulk *b, int i, int64_t v)
{
	char buf[24], *p = buf + sizeof(buf);
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
	do
		*--p = (char)('0' + u % 10);
	while ((u /= 10));
	if (v < 0)
		*--p = '-';
	put_value(b, i, p, (size_t)(buf + sizeof(buf) - p));
}

/* As pg_bind_double: 17 digits read back exactly, PostgreSQL's names for the rest. */
static void pg_bulk_double(struct db_sql_bulk *b, int i, double v)
{
	char buf[32];
	int n;
	if (isnan(v))
		n = snprintf(buf, sizeof(buf), "NaN");
	else if (isinf(v))
		n = snprintf(buf, sizeof(buf), "%sInfinity", v < 0 ? "-" : "");
	else
		n = snprintf(buf, sizeof(buf), "%.17g", v);
	put_value(b, i, buf, (size_t)n);
}

/* COPY's text format: a backslash, tab, newline and carriage return escaped; NULL as \N. */
static void pg_bulk_text(struct db_sql_bulk *b, int i, const char *v)
{
	struct bg_buf *rows = &PB(b)->rows;
	if (!v) {
		put_value(b, i, "\\N", 2);
		return;
	}
	put_value(b, i, "", 0);
	for (const char *p = v; *p && !PB(b)->oom; p++) {
		const char *esc = *p == '\\'   ? "\\\\"
				  : *p == '\t' ? "\\t"
				  : *p == '\n' ? "\\n"
				  : *p == '\r' ? "\\r"
					       : NULL;
		if ((esc ? bg_buf_put(rows, esc, 2) : bg_buf_putc(rows, *p)) < 0)
			PB(b)->oom = 1;
	}
}

/* Sends the complete rows by one COPY. BG_EDB "NAME: what: server message": a constraint
 * a row breaks, a connection gone. */
static int pg_bulk_flush(struct db_sql_bulk *bb)
{
	struct pg_bulk *b = PB(bb);
	struct pg_conn *c = PG(bb->c);
	int err = 0;
	if (bb->first && (err = pg_bulk_flush(bb->first)) < 0)
		return err;
	if (!b->rows.len)
		return 0;
	PGresult *res = PQexec(c->pg, b->copy);
	c->unnamed = NULL; /* a simple query, as simple()'s */
	if (PQresultStatus(res) != PGRES_COPY_IN)
		err = fail(bb->c, bb->what, res);
	PQclear(res);
	if (err == 0) {
		int sent = PQputCopyData(c->pg, b->rows.ptr, (int)b->rows.len) == 1;
		if (PQputCopyEnd(c->pg, sent ? NULL : "bitgate could not send the rows") != 1 ||
		    !sent)
			err = fail(bb->c, bb->what, NULL);
		/* the COPY's result, then NULL; an error result when the server refused a row */
		while ((res = PQgetResult(c->pg))) {
			if (err == 0 && PQresultStatus(res) != PGRES_COMMAND_OK)
				err = fail(bb->c, bb->what, res);
			PQclear(res);
		}
	}
	bg_buf_clear(&b->rows);
	return err;
}

static int pg_bulk_row(struct db_sql_bulk *bb)
{
	struct pg_bulk *b = PB(bb);
	if (b->oom || bg_buf_putc(&b->rows, '\n') < 0) {
		b->oom = 0;
		bg_buf_clear(&b->rows); /* the half-written row with the rest: rolled back anyway */
		return bg_error_oom();
	}
	return b->rows.len >= BULK_SEND_BYTES ? pg_bulk_flush(bb) : 0;
}

/* One query for all n ids (an unnamed statement, as a one-off query's). */
static int pg_bulk_ids(struct db_sql_bulk *bb, size_t n, int64_t *ids)
{
	struct pg_conn *c = PG(bb->c);
	char count[24];
	const char *param = count;
	snprintf(count, sizeof(count), "%zu", n);
	PGresult *res = PQexecParams(c->pg, PB(bb)->ids, 1, NULL, &param, NULL, NULL, 0);
	c->unnamed = NULL;
	int err = 0;
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		err = fail(bb->c, bb->what, res);
	else if ((size_t)PQntuples(res) != n)
		err = bg_error_set(BG_EDB, "%s: %s: %d ids came back, not %zu", bb->c->path,
				   bb->what, PQntuples(res), n);
	for (size_t i = 0; i < n && err == 0; i++)
		ids[i] = strtoll(PQgetvalue(res, (int)i, 0), NULL, 10);
	PQclear(res);
	return err;
}

static void pg_bulk_free(struct db_sql_bulk *bb)
{
	bg_buf_free(&PB(bb)->rows);
	free(PB(bb)->copy);
	free(PB(bb)->ids);
	free(bb);
}

const struct db_sql_ops db_sql_pg_ops = {
	.engine = "PostgreSQL",
	.close = pg_close,
	.errmsg = pg_errmsg,
	.exec = pg_exec,
	.exec_ddl = pg_exec_ddl,
	.begin_write = pg_begin_write,
	.rollback = pg_rollback,
	.in_transaction = pg_in_transaction,
	.schema_version = pg_schema_version,
	.set_schema_version = pg_set_schema_version,
	.prepare = pg_prepare,
	.param_count = pg_param_count,
	.bind_int64 = pg_bind_int64,
	.bind_double = pg_bind_double,
	.bind_text = pg_bind_text,
	.step = pg_step,
	.step_insert = pg_step_insert,
	.col_int64 = pg_col_int64,
	.col_double = pg_col_double,
	.col_text = pg_col_text,
	.col_is_null = pg_col_is_null,
	.reset = pg_reset,
	.unbind = pg_unbind,
	.busy = pg_busy,
	.finalize = pg_finalize,
	.bulk_begin = pg_bulk_begin,
	.bulk_int64 = pg_bulk_int64,
	.bulk_double = pg_bulk_double,
	.bulk_text = pg_bulk_text,
	.bulk_row = pg_bulk_row,
	.bulk_flush = pg_bulk_flush,
	.bulk_ids = pg_bulk_ids,
	.bulk_free = pg_bulk_free,
};
