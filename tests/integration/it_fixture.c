/* The throwaway project the integration tests gate: a tiny C benchmark (bitgate-bench/1)
 * and test program (JUnit), committed with libgit2, and a way to run the bitgate binary on
 * it and read its database. */
#include "it_fixture.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bg_error.h"
#include "bg_fs.h"
#include "bg_proc.h"
#include "tf.h"
#include "tg_fixture.h"

/* The subject: BEHAVIOUR 0 measures a loop of COST iterations (each sample the fastest of
 * three tries), 4 reports COST ns with +-1% random jitter instead of timing anything (so
 * the gate tests decide on known differences, not on this shared machine's noise; times
 * COST_SCALE from the environment, default 1, as an opt-in mode's cost), 1 crashes, 2
 * hangs (with a child that hangs too), 3 prints garbage, 5 and 6 measure as 0 does, print
 * their valid report, then exit with status 1 (5) or abort (6). */
const char it_bench_c[] =
	"#include <stdio.h>\n#include <stdlib.h>\n#include <time.h>\n#include <unistd.h>\n"
	"#include \"cost.h\"\n"
	"static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t);\n"
	"  return t.tv_sec * 1e9 + t.tv_nsec; }\n"
	"int main(void) {\n"
	"  if (BEHAVIOUR == 1) { fprintf(stderr, \"about to crash\\n\"); fflush(stderr); abort(); "
	"}\n"
	"  if (BEHAVIOUR == 2) { fprintf(stderr, \"hanging\\n\"); fflush(stderr);\n"
	"    if (fork() == 0) for (;;) pause();\n    for (;;) pause(); }\n"
	"  if (BEHAVIOUR == 3) { printf(\"Segmentation fault (core dumped)\\n\"); return 0; }\n"
	"  double s[5]; volatile unsigned long acc = 0;\n"
	"  srand((unsigned)getpid());\n"
	"  double scale = getenv(\"COST_SCALE\") ? atof(getenv(\"COST_SCALE\")) : 1;\n"
	"  for (int r = 0; r < 5; r++) { s[r] = 1e30;\n"
	"    if (BEHAVIOUR == 4) { s[r] = COST * scale * (1 + 0.01 * (2.0 * rand() / RAND_MAX - "
	"1)); "
	"continue; }\n"
	"    for (int k = 0; k < 3; k++) { double t0 = now();\n"
	"      for (long i = 0; i < COST; i++) acc += (unsigned long)i * 7u;\n"
	"      double t = now() - t0 + 1; if (t < s[r]) s[r] = t; } }\n"
	"  printf(\"{\\\"schema\\\": \\\"bitgate-bench/1\\\", \\\"context\\\": {\\\"program\\\": "
	"\\\"tinybench\\\", \\\"threads\\\": 1, \\\"kernels\\\": [\\\"scalar\\\"]}, \"\n"
	"         \"\\\"benchmarks\\\": [{\\\"name\\\": \\\"loop/scalar\\\", \\\"unit\\\": "
	"\\\"ns\\\", "
	"\\\"samples\\\": [%.1f, %.1f, %.1f, %.1f, %.1f], \\\"iterations\\\": 1, "
	"\\\"elements\\\": %d, \\\"kernel\\\": \\\"scalar\\\", \\\"checked\\\": true}, \"\n"
	"         \"{\\\"name\\\": \\\"loop/simd\\\", \\\"unit\\\": \\\"ns\\\", \\\"skipped\\\": "
	"\\\"no SIMD on this machine\\\"}]}\\n\", s[0], s[1], s[2], s[3], s[4], COST);\n"
	"  if (BEHAVIOUR == 5) return 1;\n"
	"  if (BEHAVIOUR == 6) { fflush(stdout); abort(); }\n"
	"  return 0;\n}\n";

