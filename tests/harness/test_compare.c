/* The comparison's phases (harness/compare_int.h) one at a time, without a build: resolving
 * the sides in a throwaway repository, the gates taken from the base, the engine options of
 * the strict side, the order of the interleaved rounds, pairing results into series, the
 * gates' input and the kernels a side names. */
#include <stdlib.h>
#include <string.h>

#include "bg_buf.h"
#include "bg_error.h"
#include "compare_int.h"
#include "tf.h"
#include "tg_fixture.h"

#define CFG(extra) "{\"version\": 1, \"bench\": {\"argv\": [\"b\"]}" extra "}"

/* A repository: m1 (threshold 0.07), then f1 on top (threshold 0.5, which must not loosen
 * its own gate; the default branch named "stable"). */
static void make_repo(char *dir, size_t size, char *m1, char *f1)
{
	TF_CHECK(tg_tmpdir(dir, size, "compare") == 0, "tg_tmpdir");
	TF_CHECK(tg_repo_init(dir) == 0, "tg_repo_init %s", dir);
	TF_CHECK(tg_write(dir, "bitgate.json",
			  CFG(", \"gates\": {\"rounds\": 3, \"perf\": {\"threshold\": 0.07}}")) ==
			 0,
		 "write");
	TF_CHECK(tg_commit(dir, "m1", m1) == 0, "commit m1");
	TF_CHECK(tg_write(dir, "bitgate.json",
			  CFG(", \"default_branch\": \"stable\", \"gates\": {\"rounds\": 3, "
			      "\"perf\": {\"threshold\": 0.5}}")) == 0,
		 "write");
	TF_CHECK(tg_commit(dir, "f1", f1) == 0, "commit f1");
}

static void open_app(struct bg_app *app, const char *dir)
{
	memset(app, 0, sizeof(*app));
	int rc = bg_repo_open(&app->repo, dir);
	TF_CHECK(rc == 0, "bg_repo_open %s: %s", dir, bg_error_last());
}

/* Starts c for o and resolves its sides, which must work. */
static void resolve_ok(struct bg_compare *c, struct bg_app *app, const struct bg_compare_opts *o)
{
	bg_compare_init(c, app, o);
	int rc = bg_compare_resolve(c);
	TF_CHECK(rc == 0, "resolve: %s", bg_error_last());
}

/* no --base: the merge-base of the head's default branch and the head */
TF_TEST(compare__resolve_default_base_is_merge_base)
{
	char dir[512], m1[41], f1[41];
	make_repo(dir, sizeof(dir), m1, f1);
	TF_CHECK(tg_branch(dir, "stable", m1) == 0, "branch stable");
	struct bg_app app;
	open_app(&app, dir);
	struct bg_compare_opts o = {.kind = "compare", .head_rev = f1};
	struct bg_compare c;
	resolve_ok(&c, &app, &o);
	TF_CHECK(!strcmp(c.head.sha, f1), "head %s", c.head.sha);
	TF_CHECK(!strcmp(c.base.sha, m1), "base %s, want %s", c.base.sha, m1);
	TF_CHECK(c.head_cfg && !strcmp(c.head_cfg->default_branch, "stable"), "head config");
	bg_compare_clear(&c);

	/* an explicit base wins over the default branch */
	o.base_rev = f1;
	resolve_ok(&c, &app, &o);
	TF_CHECK(!strcmp(c.base.sha, f1), "base %s", c.base.sha);
	bg_compare_clear(&c);
	bg_repo_free(app.repo);
}

/* a CI checkout has only origin/<default branch>: the base is found through it */
TF_TEST(compare__resolve_default_base_from_remote_branch)
{
	char dir[512], m1[41], f1[41], f2[41];
	make_repo(dir, sizeof(dir), m1, f1);
	TF_CHECK(tg_branch(dir, "origin/stable", m1) == 0, "branch origin/stable");
	struct bg_app app;
	open_app(&app, dir);
	struct bg_compare_opts o = {.kind = "compare", .head_rev = f1};
	struct bg_compare c;
	resolve_ok(&c, &app, &o);
	TF_CHECK(!strcmp(c.base.sha, m1), "base %s, want %s", c.base.sha, m1);
	bg_compare_clear(&c);

	/* no such branch at all: the error says to give --base */
	TF_CHECK(tg_write(dir, "bitgate.json", CFG(", \"default_branch\": \"nope\"")) == 0,
		 "write");
	TF_CHECK(tg_commit(dir, "f2", f2) == 0, "commit f2");
	o.head_rev = f2;
	bg_compare_init(&c, &app, &o);
	TF_CHECK(bg_compare_resolve(&c) < 0, "resolved a missing default branch");
	TF_CHECK(strstr(bg_error_last(), "give --base") != NULL, "message: %s", bg_error_last());
	bg_compare_clear(&c);
	bg_repo_free(app.repo);
}

