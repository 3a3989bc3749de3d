/* common/buf.c: the growable buffer, joined paths, whole-number parsing and string
 * vectors. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bg_buf.h"
#include "bg_error.h"
#include "bg_fs.h"
#include "tf.h"

TF_TEST(common__buf_and_paths)
{
	struct bg_buf b = BG_BUF_INIT;
	TF_CHECK(!strcmp(bg_buf_cstr(&b), ""), "empty buffer");
	for (int i = 0; i < 1000; i++)
		TF_CHECK_EQ(bg_buf_printf(&b, "%d,", i), 0);
	TF_CHECK(!strncmp(b.ptr, "0,1,2,", 6) && b.ptr[b.len] == '\0', "contents");
	TF_CHECK_EQ(b.len, 3890);
	char *s = bg_buf_detach(&b);
	TF_CHECK(s && !b.ptr && !b.len, "detach");
	free(s);
	TF_CHECK_EQ(bg_path_join(&b, "/a/b/", "/c"), 0);
	TF_CHECK(!strcmp(b.ptr, "/a/b/c"), "join %s", b.ptr);
	TF_CHECK_EQ(bg_path_join(&b, "/", "x"), 0);
	TF_CHECK(!strcmp(b.ptr, "/x"), "join %s", b.ptr);
	bg_buf_free(&b);
	int64_t v;
	TF_CHECK(bg_parse_i64("42", &v) == 0 && v == 42, "42");
	TF_CHECK(bg_parse_i64("4x", &v) < 0 && bg_parse_i64("", &v) < 0, "junk accepted");
	char **sv = NULL;
	size_t n = 0;
	TF_CHECK(bg_strv_push(&sv, &n, "A=1") == 0 && bg_strv_push(&sv, &n, "B=2") == 0, "push");
	TF_CHECK(n == 2 && !strcmp(sv[1], "B=2") && sv[2] == NULL, "strv");
	free(sv[0]);
	free(sv[1]);
	free(sv);
}

TF_TEST(buf__strv_free_frees_what_push_made)
{
	char **sv = NULL;
	size_t n = 0;
	for (int i = 0; i < 40; i++)
		TF_CHECK_EQ(bg_strv_push(&sv, &n, "entry"), 0);
	TF_CHECK(n == 40 && sv[39] && !strcmp(sv[39], "entry") && sv[40] == NULL, "40 entries");
	bg_strv_free(sv); /* the sanitizer builds check nothing leaks */
	bg_strv_free(NULL);
}

TF_TEST(buf__grow_doubles_from_first)
{
	int *v = NULL;
	size_t cap = 0;
	TF_CHECK_EQ(bg_grow((void **)&v, &cap, 0, sizeof(*v), 4), 0);
	TF_CHECK(v && cap == 4, "first: cap %zu", cap);
	v[3] = 7;
	TF_CHECK_EQ(bg_grow((void **)&v, &cap, 3, sizeof(*v), 4), 0);
	TF_CHECK_EQ(cap, 4); /* room left: unchanged */
	TF_CHECK_EQ(bg_grow((void **)&v, &cap, 4, sizeof(*v), 4), 0);
	TF_CHECK(cap == 8 && v[3] == 7, "doubled, contents kept: cap %zu", cap);
	free(v);
}

TF_TEST(buf__grow_refuses_what_size_t_cannot_hold)
{
	int *v = NULL;
	size_t cap = 0;
	TF_CHECK_EQ(bg_grow((void **)&v, &cap, 0, sizeof(*v), 0), 0);
	TF_CHECK(v && cap == 1, "a first of 0 still makes room for one: cap %zu", cap);
	int *keep = v;
	cap = SIZE_MAX / sizeof(*v) / 2 + 1; /* doubling it overflows the byte count */
	TF_CHECK_EQ(bg_grow((void **)&v, &cap, cap, sizeof(*v), 4), BG_ENOMEM);
	TF_CHECK(v == keep, "the array is untouched on failure");
	free(v);
}
