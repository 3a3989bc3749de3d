/* The reader of a bench program's output (bitgate-bench/1, Google Benchmark, hyperfine and
 * pytest-benchmark JSON). Malformed input is BG_EINPUT with the origin (a file name or "bench
 * output of <commit>") and what is wrong; nothing is partially returned. */
#ifndef BG_BENCH_PARSE_H
#define BG_BENCH_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "bg_result.h"

#define BG_FORMAT_BITGATE "bitgate-bench/1"
#define BG_FORMAT_GBENCH "googlebenchmark"
#define BG_FORMAT_HYPERFINE "hyperfine"
#define BG_FORMAT_PYTEST "pytest-benchmark"

/* The formats, for messages. */
#define BG_BENCH_FORMATS                                                                           \
	"\"" BG_FORMAT_BITGATE "\", \"" BG_FORMAT_GBENCH "\", \"" BG_FORMAT_HYPERFINE              \
	"\" or \"" BG_FORMAT_PYTEST "\""

/* What a bench program may print, as any program may print anything: the output is read
 * whole, and names end up in reports, tables and the database. */
enum {
	BG_BENCH_MAX_OUTPUT = 64 << 20, /* bytes of output (the engine reads no more) */
	BG_BENCH_MAX_ENTRIES = 1000000, /* entries in "benchmarks" ("results") */
	BG_BENCH_MAX_NAME = 1024,       /* bytes in a name, run_name or unit */
};

/* Parses bench output in the given format, within the bounds above. For bitgate-bench/1:
 * the schema string must match; each benchmark needs name, unit and either samples (finite,
 * positive numbers) or "skipped". For Google Benchmark: entries of run_type "iteration"
 * become samples of their run_name (repetitions are samples; aggregates are ignored),
 * real_time converted to ns, "items_per_second" is not used; context fields map to
 * bg_bench_ctx. For hyperfine (--export-json): each of "results" is a benchmark named by
 * its "command", its "times" the samples; a non-zero exit code (kept with -i) or a time of
 * 0 s (shorter than the shell start-up hyperfine subtracts) makes it skipped with the
 * reason. For pytest-benchmark (--benchmark-json): each benchmark named by its "fullname",
 * stats.data the samples when present (--benchmark-save-data), else stats.median as the
 * round's one sample. Times in seconds are converted to ns. */
int bg_bench_parse(struct bg_bench_set **out, const char *text, size_t len, const char *format,
		   const char *origin);

/* 1 when name is one of the formats above. */
int bg_bench_format_known(const char *name);

/* 1 when the format (NULL: the default) lets a benchmark say that its result was checked
 * against a reference and which kernel ran (bitgate-bench/1's "checked" and "kernel"); the
 * others carry no such field, so a report must not claim either. */
int bg_bench_format_checks(const char *name);

#endif
