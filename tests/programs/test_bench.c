/* bitnet-bench as a program: its bitgate-bench/1 JSON parses with cJSON and carries the
 * promised fields; it refuses to time a wrong kernel; bad options and environments give
 * clear errors and the documented exit codes; the CUDA benchmarks are listed, and skipped
 * with the reason where no device can run them. */
#include <cjson/cJSON.h>
#include <regex.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bn_dispatch.h"
#include "tf.h"

/* Runs bitnet-bench with args; env is a NULL-terminated list of NAME=VALUE to set. */
static struct tf_output run_bench(const char *const *args, const char *const *env)
{
	static const char *const unset[] = {"BITNET_KERNEL", "BITNET_STRICT_MODE",
					    "BITNET_DEVICE", NULL};
	return tf_run(BN_BENCH_PATH, args, unset, env);
}

static const cJSON *get(const cJSON *o, const char *key, int type_ok)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	TF_CHECK(v != NULL, "JSON has no field '%s'", key);
	TF_CHECK(type_ok, "JSON field '%s' has the wrong type", key);
	return v;
}

#define GET_STRING(o, k) get(o, k, cJSON_IsString(cJSON_GetObjectItemCaseSensitive(o, k)))
#define GET_NUMBER(o, k) get(o, k, cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(o, k)))
#define GET_ARRAY(o, k) get(o, k, cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(o, k)))
#define GET_BOOL(o, k) get(o, k, cJSON_IsBool(cJSON_GetObjectItemCaseSensitive(o, k)))

/* The context of a CPU run at 2 threads. */
static void check_context(const cJSON *root)
{
	const cJSON *c = get(root, "context", cJSON_IsObject(cJSON_GetObjectItem(root, "context")));
	TF_CHECK(!strcmp(GET_STRING(c, "program")->valuestring, "bitnet-bench"), "program");
	GET_STRING(c, "version");
	TF_CHECK(GET_STRING(c, "cpu")->valuestring[0], "empty cpu");
	GET_ARRAY(c, "isa");
	TF_CHECK_EQ(GET_NUMBER(c, "threads")->valuedouble, 2);
	TF_CHECK(cJSON_IsFalse(GET_BOOL(c, "strict_mode")), "strict_mode should be false");
	TF_CHECK(GET_STRING(c, "build_type")->valuestring[0], "empty build_type");
	const cJSON *seen = GET_ARRAY(c, "kernels");
	TF_CHECK(cJSON_GetArraySize(seen) >= 1, "no kernel observed");
}

/* One benchmark of the run: a skipped one says why, has no samples and its kernel indeed
 * cannot run here; one that ran has 3 positive samples, its own kernel, checked output and
 * the work of its shape. Returns 1 when it ran. */
