/* gnuplot plots for the dashboard and the comparison chart (bg_site.h, site_int.h): one data
 * file per series and one script holding every plot, run by a single gnuplot process (argv,
 * no shell, a timeout). gnuplot writes each image under a ".part" name that is renamed into
 * place only once the image is complete, so a failed run never leaves a half-drawn plot. */
#include "report_int.h"
#include "site_int.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bg_buf.h"
#include "bg_error.h"
#include "bg_fs.h"
#include "bg_proc.h"
#include "bg_stats.h"

#define DEFAULT_TIMEOUT_S 300.0
#define LARGE_W 960
#define LARGE_H 480
#define THUMB_W 320
#define THUMB_H 140
#define MAX_TICS 40  /* commit labels on a large plot: about what 960 px hold rotated */
#define MAX_LABEL 48 /* characters of a benchmark name on the comparison chart */
/* Pixel columns of the large plot's drawing area (LARGE_W less the margins, rounded up).
 * A series with more samples than MERGE_MIN is drawn column by column: the samples of the
 * commits that land on one column are merged into their min, quartiles and max, so the SVG
 * grows with the plot's width, not with the history (1,000 commits x 10 samples: 10,000
 * dots of about 100 bytes each otherwise). */
#define LARGE_COLS 800
#define MERGE_MIN 2000
#define THUMB_COLS 290 /* likewise for the thumbnail's medians */
/* A merged plot's dot as a line of this fraction of the y range: about a seventh of a pixel
 * on the plot's 290 px, so gnuplot draws it (it drops a line of no length) and its round
 * caps make it a dot. */
#define DOT_LENGTH 5e-4

/* What a tic label keeps of a date: ISO dates and times, month names. */
#define DATE_CHARS "0123456789:+./ -abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

#define COLOR_SAMPLE "#601f77b4" /* gnuplot's #AARRGGBB: translucent, so dense runs show */
#define COLOR_SPREAD "#a01f77b4" /* a merged column's min to max */
#define COLOR_IQR "#401f77b4"    /* its quartiles, over the spread: darker where they are */
#define COLOR_MEDIAN "#e36209"
#define COLOR_OUTLIER "#8250df"
#define COLOR_BASE "#0969da"
#define COLOR_HEAD "#cf222e"

/* A change point's look by state, indexed by site_state: a regression detected (still
 * open), acknowledged or fixed; an improvement; a neutral change (its spread, or a shift
 * below the threshold). */
static const struct {
	const char *name;
	const char *color;
	int dash; /* gnuplot dashtype: 1 solid, 2 dashed, 3 dotted, 4 dash-dot, 5 dash-dot-dot */
} change_styles[] = {
	{"detected", "#d1242f", 1},
	{"acknowledged", "#6e7781", 2},
	{"fixed", "#1a7f37", 3},
	{"improvement", "#0969da", 4},
	{"neutral", "#8c959f", 5},
};
#define N_CHANGE_STYLES BG_COUNTOF(change_styles)
_Static_assert(N_CHANGE_STYLES == SITE_N_STATES, "one look per state of site_state");

int site_state(const char *state)
{
	for (int k = 1; k < (int)N_CHANGE_STYLES; k++)
		if (state && !strcmp(state, change_styles[k].name))
			return k;
	return 0;
}

/* 1 when name is an executable file: a path as given, a bare name searched in PATH as
 * execvp would (an empty PATH entry is the current directory). */
static int program_found(const char *name)
{
	struct stat st;
	if (!*name)
		return 0;
	if (strchr(name, '/'))
		return stat(name, &st) == 0 && S_ISREG(st.st_mode) && access(name, X_OK) == 0;
	const char *path = getenv("PATH");
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	struct bg_buf p = BG_BUF_INIT;
	int found = 0;
	for (;;) {
		const char *end = strchr(path, ':');
		size_t n = end ? (size_t)(end - path) : strlen(path);
		bg_buf_clear(&p);
		if (bg_buf_put(&p, n ? path : ".", n ? n : 1) == 0 && bg_buf_putc(&p, '/') == 0 &&
		    bg_buf_puts(&p, name) == 0)
			found = stat(p.ptr, &st) == 0 && S_ISREG(st.st_mode) &&
				access(p.ptr, X_OK) == 0;
		if (found || !end)
			break;
		path = end + 1;
	}
	bg_buf_free(&p);
	return found;
}

/* Appends text as a gnuplot string expression of single-quoted pieces. Inside single quotes
 * gnuplot expands nothing (no `command` substitution, no @macros, no backslash escapes);
 * its tokenizer mishandles a doubled quote next to another, so a quote is joined on as
 * . "'" . instead (the double-quoted piece holds nothing else). Controls become spaces and
 * malformed UTF-8 U+FFFD so the SVG stays well-formed (the svg terminal escapes & and <
 * itself); at most max_chars characters, an ellipsis marking a cut. */
static int gp_quote(struct bg_buf *b, const char *text, size_t max_chars)
{
	const unsigned char *s = (const unsigned char *)(text ? text : "");
	int err = bg_buf_putc(b, '\'');
	for (size_t chars = 0; *s && !err; chars++) {
		if (chars == max_chars) {
			err = bg_buf_puts(b, "\xE2\x80\xA6"); /* U+2026 */
			break;
		}
		uint32_t cp;
		size_t n = bg_utf8_seq(s, SIZE_MAX, &cp);
		if (n == 0 || (n > 1 && bg_invisible_control(cp)))
			err = bg_buf_puts(b, "\xEF\xBF\xBD");
		else if (n == 1 && (cp < ' ' || cp == 0x7F))
			err = bg_buf_putc(b, ' ');
		else if (n == 1 && cp == '\'')
			err = bg_buf_puts(b, "' . \"'\" . '");
		else
			err = bg_buf_put(b, s, n);
		s += n ? n : 1;
	}
	return err || bg_buf_putc(b, '\'') ? BG_ENOMEM : 0;
}

/* Appends the characters of s that are in keep, at most max of them. */
static int put_filtered(struct bg_buf *b, const char *s, const char *keep, size_t max)
{
	for (size_t n = 0; s && *s && n < max; s++)
		if (strchr(keep, *s)) {
			if (bg_buf_putc(b, *s) < 0)
				return BG_ENOMEM;
			n++;
		}
	return 0;
}

/* "x y\n" into a data file; numbers in the C locale (bitgate never calls setlocale). */
static int put_xy(struct bg_buf *b, double x, double y)
{
	if (bg_buf_grow(b, 64) < 0)
		return BG_ENOMEM;
	int n = snprintf(b->ptr + b->len, 64, "%.10g %.7g\n", x, y);
	b->len += (size_t)n;
	return 0;
}

/* Ends a data block (index n of the file); an empty block gets one undefined point so the
 * indexes of the blocks after it stay put. */
static int end_block(struct bg_buf *b, size_t rows)
{
	return bg_buf_puts(b, rows ? "\n\n" : "0 NaN\n\n\n");
}

