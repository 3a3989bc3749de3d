/* Readers of bench output: bitgate-bench/1 (our own protocol, checked strictly) and Google
 * Benchmark's --benchmark_format=json (repetitions become samples), over common/'s JSON
 * reader so every JSON error reads the same way. */
#include "bg_bench_parse.h"

#include <cJSON.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bg_buf.h"
#include "bg_error.h"
#include "bg_json.h"

/* ---- shared by both formats ---- */

/* Object members are looked up case-sensitively: cJSON_GetObjectItem ignores case, which
 * would let "Samples" stand in for "samples". */
static const cJSON *member(const cJSON *obj, const char *key)
{
	return cJSON_GetObjectItemCaseSensitive(obj, key);
}

/* The "benchmarks" array both formats have: required, an array, not empty. */
static int benchmark_list(const cJSON *root, const char *origin, const cJSON **list, size_t *n)
{
	*list = member(root, "benchmarks");
	if (!*list)
		return bg_json_fail(origin, "benchmarks", "required");
	if (!cJSON_IsArray(*list))
		return bg_json_fail(origin, "benchmarks", "expected an array, got %s",
				    bg_json_type_name(*list));
	*n = (size_t)cJSON_GetArraySize(*list);
	if (*n == 0)
		return bg_json_fail(origin, "benchmarks",
				    "empty: the bench program reported no benchmark");
	return 0;
}

/* An optional string member, copied into *out (left NULL when absent). */
static int opt_string(char **out, const cJSON *obj, const char *parent, const char *key,
		      const char *origin)
{
	const cJSON *v = member(obj, key);
	if (!v)
		return 0;
	char path[256];
	bg_json_path_key(path, sizeof(path), parent, key);
	if (!cJSON_IsString(v))
		return bg_json_fail(origin, path, "expected a string, got %s",
				    bg_json_type_name(v));
	*out = bg_strdup(v->valuestring);
	return *out ? 0 : BG_ENOMEM;
}

/* An optional array of strings, copied into *out / *n. */
static int opt_strv(char ***out, size_t *n, const cJSON *obj, const char *parent, const char *key,
		    const char *origin)
{
	const cJSON *v = member(obj, key);
	if (!v)
		return 0;
	char path[256];
	bg_json_path_key(path, sizeof(path), parent, key);
	if (!cJSON_IsArray(v))
		return bg_json_fail(origin, path, "expected an array of strings, got %s",
				    bg_json_type_name(v));
	size_t count = (size_t)cJSON_GetArraySize(v);
	*out = calloc(count ? count : 1, sizeof(char *));
	if (!*out)
		return bg_error_oom();
	size_t i = 0;
	for (const cJSON *e = v->child; e; e = e->next, i++) {
		if (!cJSON_IsString(e)) {
			char epath[300];
			bg_json_path_index(epath, sizeof(epath), path, i);
			return bg_json_fail(origin, epath, "expected a string, got %s",
					    bg_json_type_name(e));
		}
		(*out)[i] = bg_strdup(e->valuestring);
		if (!(*out)[i])
			return BG_ENOMEM;
		*n = i + 1;
	}
	return 0;
}

/* The context object kept verbatim as unformatted JSON ("{}" when the output has none), so
 * what the program said about itself is stored even where this reader does not look. */
static int keep_json(char **out, const cJSON *ctx)
{
	if (!ctx) {
		*out = bg_strdup("{}");
		return *out ? 0 : BG_ENOMEM;
	}
	char *s = cJSON_PrintUnformatted(ctx);
	if (!s)
		return bg_error_oom();
	/* cJSON may allocate with its own hooks; the model frees with free(). */
	*out = bg_strdup(s);
	cJSON_free(s);
	return *out ? 0 : BG_ENOMEM;
}

/* ---- bitgate-bench/1 ---- */

/* context.dispatch, the program's kernel per operation: an object of short strings,
 * numbers or booleans, kept as one line ("gemm amx, gemm_small avx512, gemv avx512") for
 * the report. At most 16 members of 40 characters each, so a hostile file cannot make the
 * report's evidence line long. */
