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
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "webhook.h"

#define INTAKE_NICE 5 /* CPU weight 335 vs 1024 (CFS); +10 and +15 measured worse */
#define DEFAULT_MAX_CONNECTIONS 256
#define DEFAULT_TIMEOUT_S 30
#define DEFAULT_HEADER_TIMEOUT_S 10
#define DEFAULT_PER_SOURCE 64
#define XFF_LINES_MAX 32 /* X-Forwarded-For lines read; more -> refused (fail closed) */
/* Request bodies buffered at once, over all connections. GitHub payloads are mostly a few KB
 * to a few hundred KB; the cap keeps 256 connections announcing 25 MB each from taking 6 GB.
 * Past it a request gets 503 (GitHub shows the delivery as failed; it can be redelivered). */
#define DEFAULT_MAX_BUFFERED ((size_t)256 * 1024 * 1024)

const int lq_intake_statuses[LQ_INTAKE_STATUSES] = {200, 202, 400, 401, 403, 404,
                                                   405, 413, 429, 503, 500};
const double lq_intake_latency_bounds_ms[LQ_INTAKE_LATENCY_BUCKETS] = {
    0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000};

/* A connection as the slow-client guards see it (MHD's socket context), from accept to close.
 * The reaper shuts a connection down while holding conns_mu, and MHD closes the socket only
 * after its CLOSED notification has unlinked the slot under the same lock, so the reaper never
 * touches a reused descriptor. */
typedef struct conn_slot {
    struct conn_slot *prev, *next;
    int fd;
    lq_ip key;         /* per-source key (lq_ip_source_key) */
    int counted;       /* counts against the key's cap (not a trusted proxy) */
    int proxied;       /* the peer is a trusted proxy */
    atomic_int phase;  /* 0 idle (kept alive), 1 reading headers, 2 headers complete */
    atomic_llong deadline_ms; /* monotonic; 0 = none */
    int shut;          /* under conns_mu: already shut down by the reaper */
} conn_slot;

/* Sources holding connections (or, behind a proxy, requests) now: a small array, because
 * there are never more entries than connections (<= max_connections). */
typedef struct tally_entry {
    lq_ip key;
    unsigned n;
} tally_entry;

struct lq_intake {
    lq_intake_config cfg;
    char *secret; /* private copy, wiped on stop */
    lq_cidr_list proxies; /* private copy of cfg.trusted_proxies */
    unsigned per_source;
    long long header_timeout_ms;
    pthread_mutex_t conns_mu; /* guards conns, tally, reaper_stop */
    pthread_cond_t reaper_cv;
    conn_slot *conns;
    tally_entry *tally;
    size_t tally_n, tally_cap;
    pthread_t reaper;
    int reaper_started, reaper_stop;
    atomic_llong last_refusal_log_ms;
    struct MHD_Daemon *daemon;
    int port;
    struct MHD_Response *r_stored, *r_duplicate; /* shared, persistent bodies */
    /* counters (relaxed atomics: the connection threads update them) */
    atomic_uint_least64_t by_status[LQ_INTAKE_STATUSES], by_reason[16];
    atomic_uint_least64_t stored, duplicates, unavailable, forbidden;
    atomic_uint_least64_t refused_not_allowed, refused_per_source, header_timeouts,
        per_client_limited;
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
    lq_ip client_key; /* behind a proxy: counted against the client's cap until completed */
    int client_counted;
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

static void logf_(lq_intake *in, const char *fmt, ...) LQ_PRINTF(2, 3);
static void logf_(lq_intake *in, const char *fmt, ...)
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

static long long now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static int sockaddr_ip(lq_ip *out, const struct sockaddr *sa)
{
    memset(out, 0, sizeof(*out));
    if (!sa)
        return -1;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)(const void *)sa;
        out->b[10] = out->b[11] = 0xff;
        memcpy(out->b + 12, &s4->sin_addr, 4);
        return 0;
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)(const void *)sa;
        memcpy(out->b, &s6->sin6_addr, 16);
        return 0;
    }
    return -1;
}

/* Per-source tally, under conns_mu. */
static tally_entry *tally_find(lq_intake *in, const lq_ip *key)
{
    for (size_t i = 0; i < in->tally_n; i++)
        if (!memcmp(&in->tally[i].key, key, sizeof(*key)))
            return &in->tally[i];
    return NULL;
}

static unsigned tally_get(lq_intake *in, const lq_ip *key)
{
    tally_entry *e = tally_find(in, key);
    return e ? e->n : 0;
}

