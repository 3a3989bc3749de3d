/* bitgate.json: read with cJSON, checked strictly (unknown keys, wrong types, bad
 * placeholders are errors naming the JSON path, the first one in document order; a key
 * given twice in an object is named before that object's members are read), and the
 * placeholder expansion the runner applies to argv, cwd, env values and junit paths. */
#include "bg_config.h"

#include <cJSON.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bg_bench_parse.h"
#include "bg_buf.h"
#include "bg_error.h"
#include "bg_fs.h"
#include "bg_hash.h"
#include "bg_json.h"

/* ---- placeholders ---- */

/* Walks s once for both jobs: with vars NULL it only checks the placeholders; with vars it
 * appends the expansion to out. On a bad placeholder it returns BG_EINPUT with the problem
 * in why (no message set, so each caller says where the string came from). */
static int expand(struct bg_buf *out, const char *s, const struct bg_vars *vars, char *why,
		  size_t why_size)
{
	const char *p = s;
	while (*p) {
		size_t run = strcspn(p, "{}");
		if (run) {
			if (vars && bg_buf_put(out, p, run) < 0)
				return BG_ENOMEM;
			p += run;
			continue;
		}
		if (p[0] == p[1]) { /* "{{" or "}}": a literal brace */
			if (vars && bg_buf_putc(out, p[0]) < 0)
				return BG_ENOMEM;
			p += 2;
			continue;
		}
		if (p[0] == '}') {
			snprintf(why, why_size, "a lone '}' (write '}}' for a literal brace)");
			return BG_EINPUT;
		}
		const char *close = strchr(p + 1, '}');
		if (!close) {
			snprintf(why, why_size,
				 "unclosed placeholder \"%.40s\" (write '{{' for a literal brace)",
				 p);
			return BG_EINPUT;
		}
		int n = (int)(close - p - 1);
		const char *name = p + 1;
		const char *value = NULL;
		bool known = true, is_jobs = false;
		if (n == 3 && !memcmp(name, "src", 3))
			value = vars ? vars->src : NULL;
		else if (n == 5 && !memcmp(name, "build", 5))
			value = vars ? vars->build : NULL;
		else if (n == 3 && !memcmp(name, "out", 3))
			value = vars ? vars->out : NULL;
		else if (n == 4 && !memcmp(name, "jobs", 4))
			is_jobs = true;
		else if (n == 6 && !memcmp(name, "filter", 6))
			value = vars ? vars->filter : NULL;
		else
			known = false;
		if (!known) {
			snprintf(why, why_size,
				 "unknown placeholder {%.*s} (known: {src} {build} {out} {jobs} {filter})",
				 n > 64 ? 64 : n, name);
			return BG_EINPUT;
		}
		if (vars) {
			int rc;
			if (is_jobs) {
				rc = bg_buf_printf(out, "%d", vars->jobs);
			} else if (!value) {
				snprintf(why, why_size, "placeholder {%.*s} has no value here", n,
					 name);
				return BG_EINPUT;
			} else {
				rc = bg_buf_puts(out, value);
			}
			if (rc < 0)
				return rc;
		}
		p = close + 1;
	}
	return 0;
}

int bg_config_expand_str(char **out, const char *s, const struct bg_vars *vars)
{
	struct bg_buf b = BG_BUF_INIT;
	char why[160];
	*out = NULL;
	int rc = expand(&b, s, vars, why, sizeof(why));
	if (rc == BG_EINPUT)
		rc = bg_error_set(BG_EINPUT, "\"%.200s\": %s", s, why);
	if (rc < 0) {
		bg_buf_free(&b);
		return rc;
	}
	*out = bg_buf_detach(&b);
	return *out ? 0 : BG_ENOMEM;
}

int bg_config_expand_argv(char ***out, char *const *argv, const struct bg_vars *vars)
{
	size_t n = 0;
	*out = NULL;
	while (argv[n])
		n++;
	char **v = calloc(n + 1, sizeof(char *));
	if (!v)
		return bg_error_oom();
	for (size_t i = 0; i < n; i++) {
		int rc = bg_config_expand_str(&v[i], argv[i], vars);
		if (rc < 0) {
			bg_strv_free(v);
			return rc;
		}
	}
	*out = v;
	return 0;
}

