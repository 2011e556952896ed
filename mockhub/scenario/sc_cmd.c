/* sc_cmd.c -- `mockhub check FILE...`, `mockhub run [--landq PATH] SCENARIO...`,
 * `mockhub chaos [--landq PATH] --seed N [--count M]`. */
#include "sc_cmd.h"

#include "sc_chaos.h"
#include "sc_run.h"
#include "sc_scenario.h"

#include <curl/curl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int sc_cmd_check(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fprintf(argc < 2 ? stderr : stdout, "usage: mockhub check SCENARIO.json...\n"
                                            "Validates scenario files (docs/scenarios.md); errors as FILE:LINE: /pointer: message.\n");
        return argc < 2 ? 2 : 0;
    }
    int bad = 0;
    for (int i = 1; i < argc; i++) {
        sc_errors errs;
        sc_errors_init(&errs);
        sc_scenario s;
        if (sc_scenario_load(&s, argv[i], &errs) < 0) {
            for (size_t k = 0; k < errs.n; k++)
                fprintf(stderr, "%s\n", errs.items[k]);
            bad++;
        } else {
            sc_scenario_dispose(&s);
        }
        sc_errors_dispose(&errs);
    }
    printf("%d file%s checked, %d with errors\n", argc - 1, argc == 2 ? "" : "s", bad);
    return bad ? 1 : 0;
}

static char self_exe[PATH_MAX];

static int common_opts(int argc, char **argv, sc_run_opts *o, long *seed, long *count, int chaos)
{
    static const struct option opts[] = {{"landq", required_argument, NULL, 'l'},
                                         {"mockhub", required_argument, NULL, 'm'},
                                         {"seed", required_argument, NULL, 's'},
                                         {"count", required_argument, NULL, 'c'},
                                         {"keep", no_argument, NULL, 'k'},
                                         {"verbose", no_argument, NULL, 'v'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    memset(o, 0, sizeof *o);
    o->landq_exe = getenv("LANDQ") ? getenv("LANDQ") : "landq";
    o->landq_wrap = getenv("LANDQ_SCENARIO_WRAP");
    ssize_t n = readlink("/proc/self/exe", self_exe, sizeof self_exe - 1);
    self_exe[n > 0 ? n : 0] = '\0';
    o->mockhub_exe = n > 0 ? self_exe : "mockhub";
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "l:m:s:c:kvh", opts, NULL)) != -1) {
        char *end;
        switch (c) {
        case 'l': o->landq_exe = optarg; break;
        case 'm': o->mockhub_exe = optarg; break;
        case 's':
        case 'c': {
            long v = strtol(optarg, &end, 10);
            if (!chaos || *end || v < (c == 's' ? 0 : 1)) {
                fprintf(stderr, "mockhub: bad --%s \"%s\"\n", c == 's' ? "seed" : "count", optarg);
                return -1;
            }
            *(c == 's' ? seed : count) = v;
            break;
        }
        case 'k': o->keep = 1; break;
        case 'v': o->verbose = 1; break;
        case 'h': return 1;
        default: return -1;
        }
    }
    if (access(o->landq_exe, X_OK) != 0) {
        fprintf(stderr, "mockhub: landq not found at \"%s\" (use --landq PATH)\n", o->landq_exe);
        return -1;
    }
    return 0;
}

int sc_cmd_run(int argc, char **argv)
{
    sc_run_opts o;
    int rc = common_opts(argc, argv, &o, NULL, NULL, 0);
    if (rc != 0 || optind >= argc) {
        fprintf(rc == 1 ? stdout : stderr,
                "usage: mockhub run [--landq PATH] [--keep] [--verbose] SCENARIO.json...\n"
                "Plays each scenario against a fresh mockhub and landq (docs/scenarios.md).\n");
        return rc == 1 ? 0 : 2;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int passed = 0, failed = 0;
    for (int i = optind; i < argc; i++) {
        sc_errors errs;
        sc_errors_init(&errs);
        sc_scenario s;
        if (sc_scenario_load(&s, argv[i], &errs) < 0) {
            printf("FAIL  %s (invalid)\n", argv[i]);
            for (size_t k = 0; k < errs.n; k++)
                printf("  %s\n", errs.items[k]);
            sc_errors_dispose(&errs);
            failed++;
            continue;
        }
        sc_errors_dispose(&errs);
        sc_result res;
        sc_run(&s, &o, &res);
        const char *xfail = json_string_value(json_object_get(s.root, "expected_failure"));
        if (xfail && !res.ok) {
            printf("xfail %s (%.1fs): expected failure: %s\n", argv[i], res.seconds, xfail);
            if (o.verbose && res.report)
                printf("%s", res.report);
            passed++;
        } else if (xfail) {
            printf("FAIL  %s (%.1fs): passed unexpectedly; remove \"expected_failure\" (%s)\n", argv[i], res.seconds, xfail);
            failed++;
        } else if (res.ok) {
            printf("ok    %s (%.1fs)\n", argv[i], res.seconds);
            passed++;
        } else {
            printf("FAIL  %s (%.1fs)\n%s", argv[i], res.seconds, res.report ? res.report : "");
            failed++;
        }
        fflush(stdout);
        free(res.report);
        sc_scenario_dispose(&s);
    }
    printf("%d passed, %d failed\n", passed, failed);
    curl_global_cleanup();
    return failed ? 1 : 0;
}

int sc_cmd_chaos(int argc, char **argv)
{
    sc_run_opts o;
    long seed = -1, count = 1;
    int rc = common_opts(argc, argv, &o, &seed, &count, 1);
    if (rc != 0 || seed < 0 || optind != argc) {
        fprintf(rc == 1 ? stdout : stderr,
                "usage: mockhub chaos [--landq PATH] --seed N [--count M] [--keep] [--verbose]\n"
                "Generates M random scenarios from seeds N..N+M-1, plays each against landq and checks the\n"
                "invariants; a failing seed prints its scenario file.\n");
        return rc == 1 ? 0 : 2;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int passed = 0, failed = 0;
    for (long k = 0; k < count; k++) {
        json_t *doc = sc_chaos_generate((uint64_t)(seed + k));
        char *text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        json_decref(doc);
        char name[64];
        snprintf(name, sizeof name, "chaos-seed-%ld.json", seed + k);
        sc_errors errs;
        sc_errors_init(&errs);
        sc_scenario s;
        if (sc_scenario_parse(&s, text, strlen(text), name, &errs) < 0) {
            printf("FAIL  seed %ld: the generator made an invalid scenario:\n", seed + k);
            for (size_t i = 0; i < errs.n; i++)
                printf("  %s\n", errs.items[i]);
            printf("%s\n", text);
            failed++;
        } else {
            sc_result res;
            sc_run(&s, &o, &res);
            if (res.ok) {
                printf("ok    seed %ld (%.1fs)\n", seed + k, res.seconds);
                passed++;
            } else {
                printf("FAIL  seed %ld (%.1fs)\n%s  ---- the scenario (save as scenarios/chaos/seed-%ld.json):\n%s\n",
                       seed + k, res.seconds, res.report ? res.report : "", seed + k, text);
                failed++;
            }
            free(res.report);
            sc_scenario_dispose(&s);
        }
        fflush(stdout);
        sc_errors_dispose(&errs);
        free(text);
    }
    printf("%d passed, %d failed\n", passed, failed);
    curl_global_cleanup();
    return failed ? 1 : 0;
}
