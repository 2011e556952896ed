/* api_repo.c -- REST handlers for meta, users, repositories, branches, git refs, commits,
 * contents, statuses, check runs, teams, collaborators and hooks. */
#include "api.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define B (g_mh->base_url)

static void set_location(mh_ctx *c, const json_t *obj)
{
    const char *url = json_string_value(json_object_get(obj, "url"));
    if (url)
        mh_set_header(c, "Location", url);
}

int h_meta(mh_ctx *c)
{
    json_t *o = json_object();
    json_object_set_new(o, "verifiable_password_authentication", json_false());
    const char *k;
    json_t *v;
    json_object_foreach(g_mh->meta, k, v) {
        json_object_set(o, k, v);
    }
    static const char *lists[] = {"web", "api", "git", "actions", "pages", "importer", "dependabot", "packages"};
    for (size_t i = 0; i < sizeof lists / sizeof *lists; i++)
        if (!json_object_get(o, lists[i]))
            json_object_set_new(o, lists[i], json_pack("[s]", "127.0.0.1/32"));
    json_object_set_new(o, "ssh_key_fingerprints", json_object());
    c->resp = o;
    return 0;
}

static json_t *bucket_json(mh_user *u)
{
    long rem = u->rl_limit - u->rl_used;
    return json_pack("{s:I, s:I, s:I, s:I}", "limit", (json_int_t)u->rl_limit, "remaining",
                     (json_int_t)(rem < 0 ? 0 : rem), "reset", (json_int_t)u->rl_reset, "used",
                     (json_int_t)u->rl_used);
}

int h_rate_limit(mh_ctx *c)
{
    mh_user *u = c->user ? c->user : &g_mh->anon;
    json_t *core = bucket_json(u);
    time_t reset = time(NULL) + 60;
    json_t *res = json_pack("{s:o, s:{s:i, s:i, s:I, s:i}, s:{s:i, s:i, s:I, s:i}, s:{s:i, s:i, s:I, s:i}}",
                            "core", core, "search", "limit", 30, "remaining", 30, "reset", (json_int_t)reset,
                            "used", 0, "graphql", "limit", 5000, "remaining", 5000, "reset",
                            (json_int_t)(reset + 3540), "used", 0, "code_search", "limit", 10, "remaining", 10,
                            "reset", (json_int_t)reset, "used", 0);
    c->resp = json_pack("{s:o, s:O}", "resources", res, "rate", core);
    return 0;
}

static json_t *full_user(mh_user *u, int private_view)
{
    json_t *o = mh_render_user(u);
    json_object_set_new(o, "name", u->name ? json_string(u->name) : json_null());
    json_object_set_new(o, "company", json_null());
    json_object_set_new(o, "blog", json_string(""));
    json_object_set_new(o, "location", json_null());
    json_object_set_new(o, "email", u->email ? json_string(u->email) : json_null());
    json_object_set_new(o, "hireable", json_null());
    json_object_set_new(o, "bio", json_null());
    json_object_set_new(o, "twitter_username", json_null());
    json_object_set_new(o, "public_repos", json_integer(0));
    json_object_set_new(o, "public_gists", json_integer(0));
    json_object_set_new(o, "followers", json_integer(0));
    json_object_set_new(o, "following", json_integer(0));
    json_object_set_new(o, "created_at", json_string("2020-01-01T00:00:00Z"));
    json_object_set_new(o, "updated_at", json_string("2020-01-01T00:00:00Z"));
    if (private_view) {
        json_object_set_new(o, "private_gists", json_integer(0));
        json_object_set_new(o, "total_private_repos", json_integer(0));
        json_object_set_new(o, "owned_private_repos", json_integer(0));
        json_object_set_new(o, "disk_usage", json_integer(0));
        json_object_set_new(o, "collaborators", json_integer(0));
        json_object_set_new(o, "two_factor_authentication", json_true());
    }
    return o;
}

int h_user(mh_ctx *c)
{
    if (!c->user) {
        mh_error(c, 401, "Requires authentication");
        return 0;
    }
    c->resp = full_user(c->user, 1);
    return 0;
}

int h_user_get(mh_ctx *c)
{
    mh_user *u = mh_user_by_login(mh_p(c, "username"));
    if (!u) {
        mh_error(c, 404, "Not Found");
        return 0;
    }
    c->resp = full_user(u, 0);
    return 0;
}

int h_repo_get(mh_ctx *c)
{
    if (mh_need_repo(c, 1) < 0)
        return 0;
    c->resp = mh_render_repo(c->repo, c->user, 1, 0);
    return 0;
}

int h_repo_patch(mh_ctx *c)
{
    if (mh_need_repo(c, 5) < 0 || need_object(c) < 0)
        return 0;
    static const char *bools[] = {"allow_squash_merge", "allow_merge_commit", "allow_rebase_merge",
                                  "allow_auto_merge", "delete_branch_on_merge"};
    for (size_t i = 0; i < sizeof bools / sizeof *bools; i++) {
        json_t *v = json_object_get(c->body, bools[i]);
        if (v && !json_is_boolean(v)) {
            mh_invalid(c, "Repository", bools[i], "invalid", NULL);
            return 0;
        }
        if (v)
            json_object_set(c->repo->settings, bools[i], v);
    }
    static const char *strs[] = {"squash_merge_commit_title", "squash_merge_commit_message",
                                 "merge_commit_title", "merge_commit_message"};
    for (size_t i = 0; i < sizeof strs / sizeof *strs; i++) {
        json_t *v = json_object_get(c->body, strs[i]);
        if (v && !json_is_string(v)) {
            mh_invalid(c, "Repository", strs[i], "invalid", NULL);
            return 0;
        }
        if (v)
            json_object_set(c->repo->settings, strs[i], v);
    }
    json_t *d = json_object_get(c->body, "description");
    if (json_is_string(d)) {
        free(c->repo->description);
        c->repo->description = strdup(json_string_value(d));
    }
    json_t *db = json_object_get(c->body, "default_branch");
    if (db) {
        git_oid o;
        if (!json_is_string(db) || mh_git_branch_tip(c->repo, json_string_value(db), &o) < 0) {
            mh_invalid(c, "Repository", "default_branch", "invalid", NULL);
            return 0;
        }
        free(c->repo->default_branch);
        c->repo->default_branch = strdup(json_string_value(db));
    }
    c->repo->updated_at = mh_now();
    c->resp = mh_render_repo(c->repo, c->user, 1, 0);
    return 0;
}

/* ---- branches ---- */