/* ---- the reader ---- */

/* A string's placeholders checked: "PATH: unknown placeholder {x} ..." when one is bad. */
static int check_placeholders(const struct bg_json_at *at, const char *s)
{
	char why[160];
	if (expand(NULL, s, NULL, why, sizeof(why)) < 0)
		return bg_json_at_fail(at, "%s", why);
	return 0;
}

/* A string value with placeholders checked, copied into *out. */
static int read_string(char **out, const struct bg_json_at *at, const cJSON *v, bool placeholders)
{
	const char *s;
	if (bg_json_want_string(at, v, &s) < 0)
		return BG_EINPUT;
	if (!s[0])
		return bg_json_at_fail(at, "expected a non-empty string");
	if (placeholders && check_placeholders(at, s) < 0)
		return BG_EINPUT;
	*out = bg_strdup(s);
	return *out ? 0 : BG_ENOMEM;
}

static int read_argv(struct bg_step *step, const struct bg_json_at *at, const cJSON *v)
{
	if (!cJSON_IsArray(v))
		return bg_json_at_fail(at, "expected an array of strings, got %s",
				       bg_json_type_name(v));
	size_t n = (size_t)cJSON_GetArraySize(v);
	if (n == 0)
		return bg_json_at_fail(at, "empty: needs at least the program to run");
	step->argv = calloc(n + 1, sizeof(char *));
	if (!step->argv)
		return bg_error_oom();
	size_t i = 0;
	for (const cJSON *e = v->child; e; e = e->next, i++) {
		struct bg_json_at eat;
		const char *s;
		bg_json_at_index(&eat, at, i);
		if (bg_json_want_string(&eat, e, &s) < 0)
			return BG_EINPUT;
		/* An empty argument is legitimate; an empty program name is not. */
		if (i == 0 && !s[0])
			return bg_json_at_fail(&eat, "expected a program, got \"\"");
		if (check_placeholders(&eat, s) < 0)
			return BG_EINPUT;
		if (!(step->argv[i] = bg_strdup(s)))
			return BG_ENOMEM;
		step->argc = i + 1;
	}
	return 0;
}

static bool env_name_ok(const char *s)
{
	if (!s[0] || (s[0] >= '0' && s[0] <= '9'))
		return false;
	for (; *s; s++) {
		char c = *s;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_'))
			return false;
	}
	return true;
}

/* One env member, checked, as a malloc'd "KEY=value". */
static int read_env_var(char **out, const struct bg_json_at *at, const cJSON *m)
{
	if (!env_name_ok(m->string))
		return bg_json_at_fail(at, "not a valid environment variable name (letters, "
					   "digits and '_', not starting with a digit)");
	const char *value;
	if (bg_json_want_string(at, m, &value) < 0 || check_placeholders(at, value) < 0)
		return BG_EINPUT;
	struct bg_buf kv = BG_BUF_INIT;
	if (bg_buf_printf(&kv, "%s=%s", m->string, value) < 0) {
		bg_buf_free(&kv);
		return BG_ENOMEM;
	}
	*out = bg_buf_detach(&kv);
	return *out ? 0 : BG_ENOMEM;
}

int bg_config_read_env(char ***out, size_t *n_out, const struct bg_json_at *at, const cJSON *v)
{
	if (!cJSON_IsObject(v))
		return bg_json_at_fail(at, "expected an object of strings, got %s",
				       bg_json_type_name(v));
	int rc = bg_json_unique_keys(at, v);
	if (rc < 0)
		return rc;
	size_t n = (size_t)cJSON_GetArraySize(v);
	char **env = calloc(n + 1, sizeof(char *));
	if (!env)
		return bg_error_oom();
	*out = env;
	for (const cJSON *m = v->child; m; m = m->next) {
		struct bg_json_at mat;
		bg_json_at_key(&mat, at, m->string);
		rc = read_env_var(&env[*n_out], &mat, m);
		if (rc < 0)
			return rc;
		(*n_out)++;
	}
	return 0;
}

