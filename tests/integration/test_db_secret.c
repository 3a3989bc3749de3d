/* The database's URI, password and all, stays inside bitgate: a measured commit's build
 * steps (and so its benchmark and tests, which inherit the same environment) never see
 * $BITGATE_DB, so no build log or bench output can carry it into a report or the database. */
#include <stdio.h>
#include <string.h>

#include "bg_buf.h"
#include "bg_db.h"
#include "it_fixture.h"
#include "tf.h"
#include "tg_fixture.h"

/* it_config_json with a first build step that fails when it sees $BITGATE_DB. */
static void config_that_looks(struct fx *f)
{
	const char *steps = strstr(it_config_json, "\"build\": [\n");
	TF_CHECK(steps, "the fixture's bitgate.json has no build list");
	size_t at = (size_t)(steps - it_config_json) + strlen("\"build\": [\n");
	struct bg_buf cfg = BG_BUF_INIT;
	bg_buf_put(&cfg, it_config_json, at);
	bg_buf_puts(&cfg, "    {\"name\": \"look\", \"argv\": [\"sh\", \"-c\", \"test -z "
			  "\\\"$BITGATE_DB\\\" || (echo \\\"BITGATE_DB is $BITGATE_DB\\\"; exit "
			  "1)\"], \"timeout_s\": 60},\n");
	bg_buf_puts(&cfg, it_config_json + at);
	TF_CHECK(tg_write(f->repo, "bitgate.json", cfg.ptr) == 0, "write");
	bg_buf_free(&cfg);
}

TF_TEST(integration__db_uri_stays_out_of_measured_commits)
{
	struct fx f;
	fx_init(&f, "secret");
	config_that_looks(&f);
	char c0[41];
	commit_cost(&f, 1000, 0, 0, c0);
	char env_db[700];
	snprintf(env_db, sizeof(env_db), "BITGATE_DB=%s", f.db);
	char *env[] = {env_db, NULL};
	/* --db wins over the variable, which bitgate still keeps from its children */
	EXPECT_EXIT(0, bitgate_env(&f, env, "run", c0, NULL));
	struct bg_db *db = open_db(&f);
	struct bg_run_rec *runs;
	size_t n = runs_of(db, c0, &runs);
	TF_CHECK(n == 1 && runs[0].complete, "the run: %zu, %s", n, n ? runs[0].status : "none");
	bg_db_run_list_free(runs, n);
	bg_db_close(db);
	fx_done(&f);
}
