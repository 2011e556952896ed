/* landing_plan: the landing plan (core/plan.h) of a READY decision, built from the facts the
 * decision rested on (io/facts.h) and its verdict. Evaluation builds it when it decides READY
 * (io/evaluate.c, kept in the worker's book: lq_wctx_plan_keep) and the landing step builds it
 * again from fresh reads right before the merge request (io/landing.c) to see whether the plan
 * still holds.
 *
 * The labeler and label time come from the issue timeline API (the latest `labeled` event of the
 * landing label), never from webhook payloads. */
#ifndef LQ_LANDING_PLAN_H
#define LQ_LANDING_PLAN_H

#include "facts.h"
#include "plan.h"
#include "policy.h"
#include "worker_ctx.h"

/* Fills *out (zeroed first; dispose it) from the facts b and the READY verdict v of rec.
 * LQ_OK; LQ_EINVAL when the commit message cannot be built (err says why); read errors of the
 * issue timeline API; LQ_ENOMEM. */
int lq_landing_plan_build(lq_worker *w, const lq_pr_record *rec, const lq_facts *b,
                          const lq_verdict *v, lq_plan *out, lq_error *err);

/* After a merge of rec (commit: the merge commit GitHub answered): did it go where the plan
 * said? The pull request's base must be the decided base, and (when the plan saw the tip,
 * base_tip, and it is readable) the merge commit's first parent the tip seen right before the
 * merge, unless the merge commit is the decided branch's tip (a push between the read and the
 * merge). One read (the decided branch's tip) when the merge commit is that tip; the pull
 * request and the merge commit otherwise. 0: as planned (or not readable: logged); 1: a
 * violation (what says which, actual_base names the base it went to). */
int lq_landing_outcome_violates(lq_worker *w, const lq_pr_record *rec, const char *decided_base,
                                const char *base_tip, const char *commit, char *actual_base,
                                size_t acap, char *what, size_t wcap);

#endif
