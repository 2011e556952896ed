/* Unit tests of the author-facing conflict report (landq/core/conflict_report.c). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conflict_report.h"

/* Builds a set with the given paths; commits[0] = abc... "Fix parser (#12)",
 * commits[1] = def... "landq title" pr 15. Caller disposes. */
static lq_conflict_set make_set(size_t n, const char *const *paths, const lq_conflict_kind *kinds)
{
    lq_conflict_set s;
    memset(&s, 0, sizeof s);
    snprintf(s.base_sha, sizeof s.base_sha, "%s", "1111111111111111111111111111111111111111");
    snprintf(s.head_sha, sizeof s.head_sha, "%s", "2222222222222222222222222222222222222222");
    snprintf(s.merge_base_sha, sizeof s.merge_base_sha, "%s",
             "3333333333333333333333333333333333333333");
    s.paths = calloc(n, sizeof(*s.paths));
    s.path_count = s.paths_total = n;
    for (size_t i = 0; i < n; i++) {
        s.paths[i].path = strdup(paths[i]);
        s.paths[i].kind = kinds[i];
    }
    s.commits = calloc(2, sizeof(*s.commits));
    s.commit_count = 2;
    snprintf(s.commits[0].sha, 41, "%s", "abcdef0123456789abcdef0123456789abcdef01");
    s.commits[0].title = strdup("Fix parser (#12)");
    s.commits[0].pr = 12;
    snprintf(s.commits[1].sha, 41, "%s", "def0123456789abcdef0123456789abcdef01234");
    s.commits[1].title = strdup("landq title");
    s.commits[1].pr = 15;
    return s;
}

static void attach(lq_conflict_path *p, size_t n, const size_t *idx)
{
    p->commits = malloc(n * sizeof(size_t));
    memcpy(p->commits, idx, n * sizeof(size_t));
    p->commit_count = n;
}

static const lq_conflict_report_opts OPTS = {
    .repo = "acme/mono", .number = 42, .base = "main", .head_branch = "feature-x",
    .label = "land", .label_removed = 1};

static char *build(const lq_conflict_set *s, const lq_conflict_report_opts *o)
{
    char *out = NULL;
    lq_error err = {0};
    cr_assert_eq(lq_conflict_report_build(&out, s, o, &err), LQ_OK, "%s", err.msg);
    return out;
}

Test(conflict_report, one_file_with_commit_pr_and_commands)
{
    const char *paths[] = {"src/parser.c"};
    lq_conflict_kind kinds[] = {LQ_CONFLICT_CONTENT};
    lq_conflict_set s = make_set(1, paths, kinds);
    size_t idx[] = {0, 1};
    attach(&s.paths[0], 2, idx);
    char *t = build(&s, &OPTS);
    cr_assert(strstr(t, "**landq: merge conflict** with `main` (at `111111111111`)"), "%s", t);
    cr_assert(strstr(t, "1 file conflicts. I removed the `land` label."), "%s", t);
    cr_assert(strstr(t, "- `src/parser.c` — **content**: both sides changed the same lines."),
              "%s", t);
    cr_assert(strstr(t, "`abcdef012345` `Fix parser (#12)` (from #12); `def012345678` "
                        "`landq title` (#15)."), "%s", t);
    cr_assert(strstr(t, "Pull requests on the base that touched these files: #12, #15."), "%s", t);
    cr_assert(strstr(t, "**How to fix:** update the branch with `main` in your clone of "
                        "`acme/mono`. Rebase onto it:"), "%s", t);
    cr_assert(strstr(t, "git fetch origin && git checkout feature-x && git rebase origin/main\n"),
              "%s", t);
    cr_assert(strstr(t, "git push --force-with-lease origin feature-x\n"), "%s", t);
    cr_assert(strstr(t, "git fetch origin && git checkout feature-x && git merge origin/main\n"),
              "%s", t);
    cr_assert(strstr(t, "add the `land` label again: landq puts the pull request back"), "%s", t);
    free(t);
    lq_conflict_set_dispose(&s);
}

/* A pull request from a fork: the branch lives in the fork (origin in the author's clone), the
 * base repository is fetched from upstream, and the report says how to add it. */
