/* Revisions through libgit2: revspecs (WORKTREE: git_worktree.c), ranges and merge-bases
 * resolved to bg_commit, and trees written into directories of their own, over git_repo.c's
 * repository and commits. Nothing here writes into the user's repository: not the index,
 * not HEAD, not the object database, not the working tree. */
#include "bg_git.h"
#include "git_int.h"

#include <errno.h>
#include <git2.h>
#include <git2/sys/repository.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bg_buf.h"
#include "bg_error.h"
#include "bg_fs.h"

struct commit_vec {
	struct bg_commit *v;
	size_t n, cap;
};

static int is_worktree_spec(const char *spec)
{
	return !strcmp(spec, BG_WORKTREE);
}

int bg_git_resolve(struct bg_repo *repo, const char *spec, struct bg_commit *out)
{
	memset(out, 0, sizeof(*out));
	if (spec && is_worktree_spec(spec))
		return bg_git_worktree_resolve(repo, out);
	git_commit *c = NULL;
	int rc = bg_git_lookup_commit(&c, repo, spec);
	if (rc < 0)
		return rc;
	rc = bg_git_commit_fill(out, c);
	git_commit_free(c);
	return rc;
}

/* ---- ranges ---------------------------------------------------------------------------- */

static int vec_push(struct commit_vec *v, struct bg_commit *c)
{
	if (bg_grow((void **)&v->v, &v->cap, v->n, sizeof(*v->v), 16) < 0)
		return BG_ENOMEM;
	v->v[v->n++] = *c; /* takes ownership of c's strings */
	memset(c, 0, sizeof(*c));
	return 0;
}

static int range_endpoint(git_oid *out, struct bg_repo *repo, const char *spec)
{
	if (spec && is_worktree_spec(spec))
		return bg_error_set(BG_EINPUT, "WORKTREE cannot be an end of a range");
	git_commit *c = NULL;
	int rc = bg_git_lookup_commit(&c, repo, spec);
	if (rc < 0)
		return rc;
	git_oid_cpy(out, git_commit_id(c));
	git_commit_free(c);
	return 0;
}

static int range_into(struct commit_vec *v, struct bg_repo *repo, const char *a, const char *b,
		      int first_parent)
{
	git_oid ida, idb;
	int rc, all = !a || !*a; /* no lower end: every ancestor of b */
	if ((!all && (rc = range_endpoint(&ida, repo, a)) < 0) ||
	    (rc = range_endpoint(&idb, repo, b)) < 0)
		return bg_error_wrap("range %s..%s", a ? a : "", b ? b : "");
	git_revwalk *w = NULL;
	git_commit *c = NULL;
	struct bg_commit bc;
	memset(&bc, 0, sizeof(bc));
	if (git_revwalk_new(&w, repo->git) < 0 ||
	    git_revwalk_sorting(w, GIT_SORT_TOPOLOGICAL | GIT_SORT_TIME | GIT_SORT_REVERSE) < 0 ||
	    git_revwalk_push(w, &idb) < 0 || (!all && git_revwalk_hide(w, &ida) < 0) ||
	    (first_parent && git_revwalk_simplify_first_parent(w) < 0)) {
		rc = bg_error_set(BG_EINFRA, "cannot walk %s..%s: %s", a ? a : "", b, bg_git_msg());
		goto done;
	}
	git_oid id;
	int e;
	while ((e = git_revwalk_next(&id, w)) == 0) {
		if (git_commit_lookup(&c, repo->git, &id) < 0) {
			rc = bg_error_set(BG_EINFRA, "cannot read a commit of %s..%s: %s",
					  a ? a : "", b, bg_git_msg());
			goto done;
		}
		if ((rc = bg_git_commit_fill(&bc, c)) < 0 || (rc = vec_push(v, &bc)) < 0)
			goto done;
		git_commit_free(c);
		c = NULL;
	}
	if (e != GIT_ITEROVER)
		rc = bg_error_set(BG_EINFRA, "cannot walk %s..%s: %s", a ? a : "", b, bg_git_msg());
done:
	bg_commit_clear(&bc);
	git_commit_free(c);
	git_revwalk_free(w);
	return rc;
}

