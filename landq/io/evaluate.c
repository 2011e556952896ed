/* evaluate.c -- facts -> verdict -> queue state -> feedback. */
#include "evaluate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "board.h"
#include "explain.h"
#include "feedback.h"
#include "freeze.h"
#include "landing_plan.h"
#include "queue.h"
#include "str.h"

/* plan: the landing plan of a READY verdict (kept in the worker's book; NULL otherwise). */
static void apply_verdict(lq_worker *w, lq_pr_record *rec, const lq_verdict *v,
                          const lq_gh_pull *pr, lq_plan *plan)
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
    if (v->kind == LQ_VERDICT_READY && plan) {
        /* what the landing step sends, and re-verifies right before sending it */
        snprintf(rec->merge_sha, sizeof rec->merge_sha, "%.63s", plan->head_sha);
        lq_pr_record_set(&rec->merge_title, plan->title);
        lq_pr_record_set(&rec->merge_message, plan->message);
        if (lq_wctx_plan_keep(w, plan))
            rec->dirty = 1; /* out of memory: no plan, no landing; look again */
    } else if (v->kind == LQ_VERDICT_READY) {
        rec->state = LQ_PR_BLOCKED;
        LQ_ERR("worker", "msg=\"cannot build the landing plan\" repo=%s pr=%d", rec->repo,
               rec->number);
    } else {
        lq_wctx_plan_forget(w, rec->repo, rec->number);
    }
    if (lq_wctx_persist(w, rec)) /* state first, then side effects */
        return;
    if (v->kind != LQ_VERDICT_READY || w->cfg.predictive)
        lq_owed_drop(&w->owed, rec->repo, rec->number);

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
    /* "ready" is told only if it does not land first (core/owed.h) */
    if (v->kind == LQ_VERDICT_READY && !w->cfg.predictive &&
        lq_owed_ready(&w->owed, rec->repo, rec->number) == 0)
        return;
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

/* The evaluation, as `landq explain --json` would print it, for the queue page. */
static void publish(lq_worker *w, const lq_pr_record *rec, const lq_facts *b,
                    const lq_verdict *v, const lq_freeze_row *held)
{
    if (!w->cfg.board)
        return;
    json_t *o = NULL;
    lq_error err = {0};
    if (lq_explain_object(b, v, rec->repo, rec->number, w->label, &o, &err) == LQ_OK) {
        if (held) {
            char since[32];
            time_t t = (time_t)(held->since_ms / 1000);
            struct tm tm;
            if (!gmtime_r(&t, &tm) || !strftime(since, sizeof since, "%Y-%m-%dT%H:%M:%SZ", &tm))
                snprintf(since, sizeof since, "?");
            json_array_append_new(json_object_get(json_object_get(o, "verdict"), "waiting_for"),
                                  json_string("freeze"));
            json_object_set_new(o, "frozen", json_pack("{s:s, s:s?, s:s, s:s}", "branch",
                                                       held->branch, "reason", held->reason,
                                                       "by", held->by, "since", since));
        }
        lq_board_put(w->cfg.board, rec->repo, rec->number, o, &err);
    }
    if (err.msg[0])
        LQ_WARN("worker", "msg=\"cannot publish the evaluation for the queue page\" repo=%s "
                "pr=%d error=\"%s\"", rec->repo, rec->number, err.msg);
    json_decref(o);
}

