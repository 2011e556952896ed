/* gh: the typed GitHub layer. Every REST call landq's worker, reconciliation and redelivery
 * make is one typed operation of an ops table (a libgit2-style backend vtable), so the landing
 * protocol can run against GitHub (gh_rest*.c, on the io/github.h client: ETag cache, rate
 * limits, retries) or against an in-memory fake in one process (tests/helpers/fake_github.c).
 *
 * Reads go through the client's ETag cache: re-reading something unchanged is a 304, which
 * costs no rate limit. That is what makes re-verifying a landing plan right before the merge
 * cheap (io/landing.c).
 *
 * Return codes, for every operation: LQ_OK; LQ_ENOTFOUND (404: no such thing, or invisible to
 * the token); LQ_ETRANSIENT (no answer, 5xx after retries: try again later); LQ_ERROR (any
 * other refusal; err names the request and GitHub's answer); LQ_ENOMEM. The merge is the one
 * write whose HTTP status matters to the caller: lq_gh_merge() returns LQ_OK with the status in
 * the result for every answer GitHub gave, and LQ_ETRANSIENT when none came (outcome unknown).
 *
 * Ownership: outputs are filled by the call and owned by the caller; release each with its
 * _dispose (NULL-safe, leaves it zeroed). On failure outputs are left zeroed. Inputs are
 * borrowed. */
#ifndef LQ_GH_H
#define LQ_GH_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "github.h"

#define LQ_GH_SHA_MAX 65   /* 40 (SHA-1) or 64 (SHA-256) hex digits + NUL */
#define LQ_GH_LOGIN_MAX 128
#define LQ_GH_REF_MAX 256  /* branch names: 255 bytes at most */
#define LQ_GH_REPO_MAX 256 /* "owner/name" */

typedef enum { LQ_GH_MERGEABLE_UNKNOWN = -1, LQ_GH_MERGEABLE_NO = 0, LQ_GH_MERGEABLE_YES = 1 }
    lq_gh_mergeable;

/* GET /repos/{o}/{r}/pulls/{n} */
typedef struct lq_gh_pull {
    int number;
    int open;                          /* state == "open" */
    int merged;
    int draft;
    lq_gh_mergeable mergeable;
    char mergeable_state[32];
    char author[LQ_GH_LOGIN_MAX];      /* user.login */
    char head_sha[LQ_GH_SHA_MAX];
    char head_ref[LQ_GH_REF_MAX];
    char head_repo[LQ_GH_REPO_MAX];    /* head.repo.full_name ("" when the fork is gone) */
    char base_ref[LQ_GH_REF_MAX];
    char base_sha[LQ_GH_SHA_MAX];
    char base_repo[LQ_GH_REPO_MAX];    /* base.repo.full_name */
    char merge_commit_sha[LQ_GH_SHA_MAX];
    char *title;                       /* owned, never NULL after success */
    char *body;                        /* owned, never NULL after success ("" when none) */
    char *base_clone_url;              /* owned, may be NULL */
    char **labels;                     /* owned names */
    size_t label_count;
    long changed_files;                /* -1 when GitHub did not say */
    int from_cache;                    /* answered 304 (unchanged since the last read) */
} lq_gh_pull;
void lq_gh_pull_dispose(lq_gh_pull *p);
/* Whether p carries label (case-insensitive, as GitHub compares label names). */
int lq_gh_pull_has_label(const lq_gh_pull *p, const char *label);

/* GET .../pulls/{n}/files (all pages, at most max_items) */
typedef struct lq_gh_file {
    char *path;          /* owned */
    char *previous_path; /* owned; renames only, else NULL */
} lq_gh_file;
typedef struct lq_gh_files {
    lq_gh_file *items;
    size_t count;
    int from_cache;      /* every page answered 304 */
} lq_gh_files;
void lq_gh_files_dispose(lq_gh_files *f);

/* GET .../pulls/{n}/reviews (all pages, chronological) */
typedef struct lq_gh_review {
    int64_t id;
    char login[LQ_GH_LOGIN_MAX]; /* "" for a deleted ("ghost") account */
    char state[32];              /* APPROVED, CHANGES_REQUESTED, COMMENTED, DISMISSED, PENDING */
    char commit_id[LQ_GH_SHA_MAX];
} lq_gh_review;
typedef struct lq_gh_reviews {
    lq_gh_review *items;
    size_t count;
    int from_cache;
} lq_gh_reviews;
void lq_gh_reviews_dispose(lq_gh_reviews *r);

