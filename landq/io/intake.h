/* The webhook intake HTTP server (libmicrohttpd). CONTRACT used by `landq serve`.
 * POST /webhook: signature check (X-Hub-Signature-256, constant time) -> 401; body > 25 MB -> 413;
 * missing X-GitHub-Event or bad JSON -> 400; ping -> 200; duplicate delivery -> 200 (not stored);
 * stored durably in the inbox -> 202; inbox failure -> 503.
 * 429 when a client behind a trusted proxy has too many requests in flight.
 * GET/HEAD /healthz: 200 "ok" or 503 "not ok", for load balancers (the details, /metrics and
 * the operator pages are on the ops listener, io/ops.h); anything else -> 404.
 * Hostile clients: the allowlist is checked at accept time, connections per source are capped
 * and headers have a deadline (lq_intake_config). */
#ifndef LQ_INTAKE_H
#define LQ_INTAKE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "cidr.h"
#include "error.h"
#include "inbox.h"

typedef struct lq_intake lq_intake;

typedef struct lq_intake_config {
    const char *listen;        /* "ADDR:PORT" ("127.0.0.1:0" picks a free port) */
    const char *secret;        /* webhook secret (borrowed; never logged) */
    size_t secret_len;
    lq_inbox *inbox;           /* borrowed */
    /* GET/HEAD /healthz, for load balancers: 200 "ok" when healthy() returns 1, else 503
     * "not ok"; nothing else is said here (the details are on the ops listener, io/ops.h).
     * NULL: healthy when the inbox is writable. Called from connection threads. */
    int (*healthy)(void *ctx);
    void *healthy_ctx;
    /* Optional, same ctx: branch leases held by this instance and whether it reaches the
     * database, sent with that /healthz as X-Landq-Leases-Held and X-Landq-Database
     * (reachable / unreachable), so a load balancer or an operator's curl -i sees the leader. */
    int (*leases_held)(void *ctx, int *db_ok);
    /* Source-address allowlist (thread-safe; NULL = every address allowed): 1 when addr may
     * deliver. Checked twice: at accept time on the peer address, unless the peer is a trusted
     * proxy (a refused connection is closed before anything is read, so outsiders never hold a
     * slot), and before the body on the client address (the peer, or from a trusted proxy the
     * right-most untrusted address of all X-Forwarded-For lines): 0 -> 403. */
    int (*allow)(void *ctx, const lq_ip *addr);
    void *allow_ctx;
    const lq_cidr_list *trusted_proxies; /* copied; NULL or empty: no proxy is believed */
    /* One logfmt line per webhook request (no secrets, no bodies), e.g.
     * "msg=webhook delivery=... event=push status=202 reason=accepted bytes=123 ms=0.8".
     * Called from connection threads, so it must be thread-safe. May be NULL (silent). */
    void (*log)(void *ctx, const char *line);
    void *log_ctx;
    unsigned max_connections;  /* default 256 */
    unsigned timeout_s;        /* idle connection timeout, default 30 */
    /* Slow clients. header_timeout_s (default 10): a request's headers must be complete this
     * long after the connection was accepted (or, on a kept-alive connection, after its request
     * line began); the connection is shut down otherwise, however slowly it keeps sending.
     * per_source_connections (default 64): connections held at once by one source address
     * (an IPv6 /64), refused at accept time beyond it; trusted proxies are exempt, and the
     * clients behind them are counted by their X-Forwarded-For address instead (requests in
     * flight; beyond the cap -> 429). */
    unsigned header_timeout_s;
    unsigned per_source_connections;
    size_t max_buffered;       /* request-body bytes held at once (all connections); past it:
                                * 503. Default 256 MiB; at least 25 MB to accept every size */
    unsigned threads;          /* 0: a thread per connection (blocking puts); N: N event-loop
                                * threads, puts handed to the inbox asynchronously */
} lq_intake_config;

/* Counters since start, for /metrics (all monotonic). */
#define LQ_INTAKE_STATUSES 11
extern const int lq_intake_statuses[LQ_INTAKE_STATUSES]; /* 200 202 400 401 403 404 405 413 429
                                                          * 503 500 */
#define LQ_INTAKE_LATENCY_BUCKETS 14 /* upper bounds in ms: see lq_intake_latency_bounds_ms */
typedef struct lq_intake_stats {
    uint64_t by_status[LQ_INTAKE_STATUSES]; /* indexed like lq_intake_statuses */
    uint64_t by_reason[16];    /* POST /webhook verdicts, indexed by lq_webhook_verdict */
    uint64_t stored, duplicates, unavailable, forbidden;
    /* connections closed before a request was read: source not allowed at accept time, the
     * source's connection cap, headers not complete in time; requests refused (429) because
     * the client behind a proxy had too many in flight */
    uint64_t refused_not_allowed, refused_per_source, header_timeouts, per_client_limited;
    uint64_t latency_le[LQ_INTAKE_LATENCY_BUCKETS + 1]; /* per bucket (not cumulative); last=+Inf */
    double latency_sum_ms;
    uint64_t latency_count;
} lq_intake_stats;
extern const double lq_intake_latency_bounds_ms[LQ_INTAKE_LATENCY_BUCKETS];
void lq_intake_stats_get(lq_intake *in, lq_intake_stats *out);
/* Appends the intake's Prometheus text (counters and the acknowledgement latency histogram) to
 * a new malloc'd string (caller frees); NULL when out of memory. Page callbacks can include it. */
char *lq_intake_metrics_text(lq_intake *in);

/* "ADDR:PORT", "[V6]:PORT" or ":PORT" (all interfaces) -> a socket address (also used by the
 * ops listener). LQ_EINVAL with a message. */
struct sockaddr_storage;
int lq_listen_parse(struct sockaddr_storage *out, socklen_t *out_len, const char *listen,
                    lq_error *err);

int lq_intake_start(lq_intake **out, const lq_intake_config *cfg, lq_error *err);
int lq_intake_port(const lq_intake *in); /* the bound TCP port */
/* Stops accepting, finishes in-flight requests, frees. NULL-safe. */
void lq_intake_stop(lq_intake *in);

#endif