static int read_dispatch(char **out, const cJSON *d, const char *origin)
{
	if (!d)
		return 0;
	if (!cJSON_IsObject(d))
		return bg_json_fail(origin, "context.dispatch", "expected an object, got %s",
				    bg_json_type_name(d));
	struct bg_buf b = BG_BUF_INIT;
	int n = 0, rc = 0;
	for (const cJSON *m = d->child; m && !rc; m = m->next, n++) {
		if (n >= 16 || strlen(m->string) > 40 ||
		    (cJSON_IsString(m) && strlen(m->valuestring) > 40)) {
			rc = bg_json_fail(origin, "context.dispatch",
					  "more than 16 members or a name or value over 40 "
					  "characters");
			break;
		}
		if (b.len)
			bg_buf_puts(&b, ", ");
		if (cJSON_IsString(m))
			bg_buf_printf(&b, "%s %s", m->string, m->valuestring);
		else if (cJSON_IsNumber(m))
			bg_buf_printf(&b, "%s %g", m->string, m->valuedouble);
		else if (cJSON_IsBool(m))
			bg_buf_printf(&b, "%s %s", m->string, cJSON_IsTrue(m) ? "true" : "false");
		else
			rc = bg_json_fail(
				origin, "context.dispatch",
				"member '%s': expected a string, number or boolean, got %s",
				m->string, bg_json_type_name(m));
	}
	if (!rc && b.len && !(*out = bg_strdup(bg_buf_cstr(&b))))
		rc = BG_ENOMEM;
	bg_buf_free(&b);
	return rc;
}

static int read_bitgate_ctx(struct bg_bench_ctx *ctx, const cJSON *root, const char *origin)
{
	const cJSON *c = member(root, "context");
	if (c && !cJSON_IsObject(c))
		return bg_json_fail(origin, "context", "expected an object, got %s",
				    bg_json_type_name(c));
	if (c) {
		int rc;
		if ((rc = opt_string(&ctx->program, c, "context", "program", origin)) < 0 ||
		    (rc = opt_string(&ctx->version, c, "context", "version", origin)) < 0 ||
		    (rc = opt_string(&ctx->cpu, c, "context", "cpu", origin)) < 0 ||
		    (rc = opt_string(&ctx->build_type, c, "context", "build_type", origin)) < 0 ||
		    (rc = opt_strv(&ctx->isa, &ctx->n_isa, c, "context", "isa", origin)) < 0 ||
		    (rc = opt_strv(&ctx->kernels, &ctx->n_kernels, c, "context", "kernels",
				   origin)) < 0)
			return rc;
		const cJSON *t = member(c, "threads");
		int64_t threads;
		if (t && bg_json_integer(t, 0, INT_MAX, &threads) < 0)
			return bg_json_fail(origin, "context.threads",
					    "expected an integer >= 0, got %s",
					    bg_json_type_name(t));
		if (t)
			ctx->threads = (int)threads;
		const cJSON *s = member(c, "strict_mode");
		if (s && !cJSON_IsBool(s))
			return bg_json_fail(origin, "context.strict_mode",
					    "expected a boolean, got %s", bg_json_type_name(s));
		if (s)
			ctx->strict_mode = cJSON_IsTrue(s) ? 1 : 0;
		if ((rc = read_dispatch(&ctx->dispatch, member(c, "dispatch"), origin)) < 0)
			return rc;
	}
	return keep_json(&ctx->json, c);
}

static int opt_nonneg(double *out, const cJSON *obj, const char *parent, const char *key,
		      const char *origin)
{
	const cJSON *v = member(obj, key);
	if (!v)
		return 0;
	if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || v->valuedouble < 0) {
		char path[256];
		bg_json_path_key(path, sizeof(path), parent, key);
		if (cJSON_IsNumber(v))
			return bg_json_fail(origin, path, "expected a finite number >= 0, got %g",
					    v->valuedouble);
		return bg_json_fail(origin, path, "expected a finite number >= 0, got %s",
				    bg_json_type_name(v));
	}
	*out = v->valuedouble;
	return 0;
}

static int read_samples(struct bg_bench *b, const cJSON *v, const char *path, const char *origin)
{
	if (!cJSON_IsArray(v))
		return bg_json_fail(origin, path, "expected an array of numbers, got %s",
				    bg_json_type_name(v));
	size_t n = (size_t)cJSON_GetArraySize(v);
	if (n == 0)
		return bg_json_fail(origin, path,
				    "empty: a benchmark that ran needs samples (or \"skipped\")");
	b->samples = malloc(n * sizeof(double));
	if (!b->samples)
		return bg_error_oom();
	size_t i = 0;
	for (const cJSON *e = v->child; e; e = e->next, i++) {
		/* NaN and infinity print as null in cJSON's output; both mean a broken timer. */
		if (!cJSON_IsNumber(e) || !isfinite(e->valuedouble) || e->valuedouble <= 0) {
			char epath[128];
			bg_json_path_index(epath, sizeof(epath), path, i);
			if (cJSON_IsNumber(e))
				return bg_json_fail(origin, epath,
						    "expected a finite number > 0, got %g",
						    e->valuedouble);
			return bg_json_fail(origin, epath, "expected a finite number > 0, got %s",
					    bg_json_type_name(e));
		}
		b->samples[i] = e->valuedouble;
	}
	b->n_samples = n;
	return 0;
}

