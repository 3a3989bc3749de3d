/* Commits through libgit2: the working tree as a tree. WORKTREE resolves to a commit whose
 * tree id is what `git add -A && git commit` would record, computed without writing the
 * index or the object database; its files are copied as they are on disk. */
#include "bg_git.h"
#include "git_int.h"

#include <git2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bg_buf.h"
#include "bg_error.h"
#include "bg_fs.h"

/* One file of the working tree as `git add -A` would stage it. */
struct wt_entry {
	char *path;    /* relative to the working directory, '/'-separated */
	uint32_t mode; /* git file mode: 100644, 100755, 120000 or 160000 */
	git_oid id;    /* the blob (or submodule commit) when has_id */
	int has_id;    /* 0: hash the file on disk when the id is needed */
};

struct wt_list {
	struct wt_entry *v;
	size_t n, cap;
};

/* ---- the working tree as a tree ---------------------------------------------------------- */

static void wt_list_free(struct wt_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].path);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static int wt_push(struct wt_list *l, const char *path, uint32_t mode, const git_oid *id)
{
	if (bg_grow((void **)&l->v, &l->cap, l->n, sizeof(*l->v), 64) < 0)
		return BG_ENOMEM;
	struct wt_entry *e = &l->v[l->n];
	memset(e, 0, sizeof(*e));
	if (!(e->path = bg_strdup(path)))
		return BG_ENOMEM;
	e->mode = mode;
	if (id) {
		git_oid_cpy(&e->id, id);
		e->has_id = 1;
	}
	l->n++;
	return 0;
}

static int wt_entry_cmp(const void *a, const void *b)
{
	/* Full-path byte order is git's tree order: a directory's entries sort as "dir/..." */
	return strcmp(((const struct wt_entry *)a)->path, ((const struct wt_entry *)b)->path);
}

/* Git's mode for a file on disk, for entries whose mode libgit2 did not give. */
static int disk_mode(const char *full, uint32_t *mode)
{
	struct stat st;
	if (lstat(full, &st) < 0)
		return -1;
	if (S_ISLNK(st.st_mode))
		*mode = GIT_FILEMODE_LINK;
	else if (S_ISREG(st.st_mode))
		*mode = (st.st_mode & S_IXUSR) ? GIT_FILEMODE_BLOB_EXECUTABLE : GIT_FILEMODE_BLOB;
	else
		return -1;
	return 0;
}

/* Path has a component named .git: never part of a tree, never copied. */
static int has_dotgit(const char *path)
{
	for (const char *p = path; p; p = strchr(p, '/')) {
		if (*p == '/')
			p++;
		if (!strncmp(p, ".git", 4) && (p[4] == '/' || p[4] == '\0'))
			return 1;
	}
	return 0;
}

/* The files `git add -A` would stage: tracked files as they are on disk (deleted ones left
 * out) and untracked files that are not ignored. Unmodified files keep the index's id; the
 * others are hashed later, from disk. Reads the index and the working tree, writes nothing
 * (no GIT_STATUS_OPT_UPDATE_INDEX). */
