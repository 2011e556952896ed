/* store_sqlite.c -- the SQLite backend: one WAL file, synchronous=FULL, a group commit writer.
 *
 * Connections: with the inbox (landq serve) there are three. The writer (wdb) belongs to the
 * group commit thread (gcommit.c): every write (a delivery, done, prune, and the store's writes
 * through lq_sq_write) runs in its batches, so there is no SQLITE_BUSY between our own
 * connections; other processes sharing the file wait through busy_timeout. Reads (next,
 * pending, the store's reads) use their own connection (rdb): WAL readers never block the writer
 * and are never blocked by it, so a webhook burst cannot starve the worker. Checkpoints (copying
 * the WAL back into the database file) run on a third connection in a background thread, so a
 * commit never pays for one; see store_sqlite_commit.c. Without the inbox (tools, tests) one
 * connection does everything, writes in autocommit.
 *
 * Space: new files use auto_vacuum=INCREMENTAL, so lq_store_reclaim() can give pages freed by
 * retention back to the file system; in any file, freed pages are reused before it grows.
 *
 * This file: connections, creation, open and close, the writes' entry point and the ops table.
 * Migrations: store_sqlite_schema.c; group commit and checkpoints: store_sqlite_commit.c; the
 * inbox: store_sqlite_inbox.c; size and reclaim: store_sqlite_maint.c; the queue state:
 * the files store_sqlite.h names. */
#include "store_sqlite_int.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dburl.h"

/* Waiting for another connection's write lock (other processes share the file): give up in time
 * to answer 503 before GitHub's 10 s delivery timeout. */
#define BUSY_TIMEOUT_MS 5000

int lq_sq_db_fail(lq_error *err, int code, const char *path, sqlite3 *db, const char *what)
{
    return lq_error_set(err, code, "%s: %s: %s", path, what,
                        db ? sqlite3_errmsg(db) : "out of memory");
}

int lq_sq_fail(sqlite3 *db, lq_error *err, const char *what)
{
    return lq_error_set(err, LQ_ERROR, "store: %s: %s", what, sqlite3_errmsg(db));
}

static int conn_open(sqlite3 **out, const char *path, int flags, lq_error *err)
{
    sqlite3 *db = NULL;
    int rc = sqlite3_open_v2(path, &db, flags | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        lq_sq_db_fail(err, LQ_ERROR, path, db, "cannot open database");
        sqlite3_close(db);
        return LQ_ERROR;
    }
    sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS);
    *out = db;
    return LQ_OK;
}

int lq_sq_exec(sqlite3 *db, const char *path, const char *sql, lq_error *err)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        lq_error_set(err, LQ_ERROR, "%s: %.200s: %s", path, sql, msg ? msg : "failed");
        sqlite3_free(msg);
        return LQ_ERROR;
    }
    return LQ_OK;
}

static int prepare(sqlite3 *db, const char *path, sqlite3_stmt **st, const char *sql,
                   lq_error *err)
{
    if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) != SQLITE_OK)
        return lq_sq_db_fail(err, LQ_ERROR, path, db, "cannot prepare statement");
    return LQ_OK;
}

int64_t lq_sq_pragma_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    int64_t v = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
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
 * the path either does not exist or holds a complete, empty database. A concurrent creator wins
 * the link() and we use its file. The new name needs no directory fsync of its own: the first
 * commit creates the WAL file, and SQLite syncs the directory then, before any delivery is
 * acknowledged; a crash before that only means the next start creates the file again. */
