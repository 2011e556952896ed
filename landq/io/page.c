/* page.c -- the queue pages and the freeze API on the ops listener (see page.h). */
#include "page.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "assets.h"
#include "freeze.h"
#include "page_html.h"
#include "page_route.h"
#include "pr_view.h"
#include "queue_view.h"
#include "store.h"

#define LANDINGS_SHOWN 20
#define AUDIT_SHOWN 200

struct lq_page {
    pthread_mutex_t lock; /* st is used by one request at a time */
    lq_store *st;
    lq_inbox *inbox;
    lq_board *board;
    lq_metrics *metrics;
    char *web_url, *priority_label, *status_context;
    char **repos;
    size_t repo_count;
    unsigned refresh_s;
    void (*log)(void *ctx, const char *line);
    void *log_ctx;
};

static char *xstrdup(const char *s)
{
    return s ? strdup(s) : NULL;
}

/* ---------------------------------------------------------------- answers */

static void secure_headers(lq_ops_response *resp)
{
    lq_ops_add_header(resp, "Content-Security-Policy", LQ_PAGE_CSP);
    lq_ops_add_header(resp, "X-Frame-Options", "DENY");
    lq_ops_add_header(resp, "Referrer-Policy", "no-referrer");
    lq_ops_add_header(resp, "Cross-Origin-Resource-Policy", "same-origin");
}

static void reply_json(lq_ops_response *resp, int status, json_t *o)
{
    char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    secure_headers(resp);
    if (!text) {
        lq_ops_reply_text(resp, 500, "application/json", "{\"error\":\"out of memory\"}\n");
        return;
    }
    size_t n = strlen(text);
    char *nl = realloc(text, n + 2);
    if (nl) {
        nl[n] = '\n';
        nl[n + 1] = '\0';
        text = nl;
        n++;
    }
    lq_ops_reply(resp, status, "application/json", text, n);
}

static void reply_html(lq_ops_response *resp, int status, char *html)
{
    secure_headers(resp);
    if (!html) {
        lq_ops_reply_text(resp, 500, "text/plain; charset=utf-8", "out of memory\n");
        return;
    }
    lq_ops_reply(resp, status, "text/html; charset=utf-8", html, strlen(html));
}

static void reply_error(lq_ops_response *resp, int status, int json, const char *msg)
{
    if (json)
        reply_json(resp, status, json_pack("{s:i, s:s}", "status", status, "error", msg));
    else
        reply_html(resp, status, lq_page_error_html(status, msg));
}

/* ---------------------------------------------------------------- the model, from the store */

typedef struct model {
    lq_qv v;
    lq_pr_record *recs;
    size_t nrecs;
    lq_qv_pr *prs;
    json_t **explains;
    lq_landing_row *lrows;
    size_t nl;
    lq_qv_landing *landings;
    lq_freeze_row *frows;
    size_t nf;
    lq_qv_freeze *freezes;
} model;

static void model_dispose(model *m)
{
    for (size_t i = 0; m->explains && i < m->nrecs; i++)
        json_decref(m->explains[i]);
    free(m->explains);
    free(m->prs);
    lq_store_list_free(m->recs, m->nrecs);
    free(m->landings);
    lq_store_landing_rows_free(m->lrows, m->nl);
    free(m->freezes);
    lq_store_freeze_rows_free(m->frows, m->nf);
    memset(m, 0, sizeof(*m));
}

static void rate_of(lq_page *pg, lq_qv_rate *r)
{
    double v;
    r->remaining = r->limit = -1;
    r->reset_s = 0;
    if (lq_metrics_get(pg->metrics, "landq_github_rate_limit_remaining", NULL, &v) == 0)
        r->remaining = (long)v;
    if (lq_metrics_get(pg->metrics, "landq_github_rate_limit", NULL, &v) == 0)
        r->limit = (long)v;
    if (lq_metrics_get(pg->metrics, "landq_github_rate_limit_reset_timestamp_seconds", NULL,
                       &v) == 0)
        r->reset_s = (int64_t)v;
}

static void pr_of_record(lq_qv_pr *p, const lq_pr_record *r, const json_t *explain)
{
    memset(p, 0, sizeof(*p));
    p->repo = r->repo;
    p->base = r->base;
    p->number = r->number;
    p->state = r->state;
    p->labeled_at_ms = r->labeled_at_ms;
    p->labeler = r->labeler;
    p->title = r->merge_title;
    p->explain = explain;
    p->priority = r->priority;
}