/* An env array that is present even when empty, so callers can walk it without a check. */
static int empty_env(char ***out)
{
	if (*out)
		return 0;
	*out = calloc(1, sizeof(char *));
	return *out ? 0 : bg_error_oom();
}

enum step_kind { STEP_BUILD, STEP_BENCH, STEP_TEST };

/* The step being read, with where its kind-specific settings go. */
struct step_reader {
	struct bg_config *cfg; /* bench settings (format, filter_argv, warmup) */
	struct bg_step *step;
	struct bg_test_cfg *test; /* the suite's junit path; NULL but for tests */
	enum step_kind kind;
};

static int read_timeout(double *out, const struct bg_json_at *at, const cJSON *m)
{
	if (!cJSON_IsNumber(m))
		return bg_json_at_fail(at, "expected a number of seconds, got %s",
				       bg_json_type_name(m));
	if (!isfinite(m->valuedouble) || m->valuedouble <= 0)
		return bg_json_at_fail(at, "expected a positive number, got %g", m->valuedouble);
	*out = m->valuedouble;
	return 0;
}

static int read_bench_format(struct bg_config *cfg, const struct bg_json_at *at, const cJSON *m)
{
	const char *f;
	if (bg_json_want_string(at, m, &f) < 0)
		return BG_EINPUT;
	if (!bg_bench_format_known(f))
		return bg_json_at_fail(at, "expected %s, got \"%.64s\"", BG_BENCH_FORMATS, f);
	return (cfg->bench_format = bg_strdup(f)) ? 0 : BG_ENOMEM;
}

/* What to append to argv so the program itself runs only the benchmarks of --filter RE
 * ({filter}); without it, all run and bitgate keeps the matching ones. */
static int read_filter_argv(struct bg_config *cfg, const struct bg_json_at *at, const cJSON *m)
{
	struct bg_step tmp;
	memset(&tmp, 0, sizeof(tmp));
	int rc = read_argv(&tmp, at, m);
	cfg->bench_filter_argv = tmp.argv;
	cfg->bench_filter_argc = tmp.argc;
	return rc;
}

static int read_warmup(struct bg_config *cfg, const struct bg_json_at *at, const cJSON *m)
{
	int64_t w;
	if (bg_json_want_integer(at, m, 0, INT_MAX, &w) < 0)
		return BG_EINPUT;
	cfg->bench_warmup = (int)w;
	return 0;
}

/* One member of a step: a key every step has, or one of its kind's; else "unknown key". */
static int read_step_member(const struct step_reader *r, const struct bg_json_at *at,
			    const cJSON *m)
{
	const char *key = m->string;
	struct bg_step *step = r->step;
	if (!strcmp(key, "argv"))
		return read_argv(step, at, m);
	if (!strcmp(key, "timeout_s"))
		return read_timeout(&step->timeout_s, at, m);
	if (!strcmp(key, "env"))
		return bg_config_read_env(&step->env, &step->n_env, at, m);
	if (!strcmp(key, "cwd"))
		return read_string(&step->cwd, at, m, true);
	if (r->kind == STEP_BUILD && !strcmp(key, "name"))
		return read_string(&step->name, at, m, false);
	if (r->kind == STEP_BENCH && !strcmp(key, "format"))
		return read_bench_format(r->cfg, at, m);
	if (r->kind == STEP_BENCH && !strcmp(key, "filter_argv"))
		return read_filter_argv(r->cfg, at, m);
	if (r->kind == STEP_BENCH && !strcmp(key, "warmup"))
		return read_warmup(r->cfg, at, m);
	if (r->kind == STEP_TEST && !strcmp(key, "suite"))
		return read_string(&step->name, at, m, false);
	if (r->kind == STEP_TEST && !strcmp(key, "junit"))
		return read_string(&r->test->junit, at, m, true);
	return bg_json_at_fail(at, "unknown key");
}

/* The required keys, checked after all keys were read so an unknown key is named first. */
static int step_required(const struct step_reader *r, const struct bg_json_at *at)
{
	const char *missing = NULL;
	if (r->kind == STEP_BUILD && !r->step->name)
		missing = "name";
	else if (r->kind == STEP_TEST && !r->step->name)
		missing = "suite";
	else if (!r->step->argv)
		missing = "argv";
	else if (r->kind == STEP_TEST && !r->test->junit)
		missing = "junit";
	if (!missing)
		return 0;
	struct bg_json_at mat;
	bg_json_at_key(&mat, at, missing);
	return bg_json_at_fail(&mat, "required");
}