static int check_benchmark(const cJSON *b)
{
	const char *name = GET_STRING(b, "name")->valuestring;
	TF_CHECK(!strcmp(GET_STRING(b, "unit")->valuestring, "ns"), "%s: unit", name);
	char kern[16] = "";
	int m = 0, n = 0, k = 0;
	const cJSON *sk = cJSON_GetObjectItem(b, "skipped");
	TF_CHECK(sscanf(name, "%*[a-z]/%15[a-z0-9]/", kern) == 1, "%s: no kernel in name", name);
	int id;
	TF_CHECK_EQ(bn_kernel_from_name(&id, kern), 0);
	if (sk) {
		TF_CHECK(cJSON_IsString(sk) && sk->valuestring[0], "%s: empty skip reason", name);
		TF_CHECK(!cJSON_GetObjectItem(b, "samples"), "%s: skipped but has samples", name);
		TF_CHECK(!bn_kernel_available(id, NULL), "%s skipped but its kernel runs here",
			 name);
		return 0;
	}
	const cJSON *samples = GET_ARRAY(b, "samples");
	TF_CHECK_EQ(cJSON_GetArraySize(samples), 3);
	const cJSON *s;
	cJSON_ArrayForEach(s, samples)
		TF_CHECK(cJSON_IsNumber(s) && s->valuedouble > 0, "%s: bad sample", name);
	TF_CHECK(GET_NUMBER(b, "iterations")->valuedouble >= 1, "%s: iterations", name);
	TF_CHECK(GET_NUMBER(b, "bytes")->valuedouble > 0, "%s: bytes", name);
	TF_CHECK(!strcmp(GET_STRING(b, "kernel")->valuestring, kern),
		 "%s: dispatch reported kernel %s", name, GET_STRING(b, "kernel")->valuestring);
	TF_CHECK(cJSON_IsTrue(GET_BOOL(b, "checked")), "%s: not checked", name);
	double elements = GET_NUMBER(b, "elements")->valuedouble;
	if (sscanf(name, "matmul/%*[a-z0-9]/%dx%dx%d", &m, &n, &k) == 3)
		TF_CHECK(elements == (double)m * n * k, "%s: elements %g", name, elements);
	else if (sscanf(name, "gemv/%*[a-z0-9]/%dx%d", &k, &n) == 2)
		TF_CHECK(elements == (double)k * n, "%s: elements %g", name, elements);
	else if (sscanf(name, "quant/%*[a-z0-9]/%d", &n) == 1)
		TF_CHECK(elements == n, "%s: elements %g", name, elements);
	else
		TF_CHECK(0, "unexpected benchmark %s", name);
	return 1;
}

TF_TEST(bench__json_schema_and_fields)
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
	const char *cpu_only[] = {"BITNET_DEVICE=cpu", NULL}; /* the CUDA ones: below */
	struct tf_output r = run_bench(args, cpu_only);
	TF_CHECK(r.status == 0, "exit %d: %s", r.status, r.err);
	cJSON *root = cJSON_Parse(r.out);
	TF_CHECK(root != NULL, "stdout is not JSON: %.200s", r.out);
	TF_CHECK(!strcmp(GET_STRING(root, "schema")->valuestring, "bitgate-bench/1"), "schema");
	check_context(root);

	int ran = 0, skipped = 0;
	const cJSON *b;
	cJSON_ArrayForEach(b, GET_ARRAY(root, "benchmarks"))
	{
		if (check_benchmark(b))
			ran++;
		else
			skipped++;
	}
	/* ref and every available kernel ran, for 3 families; the others were listed skipped */
	int avail = 0;
	for (int id = 0; id < BN_KERNEL_COUNT; id++)
		avail += bn_kernel_available(id, NULL);
	int quant_kernels = avail - (bn_kernel_available(BN_KERNEL_AMX, NULL) ? 1 : 0);
	TF_CHECK_EQ(ran, 2 * avail + quant_kernels);
	TF_CHECK_EQ(ran + skipped, 2 * BN_KERNEL_COUNT + BN_KERNEL_COUNT - 1);
	cJSON_Delete(root);
	tf_output_free(&r);
}

TF_TEST(bench__table_has_ratio_to_ref)
{
	const char *args[] = {"--filter",
			      "^matmul/[a-z0-9]+/64x64x64$",
			      "--min-time",
			      "0.001",
			      "--repetitions",
			      "2",
			      NULL};
	struct tf_output r = run_bench(args, NULL);
	TF_CHECK(r.status == 0, "exit %d: %s", r.status, r.err);
	TF_CHECK(strstr(r.out, "matmul/ref/64x64x64") && strstr(r.out, "Gelem/s"), "table: %s",
		 r.out);
	if (bn_kernel_best() != BN_KERNEL_REF) {
		regex_t re;
		TF_CHECK_EQ(regcomp(&re, "matmul/[a-z0-9]+/64x64x64 .* [0-9.]+x", REG_EXTENDED), 0);
		TF_CHECK(regexec(&re, r.out, 0, NULL, 0) == 0, "no ratio column: %s", r.out);
		regfree(&re);
	}
	tf_output_free(&r);
}

/* The most capable kernel whose benchmark of that family and shape --list names without
 * "(skipped" (e.g. family "quant", shape "2560": AMX has no quantizer of its own), into
 * out; 0 when none runs here. The list, not an assumption, says which kernels run. */
