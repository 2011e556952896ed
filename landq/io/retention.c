/* retention.c -- prune old deliveries and audit rows in small batches, give space back. */
#include "retention.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "duration.h"
#include "metrics.h"
#include "store.h"

struct lq_retention {
    lq_retention_config cfg;
    lq_store *store;
    pthread_t thread;
    int started;
    pthread_mutex_t mu; /* stats, stopping */
    pthread_cond_t cv;
    int stopping;
    lq_retention_stats stats;
    int noted_no_vacuum;
};

static void logf_(const lq_retention_config *c, const char *fmt, ...) LQ_PRINTF(2, 3);
static void logf_(const lq_retention_config *c, const char *fmt, ...)
{
    if (!c->log)
        return;
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    c->log(c->log_ctx, line);
}

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void defaults(lq_retention_config *c)
{
    if (c->batch <= 0)
        c->batch = 500;
    if (c->pause_ms <= 0)
        c->pause_ms = 20;
    if (c->interval_ms <= 0) {
        int64_t shortest = c->inbox_ms && (!c->audit_ms || c->inbox_ms < c->audit_ms)
                               ? c->inbox_ms
                               : c->audit_ms;
        c->interval_ms = shortest / 10;
        if (c->interval_ms < 1000)
            c->interval_ms = 1000;
        if (c->interval_ms > 60000)
            c->interval_ms = 60000;
    }
}

/* Sleeps ms unless stopping; returns 1 when stopping. r may be NULL (a pass without thread). */
static int pause_for(lq_retention *r, int64_t ms)
{
    if (!r) {
        struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
            ;
        return 0;
    }
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&r->mu);
    while (!r->stopping && pthread_cond_timedwait(&r->cv, &r->mu, &until) != ETIMEDOUT)
        ;
    int s = r->stopping;
    pthread_mutex_unlock(&r->mu);
    return s;
}

static int stopping(lq_retention *r)
{
    if (!r)
        return 0;
    pthread_mutex_lock(&r->mu);
    int s = r->stopping;
    pthread_mutex_unlock(&r->mu);
    return s;
}

/* Deletes batches until one comes back short. */
static int drain(lq_retention *r, const lq_retention_config *c, lq_store *st, int audit,
                 int64_t before, uint64_t *total, lq_error *err)
{
    for (;;) {
        int64_t n = 0;
        int rc = audit ? lq_store_audit_prune(st, before, c->batch, &n, err)
                       : lq_inbox_prune_batch(c->inbox, before, c->batch, &n, err);
        if (rc != LQ_OK)
            return rc;
        *total += (uint64_t)n;
        if (n < c->batch || stopping(r))
            return LQ_OK;
        if (pause_for(r, c->pause_ms))
            return LQ_OK;
    }
}

