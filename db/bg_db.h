/* bitgate's store: every machine, commit, build, run, raw sample, kernel ID, test result
 * and error, in SQLite (the embedded default) or a shared PostgreSQL. The only module that
 * contains SQL. It records; it decides nothing.
 *
 * Consistency: each write below is one transaction, and writers wait for each other
 * instead of failing (SQLite: BEGIN IMMEDIATE, WAL and a busy timeout; PostgreSQL: one
 * advisory lock every writer takes). A run is created incomplete and only bg_db_run_finish(..., complete=1) marks it
 * complete, so a process killed at any moment leaves an incomplete run that gates never use.
 *
 * Records returned by queries own their strings: release them with the matching _clear or
 * _free function. Records passed in are borrowed. */
#ifndef BG_DB_H
#define BG_DB_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "bg_buf.h"
#include "bg_result.h"

struct bg_db;

/* Opens the database path names and migrates it to the current schema: a SQLite file
 * (created with its directory if needed; PRAGMA user_version) or, when path is a
 * PostgreSQL URI or conninfo (bg_db_is_server), that server's database (its own
 * schema-version table). A database from a newer bitgate is refused. BG_EDB naming the
 * database (a server by host, port and database, never its password) and the engine's
 * message on any failure. */
int bg_db_open(struct bg_db **out, const char *path);
void bg_db_close(struct bg_db *db);

/* 1 when target names a PostgreSQL database (postgresql:// or postgres:// URI, or a libpq
 * conninfo such as "host=db dbname=bitgate"), 0 for a SQLite file's path. */
int bg_db_is_server(const char *target);

/* The database's name for messages: a file's path, or postgresql://HOST:PORT/DB (never a
 * password). Borrowed. */
const char *bg_db_name(const struct bg_db *db);

/* The schema version this build writes. */
int bg_db_schema_version(void);

/* SQLite: PRAGMA integrity_check and foreign_key_check (PostgreSQL enforces foreign keys
 * itself; no file check there); on both: bitgate's own invariants (complete
 * runs have a finish time, samples belong to existing runs). Appends one line per problem
 * to report (or "ok"); returns 0 when clean, BG_EDB when not. */
int bg_db_check(struct bg_db *db, struct bg_buf *report);

/* --- machines ------------------------------------------------------------------------ */

struct bg_machine_rec {
	int64_t id;
	char *fingerprint; /* stable key: SHA-256 of the fields below except hostname */
	char *hostname;
	char *cpu;         /* CPU model string */
	char *flags;       /* space-separated ISA flags relevant to kernels */
	int cores;         /* online logical CPUs */
	int64_t mem_bytes; /* physical memory */
	char *os;          /* "Linux 6.1.0-... x86_64" */
	char *gpu;         /* GPU model or NULL */
};

/* Inserts the machine unless its fingerprint is known; sets *id. */
int bg_db_machine_put(struct bg_db *db, const struct bg_machine_rec *m, int64_t *id);
int bg_db_machine_get(struct bg_db *db, int64_t id, struct bg_machine_rec *out);
void bg_db_machine_clear(struct bg_machine_rec *m);

/* --- commits ------------------------------------------------------------------------- */

struct bg_commit_rec {
	char *sha;     /* 40 hex */
	char *tree;    /* 40 hex */
	char *parent;  /* first parent, or NULL for a root commit */
	char *subject; /* first line of the message */
	char *author;  /* "Name <email>" */
	int64_t time;  /* committer time, Unix seconds */
};

/* Inserts or leaves as is (commits never change). */
int bg_db_commit_put(struct bg_db *db, const struct bg_commit_rec *c);

/* Looks a commit up by full SHA or unique prefix: BG_ENOTFOUND or BG_EINPUT (ambiguous). */
int bg_db_commit_get(struct bg_db *db, const char *sha_prefix, struct bg_commit_rec *out);
void bg_db_commit_clear(struct bg_commit_rec *c);

/* --- builds -------------------------------------------------------------------------- */

struct bg_build_rec {
	int64_t id;
	int64_t machine_id;
	char *tree;        /* tree id built (the working tree's computed tree id for WORKTREE) */
	char *config_hash; /* hash of the build configuration */
	char *status;      /* "ok" or "failed" */
	double duration_s; /* wall time of all build steps */
	char *log_tail; /* last lines of the failing step's output (failed builds); may be NULL */
	char *binary_hash;  /* SHA-256 over the bench program and test binaries; NULL if failed */
	char *dir;          /* cache directory holding the built tree; NULL once pruned */
	int64_t created;    /* Unix seconds */
	int64_t last_used;  /* Unix seconds */
	int64_t size_bytes; /* size of dir at build time (0 unknown) */
};

