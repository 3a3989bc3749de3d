/* What a bitgate command works with: the repository, its .bitgate/ state directory, the
 * database and this machine's record. The command table says what each command needs; main
 * prepares one app per command and closes it once (bg_app_init, bg_app_close), the command
 * opens it with bg_app_setup once its options are parsed. */
#ifndef BG_APP_H
#define BG_APP_H

#include <stdint.h>

#include "bg_cli.h"
#include "bg_db.h"
#include "bg_git.h"

#define BG_VERSION_STRING BITGATE_VERSION

struct bg_app {
	struct bg_global *g;   /* the common options */
	struct bg_repo *repo;  /* NULL unless opened */
	char *workdir;         /* the repository's working directory (absolute), or NULL */
	char *state_dir;       /* <workdir>/.bitgate, or the database's directory without a repo */
	char *db_path;
	struct bg_db *db;      /* NULL unless opened */
	struct bg_machine_rec machine; /* filled by bg_app_machine */
	int64_t machine_id;    /* 0 until bg_app_machine */
	int flags;             /* BG_APP_*: what bg_app_setup opens (the command table's row) */
};

enum {
	BG_APP_REPO = 1, /* a repository is required */
	BG_APP_DB = 2,   /* the database is opened (created if needed) */
	BG_APP_REPO_IF_ANY = 4, /* open the repository when there is one (for the default db) */
};

/* Closes what bg_app_setup opened; safe on an app that was never set up. */
void bg_app_close(struct bg_app *app);

/* An app with nothing open yet, for a command whose table row asks for flags. */
void bg_app_init(struct bg_app *app, int flags);

/* Opens what app->flags ask for: called by the command after its options are parsed, since
 * --repo and --db may follow the command name and neither --help nor a usage error needs a
 * repository. Errors are printed; returns the exit status to use (0 ok). */
int bg_app_setup(struct bg_app *app);

/* Detects this machine and stores it (once); sets app->machine_id. */
int bg_app_machine(struct bg_app *app);

/* Fills m with this machine's description and fingerprint (strings malloc'd). */
int bg_machine_detect(struct bg_machine_rec *m);

/* The full SHA of a commit named by arg: a SHA prefix of a stored commit, else (with a
 * repository) any revision. BG_ENOTFOUND / BG_EINPUT with the name otherwise. */
int bg_app_commit_sha(struct bg_app *app, const char *arg, char sha[41]);

/* Prints bg_error_last() as an error line and returns the exit status for code. */
int bg_app_fail(int code);

#endif
