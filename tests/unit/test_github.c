/* Unit tests of the GitHub REST client (landq/io/github.c) against a scripted loopback server:
 * headers, ETag cache, Link pagination, 5xx retries (GET only), primary and secondary rate
 * limits, stop during a wait. */
#include <criterion/criterion.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gh.h"
#include "github.h"
#include "metrics.h"

#define MAXR 16

typedef struct reply {
    int status;
    const char *body;
    const char *h1, *v1; /* optional header */
    const char *h2, *v2;
} reply;

static struct {
    pthread_mutex_t lock;
    reply script[MAXR];
    int nscript, next;
    char seen[MAXR][512];      /* "METHOD URL" */
    char inm[MAXR][128];       /* If-None-Match */
    char auth[MAXR][128];
    char ua[MAXR][128];
    char version[MAXR][64];
    char body[MAXR][1024];     /* request body (truncated) */
    char upload[1024];         /* the body of the request in progress */
    size_t upload_len;
    int nseen;
    int port;
} srv = {.lock = PTHREAD_MUTEX_INITIALIZER};

static struct MHD_Daemon *daemon_;
static lq_github *gh;

static void copy_hdr(struct MHD_Connection *c, const char *name, char *dst, size_t cap)
{
    const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
    snprintf(dst, cap, "%s", v ? v : "");
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version, const char *upload,
                               size_t *upload_size, void **state)
{
    (void)cls;
    (void)version;
    (void)upload;
    if (!*state) { /* first call: headers only */
        *state = (void *)1;
        return MHD_YES;
    }
    if (*upload_size) { /* keep the body (the tests make one request at a time) */
        pthread_mutex_lock(&srv.lock);
        size_t room = sizeof srv.upload - 1 - srv.upload_len;
        size_t n = *upload_size < room ? *upload_size : room;
        memcpy(srv.upload + srv.upload_len, upload, n);
        srv.upload_len += n;
        srv.upload[srv.upload_len] = '\0';
        pthread_mutex_unlock(&srv.lock);
        *upload_size = 0;
        return MHD_YES;
    }
    pthread_mutex_lock(&srv.lock);
    int i = srv.nseen < MAXR ? srv.nseen++ : MAXR - 1;
    snprintf(srv.body[i], sizeof srv.body[i], "%s", srv.upload);
    srv.upload_len = 0;
    srv.upload[0] = '\0';
    const char *q = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "page");
    snprintf(srv.seen[i], sizeof srv.seen[i], "%s %s%s%s", method, url, q ? "?page=" : "",
             q ? q : "");
    copy_hdr(c, "If-None-Match", srv.inm[i], sizeof srv.inm[i]);
    copy_hdr(c, "Authorization", srv.auth[i], sizeof srv.auth[i]);
    copy_hdr(c, "User-Agent", srv.ua[i], sizeof srv.ua[i]);
    copy_hdr(c, "X-GitHub-Api-Version", srv.version[i], sizeof srv.version[i]);
    reply r = srv.next < srv.nscript ? srv.script[srv.next++] : (reply){500, "{}", 0, 0, 0, 0};
    pthread_mutex_unlock(&srv.lock);
    char link[256];
    const char *v1 = r.v1;
    if (r.v1 && !strcmp(r.v1, "@LINK")) { /* a Link header pointing back at this server */
        snprintf(link, sizeof link, "<http://127.0.0.1:%d/list?page=2>; rel=\"next\", "
                 "<http://127.0.0.1:1/list?page=9>; rel=\"last\"", srv.port);
        v1 = link;
    }
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        strlen(r.body ? r.body : ""), (void *)(r.body ? r.body : ""), MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(resp, "Content-Type", "application/json");
    if (r.h1)
        MHD_add_response_header(resp, r.h1, v1);
    if (r.h2)
        MHD_add_response_header(resp, r.h2, r.v2);
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)r.status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static int stop_flag;
static int should_stop(void *ctx)
{
    (void)ctx;
    return stop_flag;
}

static void setup(void)
{
    memset(srv.script, 0, sizeof srv.script);
    srv.nscript = srv.next = srv.nseen = 0;
    srv.upload_len = 0;
    srv.upload[0] = '\0';
    stop_flag = 0;
    daemon_ = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL,
                               handler, NULL, MHD_OPTION_END);
    cr_assert_not_null(daemon_);
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(daemon_, MHD_DAEMON_INFO_BIND_PORT);
    srv.port = info->port;
    char api[64];
    snprintf(api, sizeof api, "http://127.0.0.1:%d/", srv.port);
    lq_github_config cfg = {.api_url = api, .token = "sekrit", .user_agent = "landq-test",
                            .backoff_ms = 10, .secondary_wait_ms = 50, .max_retries = 3,
                            .should_stop = should_stop};
    lq_error err = {0};
    cr_assert_eq(lq_github_new(&gh, &cfg, &err), LQ_OK, "%s", err.msg);
}

