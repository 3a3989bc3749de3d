/* bitgate run: build, bench and test each commit given (revisions or ranges), store every
 * sample, and print a summary per commit. */
#include <cjson/cJSON.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bg_app.h"
#include "bg_cmds.h"
#include "bg_engine.h"
#include "bg_error.h"
#include "bg_log.h"
#include "bg_proc.h"
#include "bg_table.h"

static const struct bg_cmd_info info = {
	"run",
	"bitgate run [options] [REV... | A..B]",
	"Builds each commit (through the build cache), runs its bench command in rounds after a\n"
	"warm-up and its test suites, as its bitgate.json says, and stores every raw sample,\n"
	"the kernel IDs the benchmarks report, the test results and every error in the\n"
	"database. REV is any revision (branch, tag, SHA or prefix, HEAD~3, origin/main) or\n"
	"WORKTREE (the working tree with its uncommitted changes); A..B is every commit\n"
	"reachable from B and not from A, oldest first. Default: HEAD.",
	"A commit that does not build, a benchmark that crashes, hangs or prints something\n"
	"unreadable, or tests that leave no JUnit report: the error is stored with the run\n"
	"(which stays incomplete, so no gate uses it) and the next commit is run.\n\n"
	"exit status: 0 every commit measured; 2 bad usage, an unknown revision, a bad\n"
	"--filter or an unusable bitgate.json; 3 a commit could not be built or measured,\n"
	"or bitgate was interrupted.\n\n"
	"examples:\n"
	"  bitgate run HEAD~5..HEAD --first-parent\n"
	"  bitgate run main WORKTREE --repetitions 3 --filter 'gemv/avx2'\n",
};

static void print_summary(struct bg_subject *s, size_t n, int json)
{
	if (json) {
		cJSON *arr = cJSON_CreateArray();
		for (size_t i = 0; i < n; i++) {
			cJSON *o = cJSON_CreateObject();
			cJSON_AddStringToObject(o, "commit", s[i].commit->sha);
			cJSON_AddBoolToObject(o, "worktree", s[i].commit->worktree);
			cJSON_AddNumberToObject(o, "run", (double)s[i].run_id);
			cJSON_AddStringToObject(o, "status", s[i].status);
			cJSON_AddBoolToObject(o, "build_cached", s[i].build.cached);
			cJSON_AddNumberToObject(o, "build_s", s[i].build.duration_s);
			cJSON_AddNumberToObject(o, "benchmarks", (double)s[i].n_bench);
			cJSON_AddNumberToObject(o, "skipped", (double)s[i].n_skipped);
			cJSON_AddNumberToObject(o, "samples", (double)s[i].n_samples);
			cJSON_AddNumberToObject(o, "tests_passed", s[i].tests_passed);
			cJSON_AddNumberToObject(o, "tests_total", s[i].tests_total);
			cJSON_AddNumberToObject(o, "total_s", s[i].total_s);
			cJSON_AddNumberToObject(o, "own_s", s[i].total_s - s[i].proc_s);
			if (s[i].error)
				cJSON_AddStringToObject(o, "error", s[i].error);
			cJSON_AddItemToArray(arr, o);
		}
		char *text = cJSON_Print(arr);
		if (text)
			printf("%s\n", text);
		free(text);
		cJSON_Delete(arr);
		return;
	}
	static const char *const hdr[] = {"commit", "subject", "build", "benchmarks", "samples",
					  "tests",  "own s",   "run",   "status",     NULL};
	struct bg_table *t;
	if (bg_table_new(&t, hdr) < 0)
		return;
	for (int c = 3; c <= 7; c++)
		bg_table_align(t, (size_t)c, BG_RIGHT);
	for (size_t i = 0; i < n; i++) {
		const struct bg_subject *x = &s[i];
		bg_table_cellf(t, "%.10s%s", x->commit->sha, x->commit->worktree ? "+wt" : "");
		bg_table_cellf(t, "%.40s", x->commit->subject ? x->commit->subject : "");
		if (!x->build.dir && !x->build.build_id)
			bg_table_cell(t, "-");
		else if (!x->build.ok)
			bg_table_cell(t, "FAILED");
		else if (x->build.cached)
			bg_table_cell(t, "cached");
		else
			bg_table_cellf(t, "%.1f s", x->build.duration_s);
		if (x->n_skipped)
			bg_table_cellf(t, "%zu (%zu skipped)", x->n_bench, x->n_skipped);
		else
			bg_table_cellf(t, "%zu", x->n_bench);
		bg_table_cellf(t, "%zu", x->n_samples);
		if (x->opts && x->opts->tests && x->tests_total)
			bg_table_cellf(t, "%d/%d", x->tests_passed, x->tests_total);
		else
			bg_table_cell(t, "-");
		bg_table_cellf(t, "%.2f", x->total_s - x->proc_s);
		bg_table_cellf(t, "%lld", (long long)x->run_id);
		bg_table_cell(t, x->status);
	}
	bg_table_print(t, stdout);
	bg_table_free(t);
	for (size_t i = 0; i < n; i++)
		if (s[i].error)
			printf("%.10s: %s\n", s[i].commit->sha, s[i].error);
}

