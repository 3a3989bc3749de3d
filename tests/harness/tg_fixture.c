/* Throwaway git repositories for tests, made with libgit2 alone so the tests need no git
 * executable. Commit times are fixed and increase by a minute per commit, so histories are
 * the same on every run. */
#include "tg_fixture.h"

#include <git2.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bg_buf.h"
#include "bg_error.h"
#include "bg_fs.h"

static pthread_once_t lib_once = PTHREAD_ONCE_INIT;
static int64_t next_time = 1700000000; /* commit time of the next commit */

static void lib_init_once(void)
{
	git_libgit2_init();
}

static int fail_git(const char *what, const char *on)
{
	const git_error *e = git_error_last();
	fprintf(stderr, "tg_fixture: %s %s: %s\n", what, on ? on : "",
		e && e->message ? e->message : "unknown libgit2 error");
	return -1;
}

static int fail_bg(const char *what, const char *on)
{
	fprintf(stderr, "tg_fixture: %s %s: %s\n", what, on ? on : "", bg_error_last());
	return -1;
}

static int open_repo(git_repository **out, const char *dir)
{
	pthread_once(&lib_once, lib_init_once);
	if (git_repository_open_ext(out, dir, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) < 0)
		return fail_git("open repository", dir);
	return 0;
}

int tg_tmpdir(char *out, size_t size, const char *tag)
{
	const char *base = getenv("TMPDIR");
	if (!base || !*base)
		base = "/tmp";
	char tmpl[PATH_MAX];
	int n = snprintf(tmpl, sizeof(tmpl), "%s/bitgate-%s-XXXXXX", base, tag ? tag : "test");
	if (n < 0 || (size_t)n >= sizeof(tmpl)) {
		fprintf(stderr, "tg_fixture: temporary directory name too long under %s\n", base);
		return -1;
	}
	if (!mkdtemp(tmpl)) {
		perror("tg_fixture: mkdtemp");
		return -1;
	}
	/* the symlink-free form, which is what libgit2 reports as the working directory */
	char *real = bg_fs_realpath(tmpl);
	const char *use = real ? real : tmpl;
	if (strlen(use) + 1 > size) {
		fprintf(stderr, "tg_fixture: %s does not fit in %zu bytes\n", use, size);
		rmdir(tmpl);
		free(real);
		return -1;
	}
	memcpy(out, use, strlen(use) + 1);
	free(real);
	return 0;
}

int tg_repo_init(const char *dir)
{
	pthread_once(&lib_once, lib_init_once);
	git_repository *repo = NULL;
	git_repository_init_options opts;
	git_repository_init_options_init(&opts, GIT_REPOSITORY_INIT_OPTIONS_VERSION);
	opts.flags = GIT_REPOSITORY_INIT_MKPATH;
	opts.initial_head = "main";
	if (git_repository_init_ext(&repo, dir, &opts) < 0)
		return fail_git("git init", dir);
	git_repository_free(repo);
	return 0;
}

int tg_write(const char *dir, const char *rel, const char *content)
{
	struct bg_buf path = BG_BUF_INIT;
	int rc = -1;
	if (bg_path_join(&path, dir, rel) < 0)
		goto done;
	char *slash = strrchr(path.ptr, '/');
	if (slash && slash != path.ptr) {
		*slash = '\0';
		int mk = bg_fs_mkdirs(path.ptr);
		*slash = '/';
		if (mk < 0) {
			fail_bg("mkdir for", path.ptr);
			goto done;
		}
	}
	if (bg_fs_write(path.ptr, content, strlen(content)) < 0) {
		fail_bg("write", path.ptr);
		goto done;
	}
	rc = 0;
done:
	bg_buf_free(&path);
	return rc;
}

int tg_chmod_x(const char *dir, const char *rel)
{
	struct bg_buf path = BG_BUF_INIT;
	int rc = -1;
	if (bg_path_join(&path, dir, rel) < 0)
		goto done;
	if (chmod(path.ptr, 0755) < 0) {
		perror(path.ptr);
		goto done;
	}
	rc = 0;
done:
	bg_buf_free(&path);
	return rc;
}

