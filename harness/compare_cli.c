/* What `bitgate compare` and `bitgate ci` share: their common options and the command
 * line kept for the evidence trail. */
#include "bg_compare_cli.h"

#include <stdlib.h>
#include <string.h>

#include "bg_buf.h"
#include "bg_error.h"
#include "bg_proc.h"

void bg_compare_cli_defaults(struct bg_compare_cli *c)
{
	memset(c, 0, sizeof(*c));
	c->o.pin_cpu = -1;
	c->o.seed = 0x6b17617465ULL; /* fixed: the same samples give the same decision */
	c->format = "table";
}

char *bg_compare_cli_command(int argc, char **argv)
{
	struct bg_buf b = BG_BUF_INIT;
	char *full[256];
	int n = 0;
	full[n++] = "bitgate";
	for (int i = 0; i < argc && n < 255; i++)
		full[n++] = argv[i];
	full[n] = NULL;
	char line[4096];
	bg_argv_format(full, line, sizeof(line));
	bg_buf_puts(&b, line);
	return bg_buf_detach(&b);
}

int bg_compare_cli_finish(struct bg_compare_cli *c, const struct bg_cmd_info *info)
{
	/* 0 keeps gates.rounds, though the message names the range one may give */
	if (c->o.rounds < 0 || c->o.rounds > BG_REPETITIONS_MAX)
		return bg_cli_usage_error(info, "--rounds %d: expected 1..%d", c->o.rounds,
					  BG_REPETITIONS_MAX);
	if (bg_cli_check_filter(info, c->o.filter))
		return BG_EXIT_USAGE;
	if (c->seed)
		c->o.seed = (uint64_t)c->seed;
	if (c->head_env) {
		const char *eq = strchr(c->head_env, '=');
		if (!eq || eq == c->head_env)
			return bg_cli_usage_error(info, "--head-env %s: expected KEY=VALUE",
						  c->head_env);
		c->head_env_v[0] = (char *)c->head_env;
		c->head_env_v[1] = NULL;
		c->o.head_env = c->head_env_v;
	}
	return 0;
}

int bg_compare_cli_open(struct bg_compare_cli *c, int argc, char **argv, struct bg_app *app,
			char **command)
{
	*command = bg_compare_cli_command(argc, argv);
	c->o.command = *command;
	int status = bg_app_setup(app);
	if (status) {
		free(*command);
		*command = NULL;
		c->o.command = NULL;
		return status;
	}
	bg_signals_install();
	return 0;
}
