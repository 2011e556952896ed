/* Tests for landq/io/intake*.c over loopback: lq_intake on 127.0.0.1:0 with an inbox in a
 * temporary directory, requests sent with libcurl. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "inbox.h"
#include "intake.h"
#include "signature.h"

static const char secret[] = "It's a Secret to Everybody";
static char dir[64], path[128];
static lq_inbox *inbox;
static lq_intake *intake;
static int port;
static int denied; /* allow hook answer */

static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;
static char log_text[16384];

static void log_line(void *ctx, const char *line)
{
    (void)ctx;
    pthread_mutex_lock(&log_mu);
    size_t used = strlen(log_text), n = strlen(line);
    if (used + n + 2 <= sizeof(log_text)) { /* keep the first lines only */
        memcpy(log_text + used, line, n);
        log_text[used + n] = '\n';
        log_text[used + n + 1] = '\0';
    }
    pthread_mutex_unlock(&log_mu);
}

/* Without proxies: loopback only (unless denied). Behind the test's proxy (127.0.0.1 trusted):
 * the clients in 192.30.252.0/22 ("GitHub"). */
static lq_cidr_list proxies;
static int allow(void *ctx, const lq_ip *addr)
{
    (void)ctx;
    char a[64];
    lq_ip_format(addr, a, sizeof a);
    if (proxies.n)
        return !strncmp(a, "192.30.25", 9);
    return !denied && !strcmp(a, "127.0.0.1");
}

static size_t max_buffered; /* 0: default */
static unsigned threads;     /* 0: thread per connection; N: event loop with N threads */
static unsigned per_source, header_timeout; /* 0: defaults */

static void start(int (*healthy)(void *))
{
    lq_error err;
    snprintf(dir, sizeof(dir), "/tmp/lq-intake-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/landq.db", dir);
    cr_assert_eq(lq_inbox_open(&inbox, path, &err), LQ_OK, "%s", err.msg);
    lq_intake_config cfg = {
        .listen = "127.0.0.1:0",
        .secret = secret,
        .secret_len = strlen(secret),
        .inbox = inbox,
        .healthy = healthy,
        .allow = allow,
        .trusted_proxies = &proxies,
        .per_source_connections = per_source,
        .header_timeout_s = header_timeout,
        .log = log_line,
        .max_buffered = max_buffered,
        .threads = threads,
    };
    cr_assert_eq(lq_intake_start(&intake, &cfg, &err), LQ_OK, "%s", err.msg);
    port = lq_intake_port(intake);
    cr_assert_gt(port, 0);
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

static void setup(void)
{
    start(NULL);
}

static void teardown(void)
{
    char f[160];
    const char *suffix[] = {"", "-wal", "-shm"};
    lq_intake_stop(intake);
    intake = NULL;
    lq_inbox_close(inbox);
    curl_global_cleanup();
    lq_cidr_list_dispose(&proxies);
    /* the knobs back to their defaults: the next test may run in this process
     * (tests/helpers/criterion_inproc.c) */
    max_buffered = 0;
    threads = per_source = header_timeout = 0;
    denied = 0;
    pthread_mutex_lock(&log_mu); /* each test's log from its first line */
    log_text[0] = '\0';
    pthread_mutex_unlock(&log_mu);
    for (size_t i = 0; i < 3; i++) {
        snprintf(f, sizeof(f), "%s%s", path, suffix[i]);
        unlink(f);
    }
    rmdir(dir);
}

static void setup_evloop(void)
{
    threads = 2;
    start(NULL);
}

/* Every test of suite "intake" runs twice: thread per connection, and the event loop with
 * asynchronous puts (suite "intake_evloop"). */
TestSuite(intake, .init = setup, .fini = teardown, .timeout = 60);
TestSuite(intake_evloop, .init = setup_evloop, .fini = teardown, .timeout = 60);
#define INTAKE_TEST(name)                                                                     \
    static void name##_body(void);                                                           \
    Test(intake, name)                                                                        \
    {                                                                                         \
        name##_body();                                                                        \
    }                                                                                         \
    Test(intake_evloop, name)                                                                 \
    {                                                                                         \
        name##_body();                                                                        \
    }                                                                                         \
    static void name##_body(void)

typedef struct response {
    long status;
    char body[4096];
    size_t len;
    char headers[4096];
    size_t hlen;
} response;

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    response *r = ud;
    size_t k = size * n;
    size_t room = sizeof(r->body) - 1 - r->len;
    memcpy(r->body + r->len, p, k < room ? k : room);
    r->len += k < room ? k : room;
    r->body[r->len] = '\0';
    return k;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    response *r = ud;
    size_t k = size * n;
    size_t room = sizeof(r->headers) - 1 - r->hlen;
    memcpy(r->headers + r->hlen, p, k < room ? k : room);
    r->hlen += k < room ? k : room;
    r->headers[r->hlen] = '\0';
    return k;
}

