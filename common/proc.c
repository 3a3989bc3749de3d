/* The process runner. The child gets its own process group so a timeout or an interruption
 * can kill everything it started (compilers, test binaries, forked benchmarks). */
#include "bg_proc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bg_buf.h"
#include "bg_error.h"

static volatile sig_atomic_t bg_sig_received;

static void on_signal(int sig)
{
	bg_sig_received = sig;
}

void bg_signals_install(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* no SA_RESTART: waits return EINTR so we can react */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

int bg_interrupted(int *sig)
{
	if (sig)
		*sig = bg_sig_received;
	return bg_sig_received != 0;
}

static int open_out(const char *path)
{
	return open(path ? path : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
}

/* In the child: never returns. Reports an exec failure through errfd. */
static void child_exec(const struct bg_proc_opts *o, int out_fd, int err_fd, int errfd)
{
	setpgid(0, 0);
	/* default dispositions: the parent's handlers must not survive into the child */
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);

	int in_fd = open("/dev/null", O_RDONLY);
	const char *what = "redirect";
	if (in_fd < 0 || dup2(in_fd, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(err_fd, 2) < 0)
		goto fail;
	if (o->env)
		for (char *const *e = o->env; *e; e++) {
			const char *eq = strchr(*e, '=');
			if (!eq)
				continue;
			char key[256];
			size_t n = (size_t)(eq - *e) < sizeof(key) - 1 ? (size_t)(eq - *e)
								    : sizeof(key) - 1;
			memcpy(key, *e, n);
			key[n] = '\0';
			setenv(key, eq + 1, 1);
		}
	what = "chdir";
	if (o->cwd && chdir(o->cwd) < 0)
		goto fail;
	if (o->pin_cpu >= 0) {
		cpu_set_t set;
		CPU_ZERO(&set);
		CPU_SET(o->pin_cpu, &set);
		what = "sched_setaffinity";
		if (sched_setaffinity(0, sizeof(set), &set) < 0)
			goto fail;
	}
	what = "exec";
	execvp(o->argv[0], o->argv);
fail:;
	char msg[256];
	int e = errno;
	snprintf(msg, sizeof(msg), "%s: %s", what, strerror(e));
	ssize_t w = write(errfd, msg, strlen(msg));
	(void)w;
	_exit(127);
}

static void kill_group(pid_t pid, int sig)
{
	kill(-pid, sig);
	kill(pid, sig);
}

/* Waits up to ms milliseconds for the child; 1 when it was reaped. */
static int wait_child(pid_t pid, int pidfd, int ms, int *status)
{
	if (waitpid(pid, status, WNOHANG) == pid)
		return 1;
	if (pidfd >= 0) {
		struct pollfd p = {.fd = pidfd, .events = POLLIN};
		poll(&p, 1, ms);
	} else {
		struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
		nanosleep(&ts, NULL);
	}
	return waitpid(pid, status, WNOHANG) == pid;
}

/* The child's stdout and stderr files (the same path twice merges them). */
static int open_outputs(const struct bg_proc_opts *o, int *out_fd, int *err_fd)
{
	*err_fd = -1;
	*out_fd = open_out(o->stdout_path);
	if (*out_fd < 0)
		return bg_error_set(BG_EINFRA, "%s: %s", o->stdout_path, strerror(errno));
	if (o->stderr_path && o->stdout_path && !strcmp(o->stderr_path, o->stdout_path))
		*err_fd = dup(*out_fd);
	else
		*err_fd = open_out(o->stderr_path);
	if (*err_fd < 0) {
		int e = errno;
		close(*out_fd);
		return bg_error_set(BG_EINFRA, "%s: %s", o->stderr_path, strerror(e));
	}
	return 0;
}

/* Forks the child in a process group of its own, at *t0; *exec_fd is read back for why
 * exec failed (the child writes it there; close-on-exec closes it when exec works). */
static int spawn(const struct bg_proc_opts *o, pid_t *pid, int *exec_fd, double *t0)
{
	int out_fd = -1, err_fd = -1, pipefd[2];
	int rc = open_outputs(o, &out_fd, &err_fd);
	if (rc < 0)
		return rc;
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		int e = errno;
		close(out_fd);
		close(err_fd);
		return bg_error_set(BG_EINFRA, "pipe: %s", strerror(e));
	}
	*t0 = bg_now();
	*pid = fork();
	if (*pid < 0) {
		int e = errno;
		close(out_fd);
		close(err_fd);
		close(pipefd[0]);
		close(pipefd[1]);
		return bg_error_set(BG_EINFRA, "fork: %s", strerror(e));
	}
	if (*pid == 0) {
		close(pipefd[0]);
		child_exec(o, out_fd, err_fd, pipefd[1]);
	}
	setpgid(*pid, *pid); /* also in the parent, so the group exists before any kill */
	close(out_fd);
	close(err_fd);
	close(pipefd[1]);
	*exec_fd = pipefd[0];
	return 0;
}

/* Waits for the child, killing its group at the timeout or on an interruption (SIGTERM,
 * then SIGKILL after a grace period), ticking meanwhile. Returns its wait status. */
static int supervise(const struct bg_proc_opts *o, pid_t pid, double t0, struct bg_proc_result *res)
{
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	int status = 0, reaped = 0, sent_term = 0;
	double deadline = o->timeout_s > 0 ? t0 + o->timeout_s : 0, kill_at = 0;
	while (!reaped) {
		int ms = 200;
		double now = bg_now();
		if (deadline > 0 && !sent_term) {
			double left = deadline - now;
			if (left <= 0) {
				res->timed_out = 1;
			} else if (left * 1000 < ms) {
				ms = (int)(left * 1000) + 1;
			}
		}
		if (bg_interrupted(NULL))
			res->interrupted = 1;
		if ((res->timed_out || res->interrupted) && !sent_term) {
			kill_group(pid, SIGTERM);
			sent_term = 1;
			kill_at = now + 2.0; /* grace period, then SIGKILL */
		}
		if (sent_term && now >= kill_at)
			kill_group(pid, SIGKILL);
		reaped = wait_child(pid, pidfd, ms, &status);
		if (!reaped && o->tick)
			o->tick(o->tick_arg, bg_now() - t0);
	}
	/* anything the child left behind in its group goes too */
	kill(-pid, SIGKILL);
	if (pidfd >= 0)
		close(pidfd);
	return status;
}

/* How it ended: the exec failure the child reported, its exit status or signal. */
static void collect(int exec_fd, int status, struct bg_proc_result *res)
{
	ssize_t n = read(exec_fd, res->exec_error, sizeof(res->exec_error) - 1);
	close(exec_fd);
	if (n > 0)
		res->exec_error[n] = '\0';
	else
		res->exec_error[0] = '\0';
	if (WIFEXITED(status)) {
		res->exited = 1;
		res->exit_code = WEXITSTATUS(status);
	} else if (WIFSIGNALED(status)) {
		res->signaled = 1;
		res->signal = WTERMSIG(status);
	}
}

int bg_proc_run(const struct bg_proc_opts *o, struct bg_proc_result *res)
{
	memset(res, 0, sizeof(*res));
	if (!o->argv || !o->argv[0])
		return bg_error_set(BG_EINPUT, "empty command");
	double t0 = 0;
	pid_t pid = -1;
	int exec_fd = -1;
	int rc = spawn(o, &pid, &exec_fd, &t0);
	if (rc < 0)
		return rc;
	int status = supervise(o, pid, t0, res);
	res->wall_s = bg_now() - t0;
	collect(exec_fd, status, res);
	if (res->interrupted)
		return bg_error_set(BG_EINTR, "interrupted while running %s", o->argv[0]);
	return 0;
}

int bg_proc_ok(const struct bg_proc_result *r)
{
	return r->exited && r->exit_code == 0 && !r->timed_out && !r->interrupted &&
	       !r->exec_error[0];
}

void bg_proc_describe(const struct bg_proc_result *r, char *out, size_t size)
{
	if (r->exec_error[0])
		snprintf(out, size, "could not start (%s)", r->exec_error);
	else if (r->interrupted)
		snprintf(out, size, "interrupted after %.1f s", r->wall_s);
	else if (r->timed_out)
		snprintf(out, size, "timed out after %.1f s", r->wall_s);
	else if (r->signaled)
		snprintf(out, size, "killed by signal %d (%s)", r->signal, strsignal(r->signal));
	else if (r->exited)
		snprintf(out, size, "exit status %d", r->exit_code);
	else
		snprintf(out, size, "ended in an unknown way");
}

void bg_argv_format(char *const *argv, char *out, size_t size)
{
	struct bg_buf b = BG_BUF_INIT;
	for (char *const *a = argv; a && *a; a++) {
		if (a != argv)
			bg_buf_putc(&b, ' ');
		if (**a && !strpbrk(*a, " \t\n'\"\\$*?;&|<>()"))
			bg_buf_puts(&b, *a);
		else {
			bg_buf_putc(&b, '\'');
			for (const char *c = *a; *c; c++)
				if (*c == '\'')
					bg_buf_puts(&b, "'\\''");
				else
					bg_buf_putc(&b, *c);
			bg_buf_putc(&b, '\'');
		}
	}
	snprintf(out, size, "%s", bg_buf_cstr(&b));
	bg_buf_free(&b);
}
