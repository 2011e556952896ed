/* page: the queue pages and the freeze API on the ops listener (io/ops.h), never on the
 * webhook port (docs/operations.md, "The queue page" and "Merge freeze").
 *
 *   GET  /queue, /api/queue                   the queue (HTML, JSON)
 *   GET  /queue/OWNER/NAME/N, /api/queue/...  one pull request: explain facts, audit trail
 *   GET  /queue/assets/queue.css, queue.js    the one stylesheet and script
 *   POST /api/freeze    {"repo", "branch", "reason", "by"}   admin token required
 *   POST /api/unfreeze  {"repo", "branch", "by"}             admin token required
 *
 * Everything shown comes from what landq already knows: the store (queue rows, audit rows,
 * frozen branches), the worker's last evaluations (io/board.h) and the rate-limit gauges of
 * io/metrics.h. A page view sends no GitHub request. Every HTML answer carries a strict
 * Content-Security-Policy (core/page_html.h), X-Frame-Options DENY and no referrer.
 *
 * A freeze or unfreeze is stored (it survives restarts), recorded in the audit log (number 0,
 * action "freeze"/"unfreeze", who and why), and marks the branch's queued pull requests for a
 * fresh evaluation, waking the worker, so their status and comment say so at once.
 *
 * Threads: handlers run on the ops listener's connection threads; the page's own store
 * connection is used under a mutex. Ownership: lq_page copies cfg's strings; board, metrics,
 * inbox and ops are borrowed and must outlive lq_page_free(). */
#ifndef LQ_PAGE_H
#define LQ_PAGE_H

#include <stddef.h>

#include "board.h"
#include "error.h"
#include "inbox.h"
#include "metrics.h"
#include "ops.h"

typedef struct lq_page lq_page;

typedef struct lq_page_config {
    const char *db_path;                 /* the serve database */
    lq_inbox *inbox;                     /* borrowed: writes share its group commit; woken
                                            after a freeze change */
    lq_board *board;                     /* borrowed: the worker's last evaluations */
    lq_metrics *metrics;                 /* borrowed, may be NULL: the rate-limit gauges */
    const char *web_url;                 /* GitHub web origin for links ("https://github.com") */
    const char *const *repos;            /* served repositories */
    size_t repo_count;
    const char *priority_label;          /* NULL: priority off */
    const char *status_context;          /* landq's own commit status context */
    unsigned refresh_s;                  /* live-update poll interval; 0 = none */
    void (*log)(void *ctx, const char *line); /* one logfmt line per freeze change; may be NULL */
    void *log_ctx;
} lq_page_config;

/* Opens the page's store connection and registers the routes on ops. */
int lq_page_start(lq_page **out, lq_ops *ops, const lq_page_config *cfg, lq_error *err);
/* Frees the page (after lq_ops_stop(): no handler may be running). NULL-safe. */
void lq_page_free(lq_page *pg);

#endif
