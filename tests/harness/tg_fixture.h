/* Throwaway git repositories for tests, made with libgit2 (no git executable needed). All
 * functions return 0 or -1 and print what failed to stderr. */
#ifndef TG_FIXTURE_H
#define TG_FIXTURE_H

#include <stddef.h>

/* Makes a fresh empty directory under $TMPDIR (or /tmp) named bitgate-<tag>-XXXXXX. */
int tg_tmpdir(char *out, size_t size, const char *tag);

/* git init dir (created if needed) with HEAD on branch "main". */
int tg_repo_init(const char *dir);

/* Writes content to dir/rel, creating parent directories. */
int tg_write(const char *dir, const char *rel, const char *content);

/* Marks dir/rel executable (0755). */
int tg_chmod_x(const char *dir, const char *rel);

/* Removes dir/rel. */
int tg_remove(const char *dir, const char *rel);

/* Stages everything (new, changed and deleted files, like git add -A, honouring
 * .gitignore) and commits on HEAD with author "Test <test@example.com>" at a fixed,
 * increasing time; sha (41 bytes) receives the new commit's id. */
int tg_commit(const char *dir, const char *message, char *sha);

/* Creates a lightweight tag or a branch pointing at sha. */
int tg_tag(const char *dir, const char *name, const char *sha);
int tg_branch(const char *dir, const char *name, const char *sha);

/* Makes a merge commit on HEAD with parents HEAD and other (the tree of the index as
 * staged by tg_commit's rules). */
int tg_merge_commit(const char *dir, const char *other_sha, const char *message, char *sha);

#endif
