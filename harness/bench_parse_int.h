/* What the readers of bench output share (private to bench_parse.c and the bench_<format>.c
 * files): every error is BG_EINPUT through bg_json_at_fail, naming the origin and the JSON
 * path, and a reader fills a set that bg_bench_set_free can free half-read. */
#ifndef BG_BENCH_PARSE_INT_H
#define BG_BENCH_PARSE_INT_H

#include <cJSON.h>
#include <stddef.h>

#include "bg_bench_parse.h"
#include "bg_json.h"
#include "bg_result.h"
#include "bg_strmap.h"

/* The array at key (required, not empty, at most BG_BENCH_MAX_ENTRIES): *list and its
 * length *n; set->v gets one zeroed entry per element (a bench or, for Google Benchmark, at
 * most one group each). */
int bgp_benchmark_list(struct bg_bench_set *set, const struct bg_json_at *root, const cJSON *doc,
		       const char *key, const cJSON **list, size_t *n);

/* A list of benchmarks being read: the set it fills, its key ("benchmarks", "results")
 * and the names of the entries read so far. */
struct bgp_list {
	struct bg_bench_set *set;
	const char *key;
	struct bg_strmap names;
};

/* Reads one entry, set->v[idx], from the object o at cursor at. */
typedef int (*bgp_entry_fn)(struct bgp_list *l, size_t idx, const struct bg_json_at *at,
			    const cJSON *o);

/* The array at key (bgp_benchmark_list), each entry an object read by read into set->v[i]
 * (checked = -1 first; every entry exists, zeroed, so bg_bench_set_free undoes a failure). */
int bgp_read_each(struct bg_bench_set *set, const struct bg_json_at *root, const cJSON *doc,
		  const char *key, bgp_entry_fn read);

/* set->v[idx].name from o[key] (bgp_required_name), unique in the list: a repeat fails as
 * "duplicate NOUN "x" (also KEY[i]HINT)". */
int bgp_take_name(struct bgp_list *l, size_t idx, const struct bg_json_at *at, const cJSON *o,
		  const char *key, const char *noun, const char *hint);

/* An optional string member, copied into *out (left NULL when absent). */
int bgp_opt_string(char **out, const struct bg_json_at *at, const cJSON *obj, const char *key);

/* A name (a benchmark's name, run_name or unit) no longer than BG_BENCH_MAX_NAME. */
int bgp_name_length(const struct bg_json_at *at, const char *key, const char *s);

/* A required, non-empty string member no longer than a name may be; borrowed. */
int bgp_required_name(const char **out, const struct bg_json_at *at, const cJSON *obj,
		      const char *key);

/* A finite number > 0 (a sample, a real_time): a zero, negative or non-finite timing means a
 * broken timer. */
int bgp_positive_number(double *out, const struct bg_json_at *at, const cJSON *v);

/* ctx printed as compact JSON into *out ("{}" for NULL). */
int bgp_keep_json(char **out, const cJSON *ctx);

/* Samples in seconds (hyperfine's times, pytest-benchmark's data), scaled to ns into b: each
 * a finite number >= 0. A zero (a time below what the tool resolves or, for hyperfine, below
 * the shell start-up it subtracts) makes b skipped with why_zero and the round it was in;
 * nothing else is kept of it. */
int bgp_seconds_samples(struct bg_bench *b, const struct bg_json_at *at, const cJSON *v,
			const char *why_zero);

/* The readers of each format, from the parsed document (set->format already set). */
int bgp_read_hyperfine(struct bg_bench_set *set, const struct bg_json_at *root, const cJSON *doc);
int bgp_read_pytest(struct bg_bench_set *set, const struct bg_json_at *root, const cJSON *doc);

#endif
