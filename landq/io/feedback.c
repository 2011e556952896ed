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
    if ((rec->status_key && !strcmp(rec->status_key, key)) || lq_wctx_fenced(w))
        return; /* fenced: another instance holds the branch now and owns its feedback */
    lq_error err = {0};
    if (lq_gh_status_post(&w->gh, rec->repo, sha, state, desc, w->context, &err) == LQ_OK) {
        lq_pr_record_set(&rec->status_key, key);
        lq_wctx_persist(w, rec);
    } else {
        LQ_WARN("feedback", "msg=\"cannot set commit status\" repo=%s pr=%d error=\"%s\"",
                rec->repo, rec->number, err.msg);
    }
}

/* landq's own login: given (an App's bot), or the token's user (GET /user, asked once). NULL
 * when it cannot be known now (err says why). */
static const char *self_login(lq_worker *w, lq_error *err)
{
    if (w->self_login[0])
        return w->self_login;
    if (w->self_unknown) {
        lq_error_set(err, LQ_ENOTFOUND, "the token has no user account (an App: set its bot login)");
        return NULL;
    }
    int rc = lq_gh_self_login(&w->gh, w->self_login, err);
    if (rc == LQ_ENOTFOUND)
        w->self_unknown = 1;
    return rc == LQ_OK && w->self_login[0] ? w->self_login : NULL;
}

/* Finds landq's comment written before a crash or restart: one carrying the marker AND
 * written by landq's own account. Anyone can paste the marker into a comment of theirs; such a
 * comment is never taken (landq would edit it, and its author could then rewrite "landq's"
 * status). *id stays 0 when there is none, or when the list or landq's login cannot be read
 * (then the error is returned). */
static int find_own_comment(lq_worker *w, const lq_pr_record *rec, int64_t *id, lq_error *err)
{
    *id = 0;
    lq_gh_comments list;
    int rc = lq_gh_comments_list(&w->gh, &list, rec->repo, rec->number, err);
    if (rc)
        return rc;
    const char *me = NULL;
    for (size_t i = 0; i < list.count && !*id; i++) {
        if (!strstr(list.items[i].body, LQ_FEEDBACK_MARKER))
            continue;
        if (!me && !(me = self_login(w, err))) {
            rc = w->self_unknown ? LQ_OK : (err->code ? err->code : LQ_ERROR);
            if (w->self_unknown)
                LQ_WARN("feedback", "msg=\"cannot tell landq's own login: a marked comment is "
                        "not adopted, a new one is written\" repo=%s pr=%d error=\"%s\"",
                        rec->repo, rec->number, err->msg);
            break;
        }
        if (!strcasecmp(list.items[i].author, me))
            *id = list.items[i].id;
        else
            LQ_WARN("feedback", "msg=\"a comment by someone else carries landq's marker; "
                    "ignored\" repo=%s pr=%d comment=%lld author=%s", rec->repo, rec->number,
                    (long long)list.items[i].id, list.items[i].author);
    }
    lq_gh_comments_dispose(&list);
    return rc;
}

void lq_feedback_comment_seen(lq_worker *w, lq_pr_record *rec, const lq_gh_comment *marked,
                              size_t marked_count)
{
    if (rec->comment_id > 0)
        return;
    int64_t id = 0;
    if (marked_count) {
        lq_error err = {0};
        const char *me = self_login(w, &err);
        if (!me)
            return;
        for (size_t i = 0; i < marked_count && !id; i++)
            if (!strcasecmp(marked[i].author, me))
                id = marked[i].id;
    }
    rec->comment_id = id ? id : -1;
}

void lq_feedback_comment(lq_worker *w, lq_pr_record *rec, const char *text)
{
    if ((rec->comment_body && !strcmp(rec->comment_body, text)) || lq_wctx_fenced(w))
        return;
    lq_error err = {0};
    int creating = rec->comment_id <= 0;
    if (rec->comment_id < 0) {
        /* None, as the timeline showed it: create without listing the comments, but save 0
         * first, so that a crash between the create and saving its id makes the next write
         * look for it (never a second comment). */
        rec->comment_id = 0;
        if (lq_wctx_persist(w, rec) == LQ_OK)
            creating = 2;
    }
    if (creating == 1) {
        /* Maybe written before a crash: find it (by its marker and its author). When that
         * cannot be told now, a new comment is written (never someone else's edited). */
        int64_t id = 0;
        if (find_own_comment(w, rec, &id, &err))
            LQ_WARN("feedback", "msg=\"cannot look for landq's comment\" repo=%s pr=%d "
                    "error=\"%s\"", rec->repo, rec->number, err.msg);
        rec->comment_id = id;
        creating = !id;
    }
    char author[LQ_GH_LOGIN_MAX] = "";
    int rc = lq_gh_comment_upsert(&w->gh, &rec->comment_id, author, sizeof author, rec->repo,
                                  rec->number, text, &err);
    if (rc == LQ_OK && creating && !w->self_login[0] && author[0])
        snprintf(w->self_login, sizeof w->self_login, "%s", author); /* who we write as */
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
    if (lq_wctx_fenced(w))
        return;
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
