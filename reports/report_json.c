/* A decision as JSON and back (see bg_report.h): the stored form `bitgate report` re-renders
 * from, so every field survives the trip exactly, and its ids rewritten for export and
 * import (bg_decision_json_set_ids). Doubles are written with the fewest digits
 * that read back to the same bits; non-finite ones (NAN: unknown) as null. Integers beyond
 * 2^53, which a JSON double cannot hold, are written as decimal strings. NULL strings are
 * null, so "none" and "empty" stay apart. */
#include "bg_report.h"

#include <cJSON.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bg_buf.h"
#include "bg_error.h"
#include "bg_json.h"

#define SCHEMA "bitgate-decision/1"
#define EXACT_I64 (INT64_C(1) << 53)

/* ---- writing ---- */

static int put_str(cJSON *o, const char *key, const char *s)
{
	return (s ? cJSON_AddStringToObject(o, key, s) : cJSON_AddNullToObject(o, key)) ? 0 : -1;
}

static int put_num(cJSON *o, const char *key, double v)
{
	if (!isfinite(v))
		return cJSON_AddNullToObject(o, key) ? 0 : -1;
	char text[BG_DOUBLE_CHARS];
	bg_format_double(text, v);
	return cJSON_AddRawToObject(o, key, text) ? 0 : -1;
}

static int put_i64(cJSON *o, const char *key, int64_t v)
{
	char text[32];
	snprintf(text, sizeof(text), "%" PRId64, v);
	if (v > EXACT_I64 || v < -EXACT_I64)
		return cJSON_AddStringToObject(o, key, text) ? 0 : -1;
	return cJSON_AddRawToObject(o, key, text) ? 0 : -1;
}

static int put_strv(cJSON *o, const char *key, char *const *v, size_t n)
{
	cJSON *a = cJSON_AddArrayToObject(o, key);
	if (!a)
		return -1;
	for (size_t i = 0; i < n; i++) {
		cJSON *s = v[i] ? cJSON_CreateString(v[i]) : cJSON_CreateNull();
		if (!s)
			return -1;
		cJSON_AddItemToArray(a, s);
	}
	return 0;
}

/* ---- the fields of each part, one list for both directions ---- */

enum field_kind {
	F_STR,  /* char *: a string or null */
	F_NUM,  /* double: a number, null for NAN */
	F_I64,  /* int64_t: an integer (a decimal string beyond 2^53) */
	F_I32,  /* int, a count or a flag (never negative), written as an integer */
	F_SIZE, /* size_t, written as an integer */
	F_STRV, /* char ** with its count at count_off: an array of strings */
};

/* A member of a decision part: its key (the C member's name), kind and place. */
struct field {
	const char *key;
	enum field_kind kind;
	size_t off, count_off;
};

#define FIELD(type, kind, member)                                                                  \
	{                                                                                          \
#member, kind, offsetof(type, member), 0                                           \
	}
#define STRV_FIELD(type, member, count)                                                            \
	{                                                                                          \
#member, F_STRV, offsetof(type, member), offsetof(type, count)                     \
	}

static const struct field side_fields[] = {
	FIELD(struct bg_side, F_STR, sha),         FIELD(struct bg_side, F_STR, subject),
	FIELD(struct bg_side, F_STR, binary_hash), FIELD(struct bg_side, F_STR, kernels),
	FIELD(struct bg_side, F_STR, dispatch),    FIELD(struct bg_side, F_I64, run_id),
	FIELD(struct bg_side, F_I32, worktree),
};

/* The verdict, a name, is read and written apart; it comes last. */
static const struct field row_fields[] = {
	FIELD(struct bg_row, F_STR, benchmark),
	FIELD(struct bg_row, F_STR, params),
	FIELD(struct bg_row, F_STR, mode),
	FIELD(struct bg_row, F_STR, kernel_base),
	FIELD(struct bg_row, F_STR, kernel_head),
	FIELD(struct bg_row, F_SIZE, n_base),
	FIELD(struct bg_row, F_SIZE, n_head),
	FIELD(struct bg_row, F_NUM, base_time),
	FIELD(struct bg_row, F_NUM, head_time),
	FIELD(struct bg_row, F_NUM, change),
	FIELD(struct bg_row, F_NUM, ci_lo),
	FIELD(struct bg_row, F_NUM, ci_hi),
	FIELD(struct bg_row, F_NUM, p),
	FIELD(struct bg_row, F_NUM, p_adjusted),
	FIELD(struct bg_row, F_NUM, threshold),
	FIELD(struct bg_row, F_NUM, noise_floor),
	FIELD(struct bg_row, F_NUM, detectable),
	FIELD(struct bg_row, F_NUM, hl_shift),
	FIELD(struct bg_row, F_NUM, gelems_head),
	FIELD(struct bg_row, F_NUM, floor_gelems),
	FIELD(struct bg_row, F_I32, higher_better),
};

