/* api_reviews.c -- review requests (requested_reviewers, review_requested webhooks) and review
 * comments: inline comments of a review, single comments and replies, validated against the
 * pull request's diff as GitHub does (a line outside the diff is a 422, never silently kept). */
#include "api.h"
#include "core/mh_patch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define B (g_mh->base_url)

static int in_list(json_t *arr, const char *s)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v) {
        if (mh_streq_ci(json_string_value(v), s))
            return 1;
    }
    return 0;
}

static void list_remove(json_t *arr, const char *s)
{
    for (size_t i = json_array_size(arr); i-- > 0;)
        if (mh_streq_ci(json_string_value(json_array_get(arr, i)), s))
            json_array_remove(arr, i);
}

/* The pull request {pull_number}, or NULL with 404 set. */
static mh_pull *need_pr(mh_ctx *c, int need)
{
    if (mh_need_repo(c, need) < 0)
        return NULL;
    const char *s = mh_p(c, "pull_number");
    char *end;
    long n = s ? strtol(s, &end, 10) : 0;
    mh_pull *p = s && !*end && n > 0 && n < 1000000000 ? mh_pull_get(c->repo, (int)n) : NULL;
    if (!p || p->is_issue) {
        mh_error(c, 404, "Not Found");
        return NULL;
    }
    return p;
}

/* ---- requested reviewers ---- */

int h_requested_reviewers_list(mh_ctx *c)
{
    mh_pull *p = need_pr(c, 1);
    if (!p)
        return 0;
    json_t *pr = mh_render_pull(c->repo, p, 0);
    c->resp = json_pack("{s:O, s:O}", "users", json_object_get(pr, "requested_reviewers"), "teams",
                        json_object_get(pr, "requested_teams"));
    json_decref(pr);
    return 0;
}

/* {"reviewers": [...], "team_reviewers": [...]}: both optional arrays of strings, not both absent. */
static int reviewer_lists(mh_ctx *c, json_t **users, json_t **teams, int simple_errors)
{
    *users = json_object_get(c->body, "reviewers");
    *teams = json_object_get(c->body, "team_reviewers");
    json_t *lists[2] = {*users, *teams};
    for (int k = 0; k < 2; k++) {
        size_t i;
        json_t *v;
        int ok = !lists[k] || json_is_array(lists[k]);
        json_array_foreach(lists[k], i, v) ok &= json_is_string(v);
        if (!ok) {
            if (simple_errors)
                mh_invalid(c, "PullRequest", k ? "team_reviewers" : "reviewers", "invalid", NULL);
            else
                mh_invalid(c, "PullRequest", k ? "team_reviewers" : "reviewers", "invalid", NULL);
            return -1;
        }
    }
    if (!*users && !*teams) {
        mh_invalid(c, "PullRequest", "reviewers", "missing_field", NULL);
        return -1;
    }
    return 0;
}

/* POST .../requested_reviewers: the author or triage and above; reviewers must be collaborators
 * (can read the repository), not the author; teams must have access. */