/* Loads the queue (lock held). */
static int model_load(lq_page *pg, model *m, lq_error *err)
{
    memset(m, 0, sizeof(*m));
    int rc = lq_store_list(pg->st, LQ_STORE_QUEUED, &m->recs, &m->nrecs, err);
    if (!rc)
        rc = lq_store_landings(pg->st, LANDINGS_SHOWN, &m->lrows, &m->nl, err);
    if (!rc)
        rc = lq_store_freeze_list(pg->st, &m->frows, &m->nf, err);
    if (rc)
        return rc;
    m->prs = calloc(m->nrecs + 1, sizeof(*m->prs));
    m->explains = calloc(m->nrecs + 1, sizeof(*m->explains));
    m->landings = calloc(m->nl + 1, sizeof(*m->landings));
    m->freezes = calloc(m->nf + 1, sizeof(*m->freezes));
    if (!m->prs || !m->explains || !m->landings || !m->freezes)
        return lq_error_set(err, LQ_ENOMEM, "out of memory");
    for (size_t i = 0; i < m->nrecs; i++) {
        m->explains[i] = lq_board_get(pg->board, m->recs[i].repo, m->recs[i].number);
        pr_of_record(&m->prs[i], &m->recs[i], m->explains[i]);
    }
    for (size_t i = 0; i < m->nl; i++) {
        const lq_landing_row *l = &m->lrows[i];
        m->landings[i] = (lq_qv_landing){l->repo, l->base, l->title[0] ? l->title : NULL,
                                         l->number, l->labeled_at_ms, l->landed_at_ms,
                                         l->commit_sha};
    }
    for (size_t i = 0; i < m->nf; i++)
        m->freezes[i] = (lq_qv_freeze){m->frows[i].repo, m->frows[i].branch, m->frows[i].reason,
                                       m->frows[i].by, m->frows[i].since_ms};
    lq_qv *v = &m->v;
    v->web_url = pg->web_url;
    v->repos = (const char *const *)pg->repos;
    v->repo_count = pg->repo_count;
    v->prs = m->prs;
    v->pr_count = m->nrecs;
    v->landings = m->landings;
    v->landing_count = m->nl;
    v->freezes = m->freezes;
    v->freeze_count = m->nf;
    rate_of(pg, &v->rate);
    v->priority_label = pg->priority_label;
    v->status_context = pg->status_context;
    v->now_ms = lq_store_now_ms();
    v->refresh_s = pg->refresh_s;
    return LQ_OK;
}

static const char *served(const lq_page *pg, const char *repo)
{
    for (size_t i = 0; i < pg->repo_count; i++)
        if (!strcasecmp(pg->repos[i], repo))
            return pg->repos[i];
    return NULL;
}

/* ---------------------------------------------------------------- GET */

static void queue_page(lq_page *pg, const lq_page_req *rq, lq_ops_response *resp)
{
    model m;
    lq_error err = {0};
    pthread_mutex_lock(&pg->lock);
    int rc = model_load(pg, &m, &err);
    pthread_mutex_unlock(&pg->lock);
    if (rc) {
        model_dispose(&m);
        reply_error(resp, 503, rq->json, err.msg);
        return;
    }
    if (rq->json) {
        json_t *o = NULL;
        rc = lq_qv_json(&m.v, &o, &err);
        reply_json(resp, rc ? 500 : 200, rc ? json_pack("{s:s}", "error", err.msg) : o);
    } else {
        char *html = NULL;
        rc = lq_qv_html(&m.v, &html, &err);
        reply_html(resp, rc ? 500 : 200, rc ? lq_page_error_html(500, err.msg) : html);
    }
    model_dispose(&m);
}

static lq_qv_audit *audit_of(const lq_audit_row *rows, size_t n, json_t ***parsed)
{
    lq_qv_audit *a = calloc(n + 1, sizeof(*a));
    *parsed = calloc(n + 1, sizeof(**parsed));
    if (!a || !*parsed) {
        free(a);
        free(*parsed);
        *parsed = NULL;
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        (*parsed)[i] = json_loads(rows[i].reasons_json, 0, NULL);
        a[i] = (lq_qv_audit){rows[i].at_ms, rows[i].head_sha, rows[i].action, rows[i].summary,
                             rows[i].commit_sha, (*parsed)[i]};
    }
    return a;
}

