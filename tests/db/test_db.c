/* db/: schema and migrations, typed reads and writes, and the consistency promises: a kill
 * at any moment leaves a clean database, and two writer processes both succeed. */
#include <math.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bg_db.h"
#include "bg_error.h"
#include "bg_fs.h"
#include "db_fixture.h"
#include "db_int.h"
#include "tf.h"

#define SHA_A "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678"
#define SHA_B "a1b2ffff00000000000000000000000000000000"
#define SHA_C "c0ffee0000000000000000000000000000000000"

/* --- fixture --------------------------------------------------------------------------- */

struct fx {
	char dir[256];
	char path[768]; /* db_test_target: dir/sub/bitgate.db (open must make the directory),
			 * or a fresh PostgreSQL database */
	struct bg_db *db;
	int64_t machine;
};

static void fx_init(struct fx *f)
{
	tf_tmpdir_in(f->dir, sizeof(f->dir), "bgdb");
	db_test_target(f->path, sizeof(f->path), f->dir, "sub/bitgate.db");
	f->db = NULL;
	f->machine = 0;
}

static void fx_open(struct fx *f)
{
	CHECK_OK(bg_db_open(&f->db, f->path));
	struct bg_machine_rec m = {.fingerprint = "fp-1",
				   .hostname = "host1",
				   .cpu = "Test CPU",
				   .flags = "avx2 fma",
				   .cores = 8,
				   .mem_bytes = 34359738368LL,
				   .os = "Linux 6.1.0 x86_64"};
	CHECK_OK(bg_db_machine_put(f->db, &m, &f->machine));
	struct bg_commit_rec c = {.sha = SHA_A,
				  .tree = "1111111111111111111111111111111111111111",
				  .subject = "first",
				  .author = "A U Thor <a@example.com>",
				  .time = 1700000000};
	CHECK_OK(bg_db_commit_put(f->db, &c));
}

static void fx_done(struct fx *f)
{
	bg_db_close(f->db);
	f->db = NULL;
	bg_fs_rmtree(f->dir);
}

/* A bench set of n benchmarks with k samples each; benchmark `skip` (or -1) is skipped. */
static struct bg_bench_set *make_set(size_t n, size_t k, int skip, const char *kernel, int checked,
				     double base)
{
	struct bg_bench_set *s = calloc(1, sizeof(*s));
	TF_CHECK(s, "oom");
	s->format = strdup("bitgate-bench/1");
	s->ctx.json = strdup("{\"program\":\"bitnet-bench\",\"threads\":1}");
	s->v = calloc(n, sizeof(*s->v));
	s->n = n;
	for (size_t i = 0; i < n; i++) {
		struct bg_bench *b = &s->v[i];
		char name[64];
		snprintf(name, sizeof(name), "matmul/%s/%zux64x64", kernel ? kernel : "x", i);
		b->name = strdup(name);
		b->unit = strdup("ns");
		b->checked = checked;
		b->kernel = kernel ? strdup(kernel) : NULL;
		if ((int)i == skip) {
			b->skipped = strdup("no AMX here");
			continue;
		}
		b->iterations = 100 + (int64_t)i;
		b->elements = 262144;
		b->bytes = 4096;
		b->samples = calloc(k, sizeof(double));
		b->n_samples = k;
		for (size_t j = 0; j < k; j++)
			b->samples[j] = base + (double)i * 1000 + (double)j + 0.25;
	}
	return s;
}

/* The same names regardless of kernel, so rounds of one run share series. */
static struct bg_bench_set *make_named_set(const char *const *names, size_t n, size_t k,
					   const char *kernel, int checked, double base)
{
	struct bg_bench_set *s = make_set(n, k, -1, kernel, checked, base);
	for (size_t i = 0; i < n; i++) {
		free(s->v[i].name);
		s->v[i].name = strdup(names[i]);
	}
	return s;
}

static int64_t begin_run(struct bg_db *db, int64_t machine, const char *sha, const char *kind,
			 int64_t started)
{
	struct bg_run_rec r = {.kind = (char *)kind,
			       .commit_sha = (char *)sha,
			       .tree = "2222222222222222222222222222222222222222",
			       .machine_id = machine,
			       .config_hash = "cfg",
			       .env_json = "{}",
			       .harness_version = "0.1.0",
			       .started = started};
	CHECK_OK(bg_db_run_begin(db, &r));
	free(r.uuid);
	return r.id;
}

/* --- schema ---------------------------------------------------------------------------- */

/* SQLite: the file is in WAL mode */
static void check_wal(const char *path)
{
	sqlite3 *h;
	sqlite3_stmt *s;
	TF_CHECK(bg_fs_exists(path), "database file %s not created", path);
	TF_CHECK(sqlite3_open(path, &h) == SQLITE_OK, "open");
	TF_CHECK(sqlite3_prepare_v2(h, "PRAGMA journal_mode", -1, &s, NULL) == SQLITE_OK, "pragma");
	TF_CHECK(sqlite3_step(s) == SQLITE_ROW, "step");
	CHECK_STR((const char *)sqlite3_column_text(s, 0), "wal");
	sqlite3_finalize(s);
	sqlite3_close(h);
}

TF_TEST(db__open_creates_schema)
{
	struct fx f;
	fx_init(&f);
	fx_open(&f);
	TF_CHECK(bg_db_schema_version() >= 1, "schema version %d", bg_db_schema_version());
	TF_CHECK_EQ(db_raw_version(f.path), bg_db_schema_version());
	static const char *const tables[] = {"machines",   "commits", "builds",       "runs",
					     "series",     "results", "samples",      "test_suites",
					     "test_cases", "errors",  "bench_outputs"};
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		char sql[160];
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", tables[i]);
		TF_CHECK(db_raw_count(f.path, sql) >= 0, "table %s missing", tables[i]);
	}
	struct bg_buf report = BG_BUF_INIT;
	CHECK_OK(bg_db_check(f.db, &report));
	CHECK_STR(bg_buf_cstr(&report), "ok\n");
	bg_buf_free(&report);
	bg_db_close(f.db);

	/* re-open: nothing to migrate, the data is still there (SQLite: WAL persisted) */
	CHECK_OK(bg_db_open(&f.db, f.path));
	TF_CHECK_EQ(db_raw_version(f.path), bg_db_schema_version());
	struct bg_machine_rec m;
	CHECK_OK(bg_db_machine_get(f.db, f.machine, &m));
	CHECK_STR(m.hostname, "host1");
	bg_db_machine_clear(&m);
	if (!db_test_pg())
		check_wal(f.path);
	fx_done(&f);
}

TF_TEST(db__newer_schema_refused)
{
	struct fx f;
	fx_init(&f);
	fx_open(&f);
	bg_db_close(f.db);
	f.db = NULL;
	db_raw_set_version(f.path, bg_db_schema_version() + 1);
	struct bg_db *db = NULL;
	int rc = bg_db_open(&db, f.path);
	TF_CHECK_EQ(rc, BG_EDB);
	TF_CHECK(db == NULL, "out not NULL on failure");
	TF_CHECK(strstr(bg_error_last(), "newer") && strstr(bg_error_last(), db_test_shown(f.path)),
		 "message: %s", bg_error_last());
	fx_done(&f);
}

