/* store_pg: what store_pg.c (connections, group commit, inbox, migrations) gives
 * store_pg_state.c (queue state, audit log, allowlist cache). Internal to the PostgreSQL
 * backend. */
#ifndef LQ_STORE_PG_H
#define LQ_STORE_PG_H

#include "pg_conn.h"
#include "store_backend.h"

/* The request connection (everything but the intake's group commit), locked. */
lq_pg *lq_pgb_begin(lq_backend *be);
void lq_pgb_end(lq_backend *be);

/* store_pg_state.c */
int lq_pgb_pr_get(lq_backend *be, const char *repo, int number, lq_pr_record *out,
                  lq_error *err);
int lq_pgb_pr_put(lq_backend *be, const lq_pr_record *rec, const lq_lease *fence,
                  int64_t *written, lq_error *err);
int lq_pgb_pr_list(lq_backend *be, lq_store_filter filter, lq_pr_record **out, size_t *count,
                   lq_error *err);
int lq_pgb_pr_mark_sha_dirty(lq_backend *be, const char *repo, const char *sha, int *marked,
                             lq_error *err);
int lq_pgb_pr_mark_branch_dirty(lq_backend *be, const char *repo, const char *base,
                                int *marked, lq_error *err);
int lq_pgb_audit_add(lq_backend *be, const lq_audit_entry *row, const lq_lease *fence,
                     lq_error *err);
/* store_pg_lease.c */
int lq_pgb_lease_acquire(lq_backend *be, const char *repo, const char *base, const char *holder,
                         int64_t ttl_ms, lq_lease *out, lq_error *err);
int lq_pgb_lease_renew(lq_backend *be, lq_lease *l, int64_t ttl_ms, lq_error *err);
int lq_pgb_lease_release(lq_backend *be, const lq_lease *l, lq_error *err);
int lq_pgb_lease_get(lq_backend *be, const char *repo, const char *base, lq_lease *out,
                     lq_error *err);
/* The condition of a fenced write on lease l (alias l), parameters $n.. (repo, base, holder,
 * token): FOR SHARE, so a takeover's UPDATE of the lease row waits for this write's commit. */
#define LQ_PGB_FENCE(a, b, c, d)                                                              \
    " FROM lq_lease l WHERE l.repo_key = lower($" #a ") AND l.base = $" #b                   \
    " AND l.holder = $" #c " AND l.token = $" #d "::bigint AND l.expires_ms > lq_now_ms()"   \
    " FOR SHARE OF l"

int lq_pgb_audit_each(lq_backend *be, const char *repo, int number, long limit, lq_audit_fn fn,
                      void *ctx, lq_error *err);
int lq_pgb_landings(lq_backend *be, size_t limit, lq_landing_row **out, size_t *count,
                    lq_error *err);
int lq_pgb_freeze_set(lq_backend *be, const char *repo, const char *branch, const char *reason,
                      const char *by, int64_t since_ms, lq_error *err);
int lq_pgb_freeze_clear(lq_backend *be, const char *repo, const char *branch, int *was,
                        lq_error *err);
int lq_pgb_freeze_list(lq_backend *be, const char *repo, const char *branch,
                       lq_freeze_row **out, size_t *count, lq_error *err);
int lq_pgb_audit_prune(lq_backend *be, int64_t before_ms, int limit, int64_t *deleted,
                       lq_error *err);
int lq_pgb_meta_get(lq_backend *be, char **body, int64_t *fetched_at, lq_error *err);
int lq_pgb_meta_put(lq_backend *be, const char *body, int64_t fetched_at, lq_error *err);

/* store_pg_train.c */
int lq_pgb_train_get(lq_backend *be, const char *repo, const char *base, char **json,
                     lq_error *err);
int lq_pgb_train_put(lq_backend *be, const char *repo, const char *base, const char *json,
                     lq_error *err);

#endif
