/* File-system helpers. */
#include "bg_fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bg_error.h"

/* The refusal of a file larger than max_bytes. */
static int too_large(int fd, const char *path, size_t max_bytes)
{
	close(fd);
	return bg_error_set(BG_EINPUT, "%s: larger than the %zu bytes bitgate reads of it", path,
			    max_bytes);
}

int bg_fs_read_max(struct bg_buf *out, const char *path, size_t max_bytes)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return bg_error_set(errno == ENOENT ? BG_ENOTFOUND : BG_EINFRA, "%s: %s", path,
				    strerror(errno));
	struct stat st;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (uintmax_t)st.st_size > max_bytes)
		return too_large(fd, path, max_bytes);
	char chunk[65536];
	size_t total = 0;
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			close(fd);
			return bg_error_set(BG_EINFRA, "%s: read: %s", path, strerror(e));
		}
		if (n == 0)
			break;
		if ((total += (size_t)n) > max_bytes) /* it grew, or is not a regular file */
			return too_large(fd, path, max_bytes);
		if (bg_buf_put(out, chunk, (size_t)n) < 0) {
			close(fd);
			return BG_ENOMEM;
		}
	}
	close(fd);
	if (!out->ptr)
		return bg_buf_grow(out, 0) < 0 ? BG_ENOMEM : (out->ptr[0] = '\0', 0);
	return 0;
}

int bg_fs_read(struct bg_buf *out, const char *path)
{
	return bg_fs_read_max(out, path, SIZE_MAX);
}

static int write_all(int fd, const void *data, size_t n)
{
	const char *p = data;
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int bg_fs_write(const char *path, const void *data, size_t n)
{
	struct bg_buf tmp = BG_BUF_INIT;
	if (bg_buf_printf(&tmp, "%s.tmp.%ld", path, (long)getpid()) < 0)
		return BG_ENOMEM;
	int fd = open(tmp.ptr, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		int rc = bg_error_set(BG_EINFRA, "%s: %s", path, strerror(errno));
		bg_buf_free(&tmp);
		return rc;
	}
	if (write_all(fd, data, n) < 0 || close(fd) < 0) {
		int rc = bg_error_set(BG_EINFRA, "%s: write: %s", path, strerror(errno));
		unlink(tmp.ptr);
		bg_buf_free(&tmp);
		return rc;
	}
	if (rename(tmp.ptr, path) < 0) {
		int rc = bg_error_set(BG_EINFRA, "%s: rename: %s", path, strerror(errno));
		unlink(tmp.ptr);
		bg_buf_free(&tmp);
		return rc;
	}
	bg_buf_free(&tmp);
	return 0;
}

int bg_fs_mkdirs(const char *path)
{
	char p[PATH_MAX];
	size_t n = strlen(path);
	if (n == 0 || n >= sizeof(p))
		return bg_error_set(BG_EINPUT, "bad directory path '%s'", path);
	memcpy(p, path, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (p[i] != '/' && p[i] != '\0')
			continue;
		char c = p[i];
		p[i] = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			return bg_error_set(BG_EINFRA, "mkdir %s: %s", p, strerror(errno));
		p[i] = c;
	}
	if (!bg_fs_is_dir(path))
		return bg_error_set(BG_EINFRA, "%s: not a directory", path);
	return 0;
}

int bg_fs_rmtree(const char *path)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0
				       : bg_error_set(BG_EINFRA, "%s: %s", path, strerror(errno));
	if (!S_ISDIR(st.st_mode)) {
		if (unlink(path) < 0 && errno != ENOENT)
			return bg_error_set(BG_EINFRA, "rm %s: %s", path, strerror(errno));
		return 0;
	}
	DIR *d = opendir(path);
	if (!d)
		return bg_error_set(BG_EINFRA, "%s: %s", path, strerror(errno));
	struct dirent *e;
	struct bg_buf child = BG_BUF_INIT;
	int rc = 0;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if ((rc = bg_path_join(&child, path, e->d_name)) < 0)
			break;
		if ((rc = bg_fs_rmtree(child.ptr)) < 0)
			break;
	}
	closedir(d);
	bg_buf_free(&child);
	if (rc == 0 && rmdir(path) < 0 && errno != ENOENT)
		rc = bg_error_set(BG_EINFRA, "rmdir %s: %s", path, strerror(errno));
	return rc;
}

int bg_fs_exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

