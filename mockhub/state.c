/* state.c -- mockhub's in-memory model of GitHub (users, orgs, teams, repos, pulls...) built from
 * the world file, its lookups and permission rules, and the JSON renderers that turn it into
 * api.github.com shapes. Everything here runs under g_mh->lock. */
#include "mockhub.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <spawn.h>
#include <sys/time.h>
#include <sys/wait.h>

mh_state *g_mh;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

void mh_log(const char *level, const char *msg, const char *fmt, ...)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    char ts[32];
    mh_time_iso(ts, tv.tv_sec);
    ts[19] = '\0';
    char line[2048];
    int n = snprintf(line, sizeof line, "ts=%s.%03ldZ level=%s mod=mockhub msg=%s", ts,
                     (long)(tv.tv_usec / 1000), level, msg);
    if (fmt && *fmt && n > 0 && (size_t)n < sizeof line - 2) {
        line[n++] = ' ';
        va_list ap;
        va_start(ap, fmt);
        int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
        va_end(ap);
        if (m > 0)
            n += m;
    }
    if (n < 0)
        return;
    if ((size_t)n > sizeof line - 2)
        n = (int)sizeof line - 2;
    line[n++] = '\n';
    /* one write per line, so lines from threads never interleave */
    pthread_mutex_lock(&log_lock);
    fwrite(line, 1, (size_t)n, stderr);
    pthread_mutex_unlock(&log_lock);
}

time_t mh_now(void)
{
    return g_mh && g_mh->clock_frozen ? g_mh->clock_frozen_at : time(NULL);
}

void mh_iso_now(char out[32])
{
    mh_time_iso(out, mh_now());
}

int64_t mh_next_id(void)
{
    return g_mh->next_id++;
}

static char *dupstr(const char *s)
{
    return s ? strdup(s) : NULL;
}

static int mkdirs(const char *path)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
                return -1;
            *p = '/';
        }
    }
    if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
        return -1;
    return 0;
}

static json_t *copy_or_array(json_t *x)
{
    return x ? json_deep_copy(x) : json_array();
}

static json_t *copy_or_object(json_t *x)
{
    return x ? json_deep_copy(x) : json_object();
}

static mh_user *user_new(const char *login, int is_org)
{
    mh_user *u = calloc(1, sizeof *u);
    u->login = strdup(login);
    u->is_org = is_org;
    u->id = mh_next_id();
    g_mh->users = realloc(g_mh->users, (g_mh->nusers + 1) * sizeof *g_mh->users);
    g_mh->users[g_mh->nusers++] = u;
    return u;
}

mh_user *mh_user_by_login(const char *login)
{
    for (size_t i = 0; login && i < g_mh->nusers; i++)
        if (mh_streq_ci(g_mh->users[i]->login, login))
            return g_mh->users[i];
    return NULL;
}

mh_user *mh_user_by_token(const char *token)
{
    for (size_t i = 0; i < g_mh->nusers; i++)
        if (g_mh->users[i]->token && strcmp(g_mh->users[i]->token, token) == 0)
            return g_mh->users[i];
    return NULL;
}

mh_repo *mh_repo_find(const char *owner, const char *name)
{
    for (size_t i = 0; owner && name && i < g_mh->nrepos; i++) {
        mh_repo *r = g_mh->repos[i];
        if (mh_streq_ci(r->owner->login, owner) && mh_streq_ci(r->name, name))
            return r;
    }
    return NULL;
}

mh_team *mh_team_find(const char *org, const char *slug)
{
    for (size_t i = 0; i < g_mh->nteams; i++) {
        mh_team *t = g_mh->teams[i];
        if (mh_streq_ci(t->org->login, org) && mh_streq_ci(t->slug, slug))
            return t;
    }
    return NULL;
}

static int in_list(json_t *arr, const char *login)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v) {
        if (mh_streq_ci(json_string_value(v), login))
            return 1;
    }
    return 0;
}

/* Members of child teams count (GitHub includes them). */
int mh_team_has_member(const mh_team *t, const char *login, int include_pending)
{
    if (in_list(t->members, login) || in_list(t->maintainers, login) ||
        (include_pending && in_list(t->pending, login)))
        return 1;
    for (size_t i = 0; i < g_mh->nteams; i++) {
        mh_team *c = g_mh->teams[i];
        if (c->org == t->org && c->parent && mh_streq_ci(c->parent, t->slug) &&
            mh_team_has_member(c, login, include_pending))
            return 1;
    }
    return 0;
}

static int org_member(const mh_user *org, const char *login)
{
    for (size_t i = 0; i < g_mh->nteams; i++)
        if (g_mh->teams[i]->org == org && mh_team_has_member(g_mh->teams[i], login, 0))
            return 1;
    json_t *m = json_object_get(g_mh->apps, "__org_members__");
    (void)m;
    return 0;
}

static json_t *org_members_cache; /* org login -> array of member logins */

int mh_repo_role(const mh_repo *r, const mh_user *u)
{
    if (!u)
        return r->private ? 0 : 1;
    if (u == r->owner || u->site_admin)
        return 5;
    int role = r->private ? 0 : 1;
    const char *login;
    json_t *v;
    json_object_foreach(r->collaborators, login, v) {
        if (mh_streq_ci(login, u->login) && mh_role_level(json_string_value(v)) > role)
            role = mh_role_level(json_string_value(v));
    }
    if (r->owner->is_org) {
        json_t *members = json_object_get(org_members_cache, r->owner->login);
        if ((in_list(members, u->login) || org_member(r->owner, u->login)) && role < 1)
            role = 1; /* org base permission: read */
        json_object_foreach(r->team_roles, login, v) {
            mh_team *t = mh_team_find(r->owner->login, login);
            if (t && mh_team_has_member(t, u->login, 0) && mh_role_level(json_string_value(v)) > role)
                role = mh_role_level(json_string_value(v));
        }
    }
    return role;
}

int mh_repo_visible(const mh_repo *r, const mh_user *u)
{
    return mh_repo_role(r, u) > 0;
}

mh_pull *mh_pull_get(mh_repo *r, int number)
{
    if (number < 1 || (size_t)number > r->npulls)
        return NULL;
    return r->pulls[number - 1];
}

json_t *mh_repo_label(mh_repo *r, const char *name)
{
    size_t i;
    json_t *l;
    json_array_foreach(r->labels, i, l) {
        if (mh_streq_ci(json_string_value(json_object_get(l, "name")), name))
            return l;
    }
    return NULL;
}

json_t *mh_app_installation_for(json_t *app, mh_repo *r)
{
    size_t j;
    json_t *inst;
    json_array_foreach(json_object_get(app, "installations"), j, inst) {
        if (!mh_streq_ci(json_string_value(json_object_get(inst, "account")), r->owner->login))
            continue;
        json_t *names = json_object_get(inst, "repositories");
        int covered = !names || json_is_string(names);
        size_t m;
        json_t *nm;
        json_array_foreach(names, m, nm) {
            covered |= json_is_string(nm) && mh_streq_ci(json_string_value(nm), r->name);
        }
        if (covered)
            return inst;
    }
    return NULL;
}

json_t *mh_repo_label_add(mh_repo *r, const char *name, const char *color, const char *desc)
{
    json_t *l = json_pack("{s:I, s:s, s:s, s:o, s:b}", "id", (json_int_t)mh_next_id(), "name", name,
                          "color", color ? color : "ededed", "description",
                          desc ? json_string(desc) : json_null(), "default", 0);
    json_array_append_new(r->labels, l);
    return l;
}

void mh_issue_event(mh_repo *r, int number, const char *event, mh_user *actor, json_t *extra)
{
    char now[32];
    mh_iso_now(now);
    json_t *e = json_pack("{s:I, s:i, s:s, s:s, s:s}", "id", (json_int_t)mh_next_id(), "issue",
                          number, "event", event, "actor", actor ? actor->login : "ghost",
                          "created_at", now);
    if (extra) {
        json_object_update(e, extra);
        json_decref(extra);
    }
    json_array_append_new(r->events, e);
}

static void add_issue(mh_repo *r, mh_pull *p)
{
    if (r->npulls == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 16;
        r->pulls = realloc(r->pulls, r->cap * sizeof *r->pulls);
    }
    r->pulls[r->npulls++] = p;
}

