/* intake.c -- the webhook intake HTTP server (libmicrohttpd).
 *
 * Two modes (lq_intake_config.threads):
 * - 0, one thread per connection: the handler blocks in lq_inbox_put() until its delivery is
 *   on disk, and the inbox's group commit gathers the deliveries of all connections waiting at
 *   that moment into one fsync.
 * - N > 0, N event-loop threads (epoll): the handler hands the delivery to
 *   lq_inbox_put_async() and suspends the connection; the inbox writer resumes it once the
 *   group commit is on disk, and the handler, called again, answers. Fewer threads and context
 *   switches per delivery.
 * The decision itself (signature, size, headers, JSON) is the pure lq_webhook_check() in
 * core/webhook.c; this file only moves bytes and counts.
 *
 * Connection threads run at a lower CPU priority (nice +INTAKE_NICE) than the rest of landq:
 * in a webhook storm they are many and CPU-bound (HMAC, JSON scan, LZ4), while the one inbox
 * writer they all wait for, and the landing worker, must not queue behind them for the CPU
 * (bench/README.md: in a storm the landing delay's p99 went from 7-12 ms at nice 0 to 5-8 ms). */
#include "intake.h"

#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "webhook.h"

#define INTAKE_NICE 5 /* CPU weight 335 vs 1024 (CFS); +10 and +15 measured worse */
#define DEFAULT_MAX_CONNECTIONS 256
#define DEFAULT_TIMEOUT_S 30
/* Request bodies buffered at once, over all connections. GitHub payloads are mostly a few KB
 * to a few hundred KB; the cap keeps 256 connections announcing 25 MB each from taking 6 GB.
 * Past it a request gets 503 (GitHub shows the delivery as failed; it can be redelivered). */
#define DEFAULT_MAX_BUFFERED ((size_t)256 * 1024 * 1024)

const int lq_intake_statuses[LQ_INTAKE_STATUSES] = {200, 202, 400, 401, 403,
                                                   404, 405, 413, 503, 500};
const double lq_intake_latency_bounds_ms[LQ_INTAKE_LATENCY_BUCKETS] = {
    0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000};

struct lq_intake {
    lq_intake_config cfg;
    char *secret; /* private copy, wiped on stop */
    struct MHD_Daemon *daemon;
    int port;
    struct MHD_Response *r_stored, *r_duplicate; /* shared, persistent bodies */
    /* counters (relaxed atomics: the connection threads update them) */
    atomic_uint_least64_t by_status[LQ_INTAKE_STATUSES], by_reason[16];
    atomic_uint_least64_t stored, duplicates, unavailable, forbidden;
    atomic_uint_least64_t latency_le[LQ_INTAKE_LATENCY_BUCKETS + 1];
    atomic_uint_least64_t latency_sum_us, latency_count;
    atomic_size_t buffered; /* bytes of request bodies currently held */
    size_t max_buffered;
    int async;              /* event-loop mode: puts are asynchronous */
    atomic_int waiting;     /* async puts not yet answered */
};

#define INC(x) atomic_fetch_add_explicit(&(x), 1, memory_order_relaxed)
#define LOAD(x) atomic_load_explicit(&(x), memory_order_relaxed)

/* Per-request state for POST /webhook, owned by MHD's *con_cls until request_completed(). */
typedef struct request {
    lq_intake *in;
    char *buf;
    size_t len, cap; /* cap bytes are reserved in in->buffered */
    int replied;  /* a response was queued */
    int too_big;  /* over the limit: the rest of the body is discarded, then 413 */
    /* async mode: 1 while the put is in the inbox, 2 once done() has filled put_rc/put_msg */
    int put_state;
    int put_rc;
    char put_msg[sizeof(((lq_error *)0)->msg)];
    struct MHD_Connection *conn;
    struct timespec t0;
} request;

/* Marks requests answered on their first call (nothing to free). */
static request replied_early;

static const char body_stored[] = "{\"status\":202,\"message\":\"delivery stored\"}\n";
static const char body_duplicate[] =
    "{\"status\":200,\"message\":\"duplicate delivery: already stored, not stored again\"}\n";

