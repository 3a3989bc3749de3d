/* db/ export and import: a database exported and imported into a fresh one exports the
 * same bytes, importing twice adds nothing, a malformed line stores nothing. The import
 * benchmark runs only with BG_DB_IMPORT_BENCH=1 and asserts no time. */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bg_buf.h"
#include "bg_db.h"
#include "bg_error.h"
#include "bg_fs.h"
#include "bg_report.h"
#include "db_fixture.h"
#include "tf.h"

#define SHA_A "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678"
#define SHA_C "c0ffee0000000000000000000000000000000000"

static const char *const tables[] = {"machines",   "commits", "builds",       "runs",
				     "series",     "results", "samples",      "test_suites",
				     "test_cases", "errors",  "bench_outputs", "decisions"};
#define N_TABLES (sizeof(tables) / sizeof(tables[0]))

struct tmp {
	char dir[256];
};

static void tmp_init(struct tmp *t)
{
	tf_tmpdir_in(t->dir, sizeof(t->dir), "bgdbio");
}

/* dir/name into out. */
static void tmp_path(const struct tmp *t, const char *name, char *out, size_t size)
{
	snprintf(out, size, "%s/%s", t->dir, name);
}

/* The files of a test that moves data between two databases: A and B, their exports and a
 * file for a broken export, in a fresh directory. */
struct io_paths {
	struct tmp t;
	char pa[768], pb[768], ea[300], eb[300], bad[300];
};

static void io_paths_init(struct io_paths *f)
{
	tmp_init(&f->t);
	db_test_target(f->pa, sizeof(f->pa), f->t.dir, "a.db");
	db_test_target(f->pb, sizeof(f->pb), f->t.dir, "b.db");
	tmp_path(&f->t, "a.jsonl", f->ea, sizeof(f->ea));
	tmp_path(&f->t, "b.jsonl", f->eb, sizeof(f->eb));
	tmp_path(&f->t, "bad.jsonl", f->bad, sizeof(f->bad));
}

/* The rows of table in the database at path. */
static int64_t raw_count(const char *path, const char *table)
{
	char sql[128];
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
	return db_raw_count(path, sql);
}

static struct bg_bench_set *make_set(const char *const *names, size_t n, size_t k,
				     const char *kernel, const double *values)
{
	struct bg_bench_set *s = calloc(1, sizeof(*s));
	TF_CHECK(s, "oom");
	s->format = strdup("bitgate-bench/1");
	s->ctx.json = strdup("{\"program\":\"bitnet-bench\",\"isa\":[\"avx2\"],\"threads\":2}");
	s->v = calloc(n, sizeof(*s->v));
	s->n = n;
	for (size_t i = 0; i < n; i++) {
		struct bg_bench *b = &s->v[i];
		b->name = strdup(names[i]);
		b->unit = strdup("ns");
		b->kernel = kernel ? strdup(kernel) : NULL;
		b->checked = i % 3 == 2 ? -1 : 1;
		b->iterations = 250;
		b->elements = 16777216;
		b->bytes = i ? 4259840 : 0;
		b->samples = calloc(k, sizeof(double));
		b->n_samples = k;
		for (size_t j = 0; j < k; j++)
			b->samples[j] = values[(i * k + j) % 7] * (double)(i + 1);
	}
	return s;
}

static const double awkward[] = {40112.5, 0.1,       1e-300,       123456789.123456789,
				 -5,      1.0 / 3.0, 6.02214076e23};
/* the same values rotated, so a second set differs from the first */
static const double awkward_rotated[] = {123456789.123456789, -5,   1.0 / 3.0, 6.02214076e23,
					 40112.5,             0.1, 1e-300};

static const char *const fill_names[] = {"gemv/avx2/4096x4096", "matmul/amx/256x256x256",
					 "matmul/avx2/256x256x256"};

/* Database A's machines (m1 with everything, m2 with little), its two commits and m1's
 * build. */
static void fill_machines_commits_build(struct bg_db *db, int64_t *m1, int64_t *m2, int64_t *build)
{
	struct bg_machine_rec ma = {.fingerprint = "fp-one",
				    .hostname = "one",
				    .cpu = "Xeon",
				    .flags = "avx2 avx512f",
				    .cores = 16,
				    .mem_bytes = 68719476736LL,
				    .os = "Linux 6.1.0 x86_64",
				    .gpu = "H100"};
	struct bg_machine_rec mb = {.fingerprint = "fp-two", .hostname = "two", .cores = 2};
	CHECK_OK(bg_db_machine_put(db, &ma, m1));
	CHECK_OK(bg_db_machine_put(db, &mb, m2));
	struct bg_commit_rec ca = {.sha = SHA_A,
				   .tree = "1111",
				   .subject = "root \"quoted\"",
				   .author = "A <a@x>",
				   .time = 1700000000};
	struct bg_commit_rec cc = {.sha = SHA_C,
				   .tree = "2222",
				   .parent = SHA_A,
				   .subject = "ünïcode ✓",
				   .author = "C <c@x>",
				   .time = 1700000500};
	CHECK_OK(bg_db_commit_put(db, &ca));
	CHECK_OK(bg_db_commit_put(db, &cc));
	struct bg_build_rec b = {.machine_id = *m1,
				 .tree = "1111",
				 .config_hash = "cfg",
				 .status = "ok",
				 .duration_s = 3.25,
				 .binary_hash = "binhash",
				 .dir = "/cache/1111",
				 .created = 1700000010,
				 .size_bytes = 99};
	CHECK_OK(bg_db_build_put(db, &b, build));
}

/* Run 1, ci on m1 with its build: two rounds and a strict mode, amx skipped, two test suites
 * (one empty), an error; finished, tests failed. */
static void fill_ci_run(struct bg_db *db, int64_t m1, int64_t build)
{
	struct bg_run_rec r1 = {.kind = "ci",
				.commit_sha = SHA_A,
				.tree = "1111",
				.machine_id = m1,
				.build_id = build,
				.config_hash = "cfg",
				.env_json = "{\"BITNET_KERNEL\": \"avx2\"}",
				.harness_version = "0.1.0",
				.label = "base",
				.started = 1000};
	CHECK_OK(bg_db_run_begin(db, &r1));
	struct bg_bench_set *s = make_set(fill_names, 3, 5, "avx2", awkward);
	free(s->v[1].samples);
	s->v[1].samples = NULL;
	s->v[1].n_samples = 0;
	s->v[1].skipped = strdup("no AMX on this CPU");
	CHECK_OK(bg_db_run_add_bench(db, r1.id, 0, "default", "threads=2", s));
	free(s->v[0].kernel);
	s->v[0].kernel = strdup("avx512");
	CHECK_OK(bg_db_run_add_bench(db, r1.id, 1, "default", "threads=2", s));
	CHECK_OK(bg_db_run_add_bench(db, r1.id, 0, "strict", "threads=2", s));
	bg_bench_set_free(s);
	struct bg_test_case cases[] = {
		{.name = "ok_case", .classname = "k", .outcome = BG_TEST_PASSED, .time_s = 0.125},
		{.name = "bad_case", .outcome = BG_TEST_FAILED, .message = "line1\nline2"},
	};
	struct bg_test_suite suite = {
		.suite = "cpu", .passed = 1, .failed = 1, .cases = cases, .n = 2};
	CHECK_OK(bg_db_run_add_tests(db, r1.id, &suite));
	struct bg_test_suite empty = {.suite = "gpu", .skipped = 0};
	CHECK_OK(bg_db_run_add_tests(db, r1.id, &empty));
	CHECK_OK(bg_db_run_add_error(db, r1.id, "tests", "1 failed", "tail\tof\nstderr"));
	CHECK_OK(bg_db_run_finish(db, r1.id, "tests-failed", 1));
	free(r1.uuid);
}

