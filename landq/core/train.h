/* train: predictive testing on the tip, the pure state machine (docs/predictive.md).
 *
 * One train per (repository, base branch). Pull requests that are ready to land join it in label
 * order; each belongs to one or more lanes (core/lanes.h). For the first PRs of each lane the
 * train plans *builds*: a build is a candidate commit = the squash of its PRs on top of the
 * candidate of the build ahead of it in its lane (or on the real tip), pushed by the I/O layer to
 * landq/try/<base>/<lane>/pr-<n>, where CI runs. A build passes when the required checks pass on
 * its candidate; then its PRs land (in order) and the builds behind it are the new head.
 *
 *   entry:  WAITING ──planned──> IN_BUILD ──build passed, at the head──> LANDING ──> LANDED
 *              ^  ^                  │ build invalidated (a PR ahead left, the base moved)
 *              │  └──────────────────┘
 *              └── BLOCKED (conflicts with a PR ahead: rebuilt on the real tip once it landed)
 *           any ──culprit / conflict on the tip / refused──> EJECTED ──(feedback given)──> gone
 *
 *   build:  PLANNED ──pushed──> TESTING ──checks pass──> PASSED ──> LANDING ──> LANDED
 *                                 │ checks fail / time out
 *                                 v
 *                               FAILED: while a build ahead has not passed, or (optimistic) a
 *                               build behind is still testing: wait ("pending failure").
 *                               Then: rescued (optimistic: a build behind, which contains it,
 *                               passed) | re-run (retry_failed) | culprit ejected (one PR) |
 *                               bisected (a batch: the first half is re-tested, the second half
 *                               waits; if the first half passes, the second half is known red).
 *                               Every build behind a dead build is invalidated (DEAD) and its PRs
 *                               wait to be rebuilt without the culprit.
 *
 * Bounds: at most `speculation` builds of a lane are PLANNED or TESTING at once, each holds at
 * most `batch` PRs. A PR spanning lanes is built only when every PR ahead of it in its lanes has
 * landed (so on the real tip); the PRs behind it speculate on top of it.
 *
 * The I/O layer asks lq_train_next() for the next action (eject feedback, delete a try branch,
 * land a build, build/re-run a candidate), performs it and reports the outcome; it also reports
 * check results, PRs leaving the queue and base moves. Time is passed in (ms); nothing here does
 * I/O. The whole train serialises to JSON (lq_train_to_json) for the store: persist it after every
 * report, before the next side effect.
 *
 * Ownership: lq_train owns all its memory (lq_train_free). Actions and getters return borrowed
 * pointers valid until the next call that changes the train. */
#ifndef LQ_TRAIN_H
#define LQ_TRAIN_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define LQ_TRAIN_MAX_SPECULATION 32
#define LQ_TRAIN_MAX_BATCH 32
#define LQ_TRAIN_MAX_ENTRIES 4096

typedef struct lq_train_config {
    unsigned speculation;  /* k: builds of a lane under test at once (1..32) */
    unsigned batch;        /* b: PRs per build (1..32) */
    unsigned retry_failed; /* n: re-runs of a failed build before blaming it */
    int optimistic;        /* a passing build rescues the failed builds it contains */
    int64_t ci_timeout_ms; /* a build whose checks did not all report by then failed */
} lq_train_config;

typedef enum {
    LQ_ENTRY_WAITING = 0, /* needs a build */
    LQ_ENTRY_BLOCKED,     /* conflicted with a PR ahead: waits until the PRs ahead landed */
    LQ_ENTRY_IN_BUILD,    /* part of a build (see its state) */
    LQ_ENTRY_LANDING,     /* its build passed; being merged */
    LQ_ENTRY_LANDED,      /* merged (kept until lq_train_forget) */
    LQ_ENTRY_EJECTED      /* out of the queue with a reason (kept until lq_train_forget) */
} lq_entry_state;

typedef enum {
    LQ_BUILD_PLANNED = 0, /* to be built and pushed (or re-pushed, attempt > 0) */
    LQ_BUILD_TESTING,     /* pushed; waiting for the required checks */
    LQ_BUILD_PASSED,
    LQ_BUILD_FAILED,      /* failed; the decision may still wait (see above) */
    LQ_BUILD_LANDING,
    LQ_BUILD_LANDED,
    LQ_BUILD_DEAD         /* invalidated or superseded (kept only while referenced) */
} lq_build_state;