static double ms_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) * 1e3 + (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

static void count(lq_intake *in, int status, int verdict, const struct timespec *t0,
                  int webhook)
{
    double ms = ms_since(t0);
    size_t i = 0;
    while (i < LQ_INTAKE_STATUSES - 1 && lq_intake_statuses[i] != status)
        i++;
    INC(in->by_status[i]);
    if (webhook) {
        if (verdict >= 0 && verdict < LQ_WEBHOOK_VERDICT_COUNT)
            INC(in->by_reason[verdict]);
        size_t b = 0;
        while (b < LQ_INTAKE_LATENCY_BUCKETS && ms > lq_intake_latency_bounds_ms[b])
            b++;
        INC(in->latency_le[b]);
        atomic_fetch_add_explicit(&in->latency_sum_us, (uint_least64_t)(ms * 1000.0),
                                  memory_order_relaxed);
        INC(in->latency_count);
    }
}

/* Reserves n more bytes of the body budget; 0 when that would exceed it. */
static int reserve(lq_intake *in, size_t n)
{
    size_t cur = atomic_load_explicit(&in->buffered, memory_order_relaxed);
    do {
        if (n > in->max_buffered - cur || cur > in->max_buffered)
            return 0;
    } while (!atomic_compare_exchange_weak_explicit(&in->buffered, &cur, cur + n,
                                                    memory_order_relaxed,
                                                    memory_order_relaxed));
    return 1;
}

static void release(lq_intake *in, size_t n)
{
    atomic_fetch_sub_explicit(&in->buffered, n, memory_order_relaxed);
}

static void logf_(lq_intake *in, const char *fmt, ...) LQ_PRINTF(2, 3);
static void logf_(lq_intake *in, const char *fmt, ...)
{
    if (!in->cfg.log)
        return;
    char line[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    in->cfg.log(in->cfg.log_ctx, line);
}

/* Appends s to out as JSON string contents (no quotes). */
static void json_escape(char *out, size_t cap, const char *s)
{
    size_t n = 0;
    for (; *s && n + 7 < cap; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            out[n++] = '\\';
            out[n++] = (char)c;
        } else if (c < 0x20) {
            n += (size_t)snprintf(out + n, cap - n, "\\u%04x", c);
        } else {
            out[n++] = (char)c;
        }
    }
    out[n] = '\0';
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *message,
                             const char *allow)
{
    char esc[600], body[700];
    json_escape(esc, sizeof(esc), message);
    int n = snprintf(body, sizeof(body), "{\"status\":%u,\"%s\":\"%s\"}\n", status,
                     status < 400 ? "message" : "error", esc);
    struct MHD_Response *r =
        MHD_create_response_from_buffer((size_t)n, body, MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    if (allow)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static const char *header(struct MHD_Connection *c, const char *name)
{
    return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

/* GET /healthz and /metrics. */
static enum MHD_Result serve_page(lq_intake *in, struct MHD_Connection *c, const char *url,
                                  const struct timespec *t0)
{
    int status = 200;
    const char *ctype = "application/json";
    char *body = NULL;
    if (in->cfg.page) {
        body = in->cfg.page(in->cfg.page_ctx, url, &status, &ctype);
        if (!body) {
            count(in, 500, -1, t0, 0);
            return reply(c, 500, "page callback failed", NULL);
        }
    } else if (strcmp(url, "/healthz") == 0) {
        lq_inbox_stats st;
        int64_t pending = 0;
        lq_error err;
        lq_inbox_stats_get(in->cfg.inbox, &st);
        int ok = lq_inbox_pending(in->cfg.inbox, &pending, &err) == LQ_OK &&
                 !st.last_commit_failed;
        status = ok ? 200 : 503;
        char buf[160];
        snprintf(buf, sizeof(buf), "{\"status\":\"%s\",\"inbox_pending\":%lld}\n",
                 ok ? "ok" : "inbox not writable", (long long)pending);
        body = strdup(buf);
    } else {
        body = lq_intake_metrics_text(in);
        ctype = "text/plain; version=0.0.4";
    }
    if (!body)
        return MHD_NO;
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype ? ctype : "text/plain");
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)status, r);
    MHD_destroy_response(r);
    count(in, status, -1, t0, 0);
    return ret;
}

static enum MHD_Result early(lq_intake *in, struct MHD_Connection *c, void **con_cls,
                             unsigned status, int verdict, const char *message,
                             const char *allow, const struct timespec *t0)
{
    *con_cls = &replied_early;
    count(in, (int)status, verdict, t0, verdict >= 0);
    if (verdict >= 0)
        logf_(in, "msg=webhook delivery=- event=- status=%u reason=%s", status,
              lq_webhook_reason((lq_webhook_verdict)verdict));
    return reply(c, status, message, allow);
}

/* Answers an accepted delivery once the inbox has it (rc from lq_inbox_put). */
static enum MHD_Result answer_put(lq_intake *in, struct MHD_Connection *c, request *r, int rc,
                                  const char *errmsg)
{
    enum MHD_Result ret;
    int status;
    const char *why, *id = header(c, "X-GitHub-Delivery"), *ev = header(c, "X-GitHub-Event");
    if (rc == LQ_OK) {
        status = 202;
        why = "accepted";
        INC(in->stored);
        ret = MHD_queue_response(c, 202, in->r_stored);
    } else if (rc == 1) {
        status = 200;
        why = "duplicate";
        INC(in->duplicates);
        ret = MHD_queue_response(c, 200, in->r_duplicate);
    } else {
        status = 503;
        why = "unavailable";
        INC(in->unavailable);
        logf_(in, "msg=\"cannot persist delivery\" delivery=%s error=\"%s\"", id ? id : "-",
              errmsg);
        ret = reply(c, 503, "could not persist the delivery; please redeliver it later", NULL);
    }
    count(in, status, LQ_WEBHOOK_ACCEPT, &r->t0, 1);
    logf_(in, "msg=webhook delivery=%s event=%s status=%d reason=%s bytes=%zu ms=%.2f",
          id ? id : "-", ev ? ev : "-", status, why, r->len, ms_since(&r->t0));
    return ret;
}

/* Async mode, on the inbox writer thread: record the outcome and let MHD call the handler
 * again, which answers (see on_request). */
static void put_done(void *ctx, int rc, const lq_error *err)
{
    request *r = ctx;
    lq_intake *in = r->in;
    r->put_rc = rc;
    snprintf(r->put_msg, sizeof(r->put_msg), "%s", rc < 0 && err ? err->msg : "");
    r->put_state = 2;
    MHD_resume_connection(r->conn); /* its internal lock publishes the fields above */
    atomic_fetch_sub(&in->waiting, 1);
}

/* The whole body is in: decide, store, answer. */
static enum MHD_Result finish_webhook(lq_intake *in, struct MHD_Connection *c, request *r)
{
    lq_error err;
    lq_webhook_request wr = {header(c, "X-Hub-Signature-256"), header(c, "X-GitHub-Event"),
                             header(c, "X-GitHub-Delivery"), r->buf ? r->buf : "", r->len};
    lq_webhook_verdict v = lq_webhook_check(&wr, in->secret, in->cfg.secret_len, &err);
    int status = lq_webhook_http_status(v);
    enum MHD_Result ret;
    const char *why = lq_webhook_reason(v), *ctype;
    if (v == LQ_WEBHOOK_ACCEPT && in->async) {
        r->conn = c;
        r->put_state = 1;
        atomic_fetch_add(&in->waiting, 1);
        MHD_suspend_connection(c);
        if (lq_inbox_put_async(in->cfg.inbox, wr.delivery, wr.event, r->buf ? r->buf : "",
                               r->len, put_done, r, &err) != LQ_OK)
            put_done(r, LQ_ETRANSIENT, &err); /* resumes at once; answered 503 */
        return MHD_YES;
    }
    if (v == LQ_WEBHOOK_ACCEPT) {
        int rc = lq_inbox_put(in->cfg.inbox, wr.delivery, wr.event, r->buf ? r->buf : "",
                              r->len, &err);
        return answer_put(in, c, r, rc, err.msg);
    } else if (v == LQ_WEBHOOK_PING) {
        ret = reply(c, 200, "pong", NULL);
    } else if (v == LQ_WEBHOOK_BAD_JSON &&
               (ctype = header(c, MHD_HTTP_HEADER_CONTENT_TYPE)) &&
               strncmp(ctype, "application/x-www-form-urlencoded", 33) == 0) {
        ret = reply(c, 400,
                    "form-encoded deliveries are not accepted: set the webhook's content type "
                    "to application/json",
                    NULL);
    } else {
        ret = reply(c, (unsigned)status, err.msg, NULL);
    }
    count(in, status, v, &r->t0, 1);
    if (in->cfg.log) {
        int valid_ids = v != LQ_WEBHOOK_NO_SIGNATURE && v != LQ_WEBHOOK_BAD_SIGNATURE &&
                        v != LQ_WEBHOOK_BAD_HEADER;
        logf_(in, "msg=webhook delivery=%s event=%s status=%d reason=%s bytes=%zu ms=%.2f",
              valid_ids && wr.delivery ? wr.delivery : "-",
              valid_ids && wr.event ? wr.event : "-", status, why, r->len, ms_since(&r->t0));
    }
    return ret;
}

/* Lowers the calling connection thread's priority, once per thread (Linux: nice is per
 * thread; raising it needs no privilege). Best effort: a failure only loses the tuning. */
static void thread_yield_priority(void)
{
#ifdef __linux__
    static _Thread_local int done;
    if (!done) {
        done = 1;
        (void)setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), INTAKE_NICE);
    }
