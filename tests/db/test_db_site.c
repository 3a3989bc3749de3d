/* db/: the dashboard's queries (db_site.c): where each sample of a walked series came from,
 * run and round, aligned with bg_db_series_walk's samples. */
#include <stdlib.h>
#include <string.h>

#include "bg_db.h"
#include "bg_error.h"
#include "bg_fs.h"
#include "db_fixture.h"
#include "tf.h"

struct fx {
	char dir[256], path[768];
	struct bg_db *db;
	int64_t machine;
	char sha[3][41];
};

static void fx_open(struct fx *f)
{
	tf_tmpdir_in(f->dir, sizeof(f->dir), "bgsite");
	db_test_target(f->path, sizeof(f->path), f->dir, "bitgate.db");
	CHECK_OK(bg_db_open(&f->db, f->path));
	struct bg_machine_rec m = {.fingerprint = "fp-s",
				   .hostname = "h",
				   .cpu = "cpu",
				   .flags = "avx2",
				   .cores = 2,
				   .os = "Linux"};
	CHECK_OK(bg_db_machine_put(f->db, &m, &f->machine));
	for (int i = 0; i < 3; i++) {
		snprintf(f->sha[i], sizeof(f->sha[i]), "%040d", i + 1);
		struct bg_commit_rec c = {.sha = f->sha[i], .subject = "c", .time = 1000 + i};
		CHECK_OK(bg_db_commit_put(f->db, &c));
	}
}

/* Adds round `round` of run to the database: "b/one" with samples v, v+1 (skipped when
 * skip), "b/two" with 100 + v. */
static void add_round(struct fx *f, int64_t run, int round, double v, int skip)
{
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
		if (i == 0 && skip) {
			b->skipped = strdup("no GPU");
			continue;
		}
		b->iterations = 1;
		b->n_samples = i ? 1 : 2;
		b->samples = calloc(2, sizeof(double));
		b->samples[0] = v + 100 * i;
		b->samples[1] = v + 1;
	}
	CHECK_OK(bg_db_run_add_bench(f->db, run, round, "default", "", s));
	bg_bench_set_free(s);
}

static int64_t begin_run(struct fx *f, const char *sha)
{
	struct bg_run_rec r = {
		.kind = "nightly", .commit_sha = (char *)sha, .machine_id = f->machine};
	CHECK_OK(bg_db_run_begin(f->db, &r));
	free(r.uuid);
	return r.id;
}

TF_TEST(db_site__origins_follow_the_walk)
{
	struct fx f;
	fx_open(&f);
	int64_t r1 = begin_run(&f, f.sha[1]); /* two rounds, the second skips b/one */
	add_round(&f, r1, 0, 10, 0);
	add_round(&f, r1, 1, 20, 1);
	add_round(&f, r1, 2, 30, 0);
	CHECK_OK(bg_db_run_finish(f.db, r1, "ok", 1));
	int64_t r0 = begin_run(&f, f.sha[0]);
	add_round(&f, r0, 0, 50, 0);
	CHECK_OK(bg_db_run_finish(f.db, r0, "ok", 1));
	int64_t r2 = begin_run(&f, f.sha[1]); /* a second run at the same commit */
	add_round(&f, r2, 0, 70, 0);
	CHECK_OK(bg_db_run_finish(f.db, r2, "ok", 1));
	int64_t inc = begin_run(&f, f.sha[2]); /* incomplete: left out by both */
	add_round(&f, inc, 0, 90, 0);
	CHECK_OK(bg_db_run_finish(f.db, inc, "interrupted", 0));

	const char *shas[3] = {f.sha[1], f.sha[0], f.sha[2]};
	struct bg_walk_series *v;
	size_t n;
	CHECK_OK(bg_db_series_walk(f.db, f.machine, "nightly", NULL, shas, 3, &v, &n));
	TF_CHECK(n == 2 && !strcmp(v[0].benchmark, "b/one"), "%zu series", n);
	TF_CHECK_EQ(bg_db_walk_total(&v[0]), 8);
	struct bg_sample_origin *o;
	CHECK_OK(bg_db_series_origins(f.db, f.machine, "nightly", &v[0], shas, 3, &o));
	/* sha1: run r1 rounds 0 and 2 (10 11 30 31), then r2 (70 71); sha0: r0 (50 51) */
	static const double want_v[8] = {10, 11, 30, 31, 70, 71, 50, 51};
	const struct bg_sample_origin want_o[8] = {{r1, 0}, {r1, 0}, {r1, 2}, {r1, 2},
						   {r2, 0}, {r2, 0}, {r0, 0}, {r0, 0}};
	for (size_t k = 0, p = 0, j = 0; k < 8; k++, j++) {
		if (j == v[0].points[p].n)
			p++, j = 0;
		TF_CHECK(v[0].points[p].samples[j] == want_v[k], "sample %zu: %g", k,
			 v[0].points[p].samples[j]);
		TF_CHECK(o[k].run == want_o[k].run && o[k].round == want_o[k].round,
			 "sample %zu: run %lld round %d, want %lld %d", k, (long long)o[k].run,
			 o[k].round, (long long)want_o[k].run, want_o[k].round);
	}
	free(o);
	/* b/two has one sample a round: r1's three rounds, then r2, then r0 */
	CHECK_OK(bg_db_series_origins(f.db, f.machine, "nightly", &v[1], shas, 3, &o));
	TF_CHECK(o[1].run == r1 && o[1].round == 1 && o[3].run == r2 && o[4].run == r0,
		 "b/two origins");
	free(o);

	/* a run recorded after the walk: the origins no longer match, and say so */
	int64_t late = begin_run(&f, f.sha[0]);
	add_round(&f, late, 0, 80, 0);
	CHECK_OK(bg_db_run_finish(f.db, late, "ok", 1));
	o = (struct bg_sample_origin *)&f; /* must be reset */
	int rc = bg_db_series_origins(f.db, f.machine, "nightly", &v[0], shas, 3, &o);
	TF_CHECK(rc == BG_EINPUT && o == NULL, "rc %d", rc);
	TF_CHECK(strstr(bg_error_last(), "b/one") && strstr(bg_error_last(), "render again"),
		 "message: %s", bg_error_last());
	bg_db_series_walk_free(v, n);
	bg_db_close(f.db);
	bg_fs_rmtree(f.dir);
}

