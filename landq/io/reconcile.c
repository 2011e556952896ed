/* reconcile.c -- periodic sweep: labeled open pull requests the store has not settled. */
#include "reconcile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "facts.h"
#include "queue.h"

/* Marks (repo, number) for evaluation: unknown or settled-but-labeled ones as newly labeled,
 * waiting ones (armed, blocked) for a re-read; ready, merging and landed ones are left alone.
 * Returns 1 when marked, 0 when left alone, <0 on a store error. */
static int mark(const lq_gh *gh, lq_store *st, const char *repo, int number, const char *label,
                int64_t now_ms, lq_error *err)
{
    lq_pr_record rec;
    int rc = lq_store_get(st, repo, number, &rec, err);
    if (rc == LQ_ENOTFOUND) {
        memset(&rec, 0, sizeof rec);
        snprintf(rec.repo, sizeof rec.repo, "%s", repo);
        rec.number = number;
    } else if (rc) {
        return rc;
    } else if (!rec.dirty && (rec.state == LQ_PR_ARMED || rec.state == LQ_PR_BLOCKED)) {
        /* Queued and waiting (for approvals, checks, a fix): re-read it, so a lost review or
         * status event costs one sweep. Its place in the queue is kept; the re-read is
         * conditional GETs, and status, comment and audit are only written when they change. */
        rec.dirty = 1;
        rc = lq_store_put(st, &rec, err);
        lq_pr_record_dispose(&rec);
        return rc ? rc : 1;
    } else if (rec.dirty || lq_queue_is_queued(rec.state) || rec.state == LQ_PR_LANDED) {
        lq_pr_record_dispose(&rec);
        return 0;
    }
    /* Labeled (again) while its webhook was lost: who labeled it and when come from the events
     * API, so it takes its place in label order among the others found now (the listing is
     * newest first). Without them (a failed lookup) it queues as of now; the worker looks the
     * labeler up again. */
    lq_error lerr;
    int64_t at = 0;
    if (lq_facts_label_event(gh, repo, number, label, rec.labeler, sizeof rec.labeler, &at,
                             NULL, &lerr) != LQ_OK)
        rec.labeler[0] = '\0';
    rec.labeled_at_ms = at > 0 ? at : now_ms;
    rec.dirty = 1;
    rc = lq_store_put(st, &rec, err);
    lq_pr_record_dispose(&rec);
    return rc ? rc : 1;
}

static int sweep_repo(const lq_gh *gh, lq_store *st, const char *repo, const char *label,
                      int64_t now_ms, lq_reconcile_stats *stats, lq_error *err)
{
    lq_gh_numbers list;
    int rc = lq_gh_labeled_pulls(gh, &list, repo, label, err);
    if (rc)
        return rc;
    stats->cached += list.cached_pages;
    for (size_t i = 0; i < list.count; i++) {
        stats->listed++;
        int m = mark(gh, st, repo, list.items[i], label, now_ms, err);
        if (m < 0) {
            rc = m;
            break;
        }
        stats->marked += (size_t)m;
    }
    lq_gh_numbers_dispose(&list);
    return rc;
}

int lq_reconcile_sweep(const lq_gh *gh, lq_store *st, const char *const *repos, size_t n,
                       const char *label, int64_t now_ms, lq_reconcile_stats *stats,
                       lq_error *err)
{
    lq_reconcile_stats local;
    if (!stats)
        stats = &local;
    memset(stats, 0, sizeof(*stats));
    int first = LQ_OK;
    for (size_t i = 0; i < n; i++) {
        lq_error e = {0};
        int rc = sweep_repo(gh, st, repos[i], label, now_ms, stats, &e);
        if (rc && first == LQ_OK) {
            first = rc;
            lq_error_set(err, rc, "%s", e.msg);
        }
    }
    return first;
}
