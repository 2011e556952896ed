/* store_backend: the persistence port. Every storage backend implements lq_store_ops (a
 * versioned vtable, libgit2 refdb-backend style); inbox.c and store.c are thin front ends that
 * pick the backend from the `db` setting (core/dburl.h) and call through it. Backends:
 *   store_sqlite*.c (store_sqlite.c: open, ops table)  SQLite, the embedded default
 *   store_pg.c (+ store_pg_state.c, pg_conn.c)  PostgreSQL 15 through libpq
 * The same test suites (tests/unit/test_store.c, test_inbox.c) run against both.
 *
 * Schema: both backends keep the same logical schema, versioned by migrations numbered 1..
 * LQ_STORE_SCHEMA_VERSION (table lq_schema: one row per applied migration). To change the
 * schema, append migration N+1 to BOTH backends' tables (store_sqlite_schema.c, store_pg.c),
 * raise LQ_STORE_SCHEMA_VERSION, and never edit an applied migration. Open applies the missing ones
 * once (SQLite: under the write lock; PostgreSQL: under an advisory transaction lock, so
 * instances starting together do not race) and refuses a database whose version is higher than
 * LQ_STORE_SCHEMA_VERSION (a newer landq wrote it).
 *
 * Internal to landq/io: nothing outside the store uses this header. */
#ifndef LQ_STORE_BACKEND_H
#define LQ_STORE_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "gcommit.h"
#include "inbox.h"
#include "store.h"

#define LQ_STORE_OPS_VERSION 3
#define LQ_STORE_SCHEMA_VERSION 3

/* The lq_pr upsert's DO UPDATE, the same text on both backends (store.h, "Branch leases"):
 * a fenced write (lease_token = the current token, checked by the INSERT ... SELECT from
 * lq_lease) replaces the row; an unfenced one changes only what it observes once a fenced write
 * has owned the row, so a decoder's read-modify-write cannot undo the lease holder's landing
 * state. updated_ms only grows (MAX: SQLite max(), PostgreSQL GREATEST), so it tells whether
 * a row changed since it was read; a fenced write clearing `dirty` keeps it set when the row
 * changed since the holder read it (READ: the placeholder of the updated_ms it read), so a
 * "look again" mark made meanwhile by another instance is not lost. */
#define LQ_PR_SET_OBSERVED(MAX)                                                               \
    "repo = excluded.repo, base = excluded.base, head_sha = excluded.head_sha,"               \
    " labeler = excluded.labeler, labeled_at_ms = excluded.labeled_at_ms,"                    \
    " updated_ms = " MAX "(excluded.updated_ms, lq_pr.updated_ms + 1),"                       \
    " priority = excluded.priority"
#define LQ_PR_KEEP(c) ", " c " = CASE WHEN lq_pr.lease_token > 0 THEN lq_pr." c " ELSE excluded." c " END"
#define LQ_PR_SET_UNFENCED(MAX)                                                               \
    LQ_PR_SET_OBSERVED(MAX) ", dirty = excluded.dirty" LQ_PR_KEEP("state")                    \
    LQ_PR_KEEP("comment_id") LQ_PR_KEEP("comment_body") LQ_PR_KEEP("status_key")             \
    LQ_PR_KEEP("merge_sha") LQ_PR_KEEP("merge_title") LQ_PR_KEEP("merge_message")            \
    LQ_PR_KEEP("merge_attempts") LQ_PR_KEEP("landed_sha")
#define LQ_PR_SET_FENCED(MAX, READ)                                                           \
    LQ_PR_SET_OBSERVED(MAX) ", dirty = CASE WHEN excluded.dirty = 0 AND lq_pr.dirty = 1"      \
    " AND lq_pr.updated_ms <> " READ " THEN 1 ELSE excluded.dirty END,"                       \
    " state = excluded.state, comment_id = excluded.comment_id,"                              \
    " comment_body = excluded.comment_body, status_key = excluded.status_key,"                \
    " merge_sha = excluded.merge_sha, merge_title = excluded.merge_title,"                    \
    " merge_message = excluded.merge_message, merge_attempts = excluded.merge_attempts,"      \
    " landed_sha = excluded.landed_sha, lease_token = excluded.lease_token"

/* A backend's database handle; each backend casts it to its own struct. */
typedef struct lq_backend lq_backend;

typedef struct lq_backend_options {
    int inbox;          /* run the intake's group commit (writer threads) */
    int existing_only;  /* read-only tools: never create (SQLite) and never migrate */
    void (*on_stored)(void *ctx); /* after a commit that stored a new delivery */
    void *on_stored_ctx;
} lq_backend_options;