static const struct field suite_fields[] = {
	FIELD(struct bg_suite_cmp, F_STR, suite),
	FIELD(struct bg_suite_cmp, F_I32, base_passed),
	FIELD(struct bg_suite_cmp, F_I32, base_total),
	FIELD(struct bg_suite_cmp, F_I32, head_passed),
	FIELD(struct bg_suite_cmp, F_I32, head_failed),
	FIELD(struct bg_suite_cmp, F_I32, head_skipped),
	FIELD(struct bg_suite_cmp, F_I32, head_total),
	FIELD(struct bg_suite_cmp, F_NUM, pass_rate),
	FIELD(struct bg_suite_cmp, F_NUM, floor),
	STRV_FIELD(struct bg_suite_cmp, new_failures, n_new_failures),
	FIELD(struct bg_suite_cmp, F_STR, skipped),
};

static const struct field mode_fields[] = {
	FIELD(struct bg_mode_cmp, F_STR, name),     FIELD(struct bg_mode_cmp, F_STR, env),
	FIELD(struct bg_mode_cmp, F_I32, measured), FIELD(struct bg_mode_cmp, F_NUM, overhead),
	FIELD(struct bg_mode_cmp, F_NUM, lo),       FIELD(struct bg_mode_cmp, F_NUM, hi),
	FIELD(struct bg_mode_cmp, F_NUM, limit),    FIELD(struct bg_mode_cmp, F_SIZE, n_benchmarks),
	FIELD(struct bg_mode_cmp, F_I64, run_id),   FIELD(struct bg_mode_cmp, F_STR, skipped),
};

/* The fields of the part at p into the object j; -1 when out of memory. */
static int put_fields(cJSON *j, const void *p, const struct field *f, size_t n)
{
	const char *b = p;
	int bad = 0;
	for (size_t i = 0; i < n && !bad; i++) {
		const void *m = b + f[i].off;
		switch (f[i].kind) {
		case F_STR: bad = put_str(j, f[i].key, *(char *const *)m); break;
		case F_NUM: bad = put_num(j, f[i].key, *(const double *)m); break;
		case F_I64: bad = put_i64(j, f[i].key, *(const int64_t *)m); break;
		case F_I32: bad = put_i64(j, f[i].key, *(const int *)m); break;
		case F_SIZE: bad = put_i64(j, f[i].key, (int64_t) * (const size_t *)m); break;
		case F_STRV:
			bad = put_strv(j, f[i].key, *(char **const *)m,
				       *(const size_t *)(b + f[i].count_off));
			break;
		}
	}
	return bad ? -1 : 0;
}

static int put_side(cJSON *o, const char *key, const struct bg_side *s)
{
	cJSON *j = cJSON_AddObjectToObject(o, key);
	return j ? put_fields(j, s, side_fields, BG_COUNTOF(side_fields)) : -1;
}

/* A new object appended to the array a; NULL when out of memory. */
static cJSON *add_element(cJSON *a)
{
	cJSON *j = cJSON_CreateObject();
	if (j && !cJSON_AddItemToArray(a, j)) {
		cJSON_Delete(j);
		j = NULL;
	}
	return j;
}

static int put_row(cJSON *a, const struct bg_row *r)
{
	cJSON *j = add_element(a);
	if (!j || put_fields(j, r, row_fields, BG_COUNTOF(row_fields)))
		return -1;
	return put_str(j, "verdict", bg_verdict_name(r->verdict));
}

static int put_suite(cJSON *a, const struct bg_suite_cmp *s)
{
	cJSON *j = add_element(a);
	return j ? put_fields(j, s, suite_fields, BG_COUNTOF(suite_fields)) : -1;
}

