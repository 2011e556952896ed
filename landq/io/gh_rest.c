/* gh_rest.c -- the typed GitHub layer over REST (io/github.h client): the request plumbing the
 * operations share (GET one, GET all pages, write) and the ops table. The operations themselves:
 * gh_rest_pulls.c, gh_rest_repo.c, gh_rest_write.c. */
#include "gh.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gh_rest_int.h"
#include "str.h"

static const char *gh_message(const json_t *j)
{
    const char *m = jstr(j, "message");
    return m ? m : "";
}

/* GET returning the JSON of a 200 (*from_cache: answered 304). */
int lq_ghr_get1(lq_github *gh, json_t **out, int *from_cache, const char *path, lq_error *err)
{
    *out = NULL;
    lq_gh_response r;
    int rc = lq_github_request(gh, &r, "GET", path, NULL, err);
    if (!rc && r.status == 404)
        rc = lq_error_set(err, LQ_ENOTFOUND, "GET %s: not found", path);
    else if (!rc && (r.status != 200 || !r.json))
        rc = lq_error_set(err, LQ_ERROR, "GET %s: GitHub answered %ld %s", path, r.status,
                          gh_message(r.json));
    if (!rc) {
        *out = r.json;
        r.json = NULL;
        if (from_cache)
            *from_cache = r.from_cache;
    }
    lq_gh_response_dispose(&r);
    return rc;
}

/* GET every page (Link rel="next"); *all_cached: every page answered 304. */
int lq_ghr_get_pages(lq_github *gh, json_t **out, int *all_cached, const char *path,
                     const char *key, size_t max_items, lq_error *err)
{
    *out = NULL;
    json_t *all = json_array();
    char *next = lq_strdup(path);
    int rc = all && next ? LQ_OK : lq_error_set(err, LQ_ENOMEM, "out of memory");
    int pages = 0, cached = 1;
    while (!rc && next) {
        lq_gh_response r;
        rc = lq_github_request(gh, &r, "GET", next, NULL, err);
        if (!rc && r.status == 404)
            rc = lq_error_set(err, LQ_ENOTFOUND, "GET %s: not found", path);
        else if (!rc && r.status != 200)
            rc = lq_error_set(err, LQ_ERROR, "GET %s: GitHub answered %ld %s", path, r.status,
                              gh_message(r.json));
        if (!rc) {
            cached = cached && r.from_cache;
            json_t *arr = key ? json_object_get(r.json, key) : r.json;
            if (!json_is_array(arr))
                rc = lq_error_set(err, LQ_ERROR, "GET %s: expected a list%s%s", path,
                                  key ? " in " : "", key ? key : "");
            else if (json_array_extend(all, arr))
                rc = lq_error_set(err, LQ_ENOMEM, "out of memory");
        }
        free(next);
        next = NULL;
        if (!rc && r.next_url && ++pages < 1000 && (!max_items || json_array_size(all) < max_items))
            next = lq_strdup(r.next_url);
        lq_gh_response_dispose(&r);
    }
    free(next);
    if (rc) {
        json_decref(all);
        return rc;
    }
    *out = all;
    if (all_cached)
        *all_cached = cached;
    return LQ_OK;
}

/* A write: LQ_OK for a 2xx (*json: the body, may be NULL), LQ_ENOTFOUND for 404, else
 * LQ_ERROR / LQ_ETRANSIENT with the status in the message. */
int lq_ghr_write1(lq_github *gh, json_t **json, const char *method, const char *path,
                  const json_t *body, lq_error *err)
{
    if (json)
        *json = NULL;
    lq_gh_response r;
    int rc = lq_github_request(gh, &r, method, path, body, err);
    if (!rc && r.status == 404)
        rc = lq_error_set(err, LQ_ENOTFOUND, "%s %s: not found", method, path);
    else if (!rc && r.status >= 500)
        rc = lq_error_set(err, LQ_ETRANSIENT, "%s %s: GitHub answered %ld %s", method, path,
                          r.status, gh_message(r.json));
    else if (!rc && r.status / 100 != 2)
        rc = lq_error_set(err, LQ_ERROR, "%s %s: GitHub answered %ld %s", method, path,
                          r.status, gh_message(r.json));
    if (!rc && json) {
        *json = r.json;
        r.json = NULL;
    }
    lq_gh_response_dispose(&r);
    return rc;
}

static void r_rate(void *ctx, lq_gh_rate *out)
{
    lq_github_rate(ctx, out);
}

static const lq_gh_ops rest_ops = {
    .version = LQ_GH_OPS_VERSION,
    .pull_get = lq_ghr_pull_get,
    .files_list = lq_ghr_files_list,
    .reviews_list = lq_ghr_reviews_list,
    .issue_events_list = lq_ghr_issue_events_list,
    .branch_sha = lq_ghr_branch_sha,
    .content_get = lq_ghr_content_get,
    .permission_get = lq_ghr_permission_get,
    .team_member = lq_ghr_team_member,
    .user_email = lq_ghr_user_email,
    .self_login = lq_ghr_self_login,
    .statuses_get = lq_ghr_statuses_get,
    .check_runs_list = lq_ghr_check_runs_list,
    .commit_get = lq_ghr_commit_get,
    .commit_pulls = lq_ghr_commit_pulls,
    .labeled_pulls = lq_ghr_labeled_pulls,
    .comments_list = lq_ghr_comments_list,
    .status_post = lq_ghr_status_post,
    .comment_create = lq_ghr_comment_create,
    .comment_update = lq_ghr_comment_update,
    .label_remove = lq_ghr_label_remove,
    .merge = lq_ghr_merge,
    .deliveries_list = lq_ghr_deliveries_list,
    .redeliver = lq_ghr_redeliver,
    .rate = r_rate,
};

void lq_gh_rest_init(lq_gh *out, lq_github *client)
{
    out->ops = &rest_ops;
    out->ctx = client;
}
