/* Makes gnuplot's SVG smaller without changing the picture at screen resolution: every path
 * of plain moves and lines is rewritten with coordinates to a tenth of a pixel, relative after
 * the first, with h and v where a line is straight; groups with nothing in them go, and so do
 * the definitions nothing refers to. Anything else is copied as it came, so an SVG of another
 * shape passes through unchanged. */
#include "site_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bg_buf.h"
#include "bg_error.h"

#define MAX_TENTHS 1e12 /* coordinates beyond +-1e11 px are left as they came */

/* One coordinate of a path in tenths of a pixel; 0 when s does not start with a number of
 * a sane size. *end: after it. */
static int read_tenths(const char *s, const char **end, long long *out)
{
	char *e;
	double v = strtod(s, &e);
	if (e == s || !isfinite(v) || fabs(v) * 10 > MAX_TENTHS)
		return 0;
	*out = llround(v * 10);
	*end = e;
	return 1;
}

/* t tenths as the shortest decimal ("-.5", "12", "3.4"), after a space unless it starts
 * with '-' or follows a command letter (first). */
static int put_tenths(struct bg_buf *b, long long t, int first)
{
	char num[32];
	long long a = t < 0 ? -t : t;
	int n = a >= 10 ? snprintf(num, sizeof(num), "%lld", a / 10) : 0;
	if (a % 10)
		n += snprintf(num + n, sizeof(num) - (size_t)n, ".%lld", a % 10);
	else if (a < 10)
		n = snprintf(num, sizeof(num), "0");
	if (t < 0)
		return bg_buf_putc(b, '-') || bg_buf_put(b, num, (size_t)n) ? BG_ENOMEM : 0;
	return (!first && bg_buf_putc(b, ' ')) || bg_buf_put(b, num, (size_t)n) ? BG_ENOMEM : 0;
}

/* Path data d[0, n) of only "M x,y" and "L x,y" (absolute, gnuplot's form) rewritten into
 * out; 0 when it holds anything else (out is then as it was), 1 when rewritten, BG_ENOMEM. */
static int compact_path(struct bg_buf *out, const char *d, size_t n)
{
	size_t mark = out->len;
	const char *p = d, *end = d + n;
	long long x = 0, y = 0;
	int first = 1, err = 0;
	while (!err) {
		while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
			p++;
		if (p == end)
			return first ? (out->len = mark, 0) : 1;
		char cmd = *p++;
		long long nx, ny;
		const char *q;
		if ((cmd != 'M' && cmd != 'L') || !read_tenths(p, &q, &nx) || *q != ',' ||
		    !read_tenths(q + 1, &p, &ny) || p > end || (first && cmd != 'M'))
			break;
		long long dx = nx - x, dy = ny - y;
		if (first)
			err = bg_buf_putc(out, 'M') || put_tenths(out, nx, 1) ||
			      put_tenths(out, ny, 0);
		else if (cmd == 'M')
			err = bg_buf_putc(out, 'm') || put_tenths(out, dx, 1) ||
			      put_tenths(out, dy, 0);
		else if (dx == 0) /* a zero-length line stays: its round caps draw a dot */
			err = bg_buf_putc(out, 'v') || put_tenths(out, dy, 1);
		else if (dy == 0)
			err = bg_buf_putc(out, 'h') || put_tenths(out, dx, 1);
		else
			err = bg_buf_putc(out, 'l') || put_tenths(out, dx, 1) ||
			      put_tenths(out, dy, 0);
		x = nx, y = ny, first = 0;
	}
	out->len = mark;
	if (out->ptr)
		out->ptr[mark] = '\0';
	return err ? BG_ENOMEM : 0;
}

/* The '>' that ends the tag at s (quoted values skipped), or NULL. */
static const char *tag_end(const char *s, const char *end)
{
	char quote = 0;
	for (; s < end; s++)
		if (quote)
			quote = *s == quote ? 0 : quote;
		else if (*s == '\'' || *s == '"')
			quote = *s;
		else if (*s == '>')
			return s;
	return NULL;
}

/* The length of an empty group at s ("<g ...>" then only white space and "</g>", and the
 * line break after it), 0 when s is not one. A group with an id is kept: something may
 * refer to it. */
