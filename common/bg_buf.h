/* A growable byte buffer, always NUL-terminated once anything is in it, and the small
 * helpers everything in bitgate uses: strings, numbers, time, string vectors, growing
 * arrays and counting them. */
#ifndef BG_BUF_H
#define BG_BUF_H

#include <stddef.h>
#include <stdint.h>

struct bg_buf {
	char *ptr;  /* the bytes followed by a NUL; NULL until the first write */
	size_t len; /* bytes in use, not counting the NUL */
	size_t cap; /* bytes allocated */
};

#define BG_BUF_INIT {NULL, 0, 0}

/* Each returns 0 or BG_ENOMEM. */
int bg_buf_grow(struct bg_buf *b, size_t extra);
int bg_buf_put(struct bg_buf *b, const void *data, size_t n);
int bg_buf_puts(struct bg_buf *b, const char *s);
int bg_buf_putc(struct bg_buf *b, char c);
int bg_buf_printf(struct bg_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The contents as a C string ("" when empty). Borrowed. */
const char *bg_buf_cstr(const struct bg_buf *b);

/* Empties the buffer and keeps its memory. */
void bg_buf_clear(struct bg_buf *b);

/* Frees the memory and resets to BG_BUF_INIT. */
void bg_buf_free(struct bg_buf *b);

/* Hands the string to the caller (free() it; never NULL unless out of memory) and resets
 * the buffer. */
char *bg_buf_detach(struct bg_buf *b);

/* Appends a copy of s to a NULL-terminated string vector of *n entries (*v may be NULL). */
int bg_strv_push(char ***v, size_t *n, const char *s);

/* Room for one more element in the array *v of *cap elements of size elem, n of them in
 * use: when full, *cap doubles (from first, at least 1, when it is 0). 0, or BG_ENOMEM when
 * memory or the size_t range runs out (*v unchanged). */
int bg_grow(void **v, size_t *cap, size_t n, size_t elem, size_t first);

/* The number of elements of an array (not a pointer). */
#define BG_COUNTOF(a) (sizeof(a) / sizeof((a)[0]))

/* Frees a NULL-terminated string vector and its strings; NULL is allowed. */
void bg_strv_free(char **v);

/* strdup that sets BG_ENOMEM's message on failure; NULL in gives NULL out. */
char *bg_strdup(const char *s);

/* Parses a whole decimal integer or number; 0 or BG_EINPUT (no message set). */
int bg_parse_i64(const char *s, int64_t *out);
int bg_parse_double(const char *s, double *out);

/* The room bg_format_double needs. */
#define BG_DOUBLE_CHARS 32

/* v as the shortest decimal, of 15 to 17 significant digits, that reads back (strtod) as
 * the same double: every stored sample written out exactly. NaN and infinities as printf
 * writes them ("nan", "inf"); callers writing JSON check isfinite first. */
void bg_format_double(char *out /* BG_DOUBLE_CHARS bytes */, double v);

/* Monotonic seconds, for durations. */
double bg_now(void);

/* Wall-clock Unix time in seconds. */
int64_t bg_unix_time(void);

/* Formats a Unix time as "2026-11-24 13:05:09" (UTC) into out (20 bytes at least). */
void bg_format_time(char *out, size_t size, int64_t t);

#endif
