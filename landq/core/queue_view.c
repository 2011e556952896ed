/* queue_view.c -- the queue page's model, ordering and renderings (pure). */
#include "queue_view.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "html.h"
#include "page_html.h"

static const char *const state_names[LQ_QV_STATE_COUNT] = {
    "armed", "waiting_for_owners", "waiting_for_checks", "waiting", "held",
    "testing", "ready", "landing", "blocked"};
static const char *const state_labels[LQ_QV_STATE_COUNT] = {
    "armed", "waiting for owners", "waiting for checks", "waiting", "held: branch frozen",
    "testing", "ready", "landing", "blocked"};
/* A symbol next to the words, so colour is never the only signal (aria-hidden). */
static const char *const state_icons[LQ_QV_STATE_COUNT] = {
    "\xE2\x97\x8B", /* ○ */ "\xE2\x9A\x91", /* ⚑ */ "\xE2\x97\xB7", /* ◷ */
    "\xE2\x80\xA6", /* … */ "\xE2\x9D\x84", /* ❄ */ "\xE2\x96\xB6", /* ▶ */
    "\xE2\x9C\x93", /* ✓ */ "\xE2\x87\xA2", /* ⇢ */ "\xE2\x9C\x97" /* ✗ */};

const char *lq_qv_state_str(lq_qv_state s)
{
    return (unsigned)s < LQ_QV_STATE_COUNT ? state_names[s] : "invalid";
}

const char *lq_qv_state_label(lq_qv_state s)
{
    return (unsigned)s < LQ_QV_STATE_COUNT ? state_labels[s] : "invalid";
}

void lq_qv_duration(char *out, size_t cap, int64_t ms)
{
    int64_t s = ms > 0 ? ms / 1000 : 0;
    if (s < 60)
        snprintf(out, cap, "%lld s", (long long)s);
    else if (s < 3600)
        snprintf(out, cap, "%lld min", (long long)(s / 60));
    else if (s < 86400)
        snprintf(out, cap, "%lld h %lld min", (long long)(s / 3600), (long long)(s % 3600 / 60));
    else
        snprintf(out, cap, "%lld d %lld h", (long long)(s / 86400), (long long)(s % 86400 / 3600));
}

void lq_qv_iso(char *out, size_t cap, int64_t ms)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    if (ms < 0 || !gmtime_r(&t, &tm) || !strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm))
        snprintf(out, cap, "%s", "?");
}

/* ---------------------------------------------------------------- reading the evaluation */