/* A decision's modes are stored with it, in order, and each mode's run finds it. */
TF_TEST(db__decision_modes_stored_and_found)
{
	struct fx f;
	fx_init(&f);
	fx_open(&f);
	int64_t a = begin_run(f.db, f.machine, SHA_A, "ci", 1);
	int64_t b = begin_run(f.db, f.machine, SHA_A, "ci", 2);
	int64_t m = begin_run(f.db, f.machine, SHA_A, "ci", 3);
	struct bg_db_mode_run modes[] = {{"strict", m}, {"trace", 0}};
	int64_t id, of;
	CHECK_OK(bg_db_decision_put(f.db, "ci", a, b, modes, 2, "success", "{}", &id));
	CHECK_OK(bg_db_decision_of_run(f.db, m, &of));
	TF_CHECK_EQ(of, id);
	TF_CHECK_EQ(db_raw_count(f.path, "SELECT count(*) FROM decision_modes WHERE name = "
					 "'trace' AND position = 1 AND run_id IS NULL"),
		    1);
	fx_done(&f);
}

/* A database from before modes were general: its strict runs become the mode "strict". */
TF_TEST(db__strict_runs_migrate_to_modes)
{
	struct fx f;
	fx_init(&f);
	CHECK_OK(db_open_at_version(&f.db, f.path, 3)); /* as bitgate left it before modes */
	struct bg_machine_rec m = {.fingerprint = "fp-1"};
	CHECK_OK(bg_db_machine_put(f.db, &m, &f.machine));
	int64_t a = begin_run(f.db, f.machine, SHA_A, "ci", 1);
	int64_t s = begin_run(f.db, f.machine, SHA_A, "ci", 2);
	bg_db_close(f.db);
	f.db = NULL;
	char sql[300];
	snprintf(sql, sizeof(sql),
		 "INSERT INTO decisions (kind, base_run_id, head_run_id, strict_run_id, "
		 "conclusion, created, decision) VALUES ('ci', %lld, %lld, %lld, 'success', 5, "
		 "'{}')",
		 (long long)a, (long long)a, (long long)s);
	db_raw_exec(f.path, sql);
	CHECK_OK(bg_db_open(&f.db, f.path));
	int64_t of;
	CHECK_OK(bg_db_decision_of_run(f.db, s, &of));
	TF_CHECK_EQ(db_raw_count(f.path, "SELECT count(*) FROM decision_modes WHERE name = "
					 "'strict' AND position = 0"),
		    1);
	TF_CHECK_EQ(db_raw_count(f.path, "SELECT count(*) FROM decisions WHERE strict_run_id "
					 "IS NOT NULL"),
		    0);
	struct bg_buf report = BG_BUF_INIT;
	CHECK_OK(bg_db_check(f.db, &report));
	CHECK_STR(bg_buf_cstr(&report), "ok\n");
	bg_buf_free(&report);
	fx_done(&f);
}

/* Migration 6 (samples without their foreign key) keeps every sample of an older
 * database. */
TF_TEST(db__samples_survive_migration_6)
{
	struct fx f;
	fx_init(&f);
	CHECK_OK(db_open_at_version(&f.db, f.path, 5));
	struct bg_machine_rec m = {.fingerprint = "fp-1"};
	CHECK_OK(bg_db_machine_put(f.db, &m, &f.machine));
	int64_t id = begin_run(f.db, f.machine, SHA_A, "nightly", 1);
	struct bg_bench_set *s = make_set(3, 5, -1, "avx2", 1, 10);
	CHECK_OK(bg_db_run_add_bench(f.db, id, 0, "default", "", s));
	CHECK_OK(bg_db_run_finish(f.db, id, "ok", 1));
	bg_db_close(f.db);
	CHECK_OK(bg_db_open(&f.db, f.path));
	TF_CHECK_EQ(db_raw_version(f.path), bg_db_schema_version());
	struct bg_result_rec *res;
	size_t nr;
	CHECK_OK(bg_db_run_results(f.db, id, &res, &nr));
	TF_CHECK_EQ(nr, 3);
	for (size_t i = 0; i < nr; i++) {
		TF_CHECK_EQ(res[i].n, 5);
		TF_CHECK(res[i].samples[4] == s->v[i].samples[4], "result %zu: %g, want %g", i,
			 res[i].samples[4], s->v[i].samples[4]);
	}
	bg_db_results_free(res, nr);
	bg_bench_set_free(s);
	CHECK_OK(bg_db_check(f.db, NULL));
	fx_done(&f);
}

/* Opening target fails with BG_EDB naming the server's host and database, not secret. */
static void refused(const char *target, const char *secret)
{
	struct bg_db *db = NULL;
	TF_CHECK_EQ(bg_db_open(&db, target), BG_EDB);
	TF_CHECK(db == NULL, "out not NULL on failure");
	const char *msg = bg_error_last();
	TF_CHECK(strstr(msg, "postgresql://127.0.0.1:") && strstr(msg, "/" PG_FIXTURE_DB),
		 "message names no host and database: %s", msg);
	TF_CHECK(!strstr(msg, secret), "message shows the password: %s", msg);
}

/* SQLite: a file that is not a database; PostgreSQL: a server that is not there, and a
 * wrong password. Each a BG_EDB naming the database, never the password. */
TF_TEST(db__not_a_database_refused)
{
	struct fx f;
	fx_init(&f);
	CHECK_OK(bg_fs_mkdirs(f.dir));
	struct bg_db *db = NULL;
	if (db_test_pg()) {
		fx_done(&f);
		refused(pg_fixture_dead_conninfo("no-such-server-pw"), "no-such-server-pw");
		refused(pg_fixture_tcp_conninfo("a-wrong-password"), "a-wrong-password");
		CHECK_OK(bg_db_open(&db, pg_fixture_tcp_conninfo(PG_FIXTURE_PASSWORD)));
		bg_db_close(db);
		return;
	}
	char path[300];
	snprintf(path, sizeof(path), "%s/junk.db", f.dir);
	const char junk[] = "this is not an SQLite database, not at all, no header here at all..";
	CHECK_OK(bg_fs_write(path, junk, sizeof(junk)));
	TF_CHECK_EQ(bg_db_open(&db, path), BG_EDB);
	TF_CHECK(strstr(bg_error_last(), path), "message names no path: %s", bg_error_last());
	fx_done(&f);
}

/* --- machines and commits ---------------------------------------------------------------- */

