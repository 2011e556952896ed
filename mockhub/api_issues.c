/* api_issues.c -- issues that are not pull requests (create, update, list with GitHub's filters)
 * and the issue search bots use (repo:, is:pr/is:issue, is:open/is:closed, label:, author:...).
 * Issues and pull requests share a repository's numbers; a plain issue gets `issues` webhooks,
 * a pull request `pull_request` ones, as on GitHub. */
#include "api.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int has_label(mh_pull *p, const char *name)
{
    size_t i;
    json_t *v;
    json_array_foreach(p->labels, i, v) {
        if (mh_streq_ci(json_string_value(v), name))
            return 1;
    }
    return 0;
}

/* Adds the label (created when missing) with its issue event and webhook; 0 if it was there. */
static int label_issue(mh_repo *r, mh_pull *p, const char *name, mh_user *who)
{
    json_t *l = mh_repo_label(r, name);
    if (!l)
        l = mh_repo_label_add(r, name, NULL, NULL);
    if (has_label(p, name))
        return 0;
    json_array_append(p->labels, json_object_get(l, "name"));
    mh_issue_event(r, p->number, "labeled", who,
                   json_pack("{s:{s:O, s:O}}", "label", "name", json_object_get(l, "name"), "color",
                             json_object_get(l, "color")));
    mh_emit_issue_or_pull(r, p, "labeled", who, json_pack("{s:o}", "label", mh_render_label(r, l)));
    return 1;
}

static int unlabel_issue(mh_repo *r, mh_pull *p, const char *name, mh_user *who)
{
    size_t i;
    json_t *v;
    json_array_foreach(p->labels, i, v) {
        if (!mh_streq_ci(json_string_value(v), name))
            continue;
        json_t *l = mh_repo_label(r, json_string_value(v));
        json_t *rendered = l ? mh_render_label(r, l) : NULL;
        mh_issue_event(r, p->number, "unlabeled", who,
                       json_pack("{s:{s:O, s:O}}", "label", "name", v, "color",
                                 l ? json_object_get(l, "color") : json_null()));
        json_array_remove(p->labels, i);
        if (rendered)
            mh_emit_issue_or_pull(r, p, "unlabeled", who, json_pack("{s:o}", "label", rendered));
        return 1;
    }
    return 0;
}

/* "labels": array of names or {name}; NULL (422 set) when malformed. New reference. */
static json_t *label_list(mh_ctx *c, json_t *v)
{
    if (!json_is_array(v)) {
        mh_invalid(c, "Issue", "labels", "invalid", NULL);
        return NULL;
    }
    json_t *out = json_array();
    size_t i;
    json_t *x;
    json_array_foreach(v, i, x) {
        json_t *n = json_is_object(x) ? json_object_get(x, "name") : x;
        if (!json_is_string(n) || !json_string_length(n)) {
            json_decref(out);
            mh_invalid(c, "Label", "name", "invalid", NULL);
            return NULL;
        }
        json_array_append(out, n);
    }
    return out;
}

/* POST /repos/{o}/{r}/issues: anyone who can read the repository may open an issue; labels are
 * kept only for triage and above (GitHub drops them silently for others). */
int h_issue_create(mh_ctx *c)
{
    if (mh_need_repo(c, 1) < 0 || need_object(c) < 0)
        return 0;
    if (!c->user) {
        mh_error(c, 401, "Requires authentication");
        return 0;
    }
    json_t *title = json_object_get(c->body, "title"), *body = json_object_get(c->body, "body");
    json_t *labels = json_object_get(c->body, "labels");
    if (!title || json_is_null(title)) {
        mh_invalid(c, "Issue", "title", "missing_field", NULL);
        return 0;
    }
    char tbuf[64];
    const char *t = json_string_value(title);
    if (json_is_integer(title)) { /* the description allows a number as the title */
        snprintf(tbuf, sizeof tbuf, "%lld", (long long)json_integer_value(title));
        t = tbuf;
    }
    if (!t || !*t) {
        mh_invalid(c, "Issue", "title", t ? "missing_field" : "invalid", NULL);
        return 0;
    }
    if (body && !json_is_string(body) && !json_is_null(body)) {
        mh_invalid(c, "Issue", "body", "invalid", NULL);
        return 0;
    }
    json_t *names = labels ? label_list(c, labels) : json_array();
    if (!names)
        return 0;
    mh_pull *p = mh_issue_new(c->repo, c->user, t, json_string_value(body));
    mh_log("info", "decision", "why=issue-opened repo=%s issue=%d user=%s", c->repo->full_name, p->number,
           c->user->login);
    mh_emit_issue(c->repo, p, "opened", c->user, NULL);
    if (c->role >= 2) {
        size_t i;
        json_t *n;
        json_array_foreach(names, i, n) {
            label_issue(c->repo, p, json_string_value(n), c->user);
        }
    }
    json_decref(names);
    c->status = 201;
    c->resp = mh_render_issue(c->repo, p);
    mh_set_header(c, "Location", json_string_value(json_object_get(c->resp, "url")));
    return 0;
}