/* Inserts a build, or replaces the one with the same (machine, tree, config_hash); *id. */
int bg_db_build_put(struct bg_db *db, const struct bg_build_rec *b, int64_t *id);

/* The build of (machine, tree, config_hash): 0 and *found=1 with out filled, or *found=0. */
int bg_db_build_find(struct bg_db *db, int64_t machine_id, const char *tree,
		     const char *config_hash, struct bg_build_rec *out, int *found);

/* Marks a build used now (for pruning by age). */
int bg_db_build_touch(struct bg_db *db, int64_t id);

/* Builds whose dir is still present in the cache (dir not NULL), least recently used first. */
int bg_db_build_list(struct bg_db *db, struct bg_build_rec **out, size_t *n);

/* Forgets the cache directory of a build (the row stays: runs refer to it). */
int bg_db_build_forget_dir(struct bg_db *db, int64_t id);

void bg_db_build_clear(struct bg_build_rec *b);
void bg_db_build_list_free(struct bg_build_rec *v, size_t n);

/* --- runs ---------------------------------------------------------------------------- */

struct bg_run_rec {
	int64_t id;
	char *uuid;       /* globally unique (for db export/import merges); made by begin */
	char *kind;       /* "ci", "nightly" or "local" */
	char *commit_sha; /* the commit measured (HEAD's commit for WORKTREE) */
	int worktree;     /* 1 when the subject was the working tree with its changes */
	char *tree;       /* tree id measured */
	int64_t machine_id;
	int64_t build_id;      /* 0 when there was no build (it failed before one was made) */
	char *config_hash;     /* hash of the whole bitgate.json used */
	char *env_json;        /* JSON object of the environment additions the subject saw */
	char *harness_version; /* bitgate's version */
	char *label;           /* free text, e.g. "base" / "head" for a comparison; may be NULL */
	int64_t started;       /* Unix seconds */
	int64_t finished;      /* Unix seconds; 0 while running or when killed */
	int complete;          /* 1 only when everything configured ran and was stored */
	char *status;          /* "running", "ok", "build-failed", "bench-failed", "tests-failed",
				  "interrupted", "error" */
	int64_t n_samples;     /* filled by queries: samples stored for the run */
};

/* Creates the run (incomplete, status "running", started now if 0); sets run->id and, when
 * NULL, run->uuid (owned by the caller afterwards: it is malloc'd). */
int bg_db_run_begin(struct bg_db *db, struct bg_run_rec *run);

/* Stores one bench process's output for the run in one transaction: the series (benchmark,
 * params, metric, mode) are created as needed, then every sample, the kernel ID and
 * checked flag, or the skip reason. round numbers the bench process within the run (0, 1,
 * ...); mode is "default" or "strict" (or any other measurement mode). params describes
 * what else identifies the series, e.g. "threads=2" (may be ""). */
int bg_db_run_add_bench(struct bg_db *db, int64_t run_id, int round, const char *mode,
			const char *params, const struct bg_bench_set *set);

/* Stores a test suite's results (summary and every case) in one transaction. */
int bg_db_run_add_tests(struct bg_db *db, int64_t run_id, const struct bg_test_suite *suite);

/* Records an error of the run: stage ("build", "bench", "tests", "config", ...), a one-line
 * message and details (e.g. the tail of stderr; may be NULL). */
int bg_db_run_add_error(struct bg_db *db, int64_t run_id, const char *stage, const char *message,
			const char *detail);

/* Sets status, finished = now, and complete. */
int bg_db_run_finish(struct bg_db *db, int64_t run_id, const char *status, int complete);

/* Links a run to its build (set once the build is known). */
int bg_db_run_set_build(struct bg_db *db, int64_t run_id, int64_t build_id);

struct bg_run_filter {
	const char *commit_prefix; /* only runs of this commit (SHA prefix); NULL for all */
	const char *kind;          /* NULL for all */
	int only_complete;         /* 1: complete runs only */
	int64_t since;             /* started >= since (0: all) */
	size_t limit;              /* 0: no limit */
};

