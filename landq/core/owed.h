/* owed: the "ready" feedback landq owes but has not written yet (pure, no I/O).
 *
 * A pull request that becomes ready usually lands within a second; telling its author "ready:
 * position P of N" first costs a status, a comment and (since landq's own status changes the
 * head's combined status) a re-read of the checks before the merge, three requests of the six
 * to ten a landing needs. So the ready feedback is owed: written when the landing round stops
 * landing on its branch (its head waits, or the rate limit is low) and the pull request is
 * still ready, never when it lands first (the "landed" feedback replaces it). Every other
 * verdict's feedback is written at once. */
#ifndef LQ_OWED_H
#define LQ_OWED_H

#include <stddef.h>

typedef struct lq_owed {
    char *repo;
    int number;
    int due; /* the round stopped: the next ready verdict writes its feedback */
} lq_owed;

typedef struct lq_owed_set {
    lq_owed *items;
    size_t count, cap;
} lq_owed_set;

/* What to do with the feedback of a ready verdict for repo#number: 1 = write it now (it was
 * due: the entry is dropped), 0 = owe it (an entry is added, or kept, not due). -1: out of
 * memory (write it now). */
int lq_owed_ready(lq_owed_set *s, const char *repo, int number);
/* Whether repo#number's ready feedback is owed (and not yet due). */
int lq_owed_pending(const lq_owed_set *s, const char *repo, int number);
/* Another verdict (or a landing) settled repo#number's feedback: nothing owed any more. */
void lq_owed_drop(lq_owed_set *s, const char *repo, int number);
void lq_owed_dispose(lq_owed_set *s);

#endif
