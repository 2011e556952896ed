/* api_apps.c -- GitHub Apps: JWT-authenticated app endpoints and installation access tokens.
 * Apps, their public keys and installations come from the world file; an installation token
 * authenticates as the app's bot user "<slug>[bot]" and expires after one hour. */
#include "api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define B (g_mh->base_url)

static int need_jwt(mh_ctx *c)
{
    if (!c->app) {
        mh_error(c, 401, "A JSON web token could not be decoded");
        return -1;
    }
    return 0;
}

static json_t *app_json(json_t *app)
{
    const char *slug = json_string_value(json_object_get(app, "slug"));
    json_int_t id = json_integer_value(json_object_get(app, "id"));
    char html[512];
    snprintf(html, sizeof html, "%s/apps/%s", B, slug);
    mh_user *owner = g_mh->nusers ? g_mh->users[0] : NULL;
    json_t *o = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:{s:s, s:s, s:s, s:s, s:s}, s:[s, s, s, s, s, s], s:i}",
                          "id", id, "slug", slug, "node_id", "A_mockhub", "client_id",
                          json_object_get(app, "client_id") ? json_string_value(json_object_get(app, "client_id")) : "Iv1.mockhub",
                          "name", json_object_get(app, "name") ? json_string_value(json_object_get(app, "name")) : slug,
                          "description", "", "external_url", B, "html_url", html, "created_at", "2020-01-01T00:00:00Z",
                          "updated_at", "2020-01-01T00:00:00Z", "permissions", "contents", "write", "pull_requests",
                          "write", "issues", "write", "checks", "write", "statuses", "write", "events", "pull_request",
                          "pull_request_review", "issue_comment", "status", "check_run", "push", "installations_count",
                          (int)json_array_size(json_object_get(app, "installations")));
    json_object_set_new(o, "owner", mh_render_user(owner));
    return o;
}

static json_t *installation_json(json_t *app, json_t *inst)
{
    json_int_t id = json_integer_value(json_object_get(inst, "id"));
    mh_user *acct = mh_user_by_login(json_string_value(json_object_get(inst, "account")));
    char tok[512], repos[512], html[512];
    snprintf(tok, sizeof tok, "%s/app/installations/%lld/access_tokens", B, (long long)id);
    snprintf(repos, sizeof repos, "%s/installation/repositories", B);
    snprintf(html, sizeof html, "%s/settings/installations/%lld", B, (long long)id);
    json_t *perms = json_object_get(inst, "permissions");
    json_t *account = mh_render_user(acct);
    /* the description types `account` as allOf(simple-user, enterprise): add the enterprise keys */
    if (acct) {
        json_object_set_new(account, "name", json_string(acct->name ? acct->name : acct->login));
        json_object_set_new(account, "slug", json_string(acct->login));
        json_object_set_new(account, "created_at", json_string("2020-01-01T00:00:00Z"));
        json_object_set_new(account, "updated_at", json_string("2020-01-01T00:00:00Z"));
    }
    json_t *o = json_pack("{s:I, s:o, s:s, s:s, s:s, s:s, s:I, s:s, s:I, s:s, s:o, s:[s, s, s, s, s, s], s:s, s:s, s:n, s:b, s:n, s:n, s:n}",
                          "id", id, "account", account, "repository_selection",
                          json_is_array(json_object_get(inst, "repositories")) ? "selected" : "all",
                          "access_tokens_url", tok, "repositories_url", repos, "html_url", html, "app_id",
                          json_integer_value(json_object_get(app, "id")), "app_slug",
                          json_string_value(json_object_get(app, "slug")), "target_id", (json_int_t)(acct ? acct->id : 0),
                          "target_type", acct && acct->is_org ? "Organization" : "User", "permissions",
                          perms ? json_deep_copy(perms) : json_pack("{s:s, s:s, s:s, s:s, s:s}", "contents", "write",
                                                                    "pull_requests", "write", "issues", "write",
                                                                    "checks", "write", "statuses", "write"),
                          "events", "pull_request", "pull_request_review", "issue_comment", "status", "check_run",
                          "push", "created_at", "2020-01-01T00:00:00Z", "updated_at", "2020-01-01T00:00:00Z",
                          "single_file_name", "has_multiple_single_files", 0, "suspended_at", "suspended_by",
                          "contact_email");
    return o;
}

