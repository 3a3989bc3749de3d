/* The one JSON reader (bg_json.h): parsing with line and column in its errors, JSON paths,
 * and typed getters over a cursor so that every input's errors read the same way. */
#include "bg_json.h"

#include <cJSON.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bg_error.h"

/* ---- parsing ---- */

static bool json_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* 1-based line and byte column of offset off, the way editors count. */
static void line_col(const char *text, size_t off, size_t *line, size_t *col)
{
	size_t l = 1, start = 0;
	for (size_t i = 0; i < off; i++) {
		if (text[i] == '\n') {
			l++;
			start = i + 1;
		}
	}
	*line = l;
	*col = off - start + 1;
}

/* A short, printable excerpt of the text at p for messages: up to the end of the line. */
static void excerpt(char *out, size_t size, const char *p)
{
	size_t n = 0;
	while (p[n] && p[n] != '\n' && p[n] != '\r' && n + 1 < size) {
		unsigned char c = (unsigned char)p[n];
		out[n] = (c < 0x20 || c >= 0x7f) ? '?' : (char)c;
		n++;
	}
	out[n] = '\0';
}

/* cJSON reports the character after the culprit when an object key does not start with a
 * quote (parse_string has already stepped past it). That is the one failure whose previous
 * character is neither blank nor a quote and follows '{' or ','; step back onto it. */
static size_t error_offset(const char *text, size_t off)
{
	if (off == 0 || json_space(text[off - 1]) || text[off - 1] == '"')
		return off;
	size_t i = off - 1;
	while (i > 0 && json_space(text[i - 1]))
		i--;
	if (i > 0 && (text[i - 1] == '{' || text[i - 1] == ','))
		return off - 1;
	return off;
}

int bg_json_parse(struct cJSON **out, const char *text, size_t len, const char *origin)
{
	*out = NULL;
	if (!origin)
		origin = "JSON input";
	if (len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3)) {
		text += 3;
		len -= 3;
	}
	size_t first = 0;
	while (first < len && json_space(text[first]))
		first++;
	if (first == len)
		return bg_error_set(BG_EINPUT, "%s: empty, expected a JSON document", origin);
	const char *nul = memchr(text, '\0', len);
	if (nul) {
		size_t line, col;
		line_col(text, (size_t)(nul - text), &line, &col);
		return bg_error_set(BG_EINPUT,
				    "%s: a NUL byte at line %zu, column %zu: not JSON text", origin,
				    line, col);
	}

	/* cJSON wants a NUL-terminated string: the caller's text need not be one. */
	char *copy = malloc(len + 1);
	if (!copy)
		return bg_error_oom();
	memcpy(copy, text, len);
	copy[len] = '\0';

	/* return_parse_end is the same position cJSON_GetErrorPtr reports, without its
	 * process-wide state. require_null_terminated rejects text after the document. */
	const char *end = NULL;
	cJSON *root = cJSON_ParseWithOpts(copy, &end, 1);
	int rc = 0;
	if (!root) {
		size_t off = end && end >= copy && end <= copy + len ? (size_t)(end - copy) : len;
		off = error_offset(copy, off);
		size_t line, col;
		char near[41];
		line_col(copy, off, &line, &col);
		excerpt(near, sizeof(near), copy + off);
		if (off >= len)
			rc = bg_error_set(
				BG_EINPUT,
				"%s: JSON ends early at line %zu, column %zu (truncated?)", origin,
				line, col);
		else if (off == first)
			rc = bg_error_set(BG_EINPUT, "%s: not JSON: line %zu starts with `%s`",
					  origin, line, near);
		else
			rc = bg_error_set(BG_EINPUT,
					  "%s: malformed JSON at line %zu, column %zu near `%s`",
					  origin, line, col, near);
	}
	free(copy);
	*out = root;
	return rc;
}

int bg_json_parse_object(struct cJSON **out, const char *text, size_t len, const char *origin)
{
	int rc = bg_json_parse(out, text, len, origin);
	if (rc < 0 || cJSON_IsObject(*out))
		return rc;
	rc = bg_error_set(BG_EINPUT, "%s: expected a JSON object at the top level, got %s",
			  origin ? origin : "JSON input", bg_json_type_name(*out));
	cJSON_Delete(*out);
	*out = NULL;
	return rc;
}

const char *bg_json_type_name(const struct cJSON *item)
{
	if (!item)
		return "nothing";
	switch (item->type & 0xff) {
	case cJSON_False:
	case cJSON_True: return "a boolean";
	case cJSON_NULL: return "null";
	case cJSON_Number: return "a number";
	case cJSON_String: return "a string";
	case cJSON_Array: return "an array";
	case cJSON_Object: return "an object";
	default: return "an invalid value";
	}
}

int bg_json_integer(const struct cJSON *item, int64_t min, int64_t max, int64_t *out)
{
	if (!cJSON_IsNumber(item))
		return BG_EINPUT;
	double v = item->valuedouble;
	/* Beyond 2^53 a double no longer holds every integer, so such a value is not exact. */
	if (!isfinite(v) || v != trunc(v) || fabs(v) > 9007199254740992.0)
		return BG_EINPUT;
	int64_t i = (int64_t)v;
	if (i < min || i > max)
		return BG_EINPUT;
	*out = i;
	return 0;
}

