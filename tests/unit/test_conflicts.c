/* Unit tests of the in-memory conflict analysis (landq/io/conflicts.c) on throwaway repositories:
 * each conflict kind, binary files, renames, attribution of base commits to pull requests. */
#include "gitfix.h"

#include "conflicts.h"

static git_repository *repo;
static char *dir;

static void setup(void)
{
    git_libgit2_init();
    dir = gf_tmpdir("conflicts");
    gf_check(git_repository_init(&repo, dir, 1), "init");
}

static void teardown(void)
{
    git_repository_free(repo);
    gf_rm_rf(dir);
    free(dir);
    git_libgit2_shutdown();
}

TestSuite(conflicts, .init = setup, .fini = teardown);

static const char *LINES = "one\ntwo\nthree\nfour\nfive\nsix\nseven\neight\n";

/* base: root -> (base commits); head: root -> (head commits). Returns the root. */
static git_oid root_with(const gf_file *f, size_t n)
{
    return gf_commit(repo, "refs/heads/main", NULL, "root", f, n);
}

static void dump(const lq_conflict_set *s)
{
    if (!getenv("LQ_TEST_DUMP"))
        return;
    for (size_t i = 0; i < s->path_count; i++)
        fprintf(stderr, "path=%s base=%s anc=%s kind=%d del_on_base=%d bin=%d commits=%zu\n",
                s->paths[i].path, s->paths[i].base_path ? s->paths[i].base_path : "-",
                s->paths[i].ancestor_path ? s->paths[i].ancestor_path : "-", s->paths[i].kind,
                s->paths[i].deleted_on_base, s->paths[i].binary, s->paths[i].commit_count);
}

static lq_conflict_set check(const char *base, const char *head, const lq_conflicts_opts *o)
{
    lq_conflict_set s;
    lq_error err = {0};
    cr_assert_eq(lq_conflicts_check(&s, repo, base, head, o, &err), LQ_OK, "%s", err.msg);
    dump(&s);
    return s;
}

static const lq_conflict_path *find(const lq_conflict_set *s, const char *path)
{
    for (size_t i = 0; i < s->path_count; i++)
        if (!strcmp(s->paths[i].path, path))
            return &s->paths[i];
    cr_assert_fail("no conflict listed for %s", path);
    return NULL;
}

Test(conflicts, clean_merge_lists_nothing)
{
    gf_file f0[] = {{"a.txt", LINES, 0}, {"b.txt", "b\n", 0}};
    git_oid root = root_with(f0, 2);
    gf_file fb[] = {{"a.txt", "ONE\ntwo\nthree\nfour\nfive\nsix\nseven\neight\n", 0}};
    gf_commit(repo, "refs/heads/main", &root, "edit top (#1)", fb, 1);
    gf_file fh[] = {{"a.txt", "one\ntwo\nthree\nfour\nfive\nsix\nseven\nEIGHT\n", 0}};
    gf_commit(repo, "refs/heads/feature", &root, "edit bottom", fh, 1);
    lq_conflict_set s = check("refs/heads/main", "refs/heads/feature", NULL);
    cr_assert_eq(s.path_count, 0);
    cr_assert_eq(s.paths_total, 0);
    char hex[41];
    gf_hex(hex, &root);
    cr_assert_str_eq(s.merge_base_sha, hex);
    lq_conflict_set_dispose(&s);
}

Test(conflicts, content_conflict_with_base_commits_and_prs)
{
    gf_file f0[] = {{"src/a.c", LINES, 0}, {"other", "x\n", 0}};
    git_oid root = root_with(f0, 2);
    /* Before the branch point: must not be listed. */
    gf_file fpre[] = {{"src/a.c", "one\ntwo\nthree\nfour\nfive\nsix\nseven\neight\nnine\n", 0}};
    git_oid pre = gf_commit(repo, "refs/heads/main", &root, "old change (#3)", fpre, 1);
    gf_file fo[] = {{"other", "y\n", 0}};
    git_oid b1 = gf_commit(repo, "refs/heads/main", &pre, "unrelated (#10)", fo, 1);
    gf_file fb[] = {{"src/a.c", "one\nTWO-base\nthree\nfour\nfive\nsix\nseven\neight\nnine\n", 0}};
    git_oid b2 = gf_commit(repo, "refs/heads/main", &b1, "Fix the parser (#12)", fb, 1);
    gf_file fh[] = {{"src/a.c", "one\nTWO-head\nthree\nfour\nfive\nsix\nseven\neight\nnine\n", 0}};
    gf_commit(repo, "refs/heads/feature", &pre, "my change", fh, 1);

    lq_conflict_set s = check("refs/heads/main", "refs/heads/feature", NULL);
    cr_assert_eq(s.path_count, 1);
    const lq_conflict_path *p = find(&s, "src/a.c");
    cr_assert_eq(p->kind, LQ_CONFLICT_CONTENT);
    cr_assert_eq(p->binary, 0);
    cr_assert_null(p->base_path);
    cr_assert_eq(p->commit_count, 1, "only the base commit that touched it since the branch point");
    char hex[41];
    gf_hex(hex, &b2);
    cr_assert_str_eq(s.commits[p->commits[0]].sha, hex);
    cr_assert_eq(s.commits[p->commits[0]].pr, 12);
    cr_assert_str_eq(s.commits[p->commits[0]].title, "Fix the parser (#12)");
    cr_assert_eq(s.base_commits, 2);
    cr_assert_eq(s.walk_truncated, 0);
    gf_hex(hex, &pre);
    cr_assert_str_eq(s.merge_base_sha, hex);
    lq_conflict_set_dispose(&s);
}

