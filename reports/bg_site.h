/* The nightly dashboard: a static HTML site (index, one page per series) with gnuplot plots,
 * rendered from series the caller has already measured and analysed; and the comparison
 * chart of a `ci` or `compare` run. Plain data in, files out: every pointer below is
 * borrowed for the duration of the call, and nothing is kept. All text is treated as
 * untrusted (commit subjects, names, reasons) and escaped for HTML and gnuplot. */
#ifndef BG_SITE_H
#define BG_SITE_H

#include <stddef.h>

/* One measured commit of a series. */
struct bg_site_point {
	const char *sha;       /* full commit SHA (hex); linked through bg_site.commit_url */
	const char *date;      /* commit date as shown, e.g. "2026-11-24"; may be NULL */
	const char *subject;   /* first line of the commit message; may be NULL */
	const double *samples; /* the raw samples of this commit (unit: the series' unit_label);
				  non-finite values are ignored */
	size_t n;              /* number of samples (0: the commit was not measured) */
	double median;         /* the value the change-point analysis used; NAN when none */
	const long long *runs; /* per sample, the id of the run it came from; NULL: unknown
				  (an empty field in the series' CSV) */
	const int *rounds;     /* per sample, its round within that run; NULL: unknown */
};

/* A change point of a series: its level moved between points[index - 1] and points[index]. */
struct bg_site_change {
	size_t index;       /* first point after the change (0 < index < n_points) */
	double rel;         /* after / before - 1 (0.05: 5% higher); NAN when unknown */
	double lo, hi;      /* interval of rel (e.g. 95%); NAN when unknown */
	const char *state;  /* a regression: "detected", "acknowledged" or "fixed" (NULL reads
			       "detected"); any other change point: "improvement" or "neutral"
			       (a change of spread, or a shift below the threshold) */
	const char *reason; /* why it was acknowledged; NULL when none */
};

/* One benchmark series: one benchmark, with its parameters, in one mode on one machine. */
struct bg_site_series {
	const char *key;        /* unique, 1 to 200 characters of [a-z0-9-]: names the series' files
				   (series/<key>.html, plots/<key>.svg); the caller makes it */
	const char *benchmark;  /* "matmul/avx2/256x256x256" */
	const char *params;     /* "threads=1"; may be NULL or "" */
	const char *metric;     /* what is measured, e.g. "time"; may be NULL */
	int higher_is_better;   /* 1: a throughput, a drop is the regression; 0: a time, lower
				   is better, a rise is the regression */
	const char *mode;       /* "default" or "strict"; may be NULL */
	const char *machine;    /* the machine's description; may be NULL */
	const char *unit_label; /* unit of the samples, e.g. "ns per iteration"; may be NULL */
	const struct bg_site_point *points; /* first-parent order, oldest first */
	size_t n_points;
	const struct bg_site_change *changes; /* in index order */
	size_t n_changes;
};

/* A regression the nightly found and, where it could, bisected. */
struct bg_site_regression {
	const char *series_key; /* the series it belongs to (links to its page); may be NULL */
	const char *benchmark, *mode, *machine; /* shown as given; mode, machine may be NULL */
	const char *good_sha;                   /* last commit measured before the change */
	const char *bad_sha;                    /* first commit measured after it */
	int commits_in_range; /* commits in good..bad (bad included); < 0 when unknown */
	double rel, lo, hi;   /* the change as after / before - 1, and its interval; NAN unknown */
	const char *suspect_sha;     /* the commit bisect blamed; NULL when not bisected */
	const char *suspect_subject; /* its subject; may be NULL */
	const char *state; /* "detected" (open), "acknowledged" or "fixed"; NULL reads "detected" */
	const char *reason; /* why it was acknowledged or how it was fixed; may be NULL */
};

/* One commit's results of a test suite. */
struct bg_site_suite_point {
	const char *sha;             /* full commit SHA (hex) */
	const char *date;            /* as shown; may be NULL */
	int passed, failed, skipped; /* cases; failed counts errored ones too */
};

/* A test suite over commits; its pass rate is passed / (passed + failed), skips not
 * counted, as the tests gate counts it. */
struct bg_site_suite {
	const char *name;
	const struct bg_site_suite_point *points; /* first-parent order, oldest first */
	size_t n_points;
};

/* The whole site. */
struct bg_site {
	const char *title;      /* page titles and the index heading; NULL: "bitgate dashboard" */
	const char *repo;       /* the repository's name or URL, shown as text; may be NULL */
	const char *commit_url; /* link template with "{sha}" (every occurrence is replaced),
				   e.g. "https://github.com/o/r/commit/{sha}"; NULL for no links.
				   Anything but an http:// or https:// URL of plain URL
				   characters is refused: commits are then shown unlinked and the
				   index says why */
	const char *generated;  /* when the site was made, as shown, e.g. "2026-11-24 03:10 UTC" */
	const struct bg_site_series *series; /* in display order */
	size_t n_series;
	const struct bg_site_regression *regressions; /* open ones are listed first, in this
							 order; then the others */
	size_t n_regressions;
	const struct bg_site_suite *suites; /* the test suites, in display order; may be NULL */
	size_t n_suites;
};

