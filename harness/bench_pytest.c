/* pytest-benchmark's --benchmark-json: {"machine_info", "commit_info", "benchmarks":
 * [{"fullname", "stats": {"data", "median", "iterations", ...}, ...}], "version"}. Each test
 * is a benchmark named by its fullname ("tests/test_x.py::test_y[param]"); its samples are
 * stats.data, the time of each round per iteration in seconds (--benchmark-save-data), or
 * without data the round's median alone. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bench_parse_int.h"
#include "bg_buf.h"
#include "bg_error.h"
#include "bg_strmap.h"

/* stats.median as the one sample, when the output has no data. */
static int median_sample(struct bg_bench *b, const struct bg_json_at *sat, const cJSON *stats)
{
	struct bg_json_at mat;
	bg_json_at_key(&mat, sat, "median");
	if (!(b->samples = malloc(sizeof(double))))
		return bg_error_oom();
	double s;
	int rc = bgp_positive_number(&s, &mat, bg_json_member(stats, "median"));
	if (rc == 0 && !isfinite(s * 1e9))
		rc = bg_json_at_fail(&mat, "expected a time in seconds, got %g", s);
	if (rc == 0) {
		b->samples[0] = s * 1e9;
		b->n_samples = 1;
	}
	return rc;
}

static int read_stats(struct bg_bench *b, const struct bg_json_at *at, const cJSON *o)
{
	const cJSON *stats;
	struct bg_json_at sat;
	int rc = bg_json_get_object(at, o, "stats", BG_JSON_REQUIRED, &stats, &sat);
	if (rc < 0)
		return rc;
	rc = bg_json_get_integer(&sat, stats, "iterations", BG_JSON_OPTIONAL, 1, INT64_MAX,
				 &b->iterations);
	if (rc < 0)
		return rc;
	const cJSON *data = bg_json_member(stats, "data");
	if (!data)
		return median_sample(b, &sat, stats);
	struct bg_json_at dat;
	bg_json_at_key(&dat, &sat, "data");
	return bgp_seconds_samples(
		b, &dat, data,
		"pytest-benchmark measured no time: the test is shorter than its "
		"timer resolves (raise --benchmark-min-time)");
}

static int read_benchmark(struct bgp_list *l, size_t idx, const struct bg_json_at *at,
			  const cJSON *o)
{
	struct bg_bench *b = &l->set->v[idx];
	int rc = bgp_take_name(l, idx, at, o, "fullname", "name", "");
	if (rc < 0)
		return rc;
	if (!(b->unit = bg_strdup("ns")))
		return BG_ENOMEM;
	return read_stats(b, at, o);
}

/* machine_info.cpu.brand_raw (py-cpuinfo's name of the CPU; "brand" in older versions) when
 * present, and machine_info
 * and commit_info kept whole as the context's JSON. */
static int read_context(struct bg_bench_ctx *ctx, const struct bg_json_at *root, const cJSON *doc)
{
	const cJSON *mi = NULL, *cpu = NULL;
	struct bg_json_at mat, cat;
	const char *brand = NULL;
	int rc = bg_json_get_object(root, doc, "machine_info", BG_JSON_OPTIONAL, &mi, &mat);
	if (rc > 0)
		rc = bg_json_get_object(&mat, mi, "cpu", BG_JSON_OPTIONAL, &cpu, &cat);
	if (rc > 0 &&
	    (rc = bg_json_get_string(&cat, cpu, "brand_raw", BG_JSON_OPTIONAL, &brand)) == 0)
		rc = bg_json_get_string(&cat, cpu, "brand", BG_JSON_OPTIONAL, &brand);
	if (rc < 0)
		return rc;
	if (brand && !(ctx->cpu = bg_strdup(brand)))
		return BG_ENOMEM;
	cJSON *keep = cJSON_CreateObject();
	if (!keep)
		return bg_error_oom();
	static const char *const kept[] = {"machine_info", "commit_info", "version"};
	for (size_t i = 0; i < BG_COUNTOF(kept) && rc >= 0; i++) {
		const cJSON *m = bg_json_member(doc, kept[i]);
		cJSON *copy = m ? cJSON_Duplicate(m, 1) : NULL;
		if (m && (!copy || !cJSON_AddItemToObject(keep, kept[i], copy))) {
			cJSON_Delete(copy);
			rc = bg_error_oom();
		}
	}
	if (rc >= 0)
		rc = bgp_keep_json(&ctx->json, keep);
	cJSON_Delete(keep);
	return rc < 0 ? rc : 0;
}

int bgp_read_pytest(struct bg_bench_set *set, const struct bg_json_at *root, const cJSON *doc)
{
	int rc = read_context(&set->ctx, root, doc);
	return rc < 0 ? rc : bgp_read_each(set, root, doc, "benchmarks", read_benchmark);
}
