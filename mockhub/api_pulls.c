/* api_pulls.c -- REST handlers for pull requests, merges, reviews, issues, labels, comments and
 * issue events. Every change records issue events and sends the webhooks GitHub would. */
#include "api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#define B (g_mh->base_url)

static int parse_int(const char *s, int *out)
{
    if (!s || !*s)
        return -1;
    char *end;
    long v = strtol(s, &end, 10);
    if (*end || v < 1 || v > 1000000000)
        return -1;
    *out = (int)v;
    return 0;
}

/* Loads the pull request {pull_number} or {issue_number}; 404 when absent. */
static mh_pull *need_pull(mh_ctx *c, int need)
{
    if (mh_need_repo(c, need) < 0)
        return NULL;
    int n;
    const char *s = mh_p(c, "pull_number") ? mh_p(c, "pull_number") : mh_p(c, "issue_number");
    mh_pull *p = parse_int(s, &n) == 0 ? mh_pull_get(c->repo, n) : NULL;
    if (p && p->is_issue && mh_p(c, "pull_number"))
        p = NULL; /* an issue is not a pull request */
    if (!p)
        mh_error(c, 404, "Not Found");
    return p;
}

static void touch(mh_pull *p)
{
    p->updated_at = mh_now();
}

static json_t *label_extra(mh_repo *r, const char *name)
{
    json_t *l = mh_repo_label(r, name);
    return json_pack("{s:o}", "label", mh_render_label(r, l));
}

/* ---- pulls ---- */

static int cmp_desc(const void *a, const void *b)
{
    const mh_pull *x = *(mh_pull *const *)a, *y = *(mh_pull *const *)b;
    return y->number - x->number;
}

int h_pulls_list(mh_ctx *c)
{
    if (mh_need_repo(c, 1) < 0)
        return 0;
    const char *state = mh_q(c, "state") ? mh_q(c, "state") : "open";
    const char *head = mh_q(c, "head"), *base = mh_q(c, "base");
    const char *dir = mh_q(c, "direction");
    if (strcmp(state, "open") && strcmp(state, "closed") && strcmp(state, "all")) {
        mh_invalid(c, "PullRequest", "state", "invalid", NULL);
        return 0;
    }
    mh_pull **sorted = malloc((c->repo->npulls + 1) * sizeof *sorted);
    memcpy(sorted, c->repo->pulls, c->repo->npulls * sizeof *sorted);
    qsort(sorted, c->repo->npulls, sizeof *sorted, cmp_desc);
    json_t *arr = json_array();
    for (size_t k = 0; k < c->repo->npulls; k++) {
        size_t i = dir && !strcmp(dir, "asc") ? c->repo->npulls - 1 - k : k;
        mh_pull *p = sorted[i];
        if (p->is_issue || (!strcmp(state, "open") && !p->open) || (!strcmp(state, "closed") && p->open))
            continue;
        if (base && strcmp(base, p->base_ref) != 0)
            continue;
        if (head) {
            const char *colon = strchr(head, ':');
            const char *branch = colon ? colon + 1 : head;
            if (colon && (size_t)(colon - head) != strlen(c->repo->owner->login))
                continue;
            if (colon && strncasecmp(head, c->repo->owner->login, (size_t)(colon - head)) != 0)
                continue;
            if (strcmp(branch, p->head_ref) != 0)
                continue;
        }
        json_array_append_new(arr, mh_render_pull(c->repo, p, 0));
    }
    free(sorted);
    mh_paginate(c, arr);
    return 0;
}

/* GET /repos/{o}/{r}/commits/{commit_sha}/pulls: the pull requests a commit belongs to: the one
 * it merged (its merge commit), and those whose commits include it (open or merged). */
int h_commit_pulls(mh_ctx *c)
{
    if (mh_need_repo(c, 1) < 0)
        return 0;
    const char *ref = mh_p(c, "commit_sha");
    git_oid oid;
    if (mh_git_resolve(c->repo, ref, &oid) < 0) {
        char m[300];
        snprintf(m, sizeof m, "No commit found for SHA: %.200s", ref);
        mh_error(c, 422, m);
        return 0;
    }
    char sha[41];
    git_oid_tostr(sha, sizeof sha, &oid);
    json_t *arr = json_array();
    for (size_t k = c->repo->npulls; k-- > 0;) {
        mh_pull *p = c->repo->pulls[k];
        if (p->is_issue)
            continue;
        git_oid head, base;
        int in = p->merged && !strcmp(p->merge_commit_sha, sha);
        if (!in && git_oid_fromstr(&head, p->head_sha) == 0 && mh_git_is_ancestor(c->repo, &oid, &head))
            in = git_oid_fromstr(&base, p->base_sha) < 0 || !mh_git_is_ancestor(c->repo, &oid, &base);
        if (in)
            json_array_append_new(arr, mh_render_pull(c->repo, p, 0));
    }
    mh_paginate(c, arr);
    return 0;
}

