/* bg_git on throwaway repositories: revspecs, ranges over a merge, expansion, merge-bases,
 * materialising commits and the working tree, and the promise that none of it changes the
 * user's repository (index bytes and times, HEAD, objects, working tree). */
#include <dirent.h>
#include <git2.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bg_buf.h"
#include "bg_error.h"
#include "bg_fs.h"
#include "bg_git.h"
#include "tf.h"
#include "tg_fixture.h"

/* ---- helpers ------------------------------------------------------------------------- */

static void make_repo(char *dir, size_t size, const char *tag)
{
	TF_CHECK(tg_tmpdir(dir, size, tag) == 0, "tg_tmpdir");
	TF_CHECK(tg_repo_init(dir) == 0, "tg_repo_init %s", dir);
}

static struct bg_repo *open_repo(const char *dir)
{
	struct bg_repo *r = NULL;
	int rc = bg_repo_open(&r, dir);
	TF_CHECK(rc == 0, "bg_repo_open %s: %d %s", dir ? dir : ".", rc, bg_error_last());
	return r;
}

static void commit(const char *dir, const char *msg, char *sha)
{
	TF_CHECK(tg_commit(dir, msg, sha) == 0, "tg_commit %s", msg);
}

static void write_file(const char *dir, const char *rel, const char *content)
{
	TF_CHECK(tg_write(dir, rel, content) == 0, "tg_write %s", rel);
}

static void make_symlink(const char *dir, const char *rel, const char *target)
{
	struct bg_buf p = BG_BUF_INIT;
	TF_CHECK_EQ(bg_path_join(&p, dir, rel), 0);
	TF_CHECK(symlink(target, p.ptr) == 0, "symlink %s", p.ptr);
	bg_buf_free(&p);
}

static git_repository *raw_repo(const char *dir)
{
	git_repository *g = NULL;
	TF_CHECK(git_repository_open(&g, dir) == 0, "git_repository_open %s", dir);
	return g;
}

/* Points a reference (created or moved) at sha. */
static void set_ref(const char *dir, const char *name, const char *sha)
{
	git_repository *g = raw_repo(dir);
	git_oid id;
	git_reference *ref = NULL;
	TF_CHECK_EQ(git_oid_fromstr(&id, sha), 0);
	TF_CHECK(git_reference_create(&ref, g, name, &id, 1, "test") == 0, "ref %s", name);
	git_reference_free(ref);
	git_repository_free(g);
}

/* Attaches HEAD to a branch, which may not exist yet (then HEAD is unborn). */
static void set_head(const char *dir, const char *refname)
{
	git_repository *g = raw_repo(dir);
	TF_CHECK(git_repository_set_head(g, refname) == 0, "set HEAD to %s", refname);
	git_repository_free(g);
}

static char *read_text(const char *dir, const char *rel)
{
	struct bg_buf p = BG_BUF_INIT, b = BG_BUF_INIT;
	TF_CHECK_EQ(bg_path_join(&p, dir, rel), 0);
	int rc = bg_fs_read(&b, p.ptr);
	bg_buf_free(&p);
	if (rc < 0) {
		bg_buf_free(&b);
		return NULL;
	}
	return bg_buf_detach(&b);
}

static void check_text(const char *dir, const char *rel, const char *want)
{
	char *got = read_text(dir, rel);
	TF_CHECK(got, "%s/%s missing", dir, rel);
	TF_CHECK(!strcmp(got, want), "%s: '%s', want '%s'", rel, got, want);
	free(got);
}

static int exists(const char *dir, const char *rel)
{
	struct bg_buf p = BG_BUF_INIT;
	TF_CHECK_EQ(bg_path_join(&p, dir, rel), 0);
	int e = bg_fs_exists(p.ptr);
	bg_buf_free(&p);
	return e;
}

static struct stat lstat_of(const char *dir, const char *rel)
{
	struct bg_buf p = BG_BUF_INIT;
	struct stat st;
	TF_CHECK_EQ(bg_path_join(&p, dir, rel), 0);
	TF_CHECK(lstat(p.ptr, &st) == 0, "lstat %s", p.ptr);
	bg_buf_free(&p);
	return st;
}

/* A listing of everything under root/rel: type, mode, size, mtime (ns) and, with content,
 * the bytes of each file or link target. Directories' mtimes catch files made and removed
 * again (lock files). skip_git leaves out .git directories; skip (NULL: none), the path
 * below root it names, itself included. */
static void snap_but(struct bg_buf *out, const char *root, const char *rel, int content,
		     int skip_git, const char *skip)
{
	struct bg_buf dir = BG_BUF_INIT, child = BG_BUF_INIT, crel = BG_BUF_INIT;
	if (*rel)
		TF_CHECK_EQ(bg_path_join(&dir, root, rel), 0);
	else
		TF_CHECK_EQ(bg_buf_puts(&dir, root), 0);
	struct dirent **names = NULL;
	int n = scandir(dir.ptr, &names, NULL, alphasort);
	TF_CHECK(n >= 0, "scandir %s", dir.ptr);
	for (int i = 0; i < n; i++) {
		const char *name = names[i]->d_name;
		bg_buf_clear(&crel);
		if (*rel)
			TF_CHECK_EQ(bg_buf_printf(&crel, "%s/%s", rel, name), 0);
		else
			TF_CHECK_EQ(bg_buf_puts(&crel, name), 0);
		if (strcmp(name, ".") && strcmp(name, "..") &&
		    !(skip_git && !strcmp(name, ".git")) && !(skip && !strcmp(crel.ptr, skip))) {
			TF_CHECK_EQ(bg_path_join(&child, dir.ptr, name), 0);
			struct stat st;
			TF_CHECK(lstat(child.ptr, &st) == 0, "lstat %s", child.ptr);
			TF_CHECK_EQ(bg_buf_printf(out, "%s %o %lld %lld.%09ld\n", crel.ptr,
						  (unsigned)st.st_mode, (long long)st.st_size,
						  (long long)st.st_mtim.tv_sec,
						  (long)st.st_mtim.tv_nsec),
				    0);
			if (S_ISDIR(st.st_mode)) {
				snap_but(out, root, crel.ptr, content, skip_git, skip);
			} else if (content && S_ISLNK(st.st_mode)) {
				char t[4096];
				ssize_t len = readlink(child.ptr, t, sizeof(t) - 1);
				TF_CHECK(len >= 0, "readlink %s", child.ptr);
				TF_CHECK_EQ(bg_buf_put(out, t, (size_t)len), 0);
			} else if (content) {
				TF_CHECK_EQ(bg_fs_read(out, child.ptr), 0);
			}
		}
		free(names[i]);
	}
	free(names);
	bg_buf_free(&dir);
	bg_buf_free(&child);
	bg_buf_free(&crel);
}

static void snap(struct bg_buf *out, const char *root, const char *rel, int content, int skip_git)
{
	snap_but(out, root, rel, content, skip_git, NULL);
}

/* Everything a materialise or a WORKTREE resolve must leave alone. */
struct user_state {
	struct bg_buf gitdir;   /* every path under .git with mode, size and mtime */
	struct bg_buf worktree; /* the working tree with contents */
	struct bg_buf index;    /* .git/index bytes */
	struct bg_buf head;     /* .git/HEAD bytes */
	struct stat index_st;
};

static void user_state_take(struct user_state *s, const char *dir)
{
	memset(s, 0, sizeof(*s));
	struct bg_buf gitdir = BG_BUF_INIT, p = BG_BUF_INIT;
	TF_CHECK_EQ(bg_path_join(&gitdir, dir, ".git"), 0);
	snap(&s->gitdir, gitdir.ptr, "", 0, 0);
	snap(&s->worktree, dir, "", 1, 1);
	TF_CHECK_EQ(bg_path_join(&p, gitdir.ptr, "index"), 0);
	TF_CHECK_EQ(bg_fs_read(&s->index, p.ptr), 0);
	TF_CHECK(stat(p.ptr, &s->index_st) == 0, "stat %s", p.ptr);
	TF_CHECK_EQ(bg_path_join(&p, gitdir.ptr, "HEAD"), 0);
	TF_CHECK_EQ(bg_fs_read(&s->head, p.ptr), 0);
	bg_buf_free(&gitdir);
	bg_buf_free(&p);
}

