/* Reading bitgate.json's "gates" section:
 *   "gates": {
 *     "rounds": 5, "alpha": 0.05, "bootstrap": 2000,
 *     "perf": {"threshold": 0.05, "thresholds": {"membw/&ast;": 0.10}, "history": 30,
 *              "noise_quantile": 0.95, "quantile": 0.1},
 *     "strict": {"enabled": true, "limit": 0.01, "filter": "REGEX"},
 *     "benchmarks": {"required": ["matmul/avx2/&ast;"], "floors": {"matmul/avx2/256x256x256": 50}},
 *     "tests": {"floor": 0.999, "suites": {"gpu": 0.99}}
 *   }
 * (patterns are fnmatch globs; &ast; stands for an asterisk here) */
#include "bg_gate_config.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "bg_buf.h"
#include "bg_error.h"
#include "bg_json.h"

struct reader {
	const char *origin;
	char path[300];
};

static int number(const struct reader *r, const cJSON *v, const char *key, double lo, double hi,
		  double *out)
{
	char p[400];
	bg_json_path_key(p, sizeof(p), r->path, key);
	if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
		return bg_json_fail(r->origin, p, "expected a number, got %s",
				    bg_json_type_name(v));
	if (v->valuedouble < lo || v->valuedouble > hi)
		return bg_json_fail(r->origin, p, "expected a number in [%g, %g], got %g", lo, hi,
				    v->valuedouble);
	*out = v->valuedouble;
	return 0;
}

static int integer(const struct reader *r, const cJSON *v, const char *key, int lo, int hi,
		   int *out)
{
	char p[400];
	int64_t x;
	bg_json_path_key(p, sizeof(p), r->path, key);
	if (bg_json_integer(v, lo, hi, &x) < 0)
		return bg_json_fail(r->origin, p, "expected an integer in [%d, %d], got %s", lo, hi,
				    bg_json_type_name(v));
	*out = (int)x;
	return 0;
}

/* {"pattern": number, ...} */
static int pattern_values(const struct reader *r, const cJSON *v, const char *key, double lo,
			  double hi, struct bg_pattern_value **out, size_t *n)
{
	struct reader sub = *r;
	bg_json_path_key(sub.path, sizeof(sub.path), r->path, key);
	if (!cJSON_IsObject(v))
		return bg_json_fail(r->origin, sub.path, "expected an object of patterns, got %s",
				    bg_json_type_name(v));
	size_t count = (size_t)cJSON_GetArraySize(v);
	*out = calloc(count + 1, sizeof(**out));
	if (!*out)
		return bg_error_oom();
	for (const cJSON *m = v->child; m; m = m->next) {
		double x = 0;
		int rc = number(&sub, m, m->string, lo, hi, &x);
		if (rc < 0)
			return rc;
		if (!((*out)[*n].pattern = bg_strdup(m->string)))
			return BG_ENOMEM;
		(*out)[(*n)++].value = x;
	}
	return 0;
}

static int unknown(const struct reader *r, const char *key)
{
	char p[400];
	bg_json_path_key(p, sizeof(p), r->path, key);
	return bg_json_fail(r->origin, p, "unknown key");
}

static int object(const struct reader *r, const cJSON *v, const char *key, struct reader *sub)
{
	*sub = *r;
	bg_json_path_key(sub->path, sizeof(sub->path), r->path, key);
	if (!cJSON_IsObject(v))
		return bg_json_fail(r->origin, sub->path, "expected an object, got %s",
				    bg_json_type_name(v));
	return 0;
}

static int read_perf(const struct reader *r, const cJSON *o, struct bg_gate_config *c)
{
	int rc = 0;
	for (const cJSON *m = o->child; m && !rc; m = m->next) {
		if (!strcmp(m->string, "threshold"))
			rc = number(r, m, m->string, 0, 1, &c->threshold);
		else if (!strcmp(m->string, "thresholds"))
			rc = pattern_values(r, m, m->string, 0, 1, &c->thresholds,
					    &c->n_thresholds);
		else if (!strcmp(m->string, "history"))
			rc = integer(r, m, m->string, 0, 10000, &c->history);
		else if (!strcmp(m->string, "noise_quantile"))
			rc = number(r, m, m->string, 0.5, 1, &c->noise_quantile);
		else if (!strcmp(m->string, "quantile"))
			rc = number(r, m, m->string, 0.01, 0.5, &c->quantile);
		else
			rc = unknown(r, m->string);
	}
	return rc;
}