int h_pull_create(mh_ctx *c)
{
    if (mh_need_repo(c, 1) < 0 || need_object(c) < 0)
        return 0;
    static const char *req[] = {"head", "base", "title"};
    for (int i = 0; i < 3; i++) {
        json_t *v = json_object_get(c->body, req[i]);
        if (!v || !json_is_string(v)) {
            mh_invalid(c, "PullRequest", req[i], v ? "invalid" : "missing_field", NULL);
            return 0;
        }
    }
    json_t *bodyv = json_object_get(c->body, "body"), *draftv = json_object_get(c->body, "draft");
    if ((bodyv && !json_is_string(bodyv) && !json_is_null(bodyv)) || (draftv && !json_is_boolean(draftv))) {
        mh_invalid(c, "PullRequest", bodyv && !json_is_string(bodyv) && !json_is_null(bodyv) ? "body" : "draft", "invalid", NULL);
        return 0;
    }
    const char *head = json_string_value(json_object_get(c->body, "head"));
    const char *base = json_string_value(json_object_get(c->body, "base"));
    const char *colon = strchr(head, ':');
    if (colon) {
        if ((size_t)(colon - head) != strlen(c->repo->owner->login) ||
            strncasecmp(head, c->repo->owner->login, (size_t)(colon - head)) != 0) {
            mh_invalid(c, "PullRequest", "head", "invalid", NULL);
            return 0;
        }
        head = colon + 1;
    }
    git_oid h, b;
    if (mh_git_branch_tip(c->repo, head, &h) < 0) {
        mh_invalid(c, "PullRequest", "head", "invalid", NULL);
        return 0;
    }
    if (mh_git_branch_tip(c->repo, base, &b) < 0) {
        mh_invalid(c, "PullRequest", "base", "invalid", NULL);
        return 0;
    }
    for (size_t i = 0; i < c->repo->npulls; i++) {
        mh_pull *p = c->repo->pulls[i];
        if (!p->is_issue && p->open && !strcmp(p->head_ref, head) && !strcmp(p->base_ref, base)) {
            char m[512];
            snprintf(m, sizeof m, "A pull request already exists for %s:%s.", c->repo->owner->login, head);
            mh_invalid(c, "PullRequest", NULL, "custom", m);
            return 0;
        }
    }
    if (mh_git_is_ancestor(c->repo, &h, &b)) {
        char m[512];
        snprintf(m, sizeof m, "No commits between %s and %s", base, head);
        mh_invalid(c, "PullRequest", NULL, "custom", m);
        return 0;
    }
    char err[128];
    mh_pull *p = mh_pull_new(c->repo, c->user, json_string_value(json_object_get(c->body, "title")),
                             json_string_value(bodyv), head, base, json_is_true(draftv), err, sizeof err);
    if (!p) {
        mh_invalid(c, "PullRequest", err, "invalid", NULL);
        return 0;
    }
    mh_log("info", "decision", "why=pull-opened repo=%s pr=%d head=%s base=%s", c->repo->full_name, p->number, head, base);
    c->status = 201;
    c->resp = mh_render_pull(c->repo, p, 1);
    mh_set_header(c, "Location", json_string_value(json_object_get(c->resp, "url")));
    mh_emit_pull(c->repo, p, "opened", c->user, NULL);
    return 0;
}

/* Computes mergeability if stale; answers null while the "background job" runs. */
static void pull_refresh_mergeable(mh_repo *r, mh_pull *p)
{
    if (!p->open || p->mergeable >= 0)
        return;
    git_oid test;
    int m = mh_git_mergeable(r, p, &test);
    p->mergeable = m == 1 ? 1 : 0;
    if (m == 1)
        git_oid_tostr(p->merge_commit_sha, sizeof p->merge_commit_sha, &test);
    else
        p->merge_commit_sha[0] = '\0';
    p->null_reads_left = g_mh->mergeable_delay_reads;
    struct timeval tv;
    gettimeofday(&tv, NULL);
    p->ready_at_ms = tv.tv_sec * 1000.0 + tv.tv_usec / 1000.0 + (double)g_mh->mergeable_delay_ms;
    mh_log("info", "decision", "why=mergeability-computed repo=%s pr=%d mergeable=%s", r->full_name, p->number,
           m == 1 ? "true" : "false");
}

int h_pull_get(mh_ctx *c)
{
    mh_pull *p = need_pull(c, 1);
    if (!p)
        return 0;
    if (mh_text_media(c)) /* Accept: application/vnd.github.diff / .patch */
        return mh_pull_text(c, p, mh_text_media(c));
    pull_refresh_mergeable(c->repo, p);
    int forced = p->open && mh_faults_match_request(&g_mh->faults, "GET", c->path, c->user ? c->user->login : NULL, 1) != NULL;
    int saved = p->null_reads_left;
    if (forced) {
        p->null_reads_left = 1;
        mh_log("info", "fault", "kind=mergeable_null repo=%s pr=%d", c->repo->full_name, p->number);
    }
    c->resp = mh_render_pull(c->repo, p, 1);
    if (forced)
        p->null_reads_left = saved;
    else if (p->null_reads_left > 0)
        p->null_reads_left--;
    return 0;
}

int h_pull_update(mh_ctx *c)
{
    mh_pull *p = need_pull(c, 1);
    if (!p || need_object(c) < 0)
        return 0;
    int is_author = c->user == p->user;
    json_t *title = json_object_get(c->body, "title"), *body = json_object_get(c->body, "body");
    json_t *state = json_object_get(c->body, "state"), *base = json_object_get(c->body, "base");
    if ((title && !json_is_string(title)) || (body && !json_is_string(body) && !json_is_null(body)) ||
        (base && !json_is_string(base))) {
        mh_invalid(c, "PullRequest", title && !json_is_string(title) ? "title" : base && !json_is_string(base) ? "base" : "body", "invalid", NULL);
        return 0;
    }
    if (state && (!json_is_string(state) || (strcmp(json_string_value(state), "open") && strcmp(json_string_value(state), "closed")))) {
        mh_invalid(c, "PullRequest", "state", "invalid", NULL);
        return 0;
    }
    int need = (title || body || base) ? 3 : 2;
    if (!is_author && c->role < need) {
        mh_error(c, 403, "Resource not accessible by personal access token");
        return 0;
    }
    if (base) {
        git_oid b;
        if (mh_git_branch_tip(c->repo, json_string_value(base), &b) < 0) {
            mh_invalid(c, "PullRequest", "base", "invalid", NULL);
            return 0;
        }
    }
    if (state && !strcmp(json_string_value(state), "open") && !p->open && p->merged) {
        mh_invalid(c, "PullRequest", "state", "custom", "state cannot be changed. The pull request has been merged.");
        return 0;
    }
    json_t *changes = json_object();
    if (title && strcmp(json_string_value(title), p->title)) {
        json_object_set_new(changes, "title", json_pack("{s:s}", "from", p->title));
        free(p->title);
        p->title = strdup(json_string_value(title));
    }
    if (body && !(json_is_string(body) && p->body && !strcmp(p->body, json_string_value(body))) &&
        !(json_is_null(body) && !p->body)) {
        json_object_set_new(changes, "body", json_pack("{s:s}", "from", p->body ? p->body : ""));
        free(p->body);
        p->body = json_is_string(body) ? strdup(json_string_value(body)) : NULL;
    }
    if (base && strcmp(json_string_value(base), p->base_ref)) {
        json_object_set_new(changes, "base", json_pack("{s:{s:s}, s:{s:s}}", "ref", "from", p->base_ref, "sha", "from", p->base_sha));
        free(p->base_ref);
        p->base_ref = strdup(json_string_value(base));
        git_oid b;
        mh_git_branch_tip(c->repo, p->base_ref, &b);
        git_oid_tostr(p->base_sha, sizeof p->base_sha, &b);
        p->mergeable = -1;
        p->stats_stale = 1;
    }
    if (json_object_size(changes)) {
        touch(p);
        mh_emit_pull(c->repo, p, "edited", c->user, json_pack("{s:O}", "changes", changes));
    }
    json_decref(changes);
    if (state) {
        int want_open = !strcmp(json_string_value(state), "open");
        if (want_open != p->open) {
            p->open = want_open;
            touch(p);
            if (want_open) {
                p->closed_at = 0;
                p->mergeable = -1;
                mh_issue_event(c->repo, p->number, "reopened", c->user, NULL);
                mh_emit_pull(c->repo, p, "reopened", c->user, NULL);
            } else {
                p->closed_at = mh_now();
                mh_issue_event(c->repo, p->number, "closed", c->user, NULL);
                mh_emit_pull(c->repo, p, "closed", c->user, NULL);
            }
        }
    }
    c->resp = mh_render_pull(c->repo, p, 1);
    return 0;
}