typedef struct stream {
    size_t left;
} stream;

static size_t stream_read(char *buf, size_t size, size_t n, void *ud)
{
    stream *s = ud;
    size_t k = size * n < s->left ? size * n : s->left;
    memset(buf, ' ', k);
    if (k)
        buf[0] = '{';
    s->left -= k;
    return k;
}

/* Sends METHOD url_path with the given extra headers (NULL-terminated) and body. A NULL body
 * with chunked_len > 0 streams that many bytes with chunked encoding. */
static response request_ex(const char *method, const char *url_path, const char **hdrs,
                           const char *body, size_t len, size_t chunked_len, int may_fail)
{
    response r;
    memset(&r, 0, sizeof(r));
    CURL *c = curl_easy_init();
    cr_assert_not_null(c);
    char url[256];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, url_path);
    struct curl_slist *list = NULL;
    for (size_t i = 0; hdrs && hdrs[i]; i++)
        list = curl_slist_append(list, hdrs[i]);
    stream s = {chunked_len};
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &r);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    if (strcmp(method, "POST") == 0) {
        curl_easy_setopt(c, CURLOPT_POST, 1L);
        if (body) {
            curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
            curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
        } else {
            curl_easy_setopt(c, CURLOPT_READFUNCTION, stream_read);
            curl_easy_setopt(c, CURLOPT_READDATA, &s);
            list = curl_slist_append(list, "Transfer-Encoding: chunked");
        }
    } else if (strcmp(method, "HEAD") == 0) {
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    } else if (strcmp(method, "GET") != 0) {
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
    CURLcode rc = curl_easy_perform(c);
    if (rc != CURLE_OK && !may_fail)
        fprintf(stderr, "curl: %s %s (%s): %s\n", method, url_path, url, curl_easy_strerror(rc));
    cr_assert(rc == CURLE_OK || may_fail, "%s %s: %s", method, url_path, curl_easy_strerror(rc));
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
    if (rc != CURLE_OK)
        r.status = -1; /* no answer: the connection was closed */
    curl_slist_free_all(list);
    curl_easy_cleanup(c);
    return r;
}

static response request(const char *method, const char *url_path, const char **hdrs,
                        const char *body, size_t len, size_t chunked_len)
{
    return request_ex(method, url_path, hdrs, body, len, chunked_len, 0);
}

static void sign(char out[72], const char *body, size_t len)
{
    unsigned char mac[LQ_SIGNATURE_LEN];
    cr_assert_eq(lq_signature_compute(mac, secret, strlen(secret), body, len, NULL), LQ_OK);
    lq_signature_format(out, mac);
}

/* POST /webhook with event/delivery (NULL = header left out) and a valid signature unless
 * sig_override is given ("" = no signature header). */
/* POST /webhook through the test's "proxy": extra header lines (NULL-terminated), e.g.
 * X-Forwarded-For; may_fail: a closed connection gives status -1. */
static response webhook_ex(const char *event, const char *delivery, const char *body,
                           const char *sig_override, const char **extra, int may_fail)
{
    char sig[72], h_sig[100], h_ev[100], h_id[200];
    const char *hdrs[16];
    size_t n = 0;
    sign(sig, body, strlen(body));
    if (!sig_override || *sig_override) {
        snprintf(h_sig, sizeof(h_sig), "X-Hub-Signature-256: %s", sig_override ? sig_override : sig);
        hdrs[n++] = h_sig;
    }
    if (event) {
        snprintf(h_ev, sizeof(h_ev), "X-GitHub-Event: %s", event);
        hdrs[n++] = h_ev;
    }
    if (delivery) {
        snprintf(h_id, sizeof(h_id), "X-GitHub-Delivery: %s", delivery);
        hdrs[n++] = h_id;
    }
    hdrs[n++] = "Content-Type: application/json";
    for (size_t i = 0; extra && extra[i] && n < 15; i++)
        hdrs[n++] = extra[i];
    hdrs[n] = NULL;
    return request_ex("POST", "/webhook", hdrs, body, strlen(body), 0, may_fail);
}

