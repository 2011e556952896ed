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

/* What one landing attempt came to (lq_landing_land). */
typedef enum {
    LQ_LANDING_NOT_YET = 0,  /* nothing decided (GitHub still computing, a 5xx, the outcome
                                unknown: resolved by a later attempt, which re-reads first) */
    LQ_LANDING_LANDED,       /* merged where decided, verified; feedback given */
    LQ_LANDING_NOT_READY,    /* not merged: it changed (head, plan, freeze, closed); the record
                                is looked at again */
    LQ_LANDING_REFUSED,      /* GitHub cannot merge it: out of the queue, feedback given */
    LQ_LANDING_CHECK_FAILED, /* the caller's check before the merge said no (nothing sent) */
    LQ_LANDING_INCIDENT      /* merged, but not as decided or not what was tested: incident
                                recorded, the branch halted */
} lq_landing_result;

typedef struct lq_landing_out {
    lq_landing_result result;
    char landed[64];  /* the merge commit (LANDED, INCIDENT) */
    char msg[400];    /* why (NOT_READY, REFUSED, CHECK_FAILED, INCIDENT) */
} lq_landing_out;

/* Extra checks around the merge (predictive mode, io/predictive.c). before: right before the
 * merge request, tip = the base tip the merge will land on; non-zero = do not merge (why).
 * after: once merged where decided, commit = the merge commit; non-zero = it is not what was
 * tested (what): an incident. Either may be NULL. */
typedef struct lq_landing_checks {
    int (*before)(void *ctx, const lq_pr_record *rec, const char *tip, char *why, size_t cap);
    int (*after)(void *ctx, const lq_pr_record *rec, const char *commit, char *what, size_t cap);
    void *ctx;
} lq_landing_checks;

/* Lands one READY (or resumes one MERGING) pull request with the merge protocol above, plus
 * chk (may be NULL). Returns 1 when it landed. */
int lq_landing_land(lq_worker *w, lq_pr_record *rec, const lq_landing_checks *chk,
                    lq_landing_out *out);

/* One landing round over every branch: resume merges in flight, land ready pull requests.
 * Returns 1 when something landed. */
int lq_landing_round(lq_worker *w);

/* The feedback owed for a landing (success status, "landed" comment); a LANDED record stays
 * dirty until both are written (finished at the next round after a crash). 0 when written. */
int lq_landing_feedback(lq_worker *w, lq_pr_record *rec);

#endif