int h_requested_reviewers_add(mh_ctx *c)
{
    mh_pull *p = need_pr(c, 1);
    if (!p || need_object(c) < 0)
        return 0;
    if (!(c->user && c->user == p->user) && c->role < 2) {
        mh_error(c, 403, "Resource not accessible by personal access token");
        return 0;
    }
    json_t *users, *teams;
    if (reviewer_lists(c, &users, &teams, 0) < 0)
        return 0;
    size_t i;
    json_t *v;
    char m[512];
    snprintf(m, sizeof m, "Reviews may only be requested from collaborators. One or more of the users or teams you "
                          "specified is not a collaborator of the %s repository.", c->repo->full_name);
    json_array_foreach(users, i, v) {
        mh_user *u = mh_user_by_login(json_string_value(v));
        if (u && u == p->user) {
            mh_invalid(c, "PullRequest", "reviewers", "custom", "Review cannot be requested from pull request author.");
            return 0;
        }
        if (!u || u->is_org || mh_repo_role(c->repo, u) < 1) {
            mh_invalid(c, "PullRequest", "reviewers", "custom", m);
            return 0;
        }
    }
    json_array_foreach(teams, i, v) {
        mh_team *t = c->repo->owner->is_org ? mh_team_find(c->repo->owner->login, json_string_value(v)) : NULL;
        int access = 0;
        const char *k;
        json_t *role;
        json_object_foreach(t ? c->repo->team_roles : NULL, k, role) access |= mh_streq_ci(k, t->slug);
        if (!t || !access) {
            mh_invalid(c, "PullRequest", "team_reviewers", "custom", m);
            return 0;
        }
    }
    json_array_foreach(users, i, v) {
        mh_user *u = mh_user_by_login(json_string_value(v));
        if (in_list(p->requested_reviewers, u->login))
            continue;
        json_array_append_new(p->requested_reviewers, json_string(u->login));
        mh_issue_event(c->repo, p->number, "review_requested", c->user,
                       json_pack("{s:s, s:s}", "requested_reviewer", u->login, "review_requester",
                                 c->user ? c->user->login : "ghost"));
        mh_emit_pull(c->repo, p, "review_requested", c->user, json_pack("{s:o}", "requested_reviewer", mh_render_user(u)));
    }
    json_array_foreach(teams, i, v) {
        mh_team *t = mh_team_find(c->repo->owner->login, json_string_value(v));
        if (in_list(p->requested_teams, t->slug))
            continue;
        json_array_append_new(p->requested_teams, json_string(t->slug));
        mh_issue_event(c->repo, p->number, "review_requested", c->user,
                       json_pack("{s:s, s:s}", "requested_team", t->slug, "review_requester",
                                 c->user ? c->user->login : "ghost"));
        mh_emit_pull(c->repo, p, "review_requested", c->user, json_pack("{s:o}", "requested_team", mh_render_team(t, "pull")));
    }
    p->updated_at = mh_now();
    c->status = 201;
    c->resp = mh_render_pull(c->repo, p, 0);
    return 0;
}

int h_requested_reviewers_remove(mh_ctx *c)
{
    mh_pull *p = need_pr(c, 1);
    if (!p || need_object(c) < 0)
        return 0;
    if (!(c->user && c->user == p->user) && c->role < 2) {
        mh_error(c, 403, "Resource not accessible by personal access token");
        return 0;
    }
    json_t *users, *teams;
    if (reviewer_lists(c, &users, &teams, 0) < 0)
        return 0;
    size_t i;
    json_t *v;
    json_array_foreach(users, i, v) {
        mh_user *u = mh_user_by_login(json_string_value(v));
        if (!u || !in_list(p->requested_reviewers, u->login))
            continue;
        list_remove(p->requested_reviewers, u->login);
        mh_issue_event(c->repo, p->number, "review_request_removed", c->user,
                       json_pack("{s:s, s:s}", "requested_reviewer", u->login, "review_requester",
                                 c->user ? c->user->login : "ghost"));
        mh_emit_pull(c->repo, p, "review_request_removed", c->user,
                     json_pack("{s:o}", "requested_reviewer", mh_render_user(u)));
    }
    json_array_foreach(teams, i, v) {
        mh_team *t = c->repo->owner->is_org ? mh_team_find(c->repo->owner->login, json_string_value(v)) : NULL;
        if (!t || !in_list(p->requested_teams, t->slug))
            continue;
        list_remove(p->requested_teams, t->slug);
        mh_issue_event(c->repo, p->number, "review_request_removed", c->user,
                       json_pack("{s:s, s:s}", "requested_team", t->slug, "review_requester",
                                 c->user ? c->user->login : "ghost"));
        mh_emit_pull(c->repo, p, "review_request_removed", c->user,
                     json_pack("{s:o}", "requested_team", mh_render_team(t, "pull")));
    }
    p->updated_at = mh_now();
    c->resp = mh_render_pull(c->repo, p, 0);
    return 0;
}

