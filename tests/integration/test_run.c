/* Integration: bitgate run on throwaway git repositories (made with libgit2) holding a
 * tiny C benchmark project whose cost changes between commits, plus commits that do not
 * build, benchmarks that crash, hang or print garbage, a malformed bitgate.json, and the
 * database checked through db/ after each. Timing is never asserted. */
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bg_buf.h"
#include "bg_db.h"
#include "bg_error.h"
#include "bg_fs.h"
#include "bg_proc.h"
#include "it_fixture.h"
#include "tf.h"
#include "tg_fixture.h"

TF_TEST(integration__range_stores_every_sample)
{
	struct fx f;
	fx_init(&f, "range");
	char c0[41], c1[41], c2[41], c3[41];
	commit_cost(&f, 1000, 0, 0, c0);
	commit_cost(&f, 20000, 0, 0, c1);
	commit_cost(&f, 40000, 0, 1, c2);
	commit_cost(&f, 80000, 0, 0, c3);
	char range[100];
	snprintf(range, sizeof(range), "%s..%s", c0, c3);
	EXPECT_EXIT(0, bitgate(&f, "run", range, "--repetitions", "2", NULL));
	TF_CHECK(strstr(out_text.ptr, "status") && strstr(out_text.ptr, "ok"), "summary:\n%s",
		 out_text.ptr);

	struct bg_db *db = open_db(&f);
	const char *shas[] = {c1, c2, c3};
	const long costs[] = {20000, 40000, 80000};
	for (int i = 0; i < 3; i++) {
		struct bg_run_rec *runs;
		size_t n = runs_of(db, shas[i], &runs);
		TF_CHECK_EQ(n, 1);
		TF_CHECK(runs[0].complete && !strcmp(runs[0].status, "ok"), "run %s: %s", shas[i],
			 runs[0].status);
		TF_CHECK(runs[0].build_id > 0, "no build recorded");
		struct bg_result_rec *res;
		size_t nres;
		TF_CHECK_EQ(bg_db_run_results(db, runs[0].id, &res, &nres), 0);
		TF_CHECK_EQ(nres, 2);
		const struct bg_result_rec *loop = find_result(res, nres, "loop/scalar");
		const struct bg_result_rec *simd = find_result(res, nres, "loop/simd");
		TF_CHECK(loop && simd, "benchmarks missing");
		TF_CHECK_EQ(loop->n, 10); /* 2 rounds x 5 samples; the warm-up is not stored */
		TF_CHECK_EQ(loop->rounds[0], 0);
		TF_CHECK_EQ(loop->rounds[9], 1);
		TF_CHECK(loop->kernel && !strcmp(loop->kernel, "scalar"), "kernel %s",
			 loop->kernel);
		TF_CHECK_EQ(loop->checked, 1);
		TF_CHECK((long)loop->elements == costs[i], "elements %g", loop->elements);
		TF_CHECK(!strcmp(loop->params, "threads=1"), "params '%s'", loop->params);
		TF_CHECK(!strcmp(loop->mode, "default"), "mode %s", loop->mode);
		TF_CHECK(simd->skipped && strstr(simd->skipped, "no SIMD") && simd->n == 0,
			 "skipped benchmark");
		struct bg_test_suite **ts;
		size_t nts;
		TF_CHECK_EQ(bg_db_run_tests(db, runs[0].id, &ts, &nts), 0);
		TF_CHECK_EQ(nts, 1);
		TF_CHECK(!strcmp(ts[0]->suite, "cpu"), "suite %s", ts[0]->suite);
		TF_CHECK_EQ(ts[0]->passed, 2);
		TF_CHECK_EQ(ts[0]->skipped, 1);
		TF_CHECK_EQ(ts[0]->failed, i == 1 ? 1 : 0);
		bg_db_tests_free(ts, nts);
		bg_db_results_free(res, nres);
		bg_db_run_list_free(runs, n);
	}
	struct bg_run_rec *runs;
	TF_CHECK_EQ(runs_of(db, c0, &runs), 0); /* A..B excludes A */
	bg_db_run_list_free(runs, 0);
	struct bg_buf report = BG_BUF_INIT;
	TF_CHECK(bg_db_check(db, &report) == 0, "check: %s", bg_buf_cstr(&report));
	bg_buf_free(&report);
	bg_db_close(db);

	/* log and show read it back */
	EXPECT_EXIT(0, bitgate(&f, "log", NULL));
	TF_CHECK(strstr(out_text.ptr, c3 + 0) || strstr(out_text.ptr, "ok"), "log:\n%s",
		 out_text.ptr);
	char short3[11];
	snprintf(short3, sizeof(short3), "%.10s", c3);
	TF_CHECK(strstr(out_text.ptr, short3), "log lacks %s:\n%s", short3, out_text.ptr);
	EXPECT_EXIT(0, bitgate(&f, "show", short3, NULL));
	TF_CHECK(strstr(out_text.ptr, "loop/scalar") && strstr(out_text.ptr, "scalar") &&
			 strstr(out_text.ptr, "skipped loop/simd: no SIMD"),
		 "show:\n%s", out_text.ptr);
	EXPECT_EXIT(0, bitgate(&f, "show", "--format", "json", NULL));
	TF_CHECK(strstr(out_text.ptr, "\"samples\""), "show json:\n%s", out_text.ptr);
	fx_done(&f);
}

