/* Unit tests of the queue page model and renderings (landq/core/queue_view.c, pr_view.c). */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "pr_view.h"
#include "queue_view.h"

#define T0 1767225600000LL /* 2026-01-01T00:00:00Z */

static json_t *explain(const char *title, const char *author, const char *kind,
                       const char *summary)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:{s:s, s:s, s:[s]}, s:[], s:[]}", "title", title,
                          "author", author, "head_sha", "0123456789abcdef0123456789abcdef01234567",
                          "base", "main", "verdict", "kind", kind, "summary", summary, "reasons",
                          summary, "files", "checks");
    cr_assert_not_null(o);
    return o;
}

static void add_file(json_t *ex, const char *path, const char *owner, const char *missing)
{
    json_t *f = json_pack("{s:s, s:i, s:[s], s:[], s:s?}", "path", path, "line", 3, "owners",
                          owner, "approved_by", "missing", missing);
    if (!missing)
        json_object_set_new(f, "missing", json_null());
    json_array_append_new(json_object_get(ex, "files"), f);
}

static void add_check(json_t *ex, const char *name, const char *state)
{
    json_array_append_new(json_object_get(ex, "checks"),
                          json_pack("{s:s, s:s, s:n}", "name", name, "state", state, "detail"));
}

static const char *const repos[] = {"acme/mono", "acme/web"};

static lq_qv base_view(const lq_qv_pr *prs, size_t n)
{
    lq_qv v;
    memset(&v, 0, sizeof v);
    v.web_url = "https://github.com";
    v.repos = repos;
    v.repo_count = 2;
    v.prs = prs;
    v.pr_count = n;
    v.rate.remaining = -1;
    v.rate.limit = -1;
    v.now_ms = T0 + 3600 * 1000;
    v.refresh_s = 2;
    v.status_context = "landq";
    return v;
}

static json_t *render_json(const lq_qv *v)
{
    json_t *o = NULL;
    lq_error err = {0};
    cr_assert_eq(lq_qv_json(v, &o, &err), LQ_OK, "%s", err.msg);
    return o;
}

static char *render_html(const lq_qv *v)
{
    char *s = NULL;
    lq_error err = {0};
    cr_assert_eq(lq_qv_html(v, &s, &err), LQ_OK, "%s", err.msg);
    return s;
}

static json_t *pulls_of(json_t *o, size_t repo, size_t branch, size_t lane)
{
    json_t *b = json_array_get(json_object_get(json_array_get(json_object_get(o, "repos"), repo),
                                               "branches"),
                               branch);
    return json_object_get(json_array_get(json_object_get(b, "lanes"), lane), "pulls");
}

Test(queue_view, states_from_store_and_evaluation)
{
    json_t *owners = explain("t", "alice", "wait", "waiting for owner approval");
    add_file(owners, "infra/main.tf", "@acme/infra", "@acme/infra");
    json_t *checks = explain("t", "alice", "wait", "waiting for check ci/build");
    add_check(checks, "ci/build", "pending");
    add_check(checks, "landq", "pending");
    json_object_set_new(json_object_get(checks, "verdict"), "waiting_for", json_pack("[s]",
                                                                                     "checks"));
    json_t *draft = explain("t", "alice", "wait", "waiting: the pull request is a draft");
    json_t *frozen = explain("t", "alice", "wait", "waiting: main is frozen");
    json_object_set_new(json_object_get(frozen, "verdict"), "waiting_for", json_pack("[s]",
                                                                                     "freeze"));
    lq_qv_freeze fz = {"acme/mono", "main", "release 4.2", "carol", T0};
    lq_qv_pr p = {"acme/mono", "main", NULL, 1, LQ_PR_ARMED, T0, 0, "alice", "t", NULL, 0};
    cr_assert_eq(lq_qv_state_of(&p, NULL), LQ_QV_ARMED);
    p.explain = owners;
    cr_assert_eq(lq_qv_state_of(&p, NULL), LQ_QV_WAIT_OWNERS);
    p.explain = checks;
    cr_assert_eq(lq_qv_state_of(&p, NULL), LQ_QV_WAIT_CHECKS);
    p.explain = draft;
    cr_assert_eq(lq_qv_state_of(&p, NULL), LQ_QV_WAITING);
    p.explain = frozen;
    cr_assert_eq(lq_qv_state_of(&p, &fz), LQ_QV_HELD);
    p.state = LQ_PR_READY;
    cr_assert_eq(lq_qv_state_of(&p, NULL), LQ_QV_READY);
    cr_assert_eq(lq_qv_state_of(&p, &fz), LQ_QV_HELD);
    p.testing = 1;
    cr_assert_eq(lq_qv_state_of(&p, NULL), LQ_QV_TESTING);
    p.testing = 0;
    p.state = LQ_PR_MERGING;
    cr_assert_eq(lq_qv_state_of(&p, &fz), LQ_QV_LANDING);
    p.state = LQ_PR_BLOCKED;
    cr_assert_eq(lq_qv_state_of(&p, NULL), LQ_QV_BLOCKED);
    for (int s = 0; s < LQ_QV_STATE_COUNT; s++) {
        cr_assert_neq(strcmp(lq_qv_state_str((lq_qv_state)s), "invalid"), 0);
        cr_assert_neq(strcmp(lq_qv_state_label((lq_qv_state)s), "invalid"), 0);
    }
    json_decref(owners);
    json_decref(checks);
    json_decref(draft);
    json_decref(frozen);
}

