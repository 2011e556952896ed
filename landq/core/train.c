/* train.c -- predictive testing: the speculation / batch / bisection state machine (train.h). */
#include "train.h"
#include "train_int.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LAND_RETRY_MS 2000

static const char *const entry_names[] = {"waiting", "blocked", "in_build", "landing", "landed", "ejected"};
static const char *const build_names[] = {"planned", "testing", "passed", "failed", "landing", "landed", "dead"};

const char *lq_entry_state_str(lq_entry_state s)
{
    return (unsigned)s < 6 ? entry_names[s] : "invalid";
}

const char *lq_build_state_str(lq_build_state s)
{
    return (unsigned)s < 7 ? build_names[s] : "invalid";
}

/* Bounded copy (truncates; never a format: GCC's truncation warnings stay quiet). */
static void copy(char *dst, size_t n, const char *src)
{
    size_t m = src ? strlen(src) : 0;
    if (m >= n)
        m = n - 1;
    if (m)
        memcpy(dst, src, m);
    dst[m] = '\0';
}

#define COPY(dst, src) copy(dst, sizeof(dst), src)

/* ---------------------------------------------------------------- lifecycle */

int lq_train_config_check(const lq_train_config *cfg, lq_error *err)
{
    if (!cfg)
        return lq_error_set(err, LQ_EINVAL, "no configuration");
    if (cfg->speculation < 1 || cfg->speculation > LQ_TRAIN_MAX_SPECULATION)
        return lq_error_set(err, LQ_EINVAL, "speculation must be 1..%d, not %u", LQ_TRAIN_MAX_SPECULATION,
                            cfg->speculation);
    if (cfg->batch < 1 || cfg->batch > LQ_TRAIN_MAX_BATCH)
        return lq_error_set(err, LQ_EINVAL, "batch must be 1..%d, not %u", LQ_TRAIN_MAX_BATCH, cfg->batch);
    if (cfg->retry_failed > 10)
        return lq_error_set(err, LQ_EINVAL, "retry_failed must be 0..10, not %u", cfg->retry_failed);
    if (cfg->ci_timeout_ms < 1000)
        return lq_error_set(err, LQ_EINVAL, "the CI timeout must be at least 1 s");
    return LQ_OK;
}

int lq_train_new(lq_train **out, const char *repo, const char *base, const lq_train_config *cfg, lq_error *err)
{
    *out = NULL;
    int rc = lq_train_config_check(cfg, err);
    if (rc)
        return rc;
    if (!repo || !*repo || !base || !*base)
        return lq_error_set(err, LQ_EINVAL, "a train needs a repository and a base branch");
    lq_train *t = calloc(1, sizeof *t);
    if (!t || !(t->repo = strdup(repo)) || !(t->base = strdup(base))) {
        lq_train_free(t);
        return lq_error_set(err, LQ_ENOMEM, "out of memory");
    }
    t->cfg = *cfg;
    t->next_id = 1;
    *out = t;
    return LQ_OK;
}

static void entry_dispose(lq_train_entry *e)
{
    for (size_t i = 0; i < e->nlanes; i++)
        free(e->lanes[i]);
    free(e->lanes);
    e->lanes = NULL;
    e->nlanes = 0;
}

void lq_train_free(lq_train *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->ne; i++)
        entry_dispose(&t->e[i]);
    for (size_t i = 0; i < t->ndead; i++)
        free(t->dead[i]);
    free(t->dead);
    free(t->e);
    free(t->b);
    free(t->repo);
    free(t->base);
    free(t);
}

int lq_train_configure(lq_train *t, const lq_train_config *cfg, lq_error *err)
{
    int rc = lq_train_config_check(cfg, err);
    if (!rc)
        t->cfg = *cfg;
    return rc;
}

/* ---------------------------------------------------------------- lookups */

static long entry_index(const lq_train *t, int pr)
{
    for (size_t i = 0; i < t->ne; i++)
        if (t->e[i].pr == pr)
            return (long)i;
    return -1;
}

static lq_train_build *build_get(const lq_train *t, uint32_t id)
{
    for (size_t i = 0; id && i < t->nb; i++)
        if (t->b[i].id == id)
            return &t->b[i];
    return NULL;
}

static int is_active(const lq_train_entry *e)
{
    return e->state != LQ_ENTRY_LANDED && e->state != LQ_ENTRY_EJECTED;
}

static int spanning(const lq_train_entry *e)
{
    return e->all_lanes || e->nlanes != 1;
}

static int shares_lane(const lq_train_entry *a, const lq_train_entry *b)
{
    if (a->all_lanes || b->all_lanes)
        return 1;
    for (size_t i = 0; i < a->nlanes; i++)
        for (size_t j = 0; j < b->nlanes; j++)
            if (!strcmp(a->lanes[i], b->lanes[j]))
                return 1;
    return 0;
}

