/* bitnet-bench's calibration slowdown (programs/bench_slowdown.c): BITNET_BENCH_SLOWDOWN's
 * REGEX:PERCENT read or refused, and the extra seconds per iteration of the benchmarks it
 * matches. */
#include <string.h>

#include "bench.h"
#include "tf.h"

TF_TEST(bench_slowdown__off_when_unset)
{
	struct bench_slowdown sd;
	TF_CHECK_EQ(bench_slowdown_init(&sd, NULL), 0);
	TF_CHECK(!sd.spec && sd.pct == 0, "off");
	TF_CHECK(bench_slowdown_extra(&sd, "gemv/ref/2560x2560", 1e-3) == 0, "no extra");
	TF_CHECK_EQ(bench_slowdown_init(&sd, ""), 0);
	TF_CHECK(!sd.spec, "empty is unset");
	bench_slowdown_free(&sd);
}

TF_TEST(bench_slowdown__refuses_bad_specs)
{
	static const char *const bad[] = {"gemv",      "gemv:",   "gemv:0", "gemv:-5",
					  "gemv:1001", "gemv:5x", "(:5"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct bench_slowdown sd;
		TF_CHECK(bench_slowdown_init(&sd, bad[i]) == -1, "'%s' accepted", bad[i]);
		bench_slowdown_free(&sd);
	}
}

TF_TEST(bench_slowdown__extra_for_matching_names)
{
	struct bench_slowdown sd;
	const char *spec = "^gemv/(ref|avx2)/:50";
	TF_CHECK_EQ(bench_slowdown_init(&sd, spec), 0);
	TF_CHECK(sd.spec == spec && sd.pct == 50, "pct %g", sd.pct);
	TF_CHECK(bench_slowdown_extra(&sd, "gemv/avx2/2560x2560", 2e-6) == 1e-6, "half of 2 us");
	TF_CHECK(bench_slowdown_extra(&sd, "gemv/avx512/2560x2560", 2e-6) == 0, "not matched");
	bench_slowdown_free(&sd);
	TF_CHECK(bench_slowdown_extra(&sd, "gemv/avx2/2560x2560", 2e-6) == 0, "freed is off");
	/* the percent is after the last colon: the regex may hold colons */
	TF_CHECK_EQ(bench_slowdown_init(&sd, "a:b:1000"), 0);
	TF_CHECK(sd.pct == 1000 && bench_slowdown_extra(&sd, "xa:by", 1.0) == 10.0, "a:b");
	bench_slowdown_free(&sd);
}
