/* db/: the nightly's queries: measured commits of a line, series along commits, and the
 * regressions table (upsert, bisect's suspect, ordering by state). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bg_db.h"
#include "bg_error.h"
#include "bg_fs.h"
#include "db_fixture.h"
#include "tf.h"

struct fx {
	char dir[256], path[768];
	struct bg_db *db;
	int64_t machine;
	char sha[6][41];
};

static void fx_open(struct fx *f)
{
	tf_tmpdir_in(f->dir, sizeof(f->dir), "bgnightly");
	db_test_target(f->path, sizeof(f->path), f->dir, "bitgate.db");
	CHECK_OK(bg_db_open(&f->db, f->path));
	struct bg_machine_rec m = {.fingerprint = "fp-n", .hostname = "h", .cpu = "cpu",
				   .flags = "avx2", .cores = 2, .os = "Linux"};
	CHECK_OK(bg_db_machine_put(f->db, &m, &f->machine));
	for (int i = 0; i < 6; i++) {
		snprintf(f->sha[i], sizeof(f->sha[i]), "%040d", i + 1);
		struct bg_commit_rec c = {.sha = f->sha[i], .subject = "c", .time = 1000 + i};
		CHECK_OK(bg_db_commit_put(f->db, &c));
	}
}

static void fx_done(struct fx *f)
{
	bg_db_close(f->db);
	bg_fs_rmtree(f->dir);
}

/* A run of kind/label at commit sha storing benchmark "b/one" (samples v, v+1, v+2) and
 * "b/two" (skipped when skip_two), complete or not. */
static int64_t store_run(struct fx *f, const char *sha, const char *kind, const char *label,
			 double v, int skip_two, int complete)
{
	struct bg_run_rec r = {.kind = (char *)kind, .commit_sha = (char *)sha,
			       .machine_id = f->machine, .label = (char *)label};
	CHECK_OK(bg_db_run_begin(f->db, &r));
	struct bg_bench_set *s = calloc(1, sizeof(*s));
	s->format = strdup("bitgate-bench/1");
	s->v = calloc(2, sizeof(*s->v));
	s->n = 2;
	static const char *const names[] = {"b/one", "b/two"};
	for (int i = 0; i < 2; i++) {
		struct bg_bench *b = &s->v[i];
		b->name = strdup(names[i]);
		b->unit = strdup("ns");
		b->checked = 1;
		if (i == 1 && skip_two) {
			b->skipped = strdup("no GPU");
			continue;
		}
		b->iterations = 1;
		b->samples = calloc(3, sizeof(double));
		b->n_samples = 3;
		for (int j = 0; j < 3; j++)
			b->samples[j] = v + j + 100 * i;
	}
	CHECK_OK(bg_db_run_add_bench(f->db, r.id, 0, "default", "", s));
	bg_bench_set_free(s);
	CHECK_OK(bg_db_run_finish(f->db, r.id, complete ? "ok" : "interrupted", complete));
	free(r.uuid);
	return r.id;
}