static response webhook(const char *event, const char *delivery, const char *body,
                        const char *sig_override)
{
    return webhook_ex(event, delivery, body, sig_override, NULL, 0);
}

static const char pr_body[] = "{\"action\":\"labeled\",\"number\":7,\"label\":{\"name\":\"land\"}}";

INTAKE_TEST(accepted_delivery_is_stored_and_duplicate_acknowledged)
{
    response r = webhook("pull_request", "72d3162e-cc78-11e3-81ab-4c9367dc0958", pr_body, NULL);
    cr_assert_eq(r.status, 202, "%ld %s", r.status, r.body);
    cr_assert(strstr(r.body, "\"status\":202"), "%s", r.body);
    cr_assert(strstr(r.headers, "application/json"), "%s", r.headers);

    /* on disk before the 202: the worker sees it */
    lq_delivery d;
    lq_error err;
    cr_assert_eq(lq_inbox_next(inbox, &d, &err), LQ_OK, "%s", err.msg);
    cr_assert_str_eq(d.id, "72d3162e-cc78-11e3-81ab-4c9367dc0958");
    cr_assert_str_eq(d.event, "pull_request");
    cr_assert_str_eq(d.body, pr_body);
    lq_delivery_dispose(&d);

    r = webhook("pull_request", "72d3162e-cc78-11e3-81ab-4c9367dc0958", pr_body, NULL);
    cr_assert_eq(r.status, 200, "%ld %s", r.status, r.body);
    cr_assert(strstr(r.body, "duplicate"), "%s", r.body);
    int64_t pending;
    cr_assert_eq(lq_inbox_pending(inbox, &pending, &err), LQ_OK);
    cr_assert_eq(pending, 1);

    lq_inbox_stats st;
    lq_inbox_stats_get(inbox, &st);
    cr_assert_eq(st.stored, 1);
    cr_assert_eq(st.duplicates, 1);
    static char logged[sizeof log_text]; /* asserted after unlocking: a failed assertion
                                            leaves the test (in-process runs: the lock too) */
    pthread_mutex_lock(&log_mu);
    memcpy(logged, log_text, sizeof logged);
    pthread_mutex_unlock(&log_mu);
    cr_assert(strstr(logged, "delivery=72d3162e-cc78-11e3-81ab-4c9367dc0958 event=pull_request "
                             "status=202 reason=accepted"),
              "%s", logged);
    cr_assert_null(strstr(logged, "Secret"), "the secret must never be logged");
}

INTAKE_TEST(bad_and_missing_signature_401)
{
    response r = webhook("pull_request", "d-bad",
                         pr_body,
                         "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17");
    cr_assert_eq(r.status, 401, "%ld %s", r.status, r.body);
    cr_assert(strstr(r.body, "does not match"), "%s", r.body);
    r = webhook("pull_request", "d-none", pr_body, "");
    cr_assert_eq(r.status, 401, "%ld %s", r.status, r.body);
    cr_assert(strstr(r.body, "missing X-Hub-Signature-256"), "%s", r.body);
    r = webhook("pull_request", "d-junk", pr_body, "sha1=abc");
    cr_assert_eq(r.status, 401, "%ld %s", r.status, r.body);
    lq_delivery d;
    cr_assert_eq(lq_inbox_next(inbox, &d, NULL), LQ_ENOTFOUND);
}

