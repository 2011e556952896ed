/* landing.c -- the merge protocol: mergeability, merge, outcome. */
#include "landing.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conflict_watch.h"
#include "deliveries.h"
#include "feedback.h"
#include "feedback_text.h"
#include "landing_plan.h"
#include "metrics.h"
#include "predictive.h"
#include "queue.h"

#define MERGE_ATTEMPTS_MAX 5 /* 5xx answers to a merge before giving up (blocked) */
#define DRAIN_BEFORE_MERGE 1000 /* deliveries applied right before a merge request, at most */

int lq_landing_feedback(lq_worker *w, lq_pr_record *rec)
{
    char c12[13];
    lq_wctx_short_sha(c12, rec->landed_sha);
    char summary[256];
    snprintf(summary, sizeof summary, "landed as %s on %.200s", c12, rec->base);
    const char *sha = rec->merge_sha[0] ? rec->merge_sha : rec->head_sha;
    lq_feedback_status(w, rec, sha, "success", summary);
    char key[512];
    snprintf(key, sizeof key, "%s %s %s", sha, "success", summary);
    int ok = rec->status_key && !strcmp(rec->status_key, key);
    char *text = lq_feedback_text_landed(rec->base, rec->landed_sha, rec->merge_sha,
                                         rec->merge_title, rec->merge_message);
    if (text)
        lq_feedback_comment(w, rec, text);
    ok = ok && text && rec->comment_body && !strcmp(rec->comment_body, text);
    free(text);
    if (ok && rec->dirty) {
        rec->dirty = 0;
        lq_wctx_persist(w, rec);
    }
    return ok ? 0 : -1;
}

static void landed(lq_worker *w, lq_pr_record *rec, const char *commit)
{
    lq_error err = {0};
    lq_queue_transition(&rec->state, LQ_QEV_MERGED, &err);
    snprintf(rec->landed_sha, sizeof rec->landed_sha, "%s", commit ? commit : "");
    rec->dirty = 1; /* feedback owed: landed_feedback() clears it */
    lq_wctx_persist(w, rec);
    char c12[13];
    lq_wctx_short_sha(c12, rec->landed_sha);
    char summary[256];
    snprintf(summary, sizeof summary, "landed as %s on %.200s", c12, rec->base);
    char *reasons[] = {summary};
    lq_wctx_audit(w, rec, "landed", summary, reasons, 1, rec->landed_sha);
    char l[600];
    lq_metrics_add(w->cfg.metrics, "landq_landings_total",
                   lq_metrics_label2(l, sizeof l, "repo", rec->repo, "branch", rec->base), 1);
    if (rec->labeled_at_ms > 0)
        lq_metrics_observe(w->cfg.metrics, "landq_label_to_landing_seconds", NULL,
                           (double)(lq_store_now_ms() - rec->labeled_at_ms) / 1000.0);
    lq_landing_feedback(w, rec);
}

/* Out of the queue because GitHub cannot merge it: label removed, author told. The caller has
 * already moved rec to EJECTED. */
static void tell_refused(lq_worker *w, lq_pr_record *rec, const char *summary, const char *quote)
{
    lq_wctx_plan_forget(w, rec->repo, rec->number);
    char *ctext = NULL, csum[200], head[41];
    if (lq_conflict_watch_report(w, rec, rec->merge_sha, 0, 1, &ctext, csum, sizeof csum, head) == 1) {
        lq_conflict_watch_tell(w, rec, ctext, csum, head);
        free(ctext);
        return;
    }
    lq_wctx_persist(w, rec);
    char *reasons[] = {(char *)summary};
    lq_wctx_audit(w, rec, "refused", summary, reasons, 1, NULL);
    lq_feedback_label_remove(w, rec);
    lq_feedback_status(w, rec, rec->merge_sha, "failure", summary);
    char *text = lq_feedback_text_refused(w->label, rec->merge_sha, rec->base, quote);
    if (text)
        lq_feedback_comment(w, rec, text);
    free(text);
}

