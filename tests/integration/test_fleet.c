/* Integration: a fleet of `bitgate nightly --claim` runners (real processes) sharing one
 * database: four runners of one pool over 40 commits measure each exactly once and lose
 * none; a runner killed (SIGKILL) in the middle of a run loses its claim when the lease runs
 * out, another runner measures that commit, and the database stays consistent; runners of
 * two pools each measure every commit; a run longer than the lease keeps its claim (the
 * lease renewed). On SQLite (processes of one machine) and, as the
 * _pg cases, on the run's PostgreSQL server. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bg_buf.h"
#include "bg_db.h"
#include "bg_error.h"
#include "bg_fs.h"
#include "db_fixture.h"
#include "it_fixture.h"
#include "tf.h"
#include "tg_fixture.h"

#define MAX_COMMITS 40

static char shas[MAX_COMMITS][41];

/* The case's database: the fixture's SQLite file, or a new PostgreSQL database. */
static void use_test_db(struct fx *f, const char *tag)
{
	if (db_test_pg())
		snprintf(f->db, sizeof(f->db), "%s", pg_fixture_new_db(tag));
}

/* Complete nightly runs of commit i, and all its nightly runs in *all. */
static int complete_runs(struct bg_db *db, int i, int *all)
{
	struct bg_run_rec *runs;
	size_t n = runs_of(db, shas[i], &runs);
	int complete = 0;
	*all = 0;
	for (size_t k = 0; k < n; k++) {
		if (strcmp(runs[k].kind, "nightly"))
			continue;
		(*all)++;
		complete += runs[k].complete;
	}
	bg_db_run_list_free(runs, n);
	return complete;
}

/* Starts runner i of pool (tag "<pool>-<i>", its own site directory) with lease_s. */
static pid_t start_runner(struct fx *f, const char *pool, int i, const char *lease_s)
{
	char tag[64], site[700];
	snprintf(tag, sizeof(tag), "%s-%d", pool, i);
	snprintf(site, sizeof(site), "%s/site-%s", f->root, tag);
	return bitgate_start(f, tag, "nightly", "--claim", "--pool", pool, "--lease", lease_s,
			     "--max-commits", "100", "--repetitions", "1", "--no-tests", "--site",
			     site, NULL);
}

/* Waits for runner i of pool and checks that it ended well. */
static void wait_runner(struct fx *f, const char *pool, int i, pid_t pid)
{
	char tag[64];
	snprintf(tag, sizeof(tag), "%s-%d", pool, i);
	int st = bitgate_wait(f, tag, pid);
	TF_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "runner %s: status %d\nstderr:\n%s", tag,
		 st, bg_buf_cstr(&err_text));
	TF_CHECK(strstr(bg_buf_cstr(&err_text), "measured"),
		 "runner %s said nothing of its work:\n%s", tag, bg_buf_cstr(&err_text));
}

static void expect_queue(struct bg_db *db, const char *pool, size_t done)
{
	struct bg_queue_counts n;
	TF_CHECK(bg_db_queue_counts(db, pool, "nightly", &n) == 0, "%s", bg_error_last());
	TF_CHECK(n.done == done && n.queued == 0 && n.claimed == 0 && n.failed == 0,
		 "pool %s: done %zu queued %zu claimed %zu failed %zu, want %zu done", pool, n.done,
		 n.queued, n.claimed, n.failed, done);
}

static void expect_db_check(struct fx *f)
{
	EXPECT_EXIT(0, bitgate(f, "db", "check", NULL));
}

TF_TEST(integration__fleet_four_runners_measure_each_commit_once)
{
	struct fx f;
	commit_line(&f, "fleet4", MAX_COMMITS, MAX_COMMITS, -1, shas);
	use_test_db(&f, "fleet4");
	pid_t pids[4];
	for (int i = 0; i < 4; i++)
		pids[i] = start_runner(&f, "p", i, "60");
	for (int i = 0; i < 4; i++)
		wait_runner(&f, "p", i, pids[i]);
	struct bg_db *db = open_db(&f);
	for (int i = 0; i < MAX_COMMITS; i++) {
		int all, complete = complete_runs(db, i, &all);
		TF_CHECK(complete == 1 && all == 1, "commit %d: %d runs, %d complete", i, all,
			 complete);
	}
	expect_queue(db, "p", MAX_COMMITS);
	bg_db_close(db);
	expect_db_check(&f);
	fx_done(&f);
}

#define KILL_COMMITS 6

/* Commits n commits whose bench runs the shell code before its program. */
static void commit_shell_line(struct fx *f, int n, const char *before)
{
	char cfg[4096];
	snprintf(
		cfg, sizeof(cfg),
		"{\"version\": 1, \"build\": [{\"name\": \"bench\", \"argv\": [\"cc\", \"-O1\", "
		"\"-o\", \"{build}/bench\", \"{src}/bench.c\"]}],\n"
		"\"bench\": {\"argv\": [\"sh\", \"-c\", \"%s exec {build}/bench\"], \"warmup\": 0, "
		"\"timeout_s\": 120, \"format\": \"bitgate-bench/1\"}}\n",
		before);
	TF_CHECK(tg_write(f->repo, "bitgate.json", cfg) == 0, "write bitgate.json");
	for (int i = 0; i < n; i++)
		commit_cost(f, 1000000L + i, 4, 0, shas[i]);
}

