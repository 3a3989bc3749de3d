/* bitgate.json: the DESIGN.md example, every field and default, every kind of mistake (each
 * message checked for its JSON path), placeholder expansion and the two hashes. */
#include <cJSON.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bg_config.h"
#include "bg_error.h"
#include "bg_hash.h"
#include "tf.h"

#define ORIGIN "bitgate.json at abc1234"

/* The example of DESIGN.md, verbatim. */
static const char design_example[] =
	"{\n"
	"  \"version\": 1,\n"
	"  \"default_branch\": \"main\",\n"
	"  \"build\": [\n"
	"    {\"name\": \"configure\", \"argv\": [\"cmake\", \"-S\", \"{src}\", \"-B\", "
	"\"{build}\", \"-DCMAKE_BUILD_TYPE=Release\"], \"timeout_s\": 600},\n"
	"    {\"name\": \"compile\", \"argv\": [\"cmake\", \"--build\", \"{build}\", \"-j\", "
	"\"{jobs}\"], \"timeout_s\": 1800}\n"
	"  ],\n"
	"  \"bench\": {\"argv\": [\"{build}/bin/bitnet-bench\", \"--format\", \"json\"], "
	"\"format\": \"bitgate-bench/1\",\n"
	"            \"timeout_s\": 900, \"env\": {}},\n"
	"  \"tests\": [\n"
	"    {\"suite\": \"cpu\", \"argv\": [\"ctest\", \"--test-dir\", \"{build}\", \"-LE\", "
	"\"gpu\", \"--output-junit\", \"{out}/cpu.xml\"],\n"
	"     \"junit\": \"{out}/cpu.xml\", \"timeout_s\": 1800}\n"
	"  ],\n"
	"  \"gates\": {}\n"
	"}\n";

static struct bg_config *parse_ok(const char *text)
{
	struct bg_config *cfg = NULL;
	int rc = bg_config_parse(&cfg, text, strlen(text), ORIGIN);
	TF_CHECK(rc == 0, "rc %d: %s", rc, bg_error_last());
	TF_CHECK(cfg != NULL, "no config");
	return cfg;
}

/* Expects BG_EINPUT, nothing returned, and the message "ORIGIN: " + want (want must be the
 * start of what follows the origin, so the path is checked exactly). */
static void expect_fail(const char *text, const char *want)
{
	struct bg_config *cfg = (struct bg_config *)&cfg;
	int rc = bg_config_parse(&cfg, text, strlen(text), ORIGIN);
	TF_CHECK(rc == BG_EINPUT, "rc %d for %s", rc, text);
	TF_CHECK(cfg == NULL, "a config came back with an error");
	const char *msg = bg_error_last();
	size_t olen = strlen(ORIGIN ": ");
	TF_CHECK(!strncmp(msg, ORIGIN ": ", olen) && !strncmp(msg + olen, want, strlen(want)),
		 "message \"%s\", wanted \"" ORIGIN ": %s...\"", msg, want);
}

/* A minimal valid document with extra top-level members spliced in after "bench". */
static void expect_fail_with(const char *members, const char *want)
{
	char text[4096];
	snprintf(text, sizeof(text), "{\"version\": 1, \"bench\": {\"argv\": [\"b\"]}%s%s}",
		 members[0] ? ", " : "", members);
	expect_fail(text, want);
}

static void check_argv(char **argv, size_t argc, const char *const *want)
{
	size_t n = 0;
	while (want[n])
		n++;
	TF_CHECK(argc == n, "argc %zu, want %zu", argc, n);
	for (size_t i = 0; i < n; i++)
		TF_CHECK(argv[i] && !strcmp(argv[i], want[i]), "argv[%zu] %s, want %s", i, argv[i],
			 want[i]);
	TF_CHECK(argv[n] == NULL, "argv not NULL-terminated");
}

static bool is_hex64(const char *s)
{
	if (strlen(s) != 64)
		return false;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return false;
	return true;
}

