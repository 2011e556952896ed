/* train_json.c -- a train to JSON and back (train.h), so the store keeps it across restarts.
 * The document is versioned ("v": 1); reading checks every field (a damaged row is refused with a
 * message, never half-loaded). */
#include "train.h"
#include "train_int.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define VERSION 1

static json_t *str_or_empty(const char *s)
{
    return json_string(s ? s : "");
}

json_t *lq_train_to_json(const lq_train *t)
{
    json_t *entries = json_array(), *builds = json_array(), *dead = json_array(), *ring = json_array();
    for (size_t i = 0; i < t->ne; i++) {
        const lq_train_entry *e = &t->e[i];
        json_t *lanes = json_array();
        for (size_t k = 0; k < e->nlanes; k++)
            json_array_append_new(lanes, json_string(e->lanes[k]));
        json_array_append_new(
            entries,
            json_pack("{s:i, s:s, s:o, s:b, s:I, s:s, s:I, s:I, s:o, s:o, s:o, s:i, s:i, s:o, s:I}", "pr", e->pr,
                      "head", e->head, "lanes", lanes, "all_lanes", e->all_lanes, "queued_ms", (json_int_t)e->queued_ms,
                      "state", lq_entry_state_str(e->state), "build", (json_int_t)e->build, "hold",
                      (json_int_t)e->hold, "hold_failure", str_or_empty(e->hold_failure), "candidate",
                      str_or_empty(e->candidate), "landed", str_or_empty(e->landed), "retries", (int)e->retries,
                      "builds", (int)e->builds, "reason", str_or_empty(e->reason), "landed_ms",
                      (json_int_t)e->landed_ms));
    }
    for (size_t i = 0; i < t->nb; i++) {
        const lq_train_build *b = &t->b[i];
        json_t *prs = json_array();
        for (size_t k = 0; k < b->nprs; k++)
            json_array_append_new(prs, json_integer(b->prs[k]));
        json_array_append_new(
            builds,
            json_pack("{s:I, s:I, s:o, s:o, s:s, s:i, s:o, s:s, s:I, s:I, s:I, s:b, s:b, s:o, s:o}", "id",
                      (json_int_t)b->id, "parent", (json_int_t)b->parent, "base", str_or_empty(b->base), "prs", prs,
                      "state", lq_build_state_str(b->state), "attempt", (int)b->attempt, "sha", str_or_empty(b->sha),
                      "ref", b->ref, "started_ms", (json_int_t)b->started_ms, "retry_at_ms",
                      (json_int_t)b->retry_at_ms, "min_check_id", (json_int_t)b->min_check_id, "rescued", b->rescued,
                      "blamed", b->blamed, "failure", str_or_empty(b->failure), "pending", str_or_empty(b->pending)));
    }
    for (size_t i = 0; i < t->ndead; i++)
        json_array_append_new(dead, json_string(t->dead[i]));
    for (size_t i = 0; i < t->nring; i++) /* oldest first */
        json_array_append_new(ring, json_string(t->ring[(t->ringpos + LQ_TRAIN_RING - t->nring + i) % LQ_TRAIN_RING]));
    const lq_train_counters *c = &t->c;
    json_t *cj = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "candidates_started",
                           (json_int_t)c->candidates_started, "candidates_passed", (json_int_t)c->candidates_passed,
                           "candidates_failed", (json_int_t)c->candidates_failed, "flake_retries",
                           (json_int_t)c->flake_retries, "flake_rescued", (json_int_t)c->flake_rescued,
                           "optimistic_rescues", (json_int_t)c->optimistic_rescues, "bisections",
                           (json_int_t)c->bisections, "ejections", (json_int_t)c->ejections, "landed",
                           (json_int_t)c->landed, "invalidations", (json_int_t)c->invalidations);
    return json_pack("{s:i, s:s, s:s, s:s, s:I, s:b, s:s, s:o, s:o, s:o, s:o, s:o}", "v", VERSION, "repo", t->repo,
                     "base", t->base, "tip", t->tip, "next_id", (json_int_t)t->next_id, "frozen", t->frozen,
                     "frozen_why", t->frozen_why, "counters", cj, "entries", entries, "builds", builds, "dead", dead,
                     "landed", ring);
}

/* ---- reading ---- */

typedef struct {
    lq_error *err;
    int bad;
} rd;

static const char *get_s(rd *r, const json_t *o, const char *k, size_t max)
{
    json_t *v = json_object_get(o, k);
    if (!json_is_string(v) || json_string_length(v) >= max) {
        if (!r->bad)
            lq_error_set(r->err, LQ_EINVAL, "stored train: \"%s\" is missing or not a string", k);
        r->bad = 1;
        return "";
    }
    return json_string_value(v);
}

static json_int_t get_i(rd *r, const json_t *o, const char *k, json_int_t lo, json_int_t hi)
{
    json_t *v = json_object_get(o, k);
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi) {
        if (!r->bad)
            lq_error_set(r->err, LQ_EINVAL, "stored train: \"%s\" is missing or out of range", k);
        r->bad = 1;
        return lo;
    }
    return json_integer_value(v);
}

