/* gh_rest_pulls.c -- REST operations on pull requests: the pull request, its files, reviews,
 * issue events and comments, and the pull request lists (by commit, by label). */
#include "gh.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gh_rest_int.h"
#include "isotime.h"
#include "str.h"

int lq_ghr_pull_get(void *ctx, lq_gh_pull *out, const char *repo, int number, lq_error *err)
{
    memset(out, 0, sizeof(*out));
    char path[512];
    snprintf(path, sizeof path, "/repos/%s/pulls/%d", repo, number);
    json_t *j = NULL;
    int cached = 0;
    int rc = lq_ghr_get1(ctx, &j, &cached, path, err);
    if (rc)
        return rc;
    out->number = number;
    out->from_cache = cached;
    const char *state = jstr(j, "state");
    out->open = state && !strcmp(state, "open");
    out->merged = json_is_true(json_object_get(j, "merged"));
    out->draft = json_is_true(json_object_get(j, "draft"));
    json_t *m = json_object_get(j, "mergeable");
    out->mergeable = json_is_true(m) ? LQ_GH_MERGEABLE_YES
                     : json_is_false(m) ? LQ_GH_MERGEABLE_NO : LQ_GH_MERGEABLE_UNKNOWN;
    copy(out->mergeable_state, sizeof out->mergeable_state, jstr(j, "mergeable_state"));
    copy(out->author, sizeof out->author, jpath(j, "user", "login"));
    copy(out->head_sha, sizeof out->head_sha, jpath(j, "head", "sha"));
    copy(out->head_ref, sizeof out->head_ref, jpath(j, "head", "ref"));
    copy(out->head_repo, sizeof out->head_repo,
         jpath(json_object_get(j, "head"), "repo", "full_name"));
    copy(out->base_ref, sizeof out->base_ref, jpath(j, "base", "ref"));
    copy(out->base_sha, sizeof out->base_sha, jpath(j, "base", "sha"));
    copy(out->base_repo, sizeof out->base_repo,
         jpath(json_object_get(j, "base"), "repo", "full_name"));
    copy(out->merge_commit_sha, sizeof out->merge_commit_sha, jstr(j, "merge_commit_sha"));
    json_t *cf = json_object_get(j, "changed_files");
    out->changed_files = json_is_integer(cf) ? (long)json_integer_value(cf) : -1;
    out->title = lq_strdup(jstr(j, "title") ? jstr(j, "title") : "");
    out->body = lq_strdup(jstr(j, "body") ? jstr(j, "body") : "");
    const char *cu = jpath(json_object_get(j, "base"), "repo", "clone_url");
    out->base_clone_url = cu ? lq_strdup(cu) : NULL;
    json_t *labels = json_object_get(j, "labels");
    size_t nl = json_array_size(labels);
    out->labels = calloc(nl + 1, sizeof(*out->labels));
    int oom = !out->title || !out->body || (cu && !out->base_clone_url) || !out->labels;
    for (size_t i = 0; !oom && i < nl; i++) {
        json_t *l = json_array_get(labels, i);
        const char *name = json_is_string(l) ? json_string_value(l) : jstr(l, "name");
        if (!name)
            continue;
        if (!(out->labels[out->label_count] = lq_strdup(name)))
            oom = 1;
        else
            out->label_count++;
    }
    json_decref(j);
    if (oom) {
        lq_gh_pull_dispose(out);
        return lq_error_set(err, LQ_ENOMEM, "out of memory");
    }
    if (!out->head_sha[0] || !out->base_ref[0]) {
        lq_gh_pull_dispose(out);
        return lq_error_set(err, LQ_ERROR, "%s#%d: pull request without head or base", repo,
                            number);
    }
    return LQ_OK;
}

int lq_ghr_files_list(void *ctx, lq_gh_files *out, const char *repo, int number,
                      size_t max_items, lq_error *err)
{
    memset(out, 0, sizeof(*out));
    char path[512];
    snprintf(path, sizeof path, "/repos/%s/pulls/%d/files?per_page=100", repo, number);
    json_t *all = NULL;
    int rc = lq_ghr_get_pages(ctx, &all, &out->from_cache, path, NULL, max_items, err);
    if (rc)
        return rc;
    size_t n = json_array_size(all);
    out->items = calloc(n + 1, sizeof(*out->items));
    for (size_t i = 0; out->items && i < n; i++) {
        json_t *x = json_array_get(all, i);
        const char *p = jstr(x, "filename"), *pp = jstr(x, "previous_filename");
        if (!p)
            continue;
        lq_gh_file *f = &out->items[out->count++];
        f->path = lq_strdup(p);
        f->previous_path = pp ? lq_strdup(pp) : NULL;
        if (!f->path || (pp && !f->previous_path)) {
            rc = LQ_ENOMEM;
            break;
        }
    }
    json_decref(all);
    if (!out->items || rc) {
        lq_gh_files_dispose(out);
        return lq_error_set(err, LQ_ENOMEM, "out of memory");
    }
    return LQ_OK;
}

