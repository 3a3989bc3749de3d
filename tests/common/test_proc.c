/* common/proc.c, the process runner: exit status, signals, timeouts that kill the whole
 * group, environment, working directory, captured output, exec failures and interruption;
 * then its phases: the output files opened before anything is started (each failure naming
 * its path), an empty command, and the progress tick and wall time while the child runs. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bg_buf.h"
#include "bg_error.h"
#include "bg_fs.h"
#include "bg_proc.h"
#include "common_tmp.h"
#include "tf.h"

static struct bg_proc_result run_sh(const char *script, double timeout, char *const *env,
				    const char *cwd, const char *out, const char *err)
{
	char *argv[] = {"/bin/sh", "-c", (char *)script, NULL};
	struct bg_proc_opts o = {.argv = argv,
				 .env = env,
				 .cwd = cwd,
				 .stdout_path = out,
				 .stderr_path = err,
				 .timeout_s = timeout,
				 .pin_cpu = -1};
	struct bg_proc_result r;
	TF_CHECK_EQ(bg_proc_run(&o, &r), 0);
	return r;
}

TF_TEST(common__proc_exit_status_and_output)
{
	mktmp();
	char *out = in_tmp("out"), *err = in_tmp("err");
	char *env[] = {"BG_TEST_VALUE=forty two", NULL};
	struct bg_proc_result r = run_sh("echo \"$BG_TEST_VALUE\"; pwd; echo oops >&2; exit 7", 0,
					 env, tmp, out, err);
	TF_CHECK(r.exited && r.exit_code == 7 && !bg_proc_ok(&r), "exit %d", r.exit_code);
	struct bg_buf o = BG_BUF_INIT, e = BG_BUF_INIT;
	bg_fs_read(&o, out);
	bg_fs_read(&e, err);
	char *real = bg_fs_realpath(tmp);
	char want[600];
	snprintf(want, sizeof(want), "forty two\n%s\n", real);
	TF_CHECK(!strcmp(o.ptr, want), "stdout: %s", o.ptr);
	TF_CHECK(!strcmp(e.ptr, "oops\n"), "stderr: %s", e.ptr);
	char how[200];
	bg_proc_describe(&r, how, sizeof(how));
	TF_CHECK(!strcmp(how, "exit status 7"), "%s", how);
	free(real);
	/* stdout and stderr into one file, in order */
	r = run_sh("echo one; echo two >&2; echo three", 0, NULL, NULL, out, out);
	TF_CHECK(bg_proc_ok(&r), "ok");
	bg_buf_clear(&o);
	bg_fs_read(&o, out);
	TF_CHECK(!strcmp(o.ptr, "one\ntwo\nthree\n"), "merged: %s", o.ptr);
	bg_buf_free(&o);
	bg_buf_free(&e);
	bg_fs_rmtree(tmp);
}

TF_TEST(common__proc_signal_and_exec_failure)
{
	struct bg_proc_result r = run_sh("kill -SEGV $$", 0, NULL, NULL, NULL, NULL);
	TF_CHECK(r.signaled && r.signal == SIGSEGV, "signal %d", r.signal);
	char how[200];
	bg_proc_describe(&r, how, sizeof(how));
	TF_CHECK(strstr(how, "signal 11"), "%s", how);
	char *argv[] = {"/no/such/program", NULL};
	struct bg_proc_opts o = {.argv = argv, .pin_cpu = -1};
	TF_CHECK_EQ(bg_proc_run(&o, &r), 0);
	TF_CHECK(!bg_proc_ok(&r) && r.exec_error[0], "exec failure not reported");
	bg_proc_describe(&r, how, sizeof(how));
	TF_CHECK(strstr(how, "could not start") && strstr(how, "No such file"), "%s", how);
}

