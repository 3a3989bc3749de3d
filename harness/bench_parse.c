/* Readers of bench output: bitgate-bench/1 (our own protocol, checked strictly) and Google
 * Benchmark's --benchmark_format=json (repetitions become samples), over common/'s JSON
 * reader so every JSON error reads the same way. */
#include "bg_bench_parse.h"

#include <cJSON.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_parse_int.h"
#include "bg_buf.h"
#include "bg_error.h"
#include "bg_json.h"
#include "bg_strmap.h"

/* ---- shared by both formats ---- */

int bgp_benchmark_list(struct bg_bench_set *set, const struct bg_json_at *root, const cJSON *doc,
		       const char *key, const cJSON **list, size_t *n)
{
	struct bg_json_at at;
	int rc = bg_json_get_array(root, doc, key, BG_JSON_REQUIRED, list, &at);
	if (rc < 0)
		return rc;
	*n = (size_t)cJSON_GetArraySize(*list);
	if (*n == 0)
		return bg_json_at_fail(&at, "empty: the bench program reported no benchmark");
	if (*n > BG_BENCH_MAX_ENTRIES)
		return bg_json_at_fail(&at, "%zu entries, more than the %d bitgate reads", *n,
				       BG_BENCH_MAX_ENTRIES);
	set->v = calloc(*n, sizeof(*set->v));
	return set->v ? 0 : bg_error_oom();
}

int bgp_read_each(struct bg_bench_set *set, const struct bg_json_at *root, const cJSON *doc,
		  const char *key, bgp_entry_fn read)
{
	const cJSON *list;
	size_t n;
	int rc = bgp_benchmark_list(set, root, doc, key, &list, &n);
	if (rc < 0)
		return rc;
	set->n = n;
	struct bgp_list l = {set, key, BG_STRMAP_INIT};
	struct bg_json_at lat;
	bg_json_at_key(&lat, root, key);
	size_t i = 0;
	for (const cJSON *e = list->child; e && rc == 0; e = e->next, i++) {
		struct bg_json_at at;
		bg_json_at_index(&at, &lat, i);
		set->v[i].checked = -1;
		rc = bg_json_want_object(&at, e);
		if (rc == 0)
			rc = read(&l, i, &at, e);
	}
	bg_strmap_free(&l.names);
	return rc;
}

int bgp_take_name(struct bgp_list *l, size_t idx, const struct bg_json_at *at, const cJSON *o,
		  const char *key, const char *noun, const char *hint)
{
	const char *name;
	size_t first;
	struct bg_bench *b = &l->set->v[idx];
	if (bgp_required_name(&name, at, o, key) < 0)
		return BG_EINPUT;
	if (bg_strmap_get(&l->names, name, &first)) {
		struct bg_json_at nat;
		bg_json_at_key(&nat, at, key);
		return bg_json_at_fail(&nat, "duplicate %s \"%.200s\" (also %s[%zu]%s)", noun, name,
				       l->key, first, hint);
	}
	if (!(b->name = bg_strdup(name)) || bg_strmap_put(&l->names, b->name, idx) < 0)
		return BG_ENOMEM;
	return 0;
}

int bgp_opt_string(char **out, const struct bg_json_at *at, const cJSON *obj, const char *key)
{
	const char *s;
	int rc = bg_json_get_string(at, obj, key, BG_JSON_OPTIONAL, &s);
	if (rc <= 0)
		return rc;
	*out = bg_strdup(s);
	return *out ? 0 : BG_ENOMEM;
}

int bgp_name_length(const struct bg_json_at *at, const char *key, const char *s)
{
	size_t len = strlen(s);
	if (len <= BG_BENCH_MAX_NAME)
		return 0;
	struct bg_json_at kat;
	bg_json_at_key(&kat, at, key);
	return bg_json_at_fail(&kat, "%zu bytes long, more than the %d a name may have", len,
			       BG_BENCH_MAX_NAME);
}