static void user_state_free(struct user_state *s)
{
	bg_buf_free(&s->gitdir);
	bg_buf_free(&s->worktree);
	bg_buf_free(&s->index);
	bg_buf_free(&s->head);
}

static void user_state_check_same(const struct user_state *a, const struct user_state *b)
{
	TF_CHECK(a->index.len == b->index.len && !memcmp(a->index.ptr, b->index.ptr, a->index.len),
		 "the index file's bytes changed");
	TF_CHECK(a->index_st.st_mtim.tv_sec == b->index_st.st_mtim.tv_sec &&
			 a->index_st.st_mtim.tv_nsec == b->index_st.st_mtim.tv_nsec &&
			 a->index_st.st_ino == b->index_st.st_ino,
		 "the index file was rewritten");
	TF_CHECK(!strcmp(bg_buf_cstr(&a->head), bg_buf_cstr(&b->head)), "HEAD changed: %s -> %s",
		 bg_buf_cstr(&a->head), bg_buf_cstr(&b->head));
	TF_CHECK(!strcmp(bg_buf_cstr(&a->worktree), bg_buf_cstr(&b->worktree)),
		 "the working tree changed:\n%s\n---\n%s", bg_buf_cstr(&a->worktree),
		 bg_buf_cstr(&b->worktree));
	TF_CHECK(!strcmp(bg_buf_cstr(&a->gitdir), bg_buf_cstr(&b->gitdir)),
		 ".git changed:\n%s\n---\n%s", bg_buf_cstr(&a->gitdir), bg_buf_cstr(&b->gitdir));
}

static int count_files(const char *path)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return 0;
	if (!S_ISDIR(st.st_mode))
		return 1;
	DIR *d = opendir(path);
	TF_CHECK(d, "opendir %s", path);
	struct dirent *e;
	struct bg_buf child = BG_BUF_INIT;
	int n = 0;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		TF_CHECK_EQ(bg_path_join(&child, path, e->d_name), 0);
		n += count_files(child.ptr);
	}
	closedir(d);
	bg_buf_free(&child);
	return n;
}

static int count_objects(const char *dir)
{
	struct bg_buf p = BG_BUF_INIT;
	TF_CHECK_EQ(bg_path_join(&p, dir, ".git/objects"), 0);
	int n = count_files(p.ptr);
	bg_buf_free(&p);
	return n;
}

static void cleanup(const char *dir)
{
	TF_CHECK(bg_fs_rmtree(dir) == 0, "rm %s: %s", dir, bg_error_last());
}

/* main: c1 - c2 - m, where m merges feature: c1 - f1 - f2. Times increase c1, f1, f2, c2,
 * m (one minute apart). */
struct history {
	char c1[41], f1[41], f2[41], c2[41], m[41];
};

static void make_merge_history(const char *dir, struct history *h)
{
	write_file(dir, "a.txt", "a\n");
	commit(dir, "c1", h->c1);
	write_file(dir, "f.txt", "f1\n");
	commit(dir, "f1", h->f1);
	write_file(dir, "f.txt", "f2\n");
	commit(dir, "f2", h->f2);
	TF_CHECK_EQ(tg_branch(dir, "feature", h->f2), 0);
	set_ref(dir, "refs/heads/main", h->c1); /* main back to c1: f1, f2 only on feature */
	write_file(dir, "c.txt", "c2\n");
	commit(dir, "c2", h->c2);
	TF_CHECK_EQ(tg_merge_commit(dir, h->f2, "merge feature\n\nbody", h->m), 0);
}

/* A fresh repository with the merge history, opened. */
static struct bg_repo *open_merge_history(char *dir, size_t size, const char *tag,
					  struct history *h)
{
	make_repo(dir, size, tag);
	make_merge_history(dir, h);
	return open_repo(dir);
}

static void check_list(const struct bg_commit *v, size_t n, const char *const *want, size_t nwant,
		       const char *what)
{
	TF_CHECK(n == nwant, "%s: %zu commits, want %zu", what, n, nwant);
	for (size_t i = 0; i < n; i++)
		TF_CHECK(!strcmp(v[i].sha, want[i]), "%s[%zu] = %.8s, want %.8s", what, i, v[i].sha,
			 want[i]);
}

static void check_resolves(struct bg_repo *r, const char *spec, const char *want)
{
	struct bg_commit c;
	int rc = bg_git_resolve(r, spec, &c);
	TF_CHECK(rc == 0, "resolve %s: %d %s", spec, rc, bg_error_last());
	TF_CHECK(!strcmp(c.sha, want), "resolve %s = %s, want %s", spec, c.sha, want);
	TF_CHECK_EQ(c.worktree, 0);
	bg_commit_clear(&c);
}

static void check_resolve_fails(struct bg_repo *r, const char *spec, int code, const char *needle)
{
	struct bg_commit c;
	int rc = bg_git_resolve(r, spec, &c);
	TF_CHECK(rc == code, "resolve '%s' gave %d (%s), want %d", spec, rc, bg_error_last(), code);
	TF_CHECK(strstr(bg_error_last(), needle), "message for '%s' lacks '%s': %s", spec, needle,
		 bg_error_last());
	TF_CHECK(c.subject == NULL && c.author == NULL, "failed resolve left strings behind");
}

/* ---- opening ------------------------------------------------------------------------- */

TF_TEST(git__open_searches_upwards)
{
	char dir[4096];
	make_repo(dir, sizeof(dir), "git-open");
	write_file(dir, "sub/deeper/x.txt", "x\n");
	commit(dir, "one", NULL);
	struct bg_buf sub = BG_BUF_INIT;
	TF_CHECK_EQ(bg_path_join(&sub, dir, "sub/deeper"), 0);
	struct bg_repo *r = open_repo(sub.ptr);
	TF_CHECK(!strcmp(bg_repo_workdir(r), dir), "workdir %s, want %s", bg_repo_workdir(r), dir);
	bg_repo_free(r);

	/* from the current directory */
	char cwd[4096];
	TF_CHECK(getcwd(cwd, sizeof(cwd)), "getcwd");
	TF_CHECK(chdir(sub.ptr) == 0, "chdir");
	r = open_repo(NULL);
	TF_CHECK(chdir(cwd) == 0, "chdir back");
	TF_CHECK(!strcmp(bg_repo_workdir(r), dir), "workdir %s, want %s", bg_repo_workdir(r), dir);
	bg_repo_free(r);
	bg_buf_free(&sub);
	cleanup(dir);
}

TF_TEST(git__open_refuses_bare_and_missing)
{
	char dir[4096];
	TF_CHECK_EQ(tg_tmpdir(dir, sizeof(dir), "git-bare"), 0);
	struct bg_repo *r = NULL;
	int rc = bg_repo_open(&r, dir);
	if (rc == 0) {
		bg_repo_free(r);
		cleanup(dir);
		TF_SKIP("the temporary directory %s lies inside a git repository", dir);
	}
	TF_CHECK_EQ(rc, BG_ENOTFOUND);
	TF_CHECK(strstr(bg_error_last(), dir), "message lacks the path: %s", bg_error_last());
	TF_CHECK(r == NULL, "out set on failure");

	git_libgit2_init();
	git_repository *g = NULL;
	TF_CHECK_EQ(git_repository_init(&g, dir, 1), 0);
	git_repository_free(g);
	rc = bg_repo_open(&r, dir);
	TF_CHECK_EQ(rc, BG_EINPUT);
	TF_CHECK(strstr(bg_error_last(), "bare"), "message: %s", bg_error_last());
	TF_CHECK(r == NULL, "out set on failure");
	cleanup(dir);
}

/* ---- resolving ----------------------------------------------------------------------- */

