/* predictive_act.c -- mode = predictive: the train's actions on candidates (see
 * predictive.h): build one in the mirror and push it to its try branch, land a passed build with
 * the checks before and after the merge, eject a culprit; the feedback on the pull requests. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "candidate.h"
#include "conflict_watch.h"
#include "feedback.h"
#include "feedback_text.h"
#include "landing.h"
#include "lanes.h"
#include "md.h"
#include "metrics.h"
#include "predictive_int.h"
#include "queue.h"
#include "str.h"

#define BUILD_RETRY_MS 2000

/* ---------------------------------------------------------------- feedback */

/* The `landq` status on the pull request's head: where it is in its lane, its candidate. */
static void tell_position(lq_worker *w, struct lq_ptrain *p, int pr, const char *what)
{
    lq_pr_record rec;
    lq_error err = {0};
    if (lq_store_get(w->store, p->repo, pr, &rec, &err))
        return;
    const lq_train_entry *e = lq_train_entry_find(p->t, pr);
    if (e && rec.state == LQ_PR_READY && !strcmp(rec.merge_sha, e->head)) {
        size_t depth = 0, pos = lq_train_position(p->t, pr, &depth);
        char lane[200], desc[200];
        lq_train_lane_name(e, lane, sizeof lane);
        snprintf(desc, sizeof desc, "%s (lane %.40s, position %zu of %zu)", what, lane, pos,
                 depth);
        lq_feedback_status(w, &rec, rec.merge_sha, "pending", desc);
    }
    lq_pr_record_dispose(&rec);
}

/* The sticky comment while a candidate holding pr is under test. */
static void tell_testing(lq_worker *w, struct lq_ptrain *p, int pr, const lq_train_build *b)
{
    lq_pr_record rec;
    lq_error err = {0};
    if (lq_store_get(w->store, p->repo, pr, &rec, &err))
        return;
    const lq_train_entry *e = lq_train_entry_find(p->t, pr);
    if (e && rec.state == LQ_PR_READY) {
        size_t depth = 0, pos = lq_train_position(p->t, pr, &depth);
        char lane[200], c1[200], c2[400], c3[100];
        lq_train_lane_name(e, lane, sizeof lane);
        lq_sb sb = {0};
        lq_sb_addf(&sb, "%s\n**Testing** on top of %s and the pull requests ahead of it "
                   "(predictive mode).\n\n", LQ_FEEDBACK_MARKER,
                   lq_md_code_buf(c1, sizeof c1, p->base));
        lq_sb_addf(&sb, "- lane %s, position %zu of %zu\n", lq_md_code_buf(c1, sizeof c1, lane),
                   pos, depth);
        lq_sb_addf(&sb, "- candidate %s on %s\n", lq_md_code_buf(c3, sizeof c3, b->sha),
                   lq_md_code_buf(c2, sizeof c2, b->ref));
        lq_sb_adds(&sb, "- required checks on the candidate:");
        for (size_t k = 0; k < w->cfg.required_check_count; k++)
            lq_sb_addf(&sb, " %s", lq_md_code_buf(c1, sizeof c1, w->required[k]));
        lq_sb_adds(&sb, "\n\nIt lands when they pass; if they fail because of this pull "
                   "request, it leaves the queue with the failed checks.\n");
        char *text = lq_sb_take(&sb);
        if (text)
            lq_feedback_comment(w, &rec, text);
        free(text);
    }
    lq_pr_record_dispose(&rec);
}

/* A pull request the train ejected: out of the queue with the reason (failed checks and their
 * URLs, a conflict, a timeout). Already told when GitHub refused the merge. */