static json_t *branch_json(mh_repo *r, const char *name, const git_oid *tip)
{
    json_t *o = json_object();
    json_object_set_new(o, "name", json_string(name));
    json_t *commit = mh_render_commit(r, tip, 0);
    json_object_set_new(o, "commit", commit ? commit : json_null());
    char url[1024], html[1024];
    char *enc = mh_url_encode(name, 1);
    snprintf(url, sizeof url, "%s/repos/%s/branches/%s", B, r->full_name, enc);
    snprintf(html, sizeof html, "%s/%s/tree/%s", B, r->full_name, enc);
    free(enc);
    json_object_set_new(o, "_links", json_pack("{s:s, s:s}", "self", url, "html", html));
    json_t *prot = json_object_get(r->protection, name);
    json_object_set_new(o, "protected", json_boolean(prot != NULL));
    json_t *contexts = prot && json_object_get(prot, "required_status_checks")
                           ? json_deep_copy(json_object_get(prot, "required_status_checks"))
                           : json_array();
    json_t *checks = json_array();
    size_t ci;
    json_t *cx;
    json_array_foreach(contexts, ci, cx) {
        json_array_append_new(checks, json_pack("{s:O, s:n}", "context", cx, "app_id"));
    }
    json_object_set_new(o, "protection", json_pack("{s:b, s:{s:s, s:o, s:o}}", "enabled", prot != NULL,
                                                   "required_status_checks", "enforcement_level",
                                                   prot ? "non_admins" : "off", "contexts", contexts, "checks", checks));
    char purl[1100];
    snprintf(purl, sizeof purl, "%s/protection", url);
    json_object_set_new(o, "protection_url", json_string(purl));
    return o;
}

int h_branch_get(mh_ctx *c)
{
    if (mh_need_repo(c, 1) < 0)
        return 0;
    git_oid tip;
    if (mh_git_branch_tip(c->repo, mh_p(c, "branch"), &tip) < 0) {
        mh_error(c, 404, "Branch not found");
        return 0;
    }
    c->resp = branch_json(c->repo, mh_p(c, "branch"), &tip);
    return 0;
}

int h_branches_list(mh_ctx *c)
{
    if (mh_need_repo(c, 1) < 0)
        return 0;
    json_t *arr = json_array();
    git_branch_iterator *it = NULL;
    if (git_branch_iterator_new(&it, c->repo->git, GIT_BRANCH_LOCAL) == 0) {
        git_reference *ref;
        git_branch_t type;
        while (git_branch_next(&ref, &type, it) == 0) {
            const char *name = NULL;
            git_branch_name(&name, ref);
            const git_oid *t = git_reference_target(ref);
            if (t && name) {
                char sha[41], url[1024];
                git_oid_tostr(sha, sizeof sha, t);
                snprintf(url, sizeof url, "%s/repos/%s/commits/%s", B, c->repo->full_name, sha);
                json_array_append_new(arr, json_pack("{s:s, s:{s:s, s:s}, s:b}", "name", name, "commit", "sha",
                                                     sha, "url", url, "protected", 0));
            }
            git_reference_free(ref);
        }
        git_branch_iterator_free(it);
    }
    mh_paginate(c, arr);
    return 0;
}

/* ---- git refs ---- */

static int valid_refname(const char *full)
{
    return strncmp(full, "refs/", 5) == 0 && strchr(full + 5, '/') &&
           git_reference_name_is_valid_compat(full);
}

int git_reference_name_is_valid_compat(const char *name)
{
    int valid = 0;
    if (git_reference_name_is_valid(&valid, name) < 0)
        return 0;
    return valid;
}

int h_ref_get(mh_ctx *c)
{
    if (mh_need_repo(c, 1) < 0)
        return 0;
    char full[1024];
    snprintf(full, sizeof full, "refs/%s", mh_p(c, "ref"));
    git_reference *ref = NULL;
    git_oid oid;
    if (git_reference_lookup(&ref, c->repo->git, full) < 0) {
        mh_error(c, 404, "Not Found");
        return 0;
    }
    git_reference *res = NULL;
    git_reference_resolve(&res, ref);
    git_oid_cpy(&oid, git_reference_target(res ? res : ref));
    git_reference_free(res);
    git_reference_free(ref);
    c->resp = mh_render_git_ref(c->repo, full, &oid);
    return 0;
}

static json_t *refs_matching(mh_repo *r, const char *prefix)
{
    json_t *arr = json_array();
    git_reference_iterator *it = NULL;
    if (git_reference_iterator_new(&it, r->git) < 0)
        return arr;
    git_reference *ref;
    while (git_reference_next(&ref, it) == 0) {
        const char *name = git_reference_name(ref);
        const git_oid *t = git_reference_target(ref);
        if (t && (strncmp(name, "refs/heads/", 11) == 0 || strncmp(name, "refs/tags/", 10) == 0 ||
                  strncmp(name, "refs/pull/", 10) == 0) &&
            strncmp(name, prefix, strlen(prefix)) == 0 && strncmp(name, "refs/pull/", 10) != 0)
            json_array_append_new(arr, mh_render_git_ref(r, name, t));
        git_reference_free(ref);
    }
    git_reference_iterator_free(it);
    return arr;
}

int h_refs_matching(mh_ctx *c)
{
    if (mh_need_repo(c, 1) < 0)
        return 0;
    char prefix[1024];
    snprintf(prefix, sizeof prefix, "refs/%s", mh_p(c, "ref") ? mh_p(c, "ref") : "");
    mh_paginate(c, refs_matching(c->repo, prefix));
    return 0;
}

int h_refs_list(mh_ctx *c)
{
    if (mh_need_repo(c, 1) < 0)
        return 0;
    const char *sub = mh_p(c, "ref");
    if (sub) {
        char full[1024];
        snprintf(full, sizeof full, "refs/%s", sub);
        git_reference *ref = NULL;
        if (git_reference_lookup(&ref, c->repo->git, full) == 0) {
            git_reference_free(ref);
            return h_ref_get(c);
        }
        json_t *arr = refs_matching(c->repo, full);
        if (!json_array_size(arr)) {
            json_decref(arr);
            mh_error(c, 404, "Not Found");
            return 0;
        }
        mh_paginate(c, arr);
        return 0;
    }
    mh_paginate(c, refs_matching(c->repo, "refs/"));
    return 0;
}

int h_ref_create(mh_ctx *c)
{
    if (mh_need_repo(c, 3) < 0 || need_object(c) < 0)
        return 0;
    const char *ref = json_string_value(json_object_get(c->body, "ref"));
    const char *sha = json_string_value(json_object_get(c->body, "sha"));
    if (!ref || !sha) {
        mh_invalid(c, "Reference", !ref ? "ref" : "sha", "missing_field", NULL);
        return 0;
    }
    if (!valid_refname(ref)) {
        mh_error(c, 422, "Reference name must start with 'refs/' and have at least two slashes.");
        return 0;
    }
    git_oid oid;
    git_commit *commit = NULL;
    if (strlen(sha) != 40 || git_oid_fromstr(&oid, sha) < 0 || git_commit_lookup(&commit, c->repo->git, &oid) < 0) {
        mh_error(c, 422, "Object does not exist");
        return 0;
    }
    git_commit_free(commit);
    git_reference *existing = NULL;
    if (git_reference_lookup(&existing, c->repo->git, ref) == 0) {
        git_reference_free(existing);
        mh_error(c, 422, "Reference already exists");
        return 0;
    }
    if (mh_git_set_ref(c->repo, ref, &oid, c->user, 0) < 0) {
        mh_error(c, 422, "Reference update failed");
        return 0;
    }
    c->status = 201;
    c->resp = mh_render_git_ref(c->repo, ref, &oid);
    set_location(c, c->resp);
    return 0;
}

