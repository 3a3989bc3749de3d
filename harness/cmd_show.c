/* bitgate show: one stored run, from the database alone: where and how it ran, each
 * series' samples summarised (median, MAD, range, throughput), kernel IDs, tests, errors. */
#include <cjson/cJSON.h>
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bg_app.h"
#include "bg_cmds.h"
#include "bg_error.h"
#include "bg_log.h"
#include "bg_stats.h"
#include "bg_table.h"

static const struct bg_cmd_info info = {
	"show",
	"bitgate show [options] [RUN | COMMIT]",
	"Shows a stored run: RUN is a run number (as `bitgate log` lists them); COMMIT a\n"
	"revision or SHA prefix, whose newest run is shown. Default: the newest run.",
	"Every figure is computed from the raw samples stored in the database.\n\n"
	"exit status: 0 shown; 2 no such run or commit; 3 the database is unusable.\n",
};

static int is_number(const char *s)
{
	if (*s == '#')
		s++;
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return 0;
	return 1;
}

/* The run the argument names (0 when there is none, with an error set). */
static int64_t pick_run(struct bg_app *app, const char *arg)
{
	struct bg_run_filter f = {.limit = 1};
	if (arg && is_number(arg))
		return strtoll(arg[0] == '#' ? arg + 1 : arg, NULL, 10);
	char sha[41] = "";
	if (arg) {
		int rc = bg_app_commit_sha(app, arg, sha);
		if (rc < 0)
			return rc == BG_EDB ? -1 : 0;
		f.commit_prefix = sha;
	}
	struct bg_run_rec *runs = NULL;
	size_t n = 0;
	if (bg_db_run_list(app->db, &f, &runs, &n) < 0)
		return -1;
	int64_t id = n ? runs[0].id : 0;
	bg_db_run_list_free(runs, n);
	if (!id)
		bg_error_set(BG_ENOTFOUND, arg ? "no run of %s is stored" : "no run is stored%s",
			     arg ? arg : "");
	return id;
}

static void summarise(const struct bg_result_rec *r, double *med, double *mad, double *lo,
		      double *hi)
{
	*med = bg_stats_median(r->samples, r->n);
	*mad = bg_stats_mad(r->samples, r->n);
	*lo = bg_stats_min(r->samples, r->n);
	*hi = bg_stats_max(r->samples, r->n);
}

/* A stored run and everything stored with it, as the printers read it. */
struct run_view {
	struct bg_run_rec run;
	struct bg_machine_rec m;
	struct bg_result_rec *res;
	size_t nres;
	struct bg_test_suite **ts;
	size_t nts;
	struct bg_error_rec *errs;
	size_t nerr;
};

static int view_load(struct bg_app *app, int64_t id, struct run_view *v)
{
	int rc;
	if ((rc = bg_db_run_get(app->db, id, &v->run)) < 0 ||
	    (rc = bg_db_machine_get(app->db, v->run.machine_id, &v->m)) < 0 ||
	    (rc = bg_db_run_results(app->db, id, &v->res, &v->nres)) < 0 ||
	    (rc = bg_db_run_tests(app->db, id, &v->ts, &v->nts)) < 0 ||
	    (rc = bg_db_run_errors(app->db, id, &v->errs, &v->nerr)) < 0)
		return rc;
	return 0;
}

static void view_clear(struct run_view *v)
{
	bg_db_run_clear(&v->run);
	bg_db_machine_clear(&v->m);
	bg_db_results_free(v->res, v->nres);
	bg_db_tests_free(v->ts, v->nts);
	bg_db_errors_free(v->errs, v->nerr);
}

static cJSON *result_json(const struct bg_result_rec *r)
{
	cJSON *x = cJSON_CreateObject();
	cJSON_AddStringToObject(x, "benchmark", r->benchmark);
	cJSON_AddStringToObject(x, "params", r->params ? r->params : "");
	cJSON_AddStringToObject(x, "metric", r->metric);
	cJSON_AddStringToObject(x, "mode", r->mode);
	if (r->kernel)
		cJSON_AddStringToObject(x, "kernel", r->kernel);
	if (r->checked >= 0)
		cJSON_AddBoolToObject(x, "checked", r->checked);
	if (r->skipped)
		cJSON_AddStringToObject(x, "skipped", r->skipped);
	if (r->n) {
		double med, mad, lo, hi;
		summarise(r, &med, &mad, &lo, &hi);
		cJSON_AddNumberToObject(x, "median", med);
		cJSON_AddNumberToObject(x, "mad", mad);
		cJSON_AddNumberToObject(x, "min", lo);
		cJSON_AddNumberToObject(x, "max", hi);
	}
	cJSON_AddItemToObject(x, "samples", cJSON_CreateDoubleArray(r->samples, (int)r->n));
	return x;
}