/* Run 2, nightly on m2 in a worktree: no kernels, an error; finished, bench failed. Run 3,
 * local on m1, env not JSON: never finished. */
static void fill_nightly_and_local_runs(struct bg_db *db, int64_t m1, int64_t m2)
{
	struct bg_run_rec r2 = {.kind = "nightly",
				.commit_sha = SHA_C,
				.worktree = 1,
				.machine_id = m2,
				.started = 2000};
	CHECK_OK(bg_db_run_begin(db, &r2));
	struct bg_bench_set *s = make_set(fill_names, 2, 7, NULL, awkward_rotated);
	CHECK_OK(bg_db_run_add_bench(db, r2.id, 0, "default", "", s));
	bg_bench_set_free(s);
	CHECK_OK(bg_db_run_add_error(db, r2.id, "bench", "crashed", NULL));
	CHECK_OK(bg_db_run_finish(db, r2.id, "bench-failed", 1));

	struct bg_run_rec r3 = {.kind = "local",
				.commit_sha = SHA_C,
				.machine_id = m1,
				.env_json = "not json",
				.started = 3000};
	CHECK_OK(bg_db_run_begin(db, &r3));
	s = make_set(fill_names, 1, 3, "ref", awkward);
	CHECK_OK(bg_db_run_add_bench(db, r3.id, 0, "default", "", s));
	bg_bench_set_free(s);
	free(r2.uuid);
	free(r3.uuid);
}

/* Database A: two machines, two commits, a build, three runs (one never finished) with
 * rounds, modes, a skipped benchmark, tests and errors. */
static void fill(struct bg_db *db)
{
	int64_t m1, m2, build;
	fill_machines_commits_build(db, &m1, &m2, &build);
	fill_ci_run(db, m1, build);
	fill_nightly_and_local_runs(db, m1, m2);
}

static void export_to(struct bg_db *db, const char *path, int64_t since, size_t want_runs)
{
	FILE *f = fopen(path, "w");
	TF_CHECK(f, "fopen %s", path);
	size_t n = 0;
	CHECK_OK(bg_db_export(db, f, since, bg_decision_json_set_ids, &n, NULL));
	TF_CHECK(fclose(f) == 0, "fclose");
	TF_CHECK_EQ(n, want_runs);
}

static int import_from(struct bg_db *db, const char *path, struct bg_import_stats *st)
{
	FILE *f = fopen(path, "r");
	TF_CHECK(f, "fopen %s", path);
	int rc = bg_db_import(db, f, path, bg_decision_json_set_ids, st);
	fclose(f);
	return rc;
}

static char *slurp(const char *path)
{
	struct bg_buf b = BG_BUF_INIT;
	CHECK_OK(bg_fs_read(&b, path));
	return bg_buf_detach(&b);
}

static void check_same_counts(const char *a, const char *b)
{
	for (size_t i = 0; i < N_TABLES; i++) {
		int64_t na = raw_count(a, tables[i]), nb = raw_count(b, tables[i]);
		TF_CHECK(na == nb, "%s: %lld rows in A, %lld in B", tables[i], (long long)na,
			 (long long)nb);
	}
}

/* The first line of A's export, on its own: what was asked for, not the cache dir. */
static void check_first_line(const char *xa)
{
	char *nl = strchr(xa, '\n');
	TF_CHECK(nl, "no newline");
	cJSON *j = cJSON_ParseWithLength(xa, (size_t)(nl - xa));
	TF_CHECK(j, "first line is not JSON");
	TF_CHECK(!strcmp(cJSON_GetObjectItem(j, "kind")->valuestring, "ci"), "kind");
	cJSON *m = cJSON_GetObjectItem(j, "machine");
	TF_CHECK(!strcmp(cJSON_GetObjectItem(m, "gpu")->valuestring, "H100"), "machine.gpu");
	TF_CHECK(cJSON_GetObjectItem(m, "mem_bytes")->valuedouble == 68719476736.0, "mem");
	cJSON *bl = cJSON_GetObjectItem(j, "build");
	TF_CHECK(cJSON_IsObject(bl) && !cJSON_GetObjectItem(bl, "dir"), "build summary");
	TF_CHECK(!strcmp(cJSON_GetObjectItem(bl, "binary_hash")->valuestring, "binhash"), "hash");
	TF_CHECK(!strcmp(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "env"), "BITNET_KERNEL")
				 ->valuestring,
			 "avx2"),
		 "env");
	cJSON *c = cJSON_GetObjectItem(j, "commit");
	TF_CHECK(!strcmp(cJSON_GetObjectItem(c, "subject")->valuestring, "root \"quoted\""),
		 "subject");
	TF_CHECK_EQ(cJSON_GetArraySize(cJSON_GetObjectItem(j, "results")), 9);
	TF_CHECK_EQ(cJSON_GetArraySize(cJSON_GetObjectItem(j, "tests")), 2);
	TF_CHECK_EQ(cJSON_GetArraySize(cJSON_GetObjectItem(j, "errors")), 1);
	TF_CHECK_EQ(cJSON_GetArraySize(cJSON_GetObjectItem(j, "benches")), 3);
	cJSON_Delete(j);
}