TF_TEST(db_nightly__commits_measured_counts_complete_runs_and_failed_builds)
{
	struct fx f;
	fx_open(&f);
	store_run(&f, f.sha[0], "nightly", NULL, 10, 0, 1);
	store_run(&f, f.sha[1], "nightly", NULL, 10, 0, 0);     /* interrupted */
	store_run(&f, f.sha[2], "ci", "base", 10, 0, 1);        /* another kind */
	store_run(&f, f.sha[3], "nightly", "bisect", 10, 0, 1); /* a subset */
	store_run(&f, f.sha[4], "nightly", NULL, 10, 1, 1);     /* with a skip: still complete */
	struct bg_run_rec r = {.kind = "nightly", .commit_sha = f.sha[5], .machine_id = f.machine};
	CHECK_OK(bg_db_run_begin(f.db, &r));
	CHECK_OK(bg_db_run_finish(f.db, r.id, "build-failed", 0));
	free(r.uuid);
	const char *shas[6];
	for (int i = 0; i < 6; i++)
		shas[i] = f.sha[i];
	int done[6];
	CHECK_OK(bg_db_commits_measured(f.db, f.machine, "nightly", 0, shas, 6, done));
	static const int want[6] = {BG_COMMIT_MEASURED,   BG_COMMIT_UNMEASURED,
				    BG_COMMIT_UNMEASURED, BG_COMMIT_UNMEASURED,
				    BG_COMMIT_MEASURED,   BG_COMMIT_UNMEASURABLE};
	for (int i = 0; i < 6; i++)
		TF_CHECK(done[i] == want[i], "commit %d: measured %d, want %d", i, done[i],
			 want[i]);
	CHECK_OK(bg_db_commits_measured(f.db, f.machine + 1, "nightly", 0, shas, 6, done));
	TF_CHECK(done[0] == BG_COMMIT_UNMEASURED, "another machine's runs counted");
	/* bisect's own view: its runs count, a failed build of a bisect run included */
	struct bg_run_rec rb = {.kind = "nightly", .commit_sha = f.sha[1], .machine_id = f.machine,
				.label = "bisect"};
	CHECK_OK(bg_db_run_begin(f.db, &rb));
	CHECK_OK(bg_db_run_finish(f.db, rb.id, "build-failed", 0));
	free(rb.uuid);
	CHECK_OK(bg_db_commits_measured(f.db, f.machine, "nightly", 1, shas, 6, done));
	TF_CHECK(done[3] == BG_COMMIT_MEASURED && done[1] == BG_COMMIT_UNMEASURABLE,
		 "with bisect runs: %d %d", done[3], done[1]);
	CHECK_OK(bg_db_commits_measured(f.db, f.machine, "nightly", 0, shas, 6, done));
	TF_CHECK(done[1] == BG_COMMIT_UNMEASURED, "a bisect run counted for the nightly");
	fx_done(&f);
}

TF_TEST(db_nightly__series_walk_follows_the_callers_order)
{
	struct fx f;
	fx_open(&f);
	store_run(&f, f.sha[0], "nightly", NULL, 10, 0, 1);
	store_run(&f, f.sha[2], "nightly", NULL, 30, 1, 1); /* b/two skipped here */
	store_run(&f, f.sha[2], "nightly", "bisect", 40, 0, 1);
	store_run(&f, f.sha[1], "nightly", NULL, 20, 0, 0); /* incomplete: left out */
	store_run(&f, f.sha[5], "nightly", NULL, 60, 0, 1); /* not in the walk */
	/* the walk: sha2 is the oldest, then sha0, then sha1 */
	const char *shas[3] = {f.sha[2], f.sha[0], f.sha[1]};
	struct bg_walk_series *v;
	size_t n;
	CHECK_OK(bg_db_series_walk(f.db, f.machine, "nightly", NULL, shas, 3, &v, &n));
	TF_CHECK_EQ(n, 2);
	TF_CHECK(!strcmp(v[0].benchmark, "b/one") && !strcmp(v[1].benchmark, "b/two"),
		 "order %s %s", v[0].benchmark, v[1].benchmark);
	TF_CHECK(!strcmp(v[0].mode, "default") && !strcmp(v[0].metric, "ns"), "%s %s", v[0].mode,
		 v[0].metric);
	TF_CHECK_EQ(v[0].n_points, 2);
	TF_CHECK(v[0].points[0].pos == 0 && v[0].points[1].pos == 1, "positions %zu %zu",
		 v[0].points[0].pos, v[0].points[1].pos);
	/* sha2 pools its two runs in run order: 30 31 32 40 41 42 */
	TF_CHECK_EQ(v[0].points[0].n, 6);
	TF_CHECK(v[0].points[0].samples[0] == 30 && v[0].points[0].samples[5] == 42,
		 "samples %g .. %g", v[0].points[0].samples[0], v[0].points[0].samples[5]);
	TF_CHECK(v[0].points[1].n == 3 && v[0].points[1].samples[0] == 10, "sha0 samples");
	/* b/two: sha2 has only the bisect run's samples (the other skipped it) */
	TF_CHECK(v[1].n_points == 2 && v[1].points[0].n == 3 && v[1].points[0].samples[0] == 140,
		 "b/two points %zu", v[1].n_points);
	bg_db_series_walk_free(v, n);
	CHECK_OK(bg_db_series_walk(f.db, f.machine, "nightly", "b/two", shas, 3, &v, &n));
	TF_CHECK(n == 1 && !strcmp(v[0].benchmark, "b/two"), "filter: %zu", n);
	bg_db_series_walk_free(v, n);
	fx_done(&f);
}