int h_pull_files(mh_ctx *c)
{
    mh_pull *p = need_pull(c, 1);
    if (!p)
        return 0;
    mh_paginate(c, mh_git_pull_files(c->repo, p));
    return 0;
}

int h_pull_commits(mh_ctx *c)
{
    mh_pull *p = need_pull(c, 1);
    if (!p)
        return 0;
    mh_paginate(c, mh_git_pull_commits(c->repo, p));
    return 0;
}

int h_pull_merged(mh_ctx *c)
{
    mh_pull *p = need_pull(c, 1);
    if (!p)
        return 0;
    if (p->merged) {
        c->status = 204;
    } else {
        mh_error(c, 404, "Not Found");
    }
    return 0;
}

int h_pull_merge(mh_ctx *c)
{
    mh_pull *p = need_pull(c, 1);
    if (!p || need_object(c) < 0)
        return 0;
    if (c->role < 3) {
        mh_error(c, 403, "Resource not accessible by personal access token");
        mh_set_header(c, "X-Accepted-GitHub-Permissions", "contents=write");
        mh_log("info", "decision", "why=merge-permission repo=%s pr=%d user=%s role=%s", c->repo->full_name, p->number,
               c->user ? c->user->login : "-", mh_role_name(c->role));
        return 0;
    }
    json_t *methodv = json_object_get(c->body, "merge_method"), *shav = json_object_get(c->body, "sha");
    json_t *titlev = json_object_get(c->body, "commit_title"), *msgv = json_object_get(c->body, "commit_message");
    const char *method = "merge";
    if (methodv) {
        method = json_string_value(methodv);
        if (!method || (strcmp(method, "merge") && strcmp(method, "squash") && strcmp(method, "rebase"))) {
            mh_invalid(c, "PullRequest", "merge_method", "invalid", NULL);
            return 0;
        }
    }
    if ((shav && !json_is_string(shav)) || (titlev && !json_is_string(titlev)) || (msgv && !json_is_string(msgv))) {
        mh_invalid(c, "PullRequest", shav && !json_is_string(shav) ? "sha" : titlev && !json_is_string(titlev) ? "commit_title" : "commit_message", "invalid", NULL);
        return 0;
    }
    const char *setting = !strcmp(method, "merge") ? "allow_merge_commit" : !strcmp(method, "squash") ? "allow_squash_merge" : "allow_rebase_merge";
    if (!json_is_true(json_object_get(c->repo->settings, setting))) {
        mh_error(c, 405, !strcmp(method, "merge") ? "Merge commits are not allowed on this repository."
                         : !strcmp(method, "squash") ? "Squash merges are not allowed on this repository."
                                                      : "Rebase merges are not allowed on this repository.");
        return 0;
    }
    if (!p->open || p->merged || p->draft) {
        mh_error(c, 405, "Pull Request is not mergeable");
        mh_log("info", "decision", "why=merge-refused repo=%s pr=%d state=%s draft=%d", c->repo->full_name, p->number,
               p->merged ? "merged" : p->open ? "open" : "closed", p->draft);
        return 0;
    }
    if (shav && strcmp(json_string_value(shav), p->head_sha) != 0) {
        mh_error(c, 409, "Head branch was modified. Review and try the merge again.");
        mh_log("info", "decision", "why=merge-sha-mismatch repo=%s pr=%d sha=%s head=%s", c->repo->full_name, p->number,
               json_string_value(shav), p->head_sha);
        return 0;
    }
    char why[256];
    const char *blocked = mh_protection_blocker(c->repo, p, why, sizeof why);
    if (blocked) {
        mh_error(c, 405, blocked);
        mh_log("info", "decision", "why=branch-protection repo=%s pr=%d message=\"%s\"", c->repo->full_name, p->number,
               blocked);
        return 0;
    }
    git_oid out, old_base;
    char err[512];
    mh_git_branch_tip(c->repo, p->base_ref, &old_base);
    int rc = mh_git_merge_pull(c->repo, p, method, json_string_value(titlev), json_string_value(msgv), c->user, &out, err, sizeof err);
    if (rc == -2) {
        p->mergeable = 0;
        p->null_reads_left = 0;
        mh_error(c, 405, "Pull Request is not mergeable");
        mh_log("info", "decision", "why=merge-conflict repo=%s pr=%d", c->repo->full_name, p->number);
        return 0;
    }
    if (rc < 0) {
        mh_error(c, 500, err);
        return 0;
    }
    char sha[41];
    git_oid_tostr(sha, sizeof sha, &out);
    /* the PR is merged before the base moves, so the base update does not touch it */
    p->open = 0;
    p->merged = 1;
    p->merged_at = p->closed_at = mh_now();
    p->merged_by = c->user;
    p->mergeable = -1;
    snprintf(p->merge_commit_sha, sizeof p->merge_commit_sha, "%s", sha);
    git_oid_tostr(p->base_sha, sizeof p->base_sha, &old_base);
    touch(p);
    char fullref[1024];
    snprintf(fullref, sizeof fullref, "refs/heads/%s", p->base_ref);
    mh_git_set_ref(c->repo, fullref, &out, c->user, 0);
    mh_log("info", "decision", "why=merged repo=%s pr=%d method=%s sha=%s", c->repo->full_name, p->number, method, sha);
    mh_issue_event(c->repo, p->number, "merged", c->user, json_pack("{s:s}", "commit_id", sha));
    mh_issue_event(c->repo, p->number, "closed", c->user, NULL);
    mh_emit_pull(c->repo, p, "closed", c->user, NULL);
    if (json_is_true(json_object_get(c->repo->settings, "delete_branch_on_merge"))) {
        char headref[1024];
        snprintf(headref, sizeof headref, "refs/heads/%s", p->head_ref);
        mh_git_set_ref(c->repo, headref, NULL, c->user, 0);
    }
    c->resp = json_pack("{s:s, s:b, s:s}", "sha", sha, "merged", 1, "message", "Pull Request successfully merged");
    return 0;
}

