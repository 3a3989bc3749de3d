/* Comparing two commits on this machine: build both (cached), run them interleaved in rounds
 * (A B B A ...; with the head again in each opt-in mode as a further subject), store every sample,
 * learn each series' noise floor from the database's history, and decide the gates
 * (gates/). The engine behind `bitgate compare` and `bitgate ci`. */
#ifndef BG_COMPARE_H
#define BG_COMPARE_H

#include <stdint.h>

#include "bg_app.h"
#include "bg_decision.h"

struct bg_compare_opts {
	const char *kind;        /* "compare" or "ci" (stored with the decision) */
	const char *base_rev;    /* NULL: the merge-base of the default branch and the head */
	const char *head_rev;    /* NULL: WORKTREE */
	const char *config_path; /* bitgate.json to use for both sides; NULL: each commit's */
	const char *filter;      /* benchmarks to compare (regex); NULL: all */
	int rounds;              /* interleaved rounds per side; 0: gates.rounds */
	int tests;               /* run the test suites on both sides */
	const char *modes;       /* opt-in modes to measure: NULL every one gates.modes
				    declares, "none", or a comma-separated list of names */
	int pin_cpu;             /* -1: no pinning */
	int jobs;
	int rebuild;
	char *const *head_env; /* "KEY=value" for the head's bench only (calibration: an
				  injected slowdown); NULL-terminated or NULL */
	const char *command; /* the command line, for the evidence trail */
	uint64_t seed;       /* bootstrap seed */
};

/* Runs the comparison and decides. *out is the decision (stored in the database, its id in
 * (*out)->id); *incomplete is 1 when a side's measurement failed (a build, a crash, a
 * timeout), which makes `bitgate ci` exit 3. Returns 0, or a negative code when no decision
 * could be made (bad revision, bad configuration, interrupted, database). */
int bg_compare_run(struct bg_app *app, const struct bg_compare_opts *o, struct bg_decision **out,
		   int *incomplete);

#endif