Test(conflicts, add_add)
{
    gf_file f0[] = {{"README", "r\n", 0}};
    git_oid root = root_with(f0, 1);
    gf_file fb[] = {{"new.txt", "base version\n", 0}};
    gf_commit(repo, "refs/heads/main", &root, "add new (#2)", fb, 1);
    gf_file fh[] = {{"new.txt", "head version\n", 0}};
    gf_commit(repo, "refs/heads/feature", &root, "add new too", fh, 1);
    lq_conflict_set s = check("refs/heads/main", "refs/heads/feature", NULL);
    cr_assert_eq(s.path_count, 1);
    cr_assert_eq(find(&s, "new.txt")->kind, LQ_CONFLICT_ADD_ADD);
    cr_assert_eq(find(&s, "new.txt")->commit_count, 1);
    lq_conflict_set_dispose(&s);
}

Test(conflicts, modify_delete_both_directions)
{
    gf_file f0[] = {{"gone-on-base.txt", LINES, 0}, {"gone-in-pr.txt", LINES, 0}};
    git_oid root = root_with(f0, 2);
    gf_file fb[] = {{"gone-on-base.txt", NULL, 0},
                    {"gone-in-pr.txt", "changed on base\n", 0}};
    gf_commit(repo, "refs/heads/main", &root, "remove one, edit other (#4)", fb, 2);
    gf_file fh[] = {{"gone-on-base.txt", "changed in pr\n", 0}, {"gone-in-pr.txt", NULL, 0}};
    gf_commit(repo, "refs/heads/feature", &root, "pr", fh, 2);
    lq_conflict_set s = check("refs/heads/main", "refs/heads/feature", NULL);
    cr_assert_eq(s.path_count, 2);
    const lq_conflict_path *a = find(&s, "gone-on-base.txt");
    cr_assert_eq(a->kind, LQ_CONFLICT_MODIFY_DELETE);
    cr_assert_eq(a->deleted_on_base, 1);
    cr_assert_eq(a->commit_count, 1);
    const lq_conflict_path *b = find(&s, "gone-in-pr.txt");
    cr_assert_eq(b->kind, LQ_CONFLICT_MODIFY_DELETE);
    cr_assert_eq(b->deleted_on_base, 0);
    cr_assert_eq(s.paths[0].path[5], 'i', "sorted by path: gone-in-pr.txt first");
    cr_assert_eq(s.commit_count, 1, "one commit touched both: listed once");
    lq_conflict_set_dispose(&s);
}

Test(conflicts, binary_file)
{
    static const char bin0[] = {'\x89', 'P', 'N', 'G', 0, 1, 2, 3, 4, 5};
    static const char bin1[] = {'\x89', 'P', 'N', 'G', 0, 9, 9, 9, 9, 9};
    static const char bin2[] = {'\x89', 'P', 'N', 'G', 0, 7, 7, 7, 7, 7};
    gf_file f0[] = {{"logo.png", bin0, sizeof bin0}};
    git_oid root = root_with(f0, 1);
    gf_file fb[] = {{"logo.png", bin1, sizeof bin1}};
    gf_commit(repo, "refs/heads/main", &root, "new logo (#5)", fb, 1);
    gf_file fh[] = {{"logo.png", bin2, sizeof bin2}};
    gf_commit(repo, "refs/heads/feature", &root, "other logo", fh, 1);
    lq_conflict_set s = check("refs/heads/main", "refs/heads/feature", NULL);
    cr_assert_eq(s.path_count, 1);
    const lq_conflict_path *p = find(&s, "logo.png");
    cr_assert_eq(p->kind, LQ_CONFLICT_CONTENT);
    cr_assert_eq(p->binary, 1);
    cr_assert_eq(s.commits[p->commits[0]].pr, 5);
    lq_conflict_set_dispose(&s);
}

