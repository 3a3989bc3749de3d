/* The measurement engine (see bg_engine.h). Every failure of the subject (no config, a
 * build that fails, a bench that crashes, hangs or prints garbage, tests without a report)
 * becomes a stored error of its run and an incomplete run, never a sample; only
 * interruptions and an unusable database stop bitgate itself. */
#include "bg_engine.h"

#include <cjson/cJSON.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bg_bench_parse.h"
#include "bg_buf.h"
#include "bg_error.h"
#include "bg_fs.h"
#include "bg_junit.h"
#include "bg_log.h"
#include "bg_proc.h"
#include "bg_regex.h"

#define STDERR_TAIL_BYTES 2048

int bg_engine_load_config(struct bg_app *app, const struct bg_commit *c, const char *config_path,
			  struct bg_config **out)
{
	if (config_path)
		return bg_config_load(out, config_path);
	struct bg_buf text = BG_BUF_INIT, origin = BG_BUF_INIT;
	int rc = bg_git_read_file(app->repo, c, "bitgate.json", BG_CONFIG_MAX_FILE, &text);
	if (rc == BG_ENOTFOUND) {
		rc = bg_error_set(
			BG_EINPUT,
			"%s %.12s has no bitgate.json at its root (give one with --config "
			"FILE)",
			c->worktree ? "the working tree on" : "commit", c->sha);
	} else if (rc == 0) {
		bg_buf_printf(&origin, "bitgate.json at %.12s%s", c->sha,
			      c->worktree ? " (working tree)" : "");
		rc = bg_config_parse(out, bg_buf_cstr(&text), text.len, origin.ptr);
	}
	bg_buf_free(&text);
	bg_buf_free(&origin);
	return rc;
}

/* Records the subject's first failure: the run's error row and its status. */
static int record_failure(struct bg_app *app, struct bg_subject *s, const char *status,
			  const char *stage, const char *message, const char *detail)
{
	s->failed = 1;
	snprintf(s->status, sizeof(s->status), "%s", status);
	if (!s->error)
		s->error = bg_strdup(message);
	if (s->run_id)
		return bg_db_run_add_error(app->db, s->run_id, stage, message, detail);
	return 0;
}

/* record_failure, and a log line. */
static int fail(struct bg_app *app, struct bg_subject *s, const char *status, const char *stage,
		const char *message, const char *detail)
{
	bg_log_error("%.12s: %s", s->commit->sha, message);
	if (detail && *detail && !app->g->quiet)
		bg_log_verbose("%s", detail);
	return record_failure(app, s, status, stage, message, detail);
}

static int env_json(struct bg_subject *s, char **out)
{
	cJSON *o = cJSON_CreateObject();
	if (!o)
		return bg_error_oom();
	for (size_t i = 0; i < s->n_env; i++) {
		const char *eq = strchr(s->env[i], '=');
		if (!eq)
			continue;
		char key[256];
		snprintf(key, sizeof(key), "%.*s", (int)(eq - s->env[i]), s->env[i]);
		cJSON_DeleteItemFromObjectCaseSensitive(o, key);
		cJSON_AddStringToObject(o, key, eq + 1);
	}
	*out = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return *out ? 0 : bg_error_oom();
}

static int begin_run(struct bg_app *app, struct bg_subject *s)
{
	const struct bg_commit *c = s->commit;
	struct bg_commit_rec crec = {
		.sha = (char *)c->sha,
		.tree = (char *)c->tree,
		.parent = c->parent[0] ? (char *)c->parent : NULL,
		.subject = c->subject,
		.author = c->author,
		.time = c->time,
	};
	int rc;
	if ((rc = bg_app_machine(app)) < 0)
		return rc;
	if (c->worktree) {
		/* the run names HEAD's commit (and the working tree's own tree id) */
		struct bg_commit head;
		memset(&head, 0, sizeof(head));
		if ((rc = bg_git_resolve(app->repo, "HEAD", &head)) < 0)
			return rc;
		crec.tree = head.tree;
		crec.parent = head.parent[0] ? head.parent : NULL;
		crec.subject = head.subject;
		crec.author = head.author;
		crec.time = head.time;
		rc = bg_db_commit_put(app->db, &crec);
		bg_commit_clear(&head);
	} else {
		rc = bg_db_commit_put(app->db, &crec);
	}
	if (rc < 0)
		return rc;
	char *envj = NULL;
	if ((rc = env_json(s, &envj)) < 0)
		return rc;
	struct bg_run_rec run = {
		.kind = (char *)s->opts->kind,
		.commit_sha = (char *)c->sha,
		.worktree = c->worktree,
		.tree = (char *)c->tree,
		.machine_id = app->machine_id,
		.config_hash = s->cfg ? s->cfg->hash : NULL,
		.env_json = envj,
		.harness_version = BG_VERSION_STRING,
		.label = (char *)s->opts->label,
	};
	rc = bg_db_run_begin(app->db, &run);
	free(envj);
	if (rc < 0)
		return rc;
	s->run_id = run.id;
	s->run_uuid = run.uuid;
	char *runs = bg_path_joined(app->state_dir, "runs");
	s->out_dir = runs ? bg_path_joined(runs, s->run_uuid) : NULL;
	free(runs);
	if (!s->out_dir)
		return BG_ENOMEM;
	return bg_fs_mkdirs(s->out_dir);
}