TF_TEST(db__machine_put_idempotent)
{
	struct fx f;
	fx_init(&f);
	fx_open(&f);
	int64_t id1, id2, id3;
	struct bg_machine_rec m = {.fingerprint = "fp-2",
				   .hostname = "h",
				   .cpu = "c",
				   .cores = 4,
				   .mem_bytes = 1024,
				   .gpu = "RTX"};
	CHECK_OK(bg_db_machine_put(f.db, &m, &id1));
	m.hostname = "renamed"; /* same fingerprint: the same machine, left as it was */
	CHECK_OK(bg_db_machine_put(f.db, &m, &id2));
	TF_CHECK_EQ(id1, id2);
	TF_CHECK(id1 != f.machine, "distinct fingerprints share id %lld", (long long)id1);
	m.fingerprint = "fp-3";
	CHECK_OK(bg_db_machine_put(f.db, &m, &id3));
	TF_CHECK(id3 != id1, "new fingerprint reused an id");
	TF_CHECK_EQ(db_raw_count(f.path, "SELECT count(*) FROM machines"), 3);

	struct bg_machine_rec got;
	CHECK_OK(bg_db_machine_get(f.db, id1, &got));
	TF_CHECK_EQ(got.id, id1);
	CHECK_STR(got.fingerprint, "fp-2");
	CHECK_STR(got.hostname, "h");
	CHECK_STR(got.gpu, "RTX");
	TF_CHECK(got.os == NULL && got.flags == NULL, "NULL fields came back non-NULL");
	TF_CHECK_EQ(got.cores, 4);
	TF_CHECK_EQ(got.mem_bytes, 1024);
	bg_db_machine_clear(&got);
	CHECK_OK(bg_db_machine_get(f.db, f.machine, &got));
	TF_CHECK_EQ(got.mem_bytes, 34359738368LL);
	bg_db_machine_clear(&got);

	TF_CHECK_EQ(bg_db_machine_get(f.db, 9999, &got), BG_ENOTFOUND);
	struct bg_machine_rec nofp = {.hostname = "x"};
	TF_CHECK_EQ(bg_db_machine_put(f.db, &nofp, &id1), BG_EINPUT);
	fx_done(&f);
}

TF_TEST(db__commit_put_idempotent)
{
	struct fx f;
	fx_init(&f);
	fx_open(&f);
	struct bg_commit_rec c = {
		.sha = SHA_A, .tree = "ffff", .subject = "changed?", .author = "B", .time = 1};
	CHECK_OK(bg_db_commit_put(f.db, &c)); /* commits never change: ignored */
	TF_CHECK_EQ(db_raw_count(f.path, "SELECT count(*) FROM commits"), 1);
	struct bg_commit_rec got;
	CHECK_OK(bg_db_commit_get(f.db, SHA_A, &got));
	CHECK_STR(got.sha, SHA_A);
	CHECK_STR(got.tree, "1111111111111111111111111111111111111111");
	CHECK_STR(got.subject, "first");
	CHECK_STR(got.author, "A U Thor <a@example.com>");
	TF_CHECK(got.parent == NULL, "root commit has a parent");
	TF_CHECK_EQ(got.time, 1700000000);
	bg_db_commit_clear(&got);

	/* a run may name a commit first; commit_put then fills in its details */
	begin_run(f.db, f.machine, SHA_C, "local", 10);
	CHECK_OK(bg_db_commit_get(f.db, SHA_C, &got));
	TF_CHECK(got.tree == NULL, "stub commit has a tree");
	bg_db_commit_clear(&got);
	struct bg_commit_rec c2 = {.sha = SHA_C,
				   .tree = "3333",
				   .parent = SHA_A,
				   .subject = "second",
				   .author = "C",
				   .time = 1700000100};
	CHECK_OK(bg_db_commit_put(f.db, &c2));
	CHECK_OK(bg_db_commit_get(f.db, SHA_C, &got));
	CHECK_STR(got.tree, "3333");
	CHECK_STR(got.parent, SHA_A);
	CHECK_STR(got.subject, "second");
	bg_db_commit_clear(&got);
	TF_CHECK_EQ(db_raw_count(f.path, "SELECT count(*) FROM commits"), 2);
	TF_CHECK_EQ(bg_db_commit_put(f.db, &(struct bg_commit_rec){.tree = "x"}), BG_EINPUT);
	fx_done(&f);
}

TF_TEST(db__commit_prefix_lookup)
{
	struct fx f;
	fx_init(&f);
	fx_open(&f);
	struct bg_commit_rec b = {.sha = SHA_B, .tree = "t", .subject = "b", .time = 2};
	struct bg_commit_rec c = {.sha = SHA_C, .tree = "t", .subject = "c", .time = 3};
	CHECK_OK(bg_db_commit_put(f.db, &b));
	CHECK_OK(bg_db_commit_put(f.db, &c));
	struct bg_commit_rec got;

	CHECK_OK(bg_db_commit_get(f.db, "c0f", &got));
	CHECK_STR(got.sha, SHA_C);
	bg_db_commit_clear(&got);
	CHECK_OK(bg_db_commit_get(f.db, "A1B2C", &got)); /* upper case is the same SHA */
	CHECK_STR(got.sha, SHA_A);
	bg_db_commit_clear(&got);
	CHECK_OK(bg_db_commit_get(f.db, "a1b2f", &got));
	CHECK_STR(got.sha, SHA_B);
	bg_db_commit_clear(&got);

	TF_CHECK_EQ(bg_db_commit_get(f.db, "a1b2", &got), BG_EINPUT);
	TF_CHECK(strstr(bg_error_last(), "a1b2") && strstr(bg_error_last(), "ambiguous"),
		 "message: %s", bg_error_last());
	TF_CHECK(got.sha == NULL, "out filled on failure");
	TF_CHECK_EQ(bg_db_commit_get(f.db, "dead", &got), BG_ENOTFOUND);
	TF_CHECK(strstr(bg_error_last(), "dead"), "message: %s", bg_error_last());
	TF_CHECK_EQ(bg_db_commit_get(f.db, "main", &got), BG_ENOTFOUND);
	TF_CHECK_EQ(bg_db_commit_get(f.db, SHA_C "0", &got), BG_ENOTFOUND);
	TF_CHECK_EQ(bg_db_commit_get(f.db, "", &got), BG_EINPUT);
	fx_done(&f);
}

/* --- builds ---------------------------------------------------------------------------- */

/* Builds a (tA, ok, in /cache/a) and c (tC, failed, no directory) found by their key, and
 * a key with no build not found. */
static void check_build_finds(struct fx *f, int64_t a)
{
	struct bg_build_rec got;
	int found = -1;
	CHECK_OK(bg_db_build_find(f->db, f->machine, "tA", "h1", &got, &found));
	TF_CHECK_EQ(found, 1);
	TF_CHECK_EQ(got.id, a);
	CHECK_STR(got.status, "ok");
	CHECK_STR(got.binary_hash, "bin-a");
	TF_CHECK(got.duration_s == 12.5, "duration %g", got.duration_s);
	TF_CHECK_EQ(got.created, 90);
	TF_CHECK_EQ(got.last_used, 100);
	TF_CHECK_EQ(got.size_bytes, 5000);
	TF_CHECK(got.log_tail == NULL, "log tail of an ok build");
	bg_db_build_clear(&got);
	CHECK_OK(bg_db_build_find(f->db, f->machine, "tC", "h1", &got, &found));
	TF_CHECK_EQ(found, 1);
	CHECK_STR(got.log_tail, "error: boom\n");
	TF_CHECK(got.dir == NULL && got.binary_hash == NULL, "failed build has dir/hash");
	TF_CHECK_EQ(got.last_used, 60); /* defaults to created */
	bg_db_build_clear(&got);
	CHECK_OK(bg_db_build_find(f->db, f->machine, "tA", "other", &got, &found));
	TF_CHECK_EQ(found, 0);
}