static void add_run_json(cJSON *o, const struct bg_run_rec *run, const struct bg_machine_rec *m)
{
	cJSON_AddNumberToObject(o, "run", (double)run->id);
	cJSON_AddStringToObject(o, "uuid", run->uuid);
	cJSON_AddStringToObject(o, "kind", run->kind);
	cJSON_AddStringToObject(o, "commit", run->commit_sha);
	cJSON_AddBoolToObject(o, "worktree", run->worktree);
	cJSON_AddStringToObject(o, "tree", run->tree ? run->tree : "");
	cJSON_AddStringToObject(o, "status", run->status);
	cJSON_AddBoolToObject(o, "complete", run->complete);
	cJSON_AddNumberToObject(o, "started", (double)run->started);
	cJSON_AddNumberToObject(o, "finished", (double)run->finished);
	if (run->config_hash)
		cJSON_AddStringToObject(o, "config_hash", run->config_hash);
	if (run->label)
		cJSON_AddStringToObject(o, "label", run->label);
	cJSON_AddStringToObject(o, "machine", m->fingerprint ? m->fingerprint : "");
	cJSON_AddStringToObject(o, "cpu", m->cpu ? m->cpu : "");
}

static void print_json(const struct run_view *v)
{
	cJSON *o = cJSON_CreateObject();
	add_run_json(o, &v->run, &v->m);
	cJSON *arr = cJSON_AddArrayToObject(o, "results");
	for (size_t i = 0; i < v->nres; i++)
		cJSON_AddItemToArray(arr, result_json(&v->res[i]));
	arr = cJSON_AddArrayToObject(o, "tests");
	for (size_t i = 0; i < v->nts; i++) {
		cJSON *x = cJSON_CreateObject();
		cJSON_AddStringToObject(x, "suite", v->ts[i]->suite);
		cJSON_AddNumberToObject(x, "passed", v->ts[i]->passed);
		cJSON_AddNumberToObject(x, "failed", v->ts[i]->failed);
		cJSON_AddNumberToObject(x, "skipped", v->ts[i]->skipped);
		cJSON_AddNumberToObject(x, "errored", v->ts[i]->errored);
		cJSON_AddItemToArray(arr, x);
	}
	arr = cJSON_AddArrayToObject(o, "errors");
	for (size_t i = 0; i < v->nerr; i++) {
		cJSON *x = cJSON_CreateObject();
		cJSON_AddStringToObject(x, "stage", v->errs[i].stage);
		cJSON_AddStringToObject(x, "message", v->errs[i].message);
		if (v->errs[i].detail)
			cJSON_AddStringToObject(x, "detail", v->errs[i].detail);
		cJSON_AddItemToArray(arr, x);
	}
	bg_cli_print_json(o);
}

/* Where and how the run ran: the lines above the table. */
static void print_heading(const struct bg_run_rec *run, const struct bg_machine_rec *m)
{
	char t0[32], t1[32] = "-";
	bg_format_time(t0, sizeof(t0), run->started);
	if (run->finished)
		bg_format_time(t1, sizeof(t1), run->finished);
	printf("run %lld (%s) of %s%s%s%s\n", (long long)run->id, run->kind, run->commit_sha,
	       run->worktree ? " + working tree changes" : "", run->label ? ", " : "",
	       run->label ? run->label : "");
	printf("status:  %s, %s\n", run->status,
	       run->complete ? "complete" : "INCOMPLETE (never used by a gate)");
	printf("time:    %s .. %s UTC\n", t0, t1);
	printf("machine: %s, %d CPUs, %s [%.12s]\n", m->cpu ? m->cpu : "?", m->cores,
	       m->os ? m->os : "?", m->fingerprint ? m->fingerprint : "?");
	printf("config:  %.12s   tree: %.12s   bitgate %s\n\n",
	       run->config_hash ? run->config_hash : "-", run->tree ? run->tree : "-",
	       run->harness_version ? run->harness_version : "?");
}

/* The measured cells of a series' row: median, MAD %, min, max and the throughputs. */
static void result_cells(struct bg_table *t, const struct bg_result_rec *r)
{
	double med, mad, lo, hi;
	summarise(r, &med, &mad, &lo, &hi);
	char a[32], b[32], c[32];
	int ns = !strcmp(r->metric, "ns");
	if (ns) {
		bg_fmt_ns(a, sizeof(a), med);
		bg_fmt_ns(b, sizeof(b), lo);
		bg_fmt_ns(c, sizeof(c), hi);
	} else {
		snprintf(a, sizeof(a), "%.4g %s", med, r->metric);
		snprintf(b, sizeof(b), "%.4g", lo);
		snprintf(c, sizeof(c), "%.4g", hi);
	}
	bg_table_cell(t, a);
	bg_table_cellf(t, "%.2f", med > 0 ? 100.0 * mad / med : 0.0);
	bg_table_cell(t, b);
	bg_table_cell(t, c);
	if (ns && r->elements > 0 && med > 0)
		bg_table_cellf(t, "%.2f", r->elements / med);
	else
		bg_table_cell(t, "-");
	if (ns && r->bytes > 0 && med > 0)
		bg_table_cellf(t, "%.2f", r->bytes / med);
	else
		bg_table_cell(t, "-");
}

