/* predictive.c -- mode = predictive: the trains of the landing worker (see predictive.h): each
 * train kept and persisted, the queue followed, the tip and the candidates' checks read, the
 * round that carries out the train's actions (predictive_act.c builds, lands and ejects), the
 * metrics. */
#include "predictive.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "candidate.h"
#include "conflict_watch.h"
#include "lanes.h"
#include "metrics.h"
#include "predictive_int.h"
#include "policy.h"
#include "queue.h"
#include "str.h"

#define POLL_MS 5000      /* tip and checks re-read at least this often (lost webhooks) */
#define ACTIONS_MAX 32    /* train actions per branch per round */

/* ---------------------------------------------------------------- trains */

void lq_ptrain_persist(lq_worker *w, struct lq_ptrain *p)
{
    json_t *j = lq_train_to_json(p->t);
    char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    lq_error err = {0};
    if (!text || lq_store_train_put(w->store, p->repo, p->base, text, &err))
        LQ_ERR("predictive", "msg=\"cannot save the train\" repo=%s branch=%s error=\"%s\"",
               p->repo, p->base, text ? err.msg : "out of memory");
    free(text);
}

static struct lq_ptrain *train_find(lq_worker *w, const char *repo, const char *base)
{
    for (size_t i = 0; i < w->ntrains; i++)
        if (!strcasecmp(w->trains[i].repo, repo) && !strcmp(w->trains[i].base, base))
            return &w->trains[i];
    return NULL;
}

/* The train of (repo, base): in memory, else from the store (a restart), else a new one. */
static struct lq_ptrain *train_for(lq_worker *w, const char *repo, const char *base)
{
    struct lq_ptrain *p = train_find(w, repo, base);
    if (p)
        return p;
    lq_train *t = NULL;
    char *text = NULL;
    lq_error err = {0};
    int rc = lq_store_train_get(w->store, repo, base, &text, &err);
    if (rc == LQ_OK) {
        json_error_t je;
        json_t *j = json_loads(text, 0, &je);
        if (!j || lq_train_from_json(&t, j, &w->cfg.train, &err))
            LQ_ERR("predictive", "msg=\"stored train unreadable; starting a new one\" repo=%s "
                   "branch=%s error=\"%s\"", repo, base, j ? err.msg : je.text);
        else
            LQ_INFO("predictive", "msg=\"train resumed from the store\" repo=%s branch=%s "
                    "entries=%zu builds=%zu", repo, base, lq_train_entry_count(t),
                    lq_train_build_count(t));
        json_decref(j);
        free(text);
    } else if (rc != LQ_ENOTFOUND) {
        LQ_WARN("predictive", "msg=\"cannot read the train; will retry\" repo=%s branch=%s "
                "error=\"%s\"", repo, base, err.msg);
        return NULL;
    }
    if (!t && lq_train_new(&t, repo, base, &w->cfg.train, &err)) {
        LQ_ERR("predictive", "msg=\"cannot make a train\" repo=%s branch=%s error=\"%s\"", repo,
               base, err.msg);
        return NULL;
    }
    struct lq_ptrain *nt = realloc(w->trains, (w->ntrains + 1) * sizeof(*nt));
    if (!nt) {
        lq_train_free(t);
        return NULL;
    }
    w->trains = nt;
    p = &w->trains[w->ntrains++];
    memset(p, 0, sizeof(*p));
    snprintf(p->repo, sizeof p->repo, "%s", repo);
    snprintf(p->base, sizeof p->base, "%s", base);
    p->t = t;
    p->pokes_seen = w->ci_pokes;
    p->exported = *lq_train_stats(t); /* counted before the restart: not again */
    return p;
}

void lq_predictive_free(lq_worker *w)
{
    for (size_t i = 0; i < w->ntrains; i++)
        lq_train_free(w->trains[i].t);
    free(w->trains);
    w->trains = NULL;
    w->ntrains = 0;
}

void lq_predictive_poke(lq_worker *w)
{
    w->ci_pokes++;
}