static long add_out(struct site_plot_batch *b, const char *final, int png)
{
	if (bg_grow((void **)&b->outs, &b->cap_outs, b->n_outs, sizeof(*b->outs), 64) < 0)
		return BG_ENOMEM;
	struct site_plot_out *o = &b->outs[b->n_outs];
	memset(o, 0, sizeof(*o));
	o->png = png;
	o->final = bg_strdup(final);
	size_t n = strlen(final);
	o->part = malloc(n + 6);
	if (!o->final || !o->part) {
		free(o->final);
		free(o->part);
		return bg_error_oom();
	}
	memcpy(o->part, final, n);
	memcpy(o->part + n, ".part", 6);
	return (long)b->n_outs++;
}

/* The ".png" sibling of an ".svg" name (or the name with ".png" appended). */
static int png_name(struct bg_buf *out, const char *svg)
{
	size_t n = strlen(svg);
	if (n > 4 && !strcmp(svg + n - 4, ".svg"))
		n -= 4;
	bg_buf_clear(out);
	return bg_buf_put(out, svg, n) || bg_buf_puts(out, ".png") ? BG_ENOMEM : 0;
}

/* Registers an SVG and, when PNGs are asked for, its PNG sibling. */
static int add_plot(struct site_plot_batch *b, const char *svg, struct site_plot_ids *ids)
{
	ids->svg = ids->png = -1;
	long id = add_out(b, svg, 0);
	if (id < 0)
		return (int)id;
	ids->svg = id;
	if (b->png) {
		struct bg_buf name = BG_BUF_INIT;
		int rc = png_name(&name, svg);
		id = rc < 0 ? rc : add_out(b, name.ptr, 1);
		bg_buf_free(&name);
		if (id < 0)
			return (int)id;
		ids->png = id;
	}
	return 0;
}

/* Opens a plot in the script: a clean state, the SVG terminal and its output. A merged plot
 * has round line caps: its dots are lines of (almost) no length, all in one path. */
static int begin_plot(struct site_plot_batch *b, const struct site_plot_ids *ids, int w, int h,
		      int font)
{
	struct bg_buf *s = &b->script;
	return bg_buf_printf(s,
			     "reset\nset encoding utf8\nset terminal svg size %d,%d noenhanced%s "
			     "font 'sans,%d' background '#ffffff'\nset output ",
			     w, h, ids->merged ? " rounded" : "", font) ||
			       gp_quote(s, b->outs[ids->svg].part, SIZE_MAX) ||
			       bg_buf_puts(
				       s,
				       "\nset border 3 lc rgb '#57606a'\nset tics nomirror out\n")
		       ? BG_ENOMEM
		       : 0;
}

/* Closes a plot: the PNG copy when asked for (pngcairo where gnuplot has it). */
static int end_plot(struct site_plot_batch *b, const struct site_plot_ids *ids, int w, int h,
		    int font)
{
	struct bg_buf *s = &b->script;
	if (ids->png < 0)
		return 0;
	return bg_buf_printf(s,
			     "set terminal @bg_png size %d,%d noenhanced%s font 'sans,%d' "
			     "background '#ffffff'\nset output ",
			     w, h, ids->merged ? " rounded" : "", font) ||
			       gp_quote(s, b->outs[ids->png].part, SIZE_MAX) ||
			       bg_buf_puts(s, "\nreplot\n")
		       ? BG_ENOMEM
		       : 0;
}

/* Writes the scratch data buffer to work/name; its path in the script is work/name. */
static int write_data(struct site_plot_batch *b, const char *name)
{
	int rc = bg_buf_printf(&b->path, "%s/%s/%s", b->dir, b->work, name);
	if (rc == 0)
		rc = bg_fs_write(b->path.ptr, bg_buf_cstr(&b->data), b->data.len);
	bg_buf_clear(&b->path);
	return rc;
}

int site_plot_open(struct site_plot_batch *b, const char *dir, const struct bg_site_opts *o)
{
	memset(b, 0, sizeof(*b));
	b->dir = dir;
	b->gnuplot = o && o->gnuplot && *o->gnuplot ? o->gnuplot : "gnuplot";
	b->png = o && o->png;
	b->timeout_s = o && o->timeout_s > 0 ? o->timeout_s : DEFAULT_TIMEOUT_S;
	if (!program_found(b->gnuplot)) {
		b->missing = 1;
		snprintf(b->note, sizeof(b->note), "plot not rendered: gnuplot not found");
		snprintf(b->error, sizeof(b->error),
			 "gnuplot not found: '%s' is not an executable file%s; install gnuplot "
			 "(Debian: gnuplot-nox) or name the program in the gnuplot option",
			 b->gnuplot, strchr(b->gnuplot, '/') ? "" : " on PATH");
		return 0;
	}
	if (bg_buf_printf(&b->path, "%s/.bg-plot-XXXXXX", dir) < 0)
		return BG_ENOMEM;
	if (!mkdtemp(b->path.ptr)) {
		int rc = bg_error_set(BG_EINFRA, "%s: cannot make a directory for plot data: %s",
				      dir, strerror(errno));
		bg_buf_clear(&b->path);
		return rc;
	}
	b->work = bg_strdup(strrchr(b->path.ptr, '/') + 1);
	bg_buf_clear(&b->path);
	if (!b->work)
		return BG_ENOMEM;
	/* one script for every plot: PNGs through cairo when this gnuplot has it */
	return bg_buf_puts(
		&b->script,
		"# bitgate: every plot of one run, made by one gnuplot process\n"
		"bg_png = strstrt(GPVAL_TERMINALS, 'pngcairo') > 0 ? 'pngcairo' : 'png'\n");
}

void site_plot_range(const double *vals, size_t nv, double med_lo, double med_hi, double *lo,
		     double *hi)
{
	double core_lo = med_lo, core_hi = med_hi, all_lo = med_lo, all_hi = med_hi;
	if (nv) {
		double q01 = vals[(size_t)(0.01 * (double)(nv - 1))];
		double q99 = vals[(size_t)ceil(0.99 * (double)(nv - 1))];
		core_lo = isfinite(med_lo) ? fmin(q01, med_lo) : q01;
		core_hi = isfinite(med_hi) ? fmax(q99, med_hi) : q99;
		all_lo = fmin(vals[0], core_lo);
		all_hi = fmax(vals[nv - 1], core_hi);
	}
	double w = core_hi - core_lo;
	if (!(w > 0) || !isfinite(w))
		w = fabs(core_hi) > 0 && isfinite(core_hi) ? fabs(core_hi) * 0.02 : 1;
	*lo = fmax(all_lo, core_lo - 0.5 * w);
	*hi = fmin(all_hi, core_hi + 0.5 * w);
	double pad = *hi > *lo ? 0.04 * (*hi - *lo) : 0.5 * w;
	*lo -= pad;
	*hi += pad;
}

/* Change points as vertical lines between the two commits, with their size at the top when
 * labels is set; present[state] is set for each style used, for the key. */