#endif
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_size, void **con_cls)
{
    lq_intake *in = cls;
    request *r = *con_cls;
    (void)version;
    thread_yield_priority();

    if (r == &replied_early) { /* MHD discards the rest of the upload */
        *upload_size = 0;
        return MHD_YES;
    }
    if (!r) {
        struct timespec t0;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        if (strcmp(url, "/webhook") != 0) {
            if ((strcmp(url, "/healthz") == 0 || strcmp(url, "/metrics") == 0) &&
                (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0)) {
                *con_cls = &replied_early;
                return serve_page(in, c, url, &t0);
            }
            if (strcmp(url, "/healthz") == 0 || strcmp(url, "/metrics") == 0)
                return early(in, c, con_cls, 405, -1, "use GET", "GET, HEAD", &t0);
            return early(in, c, con_cls, 404, -1, "not found: landq serves POST /webhook",
                         NULL, &t0);
        }
        if (strcmp(method, "POST") != 0)
            return early(in, c, con_cls, 405, -1, "method not allowed: use POST", "POST", &t0);
        if (in->cfg.allow) {
            const union MHD_ConnectionInfo *ci =
                MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
            if (!ci || !ci->client_addr ||
                !in->cfg.allow(in->cfg.allow_ctx, ci->client_addr,
                               header(c, "X-Forwarded-For"))) {
                INC(in->forbidden);
                logf_(in, "msg=webhook status=403 reason=source_address_not_allowed");
                return early(in, c, con_cls, 403, -1,
                             "forbidden: source address not in the allowlist", NULL, &t0);
            }
        }
        /* Refuse before reading the body when the outcome is already known. */
        if (!header(c, "X-Hub-Signature-256"))
            return early(in, c, con_cls, 401, LQ_WEBHOOK_NO_SIGNATURE,
                         "missing X-Hub-Signature-256 header", NULL, &t0);
        const char *cl = header(c, MHD_HTTP_HEADER_CONTENT_LENGTH);
        unsigned long long want = 0;
        if (cl) {
            char *end;
            want = strtoull(cl, &end, 10);
            if (end == cl || *end)
                want = 0; /* MHD itself rejects malformed lengths */
            if (want > LQ_WEBHOOK_MAX_BODY) {
                char msg[128];
                snprintf(msg, sizeof(msg), "body of %llu bytes exceeds the 25 MB limit", want);
                return early(in, c, con_cls, 413, LQ_WEBHOOK_TOO_BIG, msg, NULL, &t0);
            }
        }
        if (want && !reserve(in, (size_t)want + 1)) {
            INC(in->unavailable);
            logf_(in, "msg=webhook status=503 reason=buffer_full bytes=%llu", want);
            return early(in, c, con_cls, 503, -1,
                         "too many deliveries in flight; please redeliver later", NULL, &t0);
        }
        r = calloc(1, sizeof(*r));
        if (r && want && !(r->buf = malloc((size_t)want + 1))) {
            free(r);
            r = NULL;
        }
        if (!r) {
            if (want)
                release(in, (size_t)want + 1);
            return MHD_NO;
        }
        r->in = in;
        r->t0 = t0;
        r->cap = want ? (size_t)want + 1 : 0;
        *con_cls = r;
        return MHD_YES;
    }
    if (r->put_state == 2) { /* async mode: resumed after the inbox had the delivery */
        r->put_state = 3;
        return answer_put(in, c, r, r->put_rc, r->put_msg);
    }
    if (r->replied) {
        *upload_size = 0;
        return MHD_YES;
    }
    if (*upload_size) {
        size_t n = *upload_size;
        *upload_size = 0;
        if (r->too_big || n > LQ_WEBHOOK_MAX_BODY - r->len) {
            /* libmicrohttpd cannot answer in the middle of an upload: drop what we have and
             * discard the rest, then answer 413; past twice the limit, close instead. */
            if (!r->too_big) {
                free(r->buf);
                release(in, r->cap);
                r->buf = NULL;
                r->cap = 0;
                r->too_big = 1;
            }
            r->len += n;
            if (r->len > 2 * LQ_WEBHOOK_MAX_BODY) {
                count(in, 413, LQ_WEBHOOK_TOO_BIG, &r->t0, 1);
                logf_(in, "msg=webhook status=413 reason=too_big bytes=%zu action=close", r->len);
                return MHD_NO;
            }
            return MHD_YES;
        }
        if (r->len + n + 1 > r->cap) {
            size_t cap = r->cap ? r->cap : 64 * 1024;
            while (cap < r->len + n + 1)
                cap *= 2;
            if (cap > LQ_WEBHOOK_MAX_BODY + 1)
                cap = LQ_WEBHOOK_MAX_BODY + 1;
            if (!reserve(in, cap - r->cap)) { /* chunked upload beyond the budget: close */
                INC(in->unavailable);
                logf_(in, "msg=webhook status=503 reason=buffer_full bytes=%zu action=close",
                      r->len + n);
                return MHD_NO;
            }
            char *nb = realloc(r->buf, cap);
            if (!nb) {
                release(in, cap - r->cap);
                return MHD_NO;
            }
            r->buf = nb;
            r->cap = cap;
        }
        memcpy(r->buf + r->len, upload_data, n);
        r->len += n;
        return MHD_YES;
    }
    r->replied = 1;
    if (r->too_big) {
        count(in, 413, LQ_WEBHOOK_TOO_BIG, &r->t0, 1);
        logf_(in, "msg=webhook status=413 reason=too_big bytes=%zu", r->len);
        char msg[128];
        snprintf(msg, sizeof(msg), "body of %zu bytes exceeds the 25 MB limit", r->len);
        return reply(c, 413, msg, NULL);
    }
    return finish_webhook(in, c, r);
}