/* The nearest active entry ahead of i sharing a lane with it, or -1. */
static long pred(const lq_train *t, size_t i)
{
    for (size_t j = i; j-- > 0;)
        if (is_active(&t->e[j]) && shares_lane(&t->e[j], &t->e[i]))
            return (long)j;
    return -1;
}

static int build_live(const lq_train_build *b)
{
    return b->state != LQ_BUILD_DEAD && b->state != LQ_BUILD_LANDED;
}

static const lq_train_entry *first_entry(const lq_train *t, const lq_train_build *b)
{
    long i = b->nprs ? entry_index(t, b->prs[0]) : -1;
    return i >= 0 ? &t->e[i] : NULL;
}

/* ---------------------------------------------------------------- try branches */

static int ref_in_use(const lq_train *t, const char *ref)
{
    for (size_t i = 0; i < t->nb; i++)
        if (build_live(&t->b[i]) && !strcmp(t->b[i].ref, ref))
            return 1;
    return 0;
}

static void undead(lq_train *t, const char *ref)
{
    for (size_t i = 0; i < t->ndead; i++)
        if (!strcmp(t->dead[i], ref)) {
            free(t->dead[i]);
            t->dead[i] = t->dead[--t->ndead];
            return;
        }
}

static void bury(lq_train *t, const char *ref)
{
    if (!ref || !*ref || ref_in_use(t, ref))
        return;
    for (size_t i = 0; i < t->ndead; i++)
        if (!strcmp(t->dead[i], ref))
            return;
    char **n = realloc(t->dead, (t->ndead + 1) * sizeof *n);
    if (!n)
        return; /* an orphan branch; the start-up sweep of the I/O layer deletes it */
    t->dead = n;
    if ((t->dead[t->ndead] = strdup(ref)))
        t->ndead++;
}

void lq_train_ref_deleted(lq_train *t, const char *ref)
{
    undead(t, ref);
}

const char *lq_train_lane_name(const lq_train_entry *e, char *buf, size_t len)
{
    if (e->all_lanes) {
        copy(buf, len, "all");
        return buf;
    }
    size_t o = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < e->nlanes && o < len; i++)
        o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? "+" : "", e->lanes[i]);
    if (!e->nlanes)
        copy(buf, len, "all");
    return buf;
}

static void build_ref(const lq_train *t, lq_train_build *b)
{
    const lq_train_entry *f = first_entry(t, b);
    char lane[200];
    lq_train_lane_name(f, lane, sizeof lane);
    int last = b->prs[b->nprs - 1];
    if (b->attempt)
        snprintf(b->ref, sizeof b->ref, "landq/try/%s/%s/pr-%d-retry%u", t->base, lane, last, b->attempt);
    else
        snprintf(b->ref, sizeof b->ref, "landq/try/%s/%s/pr-%d", t->base, lane, last);
}

/* ---------------------------------------------------------------- builds */

static lq_train_build *build_new(lq_train *t, uint32_t parent, const int *prs, size_t n)
{
    if (t->nb == t->bcap) {
        size_t cap = t->bcap ? t->bcap * 2 : 16;
        lq_train_build *nb = realloc(t->b, cap * sizeof *nb);
        if (!nb)
            return NULL;
        t->b = nb;
        t->bcap = cap;
    }
    lq_train_build *b = &t->b[t->nb++];
    memset(b, 0, sizeof *b);
    b->id = t->next_id++;
    b->parent = parent;
    b->state = LQ_BUILD_PLANNED;
    for (size_t i = 0; i < n && i < LQ_TRAIN_MAX_BATCH; i++) {
        b->prs[b->nprs++] = prs[i];
        long k = entry_index(t, prs[i]);
        t->e[k].state = LQ_ENTRY_IN_BUILD;
        t->e[k].build = b->id;
        t->e[k].candidate[0] = '\0';
        t->e[k].builds++;
    }
    build_ref(t, b);
    undead(t, b->ref);
    return b;
}

/* The build dies: its try branch goes, its PRs wait again, PRs held by it are released. */
static void kill_build(lq_train *t, lq_train_build *b)
{
    if (b->state == LQ_BUILD_DEAD || b->state == LQ_BUILD_LANDED)
        return;
    int pushed = b->state != LQ_BUILD_PLANNED || b->attempt > 0;
    b->state = LQ_BUILD_DEAD;
    t->c.invalidations++;
    if (pushed)
        bury(t, b->ref);
    for (size_t i = 0; i < t->ne; i++) {
        lq_train_entry *e = &t->e[i];
        if (e->build == b->id && (e->state == LQ_ENTRY_IN_BUILD || e->state == LQ_ENTRY_LANDING)) {
            e->state = LQ_ENTRY_WAITING;
            e->build = 0;
            e->candidate[0] = '\0';
        }
        if (e->hold == b->id)
            e->hold = 0;
    }
}