static const char *jstr(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static const json_t *verdict_of(const lq_qv_pr *p)
{
    return p->explain ? json_object_get(p->explain, "verdict") : NULL;
}

static int waiting_for(const lq_qv_pr *p, const char *what)
{
    const json_t *w = json_object_get(verdict_of(p), "waiting_for");
    size_t i;
    const json_t *x;
    json_array_foreach(w, i, x)
    {
        if (json_is_string(x) && !strcmp(json_string_value(x), what))
            return 1;
    }
    return 0;
}

static size_t missing_count(const lq_qv_pr *p)
{
    size_t i, n = 0;
    const json_t *f;
    json_array_foreach(json_object_get(p->explain, "files"), i, f)
    {
        if (json_is_string(json_object_get(f, "missing")))
            n++;
    }
    return n;
}

lq_qv_state lq_qv_state_of(const lq_qv_pr *p, const lq_qv_freeze *frozen)
{
    switch (p->state) {
    case LQ_PR_MERGING:
        return LQ_QV_LANDING;
    case LQ_PR_BLOCKED:
        return LQ_QV_BLOCKED;
    case LQ_PR_READY:
        if (p->testing)
            return LQ_QV_TESTING;
        return frozen ? LQ_QV_HELD : LQ_QV_READY;
    default:
        break;
    }
    if (p->testing)
        return LQ_QV_TESTING;
    const char *kind = jstr(verdict_of(p), "kind");
    if (!kind)
        return LQ_QV_ARMED;
    if (waiting_for(p, "owners") || missing_count(p))
        return LQ_QV_WAIT_OWNERS;
    if (waiting_for(p, "freeze"))
        return LQ_QV_HELD;
    if (waiting_for(p, "checks"))
        return LQ_QV_WAIT_CHECKS;
    if (!strcmp(kind, "wait"))
        return LQ_QV_WAITING;
    if (!strcmp(kind, "ready"))
        return frozen ? LQ_QV_HELD : LQ_QV_READY;
    if (!strcmp(kind, "blocked"))
        return LQ_QV_BLOCKED;
    return LQ_QV_ARMED;
}

const lq_qv_freeze *lq_qv_frozen(const lq_qv *v, const char *repo, const char *branch)
{
    for (size_t i = 0; i < v->freeze_count; i++)
        if (v->freezes[i].repo && v->freezes[i].branch && !strcasecmp(v->freezes[i].repo, repo) &&
            !strcmp(v->freezes[i].branch, branch))
            return &v->freezes[i];
    return NULL;
}

/* ---------------------------------------------------------------- grouping and order */

typedef struct item {
    const lq_qv_pr *p;
    size_t repo_rank; /* index in v->repos (served repositories first, in config order) */
} item;

static const char *lane_of(const lq_qv_pr *p)
{
    return p->lane ? p->lane : "";
}

static int cmp_item(const void *a, const void *b)
{
    const item *x = a, *y = b;
    if (x->repo_rank != y->repo_rank)
        return x->repo_rank < y->repo_rank ? -1 : 1;
    int c = strcasecmp(x->p->repo, y->p->repo);
    if (!c)
        c = strcmp(x->p->base, y->p->base);
    if (!c)
        c = strcmp(lane_of(x->p), lane_of(y->p));
    if (c)
        return c;
    lq_queue_entry ea = {x->p->repo, x->p->base, x->p->number, x->p->labeled_at_ms,
                         x->p->state, x->p->priority};
    lq_queue_entry eb = {y->p->repo, y->p->base, y->p->number, y->p->labeled_at_ms,
                         y->p->state, y->p->priority};
    return lq_queue_before(&ea, &eb) ? -1 : lq_queue_before(&eb, &ea) ? 1 : 0;
}

static size_t repo_rank(const lq_qv *v, const char *repo)
{
    for (size_t i = 0; i < v->repo_count; i++)
        if (!strcasecmp(v->repos[i], repo))
            return i;
    return v->repo_count;
}

/* The queued pull requests of v in display order (new array, free()); *n receives the count. */
static item *ordered(const lq_qv *v, size_t *n)
{
    *n = 0;
    item *it = calloc(v->pr_count + 1, sizeof(*it));
    if (!it)
        return NULL;
    for (size_t i = 0; i < v->pr_count; i++) {
        const lq_qv_pr *p = &v->prs[i];
        if (!p->repo || !p->base || !lq_queue_is_queued(p->state))
            continue;
        it[*n].p = p;
        it[*n].repo_rank = repo_rank(v, p->repo);
        (*n)++;
    }
    qsort(it, *n, sizeof(*it), cmp_item);
    return it;
}

static int same_branch(const lq_qv_pr *a, const lq_qv_pr *b)
{
    return !strcasecmp(a->repo, b->repo) && !strcmp(a->base, b->base);
}

static int same_lane(const lq_qv_pr *a, const lq_qv_pr *b)
{
    return same_branch(a, b) && !strcmp(lane_of(a), lane_of(b));
}

/* The branches shown for repo: those with queued pull requests (it[0..n) ordered) and the
 * frozen ones, each once, sorted. New array of borrowed names (free()). */
static const char **branches_of(const lq_qv *v, const item *it, size_t n, const char *repo,
                                size_t *count)
{
    *count = 0;
    const char **b = calloc(n + v->freeze_count + 1, sizeof(*b));
    if (!b)
        return NULL;
    for (size_t i = 0; i < n + v->freeze_count; i++) {
        const char *r = i < n ? it[i].p->repo : v->freezes[i - n].repo;
        const char *name = i < n ? it[i].p->base : v->freezes[i - n].branch;
        if (!r || !name || strcasecmp(r, repo))
            continue;
        size_t k = 0;
        while (k < *count && strcmp(b[k], name))
            k++;
        if (k == *count)
            b[(*count)++] = name;
    }
    for (size_t i = 1; i < *count; i++) /* insertion sort: a handful of branches */
        for (size_t k = i; k > 0 && strcmp(b[k - 1], b[k]) > 0; k--) {
            const char *t = b[k];
            b[k] = b[k - 1];
            b[k - 1] = t;
        }
    return b;
}

/* The repositories shown: served ones in config order, then any other that has entries. */
static const char **repos_of(const lq_qv *v, const item *it, size_t n, size_t *count)
{
    *count = 0;
    const char **r = calloc(v->repo_count + n + v->freeze_count + 1, sizeof(*r));
    if (!r)
        return NULL;
    for (size_t i = 0; i < v->repo_count + n + v->freeze_count; i++) {
        const char *name = i < v->repo_count ? v->repos[i]
                           : i < v->repo_count + n ? it[i - v->repo_count].p->repo
                                                   : v->freezes[i - v->repo_count - n].repo;
        if (!name)
            continue;
        size_t k = 0;
        while (k < *count && strcasecmp(r[k], name))
            k++;
        if (k == *count)
            r[(*count)++] = name;
    }
    return r;
}

size_t lq_qv_position(const lq_qv *v, const lq_qv_pr *pr, size_t *total)
{
    size_t pos = 0, count = 0;
    int seen = 0;
    if (total)
        *total = 0;
    if (!pr->repo || !pr->base || !lq_queue_is_queued(pr->state))
        return 0;
    lq_queue_entry self = {pr->repo, pr->base, pr->number, pr->labeled_at_ms, pr->state,
                           pr->priority};
    for (size_t i = 0; i < v->pr_count; i++) {
        const lq_qv_pr *p = &v->prs[i];
        if (!p->repo || !p->base || !lq_queue_is_queued(p->state) || !same_lane(p, pr))
            continue;
        count++;
        lq_queue_entry e = {p->repo, p->base, p->number, p->labeled_at_ms, p->state,
                            p->priority};
        if (p->number == pr->number && !strcasecmp(p->repo, pr->repo))
            seen = 1;
        else if (lq_queue_before(&e, &self))
            pos++;
    }
    if (total)
        *total = count + !seen;
    return pos + 1;
}

/* ---------------------------------------------------------------- JSON */

static void pr_url(char *out, size_t cap, const lq_qv *v, const char *repo, int number)
{
    snprintf(out, cap, "%s/%s/pull/%d", v->web_url ? v->web_url : "https://github.com", repo,
             number);
}

static json_t *freeze_json(const lq_qv_freeze *f)
{
    char since[32];
    lq_qv_iso(since, sizeof since, f->since_ms);
    return json_pack("{s:s?, s:s?, s:s?, s:s?, s:s}", "repo", f->repo, "branch", f->branch,
                     "reason", f->reason, "by", f->by, "since", since);
}

static json_t *missing_json(const lq_qv_pr *p)
{
    json_t *a = json_array();
    size_t i;
    const json_t *f;
    json_array_foreach(json_object_get(p->explain, "files"), i, f)
    {
        const char *m = jstr(f, "missing");
        if (m && a)
            json_array_append_new(a, json_pack("{s:s?, s:s}", "path", jstr(f, "path"), "owners",
                                               m));
    }
    return a;
}

static json_t *pending_json(const lq_qv *v, const lq_qv_pr *p)
{
    json_t *a = json_array();
    size_t i;
    const json_t *c;
    json_array_foreach(json_object_get(p->explain, "checks"), i, c)
    {
        const char *name = jstr(c, "name"), *st = jstr(c, "state");
        if (a && name && st && !strcmp(st, "pending") &&
            !(v->status_context && !strcasecmp(name, v->status_context)))
            json_array_append_new(a, json_string(name));
    }
    return a;
}

static json_t *pr_json(const lq_qv *v, const lq_qv_pr *p, size_t position, lq_qv_state st)
{
    char url[600], page[600], at[32];
    pr_url(url, sizeof url, v, p->repo, p->number);
    snprintf(page, sizeof page, "/queue/%s/%d", p->repo, p->number);
    lq_qv_iso(at, sizeof at, p->labeled_at_ms);
    const json_t *vd = verdict_of(p);
    const char *title = p->explain && jstr(p->explain, "title") ? jstr(p->explain, "title")
                                                                : p->title;
    const json_t *reasons = json_object_get(vd, "reasons");
    return json_pack(
        "{s:i, s:s?, s:s?, s:s, s:s, s:s, s:s, s:I, s:s, s:I, s:b, s:s?, s:s?, s:b,"
        " s:{s:s?, s:o}, s:o, s:o}",
        "number", p->number, "title", title, "author", jstr(p->explain, "author"), "url", url,
        "page", page, "state", lq_qv_state_str(st), "state_text", lq_qv_state_label(st),
        "position", (json_int_t)position, "queued_at", at, "in_queue_s",
        (json_int_t)(v->now_ms > p->labeled_at_ms ? (v->now_ms - p->labeled_at_ms) / 1000 : 0),
        "priority", p->priority != 0, "labeler", p->labeler && p->labeler[0] ? p->labeler : NULL,
        "head_sha", jstr(p->explain, "head_sha"), "evaluated", p->explain != NULL, "why",
        "summary", jstr(vd, "summary"), "reasons",
        json_is_array(reasons) ? json_deep_copy(reasons) : json_array(), "waiting_for_owners",
        missing_json(p), "checks_pending", pending_json(v, p));
}

int lq_qv_json(const lq_qv *v, json_t **out, lq_error *err)
{
    *out = NULL;
    size_t n = 0, nrepos = 0;
    item *it = ordered(v, &n);
    const char **repos = it ? repos_of(v, it, n, &nrepos) : NULL;
    char now[32];
    lq_qv_iso(now, sizeof now, v->now_ms);
    json_t *o = json_pack("{s:s, s:s?, s:o, s:o, s:o}", "generated_at", now, "priority_label",
                          v->priority_label, "repos", json_array(), "landings", json_array(),
                          "frozen", json_array());
    int ok = it && repos && o;
    if (ok && v->rate.remaining >= 0) {
        char reset[32];
        lq_qv_iso(reset, sizeof reset, v->rate.reset_s * 1000);
        json_object_set_new(o, "rate_limit",
                            json_pack("{s:I, s:I, s:s?}", "remaining",
                                      (json_int_t)v->rate.remaining, "limit",
                                      (json_int_t)(v->rate.limit >= 0 ? v->rate.limit : 0),
                                      "reset_at", v->rate.reset_s > 0 ? reset : NULL));
    } else if (ok) {
        json_object_set_new(o, "rate_limit", json_null());
    }
    json_t *jrepos = ok ? json_object_get(o, "repos") : NULL;
    for (size_t r = 0; ok && r < nrepos; r++) {
        char rurl[400];
        snprintf(rurl, sizeof rurl, "%s/%s", v->web_url ? v->web_url : "https://github.com",
                 repos[r]);
        json_t *jr = json_pack("{s:s, s:s, s:o}", "repo", repos[r], "url", rurl, "branches",
                               json_array());
        ok = jr && !json_array_append_new(jrepos, jr);
        size_t nb = 0;
        const char **branches = ok ? branches_of(v, it, n, repos[r], &nb) : NULL;
        ok = ok && branches;
        for (size_t b = 0; ok && b < nb; b++) {
            const lq_qv_freeze *fz = lq_qv_frozen(v, repos[r], branches[b]);
            json_t *jb = json_pack("{s:s, s:o, s:I, s:o}", "branch", branches[b], "frozen",
                                   fz ? freeze_json(fz) : json_null(), "queued", (json_int_t)0,
                                   "lanes", json_array());
            ok = jb && !json_array_append_new(json_object_get(jr, "branches"), jb);
            json_t *jl = NULL;
            size_t queued = 0, pos = 0;
            const lq_qv_pr *lane_first = NULL;
            for (size_t i = 0; ok && i < n; i++) {
                const lq_qv_pr *p = it[i].p;
                if (strcasecmp(p->repo, repos[r]) || strcmp(p->base, branches[b]))
                    continue;
                if (!lane_first || !same_lane(lane_first, p)) {
                    lane_first = p;
                    pos = 0;
                    jl = json_pack("{s:s?, s:o}", "lane", p->lane && p->lane[0] ? p->lane : NULL,
                                   "pulls", json_array());
                    ok = jl && !json_array_append_new(json_object_get(jb, "lanes"), jl);
                }
                json_t *jp = ok ? pr_json(v, p, ++pos, lq_qv_state_of(p, fz)) : NULL;
                ok = jp && !json_array_append_new(json_object_get(jl, "pulls"), jp);
                queued++;
            }
            if (ok)
                json_object_set_new(jb, "queued", json_integer((json_int_t)queued));
        }
        free(branches);
    }
    for (size_t i = 0; ok && i < v->landing_count; i++) {
        const lq_qv_landing *l = &v->landings[i];
        char url[600], at[32];
        pr_url(url, sizeof url, v, l->repo ? l->repo : "", l->number);
        lq_qv_iso(at, sizeof at, l->landed_at_ms);
        json_t *jl = json_pack("{s:s?, s:i, s:s?, s:s?, s:s, s:s, s:s?}", "repo", l->repo,
                               "number", l->number, "title", l->title, "branch", l->base, "url",
                               url, "landed_at", at, "commit", l->commit_sha);
        if (jl && l->labeled_at_ms > 0 && l->landed_at_ms >= l->labeled_at_ms)
            json_object_set_new(jl, "time_to_land_s",
                                json_integer((l->landed_at_ms - l->labeled_at_ms) / 1000));
        else if (jl)
            json_object_set_new(jl, "time_to_land_s", json_null());
        ok = jl && !json_array_append_new(json_object_get(o, "landings"), jl);
    }
    for (size_t i = 0; ok && i < v->freeze_count; i++) {
        json_t *jf = freeze_json(&v->freezes[i]);
        ok = jf && !json_array_append_new(json_object_get(o, "frozen"), jf);
    }
    free(it);
    free(repos);
    if (!ok) {
        json_decref(o);
        return lq_error_set(err, LQ_ENOMEM, "out of memory");
    }
    *out = o;
    return LQ_OK;
}

/* ---------------------------------------------------------------- HTML */

uint64_t lq_qv_fnv(uint64_t h, const char *s)
{
    if (!h)
        h = 1469598103934665603ULL;
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++)
        h = (h ^ *p) * 1099511628211ULL;
    return (h ^ 0xFF) * 1099511628211ULL; /* a separator: "ab","c" differs from "a","bc" */
}