int h_ref_update(mh_ctx *c)
{
    if (mh_need_repo(c, 3) < 0 || need_object(c) < 0)
        return 0;
    char full[1024];
    snprintf(full, sizeof full, "refs/%s", mh_p(c, "ref"));
    json_t *shav = json_object_get(c->body, "sha");
    json_t *force = json_object_get(c->body, "force");
    if (!json_is_string(shav)) {
        mh_invalid(c, "Reference", "sha", shav ? "invalid" : "missing_field", NULL);
        return 0;
    }
    if (force && !json_is_boolean(force)) {
        mh_invalid(c, "Reference", "force", "invalid", NULL);
        return 0;
    }
    git_reference *ref = NULL;
    if (git_reference_lookup(&ref, c->repo->git, full) < 0) {
        mh_error(c, 422, "Reference does not exist");
        return 0;
    }
    git_oid old;
    git_oid_cpy(&old, git_reference_target(ref));
    git_reference_free(ref);
    git_oid oid;
    git_commit *commit = NULL;
    if (json_string_length(shav) != 40 || git_oid_fromstr(&oid, json_string_value(shav)) < 0 ||
        git_commit_lookup(&commit, c->repo->git, &oid) < 0) {
        mh_error(c, 422, "Object does not exist");
        return 0;
    }
    git_commit_free(commit);
    int ff = mh_git_is_ancestor(c->repo, &old, &oid);
    if (!ff && !json_is_true(force)) {
        mh_error(c, 422, "Update is not a fast forward");
        return 0;
    }
    if (!git_oid_equal(&old, &oid))
        mh_git_set_ref(c->repo, full, &oid, c->user, !ff);
    c->resp = mh_render_git_ref(c->repo, full, &oid);
    return 0;
}

int h_ref_delete(mh_ctx *c)
{
    if (mh_need_repo(c, 3) < 0)
        return 0;
    char full[1024];
    snprintf(full, sizeof full, "refs/%s", mh_p(c, "ref"));
    if (mh_git_set_ref(c->repo, full, NULL, c->user, 0) < 0) {
        mh_error(c, 422, "Reference does not exist");
        return 0;
    }
    c->status = 204;
    return 0;
}

/* ---- commits, statuses, check runs for a ref ---- */

static int resolve_ref_or_error(mh_ctx *c, const char *ref, git_oid *out)
{
    if (mh_git_resolve(c->repo, ref, out) < 0) {
        char m[512];
        snprintf(m, sizeof m, "No commit found for SHA: %.200s", ref);
        mh_error(c, 422, m);
        return -1;
    }
    return 0;
}

static json_t *simple_status(mh_repo *r, const json_t *s)
{
    json_t *o = mh_render_status(r, s);
    json_object_del(o, "creator");
    return o;
}

static int combined_status(mh_ctx *c, const char *ref)
{
    git_oid oid;
    if (resolve_ref_or_error(c, ref, &oid) < 0)
        return 0;
    char sha[41];
    git_oid_tostr(sha, sizeof sha, &oid);
    json_t *seen = json_object(), *list = json_array();
    for (size_t i = json_array_size(c->repo->statuses); i-- > 0;) {
        json_t *s = json_array_get(c->repo->statuses, i);
        if (strcmp(json_string_value(json_object_get(s, "sha")), sha) != 0)
            continue;
        char ctx[512];
        snprintf(ctx, sizeof ctx, "%s", json_string_value(json_object_get(s, "context")));
        for (char *p = ctx; *p; p++)
            *p = (char)tolower((unsigned char)*p);
        if (json_object_get(seen, ctx))
            continue;
        json_object_set_new(seen, ctx, json_true());
        json_array_append_new(list, simple_status(c->repo, s));
    }
    json_decref(seen);
    size_t n;
    const char *state = mh_combined_state(c->repo, sha, &n);
    json_t *repo = mh_render_repo(c->repo, NULL, 2, 0);
    char curl[1024], url[1024];
    snprintf(curl, sizeof curl, "%s/repos/%s/commits/%s", B, c->repo->full_name, sha);
    snprintf(url, sizeof url, "%s/repos/%s/commits/%s/status", B, c->repo->full_name, sha);
    c->resp = json_pack("{s:s, s:s, s:I, s:o, s:o, s:s, s:s}", "state", state, "sha", sha, "total_count",
                        (json_int_t)n, "statuses", list, "repository", repo, "commit_url", curl, "url", url);
    return 0;
}

static int list_statuses(mh_ctx *c, const char *ref)
{
    git_oid oid;
    if (resolve_ref_or_error(c, ref, &oid) < 0)
        return 0;
    char sha[41];
    git_oid_tostr(sha, sizeof sha, &oid);
    json_t *arr = json_array();
    for (size_t i = json_array_size(c->repo->statuses); i-- > 0;) {
        json_t *s = json_array_get(c->repo->statuses, i);
        if (strcmp(json_string_value(json_object_get(s, "sha")), sha) == 0)
            json_array_append_new(arr, mh_render_status(c->repo, s));
    }
    mh_paginate(c, arr);
    return 0;
}

static int list_check_runs(mh_ctx *c, const char *ref)
{
    git_oid oid;
    if (resolve_ref_or_error(c, ref, &oid) < 0)
        return 0;
    char sha[41];
    git_oid_tostr(sha, sizeof sha, &oid);
    const char *filter = mh_q(c, "filter") ? mh_q(c, "filter") : "latest";
    const char *name = mh_q(c, "check_name"), *status = mh_q(c, "status");
    if (strcmp(filter, "latest") && strcmp(filter, "all")) {
        mh_invalid(c, "CheckRun", "filter", "invalid", NULL);
        return 0;
    }
    json_t *seen = json_object(), *arr = json_array();
    for (size_t i = json_array_size(c->repo->check_runs); i-- > 0;) {
        json_t *cr = json_array_get(c->repo->check_runs, i);
        if (strcmp(json_string_value(json_object_get(cr, "head_sha")), sha) != 0)
            continue;
        const char *n = json_string_value(json_object_get(cr, "name"));
        if (name && strcmp(name, n) != 0)
            continue;
        if (status && strcmp(status, json_string_value(json_object_get(cr, "status"))) != 0)
            continue;
        if (!strcmp(filter, "latest")) {
            if (json_object_get(seen, n))
                continue;
            json_object_set_new(seen, n, json_true());
        }
        json_array_append_new(arr, mh_render_check_run(c->repo, cr));
    }
    json_decref(seen);
    size_t total = json_array_size(arr);
    mh_paginate(c, arr);
    json_t *page = c->resp;
    c->resp = json_pack("{s:I, s:o}", "total_count", (json_int_t)total, "check_runs", page);
    return 0;
}

