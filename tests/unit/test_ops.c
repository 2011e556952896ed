/* Tests for landq/io/ops.c (the ops listener and its route API) over loopback, with libcurl. */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops.h"

static lq_ops *ops;
static int port;
static atomic_int handler_runs;

typedef struct response {
    long status;
    char body[8192];
    size_t len;
    char headers[4096];
    size_t hlen;
} response;

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    response *r = ud;
    size_t k = size * n, room = sizeof(r->body) - 1 - r->len;
    memcpy(r->body + r->len, p, k < room ? k : room);
    r->len += k < room ? k : room;
    r->body[r->len] = '\0';
    return k;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    response *r = ud;
    size_t k = size * n, room = sizeof(r->headers) - 1 - r->hlen;
    memcpy(r->headers + r->hlen, p, k < room ? k : room);
    r->hlen += k < room ? k : room;
    r->headers[r->hlen] = '\0';
    return k;
}

static response call(const char *method, const char *path, const char *auth, const char *body,
                     size_t len)
{
    response r;
    memset(&r, 0, sizeof r);
    CURL *c = curl_easy_init();
    char url[512];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
    struct curl_slist *h = NULL;
    if (auth)
        h = curl_slist_append(h, auth);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &r);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    if (!strcmp(method, "POST")) {
        curl_easy_setopt(c, CURLOPT_POST, 1L);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    } else if (!strcmp(method, "HEAD")) {
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    } else if (strcmp(method, "GET")) {
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    CURLcode rc = curl_easy_perform(c);
    cr_assert_eq(rc, CURLE_OK, "%s %s: %s", method, path, curl_easy_strerror(rc));
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return r;
}

static void echo(void *ctx, const lq_ops_request *req, lq_ops_response *resp)
{
    atomic_fetch_add(&handler_runs, 1);
    char buf[1024];
    const char *q = lq_ops_query(req, "q");
    snprintf(buf, sizeof buf, "%s %s %s rest=[%s] q=[%s] body=[%.*s] ua=[%s]\n",
             (const char *)ctx, req->method, req->path, req->rest, q ? q : "-",
             (int)req->body_len, req->body, lq_ops_header(req, "X-Test") ? "x" : "-");
    lq_ops_reply_text(resp, 200, "text/plain", buf);
    lq_ops_add_header(resp, "X-Route", (const char *)ctx);
}

static void silent(void *ctx, const lq_ops_request *req, lq_ops_response *resp)
{
    (void)ctx;
    (void)req;
    (void)resp; /* replies nothing: 500 */
}

typedef struct sse {
    int left;
} sse;

static ssize_t sse_next(void *ctx, char *buf, size_t cap)
{
    sse *s = ctx;
    if (s->left == 0)
        return 0;
    int n = snprintf(buf, cap, "event: tick\ndata: %d\n\n", s->left--);
    return n;
}

static void sse_free(void *ctx)
{
    free(ctx);
}

static void events(void *ctx, const lq_ops_request *req, lq_ops_response *resp)
{
    (void)ctx;
    (void)req;
    sse *s = malloc(sizeof *s);
    s->left = 3;
    lq_ops_reply_stream(resp, 200, "text/event-stream", sse_next, s, sse_free);
}

