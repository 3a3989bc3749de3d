/* Running other programs: fork/execvp with an argv (never a shell), environment additions,
 * a working directory, stdout and stderr captured to files, optional CPU pinning, and a
 * wall-clock timeout that kills the whole process group. SIGINT and SIGTERM sent to bitgate
 * stop the child's group too and are reported as an interruption. */
#ifndef BG_PROC_H
#define BG_PROC_H

#include <stddef.h>

struct bg_proc_opts {
	char *const *argv;         /* NULL-terminated; argv[0] is looked up in PATH */
	char *const *env;          /* "KEY=value" additions/overrides, NULL-terminated; may be NULL */
	const char *cwd;           /* NULL: inherit */
	const char *stdout_path;   /* file to capture stdout (truncated); NULL: /dev/null */
	const char *stderr_path;   /* file for stderr; the same path as stdout merges them */
	double timeout_s;          /* 0: no limit */
	int pin_cpu;               /* CPU to pin the child to; -1: no pinning */
	/* Called about every 200 ms while the child runs (progress display); may be NULL. */
	void (*tick)(void *arg, double elapsed_s);
	void *tick_arg;
};

struct bg_proc_result {
	int exited;      /* 1 when it exited normally */
	int exit_code;   /* its status when exited (127: could not be started) */
	int signaled;    /* 1 when a signal killed it */
	int signal;      /* that signal */
	int timed_out;   /* 1 when bitgate killed it at the timeout */
	int interrupted; /* 1 when bitgate was interrupted (SIGINT/SIGTERM) and killed it */
	double wall_s;   /* wall-clock seconds */
	char exec_error[256]; /* why exec failed ("" when it started) */
};

/* Runs a process to completion. Returns 0 when the outcome is in *res (whatever it was),
 * BG_EINFRA when the process could not be created (fork, pipe, output files), BG_EINTR when
 * bitgate was interrupted (res->interrupted set). */
int bg_proc_run(const struct bg_proc_opts *opts, struct bg_proc_result *res);

/* 1 when the process exited with status 0 and was not killed. */
int bg_proc_ok(const struct bg_proc_result *res);

/* "exit status 1", "killed by signal 11 (Segmentation fault)", "timed out after 5.0 s",
 * "could not start: No such file or directory". */
void bg_proc_describe(const struct bg_proc_result *res, char *out, size_t size);

/* Installs SIGINT/SIGTERM handlers that set the interruption flag (no SA_RESTART, so
 * blocking waits return), and ignores SIGPIPE. */
void bg_signals_install(void);

/* 1 once SIGINT or SIGTERM arrived; which one in *sig when not NULL. */
int bg_interrupted(int *sig);

/* Makes "a b 'c d'" from an argv, for logs and reports (not for execution). */
void bg_argv_format(char *const *argv, char *out, size_t size);

#endif
