/* worker_ctx: the state shared by the pieces of the landing worker (internal to landq/io).
 *
 * The worker is split by concept; each piece includes only what is below it, so no include
 * circle forms:
 *
 *   worker.c          the thread: inbox -> records, the round loop, start/stop
 *   landing.c         the merge protocol: mergeability, merge, outcome, landed
 *   evaluate.c        facts -> verdict -> queue state, then feedback
 *   conflict_watch.c  conflict reports from the git mirror, early warning after a landing
 *   feedback.c        commit status, the sticky comment, label removal, queue position
 *   worker_ctx.c      this context's helpers: persist, audit, stop/nap
 *   facts.c           gathering from GitHub + caches (also used by `landq explain`)
 *
 * Everything here runs on the worker thread (one lq_worker per thread); only .stop and
 * .listening are touched by other threads. */
#ifndef LQ_WORKER_CTX_H
#define LQ_WORKER_CTX_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>

#include "error.h"
#include "facts.h"
#include "gh.h"
#include "owed.h"
#include "github.h"
#include "inbox.h"
#include "log.h"
#include "mirror.h"
#include "plan.h"
#include "store.h"
#include "worker.h"


/* A branch this worker has entered (worker_lease.c). Times are monotonic. */
typedef struct lq_branch_lease {
    lq_lease l;             /* repo, base; holder and token once acquired */
    int held;
    int64_t renew_at_ms;    /* next renewal */
    int64_t valid_until_ms; /* the lease's expiry as seen from here (conservative) */
    int64_t next_try_ms;    /* not held: next acquire attempt */
    int64_t used_ms;        /* last entered (unused for a TTL: released) */
} lq_branch_lease;

struct lq_worker {
    lq_worker_config cfg;
    char **repos;     /* owned copies of cfg lists, NULL-terminated */
    char **required;
    char **redeliver; /* OWNER/NAME:HOOK_ID */
    char *db_path, *api_url, *token, *label, *context;
    char *priority_label;      /* NULL: priority off */
    lq_inbox *inbox;  /* borrowed */
    lq_store *store;
    lq_github *client;  /* the REST client (ETag cache, rate limits) */
    lq_gh gh;           /* the typed layer every piece calls (REST over client, or a fake) */
    lq_facts_cache *cache;
    lq_facts_src facts; /* points at the fields above */
    pthread_t thread;
    int started;
    atomic_int stop;
    atomic_int listening;      /* lq_worker_listening() was called: webhooks can arrive */
    int64_t retry_after_ms;    /* back off after a failed round */
    char *mirror_dir;          /* conflict analysis: bare mirrors live here */
    lq_mirror **mirrors;       /* one per served repository, opened on first use */
    int64_t *mirror_opened_ms; /* when each mirror was opened (App tokens expire) */
    int64_t next_reconcile_ms; /* next sweep for lost webhooks (0 = at start-up) */
    int64_t next_gauges_ms;    /* next export of queue depth / rate limit gauges */
    int redelivered;           /* the start-up redelivery was asked for */
    char self_login[LQ_GH_LOGIN_MAX]; /* landq's own account ("" until known) */
    int self_unknown;          /* GET /user said the token has no user: never ask again */
    /* branch leases (worker_lease.c) */
    char holder[128];          /* this process's instance id */
    int64_t lease_ttl_ms, lease_renew_ms;
    lq_branch_lease *branches;
    size_t nbranches, branch_cap;
    long fence;                /* index in branches of the branch entered (-1: none) */
    int fenced_out;            /* the database refused our token inside this branch */
    atomic_int leases_held;    /* for /healthz (read by other threads) */
    atomic_int db_ok;          /* the last lease call reached the database */
    struct lq_ptrain *trains;  /* predictive mode (io/predictive.c): one per branch */
    size_t ntrains;
    unsigned long ci_pokes;    /* check run / status webhooks seen (predictive re-reads) */
    lq_plan *plans;            /* the decided landing plans of READY pull requests (memory only:
                                  after a restart every queued pull request is evaluated again) */
    size_t plan_count;
    lq_owed_set owed;          /* ready feedback not written yet (core/owed.h; memory only) */
};

/* Branch leases (worker_lease.c). init: TTL, renewal interval (0: defaults 30 s, 5 s) and
 * this process's holder id. enter: 1 when this instance holds the lease of (repo, base) (taken
 * or renewed as needed) and the writes that follow are fenced by it; 0: another instance drives
 * the branch (or the database cannot say), skip it. leave: after the branch's work. current:
 * the lease writes are fenced by (NULL outside a branch). lost: the database refused our token.
 * confirm: renews the lease right before an irreversible GitHub call; -1 (and fenced out) when
 * it is no longer ours. tick: renewals due and releases of unused leases, once per round. */
void lq_wlease_init(lq_worker *w, int64_t ttl_ms, int64_t renew_ms);
int lq_wlease_enter(lq_worker *w, const char *repo, const char *base);
void lq_wlease_leave(lq_worker *w);
const lq_lease *lq_wlease_current(lq_worker *w);
void lq_wlease_lost(lq_worker *w, const char *why);
int lq_wlease_confirm(lq_worker *w);
void lq_wlease_tick(lq_worker *w);
void lq_wlease_release_all(lq_worker *w);
/* Whether the database refused this worker's token in the branch it is in: no more side
 * effects until it leaves the branch. */
int lq_wctx_fenced(lq_worker *w);

/* Saves rec (logged on failure). 0 or the store's error code. */
int lq_wctx_persist(lq_worker *w, lq_pr_record *rec);
/* One audit row + a logfmt line + landq_decisions_total (and landq_refusals_total). */
void lq_wctx_audit(lq_worker *w, const lq_pr_record *rec, const char *action,
                   const char *summary, char *const *reasons, size_t n, const char *commit);
/* Whether the worker was asked to stop. */
int lq_wctx_stopping(lq_worker *w);
/* Sleeps ms in 50 ms slices; -1 when asked to stop meanwhile. */
int lq_wctx_nap(lq_worker *w, long ms);
/* Keeps plan as the decided plan of its pull request (replacing an older one); takes
 * ownership of its contents (plan is zeroed). 0 or LQ_ENOMEM (plan disposed). */
int lq_wctx_plan_keep(lq_worker *w, lq_plan *plan);
/* The decided plan of repo#number, or NULL (borrowed until the next keep/forget). */
const lq_plan *lq_wctx_plan_find(lq_worker *w, const char *repo, int number);
void lq_wctx_plan_forget(lq_worker *w, const char *repo, int number);
void lq_wctx_plans_free(lq_worker *w);
/* The first 12 characters of sha (out[13]). */
void lq_wctx_short_sha(char out[13], const char *sha);

#endif