/* Runs matching the filter, newest first (started desc, id desc). */
int bg_db_run_list(struct bg_db *db, const struct bg_run_filter *f, struct bg_run_rec **out,
		   size_t *n);
int bg_db_run_get(struct bg_db *db, int64_t id, struct bg_run_rec *out);
void bg_db_run_clear(struct bg_run_rec *r);
void bg_db_run_list_free(struct bg_run_rec *v, size_t n);

/* One series' measurements in one run. */
struct bg_result_rec {
	char *benchmark; /* the benchmark's name */
	char *params;    /* "" when none */
	char *metric;    /* the samples' unit as a metric: "ns" (per iteration) */
	char *mode;      /* "default", "strict", ... */
	char *kernel;  /* kernel IDs observed, comma-separated when rounds differed; may be NULL */
	int checked;   /* 1 when every round said checked, 0 if any said not, -1 not said */
	char *skipped; /* skip reason, NULL when it ran */
	int64_t iterations; /* iterations per sample (of the last round) */
	double elements;
	double bytes;
	double *samples; /* every sample of every round, by round then order */
	int *rounds;     /* the round of each sample */
	size_t n;
};

/* Every series measured in a run, ordered by benchmark name then mode. */
int bg_db_run_results(struct bg_db *db, int64_t run_id, struct bg_result_rec **out, size_t *n);
void bg_db_results_free(struct bg_result_rec *v, size_t n);

/* Test suites of a run (each with its cases). */
int bg_db_run_tests(struct bg_db *db, int64_t run_id, struct bg_test_suite ***out, size_t *n);
void bg_db_tests_free(struct bg_test_suite **v, size_t n);

struct bg_error_rec {
	char *stage;
	char *message;
	char *detail; /* may be NULL */
	int64_t time;
};
int bg_db_run_errors(struct bg_db *db, int64_t run_id, struct bg_error_rec **out, size_t *n);
void bg_db_errors_free(struct bg_error_rec *v, size_t n);

/* --- history and decisions ------------------------------------------------------------ */

/* One earlier measurement of a series: a complete run on the machine, all its rounds. */
struct bg_history_point {
	int64_t run_id;
	char *sha;        /* the commit measured */
	int64_t started;  /* Unix seconds */
	double *samples;  /* every sample of the series in that run */
	int *rounds;      /* the round of each sample */
	size_t n;
};

/* The latest `limit` complete runs on machine_id that measured the series (benchmark,
 * params, metric, mode) and started before `before` (Unix seconds; 0: any time), oldest
 * first. Runs where the benchmark was skipped are left out, and so are the heads of
 * comparisons (label "head", "head-strict"): a change under review must not teach the
 * noise floor it is judged against; runs of the main line (no label, or a comparison's
 * base) do. */
int bg_db_series_history(struct bg_db *db, int64_t machine_id, const char *benchmark,
			 const char *params, const char *metric, const char *mode, int64_t before,
			 size_t limit, struct bg_history_point **out, size_t *n);
void bg_db_history_free(struct bg_history_point *v, size_t n);

/* An opt-in mode of a decision and its run (0: not made). */
struct bg_db_mode_run {
	const char *name;
	int64_t run_id;
};

/* Stores a comparison's decision (its JSON, as reports/ writes it) and its modes, in their
 * order; *id. Run ids may be 0 (not made). conclusion is "success", "failure" or
 * "neutral". */
int bg_db_decision_put(struct bg_db *db, const char *kind, int64_t base_run, int64_t head_run,
		       const struct bg_db_mode_run *modes, size_t n_modes, const char *conclusion,
		       const char *json, int64_t *id);

/* The decision's JSON (malloc'd). id 0: the newest. BG_ENOTFOUND when there is none. */
int bg_db_decision_get(struct bg_db *db, int64_t id, int64_t *id_out, char **json);

/* The newest decision whose base, head or mode run is run_id; BG_ENOTFOUND if none. */
int bg_db_decision_of_run(struct bg_db *db, int64_t run_id, int64_t *id);

/* --- pooling results of several machines --------------------------------------------- */

/* A stored decision's JSON with the ids it holds rewritten: its own id, the run ids of its
 * base and head sides and of each of its modes in their order (0: none), into *out
 * (malloc'd). db/ keeps decisions as text it does not read and hands the ids typed; the
 * reports side, which owns the decision schema, supplies this (bg_decision_json_set_ids)
 * to export and import, which call it for every decision (it may not be NULL). 0, BG_EINPUT
 * when json is not JSON, or BG_ENOMEM. */
