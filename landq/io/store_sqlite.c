/* store_sqlite.c -- the SQLite backend: one WAL file, synchronous=FULL, a group commit writer.
 *
 * Connections: with the inbox (landq serve) there are three. The writer (wdb) belongs to the
 * group commit thread (gcommit.c): every write (a delivery, done, prune, and the store's writes
 * through lq_sq_write) runs in its batches, so there is no SQLITE_BUSY between our own
 * connections; other processes sharing the file wait through busy_timeout. Reads (next,
 * pending, the store's reads) use their own connection (rdb): WAL readers never block the writer
 * and are never blocked by it, so a webhook burst cannot starve the worker. Checkpoints (copying
 * the WAL back into the database file) run on a third connection in a background thread, so a
 * commit never pays for one; see checkpointer(). Without the inbox (tools, tests) one connection
 * does everything, writes in autocommit.
 *
 * Space: new files use auto_vacuum=INCREMENTAL, so lq_store_reclaim() can give pages freed by
 * retention back to the file system; in any file, freed pages are reused before it grows. */
#include "store_sqlite.h"

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
/* Waiting for another connection's write lock (other processes share the file): give up in time
 * to answer 503 before GitHub's 10 s delivery timeout. */
#define BUSY_TIMEOUT_MS 5000
/* Reclaim: free pages kept for reuse (the larger of these), and at most this many given back
 * per writer transaction (each costs the writer a few ms). */
#define RECLAIM_KEEP_PAGES 256
#define RECLAIM_KEEP_FRACTION 4 /* a quarter of the file */
#define RECLAIM_STEP_PAGES 2048

/* Migrations: version N's statements, applied once, in order (store_backend.h). Version 1 is
 * the schema landq used before migrations existed, so it is all IF NOT EXISTS. */
