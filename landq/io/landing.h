/* landing: the merge protocol. For each (repository, base branch) one pull request at a time,
 * in label order: wait until GitHub knows whether it can merge (never merge blind), send the
 * squash merge with the head SHA pinned, and resolve the outcome: landed, head moved (409,
 * re-evaluate), refused (405, out of the queue with the reason), or unknown (5xx / no answer:
 * stay MERGING and re-read before ever sending it again, so nothing is merged twice).
 *
 * The state is persisted before every side effect; a MERGING record found at start-up is
 * resolved by re-reading the pull request first. */
#ifndef LQ_LANDING_H
#define LQ_LANDING_H

#include "worker_ctx.h"

/* One landing round over every branch: resume merges in flight, land ready pull requests.
 * Returns 1 when something landed. */
int lq_landing_round(lq_worker *w);

/* The feedback owed for a landing (success status, "landed" comment); a LANDED record stays
 * dirty until both are written (finished at the next round after a crash). 0 when written. */
int lq_landing_feedback(lq_worker *w, lq_pr_record *rec);

#endif
