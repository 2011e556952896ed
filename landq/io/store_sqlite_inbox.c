/* store_sqlite_inbox.c -- the SQLite backend's inbox: writes go through the group commit,
 * reads (the next delivery, the pending count) use the read connection. */
#include "store_sqlite_int.h"

#include <pthread.h>
#include <string.h>

int lq_sq_submit(lq_backend *be, lq_gc_op *o)
{
    sq_db *d = SQ(be);
    if (!d->gc)
        return lq_error_set(o->err, LQ_EINVAL, "%s: opened without the inbox", d->path);
    return lq_gc_submit(d->gc, o);
}

int lq_sq_inbox_done(lq_backend *be, int64_t seq, lq_error *err)
{
    lq_gc_op o = {.kind = LQ_GC_DONE, .arg = seq, .err = err};
    return lq_sq_submit(be, &o);
}

int lq_sq_inbox_prune(lq_backend *be, int64_t before_ms, int limit, int64_t *deleted,
                      lq_error *err)
{
    lq_gc_op o = {.kind = LQ_GC_PRUNE, .arg = before_ms, .arg2 = limit, .err = err};
    int rc = lq_sq_submit(be, &o);
    *deleted = rc == LQ_OK ? o.changed : 0;
    return rc;
}

int lq_sq_inbox_next(lq_backend *be, lq_delivery *out, lq_error *err)
{
    sq_db *d = SQ(be);
    if (!d->next_st)
        return lq_error_set(err, LQ_EINVAL, "%s: opened read-only", d->path);
    pthread_mutex_lock(&d->rmu);
    sqlite3_stmt *st = d->next_st;
    int rc = sqlite3_step(st);
    int ret;
    if (rc == SQLITE_ROW)
        ret = lq_delivery_decode(out, sqlite3_column_int64(st, 0),
                                 (const char *)sqlite3_column_text(st, 1),
                                 (const char *)sqlite3_column_text(st, 2),
                                 sqlite3_column_int64(st, 4), sqlite3_column_int(st, 5),
                                 sqlite3_column_int64(st, 6), sqlite3_column_blob(st, 3),
                                 (size_t)sqlite3_column_bytes(st, 3), d->path, err);
    else if (rc == SQLITE_DONE)
        ret = lq_error_set(err, LQ_ENOTFOUND, "inbox: no unprocessed delivery");
    else
        ret = lq_sq_db_fail(err, LQ_ETRANSIENT, d->path, d->rdb, "cannot read the inbox");
    sqlite3_reset(st);
    pthread_mutex_unlock(&d->rmu);
    return ret;
}

int lq_sq_inbox_pending(lq_backend *be, int64_t *out, lq_error *err)
{
    sq_db *d = SQ(be);
    if (!d->pending_st)
        return lq_error_set(err, LQ_EINVAL, "%s: opened read-only", d->path);
    pthread_mutex_lock(&d->rmu);
    int rc = sqlite3_step(d->pending_st), ret = LQ_OK;
    if (rc == SQLITE_ROW)
        *out = sqlite3_column_int64(d->pending_st, 0);
    else
        ret = lq_sq_db_fail(err, LQ_ETRANSIENT, d->path, d->rdb, "cannot count the inbox");
    sqlite3_reset(d->pending_st);
    pthread_mutex_unlock(&d->rmu);
    return ret;
}

void lq_sq_inbox_stats(lq_backend *be, lq_inbox_stats *out)
{
    sq_db *d = SQ(be);
    if (d->gc)
        lq_gc_stats(d->gc, out);
    else
        memset(out, 0, sizeof(*out));
}