Test(conflicts, clean_rename_follows_the_file)
{
    gf_file f0[] = {{"old/name.c", LINES, 0}};
    git_oid root = root_with(f0, 1);
    gf_file fb[] = {{"old/name.c", NULL, 0}, {"new/name.c", LINES, 0}};
    gf_commit(repo, "refs/heads/main", &root, "move (#6)", fb, 2);
    gf_file fh[] = {{"old/name.c", "one\ntwo\nthree\nfour\nfive\nsix\nseven\nEIGHT\n", 0}};
    gf_commit(repo, "refs/heads/feature", &root, "edit", fh, 1);
    lq_conflict_set s = check("refs/heads/main", "refs/heads/feature", NULL);
    cr_assert_eq(s.path_count, 0, "rename detection merges the edit into the moved file");
    lq_conflict_set_dispose(&s);
}

Test(conflicts, rename_rename)
{
    gf_file f0[] = {{"lib/util.c", LINES, 0}};
    git_oid root = root_with(f0, 1);
    gf_file fb[] = {{"lib/util.c", NULL, 0}, {"lib/base_util.c", LINES, 0}};
    gf_commit(repo, "refs/heads/main", &root, "rename on base (#7)", fb, 2);
    gf_file fh[] = {{"lib/util.c", NULL, 0}, {"lib/pr_util.c", LINES, 0}};
    gf_commit(repo, "refs/heads/feature", &root, "rename in pr", fh, 2);
    lq_conflict_set s = check("refs/heads/main", "refs/heads/feature", NULL);
    cr_assert_geq(s.path_count, 1);
    int saw_rename = 0, saw_pr = 0;
    for (size_t i = 0; i < s.path_count; i++) {
        cr_assert_eq(s.paths[i].kind, LQ_CONFLICT_RENAME, "%s: kind %d", s.paths[i].path,
                     s.paths[i].kind);
        saw_rename = 1;
        for (size_t k = 0; k < s.paths[i].commit_count; k++)
            saw_pr |= s.commits[s.paths[i].commits[k]].pr == 7;
    }
    cr_assert(saw_rename);
    cr_assert(saw_pr, "the renaming base commit is attributed to #7");
    lq_conflict_set_dispose(&s);
}

Test(conflicts, rename_on_base_and_conflicting_edit)
{
    gf_file f0[] = {{"a.c", LINES, 0}};
    git_oid root = root_with(f0, 1);
    gf_file fb[] = {{"a.c", NULL, 0},
                    {"b.c", "one\nBASE\nthree\nfour\nfive\nsix\nseven\neight\n", 0}};
    gf_commit(repo, "refs/heads/main", &root, "move and edit (#8)", fb, 2);
    gf_file fh[] = {{"a.c", "one\nHEAD\nthree\nfour\nfive\nsix\nseven\neight\n", 0}};
    gf_commit(repo, "refs/heads/feature", &root, "edit", fh, 1);
    lq_conflict_set s = check("refs/heads/main", "refs/heads/feature", NULL);
    cr_assert_eq(s.path_count, 1);
    const lq_conflict_path *p = &s.paths[0];
    cr_assert_eq(p->kind, LQ_CONFLICT_RENAME, "kind %d path %s", p->kind, p->path);
    cr_assert(p->base_path || p->ancestor_path, "the other name is reported");
    cr_assert_geq(p->commit_count, 1);
    cr_assert_eq(s.commits[p->commits[0]].pr, 8);
    lq_conflict_set_dispose(&s);
}

Test(conflicts, rename_delete)
{
    gf_file f0[] = {{"doc.md", LINES, 0}};
    git_oid root = root_with(f0, 1);
    gf_file fb[] = {{"doc.md", NULL, 0}};
    gf_commit(repo, "refs/heads/main", &root, "drop doc (#9)", fb, 1);
    gf_file fh[] = {{"doc.md", NULL, 0}, {"docs/doc.md", LINES, 0}};
    gf_commit(repo, "refs/heads/feature", &root, "move doc", fh, 2);
    lq_conflict_set s = check("refs/heads/main", "refs/heads/feature", NULL);
    cr_assert_geq(s.path_count, 1);
    cr_assert_eq(s.paths[0].kind, LQ_CONFLICT_RENAME, "kind %d path %s", s.paths[0].kind,
                 s.paths[0].path);
    cr_assert_eq(s.paths[0].deleted_on_base, 1);
    lq_conflict_set_dispose(&s);
}