static int collect_env(struct bg_subject *s)
{
	int rc = 0;
	const struct bg_config *cfg = s->cfg;
	struct bg_vars vars = {s->build.src_dir ? s->build.src_dir : "",
			       s->build.build_dir ? s->build.build_dir : "",
			       s->out_dir ? s->out_dir : "", s->opts->jobs > 0 ? s->opts->jobs : 1, NULL};
	for (size_t i = 0; cfg && i < cfg->n_env && !rc; i++)
		rc = bg_strv_push(&s->env, &s->n_env, cfg->env[i]);
	for (size_t i = 0; cfg && i < cfg->bench.n_env && !rc; i++) {
		char *v;
		if ((rc = bg_config_expand_str(&v, cfg->bench.env[i], &vars)) == 0) {
			rc = bg_strv_push(&s->env, &s->n_env, v);
			free(v);
		}
	}
	for (char *const *e = s->opts->extra_env; e && *e && !rc; e++)
		rc = bg_strv_push(&s->env, &s->n_env, *e);
	return rc;
}

int bg_subject_prepare(struct bg_app *app, struct bg_subject *s, const struct bg_commit *c,
		       const struct bg_engine_opts *opts)
{
	memset(s, 0, sizeof(*s));
	s->commit = c;
	s->opts = opts;
	s->t_start = bg_now();
	snprintf(s->status, sizeof(s->status), "running");
	int rc = bg_engine_load_config(app, c, opts->config_path, &s->cfg);
	if (rc < 0 && rc != BG_EINPUT && rc != BG_ENOTFOUND)
		return rc;
	if (rc < 0) {
		char *msg = bg_strdup(bg_error_last());
		int rc2 = begin_run(app, s);
		if (rc2 == 0)
			rc2 = fail(app, s, "config-error", "config", msg, NULL);
		free(msg);
		return rc2;
	}
	if ((rc = collect_env(s)) < 0)
		return rc;
	if ((rc = begin_run(app, s)) < 0)
		return rc;

	bg_progress_stage("build");
	struct bg_build_opts bo = {opts->jobs, opts->rebuild};
	rc = bg_build_ensure(app, c, s->cfg, &bo, &s->build);
	/* the build steps are the subject's time; materialising the tree is bitgate's own */
	if (!s->build.cached)
		s->proc_s += s->build.duration_s;
	if (rc == BG_EINTR)
		return rc;
	if (rc < 0) {
		/* could not materialise or write the cache: infrastructure, recorded */
		char *msg = bg_strdup(bg_error_last());
		int rc2 = fail(app, s, "error", "build", msg ? msg : "build failed", NULL);
		free(msg);
		return rc == BG_EDB ? rc : rc2;
	}
	if (s->build.build_id &&
	    (rc = bg_db_run_set_build(app->db, s->run_id, s->build.build_id)) < 0)
		return rc;
	if (!s->build.ok)
		return fail(app, s, "build-failed", "build",
			    s->build.message ? s->build.message : "build failed",
			    s->build.log_tail);
	if (s->build.cached)
		bg_log_verbose("%.12s: build cached (%s)", c->sha, s->build.dir);
	else
		bg_log_info("%.12s: built in %.1f s", c->sha, s->build.duration_s);
	return 0;
}

/* The placeholders' values for the subject's bench and test commands. */
static struct bg_vars subject_vars(const struct bg_subject *s)
{
	return (struct bg_vars){s->build.src_dir, s->build.build_dir, s->out_dir,
				bg_build_jobs(s->opts->jobs), NULL};
}

