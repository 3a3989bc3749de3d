/* The build cache (see bg_build.h). Layout of an entry, .bitgate/cache/<tree>-<config>/:
 *   src/    the materialised tree      build/  the build directory
 *   logs/   one log per build step     out/    {out} for build steps */
#include "bg_build.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "bg_buf.h"
#include "bg_error.h"
#include "bg_fs.h"
#include "bg_hash.h"
#include "bg_log.h"
#include "bg_proc.h"

#define LOG_TAIL_BYTES 4096

void bg_build_result_clear(struct bg_build_result *r)
{
	free(r->dir);
	free(r->src_dir);
	free(r->build_dir);
	free(r->binary_hash);
	free(r->message);
	free(r->log_tail);
	memset(r, 0, sizeof(*r));
}

char *bg_build_cache_root(const struct bg_app *app)
{
	struct bg_buf b = BG_BUF_INIT;
	if (bg_path_join(&b, app->state_dir, "cache") < 0)
		return NULL;
	return bg_buf_detach(&b);
}

static int in_path(const char *prog)
{
	const char *path = getenv("PATH");
	if (!path)
		return 0;
	struct bg_buf b = BG_BUF_INIT;
	int found = 0;
	for (const char *p = path; !found && *p;) {
		const char *colon = strchr(p, ':');
		size_t n = colon ? (size_t)(colon - p) : strlen(p);
		bg_buf_clear(&b);
		bg_buf_put(&b, p, n);
		bg_buf_putc(&b, '/');
		bg_buf_puts(&b, prog);
		found = n && access(bg_buf_cstr(&b), X_OK) == 0;
		p += n + (colon ? 1 : 0);
	}
	bg_buf_free(&b);
	return found;
}

int bg_build_ccache_env(const struct bg_app *app, char ***env, size_t *n)
{
	if (!in_path("ccache"))
		return 0;
	char *root = bg_build_cache_root(app);
	if (!root)
		return BG_ENOMEM;
	struct bg_buf b = BG_BUF_INIT;
	int rc = bg_buf_printf(&b, "CCACHE_BASEDIR=%s", root);
	/* paths under the cache root become relative, so the same file in two trees
	 * materialised at different places hits the same ccache entry */
	if (!rc && !getenv("CCACHE_BASEDIR"))
		rc = bg_strv_push(env, n, b.ptr);
	if (!rc && !getenv("CCACHE_NOHASHDIR"))
		rc = bg_strv_push(env, n, "CCACHE_NOHASHDIR=true");
	if (!rc && !getenv("CMAKE_C_COMPILER_LAUNCHER"))
		rc = bg_strv_push(env, n, "CMAKE_C_COMPILER_LAUNCHER=ccache");
	if (!rc && !getenv("CMAKE_CXX_COMPILER_LAUNCHER"))
		rc = bg_strv_push(env, n, "CMAKE_CXX_COMPILER_LAUNCHER=ccache");
	bg_buf_free(&b);
	free(root);
	return rc;
}

struct tick_ctx {
	const char *log_path;
};

/* Shows the last line a step wrote, so a long compile is visibly alive. */
static void show_last_line(void *arg, double elapsed)
{
	(void)elapsed;
	const struct tick_ctx *t = arg;
	struct bg_buf tail = BG_BUF_INIT;
	bg_fs_tail(&tail, t->log_path, 512);
	char *s = tail.ptr;
	if (s) {
		size_t n = tail.len;
		while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
			s[--n] = '\0';
		char *nl = strrchr(s, '\n');
		bg_progress_tick(nl ? nl + 1 : s);
	} else {
		bg_progress_tick(NULL);
	}
	bg_buf_free(&tail);
}

static int join3(char **out, const char *a, const char *b)
{
	struct bg_buf buf = BG_BUF_INIT;
	if (bg_path_join(&buf, a, b) < 0)
		return BG_ENOMEM;
	*out = bg_buf_detach(&buf);
	return *out ? 0 : BG_ENOMEM;
}

/* Runs the build steps; fills res->ok, message and log_tail. Negative only when bitgate
 * could not go on (interrupted, out of memory). */
