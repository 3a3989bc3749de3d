/* Faults around bitgate itself, and what each leaves behind: a bench that dies after its
 * report; bitgate killed (SIGKILL) during a build, a bench round, the tests and while it
 * stores samples; a run and exports on one database at once; a full disk; a corrupt database;
 * no gnuplot; a head without bitgate.json. After each, what was stored before is intact,
 * `bitgate db check` passes, and no summary says ok for a run that failed. */
#include <errno.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bg_buf.h"
#include "bg_error.h"
#include "bg_fs.h"
#include "it_fixture.h"
#include "tf.h"
#include "tg_fixture.h"

/* The tmpfs mount_small_tmpfs made, detached at exit when a failed check ends the case
 * before its own umount (tf_fail exits). */
static char mounted[700];

static void unmount_at_exit(void)
{
	if (mounted[0])
		umount2(mounted, MNT_DETACH);
}

/* Mounts a tmpfs of size bytes at dir; skips the case where this process may not. */
static void mount_small_tmpfs(const char *dir, long size)
{
	if (geteuid() != 0)
		TF_SKIP("a disk that fills needs a tmpfs, and mounting one needs root");
	char opts[64];
	snprintf(opts, sizeof(opts), "size=%ld", size);
	TF_CHECK(mkdir(dir, 0755) == 0, "mkdir %s", dir);
	if (mount("tmpfs", dir, "tmpfs", 0, opts) != 0)
		TF_SKIP("cannot mount a tmpfs here (%s)", strerror(errno));
	snprintf(mounted, sizeof(mounted), "%s", dir);
	atexit(unmount_at_exit);
}

/* bitgate.json whose bench first fills the disk at fill (so the database's disk is full
 * while the run is being stored), then runs as usual. */
static void commit_filling_bench(struct fx *f, const char *fill, char *sha)
{
	char cfg[2048];
	snprintf(cfg, sizeof(cfg),
		 "{\"version\": 1, \"build\": [{\"name\": \"bench\", \"argv\": [\"cc\", "
		 "\"-O1\", \"-o\", \"{build}/bench\", \"{src}/bench.c\"]}], \"bench\": "
		 "{\"argv\": [\"sh\", \"-c\", \"cat /dev/zero > %s 2>/dev/null; exec "
		 "{build}/bench\"], \"warmup\": 0}}\n",
		 fill);
	TF_CHECK(tg_write(f->repo, "bitgate.json", cfg) == 0, "write bitgate.json");
	commit_cost(f, 1100, 4, 0, sha);
}

/* The run line of the summary table for sha (its first 10 characters), or NULL. */
static const char *summary_line(const char *out, const char *sha)
{
	char key[11];
	snprintf(key, sizeof(key), "%.10s", sha);
	return strstr(out, key);
}

/* The summary in out has a line for sha, and that line does not end in "ok". */
static void expect_row_not_ok(const char *out, const char *sha)
{
	const char *row = summary_line(out, sha);
	TF_CHECK(row != NULL, "no summary row for the failed run %.10s:\n%s", sha, out);
	const char *eol = strchr(row, '\n');
	size_t len = eol ? (size_t)(eol - row) : strlen(row);
	TF_CHECK(len >= 3 && memcmp(row + len - 3, " ok", 3) != 0,
		 "the failed run's summary says ok:\n%s", out);
}

/* The one complete run of sha, ok: its sample count. */
static size_t stored_samples(struct fx *f, const char *sha)
{
	struct bg_db *db = open_db(f);
	struct bg_run_rec *runs;
	size_t n = runs_of(db, sha, &runs), samples = 0, complete = 0;
	for (size_t i = 0; i < n; i++)
		if (runs[i].complete) {
			TF_CHECK(!strcmp(runs[i].status, "ok"), "complete run of %.10s: %s", sha,
				 runs[i].status);
			samples = (size_t)runs[i].n_samples;
			complete++;
		}
	bg_db_run_list_free(runs, n);
	bg_db_close(db);
	TF_CHECK(complete == 1, "%zu complete runs of %.10s, want 1", complete, sha);
	return samples;
}

/* After a fault: the run of sha stored before is still its only complete one, ok, with its
 * samples, and bitgate db check passes. */
static void expect_intact(struct fx *f, const char *sha, size_t samples)
{
	TF_CHECK(samples > 0, "the earlier run had no samples");
	size_t now = stored_samples(f, sha);
	TF_CHECK(now == samples, "the earlier run has %zu samples, had %zu", now, samples);
	EXPECT_EXIT(0, bitgate(f, "db", "check", NULL));
}