/* B holds the same runs as A: samples compare exactly, incomplete stays incomplete. */
static void check_same_runs(struct bg_db *a, struct bg_db *b)
{
	struct bg_run_rec *va, *vb;
	size_t na, nb;
	CHECK_OK(bg_db_run_list(a, NULL, &va, &na));
	CHECK_OK(bg_db_run_list(b, NULL, &vb, &nb));
	TF_CHECK_EQ(na, nb);
	for (size_t i = 0; i < na; i++) {
		TF_CHECK(!strcmp(va[i].uuid, vb[i].uuid), "uuid %zu", i);
		TF_CHECK_EQ(va[i].complete, vb[i].complete);
		TF_CHECK_EQ(va[i].finished, vb[i].finished);
		TF_CHECK_EQ(va[i].n_samples, vb[i].n_samples);
		struct bg_result_rec *ra, *rb;
		size_t ka, kb;
		CHECK_OK(bg_db_run_results(a, va[i].id, &ra, &ka));
		CHECK_OK(bg_db_run_results(b, vb[i].id, &rb, &kb));
		TF_CHECK_EQ(ka, kb);
		for (size_t k = 0; k < ka; k++) {
			TF_CHECK_EQ(ra[k].n, rb[k].n);
			TF_CHECK(!ra[k].n || !memcmp(ra[k].samples, rb[k].samples,
						     ra[k].n * sizeof(double)),
				 "samples of %s differ", ra[k].benchmark);
		}
		bg_db_results_free(ra, ka);
		bg_db_results_free(rb, kb);
	}
	TF_CHECK_EQ(va[0].complete, 0); /* the local run, never finished */
	bg_db_run_list_free(va, na);
	bg_db_run_list_free(vb, nb);
}

/* Database A filled and exported, its export imported once into a fresh B. */
static void filled_and_imported(const struct io_paths *io, struct bg_db **a, struct bg_db **b,
				struct bg_import_stats *st)
{
	CHECK_OK(bg_db_open(a, io->pa));
	fill(*a);
	export_to(*a, io->ea, 0, 3);
	CHECK_OK(bg_db_open(b, io->pb));
	CHECK_OK(import_from(*b, io->ea, st));
}

TF_TEST(db__export_import_roundtrip)
{
	struct io_paths io;
	io_paths_init(&io);
	struct bg_db *a, *b;
	struct bg_import_stats st;
	filled_and_imported(&io, &a, &b, &st);
	TF_CHECK_EQ(st.lines, 3);
	TF_CHECK_EQ(st.runs_added, 3);
	TF_CHECK_EQ(st.runs_present, 0);
	TF_CHECK_EQ(st.samples_added, raw_count(io.pa, "samples"));
	TF_CHECK(st.samples_added > 0, "no samples");
	export_to(b, io.eb, 0, 3);

	char *xa = slurp(io.ea), *xb = slurp(io.eb);
	TF_CHECK(!strcmp(xa, xb), "exports differ:\nA: %s\nB: %s", xa, xb);
	check_same_counts(io.pa, io.pb);

	check_first_line(xa);
	free(xa);
	free(xb);

	check_same_runs(a, b);

	struct bg_build_rec *bv;
	size_t nbv;
	CHECK_OK(bg_db_build_list(b, &bv, &nbv));
	TF_CHECK_EQ(nbv, 0); /* imported builds have no directory here */
	bg_db_build_list_free(bv, nbv);
	CHECK_OK(bg_db_check(b, NULL));

	/* since: only runs started at or after it */
	export_to(a, io.eb, 2000, 2);
	bg_db_close(a);
	bg_db_close(b);
	bg_fs_rmtree(io.t.dir);
}

TF_TEST(db__import_twice_adds_nothing)
{
	struct io_paths io;
	io_paths_init(&io);
	struct bg_db *a, *b;
	struct bg_import_stats st;
	filled_and_imported(&io, &a, &b, &st);
	TF_CHECK_EQ(st.runs_added, 3);
	CHECK_OK(import_from(b, io.ea, &st));
	TF_CHECK_EQ(st.lines, 3);
	TF_CHECK_EQ(st.runs_added, 0);
	TF_CHECK_EQ(st.runs_present, 3);
	TF_CHECK_EQ(st.samples_added, 0);
	check_same_counts(io.pa, io.pb);
	/* and into the database it came from */
	CHECK_OK(import_from(a, io.ea, &st));
	TF_CHECK_EQ(st.runs_added, 0);
	TF_CHECK_EQ(st.runs_present, 3);
	check_same_counts(io.pa, io.pb);
	export_to(b, io.eb, 0, 3);
	char *xa = slurp(io.ea), *xb = slurp(io.eb);
	TF_CHECK(!strcmp(xa, xb), "exports differ after a second import");
	free(xa);
	free(xb);
	bg_db_close(a);
	bg_db_close(b);
	bg_fs_rmtree(io.t.dir);
}

/* Writes lines (each without its newline) to path. */
static void write_lines(const char *path, const char *const *lines, size_t n)
{
	FILE *f = fopen(path, "w");
	TF_CHECK(f, "fopen %s", path);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s\n", lines[i]);
	TF_CHECK(fclose(f) == 0, "fclose");
}

/* Line i (0-based) of an export, malloc'd. */
static char *nth_line(const char *text, int i)
{
	for (; i > 0; i--) {
		text = strchr(text, '\n');
		TF_CHECK(text, "too few lines");
		text++;
	}
	return strndup(text, strcspn(text, "\n"));
}

/* The line with one member of its first result replaced. */
static char *with_result_member(const char *line, const char *key, cJSON *value)
{
	cJSON *j = cJSON_Parse(line);
	TF_CHECK(j, "line not JSON");
	cJSON *r = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "results"), 0);
	TF_CHECK(r, "no result");
	cJSON_ReplaceItemInObject(r, key, value);
	char *out = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
	return out;
}

static void expect_bad_import(const char *db_path, const char *file, const char *want_line,
			      const char *want_text)
{
	struct bg_db *b;
	struct bg_import_stats st;
	CHECK_OK(bg_db_open(&b, db_path));
	int rc = import_from(b, file, &st);
	TF_CHECK_EQ(rc, BG_EINPUT);
	char prefix[400];
	snprintf(prefix, sizeof(prefix), "%s:%s: ", file, want_line);
	TF_CHECK(!strncmp(bg_error_last(), prefix, strlen(prefix)), "message %s, want %s...",
		 bg_error_last(), prefix);
	TF_CHECK(strstr(bg_error_last(), want_text), "message %s lacks %s", bg_error_last(),
		 want_text);
	TF_CHECK_EQ(st.runs_added, 0);
	bg_db_close(b);
	/* nothing of the file was stored, not even the lines before the bad one: the rows of
	 * every table in one query (one connection), each table's when there are some */
	char sql[1024];
	int n = snprintf(sql, sizeof(sql), "SELECT 0");
	for (size_t i = 0; i < N_TABLES; i++)
		n += snprintf(sql + n, sizeof(sql) - (size_t)n, " + (SELECT count(*) FROM %s)",
			      tables[i]);
	if (db_raw_count(db_path, sql) == 0)
		return;
	for (size_t i = 0; i < N_TABLES; i++)
		TF_CHECK(raw_count(db_path, tables[i]) == 0, "%s has rows after a failed import",
			 tables[i]);
}

/* The decision JSON of a comparison of runs a (base) and b (head), with the mode "strict"
 * measured in run m when m is not 0, as reports/ would write it: its own id and the runs'
 * ids of the database it is stored in. */
