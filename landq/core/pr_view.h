/* pr_view: the page of one pull request, GET /queue/OWNER/NAME/N (HTML) and
 * GET /api/queue/OWNER/NAME/N (JSON), pure.
 *
 * It shows the facts of the worker's last evaluation, which is the object `landq explain --json`
 * prints (the verdict with its reasons, every changed path with its owners, the CODEOWNERS line
 * that decided, who approved and what is missing, the checks, approvals that do not count),
 * where the pull request stands in its queue, the freeze of its branch, and its audit trail
 * (every decision landq recorded for it, oldest first).
 *
 * Ownership: everything is borrowed for the call; outputs are new. */
#ifndef LQ_PR_VIEW_H
#define LQ_PR_VIEW_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "error.h"
#include "queue_view.h"

typedef struct lq_qv_audit {
    int64_t at_ms;
    const char *head_sha, *action, *summary, *commit_sha; /* may be NULL */
    const json_t *reasons;                                /* array of strings, or NULL */
} lq_qv_audit;

typedef struct lq_pr_view {
    const lq_qv *queue;        /* the whole queue: positions, freezes, links */
    const char *repo;          /* "OWNER/NAME" */
    int number;
    const lq_qv_pr *pr;        /* the store's row with the last evaluation (any state) */
    const lq_qv_audit *audit;  /* oldest first */
    size_t audit_count;
} lq_pr_view;

int lq_pr_view_json(const lq_pr_view *pv, json_t **out, lq_error *err);
int lq_pr_view_html(const lq_pr_view *pv, char **out, lq_error *err);

#endif