/* The database's disk fills while a run is being stored: it fails with exit 3 and a message
 * saying so, its summary row never says ok, and the run stored before is intact and checked. */
TF_TEST(integration__disk_full_keeps_what_was_stored)
{
	struct fx f;
	fx_init(&f, "full");
	char mnt[600], first[41], second[41];
	snprintf(mnt, sizeof(mnt), "%s/small", f.root);
	mount_small_tmpfs(mnt, 4L << 20);
	snprintf(f.db, sizeof(f.db), "%s/small/bitgate.db", f.root);
	char filler[700];
	snprintf(filler, sizeof(filler), "%s/filler", mnt);
	commit_cost(&f, 1000, 4, 0, first);
	commit_filling_bench(&f, filler, second);
	EXPECT_EXIT(0, bitgate(&f, "run", first, "--no-tests", NULL));

	EXPECT_EXIT(3, bitgate(&f, "run", second, "--no-tests", "--repetitions", "3", NULL));
	TF_CHECK(strstr(err_text.ptr, "full"), "stderr names the full disk:\n%s", err_text.ptr);
	expect_row_not_ok(out_text.ptr, second);

	TF_CHECK(unlink(filler) == 0, "unlink filler");
	EXPECT_EXIT(0, bitgate(&f, "db", "check", NULL));
	struct bg_db *db = open_db(&f);
	struct bg_run_rec *runs;
	size_t n = runs_of(db, first, &runs);
	TF_CHECK(n == 1 && runs[0].complete && !strcmp(runs[0].status, "ok") &&
			 runs[0].n_samples > 0,
		 "the first run is intact: %zu runs", n);
	bg_db_run_list_free(runs, n);
	n = runs_of(db, second, &runs);
	for (size_t i = 0; i < n; i++)
		TF_CHECK(!runs[i].complete, "the run that could not be stored is complete");
	bg_db_run_list_free(runs, n);
	bg_db_close(db);
	TF_CHECK(umount(mnt) == 0, "umount %s: %s", mnt, strerror(errno));
	mounted[0] = '\0';
	fx_done(&f);
}

/* A bench that prints a valid report, then exits 1 or aborts: the run fails (bench-failed,
 * incomplete, no sample kept), the summary does not say ok, the earlier run is intact. */
TF_TEST(integration__bench_dies_after_its_report)
{
	struct fx f;
	fx_init(&f, "diesafter");
	char c0[41], exits[41], aborts[41];
	commit_cost(&f, 1000, 0, 0, c0);
	/* no warm-up: the first round's report is the one that would be stored */
	char cfg[4096], *warmup;
	snprintf(cfg, sizeof(cfg), "%s", it_config_json);
	TF_CHECK((warmup = strstr(cfg, "\"warmup\": 1")) != NULL, "the fixture's warm-up");
	warmup[strlen("\"warmup\": ")] = '0';
	TF_CHECK(tg_write(f.repo, "bitgate.json", cfg) == 0, "write bitgate.json");
	commit_cost(&f, 1000, 5, 0, exits);
	commit_cost(&f, 1000, 6, 0, aborts);
	EXPECT_EXIT(0, bitgate(&f, "run", c0, "--no-tests", NULL));
	size_t before = stored_samples(&f, c0);

	EXPECT_EXIT(3, bitgate(&f, "run", exits, aborts, "--no-tests", NULL));
	expect_row_not_ok(out_text.ptr, exits);
	expect_row_not_ok(out_text.ptr, aborts);
	struct bg_db *db = open_db(&f);
	const char *shas[] = {exits, aborts};
	const char *needles[] = {"exit status 1", "signal 6"};
	for (int k = 0; k < 2; k++) {
		struct bg_run_rec *runs;
		size_t n = runs_of(db, shas[k], &runs);
		TF_CHECK_EQ(n, 1);
		TF_CHECK(!runs[0].complete && !strcmp(runs[0].status, "bench-failed"),
			 "a bench that died after its report: %s, complete %d", runs[0].status,
			 runs[0].complete);
		TF_CHECK(runs[0].n_samples == 0, "%d samples kept", (int)runs[0].n_samples);
		struct bg_error_rec *errs;
		size_t nerr;
		TF_CHECK_EQ(bg_db_run_errors(db, runs[0].id, &errs, &nerr), 0);
		TF_CHECK(nerr >= 1 && strstr(errs[0].message, "bench r1") &&
				 strstr(errs[0].message, needles[k]),
			 "error: %s", nerr ? errs[0].message : "(none)");
		bg_db_errors_free(errs, nerr);
		bg_db_run_list_free(runs, n);
	}
	bg_db_close(db);
	expect_intact(&f, c0, before);
	fx_done(&f);
}

