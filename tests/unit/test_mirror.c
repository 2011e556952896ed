/* Unit tests of the bare mirror (landq/io/mirror.c): fetch from a local bare repository (path and
 * file:// URL), incremental fetch, pull refs, corrupt or missing mirrors re-created, foreign
 * directories left alone; path and URL helpers. */
#include "gitfix.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mirror.h"

static char *dir;
static char src_path[512], mirror_path[512];
static git_repository *src;
static git_oid tip;

static void setup(void)
{
    git_libgit2_init();
    dir = gf_tmpdir("mirror");
    snprintf(src_path, sizeof src_path, "%s/src.git", dir);
    snprintf(mirror_path, sizeof mirror_path, "%s/mirrors/acme/mono.git", dir);
    gf_check(git_repository_init(&src, src_path, 1), "init");
    gf_file f[] = {{"README", "hello\n", 0}, {"src/a.c", "int a;\n", 0}};
    tip = gf_commit(src, "refs/heads/main", NULL, "root", f, 2);
    gf_file fp[] = {{"src/a.c", "int b;\n", 0}};
    gf_commit(src, "refs/pull/1/head", &tip, "pr 1", fp, 1);
}

static void teardown(void)
{
    git_repository_free(src);
    gf_rm_rf(dir);
    free(dir);
    git_libgit2_shutdown();
}

TestSuite(mirror, .init = setup, .fini = teardown);

static lq_mirror *open_mirror(const char *url)
{
    lq_mirror *m = NULL;
    lq_error err = {0};
    lq_mirror_config c = {mirror_path, url ? url : src_path, NULL, NULL, NULL};
    cr_assert_eq(lq_mirror_open(&m, &c, &err), LQ_OK, "%s", err.msg);
    return m;
}

static void fetch(lq_mirror *m, lq_mirror_stats *st)
{
    int pulls[] = {1, 99};
    lq_error err = {0};
    cr_assert_eq(lq_mirror_fetch(m, pulls, 2, st, &err), LQ_OK, "%s", err.msg);
}

static int has_ref(lq_mirror *m, const char *name, const git_oid *want)
{
    git_oid id;
    if (git_reference_name_to_id(&id, lq_mirror_repo(m), name))
        return 0;
    return !want || git_oid_equal(&id, want);
}

Test(mirror, first_fetch_then_incremental)
{
    lq_mirror *m = open_mirror(NULL);
    lq_mirror_stats st;
    fetch(m, &st);
    cr_assert_eq(st.full, 1);
    cr_assert(has_ref(m, "refs/heads/main", &tip));
    cr_assert(has_ref(m, "refs/pull/1/head", NULL));
    cr_assert_not(has_ref(m, "refs/pull/99/head", NULL), "a missing pull ref is skipped");
    cr_assert_geq(st.updated_refs, 2);
    struct stat sb;
    char marker[600];
    snprintf(marker, sizeof marker, "%s/landq-mirror", mirror_path);
    cr_assert_eq(stat(marker, &sb), 0, "marker written");

    /* One new commit on main: only its objects come over. */
    gf_file f[] = {{"README", "hello again\n", 0}};
    git_oid next = gf_commit(src, "refs/heads/main", &tip, "second", f, 1);
    fetch(m, &st);
    cr_assert_eq(st.full, 0);
    cr_assert_eq(st.recreated, 0);
    cr_assert(has_ref(m, "refs/heads/main", &next));
    cr_assert_leq(st.received_objects, 3, "commit, tree, blob: got %lu", st.received_objects);
    cr_assert_eq(st.updated_refs, 1);

    /* Nothing new: nothing received, nothing updated. */
    fetch(m, &st);
    cr_assert_eq(st.received_objects, 0);
    cr_assert_eq(st.updated_refs, 0);
    lq_mirror_free(m);

    /* Survives a restart: re-opened as is, not re-created. */
    m = open_mirror(NULL);
    fetch(m, &st);
    cr_assert_eq(st.recreated, 0);
    cr_assert(has_ref(m, "refs/heads/main", &next));
    lq_mirror_free(m);
}

Test(mirror, file_url)
{
    char url[600];
    snprintf(url, sizeof url, "file://%s", src_path);
    lq_mirror *m = open_mirror(url);
    lq_mirror_stats st;
    fetch(m, &st);
    cr_assert(has_ref(m, "refs/heads/main", &tip));
    cr_assert_str_eq(lq_mirror_dir(m), mirror_path);
    lq_mirror_free(m);
}

static void corrupt_objects(void)
{
    /* Replace every object file and pack with garbage. */
    char cmd[1200];
    snprintf(cmd, sizeof cmd,
             "find '%s/objects' -type f \\( -name '*.pack' -o -path '*/objects/[0-9a-f][0-9a-f]/*' \\) "
             "-exec sh -c 'chmod u+w \"$1\"; printf garbage > \"$1\"' _ {} \\;",
             mirror_path);
    cr_assert_eq(system(cmd), 0);
}

