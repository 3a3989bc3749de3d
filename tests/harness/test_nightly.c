/* The nightly engine's phases that need no commits built (harness/nightly.c): which waiting
 * commits a run measures, the series' file keys, and the commit dates of the dashboard. */
#include <string.h>

#include "bg_db.h"
#include "bg_nightly.h"
#include "tf.h"

TF_TEST(nightly__choose_all_when_they_fit)
{
	size_t pick[8];
	TF_CHECK_EQ(bg_nightly_choose(3, 5, pick), 3);
	TF_CHECK(pick[0] == 2 && pick[1] == 1 && pick[2] == 0, "newest first: %zu %zu %zu", pick[0],
		 pick[1], pick[2]);
	TF_CHECK_EQ(bg_nightly_choose(0, 5, pick), 0);
	TF_CHECK_EQ(bg_nightly_choose(4, 0, pick), 0);
}

TF_TEST(nightly__choose_spreads_the_rest)
{
	size_t pick[8];
	/* 11 waiting, 3 to measure: the newest, then the oldest and the middle */
	TF_CHECK_EQ(bg_nightly_choose(11, 3, pick), 3);
	TF_CHECK(pick[0] == 10 && pick[1] == 0 && pick[2] == 5, "picked %zu %zu %zu", pick[0],
		 pick[1], pick[2]);
	/* min(m, max) of them, no index twice, every index in range */
	for (size_t m = 1; m < 40; m++)
		for (size_t max = 1; max < 8; max++) {
			size_t k = bg_nightly_choose(m, max, pick);
			TF_CHECK(k == (m < max ? m : max), "m %zu max %zu: %zu", m, max, k);
			TF_CHECK(pick[0] == m - 1, "m %zu max %zu: the newest first", m, max);
			for (size_t i = 0; i < k; i++) {
				TF_CHECK(pick[i] < m, "m %zu max %zu: %zu out of range", m, max,
					 pick[i]);
				for (size_t j = 0; j < i; j++)
					TF_CHECK(pick[i] != pick[j], "m %zu max %zu: %zu twice", m,
						 max, pick[i]);
			}
		}
}

TF_TEST(nightly__series_key_is_a_stable_slug)
{
	char a[128], b[128], c[128], e[128];
	bg_nightly_series_key(a, sizeof(a), "GEMV/avx2 threads=4 [strict]");
	bg_nightly_series_key(b, sizeof(b), "gemv/avx2 threads=4 [strict]");
	TF_CHECK(!strncmp(a, "gemv-avx2-threads-4-strict-", 27), "slug: %s", a);
	TF_CHECK_EQ(strlen(a), 27 + 8);
	TF_CHECK(strcmp(a, b) != 0, "names that slug alike differ by their hash: %s %s", a, b);
	bg_nightly_series_key(c, sizeof(c), "GEMV/avx2 threads=4 [strict]");
	TF_CHECK(!strcmp(a, c), "stable: %s %s", a, c);
	for (const char *p = a; *p; p++)
		TF_CHECK((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-',
			 "file-name-safe: %s", a);
	bg_nightly_series_key(e, sizeof(e), "///");
	TF_CHECK_EQ(strlen(e), 8);
	char longname[300];
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = 0;
	bg_nightly_series_key(a, sizeof(a), longname);
	TF_CHECK_EQ(strlen(a), 80 + 1 + 8);
}

TF_TEST(nightly__date_is_utc)
{
	char d[16];
	bg_nightly_date(d, 0);
	TF_CHECK(!strcmp(d, "1970-01-01"), "%s", d);
	bg_nightly_date(d, 1764547199); /* 2025-11-30 23:59:59 UTC */
	TF_CHECK(!strcmp(d, "2025-11-30"), "%s", d);
}

/* An open regression's summary line says which way is worse for its metric: a throughput's
 * drop is the regression, a time's rise. */
TF_TEST(nightly__regression_line_names_the_direction)
{
	char sha_g[] = "1111111111aaaa", sha_b[] = "2222222222bbbb", gbs[] = "GB/s", ns[] = "ns";
	struct bg_regression_rec r = {.metric = gbs,
				      .good_sha = sha_g,
				      .bad_sha = sha_b,
				      .rel = -0.072,
				      .lo = -0.075,
				      .hi = -0.07};
	char line[512];
	bg_nightly_regression_line(line, sizeof(line), "gemv/avx2 [threads=1]", &r);
	TF_CHECK(!strcmp(line, "  regression gemv/avx2 [threads=1]: -7.2% [-7.5%, -7.0%] between "
			       "1111111111 and 2222222222 (GB/s, higher is better: it fell)"),
		 "%s", line);
	r.metric = ns, r.rel = 0.052, r.lo = 0.05, r.hi = 0.053;
	bg_nightly_regression_line(line, sizeof(line), "matmul", &r);
	TF_CHECK(!strcmp(line, "  regression matmul: +5.2% [+5.0%, +5.3%] between 1111111111 and "
			       "2222222222 (ns, lower is better: it rose)"),
		 "%s", line);
	bg_nightly_regression_line(line, 20, "matmul", &r); /* cut to fit */
	TF_CHECK_EQ(strlen(line), 19);
}
