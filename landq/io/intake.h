/* The webhook intake HTTP server (libmicrohttpd). CONTRACT used by `landq serve`.
 * POST /webhook: signature check (X-Hub-Signature-256, constant time) -> 401; body > 25 MB -> 413;
 * missing X-GitHub-Event or bad JSON -> 400; ping -> 200; duplicate delivery -> 200 (not stored);
 * stored durably in the inbox -> 202; inbox failure -> 503.
 * GET /healthz: 200 {"status":"ok",...} or 503 with the reasons (health callback below). */
#ifndef LQ_INTAKE_H
#define LQ_INTAKE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "error.h"
#include "inbox.h"

typedef struct lq_intake lq_intake;

/* Called for GET /healthz and GET /metrics when set: returns a malloc'd body (caller frees)
 * and sets *status (200/503). May be NULL. */
typedef char *(*lq_intake_page_fn)(void *ctx, const char *path, int *status,
                                   const char **content_type);

typedef struct lq_intake_config {
    const char *listen;        /* "ADDR:PORT" ("127.0.0.1:0" picks a free port) */
    const char *secret;        /* webhook secret (borrowed; never logged) */
    size_t secret_len;
    lq_inbox *inbox;           /* borrowed */
    lq_intake_page_fn page;    /* optional: extra GET pages (/healthz, /metrics) */
    void *page_ctx;
    /* Extensions (zero/NULL = default). */
    /* Source-address allowlist, checked before the body is read: 0 -> 403. xff is the
     * X-Forwarded-For header or NULL. May be NULL (every address allowed). */
    int (*allow)(void *ctx, const struct sockaddr *addr, const char *xff);
    void *allow_ctx;
    /* One logfmt line per webhook request (no secrets, no bodies), e.g.
     * "msg=webhook delivery=... event=push status=202 reason=accepted bytes=123 ms=0.8".
     * Called from connection threads, so it must be thread-safe. May be NULL (silent). */
    void (*log)(void *ctx, const char *line);
    void *log_ctx;
    unsigned max_connections;  /* default 256 */
    unsigned timeout_s;        /* idle/slow connection timeout, default 30 */
    size_t max_buffered;       /* request-body bytes held at once (all connections); past it:
                                * 503. Default 256 MiB; at least 25 MB to accept every size */
    unsigned threads;          /* 0: a thread per connection (blocking puts); N: N event-loop
                                * threads, puts handed to the inbox asynchronously */
} lq_intake_config;

/* Counters since start, for /metrics (all monotonic). */
#define LQ_INTAKE_STATUSES 10
extern const int lq_intake_statuses[LQ_INTAKE_STATUSES]; /* 200 202 400 401 403 404 405 413 503 500 */
#define LQ_INTAKE_LATENCY_BUCKETS 14 /* upper bounds in ms: see lq_intake_latency_bounds_ms */
typedef struct lq_intake_stats {
    uint64_t by_status[LQ_INTAKE_STATUSES]; /* indexed like lq_intake_statuses */
    uint64_t by_reason[16];    /* POST /webhook verdicts, indexed by lq_webhook_verdict */
    uint64_t stored, duplicates, unavailable, forbidden;
    uint64_t latency_le[LQ_INTAKE_LATENCY_BUCKETS + 1]; /* per bucket (not cumulative); last=+Inf */
    double latency_sum_ms;
    uint64_t latency_count;
} lq_intake_stats;
extern const double lq_intake_latency_bounds_ms[LQ_INTAKE_LATENCY_BUCKETS];
void lq_intake_stats_get(lq_intake *in, lq_intake_stats *out);
/* Appends the intake's Prometheus text (counters and the acknowledgement latency histogram) to
 * a new malloc'd string (caller frees); NULL when out of memory. Page callbacks can include it. */
char *lq_intake_metrics_text(lq_intake *in);

int lq_intake_start(lq_intake **out, const lq_intake_config *cfg, lq_error *err);
int lq_intake_port(const lq_intake *in); /* the bound TCP port */
/* Stops accepting, finishes in-flight requests, frees. NULL-safe. */
void lq_intake_stop(lq_intake *in);

#endif