INTAKE_TEST(bad_json_missing_event_missing_delivery_400)
{
    response r = webhook("pull_request", "d-json", "{\"action\":", NULL);
    cr_assert_eq(r.status, 400, "%ld %s", r.status, r.body);
    cr_assert(strstr(r.body, "not a JSON object"), "%s", r.body);
    const char form[] = "payload=%7B%7D";
    char sig[72], h_sig[100];
    sign(sig, form, strlen(form));
    snprintf(h_sig, sizeof(h_sig), "X-Hub-Signature-256: %s", sig);
    const char *hdrs[] = {h_sig, "X-GitHub-Event: push", "X-GitHub-Delivery: d-form",
                          "Content-Type: application/x-www-form-urlencoded", NULL};
    r = request("POST", "/webhook", hdrs, form, strlen(form), 0);
    cr_assert_eq(r.status, 400, "%ld %s", r.status, r.body);
    cr_assert(strstr(r.body, "application/json"), "%s", r.body);
    r = webhook(NULL, "d-noevent", pr_body, NULL);
    cr_assert_eq(r.status, 400, "%ld %s", r.status, r.body);
    cr_assert(strstr(r.body, "X-GitHub-Event"), "%s", r.body);
    r = webhook("pull_request", NULL, pr_body, NULL);
    cr_assert_eq(r.status, 400, "%ld %s", r.status, r.body);
    cr_assert(strstr(r.body, "X-GitHub-Delivery"), "%s", r.body);
    lq_delivery d;
    cr_assert_eq(lq_inbox_next(inbox, &d, NULL), LQ_ENOTFOUND);
}

INTAKE_TEST(ping_200_not_stored)
{
    response r = webhook("ping", "d-ping", "{\"zen\":\"Design for failure.\",\"hook_id\":1}", NULL);
    cr_assert_eq(r.status, 200, "%ld %s", r.status, r.body);
    cr_assert(strstr(r.body, "pong"), "%s", r.body);
    lq_delivery d;
    cr_assert_eq(lq_inbox_next(inbox, &d, NULL), LQ_ENOTFOUND);
}

INTAKE_TEST(wrong_method_405_unknown_path_404)
{
    response r = request("GET", "/webhook", NULL, NULL, 0, 0);
    cr_assert_eq(r.status, 405);
    cr_assert(strstr(r.headers, "Allow: POST"), "%s", r.headers);
    r = request("PUT", "/webhook", NULL, NULL, 0, 0);
    cr_assert_eq(r.status, 405);
    r = request("GET", "/nope", NULL, NULL, 0, 0);
    cr_assert_eq(r.status, 404);
    cr_assert(strstr(r.body, "not found"), "%s", r.body);
    r = request("POST", "/healthz", NULL, "{}", 2, 0);
    cr_assert_eq(r.status, 405);
}

Test(intake, too_big_413_from_content_length)
{
    size_t len = (size_t)26 * 1000 * 1000;
    char *big = malloc(len);
    memset(big, ' ', len);
    big[0] = '{';
    big[len - 1] = '}';
    const char *hdrs[] = {"X-Hub-Signature-256: sha256=0000000000000000000000000000000000000000000000000000000000000000",
                          "X-GitHub-Event: push", "X-GitHub-Delivery: d-big", NULL};
    response r = request("POST", "/webhook", hdrs, big, len, 0);
    cr_assert_eq(r.status, 413, "%ld %s", r.status, r.body);
    cr_assert(strstr(r.body, "25 MB"), "%s", r.body);
    free(big);
}

Test(intake, too_big_413_while_streaming)
{
    const char *hdrs[] = {"X-Hub-Signature-256: sha256=0000000000000000000000000000000000000000000000000000000000000000",
                          "X-GitHub-Event: push", "X-GitHub-Delivery: d-stream", NULL};
    response r = request("POST", "/webhook", hdrs, NULL, 0, (size_t)26 * 1000 * 1000);
    cr_assert_eq(r.status, 413, "%ld %s", r.status, r.body);
    /* the server is still fine afterwards */
    r = webhook("push", "d-after", "{}", NULL);
    cr_assert_eq(r.status, 202, "%ld %s", r.status, r.body);
}

INTAKE_TEST(chunked_body_read_in_full)
{
    /* a chunked body of ~1 MB within the limit is read in full and verified */
    const char *hdrs[] = {"X-Hub-Signature-256: sha256=0000000000000000000000000000000000000000000000000000000000000000",
                          "X-GitHub-Event: push", "X-GitHub-Delivery: d-chunked", NULL};
    response r = request("POST", "/webhook", hdrs, NULL, 0, 1000 * 1000);
    cr_assert_eq(r.status, 401, "%ld %s", r.status, r.body); /* read fully, then refused */
    cr_assert(strstr(r.body, "does not match"), "%s", r.body);
}

