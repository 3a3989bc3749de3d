/* The build cache: a commit's tree is materialised and built once per (tree id, build
 * configuration hash) on a machine, under .bitgate/cache/, and reused by every later run.
 * A failed build is recorded too (status, duration, tail of the log) and not retried unless
 * asked. Two bitgate processes building the same key wait for each other (a lock file). */
#ifndef BG_BUILD_H
#define BG_BUILD_H

#include <stdint.h>

#include "bg_app.h"
#include "bg_config.h"
#include "bg_git.h"

struct bg_build_opts {
	int jobs;    /* {jobs}; 0: the number of online CPUs */
	int rebuild; /* 1: ignore the cache (successful and failed builds) */
};

struct bg_build_result {
	int64_t build_id;  /* the builds row (0 when interrupted before one was recorded) */
	int ok;            /* 1 when the binaries are there */
	int cached;        /* 1 when nothing was built now */
	double duration_s; /* build time now (0 when cached); the recorded one when cached */
	char *dir;         /* the cache entry: <dir>/src, <dir>/build */
	char *src_dir;
	char *build_dir;
	char *binary_hash; /* SHA-256 of the bench program, NULL when not a file */
	char *message;     /* why it failed: step, outcome, log path */
	char *log_tail;    /* end of the failing step's output */
};

/* Makes sure c is built with cfg. Returns 0 with res->ok telling whether the build works
 * (a failing build is not an error of bitgate: it is recorded), or a negative code when
 * bitgate itself could not proceed (BG_EINTR on interruption, BG_EDB, BG_EINFRA). */
int bg_build_ensure(struct bg_app *app, const struct bg_commit *c, const struct bg_config *cfg,
		    const struct bg_build_opts *opts, struct bg_build_result *res);

void bg_build_result_clear(struct bg_build_result *res);

/* {jobs} for a step: jobs when positive, else the number of online CPUs. */
int bg_build_jobs(int jobs);

/* The cache directory of every build (<state>/cache). malloc'd. */
char *bg_build_cache_root(const struct bg_app *app);

/* Environment additions that let ccache share objects between trees materialised at
 * different paths (when ccache is installed); appended to a NULL-terminated list. */
int bg_build_ccache_env(const struct bg_app *app, char ***env, size_t *n);

#endif