/* One build step, the bench command or one test suite; keys are checked in document order
 * and the required ones afterwards. */
static int read_step(const struct step_reader *r, const struct bg_json_at *at, const cJSON *obj)
{
	static const double default_timeout[] = {
		[STEP_BUILD] = BG_CONFIG_BUILD_TIMEOUT,
		[STEP_BENCH] = BG_CONFIG_BENCH_TIMEOUT,
		[STEP_TEST] = BG_CONFIG_TEST_TIMEOUT,
	};
	if (bg_json_want_object(at, obj) < 0)
		return BG_EINPUT;
	int rc = bg_json_unique_keys(at, obj);
	if (rc < 0)
		return rc;
	r->step->timeout_s = default_timeout[r->kind];
	for (const cJSON *m = obj->child; m && rc == 0; m = m->next) {
		struct bg_json_at mat;
		bg_json_at_key(&mat, at, m->string);
		rc = read_step_member(r, &mat, m);
	}
	if (rc == 0)
		rc = step_required(r, at);
	if (rc < 0)
		return rc;
	if (r->kind == STEP_BENCH && !(r->step->name = bg_strdup("bench")))
		return BG_ENOMEM;
	return empty_env(&r->step->env);
}

/* An array of steps (build) or suites (tests): what names the array in its type error;
 * *out is calloc'd with one zeroed element of size each per entry, *n their count (set
 * before reading so the free functions see, and free, a half-read entry). */
static int step_array(void **out, size_t *n, size_t size, const struct bg_json_at *at,
		      const cJSON *v, const char *what)
{
	if (!cJSON_IsArray(v))
		return bg_json_at_fail(at, "expected an array of %s, got %s", what,
				       bg_json_type_name(v));
	size_t count = (size_t)cJSON_GetArraySize(v);
	if (count == 0)
		return 0;
	if (!(*out = calloc(count, size)))
		return bg_error_oom();
	*n = count;
	return 0;
}

static int read_build(struct bg_config *cfg, const struct bg_json_at *at, const cJSON *v)
{
	int rc = step_array((void **)&cfg->build, &cfg->n_build, sizeof(*cfg->build), at, v,
			    "steps");
	size_t i = 0;
	for (const cJSON *e = v->child; e && rc == 0; e = e->next, i++) {
		struct bg_json_at eat;
		struct step_reader r = {cfg, &cfg->build[i], NULL, STEP_BUILD};
		bg_json_at_index(&eat, at, i);
		rc = read_step(&r, &eat, e);
	}
	return rc;
}

/* Suite names key the stored results: two suites with one name would mix. */
static int check_unique_suite(const struct bg_config *cfg, size_t i, const struct bg_json_at *at)
{
	for (size_t j = 0; j < i; j++) {
		if (!strcmp(cfg->tests[j].step.name, cfg->tests[i].step.name)) {
			struct bg_json_at sat;
			bg_json_at_key(&sat, at, "suite");
			return bg_json_at_fail(&sat, "duplicate suite \"%.100s\" (also tests[%zu])",
					       cfg->tests[i].step.name, j);
		}
	}
	return 0;
}

static int read_tests(struct bg_config *cfg, const struct bg_json_at *at, const cJSON *v)
{
	int rc = step_array((void **)&cfg->tests, &cfg->n_tests, sizeof(*cfg->tests), at, v,
			    "suites");
	size_t i = 0;
	for (const cJSON *e = v->child; e && rc == 0; e = e->next, i++) {
		struct bg_json_at eat;
		struct bg_test_cfg *t = &cfg->tests[i];
		struct step_reader r = {cfg, &t->step, t, STEP_TEST};
		bg_json_at_index(&eat, at, i);
		if ((rc = read_step(&r, &eat, e)) == 0)
			rc = check_unique_suite(cfg, i, &eat);
	}
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int add_strv(cJSON *parent, const char *key, char *const *v, size_t n, bool sorted)
{
	cJSON *a = cJSON_AddArrayToObject(parent, key);
	if (!a)
		return bg_error_oom();
	char **copy = NULL;
	if (sorted && n) {
		copy = malloc(n * sizeof(char *));
		if (!copy)
			return bg_error_oom();
		memcpy(copy, v, n * sizeof(char *));
		qsort(copy, n, sizeof(char *), cmp_str);
	}
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		cJSON *s = cJSON_CreateString(copy ? copy[i] : v[i]);
		if (!s || !cJSON_AddItemToArray(a, s)) {
			cJSON_Delete(s);
			rc = bg_error_oom();
		}
	}
	free(copy);
	return rc;
}