/* One child process of the subject (bench or tests). */
struct child {
	char *const *argv;
	char *const *env;
	const char *cwd;
	const char *out_path, *err_path; /* the same path merges them */
	double timeout_s;
	int pin_cpu;
};

/* Runs a child with its stderr's last line on the progress line; its wall time counts in
 * the subject's time inside child processes. */
static int run_child(struct bg_subject *s, const struct child *ch, struct bg_proc_result *pr)
{
	struct bg_proc_opts po = {.argv = ch->argv,
				  .env = ch->env,
				  .cwd = ch->cwd,
				  .stdout_path = ch->out_path,
				  .stderr_path = ch->err_path,
				  .timeout_s = ch->timeout_s,
				  .pin_cpu = ch->pin_cpu,
				  .tick = bg_progress_tick_file,
				  .tick_arg = (void *)ch->err_path};
	int rc = bg_proc_run(&po, pr);
	s->proc_s += pr->wall_s;
	return rc;
}

/* Runs one bench process; its stdout is left in *out_path. 0 with *ok set, or negative
 * when bitgate cannot go on. */
static int run_bench_process(struct bg_app *app, struct bg_subject *s, const char *tag,
			     char **out_path, char **err_path, int *ok)
{
	const struct bg_step *b = &s->cfg->bench;
	struct bg_vars vars = subject_vars(s);
	char **argv = NULL, *cwd = NULL;
	struct bg_buf name = BG_BUF_INIT;
	vars.filter = s->opts->filter;
	int rc = bg_config_expand_argv(&argv, b->argv, &vars);
	if (!rc && s->opts->filter && s->cfg->bench_filter_argv) {
		/* the program runs only what --filter wants; bitgate still filters the output */
		char **extra = NULL;
		size_t n = 0;
		while (argv[n])
			n++;
		rc = bg_config_expand_argv(&extra, s->cfg->bench_filter_argv, &vars);
		for (size_t i = 0; !rc && extra[i]; i++)
			rc = bg_strv_push(&argv, &n, extra[i]);
		bg_strv_free(extra);
	}
	if (!rc)
		rc = bg_config_expand_str(&cwd, b->cwd ? b->cwd : "{build}", &vars);
	if (rc == BG_EINPUT) {
		*ok = 0;
		rc = fail(app, s, "bench-failed", "bench", bg_error_last(), NULL);
		goto done;
	}
	if (rc < 0)
		goto done;
	bg_buf_printf(&name, "bench-%s.json", tag);
	*out_path = bg_path_joined(s->out_dir, name.ptr);
	bg_buf_clear(&name);
	bg_buf_printf(&name, "bench-%s.err", tag);
	*err_path = bg_path_joined(s->out_dir, name.ptr);
	if (!*out_path || !*err_path) {
		rc = BG_ENOMEM;
		goto done;
	}
	char cmdline[1024];
	bg_argv_format(argv, cmdline, sizeof(cmdline));
	bg_log_verbose("bench %s: %s (in %s)", tag, cmdline, cwd);
	struct child ch = {argv, s->env, cwd, *out_path, *err_path, b->timeout_s, s->opts->pin_cpu};
	struct bg_proc_result pr;
	rc = run_child(s, &ch, &pr);
	if (rc == BG_EINTR)
		goto done;
	if (rc < 0) {
		*ok = 0;
		rc = fail(app, s, "bench-failed", "bench", bg_error_last(), NULL);
		goto done;
	}
	*ok = bg_proc_ok(&pr);
	if (!*ok) {
		char how[300];
		bg_proc_describe(&pr, how, sizeof(how));
		struct bg_buf m = BG_BUF_INIT, tail = BG_BUF_INIT;
		bg_buf_printf(&m, "bench %s: %s: %s (stderr: %s)", tag, argv[0], how, *err_path);
		bg_fs_tail(&tail, *err_path, STDERR_TAIL_BYTES);
		rc = fail(app, s, "bench-failed", "bench", m.ptr, tail.ptr);
		bg_buf_free(&m);
		bg_buf_free(&tail);
	}
done:
	bg_strv_free(argv);
	free(cwd);
	bg_buf_free(&name);
	return rc;
}

