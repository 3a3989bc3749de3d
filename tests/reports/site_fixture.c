/* The hand-made dashboard of site_fixture.h. */
#include "site_fixture.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "bg_buf.h"
#include "bg_error.h"
#include "bg_fs.h"
#include "tf.h"

#define N_COMMITS 1000

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);
	TF_CHECK(p, "out of memory");
	return p;
}

/* Noise around 1 from the test's deterministic generator, about +-1.5%. */
static double noise(void)
{
	return 1 + ((double)(tf_rand() % 2001) / 1000.0 - 1.0) * 0.015;
}

static const char *const dates[] = {"2026-11-01", "2026-11-02", "2026-11-03", "2026-11-04",
				    "2026-11-05", "2026-11-06", "2026-11-07"};

/* Points for series which: n commits, k samples each around base (times 1 + step from
 * commit `at` on). */
static void fill_series(struct site_fixture *f, size_t which, size_t n, size_t k, double base,
			size_t at, double step)
{
	struct bg_site_point *pts = xcalloc(n, sizeof(*pts));
	double *v = xcalloc(n * k, sizeof(*v));
	TF_CHECK(n <= f->n_shas, "fixture has %zu commits, %zu asked for", f->n_shas, n);
	for (size_t i = 0; i < n; i++) {
		double level = base * (i >= at ? 1 + step : 1);
		for (size_t j = 0; j < k; j++)
			v[i * k + j] = level * noise();
		pts[i].sha = f->shas[i];
		pts[i].date = dates[i % 7];
		pts[i].subject = i % 3 ? "matmul: unroll the avx2 inner loop"
				       : "kernels: pack ternary weights 4 per byte";
		pts[i].samples = v + i * k;
		pts[i].n = k;
		pts[i].median = k ? level : NAN;
	}
	free(f->points[which]);
	free(f->samples[which]);
	f->points[which] = pts;
	f->samples[which] = v;
	f->series[which].points = pts;
	f->series[which].n_points = n;
}

/* N_COMMITS made-up SHAs, shared by the series. */
static void fixture_shas(struct site_fixture *f)
{
	f->n_shas = N_COMMITS;
	f->shas = xcalloc(N_COMMITS, sizeof(*f->shas));
	for (size_t i = 0; i < N_COMMITS; i++) {
		unsigned long long h = tf_rand();
		snprintf(f->shas[i], sizeof(f->shas[i]), "%016llx%016llx%08x", h, ~h * 31,
			 (unsigned)i);
	}
}

/* The four series, each a case the pages and plots must handle. */
static void fixture_series(struct site_fixture *f)
{
	/* 0: a slowdown at commit 25 (open), an acknowledged speed-up at 10 */
	struct bg_site_series *s = &f->series[0];
	s->key = "matmul-avx2-256x256x256-default";
	s->benchmark = "matmul/avx2/256x256x256";
	s->params = "threads=1";
	s->metric = "time";
	s->mode = "default";
	s->machine = "AMD EPYC 7B13, 2 CPUs [3f2a9c]";
	s->unit_label = "ns per iteration";
	fill_series(f, 0, 40, 10, 10.4e6, 25, 0.072);
	f->points[0][30].subject = SITE_HOSTILE;
	f->changes[0] = (struct bg_site_change){
		10, -0.031, -0.045, -0.017, "acknowledged", "new compiler <b>expected</b>"};
	f->changes[1] = (struct bg_site_change){25, 0.072, 0.051, 0.096, "detected", NULL};
	s->changes = f->changes;
	s->n_changes = 2;

	/* 1: hostile parameters, an outlier and a commit without samples */
	s = &f->series[1];
	s->key = "gemv-avx2-2560x6912";
	s->benchmark = "gemv/avx2/2560x6912";
	s->params = "k=<i>2560</i> & n=\"6912\"";
	s->metric = "time";
	s->mode = "strict";
	s->machine = "AMD EPYC 7B13, 2 CPUs [3f2a9c]";
	s->unit_label = "\xC2\xB5s per call"; /* µs */
	fill_series(f, 1, 200, 3, 812.5, 200, 0);
	f->samples[1][50 * 3 + 1] *= 1000;   /* one wild sample */
	for (size_t i = 120; i < 123; i++) { /* three commits not measured */
		f->points[1][i].n = 0;
		f->points[1][i].median = NAN;
	}
	/* among the newest runs, which the series page lists (the older are in its CSV) */
	f->points[1][197].subject = "bidi \xE2\x80\xAE"
				    "evil\xE2\x80\xAC and a bad byte \xFF";

	/* 2: a single commit */
	s = &f->series[2];
	s->key = "quant-ref-4096";
	s->benchmark = "quant/ref/4096";
	s->unit_label = "ns per op's ''run'' <&>"; /* quotes and markup into gnuplot and SVG */
	fill_series(f, 2, 1, 5, 4100, 1, 0);

	/* 3: no commits yet */
	s = &f->series[3];
	s->key = "e2e-bitnet-2b-decode";
	s->benchmark = "e2e/bitnet-2b/decode";
	s->unit_label = "ns per token";
}