TF_TEST(integration__second_run_does_not_rebuild)
{
	struct fx f;
	fx_init(&f, "cache");
	char c0[41];
	commit_cost(&f, 1000, 0, 0, c0);
	EXPECT_EXIT(0, bitgate(&f, "run", c0, "--no-tests", "--format", "json", NULL));
	TF_CHECK(strstr(out_text.ptr, "\"build_cached\":\tfalse"), "first run:\n%s", out_text.ptr);
	EXPECT_EXIT(0, bitgate(&f, "run", c0, "--no-tests", "--format", "json", NULL));
	TF_CHECK(strstr(out_text.ptr, "\"build_cached\":\ttrue"), "second run:\n%s", out_text.ptr);
	struct bg_db *db = open_db(&f);
	struct bg_run_rec *runs;
	size_t n = runs_of(db, c0, &runs);
	TF_CHECK_EQ(n, 2);
	TF_CHECK_EQ(runs[0].build_id, runs[1].build_id);
	bg_db_run_list_free(runs, n);
	struct bg_build_rec *b;
	size_t nb;
	TF_CHECK_EQ(bg_db_build_list(db, &b, &nb), 0);
	TF_CHECK_EQ(nb, 1);
	bg_db_build_list_free(b, nb);
	bg_db_close(db);
	EXPECT_EXIT(0, bitgate(&f, "cache", "ls", NULL));
	TF_CHECK(strstr(out_text.ptr, "1 cached build"), "cache ls:\n%s", out_text.ptr);
	EXPECT_EXIT(0, bitgate(&f, "cache", "prune", "--all", NULL));
	EXPECT_EXIT(0, bitgate(&f, "cache", "ls", NULL));
	TF_CHECK(strstr(out_text.ptr, "0 cached builds"), "after prune:\n%s", out_text.ptr);
	/* pruned: the next run builds again */
	EXPECT_EXIT(0, bitgate(&f, "run", c0, "--no-tests", "--format", "json", NULL));
	TF_CHECK(strstr(out_text.ptr, "\"build_cached\":\tfalse"), "after prune:\n%s",
		 out_text.ptr);
	fx_done(&f);
}

/* A range with a commit that does not build, one whose bench crashes, one that hangs, and
 * one that prints garbage, between good ones: each failure is recorded, none gives a
 * sample, the good commits are measured, and the exit status says infrastructure. */
