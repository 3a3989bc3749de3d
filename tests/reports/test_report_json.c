/* The decision as JSON and back (report_json.c): every field survives the round trip,
 * malformed input is refused with a message. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bg_buf.h"
#include "bg_decision.h"
#include "bg_error.h"
#include "bg_report.h"
#include "report_fixture.h"
#include "tf.h"

TF_TEST(report__json_round_trip)
{
	struct bg_decision *d = report_fixture_make(3);
	d->rows[0].change = 1.0 / 3;              /* needs all 17 digits */
	d->rows[0].hl_shift = -0.0;               /* sign of zero */
	d->rows[1].p = 5e-324;                    /* smallest subnormal */
	d->head.run_id = (INT64_C(1) << 60) + 1;  /* beyond a double's integers */
	d->base.run_id = -(INT64_C(1) << 53) - 1; /* just beyond */
	d->modes[0].lo = INFINITY;                /* non-finite: null, read back as NAN */
	free(d->base.kernels);
	d->base.kernels = report_dup(""); /* empty and NULL stay apart */
	free(d->head.subject);
	d->head.subject = report_dup(HOSTILE "\n\"quoted\" \xF0\x9F\x9A\x80");
	char *a, *b;
	TF_CHECK(bg_decision_to_json(d, &a) == 0, "to_json: %s", bg_error_last());
	struct bg_decision *e;
	TF_CHECK(bg_decision_from_json(&e, a, strlen(a), "test") == 0, "from_json: %s",
		 bg_error_last());
	TF_CHECK(bg_decision_to_json(e, &b) == 0, "to_json: %s", bg_error_last());
	TF_CHECK(!strcmp(a, b), "round trip differs:\n%s\n%s", a, b);
	TF_CHECK(e->rows[0].change == 1.0 / 3, "1/3 lost bits");
	TF_CHECK(e->rows[0].hl_shift == 0 && signbit(e->rows[0].hl_shift), "-0 lost its sign");
	TF_CHECK(e->rows[1].p == 5e-324, "subnormal lost");
	TF_CHECK(e->head.run_id == (INT64_C(1) << 60) + 1, "int64 lost: %lld",
		 (long long)e->head.run_id);
	TF_CHECK(e->base.run_id == -(INT64_C(1) << 53) - 1, "int64 lost");
	TF_CHECK(isnan(e->modes[0].lo) && isnan(e->rows[4].head_time), "non-finite must read NAN");
	TF_CHECK(e->head.binary_hash == NULL && e->base.kernels && !*e->base.kernels,
		 "NULL and empty strings");
	TF_CHECK(!strcmp(e->head.subject, d->head.subject), "subject");
	TF_CHECK(e->head.dispatch && !strcmp(e->head.dispatch, d->head.dispatch) &&
			 !e->base.dispatch,
		 "dispatch");
	TF_CHECK(e->n_modes == 1 && !strcmp(e->modes[0].name, "strict") &&
			 !strcmp(e->modes[0].env, "BITNET_STRICT_MODE=1") &&
			 e->modes[0].run_id == 14,
		 "modes");
	TF_CHECK(e->n_rows == 9 && e->n_gates == 4 && e->n_suites == 2 &&
			 e->suites[0].n_new_failures == 1 && e->n_commands == 3 &&
			 e->n_findings == 3 && e->rows[1].verdict == BG_VERDICT_SLOWER &&
			 e->gates[2].status == BG_GATE_FAIL && e->conclusion == 1 &&
			 !strcmp(e->suites[1].skipped, "no CUDA device"),
		 "fields differ");
	/* an empty decision too */
	struct bg_decision *z = calloc(1, sizeof(*z)), *y;
	char *c, *c2;
	TF_CHECK(z && bg_decision_to_json(z, &c) == 0, "to_json empty");
	TF_CHECK(bg_decision_from_json(&y, c, strlen(c), "empty") == 0, "from_json empty: %s",
		 bg_error_last());
	TF_CHECK(bg_decision_to_json(y, &c2) == 0 && !strcmp(c, c2), "empty round trip");
	free(c);
	free(c2);
	bg_decision_free(y);
	bg_decision_free(z);
	free(a);
	free(b);
	bg_decision_free(e);
	bg_decision_free(d);
}