TF_TEST(config__design_example)
{
	struct bg_config *cfg = parse_ok(design_example);
	TF_CHECK_EQ(cfg->version, 1);
	TF_CHECK(!strcmp(cfg->default_branch, "main"), "default_branch");
	TF_CHECK(!strcmp(cfg->origin, ORIGIN), "origin");

	TF_CHECK_EQ(cfg->n_build, 2);
	TF_CHECK(!strcmp(cfg->build[0].name, "configure"), "build[0].name");
	check_argv(cfg->build[0].argv, cfg->build[0].argc,
		   (const char *const[]){"cmake", "-S", "{src}", "-B", "{build}",
					 "-DCMAKE_BUILD_TYPE=Release", NULL});
	TF_CHECK(cfg->build[0].timeout_s == 600.0, "build[0].timeout_s");
	TF_CHECK(cfg->build[0].env && cfg->build[0].env[0] == NULL && cfg->build[0].n_env == 0,
		 "build[0].env empty but present");
	TF_CHECK(cfg->build[0].cwd == NULL, "build[0].cwd");
	TF_CHECK(!strcmp(cfg->build[1].name, "compile"), "build[1].name");
	check_argv(cfg->build[1].argv, cfg->build[1].argc,
		   (const char *const[]){"cmake", "--build", "{build}", "-j", "{jobs}", NULL});
	TF_CHECK(cfg->build[1].timeout_s == 1800.0, "build[1].timeout_s");

	TF_CHECK(!strcmp(cfg->bench.name, "bench"), "bench.name");
	check_argv(cfg->bench.argv, cfg->bench.argc,
		   (const char *const[]){"{build}/bin/bitnet-bench", "--format", "json", NULL});
	TF_CHECK(!strcmp(cfg->bench_format, "bitgate-bench/1"), "bench.format");
	TF_CHECK(cfg->bench.timeout_s == 900.0, "bench.timeout_s");
	TF_CHECK(cfg->bench.env && cfg->bench.env[0] == NULL && cfg->bench.n_env == 0, "bench.env");
	TF_CHECK(cfg->bench.cwd == NULL, "bench.cwd");
	TF_CHECK_EQ(cfg->bench_warmup, 1);

	TF_CHECK_EQ(cfg->n_tests, 1);
	TF_CHECK(!strcmp(cfg->tests[0].step.name, "cpu"), "tests[0].suite");
	check_argv(cfg->tests[0].step.argv, cfg->tests[0].step.argc,
		   (const char *const[]){"ctest", "--test-dir", "{build}", "-LE", "gpu",
					 "--output-junit", "{out}/cpu.xml", NULL});
	TF_CHECK(!strcmp(cfg->tests[0].junit, "{out}/cpu.xml"), "tests[0].junit");
	TF_CHECK(cfg->tests[0].step.timeout_s == 1800.0, "tests[0].timeout_s");

	TF_CHECK(cfg->env && cfg->env[0] == NULL && cfg->n_env == 0, "top-level env");
	TF_CHECK(cfg->root && cJSON_IsObject(cJSON_GetObjectItem(cfg->root, "gates")), "root kept");

	/* hash: SHA-256 of the unformatted document. */
	char *canon = cJSON_PrintUnformatted(cfg->root);
	char want[65];
	bg_sha256_hex(want, canon, strlen(canon));
	cJSON_free(canon);
	TF_CHECK(!strcmp(cfg->hash, want), "hash %s, want %s", cfg->hash, want);
	TF_CHECK(is_hex64(cfg->build_hash), "build_hash %s", cfg->build_hash);
	TF_CHECK(strcmp(cfg->hash, cfg->build_hash) != 0, "two different hashes");
	bg_config_free(cfg);
}

TF_TEST(config__defaults)
{
	struct bg_config *cfg = parse_ok("{\"bench\": {\"argv\": [\"./bench\"]}, \"version\": 1}");
	TF_CHECK(!strcmp(cfg->default_branch, "main"), "default_branch");
	TF_CHECK(!strcmp(cfg->bench_format, "bitgate-bench/1"), "format");
	TF_CHECK_EQ(cfg->bench_warmup, 1);
	TF_CHECK(cfg->bench.timeout_s == BG_CONFIG_BENCH_TIMEOUT, "bench timeout");
	TF_CHECK(cfg->n_build == 0 && cfg->build == NULL, "no build steps");
	TF_CHECK(cfg->n_tests == 0 && cfg->tests == NULL, "no tests");
	TF_CHECK(cfg->env && cfg->n_env == 0, "env");
	bg_config_free(cfg);

	cfg = parse_ok("{\"version\": 1, \"build\": [{\"name\": \"b\", \"argv\": [\"make\"]}], "
		       "\"bench\": {\"argv\": [\"x\"]}, "
		       "\"tests\": [{\"suite\": \"s\", \"argv\": [\"t\"], \"junit\": \"j.xml\"}]}");
	TF_CHECK(cfg->build[0].timeout_s == BG_CONFIG_BUILD_TIMEOUT, "build timeout");
	TF_CHECK(cfg->tests[0].step.timeout_s == BG_CONFIG_TEST_TIMEOUT, "test timeout");
	TF_CHECK(cfg->tests[0].step.cwd == NULL && cfg->tests[0].step.n_env == 0, "test defaults");
	bg_config_free(cfg);
}

