/* The integration tests' throwaway project and helpers (it_fixture.c). */
#ifndef IT_FIXTURE_H
#define IT_FIXTURE_H

#include <stddef.h>
#include <sys/types.h>

#include "bg_buf.h"
#include "bg_db.h"

/* bench.c (BEHAVIOUR 0 measures a loop of COST iterations, 1 crashes, 2 hangs with a child
 * that hangs too, 3 prints garbage, 4 reports COST with jitter, 5 and 6 print a valid report
 * then exit 1 or abort), test.c (writes JUnit; FAIL adds a failing case) and
 * the bitgate.json that builds and runs them. */
extern const char it_bench_c[], it_test_c[], it_config_json[];

struct fx {
	char root[512]; /* temporary directory holding everything */
	char repo[600];
	char db[600];
};

void fx_init(struct fx *f, const char *tag);
void fx_done(struct fx *f);

/* Commits cost.h with the given knobs; sha (41 bytes) receives the commit. */
void commit_cost(struct fx *f, long cost, int behaviour, int fail, char *sha);

/* fx_init, then a line of n commits whose benchmark reports its cost with +-1% jitter
 * (BEHAVIOUR 4, so results do not depend on this machine's speed): 1e6 + i, and 10% more
 * from commit slow_at on; every commit changes cost.h. Commit broken (-1: none) has a
 * bench.c that does not compile. shas[i] receives commit i. */
void commit_line(struct fx *f, const char *tag, int n, int slow_at, int broken,
		 char (*shas)[41]);

/* stdout and stderr of the last bitgate() */
extern struct bg_buf out_text, err_text;

/* Runs bitgate --repo R --db D ARGS... (NULL-terminated) and returns its exit status. */
int bitgate(struct fx *f, ...);

/* The same with env ("KEY=value", NULL-terminated) added to bitgate's environment. */
int bitgate_env(struct fx *f, char *const *env, ...);

/* Starts bitgate --repo R --db D ARGS... (NULL-terminated) in the background, its stdout and
 * stderr in <root>/<tag>.out and .err; returns its pid. */
pid_t bitgate_start(struct fx *f, const char *tag, ...);

/* Waits for the bitgate started as tag and returns its wait status; its stdout and stderr are
 * then in out_text / err_text. */
int bitgate_wait(struct fx *f, const char *tag, pid_t pid);

/* 1 once path exists, polling for at most timeout_s seconds; 0 if it never appeared. */
int wait_for_file(const char *path, double timeout_s);

#define EXPECT_EXIT(want, call)                                                                    \
	do {                                                                                       \
		int got_ = (call);                                                                 \
		TF_CHECK(got_ == (want), "exit %d, want %d\nstdout:\n%s\nstderr:\n%s", got_,       \
			 (want), bg_buf_cstr(&out_text), bg_buf_cstr(&err_text));                  \
	} while (0)

struct bg_db *open_db(struct fx *f);

/* How many nightly runs (any label, complete or not) the database holds. */
size_t count_nightly_runs(struct bg_db *db);

/* The runs of a commit, newest first. */
size_t runs_of(struct bg_db *db, const char *sha, struct bg_run_rec **runs);

const struct bg_result_rec *find_result(const struct bg_result_rec *r, size_t n, const char *name);

#endif