int h_app_get(mh_ctx *c)
{
    if (need_jwt(c) == 0)
        c->resp = app_json(c->app);
    return 0;
}

int h_app_installations(mh_ctx *c)
{
    if (need_jwt(c) < 0)
        return 0;
    json_t *arr = json_array();
    size_t i;
    json_t *inst;
    json_array_foreach(json_object_get(c->app, "installations"), i, inst) {
        json_array_append_new(arr, installation_json(c->app, inst));
    }
    mh_paginate(c, arr);
    return 0;
}

int h_app_installation(mh_ctx *c)
{
    if (need_jwt(c) < 0)
        return 0;
    mh_repo *r = mh_repo_find(mh_p(c, "owner"), mh_p(c, "repo"));
    json_t *inst = r ? mh_app_installation_for(c->app, r) : NULL;
    if (!inst) {
        mh_error(c, 404, "Not Found");
        return 0;
    }
    c->resp = installation_json(c->app, inst);
    return 0;
}

int h_app_token(mh_ctx *c)
{
    if (need_jwt(c) < 0 || need_object(c) < 0)
        return 0;
    char *end;
    long long id = strtoll(mh_p(c, "installation_id"), &end, 10);
    json_t *inst = NULL, *v;
    size_t i;
    json_array_foreach(json_object_get(c->app, "installations"), i, v) {
        if (!*end && json_integer_value(json_object_get(v, "id")) == id)
            inst = v;
    }
    if (!inst) {
        mh_error(c, 404, "Not Found");
        return 0;
    }
    json_t *want = json_object_get(c->body, "repositories");
    if (want && !json_is_array(want)) {
        mh_invalid(c, "InstallationToken", "repositories", "invalid", NULL);
        return 0;
    }
    /* GitHub issues ghs_ tokens of varying length: 40 characters, or much longer */
    char token[200];
    int longform = (mh_rng_next(&g_mh->rng) & 1) != 0;
    static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    int n = snprintf(token, sizeof token, "ghs_%s", longform ? "" : "");
    int len = longform ? 150 : 36;
    if (longform)
        n += snprintf(token + n, sizeof token - (size_t)n, "%lld_", (long long)json_integer_value(json_object_get(c->app, "id")));
    for (int k = 0; k < len && (size_t)n < sizeof token - 1; k++)
        token[n++] = al[mh_rng_next(&g_mh->rng) % (sizeof al - 1)];
    token[n] = '\0';
    time_t exp = time(NULL) + g_mh->clock_skew_s + 3600;
    json_object_set_new(g_mh->installation_tokens, token,
                        json_pack("{s:s, s:I, s:I}", "login", json_string_value(json_object_get(c->app, "bot_login")),
                                  "installation", (json_int_t)id, "expires_at", (json_int_t)exp));
    char when[32];
    mh_time_iso(when, exp);
    json_t *inst_json = installation_json(c->app, inst);
    c->status = 201;
    c->resp = json_pack("{s:s, s:s, s:O, s:O}", "token", token, "expires_at", when, "permissions",
                        json_object_get(inst_json, "permissions"), "repository_selection",
                        json_object_get(inst_json, "repository_selection"));
    json_decref(inst_json);
    mh_log("info", "decision", "why=installation-token app=%lld installation=%lld expires=%s",
           (long long)json_integer_value(json_object_get(c->app, "id")), id, when);
    return 0;
}

int h_installation_repos(mh_ctx *c)
{
    if (!c->user || !c->user->is_bot) {
        mh_error(c, 403, "This endpoint requires you to be authenticated as an installation.");
        return 0;
    }
    json_t *arr = json_array();
    for (size_t i = 0; i < g_mh->nrepos; i++)
        if (json_object_get(g_mh->repos[i]->collaborators, c->user->login))
            json_array_append_new(arr, mh_render_repo(g_mh->repos[i], c->user, 2, 0));
    size_t total = json_array_size(arr);
    mh_paginate(c, arr);
    json_t *page = c->resp;
    c->resp = json_pack("{s:I, s:s, s:o}", "total_count", (json_int_t)total, "repository_selection", "selected",
                        "repositories", page);
    return 0;
}
