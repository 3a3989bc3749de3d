/* The kernel programs' option helper (programs/opt.c): each kind of option read from argv
 * into its destination, and each kind of mistake refused with its status and one message. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "opt.h"
#include "tf.h"

/* Everything one parse writes. */
struct vals {
	int flag, count;
	const char *name;
	double ratio, free_number;
	unsigned long long seed;
	int custom;
};

/* A custom option: only "yes" or "no". */
static int parse_yes_no(const char *prog, const char *opt, const char *value, void *dest)
{
	if (strcmp(value, "yes") && strcmp(value, "no")) {
		fprintf(stderr, "%s: %s %s: expected yes or no\n", prog, opt, value);
		return -1;
	}
	*(int *)dest = !strcmp(value, "yes");
	return 0;
}

/* Sends stderr to a temporary file until end_capture. */
static FILE *begin_capture(int *saved)
{
	fflush(stderr);
	FILE *tmp = tmpfile();
	TF_CHECK(tmp, "tmpfile");
	*saved = dup(2);
	dup2(fileno(tmp), 2);
	return tmp;
}

/* Restores stderr and puts what was written to it in err. */
static void end_capture(FILE *tmp, int saved, char *err, size_t cap)
{
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(tmp);
	size_t n = fread(err, 1, cap - 1, tmp);
	err[n] = '\0';
	fclose(tmp);
}

static FILE *usage_to; /* where test_usage last printed, NULL when it did not */

static void test_usage(FILE *f)
{
	usage_to = f;
}

/* Reads args (NULL-terminated, argv[0] excluded) against the test table into *v, with
 * opt_read when read is set (usage_on_bad_option: read - 1), else opt_parse; stderr is
 * captured into err. */
static int parse_with(int read, struct vals *v, char *err, size_t cap, const char *const *args)
{
	const struct opt opts[] = {
		{.name = "--flag", .kind = OPT_FLAG, .dest = &v->flag},
		{.name = "--count",
		 .alias = "-c",
		 .kind = OPT_INT,
		 .dest = &v->count,
		 .lo = -3,
		 .hi = 10},
		{.name = "--name", .kind = OPT_STRING, .dest = &v->name},
		{.name = "--ratio", .kind = OPT_DOUBLE, .dest = &v->ratio, .lo = 0, .hi = 1},
		{.name = "--number", .kind = OPT_DOUBLE, .dest = &v->free_number},
		{.name = "--seed", .kind = OPT_U64, .dest = &v->seed},
		{.name = "--yes", .kind = OPT_CUSTOM, .dest = &v->custom, .parse = parse_yes_no},
	};
	char *argv[32] = {"prog"};
	int argc = 1;
	for (; args[argc - 1]; argc++)
		argv[argc] = (char *)args[argc - 1];
	*v = (struct vals){.count = 7, .custom = -1};
	usage_to = NULL;
	int saved;
	FILE *tmp = begin_capture(&saved);
	int st = read ? opt_read("prog", opts, OPT_COUNT(opts), argc, argv, test_usage, read - 1)
		      : (int)opt_parse("prog", opts, OPT_COUNT(opts), argc, argv);
	end_capture(tmp, saved, err, cap);
	return st;
}

static enum opt_status parse(struct vals *v, char *err, size_t cap, const char *const *args)
{
	return (enum opt_status)parse_with(0, v, err, cap, args);
}

TF_TEST(opt__accepted_forms)
{
	struct vals v;
	char err[512];
	const char *const all[] = {"--flag",
				   "-c",
				   "-3",
				   "--name",
				   "--flag",
				   "--ratio",
				   "1",
				   "--number",
				   "-2.5e3",
				   "--seed",
				   "18446744073709551615",
				   "--yes",
				   "yes",
				   NULL};
	TF_CHECK_EQ(parse(&v, err, sizeof(err), all), OPT_OK);
	TF_CHECK(!err[0], "stderr: %s", err);
	TF_CHECK_EQ(v.flag, 1);
	TF_CHECK_EQ(v.count, -3);
	TF_CHECK(v.name && !strcmp(v.name, "--flag"), "a value is the next argument: %s", v.name);
	TF_CHECK(v.ratio == 1.0 && v.free_number == -2500.0, "%g %g", v.ratio, v.free_number);
	TF_CHECK(v.seed == 18446744073709551615ull, "%llu", v.seed);
	TF_CHECK_EQ(v.custom, 1);
	const char *const later_wins[] = {"--count", "2", "-c", "10", NULL};
	TF_CHECK_EQ(parse(&v, err, sizeof(err), later_wins), OPT_OK);
	TF_CHECK_EQ(v.count, 10);
	const char *const none[] = {NULL};
	TF_CHECK_EQ(parse(&v, err, sizeof(err), none), OPT_OK);
	TF_CHECK(v.count == 7 && !v.flag && !v.name && v.custom == -1, "defaults kept");
}

TF_TEST(opt__help_stops_reading)
{
	struct vals v;
	char err[512];
	const char *const help[] = {"--count", "1", "--help", "--bogus", NULL};
	TF_CHECK_EQ(parse(&v, err, sizeof(err), help), OPT_HELP);
	TF_CHECK_EQ(v.count, 1);
	const char *const h[] = {"-h", NULL};
	TF_CHECK_EQ(parse(&v, err, sizeof(err), h), OPT_HELP);
	TF_CHECK(!err[0], "stderr: %s", err);
	const char *const as_value[] = {"--name", "-h", NULL}; /* a value, not the help */
	TF_CHECK_EQ(parse(&v, err, sizeof(err), as_value), OPT_OK);
}