TF_TEST(git__resolve_names)
{
	char dir[4096], s1[41], s2[41], s3[41];
	make_repo(dir, sizeof(dir), "git-resolve");
	write_file(dir, "a.txt", "1\n");
	commit(dir, "first\nsecond line", s1);
	write_file(dir, "a.txt", "2\n");
	commit(dir, "second", s2);
	write_file(dir, "a.txt", "3\n");
	commit(dir, "third\r\n\r\nbody", s3);
	TF_CHECK_EQ(tg_tag(dir, "v1", s1), 0);
	TF_CHECK_EQ(tg_branch(dir, "topic", s2), 0);
	set_ref(dir, "refs/remotes/origin/main", s2);

	/* annotated tag on s2, and a tag of that tag */
	git_repository *g = raw_repo(dir);
	git_oid id, tag_id, tag2_id;
	git_object *target = NULL, *tag_obj = NULL;
	git_signature *sig = NULL;
	TF_CHECK_EQ(git_oid_fromstr(&id, s2), 0);
	TF_CHECK_EQ(git_object_lookup(&target, g, &id, GIT_OBJECT_COMMIT), 0);
	TF_CHECK_EQ(git_signature_new(&sig, "Tagger", "t@example.com", 1700000500, 0), 0);
	TF_CHECK_EQ(git_tag_create(&tag_id, g, "v2", target, sig, "release 2", 0), 0);
	TF_CHECK_EQ(git_object_lookup(&tag_obj, g, &tag_id, GIT_OBJECT_TAG), 0);
	TF_CHECK_EQ(git_tag_create(&tag2_id, g, "v2-signed", tag_obj, sig, "again", 0), 0);
	git_object_free(tag_obj);
	git_object_free(target);
	git_signature_free(sig);
	git_repository_free(g);

	struct bg_repo *r = open_repo(dir);
	check_resolves(r, "main", s3);
	check_resolves(r, "refs/heads/main", s3);
	check_resolves(r, "HEAD", s3);
	check_resolves(r, "topic", s2);
	check_resolves(r, "v1", s1);
	check_resolves(r, "v2", s2);
	check_resolves(r, "v2-signed", s2);
	check_resolves(r, "v2^{}", s2);
	check_resolves(r, s1, s1);
	char prefix[8];
	memcpy(prefix, s1, 7);
	prefix[7] = '\0';
	check_resolves(r, prefix, s1);
	check_resolves(r, "HEAD~2", s1);
	check_resolves(r, "main^", s2);
	check_resolves(r, "origin/main", s2);

	/* the fields */
	struct bg_commit c;
	TF_CHECK_EQ(bg_git_resolve(r, "HEAD", &c), 0);
	TF_CHECK(!strcmp(c.subject, "third"), "subject '%s'", c.subject);
	TF_CHECK(!strcmp(c.author, "Test <test@example.com>"), "author '%s'", c.author);
	TF_CHECK(!strcmp(c.parent, s2), "parent %s, want %s", c.parent, s2);
	TF_CHECK_EQ(strlen(c.tree), 40);
	TF_CHECK(c.time >= 1700000000 && c.time < 1800000000, "time %lld", (long long)c.time);
	int64_t t3 = c.time;
	bg_commit_clear(&c);
	TF_CHECK_EQ(bg_git_resolve(r, "v1", &c), 0);
	TF_CHECK(!strcmp(c.subject, "first"), "subject '%s'", c.subject);
	TF_CHECK(!strcmp(c.parent, ""), "root commit has parent %s", c.parent);
	TF_CHECK_EQ(t3 - c.time, 120); /* the fixture's commits are a minute apart */
	struct bg_commit c2;
	TF_CHECK_EQ(bg_git_resolve(r, "topic", &c2), 0);
	TF_CHECK(strcmp(c.tree, c2.tree), "different contents, same tree %s", c.tree);
	bg_commit_clear(&c2);
	bg_commit_clear(&c);
	TF_CHECK(c.subject == NULL && c.sha[0] == '\0', "clear did not reset");

	bg_repo_free(r);
	cleanup(dir);
}

TF_TEST(git__resolve_errors)
{
	char dir[4096], s1[41];
	make_repo(dir, sizeof(dir), "git-resolve-err");
	write_file(dir, "a.txt", "1\n");
	commit(dir, "one", s1);
	struct bg_repo *r = open_repo(dir);

	check_resolve_fails(r, "nosuch", BG_ENOTFOUND, "unknown revision 'nosuch'");
	check_resolve_fails(r, "HEAD~5", BG_ENOTFOUND, "HEAD~5");
	check_resolve_fails(r, "", BG_EINPUT, "empty");
	check_resolve_fails(r, "main..HEAD", BG_EINPUT, "main..HEAD");
	check_resolve_fails(r, "main..", BG_EINPUT, "range");
	check_resolve_fails(r, "HEAD^{tree}", BG_EINPUT, "not a commit");
	/* a SHA that is no object at all */
	check_resolve_fails(r, "0123456789012345678901234567890123456789", BG_ENOTFOUND,
			    "0123456789012345678901234567890123456789");

	/* an ambiguous prefix: blobs until two share their first four hex digits */
	git_repository *g = raw_repo(dir);
	char seen[65536];
	memset(seen, 0, sizeof(seen));
	char prefix[5] = "";
	for (int i = 0; i < 20000 && !prefix[0]; i++) {
		char body[32], hex[41];
		int len = snprintf(body, sizeof(body), "blob %d\n", i);
		git_oid id;
		TF_CHECK_EQ(git_blob_create_from_buffer(&id, g, body, (size_t)len), 0);
		git_oid_tostr(hex, sizeof(hex), &id);
		unsigned v = (unsigned)((id.id[0] << 8) | id.id[1]);
		if (seen[v]) {
			memcpy(prefix, hex, 4);
			prefix[4] = '\0';
		}
		seen[v] = 1;
	}
	git_repository_free(g);
	TF_CHECK(prefix[0], "no two blobs shared a prefix");
	check_resolve_fails(r, prefix, BG_EINPUT, "ambiguous");

	bg_repo_free(r);
	cleanup(dir);
}

/* ---- ranges ------------------------------------------------------------------------- */

TF_TEST(git__range_over_merge)
{
	char dir[4096];
	struct history h;
	struct bg_repo *r = open_merge_history(dir, sizeof(dir), "git-range", &h);
	struct bg_commit *v = NULL;
	size_t n = 99;

	TF_CHECK_EQ(bg_git_range(r, h.c1, "main", 0, &v, &n), 0);
	const char *all[] = {h.f1, h.f2, h.c2, h.m};
	check_list(v, n, all, 4, "c1..main");
	TF_CHECK(!strcmp(v[3].subject, "merge feature"), "subject '%s'", v[3].subject);
	TF_CHECK(!strcmp(v[3].parent, h.c2), "merge's first parent %s", v[3].parent);
	bg_commit_list_free(v, n);

	TF_CHECK_EQ(bg_git_range(r, h.c1, "main", 1, &v, &n), 0);
	const char *fp[] = {h.c2, h.m};
	check_list(v, n, fp, 2, "c1..main --first-parent");
	bg_commit_list_free(v, n);

	/* what main has that feature has not, and the reverse */
	TF_CHECK_EQ(bg_git_range(r, "feature", "main", 0, &v, &n), 0);
	const char *mf[] = {h.c2, h.m};
	check_list(v, n, mf, 2, "feature..main");
	bg_commit_list_free(v, n);
	TF_CHECK_EQ(bg_git_range(r, "main", "feature", 0, &v, &n), 0);
	check_list(v, n, NULL, 0, "main..feature");
	TF_CHECK(v == NULL, "empty range gave a list");
	bg_commit_list_free(v, n);

	TF_CHECK_EQ(bg_git_range(r, "HEAD~1", "HEAD", 0, &v, &n), 0);
	const char *last_fp[] = {h.f1, h.f2, h.m}; /* HEAD~1 is c2; the merge brings f1, f2 */
	check_list(v, n, last_fp, 3, "HEAD~1..HEAD");
	bg_commit_list_free(v, n);

	check_resolves(r, "main^2", h.f2);
	check_resolves(r, "main^2~1", h.f1);

	int rc = bg_git_range(r, "nosuch", "main", 0, &v, &n);
	TF_CHECK_EQ(rc, BG_ENOTFOUND);
	TF_CHECK(strstr(bg_error_last(), "'nosuch'"), "message: %s", bg_error_last());
	TF_CHECK(v == NULL && n == 0, "out set on failure");
	rc = bg_git_range(r, "main", "nowhere", 1, &v, &n);
	TF_CHECK_EQ(rc, BG_ENOTFOUND);
	TF_CHECK(strstr(bg_error_last(), "'nowhere'"), "message: %s", bg_error_last());

	bg_repo_free(r);
	cleanup(dir);
}