int bg_fs_is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int bg_fs_tail(struct bg_buf *out, const char *path, size_t max_bytes)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	struct stat st;
	if (fstat(fd, &st) < 0) {
		close(fd);
		return 0;
	}
	off_t start = st.st_size > (off_t)max_bytes ? st.st_size - (off_t)max_bytes : 0;
	size_t want = (size_t)(st.st_size - start);
	struct bg_buf tmp = BG_BUF_INIT;
	if (bg_buf_grow(&tmp, want) < 0) {
		close(fd);
		return BG_ENOMEM;
	}
	ssize_t got = pread(fd, tmp.ptr, want, start);
	close(fd);
	if (got <= 0) {
		bg_buf_free(&tmp);
		return 0;
	}
	tmp.len = (size_t)got;
	tmp.ptr[tmp.len] = '\0';
	const char *s = tmp.ptr;
	if (start > 0) {
		/* skip the partial first line when a line break is near */
		const char *nl = memchr(s, '\n', tmp.len < 200 ? tmp.len : 200);
		if (nl && (size_t)(nl + 1 - s) < tmp.len)
			s = nl + 1;
	}
	int rc = bg_buf_put(out, s, tmp.len - (size_t)(s - tmp.ptr));
	bg_buf_free(&tmp);
	return rc;
}

const char *bg_fs_last_line(struct bg_buf *buf, const char *path, size_t max_bytes)
{
	bg_buf_clear(buf);
	bg_fs_tail(buf, path, max_bytes);
	char *s = buf->ptr;
	if (!s || !buf->len)
		return NULL;
	while (buf->len && (s[buf->len - 1] == '\n' || s[buf->len - 1] == '\r'))
		s[--buf->len] = '\0';
	char *nl = strrchr(s, '\n');
	return nl ? nl + 1 : s;
}

int bg_fs_dir_is_empty(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return bg_error_set(BG_EINFRA, "%s: %s", dir, strerror(errno));
	struct dirent *e;
	int empty = 1;
	while (empty && (e = readdir(d)))
		empty = !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..");
	closedir(d);
	return empty;
}

int bg_fs_mkdirs_parent(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash || slash == path)
		return 0;
	struct bg_buf p = BG_BUF_INIT;
	int rc = bg_buf_put(&p, path, (size_t)(slash - path));
	if (rc == 0)
		rc = bg_fs_mkdirs(p.ptr);
	bg_buf_free(&p);
	return rc;
}

/* Writes all of buf[0..n) to fd, naming dst on failure. */
static int copy_chunk(int fd, const char *buf, ssize_t n, const char *dst)
{
	for (ssize_t off = 0; off < n;) {
		ssize_t w = write(fd, buf + off, (size_t)(n - off));
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return bg_error_set(BG_EINFRA, "write %s: %s", dst, strerror(errno));
		off += w;
	}
	return 0;
}

