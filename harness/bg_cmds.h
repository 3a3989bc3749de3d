/* The subcommands; one cmd_<name>.c each. argv[0] is the command's name; each returns the
 * process exit status (0 ok, 1 a gate failed, 2 usage or bad input, 3 infrastructure). */
#ifndef BG_CMDS_H
#define BG_CMDS_H

int cmd_run(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_log(int argc, char **argv);
int cmd_cache(int argc, char **argv);
int cmd_db(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_ci(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_nightly(int argc, char **argv);
int cmd_bisect(int argc, char **argv);

#endif
