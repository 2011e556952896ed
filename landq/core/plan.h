/* plan: the landing plan, what a READY decision rests on, and its comparison (pure).
 *
 * Evaluation (io/evaluate.c) turns a READY verdict into a plan: which pull request, onto which
 * base (ref and the tip it saw), which head, who labeled it and when (issue events), which
 * approving reviews counted, which CODEOWNERS blob decided ownership, the required checks and
 * their results, and the commit message. Right before the merge request the landing step
 * (io/landing.c) builds the same plan again from fresh reads and merges only if the two agree
 * (lq_plan_diff); after the merge it checks the outcome against the plan.
 *
 * A plan is immutable once sealed (lq_plan_seal sorts its lists so that two plans of the same
 * facts compare equal whatever order GitHub listed them in).
 *
 * Ownership: a plan owns every string and array in it; lq_plan_dispose() frees them. */
#ifndef LQ_PLAN_H
#define LQ_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define LQ_PLAN_SHA_MAX 65

/* An approving review that counted: the reviewer's latest opinion, APPROVED on the head. */
typedef struct lq_plan_approval {
    char *login;
    int64_t review_id; /* 0 when unknown */
} lq_plan_approval;

/* A required check (or, with no required list, every check seen) and its state. */
typedef struct lq_plan_check {
    char *name;
    int state; /* lq_check_state of core/policy.h */
} lq_plan_check;

typedef struct lq_plan {
    char *repo;                         /* "owner/name" */
    int number;
    char *base_ref;                     /* the base branch decided on */
    char base_sha[LQ_PLAN_SHA_MAX];     /* its tip when decided (where CODEOWNERS was read) */
    char head_sha[LQ_PLAN_SHA_MAX];     /* the head to squash */
    char *labeler;                      /* who applied the landing label ("" unknown) */
    int64_t labeled_at_ms;              /* when (issue events API; 0 unknown) */
    int64_t label_event_id;             /* the `labeled` event (0 unknown) */
    char codeowners_blob[LQ_PLAN_SHA_MAX]; /* "" when the base has no CODEOWNERS */
    lq_plan_approval *approvals;        /* sorted by login (case-insensitive) */
    size_t approval_count;
    lq_plan_check *checks;              /* sorted by name */
    size_t check_count;
    char *title;                        /* commit title */
    char *message;                      /* commit message */
} lq_plan;

/* Starts a plan (*p zeroed first). Strings are copied; NULL becomes "". */
int lq_plan_init(lq_plan *p, const char *repo, int number, const char *base_ref,
                 const char *base_sha, const char *head_sha, lq_error *err);
int lq_plan_set_label(lq_plan *p, const char *labeler, int64_t labeled_at_ms,
                      int64_t label_event_id, lq_error *err);
int lq_plan_set_message(lq_plan *p, const char *title, const char *message, lq_error *err);
void lq_plan_set_codeowners(lq_plan *p, const char *blob_sha);
int lq_plan_add_approval(lq_plan *p, const char *login, int64_t review_id, lq_error *err);
int lq_plan_add_check(lq_plan *p, const char *name, int state, lq_error *err);
/* Sorts the lists: call once after the last add. */
void lq_plan_seal(lq_plan *p);
/* A deep copy of src into *dst (zeroed first). */
int lq_plan_copy(lq_plan *dst, const lq_plan *src, lq_error *err);
void lq_plan_dispose(lq_plan *p); /* NULL-safe; leaves it zeroed */

/* What differs between two plans (bits). */
enum {
    LQ_PLAN_SAME = 0,
    LQ_PLAN_PR = 1u << 0,         /* repository or number: not the same pull request */
    LQ_PLAN_BASE_REF = 1u << 1,   /* retargeted */
    LQ_PLAN_BASE_SHA = 1u << 2,   /* the base moved */
    LQ_PLAN_HEAD = 1u << 3,       /* pushed */
    LQ_PLAN_LABEL = 1u << 4,      /* labeler, label time or label event */
    LQ_PLAN_CODEOWNERS = 1u << 5, /* another CODEOWNERS blob decided ownership */
    LQ_PLAN_APPROVALS = 1u << 6,  /* an approval withdrawn, replaced or added */
    LQ_PLAN_CHECKS = 1u << 7,     /* a check's result changed */
    LQ_PLAN_MESSAGE = 1u << 8     /* title or message */
};

/* The bits where decided and now differ (0: the same plan). */
unsigned lq_plan_diff(const lq_plan *decided, const lq_plan *now);

/* The bits that forbid merging with the decided plan. Everything but LQ_PLAN_BASE_SHA: a base
 * tip that moved is harmless by itself (GitHub squashes onto the current tip) as long as the
 * ownership read from it is the same, which LQ_PLAN_CODEOWNERS and LQ_PLAN_APPROVALS say. */
#define LQ_PLAN_BLOCKING (~(unsigned)LQ_PLAN_BASE_SHA)

/* "base ref, head SHA" for the bits (comma separated, "nothing" for 0); returns buf. */
const char *lq_plan_diff_str(unsigned bits, char *buf, size_t cap);

#endif