/* ---------------------------------------------------------------- the queue -> the train */

static const lq_pr_record *rec_find(lq_pr_record *recs, size_t n, const char *repo, int number)
{
    for (size_t i = 0; i < n; i++)
        if (recs[i].number == number && !strcasecmp(recs[i].repo, repo))
            return &recs[i];
    return NULL;
}

static int rec_find_branch(const lq_pr_record *recs, size_t n, const char *repo,
                           const char *base)
{
    for (size_t i = 0; i < n; i++)
        if (!strcasecmp(recs[i].repo, repo) && !strcmp(recs[i].base, base))
            return 1;
    return 0;
}

static int entry_active(const lq_train_entry *e)
{
    return e->state == LQ_ENTRY_WAITING || e->state == LQ_ENTRY_BLOCKED ||
           e->state == LQ_ENTRY_IN_BUILD;
}

/* The lanes of a pull request joining the train (core/lanes.h): from its changed files (both
 * paths of a rename) and, with lanes = codeowners, the CODEOWNERS of the base commit its plan was
 * decided on. A pull request GitHub lists too many files of spans every lane (what it touches
 * is not known). LQ_OK, or a read's error (it joins at a later round). */
static int pr_lanes(lq_worker *w, const lq_pr_record *r, const lq_plan *plan, char ***names,
                    size_t *count, int *all, lq_error *err)
{
    const lq_lanes *l = w->cfg.lanes;
    *names = NULL;
    *count = 0;
    *all = 0;
    if (!l || lq_lanes_get_mode(l) == LQ_LANES_SINGLE) { /* one lane: nothing to read */
        char **one = calloc(1, sizeof *one);
        if (!one || !(one[0] = strdup("default"))) {
            free(one);
            return lq_error_set(err, LQ_ENOMEM, "out of memory");
        }
        *names = one;
        *count = 1;
        return LQ_OK;
    }
    const lq_codeowners *co = NULL;
    int rc = LQ_OK;
    if (lq_lanes_get_mode(l) == LQ_LANES_CODEOWNERS &&
        (rc = lq_facts_codeowners(&w->facts, r->repo, plan->base_sha, &co, err)))
        return rc;
    lq_gh_files files = {0};
    if ((rc = lq_gh_files_list(&w->gh, &files, r->repo, r->number, LQ_POLICY_MAX_FILES, err)))
        return rc;
    const char **paths = calloc(2 * files.count + 1, sizeof *paths);
    size_t np = 0;
    if (!paths) {
        rc = lq_error_set(err, LQ_ENOMEM, "out of memory");
    } else if (files.count >= LQ_POLICY_MAX_FILES) {
        *all = 1;
    } else {
        for (size_t i = 0; i < files.count; i++) {
            paths[np++] = files.items[i].path;
            if (files.items[i].previous_path)
                paths[np++] = files.items[i].previous_path;
        }
        rc = lq_lanes_of(l, co, paths, np, names, count, all, err);
    }
    free(paths);
    lq_gh_files_dispose(&files);
    return rc;
}

/* READY pull requests (with their plan) join, the others leave. Dirty records wait for their
 * evaluation. 1 when the train changed. */