Test(queue_view, json_orders_like_the_landing_step_with_priority_first)
{
    lq_qv_pr prs[] = {
        {"acme/mono", "main", NULL, 7, LQ_PR_READY, T0 + 3000, 0, NULL, "seven", NULL, 0},
        {"acme/mono", "main", NULL, 5, LQ_PR_ARMED, T0 + 1000, 0, NULL, "five", NULL, 0},
        {"acme/mono", "main", NULL, 9, LQ_PR_ARMED, T0 + 9000, 1, "root", "nine", NULL, 0},
        {"acme/mono", "dev", NULL, 3, LQ_PR_READY, T0, 0, NULL, "three", NULL, 0},
        {"acme/mono", "main", NULL, 2, LQ_PR_LANDED, T0, 0, NULL, "landed", NULL, 0},
        {"ACME/web", "main", NULL, 4, LQ_PR_BLOCKED, T0, 0, NULL, "web", NULL, 0},
    };
    lq_qv v = base_view(prs, 6);
    json_t *o = render_json(&v);
    json_t *jrepos = json_object_get(o, "repos");
    cr_assert_eq(json_array_size(jrepos), 2);
    json_t *mono = json_array_get(jrepos, 0);
    cr_assert_str_eq(json_string_value(json_object_get(mono, "repo")), "acme/mono");
    json_t *branches = json_object_get(mono, "branches");
    cr_assert_eq(json_array_size(branches), 2);
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(branches, 0), "branch")),
                     "dev");
    json_t *main_b = json_array_get(branches, 1);
    cr_assert_eq(json_integer_value(json_object_get(main_b, "queued")), 3);
    cr_assert(json_is_null(json_object_get(main_b, "frozen")));
    json_t *pulls = pulls_of(o, 0, 1, 0);
    cr_assert_eq(json_array_size(pulls), 3);
    static const int order[] = {9, 5, 7};
    for (size_t i = 0; i < 3; i++) {
        json_t *p = json_array_get(pulls, i);
        cr_assert_eq(json_integer_value(json_object_get(p, "number")), order[i]);
        cr_assert_eq(json_integer_value(json_object_get(p, "position")), (json_int_t)i + 1);
    }
    json_t *nine = json_array_get(pulls, 0);
    cr_assert(json_is_true(json_object_get(nine, "priority")));
    cr_assert_str_eq(json_string_value(json_object_get(nine, "url")),
                     "https://github.com/acme/mono/pull/9");
    cr_assert_str_eq(json_string_value(json_object_get(nine, "page")), "/queue/acme/mono/9");
    cr_assert_str_eq(json_string_value(json_object_get(nine, "state")), "armed");
    cr_assert_str_eq(json_string_value(json_object_get(nine, "labeler")), "root");
    cr_assert_str_eq(json_string_value(json_object_get(nine, "title")), "nine");
    cr_assert(json_is_false(json_object_get(nine, "evaluated")));
    json_t *five = json_array_get(pulls, 1);
    cr_assert_eq(json_integer_value(json_object_get(five, "in_queue_s")), 3599);
    cr_assert_str_eq(json_string_value(json_object_get(five, "queued_at")),
                     "2026-01-01T00:00:01Z");
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(pulls, 2), "state")),
                     "ready");
    /* the blocked pull request of acme/web, whose name differs in case only */
    json_t *web = json_array_get(pulls_of(o, 1, 0, 0), 0);
    cr_assert_str_eq(json_string_value(json_object_get(web, "state")), "blocked");
    cr_assert(json_is_null(json_object_get(o, "rate_limit")));
    json_decref(o);
    /* positions agree with the JSON */
    size_t total = 0;
    cr_assert_eq(lq_qv_position(&v, &prs[0], &total), 3);
    cr_assert_eq(total, 3);
    cr_assert_eq(lq_qv_position(&v, &prs[2], &total), 1);
    cr_assert_eq(lq_qv_position(&v, &prs[4], &total), 0);
}

