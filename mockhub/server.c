/* server.c -- mockhub's HTTP front: libmicrohttpd, request bodies, authentication, rate limits,
 * fault injection, ETags, logging, and the dispatch to REST handlers, the control API
 * (/_mockhub/...) and git smart HTTP (/{owner}/{repo}.git/...). */
#include "mockhub.h"
#include "core/mh_json.h"
#include "core/mh_jwt.h"
#include "core/mh_routes.h"
#include "ci.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define DOCS "https://docs.github.com/rest"

typedef struct {
    mh_buf body;
    int too_large;
    int is_git;
} req_state;

void mh_error(mh_ctx *c, int status, const char *message)
{
    json_decref(c->resp);
    char st[8];
    snprintf(st, sizeof st, "%d", status);
    c->status = status;
    c->resp = json_pack("{s:s, s:s, s:s}", "message", message, "documentation_url", DOCS, "status", st);
}

void mh_invalid(mh_ctx *c, const char *resource, const char *field, const char *code,
                const char *message)
{
    json_decref(c->resp);
    c->status = 422;
    json_t *e = json_pack("{s:s, s:s}", "resource", resource, "code", code);
    if (field)
        json_object_set_new(e, "field", json_string(field));
    if (message)
        json_object_set_new(e, "message", json_string(message));
    c->resp = json_pack("{s:s, s:[o], s:s, s:s}", "message", "Validation Failed", "errors", e,
                        "documentation_url", DOCS, "status", "422");
}

const char *mh_q(mh_ctx *c, const char *name)
{
    return json_string_value(json_object_get(c->query, name));
}

const char *mh_p(mh_ctx *c, const char *name)
{
    return mh_route_param(&c->m, name);
}

void mh_set_header(mh_ctx *c, const char *name, const char *value)
{
    json_object_set_new(c->headers, name, json_string(value));
}

void mh_paginate(mh_ctx *c, json_t *all)
{
    mh_page pg;
    mh_page_parse(&pg, mh_q(c, "per_page"), mh_q(c, "page"));
    size_t total = json_array_size(all), s, e;
    mh_page_range(&pg, total, &s, &e);
    json_t *out = json_array();
    for (size_t i = s; i < e; i++)
        json_array_append(out, json_array_get(all, i));
    json_decref(all);
    json_decref(c->resp);
    c->resp = out;
    c->status = 200;
    /* keep other query parameters in the links */
    mh_buf extra;
    mh_buf_init(&extra);
    const char *k;
    json_t *v;
    json_object_foreach(c->query, k, v) {
        if (!strcmp(k, "page") || !strcmp(k, "per_page"))
            continue;
        char *ek = mh_url_encode(k, 0), *ev = mh_url_encode(json_string_value(v), 0);
        mh_buf_printf(&extra, "%s%s=%s", extra.len ? "&" : "", ek, ev);
        free(ek);
        free(ev);
    }
    char url[2048];
    snprintf(url, sizeof url, "%s%s", g_mh->base_url, c->path);
    char *link = mh_page_link(&pg, total, url, extra.ptr);
    if (link) {
        mh_set_header(c, "Link", link);
        free(link);
    }
    mh_buf_dispose(&extra);
}

int mh_need_repo(mh_ctx *c, int need)
{
    mh_repo *r = mh_repo_find(mh_p(c, "owner"), mh_p(c, "repo"));
    if (!r || !mh_repo_visible(r, c->user)) {
        mh_error(c, 404, "Not Found");
        mh_log("info", "decision", "why=repo-not-visible repo=%s/%s user=%s", mh_p(c, "owner"),
               mh_p(c, "repo"), c->user ? c->user->login : "-");
        return -1;
    }
    c->repo = r;
    c->role = mh_repo_role(r, c->user);
    if (c->role < need) {
        if (!c->user) {
            mh_error(c, 401, "Requires authentication");
        } else {
            mh_error(c, 403, "Resource not accessible by personal access token");
            mh_set_header(c, "X-Accepted-GitHub-Permissions",
                          need >= 5 ? "administration=write" : need >= 3 ? "contents=write" : "pull_requests=write");
        }
        mh_log("info", "decision", "why=permission repo=%s user=%s role=%s need=%s", r->full_name,
               c->user ? c->user->login : "-", mh_role_name(c->role), mh_role_name(need));
        return -1;
    }
    return 0;
}