/* Kills b and every live build chained on it. */
static void invalidate_from(lq_train *t, uint32_t id)
{
    lq_train_build *b = build_get(t, id);
    if (!b)
        return;
    kill_build(t, b);
    for (int changed = 1; changed;) {
        changed = 0;
        for (size_t i = 0; i < t->nb; i++) {
            lq_train_build *x = &t->b[i];
            lq_train_build *p = build_get(t, x->parent);
            if (build_live(x) && p && p->state == LQ_BUILD_DEAD) {
                kill_build(t, x);
                changed = 1;
            }
        }
    }
}

static void invalidate_all(lq_train *t, int even_landing)
{
    for (size_t i = 0; i < t->nb; i++)
        if (build_live(&t->b[i]) && (even_landing || t->b[i].state != LQ_BUILD_LANDING))
            kill_build(t, &t->b[i]);
    for (size_t i = 0; i < t->nb; i++) /* chained on a landing build that survived */
        if (build_live(&t->b[i]) && build_get(t, t->b[i].parent) &&
            build_get(t, t->b[i].parent)->state == LQ_BUILD_DEAD)
            invalidate_from(t, t->b[i].id);
}

/* 1 when every build b is chained on has passed (or landed, or b is on the tip). */
static int ancestors_passed(const lq_train *t, const lq_train_build *b)
{
    for (const lq_train_build *p = build_get(t, b->parent); p; p = build_get(t, p->parent)) {
        if (p->state == LQ_BUILD_LANDED || p->state == LQ_BUILD_LANDING)
            return 1;
        if (p->state != LQ_BUILD_PASSED)
            return 0;
    }
    return 1;
}

static int descends_from(const lq_train *t, const lq_train_build *x, uint32_t id)
{
    for (const lq_train_build *p = build_get(t, x->parent); p; p = build_get(t, p->parent))
        if (p->id == id)
            return 1;
    return 0;
}

/* 1 when a live build chained (transitively) on id is in one of the states of mask. */
static int descendant_in(const lq_train *t, uint32_t id, unsigned mask)
{
    for (size_t i = 0; i < t->nb; i++)
        if (build_live(&t->b[i]) && ((1u << t->b[i].state) & mask) && descends_from(t, &t->b[i], id))
            return 1;
    return 0;
}

static void gc(lq_train *t)
{
    size_t o = 0;
    for (size_t i = 0; i < t->nb; i++) {
        lq_train_build *b = &t->b[i];
        int keep = build_live(b);
        for (size_t j = 0; !keep && j < t->nb; j++)
            keep = build_live(&t->b[j]) && t->b[j].parent == b->id;
        for (size_t j = 0; !keep && j < t->ne; j++)
            keep = t->e[j].build == b->id || t->e[j].hold == b->id;
        if (keep)
            t->b[o++] = *b;
    }
    t->nb = o;
}

/* ---------------------------------------------------------------- entries */

static void eject(lq_train *t, lq_train_entry *e, const char *reason)
{
    uint32_t bid = e->build;
    e->state = LQ_ENTRY_EJECTED;
    e->build = 0;
    e->hold = 0;
    COPY(e->reason, reason);
    t->c.ejections++;
    if (bid)
        invalidate_from(t, bid);
}

