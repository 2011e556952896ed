/* policy: the landing decision, a pure function (facts in, verdict and reasons out).
 *
 * The worker (io/worker.c) gathers the facts from GitHub's REST API; nothing here does I/O.
 * Rules are documented in docs/decisions.md and pinned by tests/unit/test_policy.c.
 *
 * Ownership: every pointer inside lq_policy_facts is borrowed from the caller for the duration
 * of the call. lq_policy_decide() fills an lq_verdict whose strings are owned by it; release
 * them with lq_verdict_dispose(). */
#ifndef LQ_POLICY_H
#define LQ_POLICY_H

#include <stddef.h>

#include "codeowners.h"
#include "error.h"

/* GitHub's files API returns at most this many files for a pull request. */
#define LQ_POLICY_MAX_FILES 3000

typedef enum {
    LQ_REVIEW_OTHER = 0,         /* COMMENTED, PENDING, unknown: no opinion */
    LQ_REVIEW_APPROVED,
    LQ_REVIEW_CHANGES_REQUESTED,
    LQ_REVIEW_DISMISSED
} lq_review_state;

typedef struct lq_review {
    const char *login;     /* NULL for a deleted ("ghost") account: ignored */
    lq_review_state state;
    const char *commit_id; /* head SHA the review was given on; may be NULL */
} lq_review;

/* Parses a review state as REST (UPPERCASE) or webhooks (lowercase) spell it. */
lq_review_state lq_review_state_parse(const char *s);

typedef struct lq_changed_file {
    const char *path;          /* filename */
    const char *previous_path; /* previous_filename of a rename; NULL otherwise */
} lq_changed_file;

typedef enum { LQ_CHECK_SUCCESS, LQ_CHECK_PENDING, LQ_CHECK_FAILURE } lq_check_state;

typedef struct lq_check {
    const char *name;        /* status context or check run name */
    lq_check_state state;
    const char *detail;      /* description / conclusion, for messages; may be NULL */
} lq_check;

/* Parses a commit status state (success|pending|failure|error). */
lq_check_state lq_check_state_from_status(const char *state);
/* Parses a check run: status (queued|in_progress|completed|...) and conclusion. success,
 * neutral and skipped pass; a run that is not completed is pending; anything else fails. */
lq_check_state lq_check_state_from_run(const char *status, const char *conclusion);

/* "login satisfies owner": team membership or account email match found by the worker. */
typedef struct lq_affiliation {
    const char *login; /* an approver */
    const char *owner; /* "@org/team" or an email address, as written in CODEOWNERS */
} lq_affiliation;

typedef struct lq_policy_facts {
    /* The pull request as GitHub reports it now. */
    const char *repo;     /* "owner/name" */
    int number;
    const char *author;   /* user.login */
    const char *head_sha;
    const char *base_ref;
    int open;             /* state == "open" */
    int merged;
    int draft;
    int has_label;        /* carries the landing label */
    const char *label;    /* the landing label's name, for messages */
    int repo_configured;  /* base repository is one landq serves */

    /* Who applied the label, and whether they may (write, maintain or admin). */
    const char *labeler;  /* NULL when unknown */
    int labeler_can_write;

    /* CODEOWNERS of the base branch. owners == NULL with codeowners_error == NULL means the
     * repository has no CODEOWNERS file (nothing is owned). codeowners_error set means it
     * exists but could not be loaded: landing is blocked with that reason. */
    const lq_codeowners *owners;
    const char *codeowners_path;  /* where it was found, e.g. ".github/CODEOWNERS" */
    const char *codeowners_error;

    const lq_changed_file *files;
    size_t file_count;
    size_t changed_files;  /* "changed_files" of the pull request, to detect truncated lists */

    const lq_review *reviews; /* chronological order, as the reviews API returns them */
    size_t review_count;

    const lq_affiliation *affiliations;
    size_t affiliation_count;

    /* Reviewers without write permission on the repository (GitHub ignores their approvals for
     * code owner review); their approvals do not count and the reasons say so. */
    const char *const *non_writers;
    size_t non_writer_count;

    const lq_check *checks;   /* latest per context/name on the head SHA */
    size_t check_count;
    const char *const *required_checks; /* when count > 0 only these matter, and must exist */
    size_t required_check_count;
    const char *self_context; /* landq's own status context (ignored), e.g. "landq" */
} lq_policy_facts;

typedef enum {
    LQ_VERDICT_IGNORE, /* not landq's business now: closed, merged, unlabeled, other repository */
    LQ_VERDICT_WAIT,   /* armed: stays queued, waits for approvals/checks (status pending) */
    LQ_VERDICT_BLOCKED,/* stays labeled but cannot land until something is fixed (status failure) */
    LQ_VERDICT_EJECT,  /* out of the queue: remove the label and tell the author (status failure) */
    LQ_VERDICT_READY   /* may land now, squashing head_sha */
} lq_verdict_kind;

const char *lq_verdict_kind_str(lq_verdict_kind k);

/* A changed path whose owners have not approved. */
typedef struct lq_missing_owner {
    char *path;
    char *owners;  /* "@acme/infra, @bob" */
    unsigned line; /* CODEOWNERS line that decided */
} lq_missing_owner;

typedef struct lq_verdict {
    lq_verdict_kind kind;
    char *summary;       /* one line, <= 140 bytes: the commit status description */
    char **reasons;      /* full sentences for the comment and the audit log */
    size_t reason_count;
    lq_missing_owner *missing;  /* paths still needing an owner approval */
    size_t missing_count;
    char **approvers;    /* reviewers whose latest review approves head_sha (author excluded) */
    size_t approver_count;
    char *failing_check; /* name of a failing check (EJECT because of CI), else NULL */
} lq_verdict;

/* Reviewers whose latest opinion (APPROVED/CHANGES_REQUESTED/DISMISSED; later COMMENTED reviews
 * do not override) is APPROVED on head_sha, excluding the author (case-insensitive). Logins are
 * borrowed from reviews; *out is a new array (free() it; not the strings). */
int lq_policy_approvers(const char ***out, size_t *count, const lq_review *reviews, size_t n,
                        const char *author, const char *head_sha, lq_error *err);

/* The decision. Fails only on allocation failure (LQ_ENOMEM) or NULL facts (LQ_EINVAL). */
int lq_policy_decide(lq_verdict *out, const lq_policy_facts *facts, lq_error *err);
void lq_verdict_dispose(lq_verdict *v); /* NULL-safe; leaves v zeroed */

/* The owner check alone (step 6 of the decision), whatever the label, labeler, checks or draft
 * state: out->missing lists every changed path (both paths of a rename) that still lacks an
 * approval from one of its owners on head_sha (approvals counted as in the decision). Only
 * .missing is filled; dispose with lq_verdict_dispose(). For `landq explain` before the label. */
int lq_policy_owners(lq_verdict *out, const lq_policy_facts *facts, lq_error *err);

#endif