static void reqlog_free(mh_reqlog *l)
{
    free(l->path);
    free(l->query);
    free(l->user);
    json_decref(l->headers);
    json_decref(l->body);
}

void mh_reqlog_clear(void)
{
    for (size_t i = 0; i < g_mh->nreqs; i++)
        reqlog_free(&g_mh->reqs[i]);
    g_mh->nreqs = 0;
}

/* Under the state lock. Takes headers and body (stolen). */
static void record_request(const mh_ctx *c, const char *method, const char *path, const char *query,
                           int status, const char *route, json_t *headers, json_t *body, double ms)
{
    mh_state *st = g_mh;
    if (st->nreqs == st->reqcap) {
        if (st->reqcap >= 200000) { /* drop the oldest half */
            size_t half = st->nreqs / 2;
            for (size_t i = 0; i < half; i++)
                reqlog_free(&st->reqs[i]);
            memmove(st->reqs, st->reqs + half, (st->nreqs - half) * sizeof *st->reqs);
            st->nreqs -= half;
        } else {
            st->reqcap = st->reqcap ? st->reqcap * 2 : 1024;
            st->reqs = realloc(st->reqs, st->reqcap * sizeof *st->reqs);
        }
    }
    mh_reqlog *l = &st->reqs[st->nreqs++];
    memset(l, 0, sizeof *l);
    l->seq = ++st->req_seq;
    snprintf(l->method, sizeof l->method, "%s", method);
    l->path = strdup(path);
    l->query = query && *query ? strdup(query) : NULL;
    l->status = status;
    l->user = c->user ? strdup(c->user->login) : NULL;
    l->route = route;
    l->unimplemented = c->unimplemented != NULL;
    l->headers = headers;
    l->body = body;
    l->ms = ms;
    l->at = time(NULL);
}

/* The request headers worth asserting on, lower-case; credentials are never kept. */
static json_t *recorded_headers(struct MHD_Connection *conn)
{
    static const char *const names[] = {"Accept", "Content-Type", "User-Agent", "X-GitHub-Api-Version",
                                        "If-None-Match", "If-Modified-Since", NULL};
    json_t *h = json_object();
    for (int i = 0; names[i]; i++) {
        const char *v = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, names[i]);
        if (!v)
            continue;
        char low[64];
        size_t k;
        for (k = 0; names[i][k] && k < sizeof low - 1; k++)
            low[k] = (char)tolower((unsigned char)names[i][k]);
        low[k] = '\0';
        json_object_set_new(h, low, json_string(v));
    }
    const char *auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
    if (auth) { /* keep the scheme only: "token [redacted]" */
        const char *sp = strchr(auth, ' ');
        char red[48];
        snprintf(red, sizeof red, "%.*s [redacted]", sp && sp - auth < 16 ? (int)(sp - auth) : 0, auth);
        json_object_set_new(h, "authorization", json_string(sp && sp - auth < 16 ? red : "[redacted]"));
    }
    return h;
}

#define RECORDED_BODY_MAX (64 * 1024)

/* The request body as recorded: its JSON value, else its text (at most 64 KiB), else NULL. */
static json_t *recorded_body(const mh_ctx *c, const mh_buf *raw)
{
    if (c->body)
        return json_incref(c->body);
    if (!raw->len)
        return NULL;
    json_error_t je;
    json_t *j = raw->len <= 16u * 1024 * 1024 ? json_loadb(raw->ptr, raw->len, JSON_DECODE_ANY, &je) : NULL;
    if (j)
        return j;
    size_t n = raw->len < RECORDED_BODY_MAX ? raw->len : RECORDED_BODY_MAX;
    json_t *s = json_stringn(raw->ptr, n);
    return s ? s : json_string("(a body that is not UTF-8 text)");
}

/* The loud answer for a GitHub operation mockhub does not implement: the status a client takes
 * for "not found" (404, or 501 with --strict), a header naming the operation, a message saying so. */
