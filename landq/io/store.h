/* store: everything landq keeps, behind one interface with two backends (store_backend.h):
 * SQLite, the embedded default (one file, one instance), and PostgreSQL (several instances
 * sharing one queue). The `db` setting picks the backend (core/dburl.h): a file path, or a libpq
 * URI / keyword string.
 *
 * What is stored (docs/configuration.md describes the tables for operators):
 *   inbox_deliveries  the durable webhook inbox (inbox.h)
 *   lq_pr             one row per pull request landq has seen with the label (queue state)
 *   lq_audit          one row per decision that changed something: landed, refused, ejected...
 *   landq_meta_hooks  the last good webhook source allowlist (allowlist.c)
 *   lq_freeze         frozen branches (the queue page's merge freeze)
 *   lq_lease          branch leases: which instance drives landings of a (repo, base), with a
 *                     fencing token (see "Branch leases" below)
 *   lq_schema         the migrations applied (store_backend.h: LQ_STORE_SCHEMA_VERSION)
 *
 * Reads and writes: with an inbox attached (lq_store_open with an inbox, as `landq serve` does)
 * the store shares the inbox's backend. On SQLite its writes then run inside the inbox's group
 * commit, so during a webhook burst a store write shares the next fsync instead of queueing for
 * the writer's lock (measured: p99 ~11 ms instead of 160-600 ms; bench/README.md). On PostgreSQL
 * they are ordinary transactions on the store's connection (no single-writer lock to wait for).
 * Part of the crash-safety design: the worker persists a pull request's state BEFORE each side
 * effect (merge, label removal, comment, status), so a restart can re-check and resume.
 *
 * Thread safety: one lq_store per thread. */
#ifndef LQ_STORE_H
#define LQ_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "inbox.h"
#include "queue.h"

typedef struct lq_store lq_store;

typedef struct lq_pr_record {
    char repo[256];          /* "owner/name" */
    int number;
    char base[256];          /* base branch */
    char head_sha[64];       /* head SHA last evaluated */
    lq_pr_state state;
    char labeler[128];       /* who applied the label ("" = unknown) */
    int64_t labeled_at_ms;   /* label order */
    int dirty;               /* needs re-evaluation */
    int64_t comment_id;      /* landq's status comment (0 = none yet) */
    char *comment_body;      /* owned: last body written (NULL = none) */
    char *status_key;        /* owned: "sha state description" of the last status posted */
    char merge_sha[64];      /* head SHA approved for the merge in flight */
    char *merge_title;       /* owned */
    char *merge_message;     /* owned */
    int merge_attempts;
    char landed_sha[64];     /* squash commit on the base branch */
    int64_t updated_ms;
    int priority;            /* carries the priority label, applied by someone allowed to */
} lq_pr_record;

void lq_pr_record_dispose(lq_pr_record *r); /* frees the owned strings; NULL-safe */
/* Replaces an owned string field with a copy of s (NULL allowed). */
int lq_pr_record_set(char **field, const char *s);

/* Opens the store named by target (a SQLite path, or a PostgreSQL URI / keyword string). With
 * inbox (borrowed; it must outlive the store) the store shares the inbox's backend and target is
 * only used in messages; with NULL it opens its own (tools, tests). The schema is created or
 * migrated on open; a database whose schema is newer than this landq knows is refused
 * (LQ_EINVAL, the message says what to do). */
int lq_store_open(lq_store **out, const char *target, lq_inbox *inbox, lq_error *err);
/* As lq_store_open(target, NULL) for read-only tools: never creates a SQLite file, never
 * migrates (an older schema is read as it is). */
int lq_store_open_existing(lq_store **out, const char *target, lq_error *err);
void lq_store_close(lq_store *st); /* NULL-safe */

/* LQ_OK and *out filled (dispose it), or LQ_ENOTFOUND (out zeroed). */
int lq_store_get(lq_store *st, const char *repo, int number, lq_pr_record *out, lq_error *err);
/* Inserts or replaces the row (durable when it returns: synchronous=FULL / commit flushed). */
int lq_store_put(lq_store *st, const lq_pr_record *rec, lq_error *err);

typedef enum {
    LQ_STORE_ALL,
    LQ_STORE_DIRTY,  /* dirty = 1 */
    LQ_STORE_QUEUED  /* armed, ready, merging, blocked */
} lq_store_filter;

/* *out is a new array of records (dispose each, then free the array). Label order. */
int lq_store_list(lq_store *st, lq_store_filter filter, lq_pr_record **out, size_t *count,
                  lq_error *err);
void lq_store_list_free(lq_pr_record *recs, size_t count);

