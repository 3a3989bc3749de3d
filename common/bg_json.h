/* The one JSON reader every bitgate input uses (bitgate.json, bench output, decisions,
 * exports): parsing with line and column in errors, and typed getters over a cursor that
 * carries the input's name and the JSON path, so every error reads
 * "ORIGIN: PATH: expected X, got Y". Values are cJSON's; strings handed out are borrowed. */
#ifndef BG_JSON_H
#define BG_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cJSON;

/* Parses one JSON document (cJSON) that must fill the whole text (whitespace aside; a UTF-8
 * byte-order mark is skipped). BG_EINPUT with "ORIGIN: ..." for empty input, a NUL byte,
 * malformed JSON ("at line L, column C near `...`") and text that ends early ("ends early at
 * line L, column C"). Free *out with cJSON_Delete. */
int bg_json_parse(struct cJSON **out, const char *text, size_t len, const char *origin);

/* bg_json_parse for a document that must be an object: "ORIGIN: expected a JSON object at
 * the top level, got Y" otherwise. */
int bg_json_parse_object(struct cJSON **out, const char *text, size_t len, const char *origin);

/* "a string", "a number", "an object", ... for "expected X, got Y" messages. */
const char *bg_json_type_name(const struct cJSON *item);

/* Sets BG_EINPUT with "ORIGIN: PATH: problem" ("ORIGIN: problem" for an empty path), the
 * shape of every error in a JSON input, and returns BG_EINPUT. */
int bg_json_fail(const char *origin, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* JSON paths for messages ("tests[1].junit"): parent.key (key alone when parent is empty) and
 * parent[i]. A path longer than size is cut and ends in "...". */
void bg_json_path_key(char *out, size_t size, const char *parent, const char *key);
void bg_json_path_index(char *out, size_t size, const char *parent, size_t i);

/* 0 and the value when item is a number with an exact integer value in [min, max]; else
 * BG_EINPUT (no message set). */
int bg_json_integer(const struct cJSON *item, int64_t min, int64_t max, int64_t *out);

/* Whether text is empty or only JSON whitespace. */
bool bg_json_blank(const char *text, size_t len);

/* obj[key], the key compared case-sensitively ("Samples" is not "samples"); NULL when obj is
 * not an object or has no such member. */
const struct cJSON *bg_json_member(const struct cJSON *obj, const char *key);

/* ---- the cursor ---- */

/* Where a value sits, for messages. Cheap to copy: one per nesting level, on the stack. */
struct bg_json_at {
	const char *origin; /* the input: a file name, "bench output of 1a2b3c4", "x.jsonl:3";
			       borrowed */
	char path[256]; /* the JSON path of the value: "" at the top, "tests[1]", "gates.perf" */
};

/* A cursor at the top of the document origin names. */
void bg_json_at_root(struct bg_json_at *out, const char *origin);

/* The cursor of at's member key, and of at's element i. out may not be at. */
void bg_json_at_key(struct bg_json_at *out, const struct bg_json_at *at, const char *key);
void bg_json_at_index(struct bg_json_at *out, const struct bg_json_at *at, size_t i);

/* bg_json_fail at the cursor: "ORIGIN: PATH: problem", or "ORIGIN: problem" at the top. */
int bg_json_at_fail(const struct bg_json_at *at, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* ---- typed values: v is the value at the cursor ---- */
/* Each returns 0 and the value, or BG_EINPUT with "ORIGIN: PATH: required" when v is NULL and
 * "ORIGIN: PATH: expected X, got Y" when v is not what is asked for. */

int bg_json_want_string(const struct bg_json_at *at, const struct cJSON *v, const char **out);
int bg_json_want_bool(const struct bg_json_at *at, const struct cJSON *v, int *out);
int bg_json_want_object(const struct bg_json_at *at, const struct cJSON *v);
/* An array; *n its length (n may be NULL). */
int bg_json_want_array(const struct bg_json_at *at, const struct cJSON *v, size_t *n);

/* A finite number in [lo, hi]: "expected a number, got Y" or "expected a number in [lo, hi],
 * got 7". */
int bg_json_want_number(const struct bg_json_at *at, const struct cJSON *v, double lo, double hi,
			double *out);

/* A number with an exact integer value in [lo, hi]: "expected an integer in [lo, hi], got Y";
 * where hi is a type's limit (INT_MAX or above) the message says "an integer >= lo", and
 * "an integer" where lo is one too (INT_MIN or below). */
int bg_json_want_integer(const struct bg_json_at *at, const struct cJSON *v, int64_t lo, int64_t hi,
			 int64_t *out);

/* ---- typed members: obj[key] of the object at the cursor ---- */

/* How to treat a member that is absent (or, with BG_JSON_NULLABLE, null). */
enum bg_json_need {
	BG_JSON_OPTIONAL = 0, /* absent: returns 0 with *out untouched */
	BG_JSON_REQUIRED = 1, /* absent: "ORIGIN: PATH.key: required" */
	BG_JSON_NULLABLE = 2, /* optional, and null reads as absent */
};

/* Each returns 1 when the member was read into *out, 0 when it is absent (or null with
 * BG_JSON_NULLABLE) and not required, and BG_EINPUT with the message on a wrong value. */
int bg_json_get_string(const struct bg_json_at *at, const struct cJSON *obj, const char *key,
		       enum bg_json_need need, const char **out);
int bg_json_get_bool(const struct bg_json_at *at, const struct cJSON *obj, const char *key,
		     enum bg_json_need need, int *out);
int bg_json_get_number(const struct bg_json_at *at, const struct cJSON *obj, const char *key,
		       enum bg_json_need need, double lo, double hi, double *out);
int bg_json_get_integer(const struct bg_json_at *at, const struct cJSON *obj, const char *key,
			enum bg_json_need need, int64_t lo, int64_t hi, int64_t *out);
/* An object or array member; *out the value, *sub (may be NULL) its cursor. */
int bg_json_get_object(const struct bg_json_at *at, const struct cJSON *obj, const char *key,
		       enum bg_json_need need, const struct cJSON **out, struct bg_json_at *sub);
int bg_json_get_array(const struct bg_json_at *at, const struct cJSON *obj, const char *key,
		      enum bg_json_need need, const struct cJSON **out, struct bg_json_at *sub);

/* 0 when no key of the object at the cursor is given twice; else BG_EINPUT with
 * "ORIGIN: PATH.KEY: duplicate key" for the first repeat in document order. cJSON keeps both
 * members of a repeated key and lookups see only the first, so a reader that walks the
 * members would read both: call it before walking an object's members. 0 for anything that
 * is not an object. n log n in the number of members. */
int bg_json_unique_keys(const struct bg_json_at *at, const struct cJSON *obj);

#endif
