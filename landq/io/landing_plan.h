/* landing_plan: the landing plan (core/plan.h) of a READY decision, built from the facts the
 * decision rested on (io/facts.h) and its verdict. Evaluation builds it when it decides READY
 * (io/evaluate.c, kept in the worker's book: lq_wctx_plan_keep) and the landing step builds it
 * again from fresh reads right before the merge request (io/landing.c) to see whether the plan
 * still holds.
 *
 * The labeler and label time come from the issue events API (the latest `labeled` event of the
 * landing label), never from webhook payloads. */
#ifndef LQ_LANDING_PLAN_H
#define LQ_LANDING_PLAN_H

#include "facts.h"
#include "plan.h"
#include "policy.h"
#include "worker_ctx.h"

/* Fills *out (zeroed first; dispose it) from the facts b and the READY verdict v of rec.
 * LQ_OK; LQ_EINVAL when the commit message cannot be built (err says why); read errors of the
 * issue events API; LQ_ENOMEM. */
int lq_landing_plan_build(lq_worker *w, const lq_pr_record *rec, const lq_facts *b,
                          const lq_verdict *v, lq_plan *out, lq_error *err);

#endif