static int tally_inc(lq_intake *in, const lq_ip *key)
{
    tally_entry *e = tally_find(in, key);
    if (!e) {
        if (in->tally_n == in->tally_cap) {
            size_t cap = in->tally_cap ? in->tally_cap * 2 : 64;
            tally_entry *nt = realloc(in->tally, cap * sizeof(*nt));
            if (!nt)
                return -1;
            in->tally = nt;
            in->tally_cap = cap;
        }
        e = &in->tally[in->tally_n++];
        e->key = *key;
        e->n = 0;
    }
    e->n++;
    return 0;
}

static void tally_dec(lq_intake *in, const lq_ip *key)
{
    tally_entry *e = tally_find(in, key);
    if (e && --e->n == 0)
        *e = in->tally[--in->tally_n];
}

/* A refusal that happens before any request: logged at most every 10 s (an attack must not
 * flood the log; the counters have every one). */
static void log_refusal(lq_intake *in, const char *reason, const lq_ip *ip)
{
    long long now = now_ms(), last = atomic_load(&in->last_refusal_log_ms);
    if (!in->cfg.log || (last && now - last < 10000) ||
        !atomic_compare_exchange_strong(&in->last_refusal_log_ms, &last, now))
        return;
    char a[64];
    lq_ip_format(ip, a, sizeof(a));
    logf_(in, "msg=\"connection refused\" reason=%s source=%s refused_not_allowed=%llu "
              "refused_per_source=%llu header_timeouts=%llu (logged at most every 10 s)",
          reason, a, (unsigned long long)LOAD(in->refused_not_allowed),
          (unsigned long long)LOAD(in->refused_per_source),
          (unsigned long long)LOAD(in->header_timeouts));
}

/* MHD's accept policy: runs before the connection gets a slot (or a thread). */
static enum MHD_Result on_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
    lq_intake *in = cls;
    lq_ip ip, key;
    (void)addrlen;
    if (sockaddr_ip(&ip, addr) != 0)
        return MHD_NO;
    if (in->proxies.n && lq_cidr_list_contains(&in->proxies, &ip))
        return MHD_YES; /* its clients are checked per request (X-Forwarded-For) */
    if (in->cfg.allow && !in->cfg.allow(in->cfg.allow_ctx, &ip)) {
        INC(in->refused_not_allowed);
        log_refusal(in, "source_not_allowed", &ip);
        return MHD_NO;
    }
    lq_ip_source_key(&key, &ip);
    pthread_mutex_lock(&in->conns_mu);
    unsigned n = tally_get(in, &key);
    pthread_mutex_unlock(&in->conns_mu);
    if (n >= in->per_source) {
        INC(in->refused_per_source);
        log_refusal(in, "per_source_limit", &ip);
        return MHD_NO;
    }
    return MHD_YES;
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    lq_intake *in = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        conn_slot *s = calloc(1, sizeof(*s));
        const union MHD_ConnectionInfo *fi =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        const union MHD_ConnectionInfo *ai =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        lq_ip ip;
        if (!s || !fi || !ai || sockaddr_ip(&ip, ai->client_addr) != 0) {
            free(s); /* untracked: still bounded by the idle timeout and the slot limit */
            *socket_context = NULL;
            return;
        }
        s->fd = fi->connect_fd;
        s->proxied = in->proxies.n && lq_cidr_list_contains(&in->proxies, &ip);
        lq_ip_source_key(&s->key, &ip);
        atomic_store(&s->phase, 1);
        atomic_store(&s->deadline_ms, now_ms() + in->header_timeout_ms);
        pthread_mutex_lock(&in->conns_mu);
        s->counted = !s->proxied && tally_inc(in, &s->key) == 0;
        s->next = in->conns;
        if (in->conns)
            in->conns->prev = s;
        in->conns = s;
        pthread_mutex_unlock(&in->conns_mu);
        *socket_context = s;
        return;
    }
    conn_slot *s = *socket_context;
    if (!s)
        return;
    pthread_mutex_lock(&in->conns_mu);
    if (s->prev)
        s->prev->next = s->next;
    else
        in->conns = s->next;
    if (s->next)
        s->next->prev = s->prev;
    if (s->counted)
        tally_dec(in, &s->key);
    pthread_mutex_unlock(&in->conns_mu);
    free(s);
    *socket_context = NULL;
}

