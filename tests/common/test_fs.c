/* common/fs.c: directories made and removed, files written, read back and their tails, disk
 * usage; what materialising a working tree needs without git (raw copies, link targets,
 * parent directories, the empty-target check), the last line a running step wrote, and
 * joined paths as new strings. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bg_buf.h"
#include "bg_error.h"
#include "bg_fs.h"
#include "tf.h"

static char *in(const char *dir, const char *name)
{
	char *p = bg_path_joined(dir, name);
	TF_CHECK(p != NULL, "bg_path_joined");
	return p;
}

TF_TEST(common__fs_write_read_tail_rmtree)
{
	char *tmp = tf_tmpdir("bitgate-common");
	char *dir = in(tmp, "a/b/c");
	TF_CHECK_EQ(bg_fs_mkdirs(dir), 0);
	TF_CHECK(bg_fs_is_dir(dir), "mkdirs");
	struct bg_buf text = BG_BUF_INIT;
	for (int i = 0; i < 500; i++)
		bg_buf_printf(&text, "line %d\n", i);
	char *f = in(tmp, "a/b/c/log.txt"), *missing = in(tmp, "missing");
	TF_CHECK_EQ(bg_fs_write(f, text.ptr, text.len), 0);
	struct bg_buf back = BG_BUF_INIT, tail = BG_BUF_INIT;
	TF_CHECK_EQ(bg_fs_read(&back, f), 0);
	TF_CHECK(back.len == text.len && !memcmp(back.ptr, text.ptr, text.len), "read back");
	TF_CHECK_EQ(bg_fs_tail(&tail, f, 30), 0);
	/* the tail starts at a line boundary and ends with the last line */
	TF_CHECK(!strncmp(tail.ptr, "line ", 5) && strstr(tail.ptr, "line 499\n"), "tail: %s",
		 tail.ptr);
	TF_CHECK(tail.len <= 30, "tail too long: %zu", tail.len);
	/* a cap: the whole file at its size, nothing beyond it */
	bg_buf_clear(&back);
	TF_CHECK_EQ(bg_fs_read_max(&back, f, text.len), 0);
	TF_CHECK_EQ(back.len, text.len);
	bg_buf_clear(&back);
	TF_CHECK_EQ(bg_fs_read_max(&back, f, text.len - 1), BG_EINPUT);
	char want[64];
	snprintf(want, sizeof(want), "log.txt: larger than the %zu bytes", text.len - 1);
	TF_CHECK(back.len == 0 && strstr(bg_error_last(), want), "%zu bytes read; %s", back.len,
		 bg_error_last());
	/* a pipe has no size to check first: its bytes are counted as they come */
	bg_buf_clear(&back);
	char fifo_cmd[600];
	char *fifo = in(tmp, "fifo");
	TF_CHECK_EQ(mkfifo(fifo, 0600), 0);
	snprintf(fifo_cmd, sizeof(fifo_cmd), "head -c 200000 /dev/zero > '%s' &", fifo);
	TF_CHECK_EQ(system(fifo_cmd), 0);
	TF_CHECK_EQ(bg_fs_read_max(&back, fifo, 100000), BG_EINPUT);
	TF_CHECK(back.len <= 100000, "%zu bytes kept", back.len);
	free(fifo);
	TF_CHECK_EQ(bg_fs_read(&back, missing), BG_ENOTFOUND);
	TF_CHECK(strstr(bg_error_last(), "missing"), "message names the file: %s", bg_error_last());
	TF_CHECK(bg_fs_du(tmp) == (int64_t)text.len, "du %lld", (long long)bg_fs_du(tmp));
	TF_CHECK_EQ(bg_fs_rmtree(tmp), 0);
	TF_CHECK(!bg_fs_exists(tmp), "rmtree");
	TF_CHECK_EQ(bg_fs_rmtree(tmp), 0); /* missing: not an error */
	bg_buf_free(&text);
	bg_buf_free(&back);
	bg_buf_free(&tail);
	free(tmp);
	free(dir);
	free(f);
	free(missing);
}