/* Where a killed run's helpers leave their marks: while flag exists, the hooked stage
 * writes its pid to marker and sleeps, so the test knows when to kill. */
struct hook {
	char flag[700], marker[700], count[700];
};

static void hook_paths(struct fx *f, struct hook *h)
{
	snprintf(h->flag, sizeof(h->flag), "%s/sleep-please", f->root);
	snprintf(h->marker, sizeof(h->marker), "%s/sleeping", f->root);
	snprintf(h->count, sizeof(h->count), "%s/bench-count", f->root);
}

enum stage { AT_BUILD, AT_BENCH, AT_TESTS };

/* Commits a bitgate.json like the fixture's whose stage sleeps while h->flag exists (the
 * bench in its second round, so one round is stored first), and a cost.h. */
static void commit_sleeping_config(struct fx *f, const struct hook *h, enum stage at, char *sha)
{
	char sleep[3000], cfg[16384];
	snprintf(sleep, sizeof(sleep),
		 "if [ -e %s ]; then echo $$ > %s.tmp && mv %s.tmp %s && exec sleep 60; fi; ",
		 h->flag, h->marker, h->marker, h->marker);
	char count[5000] = "";
	if (at == AT_BENCH)
		snprintf(count, sizeof(count),
			 "n=$(cat %s 2>/dev/null || echo 0); echo $((n+1)) > %s; "
			 "if [ $n -eq 1 ]; then %s fi; ",
			 h->count, h->count, sleep);
	snprintf(cfg, sizeof(cfg),
		 "{\"version\": 1, \"build\": [{\"name\": \"bench\", \"argv\": [\"sh\", \"-c\", "
		 "\"cc -O1 -o {build}/bench {src}/bench.c && %s true\"]}, {\"name\": \"test\", "
		 "\"argv\": [\"cc\", \"-O1\", \"-o\", \"{build}/test\", \"{src}/test.c\"]}],\n"
		 "\"bench\": {\"argv\": [\"sh\", \"-c\", \"%s exec {build}/bench\"], "
		 "\"warmup\": 0, \"timeout_s\": 120},\n"
		 "\"tests\": [{\"suite\": \"cpu\", \"argv\": [\"sh\", \"-c\", \"%s exec "
		 "{build}/test {out}/cpu.xml\"], \"junit\": \"{out}/cpu.xml\", \"timeout_s\": "
		 "120}]}\n",
		 at == AT_BUILD ? sleep : "", at == AT_BENCH ? count : "",
		 at == AT_TESTS ? sleep : "");
	TF_CHECK(tg_write(f->repo, "bitgate.json", cfg) == 0, "write bitgate.json");
	commit_cost(f, 1200, 4, 0, sha);
}

/* Waits for the hooked stage to start sleeping, then kills bitgate (pid) and the sleeper. */
static void kill_when_asleep(struct fx *f, const struct hook *h, const char *tag, pid_t pid)
{
	int asleep = wait_for_file(h->marker, 120);
	struct bg_buf text = BG_BUF_INIT;
	long sleeper = asleep && bg_fs_read(&text, h->marker) == 0 ? atol(bg_buf_cstr(&text)) : 0;
	bg_buf_free(&text);
	kill(pid, SIGKILL);
	int st = bitgate_wait(f, tag, pid);
	if (sleeper > 1)
		kill((pid_t)sleeper, SIGKILL);
	TF_CHECK(asleep, "the stage never started; bitgate: %d\n%s", st, err_text.ptr);
	TF_CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "bitgate ended with %d", st);
	TF_CHECK(unlink(h->flag) == 0 && unlink(h->marker) == 0, "unlink the hooks");
}

/* SIGKILL of bitgate while stage runs: the earlier run intact, db check passes, log shows
 * no ok for the killed run, and a new run of the same commit works (no stale lock, no
 * half-written cache entry in the way). */