int bg_git_range(struct bg_repo *repo, const char *a, const char *b, int first_parent,
		 struct bg_commit **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	struct commit_vec v = {NULL, 0, 0};
	int rc = range_into(&v, repo, a, b, first_parent);
	if (rc < 0) {
		bg_commit_list_free(v.v, v.n);
		return rc;
	}
	*out = v.v;
	*n = v.n;
	return 0;
}

static uint64_t commit_key_hash(const struct bg_commit *c)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */
	for (const char *p = c->sha; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
	return (h ^ (uint64_t)(c->worktree != 0)) * 1099511628211ull;
}

static int same_commit(const struct bg_commit *a, const struct bg_commit *b)
{
	return !strcmp(a->sha, b->sha) && !a->worktree == !b->worktree;
}

/* Drops repeats (same sha and worktree flag), keeping first occurrences in order. A hash set
 * of indices, since a nightly range may hold thousands of commits. */
static int dedup(struct commit_vec *v)
{
	if (v->n < 2)
		return 0;
	size_t size = 16;
	while (size < v->n * 2)
		size *= 2;
	size_t *slots = calloc(size, sizeof(*slots)); /* index + 1; 0 is empty */
	if (!slots)
		return bg_error_oom();
	size_t kept = 0;
	for (size_t i = 0; i < v->n; i++) {
		size_t s = (size_t)commit_key_hash(&v->v[i]) & (size - 1);
		int dup = 0;
		while (slots[s]) {
			if (same_commit(&v->v[slots[s] - 1], &v->v[i])) {
				dup = 1;
				break;
			}
			s = (s + 1) & (size - 1);
		}
		if (dup) {
			bg_commit_clear(&v->v[i]);
			continue;
		}
		v->v[kept] = v->v[i];
		if (kept != i)
			memset(&v->v[i], 0, sizeof(v->v[i]));
		slots[s] = ++kept;
	}
	v->n = kept;
	free(slots);
	return 0;
}

static int expand_one(struct commit_vec *v, struct bg_repo *repo, const char *arg, int first_parent)
{
	const char *dots = arg ? strstr(arg, "..") : NULL;
	if (!dots) {
		struct bg_commit c;
		int rc = bg_git_resolve(repo, arg, &c);
		if (rc < 0)
			return rc;
		rc = vec_push(v, &c);
		bg_commit_clear(&c);
		return rc;
	}
	if (dots[2] == '.')
		return bg_error_set(
			BG_EINPUT, "'%s': symmetric ranges A...B are not supported; use A..B", arg);
	if (strstr(dots + 2, ".."))
		return bg_error_set(BG_EINPUT, "'%s' is not a range A..B", arg);
	/* "A.." means A..HEAD and "..B" HEAD..B, as git has it */
	struct bg_buf a = BG_BUF_INIT;
	if (bg_buf_put(&a, arg, (size_t)(dots - arg)) < 0)
		return BG_ENOMEM;
	const char *sa = a.len ? a.ptr : "HEAD";
	const char *sb = dots[2] ? dots + 2 : "HEAD";
	int rc = a.len || dots[2] ? range_into(v, repo, sa, sb, first_parent)
				  : bg_error_set(BG_EINPUT, "'%s' is not a range A..B", arg);
	bg_buf_free(&a);
	return rc;
}

int bg_git_expand(struct bg_repo *repo, char *const *args, size_t nargs, int first_parent,
		  struct bg_commit **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	struct commit_vec v = {NULL, 0, 0};
	int rc = 0;
	for (size_t i = 0; i < nargs && rc == 0; i++)
		rc = expand_one(&v, repo, args[i], first_parent);
	if (rc == 0)
		rc = dedup(&v);
	if (rc < 0) {
		bg_commit_list_free(v.v, v.n);
		return rc;
	}
	*out = v.v;
	*n = v.n;
	return 0;
}