/* PATCH /repos/{o}/{r}/issues/{n} on a plain issue: title, body, state (+ state_reason),
 * labels. The author may edit and close their issue; others need triage. */
int mh_issue_update_plain(mh_ctx *c, mh_pull *p)
{
    json_t *title = json_object_get(c->body, "title"), *body = json_object_get(c->body, "body");
    json_t *state = json_object_get(c->body, "state"), *reason = json_object_get(c->body, "state_reason");
    json_t *labels = json_object_get(c->body, "labels");
    if ((title && !json_is_string(title)) || (body && !json_is_string(body) && !json_is_null(body))) {
        mh_invalid(c, "Issue", title && !json_is_string(title) ? "title" : "body", "invalid", NULL);
        return 0;
    }
    if (state && (!json_is_string(state) ||
                  (strcmp(json_string_value(state), "open") && strcmp(json_string_value(state), "closed")))) {
        mh_invalid(c, "Issue", "state", "invalid", NULL);
        return 0;
    }
    const char *rs = json_string_value(reason);
    if (reason && !json_is_null(reason) &&
        (!rs || (strcmp(rs, "completed") && strcmp(rs, "not_planned") && strcmp(rs, "reopened")))) {
        mh_invalid(c, "Issue", "state_reason", "invalid", NULL);
        return 0;
    }
    int own = c->user && c->user == p->user;
    if ((!own && c->role < 2) || (labels && c->role < 2)) {
        mh_error(c, 403, "Resource not accessible by personal access token");
        return 0;
    }
    json_t *names = labels ? label_list(c, labels) : NULL;
    if (labels && !names)
        return 0;
    json_t *changes = json_object();
    if (title && strcmp(json_string_value(title), p->title)) {
        json_object_set_new(changes, "title", json_pack("{s:s}", "from", p->title));
        mh_issue_event(c->repo, p->number, "renamed", c->user,
                       json_pack("{s:{s:s, s:s}}", "rename", "from", p->title, "to", json_string_value(title)));
        free(p->title);
        p->title = strdup(json_string_value(title));
    }
    if (body && !(json_is_string(body) && p->body && !strcmp(p->body, json_string_value(body))) &&
        !(json_is_null(body) && !p->body)) {
        json_object_set_new(changes, "body", json_pack("{s:s}", "from", p->body ? p->body : ""));
        free(p->body);
        p->body = json_is_string(body) ? strdup(json_string_value(body)) : NULL;
    }
    if (json_object_size(changes)) {
        p->updated_at = mh_now();
        mh_emit_issue(c->repo, p, "edited", c->user, json_pack("{s:O}", "changes", changes));
    }
    json_decref(changes);
    if (names) {
        json_t *cur = json_deep_copy(p->labels);
        size_t i, k;
        json_t *n, *m;
        json_array_foreach(cur, i, n) {
            int keep = 0;
            json_array_foreach(names, k, m) keep |= mh_streq_ci(json_string_value(m), json_string_value(n));
            if (!keep)
                unlabel_issue(c->repo, p, json_string_value(n), c->user);
        }
        json_decref(cur);
        json_array_foreach(names, i, n) {
            label_issue(c->repo, p, json_string_value(n), c->user);
        }
        json_decref(names);
        p->updated_at = mh_now();
    }
    int want_open = state ? !strcmp(json_string_value(state), "open") : p->open;
    if (want_open != p->open) {
        p->open = want_open;
        p->updated_at = mh_now();
        if (want_open) {
            p->closed_at = 0;
            snprintf(p->state_reason, sizeof p->state_reason, "reopened");
            mh_issue_event(c->repo, p->number, "reopened", c->user, NULL);
            mh_emit_issue(c->repo, p, "reopened", c->user, NULL);
        } else {
            p->closed_at = mh_now();
            snprintf(p->state_reason, sizeof p->state_reason, "%s", rs && strcmp(rs, "reopened") ? rs : "completed");
            mh_issue_event(c->repo, p->number, "closed", c->user, NULL);
            mh_emit_issue(c->repo, p, "closed", c->user, NULL);
        }
    } else if (rs && !p->open && strcmp(rs, "reopened")) {
        snprintf(p->state_reason, sizeof p->state_reason, "%s", rs);
    }
    c->resp = mh_render_issue(c->repo, p);
    return 0;
}