static void request_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                              enum MHD_RequestTerminationCode toe)
{
    request *r = *con_cls;
    (void)cls;
    (void)c;
    (void)toe;
    if (r && r != &replied_early) {
        free(r->buf);
        release(r->in, r->cap);
        free(r);
    }
    *con_cls = NULL;
}

/* "ADDR:PORT", "[V6]:PORT" or ":PORT" (all interfaces). */
static int parse_listen(struct sockaddr_storage *out, socklen_t *out_len, const char *listen,
                        lq_error *err)
{
    char host[256];
    const char *colon = listen ? strrchr(listen, ':') : NULL;
    if (!colon || !colon[1])
        return lq_error_set(err, LQ_EINVAL, "listen address \"%s\": expected ADDR:PORT",
                            listen ? listen : "");
    size_t hl = (size_t)(colon - listen);
    if (hl >= sizeof(host))
        return lq_error_set(err, LQ_EINVAL, "listen address \"%s\": host too long", listen);
    memcpy(host, listen, hl);
    host[hl] = '\0';
    if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
        memmove(host, host + 1, hl - 2);
        host[hl - 2] = '\0';
    }
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end || port < 0 || port > 65535)
        return lq_error_set(err, LQ_EINVAL, "listen address \"%s\": bad port", listen);
    struct addrinfo hints = {.ai_flags = AI_PASSIVE | AI_NUMERICSERV,
                             .ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM};
    struct addrinfo *ai = NULL;
    int rc = getaddrinfo(host[0] ? host : NULL, colon + 1, &hints, &ai);
    if (rc != 0 || !ai) {
        lq_error_set(err, LQ_EINVAL, "listen address \"%s\": %s", listen, gai_strerror(rc));
        if (ai)
            freeaddrinfo(ai);
        return LQ_EINVAL;
    }
    memcpy(out, ai->ai_addr, ai->ai_addrlen);
    *out_len = ai->ai_addrlen;
    freeaddrinfo(ai);
    return LQ_OK;
}

