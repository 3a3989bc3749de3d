/* bitgate.json's "gates" section (bg_gate_config_read): defaults when absent, every setting
 * read, and each mistake named by its JSON path. */
#include <stdio.h>
#include <string.h>

#include "bg_buf.h"
#include "bg_config.h"
#include "bg_error.h"
#include "bg_gate_config.h"
#include "bg_nightly_config.h"
#include "tf.h"

static const char head[] = "{\"version\": 1, \"bench\": {\"argv\": [\"b\"]}";

/* Parses head + extra as bitgate.json and reads its gates; the config is freed here. */
static int read_gates(const char *extra, struct bg_gate_config *gc)
{
	char text[2048];
	struct bg_config *cfg;
	snprintf(text, sizeof(text), "%s%s}", head, extra);
	int rc = bg_config_parse(&cfg, text, strlen(text), "test.json");
	TF_CHECK(rc == 0, "parse: %s", bg_error_last());
	if (rc < 0)
		return rc;
	rc = bg_gate_config_read(cfg, gc);
	bg_config_free(cfg);
	return rc;
}

TF_TEST(gate_config__defaults_without_gates)
{
	struct bg_gate_config gc, want;
	bg_gate_config_defaults(&want);
	TF_CHECK_EQ(read_gates("", &gc), 0);
	TF_CHECK(gc.rounds == want.rounds && gc.alpha == want.alpha &&
			 gc.threshold == want.threshold && gc.n_modes == 0 &&
			 gc.test_floor == want.test_floor && gc.history == want.history &&
			 gc.bootstrap == want.bootstrap,
		 "defaults");
	TF_CHECK(gc.n_thresholds == 0 && gc.n_floors == 0 && gc.n_required == 0 &&
			 gc.n_suite_floors == 0 && gc.modes == NULL,
		 "no lists");
	bg_gate_config_clear(&gc);
	bg_gate_config_clear(&want);
}

TF_TEST(gate_config__every_setting_read)
{
	struct bg_gate_config gc;
	TF_CHECK_EQ(
		read_gates(", \"gates\": {\"rounds\": 7, \"alpha\": 0.01, \"bootstrap\": 500, "
			   "\"perf\": {\"threshold\": 0.04, \"thresholds\": {\"membw/*\": 0.1}, "
			   "\"history\": 12, \"noise_quantile\": 0.9, \"quantile\": 0.2}, "
			   "\"modes\": [{\"name\": \"trace\", \"env\": {\"TRACE\": \"1\", \"LOG\": "
			   "\"x y\"}, \"limit\": 0.05, \"filter\": \"^gemv/\"}], \"strict\": "
			   "{\"enabled\": true, \"limit\": 0.02}, \"benchmarks\": {\"required\": "
			   "[\"matmul/*\", "
			   "\"gemv/*\"], \"floors\": {\"matmul/a\": 50}}, \"tests\": "
			   "{\"floor\": 0.99, \"suites\": {\"gpu\": 0.9}}}",
			   &gc),
		0);
	TF_CHECK(gc.rounds == 7 && gc.alpha == 0.01 && gc.bootstrap == 500, "top level");
	TF_CHECK(gc.threshold == 0.04 && gc.history == 12 && gc.noise_quantile == 0.9 &&
			 gc.quantile == 0.2,
		 "perf");
	TF_CHECK(gc.n_thresholds == 1 && !strcmp(gc.thresholds[0].pattern, "membw/*") &&
			 gc.thresholds[0].value == 0.1,
		 "thresholds");
	TF_CHECK(gc.n_modes == 2 && !strcmp(gc.modes[0].name, "trace") && gc.modes[0].n_env == 2 &&
			 !strcmp(gc.modes[0].env[0], "TRACE=1") &&
			 !strcmp(gc.modes[0].env[1], "LOG=x y") && gc.modes[0].limit == 0.05 &&
			 gc.modes[0].filter && !strcmp(gc.modes[0].filter, "^gemv/"),
		 "modes[0]");
	/* the older gates.strict, enabled: the mode strict with BITNET_STRICT_MODE=1 */
	TF_CHECK(gc.n_modes == 2 && !strcmp(gc.modes[1].name, "strict") && gc.modes[1].n_env == 1 &&
			 !strcmp(gc.modes[1].env[0], "BITNET_STRICT_MODE=1") &&
			 gc.modes[1].limit == 0.02 && gc.modes[1].filter == NULL,
		 "strict");
	TF_CHECK(gc.n_required == 2 && !strcmp(gc.required[0], "matmul/*") &&
			 !strcmp(gc.required[1], "gemv/*"),
		 "required");
	TF_CHECK(gc.n_floors == 1 && !strcmp(gc.floors[0].pattern, "matmul/a") &&
			 gc.floors[0].value == 50,
		 "floors");
	TF_CHECK(gc.test_floor == 0.99 && gc.n_suite_floors == 1 &&
			 !strcmp(gc.suite_floors[0].pattern, "gpu") &&
			 gc.suite_floors[0].value == 0.9,
		 "tests");
	bg_gate_config_clear(&gc);
}