static void unimplemented(mh_ctx *c, const mh_route *op)
{
    char tmpl[512], hdr[600], msg[1024];
    size_t j = 0;
    for (const char *p = op->pattern; *p && j < sizeof tmpl - 1; p++)
        if (!(*p == '*' && p[1] == '}'))
            tmpl[j++] = *p;
    tmpl[j] = '\0';
    snprintf(hdr, sizeof hdr, "%s %s", op->method, tmpl);
    snprintf(msg, sizeof msg,
             "mockhub does not implement %s (%s): this answer is mockhub's, not GitHub's. "
             "See docs/mockhub.md, \"Unimplemented endpoints\".",
             hdr, op->name);
    int status = g_mh->strict ? 501 : 404;
    mh_error(c, status, msg);
    json_object_set_new(c->resp, "documentation_url", json_string(op->doc ? op->doc : "https://docs.github.com/rest"));
    mh_set_header(c, "X-Mockhub-Unimplemented", hdr);
    c->unimplemented = op;
    mh_log("warn", "unimplemented", "method=%s path=%s operation=%s status=%d", op->method, c->path, op->name, status);
}

typedef struct {
    mh_ctx *c;
    mh_buf raw; /* the query string as sent (values are not unescaped: see no_unescape) */
} query_scan;

static int on_header(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    query_scan *qs = cls;
    mh_ctx *c = qs->c;
    mh_buf_printf(&qs->raw, "%s%s%s%s", qs->raw.len ? "&" : "", key, value ? "=" : "", value ? value : "");
    if (!value)
        value = "";
    char *k = mh_url_decode(key, strlen(key), 1);
    char *v = mh_url_decode(value, strlen(value), 1);
    if (k && v)
        json_object_set_new(c->query, k, json_string(v));
    free(k);
    free(v);
    return MHD_YES;
}

static size_t no_unescape(void *cls, struct MHD_Connection *c, char *s)
{
    (void)cls;
    (void)c;
    return strlen(s);
}

static double now_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return tv.tv_sec * 1000.0 + tv.tv_usec / 1000.0;
}

/* Auth from the Authorization header. Returns 0 (user or NULL=anonymous), -1 (bad token) or -2
 * (a JWT no App accepts: why[] holds GitHub's message for the 401). */
static int authenticate(mh_ctx *c, const char *auth, char *why, size_t whylen)
{
    c->user = NULL;
    if (!auth || !*auth)
        return 0;
    const char *sp = strchr(auth, ' ');
    if (!sp)
        return -1;
    size_t sl = (size_t)(sp - auth);
    const char *cred = sp + 1;
    while (*cred == ' ')
        cred++;
    char token[4096];
    if ((sl == 5 && strncasecmp(auth, "token", 5) == 0) || (sl == 6 && strncasecmp(auth, "bearer", 6) == 0)) {
        snprintf(token, sizeof token, "%s", cred);
    } else if (sl == 5 && strncasecmp(auth, "basic", 5) == 0) {
        size_t n;
        unsigned char *dec = mh_base64_decode(cred, &n);
        if (!dec)
            return -1;
        char *colon = strchr((char *)dec, ':');
        snprintf(token, sizeof token, "%s", colon ? colon + 1 : (char *)dec);
        free(dec);
    } else {
        return -1;
    }
    if (mh_jwt_looks_like(token)) {
        json_t *claims = mh_jwt_claims(token);
        json_t *iss = json_object_get(claims, "iss");
        char issbuf[64] = "";
        if (json_is_integer(iss))
            snprintf(issbuf, sizeof issbuf, "%lld", (long long)json_integer_value(iss));
        else if (json_is_string(iss))
            snprintf(issbuf, sizeof issbuf, "%s", json_string_value(iss));
        json_decref(claims);
        size_t i;
        json_t *app;
        json_array_foreach(g_mh->apps, i, app) {
            char id[32];
            snprintf(id, sizeof id, "%lld", (long long)json_integer_value(json_object_get(app, "id")));
            const char *cid = json_string_value(json_object_get(app, "client_id"));
            if (strcmp(id, issbuf) != 0 && !(cid && strcmp(cid, issbuf) == 0))
                continue;
            char err[256];
            if (mh_jwt_verify(token, json_string_value(json_object_get(app, "public_key")),
                              time(NULL) + g_mh->clock_skew_s, err,
                              sizeof err) == 0) {
                c->app = app;
                c->token_is_jwt = 1;
                return 0;
            }
            mh_log("info", "decision", "why=jwt-rejected app=%s reason=\"%s\"", id, err);
            snprintf(why, whylen, "%s", err);
        }
        return -2;
    }
    c->user = mh_user_by_token(token);
    if (!c->user) {
        json_t *it = json_object_get(g_mh->installation_tokens, token);
        if (it && json_integer_value(json_object_get(it, "expires_at")) > time(NULL) + g_mh->clock_skew_s)
            c->user = mh_user_by_login(json_string_value(json_object_get(it, "login")));
    }
    return c->user ? 0 : -1;
}

