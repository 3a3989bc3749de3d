/* Option parsing and help (see bg_cli.h). */
#include "bg_cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bg_buf.h"
#include "bg_error.h"

static struct bg_global global;

struct bg_global *bg_cli_global(void)
{
	return &global;
}

static int help_wanted;

static const struct bg_opt common_opts[] = {
	{"repo", 0, BG_OPT_STR, &global.repo, "DIR",
	 "repository to work on (default: the one containing the current directory)"},
	{"db", 0, BG_OPT_STR, &global.db, "FILE",
	 "database (default: .bitgate/bitgate.db in the repository)"},
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

int bg_cli_parse(const struct bg_cmd_info *cmd, const struct bg_opt *opts, int argc, char **argv,
		 char ***pos, int *npos)
{
	char **p = calloc((size_t)argc + 1, sizeof(*p));
	if (!p) {
		fprintf(stderr, "bitgate: out of memory\n");
		return BG_ENOMEM;
	}
	int np = 0, only_pos = 0;
	help_wanted = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (only_pos || a[0] != '-' || !a[1]) {
			p[np++] = argv[i];
			continue;
		}
		if (!strcmp(a, "--")) {
			only_pos = 1;
			continue;
		}
		const struct bg_opt *o;
		const char *val = NULL;
		int negated = 0;
		if (a[1] == '-') {
			const char *name = a + 2, *eq = strchr(name, '=');
			size_t n = eq ? (size_t)(eq - name) : strlen(name);
			o = find_long(opts, name, n, &negated);
			if (!o) {
				bg_cli_usage_error(cmd, "unknown option --%.*s", (int)n, name);
				goto bad;
			}
			if (eq)
				val = eq + 1;
		} else {
			o = find_short(opts, a[1]);
			if (!o || a[2]) {
				bg_cli_usage_error(cmd, "unknown option %s", a);
				goto bad;
			}
		}
		if (o->kind == BG_OPT_FLAG || o->kind == BG_OPT_NEGFLAG) {
			if (val) {
				bg_cli_usage_error(cmd, "--%s takes no value", o->name);
				goto bad;
			}
			*(int *)o->dst = !negated;
			continue;
		}
		if (!val) {
			if (i + 1 >= argc) {
				bg_cli_usage_error(cmd, "--%s needs a value (%s)", o->name,
						   o->arg ? o->arg : "VALUE");
				goto bad;
			}
			val = argv[++i];
		}
		if (store(cmd, o, val) < 0)
			goto bad;
	}
	if (help_wanted) {
		bg_cli_help(cmd, opts);
		free(p);
		return 1;
	}
	*pos = p;
	*npos = np;
	return 0;
bad:
	free(p);
	return BG_EINPUT;
}