TF_TEST(git__expand_keeps_order_drops_repeats)
{
	char dir[4096];
	struct history h;
	struct bg_repo *r = open_merge_history(dir, sizeof(dir), "git-expand", &h);
	struct bg_commit *v = NULL;
	size_t n = 0;

	char c1_dots[64];
	snprintf(c1_dots, sizeof(c1_dots), "%s..", h.c1);
	char *args[] = {"HEAD~1",   c1_dots, "main", "WORKTREE", "feature~1..feature",
			"WORKTREE", h.c1};
	int rc = bg_git_expand(r, args, sizeof(args) / sizeof(args[0]), 1, &v, &n);
	TF_CHECK(rc == 0, "expand: %d %s", rc, bg_error_last());
	/* HEAD~1 = c2; c1.. first-parent = c2 (repeat), m; main = m (repeat); WORKTREE (HEAD's
	 * sha, but not the same as m); f2; WORKTREE again (repeat); c1 */
	const char *want[] = {h.c2, h.m, h.m, h.f2, h.c1};
	TF_CHECK(n == 5, "%zu commits", n);
	for (size_t i = 0; i < n; i++)
		TF_CHECK(!strcmp(v[i].sha, want[i]), "[%zu] = %.8s, want %.8s", i, v[i].sha,
			 want[i]);
	TF_CHECK_EQ(v[1].worktree, 0);
	TF_CHECK_EQ(v[2].worktree, 1);
	TF_CHECK_EQ(v[0].worktree + v[3].worktree + v[4].worktree, 0);
	bg_commit_list_free(v, n);

	/* without first-parent, A.. means A..HEAD and brings the merged branch */
	char *args2[] = {c1_dots};
	TF_CHECK_EQ(bg_git_expand(r, args2, 1, 0, &v, &n), 0);
	const char *all[] = {h.f1, h.f2, h.c2, h.m};
	check_list(v, n, all, 4, "c1..");
	bg_commit_list_free(v, n);

	char *bad[] = {"main", "main...feature"};
	rc = bg_git_expand(r, bad, 2, 0, &v, &n);
	TF_CHECK_EQ(rc, BG_EINPUT);
	TF_CHECK(v == NULL && n == 0, "out set on failure");
	char *unknown[] = {"main", "nosuch..main"};
	rc = bg_git_expand(r, unknown, 2, 0, &v, &n);
	TF_CHECK_EQ(rc, BG_ENOTFOUND);
	TF_CHECK(strstr(bg_error_last(), "'nosuch'"), "message: %s", bg_error_last());

	bg_repo_free(r);
	cleanup(dir);
}

/* ---- merge-bases --------------------------------------------------------------------- */

TF_TEST(git__merge_base)
{
	char dir[4096];
	struct history h;
	struct bg_repo *r = open_merge_history(dir, sizeof(dir), "git-mb", &h);
	struct bg_commit c;

	TF_CHECK_EQ(bg_git_merge_base(r, "main~1", "feature", &c), 0);
	TF_CHECK(!strcmp(c.sha, h.c1), "merge-base %.8s, want c1 %.8s", c.sha, h.c1);
	TF_CHECK(!strcmp(c.subject, "c1"), "subject %s", c.subject);
	bg_commit_clear(&c);
	TF_CHECK_EQ(bg_git_merge_base(r, "main", "feature", &c), 0);
	TF_CHECK(!strcmp(c.sha, h.f2), "merge-base %.8s, want f2 %.8s", c.sha, h.f2);
	bg_commit_clear(&c);

	/* an unrelated root on another branch */
	set_head(dir, "refs/heads/orphan");
	write_file(dir, "o.txt", "o\n");
	char o[41];
	commit(dir, "orphan root", o);
	set_head(dir, "refs/heads/main");
	int rc = bg_git_merge_base(r, "main", "orphan", &c);
	TF_CHECK_EQ(rc, BG_ENOTFOUND);
	TF_CHECK(strstr(bg_error_last(), "'orphan'"), "message: %s", bg_error_last());
	TF_CHECK(c.subject == NULL, "out set on failure");
	rc = bg_git_merge_base(r, "main", "nosuch", &c);
	TF_CHECK_EQ(rc, BG_ENOTFOUND);
	TF_CHECK(strstr(bg_error_last(), "'nosuch'"), "message: %s", bg_error_last());

	bg_repo_free(r);
	cleanup(dir);
}

/* ---- materialising a commit --------------------------------------------------------- */

TF_TEST(git__materialise_commit)
{
	char dir[4096], out[4096], s1[41], s2[41];
	make_repo(dir, sizeof(dir), "git-mat");
	write_file(dir, "a.txt", "old a\n");
	commit(dir, "one", s1);
	write_file(dir, "a.txt", "new a\n");
	write_file(dir, "dir/sub/b.txt", "b\n");
	write_file(dir, "run.sh", "#!/bin/sh\necho hi\n");
	TF_CHECK_EQ(tg_chmod_x(dir, "run.sh"), 0);
	make_symlink(dir, "link", "dir/sub/b.txt");
	commit(dir, "two", s2);
	/* the user is mid-work: a change and an untracked file that must survive */
	write_file(dir, "a.txt", "uncommitted edit\n");
	write_file(dir, "scratch.txt", "mine\n");

	struct user_state before, after;
	user_state_take(&before, dir);
	TF_CHECK_EQ(tg_tmpdir(out, sizeof(out), "git-mat-out"), 0);
	struct bg_buf target = BG_BUF_INIT, target1 = BG_BUF_INIT;
	TF_CHECK_EQ(bg_path_join(&target, out, "tree2"), 0); /* does not exist yet */
	TF_CHECK_EQ(bg_path_join(&target1, out, "tree1"), 0);
	TF_CHECK(bg_fs_mkdirs(target1.ptr) == 0, "mkdir"); /* exists, empty */

	struct bg_repo *r = open_repo(dir);
	struct bg_commit c2, c1;
	TF_CHECK_EQ(bg_git_resolve(r, s2, &c2), 0);
	TF_CHECK_EQ(bg_git_resolve(r, "HEAD~1", &c1), 0);
	int rc = bg_git_materialise(r, &c2, target.ptr);
	TF_CHECK(rc == 0, "materialise: %d %s", rc, bg_error_last());
	rc = bg_git_materialise(r, &c1, target1.ptr);
	TF_CHECK(rc == 0, "materialise: %d %s", rc, bg_error_last());
	user_state_take(&after, dir);
	user_state_check_same(&before, &after);

	check_text(target.ptr, "a.txt", "new a\n");
	check_text(target.ptr, "dir/sub/b.txt", "b\n");
	check_text(target.ptr, "run.sh", "#!/bin/sh\necho hi\n");
	struct stat st = lstat_of(target.ptr, "run.sh");
	TF_CHECK(S_ISREG(st.st_mode) && (st.st_mode & S_IXUSR), "run.sh mode %o",
		 (unsigned)st.st_mode);
	st = lstat_of(target.ptr, "a.txt");
	TF_CHECK(!(st.st_mode & S_IXUSR), "a.txt is executable");
	st = lstat_of(target.ptr, "link");
	TF_CHECK(S_ISLNK(st.st_mode), "link is not a symbolic link (mode %o)",
		 (unsigned)st.st_mode);
	char t[256];
	struct bg_buf lp = BG_BUF_INIT;
	TF_CHECK_EQ(bg_path_join(&lp, target.ptr, "link"), 0);
	ssize_t len = readlink(lp.ptr, t, sizeof(t) - 1);
	TF_CHECK(len > 0, "readlink");
	t[len] = '\0';
	TF_CHECK(!strcmp(t, "dir/sub/b.txt"), "link -> %s", t);
	bg_buf_free(&lp);
	TF_CHECK(!exists(target.ptr, "scratch.txt"), "untracked file of the user copied");
	TF_CHECK(!exists(target.ptr, ".git"), ".git in the tree");

	check_text(target1.ptr, "a.txt", "old a\n");
	TF_CHECK(!exists(target1.ptr, "run.sh"), "run.sh in the first commit's tree");
	TF_CHECK(!exists(target1.ptr, "dir"), "dir in the first commit's tree");

	bg_commit_clear(&c1);
	bg_commit_clear(&c2);
	user_state_free(&before);
	user_state_free(&after);
	bg_buf_free(&target);
	bg_buf_free(&target1);
	bg_repo_free(r);
	cleanup(out);
	cleanup(dir);
}

