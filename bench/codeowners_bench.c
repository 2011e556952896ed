/* CODEOWNERS benchmark: parse+compile time, matching throughput (one core) and peak memory on a
 * workload from shared/bench/gen-codeowners-workload.js (DIR/CODEOWNERS + DIR/paths.txt).
 * Usage: codeowners_bench DIR [--iterations N] [--no-cache] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "codeowners.h"
#include "fsutil.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: codeowners_bench DIR [--iterations N] [--no-cache]\n");
        return 2;
    }
    int iters = 5, use_cache = 1;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--iterations") && i + 1 < argc)
            iters = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--no-cache"))
            use_cache = 0;
        else {
            fprintf(stderr, "codeowners_bench: unknown argument '%s'\n", argv[i]);
            return 2;
        }
    }
    char path[4096];
    char *text, *paths;
    size_t tlen, plen;
    lq_error err;
    snprintf(path, sizeof(path), "%s/CODEOWNERS", argv[1]);
    if (lq_file_read(&text, &tlen, path, LQ_CODEOWNERS_MAX_BYTES, &err)) {
        fprintf(stderr, "codeowners_bench: %s\n", err.msg);
        return 2;
    }
    snprintf(path, sizeof(path), "%s/paths.txt", argv[1]);
    if (lq_file_read(&paths, &plen, path, (size_t)1 << 30, &err)) {
        fprintf(stderr, "codeowners_bench: %s\n", err.msg);
        return 2;
    }
    /* Index the paths once (offsets), so the timed loop only matches. */
    size_t n = 0, cap = 1024;
    size_t *off = malloc(cap * sizeof(size_t)), *len = malloc(cap * sizeof(size_t));
    for (size_t i = 0; i < plen;) {
        char *nl = memchr(paths + i, '\n', plen - i);
        size_t e = nl ? (size_t)(nl - paths) : plen;
        if (e > i) {
            if (n == cap) {
                cap *= 2;
                off = realloc(off, cap * sizeof(size_t));
                len = realloc(len, cap * sizeof(size_t));
            }
            off[n] = i;
            len[n++] = e - i;
        }
        i = e + 1;
    }

    /* Parse + compile: median of 5. */
    double pt[5];
    lq_codeowners *co = NULL;
    for (int k = 0; k < 5; k++) {
        lq_codeowners_free(co);
        double t0 = now_s();
        if (lq_codeowners_parse(&co, text, tlen, &err)) {
            fprintf(stderr, "codeowners_bench: %s\n", err.msg);
            return 2;
        }
        pt[k] = now_s() - t0;
    }
    qsort(pt, 5, sizeof(double), cmp_double);

    /* Matching: each iteration matches every path once with a fresh cache. */
    double *mt = malloc((size_t)iters * sizeof(double));
    unsigned long long checksum = 0, unowned = 0, norule = 0;
    for (int k = 0; k < iters; k++) {
        lq_codeowners_cache *cache = NULL;
        if (use_cache)
            lq_codeowners_cache_new(&cache, co);
        double t0 = now_s();
        for (size_t i = 0; i < n; i++) {
            lq_codeowners_match m;
            lq_codeowners_match_path(co, cache, paths + off[i], len[i], &m);
            checksum += m.line;
            if (k == 0) {
                unowned += m.line && !m.owner_count;
                norule += !m.line;
            }
        }
        mt[k] = now_s() - t0;
        lq_codeowners_cache_free(cache);
    }
    qsort(mt, (size_t)iters, sizeof(double), cmp_double);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("workload:          %s\n", argv[1]);
    printf("rules:             %zu (%zu errors), CODEOWNERS %zu bytes\n",
           lq_codeowners_rule_count(co), lq_codeowners_error_count(co), tlen);
    printf("parse+compile:     %.2f ms (median of 5)\n", pt[2] * 1e3);
    printf("paths:             %zu (%llu no rule, %llu unowned)%s\n", n, norule, unowned,
           use_cache ? "" : ", directory cache OFF");
    printf("match all paths:   %.2f ms (median of %d), best %.2f ms\n", mt[iters / 2] * 1e3, iters,
           mt[0] * 1e3);
    printf("throughput:        %.0f paths/s (median), %.0f paths/s (best), one core\n",
           (double)n / mt[iters / 2], (double)n / mt[0]);
    printf("peak memory (RSS): %.1f MiB (includes the %.1f MiB paths file)\n",
           (double)ru.ru_maxrss / 1024.0, (double)plen / 1048576.0);
    printf("checksum:          %llu\n", checksum);
    free(mt);
    free(off);
    free(len);
    free(paths);
    free(text);
    lq_codeowners_free(co);
    return 0;
}
