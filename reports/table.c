/* Terminal tables (see bg_table.h). */
#include "bg_table.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "bg_buf.h"
#include "bg_error.h"

struct bg_table {
	size_t ncols;
	char **cells; /* row-major, header row first */
	size_t n, cap;
	enum bg_align *align;
};

int bg_table_new(struct bg_table **out, const char *const *headers)
{
	struct bg_table *t = calloc(1, sizeof(*t));
	if (!t)
		return bg_error_oom();
	while (headers[t->ncols])
		t->ncols++;
	t->align = calloc(t->ncols ? t->ncols : 1, sizeof(*t->align));
	if (!t->align) {
		free(t);
		return bg_error_oom();
	}
	for (size_t i = 0; i < t->ncols; i++)
		if (bg_table_cell(t, headers[i]) < 0) {
			bg_table_free(t);
			return BG_ENOMEM;
		}
	*out = t;
	return 0;
}

void bg_table_free(struct bg_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t->align);
	free(t);
}

void bg_table_align(struct bg_table *t, size_t col, enum bg_align a)
{
	if (col < t->ncols)
		t->align[col] = a;
}

int bg_table_cell(struct bg_table *t, const char *text)
{
	if (bg_grow((void **)&t->cells, &t->cap, t->n, sizeof(*t->cells), 64) < 0)
		return BG_ENOMEM;
	char *s = bg_strdup(text ? text : "");
	if (!s)
		return BG_ENOMEM;
	/* one line per cell: newlines and tabs would break the layout */
	for (char *p = s; *p; p++)
		if (*p == '\n' || *p == '\t' || *p == '\r')
			*p = ' ';
	t->cells[t->n++] = s;
	return 0;
}

int bg_table_cellf(struct bg_table *t, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return bg_table_cell(t, buf);
}

/* Display width in columns, counting UTF-8 continuation bytes as nothing. */
static size_t width(const char *s)
{
	size_t w = 0;
	for (; *s; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			w++;
	return w;
}

void bg_table_print(const struct bg_table *t, FILE *out)
{
	size_t rows = (t->n + t->ncols - 1) / t->ncols;
	size_t *w = calloc(t->ncols, sizeof(*w));
	if (!w)
		return;
	for (size_t i = 0; i < t->n; i++) {
		size_t cw = width(t->cells[i]);
		if (cw > w[i % t->ncols])
			w[i % t->ncols] = cw;
	}
	for (size_t r = 0; r < rows; r++) {
		for (size_t c = 0; c < t->ncols; c++) {
			size_t i = r * t->ncols + c;
			const char *s = i < t->n ? t->cells[i] : "";
			size_t pad = w[c] - width(s);
			int last = c + 1 == t->ncols;
			if (t->align[c] == BG_RIGHT)
				fprintf(out, "%*s%s", (int)pad, "", s);
			else
				fprintf(out, "%s%*s", s, last ? 0 : (int)pad, "");
			if (!last)
				fputs("  ", out);
		}
		fputc('\n', out);
		if (r == 0) {
			size_t total = 0;
			for (size_t c = 0; c < t->ncols; c++)
				total += w[c] + (c + 1 < t->ncols ? 2 : 0);
			for (size_t k = 0; k < total; k++)
				fputc('-', out);
			fputc('\n', out);
		}
	}
	if (rows <= 1)
		fputs("(none)\n", out);
	free(w);
}

void bg_fmt_ns(char *out, size_t size, double ns)
{
	if (ns != ns)
		snprintf(out, size, "-");
	else if (ns < 1e3)
		snprintf(out, size, "%.1f ns", ns);
	else if (ns < 1e6)
		snprintf(out, size, "%.2f us", ns / 1e3);
	else if (ns < 1e9)
		snprintf(out, size, "%.2f ms", ns / 1e6);
	else
		snprintf(out, size, "%.2f s", ns / 1e9);
}

void bg_fmt_bytes(char *out, size_t size, double b)
{
	if (b < 1024)
		snprintf(out, size, "%.0f B", b);
	else if (b < 1024.0 * 1024)
		snprintf(out, size, "%.1f KiB", b / 1024);
	else if (b < 1024.0 * 1024 * 1024)
		snprintf(out, size, "%.1f MiB", b / (1024.0 * 1024));
	else
		snprintf(out, size, "%.2f GiB", b / (1024.0 * 1024 * 1024));
}