TF_TEST(git__materialise_refuses_nonempty_dir)
{
	char dir[4096], out[4096];
	make_repo(dir, sizeof(dir), "git-mat-ne");
	write_file(dir, "a.txt", "a\n");
	commit(dir, "one", NULL);
	TF_CHECK_EQ(tg_tmpdir(out, sizeof(out), "git-mat-ne-out"), 0);
	write_file(out, "already.txt", "here\n");
	struct bg_repo *r = open_repo(dir);
	struct bg_commit c;
	TF_CHECK_EQ(bg_git_resolve(r, "HEAD", &c), 0);
	int rc = bg_git_materialise(r, &c, out);
	TF_CHECK_EQ(rc, BG_EINPUT);
	TF_CHECK(strstr(bg_error_last(), out), "message lacks the dir: %s", bg_error_last());
	TF_CHECK(!exists(out, "a.txt"), "wrote into a non-empty dir");
	check_text(out, "already.txt", "here\n");

	/* a file where the directory should be */
	struct bg_buf f = BG_BUF_INIT;
	TF_CHECK_EQ(bg_path_join(&f, out, "already.txt"), 0);
	TF_CHECK_EQ(bg_git_materialise(r, &c, f.ptr), BG_EINPUT);
	bg_buf_free(&f);

	/* WORKTREE refuses the same way */
	bg_commit_clear(&c);
	TF_CHECK_EQ(bg_git_resolve(r, "WORKTREE", &c), 0);
	TF_CHECK_EQ(bg_git_materialise(r, &c, out), BG_EINPUT);
	TF_CHECK(!exists(out, "a.txt"), "wrote into a non-empty dir");

	bg_commit_clear(&c);
	bg_repo_free(r);
	cleanup(out);
	cleanup(dir);
}

/* ---- WORKTREE ------------------------------------------------------------------------ */

TF_TEST(git__worktree_clean_is_head_tree)
{
	char dir[4096], s[41];
	make_repo(dir, sizeof(dir), "git-wt-clean");
	write_file(dir, "a.txt", "a\n");
	write_file(dir, "a-b.txt", "sorts before a/ in git's order\n");
	write_file(dir, "a/x.txt", "x\n");
	write_file(dir, "a/b/c/d.txt", "deep\n");
	write_file(dir, "z.sh", "#!/bin/sh\n");
	TF_CHECK_EQ(tg_chmod_x(dir, "z.sh"), 0);
	make_symlink(dir, "to-a", "a.txt");
	write_file(dir, ".gitignore", "*.log\n");
	write_file(dir, "noise.log", "ignored\n");
	commit(dir, "all", s);

	struct bg_repo *r = open_repo(dir);
	struct bg_commit head, wt;
	TF_CHECK_EQ(bg_git_resolve(r, "HEAD", &head), 0);
	int rc = bg_git_resolve(r, "WORKTREE", &wt);
	TF_CHECK(rc == 0, "WORKTREE: %d %s", rc, bg_error_last());
	TF_CHECK(!strcmp(wt.tree, head.tree), "clean WORKTREE tree %s != HEAD tree %s", wt.tree,
		 head.tree);
	TF_CHECK(!strcmp(wt.sha, s), "WORKTREE sha %s, want HEAD %s", wt.sha, s);
	TF_CHECK(!strcmp(wt.parent, s), "WORKTREE parent %s, want HEAD %s", wt.parent, s);
	TF_CHECK_EQ(wt.worktree, 1);
	char want_subject[64];
	snprintf(want_subject, sizeof(want_subject), "working tree (on %.7s)", s);
	TF_CHECK(!strcmp(wt.subject, want_subject), "subject '%s'", wt.subject);
	TF_CHECK(wt.author && wt.time > 1700000000, "author/time");
	bg_commit_clear(&head);
	bg_commit_clear(&wt);
	bg_repo_free(r);
	cleanup(dir);
}

TF_TEST(git__worktree_unborn_head_fails)
{
	char dir[4096];
	make_repo(dir, sizeof(dir), "git-wt-unborn");
	write_file(dir, "a.txt", "a\n");
	struct bg_repo *r = open_repo(dir);
	struct bg_commit c;
	int rc = bg_git_resolve(r, "WORKTREE", &c);
	TF_CHECK(rc < 0, "WORKTREE resolved on an unborn HEAD");
	TF_CHECK(strstr(bg_error_last(), "HEAD"), "message: %s", bg_error_last());
	TF_CHECK(c.subject == NULL, "out set on failure");
	bg_repo_free(r);
	cleanup(dir);
}

/* A repository with every kind of uncommitted change: modified, deleted, mode-only,
 * file-to-link, untracked (nested too), ignored (a file, a directory) and a tracked file
 * the ignore rules would match. s: the last commit. */
static void make_dirty_repo(char *dir, size_t size, char *s)
{
	make_repo(dir, size, "git-wt-dirty");
	write_file(dir, "keep.txt", "keep\n");
	write_file(dir, "mod.txt", "before\n");
	write_file(dir, "del.txt", "to be deleted\n");
	write_file(dir, "sub/dir/deep.txt", "deep\n");
	write_file(dir, "mode.txt", "mode only\n");
	write_file(dir, "typechg", "a file that becomes a link\n");
	write_file(dir, "tracked.log", "tracked although *.log is ignored later\n");
	write_file(dir, "run.sh", "#!/bin/sh\n");
	TF_CHECK_EQ(tg_chmod_x(dir, "run.sh"), 0);
	make_symlink(dir, "link", "keep.txt");
	commit(dir, "base", NULL);
	write_file(dir, ".gitignore", "*.log\nbuild/\n");
	commit(dir, "ignore", s);

	/* the edits */
	write_file(dir, "mod.txt", "after, and longer\n");
	TF_CHECK_EQ(tg_remove(dir, "del.txt"), 0);
	TF_CHECK_EQ(tg_chmod_x(dir, "mode.txt"), 0);
	TF_CHECK_EQ(tg_remove(dir, "typechg"), 0);
	make_symlink(dir, "typechg", "keep.txt");
	write_file(dir, "new.txt", "untracked\n");
	write_file(dir, "newdir/inner/n.txt", "untracked, nested\n");
	write_file(dir, "debug.log", "ignored\n");
	write_file(dir, "build/out.o", "ignored dir\n");
	write_file(dir, "tracked.log", "tracked and changed\n");
}

/* The copy of make_dirty_repo's working tree: as on disk, modes and links kept, nothing
 * deleted or ignored. */
static void check_dirty_copy(const char *out)
{
	check_text(out, "mod.txt", "after, and longer\n");
	check_text(out, "keep.txt", "keep\n");
	check_text(out, "sub/dir/deep.txt", "deep\n");
	check_text(out, "new.txt", "untracked\n");
	check_text(out, "newdir/inner/n.txt", "untracked, nested\n");
	check_text(out, "tracked.log", "tracked and changed\n");
	check_text(out, ".gitignore", "*.log\nbuild/\n");
	TF_CHECK(!exists(out, "del.txt"), "deleted file copied");
	TF_CHECK(!exists(out, "debug.log"), "ignored file copied");
	TF_CHECK(!exists(out, "build"), "ignored directory copied");
	TF_CHECK(!exists(out, ".git"), ".git copied");
	struct stat st = lstat_of(out, "run.sh");
	TF_CHECK(S_ISREG(st.st_mode) && (st.st_mode & S_IXUSR), "run.sh mode %o",
		 (unsigned)st.st_mode);
	st = lstat_of(out, "mode.txt");
	TF_CHECK(st.st_mode & S_IXUSR, "mode.txt lost its new executable bit");
	st = lstat_of(out, "keep.txt");
	TF_CHECK(!(st.st_mode & S_IXUSR), "keep.txt became executable");
	st = lstat_of(out, "link");
	TF_CHECK(S_ISLNK(st.st_mode), "link is not a link");
	st = lstat_of(out, "typechg");
	TF_CHECK(S_ISLNK(st.st_mode), "typechg is not a link");
}