static void killed_at(enum stage at, const char *tag)
{
	struct fx f;
	fx_init(&f, tag);
	struct hook h;
	hook_paths(&f, &h);
	char c0[41], c1[41];
	commit_cost(&f, 1000, 4, 0, c0);
	commit_sleeping_config(&f, &h, at, c1);
	EXPECT_EXIT(0, bitgate(&f, "run", c0, NULL));
	size_t before = stored_samples(&f, c0);

	TF_CHECK(tg_write(f.root, "sleep-please", "") == 0, "write the flag");
	pid_t pid = bitgate_start(&f, "killed", "-q", "run", c1, "--repetitions", "3", NULL);
	kill_when_asleep(&f, &h, "killed", pid);
	expect_intact(&f, c0, before);
	struct bg_db *db = open_db(&f);
	struct bg_run_rec *runs;
	size_t n = runs_of(db, c1, &runs);
	TF_CHECK(n <= 1 && (n == 0 || !runs[0].complete), "the killed run: %zu runs, complete %d",
		 n, n ? runs[0].complete : 0);
	bg_db_run_list_free(runs, n);
	bg_db_close(db);
	if (n) {
		EXPECT_EXIT(0, bitgate(&f, "log", NULL));
		expect_row_not_ok(out_text.ptr, c1);
	}

	EXPECT_EXIT(0, bitgate(&f, "run", c1, "--repetitions", "3", NULL));
	TF_CHECK_EQ(stored_samples(&f, c1), 15);
	expect_intact(&f, c0, before);
	fx_done(&f);
}

TF_TEST(integration__killed_during_a_build)
{
	killed_at(AT_BUILD, "killbuild");
}

TF_TEST(integration__killed_during_a_bench_round)
{
	killed_at(AT_BENCH, "killbench");
}

TF_TEST(integration__killed_during_the_tests)
{
	killed_at(AT_TESTS, "killtests");
}

#define BIG_BENCHES 200
#define BIG_SAMPLES 1000 /* per benchmark and round */
#define ROUND_SAMPLES (BIG_BENCHES * BIG_SAMPLES)

/* Commits big.json (a bitgate-bench/1 report of BIG_BENCHES x BIG_SAMPLES samples) and a
 * bitgate.json whose bench prints it, then touches marker: bitgate is storing soon after. */
static void commit_big_bench(struct fx *f, const char *marker, char *sha)
{
	struct bg_buf j = BG_BUF_INIT;
	bg_buf_puts(&j, "{\"schema\": \"bitgate-bench/1\", \"context\": {\"program\": \"big\", "
			"\"threads\": 1}, \"benchmarks\": [");
	for (int b = 0; b < BIG_BENCHES; b++) {
		bg_buf_printf(&j, "%s{\"name\": \"big/%03d\", \"unit\": \"ns\", \"samples\": [",
			      b ? ", " : "", b);
		for (int i = 0; i < BIG_SAMPLES; i++)
			bg_buf_printf(&j, "%s%d.5", i ? ", " : "", 1000 + b + i);
		bg_buf_puts(&j, "]}");
	}
	bg_buf_puts(&j, "]}\n");
	TF_CHECK(tg_write(f->repo, "big.json", bg_buf_cstr(&j)) == 0, "write big.json");
	bg_buf_free(&j);
	char cfg[2048];
	snprintf(cfg, sizeof(cfg),
		 "{\"version\": 1, \"build\": [{\"name\": \"none\", \"argv\": [\"true\"]}], "
		 "\"bench\": {\"argv\": [\"sh\", \"-c\", \"cat {src}/big.json && touch %s\"], "
		 "\"warmup\": 0}}\n",
		 marker);
	TF_CHECK(tg_write(f->repo, "bitgate.json", cfg) == 0, "write bitgate.json");
	TF_CHECK(tg_commit(f->repo, "a big bench", sha) == 0, "commit");
}

/* SIGKILL at moments spread over the storing of three rounds of 200000 samples, a few times:
 * each time the earlier runs keep their samples, db check passes, and every run holds whole
 * rounds (all of them when complete); then a run of the same commit works. */