TF_TEST(db_nightly__regressions_upsert_and_order)
{
	struct fx f;
	fx_open(&f);
	struct bg_regression_rec a = {.machine_id = f.machine, .benchmark = "b/one",
				      .params = "", .metric = "ns", .mode = "default",
				      .good_sha = f.sha[1], .bad_sha = f.sha[2], .rel = 0.10,
				      .lo = 0.08, .hi = 0.12, .p = 0.001, .state = "fixed",
				      .fixed_sha = f.sha[4]};
	struct bg_regression_rec b = a;
	b.benchmark = "b/two";
	b.state = "detected";
	b.fixed_sha = NULL;
	struct bg_regression_rec c = a;
	c.bad_sha = f.sha[3];
	c.state = "acknowledged";
	c.reason = "intended: <b>bigger</b> tiles";
	c.fixed_sha = NULL;
	CHECK_OK(bg_db_regression_put(f.db, &a));
	CHECK_OK(bg_db_regression_put(f.db, &b));
	CHECK_OK(bg_db_regression_put(f.db, &c));
	TF_CHECK(a.id && b.id && c.id && a.id != b.id && b.id != c.id, "ids");
	CHECK_OK(bg_db_regression_set_suspect(f.db, b.id, f.sha[2], 0.11, 0.09, 0.13));
	/* the same regression stored again updates it and keeps its id and suspect */
	struct bg_regression_rec b2 = b;
	b2.id = 0; /* found again by its series and bad commit */
	b2.rel = 0.2;
	b2.good_sha = f.sha[0];
	CHECK_OK(bg_db_regression_put(f.db, &b2));
	TF_CHECK_EQ(b2.id, b.id);
	struct bg_regression_rec *v;
	size_t n;
	CHECK_OK(bg_db_regression_list(f.db, f.machine, &v, &n));
	TF_CHECK_EQ(n, 3);
	TF_CHECK(!strcmp(v[0].state, "detected") && !strcmp(v[1].state, "acknowledged") &&
			 !strcmp(v[2].state, "fixed"),
		 "order %s %s %s", v[0].state, v[1].state, v[2].state);
	TF_CHECK(v[0].rel == 0.2 && !strcmp(v[0].good_sha, f.sha[0]), "update lost: %g", v[0].rel);
	TF_CHECK(v[0].suspect_sha && !strcmp(v[0].suspect_sha, f.sha[2]) &&
			 v[0].suspect_rel == 0.11,
		 "suspect lost");
	TF_CHECK(v[1].reason && !strcmp(v[1].reason, c.reason), "reason");
	TF_CHECK(v[2].fixed_sha && !strcmp(v[2].fixed_sha, f.sha[4]), "fixed_sha");
	bg_db_regression_list_free(v, n);
	TF_CHECK_EQ(bg_db_regression_set_suspect(f.db, 9999, f.sha[0], 0, 0, 0), BG_ENOTFOUND);
	struct bg_regression_rec bad = a;
	bad.state = "maybe";
	TF_CHECK_EQ(bg_db_regression_put(f.db, &bad), BG_EINPUT);

	/* narrowed by id: the range moves, the id, detected time and suspect stay */
	struct bg_regression_rec b4 = b;
	b4.good_sha = f.sha[1];
	b4.bad_sha = f.sha[3];
	b4.rel = 0.12;
	CHECK_OK(bg_db_regression_put(f.db, &b4));
	TF_CHECK_EQ(b4.id, b.id);
	CHECK_OK(bg_db_regression_list(f.db, f.machine, &v, &n));
	TF_CHECK_EQ(n, 3);
	TF_CHECK(!strcmp(v[0].bad_sha, f.sha[3]) && v[0].rel == 0.12 && v[0].suspect_sha,
		 "move lost: %s %g", v[0].bad_sha, v[0].rel);
	bg_db_regression_list_free(v, n);
	b4.id = 9999;
	TF_CHECK_EQ(bg_db_regression_put(f.db, &b4), BG_ENOTFOUND);
	/* removed */
	CHECK_OK(bg_db_regression_delete(f.db, c.id));
	CHECK_OK(bg_db_regression_list(f.db, f.machine, &v, &n));
	TF_CHECK_EQ(n, 2);
	for (size_t i = 0; i < n; i++)
		TF_CHECK(v[i].id != c.id, "regression %lld not removed", (long long)c.id);
	bg_db_regression_list_free(v, n);
	fx_done(&f);
}