/* ---- Branch leases and fencing -------------------------------------------------------------
 * With several instances on one PostgreSQL database, landings of a (repo, base) are driven by
 * one instance at a time: the holder of that branch's lease row. A lease has a fencing token
 * that grows by one whenever the holder changes, and an expiry on the DATABASE clock; an expired
 * lease may be taken by another instance (with the next token). Every write of branch-owned
 * state (the pull request's landing state, feedback bookkeeping, its audit rows) made by the
 * driver carries the token, and the database itself refuses it (a conditional INSERT ... SELECT
 * from lq_lease, never a check in the process) unless that token is still the branch's current
 * one, held by this holder and (PostgreSQL) not expired: a paused or partitioned old holder
 * cannot overwrite what its successor wrote. Unfenced writes (the webhook decoder, the reconcile
 * sweep, tools) may then only change what they observe (dirty, head, labeler, label time,
 * priority, base) of a row once a fenced write has owned it; the landing state is kept.
 *
 * SQLite: one process owns the file, so acquire always succeeds (a restarted landq takes the
 * lease from its dead predecessor at once, with the next token) and expiry is not enforced;
 * tokens are still stored and checked, so both backends run the same code path. */
typedef struct lq_lease {
    char repo[256], base[256];
    char holder[128];      /* instance id: host:pid:nonce (unique per process start) */
    int64_t token;         /* fencing token (>= 1 once granted) */
    int64_t expires_ms;    /* database clock */
    int64_t ttl_left_ms;   /* expires_ms - database now, at the time of the call */
    int took_over;         /* acquire: taken from another holder (a failover) */
} lq_lease;

/* Takes (or re-takes) the lease of (repo, base) for holder for ttl_ms: LQ_OK and *out filled;
 * LQ_ECONFLICT when another holder has it and it has not expired. Re-acquiring one's own lease
 * keeps its token. */
int lq_store_lease_acquire(lq_store *st, const char *repo, const char *base, const char *holder,
                           int64_t ttl_ms, lq_lease *out, lq_error *err);
/* Extends l for ttl_ms if it is still l->holder's with l->token (updates l): the confirmation
 * before a merge. LQ_ECONFLICT when the lease was lost (taken over). */
int lq_store_lease_renew(lq_store *st, lq_lease *l, int64_t ttl_ms, lq_error *err);
/* Gives the lease up (the token stays; the next holder gets token + 1). LQ_OK also when it was
 * no longer ours. */
int lq_store_lease_release(lq_store *st, const lq_lease *l, lq_error *err);
/* The lease row of (repo, base) as it is now (holder "" when released; ttl_left_ms <= 0 when
 * expired): LQ_OK, or LQ_ENOTFOUND when the branch never had one. */
int lq_store_lease_get(lq_store *st, const char *repo, const char *base, lq_lease *out,
                       lq_error *err);
/* As lq_store_put, fenced by l (rec must belong to l's branch): LQ_ECONFLICT when the database
 * refused it because l's token is stale (or, PostgreSQL, expired). rec->updated_ms must be the
 * value read (or last written): when the row changed since, dirty = 0 is not written over a
 * dirty mark made meanwhile (another instance saw an event). On success rec->updated_ms is the
 * value written. */
int lq_store_put_fenced(lq_store *st, lq_pr_record *rec, const lq_lease *l, lq_error *err);

/* Marks rows of (repo, head_sha) dirty (for status / check events); *marked may be NULL. */
int lq_store_mark_sha_dirty(lq_store *st, const char *repo, const char *sha, int *marked,
                            lq_error *err);

/* Marks the queued rows of (repo, base) dirty (a freeze or unfreeze changes their verdict);
 * *marked may be NULL. */
int lq_store_mark_branch_dirty(lq_store *st, const char *repo, const char *base, int *marked,
                               lq_error *err);

/* Appends an audit row. reasons[0..n) are joined as a JSON array. */
int lq_store_audit(lq_store *st, const char *repo, int number, const char *head_sha,
                   const char *action, const char *summary, const char *const *reasons,
                   size_t n, const char *commit_sha, lq_error *err);

/* As lq_store_audit, fenced by l (the row records l's token): LQ_ECONFLICT when stale. */
int lq_store_audit_fenced(lq_store *st, const lq_lease *l, const char *repo, int number,
                          const char *head_sha, const char *action, const char *summary,
                          const char *const *reasons, size_t n, const char *commit_sha,
                          lq_error *err);

/* One audit row as streamed by lq_store_audit_each (strings borrowed for the callback). */
typedef struct lq_audit_entry {
    int64_t id, at_ms;
    const char *repo;
    int number;
    const char *head_sha, *action, *summary;
    const char *reasons; /* JSON array text */
    const char *commit_sha;
} lq_audit_entry;
/* Non-zero from the callback stops the listing (returned as is). */
typedef int (*lq_audit_fn)(void *ctx, const lq_audit_entry *row);
/* The last `limit` audit rows (limit < 0: all), of repo#number when repo is non-empty (repo
 * compared case-insensitively), oldest first. */