TF_TEST(config__every_field)
{
	static const char text[] =
		"{\"version\": 1, \"default_branch\": \"trunk\",\n"
		" \"env\": {\"CC\": \"gcc-12\", \"OUT_DIR\": \"{out}/x\"},\n"
		" \"build\": [{\"name\": \"make\", \"argv\": [\"make\", \"-j{jobs}\", \"\"],\n"
		"   \"cwd\": \"{src}/sub\", \"env\": {\"_V1\": \"1\"}, \"timeout_s\": 12.5}],\n"
		" \"bench\": {\"argv\": [\"b\", \"{{literal}}\"], \"format\": "
		"\"googlebenchmark\",\n"
		"   \"warmup\": 3, \"cwd\": \"{out}\", \"env\": {\"OMP_NUM_THREADS\": \"1\"},\n"
		"   \"timeout_s\": 60},\n"
		" \"tests\": [{\"suite\": \"cpu\", \"argv\": [\"t\"], \"junit\": "
		"\"{out}/a.xml\"},\n"
		"   {\"suite\": \"gpu\", \"argv\": [\"t2\"], \"junit\": \"{out}/b.xml\",\n"
		"    \"cwd\": \"{build}\", \"env\": {\"A\": \"\"}, \"timeout_s\": 5}],\n"
		" \"gates\": {\"anything\": [1, {\"goes\": true}]},\n"
		" \"acknowledge\": [{\"whatever\": 1}],\n"
		" \"x-team\": {\"owner\": \"perf\"}, \"x-note\": 7}\n";
	struct bg_config *cfg = parse_ok(text);
	TF_CHECK(!strcmp(cfg->default_branch, "trunk"), "default_branch");
	TF_CHECK_EQ(cfg->n_env, 2);
	TF_CHECK(!strcmp(cfg->env[0], "CC=gcc-12") && !strcmp(cfg->env[1], "OUT_DIR={out}/x") &&
			 cfg->env[2] == NULL,
		 "env %s %s", cfg->env[0], cfg->env[1]);

	const struct bg_step *s = &cfg->build[0];
	check_argv(s->argv, s->argc, (const char *const[]){"make", "-j{jobs}", "", NULL});
	TF_CHECK(!strcmp(s->cwd, "{src}/sub"), "cwd");
	TF_CHECK(s->n_env == 1 && !strcmp(s->env[0], "_V1=1") && s->env[1] == NULL, "step env");
	TF_CHECK(s->timeout_s == 12.5, "timeout");

	s = &cfg->bench;
	check_argv(s->argv, s->argc, (const char *const[]){"b", "{{literal}}", NULL});
	TF_CHECK(!strcmp(cfg->bench_format, "googlebenchmark"), "format");
	TF_CHECK_EQ(cfg->bench_warmup, 3);
	TF_CHECK(!strcmp(s->cwd, "{out}"), "bench cwd");
	TF_CHECK(s->n_env == 1 && !strcmp(s->env[0], "OMP_NUM_THREADS=1"), "bench env");
	TF_CHECK(s->timeout_s == 60.0, "bench timeout");

	TF_CHECK_EQ(cfg->n_tests, 2);
	TF_CHECK(!strcmp(cfg->tests[1].step.name, "gpu"), "suite");
	TF_CHECK(!strcmp(cfg->tests[1].junit, "{out}/b.xml"), "junit");
	TF_CHECK(!strcmp(cfg->tests[1].step.cwd, "{build}"), "test cwd");
	TF_CHECK(cfg->tests[1].step.n_env == 1 && !strcmp(cfg->tests[1].step.env[0], "A="),
		 "test env");
	TF_CHECK(cfg->tests[1].step.timeout_s == 5.0, "test timeout");
	TF_CHECK(cJSON_IsArray(cJSON_GetObjectItem(cfg->root, "acknowledge")), "acknowledge kept");
	bg_config_free(cfg);

	/* warmup 0 is allowed: no warm-up run. */
	cfg = parse_ok("{\"version\": 1, \"bench\": {\"argv\": [\"b\"], \"warmup\": 0}}");
	TF_CHECK_EQ(cfg->bench_warmup, 0);
	bg_config_free(cfg);
}

