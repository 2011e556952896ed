/* test_candidate.c -- candidate commits (landq/io/candidate.c) against real git repositories: the
 * chain of squashes and its trees, determinism, conflicts with their files, pushing to and deleting
 * landq/try/ branches of a remote through the mirror, the expected tree when other lanes moved the
 * base, and the check that the base moved only through landq's own landings. */
#include "gitfix.h"

#include "candidate.h"

static char *dir;
static char src_path[512], mirror_path[512];
static git_repository *src;
static git_oid base;
static char base_hex[41], h1[41], h2[41], h3[41], hx[41];
static lq_mirror *m;

static void setup(void)
{
    git_libgit2_init();
    dir = gf_tmpdir("candidate");
    snprintf(src_path, sizeof src_path, "%s/src.git", dir);
    snprintf(mirror_path, sizeof mirror_path, "%s/mirrors/acme/mono.git", dir);
    gf_check(git_repository_init(&src, src_path, 1), "init");
    gf_file f[] = {{"README", "hello\n", 0}, {"lib/foo.c", "int foo(void);\n", 0}, {"app/main.c", "int main;\n", 0},
                   {"docs/a.md", "a\n", 0}};
    base = gf_commit(src, "refs/heads/main", NULL, "root", f, 4);
    gf_hex(base_hex, &base);
    /* #1 renames foo, #2 adds a caller (in another file), #3 edits README, #4 conflicts with #3 */
    gf_file p1[] = {{"lib/foo.c", "int bar(void);\n", 0}};
    git_oid o1 = gf_commit(src, "refs/pull/1/head", &base, "rename", p1, 1);
    gf_file p2[] = {{"app/main.c", "int main; int x = foo();\n", 0}};
    git_oid o2 = gf_commit(src, "refs/pull/2/head", &base, "caller", p2, 1);
    gf_file p3[] = {{"README", "hello world\n", 0}};
    git_oid o3 = gf_commit(src, "refs/pull/3/head", &base, "readme", p3, 1);
    gf_file px[] = {{"README", "goodbye\n", 0}};
    git_oid ox = gf_commit(src, "refs/pull/4/head", &base, "readme again", px, 1);
    gf_hex(h1, &o1);
    gf_hex(h2, &o2);
    gf_hex(h3, &o3);
    gf_hex(hx, &ox);
    lq_error err = {0};
    lq_mirror_config c = {mirror_path, src_path, NULL, NULL, NULL};
    cr_assert_eq(lq_mirror_open(&m, &c, &err), LQ_OK, "%s", err.msg);
    int pulls[] = {1, 2, 3, 4};
    cr_assert_eq(lq_mirror_fetch(m, pulls, 4, NULL, &err), LQ_OK, "%s", err.msg);
}

static void teardown(void)
{
    lq_mirror_free(m);
    git_repository_free(src);
    gf_rm_rf(dir);
    free(dir);
    git_libgit2_shutdown();
}

TestSuite(candidate, .init = setup, .fini = teardown);

static char *file_at(git_repository *r, const char *commit, const char *path)
{
    git_oid id;
    git_commit *c = NULL;
    git_tree *t = NULL;
    git_tree_entry *e = NULL;
    git_blob *b = NULL;
    git_oid_fromstr(&id, commit);
    gf_check(git_commit_lookup(&c, r, &id), "commit");
    gf_check(git_commit_tree(&t, c), "tree");
    char *out = NULL;
    if (git_tree_entry_bypath(&e, t, path) == 0 && git_blob_lookup(&b, r, git_tree_entry_id(e)) == 0)
        out = strndup(git_blob_rawcontent(b), (size_t)git_blob_rawsize(b));
    git_blob_free(b);
    git_tree_entry_free(e);
    git_tree_free(t);
    git_commit_free(c);
    return out;
}

static void parent_of(git_repository *r, const char *commit, char out[41])
{
    git_oid id;
    git_commit *c = NULL;
    git_oid_fromstr(&id, commit);
    gf_check(git_commit_lookup(&c, r, &id), "commit");
    cr_assert_eq(git_commit_parentcount(c), 1);
    git_oid_tostr(out, 41, git_commit_parent_id(c, 0));
    git_commit_free(c);
}

