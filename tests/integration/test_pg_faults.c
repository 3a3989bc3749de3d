/* Integration: bitgate on a PostgreSQL database that fails it (on the ctest run's server,
 * pg_fixture.c): a server that is not there, a wrong password, a database of a newer
 * schema, and the connection dropped in the middle of a write transaction. Each is exit 3
 * with a message naming the host and the database and never the password; nothing partial
 * is stored. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bg_buf.h"
#include "bg_db.h"
#include "db_fixture.h"
#include "it_fixture.h"
#include "tf.h"

/* bitgate's last stderr names the server's host and database, and not secret. */
static void check_named(const char *host, const char *secret)
{
	const char *err = bg_buf_cstr(&err_text);
	TF_CHECK(strstr(err, host) && strstr(err, "/" PG_FIXTURE_DB),
		 "the message names no host %s and database: %s", host, err);
	TF_CHECK(!secret || !strstr(err, secret), "the message shows the password: %s", err);
}

TF_TEST(pg_faults__unreachable_server_pg)
{
	struct fx f;
	fx_init(&f, "pgf");
	snprintf(f.db, sizeof(f.db), "%s", pg_fixture_dead_conninfo("pw-of-no-server"));
	EXPECT_EXIT(3, bitgate(&f, "log", NULL));
	check_named("postgresql://127.0.0.1:", "pw-of-no-server");
	fx_done(&f);
}

TF_TEST(pg_faults__wrong_password_pg)
{
	struct fx f;
	fx_init(&f, "pgf");
	snprintf(f.db, sizeof(f.db), "%s", pg_fixture_tcp_conninfo("not-the-password"));
	EXPECT_EXIT(3, bitgate(&f, "log", NULL));
	check_named("postgresql://127.0.0.1:", "not-the-password");
	TF_CHECK(strstr(bg_buf_cstr(&err_text), "password"), "no word on the password: %s",
		 bg_buf_cstr(&err_text));
	/* the right one opens it */
	snprintf(f.db, sizeof(f.db), "%s", pg_fixture_tcp_conninfo(PG_FIXTURE_PASSWORD));
	EXPECT_EXIT(0, bitgate(&f, "log", NULL));
	fx_done(&f);
}

TF_TEST(pg_faults__newer_schema_refused_pg)
{
	struct fx f;
	fx_init(&f, "pgf");
	snprintf(f.db, sizeof(f.db), "%s", pg_fixture_new_db("newer"));
	EXPECT_EXIT(0, bitgate(&f, "log", NULL));
	db_raw_set_version(f.db, bg_db_schema_version() + 1);
	EXPECT_EXIT(3, bitgate(&f, "log", NULL));
	check_named("postgresql://", NULL);
	TF_CHECK(strstr(bg_buf_cstr(&err_text), "newer"), "message: %s", bg_buf_cstr(&err_text));
	fx_done(&f);
}

/* The server process of the connection named app that waits for a table's lock: its pid,
 * once there (polled for at most timeout_s seconds), or 0. */
static long lock_waiter(struct db_sql *c, const char *app, double timeout_s)
{
	char sql[300];
	snprintf(sql, sizeof(sql),
		 "SELECT coalesce(max(pid), 0) FROM pg_stat_activity WHERE application_name = "
		 "'%s' AND wait_event_type = 'Lock' AND wait_event = 'relation'",
		 app);
	for (double waited = 0; waited < timeout_s; waited += 0.1) {
		struct db_sql_stmt *s;
		TF_CHECK(db_sql_prepare(c, sql, 0, &s, "watching") == 0, "%s", bg_error_last());
		TF_CHECK(db_sql_step(s, "watching") == 1, "%s", bg_error_last());
		long pid = (long)db_sql_col_int64(s, 0);
		db_sql_finalize(s);
		if (pid)
			return pid;
		nanosleep(&(struct timespec){0, 100 * 1000000L}, NULL);
	}
	return 0;
}

/* bitgate run's connection is dropped (pg_terminate_backend) while its transaction waits to
 * store samples: exit 3 naming the database; no sample stored, the run incomplete, the
 * database consistent. */
TF_TEST(pg_faults__connection_dropped_mid_transaction_pg)
{
	struct fx f;
	char sha[41], app[64];
	fx_init(&f, "pgf");
	snprintf(f.db, sizeof(f.db), "%s", pg_fixture_new_db("dropped"));
	commit_cost(&f, 100000, 0, 0, sha);
	EXPECT_EXIT(0, bitgate(&f, "log", NULL)); /* the schema */

	struct db_sql *locker, *watcher;
	TF_CHECK(db_sql_open(&locker, f.db) == 0 && db_sql_open(&watcher, f.db) == 0, "%s",
		 bg_error_last());
	/* SHARE: reads go on, every INSERT into samples waits */
	TF_CHECK(db_sql_exec(locker, "BEGIN; LOCK TABLE samples IN SHARE MODE", "locking") == 0,
		 "%s", bg_error_last());
	snprintf(app, sizeof(app), "bg-dropped-%ld", (long)getpid());
	setenv("PGAPPNAME", app, 1);
	pid_t pid = bitgate_start(&f, "run", "run", sha, "--no-tests", "--repetitions", "1", NULL);
	unsetenv("PGAPPNAME");
	long backend = lock_waiter(watcher, app, 240);
	if (!backend)
		kill(pid, SIGKILL);
	TF_CHECK(backend, "bitgate run never waited to store its samples");
	char sql[80];
	snprintf(sql, sizeof(sql), "SELECT pg_terminate_backend(%ld)", backend);
	TF_CHECK(db_sql_exec(watcher, sql, "dropping") == 0, "%s", bg_error_last());
	int st = bitgate_wait(&f, "run", pid);
	TF_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 3, "status %d, want exit 3: %s", st,
		 bg_buf_cstr(&err_text));
	check_named("postgresql://", NULL);
	db_sql_rollback(locker);
	db_sql_close(locker);
	db_sql_close(watcher);

	TF_CHECK_EQ(db_raw_count(f.db, "SELECT count(*) FROM samples"), 0);
	TF_CHECK_EQ(db_raw_count(f.db, "SELECT count(*) FROM results"), 0);
	TF_CHECK_EQ(db_raw_count(f.db, "SELECT count(*) FROM runs WHERE complete = 1"), 0);
	EXPECT_EXIT(0, bitgate(&f, "db", "check", NULL));
	fx_done(&f);
}
