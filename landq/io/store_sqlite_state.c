/* store_sqlite_state.c -- SQLite backend: queue state (lq_pr), audit log (lq_audit) and the
 * webhook allowlist cache (landq_meta_hooks). Reads on the read connection, writes through
 * lq_sq_write (the inbox's group commit when there is one). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_sqlite.h"

static const char columns[] =
    "repo, number, base, head_sha, state, labeler, labeled_at_ms, dirty, comment_id,"
    " comment_body, status_key, merge_sha, merge_title, merge_message, merge_attempts,"
    " landed_sha, updated_ms, priority";

static void copy_col(char *dst, size_t cap, sqlite3_stmt *s, int col)
{
    const unsigned char *t = sqlite3_column_text(s, col);
    snprintf(dst, cap, "%s", t ? (const char *)t : "");
}

static int dup_col(char **dst, sqlite3_stmt *s, int col)
{
    const unsigned char *t = sqlite3_column_text(s, col);
    return lq_pr_record_set(dst, t ? (const char *)t : NULL);
}

static int row_to_record(sqlite3_stmt *s, lq_pr_record *r)
{
    memset(r, 0, sizeof(*r));
    copy_col(r->repo, sizeof r->repo, s, 0);
    r->number = sqlite3_column_int(s, 1);
    copy_col(r->base, sizeof r->base, s, 2);
    copy_col(r->head_sha, sizeof r->head_sha, s, 3);
    int st = lq_pr_state_parse((const char *)sqlite3_column_text(s, 4));
    r->state = st < 0 ? LQ_PR_IDLE : (lq_pr_state)st;
    copy_col(r->labeler, sizeof r->labeler, s, 5);
    r->labeled_at_ms = sqlite3_column_int64(s, 6);
    r->dirty = sqlite3_column_int(s, 7);
    r->comment_id = sqlite3_column_int64(s, 8);
    copy_col(r->merge_sha, sizeof r->merge_sha, s, 11);
    r->merge_attempts = sqlite3_column_int(s, 14);
    copy_col(r->landed_sha, sizeof r->landed_sha, s, 15);
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

/* ---- branch leases: one process owns a SQLite file, so acquire always succeeds (a restarted
 * landq takes over from its dead predecessor at once, with the next token); tokens are still
 * checked by every fenced write. Times are this machine's wall clock. */

typedef struct lease_ctx {
    const char *repo, *base, *holder;
    int64_t ttl_ms;
    lq_lease *l;  /* acquire: out; renew: in/out */
    int release;
} lease_ctx;

static int lease_step(sqlite3 *db, const char *sql, const lease_ctx *c, const lq_lease *l,
                      int64_t now, lq_lease *out, int *found, lq_error *err)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
        return lq_sq_fail(db, err, "lease");
    sqlite3_bind_text(s, 1, l ? l->repo : c->repo, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 2, l ? l->base : c->base, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 3, l ? l->holder : c->holder, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 4, now);
    sqlite3_bind_int64(s, 5, c->ttl_ms);
    sqlite3_bind_int64(s, 6, l ? l->token : 0);
    int rc = sqlite3_step(s);
    *found = rc == SQLITE_ROW;
    if (rc == SQLITE_ROW && out) {
        out->token = sqlite3_column_int64(s, 0);
        out->expires_ms = sqlite3_column_int64(s, 1);
        out->ttl_left_ms = out->expires_ms - now;
        const unsigned char *prev = sqlite3_column_text(s, 2);
        out->took_over = prev && *prev && strcmp((const char *)prev, l ? l->holder : c->holder);
        rc = sqlite3_step(s);
    }
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? LQ_OK : lq_sq_fail(db, err, "lease");
}

static int acquire_on(sqlite3 *db, void *ctx, lq_error *err)
{
    lease_ctx *c = ctx;
    int64_t now = lq_store_now_ms();
    int found = 0;
    lq_lease prev = {0};
    /* the row before: who held it (a change of holder is a takeover) */
    int rc = lease_step(db, "INSERT INTO lq_lease (repo, base) VALUES (?1, ?2)"
                        " ON CONFLICT (repo, base) DO NOTHING", c, NULL, now, NULL, &found, err);
    if (rc == LQ_OK)
        rc = lease_step(db, "SELECT token, expires_ms, holder FROM lq_lease WHERE repo = ?1"
                        " AND base = ?2 AND ?3 = ?3 AND ?4 = ?4 AND ?5 = ?5 AND ?6 = ?6",
                        c, NULL, now, &prev, &found, err);
    lq_lease got = {0};
    if (rc == LQ_OK)
        rc = lease_step(db, "UPDATE lq_lease SET holder = ?3,"
                        " token = token + (holder <> ?3), expires_ms = ?4 + ?5,"
                        " acquired_ms = CASE WHEN holder = ?3 THEN acquired_ms ELSE ?4 END"
                        " WHERE repo = ?1 AND base = ?2 AND ?6 = ?6"
                        " RETURNING token, expires_ms, holder",
                        c, NULL, now, &got, &found, err);
    if (rc == LQ_OK && !found)
        rc = lq_error_set(err, LQ_ERROR, "lease of %s:%s: no row", c->repo, c->base);
    if (rc == LQ_OK) {
        c->l->token = got.token;
        c->l->expires_ms = got.expires_ms;
        c->l->ttl_left_ms = got.ttl_left_ms;
        c->l->took_over = prev.took_over;
    }
    return rc;
}

