/* Integration: `bitgate bisect` on throwaway repositories whose benchmark gets 10% slower at
 * a known commit (it reports its cost with +-1% jitter, so the test does not depend on this
 * machine's speed): it names exactly that commit past a commit that does not build (skipped
 * and recorded), reuses what is stored the second time, names every candidate when skipped
 * commits hide the answer, and refuses ranges with nothing to bisect. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bg_buf.h"
#include "bg_db.h"
#include "bg_error.h"
#include "it_fixture.h"
#include "tf.h"

static char shas[12][41];

TF_TEST(integration__bisect_finds_the_slow_commit_past_a_broken_build)
{
	struct fx f;
	/* 12 commits, 10% slower from 7 on; 5 (the first midpoint) does not build */
	commit_line(&f, "bisect", 12, 7, 5, shas);
	EXPECT_EXIT(0, bitgate(&f, "bisect", "--bench", "loop/scalar", "--good", shas[0], "--bad",
			       shas[11], "--repetitions", "1", NULL));
	const char *out = bg_buf_cstr(&out_text);
	char want[80];
	snprintf(want, sizeof(want), "first bad commit: %s", shas[7]);
	TF_CHECK(strstr(out, want) != NULL, "want %s in:\n%s", want, out);
	TF_CHECK(strstr(out, "1 skipped") != NULL, "the broken commit was not skipped:\n%s", out);
	/* the answer's ratio against its parent: +10% give or take the +-1% jitter */
	const char *at = strstr(out, "loop/scalar: ");
	double pct = 0;
	TF_CHECK(at && sscanf(at, "loop/scalar: %lf%%", &pct) == 1 && pct > 7 && pct < 13,
		 "ratio %g:\n%s", pct, out);

	struct bg_db *db = open_db(&f);
	struct bg_run_rec *runs;
	size_t n = runs_of(db, shas[5], &runs);
	TF_CHECK(n == 1 && !strcmp(runs[0].status, "build-failed") && runs[0].label &&
			 !strcmp(runs[0].label, "bisect"),
		 "the skip is not recorded: %zu runs", n);
	bg_db_run_list_free(runs, n);
	size_t before = count_nightly_runs(db);

	/* again: everything it needs is stored, the broken build included */
	EXPECT_EXIT(0, bitgate(&f, "bisect", "--bench", "loop/scalar", "--good", shas[0], "--bad",
			       shas[11], NULL));
	TF_CHECK(strstr(bg_buf_cstr(&out_text), want) != NULL, "second answer:\n%s",
		 bg_buf_cstr(&out_text));
	TF_CHECK(strstr(bg_buf_cstr(&out_text), "0 bisect runs") != NULL, "measured again:\n%s",
		 bg_buf_cstr(&out_text));
	TF_CHECK_EQ(count_nightly_runs(db), before);

	/* nothing to bisect: both ends slow */
	EXPECT_EXIT(1, bitgate(&f, "bisect", "--bench", "loop/scalar", "--good", shas[7], "--bad",
			       shas[11], NULL));
	TF_CHECK(strstr(bg_buf_cstr(&out_text), "nothing to bisect") != NULL, "%s",
		 bg_buf_cstr(&out_text));
	/* the ends the wrong way round, a bench that is not there, missing options */
	EXPECT_EXIT(2, bitgate(&f, "bisect", "--bench", "loop/scalar", "--good", shas[11], "--bad",
			       shas[0], NULL));
	TF_CHECK(strstr(bg_buf_cstr(&err_text), "first-parent") != NULL, "%s",
		 bg_buf_cstr(&err_text));
	EXPECT_EXIT(2, bitgate(&f, "bisect", "--bench", "loop/nothing", "--good", shas[0], "--bad",
			       shas[11], "--repetitions", "1", NULL));
	TF_CHECK(strstr(bg_buf_cstr(&err_text), "loop/nothing") != NULL, "%s",
		 bg_buf_cstr(&err_text));
	EXPECT_EXIT(2, bitgate(&f, "bisect", "--bench", "loop/scalar", NULL));
	bg_db_close(db);
	fx_done(&f);
}

TF_TEST(integration__bisect_names_the_candidates_skipped_commits_hide)
{
	struct fx f;
	/* 6 commits; the slowdown comes with commit 3, which does not build, so 4 is the first
	 * measured slow one: the first bad commit is 3 or 4 */
	commit_line(&f, "bisect-hidden", 6, 3, 3, shas);
	EXPECT_EXIT(0, bitgate(&f, "bisect", "--bench", "loop/scalar", "--good", shas[0], "--bad",
			       shas[5], "--repetitions", "1", NULL));
	const char *out = bg_buf_cstr(&out_text);
	TF_CHECK(strstr(out, "one of 2") != NULL, "no candidates named:\n%s", out);
	char want[80];
	snprintf(want, sizeof(want), "  %s break the build (skipped)", shas[3]);
	TF_CHECK(strstr(out, want) != NULL, "want '%s' in:\n%s", want, out);
	snprintf(want, sizeof(want), "  %s ", shas[4]);
	TF_CHECK(strstr(out, want) != NULL, "want '%s' in:\n%s", want, out);
	fx_done(&f);
}