void mh_review_submitted(mh_repo *r, mh_pull *p, const char *login)
{
    (void)r;
    list_remove(p->requested_reviewers, login); /* GitHub drops the request once they reviewed */
}

/* ---- review comments ---- */

json_t *mh_render_review_comment(mh_repo *r, const json_t *cm)
{
    json_t *o = json_object();
    int64_t id = json_integer_value(json_object_get(cm, "id"));
    int n = (int)json_integer_value(json_object_get(cm, "pull"));
    mh_user *u = mh_user_by_login(json_string_value(json_object_get(cm, "user")));
    char url[1024], html[1024], pr[1024];
    snprintf(url, sizeof url, "%s/repos/%s/pulls/comments/%lld", B, r->full_name, (long long)id);
    snprintf(html, sizeof html, "%s/%s/pull/%d#discussion_r%lld", B, r->full_name, n, (long long)id);
    snprintf(pr, sizeof pr, "%s/repos/%s/pulls/%d", B, r->full_name, n);
    json_object_set_new(o, "url", json_string(url));
    json_object_set(o, "pull_request_review_id", json_object_get(cm, "review_id"));
    json_object_set_new(o, "id", json_integer(id));
    char nid[64];
    snprintf(nid, sizeof nid, "PRRC_kwDO%08llX", (unsigned long long)id);
    json_object_set_new(o, "node_id", json_string(nid));
    static const char *const copy[] = {"diff_hunk", "path", "position", "original_position", "commit_id",
                                       "original_commit_id", "body", "created_at", "updated_at", "start_line",
                                       "original_start_line", "start_side", "line", "original_line", "side",
                                       "subject_type", NULL};
    for (int i = 0; copy[i]; i++) {
        json_t *v = json_object_get(cm, copy[i]);
        json_object_set(o, copy[i], v ? v : json_null());
    }
    if (json_object_get(cm, "in_reply_to_id"))
        json_object_set(o, "in_reply_to_id", json_object_get(cm, "in_reply_to_id"));
    json_object_set_new(o, "user", mh_render_user(u));
    json_object_set_new(o, "html_url", json_string(html));
    json_object_set_new(o, "pull_request_url", json_string(pr));
    json_object_set_new(o, "author_association", json_string(mh_author_association(r, u)));
    json_object_set_new(o, "_links", json_pack("{s:{s:s}, s:{s:s}, s:{s:s}}", "self", "href", url, "html", "href", html,
                                               "pull_request", "href", pr));
    json_t *re = json_pack("{s:s, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i}", "url", "", "total_count", 0, "+1", 0, "-1",
                           0, "laugh", 0, "confused", 0, "heart", 0, "hooray", 0, "eyes", 0, "rocket", 0);
    char ru[1100];
    snprintf(ru, sizeof ru, "%s/reactions", url);
    json_object_set_new(re, "url", json_string(ru));
    json_object_set_new(o, "reactions", re);
    return o;
}

/* The PR's patch for path (borrowed from files), NULL when the file is not in the diff; *found
 * tells a binary or huge file (in the diff, no patch) from an absent one. */
static const char *patch_of(json_t *files, const char *path, int *found)
{
    size_t i;
    json_t *f;
    *found = 0;
    json_array_foreach(files, i, f) {
        if (!strcmp(json_string_value(json_object_get(f, "filename")), path)) {
            *found = 1;
            return json_string_value(json_object_get(f, "patch"));
        }
    }
    return NULL;
}

static int side_of(json_t *v, int def)
{
    const char *s = json_string_value(v);
    return !v ? def : s && !strcmp(s, "LEFT") ? MH_SIDE_LEFT : s && !strcmp(s, "RIGHT") ? MH_SIDE_RIGHT : -1;
}

/* Places one comment spec ({path, body, line|position, side, start_line, start_side}) in the diff.
 * Returns the stored comment (without ids), or NULL with *why = GitHub's reason. */