/* A fixed, an open and an acknowledged regression. */
static void fixture_regressions(struct site_fixture *f)
{
	/* the fixed one first: the index must still put the open one before it */
	f->regressions[0] = (struct bg_site_regression){
		.series_key = "matmul-avx2-256x256x256-default",
		.benchmark = "matmul/avx2/256x256x256",
		.mode = "default",
		.machine = "AMD EPYC 7B13, 2 CPUs [3f2a9c]",
		.good_sha = f->shas[4],
		.bad_sha = f->shas[5],
		.commits_in_range = 1,
		.rel = 0.04,
		.lo = 0.02,
		.hi = 0.06,
		.suspect_sha = f->shas[5],
		.suspect_subject = "old regression",
		.state = "fixed",
		.reason = "reverted in " SITE_HOSTILE,
	};
	f->regressions[1] = (struct bg_site_regression){
		.series_key = "matmul-avx2-256x256x256-default",
		.benchmark = "matmul/avx2/256x256x256",
		.mode = "default",
		.machine = "AMD EPYC 7B13, 2 CPUs [3f2a9c]",
		.good_sha = f->shas[24],
		.bad_sha = f->shas[25],
		.commits_in_range = 3,
		.rel = 0.072,
		.lo = 0.051,
		.hi = 0.096,
		.suspect_sha = f->shas[25],
		.suspect_subject = SITE_HOSTILE,
		.state = "detected",
	};
	f->regressions[2] = (struct bg_site_regression){
		.series_key = "gemv-avx2-2560x6912",
		.benchmark = "gemv/avx2/2560x6912",
		.mode = "strict",
		.good_sha = f->shas[60],
		.bad_sha = f->shas[61],
		.commits_in_range = -1,
		.rel = 0.021,
		.lo = NAN,
		.hi = NAN,
		.state = "acknowledged",
		.reason = "expected: <b>new layout</b>",
	};
}

void site_fixture_make(struct site_fixture *f)
{
	memset(f, 0, sizeof(*f));
	tf_seed(42);
	fixture_shas(f);
	fixture_series(f);
	fixture_regressions(f);
	f->site.title = "bitnet nightly";
	f->site.repo = "github.com/example/bitnet <&>";
	f->site.commit_url = SITE_COMMIT_URL;
	f->site.generated = "2026-11-24 03:10 UTC";
	f->site.series = f->series;
	f->site.n_series = SITE_N_SERIES;
	f->site.regressions = f->regressions;
	f->site.n_regressions = 3;
}

void site_fixture_big_series(struct site_fixture *f, size_t which, const char *key, size_t n,
			     size_t k)
{
	f->series[which].key = key;
	fill_series(f, which, n, k, 40000, n / 2, 0.05);
	f->series[which].n_changes = 0;
}

void site_fixture_free(struct site_fixture *f)
{
	for (size_t i = 0; i < SITE_N_SERIES; i++) {
		free(f->points[i]);
		free(f->samples[i]);
	}
	free(f->shas);
	memset(f, 0, sizeof(*f));
}

char *site_read(const char *dir, const char *rel)
{
	struct bg_buf path = BG_BUF_INIT, data = BG_BUF_INIT;
	TF_CHECK(bg_path_join(&path, dir, rel) == 0, "out of memory");
	TF_CHECK(bg_fs_read(&data, path.ptr) == 0, "%s", bg_error_last());
	bg_buf_free(&path);
	return bg_buf_detach(&data);
}

char *site_read_gz(const char *dir, const char *rel)
{
	char *gz = site_read(dir, rel);
	struct bg_buf path = BG_BUF_INIT, data = BG_BUF_INIT;
	TF_CHECK(bg_path_join(&path, dir, rel) == 0, "out of memory");
	struct stat st;
	TF_CHECK(stat(path.ptr, &st) == 0, "%s", path.ptr);
	z_stream z;
	memset(&z, 0, sizeof(z));
	TF_CHECK(inflateInit2(&z, 15 + 16) == Z_OK, "inflateInit2");
	z.next_in = (Bytef *)gz;
	z.avail_in = (uInt)st.st_size;
	int zr = Z_OK;
	while (zr == Z_OK) {
		TF_CHECK(bg_buf_grow(&data, 1 << 16) == 0, "out of memory");
		z.next_out = (Bytef *)data.ptr + data.len;
		z.avail_out = (uInt)(data.cap - data.len - 1);
		uLong before = z.total_out;
		zr = inflate(&z, Z_NO_FLUSH);
		data.len += (size_t)(z.total_out - before);
		data.ptr[data.len] = 0;
	}
	TF_CHECK(zr == Z_STREAM_END && z.avail_in == 0, "%s: not one complete gzip stream (%d)",
		 path.ptr, zr);
	inflateEnd(&z);
	free(gz);
	bg_buf_free(&path);
	return bg_buf_detach(&data);
}

int site_exists(const char *dir, const char *rel)
{
	struct bg_buf path = BG_BUF_INIT;
	TF_CHECK(bg_path_join(&path, dir, rel) == 0, "out of memory");
	int e = bg_fs_exists(path.ptr);
	bg_buf_free(&path);
	return e;
}

const char *site_gnuplot(void)
{
#ifdef BG_GNUPLOT_PATH
	return BG_GNUPLOT_PATH;
#else
	return "gnuplot";
#endif
}