int lq_train_add(lq_train *t, int pr, const char *head, const char *const *lanes, size_t nlanes, int all_lanes,
                 int64_t queued_ms, lq_error *err)
{
    if (pr <= 0 || !head || strlen(head) != 40)
        return lq_error_set(err, LQ_EINVAL, "a train entry needs a PR number and a 40-hex head");
    if (!all_lanes && nlanes == 0)
        return lq_error_set(err, LQ_EINVAL, "#%d: no lane", pr);
    long at = entry_index(t, pr);
    if (at >= 0) {
        lq_train_entry *old = &t->e[at];
        if (is_active(old) && !strcmp(old->head, head))
            return LQ_OK;
        if (old->state == LQ_ENTRY_LANDING)
            return lq_error_set(err, LQ_ECONFLICT, "#%d is landing", pr);
        if (old->state == LQ_ENTRY_LANDED)
            return lq_error_set(err, LQ_ECONFLICT, "#%d has landed", pr);
        if (old->build)
            invalidate_from(t, old->build);
        entry_dispose(old);
        memmove(old, old + 1, (t->ne - (size_t)at - 1) * sizeof *old);
        t->ne--;
    }
    if (t->ne >= LQ_TRAIN_MAX_ENTRIES)
        return lq_error_set(err, LQ_ETOOBIG, "the train of %s holds %d PRs already", t->base, LQ_TRAIN_MAX_ENTRIES);
    if (t->ne == t->ecap) {
        size_t cap = t->ecap ? t->ecap * 2 : 16;
        lq_train_entry *ne = realloc(t->e, cap * sizeof *ne);
        if (!ne)
            return lq_error_set(err, LQ_ENOMEM, "out of memory");
        t->e = ne;
        t->ecap = cap;
    }
    lq_train_entry n;
    memset(&n, 0, sizeof n);
    n.pr = pr;
    COPY(n.head, head);
    n.all_lanes = all_lanes;
    n.queued_ms = queued_ms;
    n.state = LQ_ENTRY_WAITING;
    if (!all_lanes) {
        if (!(n.lanes = calloc(nlanes, sizeof *n.lanes)))
            return lq_error_set(err, LQ_ENOMEM, "out of memory");
        for (size_t i = 0; i < nlanes; i++) { /* sorted, unique */
            if (!lanes[i] || !*lanes[i]) {
                entry_dispose(&n);
                return lq_error_set(err, LQ_EINVAL, "#%d: empty lane name", pr);
            }
            size_t k = 0;
            while (k < n.nlanes && strcmp(n.lanes[k], lanes[i]) < 0)
                k++;
            if (k < n.nlanes && !strcmp(n.lanes[k], lanes[i]))
                continue;
            char *s = strdup(lanes[i]);
            if (!s) {
                entry_dispose(&n);
                return lq_error_set(err, LQ_ENOMEM, "out of memory");
            }
            memmove(n.lanes + k + 1, n.lanes + k, (n.nlanes - k) * sizeof *n.lanes);
            n.lanes[k] = s;
            n.nlanes++;
        }
    }
    /* queue order: label time, then PR number; never ahead of a PR of its lanes already landing */
    size_t pos = t->ne;
    while (pos > 0 && (t->e[pos - 1].queued_ms > queued_ms ||
                       (t->e[pos - 1].queued_ms == queued_ms && t->e[pos - 1].pr > pr)))
        pos--;
    for (size_t j = pos; j < t->ne; j++)
        if ((t->e[j].state == LQ_ENTRY_LANDING || t->e[j].state == LQ_ENTRY_LANDED) && shares_lane(&t->e[j], &n))
            pos = j + 1;
    memmove(t->e + pos + 1, t->e + pos, (t->ne - pos) * sizeof *t->e);
    t->e[pos] = n;
    t->ne++;
    /* builds behind it in its lanes do not contain it: rebuilt */
    for (size_t j = pos + 1; j < t->ne; j++)
        if (t->e[j].build && shares_lane(&t->e[j], &t->e[pos]) && t->e[j].state == LQ_ENTRY_IN_BUILD)
            invalidate_from(t, t->e[j].build);
    return LQ_OK;
}

int lq_train_remove(lq_train *t, int pr, lq_error *err)
{
    long at = entry_index(t, pr);
    if (at < 0 || !is_active(&t->e[at]))
        return lq_error_set(err, LQ_ENOTFOUND, "#%d is not in the train of %s", pr, t->base);
    if (t->e[at].state == LQ_ENTRY_LANDING)
        return lq_error_set(err, LQ_ECONFLICT, "#%d is landing: the landing decides", pr);
    if (t->e[at].build)
        invalidate_from(t, t->e[at].build);
    entry_dispose(&t->e[at]);
    memmove(t->e + at, t->e + at + 1, (t->ne - (size_t)at - 1) * sizeof *t->e);
    t->ne--;
    gc(t);
    return LQ_OK;
}

int lq_train_forget(lq_train *t, int pr)
{
    long at = entry_index(t, pr);
    if (at < 0 || is_active(&t->e[at]))
        return LQ_ENOTFOUND;
    entry_dispose(&t->e[at]);
    memmove(t->e + at, t->e + at + 1, (t->ne - (size_t)at - 1) * sizeof *t->e);
    t->ne--;
    gc(t);
    return LQ_OK;
}

/* ---------------------------------------------------------------- tip */

void lq_train_set_tip(lq_train *t, const char *sha, int foreign)
{
    if (!sha || !strcmp(t->tip, sha))
        return;
    COPY(t->tip, sha);
    if (foreign)
        invalidate_all(t, 0);
}

const char *lq_train_tip(const lq_train *t)
{
    return t->tip;
}

int lq_train_landed_by_us(const lq_train *t, const char *sha)
{
    for (size_t i = 0; sha && i < t->nring; i++)
        if (!strcmp(t->ring[i], sha))
            return 1;
    return 0;
}

/* ---------------------------------------------------------------- deciding */

static void fail_build(lq_train *t, lq_train_build *b, const char *why)
{
    b->state = LQ_BUILD_FAILED;
    COPY(b->failure, why);
    t->c.candidates_failed++;
}

static void list_prs(const lq_train_build *b, size_t from, size_t to, char *out, size_t n)
{
    size_t o = 0;
    out[0] = '\0';
    for (size_t i = from; i < to && o < n; i++)
        o += (size_t)snprintf(out + o, n - o, "%s#%d", i > from ? ", " : "", b->prs[i]);
}

