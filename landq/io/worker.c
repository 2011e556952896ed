/* worker.c -- the landing worker thread: inbox -> records -> evaluate -> land. */
#include "worker.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "dburl.h"
#include "deliveries.h"
#include "evaluate.h"
#include "landing.h"
#include "metrics.h"
#include "predictive.h"
#include "queue.h"
#include "reconcile.h"
#include "redeliver.h"
#include "str.h"
#include "worker_ctx.h"

#define DRAIN_BATCH 200 /* deliveries per round before looking at the queue */

static void gh_log(void *ctx, const char *method, const char *url, long status, long ms,
                   const char *note)
{
    lq_worker *w = ctx; /* landq_github_requests_total: counted by the client (.metrics) */
    if (w->cfg.verbose || status >= 500 || status == 0 || status == 401 || status == 403)
        LQ_LOG(status >= 500 || status == 0 || status == 401 || status == 403 ? LQ_LOG_WARN
                                                                       : LQ_LOG_DEBUG, "github",
               "msg=\"github request\" method=%s url=\"%s\" status=%ld ms=%ld note=%s", method,
               url, status, ms, note ? note : "-");
}

static int gh_should_stop(void *ctx)
{
    lq_worker *w = ctx;
    return lq_wctx_stopping(w);
}

/* Requests one evaluation may cost (pull request, files, reviews, events, statuses, checks and
 * a feedback write or two). */
#define EVAL_COST 8

/* Whether the GitHub budget left is too low to evaluate every dirty pull request before landing
 * any: then the head of the queue is worked first (issue 18: land the first pull request before
 * decorating the fiftieth), one ready verdict per step, and the landing round runs after it. */
static int budget_low(const lq_worker *w, size_t dirty)
{
    lq_gh_rate r;
    lq_gh_rate_get(&w->gh, &r);
    return r.remaining >= 0 && (size_t)r.remaining < dirty * EVAL_COST;
}

/* Evaluates the dirty pull requests in queue order. *cut: 1 when it stopped early (budget low,
 * a ready verdict to land first) with dirty ones left for the next step. */
static int evaluate_dirty(lq_worker *w, int *cut)
{
    *cut = 0;
    lq_pr_record *recs = NULL;
    size_t n = 0;
    lq_error err = {0};
    if (lq_store_list(w->store, LQ_STORE_DIRTY, &recs, &n, &err)) {
        LQ_ERR("worker", "msg=\"cannot list the queue\" error=\"%s\"", err.msg);
        return -1;
    }
    int failed = 0, done = 0;
    for (size_t i = 0; i < n && !lq_wctx_stopping(w); i++) {
        if (recs[i].state == LQ_PR_MERGING)
            continue;
        /* only the holder of the branch's lease evaluates its pull requests */
        if (!lq_wlease_enter(w, recs[i].repo, recs[i].base))
            continue;
        done++;
        if (recs[i].state == LQ_PR_LANDED) { /* crashed before the feedback was written */
            if (lq_landing_feedback(w, &recs[i]))
                failed = 1;
        } else if (lq_evaluate_pr(w, &recs[i])) {
            failed = 1;
        }
        lq_wlease_leave(w);
        if (i + 1 < n && recs[i].state == LQ_PR_READY && budget_low(w, n - i - 1)) {
            *cut = 1;
            break;
        }
    }
    lq_store_list_free(recs, n);
    return failed ? -1 : done;
}

/* Lost webhooks: at start-up and every reconcile_interval_s, labeled open pull requests the
 * store has not settled are marked dirty (io/reconcile.h). */
static void reconcile(lq_worker *w)
{
    int64_t now = lq_store_now_ms();
    if (w->cfg.reconcile_interval_s <= 0 || now < w->next_reconcile_ms)
        return;
    w->next_reconcile_ms = now + 1000LL * w->cfg.reconcile_interval_s;
    lq_reconcile_stats st;
    lq_error err = {0};
    int rc = lq_reconcile_sweep(&w->gh, w->store, (const char *const *)w->repos,
                                w->cfg.repo_count, w->label, now, &st, &err);
    if (rc)
        LQ_WARN("worker", "msg=\"reconcile sweep failed; next one as scheduled\" error=\"%s\"",
             err.msg);
    if (rc || st.marked || w->cfg.verbose)
        LQ_INFO("worker", "msg=\"reconcile sweep\" listed=%zu marked=%zu cached_pages=%zu", st.listed,
             st.marked, st.cached);
}

