/* bitnet-bench as a program: its bitgate-bench/1 JSON parses with cJSON and carries the
 * promised fields; it refuses to time a wrong kernel; bad options and environments give
 * clear errors and the documented exit codes. */
#include <cjson/cJSON.h>
#include <regex.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bn_dispatch.h"
#include "bn_test.h"

struct output {
	int status; /* exit code, or 128 + signal */
	char *out;  /* stdout, NUL-terminated */
	char *err;  /* stderr */
};

static char *slurp(FILE *f)
{
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	rewind(f);
	char *s = malloc((size_t)n + 1);
	size_t got = fread(s, 1, (size_t)n, f);
	s[got] = '\0';
	return s;
}

/* Runs bitnet-bench with args; env is a NULL-terminated list of NAME=VALUE to set. */
static struct output run_bench(const char *const *args, const char *const *env)
{
	FILE *o = tmpfile(), *e = tmpfile();
	BN_CHECK(o && e, "tmpfile failed");
	pid_t pid = fork();
	BN_CHECK(pid >= 0, "fork failed");
	if (pid == 0) {
		dup2(fileno(o), 1);
		dup2(fileno(e), 2);
		unsetenv("BITNET_KERNEL");
		unsetenv("BITNET_STRICT_MODE");
		for (int i = 0; env && env[i]; i++)
			putenv((char *)env[i]);
		const char *argv[32] = {BN_BENCH_PATH};
		int n = 1;
		for (int i = 0; args[i] && n < 31; i++)
			argv[n++] = args[i];
		argv[n] = NULL;
		execv(BN_BENCH_PATH, (char *const *)argv);
		_exit(127);
	}
	int st;
	waitpid(pid, &st, 0);
	struct output r = {.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st)};
	r.out = slurp(o);
	r.err = slurp(e);
	fclose(o);
	fclose(e);
	return r;
}

static void free_output(struct output *r)
{
	free(r->out);
	free(r->err);
}

static const cJSON *get(const cJSON *o, const char *key, int type_ok)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	BN_CHECK(v != NULL, "JSON has no field '%s'", key);
	BN_CHECK(type_ok, "JSON field '%s' has the wrong type", key);
	return v;
}

#define GET_STRING(o, k) get(o, k, cJSON_IsString(cJSON_GetObjectItemCaseSensitive(o, k)))
#define GET_NUMBER(o, k) get(o, k, cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(o, k)))
#define GET_ARRAY(o, k) get(o, k, cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(o, k)))
#define GET_BOOL(o, k) get(o, k, cJSON_IsBool(cJSON_GetObjectItemCaseSensitive(o, k)))