int h_commit_status(mh_ctx *c)
{
    return mh_need_repo(c, 1) < 0 ? 0 : combined_status(c, mh_p(c, "ref"));
}

int h_commit_statuses(mh_ctx *c)
{
    return mh_need_repo(c, 1) < 0 ? 0 : list_statuses(c, mh_p(c, "ref"));
}

int h_commit_check_runs(mh_ctx *c)
{
    return mh_need_repo(c, 1) < 0 ? 0 : list_check_runs(c, mh_p(c, "ref"));
}

int h_commit_get(mh_ctx *c)
{
    if (mh_need_repo(c, 1) < 0)
        return 0;
    const char *ref = mh_p(c, "ref");
    git_oid oid;
    if (resolve_ref_or_error(c, ref, &oid) < 0)
        return 0;
    if (mh_text_media(c)) /* Accept: application/vnd.github.diff / .patch */
        return mh_commit_text(c, &oid, mh_text_media(c));
    c->resp = mh_render_commit(c->repo, &oid, 1);
    if (!c->resp)
        mh_error(c, 404, "Not Found");
    return 0;
}

int h_compare(mh_ctx *c)
{
    if (mh_need_repo(c, 1) < 0)
        return 0;
    const char *bh = mh_p(c, "basehead");
    const char *dots = strstr(bh, "...");
    size_t skip = 3;
    if (!dots) {
        dots = strstr(bh, "..");
        skip = 2;
    }
    if (!dots) {
        mh_error(c, 404, "Not Found");
        return 0;
    }
    char base[512];
    snprintf(base, sizeof base, "%.*s", (int)(dots - bh), bh);
    const char *head = dots + skip;
    git_oid b, h;
    if (mh_git_resolve(c->repo, base, &b) < 0 || mh_git_resolve(c->repo, head, &h) < 0) {
        mh_error(c, 404, "Not Found");
        return 0;
    }
    if (mh_text_media(c))
        return mh_compare_text(c, &b, &h, mh_text_media(c));
    c->resp = mh_git_compare(c->repo, &b, &h, bh);
    if (!c->resp) {
        char m[1100];
        snprintf(m, sizeof m, "No common ancestor between %s and %s.", base, head);
        mh_error(c, 404, m);
    }
    return 0;
}

int h_status_create(mh_ctx *c)
{
    if (mh_need_repo(c, 3) < 0 || need_object(c) < 0)
        return 0;
    const char *sha = mh_p(c, "sha");
    git_oid oid;
    git_commit *commit = NULL;
    if (strlen(sha) != 40 || git_oid_fromstr(&oid, sha) < 0 || git_commit_lookup(&commit, c->repo->git, &oid) < 0) {
        char m[512];
        snprintf(m, sizeof m, "No commit found for SHA: %.200s", sha);
        mh_error(c, 422, m);
        return 0;
    }
    git_commit_free(commit);
    json_t *state = json_object_get(c->body, "state");
    static const char *states[] = {"error", "failure", "pending", "success"};
    int ok = 0;
    for (int i = 0; i < 4 && json_is_string(state); i++)
        ok |= strcmp(states[i], json_string_value(state)) == 0;
    if (!ok) {
        mh_invalid(c, "Status", "state", state ? "invalid" : "missing_field", NULL);
        return 0;
    }
    static const char *opt[] = {"target_url", "description", "context"};
    for (int i = 0; i < 3; i++) {
        json_t *v = json_object_get(c->body, opt[i]);
        if (v && !json_is_string(v) && !json_is_null(v)) {
            mh_invalid(c, "Status", opt[i], "invalid", NULL);
            return 0;
        }
    }
    const char *context = json_string_value(json_object_get(c->body, "context"));
    char now[32];
    mh_iso_now(now);
    json_t *s = json_pack("{s:I, s:s, s:O, s:s, s:o, s:o, s:s, s:s, s:s}", "id", (json_int_t)mh_next_id(), "sha",
                          sha, "state", state, "context", context ? context : "default", "description",
                          json_is_string(json_object_get(c->body, "description")) ? json_incref(json_object_get(c->body, "description")) : json_null(),
                          "target_url",
                          json_is_string(json_object_get(c->body, "target_url")) ? json_incref(json_object_get(c->body, "target_url")) : json_null(),
                          "creator", c->user->login, "created_at", now, "updated_at", now);
    json_array_append_new(c->repo->statuses, s);
    for (size_t i = 0; i < c->repo->npulls; i++) /* mergeable_state may change */
        (void)0;
    c->status = 201;
    c->resp = mh_render_status(c->repo, s);
    set_location(c, c->resp);
    mh_emit_status(c->repo, s, c->user);
    return 0;
}

static const char *cr_statuses[] = {"queued", "in_progress", "completed", "waiting", "requested", "pending", NULL};
static const char *cr_conclusions[] = {"action_required", "cancelled", "failure", "neutral", "success",
                                       "skipped", "stale", "timed_out", NULL};

static int in_set(const char *v, const char **set)
{
    for (int i = 0; set[i]; i++)
        if (strcmp(set[i], v) == 0)
            return 1;
    return 0;
}

/* Applies body fields to a check run; returns 0, or -1 with a 422 set. */
static int check_run_apply(mh_ctx *c, json_t *cr, int creating)
{
    json_t *b = c->body;
    static const char *strs[] = {"name", "details_url", "external_id", "started_at", "completed_at", "head_sha"};
    for (int i = 0; i < 6; i++) {
        json_t *v = json_object_get(b, strs[i]);
        if (v && !json_is_string(v) && !(json_is_null(v) && i != 0 && i != 5)) {
            mh_invalid(c, "CheckRun", strs[i], "invalid", NULL);
            return -1;
        }
        if (v && (creating || i != 5))
            json_object_set(cr, strs[i], v);
    }
    json_t *status = json_object_get(b, "status"), *concl = json_object_get(b, "conclusion");
    if (status && (!json_is_string(status) || !in_set(json_string_value(status), cr_statuses))) {
        mh_invalid(c, "CheckRun", "status", "invalid", NULL);
        return -1;
    }
    if (concl && !json_is_null(concl) && (!json_is_string(concl) || !in_set(json_string_value(concl), cr_conclusions))) {
        mh_invalid(c, "CheckRun", "conclusion", "invalid", NULL);
        return -1;
    }
    if (status)
        json_object_set(cr, "status", status);
    char now[32];
    mh_iso_now(now);
    if (concl && json_is_string(concl)) {
        json_object_set(cr, "conclusion", concl);
        json_object_set_new(cr, "status", json_string("completed"));
    }
    if (!strcmp(json_string_value(json_object_get(cr, "status")), "completed")) {
        if (json_is_null(json_object_get(cr, "conclusion"))) {
            mh_invalid(c, "CheckRun", "conclusion", "missing_field", "conclusion is required when status is completed");
            return -1;
        }
        if (json_is_null(json_object_get(cr, "completed_at")))
            json_object_set_new(cr, "completed_at", json_string(now));
    }
    json_t *out = json_object_get(b, "output");
    if (out) {
        if (!json_is_object(out) || (json_object_get(out, "title") && !json_is_string(json_object_get(out, "title"))) ||
            (json_object_get(out, "summary") && !json_is_string(json_object_get(out, "summary")))) {
            mh_invalid(c, "CheckRun", "output", "invalid", NULL);
            return -1;
        }
        json_t *o = json_object_get(cr, "output");
        static const char *ok[] = {"title", "summary", "text"};
        for (int i = 0; i < 3; i++)
            if (json_object_get(out, ok[i]))
                json_object_set(o, ok[i], json_object_get(out, ok[i]));
        json_object_set_new(o, "annotations_count",
                            json_integer((json_int_t)json_array_size(json_object_get(out, "annotations"))));
    }
    return 0;
}