static int run_steps(struct bg_app *app, const struct bg_config *cfg,
		     const struct bg_build_opts *opts, struct bg_build_result *res,
		     const char *logs_dir, const char *out_dir)
{
	struct bg_vars vars = {res->src_dir, res->build_dir, out_dir,
			       opts->jobs > 0 ? opts->jobs : (int)sysconf(_SC_NPROCESSORS_ONLN), NULL};
	char **env = NULL;
	size_t n_env = 0;
	int rc = 0;
	for (size_t i = 0; i < cfg->n_env && !rc; i++)
		rc = bg_strv_push(&env, &n_env, cfg->env[i]);
	if (!rc)
		rc = bg_build_ccache_env(app, &env, &n_env);
	size_t base_env = n_env;
	res->ok = 1;
	for (size_t s = 0; s < cfg->n_build && !rc && res->ok; s++) {
		const struct bg_step *st = &cfg->build[s];
		char **argv = NULL, *cwd = NULL, *log = NULL;
		struct bg_buf name = BG_BUF_INIT;
		while (n_env > base_env)
			free(env[--n_env]), env[n_env] = NULL;
		for (size_t e = 0; e < st->n_env && !rc; e++) {
			char *v;
			rc = bg_config_expand_str(&v, st->env[e], &vars);
			if (!rc) {
				rc = bg_strv_push(&env, &n_env, v);
				free(v);
			}
		}
		if (!rc)
			rc = bg_config_expand_argv(&argv, st->argv, &vars);
		if (!rc)
			rc = bg_config_expand_str(&cwd, st->cwd ? st->cwd : "{src}", &vars);
		if (!rc)
			rc = bg_buf_printf(&name, "%02zu-%s.log", s + 1, st->name);
		if (!rc)
			rc = join3(&log, logs_dir, name.ptr);
		if (rc) {
			/* a bad placeholder in the config: the build cannot run */
			res->ok = 0;
			res->message = bg_strdup(bg_error_last());
			rc = rc == BG_EINPUT ? 0 : rc;
			goto step_done;
		}
		char cmdline[1024];
		bg_argv_format(argv, cmdline, sizeof(cmdline));
		bg_log_verbose("build step %s: %s (in %s)", st->name, cmdline, cwd);
		bg_progress_stage("build %s", st->name);
		struct tick_ctx tc = {log};
		struct bg_proc_opts po = {.argv = argv,
					  .env = env,
					  .cwd = cwd,
					  .stdout_path = log,
					  .stderr_path = log,
					  .timeout_s = st->timeout_s,
					  .pin_cpu = -1,
					  .tick = show_last_line,
					  .tick_arg = &tc};
		struct bg_proc_result pr;
		rc = bg_proc_run(&po, &pr);
		if (rc == 0 && !bg_proc_ok(&pr)) {
			char how[300];
			bg_proc_describe(&pr, how, sizeof(how));
			struct bg_buf m = BG_BUF_INIT, tail = BG_BUF_INIT;
			bg_buf_printf(&m, "build step '%s' failed: %s (log: %s)", st->name, how,
				      log);
			bg_fs_tail(&tail, log, LOG_TAIL_BYTES);
			res->ok = 0;
			res->message = bg_buf_detach(&m);
			res->log_tail = bg_buf_detach(&tail);
		} else if (rc < 0 && rc != BG_EINTR) {
			/* could not even start the process machinery */
			res->ok = 0;
			res->message = bg_strdup(bg_error_last());
			rc = 0;
		}
	step_done:
		bg_strv_free(argv);
		free(cwd);
		free(log);
		bg_buf_free(&name);
	}
	bg_strv_free(env);
	return rc;
}

static int hash_binary(const struct bg_config *cfg, struct bg_build_result *res)
{
	struct bg_vars vars = {res->src_dir, res->build_dir, "", 1, NULL};
	char *prog = NULL;
	if (bg_config_expand_str(&prog, cfg->bench.argv[0], &vars) < 0)
		return 0;
	char hex[65];
	if (strchr(prog, '/') && bg_sha256_file(hex, prog) == 0)
		res->binary_hash = bg_strdup(hex);
	bg_error_clear();
	free(prog);
	return 0;
}

