/* The fleet's claim speed (issue 19: "4 runners claiming 1,000 queued commits, no bench
 * work, < 5 s in total, no double claim"): queues N commits for a fresh pool, then R
 * processes, each with its own connection, claim and release them until none is left. Prints
 * the wall time from the first claim to the last release, the claims per second, how many
 * each runner got, and the double claims and lost commits found (exit 1 when any). Not a
 * test: scripts/fleet-claim-bench runs it on SQLite and on PostgreSQL.
 *
 *   [FLEET_DB=TARGET | FLEET_PG=1] [FLEET_RUNNERS=R] [FLEET_COMMITS=N] bg-fleet-claim-bench
 *
 * FLEET_DB: a SQLite path or a PostgreSQL URI/conninfo (default: a file in $TMPDIR);
 * FLEET_PG=1: a PostgreSQL server of its own, started for the run (tests/db/pg_fixture.c);
 * 4 runners and 1,000 commits by default. */
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
#include "pg_fixture.h"
#include "tf.h"

#define MAX_RUNNERS 64

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One runner: waits for the start byte on go, then claims and releases until nothing is
 * left, writing the number of each commit it claimed (its SHA is that number in hex) to fd. */
static void runner(const char *target, const char *pool, int go, int fd, int i)
{
	struct bg_db *db;
	char name[32], byte;
	snprintf(name, sizeof(name), "bench-runner-%d", i);
	if (bg_db_open(&db, target) < 0 || read(go, &byte, 1) != 1) {
		fprintf(stderr, "%s: %s\n", name, bg_error_last());
		_exit(1);
	}
	for (;;) {
		struct bg_queue_claim c;
		int found;
		if (bg_db_queue_claim(db, pool, "nightly", name, 60000, &c, &found, NULL, NULL) < 0)
			break;
		if (!found) {
			bg_db_close(db);
			_exit(0);
		}
		int64_t k = (int64_t)strtoll(c.sha, NULL, 16);
		if (write(fd, &k, sizeof(k)) != (ssize_t)sizeof(k) ||
		    bg_db_queue_release(db, &c, name, 1, NULL) < 0)
			break;
	}
	fprintf(stderr, "%s: %s\n", name, bg_error_last());
	_exit(1);
}

static int enqueue(const char *target, const char *pool, int n)
{
	struct bg_db *db;
	char(*shas)[41] = calloc((size_t)n, sizeof(*shas));
	const char **list = calloc((size_t)n, sizeof(*list));
	int rc = shas && list ? bg_db_open(&db, target) : -1;
	for (int i = 0; rc == 0 && i < n; i++) {
		snprintf(shas[i], sizeof(shas[i]), "%040x", i + 1);
		list[i] = shas[i];
	}
	if (rc == 0) {
		rc = bg_db_queue_enqueue(db, pool, "nightly", list, (size_t)n, 0, NULL);
		bg_db_close(db);
	}
	if (rc < 0)
		fprintf(stderr, "queueing: %s\n", bg_error_last());
	free(shas);
	free(list);
	return rc;
}

/* Reads every runner's commit numbers, counts each in seen[number - 1], waits for them. */
static int collect(int r, int (*fds)[2], const pid_t *pids, int *seen, int n, int *got)
{
	int failed = 0;
	for (int i = 0; i < r; i++) {
		int64_t k;
		got[i] = 0;
		while (read(fds[i][0], &k, sizeof(k)) == (ssize_t)sizeof(k)) {
			if (k >= 1 && k <= n)
				seen[k - 1]++;
			got[i]++;
		}
		int st;
		waitpid(pids[i], &st, 0);
		failed |= !WIFEXITED(st) || WEXITSTATUS(st) != 0;
	}
	return failed;
}

static int env_int(const char *name, int dflt, int lo, int hi)
{
	const char *v = getenv(name);
	int n = v && *v ? atoi(v) : dflt;
	TF_CHECK(n >= lo && n <= hi, "%s=%s: expected %d..%d", name, v, lo, hi);
	return n;
}

/* tf's main runs this case (no ctest case: tests/CMakeLists.txt builds the program alone). */
TF_TEST(perf__fleet_claims)
{
	const char *target = getenv("FLEET_DB");
	char dir[256] = "", path[300];
	int r = env_int("FLEET_RUNNERS", 4, 1, MAX_RUNNERS);
	int n = env_int("FLEET_COMMITS", 1000, 1, 10000000);
	int pg = env_int("FLEET_PG", 0, 0, 1);
	if (pg) {
		target = pg_fixture_new_db("fleetbench");
	} else if (!target || !*target) {
		tf_tmpdir_in(dir, sizeof(dir), "fleetbench");
		snprintf(path, sizeof(path), "%s/bitgate.db", dir);
		target = path;
	}
	char pool[64];
	snprintf(pool, sizeof(pool), "bench-%ld-%ld", (long)getpid(), (long)time(NULL));
	TF_CHECK(enqueue(target, pool, n) == 0, "queueing failed");
	int fds[MAX_RUNNERS][2], go[2];
	pid_t pids[MAX_RUNNERS];
	TF_CHECK(pipe(go) == 0, "pipe");
	for (int i = 0; i < r; i++) {
		TF_CHECK(pipe(fds[i]) == 0 && (pids[i] = fork()) >= 0, "pipe or fork");
		if (pids[i] == 0) {
			close(fds[i][0]);
			close(go[1]);
			runner(target, pool, go[0], fds[i][1], i);
		}
		close(fds[i][1]);
	}
	close(go[0]);
	sleep(1); /* every runner connected */
	double t0 = now_s();
	char start[MAX_RUNNERS] = {0};
	TF_CHECK(write(go[1], start, (size_t)r) == r, "starting the runners");
	close(go[1]);
	int *seen = calloc((size_t)n, sizeof(int)), got[MAX_RUNNERS];
	TF_CHECK(seen, "out of memory");
	int failed = collect(r, fds, pids, seen, n, got);
	double secs = now_s() - t0;
	int doubles = 0, lost = 0;
	for (int k = 0; k < n; k++)
		doubles += seen[k] > 1, lost += seen[k] == 0;
	printf("%s: %d runners claimed and released %d queued commits in %.2f s (%.0f claims/s); "
	       "double claims %d, lost %d; per runner:",
	       pg || bg_db_is_server(target) ? "PostgreSQL" : "SQLite", r, n, secs, n / secs,
	       doubles, lost);
	for (int i = 0; i < r; i++)
		printf(" %d", got[i]);
	printf("\n");
	free(seen);
	if (dir[0])
		bg_fs_rmtree(dir);
	TF_CHECK(!failed && !doubles && !lost, "a runner failed (%d), double claims %d, lost %d",
		 failed, doubles, lost);
}