static int follow_queue(lq_worker *w, struct lq_ptrain *p, lq_pr_record *recs, size_t n)
{
    int changed = 0;
    for (size_t i = 0; i < n; i++) {
        lq_pr_record *r = &recs[i];
        if (strcasecmp(r->repo, p->repo) || strcmp(r->base, p->base) || r->dirty)
            continue;
        const lq_train_entry *e = lq_train_entry_find(p->t, r->number);
        const lq_plan *plan = lq_wctx_plan_find(w, r->repo, r->number);
        if (r->state == LQ_PR_READY && plan && !strcmp(plan->head_sha, r->merge_sha)) {
            if (e && e->state != LQ_ENTRY_EJECTED && e->state != LQ_ENTRY_LANDED &&
                !strcmp(e->head, r->merge_sha))
                continue;
            lq_error err = {0};
            char **lanes = NULL;
            size_t nlanes = 0;
            int all = 0;
            if (pr_lanes(w, r, plan, &lanes, &nlanes, &all, &err)) {
                LQ_WARN("predictive", "msg=\"cannot tell the lanes; will retry\" repo=%s pr=%d "
                        "error=\"%s\"", r->repo, r->number, err.msg);
                if (e && entry_active(e)) { /* its old head must not stay in the train */
                    lq_train_remove(p->t, r->number, NULL);
                    changed = 1;
                }
                continue;
            }
            if (lq_train_add(p->t, r->number, r->merge_sha, (const char *const *)lanes, nlanes,
                             all, r->labeled_at_ms, &err)) {
                LQ_WARN("predictive", "msg=\"cannot add to the train\" repo=%s pr=%d "
                        "error=\"%s\"", r->repo, r->number, err.msg);
            } else {
                const lq_train_entry *ne = lq_train_entry_find(p->t, r->number);
                char lane[200] = "";
                if (ne)
                    lq_train_lane_name(ne, lane, sizeof lane);
                LQ_INFO("predictive", "msg=\"joined the train\" repo=%s branch=%s pr=%d "
                        "lane=%s", r->repo, r->base, r->number, lane);
                changed = 1;
            }
            lq_lanes_names_free(lanes, nlanes);
        } else if (e && entry_active(e) && r->state != LQ_PR_MERGING) {
            lq_train_remove(p->t, r->number, NULL);
            changed = 1;
        }
    }
    /* pull requests no longer queued at all (unlabeled, closed) */
    for (size_t i = lq_train_entry_count(p->t); i-- > 0;) {
        const lq_train_entry *e = lq_train_entry_at(p->t, i);
        if (entry_active(e) && !rec_find(recs, n, p->repo, e->pr)) {
            lq_train_remove(p->t, e->pr, NULL);
            changed = 1;
        }
    }
    return changed;
}

/* ---------------------------------------------------------------- the tip, the checks */

/* Reads the base tip; a commit landq did not land invalidates the candidates. 0 or < 0. */
static int read_tip(lq_worker *w, struct lq_ptrain *p)
{
    char tip[LQ_GH_SHA_MAX];
    lq_error err = {0};
    if (lq_gh_branch_sha(&w->gh, tip, p->repo, p->base, &err)) {
        LQ_WARN("predictive", "msg=\"cannot read the base tip\" repo=%s branch=%s error=\"%s\"",
                p->repo, p->base, err.msg);
        return -1;
    }
    const char *old = lq_train_tip(p->t);
    if (strcmp(old, tip)) {
        int foreign = old[0] && !lq_train_landed_by_us(p->t, tip);
        if (foreign)
            LQ_INFO("predictive", "msg=\"the base moved outside landq: candidates rebuilt\" "
                    "repo=%s branch=%s from=%.12s to=%.12s", p->repo, p->base, old, tip);
        lq_train_set_tip(p->t, tip, foreign);
    }
    return 0;
}

static const lq_gh_check *latest(const lq_gh_checks *c, const char *name, int64_t after)
{
    const lq_gh_check *best = NULL;
    for (size_t i = 0; i < c->count; i++)
        if (!strcmp(c->items[i].name, name) && c->items[i].id > after &&
            (!best || c->items[i].id > best->id))
            best = &c->items[i];
    return best;
}

/* The required checks on one candidate: pass when every one succeeded, fail when one failed
 * (summary: the failed checks and their URLs), else pending (summary: what is missing). Only
 * results with an id above min_id count (a re-run ignores the earlier attempt's). */
