/* api_orgs.c -- organizations (GET /orgs/{org}, its repositories) and the branch protection read
 * API (GET .../branches/{branch}/protection and its parts), rendered from the world's
 * "branch_protection" rules, the same rules that refuse merges. Writes stay unimplemented
 * (loudly: X-Mockhub-Unimplemented). */
#include "api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define B (g_mh->base_url)

static mh_user *need_org(mh_ctx *c)
{
    mh_user *o = mh_user_by_login(mh_p(c, "org"));
    if (!o || !o->is_org) {
        mh_error(c, 404, "Not Found");
        return NULL;
    }
    return o;
}

int h_org_get(mh_ctx *c)
{
    mh_user *o = need_org(c);
    if (!o)
        return 0;
    json_t *j = mh_render_user(o);
    const char *l = o->login;
    char u[8][512];
    snprintf(u[0], sizeof u[0], "%s/orgs/%s", B, l);
    snprintf(u[1], sizeof u[1], "%s/orgs/%s/repos", B, l);
    snprintf(u[2], sizeof u[2], "%s/orgs/%s/events", B, l);
    snprintf(u[3], sizeof u[3], "%s/orgs/%s/hooks", B, l);
    snprintf(u[4], sizeof u[4], "%s/orgs/%s/issues", B, l);
    snprintf(u[5], sizeof u[5], "%s/orgs/%s/members{/member}", B, l);
    snprintf(u[6], sizeof u[6], "%s/orgs/%s/public_members{/member}", B, l);
    snprintf(u[7], sizeof u[7], "%s/%s", B, l);
    int pub = 0, priv = 0;
    for (size_t i = 0; i < g_mh->nrepos; i++)
        if (g_mh->repos[i]->owner == o) {
            pub += !g_mh->repos[i]->private;
            priv += g_mh->repos[i]->private;
        }
    /* organization-full: the simple-user keys GitHub does not send for an org go */
    static const char *const drop[] = {"gravatar_id", "followers_url", "following_url", "gists_url", "starred_url",
                                       "subscriptions_url", "organizations_url", "received_events_url", "type",
                                       "site_admin", "user_view_type", NULL};
    for (int i = 0; drop[i]; i++)
        json_object_del(j, drop[i]);
    json_object_set_new(j, "url", json_string(u[0]));
    json_object_set_new(j, "repos_url", json_string(u[1]));
    json_object_set_new(j, "events_url", json_string(u[2]));
    json_object_set_new(j, "hooks_url", json_string(u[3]));
    json_object_set_new(j, "issues_url", json_string(u[4]));
    json_object_set_new(j, "members_url", json_string(u[5]));
    json_object_set_new(j, "public_members_url", json_string(u[6]));
    json_object_set_new(j, "html_url", json_string(u[7]));
    json_object_set_new(j, "description", json_null());
    json_object_set_new(j, "name", o->name ? json_string(o->name) : json_null());
    /* company, blog, location and email are absent when unset (the description types them as strings) */
    json_object_set_new(j, "is_verified", json_false());
    json_object_set_new(j, "has_organization_projects", json_true());
    json_object_set_new(j, "has_repository_projects", json_true());
    json_object_set_new(j, "public_repos", json_integer(pub));
    json_object_set_new(j, "public_gists", json_integer(0));
    json_object_set_new(j, "followers", json_integer(0));
    json_object_set_new(j, "following", json_integer(0));
    json_object_set_new(j, "type", json_string("Organization"));
    json_object_set_new(j, "created_at", json_string("2020-01-01T00:00:00Z"));
    json_object_set_new(j, "updated_at", json_string("2020-01-01T00:00:00Z"));
    json_object_set_new(j, "archived_at", json_null());
    if (c->user && mh_org_has_member(o, c->user)) { /* members see the private counts */
        json_object_set_new(j, "total_private_repos", json_integer(priv));
        json_object_set_new(j, "owned_private_repos", json_integer(priv));
    }
    c->resp = j;
    return 0;
}

static int cmp_str(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "");
}