static int listed_kernel(char *out, size_t cap, const char *family, const char *shape)
{
	char filter[96];
	snprintf(filter, sizeof(filter), "^%s/[a-z0-9]+/%s$", family, shape);
	const char *args[] = {"--list", "--filter", filter, NULL};
	const char *cpu_only[] = {"BITNET_DEVICE=cpu", NULL};
	struct tf_output r = run_bench(args, cpu_only);
	TF_CHECK(r.status == 0, "--list: exit %d: %s", r.status, r.err);
	int best = -1;
	for (char *line = r.out, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		char kern[32];
		int id;
		if (strstr(line, "(skipped") ||
		    sscanf(line + strlen(family) + 1, "%31[a-z0-9]", kern) != 1 ||
		    bn_kernel_from_name(&id, kern))
			continue;
		best = id > best ? id : best;
	}
	tf_output_free(&r);
	if (best < 0)
		return 0;
	snprintf(out, cap, "%s", bn_kernel_name(best));
	return 1;
}

/* Runs one benchmark with --inject-fault on its kernel: exit 1, the refusal naming the
 * kernel, and nothing printed for it. */
static void check_refusal(const char *family, const char *shape)
{
	char kern[32], filter[96], want[64];
	TF_CHECK(listed_kernel(kern, sizeof(kern), family, shape), "no %s/*/%s benchmark runs",
		 family, shape);
	snprintf(filter, sizeof(filter), "^%s/%s/%s$", family, kern, shape);
	const char *args[] = {"--filter", filter,       "--format", "json", "--inject-fault",
			      kern,       "--min-time", "0.001",    NULL};
	struct tf_output r = run_bench(args, NULL);
	TF_CHECK(r.status == 1, "%s: exit %d, want 1: %s", filter, r.status, r.err);
	snprintf(want, sizeof(want), "kernel %s is wrong", kern);
	TF_CHECK(strstr(r.err, want) && strstr(r.err, "refusing to time"), "%s: stderr: %s", filter,
		 r.err);
	TF_CHECK(r.out[0] == '\0', "printed results for a wrong kernel: %.200s", r.out);
	tf_output_free(&r);
}

TF_TEST(bench__refuses_wrong_kernel)
{
	check_refusal("matmul", "32x32x32");
	check_refusal("gemv", "2560x2560");
	check_refusal("quant", "2560"); /* the quantizer's check too */
}

/* The JSON context reports the dispatch's choice per operation, as the library makes it, and
 * an end-to-end result says which kernel ran each operation: the prompt's GEMM is the
 * dispatch's GEMM for 64 rows, the decode's GEMV its GEMV. */
