/* Reading bitgate.json's "gates" section:
 *   "gates": {
 *     "rounds": 5, "alpha": 0.05, "bootstrap": 2000,
 *     "perf": {"threshold": 0.05, "thresholds": {"membw/&ast;": 0.10}, "history": 30,
 *              "noise_quantile": 0.95, "quantile": 0.1},
 *     "modes": [{"name": "strict", "env": {"BITNET_STRICT_MODE": "1"}, "limit": 0.01,
 *                "filter": "REGEX"}],
 *     "benchmarks": {"required": ["matmul/avx2/&ast;"], "floors": {"matmul/avx2/256x256x256": 50}},
 *     "tests": {"floor": 0.999, "suites": {"gpu": 0.99}}
 *   }
 * (patterns are fnmatch globs; &ast; stands for an asterisk here). A key given twice in any
 * of these objects is an error (cJSON keeps both members). The older
 *     "strict": {"enabled": true, "limit": 0.01, "filter": "REGEX"}
 * is still read: when enabled it declares the mode "strict" with BITNET_STRICT_MODE=1. */
#include "bg_gate_config.h"

#include <cjson/cJSON.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "bg_buf.h"
#include "bg_error.h"
#include "bg_json.h"
#include "bg_regex.h"

static void free_patterns(struct bg_pattern_value *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i].pattern);
	free(v);
}

/* {"pattern": number, ...} into *out and *n, which change together and only on success. */
/* Each benchmark name is matched against every pattern: their number is bounded. */
static int too_many(const struct bg_json_at *at, size_t count)
{
	return bg_json_at_fail(at, "%zu patterns, more than the %d bitgate reads", count,
			       BG_GATE_MAX_PATTERNS);
}

static int pattern_values(const struct bg_json_at *at, const cJSON *v, double lo, double hi,
			  struct bg_pattern_value **out, size_t *n)
{
	if (!cJSON_IsObject(v))
		return bg_json_at_fail(at, "expected an object of patterns, got %s",
				       bg_json_type_name(v));
	int rc = bg_json_unique_keys(at, v);
	if (rc < 0)
		return rc;
	size_t count = (size_t)cJSON_GetArraySize(v), i = 0;
	if (count > BG_GATE_MAX_PATTERNS)
		return too_many(at, count);
	struct bg_pattern_value *pv = calloc(count + 1, sizeof(*pv));
	if (!pv)
		return bg_error_oom();
	for (const cJSON *m = v->child; m && rc == 0; m = m->next, i++) {
		struct bg_json_at mat;
		bg_json_at_key(&mat, at, m->string);
		rc = bg_json_want_number(&mat, m, lo, hi, &pv[i].value);
		if (rc == 0 && !(pv[i].pattern = bg_strdup(m->string)))
			rc = BG_ENOMEM;
	}
	if (rc < 0) {
		free_patterns(pv, count);
		return rc;
	}
	free_patterns(*out, *n);
	*out = pv;
	*n = count;
	return 0;
}

static int integer(const struct bg_json_at *at, const cJSON *v, int lo, int hi, int *out)
{
	int64_t x;
	int rc = bg_json_want_integer(at, v, lo, hi, &x);
	if (rc == 0)
		*out = (int)x;
	return rc;
}

static int read_perf(const struct bg_json_at *at, const cJSON *o, struct bg_gate_config *c)
{
	int rc = 0;
	for (const cJSON *m = o->child; m && !rc; m = m->next) {
		struct bg_json_at mat;
		bg_json_at_key(&mat, at, m->string);
		if (!strcmp(m->string, "threshold"))
			rc = bg_json_want_number(&mat, m, 0, 1, &c->threshold);
		else if (!strcmp(m->string, "thresholds"))
			rc = pattern_values(&mat, m, 0, 1, &c->thresholds, &c->n_thresholds);
		else if (!strcmp(m->string, "history"))
			rc = integer(&mat, m, 0, 10000, &c->history);
		else if (!strcmp(m->string, "noise_quantile"))
			rc = bg_json_want_number(&mat, m, 0.5, 1, &c->noise_quantile);
		else if (!strcmp(m->string, "quantile"))
			rc = bg_json_want_number(&mat, m, 0.01, 0.5, &c->quantile);
		else
			rc = bg_json_at_fail(&mat, "unknown key");
	}
	return rc;
}

/* A mode's filter: a regex the gate applies to benchmark names, checked here once (bounded:
 * the file may come from a stranger's pull request). */
static int read_filter(const struct bg_json_at *at, const cJSON *m, char **out)
{
	regex_t re;
	char why[256];
	if (!cJSON_IsString(m))
		return bg_json_at_fail(at, "expected a regex string, got %s", bg_json_type_name(m));
	if (bg_regex_compile(&re, m->valuestring, why, sizeof(why)) < 0)
		return bg_json_at_fail(at, "%s", why);
	regfree(&re);
	free(*out);
	return (*out = bg_strdup(m->valuestring)) ? 0 : BG_ENOMEM;
}