TF_TEST(git__worktree_dirty)
{
	char dir[4096], out[4096], s[41];
	make_dirty_repo(dir, sizeof(dir), s);

	int objects_before = count_objects(dir);
	struct user_state before, after;
	user_state_take(&before, dir);

	struct bg_repo *r = open_repo(dir);
	struct bg_commit head, wt;
	TF_CHECK_EQ(bg_git_resolve(r, "HEAD", &head), 0);
	int rc = bg_git_resolve(r, "WORKTREE", &wt);
	TF_CHECK(rc == 0, "WORKTREE: %d %s", rc, bg_error_last());
	TF_CHECK(strcmp(wt.tree, head.tree), "dirty WORKTREE has HEAD's tree %s", wt.tree);
	TF_CHECK(!strcmp(wt.sha, s) && !strcmp(wt.parent, s), "sha %s parent %s", wt.sha,
		 wt.parent);

	TF_CHECK_EQ(tg_tmpdir(out, sizeof(out), "git-wt-out"), 0);
	rc = bg_git_materialise(r, &wt, out);
	TF_CHECK(rc == 0, "materialise WORKTREE: %d %s", rc, bg_error_last());

	/* nothing written into the repository, the index or the working tree */
	TF_CHECK_EQ(count_objects(dir), objects_before);
	user_state_take(&after, dir);
	user_state_check_same(&before, &after);

	check_dirty_copy(out);

	/* the id is the tree git add -A would make: stage everything, commit, compare */
	commit(dir, "staged all", NULL);
	struct bg_commit staged;
	TF_CHECK_EQ(bg_git_resolve(r, "HEAD", &staged), 0);
	TF_CHECK(!strcmp(staged.tree, wt.tree), "WORKTREE tree %s, git add -A gives %s", wt.tree,
		 staged.tree);
	/* and now the working tree is clean again */
	struct bg_commit wt2;
	TF_CHECK_EQ(bg_git_resolve(r, "WORKTREE", &wt2), 0);
	TF_CHECK(!strcmp(wt2.tree, staged.tree), "clean WORKTREE %s, HEAD %s", wt2.tree,
		 staged.tree);

	bg_commit_clear(&wt2);
	bg_commit_clear(&staged);
	bg_commit_clear(&head);
	bg_commit_clear(&wt);
	user_state_free(&before);
	user_state_free(&after);
	bg_repo_free(r);
	cleanup(out);
	cleanup(dir);
}

TF_TEST(git__worktree_empty_tree)
{
	char dir[4096], out[4096];
	make_repo(dir, sizeof(dir), "git-wt-empty");
	commit(dir, "nothing", NULL);
	struct bg_repo *r = open_repo(dir);
	struct bg_commit head, wt;
	TF_CHECK_EQ(bg_git_resolve(r, "HEAD", &head), 0);
	TF_CHECK_EQ(bg_git_resolve(r, "WORKTREE", &wt), 0);
	const char *empty = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"; /* git's empty tree */
	TF_CHECK(!strcmp(head.tree, empty), "HEAD tree %s", head.tree);
	TF_CHECK(!strcmp(wt.tree, empty), "WORKTREE tree %s", wt.tree);
	TF_CHECK_EQ(tg_tmpdir(out, sizeof(out), "git-wt-empty-out"), 0);
	TF_CHECK_EQ(bg_git_materialise(r, &head, out), 0);
	TF_CHECK_EQ(count_files(out), 0);
	bg_commit_clear(&head);
	bg_commit_clear(&wt);
	bg_repo_free(r);
	cleanup(out);
	cleanup(dir);
}

/* A linked worktree (git worktree add): its own HEAD, index and files. */
TF_TEST(git__linked_worktree)
{
	char dir[4096], base[4096], out[4096], s[41];
	make_repo(dir, sizeof(dir), "git-linked");
	write_file(dir, "a.txt", "a\n");
	commit(dir, "one", s);
	TF_CHECK_EQ(tg_tmpdir(base, sizeof(base), "git-linked-wt"), 0);
	struct bg_buf wtpath = BG_BUF_INIT;
	TF_CHECK_EQ(bg_path_join(&wtpath, base, "wt"), 0);
	git_repository *g = raw_repo(dir);
	git_worktree *gw = NULL;
	TF_CHECK(git_worktree_add(&gw, g, "wt1", wtpath.ptr, NULL) == 0, "worktree add: %s",
		 git_error_last() ? git_error_last()->message : "");
	git_worktree_free(gw);
	git_repository_free(g);

	struct bg_repo *r = open_repo(wtpath.ptr);
	TF_CHECK(!strcmp(bg_repo_workdir(r), wtpath.ptr), "workdir %s", bg_repo_workdir(r));
	struct bg_commit head, wt;
	TF_CHECK_EQ(bg_git_resolve(r, "HEAD", &head), 0);
	TF_CHECK(!strcmp(head.sha, s), "HEAD %s", head.sha);
	TF_CHECK_EQ(bg_git_resolve(r, "WORKTREE", &wt), 0);
	TF_CHECK(!strcmp(wt.tree, head.tree), "clean linked worktree %s != %s", wt.tree, head.tree);
	bg_commit_clear(&wt);
	write_file(wtpath.ptr, "b.txt", "only in the linked worktree\n");
	TF_CHECK_EQ(bg_git_resolve(r, "WORKTREE", &wt), 0);
	TF_CHECK(strcmp(wt.tree, head.tree), "untracked file did not change the tree");

	TF_CHECK_EQ(tg_tmpdir(out, sizeof(out), "git-linked-out"), 0);
	struct bg_buf o1 = BG_BUF_INIT, o2 = BG_BUF_INIT;
	TF_CHECK_EQ(bg_path_join(&o1, out, "head"), 0);
	TF_CHECK_EQ(bg_path_join(&o2, out, "wt"), 0);
	int rc = bg_git_materialise(r, &head, o1.ptr);
	TF_CHECK(rc == 0, "materialise: %s", bg_error_last());
	check_text(o1.ptr, "a.txt", "a\n");
	TF_CHECK(!exists(o1.ptr, "b.txt"), "b.txt in HEAD's tree");
	TF_CHECK_EQ(bg_git_materialise(r, &wt, o2.ptr), 0);
	check_text(o2.ptr, "b.txt", "only in the linked worktree\n");
	TF_CHECK(!exists(o2.ptr, ".git"), ".git copied");

	bg_commit_clear(&head);
	bg_commit_clear(&wt);
	bg_buf_free(&o1);
	bg_buf_free(&o2);
	bg_buf_free(&wtpath);
	bg_repo_free(r);
	cleanup(out);
	cleanup(base);
	cleanup(dir);
}

/* A tree holding a gitlink (a submodule's commit): the files come out, the submodule does
 * not (at most its empty directory, as git checkout leaves it). */