static void merge_refused(lq_worker *w, lq_pr_record *rec, long status, const char *ghmsg)
{
    lq_error err = {0};
    lq_queue_transition(&rec->state, LQ_QEV_REFUSED, &err);
    char summary[256];
    snprintf(summary, sizeof summary, "GitHub refused the merge (%ld): %.200s", status,
             ghmsg && *ghmsg ? ghmsg : "no reason given");
    tell_refused(w, rec, summary, ghmsg && *ghmsg ? ghmsg : "(no message)");
}

typedef enum {
    MERGEABILITY_YES,        /* GitHub can merge the head decided on */
    MERGEABILITY_NO,         /* mergeable: false (state in ms) */
    MERGEABILITY_UNKNOWN,    /* still computing after the waits, or unreadable */
    MERGEABILITY_HEAD_MOVED  /* the head is no longer the one decided on */
} mergeability;

/* GitHub computes mergeability in the background; never merge while it is unknown. It is
 * usually known a few hundred milliseconds after the base moved (every landing moves it): the
 * re-reads start soon and back off (6.3 s in all, 7 reads at most). */
static mergeability mergeable(lq_worker *w, lq_pr_record *rec, char *ms, size_t cap)
{
    static const long waits[] = {0, 100, 200, 400, 800, 1600, 3200};
    snprintf(ms, cap, "unknown");
    for (size_t i = 0; i < sizeof waits / sizeof waits[0]; i++) {
        if (waits[i] >= 400 && lq_owed_pending(&w->owed, rec->repo, rec->number)) {
            /* not landing right away after all: its ready status is owed now (the comment
             * follows when the round stops, core/owed.h) */
            size_t pos, total;
            char desc[200];
            lq_feedback_position(w, rec, &pos, &total);
            snprintf(desc, sizeof desc, "ready: position %zu of %zu in the queue for %.100s", pos,
                     total, rec->base);
            lq_feedback_status(w, rec, rec->head_sha, "pending", desc);
        }
        if (lq_wctx_nap(w, waits[i]))
            return MERGEABILITY_UNKNOWN;
        lq_gh_pull pr;
        lq_error err = {0};
        if (lq_gh_pull_get(&w->gh, &pr, rec->repo, rec->number, &err))
            return MERGEABILITY_UNKNOWN;
        snprintf(ms, cap, "%s", pr.mergeable_state[0] ? pr.mergeable_state : "unknown");
        mergeability r = strcmp(pr.head_sha, rec->merge_sha) ? MERGEABILITY_HEAD_MOVED
                         : pr.mergeable == LQ_GH_MERGEABLE_YES ? MERGEABILITY_YES
                         : pr.mergeable == LQ_GH_MERGEABLE_NO  ? MERGEABILITY_NO
                                                               : MERGEABILITY_UNKNOWN;
        lq_gh_pull_dispose(&pr);
        if (r != MERGEABILITY_UNKNOWN)
            return r;
    }
    return MERGEABILITY_UNKNOWN;
}

typedef enum {
    MERGED_YES,        /* merged (commit set) */
    MERGED_NO,         /* open, not merged (head set) */
    MERGED_CLOSED,     /* closed without merging */
    MERGED_UNREADABLE  /* cannot tell now */
} merged_state;

/* Was it merged meanwhile (after a 5xx, or on resume)? */
static merged_state check_merged(lq_worker *w, lq_pr_record *rec, char *commit, size_t cap,
                                 char *head, size_t hcap)
{
    lq_gh_pull pr;
    lq_error err = {0};
    if (lq_gh_pull_get(&w->gh, &pr, rec->repo, rec->number, &err))
        return MERGED_UNREADABLE;
    snprintf(commit, cap, "%.64s", pr.merge_commit_sha);
    snprintf(head, hcap, "%.64s", pr.head_sha);
    merged_state m = pr.merged ? MERGED_YES : pr.open ? MERGED_NO : MERGED_CLOSED;
    lq_gh_pull_dispose(&pr);
    return m;
}

/* The merge freeze, checked right before the merge request: a branch frozen since the pull
 * request became ready (or whose freeze cannot be read) is not merged; the pull request goes
 * back to be evaluated, which tells its author why it waits. */