typedef struct lq_train_entry {
    int pr;
    char head[41];
    char **lanes;          /* sorted lane names (owned) */
    size_t nlanes;
    int all_lanes;         /* touches a catch-all area: shares a lane with every PR */
    int64_t queued_ms;     /* label time: queue order (ties: lower PR number first) */
    lq_entry_state state;
    uint32_t build;        /* its build (IN_BUILD, LANDING), else 0 */
    uint32_t hold;         /* bisection: known-suspect, waits for build `hold` to decide */
    char hold_failure[512];
    char candidate[41];    /* its commit in the build's chain, once built */
    char landed[41];       /* its merge commit once LANDED */
    unsigned retries;      /* re-runs of builds that held it */
    unsigned builds;       /* builds that held it */
    char reason[1024];     /* why EJECTED */
    int64_t landed_ms;
} lq_train_entry;

typedef struct lq_train_build {
    uint32_t id;
    uint32_t parent;       /* the build it is chained on; 0 = the real tip */
    char base[41];         /* the commit it was built on, once built */
    int prs[LQ_TRAIN_MAX_BATCH];
    size_t nprs;
    lq_build_state state;
    unsigned attempt;      /* 0, then +1 per re-run */
    char sha[41];          /* the candidate (chain tip), once built */
    char ref[300];         /* try branch (refs/heads/ omitted) */
    int64_t started_ms;    /* when pushed (this attempt) */
    int64_t retry_at_ms;   /* PLANNED after a transient failure: not before */
    int64_t min_check_id;  /* check runs/statuses with id <= this belong to an earlier attempt */
    int rescued;           /* FAILED, then rescued by a later passing build (optimistic) */
    int blamed;            /* the failure was acted on (retry, eject, bisect) */
    char failure[1024];    /* failed checks (and their URLs), or the timeout */
    char pending[512];     /* the last "waiting for ..." report (for the timeout message) */
} lq_train_build;

typedef struct lq_train_counters {
    unsigned long candidates_started; /* builds pushed (re-runs included) */
    unsigned long candidates_passed, candidates_failed;
    unsigned long flake_retries, flake_rescued; /* re-runs, and re-runs that passed */
    unsigned long optimistic_rescues, bisections, ejections, landed, invalidations;
} lq_train_counters;

typedef struct lq_train lq_train;

int lq_train_new(lq_train **out, const char *repo, const char *base, const lq_train_config *cfg,
                 lq_error *err);
void lq_train_free(lq_train *t); /* NULL-safe */
/* Checks a configuration (ranges); LQ_EINVAL with the reason. */
int lq_train_config_check(const lq_train_config *cfg, lq_error *err);
/* Replaces the configuration (e.g. after a restart with new settings); builds already planned
 * keep their PRs. */
int lq_train_configure(lq_train *t, const lq_train_config *cfg, lq_error *err);

/* A ready PR joins (or, already there with the same head, nothing changes; with another head it
 * is removed and joins again). lanes: at least one name unless all_lanes. queued_ms orders the
 * queue. Joining ahead of builds already planned invalidates them. */
int lq_train_add(lq_train *t, int pr, const char *head, const char *const *lanes, size_t nlanes,
                 int all_lanes, int64_t queued_ms, lq_error *err);
/* The PR left the queue (unlabeled, pushed, closed, no longer approved): its build and the builds
 * behind it are invalidated. A LANDING PR is not removed (the landing decides); LQ_ENOTFOUND if
 * it is not in the train. */
int lq_train_remove(lq_train *t, int pr, lq_error *err);
/* Forgets a LANDED or EJECTED entry once its feedback is given. */
int lq_train_forget(lq_train *t, int pr);

/* The base branch's real tip. foreign = moved by someone other than landq's landings: every
 * build not landing is invalidated (rebuilt on the new tip). */
void lq_train_set_tip(lq_train *t, const char *sha, int foreign);
const char *lq_train_tip(const lq_train *t);
/* 1 when sha is one of the recent commits landq landed on this base (up to 256 remembered). */
int lq_train_landed_by_us(const lq_train *t, const char *sha);

typedef enum {
    LQ_ACT_NONE = 0,
    LQ_ACT_EJECT,  /* pr: give the ejection feedback (reason in the entry), then lq_train_forget */
    LQ_ACT_DELETE, /* ref: delete the try branch, then lq_train_ref_deleted */
    LQ_ACT_LAND,   /* build: land its PRs in order (lq_train_landed / lq_train_land_failed) */
    LQ_ACT_BUILD,  /* build: make the candidate chain on `parent_sha` (the tip when parent is
                      0: the I/O uses the real tip it fetched) and push it to ref; attempt > 0:
                      re-push the same candidate (build->sha) to ref to re-run CI. Report with
                      lq_train_built / lq_train_build_conflict / lq_train_build_error. */
} lq_action_kind;