Test(mirror, corrupt_mirror_is_recreated_on_open)
{
    lq_mirror *m = open_mirror(NULL);
    fetch(m, NULL);
    lq_mirror_free(m);
    corrupt_objects();
    m = open_mirror(NULL);
    lq_mirror_stats st;
    fetch(m, &st);
    cr_assert_eq(st.recreated, 1);
    cr_assert_eq(st.full, 1);
    cr_assert(has_ref(m, "refs/heads/main", &tip));
    git_commit *c = NULL;
    cr_assert_eq(git_commit_lookup(&c, lq_mirror_repo(m), &tip), 0, "objects readable again");
    git_commit_free(c);
    lq_mirror_free(m);
}

Test(mirror, broken_ref_and_missing_mirror_are_recreated)
{
    lq_mirror *m = open_mirror(NULL);
    fetch(m, NULL);
    lq_mirror_free(m);
    /* A ref pointing at an object the mirror does not have. */
    char ref[700];
    snprintf(ref, sizeof ref, "%s/refs/heads/ghost", mirror_path);
    FILE *f = fopen(ref, "w");
    cr_assert_not_null(f);
    fputs("0123456789abcdef0123456789abcdef01234567\n", f);
    fclose(f);
    m = open_mirror(NULL);
    lq_mirror_stats st;
    fetch(m, &st);
    cr_assert_eq(st.recreated, 1);
    cr_assert_not(has_ref(m, "refs/heads/ghost", NULL));
    lq_mirror_free(m);
    /* Deleted entirely. */
    gf_rm_rf(mirror_path);
    m = open_mirror(NULL);
    fetch(m, &st);
    cr_assert_eq(st.full, 1);
    cr_assert(has_ref(m, "refs/heads/main", &tip));
    lq_mirror_free(m);
}

Test(mirror, corruption_found_by_a_fetch_recreates_and_retries)
{
    lq_mirror *m = open_mirror(NULL);
    fetch(m, NULL);
    corrupt_objects(); /* while open: the next fetch trips over it */
    gf_file f[] = {{"README", "third\n", 0}};
    git_oid next = gf_commit(src, "refs/heads/main", &tip, "third", f, 1);
    lq_mirror_stats st;
    fetch(m, &st);
    cr_assert(has_ref(m, "refs/heads/main", &next));
    git_commit *c = NULL;
    cr_assert_eq(git_commit_lookup(&c, lq_mirror_repo(m), &tip), 0);
    git_commit_free(c);
    lq_mirror_free(m);
}

Test(mirror, foreign_directory_is_never_deleted)
{
    char cmd[1400];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s' && echo precious > '%s/file'", mirror_path,
             mirror_path);
    cr_assert_eq(system(cmd), 0);
    lq_mirror *m = NULL;
    lq_error err = {0};
    lq_mirror_config c = {mirror_path, src_path, NULL, NULL, NULL};
    cr_assert_eq(lq_mirror_open(&m, &c, &err), LQ_ERROR);
    cr_assert(strstr(err.msg, "not a landq mirror"), "%s", err.msg);
    char file[700];
    snprintf(file, sizeof file, "%s/file", mirror_path);
    cr_assert_eq(access(file, F_OK), 0);
}

Test(mirror, unreachable_remote_is_transient)
{
    lq_mirror *m = open_mirror("http://127.0.0.1:1/acme/mono.git");
    lq_error err = {0};
    cr_assert_eq(lq_mirror_fetch(m, NULL, 0, NULL, &err), LQ_ETRANSIENT, "%s", err.msg);
    cr_assert(strstr(err.msg, "127.0.0.1:1"), "%s", err.msg);
    lq_mirror_free(m);
}

Test(mirror, only_the_branches_asked_for)
{
    gf_file f[] = {{"other.txt", "x\n", 0}};
    gf_commit(src, "refs/heads/feature-zzz", &tip, "feature", f, 1);
    lq_mirror *m = open_mirror(NULL);
    const char *branches[] = {"main"};
    int pulls[] = {1};
    lq_error err = {0};
    cr_assert_eq(lq_mirror_fetch_branches(m, branches, 1, pulls, 1, NULL, &err), LQ_OK, "%s",
                 err.msg);
    cr_assert(has_ref(m, "refs/heads/main", &tip));
    cr_assert(has_ref(m, "refs/pull/1/head", NULL));
    cr_assert_not(has_ref(m, "refs/heads/feature-zzz", NULL));
    const char *bad[] = {"ma..in"};
    cr_assert_eq(lq_mirror_fetch_branches(m, bad, 1, NULL, 0, NULL, &err), LQ_EINVAL);
    const char *star[] = {"*"};
    cr_assert_eq(lq_mirror_fetch_branches(m, star, 1, NULL, 0, NULL, &err), LQ_EINVAL);
    lq_mirror_free(m);
}