static int put_mode(cJSON *a, const struct bg_mode_cmp *m)
{
	cJSON *j = add_element(a);
	return j ? put_fields(j, m, mode_fields, BG_COUNTOF(mode_fields)) : -1;
}

static int put_decision(cJSON *o, const struct bg_decision *d)
{
	if (put_str(o, "schema", SCHEMA) || put_i64(o, "id", d->id) ||
	    put_str(o, "kind", d->kind) || put_i64(o, "created", d->created) ||
	    put_side(o, "base", &d->base) || put_side(o, "head", &d->head) ||
	    put_str(o, "machine", d->machine) || put_str(o, "fingerprint", d->fingerprint) ||
	    put_strv(o, "commands", d->commands, d->n_commands))
		return -1;
	cJSON *gates = cJSON_AddArrayToObject(o, "gates");
	for (size_t i = 0; gates && i < d->n_gates; i++) {
		cJSON *g = add_element(gates);
		if (!g || put_str(g, "name", d->gates[i].name) ||
		    put_str(g, "status", bg_gate_status_name(d->gates[i].status)) ||
		    put_str(g, "evidence", d->gates[i].evidence))
			return -1;
	}
	cJSON *rows = cJSON_AddArrayToObject(o, "rows");
	for (size_t i = 0; rows && i < d->n_rows; i++)
		if (put_row(rows, &d->rows[i]))
			return -1;
	cJSON *suites = cJSON_AddArrayToObject(o, "suites");
	for (size_t i = 0; suites && i < d->n_suites; i++)
		if (put_suite(suites, &d->suites[i]))
			return -1;
	cJSON *modes = cJSON_AddArrayToObject(o, "modes");
	for (size_t i = 0; modes && i < d->n_modes; i++)
		if (put_mode(modes, &d->modes[i]))
			return -1;
	if (!gates || !rows || !suites || !modes)
		return -1;
	return put_strv(o, "findings", d->findings, d->n_findings) ||
			       put_i64(o, "rounds", d->rounds) ||
			       put_num(o, "quantile", d->quantile) ||
			       put_num(o, "alpha", d->alpha) ||
			       put_str(o, "conclusion", bg_conclusion_name(d->conclusion)) ||
			       put_str(o, "method", d->method)
		       ? -1
		       : 0;
}

int bg_decision_to_json(const struct bg_decision *d, char **out)
{
	*out = NULL;
	cJSON *o = cJSON_CreateObject();
	if (!o || put_decision(o, d) || !(*out = cJSON_PrintUnformatted(o))) {
		cJSON_Delete(o);
		return bg_error_oom();
	}
	cJSON_Delete(o);
	return 0;
}

/* ---- reading ---- */

/* Every reader's cursor has origin "ORIGIN: not a valid bitgate decision", so each message
 * reads "ORIGIN: not a valid bitgate decision: PATH: expected X, got Y". */

/* Missing and null read as NULL. */
static int get_str(const struct bg_json_at *at, const cJSON *o, const char *key, char **out)
{
	const char *s = NULL;
	*out = NULL;
	int rc = bg_json_get_string(at, o, key, BG_JSON_NULLABLE, &s);
	if (rc <= 0)
		return rc;
	return (*out = bg_strdup(s)) ? 0 : BG_ENOMEM;
}

/* Missing and null read as NAN. */
static int get_num(const struct bg_json_at *at, const cJSON *o, const char *key, double *out)
{
	*out = NAN;
	int rc = bg_json_get_number(at, o, key, BG_JSON_NULLABLE, -HUGE_VAL, HUGE_VAL, out);
	return rc < 0 ? rc : 0;
}

/* Missing reads as 0; a number must be a whole one in [lo, hi], a string its decimal form
 * (integers beyond 2^53 are written as strings). */