int h_pull_update_branch(mh_ctx *c)
{
    mh_pull *p = need_pull(c, 3);
    if (!p || need_object(c) < 0)
        return 0;
    json_t *exp = json_object_get(c->body, "expected_head_sha");
    if (exp && !json_is_string(exp)) {
        mh_invalid(c, "PullRequest", "expected_head_sha", "invalid", NULL);
        return 0;
    }
    if (exp && strcmp(json_string_value(exp), p->head_sha) != 0) {
        mh_error(c, 422, "expected head sha didn't match current head ref.");
        return 0;
    }
    if (!p->open) {
        mh_error(c, 422, "Cannot update a closed pull request.");
        return 0;
    }
    git_oid out;
    int rc = mh_git_update_branch(c->repo, p, c->user, &out);
    if (rc == -2) {
        mh_error(c, 422, "merge conflict between base and head");
        return 0;
    }
    if (rc < 0) {
        mh_error(c, 500, "update-branch failed");
        return 0;
    }
    if (rc == 0) {
        char ref[1024];
        snprintf(ref, sizeof ref, "refs/heads/%s", p->head_ref);
        mh_git_set_ref(c->repo, ref, &out, c->user, 0);
    }
    char html[1024];
    snprintf(html, sizeof html, "%s/%s/pull/%d", g_mh->base_url, c->repo->full_name, p->number);
    c->status = 202;
    c->resp = json_pack("{s:s, s:s}", "message", "Updating pull request branch.", "url", html);
    return 0;
}

/* ---- reviews ---- */

static json_t *find_review(mh_pull *p, const char *id_str)
{
    char *end;
    long long id = strtoll(id_str ? id_str : "", &end, 10);
    if (!id_str || *end)
        return NULL;
    size_t i;
    json_t *rv;
    json_array_foreach(p->reviews, i, rv) {
        if (json_integer_value(json_object_get(rv, "id")) == id)
            return rv;
    }
    return NULL;
}

int h_reviews_list(mh_ctx *c)
{
    mh_pull *p = need_pull(c, 1);
    if (!p)
        return 0;
    json_t *arr = json_array();
    size_t i;
    json_t *rv;
    json_array_foreach(p->reviews, i, rv) {
        if (!strcmp(json_string_value(json_object_get(rv, "state")), "PENDING") &&
            (!c->user || !mh_streq_ci(c->user->login, json_string_value(json_object_get(rv, "user")))))
            continue;
        json_array_append_new(arr, mh_render_review(c->repo, p, rv));
    }
    mh_paginate(c, arr);
    return 0;
}

int h_review_get(mh_ctx *c)
{
    mh_pull *p = need_pull(c, 1);
    if (!p)
        return 0;
    json_t *rv = find_review(p, mh_p(c, "review_id"));
    if (!rv) {
        mh_error(c, 404, "Not Found");
        return 0;
    }
    c->resp = mh_render_review(c->repo, p, rv);
    return 0;
}

static void unprocessable(mh_ctx *c, const char *msg)
{
    json_decref(c->resp);
    c->status = 422;
    c->resp = json_pack("{s:s, s:[s], s:s, s:s}", "message", "Unprocessable Entity", "errors", msg,
                        "documentation_url", "https://docs.github.com/rest/pulls/reviews#create-a-review-for-a-pull-request",
                        "status", "422");
}

