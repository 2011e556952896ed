/* main.c -- the mockhub program: one binary, subcommands. `serve` runs the emulated GitHub.
 * To add a subcommand (run, check, chaos...), add a row to `commands` below. */
#include "mockhub.h"
#include "ci.h"
#include "sc_cmd.h"

#include <curl/curl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage_serve(FILE *f)
{
    fprintf(f, "usage: mockhub serve --world FILE [--listen ADDR:PORT] [--port-file PATH] [--state-dir DIR] [--strict]\n"
               "                     [--public-url URL]\n"
               "Serves GitHub's REST API, webhooks and git smart HTTP for the world in FILE (docs/mockhub.md).\n"
               "  --world FILE       world file (JSON, see docs/world.md)\n"
               "  --listen ADDR:PORT address to listen on (default 127.0.0.1:0 = a free port)\n"
               "  --public-url URL   the base of the URLs in answers (Link, url, clone_url...), when clients\n"
               "                     reach mockhub at another address, e.g. http://mockhub:3000 (default:\n"
               "                     http://ADDR:PORT of --listen; 0.0.0.0 gives http://127.0.0.1:PORT)\n"
               "  --port-file PATH   write the bound port there once listening\n"
               "  --state-dir DIR    where the bare repositories live (default: a new temp dir)\n"
               "  --strict           a GitHub endpoint mockhub does not implement answers 501 (default 404);\n"
               "                     either way with the header X-Mockhub-Unimplemented: METHOD ROUTE\n"
               "Control API (tests): http://ADDR:PORT/_mockhub/v1/... (docs/mockhub.md, \"Control API\").\n");
}

static int cmd_serve(int argc, char **argv)
{
    static const struct option opts[] = {{"world", required_argument, NULL, 'w'},
                                         {"listen", required_argument, NULL, 'l'},
                                         {"port-file", required_argument, NULL, 'p'},
                                         {"state-dir", required_argument, NULL, 's'},
                                         {"strict", no_argument, NULL, 'S'},
                                         {"public-url", required_argument, NULL, 'u'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *world = NULL, *listen_addr = NULL, *port_file = NULL, *state_dir = NULL, *public_url = NULL;
    int c, strict = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "w:l:p:s:h", opts, NULL)) != -1) {
        switch (c) {
        case 'w': world = optarg; break;
        case 'l': listen_addr = optarg; break;
        case 'p': port_file = optarg; break;
        case 's': state_dir = optarg; break;
        case 'S': strict = 1; break;
        case 'u': public_url = optarg; break;
        case 'h': usage_serve(stdout); return 0;
        default: usage_serve(stderr); return 2;
        }
    }
    if (!world || optind != argc) {
        usage_serve(stderr);
        return 2;
    }
    if (public_url && ((strncmp(public_url, "http://", 7) && strncmp(public_url, "https://", 8)) ||
                       strlen(public_url) > 200 || strpbrk(public_url, " ?#\"\r\n"))) {
        fprintf(stderr, "mockhub: --public-url wants http://HOST[:PORT] or https://..., got \"%s\"\n", public_url);
        return 2;
    }
    char err[1024];
    mh_world w;
    if (mh_world_load(&w, world, err, sizeof err) < 0) {
        fprintf(stderr, "mockhub: %s\n", err);
        return 2;
    }
    char tmpdir[] = "/tmp/mockhub-state-XXXXXX";
    if (!state_dir) {
        if (!mkdtemp(tmpdir)) {
            perror("mockhub: mkdtemp");
            mh_world_dispose(&w);
            return 1;
        }
        state_dir = tmpdir;
    }
    git_libgit2_init();
    curl_global_init(CURL_GLOBAL_DEFAULT);
    static mh_state st;
    int rc;
    st.base_url = NULL;
    if (mh_state_init(&st, &w, state_dir, err, sizeof err) < 0 || mh_ci_setup(w.root, err, sizeof err) < 0) {
        fprintf(stderr, "mockhub: %s\n", err);
        rc = 2;
    } else {
        st.strict = strict;
        st.public_url = public_url;
        mh_log("info", "world-loaded", "file=%s users=%zu repos=%zu strict=%d", world, st.nusers, st.nrepos, strict);
        rc = mh_server_run(listen_addr, port_file);
    }
    mh_ci_dispose();
    mh_state_dispose(&st);
    mh_world_dispose(&w);
    if (state_dir == tmpdir) { /* a state dir we made ourselves does not outlive us */
        extern char **environ;
        char *rm[] = {"rm", "-rf", tmpdir, NULL};
        pid_t pid;
        int status;
        if (posix_spawnp(&pid, "rm", NULL, NULL, rm, environ) == 0)
            waitpid(pid, &status, 0);
    }
    curl_global_cleanup();
    git_libgit2_shutdown();
    return rc;
}

static int cmd_check_world(int argc, char **argv)
{
    if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        printf("usage: mockhub check-world FILE\n"
               "Validates a world file (docs/world.md), its \"include\" chain too; errors as FILE:LINE: /pointer: message.\n");
        return 0;
    }
    if (argc != 2 || argv[1][0] == '-') {
        fprintf(stderr, "usage: mockhub check-world FILE\n");
        return 2;
    }
    char err[1024];
    mh_world w;
    if (mh_world_load(&w, argv[1], err, sizeof err) < 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    mh_world_dispose(&w);
    printf("%s: ok\n", argv[1]);
    return 0;
}

static const struct {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *help;
} commands[] = {
    {"serve", cmd_serve, "run the emulated GitHub API, webhooks and git smart HTTP"},
    {"check-world", cmd_check_world, "validate a world file (errors as FILE:LINE)"},
    {"check", sc_cmd_check, "validate scenario files (docs/scenarios.md)"},
    {"run", sc_cmd_run, "play scenarios against landq: mockhub run [--landq PATH] FILE..."},
    {"chaos", sc_cmd_chaos, "random scenarios against landq: mockhub chaos --seed N [--count M] [--jobs J] [--mode predictive]"},
};

int main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        FILE *f = argc < 2 ? stderr : stdout;
        fprintf(f, "usage: mockhub COMMAND [ARGS]\n       mockhub --help | --version\ncommands:\n");
        for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
            fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].help);
        fprintf(f, "Run 'mockhub COMMAND --help' for the options of a command.\n");
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
        printf("mockhub %s (control API 1)\n", MOCKHUB_VERSION);
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "mockhub: unknown command \"%s\" (try --help)\n", argv[1]);
    return 2;
}