TF_TEST(bench__reports_kernel_per_operation)
{
	const char *args[] = {
		"--format",   "json",  "--filter",      "^e2e/tiny/(prefill64|decode)$",
		"--min-time", "0.001", "--repetitions", "1",
		NULL};
	const char *cpu_only[] = {"BITNET_DEVICE=cpu", NULL};
	struct tf_output r = run_bench(args, cpu_only);
	TF_CHECK(r.status == 0, "exit %d: %s", r.status, r.err);
	cJSON *root = cJSON_Parse(r.out);
	TF_CHECK(root != NULL, "stdout is not JSON: %.200s", r.out);
	struct bn_ctx *ctx;
	TF_CHECK_EQ(bn_ctx_new(&ctx, NULL), 0);
	const cJSON *d = cJSON_GetObjectItem(cJSON_GetObjectItem(root, "context"), "dispatch");
	TF_CHECK(cJSON_IsObject(d), "context has no dispatch object: %.300s", r.out);
	TF_CHECK(!strcmp(GET_STRING(d, "cpu_class")->valuestring, bn_cpu_class()), "cpu_class");
	int split = bn_ctx_gemm_split(ctx);
	TF_CHECK(!strcmp(GET_STRING(d, "gemm")->valuestring,
			 bn_kernel_name(bn_ctx_op_kernel(ctx, BN_OP_GEMM, split ? split : 1))),
		 "gemm");
	for (int op = BN_OP_GEMV; op < BN_OP_COUNT; op++)
		TF_CHECK(!strcmp(GET_STRING(d, bn_op_name(op))->valuestring,
				 bn_kernel_name(bn_ctx_op_kernel(ctx, (enum bn_op)op, 1))),
			 "%s", bn_op_name(op));
	const cJSON *b;
	int seen = 0;
	cJSON_ArrayForEach(b, cJSON_GetObjectItem(root, "benchmarks"))
	{
		const char *name = GET_STRING(b, "name")->valuestring;
		const cJSON *ops = cJSON_GetObjectItem(b, "dispatch");
		TF_CHECK(cJSON_IsObject(ops), "%s: no dispatch", name);
		int prefill = strstr(name, "prefill") != NULL;
		const char *main_op = prefill ? "gemm" : "gemv";
		int want = prefill ? bn_ctx_op_kernel(ctx, BN_OP_GEMM, 64)
				   : bn_ctx_op_kernel(ctx, BN_OP_GEMV, 1);
		TF_CHECK(!strcmp(GET_STRING(ops, main_op)->valuestring, bn_kernel_name(want)),
			 "%s: %s ran %s, the dispatch says %s", name, main_op,
			 GET_STRING(ops, main_op)->valuestring, bn_kernel_name(want));
		TF_CHECK(!strcmp(GET_STRING(ops, "lm_head")->valuestring,
				 bn_kernel_name(bn_ctx_op_kernel(ctx, BN_OP_LM_HEAD, 1))),
			 "%s: lm_head", name);
		TF_CHECK(cJSON_GetObjectItem(ops, prefill ? "gemv" : "gemm") == NULL,
			 "%s: reports an operation its timed runs did not use", name);
		/* the result's kernel names its main operation's first */
		TF_CHECK(!strncmp(GET_STRING(b, "kernel")->valuestring, bn_kernel_name(want),
				  strlen(bn_kernel_name(want))),
			 "%s: kernel %s", name, GET_STRING(b, "kernel")->valuestring);
		seen++;
	}
	TF_CHECK_EQ(seen, 2);
	bn_ctx_free(ctx);
	cJSON_Delete(root);
	tf_output_free(&r);
}

/* The lm_head benchmark checks every logit against ref before timing, and refuses a wrong
 * kernel like the others. */
TF_TEST(bench__head_refuses_wrong_kernel)
{
	check_refusal("head", "2560x128256");
}

TF_TEST(bench__environment_errors)
{
	const char *args[] = {"--filter", "^matmul/[a-z0-9]+/32x32x32$", "--min-time", "0.001",
			      NULL};
	const char *unknown[] = {"BITNET_KERNEL=neon", NULL};
	struct tf_output r = run_bench(args, unknown);
	TF_CHECK(r.status == 2 && strstr(r.err, "BITNET_KERNEL=neon"), "exit %d: %s", r.status,
		 r.err);
	tf_output_free(&r);
	const char *bad_strict[] = {"BITNET_STRICT_MODE=perhaps", NULL};
	r = run_bench(args, bad_strict);
	TF_CHECK(r.status == 2 && strstr(r.err, "BITNET_STRICT_MODE=perhaps"), "exit %d: %s",
		 r.status, r.err);
	tf_output_free(&r);
	if (bn_kernel_best() != BN_KERNEL_REF) {
		const char *strict_ref[] = {"BITNET_STRICT_MODE=1", "BITNET_KERNEL=ref", NULL};
		r = run_bench(args, strict_ref);
		TF_CHECK(r.status == 3 && strstr(r.err, "STRICT") && strstr(r.err, "gemm 32x32x32"),
			 "exit %d: %s", r.status, r.err);
		tf_output_free(&r);
	}
	/* BITNET_KERNEL narrows the run to that kernel, and strict mode shows in the context */
	const char *only_ref[] = {"BITNET_KERNEL=ref", NULL};
	const char *jargs[] = {"--filter",   "32x32x32", "--format", "json",
			       "--min-time", "0.001",    NULL};
	r = run_bench(jargs, only_ref);
	TF_CHECK(r.status == 0 && strstr(r.out, "matmul/ref/32x32x32") &&
			 !strstr(r.out, "matmul/avx2/"),
		 "exit %d: %s", r.status, r.err);
	tf_output_free(&r);
	const char *strict_on[] = {"BITNET_STRICT_MODE=1", NULL};
	r = run_bench(jargs, strict_on);
	TF_CHECK(r.status == 0 && strstr(r.out, "\"strict_mode\":\ttrue"), "exit %d: %s %s",
		 r.status, r.err, r.out);
	tf_output_free(&r);
}

