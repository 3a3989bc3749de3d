/* Integration: `bitgate nightly` on a throwaway repository of 12 commits whose benchmark gets
 * 10% slower at a known commit (it reports its cost with +-1% jitter, BEHAVIOUR 4, so the
 * test does not depend on this machine's speed): the regression is reported at exactly
 * that commit and the dashboard is written; a second nightly measures nothing; a commit
 * that does not build is recorded once and not retried; with fewer commits allowed than
 * wait, the newest and an even spread are measured. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bg_buf.h"
#include "bg_db.h"
#include "bg_error.h"
#include "bg_fs.h"
#include "it_fixture.h"
#include "site_fixture.h"
#include "tf.h"
#include "tg_fixture.h"

#define N_COMMITS 12
#define SLOW_AT 7 /* commits 7..11 are 10% slower */

static char shas[N_COMMITS][41];

static void make_line(struct fx *f, const char *tag, int broken)
{
	commit_line(f, tag, N_COMMITS, SLOW_AT, broken, shas);
}

static int pos_of(const char *sha)
{
	for (int i = 0; i < N_COMMITS; i++)
		if (!strcmp(shas[i], sha))
			return i;
	return -1;
}

/* The one series' samples file on the site (series/<key>.csv.gz) holds every sample the
 * database stores for it, exactly, with its commit (12 hex digits), run and round, in the
 * walk's order. */
static void check_samples_file(struct bg_db *db, const char *site)
{
	char dir[800], name[300] = "";
	snprintf(dir, sizeof(dir), "%s/series", site);
	DIR *d = opendir(dir);
	TF_CHECK(d, "no %s", dir);
	size_t files = 0;
	for (struct dirent *e; (e = readdir(d));) {
		size_t len = strlen(e->d_name);
		if (len > 7 && !strcmp(e->d_name + len - 7, ".csv.gz") && ++files)
			snprintf(name, sizeof(name), "%s", e->d_name);
	}
	closedir(d);
	TF_CHECK_EQ(files, 1);
	char *csv = site_read_gz(dir, name);

	struct bg_run_rec *runs;
	size_t nr = runs_of(db, shas[0], &runs);
	TF_CHECK(nr >= 1, "no run of the first commit");
	int64_t machine = runs[0].machine_id;
	bg_db_run_list_free(runs, nr);
	const char *list[N_COMMITS];
	for (int i = 0; i < N_COMMITS; i++)
		list[i] = shas[i];
	struct bg_walk_series *w;
	size_t nw;
	struct bg_sample_origin *o;
	TF_CHECK(bg_db_series_walk(db, machine, "nightly", NULL, list, N_COMMITS, &w, &nw) == 0,
		 "%s", bg_error_last());
	TF_CHECK_EQ(nw, 1);
	TF_CHECK(bg_db_series_origins(db, machine, "nightly", w, list, N_COMMITS, &o) == 0, "%s",
		 bg_error_last());
	TF_CHECK(!strncmp(csv, "commit,date,run,round,samples\r\n", 31), "header: %.40s", csv);
	const char *p = csv + 30; /* each row starts after a '\n' */
	size_t at = 0, rows = 0;
	struct bg_sample_origin row = {0, 0};
	for (size_t i = 0; i < w->n_points; i++) {
		const struct bg_walk_point *pt = &w->points[i];
		for (size_t k = 0; k < pt->n; k++, at++) {
			char *end;
			if (*p == '\n') { /* a new row: commit, date, run, round */
				p++;
				TF_CHECK(!strncmp(p, shas[pt->pos], 12) && p[12] == ',',
					 "row %zu: %.60s", rows, p);
				const char *f = strchr(p + 13, ',');
				TF_CHECK(f && strtoll(f + 1, &end, 10) == o[at].run && *end == ',',
					 "row %zu: run, want %lld: %.80s", rows,
					 (long long)o[at].run, p);
				TF_CHECK(strtol(end + 1, &end, 10) == o[at].round && *end == ',',
					 "row %zu: round, want %d", rows, o[at].round);
				p = end + 1;
				rows++;
				row = o[at];
			} else
				TF_CHECK(k > 0 && *p == ' ' && o[at].run == row.run &&
						 o[at].round == row.round,
					 "sample %zu: not in its run and round's row: %.40s", at,
					 p);
			double v = strtod(p + (*p == ' '), &end);
			TF_CHECK(v == pt->samples[k], "sample %zu: %.17g in the CSV, %.17g stored",
				 at, v, pt->samples[k]);
			p = end + (*end == '\r');
		}
	}
	TF_CHECK(!strcmp(p, "\n"), "after the last stored sample: %.40s", p);
	TF_CHECK(rows >= N_COMMITS && at == bg_db_walk_total(w), "%zu rows, %zu samples", rows, at);
	free(o);
	bg_db_series_walk_free(w, nw);
	free(csv);
}