int bg_git_merge_base(struct bg_repo *repo, const char *a, const char *b, struct bg_commit *out)
{
	memset(out, 0, sizeof(*out));
	/* WORKTREE's history is HEAD's */
	const char *sa = a && is_worktree_spec(a) ? "HEAD" : a;
	const char *sb = b && is_worktree_spec(b) ? "HEAD" : b;
	git_commit *ca = NULL, *cb = NULL, *base = NULL;
	int rc;
	if ((rc = bg_git_lookup_commit(&ca, repo, sa)) < 0 ||
	    (rc = bg_git_lookup_commit(&cb, repo, sb)) < 0) {
		rc = bg_error_wrap("merge-base of %s and %s", a ? a : "", b ? b : "");
		goto done;
	}
	git_oid id;
	int e = git_merge_base(&id, repo->git, git_commit_id(ca), git_commit_id(cb));
	if (e == GIT_ENOTFOUND) {
		rc = bg_error_set(BG_ENOTFOUND, "'%s' and '%s' have no common ancestor", a, b);
		goto done;
	}
	if (e < 0 || git_commit_lookup(&base, repo->git, &id) < 0) {
		rc = bg_error_set(BG_EINFRA, "cannot find the merge-base of '%s' and '%s': %s", a,
				  b, bg_git_msg());
		goto done;
	}
	rc = bg_git_commit_fill(out, base);
done:
	git_commit_free(ca);
	git_commit_free(cb);
	git_commit_free(base);
	return rc;
}

/* ---- materialising ---------------------------------------------------------------------- */

/* dir must not exist (it is created) or be an empty directory. */
static int prepare_target(const char *dir)
{
	struct stat st;
	if (lstat(dir, &st) < 0) {
		if (errno != ENOENT)
			return bg_error_set(BG_EINFRA, "%s: %s", dir, strerror(errno));
		return bg_fs_mkdirs(dir);
	}
	if (!S_ISDIR(st.st_mode))
		return bg_error_set(BG_EINPUT, "cannot write a tree into '%s': not a directory",
				    dir);
	int empty = bg_fs_dir_is_empty(dir);
	if (empty < 0)
		return empty;
	if (!empty)
		return bg_error_set(BG_EINPUT, "cannot write a tree into '%s': it is not empty",
				    dir);
	return 0;
}

/* ---- trees from strangers ------------------------------------------------------------- */

/* Why an entry called name must not be written, or NULL. Tree entries are single path
 * components: "", "." and "..", or a name holding a '/', would reach outside the tree's
 * directory; .git (in any case, as git's verify_path has it) would make the checkout a
 * repository, or with a "gitdir:" file point the git commands of its build at another one.
 * git refuses all of these rather than skipping them, and so does bitgate. */
static const char *unsafe_name(const char *name)
{
	if (!*name)
		return "an empty name";
	if (!strcmp(name, ".") || !strcmp(name, ".."))
		return "a name that is not a file name";
	if (strchr(name, '/'))
		return "a '/' in a name";
	if (!strcasecmp(name, ".git"))
		return "git refuses to check out a .git entry";
	return NULL;
}

/* A walk over a commit's tree before anything is written. */
struct tree_check {
	git_repository *git;
	const struct bg_commit *c;
	struct bg_buf path; /* the directory walked, "" or ending in '/' */
};

/* Appends the path shown in a message: bytes that are not printable ASCII as \xNN. */
static int shown_path(struct bg_buf *out, const char *dir, const char *name)
{
	for (const char *parts[] = {dir ? dir : "", name}, **p = parts; p < parts + 2; p++)
		for (const unsigned char *s = (const unsigned char *)*p; *s; s++) {
			int rc = *s >= 0x20 && *s < 0x7f ? bg_buf_putc(out, (char)*s)
							 : bg_buf_printf(out, "\\x%02x", *s);
			if (rc < 0)
				return rc;
		}
	return 0;
}

static int refuse_entry(struct tree_check *tc, const char *name, const char *why)
{
	struct bg_buf shown = BG_BUF_INIT;
	int rc = shown_path(&shown, tc->path.ptr, name);
	if (rc == 0)
		rc = bg_error_set(BG_EINPUT, "commit %.12s: refusing to write '%s': %s", tc->c->sha,
				  bg_buf_cstr(&shown), why);
	bg_buf_free(&shown);
	return rc;
}

/* A tree object that cannot be read: missing from the repository, or not a tree git
 * could have written. */
