/* The option parser every command uses (harness/cli.c): flags and their --no- forms, values
 * after a space or '=', numbers good and bad, unknown options, positional arguments, --help,
 * the options before the command, and the shared checks' messages. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bg_cli.h"
#include "bg_error.h"
#include "tf.h"

static const struct bg_cmd_info info = {"t", "bitgate t [options] ARG...", "A test command.", NULL};

/* What a stream printed between cap_start and cap_end. */
struct capture {
	FILE *f;
	int saved;
	char *path;
};

static void cap_start(struct capture *c, FILE *f)
{
	fflush(f);
	c->f = f;
	c->path = tf_tmpfile("cli");
	c->saved = dup(fileno(f));
	int fd = open(c->path, O_WRONLY | O_TRUNC);
	TF_CHECK(c->saved >= 0 && fd >= 0, "cannot redirect to %s", c->path);
	dup2(fd, fileno(f));
	close(fd);
}

static char *cap_end(struct capture *c)
{
	fflush(c->f);
	dup2(c->saved, fileno(c->f));
	close(c->saved);
	FILE *in = fopen(c->path, "r");
	char *text = calloc(1, 65536);
	TF_CHECK(in && text, "cannot read %s", c->path);
	size_t n = fread(text, 1, 65535, in);
	text[n] = 0;
	fclose(in);
	unlink(c->path);
	free(c->path);
	return text;
}

/* The options of the test command, and where they land. */
struct vals {
	int flag, neg, n;
	double x;
	const char *s;
};

static int parse(struct vals *v, const char *const *args, char ***pos, int *npos, char **err)
{
	const struct bg_opt opts[] = {
		{"flag", 'f', BG_OPT_FLAG, &v->flag, NULL, "a flag"},
		{"tests", 0, BG_OPT_NEGFLAG, &v->neg, NULL, "a negatable flag"},
		{"count", 'n', BG_OPT_INT, &v->n, "N", "an integer"},
		{"ratio", 0, BG_OPT_DOUBLE, &v->x, "X", "a number"},
		{"name", 0, BG_OPT_STR, &v->s, "NAME", "a string"},
		BG_OPT_ROW_END,
	};
	char *argv[32] = {"t"};
	int argc = 1;
	for (; args[argc - 1]; argc++)
		argv[argc] = (char *)args[argc - 1];
	*pos = NULL;
	*npos = 0;
	struct capture c;
	cap_start(&c, stderr);
	int rc = bg_cli_parse(&info, opts, argc, argv, pos, npos);
	*err = cap_end(&c);
	return rc;
}

TF_TEST(cli__flags_values_and_positionals)
{
	struct vals v = {.neg = 1};
	char **pos, *err;
	int npos;
	const char *args[] = {"a",      "-f",  "--count", "7",  "--ratio=0.25", "b",
			      "--name", "x y", "-",       "--", "--flag",       NULL};
	TF_CHECK_EQ(parse(&v, args, &pos, &npos, &err), 0);
	TF_CHECK(v.flag == 1 && v.n == 7 && v.x == 0.25 && !strcmp(v.s, "x y"), "values: %d %d %g",
		 v.flag, v.n, v.x);
	TF_CHECK_EQ(npos, 4);
	TF_CHECK(!strcmp(pos[0], "a") && !strcmp(pos[1], "b") && !strcmp(pos[2], "-") &&
			 !strcmp(pos[3], "--flag"),
		 "positionals in order, '-' and everything after '--' among them");
	TF_CHECK(!*err, "nothing on stderr: %s", err);
	free(pos);
	free(err);
}

TF_TEST(cli__no_form_of_negatable_flags_only)
{
	struct vals v = {.neg = 1};
	char **pos, *err;
	int npos;
	const char *off[] = {"--no-tests", NULL};
	TF_CHECK_EQ(parse(&v, off, &pos, &npos, &err), 0);
	TF_CHECK_EQ(v.neg, 0);
	free(pos);
	free(err);
	const char *on[] = {"--no-tests", "--tests", NULL};
	TF_CHECK_EQ(parse(&v, on, &pos, &npos, &err), 0);
	TF_CHECK_EQ(v.neg, 1);
	free(pos);
	free(err);
	const char *plain[] = {"--no-flag", NULL};
	TF_CHECK_EQ(parse(&v, plain, &pos, &npos, &err), BG_EINPUT);
	TF_CHECK(!strcmp(err, "bitgate t: unknown option --no-flag (see bitgate t --help)\n"),
		 "a plain flag has no --no- form: %s", err);
	free(err);
}

