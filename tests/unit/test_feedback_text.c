/* Unit tests of landq's comments (landq/core/feedback_text.c, the reasons of core/policy.c and
 * core/conflict_report.c) with hostile inputs: whatever a path, title, body, branch, check name
 * or message holds, it stays inside a code span or fence, so no @-mention, #reference or HTML
 * of it reaches the rendered comment (issue 12, defect 6). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conflict_report.h"
#include "feedback_text.h"
#include "policy.h"

/* ---------------------------------------------------------------- a small CommonMark reader */

/* The length of the run of backticks at s. */
static size_t ticks(const char *s)
{
    size_t n = 0;
    while (s[n] == '`')
        n++;
    return n;
}

/* Appends the inline text of one paragraph with its code spans removed (CommonMark: a run of
 * k backticks opens a span closed by the next run of exactly k; with none, it is literal). */
static void strip_spans(char *out, size_t *o, const char *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        if (p[i] != '`') {
            out[(*o)++] = p[i++];
            continue;
        }
        size_t k = 0;
        while (i + k < n && p[i + k] == '`')
            k++;
        size_t j = i + k, close = 0;
        while (j < n) {
            if (p[j] != '`') {
                j++;
                continue;
            }
            size_t r = 0;
            while (j + r < n && p[j + r] == '`')
                r++;
            if (r == k) {
                close = j;
                break;
            }
            j += r;
        }
        if (close) {
            memcpy(out + *o, " CODE ", 6);
            *o += 6;
            i = close + k;
        } else {
            memcpy(out + *o, p + i, k);
            *o += k;
            i += k;
        }
    }
}

/* The prose of md: what GitHub would render as Markdown, with fenced blocks and code spans
 * taken out. Owned. */
static char *prose(const char *md)
{
    size_t n = strlen(md);
    char *out = calloc(n * 6 + 16, 1), *para = calloc(n + 2, 1);
    size_t o = 0, pl = 0, fence = 0;
    const char *line = md;
    while (*line) {
        const char *eol = strchr(line, '\n');
        size_t len = eol ? (size_t)(eol - line) : strlen(line);
        const char *t = line;
        size_t ind = 0;
        while (ind < 3 && ind < len && t[ind] == ' ')
            ind++;
        size_t run = ticks(t + ind);
        if (fence) {
            int rest_blank = 1;
            for (size_t k = ind + run; k < len; k++)
                rest_blank &= t[k] == ' ';
            if (run >= fence && rest_blank)
                fence = 0;
        } else if (run >= 3 && !memchr(t + ind + run, '`', len - ind - run)) {
            strip_spans(out, &o, para, pl);
            pl = 0;
            fence = run;
            out[o++] = '\n';
        } else if (len == 0) {
            strip_spans(out, &o, para, pl);
            pl = 0;
            out[o++] = '\n';
        } else {
            memcpy(para + pl, line, len);
            pl += len;
            para[pl++] = '\n';
        }
        line += len + (eol != NULL);
    }
    strip_spans(out, &o, para, pl);
    out[o] = '\0';
    free(para);
    cr_assert_eq(fence, 0, "a fence is never closed:\n%s", md);
    return out;
}

/* md renders none of the hostile text as Markdown. */
static void assert_contained(const char *md)
{
    char *p = prose(md);
    cr_assert_null(strstr(p, "@evil"), "an @-mention escaped:\n%s\n---- prose:\n%s", md, p);
    cr_assert_null(strstr(p, "#666"), "a #reference escaped:\n%s\n---- prose:\n%s", md, p);
    cr_assert_null(strstr(p, "<img"), "HTML escaped:\n%s\n---- prose:\n%s", md, p);
    free(p);
}

Test(feedback_text, the_reader_sees_an_escape)
{
    /* the reader itself: text closing its own span or fence is prose */
    char *p = prose("- `a`@evil` b\n\n```text\n```\n@evil\n");
    cr_assert(strstr(p, "@evil"), "%s", p);
    free(p);
}

/* ---------------------------------------------------------------- verdict comments */

#define HEAD "1111111111111111111111111111111111111111"
#define EVIL_PATH "docs/`@evil #666 <img>`.md"
#define TICKS20 "````````````````````"
#define TICKS15 "```````````````"
#define EVIL_LONG TICKS20 "@evil #666" TICKS15 " @evil " TICKS20 ".md"