int lq_intake_start(lq_intake **out, const lq_intake_config *cfg, lq_error *err)
{
    *out = NULL;
    if (!cfg || !cfg->inbox)
        return lq_error_set(err, LQ_EINVAL, "intake: no inbox configured");
    if (!cfg->secret || cfg->secret_len == 0)
        return lq_error_set(err, LQ_EINVAL, "intake: the webhook secret is empty");
    struct sockaddr_storage addr;
    socklen_t addr_len;
    int rc = parse_listen(&addr, &addr_len, cfg->listen, err);
    if (rc != LQ_OK)
        return rc;
    lq_intake *in = calloc(1, sizeof(*in));
    if (!in)
        return lq_error_set(err, LQ_ENOMEM, "intake: out of memory");
    in->cfg = *cfg;
    in->max_buffered = cfg->max_buffered ? cfg->max_buffered : DEFAULT_MAX_BUFFERED;
    in->secret = malloc(cfg->secret_len);
    in->r_stored = MHD_create_response_from_buffer(sizeof(body_stored) - 1, (void *)body_stored,
                                                   MHD_RESPMEM_PERSISTENT);
    in->r_duplicate = MHD_create_response_from_buffer(
        sizeof(body_duplicate) - 1, (void *)body_duplicate, MHD_RESPMEM_PERSISTENT);
    if (!in->secret || !in->r_stored || !in->r_duplicate) {
        lq_intake_stop(in);
        return lq_error_set(err, LQ_ENOMEM, "intake: out of memory");
    }
    memcpy(in->secret, cfg->secret, cfg->secret_len);
    in->cfg.secret = NULL; /* only the private copy is used */
    MHD_add_response_header(in->r_stored, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    MHD_add_response_header(in->r_duplicate, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");

    in->async = cfg->threads > 0;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_TURBO;
    if (in->async)
        flags |= MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME;
    else
        flags |= MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL;
    if (addr.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    in->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, in, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
        MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)(cfg->max_connections ? cfg->max_connections : DEFAULT_MAX_CONNECTIONS),
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)(cfg->timeout_s ? cfg->timeout_s : DEFAULT_TIMEOUT_S),
        MHD_OPTION_NOTIFY_COMPLETED, request_completed, in, MHD_OPTION_LISTEN_BACKLOG_SIZE,
        (unsigned)1024, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)32 * 1024,
        MHD_OPTION_THREAD_STACK_SIZE, (size_t)256 * 1024, MHD_OPTION_THREAD_POOL_SIZE,
        (unsigned)(in->async ? cfg->threads : 0), MHD_OPTION_END);
    if (!in->daemon) {
        lq_intake_stop(in);
        return lq_error_set(err, LQ_ERROR,
                            "intake: cannot listen on %s (address in use or not local?)",
                            cfg->listen);
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(in->daemon, MHD_DAEMON_INFO_BIND_PORT);
    in->port = di ? (int)di->port : 0;
    *out = in;
    return LQ_OK;
}

