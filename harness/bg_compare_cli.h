/* Options shared by `bitgate compare` and `bitgate ci`. */
#ifndef BG_COMPARE_CLI_H
#define BG_COMPARE_CLI_H

#include "bg_app.h"
#include "bg_cli.h"
#include "bg_compare.h"

struct bg_compare_cli {
	struct bg_compare_opts o;
	const char *format;   /* table | json (| md for ci's stdout) */
	int seed;             /* --seed: 0 keeps the fixed default */
	const char *head_env; /* --head-env KEY=VALUE */
	char *head_env_v[2];  /* o.head_env points here */
};

/* Checks --rounds and applies what the parsed options imply (seed, head env); 0 or a
 * message on stderr and BG_EXIT_USAGE. */
int bg_compare_cli_finish(struct bg_compare_cli *c, const struct bg_cmd_info *info);

void bg_compare_cli_defaults(struct bg_compare_cli *c);

/* The option-table entries both commands take (rounds, filter, config, pin, jobs, rebuild,
 * seed), to splice into each command's table. */
/* clang-format off */
#define BG_COMPARE_OPTS(c)                                                                        \
	{"rounds", 'n', BG_OPT_INT, &(c).o.rounds, "N",                                           \
	 "interleaved rounds per side (default: gates.rounds)"},                                  \
	{"filter", 0, BG_OPT_STR, &(c).o.filter, "RE",                                            \
	 "compare only benchmarks whose name matches (POSIX extended regex)"},                    \
	{"config", 0, BG_OPT_STR, &(c).o.config_path, "FILE",                                     \
	 "use this bitgate.json for both sides"},                                                 \
	BG_OPT_ROW_PIN(&(c).o.pin_cpu, "pin the bench processes to a CPU"),                       \
	BG_OPT_ROW_JOBS(&(c).o.jobs, "{jobs} for builds (default: CPUs)"),                        \
	{"rebuild", 0, BG_OPT_FLAG, &(c).o.rebuild, NULL, "build again despite the cache"},       \
	{"seed", 0, BG_OPT_INT, &(c).seed, "N", "bootstrap seed (default fixed)"},                \
	{"head-env", 0, BG_OPT_STR, &(c).head_env, "KEY=VALUE",                                   \
	 "set a variable for the head's bench only (calibration: BITNET_BENCH_SLOWDOWN)"}
/* clang-format on */

/* "bitgate ARGS..." as typed, for the evidence trail (malloc'd). */
char *bg_compare_cli_command(int argc, char **argv);

/* What both commands do before running the comparison: keep the command line (in
 * *command, malloc'd, and in c->o), open what the app's flags ask for (the repository and
 * the database), install the signal handlers. 0, or the exit status (*command freed and
 * NULL; main closes the app). */
int bg_compare_cli_open(struct bg_compare_cli *c, int argc, char **argv, struct bg_app *app,
			char **command);

#endif
