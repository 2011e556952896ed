/* reconcile: the periodic sweep that heals lost webhooks.
 *
 * For each served repository it lists the open pull requests carrying the landing label (all
 * pages of GET /repos/{o}/{r}/issues?labels=LABEL&state=open; the GitHub client's ETag cache
 * turns an unchanged listing into 304s, which cost no rate limit) and marks for evaluation every
 * one that landq has not settled: unknown to the store, or known but not queued (IDLE, EJECTED:
 * labeled again while a webhook was lost), with the labeler and the label's time taken from the
 * issue timeline API so the pull request keeps its place in label order. Waiting entries (ARMED,
 * BLOCKED) are re-read; READY is left alone, MERGING is never touched (the worker resolves a
 * merge in flight first), LANDED is terminal.
 *
 * Runs on the worker thread with the worker's own client and store. */
#ifndef LQ_RECONCILE_H
#define LQ_RECONCILE_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "gh.h"
#include "store.h"

typedef struct lq_reconcile_stats {
    size_t listed;   /* labeled open pull requests seen */
    size_t marked;   /* newly marked for evaluation */
    size_t cached;   /* pages answered 304 (from the ETag cache) */
} lq_reconcile_stats;

/* One sweep over repos[0..n). Stops at the first repository that cannot be listed (LQ_ERROR or
 * LQ_ETRANSIENT, message names it); the others are still swept. *stats may be NULL. */
int lq_reconcile_sweep(const lq_gh *gh, lq_store *st, const char *const *repos, size_t n,
                       const char *label, int64_t now_ms, lq_reconcile_stats *stats,
                       lq_error *err);


#endif