Test(candidate, chain_of_squashes)
{
    git_repository *r = lq_mirror_repo(m);
    lq_candidate_pr prs[] = {{1, h1, "Rename foo"}, {2, h2, "Call foo"}, {3, h3, NULL}};
    lq_candidate_result res;
    lq_error err = {0};
    cr_assert_eq(lq_candidate_build(r, base_hex, "main", prs, 3, &res, &err), LQ_OK, "%s", err.msg);
    cr_assert_eq(res.conflict, -1);
    cr_assert_str_eq(res.tip, res.shas[2]);
    char p[41];
    parent_of(r, res.shas[0], p);
    cr_assert_str_eq(p, base_hex);
    parent_of(r, res.shas[1], p);
    cr_assert_str_eq(p, res.shas[0]);
    char *a = file_at(r, res.tip, "lib/foo.c"), *b = file_at(r, res.tip, "app/main.c"), *c = file_at(r, res.tip, "README");
    cr_assert_str_eq(a, "int bar(void);\n");
    cr_assert_str_eq(b, "int main; int x = foo();\n");
    cr_assert_str_eq(c, "hello world\n");
    free(a);
    free(b);
    free(c);
    char *first = file_at(r, res.shas[0], "app/main.c");
    cr_assert_str_eq(first, "int main;\n", "the first link holds only #1");
    free(first);
    git_oid id;
    git_commit *cm = NULL;
    git_oid_fromstr(&id, res.shas[1]);
    gf_check(git_commit_lookup(&cm, r, &id), "commit");
    const char *msg = git_commit_message(cm);
    cr_assert(strstr(msg, "landq candidate: #2 Call foo\n"), "%s", msg);
    char trailer[80];
    snprintf(trailer, sizeof trailer, "Landq-Head: %s\n", h2);
    cr_assert(strstr(msg, "Landq-PR: 2\n") && strstr(msg, trailer) && strstr(msg, "Landq-Base: main\n"), "%s", msg);
    git_commit_free(cm);
    /* deterministic: the same inputs make the same commits */
    lq_candidate_result again;
    cr_assert_eq(lq_candidate_build(r, base_hex, "main", prs, 3, &again, &err), LQ_OK);
    cr_assert_str_eq(again.tip, res.tip);
    /* the tree is the one landing #1..#3 one by one gives */
    char t1[41], t2[41];
    cr_assert_eq(lq_candidate_tree(r, res.tip, t1, &err), LQ_OK);
    cr_assert_eq(lq_candidate_expected_tree(r, res.shas[2], res.shas[1], t2, &err), LQ_OK);
    cr_assert_str_eq(t1, t2);
}

Test(candidate, conflict_names_the_pr_and_files)
{
    lq_candidate_pr prs[] = {{3, h3, "readme"}, {4, hx, "readme again"}};
    lq_candidate_result res;
    lq_error err = {0};
    cr_assert_eq(lq_candidate_build(lq_mirror_repo(m), base_hex, "main", prs, 2, &res, &err), LQ_ECONFLICT);
    cr_assert_eq(res.conflict, 1);
    cr_assert_str_eq(res.conflict_paths, "README");
    cr_assert(strstr(err.msg, "#4 does not apply: README"), "%s", err.msg);
    cr_assert_str_neq(res.shas[0], "", "the first link was built");
}

Test(candidate, missing_objects_and_bad_input)
{
    lq_candidate_result res;
    lq_error err = {0};
    lq_candidate_pr nope[] = {{9, "0123456789012345678901234567890123456789", "x"}};
    cr_assert_eq(lq_candidate_build(lq_mirror_repo(m), base_hex, "main", nope, 1, &res, &err), LQ_ENOTFOUND);
    cr_assert(strstr(err.msg, "not in the mirror"), "%s", err.msg);
    lq_candidate_pr bad[] = {{9, "xyz", "x"}};
    cr_assert_eq(lq_candidate_build(lq_mirror_repo(m), base_hex, "main", bad, 1, &res, &err), LQ_EINVAL);
    cr_assert_eq(lq_candidate_build(lq_mirror_repo(m), base_hex, "main", bad, 0, &res, &err), LQ_EINVAL);
    cr_assert_eq(lq_candidate_push(m, "main", base_hex, &err), LQ_EINVAL, "only landq/try/ branches");
    cr_assert_eq(lq_candidate_push(m, "landq/try/x..y", base_hex, &err), LQ_EINVAL);
}

static int remote_has(const char *branch, const char *want)
{
    git_oid id;
    char ref[300];
    snprintf(ref, sizeof ref, "refs/heads/%s", branch);
    if (git_reference_name_to_id(&id, src, ref))
        return 0;
    return !want || !strcmp(git_oid_tostr_s(&id), want);
}

Test(candidate, push_and_delete_try_branches)
{
    lq_candidate_pr prs[] = {{1, h1, "Rename foo"}};
    lq_candidate_result res;
    lq_error err = {0};
    cr_assert_eq(lq_candidate_build(lq_mirror_repo(m), base_hex, "main", prs, 1, &res, &err), LQ_OK);
    const char *ref = "landq/try/main/default/pr-1";
    cr_assert_eq(lq_candidate_push(m, ref, res.tip, &err), LQ_OK, "%s", err.msg);
    cr_assert(remote_has(ref, res.tip));
    /* a new candidate for the same PR replaces it (force) */
    lq_candidate_pr two[] = {{3, h3, "readme"}, {1, h1, "Rename foo"}};
    lq_candidate_result res2;
    cr_assert_eq(lq_candidate_build(lq_mirror_repo(m), base_hex, "main", two, 2, &res2, &err), LQ_OK);
    cr_assert_eq(lq_candidate_push(m, ref, res2.tip, &err), LQ_OK, "%s", err.msg);
    cr_assert(remote_has(ref, res2.tip));
    cr_assert_eq(lq_candidate_push(m, "landq/try/main/default/pr-1-retry1", res2.tip, &err), LQ_OK);
    cr_assert(remote_has("landq/try/main/default/pr-1-retry1", res2.tip));
    cr_assert_eq(lq_candidate_delete(m, ref, &err), LQ_OK, "%s", err.msg);
    cr_assert_not(remote_has(ref, NULL));
    cr_assert(remote_has("main", base_hex), "nothing else moved");
    cr_assert_eq(lq_candidate_delete(m, ref, &err), LQ_OK, "deleting again is fine: %s", err.msg);
    git_oid id;
    cr_assert_neq(git_reference_name_to_id(&id, lq_mirror_repo(m), "refs/landq/try/main/default/pr-1"), 0);
}