TF_TEST(bench__usage_errors)
{
	static const char *const bad[][3] = {
		{"--threads", "0", NULL},        {"--repetitions", "x", NULL},
		{"--format", "xml", NULL},       {"--min-time", "-1", NULL},
		{"--filter", "(", NULL},         {"--bogus", NULL, NULL},
		{"--filter", "^nothing$", NULL},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct tf_output r = run_bench(bad[i], NULL);
		TF_CHECK(r.status == 2 && r.err[0], "%s %s: exit %d, stderr '%s'", bad[i][0],
			 bad[i][1] ? bad[i][1] : "", r.status, r.err);
		tf_output_free(&r);
	}
	const char *help[] = {"--help", NULL};
	struct tf_output r = run_bench(help, NULL);
	TF_CHECK(r.status == 0 && strstr(r.out, "--min-time"), "--help: %d", r.status);
	tf_output_free(&r);
	const char *list[] = {"--list", NULL};
	r = run_bench(list, NULL);
	TF_CHECK(r.status == 0 && strstr(r.out, "gemv/ref/2560x6912/dram") &&
			 strstr(r.out, "membw/read") && strstr(r.out, "matmul/amx/512x512x512"),
		 "--list: %s", r.out);
	tf_output_free(&r);
}

/* ---- the CUDA benchmarks ---- */

static const char *const cuda_names[] = {
	"membw/cuda-copy",          "matmul/cuda/32x32x32",     "matmul/cuda/64x64x64",
	"matmul/cuda/128x128x128",  "matmul/cuda/256x256x256",  "matmul/cuda/512x512x512",
	"matmul/cuda/64x2560x2560", "matmul/cuda/64x6912x2560", "matmul/cuda/64x2560x6912",
	"gemv/cuda/2560x2560",      "gemv/cuda/2560x6912",      "gemv/cuda/6912x2560",
	"gemv/cuda/2560x128256",    "e2e/tiny/decode@cuda",     "e2e/2b/decode@cuda",
};
#define N_CUDA_NAMES (int)(sizeof(cuda_names) / sizeof(cuda_names[0]))

/* Whether bitnet-bench runs CUDA benchmarks here, asked of the program itself (it may have
 * been built without nvcc): 1, or 0 with why (the skip reason it reports). */
static int cuda_runs(char *why, size_t cap)
{
	const char *args[] = {"--format",          "json",       "--filter",
			      "^membw/cuda-copy$", "--min-time", "0.001",
			      "--repetitions",     "1",          NULL};
	struct tf_output r = run_bench(args, NULL);
	TF_CHECK(r.status == 0, "membw/cuda-copy: exit %d: %s", r.status, r.err);
	cJSON *root = cJSON_Parse(r.out);
	TF_CHECK(root != NULL, "stdout is not JSON: %.200s", r.out);
	const cJSON *b = cJSON_GetArrayItem(GET_ARRAY(root, "benchmarks"), 0);
	TF_CHECK(b && !strcmp(GET_STRING(b, "name")->valuestring, "membw/cuda-copy"),
		 "no membw/cuda-copy in %.300s", r.out);
	const cJSON *sk = cJSON_GetObjectItem(b, "skipped");
	int runs = sk == NULL;
	snprintf(why, cap, "%s", sk && cJSON_IsString(sk) ? sk->valuestring : "");
	cJSON_Delete(root);
	tf_output_free(&r);
	return runs;
}