TF_TEST(integration__failures_are_recorded_and_the_range_goes_on)
{
	struct fx f;
	fx_init(&f, "fail");
	char c0[41], bad_build[41], crash[41], hang[41], garbage[41], good[41];
	commit_cost(&f, 1000, 0, 0, c0);
	TF_CHECK(tg_write(f.repo, "bench.c", "int main(void) { return syntax error; }\n") == 0,
		 "w");
	TF_CHECK(tg_commit(f.repo, "break the build", bad_build) == 0, "commit");
	TF_CHECK(tg_write(f.repo, "bench.c", it_bench_c) == 0, "w");
	commit_cost(&f, 1000, 1, 0, crash);
	commit_cost(&f, 1000, 2, 0, hang);
	commit_cost(&f, 1000, 3, 0, garbage);
	commit_cost(&f, 2000, 0, 0, good);
	char range[100];
	snprintf(range, sizeof(range), "%s..%s", c0, good);
	EXPECT_EXIT(3, bitgate(&f, "run", range, "--no-tests", NULL));

	struct bg_db *db = open_db(&f);
	struct {
		const char *sha, *status, *stage, *needle, *detail;
	} want[] = {
		{bad_build, "build-failed", "build", "build step 'bench' failed", "error"},
		{crash, "bench-failed", "bench", "signal 6", "about to crash"},
		{hang, "bench-failed", "bench", "timed out", "hanging"},
		{garbage, "bench-failed", "bench", "bench output of", NULL},
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		struct bg_run_rec *runs;
		size_t n = runs_of(db, want[i].sha, &runs);
		TF_CHECK_EQ(n, 1);
		TF_CHECK(!runs[0].complete, "%s: a failed run must be incomplete", want[i].status);
		TF_CHECK(!strcmp(runs[0].status, want[i].status), "status %s, want %s",
			 runs[0].status, want[i].status);
		struct bg_result_rec *res;
		size_t nres;
		TF_CHECK_EQ(bg_db_run_results(db, runs[0].id, &res, &nres), 0);
		size_t samples = 0;
		for (size_t k = 0; k < nres; k++)
			samples += res[k].n;
		TF_CHECK_EQ(samples, 0);
		bg_db_results_free(res, nres);
		struct bg_error_rec *errs;
		size_t nerr;
		TF_CHECK_EQ(bg_db_run_errors(db, runs[0].id, &errs, &nerr), 0);
		TF_CHECK(nerr >= 1, "%s: no error stored", want[i].status);
		TF_CHECK(!strcmp(errs[0].stage, want[i].stage), "stage %s", errs[0].stage);
		TF_CHECK(strstr(errs[0].message, want[i].needle), "message: %s", errs[0].message);
		if (want[i].detail)
			TF_CHECK(errs[0].detail && strstr(errs[0].detail, want[i].detail),
				 "detail of %s: %s", want[i].status,
				 errs[0].detail ? errs[0].detail : "(none)");
		bg_db_errors_free(errs, nerr);
		bg_db_run_list_free(runs, n);
	}
	struct bg_run_rec *runs;
	size_t n = runs_of(db, good, &runs);
	TF_CHECK_EQ(n, 1);
	TF_CHECK(runs[0].complete && !strcmp(runs[0].status, "ok"), "the good commit after: %s",
		 runs[0].status);
	bg_db_run_list_free(runs, n);
	bg_db_close(db);

	/* the failed build is not retried on its own... */
	EXPECT_EXIT(3, bitgate(&f, "run", bad_build, "--no-tests", NULL));
	TF_CHECK(strstr(err_text.ptr, "failed before"), "stderr:\n%s", err_text.ptr);
	/* ...and show says what went wrong */
	EXPECT_EXIT(0, bitgate(&f, "show", crash, NULL));
	TF_CHECK(strstr(out_text.ptr, "INCOMPLETE") && strstr(out_text.ptr, "about to crash"),
		 "show:\n%s", out_text.ptr);
	fx_done(&f);
}