/* A failed build that can be blamed: re-run, eject its PR, or bisect its batch. */
static void blame(lq_train *t, lq_train_build *b)
{
    if (b->attempt < t->cfg.retry_failed) {
        char old[sizeof b->ref];
        COPY(old, b->ref);
        b->attempt++;
        build_ref(t, b); /* a new branch: pushing the same commit to the old one would start nothing */
        undead(t, b->ref);
        bury(t, old);
        b->state = LQ_BUILD_PLANNED;
        b->retry_at_ms = 0;
        t->c.flake_retries++;
        for (size_t i = 0; i < b->nprs; i++) {
            long k = entry_index(t, b->prs[i]);
            if (k >= 0)
                t->e[k].retries++;
        }
        return;
    }
    b->blamed = 1;
    if (b->nprs == 1) {
        long k = entry_index(t, b->prs[0]);
        char why[1024];
        snprintf(why, sizeof why, "%.990s%s", b->failure, b->attempt ? " (re-run, failed again)" : "");
        if (k >= 0)
            eject(t, &t->e[k], why);
        else
            invalidate_from(t, b->id);
        return;
    }
    /* bisect: the first half is tested again on the same parent; the second half waits, known
     * red on top of the first half (they failed together) */
    t->c.bisections++;
    int prs[LQ_TRAIN_MAX_BATCH];
    size_t n = b->nprs, h = n / 2;
    memcpy(prs, b->prs, n * sizeof *prs);
    uint32_t parent = b->parent;
    char failure[1024], ids[256];
    list_prs(b, 0, n, ids, sizeof ids);
    snprintf(failure, sizeof failure, "the batch %.200s failed: %.790s", ids, b->failure);
    invalidate_from(t, b->id);
    lq_train_build *b1 = build_new(t, parent, prs, h);
    if (!b1)
        return;
    for (size_t i = h; i < n; i++) {
        long k = entry_index(t, prs[i]);
        if (k >= 0) {
            t->e[k].hold = b1->id;
            COPY(t->e[k].hold_failure, failure);
        }
    }
}

/* A passed build decides the PRs held by it (the rest of a failed batch). */
static void release_holds(lq_train *t, lq_train_build *b)
{
    int held[LQ_TRAIN_MAX_BATCH];
    size_t n = 0;
    for (size_t i = 0; i < t->ne && n < LQ_TRAIN_MAX_BATCH; i++)
        if (t->e[i].hold == b->id && t->e[i].state == LQ_ENTRY_WAITING)
            held[n++] = t->e[i].pr;
    if (!n)
        return;
    if (n == 1) {
        long k = entry_index(t, held[0]);
        char why[1024];
        snprintf(why, sizeof why, "%s; the PRs ahead of it passed without it", t->e[k].hold_failure);
        t->e[k].hold = 0;
        eject(t, &t->e[k], why);
        return;
    }
    t->c.bisections++;
    size_t h = n / 2;
    char failure[512];
    long k0 = entry_index(t, held[0]);
    COPY(failure, t->e[k0].hold_failure);
    for (size_t i = 0; i < n; i++)
        t->e[entry_index(t, held[i])].hold = 0;
    lq_train_build *nb = build_new(t, b->state == LQ_BUILD_LANDED ? 0 : b->id, held, h);
    if (!nb)
        return;
    for (size_t i = h; i < n; i++) {
        long k = entry_index(t, held[i]);
        t->e[k].hold = nb->id;
        COPY(t->e[k].hold_failure, failure);
    }
}

static int resolve_once(lq_train *t)
{
    for (size_t i = 0; i < t->nb; i++) {
        lq_train_build *b = &t->b[i];
        if (b->state == LQ_BUILD_PASSED || b->state == LQ_BUILD_LANDING || b->state == LQ_BUILD_LANDED) {
            for (size_t k = 0; k < t->ne; k++)
                if (t->e[k].hold == b->id && t->e[k].state == LQ_ENTRY_WAITING) {
                    release_holds(t, b);
                    return 1;
                }
        }
        if (b->state != LQ_BUILD_FAILED)
            continue;
        if (t->cfg.optimistic && descendant_in(t, b->id, 1u << LQ_BUILD_PASSED)) {
            b->state = LQ_BUILD_PASSED; /* a build containing it passed: its failure was not its own */
            b->rescued = 1;
            t->c.optimistic_rescues++;
            return 1;
        }
        if (!ancestors_passed(t, b))
            continue; /* pending failure: a build ahead may be the culprit */
        if (t->cfg.optimistic &&
            descendant_in(t, b->id, (1u << LQ_BUILD_TESTING) | (1u << LQ_BUILD_PLANNED)))
            continue; /* a build behind may still rescue it */
        blame(t, b);
        return 1;
    }
    return 0;
}

static size_t lane_load(const lq_train *t, const lq_train_entry *e)
{
    size_t n = 0;
    for (size_t i = 0; i < t->nb; i++) {
        const lq_train_build *b = &t->b[i];
        if (b->state != LQ_BUILD_PLANNED && b->state != LQ_BUILD_TESTING)
            continue;
        const lq_train_entry *f = first_entry(t, b);
        if (f && shares_lane(f, e))
            n++;
    }
    return n;
}