/* After downtime: failed deliveries of landq's webhooks, asked again once the listener is up
 * (3 days back, as far as GitHub keeps them); duplicates are dropped by the inbox. */
static void redeliver(lq_worker *w)
{
    if (w->redelivered || !atomic_load(&w->listening))
        return;
    w->redelivered = 1;
    for (size_t i = 0; w->redeliver && w->redeliver[i] && !lq_wctx_stopping(w); i++) {
        lq_redeliver_stats rs;
        lq_error re = {0};
        int rrc = lq_redeliver_failed(&w->gh, w->redeliver[i],
                                      lq_store_now_ms() / 1000 - 3 * 86400, 0, &rs, &re);
        if (rrc)
            LQ_WARN("worker", "msg=\"redelivery of failed webhook deliveries\" hook=%s seen=%zu "
                    "failed=%zu redelivered=%zu error=\"%s\"", w->redeliver[i], rs.seen,
                    rs.failed, rs.redelivered, re.msg);
        else
            LQ_INFO("worker", "msg=\"redelivery of failed webhook deliveries\" hook=%s seen=%zu "
                    "failed=%zu redelivered=%zu", w->redeliver[i], rs.seen, rs.failed,
                    rs.redelivered);
    }
}

/* /metrics gauges owned by the worker: queue depth per branch, GitHub rate limit budget and
 * 304s, at most once a second. */
static void export_gauges(lq_worker *w)
{
    int64_t now = lq_store_now_ms();
    if (!w->cfg.metrics || now < w->next_gauges_ms)
        return;
    w->next_gauges_ms = now + 1000;
    lq_pr_record *recs = NULL;
    size_t n = 0;
    lq_error err = {0};
    if (lq_store_list(w->store, LQ_STORE_QUEUED, &recs, &n, &err) == LQ_OK) {
        lq_metrics_clear(w->cfg.metrics, "landq_queue_depth");
        for (size_t i = 0; i < n; i++) {
            char l[600];
            lq_metrics_add(w->cfg.metrics, "landq_queue_depth",
                           lq_metrics_label2(l, sizeof l, "repo", recs[i].repo, "branch",
                                             recs[i].base[0] ? recs[i].base : "?"), 1);
        }
        lq_store_list_free(recs, n);
    }
    lq_predictive_export(w);
    lq_gh_rate r;
    lq_gh_rate_get(&w->gh, &r);
    if (r.remaining >= 0)
        lq_metrics_set(w->cfg.metrics, "landq_github_rate_limit_remaining", NULL,
                       (double)r.remaining);
    if (r.limit >= 0)
        lq_metrics_set(w->cfg.metrics, "landq_github_rate_limit", NULL, (double)r.limit);
    if (r.reset > 0)
        lq_metrics_set(w->cfg.metrics, "landq_github_rate_limit_reset_timestamp_seconds", NULL,
                       (double)r.reset);
}
/* Resume: look at every queued pull request again (webhooks may have been missed while landq
 * was down); merges in flight are resolved by the landing round re-reading them first. */
/* Whether another instance holds the live lease of rec's branch (several instances on one
 * database): it has been driving the branch and receiving its webhooks all along. */
static int driven_elsewhere(lq_worker *w, const lq_pr_record *rec)
{
    lq_lease l;
    lq_error err = {0};
    return lq_store_lease_get(w->store, rec->repo, rec->base, &l, &err) == LQ_OK &&
           l.holder[0] && strcmp(l.holder, w->holder) && l.ttl_left_ms > 0;
}