typedef int (*bg_db_decision_ids_fn)(char **out, const char *json, int64_t id, int64_t base_run,
				     int64_t head_run, const int64_t *mode_runs,
				     size_t n_mode_runs);

/* Writes every complete or incomplete run started at or after since (0: all) as one JSON
 * object per line: the run with its machine, commit, build summary, results (samples),
 * tests and errors, self-contained. Then every decision made at or after since, one line
 * each ({"record": "decision", ...}), naming its runs by uuid, its ids zeroed by
 * decision_ids. Returns the number of runs written in *n_runs and of decisions in
 * *n_decisions (either may be NULL). */
int bg_db_export(struct bg_db *db, FILE *out, int64_t since, bg_db_decision_ids_fn decision_ids,
		 size_t *n_runs, size_t *n_decisions);

struct bg_import_stats {
	size_t lines;         /* lines read */
	size_t runs_added;    /* runs new to this database */
	size_t runs_present;  /* runs already here (same uuid): skipped */
	size_t samples_added; /* samples inserted */
	size_t decisions_added;   /* decisions new to this database */
	size_t decisions_present; /* the same kind, time and runs already here: skipped */
};

/* Merges an export: runs whose uuid is already present are skipped, so importing the same
 * file twice adds nothing; decisions are stored with this database's run ids, set by
 * decision_ids. All or nothing: one transaction; a malformed line is BG_EINPUT naming
 * origin and the line number, and nothing of the file is stored. */
int bg_db_import(struct bg_db *db, FILE *in, const char *origin, bg_db_decision_ids_fn decision_ids,
		 struct bg_import_stats *st);

/* --- the nightly dashboard: series along a line of commits, and regressions ----------- */

enum bg_commit_state {
	BG_COMMIT_UNMEASURED = 0,   /* no complete run, and nothing that makes one impossible */
	BG_COMMIT_MEASURED = 1,     /* a complete run */
	BG_COMMIT_UNMEASURABLE = 2, /* no complete run, but a run whose build failed or whose
				       bitgate.json is missing or unusable: running it again
				       would fail again */
};

/* done[i] = the bg_commit_state of shas[i] for non-worktree runs of kind on machine_id. Runs
 * labelled "bisect" count only when with_bisect is 1: bisect measures one benchmark, not
 * the set the nightly wants, but its failed builds are failed builds. */
int bg_db_commits_measured(struct bg_db *db, int64_t machine_id, const char *kind,
			   int with_bisect, const char *const *shas, size_t n, int *done);

/* One commit of a series: every sample of every complete run (and round) of that commit. */
struct bg_walk_point {
	size_t pos;      /* index into the caller's shas */
	double *samples; /* in run, round, sample order */
	size_t n;
};

/* A series (benchmark, params, metric, mode) along the caller's commits. */
struct bg_walk_series {
	char *benchmark, *params, *metric, *mode;
	struct bg_walk_point *points; /* commits with samples, in the order of shas */
	size_t n_points;
};

/* Every series that complete runs of kind on machine_id measured at the commits shas[0..n)
 * (in the caller's order, e.g. first parents oldest first), skipped results left out.
 * benchmark: only that benchmark's series (NULL: all). Series ordered by benchmark, params,
 * metric, mode. Commits not in shas are ignored. */
int bg_db_series_walk(struct bg_db *db, int64_t machine_id, const char *kind,
		      const char *benchmark, const char *const *shas, size_t n,
		      struct bg_walk_series **out, size_t *n_out);
void bg_db_series_walk_free(struct bg_walk_series *v, size_t n);

/* Where one sample came from (db_site.c). */
struct bg_sample_origin {
	int64_t run; /* the run's id */
	int round;   /* its round within the run */
};

/* The samples of w's points, all of them, one after another (the length of the origins of
 * bg_db_series_origins). */
size_t bg_db_walk_total(const struct bg_walk_series *w);

/* The run and round of every sample of w, a series bg_db_series_walk read with the same
 * machine_id, kind and shas: *out (free() it) holds bg_db_walk_total(w) origins, point by
 * point, each point's in its samples' order. BG_EINPUT naming the series when the stored
 * samples no longer match w (a run recorded in between), BG_EDB, BG_ENOMEM; *out is NULL
 * then. */
