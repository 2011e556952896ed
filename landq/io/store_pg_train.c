/* store_pg_train.c -- predictive trains (lq_train) in the PostgreSQL backend: one JSON row per
 * (repo, base), on the request connection. */
#include <stdlib.h>
#include <string.h>

#include "store_pg.h"

int lq_pgb_train_get(lq_backend *be, const char *repo, const char *base, char **json,
                     lq_error *err)
{
    const char *vals[] = {repo, base};
    PGresult *r = NULL;
    lq_pg *p = lq_pgb_begin(be);
    int rc = lq_pg_exec(p, "train", "SELECT body FROM lq_train WHERE repo_key = lower($1) AND"
                        " base = $2", 2, vals, NULL, NULL, &r, err);
    lq_pgb_end(be);
    if (rc != LQ_OK)
        return rc;
    if (PQntuples(r) == 0) {
        rc = lq_error_set(err, LQ_ENOTFOUND, "no train stored for %s %s", repo, base);
    } else if (!(*json = strdup(lq_pg_str(r, 0, 0)))) {
        rc = lq_error_set(err, LQ_ENOMEM, "out of memory");
    }
    PQclear(r);
    return rc;
}

int lq_pgb_train_put(lq_backend *be, const char *repo, const char *base, const char *json,
                     lq_error *err)
{
    char *f1 = NULL, *f2 = NULL, *f3 = NULL;
    const char *vals[] = {lq_pg_utf8(repo, &f1), lq_pg_utf8(base, &f2), lq_pg_utf8(json, &f3)};
    lq_pg *p = lq_pgb_begin(be);
    int rc = lq_pg_exec(p, "train",
                        "INSERT INTO lq_train (repo, base, body, updated_ms) VALUES ($1, $2, $3,"
                        " (extract(epoch from clock_timestamp()) * 1000)::bigint)"
                        " ON CONFLICT (repo_key, base) DO UPDATE SET body = excluded.body,"
                        " updated_ms = excluded.updated_ms",
                        3, vals, NULL, NULL, NULL, err);
    lq_pgb_end(be);
    free(f1);
    free(f2);
    free(f3);
    return rc;
}
