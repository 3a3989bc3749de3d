/* Private to git_repo.c (the repository and its commits), git_worktree.c (the working tree
 * as a tree, over git_repo.c) and git.c (revisions, ranges and trees, over both). */
#ifndef BG_GIT_INT_H
#define BG_GIT_INT_H

#include <git2.h>

#include "bg_git.h"

struct bg_repo {
	git_repository *git; /* the user's repository, opened once */
	char *workdir;       /* absolute, no trailing slash */
};

/* libgit2's own message for the last failure, for the tail of ours (git_repo.c). */
const char *bg_git_msg(void);

/* "Name <email>" of a signature (either may be missing). */
int bg_git_format_author(char **out, const git_signature *sig);

/* A bg_commit from a libgit2 commit: ids, subject line, author, time. */
int bg_git_commit_fill(struct bg_commit *out, const git_commit *c);

/* Revparse + peel to a commit, with errors that name the spec. WORKTREE and ranges are the
 * callers' business. */
int bg_git_lookup_commit(git_commit **out, struct bg_repo *repo, const char *spec);

/* WORKTREE: HEAD's commit with the working tree's tree id (git_worktree.c). */
int bg_git_worktree_resolve(struct bg_repo *repo, struct bg_commit *out);

/* The working tree's files as they are on disk, copied into dir (git_worktree.c). */
int bg_git_worktree_materialise(struct bg_repo *repo, const char *dir);

#endif