static int worktree_entries(struct bg_repo *repo, struct wt_list *out)
{
	memset(out, 0, sizeof(*out));
	git_status_options so;
	git_status_options_init(&so, GIT_STATUS_OPTIONS_VERSION);
	so.show = GIT_STATUS_SHOW_WORKDIR_ONLY;
	so.flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED | GIT_STATUS_OPT_RECURSE_UNTRACKED_DIRS |
		   GIT_STATUS_OPT_INCLUDE_UNMODIFIED | GIT_STATUS_OPT_SORT_CASE_SENSITIVELY;
	git_status_list *st = NULL;
	struct bg_buf full = BG_BUF_INIT;
	int rc = 0;
	if (git_status_list_new(&st, repo->git, &so) < 0) {
		rc = bg_error_set(BG_EINFRA, "cannot read the status of the working tree '%s': %s",
				  repo->workdir, bg_git_msg());
		goto done;
	}
	size_t count = git_status_list_entrycount(st);
	for (size_t i = 0; i < count; i++) {
		const git_status_entry *se = git_status_byindex(st, i);
		const git_diff_delta *d = se ? se->index_to_workdir : NULL;
		/* no workdir side: removed from the index and absent from disk */
		if (!d || d->status == GIT_DELTA_DELETED || d->status == GIT_DELTA_IGNORED)
			continue;
		const char *path = d->new_file.path ? d->new_file.path : d->old_file.path;
		size_t plen = path ? strlen(path) : 0;
		/* an untracked directory listed whole is a nested repository: git add -A would
		 * not take its files either */
		if (!plen || path[plen - 1] == '/' || has_dotgit(path))
			continue;
		/* bitgate's own state (build cache, database) is never part of a subject, even
		 * where the repository does not ignore it */
		if (d->status == GIT_DELTA_UNTRACKED && !strncmp(path, ".bitgate/", 9))
			continue;
		uint32_t mode = d->new_file.mode ? d->new_file.mode : d->old_file.mode;
		if (mode == GIT_FILEMODE_COMMIT) {
			const git_oid *id = !git_oid_is_zero(&d->new_file.id) ? &d->new_file.id
									      : &d->old_file.id;
			if ((rc = wt_push(out, path, mode, id)) < 0)
				goto done;
			continue;
		}
		if (d->status == GIT_DELTA_UNMODIFIED) {
			if ((rc = wt_push(out, path, d->old_file.mode, &d->old_file.id)) < 0)
				goto done;
			continue;
		}
		if ((rc = bg_path_join(&full, repo->workdir, path)) < 0)
			goto done;
		uint32_t dmode;
		if (disk_mode(full.ptr, &dmode) < 0)
			continue; /* gone (or not a file) since the status was taken */
		if (mode != GIT_FILEMODE_BLOB && mode != GIT_FILEMODE_BLOB_EXECUTABLE &&
		    mode != GIT_FILEMODE_LINK)
			mode = dmode;
		if ((rc = wt_push(out, path, mode, NULL)) < 0)
			goto done;
	}
	if (out->n) /* qsort wants an array, even of nothing */
		qsort(out->v, out->n, sizeof(*out->v), wt_entry_cmp);
done:
	git_status_list_free(st);
	bg_buf_free(&full);
	if (rc < 0)
		wt_list_free(out);
	return rc;
}

/* The blob id `git add` would give the file: links hash their target, files go through the
 * repository's filters (line endings and the like) as git add does. Nothing is written. */
static int hash_entry(struct bg_repo *repo, struct wt_entry *e)
{
	struct bg_buf full = BG_BUF_INIT, link = BG_BUF_INIT;
	int rc = bg_path_join(&full, repo->workdir, e->path);
	if (rc < 0)
		goto done;
	if (e->mode == GIT_FILEMODE_LINK) {
		if ((rc = bg_fs_readlink(&link, full.ptr)) < 0)
			goto done;
		if (git_odb_hash(&e->id, link.ptr ? link.ptr : "", link.len, GIT_OBJECT_BLOB) < 0) {
			rc = bg_error_set(BG_EINFRA, "cannot hash %s: %s", full.ptr, bg_git_msg());
			goto done;
		}
	} else if (git_repository_hashfile(&e->id, repo->git, full.ptr, GIT_OBJECT_BLOB, e->path) <
		   0) {
		rc = bg_error_set(BG_EINFRA, "cannot hash %s: %s", full.ptr, bg_git_msg());
		goto done;
	}
	e->has_id = 1;
done:
	bg_buf_free(&full);
	bg_buf_free(&link);
	return rc;
}

/* Hashes the tree of entries [lo, hi), which all start with the same plen-byte directory
 * prefix. The tree object is serialised here and only hashed: building it with a treebuilder
 * would go through an object database, and writing an object that already exists freshens
 * (touches) the user's loose object file. */
static int hash_tree(struct wt_entry *e, size_t lo, size_t hi, size_t plen, git_oid *out)
{
	struct bg_buf body = BG_BUF_INIT;
	int rc = 0;
	size_t i = lo;
	while (i < hi) {
		const char *name = e[i].path + plen;
		const char *slash = strchr(name, '/');
		const git_oid *id;
		git_oid sub;
		uint32_t mode;
		size_t nlen;
		if (!slash) {
			nlen = strlen(name);
			mode = e[i].mode;
			id = &e[i].id;
			i++;
		} else {
			nlen = (size_t)(slash - name);
			size_t j = i + 1;
			while (j < hi && !strncmp(e[j].path + plen, name, nlen + 1))
				j++;
			if ((rc = hash_tree(e, i, j, plen + nlen + 1, &sub)) < 0)
				goto done;
			mode = GIT_FILEMODE_TREE;
			id = &sub;
			i = j;
		}
		if ((rc = bg_buf_printf(&body, "%o ", (unsigned)mode)) < 0 ||
		    (rc = bg_buf_put(&body, name, nlen)) < 0 ||
		    (rc = bg_buf_putc(&body, '\0')) < 0 ||
		    (rc = bg_buf_put(&body, id->id, GIT_OID_RAWSZ)) < 0)
			goto done;
	}
	if (git_odb_hash(out, body.ptr ? body.ptr : "", body.len, GIT_OBJECT_TREE) < 0)
		rc = bg_error_set(BG_EINFRA, "cannot hash a tree: %s", bg_git_msg());
done:
	bg_buf_free(&body);
	return rc;
}