TF_TEST(opt__bad_integer)
{
	struct vals v;
	char err[512];
	static const char *const bad[] = {"x", "", "3x", "1.5", "99999999999999999999"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *const args[] = {"--count", bad[i], NULL};
		TF_CHECK_EQ(parse(&v, err, sizeof(err), args), OPT_BAD_VALUE);
		char want[128];
		snprintf(want, sizeof(want), "prog: --count: '%s' is not an integer in [-3, 10]\n",
			 bad[i]);
		TF_CHECK(!strcmp(err, want), "'%s': stderr '%s'", bad[i], err);
		TF_CHECK_EQ(v.count, 7);
	}
	const char *const seed[] = {"--seed", "-1", NULL};
	TF_CHECK_EQ(parse(&v, err, sizeof(err), seed), OPT_BAD_VALUE);
	TF_CHECK(!strcmp(err, "prog: --seed: '-1' is not a number\n"), "stderr '%s'", err);
	const char *const number[] = {"--number", "1e999", NULL};
	TF_CHECK_EQ(parse(&v, err, sizeof(err), number), OPT_BAD_VALUE);
	TF_CHECK(!strcmp(err, "prog: --number: '1e999' is not a number\n"), "stderr '%s'", err);
	const char *const custom[] = {"--yes", "maybe", NULL};
	TF_CHECK_EQ(parse(&v, err, sizeof(err), custom), OPT_BAD_VALUE);
	TF_CHECK(!strcmp(err, "prog: --yes maybe: expected yes or no\n"), "stderr '%s'", err);
}

TF_TEST(opt__value_out_of_range)
{
	struct vals v;
	char err[512];
	const char *const low[] = {"-c", "-4", NULL};
	TF_CHECK_EQ(parse(&v, err, sizeof(err), low), OPT_BAD_VALUE);
	TF_CHECK(!strcmp(err, "prog: -c: '-4' is not an integer in [-3, 10]\n"), "stderr '%s'",
		 err);
	const char *const high[] = {"--count", "11", NULL};
	TF_CHECK_EQ(parse(&v, err, sizeof(err), high), OPT_BAD_VALUE);
	static const char *const ratios[] = {"1.01", "-0.5", "nan", "inf"};
	for (size_t i = 0; i < sizeof(ratios) / sizeof(ratios[0]); i++) {
		const char *const args[] = {"--ratio", ratios[i], NULL};
		TF_CHECK_EQ(parse(&v, err, sizeof(err), args), OPT_BAD_VALUE);
		char want[128];
		snprintf(want, sizeof(want), "prog: --ratio: '%s' is not a number in [0, 1]\n",
			 ratios[i]);
		TF_CHECK(!strcmp(err, want), "'%s': stderr '%s'", ratios[i], err);
	}
	const char *const edge[] = {"--ratio", "0", "--count", "10", NULL};
	TF_CHECK_EQ(parse(&v, err, sizeof(err), edge), OPT_OK);
}

TF_TEST(opt__unknown_option_and_missing_value)
{
	struct vals v;
	char err[512];
	const char *const unknown[] = {"--flag", "--bogus", "1", NULL};
	TF_CHECK_EQ(parse(&v, err, sizeof(err), unknown), OPT_BAD_OPTION);
	TF_CHECK(!strcmp(err, "prog: --bogus: unknown option (see --help)\n"), "stderr '%s'", err);
	const char *const positional[] = {"file", NULL};
	TF_CHECK_EQ(parse(&v, err, sizeof(err), positional), OPT_BAD_OPTION);
	const char *const missing[] = {"--flag", "--count", NULL};
	TF_CHECK_EQ(parse(&v, err, sizeof(err), missing), OPT_BAD_OPTION);
	TF_CHECK(!strcmp(err, "prog: --count: missing value (see --help)\n"), "stderr '%s'", err);
	const char *const flag_value[] = {"--flag", "1", NULL}; /* a flag takes no value */
	TF_CHECK_EQ(parse(&v, err, sizeof(err), flag_value), OPT_BAD_OPTION);
}

/* opt_read: the status as the exit status a program stops with, and the help where asked. */
TF_TEST(opt__read_gives_exit_status)
{
	struct vals v;
	char err[512];
	const char *const ok[] = {"--count", "3", NULL};
	TF_CHECK_EQ(parse_with(2, &v, err, sizeof(err), ok), -1);
	TF_CHECK(!usage_to && v.count == 3, "no help; values read");
	const char *const help[] = {"--help", NULL};
	TF_CHECK_EQ(parse_with(2, &v, err, sizeof(err), help), 0);
	TF_CHECK(usage_to == stdout, "--help on stdout");
	const char *const unknown[] = {"--bogus", NULL};
	TF_CHECK_EQ(parse_with(2, &v, err, sizeof(err), unknown), 2);
	TF_CHECK(usage_to == stderr && strstr(err, "unknown option"), "help on stderr: %s", err);
	TF_CHECK_EQ(parse_with(1, &v, err, sizeof(err), unknown), 2);
	TF_CHECK(!usage_to && strstr(err, "unknown option"), "only the message: %s", err);
	const char *const bad[] = {"--count", "99", NULL};
	TF_CHECK_EQ(parse_with(2, &v, err, sizeof(err), bad), 2);
	TF_CHECK(!usage_to && strstr(err, "not an integer"), "a bad value: no help: %s", err);
}