static void pr_page(lq_page *pg, const lq_page_req *rq, lq_ops_response *resp)
{
    const char *repo = served(pg, rq->repo);
    char msg[400];
    if (!repo) {
        snprintf(msg, sizeof msg, "landq does not serve %s.", rq->repo);
        reply_error(resp, 404, rq->json, msg);
        return;
    }
    model m;
    lq_error err = {0};
    lq_pr_record rec;
    lq_audit_row *rows = NULL;
    size_t nrows = 0;
    pthread_mutex_lock(&pg->lock);
    int rc = model_load(pg, &m, &err);
    int found = 0;
    if (!rc) {
        rc = lq_store_get(pg->st, repo, rq->number, &rec, &err);
        found = rc == LQ_OK;
        if (rc == LQ_ENOTFOUND)
            rc = LQ_OK;
    }
    if (!rc)
        rc = lq_store_audit_list(pg->st, repo, rq->number, AUDIT_SHOWN, &rows, &nrows, &err);
    pthread_mutex_unlock(&pg->lock);
    json_t *explain = rc ? NULL : lq_board_get(pg->board, repo, rq->number);
    if (rc) {
        reply_error(resp, 503, rq->json, err.msg);
    } else if (!found && !explain && !nrows) {
        snprintf(msg, sizeof msg, "landq has no record of %s#%d: nobody labeled it for landing "
                 "since landq started keeping records, or it does not exist.", repo, rq->number);
        reply_error(resp, 404, rq->json, msg);
    } else {
        lq_qv_pr p;
        memset(&p, 0, sizeof p);
        if (found)
            pr_of_record(&p, &rec, explain);
        p.repo = repo;
        p.number = rq->number;
        p.explain = explain;
        if (!found) {
            p.state = LQ_PR_IDLE;
            p.base = json_string_value(json_object_get(explain, "base"));
        }
        json_t **parsed = NULL;
        lq_qv_audit *audit = audit_of(rows, nrows, &parsed);
        lq_pr_view pv = {&m.v, repo, rq->number, &p, audit, audit ? nrows : 0};
        if (rq->json) {
            json_t *o = NULL;
            rc = lq_pr_view_json(&pv, &o, &err);
            reply_json(resp, rc ? 500 : 200, rc ? json_pack("{s:s}", "error", err.msg) : o);
        } else {
            char *html = NULL;
            rc = lq_pr_view_html(&pv, &html, &err);
            reply_html(resp, rc ? 500 : 200, rc ? lq_page_error_html(500, err.msg) : html);
        }
        for (size_t i = 0; parsed && i < nrows; i++)
            json_decref(parsed[i]);
        free(parsed);
        free(audit);
    }
    if (found)
        lq_pr_record_dispose(&rec);
    json_decref(explain);
    lq_store_audit_rows_free(rows, nrows);
    model_dispose(&m);
}

static void asset(lq_ops_response *resp, const char *ctype, const char *data, size_t len)
{
    secure_headers(resp);
    lq_ops_add_header(resp, "Cache-Control", "no-cache");
    char *copy = malloc(len + 1);
    if (copy)
        memcpy(copy, data, len + 1);
    lq_ops_reply(resp, 200, ctype, copy, len);
}

static void on_get(void *ctx, const lq_ops_request *req, lq_ops_response *resp)
{
    lq_page *pg = ctx;
    lq_page_req rq;
    lq_error err = {0};
    int st = lq_page_route(&rq, req->method, req->path, lq_ops_query_size(req), &err);
    if (st != 200) {
        reply_error(resp, st, rq.json, err.msg);
        return;
    }
    switch (rq.kind) {
    case LQ_PAGE_QUEUE:
    case LQ_PAGE_QUEUE_JSON:
        queue_page(pg, &rq, resp);
        break;
    case LQ_PAGE_PR:
    case LQ_PAGE_PR_JSON:
        pr_page(pg, &rq, resp);
        break;
    case LQ_PAGE_CSS:
        asset(resp, "text/css; charset=utf-8", lq_asset_queue_css, lq_asset_queue_css_len);
        break;
    case LQ_PAGE_JS:
        asset(resp, "text/javascript; charset=utf-8", lq_asset_queue_js, lq_asset_queue_js_len);
        break;
    case LQ_PAGE_ICON:
        asset(resp, "image/svg+xml", lq_asset_favicon_svg, lq_asset_favicon_svg_len);
        break;
    default:
        reply_error(resp, 405, rq.json, "use POST");
    }
}

/* ---------------------------------------------------------------- POST /api/(un)freeze */

