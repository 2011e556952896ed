/* store_sqlite_commit.c -- the SQLite backend's group commit (one transaction per batch of
 * gcommit.h ops on the writer connection) and the background checkpointer. */
#include "store_sqlite_int.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>

/* Checkpoint policy: the WAL absorbs bursts. Copying it back into the database doubles the
 * bytes written, so it waits until writes pause (IDLE_MS without a commit) once the WAL holds
 * IDLE_PAGES, and runs regardless past HARD_PAGES (4 KiB pages: 4 MiB and 256 MiB).
 * Under writes that never pause, a background (PASSIVE) checkpoint never catches up with the
 * writer, and the WAL would grow with every byte written (measured: 800 MB in 20 s of a webhook
 * storm). So once the checkpointer has copied all but TAIL_PAGES, the writer copies the rest
 * itself between two batches (a few ms: it is the only writer, so nothing is left behind) and
 * its next transaction starts the WAL over; journal_size_limit then trims the file to 64 MiB. */
#define CHECKPOINT_IDLE_PAGES 1024
#define CHECKPOINT_HARD_PAGES (1 << 16)
#define CHECKPOINT_IDLE_MS 200
#define CHECKPOINT_TAIL_PAGES 4096

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- group commit ------------------------------------------------------------------------ */

int lq_sq_wal_hook(void *ctx, sqlite3 *db, const char *name, int pages)
{
    sq_db *d = ctx;
    (void)db;
    (void)name;
    pthread_mutex_lock(&d->cmu);
    int crossed = d->wal_pages < CHECKPOINT_IDLE_PAGES && pages >= CHECKPOINT_IDLE_PAGES;
    d->wal_pages = pages;
    d->last_commit_ms = mono_ms();
    if (crossed || pages >= CHECKPOINT_HARD_PAGES)
        pthread_cond_signal(&d->ccv);
    pthread_mutex_unlock(&d->cmu);
    return SQLITE_OK;
}

static int step_done(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? SQLITE_OK : rc;
}