static json_t *place_comment(json_t *files, json_t *spec, const char *commit_id, const char **why)
{
    json_t *path = json_object_get(spec, "path"), *body = json_object_get(spec, "body");
    json_t *line = json_object_get(spec, "line"), *pos = json_object_get(spec, "position");
    json_t *sl = json_object_get(spec, "start_line");
    const char *subject = json_string_value(json_object_get(spec, "subject_type"));
    if (!json_is_object(spec) || !json_is_string(path) || !json_is_string(body) || !json_string_length(body)) {
        *why = "A review comment needs \"path\" and a non-empty \"body\"";
        return NULL;
    }
    if ((line && !json_is_integer(line)) || (pos && !json_is_integer(pos)) || (sl && !json_is_integer(sl))) {
        *why = "line, start_line and position must be integers";
        return NULL;
    }
    int side = side_of(json_object_get(spec, "side"), MH_SIDE_RIGHT);
    int sside = side_of(json_object_get(spec, "start_side"), side);
    if (side < 0 || sside < 0) {
        *why = "side and start_side must be LEFT or RIGHT";
        return NULL;
    }
    int found;
    const char *patch = patch_of(files, json_string_value(path), &found);
    if (!found) {
        *why = "Path could not be resolved";
        return NULL;
    }
    char now[32];
    mh_iso_now(now);
    json_t *cm = json_pack("{s:O, s:O, s:s, s:s, s:s, s:s}", "path", path, "body", body, "commit_id", commit_id,
                           "original_commit_id", commit_id, "created_at", now, "updated_at", now);
    if (subject && !strcmp(subject, "file")) { /* a comment on the whole file */
        json_object_set_new(cm, "subject_type", json_string("file"));
        json_object_set_new(cm, "diff_hunk", json_string(patch ? patch : ""));
        return cm;
    }
    if (!line && !pos) {
        json_decref(cm);
        *why = "A review comment needs \"line\" (with \"side\") or \"position\"";
        return NULL;
    }
    mh_patch_spot spot;
    int rc = line ? mh_patch_find_line(patch, (int)json_integer_value(line), side, &spot)
                  : mh_patch_find_position(patch, (int)json_integer_value(pos), &spot);
    if (rc < 0) {
        json_decref(cm);
        *why = line ? "Pull request review thread line must be part of the diff"
                    : "Pull request review thread position is invalid";
        return NULL;
    }
    if (sl) {
        mh_patch_spot first;
        if (json_integer_value(sl) >= spot.line && sside == spot.side) {
            free(spot.hunk);
            json_decref(cm);
            *why = "Pull request review thread start_line must precede the end line";
            return NULL;
        }
        if (mh_patch_find_line(patch, (int)json_integer_value(sl), sside, &first) < 0) {
            free(spot.hunk);
            json_decref(cm);
            *why = "Pull request review thread start_line must be part of the diff";
            return NULL;
        }
        free(first.hunk);
        json_object_set(cm, "start_line", sl);
        json_object_set(cm, "original_start_line", sl);
        json_object_set_new(cm, "start_side", json_string(sside == MH_SIDE_LEFT ? "LEFT" : "RIGHT"));
    }
    json_object_set_new(cm, "subject_type", json_string("line"));
    json_object_set_new(cm, "diff_hunk", json_string(spot.hunk));
    json_object_set_new(cm, "position", json_integer(spot.position));
    json_object_set_new(cm, "original_position", json_integer(spot.position));
    json_object_set_new(cm, "line", json_integer(spot.line));
    json_object_set_new(cm, "original_line", json_integer(spot.line));
    json_object_set_new(cm, "side", json_string(spot.side == MH_SIDE_LEFT ? "LEFT" : "RIGHT"));
    free(spot.hunk);
    return cm;
}

json_t *mh_review_comments_place(mh_repo *r, mh_pull *p, json_t *specs, const char *commit_id, char *why,
                                 size_t whylen)
{
    if (!json_is_array(specs)) {
        snprintf(why, whylen, "comments must be an array");
        return NULL;
    }
    json_t *files = mh_git_pull_files(r, p), *out = json_array();
    size_t i;
    json_t *spec;
    json_array_foreach(specs, i, spec) {
        const char *w = NULL;
        json_t *cm = place_comment(files, spec, commit_id, &w);
        if (!cm) {
            snprintf(why, whylen, "%s", w);
            json_decref(out);
            out = NULL;
            break;
        }
        json_array_append_new(out, cm);
    }
    json_decref(files);
    return out;
}

