/* gh_rest_write.c -- REST writes (commit status, comments, label removal, the merge) and the
 * webhook deliveries API (listing, redelivery attempts). */
#include "gh.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gh_rest_int.h"
#include "isotime.h"
#include "str.h"

int lq_ghr_status_post(void *ctx, const char *repo, const char *sha, const char *state,
                       const char *description, const char *context, lq_error *err)
{
    json_t *body = json_pack("{s:s, s:s, s:s}", "state", state, "description", description,
                             "context", context);
    if (!body)
        return lq_error_set(err, LQ_ENOMEM, "out of memory");
    char path[512];
    snprintf(path, sizeof path, "/repos/%s/statuses/%s", repo, sha);
    int rc = lq_ghr_write1(ctx, NULL, "POST", path, body, err);
    json_decref(body);
    return rc;
}

static int comment_write(void *ctx, lq_gh_comment *out, const char *method, const char *path,
                         const char *text, lq_error *err)
{
    memset(out, 0, sizeof(*out));
    json_t *body = json_pack("{s:s}", "body", text);
    if (!body)
        return lq_error_set(err, LQ_ENOMEM, "out of memory");
    json_t *j = NULL;
    int rc = lq_ghr_write1(ctx, &j, method, path, body, err);
    json_decref(body);
    if (!rc && lq_ghr_comment_of(out, j))
        rc = lq_error_set(err, LQ_ENOMEM, "out of memory");
    json_decref(j);
    return rc;
}

int lq_ghr_comment_create(void *ctx, lq_gh_comment *out, const char *repo, int number,
                          const char *text, lq_error *err)
{
    char path[512];
    snprintf(path, sizeof path, "/repos/%s/issues/%d/comments", repo, number);
    return comment_write(ctx, out, "POST", path, text, err);
}

int lq_ghr_comment_update(void *ctx, lq_gh_comment *out, const char *repo, int64_t id,
                          const char *text, lq_error *err)
{
    char path[512];
    snprintf(path, sizeof path, "/repos/%s/issues/comments/%lld", repo, (long long)id);
    return comment_write(ctx, out, "PATCH", path, text, err);
}

int lq_ghr_label_remove(void *ctx, const char *repo, int number, const char *label,
                        lq_error *err)
{
    char *el = lq_github_escape(label, 0);
    if (!el)
        return lq_error_set(err, LQ_ENOMEM, "out of memory");
    char path[768];
    snprintf(path, sizeof path, "/repos/%s/issues/%d/labels/%s", repo, number, el);
    free(el);
    int rc = lq_ghr_write1(ctx, NULL, "DELETE", path, NULL, err);
    return rc == LQ_ENOTFOUND ? LQ_OK : rc;
}

int lq_ghr_merge(void *ctx, lq_gh_merge_result *out, const char *repo, int number,
                 const lq_gh_merge_req *req, lq_error *err)
{
    memset(out, 0, sizeof(*out));
    json_t *body = json_pack("{s:s, s:s, s:s, s:s}", "merge_method",
                             req->method ? req->method : "squash", "sha", req->sha,
                             "commit_title", req->title ? req->title : "", "commit_message",
                             req->message ? req->message : "");
    if (!body)
        return lq_error_set(err, LQ_ENOMEM, "out of memory");
    char path[512];
    snprintf(path, sizeof path, "/repos/%s/pulls/%d/merge", repo, number);
    lq_gh_response r;
    int rc = lq_github_request(ctx, &r, "PUT", path, body, err);
    json_decref(body);
    out->http = r.status;
    out->merged = r.status == 200 && json_is_true(json_object_get(r.json, "merged"));
    copy(out->sha, sizeof out->sha, jstr(r.json, "sha"));
    copy(out->message, sizeof out->message, jstr(r.json, "message"));
    lq_gh_response_dispose(&r);
    if (rc == LQ_ETRANSIENT)
        out->http = 0; /* no answer: the outcome is unknown */
    return rc;
}

int lq_ghr_deliveries_list(void *ctx, lq_gh_deliveries *out, const char *repo,
                           long long hook, size_t max_items, lq_error *err)
{
    memset(out, 0, sizeof(*out));
    char path[512];
    snprintf(path, sizeof path, "/repos/%s/hooks/%lld/deliveries?per_page=100", repo, hook);
    json_t *all = NULL;
    int rc = lq_ghr_get_pages(ctx, &all, NULL, path, NULL, max_items, err);
    if (rc)
        return rc;
    size_t n = json_array_size(all);
    out->items = calloc(n + 1, sizeof(*out->items));
    if (!out->items) {
        json_decref(all);
        return lq_error_set(err, LQ_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        json_t *d = json_array_get(all, i);
        lq_gh_delivery *x = &out->items[out->count++];
        x->id = (int64_t)json_integer_value(json_object_get(d, "id"));
        copy(x->guid, sizeof x->guid, jstr(d, "guid"));
        x->status_code = (int)json_integer_value(json_object_get(d, "status_code"));
        if (lq_isotime_parse(jstr(d, "delivered_at"), &x->delivered_ms))
            x->delivered_ms = 0;
    }
    json_decref(all);
    return LQ_OK;
}

int lq_ghr_redeliver(void *ctx, const char *repo, long long hook, int64_t delivery_id,
                     lq_error *err)
{
    char path[512];
    snprintf(path, sizeof path, "/repos/%s/hooks/%lld/deliveries/%lld/attempts", repo, hook,
             (long long)delivery_id);
    return lq_ghr_write1(ctx, NULL, "POST", path, NULL, err);
}

