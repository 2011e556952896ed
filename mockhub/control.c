/* control.c -- the control API under /_mockhub/ (version 1, also at /_mockhub/v1/) for tests and
 * scenarios: read the full state and the request log, add/clear faults, set or exhaust rate
 * limits, freeze or skew the clock, reset the world, send arbitrary webhooks, wait for deliveries
 * to drain. Not rate limited, not authenticated, not in the request log. Its interface is stable
 * (docs/mockhub.md, "Control API"): version 1 only grows. */
#include "mockhub.h"
#include "events.h"

#ifndef MOCKHUB_VERSION
#define MOCKHUB_VERSION "0.1.0"
#endif
#define CONTROL_API_VERSION 1
#include "ci.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static json_t *repo_state(mh_repo *r)
{
    json_t *o = json_object();
    json_object_set_new(o, "full_name", json_string(r->full_name));
    json_object_set_new(o, "default_branch", json_string(r->default_branch));
    json_object_set_new(o, "private", json_boolean(r->private));
    json_object_set_new(o, "gitdir", json_string(r->gitdir));
    json_object_set_new(o, "settings", json_deep_copy(r->settings));
    json_object_set_new(o, "collaborators", json_deep_copy(r->collaborators));
    json_t *branches = json_object();
    git_branch_iterator *it = NULL;
    if (git_branch_iterator_new(&it, r->git, GIT_BRANCH_LOCAL) == 0) {
        git_reference *ref;
        git_branch_t type;
        while (git_branch_next(&ref, &type, it) == 0) {
            const char *name = NULL;
            git_branch_name(&name, ref);
            const git_oid *t = git_reference_target(ref);
            if (name && t)
                json_object_set_new(branches, name, json_string(git_oid_tostr_s(t)));
            git_reference_free(ref);
        }
        git_branch_iterator_free(it);
    }
    json_object_set_new(o, "branches", branches);
    json_t *pulls = json_array(), *issues = json_array();
    for (size_t i = 0; i < r->npulls; i++) {
        mh_pull *p = r->pulls[i];
        if (p->is_issue) {
            json_array_append_new(issues, json_pack("{s:i, s:s, s:s, s:s, s:O, s:i}", "number", p->number, "state",
                                                    p->open ? "open" : "closed", "title", p->title, "user",
                                                    p->user ? p->user->login : "ghost", "labels", p->labels,
                                                    "comments", p->comments));
            continue;
        }
        json_t *pj = json_pack("{s:i, s:s, s:b, s:b, s:s, s:s, s:s, s:s, s:s, s:O, s:O, s:i}", "number", p->number,
                               "state", p->open ? "open" : "closed", "merged", p->merged, "draft", p->draft, "title",
                               p->title, "user", p->user ? p->user->login : "ghost", "head", p->head_ref, "base",
                               p->base_ref, "head_sha", p->head_sha, "labels", p->labels, "reviews", p->reviews,
                               "comments", p->comments);
        json_object_set_new(pj, "mergeable", p->mergeable < 0 ? json_null() : json_boolean(p->mergeable));
        json_object_set_new(pj, "merge_commit_sha", p->merge_commit_sha[0] ? json_string(p->merge_commit_sha) : json_null());
        json_object_set_new(pj, "merged_by", p->merged_by ? json_string(p->merged_by->login) : json_null());
        json_array_append_new(pulls, pj);
    }
    json_object_set_new(o, "pulls", pulls);
    json_object_set_new(o, "issues", issues);
    json_object_set_new(o, "labels", json_deep_copy(r->labels));
    json_object_set_new(o, "comments", json_deep_copy(r->comments));
    json_object_set_new(o, "events", json_deep_copy(r->events));
    json_object_set_new(o, "statuses", json_deep_copy(r->statuses));
    json_object_set_new(o, "check_runs", json_deep_copy(r->check_runs));
    json_t *hooks = json_deep_copy(r->hooks);
    size_t i;
    json_t *h;
    json_array_foreach(hooks, i, h) {
        json_object_del(h, "secret");
    }
    json_object_set_new(o, "hooks", hooks);
    return o;
}

static json_t *clock_json(void);