static int read_bitgate_bench(struct bg_bench_set *set, size_t idx, const cJSON *o,
			      const char *origin)
{
	struct bg_bench *b = &set->v[idx];
	char path[64], fpath[96];
	bg_json_path_index(path, sizeof(path), "benchmarks", idx);
	b->checked = -1;
	if (!cJSON_IsObject(o))
		return bg_json_fail(origin, path, "expected an object, got %s",
				    bg_json_type_name(o));

	const cJSON *name = member(o, "name");
	bg_json_path_key(fpath, sizeof(fpath), path, "name");
	if (!name)
		return bg_json_fail(origin, fpath, "required");
	if (!cJSON_IsString(name) || !name->valuestring[0])
		return bg_json_fail(origin, fpath, "expected a non-empty string, got %s",
				    cJSON_IsString(name) ? "\"\"" : bg_json_type_name(name));
	for (size_t j = 0; j < idx; j++)
		if (!strcmp(set->v[j].name, name->valuestring))
			return bg_json_fail(origin, fpath,
					    "duplicate name \"%.200s\" (also benchmarks[%zu])",
					    name->valuestring, j);
	if (!(b->name = bg_strdup(name->valuestring)))
		return BG_ENOMEM;

	const cJSON *unit = member(o, "unit");
	bg_json_path_key(fpath, sizeof(fpath), path, "unit");
	if (!unit)
		return bg_json_fail(origin, fpath, "required");
	if (!cJSON_IsString(unit) || !unit->valuestring[0])
		return bg_json_fail(origin, fpath, "expected a non-empty string, got %s",
				    cJSON_IsString(unit) ? "\"\"" : bg_json_type_name(unit));
	if (!(b->unit = bg_strdup(unit->valuestring)))
		return BG_ENOMEM;

	int rc;
	if ((rc = opt_string(&b->skipped, o, path, "skipped", origin)) < 0)
		return rc;
	const cJSON *samples = member(o, "samples");
	bg_json_path_key(fpath, sizeof(fpath), path, "samples");
	if (b->skipped) {
		/* A skipped benchmark carrying numbers would be ambiguous: did it run or not? */
		if (samples && !(cJSON_IsArray(samples) && cJSON_GetArraySize(samples) == 0))
			return bg_json_fail(origin, fpath, "a skipped benchmark has no samples");
	} else {
		if (!samples)
			return bg_json_fail(origin, fpath,
					    "required (or \"skipped\" with a reason)");
		if ((rc = read_samples(b, samples, fpath, origin)) < 0)
			return rc;
	}

	const cJSON *it = member(o, "iterations");
	if (it && bg_json_integer(it, 0, INT64_MAX, &b->iterations) < 0) {
		bg_json_path_key(fpath, sizeof(fpath), path, "iterations");
		return bg_json_fail(origin, fpath, "expected an integer >= 0, got %s",
				    bg_json_type_name(it));
	}
	if ((rc = opt_nonneg(&b->elements, o, path, "elements", origin)) < 0 ||
	    (rc = opt_nonneg(&b->bytes, o, path, "bytes", origin)) < 0 ||
	    (rc = opt_string(&b->kernel, o, path, "kernel", origin)) < 0)
		return rc;
	const cJSON *checked = member(o, "checked");
	if (checked && !cJSON_IsBool(checked)) {
		bg_json_path_key(fpath, sizeof(fpath), path, "checked");
		return bg_json_fail(origin, fpath, "expected a boolean, got %s",
				    bg_json_type_name(checked));
	}
	if (checked)
		b->checked = cJSON_IsTrue(checked) ? 1 : 0;
	return 0;
}