TF_TEST(integration__killed_while_storing_samples)
{
	struct fx f;
	fx_init(&f, "killstore");
	char c0[41], marker[700];
	snprintf(marker, sizeof(marker), "%s/bench-printed", f.root);
	commit_big_bench(&f, marker, c0);
	/* how long bitgate takes to store, from when the bench has printed */
	pid_t pid = bitgate_start(&f, "first", "-q", "run", c0, "--repetitions", "3", NULL);
	TF_CHECK(wait_for_file(marker, 120), "the bench never printed");
	double t0 = bg_now();
	int st = bitgate_wait(&f, "first", pid);
	double storing = bg_now() - t0;
	TF_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the first run: %d\n%s", st, err_text.ptr);
	size_t before = stored_samples(&f, c0);
	TF_CHECK_EQ(before, 3 * ROUND_SAMPLES);
	srand((unsigned)getpid());
	for (int k = 0; k < 4; k++) {
		unlink(marker);
		pid = bitgate_start(&f, "killed", "-q", "run", c0, "--repetitions", "3", NULL);
		int printed = wait_for_file(marker, 120);
		/* anywhere from at once to as long as storing took */
		usleep((useconds_t)(1e6 * storing * rand() / RAND_MAX));
		kill(pid, SIGKILL);
		st = bitgate_wait(&f, "killed", pid);
		TF_CHECK(printed, "the bench never printed; bitgate: %d\n%s", st, err_text.ptr);
		TF_CHECK(WIFSIGNALED(st) || (WIFEXITED(st) && WEXITSTATUS(st) == 0),
			 "bitgate ended with %d:\n%s", st, err_text.ptr);
		EXPECT_EXIT(0, bitgate(&f, "db", "check", NULL));
		struct bg_db *db = open_db(&f);
		struct bg_run_rec *runs;
		size_t n = runs_of(db, c0, &runs);
		for (size_t i = 0; i < n; i++)
			TF_CHECK(runs[i].n_samples % ROUND_SAMPLES == 0 &&
					 (!runs[i].complete ||
					  runs[i].n_samples == 3 * ROUND_SAMPLES),
				 "run %zu (complete %d) has %d samples: not whole rounds", i,
				 runs[i].complete, (int)runs[i].n_samples);
		TF_CHECK(n >= 1 && runs[n - 1].complete && runs[n - 1].n_samples == (int64_t)before,
			 "the first run lost samples");
		bg_db_run_list_free(runs, n);
		bg_db_close(db);
	}
	EXPECT_EXIT(0, bitgate(&f, "run", c0, NULL));
	EXPECT_EXIT(0, bitgate(&f, "db", "check", NULL));
	fx_done(&f);
}

/* A run storing 600000 samples while exports and checks of the same database come and go:
 * each of those succeeds, and the run completes with every sample. */
TF_TEST(integration__exports_while_a_run_stores)
{
	struct fx f;
	fx_init(&f, "exportwhile");
	char c0[41], c1[41], marker[700], dump[700];
	snprintf(marker, sizeof(marker), "%s/bench-printed", f.root);
	snprintf(dump, sizeof(dump), "%s/dump.jsonl", f.root);
	commit_cost(&f, 1000, 4, 0, c0);
	commit_big_bench(&f, marker, c1);
	EXPECT_EXIT(0, bitgate(&f, "run", c0, "--no-tests", NULL));
	size_t before = stored_samples(&f, c0);

	pid_t pid = bitgate_start(&f, "run", "-q", "run", c1, "--repetitions", "3", NULL);
	TF_CHECK(wait_for_file(marker, 120), "the bench never printed");
	int overlapped = 0, st = 0;
	for (int k = 0; waitpid(pid, &st, WNOHANG) == 0; k++) {
		overlapped++;
		if (k % 2)
			EXPECT_EXIT(0, bitgate(&f, "db", "check", NULL));
		else
			EXPECT_EXIT(0, bitgate(&f, "db", "export", "-o", dump, NULL));
	}
	TF_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the run ended with %d", st);
	TF_CHECK(overlapped > 0, "no export or check ran while the run stored");
	TF_CHECK_EQ(stored_samples(&f, c1), 3 * ROUND_SAMPLES);
	expect_intact(&f, c0, before);
	fx_done(&f);
}

/* The page size of the database at path and the first page of its runs table, which every
 * command reading or adding runs goes through. */
static void runs_root_page(const char *path, size_t *page_size, size_t *root)
{
	sqlite3 *h = NULL;
	sqlite3_stmt *s = NULL;
	TF_CHECK(sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK, "open %s",
		 path);
	TF_CHECK(sqlite3_prepare_v2(h,
				    "SELECT rootpage, (SELECT page_size FROM pragma_page_size) "
				    "FROM sqlite_schema WHERE type = 'table' AND name = 'runs'",
				    -1, &s, NULL) == SQLITE_OK &&
			 sqlite3_step(s) == SQLITE_ROW,
		 "%s: %s", path, sqlite3_errmsg(h));
	*root = (size_t)sqlite3_column_int64(s, 0);
	*page_size = (size_t)sqlite3_column_int64(s, 1);
	sqlite3_finalize(s);
	sqlite3_close(h);
	TF_CHECK(*root > 1 && *page_size >= 512, "root page %zu, page size %zu", *root, *page_size);
}

enum damage { GARBAGE, TRUNCATED, PAGE_OVERWRITTEN };

/* g: f with its database a damaged copy of f's, <root>/<name>.db: garbage throughout, the
 * first half only, or the first page of the runs table overwritten. */