static int put_changes(struct bg_buf *s, const struct bg_site_series *ser, int labels,
		       int present[N_CHANGE_STYLES])
{
	int err = 0;
	for (size_t i = 0; i < ser->n_changes && !err; i++) {
		const struct bg_site_change *c = &ser->changes[i];
		int st = site_state(c->state);
		double x = (double)c->index - 0.5;
		present[st] = 1;
		err = bg_buf_printf(s,
				    "set arrow %zu from first %.1f, graph 0 to first %.1f, graph 1 "
				    "nohead front lw %s lc rgb '%s' dt %d\n",
				    i + 1, x, x, labels ? "1.5" : "1", change_styles[st].color,
				    change_styles[st].dash);
		if (!err && labels && isfinite(c->rel)) {
			char pct[32];
			bg_fmt_pct(pct, sizeof(pct), c->rel, c->rel, 1, "?");
			err = bg_buf_printf(s,
					    "set label %zu '%s' at first %.1f, graph 1 offset "
					    "character 0.3,-0.8 left font ',8' tc rgb '%s' front\n",
					    i + 1, pct, x, change_styles[st].color);
		}
	}
	return err ? BG_ENOMEM : 0;
}

/* Where a value falls against the y range [lo, hi]: 0 inside, 1 above, 2 below. */
static int where_of(double v, double lo, double hi)
{
	return v > hi ? 1 : v < lo ? 2 : 0;
}

/* The y a value is drawn at: itself inside the range, else just inside the edge it is
 * beyond (edge: the distance from the border). */
static double drawn_at(double v, int where, double lo, double hi, double edge)
{
	return where == 0 ? v : where == 1 ? hi - edge : lo + edge;
}

/* What the two plots of a series are drawn from. */
struct series_plot {
	const struct bg_site_series *ser;
	size_t n_med;          /* points with a finite median */
	double med_lo, med_hi; /* their range (INFINITY, -INFINITY when none) */
	double *vals;          /* the finite samples, sorted once the plots are wanted */
	size_t nv;
	double lo, hi;      /* the large plot's y range */
	int merged;         /* 1: samples merged per pixel column (nv > MERGE_MIN) */
	size_t rows[6];     /* rows of each data block (see series_data) */
	struct bg_buf outliers; /* a merged series' block 4 (see merged_column) */
	struct bg_buf file; /* the data file as the script names it */
};

/* The medians' range and the finite samples of a series into sp. 0 or BG_ENOMEM. */
static int series_values(struct series_plot *sp)
{
	const struct bg_site_series *ser = sp->ser;
	size_t total = 0;
	sp->med_lo = INFINITY, sp->med_hi = -INFINITY;
	for (size_t i = 0; i < ser->n_points; i++) {
		const struct bg_site_point *p = &ser->points[i];
		total += p->samples ? p->n : 0;
		if (isfinite(p->median)) {
			sp->n_med++;
			sp->med_lo = fmin(sp->med_lo, p->median);
			sp->med_hi = fmax(sp->med_hi, p->median);
		}
	}
	sp->vals = total ? malloc(total * sizeof(*sp->vals)) : NULL;
	if (total && !sp->vals)
		return bg_error_oom();
	for (size_t i = 0; i < ser->n_points; i++) {
		const struct bg_site_point *p = &ser->points[i];
		for (size_t k = 0; p->samples && k < p->n; k++)
			if (isfinite(p->samples[k]))
				sp->vals[sp->nv++] = p->samples[k];
	}
	return 0;
}

/* The pixel column commit i of n lands on, of cols. */
static size_t column_of(size_t i, size_t n, size_t cols)
{
	return (size_t)(((double)i + 0.5) / (double)n * (double)cols);
}

/* Block 5 of a merged series: the medians of the commits on one thumbnail column merged
 * into their lowest and highest, in the order they came, so the thumbnail's line covers
 * what it would at that size. */
static int thumb_medians(struct series_plot *sp, struct bg_buf *d)
{
	const struct bg_site_series *ser = sp->ser;
	int rc = 0;
	for (size_t i0 = 0, i1; i0 < ser->n_points && rc == 0; i0 = i1) {
		size_t col = column_of(i0, ser->n_points, THUMB_COLS), lo = SIZE_MAX, hi = SIZE_MAX;
		for (i1 = i0; i1 < ser->n_points && column_of(i1, ser->n_points, THUMB_COLS) == col;
		     i1++) {
			double m = ser->points[i1].median;
			if (!isfinite(m))
				continue;
			lo = lo == SIZE_MAX || m < ser->points[lo].median ? i1 : lo;
			hi = hi == SIZE_MAX || m > ser->points[hi].median ? i1 : hi;
		}
		if (lo == SIZE_MAX)
			continue;
		size_t first = lo < hi ? lo : hi, second = lo < hi ? hi : lo;
		sp->rows[5]++;
		rc = put_xy(d, (double)first, ser->points[first].median);
		if (rc == 0 && second != first)
			rc = put_xy(d, (double)second, ser->points[second].median);
	}
	return rc ? rc : end_block(d, sp->rows[5]);
}

/* A sample of a merged column beyond its whiskers, drawn as it would be unmerged: a dot
 * in block 4, or a mark at the edge in block 1 (above the range) or 2 (below). */
static int merged_outlier(struct series_plot *sp, struct bg_buf blk[3], double x, double v)
{
	int w = where_of(v, sp->lo, sp->hi);
	sp->rows[w ? w : 4]++;
	return put_xy(w ? &blk[w] : &sp->outliers, x,
		      drawn_at(v, w, sp->lo, sp->hi, 0.012 * (sp->hi - sp->lo)));
}

/* One merged column: the finite samples of commits [i0, i1) (into scratch, sorted) as
 * "x wlo whi q1 q3" in block 0, with x their mean commit: the quartiles, and whiskers to
 * the last samples within 1.5 IQR of them (Tukey), each clipped to the range; the samples
 * beyond the whiskers one by one (merged_outlier), as the unmerged plot shows them. */
static int merged_column(struct series_plot *sp, struct bg_buf blk[3], double *scratch, size_t i0,
			 size_t i1)
{
	const struct bg_site_series *ser = sp->ser;
	size_t k = 0;
	for (size_t i = i0; i < i1; i++)
		for (size_t j = 0; ser->points[i].samples && j < ser->points[i].n; j++)
			if (isfinite(ser->points[i].samples[j]))
				scratch[k++] = ser->points[i].samples[j];
	if (!k)
		return 0;
	qsort(scratch, k, sizeof(*scratch), bg_stats_cmp_double);
	double x = 0.5 * (double)(i0 + i1 - 1), edge = 0.012 * (sp->hi - sp->lo);
	double q1 = bg_stats_quantile(scratch, k, 0.25), q3 = bg_stats_quantile(scratch, k, 0.75);
	double lo_fence = q1 - 1.5 * (q3 - q1), hi_fence = q3 + 1.5 * (q3 - q1);
	size_t a = 0, b = k; /* the samples within the fences: [a, b) */
	while (scratch[a] < lo_fence)
		a++;
	while (scratch[b - 1] > hi_fence)
		b--;
	double v[4] = {scratch[a], scratch[b - 1], q1, q3};
	for (int q = 0; q < 4; q++)
		v[q] = fmin(fmax(v[q], sp->lo + edge), sp->hi - edge);
	sp->rows[0]++;
	int rc = bg_buf_printf(&blk[0], "%.10g %.7g %.7g %.7g %.7g\n", x, v[0], v[1], v[2], v[3]);
	for (size_t j = 0; j < a && rc == 0; j++)
		rc = merged_outlier(sp, blk, x, scratch[j]);
	for (size_t j = b; j < k && rc == 0; j++)
		rc = merged_outlier(sp, blk, x, scratch[j]);
	return rc < 0 ? BG_ENOMEM : 0;
}

