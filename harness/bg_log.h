/* What bitgate tells the person watching: log lines on stderr, and on a terminal one
 * progress line (commit i/n, stage, benchmark, elapsed) redrawn in place. Not on a terminal
 * (CI logs), only the log lines appear, one per stage. */
#ifndef BG_LOG_H
#define BG_LOG_H

/* quiet: errors only; verbose: also bg_log_verbose lines. */
void bg_log_init(int quiet, int verbose);

void bg_log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void bg_log_verbose(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void bg_log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void bg_log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Sets what every progress line starts with ("[2/5 1a2b3c4]"). */
void bg_progress_prefix(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Sets the progress line's fixed part ("[2/5 1a2b3c4] build"); the elapsed time of the
 * current commit and a detail are appended by bg_progress_tick. Terminal only. */
void bg_progress_stage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Starts the elapsed clock of a new unit of work (a commit). */
void bg_progress_start(void);

/* Redraws the line with a detail (e.g. the last line the benchmark printed); detail may be
 * NULL. Rate-limited; cheap to call often. */
void bg_progress_tick(const char *detail);

/* A bg_proc_opts tick: bg_progress_tick with the last line of the file at path (a running
 * child's output), so a long build step or bench run is visibly alive. */
void bg_progress_tick_file(void *path, double elapsed_s);

/* Clears the progress line (before printing tables to stdout on the same terminal). */
void bg_progress_clear(void);

#endif