TF_TEST(config__unknown_keys)
{
	expect_fail("{\"version\": 1, \"bench\": {\"argv\": [\"b\"]}, \"build\": "
		    "[{\"name\": \"x\", \"argv\": [\"y\"], \"timeuot_s\": 5}]}",
		    "build[0].timeuot_s: unknown key");
	expect_fail_with("\"benchmark\": {}", "benchmark: unknown key");
	expect_fail("{\"version\": 1, \"bench\": {\"argv\": [\"b\"], \"name\": \"b\"}}",
		    "bench.name: unknown key");
	expect_fail_with("\"tests\": [{\"suite\": \"s\", \"argv\": [\"t\"], \"junit\": \"j\", "
			 "\"format\": \"x\"}]",
			 "tests[0].format: unknown key");
	/* Keys are case-sensitive, and "x-" is only free at the top level. */
	expect_fail_with("\"Version\": 1", "Version: unknown key");
	expect_fail("{\"version\": 1, \"bench\": {\"argv\": [\"b\"], \"x-note\": 1}}",
		    "bench.x-note: unknown key");
	expect_fail_with("\"X-note\": 1", "X-note: unknown key");
}

TF_TEST(config__wrong_types)
{
	expect_fail_with("\"tests\": [{\"suite\": \"a\", \"argv\": [\"t\"], \"junit\": \"j\"}, "
			 "{\"suite\": \"b\", \"argv\": [\"t\"], \"junit\": 3}]",
			 "tests[1].junit: expected a string, got a number");
	expect_fail("{\"version\": 2, \"bench\": {\"argv\": [\"b\"]}}",
		    "version: expected 1, got 2");
	expect_fail("{\"version\": \"1\", \"bench\": {\"argv\": [\"b\"]}}",
		    "version: expected 1, got a string");
	expect_fail("{\"version\": 1.5, \"bench\": {\"argv\": [\"b\"]}}",
		    "version: expected 1, got 1.5");
	expect_fail_with("\"default_branch\": [\"main\"]",
			 "default_branch: expected a string, got an array");
	expect_fail_with("\"build\": {}", "build: expected an array of steps, got an object");
	expect_fail_with("\"build\": [\"make\"]", "build[0]: expected an object, got a string");
	expect_fail_with("\"build\": [{\"name\": \"m\", \"argv\": [\"make\", 4]}]",
			 "build[0].argv[1]: expected a string, got a number");
	expect_fail_with("\"build\": [{\"name\": \"m\", \"argv\": \"make all\"}]",
			 "build[0].argv: expected an array of strings, got a string");
	expect_fail_with("\"build\": [{\"name\": \"m\", \"argv\": [\"\"]}]",
			 "build[0].argv[0]: expected a program");
	expect_fail_with("\"build\": [{\"name\": \"m\", \"argv\": [\"make\"], \"timeout_s\": 0}]",
			 "build[0].timeout_s: expected a positive number, got 0");
	expect_fail_with(
		"\"build\": [{\"name\": \"m\", \"argv\": [\"make\"], \"timeout_s\": \"5\"}]",
		"build[0].timeout_s: expected a number of seconds, got a string");
	expect_fail_with("\"build\": [{\"name\": 1, \"argv\": [\"make\"]}]",
			 "build[0].name: expected a string, got a number");
	expect_fail_with("\"env\": {\"CC\": 12}", "env.CC: expected a string, got a number");
	expect_fail_with("\"env\": [\"CC=gcc\"]",
			 "env: expected an object of strings, got an array");
	expect_fail_with("\"env\": {\"1CC\": \"x\"}",
			 "env.1CC: not a valid environment variable name");
	expect_fail_with("\"env\": {\"A-B\": \"x\"}",
			 "env.A-B: not a valid environment variable name");
	expect_fail_with("\"env\": {\"\": \"x\"}",
			 "env.\"\": not a valid environment variable name");
	expect_fail_with("\"gates\": []", "gates: expected an object, got an array");
	expect_fail_with("\"acknowledge\": {}", "acknowledge: expected an array, got an object");
	expect_fail(
		"{\"version\": 1, \"bench\": {\"argv\": [\"b\"], \"format\": \"csv\"}}",
		"bench.format: expected \"bitgate-bench/1\", \"googlebenchmark\", \"hyperfine\" or "
		"\"pytest-benchmark\", got \"csv\"");
	expect_fail("{\"version\": 1, \"bench\": {\"argv\": [\"b\"], \"warmup\": -1}}",
		    "bench.warmup: expected an integer >= 0, got a number");
	expect_fail("{\"version\": 1, \"bench\": {\"argv\": [\"b\"], \"warmup\": 1.5}}",
		    "bench.warmup: expected an integer >= 0");
	expect_fail("{\"version\": 1, \"bench\": {\"argv\": [\"b\"], \"env\": {\"X\": null}}}",
		    "bench.env.X: expected a string, got null");
	expect_fail("{\"version\": 1, \"bench\": []}", "bench: expected an object, got an array");
	expect_fail("[1]", "expected a JSON object at the top level, got an array");
}