static void put_decision(struct bg_db *db, int64_t a, int64_t b, int64_t m, const char *conclusion)
{
	char json[400];
	snprintf(json, sizeof(json),
		 "{\"schema\":\"bitgate-decision/"
		 "1\",\"id\":0,\"base\":{\"sha\":\"x\",\"run_id\":%lld},"
		 "\"head\":{\"run_id\":%lld},\"modes\":[{\"name\":\"strict\",\"run_id\":%lld}],"
		 "\"conclusion\":\"%s\"}",
		 (long long)a, (long long)b, (long long)m, conclusion);
	int64_t id;
	struct bg_db_mode_run mode = {"strict", m};
	CHECK_OK(bg_db_decision_put(db, "ci", a, b, &mode, m ? 1 : 0, conclusion, json, &id));
}

/* Exports A (three runs, two decisions) to path; the export's text, malloc'd. */
static char *export_decisions(struct bg_db *a, const char *path)
{
	FILE *f = fopen(path, "w");
	size_t nr = 0, nd = 0;
	CHECK_OK(bg_db_export(a, f, 0, bg_decision_json_set_ids, &nr, &nd));
	fclose(f);
	TF_CHECK(nr == 3 && nd == 2, "%zu runs, %zu decisions", nr, nd);
	return slurp(path);
}

/* In the decision imported into B from A (runs va), the runs' ids are B's. */
static void check_decision_ids_rewritten(struct bg_db *b, const struct bg_run_rec *va)
{
	struct bg_run_rec *vb;
	size_t nb;
	CHECK_OK(bg_db_run_list(b, NULL, &vb, &nb));
	int64_t base_b = 0, head_b = 0, mode_b = 0;
	for (size_t i = 0; i < nb; i++) {
		if (!strcmp(vb[i].uuid, va[2].uuid))
			base_b = vb[i].id;
		if (!strcmp(vb[i].uuid, va[1].uuid))
			head_b = vb[i].id;
		if (!strcmp(vb[i].uuid, va[0].uuid))
			mode_b = vb[i].id;
	}
	TF_CHECK(base_b > 3 && head_b > 3 && mode_b > 3, "ids %lld %lld %lld", (long long)base_b,
		 (long long)head_b, (long long)mode_b);
	int64_t id, of;
	char *json;
	CHECK_OK(bg_db_decision_of_run(b, base_b, &of)); /* va[2] is in one decision only */
	CHECK_OK(bg_db_decision_get(b, of, &id, &json));
	TF_CHECK_EQ(id, of);
	cJSON *j = cJSON_Parse(json);
	TF_CHECK(j, "stored decision is not JSON: %s", json);
	TF_CHECK(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "base"), "run_id")->valuedouble ==
				 (double)base_b &&
			 cJSON_GetObjectItem(cJSON_GetObjectItem(j, "head"), "run_id")
					 ->valuedouble == (double)head_b,
		 "ids not rewritten: %s", json);
	const cJSON *modes = cJSON_GetObjectItem(j, "modes");
	TF_CHECK(cJSON_GetArraySize(modes) == 1 &&
			 cJSON_GetObjectItem(cJSON_GetArrayItem(modes, 0), "run_id")->valuedouble ==
				 (double)mode_b,
		 "the mode's run id not rewritten: %s", json);
	cJSON_Delete(j);
	free(json);
	bg_db_run_list_free(vb, nb);
}

/* A's export xa and a decision whose run is nowhere: the file is refused whole. */
static void check_dangling_decision_refused(struct io_paths *io, const char *xa)
{
	FILE *f = fopen(io->bad, "w");
	fprintf(f, "%s", xa);
	fprintf(f, "{\"record\":\"decision\",\"kind\":\"ci\",\"base_run\":\"no-such-run\","
		   "\"head_run\":null,\"strict_run\":null,\"conclusion\":\"success\",\"created\":5,"
		   "\"decision\":{}}\n");
	fclose(f);
	struct bg_db *e;
	struct bg_import_stats st;
	char pe[768];
	db_test_target(pe, sizeof(pe), io->t.dir, "e.db");
	CHECK_OK(bg_db_open(&e, pe));
	TF_CHECK_EQ(import_from(e, io->bad, &st), BG_EINPUT);
	TF_CHECK(strstr(bg_error_last(), "bad.jsonl:6") && strstr(bg_error_last(), "no-such-run"),
		 "message: %s", bg_error_last());
	TF_CHECK(st.runs_added == 0 && st.decisions_added == 0 && raw_count(pe, "runs") == 0,
		 "something was kept");
	bg_db_close(e);
}

TF_TEST(db__export_import_decisions)
{
	struct io_paths io;
	io_paths_init(&io);
	struct bg_db *a, *b;
	CHECK_OK(bg_db_open(&a, io.pa));
	/* a run in B first, so the runs' ids differ between the two databases */
	CHECK_OK(bg_db_open(&b, io.pb));
	fill(b);
	fill(a);
	struct bg_run_rec *va;
	size_t na;
	CHECK_OK(bg_db_run_list(a, NULL, &va, &na));
	TF_CHECK_EQ(na, 3);
	put_decision(a, va[1].id, va[0].id, 0, "failure");
	put_decision(a, va[2].id, va[1].id, va[0].id, "success");
	char *xa = export_decisions(a, io.ea);
	/* runs by uuid, this database's ids zeroed */
	char want[300];
	snprintf(want, sizeof(want),
		 "\"record\":\"decision\",\"kind\":\"ci\",\"base_run\":\"%s\","
		 "\"head_run\":\"%s\",\"mode_runs\":[]",
		 va[1].uuid, va[0].uuid);
	TF_CHECK(strstr(xa, want), "no decision line like %s in\n%s", want, xa);
	snprintf(want, sizeof(want),
		 "\"head_run\":\"%s\",\"mode_runs\":[{\"name\":\"strict\","
		 "\"run\":\"%s\"}]",
		 va[1].uuid, va[0].uuid);
	TF_CHECK(strstr(xa, want), "no decision line like %s in\n%s", want, xa);
	TF_CHECK(!strstr(xa, "\"run_id\":1") && strstr(xa, "\"run_id\":0"), "ids kept:\n%s", xa);

	/* into a database that already has other runs with the same ids: all or nothing */
	struct bg_db *c;
	char pc[768];
	db_test_target(pc, sizeof(pc), io.t.dir, "c.db");
	CHECK_OK(bg_db_open(&c, pc));
	struct bg_import_stats st;
	CHECK_OK(import_from(c, io.ea, &st));
	TF_CHECK(st.runs_added == 3 && st.decisions_added == 2, "%zu runs, %zu decisions",
		 st.runs_added, st.decisions_added);
	CHECK_OK(import_from(c, io.ea, &st));
	TF_CHECK(st.decisions_added == 0 && st.decisions_present == 2, "again: %zu added",
		 st.decisions_added);
	CHECK_OK(import_from(b, io.ea, &st)); /* B had 3 runs of its own: new ids here */
	TF_CHECK(st.runs_added == 3 && st.decisions_added == 2, "B: %zu runs, %zu decisions",
		 st.runs_added, st.decisions_added);
	/* the stored decision names B's ids for A's runs */
	check_decision_ids_rewritten(b, va);
	/* C's export equals A's: the ids travel as uuids */
	FILE *f = fopen(io.eb, "w");
	size_t nr = 0, nd = 0;
	CHECK_OK(bg_db_export(c, f, 0, bg_decision_json_set_ids, &nr, &nd));
	fclose(f);
	char *xc = slurp(io.eb);
	TF_CHECK(!strcmp(xa, xc), "exports differ:\nA: %s\nC: %s", xa, xc);

	check_dangling_decision_refused(&io, xa);
	free(xa);
	free(xc);
	bg_db_run_list_free(va, na);
	bg_db_close(a);
	bg_db_close(b);
	bg_db_close(c);
	bg_fs_rmtree(io.t.dir);
}