static void plan_builds(lq_train *t)
{
    for (size_t i = 0; i < t->ne; i++) {
        lq_train_entry *e = &t->e[i];
        if ((e->state != LQ_ENTRY_WAITING && e->state != LQ_ENTRY_BLOCKED) || e->hold)
            continue;
        long p = pred(t, i);
        uint32_t parent = 0;
        if (e->state == LQ_ENTRY_BLOCKED || spanning(e)) {
            if (p >= 0)
                continue; /* only on the real tip, once everything ahead in its lanes landed */
        } else if (p >= 0) {
            const lq_train_entry *pe = &t->e[p];
            const lq_train_build *pb = build_get(t, pe->build);
            if (!pb || (pe->state != LQ_ENTRY_IN_BUILD && pe->state != LQ_ENTRY_LANDING))
                continue;
            if (pb->state != LQ_BUILD_PLANNED && pb->state != LQ_BUILD_TESTING && pb->state != LQ_BUILD_PASSED &&
                pb->state != LQ_BUILD_LANDING)
                continue; /* never speculate on a failed build */
            parent = pb->id;
        }
        if (lane_load(t, e) >= t->cfg.speculation)
            continue;
        int prs[LQ_TRAIN_MAX_BATCH];
        size_t n = 0;
        prs[n++] = e->pr;
        if (e->state == LQ_ENTRY_WAITING && !spanning(e)) {
            for (size_t q = i + 1; q < t->ne && n < t->cfg.batch; q++) {
                lq_train_entry *x = &t->e[q];
                if (!is_active(x) || !shares_lane(x, e))
                    continue;
                if (x->state != LQ_ENTRY_WAITING || x->hold || spanning(x))
                    break;
                prs[n++] = x->pr;
            }
        }
        e->state = LQ_ENTRY_WAITING;
        if (!build_new(t, parent, prs, n))
            return;
        /* t->e did not move; e stays valid */
    }
}

static void check_timeouts(lq_train *t, int64_t now)
{
    for (size_t i = 0; i < t->nb; i++) {
        lq_train_build *b = &t->b[i];
        if (b->state == LQ_BUILD_TESTING && now - b->started_ms >= t->cfg.ci_timeout_ms) {
            char why[1024];
            snprintf(why, sizeof why, "the required checks did not all report within %lld s on %s (%s)",
                     (long long)(t->cfg.ci_timeout_ms / 1000), b->ref,
                     b->pending[0] ? b->pending : "no check reported");
            fail_build(t, b, why);
        }
    }
}

static void plan(lq_train *t, int64_t now)
{
    if (t->frozen)
        return;
    check_timeouts(t, now);
    for (int guard = 0; guard < 10000 && resolve_once(t); guard++) {
    }
    plan_builds(t);
    gc(t);
}

static int landable(const lq_train *t, const lq_train_build *b)
{
    if (b->state != LQ_BUILD_PASSED || !ancestors_passed(t, b))
        return 0;
    const lq_train_build *p = build_get(t, b->parent);
    if (p && p->state != LQ_BUILD_LANDED)
        return 0;
    long k = b->nprs ? entry_index(t, b->prs[0]) : -1;
    return k >= 0 && pred(t, (size_t)k) < 0;
}

void lq_train_next(lq_train *t, int64_t now, lq_train_action *out)
{
    memset(out, 0, sizeof *out);
    plan(t, now);
    for (size_t i = 0; i < t->ne; i++)
        if (t->e[i].state == LQ_ENTRY_EJECTED) {
            out->kind = LQ_ACT_EJECT;
            out->pr = t->e[i].pr;
            return;
        }
    if (t->ndead) {
        out->kind = LQ_ACT_DELETE;
        out->ref = t->dead[0];
        return;
    }
    if (t->frozen)
        return;
    if (now >= t->land_retry_at) {
        for (size_t i = 0; i < t->nb; i++)
            if (t->b[i].state == LQ_BUILD_LANDING) {
                out->kind = LQ_ACT_LAND;
                out->build = &t->b[i];
                return;
            }
        /* the build whose first PR comes first in the queue */
        lq_train_build *best = NULL;
        long best_at = -1;
        for (size_t i = 0; i < t->nb; i++) {
            lq_train_build *b = &t->b[i];
            long at = b->nprs ? entry_index(t, b->prs[0]) : -1;
            if (landable(t, b) && (best_at < 0 || at < best_at)) {
                best = b;
                best_at = at;
            }
        }
        if (best) {
            best->state = LQ_BUILD_LANDING;
            for (size_t i = 0; i < best->nprs; i++) {
                long k = entry_index(t, best->prs[i]);
                if (k >= 0 && t->e[k].state == LQ_ENTRY_IN_BUILD)
                    t->e[k].state = LQ_ENTRY_LANDING;
            }
            out->kind = LQ_ACT_LAND;
            out->build = best;
            return;
        }
    }
    for (size_t i = 0; i < t->nb; i++) {
        lq_train_build *b = &t->b[i];
        if (b->state != LQ_BUILD_PLANNED || b->retry_at_ms > now)
            continue;
        const lq_train_build *p = build_get(t, b->parent);
        if (p && !p->sha[0])
            continue; /* its parent is not built yet */
        out->kind = LQ_ACT_BUILD;
        out->build = b;
        out->ref = b->ref;
        out->parent_sha = p && p->state != LQ_BUILD_LANDED ? p->sha : NULL;
        return;
    }
}