TF_TEST(config__missing_required)
{
	expect_fail("{\"version\": 1}", "bench: required");
	expect_fail("{\"version\": 1, \"bench\": {\"timeout_s\": 5}}", "bench.argv: required");
	expect_fail("{\"bench\": {\"argv\": [\"b\"]}}", "version: required");
	expect_fail_with("\"build\": [{\"argv\": [\"make\"]}]", "build[0].name: required");
	expect_fail_with("\"tests\": [{\"suite\": \"s\", \"argv\": [\"t\"]}]",
			 "tests[0].junit: required");
	expect_fail_with("\"tests\": [{\"argv\": [\"t\"], \"junit\": \"j\"}]",
			 "tests[0].suite: required");
	expect_fail_with("\"tests\": [{\"suite\": \"s\", \"junit\": \"j\"}]",
			 "tests[0].argv: required");
	expect_fail("{\"version\": 1, \"bench\": {\"argv\": []}}", "bench.argv: empty");
	expect_fail_with("\"tests\": [{\"suite\": \"\", \"argv\": [\"t\"], \"junit\": \"j\"}]",
			 "tests[0].suite: expected a non-empty string");
}

TF_TEST(config__bad_placeholders)
{
	expect_fail("{\"version\": 1, \"bench\": {\"argv\": [\"{sorce}/bench\"]}}",
		    "bench.argv[0]: unknown placeholder {sorce}");
	expect_fail("{\"version\": 1, \"bench\": {\"argv\": [\"b\", \"--out={out\"]}}",
		    "bench.argv[1]: unclosed placeholder \"{out\"");
	expect_fail("{\"version\": 1, \"bench\": {\"argv\": [\"b\", \"a}b\"]}}",
		    "bench.argv[1]: a lone '}'");
	expect_fail("{\"version\": 1, \"bench\": {\"argv\": [\"b\"], \"cwd\": \"{bulid}\"}}",
		    "bench.cwd: unknown placeholder {bulid}");
	expect_fail("{\"version\": 1, \"bench\": {\"argv\": [\"b\"], \"env\": {\"P\": \"{SRC}\"}}}",
		    "bench.env.P: unknown placeholder {SRC}");
	expect_fail_with("\"tests\": [{\"suite\": \"s\", \"argv\": [\"t\"], \"junit\": \"{}/x\"}]",
			 "tests[0].junit: unknown placeholder {}");
	expect_fail_with("\"env\": {\"P\": \"{jobs }\"}", "env.P: unknown placeholder {jobs }");
	expect_fail_with("\"build\": [{\"name\": \"{src}\", \"argv\": [\"make\"]}, "
			 "{\"name\": \"n\", \"argv\": [\"make\", \"{job}\"]}]",
			 "build[1].argv[1]: unknown placeholder {job}");
	/* Literal braces are fine. */
	struct bg_config *cfg =
		parse_ok("{\"version\": 1, \"bench\": {\"argv\": [\"b\", \"{{}}\", \"{{src}}\"]}}");
	bg_config_free(cfg);
}

TF_TEST(config__malformed_json)
{
	/* A missing comma at the end of line 3: cJSON stops at the next key, line 4 col 3. */
	expect_fail("{\n  \"version\": 1,\n  \"bench\": {\"argv\": [\"b\"]}\n  \"tests\": []\n}\n",
		    "malformed JSON at line 4, column 3 near `\"tests\": []`");
	expect_fail("{\"version\": 1,\n\"bench\": {\"argv\": [\"b\"]},\n",
		    "JSON ends early at line 3");
	expect_fail("{\"version\": 1, /* comment */ \"bench\": {}}",
		    "malformed JSON at line 1, column 16 near `/* comment */");
	expect_fail("", "empty, expected a JSON document");
	expect_fail("version = 1\n", "not JSON: line 1 starts with `version = 1`");
	/* Tabs count as one column each. */
	expect_fail("{\n\t\"version\": 1,\n\t\"bench\": {\"argv\": [\"b\"],}\n}",
		    "malformed JSON at line 3, column 26 near `}`");
}