void lq_ptrain_eject(lq_worker *w, struct lq_ptrain *p, int pr)
{
    const lq_train_entry *e = lq_train_entry_find(p->t, pr);
    char reason[1024];
    snprintf(reason, sizeof reason, "%s", e && e->reason[0] ? e->reason : "ejected");
    lq_pr_record rec;
    lq_error err = {0};
    int rc = lq_store_get(w->store, p->repo, pr, &rec, &err);
    if (rc == LQ_OK && (rec.state == LQ_PR_READY || rec.state == LQ_PR_ARMED ||
                        rec.state == LQ_PR_BLOCKED)) {
        lq_queue_transition(&rec.state, LQ_QEV_EJECT, &err);
        lq_wctx_plan_forget(w, rec.repo, rec.number);
        if (lq_wctx_persist(w, &rec) == LQ_OK) {
            char summary[300];
            snprintf(summary, sizeof summary, "ejected from the predictive queue: %.250s",
                     reason);
            char *reasons[] = {reason};
            lq_wctx_audit(w, &rec, "ejected", summary, reasons, 1, NULL);
            LQ_INFO("predictive", "msg=ejected repo=%s pr=%d reason=\"%s\"", rec.repo, pr,
                    reason);
            lq_feedback_label_remove(w, &rec);
            char desc[140];
            snprintf(desc, sizeof desc, "ejected: %.120s", reason);
            lq_feedback_status(w, &rec, rec.merge_sha[0] ? rec.merge_sha : rec.head_sha,
                               "failure", desc);
            lq_sb sb = {0};
            char c1[300], c2[100];
            lq_sb_addf(&sb, "%s\n**Ejected** from the queue for %s (predictive mode: this pull "
                       "request was tested on top of the base and the pull requests ahead of "
                       "it):\n\n", LQ_FEEDBACK_MARKER, lq_md_code_buf(c1, sizeof c1, p->base));
            lq_md_fence(&sb, "text", reason);
            lq_sb_addf(&sb, "\nThe %s label was removed. Fix it and label it again.\n",
                       lq_md_code_buf(c2, sizeof c2, w->label));
            char *text = lq_sb_take(&sb);
            if (text)
                lq_feedback_comment(w, &rec, text);
            free(text);
        }
    }
    if (rc == LQ_OK)
        lq_pr_record_dispose(&rec);
    lq_train_forget(p->t, pr);
}

/* ---------------------------------------------------------------- building */

