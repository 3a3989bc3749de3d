/* bitgate run: build, bench and test each commit given (revisions or ranges), store every
 * sample, and print a summary per commit. */
#include <cjson/cJSON.h>
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

static void print_json(struct bg_subject *s, size_t n)
{
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
	bg_cli_print_json(arr);
}

/* One commit's row of the summary table. */
static void subject_row(struct bg_table *t, const struct bg_subject *x)
{
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

static void print_table(struct bg_subject *s, size_t n)
{
	static const char *const hdr[] = {"commit", "subject", "build", "benchmarks", "samples",
					  "tests",  "own s",   "run",   "status",     NULL};
	struct bg_table *t;
	if (bg_table_new(&t, hdr) < 0)
		return;
	for (int c = 3; c <= 7; c++)
		bg_table_align(t, (size_t)c, BG_RIGHT);
	for (size_t i = 0; i < n; i++)
		subject_row(t, &s[i]);
	bg_table_print(t, stdout);
	bg_table_free(t);
	for (size_t i = 0; i < n; i++)
		if (s[i].error)
			printf("%.10s: %s\n", s[i].commit->sha, s[i].error);
}

/* The --format values, each with its summary printer. */
static const char *const format_names[] = {"table", "json", NULL};
static void (*const printers[])(struct bg_subject *, size_t) = {print_table, print_json};

/* The options' values against what they may be, before anything is opened: 0 or the exit
 * status. A --config file is read here, so a bad one is refused before anything runs. */
static int check_options(const struct bg_engine_opts *eo)
{
	if (bg_cli_check_range(&info, "repetitions", eo->repetitions, 1, BG_REPETITIONS_MAX))
		return BG_EXIT_USAGE;
	if (strcmp(eo->kind, "local") && strcmp(eo->kind, "ci") && strcmp(eo->kind, "nightly"))
		return bg_cli_usage_error(&info, "--kind %s: expected local, ci or nightly",
					  eo->kind);
	long ncpu = sysconf(_SC_NPROCESSORS_CONF);
	if (eo->pin_cpu < -1 || eo->pin_cpu >= ncpu)
		return bg_cli_usage_error(&info, "--pin %d: this machine has CPUs 0..%ld",
					  eo->pin_cpu, ncpu - 1);
	if (bg_cli_check_filter(&info, eo->filter))
		return BG_EXIT_USAGE;
	if (eo->config_path) {
		struct bg_config *cfg;
		int rc = bg_config_load(&cfg, eo->config_path);
		if (rc < 0)
			return bg_app_fail(rc);
		bg_config_free(cfg);
	}
	return 0;
}

/* Runs each commit in turn into subjects; *done is how many were run. A commit that failed
 * makes the status 2 (its bitgate.json is unusable) or 3 (anything else, which wins); an
 * error of bitgate's own or an interruption stops at once with 3. */
static int measure(struct bg_app *app, struct bg_commit *commits, size_t n,
		   const struct bg_engine_opts *eo, struct bg_subject *subjects, size_t *done)
{
	int status = BG_EXIT_OK;
	for (size_t i = 0; i < n; i++) {
		bg_progress_prefix("[%zu/%zu %.10s]", i + 1, n, commits[i].sha);
		bg_progress_start();
		bg_log_info("[%zu/%zu] %.10s%s %s", i + 1, n, commits[i].sha,
			    commits[i].worktree ? "+worktree" : "",
			    commits[i].subject ? commits[i].subject : "");
		int rc = bg_engine_run_one(app, &subjects[i], &commits[i], eo);
		*done = i + 1;
		if (subjects[i].failed) {
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
			return BG_EXIT_INFRA;
		}
		if (bg_interrupted(NULL))
			return BG_EXIT_INFRA;
	}
	return status;
}

/* Measures every commit revs name (HEAD when none) and prints the summary. */
static int run_commits(struct bg_app *app, char **revs, size_t nrevs, int first_parent,
		       const struct bg_engine_opts *eo, int format)
{
	char *head[] = {"HEAD", NULL};
	struct bg_commit *commits = NULL;
	size_t n = 0;
	int rc = bg_git_expand(app->repo, nrevs ? revs : head, nrevs ? nrevs : 1, first_parent,
			       &commits, &n);
	if (rc < 0)
		return bg_app_fail(rc);
	if (n == 0) {
		bg_log_info("nothing to run: the range is empty");
		return BG_EXIT_OK;
	}
	bg_signals_install();
	struct bg_subject *subjects = calloc(n, sizeof(*subjects));
	if (!subjects) {
		bg_commit_list_free(commits, n);
		return bg_app_fail(bg_error_oom());
	}
	size_t done = 0;
	int status = measure(app, commits, n, eo, subjects, &done);
	bg_progress_clear();
	printers[format](subjects, done);
	for (size_t i = 0; i < done; i++)
		bg_subject_clear(&subjects[i]);
	free(subjects);
	bg_commit_list_free(commits, n);
	return status;
}

int cmd_run(struct bg_app *app, int argc, char **argv)
{
	struct bg_engine_opts eo = {.kind = "local", .repetitions = 1, .tests = 1, .pin_cpu = -1};
	const char *format = "table";
	int first_parent = 0;
	const struct bg_opt opts[] = {
		BG_OPT_ROW_REPETITIONS(&eo.repetitions,
				       "bench rounds stored per commit (default 1; "
				       "each round is one bench process)"),
		{"filter", 0, BG_OPT_STR, &eo.filter, "RE",
		 "store only benchmarks whose name matches (POSIX extended regex)"},
		BG_OPT_ROW_TESTS(&eo.tests, "run the test suites of bitgate.json (default: on)"),
		{"first-parent", 0, BG_OPT_FLAG, &first_parent, NULL,
		 "ranges follow first parents only"},
		BG_OPT_ROW_PIN(&eo.pin_cpu, BG_HELP_PIN),
		{"config", 0, BG_OPT_STR, &eo.config_path, "FILE",
		 "use this bitgate.json instead of each commit's own"},
		BG_OPT_ROW_JOBS(&eo.jobs, BG_HELP_JOBS),
		{"rebuild", 0, BG_OPT_FLAG, &eo.rebuild, NULL,
		 "build again even when the cache has the build (or its failure)"},
		{"kind", 0, BG_OPT_STR, &eo.kind, "KIND",
		 "run kind stored: local (default), ci, nightly"},
		{"label", 0, BG_OPT_STR, &eo.label, "TEXT", "a label stored with each run"},
		BG_OPT_ROW_FORMAT(&format, "table|json", "summary format (default table)"),
		BG_OPT_ROW_END,
	};
	char **pos = NULL;
	int npos = 0;
	int rc = bg_cli_parse(&info, opts, argc, argv, &pos, &npos);
	if (rc)
		return bg_cli_exit_status(rc);
	int f = bg_cli_choice(&info, "format", format, format_names);
	int status = f < 0 ? BG_EXIT_USAGE : check_options(&eo);
	if (!status)
		status = bg_app_setup(app);
	if (!status)
		status = run_commits(app, pos, (size_t)npos, first_parent, &eo, f);
	free(pos);
	return status;
}