TF_TEST(config__duplicates)
{
	expect_fail_with("\"tests\": [{\"suite\": \"cpu\", \"argv\": [\"t\"], \"junit\": \"a\"}, "
			 "{\"suite\": \"gpu\", \"argv\": [\"t\"], \"junit\": \"b\"}, "
			 "{\"suite\": \"cpu\", \"argv\": [\"t\"], \"junit\": \"c\"}]",
			 "tests[2].suite: duplicate suite \"cpu\" (also tests[0])");
	expect_fail("{\"version\": 1, \"bench\": {\"argv\": [\"b\"]}, \"version\": 1}",
		    "version: duplicate key");
	expect_fail("{\"version\": 1, \"bench\": {\"argv\": [\"b\"], \"argv\": [\"c\"]}}",
		    "bench.argv: duplicate key");
	expect_fail_with("\"env\": {\"A\": \"1\", \"A\": \"2\"}", "env.A: duplicate key");
}

TF_TEST(config__first_problem_in_document_order)
{
	/* Two problems: the one written first is reported. */
	expect_fail("{\"tests\": 5, \"version\": 3, \"bench\": {}}",
		    "tests: expected an array of suites, got a number");
	expect_fail("{\"version\": 1, \"bench\": {\"timeout_s\": -1, \"argv\": 3}}",
		    "bench.timeout_s: expected a positive number, got -1");
	/* Unknown keys come before missing required ones. */
	expect_fail("{\"bench\": {\"argv\": [\"b\"]}, \"verison\": 1}", "verison: unknown key");
}

TF_TEST(config__expand)
{
	const struct bg_vars vars = {"/s", "/b", "/o", 8, NULL};
	char *out = NULL;
	TF_CHECK(bg_config_expand_str(&out, "{src}:{build}:{out}:-j{jobs}", &vars) == 0, "%s",
		 bg_error_last());
	TF_CHECK(!strcmp(out, "/s:/b:/o:-j8"), "got %s", out);
	free(out);
	TF_CHECK(bg_config_expand_str(&out, "{{src}} }}{{ {{{src}}}", &vars) == 0, "%s",
		 bg_error_last());
	TF_CHECK(!strcmp(out, "{src} }{ {/s}"), "got %s", out);
	free(out);
	TF_CHECK(bg_config_expand_str(&out, "", &vars) == 0 && !strcmp(out, ""), "empty");
	free(out);

	out = (char *)&out;
	TF_CHECK(bg_config_expand_str(&out, "{sorce}/x", &vars) == BG_EINPUT && out == NULL,
		 "unknown placeholder");
	TF_CHECK(strstr(bg_error_last(), "unknown placeholder {sorce}") &&
			 strstr(bg_error_last(), "{sorce}/x"),
		 "%s", bg_error_last());
	const struct bg_vars partial = {"/s", "/b", NULL, 1, NULL};
	TF_CHECK(bg_config_expand_str(&out, "{out}/x", &partial) == BG_EINPUT, "no value");
	TF_CHECK(strstr(bg_error_last(), "{out} has no value"), "%s", bg_error_last());

	char *argv[] = {"{build}/bin/b", "--jobs={jobs}", "{{x}}", NULL};
	char **ex = NULL;
	TF_CHECK(bg_config_expand_argv(&ex, argv, &vars) == 0, "%s", bg_error_last());
	check_argv(ex, 3, (const char *const[]){"/b/bin/b", "--jobs=8", "{x}", NULL});
	bg_strv_free(ex);
	char *bad[] = {"ok", "{nope}", NULL};
	ex = (char **)&ex;
	TF_CHECK(bg_config_expand_argv(&ex, bad, &vars) == BG_EINPUT && ex == NULL, "bad argv");
	bg_strv_free(NULL);

	/* A parsed config's strings expand. */
	struct bg_config *cfg = parse_ok(design_example);
	TF_CHECK(bg_config_expand_argv(&ex, cfg->build[1].argv, &vars) == 0, "expand");
	check_argv(ex, 5, (const char *const[]){"cmake", "--build", "/b", "-j", "8", NULL});
	bg_strv_free(ex);
	bg_config_free(cfg);
}

/* Parses text and copies its two hashes. */
static void hashes(const char *text, char *hash, char *build_hash)
{
	struct bg_config *cfg = parse_ok(text);
	memcpy(hash, cfg->hash, 65);
	memcpy(build_hash, cfg->build_hash, 65);
	bg_config_free(cfg);
}

