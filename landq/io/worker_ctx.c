/* worker_ctx.c -- helpers of the worker's shared context: persist, audit, stop. */
#include "worker_ctx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "metrics.h"

int lq_wctx_persist(lq_worker *w, lq_pr_record *rec)
{
    lq_error err = {0};
    if (w->fenced_out)
        return LQ_ECONFLICT;
    /* inside a branch: fenced by its lease (the database refuses a stale token) */
    const lq_lease *l = w->fence >= 0 ? lq_wlease_current(w) : NULL;
    int rc;
    if (w->fence >= 0 && !l)
        rc = lq_error_set(&err, LQ_ECONFLICT, "the lease of this branch is no longer held");
    else
        rc = l ? lq_store_put_fenced(w->store, rec, l, &err) : lq_store_put(w->store, rec, &err);
    if (rc == LQ_ECONFLICT) {
        lq_wlease_lost(w, err.msg);
        LQ_WARN("worker", "msg=\"queue state not saved: fenced out\" repo=%s pr=%d error=\"%s\"",
                rec->repo, rec->number, err.msg);
    } else if (rc) {
        LQ_ERR("worker", "msg=\"cannot save queue state\" repo=%s pr=%d error=\"%s\"", rec->repo,
               rec->number, err.msg);
    }
    return rc;
}

int lq_wctx_fenced(lq_worker *w)
{
    return w->fenced_out;
}

void lq_wctx_audit(lq_worker *w, const lq_pr_record *rec, const char *action,
                   const char *summary, char *const *reasons, size_t n, const char *commit)
{
    lq_error err = {0};
    if (w->fenced_out)
        return;
    const lq_lease *lease = w->fence >= 0 ? lq_wlease_current(w) : NULL;
    int rc;
    if (w->fence >= 0 && !lease)
        rc = lq_error_set(&err, LQ_ECONFLICT, "the lease of this branch is no longer held");
    else if (lease) /* the row records the token; refused when stale */
        rc = lq_store_audit_fenced(w->store, lease, rec->repo, rec->number, rec->head_sha,
                                   action, summary, (const char *const *)reasons, n, commit,
                                   &err);
    else
        rc = lq_store_audit(w->store, rec->repo, rec->number, rec->head_sha, action, summary,
                            (const char *const *)reasons, n, commit, &err);
    if (rc == LQ_ECONFLICT) {
        lq_wlease_lost(w, err.msg);
        LQ_WARN("worker", "msg=\"audit row not written: fenced out\" repo=%s pr=%d action=%s",
                rec->repo, rec->number, action);
        return;
    }
    if (rc)
        LQ_ERR("worker", "msg=\"cannot write audit row\" error=\"%s\"", err.msg);
    if (commit)
        LQ_INFO("worker", "msg=\"%s\" repo=%s pr=%d sha=%.12s summary=\"%s\" commit=%s", action,
                rec->repo, rec->number, rec->head_sha, summary ? summary : "", commit);
    else
        LQ_INFO("worker", "msg=\"%s\" repo=%s pr=%d sha=%.12s summary=\"%s\"", action, rec->repo,
                rec->number, rec->head_sha, summary ? summary : "");
    char l[128];
    lq_metrics_add(w->cfg.metrics, "landq_decisions_total",
                   lq_metrics_label(l, sizeof l, "action", action), 1);
    if (!strcmp(action, "eject") || !strcmp(action, "blocked") || !strcmp(action, "refused") ||
        !strcmp(action, "conflict"))
        lq_metrics_add(w->cfg.metrics, "landq_refusals_total",
                       lq_metrics_label(l, sizeof l, "reason", action), 1);
}

int lq_wctx_stopping(lq_worker *w)
{
    return atomic_load(&w->stop) || w->fenced_out;
}

int lq_wctx_nap(lq_worker *w, long ms)
{
    for (long t = 0; t < ms; t += 50) {
        if (lq_wctx_stopping(w))
            return -1;
        struct timespec ts = {0, 50 * 1000000L};
        nanosleep(&ts, NULL);
    }
    return 0;
}

void lq_wctx_short_sha(char out[13], const char *sha)
{
    snprintf(out, 13, "%.12s", sha ? sha : "");
}

static long plan_index(lq_worker *w, const char *repo, int number)
{
    for (size_t i = 0; i < w->plan_count; i++)
        if (w->plans[i].number == number && !strcasecmp(w->plans[i].repo, repo))
            return (long)i;
    return -1;
}

int lq_wctx_plan_keep(lq_worker *w, lq_plan *plan)
{
    long i = plan_index(w, plan->repo, plan->number);
    if (i >= 0) {
        lq_plan_dispose(&w->plans[i]);
    } else {
        lq_plan *n = realloc(w->plans, (w->plan_count + 1) * sizeof(*n));
        if (!n) {
            lq_plan_dispose(plan);
            return LQ_ENOMEM;
        }
        w->plans = n;
        i = (long)w->plan_count++;
    }
    w->plans[i] = *plan;
    memset(plan, 0, sizeof(*plan));
    return LQ_OK;
}

const lq_plan *lq_wctx_plan_find(lq_worker *w, const char *repo, int number)
{
    long i = plan_index(w, repo, number);
    return i >= 0 ? &w->plans[i] : NULL;
}

void lq_wctx_plan_forget(lq_worker *w, const char *repo, int number)
{
    long i = plan_index(w, repo, number);
    if (i < 0)
        return;
    lq_plan_dispose(&w->plans[i]);
    w->plans[i] = w->plans[--w->plan_count];
}

void lq_wctx_plans_free(lq_worker *w)
{
    for (size_t i = 0; i < w->plan_count; i++)
        lq_plan_dispose(&w->plans[i]);
    free(w->plans);
    w->plans = NULL;
    w->plan_count = 0;
}
