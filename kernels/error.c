/* Thread-local error messages for libbitnet. */
#include "bn_error.h"

#include <stdarg.h>
#include <stdio.h>

static _Thread_local char bn_error_msg[512];

const char *bn_error_last(void)
{
	return bn_error_msg;
}

void bn_error_clear(void)
{
	bn_error_msg[0] = '\0';
}

int bn_error_set(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(bn_error_msg, sizeof(bn_error_msg), fmt, ap);
	va_end(ap);
	return code;
}