TF_TEST(git__materialise_skips_gitlinks)
{
	char dir[4096], out[4096], s[41];
	make_repo(dir, sizeof(dir), "git-gitlink");
	write_file(dir, "a.txt", "a\n");
	commit(dir, "one", s);

	git_repository *g = raw_repo(dir);
	git_oid head_id, tree_id, blob_id, commit_id;
	git_commit *head = NULL;
	git_tree *tree = NULL;
	git_treebuilder *tb = NULL;
	git_signature *sig = NULL;
	TF_CHECK_EQ(git_oid_fromstr(&head_id, s), 0);
	TF_CHECK_EQ(git_commit_lookup(&head, g, &head_id), 0);
	TF_CHECK_EQ(git_treebuilder_new(&tb, g, NULL), 0);
	TF_CHECK_EQ(git_blob_create_from_buffer(&blob_id, g, "b\n", 2), 0);
	TF_CHECK_EQ(git_treebuilder_insert(NULL, tb, "b.txt", &blob_id, GIT_FILEMODE_BLOB), 0);
	/* any commit id will do: gitlinks point into another repository */
	TF_CHECK_EQ(git_treebuilder_insert(NULL, tb, "sub", &head_id, GIT_FILEMODE_COMMIT), 0);
	TF_CHECK_EQ(git_treebuilder_write(&tree_id, tb), 0);
	TF_CHECK_EQ(git_tree_lookup(&tree, g, &tree_id), 0);
	TF_CHECK_EQ(git_signature_new(&sig, "Test", "test@example.com", 1700001000, 0), 0);
	const git_commit *parents[] = {head};
	TF_CHECK_EQ(git_commit_create(&commit_id, g, NULL, sig, sig, NULL, "with a submodule", tree,
				      1, parents),
		    0);
	char sha[41];
	git_oid_tostr(sha, sizeof(sha), &commit_id);
	git_signature_free(sig);
	git_tree_free(tree);
	git_treebuilder_free(tb);
	git_commit_free(head);
	git_repository_free(g);

	struct bg_repo *r = open_repo(dir);
	struct bg_commit c;
	TF_CHECK_EQ(bg_git_resolve(r, sha, &c), 0);
	TF_CHECK_EQ(tg_tmpdir(out, sizeof(out), "git-gitlink-out"), 0);
	int rc = bg_git_materialise(r, &c, out);
	TF_CHECK(rc == 0, "materialise: %s", bg_error_last());
	check_text(out, "b.txt", "b\n");
	TF_CHECK(!exists(out, "a.txt"), "a.txt is not in this tree");
	struct bg_buf sub = BG_BUF_INIT;
	TF_CHECK_EQ(bg_path_join(&sub, out, "sub"), 0);
	TF_CHECK_EQ(count_files(sub.ptr), 0);
	bg_buf_free(&sub);
	bg_commit_clear(&c);
	bg_repo_free(r);
	cleanup(out);
	cleanup(dir);
}

/* ---- hostile trees -------------------------------------------------------------------- */

/* Where a hostile commit is written: root/cache/src, made empty beforehand (so cache's own
 * mtime shows anything added beside it), with root/sentinel/keep.txt beside it for links to
 * point at. before: everything under root but cache/src, with contents. */
struct sandbox {
	char root[4096];
	struct bg_buf dir, sentinel, before;
};

static void sandbox_make(struct sandbox *s)
{
	memset(s, 0, sizeof(*s));
	TF_CHECK_EQ(tg_tmpdir(s->root, sizeof(s->root), "git-hostile-sandbox"), 0);
	TF_CHECK_EQ(bg_path_join(&s->dir, s->root, "cache/src"), 0);
	TF_CHECK_EQ(bg_path_join(&s->sentinel, s->root, "sentinel"), 0);
	TF_CHECK_EQ(bg_fs_mkdirs(s->dir.ptr), 0);
	write_file(s->sentinel.ptr, "keep.txt", "untouched\n");
	snap_but(&s->before, s->root, "", 1, 0, "cache/src");
}

/* Nothing outside dir created, removed or changed; the sandbox goes. */
static void sandbox_check_free(struct sandbox *s)
{
	struct bg_buf after = BG_BUF_INIT;
	snap_but(&after, s->root, "", 1, 0, "cache/src");
	TF_CHECK(!strcmp(bg_buf_cstr(&s->before), bg_buf_cstr(&after)),
		 "written outside %s:\n%s\n---\n%s", s->dir.ptr, bg_buf_cstr(&s->before),
		 bg_buf_cstr(&after));
	bg_buf_free(&after);
	cleanup(s->root);
	bg_buf_free(&s->dir);
	bg_buf_free(&s->sentinel);
	bg_buf_free(&s->before);
}

/* A repository with one ordinary commit on HEAD (the hostile ones get it as parent). */
static struct bg_repo *hostile_repo(char *dir, size_t size)
{
	make_repo(dir, size, "git-hostile");
	write_file(dir, "a.txt", "a\n");
	commit(dir, "ordinary", NULL);
	return open_repo(dir);
}

static void raw_tree(const char *dir, const struct tg_raw_entry *e, size_t n, char *tree)
{
	TF_CHECK(tg_raw_tree(dir, e, n, tree) == 0, "raw tree of %zu entries", n);
}

/* A one-file tree, "pwned.txt": what a hostile entry would like to write somewhere. */
static void payload_tree(const char *dir, char *tree)
{
	const struct tg_raw_entry e[] = {{"pwned.txt", 0100644, NULL, "pwned\n"}};
	raw_tree(dir, e, 1, tree);
}

/* Commits the raw tree e[0..n) and materialises it into a fresh sandbox: refused with
 * BG_EINPUT naming the commit and 'path' (or, with path NULL, saying "malformed"), nothing
 * written in dir or outside it. */
static void check_refused(struct bg_repo *r, const char *repo_dir, const struct tg_raw_entry *e,
			  size_t n, const char *path)
{
	char tree[41], sha[41];
	raw_tree(repo_dir, e, n, tree);
	TF_CHECK_EQ(tg_raw_commit(repo_dir, tree, "hostile", sha), 0);
	struct bg_commit c;
	TF_CHECK_EQ(bg_git_resolve(r, sha, &c), 0);
	struct sandbox s;
	sandbox_make(&s);
	int rc = bg_git_materialise(r, &c, s.dir.ptr);
	TF_CHECK(rc == BG_EINPUT, "'%s': materialise gave %d (%s), want BG_EINPUT",
		 path ? path : "", rc, bg_error_last());
	char want_sha[13], want_path[512];
	snprintf(want_sha, sizeof(want_sha), "%.12s", sha);
	if (path)
		snprintf(want_path, sizeof(want_path), "'%s'", path);
	else
		snprintf(want_path, sizeof(want_path), "malformed");
	TF_CHECK(strstr(bg_error_last(), want_sha) && strstr(bg_error_last(), want_path),
		 "message lacks %s or %s: %s", want_sha, want_path, bg_error_last());
	TF_CHECK(count_files(s.dir.ptr) == 0, "%s: files written before the refusal", want_path);
	sandbox_check_free(&s);
	bg_commit_clear(&c);
}

/* A symbolic link and a directory of the same name: checked out in order, the directory's
 * files would be written through the link, wherever it points. */
TF_TEST(git__hostile_link_then_dir)
{
	char dir[4096], sub[41];
	struct bg_repo *r = hostile_repo(dir, sizeof(dir));
	payload_tree(dir, sub);
	struct sandbox probe; /* only for a path of the shape the sandboxes will have */
	sandbox_make(&probe);
	const char *abs = probe.sentinel.ptr; /* another sandbox's sentinel: still outside */
	const struct tg_raw_entry abs_first[] = {{"evil", 0120000, NULL, abs},
						 {"evil", 040000, sub, NULL}};
	check_refused(r, dir, abs_first, 2, "evil");
	/* relative to cache/src: ../../sentinel is the sandbox's own sentinel */
	const struct tg_raw_entry rel_first[] = {{"evil", 0120000, NULL, "../../sentinel"},
						 {"evil", 040000, sub, NULL}};
	check_refused(r, dir, rel_first, 2, "evil");
	const struct tg_raw_entry dir_first[] = {{"evil", 040000, sub, NULL},
						 {"evil", 0120000, NULL, "../../sentinel"}};
	check_refused(r, dir, dir_first, 2, "evil");
	/* one level down, and the link going up as far as it can */
	char deep[41];
	const struct tg_raw_entry inner[] = {{"up", 0120000, NULL, "../../../../../../.."},
					     {"up", 040000, sub, NULL}};
	raw_tree(dir, inner, 2, deep);
	const struct tg_raw_entry nested[] = {{"ok", 040000, deep, NULL}};
	check_refused(r, dir, nested, 1, "ok/up");
	sandbox_check_free(&probe);
	bg_repo_free(r);
	cleanup(dir);
}