/* Blocks 0 to 2 of a merged series (see merged_column), column by column. */
static int merged_data(struct series_plot *sp, struct bg_buf *d)
{
	const struct bg_site_series *ser = sp->ser;
	size_t most = 0;
	for (size_t i = 0; i < ser->n_points; i++)
		most = ser->points[i].n > most ? ser->points[i].n : most;
	struct bg_buf blk[3] = {BG_BUF_INIT, BG_BUF_INIT, BG_BUF_INIT};
	size_t cap = most * (ser->n_points / LARGE_COLS + 2) + 1;
	double *scratch = malloc(cap * sizeof(*scratch));
	int rc = scratch ? 0 : bg_error_oom();
	for (size_t i0 = 0, i1; i0 < ser->n_points && rc == 0; i0 = i1) {
		size_t col = column_of(i0, ser->n_points, LARGE_COLS);
		for (i1 = i0 + 1;
		     i1 < ser->n_points && column_of(i1, ser->n_points, LARGE_COLS) == col; i1++)
			;
		rc = merged_column(sp, blk, scratch, i0, i1);
	}
	for (int w = 0; w < 3 && rc == 0; w++) {
		if (blk[w].len && bg_buf_put(d, blk[w].ptr, blk[w].len) < 0)
			rc = BG_ENOMEM;
		else if (w == 0 && !sp->rows[0]) /* an empty block keeps its 5 columns */
			rc = bg_buf_puts(d, "0 NaN NaN NaN NaN\n\n\n") < 0 ? BG_ENOMEM : 0;
		else
			rc = end_block(d, sp->rows[w]);
	}
	for (int w = 0; w < 3; w++)
		bg_buf_free(&blk[w]);
	free(scratch);
	return rc;
}

/* The series' data file into b->data. Blocks: 0 samples in range, 1 above it, 2 below it
 * (those two at the edges), 3 medians (a blank line, a break in the line, where a commit
 * has none). A merged series has its columns in blocks 0 to 2 instead (merged_data), its
 * samples beyond the whiskers in range in block 4, and, with more commits than the
 * thumbnail has columns, the thumbnail's medians in block 5 (thumb_medians). */
static int series_data(struct site_plot_batch *b, struct series_plot *sp)
{
	const struct bg_site_series *ser = sp->ser;
	struct bg_buf *d = &b->data;
	bg_buf_clear(d);
	double edge = 0.012 * (sp->hi - sp->lo);
	int rc = sp->merged ? merged_data(sp, d) : 0;
	for (int blk = 0; blk < 3 && rc == 0 && !sp->merged; blk++) {
		for (size_t i = 0; i < ser->n_points && rc == 0; i++) {
			const struct bg_site_point *p = &ser->points[i];
			for (size_t k = 0; p->samples && k < p->n && rc == 0; k++) {
				double v = p->samples[k];
				if (!isfinite(v) || where_of(v, sp->lo, sp->hi) != blk)
					continue;
				sp->rows[blk]++;
				rc = put_xy(d, (double)i, drawn_at(v, blk, sp->lo, sp->hi, edge));
			}
		}
		rc = rc ? rc : end_block(d, sp->rows[blk]);
	}
	int gap = 0; /* one blank line per gap: two would end the block */
	for (size_t i = 0; i < ser->n_points && rc == 0; i++) {
		double m = ser->points[i].median;
		if (isfinite(m)) {
			sp->rows[3]++, gap = 0;
			rc = put_xy(d, (double)i, m);
		} else if (sp->rows[3] && !gap) {
			gap = 1;
			rc = bg_buf_putc(d, '\n');
		}
	}
	rc = rc ? rc : end_block(d, sp->rows[3]);
	if (rc == 0 && sp->merged && sp->outliers.len)
		rc = bg_buf_put(d, sp->outliers.ptr, sp->outliers.len) < 0 ? BG_ENOMEM : 0;
	if (rc == 0 && sp->merged && ser->n_points > THUMB_COLS)
		rc = end_block(d, sp->rows[4]) ? BG_ENOMEM : thumb_medians(sp, d);
	return rc;
}

/* The commit tics of a large plot: short SHA and date, thinned to at most MAX_TICS. */
static int commit_tics(struct bg_buf *s, const struct bg_site_series *ser)
{
	size_t step = (ser->n_points + MAX_TICS - 1) / MAX_TICS;
	int err = bg_buf_puts(s, "set xtics rotate by -60 font ',8' (");
	for (size_t i = 0; i < ser->n_points && !err; i += step) {
		const struct bg_site_point *p = &ser->points[i];
		struct bg_buf label = BG_BUF_INIT;
		err = put_filtered(&label, p->sha, "0123456789abcdefABCDEF", 7) ||
		      (p->date && *p->date && bg_buf_putc(&label, ' ')) ||
		      put_filtered(&label, p->date, DATE_CHARS, 25) ||
		      (i ? bg_buf_puts(s, ", ") : 0) ||
		      gp_quote(s, bg_buf_cstr(&label), SIZE_MAX) || bg_buf_printf(s, " %zu", i);
		bg_buf_free(&label);
	}
	return err || bg_buf_puts(s, ")\n") ? BG_ENOMEM : 0;
}

/* The plot command of a large plot: each element only when it has points, so gnuplot never
 * warns of an empty one; change point styles enter the key through empty (NaN) lines. */