/* How to plot; a NULL bg_site_opts means every default. */
struct bg_site_opts {
	const char *gnuplot; /* the gnuplot program: a name looked up in PATH, or a path;
				NULL: "gnuplot" */
	int png;             /* 1: a PNG next to every SVG as well */
	double timeout_s;    /* limit on gnuplot's run, seconds; 0: 300 */
};

/* What a call did. */
struct bg_site_stats {
	size_t pages;         /* HTML pages written */
	size_t plots;         /* plots rendered (an SVG, with its PNG when asked, counts once) */
	size_t plots_missing; /* plots wanted but not rendered; each shows a note instead */
	int gnuplot_missing;  /* 1: the gnuplot program was not found */
	int gnuplot_failed;   /* 1: gnuplot ran but failed or timed out (see plot_error) */
	char plot_error[512]; /* why plots are missing, one line; "" when none are */
	double seconds;       /* wall time of the call */
	double plot_seconds;  /* of which gnuplot ran */
};

/* Writes the site into dir (created when missing; files of earlier runs are replaced, others
 * left alone):
 *   index.html          open regressions (series, good..bad commits, change with its
 *                       interval, suspected commit, state), every series as a small plot of
 *                       its medians linking to its page, each test suite's pass rate over
 *                       the commits (a strip, one bar per commit, and the latest and lowest
 *                       rates), then acknowledged and fixed ones;
 *   series/<key>.html   the series' facts, the large plot (samples per commit, median line,
 *                       change points; with more than 2,000 samples, those of the commits
 *                       on one pixel column merged into min, quartiles and max), its
 *                       regressions, its change points, and its runs (commit, date,
 *                       subject, samples, median, min, max), newest first: the latest 50
 *                       and every one where a change point starts, the rest in the CSV;
 *   series/<key>.csv.gz every sample of the series, gzip-compressed CSV (RFC 4180), one
 *                       row per run and round: commit (its first 12 hex digits, all of it
 *                       when two commits of the series share them), date, run, round, then
 *                       its samples separated by spaces (exact, in the shortest form that
 *                       reads back the same), linked from the series page;
 *   plots/<key>.svg, plots/<key>.thumb.svg (and .png of both with o->png), each SVG made
 *                       smaller than gnuplot writes it (site_svg_compact);
 *   style.css           the pages' style sheet.
 * Pages use no network resource (their style sheet is style.css, no script, no web font)
 * and relative links, so the site works from file:// and any static host. Every file is
 * written atomically.
 * gnuplot runs once for all plots. When it is missing or fails, the pages are still written
 * with a note where each plot would be, st says why, and that is not an error.
 * st may be NULL. Returns 0; BG_EINPUT for malformed input (a bad or repeated key, a change
 * index out of range), naming it; BG_EINFRA when a file cannot be written, naming the
 * path; BG_ENOMEM; BG_EINTR when interrupted while gnuplot ran. */
int bg_site_write(const struct bg_site *site, const char *dir, const struct bg_site_opts *o,
		  struct bg_site_stats *st);

/* One benchmark of a comparison chart. */
struct bg_plot_cmp_item {
	const char *name;   /* "matmul/avx2/256x256x256" */
	const double *base; /* base samples; non-finite ones ignored */
	size_t n_base;
	const double *head; /* head samples */
	size_t n_head;
};

/* A comparison chart: base against head, benchmark by benchmark. */
struct bg_plot_cmp {
	const char *base_label; /* legend of the base side, e.g. "base 5f3c2a1"; NULL: "base" */
	const char *head_label; /* NULL: "head" */
	const struct bg_plot_cmp_item *items; /* left to right */
	size_t n_items;
};

/* Writes the comparison chart as an SVG at svg_path (and, with o->png, a PNG at the same
 * path with ".png" for its ".svg" suffix, or ".png" appended): per benchmark, the base and
 * head samples side by side as points over a box (quartiles, median, whiskers to the last
 * sample within 1.5 IQR). Benchmarks differ by orders of magnitude, so each is scaled by its
 * base median: 1 is the base median, 1.05 is 5% above it (a benchmark without base samples
 * is scaled by its head median); samples far outside the boxes are drawn at the edge. One
 * gnuplot run; the file appears only once complete. When gnuplot is missing or fails, or no
 * benchmark has samples, there is no chart, st says why (plots 0, plots_missing 1) and 0 is
 * returned, so the caller can say so where the chart would be. st may be NULL. Returns 0,
 * BG_EINPUT for a file name with control characters, BG_EINFRA naming the path, BG_ENOMEM
 * or BG_EINTR. */
int bg_plot_compare(const struct bg_plot_cmp *c, const char *svg_path, const struct bg_site_opts *o,
		    struct bg_site_stats *st);

#endif