static char *verdict_comment(const char *const *paths, size_t n, const lq_check *checks,
                             size_t nchecks, const char *base)
{
    static const char text[] = "*  @acme/core\n";
    lq_codeowners *co = NULL;
    lq_error err = {0};
    cr_assert_eq(lq_codeowners_parse(&co, text, strlen(text), &err), LQ_OK, "%s", err.msg);
    lq_changed_file files[4];
    for (size_t i = 0; i < n; i++)
        files[i] = (lq_changed_file){paths[i], NULL};
    lq_policy_facts f = {.repo = "acme/mono", .number = 7, .author = "alice", .head_sha = HEAD,
                         .base_ref = base, .open = 1, .has_label = 1, .label = "land",
                         .repo_configured = 1, .labeler = "alice", .labeler_can_write = 1,
                         .owners = co, .codeowners_path = ".github/CODEOWNERS", .files = files,
                         .file_count = n, .changed_files = n, .checks = checks,
                         .check_count = nchecks, .self_context = "landq"};
    lq_verdict v;
    cr_assert_eq(lq_policy_decide(&v, &f, &err), LQ_OK, "%s", err.msg);
    lq_feedback_pr pr = {.repo = "acme/mono", .base = base, .head_sha = HEAD, .label = "land",
                         .position = 1, .queue_length = 1};
    char *c = lq_feedback_text_verdict(&v, &pr);
    cr_assert_not_null(c);
    lq_verdict_dispose(&v);
    lq_codeowners_free(co);
    return c;
}

Test(feedback_text, hostile_paths_stay_in_code_spans)
{
    const char *paths[] = {EVIL_PATH, EVIL_LONG, "src/ok.c"};
    char *c = verdict_comment(paths, 3, NULL, 0, "main");
    assert_contained(c);
    /* the owners landq means to ping are still pinged */
    char *p = prose(c);
    cr_assert(strstr(p, "@acme/core"), "%s", c);
    free(p);
    free(c);
}

Test(feedback_text, hostile_base_branch_and_check_stay_in_code_spans)
{
    const char *paths[] = {"src/ok.c"};
    lq_check checks[] = {{"ci`@evil #666`", LQ_CHECK_FAILURE, "`@evil` #666 <img src=x>"}};
    char *c = verdict_comment(paths, 1, checks, 1, "ma`in@evil");
    assert_contained(c);
    free(c);
    lq_check pending[] = {{TICKS20 "@evil" TICKS20, LQ_CHECK_PENDING, NULL}};
    c = verdict_comment(paths, 1, pending, 1, "main");
    assert_contained(c);
    free(c);
}

Test(feedback_text, landed_message_cannot_close_its_fence)
{
    const char *msg = "Body.\n\n````\n@evil #666 <img>\n````\n" TICKS20 "\n@evil\n~~~\n<img>";
    char *c = lq_feedback_text_landed("ma`in@evil", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                                      HEAD, "Fix ````` @evil", msg);
    cr_assert_not_null(c);
    assert_contained(c);
    cr_assert(strstr(c, msg), "the message is shown verbatim:\n%s", c);
    free(c);
}

Test(feedback_text, refused_quote_is_contained)
{
    char *c = lq_feedback_text_refused("land", HEAD, "main",
                                       "Merge conflict\n\n@evil #666 <img> `x`");
    cr_assert_not_null(c);
    assert_contained(c);
    free(c);
}

/* ---------------------------------------------------------------- conflict reports */

Test(feedback_text, conflict_report_path_with_long_backtick_runs)
{
    lq_conflict_set s;
    memset(&s, 0, sizeof s);
    snprintf(s.base_sha, sizeof s.base_sha, "%s", HEAD);
    snprintf(s.head_sha, sizeof s.head_sha, "%s", HEAD);
    s.paths = calloc(2, sizeof(*s.paths));
    s.path_count = s.paths_total = 2;
    s.paths[0].path = strdup(EVIL_LONG);
    s.paths[1].path = strdup(EVIL_PATH);
    s.commits = calloc(1, sizeof(*s.commits));
    s.commit_count = 1;
    snprintf(s.commits[0].sha, 41, "%s", HEAD);
    s.commits[0].title = strdup(TICKS20 " @evil #666 <img>");
    s.paths[0].commits = calloc(1, sizeof(size_t));
    s.paths[0].commit_count = 1;
    lq_conflict_report_opts o = {.repo = "acme/mono", .number = 42, .base = "ma`in@evil",
                                 .head_branch = "x```\n@evil", .label = "land",
                                 .label_removed = 1};
    char *t = NULL;
    lq_error err = {0};
    cr_assert_eq(lq_conflict_report_build(&t, &s, &o, &err), LQ_OK, "%s", err.msg);
    char *c = lq_feedback_text_report(t);
    assert_contained(c);
    free(c);
    free(t);
    lq_conflict_set_dispose(&s);
}

Test(feedback_text, incident_branches_and_what_are_contained)
{
    char *c = lq_feedback_text_incident("ma`in@evil", TICKS20 "@evil #666", HEAD,
                                        "merged into '" TICKS15 "\n@evil <img>', but ...");
    cr_assert_not_null(c);
    assert_contained(c);
    cr_assert(strstr(c, "**landq: safety incident**"), "%s", c);
    free(c);
}
