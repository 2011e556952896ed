/* freeze: the merge freeze of a base branch, pure parts (docs/operations.md, "Merge freeze").
 *
 * An operator freezes (repository, branch) with `landq freeze` (an admin request to the running
 * server, io/page.c); the freeze is stored (io/store.h, lq_freeze) and survives restarts. While
 * it holds, pull requests on that branch are still evaluated and told why they wait, and nothing
 * lands: a verdict that would be "ready" becomes "wait" with the freeze as its reason
 * (lq_freeze_hold), and the landing step checks the freeze again right before the merge. */
#ifndef LQ_FREEZE_H
#define LQ_FREEZE_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "policy.h"

#define LQ_FREEZE_REASON_MAX 500
#define LQ_FREEZE_BY_MAX 100
#define LQ_FREEZE_BRANCH_MAX 255

/* Validates a freeze request: branch is a plausible git branch name (no control characters,
 * spaces, "..", "~^:?*[\\", not starting with '-' or '/', not ending with '/', '.' or ".lock"),
 * reason is 1..LQ_FREEZE_REASON_MAX bytes of UTF-8 text without control characters, by (may be
 * NULL) at most LQ_FREEZE_BY_MAX bytes without control characters. LQ_EINVAL names the field. */
int lq_freeze_check(const char *branch, const char *reason, const char *by, lq_error *err);
int lq_freeze_branch_ok(const char *branch);

/* "`main` is frozen: release 4.2, since 2026-01-01T00:00:00Z, by carol". */
void lq_freeze_text(char *out, size_t cap, const char *branch, const char *reason,
                    const char *by, int64_t since_ms);

/* Holds a verdict on a frozen branch: READY becomes WAIT, with the freeze as its summary
 * ("waiting: main is frozen (release 4.2)") and first reason; other verdicts are unchanged.
 * Returns 1 when it held the verdict, 0 when not, LQ_ENOMEM. */
int lq_freeze_hold(lq_verdict *v, const char *branch, const char *reason, const char *by,
                   int64_t since_ms);

#endif