/* POST .../reviews. Its declared 422 body is validation-error-simple: errors are strings. */
int h_review_create(mh_ctx *c)
{
    mh_pull *p = need_pull(c, 1);
    if (!p || need_object(c) < 0)
        return 0;
    if (!c->user) {
        mh_error(c, 401, "Requires authentication");
        return 0;
    }
    json_t *event = json_object_get(c->body, "event"), *body = json_object_get(c->body, "body");
    json_t *commit = json_object_get(c->body, "commit_id"), *comments = json_object_get(c->body, "comments");
    if ((event && !json_is_string(event)) || (body && !json_is_string(body)) || (commit && !json_is_string(commit))) {
        char m[160];
        snprintf(m, sizeof m, "Variable $%s of type %s was provided invalid value",
                 event && !json_is_string(event) ? "event" : body && !json_is_string(body) ? "body" : "commitOID",
                 event && !json_is_string(event) ? "PullRequestReviewEvent" : body && !json_is_string(body) ? "String" : "GitObjectID");
        unprocessable(c, m);
        return 0;
    }
    const char *ev = event ? json_string_value(event) : NULL;
    const char *state = "PENDING";
    if (ev) {
        if (!strcmp(ev, "APPROVE"))
            state = "APPROVED";
        else if (!strcmp(ev, "REQUEST_CHANGES"))
            state = "CHANGES_REQUESTED";
        else if (!strcmp(ev, "COMMENT"))
            state = "COMMENTED";
        else {
            unprocessable(c, "Variable $event of type PullRequestReviewEvent was provided invalid value");
            return 0;
        }
    }
    if (c->user == p->user && !strcmp(state, "APPROVED")) {
        unprocessable(c, "Review Can not approve your own pull request");
        mh_log("info", "decision", "why=self-approval repo=%s pr=%d user=%s", c->repo->full_name, p->number, c->user->login);
        return 0;
    }
    if (c->user == p->user && !strcmp(state, "CHANGES_REQUESTED")) {
        unprocessable(c, "Review Can not request changes on your own pull request");
        return 0;
    }
    if ((!strcmp(state, "CHANGES_REQUESTED") || !strcmp(state, "COMMENTED")) && (!body || !json_string_length(body)) &&
        !json_array_size(comments)) {
        char m[128];
        snprintf(m, sizeof m, "Review %s requires a body", !strcmp(state, "COMMENTED") ? "COMMENT" : "REQUEST_CHANGES");
        unprocessable(c, m);
        return 0;
    }
    if (!p->open) {
        unprocessable(c, "Review Can not review a closed pull request");
        return 0;
    }
    const char *commit_id = commit ? json_string_value(commit) : p->head_sha;
    git_oid oid;
    git_commit *gc = NULL;
    if (strlen(commit_id) != 40 || git_oid_fromstr(&oid, commit_id) < 0 || git_commit_lookup(&gc, c->repo->git, &oid) < 0) {
        unprocessable(c, "Review commit_id is not part of the pull request");
        return 0;
    }
    git_commit_free(gc);
    /* inline comments must sit on lines of the diff; one that does not refuses the whole review */
    json_t *placed = NULL;
    if (comments) {
        char why[256];
        placed = mh_review_comments_place(c->repo, p, comments, commit_id, why, sizeof why);
        if (!placed) {
            unprocessable(c, why);
            mh_log("info", "decision", "why=review-comment-refused repo=%s pr=%d reason=\"%s\"", c->repo->full_name,
                   p->number, why);
            return 0;
        }
    }
    char now[32];
    mh_iso_now(now);
    json_t *rv = json_pack("{s:I, s:s, s:s, s:s, s:s}", "id", (json_int_t)mh_next_id(), "user", c->user->login, "body",
                           body ? json_string_value(body) : "", "state", state, "commit_id", commit_id);
    if (strcmp(state, "PENDING"))
        json_object_set_new(rv, "submitted_at", json_string(now));
    json_array_append_new(p->reviews, rv);
    touch(p);
    mh_log("info", "decision", "why=review repo=%s pr=%d user=%s state=%s commit=%s comments=%zu", c->repo->full_name,
           p->number, c->user->login, state, commit_id, json_array_size(placed));
    int submitted = strcmp(state, "PENDING") != 0;
    if (placed) {
        mh_review_comments_add(c->repo, p, placed, json_integer_value(json_object_get(rv, "id")), c->user, submitted);
        json_decref(placed);
    }
    c->resp = mh_render_review(c->repo, p, rv);
    if (submitted) {
        mh_review_submitted(c->repo, p, c->user->login);
        mh_emit_review(c->repo, p, rv, "submitted", c->user);
    }
    return 0;
}

int h_review_dismiss(mh_ctx *c)
{
    mh_pull *p = need_pull(c, 3);
    if (!p || need_object(c) < 0)
        return 0;
    json_t *rv = find_review(p, mh_p(c, "review_id"));
    if (!rv) {
        mh_error(c, 404, "Not Found");
        return 0;
    }
    json_t *msg = json_object_get(c->body, "message");
    if (!json_is_string(msg)) { /* the declared 422 is validation-error-simple */
        unprocessable(c, msg ? "Variable $message of type String was provided invalid value"
                             : "Variable $message of type String! was provided invalid value");
        return 0;
    }
    const char *st = json_string_value(json_object_get(rv, "state"));
    if (strcmp(st, "APPROVED") && strcmp(st, "CHANGES_REQUESTED")) {
        unprocessable(c, "Can not dismiss a commented pull request review");
        return 0;
    }
    json_object_set_new(rv, "state", json_string("DISMISSED"));
    touch(p);
    mh_issue_event(c->repo, p->number, "review_dismissed", c->user, NULL);
    c->resp = mh_render_review(c->repo, p, rv);
    mh_emit_review(c->repo, p, rv, "dismissed", c->user);
    return 0;
}

/* ---- issues (every issue here is a pull request) ---- */

static int has_label(mh_pull *p, const char *name)
{
    size_t i;
    json_t *v;
    json_array_foreach(p->labels, i, v) {
        if (mh_streq_ci(json_string_value(v), name))
            return 1;
    }
    return 0;
}

/* GET .../issues: api_issues.c */

int h_issue_get(mh_ctx *c)
{
    mh_pull *p = need_pull(c, 1);
    if (p)
        c->resp = mh_render_issue(c->repo, p);
    return 0;
}

static void add_label(mh_ctx *c, mh_pull *p, const char *name)
{
    json_t *l = mh_repo_label(c->repo, name);
    if (!l)
        l = mh_repo_label_add(c->repo, name, NULL, NULL);
    if (has_label(p, name))
        return;
    json_array_append(p->labels, json_object_get(l, "name"));
    touch(p);
    json_t *lab = json_object_get(l, "name");
    mh_issue_event(c->repo, p->number, "labeled", c->user,
                   json_pack("{s:{s:O, s:O}}", "label", "name", lab, "color", json_object_get(l, "color")));
    mh_log("info", "decision", "why=labeled repo=%s pr=%d label=%s user=%s", c->repo->full_name, p->number,
           json_string_value(lab), c->user ? c->user->login : "-");
    mh_emit_issue_or_pull(c->repo, p, "labeled", c->user, label_extra(c->repo, json_string_value(lab)));
}

