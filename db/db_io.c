/* Pooling results of several machines: bg_db_export writes each run as one self-contained
 * JSON line (machine, commit, build summary, results with samples, tests, errors) and
 * bg_db_import merges such lines into a database in one transaction, skipping known runs. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "bg_db.h"
#include "bg_error.h"
#include "db_int.h"

/* --- export ---------------------------------------------------------------------------- */

/* Builds JSON objects; the first failed allocation is remembered instead of checked at
 * every call. */
struct jw {
	int oom;
};

static cJSON *jw_check(struct jw *w, cJSON *item)
{
	if (!item)
		w->oom = 1;
	return item;
}

static void jw_add(struct jw *w, cJSON *obj, const char *key, cJSON *item)
{
	if (!item || !obj || !cJSON_AddItemToObject(obj, key, item)) {
		w->oom = 1;
		cJSON_Delete(item);
	}
}

static void jw_add_to_array(struct jw *w, cJSON *arr, cJSON *item)
{
	if (!item || !arr || !cJSON_AddItemToArray(arr, item)) {
		w->oom = 1;
		cJSON_Delete(item);
	}
}

/* A text column as a JSON string, or null. */
static void jw_col_str(struct jw *w, cJSON *obj, const char *key, sqlite3_stmt *s, int i)
{
	const char *v = (const char *)sqlite3_column_text(s, i);
	jw_add(w, obj, key, v ? cJSON_CreateString(v) : cJSON_CreateNull());
}

static void jw_col_num(struct jw *w, cJSON *obj, const char *key, sqlite3_stmt *s, int i)
{
	jw_add(w, obj, key, cJSON_CreateNumber(sqlite3_column_double(s, i)));
}

static void jw_col_int(struct jw *w, cJSON *obj, const char *key, sqlite3_stmt *s, int i)
{
	jw_add(w, obj, key, cJSON_CreateNumber((double)sqlite3_column_int64(s, i)));
}

static void jw_col_bool(struct jw *w, cJSON *obj, const char *key, sqlite3_stmt *s, int i)
{
	jw_add(w, obj, key, cJSON_CreateBool(sqlite3_column_int(s, i) != 0));
}

/* A column holding JSON text (env, bench context) embedded as JSON; text that does not
 * parse travels as a string so nothing is lost. */
static void jw_col_json(struct jw *w, cJSON *obj, const char *key, sqlite3_stmt *s, int i)
{
	const char *v = (const char *)sqlite3_column_text(s, i);
	cJSON *j = NULL;
	if (!v)
		j = cJSON_CreateNull();
	else if (!(j = cJSON_Parse(v)))
		j = cJSON_CreateString(v);
	jw_add(w, obj, key, j);
}

static int export_results(struct bg_db *db, struct jw *w, cJSON *run, int64_t run_id)
{
	sqlite3_stmt *s, *ss;
	int err, rc;
	cJSON *arr = jw_check(w, cJSON_CreateArray());
	jw_add(w, run, "results", arr);
	if ((err = db_stmt(db, ST_RESULTS_OF_RUN, &s)) < 0)
		return err;
	sqlite3_bind_int64(s, 1, run_id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW && !w->oom) {
		cJSON *r = jw_check(w, cJSON_CreateObject());
		jw_add_to_array(w, arr, r);
		jw_col_str(w, r, "benchmark", s, 2);
		jw_col_str(w, r, "params", s, 3);
		jw_col_str(w, r, "metric", s, 4);
		jw_col_str(w, r, "mode", s, 5);
		jw_col_int(w, r, "round", s, 6);
		jw_col_str(w, r, "kernel", s, 7);
		if (sqlite3_column_type(s, 8) == SQLITE_NULL)
			jw_add(w, r, "checked", cJSON_CreateNull());
		else
			jw_col_bool(w, r, "checked", s, 8);
		jw_col_str(w, r, "skipped", s, 9);
		jw_col_int(w, r, "iterations", s, 10);
		jw_col_num(w, r, "elements", s, 11);
		jw_col_num(w, r, "bytes", s, 12);
		cJSON *samples = jw_check(w, cJSON_CreateArray());
		jw_add(w, r, "samples", samples);
		if ((err = db_stmt(db, ST_SAMPLES_OF_RESULT, &ss)) < 0)
			return err;
		sqlite3_bind_int64(ss, 1, sqlite3_column_int64(s, 0));
		while ((rc = sqlite3_step(ss)) == SQLITE_ROW && !w->oom)
			jw_add_to_array(w, samples,
					cJSON_CreateNumber(sqlite3_column_double(ss, 0)));
		if (rc != SQLITE_DONE && rc != SQLITE_ROW)
			return db_fail(db, "exporting samples");
		sqlite3_reset(ss);
	}
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return db_fail(db, "exporting results");
	sqlite3_reset(s);
	return 0;
}