TF_TEST(config__hashes)
{
	char h0[65], b0[65], h1[65], b1[65];
	hashes("{\"version\": 1, \"build\": [{\"name\": \"m\", \"argv\": [\"make\"], "
	       "\"timeout_s\": 10, \"env\": {\"A\": \"1\", \"B\": \"2\"}}], \"env\": {\"X\": "
	       "\"1\"}, "
	       "\"bench\": {\"argv\": [\"b\"], \"timeout_s\": 10}}",
	       h0, b0);
	TF_CHECK(is_hex64(h0) && is_hex64(b0), "hex");

	/* Whitespace does not matter to either hash. */
	hashes("{ \"version\":1,\n\"build\":[{\"name\":\"m\",\"argv\":[\"make\"],"
	       "\"timeout_s\":10,\"env\":{\"A\":\"1\",\"B\":\"2\"}}],\"env\":{\"X\":\"1\"},\n"
	       "\"bench\":{\"argv\":[\"b\"],\"timeout_s\":10} }",
	       h1, b1);
	TF_CHECK(!strcmp(h0, h1) && !strcmp(b0, b1), "whitespace changed a hash");

	/* The bench timeout: the document changes, the build does not. */
	hashes("{\"version\": 1, \"build\": [{\"name\": \"m\", \"argv\": [\"make\"], "
	       "\"timeout_s\": 10, \"env\": {\"A\": \"1\", \"B\": \"2\"}}], \"env\": {\"X\": "
	       "\"1\"}, "
	       "\"bench\": {\"argv\": [\"b\"], \"timeout_s\": 20}}",
	       h1, b1);
	TF_CHECK(strcmp(h0, h1) != 0, "hash unchanged by a bench edit");
	TF_CHECK(!strcmp(b0, b1), "build_hash changed by a bench edit");

	/* Tests, gates and a build timeout do not change what is built either. */
	hashes("{\"version\": 1, \"build\": [{\"name\": \"m\", \"argv\": [\"make\"], "
	       "\"timeout_s\": 99, \"env\": {\"B\": \"2\", \"A\": \"1\"}}], \"env\": {\"X\": "
	       "\"1\"}, "
	       "\"bench\": {\"argv\": [\"b\"], \"timeout_s\": 10}, \"gates\": {\"g\": 1}, "
	       "\"tests\": [{\"suite\": \"s\", \"argv\": [\"t\"], \"junit\": \"j\"}]}",
	       h1, b1);
	TF_CHECK(strcmp(h0, h1) != 0, "hash unchanged");
	TF_CHECK(!strcmp(b0, b1), "build_hash changed by tests, gates, a timeout or env order");

	/* A build argv, a build env value and the top-level env do. */
	hashes("{\"version\": 1, \"build\": [{\"name\": \"m\", \"argv\": [\"make\", \"-k\"], "
	       "\"timeout_s\": 10, \"env\": {\"A\": \"1\", \"B\": \"2\"}}], \"env\": {\"X\": "
	       "\"1\"}, "
	       "\"bench\": {\"argv\": [\"b\"], \"timeout_s\": 10}}",
	       h1, b1);
	TF_CHECK(strcmp(b0, b1) != 0, "build_hash unchanged by a build argv");
	hashes("{\"version\": 1, \"build\": [{\"name\": \"m\", \"argv\": [\"make\"], "
	       "\"timeout_s\": 10, \"env\": {\"A\": \"1\", \"B\": \"3\"}}], \"env\": {\"X\": "
	       "\"1\"}, "
	       "\"bench\": {\"argv\": [\"b\"], \"timeout_s\": 10}}",
	       h1, b1);
	TF_CHECK(strcmp(b0, b1) != 0, "build_hash unchanged by a step env");
	hashes("{\"version\": 1, \"build\": [{\"name\": \"m\", \"argv\": [\"make\"], "
	       "\"timeout_s\": 10, \"env\": {\"A\": \"1\", \"B\": \"2\"}}], \"env\": {\"X\": "
	       "\"2\"}, "
	       "\"bench\": {\"argv\": [\"b\"], \"timeout_s\": 10}}",
	       h1, b1);
	TF_CHECK(strcmp(b0, b1) != 0, "build_hash unchanged by the top-level env");
	/* Moving an argument into the previous one is a different build. */
	char b2[65];
	hashes("{\"version\": 1, \"build\": [{\"name\": \"m\", \"argv\": [\"a\", \"b\"]}], "
	       "\"bench\": {\"argv\": [\"b\"]}}",
	       h1, b1);
	hashes("{\"version\": 1, \"build\": [{\"name\": \"m\", \"argv\": [\"a b\"]}], "
	       "\"bench\": {\"argv\": [\"b\"]}}",
	       h1, b2);
	TF_CHECK(strcmp(b1, b2) != 0, "argv boundaries are part of the build hash");
}