int lq_intake_port(const lq_intake *in)
{
    return in ? in->port : 0;
}

void lq_intake_stop(lq_intake *in)
{
    if (!in)
        return;
    if (in->daemon && in->async) {
        /* MHD must not be stopped with suspended connections: stop accepting, let the inbox
         * finish the puts in flight (it stays open until after this), and give the resumed
         * connections a moment to send their answers. */
        MHD_socket ls = MHD_quiesce_daemon(in->daemon);
        for (int i = 0; i < 10000 && atomic_load(&in->waiting) > 0; i++) {
            struct timespec ms = {0, 1000000};
            nanosleep(&ms, NULL);
        }
        struct timespec grace = {0, 20000000};
        nanosleep(&grace, NULL);
        MHD_stop_daemon(in->daemon);
        if (ls != MHD_INVALID_SOCKET)
            close(ls);
    } else if (in->daemon) {
        MHD_stop_daemon(in->daemon); /* joins the connection threads */
    }
    if (in->r_stored)
        MHD_destroy_response(in->r_stored);
    if (in->r_duplicate)
        MHD_destroy_response(in->r_duplicate);
    if (in->secret) {
        memset(in->secret, 0, in->cfg.secret_len);
        free(in->secret);
    }
    free(in);
}

void lq_intake_stats_get(lq_intake *in, lq_intake_stats *out)
{
    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < LQ_INTAKE_STATUSES; i++)
        out->by_status[i] = LOAD(in->by_status[i]);
    for (size_t i = 0; i < 16; i++)
        out->by_reason[i] = LOAD(in->by_reason[i]);
    out->stored = LOAD(in->stored);
    out->duplicates = LOAD(in->duplicates);
    out->unavailable = LOAD(in->unavailable);
    out->forbidden = LOAD(in->forbidden);
    for (size_t i = 0; i <= LQ_INTAKE_LATENCY_BUCKETS; i++)
        out->latency_le[i] = LOAD(in->latency_le[i]);
    out->latency_sum_ms = (double)LOAD(in->latency_sum_us) / 1000.0;
    out->latency_count = LOAD(in->latency_count);
}

