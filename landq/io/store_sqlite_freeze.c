/* store_sqlite_freeze.c -- SQLite backend: branch freezes (lq_freeze): set, clear, list. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_sqlite.h"

typedef struct freeze_ctx {
    const char *repo, *branch, *reason, *by;
    int64_t since_ms;
    int changed;
} freeze_ctx;

static int freeze_set_on(sqlite3 *db, void *ctx, lq_error *err)
{
    freeze_ctx *f = ctx;
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO lq_freeze (repo, branch, reason, by_whom,"
                           " since_ms) VALUES (?1, ?2, ?3, ?4, ?5)", -1, &s, NULL) != SQLITE_OK)
        return lq_sq_fail(db, err, "freeze");
    sqlite3_bind_text(s, 1, f->repo, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 2, f->branch, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 3, f->reason, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 4, f->by, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 5, f->since_ms);
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? LQ_OK : lq_sq_fail(db, err, "freeze");
}

int lq_sq_freeze_set(lq_backend *be, const char *repo, const char *branch, const char *reason,
                     const char *by, int64_t since_ms, lq_error *err)
{
    freeze_ctx f = {repo, branch, reason, by, since_ms, 0};
    return lq_sq_write(be, freeze_set_on, &f, err);
}

static int freeze_clear_on(sqlite3 *db, void *ctx, lq_error *err)
{
    freeze_ctx *f = ctx;
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db, "DELETE FROM lq_freeze WHERE repo = ?1 AND branch = ?2", -1, &s,
                           NULL) != SQLITE_OK)
        return lq_sq_fail(db, err, "unfreeze");
    sqlite3_bind_text(s, 1, f->repo, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 2, f->branch, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE)
        return lq_sq_fail(db, err, "unfreeze");
    f->changed = sqlite3_changes(db);
    return LQ_OK;
}

int lq_sq_freeze_clear(lq_backend *be, const char *repo, const char *branch, int *was,
                       lq_error *err)
{
    freeze_ctx f = {repo, branch, NULL, NULL, 0, 0};
    int rc = lq_sq_write(be, freeze_clear_on, &f, err);
    *was = rc == LQ_OK && f.changed > 0;
    return rc;
}

int lq_sq_freeze_list(lq_backend *be, const char *repo, const char *branch, lq_freeze_row **out,
                      size_t *count, lq_error *err)
{
    sqlite3 *db = lq_sq_read_begin(be);
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db, repo ? "SELECT repo, branch, reason, by_whom, since_ms FROM"
                                      " lq_freeze WHERE repo = ?1 AND branch = ?2"
                                    : "SELECT repo, branch, reason, by_whom, since_ms FROM"
                                      " lq_freeze ORDER BY repo, branch",
                           -1, &s, NULL) != SQLITE_OK) {
        int ret = lq_sq_fail(db, err, "freeze list");
        lq_sq_read_end(be);
        return ret;
    }
    if (repo) {
        sqlite3_bind_text(s, 1, repo, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(s, 2, branch, -1, SQLITE_TRANSIENT);
    }
    lq_freeze_row *rows = NULL;
    size_t n = 0, cap = 0;
    int rc, ret = LQ_OK;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 8;
            lq_freeze_row *nr = realloc(rows, nc * sizeof(*nr));
            if (!nr) {
                ret = lq_error_set(err, LQ_ENOMEM, "out of memory");
                break;
            }
            rows = nr;
            cap = nc;
        }
        lq_freeze_row *r = &rows[n++];
        memset(r, 0, sizeof(*r));
        lq_sq_col_copy(r->repo, sizeof r->repo, s, 0);
        lq_sq_col_copy(r->branch, sizeof r->branch, s, 1);
        r->reason = lq_sq_col_dup(s, 2);
        lq_sq_col_copy(r->by, sizeof r->by, s, 3);
        r->since_ms = sqlite3_column_int64(s, 4);
        if (!r->reason) {
            ret = lq_error_set(err, LQ_ENOMEM, "out of memory");
            break;
        }
    }
    if (!ret && rc != SQLITE_DONE)
        ret = lq_sq_fail(db, err, "freeze list");
    sqlite3_finalize(s);
    lq_sq_read_end(be);
    if (ret) {
        lq_store_freeze_rows_free(rows, n);
        return ret;
    }
    *out = rows;
    *count = n;
    return LQ_OK;
}