/* A mode named name adding env ("K=V"), with filter (may be NULL), declared in g. */
static void add_mode(struct bg_gate_config *g, const char *name, const char *env,
		     const char *filter)
{
	struct bg_mode_config *v = realloc(g->modes, (g->n_modes + 1) * sizeof(*v));
	TF_CHECK(v, "out of memory");
	g->modes = v;
	struct bg_mode_config *m = &g->modes[g->n_modes++];
	memset(m, 0, sizeof(*m));
	m->name = bg_strdup(name);
	m->limit = 0.01;
	m->filter = filter ? bg_strdup(filter) : NULL;
	TF_CHECK(bg_strv_push(&m->env, &m->n_env, env) == 0, "out of memory");
}

/* Choosing the gates of base m (whose bitgate.json has gates) for o: 0 or the error. */
static int gates_of(struct bg_compare *c, struct bg_app *app, struct bg_compare_opts *o,
		    const char *dir, const char *gates, char *sha)
{
	TF_CHECK(tg_write(dir, "bitgate.json", gates) == 0, "write");
	TF_CHECK(tg_commit(dir, "gates", sha) == 0, "commit");
	o->base_rev = sha;
	resolve_ok(c, app, o);
	return bg_compare_choose_gates(c);
}

/* the gates come from the base's bitgate.json (opt-in modes only where it declares them);
 * --rounds and --modes override */
TF_TEST(compare__gates_from_the_base)
{
	char dir[512], m1[41], f1[41];
	make_repo(dir, sizeof(dir), m1, f1);
	struct bg_app app;
	open_app(&app, dir);
	struct bg_compare_opts o = {.kind = "compare", .base_rev = m1, .head_rev = f1};
	struct bg_compare c;
	resolve_ok(&c, &app, &o);
	TF_CHECK(bg_compare_choose_gates(&c) == 0, "gates: %s", bg_error_last());
	TF_CHECK(c.g.threshold == 0.07, "threshold %g, want the base's 0.07", c.g.threshold);
	TF_CHECK_EQ(c.rounds, 3);
	/* modes are opt-in: the base's bitgate.json declares none */
	TF_CHECK_EQ(c.g.n_modes, (size_t)0);
	TF_CHECK_EQ(c.n_sides, 2);
	bg_compare_clear(&c);

	/* a base that declares two: the head runs once more for each, in their order */
	char m2[41];
	const char *two = CFG(", \"gates\": {\"rounds\": 3, \"modes\": [{\"name\": \"strict\", "
			      "\"env\": {\"BITNET_STRICT_MODE\": \"1\"}}, {\"name\": \"trace\", "
			      "\"env\": {\"T\": \"1\"}}]}");
	TF_CHECK_EQ(gates_of(&c, &app, &o, dir, two, m2), 0);
	TF_CHECK_EQ(c.n_sides, 4);
	TF_CHECK(!strcmp(c.label[2], "head-strict") && !strcmp(c.label[3], "head-trace"),
		 "labels %s %s", c.label[2], c.label[3]);
	TF_CHECK(c.mode_side[0] == 2 && c.mode_side[1] == 3 && c.side_mode[3] == 1, "sides");
	bg_compare_clear(&c);

	/* --modes: some by name, none, or a name the base does not declare */
	o.modes = "trace";
	resolve_ok(&c, &app, &o);
	TF_CHECK_EQ(bg_compare_choose_gates(&c), 0);
	TF_CHECK(c.n_sides == 3 && c.mode_side[0] == -1 && c.mode_side[1] == 2 &&
			 !c.mode_in[0].requested && c.mode_in[1].requested,
		 "only trace");
	bg_compare_clear(&c);
	o.modes = "none";
	o.rounds = 7;
	resolve_ok(&c, &app, &o);
	TF_CHECK_EQ(bg_compare_choose_gates(&c), 0);
	TF_CHECK_EQ(c.rounds, 7);
	TF_CHECK(c.n_sides == 2 && c.g.n_modes == 2 && !c.mode_in[0].requested, "none");
	bg_compare_clear(&c);
	o.modes = "strict,nope";
	resolve_ok(&c, &app, &o);
	TF_CHECK_EQ(bg_compare_choose_gates(&c), BG_EINPUT);
	TF_CHECK(strstr(bg_error_last(), "--modes: 'nope' is not a mode"), "%s", bg_error_last());
	bg_compare_clear(&c);

	/* the older gates.strict still declares the mode strict */
	char m3[41];
	o.modes = NULL;
	TF_CHECK_EQ(gates_of(&c, &app, &o, dir,
			     CFG(", \"gates\": {\"rounds\": 3, \"strict\": {\"enabled\": true}}"),
			     m3),
		    0);
	TF_CHECK(c.n_sides == 3 && !strcmp(c.label[2], "head-strict"), "older strict");
	bg_compare_clear(&c);

	/* a base without a bitgate.json: the head's gates */
	char m0[41];
	TF_CHECK(tg_remove(dir, "bitgate.json") == 0, "remove");
	TF_CHECK(tg_commit(dir, "no config", m0) == 0, "commit");
	o.base_rev = m0;
	o.rounds = 0;
	resolve_ok(&c, &app, &o);
	TF_CHECK_EQ(bg_compare_choose_gates(&c), 0);
	TF_CHECK(c.g.threshold == 0.5, "threshold %g, want the head's 0.5", c.g.threshold);
	bg_compare_clear(&c);
	bg_repo_free(app.repo);
}