TF_TEST(integration__nightly_reports_the_slow_commit)
{
	struct fx f;
	make_line(&f, "nightly", -1);
	char site[700];
	snprintf(site, sizeof(site), "%s/site", f.root);
	EXPECT_EXIT(0, bitgate(&f, "nightly", "--branch", "main", "--max-commits", "20",
			       "--repetitions", "2", "--no-tests", "--site", site, NULL));
	TF_CHECK(strstr(bg_buf_cstr(&out_text), "1 regressions (1 open)") != NULL, "summary:\n%s",
		 bg_buf_cstr(&out_text));
	TF_CHECK(strstr(bg_buf_cstr(&out_text), "(ns, lower is better: it rose)") != NULL,
		 "the regression's direction:\n%s", bg_buf_cstr(&out_text));

	struct bg_db *db = open_db(&f);
	TF_CHECK_EQ(count_nightly_runs(db), N_COMMITS);
	struct bg_regression_rec *r;
	size_t n;
	TF_CHECK(bg_db_regression_list(db, 0, &r, &n) == 0, "%s", bg_error_last());
	TF_CHECK_EQ(n, 1);
	TF_CHECK(!strcmp(r[0].benchmark, "loop/scalar") && !strcmp(r[0].state, "detected"), "%s %s",
		 r[0].benchmark, r[0].state);
	TF_CHECK(pos_of(r[0].bad_sha) == SLOW_AT && pos_of(r[0].good_sha) == SLOW_AT - 1,
		 "range %d..%d, want %d..%d", pos_of(r[0].good_sha), pos_of(r[0].bad_sha),
		 SLOW_AT - 1, SLOW_AT);
	TF_CHECK(r[0].rel > 0.08 && r[0].rel < 0.12 && r[0].lo > 0, "rel %g [%g, %g]", r[0].rel,
		 r[0].lo, r[0].hi);
	bg_db_regression_list_free(r, n);

	/* the dashboard: the regression's commit on the index, a page per series */
	char path[800];
	snprintf(path, sizeof(path), "%s/index.html", site);
	struct bg_buf html = BG_BUF_INIT;
	TF_CHECK(bg_fs_read(&html, path) == 0, "no %s", path);
	char short_bad[11];
	snprintf(short_bad, sizeof(short_bad), "%.10s", shas[SLOW_AT]);
	TF_CHECK(strstr(bg_buf_cstr(&html), short_bad) || strstr(bg_buf_cstr(&html), shas[SLOW_AT]),
		 "index does not name %s", short_bad);
	TF_CHECK(strstr(bg_buf_cstr(&html), "loop/scalar") != NULL, "index lacks the series");
	bg_buf_free(&html);
	check_samples_file(db, site);

	/* nothing new: nothing measured, the same single regression */
	EXPECT_EXIT(0, bitgate(&f, "nightly", "--branch", "main", "--no-tests", "--site", site,
			       NULL));
	TF_CHECK(strstr(bg_buf_cstr(&err_text), "measuring 0") != NULL, "stderr:\n%s",
		 bg_buf_cstr(&err_text));
	TF_CHECK_EQ(count_nightly_runs(db), N_COMMITS);
	TF_CHECK(bg_db_regression_list(db, 0, &r, &n) == 0, "%s", bg_error_last());
	TF_CHECK_EQ(n, 1);
	bg_db_regression_list_free(r, n);
	bg_db_close(db);
	fx_done(&f);
}

