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

/* One entry of a raw tree (tg_raw_tree): written byte for byte, so it may be what git
 * itself would never make (a name "..", ".git", "a/b" or "", a name given twice). */
struct tg_raw_entry {
	const char *name;    /* the entry's name, as is */
	unsigned mode;       /* 0100644, 0100755, 0120000 (link), 040000 (tree), 0160000 */
	const char *id;      /* 40 hex digits: the object, or NULL to write content as a blob */
	const char *content; /* the blob (a link's target) when id is NULL */
};

/* Writes a tree object with exactly entries e[0..n), in the order given, unchecked and
 * unsorted; tree (41 bytes) receives its id. */
int tg_raw_tree(const char *dir, const struct tg_raw_entry *e, size_t n, char *tree);

/* Writes a commit of tree (a 40-hex id) whose parent is HEAD (when born) as a raw object,
 * so libgit2 never parses the tree; moves no reference. sha (41 bytes) receives its id. */
int tg_raw_commit(const char *dir, const char *tree, const char *message, char *sha);

#endif
