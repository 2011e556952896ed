/* inbox.c -- the durable webhook inbox: SQLite in WAL mode with synchronous=FULL and a group
 * commit writer.
 *
 * Why a writer thread: an fsync costs ~0.5 ms on the reference disk, so one commit per delivery
 * caps intake near 2,000/s. Every write (put, done, prune) is queued; the writer takes the whole
 * queue, runs it in ONE transaction (one WAL fsync), then wakes all the callers of that batch.
 * While it commits, the next batch gathers. Only the writer writes, so there is no SQLITE_BUSY
 * between our own connections; other modules sharing the file wait through busy_timeout.
 *
 * Readers (lq_inbox_next, lq_inbox_pending) use their own connection: WAL readers never block
 * the writer and are never blocked by it, so a webhook burst cannot starve the worker.
 *
 * Checkpoints (copying the WAL back into the database file) run on a third connection in a
 * background thread, so a commit never pays for one; see checkpointer().
 *
 * Bodies are stored LZ4-compressed (encoding 1; ~8x for GitHub JSON: a 26 KB pull_request
 * payload becomes 3.3 KB in 12 us, on the caller's thread). On this machine writing to the page
 * cache costs ~1 us per KB, so the single writer thread would otherwise spend most of its time
 * copying bytes into the WAL and the checkpoint would copy them again. */
#include "inbox.h"

#include <errno.h>
#include <fcntl.h>
#include <lz4.h>
#include <pthread.h>
#include <semaphore.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "webhook.h"

/* Checkpoint policy: the WAL absorbs bursts. Copying it back into the database doubles the
 * bytes written, so it waits until writes pause (IDLE_MS without a commit) once the WAL holds
 * IDLE_PAGES, and runs regardless only past HARD_PAGES (4 KiB pages: 4 MiB and 4 GiB). */
#define CHECKPOINT_IDLE_PAGES 1024
#define CHECKPOINT_HARD_PAGES (1 << 20)
#define CHECKPOINT_IDLE_MS 200
/* Waiting for another connection's write lock (other modules share the file): give up in time
 * to answer 503 before GitHub's 10 s delivery timeout. */
#define BUSY_TIMEOUT_MS 5000

enum op_kind { OP_PUT, OP_DONE, OP_PRUNE, OP_RUN };

/* One queued write. Lives on the caller's stack until the writer marks it finished. */
typedef struct op {
    enum op_kind kind;
    const char *id, *event, *body; /* borrowed from the caller (OP_PUT) */
    size_t len;
    const char *stored;            /* what goes into the body column: body or compressed */
    size_t stored_len;
    int encoding;
    int64_t seq;                   /* OP_DONE: the delivery; OP_PRUNE: before_ms */
    lq_inbox_run_fn fn;            /* OP_RUN */
    void *ctx;
    int64_t received_ms;
    int64_t changed;               /* rows changed */
    int rc;
    lq_error *err;                 /* caller's, may be NULL */
    sem_t finished;                /* posted by the writer when rc is final */
    /* lq_inbox_put_async(): the op is on the heap and owns these; cb is called instead */
    lq_inbox_done_fn cb;
    void *cb_ctx;
    char *packed;
    lq_error own_err;
    struct op *next;
} op;

struct lq_inbox {
    char *path;
    sqlite3 *wdb, *rdb, *cdb; /* writer, reader, checkpointer connections */
    sqlite3_stmt *put_st, *done_st, *prune_st, *begin_st, *commit_st, *rollback_st;
    sqlite3_stmt *next_st, *pending_st;

    pthread_mutex_t mu;        /* queue, stats, shutdown */
    pthread_cond_t work_cv;    /* writer: ops queued or stopping */
    op *head, *tail;
    int stopping;
    pthread_t writer, ckpt;
    int writer_started, ckpt_started;
    lq_inbox_stats stats;

    pthread_mutex_t rmu;       /* reader connection */

    pthread_mutex_t wmu;       /* lq_inbox_wait */
    pthread_cond_t wcv;
    uint64_t put_gen, put_seen, wake_gen, wake_seen;