static int tree_error(int git_err, const struct bg_commit *c, const char *what)
{
	if (git_err == GIT_ENOTFOUND)
		return bg_error_set(BG_ENOTFOUND, "commit %.12s: %s is missing: %s", c->sha, what,
				    bg_git_msg());
	return bg_error_set(BG_EINPUT, "commit %.12s: %s is malformed: %s", c->sha, what,
			    bg_git_msg());
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Each entry of t has a safe name, given once: a tree naming a link and a directory alike
 * would have the directory's files written through the link. */
static int check_names(struct tree_check *tc, const git_tree *t)
{
	size_t n = git_tree_entrycount(t);
	const char **names = malloc((n ? n : 1) * sizeof(*names));
	if (!names)
		return bg_error_oom();
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		names[i] = git_tree_entry_name(git_tree_entry_byindex(t, i));
		const char *why = unsafe_name(names[i]);
		if (why)
			rc = refuse_entry(tc, names[i], why);
	}
	if (rc == 0)
		qsort(names, n, sizeof(*names), name_cmp);
	for (size_t i = 1; i < n && rc == 0; i++)
		if (!strcmp(names[i - 1], names[i]))
			rc = refuse_entry(tc, names[i], "the tree has two entries of this name");
	free(names);
	return rc;
}

/* check_names over t and every tree below it. Paths are bounded by PATH_MAX (what a
 * checkout could write anyway), which bounds the recursion. */
static int check_tree(struct tree_check *tc, const git_tree *t)
{
	int rc = check_names(tc, t);
	size_t n = git_tree_entrycount(t), len = tc->path.len;
	for (size_t i = 0; i < n && rc == 0; i++) {
		const git_tree_entry *e = git_tree_entry_byindex(t, i);
		if (git_tree_entry_type(e) != GIT_OBJECT_TREE)
			continue;
		const char *name = git_tree_entry_name(e);
		if (len + strlen(name) + 1 >= PATH_MAX)
			return refuse_entry(tc, name, "the path is longer than PATH_MAX");
		if ((rc = bg_buf_puts(&tc->path, name)) < 0 ||
		    (rc = bg_buf_putc(&tc->path, '/')) < 0)
			return rc;
		git_tree *sub = NULL;
		int e_git = git_tree_lookup(&sub, tc->git, git_tree_entry_id(e));
		if (e_git < 0) {
			struct bg_buf what = BG_BUF_INIT;
			rc = bg_buf_puts(&what, "the tree of '");
			if (rc == 0 && (rc = shown_path(&what, tc->path.ptr, "")) == 0 &&
			    (rc = bg_buf_putc(&what, '\'')) == 0)
				rc = tree_error(e_git, tc->c, what.ptr);
			bg_buf_free(&what);
		} else {
			rc = check_tree(tc, sub);
		}
		git_tree_free(sub);
		tc->path.len = len;
		tc->path.ptr[len] = '\0';
	}
	return rc;
}

/* git checkout of one tree into dir. It runs on a second repository object whose index is
 * an empty in-memory one: checkout compares against that index (so every file is written,
 * as in a first checkout) and can neither read nor write the user's index file. */
static int materialise_tree(struct bg_repo *repo, const struct bg_commit *c, const char *dir)
{
	git_repository *g = NULL;
	git_index *idx = NULL;
	git_tree *tree = NULL;
	git_oid id;
	int rc = 0;
	if (git_oid_fromstr(&id, c->tree) < 0) {
		rc = bg_error_set(BG_EINPUT, "bad tree id '%s' for commit %s", c->tree, c->sha);
		goto done;
	}
	/* by its git directory, which also finds linked worktrees and core.worktree setups */
	if (git_repository_open(&g, git_repository_path(repo->git)) < 0 ||
	    git_index_new(&idx) < 0) {
		rc = bg_error_set(BG_EINFRA, "cannot open '%s' for a checkout: %s", repo->workdir,
				  bg_git_msg());
		goto done;
	}
	if (git_repository_set_index(g, idx) < 0) {
		rc = bg_error_set(BG_EINFRA, "cannot prepare a checkout of '%s': %s", repo->workdir,
				  bg_git_msg());
		goto done;
	}
	int e = git_tree_lookup(&tree, g, &id);
	if (e < 0) {
		rc = tree_error(e, c, "its tree");
		goto done;
	}
	/* refused before anything is written: nothing partial is left in dir */
	struct tree_check tc = {g, c, BG_BUF_INIT};
	rc = check_tree(&tc, tree);
	bg_buf_free(&tc.path);
	if (rc < 0)
		goto done;
	git_checkout_options co;
	git_checkout_options_init(&co, GIT_CHECKOUT_OPTIONS_VERSION);
	/* NO_REFRESH: an in-memory index cannot be re-read from disk */
	co.checkout_strategy = GIT_CHECKOUT_FORCE | GIT_CHECKOUT_DONT_UPDATE_INDEX |
			       GIT_CHECKOUT_DONT_WRITE_INDEX | GIT_CHECKOUT_NO_REFRESH;
	co.target_directory = dir;
	if (git_checkout_tree(g, (const git_object *)tree, &co) < 0)
		rc = bg_error_set(BG_EINFRA, "cannot write commit %.12s into '%s': %s", c->sha, dir,
				  bg_git_msg());
done:
	git_tree_free(tree);
	git_index_free(idx);
	git_repository_free(g);
	return rc;
}
/* BG_EINPUT when the blob id is larger than max_bytes, read from its header alone (a
 * blob of zeros compresses a gigabyte into a megabyte). */
