/* deliveries: applies the webhook deliveries waiting in the inbox to the queue records. A
 * delivery only says which pull request (or commit) changed: its record is marked dirty (created
 * when the landing label arrives), and the decision re-reads everything from GitHub. Applied in
 * inbox order; a delivery that cannot be applied now stays in the inbox and is retried.
 *
 * Called by the worker loop (io/worker.c) and, right before a merge request, by the landing step
 * (io/landing.c): what arrived during the mergeability wait is seen before anything irreversible. */
#ifndef LQ_DELIVERIES_H
#define LQ_DELIVERIES_H

#include "worker_ctx.h"

/* Applies up to max waiting deliveries; returns how many were applied. */
int lq_deliveries_drain(lq_worker *w, int max);

#endif
