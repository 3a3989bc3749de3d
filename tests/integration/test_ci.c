/* Integration: `bitgate ci` and `bitgate compare` end to end on a throwaway repository: a
 * head 20% slower fails the perf gate (exit 1), a head equal to its base passes (exit 0), a
 * head with a new failing test fails the tests gate, a head whose bench crashes is a failed
 * measurement (exit 3), and the stored decision renders again. The benchmark reports its
 * cost with +-1% jitter instead of timing a loop (BEHAVIOUR 4): a test must not depend on
 * this shared machine's speed, and the gates are what is under test. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bg_buf.h"
#include "bg_fs.h"
#include "it_fixture.h"
#include "tf.h"
#include "tg_fixture.h"

/* it_config_json with a gates section spliced in before its closing brace. */
static void write_config_with_gates(struct fx *f, const char *gates)
{
	struct bg_buf b = BG_BUF_INIT;
	const char *end = strrchr(it_config_json, '}');
	bg_buf_put(&b, it_config_json, (size_t)(end - it_config_json));
	bg_buf_printf(&b, ",\n  \"gates\": %s\n}\n", gates);
	TF_CHECK(tg_write(f->repo, "bitgate.json", b.ptr) == 0, "write bitgate.json");
	bg_buf_free(&b);
}

static const char wide_gates[] =
	"{\"rounds\": 6, \"perf\": {\"threshold\": 0.05}, "
	"\"strict\": {\"enabled\": true, \"limit\": 0.05}, "
	"\"benchmarks\": {\"required\": [\"loop/*\"]}, \"tests\": {\"floor\": 0.5}}";

static void init_gated(struct fx *f, const char *tag, char *base)
{
	fx_init(f, tag);
	write_config_with_gates(f, wide_gates);
	commit_cost(f, 1000000, 4, 0, base);
}

static char md_path[700], cr_path[700], plot_path[700], comment_path[700];

static int ci(struct fx *f, const char *base, const char *head)
{
	snprintf(md_path, sizeof(md_path), "%s/report.md", f->root);
	snprintf(cr_path, sizeof(cr_path), "%s/check-run.json", f->root);
	snprintf(plot_path, sizeof(plot_path), "%s/compare.svg", f->root);
	snprintf(comment_path, sizeof(comment_path), "%s/comment.md", f->root);
	return bitgate(f, "ci", "--base", base, "--head", head, "--report-md", md_path,
		       "--check-run-json", cr_path, "--plot", plot_path, "--comment-md",
		       comment_path, "--run-url", "https://ci.example/runs/7", NULL);
}

static char *slurp(const char *path)
{
	struct bg_buf b = BG_BUF_INIT;
	TF_CHECK(bg_fs_read(&b, path) == 0, "read %s", path);
	return bg_buf_detach(&b);
}

TF_TEST(integration__ci_slower_head_fails)
{
	struct fx f;
	char base[41], head[41];
	init_gated(&f, "ci-slow", base);
	commit_cost(&f, 1200000, 4, 0, head);
	EXPECT_EXIT(1, ci(&f, base, head));
	char *md = slurp(md_path), *cr = slurp(cr_path);
	TF_CHECK(strstr(md, "FAIL"), "the verdict line:\n%.300s", md);
	TF_CHECK(strstr(md, "perf") && strstr(md, "slower"), "report:\n%s", md);
	TF_CHECK(strstr(cr, "\"conclusion\":\"failure\"") ||
			 strstr(cr, "\"conclusion\": \"failure\""),
		 "check run:\n%.500s", cr);
	TF_CHECK(strstr(cr, head), "check run names the head sha");
	/* one payload per gate after the overall one, the failing gate by its name */
	TF_CHECK(cr[0] == '[' && strstr(cr, "\"name\":\"bitgate/perf\"") &&
			 strstr(cr, "\"name\":\"bitgate/build\"") &&
			 strstr(cr, "\"name\":\"bitgate/tests\""),
		 "check runs:\n%.600s", cr);
	/* the pull-request comment: the marker, then the gates, then this push's line */
	char *comment = slurp(comment_path), short_head[13];
	snprintf(short_head, sizeof(short_head), "%.12s", head);
	TF_CHECK(!strncmp(comment, "<!-- bitgate:ledger v1 -->", 26) &&
			 strstr(comment, short_head) && strstr(comment, "FAIL") &&
			 strstr(comment, "(https://ci.example/runs/7)"),
		 "comment:\n%s", comment);
	free(comment);
	/* the comparison chart: both sides of the benchmark, from the stored samples */
	char *svg = slurp(plot_path), label[32];
	TF_CHECK(strstr(svg, "</svg>") && strstr(svg, "loop/scalar"), "chart:\n%.400s", svg);
	snprintf(label, sizeof(label), "head %.10s", head);
	TF_CHECK(strstr(svg, label), "the chart does not name %s", label);
	free(svg);
	/* the decision renders again from the database alone */
	EXPECT_EXIT(0, bitgate(&f, "report", "--format", "md", NULL));
	TF_CHECK(!strcmp(out_text.ptr, md), "re-rendered report differs:\n%s\n---\n%s",
		 out_text.ptr, md);
	free(md);
	free(cr);
	fx_done(&f);
}