static void resume(lq_worker *w)
{
    lq_pr_record *recs = NULL;
    size_t n = 0;
    lq_error err = {0};
    if (lq_store_list(w->store, LQ_STORE_QUEUED, &recs, &n, &err) != LQ_OK)
        return;
    int shared = strcmp(lq_store_backend(w->store), "sqlite") != 0;
    for (size_t i = 0; i < n; i++) {
        /* an instance joining a running deployment does not make the lease holder evaluate the
         * whole queue again (each restart would cost GitHub requests per queued pull request) */
        if (shared && driven_elsewhere(w, &recs[i]))
            continue;
        if (recs[i].state == LQ_PR_MERGING) {
            if (!recs[i].merge_attempts)
                recs[i].merge_attempts = 1; /* outcome unknown: re-read before merging */
        } else {
            recs[i].dirty = 1;
        }
        lq_wctx_persist(w, &recs[i]);
    }
    lq_store_list_free(recs, n);
}

int lq_worker_step(lq_worker *w, int *failed)
{
    int work = lq_deliveries_drain(w, DRAIN_BATCH);
    if (failed)
        *failed = 0;
    if (lq_wctx_stopping(w))
        return work;
    redeliver(w);
    reconcile(w);
    export_gauges(w);
    lq_wlease_tick(w);
    int cut = 0;
    int ev = lq_store_now_ms() >= w->retry_after_ms ? evaluate_dirty(w, &cut) : 0;
    work += cut; /* dirty pull requests left: no idle wait before the next step */
    if (ev < 0) {
        w->retry_after_ms = lq_store_now_ms() + 2000;
        if (failed)
            *failed = 1;
    }
    if (!lq_wctx_stopping(w) && lq_store_now_ms() >= w->retry_after_ms) {
        int landed = lq_landing_round(w);
        work += landed;
        /* nothing lands now: the ready pull requests waiting behind get their feedback */
        if (!landed && !lq_wctx_stopping(w))
            work += (int)lq_evaluate_owed_due(w);
    }
    return work;
}

static void *run(void *arg)
{
    lq_worker *w = arg;
    LQ_INFO("worker", "msg=\"worker started\" repos=%zu label=%s", w->cfg.repo_count, w->label);
    resume(w);
    while (!lq_wctx_stopping(w)) {
        int failed = 0;
        int work = lq_worker_step(w, &failed);
        if (!work && !lq_wctx_stopping(w))
            lq_inbox_wait(w->inbox, failed ? 2000 : 1000);
    }
    lq_wlease_release_all(w); /* the next instance need not wait for the TTL */
    LQ_INFO("worker", "msg=\"worker stopped\"");
    return NULL;
}

/* ---------------------------------------------------------------- lifecycle */

static char **dup_list(const char *const *src, size_t n)
{
    char **l = calloc(n + 1, sizeof(*l));
    for (size_t i = 0; l && i < n; i++)
        if (!(l[i] = lq_strdup(src[i]))) {
            for (size_t k = 0; k < i; k++)
                free(l[k]);
            free(l);
            return NULL;
        }
    return l;
}

static void free_list(char **l)
{
    for (size_t i = 0; l && l[i]; i++)
        free(l[i]);
    free(l);
}

static void worker_free(lq_worker *w)
{
    if (w->store && !w->started)
        lq_wlease_release_all(w);
    free(w->branches);
    lq_github_free(w->client);
    lq_store_close(w->store);
    lq_facts_cache_free(w->cache);
    lq_wctx_plans_free(w);
    lq_owed_dispose(&w->owed);
    lq_predictive_free(w);
    free_list(w->repos);
    free_list(w->required);
    free_list(w->redeliver);
    free(w->db_path);
    free(w->api_url);
    lq_wipe_free(w->token);
    free(w->label);
    free(w->context);
    free(w->priority_label);
    for (size_t i = 0; w->mirrors && i < w->cfg.repo_count; i++)
        lq_mirror_free(w->mirrors[i]);
    free(w->mirrors);
    free(w->mirror_opened_ms);
    free(w->mirror_dir);
    free(w);
}

