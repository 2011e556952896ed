/* intake_conn.c -- the intake's connections and their sources: the accept policy (allowlist,
 * per-source connection cap), the slot each connection holds from accept to close, the header
 * deadline and the reaper that enforces it, and the client address behind trusted proxies
 * (X-Forwarded-For). Hostile clients are refused here before anything is read. */
#include "intake_int.h"

#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#define XFF_LINES_MAX 32 /* X-Forwarded-For lines read; more -> refused (fail closed) */

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

unsigned lq_intake_tally_get(lq_intake *in, const lq_ip *key)
{
    tally_entry *e = tally_find(in, key);
    return e ? e->n : 0;
}

int lq_intake_tally_inc(lq_intake *in, const lq_ip *key)
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
    lq_intake_logf(in, "msg=\"connection refused\" reason=%s source=%s refused_not_allowed=%llu "
                       "refused_per_source=%llu header_timeouts=%llu (logged at most every 10 s)",
                   reason, a, (unsigned long long)LOAD(in->refused_not_allowed),
                   (unsigned long long)LOAD(in->refused_per_source),
                   (unsigned long long)LOAD(in->header_timeouts));
}

/* MHD's accept policy: runs before the connection gets a slot (or a thread). */
enum MHD_Result lq_intake_on_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen)
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
    unsigned n = lq_intake_tally_get(in, &key);
    pthread_mutex_unlock(&in->conns_mu);
    if (n >= in->per_source) {
        INC(in->refused_per_source);
        log_refusal(in, "per_source_limit", &ip);
        return MHD_NO;
    }
    return MHD_YES;
}

void lq_intake_on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
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
        s->counted = !s->proxied && lq_intake_tally_inc(in, &s->key) == 0;
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

conn_slot *lq_intake_slot_of(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

/* Called by MHD once a request line is in: on a kept-alive connection the next request's
 * headers get their deadline from here (the first request's counts from the accept). */
void *lq_intake_on_request_line(void *cls, const char *uri, struct MHD_Connection *c)
{
    lq_intake *in = cls;
    (void)uri;
    conn_slot *s = lq_intake_slot_of(c);
    int idle = 0;
    if (s && atomic_compare_exchange_strong(&s->phase, &idle, 1))
        atomic_store(&s->deadline_ms, now_ms() + in->header_timeout_ms);
    return NULL; /* the request's *con_cls starts as NULL (see on_request) */
}

/* Shuts down connections whose headers are late. shutdown() (not close) wakes the connection's
 * thread or event loop, and MHD then closes and frees it as after any peer close. */
void *lq_intake_reaper_main(void *arg)
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
int lq_intake_client_of(lq_intake *in, struct MHD_Connection *c, lq_ip *client, int *proxied)
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

void lq_intake_uncount_client(lq_intake *in, const lq_ip *key)
{
    if (!key)
        return;
    pthread_mutex_lock(&in->conns_mu);
    tally_dec(in, key);
    pthread_mutex_unlock(&in->conns_mu);
}