/* ---------------------------------------------------------------- reports */

int lq_train_built(lq_train *t, uint32_t id, const char *base_sha, const char *sha, const char *const *candidates,
                   int64_t now, lq_error *err)
{
    lq_train_build *b = build_get(t, id);
    if (!b || b->state != LQ_BUILD_PLANNED)
        return lq_error_set(err, LQ_ECONFLICT, "build %u is not planned (it was invalidated meanwhile)", id);
    if (!sha || strlen(sha) != 40)
        return lq_error_set(err, LQ_EINVAL, "build %u: not a commit id", id);
    if (b->attempt > 0 && b->sha[0] && strcmp(b->sha, sha))
        return lq_error_set(err, LQ_EINVAL, "build %u: a re-run must push the same candidate", id);
    COPY(b->sha, sha);
    if (base_sha)
        COPY(b->base, base_sha);
    for (size_t i = 0; candidates && i < b->nprs; i++) {
        long k = entry_index(t, b->prs[i]);
        if (k >= 0 && candidates[i])
            COPY(t->e[k].candidate, candidates[i]);
    }
    if (!candidates && b->nprs) {
        long k = entry_index(t, b->prs[b->nprs - 1]);
        if (k >= 0)
            COPY(t->e[k].candidate, sha);
    }
    b->state = LQ_BUILD_TESTING;
    b->started_ms = now;
    b->pending[0] = '\0';
    t->c.candidates_started++;
    return LQ_OK;
}

int lq_train_build_conflict(lq_train *t, uint32_t id, int pr, const char *msg, int64_t now, lq_error *err)
{
    (void)now;
    lq_train_build *b = build_get(t, id);
    long k = entry_index(t, pr);
    if (!b || b->state != LQ_BUILD_PLANNED || k < 0 || t->e[k].build != id)
        return lq_error_set(err, LQ_ECONFLICT, "build %u does not hold #%d", id, pr);
    int on_tip = b->parent == 0 && b->prs[0] == pr;
    if (!on_tip && b->parent) {
        const lq_train_build *p = build_get(t, b->parent);
        on_tip = p && p->state == LQ_BUILD_LANDED && b->prs[0] == pr;
    }
    invalidate_from(t, id);
    lq_train_entry *e = &t->e[k];
    if (on_tip) {
        char why[1024];
        snprintf(why, sizeof why, "does not apply on %s: %s", t->base, msg ? msg : "merge conflict");
        eject(t, e, why);
    } else {
        e->state = LQ_ENTRY_BLOCKED; /* conflicts with a PR ahead: retried on the tip once they landed */
    }
    return LQ_OK;
}

int lq_train_build_error(lq_train *t, uint32_t id, int64_t now, int64_t retry_ms)
{
    lq_train_build *b = build_get(t, id);
    if (!b || b->state != LQ_BUILD_PLANNED)
        return LQ_ENOTFOUND;
    b->retry_at_ms = now + (retry_ms > 0 ? retry_ms : 1000);
    return LQ_OK;
}

int lq_train_checks(lq_train *t, uint32_t id, const char *sha, lq_checks_verdict v, const char *summary,
                    int64_t max_check_id, int64_t now)
{
    (void)now;
    lq_train_build *b = build_get(t, id);
    if (!b || b->state != LQ_BUILD_TESTING || !sha || strcmp(sha, b->sha))
        return LQ_ENOTFOUND;
    if (v == LQ_CHECKS_PENDING) {
        COPY(b->pending, summary);
        return LQ_OK;
    }
    if (max_check_id > b->min_check_id)
        b->min_check_id = max_check_id;
    if (v == LQ_CHECKS_PASS) {
        b->state = LQ_BUILD_PASSED;
        t->c.candidates_passed++;
        if (b->attempt)
            t->c.flake_rescued++;
        return LQ_OK;
    }
    fail_build(t, b, summary && *summary ? summary : "a required check failed");
    return LQ_OK;
}

static void remember_landing(lq_train *t, const char *sha)
{
    COPY(t->ring[t->ringpos], sha);
    t->ringpos = (t->ringpos + 1) % LQ_TRAIN_RING;
    if (t->nring < LQ_TRAIN_RING)
        t->nring++;
}

static void finish_build_if_landed(lq_train *t, lq_train_build *b)
{
    for (size_t i = 0; i < b->nprs; i++) {
        long k = entry_index(t, b->prs[i]);
        if (k >= 0 && t->e[k].state == LQ_ENTRY_LANDING)
            return;
    }
    b->state = LQ_BUILD_LANDED;
    bury(t, b->ref);
    for (size_t i = 0; i < t->nb; i++)
        if (t->b[i].parent == b->id)
            t->b[i].parent = 0; /* chained on what is now the real tip (same tree, verified) */
}