int bg_db_series_origins(struct bg_db *db, int64_t machine_id, const char *kind,
			 const struct bg_walk_series *w, const char *const *shas, size_t n,
			 struct bg_sample_origin **out);

/* One commit of a test suite: the outcomes of its cases, summed over the commit's runs. */
struct bg_suite_point {
	size_t pos; /* index into the caller's shas */
	int passed, failed, errored, skipped;
};

/* A test suite (by its name) along the caller's commits (db_site.c). */
struct bg_suite_walk {
	char *suite;
	struct bg_suite_point *points; /* commits with results, in the order of shas */
	size_t n_points;
};

/* Every test suite that runs of kind on machine_id (bisect's left out) stored at the
 * commits shas[0..n), by suite name; commits not in shas are ignored. */
int bg_db_suite_walk(struct bg_db *db, int64_t machine_id, const char *kind,
		     const char *const *shas, size_t n, struct bg_suite_walk **out, size_t *n_out);
void bg_db_suite_walk_free(struct bg_suite_walk *v, size_t n);

/* The machines with a complete run of kind (db_site.c), for a dashboard of every machine:
 * their ids in *out (free() it), ordered by CPU and fingerprint, so the same database, or
 * a copy of it, lists them alike. */
int bg_db_site_machines(struct bg_db *db, const char *kind, int64_t **out, size_t *n);

/* The pools (bitgate nightly --claim --pool) whose claims made runs of kind on machine_id,
 * in name order joined by ", ", into *out (free() it); NULL when none did (db_site.c). */
int bg_db_site_pools(struct bg_db *db, int64_t machine_id, const char *kind, char **out);

/* The commits that runs of kind on machine_id measured (not the working tree's), each
 * once, oldest first by committer time, then SHA (db_site.c): the line a dashboard draws
 * when there is no repository to walk. Free with bg_db_commit_list_free. */
int bg_db_site_commits(struct bg_db *db, int64_t machine_id, const char *kind,
		       struct bg_commit_rec **out, size_t *n);
void bg_db_commit_list_free(struct bg_commit_rec *v, size_t n);

/* A lasting shift of one series on one machine, as the nightly found it. */
struct bg_regression_rec {
	int64_t id;
	int64_t machine_id;
	char *benchmark, *params, *metric, *mode;
	char *good_sha;     /* the last measured commit before the shift */
	char *bad_sha;      /* the first measured commit after it */
	double rel, lo, hi; /* after / before - 1, with its interval */
	double p;           /* the change point's significance */
	char *state;        /* "detected", "acknowledged" or "fixed" */
	char *reason;       /* acknowledged: why (from bitgate.json); else NULL */
	char *fixed_sha;    /* fixed: the first commit after the shift that undid it */
	char *suspect_sha;  /* bisect's first bad commit; NULL until bisected */
	double suspect_rel, suspect_lo, suspect_hi; /* its measured ratio - 1 and interval */
	int64_t detected;   /* Unix seconds: first stored */
	int64_t updated;    /* Unix seconds: last stored */
};

/* Stores r: with r->id 0, a new regression, or the same (machine, series, bad_sha) one
 * updated with r's good_sha, magnitude, p, state, reason and fixed_sha; with r->id set, that
 * regression of r->machine_id updated with everything of r, its range included (an analysis
 * with more commits measured narrowed it), BG_ENOTFOUND when there is none. Detected time
 * and suspect are kept either way. Sets r->id. One transaction. */
int bg_db_regression_put(struct bg_db *db, struct bg_regression_rec *r);

/* Removes regression id (an analysis of the same commits no longer finds it). */
int bg_db_regression_delete(struct bg_db *db, int64_t id);

/* Records bisect's answer for regression id. */
int bg_db_regression_set_suspect(struct bg_db *db, int64_t id, const char *sha, double rel,
				 double lo, double hi);

/* Regressions on machine_id (0: every machine), open ones (detected) first, then
 * acknowledged, then fixed; newest first within a state. */
int bg_db_regression_list(struct bg_db *db, int64_t machine_id, struct bg_regression_rec **out,
			  size_t *n);
void bg_db_regression_clear(struct bg_regression_rec *r);
void bg_db_regression_list_free(struct bg_regression_rec *v, size_t n);