/* Drops the benchmarks whose names do not match the filter. */
static int apply_filter(struct bg_bench_set *set, const char *filter)
{
	regex_t re;
	char why[256];
	if (bg_regex_compile(&re, filter, why, sizeof(why)) < 0)
		return bg_error_set(BG_EINPUT, "--filter '%.300s': %s", filter, why);
	size_t keep = 0;
	for (size_t i = 0; i < set->n; i++) {
		struct bg_bench *b = &set->v[i];
		if (regexec(&re, b->name, 0, NULL, 0) == 0) {
			set->v[keep++] = *b;
		} else {
			free(b->name);
			free(b->unit);
			free(b->samples);
			free(b->kernel);
			free(b->skipped);
		}
	}
	set->n = keep;
	regfree(&re);
	return 0;
}

static int env_has(char *const *env, const char *kv)
{
	int found = 0;
	size_t klen = strchr(kv, '=') - kv + 1;
	for (; env && *env; env++)
		if (!strncmp(*env, kv, klen))
			found = !strcmp(*env, kv); /* the last assignment wins */
	return found;
}

int bg_subject_bench_round(struct bg_app *app, struct bg_subject *s, int round)
{
	if (s->failed)
		return 0;
	int rc = 0, ok;
	char *out_path = NULL, *err_path = NULL;
	struct bg_buf text = BG_BUF_INIT, origin = BG_BUF_INIT, tag = BG_BUF_INIT;
	struct bg_bench_set *set = NULL;
	for (int w = 0; !s->warmed && w < s->cfg->bench_warmup; w++) {
		bg_progress_stage("bench warm-up");
		bg_buf_clear(&tag);
		bg_buf_printf(&tag, "warmup%d", w + 1);
		rc = run_bench_process(app, s, tag.ptr, &out_path, &err_path, &ok);
		free(out_path);
		free(err_path);
		out_path = err_path = NULL;
		if (rc < 0 || !ok)
			goto done;
	}
	s->warmed = 1;
	bg_progress_stage("bench round %d/%d", round + 1, s->opts->repetitions);
	bg_buf_clear(&tag);
	bg_buf_printf(&tag, "r%d", round + 1);
	if ((rc = run_bench_process(app, s, tag.ptr, &out_path, &err_path, &ok)) < 0 || !ok)
		goto done;
	if ((rc = bg_fs_read_max(&text, out_path, BG_BENCH_MAX_OUTPUT)) < 0) {
		rc = fail(app, s, "bench-failed", "bench", bg_error_last(), NULL);
		goto done;
	}
	bg_buf_printf(&origin, "bench output of %.12s (round %d, %s)", s->commit->sha, round + 1,
		      out_path);
	rc = bg_bench_parse(&set, bg_buf_cstr(&text), text.len, s->cfg->bench_format, origin.ptr);
	if (rc == 0 && s->opts->filter)
		rc = apply_filter(set, s->opts->filter);
	if (rc == 0 && s->opts->keep)
		rc = apply_filter(set, s->opts->keep);
	if (rc == 0 && set->n == 0)
		rc = bg_error_set(BG_EINPUT, "%s: no benchmark matches '%s'", origin.ptr,
				  s->opts->keep ? s->opts->keep : s->opts->filter);
	if (rc == BG_EINPUT) {
		struct bg_buf tail = BG_BUF_INIT;
		bg_fs_tail(&tail, err_path, STDERR_TAIL_BYTES);
		rc = fail(app, s, "bench-failed", "bench", bg_error_last(), tail.ptr);
		bg_buf_free(&tail);
		goto done;
	}
	if (rc < 0)
		goto done;
	const char *mode = s->opts->mode;
	if (!mode)
		mode = set->ctx.strict_mode == 1 || env_has(s->env, "BITNET_STRICT_MODE=1")
			       ? "strict"
			       : "default";
	char params[64] = "";
	if (set->ctx.threads > 0)
		snprintf(params, sizeof(params), "threads=%d", set->ctx.threads);
	if ((rc = bg_db_run_add_bench(app->db, s->run_id, round, mode, params, set)) < 0)
		goto done;
	s->rounds_done++;
	if (!s->dispatch && set->ctx.dispatch && !(s->dispatch = bg_strdup(set->ctx.dispatch))) {
		rc = BG_ENOMEM;
		goto done;
	}
	s->n_bench = set->n;
	s->n_skipped = 0;
	for (size_t i = 0; i < set->n; i++) {
		s->n_samples += set->v[i].n_samples;
		s->n_skipped += set->v[i].skipped != NULL;
	}
done:
	bg_bench_set_free(set);
	free(out_path);
	free(err_path);
	bg_buf_free(&text);
	bg_buf_free(&origin);
	bg_buf_free(&tag);
	return rc;
}