void mh_review_comments_add(mh_repo *r, mh_pull *p, json_t *placed, json_int_t review_id, mh_user *who, int emit)
{
    size_t i;
    json_t *cm;
    json_array_foreach(placed, i, cm) {
        json_t *stored = json_deep_copy(cm);
        json_object_set_new(stored, "id", json_integer(mh_next_id()));
        json_object_set_new(stored, "pull", json_integer(p->number));
        json_object_set_new(stored, "review_id", json_integer(review_id));
        json_object_set_new(stored, "user", json_string(who->login));
        json_array_append_new(r->review_comments, stored);
        if (emit)
            mh_emit_review_comment(r, p, stored, "created", who, NULL);
    }
}

static json_t *find_comment(mh_repo *r, const char *id_str, size_t *index)
{
    char *end;
    long long id = id_str ? strtoll(id_str, &end, 10) : 0;
    if (!id_str || *end)
        return NULL;
    size_t i;
    json_t *cm;
    json_array_foreach(r->review_comments, i, cm) {
        if (json_integer_value(json_object_get(cm, "id")) == id) {
            if (index)
                *index = i;
            return cm;
        }
    }
    return NULL;
}

/* Comments of a review still pending are visible to their author only. */
static int comment_visible(mh_repo *r, const json_t *cm, const mh_user *viewer)
{
    mh_pull *p = mh_pull_get(r, (int)json_integer_value(json_object_get(cm, "pull")));
    json_int_t rid = json_integer_value(json_object_get(cm, "review_id"));
    size_t i;
    json_t *rv;
    json_array_foreach(p ? p->reviews : NULL, i, rv) {
        if (json_integer_value(json_object_get(rv, "id")) == rid &&
            !strcmp(json_string_value(json_object_get(rv, "state")), "PENDING"))
            return viewer && mh_streq_ci(viewer->login, json_string_value(json_object_get(cm, "user")));
    }
    return 1;
}

static void list_comments(mh_ctx *c, int pull, json_int_t review_id)
{
    json_t *arr = json_array();
    size_t i;
    json_t *cm;
    json_array_foreach(c->repo->review_comments, i, cm) {
        if ((pull && json_integer_value(json_object_get(cm, "pull")) != pull) ||
            (review_id && json_integer_value(json_object_get(cm, "review_id")) != review_id) ||
            !comment_visible(c->repo, cm, c->user))
            continue;
        json_array_append_new(arr, mh_render_review_comment(c->repo, cm));
    }
    mh_paginate(c, arr);
}

int h_review_comments_list(mh_ctx *c)
{
    mh_pull *p = need_pr(c, 1);
    if (p)
        list_comments(c, p->number, 0);
    return 0;
}

int h_review_comments_list_repo(mh_ctx *c)
{
    if (mh_need_repo(c, 1) == 0)
        list_comments(c, 0, 0);
    return 0;
}

int h_review_comments_of_review(mh_ctx *c)
{
    mh_pull *p = need_pr(c, 1);
    if (!p)
        return 0;
    const char *rid = mh_p(c, "review_id");
    char *end;
    long long id = strtoll(rid ? rid : "", &end, 10);
    int found = 0;
    size_t i;
    json_t *rv;
    json_array_foreach(p->reviews, i, rv) found |= json_integer_value(json_object_get(rv, "id")) == id;
    if (!rid || *end || !found) {
        mh_error(c, 404, "Not Found");
        return 0;
    }
    list_comments(c, p->number, id);
    return 0;
}