Test(queue_view, lanes_are_separate_tables)
{
    lq_qv_pr prs[] = {
        {"acme/mono", "main", "infra", 1, LQ_PR_READY, T0 + 2, 0, NULL, "a", NULL, 0},
        {"acme/mono", "main", "docs", 2, LQ_PR_READY, T0 + 1, 0, NULL, "b", NULL, 1},
        {"acme/mono", "main", "infra", 3, LQ_PR_READY, T0 + 3, 0, NULL, "c", NULL, 0},
    };
    lq_qv v = base_view(prs, 3);
    json_t *o = render_json(&v);
    json_t *b = json_array_get(json_object_get(json_array_get(json_object_get(o, "repos"), 0),
                                               "branches"),
                               0);
    json_t *lanes = json_object_get(b, "lanes");
    cr_assert_eq(json_array_size(lanes), 2);
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(lanes, 0), "lane")), "docs");
    json_t *infra = json_object_get(json_array_get(lanes, 1), "pulls");
    cr_assert_eq(json_array_size(infra), 2);
    cr_assert_eq(json_integer_value(json_object_get(json_array_get(infra, 1), "position")), 2);
    cr_assert_str_eq(json_string_value(json_object_get(
                         json_array_get(json_object_get(json_array_get(lanes, 0), "pulls"), 0),
                         "state")),
                     "testing");
    json_decref(o);
    char *html = render_html(&v);
    cr_assert(strstr(html, "Lane <bdi>docs</bdi>"));
    cr_assert(strstr(html, "Lane <bdi>infra</bdi>"));
    free(html);
}

