/* bitgate ci: the pull-request gate. Compares head against base like `bitgate compare`,
 * decides every gate, writes the Markdown report (also to $GITHUB_STEP_SUMMARY) and the
 * GitHub check-run payload, and exits 1 when a gate fails. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bg_app.h"
#include "bg_db.h"
#include "bg_cmds.h"
#include "bg_compare_cli.h"
#include "bg_error.h"
#include "bg_fs.h"
#include "bg_log.h"
#include "bg_proc.h"
#include "bg_report.h"
#include "bg_site.h"

static const struct bg_cmd_info info = {
	"ci",
	"bitgate ci --base REV --head REV [--report-md FILE] [--check-run-json FILE]\n"
	"           [--comment-md FILE [--comment-prev FILE] [--run-url URL] [--pr-head SHA]]\n"
	"           [options]",
	"Gates a change: builds base and head (cached), runs them interleaved (and head again\n"
	"in each opt-in mode the base's bitgate.json declares in gates.modes, e.g. strict with\n"
	"BITNET_STRICT_MODE=1), runs both sides' test suites, stores every sample and decides\n"
	"the gates build, benchmarks, perf and tests, and one gate per mode, with the\n"
	"thresholds, floors and limits of the base's bitgate.json. Prints the verdict and the\n"
	"table; writes the Markdown check-run report (appended to $GITHUB_STEP_SUMMARY when\n"
	"set), the check-run payloads (a JSON array: the overall check NAME, then one check\n"
	"NAME/GATE per gate, e.g. bitgate/perf, for branch protection to require by name) and\n"
	"the comparison chart (--plot: per benchmark, base and head samples over their boxes,\n"
	"scaled by the base median; gnuplot) when asked. --comment-md writes the pull-request\n"
	"comment: the gates table, then a ledger of pushes (commit, verdict, link to the run),\n"
	"newest first, under the marker " BG_COMMENT_MARKER "\n"
	"that finds the comment again; the earlier pushes come from --comment-prev (the\n"
	"comment's current body), the link from --run-url or GitHub Actions'\n"
	"GITHUB_SERVER_URL, GITHUB_REPOSITORY and GITHUB_RUN_ID.",
	"exit status: 0 every gate passed; 1 a gate failed; 2 bad usage, an unknown revision or\n"
	"a bad bitgate.json; 3 the measurement itself failed (a build, a crash, a timeout: the\n"
	"reports are still written and the failing gate says why).\n\n"
	"example (GitHub Actions, pull request):\n"
	"  bitgate ci --base origin/${GITHUB_BASE_REF} --head HEAD \\\n"
	"             --report-md bitgate.md --check-run-json check-run.json\n",
};

static int write_file(const char *path, const struct bg_buf *b, int append)
{
	if (!append)
		return bg_fs_write(path, bg_buf_cstr(b), b->len);
	FILE *f = fopen(path, "a");
	if (!f)
		return bg_error_set(BG_EINFRA, "%s: %s", path, strerror(errno));
	size_t w = fwrite(bg_buf_cstr(b), 1, b->len, f);
	int bad = w != b->len || fclose(f) != 0;
	return bad ? bg_error_set(BG_EINFRA, "%s: write failed", path) : 0;
}

static const struct bg_result_rec *find_result(const struct bg_result_rec *v, size_t n,
					       const struct bg_row *row)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].benchmark, row->benchmark) && !strcmp(v[i].params, row->params) &&
		    !strcmp(v[i].mode, row->mode) && !v[i].skipped)
			return &v[i];
	return NULL;
}

/* The comparison chart of the decision's rows from the stored samples of both runs (the
 * strict run's rows are the table's business). A chart gnuplot could not draw is a
 * warning: the gates do not depend on it. */
static int write_chart(struct bg_app *app, const struct bg_decision *d, const char *path,
		       int png)
{
	struct bg_result_rec *base = NULL, *head = NULL;
	size_t nb = 0, nh = 0;
	int rc = 0;
	if (!d->base.run_id || !d->head.run_id) {
		bg_log_warn("%s: no chart: a side has no stored run", path);
		return 0;
	}
	struct bg_plot_cmp_item *items = calloc(d->n_rows ? d->n_rows : 1, sizeof(*items));
	if (!items)
		return bg_error_oom();
	if ((rc = bg_db_run_results(app->db, d->base.run_id, &base, &nb)) < 0 ||
	    (rc = bg_db_run_results(app->db, d->head.run_id, &head, &nh)) < 0)
		goto done;
	size_t n = 0;
	for (size_t i = 0; i < d->n_rows; i++) {
		const struct bg_result_rec *b = find_result(base, nb, &d->rows[i]);
		const struct bg_result_rec *h = find_result(head, nh, &d->rows[i]);
		if (!b && !h)
			continue;
		items[n++] = (struct bg_plot_cmp_item){
			.name = d->rows[i].benchmark, .base = b ? b->samples : NULL,
			.n_base = b ? b->n : 0, .head = h ? h->samples : NULL, .n_head = h ? h->n : 0};
	}
	char bl[64], hl[64];
	snprintf(bl, sizeof(bl), "base %.10s", d->base.sha ? d->base.sha : "");
	snprintf(hl, sizeof(hl), "head %.10s%s", d->head.sha ? d->head.sha : "",
		 d->head.worktree ? " + changes" : "");
	struct bg_plot_cmp cmp = {.base_label = bl, .head_label = hl, .items = items,
				  .n_items = n};
	struct bg_site_opts so = {.png = png};
	struct bg_site_stats st;
	if ((rc = bg_plot_compare(&cmp, path, &so, &st)) == 0 && st.plots_missing)
		bg_log_warn("%s: no chart: %s", path, st.plot_error);
done:
	free(items);
	bg_db_results_free(base, nb);
	bg_db_results_free(head, nh);
	return rc;
}