static int cmp_issue(const mh_pull *x, const mh_pull *y, const char *sort, int asc)
{
    time_t a = !strcmp(sort, "updated") ? x->updated_at : x->created_at;
    time_t b = !strcmp(sort, "updated") ? y->updated_at : y->created_at;
    int d = a < b ? -1 : a > b ? 1 : x->number - y->number;
    if (!strcmp(sort, "comments"))
        d = x->comments != y->comments ? x->comments - y->comments : x->number - y->number;
    return asc ? d : -d;
}

static const char *g_sort;
static int g_asc;
static int qsort_issue(const void *a, const void *b)
{
    return cmp_issue(*(mh_pull *const *)a, *(mh_pull *const *)b, g_sort, g_asc);
}

static void sort_issues(mh_pull **v, size_t n, const char *sort, int asc)
{
    g_sort = sort; /* under the state lock: no other sort runs at the same time */
    g_asc = asc;
    qsort(v, n, sizeof *v, qsort_issue);
}

/* GET /repos/{o}/{r}/issues: issues and pull requests (the latter with "pull_request"), filters
 * state, labels (all of them; "none"), creator, since, sort (created|updated|comments),
 * direction. */
int h_issues_list(mh_ctx *c)
{
    if (mh_need_repo(c, 1) < 0)
        return 0;
    const char *state = mh_q(c, "state") ? mh_q(c, "state") : "open";
    const char *labels = mh_q(c, "labels"), *creator = mh_q(c, "creator"), *since = mh_q(c, "since");
    const char *sort = mh_q(c, "sort") ? mh_q(c, "sort") : "created";
    const char *dir = mh_q(c, "direction") ? mh_q(c, "direction") : "desc";
    time_t since_t = 0;
    if (strcmp(state, "open") && strcmp(state, "closed") && strcmp(state, "all")) {
        mh_invalid(c, "Issue", "state", "invalid", NULL);
        return 0;
    }
    if (strcmp(sort, "created") && strcmp(sort, "updated") && strcmp(sort, "comments")) {
        mh_invalid(c, "Issue", "sort", "invalid", NULL);
        return 0;
    }
    if (strcmp(dir, "asc") && strcmp(dir, "desc")) {
        mh_invalid(c, "Issue", "direction", "invalid", NULL);
        return 0;
    }
    if (since && mh_time_parse_iso(since, &since_t) < 0) {
        mh_invalid(c, "Issue", "since", "invalid", NULL);
        return 0;
    }
    mh_pull **v = malloc((c->repo->npulls + 1) * sizeof *v);
    size_t n = 0;
    for (size_t k = 0; k < c->repo->npulls; k++) {
        mh_pull *p = c->repo->pulls[k];
        if ((!strcmp(state, "open") && !p->open) || (!strcmp(state, "closed") && p->open))
            continue;
        if (creator && !(p->user && mh_streq_ci(p->user->login, creator)))
            continue;
        if (since_t && p->updated_at < since_t)
            continue;
        if (labels && !strcmp(labels, "none") && json_array_size(p->labels))
            continue;
        if (labels && *labels && strcmp(labels, "none")) {
            char buf[2048];
            snprintf(buf, sizeof buf, "%s", labels);
            int all = 1;
            for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save))
                all &= has_label(p, t);
            if (!all)
                continue;
        }
        v[n++] = p;
    }
    sort_issues(v, n, sort, !strcmp(dir, "asc"));
    json_t *arr = json_array();
    for (size_t k = 0; k < n; k++)
        json_array_append_new(arr, mh_render_issue(c->repo, v[k]));
    free(v);
    mh_paginate(c, arr);
    return 0;
}