Test(queue_view, why_owners_checks_freeze_landings_and_rate)
{
    json_t *ex = explain("Fix infra", "alice", "wait",
                         "waiting for owner approval: infra/main.tf needs one of @acme/infra");
    add_file(ex, "infra/main.tf", "@acme/infra", "@acme/infra");
    add_file(ex, "docs/a.md", "@acme/docs", NULL);
    add_check(ex, "ci/build", "pending");
    add_check(ex, "landq", "pending");
    lq_qv_pr prs[] = {
        {"acme/mono", "main", NULL, 12, LQ_PR_ARMED, T0, 0, "alice", NULL, ex, 0},
    };
    lq_qv_freeze fz[] = {{"acme/mono", "main", "release 4.2", "carol", T0 + 60000}};
    lq_qv_landing ld[] = {
        {"acme/mono", "main", "Earlier", 11, T0 - 600000, T0 - 60000, "abcdef0123456789"},
        {"acme/mono", "main", NULL, 10, 0, T0 - 120000, NULL},
    };
    lq_qv v = base_view(prs, 1);
    v.freezes = fz;
    v.freeze_count = 1;
    v.landings = ld;
    v.landing_count = 2;
    v.rate = (lq_qv_rate){4812, 5000, 1767229200};
    v.priority_label = "land:urgent";
    json_t *o = render_json(&v);
    json_t *p = json_array_get(pulls_of(o, 0, 0, 0), 0);
    cr_assert_str_eq(json_string_value(json_object_get(p, "state")), "waiting_for_owners");
    cr_assert_str_eq(json_string_value(json_object_get(p, "author")), "alice");
    json_t *miss = json_object_get(p, "waiting_for_owners");
    cr_assert_eq(json_array_size(miss), 1);
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(miss, 0), "path")),
                     "infra/main.tf");
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(miss, 0), "owners")),
                     "@acme/infra");
    json_t *pend = json_object_get(p, "checks_pending");
    cr_assert_eq(json_array_size(pend), 1, "landq's own status is not a check to wait for");
    cr_assert_str_eq(json_string_value(json_array_get(pend, 0)), "ci/build");
    cr_assert_str_eq(json_string_value(json_object_get(json_object_get(p, "why"), "summary")),
                     "waiting for owner approval: infra/main.tf needs one of @acme/infra");
    json_t *b = json_array_get(json_object_get(json_array_get(json_object_get(o, "repos"), 0),
                                               "branches"),
                               0);
    json_t *jf = json_object_get(b, "frozen");
    cr_assert_str_eq(json_string_value(json_object_get(jf, "reason")), "release 4.2");
    cr_assert_str_eq(json_string_value(json_object_get(jf, "by")), "carol");
    cr_assert_str_eq(json_string_value(json_object_get(jf, "since")), "2026-01-01T00:01:00Z");
    json_t *landings = json_object_get(o, "landings");
    cr_assert_eq(json_array_size(landings), 2);
    cr_assert_eq(json_integer_value(json_object_get(json_array_get(landings, 0),
                                                    "time_to_land_s")), 540);
    cr_assert(json_is_null(json_object_get(json_array_get(landings, 1), "time_to_land_s")));
    json_t *rate = json_object_get(o, "rate_limit");
    cr_assert_eq(json_integer_value(json_object_get(rate, "remaining")), 4812);
    cr_assert_str_eq(json_string_value(json_object_get(rate, "reset_at")),
                     "2026-01-01T01:00:00Z");
    cr_assert_eq(json_array_size(json_object_get(o, "frozen")), 1);
    cr_assert_str_eq(json_string_value(json_object_get(o, "priority_label")), "land:urgent");
    json_decref(o);

    char *html = render_html(&v);
    cr_assert(strstr(html, "waiting for owners"));
    cr_assert(strstr(html, "<code><bdi>infra/main.tf</bdi></code>: one of <bdi>@acme/infra"));
    cr_assert(strstr(html, "Checks running: <code><bdi>ci/build</bdi></code></p>"));
    cr_assert(strstr(html, "Frozen</strong>: nothing lands on <code><bdi>main</bdi></code>"));
    cr_assert(strstr(html, "release 4.2"));
    cr_assert(strstr(html, "<strong>4812</strong> of 5000 requests left"));
    cr_assert(strstr(html, "data-label=\"Time to land\">9 min</td>"), "time to land of #11");
    cr_assert(strstr(html, "data-label=\"Time to land\">unknown</td>"), "time to land of #10");
    cr_assert(strstr(html, "href=\"https://github.com/acme/mono/pull/12\""));
    cr_assert(strstr(html, "href=\"/queue/acme/mono/12\""));
    cr_assert(strstr(html, "<th role=\"columnheader\" scope=\"col\">Position</th>"));
    cr_assert(strstr(html, "data-sig=\""));
    cr_assert(strstr(html, "<caption>"));
    cr_assert(strstr(html, "aria-hidden=\"true\""));
    cr_assert(strstr(html, "<h2 id=\"r1\"><a href=\"https://github.com/acme/web\">acme/web</a>"
                           "</h2>\n<p class=\"empty\">Nothing queued.</p>"));
    free(html);
    json_decref(ex);
}

/* Every untrusted string is inert: titles, logins, paths, reasons, branch names, freeze
 * reasons, lanes. The only markup is landq's own. */