static int get_int(const struct bg_json_at *at, const cJSON *o, const char *key, int64_t lo,
		   int64_t hi, int64_t *out)
{
	const cJSON *j = bg_json_member(o, key);
	*out = 0;
	if (!j)
		return 0;
	if (!cJSON_IsString(j))
		return bg_json_get_integer(at, o, key, BG_JSON_OPTIONAL, lo, hi, out) < 0
			       ? BG_EINPUT
			       : 0;
	struct bg_json_at kat;
	bg_json_at_key(&kat, at, key);
	if (bg_parse_i64(j->valuestring, out) < 0)
		return bg_json_at_fail(&kat, "expected an integer, got \"%.40s\"", j->valuestring);
	if (*out < lo || *out > hi)
		return bg_json_at_fail(&kat, "expected an integer in [%lld, %lld], got %lld",
				       (long long)lo, (long long)hi, (long long)*out);
	return 0;
}

static int get_i64(const struct bg_json_at *at, const cJSON *o, const char *key, int64_t *out)
{
	return get_int(at, o, key, INT64_MIN, INT64_MAX, out);
}

/* The narrower types are assigned only a value checked to fit them. */
static int get_i32(const struct bg_json_at *at, const cJSON *o, const char *key, int *out)
{
	int64_t v;
	int err = get_int(at, o, key, 0, INT_MAX, &v);
	if (!err)
		*out = (int)v;
	return err;
}

static int get_size(const struct bg_json_at *at, const cJSON *o, const char *key, size_t *out)
{
	int64_t v;
	int err = get_int(at, o, key, 0, SIZE_MAX < INT64_MAX ? (int64_t)SIZE_MAX : INT64_MAX, &v);
	if (!err)
		*out = (size_t)v;
	return err;
}

/* An array of strings; missing and null read as empty. */
static int get_strv(const struct bg_json_at *at, const cJSON *o, const char *key, char ***v,
		    size_t *n)
{
	const cJSON *a, *j;
	struct bg_json_at aat;
	int rc = bg_json_get_array(at, o, key, BG_JSON_NULLABLE, &a, &aat);
	size_t i = 0;
	if (rc <= 0)
		return rc;
	cJSON_ArrayForEach(j, a)
	{
		struct bg_json_at jat;
		const char *s;
		bg_json_at_index(&jat, &aat, i++);
		if (bg_json_want_string(&jat, j, &s) < 0)
			return BG_EINPUT;
		if (bg_strv_push(v, n, s) < 0)
			return BG_ENOMEM;
	}
	return 0;
}

/* A name one of the parse functions knows; required. */
static int get_name(const struct bg_json_at *at, const cJSON *o, const char *key,
		    int (*parse)(const char *), int *out)
{
	const char *s;
	int rc = bg_json_get_string(at, o, key, BG_JSON_REQUIRED, &s);
	if (rc < 0)
		return rc;
	if ((*out = parse(s)) < 0) {
		struct bg_json_at kat;
		bg_json_at_key(&kat, at, key);
		return bg_json_at_fail(&kat, "\"%.40s\" is not a known name", s);
	}
	return 0;
}

/* The fields of the part at p from the object j; each missing one reads as its empty value
 * (NULL, NAN, 0, no strings). */
static int get_fields(const struct bg_json_at *at, const cJSON *j, void *p, const struct field *f,
		      size_t n)
{
	char *b = p;
	int err = 0;
	for (size_t i = 0; i < n && !err; i++) {
		void *m = b + f[i].off;
		switch (f[i].kind) {
		case F_STR: err = get_str(at, j, f[i].key, m); break;
		case F_NUM: err = get_num(at, j, f[i].key, m); break;
		case F_I64: err = get_i64(at, j, f[i].key, m); break;
		case F_I32: err = get_i32(at, j, f[i].key, m); break;
		case F_SIZE: err = get_size(at, j, f[i].key, m); break;
		case F_STRV:
			err = get_strv(at, j, f[i].key, m, (size_t *)(b + f[i].count_off));
			break;
		}
	}
	return err;
}

static int get_side(const struct bg_json_at *top, const cJSON *o, const char *key,
		    struct bg_side *s)
{
	const cJSON *j;
	struct bg_json_at at;
	int err = bg_json_get_object(top, o, key, BG_JSON_REQUIRED, &j, &at);
	return err < 0 ? err : get_fields(&at, j, s, side_fields, BG_COUNTOF(side_fields));
}