static int large_plot_command(struct bg_buf *s, const struct series_plot *sp,
			      const int present[N_CHANGE_STYLES])
{
	const char *sep = "plot ", *f = sp->file.ptr;
	const size_t *rows = sp->rows;
	int err = 0;
	if (rows[0] && sp->merged) {
		/* a column's samples as a thin line from min to max under a thick one from the
		 * lower to the upper quartile: the dots' cloud as the screen would show it */
		err = bg_buf_printf(s,
				    "%s'%s' index 0 using 1:2:(0):($3-$2) with vectors nohead lw 1 "
				    "lc rgb '%s' title 'samples (whiskers per column)', "
				    "'%s' index 0 using 1:4:(0):($5-$4) with vectors nohead lw 3 "
				    "lc rgb '%s' title 'quartiles'",
				    sep, f, COLOR_SPREAD, f, COLOR_IQR);
		sep = ", ";
		/* the samples beyond the whiskers as round dots the size of pt 7 ps 0.45 (3.4
		 * px): lines a tenth of a pixel long in one path, not an element each (the key
		 * shows the point) */
		if (!err && rows[4])
			err = bg_buf_printf(
				s,
				", '%s' index 4 using 1:2:(0):(%.6g) with vectors nohead "
				"lw 3.4 lc rgb '%s' notitle, NaN with points pt 7 ps 0.45 "
				"lc rgb '%s' title 'samples beyond the whiskers'",
				f, DOT_LENGTH * (sp->hi - sp->lo), COLOR_SAMPLE, COLOR_SAMPLE);
	} else if (rows[0]) {
		err = bg_buf_printf(s,
				    "%s'%s' index 0 using 1:2 with points pt 7 ps %s lc rgb "
				    "'%s' title 'samples'",
				    sep, f, sp->nv > 5000 ? "0.3" : "0.45", COLOR_SAMPLE);
		sep = ", ";
	}
	for (int blk = 1; blk <= 2 && !err; blk++)
		if (rows[blk]) {
			err = bg_buf_printf(s,
					    "%s'%s' index %d using 1:2 with points pt %d "
					    "ps 0.7 lc rgb '%s' title '%s'",
					    sep, f, blk, blk == 1 ? 9 : 11, COLOR_OUTLIER,
					    blk == 1 || !rows[1] ? "beyond the range (at the edge)"
								 : "");
			sep = ", ";
		}
	if (!err && rows[3]) {
		err = bg_buf_printf(s,
				    "%s'%s' index 3 using 1:2 with %s lw 2 lc rgb '%s' "
				    "title 'median'",
				    sep, f, rows[3] > 1 ? "lines" : "linespoints pt 7",
				    COLOR_MEDIAN);
		sep = ", ";
	}
	for (size_t k = 0; k < N_CHANGE_STYLES && !err; k++)
		if (present[k]) {
			err = bg_buf_printf(s,
					    "%sNaN with lines lw 1.5 lc rgb '%s' dt %d title "
					    "'change: %s'",
					    sep, change_styles[k].color, change_styles[k].dash,
					    change_styles[k].name);
			sep = ", ";
		}
	return err || bg_buf_putc(s, '\n') ? BG_ENOMEM : 0;
}

/* The large plot: samples, median line, change points with their size, commit tics. */
static int large_plot(struct site_plot_batch *b, const struct series_plot *sp,
		      const struct site_plot_ids *ids)
{
	const struct bg_site_series *ser = sp->ser;
	struct bg_buf *s = &b->script;
	int present[N_CHANGE_STYLES] = {0};
	int err = begin_plot(b, ids, LARGE_W, LARGE_H, 10) ||
		  bg_buf_printf(s,
				"set grid ytics lc rgb '#d8dee4'\n"
				"set key outside top center horizontal samplen 2 font ',9'\n"
				"set xrange [-0.5:%.1f]\nset yrange [%.10g:%.10g]\n"
				"set rmargin 9\n" /* room for the last rotated tic label */
				"set xlabel 'commits in first-parent order, oldest left' "
				"font ',9'\n",
				(double)ser->n_points - 0.5, sp->lo, sp->hi);
	if (!err && ser->unit_label && *ser->unit_label)
		err = bg_buf_puts(s, "set ylabel ") || gp_quote(s, ser->unit_label, 80) ||
		      bg_buf_putc(s, '\n');
	err = err || commit_tics(s, ser) || put_changes(s, ser, 1, present) ||
	      large_plot_command(s, sp, present) || end_plot(b, ids, LARGE_W, LARGE_H, 10);
	return err ? BG_ENOMEM : 0;
}

/* The thumbnail: medians and change points on a small, label-free plot. */
static int thumb_plot(struct site_plot_batch *b, const struct series_plot *sp,
		      const struct site_plot_ids *ids)
{
	struct bg_buf *s = &b->script;
	double med_lo = sp->med_lo, med_hi = sp->med_hi;
	double tpad = med_hi > med_lo ? 0.08 * (med_hi - med_lo) : fmax(fabs(med_hi) * 0.05, 1e-9);
	double tlo = med_lo - tpad, thi = med_hi + tpad;
	if (!(thi > tlo) || !isfinite(thi - tlo))
		tlo = -1, thi = 1;
	int tpresent[N_CHANGE_STYLES];
	int err = begin_plot(b, ids, THUMB_W, THUMB_H, 8) ||
		  bg_buf_printf(s,
				"unset key\nunset xtics\nset ytics font ',7' scale 0.5\n"
				"set format y '%%.3s%%c'\nset lmargin 9\nset rmargin 1.5\n"
				"set tmargin 0.6\nset bmargin 0.6\n"
				"set xrange [-0.5:%.1f]\nset yrange [%.10g:%.10g]\n",
				(double)sp->ser->n_points - 0.5, tlo, thi) ||
		  put_changes(s, sp->ser, 0, tpresent) ||
		  bg_buf_printf(s,
				"plot '%s' index %d using 1:2 with %s lw 1.5 lc rgb '%s' "
				"notitle\n",
				sp->file.ptr, sp->rows[5] ? 5 : 3,
				sp->rows[3] > 60 ? "lines" : "linespoints pt 7 ps 0.4",
				COLOR_MEDIAN) ||
		  end_plot(b, ids, THUMB_W, THUMB_H, 8);
	return err ? BG_ENOMEM : 0;
}

int site_plot_series(struct site_plot_batch *b, const struct bg_site_series *ser, const char *large,
		     const char *thumb, struct site_plot_ids *lids, struct site_plot_ids *tids)
{
	lids->svg = lids->png = tids->svg = tids->png = -1;
	lids->merged = tids->merged = 0;
	struct series_plot sp = {.ser = ser, .file = BG_BUF_INIT, .outliers = BG_BUF_INIT};
	int rc = series_values(&sp);
	if (rc < 0 || (sp.nv == 0 && sp.n_med == 0))
		goto done; /* nothing to plot: the page says so */
	if ((rc = add_plot(b, large, lids)) < 0)
		goto done;
	if (sp.n_med && (rc = add_plot(b, thumb, tids)) < 0)
		goto done;
	if (b->missing)
		goto done;

	sp.merged = sp.nv > MERGE_MIN;
	lids->merged = sp.merged;
	qsort(sp.vals, sp.nv, sizeof(*sp.vals), bg_stats_cmp_double);
	site_plot_range(sp.vals, sp.nv, sp.n_med ? sp.med_lo : NAN, sp.n_med ? sp.med_hi : NAN,
			&sp.lo, &sp.hi);
	if (!(sp.hi > sp.lo) || !isfinite(sp.hi - sp.lo)) {
		sp.lo = -1,
		sp.hi = 1; /* only values too large to range: gnuplot still gets a plot */
	}
	char data_name[256];
	snprintf(data_name, sizeof(data_name), "%s.dat", ser->key);
	if ((rc = series_data(b, &sp)) < 0 || (rc = write_data(b, data_name)) < 0)
		goto done;
	if (bg_buf_printf(&sp.file, "%s/%s", b->work, data_name) < 0) {
		rc = BG_ENOMEM;
		goto done;
	}
	if ((rc = large_plot(b, &sp, lids)) == 0 && tids->svg >= 0)
		rc = thumb_plot(b, &sp, tids);
done:
	free(sp.vals);
	bg_buf_free(&sp.file);
	bg_buf_free(&sp.outliers);
	return rc;
}