int h_review_comment_get(mh_ctx *c)
{
    if (mh_need_repo(c, 1) < 0)
        return 0;
    json_t *cm = find_comment(c->repo, mh_p(c, "comment_id"), NULL);
    if (!cm || !comment_visible(c->repo, cm, c->user)) {
        mh_error(c, 404, "Not Found");
        return 0;
    }
    c->resp = mh_render_review_comment(c->repo, cm);
    return 0;
}

int h_review_comment_update(mh_ctx *c)
{
    if (mh_need_repo(c, 1) < 0 || need_object(c) < 0)
        return 0;
    json_t *cm = find_comment(c->repo, mh_p(c, "comment_id"), NULL);
    if (!cm || !comment_visible(c->repo, cm, c->user)) {
        mh_error(c, 404, "Not Found");
        return 0;
    }
    int own = c->user && mh_streq_ci(c->user->login, json_string_value(json_object_get(cm, "user")));
    if (!own && c->role < 3) {
        mh_error(c, 403, "Resource not accessible by personal access token");
        return 0;
    }
    json_t *body = json_object_get(c->body, "body");
    if (!json_is_string(body) || !json_string_length(body)) {
        mh_invalid(c, "PullRequestReviewComment", "body", body ? "invalid" : "missing_field", NULL);
        return 0;
    }
    json_t *changes = json_pack("{s:{s:O}}", "body", "from", json_object_get(cm, "body"));
    json_object_set(cm, "body", body);
    char now[32];
    mh_iso_now(now);
    json_object_set_new(cm, "updated_at", json_string(now));
    c->resp = mh_render_review_comment(c->repo, cm);
    mh_pull *p = mh_pull_get(c->repo, (int)json_integer_value(json_object_get(cm, "pull")));
    if (p)
        mh_emit_review_comment(c->repo, p, cm, "edited", c->user, changes);
    else
        json_decref(changes);
    return 0;
}

int h_review_comment_delete(mh_ctx *c)
{
    if (mh_need_repo(c, 1) < 0)
        return 0;
    size_t idx;
    json_t *cm = find_comment(c->repo, mh_p(c, "comment_id"), &idx);
    if (!cm || !comment_visible(c->repo, cm, c->user)) {
        mh_error(c, 404, "Not Found");
        return 0;
    }
    int own = c->user && mh_streq_ci(c->user->login, json_string_value(json_object_get(cm, "user")));
    if (!own && c->role < 3) {
        mh_error(c, 403, "Resource not accessible by personal access token");
        return 0;
    }
    json_incref(cm);
    json_array_remove(c->repo->review_comments, idx);
    mh_pull *p = mh_pull_get(c->repo, (int)json_integer_value(json_object_get(cm, "pull")));
    if (p)
        mh_emit_review_comment(c->repo, p, cm, "deleted", c->user, NULL);
    json_decref(cm);
    c->status = 204;
    return 0;
}

/* POST .../pulls/{n}/comments: a single comment (a review of its own, COMMENTED), or a reply
 * ({"body", "in_reply_to"}) in an existing thread. */