INTAKE_TEST(healthz_bare_and_no_metrics_on_the_webhook_port)
{
    response r = request("GET", "/healthz", NULL, NULL, 0, 0);
    cr_assert_eq(r.status, 200, "%ld %s", r.status, r.body);
    cr_assert_str_eq(r.body, "ok\n"); /* nothing else: the details are on the ops listener */
    webhook("push", "m-1", "{}", NULL);
    webhook("push", "m-1", "{}", NULL);
    webhook("push", "m-2", "{", NULL);
    r = request("GET", "/metrics", NULL, NULL, 0, 0);
    cr_assert_eq(r.status, 404, "%ld %s", r.status, r.body); /* issue 13: not for anyone */
    char *t = lq_intake_metrics_text(intake);
    cr_assert_not_null(t);
    cr_assert(strstr(t, "landq_webhook_deliveries_total{reason=\"stored\"} 1"), "%s", t);
    cr_assert(strstr(t, "landq_webhook_deliveries_total{reason=\"duplicate\"} 1"), "%s", t);
    cr_assert(strstr(t, "landq_webhook_deliveries_total{reason=\"bad_json\"} 1"), "%s", t);
    cr_assert(strstr(t, "landq_webhook_ack_seconds_count 3"), "%s", t);
    cr_assert(strstr(t, "landq_webhook_connections_refused_total{reason=\"header_timeout\"} 0"),
              "%s", t);
    free(t);
}

/* The allowlist is checked at accept time: a refused source gets no answer at all (it never
 * holds a slot), and the refusal is counted. */
INTAKE_TEST(allowlist_refuses_at_accept_time)
{
    denied = 1;
    response r = webhook_ex("push", "d-denied", "{}", NULL, NULL, 1);
    cr_assert_eq(r.status, -1, "%ld %s", r.status, r.body);
    lq_intake_stats st;
    lq_intake_stats_get(intake, &st);
    cr_assert_geq(st.refused_not_allowed, 1);
    denied = 0;
    r = webhook("push", "d-denied", "{}", NULL);
    cr_assert_eq(r.status, 202, "%ld %s", r.status, r.body);
}