mh_pull *mh_issue_new(mh_repo *r, mh_user *user, const char *title, const char *body)
{
    mh_pull *p = calloc(1, sizeof *p);
    p->number = (int)r->npulls + 1;
    p->is_issue = 1;
    p->id = mh_next_id();
    p->title = strdup(title);
    p->body = dupstr(body);
    p->user = user;
    p->open = 1;
    p->labels = json_array();
    p->reviews = json_array();
    p->requested_reviewers = json_array();
    p->requested_teams = json_array();
    p->created_at = p->updated_at = mh_now();
    add_issue(r, p);
    return p;
}

mh_pull *mh_pull_new(mh_repo *r, mh_user *user, const char *title, const char *body,
                     const char *head, const char *base, int draft, char *err, size_t errlen)
{
    git_oid h, b;
    if (mh_git_branch_tip(r, head, &h) < 0) {
        snprintf(err, errlen, "head");
        return NULL;
    }
    if (mh_git_branch_tip(r, base, &b) < 0) {
        snprintf(err, errlen, "base");
        return NULL;
    }
    mh_pull *p = calloc(1, sizeof *p);
    p->number = (int)r->npulls + 1;
    p->id = mh_next_id();
    p->title = strdup(title);
    p->body = dupstr(body);
    p->user = user;
    p->open = 1;
    p->draft = draft;
    p->head_ref = strdup(head);
    p->base_ref = strdup(base);
    git_oid_tostr(p->head_sha, sizeof p->head_sha, &h);
    git_oid_tostr(p->base_sha, sizeof p->base_sha, &b);
    p->labels = json_array();
    p->reviews = json_array();
    p->requested_reviewers = json_array();
    p->requested_teams = json_array();
    p->created_at = p->updated_at = mh_now();
    p->mergeable = -1;
    add_issue(r, p);
    char refname[64];
    snprintf(refname, sizeof refname, "refs/pull/%d/head", p->number);
    git_reference *ref = NULL;
    if (git_reference_create(&ref, r->git, refname, &h, 1, "pull request") == 0)
        git_reference_free(ref);
    p->stats_stale = 1;
    return p;
}

static void pull_free(mh_pull *p)
{
    free(p->title);
    free(p->body);
    free(p->head_ref);
    free(p->base_ref);
    json_decref(p->labels);
    json_decref(p->reviews);
    json_decref(p->requested_reviewers);
    json_decref(p->requested_teams);
    free(p);
}

static int add_files_branch(mh_repo *r, const char *branch, const char *from, json_t *files,
                            const char *message, mh_user *author, char *err, size_t errlen)
{
    git_oid parent, out;
    if (mh_git_branch_tip(r, branch, &parent) == 0 && !files)
        return 0;
    int exists = mh_git_branch_tip(r, branch, &parent) == 0;
    if (!exists && mh_git_branch_tip(r, from, &parent) < 0) {
        snprintf(err, errlen, "%s: branch \"%s\" not found (to create \"%s\" from)", r->full_name,
                 from, branch);
        return -1;
    }
    if (files && json_object_size(files) > 0) {
        if (mh_git_commit_files(r, &parent, files, message, author, &out, err, errlen) < 0)
            return -1;
    } else {
        out = parent;
    }
    char ref[512];
    snprintf(ref, sizeof ref, "refs/heads/%s", branch);
    git_reference *gr = NULL;
    if (git_reference_create(&gr, r->git, ref, &out, 1, "world") < 0) {
        snprintf(err, errlen, "%s: cannot create %s: %s", r->full_name, ref, git_error_last()->message);
        return -1;
    }
    git_reference_free(gr);
    return 0;
}

/* Builds everything the world describes into st (whose lock, state_dir, base_url and strict are
 * already set). On failure st holds what was built so far: mh_state_unload releases it. */