int bgp_required_name(const char **out, const struct bg_json_at *at, const cJSON *obj,
		      const char *key)
{
	struct bg_json_at kat;
	const cJSON *v = bg_json_member(obj, key);
	bg_json_at_key(&kat, at, key);
	if (!v)
		return bg_json_at_fail(&kat, "required");
	if (!cJSON_IsString(v) || !v->valuestring[0])
		return bg_json_at_fail(&kat, "expected a non-empty string, got %s",
				       cJSON_IsString(v) ? "\"\"" : bg_json_type_name(v));
	*out = v->valuestring;
	return bgp_name_length(at, key, *out);
}

int bgp_positive_number(double *out, const struct bg_json_at *at, const cJSON *v)
{
	if (!v)
		return bg_json_at_fail(at, "required");
	if (!cJSON_IsNumber(v))
		return bg_json_at_fail(at, "expected a finite number > 0, got %s",
				       bg_json_type_name(v));
	if (!isfinite(v->valuedouble) || v->valuedouble <= 0)
		return bg_json_at_fail(at, "expected a finite number > 0, got %g", v->valuedouble);
	*out = v->valuedouble;
	return 0;
}

/* An optional array of strings, copied into *out / *n. */
static int opt_strv(char ***out, size_t *n, const struct bg_json_at *parent, const cJSON *obj,
		    const char *key)
{
	const cJSON *v = bg_json_member(obj, key);
	if (!v)
		return 0;
	struct bg_json_at at;
	bg_json_at_key(&at, parent, key);
	if (!cJSON_IsArray(v))
		return bg_json_at_fail(&at, "expected an array of strings, got %s",
				       bg_json_type_name(v));
	size_t count = (size_t)cJSON_GetArraySize(v);
	*out = calloc(count ? count : 1, sizeof(char *));
	if (!*out)
		return bg_error_oom();
	size_t i = 0;
	for (const cJSON *e = v->child; e; e = e->next, i++) {
		struct bg_json_at eat;
		const char *s;
		bg_json_at_index(&eat, &at, i);
		if (bg_json_want_string(&eat, e, &s) < 0)
			return BG_EINPUT;
		if (!((*out)[i] = bg_strdup(s)))
			return BG_ENOMEM;
		*n = i + 1;
	}
	return 0;
}

int bgp_keep_json(char **out, const cJSON *ctx)
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

/* One sample in seconds: a finite number >= 0 whose value in ns is finite too. */
static int seconds(double *ns, const struct bg_json_at *at, const cJSON *e)
{
	if (!cJSON_IsNumber(e))
		return bg_json_at_fail(at, "expected a time in seconds (a number >= 0), got %s",
				       bg_json_type_name(e));
	*ns = e->valuedouble * 1e9;
	if (!isfinite(*ns) || e->valuedouble < 0)
		return bg_json_at_fail(at, "expected a time in seconds (a number >= 0), got %g",
				       e->valuedouble);
	return 0;
}

int bgp_seconds_samples(struct bg_bench *b, const struct bg_json_at *at, const cJSON *v,
			const char *why_zero)
{
	if (!cJSON_IsArray(v))
		return bg_json_at_fail(at, "expected an array of times in seconds, got %s",
				       bg_json_type_name(v));
	size_t n = (size_t)cJSON_GetArraySize(v), i = 0, zero = 0;
	if (n == 0)
		return bg_json_at_fail(at, "empty: a benchmark that ran needs samples");
	if (!(b->samples = malloc(n * sizeof(double))))
		return bg_error_oom();
	for (const cJSON *e = v->child; e; e = e->next, i++) {
		struct bg_json_at eat;
		bg_json_at_index(&eat, at, i);
		if (seconds(&b->samples[i], &eat, e) < 0)
			return BG_EINPUT;
		if (b->samples[i] == 0 && !zero)
			zero = i + 1;
	}
	b->n_samples = n;
	if (!zero)
		return 0;
	/* a zero is not a time: the benchmark is not measured, and none of its samples kept */
	struct bg_buf why = BG_BUF_INIT;
	bg_buf_printf(&why, "%s (sample %zu of %zu is 0 s)", why_zero, zero, n);
	free(b->samples);
	b->samples = NULL;
	b->n_samples = 0;
	return (b->skipped = bg_buf_detach(&why)) ? 0 : BG_ENOMEM;
}

/* ---- bitgate-bench/1 ---- */

