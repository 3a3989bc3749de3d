/* db/: the work queue of a fleet (db_queue.c) on both engines: claims in queue order,
 * queueing again adds nothing, a lease that runs out is taken back (and fails the commit
 * after BG_QUEUE_MAX_ATTEMPTS claims), a runner that lost its claim can neither renew nor
 * release it, several processes claiming at once never get the same commit, and which
 * commits count as measured in a pool. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bg_db.h"
#include "bg_error.h"
#include "bg_fs.h"
#include "db_fixture.h"
#include "tf.h"

struct fx {
	char dir[256];
	char target[768];
	struct bg_db *db;
};

static void fx_open(struct fx *f, const char *tag)
{
	tf_tmpdir_in(f->dir, sizeof(f->dir), "bgqueue");
	db_test_target(f->target, sizeof(f->target), f->dir, tag);
	CHECK_OK(bg_db_open(&f->db, f->target));
}

static void fx_done(struct fx *f)
{
	bg_db_close(f->db);
	bg_fs_rmtree(f->dir);
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

/* shas[i] = 40 hex digits made of i. */
static void make_shas(char (*shas)[41], const char **list, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		snprintf(shas[i], 41, "%040zx", i + 1);
		list[i] = shas[i];
	}
}

static void claim(struct fx *f, const char *pool, const char *runner, int64_t lease_ms,
		  struct bg_queue_claim *c, int *found, size_t *held, size_t *taken)
{
	CHECK_OK(
		bg_db_queue_claim(f->db, pool, "nightly", runner, lease_ms, c, found, held, taken));
}

TF_TEST(db__queue_claims_in_order_once)
{
	struct fx f;
	fx_open(&f, "queue_order");
	char shas[5][41];
	const char *list[5];
	make_shas(shas, list, 5);
	size_t added = 0;
	CHECK_OK(bg_db_queue_enqueue(f.db, "p", "nightly", list, 3, 0, &added));
	TF_CHECK_EQ(added, 3);
	/* again, with two new ones after: only those are added, after the first three */
	CHECK_OK(bg_db_queue_enqueue(f.db, "p", "nightly", list + 1, 4, 0, &added));
	TF_CHECK_EQ(added, 2);
	/* while commits are queued, an enqueue only_when_idle adds nothing */
	const char *other = "ffffffffffffffffffffffffffffffffffffffff";
	CHECK_OK(bg_db_queue_enqueue(f.db, "p", "nightly", &other, 1, 1, &added));
	TF_CHECK_EQ(added, 0);
	struct bg_queue_claim c;
	int found;
	size_t held, taken;
	for (int i = 0; i < 5; i++) {
		claim(&f, "p", "r1", 60000, &c, &found, &held, &taken);
		TF_CHECK(found, "claim %d found nothing", i);
		CHECK_STR(c.sha, shas[i]);
		TF_CHECK_EQ(c.attempts, 1);
		TF_CHECK_EQ(taken, 0);
	}
	claim(&f, "p", "r2", 60000, &c, &found, &held, &taken);
	TF_CHECK_EQ(found, 0);
	TF_CHECK_EQ(held, 5);
	/* another pool's queue is its own */
	CHECK_OK(bg_db_queue_enqueue(f.db, "q", "nightly", list, 1, 1, &added));
	TF_CHECK_EQ(added, 1);
	struct bg_queue_counts n;
	CHECK_OK(bg_db_queue_counts(f.db, "p", "nightly", &n));
	TF_CHECK(n.queued == 0 && n.claimed == 5 && n.done == 0 && n.failed == 0,
		 "counts %zu %zu %zu %zu", n.queued, n.claimed, n.done, n.failed);
	fx_done(&f);
}

TF_TEST(db__queue_lease_runs_out_and_is_taken_back)
{
	struct fx f;
	fx_open(&f, "queue_lease");
	char shas[1][41];
	const char *list[1];
	make_shas(shas, list, 1);
	CHECK_OK(bg_db_queue_enqueue(f.db, "p", "nightly", list, 1, 0, NULL));
	struct bg_queue_claim c1, c2;
	int found;
	size_t held, taken;
	claim(&f, "p", "r1", 100, &c1, &found, &held, &taken);
	TF_CHECK(found, "r1 claimed nothing");
	claim(&f, "p", "r2", 100, &c2, &found, &held, &taken);
	TF_CHECK(!found && held == 1, "found %d held %zu while r1's lease runs", found, held);
	sleep_ms(300);
	claim(&f, "p", "r2", 60000, &c2, &found, &held, &taken);
	TF_CHECK(found && taken == 1, "found %d taken back %zu after the lease", found, taken);
	CHECK_STR(c2.sha, shas[0]);
	TF_CHECK_EQ(c2.attempts, 2);
	/* r1 lost it: no renewal, no release, and r2's claim stands */
	int rc = bg_db_queue_renew(f.db, &c1, "r1", 60000);
	TF_CHECK(rc == BG_EINFRA && strstr(bg_error_last(), "r1 lost its claim") &&
			 strstr(bg_error_last(), "by r2"),
		 "renew: %d %s", rc, bg_error_last());
	TF_CHECK_EQ(bg_db_queue_release(f.db, &c1, "r1", 1, NULL), BG_EINFRA);
	CHECK_OK(bg_db_queue_renew(f.db, &c2, "r2", 60000));
	CHECK_OK(bg_db_queue_release(f.db, &c2, "r2", 1, NULL));
	struct bg_queue_counts n;
	CHECK_OK(bg_db_queue_counts(f.db, "p", "nightly", &n));
	TF_CHECK(n.done == 1 && n.claimed == 0, "done %zu claimed %zu", n.done, n.claimed);
	fx_done(&f);
}

