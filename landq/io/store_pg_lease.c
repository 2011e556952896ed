/* store_pg_lease.c -- PostgreSQL backend: branch leases (store.h, "Branch leases"). Every time
 * is the database's (lq_now_ms(), clock_timestamp-based): instances never compare their own
 * clocks. Acquire runs in one transaction holding the lease row FOR UPDATE, so two instances
 * racing for an expired lease cannot both get it; fenced writes hold the row FOR SHARE
 * (LQ_PGB_FENCE), so a takeover commits only after a write under the old token has, and every
 * write after the takeover sees the new token and is refused. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_pg.h"

static void fill(lq_lease *l, const PGresult *r)
{
    l->token = lq_pg_i64(r, 0, 0);
    l->expires_ms = lq_pg_i64(r, 0, 1);
    l->ttl_left_ms = lq_pg_i64(r, 0, 2);
}

int lq_pgb_lease_acquire(lq_backend *be, const char *repo, const char *base, const char *holder,
                         int64_t ttl_ms, lq_lease *out, lq_error *err)
{
    snprintf(out->repo, sizeof out->repo, "%s", repo);
    snprintf(out->base, sizeof out->base, "%s", base);
    snprintf(out->holder, sizeof out->holder, "%s", holder);
    char ttl[24];
    snprintf(ttl, sizeof ttl, "%lld", (long long)ttl_ms);
    char *f[3] = {0};
    const char *vals[] = {lq_pg_utf8(repo, &f[0]), lq_pg_utf8(base, &f[1]),
                          lq_pg_utf8(holder, &f[2]), ttl};
    PGresult *r = NULL;
    lq_pg *p = lq_pgb_begin(be);
    int rc = lq_pg_exec(p, "lease", "BEGIN", 0, NULL, NULL, NULL, NULL, err);
    if (rc == LQ_OK)
        rc = lq_pg_exec(p, "lease", "INSERT INTO lq_lease (repo, base) VALUES ($1, $2)"
                        " ON CONFLICT (repo_key, base) DO NOTHING", 2, vals, NULL, NULL, NULL,
                        err);
    if (rc == LQ_OK)
        rc = lq_pg_exec(p, "lease", "SELECT holder, expires_ms <= lq_now_ms() FROM lq_lease"
                        " WHERE repo_key = lower($1) AND base = $2 FOR UPDATE", 2, vals, NULL,
                        NULL, &r, err);
    int free_to_take = 0;
    if (rc == LQ_OK && PQntuples(r) == 1) {
        const char *prev = lq_pg_str(r, 0, 0);
        int expired = !strcmp(lq_pg_str(r, 0, 1), "t");
        free_to_take = !*prev || !strcmp(prev, holder) || expired;
        out->took_over = *prev && strcmp(prev, holder) && expired;
    }
    PQclear(r);
    r = NULL;
    if (rc == LQ_OK && free_to_take)
        rc = lq_pg_exec(p, "lease",
                        "UPDATE lq_lease SET token = token + CASE WHEN holder = $3 THEN 0 ELSE 1 END,"
                        " acquired_ms = CASE WHEN holder = $3 THEN acquired_ms ELSE lq_now_ms() END,"
                        " holder = $3, expires_ms = lq_now_ms() + $4::bigint"
                        " WHERE repo_key = lower($1) AND base = $2"
                        " RETURNING token, expires_ms, expires_ms - lq_now_ms()",
                        4, vals, NULL, NULL, &r, err);
    if (rc == LQ_OK && free_to_take && PQntuples(r) == 1)
        fill(out, r);
    PQclear(r);
    if (rc == LQ_OK)
        rc = lq_pg_exec(p, "lease", "COMMIT", 0, NULL, NULL, NULL, NULL, err);
    if (rc != LQ_OK && p->c)
        lq_pg_exec(p, "lease", "ROLLBACK", 0, NULL, NULL, NULL, NULL, NULL);
    lq_pgb_end(be);
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
        free(f[i]);
    if (rc == LQ_OK && !free_to_take) {
        out->took_over = 0;
        return lq_error_set(err, LQ_ECONFLICT, "lease of %s:%s is held by another instance",
                            repo, base);
    }
    return rc;
}

/* Renew (release = 0) or release: only by l's holder with l's token. */
static int update(lq_backend *be, lq_lease *l, int64_t ttl_ms, int release, lq_error *err)
{
    char ttl[24], tok[24];
    snprintf(ttl, sizeof ttl, "%lld", (long long)ttl_ms);
    snprintf(tok, sizeof tok, "%lld", (long long)l->token);
    char *f[3] = {0};
    const char *vals[] = {lq_pg_utf8(l->repo, &f[0]), lq_pg_utf8(l->base, &f[1]),
                          lq_pg_utf8(l->holder, &f[2]), tok, ttl};
    PGresult *r = NULL;
    lq_pg *p = lq_pgb_begin(be);
    int rc = lq_pg_exec(p, "lease",
                        release ? "UPDATE lq_lease SET holder = '', expires_ms = 0"
                                  " WHERE repo_key = lower($1) AND base = $2 AND holder = $3"
                                  " AND token = $4::bigint"
                                  " RETURNING token, expires_ms, 0"
                                : "UPDATE lq_lease SET expires_ms = lq_now_ms() + $5::bigint"
                                  " WHERE repo_key = lower($1) AND base = $2 AND holder = $3"
                                  " AND token = $4::bigint"
                                  " RETURNING token, expires_ms, expires_ms - lq_now_ms()",
                        release ? 4 : 5, vals, NULL, NULL, &r, err);
    lq_pgb_end(be);
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
        free(f[i]);
    if (rc != LQ_OK)
        return rc;
    int found = PQntuples(r) == 1;
    if (found && !release)
        fill(l, r);
    PQclear(r);
    if (!found && !release)
        return lq_error_set(err, LQ_ECONFLICT, "lease of %s:%s with token %lld lost", l->repo,
                            l->base, (long long)l->token);
    return LQ_OK;
}

int lq_pgb_lease_renew(lq_backend *be, lq_lease *l, int64_t ttl_ms, lq_error *err)
{
    return update(be, l, ttl_ms, 0, err);
}

int lq_pgb_lease_release(lq_backend *be, const lq_lease *l, lq_error *err)
{
    lq_lease copy = *l;
    return update(be, &copy, 0, 1, err);
}

int lq_pgb_lease_get(lq_backend *be, const char *repo, const char *base, lq_lease *out,
                     lq_error *err)
{
    char *f[2] = {0};
    const char *vals[] = {lq_pg_utf8(repo, &f[0]), lq_pg_utf8(base, &f[1])};
    PGresult *r = NULL;
    lq_pg *p = lq_pgb_begin(be);
    int rc = lq_pg_exec(p, "lease", "SELECT token, expires_ms, expires_ms - lq_now_ms(), holder"
                        " FROM lq_lease WHERE repo_key = lower($1) AND base = $2", 2, vals, NULL,
                        NULL, &r, err);
    lq_pgb_end(be);
    free(f[0]);
    free(f[1]);
    if (rc != LQ_OK)
        return rc;
    if (PQntuples(r) == 1) {
        fill(out, r);
        snprintf(out->holder, sizeof out->holder, "%s", lq_pg_str(r, 0, 3));
    } else {
        rc = lq_error_set(err, LQ_ENOTFOUND, "no lease for %s:%s", repo, base);
    }
    PQclear(r);
    return rc;
}