/* 1 when the file at path is a complete image: an SVG that got to "</svg>", a PNG that got
 * to its IEND chunk. */
static int output_complete(const char *path, int png)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	struct stat st;
	char tail[65];
	ssize_t n = -1;
	if (fstat(fd, &st) == 0 && st.st_size > 0) {
		off_t off = st.st_size > 64 ? st.st_size - 64 : 0;
		n = pread(fd, tail, 64, off);
	}
	close(fd);
	if (n <= 0)
		return 0;
	tail[n] = '\0';
	return memmem(tail, (size_t)n, png ? "IEND" : "</svg>", png ? 4 : 6) != NULL;
}

/* The last line gnuplot printed (its error, when it failed), as printable ASCII. */
static void last_log_line(const char *log, char *out, size_t size)
{
	struct bg_buf t = BG_BUF_INIT;
	out[0] = '\0';
	if (bg_fs_tail(&t, log, 4096) < 0 || !t.len) {
		bg_buf_free(&t);
		return;
	}
	size_t end = t.len;
	while (end && (t.ptr[end - 1] == '\n' || t.ptr[end - 1] == '\r' || t.ptr[end - 1] == ' '))
		end--;
	size_t start = end;
	while (start && t.ptr[start - 1] != '\n')
		start--;
	size_t k = 0;
	for (size_t i = start; i < end && k + 1 < size; i++)
		out[k++] = t.ptr[i] >= ' ' && t.ptr[i] < 0x7F ? t.ptr[i] : '?';
	out[k] = '\0';
	bg_buf_free(&t);
}

/* Runs gnuplot over the script (script_arg, relative to b->dir), its output to log; a
 * failure to run or a failed run sets failed, the note and the error. 0, or BG_EINTR. */
static int run_gnuplot(struct site_plot_batch *b, char *script_arg, char *log)
{
	/* -d: no ~/.gnuplot or other init file changes the plots; the C locale for numbers */
	char *argv[] = {(char *)b->gnuplot, "-d", script_arg, NULL};
	char *env[] = {"LC_ALL=", "LC_NUMERIC=C", NULL};
	struct bg_proc_opts po = {
		.argv = argv,
		.env = env,
		.cwd = b->dir,
		.stdout_path = log,
		.stderr_path = log,
		.timeout_s = b->timeout_s,
		.pin_cpu = -1,
	};
	struct bg_proc_result res;
	int prc = bg_proc_run(&po, &res);
	b->seconds = res.wall_s;
	if (prc == BG_EINTR)
		return prc;
	if (prc < 0) {
		b->failed = 1;
		snprintf(b->note, sizeof(b->note), "plot not rendered: gnuplot could not be run");
		snprintf(b->error, sizeof(b->error), "%s", bg_error_last());
		bg_error_clear();
	} else if (!bg_proc_ok(&res)) {
		char how[300], line[300];
		bg_proc_describe(&res, how, sizeof(how));
		last_log_line(log, line, sizeof(line));
		b->failed = 1;
		snprintf(b->note, sizeof(b->note), "plot not rendered: gnuplot failed (%.100s)",
			 how);
		snprintf(b->error, sizeof(b->error), "gnuplot failed (%.150s)%s%.300s", how,
			 line[0] ? ": " : "", line);
	}
	return 0;
}

/* A complete SVG at part, made smaller (site_svg_compact), written to final atomically;
 * part goes. 0, BG_ENOMEM, or BG_EINFRA naming the path. */
static int place_svg(const char *part, const char *final, struct bg_buf *in, struct bg_buf *out)
{
	bg_buf_clear(in);
	int rc = bg_fs_read(in, part);
	if (rc == 0 && (rc = site_svg_compact(out, in->ptr, in->len)) == 0)
		rc = bg_fs_write(final, out->ptr, out->len);
	unlink(part);
	return rc;
}

/* Every complete image into place, each SVG made smaller; whatever is left of the others
 * goes. *incomplete counts those. 0, BG_ENOMEM, or BG_EINFRA naming a path. */
static int place_outputs(struct site_plot_batch *b, size_t *incomplete)
{
	struct bg_buf part = BG_BUF_INIT, final = BG_BUF_INIT, in = BG_BUF_INIT, out = BG_BUF_INIT;
	int rc = 0;
	*incomplete = 0;
	for (size_t i = 0; i < b->n_outs; i++) {
		struct site_plot_out *o = &b->outs[i];
		if (bg_path_join(&part, b->dir, o->part) < 0 ||
		    bg_path_join(&final, b->dir, o->final) < 0) {
			rc = BG_ENOMEM;
			break;
		}
		/* after a failure, the rest only goes */
		if (rc == 0 && output_complete(part.ptr, o->png)) {
			if (!o->png)
				o->done = (rc = place_svg(part.ptr, final.ptr, &in, &out)) == 0;
			else
				o->done = rename(part.ptr, final.ptr) == 0;
			if (o->done)
				continue;
		}
		unlink(part.ptr);
		(*incomplete)++;
	}
	bg_buf_free(&part);
	bg_buf_free(&final);
	bg_buf_free(&in);
	bg_buf_free(&out);
	return rc;
}

int site_plot_run(struct site_plot_batch *b)
{
	if (b->missing || !b->work || b->n_outs == 0)
		return 0;
	struct bg_buf script_path = BG_BUF_INIT, script_arg = BG_BUF_INIT, log = BG_BUF_INIT;
	int rc = bg_buf_puts(&b->script, "unset output\n");
	if (rc == 0 && (rc = bg_buf_printf(&script_path, "%s/%s/plots.gp", b->dir, b->work)) == 0 &&
	    (rc = bg_buf_printf(&script_arg, "%s/plots.gp", b->work)) == 0 &&
	    (rc = bg_buf_printf(&log, "%s/%s/gnuplot.log", b->dir, b->work)) == 0)
		rc = bg_fs_write(script_path.ptr, bg_buf_cstr(&b->script), b->script.len);
	if (rc < 0)
		goto done;
	rc = run_gnuplot(b, script_arg.ptr, log.ptr);
	size_t incomplete;
	int prc = place_outputs(b, &incomplete);
	rc = rc ? rc : prc;
	if (incomplete && !b->failed && rc == 0) {
		b->failed = 1;
		snprintf(b->note, sizeof(b->note), "plot not rendered: gnuplot wrote no image");
		snprintf(b->error, sizeof(b->error),
			 "gnuplot exited normally but left %zu of %zu images incomplete",
			 incomplete, b->n_outs);
	}
done:
	bg_buf_free(&script_path);
	bg_buf_free(&script_arg);
	bg_buf_free(&log);
	return rc;
}

int site_plot_done(const struct site_plot_batch *b, long id)
{
	return id >= 0 && (size_t)id < b->n_outs && b->outs[id].done;
}

void site_plot_stats(const struct site_plot_batch *b, struct bg_site_stats *st)
{
	if (!st)
		return;
	for (size_t i = 0; i < b->n_outs; i++)
		if (!b->outs[i].png) {
			if (b->outs[i].done)
				st->plots++;
			else
				st->plots_missing++;
		}
	st->gnuplot_missing |= b->missing;
	st->gnuplot_failed |= b->failed;
	if ((b->missing || b->failed) && !st->plot_error[0])
		snprintf(st->plot_error, sizeof(st->plot_error), "%s", b->error);
	st->plot_seconds += b->seconds;
}