/* Writes a JUnit report: two passing cases, one skipped, and a failing one with FAIL. */
const char it_test_c[] =
	"#include <stdio.h>\n#include \"cost.h\"\n"
	"int main(int argc, char **argv) {\n"
	"  FILE *f = fopen(argv[1], \"w\"); if (!f) return 2;\n"
	"  fprintf(f, \"<?xml version=\\\"1.0\\\"?>\\n<testsuites><testsuite "
	"name=\\\"tiny\\\">\\n\");\n"
	"  fprintf(f, \"<testcase name=\\\"adds\\\" time=\\\"0.01\\\"/>\\n\");\n"
	"  fprintf(f, \"<testcase name=\\\"multiplies\\\"/>\\n\");\n"
	"  fprintf(f, \"<testcase name=\\\"gpu\\\"><skipped message=\\\"no "
	"GPU\\\"/></testcase>\\n\");\n"
	"  if (FAIL) fprintf(f, \"<testcase name=\\\"breaks\\\"><failure message=\\\"1 != "
	"2\\\"/></testcase>\\n\");\n"
	"  fprintf(f, \"</testsuite></testsuites>\\n\"); fclose(f); return FAIL; }\n";

const char it_config_json[] =
	"{\n  \"version\": 1,\n"
	"  \"build\": [\n"
	"    {\"name\": \"bench\", \"argv\": [\"cc\", \"-O1\", \"-o\", \"{build}/bench\", "
	"\"{src}/bench.c\"], \"timeout_s\": 120},\n"
	"    {\"name\": \"test\", \"argv\": [\"cc\", \"-O1\", \"-o\", \"{build}/test\", "
	"\"{src}/test.c\"], \"timeout_s\": 120}\n  ],\n"
	"  \"bench\": {\"argv\": [\"{build}/bench\"], \"format\": \"bitgate-bench/1\", "
	"\"timeout_s\": 3, \"warmup\": 1},\n"
	"  \"tests\": [{\"suite\": \"cpu\", \"argv\": [\"{build}/test\", \"{out}/cpu.xml\"], "
	"\"junit\": \"{out}/cpu.xml\", \"timeout_s\": 60}]\n}\n";

void fx_init(struct fx *f, const char *tag)
{
	TF_CHECK(tg_tmpdir(f->root, sizeof(f->root), tag) == 0, "tmpdir");
	snprintf(f->repo, sizeof(f->repo), "%s/repo", f->root);
	snprintf(f->db, sizeof(f->db), "%s/bitgate.db", f->root);
	TF_CHECK(tg_repo_init(f->repo) == 0, "init");
	TF_CHECK(tg_write(f->repo, "bench.c", it_bench_c) == 0, "write");
	TF_CHECK(tg_write(f->repo, "test.c", it_test_c) == 0, "write");
	TF_CHECK(tg_write(f->repo, "bitgate.json", it_config_json) == 0, "write");
	TF_CHECK(tg_write(f->repo, ".gitignore", ".bitgate/\n") == 0, "write");
}

void fx_done(struct fx *f)
{
	bg_fs_rmtree(f->root);
}

/* Commits cost.h with the given knobs; sha receives the commit. */
void commit_cost(struct fx *f, long cost, int behaviour, int fail, char *sha)
{
	char text[200], msg[100];
	snprintf(text, sizeof(text), "#define COST %ldL\n#define BEHAVIOUR %d\n#define FAIL %d\n",
		 cost, behaviour, fail);
	snprintf(msg, sizeof(msg), "cost %ld behaviour %d", cost, behaviour);
	TF_CHECK(tg_write(f->repo, "cost.h", text) == 0, "write cost.h");
	TF_CHECK(tg_commit(f->repo, msg, sha) == 0, "commit");
}

void commit_line(struct fx *f, const char *tag, int n, int slow_at, int broken,
		 char (*shas)[41])
{
	fx_init(f, tag);
	for (int i = 0; i < n; i++) {
		if (i == broken) {
			TF_CHECK(tg_write(f->repo, "bench.c",
					  "int main(void) { return nope; }\n") == 0,
				 "write");
			TF_CHECK(tg_commit(f->repo, "break the build", shas[i]) == 0, "commit");
			TF_CHECK(tg_write(f->repo, "bench.c", it_bench_c) == 0, "write");
			continue;
		}
		commit_cost(f, (i >= slow_at ? 1100000L : 1000000L) + i, 4, 0, shas[i]);
	}
}

size_t count_nightly_runs(struct bg_db *db)
{
	struct bg_run_filter flt = {.kind = "nightly"};
	struct bg_run_rec *v;
	size_t n;
	TF_CHECK(bg_db_run_list(db, &flt, &v, &n) == 0, "%s", bg_error_last());
	bg_db_run_list_free(v, n);
	return n;
}

struct bg_buf out_text, err_text;

