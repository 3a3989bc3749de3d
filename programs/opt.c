/* opt_parse: argv read against a program's table of options (opt.h), the one place where
 * the kernel programs turn arguments into values and word their mistakes. */
#include "opt.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int read_int(const char *prog, const char *opt, const char *s, double lo, double hi,
		    int *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || (double)v < lo || (double)v > hi) {
		fprintf(stderr, "%s: %s: '%s' is not an integer in [%.0f, %.0f]\n", prog, opt, s,
			lo, hi);
		return -1;
	}
	*out = (int)v;
	return 0;
}

/* A range check when there is a range (it also refuses NaN and overflow); without one,
 * strtod's own range errors. */
static int read_double(const char *prog, const char *opt, const char *s, double lo, double hi,
		       double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	int ranged = lo < hi;
	if (end == s || *end || (ranged ? !(v >= lo && v <= hi) : errno != 0)) {
		if (ranged)
			fprintf(stderr, "%s: %s: '%s' is not a number in [%g, %g]\n", prog, opt, s,
				lo, hi);
		else
			fprintf(stderr, "%s: %s: '%s' is not a number\n", prog, opt, s);
		return -1;
	}
	*out = v;
	return 0;
}

static int read_u64(const char *prog, const char *opt, const char *s, unsigned long long *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-') {
		fprintf(stderr, "%s: %s: '%s' is not a number\n", prog, opt, s);
		return -1;
	}
	*out = v;
	return 0;
}

static const struct opt *find(const struct opt *table, int n, const char *arg)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(arg, table[i].name) || (table[i].alias && !strcmp(arg, table[i].alias)))
			return &table[i];
	return NULL;
}

/* Stores value, given as option arg, where o says. Returns 0, or -1 with the message
 * printed. */
static int read_value(const char *prog, const struct opt *o, const char *arg, const char *value)
{
	switch (o->kind) {
	case OPT_FLAG: *(int *)o->dest = 1; return 0;
	case OPT_STRING: *(const char **)o->dest = value; return 0;
	case OPT_INT: return read_int(prog, arg, value, o->lo, o->hi, o->dest);
	case OPT_DOUBLE: return read_double(prog, arg, value, o->lo, o->hi, o->dest);
	case OPT_U64: return read_u64(prog, arg, value, o->dest);
	case OPT_CUSTOM: return o->parse(prog, arg, value, o->dest);
	}
	return -1;
}

enum opt_status opt_parse(const char *prog, const struct opt *table, int n, int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "-h") || !strcmp(a, "--help"))
			return OPT_HELP;
		const struct opt *o = find(table, n, a);
		if (!o) {
			fprintf(stderr, "%s: %s: unknown option (see --help)\n", prog, a);
			return OPT_BAD_OPTION;
		}
		const char *value = NULL;
		if (o->kind != OPT_FLAG) {
			if (i + 1 >= argc) {
				fprintf(stderr, "%s: %s: missing value (see --help)\n", prog, a);
				return OPT_BAD_OPTION;
			}
			value = argv[++i];
		}
		if (read_value(prog, o, a, value))
			return OPT_BAD_VALUE;
	}
	return OPT_OK;
}

int opt_read(const char *prog, const struct opt *table, int n, int argc, char **argv,
	     void (*usage)(FILE *), int usage_on_bad_option)
{
	switch (opt_parse(prog, table, n, argc, argv)) {
	case OPT_OK: return -1;
	case OPT_HELP: usage(stdout); return 0;
	case OPT_BAD_OPTION:
		if (usage_on_bad_option)
			usage(stderr);
		break;
	case OPT_BAD_VALUE: break;
	}
	return 2;
}