/* X-GitHub-Api-Version 2026-03-10 removes fields (see docs/mockhub.md). */
static void strip_keys(json_t *v, const char *const *keys)
{
    if (json_is_array(v)) {
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x) {
            strip_keys(x, keys);
        }
    } else if (json_is_object(v)) {
        for (int i = 0; keys[i]; i++)
            json_object_del(v, keys[i]);
    }
}

static void api_version_2026(mh_ctx *c)
{
    static const char *const pull_keys[] = {"merge_commit_sha", "assignee", NULL};
    static const char *const rate_keys[] = {"rate", NULL};
    const char *op = c->m.route ? c->m.route->name : "";
    if (strncmp(op, "pulls/", 6) == 0)
        strip_keys(c->resp, pull_keys);
    else if (strcmp(op, "rate-limit/get") == 0)
        strip_keys(c->resp, rate_keys);
}

static void rl_refresh(mh_user *u)
{
    time_t now = time(NULL);
    if (now >= u->rl_reset) {
        u->rl_used = 0;
        u->rl_reset = now + g_mh->rl_window;
    }
}

static void add_rl_headers(struct MHD_Response *resp, mh_user *u, const char *resource)
{
    char b[32];
    snprintf(b, sizeof b, "%ld", u->rl_limit);
    MHD_add_response_header(resp, "x-ratelimit-limit", b);
    long rem = u->rl_limit - u->rl_used;
    snprintf(b, sizeof b, "%ld", rem < 0 ? 0 : rem);
    MHD_add_response_header(resp, "x-ratelimit-remaining", b);
    snprintf(b, sizeof b, "%ld", u->rl_used);
    MHD_add_response_header(resp, "x-ratelimit-used", b);
    snprintf(b, sizeof b, "%lld", (long long)u->rl_reset);
    MHD_add_response_header(resp, "x-ratelimit-reset", b);
    MHD_add_response_header(resp, "x-ratelimit-resource", resource);
}

int mh_control(mh_ctx *c); /* control.c */

static enum MHD_Result send_json(struct MHD_Connection *conn, int status, json_t *body,
                                 json_t *headers, const char *ctype)
{
    char *s = body ? json_dumps(body, JSON_COMPACT) : strdup("");
    struct MHD_Response *resp = MHD_create_response_from_buffer(strlen(s), s, MHD_RESPMEM_MUST_FREE);
    MHD_add_response_header(resp, "Content-Type", ctype ? ctype : "application/json; charset=utf-8");
    const char *k;
    json_t *v;
    json_object_foreach(headers, k, v) {
        MHD_add_response_header(resp, k, json_string_value(v));
    }
    enum MHD_Result r = MHD_queue_response(conn, (unsigned)status, resp);
    MHD_destroy_response(resp);
    return r;
}

