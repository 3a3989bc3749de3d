/* bitgate site: the dashboard of every machine in a database, rendered without a repository
 * from nightly runs of two machines stored through bg_db_* (each with its own regression),
 * in a SQLite file and in a database of the run's PostgreSQL server (pg_fixture.c). */
#include <stdlib.h>
#include <string.h>

#include "bg_buf.h"
#include "bg_db.h"
#include "bg_error.h"
#include "bg_fs.h"
#include "it_fixture.h"
#include "pg_fixture.h"
#include "tf.h"

#define N_COMMITS 12

struct fleet {
	struct fx f; /* f.repo is a plain directory: no repository */
	char site[700];
	char sha[N_COMMITS][41];
	int64_t machine[2];
};

static const char *const cpus[2] = {"Zen 3 test CPU", "Sapphire Rapids test CPU"};
/* how the site names each: the first machine's runs come from the pool zen3's queue */
static const char *const labels[2] = {"zen3: Zen 3 test CPU", "Sapphire Rapids test CPU"};
static const int step_at[2] = {4, 8};            /* the first slower commit of each */
static const double level[2] = {1000.0, 2000.0}; /* ns before the step; 10% more after */

/* A complete nightly run of machine m at commit i: five samples of b/one around its level. */
/* Stores the run; returns its uuid (free() it). */
static char *store_run(struct bg_db *db, struct fleet *fl, int m, int i)
{
	struct bg_run_rec r = {
		.kind = "nightly", .commit_sha = fl->sha[i], .machine_id = fl->machine[m]};
	TF_CHECK(bg_db_run_begin(db, &r) == 0, "%s", bg_error_last());
	struct bg_bench_set *s = calloc(1, sizeof(*s));
	s->format = strdup("bitgate-bench/1");
	s->v = calloc(1, sizeof(*s->v));
	s->n = 1;
	struct bg_bench *b = &s->v[0];
	b->name = strdup("b/one");
	b->unit = strdup("ns");
	b->checked = 1;
	b->iterations = 1;
	b->samples = calloc(5, sizeof(double));
	b->n_samples = 5;
	double v = level[m] * (i >= step_at[m] ? 1.10 : 1.0);
	for (int j = 0; j < 5; j++)
		b->samples[j] = v * (1 + 0.001 * ((i * 7 + j * 3) % 5 - 2));
	TF_CHECK(bg_db_run_add_bench(db, r.id, 0, "default", "", s) == 0, "%s", bg_error_last());
	bg_bench_set_free(s);
	/* the suite "cpu", passing on every commit */
	struct bg_test_case tc = {.name = "adds", .outcome = BG_TEST_PASSED};
	struct bg_test_suite suite = {.suite = "cpu", .passed = 1, .cases = &tc, .n = 1};
	TF_CHECK(bg_db_run_add_tests(db, r.id, &suite) == 0, "%s", bg_error_last());
	TF_CHECK(bg_db_run_finish(db, r.id, "ok", 1) == 0, "%s", bg_error_last());
	return r.uuid;
}

/* The first machine's runs, each made for a claim of the pool zen3's queue and released
 * with it, as bitgate nightly --claim --pool zen3 makes them (the runs get the pool). */
static void pooled_runs(struct bg_db *db, struct fleet *fl)
{
	const char *shas[N_COMMITS];
	for (int i = 0; i < N_COMMITS; i++)
		shas[i] = fl->sha[i];
	TF_CHECK(bg_db_queue_enqueue(db, "zen3", "nightly", shas, N_COMMITS, 0, NULL) == 0, "%s",
		 bg_error_last());
	for (int k = 0; k <= N_COMMITS; k++) {
		struct bg_queue_claim c;
		int found = 0, i = 0;
		TF_CHECK(bg_db_queue_claim(db, "zen3", "nightly", "runner", 60000, &c, &found, NULL,
					   NULL) == 0,
			 "%s", bg_error_last());
		if (!found)
			return;
		while (i < N_COMMITS && strcmp(fl->sha[i], c.sha))
			i++;
		TF_CHECK(i < N_COMMITS, "claimed %s, not queued", c.sha);
		char *uuid = store_run(db, fl, 0, i);
		TF_CHECK(bg_db_queue_release(db, &c, "runner", 1, uuid) == 0, "%s",
			 bg_error_last());
		free(uuid);
	}
	TF_CHECK(0, "the queue never ran dry");
}

/* Two machines, one line of commits (each the first parent of the next), every commit
 * measured by both, in the database server names (NULL: a SQLite file). */