int lq_store_audit_each(lq_store *st, const char *repo, int number, long limit, lq_audit_fn fn,
                        void *ctx, lq_error *err);

/* One audit row, as read back (strings owned by the row; lq_store_audit_rows_free()). */
typedef struct lq_audit_row {
    int64_t id, at_ms;
    char *repo, *head_sha, *action, *summary, *reasons_json, *commit_sha;
    int number;
} lq_audit_row;
void lq_store_audit_rows_free(lq_audit_row *rows, size_t n);
/* The last `limit` audit rows of repo#number, oldest first. */
int lq_store_audit_list(lq_store *st, const char *repo, int number, size_t limit,
                        lq_audit_row **out, size_t *count, lq_error *err);

/* A landing for the queue page: the "landed" audit row with the pull request's row. */
typedef struct lq_landing_row {
    char *repo, *base, *title, *commit_sha; /* owned; base/title "" when unknown */
    int number;
    int64_t labeled_at_ms, landed_at_ms;
} lq_landing_row;
void lq_store_landing_rows_free(lq_landing_row *rows, size_t n);
/* The `limit` most recent landings, newest first. */
int lq_store_landings(lq_store *st, size_t limit, lq_landing_row **out, size_t *count,
                      lq_error *err);

/* A frozen branch (lq_freeze). */
typedef struct lq_freeze_row {
    char repo[256], branch[256], by[128];
    char *reason; /* owned */
    int64_t since_ms;
} lq_freeze_row;
void lq_store_freeze_rows_free(lq_freeze_row *rows, size_t n);
/* Freezes (repo, branch), or updates the reason/by/since of an existing freeze. */
int lq_store_freeze_set(lq_store *st, const char *repo, const char *branch, const char *reason,
                        const char *by, int64_t since_ms, lq_error *err);
/* Unfreezes; *was (may be NULL) is 1 when it was frozen. */
int lq_store_freeze_clear(lq_store *st, const char *repo, const char *branch, int *was,
                          lq_error *err);
/* LQ_OK and *out filled (dispose out->reason), or LQ_ENOTFOUND when not frozen. */
int lq_store_freeze_get(lq_store *st, const char *repo, const char *branch, lq_freeze_row *out,
                        lq_error *err);
/* Every frozen branch, by repository then branch. */
int lq_store_freeze_list(lq_store *st, lq_freeze_row **out, size_t *count, lq_error *err);

/* Retention: deletes at most limit (> 0) audit rows recorded before before_ms, oldest first. */
int lq_store_audit_prune(lq_store *st, int64_t before_ms, int limit, int64_t *out_deleted,
                         lq_error *err);

/* The webhook allowlist cache (one row): *body is a new string (free()); LQ_ENOTFOUND when
 * nothing was stored yet. */
int lq_store_meta_get(lq_store *st, char **body, int64_t *fetched_at, lq_error *err);
int lq_store_meta_put(lq_store *st, const char *body, int64_t fetched_at, lq_error *err);

/* ---- Predictive trains (docs/predictive.md) ---------------------------------------------------
 * One row per (repo, base): the train's state as JSON (core/train.h, lq_train_to_json), written
 * after every change and before the next side effect, read back after a restart.
 * get: LQ_OK and *json (free()), or LQ_ENOTFOUND. put: inserts or replaces. */
int lq_store_train_get(lq_store *st, const char *repo, const char *base, char **json,
                       lq_error *err);
int lq_store_train_put(lq_store *st, const char *repo, const char *base, const char *json,
                       lq_error *err);

/* What the database is and how big. */
typedef struct lq_store_info {
    const char *backend;    /* "sqlite" or "postgresql" (static) */
    int schema_version;     /* applied migrations */
    int64_t bytes;          /* SQLite: the file plus its WAL; PostgreSQL: landq's tables */
    int64_t logical_bytes;  /* SQLite: pages in use or free (the file's size once the WAL is
                               checkpointed); PostgreSQL: = bytes */
    int64_t wal_bytes;      /* SQLite: the WAL file (at most 64 MiB once checkpointed) */
    int64_t free_bytes;     /* SQLite: free pages inside the file (reused before it grows) */
    int auto_vacuum;        /* SQLite: free pages can be given back to the file system */
} lq_store_info;
int lq_store_info_get(lq_store *st, lq_store_info *out, lq_error *err);

/* Gives space freed by pruning back when there is much of it (SQLite: incremental vacuum of
 * the free pages beyond a reserve kept for reuse; PostgreSQL: nothing, autovacuum does it).
 * *out_bytes (may be NULL) = bytes given back. */
int lq_store_reclaim(lq_store *st, int64_t *out_bytes, lq_error *err);

/* Which backend, for logs and /healthz ("sqlite", "postgresql"). */
const char *lq_store_backend(const lq_store *st);

int64_t lq_store_now_ms(void);

#endif