int h_check_run_create(mh_ctx *c)
{
    if (mh_need_repo(c, 3) < 0 || need_object(c) < 0)
        return 0;
    json_t *name = json_object_get(c->body, "name"), *sha = json_object_get(c->body, "head_sha");
    if (!json_is_string(name) || !json_is_string(sha)) {
        mh_invalid(c, "CheckRun", !json_is_string(name) ? "name" : "head_sha",
                   (!json_is_string(name) ? !name : !sha) ? "missing_field" : "invalid", NULL);
        return 0;
    }
    git_oid oid;
    git_commit *commit = NULL;
    if (json_string_length(sha) != 40 || git_oid_fromstr(&oid, json_string_value(sha)) < 0 ||
        git_commit_lookup(&commit, c->repo->git, &oid) < 0) {
        mh_error(c, 422, "No commit found for SHA: ");
        json_object_set_new(c->resp, "message", json_pack("s+", "No commit found for SHA: ", json_string_value(sha)));
        return 0;
    }
    git_commit_free(commit);
    char now[32];
    mh_iso_now(now);
    json_t *cr = json_pack("{s:I, s:O, s:O, s:s, s:n, s:s, s:n, s:n, s:n, s:{s:n, s:n, s:n, s:i}}", "id",
                           (json_int_t)mh_next_id(), "name", name, "head_sha", sha, "status", "queued",
                           "conclusion", "started_at", now, "completed_at", "external_id", "details_url",
                           "output", "title", "summary", "text", "annotations_count", 0);
    if (check_run_apply(c, cr, 1) < 0) {
        json_decref(cr);
        return 0;
    }
    if (json_is_null(json_object_get(cr, "external_id")))
        json_object_set_new(cr, "external_id", json_string(""));
    json_array_append_new(c->repo->check_runs, cr);
    c->status = 201;
    c->resp = mh_render_check_run(c->repo, cr);
    set_location(c, c->resp);
    mh_emit_check_run(c->repo, cr, "created", c->user);
    if (!strcmp(json_string_value(json_object_get(cr, "status")), "completed"))
        mh_emit_check_run(c->repo, cr, "completed", c->user);
    return 0;
}

static json_t *find_by_id(json_t *arr, const char *id_str)
{
    char *end;
    long long id = strtoll(id_str ? id_str : "", &end, 10);
    if (!id_str || *end)
        return NULL;
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v) {
        if (json_integer_value(json_object_get(v, "id")) == id)
            return v;
    }
    return NULL;
}

int h_check_run_get(mh_ctx *c)
{
    if (mh_need_repo(c, 1) < 0)
        return 0;
    json_t *cr = find_by_id(c->repo->check_runs, mh_p(c, "check_run_id"));
    if (!cr) {
        mh_error(c, 404, "Not Found");
        return 0;
    }
    c->resp = mh_render_check_run(c->repo, cr);
    return 0;
}

int h_check_run_update(mh_ctx *c)
{
    if (mh_need_repo(c, 3) < 0 || need_object(c) < 0)
        return 0;
    json_t *cr = find_by_id(c->repo->check_runs, mh_p(c, "check_run_id"));
    if (!cr) {
        mh_error(c, 404, "Not Found");
        return 0;
    }
    int was_completed = !strcmp(json_string_value(json_object_get(cr, "status")), "completed");
    json_t *copy = json_deep_copy(cr);
    if (check_run_apply(c, copy, 0) < 0) {
        json_decref(copy);
        return 0;
    }
    json_object_update(cr, copy);
    json_decref(copy);
    c->resp = mh_render_check_run(c->repo, cr);
    if (!was_completed && !strcmp(json_string_value(json_object_get(cr, "status")), "completed"))
        mh_emit_check_run(c->repo, cr, "completed", c->user);
    return 0;
}

/* ---- contents ---- */

/* The contents API inlines a file's base64 only up to 1 MB (taken as 1 MiB here). For larger files
 * (GitHub serves up to 100 MB) the JSON answer keeps every field but has `content: ""` and
 * `encoding: "none"`; the raw media type and the git blobs API still return the bytes. */
#define CONTENTS_INLINE_MAX ((size_t)1024 * 1024)
/* git/get-blob supports blobs up to 100 MB. */
#define BLOB_API_MAX ((size_t)100 * 1000 * 1000)

static json_t *content_file(mh_repo *r, const char *path, const char *ref, git_blob *blob, const git_oid *bid)
{
    char sha[41], url[4096];
    git_oid_tostr(sha, sizeof sha, bid);
    char *enc = mh_url_encode(path, 1);
    const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    json_t *o = json_object();
    size_t size = (size_t)git_blob_rawsize(blob);
    int inline_content = size <= CONTENTS_INLINE_MAX;
    json_object_set_new(o, "type", json_string("file"));
    json_object_set_new(o, "encoding", json_string(inline_content ? "base64" : "none"));
    json_object_set_new(o, "size", json_integer((json_int_t)size));
    json_object_set_new(o, "name", json_string(name));
    json_object_set_new(o, "path", json_string(path));
    char *b64 = inline_content ? mh_base64_encode(git_blob_rawcontent(blob), size, 60) : NULL;
    json_object_set_new(o, "content", json_string(b64 ? b64 : ""));
    free(b64);
    json_object_set_new(o, "sha", json_string(sha));
    snprintf(url, sizeof url, "%s/repos/%s/contents/%s?ref=%s", B, r->full_name, enc, ref);
    json_object_set_new(o, "url", json_string(url));
    snprintf(url, sizeof url, "%s/repos/%s/git/blobs/%s", B, r->full_name, sha);
    json_object_set_new(o, "git_url", json_string(url));
    snprintf(url, sizeof url, "%s/%s/blob/%s/%s", B, r->full_name, ref, enc);
    json_object_set_new(o, "html_url", json_string(url));
    snprintf(url, sizeof url, "%s/%s/raw/%s/%s", B, r->full_name, ref, enc);
    json_object_set_new(o, "download_url", json_string(url));
    json_object_set_new(o, "_links", json_pack("{s:O, s:O, s:O}", "self", json_object_get(o, "url"), "git",
                                               json_object_get(o, "git_url"), "html", json_object_get(o, "html_url")));
    free(enc);
    return o;
}

