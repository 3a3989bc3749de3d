/* The measurement engine every command stands on: for one commit (a "subject"), load its
 * bitgate.json, build it through the cache, open a run in the database, run the bench
 * command in rounds (after a warm-up that is not stored) and the test suites, store every
 * sample, and close the run as complete only when everything configured was measured.
 * Rounds are separate calls so callers can interleave two subjects (A B B A ...). */
#ifndef BG_ENGINE_H
#define BG_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "bg_app.h"
#include "bg_build.h"
#include "bg_config.h"
#include "bg_git.h"

struct bg_engine_opts {
	const char *kind;        /* "local", "ci" or "nightly" */
	const char *label;       /* stored with the run ("base", "head"); may be NULL */
	const char *config_path; /* use this bitgate.json instead of the commit's; may be NULL */
	int repetitions;         /* bench rounds stored per subject (>= 1) */
	const char *filter;      /* POSIX extended regex on benchmark names; NULL: all */
	const char *keep;        /* a second regex applied to the stored results only (not
				    passed to the program); NULL: none */
	int tests;               /* run the test suites */
	int pin_cpu;             /* pin the bench process to this CPU; -1: no pinning */
	int jobs;                /* {jobs}; 0: online CPUs */
	int rebuild;             /* ignore the build cache */
	const char *mode;        /* series mode ("strict"...); NULL: "strict" when the bench
				    says so or BITNET_STRICT_MODE=1 is in its env, else "default" */
	char *const *extra_env;  /* "KEY=value" for bench and tests; NULL-terminated or NULL */
};

struct bg_subject {
	const struct bg_commit *commit; /* borrowed */
	const struct bg_engine_opts *opts; /* borrowed */
	struct bg_config *cfg;     /* NULL when bitgate.json could not be read */
	struct bg_build_result build;
	int64_t run_id;            /* 0 until the run is stored */
	char *run_uuid;
	char *out_dir;             /* {out}: .bitgate/runs/<uuid> */
	char **env;                /* env additions for bench and tests */
	size_t n_env;
	int warmed;                /* the warm-up ran */
	int failed;                /* a stage failed; later stages are skipped */
	char status[32];           /* the run's status so far */
	char *error;               /* the first error's message */
	char *dispatch;            /* the bench program's kernel per operation, when it said */
	/* counts for the summary */
	size_t n_bench, n_skipped, n_samples, rounds_done;
	int tests_total, tests_passed, tests_failed, tests_skipped;
	/* time: everything, and inside child processes (bitgate's own = total - procs) */
	double t_start, proc_s, total_s;
};

/* Loads the configuration, builds, and stores the run's start. Returns 0 whether or not
 * the build worked (subject->failed tells), or a negative code when bitgate cannot go on
 * (BG_EINTR, BG_EDB). */
int bg_subject_prepare(struct bg_app *app, struct bg_subject *s, const struct bg_commit *c,
		       const struct bg_engine_opts *opts);

/* Runs and stores one bench round (the warm-up first when not done yet). */
int bg_subject_bench_round(struct bg_app *app, struct bg_subject *s, int round);

/* Runs and stores the test suites (when opts->tests). */
int bg_subject_tests(struct bg_app *app, struct bg_subject *s);

/* Marks the run complete ("ok") or not, with its status; nothing for a subject never
 * prepared (all zero). */
int bg_subject_finish(struct bg_app *app, struct bg_subject *s);

void bg_subject_clear(struct bg_subject *s);

/* Records c as a commit bitgate cannot measure because its tree has no bitgate.json: a run
 * with status "config-error" and the reason, at once and without a log line (a nightly
 * over a history that adopted bitgate late records many). The caller clears s. */
int bg_engine_record_unconfigured(struct bg_app *app, struct bg_subject *s,
				  const struct bg_commit *c, const struct bg_engine_opts *opts);

/* Everything for one subject in order: prepare, rounds, tests, finish. */
int bg_engine_run_one(struct bg_app *app, struct bg_subject *s, const struct bg_commit *c,
		      const struct bg_engine_opts *opts);

/* Loads the bitgate.json that applies to c: opts->config_path, else the file in c. */
int bg_engine_load_config(struct bg_app *app, const struct bg_commit *c,
			  const char *config_path, struct bg_config **out);

#endif