/* Unknown members are ignored: the protocol promises fields may be added, never removed. */
static int read_bitgate(struct bg_bench_set *set, const cJSON *root, const char *origin)
{
	const cJSON *schema = member(root, "schema");
	if (!schema)
		return bg_json_fail(origin, "schema",
				    "required (\"%s\"): is this bitgate-bench/1 output?",
				    BG_FORMAT_BITGATE);
	if (!cJSON_IsString(schema))
		return bg_json_fail(origin, "schema", "expected \"%s\", got %s", BG_FORMAT_BITGATE,
				    bg_json_type_name(schema));
	if (strcmp(schema->valuestring, BG_FORMAT_BITGATE) != 0)
		return bg_json_fail(origin, "schema", "expected \"%s\", got \"%.100s\"",
				    BG_FORMAT_BITGATE, schema->valuestring);

	int rc = read_bitgate_ctx(&set->ctx, root, origin);
	if (rc < 0)
		return rc;

	const cJSON *list;
	size_t n;
	if ((rc = benchmark_list(root, origin, &list, &n)) < 0)
		return rc;
	/* All entries exist (zeroed) from the start, so bg_bench_set_free can undo a failure
	 * half-way through. */
	set->v = calloc(n, sizeof(*set->v));
	if (!set->v)
		return bg_error_oom();
	set->n = n;
	size_t i = 0;
	for (const cJSON *e = list->child; e; e = e->next, i++)
		if ((rc = read_bitgate_bench(set, i, e, origin)) < 0)
			return rc;
	return 0;
}

/* ---- Google Benchmark ---- */

/* Google Benchmark prints non-finite counters as bare NaN / Infinity, which JSON (and
 * cJSON) rejects; outside strings they become null, so only a field we read can fail. */
static int gbench_clean(struct bg_buf *out, const char *text, size_t len)
{
	bool in_string = false;
	size_t i = 0;
	while (i < len) {
		char c = text[i];
		if (in_string) {
			if (c == '\\' && i + 1 < len) {
				if (bg_buf_put(out, text + i, 2) < 0)
					return BG_ENOMEM;
				i += 2;
				continue;
			}
			if (c == '"')
				in_string = false;
		} else if (c == '"') {
			in_string = true;
		} else {
			static const char *const words[] = {"-Infinity", "Infinity", "NaN"};
			bool replaced = false;
			for (size_t w = 0; w < 3 && !replaced; w++) {
				size_t wl = strlen(words[w]);
				if (len - i >= wl && !memcmp(text + i, words[w], wl)) {
					if (bg_buf_puts(out, "null") < 0)
						return BG_ENOMEM;
					i += wl;
					replaced = true;
				}
			}
			if (replaced)
				continue;
		}
		if (bg_buf_putc(out, c) < 0)
			return BG_ENOMEM;
		i++;
	}
	return 0;
}

static int read_gbench_ctx(struct bg_bench_ctx *ctx, const cJSON *root, const char *origin)
{
	const cJSON *c = member(root, "context");
	if (c && !cJSON_IsObject(c))
		return bg_json_fail(origin, "context", "expected an object, got %s",
				    bg_json_type_name(c));
	const cJSON *exe = c ? member(c, "executable") : NULL;
	if (exe && !cJSON_IsString(exe))
		return bg_json_fail(origin, "context.executable", "expected a string, got %s",
				    bg_json_type_name(exe));
	if (exe && exe->valuestring[0]) {
		/* The program's name, as bitnet-bench names itself; the path is in ctx.json. */
		const char *slash = strrchr(exe->valuestring, '/');
		const char *base = slash && slash[1] ? slash + 1 : exe->valuestring;
		if (!(ctx->program = bg_strdup(base)))
			return BG_ENOMEM;
	}
	/* library_build_type and library_version describe Google Benchmark itself, not the
	 * program under test, so build_type and version stay unknown. */
	return keep_json(&ctx->json, c);
}

static double time_unit_ns(const char *u)
{
	if (!strcmp(u, "ns"))
		return 1.0;
	if (!strcmp(u, "us"))
		return 1e3;
	if (!strcmp(u, "ms"))
		return 1e6;
	if (!strcmp(u, "s"))
		return 1e9;
	return 0.0;
}

/* An optional boolean member; false when absent. */
static int opt_bool(bool *out, const cJSON *obj, const char *parent, const char *key,
		    const char *origin)
{
	const cJSON *v = member(obj, key);
	*out = false;
	if (!v)
		return 0;
	if (!cJSON_IsBool(v)) {
		char path[256];
		bg_json_path_key(path, sizeof(path), parent, key);
		return bg_json_fail(origin, path, "expected a boolean, got %s",
				    bg_json_type_name(v));
	}
	*out = cJSON_IsTrue(v);
	return 0;
}

