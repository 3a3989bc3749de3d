/* Option parsing and help (see bg_cli.h). */
#include "bg_cli.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bg_buf.h"
#include "bg_error.h"
#include "bg_regex.h"

static struct bg_global global;

struct bg_global *bg_cli_global(void)
{
	return &global;
}

static int help_wanted;

static const struct bg_opt common_opts[] = {
	{"repo", 0, BG_OPT_STR, &global.repo, "DIR",
	 "repository to work on (default: the one containing the current directory)"},
	{"db", 0, BG_OPT_STR, &global.db, "FILE|URI",
	 "database: a SQLite file, or a PostgreSQL URI (postgresql://USER@HOST:PORT/DB?sslmode="
	 "require) or conninfo (host=... dbname=...) whose password comes from ~/.pgpass or "
	 "$PGPASSWORD rather than the command line (default: $BITGATE_DB, else "
	 ".bitgate/bitgate.db in the repository)"},
	{"quiet", 'q', BG_OPT_FLAG, &global.quiet, NULL, "print errors only"},
	{"verbose", 'v', BG_OPT_FLAG, &global.verbose, NULL,
	 "also print every command run and file written"},
	{"help", 'h', BG_OPT_FLAG, &help_wanted, NULL, "show this help"},
	{NULL, 0, BG_OPT_END, NULL, NULL, NULL},
};

int bg_cli_usage_error(const struct bg_cmd_info *cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "bitgate %s: ", cmd->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see bitgate %s --help)\n", cmd->name);
	return BG_EXIT_USAGE;
}

int bg_cli_check_filter(const struct bg_cmd_info *cmd, const char *filter)
{
	regex_t re;
	char why[256];
	if (!filter)
		return 0;
	if (bg_regex_compile(&re, filter, why, sizeof(why)) < 0)
		return bg_cli_usage_error(cmd, "--filter '%.300s': %s", filter, why);
	regfree(&re);
	return 0;
}

static void print_opts(const struct bg_opt *o)
{
	for (; o && o->kind != BG_OPT_END; o++) {
		char left[64];
		char sh[8] = "    ";
		if (o->short_name)
			snprintf(sh, sizeof(sh), "-%c, ", o->short_name);
		snprintf(left, sizeof(left), "%s--%s%s%s%s", sh,
			 o->kind == BG_OPT_NEGFLAG ? "[no-]" : "", o->name, o->arg ? " " : "",
			 o->arg ? o->arg : "");
		printf("  %-26s %s\n", left, o->help);
	}
}

void bg_cli_help(const struct bg_cmd_info *cmd, const struct bg_opt *opts)
{
	printf("usage: %s\n\n%s\n", cmd->usage, cmd->summary);
	if (opts && opts->kind != BG_OPT_END) {
		printf("\noptions:\n");
		print_opts(opts);
	}
	printf("\ncommon options:\n");
	print_opts(common_opts);
	if (cmd->details)
		printf("\n%s", cmd->details);
}

static const struct bg_opt *find_long(const struct bg_opt *opts, const char *name, size_t n,
				      int *negated)
{
	const struct bg_opt *tables[2] = {opts, common_opts};
	for (int t = 0; t < 2; t++)
		for (const struct bg_opt *o = tables[t]; o && o->kind != BG_OPT_END; o++) {
			if (strlen(o->name) == n && !strncmp(o->name, name, n)) {
				*negated = 0;
				return o;
			}
			if (o->kind == BG_OPT_NEGFLAG && n == strlen(o->name) + 3 &&
			    !strncmp(name, "no-", 3) && !strncmp(name + 3, o->name, n - 3)) {
				*negated = 1;
				return o;
			}
		}
	return NULL;
}

static const struct bg_opt *find_short(const struct bg_opt *opts, char c)
{
	const struct bg_opt *tables[2] = {opts, common_opts};
	for (int t = 0; t < 2; t++)
		for (const struct bg_opt *o = tables[t]; o && o->kind != BG_OPT_END; o++)
			if (o->short_name && o->short_name == c)
				return o;
	return NULL;
}

static int store(const struct bg_cmd_info *cmd, const struct bg_opt *o, const char *v)
{
	switch (o->kind) {
	case BG_OPT_STR: *(const char **)o->dst = v; return 0;
	case BG_OPT_INT: {
		int64_t x;
		if (bg_parse_i64(v, &x) < 0 || x < -2147483647 || x > 2147483647) {
			bg_cli_usage_error(cmd, "--%s %s: expected an integer", o->name, v);
			return BG_EINPUT;
		}
		*(int *)o->dst = (int)x;
		return 0;
	}
	case BG_OPT_DOUBLE: {
		double x;
		if (bg_parse_double(v, &x) < 0) {
			bg_cli_usage_error(cmd, "--%s %s: expected a number", o->name, v);
			return BG_EINPUT;
		}
		*(double *)o->dst = x;
		return 0;
	}
	default: return 0;
	}
}

/* One parse of an argument vector: the command's table, where the positional arguments go,
 * and whether this is main's parse of the options before the command (which stops at the
 * command and reports any problem as an unknown option, as main always has). */
struct parse_state {
	const struct bg_cmd_info *cmd; /* NULL for the options before the command */
	const struct bg_opt *opts;
	int argc;
	char **argv;
	int i; /* the argument being parsed */
	char **pos;
	int npos;
};