static const struct migration {
    int version;
    const char *what;
    const char *sql;
} migrations[] = {
    {1, "inbox, queue state, audit log, allowlist cache",
     "CREATE TABLE IF NOT EXISTS inbox_deliveries ("
     " seq INTEGER PRIMARY KEY AUTOINCREMENT,"
     " delivery_id TEXT NOT NULL UNIQUE,"
     " event TEXT NOT NULL,"
     " body BLOB NOT NULL,"             /* raw bytes, or compressed: see encoding */
     " received_ms INTEGER NOT NULL,"
     " processed INTEGER NOT NULL DEFAULT 0,"
     " encoding INTEGER NOT NULL DEFAULT 0," /* 0 raw, 1 LZ4 block of raw_len bytes */
     " raw_len INTEGER NOT NULL DEFAULT 0);"
     "CREATE INDEX IF NOT EXISTS inbox_pending ON inbox_deliveries(seq) WHERE processed = 0;"
     "CREATE TABLE IF NOT EXISTS lq_pr ("
     " repo TEXT NOT NULL COLLATE NOCASE,"
     " number INTEGER NOT NULL,"
     " base TEXT NOT NULL DEFAULT '',"
     " head_sha TEXT NOT NULL DEFAULT '',"
     " state TEXT NOT NULL DEFAULT 'idle',"
     " labeler TEXT NOT NULL DEFAULT '',"
     " labeled_at_ms INTEGER NOT NULL DEFAULT 0,"
     " dirty INTEGER NOT NULL DEFAULT 0,"
     " comment_id INTEGER NOT NULL DEFAULT 0,"
     " comment_body TEXT,"
     " status_key TEXT,"
     " merge_sha TEXT NOT NULL DEFAULT '',"
     " merge_title TEXT,"
     " merge_message TEXT,"
     " merge_attempts INTEGER NOT NULL DEFAULT 0,"
     " landed_sha TEXT NOT NULL DEFAULT '',"
     " updated_ms INTEGER NOT NULL DEFAULT 0,"
     " priority INTEGER NOT NULL DEFAULT 0,"
     " PRIMARY KEY (repo, number));"
     "CREATE INDEX IF NOT EXISTS lq_pr_sha ON lq_pr(repo, head_sha);"
     "CREATE TABLE IF NOT EXISTS lq_audit ("
     " id INTEGER PRIMARY KEY AUTOINCREMENT,"
     " at_ms INTEGER NOT NULL,"
     " repo TEXT NOT NULL,"
     " number INTEGER NOT NULL,"
     " head_sha TEXT NOT NULL DEFAULT '',"
     " action TEXT NOT NULL,"
     " summary TEXT NOT NULL DEFAULT '',"
     " reasons TEXT NOT NULL DEFAULT '[]',"
     " commit_sha TEXT NOT NULL DEFAULT '');"
     "CREATE INDEX IF NOT EXISTS lq_audit_pr ON lq_audit(repo, number);"
     "CREATE INDEX IF NOT EXISTS lq_audit_at ON lq_audit(at_ms);"
     "CREATE INDEX IF NOT EXISTS lq_audit_action ON lq_audit(action, id);"
     "CREATE TABLE IF NOT EXISTS lq_freeze ("
     " repo TEXT NOT NULL COLLATE NOCASE,"
     " branch TEXT NOT NULL,"
     " reason TEXT NOT NULL DEFAULT '',"
     " by_whom TEXT NOT NULL DEFAULT '',"
     " since_ms INTEGER NOT NULL,"
     " PRIMARY KEY (repo, branch));"
     "CREATE TABLE IF NOT EXISTS landq_meta_hooks ("
     " id INTEGER PRIMARY KEY CHECK (id = 1), body TEXT NOT NULL,"
     " fetched_at INTEGER NOT NULL);"},
    {2, "branch leases with fencing tokens",
     "CREATE TABLE lq_lease ("
     " repo TEXT NOT NULL COLLATE NOCASE,"
     " base TEXT NOT NULL,"
     " holder TEXT NOT NULL DEFAULT '',"  /* '' = released */
     " token INTEGER NOT NULL DEFAULT 0," /* +1 on every change of holder */
     " expires_ms INTEGER NOT NULL DEFAULT 0,"
     " acquired_ms INTEGER NOT NULL DEFAULT 0,"
     " PRIMARY KEY (repo, base));"
     "ALTER TABLE lq_pr ADD COLUMN lease_token INTEGER NOT NULL DEFAULT 0;"
     "ALTER TABLE lq_audit ADD COLUMN lease_token INTEGER NOT NULL DEFAULT 0;"},
    {3, "predictive trains",
     "CREATE TABLE lq_train ("
     " repo TEXT NOT NULL COLLATE NOCASE,"
     " base TEXT NOT NULL,"
     " body TEXT NOT NULL," /* core/train.h: lq_train_to_json */
     " updated_ms INTEGER NOT NULL DEFAULT 0,"
     " PRIMARY KEY (repo, base));"},
};
#define NMIGRATIONS (sizeof(migrations) / sizeof(migrations[0]))
_Static_assert(NMIGRATIONS == LQ_STORE_SCHEMA_VERSION, "a migration per schema version");

typedef struct sq_db {
    char *path;
    sqlite3 *wdb;  /* writer: the group commit's, or the only connection */
    sqlite3 *rdb;  /* reads; the same as wdb without the group commit */
    sqlite3 *cdb;  /* checkpointer (group commit only) */
    sqlite3_stmt *put_st, *done_st, *prune_st, *begin_st, *commit_st, *rollback_st;
    sqlite3_stmt *next_st, *pending_st;
    pthread_mutex_t rmu; /* rdb (everything, without the group commit) */
    lq_gcommit *gc;      /* NULL without the inbox */

    pthread_mutex_t cmu; /* checkpointer */
    pthread_cond_t ccv;
    pthread_t ckpt;
    int ckpt_started, ckpt_stop;
    int wal_pages;          /* WAL size after the last commit */
    atomic_int tail_wanted; /* the checkpointer is nearly through: the writer finishes it */
    int64_t last_commit_ms; /* monotonic */
} sq_db;

