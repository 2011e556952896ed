/* feedback.c -- commit status, sticky comment, label removal, queue position. */
#include "feedback.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "feedback_text.h"
#include "queue.h"

void lq_feedback_status(lq_worker *w, lq_pr_record *rec, const char *sha, const char *state,
                        const char *desc)
{
    char key[512];
    snprintf(key, sizeof key, "%s %s %s", sha, state, desc);
    if (rec->status_key && !strcmp(rec->status_key, key))
        return;
    lq_error err = {0};
    if (lq_gh_status_post(&w->gh, rec->repo, sha, state, desc, w->context, &err) == LQ_OK) {
        lq_pr_record_set(&rec->status_key, key);
        lq_wctx_persist(w, rec);
    } else {
        LQ_WARN("feedback", "msg=\"cannot set commit status\" repo=%s pr=%d error=\"%s\"",
                rec->repo, rec->number, err.msg);
    }
}

void lq_feedback_comment(lq_worker *w, lq_pr_record *rec, const char *text)
{
    if (rec->comment_body && !strcmp(rec->comment_body, text))
        return;
    lq_error err = {0};
    if (!rec->comment_id) {
        /* Maybe written before a crash: find it by its marker. */
        lq_gh_comments list;
        if (lq_gh_comments_list(&w->gh, &list, rec->repo, rec->number, &err) == LQ_OK) {
            for (size_t i = 0; i < list.count; i++)
                if (strstr(list.items[i].body, LQ_FEEDBACK_MARKER)) {
                    rec->comment_id = list.items[i].id;
                    break;
                }
            lq_gh_comments_dispose(&list);
        }
    }
    int rc = lq_gh_comment_upsert(&w->gh, &rec->comment_id, NULL, 0, rec->repo, rec->number,
                                  text, &err);
    if (rc == LQ_OK) {
        lq_pr_record_set(&rec->comment_body, text);
        lq_wctx_persist(w, rec);
    } else {
        LQ_WARN("feedback", "msg=\"cannot write the status comment\" repo=%s pr=%d error=\"%s\"",
                rec->repo, rec->number, err.msg);
    }
}

void lq_feedback_label_remove(lq_worker *w, lq_pr_record *rec)
{
    lq_error err = {0};
    if (lq_gh_label_remove(&w->gh, rec->repo, rec->number, w->label, &err))
        LQ_WARN("feedback", "msg=\"cannot remove the label\" repo=%s pr=%d error=\"%s\"",
                rec->repo, rec->number, err.msg);
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
                                recs[i].labeled_at_ms, recs[i].state,
                                recs[i].priority};
        if (!strcasecmp(recs[i].repo, rec->repo) && recs[i].number == rec->number) {
            self = i;
            q[i].state = rec->state; /* may not be saved yet */
            q[i].priority = rec->priority;
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
