/* Growable buffers and the small helpers of bg_buf.h. */
#include "bg_buf.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bg_error.h"

int bg_buf_grow(struct bg_buf *b, size_t extra)
{
	size_t need = b->len + extra + 1;
	if (need <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap *= 2;
	char *p = realloc(b->ptr, cap);
	if (!p)
		return bg_error_oom();
	b->ptr = p;
	b->cap = cap;
	return 0;
}

int bg_buf_put(struct bg_buf *b, const void *data, size_t n)
{
	if (bg_buf_grow(b, n) < 0)
		return BG_ENOMEM;
	if (n)
		memcpy(b->ptr + b->len, data, n);
	b->len += n;
	b->ptr[b->len] = '\0';
	return 0;
}

int bg_buf_puts(struct bg_buf *b, const char *s)
{
	return bg_buf_put(b, s, strlen(s));
}

int bg_buf_putc(struct bg_buf *b, char c)
{
	return bg_buf_put(b, &c, 1);
}

int bg_buf_printf(struct bg_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return bg_error_set(BG_EINPUT, "bad format string");
	if (bg_buf_grow(b, (size_t)n) < 0)
		return BG_ENOMEM;
	va_start(ap, fmt);
	vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

const char *bg_buf_cstr(const struct bg_buf *b)
{
	return b->ptr ? b->ptr : "";
}

void bg_buf_clear(struct bg_buf *b)
{
	b->len = 0;
	if (b->ptr)
		b->ptr[0] = '\0';
}

void bg_buf_free(struct bg_buf *b)
{
	free(b->ptr);
	b->ptr = NULL;
	b->len = b->cap = 0;
}

char *bg_buf_detach(struct bg_buf *b)
{
	char *p = b->ptr ? b->ptr : calloc(1, 1);
	if (!p)
		bg_error_oom();
	b->ptr = NULL;
	b->len = b->cap = 0;
	return p;
}

int bg_strv_push(char ***v, size_t *n, const char *s)
{
	char *copy = bg_strdup(s);
	if (!copy)
		return BG_ENOMEM;
	char **nv = realloc(*v, (*n + 2) * sizeof(*nv));
	if (!nv) {
		free(copy);
		return bg_error_oom();
	}
	nv[*n] = copy;
	nv[*n + 1] = NULL;
	*v = nv;
	(*n)++;
	return 0;
}

int bg_grow(void **v, size_t *cap, size_t n, size_t elem, size_t first)
{
	if (n < *cap)
		return 0;
	size_t ncap = *cap ? *cap * 2 : (first ? first : 1);
	if (ncap < *cap || (elem && ncap > SIZE_MAX / elem))
		return bg_error_oom();
	void *p = realloc(*v, ncap * elem);
	if (!p)
		return bg_error_oom();
	*v = p;
	*cap = ncap;
	return 0;
}

void bg_strv_free(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

char *bg_strdup(const char *s)
{
	if (!s)
		return NULL;
	char *p = strdup(s);
	if (!p)
		bg_error_oom();
	return p;
}

int bg_parse_i64(const char *s, int64_t *out)
{
	if (!s || !*s)
		return BG_EINPUT;
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || *end)
		return BG_EINPUT;
	*out = v;
	return 0;
}

void bg_format_double(char *out, double v)
{
	char text[BG_DOUBLE_CHARS] = "";
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(text, sizeof(text), "%.*g", prec, v);
		if (!isfinite(v) || strtod(text, NULL) == v)
			break;
	}
	memcpy(out, text, sizeof(text)); /* a local buffer: gcc -fsanitize warns of out */
}

int bg_parse_double(const char *s, double *out)
{
	if (!s || !*s)
		return BG_EINPUT;
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || *end)
		return BG_EINPUT;
	*out = v;
	return 0;
}

double bg_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int64_t bg_unix_time(void)
{
	return (int64_t)time(NULL);
}

void bg_format_time(char *out, size_t size, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(out, size, "%Y-%m-%d %H:%M:%S", &tm);
}