static int is_git_path(const char *url)
{
    /* /{owner}/{repo}.git or /{owner}/{repo}.git/... */
    const char *p = url + 1;
    const char *s1 = strchr(p, '/');
    if (!s1 || s1 == p)
        return 0;
    const char *s2 = strchr(s1 + 1, '/');
    size_t len = s2 ? (size_t)(s2 - s1 - 1) : strlen(s1 + 1);
    return len > 4 && strncmp(s1 + 1 + len - 4, ".git", 4) == 0 && strncmp(url, "/repos/", 7) != 0 &&
           strncmp(url, "/_mockhub/", 10) != 0;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload_data,
                              size_t *upload_size, void **con_cls)
{
    (void)cls;
    (void)version;
    req_state *rs = *con_cls;
    if (!rs) {
        rs = calloc(1, sizeof *rs);
        mh_buf_init(&rs->body);
        rs->is_git = is_git_path(url);
        *con_cls = rs;
        return MHD_YES;
    }
    if (*upload_size) {
        size_t cap = rs->is_git ? 512u * 1024 * 1024 : g_mh->max_body;
        if (rs->too_large || rs->body.len + *upload_size > cap)
            rs->too_large = 1;
        else
            mh_buf_put(&rs->body, upload_data, *upload_size);
        *upload_size = 0;
        return MHD_YES;
    }
    double t0 = now_ms();
    if (rs->is_git) {
        void *resp = NULL;
        int status = 500;
        if (rs->too_large) {
            mh_log("warn", "git-http", "why=body-too-large path=%s", url);
            return send_json(conn, 413, NULL, NULL, "text/plain");
        }
        mh_git_http(conn, method, url, rs->body.ptr ? rs->body.ptr : "", rs->body.len, &resp, &status);
        mh_log("info", "request", "method=%s path=%s status=%d route=git-smart-http ms=%.1f", method, url,
               status, now_ms() - t0);
        enum MHD_Result r = MHD_queue_response(conn, (unsigned)status, resp);
        MHD_destroy_response(resp);
        return r;
    }

    mh_ctx c;
    memset(&c, 0, sizeof c);
    c.method = method;
    c.path = url;
    c.query = json_object();
    c.headers = json_object();
    c.status = 200;
    query_scan qs = {&c, {NULL, 0, 0}};
    MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, (MHD_KeyValueIterator)on_header, &qs);
    c.query_raw = qs.raw.ptr;
    c.raw_body = rs->body.ptr ? rs->body.ptr : "";
    c.body_len = rs->body.len;
    c.accept = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Accept");
    const char *route_name = "-";
    int charge = 1, counted = 1;
    mh_user *bucket = NULL;
    const char *resource = "core";

    if (strncmp(url, "/_mockhub/", 10) == 0 || strcmp(url, "/_mockhub") == 0) {
        if (rs->body.len) {
            json_error_t je;
            c.body = json_loadb(rs->body.ptr, rs->body.len, 0, &je);
            if (!c.body) {
                mh_error(&c, 400, "Problems parsing JSON");
                goto control_done;
            }
        }
        mh_control(&c);
    control_done:;
        enum MHD_Result r = send_json(conn, c.status, c.resp, c.headers, c.content_type);
        mh_log("info", "control", "method=%s path=%s status=%d", method, url, c.status);
        json_decref(c.resp);
        json_decref(c.body);
        json_decref(c.query);
        json_decref(c.headers);
        mh_buf_dispose(&qs.raw);
        return r;
    }

    pthread_mutex_lock(&g_mh->lock);
    const char *ua = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "User-Agent");
    const char *apiv = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-GitHub-Api-Version");
    char jwt_why[256] = "A JSON web token could not be decoded";
    int rc = authenticate(&c, MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization"),
                          jwt_why, sizeof jwt_why);
    bucket = c.user ? c.user : &g_mh->anon;
    rl_refresh(bucket);
    if (!ua || !*ua) {
        mh_error(&c, 403, "Request forbidden by administrative rules. Please make sure your request has a "
                          "User-Agent header (https://docs.github.com/en/rest/overview/"
                          "resources-in-the-rest-api#user-agent-required). Check "
                          "https://developer.github.com for other possible causes.");
        mh_log("warn", "decision", "why=missing-user-agent path=%s", url);
        charge = 0;
        goto respond;
    }
    if (apiv && strcmp(apiv, "2022-11-28") != 0 && strcmp(apiv, "2026-03-10") != 0) {
        char m[256];
        snprintf(m, sizeof m, "API version '%.64s' is not supported.", apiv);
        mh_error(&c, 400, m);
        goto respond;
    }
    if (rc == -2) {
        mh_error(&c, 401, jwt_why);
        charge = 0;
        goto respond;
    }
    if (rc < 0) {
        mh_error(&c, 401, "Bad credentials");
        mh_log("info", "decision", "why=bad-credentials path=%s", url);
        charge = 0;
        goto respond;
    }
    /* HEAD is GET without a body (libmicrohttpd drops the body) */
    const char *rmethod = strcmp(method, "HEAD") == 0 ? "GET" : method;
    int mr = mh_route_request(&c, rmethod, url);
    /* A GitHub operation that matches more specifically than any of mockhub's routes (or where
     * none matches) is one mockhub lacks: say so loudly instead of a plain 404. */
    mh_route_match ghm;
    if (mh_route_find(mh_github_ops, mh_github_nops, rmethod, url, &ghm) == MH_ROUTE_OK &&
        (mr != MH_ROUTE_OK || ghm.literals > c.m.literals)) {
        unimplemented(&c, ghm.route);
        route_name = ghm.route->name;
        charge = 0;
        mh_route_match_dispose(&ghm);
        goto respond;
    }
    mh_route_match_dispose(&ghm);
    if (mr != MH_ROUTE_OK) {
        mh_error(&c, 404, "Not Found");
        mh_log("info", "decision", "why=%s method=%s path=%s", mr == MH_ROUTE_BAD_METHOD ? "method-not-routed" : "no-route", method, url);
        goto respond;
    }
    route_name = c.m.route->name;
    if (strcmp(route_name, "rate-limit/get") == 0)
        charge = 0;
    const mh_fault *f = mh_faults_match_request(&g_mh->faults, method, url, c.user ? c.user->login : NULL, 0);
    if (f) {
        mh_log("info", "fault", "id=%d kind=%s method=%s path=%s status=%d delay_ms=%ld", f->id,
               mh_fault_kind_name(f->kind), method, url, f->status, f->delay_ms);
        if (f->kind == MH_FAULT_DELAY) {
            long ms = f->delay_ms;
            pthread_mutex_unlock(&g_mh->lock);
            usleep((useconds_t)ms * 1000);
            pthread_mutex_lock(&g_mh->lock);
        } else if (f->kind == MH_FAULT_SECONDARY) {
            mh_error(&c, f->status, f->message ? f->message
                                               : "You have exceeded a secondary rate limit. Please wait a few "
                                                 "minutes before you try again. If you reach out to GitHub "
                                                 "Support for help, please include the request ID.");
            if (f->retry_after >= 0) {
                char ra[32];
                snprintf(ra, sizeof ra, "%ld", f->retry_after);
                mh_set_header(&c, "Retry-After", ra);
            }
            charge = 0;
            goto respond;
        } else {
            mh_error(&c, f->status, f->message ? f->message : f->status >= 500 ? "Server Error" : "Injected fault");
            charge = 0;
            goto respond;
        }
    }
    if (charge && bucket->rl_used >= bucket->rl_limit) {
        char m[256];
        if (c.user)
            snprintf(m, sizeof m, "API rate limit exceeded for user ID %lld.", (long long)c.user->id);
        else
            snprintf(m, sizeof m, "API rate limit exceeded for 127.0.0.1. (But here's the good news: Authenticated "
                                  "requests get a higher rate limit. Check out the documentation for more details.)");
        mh_error(&c, g_mh->rl_status, m);
        mh_log("info", "decision", "why=rate-limit-exhausted user=%s", bucket->login);
        charge = 0;
        goto respond;
    }
    if (rs->too_large) {
        mh_error(&c, 413, "Payload Too Large");
        goto respond;
    }
    if (rs->body.len) {
        json_error_t je;
        c.body = json_loadb(rs->body.ptr, rs->body.len, JSON_DECODE_ANY, &je);
        if (!c.body) {
            mh_error(&c, 400, "Problems parsing JSON");
            goto respond;
        }
    }
    mh_api_dispatch(&c);
    if (apiv && strcmp(apiv, "2026-03-10") == 0 && c.resp)
        api_version_2026(&c);