static void describe_metrics(lq_metrics *m)
{
    lq_predictive_describe(m);
    static const double to_land[] = {10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600, 86400};
    lq_metrics_describe(m, "landq_landings_total", LQ_METRIC_COUNTER,
                        "Pull requests landed by landq.", NULL, 0);
    lq_metrics_describe(m, "landq_refusals_total", LQ_METRIC_COUNTER, "Pull requests "
                        "refused (eject, blocked, refused by GitHub, conflict), by reason.",
                        NULL, 0);
    lq_metrics_describe(m, "landq_decisions_total", LQ_METRIC_COUNTER,
                        "Decisions recorded in the audit log, by action.", NULL, 0);
    lq_metrics_describe(m, "landq_label_to_landing_seconds", LQ_METRIC_HISTOGRAM,
                        "Time from the land label to the landing.", to_land,
                        sizeof to_land / sizeof to_land[0]);
    lq_metrics_describe(m, "landq_leases_held", LQ_METRIC_GAUGE,
                        "Branch leases this instance holds (it drives landings there).", NULL,
                        0);
    lq_metrics_describe(m, "landq_lease_failovers_total", LQ_METRIC_COUNTER,
                        "Branch leases this instance took over from another instance whose "
                        "lease had expired.", NULL, 0);
    lq_metrics_describe(m, "landq_safety_violations_total", LQ_METRIC_COUNTER,
                        "Merges that did not go where landq decided (incidents: the branch "
                        "halts until an operator unfreezes it).", NULL, 0);
    lq_metrics_describe(m, "landq_queue_depth", LQ_METRIC_GAUGE,
                        "Queued pull requests (armed, ready, merging, blocked) per branch.",
                        NULL, 0);
    /* requests, 304s and retries are described and counted by the GitHub client */
    lq_metrics_describe(m, "landq_github_rate_limit_remaining", LQ_METRIC_GAUGE,
                        "x-ratelimit-remaining of the last GitHub answer.", NULL, 0);
    lq_metrics_describe(m, "landq_github_rate_limit", LQ_METRIC_GAUGE,
                        "x-ratelimit-limit of the last GitHub answer.", NULL, 0);
    lq_metrics_describe(m, "landq_github_rate_limit_reset_timestamp_seconds", LQ_METRIC_GAUGE,
                        "x-ratelimit-reset of the last GitHub answer (Unix time).", NULL, 0);
}