static int state_load(mh_state *st, json_t *root, char *err, size_t errlen)
{
    st->next_id = 1000;
    json_t *seed = json_object_get(root, "seed");
    mh_faults_init(&st->faults, seed ? (unsigned long long)json_integer_value(seed) : 42);
    mh_rng_seed(&st->rng, seed ? (uint64_t)json_integer_value(seed) * 7919 + 1 : 4242);
    st->max_body = 25u * 1024 * 1024;
    json_t *rl = json_object_get(root, "rate_limit");
    st->rl_core = rl && json_object_get(rl, "core") ? (long)json_integer_value(json_object_get(rl, "core")) : 5000;
    st->rl_unauth = rl && json_object_get(rl, "unauthenticated")
                        ? (long)json_integer_value(json_object_get(rl, "unauthenticated"))
                        : 60;
    st->rl_window = rl && json_object_get(rl, "window_seconds")
                        ? (long)json_integer_value(json_object_get(rl, "window_seconds"))
                        : 3600;
    st->rl_status = rl && json_object_get(rl, "status") ? (int)json_integer_value(json_object_get(rl, "status")) : 403;
    st->anon.login = strdup("(anonymous)");
    st->anon.rl_limit = st->rl_unauth;
    st->anon.rl_reset = time(NULL) + st->rl_window;
    json_t *mdr = json_object_get(root, "mergeable_delay_reads");
    st->mergeable_delay_reads = mdr ? (int)json_integer_value(mdr) : 1;
    json_t *mdm = json_object_get(root, "mergeable_delay_ms");
    st->mergeable_delay_ms = mdm ? (long)json_integer_value(mdm) : 0;
    json_t *clock = json_object_get(root, "clock");
    json_t *freeze = json_object_get(clock, "freeze");
    if (freeze) {
        st->clock_frozen = 1;
        if (json_is_integer(freeze))
            st->clock_frozen_at = (time_t)json_integer_value(freeze);
        else
            mh_time_parse_iso(json_string_value(freeze), &st->clock_frozen_at); /* validated */
    }
    st->clock_skew_s = (long)json_integer_value(json_object_get(clock, "skew_seconds"));
    json_t *meta = json_object_get(root, "meta");
    st->meta = meta ? json_deep_copy(meta) : json_object();
    if (!json_object_get(st->meta, "hooks"))
        json_object_set_new(st->meta, "hooks", json_pack("[s,s]", "127.0.0.0/8", "::1/128"));
    st->apps = copy_or_array(json_object_get(root, "apps"));
    st->installation_tokens = json_object();
    org_members_cache = json_object();

    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(root, "users"), i, v) {
        mh_user *u = user_new(json_string_value(json_object_get(v, "login")), 0);
        if (json_object_get(v, "id"))
            u->id = json_integer_value(json_object_get(v, "id"));
        u->token = dupstr(json_string_value(json_object_get(v, "token")));
        u->name = dupstr(json_string_value(json_object_get(v, "name")));
        u->email = dupstr(json_string_value(json_object_get(v, "email")));
        const char *type = json_string_value(json_object_get(v, "type"));
        u->is_bot = type && strcmp(type, "Bot") == 0;
        u->site_admin = json_is_true(json_object_get(v, "site_admin"));
        u->rl_limit = st->rl_core;
        u->rl_reset = time(NULL) + st->rl_window;
    }
    json_array_foreach(json_object_get(root, "orgs"), i, v) {
        mh_user *o = user_new(json_string_value(json_object_get(v, "login")), 1);
        if (json_object_get(v, "id"))
            o->id = json_integer_value(json_object_get(v, "id"));
        o->name = dupstr(json_string_value(json_object_get(v, "name")));
        json_object_set_new(org_members_cache, o->login, copy_or_array(json_object_get(v, "members")));
        size_t j;
        json_t *t;
        json_array_foreach(json_object_get(v, "teams"), j, t) {
            mh_team *team = calloc(1, sizeof *team);
            team->id = json_object_get(t, "id") ? json_integer_value(json_object_get(t, "id")) : mh_next_id();
            team->slug = strdup(json_string_value(json_object_get(t, "slug")));
            team->name = strdup(json_object_get(t, "name") ? json_string_value(json_object_get(t, "name")) : team->slug);
            team->privacy = strdup(json_object_get(t, "privacy") ? json_string_value(json_object_get(t, "privacy")) : "closed");
            team->parent = dupstr(json_string_value(json_object_get(t, "parent")));
            team->org = o;
            team->members = copy_or_array(json_object_get(t, "members"));
            team->maintainers = copy_or_array(json_object_get(t, "maintainers"));
            team->pending = copy_or_array(json_object_get(t, "pending"));
            st->teams = realloc(st->teams, (st->nteams + 1) * sizeof *st->teams);
            st->teams[st->nteams++] = team;
        }
    }
    json_array_foreach(json_object_get(root, "repos"), i, v) {
        const char *full = json_string_value(json_object_get(v, "full_name"));
        const char *slash = strchr(full, '/');
        char owner[64];
        snprintf(owner, sizeof owner, "%.*s", (int)(slash - full), full);
        mh_repo *r = calloc(1, sizeof *r);
        r->owner = mh_user_by_login(owner);
        r->name = strdup(slash + 1);
        char fn[256];
        snprintf(fn, sizeof fn, "%s/%s", r->owner->login, r->name);
        r->full_name = strdup(fn);
        r->id = json_object_get(v, "id") ? json_integer_value(json_object_get(v, "id")) : mh_next_id();
        r->default_branch = strdup(json_object_get(v, "default_branch") ? json_string_value(json_object_get(v, "default_branch")) : "main");
        r->description = dupstr(json_string_value(json_object_get(v, "description")));
        r->private = json_object_get(v, "private") ? json_is_true(json_object_get(v, "private")) : 1;
        r->archived = json_is_true(json_object_get(v, "archived"));
        r->settings = json_pack("{s:b, s:b, s:b, s:b, s:b, s:s, s:s, s:s, s:s}", "allow_squash_merge", 1,
                                "allow_merge_commit", 1, "allow_rebase_merge", 1, "allow_auto_merge", 0,
                                "delete_branch_on_merge", 0, "squash_merge_commit_title",
                                "COMMIT_OR_PR_TITLE", "squash_merge_commit_message", "COMMIT_MESSAGES",
                                "merge_commit_title", "MERGE_MESSAGE", "merge_commit_message", "PR_TITLE");
        const char *sk;
        json_t *sv;
        json_object_foreach(r->settings, sk, sv) {
            json_t *given = json_object_get(v, sk);
            if (given)
                json_object_set(r->settings, sk, given);
        }
        r->collaborators = copy_or_object(json_object_get(v, "collaborators"));
        r->team_roles = copy_or_object(json_object_get(v, "teams"));
        r->labels = json_array();
        r->hooks = json_array();
        r->comments = json_array();
        r->review_comments = json_array();
        r->events = json_array();
        r->statuses = json_array();
        r->check_runs = json_array();
        r->protection = copy_or_object(json_object_get(v, "branch_protection"));
        r->created_at = r->updated_at = r->pushed_at = mh_now();
        st->repos = realloc(st->repos, (st->nrepos + 1) * sizeof *st->repos);
        st->repos[st->nrepos++] = r;
        char dir[4096];
        snprintf(dir, sizeof dir, "%s/repos/%s/%s.git", st->state_dir, r->owner->login, r->name);
        if (mkdirs(dir) < 0) {
            snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
            return -1;
        }
        r->gitdir = strdup(dir);
        if (mh_git_init_repo(r, json_object_get(v, "files"), err, errlen) < 0)
            return -1;
        size_t j;
        json_t *l;
        json_array_foreach(json_object_get(v, "labels"), j, l) {
            const char *name = json_is_string(l) ? json_string_value(l) : json_string_value(json_object_get(l, "name"));
            if (!mh_repo_label(r, name))
                mh_repo_label_add(r, name, json_string_value(json_object_get(l, "color")),
                                  json_string_value(json_object_get(l, "description")));
        }
        json_array_foreach(json_object_get(v, "hooks"), j, l) {
            char now[32];
            mh_iso_now(now);
            json_t *h = json_pack("{s:I, s:s, s:s, s:s, s:o, s:b, s:s, s:s}", "id",
                                  json_object_get(l, "id") ? json_integer_value(json_object_get(l, "id")) : (json_int_t)mh_next_id(),
                                  "url", json_string_value(json_object_get(l, "url")), "secret",
                                  json_object_get(l, "secret") ? json_string_value(json_object_get(l, "secret")) : "",
                                  "content_type", json_object_get(l, "content_type") ? json_string_value(json_object_get(l, "content_type")) : "json",
                                  "events", json_object_get(l, "events") ? json_incref(json_object_get(l, "events")) : json_pack("[s]", "push"),
                                  "active", json_object_get(l, "active") ? json_is_true(json_object_get(l, "active")) : 1,
                                  "created_at", now, "updated_at", now);
            json_array_append_new(r->hooks, h);
        }
        const char *bname;
        json_t *b;
        json_object_foreach(json_object_get(v, "branches"), bname, b) {
            const char *from = json_string_value(json_object_get(b, "from"));
            const char *msg = json_string_value(json_object_get(b, "message"));
            char m[512];
            snprintf(m, sizeof m, "Update %s", bname);
            if (add_files_branch(r, bname, from ? from : r->default_branch, json_object_get(b, "files"),
                                 msg ? msg : m, r->owner, err, errlen) < 0)
                return -1;
        }
        json_array_foreach(json_object_get(v, "pulls"), j, l) {
            const char *head = json_string_value(json_object_get(l, "head"));
            const char *base = json_object_get(l, "base") ? json_string_value(json_object_get(l, "base")) : r->default_branch;
            mh_user *u = mh_user_by_login(json_string_value(json_object_get(l, "user")));
            char m[512];
            snprintf(m, sizeof m, "Change on %s", head);
            if (add_files_branch(r, head, base, json_object_get(l, "files"), m, u, err, errlen) < 0)
                return -1;
            const char *title = json_string_value(json_object_get(l, "title"));
            char t[512];
            snprintf(t, sizeof t, "Pull request from %s", head);
            mh_pull *p = mh_pull_new(r, u, title ? title : t, json_string_value(json_object_get(l, "body")),
                                     head, base, json_is_true(json_object_get(l, "draft")), err, errlen);
            if (!p) {
                char e2[256];
                snprintf(e2, sizeof e2, "%s: pull %zu: unknown %s branch", r->full_name, j, err);
                snprintf(err, errlen, "%s", e2);
                return -1;
            }
            size_t k;
            json_t *lab;
            json_array_foreach(json_object_get(l, "labels"), k, lab) {
                const char *name = json_is_string(lab) ? json_string_value(lab) : json_string_value(json_object_get(lab, "name"));
                json_t *rl2 = mh_repo_label(r, name);
                if (!rl2)
                    rl2 = mh_repo_label_add(r, name, NULL, NULL);
                json_array_append(p->labels, json_object_get(rl2, "name"));
            }
            const char *state = json_string_value(json_object_get(l, "state"));
            if (state && strcmp(state, "closed") == 0) {
                p->open = 0;
                p->closed_at = mh_now();
            }
        }
    }
    /* GitHub Apps: each gets a bot user "<slug>[bot]" with write on the repositories of its
     * installations (installation tokens authenticate as that bot). */
    json_array_foreach(st->apps, i, v) {
        char bot[128];
        snprintf(bot, sizeof bot, "%s[bot]", json_string_value(json_object_get(v, "slug")));
        mh_user *b = user_new(bot, 0);
        b->is_bot = 1;
        b->rl_limit = st->rl_core;
        b->rl_reset = time(NULL) + st->rl_window;
        json_object_set_new(v, "bot_login", json_string(bot));
        json_t *wh = json_object_get(v, "webhook");
        if (wh) { /* normalise the App's webhook like a repository hook */
            json_object_set_new(wh, "id", json_integer(mh_next_id()));
            json_object_set(wh, "app_id", json_object_get(v, "id"));
            if (!json_object_get(wh, "events"))
                json_object_set_new(wh, "events", json_pack("[s]", "*"));
            if (!json_object_get(wh, "active"))
                json_object_set_new(wh, "active", json_true());
            if (!json_object_get(wh, "content_type"))
                json_object_set_new(wh, "content_type", json_string("json"));
        }
        size_t j;
        json_t *inst;
        json_array_foreach(json_object_get(v, "installations"), j, inst) {
            const char *acct = json_string_value(json_object_get(inst, "account"));
            json_t *names = json_object_get(inst, "repositories");
            for (size_t k = 0; k < st->nrepos; k++) {
                mh_repo *r = st->repos[k];
                if (!mh_streq_ci(r->owner->login, acct))
                    continue;
                int covered = !names || json_is_string(names);
                size_t m;
                json_t *nm;
                json_array_foreach(names, m, nm) {
                    covered |= json_is_string(nm) && mh_streq_ci(json_string_value(nm), r->name);
                }
                if (covered && !json_object_get(r->collaborators, bot))
                    json_object_set_new(r->collaborators, bot, json_string("write"));
            }
        }
    }
    json_t *faults = json_object_get(root, "faults");
    json_array_foreach(faults, i, v) {
        if (mh_faults_add(&st->faults, v, err, errlen) < 0)
            return -1;
    }
    return 0;
}

int mh_state_init(mh_state *st, const mh_world *w, const char *state_dir, char *err, size_t errlen)
{
    memset(st, 0, sizeof *st);
    g_mh = st;
    pthread_mutex_init(&st->lock, NULL);
    st->state_dir = strdup(state_dir);
    st->world = json_deep_copy(w->root);
    return state_load(st, st->world, err, errlen);
}

