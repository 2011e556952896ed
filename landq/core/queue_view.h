/* queue_view: the queue page's model and its two renderings, GET /api/queue (JSON) and
 * GET /queue (HTML), pure (docs/operations.md, "The queue page").
 *
 * The io layer (io/page.c) fills an lq_qv from what landq already knows: the store (queue state,
 * label order, priority, audit rows of landings, frozen branches), the worker's last evaluation
 * of each pull request (the object `landq explain --json` prints) and the GitHub rate-limit
 * budget; this module orders the pull requests of each (repository, base branch, lane) exactly
 * as the landing step does (lq_queue_before()), derives the state people see, and renders.
 *
 * States shown (lq_qv_state): armed (labeled, not evaluated yet), waiting for owners (the paths
 * and the owners), waiting for checks, waiting (other: draft, requested changes), held (the
 * branch is frozen), testing (predictive mode: a candidate runs), ready, landing (merge in
 * flight), blocked. The "why" is the evaluation's summary and reasons, the same text as the
 * sticky comment, the commit status and `landq explain`.
 *
 * Ownership: every pointer in the model is borrowed for the duration of a call. Outputs are new
 * (json_decref / free). */
#ifndef LQ_QUEUE_VIEW_H
#define LQ_QUEUE_VIEW_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "error.h"
#include "html.h"
#include "queue.h"

typedef enum {
    LQ_QV_ARMED = 0,
    LQ_QV_WAIT_OWNERS,
    LQ_QV_WAIT_CHECKS,
    LQ_QV_WAITING,
    LQ_QV_HELD,
    LQ_QV_TESTING,
    LQ_QV_READY,
    LQ_QV_LANDING,
    LQ_QV_BLOCKED
} lq_qv_state;
#define LQ_QV_STATE_COUNT 9

/* "armed", "waiting_for_owners", ... (JSON) and "waiting for owners" (HTML). */
const char *lq_qv_state_str(lq_qv_state s);
const char *lq_qv_state_label(lq_qv_state s);

typedef struct lq_qv_pr {
    const char *repo;        /* "owner/name" */
    const char *base;        /* base branch */
    const char *lane;        /* NULL or "": the branch's only lane */
    int number;
    lq_pr_state state;       /* from the store */
    int64_t labeled_at_ms;   /* queue order; time in queue */
    int priority;            /* carries the priority label, applied by someone allowed */
    const char *labeler;     /* may be NULL */
    const char *title;       /* used when explain is NULL (e.g. the merge title); may be NULL */
    const json_t *explain;   /* the worker's last evaluation, or NULL (not evaluated since
                                landq started) */
    int testing;             /* predictive mode: a candidate containing it is being tested */
} lq_qv_pr;

typedef struct lq_qv_landing {
    const char *repo, *base, *title; /* title may be NULL */
    int number;
    int64_t labeled_at_ms;   /* 0 = unknown */
    int64_t landed_at_ms;
    const char *commit_sha;  /* may be NULL */
} lq_qv_landing;

typedef struct lq_qv_freeze {
    const char *repo, *branch, *reason, *by;
    int64_t since_ms;
} lq_qv_freeze;

typedef struct lq_qv_rate {
    long remaining, limit;   /* < 0: unknown (no GitHub answer yet) */
    int64_t reset_s;         /* Unix time; <= 0 unknown */
} lq_qv_rate;

typedef struct lq_qv {
    const char *web_url;             /* GitHub web origin for links, "https://github.com" */
    const char *const *repos;        /* repositories served, in config order */
    size_t repo_count;
    const lq_qv_pr *prs;             /* queued pull requests (any order) */
    size_t pr_count;
    const lq_qv_landing *landings;   /* most recent first */
    size_t landing_count;
    const lq_qv_freeze *freezes;
    size_t freeze_count;
    lq_qv_rate rate;
    const char *priority_label;      /* NULL: priority is off */
    const char *status_context;      /* landq's own status context, not listed as a check */
    int64_t now_ms;
    unsigned refresh_s;              /* how often the page's script polls (0: no live updates) */
} lq_qv;

/* Display state of p (see above). */
lq_qv_state lq_qv_state_of(const lq_qv_pr *p, const lq_qv_freeze *frozen);

/* The freeze of (repo, branch) in v, or NULL. */
const lq_qv_freeze *lq_qv_frozen(const lq_qv *v, const char *repo, const char *branch);

/* 1-based position of pr among the queued entries of v with its branch and lane, in queue
 * order, or 0 when pr is not queued; *total (may be NULL) receives the count of that lane. */
size_t lq_qv_position(const lq_qv *v, const lq_qv_pr *pr, size_t *total);

/* GET /api/queue. */
int lq_qv_json(const lq_qv *v, json_t **out, lq_error *err);
/* GET /queue: a complete HTML document. */
int lq_qv_html(const lq_qv *v, char **out, lq_error *err);

/* <span class="state st-NAME"><span aria-hidden="true">ICON</span> words</span>. */
void lq_qv_html_state(lq_html *h, lq_qv_state st);

/* FNV-1a of s folded into h (0 starts), for the pages' data-sig. */
uint64_t lq_qv_fnv(uint64_t h, const char *s);

/* "4 min", "2 h 5 min", "3 d 4 h"; "0 s" for negative durations. */
void lq_qv_duration(char *out, size_t cap, int64_t ms);
/* "2026-01-31T12:00:00Z". */
void lq_qv_iso(char *out, size_t cap, int64_t ms);

#endif
