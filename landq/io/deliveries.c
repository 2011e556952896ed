/* deliveries.c -- webhook deliveries from the inbox applied to the queue records. */
#include "deliveries.h"
#include "predictive.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "event.h"
#include "queue.h"

static int record_for(lq_worker *w, const char *repo, int number, lq_pr_record *rec,
                      int create, int *found)
{
    lq_error err = {0};
    int rc = lq_store_get(w->store, repo, number, rec, &err);
    *found = rc == LQ_OK;
    if (rc == LQ_ENOTFOUND && create) {
        memset(rec, 0, sizeof(*rec));
        snprintf(rec->repo, sizeof rec->repo, "%s", repo);
        rec->number = number;
        return LQ_OK;
    }
    return rc;
}

/* A pull request event or review: the record is marked for a fresh look (created when the
 * label arrives or is on the pull request). The payload only says which pull request; the
 * decision re-reads everything. */
static int touch_pr(lq_worker *w, const lq_event *e, const lq_delivery *d, int labeled_now)
{
    int in_payload = lq_event_has_label(e, w->label);
    lq_pr_record rec;
    int found = 0;
    int rc = record_for(w, e->repo, e->number, &rec, labeled_now || in_payload, &found);
    if (rc == LQ_ENOTFOUND)
        return LQ_OK; /* not ours */
    if (rc)
        return rc;
    if (labeled_now && rec.state != LQ_PR_MERGING) {
        /* Who labeled it is never taken from the payload (its sender may be a replayed or
         * reordered delivery): the evaluation reads the issue events. */
        rec.labeler[0] = '\0';
        rec.labeled_at_ms = d->received_ms;
    } else if (!found) {
        rec.labeled_at_ms = 0; /* unknown: the label's own time (issue events) orders it */
    }
    if (e->head_sha[0] && rec.state != LQ_PR_MERGING)
        snprintf(rec.head_sha, sizeof rec.head_sha, "%.63s", e->head_sha);
    if (e->base_ref[0] && !rec.base[0])
        snprintf(rec.base, sizeof rec.base, "%s", e->base_ref);
    rec.dirty = 1;
    rc = lq_wctx_persist(w, &rec);
    lq_pr_record_dispose(&rec);
    return rc;
}

static int mark_number(lq_worker *w, const char *repo, int number)
{
    lq_pr_record rec;
    int found = 0;
    int rc = record_for(w, repo, number, &rec, 0, &found);
    if (rc == LQ_ENOTFOUND)
        return LQ_OK;
    if (rc)
        return rc;
    if (lq_queue_is_queued(rec.state) && rec.state != LQ_PR_MERGING) {
        rec.dirty = 1;
        rc = lq_wctx_persist(w, &rec);
    }
    lq_pr_record_dispose(&rec);
    return rc;
}

static int handle_delivery(lq_worker *w, const lq_delivery *d)
{
    lq_event e;
    lq_error err = {0};
    if (lq_event_parse(&e, d->event, d->body, d->len, &err)) {
        if (err.code == LQ_ENOMEM)
            return LQ_ENOMEM; /* kept: retried next round */
        LQ_WARN("worker", "msg=\"delivery is not a JSON object; skipped\" delivery=%s", d->id);
        return LQ_OK;
    }
    int served = lq_facts_repo_served(&w->facts, e.repo);
    int rc = LQ_OK;
    if (served && e.kind == LQ_EVENT_PULL_REQUEST && e.number > 0) {
        int labeled_now = !strcmp(e.action, "labeled") && !strcasecmp(e.label, w->label);
        rc = touch_pr(w, &e, d, labeled_now);
    } else if (served && e.kind == LQ_EVENT_REVIEW && e.number > 0) {
        rc = touch_pr(w, &e, d, 0);
    } else if (served && e.kind == LQ_EVENT_STATUS && e.head_sha[0] &&
               strcmp(e.context, w->context)) {
        lq_predictive_poke(w); /* maybe about a candidate */
        rc = lq_store_mark_sha_dirty(w->store, e.repo, e.head_sha, NULL, NULL);
    } else if (served && e.kind == LQ_EVENT_CHECK) {
        lq_predictive_poke(w);
        if (e.head_sha[0])
            rc = lq_store_mark_sha_dirty(w->store, e.repo, e.head_sha, NULL, NULL);
        for (size_t i = 0; !rc && i < e.pull_count; i++)
            rc = mark_number(w, e.repo, e.pulls[i]);
    }
    /* One line per delivery: which pull request (or commit) it was about. */
    if (served)
        LQ_INFO("worker", "msg=delivery delivery=%s event=%s action=%s repo=%s pr=%d sha=%.12s",
                d->id, d->event, e.action[0] ? e.action : "-", e.repo[0] ? e.repo : "-",
                e.number, e.head_sha[0] ? e.head_sha : "-");
    else /* (an empty %s value would be written "": the two lines differ in their text) */
        LQ_INFO("worker", "msg=delivery delivery=%s event=%s action=%s repo=%s pr=%d sha=%.12s "
                "ignored=not-served", d->id, d->event, e.action[0] ? e.action : "-",
                e.repo[0] ? e.repo : "-", e.number, e.head_sha[0] ? e.head_sha : "-");
    lq_event_dispose(&e);
    return rc;
}

int lq_deliveries_drain(lq_worker *w, int max)
{
    int done = 0;
    while (done < max && !lq_wctx_stopping(w)) {
        lq_delivery d;
        memset(&d, 0, sizeof d);
        lq_error err = {0};
        int rc = lq_inbox_next(w->inbox, &d, &err);
        if (rc == LQ_ENOTFOUND)
            break;
        if (rc == LQ_EINVAL) {
            /* A corrupt row (seq and id filled, no body): skip it rather than retry it forever;
             * the reconciliation sweep covers whatever it was about. */
            LQ_ERR("worker", "msg=\"corrupt delivery skipped\" delivery=%s error=\"%s\"", d.id,
                 err.msg);
            if (lq_inbox_done(w->inbox, d.seq, &err))
                LQ_ERR("worker", "msg=\"cannot mark delivery done\" delivery=%s error=\"%s\"", d.id,
                     err.msg);
            lq_delivery_dispose(&d);
            continue;
        }
        if (rc) {
            LQ_ERR("worker", "msg=\"cannot read the inbox\" error=\"%s\"", err.msg);
            break;
        }
        rc = handle_delivery(w, &d);
        if (rc) {
            /* Keep the delivery: it is retried next round. */
            LQ_WARN("worker", "msg=\"delivery not applied; will retry\" delivery=%s event=%s", d.id,
                 d.event);
            lq_delivery_dispose(&d);
            break;
        }
        if (lq_inbox_done(w->inbox, d.seq, &err))
            LQ_ERR("worker", "msg=\"cannot mark delivery done\" delivery=%s error=\"%s\"", d.id,
                 err.msg);
        if (w->cfg.verbose)
            LQ_DEBUG("worker", "msg=\"delivery applied\" delivery=%s event=%s", d.id, d.event);
        lq_delivery_dispose(&d);
        done++;
    }
    return done;
}