static void start(const char *token)
{
    lq_error err;
    lq_ops_config cfg = {.listen = "127.0.0.1:0", .admin_token = token, .max_body = 1024};
    cr_assert_eq(lq_ops_start(&ops, &cfg, &err), LQ_OK, "%s", err.msg);
    port = lq_ops_port(ops);
    cr_assert_gt(port, 0);
    cr_assert_eq(lq_ops_route(ops, "GET", "/queue", 0, echo, "exact", &err), LQ_OK);
    cr_assert_eq(lq_ops_route(ops, "GET", "/queue/", LQ_OPS_PREFIX, echo, "prefix", &err), LQ_OK);
    cr_assert_eq(lq_ops_route(ops, "GET", "/queue/acme/", LQ_OPS_PREFIX, echo, "longer", &err),
                 LQ_OK);
    cr_assert_eq(lq_ops_route(ops, "POST", "/api/freeze", LQ_OPS_ADMIN, echo, "admin", &err),
                 LQ_OK);
    cr_assert_eq(lq_ops_route(ops, "POST", "/echo", 0, echo, "post", &err), LQ_OK);
    cr_assert_eq(lq_ops_route(ops, "GET", "/silent", 0, silent, NULL, &err), LQ_OK);
    cr_assert_eq(lq_ops_route(ops, "GET", "/events", 0, events, NULL, &err), LQ_OK);
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

static void setup(void)
{
    start("s3cret-token");
}

static void teardown(void)
{
    lq_ops_stop(ops);
    ops = NULL;
    curl_global_cleanup();
}

TestSuite(ops, .init = setup, .fini = teardown, .timeout = 60);

Test(ops, exact_prefix_longest_prefix_and_query)
{
    response r = call("GET", "/queue?q=a%20b", NULL, NULL, 0);
    cr_assert_eq(r.status, 200);
    cr_assert_str_eq(r.body, "exact GET /queue rest=[] q=[a b] body=[] ua=[-]\n");
    cr_assert(strstr(r.headers, "X-Route: exact"), "%s", r.headers);
    cr_assert(strstr(r.headers, "X-Content-Type-Options: nosniff"), "%s", r.headers);
    cr_assert(strstr(r.headers, "Cache-Control: no-store"), "%s", r.headers);
    r = call("GET", "/queue/other/x/1", NULL, NULL, 0);
    cr_assert_str_eq(r.body, "prefix GET /queue/other/x/1 rest=[other/x/1] q=[-] body=[] ua=[-]\n");
    r = call("GET", "/queue/acme/mono/12", NULL, NULL, 0);
    cr_assert_str_eq(r.body, "longer GET /queue/acme/mono/12 rest=[mono/12] q=[-] body=[] ua=[-]\n");
}

Test(ops, head_404_405_and_no_answer)
{
    response r = call("HEAD", "/queue", NULL, NULL, 0);
    cr_assert_eq(r.status, 200);
    cr_assert_eq(r.len, 0);
    r = call("GET", "/nope", NULL, NULL, 0);
    cr_assert_eq(r.status, 404);
    r = call("DELETE", "/queue", NULL, NULL, 0);
    cr_assert_eq(r.status, 405);
    cr_assert(strstr(r.headers, "Allow: GET, HEAD"), "%s", r.headers);
    r = call("GET", "/echo", NULL, NULL, 0);
    cr_assert_eq(r.status, 405);
    cr_assert(strstr(r.headers, "Allow: POST"), "%s", r.headers);
    r = call("GET", "/silent", NULL, NULL, 0);
    cr_assert_eq(r.status, 500);
}

Test(ops, post_body_and_limit)
{
    response r = call("POST", "/echo", NULL, "{\"a\":1}", 7);
    cr_assert_eq(r.status, 200);
    cr_assert(strstr(r.body, "body=[{\"a\":1}]"), "%s", r.body);
    char big[2000];
    memset(big, 'x', sizeof big);
    int before = atomic_load(&handler_runs);
    r = call("POST", "/echo", NULL, big, sizeof big);
    cr_assert_eq(r.status, 413, "%ld %s", r.status, r.body);
    cr_assert_eq(atomic_load(&handler_runs), before, "the handler ran on a body over the limit");
}

Test(ops, admin_routes_need_the_bearer_token)
{
    int before = atomic_load(&handler_runs);
    response r = call("POST", "/api/freeze", NULL, "{}", 2);
    cr_assert_eq(r.status, 401);
    cr_assert(strstr(r.headers, "WWW-Authenticate: Bearer"), "%s", r.headers);
    r = call("POST", "/api/freeze", "Authorization: Bearer s3cret-toke", "{}", 2);
    cr_assert_eq(r.status, 401);
    r = call("POST", "/api/freeze", "Authorization: Bearer s3cret-token-and-more", "{}", 2);
    cr_assert_eq(r.status, 401);
    r = call("POST", "/api/freeze", "Authorization: Basic s3cret-token", "{}", 2);
    cr_assert_eq(r.status, 401);
    cr_assert_eq(atomic_load(&handler_runs), before);
    r = call("POST", "/api/freeze", "Authorization: Bearer s3cret-token", "{}", 2);
    cr_assert_eq(r.status, 200, "%ld %s", r.status, r.body);
    cr_assert(strstr(r.body, "admin POST /api/freeze"), "%s", r.body);
}

static void setup_no_token(void)
{
    start(NULL);
}

Test(ops_no_token, admin_routes_disabled_without_a_token, .init = setup_no_token,
     .fini = teardown, .timeout = 60)
{
    response r = call("POST", "/api/freeze", "Authorization: Bearer anything", "{}", 2);
    cr_assert_eq(r.status, 403);
    cr_assert(strstr(r.body, "disabled"), "%s", r.body);
}

Test(ops, server_sent_events_stream)
{
    response r = call("GET", "/events", NULL, NULL, 0);
    cr_assert_eq(r.status, 200);
    cr_assert(strstr(r.headers, "Content-Type: text/event-stream"), "%s", r.headers);
    cr_assert_str_eq(r.body, "event: tick\ndata: 3\n\nevent: tick\ndata: 2\n\n"
                             "event: tick\ndata: 1\n\n");
}

Test(ops, routes_added_while_serving_and_bad_routes)
{
    lq_error err;
    cr_assert_eq(lq_ops_route(ops, "GET", "/later", 0, echo, "later", &err), LQ_OK);
    response r = call("GET", "/later", NULL, NULL, 0);
    cr_assert_eq(r.status, 200);
    cr_assert_eq(lq_ops_route(ops, "GET", "/queue", 0, echo, "again", &err), LQ_EINVAL);
    cr_assert(strstr(err.msg, "already"), "%s", err.msg);
    cr_assert_eq(lq_ops_route(ops, "GET", "queue", 0, echo, NULL, &err), LQ_EINVAL);
    cr_assert_eq(lq_ops_route(ops, "GET", "/x", 8, echo, NULL, &err), LQ_EINVAL);
}

/* The same .timeout as every other test here: mixed values make Criterion's runner leak
 * (tests/criterion-timeouts.sh). */
Test(ops_config, bad_listen_address, .timeout = 60)
{
    lq_ops *o = NULL;
    lq_error err;
    lq_ops_config cfg = {.listen = "127.0.0.1:99999"};
    cr_assert_eq(lq_ops_start(&o, &cfg, &err), LQ_EINVAL);
    cr_assert(strstr(err.msg, "ops listener"), "%s", err.msg);
    cr_assert_null(o);
}