TF_TEST(integration__bad_input_exits_2)
{
	struct fx f;
	fx_init(&f, "input");
	char c0[41], c1[41];
	commit_cost(&f, 1000, 0, 0, c0);
	EXPECT_EXIT(2, bitgate(&f, "run", "no-such-branch", NULL));
	TF_CHECK(strstr(err_text.ptr, "no-such-branch"), "stderr:\n%s", err_text.ptr);
	EXPECT_EXIT(2, bitgate(&f, "run", "--no-such-option", NULL));
	EXPECT_EXIT(2, bitgate(&f, "frobnicate", NULL));
	EXPECT_EXIT(2, bitgate(&f, "run", c0, "--filter", "([", NULL));
	/* ci and compare refuse a filter before building either side */
	EXPECT_EXIT(2,
		    bitgate(&f, "ci", "--base", c0, "--head", c0, "--filter", "x*{0,8}{4,}", NULL));
	TF_CHECK(strstr(err_text.ptr, "bitgate ci: --filter 'x*{0,8}{4,}': a repetition of "
				      "something that can match the empty string") &&
			 !strstr(err_text.ptr, "build"),
		 "stderr:\n%s", err_text.ptr);
	EXPECT_EXIT(2, bitgate(&f, "compare", c0, c0, "--filter", "a{9999}", NULL));
	TF_CHECK(strstr(err_text.ptr, "--filter 'a{9999}': a repetition count above 2048"),
		 "stderr:\n%s", err_text.ptr);

	/* a malformed bitgate.json in a commit: recorded with its JSON path */
	TF_CHECK(tg_write(f.repo, "bitgate.json",
			  "{\"version\": 1, \"bench\": {\"argv\": [\"x\"]}, \"tests\": "
			  "[{\"suite\": \"cpu\", \"argv\": [\"t\"], \"junit\": 3}]}") == 0,
		 "w");
	TF_CHECK(tg_commit(f.repo, "break the config", c1) == 0, "commit");
	EXPECT_EXIT(2, bitgate(&f, "run", c1, NULL));
	TF_CHECK(strstr(err_text.ptr, "tests[0].junit"), "stderr:\n%s", err_text.ptr);
	/* and given with --config, refused before anything runs */
	char cfg[700];
	snprintf(cfg, sizeof(cfg), "%s/broken.json", f.root);
	TF_CHECK(tg_write(f.root, "broken.json",
			  "{\"version\": 1, \"bench\": {\"argv\": [\"x\"],}") == 0,
		 "w");
	EXPECT_EXIT(2, bitgate(&f, "run", c0, "--config", cfg, NULL));
	TF_CHECK(strstr(err_text.ptr, "broken.json"), "stderr:\n%s", err_text.ptr);
	fx_done(&f);
}

TF_TEST(integration__worktree_is_a_subject)
{
	struct fx f;
	fx_init(&f, "worktree");
	char c0[41];
	commit_cost(&f, 1000, 0, 0, c0);
	TF_CHECK(tg_write(f.repo, "cost.h",
			  "#define COST 3000L\n#define BEHAVIOUR 0\n#define FAIL 0\n") == 0,
		 "w");
	EXPECT_EXIT(0, bitgate(&f, "run", "WORKTREE", "--no-tests", NULL));
	struct bg_db *db = open_db(&f);
	struct bg_run_rec *runs;
	size_t n = runs_of(db, c0, &runs);
	TF_CHECK_EQ(n, 1);
	TF_CHECK_EQ(runs[0].worktree, 1);
	struct bg_commit_rec c;
	TF_CHECK_EQ(bg_db_commit_get(db, c0, &c), 0);
	TF_CHECK(runs[0].tree && strcmp(runs[0].tree, c.tree), "the worktree's tree id must "
							       "differ from HEAD's");
	struct bg_result_rec *res;
	size_t nres;
	TF_CHECK_EQ(bg_db_run_results(db, runs[0].id, &res, &nres), 0);
	const struct bg_result_rec *loop = find_result(res, nres, "loop/scalar");
	TF_CHECK(loop && (long)loop->elements == 3000, "the uncommitted change was not built");
	bg_db_results_free(res, nres);
	bg_db_commit_clear(&c);
	bg_db_run_list_free(runs, n);
	bg_db_close(db);
	fx_done(&f);
}

TF_TEST(integration__concurrent_runs_share_a_database)
{
	struct fx f;
	fx_init(&f, "concurrent");
	char c0[41], c1[41];
	commit_cost(&f, 1000, 0, 0, c0);
	commit_cost(&f, 2000, 0, 0, c1);
	pid_t kids[2];
	const char *shas[2] = {c0, c1};
	for (int k = 0; k < 2; k++) {
		kids[k] = fork();
		TF_CHECK(kids[k] >= 0, "fork");
		if (kids[k] == 0) {
			char *argv[] = {BG_BITGATE_PATH, "--repo", f.repo, "--db", f.db, "-q",
					"run", (char *)shas[k], "--repetitions", "3", NULL};
			int fd = open("/dev/null", O_WRONLY);
			dup2(fd, 1);
			execv(argv[0], argv);
			_exit(127);
		}
	}
	for (int k = 0; k < 2; k++) {
		int st;
		TF_CHECK(waitpid(kids[k], &st, 0) == kids[k], "wait");
		TF_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "bitgate %d ended with %d", k, st);
	}
	struct bg_db *db = open_db(&f);
	for (int k = 0; k < 2; k++) {
		struct bg_run_rec *runs;
		size_t n = runs_of(db, shas[k], &runs);
		TF_CHECK_EQ(n, 1);
		TF_CHECK(runs[0].complete, "run %d incomplete", k);
		TF_CHECK_EQ(runs[0].n_samples, 15);
		bg_db_run_list_free(runs, n);
	}
	bg_db_close(db);
	fx_done(&f);
}

