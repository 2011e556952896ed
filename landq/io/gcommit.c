/* gcommit.c -- the group commit queue: writer threads that commit whatever is queued as one
 * transaction and wake the callers of that batch (see gcommit.h). */
#include "gcommit.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct lq_gcommit {
    lq_gc_config cfg;
    char *name;
    pthread_mutex_t mu;     /* queue, stats, stopping */
    pthread_cond_t work_cv; /* writers: ops queued or stopping */
    lq_gc_op *head, *tail;
    int stopping;
    pthread_t *threads;
    int started;
    lq_inbox_stats stats;
};

typedef struct slot_arg {
    lq_gcommit *gc;
    int slot;
} slot_arg;

static void commit_batch(lq_gcommit *gc, int slot, lq_gc_op *batch, size_t n)
{
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = gc->cfg.commit(gc->cfg.be, slot, batch, n);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    uint64_t us = (uint64_t)((t1.tv_sec - t0.tv_sec) * 1000000 + (t1.tv_nsec - t0.tv_nsec) / 1000);
    int stored = 0;
    pthread_mutex_lock(&gc->mu);
    gc->stats.commit_us_total += us;
    if (us > gc->stats.commit_us_max)
        gc->stats.commit_us_max = us;
    gc->stats.last_commit_failed = rc != 0;
    if (rc == 0) {
        gc->stats.commits++;
        if (n > gc->stats.max_batch)
            gc->stats.max_batch = n;
    }
    for (lq_gc_op *o = batch; o; o = o->next) {
        if (o->kind != LQ_GC_PUT)
            continue;
        if (o->rc == LQ_OK) {
            gc->stats.stored++;
            stored = 1;
        } else if (o->rc == 1) {
            gc->stats.duplicates++;
        } else {
            gc->stats.failed++;
        }
    }
    pthread_mutex_unlock(&gc->mu);
    /* wake exactly the callers of this batch (a broadcast would wake all 32 connections) */
    for (lq_gc_op *o = batch, *next; o; o = next) {
        next = o->next; /* o may vanish from the caller's stack once posted */
        if (o->cb) {
            o->cb(o->cb_ctx, o->rc, &o->own_err);
            free(o->packed);
            free(o);
        } else {
            sem_post(&o->finished);
        }
    }
    if (stored && gc->cfg.on_stored)
        gc->cfg.on_stored(gc->cfg.on_stored_ctx);
}

static void *writer(void *arg)
{
    slot_arg *sa = arg;
    lq_gcommit *gc = sa->gc;
    int slot = sa->slot;
    free(sa);
    pthread_mutex_lock(&gc->mu);
    for (;;) {
        while (!gc->head && !gc->stopping)
            pthread_cond_wait(&gc->work_cv, &gc->mu);
        if (!gc->head)
            break; /* stopping and drained */
        lq_gc_op *batch = gc->head;
        gc->head = gc->tail = NULL;
        pthread_mutex_unlock(&gc->mu);
        size_t n = 0;
        for (lq_gc_op *o = batch; o; o = o->next)
            n++;
        commit_batch(gc, slot, batch, n);
        pthread_mutex_lock(&gc->mu);
    }
    pthread_mutex_unlock(&gc->mu);
    return NULL;
}

int lq_gc_start(lq_gcommit **out, const lq_gc_config *cfg, lq_error *err)
{
    *out = NULL;
    if (!cfg || cfg->slots < 1 || !cfg->commit)
        return lq_error_set(err, LQ_EINVAL, "gcommit: bad configuration");
    lq_gcommit *gc = calloc(1, sizeof(*gc));
    if (!gc || !(gc->threads = calloc((size_t)cfg->slots, sizeof(*gc->threads))) ||
        !(gc->name = strdup(cfg->name ? cfg->name : "store"))) {
        if (gc)
            free(gc->threads);
        free(gc);
        return lq_error_set(err, LQ_ENOMEM, "gcommit: out of memory");
    }
    gc->cfg = *cfg;
    gc->cfg.name = gc->name;
    pthread_mutex_init(&gc->mu, NULL);
    pthread_cond_init(&gc->work_cv, NULL);
    for (int i = 0; i < cfg->slots; i++) {
        slot_arg *sa = malloc(sizeof(*sa));
        if (sa) {
            sa->gc = gc;
            sa->slot = i;
        }
        if (!sa || pthread_create(&gc->threads[i], NULL, writer, sa) != 0) {
            free(sa);
            lq_gc_stop(gc);
            return lq_error_set(err, LQ_ERROR, "%s: cannot start the writer thread",
                                cfg->name ? cfg->name : "store");
        }
        gc->started++;
    }
    *out = gc;
    return LQ_OK;
}

void lq_gc_stop(lq_gcommit *gc)
{
    if (!gc)
        return;
    pthread_mutex_lock(&gc->mu);
    gc->stopping = 1;
    pthread_cond_broadcast(&gc->work_cv);
    pthread_mutex_unlock(&gc->mu);
    for (int i = 0; i < gc->started; i++)
        pthread_join(gc->threads[i], NULL);
    pthread_mutex_destroy(&gc->mu);
    pthread_cond_destroy(&gc->work_cv);
    free(gc->threads);
    free(gc->name);
    free(gc);
}

int lq_gc_submit(lq_gcommit *gc, lq_gc_op *o)
{
    o->next = NULL;
    int sync = !o->cb;
    if (sync)
        sem_init(&o->finished, 0, 0);
    pthread_mutex_lock(&gc->mu);
    if (gc->stopping) {
        pthread_mutex_unlock(&gc->mu);
        if (sync)
            sem_destroy(&o->finished);
        return lq_error_set(o->err, LQ_ETRANSIENT, "%s: inbox is closing", gc->name);
    }
    if (gc->tail)
        gc->tail->next = o;
    else
        gc->head = o;
    gc->tail = o;
    pthread_cond_signal(&gc->work_cv);
    pthread_mutex_unlock(&gc->mu);
    if (!sync)
        return LQ_OK; /* the writer calls o->cb and frees o */
    while (sem_wait(&o->finished) != 0) /* EINTR */
        ;
    sem_destroy(&o->finished);
    return o->rc;
}

void lq_gc_stats(lq_gcommit *gc, lq_inbox_stats *out)
{
    pthread_mutex_lock(&gc->mu);
    *out = gc->stats;
    pthread_mutex_unlock(&gc->mu);
}