static int frozen_now(lq_worker *w, lq_pr_record *rec)
{
    lq_freeze_row fz;
    lq_error err = {0};
    int rc = lq_store_freeze_get(w->store, rec->repo, rec->base, &fz, &err);
    if (rc == LQ_ENOTFOUND)
        return 0;
    if (rc == LQ_OK) {
        LQ_INFO("landing", "msg=\"branch frozen; not merging\" repo=%s pr=%d branch=%s by=%s",
                rec->repo, rec->number, rec->base, fz.by);
        free(fz.reason);
    } else {
        LQ_WARN("landing", "msg=\"cannot read the merge freeze; not merging\" repo=%s pr=%d "
                "error=\"%s\"", rec->repo, rec->number, err.msg);
    }
    if (rec->state == LQ_PR_MERGING) /* nothing was sent (or it was not merged): look again */
        lq_queue_transition(&rec->state, LQ_QEV_HEAD_MOVED, &err);
    rec->dirty = 1;
    lq_wctx_persist(w, rec);
    return 1;
}

/* ---------------------------------------------------------------- the plan, right before */

/* Right before the merge request: the deliveries waiting in the inbox are applied (a review, a
 * label removal, a push or a retarget that arrived during the mergeability wait marks the record
 * dirty), then everything the decision rested on is read again (fresh: caches of permissions and
 * team memberships bypassed) and decided again, and the new plan is compared with the decided
 * one. 0: the plan holds, *now is the fresh plan (its base_sha is the tip the merge will land
 * on); 1: it does not (why says what changed); < 0: cannot tell now (nothing is merged). */
static int plan_holds(lq_worker *w, const lq_pr_record *rec, lq_plan *now, char *why,
                      size_t cap)
{
    memset(now, 0, sizeof(*now));
    const lq_plan *decided = lq_wctx_plan_find(w, rec->repo, rec->number);
    if (!decided || strcmp(decided->head_sha, rec->merge_sha)) {
        snprintf(why, cap, "no landing plan for head %.12s (decided before a restart)",
                 rec->merge_sha);
        return 1;
    }
    /* deliveries are about any branch: applied unfenced, as by the worker loop */
    long fence = w->fence;
    w->fence = -1;
    lq_deliveries_drain(w, DRAIN_BEFORE_MERGE);
    w->fence = fence;
    lq_pr_record cur;
    lq_error err = {0};
    int rc = lq_store_get(w->store, rec->repo, rec->number, &cur, &err);
    if (rc)
        return rc < 0 ? rc : LQ_ERROR;
    /* a fresh copy for the facts to update; the caller's record is not touched */
    lq_pr_record tmp = cur;
    tmp.comment_body = tmp.status_key = tmp.merge_title = tmp.merge_message = NULL;
    int dirty = cur.dirty;
    lq_pr_record_dispose(&cur);
    if (dirty) {
        snprintf(why, cap, "a webhook about it arrived since the decision");
        return 1;
    }
    lq_facts b;
    rc = lq_facts_gather(&b, &w->facts, &tmp, LQ_FACTS_FRESH, &err);
    lq_verdict v;
    memset(&v, 0, sizeof v);
    if (rc == LQ_ENOTFOUND) {
        snprintf(why, cap, "the pull request is gone");
        rc = 1;
    } else if (!rc && (rc = lq_policy_decide(&v, &b.policy, &err)) == LQ_OK) {
        if (v.kind != LQ_VERDICT_READY) {
            snprintf(why, cap, "the decision is now %s: %.200s", lq_verdict_kind_str(v.kind),
                     v.summary ? v.summary : "");
            rc = 1;
        } else if ((rc = lq_landing_plan_build(w, &tmp, &b, &v, now, &err)) == LQ_OK) {
            unsigned bits = lq_plan_diff(decided, now);
            char what[200];
            if (bits & LQ_PLAN_BLOCKING) {
                snprintf(why, cap, "changed since the decision: %s",
                         lq_plan_diff_str(bits & LQ_PLAN_BLOCKING, what, sizeof what));
                rc = 1;
            }
        } else if (rc == LQ_EINVAL || rc == LQ_ETOOBIG) {
            snprintf(why, cap, "the commit message cannot be built: %.200s", err.msg);
            rc = 1;
        }
    }
    if (rc < 0)
        LQ_WARN("landing", "msg=\"cannot re-verify the landing plan; not merging now\" repo=%s "
                "pr=%d error=\"%s\"", rec->repo, rec->number, err.msg);
    if (rc)
        lq_plan_dispose(now);
    lq_verdict_dispose(&v);
    lq_facts_dispose(&b);
    return rc;
}