int tg_remove(const char *dir, const char *rel)
{
	struct bg_buf path = BG_BUF_INIT;
	int rc = -1;
	if (bg_path_join(&path, dir, rel) < 0)
		goto done;
	if (bg_fs_rmtree(path.ptr) < 0) {
		fail_bg("remove", path.ptr);
		goto done;
	}
	rc = 0;
done:
	bg_buf_free(&path);
	return rc;
}

/* git add -A, then a commit on HEAD with parents HEAD (when born) and other (when given). */
static int commit_all(const char *dir, const char *message, const char *other_sha, char *sha)
{
	git_repository *repo = NULL;
	git_index *index = NULL;
	git_tree *tree = NULL;
	git_signature *sig = NULL;
	git_commit *parents[2] = {NULL, NULL};
	size_t nparents = 0;
	git_oid tree_id, head_id, other_id, id;
	int rc = -1;
	if (open_repo(&repo, dir) < 0)
		return -1;
	if (git_repository_index(&index, repo) < 0 ||
	    git_index_add_all(index, NULL, GIT_INDEX_ADD_DEFAULT, NULL, NULL) < 0 ||
	    git_index_update_all(index, NULL, NULL, NULL) < 0 || git_index_write(index) < 0 ||
	    git_index_write_tree(&tree_id, index) < 0 ||
	    git_tree_lookup(&tree, repo, &tree_id) < 0) {
		fail_git("stage all in", dir);
		goto done;
	}
	int e = git_reference_name_to_id(&head_id, repo, "HEAD");
	if (e == 0) {
		if (git_commit_lookup(&parents[nparents++], repo, &head_id) < 0) {
			fail_git("read HEAD of", dir);
			goto done;
		}
	} else if (e != GIT_ENOTFOUND) {
		fail_git("read HEAD of", dir);
		goto done;
	}
	git_error_clear();
	if (other_sha) {
		if (git_oid_fromstr(&other_id, other_sha) < 0 ||
		    git_commit_lookup(&parents[nparents++], repo, &other_id) < 0) {
			fail_git("merge parent", other_sha);
			goto done;
		}
	}
	if (git_signature_new(&sig, "Test", "test@example.com", (git_time_t)next_time, 0) < 0) {
		fail_git("signature for", dir);
		goto done;
	}
	next_time += 60;
	if (git_commit_create(&id, repo, "HEAD", sig, sig, NULL, message, tree, nparents,
			      (const git_commit **)parents) < 0) {
		fail_git("commit in", dir);
		goto done;
	}
	if (sha)
		git_oid_tostr(sha, 41, &id);
	rc = 0;
done:
	for (size_t i = 0; i < 2; i++)
		git_commit_free(parents[i]);
	git_signature_free(sig);
	git_tree_free(tree);
	git_index_free(index);
	git_repository_free(repo);
	return rc;
}

int tg_commit(const char *dir, const char *message, char *sha)
{
	return commit_all(dir, message, NULL, sha);
}

int tg_merge_commit(const char *dir, const char *other_sha, const char *message, char *sha)
{
	if (!other_sha) {
		fprintf(stderr, "tg_fixture: merge commit in %s without a second parent\n", dir);
		return -1;
	}
	return commit_all(dir, message, other_sha, sha);
}

static int lookup_sha(git_object **out, git_repository *repo, const char *sha, git_object_t type)
{
	git_oid id;
	if (git_oid_fromstr(&id, sha) < 0 || git_object_lookup(out, repo, &id, type) < 0)
		return fail_git("look up", sha);
	return 0;
}

int tg_tag(const char *dir, const char *name, const char *sha)
{
	git_repository *repo = NULL;
	git_object *target = NULL;
	git_oid id;
	int rc = -1;
	if (open_repo(&repo, dir) < 0)
		return -1;
	if (lookup_sha(&target, repo, sha, GIT_OBJECT_ANY) < 0)
		goto done;
	if (git_tag_create_lightweight(&id, repo, name, target, 0) < 0) {
		fail_git("tag", name);
		goto done;
	}
	rc = 0;
done:
	git_object_free(target);
	git_repository_free(repo);
	return rc;
}