static int blob_within(struct bg_repo *repo, const struct bg_commit *c, const char *path,
		       const git_oid *id, size_t max_bytes)
{
	git_odb *odb = NULL;
	size_t len = 0;
	git_object_t type;
	int rc = 0;
	if (git_repository_odb(&odb, repo->git) < 0 ||
	    git_odb_read_header(&len, &type, odb, id) < 0)
		rc = bg_error_set(BG_EINFRA, "commit %.12s: %s: %s", c->sha, path, bg_git_msg());
	else if (len > max_bytes)
		rc = bg_error_set(
			BG_EINPUT,
			"commit %.12s: %s: %zu bytes, more than the %zu bitgate reads of it",
			c->sha, path, len, max_bytes);
	git_odb_free(odb);
	return rc;
}

/* The blob at path in c's tree: 1 with *id set, 0 when there is none (or not a file), <0
 * when the commit cannot be read. */
static int blob_at(struct bg_repo *repo, const struct bg_commit *c, const char *path, git_oid *id)
{
	git_oid cid;
	git_commit *commit = NULL;
	git_tree *tree = NULL;
	git_tree_entry *entry = NULL;
	int rc = 0;
	if (git_oid_fromstr(&cid, c->sha) < 0 || git_commit_lookup(&commit, repo->git, &cid) < 0 ||
	    git_commit_tree(&tree, commit) < 0) {
		rc = bg_error_set(BG_ENOTFOUND, "commit %.12s: %s", c->sha, bg_git_msg());
	} else if (git_tree_entry_bypath(&entry, tree, path) == 0 &&
		   git_tree_entry_type(entry) == GIT_OBJECT_BLOB) {
		git_oid_cpy(id, git_tree_entry_id(entry));
		rc = 1;
	}
	git_tree_entry_free(entry);
	git_tree_free(tree);
	git_commit_free(commit);
	return rc;
}

int bg_git_read_file(struct bg_repo *repo, const struct bg_commit *c, const char *path,
		     size_t max_bytes, struct bg_buf *out)
{
	if (c->worktree) {
		struct bg_buf full = BG_BUF_INIT;
		int rc = bg_path_join(&full, repo->workdir, path);
		if (rc == 0)
			rc = bg_fs_read_max(out, full.ptr, max_bytes);
		bg_buf_free(&full);
		return rc;
	}
	git_oid id;
	git_blob *blob = NULL;
	int rc = blob_at(repo, c, path, &id);
	if (rc == 0)
		rc = bg_error_set(BG_ENOTFOUND, "commit %.12s has no file %s", c->sha, path);
	if (rc > 0 && (rc = blob_within(repo, c, path, &id, max_bytes)) == 0 &&
	    git_blob_lookup(&blob, repo->git, &id) < 0)
		rc = bg_error_set(BG_EINFRA, "commit %.12s: %s: %s", c->sha, path, bg_git_msg());
	if (rc == 0)
		rc = bg_buf_put(out, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob));
	git_blob_free(blob);
	return rc;
}

int bg_git_has_file(struct bg_repo *repo, const struct bg_commit *c, const char *path)
{
	if (c->worktree) {
		struct bg_buf full = BG_BUF_INIT;
		int rc = bg_path_join(&full, repo->workdir, path);
		if (rc == 0)
			rc = bg_fs_exists(full.ptr);
		bg_buf_free(&full);
		return rc;
	}
	git_oid id;
	return blob_at(repo, c, path, &id);
}

int bg_git_materialise(struct bg_repo *repo, const struct bg_commit *c, const char *dir)
{
	int rc = prepare_target(dir);
	if (rc < 0)
		return rc;
	return c->worktree ? bg_git_worktree_materialise(repo, dir)
			   : materialise_tree(repo, c, dir);
}