/* The plan no longer holds (or cannot be verified): nothing was sent; the pull request goes
 * back to be evaluated, which tells its author what changed. */
static void plan_broken(lq_worker *w, lq_pr_record *rec, const char *why)
{
    lq_error err = {0};
    if (rec->state == LQ_PR_MERGING)
        lq_queue_transition(&rec->state, LQ_QEV_HEAD_MOVED, &err);
    rec->dirty = 1;
    lq_wctx_plan_forget(w, rec->repo, rec->number);
    lq_wctx_persist(w, rec);
    char *reasons[] = {(char *)why};
    lq_wctx_audit(w, rec, "plan-changed", why, reasons, 1, NULL);
}

/* ---------------------------------------------------------------- the outcome */

/* Freezes (repo, branch) in the store: the branch's queue stops until an operator unfreezes it
 * (`landq unfreeze`, docs/operations.md "Safety incidents"). */
static void halt_branch(lq_worker *w, const char *repo, const char *branch, const char *reason)
{
    lq_error err = {0};
    lq_freeze_row old;
    int64_t since = lq_store_now_ms();
    if (lq_store_freeze_get(w->store, repo, branch, &old, &err) == LQ_OK) {
        since = old.since_ms;
        free(old.reason);
    }
    if (lq_store_freeze_set(w->store, repo, branch, reason, "landq", since, &err) ||
        lq_store_mark_branch_dirty(w->store, repo, branch, NULL, &err))
        LQ_ERR("landing", "msg=\"cannot halt the branch after a safety violation\" repo=%s "
               "branch=%s error=\"%s\"", repo, branch, err.msg);
}

/* A merge that did not go where the plan said: an incident. It is recorded (audit row
 * "incident", landq_safety_violations_total, a level=error line), shown on the pull request
 * (status error, comment), and the queues of the decided branch and of the branch it landed on
 * halt until an operator looked. */
static void incident(lq_worker *w, lq_pr_record *rec, const char *decided_base,
                     const char *actual_base, const char *commit, const char *what)
{
    lq_error err = {0};
    lq_queue_transition(&rec->state, LQ_QEV_MERGED, &err);
    snprintf(rec->landed_sha, sizeof rec->landed_sha, "%s", commit ? commit : "");
    rec->dirty = 0; /* no "landed" feedback: the incident's is written below */
    lq_wctx_plan_forget(w, rec->repo, rec->number);
    lq_wctx_persist(w, rec);
    char summary[400];
    snprintf(summary, sizeof summary, "safety violation: %.300s", what);
    LQ_ERR("landing", "msg=\"safety violation\" repo=%s pr=%d sha=%.12s decided_base=%s "
           "actual_base=%s commit=%.40s what=\"%s\"", rec->repo, rec->number, rec->merge_sha,
           decided_base, actual_base[0] ? actual_base : "?", commit ? commit : "-", what);
    char *reasons[] = {summary};
    lq_wctx_audit(w, rec, "incident", summary, reasons, 1, commit);
    char l[600];
    lq_metrics_add(w->cfg.metrics, "landq_safety_violations_total",
                   lq_metrics_label2(l, sizeof l, "repo", rec->repo, "branch", decided_base), 1);
    char reason[300];
    snprintf(reason, sizeof reason, "safety incident (#%d): %.250s", rec->number, what);
    halt_branch(w, rec->repo, decided_base, reason);
    if (actual_base[0] && strcmp(actual_base, decided_base))
        halt_branch(w, rec->repo, actual_base, reason);
    char desc[140];
    snprintf(desc, sizeof desc, "safety incident: merged outside its plan; queue halted");
    lq_feedback_status(w, rec, rec->merge_sha, "error", desc);
    char *text = lq_feedback_text_incident(decided_base, actual_base, rec->merge_sha, what);
    if (text)
        lq_feedback_comment(w, rec, text);
    free(text);
}

