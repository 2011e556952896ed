/* conflict_bench -- times the mirror and the conflict check on a large generated repository.
 *
 *   conflict_bench [--files 20000] [--commits 5000] [--rounds 5] [--dir DIR]
 *                  [--url URL --token TOKEN --push-url URL --pull N] [--generate-only]
 *
 * 1. Generates (once per DIR) a repository with --files files and --commits commits on main
 *    (git fast-import), and a pull request head (refs/pull/1/head, also branch "feature") that
 *    branches 10 commits before the tip and conflicts with main in one file.
 * 2. First mirror fetch into an empty mirror (landq/io/mirror_fetch.c), timed.
 * 3. --rounds times: one new commit on main (outside the timing; pushed to --push-url when
 *    serving over HTTP), then the incremental fetch and the conflict check (io/conflicts.c
 *    + the report), each timed. Target: incremental fetch + conflict check under 200 ms.
 * The remote is file://DIR/src.git unless --url names another (e.g. mockhub's git smart HTTP,
 * which bench/conflict_bench.py sets up); the output says which. */
#include <git2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "conflict_report.h"
#include "conflicts.h"
#include "mirror.h"

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void die(const char *what)
{
    const git_error *e = git_error_last();
    fprintf(stderr, "conflict_bench: %s%s%s\n", what, e ? ": " : "", e ? e->message : "");
    exit(1);
}

static void path_of(char *out, size_t cap, long i)
{
    snprintf(out, cap, "d%03ld/f%03ld.txt", i / 100, i % 100);
}

static void emit_file(FILE *p, const char *path, const char *content)
{
    fprintf(p, "M 100644 inline %s\ndata %zu\n%s\n", path, strlen(content), content);
}

static void content_of(char *out, size_t cap, const char *path, const char *line2)
{
    snprintf(out, cap, "file %s\n%s\nline 3\nline 4\nline 5\nline 6\nline 7\nline 8\n", path,
             line2);
}

/* The repository, with git fast-import: one root commit with every file, then one small change
 * per commit; the pull request branches at commits-10 and edits line 2 of file 0, which main
 * also edits at commits-5. */
static void generate(const char *src, long files, long commits)
{
    char cmd[2200];
    snprintf(cmd, sizeof cmd, "git init -q --bare '%s' && git -C '%s' fast-import --quiet", src,
             src);
    FILE *p = popen(cmd, "w");
    if (!p)
        die("cannot run git fast-import");
    char path[64], content[512], msg[128];
    long t0 = 1700000000;
    long fork_at = commits > 20 ? commits - 10 : 1;
    for (long c = 1; c <= commits; c++) {
        fprintf(p, "commit refs/heads/main\nmark :%ld\ncommitter Bench <bench@example.com> %ld "
                "+0000\n", c, t0 + c);
        if (c == 1)
            snprintf(msg, sizeof msg, "Initial import");
        else
            snprintf(msg, sizeof msg, "bench change %ld (#%ld)", c, c + 1000);
        fprintf(p, "data %zu\n%s\n", strlen(msg), msg);
        if (c > 1)
            fprintf(p, "from :%ld\n", c - 1);
        if (c == 1) {
            for (long i = 0; i < files; i++) {
                path_of(path, sizeof path, i);
                content_of(content, sizeof content, path, "line 2");
                emit_file(p, path, content);
            }
        } else if (c == commits - 5) {
            path_of(path, sizeof path, 0);
            content_of(content, sizeof content, path, "line 2 changed on main");
            emit_file(p, path, content);
        } else {
            for (int k = 0; k < 1 + (int)(c % 3); k++) {
                long i = 1 + (c * 7919 + k * 104729) % (files - 1);
                path_of(path, sizeof path, i);
                char l2[64];
                snprintf(l2, sizeof l2, "line 2 v%ld", c);
                content_of(content, sizeof content, path, l2);
                emit_file(p, path, content);
            }
        }
        fputc('\n', p);
    }
    fprintf(p, "commit refs/heads/feature\nmark :%ld\ncommitter Dev <dev@example.com> %ld "
            "+0000\ndata 10\npr change\nfrom :%ld\n", commits + 1, t0 + commits + 1, fork_at);
    path_of(path, sizeof path, 0);
    content_of(content, sizeof content, path, "line 2 changed by the pull request");
    emit_file(p, path, content);
    fputc('\n', p);
    fprintf(p, "reset refs/pull/1/head\nfrom :%ld\n\n", commits + 1);
    if (pclose(p) != 0)
        die("git fast-import failed");
}

