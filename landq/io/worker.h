/* worker: the landing worker thread of `landq serve`.
 *
 * It takes deliveries from the durable inbox in arrival order, turns each into "this pull request
 * needs a fresh look" (payloads are only hints), re-reads the pull request and everything the
 * decision needs through the REST API, asks lq_policy_decide() for a verdict, keeps the queue
 * state in the store (persisted before every side effect), gives feedback (one comment edited
 * in place, a `landq` commit status) and lands ready pull requests one at a time per base branch,
 * in label order. A delivery is marked done only after its effect on the store is recorded, so a
 * crash never loses one; work interrupted by shutdown is resumed at the next start.
 *
 * The pieces (one concept per file) are described in io/worker_ctx.h.
 *
 * Ownership: the worker borrows the inbox and copies everything else in lq_worker_config. */
#ifndef LQ_WORKER_H
#define LQ_WORKER_H

#include <stddef.h>

#include "error.h"
#include "inbox.h"
#include "train.h"

typedef struct lq_worker lq_worker;

typedef struct lq_worker_config {
    const char *db_path;                  /* SQLite file (shared with the inbox) */
    lq_inbox *inbox;                      /* borrowed; must outlive the worker */
    const char *api_url;                  /* GitHub REST base URL */
    const char *token;                    /* GitHub token (never logged) */
    const char *const *repos;             /* OWNER/NAME served */
    size_t repo_count;
    const char *label;                    /* landing label, e.g. "land" */
    const char *status_context;           /* e.g. "landq" */
    const char *const *required_checks;   /* optional narrowing */
    size_t required_check_count;
    int verbose;                          /* log every API request */
    const char *mirror_dir;               /* bare git mirrors for conflict analysis
                                             (io/mirror.h); NULL = DB_DIR/mirrors */
    int reconcile_interval_s;             /* sweep for labeled pull requests whose webhook was
                                             lost (io/reconcile.h) at start-up and this often;
                                             0 = never */
    /* GitHub App authentication (io/appauth.h): when set, tokens come from this callback
     * (lq_github_config.token_cb) instead of .token. */
    int (*token_cb)(void *ctx, int refresh, char *buf, size_t cap, lq_error *err);
    void *token_ctx;
    const char *const *redeliver_hooks;   /* OWNER/NAME:HOOK_ID (io/redeliver.h): failed
                                             deliveries asked again at start-up */
    size_t redeliver_hook_count;
    struct lq_metrics *metrics;           /* optional (io/metrics.h), borrowed: the worker's
                                             series are declared and updated there */
    struct lq_board *board;               /* optional (io/board.h), borrowed: every evaluation
                                             is published there for the queue page */
    const char *priority_label;           /* optional: label that puts a pull request ahead
                                             of the others on its branch (NULL: off) */
    const char *priority_min_permission;  /* who may apply it (default "maintain") */
    const char *self_login;               /* optional: landq's own account when the token
                                             cannot say (an App: "<slug>[bot]"); else the
                                             token's user (GET /user, asked once). Only its
                                             comments are landq's sticky comment. */
    long lease_ttl_ms;                    /* branch lease TTL (store.h "Branch leases");
                                             0 = 30 s */
    long lease_renew_ms;                  /* renewal interval (and acquire retry); 0 = 5 s */
    int predictive;                       /* mode = predictive (io/predictive.h): land only
                                             what passed the required checks as a candidate */
    lq_train_config train;                /* its settings (speculation, batch, ...) */
    const struct lq_lanes *lanes;         /* its lane assignment (core/lanes.h), borrowed;
                                             NULL: one lane, "default" */
} lq_worker_config;

/* Opens the store and starts the thread. */
int lq_worker_start(lq_worker **out, const lq_worker_config *cfg, lq_error *err);
/* Tells the worker the webhook listener is up (start-up redelivery waits for it). NULL-safe. */
void lq_worker_listening(lq_worker *w);
/* In-process use (tests, tools): the worker without its thread, talking to GitHub through gh
 * (borrowed; io/gh.h: e.g. tests/helpers/fake_github.c) instead of a REST client of its own;
 * no git mirror (no conflict reports). Queued records are resumed as at start-up. Drive it
 * with lq_worker_step(); free it with lq_worker_stop(). */
struct lq_gh;
int lq_worker_open(lq_worker **out, const lq_worker_config *cfg, const struct lq_gh *gh,
                   lq_error *err);
/* One round of the worker: apply pending deliveries, evaluate what is dirty, land what is
 * ready. Returns how much was done (0: nothing to do); *failed (may be NULL) is set when a
 * round of evaluation failed (the next is delayed 2 s, as the thread does). */
int lq_worker_step(lq_worker *w, int *failed);

/* Branch leases this instance holds now, and whether its last lease call reached the
 * database (for /healthz; any thread). NULL-safe (0, 0). */
int lq_worker_leases_held(lq_worker *w, int *db_ok);

/* Asks the thread to stop after the step in progress (a merge request already sent is
 * resolved first), joins it and frees everything. NULL-safe. */
void lq_worker_stop(lq_worker *w);

#endif