void lq_ptrain_build(lq_worker *w, struct lq_ptrain *p, const lq_train_action *a, int64_t now)
{
    const lq_train_build *b = a->build;
    uint32_t id = b->id;
    unsigned attempt = b->attempt;
    char ref[300], sha[41], parent[41];
    snprintf(ref, sizeof ref, "%s", b->ref);
    snprintf(sha, sizeof sha, "%s", b->sha);
    snprintf(parent, sizeof parent, "%s", a->parent_sha ? a->parent_sha : lq_train_tip(p->t));
    int prs[LQ_TRAIN_MAX_BATCH];
    size_t n = b->nprs;
    memcpy(prs, b->prs, n * sizeof prs[0]);
    lq_mirror *m = lq_conflict_watch_mirror(w, p->repo);
    lq_error err = {0};
    if (!m) {
        lq_train_build_error(p->t, id, now, 10 * BUILD_RETRY_MS);
        return;
    }
    if (attempt > 0 && sha[0]) { /* a re-run: the same candidate on a new branch */
        if (lq_candidate_push(m, ref, sha, &err) == LQ_OK) {
            lq_train_built(p->t, id, NULL, sha, NULL, now, &err);
            LQ_INFO("predictive", "msg=\"candidate re-run\" repo=%s branch=%s build=%u sha=%.12s "
                    "ref=%s attempt=%u", p->repo, p->base, id, sha, ref, attempt);
            lq_ptrain_persist(w, p);
            for (size_t i = 0; i < n; i++) {
                char what[120];
                snprintf(what, sizeof what, "re-running candidate %.12s (re-run %u: flaky?)",
                         sha, attempt);
                tell_position(w, p, prs[i], what);
            }
        } else {
            LQ_WARN("predictive", "msg=\"cannot push the candidate\" repo=%s ref=%s error=\"%s\"",
                    p->repo, ref, err.msg);
            lq_train_build_error(p->t, id, now, BUILD_RETRY_MS);
        }
        return;
    }
    const char *branches[] = {p->base};
    if (lq_mirror_fetch_branches(m, branches, 1, prs, n, NULL, &err)) {
        LQ_WARN("predictive", "msg=\"mirror fetch failed\" repo=%s error=\"%s\"", p->repo, err.msg);
        lq_train_build_error(p->t, id, now, BUILD_RETRY_MS);
        return;
    }
    lq_candidate_pr cp[LQ_TRAIN_MAX_BATCH];
    for (size_t i = 0; i < n; i++) {
        const lq_train_entry *e = lq_train_entry_find(p->t, prs[i]);
        const lq_plan *plan = lq_wctx_plan_find(w, p->repo, prs[i]);
        cp[i] = (lq_candidate_pr){prs[i], e ? e->head : "", plan ? plan->title : NULL};
    }
    lq_candidate_result res;
    int rc = lq_candidate_build(lq_mirror_repo(m), parent, p->base, cp, n, &res, &err);
    if (rc == LQ_ECONFLICT && res.conflict >= 0) {
        char msg[700];
        snprintf(msg, sizeof msg, "conflicting files: %s", res.conflict_paths);
        LQ_INFO("predictive", "msg=\"candidate conflicts\" repo=%s branch=%s pr=%d files=\"%s\"",
                p->repo, p->base, prs[res.conflict], res.conflict_paths);
        lq_train_build_conflict(p->t, id, prs[res.conflict], msg, now, &err);
        return;
    }
    if (rc == LQ_OK)
        rc = lq_candidate_push(m, ref, res.tip, &err);
    if (rc) {
        LQ_WARN("predictive", "msg=\"cannot build or push the candidate; will retry\" repo=%s "
                "branch=%s build=%u error=\"%s\"", p->repo, p->base, id, err.msg);
        lq_train_build_error(p->t, id, now, BUILD_RETRY_MS);
        return;
    }
    const char *cands[LQ_TRAIN_MAX_BATCH];
    for (size_t i = 0; i < n; i++)
        cands[i] = res.shas[i];
    if (lq_train_built(p->t, id, parent, res.tip, cands, now, &err)) {
        LQ_WARN("predictive", "msg=\"candidate built for a build that changed\" repo=%s "
                "build=%u error=\"%s\"", p->repo, id, err.msg);
        return;
    }
    { /* until a check reports: every required check is missing (the timeout names them) */
        lq_sb miss = {0};
        for (size_t k = 0; k < w->cfg.required_check_count; k++)
            lq_sb_addf(&miss, "%s%s not reported", k ? ", " : "", w->required[k]);
        lq_train_checks(p->t, id, res.tip, LQ_CHECKS_PENDING, miss.p ? miss.p : "", 0, now);
        lq_sb_dispose(&miss);
    }
    LQ_INFO("predictive", "msg=\"candidate pushed\" repo=%s branch=%s build=%u sha=%.12s "
            "parent=%.12s ref=%s prs=%zu", p->repo, p->base, id, res.tip, parent, ref, n);
    lq_ptrain_persist(w, p);
    const lq_train_build *nb = lq_train_build_find(p->t, id);
    for (size_t i = 0; nb && i < n; i++) {
        char what[120];
        snprintf(what, sizeof what, "testing candidate %.12s", res.shas[i]);
        tell_position(w, p, prs[i], what);
        tell_testing(w, p, prs[i], nb);
    }
}

/* ---------------------------------------------------------------- landing */

typedef struct land_ctx {
    lq_worker *w;
    struct lq_ptrain *p;
    char candidate[41];
    char expected[41]; /* the tree the landing must produce (set by before_merge) */
    lq_mirror *m;
} land_ctx;

static int lanes_on(const lq_worker *w)
{
    return w->cfg.lanes && lq_lanes_get_mode(w->cfg.lanes) != LQ_LANES_SINGLE;
}

static int known_landing(void *ctx, const char *sha)
{
    return lq_train_landed_by_us(((land_ctx *)ctx)->p->t, sha);
}

/* With lanes, other lanes' landings move the tip under a candidate: it still lands if every
 * commit between the tip and the commit its chain was built on was landed by landq (no foreign
 * push) and its change applies on the tip. expected = that three-way merge. 0, or 1 with why. */