TF_TEST(fs__copy_file_keeps_bytes_and_sets_mode)
{
	char *dir = tf_tmpdir("bitgate-fs"), *src = in(dir, "src"), *dst = in(dir, "dst"),
	     *exe = in(dir, "exe");
	/* more than one read's worth, with a NUL inside */
	size_t n = 200000;
	char *data = malloc(n);
	TF_CHECK(data != NULL, "malloc");
	for (size_t i = 0; i < n; i++)
		data[i] = (char)(i * 7);
	TF_CHECK_EQ(bg_fs_write(src, data, n), 0);
	TF_CHECK_EQ(bg_fs_copy_file(src, dst, 0644), 0);
	struct bg_buf got = BG_BUF_INIT;
	TF_CHECK_EQ(bg_fs_read(&got, dst), 0);
	TF_CHECK(got.len == n && !memcmp(got.ptr, data, n), "copied %zu bytes of %zu", got.len, n);
	struct stat st;
	TF_CHECK_EQ(bg_fs_copy_file(src, exe, 0755), 0);
	TF_CHECK(stat(exe, &st) == 0 && (st.st_mode & S_IXUSR), "executable bit kept");
	TF_CHECK(stat(dst, &st) == 0 && !(st.st_mode & S_IXUSR), "not executable");

	/* an existing target is not overwritten; a missing source is named */
	TF_CHECK(bg_fs_copy_file(src, dst, 0644) == BG_EINFRA, "overwrote %s", dst);
	TF_CHECK(strstr(bg_error_last(), dst) != NULL, "message: %s", bg_error_last());
	char *missing = in(dir, "missing"), *dst2 = in(dir, "dst2");
	TF_CHECK(bg_fs_copy_file(missing, dst2, 0644) == BG_EINFRA, "copied a missing file");
	TF_CHECK(strstr(bg_error_last(), missing) != NULL, "message: %s", bg_error_last());
	TF_CHECK(!bg_fs_exists(dst2), "target made for a missing source");

	/* never through a symbolic link */
	char *link = in(dir, "link");
	TF_CHECK(symlink(src, link) == 0, "symlink");
	TF_CHECK(bg_fs_copy_file(link, dst2, 0644) == BG_EINFRA, "copied through a link");
	bg_buf_free(&got);
	free(data);
	bg_fs_rmtree(dir);
	free(dir);
	free(src);
	free(dst);
	free(exe);
	free(missing);
	free(dst2);
	free(link);
}

TF_TEST(fs__readlink_and_mkdirs_parent)
{
	char *dir = tf_tmpdir("bitgate-fs"), *link = in(dir, "l"), *file = in(dir, "f");
	struct bg_buf t = BG_BUF_INIT;
	TF_CHECK(symlink("some/where else", link) == 0, "symlink");
	bg_buf_puts(&t, "old");
	TF_CHECK_EQ(bg_fs_readlink(&t, link), 0);
	TF_CHECK(t.len == 15 && !strcmp(t.ptr, "some/where else"), "target %s", t.ptr);
	TF_CHECK_EQ(bg_fs_write(file, "x", 1), 0);
	TF_CHECK(bg_fs_readlink(&t, file) == BG_EINFRA, "readlink of a file");
	TF_CHECK(strstr(bg_error_last(), file) != NULL, "message: %s", bg_error_last());

	char *deep = in(dir, "a/b/c/file.txt"), *parent = in(dir, "a/b/c");
	TF_CHECK_EQ(bg_fs_mkdirs_parent(deep), 0);
	TF_CHECK(bg_fs_is_dir(parent), "%s made", parent);
	TF_CHECK(!bg_fs_exists(deep), "the file itself is not made");
	TF_CHECK_EQ(bg_fs_mkdirs_parent("file.txt"), 0); /* no parent: nothing to do */
	TF_CHECK_EQ(bg_fs_mkdirs_parent("/top"), 0);
	bg_buf_free(&t);
	bg_fs_rmtree(dir);
	free(dir);
	free(link);
	free(file);
	free(deep);
	free(parent);
}