static int pass(lq_retention *r, const lq_retention_config *c, lq_store *st, int64_t now,
                lq_retention_stats *s, lq_error *err)
{
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    uint64_t deliveries = 0, audit = 0;
    int64_t given = 0;
    int rc = LQ_OK;
    if (c->inbox_ms)
        rc = drain(r, c, st, 0, now - c->inbox_ms, &deliveries, err);
    if (rc == LQ_OK && c->audit_ms)
        rc = drain(r, c, st, 1, now - c->audit_ms, &audit, err);
    if (rc == LQ_OK && (deliveries || audit))
        rc = lq_store_reclaim(st, &given, err);
    lq_store_info info = {0};
    if (rc == LQ_OK)
        rc = lq_store_info_get(st, &info, err);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    s->passes++;
    s->deliveries_deleted += deliveries;
    s->audit_deleted += audit;
    s->bytes_reclaimed += given;
    if (rc == LQ_OK) {
        s->db_bytes = info.bytes;
        s->free_bytes = info.free_bytes;
        s->last_error[0] = '\0';
    } else {
        snprintf(s->last_error, sizeof s->last_error, "%.255s", err ? err->msg : "failed");
    }
    if (deliveries || audit || rc != LQ_OK)
        logf_(c, "msg=retention deliveries_deleted=%llu audit_deleted=%llu reclaimed_bytes=%lld "
                 "db_bytes=%lld ms=%lld%s%s%s",
              (unsigned long long)deliveries, (unsigned long long)audit, (long long)given,
              (long long)info.bytes,
              (long long)((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000),
              rc != LQ_OK ? " error=\"" : "", rc != LQ_OK ? s->last_error : "",
              rc != LQ_OK ? "\"" : "");
    if (rc == LQ_OK && r && !r->noted_no_vacuum && !strcmp(info.backend, "sqlite") &&
        !info.auto_vacuum) {
        r->noted_no_vacuum = 1;
        logf_(c, "msg=\"this database file was created before landq used incremental vacuum: "
                 "freed space is reused but the file never shrinks; to change that, stop landq "
                 "and run: sqlite3 DB 'PRAGMA auto_vacuum=INCREMENTAL; VACUUM'\"");
    }
    return rc;
}

static void export(lq_retention *r, uint64_t dd, uint64_t ad)
{
    lq_metrics *m = r->cfg.metrics;
    if (!m)
        return;
    lq_metrics_add(m, "landq_retention_deleted_total", "table=\"inbox_deliveries\"", (double)dd);
    lq_metrics_add(m, "landq_retention_deleted_total", "table=\"lq_audit\"", (double)ad);
    lq_metrics_set(m, "landq_store_bytes", NULL, (double)r->stats.db_bytes);
    lq_metrics_set(m, "landq_store_free_bytes", NULL, (double)r->stats.free_bytes);
}

static void *run(void *arg)
{
    lq_retention *r = arg;
    do {
        lq_retention_stats s;
        pthread_mutex_lock(&r->mu);
        s = r->stats;
        pthread_mutex_unlock(&r->mu);
        uint64_t dd = s.deliveries_deleted, ad = s.audit_deleted;
        lq_error err = {0};
        pass(r, &r->cfg, r->store, wall_ms(), &s, &err);
        pthread_mutex_lock(&r->mu);
        r->stats = s;
        pthread_mutex_unlock(&r->mu);
        export(r, s.deliveries_deleted - dd, s.audit_deleted - ad);
    } while (!pause_for(r, r->cfg.interval_ms));
    return NULL;
}

int lq_retention_pass(const lq_retention_config *cfg, int64_t now_ms, lq_retention_stats *out,
                      lq_error *err)
{
    memset(out, 0, sizeof(*out));
    lq_retention_config c = *cfg;
    defaults(&c);
    lq_store *st = NULL;
    int rc = lq_store_open(&st, c.db, c.inbox, err);
    if (rc != LQ_OK)
        return rc;
    rc = pass(NULL, &c, st, now_ms, out, err);
    lq_store_close(st);
    return rc;
}

int lq_retention_start(lq_retention **out, const lq_retention_config *cfg, lq_error *err)
{
    *out = NULL;
    if (!cfg->inbox)
        return lq_error_set(err, LQ_EINVAL, "retention: no inbox");
    lq_retention *r = calloc(1, sizeof(*r));
    if (!r)
        return lq_error_set(err, LQ_ENOMEM, "retention: out of memory");
    r->cfg = *cfg;
    defaults(&r->cfg);
    pthread_mutex_init(&r->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&r->cv, &ca);
    pthread_condattr_destroy(&ca);
    int rc = lq_store_open(&r->store, cfg->db, cfg->inbox, err);
    if (rc != LQ_OK) {
        lq_retention_stop(r);
        return rc;
    }
    if (r->cfg.metrics) {
        lq_metrics_describe(r->cfg.metrics, "landq_retention_deleted_total", LQ_METRIC_COUNTER,
                            "Rows deleted by retention (inbox_retention, audit_retention), by "
                            "table.", NULL, 0);
        lq_metrics_describe(r->cfg.metrics, "landq_store_bytes", LQ_METRIC_GAUGE,
                            "Size of the database (SQLite: file and WAL; PostgreSQL: landq's "
                            "tables), after the last retention pass.", NULL, 0);
        lq_metrics_describe(r->cfg.metrics, "landq_store_free_bytes", LQ_METRIC_GAUGE,
                            "SQLite: free space inside the file, reused before it grows.", NULL,
                            0);
    }
    char a[32], b[32], iv[32];
    logf_(&r->cfg, "msg=\"retention\" inbox_retention=%s audit_retention=%s interval=%s "
                   "batch=%d",
          lq_duration_format(r->cfg.inbox_ms, a, sizeof a),
          lq_duration_format(r->cfg.audit_ms, b, sizeof b),
          lq_duration_format(r->cfg.interval_ms, iv, sizeof iv), r->cfg.batch);
    if (!r->cfg.inbox_ms && !r->cfg.audit_ms) {
        *out = r; /* nothing to prune: no thread */
        return LQ_OK;
    }
    if (pthread_create(&r->thread, NULL, run, r) != 0) {
        lq_retention_stop(r);
        return lq_error_set(err, LQ_ERROR, "retention: cannot start the thread");
    }
    r->started = 1;
    *out = r;
    return LQ_OK;
}

void lq_retention_stop(lq_retention *r)
{
    if (!r)
        return;
    if (r->started) {
        pthread_mutex_lock(&r->mu);
        r->stopping = 1;
        pthread_cond_broadcast(&r->cv);
        pthread_mutex_unlock(&r->mu);
        pthread_join(r->thread, NULL);
    }
    lq_store_close(r->store);
    pthread_mutex_destroy(&r->mu);
    pthread_cond_destroy(&r->cv);
    free(r);
}

void lq_retention_stats_get(lq_retention *r, lq_retention_stats *out)
{
    pthread_mutex_lock(&r->mu);
    *out = r->stats;
    pthread_mutex_unlock(&r->mu);
}
