/* The build cache (harness/build.c) on a throwaway repository with a one-line shell build:
 * the entry's key, a build used again, --rebuild, an entry whose directory went away, a
 * failure recorded and not retried, and the steps in order with their own environments. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app_fixture.h"
#include "bg_buf.h"
#include "bg_build.h"
#include "bg_error.h"
#include "bg_fs.h"
#include "tf.h"
#include "tg_fixture.h"

struct fixture {
	struct app_fixture a;
	struct bg_config *cfg;
};

/* A repository with prog.sh committed, the state under <dir>/.bitgate, and cfg_json as its
 * bitgate.json (parsed here, not read from the commit). */
static void setup(struct fixture *f, const char *tag, const char *cfg_json)
{
	memset(f, 0, sizeof(*f));
	char sha[41];
	TF_CHECK(tg_tmpdir(f->a.dir, sizeof(f->a.dir), tag) == 0, "tg_tmpdir");
	TF_CHECK(tg_repo_init(f->a.dir) == 0, "tg_repo_init");
	TF_CHECK(tg_write(f->a.dir, "prog.sh", "#!/bin/sh\necho prog\n") == 0, "write");
	TF_CHECK(tg_commit(f->a.dir, "one", sha) == 0, "commit");
	app_fixture_open(&f->a, sha);
	int rc = bg_config_parse(&f->cfg, cfg_json, strlen(cfg_json), "test bitgate.json");
	TF_CHECK(rc == 0, "config: %s", bg_error_last());
}

static void teardown(struct fixture *f)
{
	bg_config_free(f->cfg);
	app_fixture_close(&f->a);
}

static void ensure(struct fixture *f, int rebuild, struct bg_build_result *res)
{
	struct bg_build_opts o = {.jobs = 1, .rebuild = rebuild};
	int rc = bg_build_ensure(&f->a.app, &f->a.c, f->cfg, &o, res);
	TF_CHECK(rc == 0, "bg_build_ensure: %d %s", rc, bg_error_last());
}

static int contains(const char *s, const char *part)
{
	return s && strstr(s, part) != NULL;
}

#define COPY_BUILD                                                                                 \
	"{\"version\": 1, \"bench\": {\"argv\": [\"{build}/bin/prog\"]}, \"build\": [{\"name\": "  \
	"\"copy\", \"argv\": [\"sh\", \"-c\", \"mkdir -p {build}/bin && cp prog.sh "               \
	"{build}/bin/prog\"]}]}"

TF_TEST(build__builds_once_then_uses_the_cache)
{
	struct fixture f;
	setup(&f, "build-cache", COPY_BUILD);
	struct bg_build_result r1, r2, r3, r4;
	ensure(&f, 0, &r1);
	TF_CHECK(r1.ok && !r1.cached && r1.build_id > 0, "first build: ok %d cached %d id %lld",
		 r1.ok, r1.cached, (long long)r1.build_id);
	/* the entry is named by 16 hex digits of the tree and of the build configuration */
	char key[48];
	snprintf(key, sizeof(key), "/cache/%.16s-%.16s", f.a.c.tree, f.cfg->build_hash);
	size_t kl = strlen(key), dl = strlen(r1.dir);
	TF_CHECK(dl > kl && !strcmp(r1.dir + dl - kl, key), "entry %s, want ...%s", r1.dir, key);
	TF_CHECK(contains(r1.src_dir, "/src") && contains(r1.build_dir, "/build"), "paths");
	TF_CHECK(r1.binary_hash && strlen(r1.binary_hash) == 64, "binary hash");
	struct bg_buf p = BG_BUF_INIT;
	TF_CHECK_EQ(bg_path_join(&p, r1.build_dir, "bin/prog"), 0);
	TF_CHECK(bg_fs_exists(p.ptr), "%s built", p.ptr);
	TF_CHECK_EQ(bg_path_join(&p, r1.dir, "logs/01-copy.log"), 0);
	TF_CHECK(bg_fs_exists(p.ptr), "%s written", p.ptr);

	/* the same key again: the recorded build, nothing built */
	ensure(&f, 0, &r2);
	TF_CHECK(r2.ok && r2.cached && r2.build_id == r1.build_id, "cached: ok %d cached %d", r2.ok,
		 r2.cached);
	TF_CHECK(r2.binary_hash && !strcmp(r2.binary_hash, r1.binary_hash), "recorded hash");

	/* --rebuild ignores the cache */
	ensure(&f, 1, &r3);
	TF_CHECK(r3.ok && !r3.cached, "rebuild: ok %d cached %d", r3.ok, r3.cached);

	/* a recorded build whose directory went away is built again */
	TF_CHECK_EQ(bg_fs_rmtree(r3.build_dir), 0);
	ensure(&f, 0, &r4);
	TF_CHECK(r4.ok && !r4.cached, "gone: ok %d cached %d", r4.ok, r4.cached);
	bg_buf_free(&p);
	bg_build_result_clear(&r1);
	bg_build_result_clear(&r2);
	bg_build_result_clear(&r3);
	bg_build_result_clear(&r4);
	teardown(&f);
}