static int create_fresh(const char *path, lq_error *err)
{
    size_t n = strlen(path) + 32;
    char *tmp = malloc(n);
    if (!tmp)
        return lq_error_set(err, LQ_ENOMEM, "store: out of memory");
    static atomic_uint seq;
    snprintf(tmp, n, "%s.new-%ld-%u", path, (long)getpid(), atomic_fetch_add(&seq, 1));
    unlink(tmp);
    sqlite3 *db = NULL;
    int rc = conn_open(&db, tmp, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, err);
    if (rc == LQ_OK) /* auto_vacuum first: it must be set before the first table exists */
        rc = lq_sq_exec(db, path,
                        "PRAGMA auto_vacuum=INCREMENTAL; PRAGMA synchronous=OFF;"
                        "PRAGMA journal_mode=WAL;",
                        err);
    if (rc == LQ_OK)
        rc = lq_sq_migrate(db, path, 0, err);
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

/* ---- open / close ------------------------------------------------------------------------ */

static void sq_close(lq_backend *be)
{
    sq_db *d = SQ(be);
    if (!d)
        return;
    lq_gc_stop(d->gc); /* commits what is queued */
    if (d->ckpt_started) {
        pthread_mutex_lock(&d->cmu);
        d->ckpt_stop = 1;
        pthread_cond_signal(&d->ccv);
        pthread_mutex_unlock(&d->cmu);
        pthread_join(d->ckpt, NULL);
    }
    sqlite3_stmt *sts[] = {d->put_st,    d->done_st,     d->prune_st, d->begin_st,
                           d->commit_st, d->rollback_st, d->next_st,  d->pending_st};
    for (size_t i = 0; i < sizeof(sts) / sizeof(sts[0]); i++)
        sqlite3_finalize(sts[i]);
    sqlite3_close(d->cdb);
    if (d->rdb != d->wdb)
        sqlite3_close(d->rdb);
    sqlite3_close(d->wdb); /* the last connection checkpoints and removes the WAL */
    pthread_mutex_destroy(&d->rmu);
    pthread_mutex_destroy(&d->cmu);
    pthread_cond_destroy(&d->ccv);
    free(d->path);
    free(d);
}

static int sq_open(lq_backend **out, const char *target, const lq_backend_options *opt,
                   lq_error *err)
{
    *out = NULL;
    const char *path = lq_dburl_path(target);
    if (!path || !*path)
        return lq_error_set(err, LQ_EINVAL, "store: empty database path");
    if (!sqlite3_threadsafe())
        return lq_error_set(err, LQ_ERROR, "store: SQLite was built without thread support");
    sq_db *d = calloc(1, sizeof(*d));
    if (!d || !(d->path = strdup(path))) {
        free(d);
        return lq_error_set(err, LQ_ENOMEM, "store: out of memory");
    }
    pthread_mutex_init(&d->rmu, NULL);
    pthread_mutex_init(&d->cmu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&d->ccv, &ca);
    pthread_condattr_destroy(&ca);

    struct stat sb;
    int rc = LQ_OK;
    if (stat(path, &sb) != 0 && errno == ENOENT)
        rc = opt->existing_only ? lq_error_set(err, LQ_ENOTFOUND, "%s: no such database", path)
                                : create_fresh(path, err);
    int flags = opt->existing_only ? SQLITE_OPEN_READONLY
                                   : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    if (rc == LQ_OK)
        rc = conn_open(&d->wdb, path, flags, err);
    if (rc == LQ_OK && !opt->existing_only)
        rc = lq_sq_exec(d->wdb, path,
                        opt->inbox ? "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                                     "PRAGMA wal_autocheckpoint=0; PRAGMA cache_size=-1024;"
                                     "PRAGMA journal_size_limit=67108864;"
                                   : "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;",
                        err);
    if (rc == LQ_OK && !opt->existing_only) {
        /* journal_mode reports the mode actually in force (e.g. not WAL on some filesystems) */
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(d->wdb, "PRAGMA journal_mode", -1, &st, NULL) != SQLITE_OK ||
            sqlite3_step(st) != SQLITE_ROW ||
            strcmp((const char *)sqlite3_column_text(st, 0), "wal") != 0)
            rc = lq_error_set(err, LQ_ERROR, "%s: cannot switch the database to WAL mode",
                              path);
        sqlite3_finalize(st);
    }
    if (rc == LQ_OK)
        rc = lq_sq_migrate(d->wdb, path, opt->existing_only, err);
    if (rc == LQ_OK && !opt->inbox) {
        d->rdb = d->wdb;
        if (!opt->existing_only) /* an old file may have no inbox table: tools never read it */
            rc = prepare(d->rdb, path, &d->next_st,
                     "SELECT seq, delivery_id, event, body, received_ms, encoding, raw_len "
                     "FROM inbox_deliveries WHERE processed = 0 ORDER BY seq LIMIT 1",
                     err);
        if (rc == LQ_OK && !opt->existing_only)
            rc = prepare(d->rdb, path, &d->pending_st,
                         "SELECT count(*) FROM inbox_deliveries WHERE processed = 0", err);
        if (rc != LQ_OK) {
            sq_close((lq_backend *)(void *)d);
            return rc;
        }
        *out = (lq_backend *)(void *)d;
        return LQ_OK;
    }
    if (rc == LQ_OK)
        rc = prepare(d->wdb, path, &d->put_st,
                     "INSERT INTO inbox_deliveries(delivery_id, event, body, received_ms, encoding, "
                     "raw_len) VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
                     "ON CONFLICT(delivery_id) DO NOTHING",
                     err);
    if (rc == LQ_OK)
        rc = prepare(d->wdb, path, &d->done_st,
                     "UPDATE inbox_deliveries SET processed = 1 WHERE seq = ?1", err);
    if (rc == LQ_OK)
        rc = prepare(d->wdb, path, &d->prune_st,
                     "DELETE FROM inbox_deliveries WHERE seq IN (SELECT seq FROM "
                     "inbox_deliveries WHERE processed = 1 AND received_ms < ?1 ORDER BY seq "
                     "LIMIT ?2)",
                     err);
    if (rc == LQ_OK)
        rc = prepare(d->wdb, path, &d->begin_st, "BEGIN IMMEDIATE", err);
    if (rc == LQ_OK)
        rc = prepare(d->wdb, path, &d->commit_st, "COMMIT", err);
    if (rc == LQ_OK)
        rc = prepare(d->wdb, path, &d->rollback_st, "ROLLBACK", err);
    if (rc == LQ_OK)
        rc = conn_open(&d->rdb, path, SQLITE_OPEN_READWRITE, err);
    if (rc == LQ_OK)
        rc = lq_sq_exec(d->rdb, path, "PRAGMA cache_size=-512;", err);
    if (rc == LQ_OK)
        rc = prepare(d->rdb, path, &d->next_st,
                     "SELECT seq, delivery_id, event, body, received_ms, encoding, raw_len "
                     "FROM inbox_deliveries "
                     "WHERE processed = 0 ORDER BY seq LIMIT 1",
                     err);
    if (rc == LQ_OK)
        rc = prepare(d->rdb, path, &d->pending_st,
                     "SELECT count(*) FROM inbox_deliveries WHERE processed = 0", err);
    if (rc == LQ_OK)
        rc = conn_open(&d->cdb, path, SQLITE_OPEN_READWRITE, err);
    if (rc == LQ_OK)
        rc = lq_sq_exec(d->cdb, path, "PRAGMA synchronous=FULL; PRAGMA cache_size=-64;", err);
    if (rc == LQ_OK) {
        sqlite3_wal_hook(d->wdb, lq_sq_wal_hook, d);
        lq_gc_config gcc = {.slots = 1, .commit = lq_sq_commit, .be = d,
                            .on_stored = opt->on_stored, .on_stored_ctx = opt->on_stored_ctx,
                            .name = path};
        rc = lq_gc_start(&d->gc, &gcc, err);
    }
    if (rc == LQ_OK) {
        if (pthread_create(&d->ckpt, NULL, lq_sq_checkpointer, d) != 0)
            rc = lq_error_set(err, LQ_ERROR, "%s: cannot start the checkpoint thread", path);
        else
            d->ckpt_started = 1;
    }
    if (rc != LQ_OK) {
        sq_close((lq_backend *)(void *)d);
        return rc;
    }
    *out = (lq_backend *)(void *)d;
    return LQ_OK;
}