static int parse_error(const struct parse_state *st, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int parse_error(const struct parse_state *st, const char *fmt, ...)
{
	if (!st->cmd) {
		fprintf(stderr, "bitgate: unknown option %s (see bitgate --help)\n",
			st->argv[st->i]);
		return BG_EINPUT;
	}
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	bg_cli_usage_error(st->cmd, "%s", msg);
	return BG_EINPUT;
}

/* The option argv[st->i] names (and its "=value", if any), or NULL after an error. */
static const struct bg_opt *lookup(struct parse_state *st, const char **val, int *negated)
{
	const char *a = st->argv[st->i];
	*val = NULL;
	*negated = 0;
	if (a[1] != '-') {
		const struct bg_opt *o = find_short(st->opts, a[1]);
		if (!o || a[2]) {
			parse_error(st, "unknown option %s", a);
			return NULL;
		}
		return o;
	}
	const char *name = a + 2, *eq = strchr(name, '=');
	size_t n = eq ? (size_t)(eq - name) : strlen(name);
	const struct bg_opt *o = find_long(st->opts, name, n, negated);
	if (!o) {
		parse_error(st, "unknown option --%.*s", (int)n, name);
		return NULL;
	}
	if (eq)
		*val = eq + 1;
	return o;
}

/* Parses the option argv[st->i] (taking its value from the next argument when it needs
 * one): 0 or BG_EINPUT after the message. */
static int parse_option(struct parse_state *st, const struct bg_opt **out)
{
	const char *val;
	int negated;
	const struct bg_opt *o = *out = lookup(st, &val, &negated);
	if (!o)
		return BG_EINPUT;
	if (o->kind == BG_OPT_FLAG || o->kind == BG_OPT_NEGFLAG) {
		if (val)
			return parse_error(st, "--%s takes no value", o->name);
		*(int *)o->dst = !negated;
		return 0;
	}
	if (!val) {
		if (st->i + 1 >= st->argc)
			return parse_error(st, "--%s needs a value (%s)", o->name,
					   o->arg ? o->arg : "VALUE");
		val = st->argv[++st->i];
	}
	return store(st->cmd, o, val);
}

int bg_cli_parse(const struct bg_cmd_info *cmd, const struct bg_opt *opts, int argc, char **argv,
		 char ***pos, int *npos)
{
	struct parse_state st = {.cmd = cmd, .opts = opts, .argc = argc, .argv = argv};
	st.pos = calloc((size_t)argc + 1, sizeof(*st.pos));
	if (!st.pos) {
		fprintf(stderr, "bitgate: out of memory\n");
		return BG_ENOMEM;
	}
	int only_pos = 0;
	help_wanted = 0;
	for (st.i = 1; st.i < argc; st.i++) {
		const char *a = argv[st.i];
		const struct bg_opt *o;
		if (only_pos || a[0] != '-' || !a[1])
			st.pos[st.npos++] = argv[st.i];
		else if (!strcmp(a, "--"))
			only_pos = 1;
		else if (parse_option(&st, &o) < 0)
			goto bad;
	}
	if (help_wanted) {
		bg_cli_help(cmd, opts);
		free(st.pos);
		return 1;
	}
	*pos = st.pos;
	*npos = st.npos;
	return 0;
bad:
	free(st.pos);
	return BG_EINPUT;
}

static int in_table(const struct bg_opt *opts, const struct bg_opt *o)
{
	for (; opts && opts->kind != BG_OPT_END; opts++)
		if (opts == o)
			return 1;
	return 0;
}

int bg_cli_parse_global(const struct bg_opt *opts, int argc, char **argv, int *next)
{
	struct parse_state st = {.opts = opts, .argc = argc, .argv = argv};
	help_wanted = 0;
	for (st.i = 1; st.i < argc && argv[st.i][0] == '-'; st.i++) {
		const struct bg_opt *o;
		if (parse_option(&st, &o) < 0)
			return BG_EINPUT;
		/* --help, and an option of main's own (--version), are acted on alone */
		if (help_wanted || in_table(opts, o)) {
			*next = st.i + 1;
			return help_wanted ? 1 : 0;
		}
	}
	*next = st.i;
	return 0;
}

int bg_cli_parse_args(const struct bg_cmd_info *cmd, const struct bg_opt *opts, int argc,
		      char **argv, const char **args, int max, const char *too_many)
{
	char **pos = NULL;
	int npos = 0;
	int rc = bg_cli_parse(cmd, opts, argc, argv, &pos, &npos);
	if (rc)
		return bg_cli_exit_status(rc);
	for (int i = 0; i < max; i++)
		args[i] = i < npos ? pos[i] : NULL;
	free(pos);
	return npos > max ? bg_cli_usage_error(cmd, "%s", too_many) : BG_CLI_GO_ON;
}

void bg_cli_print_json(struct cJSON *doc)
{
	char *text = cJSON_Print(doc);
	if (text)
		printf("%s\n", text);
	free(text);
	cJSON_Delete(doc);
}

int bg_cli_exit_status(int parse_rc)
{
	return parse_rc == 1 ? BG_EXIT_OK : BG_EXIT_USAGE;
}

int bg_cli_choice(const struct bg_cmd_info *cmd, const char *opt, const char *value,
		  const char *const *names)
{
	size_t n = 0;
	for (; names[n]; n++)
		if (!strcmp(names[n], value))
			return (int)n;
	struct bg_buf list = BG_BUF_INIT;
	for (size_t i = 0; i < n; i++)
		bg_buf_printf(&list, "%s%s", i == 0 ? "" : i + 1 < n ? ", " : " or ", names[i]);
	bg_cli_usage_error(cmd, "--%s %s: expected %s", opt, value, bg_buf_cstr(&list));
	bg_buf_free(&list);
	return -1;
}

int bg_cli_check_range(const struct bg_cmd_info *cmd, const char *opt, int value, int lo, int hi)
{
	if (value >= lo && value <= hi)
		return 0;
	return bg_cli_usage_error(cmd, "--%s %d: expected %d..%d", opt, value, lo, hi);
}
