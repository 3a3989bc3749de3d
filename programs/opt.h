/* The command-line options of bitnet-bench, bitnet-run and bitnet-mkmodel: each program
 * describes its options in one table and opt_parse reads argv against it, with one message
 * per kind of mistake. Parsing never exits: it returns a status and main decides. */
#ifndef OPT_H
#define OPT_H

#include <stdio.h>

enum opt_kind {
	OPT_FLAG,   /* no value; sets *(int *)dest to 1 */
	OPT_STRING, /* *(const char **)dest = the value (borrowed from argv) */
	OPT_INT,    /* *(int *)dest: a decimal integer in [lo, hi] */
	OPT_DOUBLE, /* *(double *)dest: a number, in [lo, hi] when lo < hi */
	OPT_U64,    /* *(unsigned long long *)dest: a non-negative decimal integer */
	OPT_CUSTOM, /* parse(prog, name, value, dest) reads the value */
};

struct opt {
	const char *name;  /* as typed: "--threads", or "-n" for a short-only option */
	const char *alias; /* the other spelling ("-m" of "--model"), or NULL */
	enum opt_kind kind;
	void *dest;    /* where the value goes; the type the kind says */
	double lo, hi; /* OPT_INT: the accepted range; OPT_DOUBLE: the range when lo < hi */
	/* OPT_CUSTOM: reads value into dest; returns 0, or -1 after printing one line that
	 * starts with "prog: ". opt is the option as typed. */
	int (*parse)(const char *prog, const char *opt, const char *value, void *dest);
};

enum opt_status {
	OPT_OK = 0,
	OPT_HELP = 1,       /* -h or --help: the program prints its help and exits 0 */
	OPT_BAD_VALUE = -1, /* a value was wrong; the message is printed */
	OPT_BAD_OPTION = -2 /* an unknown option or a missing value; the message is printed */
};

#define OPT_COUNT(table) ((int)(sizeof(table) / sizeof((table)[0])))

/* Reads argv[1..argc-1] in order against the n options of table, printing
 * "prog: OPTION ..." on stderr for the first mistake. -h and --help are always known and
 * stop the reading. A value is the next argument, whatever it looks like. */
enum opt_status opt_parse(const char *prog, const struct opt *table, int n, int argc, char **argv);

/* opt_parse, and what a program does with its status: the help on stdout, or after an
 * unknown option or a missing value the help on stderr too when usage_on_bad_option.
 * Returns -1 to go on, or the exit status to stop with: 0 after the help, 2 after a
 * mistake. */
int opt_read(const char *prog, const struct opt *table, int n, int argc, char **argv,
	     void (*usage)(FILE *), int usage_on_bad_option);

#endif