/* BG_EINPUT with "ORIGIN: PATH: message" ("ORIGIN: message" at the root). */
static int vfail(const char *origin, const char *path, const char *fmt, va_list ap)
{
	char msg[768];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (!path || !path[0])
		return bg_error_set(BG_EINPUT, "%s: %s", origin, msg);
	return bg_error_set(BG_EINPUT, "%s: %s: %s", origin, path, msg);
}

int bg_json_fail(const char *origin, const char *path, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = vfail(origin, path, fmt, ap);
	va_end(ap);
	return rc;
}

/* A path that does not fit is cut with "...": paths only ever go into messages. */
static void fit(char *out, size_t size, int n)
{
	if ((n < 0 || (size_t)n >= size) && size > 4)
		memcpy(out + size - 4, "...", 4);
}

void bg_json_path_key(char *out, size_t size, const char *parent, const char *key)
{
	if (!key[0]) /* an empty key would vanish from the path */
		key = "\"\"";
	if (parent && parent[0])
		fit(out, size, snprintf(out, size, "%s.%s", parent, key));
	else
		fit(out, size, snprintf(out, size, "%s", key));
}

void bg_json_path_index(char *out, size_t size, const char *parent, size_t i)
{
	fit(out, size, snprintf(out, size, "%s[%zu]", parent, i));
}

bool bg_json_blank(const char *text, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!json_space(text[i]))
			return false;
	return true;
}

const cJSON *bg_json_member(const cJSON *obj, const char *key)
{
	return cJSON_IsObject(obj) ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
}

/* ---- the cursor ---- */

void bg_json_at_root(struct bg_json_at *out, const char *origin)
{
	out->origin = origin;
	out->path[0] = '\0';
}

void bg_json_at_key(struct bg_json_at *out, const struct bg_json_at *at, const char *key)
{
	out->origin = at->origin;
	bg_json_path_key(out->path, sizeof(out->path), at->path, key);
}

void bg_json_at_index(struct bg_json_at *out, const struct bg_json_at *at, size_t i)
{
	out->origin = at->origin;
	bg_json_path_index(out->path, sizeof(out->path), at->path, i);
}

int bg_json_at_fail(const struct bg_json_at *at, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = vfail(at->origin, at->path, fmt, ap);
	va_end(ap);
	return rc;
}

/* ---- typed values ---- */

/* "required" for a missing value, else "expected WHAT, got TYPE". */
static int want_fail(const struct bg_json_at *at, const cJSON *v, const char *what)
{
	if (!v)
		return bg_json_at_fail(at, "required");
	return bg_json_at_fail(at, "expected %s, got %s", what, bg_json_type_name(v));
}

int bg_json_want_string(const struct bg_json_at *at, const cJSON *v, const char **out)
{
	if (!cJSON_IsString(v))
		return want_fail(at, v, "a string");
	*out = v->valuestring;
	return 0;
}

int bg_json_want_bool(const struct bg_json_at *at, const cJSON *v, int *out)
{
	if (!cJSON_IsBool(v))
		return want_fail(at, v, "a boolean");
	*out = cJSON_IsTrue(v) ? 1 : 0;
	return 0;
}

int bg_json_want_object(const struct bg_json_at *at, const cJSON *v)
{
	return cJSON_IsObject(v) ? 0 : want_fail(at, v, "an object");
}

int bg_json_want_array(const struct bg_json_at *at, const cJSON *v, size_t *n)
{
	if (!cJSON_IsArray(v))
		return want_fail(at, v, "an array");
	if (n)
		*n = (size_t)cJSON_GetArraySize(v);
	return 0;
}

int bg_json_want_number(const struct bg_json_at *at, const cJSON *v, double lo, double hi,
			double *out)
{
	if (!cJSON_IsNumber(v))
		return want_fail(at, v, "a number");
	if (!isfinite(v->valuedouble))
		return bg_json_at_fail(at, "expected a finite number, got %g", v->valuedouble);
	if (v->valuedouble < lo || v->valuedouble > hi)
		return bg_json_at_fail(at, "expected a number in [%g, %g], got %g", lo, hi,
				       v->valuedouble);
	*out = v->valuedouble;
	return 0;
}

int bg_json_want_integer(const struct bg_json_at *at, const cJSON *v, int64_t lo, int64_t hi,
			 int64_t *out)
{
	if (v && bg_json_integer(v, lo, hi, out) == 0)
		return 0;
	char what[80];
	/* A bound that is only the type's limit says nothing to a user. */
	if (lo <= INT_MIN && hi >= INT_MAX)
		snprintf(what, sizeof(what), "an integer");
	else if (hi >= INT_MAX)
		snprintf(what, sizeof(what), "an integer >= %lld", (long long)lo);
	else
		snprintf(what, sizeof(what), "an integer in [%lld, %lld]", (long long)lo,
			 (long long)hi);
	return want_fail(at, v, what);
}

/* ---- typed members ---- */