/* What the page says, as a number: the script announces a change only when this moves (the
 * durations and the clock change every render without anything happening). */
static uint64_t signature(const lq_qv *v, const item *it, size_t n)
{
    uint64_t h = lq_qv_fnv(0, "queue");
    char num[64];
    for (size_t i = 0; i < n; i++) {
        const lq_qv_pr *p = it[i].p;
        snprintf(num, sizeof num, "%d %d %zu", p->number, (int)lq_qv_state_of(p,
                 lq_qv_frozen(v, p->repo, p->base)), i);
        h = lq_qv_fnv(lq_qv_fnv(lq_qv_fnv(h, p->repo), num),
                      json_string_value(json_object_get(verdict_of(p), "summary")));
    }
    for (size_t i = 0; i < v->landing_count; i++) {
        snprintf(num, sizeof num, "landed %d", v->landings[i].number);
        h = lq_qv_fnv(lq_qv_fnv(h, v->landings[i].repo), num);
    }
    for (size_t i = 0; i < v->freeze_count; i++)
        h = lq_qv_fnv(lq_qv_fnv(lq_qv_fnv(h, v->freezes[i].repo), v->freezes[i].branch),
                      v->freezes[i].reason);
    return h;
}

static void html_freeze_note(lq_html *h, const lq_qv_freeze *f)
{
    char since[32];
    lq_qv_iso(since, sizeof since, f->since_ms);
    lq_html_raw(h, "<p class=\"frozen\"><strong><span aria-hidden=\"true\">\xE2\x9D\x84 </span>"
                   "Frozen</strong>: nothing lands on <code><bdi>");
    lq_html_text(h, f->branch);
    lq_html_raw(h, "</bdi></code> until it is unfrozen. Reason: <q><bdi>");
    lq_html_text(h, f->reason);
    lq_html_raw(h, "</bdi></q>, since <time datetime=\"");
    lq_html_text(h, since);
    lq_html_raw(h, "\">");
    lq_html_text(h, since);
    lq_html_raw(h, "</time>, by <bdi>");
    lq_html_text(h, f->by);
    lq_html_raw(h, "</bdi>.</p>\n");
}

