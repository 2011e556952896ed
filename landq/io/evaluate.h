/* evaluate: one look at a pull request: gather the facts (io/facts.h), ask the policy
 * (core/policy.h), move the queue state (core/queue.h, persisted first), then tell people
 * (io/feedback.h). A READY verdict records what will be merged: the head SHA, the title and the
 * commit message. */
#ifndef LQ_EVALUATE_H
#define LQ_EVALUATE_H

#include "worker_ctx.h"

/* Re-reads rec's pull request and decides. LQ_OK also when the decision was "ignore" or the
 * pull request is gone; an error when GitHub could not be read (retried later). */
int lq_evaluate_pr(lq_worker *w, lq_pr_record *rec);

/* The landing round stopped landing: every pull request whose ready feedback is owed
 * (core/owed.h) and that is still ready is marked for evaluation, which writes it. Returns how
 * many were marked. */
size_t lq_evaluate_owed_due(lq_worker *w);

#endif
