/* store_sqlite_pr.c -- SQLite backend: the queue state of pull requests (lq_pr): get, fenced
 * put, list, and the dirty marks. Reads on the read connection, writes through lq_sq_write
 * (the inbox's group commit when there is one). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_sqlite.h"

static const char columns[] =
    "repo, number, base, head_sha, state, labeler, labeled_at_ms, dirty, comment_id,"
    " comment_body, status_key, merge_sha, merge_title, merge_message, merge_attempts,"
    " landed_sha, updated_ms, priority";

static int dup_col(char **dst, sqlite3_stmt *s, int col)
{
    const unsigned char *t = sqlite3_column_text(s, col);
    return lq_pr_record_set(dst, t ? (const char *)t : NULL);
}

static int row_to_record(sqlite3_stmt *s, lq_pr_record *r)
{
    memset(r, 0, sizeof(*r));
    lq_sq_col_copy(r->repo, sizeof r->repo, s, 0);
    r->number = sqlite3_column_int(s, 1);
    lq_sq_col_copy(r->base, sizeof r->base, s, 2);
    lq_sq_col_copy(r->head_sha, sizeof r->head_sha, s, 3);
    int st = lq_pr_state_parse((const char *)sqlite3_column_text(s, 4));
    r->state = st < 0 ? LQ_PR_IDLE : (lq_pr_state)st;
    lq_sq_col_copy(r->labeler, sizeof r->labeler, s, 5);
    r->labeled_at_ms = sqlite3_column_int64(s, 6);
    r->dirty = sqlite3_column_int(s, 7);
    r->comment_id = sqlite3_column_int64(s, 8);
    lq_sq_col_copy(r->merge_sha, sizeof r->merge_sha, s, 11);
    r->merge_attempts = sqlite3_column_int(s, 14);
    lq_sq_col_copy(r->landed_sha, sizeof r->landed_sha, s, 15);
    r->updated_ms = sqlite3_column_int64(s, 16);
    r->priority = sqlite3_column_int(s, 17);
    if (dup_col(&r->comment_body, s, 9) || dup_col(&r->status_key, s, 10) ||
        dup_col(&r->merge_title, s, 12) || dup_col(&r->merge_message, s, 13)) {
        lq_pr_record_dispose(r);
        return LQ_ENOMEM;
    }
    return LQ_OK;
}

int lq_sq_pr_get(lq_backend *be, const char *repo, int number, lq_pr_record *out, lq_error *err)
{
    char sql[512];
    snprintf(sql, sizeof sql, "SELECT %s FROM lq_pr WHERE repo = ?1 AND number = ?2", columns);
    sqlite3 *db = lq_sq_read_begin(be);
    sqlite3_stmt *s = NULL;
    int ret;
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK) {
        ret = lq_sq_fail(db, err, "get");
        goto out;
    }
    sqlite3_bind_text(s, 1, repo, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(s, 2, number);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        ret = row_to_record(s, out) ? lq_error_set(err, LQ_ENOMEM, "out of memory") : LQ_OK;
    else if (rc == SQLITE_DONE)
        ret = lq_error_set(err, LQ_ENOTFOUND, "%s#%d is not in the store", repo, number);
    else
        ret = lq_sq_fail(db, err, "get");
out:
    sqlite3_finalize(s);
    lq_sq_read_end(be);
    return ret;
}

typedef struct put_ctx {
    const lq_pr_record *r;
    const lq_lease *fence; /* NULL: unfenced */
    int64_t written;       /* updated_ms after the write */
} put_ctx;

