/* store_sqlite_maint.c -- the SQLite backend's maintenance: what the database holds and weighs
 * (lq_store_info), and giving free pages back to the file system (incremental vacuum). */
#include "store_sqlite_int.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Reclaim: free pages kept for reuse (the larger of these), and at most this many given back
 * per writer transaction (each costs the writer a few ms). */
#define RECLAIM_KEEP_PAGES 256
#define RECLAIM_KEEP_FRACTION 4 /* a quarter of the file */
#define RECLAIM_STEP_PAGES 2048

int lq_sq_info(lq_backend *be, lq_store_info *out, lq_error *err)
{
    sq_db *d = SQ(be);
    memset(out, 0, sizeof(*out));
    out->backend = "sqlite";
    pthread_mutex_lock(&d->rmu);
    int rc = lq_sq_schema_version(d->rdb, d->path, &out->schema_version, err);
    int64_t page = lq_sq_pragma_int(d->rdb, "PRAGMA page_size");
    int64_t free_pages = lq_sq_pragma_int(d->rdb, "PRAGMA freelist_count");
    int64_t pages = lq_sq_pragma_int(d->rdb, "PRAGMA page_count");
    out->auto_vacuum = lq_sq_pragma_int(d->rdb, "PRAGMA auto_vacuum") == 2;
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
    int64_t before = lq_sq_pragma_int(db, "PRAGMA freelist_count");
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA incremental_vacuum(%lld)", (long long)r->pages);
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        lq_error_set(err, LQ_ERROR, "store: incremental vacuum: %s", msg ? msg : "?");
        sqlite3_free(msg);
        return LQ_ERROR;
    }
    int64_t after = lq_sq_pragma_int(db, "PRAGMA freelist_count");
    r->pages = before >= 0 && after >= 0 && before > after ? before - after : 0;
    return LQ_OK;
}

/* Free pages beyond the reserve (a quarter of the file, at least 1 MiB) go back to the file
 * system, RECLAIM_STEP_PAGES per writer transaction: the reserve absorbs the next inserts
 * without growing the file, the rest is given back after a storm. */
int lq_sq_reclaim(lq_backend *be, int64_t *out_bytes, lq_error *err)
{
    sq_db *d = SQ(be);
    *out_bytes = 0;
    pthread_mutex_lock(&d->rmu);
    int64_t page = lq_sq_pragma_int(d->rdb, "PRAGMA page_size");
    int64_t total = lq_sq_pragma_int(d->rdb, "PRAGMA page_count");
    int64_t free_pages = lq_sq_pragma_int(d->rdb, "PRAGMA freelist_count");
    int incremental = lq_sq_pragma_int(d->rdb, "PRAGMA auto_vacuum") == 2;
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