/* Copies in (read from src) to out (dst) and closes both. */
static int copy_fds(int in, const char *src, int outfd, const char *dst)
{
	char buf[65536];
	int rc = 0;
	for (;;) {
		ssize_t n = read(in, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			rc = bg_error_set(BG_EINFRA, "read %s: %s", src, strerror(errno));
		if (n <= 0 || (rc = copy_chunk(outfd, buf, n, dst)) < 0)
			break;
	}
	close(in);
	if (close(outfd) < 0 && rc == 0)
		rc = bg_error_set(BG_EINFRA, "write %s: %s", dst, strerror(errno));
	return rc;
}

int bg_fs_copy_file(const char *src, const char *dst, mode_t mode)
{
	int in = open(src, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (in < 0)
		return bg_error_set(BG_EINFRA, "%s: %s", src, strerror(errno));
	int outfd = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (outfd < 0) {
		int rc = bg_error_set(BG_EINFRA, "%s: %s", dst, strerror(errno));
		close(in);
		return rc;
	}
	return copy_fds(in, src, outfd, dst);
}

/* rel is relative and none of its components is empty, ".", ".." or longer than a name. */
static int rel_is_inside(const char *rel)
{
	for (const char *p = rel;; p++) {
		size_t n = strcspn(p, "/");
		if (n == 0 || n > NAME_MAX || (n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.'))
			return 0;
		p += n;
		if (!*p)
			return 1;
	}
}

/* Steps from the open directory *fd into its entry name (made when missing), never
 * through a link; *fd is replaced (closed on failure). base and rel[0..upto) name it. */
static int step_below(int *fd, const char *name, const char *base, const char *rel, size_t upto)
{
	int e = 0, sub = -1;
	const char *op = "mkdir";
	if (mkdirat(*fd, name, 0755) < 0 && errno != EEXIST) {
		e = errno;
	} else {
		op = "open";
		sub = openat(*fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0)
			e = errno;
	}
	close(*fd);
	*fd = sub;
	if (!e)
		return 0;
	if (e == ELOOP || e == ENOTDIR)
		return bg_error_set(BG_EINPUT,
				    "%s/%.*s is a symbolic link or not a directory; nothing is "
				    "written through it",
				    base, (int)upto, rel);
	return bg_error_set(BG_EINFRA, "%s %s/%.*s: %s", op, base, (int)upto, rel, strerror(e));
}

/* Opens the directory base/rel (whole) or the one holding rel's last component (*leaf,
 * pointing into rel), making each directory and following no link below base. */
static int open_below(int *out, const char *base, const char *rel, int whole, const char **leaf)
{
	*out = -1;
	if (!rel_is_inside(rel))
		return bg_error_set(
			BG_EINPUT,
			"'%s' is not a path inside %s: an empty, '.' or '..' component, "
			"or a name too long",
			rel, base);
	int fd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return bg_error_set(BG_EINFRA, "%s: %s", base, strerror(errno));
	char name[NAME_MAX + 1];
	for (const char *p = rel;;) {
		size_t n = strcspn(p, "/");
		if (!p[n] && !whole) {
			*leaf = p;
			break;
		}
		memcpy(name, p, n);
		name[n] = '\0';
		int rc = step_below(&fd, name, base, rel, (size_t)(p + n - rel));
		if (rc < 0)
			return rc;
		if (!p[n])
			break;
		p += n + 1;
	}
	*out = fd;
	return 0;
}

int bg_fs_mkdirs_below(const char *base, const char *rel)
{
	int fd;
	int rc = open_below(&fd, base, rel, 1, NULL);
	if (rc == 0)
		close(fd);
	return rc;
}

int bg_fs_copy_below(const char *src, const char *base, const char *rel, mode_t mode)
{
	char *dst = bg_path_joined(base, rel);
	if (!dst)
		return bg_error_oom();
	int dirfd = -1, in = -1, outfd = -1;
	const char *leaf = NULL;
	int rc = open_below(&dirfd, base, rel, 0, &leaf);
	if (rc == 0 && (in = open(src, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		rc = bg_error_set(BG_EINFRA, "%s: %s", src, strerror(errno));
	if (rc == 0 &&
	    (outfd = openat(dirfd, leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			    mode)) < 0) {
		rc = bg_error_set(BG_EINFRA, "%s: %s", dst, strerror(errno));
		close(in);
	}
	if (rc == 0)
		rc = copy_fds(in, src, outfd, dst);
	if (dirfd >= 0)
		close(dirfd);
	free(dst);
	return rc;
}

int bg_fs_symlink_below(const char *target, const char *base, const char *rel)
{
	int dirfd;
	const char *leaf = NULL;
	int rc = open_below(&dirfd, base, rel, 0, &leaf);
	if (rc < 0)
		return rc;
	if (symlinkat(target, dirfd, leaf) < 0)
		rc = bg_error_set(BG_EINFRA, "symlink %s/%s: %s", base, rel, strerror(errno));
	close(dirfd);
	return rc;
}

int bg_fs_readlink(struct bg_buf *out, const char *path)
{
	bg_buf_clear(out);
	char target[4096];
	ssize_t n = readlink(path, target, sizeof(target));
	if (n < 0 || (size_t)n >= sizeof(target))
		return bg_error_set(BG_EINFRA, "readlink %s: %s", path,
				    n < 0 ? strerror(errno) : "target too long");
	return bg_buf_put(out, target, (size_t)n);
}

int64_t bg_fs_du(const char *path)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return 0;
	if (!S_ISDIR(st.st_mode))
		return S_ISREG(st.st_mode) ? (int64_t)st.st_size : 0;
	DIR *d = opendir(path);
	if (!d)
		return 0;
	int64_t total = 0;
	struct dirent *e;
	struct bg_buf child = BG_BUF_INIT;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (bg_path_join(&child, path, e->d_name) < 0)
			break;
		total += bg_fs_du(child.ptr);
	}
	closedir(d);
	bg_buf_free(&child);
	return total;
}

int bg_path_join(struct bg_buf *out, const char *a, const char *b)
{
	bg_buf_clear(out);
	size_t n = strlen(a);
	while (n > 1 && a[n - 1] == '/')
		n--;
	if (bg_buf_put(out, a, n) < 0)
		return BG_ENOMEM;
	while (*b == '/')
		b++;
	if (n && a[n - 1] != '/' && bg_buf_putc(out, '/') < 0)
		return BG_ENOMEM;
	return bg_buf_puts(out, b);
}

char *bg_path_joined(const char *a, const char *b)
{
	struct bg_buf out = BG_BUF_INIT;
	if (bg_path_join(&out, a, b) < 0) {
		bg_buf_free(&out);
		return NULL;
	}
	return bg_buf_detach(&out);
}

char *bg_fs_realpath(const char *path)
{
	char *p = realpath(path, NULL);
	if (!p)
		bg_error_set(errno == ENOENT ? BG_ENOTFOUND : BG_EINFRA, "%s: %s", path,
			     strerror(errno));
	return p;
}