Test(conflict_report, fork_commands_fetch_upstream_and_push_origin)
{
    const char *paths[] = {"src/parser.c"};
    lq_conflict_kind kinds[] = {LQ_CONFLICT_CONTENT};
    lq_conflict_set s = make_set(1, paths, kinds);
    lq_conflict_report_opts o = OPTS;
    o.fork = "alice/mono";
    o.base_url = "https://github.com/acme/mono.git";
    char *t = build(&s, &o);
    cr_assert(strstr(t, "in your clone of the fork `alice/mono` (`upstream` below is `acme/mono`; "
                        "add it once with `git remote add upstream "
                        "https://github.com/acme/mono.git`). Rebase onto it:"), "%s", t);
    cr_assert(strstr(t, "git fetch upstream && git checkout feature-x && git rebase upstream/main\n"),
              "%s", t);
    cr_assert(strstr(t, "git push --force-with-lease origin feature-x\n"), "%s", t);
    cr_assert(strstr(t, "git fetch upstream && git checkout feature-x && git merge upstream/main\n"),
              "%s", t);
    cr_assert(strstr(t, "git push origin feature-x\n"), "%s", t);
    cr_assert_null(strstr(t, "git fetch origin"), "%s", t);
    free(t);

    /* a URL that could break out of the inline code is not shown */
    o.base_url = "https://example.test/`rm -rf`";
    t = build(&s, &o);
    cr_assert_null(strstr(t, "git remote add"), "%s", t);
    cr_assert_null(strstr(t, "rm -rf"), "%s", t);
    free(t);

    /* an explicit remote name wins for both */
    o.remote = "base";
    t = build(&s, &o);
    cr_assert(strstr(t, "git fetch base && "), "%s", t);
    cr_assert(strstr(t, "git push --force-with-lease base feature-x\n"), "%s", t);
    free(t);
    lq_conflict_set_dispose(&s);
}

Test(conflict_report, every_kind_is_explained)
{
    const char *paths[] = {"a", "b", "c", "d", "e"};
    lq_conflict_kind kinds[] = {LQ_CONFLICT_CONTENT, LQ_CONFLICT_ADD_ADD,
                                LQ_CONFLICT_MODIFY_DELETE, LQ_CONFLICT_MODIFY_DELETE,
                                LQ_CONFLICT_RENAME};
    lq_conflict_set s = make_set(5, paths, kinds);
    s.paths[0].binary = 1;
    s.paths[2].deleted_on_base = 1;
    s.paths[4].base_path = strdup("e-on-main");
    char *t = build(&s, &OPTS);
    cr_assert(strstr(t, "**content (binary)**: both sides changed this binary file"), "%s", t);
    cr_assert(strstr(t, "**add/add**: both sides added this file"), "%s", t);
    cr_assert(strstr(t, "`c` — **modify/delete**: deleted on the base branch, modified by this "
                        "pull request"), "%s", t);
    cr_assert(strstr(t, "`d` — **modify/delete**: modified on the base branch, deleted by this"),
              "%s", t);
    cr_assert(strstr(t, "`e-on-main` (on `main`) / `e` (in this pull request) — **rename**"),
              "%s", t);
    cr_assert(strstr(t, "5 files conflict."), "%s", t);
    cr_assert(strstr(t, "(No commit on the base since your branch point changed it.)"), "%s", t);
    free(t);
    lq_conflict_set_dispose(&s);
}

Test(conflict_report, early_warning_names_the_landing)
{
    const char *paths[] = {"x"};
    lq_conflict_kind kinds[] = {LQ_CONFLICT_CONTENT};
    lq_conflict_set s = make_set(1, paths, kinds);
    lq_conflict_report_opts o = OPTS;
    o.caused_by_pr = 7;
    char *t = build(&s, &o);
    cr_assert(strstr(t, ", caused by #7 which just landed:"), "%s", t);
    free(t);
    lq_conflict_set_dispose(&s);
}

Test(conflict_report, hostile_text_is_contained)
{
    const char *paths[] = {"we`ird\npath @everyone"};
    lq_conflict_kind kinds[] = {LQ_CONFLICT_CONTENT};
    lq_conflict_set s = make_set(1, paths, kinds);
    free(s.commits[0].title);
    s.commits[0].title = strdup("``ping @alice`` <img>");
    size_t idx[] = {0};
    attach(&s.paths[0], 1, idx);
    lq_conflict_report_opts o = OPTS;
    o.head_branch = "it's$(rm -rf)";
    char *t = build(&s, &o);
    cr_assert(strstr(t, "- ``we`ird?path @everyone``"), "%s", t);
    cr_assert(strstr(t, "```` ``ping @alice`` <img> ````") || strstr(t, "``` ``ping @alice`` <img> ```"),
              "%s", t);
    cr_assert(strstr(t, "git checkout 'it'\\''s$(rm -rf)' && "), "%s", t);
    free(t);
    lq_conflict_set_dispose(&s);
}

