/* store_sqlite_train.c -- predictive trains (lq_train) in the SQLite backend: one JSON row per
 * (repo, base), written through lq_sq_write (the inbox's group commit when there is one). */
#include <stdlib.h>
#include <string.h>

#include "store_sqlite.h"

int lq_sq_train_get(lq_backend *be, const char *repo, const char *base, char **json,
                    lq_error *err)
{
    sqlite3 *db = lq_sq_read_begin(be);
    sqlite3_stmt *st = NULL;
    int ret;
    if (sqlite3_prepare_v2(db, "SELECT body FROM lq_train WHERE repo = ?1 AND base = ?2", -1,
                           &st, NULL) != SQLITE_OK) {
        ret = lq_sq_fail(db, err, "train");
        goto out;
    }
    sqlite3_bind_text(st, 1, repo, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, base, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(st, 0);
        *json = strdup(t ? t : "");
        ret = *json ? LQ_OK : lq_error_set(err, LQ_ENOMEM, "out of memory");
    } else if (rc == SQLITE_DONE) {
        ret = lq_error_set(err, LQ_ENOTFOUND, "no train stored for %s %s", repo, base);
    } else {
        ret = lq_sq_fail(db, err, "train");
    }
out:
    sqlite3_finalize(st);
    lq_sq_read_end(be);
    return ret;
}

typedef struct train_ctx {
    const char *repo, *base, *json;
} train_ctx;

static int put_on(sqlite3 *db, void *ctx, lq_error *err)
{
    train_ctx *t = ctx;
    sqlite3_stmt *st = NULL;
    int ok = sqlite3_prepare_v2(db,
                                "INSERT INTO lq_train (repo, base, body, updated_ms)"
                                " VALUES (?1, ?2, ?3, CAST(strftime('%s','now') AS INTEGER) * 1000)"
                                " ON CONFLICT(repo, base) DO UPDATE SET body = excluded.body,"
                                " updated_ms = excluded.updated_ms",
                                -1, &st, NULL) == SQLITE_OK &&
             sqlite3_bind_text(st, 1, t->repo, -1, SQLITE_TRANSIENT) == SQLITE_OK &&
             sqlite3_bind_text(st, 2, t->base, -1, SQLITE_TRANSIENT) == SQLITE_OK &&
             sqlite3_bind_text(st, 3, t->json, -1, SQLITE_TRANSIENT) == SQLITE_OK &&
             sqlite3_step(st) == SQLITE_DONE;
    int ret = ok ? LQ_OK : lq_sq_fail(db, err, "train");
    sqlite3_finalize(st);
    return ret;
}

int lq_sq_train_put(lq_backend *be, const char *repo, const char *base, const char *json,
                    lq_error *err)
{
    train_ctx t = {repo, base, json};
    return lq_sq_write(be, put_on, &t, err);
}