/* The same key replaces build a's row and keeps its id (runs refer to it). */
static void check_build_replace(struct fx *f, struct bg_build_rec *ba, int64_t a)
{
	int64_t a2;
	struct bg_build_rec got;
	int found = -1;
	ba->status = "failed";
	ba->binary_hash = NULL;
	CHECK_OK(bg_db_build_put(f->db, ba, &a2));
	TF_CHECK_EQ(a2, a);
	CHECK_OK(bg_db_build_find(f->db, f->machine, "tA", "h1", &got, &found));
	CHECK_STR(got.status, "failed");
	TF_CHECK(got.binary_hash == NULL, "binary hash kept after replace");
	bg_db_build_clear(&got);
	TF_CHECK_EQ(db_raw_count(f->path, "SELECT count(*) FROM builds"), 3);
}

/* Touching b makes a the least recently used; forgetting a's directory leaves b listed;
 * neither knows an id with no build. */
static void check_build_touch_forget(struct fx *f, int64_t a, int64_t b)
{
	struct bg_build_rec *v;
	size_t n;
	CHECK_OK(bg_db_build_touch(f->db, b));
	CHECK_OK(bg_db_build_list(f->db, &v, &n));
	TF_CHECK_EQ(n, 2);
	TF_CHECK_EQ(v[0].id, a);
	TF_CHECK_EQ(v[1].id, b);
	TF_CHECK(v[1].last_used >= (int64_t)time(NULL) - 60, "touch did not set now");
	bg_db_build_list_free(v, n);

	CHECK_OK(bg_db_build_forget_dir(f->db, a));
	CHECK_OK(bg_db_build_list(f->db, &v, &n));
	TF_CHECK_EQ(n, 1);
	TF_CHECK_EQ(v[0].id, b);
	bg_db_build_list_free(v, n);
	struct bg_build_rec got;
	int found = -1;
	CHECK_OK(bg_db_build_find(f->db, f->machine, "tA", "h1", &got, &found));
	TF_CHECK(found == 1 && got.dir == NULL, "forgotten dir still set");
	bg_db_build_clear(&got);

	TF_CHECK_EQ(bg_db_build_touch(f->db, 9999), BG_ENOTFOUND);
	TF_CHECK_EQ(bg_db_build_forget_dir(f->db, 9999), BG_ENOTFOUND);
}

TF_TEST(db__build_cache_records)
{
	struct fx f;
	fx_init(&f);
	fx_open(&f);
	int64_t a, b, c;
	struct bg_build_rec ba = {.machine_id = f.machine,
				  .tree = "tA",
				  .config_hash = "h1",
				  .status = "ok",
				  .duration_s = 12.5,
				  .binary_hash = "bin-a",
				  .dir = "/cache/a",
				  .created = 90,
				  .last_used = 100,
				  .size_bytes = 5000};
	struct bg_build_rec bb = {.machine_id = f.machine,
				  .tree = "tB",
				  .config_hash = "h1",
				  .status = "ok",
				  .dir = "/cache/b",
				  .created = 40,
				  .last_used = 50};
	struct bg_build_rec bc = {.machine_id = f.machine,
				  .tree = "tC",
				  .config_hash = "h1",
				  .status = "failed",
				  .log_tail = "error: boom\n",
				  .created = 60};
	CHECK_OK(bg_db_build_put(f.db, &ba, &a));
	CHECK_OK(bg_db_build_put(f.db, &bb, &b));
	CHECK_OK(bg_db_build_put(f.db, &bc, &c));
	TF_CHECK(a != b && b != c && a != c, "build ids not distinct");

	struct bg_build_rec *v;
	size_t n;
	CHECK_OK(bg_db_build_list(f.db, &v, &n));
	TF_CHECK_EQ(n, 2);       /* the failed build has no directory */
	TF_CHECK_EQ(v[0].id, b); /* least recently used first */
	TF_CHECK_EQ(v[1].id, a);
	CHECK_STR(v[1].dir, "/cache/a");
	bg_db_build_list_free(v, n);

	check_build_finds(&f, a);
	check_build_replace(&f, &ba, a);
	check_build_touch_forget(&f, a, b);
	fx_done(&f);
}

/* --- runs ------------------------------------------------------------------------------ */

static const char *const names3[] = {"gemv/avx2/4096x4096", "matmul/amx/256x256x256",
				     "matmul/avx2/256x256x256"};

/* Run id's benchmarks in two rounds: round 0 skips amx and runs avx2 kernels; in round 1
 * one kernel differs and one benchmark is not checked. */
static void store_run_benches(struct bg_db *db, int64_t id)
{
	struct bg_bench_set *s0 = make_named_set(names3, 3, 4, "avx2", 1, 1000);
	free(s0->v[1].kernel);
	s0->v[1].kernel = NULL;
	free(s0->v[1].samples);
	s0->v[1].samples = NULL;
	s0->v[1].n_samples = 0;
	s0->v[1].skipped = strdup("no AMX here");
	s0->v[1].checked = -1;
	struct bg_bench_set *s1 = make_named_set(names3, 3, 3, "avx2", 1, 2000);
	free(s1->v[0].kernel);
	s1->v[0].kernel = strdup("avx512");
	s1->v[2].checked = 0;
	s1->v[2].iterations = 777;
	free(s1->v[1].samples);
	s1->v[1].samples = NULL;
	s1->v[1].n_samples = 0;
	s1->v[1].skipped = strdup("no AMX here");
	s1->v[1].checked = -1;
	free(s1->v[1].kernel);
	s1->v[1].kernel = NULL;
	CHECK_OK(bg_db_run_add_bench(db, id, 0, "default", "threads=1", s0));
	CHECK_OK(bg_db_run_add_bench(db, id, 1, "default", "threads=1", s1));
	bg_bench_set_free(s0);
	bg_bench_set_free(s1);
}

/* Run id's test suite (one passed, one failed, one skipped) and two errors; then its build,
 * and it finishes. */
static void store_run_tests_and_errors(struct bg_db *db, int64_t id, int64_t build)
{
	struct bg_test_case cases[] = {
		{.name = "t_pass", .classname = "cpu", .outcome = BG_TEST_PASSED, .time_s = 0.5},
		{.name = "t_fail", .outcome = BG_TEST_FAILED, .message = "expected 1 got 2"},
		{.name = "t_skip", .outcome = BG_TEST_SKIPPED, .message = "no GPU"},
	};
	struct bg_test_suite suite = {
		.suite = "cpu", .passed = 1, .failed = 1, .skipped = 1, .cases = cases, .n = 3};
	CHECK_OK(bg_db_run_add_tests(db, id, &suite));
	CHECK_OK(bg_db_run_add_error(db, id, "tests", "1 test failed", "t_fail: boom"));
	CHECK_OK(bg_db_run_add_error(db, id, "bench", "slow", NULL));
	CHECK_OK(bg_db_run_set_build(db, id, build));
	CHECK_OK(bg_db_run_finish(db, id, "tests-failed", 1));
}