/* A test suite's command with its placeholders expanded. */
struct suite_cmd {
	char **argv;
	char **env; /* the subject's additions, then the suite's own */
	size_t n_env;
	char *cwd;
	char *junit; /* the report the suite writes */
	char *log;   /* its stdout and stderr: <out>/tests-<name>.log */
};

static void suite_cmd_clear(struct suite_cmd *sc)
{
	bg_strv_free(sc->argv);
	bg_strv_free(sc->env);
	free(sc->cwd);
	free(sc->junit);
	free(sc->log);
	memset(sc, 0, sizeof(*sc));
}

/* BG_EINPUT for a bad placeholder in the suite's configuration. */
static int expand_suite(const struct bg_subject *s, const struct bg_test_cfg *t,
			struct suite_cmd *sc)
{
	struct bg_vars vars = subject_vars(s);
	memset(sc, 0, sizeof(*sc));
	int rc = bg_config_expand_argv(&sc->argv, t->step.argv, &vars);
	if (!rc)
		rc = bg_config_expand_str(&sc->cwd, t->step.cwd ? t->step.cwd : "{build}", &vars);
	if (!rc)
		rc = bg_config_expand_str(&sc->junit, t->junit, &vars);
	for (size_t i = 0; i < s->n_env && !rc; i++)
		rc = bg_strv_push(&sc->env, &sc->n_env, s->env[i]);
	for (size_t i = 0; i < t->step.n_env && !rc; i++) {
		char *v;
		if ((rc = bg_config_expand_str(&v, t->step.env[i], &vars)) == 0) {
			rc = bg_strv_push(&sc->env, &sc->n_env, v);
			free(v);
		}
	}
	if (rc)
		return rc;
	struct bg_buf name = BG_BUF_INIT;
	bg_buf_printf(&name, "tests-%s.log", t->step.name);
	if (!(sc->log = bg_path_joined(s->out_dir, name.ptr)))
		rc = BG_ENOMEM;
	bg_buf_free(&name);
	return rc;
}

/* Fails the subject's tests with message and the end of the suite's log. */
static int tests_failed(struct bg_app *app, struct bg_subject *s, const char *message,
			const char *log)
{
	struct bg_buf tail = BG_BUF_INIT;
	bg_fs_tail(&tail, log, STDERR_TAIL_BYTES);
	int rc = fail(app, s, "tests-failed", "tests", message, tail.ptr);
	bg_buf_free(&tail);
	return rc;
}

/* Reads the suite's JUnit report and stores it with the run; no usable report fails the
 * tests. how: how the command ended, for the message. */
static int store_report(struct bg_app *app, struct bg_subject *s, const struct bg_test_cfg *t,
			const struct suite_cmd *sc, const char *how)
{
	struct bg_test_suite *suite = NULL;
	int rc = bg_junit_parse_file(&suite, t->step.name, sc->junit);
	if (rc == BG_EINPUT || rc == BG_ENOTFOUND || rc == BG_EINFRA) {
		struct bg_buf m = BG_BUF_INIT;
		bg_buf_printf(&m, "tests '%s': no usable JUnit report (command %s): %s",
			      t->step.name, how, bg_error_last());
		rc = tests_failed(app, s, m.ptr, sc->log);
		bg_buf_free(&m);
	} else if (rc == 0 && (rc = bg_db_run_add_tests(app->db, s->run_id, suite)) == 0) {
		s->tests_total += (int)suite->n;
		s->tests_passed += suite->passed;
		s->tests_failed += suite->failed + suite->errored;
		s->tests_skipped += suite->skipped;
		bg_log_verbose("%.12s: tests %s: %d passed, %d failed, %d errored, %d skipped",
			       s->commit->sha, t->step.name, suite->passed, suite->failed,
			       suite->errored, suite->skipped);
	}
	bg_test_suite_free(suite);
	return rc;
}