static int remove_label(mh_ctx *c, mh_pull *p, const char *name)
{
    size_t i;
    json_t *v;
    json_array_foreach(p->labels, i, v) {
        if (mh_streq_ci(json_string_value(v), name)) {
            char real[512];
            snprintf(real, sizeof real, "%s", json_string_value(v));
            json_array_remove(p->labels, i);
            touch(p);
            json_t *l = mh_repo_label(c->repo, real);
            mh_issue_event(c->repo, p->number, "unlabeled", c->user,
                           json_pack("{s:{s:s, s:O}}", "label", "name", real, "color", json_object_get(l, "color")));
            mh_log("info", "decision", "why=unlabeled repo=%s pr=%d label=%s user=%s", c->repo->full_name, p->number,
                   real, c->user ? c->user->login : "-");
            if (l)
                mh_emit_issue_or_pull(c->repo, p, "unlabeled", c->user, label_extra(c->repo, real));
            return 1;
        }
    }
    return 0;
}

/* Label names from {"labels": [...]} / [...] / "name" / [{name}]. NULL + 422 on bad input. */
static json_t *label_names(mh_ctx *c)
{
    json_t *src = c->body;
    if (json_is_object(src))
        src = json_object_get(src, "labels");
    json_t *names = json_array();
    if (json_is_string(src)) {
        json_array_append(names, src);
        return names;
    }
    if (!json_is_array(src)) {
        json_decref(names);
        mh_invalid(c, "Label", "labels", src ? "invalid" : "missing_field", NULL);
        return NULL;
    }
    size_t i;
    json_t *v;
    json_array_foreach(src, i, v) {
        json_t *n = json_is_object(v) ? json_object_get(v, "name") : v;
        if (!json_is_string(n) || !json_string_length(n)) {
            json_decref(names);
            mh_invalid(c, "Label", "name", "invalid", NULL);
            return NULL;
        }
        json_array_append(names, n);
    }
    return names;
}

int h_issue_labels_list(mh_ctx *c)
{
    mh_pull *p = need_pull(c, 1);
    if (p)
        mh_paginate(c, mh_render_labels_of(c->repo, p));
    return 0;
}

int h_issue_labels_add(mh_ctx *c)
{
    mh_pull *p = need_pull(c, 2);
    if (!p)
        return 0;
    json_t *names = label_names(c);
    if (!names)
        return 0;
    if (!json_array_size(names)) {
        json_decref(names);
        mh_invalid(c, "Label", "labels", "missing_field", NULL);
        return 0;
    }
    size_t i;
    json_t *n;
    json_array_foreach(names, i, n) {
        add_label(c, p, json_string_value(n));
    }
    json_decref(names);
    c->resp = mh_render_labels_of(c->repo, p);
    return 0;
}

int h_issue_labels_set(mh_ctx *c)
{
    mh_pull *p = need_pull(c, 2);
    if (!p)
        return 0;
    json_t *names = label_names(c);
    if (!names)
        return 0;
    json_t *current = json_deep_copy(p->labels);
    size_t i;
    json_t *n;
    json_array_foreach(current, i, n) {
        int keep = 0;
        size_t k;
        json_t *m;
        json_array_foreach(names, k, m) {
            keep |= mh_streq_ci(json_string_value(m), json_string_value(n));
        }
        if (!keep)
            remove_label(c, p, json_string_value(n));
    }
    json_decref(current);
    json_array_foreach(names, i, n) {
        add_label(c, p, json_string_value(n));
    }
    json_decref(names);
    c->resp = mh_render_labels_of(c->repo, p);
    return 0;
}

int h_issue_label_remove(mh_ctx *c)
{
    mh_pull *p = need_pull(c, 2);
    if (!p)
        return 0;
    if (!remove_label(c, p, mh_p(c, "name"))) {
        mh_error(c, 404, "Label does not exist");
        return 0;
    }
    c->resp = mh_render_labels_of(c->repo, p);
    return 0;
}

int h_issue_labels_clear(mh_ctx *c)
{
    mh_pull *p = need_pull(c, 2);
    if (!p)
        return 0;
    while (json_array_size(p->labels)) {
        char name[512];
        snprintf(name, sizeof name, "%s", json_string_value(json_array_get(p->labels, 0)));
        remove_label(c, p, name);
    }
    c->status = 204;
    return 0;
}

int h_issue_update(mh_ctx *c)
{
    mh_pull *p = need_pull(c, 1);
    if (!p || need_object(c) < 0)
        return 0;
    if (p->is_issue)
        return mh_issue_update_plain(c, p);
    json_t *labels = json_object_get(c->body, "labels");
    if (labels) {
        if (c->role < 2) {
            mh_error(c, 403, "Resource not accessible by personal access token");
            return 0;
        }
        json_t *saved = c->body;
        c->body = json_pack("{s:O}", "labels", labels);
        h_issue_labels_set(c);
        json_decref(c->body);
        c->body = saved;
        if (c->status != 200)
            return 0;
        json_decref(c->resp);
        c->resp = NULL;
    }
    json_t *rest = json_deep_copy(c->body);
    json_object_del(rest, "labels");
    json_object_del(rest, "state_reason");
    json_object_del(rest, "assignees");
    json_object_del(rest, "milestone");
    if (json_object_size(rest)) {
        json_t *saved = c->body;
        c->body = rest;
        h_pull_update(c);
        c->body = saved;
        json_decref(rest);
        if (c->status != 200)
            return 0;
        json_decref(c->resp);
    } else {
        json_decref(rest);
    }
    c->resp = mh_render_issue(c->repo, p);
    return 0;
}