typedef struct lq_store_ops {
    unsigned version; /* LQ_STORE_OPS_VERSION */
    const char *name; /* "sqlite", "postgresql" */

    int (*open)(lq_backend **out, const char *target, const lq_backend_options *opt,
                lq_error *err);
    void (*close)(lq_backend *be);

    /* inbox: submit takes LQ_GC_PUT ops (group commit; needs opt.inbox) */
    int (*submit)(lq_backend *be, lq_gc_op *op);
    int (*inbox_next)(lq_backend *be, lq_delivery *out, lq_error *err);
    int (*inbox_done)(lq_backend *be, int64_t seq, lq_error *err);
    int (*inbox_pending)(lq_backend *be, int64_t *out, lq_error *err);
    int (*inbox_prune)(lq_backend *be, int64_t before_ms, int limit, int64_t *deleted,
                       lq_error *err);
    void (*inbox_stats)(lq_backend *be, lq_inbox_stats *out);

    /* queue state and audit (store.h has the contracts) */
    int (*pr_get)(lq_backend *be, const char *repo, int number, lq_pr_record *out,
                  lq_error *err);
    /* fence NULL: unfenced (store.h, "Branch leases"); else LQ_ECONFLICT when stale.
     * *written (may be NULL): the row's updated_ms after the write. */
    int (*pr_put)(lq_backend *be, const lq_pr_record *rec, const lq_lease *fence,
                  int64_t *written, lq_error *err);
    int (*pr_list)(lq_backend *be, lq_store_filter filter, lq_pr_record **out, size_t *count,
                   lq_error *err);
    int (*pr_mark_sha_dirty)(lq_backend *be, const char *repo, const char *sha, int *marked,
                             lq_error *err);
    int (*pr_mark_branch_dirty)(lq_backend *be, const char *repo, const char *base,
                                int *marked, lq_error *err);
    int (*audit_add)(lq_backend *be, const lq_audit_entry *row, const lq_lease *fence,
                     lq_error *err);
    int (*audit_each)(lq_backend *be, const char *repo, int number, long limit, lq_audit_fn fn,
                      void *ctx, lq_error *err);
    int (*landings)(lq_backend *be, size_t limit, lq_landing_row **out, size_t *count,
                    lq_error *err);
    /* freeze_list: every frozen branch, or only (repo, branch) when repo is non-NULL */
    int (*freeze_set)(lq_backend *be, const char *repo, const char *branch, const char *reason,
                      const char *by, int64_t since_ms, lq_error *err);
    int (*freeze_clear)(lq_backend *be, const char *repo, const char *branch, int *was,
                        lq_error *err);
    int (*freeze_list)(lq_backend *be, const char *repo, const char *branch,
                       lq_freeze_row **out, size_t *count, lq_error *err);
    int (*audit_prune)(lq_backend *be, int64_t before_ms, int limit, int64_t *deleted,
                       lq_error *err);
    int (*meta_get)(lq_backend *be, char **body, int64_t *fetched_at, lq_error *err);
    int (*meta_put)(lq_backend *be, const char *body, int64_t fetched_at, lq_error *err);

    /* branch leases (store.h) */
    int (*lease_acquire)(lq_backend *be, const char *repo, const char *base, const char *holder,
                         int64_t ttl_ms, lq_lease *out, lq_error *err);
    int (*lease_renew)(lq_backend *be, lq_lease *l, int64_t ttl_ms, lq_error *err);
    int (*lease_release)(lq_backend *be, const lq_lease *l, lq_error *err);
    int (*lease_get)(lq_backend *be, const char *repo, const char *base, lq_lease *out,
                     lq_error *err);

    /* predictive trains (store.h: lq_store_train_get/put) */
    int (*train_get)(lq_backend *be, const char *repo, const char *base, char **json,
                     lq_error *err);
    int (*train_put)(lq_backend *be, const char *repo, const char *base, const char *json,
                     lq_error *err);

    /* maintenance */
    int (*info)(lq_backend *be, lq_store_info *out, lq_error *err);
    int (*reclaim)(lq_backend *be, int64_t *out_bytes, lq_error *err);
} lq_store_ops;

extern const lq_store_ops lq_store_sqlite_ops;
extern const lq_store_ops lq_store_pg_ops;

/* The backend for target (by core/dburl.h). */
const lq_store_ops *lq_store_ops_for(const char *target);

/* Fills out from a stored row: checks the encoding and decompresses (inbox.c). LQ_EINVAL for
 * a corrupt row (out->seq and out->id still filled, body NULL), LQ_ENOMEM. */
int lq_delivery_decode(lq_delivery *out, int64_t seq, const char *id, const char *event,
                       int64_t received_ms, int encoding, int64_t raw_len, const void *data,
                       size_t len, const char *where, lq_error *err);

/* The backend an inbox runs on (store.c shares it). */
void lq_inbox_backend_get(lq_inbox *inbox, const lq_store_ops **ops, lq_backend **be);

/* SQLite backend: lq_inbox_run() (inbox.h). */
int lq_sqlite_run(lq_backend *be, lq_inbox_run_fn fn, void *ctx, lq_error *err);

/* Refusal of a schema from the future, the same words for both backends. */
int lq_store_schema_too_new(lq_error *err, const char *where, int found);

#endif
