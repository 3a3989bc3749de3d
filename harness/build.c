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
	return bg_path_joined(app->state_dir, "cache");
}

int bg_build_jobs(int jobs)
{
	return jobs > 0 ? jobs : (int)sysconf(_SC_NPROCESSORS_ONLN);
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

/* One build step with its placeholders expanded. */
struct step_cmd {
	char **argv;
	char *cwd;
	char *log; /* <logs>/<NN>-<name>.log: stdout and stderr */
};

static void step_cmd_clear(struct step_cmd *sc)
{
	bg_strv_free(sc->argv);
	free(sc->cwd);
	free(sc->log);
	memset(sc, 0, sizeof(*sc));
}

/* The environment every step gets: bitgate.json's env and ccache's additions. */
static int base_env(struct bg_app *app, const struct bg_config *cfg, char ***env, size_t *n)
{
	int rc = 0;
	for (size_t i = 0; i < cfg->n_env && !rc; i++)
		rc = bg_strv_push(env, n, cfg->env[i]);
	if (!rc)
		rc = bg_build_ccache_env(app, env, n);
	return rc;
}

/* Expands step number s (its env appended to env), and names its log. BG_EINPUT for a bad
 * placeholder in the configuration. */
static int expand_step(struct step_cmd *sc, const struct bg_step *st, size_t s,
		       const struct bg_vars *vars, const char *logs_dir, char ***env, size_t *n_env)
{
	struct bg_buf name = BG_BUF_INIT;
	int rc = 0;
	memset(sc, 0, sizeof(*sc));
	for (size_t e = 0; e < st->n_env && !rc; e++) {
		char *v;
		rc = bg_config_expand_str(&v, st->env[e], vars);
		if (!rc) {
			rc = bg_strv_push(env, n_env, v);
			free(v);
		}
	}
	if (!rc)
		rc = bg_config_expand_argv(&sc->argv, st->argv, vars);
	if (!rc)
		rc = bg_config_expand_str(&sc->cwd, st->cwd ? st->cwd : "{src}", vars);
	if (!rc)
		rc = bg_buf_printf(&name, "%02zu-%s.log", s + 1, st->name);
	if (!rc && !(sc->log = bg_path_joined(logs_dir, name.ptr)))
		rc = BG_ENOMEM;
	bg_buf_free(&name);
	return rc;
}

/* Runs one expanded step; a failure of the step (not of bitgate) goes into res. */
static int run_step(const struct bg_step *st, const struct step_cmd *sc, char *const *env,
		    struct bg_build_result *res)
{
	char cmdline[1024];
	bg_argv_format(sc->argv, cmdline, sizeof(cmdline));
	bg_log_verbose("build step %s: %s (in %s)", st->name, cmdline, sc->cwd);
	bg_progress_stage("build %s", st->name);
	struct bg_proc_opts po = {.argv = sc->argv,
				  .env = env,
				  .cwd = sc->cwd,
				  .stdout_path = sc->log,
				  .stderr_path = sc->log,
				  .timeout_s = st->timeout_s,
				  .pin_cpu = -1,
				  .tick = bg_progress_tick_file,
				  .tick_arg = sc->log};
	struct bg_proc_result pr;
	int rc = bg_proc_run(&po, &pr);
	if (rc == 0 && !bg_proc_ok(&pr)) {
		char how[300];
		bg_proc_describe(&pr, how, sizeof(how));
		struct bg_buf m = BG_BUF_INIT, tail = BG_BUF_INIT;
		bg_buf_printf(&m, "build step '%s' failed: %s (log: %s)", st->name, how, sc->log);
		bg_fs_tail(&tail, sc->log, LOG_TAIL_BYTES);
		res->ok = 0;
		res->message = bg_buf_detach(&m);
		res->log_tail = bg_buf_detach(&tail);
	} else if (rc < 0 && rc != BG_EINTR) {
		/* could not even start the process machinery */
		res->ok = 0;
		res->message = bg_strdup(bg_error_last());
		rc = 0;
	}
	return rc;
}

/* Runs the build steps; fills res->ok, message and log_tail. Negative only when bitgate
 * could not go on (interrupted, out of memory). */
static int run_steps(struct bg_app *app, const struct bg_config *cfg,
		     const struct bg_build_opts *opts, struct bg_build_result *res,
		     const char *logs_dir, const char *out_dir)
{
	struct bg_vars vars = {res->src_dir, res->build_dir, out_dir, bg_build_jobs(opts->jobs),
			       NULL};
	char **env = NULL;
	size_t n_env = 0;
	int rc = base_env(app, cfg, &env, &n_env);
	size_t n_base_env = n_env;
	res->ok = 1;
	for (size_t s = 0; s < cfg->n_build && !rc && res->ok; s++) {
		const struct bg_step *st = &cfg->build[s];
		struct step_cmd sc;
		/* each step's own env replaces the previous step's */
		while (n_env > n_base_env)
			free(env[--n_env]), env[n_env] = NULL;
		rc = expand_step(&sc, st, s, &vars, logs_dir, &env, &n_env);
		if (rc) {
			/* a bad placeholder in the config: the build cannot run */
			res->ok = 0;
			res->message = bg_strdup(bg_error_last());
			rc = rc == BG_EINPUT ? 0 : rc;
		} else {
			rc = run_step(st, &sc, env, res);
		}
		step_cmd_clear(&sc);
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

/* The other paths of a cache entry beside res->dir, src_dir and build_dir. */
struct entry_paths {
	char *root; /* the cache: <state>/cache */
	char *logs; /* one log per build step */
	char *out;  /* {out} for build steps */
	char *lock; /* <dir>.lock */
};

static void entry_paths_clear(struct entry_paths *p)
{
	free(p->root);
	free(p->logs);
	free(p->out);
	free(p->lock);
}

/* The entry of (tree, build configuration): <cache>/<tree>-<config>, 16 hex digits each. */
static int entry_paths(struct bg_app *app, const struct bg_commit *c, const struct bg_config *cfg,
		       struct bg_build_result *res, struct entry_paths *p)
{
	struct bg_buf key = BG_BUF_INIT;
	int rc = 0;
	memset(p, 0, sizeof(*p));
	if (!(p->root = bg_build_cache_root(app)) ||
	    bg_buf_printf(&key, "%.16s-%.16s", c->tree, cfg->build_hash) < 0 ||
	    !(res->dir = bg_path_joined(p->root, key.ptr)) ||
	    !(res->src_dir = bg_path_joined(res->dir, "src")) ||
	    !(res->build_dir = bg_path_joined(res->dir, "build")) ||
	    !(p->logs = bg_path_joined(res->dir, "logs")) ||
	    !(p->out = bg_path_joined(res->dir, "out")))
		rc = BG_ENOMEM;
	bg_buf_clear(&key);
	if (!rc &&
	    (bg_buf_printf(&key, "%s.lock", res->dir) < 0 || !(p->lock = bg_buf_detach(&key))))
		rc = BG_ENOMEM;
	bg_buf_free(&key);
	return rc;
}

/* Locks the entry; another bitgate building the same key: wait for it, then use its result.
 * *fd is the lock's descriptor (closing it releases the lock). */
static int lock_entry(const char *lockpath, const char *tree, int *fd)
{
	*fd = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (*fd < 0)
		return bg_error_set(BG_EINFRA, "%s: %s", lockpath, strerror(errno));
	if (flock(*fd, LOCK_EX | LOCK_NB) < 0) {
		bg_log_info("waiting for another bitgate building %.12s", tree);
		while (flock(*fd, LOCK_EX) < 0)
			if (errno != EINTR || bg_interrupted(NULL))
				return bg_error_set(BG_EINTR,
						    "interrupted waiting for the build lock");
	}
	return 0;
}

/* A recorded build is used as it is when it worked and its directory is still there, or
 * when it failed (not retried without --rebuild); an "ok" record whose directory has gone
 * is built again. Fills res from the record; *used says whether it was. */
static int use_recorded(struct bg_app *app, const struct bg_commit *c,
			const struct bg_build_rec *rec, struct bg_build_result *res, int *used)
{
	int ok = !strcmp(rec->status, "ok");
	int usable = ok && rec->dir && bg_fs_is_dir(res->build_dir);
	*used = usable || !ok;
	if (!*used)
		return 0;
	res->build_id = rec->id;
	res->cached = 1;
	res->ok = usable;
	res->duration_s = rec->duration_s;
	res->binary_hash = bg_strdup(rec->binary_hash);
	if (!usable) {
		char when[32];
		bg_format_time(when, sizeof(when), rec->created);
		struct bg_buf m = BG_BUF_INIT;
		bg_buf_printf(
			&m, "the build of tree %.12s failed before (%s UTC); --rebuild tries again",
			c->tree, when);
		res->message = bg_buf_detach(&m);
		res->log_tail = bg_strdup(rec->log_tail);
	}
	return bg_db_build_touch(app->db, rec->id);
}

/* Records the build's outcome (either way) in the builds table. */
static int record_build(struct bg_app *app, const struct bg_commit *c, const struct bg_config *cfg,
			struct bg_build_result *res)
{
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
	return bg_db_build_put(app->db, &nrec, &res->build_id);
}

/* Builds from scratch into a clean entry, so no stale file of an earlier attempt counts,
 * and records the outcome. */
static int build_fresh(struct bg_app *app, const struct bg_commit *c, const struct bg_config *cfg,
		       const struct bg_build_opts *opts, struct bg_build_result *res,
		       const struct entry_paths *p)
{
	int rc;
	if ((rc = bg_fs_rmtree(res->dir)) < 0 || (rc = bg_fs_mkdirs(res->dir)) < 0)
		return rc;
	bg_progress_stage("materialise %.12s", c->tree);
	if ((rc = bg_git_materialise(app->repo, c, res->src_dir)) < 0) {
		bg_fs_rmtree(res->dir); /* a tree refused (or cut short): no entry of it stays */
		return rc;
	}
	if ((rc = bg_fs_mkdirs(res->build_dir)) < 0 || (rc = bg_fs_mkdirs(p->logs)) < 0 ||
	    (rc = bg_fs_mkdirs(p->out)) < 0)
		return rc;
	double t0 = bg_now();
	rc = run_steps(app, cfg, opts, res, p->logs, p->out);
	res->duration_s = bg_now() - t0;
	if (rc < 0)
		return rc; /* interrupted: record nothing, the build is not to blame */
	if (res->ok)
		hash_binary(cfg, res);
	return record_build(app, c, cfg, res);
}

int bg_build_ensure(struct bg_app *app, const struct bg_commit *c, const struct bg_config *cfg,
		    const struct bg_build_opts *opts, struct bg_build_result *res)
{
	memset(res, 0, sizeof(*res));
	struct bg_build_rec rec;
	memset(&rec, 0, sizeof(rec));
	struct entry_paths p;
	memset(&p, 0, sizeof(p));
	int lockfd = -1, found = 0, used = 0;
	int rc = bg_app_machine(app);
	if (rc < 0 || (rc = entry_paths(app, c, cfg, res, &p)) < 0 ||
	    (rc = bg_fs_mkdirs(p.root)) < 0 || (rc = lock_entry(p.lock, c->tree, &lockfd)) < 0)
		goto done;
	if ((rc = bg_db_build_find(app->db, app->machine_id, c->tree, cfg->build_hash, &rec,
				   &found)) < 0)
		goto done;
	if (found && !opts->rebuild && ((rc = use_recorded(app, c, &rec, res, &used)) < 0 || used))
		goto done;
	rc = build_fresh(app, c, cfg, opts, res, &p);
done:
	if (rc == BG_EINTR && res->dir)
		bg_fs_rmtree(res->dir);
	if (lockfd >= 0)
		close(lockfd); /* releases the lock */
	bg_db_build_clear(&rec);
	entry_paths_clear(&p);
	return rc;
}
