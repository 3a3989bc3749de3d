/* Thread-local error messages for bitgate. */
#include "bg_error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static _Thread_local char bg_error_msg[1024];
static _Thread_local int bg_error_last_code;

const char *bg_error_last(void)
{
	return bg_error_msg;
}

int bg_error_code(void)
{
	return bg_error_last_code;
}

void bg_error_clear(void)
{
	bg_error_msg[0] = '\0';
	bg_error_last_code = 0;
}

int bg_error_set(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(bg_error_msg, sizeof(bg_error_msg), fmt, ap);
	va_end(ap);
	bg_error_last_code = code;
	return code;
}

int bg_error_wrap(const char *fmt, ...)
{
	char prefix[512], old[sizeof(bg_error_msg)];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, bg_error_msg, sizeof(old));
	size_t n = strlen(prefix);
	if (n > sizeof(bg_error_msg) - 3)
		n = sizeof(bg_error_msg) - 3;
	memcpy(bg_error_msg, prefix, n);
	memcpy(bg_error_msg + n, ": ", 2);
	size_t room = sizeof(bg_error_msg) - n - 3, m = strlen(old);
	if (m > room)
		m = room;
	memcpy(bg_error_msg + n + 2, old, m);
	bg_error_msg[n + 2 + m] = '\0';
	return bg_error_last_code;
}

int bg_error_oom(void)
{
	return bg_error_set(BG_ENOMEM, "out of memory");
}

int bg_error_exit_code(int err)
{
	switch (err) {
	case BG_OK:
		return BG_EXIT_OK;
	case BG_EINPUT:
	case BG_ENOTFOUND:
		return BG_EXIT_USAGE;
	default:
		return BG_EXIT_INFRA;
	}
}