/* Commits KILL_COMMITS commits whose bench, while flag exists, writes its pid to marker
 * and sleeps (so the test can kill its runner in the middle of a run). */
static void commit_sleepy_line(struct fx *f, const char *flag, const char *marker)
{
	char before[3000]; /* four paths of up to 700 bytes */
	snprintf(before, sizeof(before),
		 "if [ -e %s ]; then echo $$ > %s.tmp && mv %s.tmp %s && exec sleep 60; fi;", flag,
		 marker, marker, marker);
	commit_shell_line(f, KILL_COMMITS, before);
}

TF_TEST(integration__fleet_killed_runner_its_commit_taken_again)
{
	struct fx f;
	char flag[700], marker[700];
	fx_init(&f, "fleetkill");
	use_test_db(&f, "fleetkill");
	snprintf(flag, sizeof(flag), "%s/sleep-please", f.root);
	snprintf(marker, sizeof(marker), "%s/sleeping", f.root);
	commit_sleepy_line(&f, flag, marker);
	TF_CHECK(tg_write(f.root, "sleep-please", "") == 0, "write the flag");
	/* the first runner claims the newest commit and is killed while its bench sleeps */
	pid_t victim = start_runner(&f, "k", 0, "2");
	int asleep = wait_for_file(marker, 120);
	struct bg_buf text = BG_BUF_INIT;
	long sleeper = asleep && bg_fs_read(&text, marker) == 0 ? atol(bg_buf_cstr(&text)) : 0;
	bg_buf_free(&text);
	kill(victim, SIGKILL);
	int st = bitgate_wait(&f, "k-0", victim);
	if (sleeper > 1)
		kill((pid_t)sleeper, SIGKILL);
	TF_CHECK(asleep, "the bench never slept; runner: %d\n%s", st, bg_buf_cstr(&err_text));
	TF_CHECK(unlink(flag) == 0, "unlink the flag");
	/* two more runners: all the other commits, then the killed one once its lease ran out */
	pid_t a = start_runner(&f, "k", 1, "2"), b = start_runner(&f, "k", 2, "2");
	wait_runner(&f, "k", 1, a);
	struct bg_buf both = BG_BUF_INIT;
	bg_buf_puts(&both, bg_buf_cstr(&err_text));
	wait_runner(&f, "k", 2, b);
	bg_buf_puts(&both, bg_buf_cstr(&err_text));
	TF_CHECK(strstr(bg_buf_cstr(&both), "took back 1 claim whose lease ran out"),
		 "no runner took the claim back:\n%s", bg_buf_cstr(&both));
	bg_buf_free(&both);
	struct bg_db *db = open_db(&f);
	for (int i = 0; i < KILL_COMMITS; i++) {
		int all, complete = complete_runs(db, i, &all);
		int killed = i == KILL_COMMITS - 1; /* the newest is claimed first */
		TF_CHECK(complete == 1 && all == 1 + killed, "commit %d: %d runs, %d complete", i,
			 all, complete);
	}
	expect_queue(db, "k", KILL_COMMITS);
	bg_db_close(db);
	expect_db_check(&f);
	fx_done(&f);
}

#define POOL_COMMITS 8

TF_TEST(integration__fleet_two_pools_each_measure_every_commit)
{
	struct fx f;
	commit_line(&f, "fleetpools", POOL_COMMITS, POOL_COMMITS, -1, shas);
	use_test_db(&f, "fleetpools");
	static const char *const pools[] = {"a", "b"};
	pid_t pids[4];
	for (int i = 0; i < 4; i++)
		pids[i] = start_runner(&f, pools[i % 2], i, "60");
	for (int i = 0; i < 4; i++)
		wait_runner(&f, pools[i % 2], i, pids[i]);
	struct bg_db *db = open_db(&f);
	for (int i = 0; i < POOL_COMMITS; i++) {
		int all, complete = complete_runs(db, i, &all);
		TF_CHECK(complete == 2 && all == 2, "commit %d: %d runs, %d complete", i, all,
			 complete);
	}
	expect_queue(db, "a", POOL_COMMITS);
	expect_queue(db, "b", POOL_COMMITS);
	bg_db_close(db);
	expect_db_check(&f);
	fx_done(&f);
}

