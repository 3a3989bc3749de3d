/* The reader of a bench program's output (bitgate-bench/1 JSON, Google Benchmark JSON).
 * Malformed input is BG_EINPUT with the origin (a file name or "bench output of <commit>")
 * and what is wrong; nothing is partially returned. */
#ifndef BG_BENCH_PARSE_H
#define BG_BENCH_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "bg_result.h"

#define BG_FORMAT_BITGATE "bitgate-bench/1"
#define BG_FORMAT_GBENCH "googlebenchmark"

/* Parses bench output in the given format. For bitgate-bench/1: the schema string must
 * match; each benchmark needs name, unit and either samples (finite, positive numbers) or
 * "skipped". For Google Benchmark: entries of run_type "iteration" become samples of their
 * run_name (repetitions are samples; aggregates are ignored), real_time converted to ns,
 * "items_per_second" is not used; context fields map to bg_bench_ctx. */
int bg_bench_parse(struct bg_bench_set **out, const char *text, size_t len, const char *format,
		   const char *origin);

/* JSON helpers shared by the readers of bgparse (bitgate.json and bench output). */
struct cJSON;

/* Parses one JSON document (cJSON) that must fill the whole text (whitespace aside; a UTF-8
 * byte-order mark is skipped). BG_EINPUT with "ORIGIN: ..." for empty input, a NUL byte,
 * malformed JSON ("at line L, column C near `...`") and text that ends early ("ends early at
 * line L, column C"). Free *out with cJSON_Delete. */
int bg_json_parse(struct cJSON **out, const char *text, size_t len, const char *origin);

/* "a string", "a number", "an object", ... for "expected X, got Y" messages. */
const char *bg_json_type_name(const struct cJSON *item);

/* Sets BG_EINPUT with "ORIGIN: PATH: problem", the shape of every error in a JSON input, and
 * returns BG_EINPUT. */
int bg_json_fail(const char *origin, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* JSON paths for messages ("tests[1].junit"): parent.key (key alone when parent is empty) and
 * parent[i]. A path longer than size is cut and ends in "...". */
void bg_json_path_key(char *out, size_t size, const char *parent, const char *key);
void bg_json_path_index(char *out, size_t size, const char *parent, size_t i);

/* 0 and the value when item is a number with an exact integer value in [min, max]; else
 * BG_EINPUT (no message set). */
int bg_json_integer(const struct cJSON *item, int64_t min, int64_t max, int64_t *out);

#endif