static int export_tests(struct bg_db *db, struct jw *w, cJSON *run, int64_t run_id)
{
	sqlite3_stmt *s, *cs;
	int err, rc;
	cJSON *arr = jw_check(w, cJSON_CreateArray());
	jw_add(w, run, "tests", arr);
	if ((err = db_stmt(db, ST_SUITES_OF_RUN, &s)) < 0)
		return err;
	sqlite3_bind_int64(s, 1, run_id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW && !w->oom) {
		cJSON *t = jw_check(w, cJSON_CreateObject());
		jw_add_to_array(w, arr, t);
		jw_col_str(w, t, "suite", s, 1);
		jw_col_int(w, t, "passed", s, 2);
		jw_col_int(w, t, "failed", s, 3);
		jw_col_int(w, t, "skipped", s, 4);
		jw_col_int(w, t, "errored", s, 5);
		cJSON *cases = jw_check(w, cJSON_CreateArray());
		jw_add(w, t, "cases", cases);
		if ((err = db_stmt(db, ST_CASES_OF_SUITE, &cs)) < 0)
			return err;
		sqlite3_bind_int64(cs, 1, sqlite3_column_int64(s, 0));
		while ((rc = sqlite3_step(cs)) == SQLITE_ROW && !w->oom) {
			cJSON *c = jw_check(w, cJSON_CreateObject());
			jw_add_to_array(w, cases, c);
			jw_col_str(w, c, "name", cs, 0);
			jw_col_str(w, c, "classname", cs, 1);
			jw_col_str(w, c, "outcome", cs, 2);
			jw_col_num(w, c, "time_s", cs, 3);
			jw_col_str(w, c, "message", cs, 4);
		}
		if (rc != SQLITE_DONE && rc != SQLITE_ROW)
			return db_fail(db, "exporting test cases");
		sqlite3_reset(cs);
	}
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return db_fail(db, "exporting test suites");
	sqlite3_reset(s);
	return 0;
}

static int export_errors(struct bg_db *db, struct jw *w, cJSON *run, int64_t run_id)
{
	sqlite3_stmt *s;
	int err, rc;
	cJSON *arr = jw_check(w, cJSON_CreateArray());
	jw_add(w, run, "errors", arr);
	if ((err = db_stmt(db, ST_ERRORS_OF_RUN, &s)) < 0)
		return err;
	sqlite3_bind_int64(s, 1, run_id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW && !w->oom) {
		cJSON *e = jw_check(w, cJSON_CreateObject());
		jw_add_to_array(w, arr, e);
		jw_col_str(w, e, "stage", s, 0);
		jw_col_str(w, e, "message", s, 1);
		jw_col_str(w, e, "detail", s, 2);
		jw_col_int(w, e, "time", s, 3);
	}
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return db_fail(db, "exporting errors");
	sqlite3_reset(s);
	return 0;
}

static int export_benches(struct bg_db *db, struct jw *w, cJSON *run, int64_t run_id)
{
	sqlite3_stmt *s;
	int err, rc;
	cJSON *arr = jw_check(w, cJSON_CreateArray());
	jw_add(w, run, "benches", arr);
	if ((err = db_stmt(db, ST_BENCH_OUTPUTS_OF_RUN, &s)) < 0)
		return err;
	sqlite3_bind_int64(s, 1, run_id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW && !w->oom) {
		cJSON *b = jw_check(w, cJSON_CreateObject());
		jw_add_to_array(w, arr, b);
		jw_col_int(w, b, "round", s, 0);
		jw_col_str(w, b, "mode", s, 1);
		jw_col_str(w, b, "params", s, 2);
		jw_col_str(w, b, "format", s, 3);
		jw_col_json(w, b, "context", s, 4);
	}
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return db_fail(db, "exporting bench contexts");
	sqlite3_reset(s);
	return 0;
}

/* One row of ST_EXPORT_RUNS as the run's JSON object. */
static int export_run(struct bg_db *db, sqlite3_stmt *s, cJSON **out)
{
	struct jw w = {0};
	int64_t run_id = sqlite3_column_int64(s, 0);
	int err;
	cJSON *run = jw_check(&w, cJSON_CreateObject());
	jw_col_str(&w, run, "uuid", s, 1);
	jw_col_str(&w, run, "kind", s, 2);

	cJSON *c = jw_check(&w, cJSON_CreateObject());
	jw_add(&w, run, "commit", c);
	jw_col_str(&w, c, "sha", s, 3);
	jw_col_str(&w, c, "tree", s, 4);
	jw_col_str(&w, c, "parent", s, 5);
	jw_col_str(&w, c, "subject", s, 6);
	jw_col_str(&w, c, "author", s, 7);
	jw_col_int(&w, c, "time", s, 8);

	jw_col_bool(&w, run, "worktree", s, 9);
	jw_col_str(&w, run, "tree", s, 10);

	cJSON *m = jw_check(&w, cJSON_CreateObject());
	jw_add(&w, run, "machine", m);
	jw_col_str(&w, m, "fingerprint", s, 11);
	jw_col_str(&w, m, "hostname", s, 12);
	jw_col_str(&w, m, "cpu", s, 13);
	jw_col_str(&w, m, "flags", s, 14);
	jw_col_int(&w, m, "cores", s, 15);
	jw_col_int(&w, m, "mem_bytes", s, 16);
	jw_col_str(&w, m, "os", s, 17);
	jw_col_str(&w, m, "gpu", s, 18);

	/* the build's summary; its directory means nothing on another machine */
	if (sqlite3_column_type(s, 19) == SQLITE_NULL) {
		jw_add(&w, run, "build", cJSON_CreateNull());
	} else {
		cJSON *b = jw_check(&w, cJSON_CreateObject());
		jw_add(&w, run, "build", b);
		jw_col_str(&w, b, "tree", s, 20);
		jw_col_str(&w, b, "config_hash", s, 21);
		jw_col_str(&w, b, "status", s, 22);
		jw_col_num(&w, b, "duration_s", s, 23);
		jw_col_str(&w, b, "binary_hash", s, 24);
		jw_col_str(&w, b, "log_tail", s, 25);
		jw_col_int(&w, b, "created", s, 26);
	}

	jw_col_str(&w, run, "config_hash", s, 27);
	jw_col_json(&w, run, "env", s, 28);
	jw_col_str(&w, run, "harness_version", s, 29);
	jw_col_str(&w, run, "label", s, 30);
	jw_col_int(&w, run, "started", s, 31);
	jw_col_int(&w, run, "finished", s, 32);
	jw_col_bool(&w, run, "complete", s, 33);
	jw_col_str(&w, run, "status", s, 34);

	if ((err = export_benches(db, &w, run, run_id)) < 0 ||
	    (err = export_results(db, &w, run, run_id)) < 0 ||
	    (err = export_tests(db, &w, run, run_id)) < 0 ||
	    (err = export_errors(db, &w, run, run_id)) < 0)
		goto done;
	if (w.oom)
		err = bg_error_oom();
done:
	if (err < 0) {
		cJSON_Delete(run);
		return err;
	}
	*out = run;
	return 0;
}