typedef struct lq_train_action {
    lq_action_kind kind;
    int pr;
    const char *ref;               /* borrowed */
    const lq_train_build *build;   /* borrowed */
    const char *parent_sha;        /* BUILD: the parent build's candidate, or NULL = the tip */
} lq_train_action;

/* Plans (new builds, decisions on failures, timeouts against now_ms) and returns the next action.
 * Order: ejections, deletions, a landing, builds. LQ_ACT_NONE when there is nothing to do (wait
 * for check results or new PRs). A frozen train (incident) returns only EJECT/DELETE. */
void lq_train_next(lq_train *t, int64_t now_ms, lq_train_action *out);

/* BUILD outcomes. candidates[i] = the commit of build->prs[i] in the chain (NULL: only sha). */
int lq_train_built(lq_train *t, uint32_t build, const char *base_sha, const char *sha,
                   const char *const *candidates, int64_t now_ms, lq_error *err);
/* build->prs contains pr, which does not apply cleanly on what is ahead of it: ejected when that
 * was the real tip, else BLOCKED until the PRs ahead of it landed. msg says which files. */
int lq_train_build_conflict(lq_train *t, uint32_t build, int pr, const char *msg, int64_t now_ms,
                            lq_error *err);
/* Transient (network, push refused): the build is planned again after retry_ms. */
int lq_train_build_error(lq_train *t, uint32_t build, int64_t now_ms, int64_t retry_ms);

typedef enum { LQ_CHECKS_PENDING = 0, LQ_CHECKS_PASS, LQ_CHECKS_FAIL } lq_checks_verdict;
/* The required checks on build's candidate sha. summary: the failed checks and their URLs (FAIL)
 * or what is still missing (PENDING). max_check_id: the highest check run/status id read (a
 * re-run ignores ids up to it). Reports for another sha or a build not TESTING are ignored. */
int lq_train_checks(lq_train *t, uint32_t build, const char *sha, lq_checks_verdict v,
                    const char *summary, int64_t max_check_id, int64_t now_ms);

/* LAND outcomes, per PR of the build, in order. */
int lq_train_landed(lq_train *t, int pr, const char *landed_sha, int64_t now_ms, lq_error *err);
typedef enum {
    LQ_LAND_TRANSIENT = 0, /* 5xx, network: try again later (stays LANDING) */
    LQ_LAND_TIP_MOVED,     /* the base is not the candidate's parent chain: rebuild everything */
    LQ_LAND_NOT_READY,     /* the PR changed (head, label, approvals): it leaves the train */
    LQ_LAND_REFUSED,       /* GitHub refused the merge (405 ...): ejected with msg */
    LQ_LAND_MISMATCH       /* landed, but tree(landed) != tree(candidate): incident, train frozen */
} lq_land_failure;
int lq_train_land_failed(lq_train *t, int pr, lq_land_failure why, const char *msg,
                         const char *landed_sha, int64_t now_ms, lq_error *err);
/* A try branch was deleted. */
void lq_train_ref_deleted(lq_train *t, const char *ref);

/* Incident state: nothing is built or landed until an operator unfreezes. */
int lq_train_frozen(const lq_train *t, const char **why);
void lq_train_unfreeze(lq_train *t);

/* Getters (borrowed). */
const lq_train_entry *lq_train_entry_find(const lq_train *t, int pr);
const lq_train_build *lq_train_build_find(const lq_train *t, uint32_t id);
size_t lq_train_entry_count(const lq_train *t);
const lq_train_entry *lq_train_entry_at(const lq_train *t, size_t i); /* queue order */
size_t lq_train_build_count(const lq_train *t);
const lq_train_build *lq_train_build_at(const lq_train *t, size_t i);
const lq_train_counters *lq_train_stats(const lq_train *t);
const char *lq_train_repo(const lq_train *t);
const char *lq_train_base(const lq_train *t);
/* 1-based position of pr among the active PRs sharing a lane with it (0: not active); *depth =
 * active PRs in its lanes. */
size_t lq_train_position(const lq_train *t, int pr, size_t *depth);
/* The lane name of an entry as used in try branch names: its lane, "a+b" when it spans lanes,
 * "all" for a catch-all PR. Written into buf. */
const char *lq_train_lane_name(const lq_train_entry *e, char *buf, size_t len);

const char *lq_entry_state_str(lq_entry_state s);
const char *lq_build_state_str(lq_build_state s);

/* Persistence: the train as a JSON text (malloc'ed, caller frees) and back. */
struct json_t;
struct json_t *lq_train_to_json(const lq_train *t);
int lq_train_from_json(lq_train **out, const struct json_t *j, const lq_train_config *cfg,
                       lq_error *err);

#endif
