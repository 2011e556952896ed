/* queue.c -- landing state machine and branch ordering (pure). */
#include "queue.h"

#include <string.h>
#include <strings.h>

static const char *const state_names[LQ_PR_STATE_COUNT] = {
    "idle", "armed", "ready", "merging", "landed", "blocked", "ejected"};
static const char *const event_names[LQ_QEV_COUNT] = {
    "ignore", "wait", "ready", "blocked", "eject", "merge_start", "merged",
    "head_moved", "refused", "merge_unknown", "merge_failed"};

#define X (-1) /* not allowed */
enum { I = LQ_PR_IDLE, A = LQ_PR_ARMED, R = LQ_PR_READY, M = LQ_PR_MERGING, L = LQ_PR_LANDED,
       B = LQ_PR_BLOCKED, E = LQ_PR_EJECTED };

/* next[state][event]. Verdicts may arrive in any non-merging state (a relabeled EJECTED or
 * reopened pull request is armed again). While MERGING only merge outcomes are accepted, so
 * a webhook cannot make landq forget a merge it may have started. LANDED is terminal; a
 * "merged" observation there is a harmless repeat. */
static const signed char next_state[LQ_PR_STATE_COUNT][LQ_QEV_COUNT] = {
    /*          IGN WAIT RDY BLK EJ  START MRGD 409 405 5xx FAIL */
    /* idle */  {I, A,   R,  B,  E,  X,    L,   X,  X,  X,  X},
    /* armed */ {I, A,   R,  B,  E,  X,    L,   X,  X,  X,  X},
    /* ready */ {I, A,   R,  B,  E,  M,    L,   X,  X,  X,  X},
    /* merg. */ {X, X,   X,  X,  X,  M,    L,   A,  E,  M,  B},
    /* land. */ {L, L,   L,  L,  L,  X,    L,   X,  X,  X,  X},
    /* blkd */  {I, A,   R,  B,  E,  X,    L,   X,  X,  X,  X},
    /* ejct */  {I, A,   R,  B,  E,  X,    L,   X,  X,  X,  X},
};

const char *lq_pr_state_str(lq_pr_state s)
{
    return (unsigned)s < LQ_PR_STATE_COUNT ? state_names[s] : "invalid";
}

int lq_pr_state_parse(const char *s)
{
    for (int i = 0; s && i < LQ_PR_STATE_COUNT; i++)
        if (!strcmp(s, state_names[i]))
            return i;
    return -1;
}

const char *lq_queue_event_str(lq_queue_event e)
{
    return (unsigned)e < LQ_QEV_COUNT ? event_names[e] : "invalid";
}

int lq_queue_transition(lq_pr_state *state, lq_queue_event ev, lq_error *err)
{
    if ((unsigned)*state >= LQ_PR_STATE_COUNT || (unsigned)ev >= LQ_QEV_COUNT)
        return lq_error_set(err, LQ_EINVAL, "invalid state %d or event %d", (int)*state, (int)ev);
    int to = next_state[*state][ev];
    if (to == X)
        return lq_error_set(err, LQ_EINVAL, "transition %s --%s--> not allowed",
                            state_names[*state], event_names[ev]);
    *state = (lq_pr_state)to;
    return LQ_OK;
}

lq_queue_event lq_queue_merge_outcome(long http, int merged)
{
    if (http == 200 && merged)
        return LQ_QEV_MERGED;
    if (http == 409)
        return LQ_QEV_HEAD_MOVED;
    if (http == 405)
        return LQ_QEV_REFUSED;
    if (http == 0 || http == 200 || http >= 500)
        return LQ_QEV_MERGE_UNKNOWN;
    return LQ_QEV_MERGE_FAILED;
}

int lq_queue_is_queued(lq_pr_state s)
{
    return s == LQ_PR_ARMED || s == LQ_PR_READY || s == LQ_PR_MERGING || s == LQ_PR_BLOCKED;
}

static int same_branch(const lq_queue_entry *e, const char *repo, const char *base)
{
    return e->repo && e->base && !strcasecmp(e->repo, repo) && !strcmp(e->base, base);
}

/* Priority first, then label order: earlier label first, then lower number. */
int lq_queue_before(const lq_queue_entry *a, const lq_queue_entry *b)
{
    if (!a->priority != !b->priority)
        return a->priority != 0;
    if (a->labeled_at_ms != b->labeled_at_ms)
        return a->labeled_at_ms < b->labeled_at_ms;
    return a->number < b->number;
}

long lq_queue_next(const lq_queue_entry *entries, size_t n, const char *repo, const char *base)
{
    long best = -1;
    for (size_t i = 0; i < n; i++) {
        const lq_queue_entry *e = &entries[i];
        if (!same_branch(e, repo, base))
            continue;
        if (e->state == LQ_PR_MERGING)
            return (long)i;
        if (e->state == LQ_PR_READY && (best < 0 || lq_queue_before(e, &entries[best])))
            best = (long)i;
    }
    return best;
}

size_t lq_queue_position(const lq_queue_entry *entries, size_t n, size_t i, size_t *total)
{
    size_t pos = 0, count = 0;
    if (total)
        *total = 0;
    if (i >= n || !lq_queue_is_queued(entries[i].state))
        return 0;
    for (size_t k = 0; k < n; k++) {
        const lq_queue_entry *e = &entries[k];
        if (!lq_queue_is_queued(e->state) || !same_branch(e, entries[i].repo, entries[i].base))
            continue;
        count++;
        if (k != i && lq_queue_before(e, &entries[i]))
            pos++;
    }
    if (total)
        *total = count;
    return pos + 1;
}
