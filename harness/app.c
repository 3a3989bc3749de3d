/* Opening the repository, the state directory and the database for a command. */
#include "bg_app.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bg_buf.h"
#include "bg_error.h"
#include "bg_fs.h"
#include "bg_log.h"

int bg_app_fail(int code)
{
	bg_log_error("%s", bg_error_last());
	return bg_error_exit_code(code);
}

void bg_app_init(struct bg_app *app, int flags)
{
	memset(app, 0, sizeof(*app));
	app->flags = flags;
}

/* The repository (when flags want one, or for the default database) and its state
 * directory <workdir>/.bitgate. */
static int open_repo(struct bg_app *app)
{
	int rc = bg_repo_open(&app->repo, app->g->repo);
	if (rc < 0) {
		if (app->flags & BG_APP_REPO || !app->g->db) {
			if (!app->g->db && !(app->flags & BG_APP_REPO))
				bg_error_wrap("no --db given and no repository for the "
					      "default .bitgate/bitgate.db");
			return rc;
		}
		bg_error_clear();
		return 0;
	}
	app->workdir = bg_strdup(bg_repo_workdir(app->repo));
	app->state_dir = app->workdir ? bg_path_joined(app->workdir, ".bitgate") : NULL;
	return app->state_dir ? 0 : BG_ENOMEM;
}

/* --db, else .bitgate/bitgate.db; without a repository the state lives beside the
 * database file (a server's database: in .bitgate here). */
static int place_db(struct bg_app *app)
{
	if (app->g->db)
		app->db_path = bg_strdup(app->g->db);
	else
		app->db_path = bg_path_joined(app->state_dir, "bitgate.db");
	if (!app->db_path)
		return BG_ENOMEM;
	if (app->state_dir)
		return 0;
	if (bg_db_is_server(app->db_path))
		return (app->state_dir = bg_strdup(".bitgate")) ? 0 : BG_ENOMEM;
	const char *slash = strrchr(app->db_path, '/');
	struct bg_buf d = BG_BUF_INIT;
	if (bg_buf_put(&d, slash ? app->db_path : ".",
		       slash ? (slash == app->db_path ? 1 : (size_t)(slash - app->db_path)) : 1) <
	    0)
		return BG_ENOMEM;
	app->state_dir = bg_buf_detach(&d);
	return 0;
}

int bg_app_setup(struct bg_app *app)
{
	bg_app_init(app, app->flags);
	app->g = bg_cli_global();
	bg_log_init(app->g->quiet, app->g->verbose);
	int rc = 0;
	if (app->flags & (BG_APP_REPO | BG_APP_REPO_IF_ANY) || !app->g->db)
		rc = open_repo(app);
	if (!rc)
		rc = place_db(app);
	if (!rc && app->flags & BG_APP_DB)
		rc = bg_db_open(&app->db, app->db_path);
	return rc < 0 ? bg_app_fail(rc) : 0;
}

int bg_app_machine(struct bg_app *app)
{
	if (app->machine_id)
		return 0;
	int rc = bg_machine_detect(&app->machine);
	if (rc < 0)
		return rc;
	return bg_db_machine_put(app->db, &app->machine, &app->machine_id);
}

int bg_app_commit_sha(struct bg_app *app, const char *arg, char sha[41])
{
	struct bg_commit_rec c;
	memset(&c, 0, sizeof(c));
	int rc = bg_db_commit_get(app->db, arg, &c);
	if (rc == 0) {
		snprintf(sha, 41, "%s", c.sha);
		bg_db_commit_clear(&c);
		return 0;
	}
	if (!app->repo || rc == BG_EDB)
		return rc;
	/* not stored under that prefix: a branch, tag or HEAD~N names it */
	struct bg_commit gc;
	memset(&gc, 0, sizeof(gc));
	if ((rc = bg_git_resolve(app->repo, arg, &gc)) < 0)
		return rc;
	snprintf(sha, 41, "%s", gc.sha);
	bg_commit_clear(&gc);
	return 0;
}

void bg_app_close(struct bg_app *app)
{
	if (app->db)
		bg_db_close(app->db);
	if (app->repo)
		bg_repo_free(app->repo);
	bg_db_machine_clear(&app->machine);
	free(app->workdir);
	free(app->state_dir);
	free(app->db_path);
	memset(app, 0, sizeof(*app));
}