/* ---- repo labels ---- */

int h_labels_list(mh_ctx *c)
{
    if (mh_need_repo(c, 1) < 0)
        return 0;
    json_t *arr = json_array();
    size_t i;
    json_t *l;
    json_array_foreach(c->repo->labels, i, l) {
        json_array_append_new(arr, mh_render_label(c->repo, l));
    }
    mh_paginate(c, arr);
    return 0;
}

int h_label_get(mh_ctx *c)
{
    if (mh_need_repo(c, 1) < 0)
        return 0;
    json_t *l = mh_repo_label(c->repo, mh_p(c, "name"));
    if (!l) {
        mh_error(c, 404, "Not Found");
        return 0;
    }
    c->resp = mh_render_label(c->repo, l);
    return 0;
}

int h_label_create(mh_ctx *c)
{
    if (mh_need_repo(c, 2) < 0 || need_object(c) < 0)
        return 0;
    json_t *name = json_object_get(c->body, "name"), *color = json_object_get(c->body, "color");
    json_t *desc = json_object_get(c->body, "description");
    if (!json_is_string(name) || !json_string_length(name)) {
        mh_invalid(c, "Label", "name", name ? "invalid" : "missing_field", NULL);
        return 0;
    }
    if (color) {
        const char *s = json_string_value(color);
        int ok = s && strlen(s) == 6;
        for (int i = 0; ok && i < 6; i++)
            ok = strchr("0123456789abcdefABCDEF", s[i]) != NULL;
        if (!ok) {
            mh_invalid(c, "Label", "color", "invalid", NULL);
            return 0;
        }
    }
    if (desc && !json_is_string(desc)) {
        mh_invalid(c, "Label", "description", "invalid", NULL);
        return 0;
    }
    if (mh_repo_label(c->repo, json_string_value(name))) {
        mh_invalid(c, "Label", "name", "already_exists", NULL);
        return 0;
    }
    json_t *l = mh_repo_label_add(c->repo, json_string_value(name), json_string_value(color), json_string_value(desc));
    c->status = 201;
    c->resp = mh_render_label(c->repo, l);
    mh_set_header(c, "Location", json_string_value(json_object_get(c->resp, "url")));
    return 0;
}

/* ---- comments ---- */

static json_t *find_comment(mh_repo *r, const char *id_str, size_t *index)
{
    char *end;
    long long id = strtoll(id_str ? id_str : "", &end, 10);
    if (!id_str || *end)
        return NULL;
    size_t i;
    json_t *cm;
    json_array_foreach(r->comments, i, cm) {
        if (json_integer_value(json_object_get(cm, "id")) == id) {
            if (index)
                *index = i;
            return cm;
        }
    }
    return NULL;
}

int h_comments_list(mh_ctx *c)
{
    mh_pull *p = need_pull(c, 1);
    if (!p)
        return 0;
    json_t *arr = json_array();
    size_t i;
    json_t *cm;
    json_array_foreach(c->repo->comments, i, cm) {
        if (json_integer_value(json_object_get(cm, "issue")) == p->number)
            json_array_append_new(arr, mh_render_comment(c->repo, cm));
    }
    mh_paginate(c, arr);
    return 0;
}

int h_comment_create(mh_ctx *c)
{
    mh_pull *p = need_pull(c, 1);
    if (!p || need_object(c) < 0)
        return 0;
    if (!c->user) {
        mh_error(c, 401, "Requires authentication");
        return 0;
    }
    json_t *body = json_object_get(c->body, "body");
    if (!json_is_string(body)) {
        mh_invalid(c, "IssueComment", "body", body ? "invalid" : "missing_field", NULL);
        return 0;
    }
    char now[32];
    mh_iso_now(now);
    json_t *cm = json_pack("{s:I, s:i, s:s, s:O, s:s, s:s}", "id", (json_int_t)mh_next_id(), "issue", p->number,
                           "user", c->user->login, "body", body, "created_at", now, "updated_at", now);
    json_array_append_new(c->repo->comments, cm);
    p->comments++;
    touch(p);
    c->status = 201;
    c->resp = mh_render_comment(c->repo, cm);
    mh_set_header(c, "Location", json_string_value(json_object_get(c->resp, "url")));
    mh_emit_comment(c->repo, p, cm, "created", c->user, NULL);
    return 0;
}

int h_comment_get(mh_ctx *c)
{
    if (mh_need_repo(c, 1) < 0)
        return 0;
    json_t *cm = find_comment(c->repo, mh_p(c, "comment_id"), NULL);
    if (!cm) {
        mh_error(c, 404, "Not Found");
        return 0;
    }
    c->resp = mh_render_comment(c->repo, cm);
    return 0;
}

int h_comment_update(mh_ctx *c)
{
    if (mh_need_repo(c, 1) < 0 || need_object(c) < 0)
        return 0;
    json_t *cm = find_comment(c->repo, mh_p(c, "comment_id"), NULL);
    if (!cm) {
        mh_error(c, 404, "Not Found");
        return 0;
    }
    int own = c->user && mh_streq_ci(c->user->login, json_string_value(json_object_get(cm, "user")));
    if (!own && c->role < 3) {
        mh_error(c, 403, "Resource not accessible by personal access token");
        return 0;
    }
    json_t *body = json_object_get(c->body, "body");
    if (!json_is_string(body)) {
        mh_invalid(c, "IssueComment", "body", body ? "invalid" : "missing_field", NULL);
        return 0;
    }
    json_t *changes = json_pack("{s:{s:O}}", "body", "from", json_object_get(cm, "body"));
    json_object_set(cm, "body", body);
    char now[32];
    mh_iso_now(now);
    json_object_set_new(cm, "updated_at", json_string(now));
    c->resp = mh_render_comment(c->repo, cm);
    mh_pull *p = mh_pull_get(c->repo, (int)json_integer_value(json_object_get(cm, "issue")));
    if (p)
        mh_emit_comment(c->repo, p, cm, "edited", c->user, changes);
    else
        json_decref(changes);
    return 0;
}