TF_TEST(report__json_malformed)
{
	struct bg_decision *d = report_fixture_make(0);
	char *good;
	TF_CHECK(bg_decision_to_json(d, &good) == 0, "to_json");
	bg_decision_free(d);
	static const char *const bad[] = {
		"",
		"{",
		"[]",
		"null",
		"{}",
		"{\"schema\":\"bitgate-decision/2\"}",
		"{\"schema\":\"bitgate-decision/1\"}", /* no base */
		"{\"schema\":\"bitgate-decision/1\",\"base\":{},\"head\":{},\"strict\":{},"
		"\"conclusion\":\"maybe\"}",
		"{\"schema\":\"bitgate-decision/1\",\"base\":{\"run_id\":1.5},\"head\":{},"
		"\"strict\":{},\"conclusion\":\"success\"}",
		"{\"schema\":\"bitgate-decision/1\",\"base\":{},\"head\":{},\"strict\":{},"
		"\"conclusion\":\"success\",\"rows\":[{\"verdict\":\"slower\",\"change\":\"7%\"}]}",
		"{\"schema\":\"bitgate-decision/1\",\"base\":{},\"head\":{},\"strict\":{},"
		"\"conclusion\":\"success\",\"rows\":[{\"verdict\":\"worse\"}]}",
		"{\"schema\":\"bitgate-decision/1\",\"base\":{},\"head\":{},\"strict\":{},"
		"\"conclusion\":\"success\",\"gates\":[{\"status\":\"pass\"}, 3]}",
		"{\"schema\":\"bitgate-decision/1\",\"base\":{},\"head\":{},\"strict\":{},"
		"\"conclusion\":\"success\",\"suites\":[{\"new_failures\":[1]}]}",
		"{\"schema\":\"bitgate-decision/1\",\"base\":{},\"head\":{},\"strict\":{},"
		"\"conclusion\":\"success\",\"rows\":[{\"verdict\":\"slower\",\"n_base\":-1}]}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		struct bg_decision *e = (struct bg_decision *)1;
		int err = bg_decision_from_json(&e, bad[i], strlen(bad[i]), "decision.json");
		TF_CHECK(err == BG_EINPUT, "case %zu (%s): %d", i, bad[i], err);
		TF_CHECK(e == NULL, "case %zu: out not cleared", i);
		TF_CHECK(strstr(bg_error_last(), "decision.json: "), "case %zu: message %s", i,
			 bg_error_last());
	}
	/* the minimal valid document, to show the cases above fail for their own reason */
	const char *min = "{\"schema\":\"bitgate-decision/1\",\"base\":{},\"head\":{},"
			  "\"strict\":{},\"conclusion\":\"success\"}";
	struct bg_decision *e;
	TF_CHECK(bg_decision_from_json(&e, min, strlen(min), "min") == 0, "%s", bg_error_last());
	bg_decision_free(e);
	/* a good document cut short, or with trailing data, is malformed */
	size_t n = strlen(good);
	TF_CHECK(bg_decision_from_json(&e, good, n - 1, "cut") == BG_EINPUT, "truncated accepted");
	good[n - 1] = '\0';
	struct bg_buf t = BG_BUF_INIT;
	TF_CHECK(bg_buf_printf(&t, "%s}}", good) == 0, "oom");
	TF_CHECK(bg_decision_from_json(&e, t.ptr, t.len, "trailing") == BG_EINPUT,
		 "trailing data accepted");
	bg_buf_free(&t);
	free(good);
}

/* Numbers beyond what their field holds, or negative where a count or flag is: each refused
 * with the JSON path, before any conversion (a count beyond int, an id beyond int64). */
