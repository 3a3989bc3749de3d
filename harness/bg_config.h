/* bitgate.json: how to build, bench and test a repository, read with cJSON and checked
 * strictly. Every error names the JSON path ("tests[1].junit: expected a string"). Argv
 * arrays carry placeholders ({src}, {build}, {out}, {jobs}, {filter}) that bg_config_expand fills;
 * nothing is ever passed to a shell. */
#ifndef BG_CONFIG_H
#define BG_CONFIG_H

#include <stddef.h>

#include "bg_buf.h" /* bg_strv_free, for the argv and env arrays below */

struct cJSON;

/* One command: a build step, the bench command or a test suite. */
struct bg_step {
	char *name;       /* step name ("configure"); the suite name for tests; "bench" */
	char **argv;      /* NULL-terminated, placeholders unexpanded */
	size_t argc;
	double timeout_s; /* wall-clock limit; the default when not given (see below) */
	char **env;       /* "KEY=value" additions, NULL-terminated (may be empty) */
	size_t n_env;
	char *cwd;        /* working directory (placeholders allowed); NULL: {build} for bench
			     and tests, {src} for build steps */
};

struct bg_test_cfg {
	struct bg_step step; /* step.name is the suite name */
	char *junit;         /* the JUnit XML file the command writes (placeholders allowed) */
};

struct bg_config {
	int version;            /* must be 1 */
	char *default_branch;   /* "main" when not given */
	struct bg_step *build;  /* build steps in order (may be none) */
	size_t n_build;
	struct bg_step bench;   /* the bench command (required) */
	char *bench_format;     /* "bitgate-bench/1" (default), "googlebenchmark", "hyperfine",
				   "pytest-benchmark" */
	char **bench_filter_argv; /* appended to the bench argv for --filter RE ({filter}); NULL */
	size_t bench_filter_argc;
	int bench_warmup;       /* warm-up runs of the bench command before stored ones (default 1) */
	struct bg_test_cfg *tests;
	size_t n_tests;
	char **env;             /* top-level "KEY=value" additions for every command */
	size_t n_env;
	struct cJSON *root;     /* the whole document, for sections later issues read (gates) */
	char hash[65];          /* SHA-256 of the document in canonical (unformatted cJSON) form */
	char build_hash[65];    /* SHA-256 of what changes a build: build steps and env */
	char *origin;           /* where it was read from, for messages */
};

/* Default timeouts, seconds. */
#define BG_CONFIG_BUILD_TIMEOUT 1800.0
#define BG_CONFIG_BENCH_TIMEOUT 900.0
#define BG_CONFIG_TEST_TIMEOUT 1800.0

/* Parses and validates. origin names the input in messages ("bitgate.json at 1a2b3c4").
 * BG_EINPUT with "ORIGIN: PATH: problem" for malformed JSON (with line and column), unknown
 * keys, wrong types, missing required fields, bad placeholders. Top-level keys starting with
 * "x-" are free for users; "gates", "nightly" and "acknowledge" are read by their own modules. */
int bg_config_parse(struct bg_config **out, const char *text, size_t len, const char *origin);

/* The most of a bitgate.json bitgate reads: a commit of a pull request writes it. */
#define BG_CONFIG_MAX_FILE (1u << 20)

/* Reads a file and parses it (BG_ENOTFOUND when the file does not exist; BG_EINPUT when it
 * is larger than BG_CONFIG_MAX_FILE). */
int bg_config_load(struct bg_config **out, const char *path);

void bg_config_free(struct bg_config *cfg);

/* An env object ({"KEY": "value"}, names checked, placeholders checked) into a
 * NULL-terminated "KEY=value" array at *out with *n_out entries; on failure the caller frees
 * what *out holds. BG_EINPUT naming at's path. */
struct bg_json_at;
int bg_config_read_env(char ***out, size_t *n_out, const struct bg_json_at *at,
		       const struct cJSON *v);

/* Values for placeholders. */
struct bg_vars {
	const char *src;   /* {src}: the checked-out tree */
	const char *build; /* {build}: its build directory */
	const char *out;   /* {out}: the per-run output directory */
	int jobs;          /* {jobs} */
	const char *filter; /* {filter}: the --filter regex; NULL: none given */
};

/* Expands the placeholders of a string; "{{" and "}}" are literal braces; an unknown
 * placeholder is BG_EINPUT. The result is malloc'd (*out). */
int bg_config_expand_str(char **out, const char *s, const struct bg_vars *vars);

/* Expands an argv (NULL-terminated result, free with bg_strv_free). */
int bg_config_expand_argv(char ***out, char *const *argv, const struct bg_vars *vars);

#endif