int cmd_run(int argc, char **argv)
{
	struct bg_engine_opts eo = {.kind = "local", .repetitions = 1, .tests = 1, .pin_cpu = -1};
	const char *format = "table";
	int first_parent = 0;
	const struct bg_opt opts[] = {
		{"repetitions", 'n', BG_OPT_INT, &eo.repetitions, "N",
		 "bench rounds stored per commit (default 1; each round is one bench process)"},
		{"filter", 0, BG_OPT_STR, &eo.filter, "RE",
		 "store only benchmarks whose name matches (POSIX extended regex)"},
		{"tests", 0, BG_OPT_NEGFLAG, &eo.tests, NULL,
		 "run the test suites of bitgate.json (default: on)"},
		{"first-parent", 0, BG_OPT_FLAG, &first_parent, NULL,
		 "ranges follow first parents only"},
		{"pin", 0, BG_OPT_INT, &eo.pin_cpu, "CPU", "pin the bench process to one CPU"},
		{"config", 0, BG_OPT_STR, &eo.config_path, "FILE",
		 "use this bitgate.json instead of each commit's own"},
		{"jobs", 'j', BG_OPT_INT, &eo.jobs, "N", "{jobs} for the build (default: CPUs)"},
		{"rebuild", 0, BG_OPT_FLAG, &eo.rebuild, NULL,
		 "build again even when the cache has the build (or its failure)"},
		{"kind", 0, BG_OPT_STR, &eo.kind, "KIND",
		 "run kind stored: local (default), ci, nightly"},
		{"label", 0, BG_OPT_STR, &eo.label, "TEXT", "a label stored with each run"},
		{"format", 0, BG_OPT_STR, &format, "table|json", "summary format (default table)"},
		{NULL, 0, BG_OPT_END, NULL, NULL, NULL},
	};
	char **pos = NULL;
	int npos = 0;
	int rc = bg_cli_parse(&info, opts, argc, argv, &pos, &npos);
	if (rc)
		return rc == 1 ? BG_EXIT_OK : BG_EXIT_USAGE;
	int json = !strcmp(format, "json");
	if (!json && strcmp(format, "table")) {
		free(pos);
		return bg_cli_usage_error(&info, "--format %s: expected table or json", format);
	}
	if (eo.repetitions < 1 || eo.repetitions > 1000) {
		free(pos);
		return bg_cli_usage_error(&info, "--repetitions %d: expected 1..1000",
					  eo.repetitions);
	}
	if (strcmp(eo.kind, "local") && strcmp(eo.kind, "ci") && strcmp(eo.kind, "nightly")) {
		free(pos);
		return bg_cli_usage_error(&info, "--kind %s: expected local, ci or nightly",
					  eo.kind);
	}
	long ncpu = sysconf(_SC_NPROCESSORS_CONF);
	if (eo.pin_cpu < -1 || eo.pin_cpu >= ncpu) {
		free(pos);
		return bg_cli_usage_error(&info, "--pin %d: this machine has CPUs 0..%ld",
					  eo.pin_cpu, ncpu - 1);
	}
	if (eo.filter) {
		regex_t re;
		if (regcomp(&re, eo.filter, REG_EXTENDED | REG_NOSUB) != 0) {
			free(pos);
			return bg_cli_usage_error(&info, "--filter '%s': not a valid regular "
							 "expression", eo.filter);
		}
		regfree(&re);
	}
	if (eo.config_path) {
		/* one file for every commit: a bad one is refused before anything runs */
		struct bg_config *cfg;
		if ((rc = bg_config_load(&cfg, eo.config_path)) < 0) {
			free(pos);
			return bg_app_fail(rc);
		}
		bg_config_free(cfg);
	}
	struct bg_app app;
	int status = bg_app_open(&app, BG_APP_REPO | BG_APP_DB);
	if (status) {
		free(pos);
		bg_app_close(&app);
		return status;
	}
	char *head[] = {"HEAD", NULL};
	struct bg_commit *commits = NULL;
	size_t n = 0;
	rc = bg_git_expand(app.repo, npos ? pos : head, npos ? (size_t)npos : 1, first_parent,
			   &commits, &n);
	free(pos);
	if (rc < 0) {
		status = bg_app_fail(rc);
		bg_app_close(&app);
		return status;
	}
	if (n == 0) {
		bg_log_info("nothing to run: the range is empty");
		bg_app_close(&app);
		return BG_EXIT_OK;
	}
	bg_signals_install();
	struct bg_subject *subjects = calloc(n, sizeof(*subjects));
	if (!subjects) {
		bg_commit_list_free(commits, n);
		bg_app_close(&app);
		return bg_app_fail(bg_error_oom());
	}
	size_t done = 0;
	status = BG_EXIT_OK;
	for (size_t i = 0; i < n; i++) {
		bg_progress_prefix("[%zu/%zu %.10s]", i + 1, n, commits[i].sha);
		bg_progress_start();
		bg_log_info("[%zu/%zu] %.10s%s %s", i + 1, n, commits[i].sha,
			    commits[i].worktree ? "+worktree" : "",
			    commits[i].subject ? commits[i].subject : "");
		rc = bg_engine_run_one(&app, &subjects[i], &commits[i], &eo);
		done = i + 1;
		if (subjects[i].failed) {
			/* a commit whose bitgate.json is unusable is bad input; anything else that
			 * failed is infrastructure, which wins */
			int bad_config = !subjects[i].cfg;
			if (!bad_config || status == BG_EXIT_OK)
				status = bad_config ? BG_EXIT_USAGE : BG_EXIT_INFRA;
		}
		if (rc < 0) {
			bg_progress_clear();
			if (rc == BG_EINTR)
				bg_log_error("interrupted: run %lld of %.10s is kept as incomplete",
					     (long long)subjects[i].run_id, commits[i].sha);
			else
				bg_log_error("%s", bg_error_last());
			status = BG_EXIT_INFRA;
			break;
		}
		if (bg_interrupted(NULL)) {
			status = BG_EXIT_INFRA;
			break;
		}
	}
	bg_progress_clear();
	print_summary(subjects, done, json);
	for (size_t i = 0; i < done; i++)
		bg_subject_clear(&subjects[i]);
	free(subjects);
	bg_commit_list_free(commits, n);
	bg_app_close(&app);
	return status;
}