static int run_suite(struct bg_app *app, struct bg_subject *s, const struct bg_test_cfg *t)
{
	struct suite_cmd sc;
	int rc = expand_suite(s, t, &sc);
	if (rc == BG_EINPUT) {
		rc = fail(app, s, "tests-failed", "tests", bg_error_last(), NULL);
		goto done;
	}
	if (rc < 0)
		goto done;
	unlink(sc.junit); /* a report left by an earlier run must not pass for this one */
	bg_progress_stage("tests %s", t->step.name);
	char cmdline[1024];
	bg_argv_format(sc.argv, cmdline, sizeof(cmdline));
	bg_log_verbose("tests %s: %s (in %s)", t->step.name, cmdline, sc.cwd);
	struct child ch = {sc.argv, sc.env, sc.cwd, sc.log, sc.log, t->step.timeout_s, -1};
	struct bg_proc_result pr;
	rc = run_child(s, &ch, &pr);
	if (rc == BG_EINTR)
		goto done;
	char how[300];
	bg_proc_describe(&pr, how, sizeof(how));
	if (rc < 0 || pr.timed_out || pr.exec_error[0] || pr.signaled) {
		struct bg_buf m = BG_BUF_INIT;
		bg_buf_printf(&m, "tests '%s': %s: %s (log: %s)", t->step.name, sc.argv[0],
			      rc < 0 ? bg_error_last() : how, sc.log);
		rc = tests_failed(app, s, m.ptr, sc.log);
		bg_buf_free(&m);
		goto done;
	}
	/* a non-zero exit is how test runners say tests failed: the report decides */
	rc = store_report(app, s, t, &sc, how);
done:
	suite_cmd_clear(&sc);
	return rc;
}

int bg_subject_tests(struct bg_app *app, struct bg_subject *s)
{
	if (s->failed || !s->opts->tests)
		return 0;
	for (size_t i = 0; i < s->cfg->n_tests; i++) {
		int rc = run_suite(app, s, &s->cfg->tests[i]);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* bitgate itself failed the subject (a database write, memory): its status says "error"
 * and its error the message, unless a failure of the subject's own came first. */
static void own_failure(struct bg_subject *s)
{
	if (s->failed)
		return;
	s->failed = 1;
	snprintf(s->status, sizeof(s->status), "error");
	if (!s->error)
		s->error = bg_strdup(bg_error_last());
}

int bg_engine_record_unconfigured(struct bg_app *app, struct bg_subject *s,
				  const struct bg_commit *c, const struct bg_engine_opts *opts)
{
	memset(s, 0, sizeof(*s));
	s->commit = c;
	s->opts = opts;
	s->t_start = bg_now();
	char why[128];
	snprintf(why, sizeof(why), "commit %.12s has no bitgate.json at its root", c->sha);
	int rc = begin_run(app, s);
	if (rc == 0)
		rc = record_failure(app, s, "config-error", "config", why, NULL);
	if (s->out_dir)
		rmdir(s->out_dir); /* nothing ran: the run's directory stays empty */
	int rc2 = bg_subject_finish(app, s);
	return rc < 0 ? rc : rc2;
}

int bg_subject_finish(struct bg_app *app, struct bg_subject *s)
{
	/* a side never prepared (an earlier side's failure stopped the comparison) */
	if (!s->opts)
		return 0;
	int interrupted = bg_interrupted(NULL);
	if (interrupted)
		snprintf(s->status, sizeof(s->status), "interrupted");
	else if (!s->failed)
		snprintf(s->status, sizeof(s->status), "ok");
	int complete = !s->failed && !interrupted && s->rounds_done == (size_t)s->opts->repetitions;
	s->total_s = bg_now() - s->t_start;
	if (!s->run_id)
		return 0;
	int rc = bg_db_run_finish(app->db, s->run_id, s->status, complete);
	if (rc < 0 && !interrupted)
		own_failure(s);
	return rc;
}

void bg_subject_clear(struct bg_subject *s)
{
	bg_config_free(s->cfg);
	bg_build_result_clear(&s->build);
	free(s->run_uuid);
	free(s->out_dir);
	bg_strv_free(s->env);
	free(s->error);
	free(s->dispatch);
	memset(s, 0, sizeof(*s));
}

int bg_engine_run_one(struct bg_app *app, struct bg_subject *s, const struct bg_commit *c,
		      const struct bg_engine_opts *opts)
{
	int rc = bg_subject_prepare(app, s, c, opts);
	for (int r = 0; rc == 0 && !s->failed && r < opts->repetitions; r++)
		rc = bg_subject_bench_round(app, s, r);
	if (rc == 0)
		rc = bg_subject_tests(app, s);
	if (rc == BG_EINTR || bg_interrupted(NULL)) {
		snprintf(s->status, sizeof(s->status), "interrupted");
		s->failed = 1;
	} else if (rc < 0) {
		own_failure(s);
	}
	int rc2 = bg_subject_finish(app, s);
	return rc < 0 ? rc : rc2;
}