int lq_train_landed(lq_train *t, int pr, const char *landed_sha, int64_t now, lq_error *err)
{
    long k = entry_index(t, pr);
    if (k < 0 || t->e[k].state != LQ_ENTRY_LANDING)
        return lq_error_set(err, LQ_ECONFLICT, "#%d is not landing", pr);
    lq_train_entry *e = &t->e[k];
    lq_train_build *b = build_get(t, e->build);
    e->state = LQ_ENTRY_LANDED;
    e->landed_ms = now;
    COPY(e->landed, landed_sha);
    if (landed_sha) {
        remember_landing(t, landed_sha);
        COPY(t->tip, landed_sha);
    }
    t->c.landed++;
    t->land_retry_at = 0;
    if (b)
        finish_build_if_landed(t, b);
    return LQ_OK;
}

int lq_train_land_failed(lq_train *t, int pr, lq_land_failure why, const char *msg, const char *landed_sha,
                         int64_t now, lq_error *err)
{
    long k = entry_index(t, pr);
    if (k < 0 || t->e[k].state != LQ_ENTRY_LANDING)
        return lq_error_set(err, LQ_ECONFLICT, "#%d is not landing", pr);
    lq_train_entry *e = &t->e[k];
    uint32_t bid = e->build;
    switch (why) {
    case LQ_LAND_TRANSIENT:
        t->land_retry_at = now + LAND_RETRY_MS;
        return LQ_OK;
    case LQ_LAND_TIP_MOVED:
        invalidate_all(t, 1);
        return LQ_OK;
    case LQ_LAND_NOT_READY:
        invalidate_from(t, bid);
        entry_dispose(e);
        memmove(t->e + k, t->e + k + 1, (t->ne - (size_t)k - 1) * sizeof *t->e);
        t->ne--;
        return LQ_OK;
    case LQ_LAND_REFUSED: {
        char r[1024];
        snprintf(r, sizeof r, "GitHub refused the merge: %s", msg ? msg : "not mergeable");
        e->state = LQ_ENTRY_IN_BUILD; /* so that eject() invalidates its build and the ones behind */
        eject(t, e, r);
        return LQ_OK;
    }
    case LQ_LAND_MISMATCH:
        e->state = LQ_ENTRY_LANDED;
        e->landed_ms = now;
        COPY(e->landed, landed_sha);
        if (landed_sha) {
            remember_landing(t, landed_sha);
            COPY(t->tip, landed_sha);
        }
        t->c.landed++;
        t->frozen = 1;
        snprintf(t->frozen_why, sizeof t->frozen_why, "#%d landed a tree that was not tested: %s", pr,
                 msg ? msg : "tree mismatch");
        invalidate_all(t, 1);
        return LQ_OK;
    }
    return lq_error_set(err, LQ_EINVAL, "unknown landing failure %d", (int)why);
}

int lq_train_frozen(const lq_train *t, const char **why)
{
    if (why)
        *why = t->frozen ? t->frozen_why : NULL;
    return t->frozen;
}

void lq_train_unfreeze(lq_train *t)
{
    t->frozen = 0;
    t->frozen_why[0] = '\0';
}

/* ---------------------------------------------------------------- getters */

const lq_train_entry *lq_train_entry_find(const lq_train *t, int pr)
{
    long k = entry_index(t, pr);
    return k >= 0 ? &t->e[k] : NULL;
}

const lq_train_build *lq_train_build_find(const lq_train *t, uint32_t id)
{
    return build_get(t, id);
}

size_t lq_train_entry_count(const lq_train *t)
{
    return t->ne;
}

const lq_train_entry *lq_train_entry_at(const lq_train *t, size_t i)
{
    return i < t->ne ? &t->e[i] : NULL;
}

size_t lq_train_build_count(const lq_train *t)
{
    return t->nb;
}

const lq_train_build *lq_train_build_at(const lq_train *t, size_t i)
{
    return i < t->nb ? &t->b[i] : NULL;
}

const lq_train_counters *lq_train_stats(const lq_train *t)
{
    return &t->c;
}

const char *lq_train_repo(const lq_train *t)
{
    return t->repo;
}

const char *lq_train_base(const lq_train *t)
{
    return t->base;
}

size_t lq_train_position(const lq_train *t, int pr, size_t *depth)
{
    long k = entry_index(t, pr);
    size_t pos = 0, n = 0;
    if (k >= 0 && is_active(&t->e[k]))
        for (size_t i = 0; i < t->ne; i++) {
            if (!is_active(&t->e[i]) || !shares_lane(&t->e[i], &t->e[k]))
                continue;
            n++;
            if (i <= (size_t)k)
                pos++;
        }
    if (depth)
        *depth = n;
    return k >= 0 && is_active(&t->e[k]) ? pos : 0;
}
