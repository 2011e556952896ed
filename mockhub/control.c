/* control.c -- the control API under /_mockhub/ for tests and scenarios: read the full state and
 * the request log, add/clear faults, set or exhaust rate limits, wait for webhook deliveries to
 * drain. Not rate limited, not authenticated, not in the request log. */
#include "mockhub.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    json_t *pulls = json_array();
    for (size_t i = 0; i < r->npulls; i++) {
        mh_pull *p = r->pulls[i];
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
    return json_pack("{s:o, s:o, s:o, s:I, s:s}", "users", users, "repos", repos, "faults",
                     mh_faults_to_json(&g_mh->faults), "requests", (json_int_t)g_mh->req_seq, "base_url",
                     g_mh->base_url);
}

static json_t *requests_since(uint64_t since)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < g_mh->nreqs; i++) {
        mh_reqlog *l = &g_mh->reqs[i];
        if (l->seq <= since)
            continue;
        char at[32];
        mh_time_iso(at, l->at);
        json_array_append_new(arr, json_pack("{s:I, s:s, s:s, s:i, s:o, s:s, s:f, s:s}", "seq", (json_int_t)l->seq,
                                             "method", l->method, "path", l->path, "status", l->status, "user",
                                             l->user ? json_string(l->user) : json_null(), "route", l->route ? l->route : "-",
                                             "ms", l->ms, "at", at));
    }
    return arr;
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
    const char *m = c->method;
    c->status = 200;
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
        c->resp = json_pack("{s:b, s:s}", "ok", 1, "base_url", g_mh->base_url);
    } else if (!strcmp(p, "/state") && !strcmp(m, "GET")) {
        c->resp = full_state();
    } else if (!strcmp(p, "/requests") && !strcmp(m, "GET")) {
        uint64_t since = mh_q(c, "since") ? strtoull(mh_q(c, "since"), NULL, 10) : 0;
        c->resp = requests_since(since);
    } else if (!strcmp(p, "/requests") && !strcmp(m, "DELETE")) {
        for (size_t i = 0; i < g_mh->nreqs; i++) {
            free(g_mh->reqs[i].path);
            free(g_mh->reqs[i].user);
        }
        g_mh->nreqs = 0;
        c->status = 204;
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
    } else if (!strcmp(p, "/clock") && !strcmp(m, "POST")) {
        json_t *sk = json_object_get(c->body, "skew_seconds");
        if (!json_is_integer(sk) || json_integer_value(sk) < -86400 ||
            json_integer_value(sk) > 86400) {
            mh_error(c, 422, "skew_seconds must be an integer from -86400 to 86400");
        } else {
            g_mh->clock_skew_s = (long)json_integer_value(sk);
            mh_log("info", "control-clock", "skew_seconds=%ld", g_mh->clock_skew_s);
            c->resp = json_pack("{s:I}", "skew_seconds", (json_int_t)g_mh->clock_skew_s);
        }
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
        mh_error(c, 404, "Not Found");
    }
    pthread_mutex_unlock(&g_mh->lock);
    return 0;
}