/* Names git never writes into a tree: ".", "..", "", any with a '/', absolute ones. */
TF_TEST(git__hostile_names)
{
	char dir[4096], sub[41], up[41], upup[41];
	struct bg_repo *r = hostile_repo(dir, sizeof(dir));
	payload_tree(dir, sub);
	const struct tg_raw_entry dotdot[] = {{"..", 040000, sub, NULL}};
	check_refused(r, dir, dotdot, 1, "..");
	const struct tg_raw_entry dot[] = {{".", 040000, sub, NULL}};
	check_refused(r, dir, dot, 1, ".");
	raw_tree(dir, dotdot, 1, up);
	const struct tg_raw_entry two_up[] = {{"..", 040000, up, NULL}};
	raw_tree(dir, two_up, 1, upup);
	const struct tg_raw_entry nested[] = {{"a.txt", 0100644, NULL, "fine\n"},
					      {"ok", 040000, upup, NULL}};
	check_refused(r, dir, nested, 2, "ok/..");
	const struct tg_raw_entry slash[] = {{"../../sentinel/pwned.txt", 0100644, NULL, "x\n"}};
	check_refused(r, dir, slash, 1, "../../sentinel/pwned.txt");
	struct sandbox probe;
	sandbox_make(&probe);
	struct bg_buf abs = BG_BUF_INIT;
	TF_CHECK_EQ(bg_path_join(&abs, probe.sentinel.ptr, "pwned.txt"), 0);
	const struct tg_raw_entry absolute[] = {{abs.ptr, 0100644, NULL, "x\n"}};
	check_refused(r, dir, absolute, 1, abs.ptr);
	/* libgit2 cannot even parse this one */
	const struct tg_raw_entry empty[] = {{"", 0100644, NULL, "x\n"}};
	check_refused(r, dir, empty, 1, NULL);
	const struct tg_raw_entry gitlink[] = {{"..", 0160000, sub, NULL}};
	check_refused(r, dir, gitlink, 1, "..");
	const struct tg_raw_entry twice[] = {{"a", 0100644, NULL, "1\n"},
					     {"a", 0100644, NULL, "2\n"}};
	check_refused(r, dir, twice, 2, "a");
	bg_buf_free(&abs);
	sandbox_check_free(&probe);
	bg_repo_free(r);
	cleanup(dir);
}

/* .git in any case and at any depth, as a directory, a file (a gitlink "gitdir: ...") or a
 * link: git refuses to check any of them out, and so does bitgate. */
TF_TEST(git__hostile_dotgit)
{
	char dir[4096], gitdir[41], nested_tree[41];
	struct bg_repo *r = hostile_repo(dir, sizeof(dir));
	const struct tg_raw_entry cfg[] = {
		{"config", 0100644, NULL, "[core]\n\tworktree = ../../sentinel\n"},
		{"HEAD", 0100644, NULL, "ref: refs/heads/main\n"}};
	raw_tree(dir, cfg, 2, gitdir);
	const struct tg_raw_entry as_dir[] = {{".git", 040000, gitdir, NULL}};
	check_refused(r, dir, as_dir, 1, ".git");
	const struct tg_raw_entry as_file[] = {{".git", 0100644, NULL, "gitdir: ../../sentinel\n"}};
	check_refused(r, dir, as_file, 1, ".git");
	const struct tg_raw_entry as_link[] = {{".git", 0120000, NULL, "../../sentinel"}};
	check_refused(r, dir, as_link, 1, ".git");
	const struct tg_raw_entry upper[] = {{".GIT", 040000, gitdir, NULL}};
	check_refused(r, dir, upper, 1, ".GIT");
	raw_tree(dir, as_file, 1, nested_tree);
	const struct tg_raw_entry nested[] = {{"vendor", 040000, nested_tree, NULL}};
	check_refused(r, dir, nested, 1, "vendor/.git");
	bg_repo_free(r);
	cleanup(dir);
}

/* Links that point outside are written as links, their targets neither followed nor
 * checked: what the subject's build does with them is its own business. */
TF_TEST(git__hostile_links_stay_links)
{
	char dir[4096], tree[41], sha[41];
	struct bg_repo *r = hostile_repo(dir, sizeof(dir));
	struct sandbox s;
	sandbox_make(&s);
	const struct tg_raw_entry e[] = {{"abs", 0120000, NULL, s.sentinel.ptr},
					 {"file.txt", 0100644, NULL, "x\n"},
					 {"rel", 0120000, NULL, "../../sentinel"},
					 {"up", 0120000, NULL, "../../../../../../.."}};
	raw_tree(dir, e, 4, tree);
	TF_CHECK_EQ(tg_raw_commit(dir, tree, "links out", sha), 0);
	struct bg_commit c;
	TF_CHECK_EQ(bg_git_resolve(r, sha, &c), 0);
	int rc = bg_git_materialise(r, &c, s.dir.ptr);
	TF_CHECK(rc == 0, "materialise: %d %s", rc, bg_error_last());
	check_text(s.dir.ptr, "file.txt", "x\n");
	for (size_t i = 0; i < 4; i++) {
		if (e[i].mode != 0120000)
			continue;
		struct stat st = lstat_of(s.dir.ptr, e[i].name);
		TF_CHECK(S_ISLNK(st.st_mode), "%s is not a link (mode %o)", e[i].name,
			 (unsigned)st.st_mode);
		struct bg_buf p = BG_BUF_INIT, t = BG_BUF_INIT;
		TF_CHECK_EQ(bg_path_join(&p, s.dir.ptr, e[i].name), 0);
		TF_CHECK_EQ(bg_fs_readlink(&t, p.ptr), 0);
		TF_CHECK(!strcmp(bg_buf_cstr(&t), e[i].content), "%s -> %s", e[i].name,
			 bg_buf_cstr(&t));
		bg_buf_free(&p);
		bg_buf_free(&t);
	}
	sandbox_check_free(&s);
	bg_commit_clear(&c);
	bg_repo_free(r);
	cleanup(dir);
}

/* A file of a commit (and of the working tree) is read up to a bound, checked before the
 * blob is inflated: a pull request's bitgate.json of 2 MiB is refused, not loaded. And
 * whether one is there at all. */
TF_TEST(git__read_file_bounded)
{
	char dir[4096];
	make_repo(dir, sizeof(dir), "git-read-bounded");
	write_file(dir, "small.json", "{}\n");
	char *big = malloc((2u << 20) + 1);
	TF_CHECK(big != NULL, "malloc");
	memset(big, ' ', 2u << 20);
	big[2u << 20] = '\0';
	write_file(dir, "bitgate.json", big);
	free(big);
	commit(dir, "big", NULL);
	struct bg_repo *r = open_repo(dir);
	struct bg_commit head, wt;
	TF_CHECK_EQ(bg_git_resolve(r, "HEAD", &head), 0);
	TF_CHECK_EQ(bg_git_resolve(r, "WORKTREE", &wt), 0);
	struct bg_buf text = BG_BUF_INIT;
	TF_CHECK_EQ(bg_git_read_file(r, &head, "small.json", 3, &text), 0);
	TF_CHECK(!strcmp(bg_buf_cstr(&text), "{}\n"), "read %s", bg_buf_cstr(&text));
	bg_buf_clear(&text);
	TF_CHECK_EQ(bg_git_read_file(r, &head, "bitgate.json", 1u << 20, &text), BG_EINPUT);
	char want[128];
	snprintf(want, sizeof(want),
		 "commit %.12s: bitgate.json: 2097152 bytes, more than the 1048576 bitgate reads",
		 head.sha);
	TF_CHECK(strstr(bg_error_last(), want) && text.len == 0, "%s", bg_error_last());
	TF_CHECK_EQ(bg_git_read_file(r, &wt, "bitgate.json", 1u << 20, &text), BG_EINPUT);
	TF_CHECK(strstr(bg_error_last(), "bitgate.json: larger than the 1048576 bytes"), "%s",
		 bg_error_last());
	TF_CHECK_EQ(bg_git_read_file(r, &head, "missing.json", 1u << 20, &text), BG_ENOTFOUND);
	/* whether a file is there, without reading it */
	TF_CHECK_EQ(bg_git_has_file(r, &head, "bitgate.json"), 1);
	TF_CHECK_EQ(bg_git_has_file(r, &head, "missing.json"), 0);
	TF_CHECK_EQ(bg_git_has_file(r, &wt, "small.json"), 1);
	TF_CHECK_EQ(bg_git_has_file(r, &wt, "missing.json"), 0);
	bg_buf_free(&text);
	bg_commit_clear(&head);
	bg_commit_clear(&wt);
	bg_repo_free(r);
	cleanup(dir);
}