TF_TEST(db__queue_fails_a_commit_whose_runners_keep_dying)
{
	struct fx f;
	fx_open(&f, "queue_attempts");
	char shas[1][41];
	const char *list[1];
	make_shas(shas, list, 1);
	CHECK_OK(bg_db_queue_enqueue(f.db, "p", "nightly", list, 1, 0, NULL));
	struct bg_queue_claim c;
	int found;
	size_t held, taken, n_back;
	for (int i = 0; i < BG_QUEUE_MAX_ATTEMPTS; i++) {
		claim(&f, "p", "r", 50, &c, &found, &held, &taken);
		TF_CHECK(found && c.attempts == i + 1, "attempt %d: found %d", i + 1, found);
		sleep_ms(150);
	}
	CHECK_OK(bg_db_queue_take_back(f.db, "p", "nightly", &n_back));
	TF_CHECK_EQ(n_back, 1);
	claim(&f, "p", "r", 50, &c, &found, &held, &taken);
	TF_CHECK(!found && held == 0, "a failed commit was claimed again");
	struct bg_queue_counts n;
	CHECK_OK(bg_db_queue_counts(f.db, "p", "nightly", &n));
	TF_CHECK_EQ(n.failed, 1);
	/* the next nightly queues it again, its attempts counted afresh */
	size_t added;
	CHECK_OK(bg_db_queue_enqueue(f.db, "p", "nightly", list, 1, 1, &added));
	TF_CHECK_EQ(added, 1);
	claim(&f, "p", "r", 60000, &c, &found, &held, &taken);
	TF_CHECK(found && c.attempts == 1, "found %d attempts %d", found, c.attempts);
	fx_done(&f);
}

TF_TEST(db__queue_release_only_by_the_holder)
{
	struct fx f;
	fx_open(&f, "queue_release");
	char shas[2][41];
	const char *list[2];
	make_shas(shas, list, 2);
	CHECK_OK(bg_db_queue_enqueue(f.db, "p", "nightly", list, 2, 0, NULL));
	struct bg_queue_claim c;
	int found;
	claim(&f, "p", "r1", 60000, &c, &found, NULL, NULL);
	int rc = bg_db_queue_release(f.db, &c, "r2", 1, NULL);
	TF_CHECK(rc == BG_EINFRA && strstr(bg_error_last(), "r2 lost its claim") &&
			 strstr(bg_error_last(), "claimed by r1"),
		 "release by r2: %d %s", rc, bg_error_last());
	struct bg_queue_counts n;
	CHECK_OK(bg_db_queue_counts(f.db, "p", "nightly", &n));
	TF_CHECK_EQ(n.claimed, 1);
	CHECK_OK(bg_db_queue_release(f.db, &c, "r1", 0, NULL));
	TF_CHECK_EQ(bg_db_queue_release(f.db, &c, "r1", 1, NULL), BG_EINFRA); /* twice: no */
	CHECK_OK(bg_db_queue_counts(f.db, "p", "nightly", &n));
	TF_CHECK(n.failed == 1 && n.queued == 1, "failed %zu queued %zu", n.failed, n.queued);
	TF_CHECK_EQ(bg_db_queue_enqueue(f.db, "", "nightly", list, 1, 0, NULL), BG_EINPUT);
	TF_CHECK_EQ(bg_db_queue_enqueue(f.db, "p", "weekly", list, 1, 0, NULL), BG_EINPUT);
	fx_done(&f);
}

#define N_PROCS 4
#define N_WORK 120

/* One claiming process: claims until nothing is left, releasing each, and writes the queue
 * row of each claim to fd, one int64 each; exits 0, or 1 on an error. */
static void claimer(const char *target, int fd, int i)
{
	struct bg_db *db;
	char runner[32];
	snprintf(runner, sizeof(runner), "runner-%d", i);
	if (bg_db_open(&db, target) < 0)
		_exit(1);
	for (;;) {
		struct bg_queue_claim c;
		int found;
		if (bg_db_queue_claim(db, "p", "nightly", runner, 60000, &c, &found, NULL, NULL) <
		    0) {
			fprintf(stderr, "%s: %s\n", runner, bg_error_last());
			_exit(1);
		}
		if (!found)
			break;
		if (write(fd, &c.id, sizeof(c.id)) != (ssize_t)sizeof(c.id) ||
		    bg_db_queue_release(db, &c, runner, 1, NULL) < 0)
			_exit(1);
	}
	bg_db_close(db);
	_exit(0);
}