TF_TEST(report__json_numbers_out_of_range)
{
	static const char *const bad[][2] = {
		{"\"rounds\":-1", "rounds"},
		{"\"rounds\":1e10", "rounds"},
		{"\"rounds\":\"99999999999\"", "rounds"},
		{"\"base\":{\"worktree\":-1}", "base.worktree"},
		{"\"head\":{\"worktree\":2147483648}", "head.worktree"},
		{"\"base\":{\"run_id\":1e300}", "base.run_id"},
		{"\"id\":\"9223372036854775808\"", "id"},
		{"\"created\":1e999", "created"},
		{"\"quantile\":-1e999", "quantile"},
		{"\"suites\":[{\"head_total\":-5}]", "suites[0].head_total"},
		{"\"strict\":{\"measured\":-1}", "strict.measured"},
		{"\"strict\":{\"n_benchmarks\":-1}", "strict.n_benchmarks"},
		{"\"modes\":[{\"measured\":-1}]", "modes[0].measured"},
		{"\"modes\":[{\"name\":\"a\"},{\"run_id\":1e300}]", "modes[1].run_id"},
		{"\"rows\":[{\"verdict\":\"slower\",\"n_head\":1e20}]", "rows[0].n_head"},
	};
	for (size_t i = 0; i < BG_COUNTOF(bad); i++) {
		struct bg_buf t = BG_BUF_INIT;
		/* the member comes first: cJSON reads the first of two equal keys */
		TF_CHECK(bg_buf_printf(&t,
				       "{%s,\"schema\":\"bitgate-decision/1\",\"base\":{},"
				       "\"head\":{},\"strict\":{},\"conclusion\":\"success\"}",
				       bad[i][0]) == 0,
			 "oom");
		struct bg_decision *e = (struct bg_decision *)1;
		int err = bg_decision_from_json(&e, t.ptr, t.len, "decision.json");
		TF_CHECK(err == BG_EINPUT, "case %zu (%s): %d", i, bad[i][0], err);
		TF_CHECK(e == NULL, "case %zu: out not cleared", i);
		char want[128];
		snprintf(want, sizeof(want),
			 "decision.json: not a valid bitgate decision: %s: ", bad[i][1]);
		TF_CHECK(strstr(bg_error_last(), want), "case %zu: message %s, want %s", i,
			 bg_error_last(), want);
		bg_buf_free(&t);
	}
}

/* Decisions stored before opt-in modes were general held one "strict" object: a measured
 * (or failed) one reads as the mode strict; one that says strict was not enabled, as no
 * mode. Their ids are set through the same call as the modes'. */
TF_TEST(report__json_reads_the_older_strict)
{
	const char *measured =
		"{\"schema\":\"bitgate-decision/"
		"1\",\"base\":{\"run_id\":1},\"head\":{\"run_id\":2},"
		"\"strict\":{\"measured\":1,\"overhead\":0.004,\"lo\":0.001,\"hi\":0.008,"
		"\"limit\":0.01,\"n_benchmarks\":3,\"run_id\":3},\"conclusion\":\"success\"}";
	const char *off = "{\"schema\":\"bitgate-decision/1\",\"base\":{},\"head\":{},"
			  "\"strict\":{\"measured\":0,\"skipped\":\"not enabled in bitgate.json "
			  "(gates.strict.enabled)\"},\"conclusion\":\"success\"}";
	struct bg_decision *e;
	TF_CHECK(bg_decision_from_json(&e, measured, strlen(measured), "old") == 0, "%s",
		 bg_error_last());
	TF_CHECK(e->n_modes == 1 && !strcmp(e->modes[0].name, "strict") &&
			 !strcmp(e->modes[0].env, "BITNET_STRICT_MODE=1") && e->modes[0].measured &&
			 e->modes[0].overhead == 0.004 && e->modes[0].run_id == 3,
		 "the older strict as a mode");
	bg_decision_free(e);
	TF_CHECK(bg_decision_from_json(&e, off, strlen(off), "old") == 0, "%s", bg_error_last());
	TF_CHECK_EQ(e->n_modes, (size_t)0);
	bg_decision_free(e);
	/* ids: base, head, then each mode's in order; the older strict takes the first */
	char *out;
	const int64_t runs[] = {30, 40};
	TF_CHECK_EQ(bg_decision_json_set_ids(&out, measured, 7, 10, 20, runs, 2), 0);
	TF_CHECK(strstr(out, "\"run_id\":10") && strstr(out, "\"run_id\":20") &&
			 strstr(out, "\"run_id\":30") && !strstr(out, "\"run_id\":40"),
		 "%s", out);
	free(out);
	const char *two = "{\"id\":1,\"base\":{\"run_id\":1},\"head\":{\"run_id\":2},\"modes\":"
			  "[{\"name\":\"a\",\"run_id\":3},{\"name\":\"b\",\"run_id\":4}]}";
	TF_CHECK_EQ(bg_decision_json_set_ids(&out, two, 7, 10, 20, runs, 2), 0);
	TF_CHECK(strstr(out, "\"id\":7") &&
			 strstr(out, "\"modes\":[{\"name\":\"a\",\"run_id\":30},{\"name\":\"b\","
				     "\"run_id\":40}]"),
		 "%s", out);
	free(out);
	/* NULL: every mode's run id zeroed (what export writes) */
	TF_CHECK_EQ(bg_decision_json_set_ids(&out, two, 0, 0, 0, NULL, 0), 0);
	TF_CHECK(!strstr(out, "\"run_id\":3") && !strstr(out, "\"run_id\":4"), "%s", out);
	free(out);
}
