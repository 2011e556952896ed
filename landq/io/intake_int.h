/* intake_int.h -- the intake server's representation, shared by intake.c (start, stop),
 * intake_webhook.c (the HTTP handler: POST /webhook, /healthz), intake_conn.c (connections
 * and sources: accept policy, per-source caps, header deadlines, client addresses) and
 * intake_stats.c (counters for /metrics). Not for other modules: use intake.h. */
#ifndef LQ_INTAKE_INT_H
#define LQ_INTAKE_INT_H

#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

#include "intake.h"
#include "log.h"

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

/* intake_webhook.c: one logfmt line to cfg.log (values escaped). */
void lq_intake_logf(lq_intake *in, const char *fmt, ...) LQ_PRINTF(2, 3);
/* intake_webhook.c: libmicrohttpd's request handler and completion callback. */
enum MHD_Result lq_intake_on_request(void *cls, struct MHD_Connection *c, const char *url,
                                     const char *method, const char *version,
                                     const char *upload_data, size_t *upload_size,
                                     void **con_cls);
void lq_intake_request_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                                 enum MHD_RequestTerminationCode toe);

/* intake_conn.c: libmicrohttpd's accept policy, connection notifications and request-line
 * callback, and the thread that shuts down connections whose headers are late. */
enum MHD_Result lq_intake_on_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen);
void lq_intake_on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                             enum MHD_ConnectionNotificationCode code);
void *lq_intake_on_request_line(void *cls, const char *uri, struct MHD_Connection *c);
void *lq_intake_reaper_main(void *arg);
/* The slow-client guards' view of connection c (NULL when untracked). */
conn_slot *lq_intake_slot_of(struct MHD_Connection *c);
/* The client address of a request (the peer, or behind a trusted proxy the right-most
 * untrusted X-Forwarded-For address); -1: refuse. */
int lq_intake_client_of(lq_intake *in, struct MHD_Connection *c, lq_ip *client, int *proxied);
/* Per-source tally (under conns_mu): connections, or requests behind a proxy, held now. */
unsigned lq_intake_tally_get(lq_intake *in, const lq_ip *key);
int lq_intake_tally_inc(lq_intake *in, const lq_ip *key);
/* Takes a request behind a proxy off its client's tally (key NULL: nothing). Locks. */
void lq_intake_uncount_client(lq_intake *in, const lq_ip *key);

#endif
