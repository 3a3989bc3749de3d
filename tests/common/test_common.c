/* common/fs.c's basics: directories made and removed, files written, read back and their
 * tails, disk usage (the rest of fs.c is in test_fs.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bg_buf.h"
#include "bg_error.h"
#include "bg_fs.h"
#include "common_tmp.h"
#include "tf.h"

TF_TEST(common__fs_write_read_tail_rmtree)
{
	mktmp();
	char *dir = in_tmp("a/b/c");
	TF_CHECK_EQ(bg_fs_mkdirs(dir), 0);
	TF_CHECK(bg_fs_is_dir(dir), "mkdirs");
	struct bg_buf text = BG_BUF_INIT;
	for (int i = 0; i < 500; i++)
		bg_buf_printf(&text, "line %d\n", i);
	char *f = in_tmp("a/b/c/log.txt");
	TF_CHECK_EQ(bg_fs_write(f, text.ptr, text.len), 0);
	struct bg_buf back = BG_BUF_INIT, tail = BG_BUF_INIT;
	TF_CHECK_EQ(bg_fs_read(&back, f), 0);
	TF_CHECK(back.len == text.len && !memcmp(back.ptr, text.ptr, text.len), "read back");
	TF_CHECK_EQ(bg_fs_tail(&tail, f, 30), 0);
	/* the tail starts at a line boundary and ends with the last line */
	TF_CHECK(!strncmp(tail.ptr, "line ", 5) && strstr(tail.ptr, "line 499\n"), "tail: %s",
		 tail.ptr);
	TF_CHECK(tail.len <= 30, "tail too long: %zu", tail.len);
	TF_CHECK_EQ(bg_fs_read(&back, in_tmp("missing")), BG_ENOTFOUND);
	TF_CHECK(strstr(bg_error_last(), "missing"), "message names the file: %s", bg_error_last());
	TF_CHECK(bg_fs_du(tmp) == (int64_t)text.len, "du %lld", (long long)bg_fs_du(tmp));
	TF_CHECK_EQ(bg_fs_rmtree(tmp), 0);
	TF_CHECK(!bg_fs_exists(tmp), "rmtree");
	TF_CHECK_EQ(bg_fs_rmtree(tmp), 0); /* missing: not an error */
	bg_buf_free(&text);
	bg_buf_free(&back);
	bg_buf_free(&tail);
}