Test(queue_view, hostile_strings_are_inert)
{
    const char *evil = "<script>alert(1)</script>\"'><img src=x onerror=alert(2)>"
                       "\xE2\x80\xAEjavascript:alert(3)";
    json_t *ex = explain(evil, evil, "wait", evil);
    add_file(ex, evil, evil, evil);
    add_check(ex, evil, "pending");
    json_array_append_new(json_object_get(json_object_get(ex, "verdict"), "reasons"),
                          json_string("`<b>x</b>` and `javascript:alert(4)`"));
    lq_qv_pr prs[] = {{"acme/mono", evil, evil, 1, LQ_PR_ARMED, T0, 1, evil, evil, ex, 0}};
    lq_qv_freeze fz[] = {{"acme/mono", evil, evil, evil, T0}};
    lq_qv_landing ld[] = {{"acme/mono", evil, evil, 2, T0, T0, evil}};
    lq_qv v = base_view(prs, 1);
    v.freezes = fz;
    v.freeze_count = 1;
    v.landings = ld;
    v.landing_count = 1;
    v.priority_label = evil;
    char *html = render_html(&v);
    cr_assert_null(strstr(html, "<script>alert"));
    cr_assert_null(strstr(html, "<img"));
    cr_assert_null(strstr(html, "<b>"));
    cr_assert_null(strstr(html, "href=\"javascript"));
    cr_assert_null(strstr(html, "onerror=alert(2)>"));
    cr_assert(strstr(html, "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&gt;&lt;img"));
    cr_assert(strstr(html, "<bdi class=\"title\">&lt;script&gt;"), "titles are isolated");
    /* the only <script> element is landq's own */
    const char *first = strstr(html, "<script");
    cr_assert(first && !strncmp(first, "<script src=\"/queue/assets/queue.js\" defer></script>",
                                52));
    cr_assert_null(strstr(first + 1, "<script"));
    /* every href points at GitHub or landq itself */
    for (const char *a = strstr(html, "href=\""); a; a = strstr(a + 1, "href=\""))
        cr_assert(!strncmp(a + 6, "https://github.com/", 19) || a[6] == '/' || a[6] == '#',
                  "unexpected link %.40s", a);
    free(html);

    lq_qv_audit au[] = {{T0, evil, evil, evil, evil, NULL}};
    lq_pr_view pv = {&v, "acme/mono", 1, &prs[0], au, 1};
    char *page = NULL;
    lq_error err = {0};
    cr_assert_eq(lq_pr_view_html(&pv, &page, &err), LQ_OK, "%s", err.msg);
    cr_assert_null(strstr(page, "<script>alert"));
    cr_assert_null(strstr(page, "<img"));
    cr_assert_null(strstr(page, "<b>"));
    first = strstr(page, "<script");
    cr_assert_null(strstr(first + 1, "<script"));
    free(page);
    json_decref(ex);
}