INTAKE_TEST(store_failure_503_then_redelivery_202)
{
    sqlite3 *db;
    cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
    cr_assert_eq(sqlite3_exec(db,
                              "CREATE TRIGGER refuse BEFORE INSERT ON inbox_deliveries "
                              "BEGIN SELECT RAISE(ABORT, 'disk full'); END;",
                              NULL, NULL, NULL),
                 SQLITE_OK);
    response r = webhook("push", "d-503", "{}", NULL);
    cr_assert_eq(r.status, 503, "%ld %s", r.status, r.body);
    cr_assert(strstr(r.body, "could not persist"), "%s", r.body);
    r = request("GET", "/healthz", NULL, NULL, 0, 0);
    cr_assert_eq(r.status, 503, "%ld %s", r.status, r.body);
    cr_assert_eq(sqlite3_exec(db, "DROP TRIGGER refuse", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    r = webhook("push", "d-503", "{}", NULL);
    cr_assert_eq(r.status, 202, "%ld %s", r.status, r.body);
}

static int unhealthy(void *ctx)
{
    (void)ctx;
    return 0;
}

Test(intake_page, healthy_callback_decides_the_bare_healthz, .init = NULL, .fini = teardown,
     .timeout = 60)
{
    start(unhealthy);
    response r = request("GET", "/healthz", NULL, NULL, 0, 0);
    cr_assert_eq(r.status, 503);
    cr_assert_str_eq(r.body, "not ok\n");
    r = request("HEAD", "/healthz", NULL, NULL, 0, 0);
    cr_assert_eq(r.status, 503);
}

Test(intake_config, rejects_bad_configuration)
{
    lq_intake *in = NULL;
    lq_error err;
    lq_inbox *ib = (lq_inbox *)&err; /* never dereferenced: start fails before using it */
    lq_intake_config cfg = {.listen = "127.0.0.1:99999", .secret = "s", .secret_len = 1,
                            .inbox = ib};
    cr_assert_eq(lq_intake_start(&in, &cfg, &err), LQ_EINVAL);
    cr_assert(strstr(err.msg, "bad port"), "%s", err.msg);
    cfg.listen = "no-port";
    cr_assert_eq(lq_intake_start(&in, &cfg, &err), LQ_EINVAL);
    cfg.listen = "127.0.0.1:0";
    cfg.secret_len = 0;
    cr_assert_eq(lq_intake_start(&in, &cfg, &err), LQ_EINVAL);
    cr_assert(strstr(err.msg, "secret"), "%s", err.msg);
    cr_assert_null(in);
    lq_intake_stop(NULL);
}

typedef struct client_arg {
    int thread;
    int ok202, ok200, other;
} client_arg;

static void *client(void *p)
{
    client_arg *a = p;
    for (int i = 0; i < 25; i++) {
        char id[64], body[128];
        /* every delivery id is sent by two threads: exactly one of them must get the 202 */
        snprintf(id, sizeof(id), "conc-%d-%d", a->thread / 2, i);
        snprintf(body, sizeof(body), "{\"i\":%d,\"pad\":\"%064d\"}", i, a->thread / 2);
        response r = webhook("pull_request", id, body, NULL);
        if (r.status == 202)
            a->ok202++;
        else if (r.status == 200)
            a->ok200++;
        else
            a->other++;
    }
    return NULL;
}

INTAKE_TEST(concurrent_clients_each_delivery_stored_once)
{
    enum { THREADS = 8 };
    pthread_t t[THREADS];
    client_arg a[THREADS];
    for (int i = 0; i < THREADS; i++) {
        a[i] = (client_arg){.thread = i};
        cr_assert_eq(pthread_create(&t[i], NULL, client, &a[i]), 0);
    }
    int n202 = 0, n200 = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
        cr_assert_eq(a[i].other, 0, "thread %d got other statuses", i);
        n202 += a[i].ok202;
        n200 += a[i].ok200;
    }
    cr_assert_eq(n202, THREADS / 2 * 25);
    cr_assert_eq(n200, THREADS / 2 * 25);
    int64_t pending;
    lq_error err;
    cr_assert_eq(lq_inbox_pending(inbox, &pending, &err), LQ_OK);
    cr_assert_eq(pending, THREADS / 2 * 25);
    lq_inbox_stats st;
    lq_inbox_stats_get(inbox, &st);
    cr_assert_lt(st.commits, st.stored + st.duplicates, "no group commit happened");
}

Test(intake_budget, bodies_beyond_the_buffer_budget_get_503, .fini = teardown, .timeout = 60)
{
    max_buffered = 4096;
    start(NULL);
    char body[3000];
    memset(body, ' ', sizeof(body));
    body[0] = '{';
    body[sizeof(body) - 1] = '\0';
    body[sizeof(body) - 2] = '}';
    response r = webhook("push", "b-1", body, NULL); /* 3000 bytes fit */
    cr_assert_eq(r.status, 202, "%ld %s", r.status, r.body);
    char big[5000];
    memset(big, ' ', sizeof(big));
    big[0] = '{';
    big[sizeof(big) - 1] = '\0';
    big[sizeof(big) - 2] = '}';
    r = webhook("push", "b-2", big, NULL); /* 5000 do not */
    cr_assert_eq(r.status, 503, "%ld %s", r.status, r.body);
    cr_assert(strstr(r.body, "in flight"), "%s", r.body);
    r = webhook("push", "b-3", body, NULL); /* the budget was given back */
    cr_assert_eq(r.status, 202, "%ld %s", r.status, r.body);
}

/* ---- Hostile clients (issue 13) ---- */

static int raw_connect(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    cr_assert_geq(fd, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0, "%s", strerror(errno));
    return fd;
}

static void raw_send(int fd, const char *s)
{
    cr_assert_eq(send(fd, s, strlen(s), MSG_NOSIGNAL), (ssize_t)strlen(s), "%s",
                 strerror(errno));
}

/* 1 when the server closed fd (EOF or reset) within wait_ms, 0 when it is still open. */
static int closed_within(int fd, int wait_ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, wait_ms) <= 0)
        return 0;
    char buf[512];
    ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    return n <= 0 && !(n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
}