static void teardown(void)
{
    lq_github_free(gh);
    MHD_stop_daemon(daemon_);
}

static void script(reply r)
{
    srv.script[srv.nscript++] = r;
}

TestSuite(github, .init = setup, .fini = teardown);

Test(github, headers_and_json)
{
    script((reply){200, "{\"number\": 7}", 0, 0, 0, 0});
    json_t *j = NULL;
    lq_error err = {0};
    cr_assert_eq(lq_github_get_json(gh, &j, "/repos/a/b/pulls/7", &err), LQ_OK, "%s", err.msg);
    cr_assert_eq(json_integer_value(json_object_get(j, "number")), 7);
    json_decref(j);
    cr_assert_str_eq(srv.seen[0], "GET /repos/a/b/pulls/7");
    cr_assert_str_eq(srv.auth[0], "Bearer sekrit");
    cr_assert_str_eq(srv.ua[0], "landq-test");
    cr_assert_str_eq(srv.version[0], "2022-11-28");
}

Test(github, etag_cache_serves_304)
{
    script((reply){200, "{\"v\": 1}", "ETag", "\"abc\"", 0, 0});
    script((reply){304, "", 0, 0, 0, 0});
    json_t *j = NULL;
    lq_error err = {0};
    cr_assert_eq(lq_github_get_json(gh, &j, "/x", &err), LQ_OK);
    json_decref(j);
    cr_assert_eq(lq_github_get_json(gh, &j, "/x", &err), LQ_OK, "%s", err.msg);
    cr_assert_eq(json_integer_value(json_object_get(j, "v")), 1);
    json_decref(j);
    cr_assert_str_eq(srv.inm[0], "");
    cr_assert_str_eq(srv.inm[1], "\"abc\"");
    lq_gh_rate rate;
    lq_github_rate(gh, &rate);
    cr_assert_eq(rate.not_modified, 1);
}

/* The metrics hook (lq_github_config.metrics): every HTTP exchange counted by status, from the
 * client itself, including repeats; 304s from the cache; retries. And the Date header. */
Test(github, metrics_hook_counts_every_exchange_and_keeps_the_date)
{
    lq_metrics *m = lq_metrics_new();
    cr_assert_not_null(m);
    char api[64];
    snprintf(api, sizeof api, "http://127.0.0.1:%d", srv.port);
    lq_github_config cfg = {.api_url = api, .token = "t", .backoff_ms = 10, .max_retries = 3,
                            .metrics = m};
    lq_github *g = NULL;
    lq_error err = {0};
    cr_assert_eq(lq_github_new(&g, &cfg, &err), LQ_OK, "%s", err.msg);
    char *t = lq_metrics_text(m); /* declared, and the counters shown at 0 */
    cr_assert(strstr(t, "# TYPE landq_github_requests_total counter\n"), "%s", t);
    cr_assert(strstr(t, "\nlandq_github_not_modified_total 0\n"), "%s", t);
    cr_assert(strstr(t, "\nlandq_github_retries_total 0\n"), "%s", t);
    free(t);
    script((reply){200, "{\"v\": 1}", "ETag", "\"e1\"", "Date", "Sat, 28 Nov 2026 10:30:52 GMT"});
    script((reply){304, "", 0, 0, 0, 0});
    script((reply){502, "{}", 0, 0, 0, 0});
    script((reply){200, "{}", 0, 0, 0, 0});
    script((reply){401, "{\"message\": \"Bad credentials\"}", 0, 0, 0, 0});
    lq_gh_response r;
    cr_assert_eq(lq_github_request(g, &r, "GET", "/x", NULL, &err), LQ_OK, "%s", err.msg);
    cr_assert_str_eq(r.date, "Sat, 28 Nov 2026 10:30:52 GMT");
    lq_gh_response_dispose(&r);
    cr_assert_eq(lq_github_request(g, &r, "GET", "/x", NULL, &err), LQ_OK, "%s", err.msg);
    cr_assert(r.from_cache);
    lq_gh_response_dispose(&r);
    cr_assert_eq(lq_github_request(g, &r, "GET", "/flaky", NULL, &err), LQ_OK, "%s", err.msg);
    lq_gh_response_dispose(&r);
    cr_assert_eq(lq_github_request(g, &r, "POST", "/denied", NULL, &err), LQ_OK, "%s", err.msg);
    cr_assert_eq(r.status, 401);
    lq_gh_response_dispose(&r);
    lq_github_free(g);
    t = lq_metrics_text(m);
    cr_expect(strstr(t, "\nlandq_github_requests_total{status=\"200\"} 2\n"), "%s", t);
    cr_expect(strstr(t, "\nlandq_github_requests_total{status=\"304\"} 1\n"), "%s", t);
    cr_expect(strstr(t, "\nlandq_github_requests_total{status=\"502\"} 1\n"), "%s", t);
    cr_expect(strstr(t, "\nlandq_github_requests_total{status=\"401\"} 1\n"), "%s", t);
    cr_expect(strstr(t, "\nlandq_github_not_modified_total 1\n"), "%s", t);
    cr_expect(strstr(t, "\nlandq_github_retries_total 1\n"), "%s", t);
    free(t);
    lq_metrics_free(m);
}