BN_TEST(bench__json_schema_and_fields)
{
	const char *args[] = {
		"--format",
		"json",
		"--filter",
		"^(matmul/[a-z0-9]+/32x32x32|gemv/[a-z0-9]+/2560x2560|quant/[a-z0-9]+/2560)$",
		"--min-time",
		"0.001",
		"--repetitions",
		"3",
		"--threads",
		"2",
		NULL};
	struct output r = run_bench(args, NULL);
	BN_CHECK(r.status == 0, "exit %d: %s", r.status, r.err);
	cJSON *root = cJSON_Parse(r.out);
	BN_CHECK(root != NULL, "stdout is not JSON: %.200s", r.out);
	BN_CHECK(!strcmp(GET_STRING(root, "schema")->valuestring, "bitgate-bench/1"), "schema");
	const cJSON *c = get(root, "context", cJSON_IsObject(cJSON_GetObjectItem(root, "context")));
	BN_CHECK(!strcmp(GET_STRING(c, "program")->valuestring, "bitnet-bench"), "program");
	GET_STRING(c, "version");
	BN_CHECK(GET_STRING(c, "cpu")->valuestring[0], "empty cpu");
	GET_ARRAY(c, "isa");
	BN_CHECK_EQ(GET_NUMBER(c, "threads")->valuedouble, 2);
	BN_CHECK(cJSON_IsFalse(GET_BOOL(c, "strict_mode")), "strict_mode should be false");
	BN_CHECK(GET_STRING(c, "build_type")->valuestring[0], "empty build_type");
	const cJSON *seen = GET_ARRAY(c, "kernels");
	BN_CHECK(cJSON_GetArraySize(seen) >= 1, "no kernel observed");

	int ran = 0, skipped = 0;
	const cJSON *b;
	cJSON_ArrayForEach(b, GET_ARRAY(root, "benchmarks"))
	{
		const char *name = GET_STRING(b, "name")->valuestring;
		BN_CHECK(!strcmp(GET_STRING(b, "unit")->valuestring, "ns"), "%s: unit", name);
		char kern[16] = "";
		int m = 0, n = 0, k = 0;
		const cJSON *sk = cJSON_GetObjectItem(b, "skipped");
		BN_CHECK(sscanf(name, "%*[a-z]/%15[a-z0-9]/", kern) == 1, "%s: no kernel in name",
			 name);
		int id;
		BN_CHECK_EQ(bn_kernel_from_name(&id, kern), 0);
		if (sk) {
			BN_CHECK(cJSON_IsString(sk) && sk->valuestring[0], "%s: empty skip reason",
				 name);
			BN_CHECK(!cJSON_GetObjectItem(b, "samples"), "%s: skipped but has samples",
				 name);
			BN_CHECK(!bn_kernel_available(id, NULL),
				 "%s skipped but its kernel runs here", name);
			skipped++;
			continue;
		}
		ran++;
		const cJSON *samples = GET_ARRAY(b, "samples");
		BN_CHECK_EQ(cJSON_GetArraySize(samples), 3);
		const cJSON *s;
		cJSON_ArrayForEach(s, samples)
			BN_CHECK(cJSON_IsNumber(s) && s->valuedouble > 0, "%s: bad sample", name);
		BN_CHECK(GET_NUMBER(b, "iterations")->valuedouble >= 1, "%s: iterations", name);
		BN_CHECK(GET_NUMBER(b, "bytes")->valuedouble > 0, "%s: bytes", name);
		BN_CHECK(!strcmp(GET_STRING(b, "kernel")->valuestring, kern),
			 "%s: dispatch reported kernel %s", name,
			 GET_STRING(b, "kernel")->valuestring);
		BN_CHECK(cJSON_IsTrue(GET_BOOL(b, "checked")), "%s: not checked", name);
		double elements = GET_NUMBER(b, "elements")->valuedouble;
		if (sscanf(name, "matmul/%*[a-z0-9]/%dx%dx%d", &m, &n, &k) == 3)
			BN_CHECK(elements == (double)m * n * k, "%s: elements %g", name, elements);
		else if (sscanf(name, "gemv/%*[a-z0-9]/%dx%d", &k, &n) == 2)
			BN_CHECK(elements == (double)k * n, "%s: elements %g", name, elements);
		else if (sscanf(name, "quant/%*[a-z0-9]/%d", &n) == 1)
			BN_CHECK(elements == n, "%s: elements %g", name, elements);
		else
			BN_CHECK(0, "unexpected benchmark %s", name);
	}
	/* ref and every available kernel ran, for 3 families; the others were listed skipped */
	int avail = 0;
	for (int id = 0; id < BN_KERNEL_COUNT; id++)
		avail += bn_kernel_available(id, NULL);
	int quant_kernels = avail - (bn_kernel_available(BN_KERNEL_AMX, NULL) ? 1 : 0);
	BN_CHECK_EQ(ran, 2 * avail + quant_kernels);
	BN_CHECK_EQ(ran + skipped, 2 * BN_KERNEL_COUNT + BN_KERNEL_COUNT - 1);
	cJSON_Delete(root);
	free_output(&r);
}

BN_TEST(bench__table_has_ratio_to_ref)
{
	const char *args[] = {"--filter",
			      "^matmul/[a-z0-9]+/64x64x64$",
			      "--min-time",
			      "0.001",
			      "--repetitions",
			      "2",
			      NULL};
	struct output r = run_bench(args, NULL);
	BN_CHECK(r.status == 0, "exit %d: %s", r.status, r.err);
	BN_CHECK(strstr(r.out, "matmul/ref/64x64x64") && strstr(r.out, "Gelem/s"), "table: %s",
		 r.out);
	if (bn_kernel_best() != BN_KERNEL_REF) {
		regex_t re;
		BN_CHECK_EQ(regcomp(&re, "matmul/[a-z0-9]+/64x64x64 .* [0-9.]+x", REG_EXTENDED), 0);
		BN_CHECK(regexec(&re, r.out, 0, NULL, 0) == 0, "no ratio column: %s", r.out);
		regfree(&re);
	}
	free_output(&r);
}

