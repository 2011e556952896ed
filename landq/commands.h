/* Subcommands of the landq program. Each takes argv with argv[0] = the subcommand name and
 * returns the process exit status: 0 ok, 1 "found problems" (where documented), 2 usage or
 * input error (one line on stderr). */
#ifndef LQ_COMMANDS_H
#define LQ_COMMANDS_H

int lq_cmd_owners(int argc, char **argv);
int lq_cmd_codeowners_check(int argc, char **argv);
int lq_cmd_serve(int argc, char **argv);
int lq_cmd_firewall(int argc, char **argv);
int lq_cmd_explain(int argc, char **argv);
int lq_cmd_audit(int argc, char **argv);
int lq_cmd_freeze(int argc, char **argv); /* freeze and unfreeze (argv[0] tells which) */

#endif