static lq_checks_verdict verdict_of(lq_worker *w, const lq_gh_checks *runs,
                                    const lq_gh_checks *sts, int64_t min_id, char *summary,
                                    size_t cap, int64_t *max_id)
{
    lq_sb failed = {0}, pending = {0};
    *max_id = min_id;
    for (size_t i = 0; i < runs->count; i++)
        if (runs->items[i].id > *max_id)
            *max_id = runs->items[i].id;
    for (size_t i = 0; i < sts->count; i++)
        if (sts->items[i].id > *max_id)
            *max_id = sts->items[i].id;
    for (size_t k = 0; k < w->cfg.required_check_count; k++) {
        const char *name = w->required[k];
        const lq_gh_check *r = latest(runs, name, min_id), *s = latest(sts, name, min_id);
        const char *bad = NULL, *url = NULL, *text = NULL;
        int done = 0;
        if (r && !strcmp(r->state, "completed")) {
            const char *c = r->conclusion ? r->conclusion : "";
            done = 1;
            if (strcmp(c, "success") && strcmp(c, "neutral"))
                bad = c[0] ? c : "no conclusion";
            url = r->url;
            text = r->description;
        } else if (!r && s && strcmp(s->state, "pending")) {
            done = 1;
            if (strcmp(s->state, "success"))
                bad = s->state;
            url = s->url;
            text = s->description;
        }
        if (bad) { /* plain text: shown in a code block and in the status description */
            lq_sb_addf(&failed, "%s%s: %s%s%.200s%s%s%s", failed.len ? "; " : "", name, bad,
                       text ? " (" : "", text ? text : "", text ? ")" : "", url ? " " : "",
                       url ? url : "");
        } else if (!done) {
            lq_sb_addf(&pending, "%s%s %s", pending.len ? ", " : "", name,
                       r || s ? "running" : "not reported");
        }
    }
    lq_checks_verdict v = failed.len ? LQ_CHECKS_FAIL : pending.len ? LQ_CHECKS_PENDING
                                                                    : LQ_CHECKS_PASS;
    snprintf(summary, cap, "%s", failed.len ? failed.p : pending.len ? pending.p : "");
    lq_sb_dispose(&failed);
    lq_sb_dispose(&pending);
    return v;
}

/* Reads the checks of every candidate under test and reports them to the train. */
static void read_checks(lq_worker *w, struct lq_ptrain *p, int64_t now)
{
    for (size_t i = 0; i < lq_train_build_count(p->t); i++) {
        const lq_train_build *b = lq_train_build_at(p->t, i);
        if (b->state != LQ_BUILD_TESTING || !b->sha[0])
            continue;
        uint32_t id = b->id;
        char sha[41];
        snprintf(sha, sizeof sha, "%s", b->sha);
        int64_t min_id = b->min_check_id;
        lq_gh_checks runs = {0}, sts = {0};
        lq_error err = {0};
        if (lq_gh_check_runs_list(&w->gh, &runs, p->repo, sha, &err) ||
            lq_gh_statuses_get(&w->gh, &sts, p->repo, sha, &err)) {
            LQ_WARN("predictive", "msg=\"cannot read the candidate's checks\" repo=%s sha=%.12s "
                    "error=\"%s\"", p->repo, sha, err.msg);
        } else {
            char summary[1024];
            int64_t max_id = 0;
            lq_checks_verdict v = verdict_of(w, &runs, &sts, min_id, summary, sizeof summary,
                                             &max_id);
            if (v != LQ_CHECKS_PENDING)
                LQ_INFO("predictive", "msg=\"candidate checked\" repo=%s branch=%s build=%u "
                        "sha=%.12s result=%s checks=\"%s\"", p->repo, p->base, id, sha,
                        v == LQ_CHECKS_PASS ? "pass" : "fail", summary);
            lq_train_checks(p->t, id, sha, v, summary, max_id, now);
        }
        lq_gh_checks_dispose(&runs);
        lq_gh_checks_dispose(&sts);
    }
}

/* ---------------------------------------------------------------- the round */

/* An incident froze the train; an operator's unfreeze (the store's freeze cleared) thaws it. */
static void follow_freeze(lq_worker *w, struct lq_ptrain *p)
{
    if (!lq_train_frozen(p->t, NULL))
        return;
    lq_freeze_row fz;
    lq_error err = {0};
    int rc = lq_store_freeze_get(w->store, p->repo, p->base, &fz, &err);
    if (rc == LQ_OK)
        free(fz.reason);
    else if (rc == LQ_ENOTFOUND) {
        LQ_INFO("predictive", "msg=\"branch unfrozen: the train resumes\" repo=%s branch=%s",
                p->repo, p->base);
        lq_train_unfreeze(p->t);
    }
}