/* ---- shared with the state files (store_sqlite.h) ---------------------------------------- */

sqlite3 *lq_sq_read_begin(lq_backend *be)
{
    pthread_mutex_lock(&SQ(be)->rmu);
    return SQ(be)->rdb;
}

void lq_sq_read_end(lq_backend *be)
{
    pthread_mutex_unlock(&SQ(be)->rmu);
}

const char *lq_sq_path(lq_backend *be)
{
    return SQ(be)->path;
}

/* A store write inside the group commit: gcommit's op calls back with the writer connection. */
typedef struct write_call {
    int (*fn)(sqlite3 *db, void *ctx, lq_error *err);
    void *ctx;
} write_call;

static int write_trampoline(void *conn, void *ctx, lq_error *err)
{
    write_call *w = ctx;
    return w->fn(conn, w->ctx, err);
}

int lq_sq_write(lq_backend *be, int (*fn)(sqlite3 *db, void *ctx, lq_error *err), void *ctx,
                lq_error *err)
{
    sq_db *d = SQ(be);
    if (d->gc) {
        write_call w = {fn, ctx};
        lq_gc_op o = {.kind = LQ_GC_RUN, .fn = write_trampoline, .ctx = &w, .err = err};
        return lq_gc_submit(d->gc, &o);
    }
    pthread_mutex_lock(&d->rmu);
    int rc = fn(d->wdb, ctx, err);
    pthread_mutex_unlock(&d->rmu);
    return rc;
}

int lq_sqlite_run(lq_backend *be, lq_inbox_run_fn fn, void *ctx, lq_error *err)
{
    return lq_sq_write(be, fn, ctx, err);
}

const lq_store_ops lq_store_sqlite_ops = {
    .version = LQ_STORE_OPS_VERSION,
    .name = "sqlite",
    .open = sq_open,
    .close = sq_close,
    .submit = lq_sq_submit,
    .inbox_next = lq_sq_inbox_next,
    .inbox_done = lq_sq_inbox_done,
    .inbox_pending = lq_sq_inbox_pending,
    .inbox_prune = lq_sq_inbox_prune,
    .inbox_stats = lq_sq_inbox_stats,
    .pr_get = lq_sq_pr_get,
    .pr_put = lq_sq_pr_put,
    .pr_list = lq_sq_pr_list,
    .pr_mark_sha_dirty = lq_sq_pr_mark_sha_dirty,
    .pr_mark_branch_dirty = lq_sq_pr_mark_branch_dirty,
    .audit_add = lq_sq_audit_add,
    .lease_acquire = lq_sq_lease_acquire,
    .lease_renew = lq_sq_lease_renew,
    .lease_release = lq_sq_lease_release,
    .lease_get = lq_sq_lease_get,
    .audit_each = lq_sq_audit_each,
    .landings = lq_sq_landings,
    .freeze_set = lq_sq_freeze_set,
    .freeze_clear = lq_sq_freeze_clear,
    .freeze_list = lq_sq_freeze_list,
    .audit_prune = lq_sq_audit_prune,
    .meta_get = lq_sq_meta_get,
    .meta_put = lq_sq_meta_put,
    .train_get = lq_sq_train_get,
    .train_put = lq_sq_train_put,
    .info = lq_sq_info,
    .reclaim = lq_sq_reclaim,
};
