/* Unit tests of the HTML writer (landq/core/html.c) and the page router (core/page_route.c). */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "html.h"
#include "page_html.h"
#include "page_route.h"

static char *esc(const char *s)
{
    char *out = lq_html_escape(s);
    cr_assert_not_null(out);
    return out;
}

static void expect_escape(const char *in, const char *want)
{
    char *got = esc(in);
    cr_assert_str_eq(got, want, "escape(%s)", in);
    free(got);
}

Test(html, escapes_markup_and_quotes)
{
    expect_escape("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;");
    expect_escape("a \"b\" 'c' & d", "a &quot;b&quot; &#39;c&#39; &amp; d");
    expect_escape("&amp;", "&amp;amp;");
    expect_escape("", "");
    expect_escape("plain text, caf\xC3\xA9 \xE2\x9C\x93", "plain text, caf\xC3\xA9 \xE2\x9C\x93");
}

Test(html, invalid_utf8_and_controls_become_replacement_characters)
{
    expect_escape("a\xFF" "b", "a\xEF\xBF\xBD" "b");                /* stray byte */
    expect_escape("\xC0\xBC" "x", "\xEF\xBF\xBD\xEF\xBF\xBDx");       /* overlong '<' */
    expect_escape("\xED\xA0\x80", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"); /* surrogate */
    expect_escape("\xE2\x82", "\xEF\xBF\xBD\xEF\xBF\xBD");           /* truncated */
    expect_escape("a\x01" "b\x1B[31m", "a\xEF\xBF\xBD" "b\xEF\xBF\xBD[31m");
    expect_escape("tab\tnew\nline", "tab\tnew\nline");
    expect_escape("\xC2\x85", "\xEF\xBF\xBD");                      /* C1 control NEL */
    expect_escape("\x7F", "\xEF\xBF\xBD");
}

Test(html, bidi_overrides_are_isolated)
{
    lq_html h = {0};
    lq_html_bdi(&h, "evil\xE2\x80\xAEgnp.exe");
    char *s = lq_html_take(&h);
    cr_assert_str_eq(s, "<bdi>evil\xE2\x80\xAEgnp.exe</bdi>");
    free(s);
}

Test(html, code_spans)
{
    lq_html h = {0};
    lq_html_codetext(&h, "`infra/<x>.tf` needs one of @acme/infra (`CODEOWNERS` line 3) `open");
    char *s = lq_html_take(&h);
    cr_assert_str_eq(s, "<code><bdi>infra/&lt;x&gt;.tf</bdi></code> needs one of @acme/infra "
                        "(<code><bdi>CODEOWNERS</bdi></code> line 3) `open");
    free(s);
}

Test(html, links_only_to_the_allowed_https_origin)
{
    static const struct {
        const char *url, *want;
    } cases[] = {
        {"https://github.com/acme/mono/pull/1",
         "<a href=\"https://github.com/acme/mono/pull/1\">t</a>"},
        {"javascript:alert(1)", "t"},
        {"JAVASCRIPT:alert(1)", "t"},
        {"data:text/html,<script>", "t"},
        {"http://github.com/acme/mono/pull/1", "t"},
        {"https://github.com.evil.example/x", "t"},
        {"https://github.com@evil.example/x", "t"},
        {"https://github.com", "t"},
        {"https://github.com/a\"onmouseover=\"x", "t"},
        {"https://github.com/a b", "t"},
        {"https://github.com/a<b", "t"},
        {"//evil.example/x", "t"},
        {NULL, "t"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        lq_html h = {0};
        lq_html_link(&h, "https://github.com", cases[i].url, "t");
        char *s = lq_html_take(&h);
        cr_assert_str_eq(s, cases[i].want, "link %s", cases[i].url ? cases[i].url : "NULL");
        free(s);
    }
    lq_html h = {0};
    lq_html_link(&h, "javascript:", "javascript://x", "<t>");
    char *s = lq_html_take(&h);
    cr_assert_str_eq(s, "&lt;t&gt;");
    free(s);
}

Test(html, origins)
{
    cr_assert(lq_html_origin_ok("https://github.com"));
    cr_assert(lq_html_origin_ok("https://ghe.example.com:8443"));
    cr_assert_not(lq_html_origin_ok("http://github.com"));
    cr_assert_not(lq_html_origin_ok("https://github.com/"));
    cr_assert_not(lq_html_origin_ok("https://"));
    cr_assert_not(lq_html_origin_ok("https://a b"));
    cr_assert_not(lq_html_origin_ok("https://user@github.com"));
    cr_assert_not(lq_html_origin_ok("https://github.com:"));
    cr_assert_not(lq_html_origin_ok("https://github.com:123456"));
    cr_assert_not(lq_html_origin_ok("javascript:alert(1)"));
    cr_assert_not(lq_html_origin_ok(NULL));
}

Test(html, size_cap_fails_cleanly)
{
    lq_html h = {0};
    char *big = malloc(1 << 20);
    cr_assert_not_null(big);
    memset(big, 'a', (1 << 20) - 1);
    big[(1 << 20) - 1] = '\0';
    for (int i = 0; i < 40 && !h.failed; i++)
        lq_html_raw(&h, big);
    cr_assert(h.failed);
    lq_html_text(&h, "more");
    cr_assert_null(lq_html_take(&h));
    free(big);
}

Test(html, error_page_escapes_the_message)
{
    char *s = lq_page_error_html(404, "no such pull request <img src=x onerror=alert(1)>");
    cr_assert_not_null(s);
    cr_assert(strstr(s, "<h1>404 Not Found</h1>"));
    cr_assert(strstr(s, "&lt;img src=x onerror=alert(1)&gt;"));
    cr_assert_null(strstr(s, "<img"));
    cr_assert(strstr(s, "<!doctype html>") == s);
    free(s);
}

/* ---------------------------------------------------------------- routing */

static int route(lq_page_req *r, const char *method, const char *path)
{
    lq_error err = {0};
    int st = lq_page_route(r, method, path, 0, &err);
    if (st != 200)
        cr_assert(err.msg[0], "%s %s: a refusal says why", method, path);
    return st;
}

Test(page_route, pages)
{
    lq_page_req r;
    cr_assert_eq(route(&r, "GET", "/queue"), 200);
    cr_assert_eq(r.kind, LQ_PAGE_QUEUE);
    cr_assert_eq(route(&r, "HEAD", "/queue/"), 200);
    cr_assert(r.head);
    cr_assert_eq(route(&r, "GET", "/api/queue"), 200);
    cr_assert_eq(r.kind, LQ_PAGE_QUEUE_JSON);
    cr_assert(r.json);
    cr_assert_eq(route(&r, "GET", "/queue/assets/queue.css"), 200);
    cr_assert_eq(r.kind, LQ_PAGE_CSS);
    cr_assert_eq(route(&r, "GET", "/queue/assets/queue.js"), 200);
    cr_assert_eq(r.kind, LQ_PAGE_JS);
    cr_assert_eq(route(&r, "GET", "/queue/acme/mono.js-2_x/42"), 200);
    cr_assert_eq(r.kind, LQ_PAGE_PR);
    cr_assert_str_eq(r.repo, "acme/mono.js-2_x");
    cr_assert_eq(r.number, 42);
    cr_assert_eq(route(&r, "GET", "/api/queue/acme/mono/2147483647"), 200);
    cr_assert_eq(r.kind, LQ_PAGE_PR_JSON);
    cr_assert_eq(r.number, 2147483647);
    cr_assert_eq(route(&r, "POST", "/api/freeze"), 200);
    cr_assert_eq(r.kind, LQ_PAGE_FREEZE);
    cr_assert_eq(route(&r, "POST", "/api/unfreeze"), 200);
    cr_assert_eq(r.kind, LQ_PAGE_UNFREEZE);
}

Test(page_route, malformed_paths_are_400)
{
    static const char *const bad[] = {
        "/queue/acme", "/queue/acme/mono", "/queue/acme/mono/", "/queue/acme/mono/0",
        "/queue/acme/mono/007", "/queue/acme/mono/-1", "/queue/acme/mono/+1",
        "/queue/acme/mono/2147483648", "/queue/acme/mono/99999999999999999999",
        "/queue/acme/mono/1/extra", "/queue/acme/mono/1x", "/queue/-acme/mono/1",
        "/queue/ac me/mono/1", "/queue/acme/../1", "/queue/acme/./1", "/queue//mono/1",
        "/queue/acme/mono%2F1/1", "/queue/<script>/x/1",
        "/queue/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/mono/1", /* 40-character owner */
        "/api/queue/acme/mono/abc", "/queue/acme/m\xC3\xA9/1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        lq_page_req r;
        cr_assert_eq(route(&r, "GET", bad[i]), 400, "%s", bad[i]);
    }
}

Test(page_route, unknown_pages_404_and_wrong_methods_405)
{
    lq_page_req r;
    cr_assert_eq(route(&r, "GET", "/"), 404);
    cr_assert_eq(route(&r, "GET", "/queues"), 404);
    cr_assert_eq(route(&r, "GET", "/queue/assets/other.js"), 404);
    cr_assert_eq(route(&r, "GET", "/queue/assets/../queue.js"), 404);
    cr_assert_eq(route(&r, "POST", "/queue"), 405);
    cr_assert_eq(route(&r, "DELETE", "/api/queue/acme/mono/1"), 405);
    cr_assert_eq(route(&r, "GET", "/api/freeze"), 405);
    cr_assert_eq(route(&r, "GET", "/api/unfreeze"), 405);
}

Test(page_route, huge_query_strings_are_400)
{
    lq_page_req r;
    lq_error err = {0};
    cr_assert_eq(lq_page_route(&r, "GET", "/queue", LQ_PAGE_QUERY_MAX, &err), 200);
    cr_assert_eq(lq_page_route(&r, "GET", "/queue", LQ_PAGE_QUERY_MAX + 1, &err), 400);
    cr_assert(strstr(err.msg, "query string is too long"));
    cr_assert_eq(lq_page_route(&r, "GET", "/api/queue", 1 << 20, &err), 400);
    cr_assert(r.json);
}

Test(page_route, repo_syntax)
{
    cr_assert(lq_page_repo_ok("acme/mono"));
    cr_assert(lq_page_repo_ok("a/b.c_d-e"));
    cr_assert_not(lq_page_repo_ok("acme"));
    cr_assert_not(lq_page_repo_ok("acme/mono/x"));
    cr_assert_not(lq_page_repo_ok("acme/.."));
    cr_assert_not(lq_page_repo_ok("/mono"));
    cr_assert_not(lq_page_repo_ok(NULL));
}
