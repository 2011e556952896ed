/* store_sqlite_audit.c -- SQLite backend: the audit log (lq_audit): fenced append, reading a
 * pull request's rows, the recent landings, and retention's prune. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_sqlite.h"

typedef struct audit_ctx {
    const lq_audit_entry *a;
    const lq_lease *fence;
} audit_ctx;

static int audit_on(sqlite3 *db, void *ctx, lq_error *err)
{
    const audit_ctx *ac = ctx;
    const lq_audit_entry *a = ac->a;
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db, ac->fence
                           ? "INSERT INTO lq_audit (at_ms, repo, number, head_sha, action, summary,"
                             " reasons, commit_sha, lease_token) SELECT ?1, ?2, ?3, ?4, ?5, ?6,"
                             " ?7, ?8, l.token FROM lq_lease l WHERE l.repo = ?9 AND l.base = ?10"
                             " AND l.holder = ?11 AND l.token = ?12"
                           : "INSERT INTO lq_audit (at_ms, repo, number, head_sha, action,"
                             " summary, reasons, commit_sha) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7,"
                             " ?8)",
                           -1, &s, NULL) != SQLITE_OK)
        return lq_sq_fail(db, err, "audit");
    sqlite3_bind_int64(s, 1, a->at_ms);
    sqlite3_bind_text(s, 2, a->repo, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(s, 3, a->number);
    sqlite3_bind_text(s, 4, a->head_sha, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 5, a->action, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 6, a->summary, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 7, a->reasons, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 8, a->commit_sha, -1, SQLITE_TRANSIENT);
    if (ac->fence) {
        sqlite3_bind_text(s, 9, ac->fence->repo, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(s, 10, ac->fence->base, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(s, 11, ac->fence->holder, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(s, 12, ac->fence->token);
    }
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE)
        return lq_sq_fail(db, err, "audit");
    if (ac->fence && sqlite3_changes(db) == 0)
        return lq_error_set(err, LQ_ECONFLICT, "audit row of %s#%d not written: the lease of "
                            "%s:%s with token %lld is no longer held", a->repo, a->number,
                            ac->fence->repo, ac->fence->base, (long long)ac->fence->token);
    return LQ_OK;
}

int lq_sq_audit_add(lq_backend *be, const lq_audit_entry *row, const lq_lease *fence,
                    lq_error *err)
{
    audit_ctx ac = {row, fence};
    return lq_sq_write(be, audit_on, &ac, err);
}

int lq_sq_audit_each(lq_backend *be, const char *repo, int number, long limit, lq_audit_fn fn,
                     void *ctx, lq_error *err)
{
    const char *sql =
        "SELECT at_ms, repo, number, head_sha, action, summary, reasons, commit_sha, id FROM ("
        " SELECT * FROM lq_audit WHERE (?1 = '' OR (repo = ?1 COLLATE NOCASE AND number = ?2))"
        " ORDER BY id DESC LIMIT ?3) ORDER BY at_ms, id";
    sqlite3 *db = lq_sq_read_begin(be);
    sqlite3_stmt *st = NULL;
    int ret = LQ_OK;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        ret = lq_sq_fail(db, err, "audit");
        goto out;
    }
    sqlite3_bind_text(st, 1, repo ? repo : "", -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 2, number);
    sqlite3_bind_int64(st, 3, limit);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        lq_audit_entry row = {.id = sqlite3_column_int64(st, 8),
                              .at_ms = sqlite3_column_int64(st, 0),
                              .repo = lq_sq_col_text(st, 1),
                              .number = sqlite3_column_int(st, 2),
                              .head_sha = lq_sq_col_text(st, 3),
                              .action = lq_sq_col_text(st, 4),
                              .summary = lq_sq_col_text(st, 5),
                              .reasons = lq_sq_col_text(st, 6),
                              .commit_sha = lq_sq_col_text(st, 7)};
        if ((ret = fn(ctx, &row)) != 0)
            goto out;
    }
    if (rc != SQLITE_DONE)
        ret = lq_sq_fail(db, err, "audit");
out:
    sqlite3_finalize(st);
    lq_sq_read_end(be);
    return ret;
}

typedef struct prune_ctx {
    int64_t before_ms;
    int limit;
    int64_t deleted;
} prune_ctx;

static int audit_prune_on(sqlite3 *db, void *ctx, lq_error *err)
{
    prune_ctx *p = ctx;
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db, "DELETE FROM lq_audit WHERE id IN (SELECT id FROM lq_audit"
                           " WHERE at_ms < ?1 ORDER BY id LIMIT ?2)", -1, &s, NULL) != SQLITE_OK)
        return lq_sq_fail(db, err, "audit prune");
    sqlite3_bind_int64(s, 1, p->before_ms);
    sqlite3_bind_int(s, 2, p->limit);
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE)
        return lq_sq_fail(db, err, "audit prune");
    p->deleted = sqlite3_changes(db);
    return LQ_OK;
}

int lq_sq_audit_prune(lq_backend *be, int64_t before_ms, int limit, int64_t *deleted,
                      lq_error *err)
{
    prune_ctx p = {before_ms, limit, 0};
    int rc = lq_sq_write(be, audit_prune_on, &p, err);
    *deleted = rc == LQ_OK ? p.deleted : 0;
    return rc;
}

int lq_sq_landings(lq_backend *be, size_t limit, lq_landing_row **out, size_t *count,
                   lq_error *err)
{
    sqlite3 *db = lq_sq_read_begin(be);
    sqlite3_stmt *s = NULL;
    int ret = LQ_OK;
    if (sqlite3_prepare_v2(db, "SELECT a.repo, a.number, a.at_ms, a.commit_sha, p.base,"
                           " p.labeled_at_ms, p.merge_title FROM lq_audit a LEFT JOIN lq_pr p"
                           " ON p.repo = a.repo AND p.number = a.number WHERE a.action = 'landed'"
                           " ORDER BY a.id DESC LIMIT ?1", -1, &s, NULL) != SQLITE_OK) {
        ret = lq_sq_fail(db, err, "landings");
        lq_sq_read_end(be);
        return ret;
    }
    sqlite3_bind_int64(s, 1, (sqlite3_int64)limit);
    lq_landing_row *rows = calloc(limit ? limit : 1, sizeof(*rows));
    size_t n = 0;
    int rc = SQLITE_DONE;
    if (!rows)
        ret = lq_error_set(err, LQ_ENOMEM, "out of memory");
    while (!ret && n < limit && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        lq_landing_row *r = &rows[n++];
        r->repo = lq_sq_col_dup(s, 0);
        r->number = sqlite3_column_int(s, 1);
        r->landed_at_ms = sqlite3_column_int64(s, 2);
        r->commit_sha = lq_sq_col_dup(s, 3);
        r->base = lq_sq_col_dup(s, 4);
        r->labeled_at_ms = sqlite3_column_int64(s, 5);
        r->title = lq_sq_col_dup(s, 6);
        if (!r->repo || !r->commit_sha || !r->base || !r->title)
            ret = lq_error_set(err, LQ_ENOMEM, "out of memory");
    }
    if (!ret && n < limit && rc != SQLITE_DONE)
        ret = lq_sq_fail(db, err, "landings");
    sqlite3_finalize(s);
    lq_sq_read_end(be);
    if (ret) {
        lq_store_landing_rows_free(rows, n);
        return ret;
    }
    *out = rows;
    *count = n;
    return LQ_OK;
}