TF_TEST(integration__nightly_spreads_and_skips_broken_builds)
{
	struct fx f;
	make_line(&f, "nightly-spread", 3);
	char site[700];
	snprintf(site, sizeof(site), "%s/site", f.root);
	/* 4 of 12: the newest and an even spread (0, 4, 7 and 11 of the 12) */
	EXPECT_EXIT(0, bitgate(&f, "nightly", "--branch", "main", "--max-commits", "4",
			       "--repetitions", "1", "--no-tests", "--site", site, NULL));
	struct bg_db *db = open_db(&f);
	TF_CHECK_EQ(count_nightly_runs(db), 4);
	struct bg_run_rec *runs;
	TF_CHECK(runs_of(db, shas[N_COMMITS - 1], &runs) == 1, "the newest was not measured");
	bg_db_run_list_free(runs, 1);
	/* everything else, the broken commit included */
	EXPECT_EXIT(0, bitgate(&f, "nightly", "--branch", "main", "--max-commits", "20",
			       "--repetitions", "1", "--no-tests", "--site", site, NULL));
	TF_CHECK_EQ(count_nightly_runs(db), N_COMMITS);
	size_t n = runs_of(db, shas[3], &runs);
	TF_CHECK(n == 1 && !strcmp(runs[0].status, "build-failed"), "broken commit: %zu runs", n);
	bg_db_run_list_free(runs, n);
	/* the broken commit is not tried again */
	EXPECT_EXIT(0, bitgate(&f, "nightly", "--branch", "main", "--no-tests", "--site", site,
			       NULL));
	TF_CHECK_EQ(count_nightly_runs(db), N_COMMITS);
	TF_CHECK(strstr(bg_buf_cstr(&err_text), "1 cannot be") != NULL, "stderr:\n%s",
		 bg_buf_cstr(&err_text));
	bg_db_close(db);
	fx_done(&f);
}

/* A repository that adopted bitgate mid-history: its first 3 commits have no bitgate.json.
 * The nightly records each of them once as not measurable (status config-error, the reason
 * stored), spends its commits on those that have one, renders the site and exits 0; the
 * next nightly does not try them again. */
TF_TEST(integration__nightly_over_commits_without_bitgate_json)
{
	struct fx f;
	fx_init(&f, "nightly-adopt");
	char early[3][41], later[3][41], site[700];
	TF_CHECK(tg_remove(f.repo, "bitgate.json") == 0, "rm bitgate.json");
	for (int i = 0; i < 3; i++)
		commit_cost(&f, 1000000 + i, 4, 0, early[i]);
	TF_CHECK(tg_write(f.repo, "bitgate.json", it_config_json) == 0, "write bitgate.json");
	for (int i = 0; i < 3; i++)
		commit_cost(&f, 1000000 + i, 4, 0, later[i]);
	snprintf(site, sizeof(site), "%s/site", f.root);
	EXPECT_EXIT(0, bitgate(&f, "nightly", "--branch", "main", "--max-commits", "2",
			       "--repetitions", "1", "--no-tests", "--site", site, NULL));
	TF_CHECK(strstr(bg_buf_cstr(&err_text), "3 cannot be") &&
			 strstr(bg_buf_cstr(&err_text), "3 new; measuring 2"),
		 "stderr:\n%s", bg_buf_cstr(&err_text));
	char index[800];
	snprintf(index, sizeof(index), "%s/index.html", site);
	TF_CHECK(bg_fs_exists(index), "no site at %s", site);
	struct bg_db *db = open_db(&f);
	struct bg_run_rec *runs;
	for (int i = 0; i < 3; i++) {
		size_t n = runs_of(db, early[i], &runs);
		TF_CHECK(n == 1 && !strcmp(runs[0].status, "config-error") && !runs[0].complete,
			 "commit %d without bitgate.json: %zu runs, %s", i, n,
			 n ? runs[0].status : "-");
		bg_db_run_list_free(runs, n);
	}
	size_t n = runs_of(db, later[2], &runs);
	TF_CHECK(n == 1 && runs[0].complete, "the newest was not measured");
	bg_db_run_list_free(runs, n);
	/* the rest is measured; the commits without bitgate.json are not tried again */
	EXPECT_EXIT(0, bitgate(&f, "nightly", "--branch", "main", "--max-commits", "20",
			       "--repetitions", "1", "--no-tests", "--site", site, NULL));
	TF_CHECK(strstr(bg_buf_cstr(&err_text), "3 cannot be") &&
			 strstr(bg_buf_cstr(&err_text), "1 new; measuring 1"),
		 "stderr:\n%s", bg_buf_cstr(&err_text));
	TF_CHECK_EQ(count_nightly_runs(db), 6);
	bg_db_close(db);
	fx_done(&f);
}