/* Decisions name their runs by uuid. The stored decision JSON (reports/ writes it) holds
 * this database's ids: its "id" and the "run_id" of "base", "head" and "strict". They are
 * written as 0 here and set to the importing database's ids there, so an export is the same
 * from every database that holds the same records. */
static const char *const decision_sides[] = {"base", "head", "strict"};

static int put_line(struct bg_db *db, FILE *out, cJSON *o, const char *what)
{
	char *text = cJSON_PrintUnformatted(o);
	if (!text)
		return bg_error_oom();
	int bad = fputs(text, out) == EOF || putc('\n', out) == EOF;
	free(text);
	return bad ? bg_error_set(BG_EINFRA, "%s: %s: write failed", db->path, what) : 0;
}

static int set_decision_ids(cJSON *d, const int64_t run_ids[3])
{
	cJSON *id = cJSON_GetObjectItemCaseSensitive(d, "id");
	if (cJSON_IsNumber(id))
		cJSON_SetNumberValue(id, 0);
	for (int k = 0; k < 3; k++) {
		cJSON *side = cJSON_GetObjectItemCaseSensitive(d, decision_sides[k]);
		cJSON *rid = cJSON_GetObjectItemCaseSensitive(side, "run_id");
		if (cJSON_IsNumber(rid))
			cJSON_SetNumberValue(rid, (double)run_ids[k]);
	}
	return 0;
}

static int export_decisions(struct bg_db *db, FILE *out, int64_t since, size_t *count)
{
	static const char sql[] =
		"SELECT d.kind, rb.uuid, rh.uuid, rs.uuid, d.conclusion, d.created, d.decision "
		"FROM decisions d LEFT JOIN runs rb ON rb.id = d.base_run_id "
		"LEFT JOIN runs rh ON rh.id = d.head_run_id "
		"LEFT JOIN runs rs ON rs.id = d.strict_run_id WHERE d.created >= ?1 "
		"ORDER BY d.created, rh.uuid, rb.uuid, rs.uuid, d.kind";
	const char *what = "exporting decisions";
	sqlite3_stmt *s = NULL;
	int err = 0, rc;
	if (sqlite3_prepare_v2(db->h, sql, -1, &s, NULL) != SQLITE_OK)
		return db_fail(db, what);
	sqlite3_bind_int64(s, 1, since);
	static const int64_t zero[3] = {0, 0, 0};
	while (!err && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct jw w = {0};
		cJSON *o = jw_check(&w, cJSON_CreateObject());
		const char *text = (const char *)sqlite3_column_text(s, 6);
		cJSON *d = text ? cJSON_Parse(text) : NULL;
		if (!d) {
			cJSON_Delete(o);
			err = bg_error_set(BG_EDB, "%s: %s: a stored decision is not valid JSON",
					   db->path, what);
			break;
		}
		set_decision_ids(d, zero);
		if (o) {
			jw_add(&w, o, "record", cJSON_CreateString("decision"));
			jw_col_str(&w, o, "kind", s, 0);
			jw_col_str(&w, o, "base_run", s, 1);
			jw_col_str(&w, o, "head_run", s, 2);
			jw_col_str(&w, o, "strict_run", s, 3);
			jw_col_str(&w, o, "conclusion", s, 4);
			jw_col_int(&w, o, "created", s, 5);
			jw_add(&w, o, "decision", d);
		} else {
			cJSON_Delete(d);
		}
		err = w.oom ? bg_error_oom() : put_line(db, out, o, what);
		cJSON_Delete(o);
		if (!err)
			(*count)++;
	}
	if (!err && rc != SQLITE_DONE)
		err = db_fail(db, what);
	sqlite3_finalize(s);
	return err;
}