/* The build hash keys the build cache, so it covers exactly what can change the binaries:
 * each build step's name, argv and cwd, the env of the steps and the top-level env (which
 * every command, build steps included, receives). It leaves out timeouts (they stop a build,
 * they do not change its output), bench and tests (editing a bench timeout or adding a suite
 * must not force a rebuild), gates and everything else. Strings are hashed unexpanded: {src}
 * and {build} name per-run directories, not inputs. The serialisation is the unformatted
 * JSON of {"build-hash":1,"build":[{"name","argv","cwd","env"}...],"env":[...]} with env
 * entries sorted, so reordering env keys does not change it. */
static int compute_build_hash(struct bg_config *cfg)
{
	int rc = 0;
	char *text = NULL;
	cJSON *doc = cJSON_CreateObject();
	cJSON *steps = NULL;
	if (!doc || !cJSON_AddNumberToObject(doc, "build-hash", 1) ||
	    !(steps = cJSON_AddArrayToObject(doc, "build"))) {
		rc = bg_error_oom();
		goto done;
	}
	for (size_t i = 0; i < cfg->n_build; i++) {
		const struct bg_step *s = &cfg->build[i];
		cJSON *o = cJSON_CreateObject();
		if (!o || !cJSON_AddItemToArray(steps, o)) {
			cJSON_Delete(o);
			rc = bg_error_oom();
			goto done;
		}
		cJSON *cwd = s->cwd ? cJSON_AddStringToObject(o, "cwd", s->cwd)
				    : cJSON_AddNullToObject(o, "cwd");
		if (!cJSON_AddStringToObject(o, "name", s->name) || !cwd) {
			rc = bg_error_oom();
			goto done;
		}
		if ((rc = add_strv(o, "argv", s->argv, s->argc, false)) < 0 ||
		    (rc = add_strv(o, "env", s->env, s->n_env, true)) < 0)
			goto done;
	}
	if ((rc = add_strv(doc, "env", cfg->env, cfg->n_env, true)) < 0)
		goto done;
	if (!(text = cJSON_PrintUnformatted(doc))) {
		rc = bg_error_oom();
		goto done;
	}
	bg_sha256_hex(cfg->build_hash, text, strlen(text));
done:
	cJSON_free(text);
	cJSON_Delete(doc);
	return rc;
}

static int read_version(struct bg_config *cfg, const struct bg_json_at *at, const cJSON *m)
{
	if (!cJSON_IsNumber(m))
		return bg_json_at_fail(at, "expected 1, got %s", bg_json_type_name(m));
	if (m->valuedouble != 1.0)
		return bg_json_at_fail(at, "expected 1, got %g", m->valuedouble);
	cfg->version = 1;
	return 0;
}

/* One top-level member. Sections other modules read (gates, nightly, acknowledge) are only
 * checked for their type here; "x-" keys are the user's. */
static int read_root_member(struct bg_config *cfg, const struct bg_json_at *at, const cJSON *m)
{
	const char *key = m->string;
	if (!strcmp(key, "version"))
		return read_version(cfg, at, m);
	if (!strcmp(key, "default_branch"))
		return read_string(&cfg->default_branch, at, m, false);
	if (!strcmp(key, "build"))
		return read_build(cfg, at, m);
	if (!strcmp(key, "bench")) {
		struct step_reader r = {cfg, &cfg->bench, NULL, STEP_BENCH};
		return read_step(&r, at, m);
	}
	if (!strcmp(key, "tests"))
		return read_tests(cfg, at, m);
	if (!strcmp(key, "env"))
		return bg_config_read_env(&cfg->env, &cfg->n_env, at, m);
	/* gates: gate_config.c; nightly: nightly_config.c */
	if (!strcmp(key, "gates") || !strcmp(key, "nightly"))
		return bg_json_want_object(at, m);
	if (!strcmp(key, "acknowledge"))
		return bg_json_want_array(at, m, NULL);
	if (strncmp(key, "x-", 2) != 0)
		return bg_json_at_fail(at, "unknown key");
	return 0;
}