int tg_branch(const char *dir, const char *name, const char *sha)
{
	git_repository *repo = NULL;
	git_object *target = NULL;
	git_reference *ref = NULL;
	int rc = -1;
	if (open_repo(&repo, dir) < 0)
		return -1;
	if (lookup_sha(&target, repo, sha, GIT_OBJECT_COMMIT) < 0)
		goto done;
	if (git_branch_create(&ref, repo, name, (const git_commit *)target, 0) < 0) {
		fail_git("branch", name);
		goto done;
	}
	rc = 0;
done:
	git_reference_free(ref);
	git_object_free(target);
	git_repository_free(repo);
	return rc;
}

/* The entry's object: its id, or its content written as a blob. */
static int raw_entry_id(git_repository *repo, const struct tg_raw_entry *e, git_oid *id)
{
	if (e->id)
		return git_oid_fromstr(id, e->id) < 0 ? fail_git("object id", e->id) : 0;
	const char *s = e->content ? e->content : "";
	if (git_blob_create_from_buffer(id, repo, s, strlen(s)) < 0)
		return fail_git("blob for", e->name);
	return 0;
}

/* Writes body as a raw object of type into repo's object database, unchecked by libgit2's
 * builders; its id in hex (41 bytes). */
static int write_raw(git_repository *repo, const char *dir, const struct bg_buf *body,
		     git_object_t type, const char *what, char *hex)
{
	git_odb *odb = NULL;
	git_oid id;
	int rc = -1;
	if (git_repository_odb(&odb, repo) < 0 ||
	    git_odb_write(&id, odb, body->ptr ? body->ptr : "", body->len, type) < 0) {
		fail_git(what, dir);
	} else {
		git_oid_tostr(hex, 41, &id);
		rc = 0;
	}
	git_odb_free(odb);
	return rc;
}

int tg_raw_tree(const char *dir, const struct tg_raw_entry *e, size_t n, char *tree)
{
	git_repository *repo = NULL;
	struct bg_buf body = BG_BUF_INIT;
	git_oid id;
	int rc = -1;
	if (open_repo(&repo, dir) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (raw_entry_id(repo, &e[i], &id) < 0)
			goto done;
		/* "<octal mode> <name>\0<20 raw bytes>", as git serialises a tree */
		if (bg_buf_printf(&body, "%o %s", e[i].mode, e[i].name) < 0 ||
		    bg_buf_putc(&body, '\0') < 0 || bg_buf_put(&body, id.id, GIT_OID_RAWSZ) < 0)
			goto done;
	}
	rc = write_raw(repo, dir, &body, GIT_OBJECT_TREE, "write a raw tree in", tree);
done:
	bg_buf_free(&body);
	git_repository_free(repo);
	return rc;
}

int tg_raw_commit(const char *dir, const char *tree, const char *message, char *sha)
{
	git_repository *repo = NULL;
	struct bg_buf body = BG_BUF_INIT;
	git_oid head;
	int rc = -1;
	if (open_repo(&repo, dir) < 0)
		return -1;
	const char *who = "Test <test@example.com>";
	int e = bg_buf_printf(&body, "tree %s\n", tree);
	if (e == 0 && git_reference_name_to_id(&head, repo, "HEAD") == 0) {
		char hex[41];
		e = bg_buf_printf(&body, "parent %s\n", git_oid_tostr(hex, sizeof(hex), &head));
	}
	git_error_clear();
	if (e < 0 ||
	    bg_buf_printf(&body, "author %s %lld +0000\ncommitter %s %lld +0000\n\n%s\n", who,
			  (long long)next_time, who, (long long)next_time, message) < 0)
		goto done;
	next_time += 60;
	rc = write_raw(repo, dir, &body, GIT_OBJECT_COMMIT, "write a raw commit in", sha);
done:
	bg_buf_free(&body);
	git_repository_free(repo);
	return rc;
}