void lq_qv_html_state(lq_html *h, lq_qv_state st)
{
    lq_html_rawf(h, "<span class=\"state st-%s\"><span aria-hidden=\"true\">%s</span> %s</span>",
                 lq_qv_state_str(st), state_icons[st], lq_qv_state_label(st));
}

static void html_why(lq_html *h, const lq_qv *v, const lq_qv_pr *p, lq_qv_state st)
{
    const json_t *vd = verdict_of(p);
    const char *summary = jstr(vd, "summary");
    if (!p->explain) {
        lq_html_raw(h, "<p>Not evaluated since landq started; it is re-checked shortly.</p>");
        return;
    }
    if (st == LQ_QV_LANDING)
        lq_html_raw(h, "<p>The merge is in flight.</p>");
    lq_html_raw(h, "<p class=\"summary\">");
    lq_html_codetext(h, summary ? summary : "");
    lq_html_raw(h, "</p>");
    json_t *missing = missing_json(p);
    if (json_array_size(missing)) {
        lq_html_raw(h, "<p class=\"owners\">Needs an approval on the current head from:</p><ul "
                       "class=\"owners\">");
        size_t i;
        json_t *m;
        json_array_foreach(missing, i, m)
        {
            lq_html_raw(h, "<li><code><bdi>");
            lq_html_text(h, jstr(m, "path"));
            lq_html_raw(h, "</bdi></code>: one of <bdi>");
            lq_html_text(h, jstr(m, "owners"));
            lq_html_raw(h, "</bdi></li>");
        }
        lq_html_raw(h, "</ul>");
    }
    json_decref(missing);
    json_t *pending = pending_json(v, p);
    if (json_array_size(pending)) {
        lq_html_raw(h, "<p class=\"checks\">Checks running: ");
        size_t i;
        json_t *c;
        json_array_foreach(pending, i, c)
        {
            lq_html_raw(h, i ? ", <code><bdi>" : "<code><bdi>");
            lq_html_text(h, json_string_value(c));
            lq_html_raw(h, "</bdi></code>");
        }
        lq_html_raw(h, "</p>");
    }
    json_decref(pending);
    const json_t *reasons = json_object_get(vd, "reasons");
    if (json_array_size(reasons)) {
        lq_html_rawf(h, "<details id=\"why-%d\"><summary>All reasons</summary><ul>", p->number);
        size_t i;
        const json_t *r;
        json_array_foreach(reasons, i, r)
        {
            lq_html_raw(h, "<li>");
            lq_html_codetext(h, json_string_value(r));
            lq_html_raw(h, "</li>");
        }
        lq_html_raw(h, "</ul></details>");
    }
}