static int moved_by_lanes(land_ctx *c, git_repository *repo, const char *base, const char *tip,
                          char *why, size_t cap)
{
    git_oid a, b, mb;
    lq_error err = {0};
    char root[41] = "";
    if (git_oid_fromstr(&a, c->candidate) == 0 && git_oid_fromstr(&b, tip) == 0 &&
        git_merge_base(&mb, repo, &a, &b) == 0)
        git_oid_tostr(root, sizeof root, &mb);
    int by = root[0] ? lq_candidate_moved_by(repo, tip, root, known_landing, c, &err) : 0;
    if (by != 1) {
        snprintf(why, cap, "the tip of %s (%.12s) moved under candidate %.12s %s", base, tip,
                 c->candidate, by < 0 ? err.msg : "through a commit landq did not land");
        return 1;
    }
    if (lq_candidate_expected_tree(repo, c->candidate, tip, c->expected, &err)) {
        c->expected[0] = '\0';
        snprintf(why, cap, "%.300s", err.msg);
        return 1;
    }
    return 0;
}

/* Right before the merge: the tip the merge lands on must have the tree the candidate was
 * built on (its parent: the tip it was built on, or the candidate ahead, landed with a verified
 * tree), or, with lanes, differ from it only by landq's landings in other lanes. Otherwise the
 * candidate is stale: rebuilt. */
static int before_merge(void *ctx, const lq_pr_record *rec, const char *tip, char *why,
                        size_t cap)
{
    land_ctx *c = ctx;
    lq_error err = {0};
    const char *branches[] = {rec->base};
    char ptree[41] = "", ttree[41] = "", parent[41] = "";
    git_commit *cm = NULL;
    git_oid oid;
    c->expected[0] = '\0';
    if (lq_mirror_fetch_branches(c->m, branches, 1, NULL, 0, NULL, &err)) {
        snprintf(why, cap, "cannot fetch %s to check the tip: %s", rec->base, err.msg);
        return 1;
    }
    git_repository *repo = lq_mirror_repo(c->m);
    if (git_oid_fromstr(&oid, c->candidate) == 0 && git_commit_lookup(&cm, repo, &oid) == 0 &&
        git_commit_parentcount(cm) == 1) {
        git_oid_tostr(parent, sizeof parent, git_commit_parent_id(cm, 0));
    }
    git_commit_free(cm);
    if (!parent[0] || lq_candidate_tree(repo, parent, ptree, &err) ||
        lq_candidate_tree(repo, tip, ttree, &err) ||
        lq_candidate_tree(repo, c->candidate, c->expected, &err)) {
        snprintf(why, cap, "cannot read the candidate %.12s or the tip %.12s: %s", c->candidate,
                 tip, err.msg);
        return 1;
    }
    if (strcmp(ptree, ttree)) {
        if (lanes_on(c->w))
            return moved_by_lanes(c, repo, rec->base, tip, why, cap);
        snprintf(why, cap, "the tip of %s (%.12s) is not what candidate %.12s was built on",
                 rec->base, tip, c->candidate);
        return 1;
    }
    return 0;
}

/* After the merge: the landed tree must be the tested tree (with lanes: the tested change on
 * the tip it landed on, as before_merge computed it). */
static int after_merge(void *ctx, const lq_pr_record *rec, const char *commit, char *what,
                       size_t cap)
{
    land_ctx *c = ctx;
    lq_error err = {0};
    char want[41] = "";
    lq_gh_commit gc;
    if (lq_gh_commit_get(&c->w->gh, &gc, rec->repo, commit, &err)) {
        LQ_WARN("predictive", "msg=\"cannot read the landed commit to compare trees\" repo=%s "
                "commit=%.12s error=\"%s\"", rec->repo, commit, err.msg);
        return 0; /* unverifiable now: logged, like the outcome check */
    }
    int rc = LQ_OK;
    if (c->expected[0]) {
        snprintf(want, sizeof want, "%s", c->expected);
    } else if (lanes_on(c->w) && gc.parent_count == 1) { /* a merge resumed after a restart */
        const char *branches[] = {rec->base};
        rc = lq_mirror_fetch_branches(c->m, branches, 1, NULL, 0, NULL, &err);
        if (!rc)
            rc = lq_candidate_expected_tree(lq_mirror_repo(c->m), c->candidate, gc.parents[0],
                                            want, &err);
    } else {
        rc = lq_candidate_tree(lq_mirror_repo(c->m), c->candidate, want, &err);
    }
    if (rc) {
        snprintf(what, cap, "cannot tell the tree candidate %.12s should have given: %.200s",
                 c->candidate, err.msg);
        lq_gh_commit_dispose(&gc);
        return 1;
    }
    int bad = strcmp(gc.tree, want) != 0;
    if (bad)
        snprintf(what, cap, "the landed commit %.12s has tree %.12s, but candidate %.12s (the "
                 "tested one) gives tree %.12s", commit, gc.tree, c->candidate, want);
    lq_gh_commit_dispose(&gc);
    if (bad) {
        char l[600];
        lq_metrics_add(c->w->cfg.metrics, "landq_tree_mismatch_total",
                       lq_metrics_label2(l, sizeof l, "repo", rec->repo, "branch", rec->base), 1);
    }
    return bad;
}