static int branch_round(lq_worker *w, struct lq_ptrain *p, lq_pr_record *recs, size_t n)
{
    int64_t now = lq_store_now_ms();
    follow_freeze(w, p);
    int changed = follow_queue(w, p, recs, n);
    int due = changed || now >= p->next_poll_ms || p->pokes_seen != w->ci_pokes;
    if (due) {
        p->pokes_seen = w->ci_pokes;
        p->next_poll_ms = now + POLL_MS;
        if (read_tip(w, p) == 0)
            read_checks(w, p, now);
        changed = 1;
    }
    int progressed = 0;
    for (int k = 0; k < ACTIONS_MAX && !lq_wctx_stopping(w) && !lq_wctx_fenced(w); k++) {
        lq_train_action a;
        lq_train_next(p->t, lq_store_now_ms(), &a);
        if (a.kind == LQ_ACT_NONE)
            break;
        lq_ptrain_persist(w, p); /* the decision first, then its side effect */
        progressed = 1;
        if (a.kind == LQ_ACT_EJECT) {
            lq_ptrain_eject(w, p, a.pr);
        } else if (a.kind == LQ_ACT_DELETE) {
            char ref[300];
            snprintf(ref, sizeof ref, "%s", a.ref);
            lq_mirror *m = lq_conflict_watch_mirror(w, p->repo);
            lq_error err = {0};
            if (!m || lq_candidate_delete(m, ref, &err)) {
                LQ_WARN("predictive", "msg=\"cannot delete the try branch; will retry\" "
                        "repo=%s ref=%s error=\"%s\"", p->repo, ref, err.msg);
                break;
            }
            lq_train_ref_deleted(p->t, ref);
        } else if (a.kind == LQ_ACT_LAND) {
            lq_ptrain_land(w, p, a.build, lq_store_now_ms());
            if (lq_train_frozen(p->t, NULL)) {
                lq_ptrain_persist(w, p);
                break;
            }
        } else if (a.kind == LQ_ACT_BUILD) {
            if (!a.parent_sha && !due && read_tip(w, p) == 0) {
                due = 1; /* the real tip, fresh; the action may be stale now */
                continue;
            }
            lq_ptrain_build(w, p, &a, lq_store_now_ms());
        }
        changed = 1;
    }
    /* landed entries are done with (their feedback was given by the landing) */
    for (size_t i = lq_train_entry_count(p->t); i-- > 0;) {
        const lq_train_entry *e = lq_train_entry_at(p->t, i);
        if (e->state == LQ_ENTRY_LANDED) {
            lq_train_forget(p->t, e->pr);
            changed = 1;
        }
    }
    if (changed)
        lq_ptrain_persist(w, p);
    return progressed;
}

int lq_predictive_round(lq_worker *w, lq_pr_record *recs, size_t n)
{
    int progressed = 0;
    /* branches with queued pull requests, then trains with work left (try branches to delete) */
    for (size_t i = 0; i < n && !lq_wctx_stopping(w); i++) {
        int seen = 0;
        for (size_t k = 0; k < i && !seen; k++)
            seen = !strcasecmp(recs[k].repo, recs[i].repo) && !strcmp(recs[k].base, recs[i].base);
        if (seen || !recs[i].base[0] || !lq_wlease_enter(w, recs[i].repo, recs[i].base))
            continue;
        struct lq_ptrain *p = train_for(w, recs[i].repo, recs[i].base);
        if (p)
            progressed |= branch_round(w, p, recs, n);
        lq_wlease_leave(w);
    }
    for (size_t i = 0; i < w->ntrains && !lq_wctx_stopping(w); i++) {
        struct lq_ptrain *p = &w->trains[i];
        if (rec_find_branch(recs, n, p->repo, p->base) ||
            (!lq_train_entry_count(p->t) && !lq_train_build_count(p->t)))
            continue;
        if (!lq_wlease_enter(w, p->repo, p->base))
            continue;
        progressed |= branch_round(w, p, recs, n);
        lq_wlease_leave(w);
    }
    return progressed;
}