TF_TEST(integration__ci_equal_head_passes)
{
	struct fx f;
	char base[41], head[41];
	init_gated(&f, "ci-equal", base);
	/* a change that does not touch the code: same cost */
	TF_CHECK(tg_write(f.repo, "README", "docs only\n") == 0, "w");
	TF_CHECK(tg_commit(f.repo, "docs", head) == 0, "commit");
	EXPECT_EXIT(0, ci(&f, base, head));
	char *md = slurp(md_path);
	TF_CHECK(!strncmp(md, "**bitgate: PASS", 15) || strstr(md, "PASS"), "verdict:\n%.300s", md);
	TF_CHECK(strstr(md, "strict"), "the strict-mode overhead is reported:\n%s", md);
	free(md);
	/* compare prints its table and stores a decision too */
	EXPECT_EXIT(0, bitgate(&f, "compare", base, head, "--rounds", "2", NULL));
	TF_CHECK(strstr(out_text.ptr, "loop/scalar"), "compare:\n%s", out_text.ptr);
	fx_done(&f);
}

/* Opt-in modes end to end: each declared mode is the head again in the same rounds with its
 * env, and has its own gate and check run. "heavy" costs 20% more than its 5% limit allows
 * (the bench multiplies its cost by COST_SCALE) and fails alone; "trace" costs nothing; the
 * older gates.strict declares "strict". --modes picks which are measured; one not measured
 * is skipped, never a pass. */
TF_TEST(integration__ci_gates_each_mode)
{
	struct fx f;
	char base[41], head[41];
	fx_init(&f, "ci-modes");
	write_config_with_gates(
		&f, "{\"rounds\": 4, \"perf\": {\"threshold\": 0.05}, \"modes\": [{\"name\": "
		    "\"trace\", \"env\": {\"COST_SCALE\": \"1.0\"}, \"limit\": 0.05}, {\"name\": "
		    "\"heavy\", \"env\": {\"COST_SCALE\": \"1.2\"}, \"limit\": 0.05}], "
		    "\"strict\": {\"enabled\": true, \"limit\": 0.05}}");
	commit_cost(&f, 1000000, 4, 0, base);
	TF_CHECK(tg_write(f.repo, "README", "docs only\n") == 0, "w");
	TF_CHECK(tg_commit(f.repo, "docs", head) == 0, "commit");
	EXPECT_EXIT(1, ci(&f, base, head));
	char *md = slurp(md_path), *cr = slurp(cr_path);
	TF_CHECK(strstr(md, "| **perf** | \xE2\x9C\x85 pass") &&
			 strstr(md, "| **trace** | \xE2\x9C\x85 pass") &&
			 strstr(md, "| **heavy** | \xE2\x9D\x8C fail"),
		 "perf and trace pass, heavy fails:\n%s", md);
	TF_CHECK(strstr(md, "- **trace** (`COST_SCALE=1.0`): against the default mode") &&
			 strstr(md,
				"- **heavy** (`COST_SCALE=1.2`): against the default mode **+") &&
			 strstr(md, "- **strict** (`BITNET_STRICT_MODE=1`)"),
		 "each mode's line:\n%s", md);
	TF_CHECK(strstr(md, "heavy-mode overhead +") && strstr(md, "not below 5.00%"),
		 "the heavy gate's evidence:\n%s", md);
	TF_CHECK(strstr(cr, "\"name\":\"bitgate/trace\"") &&
			 strstr(cr, "\"name\":\"bitgate/heavy\"") &&
			 strstr(cr, "\"name\":\"bitgate/strict\""),
		 "a check run per mode:\n%.2000s", cr);
	free(md);
	free(cr);
	/* only trace: heavy and strict are skipped, and the change passes */
	EXPECT_EXIT(0, bitgate(&f, "ci", "--base", base, "--head", head, "--report-md", md_path,
			       "--modes", "trace", NULL));
	md = slurp(md_path);
	TF_CHECK(strstr(md, "- **heavy** (`COST_SCALE=1.2`): \xE2\x9A\xAA not measured: not asked "
			    "for (--modes)"),
		 "heavy not measured:\n%s", md);
	free(md);
	/* a mode the base does not declare: a usage error before anything is built */
	EXPECT_EXIT(2, bitgate(&f, "ci", "--base", base, "--head", head, "--modes", "nope", NULL));
	TF_CHECK(strstr(bg_buf_cstr(&err_text), "'nope' is not a mode"), "%s",
		 bg_buf_cstr(&err_text));
	/* --pr-head names the push in the comment: a commit id, and only with the comment */
	EXPECT_EXIT(2, bitgate(&f, "ci", "--base", base, "--head", head, "--comment-md",
			       comment_path, "--pr-head", "HEAD~1", NULL));
	TF_CHECK(strstr(bg_buf_cstr(&err_text), "--pr-head HEAD~1: expected a commit id"), "%s",
		 bg_buf_cstr(&err_text));
	EXPECT_EXIT(2, bitgate(&f, "ci", "--base", base, "--head", head, "--pr-head", base, NULL));
	fx_done(&f);
}

TF_TEST(integration__ci_new_test_failure_fails)
{
	struct fx f;
	char base[41], head[41];
	init_gated(&f, "ci-tests", base);
	commit_cost(&f, 1000000, 4, 1, head); /* same cost, a failing test */
	EXPECT_EXIT(1, ci(&f, base, head));
	char *md = slurp(md_path);
	TF_CHECK(strstr(md, "breaks"), "the new failure is named:\n%s", md);
	free(md);
	fx_done(&f);
}

TF_TEST(integration__ci_crashed_head_is_a_failed_measurement)
{
	struct fx f;
	char base[41], head[41];
	init_gated(&f, "ci-crash", base);
	commit_cost(&f, 1000000, 1, 0, head);
	EXPECT_EXIT(3, ci(&f, base, head));
	char *md = slurp(md_path);
	TF_CHECK(strstr(md, "FAIL"), "a crashed head must not pass:\n%.400s", md);
	free(md);
	fx_done(&f);
}