/* What ci writes besides the table: where, the check run's name, and the comment's run
 * link and previous body. */
struct ci_outputs {
	const char *md_path, *json_path, *plot_path, *name;
	const char *comment_path, *prev_path, *run_url, *pr_head;
	int png;
	struct bg_buf prev; /* --comment-prev's content; empty on the first push */
	char env_url[512];  /* the run link GitHub Actions' environment gives */
};

/* The reports of d: the Markdown report (to md, which the caller prints the verdict from,
 * to --report-md and appended to $GITHUB_STEP_SUMMARY), the check-run payload, the chart. */
static int write_reports(struct bg_app *app, const struct bg_decision *d,
			 const struct ci_outputs *w, struct bg_buf *md)
{
	struct bg_buf cr = BG_BUF_INIT, cm = BG_BUF_INIT;
	const char *summary = getenv("GITHUB_STEP_SUMMARY");
	int rc;
	if ((rc = bg_report_markdown(md, d)) < 0 || (rc = bg_report_checkruns(&cr, d, w->name)) < 0)
		goto done;
	if (w->comment_path &&
	    (rc = bg_report_comment(&cm, d, w->pr_head, w->run_url, w->prev.ptr, w->prev.len)) < 0)
		goto done;
	if ((w->md_path && (rc = write_file(w->md_path, md, 0)) < 0) ||
	    (w->json_path && (rc = write_file(w->json_path, &cr, 0)) < 0) ||
	    (w->comment_path && (rc = write_file(w->comment_path, &cm, 0)) < 0) ||
	    (summary && *summary && (rc = write_file(summary, md, 1)) < 0))
		goto done;
	if (w->plot_path)
		rc = write_chart(app, d, w->plot_path, w->png);
done:
	bg_buf_free(&cr);
	bg_buf_free(&cm);
	return rc;
}

/* The table, the verdict (the report's first line) and where everything went. */
static void print_outcome(const struct bg_decision *d, const struct bg_buf *md,
			  const struct ci_outputs *w)
{
	bg_report_table(stdout, d);
	const char *nl = strchr(bg_buf_cstr(md), '\n');
	printf("%.*s\n", nl ? (int)(nl - md->ptr) : (int)md->len, bg_buf_cstr(md));
	printf("decision %lld stored%s%s%s%s%s%s%s%s\n", (long long)d->id,
	       w->md_path ? "; report: " : "", w->md_path ? w->md_path : "",
	       w->json_path ? "; check runs: " : "", w->json_path ? w->json_path : "",
	       w->comment_path ? "; comment: " : "", w->comment_path ? w->comment_path : "",
	       w->plot_path ? "; chart: " : "", w->plot_path ? w->plot_path : "");
}

/* Measures, decides and reports once the options are checked. */
static int gate(struct bg_app *app, struct bg_compare_cli *c, const struct ci_outputs *w, int argc,
		char **argv)
{
	char *command;
	int status = bg_compare_cli_open(c, argc, argv, app, &command);
	if (status)
		return status;
	struct bg_decision *d = NULL;
	int incomplete = 0;
	struct bg_buf md = BG_BUF_INIT;
	int rc = bg_compare_run(app, &c->o, &d, &incomplete);
	if (rc == 0)
		rc = write_reports(app, d, w, &md);
	if (rc < 0) {
		status = bg_app_fail(rc);
	} else {
		print_outcome(d, &md, w);
		status = incomplete           ? BG_EXIT_INFRA
			 : d->conclusion == 1 ? BG_EXIT_GATE
					      : BG_EXIT_OK;
	}
	bg_buf_free(&md);
	bg_decision_free(d);
	free(command);
	return status;
}

/* The run link from GitHub Actions' environment into w->env_url, or NULL when it is not
 * there or not a link the comment can hold (a warning: the comment goes without one). */
static const char *env_run_url(struct ci_outputs *w)
{
	const char *server = getenv("GITHUB_SERVER_URL"), *repo = getenv("GITHUB_REPOSITORY"),
		   *id = getenv("GITHUB_RUN_ID");
	if (!server || !*server || !repo || !*repo || !id || !*id)
		return NULL;
	int n = snprintf(w->env_url, sizeof(w->env_url), "%s/%s/actions/runs/%s", server, repo, id);
	if (n < 0 || (size_t)n >= sizeof(w->env_url) || !bg_report_comment_url_valid(w->env_url)) {
		bg_log_warn(
			"GITHUB_SERVER_URL, GITHUB_REPOSITORY, GITHUB_RUN_ID: no valid run link; "
			"the comment goes without one");
		return NULL;
	}
	return w->env_url;
}