/* Releases what state_load built; keeps the lock, state_dir, base_url, strict and the world. */
static void state_unload(mh_state *st)
{
    for (size_t i = 0; i < st->nrepos; i++) {
        mh_repo *r = st->repos[i];
        for (size_t j = 0; j < r->npulls; j++)
            pull_free(r->pulls[j]);
        free(r->pulls);
        git_repository_free(r->git);
        free(r->gitdir);
        free(r->name);
        free(r->full_name);
        free(r->default_branch);
        free(r->description);
        json_decref(r->settings);
        json_decref(r->collaborators);
        json_decref(r->team_roles);
        json_decref(r->labels);
        json_decref(r->hooks);
        json_decref(r->comments);
        json_decref(r->review_comments);
        json_decref(r->events);
        json_decref(r->statuses);
        json_decref(r->check_runs);
        json_decref(r->protection);
        json_decref(r->json_min);
        json_decref(r->contributors);
        free(r);
    }
    free(st->repos);
    for (size_t i = 0; i < st->nteams; i++) {
        mh_team *t = st->teams[i];
        free(t->slug);
        free(t->name);
        free(t->privacy);
        free(t->parent);
        json_decref(t->members);
        json_decref(t->maintainers);
        json_decref(t->pending);
        free(t);
    }
    free(st->teams);
    for (size_t i = 0; i < st->nusers; i++) {
        mh_user *u = st->users[i];
        free(u->login);
        free(u->name);
        free(u->email);
        free(u->token);
        json_decref(u->json);
        free(u);
    }
    free(st->users);
    free(st->anon.login);
    mh_reqlog_clear();
    free(st->reqs);
    json_decref(st->meta);
    json_decref(st->apps);
    json_decref(st->installation_tokens);
    json_decref(org_members_cache);
    org_members_cache = NULL;
    mh_faults_dispose(&st->faults);
    st->repos = NULL;
    st->nrepos = 0;
    st->teams = NULL;
    st->nteams = 0;
    st->users = NULL;
    st->nusers = 0;
    st->reqs = NULL;
    st->nreqs = st->reqcap = 0;
    st->req_seq = 0;
    st->meta = st->apps = st->installation_tokens = NULL;
    memset(&st->anon, 0, sizeof st->anon);
    st->clock_frozen = 0;
    st->clock_skew_s = 0;
}

void mh_state_dispose(mh_state *st)
{
    state_unload(st);
    json_decref(st->world);
    free(st->state_dir);
    free(st->base_url);
    pthread_mutex_destroy(&st->lock);
}

