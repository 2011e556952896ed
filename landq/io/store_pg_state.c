/* store_pg_state.c -- PostgreSQL backend: queue state (lq_pr), audit log (lq_audit) and the
 * webhook allowlist cache (landq_meta_hooks), on the request connection. Text that came from
 * GitHub is passed through lq_pg_utf8(): a title cut mid-character by a fixed-size field must
 * not make PostgreSQL refuse the whole row (SQLite stores any bytes). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_pg.h"

static const char columns[] =
    "repo, number, base, head_sha, state, labeler, labeled_at_ms, dirty, comment_id,"
    " comment_body, status_key, merge_sha, merge_title, merge_message, merge_attempts,"
    " landed_sha, updated_ms, priority";

static int row_to_record(const PGresult *r, int i, lq_pr_record *o)
{
    memset(o, 0, sizeof(*o));
    snprintf(o->repo, sizeof o->repo, "%s", lq_pg_str(r, i, 0));
    o->number = (int)lq_pg_i64(r, i, 1);
    snprintf(o->base, sizeof o->base, "%s", lq_pg_str(r, i, 2));
    snprintf(o->head_sha, sizeof o->head_sha, "%s", lq_pg_str(r, i, 3));
    int st = lq_pr_state_parse(lq_pg_str(r, i, 4));
    o->state = st < 0 ? LQ_PR_IDLE : (lq_pr_state)st;
    snprintf(o->labeler, sizeof o->labeler, "%s", lq_pg_str(r, i, 5));
    o->labeled_at_ms = lq_pg_i64(r, i, 6);
    o->dirty = (int)lq_pg_i64(r, i, 7);
    o->comment_id = lq_pg_i64(r, i, 8);
    snprintf(o->merge_sha, sizeof o->merge_sha, "%s", lq_pg_str(r, i, 11));
    o->merge_attempts = (int)lq_pg_i64(r, i, 14);
    snprintf(o->landed_sha, sizeof o->landed_sha, "%s", lq_pg_str(r, i, 15));
    o->updated_ms = lq_pg_i64(r, i, 16);
    o->priority = (int)lq_pg_i64(r, i, 17);
    if (lq_pr_record_set(&o->comment_body, lq_pg_str_or_null(r, i, 9)) ||
        lq_pr_record_set(&o->status_key, lq_pg_str_or_null(r, i, 10)) ||
        lq_pr_record_set(&o->merge_title, lq_pg_str_or_null(r, i, 12)) ||
        lq_pr_record_set(&o->merge_message, lq_pg_str_or_null(r, i, 13))) {
        lq_pr_record_dispose(o);
        return LQ_ENOMEM;
    }
    return LQ_OK;
}

/* Runs a statement on the request connection (locked for its duration). */
static int run(lq_backend *be, const char *what, const char *sql, int n, const char *const *vals,
               PGresult **out, lq_error *err)
{
    lq_pg *p = lq_pgb_begin(be);
    int rc = lq_pg_exec(p, what, sql, n, vals, NULL, NULL, out, err);
    lq_pgb_end(be);
    return rc;
}

int lq_pgb_pr_get(lq_backend *be, const char *repo, int number, lq_pr_record *out, lq_error *err)
{
    char sql[512], num[16];
    snprintf(sql, sizeof sql,
             "SELECT %s FROM lq_pr WHERE repo_key = lower($1) AND number = $2::integer", columns);
    snprintf(num, sizeof num, "%d", number);
    char *fr = NULL;
    const char *vals[] = {lq_pg_utf8(repo, &fr), num};
    PGresult *r = NULL;
    int rc = run(be, "get", sql, 2, vals, &r, err);
    free(fr);
    if (rc != LQ_OK)
        return rc;
    if (PQntuples(r) == 0)
        rc = lq_error_set(err, LQ_ENOTFOUND, "%s#%d is not in the store", repo, number);
    else if (row_to_record(r, 0, out))
        rc = lq_error_set(err, LQ_ENOMEM, "out of memory");
    PQclear(r);
    return rc;
}