TF_TEST(integration__fleet_lease_renewed_while_a_run_outlasts_it)
{
	struct fx f;
	fx_init(&f, "fleetrenew");
	use_test_db(&f, "fleetrenew");
	/* each bench round takes 2.5 s, a lease 1 s: only renewals keep the claims */
	commit_shell_line(&f, 2, "sleep 2.5;");
	pid_t a = start_runner(&f, "r", 0, "1"), b = start_runner(&f, "r", 1, "1");
	struct bg_buf both = BG_BUF_INIT;
	wait_runner(&f, "r", 0, a);
	bg_buf_puts(&both, bg_buf_cstr(&err_text));
	wait_runner(&f, "r", 1, b);
	bg_buf_puts(&both, bg_buf_cstr(&err_text));
	TF_CHECK(!strstr(bg_buf_cstr(&both), "took back") && !strstr(bg_buf_cstr(&both), "lost"),
		 "a lease ran out while its runner worked:\n%s", bg_buf_cstr(&both));
	bg_buf_free(&both);
	struct bg_db *db = open_db(&f);
	for (int i = 0; i < 2; i++) {
		int all, complete = complete_runs(db, i, &all);
		TF_CHECK(complete == 1 && all == 1, "commit %d: %d runs, %d complete", i, all,
			 complete);
	}
	expect_queue(db, "r", 2);
	bg_db_close(db);
	fx_done(&f);
}

/* --bisect with --claim: two runners of one pool share the machine's open regression
 * through the queue: it is bisected once (each commit of its range measured by one bisect
 * at most), its suspect is the slow commit, and both runners end well. */
TF_TEST(integration__fleet_bisects_each_regression_once)
{
	enum { N = 19, SLOW = 13 };
	struct fx f;
	char line[N][41], site[700];
	fx_init(&f, "fleet-bisect");
	use_test_db(&f, "fleetbisect");
	snprintf(site, sizeof(site), "%s/site", f.root);
	/* a nightly of every commit up to 12, then a spread of 4 over the rest */
	const int upto[2] = {12, N};
	const char *max[2] = {"20", "4"};
	for (int stage = 0, i = 0; stage < 2; stage++) {
		for (; i < upto[stage]; i++)
			commit_cost(&f, (i >= SLOW ? 1100000L : 1000000L) + i, 4, 0, line[i]);
		EXPECT_EXIT(0,
			    bitgate(&f, "nightly", "--branch", "main", "--max-commits", max[stage],
				    "--repetitions", "1", "--no-tests", "--site", site, NULL));
	}
	pid_t pids[2];
	for (int r = 0; r < 2; r++) {
		char tag[16], own[720];
		snprintf(tag, sizeof(tag), "b-%d", r);
		snprintf(own, sizeof(own), "%s-%d", site, r);
		pids[r] = bitgate_start(&f, tag, "nightly", "--branch", "main", "--claim", "--pool",
					"b", "--lease", "60", "--max-commits", "0", "--bisect",
					"--repetitions", "1", "--no-tests", "--site", own, NULL);
	}
	int bisected = 0;
	for (int r = 0; r < 2; r++) {
		char tag[16];
		snprintf(tag, sizeof(tag), "b-%d", r);
		int st = bitgate_wait(&f, tag, pids[r]);
		TF_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "runner %s: status %d\n%s", tag, st,
			 bg_buf_cstr(&err_text));
		bisected += strstr(bg_buf_cstr(&out_text), "bisected loop/scalar") != NULL;
	}
	TF_CHECK_EQ(bisected, 1);
	struct bg_db *db = open_db(&f);
	for (int i = 0; i < N; i++) {
		struct bg_run_rec *runs;
		size_t nr = runs_of(db, line[i], &runs), by_bisect = 0;
		for (size_t k = 0; k < nr; k++)
			by_bisect += runs[k].label && !strcmp(runs[k].label, "bisect");
		bg_db_run_list_free(runs, nr);
		TF_CHECK(by_bisect <= 1, "commit %d measured by %zu bisects", i, by_bisect);
		TF_CHECK(i != SLOW || by_bisect == 1, "the slow commit not bisected");
	}
	struct bg_regression_rec *reg;
	size_t n;
	TF_CHECK(bg_db_regression_list(db, 0, &reg, &n) == 0, "%s", bg_error_last());
	TF_CHECK(n == 1 && reg[0].suspect_sha && !strcmp(reg[0].suspect_sha, line[SLOW]),
		 "%zu regressions, suspect %.10s, want %.10s", n,
		 n && reg[0].suspect_sha ? reg[0].suspect_sha : "none", line[SLOW]);
	bg_db_regression_list_free(reg, n);
	bg_db_close(db);
	expect_db_check(&f);
	/* nightly --no-measure: the site of every machine, as bitgate site; it measures nothing */
	char index[760];
	snprintf(site, sizeof(site), "%s/site-all", f.root);
	snprintf(index, sizeof(index), "%s/index.html", site);
	EXPECT_EXIT(2, bitgate(&f, "nightly", "--no-measure", "--claim", NULL));
	EXPECT_EXIT(0, bitgate(&f, "nightly", "--no-measure", "--site", site, NULL));
	TF_CHECK(bg_fs_exists(index), "no %s", index);
	TF_CHECK(strstr(bg_buf_cstr(&out_text), "site: 1 machine"), "%s", bg_buf_cstr(&out_text));
	fx_done(&f);
}