/* Stores a suite of run: counts only (the cases do not matter to the walk). */
static void add_suite(struct fx *f, int64_t run, const char *name, int passed, int failed,
		      int errored, int skipped)
{
	struct bg_test_suite t = {.suite = (char *)name,
				  .passed = passed,
				  .failed = failed,
				  .errored = errored,
				  .skipped = skipped};
	CHECK_OK(bg_db_run_add_tests(f->db, run, &t));
}

TF_TEST(db_site__suite_walk_sums_runs_per_commit)
{
	struct fx f;
	fx_open(&f);
	int64_t a = begin_run(&f, f.sha[1]);
	add_suite(&f, a, "unit", 10, 1, 0, 2);
	add_suite(&f, a, "gpu", 0, 0, 0, 5);
	CHECK_OK(bg_db_run_finish(f.db, a, "tests-failed", 1));
	int64_t b = begin_run(&f, f.sha[1]); /* a second run at the same commit: summed */
	add_suite(&f, b, "unit", 11, 0, 1, 0);
	CHECK_OK(bg_db_run_finish(f.db, b, "ok", 1));
	int64_t c = begin_run(&f, f.sha[0]);
	add_suite(&f, c, "unit", 12, 0, 0, 0);
	CHECK_OK(bg_db_run_finish(f.db, c, "ok", 1));
	struct bg_run_rec r = {.kind = "nightly",
			       .commit_sha = f.sha[2],
			       .machine_id = f.machine,
			       .label = "bisect"};
	CHECK_OK(bg_db_run_begin(f.db, &r)); /* bisect's: left out */
	free(r.uuid);
	add_suite(&f, r.id, "unit", 0, 12, 0, 0);
	CHECK_OK(bg_db_run_finish(f.db, r.id, "ok", 1));

	const char *shas[3] = {f.sha[1], f.sha[2], f.sha[0]};
	struct bg_suite_walk *v;
	size_t n;
	CHECK_OK(bg_db_suite_walk(f.db, f.machine, "nightly", shas, 3, &v, &n));
	TF_CHECK(n == 2 && !strcmp(v[0].suite, "gpu") && !strcmp(v[1].suite, "unit"), "%zu", n);
	TF_CHECK(v[0].n_points == 1 && v[0].points[0].skipped == 5, "gpu");
	TF_CHECK_EQ(v[1].n_points, 2);
	const struct bg_suite_point *p = v[1].points;
	TF_CHECK(p[0].pos == 0 && p[0].passed == 21 && p[0].failed == 1 && p[0].errored == 1 &&
			 p[0].skipped == 2,
		 "sha1: pos %zu %d %d %d %d", p[0].pos, p[0].passed, p[0].failed, p[0].errored,
		 p[0].skipped);
	TF_CHECK(p[1].pos == 2 && p[1].passed == 12 && p[1].failed == 0, "sha0: pos %zu %d",
		 p[1].pos, p[1].passed);
	bg_db_suite_walk_free(v, n);
	CHECK_OK(bg_db_suite_walk(f.db, f.machine + 1, "nightly", shas, 3, &v, &n));
	TF_CHECK(n == 0, "another machine's suites: %zu", n);
	bg_db_suite_walk_free(v, n);
	bg_db_close(f.db);
	bg_fs_rmtree(f.dir);
}
