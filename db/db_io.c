/* Pooling results of several machines: bg_db_export writes each run as one self-contained
 * JSON line (machine, commit, build summary, results with samples, tests, errors) and
 * bg_db_import merges such lines into a database in one transaction, skipping known runs. */
#include <cjson/cJSON.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bg_buf.h"
#include "bg_db.h"
#include "bg_error.h"
#include "bg_json.h"
#include "bg_strmap.h"
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
static void jw_col_str(struct jw *w, cJSON *obj, const char *key, struct db_sql_stmt *s, int i)
{
	const char *v = db_sql_col_text(s, i);
	jw_add(w, obj, key, v ? cJSON_CreateString(v) : cJSON_CreateNull());
}

/* A double exactly (cJSON writes 15 digits when they read back within an ulp): the
 * shortest decimal that reads back as v; null when not finite, as cJSON writes it. */
static cJSON *jw_double(double v)
{
	char text[BG_DOUBLE_CHARS];
	if (!isfinite(v))
		return cJSON_CreateNull();
	bg_format_double(text, v);
	return cJSON_CreateRaw(text);
}

static void jw_col_num(struct jw *w, cJSON *obj, const char *key, struct db_sql_stmt *s, int i)
{
	jw_add(w, obj, key, jw_double(db_sql_col_double(s, i)));
}

static void jw_col_int(struct jw *w, cJSON *obj, const char *key, struct db_sql_stmt *s, int i)
{
	jw_add(w, obj, key, cJSON_CreateNumber((double)db_sql_col_int64(s, i)));
}

static void jw_col_bool(struct jw *w, cJSON *obj, const char *key, struct db_sql_stmt *s, int i)
{
	jw_add(w, obj, key, cJSON_CreateBool(db_sql_col_int(s, i) != 0));
}

/* A column holding JSON text (env, bench context) embedded as JSON; text that does not
 * parse travels as a string so nothing is lost. */
static void jw_col_json(struct jw *w, cJSON *obj, const char *key, struct db_sql_stmt *s, int i)
{
	const char *v = db_sql_col_text(s, i);
	cJSON *j = NULL;
	if (!v)
		j = cJSON_CreateNull();
	else if (!(j = cJSON_Parse(v)))
		j = cJSON_CreateString(v);
	jw_add(w, obj, key, j);
}

/* How an exported member reads its column. */
enum jw_kind {
	JW_STR,          /* text, or null */
	JW_INT,          /* integer */
	JW_NUM,          /* double */
	JW_BOOL_OR_NULL, /* 0/1 as false/true, NULL as null */
	JW_JSON,         /* JSON text embedded (jw_col_json) */
};

/* One member of an exported row: its key, how it reads, its column. */
struct jw_col {
	const char *key;
	enum jw_kind kind;
	int col;
};

static void jw_cols(struct jw *w, cJSON *o, struct db_sql_stmt *s, const struct jw_col *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		switch (c[i].kind) {
		case JW_STR: jw_col_str(w, o, c[i].key, s, c[i].col); break;
		case JW_INT: jw_col_int(w, o, c[i].key, s, c[i].col); break;
		case JW_NUM: jw_col_num(w, o, c[i].key, s, c[i].col); break;
		case JW_JSON: jw_col_json(w, o, c[i].key, s, c[i].col); break;
		case JW_BOOL_OR_NULL:
			if (db_sql_col_is_null(s, c[i].col))
				jw_add(w, o, c[i].key, cJSON_CreateNull());
			else
				jw_col_bool(w, o, c[i].key, s, c[i].col);
			break;
		}
	}
}

/* An array of rows under a run (or a suite): one object per row of stmt, ?1 bound to the
 * parent's id. */
struct jw_rows {
	const char *key;      /* the array's member name */
	enum db_stmt_id stmt; /* the rows */
	const struct jw_col *cols;
	size_t n_cols;
	const char *what; /* "exporting errors", for a failed step */
	/* adds what a row holds besides its columns (its own rows); NULL: nothing */
	int (*nested)(struct bg_db *db, struct jw *w, cJSON *o, struct db_sql_stmt *s);
};

static int export_rows(struct bg_db *db, struct jw *w, cJSON *parent, const struct jw_rows *r,
		       int64_t id)
{
	struct db_sql_stmt *s;
	int err, rc;
	cJSON *arr = jw_check(w, cJSON_CreateArray());
	jw_add(w, parent, r->key, arr);
	if ((err = db_stmt(db, r->stmt, &s)) < 0)
		return err;
	db_sql_bind_int64(s, 1, id);
	while ((rc = db_sql_step(s, r->what)) == 1 && !w->oom) {
		cJSON *o = jw_check(w, cJSON_CreateObject());
		jw_add_to_array(w, arr, o);
		jw_cols(w, o, s, r->cols, r->n_cols);
		if (r->nested && (err = r->nested(db, w, o, s)) < 0)
			return err;
	}
	if (rc < 0)
		return rc;
	db_sql_reset(s);
	return 0;
}

#define JW_ROWS(key, stmt, cols, what, nested)                                                     \
	{                                                                                          \
		key, stmt, cols, BG_COUNTOF(cols), what, nested                                    \
	}

/* A result's samples, in order (column 0 of the result row is its id). */
static int export_samples(struct bg_db *db, struct jw *w, cJSON *r, struct db_sql_stmt *s)
{
	struct db_sql_stmt *ss;
	int err, rc;
	cJSON *samples = jw_check(w, cJSON_CreateArray());
	jw_add(w, r, "samples", samples);
	if ((err = db_stmt(db, ST_SAMPLES_OF_RESULT, &ss)) < 0)
		return err;
	db_sql_bind_int64(ss, 1, db_sql_col_int64(s, 0));
	while ((rc = db_sql_step(ss, "exporting samples")) == 1 && !w->oom)
		jw_add_to_array(w, samples, jw_double(db_sql_col_double(ss, 0)));
	if (rc < 0)
		return rc;
	db_sql_reset(ss);
	return 0;
}

