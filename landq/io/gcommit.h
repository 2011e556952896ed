/* gcommit: the group commit queue the store backends share. Callers queue write operations (a
 * delivery to store, a delivery done, a prune, a function to run); a writer thread takes
 * EVERYTHING queued and hands it to the backend's commit function as one batch (one
 * transaction, one fsync or WAL flush), then wakes exactly the callers of that batch. While it
 * commits, the next batch gathers. Why: an fsync costs ~0.5 ms on the reference disk, so one
 * commit per delivery caps intake near 2,000/s; batching gives 9-15 deliveries per fsync at 32
 * connections (bench/README.md).
 *
 * slots > 1 runs that many writer threads, each with its own database connection (PostgreSQL:
 * while one batch waits for its WAL flush, the next is sent; the server flushes them together).
 * SQLite has one writer, so one slot.
 *
 * Ownership: a synchronous op (cb == NULL) lives on the caller's stack; lq_gc_submit() returns
 * once it is final. An asynchronous op (cb != NULL) is malloc'ed by the caller and TAKEN by
 * lq_gc_submit() when that returns LQ_OK: the writer calls cb exactly once, then frees
 * op->packed and op. Thread safety: every function may be called from any thread. */
#ifndef LQ_GCOMMIT_H
#define LQ_GCOMMIT_H

#include <semaphore.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "inbox.h"

typedef enum { LQ_GC_PUT, LQ_GC_DONE, LQ_GC_PRUNE, LQ_GC_RUN } lq_gc_kind;

typedef struct lq_gc_op {
    lq_gc_kind kind;
    /* LQ_GC_PUT: borrowed from the caller until the op is final */
    const char *id, *event;
    const char *stored;   /* what goes into the body column: the body, or packed */
    size_t stored_len;
    int encoding;         /* 0 raw, 1 LZ4 block */
    size_t raw_len;       /* the body's length before encoding */
    int64_t received_ms;
    /* LQ_GC_DONE: arg = seq. LQ_GC_PRUNE: arg = before_ms, arg2 = row limit (0 = all) */
    int64_t arg, arg2;
    /* LQ_GC_RUN: fn(connection, ctx, err) inside the batch's transaction */
    int (*fn)(void *conn, void *ctx, lq_error *err);
    void *ctx;
    /* results, set by the backend's commit function */
    int64_t changed; /* rows changed */
    int rc;          /* PUT: LQ_OK stored, 1 duplicate; others LQ_OK; negative: failed */
    lq_error *err;   /* the caller's (may be NULL) */
    /* completion */
    sem_t finished;
    lq_inbox_done_fn cb;
    void *cb_ctx;
    char *packed;    /* async: freed with the op */
    lq_error own_err;
    struct lq_gc_op *next;
} lq_gc_op;

/* Runs batch (n ops linked by next) in ONE transaction on writer slot `slot`. Sets every op's
 * rc (and err when negative). Returns 0 when the transaction committed, -1 when it did not: then
 * nothing of the batch is stored and every op's rc is negative (the intake answers 503). */
typedef int (*lq_gc_commit_fn)(void *be, int slot, lq_gc_op *batch, size_t n);

typedef struct lq_gc_config {
    int slots;                 /* writer threads (>= 1) */
    lq_gc_commit_fn commit;
    void *be;                  /* passed to commit */
    void (*on_stored)(void *ctx); /* after a batch that stored a new delivery (may be NULL) */
    void *on_stored_ctx;
    const char *name;          /* for messages: "PATH: inbox is closing" */
} lq_gc_config;

typedef struct lq_gcommit lq_gcommit;

int lq_gc_start(lq_gcommit **out, const lq_gc_config *cfg, lq_error *err);
/* Refuses new ops, commits what is queued, joins the writers. NULL-safe. */
void lq_gc_stop(lq_gcommit *gc);
/* Queues op; synchronous ops block until final and return op->rc. LQ_ETRANSIENT when stopping
 * (then an async op was NOT taken). */
int lq_gc_submit(lq_gcommit *gc, lq_gc_op *op);
/* Counters since start (stored, duplicates, failed, commits, batch sizes, commit times). */
void lq_gc_stats(lq_gcommit *gc, lq_inbox_stats *out);

#endif