/* One "iteration" entry: a sample of its group, or the reason the group is skipped. */
static int read_gbench_entry(struct bg_bench_set *set, size_t *caps, const cJSON *o,
			     const char *path, const char *origin)
{
	char fpath[96];
	const cJSON *name = member(o, "name");
	bg_json_path_key(fpath, sizeof(fpath), path, "name");
	if (!name)
		return bg_json_fail(origin, fpath, "required");
	if (!cJSON_IsString(name) || !name->valuestring[0])
		return bg_json_fail(origin, fpath, "expected a non-empty string, got %s",
				    cJSON_IsString(name) ? "\"\"" : bg_json_type_name(name));
	const cJSON *run_name = member(o, "run_name");
	bg_json_path_key(fpath, sizeof(fpath), path, "run_name");
	if (run_name && !cJSON_IsString(run_name))
		return bg_json_fail(origin, fpath, "expected a string, got %s",
				    bg_json_type_name(run_name));
	/* Repetitions share run_name; versions before run_name existed repeat the name. */
	const char *key =
		run_name && run_name->valuestring[0] ? run_name->valuestring : name->valuestring;

	bool error, skip;
	int rc;
	if ((rc = opt_bool(&error, o, path, "error_occurred", origin)) < 0 ||
	    (rc = opt_bool(&skip, o, path, "skipped", origin)) < 0)
		return rc;
	char *why = NULL;
	if (error && (rc = opt_string(&why, o, path, "error_message", origin)) < 0)
		return rc;
	if (!error && skip && (rc = opt_string(&why, o, path, "skip_message", origin)) < 0)
		return rc;

	double sample = 0;
	int64_t iterations = 0;
	if (!error && !skip) {
		const cJSON *rt = member(o, "real_time");
		bg_json_path_key(fpath, sizeof(fpath), path, "real_time");
		if (!rt)
			return bg_json_fail(origin, fpath, "required");
		if (!cJSON_IsNumber(rt))
			return bg_json_fail(origin, fpath, "expected a finite number > 0, got %s",
					    bg_json_type_name(rt));
		if (!isfinite(rt->valuedouble) || rt->valuedouble <= 0)
			return bg_json_fail(origin, fpath, "expected a finite number > 0, got %g",
					    rt->valuedouble);
		const cJSON *tu = member(o, "time_unit");
		double scale = 1.0;
		bg_json_path_key(fpath, sizeof(fpath), path, "time_unit");
		if (tu && !cJSON_IsString(tu))
			return bg_json_fail(origin, fpath, "expected a string, got %s",
					    bg_json_type_name(tu));
		if (tu && (scale = time_unit_ns(tu->valuestring)) == 0.0)
			return bg_json_fail(
				origin, fpath,
				"expected \"ns\", \"us\", \"ms\" or \"s\", got \"%.32s\"",
				tu->valuestring);
		sample = rt->valuedouble * scale;
		const cJSON *it = member(o, "iterations");
		if (it && bg_json_integer(it, 0, INT64_MAX, &iterations) < 0) {
			bg_json_path_key(fpath, sizeof(fpath), path, "iterations");
			return bg_json_fail(origin, fpath, "expected an integer >= 0, got %s",
					    bg_json_type_name(it));
		}
	}

	size_t g = 0;
	while (g < set->n && strcmp(set->v[g].name, key) != 0)
		g++;
	struct bg_bench *b = &set->v[g];
	if (g == set->n) {
		set->n++;
		b->checked = -1;
		if (!(b->name = bg_strdup(key)) || !(b->unit = bg_strdup("ns"))) {
			free(why);
			return BG_ENOMEM;
		}
	}
	if (b->skipped) {
		/* Already failed: the first error's message stands; later repetitions add
		 * nothing a reader could trust. */
		free(why);
		return 0;
	}
	if (error || skip) {
		/* A benchmark that failed in any repetition is not measured: its other
		 * repetitions are dropped rather than passed off as a complete run. */
		b->skipped = why ? why : bg_strdup(error ? "error occurred" : "skipped");
		if (!b->skipped)
			return BG_ENOMEM;
		free(b->samples);
		b->samples = NULL;
		b->n_samples = 0;
		return 0;
	}
	if (b->n_samples == caps[g]) {
		size_t cap = caps[g] ? caps[g] * 2 : 4;
		double *p = realloc(b->samples, cap * sizeof(double));
		if (!p)
			return bg_error_oom();
		b->samples = p;
		caps[g] = cap;
	}
	b->samples[b->n_samples++] = sample;
	if (!b->iterations)
		b->iterations = iterations;
	return 0;
}

