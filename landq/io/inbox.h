/* The durable webhook inbox. CONTRACT between the intake server (writer) and the landing
 * worker (reader); both sides live in one process and share one lq_inbox. With PostgreSQL,
 * several processes (instances) share one inbox table: each instance's intake stores, and each
 * instance's worker claims deliveries for itself (see lq_inbox_next).
 *
 * Durability: lq_inbox_put() returns only when the delivery is on disk (fsync'd or WAL-flushed
 * with synchronous_commit=on, possibly in a group commit shared with concurrent puts).
 * Deduplication is by X-GitHub-Delivery id (across instances on PostgreSQL).
 * Thread safety: every function may be called from any thread.
 *
 * Storage (store_backend.h): table inbox_deliveries (seq, delivery_id UNIQUE, event, body,
 * received_ms, processed, encoding, raw_len). Bodies of 256 bytes or more are stored
 * LZ4-compressed (encoding 1) and come back from lq_inbox_next() exactly as put. SQLite: a WAL
 * database with synchronous=FULL; one writer thread owns all inbox writes (put, done, prune), and a
 * background thread checkpoints the WAL when writes pause (so other connections to the same file
 * may set wal_autocheckpoint=0 to keep their commits short). PostgreSQL: writer threads with
 * their own connections commit batches of puts. Shutdown order: stop the intake and the worker,
 * then close. */
#ifndef LQ_INBOX_H
#define LQ_INBOX_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

typedef struct lq_inbox lq_inbox;

typedef struct lq_delivery {
    int64_t seq;          /* arrival order, strictly increasing */
    char id[128];         /* X-GitHub-Delivery */
    char event[64];       /* X-GitHub-Event */
    char *body;           /* owned, NUL-terminated raw JSON; freed by lq_delivery_dispose() */
    size_t len;
    int64_t received_ms;  /* wall clock, milliseconds since the epoch */
} lq_delivery;

/* Opens the inbox in the database named by target: a SQLite file path (created if needed) or a
 * PostgreSQL URI / keyword string (core/dburl.h). Creates or migrates the schema; refuses a
 * schema newer than this landq knows (LQ_EINVAL, the message says what to do). Other modules
 * may keep their own tables in the same database (lq_store). */
int lq_inbox_open(lq_inbox **out, const char *target, lq_error *err);
void lq_inbox_close(lq_inbox *inbox); /* NULL-safe */

/* Stores a delivery durably. Returns LQ_OK when stored, 1 when the id was seen before
 * (duplicate: nothing stored), negative when it could not be persisted (answer 503). */
int lq_inbox_put(lq_inbox *inbox, const char *id, const char *event, const char *body, size_t len,
                 lq_error *err);

/* Asynchronous lq_inbox_put() for event-driven callers: returns at once (LQ_OK: queued), then
 * done(ctx, rc, err) is called exactly once, from the inbox's writer thread, with what
 * lq_inbox_put() would have returned (LQ_OK on disk, 1 duplicate, negative not persisted).
 * id, event and body stay borrowed until done is called; done must be quick and must not call
 * back into the inbox. On a non-LQ_OK return (bad arguments, closing, no memory) done is never
 * called. lq_inbox_close() calls every pending done before it returns. */
typedef void (*lq_inbox_done_fn)(void *ctx, int rc, const lq_error *err);
int lq_inbox_put_async(lq_inbox *inbox, const char *id, const char *event, const char *body,
                       size_t len, lq_inbox_done_fn done, void *ctx, lq_error *err);

/* Oldest unprocessed delivery. LQ_OK and *out filled (dispose it), or LQ_ENOTFOUND.
 * PostgreSQL: the delivery is claimed for this instance for a minute (another instance's next()
 * skips it; this instance's next() returns it again until it is done), so a delivery stored by
 * any instance is applied by one; a claim left by a dead instance expires.
 * LQ_EINVAL means that stored delivery is unreadable (corrupt row): out->seq and out->id are
 * filled, out->body is NULL; mark it done to move on. Bodies are stored compressed; *out always
 * holds the exact bytes that were put. */