static json_t *full_state(void)
{
    json_t *users = json_array();
    for (size_t i = 0; i < g_mh->nusers; i++) {
        mh_user *u = g_mh->users[i];
        long rem = u->rl_limit - u->rl_used;
        json_array_append_new(users, json_pack("{s:s, s:I, s:s, s:{s:I, s:I, s:I, s:I}}", "login", u->login, "id",
                                               (json_int_t)u->id, "type", u->is_org ? "Organization" : u->is_bot ? "Bot" : "User",
                                               "rate_limit", "limit", (json_int_t)u->rl_limit, "used", (json_int_t)u->rl_used,
                                               "remaining", (json_int_t)(rem < 0 ? 0 : rem), "reset", (json_int_t)u->rl_reset));
    }
    json_t *repos = json_array();
    for (size_t i = 0; i < g_mh->nrepos; i++)
        json_array_append_new(repos, repo_state(g_mh->repos[i]));
    return json_pack("{s:o, s:o, s:o, s:I, s:s, s:o}", "users", users, "repos", repos, "faults",
                     mh_faults_to_json(&g_mh->faults), "requests", (json_int_t)g_mh->req_seq, "base_url",
                     g_mh->base_url, "clock", clock_json());
}

/* GET /_mockhub/requests?since=SEQ&route=GLOB&method=M&path=GLOB&user=LOGIN&status=N&unimplemented=1&brief=1 */
static json_t *requests_matching(mh_ctx *c)
{
    uint64_t since = mh_q(c, "since") ? strtoull(mh_q(c, "since"), NULL, 10) : 0;
    const char *route = mh_q(c, "route"), *method = mh_q(c, "method"), *path = mh_q(c, "path");
    const char *user = mh_q(c, "user"), *status = mh_q(c, "status"), *unimpl = mh_q(c, "unimplemented");
    int brief = mh_q(c, "brief") && strcmp(mh_q(c, "brief"), "0") && strcmp(mh_q(c, "brief"), "false");
    json_t *arr = json_array();
    for (size_t i = 0; i < g_mh->nreqs; i++) {
        mh_reqlog *l = &g_mh->reqs[i];
        if (l->seq <= since || (route && !mh_glob_match(route, l->route ? l->route : "-")) ||
            (method && strcasecmp(method, l->method)) || (path && !mh_glob_match(path, l->path)) ||
            (user && !(l->user && mh_streq_ci(user, l->user))) || (status && atoi(status) != l->status) ||
            (unimpl && (strcmp(unimpl, "0") && strcmp(unimpl, "false")) != l->unimplemented))
            continue;
        char at[32];
        mh_time_iso(at, l->at);
        json_t *o = json_pack("{s:I, s:s, s:s, s:o, s:i, s:o, s:s, s:b, s:O, s:O, s:f, s:s}", "seq",
                              (json_int_t)l->seq, "method", l->method, "path", l->path, "query",
                              l->query ? json_string(l->query) : json_null(), "status", l->status, "user",
                              l->user ? json_string(l->user) : json_null(), "route", l->route ? l->route : "-",
                              "unimplemented", l->unimplemented, "headers", l->headers ? l->headers : json_null(),
                              "body", l->body ? l->body : json_null(), "ms", l->ms, "at", at);
        if (brief) { /* pollers that only need who called what */
            json_object_del(o, "headers");
            json_object_del(o, "body");
        }
        json_array_append_new(arr, o);
    }
    return arr;
}

static json_t *clock_json(void)
{
    char now[32];
    mh_iso_now(now);
    return json_pack("{s:b, s:s, s:I}", "frozen", g_mh->clock_frozen, "now", now, "skew_seconds",
                     (json_int_t)g_mh->clock_skew_s);
}

