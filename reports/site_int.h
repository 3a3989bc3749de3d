/* A batch of gnuplot plots made by one gnuplot run, and the states both halves of the site
 * know; private to reports/ (site_html.c asks for the plots of every series, site_plot.c
 * writes the data and script and runs gnuplot). */
#ifndef BG_SITE_INT_H
#define BG_SITE_INT_H

#include <stddef.h>

#include "bg_buf.h"
#include "bg_site.h"

/* One file gnuplot is to write: to part, renamed to final once it is complete. */
struct site_plot_out {
	char *part;  /* relative to the batch's dir */
	char *final; /* likewise */
	int png;     /* 1: a PNG, else an SVG */
	int done;    /* 1 once complete and renamed to final */
};

/* Which outputs one plot became: indexes into outs, -1 for none. */
struct site_plot_ids {
	long svg, png;
	int merged; /* 1: a large plot whose samples are merged per pixel column (min,
		       quartiles, max) instead of drawn one dot each */
};

struct site_plot_batch {
	const char *dir;     /* gnuplot's working directory; paths in the script are relative to
				it (borrowed) */
	char *work;          /* the temporary directory under dir for the script and data files,
				relative to dir; NULL when not made */
	const char *gnuplot; /* the program (borrowed) */
	int png;             /* also PNGs */
	double timeout_s;
	struct bg_buf script; /* every plot, in order */
	struct bg_buf data;   /* scratch: one data file */
	struct bg_buf path;   /* scratch: a path */
	struct site_plot_out *outs;
	size_t n_outs, cap_outs;
	int missing;     /* the program was not found: nothing is written or run */
	int failed;      /* it ran and failed or timed out */
	char note[160];  /* shown where a plot is missing: "plot not rendered: ..." */
	char error[512]; /* why, at more length, for the log */
	double seconds;  /* gnuplot's wall time */
};

/* The state of a change point or a regression as an index: 1 "acknowledged", 2 "fixed",
 * 3 "improvement", 4 "neutral", and 0, detected (open), for NULL or any other word. The
 * plots' line styles and the pages' state classes are indexed by it, SITE_N_STATES each. */
#define SITE_N_STATES 5
int site_state(const char *state);

/* The y range [*lo, *hi] of a large plot: every median (med_lo to med_hi; NAN when there
 * are none; the comparison chart passes its boxes' extent) and the bulk of the samples,
 * with room for moderate outliers; samples further out are drawn at the edge as triangles,
 * so one wild sample cannot flatten the series. vals are the finite samples, sorted. A
 * little padding on both sides; a flat series gets a range around its level. */
void site_plot_range(const double *vals, size_t nv, double med_lo, double med_hi, double *lo,
		     double *hi);

/* Starts a batch writing into dir (which must exist). Finds the program (o may be NULL);
 * when it is missing, sets missing and the note and makes no work directory. 0, BG_EINFRA
 * naming the directory, or BG_ENOMEM. */
int site_plot_open(struct site_plot_batch *b, const char *dir, const struct bg_site_opts *o);

/* The two plots of a series: the large one (samples, median, change points, commit tics) at
 * large (relative to dir, ending in ".svg") and the thumbnail (medians and change points) at
 * thumb; a ".png" sibling of each with b->png. A series with nothing to plot gets ids of -1.
 * 0, BG_EINFRA naming a data file, or BG_ENOMEM. */
int site_plot_series(struct site_plot_batch *b, const struct bg_site_series *s, const char *large,
		     const char *thumb, struct site_plot_ids *large_ids,
		     struct site_plot_ids *thumb_ids);

/* Runs gnuplot once over the whole script (unless missing or there is nothing to plot),
 * then renames every complete output into place; on failure sets failed, the note and the
 * error. 0 whatever gnuplot did; BG_EINTR when bitgate was interrupted, BG_ENOMEM. */
int site_plot_run(struct site_plot_batch *b);

/* 1 when output id was rendered (id -1: 0). */
int site_plot_done(const struct site_plot_batch *b, long id);

/* Adds the batch's outcome to st (plots, plots_missing, flags, error, seconds). */
void site_plot_stats(const struct site_plot_batch *b, struct bg_site_stats *st);

/* gnuplot's SVG svg[0, len) made smaller into out (site_svg.c): paths of moves and lines
 * with coordinates to a tenth of a pixel, relative, h and v for straight lines; empty
 * groups and the definitions nothing refers to left out; everything else as it came. The
 * same input gives the same bytes.
 * 0 or BG_ENOMEM. */
int site_svg_compact(struct bg_buf *out, const char *svg, size_t len);

/* Removes the work directory and frees the batch. */
void site_plot_close(struct site_plot_batch *b);

#endif