/* GET .../issues/{n}/timeline (all pages, chronological): the issue events, and the comments as
 * "commented" items, so one read answers both "who labeled it" and "has landq commented". */
typedef struct lq_gh_issue_event {
    int64_t id;                   /* the event's; a "commented" item's: the comment's */
    char event[32];               /* "labeled", "unlabeled", "commented", ... */
    char actor[LQ_GH_LOGIN_MAX];  /* "commented": the comment's author */
    char *label;                  /* owned; label events only, else NULL */
    char *body;                   /* owned; "commented" items only, else NULL */
    int64_t created_ms;           /* 0 when unparsable */
} lq_gh_issue_event;
typedef struct lq_gh_issue_events {
    lq_gh_issue_event *items;
    size_t count;
    int from_cache;
} lq_gh_issue_events;
void lq_gh_issue_events_dispose(lq_gh_issue_events *e);

/* A file's content at a commit (GET .../contents/{path}?ref=, with the git blobs API for files
 * over 1 MB, which the contents API answers without content). */
typedef enum {
    LQ_GH_CONTENT_FILE,       /* data holds it */
    LQ_GH_CONTENT_NOT_FILE,   /* a directory, symlink or submodule */
    LQ_GH_CONTENT_TOO_BIG,    /* size >= max_bytes: not loaded */
    LQ_GH_CONTENT_UNREADABLE  /* no usable content (detail says why) */
} lq_gh_content_kind;
typedef struct lq_gh_content {
    lq_gh_content_kind kind;
    char *data;                  /* owned, NUL-terminated (FILE only) */
    size_t len;
    long long size;              /* as GitHub reports it */
    char blob_sha[LQ_GH_SHA_MAX];
    char detail[200];
} lq_gh_content;
void lq_gh_content_dispose(lq_gh_content *c);

/* Commit statuses (GET .../commits/{sha}/statuses, all pages, newest first: the latest per context)
 * (GET .../commits/{sha}/check-runs: all pages, latest first). */
typedef struct lq_gh_check {
    char *name;        /* owned: status context or check run name */
    char state[16];    /* statuses: success/pending/failure/error; runs: the run's status */
    char *conclusion;  /* owned: runs only (NULL while not completed) */
    char *description; /* owned, may be NULL: a status's description, a run's output summary */
    char *url;         /* owned, may be NULL: the run's html_url / the status's target_url */
    int64_t id;        /* the check run's or the status's id (ids grow over time) */
} lq_gh_check;
typedef struct lq_gh_checks {
    lq_gh_check *items;
    size_t count;
    int from_cache;
} lq_gh_checks;
void lq_gh_checks_dispose(lq_gh_checks *c);

/* GET .../issues/{n}/comments (all pages) */
typedef struct lq_gh_comment {
    int64_t id;
    char author[LQ_GH_LOGIN_MAX];
    char *body; /* owned */
} lq_gh_comment;
typedef struct lq_gh_comments {
    lq_gh_comment *items;
    size_t count;
} lq_gh_comments;
void lq_gh_comments_dispose(lq_gh_comments *c);

/* GET .../commits/{sha}: what a commit is (post-landing verification). */
typedef struct lq_gh_commit {
    char sha[LQ_GH_SHA_MAX];
    char tree[LQ_GH_SHA_MAX];
    char (*parents)[LQ_GH_SHA_MAX]; /* owned array */
    size_t parent_count;
    char **files;                   /* owned: paths it changed against its first parent
                                       (renames: both paths) */
    size_t file_count;
    int files_truncated;            /* GitHub lists at most 3000 files */
} lq_gh_commit;
void lq_gh_commit_dispose(lq_gh_commit *c);

/* PUT .../pulls/{n}/merge (squash, head SHA pinned) */
typedef struct lq_gh_merge_req {
    const char *sha;     /* the head SHA decided on: GitHub refuses (409) if the head moved */
    const char *title;   /* commit_title */
    const char *message; /* commit_message */
    const char *method;  /* "squash" (default when NULL) */
} lq_gh_merge_req;
typedef struct lq_gh_merge_result {
    long http;                 /* GitHub's status: 200 merged, 405 not mergeable, 409 head moved,
                                  403/422/..., 5xx (outcome unknown) */
    int merged;                /* "merged": true in a 200 */
    char sha[LQ_GH_SHA_MAX];   /* the merge commit */
    char message[300];         /* GitHub's message */
} lq_gh_merge_result;

