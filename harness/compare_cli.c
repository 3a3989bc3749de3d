/* What `bitgate compare` and `bitgate ci` share: their common options and the command
 * line kept for the evidence trail. */
#include "bg_compare_cli.h"

#include <stdlib.h>
#include <string.h>

#include "bg_buf.h"
#include "bg_proc.h"

void bg_compare_cli_defaults(struct bg_compare_cli *c)
{
	memset(c, 0, sizeof(*c));
	c->o.pin_cpu = -1;
	c->o.strict = -1;
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