/* Lines that are not JSON: truncated on line 4 (line 3 is blank), and trailing garbage after
 * the object; l0 and l1 are good lines of an export. */
static void check_bad_json_refused(const struct io_paths *io, const char *l0, const char *l1)
{
	/* truncated JSON on line 4 (line 3 is blank) */
	const char *trunc[] = {l0, l1, "", "{\"uuid\": \"x\", \"kind\":"};
	write_lines(io->bad, trunc, 4);
	expect_bad_import(io->pb, io->bad, "4", "not valid JSON");

	/* trailing garbage after the object */
	char *garbage = malloc(strlen(l1) + 8);
	memcpy(garbage, l1, strlen(l1));
	memcpy(garbage + strlen(l1), " xyz", 5);
	const char *trail[] = {l0, garbage};
	write_lines(io->bad, trail, 2);
	expect_bad_import(io->pb, io->bad, "2", "not valid JSON");
	free(garbage);
}

/* Well-formed JSON, wrong content: a sample not a number, a benchmark name not a string, a
 * line not an object, an unknown kind, no machine. */
static void check_wrong_content_refused(const struct io_paths *io, const char *l0, const char *l1)
{
	char *s = with_result_member(l1, "samples", cJSON_Parse("[1, \"oops\", 3]"));
	const char *wrong[] = {l0, s};
	write_lines(io->bad, wrong, 2);
	expect_bad_import(io->pb, io->bad, "2", "samples");
	free(s);

	s = with_result_member(l0, "benchmark", cJSON_CreateNumber(5));
	const char *wrong2[] = {s, l1};
	write_lines(io->bad, wrong2, 2);
	expect_bad_import(io->pb, io->bad, "1", "benchmark");
	free(s);

	const char *notobj[] = {l0, "[1, 2, 3]"};
	write_lines(io->bad, notobj, 2);
	expect_bad_import(io->pb, io->bad, "2", "object");

	cJSON *j = cJSON_Parse(l1);
	cJSON_ReplaceItemInObject(j, "kind", cJSON_CreateString("weekly"));
	s = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
	const char *kind[] = {l0, s};
	write_lines(io->bad, kind, 2);
	expect_bad_import(io->pb, io->bad, "2", "weekly");
	free(s);

	j = cJSON_Parse(l0);
	cJSON_DeleteItemFromObject(j, "machine");
	s = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
	const char *nomachine[] = {s};
	write_lines(io->bad, nomachine, 1);
	expect_bad_import(io->pb, io->bad, "1", "machine");
	free(s);
}

/* Valid JSON whose rows clash: a series twice in one round. */
static void check_clashing_rows_refused(const struct io_paths *io, const char *l0, const char *l1)
{
	cJSON *j = cJSON_Parse(l0);
	cJSON *results = cJSON_GetObjectItem(j, "results");
	cJSON_AddItemToArray(results, cJSON_Duplicate(cJSON_GetArrayItem(results, 0), 1));
	char *s = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
	const char *twice[] = {l1, s};
	write_lines(io->bad, twice, 2);
	expect_bad_import(io->pb, io->bad, "2", "twice");
	free(s);
}

TF_TEST(db__import_malformed_line)
{
	struct io_paths io;
	io_paths_init(&io);
	struct bg_db *a;
	CHECK_OK(bg_db_open(&a, io.pa));
	fill(a);
	export_to(a, io.ea, 0, 3);
	bg_db_close(a);
	char *x = slurp(io.ea);
	char *l0 = nth_line(x, 0), *l1 = nth_line(x, 1);

	check_bad_json_refused(&io, l0, l1);
	check_wrong_content_refused(&io, l0, l1);
	check_clashing_rows_refused(&io, l0, l1);

	/* and the good lines alone import fine into the same database */
	const char *good[] = {l0, "", l1};
	write_lines(io.bad, good, 3);
	struct bg_db *b;
	struct bg_import_stats st;
	CHECK_OK(bg_db_open(&b, io.pb));
	CHECK_OK(import_from(b, io.bad, &st));
	TF_CHECK_EQ(st.lines, 3);
	TF_CHECK_EQ(st.runs_added, 2);
	bg_db_close(b);
	free(l0);
	free(l1);
	free(x);
	bg_fs_rmtree(io.t.dir);
}

/* The line with the value at path ("machine.cores", "tests[0].cases[0].time_s") replaced by
 * the text value, malloc'd. */
static char *with_value(const char *line, const char *path, const char *value)
{
	cJSON *j = cJSON_Parse(line), *parent = NULL, *at = j;
	char key[64] = "";
	for (const char *p = path; *p && at;) {
		size_t n = strcspn(p, ".[");
		parent = at;
		if (n) {
			snprintf(key, sizeof(key), "%.*s", (int)n, p);
			at = cJSON_GetObjectItemCaseSensitive(at, key);
		} else {
			key[0] = '\0';
			at = cJSON_GetArrayItem(at, atoi(p + 1));
			n = strcspn(p, "]") + 1;
		}
		p += n + (p[n] == '.');
	}
	TF_CHECK(at && parent, "%s: no such member in the export", path);
	cJSON *v = cJSON_CreateRaw(value); /* as written: cJSON would print 1e999 as null */
	TF_CHECK(v, "out of memory");
	if (key[0])
		cJSON_ReplaceItemInObjectCaseSensitive(parent, key, v);
	else
		cJSON_ReplaceItemViaPointer(parent, at, v);
	char *out = cJSON_PrintUnformatted(j);
	cJSON_Delete(j);
	return out;
}

/* Every number of a run line out of its range: too large for its type (cores 1e10 was an
 * undefined conversion to int), negative, fractional where whole, not finite. Each is
 * refused with the line and the JSON path, and nothing is stored. */
