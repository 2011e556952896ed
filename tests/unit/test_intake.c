/* Tests for landq/io/intake.c over loopback: lq_intake on 127.0.0.1:0 with an inbox in a
 * temporary directory, requests sent with libcurl. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

static int allow(void *ctx, const struct sockaddr *addr, const char *xff)
{
    (void)ctx;
    const struct sockaddr_in *in4 = (const struct sockaddr_in *)addr;
    return !denied && addr->sa_family == AF_INET &&
           in4->sin_addr.s_addr == htonl(INADDR_LOOPBACK);
}

static size_t max_buffered; /* 0: default */
static unsigned threads;     /* 0: thread per connection; N: event loop with N threads */

static void start(lq_intake_page_fn page)
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
        .page = page,
        .allow = allow,
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
    lq_inbox_close(inbox);
    curl_global_cleanup();
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
static response request(const char *method, const char *url_path, const char **hdrs,
                        const char *body, size_t len, size_t chunked_len)
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
    } else if (strcmp(method, "GET") != 0) {
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
    CURLcode rc = curl_easy_perform(c);
    if (rc != CURLE_OK)
        fprintf(stderr, "curl: %s %s (%s): %s\n", method, url_path, url, curl_easy_strerror(rc));
    cr_assert_eq(rc, CURLE_OK, "%s %s: %s", method, url_path, curl_easy_strerror(rc));
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
    curl_slist_free_all(list);
    curl_easy_cleanup(c);
    return r;
}

static void sign(char out[72], const char *body, size_t len)
{
    unsigned char mac[LQ_SIGNATURE_LEN];
    cr_assert_eq(lq_signature_compute(mac, secret, strlen(secret), body, len, NULL), LQ_OK);
    lq_signature_format(out, mac);
}

/* POST /webhook with event/delivery (NULL = header left out) and a valid signature unless
 * sig_override is given ("" = no signature header). */
static response webhook(const char *event, const char *delivery, const char *body,
                        const char *sig_override)
{
    char sig[72], h_sig[100], h_ev[100], h_id[200];
    const char *hdrs[6];
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
    hdrs[n] = NULL;
    return request("POST", "/webhook", hdrs, body, strlen(body), 0);
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
    pthread_mutex_lock(&log_mu);
    cr_assert(strstr(log_text, "delivery=72d3162e-cc78-11e3-81ab-4c9367dc0958 event=pull_request "
                               "status=202 reason=accepted"),
              "%s", log_text);
    cr_assert_null(strstr(log_text, "Secret"), "the secret must never be logged");
    pthread_mutex_unlock(&log_mu);
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

INTAKE_TEST(healthz_and_metrics_builtin)
{
    response r = request("GET", "/healthz", NULL, NULL, 0, 0);
    cr_assert_eq(r.status, 200, "%ld %s", r.status, r.body);
    cr_assert(strstr(r.body, "\"status\":\"ok\""), "%s", r.body);
    webhook("push", "m-1", "{}", NULL);
    webhook("push", "m-1", "{}", NULL);
    webhook("push", "m-2", "{", NULL);
    r = request("GET", "/metrics", NULL, NULL, 0, 0);
    cr_assert_eq(r.status, 200);
    cr_assert(strstr(r.body, "landq_webhook_deliveries_total{reason=\"stored\"} 1"), "%s", r.body);
    cr_assert(strstr(r.body, "landq_webhook_deliveries_total{reason=\"duplicate\"} 1"), "%s",
              r.body);
    cr_assert(strstr(r.body, "landq_webhook_deliveries_total{reason=\"bad_json\"} 1"), "%s",
              r.body);
    cr_assert(strstr(r.body, "landq_webhook_ack_seconds_count 3"), "%s", r.body);
}

INTAKE_TEST(allowlist_403_before_body)
{
    denied = 1;
    response r = webhook("push", "d-denied", "{}", NULL);
    cr_assert_eq(r.status, 403, "%ld %s", r.status, r.body);
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

static char *page(void *ctx, const char *p, int *status, const char **ctype)
{
    (void)ctx;
    *status = strcmp(p, "/healthz") == 0 ? 503 : 200;
    *ctype = "text/plain";
    char *s = malloc(64);
    snprintf(s, 64, "page %s\n", p);
    return s;
}

Test(intake_page, page_callback_serves_healthz_and_metrics, .init = NULL, .fini = teardown,
     .timeout = 60)
{
    start(page);
    response r = request("GET", "/healthz", NULL, NULL, 0, 0);
    cr_assert_eq(r.status, 503);
    cr_assert_str_eq(r.body, "page /healthz\n");
    r = request("GET", "/metrics", NULL, NULL, 0, 0);
    cr_assert_eq(r.status, 200);
    cr_assert_str_eq(r.body, "page /metrics\n");
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