Test(queue_view, pr_page_shows_explain_facts_and_audit)
{
    json_t *ex = explain("Fix infra", "alice", "wait",
                         "waiting for owner approval: infra/main.tf needs one of @acme/infra");
    add_file(ex, "infra/main.tf", "@acme/infra", "@acme/infra");
    add_file(ex, "docs/guide.md", "@acme/docs", NULL);
    json_array_append_new(json_object_get(json_array_get(json_object_get(ex, "files"), 1),
                                          "approved_by"),
                          json_pack("{s:s, s:s, s:s}", "reviewer", "dora", "via", "@acme/docs",
                                    "sha", "0123"));
    add_check(ex, "ci/build", "success");
    json_object_set_new(ex, "codeowners", json_pack("{s:s, s:n}", "path", ".github/CODEOWNERS",
                                                    "error"));
    json_object_set_new(ex, "approvals_without_write", json_pack("[s]", "trudy"));
    lq_qv_pr prs[] = {
        {"acme/mono", "main", NULL, 4, LQ_PR_READY, T0 - 5, 0, NULL, "x", NULL, 0},
        {"acme/mono", "main", NULL, 12, LQ_PR_ARMED, T0, 0, "alice", NULL, ex, 0},
    };
    lq_qv v = base_view(prs, 2);
    json_t *reasons = json_pack("[s]", "`infra/main.tf` needs an approval");
    lq_qv_audit au[] = {
        {T0, "0123456789abcdef", "wait", "waiting for owner approval", NULL, reasons},
        {T0 + 1000, "0123456789abcdef", "ready", "ready to land", NULL, NULL},
    };
    lq_pr_view pv = {&v, "acme/mono", 12, &prs[1], au, 2};
    char *page = NULL;
    lq_error err = {0};
    cr_assert_eq(lq_pr_view_html(&pv, &page, &err), LQ_OK, "%s", err.msg);
    cr_assert(strstr(page, "<h1>acme/mono#12: <bdi class=\"title\">Fix infra</bdi></h1>"));
    cr_assert(strstr(page, "<span id=\"position\">2</span> of 2 on <code><bdi>main</bdi></code>"));
    cr_assert(strstr(page, "<strong id=\"verdict\">wait</strong>"));
    cr_assert(strstr(page, "<th scope=\"row\" class=\"path\"><code><bdi>infra/main.tf</bdi>"
                           "</code></th><td class=\"owners\"><bdi>@acme/infra</bdi> "
                           "<span class=\"line\">(line 3)</span>"));
    cr_assert(strstr(page, "needs one of <bdi class=\"missing\">@acme/infra</bdi>"));
    cr_assert(strstr(page, "<bdi>dora</bdi> <span class=\"via\">(as <bdi>@acme/docs</bdi>)"));
    cr_assert(strstr(page, "<code><bdi>.github/CODEOWNERS</bdi></code>"));
    cr_assert(strstr(page, "no write permission): <bdi>trudy</bdi>"));
    cr_assert(strstr(page, "ci/build"));
    cr_assert(strstr(page, "<h2 id=\"history\">History</h2>"));
    cr_assert(strstr(page, "<td>wait</td><td><code>0123456789ab</code></td>"));
    cr_assert(strstr(page, "<li><code><bdi>infra/main.tf</bdi></code> needs an approval</li>"));
    free(page);

    json_t *o = NULL;
    cr_assert_eq(lq_pr_view_json(&pv, &o, &err), LQ_OK, "%s", err.msg);
    cr_assert_eq(json_integer_value(json_object_get(o, "position")), 2);
    cr_assert_str_eq(json_string_value(json_object_get(o, "display_state")),
                     "waiting_for_owners");
    cr_assert(json_equal(json_object_get(o, "explain"), ex), "the explain object, unchanged");
    cr_assert_eq(json_array_size(json_object_get(o, "audit")), 2);
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(o, "audit"),
                                                                      1),
                                                       "action")),
                     "ready");
    json_decref(o);

    /* a pull request landq has a row for but has not evaluated since it started */
    lq_pr_view bare = {&v, "acme/mono", 4, &prs[0], NULL, 0};
    cr_assert_eq(lq_pr_view_html(&bare, &page, &err), LQ_OK, "%s", err.msg);
    cr_assert(strstr(page, "has not evaluated this pull request since it started"));
    cr_assert(strstr(page, "No decision recorded yet."));
    free(page);
    json_decref(reasons);
    json_decref(ex);
}

Test(queue_view, durations_and_times)
{
    char b[64];
    lq_qv_duration(b, sizeof b, -5);
    cr_assert_str_eq(b, "0 s");
    lq_qv_duration(b, sizeof b, 59999);
    cr_assert_str_eq(b, "59 s");
    lq_qv_duration(b, sizeof b, 60000);
    cr_assert_str_eq(b, "1 min");
    lq_qv_duration(b, sizeof b, 3600000LL * 2 + 5 * 60000);
    cr_assert_str_eq(b, "2 h 5 min");
    lq_qv_duration(b, sizeof b, 86400000LL * 3 + 3600000LL * 4);
    cr_assert_str_eq(b, "3 d 4 h");
    lq_qv_iso(b, sizeof b, T0);
    cr_assert_str_eq(b, "2026-01-01T00:00:00Z");
    lq_qv_iso(b, sizeof b, -1);
    cr_assert_str_eq(b, "?");
}

Test(queue_view, empty_queue)
{
    lq_qv v = base_view(NULL, 0);
    json_t *o = render_json(&v);
    cr_assert_eq(json_array_size(json_object_get(o, "repos")), 2);
    cr_assert_eq(json_array_size(json_object_get(json_array_get(json_object_get(o, "repos"), 0),
                                                 "branches")),
                 0);
    json_decref(o);
    char *html = render_html(&v);
    cr_assert(strstr(html, "Nothing landed yet."));
    cr_assert(strstr(html, "<h2 id=\"frozen\">Frozen branches</h2>\n<p>None.</p>"));
    cr_assert(strstr(html, "not known yet"));
    cr_assert(strstr(html, "data-refresh=\"2\""));
    free(html);
}