TF_TEST(config__load)
{
	const char *tmp = getenv("TMPDIR");
	char path[512];
	snprintf(path, sizeof(path), "%s/bitgate-config-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
	int fd = mkstemp(path);
	TF_CHECK(fd >= 0, "mkstemp");
	size_t n = strlen(design_example);
	TF_CHECK(write(fd, design_example, n) == (ssize_t)n, "write");
	close(fd);
	struct bg_config *cfg = NULL;
	int rc = bg_config_load(&cfg, path);
	TF_CHECK(rc == 0, "%s", bg_error_last());
	TF_CHECK(!strcmp(cfg->origin, path), "origin %s", cfg->origin);
	TF_CHECK_EQ(cfg->n_build, 2);
	bg_config_free(cfg);

	/* Errors of a loaded file start with its path. */
	FILE *f = fopen(path, "w");
	TF_CHECK(f, "fopen");
	fputs("{\"version\": 1, \"bench\": {\"argv\": [\"{x}\"]}}", f);
	fclose(f);
	rc = bg_config_load(&cfg, path);
	TF_CHECK(rc == BG_EINPUT && cfg == NULL, "rc %d", rc);
	char want[600];
	snprintf(want, sizeof(want), "%s: bench.argv[0]: unknown placeholder {x}", path);
	TF_CHECK(!strncmp(bg_error_last(), want, strlen(want)), "%s", bg_error_last());
	/* larger than a bitgate.json may be (sparse: no disk used) */
	TF_CHECK_EQ(truncate(path, (off_t)BG_CONFIG_MAX_FILE + 1), 0);
	rc = bg_config_load(&cfg, path);
	TF_CHECK(rc == BG_EINPUT && cfg == NULL, "rc %d", rc);
	snprintf(want, sizeof(want), "%s: larger than the 1048576 bytes bitgate reads of it", path);
	TF_CHECK(!strcmp(bg_error_last(), want), "%s", bg_error_last());
	unlink(path);

	rc = bg_config_load(&cfg, path);
	TF_CHECK(rc == BG_ENOTFOUND && cfg == NULL, "rc %d", rc);
	TF_CHECK(strstr(bg_error_last(), path), "message names the path: %s", bg_error_last());
}

TF_TEST(config__bench_filter_argv)
{
	struct bg_config *cfg = parse_ok(
		"{\"version\": 1, \"bench\": {\"argv\": [\"{build}/b\"], "
		"\"filter_argv\": [\"--benchmark_filter={filter}\"]}}");
	TF_CHECK_EQ(cfg->bench_filter_argc, 1);
	struct bg_vars vars = {"/s", "/b", "/o", 2, "gemv/.*"};
	char **argv = NULL;
	TF_CHECK_EQ(bg_config_expand_argv(&argv, cfg->bench_filter_argv, &vars), 0);
	TF_CHECK(argv[0] && !strcmp(argv[0], "--benchmark_filter=gemv/.*") && !argv[1], "%s",
		 argv[0]);
	bg_strv_free(argv);
	/* {filter} with no filter given has no value */
	vars.filter = NULL;
	TF_CHECK_EQ(bg_config_expand_argv(&argv, cfg->bench_filter_argv, &vars), BG_EINPUT);
	bg_config_free(cfg);
	expect_fail_with("\"x\": 1", "x: unknown key");
}

/* This repository's own bitgate.json loads, with the cpu and gpu suites apart (the tests
 * gate reads them separately). */
TF_TEST(config__repository_file)
{
	struct bg_config *cfg;
	int rc = bg_config_load(&cfg, BG_REPO_CONFIG);
	TF_CHECK(rc == 0, "%s: %s", BG_REPO_CONFIG, bg_error_last());
	TF_CHECK_EQ(cfg->n_tests, 2);
	TF_CHECK(!strcmp(cfg->tests[0].step.name, "cpu") && !strcmp(cfg->tests[1].step.name, "gpu"),
		 "suites %s, %s", cfg->tests[0].step.name, cfg->tests[1].step.name);
	bg_config_free(cfg);
}