static int read_strict(const struct reader *r, const cJSON *o, struct bg_gate_config *c)
{
	int rc = 0;
	for (const cJSON *m = o->child; m && !rc; m = m->next) {
		char p[400];
		bg_json_path_key(p, sizeof(p), r->path, m->string);
		if (!strcmp(m->string, "enabled")) {
			if (!cJSON_IsBool(m))
				return bg_json_fail(r->origin, p, "expected true or false, got %s",
						    bg_json_type_name(m));
			c->strict = cJSON_IsTrue(m);
		} else if (!strcmp(m->string, "limit")) {
			rc = number(r, m, m->string, 0, 1, &c->strict_limit);
		} else if (!strcmp(m->string, "filter")) {
			regex_t re;
			if (!cJSON_IsString(m))
				return bg_json_fail(r->origin, p, "expected a regex string, got %s",
						    bg_json_type_name(m));
			if (regcomp(&re, m->valuestring, REG_EXTENDED | REG_NOSUB) != 0)
				return bg_json_fail(r->origin, p, "not a valid regular expression");
			regfree(&re);
			free(c->strict_filter);
			if (!(c->strict_filter = bg_strdup(m->valuestring)))
				return BG_ENOMEM;
		} else {
			rc = unknown(r, m->string);
		}
	}
	return rc;
}

static int read_benchmarks(const struct reader *r, const cJSON *o, struct bg_gate_config *c)
{
	int rc = 0;
	for (const cJSON *m = o->child; m && !rc; m = m->next) {
		char p[400];
		bg_json_path_key(p, sizeof(p), r->path, m->string);
		if (!strcmp(m->string, "floors")) {
			rc = pattern_values(r, m, m->string, 0, 1e9, &c->floors, &c->n_floors);
		} else if (!strcmp(m->string, "required")) {
			if (!cJSON_IsArray(m))
				return bg_json_fail(r->origin, p,
						    "expected an array of patterns, got %s",
						    bg_json_type_name(m));
			size_t i = 0;
			for (const cJSON *e = m->child; e && !rc; e = e->next, i++) {
				char ep[420];
				bg_json_path_index(ep, sizeof(ep), p, i);
				if (!cJSON_IsString(e))
					return bg_json_fail(r->origin, ep,
							    "expected a string, got %s",
							    bg_json_type_name(e));
				rc = bg_strv_push(&c->required, &c->n_required, e->valuestring);
			}
		} else {
			rc = unknown(r, m->string);
		}
	}
	return rc;
}

static int read_tests(const struct reader *r, const cJSON *o, struct bg_gate_config *c)
{
	int rc = 0;
	for (const cJSON *m = o->child; m && !rc; m = m->next) {
		if (!strcmp(m->string, "floor"))
			rc = number(r, m, m->string, 0, 1, &c->test_floor);
		else if (!strcmp(m->string, "suites"))
			rc = pattern_values(r, m, m->string, 0, 1, &c->suite_floors,
					    &c->n_suite_floors);
		else
			rc = unknown(r, m->string);
	}
	return rc;
}

int bg_gate_config_read(const struct bg_config *cfg, struct bg_gate_config *out)
{
	bg_gate_config_defaults(out);
	const cJSON *g = cfg->root ? cJSON_GetObjectItemCaseSensitive(cfg->root, "gates") : NULL;
	if (!g)
		return 0;
	struct reader r = {cfg->origin ? cfg->origin : "bitgate.json", "gates"};
	int rc = 0;
	if (!cJSON_IsObject(g))
		rc = bg_json_fail(r.origin, "gates", "expected an object, got %s",
				  bg_json_type_name(g));
	for (const cJSON *m = g->child; m && !rc; m = m->next) {
		struct reader sub;
		if (!strcmp(m->string, "rounds"))
			rc = integer(&r, m, m->string, 1, 1000, &out->rounds);
		else if (!strcmp(m->string, "alpha"))
			rc = number(&r, m, m->string, 1e-6, 0.5, &out->alpha);
		else if (!strcmp(m->string, "bootstrap"))
			rc = integer(&r, m, m->string, 100, 1000000, &out->bootstrap);
		else if (!strcmp(m->string, "perf"))
			rc = object(&r, m, m->string, &sub) < 0 ? BG_EINPUT
								: read_perf(&sub, m, out);
		else if (!strcmp(m->string, "strict"))
			rc = object(&r, m, m->string, &sub) < 0 ? BG_EINPUT
								: read_strict(&sub, m, out);
		else if (!strcmp(m->string, "benchmarks"))
			rc = object(&r, m, m->string, &sub) < 0 ? BG_EINPUT
								: read_benchmarks(&sub, m, out);
		else if (!strcmp(m->string, "tests"))
			rc = object(&r, m, m->string, &sub) < 0 ? BG_EINPUT
								: read_tests(&sub, m, out);
		else
			rc = unknown(&r, m->string);
	}
	if (rc < 0)
		bg_gate_config_clear(out);
	return rc;
}