/* rm -rf DIR (a directory mockhub made: state_dir/repos). */
static int remove_tree(const char *dir)
{
    extern char **environ;
    char *argv[] = {"rm", "-rf", "--", (char *)dir, NULL};
    pid_t pid;
    int status;
    if (posix_spawnp(&pid, "rm", NULL, NULL, argv, environ) != 0 || waitpid(pid, &status, 0) < 0)
        return -1;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

int mh_state_reset(const mh_world *w, char *err, size_t errlen)
{
    mh_state *st = g_mh;
    if (w) {
        json_decref(st->world);
        st->world = json_deep_copy(w->root);
    }
    state_unload(st);
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/repos", st->state_dir);
    if (remove_tree(dir) < 0) {
        snprintf(err, errlen, "cannot remove %s", dir);
        return -1;
    }
    return state_load(st, st->world, err, errlen);
}

static const char *combined_state(mh_repo *r, const char *sha, size_t *count);

/* Latest state of a required check: "success", "failure" or "expected" (missing or pending).
 * A commit status context or a check run name both count, as GitHub. */
static const char *required_check_state(mh_repo *r, const char *sha, const char *name)
{
    for (size_t i = json_array_size(r->statuses); i-- > 0;) {
        json_t *s = json_array_get(r->statuses, i);
        if (!strcmp(json_string_value(json_object_get(s, "sha")), sha) &&
            mh_streq_ci(json_string_value(json_object_get(s, "context")), name)) {
            const char *st = json_string_value(json_object_get(s, "state"));
            return !strcmp(st, "success") ? "success" : !strcmp(st, "pending") ? "expected" : "failure";
        }
    }
    for (size_t i = json_array_size(r->check_runs); i-- > 0;) {
        json_t *c = json_array_get(r->check_runs, i);
        if (strcmp(json_string_value(json_object_get(c, "head_sha")), sha) || strcmp(json_string_value(json_object_get(c, "name")), name))
            continue;
        const char *concl = json_string_value(json_object_get(c, "conclusion"));
        if (!concl)
            return "expected";
        return !strcmp(concl, "success") || !strcmp(concl, "neutral") || !strcmp(concl, "skipped") ? "success" : "failure";
    }
    return "expected";
}

const char *mh_protection_blocker(mh_repo *r, mh_pull *p, char *buf, size_t len)
{
    json_t *prot = json_object_get(r->protection, p->base_ref);
    if (!prot)
        return NULL;
    /* reviews: each writer's latest APPROVED / CHANGES_REQUESTED / DISMISSED counts */
    json_t *latest = json_object();
    size_t i;
    json_t *rv;
    json_array_foreach(p->reviews, i, rv) {
        const char *st = json_string_value(json_object_get(rv, "state"));
        const char *who = json_string_value(json_object_get(rv, "user"));
        mh_user *u = mh_user_by_login(who);
        if (!u || u == p->user || mh_repo_role(r, u) < 3)
            continue;
        if (!strcmp(st, "APPROVED") || !strcmp(st, "CHANGES_REQUESTED") || !strcmp(st, "DISMISSED"))
            json_object_set_new(latest, who, json_string(st));
    }
    long approvals = 0, changes = 0;
    const char *k;
    json_t *v;
    json_object_foreach(latest, k, v) {
        approvals += !strcmp(json_string_value(v), "APPROVED");
        changes += !strcmp(json_string_value(v), "CHANGES_REQUESTED");
    }
    json_decref(latest);
    long need = (long)json_integer_value(json_object_get(prot, "required_approving_review_count"));
    if (changes) {
        snprintf(buf, len, "Changes must be made through a pull request. Review changes requested by reviewers with write access.");
        return buf;
    }
    if (approvals < need) {
        snprintf(buf, len, "At least %ld approving review%s required by reviewers with write access.", need,
                 need == 1 ? " is" : "s are");
        return buf;
    }
    json_array_foreach(json_object_get(prot, "required_status_checks"), i, v) {
        const char *st = required_check_state(r, p->head_sha, json_string_value(v));
        if (strcmp(st, "success") != 0) {
            snprintf(buf, len, "Required status check \"%s\" is %s.", json_string_value(v),
                     !strcmp(st, "failure") ? "failing" : "expected");
            return buf;
        }
    }
    return NULL;
}

/* ---------------------------------------------------------------- rendering */

#define B (g_mh->base_url)

static void seturl(json_t *o, const char *key, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void seturl(json_t *o, const char *key, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    json_object_set_new(o, key, json_string(buf));
}

static json_t *iso_or_null(time_t t)
{
    if (!t)
        return json_null();
    char s[32];
    mh_time_iso(s, t);
    return json_string(s);
}

static json_t *node_id(const char *kind, int64_t id)
{
    char s[64];
    snprintf(s, sizeof s, "%s_kwDO%08llX", kind, (unsigned long long)id);
    return json_string(s);
}

json_t *mh_render_user(const mh_user *u)
{
    if (!u)
        return json_null();
    char *enc = mh_url_encode(u->login, 0); /* "app[bot]" -> "app%5Bbot%5D", as GitHub */
    const char *l = enc;
    json_t *o = json_object();
    json_object_set_new(o, "login", json_string(u->login));
    json_object_set_new(o, "id", json_integer(u->id));
    json_object_set_new(o, "node_id", node_id(u->is_org ? "O" : u->is_bot ? "BOT" : "U", u->id));
    seturl(o, "avatar_url", "%s/avatars/%s", B, l);
    json_object_set_new(o, "gravatar_id", json_string(""));
    seturl(o, "url", "%s/users/%s", B, l);
    seturl(o, "html_url", "%s/%s", B, l);
    seturl(o, "followers_url", "%s/users/%s/followers", B, l);
    seturl(o, "following_url", "%s/users/%s/following{/other_user}", B, l);
    seturl(o, "gists_url", "%s/users/%s/gists{/gist_id}", B, l);
    seturl(o, "starred_url", "%s/users/%s/starred{/owner}{/repo}", B, l);
    seturl(o, "subscriptions_url", "%s/users/%s/subscriptions", B, l);
    seturl(o, "organizations_url", "%s/users/%s/orgs", B, l);
    seturl(o, "repos_url", "%s/users/%s/repos", B, l);
    seturl(o, "events_url", "%s/users/%s/events{/privacy}", B, l);
    seturl(o, "received_events_url", "%s/users/%s/received_events", B, l);
    json_object_set_new(o, "type", json_string(u->is_org ? "Organization" : u->is_bot ? "Bot" : "User"));
    json_object_set_new(o, "user_view_type", json_string("public"));
    json_object_set_new(o, "site_admin", json_boolean(u->site_admin));
    free(enc);
    return o;
}

json_t *mh_user_json(mh_user *u)
{
    if (!u)
        return json_null();
    if (!u->json)
        u->json = mh_render_user(u);
    return json_incref(u->json);
}

static json_t *render_repo(const mh_repo *r, const mh_user *viewer, int full, int webhook_push);

/* Pull requests embed the repository twice; a cached, shared minimal rendering keeps
 * GET pulls/{n} cheap. Rebuilt when anything it shows changes. */
static json_t *repo_min_json(mh_repo *r)
{
    int open = 0;
    for (size_t i = 0; i < r->npulls; i++)
        open += r->pulls[i]->open;
    char key[160];
    snprintf(key, sizeof key, "%lld/%lld/%d/%s/%d/%d/%p", (long long)r->updated_at, (long long)r->pushed_at,
             open, r->default_branch, r->private, r->archived, (void *)r->description);
    if (!r->json_min || strcmp(key, r->json_key) != 0) {
        json_decref(r->json_min);
        r->json_min = render_repo(r, NULL, 0, 0);
        snprintf(r->json_key, sizeof r->json_key, "%s", key);
    }
    return json_incref(r->json_min);
}

json_t *mh_render_repo(const mh_repo *r, const mh_user *viewer, int full, int webhook_push)
{
    if (!viewer && !full && !webhook_push)
        return repo_min_json((mh_repo *)r);
    return render_repo(r, viewer, full, webhook_push);
}

static json_t *render_repo(const mh_repo *r, const mh_user *viewer, int full, int webhook_push)
{
    json_t *o = json_object();
    const char *fn = r->full_name;
    char api[512];
    snprintf(api, sizeof api, "%s/repos/%s", B, fn);
    json_object_set_new(o, "id", json_integer(r->id));
    json_object_set_new(o, "node_id", node_id("R", r->id));
    json_object_set_new(o, "name", json_string(r->name));
    json_object_set_new(o, "full_name", json_string(fn));
    json_object_set_new(o, "private", json_boolean(r->private));
    json_object_set_new(o, "owner", mh_user_json(r->owner));
    seturl(o, "html_url", "%s/%s", B, fn);
    json_object_set_new(o, "description", r->description ? json_string(r->description) : json_null());
    json_object_set_new(o, "fork", json_false());
    json_object_set_new(o, "url", json_string(api));
    static const char *const tpl[][2] = {
        {"archive_url", "/{archive_format}{/ref}"}, {"assignees_url", "/assignees{/user}"},
        {"blobs_url", "/git/blobs{/sha}"}, {"branches_url", "/branches{/branch}"},
        {"collaborators_url", "/collaborators{/collaborator}"}, {"comments_url", "/comments{/number}"},
        {"commits_url", "/commits{/sha}"}, {"compare_url", "/compare/{base}...{head}"},
        {"contents_url", "/contents/{+path}"}, {"contributors_url", "/contributors"},
        {"deployments_url", "/deployments"}, {"downloads_url", "/downloads"},
        {"events_url", "/events"}, {"forks_url", "/forks"}, {"git_commits_url", "/git/commits{/sha}"},
        {"git_refs_url", "/git/refs{/sha}"}, {"git_tags_url", "/git/tags{/sha}"},
        {"hooks_url", "/hooks"}, {"issue_comment_url", "/issues/comments{/number}"},
        {"issue_events_url", "/issues/events{/number}"}, {"issues_url", "/issues{/number}"},
        {"keys_url", "/keys{/key_id}"}, {"labels_url", "/labels{/name}"},
        {"languages_url", "/languages"}, {"merges_url", "/merges"},
        {"milestones_url", "/milestones{/number}"},
        {"notifications_url", "/notifications{?since,all,participating}"},
        {"pulls_url", "/pulls{/number}"}, {"releases_url", "/releases{/id}"},
        {"stargazers_url", "/stargazers"}, {"statuses_url", "/statuses/{sha}"},
        {"subscribers_url", "/subscribers"}, {"subscription_url", "/subscription"},
        {"tags_url", "/tags"}, {"teams_url", "/teams"}, {"trees_url", "/git/trees{/sha}"}};
    for (size_t i = 0; i < sizeof tpl / sizeof *tpl; i++)
        seturl(o, tpl[i][0], "%s%s", api, tpl[i][1]);
    seturl(o, "git_url", "%s/%s.git", B, fn);
    seturl(o, "ssh_url", "git@127.0.0.1:%s.git", fn);
    seturl(o, "clone_url", "%s/%s.git", B, fn);
    seturl(o, "svn_url", "%s/%s", B, fn);
    json_object_set_new(o, "mirror_url", json_null());
    json_object_set_new(o, "homepage", json_null());
    json_object_set_new(o, "language", json_null());
    json_object_set_new(o, "size", json_integer(1));
    json_object_set_new(o, "stargazers_count", json_integer(0));
    json_object_set_new(o, "watchers_count", json_integer(0));
    json_object_set_new(o, "forks_count", json_integer(0));
    json_object_set_new(o, "forks", json_integer(0));
    json_object_set_new(o, "watchers", json_integer(0));
    int open = 0;
    for (size_t i = 0; i < r->npulls; i++)
        open += r->pulls[i]->open;
    json_object_set_new(o, "open_issues_count", json_integer(open));
    json_object_set_new(o, "open_issues", json_integer(open));
    json_object_set_new(o, "has_issues", json_true());
    json_object_set_new(o, "has_projects", json_false());
    json_object_set_new(o, "has_wiki", json_false());
    json_object_set_new(o, "has_pages", json_false());
    json_object_set_new(o, "has_downloads", json_true());
    json_object_set_new(o, "has_discussions", json_false());
    json_object_set_new(o, "archived", json_boolean(r->archived));
    json_object_set_new(o, "disabled", json_false());
    json_object_set_new(o, "visibility", json_string(r->private ? "private" : "public"));
    json_object_set_new(o, "license", json_null());
    json_object_set_new(o, "allow_forking", json_true());
    json_object_set_new(o, "is_template", json_false());
    json_object_set_new(o, "web_commit_signoff_required", json_false());
    json_object_set_new(o, "topics", json_array());
    json_object_set_new(o, "default_branch", json_string(r->default_branch));
    if (webhook_push) {
        json_object_set_new(o, "created_at", json_integer(r->created_at));
        json_object_set_new(o, "updated_at", iso_or_null(r->updated_at));
        json_object_set_new(o, "pushed_at", json_integer(r->pushed_at));
        json_object_set_new(o, "stargazers", json_integer(0));
        json_object_set_new(o, "master_branch", json_string(r->default_branch));
        if (r->owner->is_org)
            json_object_set_new(o, "organization", json_string(r->owner->login));
    } else {
        json_object_set_new(o, "created_at", iso_or_null(r->created_at));
        json_object_set_new(o, "updated_at", iso_or_null(r->updated_at));
        json_object_set_new(o, "pushed_at", iso_or_null(r->pushed_at));
    }
    if (full == 1) {
        json_object_set_new(o, "network_count", json_integer(0));
        json_object_set_new(o, "subscribers_count", json_integer(0));
        const char *k;
        json_t *v;
        json_object_foreach(r->settings, k, v) {
            json_object_set(o, k, v);
        }
        json_object_set_new(o, "allow_update_branch", json_false());
        json_object_set_new(o, "use_squash_pr_title_as_default", json_false());
        if (r->owner->is_org)
            json_object_set_new(o, "organization", mh_render_user(r->owner));
    }
    if (viewer && full != 2) {
        int role = mh_repo_role(r, viewer);
        json_object_set_new(o, "permissions",
                            json_pack("{s:b, s:b, s:b, s:b, s:b}", "admin", role >= 5, "maintain",
                                      role >= 4, "push", role >= 3, "triage", role >= 2, "pull", role >= 1));
    }
    return o;
}

json_t *mh_render_label(const mh_repo *r, const json_t *l)
{
    json_t *o = json_object();
    const char *name = json_string_value(json_object_get(l, "name"));
    char *enc = mh_url_encode(name, 0);
    json_object_set(o, "id", json_object_get(l, "id"));
    json_object_set_new(o, "node_id", node_id("LA", json_integer_value(json_object_get(l, "id"))));
    seturl(o, "url", "%s/repos/%s/labels/%s", B, r->full_name, enc);
    free(enc);
    json_object_set(o, "name", json_object_get(l, "name"));
    json_object_set(o, "color", json_object_get(l, "color"));
    json_object_set(o, "default", json_object_get(l, "default"));
    json_object_set(o, "description", json_object_get(l, "description"));
    return o;
}

json_t *mh_render_labels_of(mh_repo *r, mh_pull *p)
{
    json_t *arr = json_array();
    size_t i;
    json_t *n;
    json_array_foreach(p->labels, i, n) {
        json_t *l = mh_repo_label(r, json_string_value(n));
        if (l)
            json_array_append_new(arr, mh_render_label(r, l));
    }
    return arr;
}

static const char *author_association(mh_repo *r, const mh_user *u);

const char *mh_author_association(mh_repo *r, const mh_user *u)
{
    return author_association(r, u);
}

/* Members of an org: its "members" plus every member of its teams. */
int mh_org_has_member(const mh_user *org, const mh_user *u)
{
    return in_list(json_object_get(org_members_cache, org->login), u->login) || org_member(org, u->login);
}

/* Logins whose commits are on r's default branch (cached by the branch's tip). */
static int is_contributor(mh_repo *r, const mh_user *u)
{
    git_oid tip;
    if (mh_git_branch_tip(r, r->default_branch, &tip) < 0)
        return 0;
    char sha[41];
    git_oid_tostr(sha, sizeof sha, &tip);
    if (!r->contributors || strcmp(sha, r->contributors_tip)) {
        json_decref(r->contributors);
        r->contributors = mh_git_authors(r, &tip);
        snprintf(r->contributors_tip, sizeof r->contributors_tip, "%s", sha);
    }
    return json_object_get(r->contributors, u->login) != NULL;
}

/* GitHub's order: OWNER (the repository's owner), MEMBER (of the organization that owns it),
 * COLLABORATOR (invited to it), CONTRIBUTOR (has commits on it), NONE. */
static const char *author_association(mh_repo *r, const mh_user *u)
{
    if (!u)
        return "NONE";
    if (u == r->owner)
        return "OWNER";
    if (r->owner->is_org && mh_org_has_member(r->owner, u))
        return "MEMBER";
    const char *k;
    json_t *v;
    json_object_foreach(r->collaborators, k, v) {
        if (mh_streq_ci(k, u->login))
            return "COLLABORATOR";
    }
    if (is_contributor(r, u))
        return "CONTRIBUTOR";
    return "NONE";
}

static json_t *branch_end(mh_repo *r, mh_pull *p, const char *ref, const char *sha)
{
    json_t *o = json_object();
    char label[512];
    snprintf(label, sizeof label, "%s:%s", r->owner->login, ref);
    json_object_set_new(o, "label", json_string(label));
    json_object_set_new(o, "ref", json_string(ref));
    json_object_set_new(o, "sha", json_string(sha));
    json_object_set_new(o, "user", mh_user_json(r->owner));
    json_object_set_new(o, "repo", mh_render_repo(r, NULL, 0, 0));
    (void)p;
    return o;
}

static int pull_mergeable_view(mh_pull *p)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    if (!p->open || p->mergeable < 0 || p->null_reads_left > 0 ||
        tv.tv_sec * 1000.0 + tv.tv_usec / 1000.0 < p->ready_at_ms)
        return -1;
    return p->mergeable;
}

static const char *combined_state(mh_repo *r, const char *sha, size_t *count);

json_t *mh_render_pull(mh_repo *r, mh_pull *p, int full)
{
    json_t *o = json_object();
    char api[512], html[512];
    snprintf(api, sizeof api, "%s/repos/%s/pulls/%d", B, r->full_name, p->number);
    snprintf(html, sizeof html, "%s/%s/pull/%d", B, r->full_name, p->number);
    json_object_set_new(o, "url", json_string(api));
    json_object_set_new(o, "id", json_integer(p->id));
    json_object_set_new(o, "node_id", node_id("PR", p->id));
    json_object_set_new(o, "html_url", json_string(html));
    seturl(o, "diff_url", "%s.diff", html);
    seturl(o, "patch_url", "%s.patch", html);
    seturl(o, "issue_url", "%s/repos/%s/issues/%d", B, r->full_name, p->number);
    seturl(o, "commits_url", "%s/commits", api);
    seturl(o, "review_comments_url", "%s/comments", api);
    seturl(o, "review_comment_url", "%s/repos/%s/pulls/comments{/number}", B, r->full_name);
    seturl(o, "comments_url", "%s/repos/%s/issues/%d/comments", B, r->full_name, p->number);
    seturl(o, "statuses_url", "%s/repos/%s/statuses/%s", B, r->full_name, p->head_sha);
    json_object_set_new(o, "number", json_integer(p->number));
    json_object_set_new(o, "state", json_string(p->open ? "open" : "closed"));
    json_object_set_new(o, "locked", json_boolean(p->locked));
    json_object_set_new(o, "title", json_string(p->title));
    json_object_set_new(o, "user", mh_user_json(p->user));
    json_object_set_new(o, "body", p->body ? json_string(p->body) : json_null());
    json_object_set_new(o, "labels", mh_render_labels_of(r, p));
    json_object_set_new(o, "milestone", json_null());
    json_object_set_new(o, "active_lock_reason", json_null());
    json_object_set_new(o, "created_at", iso_or_null(p->created_at));
    json_object_set_new(o, "updated_at", iso_or_null(p->updated_at));
    json_object_set_new(o, "closed_at", iso_or_null(p->closed_at));
    json_object_set_new(o, "merged_at", iso_or_null(p->merged_at));
    json_object_set_new(o, "merge_commit_sha", p->merge_commit_sha[0] ? json_string(p->merge_commit_sha) : json_null());
    json_object_set_new(o, "assignee", json_null());
    json_object_set_new(o, "assignees", json_array());
    json_t *rr = json_array(), *rt = json_array();
    size_t ri;
    json_t *rv;
    json_array_foreach(p->requested_reviewers, ri, rv) {
        mh_user *u = mh_user_by_login(json_string_value(rv));
        if (u)
            json_array_append_new(rr, mh_user_json(u));
    }
    json_array_foreach(p->requested_teams, ri, rv) {
        mh_team *t = mh_team_find(r->owner->login, json_string_value(rv));
        if (t)
            json_array_append_new(rt, mh_render_team(t, "pull"));
    }
    json_object_set_new(o, "requested_reviewers", rr);
    json_object_set_new(o, "requested_teams", rt);
    json_object_set_new(o, "head", branch_end(r, p, p->head_ref, p->head_sha));
    git_oid base_tip;
    char base_sha[41];
    snprintf(base_sha, sizeof base_sha, "%s", p->base_sha);
    if (p->open && mh_git_branch_tip(r, p->base_ref, &base_tip) == 0)
        git_oid_tostr(base_sha, sizeof base_sha, &base_tip);
    json_object_set_new(o, "base", branch_end(r, p, p->base_ref, base_sha));
    json_t *links = json_object();
    json_object_set_new(links, "self", json_pack("{s:s}", "href", api));
    json_object_set_new(links, "html", json_pack("{s:s}", "href", html));
    json_object_set_new(links, "issue", json_pack("{s:s++}", "href", B, "/repos/", r->full_name));
    json_object_set_new(json_object_get(links, "issue"), "href", json_string(json_string_value(json_object_get(o, "issue_url"))));
    json_object_set_new(links, "comments", json_pack("{s:O}", "href", json_object_get(o, "comments_url")));
    json_object_set_new(links, "review_comments", json_pack("{s:O}", "href", json_object_get(o, "review_comments_url")));
    char rc[600];
    snprintf(rc, sizeof rc, "%s/repos/%s/pulls/comments{/number}", B, r->full_name);
    json_object_set_new(links, "review_comment", json_pack("{s:s}", "href", rc));
    json_object_set_new(links, "commits", json_pack("{s:O}", "href", json_object_get(o, "commits_url")));
    json_object_set_new(links, "statuses", json_pack("{s:O}", "href", json_object_get(o, "statuses_url")));
    json_object_set_new(o, "_links", links);
    json_object_set_new(o, "author_association", json_string(author_association(r, p->user)));
    json_object_set_new(o, "auto_merge", json_null());
    json_object_set_new(o, "draft", json_boolean(p->draft));
    if (full) {
        if (p->stats_stale) {
            mh_git_pull_stats(r, p);
            p->stats_stale = 0;
        }
        json_object_set_new(o, "merged", json_boolean(p->merged));
        int m = pull_mergeable_view(p);
        json_object_set_new(o, "mergeable", m < 0 ? json_null() : json_boolean(m));
        json_object_set_new(o, "rebaseable", m < 0 ? json_null() : json_boolean(m));
        const char *ms = "unknown";
        if (m == 0)
            ms = "dirty";
        else if (m == 1) {
            if (p->draft)
                ms = "draft";
            else {
                size_t n;
                char why[256];
                const char *cs = combined_state(r, p->head_sha, &n);
                ms = mh_protection_blocker(r, p, why, sizeof why) ? "blocked"
                     : (n == 0 || strcmp(cs, "success") == 0) ? "clean" : "unstable";
            }
        }
        json_object_set_new(o, "mergeable_state", json_string(ms));
        json_object_set_new(o, "merged_by", mh_user_json(p->merged_by));
        json_object_set_new(o, "comments", json_integer(p->comments));
        json_object_set_new(o, "review_comments", json_integer(mh_review_comment_count(r, p->number)));
        json_object_set_new(o, "maintainer_can_modify", json_false());
        json_object_set_new(o, "commits", json_integer(p->ncommits));
        json_object_set_new(o, "additions", json_integer(p->additions));
        json_object_set_new(o, "deletions", json_integer(p->deletions));
        json_object_set_new(o, "changed_files", json_integer(p->changed_files));
    }
    return o;
}

json_t *mh_render_review(mh_repo *r, mh_pull *p, const json_t *rv)
{
    json_t *o = json_object();
    int64_t id = json_integer_value(json_object_get(rv, "id"));
    mh_user *u = mh_user_by_login(json_string_value(json_object_get(rv, "user")));
    json_object_set_new(o, "id", json_integer(id));
    json_object_set_new(o, "node_id", node_id("PRR", id));
    json_object_set_new(o, "user", mh_render_user(u));
    json_object_set(o, "body", json_object_get(rv, "body"));
    json_object_set(o, "state", json_object_get(rv, "state"));
    seturl(o, "html_url", "%s/%s/pull/%d#pullrequestreview-%lld", B, r->full_name, p->number, (long long)id);
    seturl(o, "pull_request_url", "%s/repos/%s/pulls/%d", B, r->full_name, p->number);
    json_object_set_new(o, "_links", json_pack("{s:{s:o}, s:{s:O}}", "html", "href", json_string(""),
                                               "pull_request", "href", json_object_get(o, "pull_request_url")));
    json_object_set(json_object_get(json_object_get(o, "_links"), "html"), "href", json_object_get(o, "html_url"));
    json_object_set(o, "commit_id", json_object_get(rv, "commit_id"));
    if (json_object_get(rv, "submitted_at"))
        json_object_set(o, "submitted_at", json_object_get(rv, "submitted_at"));
    json_object_set_new(o, "author_association", json_string(author_association(r, u)));
    return o;
}

json_t *mh_render_comment(mh_repo *r, const json_t *c)
{
    json_t *o = json_object();
    int64_t id = json_integer_value(json_object_get(c, "id"));
    int issue = (int)json_integer_value(json_object_get(c, "issue"));
    mh_user *u = mh_user_by_login(json_string_value(json_object_get(c, "user")));
    json_object_set_new(o, "id", json_integer(id));
    json_object_set_new(o, "node_id", node_id("IC", id));
    seturl(o, "url", "%s/repos/%s/issues/comments/%lld", B, r->full_name, (long long)id);
    seturl(o, "html_url", "%s/%s/pull/%d#issuecomment-%lld", B, r->full_name, issue, (long long)id);
    seturl(o, "issue_url", "%s/repos/%s/issues/%d", B, r->full_name, issue);
    json_object_set(o, "body", json_object_get(c, "body"));
    json_object_set_new(o, "user", mh_render_user(u));
    json_object_set(o, "created_at", json_object_get(c, "created_at"));
    json_object_set(o, "updated_at", json_object_get(c, "updated_at"));
    json_object_set_new(o, "author_association", json_string(author_association(r, u)));
    json_object_set_new(o, "performed_via_github_app", json_null());
    json_object_set_new(o, "reactions", json_pack("{s:s, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i}", "url", "",
                                                  "total_count", 0, "+1", 0, "-1", 0, "laugh", 0, "confused", 0,
                                                  "heart", 0, "hooray", 0, "eyes", 0, "rocket", 0));
    seturl(json_object_get(o, "reactions"), "url", "%s/repos/%s/issues/comments/%lld/reactions", B, r->full_name, (long long)id);
    return o;
}

json_t *mh_render_issue(mh_repo *r, mh_pull *p)
{
    json_t *o = json_object();
    char api[512];
    snprintf(api, sizeof api, "%s/repos/%s/issues/%d", B, r->full_name, p->number);
    json_object_set_new(o, "url", json_string(api));
    seturl(o, "repository_url", "%s/repos/%s", B, r->full_name);
    seturl(o, "labels_url", "%s/labels{/name}", api);
    seturl(o, "comments_url", "%s/comments", api);
    seturl(o, "events_url", "%s/events", api);
    seturl(o, "html_url", "%s/%s/%s/%d", B, r->full_name, p->is_issue ? "issues" : "pull", p->number);
    json_object_set_new(o, "id", json_integer(p->is_issue ? p->id : p->id + 1000000000));
    json_object_set_new(o, "node_id", node_id(p->is_issue ? "I" : "PR", p->id));
    json_object_set_new(o, "number", json_integer(p->number));
    json_object_set_new(o, "title", json_string(p->title));
    json_object_set_new(o, "user", mh_render_user(p->user));
    json_object_set_new(o, "labels", mh_render_labels_of(r, p));
    json_object_set_new(o, "state", json_string(p->open ? "open" : "closed"));
    json_object_set_new(o, "state_reason", p->state_reason[0] ? json_string(p->state_reason)
                                           : p->open ? json_null() : json_string("completed"));
    json_object_set_new(o, "locked", json_boolean(p->locked));
    json_object_set_new(o, "assignee", json_null());
    json_object_set_new(o, "assignees", json_array());
    json_object_set_new(o, "milestone", json_null());
    json_object_set_new(o, "comments", json_integer(p->comments));
    json_object_set_new(o, "created_at", iso_or_null(p->created_at));
    json_object_set_new(o, "updated_at", iso_or_null(p->updated_at));
    json_object_set_new(o, "closed_at", iso_or_null(p->closed_at));
    json_object_set_new(o, "author_association", json_string(author_association(r, p->user)));
    json_object_set_new(o, "active_lock_reason", json_null());
    if (!p->is_issue)
        json_object_set_new(o, "draft", json_boolean(p->draft));
    json_t *pr = p->is_issue ? NULL : json_object();
    seturl(pr, "url", "%s/repos/%s/pulls/%d", B, r->full_name, p->number);
    seturl(pr, "html_url", "%s/%s/pull/%d", B, r->full_name, p->number);
    seturl(pr, "diff_url", "%s/%s/pull/%d.diff", B, r->full_name, p->number);
    seturl(pr, "patch_url", "%s/%s/pull/%d.patch", B, r->full_name, p->number);
    json_object_set_new(pr, "merged_at", iso_or_null(p->merged_at));
    if (pr)
        json_object_set_new(o, "pull_request", pr);
    json_object_set_new(o, "body", p->body ? json_string(p->body) : json_null());
    json_object_set_new(o, "performed_via_github_app", json_null());
    json_object_set_new(o, "reactions", json_pack("{s:s, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i}", "url", "",
                                                  "total_count", 0, "+1", 0, "-1", 0, "laugh", 0, "confused", 0,
                                                  "heart", 0, "hooray", 0, "eyes", 0, "rocket", 0));
    seturl(json_object_get(o, "reactions"), "url", "%s/reactions", api);
    seturl(o, "timeline_url", "%s/timeline", api);
    return o;
}

json_t *mh_render_team(const mh_team *t, const char *permission)
{
    char url[512], members[600], repos[600], html[512];
    snprintf(url, sizeof url, "%s/organizations/%lld/team/%lld", B, (long long)t->org->id, (long long)t->id);
    snprintf(members, sizeof members, "%s/members{/member}", url);
    snprintf(repos, sizeof repos, "%s/repos", url);
    snprintf(html, sizeof html, "%s/orgs/%s/teams/%s", B, t->org->login, t->slug);
    json_t *o = json_pack("{s:I, s:o, s:s, s:s, s:s, s:s, s:n, s:s, s:s, s:s, s:s, s:s, s:s, s:n}", "id",
                          (json_int_t)t->id, "node_id", node_id("T", t->id), "url", url, "html_url", html, "name",
                          t->name, "slug", t->slug, "description", "privacy", t->privacy, "notification_setting",
                          "notifications_enabled", "permission", permission, "members_url", members,
                          "repositories_url", repos, "type", "organization", "parent");
    return o;
}

json_t *mh_render_status(mh_repo *r, const json_t *s)
{
    json_t *o = json_object();
    int64_t id = json_integer_value(json_object_get(s, "id"));
    mh_user *u = mh_user_by_login(json_string_value(json_object_get(s, "creator")));
    seturl(o, "url", "%s/repos/%s/statuses/%s", B, r->full_name, json_string_value(json_object_get(s, "sha")));
    seturl(o, "avatar_url", "%s/avatars/%s", B, u ? u->login : "ghost");
    json_object_set_new(o, "id", json_integer(id));
    json_object_set_new(o, "node_id", node_id("SC", id));
    json_object_set(o, "state", json_object_get(s, "state"));
    json_object_set(o, "description", json_object_get(s, "description"));
    json_object_set(o, "target_url", json_object_get(s, "target_url"));
    json_object_set(o, "context", json_object_get(s, "context"));
    json_object_set(o, "created_at", json_object_get(s, "created_at"));
    json_object_set(o, "updated_at", json_object_get(s, "updated_at"));
    json_object_set_new(o, "creator", mh_render_user(u));
    return o;
}

/* Combined status over the latest status per context. */
static const char *combined_state(mh_repo *r, const char *sha, size_t *count)
{
    json_t *seen = json_object();
    int failure = 0, pending = 0;
    size_t n = 0;
    for (size_t i = json_array_size(r->statuses); i-- > 0;) {
        json_t *s = json_array_get(r->statuses, i);
        if (strcmp(json_string_value(json_object_get(s, "sha")), sha) != 0)
            continue;
        char ctx[512];
        snprintf(ctx, sizeof ctx, "%s", json_string_value(json_object_get(s, "context")));
        for (char *c = ctx; *c; c++)
            *c = (char)tolower((unsigned char)*c);
        if (json_object_get(seen, ctx))
            continue;
        json_object_set_new(seen, ctx, json_true());
        n++;
        const char *st = json_string_value(json_object_get(s, "state"));
        if (!strcmp(st, "failure") || !strcmp(st, "error"))
            failure = 1;
        else if (!strcmp(st, "pending"))
            pending = 1;
    }
    json_decref(seen);
    *count = n;
    if (failure)
        return "failure";
    if (pending || n == 0)
        return "pending";
    return "success";
}

json_t *mh_render_check_run(mh_repo *r, const json_t *cr)
{
    json_t *o = json_deep_copy(cr);
    int64_t id = json_integer_value(json_object_get(cr, "id"));
    json_object_set_new(o, "node_id", node_id("CR", id));
    seturl(o, "url", "%s/repos/%s/check-runs/%lld", B, r->full_name, (long long)id);
    seturl(o, "html_url", "%s/%s/runs/%lld", B, r->full_name, (long long)id);
    if (json_is_null(json_object_get(o, "details_url")) || !json_object_get(o, "details_url"))
        json_object_set(o, "details_url", json_object_get(o, "html_url"));
    json_t *out = json_object_get(o, "output");
    seturl(out, "annotations_url", "%s/repos/%s/check-runs/%lld/annotations", B, r->full_name, (long long)id);
    json_object_set_new(o, "check_suite", json_pack("{s:I}", "id", (json_int_t)(id + 500000)));
    json_t *app = json_pack("{s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:s, s:s, s:o, s:o}", "id", 1,
                            "slug", "mockhub-ci", "node_id", "A_mockhub", "client_id", "Iv1.mockhub",
                            "name", "mockhub CI", "description", "", "external_url", B, "owner",
                            mh_render_user(r->owner), "html_url", B, "created_at", "2020-01-01T00:00:00Z",
                            "permissions", json_pack("{s:s}", "checks", "write"), "events", json_array());
    json_object_set_new(app, "updated_at", json_string("2020-01-01T00:00:00Z"));
    json_object_set_new(o, "app", app);
    /* pull requests whose head is this sha */
    json_t *prs = json_array();
    const char *sha = json_string_value(json_object_get(cr, "head_sha"));
    for (size_t i = 0; i < r->npulls; i++) {
        mh_pull *p = r->pulls[i];
        if (p->is_issue || !p->open || strcmp(p->head_sha, sha) != 0)
            continue;
        json_t *pr = json_object();
        seturl(pr, "url", "%s/repos/%s/pulls/%d", B, r->full_name, p->number);
        json_object_set_new(pr, "id", json_integer(p->id));
        json_object_set_new(pr, "number", json_integer(p->number));
        char rurl[512];
        snprintf(rurl, sizeof rurl, "%s/repos/%s", B, r->full_name);
        json_object_set_new(pr, "head", json_pack("{s:s, s:s, s:{s:I, s:s, s:s}}", "ref", p->head_ref, "sha",
                                                  p->head_sha, "repo", "id", (json_int_t)r->id, "url", rurl,
                                                  "name", r->name));
        json_object_set_new(pr, "base", json_pack("{s:s, s:s, s:{s:I, s:s, s:s}}", "ref", p->base_ref, "sha",
                                                  p->base_sha, "repo", "id", (json_int_t)r->id, "url", rurl,
                                                  "name", r->name));
        json_array_append_new(prs, pr);
    }
    json_object_set_new(o, "pull_requests", prs);
    return o;
}

json_t *mh_render_hook(mh_repo *r, const json_t *h)
{
    int64_t id = json_integer_value(json_object_get(h, "id"));
    json_t *o = json_object();
    json_object_set_new(o, "type", json_string("Repository"));
    json_object_set_new(o, "id", json_integer(id));
    json_object_set_new(o, "name", json_string("web"));
    json_object_set(o, "active", json_object_get(h, "active"));
    json_object_set(o, "events", json_object_get(h, "events"));
    json_t *cfg = json_pack("{s:O, s:O, s:s}", "url", json_object_get(h, "url"), "content_type",
                            json_object_get(h, "content_type"), "insecure_ssl", "0");
    if (json_string_length(json_object_get(h, "secret")))
        json_object_set_new(cfg, "secret", json_string("********"));
    json_object_set_new(o, "config", cfg);
    json_object_set(o, "updated_at", json_object_get(h, "updated_at"));
    json_object_set(o, "created_at", json_object_get(h, "created_at"));
    seturl(o, "url", "%s/repos/%s/hooks/%lld", B, r->full_name, (long long)id);
    seturl(o, "test_url", "%s/repos/%s/hooks/%lld/test", B, r->full_name, (long long)id);
    seturl(o, "ping_url", "%s/repos/%s/hooks/%lld/pings", B, r->full_name, (long long)id);
    seturl(o, "deliveries_url", "%s/repos/%s/hooks/%lld/deliveries", B, r->full_name, (long long)id);
    json_object_set_new(o, "last_response", json_pack("{s:n, s:s, s:n}", "code", "status", "unused", "message"));
    return o;
}

json_t *mh_render_git_ref(mh_repo *r, const char *refname, const git_oid *oid)
{
    char sha[41];
    git_oid_tostr(sha, sizeof sha, oid);
    json_t *o = json_object();
    json_object_set_new(o, "ref", json_string(refname));
    json_object_set_new(o, "node_id", json_string("REF_mockhub"));
    seturl(o, "url", "%s/repos/%s/git/%s", B, r->full_name, refname);
    json_t *obj = json_object();
    json_object_set_new(obj, "sha", json_string(sha));
    json_object_set_new(obj, "type", json_string("commit"));
    seturl(obj, "url", "%s/repos/%s/git/commits/%s", B, r->full_name, sha);
    json_object_set_new(o, "object", obj);
    return o;
}

/* combined status, exported for the api */
const char *mh_combined_state(mh_repo *r, const char *sha, size_t *count);
const char *mh_combined_state(mh_repo *r, const char *sha, size_t *count)
{
    return combined_state(r, sha, count);
}