static void sleep_ms(int ms)
{
    struct timespec t = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

/* Slowloris: headers dribbled a byte at a time (each byte resets libmicrohttpd's idle timeout)
 * are cut off once header_timeout has passed; a complete request on another connection is
 * served meanwhile. Waits for the server to act, with no deadline of its own. */
static void header_deadline_body(void)
{
    int fd = raw_connect();
    raw_send(fd, "POST /webhook HTTP/1.1\r\nHost: x\r\n");
    response r = webhook("push", "slow-1", "{}", NULL);
    cr_assert_eq(r.status, 202, "%ld %s", r.status, r.body);
    int closed = 0;
    for (int i = 0; !closed; i++) {
        if (send(fd, "X", 1, MSG_NOSIGNAL) != 1)
            break; /* reset: closed */
        closed = closed_within(fd, 200);
    }
    close(fd);
    lq_intake_stats st;
    lq_intake_stats_get(intake, &st);
    cr_assert_eq(st.header_timeouts, 1, "%llu", (unsigned long long)st.header_timeouts);
}

static void setup_deadline(void)
{
    header_timeout = 1;
    start(NULL);
}

static void setup_deadline_evloop(void)
{
    header_timeout = 1;
    threads = 2;
    start(NULL);
}

Test(intake_slow, headers_past_the_deadline_are_cut_off, .init = setup_deadline,
     .fini = teardown, .timeout = 60)
{
    header_deadline_body();
}

Test(intake_slow, headers_past_the_deadline_are_cut_off_evloop, .init = setup_deadline_evloop,
     .fini = teardown, .timeout = 60)
{
    header_deadline_body();
}

/* A kept-alive connection gets a new deadline for each request, counted from its request
 * line: an idle keep-alive connection is not cut off by the header deadline. */
Test(intake_slow, kept_alive_connection_gets_a_fresh_deadline, .init = setup_deadline,
     .fini = teardown, .timeout = 60)
{
    int fd = raw_connect();
    char req[1024], sig[72];
    sign(sig, "{}", 2);
    snprintf(req, sizeof req,
             "POST /webhook HTTP/1.1\r\nHost: x\r\nX-GitHub-Event: push\r\n"
             "X-GitHub-Delivery: ka-1\r\nX-Hub-Signature-256: %s\r\nContent-Length: 2\r\n\r\n{}",
             sig);
    raw_send(fd, req);
    char buf[1024];
    ssize_t n = recv(fd, buf, sizeof buf - 1, 0);
    cr_assert_gt(n, 0);
    buf[n] = '\0';
    cr_assert(strstr(buf, " 202 "), "%s", buf);
    /* Idle for longer than the header deadline: still open (only the idle timeout applies). */
    cr_assert(!closed_within(fd, 1600), "an idle kept-alive connection was cut off");
    lq_intake_stats st;
    lq_intake_stats_get(intake, &st);
    cr_assert_eq(st.header_timeouts, 0);
    close(fd);
}

static void setup_per_source(void)
{
    per_source = 3;
    start(NULL);
}

/* One source holds at most per_source_connections; beyond it, connections are closed at accept
 * time; once one is released, deliveries flow again. */
Test(intake_slow, per_source_connection_cap, .init = setup_per_source, .fini = teardown,
     .timeout = 60)
{
    int fd[3];
    for (int i = 0; i < 3; i++) {
        fd[i] = raw_connect();
        raw_send(fd[i], "POST /webhook HTTP/1.1\r\n");
    }
    /* Wait until the server holds all three (accepted asynchronously). */
    for (;;) {
        response r = webhook_ex("push", "cap-1", "{}", NULL, NULL, 1);
        if (r.status == -1)
            break;
        cr_assert(r.status == 202 || r.status == 200, "%ld %s", r.status, r.body);
        sleep_ms(20);
        /* One accepted while that request held a slot was refused itself: again. */
        for (int i = 0; i < 3; i++) {
            struct pollfd p = {.fd = fd[i], .events = POLLIN};
            if (poll(&p, 1, 0) > 0) {
                close(fd[i]);
                fd[i] = raw_connect();
                raw_send(fd[i], "POST /webhook HTTP/1.1\r\n");
            }
        }
    }
    lq_intake_stats st;
    lq_intake_stats_get(intake, &st);
    cr_assert_geq(st.refused_per_source, 1);
    close(fd[0]);
    response r;
    do { /* the slot is given back once the server saw the close */
        sleep_ms(20);
        r = webhook_ex("push", "cap-2", "{}", NULL, NULL, 1);
    } while (r.status == -1);
    cr_assert(r.status == 202 || r.status == 200, "%ld %s", r.status, r.body);
    close(fd[1]);
    close(fd[2]);
}

static void setup_proxy(void)
{
    lq_error err;
    cr_assert_eq(lq_cidr_list_parse(&proxies, "127.0.0.1/32", &err), LQ_OK);
    per_source = 2;
    start(NULL);
}

static void setup_proxy_evloop(void)
{
    threads = 2;
    setup_proxy();
}

/* Issue 13, defect 1: behind a trusted proxy, every X-Forwarded-For line counts. A first line
 * inside GitHub's ranges and a second one outside used to pass (only the first was read). */
static void proxy_lines_body(void)
{
    const char *one[] = {"X-Forwarded-For: 192.30.252.5", NULL};
    response r = webhook_ex("push", "p-1", "{}", NULL, one, 0);
    cr_assert_eq(r.status, 202, "%ld %s", r.status, r.body);
    const char *two[] = {"X-Forwarded-For: 192.30.252.5", "X-Forwarded-For: 8.8.8.8", NULL};
    r = webhook_ex("push", "p-2", "{}", NULL, two, 0);
    cr_assert_eq(r.status, 403, "%ld %s", r.status, r.body);
    const char *swapped[] = {"X-Forwarded-For: 8.8.8.8", "X-Forwarded-For: 192.30.252.5", NULL};
    r = webhook_ex("push", "p-3", "{}", NULL, swapped, 0);
    cr_assert_eq(r.status, 202, "%ld %s", r.status, r.body);
    const char *junk[] = {"X-Forwarded-For: 192.30.252.5", "X-Forwarded-For: junk", NULL};
    r = webhook_ex("push", "p-4", "{}", NULL, junk, 0);
    cr_assert_eq(r.status, 403, "%ld %s", r.status, r.body);
    cr_assert(strstr(r.body, "X-Forwarded-For"), "%s", r.body);
}

Test(intake_proxy, every_forwarded_for_line_counts, .init = setup_proxy, .fini = teardown,
     .timeout = 60)
{
    proxy_lines_body();
}

Test(intake_proxy, every_forwarded_for_line_counts_evloop, .init = setup_proxy_evloop,
     .fini = teardown, .timeout = 60)
{
    proxy_lines_body();
}

/* Behind a proxy the proxy itself is not capped (all its connections share one address), but
 * each client behind it is, by its X-Forwarded-For address: requests in flight -> 429. */
Test(intake_proxy, per_client_cap_behind_the_proxy, .init = setup_proxy, .fini = teardown,
     .timeout = 60)
{
    /* Two requests of client 192.30.252.7 in flight (headers in, body pending)... */
    static const char held[] = "POST /webhook HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 192.30.252.7"
                               "\r\nX-Hub-Signature-256: sha256=00\r\nContent-Length: 10\r\n\r\n{";
    int fd[2];
    for (int i = 0; i < 2; i++) {
        fd[i] = raw_connect();
        raw_send(fd[i], held);
    }
    /* ...and more connections from the proxy than the cap: the proxy is exempt. */
    const char *same[] = {"X-Forwarded-For: 192.30.252.7", NULL};
    const char *other[] = {"X-Forwarded-For: 192.30.252.8", NULL};
    response r;
    do { /* until the server has both in flight */
        r = webhook_ex("push", "c-1", "{}", NULL, same, 0);
        if (r.status == 202 || r.status == 200) {
            sleep_ms(20);
            /* A held request that met one of these in flight got the 429 itself: again. */
            for (int i = 0; i < 2; i++) {
                struct pollfd p = {.fd = fd[i], .events = POLLIN};
                if (poll(&p, 1, 0) > 0) {
                    close(fd[i]);
                    fd[i] = raw_connect();
                    raw_send(fd[i], held);
                }
            }
        }
    } while (r.status == 202 || r.status == 200);
    cr_assert_eq(r.status, 429, "%ld %s", r.status, r.body);
    r = webhook_ex("push", "c-2", "{}", NULL, other, 0);
    cr_assert_eq(r.status, 202, "%ld %s", r.status, r.body);
    lq_intake_stats st;
    lq_intake_stats_get(intake, &st);
    cr_assert_geq(st.per_client_limited, 1);
    cr_assert_eq(st.refused_per_source, 0);
    close(fd[0]);
    close(fd[1]);
    do { /* released once the server saw the closes */
        sleep_ms(20);
        r = webhook_ex("push", "c-3", "{}", NULL, same, 0);
    } while (r.status == 429);
    cr_assert(r.status == 202 || r.status == 200, "%ld %s", r.status, r.body);
}