static conn_slot *slot_of(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

/* Called by MHD once a request line is in: on a kept-alive connection the next request's
 * headers get their deadline from here (the first request's counts from the accept). */
static void *on_request_line(void *cls, const char *uri, struct MHD_Connection *c)
{
    lq_intake *in = cls;
    (void)uri;
    conn_slot *s = slot_of(c);
    int idle = 0;
    if (s && atomic_compare_exchange_strong(&s->phase, &idle, 1))
        atomic_store(&s->deadline_ms, now_ms() + in->header_timeout_ms);
    return NULL; /* the request's *con_cls starts as NULL (see on_request) */
}

/* Shuts down connections whose headers are late. shutdown() (not close) wakes the connection's
 * thread or event loop, and MHD then closes and frees it as after any peer close. */
static void *reaper_main(void *arg)
{
    lq_intake *in = arg;
    long long tick = in->header_timeout_ms / 4;
    if (tick > 500)
        tick = 500;
    if (tick < 20)
        tick = 20;
    pthread_mutex_lock(&in->conns_mu);
    while (!in->reaper_stop) {
        long long now = now_ms();
        for (conn_slot *s = in->conns; s; s = s->next) {
            long long d = atomic_load(&s->deadline_ms);
            if (d && now >= d && !s->shut) {
                s->shut = 1;
                INC(in->header_timeouts); /* first: counted once the client sees the close */
                shutdown(s->fd, SHUT_RDWR);
            }
        }
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += (long)(tick % 1000) * 1000000L;
        until.tv_sec += (time_t)(tick / 1000) + until.tv_nsec / 1000000000L;
        until.tv_nsec %= 1000000000L;
        pthread_cond_timedwait(&in->reaper_cv, &in->conns_mu, &until);
    }
    pthread_mutex_unlock(&in->conns_mu);
    return NULL;
}

struct xff_lines {
    const char *v[XFF_LINES_MAX];
    size_t n;
    int overflow;
};

static enum MHD_Result collect_xff(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value)
{
    struct xff_lines *x = cls;
    (void)kind;
    if (key && !strcasecmp(key, "X-Forwarded-For")) {
        if (x->n == XFF_LINES_MAX) {
            x->overflow = 1;
            return MHD_NO;
        }
        x->v[x->n++] = value ? value : "";
    }
    return MHD_YES;
}

/* The client address of a request: the peer, or behind a trusted proxy the right-most
 * untrusted address of every X-Forwarded-For line (one list, RFC 9110 section 5.3).
 * *proxied is set when the peer is a trusted proxy. -1: refuse (no peer, or a malformed
 * header from a proxy). */
static int client_of(lq_intake *in, struct MHD_Connection *c, lq_ip *client, int *proxied)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    lq_ip peer;
    *proxied = 0;
    if (!ci || sockaddr_ip(&peer, ci->client_addr) != 0)
        return -1;
    *client = peer;
    if (!in->proxies.n || !lq_cidr_list_contains(&in->proxies, &peer))
        return 0;
    *proxied = 1;
    struct xff_lines x = {.n = 0};
    MHD_get_connection_values(c, MHD_HEADER_KIND, collect_xff, &x);
    if (x.overflow)
        return -1;
    return lq_client_addr_lines(client, &peer, x.v, x.n, &in->proxies, NULL) == LQ_OK ? 0 : -1;
}