/* obj[key] and its cursor; 1 when there is a value to read, 0 when it is absent (or null
 * with BG_JSON_NULLABLE) and may be, BG_EINPUT when it is required. */
static int member_at(const struct bg_json_at *at, const cJSON *obj, const char *key,
		     enum bg_json_need need, const cJSON **v, struct bg_json_at *sub)
{
	*v = bg_json_member(obj, key);
	bg_json_at_key(sub, at, key);
	if (*v && !(need == BG_JSON_NULLABLE && cJSON_IsNull(*v)))
		return 1;
	return need == BG_JSON_REQUIRED ? bg_json_at_fail(sub, "required") : 0;
}

int bg_json_get_string(const struct bg_json_at *at, const cJSON *obj, const char *key,
		       enum bg_json_need need, const char **out)
{
	const cJSON *v;
	struct bg_json_at sub;
	int rc = member_at(at, obj, key, need, &v, &sub);
	if (rc <= 0)
		return rc;
	return bg_json_want_string(&sub, v, out) < 0 ? BG_EINPUT : 1;
}

int bg_json_get_bool(const struct bg_json_at *at, const cJSON *obj, const char *key,
		     enum bg_json_need need, int *out)
{
	const cJSON *v;
	struct bg_json_at sub;
	int rc = member_at(at, obj, key, need, &v, &sub);
	if (rc <= 0)
		return rc;
	return bg_json_want_bool(&sub, v, out) < 0 ? BG_EINPUT : 1;
}

int bg_json_get_number(const struct bg_json_at *at, const cJSON *obj, const char *key,
		       enum bg_json_need need, double lo, double hi, double *out)
{
	const cJSON *v;
	struct bg_json_at sub;
	int rc = member_at(at, obj, key, need, &v, &sub);
	if (rc <= 0)
		return rc;
	return bg_json_want_number(&sub, v, lo, hi, out) < 0 ? BG_EINPUT : 1;
}

int bg_json_get_integer(const struct bg_json_at *at, const cJSON *obj, const char *key,
			enum bg_json_need need, int64_t lo, int64_t hi, int64_t *out)
{
	const cJSON *v;
	struct bg_json_at sub;
	int rc = member_at(at, obj, key, need, &v, &sub);
	if (rc <= 0)
		return rc;
	return bg_json_want_integer(&sub, v, lo, hi, out) < 0 ? BG_EINPUT : 1;
}

/* An object or array member, checked as one, with its cursor. */
static int get_container(const struct bg_json_at *at, const cJSON *obj, const char *key,
			 enum bg_json_need need, bool array, const cJSON **out,
			 struct bg_json_at *sub)
{
	struct bg_json_at own;
	if (!sub)
		sub = &own;
	*out = NULL;
	const cJSON *v;
	int rc = member_at(at, obj, key, need, &v, sub);
	if (rc <= 0)
		return rc;
	if ((array ? bg_json_want_array(sub, v, NULL) : bg_json_want_object(sub, v)) < 0)
		return BG_EINPUT;
	*out = v;
	return 1;
}

int bg_json_get_object(const struct bg_json_at *at, const cJSON *obj, const char *key,
		       enum bg_json_need need, const cJSON **out, struct bg_json_at *sub)
{
	return get_container(at, obj, key, need, false, out, sub);
}

int bg_json_get_array(const struct bg_json_at *at, const cJSON *obj, const char *key,
		      enum bg_json_need need, const cJSON **out, struct bg_json_at *sub)
{
	return get_container(at, obj, key, need, true, out, sub);
}

/* ---- repeated keys ---- */

struct key_at {
	const char *key;
	size_t i; /* its place in the object */
};

/* By key, then by place, so a key's first member leads each run of equal keys. */
static int key_at_cmp(const void *a, const void *b)
{
	const struct key_at *x = a, *y = b;
	int c = strcmp(x->key, y->key);
	if (c)
		return c;
	return x->i < y->i ? -1 : x->i > y->i;
}

int bg_json_unique_keys(const struct bg_json_at *at, const cJSON *obj)
{
	if (!cJSON_IsObject(obj) || !obj->child || !obj->child->next)
		return 0;
	size_t n = 0;
	for (const cJSON *m = obj->child; m; m = m->next)
		n++;
	/* n members already parsed: the array is no larger than what the input showed. */
	struct key_at *keys = malloc(n * sizeof(*keys));
	if (!keys)
		return bg_error_oom();
	size_t i = 0;
	for (const cJSON *m = obj->child; m; m = m->next, i++)
		keys[i] = (struct key_at){m->string ? m->string : "", i};
	qsort(keys, n, sizeof(*keys), key_at_cmp);
	size_t first = SIZE_MAX; /* the earliest member that repeats a key before it */
	const char *key = NULL;
	for (i = 1; i < n; i++) {
		if (keys[i].i < first && !strcmp(keys[i].key, keys[i - 1].key)) {
			first = keys[i].i;
			key = keys[i].key;
		}
	}
	int rc = 0;
	if (key) {
		struct bg_json_at kat;
		bg_json_at_key(&kat, at, key);
		rc = bg_json_at_fail(&kat, "duplicate key");
	}
	free(keys);
	return rc;
}
