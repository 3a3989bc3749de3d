/* A hand-made dashboard for the site renderer's tests (test_site.c, test_site_browser.c):
 * four series (a regression with change points, one with an outlier and an unmeasured
 * commit, a single commit, no commits), an open, an acknowledged and a fixed regression, and
 * hostile text in subjects, names, reasons and the repository. */
#ifndef SITE_FIXTURE_H
#define SITE_FIXTURE_H

#include <stddef.h>

#include "bg_site.h"

#define SITE_HOSTILE "<script>alert(\"x\")</script> & 'q'"
#define SITE_HOSTILE_ESCAPED "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;q&#39;"
#define SITE_COMMIT_URL "https://github.com/example/bitnet/commit/{sha}"
#define SITE_COMMIT_PREFIX "https://github.com/example/bitnet/commit/"
#define SITE_N_SERIES 4

struct site_fixture {
	struct bg_site site;
	struct bg_site_series series[SITE_N_SERIES];
	struct bg_site_point *points[SITE_N_SERIES];
	double *samples[SITE_N_SERIES];
	struct bg_site_change changes[2];
	struct bg_site_regression regressions[3];
	char (*shas)[41]; /* one per commit, shared by the series */
	size_t n_shas;
};

/* Fills f (free with site_fixture_free). */
void site_fixture_make(struct site_fixture *f);
void site_fixture_free(struct site_fixture *f);

/* A series of n commits with k samples each for speed and scale checks, keyed key. */
void site_fixture_big_series(struct site_fixture *f, size_t which, const char *key, size_t n,
			     size_t k);

/* The whole file dir/rel as a string (free()); fails the test when it cannot be read. */
char *site_read(const char *dir, const char *rel);

/* The whole gzip-compressed file dir/rel, decompressed, as a string (free()); fails the
 * test when it cannot be read or is not a complete gzip stream. */
char *site_read_gz(const char *dir, const char *rel);

/* 1 when dir/rel exists. */
int site_exists(const char *dir, const char *rel);

/* The gnuplot the build found (the test skips gnuplot cases without it). */
const char *site_gnuplot(void);

#endif