static void damaged_copy(struct fx *f, enum damage d, const char *name, struct fx *g)
{
	*g = *f;
	snprintf(g->db, sizeof(g->db), "%s/%s.db", f->root, name);
	struct bg_buf b = BG_BUF_INIT;
	TF_CHECK(bg_fs_read(&b, f->db) == 0 && b.len >= 4 * 512, "read %s", f->db);
	if (d == GARBAGE) {
		for (size_t i = 0; i < b.len; i++)
			b.ptr[i] = (char)(i * 131 + 7);
	} else if (d == TRUNCATED) {
		b.len /= 2;
	} else {
		size_t page_size, root;
		runs_root_page(f->db, &page_size, &root);
		TF_CHECK(root * page_size <= b.len, "page %zu is past the end", root);
		for (size_t i = 0; i < page_size; i++)
			b.ptr[(root - 1) * page_size + i] = (char)(i * 57 + 3);
	}
	TF_CHECK(bg_fs_write(g->db, b.ptr, b.len) == 0, "write %s", g->db);
	bg_buf_free(&b);
}

/* A database that is garbage, cut in half or has a page overwritten: run and log exit 3
 * with a message naming the file, db check exits non-zero saying what is wrong, a file that
 * cannot be opened is left as it was, and the intact database is untouched. */
TF_TEST(integration__corrupt_database_is_named)
{
	struct fx f;
	fx_init(&f, "corrupt");
	char c0[41], c1[41];
	commit_cost(&f, 1000, 4, 0, c0);
	commit_cost(&f, 1100, 4, 0, c1);
	EXPECT_EXIT(0, bitgate(&f, "run", c0, "--repetitions", "20", NULL));
	size_t before = stored_samples(&f, c0);
	const char *names[] = {"garbage", "truncated", "page"};
	for (int d = GARBAGE; d <= PAGE_OVERWRITTEN; d++) {
		struct fx g;
		damaged_copy(&f, (enum damage)d, names[d], &g);
		struct bg_buf was = BG_BUF_INIT, is = BG_BUF_INIT;
		TF_CHECK_EQ(bg_fs_read(&was, g.db), 0);
		EXPECT_EXIT(3, bitgate(&g, "run", c1, "--no-tests", NULL));
		TF_CHECK(strstr(err_text.ptr, g.db) && (strstr(err_text.ptr, "malformed") ||
							strstr(err_text.ptr, "not a database")),
			 "%s: run's stderr:\n%s", names[d], err_text.ptr);
		if (d == PAGE_OVERWRITTEN) /* it could store its run, not its samples */
			expect_row_not_ok(out_text.ptr, c1);
		EXPECT_EXIT(3, bitgate(&g, "log", NULL));
		TF_CHECK(strstr(err_text.ptr, g.db), "%s: log's stderr:\n%s", names[d],
			 err_text.ptr);
		int rc = bitgate(&g, "db", "check", NULL);
		TF_CHECK(rc != 0 && strstr(err_text.ptr, g.db) &&
				 (strstr(err_text.ptr, "malformed") ||
				  strstr(err_text.ptr, "not a database")),
			 "%s: db check exit %d:\n%s\n%s", names[d], rc, out_text.ptr, err_text.ptr);
		if (d == PAGE_OVERWRITTEN) /* it could open the file and list the damage */
			TF_CHECK(strstr(out_text.ptr, "integrity: "), "db check's report:\n%s",
				 out_text.ptr);
		TF_CHECK_EQ(bg_fs_read(&is, g.db), 0);
		if (d != PAGE_OVERWRITTEN)
			TF_CHECK(is.len == was.len && !memcmp(is.ptr, was.ptr, is.len),
				 "%s: bitgate changed a file it could not open", names[d]);
		bg_buf_free(&was);
		bg_buf_free(&is);
	}
	expect_intact(&f, c0, before);
	fx_done(&f);
}

/* bitgate nightly --site with no gnuplot on PATH: as designed, the site is written with a
 * note where each plot would be, the summary says why plots are missing, the exit status is
 * 0, and the stored nightly runs are intact. */