/* Runs one op inside the open transaction. Returns SQLITE_OK or the SQLite error. */
static int run_op(sq_db *d, lq_gc_op *o)
{
    sqlite3_stmt *st;
    if (o->kind == LQ_GC_RUN) {
        /* a caller's failure undoes only its own changes; a failing SAVEPOINT fails the batch */
        int rc = sqlite3_exec(d->wdb, "SAVEPOINT lq_run", NULL, NULL, NULL);
        if (rc != SQLITE_OK)
            return rc;
        o->rc = o->fn(d->wdb, o->ctx, o->err);
        if (o->rc != LQ_OK)
            rc = sqlite3_exec(d->wdb, "ROLLBACK TO lq_run; RELEASE lq_run", NULL, NULL, NULL);
        else
            rc = sqlite3_exec(d->wdb, "RELEASE lq_run", NULL, NULL, NULL);
        return rc;
    }
    switch (o->kind) {
    case LQ_GC_PUT:
        st = d->put_st;
        sqlite3_bind_text(st, 1, o->id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, o->event, -1, SQLITE_STATIC);
        sqlite3_bind_blob64(st, 3, o->stored ? o->stored : "", o->stored_len, SQLITE_STATIC);
        sqlite3_bind_int64(st, 4, o->received_ms);
        sqlite3_bind_int(st, 5, o->encoding);
        sqlite3_bind_int64(st, 6, (sqlite3_int64)o->raw_len);
        break;
    case LQ_GC_DONE:
        st = d->done_st;
        sqlite3_bind_int64(st, 1, o->arg);
        break;
    default:
        st = d->prune_st;
        sqlite3_bind_int64(st, 1, o->arg);
        sqlite3_bind_int64(st, 2, o->arg2 > 0 ? o->arg2 : -1); /* LIMIT -1: all */
        break;
    }
    int rc = sqlite3_step(st);
    o->changed = rc == SQLITE_DONE ? sqlite3_changes(d->wdb) : 0; /* changes64 needs 3.37 */
    sqlite3_clear_bindings(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static void set_result(sq_db *d, lq_gc_op *o)
{
    switch (o->kind) {
    case LQ_GC_PUT:
        o->rc = o->changed ? LQ_OK : 1;
        break;
    case LQ_GC_DONE:
        o->rc = o->changed ? LQ_OK
                           : lq_error_set(o->err, LQ_ENOTFOUND, "%s: no delivery with seq %lld",
                                          d->path, (long long)o->arg);
        break;
    case LQ_GC_RUN:
        break; /* o->rc is fn's result */
    default:
        o->rc = LQ_OK;
        break;
    }
}

/* The batch in one transaction (gcommit.h). */
int lq_sq_commit(void *be, int slot, lq_gc_op *batch, size_t n)
{
    sq_db *d = be;
    (void)slot;
    (void)n;
    if (atomic_exchange(&d->tail_wanted, 0)) /* outside any transaction, so it can finish */
        sqlite3_wal_checkpoint_v2(d->wdb, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    int rc = step_done(d->begin_st);
    const char *what = "cannot begin transaction";
    for (lq_gc_op *o = batch; rc == SQLITE_OK && o; o = o->next) {
        rc = run_op(d, o);
        what = "cannot write delivery";
    }
    if (rc == SQLITE_OK) {
        rc = step_done(d->commit_st);
        what = "cannot commit";
    }
    if (rc == SQLITE_OK) {
        for (lq_gc_op *o = batch; o; o = o->next)
            set_result(d, o);
        return 0;
    }
    /* nothing of this batch is on disk: every caller gets the error (-> 503) */
    char msg[300];
    snprintf(msg, sizeof(msg), "%s", sqlite3_errmsg(d->wdb));
    if (!sqlite3_get_autocommit(d->wdb))
        step_done(d->rollback_st);
    for (lq_gc_op *o = batch; o; o = o->next)
        o->rc = lq_error_set(o->err, LQ_ETRANSIENT, "%s: %s: %s", d->path, what, msg);
    return -1;
}

/* PASSIVE checkpoints never block the writer or readers; they copy what they can. Once the
 * whole WAL is copied, the writer's next commit starts the WAL over (journal_size_limit then
 * trims the file). */
void *lq_sq_checkpointer(void *arg)
{
    sq_db *d = arg;
    pthread_mutex_lock(&d->cmu);
    while (!d->ckpt_stop) {
        if (d->wal_pages < CHECKPOINT_IDLE_PAGES) {
            pthread_cond_wait(&d->ccv, &d->cmu);
            continue;
        }
        int64_t idle = mono_ms() - d->last_commit_ms;
        if (d->wal_pages < CHECKPOINT_HARD_PAGES && idle < CHECKPOINT_IDLE_MS) {
            struct timespec until;
            clock_gettime(CLOCK_MONOTONIC, &until);
            until.tv_nsec += (long)(CHECKPOINT_IDLE_MS - idle) * 1000000L;
            while (until.tv_nsec >= 1000000000L) {
                until.tv_sec++;
                until.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&d->ccv, &d->cmu, &until);
            continue;
        }
        int hard = d->wal_pages >= CHECKPOINT_HARD_PAGES;
        d->wal_pages = 0; /* the next commit reports the real size */
        pthread_mutex_unlock(&d->cmu);
        int log = 0, done = 0;
        sqlite3_wal_checkpoint_v2(d->cdb, NULL, SQLITE_CHECKPOINT_PASSIVE, &log, &done);
        if (hard && log - done < CHECKPOINT_TAIL_PAGES)
            atomic_store(&d->tail_wanted, 1);
        pthread_mutex_lock(&d->cmu);
    }
    pthread_mutex_unlock(&d->cmu);
    return NULL;
}