static void html_pr_row(lq_html *h, const lq_qv *v, const lq_qv_pr *p, size_t pos,
                        const lq_qv_freeze *fz)
{
    lq_qv_state st = lq_qv_state_of(p, fz);
    char url[600], dur[64], at[32];
    pr_url(url, sizeof url, v, p->repo, p->number);
    lq_qv_duration(dur, sizeof dur, v->now_ms - p->labeled_at_ms);
    lq_qv_iso(at, sizeof at, p->labeled_at_ms);
    const char *title = p->explain && jstr(p->explain, "title") ? jstr(p->explain, "title")
                                                                : p->title;
    const char *author = jstr(p->explain, "author");
    /* explicit roles keep the table semantics when a phone stacks the cells (queue.css) */
    lq_html_rawf(h, "<tr role=\"row\" id=\"pr-%d\" data-state=\"%s\"><td role=\"cell\" "
                    "class=\"pos\" data-label=\"Position\">%zu</td><td role=\"cell\" "
                    "class=\"pull\">", p->number, lq_qv_state_str(st), pos);
    char text[32];
    snprintf(text, sizeof text, "#%d", p->number);
    lq_html_link(h, v->web_url, url, text);
    lq_html_raw(h, " <bdi class=\"title\">");
    lq_html_text(h, title ? title : "(title not known yet)");
    lq_html_raw(h, "</bdi>");
    if (p->priority)
        lq_html_raw(h, " <span class=\"urgent\"><span aria-hidden=\"true\">\xE2\x9A\xA1</span> "
                       "priority</span>");
    if (author) {
        lq_html_raw(h, "<br><span class=\"by\">by <bdi>");
        lq_html_text(h, author);
        lq_html_raw(h, "</bdi></span>");
    }
    lq_html_raw(h, "</td><td role=\"cell\" data-label=\"State\">");
    lq_qv_html_state(h, st);
    lq_html_raw(h, "</td><td role=\"cell\" data-label=\"In queue\"><time datetime=\"");
    lq_html_text(h, at);
    lq_html_raw(h, "\" title=\"labeled ");
    lq_html_text(h, at);
    lq_html_raw(h, "\">");
    lq_html_text(h, dur);
    lq_html_raw(h, "</time></td><td role=\"cell\" class=\"why\">");
    html_why(h, v, p, st);
    lq_html_rawf(h, "<a class=\"more\" href=\"/queue/");
    lq_html_attr(h, p->repo);
    lq_html_rawf(h, "/%d\">Details and history<span class=\"sr\"> of #%d</span></a></td></tr>\n",
                 p->number, p->number);
}

