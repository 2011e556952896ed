/* intake_webhook.c -- the intake's HTTP handler: POST /webhook (body budget, the pure
 * lq_webhook_check() of core/webhook.c, the inbox put, blocking or asynchronous, the answer)
 * and GET/HEAD /healthz, with the counters and the one log line per request. */
#include "intake_int.h"

#include <microhttpd.h>
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
    lq_ip client_key; /* behind a proxy: counted against the client's cap until completed */
    int client_counted;
} request;

/* Marks requests answered on their first call (nothing to free). */
static request replied_early;

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

/* Frees r's body and gives its budget back. Called before the answer is queued: once the client
 * has its answer, its next delivery must find the budget free. (libmicrohttpd calls
 * request_completed() only after the answer has been sent, so a client could otherwise be
 * refused with 503 for bytes it is no longer sending.) */
static void drop_body(lq_intake *in, request *r)
{
    free(r->buf);
    release(in, r->cap);
    r->buf = NULL;
    r->cap = 0;
}

void lq_intake_logf(lq_intake *in, const char *fmt, ...)
{
    if (!in->cfg.log)
        return;
    char line[768];
    va_list ap;
    va_start(ap, fmt);
    lq_log_vformat(line, sizeof(line), fmt, ap); /* values escaped: one logfmt line */
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

/* GET/HEAD /healthz on the webhook port: only "ok" or "not ok" (load balancers). */
static enum MHD_Result serve_healthz(lq_intake *in, struct MHD_Connection *c,
                                     const struct timespec *t0)
{
    int ok;
    if (in->cfg.healthy) {
        ok = in->cfg.healthy(in->cfg.healthy_ctx) == 1;
    } else {
        lq_inbox_stats st;
        int64_t pending = 0;
        lq_error err;
        lq_inbox_stats_get(in->cfg.inbox, &st);
        ok = lq_inbox_pending(in->cfg.inbox, &pending, &err) == LQ_OK && !st.last_commit_failed;
    }
    static const char body_ok[] = "ok\n", body_bad[] = "not ok\n";
    struct MHD_Response *r = MHD_create_response_from_buffer(
        ok ? sizeof(body_ok) - 1 : sizeof(body_bad) - 1, (void *)(ok ? body_ok : body_bad),
        MHD_RESPMEM_PERSISTENT);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain");
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    if (in->cfg.leases_held) {
        int db_ok = 0;
        char held[24];
        snprintf(held, sizeof held, "%d", in->cfg.leases_held(in->cfg.healthy_ctx, &db_ok));
        MHD_add_response_header(r, "X-Landq-Leases-Held", held);
        MHD_add_response_header(r, "X-Landq-Database", db_ok ? "reachable" : "unreachable");
    }
    enum MHD_Result ret = MHD_queue_response(c, ok ? 200 : 503, r);
    MHD_destroy_response(r);
    count(in, ok ? 200 : 503, -1, t0, 0);
    return ret;
}

static enum MHD_Result early(lq_intake *in, struct MHD_Connection *c, void **con_cls,
                             unsigned status, int verdict, const char *message,
                             const char *allow, const struct timespec *t0)
{
    *con_cls = &replied_early;
    count(in, (int)status, verdict, t0, verdict >= 0);
    if (verdict >= 0)
        lq_intake_logf(in, "msg=webhook delivery=- event=- status=%u reason=%s", status,
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
    drop_body(in, r); /* the inbox has it (or failed): no longer needed */
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
        lq_intake_logf(in, "msg=\"cannot persist delivery\" delivery=%s error=\"%s\"",
                       id ? id : "-", errmsg);
        ret = reply(c, 503, "could not persist the delivery; please redeliver it later", NULL);
    }
    count(in, status, LQ_WEBHOOK_ACCEPT, &r->t0, 1);
    lq_intake_logf(in, "msg=webhook delivery=%s event=%s status=%d reason=%s bytes=%zu ms=%.2f",
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
    }
    drop_body(in, r); /* refused or a ping: the body has been checked */
    if (v == LQ_WEBHOOK_PING) {
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
        lq_intake_logf(in,
                       "msg=webhook delivery=%s event=%s status=%d reason=%s bytes=%zu ms=%.2f",
                       valid_ids && wr.delivery ? wr.delivery : "-",
                       valid_ids && wr.event ? wr.event : "-", status, why, r->len,
                       ms_since(&r->t0));
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

enum MHD_Result lq_intake_on_request(void *cls, struct MHD_Connection *c, const char *url,
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
        conn_slot *slot = lq_intake_slot_of(c);
        if (slot) { /* headers complete: no deadline until the next request line */
            atomic_store(&slot->phase, 2);
            atomic_store(&slot->deadline_ms, 0);
        }
        if (strcmp(url, "/webhook") != 0) {
            if (strcmp(url, "/healthz") == 0 &&
                (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0)) {
                *con_cls = &replied_early;
                return serve_healthz(in, c, &t0);
            }
            if (strcmp(url, "/healthz") == 0)
                return early(in, c, con_cls, 405, -1, "use GET", "GET, HEAD", &t0);
            return early(in, c, con_cls, 404, -1,
                         "not found: this port serves POST /webhook (and /healthz); metrics "
                         "and the operator pages are on landq's ops listener",
                         NULL, &t0);
        }
        if (strcmp(method, "POST") != 0)
            return early(in, c, con_cls, 405, -1, "method not allowed: use POST", "POST", &t0);
        lq_ip client;
        int proxied = 0, who = lq_intake_client_of(in, c, &client, &proxied);
        if (who != 0 || (in->cfg.allow && !in->cfg.allow(in->cfg.allow_ctx, &client))) {
            INC(in->forbidden);
            lq_intake_logf(in, "msg=webhook status=403 reason=%s",
                           who != 0 ? "bad_forwarded_for" : "source_address_not_allowed");
            return early(in, c, con_cls, 403, -1,
                         who != 0 ? "forbidden: malformed X-Forwarded-For from the proxy"
                                  : "forbidden: source address not in the allowlist",
                         NULL, &t0);
        }
        lq_ip client_key;
        int client_counted = 0;
        if (proxied) { /* the per-source cap, for the client behind the proxy */
            lq_ip_source_key(&client_key, &client);
            pthread_mutex_lock(&in->conns_mu);
            int over = lq_intake_tally_get(in, &client_key) >= in->per_source;
            client_counted = !over && lq_intake_tally_inc(in, &client_key) == 0;
            pthread_mutex_unlock(&in->conns_mu);
            if (over) {
                INC(in->per_client_limited);
                lq_intake_logf(in, "msg=webhook status=429 reason=per_source_limit");
                return early(in, c, con_cls, 429, -1,
                             "too many requests in flight from your address", NULL, &t0);
            }
        }
        /* Refuse before reading the body when the outcome is already known. */
        if (!header(c, "X-Hub-Signature-256")) {
            lq_intake_uncount_client(in, client_counted ? &client_key : NULL);
            return early(in, c, con_cls, 401, LQ_WEBHOOK_NO_SIGNATURE,
                         "missing X-Hub-Signature-256 header", NULL, &t0);
        }
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
                lq_intake_uncount_client(in, client_counted ? &client_key : NULL);
                return early(in, c, con_cls, 413, LQ_WEBHOOK_TOO_BIG, msg, NULL, &t0);
            }
        }
        if (want && !reserve(in, (size_t)want + 1)) {
            lq_intake_uncount_client(in, client_counted ? &client_key : NULL);
            INC(in->unavailable);
            lq_intake_logf(in, "msg=webhook status=503 reason=buffer_full bytes=%llu", want);
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
            lq_intake_uncount_client(in, client_counted ? &client_key : NULL);
            return MHD_NO;
        }
        r->in = in;
        r->client_counted = client_counted;
        if (client_counted)
            r->client_key = client_key;
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
                drop_body(in, r);
                r->too_big = 1;
            }
            r->len += n;
            if (r->len > 2 * LQ_WEBHOOK_MAX_BODY) {
                count(in, 413, LQ_WEBHOOK_TOO_BIG, &r->t0, 1);
                lq_intake_logf(in, "msg=webhook status=413 reason=too_big bytes=%zu action=close",
                               r->len);
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
                lq_intake_logf(in,
                               "msg=webhook status=503 reason=buffer_full bytes=%zu action=close",
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
        lq_intake_logf(in, "msg=webhook status=413 reason=too_big bytes=%zu", r->len);
        char msg[128];
        snprintf(msg, sizeof(msg), "body of %zu bytes exceeds the 25 MB limit", r->len);
        return reply(c, 413, msg, NULL);
    }
    return finish_webhook(in, c, r);
}

void lq_intake_request_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                                 enum MHD_RequestTerminationCode toe)
{
    request *r = *con_cls;
    lq_intake *in = cls;
    (void)toe;
    if (r && r != &replied_early) {
        drop_body(r->in, r); /* a request cut off before it was answered */
        lq_intake_uncount_client(in, r->client_counted ? &r->client_key : NULL);
        free(r);
    }
    *con_cls = NULL;
    conn_slot *s = lq_intake_slot_of(c);
    if (s) { /* kept alive: idle until the next request line (the idle timeout applies) */
        atomic_store(&s->deadline_ms, 0);
        atomic_store(&s->phase, 0);
    }
}
