/* retention: keeps the database bounded. A thread of its own deletes processed deliveries older
 * than inbox_retention and audit rows older than audit_retention, in small batches (one short
 * transaction each, a pause between them), so the intake's group commit never waits long for it;
 * then gives free space back (lq_store_reclaim: SQLite incremental vacuum of what is beyond a
 * reserve; the reserve is reused by new rows before the file grows).
 *
 * Several instances on one PostgreSQL database may all run it: the batches skip rows another
 * instance is deleting (FOR UPDATE SKIP LOCKED).
 *
 * Thread safety: lq_retention_stats() from any thread; the rest from the owner. */
#ifndef LQ_RETENTION_H
#define LQ_RETENTION_H

#include <stdint.h>

#include "error.h"
#include "inbox.h"

struct lq_metrics;

typedef struct lq_retention lq_retention;

typedef struct lq_retention_config {
    lq_inbox *inbox;           /* borrowed: the store shares its backend */
    const char *db;            /* the db setting (messages only) */
    int64_t inbox_ms;          /* keep processed deliveries this long; 0 = forever */
    int64_t audit_ms;          /* keep audit rows this long; 0 = forever */
    int batch;                 /* rows per transaction (0 = 500) */
    int pause_ms;              /* between batches (0 = 20) */
    int64_t interval_ms;       /* between passes (0 = a tenth of the shorter retention,
                                  at least 1 s, at most 60 s) */
    void (*log)(void *ctx, const char *line); /* one logfmt line per pass that deleted rows */
    void *log_ctx;
    struct lq_metrics *metrics; /* optional: landq_retention_* and landq_store_* series */
} lq_retention_config;

typedef struct lq_retention_stats {
    uint64_t passes;
    uint64_t deliveries_deleted;
    uint64_t audit_deleted;
    int64_t bytes_reclaimed;
    int64_t db_bytes;          /* after the last pass */
    int64_t free_bytes;
    char last_error[256];      /* "" when the last pass went through */
} lq_retention_stats;

/* Starts the thread (the first pass runs at once). LQ_OK, or LQ_EINVAL / LQ_ENOMEM. */
int lq_retention_start(lq_retention **out, const lq_retention_config *cfg, lq_error *err);
void lq_retention_stop(lq_retention *r); /* NULL-safe; waits for the batch in progress */
void lq_retention_stats_get(lq_retention *r, lq_retention_stats *out);

/* One pass on the caller's thread, without the thread (tests, benchmarks): deletes everything
 * due at now_ms, in batches, then reclaims. */
int lq_retention_pass(const lq_retention_config *cfg, int64_t now_ms, lq_retention_stats *out,
                      lq_error *err);

#endif