respond:;
    /* Serialise and hash outside the big lock: the response tree only shares immutable leaves
     * and cached objects with the state (jansson reference counts are atomic). */
    pthread_mutex_unlock(&g_mh->lock);
    char *out = NULL;
    size_t out_len = 0;
    int status = c.status;
    if (c.raw_resp) {
        out = c.raw_resp;
        out_len = c.raw_len;
        c.raw_resp = NULL;
    } else if (c.resp) {
        out = mh_json_dumps(c.resp);
        out_len = strlen(out);
    } else {
        out = strdup("");
    }
    char etag[48] = "";
    if ((strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0) && status == 200) {
        uint64_t h1 = mh_hash64(out, out_len, 1), h2 = mh_hash64(out, out_len, 0x5bd1e995);
        snprintf(etag, sizeof etag, "\"%016llx%016llx\"", (unsigned long long)h1, (unsigned long long)h2);
        const char *inm = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "If-None-Match");
        if (inm && (strstr(inm, etag + 1) || strcmp(inm, "*") == 0)) {
            status = 304;
            free(out);
            out = strdup("");
            out_len = 0;
            charge = 0;
            mh_log("info", "decision", "why=not-modified path=%s", url);
        }
    }
    json_t *rec_headers = recorded_headers(conn), *rec_body = recorded_body(&c, &rs->body);
    pthread_mutex_lock(&g_mh->lock);
    if (charge && status != 401)
        bucket->rl_used++;
    (void)counted;
    double ms = now_ms() - t0;
    record_request(&c, method, url, c.query_raw, status, route_name, rec_headers, rec_body, ms);
    mh_user rl_snapshot = *bucket;
    char rid[48];
    snprintf(rid, sizeof rid, "MOCK:%llu", (unsigned long long)g_mh->req_seq);
    /* Date in GitHub's clock (POST /_mockhub/clock skews it): clients measure their skew from it. */
    time_t gh_now = time(NULL) + g_mh->clock_skew_s;
    pthread_mutex_unlock(&g_mh->lock);
    char date[64];
    struct tm gm;
    gmtime_r(&gh_now, &gm);
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &gm);
    struct MHD_Response *resp = MHD_create_response_from_buffer(out_len, out, MHD_RESPMEM_MUST_FREE);
    if (status != 304 && status != 204)
        MHD_add_response_header(resp, "Content-Type",
                                c.content_type ? c.content_type : "application/json; charset=utf-8");
    add_rl_headers(resp, &rl_snapshot, resource);
    if (etag[0])
        MHD_add_response_header(resp, "ETag", etag);
    if (strcmp(method, "GET") == 0)
        MHD_add_response_header(resp, "Cache-Control", "private, max-age=60, s-maxage=60");
    MHD_add_response_header(resp, "X-GitHub-Media-Type", "github.v3; format=json");
    MHD_add_response_header(resp, "X-GitHub-Api-Version-Selected", apiv && *apiv ? apiv : "2022-11-28");
    MHD_add_response_header(resp, "X-GitHub-Request-Id", rid);
    MHD_add_response_header(resp, "Date", date);
    MHD_add_response_header(resp, "Access-Control-Expose-Headers",
                            "ETag, Link, Location, Retry-After, X-GitHub-OTP, X-RateLimit-Limit, "
                            "X-RateLimit-Remaining, X-RateLimit-Used, X-RateLimit-Resource, X-RateLimit-Reset, "
                            "X-OAuth-Scopes, X-Accepted-OAuth-Scopes, X-Poll-Interval, X-GitHub-Media-Type, "
                            "X-GitHub-SSO, X-GitHub-Request-Id, Deprecation, Sunset");
    const char *k;
    json_t *v;
    json_object_foreach(c.headers, k, v) {
        MHD_add_response_header(resp, k, json_string_value(v));
    }
    mh_log("info", "request", "method=%s path=%s status=%d user=%s route=%s ms=%.2f", method, url, status,
           c.user ? c.user->login : "-", route_name, ms);
    enum MHD_Result r = MHD_queue_response(conn, (unsigned)status, resp);
    MHD_destroy_response(resp);
    mh_route_match_dispose(&c.m);
    json_decref(c.resp);
    json_decref(c.body);
    json_decref(c.query);
    json_decref(c.headers);
    mh_buf_dispose(&qs.raw);
    return r;
}