/* `key="value"` pairs for a log line: quotes, backslashes and control characters escaped. */
static void logfmt_value(char *out, size_t cap, const char *s)
{
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p && o + 5 < cap; p++) {
        if (*p == '"' || *p == '\\') {
            out[o++] = '\\';
            out[o++] = (char)*p;
        } else if (*p < 0x20 || *p == 0x7F) {
            o += (size_t)snprintf(out + o, cap - o, "\\x%02x", *p);
        } else {
            out[o++] = (char)*p;
        }
    }
    out[o] = '\0';
}

static void on_admin(lq_page *pg, const lq_ops_request *req, lq_ops_response *resp, int freeze)
{
    const char *ctype = lq_ops_header(req, "Content-Type");
    if (!ctype || strncasecmp(ctype, "application/json", 16)) {
        reply_error(resp, 415, 1, "send the request as Content-Type: application/json");
        return;
    }
    json_error_t jerr;
    json_t *body = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
    char msg[600];
    if (!json_is_object(body)) {
        snprintf(msg, sizeof msg, "body: not a JSON object%s%s", body ? "" : ": ",
                 body ? "" : jerr.text);
        json_decref(body);
        reply_error(resp, 400, 1, msg);
        return;
    }
    const char *key;
    json_t *val;
    json_object_foreach(body, key, val)
    {
        int known = !strcmp(key, "repo") || !strcmp(key, "branch") || !strcmp(key, "by") ||
                    (freeze && !strcmp(key, "reason"));
        if (!known || !json_is_string(val)) {
            snprintf(msg, sizeof msg, "body: %s: %s", key,
                     known ? "must be a string" : "unknown field");
            json_decref(body);
            reply_error(resp, 400, 1, msg);
            return;
        }
    }
    const char *repo_in = json_string_value(json_object_get(body, "repo"));
    const char *branch = json_string_value(json_object_get(body, "branch"));
    const char *reason = json_string_value(json_object_get(body, "reason"));
    const char *by = json_string_value(json_object_get(body, "by"));
    const char *repo = repo_in ? served(pg, repo_in) : NULL;
    lq_error err = {0};
    int status = 200;
    if (!repo_in || !branch) {
        status = 400;
        snprintf(msg, sizeof msg, "body: \"repo\" and \"branch\" are required");
    } else if (!repo) {
        status = 404;
        snprintf(msg, sizeof msg, "landq does not serve %.200s", repo_in);
    } else if (freeze ? lq_freeze_check(branch, reason, by, &err)
                      : lq_freeze_check(branch, "-", by, &err)) {
        status = 400;
        snprintf(msg, sizeof msg, "body: %s", err.msg);
    }
    if (status != 200) {
        json_decref(body);
        reply_error(resp, status, 1, msg);
        return;
    }
    if (!by || !*by)
        by = "admin";
    int64_t now = lq_store_now_ms();
    int was = 0, marked = 0;
    char text[1024];
    pthread_mutex_lock(&pg->lock);
    lq_freeze_row old;
    int had = lq_store_freeze_get(pg->st, repo, branch, &old, &err) == LQ_OK;
    if (had)
        free(old.reason);
    int64_t since = had && freeze ? old.since_ms : now; /* re-freezing keeps the start */
    int rc = freeze ? lq_store_freeze_set(pg->st, repo, branch, reason, by, since, &err)
                    : lq_store_freeze_clear(pg->st, repo, branch, &was, &err);
    if (!rc && (freeze || was)) {
        const char *reasons[2] = {text, NULL};
        if (freeze)
            lq_freeze_text(text, sizeof text, branch, reason, by, since);
        else
            snprintf(text, sizeof text, "`%s` unfrozen by %s", branch, by);
        char summary[300];
        snprintf(summary, sizeof summary, "%s %s by %s", branch, freeze ? "frozen" : "unfrozen",
                 by);
        rc = lq_store_audit(pg->st, repo, 0, "", freeze ? "freeze" : "unfreeze", summary,
                            reasons, 1, NULL, &err);
        if (!rc)
            rc = lq_store_mark_branch_dirty(pg->st, repo, branch, &marked, &err);
    }
    pthread_mutex_unlock(&pg->lock);
    json_t *out = NULL;
    if (rc) {
        json_decref(body);
        reply_error(resp, 503, 1, err.msg);
        return;
    }
    lq_inbox_wake(pg->inbox);
    lq_board_touch(pg->board);
    if (pg->log && (freeze || was)) {
        char r[300], b[300], w[300], line[2048];
        logfmt_value(r, sizeof r, repo);
        logfmt_value(b, sizeof b, branch);
        logfmt_value(w, sizeof w, by);
        if (freeze) {
            char why[600];
            logfmt_value(why, sizeof why, reason);
            snprintf(line, sizeof line, "msg=\"branch frozen\" repo=\"%s\" branch=\"%s\" "
                     "by=\"%s\" reason=\"%s\" requeued=%d", r, b, w, why, marked);
        } else {
            snprintf(line, sizeof line, "msg=\"branch unfrozen\" repo=\"%s\" branch=\"%s\" "
                     "by=\"%s\" requeued=%d", r, b, w, marked);
        }
        pg->log(pg->log_ctx, line);
    }
    if (freeze) {
        char at[32];
        lq_qv_iso(at, sizeof at, since);
        out = json_pack("{s:s, s:s, s:b, s:s, s:s, s:s, s:i}", "repo", repo, "branch", branch,
                        "frozen", 1, "reason", reason, "by", by, "since", at, "reevaluating",
                        marked);
    } else {
        out = json_pack("{s:s, s:s, s:b, s:b, s:i}", "repo", repo, "branch", branch, "frozen", 0,
                        "was_frozen", was, "reevaluating", marked);
    }
    json_decref(body);
    reply_json(resp, 200, out);
}

