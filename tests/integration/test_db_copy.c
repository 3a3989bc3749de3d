/* bitgate db copy: a history moved between two SQLite files, and through a real PostgreSQL
 * and back (pg_fixture.c): the exports compare byte for byte, a second copy adds nothing,
 * and a failing side is named without its password. */
#include <stdio.h>
#include <string.h>

#include "bg_buf.h"
#include "bg_fs.h"
#include "it_fixture.h"
#include "pg_fixture.h"
#include "tf.h"

/* Two commits measured by bitgate run into f's database. */
static void measured_history(struct fx *f, const char *tag)
{
	fx_init(f, tag);
	char c0[41], c1[41];
	commit_cost(f, 1000, 0, 0, c0);
	commit_cost(f, 2000, 0, 1, c1);
	EXPECT_EXIT(0, bitgate(f, "run", c0, c1, NULL));
}

/* The export of the database db names, into out. */
static void export_of(struct fx *f, const char *db, const char *tag, struct bg_buf *out)
{
	struct fx g = *f;
	char dump[700];
	snprintf(g.db, sizeof(g.db), "%s", db);
	snprintf(dump, sizeof(dump), "%s/%s.jsonl", f->root, tag);
	EXPECT_EXIT(0, bitgate(&g, "db", "export", "-o", dump, NULL));
	TF_CHECK(bg_fs_read(out, dump) == 0, "%s", dump);
}

static void check_same(const struct bg_buf *a, const struct bg_buf *b, const char *what)
{
	TF_CHECK(a->len > 100 && a->len == b->len && !memcmp(a->ptr, b->ptr, a->len),
		 "%s: exports differ (%zu vs %zu bytes)", what, a->len, b->len);
}

TF_TEST(integration__db_copy_between_files)
{
	struct fx f;
	measured_history(&f, "copy");
	char to[600];
	snprintf(to, sizeof(to), "%s/copy.db", f.root);
	EXPECT_EXIT(0, bitgate(&f, "db", "copy", "--to", to, NULL));
	TF_CHECK(strstr(err_text.ptr, "copied 2 runs"), "first copy:\n%s", err_text.ptr);
	EXPECT_EXIT(0, bitgate(&f, "db", "copy", "--from", f.db, "--to", to, NULL));
	TF_CHECK(strstr(err_text.ptr, "copied 0 runs (0 samples) and 0 decisions; 2 runs"),
		 "second copy:\n%s", err_text.ptr);
	struct bg_buf a = BG_BUF_INIT, b = BG_BUF_INIT;
	export_of(&f, f.db, "a", &a);
	export_of(&f, to, "b", &b);
	check_same(&a, &b, "a file and its copy");
	struct fx g = f;
	snprintf(g.db, sizeof(g.db), "%s", to);
	EXPECT_EXIT(0, bitgate(&g, "db", "check", NULL));
	/* bad input: each names what is wrong */
	EXPECT_EXIT(2, bitgate(&f, "db", "copy", "--from", f.db, "--to", f.db, NULL));
	TF_CHECK(strstr(err_text.ptr, "same database"), "%s", err_text.ptr);
	char missing[700];
	snprintf(missing, sizeof(missing), "%s/missing.db", f.root);
	EXPECT_EXIT(2, bitgate(&f, "db", "copy", "--from", missing, "--to", to, NULL));
	TF_CHECK(strstr(err_text.ptr, "--from") && strstr(err_text.ptr, missing), "%s",
		 err_text.ptr);
	TF_CHECK(!bg_fs_exists(missing), "the missing source was created");
	EXPECT_EXIT(2, bitgate(&f, "db", "copy", NULL));
	TF_CHECK(strstr(err_text.ptr, "--to"), "%s", err_text.ptr);
	bg_buf_free(&a);
	bg_buf_free(&b);
	fx_done(&f);
}

TF_TEST(integration__db_copy_through_postgresql_pg)
{
	const char *pg = pg_fixture_new_db("copy");
	char server[768];
	snprintf(server, sizeof(server), "%s", pg);
	struct fx f;
	measured_history(&f, "copy-pg");
	char back[600];
	snprintf(back, sizeof(back), "%s/back.db", f.root);
	EXPECT_EXIT(0, bitgate(&f, "db", "copy", "--to", server, NULL));
	TF_CHECK(strstr(err_text.ptr, "copied 2 runs"), "into PostgreSQL:\n%s", err_text.ptr);
	EXPECT_EXIT(0, bitgate(&f, "db", "copy", "--to", server, NULL));
	TF_CHECK(strstr(err_text.ptr, "copied 0 runs (0 samples) and 0 decisions; 2 runs"),
		 "again into PostgreSQL:\n%s", err_text.ptr);
	EXPECT_EXIT(0, bitgate(&f, "db", "copy", "--from", server, "--to", back, NULL));
	TF_CHECK(strstr(err_text.ptr, "copied 2 runs"), "back:\n%s", err_text.ptr);
	struct bg_buf a = BG_BUF_INIT, b = BG_BUF_INIT, p = BG_BUF_INIT;
	export_of(&f, f.db, "a", &a);
	export_of(&f, back, "b", &b);
	export_of(&f, server, "p", &p);
	check_same(&a, &p, "SQLite and PostgreSQL");
	check_same(&a, &b, "SQLite and its way back from PostgreSQL");
	/* a side that cannot be opened is named, its password never */
	const char *wrong = pg_fixture_tcp_conninfo("wrong-secret-9");
	EXPECT_EXIT(3, bitgate(&f, "db", "copy", "--to", wrong, NULL));
	TF_CHECK(strstr(err_text.ptr, "--to: postgresql://127.0.0.1:"), "%s", err_text.ptr);
	TF_CHECK(!strstr(err_text.ptr, "wrong-secret-9") && !strstr(out_text.ptr, "wrong-secret-9"),
		 "the password was printed:\n%s", err_text.ptr);
	EXPECT_EXIT(3, bitgate(&f, "db", "copy", "--from", wrong, "--to", back, NULL));
	TF_CHECK(strstr(err_text.ptr, "--from: postgresql://127.0.0.1:"), "%s", err_text.ptr);
	TF_CHECK(!strstr(err_text.ptr, "wrong-secret-9"), "the password was printed");
	bg_buf_free(&a);
	bg_buf_free(&b);
	bg_buf_free(&p);
	fx_done(&f);
}