int lq_ghr_reviews_list(void *ctx, lq_gh_reviews *out, const char *repo, int number,
                        lq_error *err)
{
    memset(out, 0, sizeof(*out));
    char path[512];
    snprintf(path, sizeof path, "/repos/%s/pulls/%d/reviews?per_page=100", repo, number);
    json_t *all = NULL;
    int rc = lq_ghr_get_pages(ctx, &all, &out->from_cache, path, NULL, 0, err);
    if (rc)
        return rc;
    size_t n = json_array_size(all);
    out->items = calloc(n + 1, sizeof(*out->items));
    if (!out->items) {
        json_decref(all);
        return lq_error_set(err, LQ_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        json_t *x = json_array_get(all, i);
        lq_gh_review *r = &out->items[out->count++];
        r->id = (int64_t)json_integer_value(json_object_get(x, "id"));
        copy(r->login, sizeof r->login, jpath(x, "user", "login"));
        copy(r->state, sizeof r->state, jstr(x, "state"));
        copy(r->commit_id, sizeof r->commit_id, jstr(x, "commit_id"));
    }
    json_decref(all);
    return LQ_OK;
}

int lq_ghr_issue_events_list(void *ctx, lq_gh_issue_events *out, const char *repo,
                             int number, lq_error *err)
{
    memset(out, 0, sizeof(*out));
    char path[512];
    snprintf(path, sizeof path, "/repos/%s/issues/%d/timeline?per_page=100", repo, number);
    json_t *all = NULL;
    int rc = lq_ghr_get_pages(ctx, &all, &out->from_cache, path, NULL, 10000, err);
    if (rc)
        return rc;
    size_t n = json_array_size(all);
    out->items = calloc(n + 1, sizeof(*out->items));
    for (size_t i = 0; out->items && i < n; i++) {
        json_t *x = json_array_get(all, i);
        lq_gh_issue_event *e = &out->items[out->count++];
        e->id = (int64_t)json_integer_value(json_object_get(x, "id"));
        copy(e->event, sizeof e->event, jstr(x, "event"));
        copy(e->actor, sizeof e->actor, jpath(x, "actor", "login"));
        const char *label = jpath(x, "label", "name");
        if (label && !(e->label = lq_strdup(label))) {
            rc = LQ_ENOMEM;
            break;
        }
        if (!strcmp(e->event, "commented")) {
            if (jpath(x, "user", "login")) /* the author; actor is the same on GitHub */
                copy(e->actor, sizeof e->actor, jpath(x, "user", "login"));
            const char *body = jstr(x, "body");
            if (!(e->body = lq_strdup(body ? body : ""))) {
                rc = LQ_ENOMEM;
                break;
            }
        }
        if (lq_isotime_parse(jstr(x, "created_at"), &e->created_ms))
            e->created_ms = 0;
    }
    json_decref(all);
    if (!out->items || rc) {
        lq_gh_issue_events_dispose(out);
        return lq_error_set(err, LQ_ENOMEM, "out of memory");
    }
    return LQ_OK;
}

static int numbers_push(lq_gh_numbers *out, int n)
{
    int *items = realloc(out->items, (out->count + 1) * sizeof(*items));
    if (!items)
        return LQ_ENOMEM;
    out->items = items;
    out->items[out->count++] = n;
    return LQ_OK;
}

int lq_ghr_commit_pulls(void *ctx, lq_gh_numbers *out, const char *repo, const char *sha,
                        lq_error *err)
{
    memset(out, 0, sizeof(*out));
    char path[512];
    snprintf(path, sizeof path, "/repos/%s/commits/%s/pulls", repo, sha);
    json_t *list = NULL;
    int rc = lq_ghr_get1(ctx, &list, NULL, path, err);
    if (rc)
        return rc;
    size_t i;
    json_t *p;
    /* the pull request whose merge commit this is goes first */
    json_array_foreach(list, i, p)
    {
        const char *mc = jstr(p, "merge_commit_sha");
        int n = (int)json_integer_value(json_object_get(p, "number"));
        if (!rc && n > 0 && mc && !strcmp(mc, sha))
            rc = numbers_push(out, n);
    }
    json_array_foreach(list, i, p)
    {
        const char *mc = jstr(p, "merge_commit_sha");
        int n = (int)json_integer_value(json_object_get(p, "number"));
        if (!rc && n > 0 && !(mc && !strcmp(mc, sha)))
            rc = numbers_push(out, n);
    }
    json_decref(list);
    if (rc) {
        lq_gh_numbers_dispose(out);
        return lq_error_set(err, LQ_ENOMEM, "out of memory");
    }
    return LQ_OK;
}

int lq_ghr_labeled_pulls(void *ctx, lq_gh_numbers *out, const char *repo, const char *label,
                         lq_error *err)
{
    memset(out, 0, sizeof(*out));
    char *el = lq_github_escape(label, 0);
    if (!el)
        return lq_error_set(err, LQ_ENOMEM, "out of memory");
    size_t n = strlen(repo) + strlen(el) + 80;
    char *next = malloc(n);
    if (next)
        snprintf(next, n, "/repos/%s/issues?labels=%s&state=open&per_page=100", repo, el);
    free(el);
    if (!next)
        return lq_error_set(err, LQ_ENOMEM, "out of memory");
    int rc = LQ_OK;
    for (int pages = 0; next && !rc && pages < 1000; pages++) {
        lq_gh_response r;
        rc = lq_github_request(ctx, &r, "GET", next, NULL, err);
        free(next);
        next = NULL;
        if (!rc && r.status != 200)
            rc = lq_error_set(err, LQ_ERROR, "%s: listing labeled pull requests: GitHub "
                              "answered %ld", repo, r.status);
        else if (!rc && !json_is_array(r.json))
            rc = lq_error_set(err, LQ_ERROR, "%s: listing labeled pull requests: not a list",
                              repo);
        if (!rc) {
            out->cached_pages += r.from_cache != 0;
            size_t i;
            json_t *it;
            json_array_foreach(r.json, i, it)
            {
                /* The issues API lists issues too; pull requests carry "pull_request". */
                if (!json_is_object(json_object_get(it, "pull_request")))
                    continue;
                json_int_t num = json_integer_value(json_object_get(it, "number"));
                if (num <= 0 || num > 0x7fffffff)
                    continue;
                if (numbers_push(out, (int)num)) {
                    rc = lq_error_set(err, LQ_ENOMEM, "out of memory");
                    break;
                }
            }
            if (!rc && r.next_url && !(next = lq_strdup(r.next_url)))
                rc = lq_error_set(err, LQ_ENOMEM, "out of memory");
        }
        lq_gh_response_dispose(&r);
    }
    free(next);
    if (rc)
        lq_gh_numbers_dispose(out);
    return rc;
}

int lq_ghr_comment_of(lq_gh_comment *out, const json_t *c)
{
    out->id = (int64_t)json_integer_value(json_object_get(c, "id"));
    copy(out->author, sizeof out->author, jpath(c, "user", "login"));
    out->body = lq_strdup(jstr(c, "body") ? jstr(c, "body") : "");
    return out->body ? LQ_OK : LQ_ENOMEM;
}

int lq_ghr_comments_list(void *ctx, lq_gh_comments *out, const char *repo, int number,
                         lq_error *err)
{
    memset(out, 0, sizeof(*out));
    char path[512];
    snprintf(path, sizeof path, "/repos/%s/issues/%d/comments?per_page=100", repo, number);
    json_t *all = NULL;
    int rc = lq_ghr_get_pages(ctx, &all, NULL, path, NULL, 0, err);
    if (rc)
        return rc;
    size_t n = json_array_size(all);
    out->items = calloc(n + 1, sizeof(*out->items));
    rc = out->items ? LQ_OK : LQ_ENOMEM;
    for (size_t i = 0; !rc && i < n; i++)
        rc = lq_ghr_comment_of(&out->items[out->count++], json_array_get(all, i));
    json_decref(all);
    if (rc) {
        lq_gh_comments_dispose(out);
        return lq_error_set(err, LQ_ENOMEM, "out of memory");
    }
    return LQ_OK;
}