/* Everything but the thread. gh NULL: the REST layer on a client of its own. */
static int worker_new(lq_worker **out, const lq_worker_config *cfg, const lq_gh *gh,
                      lq_error *err)
{
    *out = NULL;
    lq_worker *w = calloc(1, sizeof(*w));
    if (!w)
        return lq_error_set(err, LQ_ENOMEM, "out of memory");
    w->cfg = *cfg;
    w->inbox = cfg->inbox;
    w->repos = dup_list(cfg->repos, cfg->repo_count);
    w->required = dup_list(cfg->required_checks, cfg->required_check_count);
    w->redeliver = dup_list(cfg->redeliver_hooks, cfg->redeliver_hook_count);
    w->db_path = lq_strdup(cfg->db_path);
    w->api_url = lq_strdup(cfg->api_url ? cfg->api_url : "");
    w->token = lq_strdup(cfg->token ? cfg->token : "");
    w->label = lq_strdup(cfg->label ? cfg->label : "land");
    w->context = lq_strdup(cfg->status_context ? cfg->status_context : "landq");
    w->priority_label = lq_strdup(cfg->priority_label); /* NULL stays NULL */
    if (cfg->self_login)
        snprintf(w->self_login, sizeof w->self_login, "%s", cfg->self_login);
    atomic_init(&w->stop, 0);
    atomic_init(&w->listening, 0);
    atomic_init(&w->leases_held, 0);
    atomic_init(&w->db_ok, 1);
    lq_wlease_init(w, cfg->lease_ttl_ms, cfg->lease_renew_ms);
    if (!gh) { /* conflict analysis needs a git remote: only against a real GitHub */
        w->mirrors = calloc(cfg->repo_count + 1, sizeof(*w->mirrors));
        w->mirror_opened_ms = calloc(cfg->repo_count + 1, sizeof(*w->mirror_opened_ms));
    }
    if (cfg->mirror_dir && *cfg->mirror_dir) {
        w->mirror_dir = lq_strdup(cfg->mirror_dir);
    } else if (w->db_path) { /* default: beside the database */
        const char *slash = strrchr(w->db_path, '/');
        size_t dl = slash ? (size_t)(slash - w->db_path) : 1;
        if ((w->mirror_dir = malloc(dl + 9)))
            snprintf(w->mirror_dir, dl + 9, "%.*s/mirrors", (int)dl,
                     slash ? (slash == w->db_path ? "/" : w->db_path) : ".");
    }
    if (!w->repos || !w->required || !w->redeliver || !w->db_path || !w->api_url || !w->token ||
        !w->label || !w->context || (!gh && (!w->mirrors || !w->mirror_opened_ms)) ||
        !w->mirror_dir || (cfg->priority_label && !w->priority_label)) {
        worker_free(w);
        return lq_error_set(err, LQ_ENOMEM, "out of memory");
    }
    /* writes ride the inbox's group commit: a webhook burst must not starve landing */
    int rc = lq_store_open(&w->store, w->db_path, w->inbox, err);
    if (!rc && gh) {
        w->gh = *gh;
    } else if (!rc) {
        lq_github_config gc = {
            .api_url = w->api_url, .token = w->token, .user_agent = "landq/0.1 (+land queue)",
            .should_stop = gh_should_stop, .stop_ctx = w, .log = gh_log, .log_ctx = w,
            .token_cb = cfg->token_cb, .token_ctx = cfg->token_ctx, .metrics = cfg->metrics};
        /* Several instances: landq stops waiting for a request (the merge above all) before the
         * lease it was confirmed under can pass to another instance (worker_lease.c). */
        if (lq_dburl_kind(w->db_path) == LQ_DB_POSTGRESQL) {
            int64_t t = w->lease_ttl_ms - w->lease_renew_ms;
            gc.timeout_ms = (long)(t > 30000 ? 30000 : t < 2000 ? 2000 : t);
        }
        rc = lq_github_new(&w->client, &gc, err);
        if (!rc)
            lq_gh_rest_init(&w->gh, w->client);
    }
    if (!rc)
        rc = lq_facts_cache_new(&w->cache, err);
    if (rc) {
        worker_free(w);
        return rc;
    }
    w->facts = (lq_facts_src){.gh = &w->gh, .cache = w->cache,
                              .repos = (const char *const *)w->repos,
                              .repo_count = cfg->repo_count, .label = w->label,
                              .context = w->context,
                              .required = (const char *const *)w->required,
                              .required_count = cfg->required_check_count,
                              .priority_label = w->priority_label,
                              .priority_min_rank = lq_config_permission_rank(
                                  cfg->priority_min_permission ? cfg->priority_min_permission
                                                               : "maintain")};
    if (cfg->metrics) {
        describe_metrics(cfg->metrics);
        lq_metrics_set(cfg->metrics, "landq_leases_held", NULL, 0);
    }
    LQ_INFO("worker", "msg=\"instance id\" holder=%s lease_ttl_ms=%lld lease_renew_ms=%lld",
            w->holder, (long long)w->lease_ttl_ms, (long long)w->lease_renew_ms);
    *out = w;
    return LQ_OK;
}

int lq_worker_start(lq_worker **out, const lq_worker_config *cfg, lq_error *err)
{
    lq_worker *w = NULL;
    int rc = worker_new(&w, cfg, NULL, err);
    if (rc)
        return rc;
    if (pthread_create(&w->thread, NULL, run, w)) {
        worker_free(w);
        return lq_error_set(err, LQ_ERROR, "cannot start the worker thread");
    }
    w->started = 1;
    *out = w;
    return LQ_OK;
}

int lq_worker_open(lq_worker **out, const lq_worker_config *cfg, const lq_gh *gh,
                   lq_error *err)
{
    int rc = worker_new(out, cfg, gh, err);
    if (!rc)
        resume(*out);
    return rc;
}

int lq_worker_leases_held(lq_worker *w, int *db_ok)
{
    if (db_ok)
        *db_ok = w ? atomic_load(&w->db_ok) : 0;
    return w ? atomic_load(&w->leases_held) : 0;
}

void lq_worker_listening(lq_worker *w)
{
    if (!w)
        return;
    atomic_store(&w->listening, 1);
    lq_inbox_wake(w->inbox);
}

void lq_worker_stop(lq_worker *w)
{
    if (!w)
        return;
    atomic_store(&w->stop, 1);
    lq_inbox_wake(w->inbox);
    if (w->started)
        pthread_join(w->thread, NULL);
    worker_free(w);
}
