/* mockhub.h -- internal interfaces of the mockhub server (state model, git, webhooks, HTTP).
 * The pure parts (routing, world parsing, pagination, faults, signing) live in core/. */
#ifndef MOCKHUB_H
#define MOCKHUB_H

#include <git2.h>
#include <jansson.h>
#include <pthread.h>
#include <stdint.h>
#include <time.h>

#include "core/mh_fault.h"
#include "core/mh_page.h"
#include "core/mh_route.h"
#include "core/mh_util.h"
#include "core/mh_world.h"

/* ---- logging (logfmt, one line per event, stderr) ---- */
void mh_log(const char *level, const char *msg, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- state ---- */

typedef struct mh_user {
    int64_t id;
    char *login, *name, *email, *token;
    int is_org, is_bot, site_admin;
    /* primary rate limit bucket */
    long rl_limit, rl_used;
    time_t rl_reset;
    json_t *json; /* cached simple-user rendering (immutable once built) */
} mh_user;

typedef struct mh_team {
    int64_t id;
    char *slug, *name, *privacy, *parent;
    mh_user *org;
    json_t *members, *maintainers, *pending; /* arrays of logins */
} mh_team;

/* A pull request, or a plain issue (is_issue: no branches, no reviews): they share the numbers
 * of a repository, as on GitHub (repo->pulls[number - 1]). */
typedef struct mh_pull {
    int number;
    int is_issue;
    int64_t id;
    char *title, *body;
    mh_user *user;
    int open, draft, merged, locked;
    char *head_ref, *base_ref;
    char head_sha[41], base_sha[41], merge_commit_sha[41];
    json_t *labels;  /* array of label names (case as in repo labels) */
    json_t *reviews; /* array of {id, user, body, state, commit_id, submitted_at} */
    time_t created_at, updated_at, closed_at, merged_at;
    mh_user *merged_by;
    /* mergeability: -1 unknown (compute on next read), 0 conflicts, 1 clean */
    int mergeable;
    int null_reads_left; /* reads that still answer null after a (re)computation */
    double ready_at_ms;  /* and not before this time (world mergeable_delay_ms) */
    int additions, deletions, changed_files, ncommits;
    int stats_stale; /* recompute the four above on the next full rendering */
    int comments;
    char state_reason[16]; /* "" (open, never closed), "completed", "not_planned", "reopened" */
    json_t *requested_reviewers; /* logins asked for a review (a review removes its author) */
    json_t *requested_teams;     /* team slugs */
} mh_pull;

typedef struct mh_repo {
    int64_t id;
    mh_user *owner;
    char *name, *full_name, *default_branch, *description;
    int private, archived;
    json_t *settings;      /* allow_squash_merge, ... */
    json_t *collaborators; /* login -> role */
    json_t *team_roles;    /* slug -> role */
    git_repository *git;
    char *gitdir;
    json_t *labels;     /* [{id, name, color, description, default}] */
    json_t *hooks;      /* [{id, url, secret, content_type, events, active, created_at, updated_at}] */
    mh_pull **pulls;    /* pulls[number - 1] */
    size_t npulls, cap;
    json_t *comments;   /* [{id, issue, user, body, created_at, updated_at}] */
    json_t *review_comments; /* [{id, pull, review_id, user, path, line, side, position, diff_hunk...}] */
    json_t *events;     /* [{id, issue, event, actor, label?, commit_id, created_at}] */
    json_t *statuses;   /* [{id, sha, state, context, description, target_url, creator, ...}] */
    json_t *check_runs; /* [{id, head_sha, name, status, conclusion, ...}] */
    json_t *protection; /* branch -> {required_approving_review_count, required_status_checks, dismiss_stale_reviews} */
    time_t created_at, updated_at, pushed_at;
    json_t *json_min;   /* cached minimal rendering for pull head/base (immutable once built) */
    char json_key[160]; /* what json_min was built from */
    json_t *contributors;     /* login -> true: authors of commits on the default branch... */
    char contributors_tip[41]; /* ...at this tip (author_association CONTRIBUTOR) */
} mh_repo;

typedef struct {
    uint64_t seq;
    char method[8];
    char *path;
    char *query;      /* raw query string, or NULL */
    int status;
    char *user;
    const char *route; /* operation id (static), "-" when no operation matched */
    int unimplemented; /* a GitHub operation mockhub does not implement */
    json_t *headers;  /* selected request headers (Authorization redacted) */
    json_t *body;     /* the request body: JSON, or a string (truncated at 64 KiB), or NULL */
    double ms;
    time_t at;
} mh_reqlog;

typedef struct mh_state {
    pthread_mutex_t lock; /* the big lock: every handler runs under it */
    mh_user **users;      /* users and orgs */
    size_t nusers;
    mh_team **teams;
    size_t nteams;
    mh_repo **repos;
    size_t nrepos;
    json_t *apps;
    int64_t next_id;
    json_t *meta;
    long rl_core, rl_unauth, rl_window;
    int rl_status;
    mh_user anon; /* bucket for unauthenticated calls */
    int mergeable_delay_reads;
    long mergeable_delay_ms;
    int strict; /* serve --strict: unimplemented GitHub endpoints answer 501 (else 404) */
    long clock_skew_s; /* POST /_mockhub/clock: added to mockhub's clock for App JWT checks,
                          installation token lifetimes and the Date header of API answers (tests
                          of landq's clock skew tolerance and correction) */
    int clock_frozen;       /* world "clock" / POST /_mockhub/clock {"freeze"}: recorded */
    time_t clock_frozen_at; /* timestamps and commit dates use this instant (mh_now) */
    mh_faults faults;
    mh_rng rng;
    char *base_url;  /* "http://127.0.0.1:PORT", or serve --public-url */
    const char *public_url; /* serve --public-url (borrowed from argv), NULL = from --listen */
    char *state_dir; /* repositories live in state_dir/repos/OWNER/NAME.git */
    size_t max_body;
    /* request log */
    mh_reqlog *reqs;
    size_t nreqs, reqcap;
    uint64_t req_seq;
    json_t *installation_tokens; /* token -> {installation, expires_at} */
    json_t *world; /* the world loaded (POST /_mockhub/reset reloads it) */
} mh_state;

extern mh_state *g_mh;

int mh_state_init(mh_state *st, const mh_world *w, const char *state_dir, char *err, size_t errlen);
void mh_state_dispose(mh_state *st);
/* POST /_mockhub/reset, under the lock with webhooks already reset: drops the whole state
 * (repositories on disk included) and loads w (NULL: the world loaded last) as at start-up. */
int mh_state_reset(const mh_world *w, char *err, size_t errlen);
int64_t mh_next_id(void);
mh_user *mh_user_by_login(const char *login);
mh_user *mh_user_by_token(const char *token);
mh_repo *mh_repo_find(const char *owner, const char *name);
mh_team *mh_team_find(const char *org, const char *slug);
int mh_team_has_member(const mh_team *t, const char *login, int include_pending);
int mh_org_has_member(const mh_user *org, const mh_user *u); /* "members" or any team's member */
/* Effective role 0..5 of `u` (NULL = anonymous) on repo. */
int mh_repo_role(const mh_repo *r, const mh_user *u);
int mh_repo_visible(const mh_repo *r, const mh_user *u);
/* Branch protection of p's base: NULL when satisfied (or unprotected), else GitHub's 405 message
 * (static or in buf). */
const char *mh_protection_blocker(mh_repo *r, mh_pull *p, char *buf, size_t len);
mh_pull *mh_pull_get(mh_repo *r, int number); /* a pull request or a plain issue */
/* A plain issue numbered after the repository's last issue or pull request. */
mh_pull *mh_issue_new(mh_repo *r, mh_user *user, const char *title, const char *body);
mh_pull *mh_pull_new(mh_repo *r, mh_user *user, const char *title, const char *body,
                     const char *head, const char *base, int draft, char *err, size_t errlen);
json_t *mh_repo_label(mh_repo *r, const char *name);                   /* borrowed or NULL */
/* Installations (of g_mh->apps) covering repo r; new array of borrowed-by-copy objects. */
json_t *mh_app_installation_for(json_t *app, mh_repo *r);
json_t *mh_repo_label_add(mh_repo *r, const char *name, const char *color, const char *desc);
void mh_issue_event(mh_repo *r, int number, const char *event, mh_user *actor, json_t *extra);

/* ---- rendering (new references) ---- */
json_t *mh_render_user(const mh_user *u); /* a fresh object the caller may change */
json_t *mh_user_json(mh_user *u);         /* shared, read-only: never modify the result */
json_t *mh_render_repo(const mh_repo *r, const mh_user *viewer, int full, int webhook_push);
json_t *mh_render_pull(mh_repo *r, mh_pull *p, int full);
json_t *mh_render_label(const mh_repo *r, const json_t *label);
json_t *mh_render_labels_of(mh_repo *r, mh_pull *p);
json_t *mh_render_review(mh_repo *r, mh_pull *p, const json_t *rv);
json_t *mh_render_comment(mh_repo *r, const json_t *c);
json_t *mh_render_review_comment(mh_repo *r, const json_t *cm); /* api_reviews.c */
int mh_review_comment_count(mh_repo *r, int pull);              /* api_reviews.c */
/* OWNER, MEMBER (of the owning org), COLLABORATOR, CONTRIBUTOR (authored a commit on the default
 * branch), NONE: GitHub's author_association of u on r. */
const char *mh_author_association(mh_repo *r, const mh_user *u);
json_t *mh_render_issue(mh_repo *r, mh_pull *p);
json_t *mh_render_team(const mh_team *t, const char *permission); /* the "team" shape */
json_t *mh_render_status(mh_repo *r, const json_t *s);
json_t *mh_render_check_run(mh_repo *r, const json_t *cr);
json_t *mh_render_hook(mh_repo *r, const json_t *h);
json_t *mh_render_commit(mh_repo *r, const git_oid *oid, int with_files);
json_t *mh_render_git_ref(mh_repo *r, const char *refname, const git_oid *oid);
void mh_iso_now(char out[32]); /* mh_now() as "2024-01-01T00:00:00Z" */
/* GitHub's clock for what mockhub records and renders (created_at..., commit dates): the frozen
 * instant when the clock is frozen, else the real time. App JWT checks, token lifetimes, the Date
 * header and rate-limit windows keep the real clock (plus clock_skew_s). */
time_t mh_now(void);

/* ---- git (gitops.c); all under the big lock ---- */
int mh_git_init_repo(mh_repo *r, json_t *files, char *err, size_t errlen);
/* Resolves a branch name, "heads/x", "refs/heads/x", tag or sha (prefix) to a commit id. */
int mh_git_resolve(mh_repo *r, const char *ref, git_oid *out);
int mh_git_branch_tip(mh_repo *r, const char *branch, git_oid *out);
/* Commits `files` (path -> content string, or null to delete) on top of `parent` (may be NULL:
 * root commit). Returns 0 and the new commit id in out. */
int mh_git_commit_files(mh_repo *r, const git_oid *parent, json_t *files, const char *message,
                        const mh_user *author, git_oid *out, char *err, size_t errlen);
/* Sets refs/heads/BRANCH (or any full ref) to oid; records the change for webhooks/PR sync.
 * old may be NULL (creation); new_oid NULL = delete. */
int mh_git_set_ref(mh_repo *r, const char *fullref, const git_oid *new_oid, mh_user *pusher,
                   int forced);
/* Called after any branch moved (REST or smart HTTP): PR synchronize, mergeability, push hook. */
void mh_on_ref_update(mh_repo *r, const char *fullref, const git_oid *old_oid,
                      const git_oid *new_oid, mh_user *pusher, int forced);
/* Mergeability of head into base: 1 clean (test merge commit id in out), 0 conflicts, -1 error. */
int mh_git_mergeable(mh_repo *r, mh_pull *p, git_oid *test_merge);
/* Fills p->additions/deletions/changed_files/ncommits. */
void mh_git_pull_stats(mh_repo *r, mh_pull *p);
json_t *mh_git_pull_files(mh_repo *r, mh_pull *p);   /* array of diff-entry (capped at 3000) */
git_diff *mh_git_pull_diff(mh_repo *r, mh_pull *p);  /* merge-base..head with renames; caller frees */
json_t *mh_git_pull_commits(mh_repo *r, mh_pull *p); /* array of commit objects, oldest first */
/* Performs the merge; on success out holds the new base tip. -2 conflict, -1 error. */
int mh_git_merge_pull(mh_repo *r, mh_pull *p, const char *method, const char *title,
                      const char *message, mh_user *merger, git_oid *out, char *err, size_t errlen);
/* Merges the base into the head branch (update-branch): 0 new commit in out, 1 already up to
 * date, -2 conflict, -1 error. The caller moves the head ref. */
int mh_git_update_branch(mh_repo *r, mh_pull *p, mh_user *who, git_oid *out);
int mh_git_read_file(mh_repo *r, const git_oid *commit, const char *path, git_blob **blob_out,
                     git_oid *blob_id, int *is_dir);
json_t *mh_git_list_dir(mh_repo *r, const git_oid *commit, const char *path, const char *ref);
/* GET compare: commit-comparison object (new reference), or NULL without a merge base. */
json_t *mh_git_compare(mh_repo *r, const git_oid *base, const git_oid *head, const char *basehead);
int mh_git_is_ancestor(mh_repo *r, const git_oid *ancestor, const git_oid *descendant);
/* Logins (object login -> true) of the world users who authored commits reachable from tip. */
json_t *mh_git_authors(mh_repo *r, const git_oid *tip);

/* ---- webhooks (webhooks.c) ---- */
int mh_hooks_start(void);
void mh_hooks_stop(void);
/* Queues `event` with `payload` (stolen) for every active hook of repo subscribed to it, and for
 * every App webhook whose installation covers repo. */
void mh_hooks_emit(mh_repo *r, const char *event, json_t *payload);
/* The same; returns how many deliveries were queued and the event's GUID in guid. */
int mh_hooks_emit_guid(mh_repo *r, const char *event, json_t *payload, char guid[37]);
/* POST /_mockhub/reset: drops queued deliveries, waits for the one in flight, clears the log. */
void mh_hooks_reset(void);
/* Sends a ping to one hook. */
void mh_hooks_ping(mh_repo *r, json_t *hook);
json_t *mh_hooks_deliveries(int64_t hook_id, int64_t delivery_id); /* list, or one if id > 0 */
int mh_hooks_redeliver(int64_t hook_id, int64_t delivery_id);
/* Waits until no delivery is queued or in flight. Returns 0, or -1 on timeout. */
int mh_hooks_wait_idle(long timeout_ms);
json_t *mh_hooks_log_json(void);
size_t mh_hooks_pending(void);

/* ---- HTTP (server.c) ---- */
typedef struct mh_ctx {
    const char *method;
    const char *path;  /* raw path (no query) */
    const char *query_raw;
    json_t *query;     /* decoded query args, name -> string */
    json_t *body;      /* parsed JSON body or NULL */
    const char *raw_body;
    size_t body_len;
    mh_route_match m;
    mh_user *user;
    int token_is_jwt;
    json_t *app; /* the GitHub App authenticated by a JWT (borrowed from g_mh->apps) */
    mh_repo *repo;
    int role;
    const char *accept;
    const mh_route *unimplemented; /* the GitHub operation mockhub lacks (loud answer), or NULL */
    /* response */
    int status;
    json_t *resp;
    char *raw_resp; /* alternative raw body (owned) */
    size_t raw_len;
    const char *content_type;
    json_t *headers; /* extra response headers name -> string */
} mh_ctx;

void mh_error(mh_ctx *c, int status, const char *message);
void mh_invalid(mh_ctx *c, const char *resource, const char *field, const char *code,
                const char *message);
const char *mh_q(mh_ctx *c, const char *name);
const char *mh_p(mh_ctx *c, const char *name);
void mh_set_header(mh_ctx *c, const char *name, const char *value);
/* Paginates `all` (stolen) into c->resp with Link headers. */
void mh_paginate(mh_ctx *c, json_t *all);
/* Resolves {owner}/{repo}; 404 if not visible, 403 if role < need. Returns 0 or -1 (response set). */
int mh_need_repo(mh_ctx *c, int need);

int mh_route_request(mh_ctx *c, const char *method, const char *path); /* MH_ROUTE_* */
int mh_api_dispatch(mh_ctx *c); /* runs the matched route's handler */

int mh_server_run(const char *listen, const char *port_file);
void mh_reqlog_clear(void); /* under the state lock */
void mh_git_http(void *connection, const char *method, const char *url, const char *body,
                 size_t body_len, void **resp_out, int *status_out);

#endif
