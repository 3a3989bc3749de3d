/* Gate rules: from samples of base and head (and head in each opt-in mode), test results and
 * the gate configuration to a decision (bg_decision.h). Pure: the harness hands in every
 * sample and the noise floors it learned from history; nothing here reads files or the
 * database. Fail closed: a missing, crashed or incomplete measurement never passes. */
#ifndef BG_RULES_H
#define BG_RULES_H

#include <stddef.h>
#include <stdint.h>

#include "bg_decision.h"
#include "bg_result.h"

struct bg_pattern_value {
	char *pattern; /* a glob on benchmark names (fnmatch: '*' also crosses '/'), or a suite */
	double value;
};

/* At most this many opt-in modes: each adds a side to every interleaved round. */
#define BG_MODES_MAX 8

/* An opt-in mode of the subject (gates.modes[]): the head run again, in the same interleaved
 * rounds, with env added to its environment; its overhead against the head in its default
 * mode is gated against limit. */
struct bg_mode_config {
	char *name; /* "strict": the rows' mode, the gate's name */
	char **env; /* "NAME=value" added to the head's environment */
	size_t n_env;
	double limit; /* allowed overhead, e.g. 0.01 = 1% */
	char *filter; /* regex of the benchmarks timed in this mode; NULL: all */
};

void bg_mode_config_clear(struct bg_mode_config *m);

/* The "gates" section of bitgate.json, with its defaults. */
struct bg_gate_config {
	int rounds;       /* interleaved rounds per side (default 5) */
	double alpha;     /* family-wise significance level over the table (default 0.05) */
	double threshold; /* materiality threshold of a change (default 0.05 = 5%) */
	struct bg_pattern_value *thresholds; /* per-benchmark thresholds, first match wins */
	size_t n_thresholds;
	struct bg_pattern_value *floors; /* throughput floors in Gelem/s on head */
	size_t n_floors;
	char **required; /* globs: each must match a benchmark that ran on head */
	size_t n_required;
	struct bg_mode_config *modes; /* gates.modes[]: none unless bitgate.json declares one */
	size_t n_modes;
	double test_floor;   /* pass rate every suite must meet (default 0.999) */
	struct bg_pattern_value *suite_floors; /* per suite name */
	size_t n_suite_floors;
	int history;           /* earlier runs used to learn a series' noise floor (default 30) */
	double noise_quantile; /* quantile of run-to-run changes taken as the floor (0.95) */
	double quantile;       /* the sample quantile a side's time is read at (default 0.1: the
				  fast part, which host contention moves least; 0.5: median) */
	int bootstrap;         /* bootstrap resamples (default 2000) */
};

void bg_gate_config_defaults(struct bg_gate_config *c);
void bg_gate_config_clear(struct bg_gate_config *c);

/* The threshold configured for a benchmark (the first matching pattern, else the default). */
double bg_gate_threshold_for(const struct bg_gate_config *c, const char *benchmark);

/* One series measured on both sides (or missing on one). */
struct bg_cmp_series {
	const char *benchmark, *params, *mode;
	const char *metric; /* the samples' unit; a rate ("GB/s") is better higher; NULL: a time */
	const double *base; /* samples and their rounds; NULL/0 when missing */
	const int *base_round;
	size_t nb;
	const double *head;
	const int *head_round;
	size_t nh;
	const char *kernel_base, *kernel_head; /* as reported; may be NULL */
	int checked_head;                      /* 1, 0 (not verified) or -1 (not said) */
	const char *skipped_head;              /* skip reason on head; NULL when it ran */
	double elements;                       /* per iteration, for Gelem/s; 0 unknown */
	double noise_floor;                    /* learned from history; < 0 none */
};

/* A side's measurement status, as the engine saw it. */
struct bg_side_status {
	int built;                                 /* the build worked */
	int complete;                              /* every bench round stored */
	const char *error;                         /* the first error, NULL when none */
	const struct bg_test_suite *const *suites; /* test results; NULL when not run */
	size_t n_suites;
};

/* One opt-in mode's measurement: head in its default mode (the series' base side) against
 * head in this mode (the head side), in the same interleaved rounds. */
struct bg_mode_input {
	int requested;     /* 0: the command was told not to measure it (--modes) */
	int ran;           /* 1: its run completed every round */
	const char *error; /* why its run failed, if it did */
	const struct bg_cmp_series *series;
	size_t n_series;
};

struct bg_cmp_input {
	const struct bg_gate_config *cfg;
	struct bg_side_status base, head;
	const struct bg_cmp_series *series; /* default-mode series, base against head */
	size_t n_series;
	const struct bg_mode_input *modes; /* one per cfg->modes, in its order */
	size_t n_modes;
	const char *bench_format; /* the head's bench output format, for the evidence */
	int format_checks;        /* 1: that format can say a result was checked (and by which
				     kernel); 0: it has no such field */
	int tests_ran;            /* 0: --no-tests */
	const char *const *suites_expected; /* suite names bitgate.json configures */
	size_t n_suites_expected;
	uint64_t seed; /* bootstrap seed (repeatable decisions) */
};

/* Fills d->rows, gates, suites, modes, findings, alpha, conclusion. The caller fills the
 * sides, machine, commands and method. 0, or BG_ENOMEM. */
int bg_gates_decide(const struct bg_cmp_input *in, struct bg_decision *d);

/* The row of one series (statistics and verdict), Holm adjustment not applied (p_adjusted =
 * p). Exposed for tests. */
int bg_gates_row(const struct bg_gate_config *cfg, const struct bg_cmp_series *s, uint64_t seed,
		 struct bg_row *row);

#endif