TF_TEST(fs__dir_is_empty)
{
	char *dir = tf_tmpdir("bitgate-fs"), *file = in(dir, "f"), *missing = in(dir, "none");
	TF_CHECK_EQ(bg_fs_dir_is_empty(dir), 1);
	TF_CHECK_EQ(bg_fs_write(file, "", 0), 0);
	TF_CHECK_EQ(bg_fs_dir_is_empty(dir), 0);
	TF_CHECK(bg_fs_dir_is_empty(missing) == BG_EINFRA, "missing directory");
	TF_CHECK(strstr(bg_error_last(), missing) != NULL, "message: %s", bg_error_last());
	bg_fs_rmtree(dir);
	free(dir);
	free(file);
	free(missing);
}

TF_TEST(fs__last_line)
{
	char *dir = tf_tmpdir("bitgate-fs"), *log = in(dir, "log"), *missing = in(dir, "none");
	struct bg_buf b = BG_BUF_INIT;
	const char *text = "compiling a.c\ncompiling b.c\r\n\n";
	TF_CHECK_EQ(bg_fs_write(log, text, strlen(text)), 0);
	const char *line = bg_fs_last_line(&b, log, 512);
	TF_CHECK(line && !strcmp(line, "compiling b.c"), "line %s", line ? line : "(null)");
	/* one line only: all of it */
	TF_CHECK_EQ(bg_fs_write(log, "linking", 7), 0);
	line = bg_fs_last_line(&b, log, 512);
	TF_CHECK(line && !strcmp(line, "linking"), "line %s", line ? line : "(null)");
	/* only line breaks: "" (the caller shows its own text) */
	TF_CHECK_EQ(bg_fs_write(log, "\n\n", 2), 0);
	line = bg_fs_last_line(&b, log, 512);
	TF_CHECK(line && !*line, "line of breaks: '%s'", line ? line : "(null)");
	/* empty or missing: NULL */
	TF_CHECK_EQ(bg_fs_write(log, "", 0), 0);
	TF_CHECK(bg_fs_last_line(&b, log, 512) == NULL, "empty file");
	TF_CHECK(bg_fs_last_line(&b, missing, 512) == NULL, "missing file");
	bg_buf_free(&b);
	bg_fs_rmtree(dir);
	free(dir);
	free(log);
	free(missing);
}

TF_TEST(fs__path_joined)
{
	char *p = bg_path_joined("/a/b/", "/c");
	TF_CHECK(p && !strcmp(p, "/a/b/c"), "joined %s", p ? p : "(null)");
	free(p);
	p = bg_path_joined("/", "x");
	TF_CHECK(p && !strcmp(p, "/x"), "joined %s", p ? p : "(null)");
	free(p);
}

/* bg_fs_*_below: files, links and directories made below base, modes kept. */
TF_TEST(fs__below_writes_inside)
{
	char *tmp = tf_tmpdir("bitgate-fs-below"), *base = in(tmp, "base"), *src = in(tmp, "src");
	TF_CHECK_EQ(bg_fs_mkdirs(base), 0);
	TF_CHECK_EQ(bg_fs_write(src, "bytes\n", 6), 0);
	TF_CHECK_EQ(bg_fs_copy_below(src, base, "a/b/file.txt", 0755), 0);
	TF_CHECK_EQ(bg_fs_copy_below(src, base, "top.txt", 0644), 0);
	TF_CHECK_EQ(bg_fs_symlink_below("../../outside/anywhere", base, "a/link"), 0);
	TF_CHECK_EQ(bg_fs_mkdirs_below(base, "x/y/z"), 0);
	TF_CHECK_EQ(bg_fs_mkdirs_below(base, "x/y"), 0); /* already there: fine */
	char *f = in(base, "a/b/file.txt"), *top = in(base, "top.txt"), *l = in(base, "a/link"),
	     *z = in(base, "x/y/z");
	struct bg_buf got = BG_BUF_INIT;
	TF_CHECK_EQ(bg_fs_read(&got, f), 0);
	TF_CHECK(!strcmp(got.ptr, "bytes\n"), "copied: %s", got.ptr);
	struct stat st;
	TF_CHECK(stat(f, &st) == 0 && (st.st_mode & S_IXUSR), "mode 0755 lost");
	TF_CHECK(stat(top, &st) == 0 && !(st.st_mode & S_IXUSR), "top.txt executable");
	TF_CHECK_EQ(bg_fs_readlink(&got, l), 0);
	TF_CHECK(!strcmp(got.ptr, "../../outside/anywhere"), "link -> %s", got.ptr);
	TF_CHECK(bg_fs_is_dir(z), "%s not made", z);
	/* an existing target is not overwritten */
	TF_CHECK(bg_fs_copy_below(src, base, "top.txt", 0644) == BG_EINFRA, "overwrote top.txt");
	bg_buf_free(&got);
	bg_fs_rmtree(tmp);
	free(tmp);
	free(base);
	free(src);
	free(f);
	free(top);
	free(l);
	free(z);
}