int bg_db_export(struct bg_db *db, FILE *out, int64_t since, size_t *n_runs,
		 size_t *n_decisions)
{
	const char *what = "exporting runs";
	size_t count = 0, decisions = 0;
	sqlite3_stmt *s;
	int err, rc;
	if (n_runs)
		*n_runs = 0;
	if (n_decisions)
		*n_decisions = 0;
	/* one snapshot: a run finishing meanwhile is written whole or as it was */
	if ((err = db_begin_read(db, what)) < 0)
		return err;
	if ((err = db_stmt(db, ST_EXPORT_RUNS, &s)) < 0)
		goto done;
	sqlite3_bind_int64(s, 1, since);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		cJSON *run = NULL;
		if ((err = export_run(db, s, &run)) < 0)
			goto done;
		char *text = cJSON_PrintUnformatted(run);
		cJSON_Delete(run);
		if (!text) {
			err = bg_error_oom();
			goto done;
		}
		int bad = fputs(text, out) == EOF || putc('\n', out) == EOF;
		free(text);
		if (bad) {
			err = bg_error_set(BG_EINFRA, "%s: %s: write failed", db->path, what);
			goto done;
		}
		count++;
	}
	if (rc != SQLITE_DONE)
		err = db_fail(db, what);
	else if ((err = export_decisions(db, out, since, &decisions)) < 0)
		goto done;
	else if (fflush(out) == EOF)
		err = bg_error_set(BG_EINFRA, "%s: %s: write failed", db->path, what);
done:
	err = db_end(db, err, what);
	if (err == 0 && n_runs)
		*n_runs = count;
	if (err == 0 && n_decisions)
		*n_decisions = decisions;
	return err;
}

/* --- import ---------------------------------------------------------------------------- */

struct line_ctx {
	struct bg_db *db;
	const char *origin;
	size_t line;
	struct bg_import_stats st;
	int reported;    /* bad() set the message: it names origin and line already */
	double *samples; /* one result's samples, reused from result to result */
	size_t samples_cap;
};

