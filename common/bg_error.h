/* bitgate errors: functions return 0 or a negative BG_E* code; the message, one line that
 * says what failed and on which input, stays in thread-local state for bg_error_last().
 * The code decides bitgate's exit status (bg_error_exit_code). */
#ifndef BG_ERROR_H
#define BG_ERROR_H

enum bg_error_code {
	BG_OK = 0,
	BG_EINPUT = -1,    /* usage or bad input: malformed config or data file (exit 2) */
	BG_ENOTFOUND = -2, /* a named thing does not exist: revision, run, file (exit 2) */
	BG_EINFRA = -3,    /* build failed, process crashed or timed out, I/O failed (exit 3) */
	BG_EDB = -4,       /* the database is unusable (exit 3) */
	BG_ENOMEM = -5,    /* allocation failed (exit 3) */
	BG_EINTR = -6,     /* interrupted by SIGINT or SIGTERM (exit 3) */
};

/* Process exit statuses, the contract of DESIGN.md. */
enum bg_exit {
	BG_EXIT_OK = 0,
	BG_EXIT_GATE = 1,
	BG_EXIT_USAGE = 2,
	BG_EXIT_INFRA = 3,
};

/* The message of the last error on this thread ("" if none). Borrowed; valid until the
 * next bg_error_set on this thread. */
const char *bg_error_last(void);

/* The code passed to the last bg_error_set on this thread (0 if none). */
int bg_error_code(void);

/* Sets the thread's message and returns code, so callers can `return bg_error_set(...)`. */
int bg_error_set(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prepends "context: " to the current message and returns the current code. */
int bg_error_wrap(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Out of memory: sets the message and returns BG_ENOMEM. */
int bg_error_oom(void);

void bg_error_clear(void);

/* The exit status for an error code (BG_EXIT_USAGE or BG_EXIT_INFRA; 0 for 0). */
int bg_error_exit_code(int err);

#endif