    pthread_mutex_t cmu;       /* checkpointer */
    pthread_cond_t ccv;
    int ckpt_stop;
    int wal_pages;          /* WAL size after the last commit */
    int64_t last_commit_ms; /* monotonic */
};

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int db_fail(lq_error *err, int code, const char *path, sqlite3 *db, const char *what)
{
    return lq_error_set(err, code, "%s: %s: %s", path, what,
                        db ? sqlite3_errmsg(db) : "out of memory");
}

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS inbox_deliveries ("
    " seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    " delivery_id TEXT NOT NULL UNIQUE,"
    " event TEXT NOT NULL,"
    " body BLOB NOT NULL,"             /* raw bytes, or compressed: see encoding */
    " received_ms INTEGER NOT NULL,"
    " processed INTEGER NOT NULL DEFAULT 0,"
    " encoding INTEGER NOT NULL DEFAULT 0," /* 0 raw, 1 LZ4 block of raw_len bytes */
    " raw_len INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX IF NOT EXISTS inbox_pending ON inbox_deliveries(seq) WHERE processed = 0;";

static int conn_open(sqlite3 **out, const char *path, int flags, lq_error *err)
{
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(path, &db, flags | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        db_fail(err, LQ_ERROR, path, db, "cannot open database");
        sqlite3_close(db);
        return LQ_ERROR;
    }
    sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS);
    *out = db;
    return LQ_OK;
}

static int exec(sqlite3 *db, const char *path, const char *sql, lq_error *err)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        lq_error_set(err, LQ_ERROR, "%s: %s: %s", path, sql, msg ? msg : "failed");
        sqlite3_free(msg);
        return LQ_ERROR;
    }
    return LQ_OK;
}

static int prepare(sqlite3 *db, const char *path, sqlite3_stmt **st, const char *sql,
                   lq_error *err)
{
    if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) != SQLITE_OK)
        return db_fail(err, LQ_ERROR, path, db, "cannot prepare statement");
    return LQ_OK;
}

/* ---- writer ------------------------------------------------------------------------------ */

static int wal_hook(void *ctx, sqlite3 *db, const char *name, int pages)
{
    lq_inbox *in = ctx;
    (void)db;
    (void)name;
    pthread_mutex_lock(&in->cmu);
    int crossed = in->wal_pages < CHECKPOINT_IDLE_PAGES && pages >= CHECKPOINT_IDLE_PAGES;
    in->wal_pages = pages;
    in->last_commit_ms = mono_ms();
    if (crossed || pages >= CHECKPOINT_HARD_PAGES)
        pthread_cond_signal(&in->ccv);
    pthread_mutex_unlock(&in->cmu);
    return SQLITE_OK;
}

static int step_done(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? SQLITE_OK : rc;
}

