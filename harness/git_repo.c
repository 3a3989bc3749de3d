/* The repository and its commits through libgit2: opening the user's repository (never
 * written to), libgit2's own messages, and a commit looked up by revision and filled into a
 * bg_commit. What git.c (revisions, ranges, trees) and git_worktree.c (the working tree) are
 * built on. */
#include "bg_git.h"
#include "git_int.h"

#include <git2.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bg_buf.h"
#include "bg_error.h"

static pthread_once_t lib_once = PTHREAD_ONCE_INIT;
static int lib_status;

static void lib_init_once(void)
{
	lib_status = git_libgit2_init();
}

static int lib_init(void)
{
	pthread_once(&lib_once, lib_init_once);
	if (lib_status < 0)
		return bg_error_set(BG_EINFRA, "cannot initialise libgit2");
	return 0;
}

/* libgit2's own message for the last failure, for the tail of ours. */
const char *bg_git_msg(void)
{
	const git_error *e = git_error_last();
	return e && e->message ? e->message : "unknown libgit2 error";
}

int bg_repo_open(struct bg_repo **out, const char *path)
{
	*out = NULL;
	int rc = lib_init();
	if (rc < 0)
		return rc;
	char cwd[4096];
	const char *shown = path;
	if (!shown)
		shown = getcwd(cwd, sizeof(cwd)) ? cwd : ".";
	git_repository *g = NULL;
	int e = git_repository_open_ext(&g, path ? path : ".", 0, NULL);
	if (e == GIT_ENOTFOUND)
		return bg_error_set(BG_ENOTFOUND, "no git repository at or above '%s'", shown);
	if (e < 0)
		return bg_error_set(BG_EINFRA, "cannot open the git repository at '%s': %s", shown,
				    bg_git_msg());
	if (git_repository_is_bare(g)) {
		rc = bg_error_set(
			BG_EINPUT,
			"'%s' is a bare repository; bitgate needs one with a working tree",
			git_repository_path(g));
		git_repository_free(g);
		return rc;
	}
	struct bg_repo *r = calloc(1, sizeof(*r));
	char *wd = bg_strdup(git_repository_workdir(g));
	if (!r || !wd) {
		free(r);
		free(wd);
		git_repository_free(g);
		return bg_error_oom();
	}
	size_t n = strlen(wd);
	while (n > 1 && wd[n - 1] == '/')
		wd[--n] = '\0';
	r->git = g;
	r->workdir = wd;
	*out = r;
	return 0;
}

void bg_repo_free(struct bg_repo *repo)
{
	if (!repo)
		return;
	git_repository_free(repo->git);
	free(repo->workdir);
	free(repo);
}

const char *bg_repo_workdir(const struct bg_repo *repo)
{
	return repo->workdir;
}

void bg_commit_clear(struct bg_commit *c)
{
	if (!c)
		return;
	free(c->subject);
	free(c->author);
	memset(c, 0, sizeof(*c));
}

void bg_commit_list_free(struct bg_commit *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		bg_commit_clear(&v[i]);
	free(v);
}

ptrdiff_t bg_commit_index(const struct bg_commit *v, size_t n, const char *sha)
{
	for (size_t i = 0; sha && i < n; i++)
		if (!strcmp(v[i].sha, sha))
			return (ptrdiff_t)i;
	return -1;
}

int bg_git_format_author(char **out, const git_signature *sig)
{
	struct bg_buf b = BG_BUF_INIT;
	if (bg_buf_printf(&b, "%s <%s>", sig && sig->name ? sig->name : "",
			  sig && sig->email ? sig->email : "") < 0)
		return BG_ENOMEM;
	*out = bg_buf_detach(&b);
	return *out ? 0 : bg_error_oom();
}

int bg_git_commit_fill(struct bg_commit *out, const git_commit *c)
{
	memset(out, 0, sizeof(*out));
	git_oid_tostr(out->sha, sizeof(out->sha), git_commit_id(c));
	git_oid_tostr(out->tree, sizeof(out->tree), git_commit_tree_id(c));
	if (git_commit_parentcount(c) > 0)
		git_oid_tostr(out->parent, sizeof(out->parent), git_commit_parent_id(c, 0));
	const char *msg = git_commit_message(c);
	if (!msg)
		msg = "";
	size_t len = strcspn(msg, "\n");
	if (len && msg[len - 1] == '\r')
		len--;
	struct bg_buf b = BG_BUF_INIT;
	if (bg_buf_put(&b, msg, len) < 0 || !(out->subject = bg_buf_detach(&b))) {
		bg_buf_free(&b);
		return bg_error_oom();
	}
	int rc = bg_git_format_author(&out->author, git_commit_author(c));
	if (rc < 0) {
		bg_commit_clear(out);
		return rc;
	}
	out->time = (int64_t)git_commit_time(c);
	return 0;
}

/* Revparse + peel to a commit, with errors that name the spec. WORKTREE and ranges are the
 * callers' business. */
int bg_git_lookup_commit(git_commit **out, struct bg_repo *repo, const char *spec)
{
	*out = NULL;
	if (!spec || !*spec)
		return bg_error_set(BG_EINPUT, "empty revision");
	if (strstr(spec, ".."))
		return bg_error_set(BG_EINPUT, "'%s' is a range; one revision is needed here",
				    spec);
	git_object *obj = NULL, *peeled = NULL;
	int e = git_revparse_single(&obj, repo->git, spec);
	if (e == GIT_ENOTFOUND)
		return bg_error_set(BG_ENOTFOUND, "unknown revision '%s'", spec);
	if (e == GIT_EAMBIGUOUS)
		return bg_error_set(
			BG_EINPUT,
			"ambiguous revision '%s' (%s); give more of the SHA or the full "
			"ref name",
			spec, bg_git_msg());
	if (e < 0)
		return bg_error_set(BG_EINPUT, "invalid revision '%s': %s", spec, bg_git_msg());
	e = git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT);
	if (e < 0) {
		int rc = bg_error_set(BG_EINPUT, "revision '%s' names a %s, not a commit", spec,
				      git_object_type2string(git_object_type(obj)));
		git_object_free(obj);
		return rc;
	}
	git_object_free(obj);
	*out = (git_commit *)peeled;
	return 0;
}
