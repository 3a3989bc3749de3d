/* The comparison's phases over one struct (private to compare.c and its tests): resolve the
 * sides, choose the gates, set up the subjects' engine options, measure in interleaved
 * rounds, load what was stored, pair the series, and decide and store. bg_compare_run calls
 * them in that order; each can be read and tested on its own. */
#ifndef BG_COMPARE_INT_H
#define BG_COMPARE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "bg_compare.h"
#include "bg_config.h"
#include "bg_engine.h"
#include "bg_rules.h"

/* Sides: the base, the head, then the head again once per opt-in mode measured. */
enum { BG_CMP_BASE, BG_CMP_HEAD, BG_CMP_MODE0, BG_CMP_SIDES = BG_CMP_MODE0 + BG_MODES_MAX };

struct bg_compare {
	struct bg_app *app;              /* borrowed */
	const struct bg_compare_opts *o; /* borrowed */
	struct bg_commit base, head;
	struct bg_config *head_cfg; /* the head's bitgate.json (or --config): what runs */
	struct bg_config *gate_src; /* the base's, for the gates; NULL: the head's */
	struct bg_gate_config g;    /* the gates the decision applies */
	int rounds;                 /* interleaved rounds per side */
	int n_sides;                /* 2 + the modes measured */
	int mode_side[BG_MODES_MAX];  /* the side of each of g.modes; -1: not measured */
	int side_mode[BG_CMP_SIDES];  /* the mode (index in g.modes) of each side; -1: none */
	char label[BG_CMP_SIDES][48]; /* "base", "head", "head-<mode>" */
	int64_t started;              /* the decision's time */
	struct bg_engine_opts eo[BG_CMP_SIDES];
	char **env[BG_CMP_SIDES]; /* a mode side's additions: the head's, then the mode's */
	size_t n_env[BG_CMP_SIDES];
	struct bg_subject subj[BG_CMP_SIDES];
	struct bg_result_rec *res[BG_CMP_SIDES]; /* what each side's run stored */
	size_t nres[BG_CMP_SIDES];
	struct bg_test_suite **suites[2]; /* base and head test results (with --tests) */
	size_t nsuites[2];
	struct bg_cmp_series *series; /* every benchmark of either side, base against head */
	size_t n_series;
	struct bg_cmp_series *mode_series[BG_MODES_MAX]; /* head against head in each mode */
	struct bg_mode_input mode_in[BG_MODES_MAX];      /* what the gates read of each mode */
	char **expected; /* suite names the head's bitgate.json configures */
	size_t n_expected;
};

void bg_compare_init(struct bg_compare *c, struct bg_app *app, const struct bg_compare_opts *o);
void bg_compare_clear(struct bg_compare *c);

/* The head (o->head_rev, else WORKTREE), its configuration, and the base (o->base_rev, else
 * the merge-base of the default branch, or origin/<branch>, and the head). */
int bg_compare_resolve(struct bg_compare *c);

/* The gates, from the base's bitgate.json (a change cannot loosen its own gate; the head's
 * when the base has none, --config when given), the rounds, and the sides of the opt-in
 * modes measured (o->modes: NULL every declared mode, "none", or names; BG_EINPUT naming
 * one that is not declared). */
int bg_compare_choose_gates(struct bg_compare *c);

/* The sides of the modes of c->g to measure (list as o->modes), after the base and the
 * head, in gates.modes' order; their labels. Part of bg_compare_choose_gates. */
int bg_compare_choose_modes(struct bg_compare *c, const char *list);

/* The engine options of each side: a mode's side is the head again, with the mode's env
 * after the head's own additions, its filter, no tests and no rebuild. */
int bg_compare_engine_opts(struct bg_compare *c);

/* The side measured k-th in round r of n_sides: base head modes..., then the reverse. */
int bg_compare_round_side(int r, int k, int n_sides);

/* Prepares (builds) every side, runs the interleaved rounds and the tests, finishes each
 * run. Negative only when bitgate cannot go on; a side's failure is in its subject. */
int bg_compare_measure(struct bg_compare *c);

/* Reads back each side's results (and test suites with --tests) from the database. */
int bg_compare_load(struct bg_compare *c);

/* Pairs the results into series: each head row with the base's (no row when neither side
 * could run it), each base row the head lacks, each head row with its twin in each mode;
 * with each default series' noise floor; and the expected suite names. */
int bg_compare_pair_series(struct bg_compare *c);

/* What the gates read (each mode's part in c->mode_in). Returns 1 when a side's
 * measurement is incomplete. */
int bg_compare_input(struct bg_compare *c, struct bg_cmp_input *in);

/* Kernel IDs of a side, comma-separated and unique, from its results; NULL when none. */
char *bg_compare_kernels_of(const struct bg_result_rec *v, size_t n);

/* Fills the decision's evidence, decides the gates on in and stores the decision. */
int bg_compare_decide(struct bg_compare *c, const struct bg_cmp_input *in,
		      struct bg_decision **out);

#endif