static int worktree_tree_id(struct bg_repo *repo, git_oid *out)
{
	struct wt_list l;
	int rc = worktree_entries(repo, &l);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < l.n && rc == 0; i++)
		if (!l.v[i].has_id)
			rc = hash_entry(repo, &l.v[i]);
	if (rc == 0)
		rc = hash_tree(l.v, 0, l.n, 0, out);
	wt_list_free(&l);
	return rc;
}

int bg_git_worktree_resolve(struct bg_repo *repo, struct bg_commit *out)
{
	git_commit *head = NULL;
	git_signature *me = NULL;
	int rc;
	int unborn = git_repository_head_unborn(repo->git);
	if (unborn == 1)
		return bg_error_set(BG_ENOTFOUND,
				    "WORKTREE: HEAD of '%s' has no commit yet; commit once first",
				    repo->workdir);
	if (unborn < 0)
		return bg_error_set(BG_EINFRA, "WORKTREE: cannot read HEAD of '%s': %s",
				    repo->workdir, bg_git_msg());
	if ((rc = bg_git_lookup_commit(&head, repo, "HEAD")) < 0)
		return bg_error_wrap("WORKTREE");
	if ((rc = bg_git_commit_fill(out, head)) < 0)
		goto done;
	git_oid tree;
	if ((rc = worktree_tree_id(repo, &tree)) < 0)
		goto done;
	git_oid_tostr(out->tree, sizeof(out->tree), &tree);
	memcpy(out->parent, out->sha, sizeof(out->parent));
	free(out->subject);
	struct bg_buf b = BG_BUF_INIT;
	if ((rc = bg_buf_printf(&b, "working tree (on %.7s)", out->sha)) < 0 ||
	    !(out->subject = bg_buf_detach(&b))) {
		out->subject = NULL;
		bg_buf_free(&b);
		rc = bg_error_oom();
		goto done;
	}
	/* the person who would commit it; HEAD's author when no identity is configured */
	if (git_signature_default(&me, repo->git) == 0) {
		free(out->author);
		out->author = NULL;
		if ((rc = bg_git_format_author(&out->author, me)) < 0)
			goto done;
	} else {
		git_error_clear();
	}
	out->time = bg_unix_time();
	out->worktree = 1;
done:
	git_signature_free(me);
	git_commit_free(head);
	if (rc < 0)
		bg_commit_clear(out);
	return rc;
}

/* The working tree's files, as they are on disk, copied into dir. Paths come from the
 * user's own working tree, but that may hold a checkout of anyone's commit: every file and
 * link is made relative to dir, and nothing is written through a link (bg_fs_*_below). */
int bg_git_worktree_materialise(struct bg_repo *repo, const char *dir)
{
	struct wt_list l;
	struct bg_buf src = BG_BUF_INIT, link = BG_BUF_INIT;
	int rc = worktree_entries(repo, &l);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < l.n && rc == 0; i++) {
		const struct wt_entry *e = &l.v[i];
		if (e->mode == GIT_FILEMODE_COMMIT) {
			/* a submodule: an empty directory, as git checkout leaves it */
			rc = bg_fs_mkdirs_below(dir, e->path);
			continue;
		}
		if ((rc = bg_path_join(&src, repo->workdir, e->path)) < 0)
			break;
		if (e->mode == GIT_FILEMODE_LINK) {
			if ((rc = bg_fs_readlink(&link, src.ptr)) == 0)
				rc = bg_fs_symlink_below(bg_buf_cstr(&link), dir, e->path);
			continue;
		}
		mode_t m = e->mode == GIT_FILEMODE_BLOB_EXECUTABLE ? 0755 : 0644;
		rc = bg_fs_copy_below(src.ptr, dir, e->path, m);
	}
	wt_list_free(&l);
	bg_buf_free(&src);
	bg_buf_free(&link);
	return rc;
}