/* Numbers of the open pull requests carrying a label (GET .../issues?labels=&state=open). */
typedef struct lq_gh_numbers {
    int *items;
    size_t count;
    size_t cached_pages;       /* pages answered 304 */
} lq_gh_numbers;
void lq_gh_numbers_dispose(lq_gh_numbers *n);

/* A webhook's recent deliveries (GET .../hooks/{id}/deliveries, newest first). */
typedef struct lq_gh_delivery {
    int64_t id;
    char guid[128];
    int status_code;
    int64_t delivered_ms;      /* 0 when unparsable */
} lq_gh_delivery;
typedef struct lq_gh_deliveries {
    lq_gh_delivery *items;
    size_t count;
} lq_gh_deliveries;
void lq_gh_deliveries_dispose(lq_gh_deliveries *d);

/* Ordered like lq_config_permission_rank(): "at least write" is >= LQ_GH_PERM_WRITE. */
typedef enum {
    LQ_GH_PERM_NONE = 0, /* not a collaborator, or read */
    LQ_GH_PERM_TRIAGE,
    LQ_GH_PERM_WRITE,
    LQ_GH_PERM_MAINTAIN,
    LQ_GH_PERM_ADMIN
} lq_gh_permission;

/* The operations. ctx is lq_gh.ctx. Every function pointer is required. */
typedef struct lq_gh_ops {
    int version; /* LQ_GH_OPS_VERSION */
    int (*pull_get)(void *ctx, lq_gh_pull *out, const char *repo, int number, lq_error *err);
    int (*files_list)(void *ctx, lq_gh_files *out, const char *repo, int number,
                      size_t max_items, lq_error *err);
    int (*reviews_list)(void *ctx, lq_gh_reviews *out, const char *repo, int number,
                        lq_error *err);
    int (*issue_events_list)(void *ctx, lq_gh_issue_events *out, const char *repo, int number,
                             lq_error *err);
    int (*branch_sha)(void *ctx, char out[LQ_GH_SHA_MAX], const char *repo, const char *branch,
                      lq_error *err);
    int (*content_get)(void *ctx, lq_gh_content *out, const char *repo, const char *path,
                       const char *ref, size_t max_bytes, lq_error *err);
    int (*permission_get)(void *ctx, lq_gh_permission *out, const char *repo,
                          const char *login, lq_error *err);
    int (*team_member)(void *ctx, int *out, const char *org, const char *slug,
                       const char *login, lq_error *err);
    int (*user_email)(void *ctx, char **out, const char *login, lq_error *err);
    int (*self_login)(void *ctx, char out[LQ_GH_LOGIN_MAX], lq_error *err);
    int (*statuses_get)(void *ctx, lq_gh_checks *out, const char *repo, const char *sha,
                        lq_error *err);
    int (*check_runs_list)(void *ctx, lq_gh_checks *out, const char *repo, const char *sha,
                           lq_error *err);
    int (*commit_get)(void *ctx, lq_gh_commit *out, const char *repo, const char *sha,
                      lq_error *err);
    int (*commit_pulls)(void *ctx, lq_gh_numbers *out, const char *repo, const char *sha,
                        lq_error *err);
    int (*labeled_pulls)(void *ctx, lq_gh_numbers *out, const char *repo, const char *label,
                         lq_error *err);
    int (*comments_list)(void *ctx, lq_gh_comments *out, const char *repo, int number,
                         lq_error *err);
    int (*status_post)(void *ctx, const char *repo, const char *sha, const char *state,
                       const char *description, const char *context, lq_error *err);
    int (*comment_create)(void *ctx, lq_gh_comment *out, const char *repo, int number,
                          const char *body, lq_error *err);
    int (*comment_update)(void *ctx, lq_gh_comment *out, const char *repo, int64_t id,
                          const char *body, lq_error *err);
    int (*label_remove)(void *ctx, const char *repo, int number, const char *label,
                        lq_error *err);
    int (*merge)(void *ctx, lq_gh_merge_result *out, const char *repo, int number,
                 const lq_gh_merge_req *req, lq_error *err);
    int (*deliveries_list)(void *ctx, lq_gh_deliveries *out, const char *repo, long long hook,
                           size_t max_items, lq_error *err);
    int (*redeliver)(void *ctx, const char *repo, long long hook, int64_t delivery_id,
                     lq_error *err);
    void (*rate)(void *ctx, lq_gh_rate *out);
} lq_gh_ops;
#define LQ_GH_OPS_VERSION 1

typedef struct lq_gh {
    const lq_gh_ops *ops; /* borrowed (static tables) */
    void *ctx;            /* borrowed: the backend's state */
} lq_gh;