/* The run record read back is the one begun, finished, with its build and sample count. */
static void check_run_record(const struct fx *f, const struct bg_run_rec *r, const char *uuid,
			     int64_t build)
{
	struct bg_run_rec got;
	CHECK_OK(bg_db_run_get(f->db, r->id, &got));
	CHECK_STR(got.uuid, uuid);
	CHECK_STR(got.kind, "ci");
	CHECK_STR(got.commit_sha, SHA_A);
	TF_CHECK_EQ(got.worktree, 1);
	CHECK_STR(got.tree, "wt");
	TF_CHECK_EQ(got.machine_id, f->machine);
	TF_CHECK_EQ(got.build_id, build);
	CHECK_STR(got.config_hash, "cfg1");
	CHECK_STR(got.env_json, "{\"BITNET_KERNEL\":\"avx2\"}");
	CHECK_STR(got.harness_version, "0.1.0");
	CHECK_STR(got.label, "head");
	TF_CHECK_EQ(got.started, r->started);
	TF_CHECK(got.finished >= got.started, "finished %lld", (long long)got.finished);
	TF_CHECK_EQ(got.complete, 1);
	CHECK_STR(got.status, "tests-failed");
	TF_CHECK_EQ(got.n_samples, 2 * 4 + 2 * 3);
	bg_db_run_clear(&got);
	TF_CHECK_EQ(bg_db_run_get(f->db, 9999, &got), BG_ENOTFOUND);
}

/* Run id's results: one per series, the rounds merged, ordered by name. */
static void check_run_results(struct bg_db *db, int64_t id)
{
	struct bg_result_rec *res;
	size_t n;
	CHECK_OK(bg_db_run_results(db, id, &res, &n));
	TF_CHECK_EQ(n, 3); /* per series, rounds merged; ordered by name */
	CHECK_STR(res[0].benchmark, names3[0]);
	CHECK_STR(res[0].params, "threads=1");
	CHECK_STR(res[0].metric, "ns");
	CHECK_STR(res[0].mode, "default");
	CHECK_STR(res[0].kernel, "avx2,avx512");
	TF_CHECK_EQ(res[0].checked, 1);
	TF_CHECK(res[0].skipped == NULL, "ran but skipped");
	TF_CHECK_EQ(res[0].n, 7);
	static const double want0[] = {1000.25, 1001.25, 1002.25, 1003.25,
				       2000.25, 2001.25, 2002.25};
	static const int rounds0[] = {0, 0, 0, 0, 1, 1, 1};
	for (size_t i = 0; i < 7; i++) {
		TF_CHECK(res[0].samples[i] == want0[i], "sample %zu: %g", i, res[0].samples[i]);
		TF_CHECK_EQ(res[0].rounds[i], rounds0[i]);
	}
	TF_CHECK(res[0].elements == 262144 && res[0].bytes == 4096, "elements/bytes");

	CHECK_STR(res[1].benchmark, names3[1]);
	CHECK_STR(res[1].skipped, "no AMX here");
	TF_CHECK_EQ(res[1].n, 0);
	TF_CHECK(res[1].kernel == NULL, "skipped has kernel %s", res[1].kernel);
	TF_CHECK_EQ(res[1].checked, -1);

	CHECK_STR(res[2].benchmark, names3[2]);
	CHECK_STR(res[2].kernel, "avx2");
	TF_CHECK_EQ(res[2].checked, 0);      /* round 1 said not verified */
	TF_CHECK_EQ(res[2].iterations, 777); /* of the last round */
	TF_CHECK_EQ(res[2].n, 7);
	TF_CHECK(res[2].samples[6] == 4002.25, "last sample %g", res[2].samples[6]);
	bg_db_results_free(res, n);
}

/* Run id's one test suite, its counts and cases as stored. */
static void check_run_tests(struct bg_db *db, int64_t id)
{
	struct bg_test_suite **suites;
	size_t n;
	CHECK_OK(bg_db_run_tests(db, id, &suites, &n));
	TF_CHECK_EQ(n, 1);
	CHECK_STR(suites[0]->suite, "cpu");
	TF_CHECK(suites[0]->passed == 1 && suites[0]->failed == 1 && suites[0]->skipped == 1 &&
			 suites[0]->errored == 0,
		 "suite counts");
	TF_CHECK_EQ(suites[0]->n, 3);
	CHECK_STR(suites[0]->cases[0].name, "t_pass");
	CHECK_STR(suites[0]->cases[0].classname, "cpu");
	TF_CHECK(suites[0]->cases[0].time_s == 0.5, "time");
	TF_CHECK_EQ(suites[0]->cases[1].outcome, BG_TEST_FAILED);
	CHECK_STR(suites[0]->cases[1].message, "expected 1 got 2");
	TF_CHECK_EQ(suites[0]->cases[2].outcome, BG_TEST_SKIPPED);
	bg_db_tests_free(suites, n);
}

/* Run id's two errors in the order added, and the run list: this one run, all its samples. */
static void check_run_errors_and_list(struct bg_db *db, int64_t id, const char *uuid)
{
	struct bg_error_rec *errs;
	size_t n;
	CHECK_OK(bg_db_run_errors(db, id, &errs, &n));
	TF_CHECK_EQ(n, 2);
	CHECK_STR(errs[0].stage, "tests");
	CHECK_STR(errs[0].message, "1 test failed");
	CHECK_STR(errs[0].detail, "t_fail: boom");
	TF_CHECK(errs[0].time > 0, "error time");
	CHECK_STR(errs[1].stage, "bench");
	TF_CHECK(errs[1].detail == NULL, "detail");
	bg_db_errors_free(errs, n);

	struct bg_run_rec *v;
	CHECK_OK(bg_db_run_list(db, NULL, &v, &n));
	TF_CHECK_EQ(n, 1);
	CHECK_STR(v[0].uuid, uuid);
	TF_CHECK_EQ(v[0].n_samples, 14);
	bg_db_run_list_free(v, n);
}

TF_TEST(db__run_lifecycle)
{
	struct fx f;
	fx_init(&f);
	fx_open(&f);
	int64_t build;
	struct bg_build_rec b = {.machine_id = f.machine,
				 .tree = "t",
				 .config_hash = "h",
				 .status = "ok",
				 .dir = "/d",
				 .binary_hash = "bh"};
	CHECK_OK(bg_db_build_put(f.db, &b, &build));

	struct bg_run_rec r = {.kind = "ci",
			       .commit_sha = SHA_A,
			       .worktree = 1,
			       .tree = "wt",
			       .machine_id = f.machine,
			       .config_hash = "cfg1",
			       .env_json = "{\"BITNET_KERNEL\":\"avx2\"}",
			       .harness_version = "0.1.0",
			       .label = "head"};
	CHECK_OK(bg_db_run_begin(f.db, &r));
	TF_CHECK(r.id > 0, "run id %lld", (long long)r.id);
	TF_CHECK(r.uuid && strlen(r.uuid) == 36 && r.uuid[14] == '4', "uuid %s",
		 r.uuid ? r.uuid : "(null)");
	TF_CHECK(r.started >= (int64_t)time(NULL) - 60, "started not set to now");
	char *uuid = r.uuid;

	store_run_benches(f.db, r.id);
	store_run_tests_and_errors(f.db, r.id, build);
	check_run_record(&f, &r, uuid, build);
	check_run_results(f.db, r.id);
	check_run_tests(f.db, r.id);
	check_run_errors_and_list(f.db, r.id, uuid);

	struct bg_buf report = BG_BUF_INIT;
	CHECK_OK(bg_db_check(f.db, &report));
	bg_buf_free(&report);
	free(uuid);
	fx_done(&f);
}