TF_TEST(cli__numbers_good_and_bad)
{
	static const struct {
		const char *args[3];
		int rc;
		const char *err;
	} cases[] = {
		{{"-n", "-3"}, 0, ""},
		{{"--count=2147483647"}, 0, ""},
		{{"--ratio", "-1e3"}, 0, ""},
		{{"--count", "x"}, BG_EINPUT, "--count x: expected an integer"},
		{{"--count", "2147483648"}, BG_EINPUT, "--count 2147483648: expected an integer"},
		{{"--count", "1.5"}, BG_EINPUT, "--count 1.5: expected an integer"},
		{{"--ratio", "abc"}, BG_EINPUT, "--ratio abc: expected a number"},
		{{"--ratio="}, BG_EINPUT, "--ratio : expected a number"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vals v = {0};
		char **pos, *err;
		int npos;
		int rc = parse(&v, cases[i].args, &pos, &npos, &err);
		TF_CHECK(rc == cases[i].rc, "case %zu: rc %d", i, rc);
		TF_CHECK(strstr(err, cases[i].err) && (*cases[i].err || !*err), "case %zu: %s", i,
			 err);
		if (rc == 0)
			free(pos);
		free(err);
	}
	struct vals v = {0};
	char **pos, *err;
	int npos;
	const char *neg[] = {"-n", "-3", "--ratio", "-1e3", NULL};
	TF_CHECK_EQ(parse(&v, neg, &pos, &npos, &err), 0);
	TF_CHECK(v.n == -3 && v.x == -1000, "negative values: %d %g", v.n, v.x);
	free(pos);
	free(err);
}

TF_TEST(cli__unknown_and_malformed_options)
{
	static const struct {
		const char *args[3];
		const char *err;
	} cases[] = {
		{{"--bogus"}, "bitgate t: unknown option --bogus (see bitgate t --help)\n"},
		{{"--bogus=1"}, "bitgate t: unknown option --bogus (see bitgate t --help)\n"},
		{{"-x"}, "bitgate t: unknown option -x (see bitgate t --help)\n"},
		{{"-fn"}, "bitgate t: unknown option -fn (see bitgate t --help)\n"},
		{{"--flag=1"}, "bitgate t: --flag takes no value (see bitgate t --help)\n"},
		{{"--count"}, "bitgate t: --count needs a value (N) (see bitgate t --help)\n"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vals v = {0};
		char **pos = NULL, *err;
		int npos = 0;
		TF_CHECK(parse(&v, cases[i].args, &pos, &npos, &err) == BG_EINPUT, "case %zu", i);
		TF_CHECK(!strcmp(err, cases[i].err), "case %zu: %s", i, err);
		TF_CHECK(pos == NULL, "case %zu: no positionals handed back", i);
		free(err);
	}
}

TF_TEST(cli__help_returns_1_and_prints_the_table)
{
	struct vals v = {0};
	char **pos = NULL, *err;
	int npos;
	const char *args[] = {"--count", "3", "--help", NULL};
	struct capture out;
	cap_start(&out, stdout);
	int rc = parse(&v, args, &pos, &npos, &err);
	char *text = cap_end(&out);
	TF_CHECK_EQ(rc, 1);
	TF_CHECK_EQ(bg_cli_exit_status(rc), BG_EXIT_OK);
	TF_CHECK(!strncmp(text, "usage: bitgate t [options] ARG...\n\nA test command.\n", 48),
		 "help: %s", text);
	TF_CHECK(strstr(text, "  -n, --count N") && strstr(text, "--[no-]tests") &&
			 strstr(text, "common options:") && strstr(text, "-h, --help"),
		 "the option table and the common options: %s", text);
	TF_CHECK(pos == NULL && !*err, "no positionals, nothing on stderr");
	free(text);
	free(err);
	const char *short_form[] = {"-h", NULL};
	cap_start(&out, stdout);
	rc = parse(&v, short_form, &pos, &npos, &err);
	free(cap_end(&out));
	TF_CHECK_EQ(rc, 1);
	free(err);
	TF_CHECK_EQ(bg_cli_exit_status(BG_EINPUT), BG_EXIT_USAGE);
}

TF_TEST(cli__common_options_after_the_command)
{
	struct bg_global *g = bg_cli_global();
	memset(g, 0, sizeof(*g));
	struct vals v = {0};
	char **pos, *err;
	int npos;
	const char *args[] = {"--repo", "r", "--db=d.db", "-q", "--verbose", NULL};
	TF_CHECK_EQ(parse(&v, args, &pos, &npos, &err), 0);
	TF_CHECK(!strcmp(g->repo, "r") && !strcmp(g->db, "d.db") && g->quiet && g->verbose,
		 "the common options are set");
	free(pos);
	free(err);
}

/* bg_cli_parse_global on args (after "bitgate"), with main's --version. */
static int parse_global(const char *const *args, int *version, int *next, char **err)
{
	const struct bg_opt opts[] = {
		{"version", 0, BG_OPT_FLAG, version, NULL, "print the version"},
		BG_OPT_ROW_END,
	};
	char *argv[16] = {"bitgate"};
	int argc = 1;
	for (; args[argc - 1]; argc++)
		argv[argc] = (char *)args[argc - 1];
	struct capture c;
	cap_start(&c, stderr);
	int rc = bg_cli_parse_global(opts, argc, argv, next);
	*err = cap_end(&c);
	return rc;
}

TF_TEST(cli__global_options_stop_at_the_command)
{
	struct bg_global *g = bg_cli_global();
	memset(g, 0, sizeof(*g));
	int version = 0, next = 0;
	char *err;
	const char *args[] = {"-q", "--repo", "r", "--db=x", "log", "--bogus", NULL};
	TF_CHECK_EQ(parse_global(args, &version, &next, &err), 0);
	TF_CHECK_EQ(next, 5);
	TF_CHECK(g->quiet && !strcmp(g->repo, "r") && !strcmp(g->db, "x") && !version, "set");
	free(err);
	const char *none[] = {"-v", NULL};
	TF_CHECK_EQ(parse_global(none, &version, &next, &err), 0);
	TF_CHECK_EQ(next, 2);
	free(err);
}

TF_TEST(cli__global_help_and_version_act_alone)
{
	int version = 0, next = 0;
	char *err;
	const char *help_first[] = {"--help", "--bogus", NULL};
	TF_CHECK_EQ(parse_global(help_first, &version, &next, &err), 1);
	TF_CHECK(!*err && next == 2, "--help ends the parse: %s", err);
	free(err);
	const char *version_first[] = {"--version", "--help", NULL};
	TF_CHECK_EQ(parse_global(version_first, &version, &next, &err), 0);
	TF_CHECK(version == 1 && next == 2, "--version ends the parse");
	free(err);
}

TF_TEST(cli__global_errors_name_the_argument)
{
	static const char *const bad[] = {"--bogus", "--repo", "--quiet=1", "-qv", "--", "-"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int version = 0, next = 0;
		char *err;
		const char *args[] = {bad[i], NULL};
		TF_CHECK(parse_global(args, &version, &next, &err) == BG_EINPUT, "%s", bad[i]);
		char want[128];
		snprintf(want, sizeof(want), "bitgate: unknown option %s (see bitgate --help)\n",
			 bad[i]);
		TF_CHECK(!strcmp(err, want), "%s: %s", bad[i], err);
		free(err);
	}
}

TF_TEST(cli__choice_lists_the_names)
{
	static const char *const names[] = {"md", "json", "table", "check-run", NULL};
	static const char *const two[] = {"table", "json", NULL};
	struct capture c;
	cap_start(&c, stderr);
	int k = bg_cli_choice(&info, "format", "table", names);
	int bad = bg_cli_choice(&info, "format", "xml", names);
	int bad2 = bg_cli_choice(&info, "format", "md", two);
	char *err = cap_end(&c);
	TF_CHECK_EQ(k, 2);
	TF_CHECK(bad == -1 && bad2 == -1, "unknown names: %d %d", bad, bad2);
	TF_CHECK(!strcmp(err,
			 "bitgate t: --format xml: expected md, json, table or check-run "
			 "(see bitgate t --help)\n"
			 "bitgate t: --format md: expected table or json (see bitgate t --help)\n"),
		 "messages: %s", err);
	free(err);
}

TF_TEST(cli__check_range_bounds)
{
	struct capture c;
	cap_start(&c, stderr);
	int in = bg_cli_check_range(&info, "repetitions", 1, 1, 1000) +
		 bg_cli_check_range(&info, "repetitions", 1000, 1, 1000);
	int lo = bg_cli_check_range(&info, "repetitions", 0, 1, 1000);
	int hi = bg_cli_check_range(&info, "retries", 101, 0, 100);
	char *err = cap_end(&c);
	TF_CHECK_EQ(in, 0);
	TF_CHECK(lo == BG_EXIT_USAGE && hi == BG_EXIT_USAGE, "out of range: %d %d", lo, hi);
	TF_CHECK(!strcmp(err, "bitgate t: --repetitions 0: expected 1..1000 (see bitgate t "
			      "--help)\nbitgate t: --retries 101: expected 0..100 (see bitgate t "
			      "--help)\n"),
		 "messages: %s", err);
	free(err);
}