static void html_landings(lq_html *h, const lq_qv *v)
{
    lq_html_raw(h, "<section aria-labelledby=\"landings\"><h2 id=\"landings\">Last landings</h2>\n");
    if (!v->landing_count) {
        lq_html_raw(h, "<p>Nothing landed yet.</p></section>\n");
        return;
    }
    lq_html_raw(h, "<div class=\"scroll\"><table role=\"table\" class=\"landings\"><caption>"
                   "The most recent landings, newest first</caption><thead role=\"rowgroup\">"
                   "<tr role=\"row\"><th role=\"columnheader\" scope=\"col\">Pull request</th>"
                   "<th role=\"columnheader\" scope=\"col\">Branch</th>"
                   "<th role=\"columnheader\" scope=\"col\">Landed</th>"
                   "<th role=\"columnheader\" scope=\"col\">Time to land</th>"
                   "<th role=\"columnheader\" scope=\"col\">Commit</th></tr></thead>"
                   "<tbody role=\"rowgroup\">\n");
    for (size_t i = 0; i < v->landing_count; i++) {
        const lq_qv_landing *l = &v->landings[i];
        char url[600], at[32], text[300], dur[64] = "unknown";
        pr_url(url, sizeof url, v, l->repo ? l->repo : "", l->number);
        lq_qv_iso(at, sizeof at, l->landed_at_ms);
        snprintf(text, sizeof text, "%s#%d", l->repo ? l->repo : "?", l->number);
        if (l->labeled_at_ms > 0 && l->landed_at_ms >= l->labeled_at_ms)
            lq_qv_duration(dur, sizeof dur, l->landed_at_ms - l->labeled_at_ms);
        lq_html_raw(h, "<tr role=\"row\"><td role=\"cell\" class=\"pull\">");
        lq_html_link(h, v->web_url, url, text);
        if (l->title) {
            lq_html_raw(h, " <bdi class=\"title\">");
            lq_html_text(h, l->title);
            lq_html_raw(h, "</bdi>");
        }
        lq_html_raw(h, "</td><td role=\"cell\" data-label=\"Branch\"><code><bdi>");
        lq_html_text(h, l->base);
        lq_html_raw(h, "</bdi></code></td><td role=\"cell\" data-label=\"Landed\"><time "
                       "datetime=\"");
        lq_html_text(h, at);
        lq_html_raw(h, "\">");
        lq_html_text(h, at);
        lq_html_raw(h, "</time></td><td role=\"cell\" data-label=\"Time to land\">");
        lq_html_text(h, dur);
        lq_html_raw(h, "</td><td role=\"cell\" data-label=\"Commit\"><code>");
        lq_html_textn(h, l->commit_sha ? l->commit_sha : "", l->commit_sha ? 12 : 0);
        lq_html_raw(h, "</code></td></tr>\n");
    }
    lq_html_raw(h, "</tbody></table></div></section>\n");
}

