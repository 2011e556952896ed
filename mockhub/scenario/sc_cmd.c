/* sc_cmd.c -- `mockhub check FILE...`, `mockhub run [--landq PATH] SCENARIO...`,
 * `mockhub chaos [--landq PATH] --seed N [--count M]`. */
#include "sc_cmd.h"

#include "sc_chaos.h"
#include "sc_run.h"
#include "sc_scenario.h"
#include "mh_util.h"

#include <curl/curl.h>
#include <ctype.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
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
static char found_landq[PATH_MAX + 32];

static int is_exe_file(const char *p)
{
    struct stat st;
    return p && stat(p, &st) == 0 && S_ISREG(st.st_mode) && access(p, X_OK) == 0;
}

/* Where landq is when --landq is not given: $LANDQ, then next to this mockhub in a build tree
 * (BUILD/mockhub/mockhub -> BUILD/landq/landq), then ./build/landq/landq, then "landq" on PATH.
 * NULL (tried[] says where it looked) when none is an executable file. */
static const char *find_landq(char *tried, size_t len)
{
    const char *env = getenv("LANDQ");
    if (env && *env) {
        snprintf(tried, len, "$LANDQ=%s", env);
        return env; /* checked (and refused when wrong) by the caller: never silently ignored */
    }
    mh_buf t;
    mh_buf_init(&t);
    char cand[PATH_MAX + 32];
    const char *slash = strrchr(self_exe, '/');
    if (slash) {
        snprintf(cand, sizeof cand, "%.*s/../landq/landq", (int)(slash - self_exe), self_exe);
        mh_buf_printf(&t, "%s", cand);
        if (is_exe_file(cand)) {
            char *real = realpath(cand, NULL);
            snprintf(found_landq, sizeof found_landq, "%s", real ? real : cand);
            free(real);
            mh_buf_dispose(&t);
            return found_landq;
        }
    }
    mh_buf_printf(&t, ", ./build/landq/landq");
    if (is_exe_file("./build/landq/landq")) {
        mh_buf_dispose(&t);
        return "./build/landq/landq";
    }
    const char *path = getenv("PATH");
    mh_buf_printf(&t, ", landq on PATH");
    for (const char *p = path; p && *p;) {
        const char *e = strchr(p, ':');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        snprintf(cand, sizeof cand, "%.*s/landq", (int)n, p);
        if (n && is_exe_file(cand)) {
            snprintf(found_landq, sizeof found_landq, "%s", cand);
            mh_buf_dispose(&t);
            return found_landq;
        }
        p = e ? e + 1 : p + n;
    }
    snprintf(tried, len, "%s", t.ptr ? t.ptr : "");
    mh_buf_dispose(&t);
    return NULL;
}

static long g_jobs = 1;
static long g_instances = 1;
static sc_chaos_mode g_mode = SC_CHAOS_DIRECT;

