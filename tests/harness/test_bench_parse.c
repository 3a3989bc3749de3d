/* Bench output readers: bitgate-bench/1 as bitnet-bench prints it (fixtures copied from its
 * real output) and Google Benchmark JSON (written by hand from its documented format), good
 * and broken, checking every field and that errors name the origin and the JSON path. */
#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bg_bench_parse.h"
#include "bg_buf.h"
#include "bg_error.h"
#include "bg_json.h"
#include "tf.h"

#define ORIGIN "bench output of abc1234"

/* Trimmed from `bitnet-bench --filter quant --min-time 0.01 --format json` (cJSON_Print
 * output, tabs and all), with one benchmark given the DESIGN.md fields it lacked. */
static const char bitgate_ok[] =
	"{\n"
	"\t\"schema\":\t\"bitgate-bench/1\",\n"
	"\t\"context\":\t{\n"
	"\t\t\"program\":\t\"bitnet-bench\",\n"
	"\t\t\"version\":\t\"0.1.0\",\n"
	"\t\t\"cpu\":\t\"AMD EPYC\",\n"
	"\t\t\"isa\":\t[\"avx2\", \"fma\", \"f16c\"],\n"
	"\t\t\"kernels\":\t[\"ref\", \"avx2\"],\n"
	"\t\t\"kernel_best\":\t\"avx2\",\n"
	"\t\t\"dispatch\":\t{\"cpu_class\": \"zen3\", \"forced\": false, \"gemm\": \"avx2\", "
	"\"gemm_split_rows\": 16, \"lm_head\": \"avx2\"},\n"
	"\t\t\"threads\":\t1,\n"
	"\t\t\"strict_mode\":\tfalse,\n"
	"\t\t\"build_type\":\t\"Release\",\n"
	"\t\t\"min_time_s\":\t0.01,\n"
	"\t\t\"repetitions\":\t5\n"
	"\t},\n"
	"\t\"benchmarks\":\t[{\n"
	"\t\t\t\"name\":\t\"quant/ref/2560\",\n"
	"\t\t\t\"unit\":\t\"ns\",\n"
	"\t\t\t\"samples\":\t[10466.25, 10755.5, 10570.75],\n"
	"\t\t\t\"iterations\":\t826,\n"
	"\t\t\t\"elements\":\t2560,\n"
	"\t\t\t\"bytes\":\t12800,\n"
	"\t\t\t\"kernel\":\t\"ref\",\n"
	"\t\t\t\"checked\":\ttrue\n"
	"\t\t}, {\n"
	"\t\t\t\"name\":\t\"quant/avx512/2560\",\n"
	"\t\t\t\"unit\":\t\"ns\",\n"
	"\t\t\t\"skipped\":\t\"this CPU lacks avx512f/avx512bw/avx512vl/avx512_vnni\"\n"
	"\t\t}, {\n"
	"\t\t\t\"name\":\t\"matmul/avx2/256x256x256\",\n"
	"\t\t\t\"unit\":\t\"ns\",\n"
	"\t\t\t\"samples\":\t[40112.5],\n"
	"\t\t\t\"checked\":\tfalse,\n"
	"\t\t\t\"future_field\":\t{\"a\": 1}\n"
	"\t\t}]\n"
	"}\n";

/* Parses text, expects BG_EINPUT, nothing returned and a message containing want. */
static void expect_fail(const char *text, const char *format, const char *want)
{
	struct bg_bench_set *set = (struct bg_bench_set *)&set; /* not NULL: must be reset */
	int rc = bg_bench_parse(&set, text, strlen(text), format, ORIGIN);
	TF_CHECK(rc == BG_EINPUT, "rc %d for %.60s (message: %s)", rc, text, bg_error_last());
	TF_CHECK(set == NULL, "a set came back with an error");
	TF_CHECK(strstr(bg_error_last(), want), "message \"%s\" lacks \"%s\"", bg_error_last(),
		 want);
	TF_CHECK(!strncmp(bg_error_last(), ORIGIN ": ", strlen(ORIGIN) + 2),
		 "message \"%s\" does not start with the origin", bg_error_last());
}

/* A bitgate-bench/1 document with one benchmark whose body is given. */
static void expect_bench_fail(const char *bench_body, const char *want)
{
	char text[2048];
	snprintf(text, sizeof(text),
		 "{\"schema\": \"bitgate-bench/1\", \"benchmarks\": ["
		 "{\"name\": \"a\", \"unit\": \"ns\", \"samples\": [1]}, {%s}]}",
		 bench_body);
	expect_fail(text, BG_FORMAT_BITGATE, want);
}

TF_TEST(bench_parse__bitgate_every_field)
{
	struct bg_bench_set *set = NULL;
	int rc = bg_bench_parse(&set, bitgate_ok, strlen(bitgate_ok), BG_FORMAT_BITGATE, ORIGIN);
	TF_CHECK(rc == 0, "rc %d: %s", rc, bg_error_last());
	TF_CHECK(!strcmp(set->format, "bitgate-bench/1"), "format %s", set->format);

	const struct bg_bench_ctx *c = &set->ctx;
	TF_CHECK(!strcmp(c->program, "bitnet-bench"), "program");
	TF_CHECK(!strcmp(c->version, "0.1.0"), "version");
	TF_CHECK(!strcmp(c->cpu, "AMD EPYC"), "cpu");
	TF_CHECK(!strcmp(c->build_type, "Release"), "build_type");
	TF_CHECK_EQ(c->n_isa, 3);
	TF_CHECK(!strcmp(c->isa[0], "avx2") && !strcmp(c->isa[2], "f16c"), "isa");
	TF_CHECK_EQ(c->n_kernels, 2);
	TF_CHECK(!strcmp(c->kernels[0], "ref") && !strcmp(c->kernels[1], "avx2"), "kernels");
	TF_CHECK_EQ(c->threads, 1);
	TF_CHECK_EQ(c->strict_mode, 0);
	TF_CHECK(c->dispatch && !strcmp(c->dispatch, "cpu_class zen3, forced false, gemm avx2, "
						     "gemm_split_rows 16, lm_head avx2"),
		 "dispatch %s", c->dispatch ? c->dispatch : "(null)");
	/* The whole context, fields this reader ignores included, in unformatted JSON. */
	TF_CHECK(c->json && c->json[0] == '{' && !strchr(c->json, '\n') &&
			 strstr(c->json, "\"kernel_best\":\"avx2\"") &&
			 strstr(c->json, "\"repetitions\":5"),
		 "json %s", c->json);

	TF_CHECK_EQ(set->n, 3);
	const struct bg_bench *b = &set->v[0];
	TF_CHECK(!strcmp(b->name, "quant/ref/2560"), "name %s", b->name);
	TF_CHECK(!strcmp(b->unit, "ns"), "unit");
	TF_CHECK_EQ(b->n_samples, 3);
	TF_CHECK(b->samples[0] == 10466.25 && b->samples[1] == 10755.5 && b->samples[2] == 10570.75,
		 "samples");
	TF_CHECK_EQ(b->iterations, 826);
	TF_CHECK(b->elements == 2560.0 && b->bytes == 12800.0, "elements/bytes");
	TF_CHECK(!strcmp(b->kernel, "ref"), "kernel");
	TF_CHECK_EQ(b->checked, 1);
	TF_CHECK(b->skipped == NULL, "not skipped");

	b = &set->v[1];
	TF_CHECK(!strcmp(b->name, "quant/avx512/2560"), "name %s", b->name);
	TF_CHECK(b->skipped && strstr(b->skipped, "lacks avx512f"), "skipped");
	TF_CHECK(b->samples == NULL && b->n_samples == 0, "no samples when skipped");
	TF_CHECK_EQ(b->checked, -1);
	TF_CHECK(b->kernel == NULL, "kernel not said");
	TF_CHECK_EQ(b->iterations, 0);

	b = &set->v[2];
	TF_CHECK_EQ(b->n_samples, 1);
	TF_CHECK(b->samples[0] == 40112.5, "sample");
	TF_CHECK_EQ(b->checked, 0);
	TF_CHECK(b->elements == 0 && b->bytes == 0, "not said is 0");
	bg_bench_set_free(set);
}