int h_review_comment_create(mh_ctx *c)
{
    mh_pull *p = need_pr(c, 1);
    if (!p || need_object(c) < 0)
        return 0;
    if (!c->user) {
        mh_error(c, 401, "Requires authentication");
        return 0;
    }
    json_t *body = json_object_get(c->body, "body"), *reply = json_object_get(c->body, "in_reply_to");
    if (!json_is_string(body) || !json_string_length(body)) {
        mh_invalid(c, "PullRequestReviewComment", "body", body ? "invalid" : "missing_field", NULL);
        return 0;
    }
    json_t *placed;
    if (reply) {
        char id[32];
        snprintf(id, sizeof id, "%lld", (long long)json_integer_value(reply));
        json_t *parent = json_is_integer(reply) ? find_comment(c->repo, id, NULL) : NULL;
        if (!parent || json_integer_value(json_object_get(parent, "pull")) != p->number) {
            mh_invalid(c, "PullRequestReviewComment", "in_reply_to", "invalid", NULL);
            return 0;
        }
        json_t *cm = json_deep_copy(parent);
        static const char *const drop[] = {"id", "pull", "review_id", "user", "in_reply_to_id", NULL};
        for (int i = 0; drop[i]; i++)
            json_object_del(cm, drop[i]);
        char now[32];
        mh_iso_now(now);
        json_object_set(cm, "body", body);
        json_object_set_new(cm, "created_at", json_string(now));
        json_object_set_new(cm, "updated_at", json_string(now));
        json_int_t root = json_object_get(parent, "in_reply_to_id") ? json_integer_value(json_object_get(parent, "in_reply_to_id"))
                                                                    : json_integer_value(json_object_get(parent, "id"));
        json_object_set_new(cm, "in_reply_to_id", json_integer(root));
        placed = json_pack("[o]", cm);
    } else {
        json_t *commit = json_object_get(c->body, "commit_id");
        if (!json_is_string(commit)) {
            mh_invalid(c, "PullRequestReviewComment", "commit_id", commit ? "invalid" : "missing_field", NULL);
            return 0;
        }
        git_oid oid;
        git_commit *gc = NULL;
        if (json_string_length(commit) != 40 || git_oid_fromstr(&oid, json_string_value(commit)) < 0 ||
            git_commit_lookup(&gc, c->repo->git, &oid) < 0) {
            mh_invalid(c, "PullRequestReviewComment", "commit_id", "invalid", "commit_id is not part of the pull request");
            return 0;
        }
        git_commit_free(gc);
        json_t *spec = json_deep_copy(c->body);
        json_t *specs = json_pack("[o]", spec);
        char why[256];
        placed = mh_review_comments_place(c->repo, p, specs, json_string_value(commit), why, sizeof why);
        json_decref(specs);
        if (!placed) {
            const char *field = strstr(why, "Path") ? "pull_request_review_thread.path"
                                : strstr(why, "start_line") ? "pull_request_review_thread.start_line"
                                : strstr(why, "position") ? "pull_request_review_thread.position"
                                                          : "pull_request_review_thread.line";
            mh_invalid(c, "PullRequestReviewComment", field, "custom", why);
            return 0;
        }
    }
    /* a comment outside a review makes a COMMENTED review of its own */
    char now[32];
    mh_iso_now(now);
    json_t *rv = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s}", "id", (json_int_t)mh_next_id(), "user", c->user->login,
                           "body", "", "state", "COMMENTED", "commit_id", p->head_sha, "submitted_at", now);
    json_array_append_new(p->reviews, rv);
    json_int_t rid = json_integer_value(json_object_get(rv, "id"));
    mh_review_comments_add(c->repo, p, placed, rid, c->user, 1);
    json_decref(placed);
    p->updated_at = mh_now();
    mh_review_submitted(c->repo, p, c->user->login);
    mh_emit_review(c->repo, p, rv, "submitted", c->user);
    json_t *stored = json_array_get(c->repo->review_comments, json_array_size(c->repo->review_comments) - 1);
    c->status = 201;
    c->resp = mh_render_review_comment(c->repo, stored);
    mh_set_header(c, "Location", json_string_value(json_object_get(c->resp, "url")));
    return 0;
}

/* POST .../pulls/{n}/comments/{comment_id}/replies {"body"}: a reply in that comment's thread. */
int h_review_comment_reply(mh_ctx *c)
{
    mh_pull *p = need_pr(c, 1);
    if (!p || need_object(c) < 0)
        return 0;
    json_t *parent = find_comment(c->repo, mh_p(c, "comment_id"), NULL);
    if (!parent || json_integer_value(json_object_get(parent, "pull")) != p->number) {
        mh_error(c, 404, "Not Found");
        return 0;
    }
    json_object_set_new(c->body, "in_reply_to", json_integer(json_integer_value(json_object_get(parent, "id"))));
    return h_review_comment_create(c);
}

int mh_review_comment_count(mh_repo *r, int pull)
{
    int n = 0;
    size_t i;
    json_t *cm;
    json_array_foreach(r->review_comments, i, cm) n += json_integer_value(json_object_get(cm, "pull")) == pull;
    return n;
}