static int bad(struct line_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* BG_EINPUT "ORIGIN:LINE: problem". */
static int bad(struct line_ctx *c, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	c->reported = 1;
	return bg_error_set(BG_EINPUT, "%s:%zu: %s", c->origin, c->line, msg);
}

/* A string member: *out borrowed from the JSON (NULL when null or absent and optional). */
static int get_str(struct line_ctx *c, const cJSON *o, const char *where, const char *key,
		   int required, const char **out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	*out = NULL;
	if (cJSON_IsString(v)) {
		*out = v->valuestring;
		return 0;
	}
	if (!required && (!v || cJSON_IsNull(v)))
		return 0;
	return bad(c, "%s\"%s\": %s", where, key, v ? "expected a string" : "missing");
}

static int get_num(struct line_ctx *c, const cJSON *o, const char *where, const char *key,
		   int required, double *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	*out = 0;
	if (cJSON_IsNumber(v)) {
		*out = v->valuedouble;
		return 0;
	}
	if (!required && (!v || cJSON_IsNull(v)))
		return 0;
	return bad(c, "%s\"%s\": %s", where, key, v ? "expected a number" : "missing");
}

static int get_i64(struct line_ctx *c, const cJSON *o, const char *where, const char *key,
		   int required, int64_t *out)
{
	double d;
	int err = get_num(c, o, where, key, required, &d);
	if (err < 0)
		return err;
	/* whole numbers well inside what a double holds exactly */
	if (d != floor(d) || fabs(d) > 9007199254740992.0)
		return bad(c, "%s\"%s\": expected a whole number", where, key);
	*out = (int64_t)d;
	return 0;
}

/* A boolean: 1 or 0, or -1 when null or absent and optional. */
static int get_bool(struct line_ctx *c, const cJSON *o, const char *where, const char *key,
		    int required, int *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	*out = -1;
	if (cJSON_IsBool(v)) {
		*out = cJSON_IsTrue(v) ? 1 : 0;
		return 0;
	}
	if (!required && (!v || cJSON_IsNull(v)))
		return 0;
	return bad(c, "%s\"%s\": %s", where, key, v ? "expected true or false" : "missing");
}

/* An object member (NULL when null or absent and optional). */
static int get_obj(struct line_ctx *c, const cJSON *o, const char *key, int required,
		   const cJSON **out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	*out = NULL;
	if (cJSON_IsObject(v)) {
		*out = v;
		return 0;
	}
	if (!required && (!v || cJSON_IsNull(v)))
		return 0;
	return bad(c, "\"%s\": %s", key, v ? "expected an object" : "missing");
}

/* An array member; absent or null reads as empty. */
static int get_arr(struct line_ctx *c, const cJSON *o, const char *where, const char *key,
		   const cJSON **out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	*out = NULL;
	if (cJSON_IsArray(v) || !v || cJSON_IsNull(v)) {
		*out = v;
		return 0;
	}
	return bad(c, "%s\"%s\": expected an array", where, key);
}

/* JSON to store as text (env, bench context): a string as is, any other value printed
 * compactly, as export parsed it. *out is malloc'd or NULL. */
static int get_json_text(const cJSON *o, const char *key, char **out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	*out = NULL;
	if (!v || cJSON_IsNull(v))
		return 0;
	if (cJSON_IsString(v))
		*out = bg_strdup(v->valuestring);
	else
		*out = cJSON_PrintUnformatted(v);
	return *out ? 0 : bg_error_oom();
}

static int import_machine(struct line_ctx *c, const cJSON *run, int64_t *id)
{
	const cJSON *o;
	struct bg_machine_rec m = {0};
	double cores;
	int err;
	if ((err = get_obj(c, run, "machine", 1, &o)) < 0 ||
	    (err = get_str(c, o, "machine.", "fingerprint", 1, (const char **)&m.fingerprint)) <
		    0 ||
	    (err = get_str(c, o, "machine.", "hostname", 0, (const char **)&m.hostname)) < 0 ||
	    (err = get_str(c, o, "machine.", "cpu", 0, (const char **)&m.cpu)) < 0 ||
	    (err = get_str(c, o, "machine.", "flags", 0, (const char **)&m.flags)) < 0 ||
	    (err = get_num(c, o, "machine.", "cores", 0, &cores)) < 0 ||
	    (err = get_i64(c, o, "machine.", "mem_bytes", 0, &m.mem_bytes)) < 0 ||
	    (err = get_str(c, o, "machine.", "os", 0, (const char **)&m.os)) < 0 ||
	    (err = get_str(c, o, "machine.", "gpu", 0, (const char **)&m.gpu)) < 0)
		return err;
	m.cores = (int)cores;
	return db_machine_upsert(c->db, &m, id);
}

static int import_commit(struct line_ctx *c, const cJSON *run, const char **sha, int64_t *id)
{
	const cJSON *o;
	struct bg_commit_rec r = {0};
	int err;
	if ((err = get_obj(c, run, "commit", 1, &o)) < 0 ||
	    (err = get_str(c, o, "commit.", "sha", 1, (const char **)&r.sha)) < 0 ||
	    (err = get_str(c, o, "commit.", "tree", 0, (const char **)&r.tree)) < 0 ||
	    (err = get_str(c, o, "commit.", "parent", 0, (const char **)&r.parent)) < 0 ||
	    (err = get_str(c, o, "commit.", "subject", 0, (const char **)&r.subject)) < 0 ||
	    (err = get_str(c, o, "commit.", "author", 0, (const char **)&r.author)) < 0 ||
	    (err = get_i64(c, o, "commit.", "time", 0, &r.time)) < 0)
		return err;
	if (!*r.sha)
		return bad(c, "commit.\"sha\": empty");
	*sha = r.sha;
	return db_commit_upsert(c->db, &r, id);
}

/* The run's build, found by (machine, tree, config hash) or stored without a directory;
 * *id 0 when the run has none. */
static int import_build(struct line_ctx *c, const cJSON *run, int64_t machine_id, int64_t *id)
{
	const cJSON *o;
	struct bg_build_rec b = {0};
	int found, err;
	*id = 0;
	if ((err = get_obj(c, run, "build", 0, &o)) < 0 || !o)
		return err;
	if ((err = get_str(c, o, "build.", "tree", 1, (const char **)&b.tree)) < 0 ||
	    (err = get_str(c, o, "build.", "config_hash", 1, (const char **)&b.config_hash)) < 0 ||
	    (err = get_str(c, o, "build.", "status", 1, (const char **)&b.status)) < 0 ||
	    (err = get_num(c, o, "build.", "duration_s", 0, &b.duration_s)) < 0 ||
	    (err = get_str(c, o, "build.", "binary_hash", 0, (const char **)&b.binary_hash)) < 0 ||
	    (err = get_str(c, o, "build.", "log_tail", 0, (const char **)&b.log_tail)) < 0 ||
	    (err = get_i64(c, o, "build.", "created", 0, &b.created)) < 0)
		return err;
	struct bg_build_rec have;
	if ((err = bg_db_build_find(c->db, machine_id, b.tree, b.config_hash, &have, &found)) < 0)
		return err;
	if (found) {
		*id = have.id;
		bg_db_build_clear(&have);
		return 0;
	}
	sqlite3_stmt *s;
	if ((err = db_stmt(c->db, ST_BUILD_UPSERT, &s)) < 0)
		return err;
	sqlite3_bind_int64(s, 1, machine_id);
	db_bind_text(s, 2, b.tree);
	db_bind_text(s, 3, b.config_hash);
	db_bind_text(s, 4, b.status);
	sqlite3_bind_double(s, 5, b.duration_s);
	db_bind_text(s, 6, b.log_tail);
	db_bind_text(s, 7, b.binary_hash);
	sqlite3_bind_null(s, 8); /* no directory here */
	sqlite3_bind_int64(s, 9, b.created);
	sqlite3_bind_int64(s, 10, b.created);
	sqlite3_bind_int64(s, 11, 0);
	if (sqlite3_step(s) != SQLITE_ROW)
		return db_fail(c->db, "importing a build");
	*id = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return 0;
}

static int import_benches(struct line_ctx *c, const cJSON *run, int64_t run_id)
{
	const cJSON *arr, *b;
	char where[64];
	int err, i = 0;
	if ((err = get_arr(c, run, "", "benches", &arr)) < 0)
		return err;
	cJSON_ArrayForEach(b, arr)
	{
		const char *mode, *params, *format;
		char *context = NULL;
		int64_t round;
		snprintf(where, sizeof(where), "benches[%d].", i++);
		if (!cJSON_IsObject(b))
			return bad(c, "%s: expected an object", where);
		if ((err = get_i64(c, b, where, "round", 1, &round)) < 0 ||
		    (err = get_str(c, b, where, "mode", 1, &mode)) < 0 ||
		    (err = get_str(c, b, where, "params", 0, &params)) < 0 ||
		    (err = get_str(c, b, where, "format", 0, &format)) < 0 ||
		    (err = get_json_text(b, "context", &context)) < 0)
			return err;
		err = db_bench_output_insert(c->db, run_id, round, mode, params ? params : "",
					     format, context);
		free(context);
		if (err < 0)
			return err;
	}
	return 0;
}

static int import_results(struct line_ctx *c, const cJSON *run, int64_t run_id)
{
	const cJSON *arr, *r;
	char where[64];
	int err, i = 0;
	if ((err = get_arr(c, run, "", "results", &arr)) < 0)
		return err;
	cJSON_ArrayForEach(r, arr)
	{
		const char *benchmark, *params, *metric, *mode;
		const cJSON *samples, *v;
		struct db_result_row row = {.run_id = run_id};
		int64_t result_id, k = 0;
		snprintf(where, sizeof(where), "results[%d].", i++);
		if (!cJSON_IsObject(r))
			return bad(c, "%s: expected an object", where);
		if ((err = get_str(c, r, where, "benchmark", 1, &benchmark)) < 0 ||
		    (err = get_str(c, r, where, "params", 0, &params)) < 0 ||
		    (err = get_str(c, r, where, "metric", 1, &metric)) < 0 ||
		    (err = get_str(c, r, where, "mode", 1, &mode)) < 0 ||
		    (err = get_i64(c, r, where, "round", 1, &row.round)) < 0 ||
		    (err = get_str(c, r, where, "kernel", 0, &row.kernel)) < 0 ||
		    (err = get_bool(c, r, where, "checked", 0, &row.checked)) < 0 ||
		    (err = get_str(c, r, where, "skipped", 0, &row.skipped)) < 0 ||
		    (err = get_i64(c, r, where, "iterations", 0, &row.iterations)) < 0 ||
		    (err = get_num(c, r, where, "elements", 0, &row.elements)) < 0 ||
		    (err = get_num(c, r, where, "bytes", 0, &row.bytes)) < 0 ||
		    (err = get_arr(c, r, where, "samples", &samples)) < 0)
			return err;
		if ((err = db_series_id(c->db, benchmark, params ? params : "", metric, mode,
					&row.series_id)) < 0 ||
		    (err = db_result_insert(c->db, &row, benchmark, &result_id)) < 0)
			return err;
		cJSON_ArrayForEach(v, samples)
		{
			if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
				return bad(c, "%s\"samples\"[%lld]: expected a number", where,
					   (long long)k);
			if ((size_t)k == c->samples_cap) {
				size_t cap = c->samples_cap ? c->samples_cap * 2 : 256;
				double *nv = realloc(c->samples, cap * sizeof(*nv));
				if (!nv)
					return bg_error_oom();
				c->samples = nv;
				c->samples_cap = cap;
			}
			c->samples[k++] = v->valuedouble;
		}
		if ((err = db_samples_insert(c->db, result_id, c->samples, (size_t)k)) < 0)
			return err;
		c->st.samples_added += (size_t)k;
	}
	return 0;
}

static int import_tests(struct line_ctx *c, const cJSON *run, int64_t run_id)
{
	const cJSON *arr, *t;
	char where[96];
	struct bg_test_suite suite = {0};
	int err = 0, i = 0;
	if ((err = get_arr(c, run, "", "tests", &arr)) < 0)
		return err;
	cJSON_ArrayForEach(t, arr)
	{
		const cJSON *cases, *tc;
		int64_t n[4];
		size_t k = 0;
		snprintf(where, sizeof(where), "tests[%d].", i++);
		if (!cJSON_IsObject(t))
			return bad(c, "%s: expected an object", where);
		if ((err = get_str(c, t, where, "suite", 1, (const char **)&suite.suite)) < 0 ||
		    (err = get_i64(c, t, where, "passed", 0, &n[0])) < 0 ||
		    (err = get_i64(c, t, where, "failed", 0, &n[1])) < 0 ||
		    (err = get_i64(c, t, where, "skipped", 0, &n[2])) < 0 ||
		    (err = get_i64(c, t, where, "errored", 0, &n[3])) < 0 ||
		    (err = get_arr(c, t, where, "cases", &cases)) < 0)
			return err;
		suite.passed = (int)n[0];
		suite.failed = (int)n[1];
		suite.skipped = (int)n[2];
		suite.errored = (int)n[3];
		suite.n = (size_t)cJSON_GetArraySize(cases);
		suite.cases = suite.n ? calloc(suite.n, sizeof(*suite.cases)) : NULL;
		if (suite.n && !suite.cases)
			return bg_error_oom();
		cJSON_ArrayForEach(tc, cases)
		{
			struct bg_test_case *tcase = &suite.cases[k];
			const char *outcome;
			char cw[128];
			snprintf(cw, sizeof(cw), "%scases[%zu].", where, k++);
			if (!cJSON_IsObject(tc)) {
				err = bad(c, "%s: expected an object", cw);
				goto done;
			}
			if ((err = get_str(c, tc, cw, "name", 1, (const char **)&tcase->name)) <
				    0 ||
			    (err = get_str(c, tc, cw, "classname", 0,
					   (const char **)&tcase->classname)) < 0 ||
			    (err = get_str(c, tc, cw, "outcome", 1, &outcome)) < 0 ||
			    (err = get_num(c, tc, cw, "time_s", 0, &tcase->time_s)) < 0 ||
			    (err = get_str(c, tc, cw, "message", 0,
					   (const char **)&tcase->message)) < 0)
				goto done;
			int o = bg_outcome_parse(outcome);
			if (o < 0) {
				err = bad(c, "%s\"outcome\": unknown outcome \"%s\"", cw, outcome);
				goto done;
			}
			tcase->outcome = (enum bg_outcome)o;
		}
		if ((err = db_suite_insert(c->db, run_id, &suite)) < 0)
			goto done;
		free(suite.cases);
		suite.cases = NULL;
	}
done:
	/* the strings were borrowed from the JSON: free only the array */
	free(suite.cases);
	return err;
}

static int import_errors(struct line_ctx *c, const cJSON *run, int64_t run_id)
{
	const cJSON *arr, *e;
	char where[64];
	int err, i = 0;
	if ((err = get_arr(c, run, "", "errors", &arr)) < 0)
		return err;
	cJSON_ArrayForEach(e, arr)
	{
		const char *stage, *message, *detail;
		int64_t time;
		snprintf(where, sizeof(where), "errors[%d].", i++);
		if (!cJSON_IsObject(e))
			return bad(c, "%s: expected an object", where);
		if ((err = get_str(c, e, where, "stage", 1, &stage)) < 0 ||
		    (err = get_str(c, e, where, "message", 1, &message)) < 0 ||
		    (err = get_str(c, e, where, "detail", 0, &detail)) < 0 ||
		    (err = get_i64(c, e, where, "time", 0, &time)) < 0 ||
		    (err = db_error_insert(c->db, run_id, stage, message, detail, time)) < 0)
			return err;
	}
	return 0;
}

static int run_by_uuid(struct bg_db *db, const char *uuid, int *found, int64_t *id)
{
	sqlite3_stmt *s;
	int err;
	if ((err = db_stmt(db, ST_RUN_BY_UUID, &s)) < 0)
		return err;
	db_bind_text(s, 1, uuid);
	int rc = sqlite3_step(s);
	*found = rc == SQLITE_ROW;
	if (id)
		*id = *found ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_reset(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_fail(db, "looking up a run");
}

static int import_run(struct line_ctx *c, const cJSON *j)
{
	struct bg_run_rec r = {0};
	char *env = NULL;
	int64_t commit_id, run_id;
	int found, flag, err;
	if (!cJSON_IsObject(j))
		return bad(c, "expected a JSON object");
	if ((err = get_str(c, j, "", "uuid", 1, (const char **)&r.uuid)) < 0 ||
	    (err = get_str(c, j, "", "kind", 1, (const char **)&r.kind)) < 0)
		return err;
	if (!*r.uuid)
		return bad(c, "\"uuid\": empty");
	if (!db_kind_valid(r.kind))
		return bad(c, "\"kind\": \"%s\" is not ci, nightly or local", r.kind);
	if ((err = run_by_uuid(c->db, r.uuid, &found, NULL)) < 0)
		return err;
	if (found) {
		c->st.runs_present++;
		return 0;
	}
	if ((err = get_bool(c, j, "", "worktree", 0, &flag)) < 0)
		return err;
	r.worktree = flag == 1;
	if ((err = get_str(c, j, "", "tree", 0, (const char **)&r.tree)) < 0 ||
	    (err = get_str(c, j, "", "config_hash", 0, (const char **)&r.config_hash)) < 0 ||
	    (err = get_str(c, j, "", "harness_version", 0, (const char **)&r.harness_version)) <
		    0 ||
	    (err = get_str(c, j, "", "label", 0, (const char **)&r.label)) < 0 ||
	    (err = get_i64(c, j, "", "started", 1, &r.started)) < 0 ||
	    (err = get_i64(c, j, "", "finished", 0, &r.finished)) < 0 ||
	    (err = get_bool(c, j, "", "complete", 1, &flag)) < 0 ||
	    (err = get_str(c, j, "", "status", 1, (const char **)&r.status)) < 0)
		return err;
	r.complete = flag;
	if (r.complete && r.finished <= 0)
		return bad(c, "run %s is complete but has no \"finished\" time", r.uuid);
	if ((err = import_machine(c, j, &r.machine_id)) < 0 ||
	    (err = import_commit(c, j, (const char **)&r.commit_sha, &commit_id)) < 0 ||
	    (err = import_build(c, j, r.machine_id, &r.build_id)) < 0 ||
	    (err = get_json_text(j, "env", &env)) < 0)
		goto done;
	r.env_json = env;
	if ((err = db_run_insert(c->db, &r, commit_id, &run_id)) < 0 ||
	    (err = import_benches(c, j, run_id)) < 0 || (err = import_results(c, j, run_id)) < 0 ||
	    (err = import_tests(c, j, run_id)) < 0 || (err = import_errors(c, j, run_id)) < 0)
		goto done;
	c->st.runs_added++;
done:
	free(env);
	return err;
}

/* A decision line: its runs (by uuid) must be in this database or earlier in the file; it
 * is skipped when a decision of the same kind, time and runs is already here. */
static int import_decision(struct line_ctx *c, const cJSON *j)
{
	static const char *const keys[] = {"base_run", "head_run", "strict_run"};
	static const char exists[] =
		"SELECT 1 FROM decisions WHERE kind = ?1 AND created = ?2 AND base_run_id IS ?3 "
		"AND head_run_id IS ?4 AND strict_run_id IS ?5";
	static const char insert[] =
		"INSERT INTO decisions (kind, base_run_id, head_run_id, strict_run_id, conclusion, "
		"created, decision) VALUES (?1, ?3, ?4, ?5, ?6, ?2, ?7)";
	const char *kind, *conclusion, *uuid;
	int64_t created, ids[3];
	int err, found;
	if ((err = get_str(c, j, "", "kind", 1, &kind)) < 0 ||
	    (err = get_str(c, j, "", "conclusion", 1, &conclusion)) < 0 ||
	    (err = get_i64(c, j, "", "created", 1, &created)) < 0)
		return err;
	if (strcmp(kind, "compare") && strcmp(kind, "ci"))
		return bad(c, "\"kind\": \"%s\" is not compare or ci", kind);
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(j, "decision");
	if (!cJSON_IsObject(d))
		return bad(c, "\"decision\": expected an object");
	for (int k = 0; k < 3; k++) {
		if ((err = get_str(c, j, "", keys[k], 0, &uuid)) < 0)
			return err;
		ids[k] = 0;
		if (!uuid)
			continue;
		if ((err = run_by_uuid(c->db, uuid, &found, &ids[k])) < 0)
			return err;
		if (!found)
			return bad(c, "\"%s\": run %s is neither in this database nor earlier in "
				      "the file",
				   keys[k], uuid);
	}
	sqlite3_stmt *s = NULL;
	const char *what = "importing a decision";
	if (sqlite3_prepare_v2(c->db->h, exists, -1, &s, NULL) != SQLITE_OK)
		return db_fail(c->db, what);
	db_bind_text(s, 1, kind);
	sqlite3_bind_int64(s, 2, created);
	for (int k = 0; k < 3; k++)
		if (ids[k])
			sqlite3_bind_int64(s, 3 + k, ids[k]);
	int rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc == SQLITE_ROW) {
		c->st.decisions_present++;
		return 0;
	}
	if (rc != SQLITE_DONE)
		return db_fail(c->db, what);
	cJSON *copy = cJSON_Duplicate(d, 1);
	char *text = NULL;
	if (!copy || set_decision_ids(copy, ids) < 0 || !(text = cJSON_PrintUnformatted(copy))) {
		cJSON_Delete(copy);
		return bg_error_oom();
	}
	cJSON_Delete(copy);
	if (sqlite3_prepare_v2(c->db->h, insert, -1, &s, NULL) != SQLITE_OK) {
		free(text);
		return db_fail(c->db, what);
	}
	db_bind_text(s, 1, kind);
	sqlite3_bind_int64(s, 2, created);
	for (int k = 0; k < 3; k++)
		if (ids[k])
			sqlite3_bind_int64(s, 3 + k, ids[k]);
	db_bind_text(s, 6, conclusion);
	db_bind_text(s, 7, text);
	err = db_step_done(c->db, s, what);
	sqlite3_finalize(s);
	free(text);
	if (!err)
		c->st.decisions_added++;
	return err;
}

/* 1 when the line holds only white space. */
static int blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
			return 0;
	return 1;
}