static size_t empty_group(const char *s, const char *end)
{
	if (end - s < 7 || memcmp(s, "<g ", 3) != 0)
		return 0;
	const char *gt = tag_end(s, end);
	if (!gt || gt[-1] == '/' || memmem(s, (size_t)(gt - s), " id=", 4))
		return 0;
	const char *p = gt + 1;
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	if (end - p < 4 || memcmp(p, "</g>", 4) != 0)
		return 0;
	p += 4;
	return (size_t)(p - s) + (p < end && *p == '\n');
}

/* The tag [s, gt] into out, the path of its d attribute compacted. 0 or BG_ENOMEM. */
static int put_tag(struct bg_buf *out, const char *s, const char *gt)
{
	const char *copied = s;
	char quote = 0;
	for (const char *p = s; p < gt; p++) {
		if (quote) {
			quote = *p == quote ? 0 : quote;
			continue;
		}
		if (*p == '\'' || *p == '"')
			quote = *p;
		if ((*p != ' ' && *p != '\t' && *p != '\n') || gt - p < 5 || p[1] != 'd' ||
		    p[2] != '=' || (p[3] != '\'' && p[3] != '"'))
			continue;
		const char *close = memchr(p + 4, p[3], (size_t)(gt - p - 4));
		if (!close)
			break;
		if (bg_buf_put(out, copied, (size_t)(p + 4 - copied)) < 0)
			return BG_ENOMEM;
		int rc = compact_path(out, p + 4, (size_t)(close - p - 4));
		if (rc < 0)
			return rc;
		copied = rc ? close : p + 4;
		p = close;
	}
	return bg_buf_put(out, copied, (size_t)(gt + 1 - copied)) < 0 ? BG_ENOMEM : 0;
}

/* Where what starts at s ends when it is copied as it is: a comment or character data;
 * NULL when it is neither. */
static const char *verbatim_end(const char *s, const char *end)
{
	static const char *const kinds[][2] = {{"<!--", "-->"}, {"<![CDATA[", "]]>"}};
	for (size_t k = 0; k < 2; k++) {
		size_t n = strlen(kinds[k][0]);
		if ((size_t)(end - s) >= n && !memcmp(s, kinds[k][0], n)) {
			const char *e = memmem(s + n, (size_t)(end - s) - n, kinds[k][1],
					       strlen(kinds[k][1]));
			return e ? e + strlen(kinds[k][1]) : end;
		}
	}
	return NULL;
}

/* A child of <defs>: [start, end) with the white space before it and the line break after. */
struct def {
	const char *start, *end;
	const char *id; /* its id's value, idn bytes; NULL when it has none */
	size_t idn;
	int gone;
};

/* A reference "#name" followed by a quote or ')' (href='#x', url(#x)). */
struct ref {
	const char *at, *name;
	size_t n;
};

#define MAX_DEFS 64
#define MAX_REFS 4096

/* The value of the id attribute in [s, gt), or NULL. */
static const char *id_of(const char *s, const char *gt, size_t *n)
{
	const char *a = memmem(s, (size_t)(gt - s), " id=", 4);
	if (!a || gt - a < 6 || (a[4] != '\'' && a[4] != '"'))
		return NULL;
	const char *close = memchr(a + 5, a[4], (size_t)(gt - a - 5));
	*n = close ? (size_t)(close - a - 5) : 0;
	return close ? a + 5 : NULL;
}

/* The children of the <defs> in [s, end) into d; how many, or -1 for a shape not understood
 * (each child a tag that closes itself or a flat element closed by its name). */
static int defs_children(const char *s, const char *end, struct def *d)
{
	int n = 0;
	for (const char *p = s;;) {
		const char *lt = memchr(p, '<', (size_t)(end - p));
		if (!lt || lt[1] == '/')
			return n;
		const char *gt = tag_end(lt, end);
		if (!gt || n == MAX_DEFS)
			return -1;
		const char *close = gt + 1;
		if (gt[-1] != '/') { /* "<name ...>" ... "</name>" */
			size_t nl = strcspn(lt + 1, " \t\n>");
			char tail[40];
			if (nl + 4 > sizeof(tail))
				return -1;
			snprintf(tail, sizeof(tail), "</%.*s>", (int)nl, lt + 1);
			close = memmem(gt, (size_t)(end - gt), tail, strlen(tail));
			if (!close)
				return -1;
			close += strlen(tail);
		}
		d[n] = (struct def){p, close + (close < end && *close == '\n'), NULL, 0, 0};
		d[n].id = id_of(lt, gt, &d[n].idn);
		p = d[n++].end;
	}
}