/* bitgate --repo R --db D, then the arguments of ap up to their NULL, into argv (40). */
static void bitgate_argv(struct fx *f, char **argv, va_list ap)
{
	int n = 0;
	argv[n++] = BG_BITGATE_PATH;
	argv[n++] = "--repo";
	argv[n++] = f->repo;
	argv[n++] = "--db";
	argv[n++] = f->db;
	const char *a;
	while ((a = va_arg(ap, const char *)) && n < 39)
		argv[n++] = (char *)a;
	argv[n] = NULL;
}

/* Runs bitgate with env added to its environment; its stdout and stderr land in out_text /
 * err_text. */
static int bitgate_run(struct fx *f, char *const *env, va_list ap)
{
	char *argv[40];
	bitgate_argv(f, argv, ap);
	char op[700], ep[700];
	snprintf(op, sizeof(op), "%s/stdout.txt", f->root);
	snprintf(ep, sizeof(ep), "%s/stderr.txt", f->root);
	struct bg_proc_opts po = {.argv = argv,
				  .env = env,
				  .stdout_path = op,
				  .stderr_path = ep,
				  .timeout_s = 240,
				  .pin_cpu = -1};
	struct bg_proc_result r;
	TF_CHECK(bg_proc_run(&po, &r) == 0, "running bitgate: %s", bg_error_last());
	bg_buf_clear(&out_text);
	bg_buf_clear(&err_text);
	bg_fs_read(&out_text, op);
	bg_fs_read(&err_text, ep);
	TF_CHECK(r.exited, "bitgate did not exit normally (signal %d); stderr:\n%s", r.signal,
		 bg_buf_cstr(&err_text));
	return r.exit_code;
}

int bitgate(struct fx *f, ...)
{
	va_list ap;
	va_start(ap, f);
	int rc = bitgate_run(f, NULL, ap);
	va_end(ap);
	return rc;
}

int bitgate_env(struct fx *f, char *const *env, ...)
{
	va_list ap;
	va_start(ap, env);
	int rc = bitgate_run(f, env, ap);
	va_end(ap);
	return rc;
}

pid_t bitgate_start(struct fx *f, const char *tag, ...)
{
	char *argv[40], op[700], ep[700];
	va_list ap;
	va_start(ap, tag);
	bitgate_argv(f, argv, ap);
	va_end(ap);
	snprintf(op, sizeof(op), "%s/%s.out", f->root, tag);
	snprintf(ep, sizeof(ep), "%s/%s.err", f->root, tag);
	pid_t pid = fork();
	TF_CHECK(pid >= 0, "fork");
	if (pid == 0) {
		int fo = open(op, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int fe = open(ep, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fo < 0 || fe < 0 || dup2(fo, 1) < 0 || dup2(fe, 2) < 0)
			_exit(126);
		execv(argv[0], argv);
		_exit(127);
	}
	return pid;
}

int bitgate_wait(struct fx *f, const char *tag, pid_t pid)
{
	int st;
	TF_CHECK(waitpid(pid, &st, 0) == pid, "waiting for bitgate %s", tag);
	char op[700], ep[700];
	snprintf(op, sizeof(op), "%s/%s.out", f->root, tag);
	snprintf(ep, sizeof(ep), "%s/%s.err", f->root, tag);
	bg_buf_clear(&out_text);
	bg_buf_clear(&err_text);
	bg_fs_read(&out_text, op);
	bg_fs_read(&err_text, ep);
	return st;
}

int wait_for_file(const char *path, double timeout_s)
{
	for (double waited = 0; waited < timeout_s; waited += 0.02) {
		if (access(path, F_OK) == 0)
			return 1;
		usleep(20 * 1000);
	}
	return access(path, F_OK) == 0;
}

struct bg_db *open_db(struct fx *f)
{
	struct bg_db *db;
	TF_CHECK(bg_db_open(&db, f->db) == 0, "open db: %s", bg_error_last());
	return db;
}

/* The runs of a commit, newest first. */
size_t runs_of(struct bg_db *db, const char *sha, struct bg_run_rec **runs)
{
	struct bg_run_filter flt = {.commit_prefix = sha};
	size_t n = 0;
	TF_CHECK(bg_db_run_list(db, &flt, runs, &n) == 0, "run list: %s", bg_error_last());
	return n;
}

const struct bg_result_rec *find_result(const struct bg_result_rec *r, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(r[i].benchmark, name))
			return &r[i];
	return NULL;
}