static int get_row(const struct bg_json_at *r, const cJSON *j, void *out)
{
	struct bg_row *w = out;
	int v = 0, err = get_fields(r, j, w, row_fields, BG_COUNTOF(row_fields));
	/* decisions stored before the quantile was configurable called them medians */
	if (!err && isnan(w->base_time))
		err = get_num(r, j, "base_median", &w->base_time);
	if (!err && isnan(w->head_time))
		err = get_num(r, j, "head_median", &w->head_time);
	err = err ? err : get_name(r, j, "verdict", bg_verdict_parse, &v);
	w->verdict = err ? BG_VERDICT_MISSING : (enum bg_verdict)v;
	return err;
}

static int get_suite(const struct bg_json_at *r, const cJSON *j, void *out)
{
	return get_fields(r, j, out, suite_fields, BG_COUNTOF(suite_fields));
}

static int get_gate(const struct bg_json_at *r, const cJSON *j, void *out)
{
	struct bg_gate *g = out;
	int status = 0;
	int err = get_str(r, j, "name", &g->name);
	err = err ? err : get_name(r, j, "status", bg_gate_status_parse, &status);
	err = err ? err : get_str(r, j, "evidence", &g->evidence);
	g->status = (enum bg_gate_status)status;
	return err;
}

static int get_mode(const struct bg_json_at *r, const cJSON *j, void *out)
{
	return get_fields(r, j, out, mode_fields, BG_COUNTOF(mode_fields));
}

/* Decisions stored before opt-in modes were general held one "strict" object: it becomes
 * the mode "strict" unless it says strict mode was not enabled. */
static int get_old_strict(const struct bg_json_at *top, const cJSON *o, struct bg_decision *d)
{
	const cJSON *j;
	struct bg_json_at r;
	struct bg_mode_cmp m = {0};
	int err = bg_json_get_object(top, o, "strict", BG_JSON_OPTIONAL, &j, &r);
	if (err <= 0)
		return err;
	err = get_fields(&r, j, &m, mode_fields, BG_COUNTOF(mode_fields));
	if (!err && (m.measured || !m.skipped || strncmp(m.skipped, "not enabled", 11))) {
		free(m.name);
		free(m.env);
		m.env = bg_strdup("BITNET_STRICT_MODE=1");
		if (!(m.name = bg_strdup("strict")) || !m.env ||
		    !(d->modes = calloc(1, sizeof(*d->modes)))) {
			err = bg_error_oom();
		} else {
			d->modes[d->n_modes++] = m;
			return 0;
		}
	}
	free(m.name);
	free(m.env);
	free(m.skipped);
	return err;
}

/* An array of structs of size each, read by get: allocated at full length first, so a
 * failure part way through leaves a decision bg_decision_free can free. Missing and null
 * read as empty. */
static int get_list(const struct bg_json_at *r, const cJSON *o, const char *key, size_t size,
		    int (*get)(const struct bg_json_at *, const cJSON *, void *), void **v,
		    size_t *n)
{
	const cJSON *a, *j;
	struct bg_json_at aat;
	int err = bg_json_get_array(r, o, key, BG_JSON_NULLABLE, &a, &aat);
	size_t count = a ? (size_t)cJSON_GetArraySize(a) : 0, i = 0;
	if (err < 0 || count == 0)
		return err < 0 ? err : 0;
	if (!(*v = calloc(count, size)))
		return bg_error_oom();
	*n = count;
	cJSON_ArrayForEach(j, a)
	{
		struct bg_json_at jat;
		bg_json_at_index(&jat, &aat, i);
		if ((err = bg_json_want_object(&jat, j)) < 0 ||
		    (err = get(&jat, j, (char *)*v + size * i++)) < 0)
			return err;
	}
	return 0;
}

static int get_lists(const struct bg_json_at *r, const cJSON *o, struct bg_decision *d)
{
	int err = get_list(r, o, "gates", sizeof(*d->gates), get_gate, (void **)&d->gates,
			   &d->n_gates);
	err = err ? err
		  : get_list(r, o, "rows", sizeof(*d->rows), get_row, (void **)&d->rows,
			     &d->n_rows);
	err = err ? err
		  : get_list(r, o, "suites", sizeof(*d->suites), get_suite, (void **)&d->suites,
			     &d->n_suites);
	if (!err && bg_json_member(o, "modes"))
		return get_list(r, o, "modes", sizeof(*d->modes), get_mode, (void **)&d->modes,
				&d->n_modes);
	return err ? err : get_old_strict(r, o, d);
}