static const struct jw_col result_cols[] = {
	{"benchmark", JW_STR, 2},
	{"params", JW_STR, 3},
	{"metric", JW_STR, 4},
	{"mode", JW_STR, 5},
	{"round", JW_INT, 6},
	{"kernel", JW_STR, 7},
	{"checked", JW_BOOL_OR_NULL, 8},
	{"skipped", JW_STR, 9},
	{"iterations", JW_INT, 10},
	{"elements", JW_NUM, 11},
	{"bytes", JW_NUM, 12},
};
static const struct jw_col suite_cols[] = {
	{"suite", JW_STR, 1},   {"passed", JW_INT, 2},  {"failed", JW_INT, 3},
	{"skipped", JW_INT, 4}, {"errored", JW_INT, 5},
};
static const struct jw_col case_cols[] = {
	{"name", JW_STR, 0},   {"classname", JW_STR, 1}, {"outcome", JW_STR, 2},
	{"time_s", JW_NUM, 3}, {"message", JW_STR, 4},
};
static const struct jw_col error_cols[] = {
	{"stage", JW_STR, 0},
	{"message", JW_STR, 1},
	{"detail", JW_STR, 2},
	{"time", JW_INT, 3},
};
static const struct jw_col bench_cols[] = {
	{"round", JW_INT, 0},  {"mode", JW_STR, 1},     {"params", JW_STR, 2},
	{"format", JW_STR, 3}, {"context", JW_JSON, 4},
};

/* A suite's cases (column 0 of the suite row is its id). */
static int export_cases(struct bg_db *db, struct jw *w, cJSON *t, struct db_sql_stmt *s)
{
	static const struct jw_rows cases =
		JW_ROWS("cases", ST_CASES_OF_SUITE, case_cols, "exporting test cases", NULL);
	return export_rows(db, w, t, &cases, db_sql_col_int64(s, 0));
}

/* The arrays of a run, in the order of its JSON. */
static const struct jw_rows run_arrays[] = {
	JW_ROWS("benches", ST_BENCH_OUTPUTS_OF_RUN, bench_cols, "exporting bench contexts", NULL),
	JW_ROWS("results", ST_RESULTS_OF_RUN, result_cols, "exporting results", export_samples),
	JW_ROWS("tests", ST_SUITES_OF_RUN, suite_cols, "exporting test suites", export_cases),
	JW_ROWS("errors", ST_ERRORS_OF_RUN, error_cols, "exporting errors", NULL),
};