int lq_pgb_pr_put(lq_backend *be, const lq_pr_record *rec, const lq_lease *fence,
                  int64_t *written, lq_error *err)
{
    char num[16], lab[24], dirty[8], cid[24], att[16], upd[24], prio[8], tok[24], rd[24];
    snprintf(rd, sizeof rd, "%lld", (long long)rec->updated_ms); /* as read */
    snprintf(prio, sizeof prio, "%d", rec->priority != 0);
    snprintf(num, sizeof num, "%d", rec->number);
    snprintf(lab, sizeof lab, "%lld", (long long)rec->labeled_at_ms);
    snprintf(dirty, sizeof dirty, "%d", rec->dirty ? 1 : 0);
    snprintf(cid, sizeof cid, "%lld", (long long)rec->comment_id);
    snprintf(att, sizeof att, "%d", rec->merge_attempts);
    snprintf(upd, sizeof upd, "%lld", (long long)lq_store_now_ms());
    snprintf(tok, sizeof tok, "%lld", (long long)(fence ? fence->token : 0));
    char *f[13] = {0};
    const char *vals[23] = {
        lq_pg_utf8(rec->repo, &f[0]),          num,
        lq_pg_utf8(rec->base, &f[1]),          lq_pg_utf8(rec->head_sha, &f[2]),
        lq_pr_state_str(rec->state),           lq_pg_utf8(rec->labeler, &f[3]),
        lab,                                   dirty,
        cid,                                   lq_pg_utf8(rec->comment_body, &f[4]),
        lq_pg_utf8(rec->status_key, &f[5]),    lq_pg_utf8(rec->merge_sha, &f[6]),
        lq_pg_utf8(rec->merge_title, &f[7]),   lq_pg_utf8(rec->merge_message, &f[8]),
        att,                                   lq_pg_utf8(rec->landed_sha, &f[9]),
        upd,                                   prio,
        fence ? lq_pg_utf8(fence->repo, &f[10]) : NULL,
        fence ? lq_pg_utf8(fence->base, &f[11]) : NULL,
        fence ? lq_pg_utf8(fence->holder, &f[12]) : NULL,
        tok, rd};
    static const char row[] =
        "$1, $2::integer, $3, $4, $5, $6, $7::bigint, $8::smallint, $9::bigint, $10, $11, $12,"
        " $13, $14, $15::integer, $16, $17::bigint, $18::smallint";
    char sql[2500];
    if (fence) /* written only if the lease row says the token is current (store.h) */
        snprintf(sql, sizeof sql,
                 "INSERT INTO lq_pr (%s, lease_token) SELECT %s, l.token" LQ_PGB_FENCE(19, 20, 21, 22)
                 " ON CONFLICT (repo_key, number) DO UPDATE SET "
                 LQ_PR_SET_FENCED("GREATEST", "$23::bigint") " RETURNING updated_ms",
                 columns, row);
    else
        snprintf(sql, sizeof sql,
                 "INSERT INTO lq_pr (%s) VALUES (%s)"
                 " ON CONFLICT (repo_key, number) DO UPDATE SET " LQ_PR_SET_UNFENCED("GREATEST")
                 " RETURNING updated_ms",
                 columns, row);
    PGresult *r = NULL;
    int rc = run(be, "put", sql, fence ? 23 : 18, vals, &r, err);
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
        free(f[i]);
    if (rc == LQ_OK && fence && PQntuples(r) == 0)
        rc = lq_error_set(err, LQ_ECONFLICT, "%s#%d not saved: the lease of %s:%s with token "
                          "%lld is no longer held", rec->repo, rec->number, fence->repo,
                          fence->base, (long long)fence->token);
    else if (rc == LQ_OK && written && PQntuples(r) == 1)
        *written = lq_pg_i64(r, 0, 0);
    PQclear(r);
    return rc;
}