static sq_db *SQ(lq_backend *be)
{
    return (sq_db *)(void *)be;
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t wall_ms(void)
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

int lq_sq_fail(sqlite3 *db, lq_error *err, const char *what)
{
    return lq_error_set(err, LQ_ERROR, "store: %s: %s", what, sqlite3_errmsg(db));
}

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
        return db_fail(err, LQ_ERROR, path, db, "cannot prepare statement");
    return LQ_OK;
}

static int64_t pragma_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    int64_t v = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* ---- schema ------------------------------------------------------------------------------ */

int lq_store_schema_too_new(lq_error *err, const char *where, int found)
{
    return lq_error_set(err, LQ_EINVAL,
                        "%s: the database schema is version %d, newer than this landq knows "
                        "(%d): a newer landq has used it; run that version (or newer), or "
                        "point db at another database",
                        where, found, LQ_STORE_SCHEMA_VERSION);
}

/* The highest migration applied: 0 for a database from before migrations (or a new one). */
static int schema_version(sqlite3 *db, const char *path, int *out, lq_error *err)
{
    *out = 0;
    int64_t has = pragma_int(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
                                 "name = 'lq_schema'");
    if (has < 0)
        return db_fail(err, LQ_ERROR, path, db, "cannot read the schema");
    if (has == 0)
        return LQ_OK;
    int64_t v = pragma_int(db, "SELECT coalesce(max(version), 0) FROM lq_schema");
    if (v < 0)
        return db_fail(err, LQ_ERROR, path, db, "cannot read the schema version");
    *out = (int)v;
    return LQ_OK;
}

