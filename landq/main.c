/* landq: a land queue for GitHub monorepos. Subcommand dispatch only; see commands.h. */
#include <stdio.h>
#include <string.h>

#include "commands.h"

#ifndef LANDQ_VERSION
#define LANDQ_VERSION "0.1.0"
#endif

struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
};

static const struct command commands[] = {
    {"owners", lq_cmd_owners, "show the code owners of paths (GitHub CODEOWNERS semantics)"},
    {"codeowners-check", lq_cmd_codeowners_check, "report errors in a CODEOWNERS file"},
    {"serve", lq_cmd_serve, "run the land queue: webhook intake, owner-approval policy, squash landing"},
    {"firewall", lq_cmd_firewall, "print firewall rules admitting only GitHub's webhook ranges"},
    {"explain", lq_cmd_explain, "why a pull request would or would not land (owners, approvals, checks)"},
    {"audit", lq_cmd_audit, "print the decisions landq recorded (landed, refused, waiting...)"},
    {"freeze", lq_cmd_freeze, "freeze merges into a branch (asks the running server)"},
    {"unfreeze", lq_cmd_freeze, "lift a merge freeze (asks the running server)"},
    {"resume", lq_cmd_freeze, "restart a branch's queue halted by a safety incident (= unfreeze)"},
};

static void usage(FILE *out)
{
    fprintf(out, "Usage: landq COMMAND [OPTIONS]\n"
                 "       landq --help | --version\n\n"
                 "A land queue for GitHub monorepos: pull requests labeled for landing are merged\n"
                 "only when every changed file is approved by one of its CODEOWNERS.\n\n"
                 "Commands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(out, "  %-18s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\nRun 'landq COMMAND --help' for the options of a command.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
        printf("landq %s\n", LANDQ_VERSION);
        return 0;
    }
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].run(argc - 1, argv + 1);
    if (argv[1][0] == '-')
        fprintf(stderr, "landq: unknown option '%s' (try 'landq --help')\n", argv[1]);
    else
        fprintf(stderr, "landq: unknown command '%s' (try 'landq --help')\n", argv[1]);
    return 2;
}