/* ---- search ---- */

typedef struct {
    json_t *repos;   /* "owner/name" the query names (repo:), or empty = every visible one */
    int is_pr;       /* 1 is:pr, 0 is:issue, -1 either */
    int open;        /* 1 is:open, 0 is:closed, -1 either */
    int merged;      /* 1 is:merged, 0 is:unmerged, -1 either */
    json_t *labels;  /* label: (all of them) */
    json_t *nolabels; /* -label: */
    const char *author, *head, *base;
    json_t *words;   /* free text: every word in the title or body */
    char *text;      /* the query, split in place */
} search_q;

/* Parses GitHub's search syntax for the qualifiers mockhub knows. -1 with *bad = the qualifier it
 * does not know (the caller answers 422, never a silently wider search). */
static int search_parse(search_q *q, const char *query, char *bad, size_t badlen)
{
    memset(q, 0, sizeof *q);
    q->is_pr = q->open = q->merged = -1;
    q->repos = json_array();
    q->labels = json_array();
    q->nolabels = json_array();
    q->words = json_array();
    q->text = strdup(query);
    for (char *save = NULL, *t = strtok_r(q->text, " \t\r\n", &save); t; t = strtok_r(NULL, " \t\r\n", &save)) {
        int neg = t[0] == '-' && strchr(t, ':');
        char *w = neg ? t + 1 : t;
        char *colon = strchr(w, ':');
        if (!colon) {
            json_array_append_new(q->words, json_string(w));
            continue;
        }
        *colon = '\0';
        char *val = colon + 1;
        size_t vl = strlen(val);
        if (vl >= 2 && val[0] == '"' && val[vl - 1] == '"') {
            val[vl - 1] = '\0';
            val++;
        }
        if (!strcmp(w, "repo") && !neg)
            json_array_append_new(q->repos, json_string(val));
        else if ((!strcmp(w, "is") || !strcmp(w, "type")) && (!strcmp(val, "pr") || !strcmp(val, "issue")))
            q->is_pr = (!strcmp(val, "pr")) != neg;
        else if ((!strcmp(w, "is") || !strcmp(w, "state")) && (!strcmp(val, "open") || !strcmp(val, "closed")))
            q->open = (!strcmp(val, "open")) != neg;
        else if (!strcmp(w, "is") && (!strcmp(val, "merged") || !strcmp(val, "unmerged")))
            q->merged = (!strcmp(val, "merged")) != neg;
        else if (!strcmp(w, "label"))
            json_array_append_new(neg ? q->nolabels : q->labels, json_string(val));
        else if (!strcmp(w, "author") && !neg)
            q->author = val;
        else if (!strcmp(w, "head") && !neg)
            q->head = val;
        else if (!strcmp(w, "base") && !neg)
            q->base = val;
        else {
            snprintf(bad, badlen, "%s%s:%s", neg ? "-" : "", w, val);
            return -1;
        }
    }
    return 0;
}

static void search_dispose(search_q *q)
{
    json_decref(q->repos);
    json_decref(q->labels);
    json_decref(q->nolabels);
    json_decref(q->words);
    free(q->text);
}

static int contains_ci(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; hay && *hay; hay++)
        if (!strncasecmp(hay, needle, n))
            return 1;
    return n == 0;
}

