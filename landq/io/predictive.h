/* predictive: `mode = predictive` in the landing worker (docs/predictive.md).
 *
 * One train (core/train.h) per (repository, base branch), kept in memory and in the store
 * (lq_store_train_put after every change, before the next side effect; read back after a
 * restart). Each landing round, for every branch with queued pull requests or a train:
 *
 *   1. the train follows the queue: a READY pull request (evaluated, with its landing plan)
 *      joins it; one that is no longer READY (unlabeled, pushed, approval lost, closed) leaves it;
 *   2. the base tip is read (when something happened or every few seconds): a commit landq did
 *      not land invalidates every candidate;
 *   3. the required checks of the candidates under test are read back through the API (check
 *      run and status webhooks are hints that make this happen at once);
 *   4. the train's actions are carried out: build a candidate in the mirror (io/candidate.h) and
 *      push it to landq/try/<base>/<lane>/pr-<n>; land a passed build with the merge protocol
 *      of io/landing.h plus two checks (before: the tip is still the candidate's parent chain;
 *      after: tree(landed) == tree(candidate), else an incident); eject a culprit with the failed
 *      checks and their URLs; delete try branches.
 *
 * Internal to the worker (landq/io). */
#ifndef LQ_PREDICTIVE_H
#define LQ_PREDICTIVE_H

#include "worker_ctx.h"

/* One round over every branch (recs: the queued records, label order). 1 when something
 * progressed (another round may follow at once). */
int lq_predictive_round(lq_worker *w, lq_pr_record *recs, size_t n);

/* A check run or status webhook arrived: read the candidates' checks at the next round. */
void lq_predictive_poke(lq_worker *w);

/* /metrics: candidates started/passed/failed, flake retries, ejections, lane depth. */
void lq_predictive_describe(struct lq_metrics *m);
void lq_predictive_export(lq_worker *w);

void lq_predictive_free(lq_worker *w);

#endif