static void set_out(lq_landing_out *o, lq_landing_result r, const char *sha, const char *msg)
{
    o->result = r;
    snprintf(o->landed, sizeof o->landed, "%s", sha ? sha : "");
    snprintf(o->msg, sizeof o->msg, "%s", msg ? msg : "");
}

/* Merged: verify it went where decided (and, with checks, that it is what was tested), then
 * record it (landed) or the incident. */
static void merged(lq_worker *w, lq_pr_record *rec, const char *decided_base,
                   const char *base_tip, const char *commit, const lq_landing_checks *chk,
                   lq_landing_out *o)
{
    char actual[LQ_GH_REF_MAX], what[400];
    int bad = lq_landing_outcome_violates(w, rec, decided_base, base_tip, commit, actual,
                                         sizeof actual, what, sizeof what);
    if (!bad && chk && chk->after) { /* where decided: is it what was tested? */
        bad = chk->after(chk->ctx, rec, commit, what, sizeof what) != 0;
        snprintf(actual, sizeof actual, "%s", decided_base);
    }
    if (bad) {
        incident(w, rec, decided_base, actual, commit, what);
        set_out(o, LQ_LANDING_INCIDENT, commit, what);
        return;
    }
    lq_wctx_plan_forget(w, rec->repo, rec->number);
    landed(w, rec, commit);
    set_out(o, LQ_LANDING_LANDED, commit, NULL);
}

/* landq's status goes back to pending on a head that was not merged after all: a success left
 * on it would satisfy a required `landq` status for whatever base the pull request has next. */
static void status_not_merged(lq_worker *w, lq_pr_record *rec, const char *why)
{
    char desc[140];
    snprintf(desc, sizeof desc, "not merged: %.100s", why);
    lq_feedback_status(w, rec, rec->merge_sha, "pending", desc);
}