static int read_gbench(struct bg_bench_set *set, const cJSON *root, const char *origin)
{
	int rc = read_gbench_ctx(&set->ctx, root, origin);
	if (rc < 0)
		return rc;
	const cJSON *list;
	size_t n;
	if ((rc = benchmark_list(root, origin, &list, &n)) < 0)
		return rc;
	/* At most one group per entry; set->n counts the groups made so far. */
	set->v = calloc(n, sizeof(*set->v));
	size_t *caps = calloc(n, sizeof(size_t));
	if (!set->v || !caps) {
		rc = bg_error_oom();
		goto done;
	}
	size_t i = 0;
	for (const cJSON *e = list->child; e; e = e->next, i++) {
		char path[64];
		bg_json_path_index(path, sizeof(path), "benchmarks", i);
		if (!cJSON_IsObject(e)) {
			rc = bg_json_fail(origin, path, "expected an object, got %s",
					  bg_json_type_name(e));
			goto done;
		}
		const cJSON *type = member(e, "run_type");
		if (type && !(cJSON_IsString(type) && (!strcmp(type->valuestring, "iteration") ||
						       !strcmp(type->valuestring, "aggregate")))) {
			char tpath[96];
			bg_json_path_key(tpath, sizeof(tpath), path, "run_type");
			if (cJSON_IsString(type))
				rc = bg_json_fail(
					origin, tpath,
					"expected \"iteration\" or \"aggregate\", got \"%.32s\"",
					type->valuestring);
			else
				rc = bg_json_fail(origin, tpath,
						  "expected \"iteration\" or \"aggregate\", got %s",
						  bg_json_type_name(type));
			goto done;
		}
		/* mean, median, stddev, cv, BigO, RMS: computed from the samples we keep. */
		if (type && !strcmp(type->valuestring, "aggregate"))
			continue;
		if ((rc = read_gbench_entry(set, caps, e, path, origin)) < 0)
			goto done;
	}
	if (set->n == 0)
		rc = bg_json_fail(
			origin, "benchmarks",
			"no entry of run_type \"iteration\" (aggregates only? run without "
			"--benchmark_report_aggregates_only)");
done:
	free(caps);
	return rc;
}

/* ---- entry point ---- */

int bg_bench_parse(struct bg_bench_set **out, const char *text, size_t len, const char *format,
		   const char *origin)
{
	struct bg_bench_set *set = NULL;
	struct bg_buf clean = BG_BUF_INIT;
	cJSON *root = NULL;
	int rc = 0;

	*out = NULL;
	if (!origin)
		origin = "bench output";
	if (!format)
		format = BG_FORMAT_BITGATE;
	bool gbench = !strcmp(format, BG_FORMAT_GBENCH);
	if (!gbench && strcmp(format, BG_FORMAT_BITGATE) != 0)
		return bg_error_set(BG_EINPUT,
				    "%s: unknown bench format \"%s\" (expected \"%s\" or \"%s\")",
				    origin, format, BG_FORMAT_BITGATE, BG_FORMAT_GBENCH);
	if (bg_json_blank(text, len))
		return bg_error_set(BG_EINPUT,
				    "%s: empty: the bench program printed nothing on stdout",
				    origin);

	if (gbench) {
		if ((rc = gbench_clean(&clean, text, len)) < 0)
			goto done;
		text = bg_buf_cstr(&clean);
		len = clean.len;
	}
	if ((rc = bg_json_parse(&root, text, len, origin)) < 0)
		goto done;
	if (!cJSON_IsObject(root)) {
		rc = bg_error_set(BG_EINPUT, "%s: expected a JSON object at the top level, got %s",
				  origin, bg_json_type_name(root));
		goto done;
	}
	set = calloc(1, sizeof(*set));
	if (!set) {
		rc = bg_error_oom();
		goto done;
	}
	set->ctx.strict_mode = -1;
	if (!(set->format = bg_strdup(format))) {
		rc = BG_ENOMEM;
		goto done;
	}
	rc = gbench ? read_gbench(set, root, origin) : read_bitgate(set, root, origin);
done:
	if (rc < 0)
		bg_bench_set_free(set);
	else
		*out = set;
	cJSON_Delete(root);
	bg_buf_free(&clean);
	return rc;
}
