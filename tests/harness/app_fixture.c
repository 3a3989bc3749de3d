/* See app_fixture.h. */
#include "app_fixture.h"

#include <stdlib.h>

#include "bg_db.h"
#include "bg_error.h"
#include "bg_fs.h"
#include "tf.h"

void app_fixture_open(struct app_fixture *f, const char *sha)
{
	f->app.g = &f->g;
	TF_CHECK_EQ(bg_repo_open(&f->app.repo, f->dir), 0);
	TF_CHECK_EQ(bg_git_resolve(f->app.repo, sha, &f->c), 0);
	f->app.state_dir = bg_path_joined(f->dir, ".bitgate");
	TF_CHECK(f->app.state_dir != NULL, "path");
	TF_CHECK_EQ(bg_fs_mkdirs(f->app.state_dir), 0);
	char *db = bg_path_joined(f->app.state_dir, "bitgate.db");
	TF_CHECK(db != NULL, "path");
	int rc = bg_db_open(&f->app.db, db);
	TF_CHECK(rc == 0, "bg_db_open: %s", bg_error_last());
	free(db);
}

void app_fixture_close(struct app_fixture *f)
{
	bg_commit_clear(&f->c);
	bg_db_close(f->app.db);
	bg_repo_free(f->app.repo);
	bg_db_machine_clear(&f->app.machine);
	free(f->app.state_dir);
	bg_fs_rmtree(f->dir);
}
