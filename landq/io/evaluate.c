/* evaluate.c -- facts -> verdict -> queue state -> feedback. */
#include "evaluate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "feedback.h"
#include "message.h"
#include "queue.h"

static void apply_verdict(lq_worker *w, lq_pr_record *rec, const lq_verdict *v,
                          const lq_gh_pull *pr)
{
    static const lq_queue_event ev_of[] = {
        [LQ_VERDICT_IGNORE] = LQ_QEV_IGNORE, [LQ_VERDICT_WAIT] = LQ_QEV_WAIT,
        [LQ_VERDICT_BLOCKED] = LQ_QEV_BLOCKED, [LQ_VERDICT_EJECT] = LQ_QEV_EJECT,
        [LQ_VERDICT_READY] = LQ_QEV_READY};
    lq_pr_state old = rec->state;
    if (old == LQ_PR_MERGING)
        return; /* the landing step resolves the merge first */
    lq_error err = {0};
    if (lq_queue_transition(&rec->state, ev_of[v->kind], &err)) {
        LQ_ERR("worker", "msg=\"refused transition\" repo=%s pr=%d error=\"%s\"", rec->repo,
             rec->number, err.msg);
        return;
    }
    if (old != rec->state)
        LQ_INFO("worker", "msg=transition repo=%s pr=%d sha=%.12s from=%s to=%s", rec->repo,
             rec->number, rec->head_sha, lq_pr_state_str(old), lq_pr_state_str(rec->state));
    rec->dirty = 0;
    if (v->kind == LQ_VERDICT_READY) {
        char *msg = NULL;
        if (lq_message_build(&msg, pr->body, (const char *const *)v->approvers,
                             v->approver_count, &err) == LQ_OK) {
            snprintf(rec->merge_sha, sizeof rec->merge_sha, "%s", rec->head_sha);
            lq_pr_record_set(&rec->merge_title, pr->title ? pr->title : "");
            lq_pr_record_set(&rec->merge_message, msg);
            free(msg);
        } else {
            rec->state = LQ_PR_BLOCKED;
            LQ_ERR("worker", "msg=\"cannot build the commit message\" repo=%s pr=%d error=\"%s\"",
                 rec->repo, rec->number, err.msg);
        }
    }
    if (lq_wctx_persist(w, rec)) /* state first, then side effects */
        return;

    int changed = old != rec->state || !rec->status_key ||
                  !strstr(rec->status_key, v->summary ? v->summary : "");
    if (v->kind == LQ_VERDICT_IGNORE) {
        if (!lq_queue_is_queued(old))
            return;
        /* It left the queue without landq: say so where people look. */
        const char *why = v->reason_count ? v->reasons[0] : "it left the queue";
        lq_wctx_audit(w, rec, "dequeued", why, v->reasons, v->reason_count, NULL);
        if (pr->merged || !pr->open)
            return;
        char desc[160];
        snprintf(desc, sizeof desc, "not queued: the %s label was removed", w->label);
        lq_feedback_status(w, rec, rec->head_sha, "error", desc);
        lq_feedback_verdict_comment(w, rec, v);
        return;
    }
    if (changed)
        lq_wctx_audit(w, rec, lq_verdict_kind_str(v->kind), v->summary, v->reasons, v->reason_count,
              NULL);
    if (v->kind == LQ_VERDICT_EJECT)
        lq_feedback_label_remove(w, rec);
    char desc[200];
    const char *state = "pending";
    if (v->kind == LQ_VERDICT_READY) {
        size_t pos, total;
        lq_feedback_position(w, rec, &pos, &total);
        snprintf(desc, sizeof desc, "ready: position %zu of %zu in the queue for %.100s", pos, total,
                 rec->base);
    } else {
        snprintf(desc, sizeof desc, "%s", v->summary ? v->summary : "");
        if (v->kind == LQ_VERDICT_BLOCKED || v->kind == LQ_VERDICT_EJECT)
            state = "failure";
    }
    lq_feedback_status(w, rec, rec->head_sha, state, desc);
    lq_feedback_verdict_comment(w, rec, v);
}

int lq_evaluate_pr(lq_worker *w, lq_pr_record *rec)
{
    lq_facts b;
    lq_error err = {0};
    int rc = lq_facts_gather(&b, &w->facts, rec, 0, &err);
    if (rc == LQ_ENOTFOUND) {
        /* The pull request is gone (or invisible to the token). */
        lq_pr_state s = rec->state;
        if (s != LQ_PR_MERGING && lq_queue_transition(&s, LQ_QEV_IGNORE, NULL) == LQ_OK)
            rec->state = s;
        rec->dirty = 0;
        lq_wctx_persist(w, rec);
        lq_facts_dispose(&b);
        return LQ_OK;
    }
    if (rc) {
        LQ_WARN("worker", "msg=\"cannot read the pull request; will retry\" repo=%s pr=%d "
             "error=\"%s\"", rec->repo, rec->number, err.msg);
        lq_facts_dispose(&b);
        return rc;
    }
    lq_verdict v;
    rc = lq_policy_decide(&v, &b.policy, &err);
    if (!rc) {
        apply_verdict(w, rec, &v, &b.pr);
        lq_verdict_dispose(&v);
    }
    lq_facts_dispose(&b);
    return rc;
}