TF_TEST(db__import_numbers_out_of_range)
{
	static const char *const bad[][2] = {
		{"machine.cores", "1e10"},
		{"machine.cores", "1e999"},
		{"machine.cores", "-1"},
		{"machine.cores", "2.5"},
		{"machine.mem_bytes", "-1"},
		{"build.duration_s", "-5"},
		{"benches[0].round", "-1"},
		{"benches[0].round", "3e9"},
		{"results[0].round", "3e9"},
		{"results[0].iterations", "-1"},
		{"results[0].elements", "-1"},
		{"results[0].bytes", "1e999"},
		{"results[0].samples[1]", "-1e999"},
		{"tests[0].passed", "1e10"},
		{"tests[0].failed", "-1"},
		{"tests[0].skipped", "2147483648"},
		{"tests[0].errored", "0.5"},
		{"tests[0].cases[0].time_s", "-1"},
	};
	struct io_paths io;
	io_paths_init(&io);
	struct bg_db *a;
	CHECK_OK(bg_db_open(&a, io.pa));
	fill(a);
	export_to(a, io.ea, 0, 3);
	bg_db_close(a);
	char *x = slurp(io.ea), *ci = NULL;
	for (int i = 0; i < 3 && !ci; i++) {
		ci = nth_line(x, i);
		if (!strstr(ci, "\"kind\":\"ci\"")) {
			free(ci);
			ci = NULL;
		}
	}
	TF_CHECK(ci, "no ci run in the export");
	for (size_t i = 0; i < BG_COUNTOF(bad); i++) {
		char *s = with_value(ci, bad[i][0], bad[i][1]);
		const char *lines[] = {"", s};
		write_lines(io.bad, lines, 2);
		expect_bad_import(io.pb, io.bad, "2", bad[i][0]);
		free(s);
	}
	free(ci);
	free(x);
	bg_fs_rmtree(io.t.dir);
}

/* 100 runs x 100 series x 100 samples, as an export would write them. */
static void write_bench_file(const char *path, int runs, int series, int samples)
{
	FILE *f = fopen(path, "w");
	TF_CHECK(f, "fopen %s", path);
	tf_seed(42);
	for (int r = 0; r < runs; r++) {
		fprintf(f,
			"{\"uuid\":\"00000000-0000-4000-8000-%012d\",\"kind\":\"nightly\","
			"\"commit\":{\"sha\":\"%040d\",\"tree\":\"%040d\",\"parent\":null,"
			"\"subject\":\"commit %d\",\"author\":\"A <a@x>\",\"time\":%d},"
			"\"worktree\":false,\"tree\":\"%040d\",\"machine\":{\"fingerprint\":\"fp\","
			"\"hostname\":\"h\",\"cpu\":\"cpu\",\"flags\":\"avx2\",\"cores\":2,"
			"\"mem_bytes\":8589934592,\"os\":\"Linux\",\"gpu\":null},\"build\":null,"
			"\"config_hash\":\"cfg\",\"env\":{},\"harness_version\":\"0.1.0\","
			"\"label\":null,\"started\":%d,\"finished\":%d,\"complete\":true,"
			"\"status\":\"ok\",\"benches\":[{\"round\":0,\"mode\":\"default\","
			"\"params\":\"\",\"format\":\"bitgate-bench/1\",\"context\":{}}],"
			"\"results\":[",
			r, r, r, r, 1700000000 + r, r, 1700000000 + r, 1700000100 + r);
		for (int s = 0; s < series; s++) {
			fprintf(f,
				"%s{\"benchmark\":\"matmul/avx2/%dx256x256\",\"params\":\"\","
				"\"metric\":\"ns\",\"mode\":\"default\",\"round\":0,\"kernel\":"
				"\"avx2\",\"checked\":true,\"skipped\":null,\"iterations\":250,"
				"\"elements\":16777216,\"bytes\":0,\"samples\":[",
				s ? "," : "", s);
			for (int k = 0; k < samples; k++)
				fprintf(f, "%s%.15g", k ? "," : "",
					40000.0 + (double)(tf_rand() % 1000000) / 64.0);
			fputs("]}", f);
		}
		fputs("],\"tests\":[],\"errors\":[]}\n", f);
	}
	TF_CHECK(fclose(f) == 0, "fclose");
}

TF_TEST(db__import_bench)
{
	const char *on = getenv("BG_DB_IMPORT_BENCH");
	if (!on || strcmp(on, "1"))
		TF_SKIP("set BG_DB_IMPORT_BENCH=1 to time importing 1,000,000 samples");
	struct tmp t;
	char pdb[768], file[300];
	tmp_init(&t);
	db_test_target(pdb, sizeof(pdb), t.dir, "bench.db");
	tmp_path(&t, "bench.jsonl", file, sizeof(file));
	write_bench_file(file, 100, 100, 100);
	struct bg_db *db;
	CHECK_OK(bg_db_open(&db, pdb));
	struct bg_import_stats st;
	double t0 = bg_now();
	CHECK_OK(import_from(db, file, &st));
	double t1 = bg_now();
	TF_CHECK_EQ(st.runs_added, 100);
	TF_CHECK_EQ(st.samples_added, 1000000);
	bg_db_close(db);
	double t2 = bg_now();
	printf("import of %zu runs, %zu samples (%lld bytes of JSON lines): %.3f s "
	       "(close with checkpoint: %.3f s)\n",
	       st.runs_added, st.samples_added, (long long)bg_fs_du(file), t1 - t0, t2 - t1);
	TF_CHECK_EQ(raw_count(pdb, "samples"), 1000000);
	bg_fs_rmtree(t.dir);
}

/* --- bulk inserts (db_sql_bulk_*: COPY on PostgreSQL, multi-row INSERTs on SQLite) ------ */

/* Awkward values a bulk insert must store exactly: texts with what COPY's text format
 * escapes, doubles that need all 17 digits, the extremes of both types. */
static const char *const bulk_texts[] = {
	"plain", "tab\there", "new\nline", "back\\slash", "cr\r", NULL, "\\N", "ünï ✓", ""};
static const double bulk_doubles[] = {
	0.1,  1.0 / 3.0,           1e-300, 4.9406564584124654e-324, 1.7976931348623157e308,
	-2.5, 123456789.123456789, 0};

/* Row i of the round trip: a key, a double, a text; the last rows carry infinities, NaN and
 * the extreme integers. */
static int64_t bulk_key(int i, int n)
{
	return i == n - 1 ? INT64_MAX : i == n - 2 ? INT64_MIN : i;
}

static double bulk_double(int i, int n)
{
	if (i >= n - 3)
		return i == n - 1   ? __builtin_inf()
		       : i == n - 2 ? -__builtin_inf()
				    : __builtin_nan("");
	return bulk_doubles[i % BG_COUNTOF(bulk_doubles)];
}

