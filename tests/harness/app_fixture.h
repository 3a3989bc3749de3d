/* A bitgate app over a throwaway repository, as main prepares one for a command: the
 * repository open, one of its commits resolved, the state directory <dir>/.bitgate made
 * and its database open; the common options all off. For the tests of what commands
 * stand on (the build cache, the engine). */
#ifndef APP_FIXTURE_H
#define APP_FIXTURE_H

#include "bg_app.h"
#include "bg_cli.h"
#include "bg_git.h"

struct app_fixture {
	char dir[512];      /* the repository, made by tg_tmpdir */
	struct bg_global g; /* the common options, all off */
	struct bg_app app;
	struct bg_commit c; /* the commit app_fixture_open resolved */
};

/* Opens f->dir's repository, resolves sha into f->c, makes the state directory and opens
 * its database; fails the test on any error. f->dir is already a committed repository. */
void app_fixture_open(struct app_fixture *f, const char *sha);

/* Closes what app_fixture_open opened and removes f->dir. */
void app_fixture_close(struct app_fixture *f);

#endif
