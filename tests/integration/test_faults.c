/* Faults around bitgate itself: what a run that could not be stored leaves behind and what
 * the summary says of it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "it_fixture.h"
#include "tf.h"
#include "tg_fixture.h"

/* Mounts a tmpfs of size bytes at dir; skips the case where this process may not. */
static void mount_small_tmpfs(const char *dir, long size)
{
	if (geteuid() != 0)
		TF_SKIP("a disk that fills needs a tmpfs, and mounting one needs root");
	char opts[64];
	snprintf(opts, sizeof(opts), "size=%ld", size);
	TF_CHECK(mkdir(dir, 0755) == 0, "mkdir %s", dir);
	if (mount("tmpfs", dir, "tmpfs", 0, opts) != 0)
		TF_SKIP("cannot mount a tmpfs here (%s)", strerror(errno));
}

/* bitgate.json whose bench first fills the disk at fill (so the database's disk is full
 * while the run is being stored), then runs as usual. */
static void commit_filling_bench(struct fx *f, const char *fill, char *sha)
{
	char cfg[2048];
	snprintf(cfg, sizeof(cfg),
		 "{\"version\": 1, \"build\": [{\"name\": \"bench\", \"argv\": [\"cc\", "
		 "\"-O1\", \"-o\", \"{build}/bench\", \"{src}/bench.c\"]}], \"bench\": "
		 "{\"argv\": [\"sh\", \"-c\", \"cat /dev/zero > %s 2>/dev/null; exec "
		 "{build}/bench\"], \"warmup\": 0}}\n",
		 fill);
	TF_CHECK(tg_write(f->repo, "bitgate.json", cfg) == 0, "write bitgate.json");
	commit_cost(f, 1100, 4, 0, sha);
}

/* The run line of the summary table for sha (its first 10 characters), or NULL. */
static const char *summary_line(const char *out, const char *sha)
{
	char key[11];
	snprintf(key, sizeof(key), "%.10s", sha);
	return strstr(out, key);
}

/* The database's disk fills while a run is being stored: it fails with exit 3 and a message
 * saying so, its summary row never says ok, and the run stored before is intact and checked. */
TF_TEST(integration__disk_full_keeps_what_was_stored)
{
	struct fx f;
	fx_init(&f, "full");
	char mnt[600], first[41], second[41];
	snprintf(mnt, sizeof(mnt), "%s/small", f.root);
	mount_small_tmpfs(mnt, 4L << 20);
	snprintf(f.db, sizeof(f.db), "%s/small/bitgate.db", f.root);
	char filler[700];
	snprintf(filler, sizeof(filler), "%s/filler", mnt);
	commit_cost(&f, 1000, 4, 0, first);
	commit_filling_bench(&f, filler, second);
	EXPECT_EXIT(0, bitgate(&f, "run", first, "--no-tests", NULL));

	EXPECT_EXIT(3, bitgate(&f, "run", second, "--no-tests", "--repetitions", "3", NULL));
	TF_CHECK(strstr(err_text.ptr, "full"), "stderr names the full disk:\n%s", err_text.ptr);
	const char *row = summary_line(out_text.ptr, second);
	TF_CHECK(row != NULL, "no summary row for the failed run:\n%s", out_text.ptr);
	const char *eol = strchr(row, '\n');
	size_t len = eol ? (size_t)(eol - row) : strlen(row);
	TF_CHECK(len >= 3 && memcmp(row + len - 3, " ok", 3) != 0,
		 "the failed run's summary says ok:\n%s", out_text.ptr);

	TF_CHECK(unlink(filler) == 0, "unlink filler");
	EXPECT_EXIT(0, bitgate(&f, "db", "check", NULL));
	struct bg_db *db = open_db(&f);
	struct bg_run_rec *runs;
	size_t n = runs_of(db, first, &runs);
	TF_CHECK(n == 1 && runs[0].complete && !strcmp(runs[0].status, "ok") &&
			 runs[0].n_samples > 0,
		 "the first run is intact: %zu runs", n);
	bg_db_run_list_free(runs, n);
	n = runs_of(db, second, &runs);
	for (size_t i = 0; i < n; i++)
		TF_CHECK(!runs[i].complete, "the run that could not be stored is complete");
	bg_db_run_list_free(runs, n);
	bg_db_close(db);
	TF_CHECK(umount(mnt) == 0, "umount %s: %s", mnt, strerror(errno));
	fx_done(&f);
}