TF_TEST(compare__engine_opts_mode_sides)
{
	char *head_env[] = {"SLOW=1", NULL};
	struct bg_compare_opts o = {.kind = "ci",
				    .tests = 1,
				    .rebuild = 1,
				    .pin_cpu = 2,
				    .jobs = 3,
				    .filter = "mat",
				    .head_env = head_env};
	struct bg_compare c;
	bg_compare_init(&c, NULL, &o);
	c.rounds = 4;
	add_mode(&c.g, "strict", "BITNET_STRICT_MODE=1", "^matmul/");
	add_mode(&c.g, "trace", "TRACE=1", NULL);
	TF_CHECK_EQ(bg_compare_choose_modes(&c, NULL), 0);
	TF_CHECK_EQ(bg_compare_engine_opts(&c), 0);
	TF_CHECK_EQ(c.n_sides, 4);
	for (int s = 0; s < c.n_sides; s++) {
		TF_CHECK(!strcmp(c.eo[s].kind, "ci"), "kind %s", c.eo[s].kind);
		TF_CHECK_EQ(c.eo[s].repetitions, 4);
		TF_CHECK_EQ(c.eo[s].pin_cpu, 2);
		TF_CHECK_EQ(c.eo[s].jobs, 3);
		TF_CHECK(!strcmp(c.eo[s].filter, "mat"), "filter");
	}
	const int st = BG_CMP_MODE0, tr = BG_CMP_MODE0 + 1;
	TF_CHECK(!strcmp(c.eo[BG_CMP_BASE].label, "base") &&
			 !strcmp(c.eo[st].label, "head-strict") &&
			 !strcmp(c.eo[tr].label, "head-trace"),
		 "labels");
	TF_CHECK_EQ(c.eo[BG_CMP_HEAD].tests, 1);
	TF_CHECK(c.eo[st].tests == 0 && c.eo[tr].tests == 0, "a mode's side runs no tests");
	TF_CHECK_EQ(c.eo[BG_CMP_HEAD].rebuild, 1);
	TF_CHECK(c.eo[st].rebuild == 0 && c.eo[tr].rebuild == 0, "nor rebuilds");
	TF_CHECK(c.eo[BG_CMP_BASE].extra_env == NULL, "the base gets no head additions");
	TF_CHECK(c.eo[BG_CMP_HEAD].extra_env == head_env, "head env");
	char *const *e = c.eo[st].extra_env;
	TF_CHECK(e && e[0] && e[1] && !e[2], "strict env has two entries");
	TF_CHECK(!strcmp(e[0], "SLOW=1") && !strcmp(e[1], "BITNET_STRICT_MODE=1"),
		 "strict env %s %s", e[0], e[1]);
	e = c.eo[tr].extra_env;
	TF_CHECK(e && !strcmp(e[0], "SLOW=1") && !strcmp(e[1], "TRACE=1") && !e[2], "trace env");
	TF_CHECK(!strcmp(c.eo[st].mode, "strict") && !strcmp(c.eo[tr].mode, "trace"), "modes");
	TF_CHECK(!strcmp(c.eo[st].keep, "^matmul/") && c.eo[tr].keep == NULL, "keep");
	bg_compare_clear(&c);

	/* no head additions: the mode's alone; kinds other than ci run as local */
	o.kind = "compare";
	o.head_env = NULL;
	bg_compare_init(&c, NULL, &o);
	add_mode(&c.g, "strict", "BITNET_STRICT_MODE=1", NULL);
	TF_CHECK_EQ(bg_compare_choose_modes(&c, NULL), 0);
	TF_CHECK_EQ(bg_compare_engine_opts(&c), 0);
	e = c.eo[st].extra_env;
	TF_CHECK(e && !strcmp(e[0], "BITNET_STRICT_MODE=1") && !e[1], "strict env");
	TF_CHECK(!strcmp(c.eo[BG_CMP_HEAD].kind, "local"), "kind %s", c.eo[BG_CMP_HEAD].kind);
	bg_compare_clear(&c);
}