static void html_rate(lq_html *h, const lq_qv *v)
{
    lq_html_raw(h, "<p class=\"rate\" id=\"rate\">GitHub API budget: ");
    if (v->rate.remaining < 0) {
        lq_html_raw(h, "not known yet (no GitHub answer so far).</p>\n");
        return;
    }
    lq_html_rawf(h, "<strong>%ld</strong>", v->rate.remaining);
    if (v->rate.limit >= 0)
        lq_html_rawf(h, " of %ld", v->rate.limit);
    lq_html_raw(h, " requests left");
    if (v->rate.reset_s > 0) {
        char at[32];
        lq_qv_iso(at, sizeof at, v->rate.reset_s * 1000);
        lq_html_rawf(h, ", resets at <time datetime=\"%s\">%s</time>", at, at);
    }
    lq_html_raw(h, ".</p>\n");
}

static void html_branch(lq_html *h, const lq_qv *v, const item *it, size_t n, const char *repo,
                        const char *branch, size_t sec)
{
    const lq_qv_freeze *fz = lq_qv_frozen(v, repo, branch);
    size_t queued = 0;
    for (size_t i = 0; i < n; i++)
        queued += !strcasecmp(it[i].p->repo, repo) && !strcmp(it[i].p->base, branch);
    lq_html_rawf(h, "<section class=\"branch%s\" aria-labelledby=\"b%zu\"><h3 id=\"b%zu\">"
                    "<code><bdi>", fz ? " is-frozen" : "", sec, sec);
    lq_html_text(h, branch);
    lq_html_rawf(h, "</bdi></code> <span class=\"count\">%zu queued</span>%s</h3>\n", queued,
                 fz ? " <span class=\"badge-frozen\">frozen</span>" : "");
    if (fz)
        html_freeze_note(h, fz);
    const lq_qv_pr *lane_first = NULL;
    size_t pos = 0;
    for (size_t i = 0; i < n; i++) {
        const lq_qv_pr *p = it[i].p;
        if (strcasecmp(p->repo, repo) || strcmp(p->base, branch))
            continue;
        if (!lane_first || !same_lane(lane_first, p)) {
            if (lane_first)
                lq_html_raw(h, "</tbody></table></div>\n");
            lane_first = p;
            pos = 0;
            lq_html_raw(h, "<div class=\"scroll\"><table role=\"table\" class=\"queue\"><caption>");
            if (p->lane && p->lane[0]) {
                lq_html_raw(h, "Lane <bdi>");
                lq_html_text(h, p->lane);
                lq_html_raw(h, "</bdi>: ");
            }
            lq_html_raw(h, "pull requests in landing order</caption><thead role=\"rowgroup\">"
                           "<tr role=\"row\"><th role=\"columnheader\" scope=\"col\">Position"
                           "</th><th role=\"columnheader\" scope=\"col\">Pull request</th>"
                           "<th role=\"columnheader\" scope=\"col\">State</th>"
                           "<th role=\"columnheader\" scope=\"col\">In queue</th>"
                           "<th role=\"columnheader\" scope=\"col\">Why</th></tr></thead>"
                           "<tbody role=\"rowgroup\">\n");
        }
        html_pr_row(h, v, p, ++pos, fz);
    }
    if (lane_first)
        lq_html_raw(h, "</tbody></table></div>\n");
    lq_html_raw(h, "</section>\n");
}