static const char *g_sort;
static int g_desc;
static int repo_cmp(const void *a, const void *b)
{
    const mh_repo *x = *(mh_repo *const *)a, *y = *(mh_repo *const *)b;
    int d;
    if (!strcmp(g_sort, "full_name"))
        d = cmp_str(x->full_name, y->full_name);
    else {
        time_t tx = !strcmp(g_sort, "updated") ? x->updated_at : !strcmp(g_sort, "pushed") ? x->pushed_at : x->created_at;
        time_t ty = !strcmp(g_sort, "updated") ? y->updated_at : !strcmp(g_sort, "pushed") ? y->pushed_at : y->created_at;
        d = tx < ty ? -1 : tx > ty ? 1 : (x->id < y->id ? -1 : x->id > y->id);
    }
    return g_desc ? -d : d;
}

/* GET /orgs/{org}/repos?type=all|public|private|forks|sources|member&sort=&direction= */
int h_org_repos(mh_ctx *c)
{
    mh_user *o = need_org(c);
    if (!o)
        return 0;
    const char *type = mh_q(c, "type") ? mh_q(c, "type") : "all";
    const char *sort = mh_q(c, "sort") ? mh_q(c, "sort") : "created";
    const char *dir = mh_q(c, "direction");
    static const char *const types[] = {"all", "public", "private", "forks", "sources", "member", NULL};
    static const char *const sorts[] = {"created", "updated", "pushed", "full_name", NULL};
    int ok_t = 0, ok_s = 0;
    for (int i = 0; types[i]; i++)
        ok_t |= !strcmp(types[i], type);
    for (int i = 0; sorts[i]; i++)
        ok_s |= !strcmp(sorts[i], sort);
    if (!ok_t || !ok_s || (dir && strcmp(dir, "asc") && strcmp(dir, "desc"))) {
        mh_invalid(c, "Repository", !ok_t ? "type" : !ok_s ? "sort" : "direction", "invalid", NULL);
        return 0;
    }
    mh_repo **v = malloc((g_mh->nrepos + 1) * sizeof *v);
    size_t n = 0;
    for (size_t i = 0; i < g_mh->nrepos; i++) {
        mh_repo *r = g_mh->repos[i];
        if (r->owner != o || !mh_repo_visible(r, c->user))
            continue;
        if ((!strcmp(type, "public") && r->private) || (!strcmp(type, "private") && !r->private) ||
            !strcmp(type, "forks") /* mockhub has no forks */ ||
            (!strcmp(type, "member") && !(c->user && json_object_get(r->collaborators, c->user->login))))
            continue;
        v[n++] = r;
    }
    g_sort = sort; /* under the state lock */
    g_desc = dir ? !strcmp(dir, "desc") : strcmp(sort, "full_name") != 0;
    qsort(v, n, sizeof *v, repo_cmp);
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, mh_render_repo(v[i], c->user, 0, 0));
    free(v);
    mh_paginate(c, arr);
    return 0;
}

/* ---- branch protection (read) ---- */

/* The rules of {branch}, or NULL with the 404 GitHub gives ("Branch not found" / "Branch not
 * protected"). Reading protection needs admin, as on GitHub. */
static json_t *need_protection(mh_ctx *c, char *url, size_t urllen)
{
    if (mh_need_repo(c, 5) < 0)
        return NULL;
    const char *branch = mh_p(c, "branch");
    git_oid tip;
    if (mh_git_branch_tip(c->repo, branch, &tip) < 0) {
        mh_error(c, 404, "Branch not found");
        return NULL;
    }
    json_t *prot = json_object_get(c->repo->protection, branch);
    if (!prot) {
        mh_error(c, 404, "Branch not protected");
        return NULL;
    }
    char *enc = mh_url_encode(branch, 0);
    snprintf(url, urllen, "%s/repos/%s/branches/%s/protection", B, c->repo->full_name, enc);
    free(enc);
    return prot;
}

