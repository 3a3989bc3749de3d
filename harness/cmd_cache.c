/* bitgate cache: the build cache under .bitgate/cache, listed or pruned. Pruning removes
 * directories only; the builds' records stay, since runs refer to them. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "bg_app.h"
#include "bg_build.h"
#include "bg_cmds.h"
#include "bg_error.h"
#include "bg_fs.h"
#include "bg_log.h"
#include "bg_table.h"

static const struct bg_cmd_info info = {
	"cache",
	"bitgate cache ls | prune [--keep N] [--older-than DAYS] [--all] [--dry-run]",
	"ls lists the cached builds, least recently used first. prune removes cached build\n"
	"directories beyond the N most recently used (default 5), or unused for DAYS, or all;\n"
	"and directories left by interrupted builds. Build records stay in the database.",
	"exit status: 0 done; 2 bad usage; 3 the database is unusable or a removal failed.\n",
};

static void list(const struct bg_build_rec *b, size_t n)
{
	static const char *const hdr[] = {"build",           "tree",      "config",
					  "status",          "build s",   "size",
					  "last used (UTC)", "directory", NULL};
	struct bg_table *t;
	if (bg_table_new(&t, hdr) < 0)
		return;
	bg_table_align(t, 0, BG_RIGHT);
	bg_table_align(t, 4, BG_RIGHT);
	bg_table_align(t, 5, BG_RIGHT);
	double total = 0;
	for (size_t i = 0; i < n; i++) {
		char when[32], size[32];
		bg_format_time(when, sizeof(when), b[i].last_used);
		double sz = (double)bg_fs_du(b[i].dir);
		total += sz;
		bg_fmt_bytes(size, sizeof(size), sz);
		bg_table_cellf(t, "%lld", (long long)b[i].id);
		bg_table_cellf(t, "%.12s", b[i].tree);
		bg_table_cellf(t, "%.12s", b[i].config_hash);
		bg_table_cell(t, b[i].status);
		bg_table_cellf(t, "%.1f", b[i].duration_s);
		bg_table_cell(t, size);
		bg_table_cell(t, when);
		bg_table_cell(t, b[i].dir);
	}
	bg_table_print(t, stdout);
	bg_table_free(t);
	char size[32];
	bg_fmt_bytes(size, sizeof(size), total);
	printf("%zu cached build%s, %s\n", n, n == 1 ? "" : "s", size);
}

/* 1 when another process holds the entry's build lock (a build in progress). */
static int locked(const char *dir)
{
	struct bg_buf p = BG_BUF_INIT;
	bg_buf_printf(&p, "%s.lock", dir);
	int fd = open(bg_buf_cstr(&p), O_RDWR | O_CLOEXEC);
	bg_buf_free(&p);
	if (fd < 0)
		return 0;
	int busy = flock(fd, LOCK_EX | LOCK_NB) < 0;
	close(fd);
	return busy;
}

static int remove_entry(const char *dir, int dry_run)
{
	if (dry_run) {
		printf("would remove %s\n", dir);
		return 0;
	}
	if (locked(dir)) {
		bg_log_info("skipping %s: a build is in progress", dir);
		return 0;
	}
	int rc = bg_fs_rmtree(dir);
	struct bg_buf p = BG_BUF_INIT;
	bg_buf_printf(&p, "%s.lock", dir);
	unlink(bg_buf_cstr(&p));
	bg_buf_free(&p);
	if (rc == 0)
		printf("removed %s\n", dir);
	return rc;
}

static int prune(struct bg_app *app, int keep, int older_days, int all, int dry_run)
{
	struct bg_build_rec *b = NULL;
	size_t n = 0;
	int rc = bg_db_build_list(app->db, &b, &n);
	if (rc < 0)
		return rc;
	int64_t cutoff = older_days > 0 ? bg_unix_time() - (int64_t)older_days * 86400 : 0;
	size_t removed = 0;
	/* least recently used first: the last `keep` entries stay */
	for (size_t i = 0; i < n && rc == 0; i++) {
		int drop = all || (keep >= 0 && i + (size_t)keep < n) ||
			   (cutoff && b[i].last_used < cutoff);
		if (!drop)
			continue;
		if ((rc = remove_entry(b[i].dir, dry_run)) == 0 && !dry_run)
			rc = bg_db_build_forget_dir(app->db, b[i].id);
		removed++;
	}
	/* directories no build record points at: interrupted builds */
	char *root = bg_build_cache_root(app);
	DIR *d = root ? opendir(root) : NULL;
	struct dirent *e;
	struct bg_buf path = BG_BUF_INIT;
	while (rc == 0 && d && (e = readdir(d))) {
		if (e->d_name[0] == '.' || strstr(e->d_name, ".lock"))
			continue;
		bg_path_join(&path, root, e->d_name);
		int known = 0;
		for (size_t i = 0; i < n && !known; i++)
			known = b[i].dir && !strcmp(b[i].dir, path.ptr);
		if (!known) {
			rc = remove_entry(path.ptr, dry_run);
			removed++;
		}
	}
	if (d)
		closedir(d);
	bg_buf_free(&path);
	free(root);
	bg_db_build_list_free(b, n);
	if (rc == 0)
		printf("%s %zu cache director%s\n", dry_run ? "would remove" : "removed", removed,
		       removed == 1 ? "y" : "ies");
	return rc;
}

int cmd_cache(struct bg_app *app, int argc, char **argv)
{
	int keep = -1, older = 0, all = 0, dry_run = 0;
	const struct bg_opt opts[] = {
		{"keep", 0, BG_OPT_INT, &keep, "N",
		 "prune: keep the N most recently used (default 5)"},
		{"older-than", 0, BG_OPT_INT, &older, "DAYS",
		 "prune: remove builds unused for DAYS"},
		{"all", 0, BG_OPT_FLAG, &all, NULL, "prune: remove every cached build"},
		{"dry-run", 0, BG_OPT_FLAG, &dry_run, NULL, "prune: only say what would go"},
		BG_OPT_ROW_END,
	};
	static const char what[] = "expected ls or prune";
	const char *sub;
	int status = bg_cli_parse_args(&info, opts, argc, argv, &sub, 1, what);
	if (status != BG_CLI_GO_ON)
		return status;
	if (!sub || (strcmp(sub, "ls") && strcmp(sub, "prune")))
		return bg_cli_usage_error(&info, "%s", what);
	if (keep < 0 && !older && !all)
		keep = 5;
	if ((status = bg_app_setup(app)))
		return status;
	int rc;
	if (!strcmp(sub, "ls")) {
		struct bg_build_rec *b = NULL;
		size_t n = 0;
		if ((rc = bg_db_build_list(app->db, &b, &n)) == 0)
			list(b, n);
		bg_db_build_list_free(b, n);
	} else {
		rc = prune(app, keep, older, all, dry_run);
	}
	return rc < 0 ? bg_app_fail(rc) : BG_EXIT_OK;
}