/* The REST backend on a client (borrowed: it must outlive out). */
void lq_gh_rest_init(lq_gh *out, lq_github *client);

/* Typed calls: each forwards to gh->ops (see the ops for arguments). */
int lq_gh_pull_get(const lq_gh *gh, lq_gh_pull *out, const char *repo, int number,
                   lq_error *err);
int lq_gh_files_list(const lq_gh *gh, lq_gh_files *out, const char *repo, int number,
                     size_t max_items, lq_error *err);
int lq_gh_reviews_list(const lq_gh *gh, lq_gh_reviews *out, const char *repo, int number,
                       lq_error *err);
int lq_gh_issue_events_list(const lq_gh *gh, lq_gh_issue_events *out, const char *repo,
                            int number, lq_error *err);
/* The commit a branch points at (GET .../git/ref/heads/{branch}). */
int lq_gh_branch_sha(const lq_gh *gh, char out[LQ_GH_SHA_MAX], const char *repo,
                     const char *branch, lq_error *err);
int lq_gh_content_get(const lq_gh *gh, lq_gh_content *out, const char *repo, const char *path,
                      const char *ref, size_t max_bytes, lq_error *err);
int lq_gh_permission_get(const lq_gh *gh, lq_gh_permission *out, const char *repo,
                         const char *login, lq_error *err);
/* Active membership of login in org/slug (pending invitations do not count); *out 0 on 404. */
int lq_gh_team_member(const lq_gh *gh, int *out, const char *org, const char *slug,
                      const char *login, lq_error *err);
/* The public e-mail of login (*out owned, NULL when none or no such user). */
int lq_gh_user_email(const lq_gh *gh, char **out, const char *login, lq_error *err);
/* The login of the token's own account (GET /user); LQ_ENOTFOUND when the token cannot say
 * (a GitHub App installation token). */
int lq_gh_self_login(const lq_gh *gh, char out[LQ_GH_LOGIN_MAX], lq_error *err);
int lq_gh_statuses_get(const lq_gh *gh, lq_gh_checks *out, const char *repo, const char *sha,
                       lq_error *err);
int lq_gh_check_runs_list(const lq_gh *gh, lq_gh_checks *out, const char *repo,
                          const char *sha, lq_error *err);
int lq_gh_commit_get(const lq_gh *gh, lq_gh_commit *out, const char *repo, const char *sha,
                     lq_error *err);
/* Pull requests associated with a commit (GET .../commits/{sha}/pulls), the one whose merge
 * commit it is first. */
int lq_gh_commit_pulls(const lq_gh *gh, lq_gh_numbers *out, const char *repo, const char *sha,
                       lq_error *err);
int lq_gh_labeled_pulls(const lq_gh *gh, lq_gh_numbers *out, const char *repo,
                        const char *label, lq_error *err);
int lq_gh_comments_list(const lq_gh *gh, lq_gh_comments *out, const char *repo, int number,
                        lq_error *err);
int lq_gh_status_post(const lq_gh *gh, const char *repo, const char *sha, const char *state,
                      const char *description, const char *context, lq_error *err);
int lq_gh_comment_create(const lq_gh *gh, lq_gh_comment *out, const char *repo, int number,
                         const char *body, lq_error *err);
/* LQ_ENOTFOUND when the comment was deleted. */
int lq_gh_comment_update(const lq_gh *gh, lq_gh_comment *out, const char *repo, int64_t id,
                         const char *body, lq_error *err);
/* Edits comment *id when it is set and still exists, else creates one on repo#number;
 * *id is updated, *author (may be NULL) gets the comment's author. */
int lq_gh_comment_upsert(const lq_gh *gh, int64_t *id, char *author, size_t author_cap,
                         const char *repo, int number, const char *body, lq_error *err);
/* Removes label from repo#number; a label already gone (404) is LQ_OK. */
int lq_gh_label_remove(const lq_gh *gh, const char *repo, int number, const char *label,
                       lq_error *err);
int lq_gh_merge(const lq_gh *gh, lq_gh_merge_result *out, const char *repo, int number,
                const lq_gh_merge_req *req, lq_error *err);
int lq_gh_deliveries_list(const lq_gh *gh, lq_gh_deliveries *out, const char *repo,
                          long long hook, size_t max_items, lq_error *err);
int lq_gh_redeliver(const lq_gh *gh, const char *repo, long long hook, int64_t delivery_id,
                    lq_error *err);
void lq_gh_rate_get(const lq_gh *gh, lq_gh_rate *out);

#endif
