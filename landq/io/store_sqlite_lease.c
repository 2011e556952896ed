/* store_sqlite_lease.c -- SQLite backend: branch leases with fencing tokens (lq_lease). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_sqlite.h"

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

