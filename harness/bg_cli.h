/* Command-line handling shared by every subcommand: an option table per command, the
 * options common to all (--repo, --db, --quiet, --verbose, --help; main parses those before
 * the command with the same code), the option rows and messages several commands share, and
 * help text built from the table so `bitgate CMD --help` and `bitgate help CMD` always match
 * the code. */
#ifndef BG_CLI_H
#define BG_CLI_H

enum bg_opt_kind {
	BG_OPT_END = 0, /* terminates a table */
	BG_OPT_FLAG,    /* int*: 1 when given; a "--no-NAME" form sets 0 when negatable */
	BG_OPT_NEGFLAG, /* like FLAG, and --no-NAME is accepted */
	BG_OPT_STR,     /* const char **: the argument (borrowed from argv) */
	BG_OPT_INT,     /* int* */
	BG_OPT_DOUBLE,  /* double* */
};

struct bg_opt {
	const char *name; /* long name without the dashes */
	char short_name;  /* 0 for none */
	enum bg_opt_kind kind;
	void *dst;
	const char *arg;  /* the argument's name in help ("N", "FILE") */
	const char *help; /* one line */
};

struct bg_cmd_info {
	const char *name;    /* "run" */
	const char *usage;   /* "bitgate run [options] REV... | A..B" */
	const char *summary; /* one line, for `bitgate --help` */
	const char *details; /* paragraphs after the options (exit status, examples); may be NULL */
};

/* Options common to every command. */
struct bg_global {
	const char *repo; /* --repo DIR */
	const char *db;   /* --db FILE|URI, else $BITGATE_DB */
	int quiet;        /* --quiet: errors only */
	int verbose;      /* --verbose: also each command run and each file written */
};

/* The global options as parsed so far. */
struct bg_global *bg_cli_global(void);

/* Parses argv[1..] (argv[0] is the command name) against opts plus the common options.
 * Positional arguments are collected in *pos (a malloc'd array of borrowed pointers, free
 * it) and *npos. Returns 0 to go on, 1 when help was printed (exit 0), or BG_EINPUT after
 * printing the problem to stderr (exit 2). */
int bg_cli_parse(const struct bg_cmd_info *cmd, const struct bg_opt *opts, int argc, char **argv,
		 char ***pos, int *npos);

/* Parses the options that come before the command name (argv[1..]): the common options plus
 * main's own opts (strings and flags only), up to the first argument that does not start
 * with '-', whose index goes to *next. --help, or an option of opts (--version), ends the
 * parse at once, *next just after it. Returns 0, 1 when --help was given (nothing printed),
 * or BG_EINPUT after "bitgate: unknown option ARG (see bitgate --help)" on stderr. */
int bg_cli_parse_global(const struct bg_opt *opts, int argc, char **argv, int *next);

/* bg_cli_parse for a command that takes at most max positional arguments: they go to
 * args[0..max) (NULL where not given; borrowed from argv). Returns BG_CLI_GO_ON, or the exit
 * status to return at once: 0 after --help, BG_EXIT_USAGE after a usage error (too_many is
 * the message when more than max are given). */
int bg_cli_parse_args(const struct bg_cmd_info *cmd, const struct bg_opt *opts, int argc,
		      char **argv, const char **args, int max, const char *too_many);
#define BG_CLI_GO_ON (-1)

/* Prints a command's JSON output (indented, one line break after) to stdout and frees doc. */
struct cJSON;
void bg_cli_print_json(struct cJSON *doc);

/* The exit status for a nonzero bg_cli_parse result: BG_EXIT_OK after --help, else
 * BG_EXIT_USAGE. */
int bg_cli_exit_status(int parse_rc);

/* The index of value in names (NULL-terminated), else -1 after the usage error
 * "--OPT VALUE: expected a, b or c" (the names in their order). */
int bg_cli_choice(const struct bg_cmd_info *cmd, const char *opt, const char *value,
		  const char *const *names);

/* 0 when lo <= value <= hi, else the usage error "--OPT VALUE: expected LO..HI" and
 * BG_EXIT_USAGE. */
int bg_cli_check_range(const struct bg_cmd_info *cmd, const char *opt, int value, int lo, int hi);

/* Option rows several commands share, one home each; help is the command's own line. */
/* clang-format off */
#define BG_OPT_ROW_REPETITIONS(dst, help) {"repetitions", 'n', BG_OPT_INT, (dst), "N", (help)}
#define BG_OPT_ROW_JOBS(dst, help) {"jobs", 'j', BG_OPT_INT, (dst), "N", (help)}
#define BG_OPT_ROW_PIN(dst, help) {"pin", 0, BG_OPT_INT, (dst), "CPU", (help)}
#define BG_OPT_ROW_TESTS(dst, help) {"tests", 0, BG_OPT_NEGFLAG, (dst), NULL, (help)}
#define BG_OPT_ROW_FORMAT(dst, names, help) {"format", 0, BG_OPT_STR, (dst), (names), (help)}
#define BG_OPT_ROW_END {NULL, 0, BG_OPT_END, NULL, NULL, NULL}
/* clang-format on */

/* Help lines several commands share. */
#define BG_HELP_JOBS "{jobs} for the build (default: CPUs)"
#define BG_HELP_PIN "pin the bench process to one CPU"
#define BG_HELP_FORMAT "output format (default table)"

/* The --repetitions range every measuring command accepts. */
#define BG_REPETITIONS_MAX 1000

/* Prints the command's help to stdout. */
void bg_cli_help(const struct bg_cmd_info *cmd, const struct bg_opt *opts);

/* Prints "bitgate CMD: message" to stderr for a usage error; returns BG_EXIT_USAGE. */
int bg_cli_usage_error(const struct bg_cmd_info *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* --filter RE checked before any work (bounded and compiled as the engine will): 0 when
 * filter is NULL or usable, else a usage error naming it and why. */
int bg_cli_check_filter(const struct bg_cmd_info *cmd, const char *filter);

#endif
