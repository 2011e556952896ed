#include "allowlist.h"

#include <errno.h>
#include <stdarg.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "github.h"
#include "store.h"

struct lq_allowlist {
    pthread_rwlock_t lock; /* guards list, status */
    lq_cidr_list list;     /* owned */
    lq_allowlist_status status;
    lq_cidr_list proxies; /* owned copy */
    lq_github *gh;        /* used by the refresh thread only */
    char *db_path;
    unsigned refresh_s;
    void (*log)(void *, const char *);
    void *log_ctx;
    pthread_t thread;
    int started;
    pthread_mutex_t stop_mu;
    pthread_cond_t stop_cv;
    int stopping;
    int first_done, first_ok; /* the start-up fetch (done before the thread starts) */
};

static void logf_(lq_allowlist *al, const char *fmt, ...) LQ_PRINTF(2, 3);
static void logf_(lq_allowlist *al, const char *fmt, ...)
{
    if (!al->log)
        return;
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    al->log(al->log_ctx, line);
}

static int should_stop(void *ctx)
{
    lq_allowlist *al = ctx;
    pthread_mutex_lock(&al->stop_mu);
    int s = al->stopping;
    pthread_mutex_unlock(&al->stop_mu);
    return s;
}

/* Installs list (taken) as the one in force. */
static void install(lq_allowlist *al, lq_cidr_list *list, int64_t fetched_at, int from_store)
{
    pthread_rwlock_wrlock(&al->lock);
    size_t before = al->list.n;
    lq_cidr_list_dispose(&al->list);
    al->list = *list;
    list->v = NULL;
    list->n = 0;
    al->status.loaded = 1;
    al->status.ranges = al->list.n;
    al->status.fetched_at = fetched_at;
    al->status.from_store = from_store;
    if (!from_store)
        al->status.last_error[0] = '\0';
    pthread_rwlock_unlock(&al->lock);
    logf_(al, "msg=\"webhook allowlist in force\" ranges=%zu previous=%zu source=%s", al->status.ranges,
          before, from_store ? "store" : "meta");
}

/* The last good list lives in the store (table landq_meta_hooks, store.h), SQLite or
 * PostgreSQL alike; a store opened for the moment: this happens once an hour at most. */
static void load_persisted(lq_allowlist *al)
{
    lq_store *st = NULL;
    lq_error err;
    if (lq_store_open(&st, al->db_path, NULL, &err) != LQ_OK) {
        logf_(al, "msg=\"allowlist store unavailable\" error=\"%s\"", err.msg);
        return;
    }
    char *body = NULL;
    int64_t at = 0;
    int rc = lq_store_meta_get(st, &body, &at, &err);
    if (rc == LQ_OK) {
        lq_cidr_list l;
        if (lq_meta_parse_hooks(&l, body, strlen(body), &err) == LQ_OK)
            install(al, &l, at, 1);
        else
            logf_(al, "msg=\"stored allowlist unreadable, ignored\" error=\"%s\"", err.msg);
    } else if (rc != LQ_ENOTFOUND) {
        logf_(al, "msg=\"allowlist store unavailable\" error=\"%s\"", err.msg);
    }
    free(body);
    lq_store_close(st);
}

static void persist(lq_allowlist *al, const char *body, int64_t at)
{
    lq_store *st = NULL;
    lq_error err;
    if (lq_store_open(&st, al->db_path, NULL, &err) == LQ_OK &&
        lq_store_meta_put(st, body, at, &err) == LQ_OK) {
        lq_store_close(st);
        return;
    }
    lq_store_close(st);
    logf_(al, "msg=\"could not persist the allowlist\" error=\"%s\"", err.msg);
}

int lq_allowlist_refresh(lq_allowlist *al, lq_error *err)
{
    json_t *meta = NULL;
    lq_error e;
    int rc = lq_github_get_json(al->gh, &meta, "/meta", &e);
    lq_cidr_list l = {NULL, 0};
    char *body = NULL;
    if (rc == LQ_OK) {
        json_t *hooks = json_pack("{s:O}", "hooks",
                                  json_object_get(meta, "hooks") ? json_object_get(meta, "hooks")
                                                                 : json_null());
        body = hooks ? json_dumps(hooks, JSON_COMPACT) : NULL;
        json_decref(hooks);
        rc = body ? lq_meta_parse_hooks(&l, body, strlen(body), &e)
                  : lq_error_set(&e, LQ_ENOMEM, "out of memory");
    }
    json_decref(meta);
    if (rc != LQ_OK) {
        pthread_rwlock_wrlock(&al->lock);
        snprintf(al->status.last_error, sizeof(al->status.last_error), "GET /meta: %.200s",
                 e.msg);
        int loaded = al->status.loaded;
        pthread_rwlock_unlock(&al->lock);
        logf_(al, "msg=\"allowlist refresh failed; %s\" error=\"%s\"",
              loaded ? "keeping the last good list" : "refusing all webhooks (no list yet)", e.msg);
        free(body);
        return lq_error_set(err, rc, "GET /meta: %s", e.msg);
    }
    int64_t now = (int64_t)time(NULL);
    /* Unchanged lists are not re-installed or re-written (the common, 304 case). */
    pthread_rwlock_rdlock(&al->lock);
    int same = al->status.loaded && !al->status.from_store && al->list.n == l.n &&
               (l.n == 0 || !memcmp(al->list.v, l.v, l.n * sizeof(*l.v)));
    pthread_rwlock_unlock(&al->lock);
    if (!same) {
        persist(al, body, now);
        install(al, &l, now, 0);
    } else {
        pthread_rwlock_wrlock(&al->lock);
        al->status.fetched_at = now;
        al->status.last_error[0] = '\0';
        pthread_rwlock_unlock(&al->lock);
    }
    lq_cidr_list_dispose(&l);
    free(body);
    return LQ_OK;
}