/* The nightly spreads its runs when commits pile up, so a regression's range can hold several
 * commits; --bisect then finds the exact one, and the regression keeps its identity while
 * its range narrows to that commit. A first nightly measures commits 0..11; commits 12..18
 * follow, of which a second nightly measures only 4 (the newest and a spread: 12, 14, 16,
 * 18). The slowdown comes with commit 13, which only the bisect of a third nightly
 * (--max-commits 0 --bisect) measures. */
TF_TEST(integration__nightly_bisects_a_range_it_spread_over)
{
	enum { N = 19, SLOW = 13 };
	struct fx f;
	char line[N][41];
	char site[700];
	fx_init(&f, "nightly-bisect");
	snprintf(site, sizeof(site), "%s/site", f.root);
	const int upto[3] = {12, N, N};
	const char *max[3] = {"20", "4", "0"};
	for (int stage = 0, i = 0; stage < 3; stage++) {
		for (; i < upto[stage]; i++)
			commit_cost(&f, (i >= SLOW ? 1100000L : 1000000L) + i, 4, 0, line[i]);
		EXPECT_EXIT(0, bitgate(&f, "nightly", "--branch", "main", "--max-commits",
				       max[stage], "--repetitions", "1", "--no-tests", "--site",
				       site, stage == 2 ? "--bisect" : NULL, NULL));
	}
	struct bg_db *db = open_db(&f);
	struct bg_run_rec *runs;
	size_t nr = runs_of(db, line[SLOW], &runs);
	TF_CHECK(nr == 1 && runs[0].label && !strcmp(runs[0].label, "bisect"),
		 "commit %d: %zu runs, want the bisect's alone", SLOW, nr);
	bg_db_run_list_free(runs, nr);
	struct bg_regression_rec *r;
	size_t n;
	TF_CHECK(bg_db_regression_list(db, 0, &r, &n) == 0, "%s", bg_error_last());
	TF_CHECK(n == 1, "%zu regressions:\n%s", n, bg_buf_cstr(&out_text));
	TF_CHECK(r[0].suspect_sha && !strcmp(r[0].suspect_sha, line[SLOW]),
		 "suspect %.10s, want %.10s (commit %d)\n%s",
		 r[0].suspect_sha ? r[0].suspect_sha : "none", line[SLOW], SLOW,
		 bg_buf_cstr(&out_text));
	/* the analysis after the bisect sees the slow commit: the range is exactly it */
	TF_CHECK(!strcmp(r[0].good_sha, line[SLOW - 1]) && !strcmp(r[0].bad_sha, line[SLOW]),
		 "range %.10s..%.10s, want commits %d..%d", r[0].good_sha, r[0].bad_sha, SLOW - 1,
		 SLOW);
	TF_CHECK(r[0].suspect_rel > 0.07 && r[0].suspect_rel < 0.13 && r[0].suspect_lo > 0,
		 "suspect's ratio %g [%g, %g]", r[0].suspect_rel, r[0].suspect_lo, r[0].suspect_hi);
	bg_db_regression_list_free(r, n);
	TF_CHECK(strstr(bg_buf_cstr(&out_text), "bisected loop/scalar") != NULL, "%s",
		 bg_buf_cstr(&out_text));

	/* the dashboard names the suspect */
	char path[800];
	snprintf(path, sizeof(path), "%s/index.html", site);
	struct bg_buf html = BG_BUF_INIT;
	TF_CHECK(bg_fs_read(&html, path) == 0, "no %s", path);
	char short_slow[11];
	snprintf(short_slow, sizeof(short_slow), "%.10s", line[SLOW]);
	TF_CHECK(strstr(bg_buf_cstr(&html), short_slow) != NULL, "index does not name %s",
		 short_slow);
	TF_CHECK(strstr(bg_buf_cstr(&html), "not bisected") == NULL, "index: not bisected");
	bg_buf_free(&html);
	bg_db_close(db);
	fx_done(&f);
}
