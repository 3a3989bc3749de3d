/* Commits through libgit2: resolving revspecs and ranges, merge-bases, and materialising a
 * commit's tree (or the working tree with its uncommitted changes) into a directory of its
 * own, without touching the user's working tree, index or HEAD. */
#ifndef BG_GIT_H
#define BG_GIT_H

#include <stddef.h>
#include <stdint.h>

struct bg_repo;

/* The special revision naming the working tree with uncommitted changes. */
#define BG_WORKTREE "WORKTREE"

/* Opens the repository containing path (searching upwards; NULL: the current directory).
 * BG_ENOTFOUND naming path when there is none. */
int bg_repo_open(struct bg_repo **out, const char *path);
void bg_repo_free(struct bg_repo *repo);

/* The working directory, absolute, without a trailing slash. Borrowed. */
const char *bg_repo_workdir(const struct bg_repo *repo);

/* A commit as bitgate uses it. */
struct bg_commit {
	char sha[41];    /* the commit; for WORKTREE, HEAD's commit */
	char tree[41];   /* its tree; for WORKTREE, the id of the tree the working tree would
			    make (tracked and untracked files not ignored), computed in memory */
	char parent[41]; /* first parent, "" for a root commit */
	char *subject;   /* first line of the message; for WORKTREE "working tree (on <short>)" */
	char *author;    /* "Name <email>" */
	int64_t time;    /* committer time (WORKTREE: now) */
	int worktree;    /* 1 for WORKTREE */
};

void bg_commit_clear(struct bg_commit *c);

/* Resolves a revspec (branch, tag, SHA or prefix, HEAD~3, origin/main, WORKTREE) to one
 * commit. BG_ENOTFOUND with the name when it does not resolve; BG_EINPUT for a range. */
int bg_git_resolve(struct bg_repo *repo, const char *spec, struct bg_commit *out);

/* The commits of A..B (reachable from B, not from A), oldest first; first_parent follows
 * only first parents (like git rev-list --first-parent). A NULL or empty: every commit
 * reachable from B. */
int bg_git_range(struct bg_repo *repo, const char *a, const char *b, int first_parent,
		 struct bg_commit **out, size_t *n);

/* Expands command-line revisions: each argument is a revspec or a range "A..B"; the result
 * keeps argument order (ranges oldest first) and drops repeats. */
int bg_git_expand(struct bg_repo *repo, char *const *args, size_t nargs, int first_parent,
		  struct bg_commit **out, size_t *n);

void bg_commit_list_free(struct bg_commit *v, size_t n);

/* The index of the commit with full SHA sha in v[0..n), or -1 (also for a NULL sha). */
ptrdiff_t bg_commit_index(const struct bg_commit *v, size_t n, const char *sha);

/* The merge-base of two revisions. BG_ENOTFOUND when they share no history. */
int bg_git_merge_base(struct bg_repo *repo, const char *a, const char *b, struct bg_commit *out);

/* Reads the file at path (relative to the repository root, e.g. "bitgate.json") as it is in
 * c: from the commit's tree, or from disk for WORKTREE; appended to out (a struct bg_buf *).
 * BG_ENOTFOUND when c has no such file, BG_EINPUT when it is larger than max_bytes (its
 * size checked before it is read). */
struct bg_buf;
int bg_git_read_file(struct bg_repo *repo, const struct bg_commit *c, const char *path,
		     size_t max_bytes, struct bg_buf *out);

/* 1 when c's tree (not a WORKTREE: its files on disk) has a file (a blob) at path, 0 when
 * not, <0 on a git error; reads no blob. */
int bg_git_has_file(struct bg_repo *repo, const struct bg_commit *c, const char *path);

/* Writes the files of c (a commit's tree, or for WORKTREE the working tree's tracked and
 * untracked-not-ignored files as they are on disk) into dir, which must not exist or be
 * empty; creates it. Executable bits and symbolic links are kept; submodules are skipped.
 * Nothing is written outside dir, whoever made the commit: a tree with an entry named "",
 * ".", "..", holding a '/', named .git (any case, any depth) or named twice is refused
 * before anything is written (BG_EINPUT naming the commit and the path), and no file is
 * written through a symbolic link. Links are written as links, their targets unchecked:
 * what the subject's own build does with them is not bitgate's to police. */
int bg_git_materialise(struct bg_repo *repo, const struct bg_commit *c, const char *dir);

#endif