static void fleet_init(struct fleet *fl, const char *tag, const char *server)
{
	memset(fl, 0, sizeof(*fl));
	tf_tmpdir_in(fl->f.root, sizeof(fl->f.root), tag);
	snprintf(fl->f.repo, sizeof(fl->f.repo), "%s", fl->f.root);
	if (server)
		snprintf(fl->f.db, sizeof(fl->f.db), "%s", server);
	else
		snprintf(fl->f.db, sizeof(fl->f.db), "%s/fleet.db", fl->f.root);
	snprintf(fl->site, sizeof(fl->site), "%s/site", fl->f.root);
	struct bg_db *db;
	TF_CHECK(bg_db_open(&db, fl->f.db) == 0, "%s", bg_error_last());
	for (int m = 0; m < 2; m++) {
		char fp[16];
		snprintf(fp, sizeof(fp), "fp-%d", m);
		struct bg_machine_rec rec = {.fingerprint = fp,
					     .hostname = "runner",
					     .cpu = (char *)cpus[m],
					     .cores = 4,
					     .os = "Linux"};
		TF_CHECK(bg_db_machine_put(db, &rec, &fl->machine[m]) == 0, "%s", bg_error_last());
	}
	for (int i = 0; i < N_COMMITS; i++) {
		char subject[32];
		snprintf(fl->sha[i], sizeof(fl->sha[i]), "%08x%032d", 0xc0ffee00u + i, i);
		snprintf(subject, sizeof(subject), "commit %d", i);
		struct bg_commit_rec c = {.sha = fl->sha[i],
					  .parent = i ? fl->sha[i - 1] : NULL,
					  .subject = subject,
					  .time = 1700000000 + 3600 * i};
		TF_CHECK(bg_db_commit_put(db, &c) == 0, "%s", bg_error_last());
	}
	pooled_runs(db, fl);
	for (int i = 0; i < N_COMMITS; i++)
		free(store_run(db, fl, 1, i));
	bg_db_close(db);
}

/* The regressions stored: one per machine, at its step. */
static void check_regressions(struct fleet *fl)
{
	struct bg_db *db = open_db(&fl->f);
	struct bg_regression_rec *regs;
	size_t n;
	TF_CHECK(bg_db_regression_list(db, 0, &regs, &n) == 0, "%s", bg_error_last());
	TF_CHECK(n == 2, "%zu regressions stored, want one per machine", n);
	for (int m = 0; m < 2; m++) {
		size_t k = 0;
		while (k < n && regs[k].machine_id != fl->machine[m])
			k++;
		TF_CHECK(k < n, "no regression on %s", cpus[m]);
		TF_CHECK(!strcmp(regs[k].bad_sha, fl->sha[step_at[m]]) &&
				 !strcmp(regs[k].good_sha, fl->sha[step_at[m] - 1]),
			 "%s: regression %.10s..%.10s, want commit %d", cpus[m], regs[k].good_sha,
			 regs[k].bad_sha, step_at[m]);
		TF_CHECK(regs[k].rel > 0.08 && regs[k].rel < 0.12, "%s: %+.3f", cpus[m],
			 regs[k].rel);
	}
	bg_db_regression_list_free(regs, n);
	bg_db_close(db);
}

/* Each machine's series page: one per machine, naming its machine. */
static void check_pages(struct fleet *fl)
{
	struct bg_buf index = BG_BUF_INIT;
	char path[800];
	snprintf(path, sizeof(path), "%s/index.html", fl->site);
	TF_CHECK(bg_fs_read(&index, path) == 0, "%s: %s", path, bg_error_last());
	size_t pages = 0;
	for (const char *p = index.ptr; (p = strstr(p, "href=\"series/")); p++) {
		const char *q = p + strlen("href=\"");
		const char *end = strchr(q, '"');
		TF_CHECK(end && end - q < 300, "a link to a series page");
		snprintf(path, sizeof(path), "%s/%.*s", fl->site, (int)(end - q), q);
		struct bg_buf page = BG_BUF_INIT;
		TF_CHECK(bg_fs_read(&page, path) == 0, "%s: %s", path, bg_error_last());
		int zen = strstr(page.ptr, cpus[0]) != NULL,
		    spr = strstr(page.ptr, cpus[1]) != NULL;
		TF_CHECK(zen != spr, "%s names %s machine", path, zen ? "both a" : "no");
		bg_buf_free(&page);
		pages++;
	}
	/* each series is linked from its card (plot and caption) and its regression's row */
	TF_CHECK(pages == 6, "%zu links to series pages, want 6", pages);
	for (int m = 0; m < 2; m++) {
		char suite[100];
		snprintf(suite, sizeof(suite), "cpu on %s", labels[m]);
		TF_CHECK(strstr(index.ptr, suite), "the index has no suite '%s'", suite);
	}
	bg_buf_free(&index);
}