/* Lands rec (READY or MERGING). Returns 1 if it landed, 0 otherwise; *o says what happened. */
static int land(lq_worker *w, lq_pr_record *rec, const lq_landing_checks *chk, lq_landing_out *o)
{
    lq_error err = {0};
    set_out(o, LQ_LANDING_NOT_YET, NULL, NULL);
    if (rec->state == LQ_PR_READY) {
        char ms[64];
        mergeability m = mergeable(w, rec, ms, sizeof ms);
        if (m == MERGEABILITY_HEAD_MOVED) { /* pushed since the evaluation: look again */
            rec->dirty = 1;
            lq_wctx_persist(w, rec);
            set_out(o, LQ_LANDING_NOT_READY, NULL, "the head moved");
            return 0;
        }
        char *ctext = NULL, csum[200], chead[41];
        if (m == MERGEABILITY_UNKNOWN && lq_conflict_watch_report(w, rec, rec->merge_sha, 0, 1, &ctext, csum,
                                           sizeof csum, chead) == 1 &&
            lq_queue_transition(&rec->state, LQ_QEV_EJECT, &err) == LQ_OK) {
            /* GitHub is still computing (the base moved); the mirror already knows. */
            lq_conflict_watch_tell(w, rec, ctext, csum, chead);
            free(ctext);
            set_out(o, LQ_LANDING_REFUSED, NULL, csum);
            return 0;
        }
        free(ctext);
        if (m == MERGEABILITY_UNKNOWN) { /* GitHub is still computing: try again shortly, do not guess */
            w->retry_after_ms = lq_store_now_ms() + 3000;
            LQ_INFO("landing", "msg=\"mergeability not known yet; will retry\" repo=%s pr=%d",
                 rec->repo, rec->number);
            return 0;
        }
        if (m == MERGEABILITY_NO) {
            if (lq_queue_transition(&rec->state, LQ_QEV_EJECT, &err))
                return 0;
            char summary[256], quote[256];
            snprintf(summary, sizeof summary, "GitHub cannot merge it into %.100s (mergeable: "
                     "false, state %.40s)", rec->base, ms);
            snprintf(quote, sizeof quote, "mergeable: false (mergeable_state: %.40s); usually a "
                     "conflict with `%.100s`", ms, rec->base);
            tell_refused(w, rec, summary, quote);
            set_out(o, LQ_LANDING_REFUSED, NULL, summary);
            return 0;
        }
        if (lq_queue_transition(&rec->state, LQ_QEV_MERGE_START, &err))
            return 0;
        rec->merge_attempts = 0;
        if (lq_wctx_persist(w, rec))
            return 0;
        LQ_INFO("landing", "msg=transition repo=%s pr=%d sha=%.12s from=ready to=merging", rec->repo,
             rec->number, rec->merge_sha);
    }
    if (rec->merge_attempts > 0) {
        /* A merge was sent before and its outcome is unknown: never merge twice. */
        char commit[LQ_GH_SHA_MAX], head[LQ_GH_SHA_MAX];
        merged_state m = check_merged(w, rec, commit, sizeof commit, head, sizeof head);
        if (m == MERGED_UNREADABLE)
            return 0; /* cannot tell yet; try again next round */
        if (m == MERGED_YES) { /* the earlier request went through: check where it went */
            merged(w, rec, rec->base, NULL, commit, chk, o);
            return o->result == LQ_LANDING_LANDED;
        }
        if (m == MERGED_CLOSED || strcmp(head, rec->merge_sha)) {
            lq_queue_transition(&rec->state, LQ_QEV_HEAD_MOVED, &err);
            rec->dirty = 1;
            lq_wctx_persist(w, rec);
            set_out(o, LQ_LANDING_NOT_READY, NULL, "closed or pushed");
            return 0;
        }
        if (rec->merge_attempts >= MERGE_ATTEMPTS_MAX) {
            lq_queue_transition(&rec->state, LQ_QEV_MERGE_FAILED, &err);
            lq_wctx_persist(w, rec);
            char summary[200];
            snprintf(summary, sizeof summary, "GitHub failed to merge %d times; will retry on "
                     "the next change", rec->merge_attempts);
            char *reasons[] = {summary};
            lq_wctx_audit(w, rec, "blocked", summary, reasons, 1, NULL);
            lq_feedback_status(w, rec, rec->merge_sha, "failure", summary);
            set_out(o, LQ_LANDING_NOT_READY, NULL, summary);
            return 0;
        }
    }
    if (frozen_now(w, rec)) { /* re-checked right before the merge */
        set_out(o, LQ_LANDING_NOT_READY, NULL, "the branch is frozen");
        return 0;
    }
    lq_plan plan;
    char why[400];
    int held = plan_holds(w, rec, &plan, why, sizeof why);
    if (held) {
        if (held > 0) {
            plan_broken(w, rec, why);
            set_out(o, LQ_LANDING_NOT_READY, NULL, why);
        } else {
            w->retry_after_ms = lq_store_now_ms() + 2000;
        }
        return 0;
    }
    /* The caller's check on the tip the merge will land on (predictive: the tip is still the
     * candidate's parent chain). Nothing was sent: the pull request is looked at again. */
    if (chk && chk->before && chk->before(chk->ctx, rec, plan.base_sha, why, sizeof why)) {
        lq_plan_dispose(&plan);
        if (rec->state == LQ_PR_MERGING)
            lq_queue_transition(&rec->state, LQ_QEV_HEAD_MOVED, &err);
        rec->dirty = 1;
        lq_wctx_persist(w, rec);
        set_out(o, LQ_LANDING_CHECK_FAILED, NULL, why);
        return 0;
    }
    /* The plan holds: merge exactly it. landq's own status turns success on this head for the
     * instant of the merge (a branch protection requiring `landq` lets it through) and back to
     * pending if the merge does not happen. */
    lq_pr_record_set(&rec->merge_title, plan.title);
    lq_pr_record_set(&rec->merge_message, plan.message);
    rec->merge_attempts++;
    if (lq_wctx_persist(w, rec)) { /* recorded before the side effect */
        lq_plan_dispose(&plan);
        return 0;
    }
    if (lq_wlease_confirm(w)) { /* still this branch's lease holder, a full TTL ahead */
        lq_plan_dispose(&plan);
        return 0;
    }
    char desc[140];
    snprintf(desc, sizeof desc, "landing on %.100s now", plan.base_ref);
    lq_feedback_status(w, rec, rec->merge_sha, "success", desc);
    lq_gh_merge_req req = {.sha = plan.head_sha, .title = plan.title,
                           .message = plan.message, .method = "squash"};
    lq_gh_merge_result r;
    int rc = lq_gh_merge(&w->gh, &r, rec->repo, rec->number, &req, &err);
    if (rc && rc != LQ_ETRANSIENT) {
        lq_plan_dispose(&plan);
        status_not_merged(w, rec, "landq is stopping");
        return 0; /* stopped or out of memory: nothing was decided; the next round re-reads */
    }
    const char *ghmsg = r.message;
    lq_queue_event ev = lq_queue_merge_outcome(rc == LQ_ETRANSIENT ? 0 : r.http, r.merged);
    if (ev != LQ_QEV_MERGED && ev != LQ_QEV_REFUSED && ev != LQ_QEV_MERGE_FAILED)
        status_not_merged(w, rec, ev == LQ_QEV_HEAD_MOVED ? "the head moved"
                                                          : "merge outcome unknown");
    if (ev == LQ_QEV_MERGED)
        merged(w, rec, plan.base_ref, plan.base_sha, r.sha, chk, o);
    lq_plan_dispose(&plan);
    switch (ev) {
    case LQ_QEV_MERGED:
        return o->result == LQ_LANDING_LANDED;
    case LQ_QEV_HEAD_MOVED: {
        lq_queue_transition(&rec->state, LQ_QEV_HEAD_MOVED, &err);
        rec->dirty = 1;
        lq_wctx_persist(w, rec);
        char summary[400];
        snprintf(summary, sizeof summary, "head moved before the merge (409: %s); "
                 "re-evaluating the new head", ghmsg);
        char *reasons[] = {summary};
        lq_wctx_audit(w, rec, "head-moved", summary, reasons, 1, NULL);
        set_out(o, LQ_LANDING_NOT_READY, NULL, summary);
        return 0;
    }
    case LQ_QEV_REFUSED: {
        /* An earlier attempt (a previous lease holder's, or ours before a crash) may have been
         * merged after we re-read it: GitHub then refuses this one because it is merged. */
        char commit[LQ_GH_SHA_MAX], head[LQ_GH_SHA_MAX];
        if (rec->merge_attempts > 1 &&
            check_merged(w, rec, commit, sizeof commit, head, sizeof head) == MERGED_YES) {
            merged(w, rec, rec->base, NULL, commit, chk, o);
            return o->result == LQ_LANDING_LANDED;
        }
        merge_refused(w, rec, r.http, ghmsg);
        set_out(o, LQ_LANDING_REFUSED, NULL, ghmsg);
        return 0;
    }
    case LQ_QEV_MERGE_UNKNOWN:
        /* Unknown outcome: stay MERGING; the next attempt re-reads the pull request first. */
        lq_queue_transition(&rec->state, LQ_QEV_MERGE_UNKNOWN, &err);
        lq_wctx_persist(w, rec);
        LQ_WARN("landing", "msg=\"merge outcome unknown; will re-read before retrying\" repo=%s "
                "pr=%d status=%ld attempt=%d", rec->repo, rec->number, r.http,
                rec->merge_attempts);
        w->retry_after_ms = lq_store_now_ms() + 1000L * rec->merge_attempts;
        return 0;
    default: {
        lq_queue_transition(&rec->state, LQ_QEV_MERGE_FAILED, &err);
        lq_wctx_persist(w, rec);
        char summary[400];
        snprintf(summary, sizeof summary, "GitHub did not merge (%ld): %s", r.http,
                 *ghmsg ? ghmsg : "no reason given");
        char *reasons[] = {summary};
        lq_wctx_audit(w, rec, "blocked", summary, reasons, 1, NULL);
        lq_feedback_status(w, rec, rec->merge_sha, "failure", summary);
        set_out(o, LQ_LANDING_NOT_READY, NULL, summary);
        return 0;
    }
    }
}