/* Checks the comment's options and reads the previous body before anything is measured,
 * so a bad one costs no bench time. BG_EINPUT with the message printed. */
static int comment_inputs(struct ci_outputs *w)
{
	if (!w->comment_path && (w->prev_path || w->run_url || w->pr_head)) {
		bg_cli_usage_error(&info,
				   "--comment-prev, --run-url and --pr-head need --comment-md");
		return BG_EINPUT;
	}
	size_t n = w->pr_head ? strlen(w->pr_head) : 0;
	if (w->pr_head && (n < 7 || n > 40 || strspn(w->pr_head, "0123456789abcdef") != n)) {
		bg_cli_usage_error(&info,
				   "--pr-head %.64s: expected a commit id, 7 to 40 lowercase "
				   "hex digits",
				   w->pr_head);
		return BG_EINPUT;
	}
	if (w->run_url && !bg_report_comment_url_valid(w->run_url)) {
		bg_cli_usage_error(
			&info,
			"--run-url %s: expected an http(s) URL of at most 300 characters "
			"without spaces, quotes, brackets or parentheses",
			w->run_url);
		return BG_EINPUT;
	}
	if (w->comment_path && !w->run_url)
		w->run_url = env_run_url(w);
	/* absent: the first push, nothing to keep */
	if (!w->prev_path || !bg_fs_exists(w->prev_path))
		return 0;
	if (bg_fs_read_max(&w->prev, w->prev_path, 1 << 20) < 0) {
		fprintf(stderr, "bitgate ci: --comment-prev %s\n", bg_error_last());
		return BG_EINPUT;
	}
	return 0;
}

int cmd_ci(struct bg_app *app, int argc, char **argv)
{
	struct bg_compare_cli c;
	bg_compare_cli_defaults(&c);
	struct ci_outputs w = {.name = "bitgate"};
	int strict = 1;
	const char *modes = "all";
	c.o.tests = 1;
	const struct bg_opt opts[] = {
		{"base", 0, BG_OPT_STR, &c.o.base_rev, "REV",
		 "the base (default: merge-base with the default branch)"},
		{"head", 0, BG_OPT_STR, &c.o.head_rev, "REV", "the head (default: HEAD)"},
		{"report-md", 0, BG_OPT_STR, &w.md_path, "FILE", "write the Markdown report"},
		{"check-run-json", 0, BG_OPT_STR, &w.json_path, "FILE",
		 "write the GitHub check-run payloads: a JSON array, the overall check first, then "
		 "one per gate"},
		{"plot", 0, BG_OPT_STR, &w.plot_path, "FILE.svg",
		 "write the base-against-head comparison chart (SVG; gnuplot)"},
		{"png", 0, BG_OPT_FLAG, &w.png, NULL, "with --plot, a PNG beside the SVG"},
		{"comment-md", 0, BG_OPT_STR, &w.comment_path, "FILE",
		 "write the pull-request comment body (gates table and ledger of pushes)"},
		{"comment-prev", 0, BG_OPT_STR, &w.prev_path, "FILE",
		 "the comment's current body, whose ledger lines are kept (absent or empty: the "
		 "first push)"},
		{"pr-head", 0, BG_OPT_STR, &w.pr_head, "SHA",
		 "the pull request's head commit, which names this push in the ledger (default: "
		 "the head measured; on a pull request CI checks out a merge commit)"},
		{"run-url", 0, BG_OPT_STR, &w.run_url, "URL",
		 "the CI run's link in the ledger (default: from GitHub Actions' environment)"},
		{"name", 0, BG_OPT_STR, &w.name, "NAME",
		 "overall check-run name, prefix of the per-gate ones (default bitgate)"},
		BG_COMPARE_OPTS(c),
		BG_OPT_ROW_TESTS(&c.o.tests, "run the test suites (default on)"),
		{"modes", 0, BG_OPT_STR, &modes, "LIST",
		 "opt-in modes to measure: all (default: every one gates.modes declares), none, or "
		 "names, comma-separated"},
		{"strict", 0, BG_OPT_NEGFLAG, &strict, NULL,
		 "--no-strict: the older spelling of --modes none"},
		BG_OPT_ROW_END,
	};
	int status = bg_cli_parse_args(&info, opts, argc, argv, NULL, 0,
				       "unexpected argument (use --base and --head)");
	if (status != BG_CLI_GO_ON)
		return status;
	if (!c.o.head_rev)
		c.o.head_rev = "HEAD";
	c.o.kind = "ci";
	c.o.modes = !strict ? "none" : strcmp(modes, "all") ? modes : NULL;
	if (bg_compare_cli_finish(&c, &info) || comment_inputs(&w) < 0)
		return BG_EXIT_USAGE;
	status = gate(app, &c, &w, argc, argv);
	bg_buf_free(&w.prev);
	return status;
}