TF_TEST(integration__nightly_site_without_gnuplot)
{
	struct fx f;
	char shas[3][41], site[700], empty[700], path_env[800], index[800];
	commit_line(&f, "nognuplot", 3, 3, -1, shas);
	snprintf(site, sizeof(site), "%s/site", f.root);
	snprintf(empty, sizeof(empty), "%s/bin", f.root);
	snprintf(index, sizeof(index), "%s/index.html", site);
	EXPECT_EXIT(0, bitgate(&f, "nightly", "--branch", "main", "--repetitions", "2",
			       "--no-tests", "--max-commits", "5", "--site", site, NULL));
	size_t before = stored_samples(&f, shas[2]);
	struct bg_db *db = open_db(&f);
	TF_CHECK_EQ(count_nightly_runs(db), 3);
	bg_db_close(db);
	TF_CHECK_EQ(bg_fs_rmtree(site), 0);

	TF_CHECK(mkdir(empty, 0755) == 0, "mkdir %s", empty);
	snprintf(path_env, sizeof(path_env), "PATH=%s", empty);
	char *const env[] = {path_env, NULL};
	EXPECT_EXIT(0, bitgate_env(&f, env, "nightly", "--branch", "main", "--max-commits", "0",
				   "--site", site, NULL));
	TF_CHECK(strstr(out_text.ptr, " 0 plots; plots missing: gnuplot not found"), "summary:\n%s",
		 out_text.ptr);
	struct bg_buf html = BG_BUF_INIT;
	TF_CHECK(bg_fs_read(&html, index) == 0, "no %s", index);
	TF_CHECK(strstr(bg_buf_cstr(&html), "loop/scalar") &&
			 strstr(bg_buf_cstr(&html), "plot not rendered: gnuplot not found"),
		 "the index lacks the series or the note:\n%.2000s", bg_buf_cstr(&html));
	bg_buf_free(&html);
	db = open_db(&f);
	TF_CHECK_EQ(count_nightly_runs(db), 3);
	bg_db_close(db);
	expect_intact(&f, shas[2], before);
	fx_done(&f);
}

/* bitgate compare BASE HEAD where HEAD's commit deleted bitgate.json: refused as an unusable
 * bitgate.json (exit 2) with a message naming the commit; nothing measured or lost. The other
 * way round the base cannot be built: exit 3, the decision says so, no run of it is ok. */
TF_TEST(integration__compare_head_without_config)
{
	struct fx f;
	fx_init(&f, "noconfig");
	char base[41], head[41];
	commit_cost(&f, 1000, 4, 0, base);
	EXPECT_EXIT(0, bitgate(&f, "run", base, "--no-tests", NULL));
	size_t before = stored_samples(&f, base);
	TF_CHECK(tg_remove(f.repo, "bitgate.json") == 0, "rm bitgate.json");
	commit_cost(&f, 1100, 4, 0, head);
	EXPECT_EXIT(2, bitgate(&f, "compare", base, head, NULL));
	char short_head[13];
	snprintf(short_head, sizeof(short_head), "%.12s", head);
	TF_CHECK(strstr(err_text.ptr, short_head) && strstr(err_text.ptr, "no bitgate.json"),
		 "stderr:\n%s", err_text.ptr);
	struct bg_db *db = open_db(&f);
	struct bg_run_rec *runs;
	size_t n = runs_of(db, head, &runs);
	TF_CHECK_EQ(n, 0);
	bg_db_run_list_free(runs, n);
	bg_db_close(db);
	expect_intact(&f, base, before);

	/* the other way round, the base lacks it: the head is measured, the base fails (3) */
	EXPECT_EXIT(3, bitgate(&f, "compare", head, base, NULL));
	TF_CHECK(strstr(err_text.ptr, short_head) && strstr(err_text.ptr, "no bitgate.json"),
		 "stderr:\n%s", err_text.ptr);
	TF_CHECK(strstr(out_text.ptr, "base did not build: commit") &&
			 strstr(out_text.ptr, "the comparison is incomplete"),
		 "the decision:\n%s", out_text.ptr);
	db = open_db(&f);
	n = runs_of(db, head, &runs);
	for (size_t i = 0; i < n; i++)
		TF_CHECK(!runs[i].complete && strcmp(runs[i].status, "ok"),
			 "a run of the commit without bitgate.json: %s", runs[i].status);
	bg_db_run_list_free(runs, n);
	bg_db_close(db);
	EXPECT_EXIT(0, bitgate(&f, "db", "check", NULL));
	fx_done(&f);
}

/* Ctrl-C (SIGINT) during the base's build of `bitgate compare`, the head side not yet
 * prepared: exit 3, no run of either side is complete or ok, the database checks.
 * (engine__finish_of_an_unprepared_subject covers the other way a side stops the rest: a
 * database error, after which finishing the unprepared head crashed.) */