int lq_landing_land(lq_worker *w, lq_pr_record *rec, const lq_landing_checks *chk,
                    lq_landing_out *out)
{
    return land(w, rec, chk, out);
}

/* Branches that landed something in this round, for the early warning. */
typedef struct landed_branch {
    char repo[LQ_GH_REPO_MAX];
    char base[LQ_GH_REF_MAX];
    int number; /* the one that landed; 0 when several did */
} landed_branch;

static void note_landed(landed_branch *lb, size_t *n, size_t cap, const lq_pr_record *rec)
{
    for (size_t i = 0; i < *n; i++)
        if (!strcasecmp(lb[i].repo, rec->repo) && !strcmp(lb[i].base, rec->base)) {
            lb[i].number = 0;
            return;
        }
    if (*n == cap)
        return; /* a very busy round: the next landing there warns */
    snprintf(lb[*n].repo, sizeof lb[*n].repo, "%s", rec->repo);
    snprintf(lb[*n].base, sizeof lb[*n].base, "%s", rec->base);
    lb[*n].number = rec->number;
    (*n)++;
}

int lq_landing_round(lq_worker *w)
{
    int landed_any = 0;
    /* The early warning (every queued pull request merged onto the new tip in the mirror) costs
     * a fetch and one merge per queued pull request: it runs once when the round stops landing,
     * not between two landings. The next pull request's own turn needs no warning: GitHub's
     * mergeability, and the conflict report when it is false, tell it. */
    landed_branch lb[8];
    size_t nlb = 0;
    for (int round = 0; round < 64 && !lq_wctx_stopping(w); round++) {
        lq_pr_record *recs = NULL;
        size_t n = 0;
        lq_error err = {0};
        if (lq_store_list(w->store, LQ_STORE_QUEUED, &recs, &n, &err))
            return landed_any;
        if (w->cfg.predictive) { /* the trains decide what lands (io/predictive.h) */
            int progressed = lq_predictive_round(w, recs, n);
            lq_store_list_free(recs, n);
            landed_any |= progressed;
            if (!progressed)
                break;
            continue;
        }
        lq_queue_entry *q = calloc(n + 1, sizeof(*q));
        for (size_t i = 0; q && i < n; i++)
            q[i] = (lq_queue_entry){recs[i].repo, recs[i].base, recs[i].number,
                                    recs[i].labeled_at_ms, recs[i].state,
                                    recs[i].priority};
        int progressed = 0;
        for (size_t i = 0; q && i < n && !lq_wctx_stopping(w); i++) {
            /* First entry of each branch in the list stands for the branch. */
            int seen = 0;
            for (size_t k = 0; k < i && !seen; k++)
                seen = !strcasecmp(recs[k].repo, recs[i].repo) &&
                       !strcmp(recs[k].base, recs[i].base);
            if (seen)
                continue;
            /* only the holder of the branch's lease lands there (worker_lease.c) */
            if (!lq_wlease_enter(w, recs[i].repo, recs[i].base))
                continue;
            long idx = lq_queue_next(q, n, recs[i].repo, recs[i].base);
            /* A dirty READY entry is re-evaluated before it may land; a MERGING one is always
             * resolved first (no verdict is applied while a merge may be in flight). */
            lq_landing_out o;
            if (idx >= 0 && !(recs[idx].state == LQ_PR_READY && recs[idx].dirty) &&
                land(w, &recs[idx], NULL, &o)) {
                landed_any = progressed = 1;
                note_landed(lb, &nlb, sizeof lb / sizeof lb[0], &recs[idx]);
            }
            lq_wlease_leave(w);
        }
        free(q);
        lq_store_list_free(recs, n);
        if (!progressed)
            break;
    }
    for (size_t i = 0; i < nlb && !lq_wctx_stopping(w); i++)
        if (lq_wlease_enter(w, lb[i].repo, lb[i].base)) {
            lq_conflict_watch_after_landing(w, lb[i].repo, lb[i].base, lb[i].number);
            lq_wlease_leave(w);
        }
    return landed_any;
}

