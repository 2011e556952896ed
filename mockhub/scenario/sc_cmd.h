/* sc_cmd.h -- mockhub subcommands of the scenario suite: check, run, chaos (docs/scenarios.md). */
#ifndef SC_CMD_H
#define SC_CMD_H

int sc_cmd_check(int argc, char **argv);
int sc_cmd_run(int argc, char **argv);
int sc_cmd_chaos(int argc, char **argv);

#endif