/* Applies the missing migrations in one transaction (the caller holds no transaction). */
static int migrate(sqlite3 *db, const char *path, int existing_only, lq_error *err)
{
    int v = 0;
    int rc = schema_version(db, path, &v, err);
    if (rc != LQ_OK)
        return rc;
    if (v > LQ_STORE_SCHEMA_VERSION)
        return lq_store_schema_too_new(err, path, v);
    if (v == LQ_STORE_SCHEMA_VERSION || existing_only)
        return LQ_OK;
    if ((rc = exec(db, path, "BEGIN IMMEDIATE", err)) != LQ_OK)
        return rc;
    rc = schema_version(db, path, &v, err); /* another process may have migrated meanwhile */
    if (rc == LQ_OK && v > LQ_STORE_SCHEMA_VERSION)
        rc = lq_store_schema_too_new(err, path, v);
    if (rc == LQ_OK)
        rc = exec(db, path,
                  "CREATE TABLE IF NOT EXISTS lq_schema (version INTEGER PRIMARY KEY,"
                  " applied_at_ms INTEGER NOT NULL, description TEXT NOT NULL)",
                  err);
    for (size_t i = 0; rc == LQ_OK && i < NMIGRATIONS; i++) {
        if (migrations[i].version <= v)
            continue;
        rc = exec(db, path, migrations[i].sql, err);
        /* version 1 adopts files from before migrations; the oldest lack lq_pr.priority */
        if (rc == LQ_OK && migrations[i].version == 1 &&
            pragma_int(db, "SELECT count(*) FROM pragma_table_info('lq_pr') WHERE "
                           "name = 'priority'") == 0)
            rc = exec(db, path,
                      "ALTER TABLE lq_pr ADD COLUMN priority INTEGER NOT NULL DEFAULT 0", err);
        if (rc == LQ_OK) {
            char sql[256];
            snprintf(sql, sizeof sql,
                     "INSERT INTO lq_schema (version, applied_at_ms, description) VALUES "
                     "(%d, %lld, '%s')",
                     migrations[i].version, (long long)wall_ms(), migrations[i].what);
            rc = exec(db, path, sql, err);
        }
    }
    if (rc == LQ_OK)
        rc = exec(db, path, "COMMIT", err);
    if (rc != LQ_OK && !sqlite3_get_autocommit(db))
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

/* ---- group commit ------------------------------------------------------------------------ */

static int wal_hook(void *ctx, sqlite3 *db, const char *name, int pages)
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
static int commit(void *be, int slot, lq_gc_op *batch, size_t n)
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
static void *checkpointer(void *arg)
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
        rc = exec(db, path,
                  "PRAGMA auto_vacuum=INCREMENTAL; PRAGMA synchronous=OFF;"
                  "PRAGMA journal_mode=WAL;",
                  err);
    if (rc == LQ_OK)
        rc = migrate(db, path, 0, err);
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
        rc = exec(d->wdb, path,
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
        rc = migrate(d->wdb, path, opt->existing_only, err);
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
        rc = exec(d->rdb, path, "PRAGMA cache_size=-512;", err);
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
        rc = exec(d->cdb, path, "PRAGMA synchronous=FULL; PRAGMA cache_size=-64;", err);
    if (rc == LQ_OK) {
        sqlite3_wal_hook(d->wdb, wal_hook, d);
        lq_gc_config gcc = {.slots = 1, .commit = commit, .be = d,
                            .on_stored = opt->on_stored, .on_stored_ctx = opt->on_stored_ctx,
                            .name = path};
        rc = lq_gc_start(&d->gc, &gcc, err);
    }
    if (rc == LQ_OK) {
        if (pthread_create(&d->ckpt, NULL, checkpointer, d) != 0)
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

/* ---- shared with store_sqlite_state.c ---------------------------------------------------- */

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

/* ---- inbox ------------------------------------------------------------------------------- */

static int sq_submit(lq_backend *be, lq_gc_op *o)
{
    sq_db *d = SQ(be);
    if (!d->gc)
        return lq_error_set(o->err, LQ_EINVAL, "%s: opened without the inbox", d->path);
    return lq_gc_submit(d->gc, o);
}

static int sq_done(lq_backend *be, int64_t seq, lq_error *err)
{
    lq_gc_op o = {.kind = LQ_GC_DONE, .arg = seq, .err = err};
    return sq_submit(be, &o);
}

static int sq_prune(lq_backend *be, int64_t before_ms, int limit, int64_t *deleted,
                    lq_error *err)
{
    lq_gc_op o = {.kind = LQ_GC_PRUNE, .arg = before_ms, .arg2 = limit, .err = err};
    int rc = sq_submit(be, &o);
    *deleted = rc == LQ_OK ? o.changed : 0;
    return rc;
}

static int sq_next(lq_backend *be, lq_delivery *out, lq_error *err)
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
        ret = db_fail(err, LQ_ETRANSIENT, d->path, d->rdb, "cannot read the inbox");
    sqlite3_reset(st);
    pthread_mutex_unlock(&d->rmu);
    return ret;
}

static int sq_pending(lq_backend *be, int64_t *out, lq_error *err)
{
    sq_db *d = SQ(be);
    if (!d->pending_st)
        return lq_error_set(err, LQ_EINVAL, "%s: opened read-only", d->path);
    pthread_mutex_lock(&d->rmu);
    int rc = sqlite3_step(d->pending_st), ret = LQ_OK;
    if (rc == SQLITE_ROW)
        *out = sqlite3_column_int64(d->pending_st, 0);
    else
        ret = db_fail(err, LQ_ETRANSIENT, d->path, d->rdb, "cannot count the inbox");
    sqlite3_reset(d->pending_st);
    pthread_mutex_unlock(&d->rmu);
    return ret;
}

static void sq_stats(lq_backend *be, lq_inbox_stats *out)
{
    sq_db *d = SQ(be);
    if (d->gc)
        lq_gc_stats(d->gc, out);
    else
        memset(out, 0, sizeof(*out));
}

/* ---- maintenance ------------------------------------------------------------------------- */

static int sq_info(lq_backend *be, lq_store_info *out, lq_error *err)
{
    sq_db *d = SQ(be);
    memset(out, 0, sizeof(*out));
    out->backend = "sqlite";
    pthread_mutex_lock(&d->rmu);
    int rc = schema_version(d->rdb, d->path, &out->schema_version, err);
    int64_t page = pragma_int(d->rdb, "PRAGMA page_size");
    int64_t free_pages = pragma_int(d->rdb, "PRAGMA freelist_count");
    int64_t pages = pragma_int(d->rdb, "PRAGMA page_count");
    out->auto_vacuum = pragma_int(d->rdb, "PRAGMA auto_vacuum") == 2;
    pthread_mutex_unlock(&d->rmu);
    if (rc != LQ_OK)
        return rc;
    if (page > 0 && free_pages >= 0)
        out->free_bytes = page * free_pages;
    if (page > 0 && pages >= 0)
        out->logical_bytes = page * pages;
    struct stat sb;
    if (stat(d->path, &sb) == 0)
        out->bytes += sb.st_size;
    size_t n = strlen(d->path) + 8;
    char *wal = malloc(n);
    if (wal) {
        snprintf(wal, n, "%s-wal", d->path);
        if (stat(wal, &sb) == 0) {
            out->bytes += sb.st_size;
            out->wal_bytes = sb.st_size;
        }
        free(wal);
    }
    return LQ_OK;
}

typedef struct reclaim_ctx {
    int64_t pages; /* in: to give back; out: given back */
} reclaim_ctx;

static int reclaim_on(sqlite3 *db, void *ctx, lq_error *err)
{
    reclaim_ctx *r = ctx;
    int64_t before = pragma_int(db, "PRAGMA freelist_count");
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA incremental_vacuum(%lld)", (long long)r->pages);
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        lq_error_set(err, LQ_ERROR, "store: incremental vacuum: %s", msg ? msg : "?");
        sqlite3_free(msg);
        return LQ_ERROR;
    }
    int64_t after = pragma_int(db, "PRAGMA freelist_count");
    r->pages = before >= 0 && after >= 0 && before > after ? before - after : 0;
    return LQ_OK;
}

/* Free pages beyond the reserve (a quarter of the file, at least 1 MiB) go back to the file
 * system, RECLAIM_STEP_PAGES per writer transaction: the reserve absorbs the next inserts
 * without growing the file, the rest is given back after a storm. */
static int sq_reclaim(lq_backend *be, int64_t *out_bytes, lq_error *err)
{
    sq_db *d = SQ(be);
    *out_bytes = 0;
    pthread_mutex_lock(&d->rmu);
    int64_t page = pragma_int(d->rdb, "PRAGMA page_size");
    int64_t total = pragma_int(d->rdb, "PRAGMA page_count");
    int64_t free_pages = pragma_int(d->rdb, "PRAGMA freelist_count");
    int incremental = pragma_int(d->rdb, "PRAGMA auto_vacuum") == 2;
    pthread_mutex_unlock(&d->rmu);
    if (page <= 0 || total < 0 || free_pages < 0)
        return lq_error_set(err, LQ_ERROR, "%s: cannot read the page counts", d->path);
    if (!incremental)
        return LQ_OK; /* freed pages are reused, the file does not shrink */
    /* the fewest pages e after which free - e <= max(KEEP_PAGES, (total - e) / FRACTION) */
    int64_t by_floor = free_pages - RECLAIM_KEEP_PAGES;
    int64_t by_fraction = (RECLAIM_KEEP_FRACTION * free_pages - total + RECLAIM_KEEP_FRACTION - 2) /
                          (RECLAIM_KEEP_FRACTION - 1);
    int64_t excess = by_floor < by_fraction ? by_floor : by_fraction;
    while (excess > 0) {
        reclaim_ctx r = {excess < RECLAIM_STEP_PAGES ? excess : RECLAIM_STEP_PAGES};
        int rc = lq_sq_write(be, reclaim_on, &r, err);
        if (rc != LQ_OK)
            return rc;
        if (r.pages <= 0)
            break;
        *out_bytes += r.pages * page;
        excess -= r.pages;
    }
    return LQ_OK;
}

const lq_store_ops lq_store_sqlite_ops = {
    .version = LQ_STORE_OPS_VERSION,
    .name = "sqlite",
    .open = sq_open,
    .close = sq_close,
    .submit = sq_submit,
    .inbox_next = sq_next,
    .inbox_done = sq_done,
    .inbox_pending = sq_pending,
    .inbox_prune = sq_prune,
    .inbox_stats = sq_stats,
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
    .info = sq_info,
    .reclaim = sq_reclaim,
};