static void uncount_client(lq_intake *in, const lq_ip *key)
{
    if (!key)
        return;
    pthread_mutex_lock(&in->conns_mu);
    tally_dec(in, key);
    pthread_mutex_unlock(&in->conns_mu);
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
        conn_slot *slot = slot_of(c);
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
        int proxied = 0, who = client_of(in, c, &client, &proxied);
        if (who != 0 || (in->cfg.allow && !in->cfg.allow(in->cfg.allow_ctx, &client))) {
            INC(in->forbidden);
            logf_(in, "msg=webhook status=403 reason=%s",
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
            int over = tally_get(in, &client_key) >= in->per_source;
            client_counted = !over && tally_inc(in, &client_key) == 0;
            pthread_mutex_unlock(&in->conns_mu);
            if (over) {
                INC(in->per_client_limited);
                logf_(in, "msg=webhook status=429 reason=per_source_limit");
                return early(in, c, con_cls, 429, -1,
                             "too many requests in flight from your address", NULL, &t0);
            }
        }
        /* Refuse before reading the body when the outcome is already known. */
        if (!header(c, "X-Hub-Signature-256")) {
            uncount_client(in, client_counted ? &client_key : NULL);
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
                uncount_client(in, client_counted ? &client_key : NULL);
                return early(in, c, con_cls, 413, LQ_WEBHOOK_TOO_BIG, msg, NULL, &t0);
            }
        }
        if (want && !reserve(in, (size_t)want + 1)) {
            uncount_client(in, client_counted ? &client_key : NULL);
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
            uncount_client(in, client_counted ? &client_key : NULL);
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
    lq_intake *in = cls;
    (void)toe;
    if (r && r != &replied_early) {
        drop_body(r->in, r); /* a request cut off before it was answered */
        uncount_client(in, r->client_counted ? &r->client_key : NULL);
        free(r);
    }
    *con_cls = NULL;
    conn_slot *s = slot_of(c);
    if (s) { /* kept alive: idle until the next request line (the idle timeout applies) */
        atomic_store(&s->deadline_ms, 0);
        atomic_store(&s->phase, 0);
    }
}

int lq_listen_parse(struct sockaddr_storage *out, socklen_t *out_len, const char *listen,
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
    int rc = lq_listen_parse(&addr, &addr_len, cfg->listen, err);
    if (rc != LQ_OK)
        return rc;
    lq_intake *in = calloc(1, sizeof(*in));
    if (!in)
        return lq_error_set(err, LQ_ENOMEM, "intake: out of memory");
    in->cfg = *cfg;
    in->cfg.trusted_proxies = NULL; /* only the private copy is used */
    in->max_buffered = cfg->max_buffered ? cfg->max_buffered : DEFAULT_MAX_BUFFERED;
    in->per_source = cfg->per_source_connections ? cfg->per_source_connections
                                                 : DEFAULT_PER_SOURCE;
    in->header_timeout_ms =
        (long long)(cfg->header_timeout_s ? cfg->header_timeout_s : DEFAULT_HEADER_TIMEOUT_S) *
        1000;
    pthread_mutex_init(&in->conns_mu, NULL);
    pthread_cond_init(&in->reaper_cv, NULL);
    if (cfg->trusted_proxies && cfg->trusted_proxies->n) {
        in->proxies.v = malloc(cfg->trusted_proxies->n * sizeof(lq_cidr));
        if (!in->proxies.v) {
            lq_intake_stop(in);
            return lq_error_set(err, LQ_ENOMEM, "intake: out of memory");
        }
        memcpy(in->proxies.v, cfg->trusted_proxies->v, cfg->trusted_proxies->n * sizeof(lq_cidr));
        in->proxies.n = cfg->trusted_proxies->n;
    }
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
    if (pthread_create(&in->reaper, NULL, reaper_main, in) != 0) {
        lq_intake_stop(in);
        return lq_error_set(err, LQ_ERROR, "intake: cannot start a thread");
    }
    in->reaper_started = 1;
    in->daemon = MHD_start_daemon(
        flags, 0, on_accept, in, on_request, in, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
        MHD_OPTION_NOTIFY_CONNECTION, on_connection, in, MHD_OPTION_URI_LOG_CALLBACK,
        on_request_line, in,
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
    if (in->reaper_started) { /* after the daemon: no connection is left to watch */
        pthread_mutex_lock(&in->conns_mu);
        in->reaper_stop = 1;
        pthread_cond_signal(&in->reaper_cv);
        pthread_mutex_unlock(&in->conns_mu);
        pthread_join(in->reaper, NULL);
    }
    pthread_mutex_destroy(&in->conns_mu);
    pthread_cond_destroy(&in->reaper_cv);
    free(in->tally);
    lq_cidr_list_dispose(&in->proxies);
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
    out->refused_not_allowed = LOAD(in->refused_not_allowed);
    out->refused_per_source = LOAD(in->refused_per_source);
    out->header_timeouts = LOAD(in->header_timeouts);
    out->per_client_limited = LOAD(in->per_client_limited);
    for (size_t i = 0; i <= LQ_INTAKE_LATENCY_BUCKETS; i++)
        out->latency_le[i] = LOAD(in->latency_le[i]);
    out->latency_sum_ms = (double)LOAD(in->latency_sum_us) / 1000.0;
    out->latency_count = LOAD(in->latency_count);
}

char *lq_intake_metrics_text(lq_intake *in)
{
    lq_intake_stats st;
    lq_intake_stats_get(in, &st);
    size_t cap = 16384, n = 0;
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
    OUT("# HELP landq_webhook_connections_refused_total Connections to the webhook port closed "
        "before a request was read: source not in the allowlist (at accept time), over the "
        "per-source connection cap, or headers not complete within header_timeout.\n"
        "# TYPE landq_webhook_connections_refused_total counter\n"
        "landq_webhook_connections_refused_total{reason=\"source_not_allowed\"} %llu\n"
        "landq_webhook_connections_refused_total{reason=\"per_source_limit\"} %llu\n"
        "landq_webhook_connections_refused_total{reason=\"header_timeout\"} %llu\n"
        "# HELP landq_webhook_per_client_limited_total Requests refused with 429: the client "
        "behind a trusted proxy had per_source_connections requests in flight.\n"
        "# TYPE landq_webhook_per_client_limited_total counter\n"
        "landq_webhook_per_client_limited_total %llu\n",
        (unsigned long long)st.refused_not_allowed, (unsigned long long)st.refused_per_source,
        (unsigned long long)st.header_timeouts, (unsigned long long)st.per_client_limited);
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