/* The no-device expectations only hold without one: a machine with a GPU skips them. */
static void need_no_device(char *why, size_t cap)
{
	if (cuda_runs(why, cap))
		TF_SKIP("a CUDA device runs the CUDA benchmarks here: the no-device behaviour "
			"cannot be shown (the device cases cover it)");
	TF_CHECK(why[0], "skipped with an empty reason");
}

static void need_device(void)
{
	char why[256];
	if (!cuda_runs(why, sizeof(why)))
		TF_SKIP("no CUDA device runs the CUDA benchmarks here: %s", why);
}

/* --list names every CUDA benchmark; without a device each says skipped, and why. */
TF_TEST(bench__cuda_listed)
{
	char why[256], line[512];
	int device = cuda_runs(why, sizeof(why));
	const char *args[] = {"--list", NULL};
	struct tf_output r = run_bench(args, NULL);
	TF_CHECK(r.status == 0, "exit %d: %s", r.status, r.err);
	for (int i = 0; i < N_CUDA_NAMES; i++) {
		if (device)
			snprintf(line, sizeof(line), "\n%s\n", cuda_names[i]);
		else
			snprintf(line, sizeof(line), "\n%s (skipped: %s)\n", cuda_names[i], why);
		TF_CHECK(strstr(r.out, line), "--list lacks '%s': %s", line + 1, r.out);
	}
	tf_output_free(&r);
}

/* Without a device the JSON lists them with the reason and no samples, and no gpu context;
 * so does BITNET_DEVICE=cuda outside strict mode, with nothing else in the run. */
TF_TEST(bench__cuda_json_skipped_without_device)
{
	char why[256];
	need_no_device(why, sizeof(why));
	const char *args[] = {"--format", "json", "--filter", "cuda", "--min-time", "0.001", NULL};
	const char *only_cuda[] = {"BITNET_DEVICE=cuda", NULL};
	for (int pass = 0; pass < 2; pass++) {
		struct tf_output r = run_bench(args, pass ? only_cuda : NULL);
		TF_CHECK(r.status == 0, "pass %d: exit %d: %s", pass, r.status, r.err);
		cJSON *root = cJSON_Parse(r.out);
		TF_CHECK(root != NULL, "stdout is not JSON: %.200s", r.out);
		const cJSON *c =
			get(root, "context", cJSON_IsObject(cJSON_GetObjectItem(root, "context")));
		TF_CHECK(!cJSON_GetObjectItem(c, "gpu"), "a gpu context with no CUDA run");
		const cJSON *b;
		int n = 0;
		cJSON_ArrayForEach(b, GET_ARRAY(root, "benchmarks"))
		{
			const char *name = GET_STRING(b, "name")->valuestring;
			TF_CHECK(n < N_CUDA_NAMES && !strcmp(name, cuda_names[n]),
				 "entry %d is %s, want %s", n, name,
				 n < N_CUDA_NAMES ? cuda_names[n] : "none");
			TF_CHECK(!strcmp(GET_STRING(b, "skipped")->valuestring, why),
				 "%s: skipped '%s', want '%s'", name,
				 GET_STRING(b, "skipped")->valuestring, why);
			TF_CHECK(!cJSON_GetObjectItem(b, "samples"), "%s: skipped but has samples",
				 name);
			n++;
		}
		TF_CHECK_EQ(n, N_CUDA_NAMES);
		cJSON_Delete(root);
		tf_output_free(&r);
	}
}