static void on_complete(void *cls, struct MHD_Connection *conn, void **con_cls,
                        enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    req_state *rs = *con_cls;
    if (rs) {
        mh_buf_dispose(&rs->body);
        free(rs);
        *con_cls = NULL;
    }
}

static volatile sig_atomic_t stop_flag;

int mh_server_run(const char *listen_addr, const char *port_file)
{
    char host[256] = "127.0.0.1";
    int port = 0;
    if (listen_addr) {
        const char *colon = strrchr(listen_addr, ':');
        if (!colon) {
            fprintf(stderr, "mockhub: --listen wants ADDR:PORT, got \"%s\"\n", listen_addr);
            return 2;
        }
        snprintf(host, sizeof host, "%.*s", (int)(colon - listen_addr), listen_addr);
        if (strcmp(host, "localhost") == 0 || host[0] == '\0')
            snprintf(host, sizeof host, "127.0.0.1");
        char *end;
        long p = strtol(colon + 1, &end, 10);
        if (*end || p < 0 || p > 65535) {
            fprintf(stderr, "mockhub: bad port in --listen \"%s\"\n", listen_addr);
            return 2;
        }
        port = (int)p;
    }
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
        fprintf(stderr, "mockhub: --listen address must be an IPv4 address, got \"%s\"\n", host);
        close(fd);
        return 2;
    }
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, 512) < 0) {
        fprintf(stderr, "mockhub: cannot listen on %s:%d: %s\n", host, port, strerror(errno));
        close(fd);
        return 1;
    }
    socklen_t sl = sizeof sa;
    getsockname(fd, (struct sockaddr *)&sa, &sl);
    port = ntohs(sa.sin_port);
    /* The address clients use in URLs (Link, url, clone_url...): --public-url, else the listen
     * address, where a wildcard (0.0.0.0, as in a container) means this host's loopback. */
    char base[300];
    if (g_mh->public_url) {
        size_t n = strlen(g_mh->public_url);
        if (n && g_mh->public_url[n - 1] == '/')
            n--; /* "http://x:3000/" and "http://x:3000" are the same base */
        snprintf(base, sizeof base, "%.*s", (int)n, g_mh->public_url);
    } else {
        snprintf(base, sizeof base, "http://%s:%d", strcmp(host, "0.0.0.0") ? host : "127.0.0.1", port);
    }
    free(g_mh->base_url);
    g_mh->base_url = strdup(base);

    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (mh_hooks_start() < 0) {
        close(fd);
        return 1;
    }
    if (mh_ci_start() < 0) {
        mh_hooks_stop();
        close(fd);
        return 1;
    }
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL | MHD_USE_ERROR_LOG,
        0, NULL, NULL, handle, NULL, MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_NOTIFY_COMPLETED, on_complete,
        NULL, MHD_OPTION_UNESCAPE_CALLBACK, no_unescape, NULL, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)120, MHD_OPTION_CONNECTION_LIMIT, (unsigned)1000, MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "mockhub: cannot start HTTP server\n");
        mh_ci_stop();
        mh_hooks_stop();
        close(fd);
        return 1;
    }
    mh_log("info", "listening", "url=%s state_dir=%s", base, g_mh->state_dir);
    if (port_file) {
        char tmp[4096];
        snprintf(tmp, sizeof tmp, "%s.tmp", port_file);
        FILE *f = fopen(tmp, "w");
        if (!f || fprintf(f, "%d\n", port) < 0 || fclose(f) != 0 || rename(tmp, port_file) < 0) {
            fprintf(stderr, "mockhub: cannot write port file %s: %s\n", port_file, strerror(errno));
            MHD_stop_daemon(d);
            mh_ci_stop();
            mh_hooks_stop();
            close(fd);
            return 1;
        }
        mh_log("info", "port-file", "path=%s port=%d", port_file, port);
    }
    int sig = 0;
    sigwait(&set, &sig);
    mh_log("info", "shutdown", "signal=%d", sig);
    MHD_stop_daemon(d);
    close(fd);
    mh_ci_stop();
    mh_hooks_stop();
    (void)stop_flag;
    return 0;
}