int h_contents_get(mh_ctx *c)
{
    if (mh_need_repo(c, 1) < 0)
        return 0;
    const char *path = mh_p(c, "path") ? mh_p(c, "path") : "";
    const char *ref = mh_q(c, "ref") && *mh_q(c, "ref") ? mh_q(c, "ref") : c->repo->default_branch;
    git_oid oid;
    if (mh_git_resolve(c->repo, ref, &oid) < 0) {
        char m[512];
        snprintf(m, sizeof m, "No commit found for the ref %.200s", ref);
        mh_error(c, 404, m);
        return 0;
    }
    git_blob *blob = NULL;
    git_oid bid;
    int is_dir = 0;
    if (mh_git_read_file(c->repo, &oid, path, &blob, &bid, &is_dir) < 0) {
        mh_error(c, 404, "Not Found");
        return 0;
    }
    if (is_dir) {
        c->resp = mh_git_list_dir(c->repo, &oid, path, ref);
        return 0;
    }
    if (c->accept && (strstr(c->accept, ".raw") || strstr(c->accept, "raw+json"))) {
        size_t n = (size_t)git_blob_rawsize(blob);
        c->raw_resp = malloc(n + 1);
        memcpy(c->raw_resp, git_blob_rawcontent(blob), n);
        c->raw_resp[n] = '\0';
        c->raw_len = n;
        c->content_type = "application/vnd.github.raw; charset=utf-8";
    } else {
        c->resp = content_file(c->repo, path, ref, blob, &bid);
    }
    git_blob_free(blob);
    return 0;
}

/* ---- git blobs ---- */

/* GET /repos/{o}/{r}/git/blobs/{file_sha}: {sha, node_id, size, url, content, encoding:"base64"},
 * the content base64 with a newline every 60 characters (and at the end) like GitHub's. 404 when
 * no blob has that sha in the repository; 403 over 100 MB. The raw media type returns the bytes. */
int h_blob_get(mh_ctx *c)
{
    if (mh_need_repo(c, 1) < 0)
        return 0;
    const char *sha = mh_p(c, "file_sha");
    git_oid oid;
    git_blob *blob = NULL;
    if (!sha || strlen(sha) != 40 || git_oid_fromstr(&oid, sha) < 0 ||
        git_blob_lookup(&blob, c->repo->git, &oid) < 0) {
        mh_error(c, 404, "Not Found");
        return 0;
    }
    size_t size = (size_t)git_blob_rawsize(blob);
    if (size > BLOB_API_MAX) {
        git_blob_free(blob);
        mh_error(c, 403, "This API returns blobs up to 100 MB in size. The requested blob is too "
                         "large to fetch via the API.");
        return 0;
    }
    if (c->accept && (strstr(c->accept, ".raw") || strstr(c->accept, "raw+json"))) {
        c->raw_resp = malloc(size + 1);
        if (!c->raw_resp) {
            git_blob_free(blob);
            mh_error(c, 500, "out of memory");
            return 0;
        }
        memcpy(c->raw_resp, git_blob_rawcontent(blob), size);
        c->raw_resp[size] = '\0';
        c->raw_len = size;
        c->content_type = "application/vnd.github.raw; charset=utf-8";
        git_blob_free(blob);
        return 0;
    }
    char hex[41], url[1024];
    git_oid_tostr(hex, sizeof hex, &oid);
    snprintf(url, sizeof url, "%s/repos/%s/git/blobs/%s", B, c->repo->full_name, hex);
    char *b64 = mh_base64_encode(git_blob_rawcontent(blob), size, 60);
    git_blob_free(blob);
    if (!b64) {
        mh_error(c, 500, "out of memory");
        return 0;
    }
    c->resp = json_pack("{s:s, s:s, s:I, s:s, s:s, s:s}", "sha", hex, "node_id", "B_mockhub",
                        "size", (json_int_t)size, "url", url, "content", b64, "encoding", "base64");
    free(b64);
    return 0;
}

static int contents_write(mh_ctx *c, int del)
{
    if (mh_need_repo(c, 3) < 0 || need_object(c) < 0)
        return 0;
    const char *path = mh_p(c, "path");
    json_t *msg = json_object_get(c->body, "message"), *content = json_object_get(c->body, "content");
    json_t *branchv = json_object_get(c->body, "branch"), *shav = json_object_get(c->body, "sha");
    if (!json_is_string(msg)) {
        mh_invalid(c, "Content", "message", msg ? "invalid" : "missing_field", NULL);
        return 0;
    }
    if (!del && !json_is_string(content)) {
        mh_invalid(c, "Content", "content", content ? "invalid" : "missing_field", NULL);
        return 0;
    }
    if ((branchv && !json_is_string(branchv)) || (shav && !json_is_string(shav))) {
        mh_invalid(c, "Content", branchv && !json_is_string(branchv) ? "branch" : "sha", "invalid", NULL);
        return 0;
    }
    const char *branch = branchv ? json_string_value(branchv) : c->repo->default_branch;
    git_oid tip;
    if (mh_git_branch_tip(c->repo, branch, &tip) < 0) {
        char m[512];
        snprintf(m, sizeof m, "Branch %.200s not found", branch);
        mh_error(c, 404, m);
        return 0;
    }
    git_blob *blob = NULL;
    git_oid bid;
    int is_dir = 0;
    int exists = mh_git_read_file(c->repo, &tip, path, &blob, &bid, &is_dir) == 0 && !is_dir;
    git_blob_free(blob);
    if (is_dir) {
        mh_invalid(c, "Content", "path", "invalid", "path is a directory");
        return 0;
    }
    char cur[41] = "";
    if (exists)
        git_oid_tostr(cur, sizeof cur, &bid);
    if (del && !exists) {
        mh_error(c, 404, "Not Found");
        return 0;
    }
    if (exists && !shav) {
        mh_error(c, 422, "Invalid request.\n\n\"sha\" wasn't supplied.");
        return 0;
    }
    if (exists && strcmp(cur, json_string_value(shav)) != 0) {
        char m[256];
        snprintf(m, sizeof m, "%s does not match %s", path, json_string_value(shav));
        mh_error(c, 409, m);
        return 0;
    }
    json_t *files = json_object();
    if (del) {
        json_object_set_new(files, path, json_null());
    } else {
        size_t n;
        unsigned char *raw = mh_base64_decode(json_string_value(content), &n);
        if (!raw) {
            json_decref(files);
            mh_invalid(c, "Content", "content", "invalid", "content is not valid Base64");
            return 0;
        }
        json_object_set_new(files, path, json_stringn_nocheck((const char *)raw, n));
        free(raw);
    }
    git_oid out;
    char err[256];
    int rc = mh_git_commit_files(c->repo, &tip, files, json_string_value(msg), c->user, &out, err, sizeof err);
    json_decref(files);
    if (rc < 0) { /* e.g. "a/b" where "a" is a file: a directory/file conflict */
        mh_log("info", "decision", "why=contents-commit-failed path=%s error=\"%s\"", path, err);
        mh_invalid(c, "Content", "path", "invalid", "path conflicts with an existing file or directory");
        return 0;
    }
    char fullref[1024];
    snprintf(fullref, sizeof fullref, "refs/heads/%s", branch);
    mh_git_set_ref(c->repo, fullref, &out, c->user, 0);
    json_t *commit = mh_render_commit(c->repo, &out, 0);
    /* file-commit's commit is the git-commit shape */
    json_t *gc = json_deep_copy(json_object_get(commit, "commit"));
    json_object_set(gc, "sha", json_object_get(commit, "sha"));
    json_object_set(gc, "node_id", json_object_get(commit, "node_id"));
    json_object_set(gc, "html_url", json_object_get(commit, "html_url"));
    json_object_set(gc, "parents", json_object_get(commit, "parents"));
    json_object_del(gc, "comment_count");
    json_decref(commit);
    json_t *fileobj = json_null();
    if (!del) {
        git_oid nb;
        if (mh_git_read_file(c->repo, &out, path, &blob, &nb, &is_dir) == 0 && blob) {
            fileobj = content_file(c->repo, path, branch, blob, &nb);
            json_object_del(fileobj, "content");
            json_object_del(fileobj, "encoding");
            git_blob_free(blob);
        }
    }
    c->status = del ? 200 : exists ? 200 : 201;
    c->resp = json_pack("{s:o, s:o}", "content", fileobj, "commit", gc);
    return 0;
}

