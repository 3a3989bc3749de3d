/* Copying a history between two databases (bitgate db copy): the source's export written to
 * an unlinked temporary file, then imported into the destination in one transaction, both
 * through counting streams that log progress on a long copy (bg_copy.h). */
#include "bg_copy.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bg_buf.h"
#include "bg_error.h"
#include "bg_log.h"
#include "bg_report.h"

/* Seconds between two progress lines. */
#define PROGRESS_EVERY_S 5.0

/* A stream over the temporary file that counts what passes and says so now and then. */
struct counted {
	FILE *f;          /* the temporary file */
	const char *name; /* the database on the other side, for the progress line */
	size_t lines;     /* written: records so far */
	long long bytes;  /* read: bytes so far */
	long long total;  /* read: the file's size */
	double next;      /* when the next progress line is due (bg_now) */
};

static ssize_t counted_write(void *cookie, const char *buf, size_t size)
{
	struct counted *c = cookie;
	size_t n = fwrite(buf, 1, size, c->f);
	for (const char *p = buf; (p = memchr(p, '\n', (size_t)(buf + n - p))); p++)
		c->lines++;
	if (bg_now() >= c->next) {
		bg_log_info("copy: %zu records read from %s so far", c->lines, c->name);
		c->next = bg_now() + PROGRESS_EVERY_S;
	}
	return n == size ? (ssize_t)n : -1;
}

static ssize_t counted_read(void *cookie, char *buf, size_t size)
{
	struct counted *c = cookie;
	size_t n = fread(buf, 1, size, c->f);
	c->bytes += (long long)n;
	if (bg_now() >= c->next && c->total > 0) {
		bg_log_info("copy: %lld%% of %.1f MB imported into %s", 100 * c->bytes / c->total,
			    (double)c->total / 1e6, c->name);
		c->next = bg_now() + PROGRESS_EVERY_S;
	}
	return n < size && ferror(c->f) ? -1 : (ssize_t)n;
}

/* An unlinked temporary file in $TMPDIR (default /tmp), open for writing and reading. */
static int temp_file(FILE **out)
{
	const char *dir = getenv("TMPDIR");
	struct bg_buf path = BG_BUF_INIT;
	if (bg_buf_printf(&path, "%s/bitgate-copy-XXXXXX", dir && *dir ? dir : "/tmp") < 0)
		return BG_ENOMEM;
	int fd = mkstemp(path.ptr);
	int rc = fd < 0 ? bg_error_set(BG_EINFRA, "%s: cannot make a temporary file: %s", path.ptr,
				       strerror(errno))
			: 0;
	if (fd >= 0) {
		unlink(path.ptr);
		if (!(*out = fdopen(fd, "w+"))) {
			rc = bg_error_set(BG_EINFRA, "%s: %s", path.ptr, strerror(errno));
			close(fd);
		}
	}
	bg_buf_free(&path);
	return rc;
}

/* Opens the side named target; a missing source file is not created. Errors start with
 * side ("--from", "--to"). */
static int open_side(struct bg_db **db, const char *target, const char *side, int must_exist)
{
	struct stat sb;
	if (must_exist && !bg_db_is_server(target) && stat(target, &sb) != 0)
		return bg_error_set(BG_ENOTFOUND, "%s %s: %s", side, target, strerror(errno));
	int rc = bg_db_open(db, target);
	return rc < 0 ? bg_error_wrap("%s", side) : 0;
}

/* 1 when both sides are plainly the same database: the same words, or the same file. (A
 * server's database named two ways is not caught; copying it into itself adds nothing.) */
static int same_database(const char *from, const char *to)
{
	if (!strcmp(from, to))
		return 1;
	struct stat sa, sb;
	return !bg_db_is_server(from) && !bg_db_is_server(to) && stat(from, &sa) == 0 &&
	       stat(to, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* The source's export into tmp, through a counting stream. */
static int export_side(struct bg_db *src, FILE *tmp, int64_t since, struct bg_copy_stats *st)
{
	struct counted c = {.f = tmp, .name = bg_db_name(src), .next = bg_now() + PROGRESS_EVERY_S};
	cookie_io_functions_t io = {.write = counted_write};
	FILE *w = fopencookie(&c, "w", io);
	if (!w)
		return bg_error_oom();
	int rc = bg_db_export(src, w, since, bg_decision_json_set_ids, &st->runs_read,
			      &st->decisions_read);
	if (fclose(w) != 0 && rc == 0)
		rc = bg_error_set(BG_EINFRA, "the temporary copy of %s: write failed: %s",
				  bg_db_name(src), strerror(errno));
	if (rc == 0 && fflush(tmp) != 0)
		rc = bg_error_set(BG_EINFRA, "the temporary copy of %s: write failed: %s",
				  bg_db_name(src), strerror(errno));
	return rc < 0 ? bg_error_wrap("--from") : 0;
}

/* The temporary file imported into dst, through a counting stream. */
static int import_side(struct bg_db *dst, struct bg_db *src, FILE *tmp, struct bg_copy_stats *st)
{
	long long total = ftello(tmp);
	rewind(tmp);
	struct counted c = {.f = tmp,
			    .name = bg_db_name(dst),
			    .total = total,
			    .next = bg_now() + PROGRESS_EVERY_S};
	cookie_io_functions_t io = {.read = counted_read};
	FILE *r = fopencookie(&c, "r", io);
	if (!r)
		return bg_error_oom();
	struct bg_buf origin = BG_BUF_INIT;
	int rc = bg_buf_printf(&origin, "the export of %s", bg_db_name(src));
	if (rc == 0)
		rc = bg_db_import(dst, r, origin.ptr, bg_decision_json_set_ids, &st->imp);
	fclose(r);
	bg_buf_free(&origin);
	return rc < 0 ? bg_error_wrap("--to") : 0;
}

int bg_copy_run(const char *from, const char *to, int64_t since, struct bg_copy_stats *st)
{
	struct bg_db *src = NULL, *dst = NULL;
	FILE *tmp = NULL;
	memset(st, 0, sizeof(*st));
	int rc = open_side(&src, from, "--from", 1);
	if (rc == 0)
		rc = open_side(&dst, to, "--to", 0);
	if (rc == 0 && same_database(from, to))
		rc = bg_error_set(BG_EINPUT, "--from and --to name the same database (%s)",
				  bg_db_name(src));
	if (rc == 0)
		rc = temp_file(&tmp);
	if (rc == 0)
		rc = export_side(src, tmp, since, st);
	if (rc == 0)
		rc = import_side(dst, src, tmp, st);
	if (tmp)
		fclose(tmp);
	bg_db_close(dst);
	bg_db_close(src);
	return rc;
}