TF_TEST(bench_parse__bitgate_minimal_context_absent)
{
	static const char text[] = "{\"schema\":\"bitgate-bench/1\",\"benchmarks\":"
				   "[{\"name\":\"x\",\"unit\":\"ns\",\"samples\":[2],"
				   "\"skipped\":null}]}";
	struct bg_bench_set *set = NULL;
	/* "skipped": null is a wrong type, not "not skipped". */
	int rc = bg_bench_parse(&set, text, strlen(text), NULL, ORIGIN);
	TF_CHECK(rc == BG_EINPUT && set == NULL, "rc %d", rc);
	TF_CHECK(strstr(bg_error_last(), "benchmarks[0].skipped: expected a string, got null"),
		 "%s", bg_error_last());

	static const char ok2[] = "{\"schema\":\"bitgate-bench/1\",\"benchmarks\":"
				  "[{\"name\":\"x\",\"unit\":\"ms\",\"samples\":[2, 3]}]}";
	/* format NULL means bitgate-bench/1 */
	rc = bg_bench_parse(&set, ok2, strlen(ok2), NULL, ORIGIN);
	TF_CHECK(rc == 0, "%s", bg_error_last());
	TF_CHECK(set->ctx.json && !strcmp(set->ctx.json, "{}"), "json %s", set->ctx.json);
	TF_CHECK_EQ(set->ctx.strict_mode, -1);
	TF_CHECK_EQ(set->ctx.threads, 0);
	TF_CHECK(set->ctx.program == NULL && set->ctx.cpu == NULL && set->ctx.n_isa == 0,
		 "context fields absent");
	TF_CHECK(!strcmp(set->v[0].unit, "ms"), "unit");
	TF_CHECK_EQ(set->v[0].n_samples, 2);
	bg_bench_set_free(set);
}

TF_TEST(bench_parse__skipped_with_empty_samples)
{
	static const char text[] = "{\"schema\":\"bitgate-bench/1\",\"benchmarks\":"
				   "[{\"name\":\"gpu/x\",\"unit\":\"ns\",\"samples\":[],"
				   "\"skipped\":\"no CUDA device\"}]}";
	struct bg_bench_set *set = NULL;
	int rc = bg_bench_parse(&set, text, strlen(text), BG_FORMAT_BITGATE, ORIGIN);
	TF_CHECK(rc == 0, "%s", bg_error_last());
	TF_CHECK(!strcmp(set->v[0].skipped, "no CUDA device"), "skipped");
	TF_CHECK(set->v[0].n_samples == 0 && set->v[0].samples == NULL, "no samples");
	bg_bench_set_free(set);

	expect_bench_fail("\"name\": \"b\", \"unit\": \"ns\", \"skipped\": \"x\", \"samples\": [1]",
			  "benchmarks[1].samples: a skipped benchmark has no samples");
}

TF_TEST(bench_parse__wrong_schema)
{
	expect_fail("{\"schema\": \"bitgate-bench/2\", \"benchmarks\": []}", BG_FORMAT_BITGATE,
		    ORIGIN ": schema: expected \"bitgate-bench/1\", got \"bitgate-bench/2\"");
	expect_fail("{\"benchmarks\": [{\"name\": \"a\", \"unit\": \"ns\", \"samples\": [1]}]}",
		    BG_FORMAT_BITGATE, ORIGIN ": schema: required");
	expect_fail("{\"schema\": 1, \"benchmarks\": []}", BG_FORMAT_BITGATE,
		    "schema: expected \"bitgate-bench/1\", got a number");
	expect_fail("{\"schema\": \"bitgate-bench/1\"}", BG_FORMAT_BITGATE,
		    ORIGIN ": benchmarks: required");
	expect_fail("[1, 2]", BG_FORMAT_BITGATE,
		    "expected a JSON object at the top level, got an array");
}

TF_TEST(bench_parse__garbage_and_empty)
{
	expect_fail("Segmentation fault (core dumped)\n", BG_FORMAT_BITGATE,
		    ORIGIN ": not JSON: line 1 starts with `Segmentation fault (core dumped)`");
	expect_fail("terminate called after throwing an instance of 'std::bad_alloc'\n"
		    "  what():  std::bad_alloc\n#0 0x7f3a in main bench.c:12\n",
		    BG_FORMAT_BITGATE, "not JSON");
	expect_fail("", BG_FORMAT_BITGATE, ORIGIN ": empty");
	expect_fail(" \n\t\n", BG_FORMAT_GBENCH, ORIGIN ": empty");
	/* A stray line before the JSON (a debug print on stdout) is not silently skipped. */
	expect_fail("warming up...\n{\"schema\": \"bitgate-bench/1\"}", BG_FORMAT_BITGATE,
		    "not JSON: line 1 starts with `warming up...`");
	/* ...nor after it. */
	expect_fail("{\"schema\": \"bitgate-bench/1\", \"benchmarks\": []}\ndone\n",
		    BG_FORMAT_BITGATE, "malformed JSON at line 2, column 1 near `done`");
	/* A NUL byte inside the text. */
	struct bg_bench_set *set = NULL;
	int rc = bg_bench_parse(&set, "{\"a\"\0}", 6, BG_FORMAT_BITGATE, ORIGIN);
	TF_CHECK(rc == BG_EINPUT && !set && strstr(bg_error_last(), "NUL byte at line 1, column 5"),
		 "%s", bg_error_last());
}

TF_TEST(bench_parse__truncated)
{
	/* The bench program died half-way through printing. */
	char text[sizeof(bitgate_ok)];
	size_t cut = 700;
	TF_CHECK(cut < strlen(bitgate_ok), "fixture too short");
	memcpy(text, bitgate_ok, cut);
	text[cut] = '\0';
	expect_fail(text, BG_FORMAT_BITGATE, "JSON ends early at line");
	expect_fail("{\"schema\": \"bitgate-bench/1\", \"benchmarks\": [", BG_FORMAT_BITGATE,
		    ORIGIN ": JSON ends early at line 1, column 46 (truncated?)");
	/* Missing a value in the middle: a malformed document, at the right place. */
	expect_fail("{\n  \"schema\": \"bitgate-bench/1\",\n  \"benchmarks\": [1,,2]\n}",
		    BG_FORMAT_BITGATE, "malformed JSON at line 3, column 20 near `,2]`");
}