/* Lands the build's pull requests in order. */
void lq_ptrain_land(lq_worker *w, struct lq_ptrain *p, const lq_train_build *b, int64_t now)
{
    int prs[LQ_TRAIN_MAX_BATCH];
    size_t n = b->nprs;
    memcpy(prs, b->prs, n * sizeof prs[0]);
    lq_mirror *m = lq_conflict_watch_mirror(w, p->repo);
    for (size_t i = 0; i < n; i++) {
        const lq_train_entry *e = lq_train_entry_find(p->t, prs[i]);
        if (!e || e->state != LQ_ENTRY_LANDING)
            continue;
        lq_error err = {0};
        land_ctx c = {w, p, "", "", m};
        snprintf(c.candidate, sizeof c.candidate, "%s", e->candidate);
        lq_pr_record rec;
        if (!m || lq_store_get(w->store, p->repo, prs[i], &rec, &err)) {
            lq_train_land_failed(p->t, prs[i], LQ_LAND_TRANSIENT, "no mirror or record", NULL,
                                 now, &err);
            return;
        }
        if (rec.state != LQ_PR_READY && rec.state != LQ_PR_MERGING) {
            lq_train_land_failed(p->t, prs[i], LQ_LAND_NOT_READY, "not ready", NULL, now, &err);
            lq_pr_record_dispose(&rec);
            return;
        }
        lq_landing_checks chk = {before_merge, after_merge, &c};
        lq_landing_out o;
        lq_landing_land(w, &rec, &chk, &o);
        lq_pr_record_dispose(&rec);
        LQ_INFO("predictive", "msg=\"landing attempt\" repo=%s branch=%s pr=%d candidate=%.12s "
                "result=%d commit=%.12s note=\"%s\"", p->repo, p->base, prs[i], c.candidate,
                (int)o.result, o.landed, o.msg);
        switch (o.result) {
        case LQ_LANDING_LANDED:
            lq_train_landed(p->t, prs[i], o.landed, lq_store_now_ms(), &err);
            lq_train_forget(p->t, prs[i]);
            lq_ptrain_persist(w, p);
            continue;
        case LQ_LANDING_NOT_YET:
            lq_train_land_failed(p->t, prs[i], LQ_LAND_TRANSIENT, o.msg, NULL, now, &err);
            break;
        case LQ_LANDING_NOT_READY:
            lq_train_land_failed(p->t, prs[i], LQ_LAND_NOT_READY, o.msg, NULL, now, &err);
            break;
        case LQ_LANDING_REFUSED: /* told by the landing; the ejection is only the train's */
            lq_train_land_failed(p->t, prs[i], LQ_LAND_REFUSED, o.msg, NULL, now, &err);
            break;
        case LQ_LANDING_CHECK_FAILED:
            LQ_INFO("predictive", "msg=\"pre-land check failed: candidates rebuilt\" repo=%s "
                    "pr=%d why=\"%s\"", p->repo, prs[i], o.msg);
            lq_train_land_failed(p->t, prs[i], LQ_LAND_TIP_MOVED, o.msg, NULL, now, &err);
            break;
        case LQ_LANDING_INCIDENT:
            lq_train_land_failed(p->t, prs[i], LQ_LAND_MISMATCH, o.msg, o.landed, now, &err);
            lq_train_forget(p->t, prs[i]);
            break;
        }
        return;
    }
}
