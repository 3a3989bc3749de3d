/* The measurement engine (harness/engine.c) on a throwaway repository whose bench and test
 * suite are shell scripts: rounds stored sample by sample, a suite's JUnit report stored
 * and counted, and each way a suite can fail (no report, killed at its timeout) recorded
 * as the subject's failure with a message naming the suite. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app_fixture.h"
#include "bg_buf.h"
#include "bg_engine.h"
#include "bg_error.h"
#include "bg_fs.h"
#include "tf.h"
#include "tg_fixture.h"

static const char bench_sh[] =
	"echo '{\"schema\": \"bitgate-bench/1\", \"context\": {\"program\": \"sh\", "
	"\"threads\": 1, \"kernels\": [\"scalar\"]}, \"benchmarks\": [{\"name\": \"loop/sh\", "
	"\"unit\": \"ns\", \"samples\": [10, 11, 12], \"iterations\": 1, \"elements\": 1, "
	"\"kernel\": \"scalar\", \"checked\": true}]}'\n";

static const char junit_sh[] =
	"cat > \"$1\" <<EOF\n<?xml version=\"1.0\"?>\n<testsuites><testsuite name=\"t\">\n"
	"<testcase name=\"a\"/><testcase name=\"b\"><failure message=\"no\"/></testcase>\n"
	"<testcase name=\"c\"><skipped/></testcase>\n</testsuite></testsuites>\nEOF\nexit 1\n";

/* A repository with bench.sh, test.sh (test_sh) and a bitgate.json running them, the
 * suite with a timeout of timeout_s; the state under <dir>/.bitgate. */
static void setup(struct app_fixture *f, const char *tag, const char *test_sh, double timeout_s)
{
	memset(f, 0, sizeof(*f));
	char sha[41], cfg[1024];
	snprintf(cfg, sizeof(cfg),
		 "{\"version\": 1, \"build\": [{\"name\": \"none\", \"argv\": [\"true\"]}], "
		 "\"bench\": {\"argv\": [\"sh\", \"{src}/bench.sh\"], \"warmup\": 0}, "
		 "\"tests\": [{\"suite\": \"sh\", \"argv\": [\"sh\", \"{src}/test.sh\", "
		 "\"{out}/r.xml\"], \"junit\": \"{out}/r.xml\", \"timeout_s\": %g}]}",
		 timeout_s);
	TF_CHECK(tg_tmpdir(f->dir, sizeof(f->dir), tag) == 0, "tg_tmpdir");
	TF_CHECK(tg_repo_init(f->dir) == 0, "tg_repo_init");
	TF_CHECK(tg_write(f->dir, "bench.sh", bench_sh) == 0, "write");
	TF_CHECK(tg_write(f->dir, "test.sh", test_sh) == 0, "write");
	TF_CHECK(tg_write(f->dir, "bitgate.json", cfg) == 0, "write");
	TF_CHECK(tg_commit(f->dir, "one", sha) == 0, "commit");
	app_fixture_open(f, sha);
}

static void run_one(struct app_fixture *f, struct bg_subject *s, struct bg_engine_opts *o)
{
	*o = (struct bg_engine_opts){.kind = "local",
				     .label = "t",
				     .repetitions = 2,
				     .tests = 1,
				     .pin_cpu = -1,
				     .jobs = 1};
	int rc = bg_engine_run_one(&f->app, s, &f->c, o);
	TF_CHECK(rc == 0, "bg_engine_run_one: %d %s", rc, bg_error_last());
	TF_CHECK(s->run_id > 0, "no run stored");
}

TF_TEST(engine__rounds_and_suite_stored)
{
	struct app_fixture f;
	setup(&f, "engine-ok", junit_sh, 30);
	struct bg_subject s;
	struct bg_engine_opts o;
	memset(&s, 0, sizeof(s));
	run_one(&f, &s, &o);
	TF_CHECK(!s.failed, "failed: %s", s.error ? s.error : "");
	TF_CHECK(!strcmp(s.status, "ok"), "status %s", s.status);
	TF_CHECK_EQ(s.rounds_done, 2);
	TF_CHECK_EQ(s.n_bench, 1);
	TF_CHECK_EQ(s.n_samples, 6);
	/* a non-zero exit is how the runner says a case failed: the report counts */
	TF_CHECK(s.tests_total == 3 && s.tests_passed == 1 && s.tests_failed == 1 &&
			 s.tests_skipped == 1,
		 "tests %d: %d passed %d failed %d skipped", s.tests_total, s.tests_passed,
		 s.tests_failed, s.tests_skipped);

	struct bg_result_rec *res = NULL;
	size_t n = 0;
	TF_CHECK_EQ(bg_db_run_results(f.app.db, s.run_id, &res, &n), 0);
	TF_CHECK(n == 1 && !strcmp(res[0].benchmark, "loop/sh") && res[0].n == 6,
		 "results: %zu, %zu samples", n, n ? res[0].n : 0);
	bg_db_results_free(res, n);
	struct bg_test_suite **suites = NULL;
	TF_CHECK_EQ(bg_db_run_tests(f.app.db, s.run_id, &suites, &n), 0);
	TF_CHECK(n == 1 && suites[0]->n == 3, "suites: %zu", n);
	bg_db_tests_free(suites, n);
	/* the suite's output is kept beside the run's other files */
	char *log = bg_path_joined(s.out_dir, "tests-sh.log");
	TF_CHECK(bg_fs_exists(log), "%s missing", log);
	free(log);
	bg_subject_clear(&s);
	app_fixture_close(&f);
}

TF_TEST(engine__suite_without_report_fails)
{
	struct app_fixture f;
	setup(&f, "engine-noreport", "echo ran without a report\n", 30);
	struct bg_subject s;
	struct bg_engine_opts o;
	memset(&s, 0, sizeof(s));
	run_one(&f, &s, &o);
	TF_CHECK(s.failed && !strcmp(s.status, "tests-failed"), "status %s", s.status);
	TF_CHECK(s.error && strstr(s.error, "tests 'sh': no usable JUnit report (command exit "
					    "status 0): "),
		 "error: %s", s.error ? s.error : "(null)");
	TF_CHECK_EQ(s.rounds_done, 2); /* the bench ran before the tests */
	TF_CHECK_EQ(s.tests_total, 0);
	bg_subject_clear(&s);
	app_fixture_close(&f);
}

TF_TEST(engine__suite_past_its_timeout_fails)
{
	struct app_fixture f;
	setup(&f, "engine-timeout", "echo started; exec sleep 60\n", 0.3);
	struct bg_subject s;
	struct bg_engine_opts o;
	memset(&s, 0, sizeof(s));
	run_one(&f, &s, &o);
	TF_CHECK(s.failed && !strcmp(s.status, "tests-failed"), "status %s", s.status);
	TF_CHECK(s.error && strstr(s.error, "tests 'sh': sh: timed out after ") &&
			 strstr(s.error, "tests-sh.log)"),
		 "error: %s", s.error ? s.error : "(null)");
	bg_subject_clear(&s);
	app_fixture_close(&f);
}

/* bg_compare_measure finishes every side, also those an earlier side's failure (an
 * interrupt during the base's build, a database error) left unprepared: nothing to do, and
 * no crash on their missing options. */
TF_TEST(engine__finish_of_an_unprepared_subject)
{
	struct bg_subject s;
	memset(&s, 0, sizeof(s));
	TF_CHECK_EQ(bg_subject_finish(NULL, &s), 0);
	TF_CHECK(s.status[0] == '\0' && s.run_id == 0, "status \"%s\"", s.status);
}