int h_contents_put(mh_ctx *c)
{
    return contents_write(c, 0);
}

int h_contents_delete(mh_ctx *c)
{
    return contents_write(c, 1);
}

/* ---- teams, collaborators ---- */

int h_team_members(mh_ctx *c)
{
    mh_team *t = mh_team_find(mh_p(c, "org"), mh_p(c, "team_slug"));
    if (!t || !c->user) {
        mh_error(c, 404, "Not Found");
        return 0;
    }
    const char *role = mh_q(c, "role") ? mh_q(c, "role") : "all";
    json_t *arr = json_array();
    for (size_t i = 0; i < g_mh->nusers; i++) {
        mh_user *u = g_mh->users[i];
        if (u->is_org || !mh_team_has_member(t, u->login, 0))
            continue;
        int is_maint = 0;
        size_t k;
        json_t *v;
        json_array_foreach(t->maintainers, k, v) {
            is_maint |= mh_streq_ci(json_string_value(v), u->login);
        }
        if ((!strcmp(role, "member") && is_maint) || (!strcmp(role, "maintainer") && !is_maint))
            continue;
        json_array_append_new(arr, mh_render_user(u));
    }
    mh_paginate(c, arr);
    return 0;
}

int h_team_membership(mh_ctx *c)
{
    mh_team *t = mh_team_find(mh_p(c, "org"), mh_p(c, "team_slug"));
    mh_user *u = mh_user_by_login(mh_p(c, "username"));
    if (!t || !u || !c->user || !mh_team_has_member(t, u->login, 1)) {
        mh_error(c, 404, "Not Found");
        return 0;
    }
    int pending = !mh_team_has_member(t, u->login, 0);
    int maint = 0;
    size_t k;
    json_t *v;
    json_array_foreach(t->maintainers, k, v) {
        maint |= mh_streq_ci(json_string_value(v), u->login);
    }
    char url[1024];
    snprintf(url, sizeof url, "%s/organizations/%lld/team/%lld/memberships/%s", B, (long long)t->org->id,
             (long long)t->id, u->login);
    c->resp = json_pack("{s:s, s:s, s:s}", "url", url, "role", maint ? "maintainer" : "member", "state",
                        pending ? "pending" : "active");
    return 0;
}

static json_t *team_simple(mh_team *t, const char *permission)
{
    return mh_render_team(t, permission);
}

/* A team's role on a repository: its own grant, or its parent's (GitHub inherits them). */
static int team_role(mh_repo *r, mh_team *t)
{
    int best = 0;
    for (mh_team *cur = t; cur;) {
        const char *k;
        json_t *v;
        json_object_foreach(r->team_roles, k, v) {
            if (mh_streq_ci(k, cur->slug) && mh_role_level(json_string_value(v)) > best)
                best = mh_role_level(json_string_value(v));
        }
        mh_team *parent = cur->parent ? mh_team_find(cur->org->login, cur->parent) : NULL;
        cur = parent != cur ? parent : NULL;
    }
    return best;
}

static const char *legacy_perm(int role)
{
    static const char *names[] = {"none", "pull", "triage", "push", "maintain", "admin"};
    return names[role];
}

int h_team_repo(mh_ctx *c)
{
    mh_team *t = mh_team_find(mh_p(c, "org"), mh_p(c, "team_slug"));
    if (!t || mh_need_repo(c, 1) < 0) {
        if (!t)
            mh_error(c, 404, "Not Found");
        return 0;
    }
    int role = team_role(c->repo, t);
    if (!role || !c->repo->owner->is_org || c->repo->owner != t->org) {
        mh_error(c, 404, "Not Found");
        return 0;
    }
    if (!c->accept || !strstr(c->accept, "repository+json")) {
        c->status = 204; /* without the repository media type GitHub answers 204 */
        return 0;
    }
    json_t *o = mh_render_repo(c->repo, NULL, 1, 0);
    json_object_set_new(o, "permissions", json_pack("{s:b, s:b, s:b, s:b, s:b}", "admin", role >= 5, "maintain", role >= 4,
                                                    "push", role >= 3, "triage", role >= 2, "pull", role >= 1));
    json_object_set_new(o, "role_name", json_string(mh_role_name(role)));
    c->resp = o;
    return 0;
}

int h_repo_teams(mh_ctx *c)
{
    if (mh_need_repo(c, 1) < 0)
        return 0;
    json_t *arr = json_array();
    for (size_t i = 0; i < g_mh->nteams; i++) {
        mh_team *t = g_mh->teams[i];
        if (t->org != c->repo->owner)
            continue;
        int role = team_role(c->repo, t);
        if (role)
            json_array_append_new(arr, team_simple(t, legacy_perm(role)));
    }
    mh_paginate(c, arr);
    return 0;
}