/* Every reference in [s, end) into r; how many, or -1 when more than MAX_REFS. */
static int refs_in(const char *s, const char *end, struct ref *r)
{
	int n = 0;
	for (const char *p = s; (p = memchr(p, '#', (size_t)(end - p))); p++) {
		size_t k = strspn(p + 1, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
					 "0123456789_-.");
		if (!k || p + 1 + k >= end || !p[1 + k] || !strchr("'\")", p[1 + k]))
			continue;
		if (n == MAX_REFS)
			return -1;
		r[n++] = (struct ref){p, p + 1, k};
	}
	return n;
}

/* 1 when something outside d itself and outside the children gone refers to d. */
static int referred(const struct def *d, const struct def *all, int nd, const struct ref *r, int nr)
{
	for (int i = 0; i < nr; i++) {
		if (r[i].n != d->idn || memcmp(r[i].name, d->id, d->idn) != 0)
			continue;
		int inside = 0;
		for (int k = 0; k < nd && !inside; k++)
			inside = (all[k].gone || &all[k] == d) && r[i].at >= all[k].start &&
				 r[i].at < all[k].end;
		if (!inside)
			return 1;
	}
	return 0;
}

/* Leaves out of b the children of its <defs> that nothing refers to (gnuplot defines every
 * point symbol in every file). A <defs> of another shape is left as it is. 0 or BG_ENOMEM. */
static int prune_defs(struct bg_buf *b)
{
	const char *start = b->ptr ? memmem(b->ptr, b->len, "<defs>", 6) : NULL;
	const char *end =
		start ? memmem(start, b->len - (size_t)(start - b->ptr), "</defs>", 7) : NULL;
	struct def d[MAX_DEFS];
	int nd = end ? defs_children(start + 6, end, d) : -1;
	if (nd <= 0)
		return 0;
	struct ref *r = malloc(MAX_REFS * sizeof(*r));
	if (!r)
		return bg_error_oom();
	int nr = refs_in(b->ptr, b->ptr + b->len, r);
	for (int changed = nr >= 0; changed;) {
		changed = 0;
		for (int i = 0; i < nd; i++)
			if (!d[i].gone && d[i].id && !referred(&d[i], d, nd, r, nr))
				d[i].gone = changed = 1;
	}
	free(r);
	char *w = (char *)d[0].start; /* the children kept, moved down in place */
	for (int i = 0; i < nd; i++) {
		size_t n = (size_t)(d[i].end - d[i].start);
		if (!d[i].gone)
			memmove(w, d[i].start, n), w += n;
	}
	size_t rest = b->len - (size_t)(d[nd - 1].end - b->ptr);
	memmove(w, d[nd - 1].end, rest + 1); /* with the NUL */
	b->len = (size_t)(w - b->ptr) + rest;
	return 0;
}

int site_svg_compact(struct bg_buf *out, const char *svg, size_t len)
{
	const char *p = svg, *end = svg + len;
	bg_buf_clear(out);
	while (p < end) {
		const char *lt = memchr(p, '<', (size_t)(end - p));
		if (bg_buf_put(out, p, (size_t)((lt ? lt : end) - p)) < 0)
			return BG_ENOMEM;
		if (!lt)
			break;
		size_t skip = empty_group(lt, end);
		const char *v = skip ? NULL : verbatim_end(lt, end);
		const char *gt = skip || v ? NULL : tag_end(lt, end);
		if (skip)
			p = lt + skip;
		else if (v || !gt) {
			v = v ? v : end;
			if (bg_buf_put(out, lt, (size_t)(v - lt)) < 0)
				return BG_ENOMEM;
			p = v;
		} else {
			int rc = put_tag(out, lt, gt);
			if (rc < 0)
				return rc;
			p = gt + 1;
		}
	}
	return prune_defs(out);
}
