/* common/: SHA-256 against the FIPS 180-2 appendix B known answers, buffers, paths, file
 * tails, and the process runner (exit status, signals, timeouts that kill the whole group,
 * environment, working directory, captured output, exec failures, interruption). */
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
#include "bg_hash.h"
#include "bg_proc.h"
#include "tf.h"

TF_TEST(common__sha256_known_answers)
{
	char hex[65];
	bg_sha256_hex(hex, "", 0);
	TF_CHECK(!strcmp(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
		 "empty: %s", hex);
	bg_sha256_hex(hex, "abc", 3);
	TF_CHECK(!strcmp(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
		 "abc: %s", hex);
	const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	bg_sha256_hex(hex, two, strlen(two));
	TF_CHECK(!strcmp(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
		 "two blocks: %s", hex);
	/* a million 'a', fed in uneven pieces to cross block boundaries every way */
	struct bg_sha256 s;
	bg_sha256_init(&s);
	char a[997];
	memset(a, 'a', sizeof(a));
	size_t left = 1000000;
	for (size_t piece = 1; left; piece = piece % 997 + 1) {
		size_t n = piece < left ? piece : left;
		bg_sha256_update(&s, a, n);
		left -= n;
	}
	uint8_t d[32];
	bg_sha256_final(&s, d);
	bg_hex(hex, d, 32);
	TF_CHECK(!strcmp(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"),
		 "million a: %s", hex);
}

TF_TEST(common__buf_and_paths)
{
	struct bg_buf b = BG_BUF_INIT;
	TF_CHECK(!strcmp(bg_buf_cstr(&b), ""), "empty buffer");
	for (int i = 0; i < 1000; i++)
		TF_CHECK_EQ(bg_buf_printf(&b, "%d,", i), 0);
	TF_CHECK(!strncmp(b.ptr, "0,1,2,", 6) && b.ptr[b.len] == '\0', "contents");
	TF_CHECK_EQ(b.len, 3890);
	char *s = bg_buf_detach(&b);
	TF_CHECK(s && !b.ptr && !b.len, "detach");
	free(s);
	TF_CHECK_EQ(bg_path_join(&b, "/a/b/", "/c"), 0);
	TF_CHECK(!strcmp(b.ptr, "/a/b/c"), "join %s", b.ptr);
	TF_CHECK_EQ(bg_path_join(&b, "/", "x"), 0);
	TF_CHECK(!strcmp(b.ptr, "/x"), "join %s", b.ptr);
	bg_buf_free(&b);
	int64_t v;
	TF_CHECK(bg_parse_i64("42", &v) == 0 && v == 42, "42");
	TF_CHECK(bg_parse_i64("4x", &v) < 0 && bg_parse_i64("", &v) < 0, "junk accepted");
	char **sv = NULL;
	size_t n = 0;
	TF_CHECK(bg_strv_push(&sv, &n, "A=1") == 0 && bg_strv_push(&sv, &n, "B=2") == 0, "push");
	TF_CHECK(n == 2 && !strcmp(sv[1], "B=2") && sv[2] == NULL, "strv");
	free(sv[0]);
	free(sv[1]);
	free(sv);
}

static char tmp[256];

static void mktmp(void)
{
	snprintf(tmp, sizeof(tmp), "%s/bitgate-common-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	TF_CHECK(mkdtemp(tmp), "mkdtemp: %s", strerror(errno));
}

static char *in_tmp(const char *name)
{
	static char p[4][400];
	static int k;
	k = (k + 1) % 4;
	snprintf(p[k], sizeof(p[k]), "%s/%s", tmp, name);
	return p[k];
}

TF_TEST(common__fs_write_read_tail_rmtree)
{
	mktmp();
	char *dir = in_tmp("a/b/c");
	TF_CHECK_EQ(bg_fs_mkdirs(dir), 0);
	TF_CHECK(bg_fs_is_dir(dir), "mkdirs");
	struct bg_buf text = BG_BUF_INIT;
	for (int i = 0; i < 500; i++)
		bg_buf_printf(&text, "line %d\n", i);
	char *f = in_tmp("a/b/c/log.txt");
	TF_CHECK_EQ(bg_fs_write(f, text.ptr, text.len), 0);
	struct bg_buf back = BG_BUF_INIT, tail = BG_BUF_INIT;
	TF_CHECK_EQ(bg_fs_read(&back, f), 0);
	TF_CHECK(back.len == text.len && !memcmp(back.ptr, text.ptr, text.len), "read back");
	TF_CHECK_EQ(bg_fs_tail(&tail, f, 30), 0);
	/* the tail starts at a line boundary and ends with the last line */
	TF_CHECK(!strncmp(tail.ptr, "line ", 5) && strstr(tail.ptr, "line 499\n"), "tail: %s",
		 tail.ptr);
	TF_CHECK(tail.len <= 30, "tail too long: %zu", tail.len);
	TF_CHECK_EQ(bg_fs_read(&back, in_tmp("missing")), BG_ENOTFOUND);
	TF_CHECK(strstr(bg_error_last(), "missing"), "message names the file: %s", bg_error_last());
	TF_CHECK(bg_fs_du(tmp) == (int64_t)text.len, "du %lld", (long long)bg_fs_du(tmp));
	TF_CHECK_EQ(bg_fs_rmtree(tmp), 0);
	TF_CHECK(!bg_fs_exists(tmp), "rmtree");
	TF_CHECK_EQ(bg_fs_rmtree(tmp), 0); /* missing: not an error */
	bg_buf_free(&text);
	bg_buf_free(&back);
	bg_buf_free(&tail);
}

static struct bg_proc_result run_sh(const char *script, double timeout, char *const *env,
				    const char *cwd, const char *out, const char *err)
{
	char *argv[] = {"/bin/sh", "-c", (char *)script, NULL};
	struct bg_proc_opts o = {.argv = argv, .env = env, .cwd = cwd, .stdout_path = out,
				 .stderr_path = err, .timeout_s = timeout, .pin_cpu = -1};
	struct bg_proc_result r;
	TF_CHECK_EQ(bg_proc_run(&o, &r), 0);
	return r;
}

TF_TEST(common__proc_exit_status_and_output)
{
	mktmp();
	char *out = in_tmp("out"), *err = in_tmp("err");
	char *env[] = {"BG_TEST_VALUE=forty two", NULL};
	struct bg_proc_result r =
		run_sh("echo \"$BG_TEST_VALUE\"; pwd; echo oops >&2; exit 7", 0, env, tmp, out, err);
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