TF_TEST(compare__rounds_alternate_direction)
{
	/* base head mode, then mode head base */
	int want3[2][3] = {{0, 1, 2}, {2, 1, 0}};
	for (int r = 0; r < 4; r++)
		for (int k = 0; k < 3; k++)
			TF_CHECK_EQ(bg_compare_round_side(r, k, 3), want3[r % 2][k]);
	/* without a mode: A B B A */
	TF_CHECK_EQ(bg_compare_round_side(0, 0, 2), 0);
	TF_CHECK_EQ(bg_compare_round_side(1, 0, 2), 1);
	TF_CHECK_EQ(bg_compare_round_side(1, 1, 2), 0);
}

static void set_rec(struct bg_result_rec *r, const char *bench, const char *mode,
		    const char *skipped, double *samples, size_t n)
{
	memset(r, 0, sizeof(*r));
	r->benchmark = (char *)bench;
	r->params = "";
	r->metric = "ns";
	r->mode = (char *)mode;
	r->skipped = (char *)skipped;
	r->samples = samples;
	r->n = n;
	r->checked = 1;
}

TF_TEST(compare__pair_series)
{
	double s1[] = {1, 2}, s2[] = {3, 4, 5};
	struct bg_result_rec base[3], head[3], strict[2];
	set_rec(&base[0], "a", "default", NULL, s1, 2);
	set_rec(&base[1], "gone", "default", NULL, s1, 2); /* only the base has it */
	set_rec(&base[2], "x512", "default", "no AVX-512", NULL, 0);
	set_rec(&head[0], "a", "default", NULL, s2, 3);
	set_rec(&head[1], "new", "default", NULL, s2, 3);            /* only the head has it */
	set_rec(&head[2], "x512", "default", "no AVX-512", NULL, 0); /* neither ran: no row */
	set_rec(&strict[0], "a", "strict", NULL, s1, 2);
	set_rec(&strict[1], "new", "strict", "crashed", NULL, 0);
	struct bg_compare_opts o = {.kind = "compare"};
	struct bg_compare c;
	bg_compare_init(&c, NULL, &o);
	c.g.history = 0; /* no noise floor: no database needed */
	c.res[BG_CMP_BASE] = base;
	c.nres[BG_CMP_BASE] = 3;
	c.res[BG_CMP_HEAD] = head;
	c.nres[BG_CMP_HEAD] = 3;
	add_mode(&c.g, "strict", "BITNET_STRICT_MODE=1", NULL);
	TF_CHECK_EQ(bg_compare_choose_modes(&c, NULL), 0);
	c.res[BG_CMP_MODE0] = strict;
	c.nres[BG_CMP_MODE0] = 2;
	TF_CHECK_EQ(bg_compare_pair_series(&c), 0);
	TF_CHECK_EQ(c.n_series, 3);
	TF_CHECK(!strcmp(c.series[0].benchmark, "a") && c.series[0].nb == 2 &&
			 c.series[0].nh == 3 && c.series[0].base == s1 && c.series[0].head == s2,
		 "a paired");
	TF_CHECK(!strcmp(c.series[1].benchmark, "new") && c.series[1].nb == 0 &&
			 c.series[1].nh == 3,
		 "new: head only");
	TF_CHECK(!strcmp(c.series[2].benchmark, "gone") && c.series[2].nb == 2 &&
			 c.series[2].nh == 0 && c.series[2].checked_head == -1,
		 "gone: base only");
	for (size_t i = 0; i < c.n_series; i++)
		TF_CHECK(c.series[i].noise_floor == -1, "noise floor of %zu", i);
	/* strict: head against its strict twin, only where both ran */
	const struct bg_mode_input *mi = &c.mode_in[0];
	TF_CHECK_EQ(mi->n_series, (size_t)1);
	TF_CHECK(mi->series[0].base == s2 && mi->series[0].head == s1 &&
			 !strcmp(mi->series[0].mode, "strict"),
		 "strict pair");
	TF_CHECK_EQ(c.n_expected, 0);
	/* the arrays are the test's */
	memset(c.res, 0, sizeof(c.res));
	memset(c.nres, 0, sizeof(c.nres));
	bg_compare_clear(&c);
}