static void renders_every_machine(struct fleet *fl)
{
	EXPECT_EXIT(0, bitgate(&fl->f, "site", "--site", fl->site, NULL));
	TF_CHECK(strstr(out_text.ptr, "site: 2 machines, 2 series, 2 regressions (2 open)"),
		 "summary:\n%s", out_text.ptr);
	for (int m = 0; m < 2; m++) {
		char want[200];
		snprintf(want, sizeof(want),
			 "between %.10s and %.10s (ns, lower is better: it rose) on %s",
			 fl->sha[step_at[m] - 1], fl->sha[step_at[m]], labels[m]);
		TF_CHECK(strstr(out_text.ptr, want), "no line '%s' in:\n%s", want, out_text.ptr);
	}
	TF_CHECK(strstr(err_text.ptr, "no bitgate.json"), "the defaults not said:\n%s",
		 err_text.ptr);
	check_regressions(fl);
	check_pages(fl);
	/* a second rendering finds the same and stores nothing new */
	EXPECT_EXIT(0, bitgate(&fl->f, "site", "--site", fl->site, NULL));
	check_regressions(fl);
}

TF_TEST(integration__site_renders_every_machine)
{
	struct fleet fl;
	fleet_init(&fl, "site-fleet", NULL);
	renders_every_machine(&fl);
	bg_fs_rmtree(fl.f.root);
}

TF_TEST(integration__site_renders_every_machine_pg)
{
	char server[600];
	snprintf(server, sizeof(server), "%s", pg_fixture_new_db("site"));
	struct fleet fl;
	fleet_init(&fl, "site-fleet-pg", server);
	renders_every_machine(&fl);
	bg_fs_rmtree(fl.f.root);
}

/* --config's acknowledgements and commit links reach the analysis and the pages. */
TF_TEST(integration__site_reads_its_config)
{
	struct fleet fl;
	fleet_init(&fl, "site-config", NULL);
	struct bg_buf cfg = BG_BUF_INIT;
	const char *end = strrchr(it_config_json, '}');
	bg_buf_put(&cfg, it_config_json, (size_t)(end - it_config_json));
	bg_buf_printf(&cfg,
		      ",\n  \"nightly\": {\"commit_url\": \"https://example.com/c/{sha}\"},\n"
		      "  \"acknowledge\": [{\"series\": \"b/one*\", \"commit\": \"%.12s\", "
		      "\"reason\": \"the price of a fix\"}]\n}\n",
		      fl.sha[step_at[0]]);
	char path[800];
	snprintf(path, sizeof(path), "%s/bitgate.json", fl.f.root);
	TF_CHECK(bg_fs_write(path, cfg.ptr, cfg.len) == 0, "%s", path);
	EXPECT_EXIT(0, bitgate(&fl.f, "site", "--site", fl.site, "--config", path, NULL));
	/* only the Zen machine's step is at the acknowledged commit */
	TF_CHECK(strstr(out_text.ptr, "2 regressions (1 open)"), "summary:\n%s", out_text.ptr);
	struct bg_buf index = BG_BUF_INIT;
	snprintf(path, sizeof(path), "%s/index.html", fl.site);
	TF_CHECK(bg_fs_read(&index, path) == 0, "%s", path);
	TF_CHECK(strstr(index.ptr, "the price of a fix"), "no reason on the index");
	char link[600];
	snprintf(link, sizeof(link), "https://example.com/c/%s", fl.sha[step_at[1]]);
	TF_CHECK(strstr(index.ptr, link), "no commit link %s on the index", link);
	bg_buf_free(&index);
	bg_buf_free(&cfg);
	bg_fs_rmtree(fl.f.root);
}

TF_TEST(integration__site_bad_input_is_named)
{
	struct fleet fl;
	fleet_init(&fl, "site-bad", NULL);
	char missing[700];
	snprintf(missing, sizeof(missing), "%s/nope.json", fl.f.root);
	EXPECT_EXIT(2, bitgate(&fl.f, "site", "--config", missing, NULL));
	TF_CHECK(strstr(err_text.ptr, missing), "the config not named:\n%s", err_text.ptr);
	EXPECT_EXIT(2, bitgate(&fl.f, "site", "--depth", "0", NULL));
	EXPECT_EXIT(2, bitgate(&fl.f, "site", "extra", NULL));
	EXPECT_EXIT(0, bitgate(&fl.f, "site", "--help", NULL));
	TF_CHECK(strstr(out_text.ptr, "every machine"), "help:\n%s", out_text.ptr);
	bg_fs_rmtree(fl.f.root);
}