/* One row read back against what went in: NaN is NULL on SQLite (it stores no NaN). */
static void bulk_check_row(struct db_sql_stmt *s, int i, int n)
{
	const char *want = bulk_texts[i % BG_COUNTOF(bulk_texts)], *got = db_sql_col_text(s, 2);
	double d = bulk_double(i, n);
	TF_CHECK_EQ(db_sql_col_int64(s, 0), bulk_key(i, n));
	if (d != d && !db_test_pg())
		TF_CHECK(db_sql_col_is_null(s, 1), "row %d: NaN stored as NULL on SQLite", i);
	else if (d != d)
		TF_CHECK(db_sql_col_double(s, 1) != db_sql_col_double(s, 1), "row %d: NaN", i);
	else
		TF_CHECK(db_sql_col_double(s, 1) == d, "row %d: %.17g != %.17g", i,
			 db_sql_col_double(s, 1), d);
	if (!want)
		TF_CHECK(db_sql_col_is_null(s, 2), "row %d: NULL text", i);
	else
		CHECK_STR(got, want);
}

TF_TEST(db__bulk_rows_stored_exactly)
{
	struct tmp t;
	char target[768];
	struct db_sql *c;
	struct db_sql_bulk *b;
	struct db_sql_stmt *s;
	/* two chunks of SQLite's multi-row INSERT and a tail of single rows */
	const int n = 2 * DB_SQL_BULK_CHUNK + 7;
	tmp_init(&t);
	db_test_target(target, sizeof(target), t.dir, "bulk.db");
	CHECK_OK(db_sql_open(&c, target));
	CHECK_OK(db_sql_exec_ddl(c, "CREATE TABLE bulk (k INTEGER PRIMARY KEY, d REAL, t TEXT)",
				 "making the table"));
	CHECK_OK(db_sql_begin_write(c, "bulk"));
	CHECK_OK(db_sql_bulk_begin(c, "bulk", "k, d, t", "storing rows", &b));
	for (int i = 0; i < n; i++) {
		db_sql_bulk_int64(b, bulk_key(i, n));
		db_sql_bulk_double(b, bulk_double(i, n));
		db_sql_bulk_text(b, bulk_texts[i % BG_COUNTOF(bulk_texts)]);
		CHECK_OK(db_sql_bulk_row(b));
	}
	CHECK_OK(db_sql_bulk_end(b, 0));
	CHECK_OK(db_sql_exec(c, "COMMIT", "committing"));
	CHECK_OK(db_sql_prepare(c, "SELECT k, d, t FROM bulk ORDER BY k", 0, &s, "reading"));
	/* in key order: INT64_MIN first, then 0..n-3, then INT64_MAX */
	TF_CHECK_EQ(db_sql_step(s, "reading"), 1);
	bulk_check_row(s, n - 2, n);
	for (int i = 0; i < n - 2; i++) {
		TF_CHECK_EQ(db_sql_step(s, "reading"), 1);
		bulk_check_row(s, i, n);
	}
	TF_CHECK_EQ(db_sql_step(s, "reading"), 1);
	bulk_check_row(s, n - 1, n);
	TF_CHECK_EQ(db_sql_step(s, "reading"), 0);
	db_sql_finalize(s);
	/* a row short of a column is refused, naming the rows */
	CHECK_OK(db_sql_begin_write(c, "bulk"));
	CHECK_OK(db_sql_bulk_begin(c, "bulk", "k, d, t", "storing rows", &b));
	db_sql_bulk_int64(b, 5000);
	TF_CHECK_EQ(db_sql_bulk_row(b), BG_EDB);
	TF_CHECK(strstr(bg_error_last(), "storing rows: a row of 1 values, not 3"), "%s",
		 bg_error_last());
	TF_CHECK_EQ(db_sql_bulk_end(b, BG_EDB), BG_EDB);
	db_sql_rollback(c);
	db_sql_close(c);
	TF_CHECK_EQ(db_raw_count(target, "SELECT count(*) FROM bulk"), n);
	bg_fs_rmtree(t.dir);
}

/* Starts a write on target and sends samples' rows (result_id, idx) by a bulk insert; on
 * PostgreSQL with kill, ends the connection's server process before the rows are sent.
 * Commits when the rows went in; the error of the bulk insert's end. */
static int bulk_samples(const char *target, const int64_t (*rows)[2], size_t n, int kill)
{
	struct db_sql *c, *admin;
	struct db_sql_bulk *b;
	struct db_sql_stmt *s;
	int64_t pid = 0;
	CHECK_OK(db_sql_open(&c, target));
	if (kill) {
		CHECK_OK(db_sql_prepare(c, "SELECT pg_backend_pid()", 0, &s, "pid"));
		TF_CHECK_EQ(db_sql_step(s, "pid"), 1);
		pid = db_sql_col_int64(s, 0);
		db_sql_finalize(s);
	}
	CHECK_OK(db_sql_begin_write(c, "bulk"));
	CHECK_OK(db_sql_bulk_begin(c, "samples", "result_id, idx, value", "storing samples", &b));
	int err = 0;
	for (size_t i = 0; i < n && err == 0; i++) {
		db_sql_bulk_int64(b, rows[i][0]);
		db_sql_bulk_int64(b, rows[i][1]);
		db_sql_bulk_double(b, 1.5);
		err = db_sql_bulk_row(b);
	}
	if (kill) { /* waits (5 s at most) until the process is gone */
		char sql[96];
		snprintf(sql, sizeof(sql), "SELECT pg_terminate_backend(%lld, 5000)",
			 (long long)pid);
		CHECK_OK(db_sql_open(&admin, target));
		CHECK_OK(db_sql_exec(admin, sql, "ending the writer's connection"));
		db_sql_close(admin);
	}
	err = db_sql_bulk_end(b, err);
	if (err == 0)
		CHECK_OK(db_sql_exec(c, "COMMIT", "committing"));
	db_sql_rollback(c);
	db_sql_close(c);
	return err;
}

/* A bulk insert that fails (a row breaks the primary key or the foreign key; on PostgreSQL
 * the connection drops) fails with BG_EDB naming the database and stores none of its rows;
 * the same rows without the clash are stored. */
