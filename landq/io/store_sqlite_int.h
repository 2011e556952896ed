/* store_sqlite_int.h -- the SQLite backend's representation, shared by store_sqlite.c
 * (connections, open, close, the ops table), store_sqlite_schema.c (migrations),
 * store_sqlite_commit.c (the group commit and the checkpointer), store_sqlite_inbox.c (the
 * inbox) and store_sqlite_maint.c (size, reclaim). The queue state files use store_sqlite.h
 * only. */
#ifndef LQ_STORE_SQLITE_INT_H
#define LQ_STORE_SQLITE_INT_H

#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdint.h>

#include "gcommit.h"
#include "store_sqlite.h"

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

static inline sq_db *SQ(lq_backend *be)
{
    return (sq_db *)(void *)be;
}

/* store_sqlite.c: connection helpers. */
int lq_sq_db_fail(lq_error *err, int code, const char *path, sqlite3 *db, const char *what);
int lq_sq_exec(sqlite3 *db, const char *path, const char *sql, lq_error *err);
int64_t lq_sq_pragma_int(sqlite3 *db, const char *sql); /* -1 on failure */

/* store_sqlite_schema.c: the highest migration applied (0: none), and applying the missing
 * ones (existing_only: only check the version). */
int lq_sq_schema_version(sqlite3 *db, const char *path, int *out, lq_error *err);
int lq_sq_migrate(sqlite3 *db, const char *path, int existing_only, lq_error *err);

/* store_sqlite_commit.c: the WAL hook, the group commit's batch (gcommit.h) and the
 * checkpointer thread. */
int lq_sq_wal_hook(void *ctx, sqlite3 *db, const char *name, int pages);
int lq_sq_commit(void *be, int slot, lq_gc_op *batch, size_t n);
void *lq_sq_checkpointer(void *arg);

/* store_sqlite_inbox.c: the inbox operations of lq_store_ops. */
int lq_sq_submit(lq_backend *be, lq_gc_op *o);
int lq_sq_inbox_next(lq_backend *be, lq_delivery *out, lq_error *err);
int lq_sq_inbox_done(lq_backend *be, int64_t seq, lq_error *err);
int lq_sq_inbox_pending(lq_backend *be, int64_t *out, lq_error *err);
int lq_sq_inbox_prune(lq_backend *be, int64_t before_ms, int limit, int64_t *deleted,
                      lq_error *err);
void lq_sq_inbox_stats(lq_backend *be, lq_inbox_stats *out);

/* store_sqlite_maint.c: size and schema, and giving free pages back. */
int lq_sq_info(lq_backend *be, lq_store_info *out, lq_error *err);
int lq_sq_reclaim(lq_backend *be, int64_t *out_bytes, lq_error *err);

#endif