TF_TEST(db__queue_no_double_claim_from_several_processes)
{
	struct fx f;
	fx_open(&f, "queue_procs");
	static char shas[N_WORK][41];
	const char *list[N_WORK];
	make_shas(shas, list, N_WORK);
	CHECK_OK(bg_db_queue_enqueue(f.db, "p", "nightly", list, N_WORK, 0, NULL));
	bg_db_close(f.db); /* no connection across fork (SQLite's locks do not survive one) */
	f.db = NULL;
	int pipes[N_PROCS][2];
	pid_t pids[N_PROCS];
	for (int i = 0; i < N_PROCS; i++) {
		TF_CHECK(pipe(pipes[i]) == 0, "pipe");
		pids[i] = fork();
		TF_CHECK(pids[i] >= 0, "fork");
		if (pids[i] == 0) {
			close(pipes[i][0]);
			claimer(f.target, pipes[i][1], i);
		}
		close(pipes[i][1]);
	}
	int seen[N_WORK + 1] = {0}, total = 0, busy = 0;
	for (int i = 0; i < N_PROCS; i++) {
		int64_t id, mine = 0;
		while (read(pipes[i][0], &id, sizeof(id)) == (ssize_t)sizeof(id)) {
			TF_CHECK(id >= 1 && id <= N_WORK, "queue row %lld", (long long)id);
			seen[id]++, total++, mine++;
		}
		close(pipes[i][0]);
		int st;
		TF_CHECK(waitpid(pids[i], &st, 0) == pids[i] && WIFEXITED(st) &&
				 WEXITSTATUS(st) == 0,
			 "claimer %d failed", i);
		busy += mine > 0;
	}
	TF_CHECK_EQ(total, N_WORK);
	for (int k = 1; k <= N_WORK; k++)
		TF_CHECK(seen[k] == 1, "queue row %d claimed %d times", k, seen[k]);
	CHECK_OK(bg_db_open(&f.db, f.target));
	struct bg_queue_counts n;
	CHECK_OK(bg_db_queue_counts(f.db, "p", "nightly", &n));
	TF_CHECK_EQ(n.done, N_WORK);
	printf("%d of %d processes claimed work\n", busy, N_PROCS);
	fx_done(&f);
}

/* A complete run of sha on machine; its uuid into uuid (owned by the caller). */
static char *complete_run(struct fx *f, const char *sha, int64_t machine)
{
	struct bg_run_rec r = {.kind = "nightly", .commit_sha = (char *)sha, .machine_id = machine};
	CHECK_OK(bg_db_run_begin(f->db, &r));
	CHECK_OK(bg_db_run_finish(f->db, r.id, "ok", 1));
	return r.uuid;
}

TF_TEST(db__queue_measured_per_pool)
{
	struct fx f;
	fx_open(&f, "queue_measured");
	struct bg_machine_rec m1 = {.fingerprint = "fp-1", .cpu = "a"},
			      m2 = {.fingerprint = "fp-2", .cpu = "b"};
	int64_t id1, id2;
	CHECK_OK(bg_db_machine_put(f.db, &m1, &id1));
	CHECK_OK(bg_db_machine_put(f.db, &m2, &id2));
	char shas[3][41];
	const char *list[3];
	make_shas(shas, list, 3);
	/* commit 0: a run without a pool on machine 1; commit 1: pool a's claim, on machine 2 */
	free(complete_run(&f, shas[0], id1));
	CHECK_OK(bg_db_queue_enqueue(f.db, "a", "nightly", list + 1, 1, 0, NULL));
	struct bg_queue_claim c;
	int found;
	claim(&f, "a", "r", 60000, &c, &found, NULL, NULL);
	TF_CHECK(found, "nothing claimed");
	char *uuid = complete_run(&f, shas[1], id2);
	CHECK_OK(bg_db_queue_release(f.db, &c, "r", 1, uuid));
	free(uuid);
	int st[3];
	/* pool a on machine 1: commit 0 (no pool, its machine) and 1 (its pool, any machine) */
	CHECK_OK(bg_db_queue_measured(f.db, "a", id1, "nightly", list, 3, st));
	TF_CHECK(st[0] == BG_COMMIT_MEASURED && st[1] == BG_COMMIT_MEASURED &&
			 st[2] == BG_COMMIT_UNMEASURED,
		 "pool a: %d %d %d", st[0], st[1], st[2]);
	/* pool b on machine 2: neither the other pool's run nor another machine's counts */
	CHECK_OK(bg_db_queue_measured(f.db, "b", id2, "nightly", list, 3, st));
	TF_CHECK(st[0] == BG_COMMIT_UNMEASURED && st[1] == BG_COMMIT_UNMEASURED, "pool b: %d %d",
		 st[0], st[1]);
	fx_done(&f);
}