TF_TEST(db__bulk_failure_stores_nothing)
{
	struct tmp t;
	char target[768];
	struct bg_db *db;
	tmp_init(&t);
	db_test_target(target, sizeof(target), t.dir, "a.db");
	CHECK_OK(bg_db_open(&db, target));
	fill(db);
	bg_db_close(db);
	int64_t before = raw_count(target, "samples");
	int64_t result = db_raw_count(target, "SELECT min(result_id) FROM samples");
	TF_CHECK(before > 0 && result > 0, "fill stored samples");
	const int64_t dup_old[][2] = {{result, 1000}, {result, 1001}, {result, 0}, {result, 1002}};
	const int64_t dup_new[][2] = {{result, 1000}, {result, 1000}};
	const int64_t fine[][2] = {{result, 1000}, {result, 1001}};
	const struct {
		const int64_t (*rows)[2];
		size_t n;
		int kill;
	} cases[] = {{dup_old, 4, 0}, {dup_new, 2, 0}, {fine, 2, 1}};
	for (size_t i = 0; i < BG_COUNTOF(cases); i++) {
		if (cases[i].kill && !db_test_pg())
			continue;
		int err = bulk_samples(target, cases[i].rows, cases[i].n, cases[i].kill);
		TF_CHECK(err == BG_EDB, "case %zu: %d %s", i, err, bg_error_last());
		TF_CHECK(strstr(bg_error_last(), db_test_shown(target)) &&
				 strstr(bg_error_last(), ": storing samples: "),
			 "case %zu: %s", i, bg_error_last());
		TF_CHECK_EQ(raw_count(target, "samples"), before);
	}
	CHECK_OK(bulk_samples(target, fine, 2, 0));
	TF_CHECK_EQ(raw_count(target, "samples"), before + 2);
	bg_fs_rmtree(t.dir);
}

/* Export then import keeps every double bit for bit: samples, elements and bytes of values
 * whose 15-digit form reads back within an ulp but not exactly (what cJSON alone writes). */
TF_TEST(db__export_import_keeps_doubles_exact)
{
	static const double v[] = {226367.74086645304,
				   0.30000000000000004,
				   1.0 / 3.0,
				   123456789.123456789,
				   6.02214076e23,
				   1e-300,
				   40112.5};
	const size_t k = BG_COUNTOF(v);
	static const char *const names[] = {"loop/scalar"};
	struct io_paths io;
	io_paths_init(&io);
	struct bg_db *a, *b;
	int64_t m1, m2, build;
	CHECK_OK(bg_db_open(&a, io.pa));
	fill_machines_commits_build(a, &m1, &m2, &build);
	struct bg_run_rec r = {
		.kind = "nightly", .commit_sha = SHA_A, .machine_id = m1, .started = 10};
	CHECK_OK(bg_db_run_begin(a, &r));
	struct bg_bench_set *s = make_set(names, 1, k, NULL, v);
	s->v[0].elements = 0.1 + 0.2;
	s->v[0].bytes = 1.0 / 3.0;
	CHECK_OK(bg_db_run_add_bench(a, r.id, 0, "default", "", s));
	CHECK_OK(bg_db_run_finish(a, r.id, "ok", 1));
	free(r.uuid);
	export_to(a, io.ea, 0, 1);
	bg_db_close(a);
	CHECK_OK(bg_db_open(&b, io.pb));
	struct bg_import_stats st;
	CHECK_OK(import_from(b, io.ea, &st));
	struct bg_run_rec *runs;
	size_t n, nr;
	CHECK_OK(bg_db_run_list(b, NULL, &runs, &n));
	TF_CHECK_EQ(n, 1);
	struct bg_result_rec *res;
	CHECK_OK(bg_db_run_results(b, runs[0].id, &res, &nr));
	TF_CHECK(nr == 1 && res[0].n == k, "%zu results, %zu samples", nr, nr ? res[0].n : 0);
	for (size_t i = 0; i < k; i++)
		TF_CHECK(!memcmp(&res[0].samples[i], &s->v[0].samples[i], sizeof(double)),
			 "sample %zu: %.17g came back as %.17g", i, s->v[0].samples[i],
			 res[0].samples[i]);
	TF_CHECK(!memcmp(&res[0].elements, &s->v[0].elements, sizeof(double)) &&
			 !memcmp(&res[0].bytes, &s->v[0].bytes, sizeof(double)),
		 "elements %.17g, bytes %.17g", res[0].elements, res[0].bytes);
	bg_db_results_free(res, nr);
	bg_db_run_list_free(runs, n);
	bg_bench_set_free(s);
	bg_db_close(b);
	bg_fs_rmtree(io.t.dir);
}

/* A run's pool (made by a fleet's claim) goes with it through export and import; a run with
 * none exports no "pool" key, as before the fleet. */
TF_TEST(db__export_import_keeps_pools)
{
	struct io_paths io;
	io_paths_init(&io);
	struct bg_db *a, *b;
	CHECK_OK(bg_db_open(&a, io.pa));
	fill(a);
	bg_db_close(a);
	db_raw_exec(io.pa, "UPDATE runs SET pool = 'zen3' WHERE id = (SELECT min(id) FROM runs)");
	CHECK_OK(bg_db_open(&a, io.pa));
	export_to(a, io.ea, 0, 3);
	bg_db_close(a);
	char *xa = slurp(io.ea);
	const char *at = strstr(xa, "\"pool\":\"zen3\"");
	TF_CHECK(at && !strstr(at + 1, "\"pool\"") && !strstr(xa, "\"pool\":null"),
		 "one run with its pool, the others without the key:\n%s", xa);
	CHECK_OK(bg_db_open(&b, io.pb));
	struct bg_import_stats st;
	CHECK_OK(import_from(b, io.ea, &st));
	export_to(b, io.eb, 0, 3);
	bg_db_close(b);
	TF_CHECK_EQ(db_raw_count(io.pb, "SELECT count(*) FROM runs WHERE pool = 'zen3'"), 1);
	TF_CHECK_EQ(db_raw_count(io.pb, "SELECT count(*) FROM runs WHERE pool IS NULL"), 2);
	char *xb = slurp(io.eb);
	CHECK_STR(xb, xa);
	free(xa);
	free(xb);
	bg_fs_rmtree(io.t.dir);
}

/* An import whose samples fill more than one batch of the bulk insert (4 MiB on
 * PostgreSQL: 250,000 samples) sends each batch after the results it names (their ids drawn
 * before they are sent); the foreign key would refuse a batch sent before its results. */
TF_TEST(db__import_sends_results_before_their_samples)
{
	struct tmp t;
	char pdb[768], file[300];
	struct bg_import_stats st;
	struct bg_db *db;
	tmp_init(&t);
	db_test_target(pdb, sizeof(pdb), t.dir, "big.db");
	tmp_path(&t, "big.jsonl", file, sizeof(file));
	write_bench_file(file, 25, 100, 100);
	CHECK_OK(bg_db_open(&db, pdb));
	CHECK_OK(import_from(db, file, &st));
	TF_CHECK_EQ(st.runs_added, 25);
	TF_CHECK_EQ(st.samples_added, 250000);
	bg_db_close(db);
	TF_CHECK_EQ(raw_count(pdb, "results"), 2500);
	TF_CHECK_EQ(raw_count(pdb, "samples"), 250000);
	/* every result has its own 100 samples */
	TF_CHECK_EQ(db_raw_count(pdb, "SELECT count(*) FROM (SELECT result_id FROM samples "
				      "GROUP BY result_id HAVING count(*) = 100) x"),
		    2500);
	bg_fs_rmtree(t.dir);
}