/* A priority label that does not count says why (who applied it, what they lack). */
static int priority_note(lq_worker *w, const lq_facts *b, lq_verdict *v)
{
    if (!b->has_priority_label || b->priority || v->kind == LQ_VERDICT_IGNORE)
        return LQ_OK;
    char text[400];
    const char *need = w->cfg.priority_min_permission ? w->cfg.priority_min_permission
                                                      : "maintain";
    if (b->priority_labeler[0])
        snprintf(text, sizeof text, "the `%s` label does not count: @%s added it and has %s "
                 "permission on %s; it takes %s", w->priority_label, b->priority_labeler,
                 b->priority_permission[0] ? b->priority_permission : "no", b->policy.repo, need);
    else
        snprintf(text, sizeof text, "the `%s` label does not count: landq cannot tell who added "
                 "it", w->priority_label);
    char **nr = realloc(v->reasons, (v->reason_count + 1) * sizeof(*nr));
    if (!nr)
        return LQ_ENOMEM;
    v->reasons = nr;
    if (!(v->reasons[v->reason_count] = lq_strdup(text)))
        return LQ_ENOMEM;
    v->reason_count++;
    return LQ_OK;
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
        lq_wctx_plan_forget(w, rec->repo, rec->number);
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
    memset(&v, 0, sizeof v);
    rc = lq_policy_decide(&v, &b.policy, &err);
    lq_freeze_row fz;
    memset(&fz, 0, sizeof fz);
    int held = 0;
    if (!rc && v.kind == LQ_VERDICT_READY) {
        /* A frozen branch: still evaluated and told why it waits, but never ready. */
        int frc = lq_store_freeze_get(w->store, rec->repo, rec->base, &fz, &err);
        if (frc == LQ_OK)
            held = lq_freeze_hold(&v, fz.branch, fz.reason, fz.by, fz.since_ms);
        else if (frc != LQ_ENOTFOUND)
            rc = frc; /* cannot tell: fail closed, try again later */
        if (held < 0)
            rc = lq_error_set(&err, LQ_ENOMEM, "out of memory");
    }
    if (!rc)
        rc = priority_note(w, &b, &v);
    lq_plan plan;
    memset(&plan, 0, sizeof plan);
    int have_plan = 0;
    if (!rc && v.kind == LQ_VERDICT_READY) {
        int prc = lq_landing_plan_build(w, rec, &b, &v, &plan, &err);
        if (prc == LQ_OK)
            have_plan = 1;
        else if (prc != LQ_EINVAL && prc != LQ_ETOOBIG) /* cannot read the label events now */
            rc = prc;
        else
            LQ_ERR("worker", "msg=\"cannot build the commit message\" repo=%s pr=%d "
                   "error=\"%s\"", rec->repo, rec->number, err.msg);
    }
    if (!rc) {
        rec->priority = b.priority;
        if (b.timeline_read) /* saved with the verdict */
            lq_feedback_comment_seen(w, rec, b.marked, b.marked_count);
        apply_verdict(w, rec, &v, &b.pr, have_plan ? &plan : NULL);
        publish(w, rec, &b, &v, held > 0 ? &fz : NULL);
    } else {
        LQ_WARN("worker", "msg=\"cannot decide; will retry\" repo=%s pr=%d error=\"%s\"",
                rec->repo, rec->number, err.msg);
    }
    lq_plan_dispose(&plan); /* kept (and zeroed) when applied */
    lq_verdict_dispose(&v);
    free(fz.reason);
    lq_facts_dispose(&b);
    return rc;
}



size_t lq_evaluate_owed_due(lq_worker *w)
{
    size_t marked = 0;
    /* downwards: a drop moves the last entry (already visited) into the hole */
    for (size_t k = w->owed.count; k-- > 0;) {
        lq_owed *o = &w->owed.items[k];
        if (o->due)
            continue;
        lq_pr_record rec;
        lq_error err = {0};
        if (lq_store_get(w->store, o->repo, o->number, &rec, &err)) {
            lq_owed_drop(&w->owed, o->repo, o->number);
            continue;
        }
        if (rec.state != LQ_PR_READY) { /* landed, ejected, merging...: told otherwise */
            lq_owed_drop(&w->owed, rec.repo, rec.number);
        } else if (!rec.dirty) {
            o->due = 1;
            rec.dirty = 1;
            if (lq_wctx_persist(w, &rec) == LQ_OK)
                marked++;
        } else {
            o->due = 1; /* evaluated anyway */
        }
        lq_pr_record_dispose(&rec);
    }
    return marked;
}