static int read_root(struct bg_config *cfg, const cJSON *root, const char *origin)
{
	struct bg_json_at top;
	bg_json_at_root(&top, origin);
	int rc = bg_json_unique_keys(&top, root);
	for (const cJSON *m = root->child; m && rc == 0; m = m->next) {
		struct bg_json_at at;
		bg_json_at_key(&at, &top, m->string);
		rc = read_root_member(cfg, &at, m);
	}
	if (rc < 0)
		return rc;
	if (!cfg->version)
		return bg_json_fail(origin, "version", "required (1)");
	if (!bg_json_member(root, "bench"))
		return bg_json_fail(origin, "bench", "required");
	if (!cfg->default_branch && !(cfg->default_branch = bg_strdup("main")))
		return BG_ENOMEM;
	if (!cfg->bench_format && !(cfg->bench_format = bg_strdup(BG_FORMAT_BITGATE)))
		return BG_ENOMEM;
	return empty_env(&cfg->env);
}

int bg_config_parse(struct bg_config **out, const char *text, size_t len, const char *origin)
{
	struct bg_config *cfg = NULL;
	cJSON *root = NULL;
	char *canon = NULL;
	int rc;

	*out = NULL;
	if (!origin)
		origin = "bitgate.json";
	if ((rc = bg_json_parse_object(&root, text, len, origin)) < 0)
		goto done;
	cfg = calloc(1, sizeof(*cfg));
	if (!cfg) {
		rc = bg_error_oom();
		goto done;
	}
	cfg->bench_warmup = 1;
	if (!(cfg->origin = bg_strdup(origin))) {
		rc = BG_ENOMEM;
		goto done;
	}
	if ((rc = read_root(cfg, root, origin)) < 0)
		goto done;
	if (!(canon = cJSON_PrintUnformatted(root))) {
		rc = bg_error_oom();
		goto done;
	}
	bg_sha256_hex(cfg->hash, canon, strlen(canon));
	if ((rc = compute_build_hash(cfg)) < 0)
		goto done;
	cfg->root = root;
	root = NULL;
done:
	cJSON_free(canon);
	cJSON_Delete(root);
	if (rc < 0)
		bg_config_free(cfg);
	else
		*out = cfg;
	return rc;
}

int bg_config_load(struct bg_config **out, const char *path)
{
	struct bg_buf text = BG_BUF_INIT;
	*out = NULL;
	int rc = bg_fs_read_max(&text, path, BG_CONFIG_MAX_FILE);
	if (rc == 0)
		rc = bg_config_parse(out, bg_buf_cstr(&text), text.len, path);
	bg_buf_free(&text);
	return rc;
}

static void step_free(struct bg_step *s)
{
	free(s->name);
	/* Arrays are calloc'd one longer than their entries, so even a half-read one is
	 * NULL-terminated. */
	bg_strv_free(s->argv);
	bg_strv_free(s->env);
	free(s->cwd);
}

void bg_config_free(struct bg_config *cfg)
{
	if (!cfg)
		return;
	free(cfg->default_branch);
	for (size_t i = 0; i < cfg->n_build; i++)
		step_free(&cfg->build[i]);
	free(cfg->build);
	step_free(&cfg->bench);
	free(cfg->bench_format);
	bg_strv_free(cfg->bench_filter_argv);
	for (size_t i = 0; i < cfg->n_tests; i++) {
		step_free(&cfg->tests[i].step);
		free(cfg->tests[i].junit);
	}
	free(cfg->tests);
	bg_strv_free(cfg->env);
	cJSON_Delete(cfg->root);
	free(cfg->origin);
	free(cfg);
}