static int lookup(void *ctx, const char *sha, const char *title, int *pr)
{
    (void)title;
    cr_assert_str_eq(sha, (const char *)ctx);
    *pr = 77;
    return 0;
}

Test(conflicts, pr_lookup_when_the_title_has_no_number)
{
    gf_file f0[] = {{"f", "a\n", 0}};
    git_oid root = root_with(f0, 1);
    gf_file fb[] = {{"f", "b\n", 0}};
    git_oid b = gf_commit(repo, "refs/heads/main", &root, "landq title without number", fb, 1);
    gf_file fh[] = {{"f", "c\n", 0}};
    gf_commit(repo, "refs/heads/feature", &root, "pr", fh, 1);
    char hex[41];
    gf_hex(hex, &b);
    lq_conflicts_opts o = {.pr_lookup = lookup, .pr_ctx = hex};
    lq_conflict_set s = check("refs/heads/main", "refs/heads/feature", &o);
    cr_assert_eq(s.commits[0].pr, 77);
    lq_conflict_set_dispose(&s);
}

Test(conflicts, many_files_capped_and_sorted)
{
    gf_file f0[6], fb[6], fh[6];
    char names[6][16];
    for (int i = 0; i < 6; i++) {
        snprintf(names[i], sizeof names[i], "f%d.txt", 5 - i);
        f0[i] = (gf_file){names[i], "x\n", 0};
        fb[i] = (gf_file){names[i], "base\n", 0};
        fh[i] = (gf_file){names[i], "head\n", 0};
    }
    git_oid root = root_with(f0, 6);
    gf_commit(repo, "refs/heads/main", &root, "base (#1)", fb, 6);
    gf_commit(repo, "refs/heads/feature", &root, "head", fh, 6);
    lq_conflicts_opts o = {.max_paths = 4};
    lq_conflict_set s = check("refs/heads/main", "refs/heads/feature", &o);
    cr_assert_eq(s.path_count, 4);
    cr_assert_eq(s.paths_total, 6);
    for (size_t i = 1; i < s.path_count; i++)
        cr_assert_lt(strcmp(s.paths[i - 1].path, s.paths[i].path), 0);
    lq_conflict_set_dispose(&s);
}

Test(conflicts, walk_cap_marks_truncation)
{
    gf_file f0[] = {{"f", "a\n", 0}};
    git_oid root = root_with(f0, 1), tip = root;
    char content[32];
    for (int i = 0; i < 5; i++) {
        snprintf(content, sizeof content, "base %d\n", i);
        gf_file fb[] = {{"f", content, 0}};
        tip = gf_commit(repo, "refs/heads/main", &tip, "step (#20)", fb, 1);
    }
    gf_file fh[] = {{"f", "head\n", 0}};
    gf_commit(repo, "refs/heads/feature", &root, "pr", fh, 1);
    lq_conflicts_opts o = {.max_walk = 2};
    lq_conflict_set s = check("refs/heads/main", "refs/heads/feature", &o);
    cr_assert_eq(s.base_commits, 2);
    cr_assert_eq(s.walk_truncated, 1);
    cr_assert_eq(s.paths[0].commit_count, 2);
    lq_conflict_set_dispose(&s);
}

Test(conflicts, missing_revision_is_not_found)
{
    gf_file f0[] = {{"f", "a\n", 0}};
    root_with(f0, 1);
    lq_conflict_set s;
    lq_error err = {0};
    cr_assert_eq(lq_conflicts_check(&s, repo, "refs/heads/main",
                                    "0123456789abcdef0123456789abcdef01234567", NULL, &err),
                 LQ_ENOTFOUND);
    cr_assert(strstr(err.msg, "head"), "%s", err.msg);
    cr_assert_eq(lq_conflicts_check(&s, repo, "refs/heads/nope", "refs/heads/main", NULL, &err),
                 LQ_ENOTFOUND);
    cr_assert_eq(lq_conflicts_check(&s, repo, "", "refs/heads/main", NULL, &err), LQ_EINVAL);
    cr_assert_eq(s.path_count, 0);
}

Test(conflicts, unrelated_histories)
{
    gf_file f0[] = {{"f", "a\n", 0}};
    root_with(f0, 1);
    gf_file f1[] = {{"f", "b\n", 0}};
    gf_commit(repo, "refs/heads/orphan", NULL, "orphan", f1, 1);
    lq_conflict_set s = check("refs/heads/main", "refs/heads/orphan", NULL);
    cr_assert_eq(s.path_count, 1);
    cr_assert_eq(s.paths[0].kind, LQ_CONFLICT_ADD_ADD);
    cr_assert_str_eq(s.merge_base_sha, "");
    lq_conflict_set_dispose(&s);
}