static int known_landing(void *ctx, const char *sha)
{
    return !strcmp(sha, (const char *)ctx);
}

/* lanes: the base moved under a candidate through another lane's landing (disjoint files): the
 * expected tree is the candidate's change on the new tip; in the same files it does not apply */
Test(candidate, expected_tree_when_other_lanes_landed)
{
    git_repository *r = lq_mirror_repo(m);
    lq_candidate_pr p1[] = {{1, h1, "Rename foo"}};
    lq_candidate_result c1;
    lq_error err = {0};
    cr_assert_eq(lq_candidate_build(r, base_hex, "main", p1, 1, &c1, &err), LQ_OK);
    /* meanwhile docs/ landed on main (another lane) */
    gf_file d[] = {{"docs/a.md", "b\n", 0}};
    git_oid other = gf_commit(r, NULL, &base, "docs lane", d, 1);
    char other_hex[41];
    gf_hex(other_hex, &other);
    char want[41];
    cr_assert_eq(lq_candidate_expected_tree(r, c1.tip, other_hex, want, &err), LQ_OK, "%s", err.msg);
    /* what GitHub's squash of #1 on the new tip gives */
    lq_candidate_result onto;
    cr_assert_eq(lq_candidate_build(r, other_hex, "main", p1, 1, &onto, &err), LQ_OK);
    char got[41];
    lq_candidate_tree(r, onto.tip, got, &err);
    cr_assert_str_eq(want, got);
    cr_assert_eq(lq_candidate_moved_by(r, other_hex, base_hex, known_landing, other_hex, &err), 1);
    cr_assert_eq(lq_candidate_moved_by(r, other_hex, base_hex, known_landing, "nope", &err), 0, "a foreign commit");
    cr_assert_eq(lq_candidate_moved_by(r, base_hex, base_hex, known_landing, "nope", &err), 1);
    /* the same file moved: not the tree that was tested */
    gf_file f[] = {{"lib/foo.c", "int baz(void);\n", 0}};
    git_oid clash = gf_commit(r, NULL, &base, "foo lane", f, 1);
    char clash_hex[41];
    gf_hex(clash_hex, &clash);
    cr_assert_eq(lq_candidate_expected_tree(r, c1.tip, clash_hex, want, &err), LQ_ECONFLICT);
    cr_assert(strstr(err.msg, "lib/foo.c"), "%s", err.msg);
}

/* With lanes, a candidate lands on a tip other lanes moved only when they touched none of its
 * files: two edits of one file that merge cleanly were still never tested together. */
Test(candidate, expected_tree_refuses_a_tip_moved_in_the_same_files)
{
    git_repository *r = lq_mirror_repo(m);
    lq_error err = {0};
    gf_file b[] = {{"lib/multi.c", "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n", 0}};
    git_oid b2 = gf_commit(r, NULL, &base, "multi", b, 1);
    gf_file c[] = {{"lib/multi.c", "one\n2\n3\n4\n5\n6\n7\n8\n9\n10\n", 0}};
    git_oid cand = gf_commit(r, NULL, &b2, "candidate", c, 1);
    gf_file t[] = {{"lib/multi.c", "1\n2\n3\n4\n5\n6\n7\n8\n9\nten\n", 0}};
    git_oid tip = gf_commit(r, NULL, &b2, "another lane", t, 1);
    char cand_hex[41], tip_hex[41], want[41];
    gf_hex(cand_hex, &cand);
    gf_hex(tip_hex, &tip);
    cr_assert_eq(lq_candidate_expected_tree(r, cand_hex, tip_hex, want, &err), LQ_ECONFLICT,
                 "a clean merge in the same file accepted");
    cr_assert(strstr(err.msg, "lib/multi.c"), "%s", err.msg);
    /* another file moved: fine */
    gf_file o[] = {{"docs/a.md", "other lane\n", 0}};
    git_oid tip2 = gf_commit(r, NULL, &b2, "docs lane", o, 1);
    gf_hex(tip_hex, &tip2);
    cr_assert_eq(lq_candidate_expected_tree(r, cand_hex, tip_hex, want, &err), LQ_OK, "%s",
                 err.msg);
}