int lq_inbox_next(lq_inbox *inbox, lq_delivery *out, lq_error *err);
/* Marks a delivery processed, so lq_inbox_next() moves on (survives restarts). */
int lq_inbox_done(lq_inbox *inbox, int64_t seq, lq_error *err);
/* Blocks up to timeout_ms for a put after the last call; returns 1 if woken by a put (or by
 * lq_inbox_wake(), also when either happened since the previous call), 0 on timeout. Meant for
 * one waiting thread (the worker): the "since the last call" state is shared. */
int lq_inbox_wait(lq_inbox *inbox, int timeout_ms);
/* Wakes every lq_inbox_wait() (used on shutdown). */
void lq_inbox_wake(lq_inbox *inbox);
void lq_delivery_dispose(lq_delivery *d); /* frees body; NULL-safe */

/* Extensions (compatible additions). */

/* Counters since open, for /metrics. */
typedef struct lq_inbox_stats {
    uint64_t stored;     /* puts that stored a new delivery */
    uint64_t duplicates; /* puts refused as duplicates */
    uint64_t failed;     /* puts that could not be persisted */
    uint64_t commits;    /* group commits (one fsync each); stored / commits = batching */
    uint64_t max_batch;  /* largest number of operations in one commit */
    int last_commit_failed; /* the most recent write batch could not be committed */
    uint64_t commit_us_total; /* time spent in write batches (BEGIN..COMMIT incl. fsync) */
    uint64_t commit_us_max;   /* slowest write batch */
} lq_inbox_stats;
void lq_inbox_stats_get(lq_inbox *inbox, lq_inbox_stats *out);
/* Number of stored deliveries not yet marked done (queue depth). */
int lq_inbox_pending(lq_inbox *inbox, int64_t *out, lq_error *err);
/* SQLite only (LQ_EINVAL on PostgreSQL, where store writes need no such help).
 * Runs fn(db, ctx, err) on the inbox's writer connection, inside the next group commit (under
 * a SAVEPOINT: when fn returns non-zero, only its own changes are rolled back), and returns
 * fn's result once the transaction is on disk (or a negative status if the commit failed).
 * Why: during a webhook storm the inbox writer holds the WAL write lock almost all the time, so
 * a separate connection's autocommit write waits in its busy handler (measured: p99 ~70 ms, max
 * ~0.6 s); through here, another module's writes (the worker's queue state) share the inbox's
 * fsyncs and wait at most about one commit. fn runs on the writer thread inside a transaction:
 * keep it short, do no I/O besides SQL, never BEGIN/COMMIT/ROLLBACK (a savepoint of its own is
 * fine), and finalize every statement it prepares before returning. */
struct sqlite3;
typedef int (*lq_inbox_run_fn)(struct sqlite3 *db, void *ctx, lq_error *err);
int lq_inbox_run(lq_inbox *inbox, lq_inbox_run_fn fn, void *ctx, lq_error *err);

/* Deletes processed deliveries received before before_ms. Their ids stop deduplicating: a
 * delivery redelivered later (GitHub allows it for 30 days) is applied again, which is harmless
 * because landq re-reads the pull request from GitHub (events are hints). *out_deleted may be
 * NULL. lq_inbox_prune deletes them all in one transaction; lq_inbox_prune_batch at most limit
 * (> 0) of them, oldest first, so retention can work in small steps off the hot path. */
int lq_inbox_prune(lq_inbox *inbox, int64_t before_ms, int64_t *out_deleted, lq_error *err);
int lq_inbox_prune_batch(lq_inbox *inbox, int64_t before_ms, int limit, int64_t *out_deleted,
                         lq_error *err);
/* "sqlite" or "postgresql". */
const char *lq_inbox_backend(const lq_inbox *inbox);

#endif
