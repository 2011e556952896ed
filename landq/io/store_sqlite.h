/* store_sqlite: what store_sqlite.c (connections, group commit, inbox, migrations) gives the
 * files that keep landq's state in SQLite: store_sqlite_pr.c (queue state), _audit.c (audit
 * log), _lease.c (branch leases), _freeze.c (freezes), _meta.c (allowlist cache), _train.c
 * (predictive trains). Internal to the SQLite backend. */
#ifndef LQ_STORE_SQLITE_H
#define LQ_STORE_SQLITE_H

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "store_backend.h"

/* The read connection, locked (WAL readers never block the writer nor wait for it). */
sqlite3 *lq_sq_read_begin(lq_backend *be);
void lq_sq_read_end(lq_backend *be);
/* Runs fn(db, ctx, err) as a write: inside the inbox writer's next group commit when the backend
 * has one (sharing its fsync), else on the only connection (autocommit). */
int lq_sq_write(lq_backend *be, int (*fn)(sqlite3 *db, void *ctx, lq_error *err), void *ctx,
                lq_error *err);
const char *lq_sq_path(lq_backend *be);
int lq_sq_fail(sqlite3 *db, lq_error *err, const char *what);

/* Column readers: text or "" (lq_sq_col_text), copied into dst[cap], or a strdup (NULL: out of
 * memory). */
static inline const char *lq_sq_col_text(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? (const char *)t : "";
}

static inline void lq_sq_col_copy(char *dst, size_t cap, sqlite3_stmt *s, int col)
{
    snprintf(dst, cap, "%s", lq_sq_col_text(s, col));
}

static inline char *lq_sq_col_dup(sqlite3_stmt *s, int c)
{
    return strdup(lq_sq_col_text(s, c));
}

/* the state files */
int lq_sq_pr_get(lq_backend *be, const char *repo, int number, lq_pr_record *out,
                 lq_error *err);
int lq_sq_pr_put(lq_backend *be, const lq_pr_record *rec, const lq_lease *fence,
                 int64_t *written, lq_error *err);
int lq_sq_pr_list(lq_backend *be, lq_store_filter filter, lq_pr_record **out, size_t *count,
                  lq_error *err);
int lq_sq_pr_mark_sha_dirty(lq_backend *be, const char *repo, const char *sha, int *marked,
                            lq_error *err);
int lq_sq_pr_mark_branch_dirty(lq_backend *be, const char *repo, const char *base, int *marked,
                               lq_error *err);
int lq_sq_audit_add(lq_backend *be, const lq_audit_entry *row, const lq_lease *fence,
                    lq_error *err);
int lq_sq_lease_acquire(lq_backend *be, const char *repo, const char *base, const char *holder,
                        int64_t ttl_ms, lq_lease *out, lq_error *err);
int lq_sq_lease_renew(lq_backend *be, lq_lease *l, int64_t ttl_ms, lq_error *err);
int lq_sq_lease_release(lq_backend *be, const lq_lease *l, lq_error *err);
int lq_sq_lease_get(lq_backend *be, const char *repo, const char *base, lq_lease *out,
                    lq_error *err);
int lq_sq_audit_each(lq_backend *be, const char *repo, int number, long limit, lq_audit_fn fn,
                     void *ctx, lq_error *err);
int lq_sq_landings(lq_backend *be, size_t limit, lq_landing_row **out, size_t *count,
                   lq_error *err);
int lq_sq_freeze_set(lq_backend *be, const char *repo, const char *branch, const char *reason,
                     const char *by, int64_t since_ms, lq_error *err);
int lq_sq_freeze_clear(lq_backend *be, const char *repo, const char *branch, int *was,
                       lq_error *err);
int lq_sq_freeze_list(lq_backend *be, const char *repo, const char *branch, lq_freeze_row **out,
                      size_t *count, lq_error *err);
int lq_sq_audit_prune(lq_backend *be, int64_t before_ms, int limit, int64_t *deleted,
                      lq_error *err);
int lq_sq_meta_get(lq_backend *be, char **body, int64_t *fetched_at, lq_error *err);
int lq_sq_meta_put(lq_backend *be, const char *body, int64_t fetched_at, lq_error *err);

/* store_sqlite_train.c */
int lq_sq_train_get(lq_backend *be, const char *repo, const char *base, char **json,
                    lq_error *err);
int lq_sq_train_put(lq_backend *be, const char *repo, const char *base, const char *json,
                    lq_error *err);

#endif