int h_collab_permission(mh_ctx *c)
{
    if (mh_need_repo(c, 1) < 0)
        return 0;
    mh_user *u = mh_user_by_login(mh_p(c, "username"));
    if (!u || u->is_org) {
        mh_error(c, 404, "Not Found");
        return 0;
    }
    int role = mh_repo_role(c->repo, u);
    static const char *legacy[] = {"none", "read", "read", "write", "write", "admin"};
    json_t *user = mh_render_user(u);
    json_object_set_new(user, "role_name", json_string(mh_role_name(role)));
    json_object_set_new(user, "permissions", json_pack("{s:b, s:b, s:b, s:b, s:b}", "admin", role >= 5, "maintain",
                                                       role >= 4, "push", role >= 3, "triage", role >= 2, "pull", role >= 1));
    c->resp = json_pack("{s:s, s:s, s:o}", "permission", legacy[role], "role_name", mh_role_name(role), "user", user);
    return 0;
}

int h_collab_check(mh_ctx *c)
{
    if (mh_need_repo(c, 1) < 0)
        return 0;
    mh_user *u = mh_user_by_login(mh_p(c, "username"));
    if (!u || mh_repo_role(c->repo, u) < 1 || (!json_object_get(c->repo->collaborators, u->login) && u != c->repo->owner &&
                                                 mh_repo_role(c->repo, u) < 2)) {
        mh_error(c, 404, "Not Found");
        return 0;
    }
    c->status = 204;
    return 0;
}

/* ---- hooks ---- */

int h_hooks_list(mh_ctx *c)
{
    if (mh_need_repo(c, 5) < 0)
        return 0;
    json_t *arr = json_array();
    size_t i;
    json_t *h;
    json_array_foreach(c->repo->hooks, i, h) {
        json_array_append_new(arr, mh_render_hook(c->repo, h));
    }
    mh_paginate(c, arr);
    return 0;
}

int h_hook_get(mh_ctx *c)
{
    if (mh_need_repo(c, 5) < 0)
        return 0;
    json_t *h = find_by_id(c->repo->hooks, mh_p(c, "hook_id"));
    if (!h) {
        mh_error(c, 404, "Not Found");
        return 0;
    }
    c->resp = mh_render_hook(c->repo, h);
    return 0;
}

int h_hook_create(mh_ctx *c)
{
    if (mh_need_repo(c, 5) < 0 || need_object(c) < 0)
        return 0;
    json_t *cfg = json_object_get(c->body, "config");
    json_t *url = json_object_get(cfg, "url");
    if (!json_is_object(cfg) || !json_is_string(url)) {
        mh_invalid(c, "Hook", "url", cfg ? "invalid" : "missing_field", NULL);
        return 0;
    }
    if (strncmp(json_string_value(url), "http://", 7) && strncmp(json_string_value(url), "https://", 8)) {
        mh_invalid(c, "Hook", "url", "custom", "url is not supported because it isn't reachable over the public Internet (localhost)");
        return 0;
    }
    json_t *events = json_object_get(c->body, "events");
    if (events && !json_is_array(events)) {
        mh_invalid(c, "Hook", "events", "invalid", NULL);
        return 0;
    }
    json_t *ct = json_object_get(cfg, "content_type");
    json_t *secret = json_object_get(cfg, "secret");
    json_t *active = json_object_get(c->body, "active");
    char now[32];
    mh_iso_now(now);
    json_t *h = json_pack("{s:I, s:O, s:s, s:s, s:o, s:b, s:s, s:s}", "id", (json_int_t)mh_next_id(), "url", url,
                          "secret", json_is_string(secret) ? json_string_value(secret) : "", "content_type",
                          json_is_string(ct) ? json_string_value(ct) : "form", "events",
                          events ? json_incref(events) : json_pack("[s]", "push"), "active", active ? json_is_true(active) : 1,
                          "created_at", now, "updated_at", now);
    json_array_append_new(c->repo->hooks, h);
    c->status = 201;
    c->resp = mh_render_hook(c->repo, h);
    set_location(c, c->resp);
    mh_hooks_ping(c->repo, h);
    return 0;
}

int h_hook_delete(mh_ctx *c)
{
    if (mh_need_repo(c, 5) < 0)
        return 0;
    json_t *h = find_by_id(c->repo->hooks, mh_p(c, "hook_id"));
    if (!h) {
        mh_error(c, 404, "Not Found");
        return 0;
    }
    size_t i;
    json_t *v;
    json_array_foreach(c->repo->hooks, i, v) {
        if (v == h) {
            json_array_remove(c->repo->hooks, i);
            break;
        }
    }
    c->status = 204;
    return 0;
}

int h_hook_ping(mh_ctx *c)
{
    if (mh_need_repo(c, 5) < 0)
        return 0;
    json_t *h = find_by_id(c->repo->hooks, mh_p(c, "hook_id"));
    if (!h) {
        mh_error(c, 404, "Not Found");
        return 0;
    }
    mh_hooks_ping(c->repo, h);
    c->status = 204;
    return 0;
}

int h_deliveries_list(mh_ctx *c)
{
    if (mh_need_repo(c, 5) < 0)
        return 0;
    json_t *h = find_by_id(c->repo->hooks, mh_p(c, "hook_id"));
    if (!h) {
        mh_error(c, 404, "Not Found");
        return 0;
    }
    json_t *all = mh_hooks_deliveries(json_integer_value(json_object_get(h, "id")), 0);
    const char *status = mh_q(c, "status");
    if (status) {
        json_t *f = json_array();
        size_t i;
        json_t *d;
        json_array_foreach(all, i, d) {
            long code = (long)json_integer_value(json_object_get(d, "status_code"));
            int ok = code >= 200 && code < 400;
            if ((!strcmp(status, "success") && ok) || (!strcmp(status, "failure") && !ok))
                json_array_append(f, d);
        }
        json_decref(all);
        all = f;
    }
    mh_paginate(c, all);
    return 0;
}

int h_delivery_get(mh_ctx *c)
{
    if (mh_need_repo(c, 5) < 0)
        return 0;
    json_t *h = find_by_id(c->repo->hooks, mh_p(c, "hook_id"));
    long long did = strtoll(mh_p(c, "delivery_id"), NULL, 10);
    json_t *d = h && did > 0 ? mh_hooks_deliveries(json_integer_value(json_object_get(h, "id")), did) : NULL;
    if (!d || json_is_null(d)) {
        json_decref(d);
        mh_error(c, 404, "Not Found");
        return 0;
    }
    c->resp = d;
    return 0;
}

int h_delivery_redeliver(mh_ctx *c)
{
    if (mh_need_repo(c, 5) < 0)
        return 0;
    json_t *h = find_by_id(c->repo->hooks, mh_p(c, "hook_id"));
    long long did = strtoll(mh_p(c, "delivery_id"), NULL, 10);
    if (!h || did <= 0 || mh_hooks_redeliver(json_integer_value(json_object_get(h, "id")), did) < 0) {
        mh_error(c, 404, "Not Found");
        return 0;
    }
    c->status = 202;
    c->resp = json_object();
    return 0;
}