static int count_packs(void)
{
    char packdir[700];
    snprintf(packdir, sizeof packdir, "%s/objects/pack", mirror_path);
    DIR *d = opendir(packdir);
    cr_assert_not_null(d, "%s", packdir);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        n += len > 5 && !strcmp(e->d_name + len - 5, ".pack");
    }
    closedir(d);
    return n;
}

Test(mirror, small_packs_are_merged)
{
    lq_mirror *m = open_mirror(NULL);
    lq_mirror_stats st;
    fetch(m, &st);
    git_oid ids[40];
    git_oid prev = tip;
    unsigned long merged = 0;
    char text[32];
    for (int i = 0; i < 40; i++) {
        snprintf(text, sizeof text, "round %d\n", i);
        gf_file f[] = {{"README", text, 0}};
        prev = ids[i] = gf_commit(src, "refs/heads/main", &prev, "round", f, 1);
        fetch(m, &st);
        merged += st.packs_merged;
        cr_assert_leq(count_packs(), 25, "round %d: %d packs", i, count_packs());
    }
    cr_assert_geq(merged, 24, "merged %lu", merged);
    cr_assert(has_ref(m, "refs/heads/main", &prev));
    /* Every commit, tree and blob still reads back, through the handle and after reopening. */
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < 40; i++) {
            git_commit *c = NULL;
            git_tree *t = NULL;
            cr_assert_eq(git_commit_lookup(&c, lq_mirror_repo(m), &ids[i]), 0, "commit %d", i);
            cr_assert_eq(git_commit_tree(&t, c), 0);
            git_tree_entry *e = NULL;
            cr_assert_eq(git_tree_entry_bypath(&e, t, "README"), 0);
            git_blob *b = NULL;
            cr_assert_eq(git_blob_lookup(&b, lq_mirror_repo(m), git_tree_entry_id(e)), 0);
            git_blob_free(b);
            git_tree_entry_free(e);
            git_tree_free(t);
            git_commit_free(c);
        }
        lq_mirror_free(m);
        m = open_mirror(NULL); /* open re-checks the refs: must not re-create */
        fetch(m, &st);
        cr_assert_eq(st.recreated, 0);
    }
    lq_mirror_free(m);
}

static int stop_now(void *ctx)
{
    return *(int *)ctx;
}

Test(mirror, fetch_cancelled_when_stopping)
{
    int stop = 1;
    lq_mirror *m = NULL;
    lq_error err = {0};
    lq_mirror_config c = {mirror_path, src_path, NULL, stop_now, &stop};
    cr_assert_eq(lq_mirror_open(&m, &c, &err), LQ_OK, "%s", err.msg);
    cr_assert_eq(lq_mirror_fetch(m, NULL, 0, NULL, &err), LQ_ETRANSIENT, "%s", err.msg);
    cr_assert(strstr(err.msg, "cancelled"), "%s", err.msg);
    cr_assert_not(has_ref(m, "refs/heads/main", NULL));
    stop = 0;
    cr_assert_eq(lq_mirror_fetch(m, NULL, 0, NULL, &err), LQ_OK, "%s", err.msg);
    cr_assert(has_ref(m, "refs/heads/main", &tip));
    lq_mirror_free(m);
}

Test(mirror, paths_and_urls)
{
    char *p = NULL;
    lq_error err = {0};
    cr_assert_eq(lq_mirror_path(&p, "/var/lib/landq/mirrors/", "acme/mono", &err), LQ_OK);
    cr_assert_str_eq(p, "/var/lib/landq/mirrors/acme/mono.git");
    free(p);
    const char *bad[] = {"acme", "acme/", "/mono", "acme/../x", "../x", "a/b/c", "a/..", "a/b c",
                         ""};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        cr_assert_eq(lq_mirror_path(&p, "/m", bad[i], &err), LQ_EINVAL, "%s", bad[i]);
        cr_assert_null(p);
    }
    cr_assert_eq(lq_mirror_url_from_api(&p, "https://api.github.com/", "acme/mono", &err), LQ_OK);
    cr_assert_str_eq(p, "https://github.com/acme/mono.git");
    free(p);
    cr_assert_eq(lq_mirror_url_from_api(&p, "https://ghe.example/api/v3", "acme/mono", &err),
                 LQ_OK);
    cr_assert_str_eq(p, "https://ghe.example/acme/mono.git");
    free(p);
    cr_assert_eq(lq_mirror_url_from_api(&p, "http://127.0.0.1:8080", "acme/mono", &err), LQ_OK);
    cr_assert_str_eq(p, "http://127.0.0.1:8080/acme/mono.git");
    free(p);
    cr_assert_eq(lq_mirror_url_from_api(&p, "ftp://x", "acme/mono", &err), LQ_EINVAL);
    lq_mirror *m = NULL;
    lq_mirror_config c = {NULL, "x", NULL, NULL, NULL};
    cr_assert_eq(lq_mirror_open(&m, &c, &err), LQ_EINVAL);
}
