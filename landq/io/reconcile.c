/* reconcile.c -- periodic sweep: labeled open pull requests the store has not settled. */
#include "reconcile.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "isotime.h"
#include "queue.h"

int lq_reconcile_label_event(lq_github *gh, const char *repo, int number, const char *label,
                             char *login, size_t cap, int64_t *at_ms, lq_error *err)
{
    char path[512];
    snprintf(path, sizeof path, "/repos/%s/issues/%d/events?per_page=100", repo, number);
    json_t *events = NULL;
    login[0] = '\0';
    *at_ms = 0;
    int rc = lq_github_get_all(gh, &events, path, NULL, 10000, err);
    if (rc)
        return rc;
    size_t i;
    json_t *ev;
    json_array_foreach(events, i, ev)
    {
        const char *kind = json_string_value(json_object_get(ev, "event"));
        const char *name = json_string_value(json_object_get(json_object_get(ev, "label"), "name"));
        const char *actor = json_string_value(json_object_get(json_object_get(ev, "actor"), "login"));
        if (kind && !strcmp(kind, "labeled") && name && !strcasecmp(name, label) && actor) {
            snprintf(login, cap, "%s", actor);
            if (lq_isotime_parse(json_string_value(json_object_get(ev, "created_at")), at_ms))
                *at_ms = 0;
        }
    }
    json_decref(events);
    return LQ_OK;
}

/* Marks (repo, number) for evaluation: unknown or settled-but-labeled ones as newly labeled,
 * waiting ones (armed, blocked) for a re-read; ready, merging and landed ones are left alone.
 * Returns 1 when marked, 0 when left alone, <0 on a store error. */
static int mark(lq_github *gh, lq_store *st, const char *repo, int number, const char *label,
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
    if (lq_reconcile_label_event(gh, repo, number, label, rec.labeler, sizeof rec.labeler, &at,
                                 &lerr) != LQ_OK)
        rec.labeler[0] = '\0';
    rec.labeled_at_ms = at > 0 ? at : now_ms;
    rec.dirty = 1;
    rc = lq_store_put(st, &rec, err);
    lq_pr_record_dispose(&rec);
    return rc ? rc : 1;
}

static int sweep_repo(lq_github *gh, lq_store *st, const char *repo, const char *label,
                      int64_t now_ms, lq_reconcile_stats *stats, lq_error *err)
{
    char *el = lq_github_escape(label, 0);
    if (!el)
        return lq_error_set(err, LQ_ENOMEM, "out of memory");
    size_t n = strlen(repo) + strlen(el) + 80;
    char *next = malloc(n);
    if (next)
        snprintf(next, n, "/repos/%s/issues?labels=%s&state=open&per_page=100", repo, el);
    free(el);
    if (!next)
        return lq_error_set(err, LQ_ENOMEM, "out of memory");
    int rc = LQ_OK;
    for (int pages = 0; next && !rc && pages < 1000; pages++) {
        lq_gh_response r;
        rc = lq_github_request(gh, &r, "GET", next, NULL, err);
        free(next);
        next = NULL;
        if (!rc && r.status != 200)
            rc = lq_error_set(err, LQ_ERROR, "%s: listing labeled pull requests: GitHub "
                              "answered %ld", repo, r.status);
        else if (!rc && !json_is_array(r.json))
            rc = lq_error_set(err, LQ_ERROR, "%s: listing labeled pull requests: not a list",
                              repo);
        if (!rc) {
            stats->cached += r.from_cache != 0;
            size_t i;
            json_t *it;
            json_array_foreach(r.json, i, it)
            {
                /* The issues API lists issues too; pull requests carry "pull_request". */
                if (!json_is_object(json_object_get(it, "pull_request")))
                    continue;
                json_int_t num = json_integer_value(json_object_get(it, "number"));
                if (num <= 0 || num > 0x7fffffff)
                    continue;
                stats->listed++;
                int m = mark(gh, st, repo, (int)num, label, now_ms, err);
                if (m < 0) {
                    rc = m;
                    break;
                }
                stats->marked += (size_t)m;
            }
            if (!rc && r.next_url && !(next = strdup(r.next_url)))
                rc = lq_error_set(err, LQ_ENOMEM, "out of memory");
        }
        lq_gh_response_dispose(&r);
    }
    free(next);
    return rc;
}

int lq_reconcile_sweep(lq_github *gh, lq_store *st, const char *const *repos, size_t n,
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
