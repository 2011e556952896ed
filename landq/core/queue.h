/* queue: the per-pull-request landing state machine and the per-branch ordering rule (pure).
 *
 * States (persisted by io/store.c before every side effect, so a restart resumes safely):
 *
 *   IDLE ──labeled+verdict──> ARMED <──> READY ──merge_start──> MERGING ──merged──> LANDED
 *               │               │          │                      │ 409 ──> ARMED (re-evaluate)
 *               │               └──> BLOCKED (failure status, label kept)  │ 405 ──> EJECTED
 *               └──────────────────> EJECTED (label removed)       │ 5xx ──> MERGING (re-read, retry)
 *
 * Only lq_queue_transition() changes a state; the caller logs every transition.
 * Ordering: per (repository, base branch) one MERGING at a time; among READY entries the one
 * labeled first lands first, except that priority entries (the priority label, applied by
 * someone allowed to) come before all others, first-labeled first among themselves; ARMED and
 * BLOCKED entries never hold up the ones behind them. */
#ifndef LQ_QUEUE_H
#define LQ_QUEUE_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

typedef enum {
    LQ_PR_IDLE = 0, /* known but not queued (no label, closed, ...) */
    LQ_PR_ARMED,    /* labeled; waiting for approvals or checks */
    LQ_PR_READY,    /* may land; waiting for its turn */
    LQ_PR_MERGING,  /* merge decided and recorded; PUT /merge sent or about to be */
    LQ_PR_LANDED,   /* merged by landq (terminal) */
    LQ_PR_BLOCKED,  /* labeled but cannot land until fixed (e.g. CODEOWNERS unreadable) */
    LQ_PR_EJECTED   /* taken out of the queue by landq; label removed */
} lq_pr_state;
#define LQ_PR_STATE_COUNT 7

typedef enum {
    LQ_QEV_IGNORE,        /* verdict: not queued (closed, unlabeled, ...) */
    LQ_QEV_WAIT,          /* verdict: wait */
    LQ_QEV_READY,         /* verdict: ready */
    LQ_QEV_BLOCKED,       /* verdict: blocked */
    LQ_QEV_EJECT,         /* verdict: eject */
    LQ_QEV_MERGE_START,   /* landq is about to PUT /merge */
    LQ_QEV_MERGED,        /* GitHub says merged (200, or re-read after a failure) */
    LQ_QEV_HEAD_MOVED,    /* 409: re-evaluate against the new head */
    LQ_QEV_REFUSED,       /* 405: not mergeable */
    LQ_QEV_MERGE_UNKNOWN, /* 5xx/network: outcome unknown; re-read before retrying */
    LQ_QEV_MERGE_FAILED   /* other refusal (403/422/...): stays labeled, blocked */
} lq_queue_event;
#define LQ_QEV_COUNT 11

const char *lq_pr_state_str(lq_pr_state s);
/* Parses lq_pr_state_str() output; returns -1 for unknown text. */
int lq_pr_state_parse(const char *s);
const char *lq_queue_event_str(lq_queue_event e);

/* Applies ev to *state. LQ_OK and *state updated, or LQ_EINVAL (state unchanged) when the
 * transition is not allowed (e.g. MERGE_START from ARMED, or a verdict while MERGING). */
int lq_queue_transition(lq_pr_state *state, lq_queue_event ev, lq_error *err);

/* What GitHub's answer to the merge request (PUT /pulls/{n}/merge) means for the state machine;
 * the one place that maps HTTP statuses onto queue events. http: the status, 0 when no answer
 * came; merged: the answer said "merged": true. MERGED for a 200 that merged; HEAD_MOVED for
 * 409 (the head is not the SHA sent); REFUSED for 405 (not mergeable); MERGE_UNKNOWN when the
 * outcome cannot be known (no answer, 5xx, a 200 without "merged"); MERGE_FAILED for every
 * other refusal (403, 422, ...). */
lq_queue_event lq_queue_merge_outcome(long http, int merged);

/* Whether the pull request holds a place in the queue (ARMED, READY, MERGING, BLOCKED). */
int lq_queue_is_queued(lq_pr_state s);

typedef struct lq_queue_entry {
    const char *repo;      /* borrowed */
    const char *base;      /* borrowed */
    int number;
    int64_t labeled_at_ms; /* when the label was applied */
    lq_pr_state state;
    int priority;          /* 1: ahead of every normal entry of its branch */
} lq_queue_entry;

/* Queue order: priority entries first, then the earlier label, then the lower number. */
int lq_queue_before(const lq_queue_entry *a, const lq_queue_entry *b);

/* Entry to work on next for (repo, base): the MERGING one if any (resume it), else the first
 * READY one in queue order (lq_queue_before()). Returns its index, or -1 when there is none. */
long lq_queue_next(const lq_queue_entry *entries, size_t n, const char *repo, const char *base);

/* 1-based position of entries[i] among the queued entries of its branch (queue order), or 0
 * when it is not queued. *total receives the number of queued entries on that branch. */
size_t lq_queue_position(const lq_queue_entry *entries, size_t n, size_t i, size_t *total);

#endif