static void print_results(const struct bg_result_rec *res, size_t nres)
{
	static const char *const hdr[] = {"benchmark", "mode", "kernel",  "n",    "median", "MAD %",
					  "min",       "max",  "Gelem/s", "GB/s", NULL};
	struct bg_table *t;
	if (bg_table_new(&t, hdr) < 0)
		return;
	for (int c = 3; c <= 9; c++)
		bg_table_align(t, (size_t)c, BG_RIGHT);
	for (size_t i = 0; i < nres; i++) {
		const struct bg_result_rec *r = &res[i];
		char name[200];
		snprintf(name, sizeof(name), "%s%s%s", r->benchmark,
			 r->params && *r->params ? " " : "", r->params ? r->params : "");
		bg_table_cell(t, name);
		bg_table_cell(t, r->mode);
		if (r->skipped) {
			bg_table_cell(t, "-");
			bg_table_cell(t, "skipped");
			for (int c = 0; c < 6; c++)
				bg_table_cell(t, "");
			continue;
		}
		/* a kernel the program did not verify is marked; a benchmark with no kernel
		 * (memory bandwidth) has nothing to verify */
		bg_table_cellf(t, "%s%s", r->kernel ? r->kernel : "-",
			       r->kernel && r->checked == 0 ? " UNCHECKED" : "");
		bg_table_cellf(t, "%zu", r->n);
		result_cells(t, r);
	}
	bg_table_print(t, stdout);
	bg_table_free(t);
	for (size_t i = 0; i < nres; i++)
		if (res[i].skipped)
			printf("skipped %s: %s\n", res[i].benchmark, res[i].skipped);
}

static void print_tests(struct bg_test_suite **ts, size_t nts)
{
	if (!nts)
		return;
	printf("\ntests:\n");
	for (size_t i = 0; i < nts; i++) {
		const struct bg_test_suite *s = ts[i];
		printf("  %-8s %d passed, %d failed, %d errored, %d skipped (of %zu)\n", s->suite,
		       s->passed, s->failed, s->errored, s->skipped, s->n);
		for (size_t k = 0; k < s->n; k++)
			if (s->cases[k].outcome == BG_TEST_FAILED ||
			    s->cases[k].outcome == BG_TEST_ERRORED)
				printf("    %s %s\n", bg_outcome_name(s->cases[k].outcome),
				       s->cases[k].name);
	}
}

static void print_errors(const struct bg_error_rec *errs, size_t nerr)
{
	if (!nerr)
		return;
	printf("\nerrors:\n");
	for (size_t i = 0; i < nerr; i++) {
		printf("  [%s] %s\n", errs[i].stage, errs[i].message);
		if (!errs[i].detail || !*errs[i].detail)
			continue;
		/* the detail is the tail of a log: indent it */
		for (const char *p = errs[i].detail; *p;) {
			const char *nl = strchr(p, '\n');
			int len = nl ? (int)(nl - p) : (int)strlen(p);
			printf("      | %.*s\n", len, p);
			p += len + (nl ? 1 : 0);
		}
	}
}

static void print_table(const struct run_view *v)
{
	print_heading(&v->run, &v->m);
	print_results(v->res, v->nres);
	print_tests(v->ts, v->nts);
	print_errors(v->errs, v->nerr);
}

/* The --format values, each with its printer. */
static const char *const format_names[] = {"table", "json", NULL};
static void (*const printers[])(const struct run_view *) = {print_table, print_json};

int cmd_show(struct bg_app *app, int argc, char **argv)
{
	const char *format = "table";
	const struct bg_opt opts[] = {
		BG_OPT_ROW_FORMAT(&format, "table|json", BG_HELP_FORMAT),
		BG_OPT_ROW_END,
	};
	const char *arg;
	int status = bg_cli_parse_args(&info, opts, argc, argv, &arg, 1,
				       "expected at most one RUN or COMMIT");
	if (status != BG_CLI_GO_ON)
		return status;
	int f = bg_cli_choice(&info, "format", format, format_names);
	if (f < 0)
		return BG_EXIT_USAGE;
	if ((status = bg_app_setup(app)))
		return status;
	int64_t id = pick_run(app, arg);
	if (id <= 0)
		return bg_app_fail(id < 0            ? BG_EDB
				   : bg_error_code() ? bg_error_code()
						     : BG_ENOTFOUND);
	struct run_view v;
	memset(&v, 0, sizeof(v));
	int rc = view_load(app, id, &v);
	if (rc < 0)
		status = bg_app_fail(rc);
	else
		printers[f](&v);
	view_clear(&v);
	return status;
}