static int get_decision(const struct bg_json_at *r, const cJSON *o, struct bg_decision *d)
{
	const cJSON *schema = bg_json_member(o, "schema");
	if (!cJSON_IsString(schema) || strcmp(schema->valuestring, SCHEMA)) {
		struct bg_json_at sat;
		bg_json_at_key(&sat, r, "schema");
		return bg_json_at_fail(&sat, "must be \"" SCHEMA "\"");
	}
	int err = get_i64(r, o, "id", &d->id);
	err = err ? err : get_str(r, o, "kind", &d->kind);
	err = err ? err : get_i64(r, o, "created", &d->created);
	err = err ? err : get_side(r, o, "base", &d->base);
	err = err ? err : get_side(r, o, "head", &d->head);
	err = err ? err : get_str(r, o, "machine", &d->machine);
	err = err ? err : get_str(r, o, "fingerprint", &d->fingerprint);
	err = err ? err : get_strv(r, o, "commands", &d->commands, &d->n_commands);
	err = err ? err : get_lists(r, o, d);
	err = err ? err : get_strv(r, o, "findings", &d->findings, &d->n_findings);
	err = err ? err : get_i32(r, o, "rounds", &d->rounds);
	err = err ? err : get_num(r, o, "quantile", &d->quantile);
	if (!err && isnan(d->quantile))
		d->quantile = 0.5; /* decisions stored before the quantile was configurable */
	err = err ? err : get_num(r, o, "alpha", &d->alpha);
	err = err ? err : get_name(r, o, "conclusion", bg_conclusion_parse, &d->conclusion);
	err = err ? err : get_str(r, o, "method", &d->method);
	return err;
}

int bg_decision_from_json(struct bg_decision **out, const char *text, size_t len,
			  const char *origin)
{
	char where[PATH_MAX + 64];
	cJSON *o;
	*out = NULL;
	if (!origin)
		origin = "decision";
	int err = bg_json_parse_object(&o, text, len, origin);
	if (err)
		return err;
	struct bg_json_at r;
	snprintf(where, sizeof(where), "%s: not a valid bitgate decision", origin);
	bg_json_at_root(&r, where);
	struct bg_decision *d = calloc(1, sizeof(*d));
	err = d ? get_decision(&r, o, d) : bg_error_oom();
	cJSON_Delete(o);
	if (err) {
		bg_decision_free(d);
		return err;
	}
	*out = d;
	return 0;
}

/* ---- the ids storage hands over ---- */

/* Sets o[key] to v where it is a number (a decision written without it stays so). */
static void set_id(cJSON *o, const char *key, int64_t v)
{
	cJSON *id = cJSON_GetObjectItemCaseSensitive(o, key);
	if (cJSON_IsNumber(id))
		cJSON_SetNumberValue(id, (double)v);
}

int bg_decision_json_set_ids(char **out, const char *json, int64_t id, int64_t base_run,
			     int64_t head_run, const int64_t *mode_runs, size_t n_mode_runs)
{
	*out = NULL;
	cJSON *d = cJSON_Parse(json);
	if (!d)
		return bg_error_set(BG_EINPUT, "a stored decision is not valid JSON");
	set_id(d, "id", id);
	set_id(cJSON_GetObjectItemCaseSensitive(d, "base"), "run_id", base_run);
	set_id(cJSON_GetObjectItemCaseSensitive(d, "head"), "run_id", head_run);
	const cJSON *modes = cJSON_GetObjectItemCaseSensitive(d, "modes");
	cJSON *m;
	size_t k = 0;
	cJSON_ArrayForEach(m, modes)
	{
		if (!mode_runs || k < n_mode_runs)
			set_id(m, "run_id", mode_runs ? mode_runs[k++] : 0);
	}
	if (!modes && (!mode_runs || n_mode_runs))
		set_id(cJSON_GetObjectItemCaseSensitive(d, "strict"), "run_id",
		       mode_runs ? mode_runs[0] : 0);
	char *text = cJSON_PrintUnformatted(d);
	cJSON_Delete(d);
	/* cJSON may allocate with its own hooks; callers free with free(). */
	*out = text ? bg_strdup(text) : NULL;
	cJSON_free(text);
	return *out ? 0 : bg_error_oom();
}