char *lq_intake_metrics_text(lq_intake *in)
{
    lq_intake_stats st;
    lq_intake_stats_get(in, &st);
    size_t cap = 8192, n = 0;
    char *buf = malloc(cap);
    if (!buf)
        return NULL;
#define OUT(...) n += (size_t)snprintf(buf + n, n < cap ? cap - n : 0, __VA_ARGS__)
    OUT("# HELP landq_webhook_requests_total HTTP requests answered by the intake, by status.\n"
        "# TYPE landq_webhook_requests_total counter\n");
    for (size_t i = 0; i < LQ_INTAKE_STATUSES; i++)
        OUT("landq_webhook_requests_total{status=\"%d\"} %llu\n", lq_intake_statuses[i],
            (unsigned long long)st.by_status[i]);
    OUT("# HELP landq_webhook_deliveries_total POST /webhook outcomes by reason.\n"
        "# TYPE landq_webhook_deliveries_total counter\n");
    for (int v = 0; v < LQ_WEBHOOK_VERDICT_COUNT; v++)
        if (v != LQ_WEBHOOK_ACCEPT)
            OUT("landq_webhook_deliveries_total{reason=\"%s\"} %llu\n",
                lq_webhook_reason((lq_webhook_verdict)v), (unsigned long long)st.by_reason[v]);
    OUT("landq_webhook_deliveries_total{reason=\"stored\"} %llu\n"
        "landq_webhook_deliveries_total{reason=\"duplicate\"} %llu\n"
        "landq_webhook_deliveries_total{reason=\"unavailable\"} %llu\n"
        "landq_webhook_deliveries_total{reason=\"forbidden\"} %llu\n",
        (unsigned long long)st.stored, (unsigned long long)st.duplicates,
        (unsigned long long)st.unavailable, (unsigned long long)st.forbidden);
    OUT("# HELP landq_webhook_ack_seconds Time from request headers to the answer.\n"
        "# TYPE landq_webhook_ack_seconds histogram\n");
    unsigned long long cum = 0;
    for (size_t b = 0; b < LQ_INTAKE_LATENCY_BUCKETS; b++) {
        cum += st.latency_le[b];
        OUT("landq_webhook_ack_seconds_bucket{le=\"%g\"} %llu\n",
            lq_intake_latency_bounds_ms[b] / 1000.0, cum);
    }
    cum += st.latency_le[LQ_INTAKE_LATENCY_BUCKETS];
    OUT("landq_webhook_ack_seconds_bucket{le=\"+Inf\"} %llu\n"
        "landq_webhook_ack_seconds_sum %.6f\nlandq_webhook_ack_seconds_count %llu\n",
        cum, st.latency_sum_ms / 1000.0, (unsigned long long)st.latency_count);
#undef OUT
    if (n >= cap) { /* cannot happen with the fixed set above; stay safe */
        free(buf);
        return NULL;
    }
    return buf;
}