TF_TEST(integration__export_import_round_trip)
{
	struct fx f;
	fx_init(&f, "export");
	char c0[41], c1[41];
	commit_cost(&f, 1000, 0, 0, c0);
	commit_cost(&f, 2000, 0, 1, c1);
	EXPECT_EXIT(0, bitgate(&f, "run", c0, c1, NULL));
	char dump1[700], dump2[700], db2[600];
	snprintf(dump1, sizeof(dump1), "%s/a.jsonl", f.root);
	snprintf(dump2, sizeof(dump2), "%s/b.jsonl", f.root);
	snprintf(db2, sizeof(db2), "%s/other.db", f.root);
	EXPECT_EXIT(0, bitgate(&f, "db", "export", "-o", dump1, NULL));
	struct fx g = f;
	snprintf(g.db, sizeof(g.db), "%s", db2);
	EXPECT_EXIT(0, bitgate(&g, "db", "import", dump1, NULL));
	EXPECT_EXIT(0, bitgate(&g, "db", "import", dump1, NULL));
	TF_CHECK(strstr(err_text.ptr, "0 runs added"), "second import:\n%s", err_text.ptr);
	EXPECT_EXIT(0, bitgate(&g, "db", "export", "-o", dump2, NULL));
	struct bg_buf a = BG_BUF_INIT, b = BG_BUF_INIT;
	TF_CHECK_EQ(bg_fs_read(&a, dump1), 0);
	TF_CHECK_EQ(bg_fs_read(&b, dump2), 0);
	TF_CHECK(a.len > 100 && a.len == b.len && !memcmp(a.ptr, b.ptr, a.len),
		 "exports differ (%zu vs %zu bytes)", a.len, b.len);
	bg_buf_free(&a);
	bg_buf_free(&b);
	EXPECT_EXIT(0, bitgate(&g, "db", "check", NULL));
	fx_done(&f);
}

TF_TEST(integration__interrupt_leaves_an_incomplete_run)
{
	struct fx f;
	fx_init(&f, "interrupt");
	char c0[41];
	commit_cost(&f, 1000, 2, 0, c0); /* hangs; the timeout is 3 s */
	pid_t pid = fork();
	TF_CHECK(pid >= 0, "fork");
	if (pid == 0) {
		char *argv[] = {BG_BITGATE_PATH, "--repo", f.repo, "--db", f.db, "-q",
				"run", c0, NULL};
		execv(argv[0], argv);
		_exit(127);
	}
	/* wait until the bench is running (its run is stored), then interrupt */
	int seen = 0;
	for (int i = 0; i < 600 && !seen; i++) {
		usleep(50 * 1000);
		struct bg_buf p = BG_BUF_INIT;
		bg_buf_printf(&p, "%s/.bitgate/runs", f.repo);
		seen = bg_fs_is_dir(p.ptr) && bg_fs_du(p.ptr) > 0;
		bg_buf_free(&p);
	}
	TF_CHECK(seen, "the bench never started");
	kill(pid, SIGINT);
	int st;
	TF_CHECK(waitpid(pid, &st, 0) == pid, "wait");
	TF_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 3, "status %d", st);
	struct bg_db *db = open_db(&f);
	struct bg_run_rec *runs;
	size_t n = runs_of(db, c0, &runs);
	TF_CHECK_EQ(n, 1);
	TF_CHECK(!runs[0].complete, "an interrupted run must be incomplete");
	TF_CHECK(!strcmp(runs[0].status, "interrupted"), "status %s", runs[0].status);
	bg_db_run_list_free(runs, n);
	struct bg_buf report = BG_BUF_INIT;
	TF_CHECK(bg_db_check(db, &report) == 0, "check: %s", bg_buf_cstr(&report));
	bg_buf_free(&report);
	bg_db_close(db);
	fx_done(&f);
}