TF_TEST(db__samples_kept_in_order)
{
	/* sizes around the 32-row insert batches */
	static const size_t sizes[] = {1, 31, 32, 33, 64, 100, 257};
	const size_t nb = sizeof(sizes) / sizeof(sizes[0]);
	struct fx f;
	fx_init(&f);
	fx_open(&f);
	int64_t id = begin_run(f.db, f.machine, SHA_A, "ci", 0);
	tf_seed(7);
	struct bg_bench_set *s = make_set(nb, 1, -1, "avx2", 1, 0);
	for (size_t i = 0; i < nb; i++) {
		struct bg_bench *b = &s->v[i];
		free(b->samples);
		b->samples = calloc(sizes[i], sizeof(double));
		b->n_samples = sizes[i];
		for (size_t k = 0; k < sizes[i]; k++)
			b->samples[k] = (double)(tf_rand() >> 11) * 0x1p-40;
	}
	CHECK_OK(bg_db_run_add_bench(f.db, id, 0, "default", "", s));
	CHECK_OK(bg_db_run_add_bench(f.db, id, 1, "default", "", s));
	struct bg_result_rec *res;
	size_t n;
	CHECK_OK(bg_db_run_results(f.db, id, &res, &n));
	TF_CHECK_EQ(n, nb);
	for (size_t i = 0; i < nb; i++) {
		const struct bg_bench *b = NULL;
		for (size_t k = 0; k < nb; k++)
			if (!strcmp(s->v[k].name, res[i].benchmark))
				b = &s->v[k];
		TF_CHECK(b, "unknown series %s", res[i].benchmark);
		TF_CHECK_EQ(res[i].n, 2 * b->n_samples);
		for (size_t k = 0; k < res[i].n; k++) {
			size_t j = k % b->n_samples;
			TF_CHECK(res[i].samples[k] == b->samples[j],
				 "%s sample %zu: %.17g != %.17g", b->name, k, res[i].samples[k],
				 b->samples[j]);
			TF_CHECK_EQ(res[i].rounds[k], k >= b->n_samples);
		}
	}
	bg_db_results_free(res, n);
	bg_bench_set_free(s);
	fx_done(&f);
}

TF_TEST(db__incomplete_run_listed)
{
	struct fx f;
	fx_init(&f);
	fx_open(&f);
	int64_t done_id = begin_run(f.db, f.machine, SHA_A, "nightly", 100);
	struct bg_bench_set *s = make_set(2, 5, -1, "avx2", 1, 10);
	CHECK_OK(bg_db_run_add_bench(f.db, done_id, 0, "default", "", s));
	CHECK_OK(bg_db_run_finish(f.db, done_id, "ok", 1));
	int64_t open_id = begin_run(f.db, f.machine, SHA_A, "nightly", 200);
	CHECK_OK(bg_db_run_add_bench(f.db, open_id, 0, "default", "", s));
	int64_t intr_id = begin_run(f.db, f.machine, SHA_A, "nightly", 300);
	CHECK_OK(bg_db_run_finish(f.db, intr_id, "interrupted", 0));
	bg_bench_set_free(s);

	struct bg_run_rec *v;
	size_t n;
	CHECK_OK(bg_db_run_list(f.db, NULL, &v, &n));
	TF_CHECK_EQ(n, 3);
	TF_CHECK_EQ(v[0].id, intr_id); /* newest first */
	TF_CHECK_EQ(v[0].complete, 0);
	CHECK_STR(v[0].status, "interrupted");
	TF_CHECK(v[0].finished > 0, "interrupted run has no finish time");
	TF_CHECK_EQ(v[1].id, open_id); /* begun, never finished: a killed run */
	TF_CHECK_EQ(v[1].complete, 0);
	CHECK_STR(v[1].status, "running");
	TF_CHECK_EQ(v[1].finished, 0);
	TF_CHECK_EQ(v[1].n_samples, 10);
	TF_CHECK_EQ(v[2].id, done_id);
	TF_CHECK_EQ(v[2].complete, 1);
	bg_db_run_list_free(v, n);

	struct bg_run_filter only = {.only_complete = 1};
	CHECK_OK(bg_db_run_list(f.db, &only, &v, &n));
	TF_CHECK_EQ(n, 1);
	TF_CHECK_EQ(v[0].id, done_id);
	bg_db_run_list_free(v, n);
	/* incomplete runs are not problems */
	CHECK_OK(bg_db_check(f.db, NULL));
	fx_done(&f);
}

TF_TEST(db__run_list_filters)
{
	struct fx f;
	fx_init(&f);
	fx_open(&f);
	struct bg_commit_rec c = {.sha = SHA_C, .tree = "t", .time = 5};
	CHECK_OK(bg_db_commit_put(f.db, &c));
	int64_t r1 = begin_run(f.db, f.machine, SHA_A, "ci", 100);
	int64_t r2 = begin_run(f.db, f.machine, SHA_C, "nightly", 200);
	int64_t r3 = begin_run(f.db, f.machine, SHA_A, "local", 300);
	int64_t r4 = begin_run(f.db, f.machine, SHA_C, "nightly", 300); /* same time: by id */
	CHECK_OK(bg_db_run_finish(f.db, r1, "ok", 1));
	CHECK_OK(bg_db_run_finish(f.db, r2, "ok", 1));

	struct bg_run_rec *v;
	size_t n;
	CHECK_OK(bg_db_run_list(f.db, &(struct bg_run_filter){0}, &v, &n));
	TF_CHECK_EQ(n, 4);
	TF_CHECK_EQ(v[0].id, r4);
	TF_CHECK_EQ(v[1].id, r3);
	TF_CHECK_EQ(v[2].id, r2);
	TF_CHECK_EQ(v[3].id, r1);
	bg_db_run_list_free(v, n);

	CHECK_OK(bg_db_run_list(f.db, &(struct bg_run_filter){.commit_prefix = "a1b2c3"}, &v, &n));
	TF_CHECK_EQ(n, 2);
	TF_CHECK(v[0].id == r3 && v[1].id == r1, "commit filter");
	CHECK_STR(v[0].commit_sha, SHA_A);
	bg_db_run_list_free(v, n);

	CHECK_OK(bg_db_run_list(f.db, &(struct bg_run_filter){.kind = "nightly"}, &v, &n));
	TF_CHECK(n == 2 && v[0].id == r4 && v[1].id == r2, "kind filter: %zu", n);
	bg_db_run_list_free(v, n);

	CHECK_OK(bg_db_run_list(f.db, &(struct bg_run_filter){.since = 200, .limit = 2}, &v, &n));
	TF_CHECK(n == 2 && v[0].id == r4 && v[1].id == r3, "since+limit: %zu", n);
	bg_db_run_list_free(v, n);

	CHECK_OK(bg_db_run_list(
		f.db, &(struct bg_run_filter){.kind = "nightly", .only_complete = 1, .since = 150},
		&v, &n));
	TF_CHECK(n == 1 && v[0].id == r2, "combined: %zu", n);
	bg_db_run_list_free(v, n);

	CHECK_OK(bg_db_run_list(f.db, &(struct bg_run_filter){.commit_prefix = "main"}, &v, &n));
	TF_CHECK_EQ(n, 0);
	bg_db_run_list_free(v, n);
	fx_done(&f);
}