Test(conflict_report, long_lists_are_capped)
{
    const char *paths[40];
    lq_conflict_kind kinds[40];
    char names[40][8];
    for (int i = 0; i < 40; i++) {
        snprintf(names[i], sizeof names[i], "f%02d", i);
        paths[i] = names[i];
        kinds[i] = LQ_CONFLICT_CONTENT;
    }
    lq_conflict_set s = make_set(40, paths, kinds);
    s.paths_total = 55;
    lq_conflict_report_opts o = OPTS;
    o.max_paths = 10;
    char *t = build(&s, &o);
    cr_assert(strstr(t, "- `f09`"), "%s", t);
    cr_assert_null(strstr(t, "- `f10`"), "%s", t);
    cr_assert(strstr(t, "- ... and 45 more files."), "%s", t);
    cr_assert(strstr(t, "55 files conflict."), "%s", t);
    free(t);
    lq_conflict_set_dispose(&s);
}

Test(conflict_report, rejects_bad_input)
{
    char *out = NULL;
    lq_error err = {0};
    lq_conflict_set empty;
    memset(&empty, 0, sizeof empty);
    cr_assert_eq(lq_conflict_report_build(&out, &empty, &OPTS, &err), LQ_EINVAL);
    cr_assert(strstr(err.msg, "no conflicting paths"), "%s", err.msg);
    const char *paths[] = {"x"};
    lq_conflict_kind kinds[] = {LQ_CONFLICT_CONTENT};
    lq_conflict_set s = make_set(1, paths, kinds);
    lq_conflict_report_opts o = OPTS;
    o.base = NULL;
    cr_assert_eq(lq_conflict_report_build(&out, &s, &o, &err), LQ_EINVAL);
    cr_assert_null(out);
    lq_conflict_set_dispose(&s);
}

Test(conflict_report, summary_fits_a_status)
{
    const char *paths[] = {"src/a.c", "b"};
    lq_conflict_kind kinds[] = {LQ_CONFLICT_CONTENT, LQ_CONFLICT_ADD_ADD};
    lq_conflict_set s = make_set(2, paths, kinds);
    char out[512];
    lq_conflict_report_summary(out, sizeof out, &s, "main");
    cr_assert_str_eq(out, "merge conflict with main: src/a.c (content) and 1 more file");
    s.path_count = 1;
    s.paths_total = 1;
    lq_conflict_report_summary(out, sizeof out, &s, "main");
    cr_assert_str_eq(out, "merge conflict with main: src/a.c (content)");
    s.path_count = 2;
    s.paths_total = 2;
    /* A very long UTF-8 path is cut to stay within 140 characters. */
    free(s.paths[0].path);
    char longp[600] = "";
    for (int i = 0; i < 100; i++)
        strcat(longp, "é/");
    s.paths[0].path = strdup(longp);
    lq_conflict_report_summary(out, sizeof out, &s, "main");
    size_t chars = 0;
    for (const char *p = out; *p; p++)
        chars += ((unsigned char)*p & 0xC0) != 0x80;
    cr_assert_leq(chars, 140, "%zu: %s", chars, out);
    cr_assert(strstr(out, "...") && strstr(out, "(content) and 1 more file"), "%s", out);
    lq_conflict_report_summary(out, 20, &s, "main"); /* small buffers are safe */
    cr_assert_lt(strlen(out), 20);
    lq_conflict_set_dispose(&s);
}

Test(conflict_report, pr_number_from_title)
{
    cr_assert_eq(lq_conflict_pr_from_title("Fix it (#123)"), 123);
    cr_assert_eq(lq_conflict_pr_from_title("Fix it (#123)  \n"), 123);
    cr_assert_eq(lq_conflict_pr_from_title("Fix it (#12) more"), 0);
    cr_assert_eq(lq_conflict_pr_from_title("Fix it(#12)"), 0);
    cr_assert_eq(lq_conflict_pr_from_title("(#12)"), 0);
    cr_assert_eq(lq_conflict_pr_from_title("x (#)"), 0);
    cr_assert_eq(lq_conflict_pr_from_title("x (#99999999999)"), 0);
    cr_assert_eq(lq_conflict_pr_from_title(NULL), 0);
    cr_assert_eq(lq_conflict_pr_from_title(""), 0);
}
