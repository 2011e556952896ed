/* store_sqlite_meta.c -- SQLite backend: the webhook allowlist cache (landq_meta_hooks: GitHub's
 * /meta hooks ranges and when they were fetched). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_sqlite.h"

int lq_sq_meta_get(lq_backend *be, char **body, int64_t *fetched_at, lq_error *err)
{
    sqlite3 *db = lq_sq_read_begin(be);
    sqlite3_stmt *st = NULL;
    int ret;
    if (sqlite3_prepare_v2(db, "SELECT body, fetched_at FROM landq_meta_hooks WHERE id = 1", -1,
                           &st, NULL) != SQLITE_OK) {
        ret = lq_sq_fail(db, err, "allowlist");
        goto out;
    }
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(st, 0);
        *fetched_at = sqlite3_column_int64(st, 1);
        *body = strdup(t ? t : "");
        ret = *body ? LQ_OK : lq_error_set(err, LQ_ENOMEM, "out of memory");
    } else if (rc == SQLITE_DONE) {
        ret = lq_error_set(err, LQ_ENOTFOUND, "no webhook allowlist stored");
    } else {
        ret = lq_sq_fail(db, err, "allowlist");
    }
out:
    sqlite3_finalize(st);
    lq_sq_read_end(be);
    return ret;
}

typedef struct meta_ctx {
    const char *body;
    int64_t at;
} meta_ctx;

static int meta_put_on(sqlite3 *db, void *ctx, lq_error *err)
{
    meta_ctx *m = ctx;
    sqlite3_stmt *st = NULL;
    int ok = sqlite3_prepare_v2(db,
                                "INSERT INTO landq_meta_hooks (id, body, fetched_at) VALUES (1, ?, ?)"
                                " ON CONFLICT(id) DO UPDATE SET body = excluded.body,"
                                " fetched_at = excluded.fetched_at",
                                -1, &st, NULL) == SQLITE_OK &&
             sqlite3_bind_text(st, 1, m->body, -1, SQLITE_TRANSIENT) == SQLITE_OK &&
             sqlite3_bind_int64(st, 2, m->at) == SQLITE_OK && sqlite3_step(st) == SQLITE_DONE;
    int ret = ok ? LQ_OK : lq_sq_fail(db, err, "allowlist");
    sqlite3_finalize(st);
    return ret;
}

int lq_sq_meta_put(lq_backend *be, const char *body, int64_t fetched_at, lq_error *err)
{
    meta_ctx m = {body, fetched_at};
    return lq_sq_write(be, meta_put_on, &m, err);
}