/* Strict mode: a CUDA request that cannot be served is an error with the reason, exit 3. */
TF_TEST(bench__cuda_strict_without_device)
{
	char why[256];
	need_no_device(why, sizeof(why));
	const char *args[] = {"--format", "json", "--filter", "cuda", "--min-time", "0.001", NULL};
	const char *envs[][3] = {{"BITNET_STRICT_MODE=1", "BITNET_DEVICE=cuda", NULL},
				 {"BITNET_STRICT_MODE=1", "BITNET_KERNEL=cuda", NULL}};
	for (int i = 0; i < 2; i++) {
		struct tf_output r = run_bench(args, envs[i]);
		TF_CHECK(r.status == 3 && strstr(r.err, why) && strstr(r.err, envs[i][1]),
			 "%s: exit %d, want 3 naming '%s': %s", envs[i][1], r.status, why, r.err);
		TF_CHECK(r.out[0] == '\0', "%s: printed results: %.200s", envs[i][1], r.out);
		TF_CHECK(!strchr(r.err, '\n') || strchr(r.err, '\n') == r.err + strlen(r.err) - 1,
			 "%s: more than one line: %s", envs[i][1], r.err);
		tf_output_free(&r);
	}
}

/* BITNET_DEVICE narrows the run to one device; any value but cpu or cuda is a usage error. */
TF_TEST(bench__device_environment)
{
	const char *list[] = {"--list", NULL};
	const char *bogus[] = {"BITNET_DEVICE=bogus", NULL};
	struct tf_output r = run_bench(list, bogus);
	TF_CHECK(r.status == 2 && strstr(r.err, "BITNET_DEVICE=bogus"), "exit %d: %s", r.status,
		 r.err);
	tf_output_free(&r);
	const char *contradiction[] = {"BITNET_DEVICE=cpu", "BITNET_KERNEL=cuda", NULL};
	r = run_bench(list, contradiction);
	TF_CHECK(r.status == 2 && r.err[0], "cpu and cuda: exit %d: %s", r.status, r.err);
	tf_output_free(&r);
	const char *cpu[] = {"BITNET_DEVICE=cpu", NULL};
	r = run_bench(list, cpu);
	TF_CHECK(r.status == 0 && strstr(r.out, "membw/read") && !strstr(r.out, "cuda"),
		 "BITNET_DEVICE=cpu: exit %d: %s", r.status, r.out);
	tf_output_free(&r);
	const char *ref[] = {"BITNET_KERNEL=ref", NULL}; /* a CPU kernel: the CPU alone */
	r = run_bench(list, ref);
	TF_CHECK(r.status == 0 && strstr(r.out, "matmul/ref/") && !strstr(r.out, "cuda"),
		 "BITNET_KERNEL=ref: exit %d: %s", r.status, r.out);
	tf_output_free(&r);
	const char *cuda_envs[][2] = {{"BITNET_DEVICE=cuda", NULL}, {"BITNET_KERNEL=cuda", NULL}};
	for (int e = 0; e < 2; e++) {
		r = run_bench(list, cuda_envs[e]);
		TF_CHECK(r.status == 0, "%s: exit %d: %s", cuda_envs[e][0], r.status, r.err);
		int lines = 0;
		for (const char *p = r.out; *p; p = strchr(p, '\n') + 1) {
			TF_CHECK(strchr(p, '\n'), "unterminated line");
			int n = (int)(strchr(p, '\n') - p);
			TF_CHECK(strstr(p, "cuda") && strstr(p, "cuda") < p + n,
				 "%s lists a CPU benchmark: %.*s", cuda_envs[e][0], n, p);
			lines++;
		}
		TF_CHECK_EQ(lines, N_CUDA_NAMES);
		tf_output_free(&r);
	}
	const char *help[] = {"--help", NULL};
	r = run_bench(help, NULL);
	TF_CHECK(r.status == 0 && strstr(r.out, "BITNET_DEVICE") && strstr(r.out, "cuda"),
		 "--help does not document BITNET_DEVICE: %s", r.out);
	tf_output_free(&r);
}