/* A mode's name is a row's mode and a gate's (and check run's) name: short, plain, and none
 * of the default mode's or the built-in gates'. */
static int read_mode_name(const struct bg_json_at *at, const cJSON *m, char **out)
{
	static const char *const taken[] = {"default", "build", "benchmarks", "perf", "tests"};
	const char *s;
	int rc = bg_json_want_string(at, m, &s);
	if (rc < 0)
		return rc;
	size_t n = strlen(s);
	if (n == 0 || n > 32 || strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_-") != n ||
	    !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9')))
		return bg_json_at_fail(at,
				       "'%.40s' is not a mode name (1 to 32 of a-z, 0-9, '_' "
				       "and '-', starting with a letter or digit)",
				       s);
	for (size_t i = 0; i < BG_COUNTOF(taken); i++)
		if (!strcmp(s, taken[i]))
			return bg_json_at_fail(at, "'%s' is taken (%s)", s,
					       i ? "a built-in gate"
						 : "the mode without additions");
	free(*out);
	return (*out = bg_strdup(s)) ? 0 : BG_ENOMEM;
}

static int mode_member(const struct bg_json_at *at, const cJSON *m, struct bg_mode_config *mc)
{
	struct bg_json_at mat;
	bg_json_at_key(&mat, at, m->string);
	if (!strcmp(m->string, "name"))
		return read_mode_name(&mat, m, &mc->name);
	if (!strcmp(m->string, "env"))
		return bg_config_read_env(&mc->env, &mc->n_env, &mat, m);
	if (!strcmp(m->string, "limit"))
		return bg_json_want_number(&mat, m, 0, 1, &mc->limit);
	if (!strcmp(m->string, "filter"))
		return read_filter(&mat, m, &mc->filter);
	return bg_json_at_fail(&mat, "unknown key");
}

/* One element of gates.modes: {name, env, limit, filter}; name and a non-empty env
 * required. */
static int read_mode(const struct bg_json_at *at, const cJSON *o, struct bg_mode_config *mc)
{
	int rc = bg_json_want_object(at, o);
	if (rc == 0)
		rc = bg_json_unique_keys(at, o);
	mc->limit = 0.01;
	for (const cJSON *m = o->child; m && !rc; m = m->next)
		rc = mode_member(at, m, mc);
	if (rc == 0 && !mc->name)
		rc = bg_json_at_fail(at, "a mode needs a \"name\"");
	if (rc == 0 && !mc->n_env)
		rc = bg_json_at_fail(at,
				     "mode '%s' needs an \"env\" with at least one variable: "
				     "without one it is the default mode again",
				     mc->name);
	return rc;
}

/* Room for one more mode in c, with the same name nowhere before it. */
static int add_mode(const struct bg_json_at *at, struct bg_gate_config *c,
		    struct bg_mode_config *mc)
{
	for (size_t i = 0; i < c->n_modes; i++)
		if (!strcmp(c->modes[i].name, mc->name))
			return bg_json_at_fail(at, "mode '%s' is declared twice", mc->name);
	if (c->n_modes >= BG_MODES_MAX)
		return bg_json_at_fail(at, "more than %d modes (each adds a side to every round)",
				       BG_MODES_MAX);
	struct bg_mode_config *v = realloc(c->modes, (c->n_modes + 1) * sizeof(*v));
	if (!v)
		return bg_error_oom();
	c->modes = v;
	c->modes[c->n_modes++] = *mc;
	memset(mc, 0, sizeof(*mc));
	return 0;
}

static int read_modes(const struct bg_json_at *at, const cJSON *v, struct bg_gate_config *c)
{
	if (!cJSON_IsArray(v))
		return bg_json_at_fail(at, "expected an array of modes, got %s",
				       bg_json_type_name(v));
	size_t i = 0;
	int rc = 0;
	for (const cJSON *e = v->child; e && rc == 0; e = e->next, i++) {
		struct bg_json_at eat;
		struct bg_mode_config mc = {0};
		bg_json_at_index(&eat, at, i);
		if ((rc = read_mode(&eat, e, &mc)) == 0)
			rc = add_mode(&eat, c, &mc);
		bg_mode_config_clear(&mc);
	}
	return rc;
}

/* The older "strict": {"enabled", "limit", "filter"}: when enabled, the mode "strict" with
 * BITNET_STRICT_MODE=1. */
static int read_strict(const struct bg_json_at *at, const cJSON *o, struct bg_gate_config *c)
{
	struct bg_mode_config mc = {.limit = 0.01};
	int enabled = 0, rc = 0;
	for (const cJSON *m = o->child; m && !rc; m = m->next) {
		struct bg_json_at mat;
		bg_json_at_key(&mat, at, m->string);
		if (!strcmp(m->string, "enabled"))
			rc = bg_json_want_bool(&mat, m, &enabled);
		else if (!strcmp(m->string, "limit"))
			rc = bg_json_want_number(&mat, m, 0, 1, &mc.limit);
		else if (!strcmp(m->string, "filter"))
			rc = read_filter(&mat, m, &mc.filter);
		else
			rc = bg_json_at_fail(&mat, "unknown key");
	}
	if (rc == 0 && enabled) {
		if (!(mc.name = bg_strdup("strict")) ||
		    (rc = bg_strv_push(&mc.env, &mc.n_env, "BITNET_STRICT_MODE=1")) < 0)
			rc = BG_ENOMEM;
		else
			rc = add_mode(at, c, &mc);
	}
	bg_mode_config_clear(&mc);
	return rc;
}

/* benchmarks.required: patterns every run must have a benchmark for. */
static int read_required(const struct bg_json_at *at, const cJSON *m, struct bg_gate_config *c)
{
	if (!cJSON_IsArray(m))
		return bg_json_at_fail(at, "expected an array of patterns, got %s",
				       bg_json_type_name(m));
	if ((size_t)cJSON_GetArraySize(m) > BG_GATE_MAX_PATTERNS)
		return too_many(at, (size_t)cJSON_GetArraySize(m));
	size_t i = 0;
	for (const cJSON *e = m->child; e; e = e->next, i++) {
		struct bg_json_at eat;
		const char *s;
		bg_json_at_index(&eat, at, i);
		int rc = bg_json_want_string(&eat, e, &s);
		if (rc == 0)
			rc = bg_strv_push(&c->required, &c->n_required, s);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int read_benchmarks(const struct bg_json_at *at, const cJSON *o, struct bg_gate_config *c)
{
	int rc = 0;
	for (const cJSON *m = o->child; m && !rc; m = m->next) {
		struct bg_json_at mat;
		bg_json_at_key(&mat, at, m->string);
		if (!strcmp(m->string, "floors"))
			rc = pattern_values(&mat, m, 0, 1e9, &c->floors, &c->n_floors);
		else if (!strcmp(m->string, "required"))
			rc = read_required(&mat, m, c);
		else
			rc = bg_json_at_fail(&mat, "unknown key");
	}
	return rc;
}

static int read_tests(const struct bg_json_at *at, const cJSON *o, struct bg_gate_config *c)
{
	int rc = 0;
	for (const cJSON *m = o->child; m && !rc; m = m->next) {
		struct bg_json_at mat;
		bg_json_at_key(&mat, at, m->string);
		if (!strcmp(m->string, "floor"))
			rc = bg_json_want_number(&mat, m, 0, 1, &c->test_floor);
		else if (!strcmp(m->string, "suites"))
			rc = pattern_values(&mat, m, 0, 1, &c->suite_floors, &c->n_suite_floors);
		else
			rc = bg_json_at_fail(&mat, "unknown key");
	}
	return rc;
}

/* The sections of "gates", each an object read by its own function. */
static const struct section {
	const char *key;
	int (*read)(const struct bg_json_at *at, const cJSON *o, struct bg_gate_config *c);
} sections[] = {
	{"perf", read_perf},
	{"strict", read_strict},
	{"benchmarks", read_benchmarks},
	{"tests", read_tests},
};

static int read_member(const struct bg_json_at *at, const cJSON *m, struct bg_gate_config *out)
{
	struct bg_json_at mat;
	bg_json_at_key(&mat, at, m->string);
	if (!strcmp(m->string, "rounds"))
		return integer(&mat, m, 1, 1000, &out->rounds);
	if (!strcmp(m->string, "alpha"))
		return bg_json_want_number(&mat, m, 1e-6, 0.5, &out->alpha);
	if (!strcmp(m->string, "bootstrap"))
		return integer(&mat, m, 100, 1000000, &out->bootstrap);
	if (!strcmp(m->string, "modes"))
		return read_modes(&mat, m, out);
	for (size_t i = 0; i < BG_COUNTOF(sections); i++) {
		if (strcmp(m->string, sections[i].key) != 0)
			continue;
		int rc = bg_json_want_object(&mat, m);
		if (rc == 0)
			rc = bg_json_unique_keys(&mat, m);
		return rc < 0 ? rc : sections[i].read(&mat, m, out);
	}
	return bg_json_at_fail(&mat, "unknown key");
}

int bg_gate_config_read(const struct bg_config *cfg, struct bg_gate_config *out)
{
	bg_gate_config_defaults(out);
	const cJSON *g = bg_json_member(cfg->root, "gates");
	if (!g)
		return 0;
	struct bg_json_at root, at;
	bg_json_at_root(&root, cfg->origin ? cfg->origin : "bitgate.json");
	bg_json_at_key(&at, &root, "gates");
	int rc = bg_json_want_object(&at, g);
	if (rc == 0)
		rc = bg_json_unique_keys(&at, g);
	for (const cJSON *m = g->child; m && !rc; m = m->next)
		rc = read_member(&at, m, out);
	if (rc < 0)
		bg_gate_config_clear(out);
	return rc;
}