TF_TEST(gate_config__mistakes_are_named)
{
	static const struct {
		const char *extra, *want;
	} bad[] = {
		{"{\"rounds\": 0}",
		 "test.json: gates.rounds: expected an integer in [1, 1000], got a number"},
		{"{\"rounds\": \"5\"}",
		 "gates.rounds: expected an integer in [1, 1000], got a string"},
		{"{\"alpha\": 0.9}", "gates.alpha: expected a number in [1e-06, 0.5], got 0.9"},
		{"{\"perf\": []}", "gates.perf: expected an object, got an array"},
		{"{\"perf\": {\"threshold\": \"5%\"}}",
		 "gates.perf.threshold: expected a number, got a string"},
		{"{\"perf\": {\"thresholds\": {\"a/*\": 2}}}",
		 "gates.perf.thresholds.a/*: expected a number in [0, 1], got 2"},
		{"{\"perf\": {\"thresholds\": [0.1]}}",
		 "gates.perf.thresholds: expected an object of patterns, got an array"},
		{"{\"perf\": {\"speed\": 1}}", "gates.perf.speed: unknown key"},
		{"{\"strict\": {\"enabled\": 1}}",
		 "gates.strict.enabled: expected a boolean, got a number"},
		{"{\"strict\": {\"filter\": \"(\"}}",
		 "gates.strict.filter: not a valid regular expression"},
		{"{\"strict\": {\"filter\": 3}}",
		 "gates.strict.filter: expected a regex string, got a number"},
		{"{\"benchmarks\": {\"required\": \"a\"}}",
		 "gates.benchmarks.required: expected an array of patterns, got a string"},
		{"{\"benchmarks\": {\"required\": [\"a\", 2]}}",
		 "gates.benchmarks.required[1]: expected a string, got a number"},
		{"{\"benchmarks\": {\"floors\": {\"a\": -1}}}",
		 "gates.benchmarks.floors.a: expected a number in [0, 1e+09], got -1"},
		{"{\"tests\": {\"suites\": {\"gpu\": null}}}",
		 "gates.tests.suites.gpu: expected a number, got null"},
		{"{\"colour\": 1}", "gates.colour: unknown key"},
		{"{\"modes\": {}}", "gates.modes: expected an array of modes, got an object"},
		{"{\"modes\": [3]}", "gates.modes[0]: expected an object, got a number"},
		{"{\"modes\": [{\"env\": {\"A\": \"1\"}}]}",
		 "gates.modes[0]: a mode needs a \"name\""},
		{"{\"modes\": [{\"name\": \"Strict\", \"env\": {\"A\": \"1\"}}]}",
		 "gates.modes[0].name: 'Strict' is not a mode name"},
		{"{\"modes\": [{\"name\": \"perf\", \"env\": {\"A\": \"1\"}}]}",
		 "gates.modes[0].name: 'perf' is taken (a built-in gate)"},
		{"{\"modes\": [{\"name\": \"default\", \"env\": {\"A\": \"1\"}}]}",
		 "gates.modes[0].name: 'default' is taken"},
		{"{\"modes\": [{\"name\": \"x\"}]}", "gates.modes[0]: mode 'x' needs an \"env\""},
		{"{\"modes\": [{\"name\": \"x\", \"env\": {}}]}",
		 "gates.modes[0]: mode 'x' needs an \"env\""},
		{"{\"modes\": [{\"name\": \"x\", \"env\": {\"1A\": \"1\"}}]}",
		 "gates.modes[0].env.1A: not a valid environment variable name"},
		{"{\"modes\": [{\"name\": \"x\", \"env\": {\"A\": \"1\"}, \"limit\": 2}]}",
		 "gates.modes[0].limit: expected a number in [0, 1], got 2"},
		{"{\"modes\": [{\"name\": \"x\", \"env\": {\"A\": 1}}]}",
		 "gates.modes[0].env.A: expected a string, got a number"},
		{"{\"modes\": [{\"name\": \"x\", \"env\": {\"A\": \"1\"}, \"colour\": 1}]}",
		 "gates.modes[0].colour: unknown key"},
		{"{\"modes\": [{\"name\": \"x\", \"env\": {\"A\": \"1\"}}, {\"name\": \"x\", "
		 "\"env\": {\"B\": \"1\"}}]}",
		 "gates.modes[1]: mode 'x' is declared twice"},
		{"{\"modes\": [{\"name\": \"strict\", \"env\": {\"A\": \"1\"}}], \"strict\": "
		 "{\"enabled\": true}}",
		 "gates.strict: mode 'strict' is declared twice"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char extra[512];
		struct bg_gate_config gc;
		snprintf(extra, sizeof(extra), ", \"gates\": %s", bad[i].extra);
		TF_CHECK_EQ(read_gates(extra, &gc), BG_EINPUT);
		TF_CHECK(strstr(bg_error_last(), bad[i].want) != NULL, "case %zu: %s", i,
			 bg_error_last());
		/* a failed read leaves nothing to free */
		TF_CHECK(gc.thresholds == NULL && gc.required == NULL && gc.modes == NULL,
			 "case %zu: lists kept", i);
	}
}

/* A key given twice, anywhere in "gates": cJSON keeps both members, and the old reader
 * allocated a second pattern array while keeping the first one's count (a heap overflow, or
 * NULL patterns that crashed fnmatch). Each is refused, naming the second one's path. */
TF_TEST(gate_config__duplicate_keys_refused)
{
	static const struct {
		const char *extra, *want;
	} bad[] = {
		{"{\"perf\": {\"thresholds\": {\"BM_*\": 0.05}, \"thresholds\": {}}}",
		 "test.json: gates.perf.thresholds: duplicate key"},
		{"{\"perf\": {\"thresholds\": {\"a\": 0.1}, \"thresholds\": {\"b\": 0.1, \"c\": "
		 "0.2, \"d\": 0.3}}}",
		 "gates.perf.thresholds: duplicate key"},
		{"{\"perf\": {\"thresholds\": {\"a\": 0.1, \"a\": 0.2}}}",
		 "gates.perf.thresholds.a: duplicate key"},
		{"{\"perf\": {\"thresholds\": {\"a\": 0.1}}, \"perf\": {}}",
		 "gates.perf: duplicate key"},
		{"{\"benchmarks\": {\"floors\": {\"a\": 1}, \"floors\": {}}}",
		 "gates.benchmarks.floors: duplicate key"},
		{"{\"tests\": {\"suites\": {\"gpu\": 0.9}, \"suites\": {}}}",
		 "gates.tests.suites: duplicate key"},
		{"{\"tests\": {\"suites\": {\"gpu\": 0.9}}, \"tests\": {}}",
		 "gates.tests: duplicate key"},
		{"{\"strict\": {\"filter\": \"a\", \"filter\": \"b\"}}",
		 "gates.strict.filter: duplicate key"},
		{"{\"rounds\": 5, \"rounds\": 6}", "gates.rounds: duplicate key"},
		{"{\"modes\": [{\"name\": \"x\", \"name\": \"y\", \"env\": {\"A\": \"1\"}}]}",
		 "gates.modes[0].name: duplicate key"},
		{"{\"modes\": [], \"modes\": []}", "gates.modes: duplicate key"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char extra[512];
		struct bg_gate_config gc;
		snprintf(extra, sizeof(extra), ", \"gates\": %s", bad[i].extra);
		TF_CHECK_EQ(read_gates(extra, &gc), BG_EINPUT);
		TF_CHECK(strstr(bg_error_last(), bad[i].want) != NULL, "case %zu: %s", i,
			 bg_error_last());
		TF_CHECK(gc.thresholds == NULL && gc.n_thresholds == 0 && gc.floors == NULL &&
				 gc.suite_floors == NULL && gc.modes == NULL,
			 "case %zu: lists kept", i);
		bg_gate_config_clear(&gc);
	}
}

/* Patterns the rules match against are never NULL, whatever a caller hands in. */
TF_TEST(gate_config__null_pattern_never_matched)
{
	struct bg_gate_config gc;
	struct bg_pattern_value pv[2] = {{NULL, 0.5}, {NULL, 0.7}};
	bg_gate_config_defaults(&gc);
	gc.thresholds = pv;
	gc.n_thresholds = 2;
	TF_CHECK(bg_gate_threshold_for(&gc, "BM_x") == gc.threshold, "a NULL pattern matched");
}

/* The nightly reader refuses a repeated key as the gates reader does: in nightly, in an
 * acknowledgement, and in gates.perf, whose threshold is its default. */
TF_TEST(gate_config__nightly_reader_refuses_duplicate_keys)
{
	static const struct {
		const char *extra, *want;
	} bad[] = {
		{", \"nightly\": {\"threshold\": 0.02, \"threshold\": 0.5}",
		 "test.json: nightly.threshold: duplicate key"},
		{", \"acknowledge\": [{\"series\": \"a\", \"commit\": \"abcdef1\", \"reason\": "
		 "\"r\", \"series\": \"b\"}]",
		 "test.json: acknowledge[0].series: duplicate key"},
		{", \"gates\": {\"perf\": {\"threshold\": 0.1, \"threshold\": 0.2}}",
		 "test.json: gates.perf.threshold: duplicate key"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char text[1024];
		struct bg_config *cfg;
		struct bg_nightly_config nc;
		snprintf(text, sizeof(text), "%s%s}", head, bad[i].extra);
		TF_CHECK_EQ(bg_config_parse(&cfg, text, strlen(text), "test.json"), 0);
		TF_CHECK_EQ(bg_nightly_config_read(cfg, &nc), BG_EINPUT);
		TF_CHECK(strstr(bg_error_last(), bad[i].want) != NULL, "case %zu: %s", i,
			 bg_error_last());
		bg_config_free(cfg);
	}
}

/* A mode's filter is bounded before regcomp: the "a" and 21 '+' took 1.5 GB in
 * glibc. Each refusal names the path (gates.modes[i].filter, or the older
 * gates.strict.filter, read even when strict is not enabled); an ordinary filter reads. */
TF_TEST(gate_config__mode_filter_bounded)
{
	static const struct {
		const char *filter, *want;
	} bad[] = {
		{"a+++++++++++++++++++++",
		 "test.json: gates.strict.filter: too large once its repetitions are expanded"},
		{"((((((((((((((((((((a+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+",
		 "gates.strict.filter: too large once its repetitions are expanded"},
		{"((a{200}){200}){200}", "gates.strict.filter: too large"},
		{"a{5000}", "gates.strict.filter: a repetition count above 2048 at byte 2"},
		{"(x*)y\\\\1", "gates.strict.filter: a back-reference (not supported)"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char extra[512];
		struct bg_gate_config gc;
		snprintf(extra, sizeof(extra), ", \"gates\": {\"strict\": {\"filter\": \"%s\"}}",
			 bad[i].filter);
		TF_CHECK_EQ(read_gates(extra, &gc), BG_EINPUT);
		TF_CHECK(strstr(bg_error_last(), bad[i].want) != NULL, "case %zu: %s", i,
			 bg_error_last());
		TF_CHECK(gc.modes == NULL, "case %zu: mode kept", i);
	}
	struct bg_gate_config gc;
	TF_CHECK_EQ(read_gates(", \"gates\": {\"modes\": [{\"name\": \"t\", \"env\": {\"A\": "
			       "\"1\"}, \"filter\": \"a{5000}\"}]}",
			       &gc),
		    BG_EINPUT);
	TF_CHECK(strstr(bg_error_last(), "gates.modes[0].filter: a repetition count above 2048"),
		 "%s", bg_error_last());
	TF_CHECK_EQ(read_gates(", \"gates\": {\"strict\": {\"enabled\": true, \"filter\": "
			       "\"^(gemv|matmul)/[a-z0-9]+/\"}}",
			       &gc),
		    0);
	TF_CHECK(gc.n_modes == 1 && gc.modes[0].filter &&
			 !strcmp(gc.modes[0].filter, "^(gemv|matmul)/[a-z0-9]+/"),
		 "an ordinary filter reads");
	bg_gate_config_clear(&gc);
}

/* At most BG_MODES_MAX modes: each adds a side to every round. */
TF_TEST(gate_config__mode_count_bounded)
{
	struct bg_buf b = BG_BUF_INIT;
	bg_buf_puts(&b, ", \"gates\": {\"modes\": [");
	for (int i = 0; i <= BG_MODES_MAX; i++)
		bg_buf_printf(&b, "%s{\"name\": \"m%d\", \"env\": {\"M\": \"%d\"}}", i ? ", " : "",
			      i, i);
	bg_buf_puts(&b, "]}");
	struct bg_gate_config gc;
	TF_CHECK_EQ(read_gates(bg_buf_cstr(&b), &gc), BG_EINPUT);
	TF_CHECK(strstr(bg_error_last(), "gates.modes[8]: more than 8 modes"), "%s",
		 bg_error_last());
	bg_buf_free(&b);
}

/* bitgate.json with n entries at the place fmt makes ("%s" gets them), parsed: 0 or the
 * error of reading its gates or acknowledge list. */
static int read_many(const char *fmt, const char *entry, int n, int acks)
{
	struct bg_buf list = BG_BUF_INIT, text = BG_BUF_INIT;
	for (int i = 0; i < n; i++) {
		char e[96];
		snprintf(e, sizeof(e), entry, i);
		bg_buf_printf(&list, "%s%s", i ? ", " : "", e);
	}
	bg_buf_printf(&text, "%s, ", head);
	bg_buf_printf(&text, fmt, list.ptr);
	bg_buf_puts(&text, "}");
	struct bg_config *cfg;
	int rc = bg_config_parse(&cfg, text.ptr, text.len, "test.json");
	TF_CHECK(rc == 0, "parse: %s", bg_error_last());
	if (rc == 0 && acks) {
		struct bg_nightly_config nc;
		if ((rc = bg_nightly_config_read(cfg, &nc)) == 0)
			bg_nightly_config_clear(&nc);
	} else if (rc == 0) {
		struct bg_gate_config gc;
		if ((rc = bg_gate_config_read(cfg, &gc)) == 0)
			bg_gate_config_clear(&gc);
	}
	bg_config_free(cfg);
	bg_buf_free(&list);
	bg_buf_free(&text);
	return rc;
}

TF_TEST(gate_config__pattern_counts_bounded)
{
	/* every benchmark is matched against every pattern: at most 1,000 of each kind */
	static const struct {
		const char *fmt, *entry, *want;
		int acks;
	} kinds[] = {
		{"\"gates\": {\"perf\": {\"thresholds\": {%s}}}", "\"t%d/*\": 0.1",
		 "test.json: gates.perf.thresholds: 1001 patterns, more than the 1000", 0},
		{"\"gates\": {\"benchmarks\": {\"floors\": {%s}}}", "\"f%d\": 1",
		 "gates.benchmarks.floors: 1001 patterns", 0},
		{"\"gates\": {\"benchmarks\": {\"required\": [%s]}}", "\"r%d\"",
		 "gates.benchmarks.required: 1001 patterns", 0},
		{"\"gates\": {\"tests\": {\"suites\": {%s}}}", "\"s%d\": 0.5",
		 "gates.tests.suites: 1001 patterns", 0},
		{"\"acknowledge\": [%s]",
		 "{\"series\": \"s%d\", \"commit\": \"abcdef1\", \"reason\": \"r\"}",
		 "test.json: acknowledge: 1001 entries, more than the 1000", 1},
	};
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		TF_CHECK(read_many(kinds[k].fmt, kinds[k].entry, BG_GATE_MAX_PATTERNS,
				   kinds[k].acks) == 0,
			 "%s: %s", kinds[k].fmt, bg_error_last());
		TF_CHECK(read_many(kinds[k].fmt, kinds[k].entry, BG_GATE_MAX_PATTERNS + 1,
				   kinds[k].acks) == BG_EINPUT,
			 "%s: accepted", kinds[k].fmt);
		TF_CHECK(strstr(bg_error_last(), kinds[k].want), "%s", bg_error_last());
	}
}