int bg_build_ensure(struct bg_app *app, const struct bg_commit *c, const struct bg_config *cfg,
		    const struct bg_build_opts *opts, struct bg_build_result *res)
{
	memset(res, 0, sizeof(*res));
	struct bg_build_rec rec;
	memset(&rec, 0, sizeof(rec));
	char *root = NULL, *logs = NULL, *out = NULL, *lockpath = NULL;
	int lockfd = -1, found = 0, rc;
	struct bg_buf key = BG_BUF_INIT;

	if ((rc = bg_app_machine(app)) < 0)
		goto done;
	if (!(root = bg_build_cache_root(app)) ||
	    bg_buf_printf(&key, "%.16s-%.16s", c->tree, cfg->build_hash) < 0 ||
	    join3(&res->dir, root, key.ptr) < 0 || join3(&res->src_dir, res->dir, "src") < 0 ||
	    join3(&res->build_dir, res->dir, "build") < 0 || join3(&logs, res->dir, "logs") < 0 ||
	    join3(&out, res->dir, "out") < 0) {
		rc = BG_ENOMEM;
		goto done;
	}
	if ((rc = bg_fs_mkdirs(root)) < 0)
		goto done;
	bg_buf_clear(&key);
	bg_buf_printf(&key, "%s.lock", res->dir);
	lockpath = bg_buf_detach(&key);
	lockfd = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (lockfd < 0) {
		rc = bg_error_set(BG_EINFRA, "%s: %s", lockpath, strerror(errno));
		goto done;
	}
	/* another bitgate building the same key: wait for it, then use its result */
	if (flock(lockfd, LOCK_EX | LOCK_NB) < 0) {
		bg_log_info("waiting for another bitgate building %.12s", c->tree);
		while (flock(lockfd, LOCK_EX) < 0)
			if (errno != EINTR || bg_interrupted(NULL)) {
				rc = bg_error_set(BG_EINTR,
						  "interrupted waiting for the build lock");
				goto done;
			}
	}
	if ((rc = bg_db_build_find(app->db, app->machine_id, c->tree, cfg->build_hash, &rec,
				   &found)) < 0)
		goto done;
	if (found && !opts->rebuild) {
		int usable = !strcmp(rec.status, "ok") && rec.dir && bg_fs_is_dir(res->build_dir);
		if (usable || strcmp(rec.status, "ok")) {
			res->build_id = rec.id;
			res->cached = 1;
			res->ok = usable;
			res->duration_s = rec.duration_s;
			res->binary_hash = bg_strdup(rec.binary_hash);
			if (!usable) {
				char when[32];
				bg_format_time(when, sizeof(when), rec.created);
				struct bg_buf m = BG_BUF_INIT;
				bg_buf_printf(&m,
					      "the build of tree %.12s failed before (%s UTC); "
					      "--rebuild tries again",
					      c->tree, when);
				res->message = bg_buf_detach(&m);
				res->log_tail = bg_strdup(rec.log_tail);
			}
			rc = bg_db_build_touch(app->db, rec.id);
			goto done;
		}
	}

	/* build from scratch: a clean tree, so no stale file of an earlier attempt counts */
	if ((rc = bg_fs_rmtree(res->dir)) < 0 || (rc = bg_fs_mkdirs(res->dir)) < 0)
		goto done;
	bg_progress_stage("materialise %.12s", c->tree);
	if ((rc = bg_git_materialise(app->repo, c, res->src_dir)) < 0)
		goto done;
	if ((rc = bg_fs_mkdirs(res->build_dir)) < 0 || (rc = bg_fs_mkdirs(logs)) < 0 ||
	    (rc = bg_fs_mkdirs(out)) < 0)
		goto done;
	double t0 = bg_now();
	rc = run_steps(app, cfg, opts, res, logs, out);
	res->duration_s = bg_now() - t0;
	if (rc < 0)
		goto done; /* interrupted: record nothing, the build is not to blame */
	if (res->ok)
		hash_binary(cfg, res);

	struct bg_build_rec nrec = {
		.machine_id = app->machine_id,
		.tree = (char *)c->tree,
		.config_hash = (char *)cfg->build_hash,
		.status = res->ok ? "ok" : "failed",
		.duration_s = res->duration_s,
		.log_tail = res->log_tail,
		.binary_hash = res->binary_hash,
		.dir = res->dir,
		.created = bg_unix_time(),
		.last_used = bg_unix_time(),
		.size_bytes = bg_fs_du(res->dir),
	};
	rc = bg_db_build_put(app->db, &nrec, &res->build_id);
done:
	if (rc == BG_EINTR && res->dir)
		bg_fs_rmtree(res->dir);
	if (lockfd >= 0)
		close(lockfd); /* releases the lock */
	bg_db_build_clear(&rec);
	free(root);
	free(logs);
	free(out);
	free(lockpath);
	bg_buf_free(&key);
	return rc;
}