Test(github, link_pagination_collects_all_pages)
{
    script((reply){200, "[1, 2]", "Link", "@LINK", 0, 0});
    script((reply){200, "[3]", 0, 0, 0, 0});
    json_t *all = NULL;
    lq_error err = {0};
    cr_assert_eq(lq_github_get_all(gh, &all, "/list", NULL, 0, &err), LQ_OK, "%s", err.msg);
    cr_assert_eq(json_array_size(all), 3);
    json_decref(all);
    cr_assert_str_eq(srv.seen[1], "GET /list?page=2");
}

Test(github, wrapped_list_and_404)
{
    script((reply){200, "{\"total_count\": 1, \"check_runs\": [{\"name\": \"ci\"}]}", 0, 0, 0, 0});
    script((reply){404, "{\"message\": \"Not Found\"}", 0, 0, 0, 0});
    json_t *all = NULL;
    lq_error err = {0};
    cr_assert_eq(lq_github_get_all(gh, &all, "/runs", "check_runs", 0, &err), LQ_OK);
    cr_assert_eq(json_array_size(all), 1);
    json_decref(all);
    cr_assert_eq(lq_github_get_all(gh, &all, "/gone", NULL, 0, &err), LQ_ENOTFOUND);
    cr_assert_null(all);
}

Test(github, get_retries_5xx_then_succeeds)
{
    script((reply){502, "{}", 0, 0, 0, 0});
    script((reply){503, "{}", 0, 0, 0, 0});
    script((reply){200, "{\"ok\": true}", 0, 0, 0, 0});
    json_t *j = NULL;
    lq_error err = {0};
    cr_assert_eq(lq_github_get_json(gh, &j, "/flaky", &err), LQ_OK, "%s", err.msg);
    json_decref(j);
    cr_assert_eq(srv.nseen, 3);
}

Test(github, get_gives_up_after_max_retries)
{
    for (int i = 0; i < 4; i++)
        script((reply){500, "{}", 0, 0, 0, 0});
    lq_gh_response r;
    lq_error err = {0};
    cr_assert_eq(lq_github_request(gh, &r, "GET", "/down", NULL, &err), LQ_ETRANSIENT);
    cr_assert_eq(r.status, 500);
    lq_gh_response_dispose(&r);
    cr_assert_eq(srv.nseen, 4);
}

Test(github, put_is_not_retried_on_5xx)
{
    script((reply){502, "{}", 0, 0, 0, 0});
    json_t *body = json_pack("{s:s}", "merge_method", "squash");
    lq_gh_response r;
    lq_error err = {0};
    cr_assert_eq(lq_github_request(gh, &r, "PUT", "/merge", body, &err), LQ_OK);
    cr_assert_eq(r.status, 502);
    lq_gh_response_dispose(&r);
    json_decref(body);
    cr_assert_eq(srv.nseen, 1, "a merge must never be repeated blindly");
}

/* The merge request pins the head SHA landq decided on (GitHub answers 409 when the head moved
 * since), squashes, and carries the title and message landq built. */
