/* The new bench formats read from what the real tools print here and now: hyperfine
 * (--export-json) and pytest-benchmark (--benchmark-json), both Debian packages that
 * scripts/bootstrap installs; a case whose tool is missing says so and skips. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bg_bench_parse.h"
#include "bg_buf.h"
#include "bg_error.h"
#include "bg_fs.h"
#include "tf.h"

/* Runs script with sh -c; its status. */
static int sh(const char *script)
{
	const char *const args[] = {"-c", script, NULL};
	struct tf_output r = tf_run("/bin/sh", args, NULL, NULL);
	int status = r.status;
	if (status != 0)
		fprintf(stderr, "sh -c '%s': status %d\n%s%s", script, status, r.out, r.err);
	tf_output_free(&r);
	return status;
}

/* Parses the file at path in format; fails the case on an error. */
static struct bg_bench_set *parse_file(const char *path, const char *format)
{
	struct bg_buf text = BG_BUF_INIT;
	TF_CHECK(bg_fs_read(&text, path) == 0, "%s", bg_error_last());
	struct bg_bench_set *set = NULL;
	int rc = bg_bench_parse(&set, text.ptr, text.len, format, path);
	TF_CHECK(rc == 0, "%s", bg_error_last());
	bg_buf_free(&text);
	return set;
}

TF_TEST(bench_tools__hyperfine_export_reads)
{
	if (sh("command -v hyperfine >/dev/null") != 0)
		TF_SKIP("hyperfine is not installed (scripts/bootstrap installs it)");
	char *dir = tf_tmpdir("bitgate-hyperfine"), cmd[1024], path[600];
	snprintf(path, sizeof(path), "%s/h.json", dir);
	snprintf(cmd, sizeof(cmd),
		 "hyperfine -N --runs 4 --warmup 1 --style none --export-json '%s' true "
		 "'sleep 0.001' >/dev/null",
		 path);
	TF_CHECK_EQ(sh(cmd), 0);
	struct bg_bench_set *set = parse_file(path, BG_FORMAT_HYPERFINE);
	TF_CHECK_EQ(set->n, 2);
	static const char *const names[] = {"true", "sleep 0.001"};
	for (size_t i = 0; i < 2; i++) {
		const struct bg_bench *b = &set->v[i];
		/* without a shell (-N) nothing is subtracted: every run has a time */
		TF_CHECK(!strcmp(b->name, names[i]) && !b->skipped && b->n_samples == 4, "%s: %s",
			 b->name, b->skipped ? b->skipped : "");
		for (size_t k = 0; k < b->n_samples; k++)
			TF_CHECK(b->samples[k] > 0, "%s: sample %zu is %g", b->name, k,
				 b->samples[k]);
	}
	TF_CHECK(set->v[1].samples[0] > 1e6, "sleep 0.001 took %g ns", set->v[1].samples[0]);
	bg_bench_set_free(set);
	bg_fs_rmtree(dir);
	free(dir);
}

/* A python3 that has pytest-benchmark, or NULL. */
static const char *python_with_pytest_benchmark(void)
{
	static const char *const pythons[] = {"/usr/bin/python3", "python3"};
	for (size_t i = 0; i < 2; i++) {
		char cmd[200];
		snprintf(cmd, sizeof(cmd), "%s -c 'import pytest_benchmark' 2>/dev/null",
			 pythons[i]);
		if (sh(cmd) == 0)
			return pythons[i];
	}
	return NULL;
}

TF_TEST(bench_tools__pytest_benchmark_json_reads)
{
	const char *py = python_with_pytest_benchmark();
	if (!py)
		TF_SKIP("no python3 with pytest-benchmark (scripts/bootstrap installs "
			"python3-pytest-benchmark)");
	char *dir = tf_tmpdir("bitgate-pytest"), cmd[2048], path[600], test[600];
	snprintf(test, sizeof(test), "%s/test_t.py", dir);
	FILE *f = fopen(test, "w");
	TF_CHECK(f != NULL, "fopen %s", test);
	fputs("import pytest\n\n"
	      "def test_sum(benchmark):\n    benchmark(sum, range(100))\n\n"
	      "@pytest.mark.parametrize('n', [10, 1000])\n"
	      "def test_sorted(benchmark, n):\n    benchmark(sorted, list(range(n, 0, -1)))\n",
	      f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/p.json", dir);
	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && %s -m pytest -q -p no:cacheprovider test_t.py --benchmark-json='%s' "
		 "--benchmark-save-data --benchmark-min-rounds=3 --benchmark-max-time=0.01 "
		 ">/dev/null",
		 dir, py, path);
	TF_CHECK_EQ(sh(cmd), 0);
	struct bg_bench_set *set = parse_file(path, BG_FORMAT_PYTEST);
	TF_CHECK_EQ(set->n, 3);
	static const char *const names[] = {"test_t.py::test_sum", "test_t.py::test_sorted[10]",
					    "test_t.py::test_sorted[1000]"};
	for (size_t i = 0; i < 3; i++) {
		const struct bg_bench *b = &set->v[i];
		TF_CHECK(!strcmp(b->name, names[i]) && !b->skipped && b->n_samples >= 3 &&
				 b->iterations >= 1,
			 "%s: %zu samples %s", b->name, b->n_samples, b->skipped ? b->skipped : "");
	}
	TF_CHECK(strstr(set->ctx.json, "\"machine_info\""), "context %s", set->ctx.json);
	bg_bench_set_free(set);
	bg_fs_rmtree(dir);
	free(dir);
}