/* Runs one op inside the open transaction. Returns SQLITE_OK or the SQLite error. */
static int run_op(lq_inbox *in, op *o)
{
    sqlite3_stmt *st;
    if (o->kind == OP_RUN) {
        /* a caller's failure undoes only its own changes; a failing SAVEPOINT fails the batch */
        int rc = sqlite3_exec(in->wdb, "SAVEPOINT lq_run", NULL, NULL, NULL);
        if (rc != SQLITE_OK)
            return rc;
        o->rc = o->fn(in->wdb, o->ctx, o->err);
        if (o->rc != LQ_OK)
            rc = sqlite3_exec(in->wdb, "ROLLBACK TO lq_run; RELEASE lq_run", NULL, NULL, NULL);
        else
            rc = sqlite3_exec(in->wdb, "RELEASE lq_run", NULL, NULL, NULL);
        return rc;
    }
    switch (o->kind) {
    case OP_PUT:
        st = in->put_st;
        sqlite3_bind_text(st, 1, o->id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, o->event, -1, SQLITE_STATIC);
        sqlite3_bind_blob64(st, 3, o->stored ? o->stored : "", o->stored_len, SQLITE_STATIC);
        sqlite3_bind_int64(st, 4, o->received_ms);
        sqlite3_bind_int(st, 5, o->encoding);
        sqlite3_bind_int64(st, 6, (sqlite3_int64)o->len);
        break;
    case OP_DONE:
        st = in->done_st;
        sqlite3_bind_int64(st, 1, o->seq);
        break;
    default:
        st = in->prune_st;
        sqlite3_bind_int64(st, 1, o->seq);
        break;
    }
    int rc = sqlite3_step(st);
    o->changed = rc == SQLITE_DONE ? sqlite3_changes(in->wdb) : 0; /* changes64 needs 3.37 */
    sqlite3_clear_bindings(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static void set_result(lq_inbox *in, op *o)
{
    switch (o->kind) {
    case OP_PUT:
        o->rc = o->changed ? LQ_OK : 1;
        if (o->changed)
            in->stats.stored++;
        else
            in->stats.duplicates++;
        break;
    case OP_DONE:
        o->rc = o->changed ? LQ_OK
                           : lq_error_set(o->err, LQ_ENOTFOUND, "%s: no delivery with seq %lld",
                                          in->path, (long long)o->seq);
        break;
    case OP_RUN:
        break; /* o->rc is fn's result */
    default:
        o->rc = LQ_OK;
        break;
    }
}

/* Commits the batch (a NULL-terminated list) in one transaction. */
static void commit_batch(lq_inbox *in, op *batch, size_t n)
{
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = step_done(in->begin_st);
    const char *what = "cannot begin transaction";
    for (op *o = batch; rc == SQLITE_OK && o; o = o->next) {
        rc = run_op(in, o);
        what = "cannot write delivery";
    }
    if (rc == SQLITE_OK) {
        rc = step_done(in->commit_st);
        what = "cannot commit";
    }
    int stored = 0;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    uint64_t us = (uint64_t)((t1.tv_sec - t0.tv_sec) * 1000000 + (t1.tv_nsec - t0.tv_nsec) / 1000);
    pthread_mutex_lock(&in->mu);
    in->stats.commit_us_total += us;
    if (us > in->stats.commit_us_max)
        in->stats.commit_us_max = us;
    in->stats.last_commit_failed = rc != SQLITE_OK;
    if (rc == SQLITE_OK) {
        in->stats.commits++;
        if (n > in->stats.max_batch)
            in->stats.max_batch = n;
        for (op *o = batch; o; o = o->next) {
            set_result(in, o);
            stored |= o->kind == OP_PUT && o->rc == LQ_OK;
        }
    } else {
        /* nothing of this batch is on disk: every caller gets the error (-> 503) */
        char msg[300];
        snprintf(msg, sizeof(msg), "%s", sqlite3_errmsg(in->wdb));
        if (!sqlite3_get_autocommit(in->wdb))
            step_done(in->rollback_st);
        for (op *o = batch; o; o = o->next) {
            o->rc = lq_error_set(o->err, LQ_ETRANSIENT, "%s: %s: %s", in->path, what, msg);
            if (o->kind == OP_PUT)
                in->stats.failed++;
        }
    }
    pthread_mutex_unlock(&in->mu);
    /* wake exactly the callers of this batch (a broadcast would wake all 32 connections) */
    for (op *o = batch, *next; o; o = next) {
        next = o->next; /* o may vanish from the caller's stack once posted */
        if (o->cb) {
            o->cb(o->cb_ctx, o->rc, &o->own_err);
            free(o->packed);
            free(o);
        } else {
            sem_post(&o->finished);
        }
    }

    if (stored) {
        pthread_mutex_lock(&in->wmu);
        in->put_gen++;
        pthread_cond_broadcast(&in->wcv);
        pthread_mutex_unlock(&in->wmu);
    }
}

static void *writer(void *arg)
{
    lq_inbox *in = arg;
    pthread_mutex_lock(&in->mu);
    for (;;) {
        while (!in->head && !in->stopping)
            pthread_cond_wait(&in->work_cv, &in->mu);
        if (!in->head)
            break; /* stopping and drained */
        op *batch = in->head;
        in->head = in->tail = NULL;
        pthread_mutex_unlock(&in->mu);
        size_t n = 0;
        for (op *o = batch; o; o = o->next)
            n++;
        commit_batch(in, batch, n);
        pthread_mutex_lock(&in->mu);
    }
    pthread_mutex_unlock(&in->mu);
    return NULL;
}

/* Queues o and blocks until the writer has committed (or failed) its batch. */
static int submit(lq_inbox *in, op *o)
{
    o->next = NULL;
    pthread_mutex_lock(&in->mu);
    if (in->stopping) {
        pthread_mutex_unlock(&in->mu);
        return lq_error_set(o->err, LQ_ETRANSIENT, "%s: inbox is closing", in->path);
    }
    if (o->cb) { /* asynchronous: the writer calls o->cb and frees o */
        if (in->tail)
            in->tail->next = o;
        else
            in->head = o;
        in->tail = o;
        pthread_cond_signal(&in->work_cv);
        pthread_mutex_unlock(&in->mu);
        return LQ_OK;
    }
    sem_init(&o->finished, 0, 0);
    if (in->tail)
        in->tail->next = o;
    else
        in->head = o;
    in->tail = o;
    pthread_cond_signal(&in->work_cv);
    pthread_mutex_unlock(&in->mu);
    while (sem_wait(&o->finished) != 0) /* EINTR */
        ;
    sem_destroy(&o->finished);
    return o->rc;
}

/* ---- checkpointer ------------------------------------------------------------------------ */

/* PASSIVE checkpoints never block the writer or readers; they copy what they can. Once the
 * whole WAL is copied, the writer's next commit starts the WAL over (journal_size_limit then
 * trims the file). */
static void *checkpointer(void *arg)
{
    lq_inbox *in = arg;
    pthread_mutex_lock(&in->cmu);
    while (!in->ckpt_stop) {
        if (in->wal_pages < CHECKPOINT_IDLE_PAGES) {
            pthread_cond_wait(&in->ccv, &in->cmu);
            continue;
        }
        int64_t idle = mono_ms() - in->last_commit_ms;
        if (in->wal_pages < CHECKPOINT_HARD_PAGES && idle < CHECKPOINT_IDLE_MS) {
            struct timespec until;
            clock_gettime(CLOCK_MONOTONIC, &until);
            until.tv_nsec += (long)(CHECKPOINT_IDLE_MS - idle) * 1000000L;
            while (until.tv_nsec >= 1000000000L) {
                until.tv_sec++;
                until.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&in->ccv, &in->cmu, &until);
            continue;
        }
        in->wal_pages = 0; /* the next commit reports the real size */
        pthread_mutex_unlock(&in->cmu);
        sqlite3_wal_checkpoint_v2(in->cdb, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
        pthread_mutex_lock(&in->cmu);
    }
    pthread_mutex_unlock(&in->cmu);
    return NULL;
}

/* ---- creation ---------------------------------------------------------------------------- */

static int fsync_path(const char *p, int flags)
{
    int fd = open(p, flags | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

/* A new database is built in a side file without syncing each step (switching to WAL and
 * creating the schema cost ~8 fsyncs otherwise, 10-40 ms), synced once, then linked into place:
 * the path either does not exist or holds a complete, empty inbox. A concurrent creator wins
 * the link() and we use its file. The new name needs no directory fsync of its own: the first
 * commit creates the WAL file, and SQLite syncs the directory then, before any delivery is
 * acknowledged; a crash before that only means the next start creates the file again. */
static int create_fresh(const char *path, lq_error *err)
{
    size_t n = strlen(path) + 32;
    char *tmp = malloc(n);
    if (!tmp)
        return lq_error_set(err, LQ_ENOMEM, "inbox: out of memory");
    snprintf(tmp, n, "%s.new-%ld", path, (long)getpid());
    unlink(tmp);
    sqlite3 *db = NULL;
    int rc = conn_open(&db, tmp, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, err);
    if (rc == LQ_OK)
        rc = exec(db, path, "PRAGMA synchronous=OFF; PRAGMA journal_mode=WAL;", err);
    if (rc == LQ_OK)
        rc = exec(db, path, schema, err);
    if (db && sqlite3_close(db) != SQLITE_OK && rc == LQ_OK)
        rc = lq_error_set(err, LQ_ERROR, "%s: cannot close the new database", path);
    if (rc == LQ_OK && fsync_path(tmp, O_RDWR) != 0)
        rc = lq_error_set(err, LQ_ERROR, "%s: cannot sync the new database: %s", path,
                          strerror(errno));
    if (rc == LQ_OK && link(tmp, path) != 0 && errno != EEXIST)
        rc = lq_error_set(err, LQ_ERROR, "%s: cannot create: %s", path, strerror(errno));
    unlink(tmp);
    free(tmp);
    return rc;
}

/* ---- public API -------------------------------------------------------------------------- */

int lq_inbox_open(lq_inbox **out, const char *path, lq_error *err)
{
    *out = NULL;
    if (!path || !*path)
        return lq_error_set(err, LQ_EINVAL, "inbox: empty database path");
    if (!sqlite3_threadsafe())
        return lq_error_set(err, LQ_ERROR, "inbox: SQLite was built without thread support");
    lq_inbox *in = calloc(1, sizeof(*in));
    if (!in || !(in->path = strdup(path))) {
        free(in);
        return lq_error_set(err, LQ_ENOMEM, "inbox: out of memory");
    }
    pthread_mutex_init(&in->mu, NULL);
    pthread_cond_init(&in->work_cv, NULL);
    pthread_mutex_init(&in->rmu, NULL);
    pthread_mutex_init(&in->wmu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC); /* lq_inbox_wait ignores clock jumps */
    pthread_cond_init(&in->wcv, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&in->cmu, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&in->ccv, &ca);
    pthread_condattr_destroy(&ca);

    struct stat sb;
    int rc = LQ_OK;
    if (stat(path, &sb) != 0 && errno == ENOENT)
        rc = create_fresh(path, err);
    if (rc == LQ_OK)
        rc = conn_open(&in->wdb, path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, err);
    if (rc == LQ_OK)
        rc = exec(in->wdb, path,
                  "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                  "PRAGMA wal_autocheckpoint=0; PRAGMA cache_size=-1024;"
                  "PRAGMA journal_size_limit=67108864;",
                  err);
    if (rc == LQ_OK) {
        /* journal_mode reports the mode actually in force (e.g. not WAL on some filesystems) */
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(in->wdb, "PRAGMA journal_mode", -1, &st, NULL) != SQLITE_OK ||
            sqlite3_step(st) != SQLITE_ROW ||
            strcmp((const char *)sqlite3_column_text(st, 0), "wal") != 0)
            rc = lq_error_set(err, LQ_ERROR, "%s: cannot switch the database to WAL mode",
                              path);
        sqlite3_finalize(st);
    }
    if (rc == LQ_OK)
        rc = exec(in->wdb, path, schema, err);
    if (rc == LQ_OK)
        rc = prepare(in->wdb, path, &in->put_st,
                     "INSERT INTO inbox_deliveries(delivery_id, event, body, received_ms, encoding, "
                     "raw_len) VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
                     "ON CONFLICT(delivery_id) DO NOTHING",
                     err);
    if (rc == LQ_OK)
        rc = prepare(in->wdb, path, &in->done_st,
                     "UPDATE inbox_deliveries SET processed = 1 WHERE seq = ?1", err);
    if (rc == LQ_OK)
        rc = prepare(in->wdb, path, &in->prune_st,
                     "DELETE FROM inbox_deliveries WHERE processed = 1 AND received_ms < ?1",
                     err);
    if (rc == LQ_OK)
        rc = prepare(in->wdb, path, &in->begin_st, "BEGIN IMMEDIATE", err);
    if (rc == LQ_OK)
        rc = prepare(in->wdb, path, &in->commit_st, "COMMIT", err);
    if (rc == LQ_OK)
        rc = prepare(in->wdb, path, &in->rollback_st, "ROLLBACK", err);
    if (rc == LQ_OK)
        rc = conn_open(&in->rdb, path, SQLITE_OPEN_READWRITE, err);
    if (rc == LQ_OK)
        rc = exec(in->rdb, path, "PRAGMA cache_size=-512;", err);
    if (rc == LQ_OK)
        rc = prepare(in->rdb, path, &in->next_st,
                     "SELECT seq, delivery_id, event, body, received_ms, encoding, raw_len "
                     "FROM inbox_deliveries "
                     "WHERE processed = 0 ORDER BY seq LIMIT 1",
                     err);
    if (rc == LQ_OK)
        rc = prepare(in->rdb, path, &in->pending_st,
                     "SELECT count(*) FROM inbox_deliveries WHERE processed = 0", err);
    if (rc == LQ_OK)
        rc = conn_open(&in->cdb, path, SQLITE_OPEN_READWRITE, err);
    if (rc == LQ_OK)
        rc = exec(in->cdb, path, "PRAGMA synchronous=FULL; PRAGMA cache_size=-64;", err);
    if (rc == LQ_OK) {
        sqlite3_wal_hook(in->wdb, wal_hook, in);
        if (pthread_create(&in->writer, NULL, writer, in) != 0)
            rc = lq_error_set(err, LQ_ERROR, "%s: cannot start the writer thread", path);
        else
            in->writer_started = 1;
    }
    if (rc == LQ_OK) {
        if (pthread_create(&in->ckpt, NULL, checkpointer, in) != 0)
            rc = lq_error_set(err, LQ_ERROR, "%s: cannot start the checkpoint thread", path);
        else
            in->ckpt_started = 1;
    }
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
    if (in->writer_started) {
        pthread_mutex_lock(&in->mu);
        in->stopping = 1;
        pthread_cond_signal(&in->work_cv);
        pthread_mutex_unlock(&in->mu);
        pthread_join(in->writer, NULL);
    }
    if (in->ckpt_started) {
        pthread_mutex_lock(&in->cmu);
        in->ckpt_stop = 1;
        pthread_cond_signal(&in->ccv);
        pthread_mutex_unlock(&in->cmu);
        pthread_join(in->ckpt, NULL);
    }
    sqlite3_stmt *sts[] = {in->put_st,  in->done_st,     in->prune_st,   in->begin_st,
                           in->commit_st, in->rollback_st, in->next_st, in->pending_st};
    for (size_t i = 0; i < sizeof(sts) / sizeof(sts[0]); i++)
        sqlite3_finalize(sts[i]);
    sqlite3_close(in->cdb);
    sqlite3_close(in->rdb);
    sqlite3_close(in->wdb); /* the last connection checkpoints and removes the WAL */
    pthread_mutex_destroy(&in->mu);
    pthread_cond_destroy(&in->work_cv);
    pthread_mutex_destroy(&in->rmu);
    pthread_mutex_destroy(&in->wmu);
    pthread_cond_destroy(&in->wcv);
    pthread_mutex_destroy(&in->cmu);
    pthread_cond_destroy(&in->ccv);
    free(in->path);
    free(in);
}

/* Checks the arguments and fills o for a put (compressing the body into o->packed, which the
 * caller frees). Runs on the caller's thread, so compression happens in parallel. */
static int prepare_put(op *o, const char *id, const char *event, const char *body, size_t len,
                       lq_error *err)
{
    if (!id || !*id || strlen(id) > LQ_WEBHOOK_MAX_DELIVERY)
        return lq_error_set(err, LQ_EINVAL, "inbox: delivery id must be 1-%d characters",
                            LQ_WEBHOOK_MAX_DELIVERY);
    if (!event || !*event || strlen(event) > LQ_WEBHOOK_MAX_EVENT)
        return lq_error_set(err, LQ_EINVAL, "inbox: event name must be 1-%d characters",
                            LQ_WEBHOOK_MAX_EVENT);
    if (!body && len)
        return lq_error_set(err, LQ_EINVAL, "inbox: body is NULL");
    o->kind = OP_PUT;
    o->id = id;
    o->event = event;
    o->body = body;
    o->len = len;
    o->stored = body;
    o->stored_len = len;
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
    op o = {.err = err};
    int rc = prepare_put(&o, id, event, body, len, err);
    if (rc == LQ_OK)
        rc = submit(in, &o);
    free(o.packed);
    return rc;
}

int lq_inbox_put_async(lq_inbox *in, const char *id, const char *event, const char *body,
                       size_t len, lq_inbox_done_fn done, void *ctx, lq_error *err)
{
    if (!done)
        return lq_error_set(err, LQ_EINVAL, "inbox: no completion callback");
    op *o = calloc(1, sizeof(*o));
    if (!o)
        return lq_error_set(err, LQ_ENOMEM, "inbox: out of memory");
    o->err = &o->own_err;
    int rc = prepare_put(o, id, event, body, len, err);
    if (rc == LQ_OK) {
        o->cb = done;
        o->cb_ctx = ctx;
        rc = submit(in, o);
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
    op o = {.kind = OP_DONE, .seq = seq, .err = err};
    return submit(in, &o);
}

int lq_inbox_run(lq_inbox *in, lq_inbox_run_fn fn, void *ctx, lq_error *err)
{
    if (!fn)
        return lq_error_set(err, LQ_EINVAL, "inbox: no function to run");
    op o = {.kind = OP_RUN, .fn = fn, .ctx = ctx, .err = err};
    return submit(in, &o);
}

int lq_inbox_prune(lq_inbox *in, int64_t before_ms, int64_t *out_deleted, lq_error *err)
{
    op o = {.kind = OP_PRUNE, .seq = before_ms, .err = err};
    int rc = submit(in, &o);
    if (out_deleted)
        *out_deleted = rc == LQ_OK ? o.changed : 0;
    return rc;
}

int lq_inbox_next(lq_inbox *in, lq_delivery *out, lq_error *err)
{
    memset(out, 0, sizeof(*out));
    pthread_mutex_lock(&in->rmu);
    sqlite3_stmt *st = in->next_st;
    int rc = sqlite3_step(st);
    int ret;
    if (rc == SQLITE_ROW) {
        const char *id = (const char *)sqlite3_column_text(st, 1);
        const char *ev = (const char *)sqlite3_column_text(st, 2);
        const void *body = sqlite3_column_blob(st, 3);
        size_t len = (size_t)sqlite3_column_bytes(st, 3);
        out->seq = sqlite3_column_int64(st, 0);
        snprintf(out->id, sizeof(out->id), "%s", id ? id : "");
        snprintf(out->event, sizeof(out->event), "%s", ev ? ev : "");
        out->received_ms = sqlite3_column_int64(st, 4);
        int encoding = sqlite3_column_int(st, 5);
        sqlite3_int64 raw_len = sqlite3_column_int64(st, 6);
        size_t want = encoding == 1 ? (size_t)raw_len : len;
        if ((encoding != 0 && encoding != 1) ||
            (encoding == 1 && (raw_len < 0 || raw_len > LZ4_MAX_INPUT_SIZE))) {
            ret = lq_error_set(err, LQ_EINVAL, "%s: delivery %lld (%s): unknown body encoding %d",
                               in->path, (long long)out->seq, out->id, encoding);
        } else if (!(out->body = malloc(want + 1))) {
            ret = lq_error_set(err, LQ_ENOMEM, "inbox: out of memory reading delivery %lld",
                               (long long)out->seq);
        } else if (encoding == 1 &&
                   LZ4_decompress_safe(body, out->body, (int)len, (int)want) != (int)want) {
            free(out->body);
            out->body = NULL;
            ret = lq_error_set(err, LQ_EINVAL, "%s: delivery %lld (%s): corrupt compressed body",
                               in->path, (long long)out->seq, out->id);
        } else {
            if (encoding == 0 && len)
                memcpy(out->body, body, len);
            out->body[want] = '\0';
            out->len = want;
            ret = LQ_OK;
        }
    } else if (rc == SQLITE_DONE) {
        ret = lq_error_set(err, LQ_ENOTFOUND, "inbox: no unprocessed delivery");
    } else {
        ret = db_fail(err, LQ_ETRANSIENT, in->path, in->rdb, "cannot read the inbox");
    }
    sqlite3_reset(st);
    pthread_mutex_unlock(&in->rmu);
    return ret;
}

int lq_inbox_pending(lq_inbox *in, int64_t *out, lq_error *err)
{
    *out = 0;
    pthread_mutex_lock(&in->rmu);
    int rc = sqlite3_step(in->pending_st), ret = LQ_OK;
    if (rc == SQLITE_ROW)
        *out = sqlite3_column_int64(in->pending_st, 0);
    else
        ret = db_fail(err, LQ_ETRANSIENT, in->path, in->rdb, "cannot count the inbox");
    sqlite3_reset(in->pending_st);
    pthread_mutex_unlock(&in->rmu);
    return ret;
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
    pthread_mutex_lock(&in->mu);
    *out = in->stats;
    pthread_mutex_unlock(&in->mu);
}

void lq_delivery_dispose(lq_delivery *d)
{
    if (d) {
        free(d->body);
        d->body = NULL;
        d->len = 0;
    }
}