/* A hang past the timeout: the child and a grandchild it started are both killed. */
TF_TEST(common__proc_timeout_kills_the_group)
{
	mktmp();
	char *pidfile = in_tmp("grandchild.pid");
	char script[600];
	snprintf(script, sizeof(script), "sleep 600 & echo $! > %s; wait", pidfile);
	struct bg_proc_result r = run_sh(script, 0.5, NULL, NULL, NULL, NULL);
	TF_CHECK(r.timed_out && !bg_proc_ok(&r), "not timed out");
	char how[200];
	bg_proc_describe(&r, how, sizeof(how));
	TF_CHECK(strstr(how, "timed out"), "%s", how);
	struct bg_buf p = BG_BUF_INIT;
	TF_CHECK_EQ(bg_fs_read(&p, pidfile), 0);
	pid_t gc = (pid_t)strtol(p.ptr, NULL, 10);
	TF_CHECK(gc > 1, "pid %s", p.ptr);
	/* reaped by init by now or soon: it must not be alive */
	int alive = 1;
	for (int i = 0; i < 100 && alive; i++) {
		alive = kill(gc, 0) == 0;
		if (alive)
			usleep(20000);
	}
	TF_CHECK(!alive, "the grandchild %d survived the timeout", (int)gc);
	bg_buf_free(&p);
	bg_fs_rmtree(tmp);
}

TF_TEST(common__proc_interrupt)
{
	bg_signals_install();
	pid_t me = getpid();
	pid_t k = fork();
	TF_CHECK(k >= 0, "fork");
	if (k == 0) {
		usleep(200000);
		kill(me, SIGINT);
		_exit(0);
	}
	char *argv[] = {"/bin/sh", "-c", "sleep 600", NULL};
	struct bg_proc_opts o = {.argv = argv, .pin_cpu = -1};
	struct bg_proc_result r;
	TF_CHECK_EQ(bg_proc_run(&o, &r), BG_EINTR);
	TF_CHECK(r.interrupted && bg_interrupted(NULL), "interruption not seen");
	waitpid(k, NULL, 0);
}

TF_TEST(proc__output_files_fail_before_the_start)
{
	char *argv[] = {"/bin/sh", "-c", "exit 0", NULL};
	struct bg_proc_opts o = {
		.argv = argv, .stdout_path = "/nonexistent-bitgate-dir/out", .pin_cpu = -1};
	struct bg_proc_result r;
	TF_CHECK_EQ(bg_proc_run(&o, &r), BG_EINFRA);
	TF_CHECK(strstr(bg_error_last(), "/nonexistent-bitgate-dir/out") != NULL, "message: %s",
		 bg_error_last());
	TF_CHECK(!r.exited && r.wall_s == 0, "nothing ran");
	o.stdout_path = NULL;
	o.stderr_path = "/nonexistent-bitgate-dir/err";
	TF_CHECK_EQ(bg_proc_run(&o, &r), BG_EINFRA);
	TF_CHECK(strstr(bg_error_last(), "/nonexistent-bitgate-dir/err") != NULL, "message: %s",
		 bg_error_last());
	TF_CHECK(!r.exited, "nothing ran");

	char *none[] = {NULL};
	o.argv = none;
	o.stderr_path = NULL;
	TF_CHECK_EQ(bg_proc_run(&o, &r), BG_EINPUT);
	TF_CHECK(strstr(bg_error_last(), "empty command") != NULL, "message: %s", bg_error_last());
}

struct ticks {
	int n;
	double last;
	int backwards;
};

static void count_tick(void *arg, double elapsed)
{
	struct ticks *t = arg;
	t->backwards += elapsed < t->last;
	t->last = elapsed;
	t->n++;
}

TF_TEST(proc__ticks_while_the_child_runs)
{
	char *argv[] = {"/bin/sh", "-c", "sleep 0.7", NULL};
	struct ticks t = {0};
	struct bg_proc_opts o = {.argv = argv, .pin_cpu = -1, .tick = count_tick, .tick_arg = &t};
	struct bg_proc_result r;
	TF_CHECK_EQ(bg_proc_run(&o, &r), 0);
	TF_CHECK(bg_proc_ok(&r), "ok");
	/* about every 200 ms: two at the least in 0.7 s, each later than the one before */
	TF_CHECK(t.n >= 2, "%d ticks", t.n);
	TF_CHECK(!t.backwards, "elapsed went backwards");
	TF_CHECK(r.wall_s >= 0.6 && r.wall_s < 30, "wall %.2f s", r.wall_s);
	TF_CHECK(t.last <= r.wall_s, "a tick after the end: %.2f > %.2f", t.last, r.wall_s);
}
