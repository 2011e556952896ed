/* intake.c -- the webhook intake HTTP server (libmicrohttpd): start and stop, and the listen
 * address parser. The handler is in intake_webhook.c, the connection guards in intake_conn.c,
 * the counters' report in intake_stats.c.
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
 * core/webhook.c; the handler only moves bytes and counts.
 *
 * Connection threads run at a lower CPU priority (nice +INTAKE_NICE, intake_webhook.c) than
 * the rest of landq: in a webhook storm they are many and CPU-bound (HMAC, JSON scan, LZ4),
 * while the one inbox writer they all wait for, and the landing worker, must not queue behind
 * them for the CPU (bench/README.md: in a storm the landing delay's p99 went from 7-12 ms at
 * nice 0 to 5-8 ms). */
#include "intake_int.h"

#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_MAX_CONNECTIONS 256
#define DEFAULT_TIMEOUT_S 30
#define DEFAULT_HEADER_TIMEOUT_S 10
#define DEFAULT_PER_SOURCE 64
/* Request bodies buffered at once, over all connections. GitHub payloads are mostly a few KB
 * to a few hundred KB; the cap keeps 256 connections announcing 25 MB each from taking 6 GB.
 * Past it a request gets 503 (GitHub shows the delivery as failed; it can be redelivered). */
#define DEFAULT_MAX_BUFFERED ((size_t)256 * 1024 * 1024)

static const char body_stored[] = "{\"status\":202,\"message\":\"delivery stored\"}\n";
static const char body_duplicate[] =
    "{\"status\":200,\"message\":\"duplicate delivery: already stored, not stored again\"}\n";

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
    if (pthread_create(&in->reaper, NULL, lq_intake_reaper_main, in) != 0) {
        lq_intake_stop(in);
        return lq_error_set(err, LQ_ERROR, "intake: cannot start a thread");
    }
    in->reaper_started = 1;
    in->daemon = MHD_start_daemon(
        flags, 0, lq_intake_on_accept, in, lq_intake_on_request, in, MHD_OPTION_SOCK_ADDR,
        (struct sockaddr *)&addr, MHD_OPTION_NOTIFY_CONNECTION, lq_intake_on_connection, in,
        MHD_OPTION_URI_LOG_CALLBACK, lq_intake_on_request_line, in,
        MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)(cfg->max_connections ? cfg->max_connections : DEFAULT_MAX_CONNECTIONS),
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)(cfg->timeout_s ? cfg->timeout_s : DEFAULT_TIMEOUT_S),
        MHD_OPTION_NOTIFY_COMPLETED, lq_intake_request_completed, in,
        MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)1024, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        (size_t)32 * 1024,
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

