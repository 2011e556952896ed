/* ci.h -- mockhub's CI simulator (ci.c): on every branch push it starts the world's `ci` contexts
 * on the pushed commit (check runs queued -> in_progress -> completed, or commit statuses pending ->
 * success/failure) with the webhooks GitHub sends, each result decided by the rules from the tree
 * being tested (core/mh_ci.h). A timer thread completes runs after their (compressed) duration.
 * Everything but the thread runs under the big lock. Without a `ci` section it does nothing. */
#ifndef MH_CI_RUNTIME_H
#define MH_CI_RUNTIME_H

#include "mockhub.h"

/* Reads the world's `ci` section (already validated). 0, or -1 with a message. */
int mh_ci_setup(const json_t *world_root, char *err, size_t errlen);
/* Starts the timer thread and the runs on the heads of open pull requests (as if just pushed).
 * Returns 0 or -1. No-op without a `ci` section. */
int mh_ci_start(void);
/* POST /_mockhub/reset (under the lock): before the state is unloaded, every run is dropped (they
 * point into the old repositories); after the new world is loaded, its `ci` section is read and the
 * runs on the open pull requests' heads start, as at start-up (the thread starts if needed).
 * mh_ci_reload returns 0 or -1 with a message. */
void mh_ci_clear(void);
int mh_ci_reload(const json_t *world_root, char *err, size_t errlen);
/* Stops the thread (runs in flight stay as they are). */
void mh_ci_stop(void);
void mh_ci_dispose(void);
/* A branch moved to new_oid (under the lock; from mh_on_ref_update). */
void mh_ci_on_push(mh_repo *r, const char *branch, const git_oid *new_oid);
/* /_mockhub/ci... (under the lock): sub is the path after "/_mockhub/ci". */
void mh_ci_control(mh_ctx *c, const char *sub);

#endif