/* context.dispatch, the program's kernel per operation: an object of short strings,
 * numbers or booleans, kept as one line ("gemm amx, gemm_small avx512, gemv avx512") for
 * the report. At most 16 members of 40 characters each, so a hostile file cannot make the
 * report's evidence line long. */
static int read_dispatch(char **out, const struct bg_json_at *at, const cJSON *d)
{
	if (!d)
		return 0;
	if (bg_json_want_object(at, d) < 0)
		return BG_EINPUT;
	struct bg_buf b = BG_BUF_INIT;
	int n = 0, rc = 0;
	for (const cJSON *m = d->child; m && !rc; m = m->next, n++) {
		if (n >= 16 || strlen(m->string) > 40 ||
		    (cJSON_IsString(m) && strlen(m->valuestring) > 40)) {
			rc = bg_json_at_fail(at, "more than 16 members or a name or value over 40 "
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
			rc = bg_json_at_fail(
				at, "member '%s': expected a string, number or boolean, got %s",
				m->string, bg_json_type_name(m));
	}
	if (!rc && b.len && !(*out = bg_strdup(bg_buf_cstr(&b))))
		rc = BG_ENOMEM;
	bg_buf_free(&b);
	return rc;
}

/* The members of "context" bitgate reads; the object itself is kept whole in ctx->json. */
static int read_bitgate_ctx_members(struct bg_bench_ctx *ctx, const struct bg_json_at *at,
				    const cJSON *c)
{
	int64_t threads;
	int strict, rc;
	if ((rc = bgp_opt_string(&ctx->program, at, c, "program")) < 0 ||
	    (rc = bgp_opt_string(&ctx->version, at, c, "version")) < 0 ||
	    (rc = bgp_opt_string(&ctx->cpu, at, c, "cpu")) < 0 ||
	    (rc = bgp_opt_string(&ctx->build_type, at, c, "build_type")) < 0 ||
	    (rc = opt_strv(&ctx->isa, &ctx->n_isa, at, c, "isa")) < 0 ||
	    (rc = opt_strv(&ctx->kernels, &ctx->n_kernels, at, c, "kernels")) < 0)
		return rc;
	if ((rc = bg_json_get_integer(at, c, "threads", BG_JSON_OPTIONAL, 0, INT_MAX, &threads)) <
	    0)
		return rc;
	if (rc > 0)
		ctx->threads = (int)threads;
	if ((rc = bg_json_get_bool(at, c, "strict_mode", BG_JSON_OPTIONAL, &strict)) < 0)
		return rc;
	if (rc > 0)
		ctx->strict_mode = strict;
	struct bg_json_at dat;
	bg_json_at_key(&dat, at, "dispatch");
	return read_dispatch(&ctx->dispatch, &dat, bg_json_member(c, "dispatch"));
}

static int read_bitgate_ctx(struct bg_bench_ctx *ctx, const struct bg_json_at *root,
			    const cJSON *doc)
{
	const cJSON *c;
	struct bg_json_at at;
	int rc = bg_json_get_object(root, doc, "context", BG_JSON_OPTIONAL, &c, &at);
	if (rc < 0)
		return rc;
	if (c && (rc = read_bitgate_ctx_members(ctx, &at, c)) < 0)
		return rc;
	return bgp_keep_json(&ctx->json, c);
}

static int opt_nonneg(double *out, const struct bg_json_at *parent, const cJSON *obj,
		      const char *key)
{
	const cJSON *v = bg_json_member(obj, key);
	if (!v)
		return 0;
	if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || v->valuedouble < 0) {
		struct bg_json_at at;
		bg_json_at_key(&at, parent, key);
		if (cJSON_IsNumber(v))
			return bg_json_at_fail(&at, "expected a finite number >= 0, got %g",
					       v->valuedouble);
		return bg_json_at_fail(&at, "expected a finite number >= 0, got %s",
				       bg_json_type_name(v));
	}
	*out = v->valuedouble;
	return 0;
}

static int read_samples(struct bg_bench *b, const struct bg_json_at *at, const cJSON *v)
{
	if (!cJSON_IsArray(v))
		return bg_json_at_fail(at, "expected an array of numbers, got %s",
				       bg_json_type_name(v));
	size_t n = (size_t)cJSON_GetArraySize(v);
	if (n == 0)
		return bg_json_at_fail(
			at, "empty: a benchmark that ran needs samples (or \"skipped\")");
	b->samples = malloc(n * sizeof(double));
	if (!b->samples)
		return bg_error_oom();
	size_t i = 0;
	/* NaN and infinity print as null in cJSON's output; both mean a broken timer. */
	for (const cJSON *e = v->child; e; e = e->next, i++) {
		struct bg_json_at eat;
		bg_json_at_index(&eat, at, i);
		if (bgp_positive_number(&b->samples[i], &eat, e) < 0)
			return BG_EINPUT;
	}
	b->n_samples = n;
	return 0;
}

/* name (unique in the list) and unit, both required. */
static int read_bitgate_names(struct bgp_list *l, size_t idx, const struct bg_json_at *at,
			      const cJSON *o)
{
	const char *unit;
	if (bgp_take_name(l, idx, at, o, "name", "name", "") < 0 ||
	    bgp_required_name(&unit, at, o, "unit") < 0)
		return BG_EINPUT;
	return (l->set->v[idx].unit = bg_strdup(unit)) ? 0 : BG_ENOMEM;
}

/* "skipped" with a reason, or samples: one or the other. */
static int read_bitgate_outcome(struct bg_bench *b, const struct bg_json_at *at, const cJSON *o)
{
	int rc = bgp_opt_string(&b->skipped, at, o, "skipped");
	if (rc < 0)
		return rc;
	const cJSON *samples = bg_json_member(o, "samples");
	struct bg_json_at sat;
	bg_json_at_key(&sat, at, "samples");
	if (b->skipped) {
		/* A skipped benchmark carrying numbers would be ambiguous: did it run or not? */
		if (samples && !(cJSON_IsArray(samples) && cJSON_GetArraySize(samples) == 0))
			return bg_json_at_fail(&sat, "a skipped benchmark has no samples");
		return 0;
	}
	if (!samples)
		return bg_json_at_fail(&sat, "required (or \"skipped\" with a reason)");
	return read_samples(b, &sat, samples);
}

static int read_bitgate_bench(struct bgp_list *l, size_t idx, const struct bg_json_at *at,
			      const cJSON *o)
{
	struct bg_bench *b = &l->set->v[idx];
	int rc;
	if ((rc = read_bitgate_names(l, idx, at, o)) < 0 ||
	    (rc = read_bitgate_outcome(b, at, o)) < 0 ||
	    (rc = bg_json_get_integer(at, o, "iterations", BG_JSON_OPTIONAL, 0, INT64_MAX,
				      &b->iterations)) < 0 ||
	    (rc = opt_nonneg(&b->elements, at, o, "elements")) < 0 ||
	    (rc = opt_nonneg(&b->bytes, at, o, "bytes")) < 0 ||
	    (rc = bgp_opt_string(&b->kernel, at, o, "kernel")) < 0 ||
	    (rc = bg_json_get_bool(at, o, "checked", BG_JSON_OPTIONAL, &b->checked)) < 0)
		return rc;
	return 0;
}

/* Unknown members are ignored: the protocol promises fields may be added, never removed. */
static int read_bitgate(struct bg_bench_set *set, const struct bg_json_at *root, const cJSON *doc)
{
	struct bg_json_at sat;
	const cJSON *schema = bg_json_member(doc, "schema");
	bg_json_at_key(&sat, root, "schema");
	if (!schema)
		return bg_json_at_fail(&sat, "required (\"%s\"): is this bitgate-bench/1 output?",
				       BG_FORMAT_BITGATE);
	if (!cJSON_IsString(schema))
		return bg_json_at_fail(&sat, "expected \"%s\", got %s", BG_FORMAT_BITGATE,
				       bg_json_type_name(schema));
	if (strcmp(schema->valuestring, BG_FORMAT_BITGATE) != 0)
		return bg_json_at_fail(&sat, "expected \"%s\", got \"%.100s\"", BG_FORMAT_BITGATE,
				       schema->valuestring);

	int rc = read_bitgate_ctx(&set->ctx, root, doc);
	if (rc < 0)
		return rc;
	return bgp_read_each(set, root, doc, "benchmarks", read_bitgate_bench);
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

static int read_gbench_ctx(struct bg_bench_ctx *ctx, const struct bg_json_at *root,
			   const cJSON *doc)
{
	const cJSON *c;
	const char *exe = NULL;
	struct bg_json_at at;
	int rc = bg_json_get_object(root, doc, "context", BG_JSON_OPTIONAL, &c, &at);
	if (rc < 0 || (rc = bg_json_get_string(&at, c, "executable", BG_JSON_OPTIONAL, &exe)) < 0)
		return rc;
	if (exe && exe[0]) {
		/* The program's name, as bitnet-bench names itself; the path is in ctx.json. */
		const char *slash = strrchr(exe, '/');
		const char *base = slash && slash[1] ? slash + 1 : exe;
		if (!(ctx->program = bg_strdup(base)))
			return BG_ENOMEM;
	}
	/* library_build_type and library_version describe Google Benchmark itself, not the
	 * program under test, so build_type and version stay unknown. */
	return bgp_keep_json(&ctx->json, c);
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

/* What one "iteration" entry says: a sample of its group, or why the group is skipped. */
struct gbench_entry {
	const char *key;    /* the group: run_name (repetitions share it), else name; borrowed */
	int error, skip;    /* error_occurred, skipped */
	char *why;          /* error_message or skip_message; owned, may be NULL */
	double sample;      /* real_time in ns, when it ran */
	int64_t iterations; /* 0 when not said */
};

/* The timing of an entry that ran: real_time scaled by time_unit to ns, and iterations. */
static int read_gbench_timing(struct gbench_entry *e, const struct bg_json_at *at, const cJSON *o)
{
	struct bg_json_at rat;
	const char *tu = NULL;
	double rt = 0, scale = 1.0;
	bg_json_at_key(&rat, at, "real_time");
	int rc = bgp_positive_number(&rt, &rat, bg_json_member(o, "real_time"));
	if (rc < 0 || (rc = bg_json_get_string(at, o, "time_unit", BG_JSON_OPTIONAL, &tu)) < 0)
		return rc;
	if (tu && (scale = time_unit_ns(tu)) == 0.0) {
		struct bg_json_at tat;
		bg_json_at_key(&tat, at, "time_unit");
		return bg_json_at_fail(
			&tat, "expected \"ns\", \"us\", \"ms\" or \"s\", got \"%.32s\"", tu);
	}
	e->sample = rt * scale;
	if (!isfinite(e->sample))
		return bg_json_at_fail(&rat, "expected a finite number > 0, got %g %s", rt, tu);
	rc = bg_json_get_integer(at, o, "iterations", BG_JSON_OPTIONAL, 0, INT64_MAX,
				 &e->iterations);
	return rc < 0 ? rc : 0;
}

static int read_gbench_fields(struct gbench_entry *e, const struct bg_json_at *at, const cJSON *o)
{
	const char *name, *run_name = NULL;
	int rc;
	if ((rc = bgp_required_name(&name, at, o, "name")) < 0 ||
	    (rc = bg_json_get_string(at, o, "run_name", BG_JSON_OPTIONAL, &run_name)) < 0)
		return rc;
	/* Repetitions share run_name; versions before run_name existed repeat the name. */
	e->key = run_name && run_name[0] ? run_name : name;
	if (e->key == run_name && (rc = bgp_name_length(at, "run_name", run_name)) < 0)
		return rc;
	if ((rc = bg_json_get_bool(at, o, "error_occurred", BG_JSON_OPTIONAL, &e->error)) < 0 ||
	    (rc = bg_json_get_bool(at, o, "skipped", BG_JSON_OPTIONAL, &e->skip)) < 0)
		return rc;
	if (e->error && (rc = bgp_opt_string(&e->why, at, o, "error_message")) < 0)
		return rc;
	if (!e->error && e->skip && (rc = bgp_opt_string(&e->why, at, o, "skip_message")) < 0)
		return rc;
	if (e->error || e->skip)
		return 0;
	return read_gbench_timing(e, at, o);
}

/* The groups made so far: set->v[0 .. set->n), indexed by name, and each one's sample
 * capacity. */
struct gbench_groups {
	struct bg_bench_set *set;
	struct bg_strmap index;
	size_t *caps;
};

/* The group named key, made (unit ns, checked not said) when this is its first entry. */
static int gbench_group(struct bg_bench **out, size_t *g, struct gbench_groups *gs, const char *key)
{
	struct bg_bench_set *set = gs->set;
	if (bg_strmap_get(&gs->index, key, g)) {
		*out = &set->v[*g];
		return 0;
	}
	*g = set->n++;
	*out = &set->v[*g];
	(*out)->checked = -1;
	if (!((*out)->name = bg_strdup(key)) || !((*out)->unit = bg_strdup("ns")) ||
	    bg_strmap_put(&gs->index, (*out)->name, *g) < 0)
		return BG_ENOMEM;
	return 0;
}

/* Adds the entry to its group; takes e->why. */
static int gbench_record(struct bg_bench *b, size_t *cap, struct gbench_entry *e)
{
	if (b->skipped) {
		/* Already failed: the first error's message stands; later repetitions add
		 * nothing a reader could trust. */
		free(e->why);
		return 0;
	}
	if (e->error || e->skip) {
		/* A benchmark that failed in any repetition is not measured: its other
		 * repetitions are dropped rather than passed off as a complete run. */
		b->skipped = e->why ? e->why : bg_strdup(e->error ? "error occurred" : "skipped");
		if (!b->skipped)
			return BG_ENOMEM;
		free(b->samples);
		b->samples = NULL;
		b->n_samples = 0;
		return 0;
	}
	if (bg_grow((void **)&b->samples, cap, b->n_samples, sizeof(*b->samples), 4) < 0)
		return BG_ENOMEM;
	b->samples[b->n_samples++] = e->sample;
	if (!b->iterations)
		b->iterations = e->iterations;
	return 0;
}

/* One "iteration" entry: a sample of its group, or the reason the group is skipped. */
static int read_gbench_entry(struct gbench_groups *gs, const cJSON *o, const struct bg_json_at *at)
{
	struct gbench_entry e = {0};
	struct bg_bench *b;
	size_t g;
	int rc = read_gbench_fields(&e, at, o);
	if (rc == 0 && (rc = gbench_group(&b, &g, gs, e.key)) == 0)
		return gbench_record(b, &gs->caps[g], &e);
	free(e.why);
	return rc;
}

/* run_type: "iteration" (a sample) or "aggregate" (mean, median, ...: skipped); absent
 * reads as an iteration. *aggregate says which. */
static int read_run_type(bool *aggregate, const struct bg_json_at *at, const cJSON *o)
{
	const cJSON *type = bg_json_member(o, "run_type");
	*aggregate = false;
	if (!type)
		return 0;
	if (cJSON_IsString(type) && !strcmp(type->valuestring, "iteration"))
		return 0;
	if (cJSON_IsString(type) && !strcmp(type->valuestring, "aggregate")) {
		*aggregate = true;
		return 0;
	}
	struct bg_json_at tat;
	bg_json_at_key(&tat, at, "run_type");
	if (cJSON_IsString(type))
		return bg_json_at_fail(&tat,
				       "expected \"iteration\" or \"aggregate\", got \"%.32s\"",
				       type->valuestring);
	return bg_json_at_fail(&tat, "expected \"iteration\" or \"aggregate\", got %s",
			       bg_json_type_name(type));
}

static int read_gbench_list(struct gbench_groups *gs, const struct bg_json_at *lat,
			    const cJSON *list)
{
	size_t i = 0;
	for (const cJSON *e = list->child; e; e = e->next, i++) {
		struct bg_json_at at;
		bool aggregate;
		int rc;
		bg_json_at_index(&at, lat, i);
		if ((rc = bg_json_want_object(&at, e)) < 0 ||
		    (rc = read_run_type(&aggregate, &at, e)) < 0)
			return rc;
		/* mean, median, stddev, cv, BigO, RMS: computed from the samples we keep. */
		if (!aggregate && (rc = read_gbench_entry(gs, e, &at)) < 0)
			return rc;
	}
	if (gs->set->n == 0)
		return bg_json_at_fail(lat, "no entry of run_type \"iteration\" (aggregates only? "
					    "run without --benchmark_report_aggregates_only)");
	return 0;
}

static int read_gbench(struct bg_bench_set *set, const struct bg_json_at *root, const cJSON *doc)
{
	int rc = read_gbench_ctx(&set->ctx, root, doc);
	if (rc < 0)
		return rc;
	const cJSON *list;
	size_t n;
	if ((rc = bgp_benchmark_list(set, root, doc, "benchmarks", &list, &n)) < 0)
		return rc;
	/* At most one group per entry; set->n counts the groups made so far. */
	struct gbench_groups gs = {set, BG_STRMAP_INIT, calloc(n, sizeof(size_t))};
	if (!gs.caps)
		rc = bg_error_oom();
	struct bg_json_at lat;
	bg_json_at_key(&lat, root, "benchmarks");
	if (rc == 0)
		rc = read_gbench_list(&gs, &lat, list);
	free(gs.caps);
	bg_strmap_free(&gs.index);
	return rc;
}

/* ---- entry point ---- */

/* The formats and their readers. */
static const struct format {
	const char *name;
	int (*read)(struct bg_bench_set *, const struct bg_json_at *, const cJSON *);
	bool clean;  /* bare NaN and Infinity become null first (C++ and Python print them) */
	bool checks; /* a benchmark can say its result was checked, and which kernel ran */
} formats[] = {
	{BG_FORMAT_BITGATE, read_bitgate, false, true},
	{BG_FORMAT_GBENCH, read_gbench, true, false},
	{BG_FORMAT_HYPERFINE, bgp_read_hyperfine, false, false},
	{BG_FORMAT_PYTEST, bgp_read_pytest, true, false},
};

static const struct format *find_format(const char *name)
{
	for (size_t i = 0; i < BG_COUNTOF(formats); i++)
		if (!strcmp(formats[i].name, name))
			return &formats[i];
	return NULL;
}

int bg_bench_format_known(const char *name)
{
	return find_format(name) != NULL;
}

int bg_bench_format_checks(const char *name)
{
	const struct format *f = find_format(name ? name : BG_FORMAT_BITGATE);
	return f && f->checks;
}

/* The document, cleaned first where the format needs it. */
static int parse_doc(cJSON **root, struct bg_buf *clean, const struct format *f, const char *text,
		     size_t len, const char *origin)
{
	if (bg_json_blank(text, len))
		return bg_error_set(BG_EINPUT,
				    "%s: empty: the bench program printed nothing on stdout",
				    origin);
	if (f->clean) {
		int rc = gbench_clean(clean, text, len);
		if (rc < 0)
			return rc;
		text = bg_buf_cstr(clean);
		len = clean->len;
	}
	return bg_json_parse_object(root, text, len, origin);
}

int bg_bench_parse(struct bg_bench_set **out, const char *text, size_t len, const char *format,
		   const char *origin)
{
	struct bg_bench_set *set = NULL;
	struct bg_buf clean = BG_BUF_INIT;
	cJSON *root = NULL;

	*out = NULL;
	if (!origin)
		origin = "bench output";
	const struct format *f = find_format(format ? format : BG_FORMAT_BITGATE);
	if (!f)
		return bg_error_set(BG_EINPUT, "%s: unknown bench format \"%s\" (expected %s)",
				    origin, format, BG_BENCH_FORMATS);
	int rc = parse_doc(&root, &clean, f, text, len, origin);
	if (rc == 0 && !(set = calloc(1, sizeof(*set))))
		rc = bg_error_oom();
	if (rc == 0) {
		set->ctx.strict_mode = -1;
		if (!(set->format = bg_strdup(f->name)))
			rc = BG_ENOMEM;
	}
	if (rc == 0) {
		struct bg_json_at at;
		bg_json_at_root(&at, origin);
		rc = f->read(set, &at, root);
	}
	if (rc < 0)
		bg_bench_set_free(set);
	else
		*out = set;
	cJSON_Delete(root);
	bg_buf_free(&clean);
	return rc;
}