/* POST /_mockhub/clock {"freeze": TIME|null, "advance_seconds": N, "skew_seconds": N} */
static void set_clock(mh_ctx *c)
{
    static const char *const keys[] = {"freeze", "advance_seconds", "skew_seconds", NULL};
    if (!json_is_object(c->body) || !json_object_size(c->body)) {
        mh_error(c, 422, "body must be an object with \"freeze\", \"advance_seconds\" and/or \"skew_seconds\"");
        return;
    }
    const char *k;
    json_t *v;
    json_object_foreach(c->body, k, v) {
        int known = 0;
        for (int i = 0; keys[i]; i++)
            known |= !strcmp(keys[i], k);
        if (!known) {
            char m[160];
            snprintf(m, sizeof m, "unknown key \"%.60s\" (known: freeze, advance_seconds, skew_seconds)", k);
            mh_error(c, 422, m);
            return;
        }
    }
    json_t *fr = json_object_get(c->body, "freeze"), *adv = json_object_get(c->body, "advance_seconds");
    json_t *sk = json_object_get(c->body, "skew_seconds");
    time_t at = 0;
    if (fr && !json_is_null(fr) && !(json_is_integer(fr) && json_integer_value(fr) >= 0) &&
        !(json_is_string(fr) && mh_time_parse_iso(json_string_value(fr), &at) == 0)) {
        mh_error(c, 422, "freeze must be a UTC time like \"2024-01-01T00:00:00Z\", epoch seconds, or null (unfreeze)");
        return;
    }
    if (adv && (!json_is_integer(adv) || json_integer_value(adv) < 0 || json_integer_value(adv) > 10L * 366 * 86400)) {
        mh_error(c, 422, "advance_seconds must be an integer from 0 to 316224000");
        return;
    }
    if (adv && !g_mh->clock_frozen && !(fr && !json_is_null(fr))) {
        mh_error(c, 422, "advance_seconds moves a frozen clock: freeze it first");
        return;
    }
    if (sk && (!json_is_integer(sk) || json_integer_value(sk) < -86400 || json_integer_value(sk) > 86400)) {
        mh_error(c, 422, "skew_seconds must be an integer from -86400 to 86400");
        return;
    }
    if (fr && json_is_null(fr)) {
        g_mh->clock_frozen = 0;
    } else if (fr) {
        g_mh->clock_frozen = 1;
        g_mh->clock_frozen_at = json_is_integer(fr) ? (time_t)json_integer_value(fr) : at;
    }
    if (adv)
        g_mh->clock_frozen_at += (time_t)json_integer_value(adv);
    if (sk)
        g_mh->clock_skew_s = (long)json_integer_value(sk);
    c->resp = clock_json();
    mh_log("info", "control-clock", "frozen=%d now=%s skew_seconds=%ld", g_mh->clock_frozen,
           json_string_value(json_object_get(c->resp, "now")), g_mh->clock_skew_s);
}