Test(github, merge_request_pins_the_decided_head_sha)
{
    script((reply){200, "{\"sha\": \"cccccccccccccccccccccccccccccccccccccccc\", \"merged\": true, "
                        "\"message\": \"Pull Request successfully merged\"}", 0, 0, 0, 0});
    script((reply){409, "{\"message\": \"Head branch was modified. Review and try the merge "
                        "again.\"}", 0, 0, 0, 0});
    lq_gh g;
    lq_gh_rest_init(&g, gh);
    const char *head = "abcdefabcdefabcdefabcdefabcdefabcdefabcd";
    lq_gh_merge_req req = {.sha = head, .title = "Fix the README (#7)",
                           .message = "Body.\n\nApproved-by: bob"};
    lq_gh_merge_result out;
    lq_error err = {0};
    cr_assert_eq(lq_gh_merge(&g, &out, "acme/mono", 7, &req, &err), LQ_OK, "%s", err.msg);
    cr_assert_eq(out.http, 200);
    cr_assert(out.merged);
    cr_assert_str_eq(out.sha, "cccccccccccccccccccccccccccccccccccccccc");
    cr_assert_str_eq(srv.seen[0], "PUT /repos/acme/mono/pulls/7/merge");
    json_error_t jerr;
    json_t *sent = json_loads(srv.body[0], 0, &jerr);
    cr_assert_not_null(sent, "merge body is not JSON: %s", srv.body[0]);
    cr_assert_str_eq(json_string_value(json_object_get(sent, "sha")), head, "%s", srv.body[0]);
    cr_assert_str_eq(json_string_value(json_object_get(sent, "merge_method")), "squash");
    cr_assert_str_eq(json_string_value(json_object_get(sent, "commit_title")), "Fix the README (#7)");
    cr_assert_str_eq(json_string_value(json_object_get(sent, "commit_message")),
                     "Body.\n\nApproved-by: bob");
    json_decref(sent);

    /* a moved head: 409 reaches the caller as such, not merged */
    req.sha = "0123456789012345678901234567890123456789";
    cr_assert_eq(lq_gh_merge(&g, &out, "acme/mono", 7, &req, &err), LQ_OK, "%s", err.msg);
    cr_assert_eq(out.http, 409);
    cr_assert_not(out.merged);
    sent = json_loads(srv.body[1], 0, &jerr);
    cr_assert_not_null(sent);
    cr_assert_str_eq(json_string_value(json_object_get(sent, "sha")), req.sha);
    json_decref(sent);
}

Test(github, primary_limit_waits_for_reset)
{
    char reset[32];
    snprintf(reset, sizeof reset, "%ld", (long)time(NULL) + 1);
    script((reply){403, "{\"message\": \"API rate limit exceeded\"}", "x-ratelimit-remaining", "0",
                   "x-ratelimit-reset", reset});
    script((reply){200, "{}", "x-ratelimit-remaining", "4999", 0, 0});
    lq_gh_response r;
    lq_error err = {0};
    time_t t0 = time(NULL);
    cr_assert_eq(lq_github_request(gh, &r, "POST", "/comments", NULL, &err), LQ_OK, "%s", err.msg);
    cr_assert_eq(r.status, 200);
    lq_gh_response_dispose(&r);
    cr_assert_geq(time(NULL) - t0, 1, "must wait for the reset");
    lq_gh_rate rate;
    lq_github_rate(gh, &rate);
    cr_assert_eq(rate.remaining, 4999);
}

Test(github, secondary_limit_honours_retry_after)
{
    script((reply){429, "{\"message\": \"You have exceeded a secondary rate limit\"}",
                   "Retry-After", "1", 0, 0});
    script((reply){200, "{}", 0, 0, 0, 0});
    lq_gh_response r;
    lq_error err = {0};
    time_t t0 = time(NULL);
    cr_assert_eq(lq_github_request(gh, &r, "GET", "/busy", NULL, &err), LQ_OK, "%s", err.msg);
    lq_gh_response_dispose(&r);
    cr_assert_geq(time(NULL) - t0, 1);
    cr_assert_eq(srv.nseen, 2);
}

Test(github, secondary_limit_without_retry_after_waits_minimum)
{
    script((reply){403, "{\"message\": \"You have exceeded a secondary rate limit.\"}", 0, 0, 0, 0});
    script((reply){200, "{}", 0, 0, 0, 0});
    lq_gh_response r;
    lq_error err = {0};
    cr_assert_eq(lq_github_request(gh, &r, "GET", "/busy", NULL, &err), LQ_OK, "%s", err.msg);
    cr_assert_eq(r.status, 200);
    lq_gh_response_dispose(&r);
}

Test(github, plain_403_is_returned)
{
    script((reply){403, "{\"message\": \"Resource not accessible by integration\"}", 0, 0, 0, 0});
    lq_gh_response r;
    lq_error err = {0};
    cr_assert_eq(lq_github_request(gh, &r, "DELETE", "/labels/land", NULL, &err), LQ_OK);
    cr_assert_eq(r.status, 403);
    lq_gh_response_dispose(&r);
    cr_assert_eq(srv.nseen, 1);
}