TF_TEST(bench_parse__bad_samples)
{
	/* cJSON prints NaN and infinity as null: that is how a broken timer arrives. */
	expect_bench_fail("\"name\": \"b\", \"unit\": \"ns\", \"samples\": [1.5, null]", ORIGIN
			  ": benchmarks[1].samples[1]: expected a finite number > 0, got null");
	expect_bench_fail("\"name\": \"b\", \"unit\": \"ns\", \"samples\": [1, 2, -3]",
			  "benchmarks[1].samples[2]: expected a finite number > 0, got -3");
	expect_bench_fail("\"name\": \"b\", \"unit\": \"ns\", \"samples\": [0]",
			  "benchmarks[1].samples[0]: expected a finite number > 0, got 0");
	expect_bench_fail("\"name\": \"b\", \"unit\": \"ns\", \"samples\": [1e999]",
			  "benchmarks[1].samples[0]: expected a finite number > 0, got inf");
	expect_bench_fail("\"name\": \"b\", \"unit\": \"ns\", \"samples\": [\"12\"]",
			  "benchmarks[1].samples[0]: expected a finite number > 0, got a string");
	expect_bench_fail("\"name\": \"b\", \"unit\": \"ns\", \"samples\": []",
			  "benchmarks[1].samples: empty");
	expect_bench_fail("\"name\": \"b\", \"unit\": \"ns\", \"samples\": 12",
			  "benchmarks[1].samples: expected an array of numbers, got a number");
	expect_bench_fail("\"name\": \"b\", \"unit\": \"ns\"", "benchmarks[1].samples: required");
	/* NaN written out literally is not JSON at all. */
	expect_fail("{\"schema\": \"bitgate-bench/1\", \"benchmarks\": [{\"name\": \"b\", "
		    "\"unit\": \"ns\", \"samples\": [NaN]}]}",
		    BG_FORMAT_BITGATE, "malformed JSON at line 1, column 86 near `NaN]}]}`");
}

TF_TEST(bench_parse__duplicate_and_missing_names)
{
	expect_bench_fail("\"name\": \"a\", \"unit\": \"ns\", \"samples\": [2]",
			  ORIGIN ": benchmarks[1].name: duplicate name \"a\" (also benchmarks[0])");
	expect_bench_fail("\"unit\": \"ns\", \"samples\": [2]", "benchmarks[1].name: required");
	expect_bench_fail("\"name\": \"\", \"unit\": \"ns\", \"samples\": [2]",
			  "benchmarks[1].name: expected a non-empty string, got \"\"");
	expect_bench_fail("\"name\": 7, \"unit\": \"ns\", \"samples\": [2]",
			  "benchmarks[1].name: expected a non-empty string, got a number");
	expect_bench_fail("\"name\": \"b\", \"samples\": [2]", "benchmarks[1].unit: required");
	/* Keys are case-sensitive: "Name" is not "name". */
	expect_bench_fail("\"Name\": \"b\", \"unit\": \"ns\", \"samples\": [2]",
			  "benchmarks[1].name: required");
}

TF_TEST(bench_parse__empty_benchmarks)
{
	expect_fail("{\"schema\": \"bitgate-bench/1\", \"context\": {}, \"benchmarks\": []}",
		    BG_FORMAT_BITGATE, ORIGIN ": benchmarks: empty");
	expect_fail("{\"schema\": \"bitgate-bench/1\", \"benchmarks\": {}}", BG_FORMAT_BITGATE,
		    "benchmarks: expected an array, got an object");
	expect_fail("{\"schema\": \"bitgate-bench/1\", \"benchmarks\": [3]}", BG_FORMAT_BITGATE,
		    "benchmarks[0]: expected an object, got a number");
}

