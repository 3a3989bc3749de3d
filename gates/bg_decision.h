/* A comparison's decision: every row, gate, suite and figure a report shows, computed by
 * gates/ from stored raw samples. reports/ renders it (Markdown, check-run JSON, terminal,
 * JSON); it is also stored as JSON so `bitgate report` re-renders it from the database.
 * Every string is owned by the decision (bg_decision_free). */
#ifndef BG_DECISION_H
#define BG_DECISION_H

#include <stddef.h>
#include <stdint.h>

enum bg_verdict {
	BG_VERDICT_NO_CHANGE = 0, /* the interval sits inside the threshold */
	BG_VERDICT_FASTER = 1,    /* significant and beyond the threshold, head faster */
	BG_VERDICT_SLOWER = 2,    /* significant and beyond the threshold, head slower */
	BG_VERDICT_NOISY = 3,     /* neither: the run could not tell (interval too wide) */
	BG_VERDICT_MISSING = 4,   /* no samples on one side (skipped, crashed, filtered) */
};

/* "no change", "faster", "slower", "noisy", "missing". */
const char *bg_verdict_name(enum bg_verdict v);
int bg_verdict_parse(const char *s); /* -1 when unknown */

enum bg_gate_status {
	BG_GATE_PASS = 0,
	BG_GATE_FAIL = 1,
	BG_GATE_SKIPPED = 2, /* with a reason in the evidence; never counted as a pass */
};

/* "pass", "fail", "skipped". */
const char *bg_gate_status_name(enum bg_gate_status s);
int bg_gate_status_parse(const char *s);

/* One benchmark, base against head. Mostly times (ns per iteration: a positive change is a
 * slowdown); for a rate (higher_better) a negative change is the slowdown, and "slower"
 * and "faster" mean worse and better. */
struct bg_row {
	char *benchmark;   /* "matmul/avx2/256x256x256" */
	char *params;      /* "threads=1" or "" */
	char *mode;        /* "default" or an opt-in mode's name */
	char *kernel_base; /* kernel IDs observed on each side; NULL when none reported */
	char *kernel_head;
	size_t n_base, n_head; /* samples */
	double base_time;      /* ns per iteration: the decision's quantile of all samples */
	double head_time;      /* ns per iteration, likewise */
	double change;         /* head_time / base_time - 1 */
	double ci_lo, ci_hi;   /* 95% bootstrap interval of the change (rounds resampled) */
	double p;              /* two-sided bootstrap p-value of no change */
	double p_adjusted;     /* Holm-adjusted over every row of the table */
	double threshold;      /* materiality threshold used: max(configured, noise floor) */
	double noise_floor;    /* learned from the history of the series; < 0 when none */
	double detectable;     /* smallest change this run could detect: max |interval end| */
	double hl_shift;       /* Hodges-Lehmann estimate of head - base, ns */
	double gelems_head;    /* head throughput, Gelem/s (elements / head_time); < 0 unknown */
	double floor_gelems;   /* configured throughput floor; < 0 when none */
	int higher_better;     /* the metric is a rate: higher is better */
	enum bg_verdict verdict;
};

struct bg_gate {
	char *name; /* "build", "benchmarks", "perf", "tests", then one per opt-in mode */
	enum bg_gate_status status;
	char *evidence; /* one line: what was measured, or the reason it was skipped */
};

/* A test suite, base against head. */
struct bg_suite_cmp {
	char *suite;
	int base_passed, base_total;
	int head_passed, head_failed, head_skipped, head_total;
	double pass_rate;    /* head_passed / (head_total - head_skipped) */
	double floor;        /* required pass rate, e.g. 0.999 */
	char **new_failures; /* tests that fail on head and did not fail on base (passed,
				skipped, or absent: a new test that fails) */
	size_t n_new_failures;
	char *skipped; /* why the suite could not run here; NULL when it ran */
};

/* An opt-in mode's overhead (gates.modes[]): head in the mode against head without it. */
struct bg_mode_cmp {
	char *name;      /* "strict"; also its gate's name */
	char *env;       /* what the mode adds to the environment: "NAME=value ..." */
	int measured;    /* 1 when the mode's run was made and compared */
	double overhead; /* geometric mean over benchmarks of mode/default - 1 */
	double lo, hi;   /* its 95% interval */
	double limit;    /* allowed overhead, e.g. 0.01 */
	size_t n_benchmarks;
	int64_t run_id; /* the mode's run; 0 when none */
	char *skipped;  /* why it was not measured; NULL when measured */
};

struct bg_side {
	char *sha; /* 40 hex */
	char *subject;
	char *binary_hash; /* of the bench program; NULL when unknown */
	char *kernels;     /* kernel IDs observed, comma-separated */
	char *dispatch;    /* the bench program's kernel per operation; NULL when not said */
	int64_t run_id;
	int worktree;
};

struct bg_decision {
	int64_t id;      /* stored decision id (0 before storing) */
	char *kind;      /* "compare" or "ci" */
	int64_t created; /* Unix seconds */
	struct bg_side base, head;
	char *machine; /* "AMD EPYC ..., 2 CPUs, Linux ... [fingerprint]" */
	char *fingerprint;
	char **commands; /* the exact commands behind the figures */
	size_t n_commands;
	struct bg_gate *gates;
	size_t n_gates;
	struct bg_row *rows;
	size_t n_rows;
	struct bg_suite_cmp *suites;
	size_t n_suites;
	struct bg_mode_cmp *modes; /* one per declared mode, in bitgate.json's order */
	size_t n_modes;
	char **findings; /* key findings, one line each, most important first */
	size_t n_findings;
	int rounds;      /* interleaved rounds per side */
	double quantile; /* the sample quantile base_time and head_time are read at (0.5: median) */
	double alpha;   /* family-wise significance level (e.g. 0.05) */
	int conclusion; /* 0 success, 1 failure, 2 neutral (nothing decidable) */
	char *method;   /* a paragraph: how the figures were computed */
};

void bg_decision_free(struct bg_decision *d);

/* "success", "failure", "neutral". */
const char *bg_conclusion_name(int conclusion);
int bg_conclusion_parse(const char *s); /* -1 when unknown */

#endif
