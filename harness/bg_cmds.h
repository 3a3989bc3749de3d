/* The subcommands; one cmd_<name>.c each. argv[0] is the command's name; app is prepared by
 * main with what the command table asks for, opened by the command with bg_app_setup once its
 * options are parsed, and closed by main. Each returns the process exit status (0 ok, 1 a
 * gate failed, 2 usage or bad input, 3 infrastructure). */
#ifndef BG_CMDS_H
#define BG_CMDS_H

struct bg_app;

int cmd_run(struct bg_app *app, int argc, char **argv);
int cmd_show(struct bg_app *app, int argc, char **argv);
int cmd_log(struct bg_app *app, int argc, char **argv);
int cmd_cache(struct bg_app *app, int argc, char **argv);
int cmd_db(struct bg_app *app, int argc, char **argv);
int cmd_compare(struct bg_app *app, int argc, char **argv);
int cmd_ci(struct bg_app *app, int argc, char **argv);
int cmd_report(struct bg_app *app, int argc, char **argv);
int cmd_nightly(struct bg_app *app, int argc, char **argv);
int cmd_bisect(struct bg_app *app, int argc, char **argv);
int cmd_site(struct bg_app *app, int argc, char **argv);

#endif