TF_TEST(compare__input_marks_incomplete_sides)
{
	struct bg_compare_opts o = {.kind = "ci", .tests = 1, .seed = 42};
	struct bg_compare c;
	bg_compare_init(&c, NULL, &o);
	c.rounds = 3;
	add_mode(&c.g, "strict", "BITNET_STRICT_MODE=1", NULL);
	TF_CHECK_EQ(bg_compare_choose_modes(&c, NULL), 0);
	for (int s = 0; s < BG_CMP_SIDES; s++) {
		c.subj[s].rounds_done = 3;
		c.subj[s].build.ok = 1;
	}
	struct bg_cmp_input in;
	TF_CHECK_EQ(bg_compare_input(&c, &in), 0);
	TF_CHECK(in.base.complete && in.head.complete && in.n_modes == 1 && in.modes[0].ran &&
			 in.modes[0].requested,
		 "all complete");
	TF_CHECK(in.cfg == &c.g && in.seed == 42 && in.tests_ran == 1, "carried over");
	TF_CHECK(in.base.built == 1, "built");

	/* a round short on the head */
	c.subj[BG_CMP_HEAD].rounds_done = 2;
	TF_CHECK_EQ(bg_compare_input(&c, &in), 1);
	TF_CHECK(in.base.complete && !in.head.complete, "head incomplete");
	c.subj[BG_CMP_HEAD].rounds_done = 3;

	/* the mode's side failed: incomplete, with its error */
	c.subj[BG_CMP_MODE0].failed = 1;
	c.subj[BG_CMP_MODE0].error = "strict crashed";
	TF_CHECK_EQ(bg_compare_input(&c, &in), 1);
	TF_CHECK(!in.modes[0].ran && in.modes[0].error &&
			 !strcmp(in.modes[0].error, "strict crashed"),
		 "strict error");

	/* a mode not asked for: its side is not run, so nothing of it counts */
	TF_CHECK_EQ(bg_compare_choose_modes(&c, "none"), 0);
	TF_CHECK_EQ(bg_compare_input(&c, &in), 0);
	TF_CHECK(in.n_modes == 1 && !in.modes[0].requested, "not asked for");
	c.subj[BG_CMP_MODE0].error = NULL;
	bg_compare_clear(&c);
}

TF_TEST(compare__kernels_of_lists_each_once)
{
	struct bg_result_rec v[4];
	set_rec(&v[0], "a", "default", NULL, NULL, 0);
	set_rec(&v[1], "b", "default", NULL, NULL, 0);
	set_rec(&v[2], "c", "default", "skipped", NULL, 0);
	set_rec(&v[3], "d", "default", NULL, NULL, 0);
	v[0].kernel = "avx2";
	v[1].kernel = "avx2,ref";
	v[2].kernel = "amx"; /* skipped: not a kernel it ran */
	v[3].kernel = "avx2_vnni";
	char *k = bg_compare_kernels_of(v, 4);
	TF_CHECK(k && !strcmp(k, "avx2,ref,avx2_vnni"), "kernels %s", k ? k : "(null)");
	free(k);
	v[0].kernel = v[1].kernel = v[3].kernel = NULL;
	TF_CHECK(bg_compare_kernels_of(v, 4) == NULL, "no kernels: NULL");
}