/* One new commit on main in the source repository (a file far from the conflict). */
static void add_commit(git_repository *src, int round)
{
    git_oid tip;
    git_commit *parent = NULL;
    git_tree *tree = NULL, *ntree = NULL;
    if (git_reference_name_to_id(&tip, src, "refs/heads/main") ||
        git_commit_lookup(&parent, src, &tip) || git_commit_tree(&tree, parent))
        die("reading main");
    char text[128];
    snprintf(text, sizeof text, "round %d at %.0f\n", round, now_ms());
    git_tree_update up;
    memset(&up, 0, sizeof up);
    up.action = GIT_TREE_UPDATE_UPSERT;
    up.filemode = GIT_FILEMODE_BLOB;
    up.path = "d199/f099.txt";
    if (git_blob_create_from_buffer(&up.id, src, text, strlen(text)))
        die("blob");
    git_oid tid, cid;
    if (git_tree_create_updated(&tid, src, tree, 1, &up) || git_tree_lookup(&ntree, src, &tid))
        die("tree");
    git_signature *sig = NULL;
    if (git_signature_now(&sig, "Bench", "bench@example.com"))
        die("signature");
    char msg[64];
    snprintf(msg, sizeof msg, "bench round %d (#%d)", round, 9000 + round);
    const git_commit *parents[] = {parent};
    if (git_commit_create(&cid, src, "refs/heads/main", sig, sig, NULL, msg, ntree, 1, parents))
        die("commit");
    git_signature_free(sig);
    git_tree_free(ntree);
    git_tree_free(tree);
    git_commit_free(parent);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    long files = 20000, commits = 5000;
    int rounds = 5, pull = 1, generate_only = 0;
    const char *dir = NULL, *url = NULL, *token = NULL, *push_url = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--files") && v)
            files = atol(v), i++;
        else if (!strcmp(a, "--commits") && v)
            commits = atol(v), i++;
        else if (!strcmp(a, "--rounds") && v)
            rounds = atoi(v), i++;
        else if (!strcmp(a, "--dir") && v)
            dir = v, i++;
        else if (!strcmp(a, "--url") && v)
            url = v, i++;
        else if (!strcmp(a, "--token") && v)
            token = v, i++;
        else if (!strcmp(a, "--push-url") && v)
            push_url = v, i++;
        else if (!strcmp(a, "--generate-only"))
            generate_only = 1;
        else if (!strcmp(a, "--pull") && v)
            pull = atoi(v), i++;
        else {
            fprintf(stderr, "usage: conflict_bench [--files N] [--commits N] [--rounds N] "
                            "[--dir DIR] [--url URL --token TOKEN --push-url URL --pull N] "
                            "[--generate-only]\n");
            return 2;
        }
    }
    if (files < 200 || commits < 30 || rounds < 1 || rounds > 1000) {
        fprintf(stderr, "conflict_bench: need --files >= 200, --commits >= 30, 1..1000 rounds\n");
        return 2;
    }
    char tmpl[] = "/tmp/lq-conflict-bench-XXXXXX";
    if (!dir && !(dir = mkdtemp(tmpl)))
        die("mkdtemp");
    char src[1024], mpath[1200], file_url[1100];
    snprintf(src, sizeof src, "%s/src.git", dir);
    snprintf(mpath, sizeof mpath, "%s/mirrors/acme/bench.git", dir);
    snprintf(file_url, sizeof file_url, "file://%s", src);
    git_libgit2_init();

    struct stat st;
    if (stat(src, &st)) {
        double t = now_ms();
        generate(src, files, commits);
        printf("generated %ld files, %ld commits in %s (%.0f ms; not part of the figures)\n",
               files, commits, src, now_ms() - t);
    } else {
        printf("reusing the generated repository %s\n", src);
    }
    if (generate_only)
        return 0;
    git_repository *srepo = NULL;
    if (git_repository_open_bare(&srepo, src))
        die("opening the source");
    if (push_url) {
        char cmd[3000];
        snprintf(cmd, sizeof cmd, "git -C '%s' push -q --force '%s' main feature 2>&1", src,
                 push_url);
        if (system(cmd))
            die("pushing to --push-url");
    }
    printf("remote: %s (%s)\n", url ? url : file_url,
           url && !strncmp(url, "http", 4) ? "git smart HTTP" : "file://, libgit2 local transport");

    char cmd[1400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s/mirrors'", dir);
    if (system(cmd))
        die("clearing the mirror");
    lq_mirror *m = NULL;
    lq_error err = {0};
    lq_mirror_config mc = {mpath, url ? url : file_url, token, NULL, NULL};
    if (lq_mirror_open(&m, &mc, &err)) {
        fprintf(stderr, "conflict_bench: %s\n", err.msg);
        return 1;
    }
    int pulls[] = {pull};
    lq_mirror_stats ms;
    double t = now_ms();
    if (lq_mirror_fetch(m, pulls, 1, &ms, &err)) {
        fprintf(stderr, "conflict_bench: first fetch: %s\n", err.msg);
        return 1;
    }
    printf("first mirror fetch:      %8.1f ms  (%lu objects)\n", now_ms() - t,
           ms.received_objects);

    double *inc = calloc((size_t)rounds, sizeof(double)), *chk = calloc((size_t)rounds,
                                                                        sizeof(double));
    double *sum = calloc((size_t)rounds, sizeof(double));
    if (!inc || !chk || !sum)
        die("out of memory");
    char head_ref[64];
    snprintf(head_ref, sizeof head_ref, "refs/pull/%d/head", pull);
    size_t conflicts = 0;
    for (int r = 0; r < rounds; r++) {
        add_commit(srepo, r);
        if (push_url) {
            snprintf(cmd, sizeof cmd, "git -C '%s' push -q '%s' main 2>&1", src, push_url);
            if (system(cmd))
                die("pushing the new commit");
        }
        t = now_ms();
        if (lq_mirror_fetch(m, pulls, 1, &ms, &err)) {
            fprintf(stderr, "conflict_bench: incremental fetch: %s\n", err.msg);
            return 1;
        }
        inc[r] = now_ms() - t;
        t = now_ms();
        lq_conflict_set set;
        if (lq_conflicts_check(&set, lq_mirror_repo(m), "refs/heads/main", head_ref, NULL,
                               &err)) {
            fprintf(stderr, "conflict_bench: conflict check: %s\n", err.msg);
            return 1;
        }
        char *report = NULL;
        lq_conflict_report_opts ro = {.repo = "acme/bench", .number = pull, .base = "main",
                                      .head_branch = "feature", .label = "land",
                                      .label_removed = 1};
        if (set.path_count && lq_conflict_report_build(&report, &set, &ro, &err)) {
            fprintf(stderr, "conflict_bench: report: %s\n", err.msg);
            return 1;
        }
        chk[r] = now_ms() - t;
        sum[r] = inc[r] + chk[r];
        conflicts = set.path_count;
        printf("round %d: incremental fetch %6.1f ms (%lu objects), conflict check %6.1f ms "
               "(%zu conflicting file%s, %zu base commits walked, %zu attributed)\n",
               r + 1, inc[r], ms.received_objects, chk[r], set.path_count,
               set.path_count == 1 ? "" : "s", set.base_commits, set.commit_count);
        if (r == 0 && report)
            printf("---- report ----\n%s---- end ----\n", report);
        free(report);
        lq_conflict_set_dispose(&set);
    }
    qsort(inc, (size_t)rounds, sizeof(double), cmp_double);
    qsort(chk, (size_t)rounds, sizeof(double), cmp_double);
    qsort(sum, (size_t)rounds, sizeof(double), cmp_double);
    printf("incremental fetch:       median %6.1f ms, max %6.1f ms\n", inc[rounds / 2],
           inc[rounds - 1]);
    printf("conflict check:          median %6.1f ms, max %6.1f ms\n", chk[rounds / 2],
           chk[rounds - 1]);
    printf("fetch + check:           median %6.1f ms, max %6.1f ms  (target < 200 ms: %s)\n",
           sum[rounds / 2], sum[rounds - 1], sum[rounds - 1] < 200 ? "met" : "NOT met");
    if (!conflicts)
        printf("warning: the check found no conflict; the generated repository is not as "
               "expected\n");
    free(inc);
    free(chk);
    free(sum);
    lq_mirror_free(m);
    git_repository_free(srepo);
    git_libgit2_shutdown();
    printf("work directory: %s (kept; pass --dir to reuse it)\n", dir);
    return 0;
}