static void *refresh_loop(void *arg)
{
    lq_allowlist *al = arg;
    int ok = al->first_ok;
    for (int first = 1;; first = 0) {
        lq_error err;
        if (!first || !al->first_done)
            ok = lq_allowlist_refresh(al, &err) == LQ_OK;
        /* After a failure, try again sooner than the normal period. */
        unsigned wait_s = ok ? al->refresh_s : (al->refresh_s < 10 ? al->refresh_s : 10);
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += wait_s;
        pthread_mutex_lock(&al->stop_mu);
        while (!al->stopping &&
               pthread_cond_timedwait(&al->stop_cv, &al->stop_mu, &until) != ETIMEDOUT) {
        }
        int stop = al->stopping;
        pthread_mutex_unlock(&al->stop_mu);
        if (stop)
            return NULL;
    }
}

int lq_allowlist_start(lq_allowlist **out, const lq_allowlist_config *cfg, lq_error *err)
{
    *out = NULL;
    lq_allowlist *al = calloc(1, sizeof(*al));
    if (!al)
        return lq_error_set(err, LQ_ENOMEM, "out of memory");
    pthread_rwlock_init(&al->lock, NULL);
    pthread_mutex_init(&al->stop_mu, NULL);
    pthread_cond_init(&al->stop_cv, NULL);
    al->refresh_s = cfg->refresh_s ? cfg->refresh_s : 3600;
    al->log = cfg->log;
    al->log_ctx = cfg->log_ctx;
    snprintf(al->status.last_error, sizeof(al->status.last_error), "not fetched yet");
    if (!(al->db_path = strdup(cfg->db_path)))
        goto nomem;
    if (cfg->proxies && cfg->proxies->n) {
        if (!(al->proxies.v = malloc(cfg->proxies->n * sizeof(lq_cidr))))
            goto nomem;
        memcpy(al->proxies.v, cfg->proxies->v, cfg->proxies->n * sizeof(lq_cidr));
        al->proxies.n = cfg->proxies->n;
    }
    lq_github_config gc = {.api_url = cfg->api_url, .token = cfg->token, .timeout_ms = 10000,
                           .max_retries = 1, .backoff_ms = 500, .should_stop = should_stop,
                           .stop_ctx = al, .metrics = cfg->metrics};
    if (lq_github_new(&al->gh, &gc, err) != LQ_OK) {
        lq_allowlist_stop(al);
        return LQ_ERROR;
    }
    load_persisted(al);
    if (!al->status.loaded) {
        /* Nothing to enforce yet: fetch once before webhooks are accepted, so a fresh start
         * does not refuse GitHub's first deliveries (bounded by the client timeout). */
        lq_error e;
        al->first_ok = lq_allowlist_refresh(al, &e) == LQ_OK;
        al->first_done = 1;
    }
    if (pthread_create(&al->thread, NULL, refresh_loop, al) != 0) {
        lq_allowlist_stop(al);
        return lq_error_set(err, LQ_ERROR, "cannot start the allowlist refresh thread");
    }
    al->started = 1;
    *out = al;
    return LQ_OK;
nomem:
    lq_allowlist_stop(al);
    return lq_error_set(err, LQ_ENOMEM, "out of memory");
}

void lq_allowlist_stop(lq_allowlist *al)
{
    if (!al)
        return;
    pthread_mutex_lock(&al->stop_mu);
    al->stopping = 1;
    pthread_cond_broadcast(&al->stop_cv);
    pthread_mutex_unlock(&al->stop_mu);
    if (al->started)
        pthread_join(al->thread, NULL);
    lq_github_free(al->gh);
    lq_cidr_list_dispose(&al->list);
    lq_cidr_list_dispose(&al->proxies);
    free(al->db_path);
    pthread_rwlock_destroy(&al->lock);
    pthread_mutex_destroy(&al->stop_mu);
    pthread_cond_destroy(&al->stop_cv);
    free(al);
}

static int sockaddr_ip(lq_ip *out, const struct sockaddr *sa)
{
    memset(out, 0, sizeof(*out));
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

int lq_allowlist_check(lq_allowlist *al, const struct sockaddr *peer, const char *xff)
{
    lq_ip pip, client;
    if (!peer || sockaddr_ip(&pip, peer) != 0)
        return 0;
    if (lq_client_addr(&client, &pip, xff, &al->proxies, NULL) != LQ_OK)
        return 0; /* a malformed X-Forwarded-For from our own proxy: fail closed */
    pthread_rwlock_rdlock(&al->lock);
    int ok = al->status.loaded && lq_cidr_list_contains(&al->list, &client);
    pthread_rwlock_unlock(&al->lock);
    return ok;
}

int lq_allowlist_allows(lq_allowlist *al, const lq_ip *addr)
{
    pthread_rwlock_rdlock(&al->lock);
    int ok = al->status.loaded && lq_cidr_list_contains(&al->list, addr);
    pthread_rwlock_unlock(&al->lock);
    return ok;
}

void lq_allowlist_status_get(lq_allowlist *al, lq_allowlist_status *out)
{
    pthread_rwlock_rdlock(&al->lock);
    *out = al->status;
    pthread_rwlock_unlock(&al->lock);
}