/* --inject-fault cuda is accepted; where a device runs, the corrupted output is refused. */
TF_TEST(bench__refuses_wrong_cuda_kernel)
{
	const char *args[] = {"--filter",
			      "^(gemv/cuda/2560x2560|matmul/cuda/64x64x64)$",
			      "--format",
			      "json",
			      "--inject-fault",
			      "cuda",
			      "--min-time",
			      "0.001",
			      NULL};
	const char *only_cuda[] = {"BITNET_DEVICE=cuda", NULL};
	struct tf_output r = run_bench(args, only_cuda);
	TF_CHECK(r.status != 2, "--inject-fault cuda is a usage error: %s", r.err);
	char why[256];
	if (!cuda_runs(why, sizeof(why))) {
		TF_CHECK(r.status == 0, "exit %d without a device: %s", r.status, r.err);
		tf_output_free(&r);
		TF_SKIP("no CUDA device runs the CUDA benchmarks here, so nothing to refuse: %s",
			why);
	}
	TF_CHECK(r.status == 1, "exit %d, want 1: %s", r.status, r.err);
	TF_CHECK(strstr(r.err, "kernel cuda-dp4a is wrong") && strstr(r.err, "refusing to time"),
		 "stderr: %s", r.err);
	TF_CHECK(r.out[0] == '\0', "printed results for a wrong kernel: %.200s", r.out);
	tf_output_free(&r);
}

/* With a device: the CUDA results carry the kernel, the check, the bytes and the gpu. */
TF_TEST(bench__cuda_json_fields_on_device)
{
	need_device();
	const char *args[] = {"--format",
			      "json",
			      "--filter",
			      "^(membw/cuda-copy|gemv/cuda/2560x2560|matmul/cuda/64x64x64)$",
			      "--min-time",
			      "0.001",
			      "--repetitions",
			      "2",
			      NULL};
	struct tf_output r = run_bench(args, NULL);
	TF_CHECK(r.status == 0, "exit %d: %s", r.status, r.err);
	cJSON *root = cJSON_Parse(r.out);
	TF_CHECK(root != NULL, "stdout is not JSON: %.200s", r.out);
	const cJSON *c = get(root, "context", cJSON_IsObject(cJSON_GetObjectItem(root, "context")));
	const cJSON *g = get(c, "gpu", cJSON_IsObject(cJSON_GetObjectItem(c, "gpu")));
	TF_CHECK(GET_STRING(g, "name")->valuestring[0], "gpu without a name");
	int major = 0, minor = 0;
	TF_CHECK(sscanf(GET_STRING(g, "compute_capability")->valuestring, "%d.%d", &major,
			&minor) == 2 &&
			 major >= 8,
		 "compute capability %s", GET_STRING(g, "compute_capability")->valuestring);
	TF_CHECK(GET_NUMBER(g, "sm_count")->valuedouble > 0, "sm_count");
	TF_CHECK(GET_NUMBER(g, "memory_bytes")->valuedouble > 0, "memory_bytes");
	GET_STRING(g, "driver_version");
	GET_STRING(g, "runtime_version");
	TF_CHECK(GET_STRING(g, "built_for")->valuestring[0], "built_for");
	const cJSON *b;
	int n = 0;
	cJSON_ArrayForEach(b, GET_ARRAY(root, "benchmarks"))
	{
		const char *name = GET_STRING(b, "name")->valuestring;
		TF_CHECK(!cJSON_GetObjectItem(b, "skipped"), "%s skipped with a device", name);
		TF_CHECK_EQ(cJSON_GetArraySize(GET_ARRAY(b, "samples")), 2);
		TF_CHECK(GET_NUMBER(b, "bytes")->valuedouble > 0, "%s: bytes", name);
		if (!strcmp(name, "membw/cuda-copy")) {
			TF_CHECK(GET_NUMBER(b, "bytes")->valuedouble == 2.0 * (256 << 20),
				 "copy bytes %g", GET_NUMBER(b, "bytes")->valuedouble);
		} else {
			TF_CHECK(!strcmp(GET_STRING(b, "kernel")->valuestring, "cuda-dp4a"),
				 "%s: kernel %s", name, GET_STRING(b, "kernel")->valuestring);
			TF_CHECK(cJSON_IsTrue(GET_BOOL(b, "checked")), "%s: not checked", name);
		}
		n++;
	}
	TF_CHECK_EQ(n, 3);
	cJSON_Delete(root);
	tf_output_free(&r);
}