static int get_b(rd *r, const json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    if (!json_is_boolean(v)) {
        if (!r->bad)
            lq_error_set(r->err, LQ_EINVAL, "stored train: \"%s\" is missing or not a boolean", k);
        r->bad = 1;
        return 0;
    }
    return json_is_true(v);
}

static int state_of(const char *s, const char *(*name)(int), int n)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(s, name(i)))
            return i;
    return -1;
}

static const char *ename(int i)
{
    return lq_entry_state_str((lq_entry_state)i);
}

static const char *bname(int i)
{
    return lq_build_state_str((lq_build_state)i);
}

#define CPY(dst, src) snprintf(dst, sizeof(dst), "%s", src)

int lq_train_from_json(lq_train **out, const json_t *j, const lq_train_config *cfg, lq_error *err)
{
    *out = NULL;
    rd r = {err, 0};
    if (!json_is_object(j) || get_i(&r, j, "v", 0, 1000) != VERSION)
        return r.bad ? LQ_EINVAL : lq_error_set(err, LQ_EINVAL, "stored train: unknown version");
    lq_train *t = NULL;
    int rc = lq_train_new(&t, get_s(&r, j, "repo", 300), get_s(&r, j, "base", 300), cfg, err);
    if (rc || r.bad) {
        lq_train_free(t);
        return rc ? rc : LQ_EINVAL;
    }
    CPY(t->tip, get_s(&r, j, "tip", 41));
    t->next_id = (uint32_t)get_i(&r, j, "next_id", 1, 0xFFFFFFF0);
    t->frozen = get_b(&r, j, "frozen");
    CPY(t->frozen_why, get_s(&r, j, "frozen_why", 512));
    json_t *c = json_object_get(j, "counters");
    unsigned long *cs[] = {&t->c.candidates_started, &t->c.candidates_passed, &t->c.candidates_failed,
                           &t->c.flake_retries,      &t->c.flake_rescued,      &t->c.optimistic_rescues,
                           &t->c.bisections,         &t->c.ejections,          &t->c.landed,
                           &t->c.invalidations};
    static const char *const cn[] = {"candidates_started", "candidates_passed", "candidates_failed", "flake_retries",
                                     "flake_rescued", "optimistic_rescues", "bisections", "ejections", "landed",
                                     "invalidations"};
    for (int i = 0; i < 10; i++)
        *cs[i] = (unsigned long)get_i(&r, c, cn[i], 0, (json_int_t)1 << 50);
    json_t *es = json_object_get(j, "entries"), *bs = json_object_get(j, "builds");
    json_t *dead = json_object_get(j, "dead"), *ring = json_object_get(j, "landed");
    if (!json_is_array(es) || !json_is_array(bs) || !json_is_array(dead) || !json_is_array(ring) ||
        json_array_size(es) > LQ_TRAIN_MAX_ENTRIES) {
        lq_train_free(t);
        return r.bad ? LQ_EINVAL : lq_error_set(err, LQ_EINVAL, "stored train: entries, builds, dead or landed missing");
    }
    size_t i;
    json_t *v;
    json_array_foreach(es, i, v) {
        if (r.bad)
            break;
        json_t *lanes = json_object_get(v, "lanes");
        const char *names[64];
        size_t n = 0, k;
        json_t *l;
        json_array_foreach(lanes, k, l) {
            if (json_is_string(l) && n < 64)
                names[n++] = json_string_value(l);
        }
        lq_error e2 = {0};
        int all = get_b(&r, v, "all_lanes");
        const char *head = get_s(&r, v, "head", 41);
        int pr = (int)get_i(&r, v, "pr", 1, 1 << 30);
        json_int_t q = get_i(&r, v, "queued_ms", -((json_int_t)1 << 52), (json_int_t)1 << 52);
        if (r.bad || lq_train_add(t, pr, head, names, n, all, q, &e2)) {
            if (!r.bad)
                lq_error_set(err, LQ_EINVAL, "stored train: entry #%d: %s", pr, e2.msg);
            r.bad = 1;
            break;
        }
        lq_train_entry *e = &t->e[t->ne - 1];
        for (size_t x = 0; x < t->ne; x++) /* lq_train_add may have sorted it anywhere */
            if (t->e[x].pr == pr)
                e = &t->e[x];
        int st = state_of(get_s(&r, v, "state", 32), ename, 6);
        if (st < 0 && !r.bad) {
            lq_error_set(err, LQ_EINVAL, "stored train: entry #%d: unknown state", pr);
            r.bad = 1;
        }
        e->state = (lq_entry_state)(st < 0 ? 0 : st);
        e->build = (uint32_t)get_i(&r, v, "build", 0, 0xFFFFFFFF);
        e->hold = (uint32_t)get_i(&r, v, "hold", 0, 0xFFFFFFFF);
        CPY(e->hold_failure, get_s(&r, v, "hold_failure", 512));
        CPY(e->candidate, get_s(&r, v, "candidate", 41));
        CPY(e->landed, get_s(&r, v, "landed", 41));
        e->retries = (unsigned)get_i(&r, v, "retries", 0, 1000000);
        e->builds = (unsigned)get_i(&r, v, "builds", 0, 1000000000);
        CPY(e->reason, get_s(&r, v, "reason", 1024));
        e->landed_ms = get_i(&r, v, "landed_ms", -((json_int_t)1 << 52), (json_int_t)1 << 52);
    }
    json_array_foreach(r.bad ? NULL : bs, i, v) {
        if (t->nb == t->bcap) {
            size_t cap = t->bcap ? t->bcap * 2 : 16;
            lq_train_build *nb = realloc(t->b, cap * sizeof *nb);
            if (!nb) {
                r.bad = 1;
                lq_error_set(err, LQ_ENOMEM, "out of memory");
                break;
            }
            t->b = nb;
            t->bcap = cap;
        }
        lq_train_build *b = &t->b[t->nb];
        memset(b, 0, sizeof *b);
        b->id = (uint32_t)get_i(&r, v, "id", 1, 0xFFFFFFF0);
        b->parent = (uint32_t)get_i(&r, v, "parent", 0, 0xFFFFFFF0);
        CPY(b->base, get_s(&r, v, "base", 41));
        json_t *prs = json_object_get(v, "prs");
        size_t k;
        json_t *p;
        if (!json_is_array(prs) || json_array_size(prs) == 0 || json_array_size(prs) > LQ_TRAIN_MAX_BATCH) {
            if (!r.bad)
                lq_error_set(err, LQ_EINVAL, "stored train: build %u: bad prs", b->id);
            r.bad = 1;
            break;
        }
        json_array_foreach(prs, k, p) b->prs[b->nprs++] = (int)json_integer_value(p);
        int st = state_of(get_s(&r, v, "state", 32), bname, 7);
        if (st < 0 && !r.bad) {
            lq_error_set(err, LQ_EINVAL, "stored train: build %u: unknown state", b->id);
            r.bad = 1;
        }
        b->state = (lq_build_state)(st < 0 ? 0 : st);
        b->attempt = (unsigned)get_i(&r, v, "attempt", 0, 100);
        CPY(b->sha, get_s(&r, v, "sha", 41));
        CPY(b->ref, get_s(&r, v, "ref", sizeof b->ref));
        b->started_ms = get_i(&r, v, "started_ms", -((json_int_t)1 << 52), (json_int_t)1 << 52);
        b->retry_at_ms = get_i(&r, v, "retry_at_ms", -((json_int_t)1 << 52), (json_int_t)1 << 52);
        b->min_check_id = get_i(&r, v, "min_check_id", 0, (json_int_t)1 << 60);
        b->rescued = get_b(&r, v, "rescued");
        b->blamed = get_b(&r, v, "blamed");
        CPY(b->failure, get_s(&r, v, "failure", 1024));
        CPY(b->pending, get_s(&r, v, "pending", 512));
        if (!r.bad)
            t->nb++;
    }
    json_array_foreach(r.bad ? NULL : dead, i, v) {
        if (!json_is_string(v))
            continue;
        char **n = realloc(t->dead, (t->ndead + 1) * sizeof *n);
        if (!n || !(n[t->ndead] = strdup(json_string_value(v)))) {
            if (n)
                t->dead = n;
            r.bad = 1;
            lq_error_set(err, LQ_ENOMEM, "out of memory");
            break;
        }
        t->dead = n;
        t->ndead++;
    }
    json_array_foreach(r.bad ? NULL : ring, i, v) {
        if (!json_is_string(v) || json_string_length(v) != 40)
            continue;
        CPY(t->ring[t->ringpos], json_string_value(v));
        t->ringpos = (t->ringpos + 1) % LQ_TRAIN_RING;
        if (t->nring < LQ_TRAIN_RING)
            t->nring++;
    }
    /* every reference must resolve: an entry's build, a build's parent */
    for (size_t x = 0; !r.bad && x < t->ne; x++) {
        const lq_train_entry *e = &t->e[x];
        if ((e->build && !lq_train_build_find(t, e->build)) ||
            ((e->state == LQ_ENTRY_IN_BUILD || e->state == LQ_ENTRY_LANDING) && !e->build)) {
            lq_error_set(err, LQ_EINVAL, "stored train: entry #%d refers to a missing build", e->pr);
            r.bad = 1;
        }
    }
    for (size_t x = 0; !r.bad && x < t->nb; x++) {
        if (t->b[x].parent && !lq_train_build_find(t, t->b[x].parent)) {
            lq_error_set(err, LQ_EINVAL, "stored train: build %u is chained on a missing build", t->b[x].id);
            r.bad = 1;
        }
        if (t->b[x].id >= t->next_id)
            t->next_id = t->b[x].id + 1;
    }
    if (r.bad) {
        lq_train_free(t);
        return err && err->code ? err->code : LQ_EINVAL;
    }
    *out = t;
    return LQ_OK;
}