static int common_opts(int argc, char **argv, sc_run_opts *o, long *seed, long *count, int chaos)
{
    static const struct option opts[] = {{"landq", required_argument, NULL, 'l'},
                                         {"mockhub", required_argument, NULL, 'm'},
                                         {"seed", required_argument, NULL, 's'},
                                         {"count", required_argument, NULL, 'c'},
                                         {"jobs", required_argument, NULL, 'j'},
                                         {"instances", required_argument, NULL, 'i'},
                                         {"db", required_argument, NULL, 'd'},
                                         {"mode", required_argument, NULL, 'M'},
                                         {"keep", no_argument, NULL, 'k'},
                                         {"verbose", no_argument, NULL, 'v'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    memset(o, 0, sizeof *o);
    o->landq_wrap = getenv("LANDQ_SCENARIO_WRAP");
    o->pg = getenv("LQ_TEST_PG"); /* set by tests/support/pgtest.py run */
    ssize_t n = readlink("/proc/self/exe", self_exe, sizeof self_exe - 1);
    self_exe[n > 0 ? n : 0] = '\0';
    o->mockhub_exe = n > 0 ? self_exe : "mockhub";
    int given = 0;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "l:m:s:c:j:i:d:M:kvh", opts, NULL)) != -1) {
        char *end;
        switch (c) {
        case 'l':
            o->landq_exe = optarg;
            given = 1;
            break;
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
        case 'j':
            g_jobs = strtol(optarg, &end, 10);
            if (!chaos || *end || g_jobs < 1 || g_jobs > 32) {
                fprintf(stderr, "mockhub: bad --jobs \"%s\" (1..32)\n", optarg);
                return -1;
            }
            break;
        case 'i':
            g_instances = strtol(optarg, &end, 10);
            if (!chaos || *end || g_instances < 1 || g_instances > SC_MAX_INSTANCES) {
                fprintf(stderr, "mockhub: bad --instances \"%s\" (1..%d)\n", optarg, SC_MAX_INSTANCES);
                return -1;
            }
            break;
        case 'd': o->pg = optarg; break;
        case 'M':
            if (chaos && !strcmp(optarg, "direct"))
                g_mode = SC_CHAOS_DIRECT;
            else if (chaos && !strcmp(optarg, "predictive"))
                g_mode = SC_CHAOS_PREDICTIVE;
            else if (chaos && !strcmp(optarg, "direct-ci"))
                g_mode = SC_CHAOS_DIRECT_CI;
            else {
                fprintf(stderr, "mockhub: bad --mode \"%s\" (direct, predictive or direct-ci)\n", optarg);
                return -1;
            }
            break;
        case 'k': o->keep = 1; break;
        case 'v': o->verbose = 1; break;
        case 'h': return 1;
        default: return -1;
        }
    }
    char tried[PATH_MAX * 2] = "";
    if (!given) {
        o->landq_exe = find_landq(tried, sizeof tried);
        if (!o->landq_exe) {
            fprintf(stderr, "mockhub: cannot find landq (looked at %s): build it (ninja -C build) or give --landq PATH "
                            "(or set LANDQ)\n", tried);
            return -1;
        }
    }
    if (!is_exe_file(o->landq_exe)) {
        fprintf(stderr, "mockhub: landq at \"%s\"%s%s%s is not an executable file: give --landq PATH (e.g. "
                        "build/landq/landq)\n", o->landq_exe, tried[0] ? " (from " : "", tried, tried[0] ? ")" : "");
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
                "usage: mockhub run [--landq PATH] [--db CONNINFO] [--keep] [--verbose] SCENARIO.json...\n"
                "Plays each scenario against a fresh mockhub (--strict) and landq (docs/scenarios.md).\n"
                "  --landq PATH  the landq binary; default: $LANDQ, else the landq of this build tree\n"
                "                (BUILD/landq/landq next to BUILD/mockhub/mockhub), else ./build/landq/landq,\n"
                "                else landq on PATH\n"
                "  --db CONNINFO a PostgreSQL server (libpq conninfo or URI) for scenarios with several\n"
                "                landq (\"landq\": {\"instances\": N}): each gets a fresh database there;\n"
                "                default: $LQ_TEST_PG (set by tests/support/pgtest.py run)\n"
                "  --keep        keep the temporary directory (world, logs, databases) even on success\n"
                "  --verbose     print each step as it runs\n"
                "Environment: LANDQ (the landq binary), LANDQ_SCENARIO_WRAP (a wrapper, e.g. \"valgrind -q\").\n");
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
        const char *shows = json_string_value(json_object_get(s.root, "expected_failure_shows"));
        if (xfail && !res.ok && shows && (!res.report || !strstr(res.report, shows))) {
            printf("FAIL  %s (%.1fs): expected to fail showing \"%s\", but failed otherwise:\n%s", argv[i], res.seconds,
                   shows, res.report ? res.report : "");
            failed++;
        } else if (xfail && !res.ok) {
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

static long g_kills, g_kills_holder, g_kills_merge; /* totals over the seeds played in this process */
static long g_cand, g_cand_failed, g_main; /* the CI modes' totals */

/* The kills reported on a seed's first line ("..., K kills, H of a lease holder)"), for the totals
 * of a parallel campaign (each seed runs in a child). */
static void add_kills(const char *report)
{
    const char *p = strstr(report, "s, ");
    int k, h, m;
    if (p && sscanf(p, "s, %d kills, %d of a lease holder, %d in a merge", &k, &h, &m) == 3) {
        g_kills += k;
        g_kills_holder += h;
        g_kills_merge += m;
    }
    long c, f, n;
    const char *q = strstr(report, " candidates (");
    while (q && q > report && isdigit((unsigned char)q[-1]))
        q--;
    if (q && sscanf(q, "%ld candidates (%ld failed runs), %ld new commits on main", &c, &f, &n) == 3) {
        g_cand += c;
        g_cand_failed += f;
        g_main += n;
    }
}

/* Plays one seed; prints its report to out. Returns 1 when it passed. */
static int chaos_seed(long seed, const sc_run_opts *o, FILE *out)
{
    json_t *doc = sc_chaos_generate_with((uint64_t)seed, (int)g_instances, g_mode);
    char *text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(doc);
    char name[64];
    snprintf(name, sizeof name, "chaos-seed-%ld.json", seed);
    sc_errors errs;
    sc_errors_init(&errs);
    sc_scenario s;
    int ok = 0;
    if (sc_scenario_parse(&s, text, strlen(text), name, &errs) < 0) {
        fprintf(out, "FAIL  seed %ld: the generator made an invalid scenario:\n", seed);
        for (size_t i = 0; i < errs.n; i++)
            fprintf(out, "  %s\n", errs.items[i]);
        fprintf(out, "%s\n", text);
    } else {
        sc_result res;
        sc_run(&s, o, &res);
        char kills[192] = "";
        if (g_instances > 1)
            snprintf(kills, sizeof kills, ", %d kills, %d of a lease holder, %d in a merge", res.kills, res.kills_holder,
                     res.kills_merge);
        if (res.ci) /* what predictive mode did: the campaign's totals add these up */
            snprintf(kills + strlen(kills), sizeof kills - strlen(kills),
                     ", %ld candidates (%ld failed runs), %ld new commits on main", res.candidates, res.candidate_failed,
                     res.main_commits);
        if (res.ok) {
            fprintf(out, "ok    seed %ld (%.1fs%s)\n", seed, res.seconds, kills);
            ok = 1;
        } else {
            fprintf(out, "FAIL  seed %ld (%.1fs%s)\n%s  ---- the scenario (save as scenarios/chaos/seed-%ld.json):\n%s\n",
                    seed, res.seconds, kills, res.report ? res.report : "", seed, text);
        }
        g_kills += res.kills;
        g_kills_holder += res.kills_holder;
        g_kills_merge += res.kills_merge;
        g_cand += res.candidates;
        g_cand_failed += res.candidate_failed;
        g_main += res.main_commits;
        free(res.report);
        sc_scenario_dispose(&s);
    }
    sc_errors_dispose(&errs);
    free(text);
    return ok;
}

int sc_cmd_chaos(int argc, char **argv)
{
    sc_run_opts o;
    long seed = -1, count = 1;
    g_jobs = 1;
    g_instances = 1;
    g_mode = SC_CHAOS_DIRECT;
    int rc = common_opts(argc, argv, &o, &seed, &count, 1);
    if (rc != 0 || seed < 0 || optind != argc) {
        fprintf(rc == 1 ? stdout : stderr,
                "usage: mockhub chaos [--landq PATH] --seed N [--count M] [--jobs J] [--mode MODE]\n"
                "                     [--instances K [--db CONNINFO]] [--keep] [--verbose]\n"
                "Generates M random scenarios from seeds N..N+M-1, plays each against landq (J at a time) and\n"
                "checks the invariants; a failing seed prints its scenario file. --landq as for mockhub run.\n"
                "  --mode MODE    direct (default): landq in direct mode, checks posted by a ci-bot;\n"
                "                 predictive: the world gets mockhub's CI simulator (required check ci/test,\n"
                "                 rules: a broken-build marker, marker pairs that fail together, seeded\n"
                "                 flakes), some pull requests carry markers, landq runs in predictive mode\n"
                "                 with a seeded speculation, batch and retry_failed; invariant 6 (main\n"
                "                 is always green, judged by the CI rules) is checked;\n"
                "                 direct-ci: the same worlds and timelines with landq in direct mode\n"
                "                 (conflicting pairs land: invariant 6 fails, the oracle at work)\n"
                "  --instances K  K landq serve (2..%d) on one PostgreSQL database per seed, webhooks delivered\n"
                "                 round robin; each seed also SIGKILLs the lease holder 1-3 times at seeded\n"
                "                 steps and restarts it (default 1: one landq on SQLite, no kills)\n"
                "  --db CONNINFO  the PostgreSQL server for --instances (libpq conninfo or URI; a database is\n"
                "                 created per seed and dropped when it passes); default: $LQ_TEST_PG\n"
                "                 (tests/support/pgtest.py run -- mockhub chaos ... starts a throwaway one)\n",
                SC_MAX_INSTANCES);
        return rc == 1 ? 0 : 2;
    }
    int passed = 0, failed = 0;
    if (g_jobs == 1) {
        curl_global_init(CURL_GLOBAL_DEFAULT);
        for (long k = 0; k < count; k++) {
            if (chaos_seed(seed + k, &o, stdout))
                passed++;
            else
                failed++;
            fflush(stdout);
        }
        curl_global_cleanup();
    } else {
        /* J children at a time, one seed each; reports printed in seed order */
        FILE **outs = calloc((size_t)count, sizeof *outs);
        pid_t *pids = calloc((size_t)count, sizeof *pids);
        int *oks = calloc((size_t)count, sizeof *oks);
        long next = 0, done = 0, printed = 0, running = 0;
        while (done < count) {
            while (running < g_jobs && next < count) {
                outs[next] = tmpfile();
                fflush(stdout);
                pid_t pid = outs[next] ? fork() : -1;
                if (pid == 0) {
                    curl_global_init(CURL_GLOBAL_DEFAULT);
                    int ok = chaos_seed(seed + next, &o, outs[next]);
                    fflush(outs[next]);
                    _exit(ok ? 0 : 1);
                }
                pids[next] = pid;
                if (pid < 0) {
                    oks[next] = -1;
                    done++;
                } else {
                    running++;
                }
                next++;
            }
            int st;
            pid_t pid = wait(&st);
            if (pid < 0)
                break;
            for (long k = 0; k < next; k++) {
                if (pids[k] == pid) {
                    oks[k] = WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 1 : -1;
                    pids[k] = 0;
                    running--;
                    done++;
                }
            }
            while (printed < count && oks[printed]) {
                if (outs[printed]) {
                    rewind(outs[printed]);
                    char buf[8192];
                    size_t n;
                    int first = 1;
                    while ((n = fread(buf, 1, sizeof buf, outs[printed])) > 0) {
                        if (first) {
                            char line[256];
                            size_t l = strcspn(buf, "\n");
                            snprintf(line, sizeof line, "%.*s", (int)(l < n ? l : n), buf);
                            add_kills(line);
                            first = 0;
                        }
                        fwrite(buf, 1, n, stdout);
                    }
                    fclose(outs[printed]);
                }
                if (oks[printed] > 0)
                    passed++;
                else {
                    failed++;
                    if (!outs[printed])
                        printf("FAIL  seed %ld: could not start\n", seed + printed);
                }
                printed++;
                fflush(stdout);
            }
        }
        free(outs);
        free(pids);
        free(oks);
    }
    if (g_instances > 1)
        printf("%d passed, %d failed; %ld kills, %ld of a lease holder, %ld of them with its merge request in flight\n",
               passed, failed, g_kills, g_kills_holder, g_kills_merge);
    else if (g_mode != SC_CHAOS_DIRECT)
        printf("%d passed, %d failed; %ld candidates tested (%ld failed runs), %ld new commits on main\n", passed, failed,
               g_cand, g_cand_failed, g_main);
    else
        printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