TF_TEST(build__failure_is_recorded_and_not_retried)
{
	struct fixture f;
	setup(&f, "build-fail",
	      "{\"version\": 1, \"bench\": {\"argv\": [\"{build}/bin/prog\"]}, \"build\": "
	      "[{\"name\": \"ok\", \"argv\": [\"true\"]}, {\"name\": \"broken\", \"argv\": "
	      "[\"sh\", \"-c\", \"echo the compiler said no >&2; exit 3\"]}, {\"name\": "
	      "\"never\", \"argv\": [\"sh\", \"-c\", \"touch {out}/ran\"]}]}");
	struct bg_build_result r1, r2, r3;
	ensure(&f, 0, &r1);
	TF_CHECK(!r1.ok && !r1.cached && r1.build_id > 0, "failed build recorded: ok %d id %lld",
		 r1.ok, (long long)r1.build_id);
	TF_CHECK(contains(r1.message, "build step 'broken' failed: exit status 3 (log: ") &&
			 contains(r1.message, "logs/02-broken.log)"),
		 "message: %s", r1.message ? r1.message : "(null)");
	TF_CHECK(contains(r1.log_tail, "the compiler said no"), "log tail: %s",
		 r1.log_tail ? r1.log_tail : "(null)");
	TF_CHECK(r1.binary_hash == NULL, "no binary hash for a failed build");
	/* the steps stop at the first failure */
	struct bg_buf p = BG_BUF_INIT;
	TF_CHECK_EQ(bg_path_join(&p, r1.dir, "out/ran"), 0);
	TF_CHECK(!bg_fs_exists(p.ptr), "a step after the failure ran");

	/* not retried: the recorded failure, with a hint */
	ensure(&f, 0, &r2);
	TF_CHECK(!r2.ok && r2.cached && r2.build_id == r1.build_id, "cached failure");
	TF_CHECK(contains(r2.message, "failed before (") &&
			 contains(r2.message, "UTC); --rebuild tries again"),
		 "message: %s", r2.message ? r2.message : "(null)");
	TF_CHECK(contains(r2.log_tail, "the compiler said no"), "recorded log tail");

	/* --rebuild tries again */
	ensure(&f, 1, &r3);
	TF_CHECK(!r3.ok && !r3.cached, "rebuild ran the steps again");
	bg_buf_free(&p);
	bg_build_result_clear(&r1);
	bg_build_result_clear(&r2);
	bg_build_result_clear(&r3);
	teardown(&f);
}

/* each step sees bitgate.json's env and its own, not the previous step's */
TF_TEST(build__steps_run_in_order_with_their_own_env)
{
	struct fixture f;
	setup(&f, "build-env",
	      "{\"version\": 1, \"bench\": {\"argv\": [\"{build}/bin/prog\"]}, "
	      "\"env\": {\"ALL\": \"a\"}, \"build\": ["
	      "{\"name\": \"one\", \"env\": {\"MINE\": \"1\"}, \"argv\": [\"sh\", \"-c\", "
	      "\"echo one $ALL [$MINE] >> {out}/trace\"]}, "
	      "{\"name\": \"two\", \"cwd\": \"{build}\", \"argv\": [\"sh\", \"-c\", "
	      "\"echo two $ALL [$MINE] $(basename $(pwd)) >> {out}/trace\"]}]}");
	struct bg_build_result r;
	ensure(&f, 0, &r);
	TF_CHECK(r.ok, "build: %s", r.message ? r.message : "");
	struct bg_buf p = BG_BUF_INIT, text = BG_BUF_INIT;
	TF_CHECK_EQ(bg_path_join(&p, r.dir, "out/trace"), 0);
	TF_CHECK_EQ(bg_fs_read(&text, p.ptr), 0);
	TF_CHECK(!strcmp(text.ptr, "one a [1]\ntwo a [] build\n"), "trace: %s", text.ptr);
	/* a bench program that is not there has no hash, and that is not a failure */
	TF_CHECK(r.binary_hash == NULL, "hash of a missing program");
	bg_buf_free(&p);
	bg_buf_free(&text);
	bg_build_result_clear(&r);
	teardown(&f);
}

/* A commit whose tree bitgate refuses to check out (a name twice, written raw): the build
 * fails as bad input and leaves no cache entry behind, so the cache holds only builds. */
TF_TEST(build__refused_tree_leaves_no_entry)
{
	struct fixture f;
	memset(&f, 0, sizeof(f));
	char sha[41], tree[41];
	TF_CHECK(tg_tmpdir(f.a.dir, sizeof(f.a.dir), "build-refused") == 0, "tg_tmpdir");
	TF_CHECK(tg_repo_init(f.a.dir) == 0, "tg_repo_init");
	TF_CHECK(tg_write(f.a.dir, "prog.sh", "#!/bin/sh\necho prog\n") == 0, "write");
	TF_CHECK(tg_commit(f.a.dir, "one", sha) == 0, "commit");
	const struct tg_raw_entry twice[] = {{"a", 0100644, NULL, "1\n"},
					     {"a", 0100644, NULL, "2\n"}};
	TF_CHECK(tg_raw_tree(f.a.dir, twice, 2, tree) == 0, "raw tree");
	TF_CHECK(tg_raw_commit(f.a.dir, tree, "hostile", sha) == 0, "raw commit");
	app_fixture_open(&f.a, sha);
	TF_CHECK_EQ(bg_config_parse(&f.cfg, COPY_BUILD, strlen(COPY_BUILD), "test"), 0);
	struct bg_build_opts o = {.jobs = 1};
	struct bg_build_result res;
	TF_CHECK_EQ(bg_build_ensure(&f.a.app, &f.a.c, f.cfg, &o, &res), BG_EINPUT);
	TF_CHECK(contains(bg_error_last(), "'a'") || contains(bg_error_last(), "\"a\""), "%s",
		 bg_error_last());
	TF_CHECK(res.dir && !bg_fs_exists(res.dir), "the entry %s is left", res.dir);
	bg_build_result_clear(&res);
	teardown(&f);
}