/* --- the work queue of a fleet (db_queue.c) ------------------------------------------ */

/* Runners of one pool (bitgate nightly --claim) share the commits to measure through the
 * queue: each claims one under a lease, renews the lease while it works and releases it
 * when done; a claim whose lease ran out (its runner died) is taken back and claimed again,
 * at most BG_QUEUE_MAX_ATTEMPTS times. Leases are on the database's clock (milliseconds),
 * so the runners' clocks need not agree. Claims are one at a time: SQLite's write
 * transaction serializes them (processes of one machine); PostgreSQL's use SELECT ... FOR
 * UPDATE SKIP LOCKED, so runners never wait on each other's claims. A commit stays in the
 * queue once done: queueing it again in the same pool adds nothing. */

/* Claims of one commit after which a lease that runs out fails it instead of queueing it
 * again (a commit that kills its runner each time is not retried forever). */
#define BG_QUEUE_MAX_ATTEMPTS 3

/* One claimed commit, as bg_db_queue_claim hands it. */
struct bg_queue_claim {
	int64_t id;          /* the queue's row */
	char sha[72];        /* the commit to measure */
	int attempts;        /* claims of the row so far, this one included: with the runner,
				what renew and release check, so a claim taken back and made again
				is not mistaken for this one */
	int64_t lease_until; /* when the lease runs out (ms, database clock) */
};

/* How many commits of a pool's queue are in each state. */
struct bg_queue_counts {
	size_t queued, claimed, done, failed;
};

/* Queues shas[0..n) for pool (kind "nightly" or "bisect"), each after everything queued
 * before and in the order given (the first is claimed first). A commit already in the
 * pool's queue stays as it is, unless its last claim failed: it is queued again. With
 * only_when_idle, nothing is added while the pool has commits queued or claimed (the
 * runners of one nightly share the batch the first of them queued). *added (may be NULL):
 * commits queued. One transaction. */
int bg_db_queue_enqueue(struct bg_db *db, const char *pool, const char *kind,
			const char *const *shas, size_t n, int only_when_idle, size_t *added);

/* Takes back the pool's claims whose lease ran out: queued again, or failed after
 * BG_QUEUE_MAX_ATTEMPTS claims; *n (may be NULL) how many. bg_db_queue_claim does this
 * first. One transaction. */
int bg_db_queue_take_back(struct bg_db *db, const char *pool, const char *kind, size_t *n);

/* Claims the pool's first queued commit for runner (a name unique to the process) with a
 * lease of lease_ms: *found 1 and *out filled, or *found 0 when none is queued; then *held
 * (may be NULL) counts the pool's claims whose lease has not run out, the other runners'
 * work (wait for them: one may yet be taken back). *taken_back (may be NULL): expired
 * claims taken back first. One transaction. */
int bg_db_queue_claim(struct bg_db *db, const char *pool, const char *kind, const char *runner,
		      int64_t lease_ms, struct bg_queue_claim *out, int *found, size_t *held,
		      size_t *taken_back);

/* Extends c's lease to lease_ms from now. BG_EINFRA naming the commit, the pool and the
 * runner when runner no longer holds c (it ran out and was taken back): the lease is lost,
 * another runner measures the commit. */
int bg_db_queue_renew(struct bg_db *db, struct bg_queue_claim *c, const char *runner,
		      int64_t lease_ms);

/* Releases c: done (measured, or found unmeasurable) or failed (queued again by the next
 * bg_db_queue_enqueue), recording run_uuid (may be NULL), whose run gets the pool's name.
 * BG_EINFRA as bg_db_queue_renew when runner no longer holds c: nothing changes then. One
 * transaction. */
int bg_db_queue_release(struct bg_db *db, const struct bg_queue_claim *c, const char *runner,
			int done, const char *run_uuid);

/* The states of the pool's queue of kind. */
int bg_db_queue_counts(struct bg_db *db, const char *pool, const char *kind,
		       struct bg_queue_counts *out);

/* As bg_db_commits_measured (kind's runs, not the working tree's, bisect's left out), for
 * a pool: state[i] of shas[i] from the runs the pool's claims made, on any machine, and
 * the runs made without a pool on machine_id. */
int bg_db_queue_measured(struct bg_db *db, const char *pool, int64_t machine_id, const char *kind,
			 const char *const *shas, size_t n, int *state);

#endif