int h_comment_delete(mh_ctx *c)
{
    if (mh_need_repo(c, 1) < 0)
        return 0;
    size_t idx;
    json_t *cm = find_comment(c->repo, mh_p(c, "comment_id"), &idx);
    if (!cm) {
        mh_error(c, 404, "Not Found");
        return 0;
    }
    int own = c->user && mh_streq_ci(c->user->login, json_string_value(json_object_get(cm, "user")));
    if (!own && c->role < 3) {
        mh_error(c, 403, "Resource not accessible by personal access token");
        return 0;
    }
    json_incref(cm);
    json_array_remove(c->repo->comments, idx);
    mh_pull *p = mh_pull_get(c->repo, (int)json_integer_value(json_object_get(cm, "issue")));
    if (p) {
        p->comments--;
        mh_emit_comment(c->repo, p, cm, "deleted", c->user, NULL);
    }
    json_decref(cm);
    c->status = 204;
    return 0;
}

/* ---- issue events ---- */

/* An issue event as the issue events API (and the timeline) renders it. */
static json_t *render_issue_event(mh_ctx *c, const json_t *e)
{
    int64_t id = json_integer_value(json_object_get(e, "id"));
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(id));
    json_object_set_new(o, "node_id", json_string("IE_mockhub"));
    char url[1024];
    snprintf(url, sizeof url, "%s/repos/%s/issues/events/%lld", B, c->repo->full_name, (long long)id);
    json_object_set_new(o, "url", json_string(url));
    json_object_set_new(o, "actor", mh_render_user(mh_user_by_login(json_string_value(json_object_get(e, "actor")))));
    json_object_set(o, "event", json_object_get(e, "event"));
    json_t *cid = json_object_get(e, "commit_id");
    json_object_set_new(o, "commit_id", cid ? json_incref(cid) : json_null());
    if (cid) {
        snprintf(url, sizeof url, "%s/repos/%s/commits/%s", B, c->repo->full_name, json_string_value(cid));
        json_object_set_new(o, "commit_url", json_string(url));
    } else {
        json_object_set_new(o, "commit_url", json_null());
    }
    json_object_set(o, "created_at", json_object_get(e, "created_at"));
    if (json_object_get(e, "label"))
        json_object_set(o, "label", json_object_get(e, "label"));
    json_object_set_new(o, "performed_via_github_app", json_null());
    return o;
}

int h_issue_events(mh_ctx *c)
{
    mh_pull *p = need_pull(c, 1);
    if (!p)
        return 0;
    json_t *arr = json_array();
    size_t i;
    json_t *e;
    json_array_foreach(c->repo->events, i, e) {
        if (json_integer_value(json_object_get(e, "issue")) == p->number)
            json_array_append_new(arr, render_issue_event(c, e));
    }
    mh_paginate(c, arr);
    return 0;
}

/* ---- the timeline: issue events, comments ("commented") and reviews ("reviewed") ---- */

typedef struct {
    const char *at; /* ISO 8601 UTC, as stored: compares as a string */
    size_t seq;     /* order of insertion, for equal times */
    json_t *item;
} timeline_item;

static int timeline_cmp(const void *a, const void *b)
{
    const timeline_item *x = a, *y = b;
    int c = strcmp(x->at ? x->at : "", y->at ? y->at : "");
    return c ? c : (x->seq > y->seq) - (x->seq < y->seq);
}

static int timeline_push(timeline_item **v, size_t *n, size_t *cap, json_t *item, const char *key)
{
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 16;
        timeline_item *nv = realloc(*v, nc * sizeof(*nv));
        if (!nv) {
            json_decref(item);
            return -1;
        }
        *v = nv;
        *cap = nc;
    }
    (*v)[*n] = (timeline_item){json_string_value(json_object_get(item, key)), *n, item};
    (*n)++;
    return 0;
}

int h_issue_timeline(mh_ctx *c)
{
    mh_pull *p = need_pull(c, 1);
    if (!p)
        return 0;
    timeline_item *v = NULL;
    size_t n = 0, cap = 0;
    int bad = 0;
    size_t i;
    json_t *x;
    json_array_foreach(c->repo->events, i, x) {
        if (!bad && json_integer_value(json_object_get(x, "issue")) == p->number)
            bad = timeline_push(&v, &n, &cap, render_issue_event(c, x), "created_at");
    }
    json_array_foreach(c->repo->comments, i, x) {
        if (bad || json_integer_value(json_object_get(x, "issue")) != p->number)
            continue;
        json_t *o = mh_render_comment(c->repo, x);
        json_object_set_new(o, "event", json_string("commented"));
        json_object_set(o, "actor", json_object_get(o, "user"));
        bad = timeline_push(&v, &n, &cap, o, "created_at");
    }
    json_array_foreach(p->reviews, i, x) {
        const char *st = json_string_value(json_object_get(x, "state"));
        if (bad || !st || !strcmp(st, "PENDING")) /* drafts are nobody else's to see */
            continue;
        json_t *o = mh_render_review(c->repo, p, x);
        json_object_set_new(o, "event", json_string("reviewed"));
        char low[32];
        size_t k = 0;
        for (; st[k] && k + 1 < sizeof low; k++)
            low[k] = (char)(st[k] >= 'A' && st[k] <= 'Z' ? st[k] - 'A' + 'a' : st[k]);
        low[k] = '\0';
        json_object_set_new(o, "state", json_string(low)); /* the timeline says "approved" */
        bad = timeline_push(&v, &n, &cap, o, "submitted_at");
    }
    if (bad) {
        for (size_t k = 0; k < n; k++)
            json_decref(v[k].item);
        free(v);
        mh_error(c, 500, "out of memory");
        return 0;
    }
    if (n)
        qsort(v, n, sizeof(*v), timeline_cmp);
    json_t *arr = json_array();
    for (size_t k = 0; k < n; k++)
        json_array_append_new(arr, v[k].item);
    free(v);
    mh_paginate(c, arr);
    return 0;
}

