/* feedback.c -- commit status, sticky comment, label removal, queue position. */
#include "feedback.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "feedback_text.h"
#include "queue.h"

static const char *jstr(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}


void lq_feedback_status(lq_worker *w, lq_pr_record *rec, const char *sha, const char *state,
                        const char *desc)
{
    char key[512];
    snprintf(key, sizeof key, "%s %s %s", sha, state, desc);
    if (rec->status_key && !strcmp(rec->status_key, key))
        return;
    json_t *body = json_pack("{s:s, s:s, s:s}", "state", state, "description", desc, "context",
                             w->context);
    char path[512];
    snprintf(path, sizeof path, "/repos/%s/statuses/%s", rec->repo, sha);
    lq_gh_response r;
    lq_error err = {0};
    int rc = body ? lq_github_request(w->gh, &r, "POST", path, body, &err) : LQ_ENOMEM;
    json_decref(body);
    if (rc == LQ_OK && r.status / 100 == 2) {
        lq_pr_record_set(&rec->status_key, key);
        lq_wctx_persist(w, rec);
    } else {
        LQ_WARN("feedback", "msg=\"cannot set commit status\" repo=%s pr=%d status=%ld error=\"%s\"",
             rec->repo, rec->number, rc == LQ_ENOMEM ? 0 : r.status, err.msg);
    }
    if (rc != LQ_ENOMEM)
        lq_gh_response_dispose(&r);
}

void lq_feedback_comment(lq_worker *w, lq_pr_record *rec, const char *text)
{
    if (rec->comment_body && !strcmp(rec->comment_body, text))
        return;
    lq_error err = {0};
    char path[512];
    if (!rec->comment_id) {
        /* Maybe written before a crash: find it by its marker. */
        snprintf(path, sizeof path, "/repos/%s/issues/%d/comments?per_page=100", rec->repo,
                 rec->number);
        json_t *list = NULL;
        if (lq_github_get_all(w->gh, &list, path, NULL, 0, &err) == LQ_OK) {
            size_t i;
            json_t *c;
            json_array_foreach(list, i, c)
            {
                const char *b = jstr(c, "body");
                if (b && strstr(b, LQ_FEEDBACK_MARKER)) {
                    rec->comment_id = (int64_t)json_integer_value(json_object_get(c, "id"));
                    break;
                }
            }
            json_decref(list);
        }
    }
    json_t *body = json_pack("{s:s}", "body", text);
    lq_gh_response r;
    memset(&r, 0, sizeof r);
    int rc = LQ_ENOMEM;
    if (rec->comment_id) {
        snprintf(path, sizeof path, "/repos/%s/issues/comments/%lld", rec->repo,
                 (long long)rec->comment_id);
        rc = body ? lq_github_request(w->gh, &r, "PATCH", path, body, &err) : LQ_ENOMEM;
        if (rc == LQ_OK && r.status == 404) { /* deleted by someone: write a new one */
            rec->comment_id = 0;
            lq_gh_response_dispose(&r);
        }
    }
    if (!rec->comment_id && body) {
        snprintf(path, sizeof path, "/repos/%s/issues/%d/comments", rec->repo, rec->number);
        rc = lq_github_request(w->gh, &r, "POST", path, body, &err);
        if (rc == LQ_OK && r.status / 100 == 2)
            rec->comment_id = (int64_t)json_integer_value(json_object_get(r.json, "id"));
    }
    json_decref(body);
    if (rc == LQ_OK && r.status / 100 == 2) {
        lq_pr_record_set(&rec->comment_body, text);
        lq_wctx_persist(w, rec);
    } else {
        LQ_WARN("feedback", "msg=\"cannot write the status comment\" repo=%s pr=%d status=%ld "
             "error=\"%s\"", rec->repo, rec->number, r.status, err.msg);
    }
    lq_gh_response_dispose(&r);
}

void lq_feedback_label_remove(lq_worker *w, lq_pr_record *rec)
{
    char *el = lq_github_escape(w->label, 0);
    if (!el)
        return;
    char path[768];
    snprintf(path, sizeof path, "/repos/%s/issues/%d/labels/%s", rec->repo, rec->number, el);
    free(el);
    lq_gh_response r;
    lq_error err = {0};
    int rc = lq_github_request(w->gh, &r, "DELETE", path, NULL, &err);
    if (rc || (r.status / 100 != 2 && r.status != 404))
        LQ_WARN("feedback", "msg=\"cannot remove the label\" repo=%s pr=%d status=%ld error=\"%s\"",
             rec->repo, rec->number, r.status, err.msg);
    lq_gh_response_dispose(&r);
}

void lq_feedback_position(lq_worker *w, const lq_pr_record *rec, size_t *pos, size_t *total)
{
    *pos = *total = 0;
    lq_pr_record *recs = NULL;
    size_t n = 0;
    lq_error err = {0};
    if (lq_store_list(w->store, LQ_STORE_QUEUED, &recs, &n, &err))
        return;
    lq_queue_entry *q = calloc(n + 1, sizeof(*q));
    size_t self = n;
    for (size_t i = 0; q && i < n; i++) {
        q[i] = (lq_queue_entry){recs[i].repo, recs[i].base, recs[i].number,
                                recs[i].labeled_at_ms, recs[i].state};
        if (!strcasecmp(recs[i].repo, rec->repo) && recs[i].number == rec->number) {
            self = i;
            q[i].state = rec->state; /* may not be saved yet */
        }
    }
    if (q && self < n)
        *pos = lq_queue_position(q, n, self, total);
    free(q);
    lq_store_list_free(recs, n);
}

void lq_feedback_verdict_comment(lq_worker *w, lq_pr_record *rec, const lq_verdict *v)
{
    lq_feedback_pr p = {.repo = rec->repo, .base = rec->base, .head_sha = rec->head_sha,
                        .label = w->label};
    lq_feedback_position(w, rec, &p.position, &p.queue_length);
    char *text = lq_feedback_text_verdict(v, &p);
    if (text)
        lq_feedback_comment(w, rec, text);
    free(text);
}