TF_TEST(integration__compare_interrupted_during_the_base_build)
{
	struct fx f;
	fx_init(&f, "intbuild");
	struct hook h;
	hook_paths(&f, &h);
	char base[41], head[41];
	commit_sleeping_config(&f, &h, AT_BUILD, base);
	commit_cost(&f, 1100, 4, 0, head);
	TF_CHECK(tg_write(f.root, "sleep-please", "") == 0, "write the flag");
	pid_t pid = bitgate_start(&f, "int", "-q", "compare", base, head, "--rounds", "2", NULL);
	int asleep = wait_for_file(h.marker, 120);
	struct bg_buf text = BG_BUF_INIT;
	long sleeper = asleep && bg_fs_read(&text, h.marker) == 0 ? atol(bg_buf_cstr(&text)) : 0;
	bg_buf_free(&text);
	kill(pid, SIGINT);
	int st = bitgate_wait(&f, "int", pid);
	if (sleeper > 1)
		kill((pid_t)sleeper, SIGKILL);
	TF_CHECK(asleep, "the base's build never started; bitgate: %d\n%s", st, err_text.ptr);
	TF_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 3, "bitgate ended with %d (signal %d):\n%s",
		 st, WIFSIGNALED(st) ? WTERMSIG(st) : 0, err_text.ptr);
	TF_CHECK(unlink(h.flag) == 0, "unlink the flag");
	struct bg_db *db = open_db(&f);
	struct bg_run_rec *runs;
	size_t n = runs_of(db, base, &runs);
	for (size_t i = 0; i < n; i++)
		TF_CHECK(!runs[i].complete && strcmp(runs[i].status, "ok"), "the base's run: %s",
			 runs[i].status);
	bg_db_run_list_free(runs, n);
	n = runs_of(db, head, &runs);
	TF_CHECK_EQ(n, 0);
	bg_db_run_list_free(runs, n);
	bg_db_close(db);
	EXPECT_EXIT(0, bitgate(&f, "db", "check", NULL));
	fx_done(&f);
}

/* The runs of sha in f's database: how many, and how many of them are complete with all
 * of want samples; any other is an error. */
static size_t whole_runs(struct fx *f, const char *sha, int64_t want)
{
	struct bg_db *db = open_db(f);
	struct bg_run_rec *runs;
	size_t n = runs_of(db, sha, &runs);
	for (size_t i = 0; i < n; i++)
		TF_CHECK(runs[i].complete && runs[i].n_samples == want,
			 "run %zu of %.10s: complete %d, %d samples, want %d", i, sha,
			 runs[i].complete, (int)runs[i].n_samples, (int)want);
	bg_db_run_list_free(runs, n);
	bg_db_close(db);
	return n;
}

/* SIGKILL at moments spread over a db import of 600000 samples into a database with a run of
 * its own, a few times: each time the import is all there or not at all, the database's own
 * run is intact and db check passes; then the import completes. */
TF_TEST(integration__killed_during_an_import)
{
	struct fx f, g, h;
	fx_init(&f, "killimport");
	char c0[41], c1[41], marker[700], dump[700];
	snprintf(marker, sizeof(marker), "%s/bench-printed", f.root);
	snprintf(dump, sizeof(dump), "%s/dump.jsonl", f.root);
	commit_cost(&f, 1000, 4, 0, c0);
	commit_big_bench(&f, marker, c1);
	EXPECT_EXIT(0, bitgate(&f, "run", c1, "--repetitions", "3", NULL));
	EXPECT_EXIT(0, bitgate(&f, "db", "export", "-o", dump, NULL));
	g = h = f;
	snprintf(g.db, sizeof(g.db), "%s/target.db", f.root);
	snprintf(h.db, sizeof(h.db), "%s/timing.db", f.root);
	EXPECT_EXIT(0, bitgate(&g, "run", c0, "--no-tests", NULL));
	size_t before = stored_samples(&g, c0);
	double t0 = bg_now();
	EXPECT_EXIT(0, bitgate(&h, "db", "import", dump, NULL));
	double importing = bg_now() - t0;

	srand((unsigned)getpid());
	for (int k = 0; k < 4; k++) {
		pid_t pid = bitgate_start(&g, "import", "db", "import", dump, NULL);
		/* from at once to a little past when an import into an empty database ended */
		usleep((useconds_t)(1.2e6 * importing * rand() / RAND_MAX));
		kill(pid, SIGKILL);
		int st = bitgate_wait(&g, "import", pid);
		TF_CHECK(WIFSIGNALED(st) || (WIFEXITED(st) && WEXITSTATUS(st) == 0),
			 "the import ended with %d:\n%s", st, err_text.ptr);
		TF_CHECK(whole_runs(&g, c1, 3 * ROUND_SAMPLES) <= 1, "imported twice");
		expect_intact(&g, c0, before);
	}
	EXPECT_EXIT(0, bitgate(&g, "db", "import", dump, NULL));
	TF_CHECK_EQ(whole_runs(&g, c1, 3 * ROUND_SAMPLES), 1);
	EXPECT_EXIT(0, bitgate(&g, "db", "check", NULL));
	fx_done(&f);
}