static json_t *status_checks(json_t *prot, const char *url)
{
    json_t *list = json_object_get(prot, "required_status_checks");
    if (!list)
        return NULL;
    json_t *contexts = json_deep_copy(list), *checks = json_array();
    size_t i;
    json_t *x;
    json_array_foreach(contexts, i, x) {
        json_array_append_new(checks, json_pack("{s:O, s:n}", "context", x, "app_id"));
    }
    char u[1100], cu[1200];
    snprintf(u, sizeof u, "%s/required_status_checks", url);
    snprintf(cu, sizeof cu, "%s/contexts", u);
    return json_pack("{s:s, s:b, s:o, s:o, s:s, s:s}", "url", u, "strict", 0, "contexts", contexts, "checks", checks,
                     "contexts_url", cu, "enforcement_level", "non_admins");
}

static json_t *review_rules(json_t *prot, const char *url)
{
    json_t *count = json_object_get(prot, "required_approving_review_count");
    json_t *stale = json_object_get(prot, "dismiss_stale_reviews");
    if (!count && !stale)
        return NULL;
    char u[1100];
    snprintf(u, sizeof u, "%s/required_pull_request_reviews", url);
    return json_pack("{s:s, s:b, s:b, s:I, s:b}", "url", u, "dismiss_stale_reviews", json_is_true(stale),
                     "require_code_owner_reviews", 0, "required_approving_review_count",
                     (json_int_t)json_integer_value(count), "require_last_push_approval", 0);
}

int h_branch_protection_get(mh_ctx *c)
{
    char url[1024];
    json_t *prot = need_protection(c, url, sizeof url);
    if (!prot)
        return 0;
    char ea[1100];
    snprintf(ea, sizeof ea, "%s/enforce_admins", url);
    json_t *o = json_pack("{s:s, s:{s:s, s:b}, s:{s:b}, s:{s:b}, s:{s:b}, s:{s:b}, s:{s:b}, s:{s:b}, s:{s:b}}", "url",
                          url, "enforce_admins", "url", ea, "enabled", 0, "required_linear_history", "enabled", 0,
                          "allow_force_pushes", "enabled", 0, "allow_deletions", "enabled", 0, "block_creations",
                          "enabled", 0, "required_conversation_resolution", "enabled", 0, "lock_branch", "enabled", 0,
                          "allow_fork_syncing", "enabled", 0);
    json_t *sc = status_checks(prot, url), *rv = review_rules(prot, url);
    if (sc)
        json_object_set_new(o, "required_status_checks", sc);
    if (rv)
        json_object_set_new(o, "required_pull_request_reviews", rv);
    c->resp = o;
    return 0;
}

int h_branch_protection_checks(mh_ctx *c)
{
    char url[1024];
    json_t *prot = need_protection(c, url, sizeof url);
    if (!prot)
        return 0;
    c->resp = status_checks(prot, url);
    if (!c->resp)
        mh_error(c, 404, "Required status checks not enabled");
    return 0;
}

int h_branch_protection_contexts(mh_ctx *c)
{
    char url[1024];
    json_t *prot = need_protection(c, url, sizeof url);
    if (!prot)
        return 0;
    json_t *list = json_object_get(prot, "required_status_checks");
    if (!list) {
        mh_error(c, 404, "Required status checks not enabled");
        return 0;
    }
    c->resp = json_deep_copy(list);
    return 0;
}

int h_branch_protection_reviews(mh_ctx *c)
{
    char url[1024];
    json_t *prot = need_protection(c, url, sizeof url);
    if (!prot)
        return 0;
    c->resp = review_rules(prot, url);
    if (!c->resp)
        mh_error(c, 404, "Pull request reviews not enabled");
    return 0;
}

int h_branch_protection_admins(mh_ctx *c)
{
    char url[1024];
    if (!need_protection(c, url, sizeof url))
        return 0;
    char ea[1100];
    snprintf(ea, sizeof ea, "%s/enforce_admins", url);
    c->resp = json_pack("{s:s, s:b}", "url", ea, "enabled", 0);
    return 0;
}