void site_plot_close(struct site_plot_batch *b)
{
	struct bg_buf p = BG_BUF_INIT;
	for (size_t i = 0; i < b->n_outs; i++) {
		if (!b->outs[i].done && b->work && bg_path_join(&p, b->dir, b->outs[i].part) == 0)
			unlink(p.ptr);
		free(b->outs[i].part);
		free(b->outs[i].final);
	}
	if (b->work && bg_path_join(&p, b->dir, b->work) == 0)
		bg_fs_rmtree(p.ptr);
	bg_buf_free(&p);
	free(b->outs);
	free(b->work);
	bg_buf_free(&b->script);
	bg_buf_free(&b->data);
	bg_buf_free(&b->path);
	memset(b, 0, sizeof(*b));
}

/* --- the comparison chart ------------------------------------------------------------- */

/* Box statistics of one side of one benchmark, scaled by norm: quartiles, median, and the
 * whiskers at the last samples within 1.5 IQR of the box (Tukey). */
struct box {
	double q1, med, q3, wlo, whi;
};

static size_t finite_copy(double *out, const double *x, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; x && i < n; i++)
		if (isfinite(x[i]))
			out[k++] = x[i];
	return k;
}

static void box_of(const double *v, size_t n, double norm, struct box *b)
{
	b->q1 = bg_stats_quantile(v, n, 0.25);
	b->med = bg_stats_quantile(v, n, 0.5);
	b->q3 = bg_stats_quantile(v, n, 0.75);
	double iqr = b->q3 - b->q1, lo_fence = b->q1 - 1.5 * iqr, hi_fence = b->q3 + 1.5 * iqr;
	b->wlo = b->q1, b->whi = b->q3;
	for (size_t i = 0; i < n; i++) {
		if (v[i] >= lo_fence && v[i] < b->wlo)
			b->wlo = v[i];
		if (v[i] <= hi_fence && v[i] > b->whi)
			b->whi = v[i];
	}
	b->q1 /= norm, b->med /= norm, b->q3 /= norm, b->wlo /= norm, b->whi /= norm;
}

/* A fixed spread of points around their box, the same on every run. */
static double jitter(size_t k)
{
	uint32_t h = (uint32_t)(k * 2654435761u);
	return ((double)(h >> 8) / (double)(1u << 24) - 0.5) * 0.14;
}

/* A sample on the chart: where it is drawn and which side it belongs to. */
struct chart_point {
	double x, y;
	int side;
};

/* The chart's samples and boxes, gathered side by side. */
struct chart {
	const struct bg_plot_cmp *c;
	double *base, *head;     /* scratch: one benchmark's finite samples (room for maxn) */
	double *ys;              /* every point's y, sorted for the range */
	struct chart_point *pts; /* every point */
	size_t np;
	size_t rows[8];        /* rows of each data block */
	double box_lo, box_hi; /* the boxes' extent, whiskers included */
	double lo, hi;         /* the y range */
};

/* One side's box of benchmark i into the data, and its samples into the points; nothing
 * when the benchmark has no scale (no positive median) or the side no samples. 1 when it
 * drew, 0 when not, BG_ENOMEM. */
static int chart_box(struct chart *ch, struct bg_buf *d, size_t i, int side)
{
	const struct bg_plot_cmp_item *it = &ch->c->items[i];
	size_t nb = finite_copy(ch->base, it->base, it->n_base);
	size_t nh = finite_copy(ch->head, it->head, it->n_head);
	double mb = bg_stats_median(ch->base, nb), mh = bg_stats_median(ch->head, nh);
	double norm = nb && mb > 0 ? mb : nh && mh > 0 ? mh : NAN;
	const double *v = side ? ch->head : ch->base;
	size_t n = side ? nh : nb;
	if (!isfinite(norm) || n == 0)
		return 0;
	struct box bx;
	box_of(v, n, norm, &bx);
	ch->box_lo = fmin(ch->box_lo, bx.wlo);
	ch->box_hi = fmax(ch->box_hi, bx.whi);
	double x = (double)i + (side ? 0.17 : -0.17);
	ch->rows[side]++;
	if (bg_buf_printf(d, "%.10g %.7g %.7g %.7g %.7g %.7g\n", x, bx.q1, bx.wlo, bx.whi, bx.q3,
			  bx.med) < 0)
		return BG_ENOMEM;
	for (size_t k = 0; k < n; k++) {
		ch->pts[ch->np] = (struct chart_point){x + jitter(k), v[k] / norm, side};
		ch->ys[ch->np++] = v[k] / norm;
	}
	return 1;
}

/* Data blocks 0 and 1: the boxes of base and head. *any: whether anything has samples. */
static int chart_boxes(struct chart *ch, struct bg_buf *d, int *any)
{
	int rc = 0;
	*any = 0;
	for (int side = 0; side < 2 && rc == 0; side++) {
		for (size_t i = 0; i < ch->c->n_items && rc == 0; i++) {
			int drew = chart_box(ch, d, i, side);
			*any |= drew > 0;
			rc = drew < 0 ? drew : 0;
		}
		if (rc == 0)
			rc = ch->rows[side] ? bg_buf_puts(d, "\n\n")
					    : bg_buf_puts(d, "0 NaN NaN NaN NaN NaN\n\n\n");
	}
	return rc;
}

/* Data blocks 2 to 7: the points of base and head in range, above it and below it (those
 * two at the edge). */
static int chart_points(struct chart *ch, struct bg_buf *d)
{
	double edge = 0.012 * (ch->hi - ch->lo);
	int rc = 0;
	for (int blk = 2; blk < 8 && rc == 0; blk++) {
		int side = blk & 1, where = (blk - 2) / 2;
		for (size_t k = 0; k < ch->np && rc == 0; k++) {
			const struct chart_point *pt = &ch->pts[k];
			int w = where_of(pt->y, ch->lo, ch->hi);
			if (pt->side != side || w != where)
				continue;
			ch->rows[blk]++;
			rc = put_xy(d, pt->x, drawn_at(pt->y, w, ch->lo, ch->hi, edge));
		}
		rc = rc ? rc : end_block(d, ch->rows[blk]);
	}
	return rc;
}

