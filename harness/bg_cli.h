/* Command-line handling shared by every subcommand: an option table per command, the
 * options common to all (--repo, --db, --quiet, --verbose, --help), and help text built from
 * the table so `bitgate CMD --help` and `bitgate help CMD` always match the code. */
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
	const char *db;   /* --db FILE */
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

/* Prints the command's help to stdout. */
void bg_cli_help(const struct bg_cmd_info *cmd, const struct bg_opt *opts);

/* Prints "bitgate CMD: message" to stderr for a usage error; returns BG_EXIT_USAGE. */
int bg_cli_usage_error(const struct bg_cmd_info *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
