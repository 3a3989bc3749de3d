/* Log lines and the progress line (see bg_log.h). */
#include "bg_log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bg_buf.h"
#include "bg_fs.h"

static int log_quiet, log_verbose, is_tty = -1, line_shown;
static char line_prefix[128], stage[256];
static double started, last_draw;

void bg_log_init(int quiet, int verbose)
{
	log_quiet = quiet;
	log_verbose = verbose;
	is_tty = isatty(2);
}

static int tty(void)
{
	if (is_tty < 0)
		is_tty = isatty(2);
	return is_tty && !log_quiet;
}

void bg_progress_clear(void)
{
	if (line_shown) {
		fputs("\r\033[K", stderr);
		line_shown = 0;
	}
}

static void vlog(const char *prefix, const char *fmt, va_list ap)
{
	bg_progress_clear();
	fputs("bitgate: ", stderr);
	if (prefix)
		fputs(prefix, stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	fflush(stderr);
}

void bg_log_info(const char *fmt, ...)
{
	if (log_quiet)
		return;
	va_list ap;
	va_start(ap, fmt);
	vlog(NULL, fmt, ap);
	va_end(ap);
}

void bg_log_verbose(const char *fmt, ...)
{
	if (!log_verbose || log_quiet)
		return;
	va_list ap;
	va_start(ap, fmt);
	vlog(NULL, fmt, ap);
	va_end(ap);
}

void bg_log_warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog("warning: ", fmt, ap);
	va_end(ap);
}

void bg_log_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog("error: ", fmt, ap);
	va_end(ap);
}

void bg_progress_start(void)
{
	started = bg_now();
}

void bg_progress_prefix(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line_prefix, sizeof(line_prefix), fmt, ap);
	va_end(ap);
}

void bg_progress_stage(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(stage, sizeof(stage), fmt, ap);
	va_end(ap);
	if (!tty() && !log_quiet) {
		/* no terminal (a CI log): one plain line per stage instead of a redrawn one */
		fprintf(stderr, "bitgate: %s %s\n", line_prefix, stage);
		fflush(stderr);
		return;
	}
	last_draw = 0;
	bg_progress_tick(NULL);
}

void bg_progress_tick(const char *detail)
{
	if (!tty())
		return;
	double now = bg_now();
	if (detail && now - last_draw < 0.2)
		return;
	last_draw = now;
	char line[512];
	int n = snprintf(line, sizeof(line), "%s %s  %.1fs", line_prefix, stage, now - started);
	if (detail && *detail && n > 0 && (size_t)n < sizeof(line))
		snprintf(line + n, sizeof(line) - (size_t)n, "  %s", detail);
	/* keep it on one terminal line */
	line[100] = '\0';
	fprintf(stderr, "\r\033[K%s", line);
	fflush(stderr);
	line_shown = 1;
}

void bg_progress_tick_file(void *path, double elapsed_s)
{
	(void)elapsed_s;
	struct bg_buf tail = BG_BUF_INIT;
	const char *line = bg_fs_last_line(&tail, path, 512);
	bg_progress_tick(line && *line ? line : NULL);
	bg_buf_free(&tail);
}