/* A listing of dir (names and sizes, recursively, links not followed). */
static void list_tree(struct bg_buf *out, const char *dir)
{
	DIR *d = opendir(dir);
	TF_CHECK(d != NULL, "opendir %s", dir);
	struct dirent *e;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		char *p = in(dir, e->d_name);
		struct stat st;
		TF_CHECK(lstat(p, &st) == 0, "lstat %s", p);
		bg_buf_printf(out, "%s %o %lld\n", p, (unsigned)st.st_mode, (long long)st.st_size);
		if (S_ISDIR(st.st_mode))
			list_tree(out, p);
		free(p);
	}
	closedir(d);
}

/* Through a link below base (to a directory outside, or to a file), up with "..", or from
 * an absolute or empty rel: refused with BG_EINPUT naming the path, nothing written
 * outside base. */
TF_TEST(fs__below_never_leaves_base)
{
	char *tmp = tf_tmpdir("bitgate-fs-below"), *base = in(tmp, "base"), *src = in(tmp, "src"),
	     *outside = in(tmp, "outside"), *evil = in(base, "evil"), *file = in(base, "f");
	TF_CHECK_EQ(bg_fs_mkdirs(base), 0);
	TF_CHECK_EQ(bg_fs_mkdirs(outside), 0);
	TF_CHECK_EQ(bg_fs_write(src, "pwned\n", 6), 0);
	TF_CHECK(symlink(outside, evil) == 0, "symlink");
	TF_CHECK_EQ(bg_fs_write(file, "a file\n", 7), 0);
	struct bg_buf before = BG_BUF_INIT, after = BG_BUF_INIT;
	list_tree(&before, tmp);
	const char *through[] = {"evil/x", "evil/deeper/x", "f/x"};
	for (size_t i = 0; i < 3; i++) {
		TF_CHECK(bg_fs_copy_below(src, base, through[i], 0644) == BG_EINPUT,
			 "copy into %s: %s", through[i], bg_error_last());
		TF_CHECK(strstr(bg_error_last(), through[i][0] == 'f' ? "/f " : "/evil ") != NULL,
			 "message for %s: %s", through[i], bg_error_last());
		TF_CHECK(bg_fs_symlink_below("t", base, through[i]) == BG_EINPUT, "link %s",
			 through[i]);
		TF_CHECK(bg_fs_mkdirs_below(base, through[i]) == BG_EINPUT, "mkdir %s", through[i]);
	}
	/* the leaf itself a link: not followed, not replaced */
	TF_CHECK(bg_fs_copy_below(src, base, "evil", 0644) < 0, "copied over the link evil");
	const char *bad[] = {"../outside/x", "a/../../outside/x", "/abs", "", "a//b", "./x", "a/."};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		TF_CHECK(bg_fs_copy_below(src, base, bad[i], 0644) == BG_EINPUT, "copy to '%s'",
			 bad[i]);
		TF_CHECK(strstr(bg_error_last(), base) != NULL, "message: %s", bg_error_last());
		TF_CHECK(bg_fs_symlink_below("t", base, bad[i]) == BG_EINPUT, "link '%s'", bad[i]);
		TF_CHECK(bg_fs_mkdirs_below(base, bad[i]) == BG_EINPUT, "mkdir '%s'", bad[i]);
	}
	list_tree(&after, tmp);
	TF_CHECK(!strcmp(bg_buf_cstr(&before), bg_buf_cstr(&after)), "changed:\n%s\n---\n%s",
		 bg_buf_cstr(&before), bg_buf_cstr(&after));
	bg_buf_free(&before);
	bg_buf_free(&after);
	bg_fs_rmtree(tmp);
	free(tmp);
	free(base);
	free(src);
	free(outside);
	free(evil);
	free(file);
}