static int search_match(const search_q *q, mh_pull *p)
{
    if ((q->is_pr == 1 && p->is_issue) || (q->is_pr == 0 && !p->is_issue) || (q->open >= 0 && q->open != p->open))
        return 0;
    if (q->merged >= 0 && (p->is_issue || p->merged != q->merged))
        return 0;
    if (q->author && !(p->user && mh_streq_ci(p->user->login, q->author)))
        return 0;
    if ((q->head && (p->is_issue || strcmp(q->head, p->head_ref))) || (q->base && (p->is_issue || strcmp(q->base, p->base_ref))))
        return 0;
    size_t i;
    json_t *v;
    json_array_foreach(q->labels, i, v) if (!has_label(p, json_string_value(v))) return 0;
    json_array_foreach(q->nolabels, i, v) if (has_label(p, json_string_value(v))) return 0;
    json_array_foreach(q->words, i, v) {
        const char *w = json_string_value(v);
        if (!contains_ci(p->title, w) && !contains_ci(p->body, w))
            return 0;
    }
    return 1;
}

/* GET /search/issues?q=...&sort=created|updated|comments&order=asc|desc: issues and pull requests
 * of the repositories the caller can see. */
int h_search_issues(mh_ctx *c)
{
    const char *query = mh_q(c, "q");
    if (!query || !*query) {
        mh_invalid(c, "Search", "q", "missing", NULL);
        return 0;
    }
    const char *sort = mh_q(c, "sort") ? mh_q(c, "sort") : "created";
    const char *order = mh_q(c, "order") ? mh_q(c, "order") : "desc";
    if (strcmp(sort, "created") && strcmp(sort, "updated") && strcmp(sort, "comments")) {
        mh_invalid(c, "Search", "sort", "invalid", NULL);
        return 0;
    }
    search_q q;
    char bad[256];
    if (search_parse(&q, query, bad, sizeof bad) < 0) {
        char m[400];
        snprintf(m, sizeof m, "mockhub's search does not understand \"%.200s\" (it knows repo:, is:pr, is:issue, "
                              "is:open, is:closed, is:merged, is:unmerged, state:, type:, label:, -label:, author:, "
                              "head:, base: and words)", bad);
        mh_invalid(c, "Search", "q", "invalid", m);
        search_dispose(&q);
        return 0;
    }
    mh_pull **v = NULL;
    mh_repo **owner = NULL;
    size_t n = 0, cap = 0;
    for (size_t i = 0; i < g_mh->nrepos; i++) {
        mh_repo *r = g_mh->repos[i];
        if (!mh_repo_visible(r, c->user))
            continue;
        int named = !json_array_size(q.repos);
        size_t k;
        json_t *x;
        json_array_foreach(q.repos, k, x) named |= mh_streq_ci(json_string_value(x), r->full_name);
        if (!named)
            continue;
        for (size_t j = 0; j < r->npulls; j++) {
            if (!search_match(&q, r->pulls[j]))
                continue;
            if (n == cap) {
                cap = cap ? cap * 2 : 64;
                v = realloc(v, cap * sizeof *v);
                owner = realloc(owner, cap * sizeof *owner);
            }
            v[n] = r->pulls[j];
            owner[n++] = r;
        }
    }
    search_dispose(&q);
    /* sort (stable by repository, then the chosen key) */
    for (size_t a = 1; a < n; a++)
        for (size_t b = a; b > 0 && cmp_issue(v[b - 1], v[b], sort, !strcmp(order, "asc")) > 0; b--) {
            mh_pull *t = v[b];
            v[b] = v[b - 1];
            v[b - 1] = t;
            mh_repo *tr = owner[b];
            owner[b] = owner[b - 1];
            owner[b - 1] = tr;
        }
    json_t *arr = json_array();
    for (size_t k = 0; k < n; k++) {
        json_t *o = mh_render_issue(owner[k], v[k]);
        json_object_set_new(o, "score", json_real(1.0));
        if (json_is_null(json_object_get(o, "body"))) /* issue-search-result-item types body as a string */
            json_object_del(o, "body");
        json_array_append_new(arr, o);
    }
    free(v);
    free(owner);
    size_t total = json_array_size(arr);
    mh_paginate(c, arr);
    json_t *items = c->resp;
    c->resp = json_pack("{s:I, s:b, s:o, s:s}", "total_count", (json_int_t)total, "incomplete_results", 0, "items", items,
                        "search_type", "lexical");
    return 0;
}