TF_TEST(db__bad_writes_store_nothing)
{
	struct fx f;
	fx_init(&f);
	fx_open(&f);
	struct bg_run_rec r = {.kind = "weekly", .commit_sha = SHA_A, .machine_id = f.machine};
	TF_CHECK_EQ(bg_db_run_begin(f.db, &r), BG_EINPUT);
	TF_CHECK(strstr(bg_error_last(), "weekly"), "message: %s", bg_error_last());
	TF_CHECK(r.uuid == NULL && r.id == 0, "failed begin changed the record");
	r.kind = "ci";
	r.machine_id = 4242;
	TF_CHECK_EQ(bg_db_run_begin(f.db, &r), BG_ENOTFOUND);
	r.machine_id = f.machine;
	r.build_id = 4242;
	TF_CHECK_EQ(bg_db_run_begin(f.db, &r), BG_ENOTFOUND);
	TF_CHECK_EQ(db_raw_count(f.path, "SELECT count(*) FROM runs"), 0);
	TF_CHECK_EQ(db_raw_count(f.path, "SELECT count(*) FROM commits"), 1);

	int64_t id = begin_run(f.db, f.machine, SHA_A, "ci", 0);
	struct bg_bench_set *s = make_set(3, 5, -1, "avx2", 1, 10);
	TF_CHECK_EQ(bg_db_run_add_bench(f.db, 4242, 0, "default", "", s), BG_ENOTFOUND);

	/* a benchmark listed twice fails the whole set: nothing of it is stored */
	free(s->v[2].name);
	s->v[2].name = strdup(s->v[0].name);
	TF_CHECK_EQ(bg_db_run_add_bench(f.db, id, 0, "default", "", s), BG_EINPUT);
	TF_CHECK(strstr(bg_error_last(), s->v[0].name), "message: %s", bg_error_last());
	TF_CHECK_EQ(db_raw_count(f.path, "SELECT count(*) FROM results"), 0);
	TF_CHECK_EQ(db_raw_count(f.path, "SELECT count(*) FROM samples"), 0);
	TF_CHECK_EQ(db_raw_count(f.path, "SELECT count(*) FROM bench_outputs"), 0);
	free(s->v[2].name);
	s->v[2].name = strdup("other");
	s->v[1].samples[3] = NAN;
	TF_CHECK_EQ(bg_db_run_add_bench(f.db, id, 0, "default", "", s), BG_EINPUT);
	TF_CHECK_EQ(db_raw_count(f.path, "SELECT count(*) FROM samples"), 0);
	s->v[1].samples[3] = 1;
	CHECK_OK(bg_db_run_add_bench(f.db, id, 0, "default", "", s));
	TF_CHECK_EQ(db_raw_count(f.path, "SELECT count(*) FROM samples"), 15);
	/* the same round again would repeat every series */
	TF_CHECK_EQ(bg_db_run_add_bench(f.db, id, 0, "default", "", s), BG_EINPUT);
	TF_CHECK_EQ(db_raw_count(f.path, "SELECT count(*) FROM samples"), 15);
	/* another mode is other series */
	CHECK_OK(bg_db_run_add_bench(f.db, id, 0, "strict", "", s));
	TF_CHECK_EQ(db_raw_count(f.path, "SELECT count(*) FROM series"), 6);
	bg_bench_set_free(s);

	TF_CHECK_EQ(bg_db_run_finish(f.db, 4242, "ok", 1), BG_ENOTFOUND);
	TF_CHECK_EQ(bg_db_run_add_error(f.db, 4242, "bench", "x", NULL), BG_ENOTFOUND);
	TF_CHECK_EQ(bg_db_run_set_build(f.db, id, 4242), BG_ENOTFOUND);
	struct bg_test_suite suite = {.suite = "cpu"};
	TF_CHECK_EQ(bg_db_run_add_tests(f.db, 4242, &suite), BG_ENOTFOUND);
	struct bg_result_rec *res;
	size_t n;
	TF_CHECK_EQ(bg_db_run_results(f.db, 4242, &res, &n), BG_ENOTFOUND);
	CHECK_OK(bg_db_check(f.db, NULL));
	fx_done(&f);
}

/* --- check ----------------------------------------------------------------------------- */

TF_TEST(db__check_detects_problems)
{
	struct fx f;
	fx_init(&f);
	fx_open(&f);
	int64_t id = begin_run(f.db, f.machine, SHA_A, "ci", 0);
	struct bg_bench_set *s = make_set(2, 3, -1, "avx2", 1, 10);
	CHECK_OK(bg_db_run_add_bench(f.db, id, 0, "default", "", s));
	bg_bench_set_free(s);
	CHECK_OK(bg_db_run_finish(f.db, id, "ok", 1));
	struct bg_buf report = BG_BUF_INIT;
	CHECK_OK(bg_db_check(f.db, &report));
	CHECK_STR(bg_buf_cstr(&report), "ok\n");
	bg_buf_clear(&report);

	/* damage it behind bitgate's back: foreign keys are off in a raw connection (SQLite's
	 * default; PostgreSQL: its triggers off for a replica's session) */
	char damage[400];
	snprintf(damage, sizeof(damage),
		 "%s UPDATE runs SET finished = 0; INSERT INTO results (run_id, series_id, round) "
		 "VALUES (777, 1, 0); INSERT INTO samples (result_id, idx, value) "
		 "VALUES (9999, 0, 1.5);",
		 db_test_pg() ? "SET session_replication_role = replica;"
			      : "PRAGMA foreign_keys = OFF;");
	db_raw_exec(f.path, damage);
	TF_CHECK_EQ(bg_db_check(f.db, &report), BG_EDB);
	const char *rep = bg_buf_cstr(&report);
	TF_CHECK(strstr(rep, "complete but has no finish time"), "report: %s", rep);
	TF_CHECK(strstr(rep, "belongs to run 777, which does not exist"), "report: %s", rep);
	TF_CHECK(strstr(rep, "samples belong to result 9999, which does not exist"), "report: %s",
		 rep);
	if (!db_test_pg()) /* SQLite's own check; PostgreSQL has none beside its triggers */
		TF_CHECK(strstr(rep, "foreign key: results"), "report: %s", rep);
	TF_CHECK(!strstr(rep, "ok\n"), "report says ok: %s", rep);
	TF_CHECK(strstr(bg_error_last(), "problem"), "message: %s", bg_error_last());
	bg_buf_free(&report);
	fx_done(&f);
}

/* --- processes ------------------------------------------------------------------------- */

#define KILL_BENCHES 10
#define KILL_SAMPLES 50