/* The plot command of one side: its boxes, medians and points. */
static int chart_side(struct site_plot_batch *b, const struct chart *ch, int side, const char *sep)
{
	static const char *const color[2] = {COLOR_BASE, COLOR_HEAD};
	struct bg_buf *s = &b->script;
	const char *label = side ? ch->c->head_label : ch->c->base_label;
	int err = bg_buf_printf(s,
				"%s'%s/compare.dat' index %d using 1:2:3:4:5 with candlesticks "
				"whiskerbars 0.5 lw 1.2 lc rgb '%s' fs transparent solid 0.12 "
				"title ",
				sep, b->work, side, color[side]) ||
		  gp_quote(s,
			   label  ? label
			   : side ? "head"
				  : "base",
			   80) ||
		  bg_buf_printf(s,
				", '%s/compare.dat' index %d using 1:6:6:6:6 with candlesticks "
				"lw 2.5 lc rgb '%s' notitle",
				b->work, side, color[side]);
	for (int where = 0; where < 3 && !err; where++) {
		int blk = 2 + 2 * where + side;
		if (ch->rows[blk])
			err = bg_buf_printf(s,
					    ", '%s/compare.dat' index %d using 1:2 with points "
					    "pt %d ps %s lc rgb '#80%s' notitle",
					    b->work, blk,
					    where == 0   ? 7
					    : where == 1 ? 9
							 : 11,
					    where == 0 ? "0.35" : "0.7", color[side] + 1);
	}
	return err ? BG_ENOMEM : 0;
}

/* The chart's script: as wide as its benchmarks need, a line at the base median, one tic
 * per benchmark. */
static int chart_script(struct site_plot_batch *b, const struct chart *ch,
			const struct site_plot_ids *ids)
{
	const struct bg_plot_cmp *c = ch->c;
	struct bg_buf *s = &b->script;
	int w = (int)(160 + 48 * c->n_items);
	w = w < 640 ? 640 : w > 4800 ? 4800 : w;
	int err = begin_plot(b, ids, w, LARGE_H, 10) ||
		  bg_buf_printf(s,
				"set grid ytics lc rgb '#d8dee4'\n"
				"set key outside top center horizontal samplen 2 font ',9'\n"
				"set xrange [-0.6:%.1f]\nset yrange [%.10g:%.10g]\n"
				"set boxwidth 0.26 absolute\n"
				"set ylabel 'relative to the base median' font ',9'\n"
				"set arrow 1 from graph 0, first 1 to graph 1, first 1 nohead back "
				"dt 3 lc rgb '#8c959f'\n"
				"set xtics rotate by -40 font ',8' (",
				(double)c->n_items - 0.4, ch->lo, ch->hi);
	for (size_t i = 0; i < c->n_items && !err; i++)
		err = (i ? bg_buf_puts(s, ", ") : 0) || gp_quote(s, c->items[i].name, MAX_LABEL) ||
		      bg_buf_printf(s, " %zu", i);
	err = err || bg_buf_puts(s, ")\n");
	const char *sep = "plot ";
	for (int side = 0; side < 2 && !err; side++) {
		if (!ch->rows[side])
			continue;
		err = chart_side(b, ch, side, sep);
		sep = ", ";
	}
	return err || bg_buf_putc(s, '\n') || end_plot(b, ids, w, LARGE_H, 10) ? BG_ENOMEM : 0;
}

/* The data and the script of the chart. Data blocks: 0 base boxes, 1 head boxes (each
 * "x q1 wlo whi q3 med"); then the points of base and head in range (2, 3), above it (4, 5)
 * and below it (6, 7), those two drawn at the edge. The y range holds every box and the
 * bulk of the points (site_plot_range), so one wild sample cannot flatten the boxes.
 * *any: whether anything has samples. */
static int compare_plot(struct site_plot_batch *b, const struct bg_plot_cmp *c,
			const struct site_plot_ids *ids, int *any)
{
	size_t maxn = 0, total = 0;
	for (size_t i = 0; i < c->n_items; i++) {
		const struct bg_plot_cmp_item *it = &c->items[i];
		maxn = it->n_base > maxn ? it->n_base : maxn;
		maxn = it->n_head > maxn ? it->n_head : maxn;
		total += it->n_base + it->n_head;
	}
	/* the base median's line is always in view */
	struct chart ch = {.c = c, .box_lo = 1, .box_hi = 1};
	ch.base = malloc((maxn + 1) * sizeof(*ch.base));
	ch.head = malloc((maxn + 1) * sizeof(*ch.head));
	ch.ys = malloc((total + 1) * sizeof(*ch.ys));
	ch.pts = malloc((total + 1) * sizeof(*ch.pts));
	int rc = 0;
	if (!ch.base || !ch.head || !ch.ys || !ch.pts) {
		rc = bg_error_oom();
		goto done;
	}
	bg_buf_clear(&b->data);
	if ((rc = chart_boxes(&ch, &b->data, any)) < 0 || !*any || b->missing)
		goto done;
	qsort(ch.ys, ch.np, sizeof(*ch.ys), bg_stats_cmp_double);
	site_plot_range(ch.ys, ch.np, ch.box_lo, ch.box_hi, &ch.lo, &ch.hi);
	if (!(ch.hi > ch.lo) || !isfinite(ch.hi - ch.lo))
		ch.lo = 0, ch.hi = 2;
	if ((rc = chart_points(&ch, &b->data)) < 0 || (rc = write_data(b, "compare.dat")) < 0)
		goto done;
	rc = chart_script(b, &ch, ids);
done:
	free(ch.base);
	free(ch.head);
	free(ch.ys);
	free(ch.pts);
	return rc;
}

int bg_plot_compare(const struct bg_plot_cmp *c, const char *svg_path, const struct bg_site_opts *o,
		    struct bg_site_stats *st)
{
	double t0 = bg_now();
	if (st)
		memset(st, 0, sizeof(*st));
	const char *slash = strrchr(svg_path, '/');
	const char *name = slash ? slash + 1 : svg_path;
	if (!*name)
		return bg_error_set(BG_EINPUT, "%s: the chart's path names a directory", svg_path);
	for (const unsigned char *p = (const unsigned char *)name; *p;) {
		/* gnuplot gets the name as it is: no byte gp_quote would change */
		size_t n = bg_utf8_seq(p, SIZE_MAX, NULL);
		if (n == 0 || (n == 1 && (*p < ' ' || *p == 0x7F)))
			return bg_error_set(BG_EINPUT,
					    "%s: the chart's file name has a control character or "
					    "is not UTF-8",
					    svg_path);
		p += n;
	}
	struct bg_buf dir = BG_BUF_INIT;
	int rc = slash ? bg_buf_put(&dir, svg_path,
				    slash == svg_path ? 1 : (size_t)(slash - svg_path))
		       : bg_buf_puts(&dir, ".");
	if (rc < 0)
		return rc;
	struct site_plot_batch b;
	int any = 0;
	struct site_plot_ids ids = {-1, -1, 0};
	if ((rc = site_plot_open(&b, dir.ptr, o)) == 0 && (rc = add_plot(&b, name, &ids)) == 0 &&
	    (rc = compare_plot(&b, c, &ids, &any)) == 0 && any)
		rc = site_plot_run(&b);
	if (rc == 0 && !any) {
		/* nothing to draw: say so rather than leave an empty chart */
		b.outs[ids.svg].done = 0;
		b.missing = b.failed = 0;
		if (st) {
			st->plots_missing = 1;
			snprintf(st->plot_error, sizeof(st->plot_error),
				 "nothing to plot: no benchmark has samples");
		}
	} else if (rc == 0) {
		site_plot_stats(&b, st);
	}
	site_plot_close(&b);
	bg_buf_free(&dir);
	if (st)
		st->seconds = bg_now() - t0;
	return rc;
}