/* POST /_mockhub/reset [{"world": {...}}]: the world reloaded in this process, as at start-up. */
static void reset(mh_ctx *c)
{
    json_t *world = json_object_get(c->body, "world");
    if (c->body && (!json_is_object(c->body) || json_object_size(c->body) != (world ? 1u : 0u) ||
                    (world && !json_is_object(world)))) {
        mh_error(c, 422, "body must be empty or {\"world\": {...a world (docs/world.md)...}}");
        return;
    }
    mh_world w;
    char err[1024];
    if (world) {
        char *text = json_dumps(world, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
        int rc = text ? mh_world_parse(&w, text, strlen(text), "world", err, sizeof err) : -1;
        free(text);
        if (rc < 0) {
            mh_error(c, 422, text ? err : "cannot read the world");
            return;
        }
    }
    mh_hooks_reset();
    mh_ci_clear(); /* its runs point into the repositories about to go */
    int rc = mh_state_reset(world ? &w : NULL, err, sizeof err);
    if (rc == 0)
        rc = mh_ci_reload(g_mh->world, err, sizeof err);
    if (world)
        mh_world_dispose(&w);
    if (rc < 0) {
        mh_log("error", "control-reset", "error=\"%s\"", err);
        mh_error(c, 500, err);
        return;
    }
    mh_log("info", "control-reset", "world=%s users=%zu repos=%zu", world ? "posted" : "same", g_mh->nusers,
           g_mh->nrepos);
    c->resp = json_pack("{s:b, s:I, s:I}", "reset", 1, "users", (json_int_t)g_mh->nusers, "repos",
                        (json_int_t)g_mh->nrepos);
}

/* POST /_mockhub/webhooks/send {"event": "issues", "payload": {...}, "repo": "acme/mono"}: signs
 * and delivers an arbitrary payload through the hooks that receive repo's events. */
static void send_webhook(mh_ctx *c)
{
    json_t *ev = json_object_get(c->body, "event"), *payload = json_object_get(c->body, "payload");
    const char *repo = json_string_value(json_object_get(c->body, "repo"));
    if (!repo)
        repo = json_string_value(json_object_get(json_object_get(payload, "repository"), "full_name"));
    if (!json_is_string(ev) || !json_string_length(ev) || json_string_length(ev) > 40 || !json_is_object(payload)) {
        mh_error(c, 422, "body must be {\"event\": NAME, \"payload\": {...}, \"repo\": \"OWNER/NAME\"} "
                         "(repo defaults to payload.repository.full_name)");
        return;
    }
    const char *slash = repo ? strchr(repo, '/') : NULL;
    char owner[128];
    snprintf(owner, sizeof owner, "%.*s", slash ? (int)(slash - repo) : 0, repo ? repo : "");
    mh_repo *r = slash ? mh_repo_find(owner, slash + 1) : NULL;
    if (!r) {
        char m[300];
        snprintf(m, sizeof m, "no repository \"%.200s\" in the world (give \"repo\")", repo ? repo : "");
        mh_error(c, 422, m);
        return;
    }
    char guid[37];
    int n = mh_hooks_emit_guid(r, json_string_value(ev), json_incref(payload), guid);
    c->status = 202;
    c->resp = json_pack("{s:s, s:i}", "guid", guid, "deliveries", n);
}

static int set_rate(mh_ctx *c)
{
    json_t *b = c->body ? c->body : json_object();
    if (!json_is_object(b)) {
        mh_error(c, 400, "Body should be a JSON object");
        return 0;
    }
    const char *login = json_string_value(json_object_get(b, "login"));
    static const char *keys[] = {"login", "limit", "remaining", "used", "reset_in", "exhaust", "status", NULL};
    const char *k;
    json_t *v;
    json_object_foreach(b, k, v) {
        int ok = 0;
        for (int i = 0; keys[i]; i++)
            ok |= !strcmp(keys[i], k);
        if (!ok || (strcmp(k, "login") && strcmp(k, "exhaust") && !json_is_integer(v))) {
            char m[128];
            snprintf(m, sizeof m, "bad rate_limit field \"%s\"", k);
            mh_error(c, 422, m);
            if (b != c->body)
                json_decref(b);
            return 0;
        }
    }
    int n = 0;
    for (size_t i = 0; i <= g_mh->nusers; i++) {
        mh_user *u = i < g_mh->nusers ? g_mh->users[i] : &g_mh->anon;
        if (login && !mh_streq_ci(login, u->login))
            continue;
        json_t *x;
        if ((x = json_object_get(b, "limit")))
            u->rl_limit = (long)json_integer_value(x);
        if ((x = json_object_get(b, "used")))
            u->rl_used = (long)json_integer_value(x);
        if ((x = json_object_get(b, "remaining")))
            u->rl_used = u->rl_limit - (long)json_integer_value(x);
        if (json_is_true(json_object_get(b, "exhaust")))
            u->rl_used = u->rl_limit;
        if ((x = json_object_get(b, "reset_in")))
            u->rl_reset = time(NULL) + (time_t)json_integer_value(x);
        n++;
    }
    json_t *st = json_object_get(b, "status");
    if (st && (json_integer_value(st) == 403 || json_integer_value(st) == 429))
        g_mh->rl_status = (int)json_integer_value(st);
    mh_log("info", "control-rate-limit", "login=%s users=%d", login ? login : "*", n);
    if (b != c->body)
        json_decref(b);
    if (!n) {
        mh_error(c, 404, "no such user");
        return 0;
    }
    c->resp = json_pack("{s:i}", "updated", n);
    return 0;
}

int mh_control(mh_ctx *c);
int mh_control(mh_ctx *c)
{
    const char *p = c->path + strlen("/_mockhub");
    if (!strncmp(p, "/v1/", 4))
        p += 3;
    const char *m = c->method;
    c->status = 200;
    mh_set_header(c, "X-Mockhub-Control-Api", "1");
    if (!strcmp(p, "/version") && !strcmp(m, "GET")) {
        c->resp = json_pack("{s:s, s:i}", "mockhub", MOCKHUB_VERSION, "control_api", CONTROL_API_VERSION);
        return 0;
    }
    if (!strcmp(p, "/webhooks/wait") && !strcmp(m, "GET")) {
        long t = mh_q(c, "timeout_ms") ? strtol(mh_q(c, "timeout_ms"), NULL, 10) : 10000;
        int rc = mh_hooks_wait_idle(t);
        c->status = rc == 0 ? 200 : 504;
        c->resp = json_pack("{s:b, s:I}", "idle", rc == 0, "pending", (json_int_t)mh_hooks_pending());
        return 0;
    }
    if (!strcmp(p, "/deliveries") && !strcmp(m, "GET")) {
        c->resp = mh_hooks_log_json();
        return 0;
    }
    pthread_mutex_lock(&g_mh->lock);
    if (!strcmp(p, "/health")) {
        c->resp = json_pack("{s:b, s:s, s:s, s:i, s:b}", "ok", 1, "base_url", g_mh->base_url, "version",
                            MOCKHUB_VERSION, "control_api", CONTROL_API_VERSION, "strict", g_mh->strict);
    } else if (!strcmp(p, "/state") && !strcmp(m, "GET")) {
        c->resp = full_state();
    } else if (!strcmp(p, "/requests") && !strcmp(m, "GET")) {
        c->resp = requests_matching(c);
    } else if (!strcmp(p, "/requests") && !strcmp(m, "DELETE")) {
        mh_reqlog_clear(); /* seq numbers keep counting */
        c->status = 204;
    } else if (!strcmp(p, "/reset") && !strcmp(m, "POST")) {
        reset(c);
    } else if (!strcmp(p, "/webhooks/send") && !strcmp(m, "POST")) {
        send_webhook(c);
    } else if (!strcmp(p, "/faults") && !strcmp(m, "GET")) {
        c->resp = mh_faults_to_json(&g_mh->faults);
    } else if (!strcmp(p, "/faults") && !strcmp(m, "DELETE")) {
        mh_faults_clear(&g_mh->faults);
        mh_log("info", "control-faults", "cleared=1");
        c->status = 204;
    } else if (!strcmp(p, "/faults") && !strcmp(m, "POST")) {
        json_t *list = json_is_array(c->body) ? json_incref(c->body) : json_pack("[O]", c->body ? c->body : json_null());
        json_t *ids = json_array();
        size_t i;
        json_t *f;
        json_array_foreach(list, i, f) {
            char err[256];
            int id = mh_faults_add(&g_mh->faults, f, err, sizeof err);
            if (id < 0) {
                mh_error(c, 422, err);
                break;
            }
            json_array_append_new(ids, json_integer(id));
            mh_log("info", "control-fault-added", "id=%d", id);
        }
        json_decref(list);
        if (c->status == 200) {
            c->status = 201;
            c->resp = json_pack("{s:o}", "ids", ids);
        } else {
            json_decref(ids);
        }
    } else if (!strcmp(p, "/rate_limit") && !strcmp(m, "POST")) {
        set_rate(c);
    } else if (!strcmp(p, "/meta") && !strcmp(m, "POST")) {
        /* Replaces lists of GET /meta (e.g. {"hooks": ["10.0.0.0/8"]}), as GitHub changes its
         * published ranges from time to time. */
        const char *key;
        json_t *arr;
        int ok = json_is_object(c->body) && json_object_size(c->body) > 0;
        json_object_foreach(ok ? c->body : NULL, key, arr) {
            size_t k;
            json_t *s;
            if (!json_is_array(arr))
                ok = 0;
            json_array_foreach(arr, k, s) if (!json_is_string(s) || !strchr(json_string_value(s), '/'))
                ok = 0;
        }
        if (!ok) {
            mh_error(c, 422, "body must be an object of arrays of CIDR strings, e.g. {\"hooks\": [\"127.0.0.0/8\"]}");
        } else {
            json_object_update(g_mh->meta, c->body);
            mh_log("info", "control-meta", "keys=%zu", json_object_size(c->body));
            c->resp = json_incref(g_mh->meta);
        }
    } else if (!strcmp(p, "/installation_tokens/expire") && !strcmp(m, "POST")) {
        const char *k;
        json_t *v;
        int n = 0;
        json_object_foreach(g_mh->installation_tokens, k, v) {
            json_object_set_new(v, "expires_at", json_integer((json_int_t)(time(NULL) + g_mh->clock_skew_s) - 1));
            n++;
        }
        mh_log("info", "control-expire-tokens", "count=%d", n);
        c->resp = json_pack("{s:i}", "expired", n);
    } else if (!strcmp(p, "/clock") && !strcmp(m, "GET")) {
        c->resp = clock_json();
    } else if (!strcmp(p, "/clock") && !strcmp(m, "POST")) {
        set_clock(c);
    } else if (!strncmp(p, "/ci", 3) && (p[3] == '\0' || p[3] == '/')) {
        mh_ci_control(c, p + 3); /* the CI simulator (ci.c) */
    } else if (!strcmp(p, "/mergeable") && !strcmp(m, "POST")) {
        json_t *d = json_object_get(c->body, "delay_reads"), *ms = json_object_get(c->body, "delay_ms");
        if ((d && (!json_is_integer(d) || json_integer_value(d) < 0)) ||
            (ms && (!json_is_integer(ms) || json_integer_value(ms) < 0))) {
            mh_error(c, 422, "delay_reads and delay_ms must be integers >= 0");
        } else {
            if (d)
                g_mh->mergeable_delay_reads = (int)json_integer_value(d);
            if (ms)
                g_mh->mergeable_delay_ms = (long)json_integer_value(ms);
            c->resp = json_pack("{s:i, s:I}", "delay_reads", g_mh->mergeable_delay_reads, "delay_ms",
                                (json_int_t)g_mh->mergeable_delay_ms);
        }
    } else {
        mh_error(c, 404, "no such control endpoint: see docs/mockhub.md, \"Control API\" (GET /_mockhub/version, "
                         "health, state, requests, deliveries, faults, clock; POST reset, webhooks/send, clock, "
                         "faults, rate_limit, mergeable, meta, installation_tokens/expire)");
    }
    pthread_mutex_unlock(&g_mh->lock);
    return 0;
}