int bg_db_import(struct bg_db *db, FILE *in, const char *origin, struct bg_import_stats *st)
{
	struct line_ctx c = {.db = db, .origin = origin ? origin : "(input)"};
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int err;
	if (st)
		memset(st, 0, sizeof(*st));
	/* the whole file in one transaction: all of it is stored, or none */
	if ((err = db_begin(db, "importing runs")) < 0)
		return err;
	while ((len = getline(&line, &cap, in)) >= 0) {
		c.line++;
		c.st.lines++;
		if (blank(line, (size_t)len))
			continue;
		const char *end = NULL;
		/* the length counts getline's NUL so that trailing garbage is an error */
		cJSON *j = cJSON_ParseWithLengthOpts(line, (size_t)len + 1, &end, 1);
		if (!j) {
			size_t col = end && end >= line ? (size_t)(end - line) + 1 : 0;
			err = bad(&c, "not valid JSON (near column %zu)", col);
			goto done;
		}
		const cJSON *rec = cJSON_IsObject(j) ? cJSON_GetObjectItemCaseSensitive(j, "record")
						      : NULL;
		if (!rec || (cJSON_IsString(rec) && !strcmp(rec->valuestring, "run")))
			err = import_run(&c, j);
		else if (cJSON_IsString(rec) && !strcmp(rec->valuestring, "decision"))
			err = import_decision(&c, j);
		else
			err = bad(&c, "\"record\": expected \"run\" or \"decision\"");
		cJSON_Delete(j);
		if (err < 0) {
			/* a failure below the parsing (a benchmark twice in one round, SQLite)
			 * still says which line it was on */
			if (!c.reported)
				bg_error_wrap("%s:%zu", c.origin, c.line);
			goto done;
		}
	}
	if (ferror(in))
		err = bg_error_set(BG_EINFRA, "%s: read failed", c.origin);
done:
	free(line);
	free(c.samples);
	err = db_end(db, err, "importing runs");
	if (err < 0) {
		/* rolled back: nothing was added */
		c.st.runs_added = c.st.runs_present = c.st.samples_added = 0;
		c.st.decisions_added = c.st.decisions_present = 0;
	}
	if (st)
		*st = c.st;
	return err;
}