static int put_on(sqlite3 *db, void *ctx, lq_error *err)
{
    put_ctx *pc = ctx;
    const lq_pr_record *r = pc->r;
    char sql[2048];
    if (pc->fence) /* the row is written only if the lease row says the token is current */
        snprintf(sql, sizeof sql, "INSERT INTO lq_pr (%s, lease_token) SELECT ?1, ?2, ?3, ?4, ?5,"
                 " ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, l.token"
                 " FROM lq_lease l WHERE l.repo = ?19 AND l.base = ?20 AND l.holder = ?21"
                 " AND l.token = ?22"
                 " ON CONFLICT (repo, number) DO UPDATE SET " LQ_PR_SET_FENCED("max", "?23")
                 " RETURNING updated_ms", columns);
    else
        snprintf(sql, sizeof sql, "INSERT INTO lq_pr (%s) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8,"
                 " ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)"
                 " ON CONFLICT (repo, number) DO UPDATE SET " LQ_PR_SET_UNFENCED("max")
                 " RETURNING updated_ms", columns);
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
        return lq_sq_fail(db, err, "put");
    sqlite3_bind_text(s, 1, r->repo, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(s, 2, r->number);
    sqlite3_bind_text(s, 3, r->base, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 4, r->head_sha, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 5, lq_pr_state_str(r->state), -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 6, r->labeler, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 7, r->labeled_at_ms);
    sqlite3_bind_int(s, 8, r->dirty);
    sqlite3_bind_int64(s, 9, r->comment_id);
    sqlite3_bind_text(s, 10, r->comment_body, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 11, r->status_key, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 12, r->merge_sha, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 13, r->merge_title, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 14, r->merge_message, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(s, 15, r->merge_attempts);
    sqlite3_bind_text(s, 16, r->landed_sha, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 17, lq_store_now_ms());
    sqlite3_bind_int(s, 18, r->priority != 0);
    if (pc->fence) {
        sqlite3_bind_text(s, 19, pc->fence->repo, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(s, 20, pc->fence->base, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(s, 21, pc->fence->holder, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(s, 22, pc->fence->token);
        sqlite3_bind_int64(s, 23, r->updated_ms); /* as read */
    }
    int rc = sqlite3_step(s), wrote = rc == SQLITE_ROW;
    if (wrote) {
        pc->written = sqlite3_column_int64(s, 0);
        rc = sqlite3_step(s);
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE)
        return lq_sq_fail(db, err, "put");
    if (pc->fence && !wrote)
        return lq_error_set(err, LQ_ECONFLICT, "%s#%d not saved: the lease of %s:%s with token "
                            "%lld is no longer held", r->repo, r->number, pc->fence->repo,
                            pc->fence->base, (long long)pc->fence->token);
    return LQ_OK;
}

int lq_sq_pr_put(lq_backend *be, const lq_pr_record *r, const lq_lease *fence, int64_t *written,
                 lq_error *err)
{
    put_ctx pc = {r, fence, 0};
    int rc = lq_sq_write(be, put_on, &pc, err);
    if (rc == LQ_OK && written)
        *written = pc.written;
    return rc;
}

int lq_sq_pr_list(lq_backend *be, lq_store_filter filter, lq_pr_record **out, size_t *count,
                  lq_error *err)
{
    const char *where = filter == LQ_STORE_DIRTY ? "WHERE dirty = 1"
                        : filter == LQ_STORE_QUEUED
                            ? "WHERE state IN ('armed', 'ready', 'merging', 'blocked')"
                            : "";
    char sql[1024];
    snprintf(sql, sizeof sql, "SELECT %s FROM lq_pr %s ORDER BY labeled_at_ms, number", columns,
             where);
    sqlite3 *db = lq_sq_read_begin(be);
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK) {
        int ret = lq_sq_fail(db, err, "list");
        lq_sq_read_end(be);
        return ret;
    }
    lq_pr_record *recs = NULL;
    size_t n = 0, cap = 0;
    int rc, ret = LQ_OK;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 16;
            lq_pr_record *nr = realloc(recs, nc * sizeof(*nr));
            if (!nr) {
                ret = lq_error_set(err, LQ_ENOMEM, "out of memory");
                break;
            }
            recs = nr;
            cap = nc;
        }
        if (row_to_record(s, &recs[n])) {
            ret = lq_error_set(err, LQ_ENOMEM, "out of memory");
            break;
        }
        n++;
    }
    if (!ret && rc != SQLITE_DONE)
        ret = lq_sq_fail(db, err, "list");
    sqlite3_finalize(s);
    lq_sq_read_end(be);
    if (ret) {
        lq_store_list_free(recs, n);
        return ret;
    }
    *out = recs;
    *count = n;
    return LQ_OK;
}

typedef struct mark_ctx {
    const char *repo, *sha; /* sha: the base branch when by_base */
    int by_base;
    int marked;
} mark_ctx;

static int mark_on(sqlite3 *db, void *ctx, lq_error *err)
{
    mark_ctx *m = ctx;
    sqlite3_stmt *s = NULL;
    /* updated_ms grows: a lease holder's write does not clear this mark (store_backend.h) */
    if (sqlite3_prepare_v2(db, m->by_base ? "UPDATE lq_pr SET dirty = 1, updated_ms ="
                           " max(?3, updated_ms + 1) WHERE repo = ?1 AND base"
                           " = ?2 AND state IN ('armed', 'ready', 'blocked')"
                           : "UPDATE lq_pr SET dirty = 1, updated_ms = max(?3, updated_ms + 1)"
                           " WHERE repo = ?1 AND head_sha = ?2"
                           " AND state IN ('armed', 'ready', 'blocked')", -1, &s, NULL) != SQLITE_OK)
        return lq_sq_fail(db, err, "mark");
    sqlite3_bind_text(s, 1, m->repo, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 2, m->sha, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 3, lq_store_now_ms());
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE)
        return lq_sq_fail(db, err, "mark");
    m->marked = sqlite3_changes(db);
    return LQ_OK;
}

int lq_sq_pr_mark_sha_dirty(lq_backend *be, const char *repo, const char *sha, int *marked,
                            lq_error *err)
{
    mark_ctx m = {.repo = repo, .sha = sha};
    int rc = lq_sq_write(be, mark_on, &m, err);
    *marked = rc == LQ_OK ? m.marked : 0;
    return rc;
}

int lq_sq_pr_mark_branch_dirty(lq_backend *be, const char *repo, const char *base, int *marked,
                               lq_error *err)
{
    mark_ctx m = {.repo = repo, .sha = base, .by_base = 1};
    int rc = lq_sq_write(be, mark_on, &m, err);
    *marked = rc == LQ_OK ? m.marked : 0;
    return rc;
}