static void on_freeze(void *ctx, const lq_ops_request *req, lq_ops_response *resp)
{
    on_admin(ctx, req, resp, 1);
}

static void on_unfreeze(void *ctx, const lq_ops_request *req, lq_ops_response *resp)
{
    on_admin(ctx, req, resp, 0);
}

/* ---------------------------------------------------------------- lifecycle */

void lq_page_free(lq_page *pg)
{
    if (!pg)
        return;
    lq_store_close(pg->st);
    for (size_t i = 0; i < pg->repo_count; i++)
        free(pg->repos[i]);
    free(pg->repos);
    free(pg->web_url);
    free(pg->priority_label);
    free(pg->status_context);
    pthread_mutex_destroy(&pg->lock);
    free(pg);
}

int lq_page_start(lq_page **out, lq_ops *ops, const lq_page_config *cfg, lq_error *err)
{
    *out = NULL;
    if (!lq_html_origin_ok(cfg->web_url))
        return lq_error_set(err, LQ_EINVAL, "the GitHub web address must be https://HOST");
    lq_page *pg = calloc(1, sizeof(*pg));
    if (!pg || pthread_mutex_init(&pg->lock, NULL)) {
        free(pg);
        return lq_error_set(err, LQ_ENOMEM, "out of memory");
    }
    pg->inbox = cfg->inbox;
    pg->board = cfg->board;
    pg->metrics = cfg->metrics;
    pg->refresh_s = cfg->refresh_s;
    pg->log = cfg->log;
    pg->log_ctx = cfg->log_ctx;
    pg->web_url = xstrdup(cfg->web_url);
    pg->priority_label = xstrdup(cfg->priority_label);
    pg->status_context = xstrdup(cfg->status_context ? cfg->status_context : "landq");
    pg->repos = calloc(cfg->repo_count + 1, sizeof(*pg->repos));
    int rc = pg->web_url && pg->status_context && pg->repos &&
                     (!cfg->priority_label || pg->priority_label)
                 ? LQ_OK
                 : lq_error_set(err, LQ_ENOMEM, "out of memory");
    for (size_t i = 0; !rc && i < cfg->repo_count; i++) {
        if (!(pg->repos[i] = xstrdup(cfg->repos[i])))
            rc = lq_error_set(err, LQ_ENOMEM, "out of memory");
        else
            pg->repo_count++;
    }
    if (!rc)
        rc = lq_store_open(&pg->st, cfg->db_path, cfg->inbox, err);
    static const char *const gets[] = {"/queue", "/queue/", "/api/queue", "/api/queue/"};
    for (size_t i = 0; !rc && i < 4; i++)
        rc = lq_ops_route(ops, "GET", gets[i], gets[i][strlen(gets[i]) - 1] == '/' ?
                          LQ_OPS_PREFIX : 0, on_get, pg, err);
    if (!rc)
        rc = lq_ops_route(ops, "POST", "/api/freeze", LQ_OPS_ADMIN, on_freeze, pg, err);
    if (!rc)
        rc = lq_ops_route(ops, "POST", "/api/unfreeze", LQ_OPS_ADMIN, on_unfreeze, pg, err);
    if (rc) {
        lq_page_free(pg); /* routes already added point at pg: only before lq_ops_start */
        return rc;
    }
    *out = pg;
    return LQ_OK;
}