TF_TEST(bench_parse__wrong_types)
{
	static const char head[] = "{\"schema\": \"bitgate-bench/1\", \"context\": ";
	static const char tail[] = ", \"benchmarks\": [{\"name\": \"a\", \"unit\": \"ns\", "
				   "\"samples\": [1]}]}";
	static const struct {
		const char *ctx, *want;
	} cases[] = {
		{"[]", "context: expected an object, got an array"},
		{"{\"program\": 1}", "context.program: expected a string, got a number"},
		{"{\"cpu\": null}", "context.cpu: expected a string, got null"},
		{"{\"isa\": \"avx2\"}", "context.isa: expected an array of strings, got a string"},
		{"{\"kernels\": [\"ref\", 2]}",
		 "context.kernels[1]: expected a string, got a number"},
		{"{\"threads\": \"1\"}", "context.threads: expected an integer >= 0, got a string"},
		{"{\"threads\": 1.5}", "context.threads: expected an integer >= 0, got a number"},
		{"{\"threads\": -1}", "context.threads: expected an integer >= 0"},
		{"{\"strict_mode\": 0}", "context.strict_mode: expected a boolean, got a number"},
		{"{\"build_type\": {}}", "context.build_type: expected a string, got an object"},
		{"{\"dispatch\": [\"avx2\"]}", "context.dispatch: expected an object, got an array"},
		{"{\"dispatch\": {\"gemm\": null}}",
		 "context.dispatch: member 'gemm': expected a string, number or boolean, got null"},
		{"{\"dispatch\": {\"gemm\": \"a-kernel-name-much-longer-than-forty-chars\"}}",
		 "context.dispatch: more than 16 members or a name or value over 40 characters"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[512];
		snprintf(text, sizeof(text), "%s%s%s", head, cases[i].ctx, tail);
		expect_fail(text, BG_FORMAT_BITGATE, cases[i].want);
	}
	expect_bench_fail("\"name\": \"b\", \"unit\": \"ns\", \"samples\": [2], \"iterations\": -1",
			  "benchmarks[1].iterations: expected an integer >= 0, got a number");
	expect_bench_fail(
		"\"name\": \"b\", \"unit\": \"ns\", \"samples\": [2], \"iterations\": 2.5",
		"benchmarks[1].iterations: expected an integer >= 0");
	expect_bench_fail("\"name\": \"b\", \"unit\": \"ns\", \"samples\": [2], \"elements\": -4",
			  "benchmarks[1].elements: expected a finite number >= 0, got -4");
	expect_bench_fail("\"name\": \"b\", \"unit\": \"ns\", \"samples\": [2], \"bytes\": \"1\"",
			  "benchmarks[1].bytes: expected a finite number >= 0, got a string");
	expect_bench_fail("\"name\": \"b\", \"unit\": \"ns\", \"samples\": [2], \"kernel\": 3",
			  "benchmarks[1].kernel: expected a string, got a number");
	expect_bench_fail("\"name\": \"b\", \"unit\": \"ns\", \"samples\": [2], \"checked\": 1",
			  "benchmarks[1].checked: expected a boolean, got a number");
	expect_bench_fail("\"name\": \"b\", \"unit\": \"ns\", \"skipped\": false",
			  "benchmarks[1].skipped: expected a string, got a boolean");
}

TF_TEST(bench_parse__unknown_format)
{
	expect_fail(bitgate_ok, "csv", ORIGIN ": unknown bench format \"csv\"");
}

/* Written from Google Benchmark's JSON reporter: a context block, BM_Quant/4096 run three
 * times (iterations, then its aggregates), BM_Gemv/1024 in microseconds with repetitions
 * interleaved with BM_Slow in milliseconds, an errored benchmark, a skipped one, a NaN
 * counter and a single-run benchmark without run_name (an older version's output). */
static const char gbench_ok[] =
	"{\n"
	"  \"context\": {\n"
	"    \"date\": \"2026-11-24T08:00:00+00:00\",\n"
	"    \"host_name\": \"ci-runner-7\",\n"
	"    \"executable\": \"./build/bin/quant_bench\",\n"
	"    \"num_cpus\": 16,\n"
	"    \"mhz_per_cpu\": 2450,\n"
	"    \"cpu_scaling_enabled\": false,\n"
	"    \"caches\": [\n"
	"      {\"type\": \"Data\", \"level\": 1, \"size\": 32768, \"num_sharing\": 2}\n"
	"    ],\n"
	"    \"load_avg\": [0.52, 0.4, 0.31],\n"
	"    \"library_version\": \"v1.8.3\",\n"
	"    \"library_build_type\": \"release\"\n"
	"  },\n"
	"  \"benchmarks\": [\n"
	"    {\"name\": \"BM_Quant/4096\", \"family_index\": 0, \"per_family_instance_index\": 0,\n"
	"     \"run_name\": \"BM_Quant/4096\", \"run_type\": \"iteration\", \"repetitions\": 3,\n"
	"     \"repetition_index\": 0, \"threads\": 1, \"iterations\": 1000,\n"
	"     \"real_time\": 1.25e+02, \"cpu_time\": 1.24e+02, \"time_unit\": \"ns\",\n"
	"     \"items_per_second\": 3.2768e+10},\n"
	"    {\"name\": \"BM_Quant/4096\", \"run_name\": \"BM_Quant/4096\",\n"
	"     \"run_type\": \"iteration\", \"repetitions\": 3, \"repetition_index\": 1,\n"
	"     \"threads\": 1, \"iterations\": 1000, \"real_time\": 1.5e+02, \"cpu_time\": "
	"1.5e+02,\n"
	"     \"time_unit\": \"ns\", \"items_per_second\": NaN},\n"
	"    {\"name\": \"BM_Quant/4096\", \"run_name\": \"BM_Quant/4096\",\n"
	"     \"run_type\": \"iteration\", \"repetitions\": 3, \"repetition_index\": 2,\n"
	"     \"threads\": 1, \"iterations\": 1000, \"real_time\": 1.75e+02, \"cpu_time\": "
	"1.7e+02,\n"
	"     \"time_unit\": \"ns\", \"bytes_per_second\": Infinity, \"label\": \"NaN in a "
	"string\"},\n"
	"    {\"name\": \"BM_Quant/4096_mean\", \"run_name\": \"BM_Quant/4096\",\n"
	"     \"run_type\": \"aggregate\", \"repetitions\": 3, \"threads\": 1,\n"
	"     \"aggregate_name\": \"mean\", \"aggregate_unit\": \"time\", \"iterations\": 3,\n"
	"     \"real_time\": 1.5e+02, \"cpu_time\": 1.48e+02, \"time_unit\": \"ns\"},\n"
	"    {\"name\": \"BM_Quant/4096_median\", \"run_name\": \"BM_Quant/4096\",\n"
	"     \"run_type\": \"aggregate\", \"repetitions\": 3, \"threads\": 1,\n"
	"     \"aggregate_name\": \"median\", \"aggregate_unit\": \"time\", \"iterations\": 3,\n"
	"     \"real_time\": 1.5e+02, \"cpu_time\": 1.5e+02, \"time_unit\": \"ns\"},\n"
	"    {\"name\": \"BM_Quant/4096_stddev\", \"run_name\": \"BM_Quant/4096\",\n"
	"     \"run_type\": \"aggregate\", \"repetitions\": 3, \"threads\": 1,\n"
	"     \"aggregate_name\": \"stddev\", \"aggregate_unit\": \"time\", \"iterations\": 3,\n"
	"     \"real_time\": 2.5e+01, \"cpu_time\": 2.3e+01, \"time_unit\": \"ns\"},\n"
	"    {\"name\": \"BM_Quant/4096_cv\", \"run_name\": \"BM_Quant/4096\",\n"
	"     \"run_type\": \"aggregate\", \"repetitions\": 3, \"threads\": 1,\n"
	"     \"aggregate_name\": \"cv\", \"aggregate_unit\": \"percentage\", \"iterations\": 3,\n"
	"     \"real_time\": 1.6e-01, \"cpu_time\": 1.5e-01, \"time_unit\": \"ns\"},\n"
	"    {\"name\": \"BM_Gemv/1024/repeats:2\", \"run_name\": \"BM_Gemv/1024/repeats:2\",\n"
	"     \"run_type\": \"iteration\", \"repetitions\": 2, \"repetition_index\": 0,\n"
	"     \"threads\": 1, \"iterations\": 5000, \"real_time\": 1.5e+00, \"cpu_time\": "
	"1.5e+00,\n"
	"     \"time_unit\": \"us\"},\n"
	"    {\"name\": \"BM_Slow\", \"run_name\": \"BM_Slow\", \"run_type\": \"iteration\",\n"
	"     \"repetitions\": 1, \"repetition_index\": 0, \"threads\": 1, \"iterations\": 2,\n"
	"     \"real_time\": 2.5e-01, \"cpu_time\": 2.5e-01, \"time_unit\": \"ms\"},\n"
	"    {\"name\": \"BM_Gemv/1024/repeats:2\", \"run_name\": \"BM_Gemv/1024/repeats:2\",\n"
	"     \"run_type\": \"iteration\", \"repetitions\": 2, \"repetition_index\": 1,\n"
	"     \"threads\": 1, \"iterations\": 5000, \"real_time\": 2.0e+00, \"cpu_time\": "
	"2.0e+00,\n"
	"     \"time_unit\": \"us\"},\n"
	"    {\"name\": \"BM_Amx\", \"run_name\": \"BM_Amx\", \"run_type\": \"iteration\",\n"
	"     \"repetitions\": 1, \"repetition_index\": 0, \"threads\": 1,\n"
	"     \"error_occurred\": true, \"error_message\": \"AMX not supported on this CPU\",\n"
	"     \"iterations\": 0, \"real_time\": 0.0e+00, \"cpu_time\": 0.0e+00,\n"
	"     \"time_unit\": \"ns\"},\n"
	"    {\"name\": \"BM_Cuda\", \"run_name\": \"BM_Cuda\", \"run_type\": \"iteration\",\n"
	"     \"repetitions\": 1, \"repetition_index\": 0, \"threads\": 1,\n"
	"     \"skipped\": true, \"skip_message\": \"no device\",\n"
	"     \"iterations\": 0, \"real_time\": 0.0e+00, \"cpu_time\": 0.0e+00,\n"
	"     \"time_unit\": \"ns\"},\n"
	"    {\"name\": \"BM_Whole\", \"iterations\": 10, \"real_time\": 3, \"cpu_time\": 3,\n"
	"     \"time_unit\": \"s\"}\n"
	"  ]\n"
	"}\n";

TF_TEST(bench_parse__gbench_repetitions_aggregates_errors)
{
	struct bg_bench_set *set = NULL;
	int rc = bg_bench_parse(&set, gbench_ok, strlen(gbench_ok), BG_FORMAT_GBENCH, ORIGIN);
	TF_CHECK(rc == 0, "rc %d: %s", rc, bg_error_last());
	TF_CHECK(!strcmp(set->format, "googlebenchmark"), "format");
	TF_CHECK(set->ctx.program && !strcmp(set->ctx.program, "quant_bench"), "program %s",
		 set->ctx.program);
	TF_CHECK(set->ctx.version == NULL && set->ctx.build_type == NULL && set->ctx.cpu == NULL,
		 "Google Benchmark's own version and build type are not the program's");
	TF_CHECK_EQ(set->ctx.threads, 0);
	TF_CHECK_EQ(set->ctx.strict_mode, -1);
	TF_CHECK(set->ctx.json && strstr(set->ctx.json, "\"host_name\":\"ci-runner-7\"") &&
			 strstr(set->ctx.json, "\"executable\":\"./build/bin/quant_bench\""),
		 "json %s", set->ctx.json);

	/* Groups in first-appearance order; aggregates add none. */
	TF_CHECK_EQ(set->n, 6);
	const struct bg_bench *b = &set->v[0];
	TF_CHECK(!strcmp(b->name, "BM_Quant/4096"), "name %s", b->name);
	TF_CHECK(!strcmp(b->unit, "ns"), "unit");
	TF_CHECK_EQ(b->n_samples, 3);
	TF_CHECK(b->samples[0] == 125.0 && b->samples[1] == 150.0 && b->samples[2] == 175.0,
		 "samples %g %g %g", b->samples[0], b->samples[1], b->samples[2]);
	TF_CHECK_EQ(b->iterations, 1000);
	TF_CHECK(b->kernel == NULL && b->checked == -1 && b->skipped == NULL, "not said");
	TF_CHECK(b->elements == 0 && b->bytes == 0, "items_per_second is not used");

	b = &set->v[1];
	TF_CHECK(!strcmp(b->name, "BM_Gemv/1024/repeats:2"), "name %s", b->name);
	TF_CHECK_EQ(b->n_samples, 2);
	TF_CHECK(b->samples[0] == 1500.0 && b->samples[1] == 2000.0, "us to ns: %g %g",
		 b->samples[0], b->samples[1]);
	TF_CHECK_EQ(b->iterations, 5000);

	b = &set->v[2];
	TF_CHECK(!strcmp(b->name, "BM_Slow"), "name %s", b->name);
	TF_CHECK(b->n_samples == 1 && b->samples[0] == 250000.0, "ms to ns: %g", b->samples[0]);

	b = &set->v[3];
	TF_CHECK(!strcmp(b->name, "BM_Amx"), "name %s", b->name);
	TF_CHECK(b->skipped && !strcmp(b->skipped, "AMX not supported on this CPU"), "error");
	TF_CHECK(b->samples == NULL && b->n_samples == 0, "an errored run has no samples");

	b = &set->v[4];
	TF_CHECK(!strcmp(b->name, "BM_Cuda") && b->skipped && !strcmp(b->skipped, "no device"),
		 "skip_message");

	b = &set->v[5];
	TF_CHECK(!strcmp(b->name, "BM_Whole"), "name falls back to name");
	TF_CHECK(b->n_samples == 1 && b->samples[0] == 3e9, "s to ns: %g", b->samples[0]);
	TF_CHECK_EQ(b->iterations, 10);
	bg_bench_set_free(set);
}

TF_TEST(bench_parse__gbench_error_in_one_repetition)
{
	/* Samples before and after the failed repetition are dropped: a benchmark that did
	 * not run cleanly is not measured. */
	static const char text[] =
		"{\"benchmarks\": ["
		"{\"name\": \"BM_A\", \"run_name\": \"BM_A\", \"run_type\": \"iteration\", "
		"\"iterations\": 5, \"real_time\": 10, \"time_unit\": \"ns\"},"
		"{\"name\": \"BM_A\", \"run_name\": \"BM_A\", \"run_type\": \"iteration\", "
		"\"error_occurred\": true, \"error_message\": \"bad result\", \"iterations\": 0, "
		"\"real_time\": 0, \"time_unit\": \"ns\"},"
		"{\"name\": \"BM_A\", \"run_name\": \"BM_A\", \"run_type\": \"iteration\", "
		"\"iterations\": 5, \"real_time\": 11, \"time_unit\": \"ns\"}]}";
	struct bg_bench_set *set = NULL;
	int rc = bg_bench_parse(&set, text, strlen(text), BG_FORMAT_GBENCH, ORIGIN);
	TF_CHECK(rc == 0, "%s", bg_error_last());
	TF_CHECK_EQ(set->n, 1);
	TF_CHECK(set->v[0].skipped && !strcmp(set->v[0].skipped, "bad result"), "skipped");
	TF_CHECK(set->v[0].n_samples == 0 && set->v[0].samples == NULL, "no samples");
	TF_CHECK(!strcmp(set->ctx.json, "{}"), "no context: %s", set->ctx.json);
	TF_CHECK(set->ctx.program == NULL, "no program");
	bg_bench_set_free(set);
}

TF_TEST(bench_parse__gbench_malformed)
{
	expect_fail("{\"benchmarks\": [{\"name\": \"BM_A\", \"real_time\": 1, \"time_unit\": "
		    "\"fortnights\"}]}",
		    BG_FORMAT_GBENCH,
		    ORIGIN
		    ": benchmarks[0].time_unit: expected \"ns\", \"us\", \"ms\" or \"s\", got "
		    "\"fortnights\"");
	expect_fail("{\"benchmarks\": [{\"name\": \"BM_A\", \"time_unit\": \"ns\"}]}",
		    BG_FORMAT_GBENCH, "benchmarks[0].real_time: required");
	expect_fail("{\"benchmarks\": [{\"name\": \"BM_A\", \"real_time\": NaN}]}",
		    BG_FORMAT_GBENCH,
		    "benchmarks[0].real_time: expected a finite number > 0, got null");
	expect_fail("{\"benchmarks\": [{\"name\": \"BM_A\", \"real_time\": -2}]}", BG_FORMAT_GBENCH,
		    "benchmarks[0].real_time: expected a finite number > 0, got -2");
	expect_fail("{\"benchmarks\": [{\"real_time\": 2}]}", BG_FORMAT_GBENCH,
		    "benchmarks[0].name: required");
	/* finite in seconds, infinite in ns */
	expect_fail("{\"benchmarks\": [{\"name\": \"BM_A\", \"real_time\": 1e300, \"time_unit\": "
		    "\"s\"}]}",
		    BG_FORMAT_GBENCH,
		    "benchmarks[0].real_time: expected a finite number > 0, got 1e+300 s");
	expect_fail(
		"{\"benchmarks\": [{\"name\": \"BM_A\", \"run_type\": \"summary\", "
		"\"real_time\": 2}]}",
		BG_FORMAT_GBENCH,
		"benchmarks[0].run_type: expected \"iteration\" or \"aggregate\", got \"summary\"");
	expect_fail("{\"benchmarks\": [{\"name\": \"BM_A_mean\", \"run_name\": \"BM_A\", "
		    "\"run_type\": \"aggregate\", \"real_time\": 2}]}",
		    BG_FORMAT_GBENCH, "benchmarks: no entry of run_type \"iteration\"");
	expect_fail("{\"benchmarks\": []}", BG_FORMAT_GBENCH, "benchmarks: empty");
	expect_fail("{\"context\": {}}", BG_FORMAT_GBENCH, "benchmarks: required");
	expect_fail("{\"context\": {\"executable\": 3}, \"benchmarks\": []}", BG_FORMAT_GBENCH,
		    "context.executable: expected a string, got a number");
	expect_fail("{\"benchmarks\": [{\"name\": \"BM_A\", \"real_time\": 2, \"iterations\": "
		    "\"many\"}]}",
		    BG_FORMAT_GBENCH, "benchmarks[0].iterations: expected an integer >= 0");
	expect_fail("{\"benchmarks\": [{\"name\": \"BM_A\", \"error_occurred\": \"yes\"}]}",
		    BG_FORMAT_GBENCH, "benchmarks[0].error_occurred: expected a boolean");
	expect_fail("Illegal instruction\n", BG_FORMAT_GBENCH,
		    "not JSON: line 1 starts with `Illegal instruction`");
	/* bitgate-bench/1 output read as Google Benchmark has no iteration entries with
	 * real_time: an error, not an empty success. */
	expect_fail(bitgate_ok, BG_FORMAT_GBENCH, "benchmarks[0].real_time: required");
}

TF_TEST(bench_parse__json_helpers)
{
	cJSON *root = NULL;
	static const char bom[] = "\xEF\xBB\xBF{\"a\": [1, 2]}";
	static const char bad[] = "{\n\t\"a\": 1,\n\t\"b\" 2\n}";
	/* A byte-order mark is skipped; line and column count from 1. */
	int rc = bg_json_parse(&root, bom, strlen(bom), "x");
	TF_CHECK(rc == 0 && cJSON_IsObject(root), "%s", bg_error_last());
	int64_t v = 0;
	TF_CHECK(bg_json_integer(cJSON_GetArrayItem(cJSON_GetObjectItem(root, "a"), 1), 0, 5, &v) ==
				 0 &&
			 v == 2,
		 "integer");
	TF_CHECK(bg_json_integer(cJSON_GetArrayItem(cJSON_GetObjectItem(root, "a"), 1), 3, 5, &v) ==
			 BG_EINPUT,
		 "range");
	TF_CHECK(!strcmp(bg_json_type_name(root), "an object"), "type name");
	cJSON_Delete(root);
	rc = bg_json_parse(&root, bad, strlen(bad), "x");
	TF_CHECK(rc == BG_EINPUT && root == NULL, "rc %d", rc);
	TF_CHECK(!strcmp(bg_error_last(), "x: malformed JSON at line 3, column 6 near `2`"), "%s",
		 bg_error_last());
}

/* A bitgate-bench/1 document of n benchmarks named "b/<i>", the last one named "b/<dup>". */
static char *many_benchmarks(size_t n, size_t dup)
{
	struct bg_buf b = BG_BUF_INIT;
	bg_buf_puts(&b, "{\"schema\": \"bitgate-bench/1\", \"benchmarks\": [");
	for (size_t i = 0; i < n; i++)
		bg_buf_printf(&b, "%s{\"name\": \"b/%zu\", \"unit\": \"ns\", \"samples\": [1]}",
			      i ? ", " : "", i + 1 < n ? i : dup);
	bg_buf_puts(&b, "]}");
	return bg_buf_detach(&b);
}

TF_TEST(bench_parse__bounds_on_names_and_entries)
{
	/* names are looked up, not compared with every one before: 50,000 read at once, and
	 * a duplicate at the end still names the first */
	char *text = many_benchmarks(50000, 50000);
	struct bg_bench_set *set = NULL;
	TF_CHECK(bg_bench_parse(&set, text, strlen(text), BG_FORMAT_BITGATE, ORIGIN) == 0, "%s",
		 bg_error_last());
	TF_CHECK(set && set->n == 50000 && !strcmp(set->v[49999].name, "b/50000"), "read");
	bg_bench_set_free(set);
	free(text);
	text = many_benchmarks(50000, 17);
	expect_fail(text, BG_FORMAT_BITGATE,
		    "benchmarks[49999].name: duplicate name \"b/17\" (also benchmarks[17])");
	free(text);

	/* more entries than the cap: refused before any is read */
	struct bg_buf b = BG_BUF_INIT;
	bg_buf_puts(&b, "{\"benchmarks\": [{}");
	for (int i = 0; i < BG_BENCH_MAX_ENTRIES; i++)
		bg_buf_puts(&b, ",{}");
	bg_buf_puts(&b, "]}");
	expect_fail(b.ptr, BG_FORMAT_GBENCH, "benchmarks: 1000001 entries, more than the 1000000");
	bg_buf_free(&b);

	char body[1200] = "\"unit\": \"ns\", \"samples\": [2], \"name\": \"";
	size_t at = strlen(body);
	memset(body + at, 'n', BG_BENCH_MAX_NAME + 1);
	strcpy(body + at + BG_BENCH_MAX_NAME + 1, "\"");
	expect_bench_fail(body, "benchmarks[1].name: 1025 bytes long, more than the 1024 a name");
	expect_fail("{\"benchmarks\": [{\"name\": \"x\", \"run_name\": \"" /* a long run_name */
		    "rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr"
		    "rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr"
		    "rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr"
		    "rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr"
		    "rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr"
		    "rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr"
		    "rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr"
		    "rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr"
		    "rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr"
		    "rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr"
		    "rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr"
		    "rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr"
		    "rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr"
		    "rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr"
		    "\", \"real_time\": 1}]}",
		    BG_FORMAT_GBENCH,
		    "benchmarks[0].run_name: 1078 bytes long, more than the 1024");
}

TF_TEST(bench_parse__gbench_many_groups_interleaved)
{
	/* 20,000 benchmarks whose 3 repetitions come in three passes: each entry finds its
	 * group by name, and groups keep first-appearance order */
	struct bg_buf b = BG_BUF_INIT;
	bg_buf_puts(&b, "{\"benchmarks\": [");
	for (int pass = 0; pass < 3; pass++)
		for (int i = 0; i < 20000; i++)
			bg_buf_printf(&b, "%s{\"name\": \"BM_%d\", \"real_time\": %d}",
				      pass || i ? ", " : "", i, pass + 1);
	bg_buf_puts(&b, "]}");
	struct bg_bench_set *set = NULL;
	int rc = bg_bench_parse(&set, b.ptr, b.len, BG_FORMAT_GBENCH, ORIGIN);
	TF_CHECK(rc == 0, "%s", bg_error_last());
	TF_CHECK(set && set->n == 20000, "groups");
	for (size_t i = 0; set && i < set->n; i += 4999) {
		char want[32];
		snprintf(want, sizeof(want), "BM_%zu", i);
		TF_CHECK(!strcmp(set->v[i].name, want) && set->v[i].n_samples == 3 &&
				 set->v[i].samples[2] == 3.0,
			 "%s: %zu samples", set->v[i].name, set->v[i].n_samples);
	}
	bg_bench_set_free(set);
	bg_buf_free(&b);
}

/* hyperfine 1.15 `--runs 5 --export-json` of 'sleep 0.01' and 'true' (run through the
 * shell: 'true' is shorter than the shell start-up hyperfine subtracts, so three of its
 * times are 0), and `-i` of 'false'; copied from its output, the numbers trimmed. */
static const char hyperfine_ok[] =
	"{\"results\": [{\"command\": \"sleep 0.01\", \"mean\": 0.0296, \"stddev\": 0.0207, "
	"\"median\": 0.0211, \"user\": 0.0026, \"system\": 0.0042, \"min\": 0.0161, \"max\": "
	"0.0665, \"times\": [0.01617565798, 0.024470348980000004, 0.02111481198, 0.02020214198, "
	"0.06650085698], \"exit_codes\": [0, 0, 0, 0, 0]}, {\"command\": \"true\", \"mean\": "
	"0.0017, \"stddev\": 0.0024, \"median\": 0.0013, \"user\": 0.0011, \"system\": 0.0014, "
	"\"min\": 0.0, \"max\": 0.0059, \"times\": [0.0013317069799999998, 0.005900189980000001, "
	"0.0, 0.0, 0.0015026779800000004], \"exit_codes\": [0, 0, 0, 0, 0]}, {\"command\": "
	"\"false\", \"mean\": 0.0012, \"stddev\": 0.0001, \"median\": 0.0012, \"user\": 0.0005, "
	"\"system\": 0.0006, \"min\": 0.0011, \"max\": 0.0013, \"times\": [0.0011, 0.0013], "
	"\"exit_codes\": [1, 1]}, {\"command\": \"sleep 0.02\", \"times\": [0.02], "
	"\"parameters\": {\"n\": \"2\"}}]}";

TF_TEST(bench_parse__hyperfine_commands_and_their_runs)
{
	struct bg_bench_set *set = NULL;
	int rc = bg_bench_parse(&set, hyperfine_ok, strlen(hyperfine_ok), BG_FORMAT_HYPERFINE,
				ORIGIN);
	TF_CHECK(rc == 0, "%s", bg_error_last());
	TF_CHECK(!strcmp(set->format, "hyperfine") && set->n == 4, "format %s, %zu", set->format,
		 set->n);
	TF_CHECK(set->ctx.program == NULL && !strcmp(set->ctx.json, "{}"), "no context");
	const struct bg_bench *b = &set->v[0];
	TF_CHECK(!strcmp(b->name, "sleep 0.01") && !strcmp(b->unit, "ns") && !b->skipped, "%s",
		 b->name);
	TF_CHECK(b->n_samples == 5 && b->samples[0] == 0.01617565798 * 1e9 &&
			 b->samples[4] == 0.06650085698 * 1e9,
		 "seconds to ns: %zu %g", b->n_samples, b->samples[0]);
	TF_CHECK(b->checked == -1 && b->kernel == NULL && b->iterations == 0, "not said");
	b = &set->v[1];
	TF_CHECK(b->skipped && strstr(b->skipped, "shorter than the shell start-up") &&
			 strstr(b->skipped, "(sample 3 of 5 is 0 s)") && b->n_samples == 0 &&
			 b->samples == NULL,
		 "a time of 0: %s", b->skipped ? b->skipped : "(measured)");
	b = &set->v[2];
	TF_CHECK(b->skipped && !strcmp(b->skipped, "run 1 exited with 1") && b->n_samples == 0,
		 "-i: %s", b->skipped ? b->skipped : "(measured)");
	b = &set->v[3];
	TF_CHECK(!strcmp(b->name, "sleep 0.02") && b->n_samples == 1, "parameters ignored");
	bg_bench_set_free(set);
}

TF_TEST(bench_parse__hyperfine_malformed)
{
	static const struct {
		const char *text, *want;
	} bad[] = {
		{"{\"results\": []}", "results: empty"},
		{"{\"benchmarks\": []}", "results: required"},
		{"{\"results\": [{\"times\": [1]}]}", "results[0].command: required"},
		{"{\"results\": [{\"command\": \"x\"}]}", "results[0].times: required"},
		{"{\"results\": [{\"command\": \"x\", \"times\": []}]}", "results[0].times: empty"},
		{"{\"results\": [{\"command\": \"x\", \"times\": [0.1, -1]}]}",
		 "results[0].times[1]: expected a time in seconds (a number >= 0), got -1"},
		{"{\"results\": [{\"command\": \"x\", \"times\": [\"1\"]}]}",
		 "results[0].times[0]: expected a time in seconds (a number >= 0), got a string"},
		{"{\"results\": [{\"command\": \"x\", \"times\": [1e300]}]}",
		 "results[0].times[0]: expected a time in seconds (a number >= 0), got 1e+300"},
		{"{\"results\": [{\"command\": \"x\", \"times\": [1], \"exit_codes\": [\"0\"]}]}",
		 "results[0].exit_codes[0]: expected an exit code or null, got a string"},
		{"{\"results\": [{\"command\": \"x\", \"times\": [1]}, {\"command\": \"x\", "
		 "\"times\": [1]}]}",
		 "results[1].command: duplicate command \"x\" (also results[0]; name them apart"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_fail(bad[i].text, BG_FORMAT_HYPERFINE, bad[i].want);
	/* a signal ends a run: null */
	static const char sig[] = "{\"results\": [{\"command\": \"x\", \"times\": [1, 2], "
				  "\"exit_codes\": [0, null]}]}";
	struct bg_bench_set *set = NULL;
	TF_CHECK(bg_bench_parse(&set, sig, strlen(sig), BG_FORMAT_HYPERFINE, ORIGIN) == 0, "%s",
		 bg_error_last());
	TF_CHECK(set->v[0].skipped && !strcmp(set->v[0].skipped, "run 2 was ended by a signal"),
		 "%s", set->v[0].skipped ? set->v[0].skipped : "(measured)");
	bg_bench_set_free(set);
}

/* pytest-benchmark 3.2.2 `--benchmark-json --benchmark-save-data` of a parametrized test,
 * and one without data (as later versions write without --benchmark-save-data); copied
 * from its output, data trimmed to three rounds. */
static const char pytest_ok[] =
	"{\"machine_info\": {\"node\": \"vm\", \"processor\": \"\", \"machine\": \"x86_64\", "
	"\"python_implementation\": \"CPython\", \"python_version\": \"3.11.2\", \"system\": "
	"\"Linux\", \"cpu\": {\"vendor_id\": \"AuthenticAMD\", \"hardware\": \"unknown\", "
	"\"brand\": \"AMD EPYC\"}}, \"commit_info\": {\"id\": \"unversioned\", \"time\": null, "
	"\"dirty\": false, \"project\": \"fmt\", \"branch\": \"(unknown)\"}, \"benchmarks\": "
	"[{\"group\": null, \"name\": \"test_fib_param[5]\", \"fullname\": "
	"\"test_demo.py::test_fib_param[5]\", \"params\": {\"n\": 5}, \"param\": \"5\", "
	"\"extra_info\": {}, \"options\": {\"disable_gc\": false, \"timer\": \"perf_counter\", "
	"\"min_rounds\": 5, \"max_time\": 0.05, \"min_time\": 5e-06, \"warmup\": false}, "
	"\"stats\": {\"min\": 4.2074983260439086e-07, \"max\": 0.0003459030831436394, \"mean\": "
	"1.0254864871455221e-06, \"stddev\": 1.3623664615605995e-05, \"rounds\": 3, \"median\": "
	"4.358334990683943e-07, \"iqr\": 1.18e-08, \"q1\": 4.31e-07, \"q3\": 4.43e-07, "
	"\"iqr_outliers\": 1539, \"stddev_outliers\": 15, \"outliers\": \"15;1539\", \"ld15iqr\": "
	"4.2e-07, \"hd15iqr\": 4.6e-07, \"ops\": 975146.930296019, \"total\": "
	"0.009766733303573916, \"data\": [4.5258335982604575e-07, 4.5833379166045535e-07, "
	"4.3916710031529266e-07], \"iterations\": 12}}, {\"group\": null, \"name\": "
	"\"test_fib10\", \"fullname\": \"test_demo.py::test_fib10\", \"stats\": {\"min\": 5.6e-06, "
	"\"max\": 0.0041, \"mean\": 1.5e-05, \"stddev\": NaN, \"rounds\": 3081, \"median\": "
	"7.203998393379152e-06, \"iterations\": 1}}], \"datetime\": "
	"\"2026-12-03T10:20:05.850900\", \"version\": \"3.2.2\"}";

TF_TEST(bench_parse__pytest_benchmark_data_or_median)
{
	struct bg_bench_set *set = NULL;
	int rc = bg_bench_parse(&set, pytest_ok, strlen(pytest_ok), BG_FORMAT_PYTEST, ORIGIN);
	TF_CHECK(rc == 0, "%s", bg_error_last());
	TF_CHECK(!strcmp(set->format, "pytest-benchmark") && set->n == 2, "%zu", set->n);
	TF_CHECK(set->ctx.cpu && !strcmp(set->ctx.cpu, "AMD EPYC"), "cpu %s", set->ctx.cpu);
	TF_CHECK(set->ctx.program == NULL && set->ctx.version == NULL,
		 "pytest-benchmark's own "
		 "version is not the program's");
	TF_CHECK(strstr(set->ctx.json, "\"machine_info\":{\"node\":\"vm\"") &&
			 strstr(set->ctx.json, "\"commit_info\":{\"id\":\"unversioned\"") &&
			 strstr(set->ctx.json, "\"version\":\"3.2.2\""),
		 "json %s", set->ctx.json);
	const struct bg_bench *b = &set->v[0];
	TF_CHECK(!strcmp(b->name, "test_demo.py::test_fib_param[5]") && !strcmp(b->unit, "ns"),
		 "%s", b->name);
	TF_CHECK(b->n_samples == 3 && b->samples[0] == 4.5258335982604575e-07 * 1e9 &&
			 b->samples[2] == 4.3916710031529266e-07 * 1e9 && b->iterations == 12,
		 "data: %zu %g iterations %lld", b->n_samples, b->samples[0],
		 (long long)b->iterations);
	b = &set->v[1];
	TF_CHECK(!strcmp(b->name, "test_demo.py::test_fib10") && b->n_samples == 1 &&
			 b->samples[0] == 7.203998393379152e-06 * 1e9,
		 "the median alone without data: %zu %g", b->n_samples,
		 b->n_samples ? b->samples[0] : 0.0);
	bg_bench_set_free(set);
}

TF_TEST(bench_parse__pytest_benchmark_malformed)
{
	static const struct {
		const char *text, *want;
	} bad[] = {
		{"{\"benchmarks\": []}", "benchmarks: empty"},
		{"{\"benchmarks\": [{\"name\": \"t\", \"stats\": {\"median\": 1}}]}",
		 "benchmarks[0].fullname: required"},
		{"{\"benchmarks\": [{\"fullname\": \"t\"}]}", "benchmarks[0].stats: required"},
		{"{\"benchmarks\": [{\"fullname\": \"t\", \"stats\": {}}]}",
		 "benchmarks[0].stats.median: required"},
		{"{\"benchmarks\": [{\"fullname\": \"t\", \"stats\": {\"median\": 0}}]}",
		 "benchmarks[0].stats.median: expected a finite number > 0, got 0"},
		{"{\"benchmarks\": [{\"fullname\": \"t\", \"stats\": {\"data\": [1, NaN]}}]}",
		 "benchmarks[0].stats.data[1]: expected a time in seconds (a number >= 0), got "
		 "null"},
		{"{\"benchmarks\": [{\"fullname\": \"t\", \"stats\": {\"data\": [1], "
		 "\"iterations\": "
		 "0}}]}",
		 "benchmarks[0].stats.iterations: expected an integer"},
		{"{\"benchmarks\": [{\"fullname\": \"t\", \"stats\": {\"median\": 1}}, "
		 "{\"fullname\": \"t\", \"stats\": {\"median\": 1}}]}",
		 "benchmarks[1].fullname: duplicate name \"t\" (also benchmarks[0])"},
		{"{\"machine_info\": {\"cpu\": {\"brand_raw\": 7}}, \"benchmarks\": "
		 "[{\"fullname\": "
		 "\"t\", \"stats\": {\"median\": 1}}]}",
		 "machine_info.cpu.brand_raw: expected a string, got a number"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_fail(bad[i].text, BG_FORMAT_PYTEST, bad[i].want);
	/* a round of 0 s: not measured, with the reason */
	static const char zero[] =
		"{\"benchmarks\": [{\"fullname\": \"t\", \"stats\": {\"data\": [1e-7, 0]}}]}";
	struct bg_bench_set *set = NULL;
	TF_CHECK(bg_bench_parse(&set, zero, strlen(zero), BG_FORMAT_PYTEST, ORIGIN) == 0, "%s",
		 bg_error_last());
	TF_CHECK(set->v[0].skipped && strstr(set->v[0].skipped, "shorter than its timer") &&
			 set->v[0].n_samples == 0,
		 "%s", set->v[0].skipped ? set->v[0].skipped : "(measured)");
	bg_bench_set_free(set);
}
