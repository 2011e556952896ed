/* inbox.c -- the durable webhook inbox, front end: checks and compresses a delivery on the
 * caller's thread, hands it to the backend's group commit (store_backend.h), decodes what the
 * backend reads back, and wakes the worker when a delivery is stored.
 *
 * Bodies are stored LZ4-compressed (encoding 1; ~8x for GitHub JSON: a 26 KB pull_request
 * payload becomes 3.3 KB in 12 us, on the caller's thread). On the reference machine writing to
 * the page cache costs ~1 us per KB, so the single SQLite writer thread would otherwise spend
 * most of its time copying bytes into the WAL and the checkpoint would copy them again; on
 * PostgreSQL it is 8x less WAL and socket traffic. */
#include "inbox.h"

#include <errno.h>
#include <lz4.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store_backend.h"
#include "webhook.h"

struct lq_inbox {
    const lq_store_ops *ops;
    lq_backend *be;

    pthread_mutex_t wmu; /* lq_inbox_wait */
    pthread_cond_t wcv;
    uint64_t put_gen, put_seen, wake_gen, wake_seen;
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* After a commit that stored a delivery (on the writer thread): wake lq_inbox_wait(). */
static void on_stored(void *ctx)
{
    lq_inbox *in = ctx;
    pthread_mutex_lock(&in->wmu);
    in->put_gen++;
    pthread_cond_broadcast(&in->wcv);
    pthread_mutex_unlock(&in->wmu);
}

int lq_inbox_open(lq_inbox **out, const char *target, lq_error *err)
{
    *out = NULL;
    if (!target || !*target)
        return lq_error_set(err, LQ_EINVAL, "inbox: empty database path");
    lq_inbox *in = calloc(1, sizeof(*in));
    if (!in)
        return lq_error_set(err, LQ_ENOMEM, "inbox: out of memory");
    pthread_mutex_init(&in->wmu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC); /* lq_inbox_wait ignores clock jumps */
    pthread_cond_init(&in->wcv, &ca);
    pthread_condattr_destroy(&ca);
    in->ops = lq_store_ops_for(target);
    lq_backend_options opt = {.inbox = 1, .on_stored = on_stored, .on_stored_ctx = in};
    int rc = in->ops->open(&in->be, target, &opt, err);
    if (rc != LQ_OK) {
        lq_inbox_close(in);
        return rc;
    }
    *out = in;
    return LQ_OK;
}

void lq_inbox_close(lq_inbox *in)
{
    if (!in)
        return;
    if (in->be)
        in->ops->close(in->be); /* commits what is queued first */
    pthread_mutex_destroy(&in->wmu);
    pthread_cond_destroy(&in->wcv);
    free(in);
}

const char *lq_inbox_backend(const lq_inbox *in)
{
    return in->ops->name;
}

void lq_inbox_backend_get(lq_inbox *in, const lq_store_ops **ops, lq_backend **be)
{
    *ops = in->ops;
    *be = in->be;
}

/* Checks the arguments and fills o for a put (compressing the body into o->packed, which the
 * caller frees). Runs on the caller's thread, so compression happens in parallel. */
static int prepare_put(lq_gc_op *o, const char *id, const char *event, const char *body,
                       size_t len, lq_error *err)
{
    if (!id || !*id || strlen(id) > LQ_WEBHOOK_MAX_DELIVERY)
        return lq_error_set(err, LQ_EINVAL, "inbox: delivery id must be 1-%d characters",
                            LQ_WEBHOOK_MAX_DELIVERY);
    if (!event || !*event || strlen(event) > LQ_WEBHOOK_MAX_EVENT)
        return lq_error_set(err, LQ_EINVAL, "inbox: event name must be 1-%d characters",
                            LQ_WEBHOOK_MAX_EVENT);
    /* printable ASCII only: a text column of another backend must never refuse a whole batch */
    for (const char *p = id; *p; p++)
        if (*p < 0x21 || *p > 0x7e)
            return lq_error_set(err, LQ_EINVAL, "inbox: delivery id must be printable ASCII");
    for (const char *p = event; *p; p++)
        if (*p < 0x21 || *p > 0x7e)
            return lq_error_set(err, LQ_EINVAL, "inbox: event name must be printable ASCII");
    if (!body && len)
        return lq_error_set(err, LQ_EINVAL, "inbox: body is NULL");
    o->kind = LQ_GC_PUT;
    o->id = id;
    o->event = event;
    o->stored = body;
    o->stored_len = len;
    o->raw_len = len;
    o->received_ms = now_ms();
    /* compress when it pays; LZ4 works on int sizes (the intake caps bodies at 25 MB) */
    if (len >= 256 && len <= (size_t)LZ4_MAX_INPUT_SIZE) {
        int bound = LZ4_compressBound((int)len);
        o->packed = malloc((size_t)bound);
        if (!o->packed)
            return lq_error_set(err, LQ_ENOMEM, "inbox: out of memory compressing a delivery");
        int n = LZ4_compress_default(body, o->packed, (int)len, bound);
        if (n > 0 && (size_t)n < len) {
            o->stored = o->packed;
            o->stored_len = (size_t)n;
            o->encoding = 1;
        }
    }
    return LQ_OK;
}

int lq_inbox_put(lq_inbox *in, const char *id, const char *event, const char *body, size_t len,
                 lq_error *err)
{
    lq_gc_op o = {.err = err};
    int rc = prepare_put(&o, id, event, body, len, err);
    if (rc == LQ_OK)
        rc = in->ops->submit(in->be, &o);
    free(o.packed);
    return rc;
}

int lq_inbox_put_async(lq_inbox *in, const char *id, const char *event, const char *body,
                       size_t len, lq_inbox_done_fn done, void *ctx, lq_error *err)
{
    if (!done)
        return lq_error_set(err, LQ_EINVAL, "inbox: no completion callback");
    lq_gc_op *o = calloc(1, sizeof(*o));
    if (!o)
        return lq_error_set(err, LQ_ENOMEM, "inbox: out of memory");
    o->err = &o->own_err;
    int rc = prepare_put(o, id, event, body, len, err);
    if (rc == LQ_OK) {
        o->cb = done;
        o->cb_ctx = ctx;
        rc = in->ops->submit(in->be, o); /* LQ_OK: o is taken */
        if (rc != LQ_OK && err)
            *err = o->own_err; /* closing: o was not queued */
    }
    if (rc != LQ_OK) {
        free(o->packed);
        free(o);
    }
    return rc;
}

int lq_inbox_done(lq_inbox *in, int64_t seq, lq_error *err)
{
    return in->ops->inbox_done(in->be, seq, err);
}

int lq_inbox_run(lq_inbox *in, lq_inbox_run_fn fn, void *ctx, lq_error *err)
{
    if (!fn)
        return lq_error_set(err, LQ_EINVAL, "inbox: no function to run");
    if (in->ops != &lq_store_sqlite_ops)
        return lq_error_set(err, LQ_EINVAL, "inbox: lq_inbox_run needs the SQLite backend");
    return lq_sqlite_run(in->be, fn, ctx, err);
}

int lq_inbox_prune(lq_inbox *in, int64_t before_ms, int64_t *out_deleted, lq_error *err)
{
    int64_t d = 0;
    int rc = in->ops->inbox_prune(in->be, before_ms, 0, &d, err);
    if (out_deleted)
        *out_deleted = rc == LQ_OK ? d : 0;
    return rc;
}

int lq_inbox_prune_batch(lq_inbox *in, int64_t before_ms, int limit, int64_t *out_deleted,
                         lq_error *err)
{
    if (limit <= 0)
        return lq_error_set(err, LQ_EINVAL, "inbox: prune batch limit must be positive");
    int64_t d = 0;
    int rc = in->ops->inbox_prune(in->be, before_ms, limit, &d, err);
    if (out_deleted)
        *out_deleted = rc == LQ_OK ? d : 0;
    return rc;
}

int lq_delivery_decode(lq_delivery *out, int64_t seq, const char *id, const char *event,
                       int64_t received_ms, int encoding, int64_t raw_len, const void *data,
                       size_t len, const char *where, lq_error *err)
{
    out->seq = seq;
    snprintf(out->id, sizeof(out->id), "%s", id ? id : "");
    snprintf(out->event, sizeof(out->event), "%s", event ? event : "");
    out->received_ms = received_ms;
    size_t want = encoding == 1 ? (size_t)raw_len : len;
    if ((encoding != 0 && encoding != 1) ||
        (encoding == 1 && (raw_len < 0 || raw_len > LZ4_MAX_INPUT_SIZE)))
        return lq_error_set(err, LQ_EINVAL, "%s: delivery %lld (%s): unknown body encoding %d",
                            where, (long long)seq, out->id, encoding);
    if (!(out->body = malloc(want + 1)))
        return lq_error_set(err, LQ_ENOMEM, "inbox: out of memory reading delivery %lld",
                            (long long)seq);
    if (encoding == 1 && LZ4_decompress_safe(data, out->body, (int)len, (int)want) != (int)want) {
        free(out->body);
        out->body = NULL;
        return lq_error_set(err, LQ_EINVAL, "%s: delivery %lld (%s): corrupt compressed body",
                            where, (long long)seq, out->id);
    }
    if (encoding == 0 && len)
        memcpy(out->body, data, len);
    out->body[want] = '\0';
    out->len = want;
    return LQ_OK;
}

int lq_inbox_next(lq_inbox *in, lq_delivery *out, lq_error *err)
{
    memset(out, 0, sizeof(*out));
    return in->ops->inbox_next(in->be, out, err);
}

int lq_inbox_pending(lq_inbox *in, int64_t *out, lq_error *err)
{
    *out = 0;
    return in->ops->inbox_pending(in->be, out, err);
}

int lq_inbox_wait(lq_inbox *in, int timeout_ms)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    if (timeout_ms < 0)
        timeout_ms = 0;
    until.tv_sec += timeout_ms / 1000;
    until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&in->wmu);
    int rc = 0;
    while (in->put_gen == in->put_seen && in->wake_gen == in->wake_seen && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&in->wcv, &in->wmu, &until);
    int woken = in->put_gen != in->put_seen || in->wake_gen != in->wake_seen;
    in->put_seen = in->put_gen;
    in->wake_seen = in->wake_gen;
    pthread_mutex_unlock(&in->wmu);
    return woken;
}

void lq_inbox_wake(lq_inbox *in)
{
    if (!in)
        return;
    pthread_mutex_lock(&in->wmu);
    in->wake_gen++;
    pthread_cond_broadcast(&in->wcv);
    pthread_mutex_unlock(&in->wmu);
}

void lq_inbox_stats_get(lq_inbox *in, lq_inbox_stats *out)
{
    in->ops->inbox_stats(in->be, out);
}

void lq_delivery_dispose(lq_delivery *d)
{
    if (d) {
        free(d->body);
        d->body = NULL;
        d->len = 0;
    }
}