/* Writes complete runs until killed; one byte on fd after the first. */
static void writer_forever(const char *path, int fd)
{
	struct bg_db *db;
	int64_t machine;
	if (bg_db_open(&db, path) < 0)
		_exit(10);
	struct bg_machine_rec m = {.fingerprint = "fp-kill"};
	if (bg_db_machine_put(db, &m, &machine) < 0)
		_exit(11);
	struct bg_bench_set *s = make_set(KILL_BENCHES, KILL_SAMPLES, -1, "avx2", 1, 1);
	for (int i = 0;; i++) {
		struct bg_run_rec r = {
			.kind = "nightly", .commit_sha = SHA_A, .machine_id = machine};
		if (bg_db_run_begin(db, &r) < 0 ||
		    bg_db_run_add_bench(db, r.id, 0, "default", "", s) < 0 ||
		    bg_db_run_add_bench(db, r.id, 1, "default", "", s) < 0 ||
		    bg_db_run_finish(db, r.id, "ok", 1) < 0)
			_exit(12);
		free(r.uuid);
		if (i == 0 && write(fd, "x", 1) != 1)
			_exit(13);
	}
}

TF_TEST(db__kill9_leaves_consistent)
{
	struct fx f;
	fx_init(&f);
	fx_open(&f);
	bg_db_close(f.db);
	f.db = NULL;
	int p[2];
	TF_CHECK(pipe(p) == 0, "pipe");
	pid_t pid = fork();
	TF_CHECK(pid >= 0, "fork");
	if (pid == 0) {
		close(p[0]);
		writer_forever(f.path, p[1]);
	}
	close(p[1]);
	char ch;
	TF_CHECK(read(p[0], &ch, 1) == 1, "writer died before its first run");
	close(p[0]);
	/* let it get well into later runs, then kill it wherever it is */
	struct timespec ts = {0, 150 * 1000000L};
	nanosleep(&ts, NULL);
	kill(pid, SIGKILL);
	int status;
	TF_CHECK(waitpid(pid, &status, 0) == pid, "waitpid");
	TF_CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
		 "writer was not killed (status %d)", status);

	CHECK_OK(bg_db_open(&f.db, f.path));
	struct bg_buf report = BG_BUF_INIT;
	CHECK_OK(bg_db_check(f.db, &report));
	bg_buf_free(&report);
	struct bg_run_rec *v;
	size_t n, complete = 0;
	CHECK_OK(bg_db_run_list(f.db, NULL, &v, &n));
	for (size_t i = 0; i < n; i++) {
		if (!v[i].complete) {
			CHECK_STR(v[i].status, "running");
			continue;
		}
		complete++;
		TF_CHECK_EQ(v[i].n_samples, 2 * KILL_BENCHES * KILL_SAMPLES);
		struct bg_result_rec *res;
		size_t nr;
		CHECK_OK(bg_db_run_results(f.db, v[i].id, &res, &nr));
		TF_CHECK_EQ(nr, KILL_BENCHES);
		for (size_t k = 0; k < nr; k++)
			TF_CHECK_EQ(res[k].n, 2 * KILL_SAMPLES);
		bg_db_results_free(res, nr);
	}
	/* every incomplete run is partial by whole transactions: 0, 1 or 2 rounds */
	for (size_t i = 0; i < n; i++)
		if (!v[i].complete)
			TF_CHECK(v[i].n_samples % (KILL_BENCHES * KILL_SAMPLES) == 0,
				 "half-written round: %lld samples", (long long)v[i].n_samples);
	printf("killed writer left %zu complete and %zu incomplete runs\n", complete, n - complete);
	TF_CHECK(complete >= 1, "no complete run");
	bg_db_run_list_free(v, n);
	fx_done(&f);
}

#define CONC_RUNS 50
#define CONC_BENCHES 5
#define CONC_SAMPLES 20

/* Waits for the start signal, then writes CONC_RUNS complete runs; the exit status says
 * how it went. */
static void writer_some(const char *path, int start_fd, const char *fp)
{
	char ch;
	if (read(start_fd, &ch, 1) < 0)
		_exit(20);
	struct bg_db *db;
	int64_t machine;
	if (bg_db_open(&db, path) < 0) {
		fprintf(stderr, "writer %s: %s\n", fp, bg_error_last());
		_exit(21);
	}
	struct bg_machine_rec m = {.fingerprint = (char *)fp};
	struct bg_commit_rec c = {.sha = SHA_A, .tree = "t"};
	if (bg_db_machine_put(db, &m, &machine) < 0 || bg_db_commit_put(db, &c) < 0) {
		fprintf(stderr, "writer %s: %s\n", fp, bg_error_last());
		_exit(22);
	}
	struct bg_bench_set *s = make_set(CONC_BENCHES, CONC_SAMPLES, -1, "avx2", 1, 1);
	for (int i = 0; i < CONC_RUNS; i++) {
		struct bg_run_rec r = {.kind = "ci", .commit_sha = SHA_A, .machine_id = machine};
		if (bg_db_run_begin(db, &r) < 0 ||
		    bg_db_run_add_bench(db, r.id, 0, "default", "", s) < 0 ||
		    bg_db_run_add_error(db, r.id, "bench", "note", NULL) < 0 ||
		    bg_db_run_finish(db, r.id, "ok", 1) < 0) {
			fprintf(stderr, "writer %s run %d: %s\n", fp, i, bg_error_last());
			_exit(23);
		}
		free(r.uuid);
	}
	bg_bench_set_free(s);
	bg_db_close(db);
	_exit(0);
}

TF_TEST(db__concurrent_writers)
{
	struct fx f;
	fx_init(&f);
	int p[2];
	TF_CHECK(pipe(p) == 0, "pipe");
	pid_t pids[2];
	for (int i = 0; i < 2; i++) {
		pids[i] = fork();
		TF_CHECK(pids[i] >= 0, "fork");
		if (pids[i] == 0) {
			close(p[1]);
			writer_some(f.path, p[0], i ? "fp-w1" : "fp-w0");
		}
	}
	close(p[0]);
	close(p[1]); /* both start now, on a database neither has created yet */
	for (int i = 0; i < 2; i++) {
		int status;
		TF_CHECK(waitpid(pids[i], &status, 0) == pids[i], "waitpid");
		TF_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "writer %d: status %d", i,
			 status);
	}
	CHECK_OK(bg_db_open(&f.db, f.path));
	struct bg_run_rec *v;
	size_t n;
	CHECK_OK(bg_db_run_list(f.db, NULL, &v, &n));
	TF_CHECK_EQ(n, 2 * CONC_RUNS);
	int64_t per_machine[2] = {0, 0};
	for (size_t i = 0; i < n; i++) {
		TF_CHECK_EQ(v[i].complete, 1);
		TF_CHECK_EQ(v[i].n_samples, CONC_BENCHES * CONC_SAMPLES);
		per_machine[v[i].machine_id == v[0].machine_id]++;
	}
	TF_CHECK(per_machine[0] == CONC_RUNS && per_machine[1] == CONC_RUNS,
		 "runs per machine %lld/%lld", (long long)per_machine[0],
		 (long long)per_machine[1]);
	bg_db_run_list_free(v, n);
	TF_CHECK_EQ(db_raw_count(f.path, "SELECT count(*) FROM samples"),
		    2 * CONC_RUNS * CONC_BENCHES * CONC_SAMPLES);
	TF_CHECK_EQ(db_raw_count(f.path, "SELECT count(*) FROM errors"), 2 * CONC_RUNS);
	TF_CHECK_EQ(db_raw_count(f.path, "SELECT count(*) FROM series"), CONC_BENCHES);
	CHECK_OK(bg_db_check(f.db, NULL));
	fx_done(&f);
}