/* ---------------------------------------------------------------- metrics */

void lq_predictive_describe(lq_metrics *m)
{
    lq_metrics_describe(m, "landq_candidates_started_total", LQ_METRIC_COUNTER,
                        "Predictive mode: candidates pushed to a try branch (re-runs included).",
                        NULL, 0);
    lq_metrics_describe(m, "landq_candidates_passed_total", LQ_METRIC_COUNTER,
                        "Predictive mode: candidates whose required checks passed.", NULL, 0);
    lq_metrics_describe(m, "landq_candidates_failed_total", LQ_METRIC_COUNTER,
                        "Predictive mode: candidates whose required checks failed or timed out.",
                        NULL, 0);
    lq_metrics_describe(m, "landq_flake_retries_total", LQ_METRIC_COUNTER,
                        "Predictive mode: re-runs of failed candidates (retry_failed).", NULL, 0);
    lq_metrics_describe(m, "landq_flake_rescued_total", LQ_METRIC_COUNTER,
                        "Predictive mode: re-runs that passed.", NULL, 0);
    lq_metrics_describe(m, "landq_train_ejections_total", LQ_METRIC_COUNTER,
                        "Predictive mode: pull requests ejected by the train (culprits, "
                        "conflicts on the tip, timeouts).", NULL, 0);
    lq_metrics_describe(m, "landq_train_invalidations_total", LQ_METRIC_COUNTER,
                        "Predictive mode: candidates invalidated (a pull request ahead left, "
                        "the base moved).", NULL, 0);
    lq_metrics_describe(m, "landq_tree_mismatch_total", LQ_METRIC_COUNTER,
                        "Predictive mode: landings whose tree is not the tested candidate's "
                        "(incidents; must stay 0).", NULL, 0);
    lq_metrics_describe(m, "landq_lane_depth", LQ_METRIC_GAUGE,
                        "Predictive mode: pull requests in the train, per lane.", NULL, 0);
}

void lq_predictive_export(lq_worker *w)
{
    lq_metrics *m = w->cfg.metrics;
    if (!m || !w->cfg.predictive)
        return;
    lq_metrics_clear(m, "landq_lane_depth");
    for (size_t i = 0; i < w->ntrains; i++) {
        struct lq_ptrain *p = &w->trains[i];
        const lq_train_counters *c = lq_train_stats(p->t);
        char l[600];
        lq_metrics_label2(l, sizeof l, "repo", p->repo, "branch", p->base);
#define EXPORT(field, name)                                                                  \
    do {                                                                                     \
        if (c->field > p->exported.field)                                                    \
            lq_metrics_add(m, name, l, (double)(c->field - p->exported.field));              \
    } while (0)
        EXPORT(candidates_started, "landq_candidates_started_total");
        EXPORT(candidates_passed, "landq_candidates_passed_total");
        EXPORT(candidates_failed, "landq_candidates_failed_total");
        EXPORT(flake_retries, "landq_flake_retries_total");
        EXPORT(flake_rescued, "landq_flake_rescued_total");
        EXPORT(ejections, "landq_train_ejections_total");
        EXPORT(invalidations, "landq_train_invalidations_total");
#undef EXPORT
        p->exported = *c;
        for (size_t k = 0; k < lq_train_entry_count(p->t); k++) {
            const lq_train_entry *e = lq_train_entry_at(p->t, k);
            if (e->state == LQ_ENTRY_LANDED || e->state == LQ_ENTRY_EJECTED)
                continue;
            char lane[200], l3[900];
            lq_train_lane_name(e, lane, sizeof lane);
            snprintf(l3, sizeof l3, "%.500s,lane=\"%s\"", l, lane);
            lq_metrics_add(m, "landq_lane_depth", l3, 1);
        }
    }
}