static int renew_on(sqlite3 *db, void *ctx, lq_error *err)
{
    lease_ctx *c = ctx;
    int64_t now = lq_store_now_ms();
    int found = 0;
    lq_lease got = {0};
    int rc = lease_step(db, c->release
                            ? "UPDATE lq_lease SET holder = '', expires_ms = 0 WHERE repo = ?1"
                              " AND base = ?2 AND holder = ?3 AND token = ?6 AND ?4 = ?4"
                              " AND ?5 = ?5 RETURNING token, expires_ms, holder"
                            : "UPDATE lq_lease SET expires_ms = ?4 + ?5 WHERE repo = ?1"
                              " AND base = ?2 AND holder = ?3 AND token = ?6"
                              " RETURNING token, expires_ms, holder",
                        c, c->l, now, &got, &found, err);
    if (rc == LQ_OK && !found && !c->release)
        return lq_error_set(err, LQ_ECONFLICT, "lease of %s:%s with token %lld lost",
                            c->l->repo, c->l->base, (long long)c->l->token);
    if (rc == LQ_OK && !c->release) {
        c->l->expires_ms = got.expires_ms;
        c->l->ttl_left_ms = got.ttl_left_ms;
    }
    return rc;
}

int lq_sq_lease_acquire(lq_backend *be, const char *repo, const char *base, const char *holder,
                        int64_t ttl_ms, lq_lease *out, lq_error *err)
{
    snprintf(out->repo, sizeof out->repo, "%s", repo);
    snprintf(out->base, sizeof out->base, "%s", base);
    snprintf(out->holder, sizeof out->holder, "%s", holder);
    lease_ctx c = {.repo = repo, .base = base, .holder = holder, .ttl_ms = ttl_ms, .l = out};
    return lq_sq_write(be, acquire_on, &c, err);
}

int lq_sq_lease_renew(lq_backend *be, lq_lease *l, int64_t ttl_ms, lq_error *err)
{
    lease_ctx c = {.ttl_ms = ttl_ms, .l = l};
    return lq_sq_write(be, renew_on, &c, err);
}

int lq_sq_lease_get(lq_backend *be, const char *repo, const char *base, lq_lease *out,
                    lq_error *err)
{
    sqlite3 *db = lq_sq_read_begin(be);
    sqlite3_stmt *s = NULL;
    int ret;
    if (sqlite3_prepare_v2(db, "SELECT holder, token, expires_ms FROM lq_lease WHERE repo = ?1"
                           " AND base = ?2", -1, &s, NULL) != SQLITE_OK) {
        ret = lq_sq_fail(db, err, "lease");
        goto out;
    }
    sqlite3_bind_text(s, 1, repo, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 2, base, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        const unsigned char *h = sqlite3_column_text(s, 0);
        snprintf(out->holder, sizeof out->holder, "%s", h ? (const char *)h : "");
        out->token = sqlite3_column_int64(s, 1);
        out->expires_ms = sqlite3_column_int64(s, 2);
        out->ttl_left_ms = out->expires_ms - lq_store_now_ms();
        ret = LQ_OK;
    } else if (rc == SQLITE_DONE) {
        ret = lq_error_set(err, LQ_ENOTFOUND, "no lease for %s:%s", repo, base);
    } else {
        ret = lq_sq_fail(db, err, "lease");
    }
out:
    sqlite3_finalize(s);
    lq_sq_read_end(be);
    return ret;
}

int lq_sq_lease_release(lq_backend *be, const lq_lease *l, lq_error *err)
{
    lq_lease copy = *l;
    lease_ctx c = {.l = &copy, .release = 1};
    return lq_sq_write(be, renew_on, &c, err);
}

static const char *col(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? (const char *)t : "";
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
                              .at_ms = sqlite3_column_int64(st, 0), .repo = col(st, 1),
                            .number = sqlite3_column_int(st, 2), .head_sha = col(st, 3),
                            .action = col(st, 4), .summary = col(st, 5), .reasons = col(st, 6),
                            .commit_sha = col(st, 7)};
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

static char *col_dup(sqlite3_stmt *s, int c)
{
    return strdup(col(s, c));
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
        r->repo = col_dup(s, 0);
        r->number = sqlite3_column_int(s, 1);
        r->landed_at_ms = sqlite3_column_int64(s, 2);
        r->commit_sha = col_dup(s, 3);
        r->base = col_dup(s, 4);
        r->labeled_at_ms = sqlite3_column_int64(s, 5);
        r->title = col_dup(s, 6);
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
        copy_col(r->repo, sizeof r->repo, s, 0);
        copy_col(r->branch, sizeof r->branch, s, 1);
        r->reason = col_dup(s, 2);
        copy_col(r->by, sizeof r->by, s, 3);
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