int lq_pgb_pr_list(lq_backend *be, lq_store_filter filter, lq_pr_record **out, size_t *count,
                   lq_error *err)
{
    const char *where = filter == LQ_STORE_DIRTY ? "WHERE dirty = 1"
                        : filter == LQ_STORE_QUEUED
                            ? "WHERE state IN ('armed', 'ready', 'merging', 'blocked')"
                            : "";
    char sql[1024];
    snprintf(sql, sizeof sql, "SELECT %s FROM lq_pr %s ORDER BY labeled_at_ms, number", columns,
             where);
    PGresult *r = NULL;
    int rc = run(be, "list", sql, 0, NULL, &r, err);
    if (rc != LQ_OK)
        return rc;
    size_t n = (size_t)PQntuples(r);
    lq_pr_record *recs = n ? calloc(n, sizeof(*recs)) : NULL;
    if (n && !recs) {
        PQclear(r);
        return lq_error_set(err, LQ_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++)
        if (row_to_record(r, (int)i, &recs[i])) {
            lq_store_list_free(recs, i);
            PQclear(r);
            return lq_error_set(err, LQ_ENOMEM, "out of memory");
        }
    PQclear(r);
    *out = recs;
    *count = n;
    return LQ_OK;
}

static int mark(lq_backend *be, const char *repo, const char *key, int by_base, int *marked,
                lq_error *err)
{
    char *f1 = NULL, *f2 = NULL;
    const char *vals[] = {lq_pg_utf8(repo, &f1), lq_pg_utf8(key, &f2)};
    PGresult *r = NULL;
    int rc = run(be, "mark",
                 /* updated_ms grows: a lease holder's write keeps this mark (store_backend.h) */
                 by_base ? "UPDATE lq_pr SET dirty = 1, updated_ms = GREATEST(lq_now_ms(),"
                           " updated_ms + 1) WHERE repo_key = lower($1) AND base = $2"
                           " AND state IN ('armed', 'ready', 'blocked')"
                         : "UPDATE lq_pr SET dirty = 1, updated_ms = GREATEST(lq_now_ms(),"
                           " updated_ms + 1) WHERE repo_key = lower($1) AND head_sha = $2"
                           " AND state IN ('armed', 'ready', 'blocked')",
                 2, vals, &r, err);
    free(f1);
    free(f2);
    *marked = 0;
    if (rc != LQ_OK)
        return rc;
    *marked = atoi(PQcmdTuples(r));
    PQclear(r);
    return LQ_OK;
}

int lq_pgb_pr_mark_sha_dirty(lq_backend *be, const char *repo, const char *sha, int *marked,
                             lq_error *err)
{
    return mark(be, repo, sha, 0, marked, err);
}

int lq_pgb_pr_mark_branch_dirty(lq_backend *be, const char *repo, const char *base,
                                int *marked, lq_error *err)
{
    return mark(be, repo, base, 1, marked, err);
}

int lq_pgb_audit_add(lq_backend *be, const lq_audit_entry *a, const lq_lease *fence,
                     lq_error *err)
{
    char at[24], num[16], tok[24];
    snprintf(at, sizeof at, "%lld", (long long)a->at_ms);
    snprintf(num, sizeof num, "%d", a->number);
    snprintf(tok, sizeof tok, "%lld", (long long)(fence ? fence->token : 0));
    char *f[9] = {0};
    const char *vals[] = {at,
                          lq_pg_utf8(a->repo, &f[0]),
                          num,
                          lq_pg_utf8(a->head_sha, &f[1]),
                          lq_pg_utf8(a->action, &f[2]),
                          lq_pg_utf8(a->summary, &f[3]),
                          lq_pg_utf8(a->reasons, &f[4]),
                          lq_pg_utf8(a->commit_sha, &f[5]),
                          fence ? lq_pg_utf8(fence->repo, &f[6]) : NULL,
                          fence ? lq_pg_utf8(fence->base, &f[7]) : NULL,
                          fence ? lq_pg_utf8(fence->holder, &f[8]) : NULL,
                          tok};
    PGresult *r = NULL;
    int rc = run(be, "audit",
                 fence ? "INSERT INTO lq_audit (at_ms, repo, number, head_sha, action, summary,"
                         " reasons, commit_sha, lease_token) SELECT $1::bigint, $2, $3::integer,"
                         " $4, $5, $6, $7, $8, l.token" LQ_PGB_FENCE(9, 10, 11, 12) " RETURNING id"
                       : "INSERT INTO lq_audit (at_ms, repo, number, head_sha, action, summary,"
                         " reasons, commit_sha) VALUES ($1::bigint, $2, $3::integer, $4, $5, $6,"
                         " $7, $8)",
                 fence ? 12 : 8, vals, &r, err);
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
        free(f[i]);
    if (rc == LQ_OK && fence && PQntuples(r) == 0)
        rc = lq_error_set(err, LQ_ECONFLICT, "audit row of %s#%d not written: the lease of "
                          "%s:%s with token %lld is no longer held", a->repo, a->number,
                          fence->repo, fence->base, (long long)fence->token);
    PQclear(r);
    return rc;
}

int lq_pgb_audit_each(lq_backend *be, const char *repo, int number, long limit, lq_audit_fn fn,
                      void *ctx, lq_error *err)
{
    char num[16], lim[24];
    snprintf(num, sizeof num, "%d", number);
    snprintf(lim, sizeof lim, "%ld", limit);
    char *fr = NULL;
    const char *vals[] = {lq_pg_utf8(repo, &fr), num, limit >= 0 ? lim : NULL};
    PGresult *r = NULL;
    int rc = run(be, "audit",
                 "SELECT at_ms, repo, number, head_sha, action, summary, reasons, commit_sha, id"
                 " FROM (SELECT * FROM lq_audit WHERE ($1 = '' OR (lower(repo) = lower($1) AND"
                 " number = $2::integer)) ORDER BY id DESC LIMIT $3::bigint) t"
                 " ORDER BY at_ms, id",
                 3, vals, &r, err);
    free(fr);
    if (rc != LQ_OK)
        return rc;
    for (int i = 0; i < PQntuples(r); i++) {
        lq_audit_entry row = {.id = lq_pg_i64(r, i, 8),
                              .at_ms = lq_pg_i64(r, i, 0), .repo = lq_pg_str(r, i, 1),
                            .number = (int)lq_pg_i64(r, i, 2), .head_sha = lq_pg_str(r, i, 3),
                            .action = lq_pg_str(r, i, 4), .summary = lq_pg_str(r, i, 5),
                            .reasons = lq_pg_str(r, i, 6), .commit_sha = lq_pg_str(r, i, 7)};
        if ((rc = fn(ctx, &row)) != 0)
            break;
    }
    PQclear(r);
    return rc;
}

int lq_pgb_audit_prune(lq_backend *be, int64_t before_ms, int limit, int64_t *deleted,
                       lq_error *err)
{
    char b[24], l[24];
    snprintf(b, sizeof b, "%lld", (long long)before_ms);
    snprintf(l, sizeof l, "%d", limit);
    const char *vals[] = {b, l};
    PGresult *r = NULL;
    int rc = run(be, "audit prune",
                 "DELETE FROM lq_audit WHERE id IN (SELECT id FROM lq_audit WHERE"
                 " at_ms < $1::bigint ORDER BY id LIMIT $2::bigint FOR UPDATE SKIP LOCKED)",
                 2, vals, &r, err);
    *deleted = 0;
    if (rc != LQ_OK)
        return rc;
    *deleted = atoll(PQcmdTuples(r));
    PQclear(r);
    return LQ_OK;
}

int lq_pgb_meta_get(lq_backend *be, char **body, int64_t *fetched_at, lq_error *err)
{
    PGresult *r = NULL;
    int rc = run(be, "allowlist", "SELECT body, fetched_at FROM landq_meta_hooks WHERE id = 1",
                 0, NULL, &r, err);
    if (rc != LQ_OK)
        return rc;
    if (PQntuples(r) == 0) {
        rc = lq_error_set(err, LQ_ENOTFOUND, "no webhook allowlist stored");
    } else {
        *fetched_at = lq_pg_i64(r, 0, 1);
        *body = strdup(lq_pg_str(r, 0, 0));
        if (!*body)
            rc = lq_error_set(err, LQ_ENOMEM, "out of memory");
    }
    PQclear(r);
    return rc;
}

int lq_pgb_meta_put(lq_backend *be, const char *body, int64_t fetched_at, lq_error *err)
{
    char at[24];
    snprintf(at, sizeof at, "%lld", (long long)fetched_at);
    char *f = NULL;
    const char *vals[] = {lq_pg_utf8(body, &f), at};
    int rc = run(be, "allowlist",
                 "INSERT INTO landq_meta_hooks (id, body, fetched_at) VALUES (1, $1, $2::bigint)"
                 " ON CONFLICT (id) DO UPDATE SET body = excluded.body,"
                 " fetched_at = excluded.fetched_at",
                 2, vals, NULL, err);
    free(f);
    return rc;
}

int lq_pgb_landings(lq_backend *be, size_t limit, lq_landing_row **out, size_t *count,
                    lq_error *err)
{
    char lim[24];
    snprintf(lim, sizeof lim, "%zu", limit);
    const char *vals[] = {lim};
    PGresult *r = NULL;
    int rc = run(be, "landings",
                 "SELECT a.repo, a.number, a.at_ms, a.commit_sha, coalesce(p.base, ''),"
                 " coalesce(p.labeled_at_ms, 0), coalesce(p.merge_title, '') FROM lq_audit a"
                 " LEFT JOIN lq_pr p ON p.repo_key = lower(a.repo) AND p.number = a.number"
                 " WHERE a.action = 'landed' ORDER BY a.id DESC LIMIT $1::bigint",
                 1, vals, &r, err);
    if (rc != LQ_OK)
        return rc;
    size_t n = (size_t)PQntuples(r);
    lq_landing_row *rows = calloc(n ? n : 1, sizeof(*rows));
    if (!rows) {
        PQclear(r);
        return lq_error_set(err, LQ_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        lq_landing_row *l = &rows[i];
        l->repo = strdup(lq_pg_str(r, (int)i, 0));
        l->number = (int)lq_pg_i64(r, (int)i, 1);
        l->landed_at_ms = lq_pg_i64(r, (int)i, 2);
        l->commit_sha = strdup(lq_pg_str(r, (int)i, 3));
        l->base = strdup(lq_pg_str(r, (int)i, 4));
        l->labeled_at_ms = lq_pg_i64(r, (int)i, 5);
        l->title = strdup(lq_pg_str(r, (int)i, 6));
        if (!l->repo || !l->commit_sha || !l->base || !l->title) {
            lq_store_landing_rows_free(rows, i + 1);
            PQclear(r);
            return lq_error_set(err, LQ_ENOMEM, "out of memory");
        }
    }
    PQclear(r);
    *out = rows;
    *count = n;
    return LQ_OK;
}

int lq_pgb_freeze_set(lq_backend *be, const char *repo, const char *branch, const char *reason,
                      const char *by, int64_t since_ms, lq_error *err)
{
    char since[24];
    snprintf(since, sizeof since, "%lld", (long long)since_ms);
    char *f[4] = {0};
    const char *vals[] = {lq_pg_utf8(repo, &f[0]), lq_pg_utf8(branch, &f[1]),
                          lq_pg_utf8(reason, &f[2]), lq_pg_utf8(by, &f[3]), since};
    int rc = run(be, "freeze",
                 "INSERT INTO lq_freeze (repo, branch, reason, by_whom, since_ms) VALUES"
                 " ($1, $2, $3, $4, $5::bigint) ON CONFLICT (repo_key, branch) DO UPDATE SET"
                 " repo = excluded.repo, reason = excluded.reason, by_whom = excluded.by_whom,"
                 " since_ms = excluded.since_ms",
                 5, vals, NULL, err);
    for (size_t i = 0; i < 4; i++)
        free(f[i]);
    return rc;
}

int lq_pgb_freeze_clear(lq_backend *be, const char *repo, const char *branch, int *was,
                        lq_error *err)
{
    char *f1 = NULL, *f2 = NULL;
    const char *vals[] = {lq_pg_utf8(repo, &f1), lq_pg_utf8(branch, &f2)};
    PGresult *r = NULL;
    int rc = run(be, "unfreeze",
                 "DELETE FROM lq_freeze WHERE repo_key = lower($1) AND branch = $2", 2, vals,
                 &r, err);
    free(f1);
    free(f2);
    *was = 0;
    if (rc != LQ_OK)
        return rc;
    *was = atoi(PQcmdTuples(r)) > 0;
    PQclear(r);
    return LQ_OK;
}

int lq_pgb_freeze_list(lq_backend *be, const char *repo, const char *branch,
                       lq_freeze_row **out, size_t *count, lq_error *err)
{
    char *f1 = NULL, *f2 = NULL;
    const char *vals[] = {lq_pg_utf8(repo, &f1), lq_pg_utf8(branch, &f2)};
    PGresult *r = NULL;
    int rc = repo ? run(be, "freeze list",
                        "SELECT repo, branch, reason, by_whom, since_ms FROM lq_freeze"
                        " WHERE repo_key = lower($1) AND branch = $2",
                        2, vals, &r, err)
                  : run(be, "freeze list",
                        "SELECT repo, branch, reason, by_whom, since_ms FROM lq_freeze"
                        " ORDER BY repo_key, branch COLLATE \"C\"",
                        0, NULL, &r, err);
    free(f1);
    free(f2);
    if (rc != LQ_OK)
        return rc;
    size_t n = (size_t)PQntuples(r);
    lq_freeze_row *rows = calloc(n ? n : 1, sizeof(*rows));
    if (!rows) {
        PQclear(r);
        return lq_error_set(err, LQ_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        lq_freeze_row *z = &rows[i];
        snprintf(z->repo, sizeof z->repo, "%s", lq_pg_str(r, (int)i, 0));
        snprintf(z->branch, sizeof z->branch, "%s", lq_pg_str(r, (int)i, 1));
        snprintf(z->by, sizeof z->by, "%s", lq_pg_str(r, (int)i, 3));
        z->since_ms = lq_pg_i64(r, (int)i, 4);
        if (!(z->reason = strdup(lq_pg_str(r, (int)i, 2)))) {
            lq_store_freeze_rows_free(rows, i);
            PQclear(r);
            return lq_error_set(err, LQ_ENOMEM, "out of memory");
        }
    }
    PQclear(r);
    *out = rows;
    *count = n;
    return LQ_OK;
}
