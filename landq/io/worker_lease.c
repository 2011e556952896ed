/* worker_lease.c -- the worker's branch leases (store.h, "Branch leases"): which (repo, base)
 * this instance drives, the token its writes carry, renewal, and the confirmation before a
 * merge.
 *
 * The worker enters a branch (lq_wlease_enter) before evaluating or landing its pull requests:
 * a lease it holds is renewed when due; one it does not hold is asked for at most every
 * lease_renew_ms (it is taken only once free or expired). While inside, lq_wctx_persist() and
 * lq_wctx_audit() write fenced by the lease; when the database refuses the token the lease is
 * dropped, the worker counts as fenced out (lq_wctx_stopping() is true, feedback is not sent)
 * until it leaves the branch, and another instance's holder carries on from the stored state.
 * Leases not entered for two TTLs (nothing queued on the branch any more) are released. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "metrics.h"
#include "worker_ctx.h"

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void lq_wlease_init(lq_worker *w, int64_t ttl_ms, int64_t renew_ms)
{
    w->lease_ttl_ms = ttl_ms > 0 ? ttl_ms : 30000;
    w->lease_renew_ms = renew_ms > 0 ? renew_ms : 5000;
    if (w->lease_renew_ms * 2 > w->lease_ttl_ms) /* at least one retry before it lapses */
        w->lease_renew_ms = w->lease_ttl_ms / 3 > 0 ? w->lease_ttl_ms / 3 : 1;
    w->fence = -1;
    char host[64] = "";
    gethostname(host, sizeof host - 1);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    /* unique per process start: a restarted instance must not inherit its predecessor's token */
    snprintf(w->holder, sizeof w->holder, "%.60s:%ld:%08lx", host, (long)getpid(),
             (unsigned long)(ts.tv_nsec ^ (ts.tv_sec << 11)) & 0xffffffffUL);
}

static void export_held(lq_worker *w)
{
    int n = 0;
    for (size_t i = 0; i < w->nbranches; i++)
        n += w->branches[i].held;
    atomic_store(&w->leases_held, n);
    lq_metrics_set(w->cfg.metrics, "landq_leases_held", NULL, n);
}

static void drop(lq_worker *w, lq_branch_lease *b, const char *why)
{
    if (!b->held)
        return;
    LQ_WARN("lease", "msg=\"lease lost\" repo=%s base=%s token=%lld why=\"%s\"", b->l.repo,
            b->l.base, (long long)b->l.token, why);
    b->held = 0;
    b->next_try_ms = mono_ms() + w->lease_renew_ms;
    export_held(w);
}

static lq_branch_lease *find(lq_worker *w, const char *repo, const char *base, int create)
{
    for (size_t i = 0; i < w->nbranches; i++)
        if (!strcasecmp(w->branches[i].l.repo, repo) && !strcmp(w->branches[i].l.base, base))
            return &w->branches[i];
    if (!create)
        return NULL;
    if (w->nbranches == w->branch_cap) {
        size_t cap = w->branch_cap ? w->branch_cap * 2 : 8;
        lq_branch_lease *nb = realloc(w->branches, cap * sizeof(*nb));
        if (!nb)
            return NULL;
        w->branches = nb;
        w->branch_cap = cap;
    }
    lq_branch_lease *b = &w->branches[w->nbranches++];
    memset(b, 0, sizeof(*b));
    snprintf(b->l.repo, sizeof b->l.repo, "%s", repo);
    snprintf(b->l.base, sizeof b->l.base, "%s", base);
    return b;
}

/* Renews b (held) now. 0, or -1 when the lease was lost (or the database cannot be reached
 * and the lease's time is up: another instance may be taking it). */
static int renew(lq_worker *w, lq_branch_lease *b)
{
    int64_t t0 = mono_ms();
    lq_error err = {0};
    int rc = lq_store_lease_renew(w->store, &b->l, w->lease_ttl_ms, &err);
    if (rc == LQ_OK) {
        b->valid_until_ms = t0 + b->l.ttl_left_ms; /* measured from before the call */
        b->renew_at_ms = t0 + w->lease_renew_ms;
        atomic_store(&w->db_ok, 1);
        return 0;
    }
    if (rc == LQ_ECONFLICT) {
        drop(w, b, err.msg);
        return -1;
    }
    atomic_store(&w->db_ok, 0);
    LQ_WARN("lease", "msg=\"cannot renew the lease\" repo=%s base=%s error=\"%s\"", b->l.repo,
            b->l.base, err.msg);
    if (t0 >= b->valid_until_ms) {
        drop(w, b, "expired while the database could not be reached");
        return -1;
    }
    return 0;
}