/* One row of ST_EXPORT_RUNS as the run's JSON object. */
static int export_run(struct bg_db *db, struct db_sql_stmt *s, cJSON **out)
{
	struct jw w = {0};
	int64_t run_id = db_sql_col_int64(s, 0);
	int err = 0;
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
	if (db_sql_col_is_null(s, 19)) {
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
	if (!db_sql_col_is_null(s, 35)) /* the fleet's pool, only when a claim made the run */
		jw_col_str(&w, run, "pool", s, 35);

	for (size_t i = 0; i < BG_COUNTOF(run_arrays); i++)
		if ((err = export_rows(db, &w, run, &run_arrays[i], run_id)) < 0)
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

static int put_line(struct bg_db *db, FILE *out, cJSON *o, const char *what)
{
	char *text = cJSON_PrintUnformatted(o);
	if (!text)
		return bg_error_oom();
	int bad = fputs(text, out) == EOF || putc('\n', out) == EOF;
	free(text);
	return bad ? bg_error_set(BG_EINFRA, "%s: %s: write failed", db->path, what) : 0;
}

/* The stored decision in column i with its ids zeroed, parsed for the export line.
 * Decisions name their runs by uuid. The stored decision JSON (reports/ writes it) holds
 * this database's ids; db/ does not read that schema, so the reports side's decision_ids
 * (bg_db_decision_ids_fn) writes them as 0 here and as the importing database's ids there,
 * and an export is the same from every database that holds the same records. */
static int exported_decision(struct bg_db *db, struct db_sql_stmt *s, int i,
			     bg_db_decision_ids_fn decision_ids, cJSON **out)
{
	const char *text = db_sql_col_text(s, i);
	char *zeroed = NULL;
	*out = NULL;
	int err = text ? decision_ids(&zeroed, text, 0, 0, 0, NULL, 0) : BG_EINPUT;
	if (err == BG_ENOMEM)
		return err;
	if (err == 0)
		*out = cJSON_Parse(zeroed);
	free(zeroed);
	if (!*out)
		return bg_error_set(BG_EDB,
				    "%s: exporting decisions: a stored decision is not "
				    "valid JSON",
				    db->path);
	return 0;
}

/* A decision's modes as [{"name", "run": uuid or null}], in their order. */
static cJSON *exported_modes(struct bg_db *db, struct jw *w, int64_t decision_id, int *err)
{
	static const char sql[] = "SELECT m.name, r.uuid FROM decision_modes m LEFT JOIN runs r "
				  "ON r.id = m.run_id WHERE m.decision_id = ?1 ORDER BY m.position";
	struct db_sql_stmt *s = NULL;
	int rc;
	cJSON *a = jw_check(w, cJSON_CreateArray());
	if ((rc = db_sql_prepare(db->sql, sql, 0, &s, "exporting a decision's modes")) < 0) {
		*err = rc;
		return a;
	}
	db_sql_bind_int64(s, 1, decision_id);
	while ((rc = db_sql_step(s, "exporting a decision's modes")) == 1) {
		cJSON *m = jw_check(w, cJSON_CreateObject());
		jw_col_str(w, m, "name", s, 0);
		jw_col_str(w, m, "run", s, 1);
		jw_add_to_array(w, a, m);
	}
	if (rc < 0)
		*err = rc;
	db_sql_finalize(s);
	return a;
}

static int export_decisions(struct bg_db *db, FILE *out, int64_t since,
			    bg_db_decision_ids_fn decision_ids, size_t *count)
{
	static const char sql[] =
		"SELECT d.kind, rb.uuid, rh.uuid, d.id, d.conclusion, d.created, d.decision "
		"FROM decisions d LEFT JOIN runs rb ON rb.id = d.base_run_id "
		"LEFT JOIN runs rh ON rh.id = d.head_run_id WHERE d.created >= ?1 "
		"ORDER BY d.created, rh.uuid, rb.uuid, d.kind, d.id";
	const char *what = "exporting decisions";
	struct db_sql_stmt *s = NULL;
	int err = 0, rc = 0;
	if ((err = db_sql_prepare(db->sql, sql, 0, &s, what)) < 0)
		return err;
	db_sql_bind_int64(s, 1, since);
	while (!err && (rc = db_sql_step(s, what)) == 1) {
		struct jw w = {0};
		cJSON *d;
		if ((err = exported_decision(db, s, 6, decision_ids, &d)) < 0)
			break;
		cJSON *o = jw_check(&w, cJSON_CreateObject());
		if (o) {
			jw_add(&w, o, "record", cJSON_CreateString("decision"));
			jw_col_str(&w, o, "kind", s, 0);
			jw_col_str(&w, o, "base_run", s, 1);
			jw_col_str(&w, o, "head_run", s, 2);
			jw_add(&w, o, "mode_runs",
			       exported_modes(db, &w, db_sql_col_int64(s, 3), &err));
			jw_col_str(&w, o, "conclusion", s, 4);
			jw_col_int(&w, o, "created", s, 5);
			jw_add(&w, o, "decision", d);
		} else {
			cJSON_Delete(d);
		}
		if (!err)
			err = w.oom ? bg_error_oom() : put_line(db, out, o, what);
		cJSON_Delete(o);
		if (!err)
			(*count)++;
	}
	if (!err && rc < 0)
		err = rc;
	db_sql_finalize(s);
	return err;
}

int bg_db_export(struct bg_db *db, FILE *out, int64_t since, bg_db_decision_ids_fn decision_ids,
		 size_t *n_runs, size_t *n_decisions)
{
	const char *what = "exporting runs";
	size_t count = 0, decisions = 0;
	struct db_sql_stmt *s;
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
	db_sql_bind_int64(s, 1, since);
	while ((rc = db_sql_step(s, what)) == 1) {
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
	if (rc < 0)
		err = rc;
	else if ((err = export_decisions(db, out, since, decision_ids, &decisions)) < 0)
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

/* A set of strings, each with its index in the order added: a map and the keys it
 * borrows. */
struct key_set {
	struct bg_strmap map;
	char **keys; /* malloc'd */
	size_t n, cap;
};

static void key_set_clear(struct key_set *k)
{
	for (size_t i = 0; i < k->n; i++)
		free(k->keys[i]);
	free(k->keys);
	bg_strmap_free(&k->map);
	*k = (struct key_set){0};
}

/* key's index in k into *at, added when new (then *added is 1). 0 or BG_ENOMEM. */
static int key_set_add(struct key_set *k, const char *key, size_t *at, int *added)
{
	char *copy;
	int err;
	*added = 0;
	if (bg_strmap_get(&k->map, key, at))
		return 0;
	if ((err = bg_grow((void **)&k->keys, &k->cap, k->n, sizeof(*k->keys), 64)) < 0)
		return err;
	if (!(copy = bg_strdup(key)))
		return BG_ENOMEM;
	if ((err = bg_strmap_put(&k->map, copy, k->n)) < 0) {
		free(copy);
		return err;
	}
	k->keys[k->n] = copy;
	*at = k->n++;
	*added = 1;
	return 0;
}

/* The series ids an import has looked up or stored, so that each series costs one statement
 * per import rather than one per result (a round trip each on PostgreSQL); the key is the
 * four names, each after its length. Valid for the import's transaction only. */
struct series_ids {
	struct key_set names;
	int64_t *ids; /* names.cap of them, names.n in use */
};

static void series_ids_free(struct series_ids *t)
{
	key_set_clear(&t->names);
	free(t->ids);
}

static int series_id_cached(struct bg_db *db, struct series_ids *t, const char *const names[4],
			    int64_t *id)
{
	struct bg_buf key = BG_BUF_INIT;
	size_t at, cap = t->names.cap;
	int added = 0, err = 0;
	for (int i = 0; i < 4 && err == 0; i++)
		err = bg_buf_printf(&key, "%zu:%s", strlen(names[i]), names[i]);
	if (err == 0)
		err = key_set_add(&t->names, key.ptr, &at, &added);
	bg_buf_free(&key);
	if (err == 0 && t->names.cap != cap) { /* ids grows with the names */
		int64_t *ids = realloc(t->ids, t->names.cap * sizeof(*ids));
		err = ids ? 0 : bg_error_oom();
		t->ids = ids ? ids : t->ids;
	}
	if (err < 0)
		return err; /* the import fails and rolls back: the cache goes with it */
	if (!added) {
		*id = t->ids[at];
		return 0;
	}
	if ((err = db_series_id(db, names[0], names[1], names[2], names[3], id)) < 0)
		return err;
	t->ids[at] = *id;
	return 0;
}

struct line_ctx {
	struct bg_db *db;
	const char *origin;
	size_t line;
	char where[PATH_MAX + 32]; /* "ORIGIN:LINE", the origin of the line's messages */
	struct bg_json_at at; /* the line's top level */
	struct bg_import_stats st;
	double *samples; /* one result's samples, reused from result to result */
	size_t samples_cap;
	/* the rows of results, samples and test_cases, sent in bulk (samples after their
	 * results), all stored before the commit */
	struct db_sql_bulk *result_rows, *sample_rows, *case_rows;
	struct series_ids series; /* the ids of the series the import has met */
	/* the run's: its results' ids (drawn at once), how many used; its (series, round)
	 * pairs, each allowed once */
	int64_t *ids;
	size_t n_ids, ids_used, ids_cap;
	struct key_set run_results;
	bg_db_decision_ids_fn decision_ids;
};

/* The typed getters of bg_json.h, for a member that may be absent (or null) unless required;
 * strings are borrowed from the JSON. */
static enum bg_json_need need(int required)
{
	return required ? BG_JSON_REQUIRED : BG_JSON_NULLABLE;
}

static int get_str(const struct bg_json_at *at, const cJSON *o, const char *key, int required,
		   const char **out)
{
	*out = NULL;
	int rc = bg_json_get_string(at, o, key, need(required), out);
	return rc < 0 ? rc : 0;
}

/* Every number is read in the range its field allows (0 when absent), so no file can make a
 * conversion out of range or store what no run could have measured. */

/* A finite number in [lo, hi]. */
static int get_num(const struct bg_json_at *at, const cJSON *o, const char *key, int required,
		   double lo, double hi, double *out)
{
	*out = 0;
	int rc = bg_json_get_number(at, o, key, need(required), lo, hi, out);
	return rc < 0 ? rc : 0;
}

/* A whole number in [lo, hi], and within what a double holds exactly (2^53). */
static int get_i64(const struct bg_json_at *at, const cJSON *o, const char *key, int required,
		   int64_t lo, int64_t hi, int64_t *out)
{
	*out = 0;
	int rc = bg_json_get_integer(at, o, key, need(required), lo, hi, out);
	return rc < 0 ? rc : 0;
}

/* A count or an index held in an int: a whole number in [0, INT_MAX]. */
static int get_count(const struct bg_json_at *at, const cJSON *o, const char *key, int required,
		     int *out)
{
	int64_t v;
	int rc = get_i64(at, o, key, required, 0, INT_MAX, &v);
	*out = (int)v; /* 0 or in range */
	return rc;
}

/* Times (Unix seconds), ids: any whole number a double holds exactly. */
#define ANY_I64 INT64_MIN, INT64_MAX
/* Durations, sizes, work per iteration: finite and not negative. */
#define NONNEG 0.0, HUGE_VAL

/* A boolean: 1 or 0, or -1 when null or absent and optional. */
static int get_bool(const struct bg_json_at *at, const cJSON *o, const char *key, int required,
		    int *out)
{
	*out = -1;
	int rc = bg_json_get_bool(at, o, key, need(required), out);
	return rc < 0 ? rc : 0;
}

/* An array member; absent or null reads as empty (*out NULL). */
static int get_arr(const struct bg_json_at *at, const cJSON *o, const char *key, const cJSON **out,
		   struct bg_json_at *sub)
{
	int rc = bg_json_get_array(at, o, key, BG_JSON_NULLABLE, out, sub);
	return rc < 0 ? rc : 0;
}

/* JSON to store as text (env, bench context): a string as is, any other value printed
 * compactly, as export parsed it. *out is malloc'd or NULL. */
static int get_json_text(const cJSON *o, const char *key, char **out)
{
	const cJSON *v = bg_json_member(o, key);
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
	struct bg_json_at at;
	struct bg_machine_rec m = {0};
	int err = bg_json_get_object(&c->at, run, "machine", BG_JSON_REQUIRED, &o, &at);
	if (err < 0 ||
	    (err = get_str(&at, o, "fingerprint", 1, (const char **)&m.fingerprint)) < 0 ||
	    (err = get_str(&at, o, "hostname", 0, (const char **)&m.hostname)) < 0 ||
	    (err = get_str(&at, o, "cpu", 0, (const char **)&m.cpu)) < 0 ||
	    (err = get_str(&at, o, "flags", 0, (const char **)&m.flags)) < 0 ||
	    (err = get_count(&at, o, "cores", 0, &m.cores)) < 0 ||
	    (err = get_i64(&at, o, "mem_bytes", 0, 0, INT64_MAX, &m.mem_bytes)) < 0 ||
	    (err = get_str(&at, o, "os", 0, (const char **)&m.os)) < 0 ||
	    (err = get_str(&at, o, "gpu", 0, (const char **)&m.gpu)) < 0)
		return err;
	return db_machine_upsert(c->db, &m, id);
}

static int import_commit(struct line_ctx *c, const cJSON *run, const char **sha, int64_t *id)
{
	const cJSON *o;
	struct bg_json_at at;
	struct bg_commit_rec r = {0};
	int err = bg_json_get_object(&c->at, run, "commit", BG_JSON_REQUIRED, &o, &at);
	if (err < 0 || (err = get_str(&at, o, "sha", 1, (const char **)&r.sha)) < 0 ||
	    (err = get_str(&at, o, "tree", 0, (const char **)&r.tree)) < 0 ||
	    (err = get_str(&at, o, "parent", 0, (const char **)&r.parent)) < 0 ||
	    (err = get_str(&at, o, "subject", 0, (const char **)&r.subject)) < 0 ||
	    (err = get_str(&at, o, "author", 0, (const char **)&r.author)) < 0 ||
	    (err = get_i64(&at, o, "time", 0, ANY_I64, &r.time)) < 0)
		return err;
	if (!*r.sha)
		return bg_json_at_fail(&c->at, "commit.sha: empty");
	*sha = r.sha;
	return db_commit_upsert(c->db, &r, id);
}

/* A build as the export wrote it; NULL *o when the run has none. */
static int read_build(struct line_ctx *c, const cJSON *run, struct bg_build_rec *b, const cJSON **o)
{
	struct bg_json_at at;
	int err = bg_json_get_object(&c->at, run, "build", BG_JSON_NULLABLE, o, &at);
	if (err <= 0)
		return err;
	if ((err = get_str(&at, *o, "tree", 1, (const char **)&b->tree)) < 0 ||
	    (err = get_str(&at, *o, "config_hash", 1, (const char **)&b->config_hash)) < 0 ||
	    (err = get_str(&at, *o, "status", 1, (const char **)&b->status)) < 0 ||
	    (err = get_num(&at, *o, "duration_s", 0, NONNEG, &b->duration_s)) < 0 ||
	    (err = get_str(&at, *o, "binary_hash", 0, (const char **)&b->binary_hash)) < 0 ||
	    (err = get_str(&at, *o, "log_tail", 0, (const char **)&b->log_tail)) < 0 ||
	    (err = get_i64(&at, *o, "created", 0, ANY_I64, &b->created)) < 0)
		return err;
	return 0;
}

/* The run's build, found by (machine, tree, config hash) or stored without a directory;
 * *id 0 when the run has none. */
static int import_build(struct line_ctx *c, const cJSON *run, int64_t machine_id, int64_t *id)
{
	const cJSON *o;
	struct bg_build_rec b = {0};
	int found, err;
	*id = 0;
	if ((err = read_build(c, run, &b, &o)) < 0 || !o)
		return err;
	struct bg_build_rec have;
	if ((err = bg_db_build_find(c->db, machine_id, b.tree, b.config_hash, &have, &found)) < 0)
		return err;
	if (found) {
		*id = have.id;
		bg_db_build_clear(&have);
		return 0;
	}
	struct db_sql_stmt *s;
	if ((err = db_stmt(c->db, ST_BUILD_UPSERT, &s)) < 0)
		return err;
	db_sql_bind_int64(s, 1, machine_id);
	db_sql_bind_text(s, 2, b.tree);
	db_sql_bind_text(s, 3, b.config_hash);
	db_sql_bind_text(s, 4, b.status);
	db_sql_bind_double(s, 5, b.duration_s);
	db_sql_bind_text(s, 6, b.log_tail);
	db_sql_bind_text(s, 7, b.binary_hash);
	db_sql_bind_null(s, 8); /* no directory here */
	db_sql_bind_int64(s, 9, b.created);
	db_sql_bind_int64(s, 10, b.created);
	db_sql_bind_int64(s, 11, 0);
	return db_step_id(c->db, s, "importing a build", id);
}

/* Calls each(c, element, its cursor, run_id) for every object in the run's array key
 * (absent or null: none). */
typedef int (*element_fn)(struct line_ctx *c, const cJSON *e, const struct bg_json_at *at,
			  int64_t run_id);

static int import_each(struct line_ctx *c, const cJSON *run, const char *key, int64_t run_id,
		       element_fn each)
{
	const cJSON *arr, *e;
	struct bg_json_at at;
	size_t i = 0;
	int err = get_arr(&c->at, run, key, &arr, &at);
	if (err < 0)
		return err;
	cJSON_ArrayForEach(e, arr)
	{
		struct bg_json_at eat;
		bg_json_at_index(&eat, &at, i++);
		if ((err = bg_json_want_object(&eat, e)) < 0 ||
		    (err = each(c, e, &eat, run_id)) < 0)
			return err;
	}
	return 0;
}

static int import_bench(struct line_ctx *c, const cJSON *b, const struct bg_json_at *at,
			int64_t run_id)
{
	const char *mode, *params, *format;
	char *context = NULL;
	int64_t round;
	int err;
	if ((err = get_i64(at, b, "round", 1, 0, INT_MAX, &round)) < 0 ||
	    (err = get_str(at, b, "mode", 1, &mode)) < 0 ||
	    (err = get_str(at, b, "params", 0, &params)) < 0 ||
	    (err = get_str(at, b, "format", 0, &format)) < 0 ||
	    (err = get_json_text(b, "context", &context)) < 0)
		return err;
	err = db_bench_output_insert(c->db, run_id, round, mode, params ? params : "", format,
				     context);
	free(context);
	return err;
}

/* A result's samples into c->samples; *n their count. */
static int read_samples(struct line_ctx *c, const cJSON *r, const struct bg_json_at *at, size_t *n)
{
	const cJSON *samples, *v;
	struct bg_json_at sat;
	int err = get_arr(at, r, "samples", &samples, &sat);
	*n = 0;
	if (err < 0)
		return err;
	cJSON_ArrayForEach(v, samples)
	{
		struct bg_json_at vat;
		bg_json_at_index(&vat, &sat, *n);
		if (bg_json_want_number(&vat, v, -HUGE_VAL, HUGE_VAL, &(double){0}) < 0)
			return BG_EINPUT;
		if (bg_grow((void **)&c->samples, &c->samples_cap, *n, sizeof(*c->samples), 256) <
		    0)
			return BG_ENOMEM;
		c->samples[(*n)++] = v->valuedouble;
	}
	return 0;
}

/* The ids of the run's results, one for each element of its results (drawn in one go: a
 * round trip per run on PostgreSQL rather than one per result); a fresh set of (series,
 * round) pairs. */
static int draw_result_ids(struct line_ctx *c, const cJSON *run)
{
	const cJSON *results = bg_json_member(run, "results");
	size_t n = cJSON_IsArray(results) ? (size_t)cJSON_GetArraySize(results) : 0;
	key_set_clear(&c->run_results);
	c->n_ids = c->ids_used = 0;
	if (n > c->ids_cap) {
		int64_t *ids = realloc(c->ids, n * sizeof(*ids));
		if (!ids)
			return bg_error_oom();
		c->ids = ids;
		c->ids_cap = n;
	}
	c->n_ids = n;
	return db_sql_bulk_ids(c->result_rows, n, c->ids);
}

/* The next of the run's result ids for row, BG_EINPUT when its (series, round) came before
 * in the run (the UNIQUE key, which the bulk insert would only meet when it sends). */
static int result_id_for(struct line_ctx *c, const struct db_result_row *row, const char *benchmark,
			 int64_t *id)
{
	char key[48];
	size_t at;
	int added, err;
	snprintf(key, sizeof(key), "%lld:%lld", (long long)row->series_id, (long long)row->round);
	if ((err = key_set_add(&c->run_results, key, &at, &added)) < 0)
		return err;
	if (!added)
		return db_result_twice(c->db, row, benchmark);
	if (c->ids_used >= c->n_ids)
		return bg_error_set(BG_EDB, "%s: storing results of run %lld: no id left",
				    c->db->path, (long long)row->run_id);
	*id = c->ids[c->ids_used++];
	return 0;
}

static int import_result(struct line_ctx *c, const cJSON *r, const struct bg_json_at *at,
			 int64_t run_id)
{
	const char *benchmark, *params, *metric, *mode;
	struct db_result_row row = {.run_id = run_id};
	int64_t result_id = 0;
	size_t n;
	int err;
	if ((err = get_str(at, r, "benchmark", 1, &benchmark)) < 0 ||
	    (err = get_str(at, r, "params", 0, &params)) < 0 ||
	    (err = get_str(at, r, "metric", 1, &metric)) < 0 ||
	    (err = get_str(at, r, "mode", 1, &mode)) < 0 ||
	    (err = get_i64(at, r, "round", 1, 0, INT_MAX, &row.round)) < 0 ||
	    (err = get_str(at, r, "kernel", 0, &row.kernel)) < 0 ||
	    (err = get_bool(at, r, "checked", 0, &row.checked)) < 0 ||
	    (err = get_str(at, r, "skipped", 0, &row.skipped)) < 0 ||
	    (err = get_i64(at, r, "iterations", 0, 0, INT64_MAX, &row.iterations)) < 0 ||
	    (err = get_num(at, r, "elements", 0, NONNEG, &row.elements)) < 0 ||
	    (err = get_num(at, r, "bytes", 0, NONNEG, &row.bytes)) < 0 ||
	    (err = read_samples(c, r, at, &n)) < 0)
		return err;
	const char *names[4] = {benchmark, params ? params : "", metric, mode};
	if ((err = series_id_cached(c->db, &c->series, names, &row.series_id)) < 0 ||
	    (err = result_id_for(c, &row, benchmark, &result_id)) < 0 ||
	    (err = db_result_row(c->result_rows, result_id, &row)) < 0 ||
	    (err = db_samples_insert(c->sample_rows, result_id, c->samples, n)) < 0)
		return err;
	c->st.samples_added += n;
	return 0;
}

/* One test case; its strings are borrowed from the JSON. */
static int read_case(struct line_ctx *c, const cJSON *tc, const struct bg_json_at *at,
		     struct bg_test_case *tcase)
{
	const char *outcome;
	int err;
	if ((err = bg_json_want_object(at, tc)) < 0 ||
	    (err = get_str(at, tc, "name", 1, (const char **)&tcase->name)) < 0 ||
	    (err = get_str(at, tc, "classname", 0, (const char **)&tcase->classname)) < 0 ||
	    (err = get_str(at, tc, "outcome", 1, &outcome)) < 0 ||
	    (err = get_num(at, tc, "time_s", 0, NONNEG, &tcase->time_s)) < 0 ||
	    (err = get_str(at, tc, "message", 0, (const char **)&tcase->message)) < 0)
		return err;
	int o = bg_outcome_parse(outcome);
	if (o < 0)
		return bg_json_at_fail(&c->at, "%s.outcome: unknown outcome \"%s\"", at->path,
				       outcome);
	tcase->outcome = (enum bg_outcome)o;
	return 0;
}

static int import_suite(struct line_ctx *c, const cJSON *t, const struct bg_json_at *at,
			int64_t run_id)
{
	const cJSON *cases, *tc;
	struct bg_json_at cat;
	struct bg_test_suite suite = {0};
	int err;
	if ((err = get_str(at, t, "suite", 1, (const char **)&suite.suite)) < 0 ||
	    (err = get_count(at, t, "passed", 0, &suite.passed)) < 0 ||
	    (err = get_count(at, t, "failed", 0, &suite.failed)) < 0 ||
	    (err = get_count(at, t, "skipped", 0, &suite.skipped)) < 0 ||
	    (err = get_count(at, t, "errored", 0, &suite.errored)) < 0 ||
	    (err = get_arr(at, t, "cases", &cases, &cat)) < 0)
		return err;
	suite.n = (size_t)cJSON_GetArraySize(cases);
	suite.cases = suite.n ? calloc(suite.n, sizeof(*suite.cases)) : NULL;
	if (suite.n && !suite.cases)
		return bg_error_oom();
	size_t k = 0;
	cJSON_ArrayForEach(tc, cases)
	{
		struct bg_json_at tat;
		bg_json_at_index(&tat, &cat, k);
		if ((err = read_case(c, tc, &tat, &suite.cases[k++])) < 0)
			break;
	}
	if (err == 0)
		err = db_suite_insert(c->db, c->case_rows, run_id, &suite);
	/* the strings were borrowed from the JSON: free only the array */
	free(suite.cases);
	return err;
}

static int import_error(struct line_ctx *c, const cJSON *e, const struct bg_json_at *at,
			int64_t run_id)
{
	const char *stage, *message, *detail;
	int64_t time;
	int err;
	if ((err = get_str(at, e, "stage", 1, &stage)) < 0 ||
	    (err = get_str(at, e, "message", 1, &message)) < 0 ||
	    (err = get_str(at, e, "detail", 0, &detail)) < 0 ||
	    (err = get_i64(at, e, "time", 0, ANY_I64, &time)) < 0)
		return err;
	return db_error_insert(c->db, run_id, stage, message, detail, time);
}

static int run_by_uuid(struct bg_db *db, const char *uuid, int *found, int64_t *id)
{
	struct db_sql_stmt *s;
	int err;
	if ((err = db_stmt(db, ST_RUN_BY_UUID, &s)) < 0)
		return err;
	db_sql_bind_text(s, 1, uuid);
	int rc = db_sql_step(s, "looking up a run");
	*found = rc == 1;
	if (id)
		*id = *found ? db_sql_col_int64(s, 0) : 0;
	db_sql_reset(s);
	return rc < 0 ? rc : 0;
}

/* The run's own fields, strings borrowed from the JSON. */
static int read_run(struct line_ctx *c, const cJSON *j, struct bg_run_rec *r)
{
	const struct bg_json_at *at = &c->at;
	int flag, err;
	if ((err = get_bool(at, j, "worktree", 0, &flag)) < 0)
		return err;
	r->worktree = flag == 1;
	if ((err = get_str(at, j, "tree", 0, (const char **)&r->tree)) < 0 ||
	    (err = get_str(at, j, "config_hash", 0, (const char **)&r->config_hash)) < 0 ||
	    (err = get_str(at, j, "harness_version", 0, (const char **)&r->harness_version)) < 0 ||
	    (err = get_str(at, j, "label", 0, (const char **)&r->label)) < 0 ||
	    (err = get_i64(at, j, "started", 1, ANY_I64, &r->started)) < 0 ||
	    (err = get_i64(at, j, "finished", 0, ANY_I64, &r->finished)) < 0 ||
	    (err = get_bool(at, j, "complete", 1, &flag)) < 0 ||
	    (err = get_str(at, j, "status", 1, (const char **)&r->status)) < 0)
		return err;
	r->complete = flag;
	if (r->complete && r->finished <= 0)
		return bg_json_at_fail(&c->at, "run %s is complete but has no \"finished\" time",
				       r->uuid);
	return 0;
}

/* The run's uuid and kind; *found when the run is here already. */
static int read_run_key(struct line_ctx *c, const cJSON *j, struct bg_run_rec *r, int *found)
{
	int err;
	if ((err = bg_json_want_object(&c->at, j)) < 0 ||
	    (err = get_str(&c->at, j, "uuid", 1, (const char **)&r->uuid)) < 0 ||
	    (err = get_str(&c->at, j, "kind", 1, (const char **)&r->kind)) < 0)
		return err;
	if (!*r->uuid)
		return bg_json_at_fail(&c->at, "uuid: empty");
	if (!db_kind_valid(r->kind))
		return bg_json_at_fail(&c->at, "kind: \"%s\" is not ci, nightly or local", r->kind);
	return run_by_uuid(c->db, r->uuid, found, NULL);
}

/* The run's pool (bitgate nightly --claim), when the line names one. */
static int import_run_pool(struct line_ctx *c, const cJSON *j, int64_t run_id)
{
	const char *pool = NULL;
	struct db_sql_stmt *s = NULL;
	int err = get_str(&c->at, j, "pool", 0, &pool);
	if (err < 0 || !pool)
		return err;
	if ((err = db_sql_prepare(c->db->sql, "UPDATE runs SET pool = ?2 WHERE id = ?1", 0, &s,
				  "storing a run's pool")) == 0) {
		db_sql_bind_int64(s, 1, run_id);
		db_sql_bind_text(s, 2, pool);
		err = db_step_done(c->db, s, "storing a run's pool");
	}
	db_sql_finalize(s);
	return err;
}

static int import_run(struct line_ctx *c, const cJSON *j)
{
	struct bg_run_rec r = {0};
	char *env = NULL;
	int64_t commit_id, run_id;
	int found = 0, err;
	if ((err = read_run_key(c, j, &r, &found)) < 0)
		return err;
	if (found) {
		c->st.runs_present++;
		return 0;
	}
	if ((err = read_run(c, j, &r)) < 0 || (err = import_machine(c, j, &r.machine_id)) < 0 ||
	    (err = import_commit(c, j, (const char **)&r.commit_sha, &commit_id)) < 0 ||
	    (err = import_build(c, j, r.machine_id, &r.build_id)) < 0 ||
	    (err = get_json_text(j, "env", &env)) < 0)
		goto done;
	r.env_json = env;
	if ((err = db_run_insert(c->db, &r, commit_id, &run_id)) < 0 ||
	    (err = import_run_pool(c, j, run_id)) < 0 ||
	    (err = import_each(c, j, "benches", run_id, import_bench)) < 0 ||
	    (err = draw_result_ids(c, j)) < 0 ||
	    (err = import_each(c, j, "results", run_id, import_result)) < 0 ||
	    (err = import_each(c, j, "tests", run_id, import_suite)) < 0 ||
	    (err = import_each(c, j, "errors", run_id, import_error)) < 0)
		goto done;
	c->st.runs_added++;
done:
	free(env);
	return err;
}

/* A run a decision line names by uuid (at key of o, at at), as this database's id (0: none
 * named); it must be in this database or earlier in the file. */
static int decision_run(struct line_ctx *c, const struct bg_json_at *at, const cJSON *o,
			const char *key, int64_t *id)
{
	const char *uuid;
	int err, found;
	*id = 0;
	if ((err = get_str(at, o, key, 0, &uuid)) < 0 || !uuid)
		return err;
	if ((err = run_by_uuid(c->db, uuid, &found, id)) < 0)
		return err;
	if (!found)
		return bg_json_at_fail(at,
				       "%s: run %s is neither in this database nor earlier in "
				       "the file",
				       key, uuid);
	return 0;
}

/* A decision line's runs: base, head, and each mode's ("mode_runs": [{"name", "run"}]; a
 * line exported before modes were general has "strict_run", the mode "strict"). */
struct decision_runs {
	int64_t base, head;
	struct bg_db_mode_run modes[16];
	int64_t mode_ids[16];
	size_t n_modes;
};

static int decision_modes(struct line_ctx *c, const cJSON *j, struct decision_runs *r)
{
	const cJSON *a, *m;
	struct bg_json_at aat;
	int err = bg_json_get_array(&c->at, j, "mode_runs", BG_JSON_NULLABLE, &a, &aat);
	if (err < 0)
		return err;
	if (!a) {
		r->modes[0].name = "strict";
		err = decision_run(c, &c->at, j, "strict_run", &r->modes[0].run_id);
		r->n_modes = err == 0 && r->modes[0].run_id ? 1 : 0;
		return err;
	}
	if (cJSON_GetArraySize(a) > (int)BG_COUNTOF(r->modes))
		return bg_json_at_fail(&aat, "more than %zu modes", BG_COUNTOF(r->modes));
	cJSON_ArrayForEach(m, a)
	{
		struct bg_json_at mat;
		struct bg_db_mode_run *mr = &r->modes[r->n_modes];
		bg_json_at_index(&mat, &aat, r->n_modes);
		if ((err = bg_json_want_object(&mat, m)) < 0 ||
		    (err = get_str(&mat, m, "name", 1, &mr->name)) < 0 ||
		    (err = decision_run(c, &mat, m, "run", &mr->run_id)) < 0)
			return err;
		r->n_modes++;
	}
	return 0;
}

static int decision_runs(struct line_ctx *c, const cJSON *j, struct decision_runs *r)
{
	memset(r, 0, sizeof(*r));
	int err = decision_run(c, &c->at, j, "base_run", &r->base);
	err = err ? err : decision_run(c, &c->at, j, "head_run", &r->head);
	err = err ? err : decision_modes(c, j, r);
	for (size_t i = 0; i < r->n_modes; i++)
		r->mode_ids[i] = r->modes[i].run_id;
	return err;
}

/* Whether a decision of this kind, time, base and head is already here. */
static int decision_present(struct line_ctx *c, const char *kind, int64_t created,
			    const struct decision_runs *r, int *present)
{
	static const char sql[] =
		"SELECT 1 FROM decisions WHERE kind = ?1 AND created = ?2 "
		"AND base_run_id IS NOT DISTINCT FROM ?3 AND head_run_id IS NOT DISTINCT FROM ?4";
	struct db_sql_stmt *s = NULL;
	int err = db_sql_prepare(c->db->sql, sql, 0, &s, "importing a decision");
	if (err < 0)
		return err;
	db_sql_bind_text(s, 1, kind);
	db_sql_bind_int64(s, 2, created);
	if (r->base)
		db_sql_bind_int64(s, 3, r->base);
	if (r->head)
		db_sql_bind_int64(s, 4, r->head);
	int rc = db_sql_step(s, "importing a decision");
	*present = rc == 1;
	db_sql_finalize(s);
	return rc < 0 ? rc : 0;
}

/* A decision line: its runs (by uuid) must be in this database or earlier in the file; it
 * is skipped when a decision of the same kind, time and runs is already here. The decision
 * is stored with this database's ids, set by the reports side's c->decision_ids, and the
 * time it was made. */
static int import_decision(struct line_ctx *c, const cJSON *j)
{
	const char *kind, *conclusion;
	const cJSON *d;
	int64_t created, id;
	struct decision_runs r;
	int err, present = 0;
	if ((err = get_str(&c->at, j, "kind", 1, &kind)) < 0 ||
	    (err = get_str(&c->at, j, "conclusion", 1, &conclusion)) < 0 ||
	    (err = get_i64(&c->at, j, "created", 1, ANY_I64, &created)) < 0)
		return err;
	if (strcmp(kind, "compare") && strcmp(kind, "ci"))
		return bg_json_at_fail(&c->at, "kind: \"%s\" is not compare or ci", kind);
	if ((err = bg_json_get_object(&c->at, j, "decision", BG_JSON_REQUIRED, &d, NULL)) < 0 ||
	    (err = decision_runs(c, j, &r)) < 0 ||
	    (err = decision_present(c, kind, created, &r, &present)) < 0)
		return err;
	if (present) {
		c->st.decisions_present++;
		return 0;
	}
	char *given = cJSON_PrintUnformatted(d), *text = NULL;
	if (!given)
		return bg_error_oom();
	err = c->decision_ids(&text, given, 0, r.base, r.head, r.mode_ids, r.n_modes);
	free(given);
	if (err == 0)
		err = db_decision_insert(c->db, kind, created, r.base, r.head, r.modes, r.n_modes,
					 conclusion, text, &id);
	free(text);
	if (!err)
		c->st.decisions_added++;
	return err;
}

/* One line of the file, parsed and imported as a run or a decision. */
static int import_line(struct line_ctx *c, const char *line, size_t len)
{
	const char *end = NULL;
	/* the length counts getline's NUL so that trailing garbage is an error */
	cJSON *j = cJSON_ParseWithLengthOpts(line, len + 1, &end, 1);
	if (!j) {
		size_t col = end && end >= line ? (size_t)(end - line) + 1 : 0;
		return bg_json_at_fail(&c->at, "not valid JSON (near column %zu)", col);
	}
	const cJSON *rec = bg_json_member(j, "record");
	int err;
	if (!rec || (cJSON_IsString(rec) && !strcmp(rec->valuestring, "run")))
		err = import_run(c, j);
	else if (cJSON_IsString(rec) && !strcmp(rec->valuestring, "decision"))
		err = import_decision(c, j);
	else
		err = bg_json_at_fail(&c->at, "record: expected \"run\" or \"decision\"");
	cJSON_Delete(j);
	/* a failure below the parsing (a benchmark twice in one round, SQLite) still says
	 * which line it was on */
	if (err < 0 && strncmp(bg_error_last(), c->where, strlen(c->where)) != 0)
		bg_error_wrap("%s", c->where);
	return err;
}

int bg_db_import(struct bg_db *db, FILE *in, const char *origin, bg_db_decision_ids_fn decision_ids,
		 struct bg_import_stats *st)
{
	struct line_ctx c = {.db = db, .origin = origin ? origin : "(input)"};
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int err;
	c.decision_ids = decision_ids;
	if (st)
		memset(st, 0, sizeof(*st));
	/* the whole file in one transaction: all of it is stored, or none */
	if ((err = db_begin(db, "importing runs")) < 0)
		return err;
	if ((err = db_results_begin(db, &c.result_rows)) < 0 ||
	    (err = db_samples_begin(db, &c.sample_rows)) < 0 ||
	    (err = db_cases_begin(db, &c.case_rows)) < 0)
		goto done;
	db_sql_bulk_after(c.sample_rows, c.result_rows);
	while ((len = getline(&line, &cap, in)) >= 0) {
		c.line++;
		c.st.lines++;
		if (bg_json_blank(line, (size_t)len))
			continue;
		snprintf(c.where, sizeof(c.where), "%s:%zu", c.origin, c.line);
		bg_json_at_root(&c.at, c.where);
		if ((err = import_line(&c, line, (size_t)len)) < 0)
			goto done;
	}
	if (ferror(in))
		err = bg_error_set(BG_EINFRA, "%s: read failed", c.origin);
done:
	free(line);
	free(c.samples);
	err = db_sql_bulk_end(c.sample_rows, err); /* the results first, then the samples */
	err = db_sql_bulk_end(c.result_rows, err);
	err = db_sql_bulk_end(c.case_rows, err);
	series_ids_free(&c.series);
	key_set_clear(&c.run_results);
	free(c.ids);
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