int lq_qv_html(const lq_qv *v, char **out, lq_error *err)
{
    *out = NULL;
    size_t n = 0, nrepos = 0;
    item *it = ordered(v, &n);
    const char **repos = it ? repos_of(v, it, n, &nrepos) : NULL;
    lq_html h = {0};
    char now[32];
    lq_qv_iso(now, sizeof now, v->now_ms);
    lq_page_head(&h, "landq queue", v->refresh_s);
    lq_html_raw(&h, "<header><h1>landq queue</h1>\n<p class=\"meta\">As of <time id=\"asof\" "
                    "datetime=\"");
    lq_html_text(&h, now);
    lq_html_raw(&h, "\">");
    lq_html_text(&h, now);
    lq_html_raw(&h, "</time>. Machine-readable: <a href=\"/api/queue\">/api/queue</a>.</p>\n");
    lq_html_raw(&h, "<p id=\"live\" class=\"live\" role=\"status\" aria-live=\"polite\"></p>"
                    "</header>\n");
    lq_html_rawf(&h, "<main id=\"queue\" data-sig=\"%016llx\">\n",
                 (unsigned long long)(it ? signature(v, it, n) : 0));
    html_rate(&h, v);
    if (v->priority_label) {
        lq_html_raw(&h, "<p class=\"legend\">Pull requests labeled <code><bdi>");
        lq_html_text(&h, v->priority_label);
        lq_html_raw(&h, "</bdi></code> by an allowed user go first "
                        "(<span aria-hidden=\"true\">\xE2\x9A\xA1</span> priority).</p>\n");
    }
    size_t sec = 0;
    for (size_t r = 0; it && repos && r < nrepos; r++) {
        char rurl[400];
        snprintf(rurl, sizeof rurl, "%s/%s", v->web_url ? v->web_url : "https://github.com",
                 repos[r]);
        lq_html_rawf(&h, "<section class=\"repo\" aria-labelledby=\"r%zu\"><h2 id=\"r%zu\">", r,
                     r);
        lq_html_link(&h, v->web_url, rurl, repos[r]);
        lq_html_raw(&h, "</h2>\n");
        size_t nb = 0;
        const char **branches = branches_of(v, it, n, repos[r], &nb);
        if (!branches)
            h.failed = 1;
        if (branches && !nb)
            lq_html_raw(&h, "<p class=\"empty\">Nothing queued.</p>\n");
        for (size_t b = 0; branches && b < nb; b++)
            html_branch(&h, v, it, n, repos[r], branches[b], sec++);
        free(branches);
        lq_html_raw(&h, "</section>\n");
    }
    html_landings(&h, v);
    lq_html_raw(&h, "<section aria-labelledby=\"frozen\"><h2 id=\"frozen\">Frozen branches</h2>\n");
    if (!v->freeze_count)
        lq_html_raw(&h, "<p>None.</p>\n");
    else
        lq_html_raw(&h, "<ul class=\"frozen-list\">\n");
    for (size_t i = 0; i < v->freeze_count; i++) {
        const lq_qv_freeze *f = &v->freezes[i];
        char since[32];
        lq_qv_iso(since, sizeof since, f->since_ms);
        lq_html_raw(&h, "<li><bdi>");
        lq_html_text(&h, f->repo);
        lq_html_raw(&h, "</bdi> <code><bdi>");
        lq_html_text(&h, f->branch);
        lq_html_raw(&h, "</bdi></code>: <q><bdi>");
        lq_html_text(&h, f->reason);
        lq_html_raw(&h, "</bdi></q>, since ");
        lq_html_text(&h, since);
        lq_html_raw(&h, ", by <bdi>");
        lq_html_text(&h, f->by);
        lq_html_raw(&h, "</bdi></li>\n");
    }
    if (v->freeze_count)
        lq_html_raw(&h, "</ul>\n");
    lq_html_raw(&h, "</section>\n</main>\n");
    lq_page_foot(&h);
    int ok = it && repos;
    free(it);
    free(repos);
    char *s = lq_html_take(&h);
    if (!ok || !s) {
        free(s);
        return lq_error_set(err, LQ_ENOMEM, "out of memory");
    }
    *out = s;
    return LQ_OK;
}