BN_TEST(bench__refuses_wrong_kernel)
{
	const char *kern = bn_kernel_name(bn_kernel_best());
	char filter[64];
	snprintf(filter, sizeof(filter), "^matmul/%s/32x32x32$", kern);
	const char *args[] = {"--filter", filter,       "--format", "json", "--inject-fault",
			      kern,       "--min-time", "0.001",    NULL};
	struct output r = run_bench(args, NULL);
	BN_CHECK(r.status == 1, "exit %d, want 1: %s", r.status, r.err);
	char want[64];
	snprintf(want, sizeof(want), "kernel %s is wrong", kern);
	BN_CHECK(strstr(r.err, want) && strstr(r.err, "refusing to time"), "stderr: %s", r.err);
	BN_CHECK(r.out[0] == '\0', "printed results for a wrong kernel: %.200s", r.out);
	free_output(&r);
	/* the quantizer's check too */
	snprintf(filter, sizeof(filter), "^quant/%s/2560$", kern);
	r = run_bench(args, NULL);
	BN_CHECK(r.status == 1 && strstr(r.err, want), "quant: exit %d: %s", r.status, r.err);
	free_output(&r);
}

BN_TEST(bench__environment_errors)
{
	const char *args[] = {"--filter", "^matmul/[a-z0-9]+/32x32x32$", "--min-time", "0.001",
			      NULL};
	const char *unknown[] = {"BITNET_KERNEL=neon", NULL};
	struct output r = run_bench(args, unknown);
	BN_CHECK(r.status == 2 && strstr(r.err, "BITNET_KERNEL=neon"), "exit %d: %s", r.status,
		 r.err);
	free_output(&r);
	const char *bad_strict[] = {"BITNET_STRICT_MODE=perhaps", NULL};
	r = run_bench(args, bad_strict);
	BN_CHECK(r.status == 2 && strstr(r.err, "BITNET_STRICT_MODE=perhaps"), "exit %d: %s",
		 r.status, r.err);
	free_output(&r);
	if (bn_kernel_best() != BN_KERNEL_REF) {
		const char *strict_ref[] = {"BITNET_STRICT_MODE=1", "BITNET_KERNEL=ref", NULL};
		r = run_bench(args, strict_ref);
		BN_CHECK(r.status == 3 && strstr(r.err, "STRICT") && strstr(r.err, "gemm 32x32x32"),
			 "exit %d: %s", r.status, r.err);
		free_output(&r);
	}
	/* BITNET_KERNEL narrows the run to that kernel, and strict mode shows in the context */
	const char *only_ref[] = {"BITNET_KERNEL=ref", NULL};
	const char *jargs[] = {"--filter",   "32x32x32", "--format", "json",
			       "--min-time", "0.001",    NULL};
	r = run_bench(jargs, only_ref);
	BN_CHECK(r.status == 0 && strstr(r.out, "matmul/ref/32x32x32") &&
			 !strstr(r.out, "matmul/avx2/"),
		 "exit %d: %s", r.status, r.err);
	free_output(&r);
	const char *strict_on[] = {"BITNET_STRICT_MODE=1", NULL};
	r = run_bench(jargs, strict_on);
	BN_CHECK(r.status == 0 && strstr(r.out, "\"strict_mode\":\ttrue"), "exit %d: %s %s",
		 r.status, r.err, r.out);
	free_output(&r);
}

BN_TEST(bench__usage_errors)
{
	static const char *const bad[][3] = {
		{"--threads", "0", NULL},        {"--repetitions", "x", NULL},
		{"--format", "xml", NULL},       {"--min-time", "-1", NULL},
		{"--filter", "(", NULL},         {"--bogus", NULL, NULL},
		{"--filter", "^nothing$", NULL},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct output r = run_bench(bad[i], NULL);
		BN_CHECK(r.status == 2 && r.err[0], "%s %s: exit %d, stderr '%s'", bad[i][0],
			 bad[i][1] ? bad[i][1] : "", r.status, r.err);
		free_output(&r);
	}
	const char *help[] = {"--help", NULL};
	struct output r = run_bench(help, NULL);
	BN_CHECK(r.status == 0 && strstr(r.out, "--min-time"), "--help: %d", r.status);
	free_output(&r);
	const char *list[] = {"--list", NULL};
	r = run_bench(list, NULL);
	BN_CHECK(r.status == 0 && strstr(r.out, "gemv/ref/2560x6912/dram") &&
			 strstr(r.out, "membw/read") && strstr(r.out, "matmul/amx/512x512x512"),
		 "--list: %s", r.out);
	free_output(&r);
}