int lq_wlease_enter(lq_worker *w, const char *repo, const char *base)
{
    w->fence = -1;
    w->fenced_out = 0;
    lq_branch_lease *b = find(w, repo, base, 1);
    if (!b)
        return 0;
    int64_t now = mono_ms();
    b->used_ms = now;
    if (b->held) {
        if (now >= b->renew_at_ms && renew(w, b))
            return 0;
    } else {
        if (now < b->next_try_ms)
            return 0;
        b->next_try_ms = now + w->lease_renew_ms;
        lq_error err = {0};
        int rc = lq_store_lease_acquire(w->store, repo, base, w->holder, w->lease_ttl_ms, &b->l,
                                        &err);
        if (rc == LQ_ECONFLICT) {
            atomic_store(&w->db_ok, 1);
            return 0; /* another instance drives this branch */
        }
        if (rc) {
            atomic_store(&w->db_ok, 0);
            LQ_WARN("lease", "msg=\"cannot acquire the lease\" repo=%s base=%s error=\"%s\"",
                    repo, base, err.msg);
            snprintf(b->l.repo, sizeof b->l.repo, "%s", repo); /* acquire may have cleared it */
            snprintf(b->l.base, sizeof b->l.base, "%s", base);
            return 0;
        }
        atomic_store(&w->db_ok, 1);
        b->held = 1;
        b->valid_until_ms = now + b->l.ttl_left_ms;
        b->renew_at_ms = now + w->lease_renew_ms;
        LQ_INFO("lease", "msg=\"lease acquired\" repo=%s base=%s token=%lld holder=%s failover=%d",
                repo, base, (long long)b->l.token, w->holder, b->l.took_over);
        if (b->l.took_over) {
            char l[600];
            lq_metrics_add(w->cfg.metrics, "landq_lease_failovers_total",
                           lq_metrics_label2(l, sizeof l, "repo", repo, "branch", base), 1);
        }
        export_held(w);
    }
    w->fence = (long)(b - w->branches);
    return 1;
}

void lq_wlease_leave(lq_worker *w)
{
    w->fence = -1;
    w->fenced_out = 0;
}

const lq_lease *lq_wlease_current(lq_worker *w)
{
    if (w->fence < 0)
        return NULL;
    lq_branch_lease *b = &w->branches[w->fence];
    if (!b->held)
        return NULL;
    if (mono_ms() >= b->renew_at_ms) /* a long evaluation: keep it alive between writes */
        renew(w, b);
    return b->held ? &b->l : NULL;
}

void lq_wlease_lost(lq_worker *w, const char *why)
{
    if (w->fence >= 0)
        drop(w, &w->branches[w->fence], why);
    w->fenced_out = 1;
}

int lq_wlease_confirm(lq_worker *w)
{
    if (w->fence < 0 || !w->branches[w->fence].held) {
        w->fenced_out = 1;
        return -1;
    }
    lq_branch_lease *b = &w->branches[w->fence];
    /* renewed now: the merge request starts with a full TTL ahead of it */
    if (renew(w, b) || mono_ms() >= b->valid_until_ms) {
        w->fenced_out = 1;
        LQ_WARN("lease", "msg=\"lease not confirmed; not merging\" repo=%s base=%s", b->l.repo,
                b->l.base);
        return -1;
    }
    return 0;
}

void lq_wlease_tick(lq_worker *w)
{
    int64_t now = mono_ms();
    for (size_t i = 0; i < w->nbranches; i++) {
        lq_branch_lease *b = &w->branches[i];
        if (!b->held)
            continue;
        if (now - b->used_ms > 2 * w->lease_ttl_ms) { /* nothing queued there any more */
            lq_error err = {0};
            lq_store_lease_release(w->store, &b->l, &err);
            b->held = 0;
            LQ_INFO("lease", "msg=\"lease released\" repo=%s base=%s token=%lld", b->l.repo,
                    b->l.base, (long long)b->l.token);
            export_held(w);
        } else if (now >= b->renew_at_ms) {
            renew(w, b);
        }
    }
}

void lq_wlease_release_all(lq_worker *w)
{
    for (size_t i = 0; i < w->nbranches; i++) {
        lq_branch_lease *b = &w->branches[i];
        lq_error err = {0};
        if (b->held && lq_store_lease_release(w->store, &b->l, &err) == LQ_OK)
            LQ_INFO("lease", "msg=\"lease released\" repo=%s base=%s token=%lld", b->l.repo,
                    b->l.base, (long long)b->l.token);
        b->held = 0;
    }
    export_held(w);
}