Test(github, stop_cuts_a_wait_short)
{
    char reset[32];
    snprintf(reset, sizeof reset, "%ld", (long)time(NULL) + 3600);
    script((reply){429, "{}", "x-ratelimit-remaining", "0", "x-ratelimit-reset", reset});
    stop_flag = 1;
    lq_gh_response r;
    lq_error err = {0};
    cr_assert_eq(lq_github_request(gh, &r, "GET", "/limited", NULL, &err), LQ_ERROR);
    cr_assert(strstr(err.msg, "stopped"), "%s", err.msg);
    cr_assert_null(strstr(err.msg, "sekrit"));
    lq_gh_response_dispose(&r);
}

Test(github, escape)
{
    char *e = lq_github_escape("a b/c%d~", 0);
    cr_assert_str_eq(e, "a%20b%2Fc%25d~");
    free(e);
    e = lq_github_escape("docs/CODE OWNERS", 1);
    cr_assert_str_eq(e, "docs/CODE%20OWNERS");
    free(e);
}

/* ---------------------------------------------------------------- the typed layer (gh_rest) */

/* Issue 18: statuses come from the list (newest first, all pages), the latest per context,
 * because the combined status embeds the repository and is never a 304 in a queue. */
Test(github, statuses_are_the_latest_per_context_from_the_list)
{
    script((reply){200,
                   "[{\"id\": 9, \"context\": \"ci\", \"state\": \"failure\", \"description\": "
                   "\"broke\"}, {\"id\": 8, \"context\": \"landq\", \"state\": \"pending\"}]",
                   "Link", "@LINK", 0, 0});
    script((reply){200,
                   "[{\"id\": 7, \"context\": \"ci\", \"state\": \"success\"}, {\"id\": 6, "
                   "\"context\": \"lint\", \"state\": \"success\", \"target_url\": \"u\"}]",
                   0, 0, 0, 0});
    lq_gh g;
    lq_gh_rest_init(&g, gh);
    lq_gh_checks c;
    lq_error err = {0};
    cr_assert_eq(lq_gh_statuses_get(&g, &c, "acme/mono", "abc", &err), LQ_OK, "%s", err.msg);
    cr_assert(strstr(srv.seen[0], "GET /repos/acme/mono/commits/abc/statuses"), "%s",
              srv.seen[0]);
    cr_assert_eq(c.count, 3);
    cr_assert_str_eq(c.items[0].name, "ci");
    cr_assert_str_eq(c.items[0].state, "failure", "the newest status of a context counts");
    cr_assert_str_eq(c.items[0].description, "broke");
    cr_assert_eq(c.items[0].id, 9);
    cr_assert_str_eq(c.items[1].name, "landq");
    cr_assert_str_eq(c.items[2].name, "lint");
    cr_assert_str_eq(c.items[2].url, "u");
    lq_gh_checks_dispose(&c);
}

/* The timeline: label events and comments ("commented": the author is user.login). */
Test(github, timeline_gives_label_events_and_comments)
{
    script((reply){200,
                   "[{\"id\": 1, \"event\": \"labeled\", \"actor\": {\"login\": \"alice\"}, "
                   "\"label\": {\"name\": \"land\"}, \"created_at\": \"2026-12-01T10:00:00Z\"},"
                   " {\"event\": \"committed\", \"sha\": \"abc\"},"
                   " {\"id\": 55, \"event\": \"commented\", \"actor\": {\"login\": \"landq-bot\"},"
                   " \"user\": {\"login\": \"landq-bot\"}, \"body\": \"<!-- landq:status -->\\nhi\","
                   " \"created_at\": \"2026-12-01T10:00:01Z\"}]",
                   0, 0, 0, 0});
    lq_gh g;
    lq_gh_rest_init(&g, gh);
    lq_gh_issue_events ev;
    lq_error err = {0};
    cr_assert_eq(lq_gh_issue_events_list(&g, &ev, "acme/mono", 7, &err), LQ_OK, "%s", err.msg);
    cr_assert(strstr(srv.seen[0], "GET /repos/acme/mono/issues/7/timeline"), "%s", srv.seen[0]);
    cr_assert_eq(ev.count, 3);
    cr_assert_str_eq(ev.items[0].event, "labeled");
    cr_assert_str_eq(ev.items[0].actor, "alice");
    cr_assert_str_eq(ev.items[0].label, "land");
    cr_assert_null(ev.items[0].body);
    cr_assert_str_eq(ev.items[1].event, "committed");
    cr_assert_str_eq(ev.items[1].actor, "");
    cr_assert_str_eq(ev.items[2].event, "commented");
    cr_assert_eq(ev.items[2].id, 55);
    cr_assert_str_eq(ev.items[2].actor, "landq-bot");
    cr_assert(strstr(ev.items[2].body, "landq:status"));
    lq_gh_issue_events_dispose(&ev);
}
