/* worker.c -- landing worker: inbox -> re-read GitHub -> policy -> queue -> feedback -> merge. */
#include "worker.h"

#include <jansson.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "codeowners.h"
#include "conflicts.h"
#include "github.h"
#include "message.h"
#include "metrics.h"
#include "mirror.h"
#include "policy.h"
#include "queue.h"
#include "reconcile.h"
#include "redeliver.h"
#include "store.h"

#define MARKER "<!-- landq:status -->"
#define DRAIN_BATCH 200            /* deliveries per round before looking at the queue */
#define MERGE_ATTEMPTS_MAX 5       /* 5xx answers to a merge before giving up (blocked) */
#define CACHE_TTL_MS (5 * 60 * 1000)
#define PERM_TTL_MS (60 * 1000)
#define CODEOWNERS_CACHE 32
#define KV_CACHE_MAX 2048

/* ---------------------------------------------------------------- small caches */

typedef struct kv_entry {
    char *key;
    char *value; /* NULL = negative answer */
    int64_t expires_ms;
} kv_entry;

typedef struct kv_cache {
    kv_entry *items;
    size_t count;
} kv_cache;

typedef struct co_entry {
    char repo[256];
    char sha[64];
    lq_codeowners *co; /* NULL: no file, or error */
    char path[64];
    char error[256];
    int64_t used_ms;
} co_entry;

struct lq_worker {
    lq_worker_config cfg;
    char **repos;
    char **required;
    char *db_path, *api_url, *token, *label, *context;
    lq_inbox *inbox;
    lq_store *store;
    lq_github *gh;
    pthread_t thread;
    int started;
    atomic_int stop;
    kv_cache teams;  /* "org/team\nlogin" -> "1" / NULL */
    kv_cache emails; /* login -> email / NULL */
    kv_cache perms;  /* "repo\nlogin" -> permission text */
    co_entry co[CODEOWNERS_CACHE];
    int64_t retry_after_ms; /* back off after a failed round */
    char *mirror_dir;       /* conflict analysis: bare mirrors live here */
    lq_mirror **mirrors;    /* one per served repository, opened on first use */
    int64_t next_reconcile_ms; /* next sweep for lost webhooks (0 = at start-up) */
    int64_t next_gauges_ms;    /* next export of queue depth / rate limit gauges */
    int explaining;            /* lq_worker_explain(): gather every fact, whatever the verdict */
    char **redeliver;          /* OWNER/NAME:HOOK_ID, NULL-terminated */
    atomic_int listening;      /* lq_worker_listening() was called: webhooks can arrive */
    int64_t *mirror_opened_ms; /* when each mirror was opened (App tokens expire) */
    int redelivered;           /* the start-up redelivery was asked for */
};

/* ---------------------------------------------------------------- logging (logfmt) */

static void wlog(const char *level, const char *fmt, ...) LQ_PRINTF(2, 3);
static void wlog(const char *level, const char *fmt, ...)
{
    char line[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char when[32];
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
    fprintf(stderr, "ts=%s.%03ldZ level=%s %s\n", when, ts.tv_nsec / 1000000, level, line);
}

static void gh_log(void *ctx, const char *method, const char *url, long status, long ms,
                   const char *note)
{
    lq_worker *w = ctx; /* landq_github_requests_total: counted by the client (.metrics) */
    if (w->cfg.verbose || status >= 500 || status == 0 || status == 401 || status == 403)
        wlog(status >= 500 || status == 0 ? "warn" : "debug",
             "msg=\"github request\" method=%s url=\"%s\" status=%ld ms=%ld%s%s%s", method, url,
             status, ms, note ? " note=\"" : "", note ? note : "", note ? "\"" : "");
}

static int gh_should_stop(void *ctx)
{
    lq_worker *w = ctx;
    return atomic_load(&w->stop);
}

/* ---------------------------------------------------------------- helpers */

static char *xstrdup(const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}

static const char *jstr(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static const char *jpath(const json_t *o, const char *a, const char *b)
{
    return json_string_value(json_object_get(json_object_get(o, a), b));
}

static int repo_served(const lq_worker *w, const char *repo)
{
    for (size_t i = 0; repo && i < w->cfg.repo_count; i++)
        if (!strcasecmp(w->repos[i], repo))
            return 1;
    return 0;
}

static int has_label(const lq_worker *w, const json_t *labels)
{
    size_t i;
    json_t *l;
    json_array_foreach(labels, i, l)
    {
        const char *n = json_is_string(l) ? json_string_value(l) : jstr(l, "name");
        if (n && !strcasecmp(n, w->label))
            return 1;
    }
    return 0;
}

static kv_entry *kv_find(kv_cache *c, const char *key)
{
    int64_t now = lq_store_now_ms();
    for (size_t i = 0; i < c->count; i++)
        if (!strcmp(c->items[i].key, key))
            return c->items[i].expires_ms > now ? &c->items[i] : NULL;
    return NULL;
}

static void kv_clear(kv_cache *c)
{
    for (size_t i = 0; i < c->count; i++) {
        free(c->items[i].key);
        free(c->items[i].value);
    }
    free(c->items);
    c->items = NULL;
    c->count = 0;
}

static void kv_put(kv_cache *c, const char *key, const char *value, int64_t ttl)
{
    int64_t exp = lq_store_now_ms() + ttl;
    for (size_t i = 0; i < c->count; i++)
        if (!strcmp(c->items[i].key, key)) {
            char *v = value ? xstrdup(value) : NULL;
            if (value && !v)
                return;
            free(c->items[i].value);
            c->items[i].value = v;
            c->items[i].expires_ms = exp;
            return;
        }
    if (c->count >= KV_CACHE_MAX)
        kv_clear(c);
    kv_entry *n = realloc(c->items, (c->count + 1) * sizeof(*n));
    if (!n)
        return;
    c->items = n;
    kv_entry *e = &n[c->count];
    e->key = xstrdup(key);
    e->value = value ? xstrdup(value) : NULL;
    e->expires_ms = exp;
    if (!e->key || (value && !e->value)) {
        free(e->key);
        free(e->value);
        return;
    }
    c->count++;
}

/* A growable string for comments. */
typedef struct sb {
    char *p;
    size_t len, cap;
    int failed;
} sb;

static void sb_add(sb *b, const char *fmt, ...) LQ_PRINTF(2, 3);
static void sb_add(sb *b, const char *fmt, ...)
{
    if (b->failed)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->failed = 1;
        return;
    }
    if (b->len + (size_t)n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        while (cap < b->len + (size_t)n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->failed = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

static void short_sha(char out[13], const char *sha)
{
    snprintf(out, 13, "%.12s", sha ? sha : "");
}

/* ---------------------------------------------------------------- GitHub reads */

/* Decodes GitHub's base64 (with newlines). *out owned by the caller. */
static int b64_decode(const char *in, char **out, size_t *len)
{
    static signed char tbl[256];
    static int init;
    if (!init) {
        memset(tbl, -1, sizeof tbl);
        const char *a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        for (int i = 0; a[i]; i++)
            tbl[(unsigned char)a[i]] = (signed char)i;
        init = 1;
    }
    size_t n = strlen(in);
    char *o = malloc(n / 4 * 3 + 4);
    if (!o)
        return -1;
    size_t ol = 0;
    unsigned acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)in[i];
        if (c == '=' )
            break;
        if (c == '\n' || c == '\r' || c == ' ' || c == '\t')
            continue;
        if (tbl[c] < 0) {
            free(o);
            return -1;
        }
        acc = (acc << 6) | (unsigned)tbl[c];
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            o[ol++] = (char)((acc >> bits) & 0xFF);
        }
    }
    o[ol] = '\0';
    *out = o;
    *len = ol;
    return 0;
}

/* CODEOWNERS of repo at sha (cached). Returns the entry; e->co NULL with e->error "" = none. */
static co_entry *codeowners_at(lq_worker *w, const char *repo, const char *sha, lq_error *err)
{
    co_entry *lru = &w->co[0];
    for (size_t i = 0; i < CODEOWNERS_CACHE; i++) {
        co_entry *e = &w->co[i];
        if (e->sha[0] && !strcasecmp(e->repo, repo) && !strcmp(e->sha, sha)) {
            e->used_ms = lq_store_now_ms();
            return e;
        }
        if (e->used_ms < lru->used_ms)
            lru = e;
    }
    co_entry fresh;
    memset(&fresh, 0, sizeof fresh);
    snprintf(fresh.repo, sizeof fresh.repo, "%s", repo);
    snprintf(fresh.sha, sizeof fresh.sha, "%s", sha);
    for (size_t k = 0; k < 3; k++) {
        const char *loc = lq_codeowners_locations[k];
        char path[1024];
        snprintf(path, sizeof path, "/repos/%s/contents/%s?ref=%s", repo, loc, sha);
        json_t *j = NULL;
        int rc = lq_github_get_json(w->gh, &j, path, err);
        if (rc == LQ_ENOTFOUND)
            continue;
        if (rc)
            return NULL; /* transient or unexpected: try again later */
        snprintf(fresh.path, sizeof fresh.path, "%s", loc);
        json_int_t size = json_integer_value(json_object_get(j, "size"));
        const char *enc = jstr(j, "encoding");
        const char *content = jstr(j, "content");
        const char *bsha = jstr(j, "sha");
        json_t *blob = NULL; /* owned; the git blobs answer when the contents API left it out */
        if (!json_is_array(j) && enc && !strcmp(enc, "none") && size > 0 &&
            (size_t)size < LQ_CODEOWNERS_MAX_BYTES && bsha &&
            (strlen(bsha) == 40 || strlen(bsha) == 64) &&
            strspn(bsha, "0123456789abcdef") == strlen(bsha)) {
            /* Over 1 MB the contents API answers without the content (encoding "none"); the
             * git blobs API returns it base64-encoded (up to 100 MB). */
            snprintf(path, sizeof path, "/repos/%s/git/blobs/%s", repo, bsha);
            int brc = lq_github_get_json(w->gh, &blob, path, err);
            if (brc) {
                /* the contents API just named this blob: a 404 is replication lag, not "gone" */
                if (brc == LQ_ENOTFOUND)
                    lq_error_set(err, LQ_ETRANSIENT, "blob %.64s of %s not found (yet)", bsha, loc);
                json_decref(j);
                return NULL; /* transient or unexpected: try again later */
            }
            enc = jstr(blob, "encoding");
            content = jstr(blob, "content");
        }
        if (json_is_array(j) || (jstr(j, "type") && strcmp(jstr(j, "type"), "file"))) {
            snprintf(fresh.error, sizeof fresh.error, "%s is not a regular file", loc);
        } else if ((size_t)size >= LQ_CODEOWNERS_MAX_BYTES) {
            snprintf(fresh.error, sizeof fresh.error, "it is %lld bytes; GitHub does not load a "
                     "CODEOWNERS file of 3 MiB or more", (long long)size);
        } else if (!enc || strcmp(enc, "base64") || !content) {
            snprintf(fresh.error, sizeof fresh.error, "the contents API did not return it "
                     "(%lld bytes, encoding %s)", (long long)size, enc ? enc : "none");
        } else {
            char *text = NULL;
            size_t len = 0;
            if (b64_decode(content, &text, &len)) {
                snprintf(fresh.error, sizeof fresh.error, "its base64 content is malformed");
            } else {
                lq_error perr = {0};
                int prc = lq_codeowners_parse(&fresh.co, text, len, &perr);
                if (prc)
                    snprintf(fresh.error, sizeof fresh.error, "%.250s", perr.msg);
                else if (lq_codeowners_error_count(fresh.co))
                    wlog("warn", "msg=\"CODEOWNERS has errors; those lines are skipped\" "
                         "repo=%s sha=%s path=%s errors=%zu", repo, sha, loc,
                         lq_codeowners_error_count(fresh.co));
                free(text);
            }
        }
        json_decref(blob);
        json_decref(j);
        break;
    }
    lq_codeowners_free(lru->co);
    *lru = fresh;
    lru->used_ms = lq_store_now_ms();
    return lru;
}

/* Permission of login on repo ("admin", "maintain", "write", ...); NULL on failure. */
static int labeler_can_write(lq_worker *w, const char *repo, const char *login, int *can,
                             lq_error *err)
{
    char key[512];
    snprintf(key, sizeof key, "%s\n%s", repo, login);
    kv_entry *e = kv_find(&w->perms, key);
    if (e) {
        *can = e->value != NULL;
        return LQ_OK;
    }
    char *el = lq_github_escape(login, 0);
    if (!el)
        return lq_error_set(err, LQ_ENOMEM, "out of memory");
    char path[768];
    snprintf(path, sizeof path, "/repos/%s/collaborators/%s/permission", repo, el);
    free(el);
    json_t *j = NULL;
    int rc = lq_github_get_json(w->gh, &j, path, err);
    if (rc == LQ_ENOTFOUND) {
        *can = 0;
    } else if (rc) {
        return rc;
    } else {
        const char *perm = jstr(j, "permission"), *role = jstr(j, "role_name");
        *can = (perm && (!strcmp(perm, "admin") || !strcmp(perm, "write") ||
                         !strcmp(perm, "maintain"))) ||
               (role && (!strcmp(role, "admin") || !strcmp(role, "maintain") ||
                         !strcmp(role, "write")));
        json_decref(j);
    }
    kv_put(&w->perms, key, *can ? "1" : NULL, PERM_TTL_MS);
    return LQ_OK;
}

static int team_has_member(lq_worker *w, const char *team, const char *login, int *member,
                           lq_error *err)
{
    /* team is "@org/slug" */
    const char *t = team[0] == '@' ? team + 1 : team;
    const char *slash = strchr(t, '/');
    if (!slash) {
        *member = 0;
        return LQ_OK;
    }
    char key[512];
    snprintf(key, sizeof key, "%s\n%s", t, login);
    for (char *c = key; *c; c++)
        if (*c >= 'A' && *c <= 'Z')
            *c = (char)(*c - 'A' + 'a');
    kv_entry *e = kv_find(&w->teams, key);
    if (e) {
        *member = e->value != NULL;
        return LQ_OK;
    }
    char org[128], slug[128];
    snprintf(org, sizeof org, "%.*s", (int)(slash - t), t);
    snprintf(slug, sizeof slug, "%s", slash + 1);
    char *eo = lq_github_escape(org, 0), *es = lq_github_escape(slug, 0),
         *el = lq_github_escape(login, 0);
    char path[1024];
    if (eo && es && el)
        snprintf(path, sizeof path, "/orgs/%s/teams/%s/memberships/%s", eo, es, el);
    free(eo);
    free(es);
    free(el);
    if (!eo || !es || !el)
        return lq_error_set(err, LQ_ENOMEM, "out of memory");
    json_t *j = NULL;
    int rc = lq_github_get_json(w->gh, &j, path, err);
    if (rc == LQ_ENOTFOUND) {
        *member = 0;
    } else if (rc) {
        return rc;
    } else {
        const char *state = jstr(j, "state");
        *member = !state || !strcmp(state, "active"); /* pending invitations do not count */
        json_decref(j);
    }
    kv_put(&w->teams, key, *member ? "1" : NULL, CACHE_TTL_MS);
    return LQ_OK;
}

static int user_email(lq_worker *w, const char *login, const char **email, lq_error *err)
{
    kv_entry *e = kv_find(&w->emails, login);
    if (e) {
        *email = e->value;
        return LQ_OK;
    }
    char *el = lq_github_escape(login, 0);
    if (!el)
        return lq_error_set(err, LQ_ENOMEM, "out of memory");
    char path[512];
    snprintf(path, sizeof path, "/users/%s", el);
    free(el);
    json_t *j = NULL;
    int rc = lq_github_get_json(w->gh, &j, path, err);
    if (rc && rc != LQ_ENOTFOUND)
        return rc;
    kv_put(&w->emails, login, j ? jstr(j, "email") : NULL, CACHE_TTL_MS);
    json_decref(j);
    e = kv_find(&w->emails, login);
    *email = e ? e->value : NULL;
    return LQ_OK;
}

/* ---------------------------------------------------------------- evaluation */

typedef struct facts_buf {
    json_t *pr, *files, *reviews, *status, *runs;
    lq_changed_file *files_arr;
    lq_review *reviews_arr;
    lq_check *checks;
    size_t check_count;
    lq_affiliation *affs;
    size_t aff_count;
    char **aff_strings; /* owned owner names */
    size_t aff_string_count;
    const char **non_writers; /* borrowed logins (from reviews) */
    size_t non_writer_count;
    char labeler[128];
} facts_buf;

static void facts_buf_dispose(facts_buf *b)
{
    json_decref(b->pr);
    json_decref(b->files);
    json_decref(b->reviews);
    json_decref(b->status);
    json_decref(b->runs);
    free(b->files_arr);
    free(b->reviews_arr);
    free(b->checks);
    free(b->affs);
    for (size_t i = 0; i < b->aff_string_count; i++)
        free(b->aff_strings[i]);
    free(b->aff_strings);
    free(b->non_writers);
    memset(b, 0, sizeof(*b));
}

static int add_aff(facts_buf *b, const char *login, const char *owner)
{
    for (size_t i = 0; i < b->aff_count; i++)
        if (!strcasecmp(b->affs[i].login, login) && lq_owner_equal(b->affs[i].owner, owner))
            return LQ_OK;
    char *o = xstrdup(owner);
    char **ns = realloc(b->aff_strings, (b->aff_string_count + 1) * sizeof(*ns));
    lq_affiliation *na = realloc(b->affs, (b->aff_count + 1) * sizeof(*na));
    if (ns)
        b->aff_strings = ns;
    if (na)
        b->affs = na;
    if (!o || !ns || !na) {
        free(o);
        return LQ_ENOMEM;
    }
    b->aff_strings[b->aff_string_count++] = o;
    b->affs[b->aff_count++] = (lq_affiliation){login, o};
    return LQ_OK;
}

/* Team memberships and email matches of the approvers, for the owners of the changed paths. */
static int resolve_affiliations(lq_worker *w, facts_buf *b, const lq_policy_facts *f,
                                lq_error *err)
{
    const char **approvers = NULL;
    size_t na = 0;
    int rc = lq_policy_approvers(&approvers, &na, f->reviews, f->review_count, f->author,
                                 f->head_sha, err);
    if (rc || !na || !f->owners) {
        free(approvers); /* approved, but no CODEOWNERS (absent or refused) */
        return rc;
    }
    for (size_t i = 0; !rc && i < f->file_count * 2; i++) {
        const char *path = i % 2 ? f->files[i / 2].previous_path : f->files[i / 2].path;
        if (!path)
            continue;
        lq_codeowners_match m;
        lq_codeowners_match_path(f->owners, NULL, path, strlen(path), &m);
        for (size_t k = 0; !rc && k < m.owner_count; k++) {
            const lq_owner *o = &m.owners[k];
            for (size_t a = 0; !rc && a < na; a++) {
                if (o->kind == LQ_OWNER_TEAM) {
                    int member = 0;
                    rc = team_has_member(w, o->name, approvers[a], &member, err);
                    if (!rc && member)
                        rc = add_aff(b, approvers[a], o->name);
                } else if (o->kind == LQ_OWNER_EMAIL) {
                    const char *email = NULL;
                    rc = user_email(w, approvers[a], &email, err);
                    if (!rc && email && lq_owner_equal(email, o->name))
                        rc = add_aff(b, approvers[a], o->name);
                }
            }
        }
    }
    free(approvers);
    return rc;
}

/* Reads everything the policy needs; f points into b. LQ_ENOTFOUND when the PR is gone. */
static int gather(lq_worker *w, lq_pr_record *rec, facts_buf *b, lq_policy_facts *f,
                  co_entry **coe, lq_error *err)
{
    memset(f, 0, sizeof(*f));
    char path[1024];
    snprintf(path, sizeof path, "/repos/%s/pulls/%d", rec->repo, rec->number);
    int rc = lq_github_get_json(w->gh, &b->pr, path, err);
    if (rc)
        return rc;
    const json_t *pr = b->pr;
    f->repo = rec->repo;
    f->number = rec->number;
    f->author = jpath(pr, "user", "login");
    f->head_sha = jpath(pr, "head", "sha");
    f->base_ref = jpath(pr, "base", "ref");
    const char *state = jstr(pr, "state");
    f->open = state && !strcmp(state, "open");
    f->merged = json_is_true(json_object_get(pr, "merged"));
    f->draft = json_is_true(json_object_get(pr, "draft"));
    f->has_label = has_label(w, json_object_get(pr, "labels"));
    f->label = w->label;
    const char *base_repo = json_string_value(
        json_object_get(json_object_get(json_object_get(pr, "base"), "repo"), "full_name"));
    f->repo_configured = repo_served(w, base_repo ? base_repo : rec->repo);
    f->self_context = w->context;
    f->required_checks = (const char *const *)w->required;
    f->required_check_count = w->cfg.required_check_count;
    if (!f->head_sha || !f->base_ref)
        return lq_error_set(err, LQ_ERROR, "%s#%d: pull request without head or base",
                            rec->repo, rec->number);
    snprintf(rec->head_sha, sizeof rec->head_sha, "%s", f->head_sha);
    snprintf(rec->base, sizeof rec->base, "%s", f->base_ref);
    if ((!f->open || f->merged || !f->has_label || !f->repo_configured) && !w->explaining)
        return LQ_OK; /* the verdict is IGNORE: no need to read more */

    /* Labeler and permission. */
    if (!rec->labeler[0]) {
        /* first seen without a labeled event (reconciliation, another event): the label's own
         * time orders the queue, not when landq noticed it */
        int64_t at = 0;
        if ((rc = lq_reconcile_label_event(w->gh, rec->repo, rec->number, w->label, rec->labeler,
                                           sizeof rec->labeler, &at, err)))
            return rc;
        if (at > 0 && rec->state != LQ_PR_MERGING)
            rec->labeled_at_ms = at;
    }
    if (rec->labeler[0]) {
        snprintf(b->labeler, sizeof b->labeler, "%s", rec->labeler);
        f->labeler = b->labeler;
        if ((rc = labeler_can_write(w, rec->repo, rec->labeler, &f->labeler_can_write, err)))
            return rc;
    }

    /* CODEOWNERS from the head of the base branch (never from the pull request's head). */
    char *eb = lq_github_escape(f->base_ref, 1);
    if (!eb)
        return lq_error_set(err, LQ_ENOMEM, "out of memory");
    snprintf(path, sizeof path, "/repos/%s/git/ref/heads/%s", rec->repo, eb);
    free(eb);
    json_t *ref = NULL;
    const char *base_sha = jpath(pr, "base", "sha");
    rc = lq_github_get_json(w->gh, &ref, path, err);
    char base_head[64];
    const char *rs = ref ? jpath(ref, "object", "sha") : NULL;
    snprintf(base_head, sizeof base_head, "%s", rs ? rs : base_sha ? base_sha : "");
    json_decref(ref);
    if (rc && rc != LQ_ENOTFOUND)
        return rc;
    co_entry *e = codeowners_at(w, rec->repo, base_head, err);
    if (!e)
        return err ? err->code : LQ_ERROR;
    *coe = e;
    f->owners = e->co;
    f->codeowners_path = e->path[0] ? e->path : NULL;
    f->codeowners_error = e->error[0] ? e->error : NULL;

    /* Changed files (all pages). */
    snprintf(path, sizeof path, "/repos/%s/pulls/%d/files?per_page=100", rec->repo, rec->number);
    if ((rc = lq_github_get_all(w->gh, &b->files, path, NULL, 3000, err)))
        return rc;
    size_t nf = json_array_size(b->files);
    b->files_arr = calloc(nf ? nf : 1, sizeof(*b->files_arr));
    if (!b->files_arr)
        return lq_error_set(err, LQ_ENOMEM, "out of memory");
    for (size_t i = 0; i < nf; i++) {
        json_t *x = json_array_get(b->files, i);
        b->files_arr[i].path = jstr(x, "filename");
        b->files_arr[i].previous_path = jstr(x, "previous_filename");
    }
    f->files = b->files_arr;
    f->file_count = nf;
    json_int_t cf = json_integer_value(json_object_get(pr, "changed_files"));
    f->changed_files = json_is_integer(json_object_get(pr, "changed_files")) ? (size_t)cf : nf;

    /* Reviews (all pages, chronological). */
    snprintf(path, sizeof path, "/repos/%s/pulls/%d/reviews?per_page=100", rec->repo,
             rec->number);
    if ((rc = lq_github_get_all(w->gh, &b->reviews, path, NULL, 0, err)))
        return rc;
    size_t nr = json_array_size(b->reviews);
    b->reviews_arr = calloc(nr ? nr : 1, sizeof(*b->reviews_arr));
    if (!b->reviews_arr)
        return lq_error_set(err, LQ_ENOMEM, "out of memory");
    for (size_t i = 0; i < nr; i++) {
        json_t *x = json_array_get(b->reviews, i);
        b->reviews_arr[i].login = jpath(x, "user", "login");
        b->reviews_arr[i].state = lq_review_state_parse(jstr(x, "state"));
        b->reviews_arr[i].commit_id = jstr(x, "commit_id");
    }
    f->reviews = b->reviews_arr;
    f->review_count = nr;

    /* Checks on the head: commit statuses (latest per context) and check runs. */
    snprintf(path, sizeof path, "/repos/%s/commits/%s/status?per_page=100", rec->repo,
             f->head_sha);
    rc = lq_github_get_json(w->gh, &b->status, path, err);
    if (rc && rc != LQ_ENOTFOUND)
        return rc;
    snprintf(path, sizeof path, "/repos/%s/commits/%s/check-runs?per_page=100", rec->repo,
             f->head_sha);
    rc = lq_github_get_all(w->gh, &b->runs, path, "check_runs", 0, err);
    if (rc && rc != LQ_ENOTFOUND)
        return rc;
    json_t *sts = json_object_get(b->status, "statuses");
    size_t ns = json_array_size(sts), nrun = json_array_size(b->runs);
    b->checks = calloc(ns + nrun + 1, sizeof(*b->checks));
    if (!b->checks)
        return lq_error_set(err, LQ_ENOMEM, "out of memory");
    for (size_t i = 0; i < ns; i++) {
        json_t *s = json_array_get(sts, i);
        b->checks[b->check_count++] = (lq_check){
            jstr(s, "context"), lq_check_state_from_status(jstr(s, "state")),
            jstr(s, "description")};
    }
    for (size_t i = 0; i < nrun; i++) {
        json_t *r = json_array_get(b->runs, i);
        const char *name = jstr(r, "name");
        int dup = 0; /* keep the first (latest) run of each name */
        for (size_t k = ns; k < b->check_count && !dup; k++)
            dup = name && b->checks[k].name && !strcmp(b->checks[k].name, name);
        if (dup)
            continue;
        const char *concl = jstr(r, "conclusion");
        b->checks[b->check_count++] = (lq_check){
            name, lq_check_state_from_run(jstr(r, "status"), concl), concl};
    }
    f->checks = b->checks;
    f->check_count = b->check_count;

    /* Approvals count only from reviewers with write permission (as for code owner review). */
    const char **approvers = NULL;
    size_t na = 0;
    if ((rc = lq_policy_approvers(&approvers, &na, f->reviews, f->review_count, f->author,
                                  f->head_sha, err)))
        return rc;
    b->non_writers = calloc(na + 1, sizeof(*b->non_writers));
    if (!b->non_writers) {
        free(approvers);
        return lq_error_set(err, LQ_ENOMEM, "out of memory");
    }
    for (size_t i = 0; !rc && i < na; i++) {
        int can = 0;
        rc = labeler_can_write(w, rec->repo, approvers[i], &can, err);
        if (!rc && !can)
            b->non_writers[b->non_writer_count++] = approvers[i];
    }
    free(approvers);
    if (rc)
        return rc;
    f->non_writers = b->non_writers;
    f->non_writer_count = b->non_writer_count;

    if ((rc = resolve_affiliations(w, b, f, err)))
        return rc;
    f->affiliations = b->affs;
    f->affiliation_count = b->aff_count;
    return LQ_OK;
}

/* ---------------------------------------------------------------- feedback */

static int persist(lq_worker *w, lq_pr_record *rec)
{
    lq_error err = {0};
    int rc = lq_store_put(w->store, rec, &err);
    if (rc)
        wlog("error", "msg=\"cannot save queue state\" repo=%s pr=%d error=\"%s\"", rec->repo,
             rec->number, err.msg);
    return rc;
}

static void audit(lq_worker *w, const lq_pr_record *rec, const char *action, const char *summary,
                  char *const *reasons, size_t n, const char *commit)
{
    lq_error err = {0};
    if (lq_store_audit(w->store, rec->repo, rec->number, rec->head_sha, action, summary,
                       (const char *const *)reasons, n, commit, &err))
        wlog("error", "msg=\"cannot write audit row\" error=\"%s\"", err.msg);
    wlog("info", "msg=\"%s\" repo=%s pr=%d sha=%.12s summary=\"%s\"%s%s", action, rec->repo,
         rec->number, rec->head_sha, summary ? summary : "", commit ? " commit=" : "",
         commit ? commit : "");
    char l[128];
    lq_metrics_add(w->cfg.metrics, "landq_decisions_total",
                   lq_metrics_label(l, sizeof l, "action", action), 1);
    if (!strcmp(action, "eject") || !strcmp(action, "blocked") || !strcmp(action, "refused") ||
        !strcmp(action, "conflict"))
        lq_metrics_add(w->cfg.metrics, "landq_refusals_total",
                       lq_metrics_label(l, sizeof l, "reason", action), 1);
}

/* Posts the landq commit status unless the same one was posted last. */
static void post_status(lq_worker *w, lq_pr_record *rec, const char *sha, const char *state,
                        const char *desc)
{
    char key[512];
    snprintf(key, sizeof key, "%s %s %s", sha, state, desc);
    if (rec->status_key && !strcmp(rec->status_key, key))
        return;
    json_t *body = json_pack("{s:s, s:s, s:s}", "state", state, "description", desc, "context",
                             w->context);
    char path[512];
    snprintf(path, sizeof path, "/repos/%s/statuses/%s", rec->repo, sha);
    lq_gh_response r;
    lq_error err = {0};
    int rc = body ? lq_github_request(w->gh, &r, "POST", path, body, &err) : LQ_ENOMEM;
    json_decref(body);
    if (rc == LQ_OK && r.status / 100 == 2) {
        lq_pr_record_set(&rec->status_key, key);
        persist(w, rec);
    } else {
        wlog("warn", "msg=\"cannot set commit status\" repo=%s pr=%d status=%ld error=\"%s\"",
             rec->repo, rec->number, rc == LQ_ENOMEM ? 0 : r.status, err.msg);
    }
    if (rc != LQ_ENOMEM)
        lq_gh_response_dispose(&r);
}

/* Creates or edits landq's one comment. */
static void post_comment(lq_worker *w, lq_pr_record *rec, const char *text)
{
    if (rec->comment_body && !strcmp(rec->comment_body, text))
        return;
    lq_error err = {0};
    char path[512];
    if (!rec->comment_id) {
        /* Maybe written before a crash: find it by its marker. */
        snprintf(path, sizeof path, "/repos/%s/issues/%d/comments?per_page=100", rec->repo,
                 rec->number);
        json_t *list = NULL;
        if (lq_github_get_all(w->gh, &list, path, NULL, 0, &err) == LQ_OK) {
            size_t i;
            json_t *c;
            json_array_foreach(list, i, c)
            {
                const char *b = jstr(c, "body");
                if (b && strstr(b, MARKER)) {
                    rec->comment_id = (int64_t)json_integer_value(json_object_get(c, "id"));
                    break;
                }
            }
            json_decref(list);
        }
    }
    json_t *body = json_pack("{s:s}", "body", text);
    lq_gh_response r;
    memset(&r, 0, sizeof r);
    int rc = LQ_ENOMEM;
    if (rec->comment_id) {
        snprintf(path, sizeof path, "/repos/%s/issues/comments/%lld", rec->repo,
                 (long long)rec->comment_id);
        rc = body ? lq_github_request(w->gh, &r, "PATCH", path, body, &err) : LQ_ENOMEM;
        if (rc == LQ_OK && r.status == 404) { /* deleted by someone: write a new one */
            rec->comment_id = 0;
            lq_gh_response_dispose(&r);
        }
    }
    if (!rec->comment_id && body) {
        snprintf(path, sizeof path, "/repos/%s/issues/%d/comments", rec->repo, rec->number);
        rc = lq_github_request(w->gh, &r, "POST", path, body, &err);
        if (rc == LQ_OK && r.status / 100 == 2)
            rec->comment_id = (int64_t)json_integer_value(json_object_get(r.json, "id"));
    }
    json_decref(body);
    if (rc == LQ_OK && r.status / 100 == 2) {
        lq_pr_record_set(&rec->comment_body, text);
        persist(w, rec);
    } else {
        wlog("warn", "msg=\"cannot write the status comment\" repo=%s pr=%d status=%ld "
             "error=\"%s\"", rec->repo, rec->number, r.status, err.msg);
    }
    lq_gh_response_dispose(&r);
}

static void remove_label(lq_worker *w, lq_pr_record *rec)
{
    char *el = lq_github_escape(w->label, 0);
    if (!el)
        return;
    char path[768];
    snprintf(path, sizeof path, "/repos/%s/issues/%d/labels/%s", rec->repo, rec->number, el);
    free(el);
    lq_gh_response r;
    lq_error err = {0};
    int rc = lq_github_request(w->gh, &r, "DELETE", path, NULL, &err);
    if (rc || (r.status / 100 != 2 && r.status != 404))
        wlog("warn", "msg=\"cannot remove the label\" repo=%s pr=%d status=%ld error=\"%s\"",
             rec->repo, rec->number, r.status, err.msg);
    lq_gh_response_dispose(&r);
}

/* Queue position of rec on its branch, from the store. */
static void position_of(lq_worker *w, const lq_pr_record *rec, size_t *pos, size_t *total)
{
    *pos = *total = 0;
    lq_pr_record *recs = NULL;
    size_t n = 0;
    lq_error err = {0};
    if (lq_store_list(w->store, LQ_STORE_QUEUED, &recs, &n, &err))
        return;
    lq_queue_entry *q = calloc(n + 1, sizeof(*q));
    size_t self = n;
    for (size_t i = 0; q && i < n; i++) {
        q[i] = (lq_queue_entry){recs[i].repo, recs[i].base, recs[i].number,
                                recs[i].labeled_at_ms, recs[i].state};
        if (!strcasecmp(recs[i].repo, rec->repo) && recs[i].number == rec->number) {
            self = i;
            q[i].state = rec->state; /* may not be saved yet */
        }
    }
    if (q && self < n)
        *pos = lq_queue_position(q, n, self, total);
    free(q);
    lq_store_list_free(recs, n);
}

static const char *next_step(const lq_worker *w, const lq_verdict *v, const lq_pr_record *rec,
                             char *buf, size_t cap)
{
    char sha[13];
    short_sha(sha, rec->head_sha);
    if (v->kind == LQ_VERDICT_IGNORE)
        snprintf(buf, cap, "add the `%s` label again to queue the pull request.", w->label);
    else if (v->kind == LQ_VERDICT_EJECT && v->failing_check)
        snprintf(buf, cap, "fix `%s`, push the fix, and add the `%s` label again.",
                 v->failing_check, w->label);
    else if (v->kind == LQ_VERDICT_EJECT)
        snprintf(buf, cap, "ask someone with write permission on %s to add the `%s` label.",
                 rec->repo, w->label);
    else if (v->missing_count)
        snprintf(buf, cap, "ask one of the owners listed above to approve the current head "
                 "commit `%s`. Approvals of earlier commits do not count. landq lands the pull "
                 "request as soon as the approvals are in; you do not need to re-add the label.",
                 sha);
    else if (v->kind == LQ_VERDICT_BLOCKED)
        snprintf(buf, cap, "fix the problem above; landq checks again on the next change to the "
                 "pull request.");
    else if (v->kind == LQ_VERDICT_READY)
        snprintf(buf, cap, "nothing: landq squash-merges it when its turn comes.");
    else
        snprintf(buf, cap, "nothing, unless stated above: landq lands the pull request as soon "
                 "as it is ready.");
    return buf;
}

static char *verdict_comment(lq_worker *w, const lq_verdict *v, const lq_pr_record *rec)
{
    sb b = {0};
    char sha[13], step[512];
    short_sha(sha, rec->head_sha);
    size_t pos, total;
    position_of(w, rec, &pos, &total);
    sb_add(&b, "%s\n", MARKER);
    switch (v->kind) {
    case LQ_VERDICT_WAIT:
        sb_add(&b, "**landq: waiting** to land on `%s`", rec->base);
        if (pos)
            sb_add(&b, " (position %zu of %zu in the queue)", pos, total);
        sb_add(&b, ".\n\nIt cannot land yet, at head commit `%s`:\n\n", sha);
        break;
    case LQ_VERDICT_READY:
        sb_add(&b, "**landq: ready** to land on `%s`", rec->base);
        if (pos)
            sb_add(&b, " (position %zu of %zu in the queue)", pos, total);
        sb_add(&b, ", at head commit `%s`:\n\n", sha);
        break;
    case LQ_VERDICT_BLOCKED:
        sb_add(&b, "**landq: blocked**: this pull request cannot land on `%s` until this is "
               "fixed (head commit `%s`):\n\n", rec->base, sha);
        break;
    case LQ_VERDICT_EJECT:
        sb_add(&b, "**landq: removed from the queue**: I removed the `%s` label (head commit "
               "`%s`):\n\n", w->label, sha);
        break;
    case LQ_VERDICT_IGNORE:
        sb_add(&b, "**landq: not queued**:\n\n");
        break;
    }
    for (size_t i = 0; i < v->reason_count; i++)
        sb_add(&b, "- %s\n", v->reasons[i]);
    if (v->approver_count) {
        sb_add(&b, "\nApproved on `%s` by:", sha);
        for (size_t i = 0; i < v->approver_count; i++)
            sb_add(&b, "%s @%s", i ? "," : "", v->approvers[i]);
        sb_add(&b, "\n");
    }
    sb_add(&b, "\n**Next step:** %s\n", next_step(w, v, rec, step, sizeof step));
    if (b.failed) {
        free(b.p);
        return NULL;
    }
    return b.p;
}

/* ---------------------------------------------------------------- deciding */

static void apply_verdict(lq_worker *w, lq_pr_record *rec, const lq_verdict *v, const json_t *pr)
{
    static const lq_queue_event ev_of[] = {
        [LQ_VERDICT_IGNORE] = LQ_QEV_IGNORE, [LQ_VERDICT_WAIT] = LQ_QEV_WAIT,
        [LQ_VERDICT_BLOCKED] = LQ_QEV_BLOCKED, [LQ_VERDICT_EJECT] = LQ_QEV_EJECT,
        [LQ_VERDICT_READY] = LQ_QEV_READY};
    lq_pr_state old = rec->state;
    if (old == LQ_PR_MERGING)
        return; /* the landing step resolves the merge first */
    lq_error err = {0};
    if (lq_queue_transition(&rec->state, ev_of[v->kind], &err)) {
        wlog("error", "msg=\"refused transition\" repo=%s pr=%d error=\"%s\"", rec->repo,
             rec->number, err.msg);
        return;
    }
    if (old != rec->state)
        wlog("info", "msg=transition repo=%s pr=%d sha=%.12s from=%s to=%s", rec->repo,
             rec->number, rec->head_sha, lq_pr_state_str(old), lq_pr_state_str(rec->state));
    rec->dirty = 0;
    if (v->kind == LQ_VERDICT_READY) {
        char *msg = NULL;
        if (lq_message_build(&msg, jstr(pr, "body"), (const char *const *)v->approvers,
                             v->approver_count, &err) == LQ_OK) {
            snprintf(rec->merge_sha, sizeof rec->merge_sha, "%s", rec->head_sha);
            lq_pr_record_set(&rec->merge_title, jstr(pr, "title") ? jstr(pr, "title") : "");
            lq_pr_record_set(&rec->merge_message, msg);
            free(msg);
        } else {
            rec->state = LQ_PR_BLOCKED;
            wlog("error", "msg=\"cannot build the commit message\" repo=%s pr=%d error=\"%s\"",
                 rec->repo, rec->number, err.msg);
        }
    }
    if (persist(w, rec)) /* state first, then side effects */
        return;

    int changed = old != rec->state || !rec->status_key ||
                  !strstr(rec->status_key, v->summary ? v->summary : "");
    if (v->kind == LQ_VERDICT_IGNORE) {
        if (!lq_queue_is_queued(old))
            return;
        /* It left the queue without landq: say so where people look. */
        const char *why = v->reason_count ? v->reasons[0] : "it left the queue";
        audit(w, rec, "dequeued", why, v->reasons, v->reason_count, NULL);
        if (json_is_true(json_object_get(pr, "merged")) ||
            strcmp(jstr(pr, "state") ? jstr(pr, "state") : "", "open"))
            return;
        char desc[160];
        snprintf(desc, sizeof desc, "not queued: the %s label was removed", w->label);
        post_status(w, rec, rec->head_sha, "error", desc);
        char *text = verdict_comment(w, v, rec);
        if (text)
            post_comment(w, rec, text);
        free(text);
        return;
    }
    if (changed)
        audit(w, rec, lq_verdict_kind_str(v->kind), v->summary, v->reasons, v->reason_count,
              NULL);
    if (v->kind == LQ_VERDICT_EJECT)
        remove_label(w, rec);
    char desc[200];
    const char *state = "pending";
    if (v->kind == LQ_VERDICT_READY) {
        size_t pos, total;
        position_of(w, rec, &pos, &total);
        snprintf(desc, sizeof desc, "ready: position %zu of %zu in the queue for %.100s", pos, total,
                 rec->base);
    } else {
        snprintf(desc, sizeof desc, "%s", v->summary ? v->summary : "");
        if (v->kind == LQ_VERDICT_BLOCKED || v->kind == LQ_VERDICT_EJECT)
            state = "failure";
    }
    post_status(w, rec, rec->head_sha, state, desc);
    char *text = verdict_comment(w, v, rec);
    if (text)
        post_comment(w, rec, text);
    free(text);
}

/* Re-reads the pull request and decides. LQ_OK also when the decision was "ignore". */
static int evaluate(lq_worker *w, lq_pr_record *rec)
{
    facts_buf b;
    memset(&b, 0, sizeof b);
    lq_policy_facts f;
    co_entry *coe = NULL;
    lq_error err = {0};
    int rc = gather(w, rec, &b, &f, &coe, &err);
    if (rc == LQ_ENOTFOUND) {
        /* The pull request is gone (or invisible to the token). */
        lq_pr_state s = rec->state;
        if (s != LQ_PR_MERGING && lq_queue_transition(&s, LQ_QEV_IGNORE, NULL) == LQ_OK)
            rec->state = s;
        rec->dirty = 0;
        persist(w, rec);
        facts_buf_dispose(&b);
        return LQ_OK;
    }
    if (rc) {
        wlog("warn", "msg=\"cannot read the pull request; will retry\" repo=%s pr=%d "
             "error=\"%s\"", rec->repo, rec->number, err.msg);
        facts_buf_dispose(&b);
        return rc;
    }
    lq_verdict v;
    rc = lq_policy_decide(&v, &f, &err);
    if (!rc) {
        apply_verdict(w, rec, &v, b.pr);
        lq_verdict_dispose(&v);
    }
    facts_buf_dispose(&b);
    return rc;
}

/* ---------------------------------------------------------------- landing */

/* ---------------------------------------------------------------- conflict analysis
 * (issue 6; io/mirror.h, io/conflicts.h, core/conflict_report.h, docs/conflicts.md) */

/* The mirror of repo, opened (or re-created) on first use; NULL when unusable (logged). */
static lq_mirror *mirror_of(lq_worker *w, const char *repo)
{
    size_t i = 0;
    while (i < w->cfg.repo_count && strcasecmp(w->repos[i], repo))
        i++;
    if (i == w->cfg.repo_count || !w->mirrors)
        return NULL;
    if (w->mirrors[i] && w->cfg.token_cb && w->mirror_opened_ms &&
        lq_store_now_ms() - w->mirror_opened_ms[i] > 30 * 60 * 1000) {
        /* GitHub App: the installation token the mirror holds expires after an hour; re-open
         * it (the bare repository on disk stays) with the current one. */
        lq_mirror_free(w->mirrors[i]);
        w->mirrors[i] = NULL;
    }
    if (w->mirrors[i])
        return w->mirrors[i];
    char *path = NULL, *url = NULL;
    lq_error err = {0};
    if (lq_mirror_path(&path, w->mirror_dir, w->repos[i], &err) == LQ_OK &&
        lq_mirror_url_from_api(&url, w->api_url, w->repos[i], &err) == LQ_OK) {
        /* With GitHub App authentication the mirror gets the installation token current
         * now (and is re-opened with a fresh one after 30 minutes, above). */
        char app_token[1024] = "";
        if (w->cfg.token_cb && w->cfg.token_cb(w->cfg.token_ctx, 0, app_token,
                                               sizeof app_token, &err))
            app_token[0] = '\0';
        lq_mirror_config mc = {path, url, w->cfg.token_cb ? app_token : w->token,
                               gh_should_stop, w};
        lq_mirror_open(&w->mirrors[i], &mc, &err);
        memset(app_token, 0, sizeof app_token);
        if (w->mirror_opened_ms)
            w->mirror_opened_ms[i] = lq_store_now_ms();
    }
    if (!w->mirrors[i])
        wlog("warn", "msg=\"no git mirror: conflict reports unavailable\" repo=%s error=\"%s\"",
             repo, err.msg);
    free(path);
    free(url);
    return w->mirrors[i];
}

typedef struct pr_lookup_ctx {
    lq_worker *w;
    const char *repo;
    int requests; /* GET commits/{sha}/pulls made (capped) */
} pr_lookup_ctx;

/* The pull request a base commit came from: landq's own landings (the store), else GitHub's
 * "list pull requests associated with a commit". The caller tried the " (#N)" title first. */
static int pr_of_commit(void *ctx, const char *sha, const char *title, int *pr)
{
    (void)title;
    pr_lookup_ctx *c = ctx;
    lq_pr_record *recs = NULL;
    size_t n = 0;
    lq_error err = {0};
    if (lq_store_list(c->w->store, LQ_STORE_ALL, &recs, &n, &err) == LQ_OK) {
        for (size_t i = 0; i < n && !*pr; i++)
            if (!strcasecmp(recs[i].repo, c->repo) && !strcmp(recs[i].landed_sha, sha))
                *pr = recs[i].number;
        lq_store_list_free(recs, n);
    }
    if (*pr || c->requests++ >= 5)
        return *pr ? 0 : -1;
    char path[512];
    snprintf(path, sizeof path, "/repos/%s/commits/%s/pulls", c->repo, sha);
    json_t *list = NULL;
    if (lq_github_get_json(c->w->gh, &list, path, &err))
        return -1;
    size_t i;
    json_t *p;
    json_array_foreach(list, i, p)
    {
        const char *mc = jstr(p, "merge_commit_sha");
        if (!*pr || (mc && !strcmp(mc, sha)))
            *pr = (int)json_integer_value(json_object_get(p, "number"));
    }
    json_decref(list);
    return 0;
}

/* Merges rec's head (sha, or refs/pull/N/head when NULL or not fetched) onto the tip of its base
 * in the mirror. 1: it conflicts; *text (landq's comment, owned) and summary (status) are set
 * and head[41] holds the commit checked. 0: merges cleanly. -1: cannot tell (logged). */
static int conflict_report_for(lq_worker *w, const lq_pr_record *rec, const char *sha,
                               int caused_by, int fetch, char **text, char *summary,
                               size_t cap, char head[41])
{
    *text = NULL;
    lq_mirror *m = mirror_of(w, rec->repo);
    if (!m)
        return -1;
    lq_error err = {0};
    int pulls[] = {rec->number};
    const char *branches[] = {rec->base};
    if (fetch && lq_mirror_fetch_branches(m, branches, 1, pulls, 1, NULL, &err)) {
        wlog("warn", "msg=\"mirror fetch failed: no conflict report\" repo=%s pr=%d error=\"%s\"",
             rec->repo, rec->number, err.msg);
        return -1;
    }
    char base_ref[300], pull_ref[64];
    snprintf(base_ref, sizeof base_ref, "refs/heads/%s", rec->base);
    snprintf(pull_ref, sizeof pull_ref, "refs/pull/%d/head", rec->number);
    pr_lookup_ctx pc = {w, rec->repo, 0};
    lq_conflicts_opts o = {.pr_lookup = pr_of_commit, .pr_ctx = &pc};
    lq_conflict_set set;
    int rc = lq_conflicts_check(&set, lq_mirror_repo(m), base_ref, sha && *sha ? sha : pull_ref,
                                &o, &err);
    if (rc == LQ_ENOTFOUND && sha && *sha)
        rc = lq_conflicts_check(&set, lq_mirror_repo(m), base_ref, pull_ref, &o, &err);
    if (rc) {
        wlog("warn", "msg=\"conflict analysis failed\" repo=%s pr=%d error=\"%s\"", rec->repo,
             rec->number, err.msg);
        return -1;
    }
    if (!set.path_count)
        return 0;
    snprintf(head, 41, "%s", set.head_sha);
    char path[512];
    snprintf(path, sizeof path, "/repos/%s/pulls/%d", rec->repo, rec->number);
    json_t *pr = NULL;
    lq_github_get_json(w->gh, &pr, path, &err); /* only for the branch name in the commands */
    /* a fork's branch is pushed to the fork: the commands say so */
    const char *head_repo = jpath(json_object_get(pr, "head"), "repo", "full_name");
    lq_conflict_report_opts ro = {.repo = rec->repo, .number = rec->number, .base = rec->base,
                                  .head_branch = jpath(pr, "head", "ref"), .label = w->label,
                                  .caused_by_pr = caused_by, .label_removed = 1,
                                  .fork = head_repo && strcasecmp(head_repo, rec->repo) ? head_repo
                                                                                      : NULL,
                                  .base_url = jpath(json_object_get(pr, "base"), "repo",
                                                    "clone_url")};
    char *report = NULL;
    rc = lq_conflict_report_build(&report, &set, &ro, &err);
    json_decref(pr);
    if (rc == LQ_OK) {
        sb b = {0};
        sb_add(&b, "%s\n%s", MARKER, report);
        *text = b.failed ? NULL : b.p;
        if (b.failed)
            free(b.p);
        lq_conflict_report_summary(summary, cap, &set, rec->base);
        wlog("info", "msg=conflict repo=%s pr=%d sha=%.12s base=%.12s files=%zu caused_by=%d",
             rec->repo, rec->number, set.head_sha, set.base_sha, set.paths_total, caused_by);
    }
    free(report);
    lq_conflict_set_dispose(&set);
    return *text ? 1 : -1;
}

/* Out of the queue with the conflict report (rec already moved to EJECTED). */
static void tell_conflict(lq_worker *w, lq_pr_record *rec, const char *text, const char *summary,
                          const char *head)
{
    persist(w, rec);
    char *reasons[] = {(char *)summary};
    audit(w, rec, "conflict", summary, reasons, 1, NULL);
    remove_label(w, rec);
    post_status(w, rec, head, "failure", summary);
    post_comment(w, rec, text);
}

/* Early warning: after landed_rec landed, every other queued pull request for the same base is
 * merged onto the new tip in the mirror; those that now conflict are told right away. */
static void early_warning(lq_worker *w, const lq_pr_record *landed_rec)
{
    lq_pr_record *recs = NULL;
    size_t n = 0;
    lq_error err = {0};
    if (lq_store_list(w->store, LQ_STORE_QUEUED, &recs, &n, &err))
        return;
    int *pulls = calloc(n + 1, sizeof(*pulls));
    size_t np = 0;
    for (size_t i = 0; pulls && i < n; i++)
        if (!strcasecmp(recs[i].repo, landed_rec->repo) && !strcmp(recs[i].base, landed_rec->base) &&
            recs[i].number != landed_rec->number && recs[i].state != LQ_PR_MERGING)
            pulls[np++] = recs[i].number;
    lq_mirror *m = np ? mirror_of(w, landed_rec->repo) : NULL;
    const char *branches[] = {landed_rec->base};
    if (m && lq_mirror_fetch_branches(m, branches, 1, pulls, np, NULL, &err)) {
        wlog("warn", "msg=\"mirror fetch failed: no early warning\" repo=%s error=\"%s\"",
             landed_rec->repo, err.msg);
        m = NULL;
    }
    for (size_t i = 0; m && i < n && !atomic_load(&w->stop); i++) {
        lq_pr_record *r = &recs[i];
        if (strcasecmp(r->repo, landed_rec->repo) || strcmp(r->base, landed_rec->base) ||
            r->number == landed_rec->number || r->state == LQ_PR_MERGING)
            continue;
        char *text = NULL, summary[200], head[41];
        if (conflict_report_for(w, r, NULL, landed_rec->number, 0, &text, summary, sizeof summary,
                                head) == 1 &&
            lq_queue_transition(&r->state, LQ_QEV_EJECT, &err) == LQ_OK) {
            wlog("info", "msg=\"early warning\" repo=%s pr=%d landed=%d", r->repo, r->number,
                 landed_rec->number);
            tell_conflict(w, r, text, summary, head);
        }
        free(text);
    }
    free(pulls);
    lq_store_list_free(recs, n);
}

/* The feedback owed for a landing (success status, "landed" comment). A LANDED record stays
 * dirty until both are written, so a crash in between is finished at the next start
 * (evaluate_dirty); both steps are idempotent (status key, comment found by its marker).
 * Returns 0 when both are written. */
static int landed_feedback(lq_worker *w, lq_pr_record *rec)
{
    char c12[13], h12[13];
    short_sha(c12, rec->landed_sha);
    short_sha(h12, rec->merge_sha);
    char summary[256];
    snprintf(summary, sizeof summary, "landed as %s on %.200s", c12, rec->base);
    const char *sha = rec->merge_sha[0] ? rec->merge_sha : rec->head_sha;
    post_status(w, rec, sha, "success", summary);
    char key[512];
    snprintf(key, sizeof key, "%s %s %s", sha, "success", summary);
    int ok = rec->status_key && !strcmp(rec->status_key, key);
    sb b = {0};
    sb_add(&b, "%s\n**landq: landed** on `%s` as `%s` (squash of head commit `%s`).\n", MARKER,
           rec->base, c12, h12);
    sb_add(&b, "\nCommit message:\n\n````text\n%s\n", rec->merge_title ? rec->merge_title : "");
    if (rec->merge_message && *rec->merge_message)
        sb_add(&b, "\n%s\n", rec->merge_message);
    sb_add(&b, "````\n");
    if (!b.failed)
        post_comment(w, rec, b.p);
    ok = ok && !b.failed && rec->comment_body && !strcmp(rec->comment_body, b.p);
    free(b.p);
    if (ok && rec->dirty) {
        rec->dirty = 0;
        persist(w, rec);
    }
    return ok ? 0 : -1;
}

static void landed(lq_worker *w, lq_pr_record *rec, const char *commit)
{
    lq_error err = {0};
    lq_queue_transition(&rec->state, LQ_QEV_MERGED, &err);
    snprintf(rec->landed_sha, sizeof rec->landed_sha, "%s", commit ? commit : "");
    rec->dirty = 1; /* feedback owed: landed_feedback() clears it */
    persist(w, rec);
    char c12[13];
    short_sha(c12, rec->landed_sha);
    char summary[256];
    snprintf(summary, sizeof summary, "landed as %s on %.200s", c12, rec->base);
    char *reasons[] = {summary};
    audit(w, rec, "landed", summary, reasons, 1, rec->landed_sha);
    char l[600];
    lq_metrics_add(w->cfg.metrics, "landq_landings_total",
                   lq_metrics_label2(l, sizeof l, "repo", rec->repo, "branch", rec->base), 1);
    if (rec->labeled_at_ms > 0)
        lq_metrics_observe(w->cfg.metrics, "landq_label_to_landing_seconds", NULL,
                           (double)(lq_store_now_ms() - rec->labeled_at_ms) / 1000.0);
    landed_feedback(w, rec);
}

/* Out of the queue because GitHub cannot merge it: label removed, author told. The caller has
 * already moved rec to EJECTED. */
static void tell_refused(lq_worker *w, lq_pr_record *rec, const char *summary, const char *quote)
{
    char *ctext = NULL, csum[200], head[41];
    if (conflict_report_for(w, rec, rec->merge_sha, 0, 1, &ctext, csum, sizeof csum, head) == 1) {
        tell_conflict(w, rec, ctext, csum, head);
        free(ctext);
        return;
    }
    persist(w, rec);
    char *reasons[] = {(char *)summary};
    audit(w, rec, "refused", summary, reasons, 1, NULL);
    remove_label(w, rec);
    post_status(w, rec, rec->merge_sha, "failure", summary);
    sb b = {0};
    sb_add(&b, "%s\n**landq: removed from the queue**: I removed the `%s` label because GitHub "
           "cannot squash-merge head commit `%.12s` into `%s`:\n\n> %s\n\n**Next step:** "
           "update the branch with `%s` (merge or rebase), resolve any conflicts, push, and add "
           "the `%s` label again.\n", MARKER, w->label, rec->merge_sha, rec->base, quote,
           rec->base, w->label);
    if (!b.failed)
        post_comment(w, rec, b.p);
    free(b.p);
}

static void merge_refused(lq_worker *w, lq_pr_record *rec, long status, const char *ghmsg)
{
    lq_error err = {0};
    lq_queue_transition(&rec->state, LQ_QEV_REFUSED, &err);
    char summary[256];
    snprintf(summary, sizeof summary, "GitHub refused the merge (%ld): %s", status,
             ghmsg && *ghmsg ? ghmsg : "no reason given");
    tell_refused(w, rec, summary, ghmsg && *ghmsg ? ghmsg : "(no message)");
}

static int stop_nap(lq_worker *w, long ms)
{
    for (long t = 0; t < ms; t += 50) {
        if (atomic_load(&w->stop))
            return -1;
        struct timespec ts = {0, 50 * 1000000L};
        nanosleep(&ts, NULL);
    }
    return 0;
}

/* GitHub computes mergeability in the background; never merge while it is unknown.
 * Returns 1 mergeable, 0 not (state in *ms), -1 still unknown or unreadable, -3 head moved. */
static int mergeable(lq_worker *w, lq_pr_record *rec, char *ms, size_t cap)
{
    static const long waits[] = {0, 500, 1000, 2000, 4000};
    char path[512];
    snprintf(path, sizeof path, "/repos/%s/pulls/%d", rec->repo, rec->number);
    snprintf(ms, cap, "unknown");
    for (size_t i = 0; i < sizeof waits / sizeof waits[0]; i++) {
        if (stop_nap(w, waits[i]))
            return -1;
        json_t *pr = NULL;
        lq_error err = {0};
        if (lq_github_get_json(w->gh, &pr, path, &err))
            return -1;
        const char *head = jpath(pr, "head", "sha");
        json_t *m = json_object_get(pr, "mergeable");
        const char *st = jstr(pr, "mergeable_state");
        snprintf(ms, cap, "%s", st ? st : "unknown");
        int r = !head || strcmp(head, rec->merge_sha) ? -3 : json_is_true(m) ? 1
                : json_is_false(m) ? 0 : -1;
        json_decref(pr);
        if (r != -1)
            return r;
    }
    return -1;
}

/* Was it merged meanwhile (after a 5xx, or on resume)? 1 merged, 0 not, <0 error. */
static int check_merged(lq_worker *w, lq_pr_record *rec, char *commit, size_t cap, char *head,
                        size_t hcap)
{
    char path[512];
    snprintf(path, sizeof path, "/repos/%s/pulls/%d", rec->repo, rec->number);
    json_t *pr = NULL;
    lq_error err = {0};
    int rc = lq_github_get_json(w->gh, &pr, path, &err);
    if (rc)
        return -1;
    int merged = json_is_true(json_object_get(pr, "merged"));
    const char *mc = jstr(pr, "merge_commit_sha");
    snprintf(commit, cap, "%s", mc ? mc : "");
    const char *hs = jpath(pr, "head", "sha");
    snprintf(head, hcap, "%s", hs ? hs : "");
    const char *state = jstr(pr, "state");
    if (!merged && state && strcmp(state, "open"))
        merged = -2; /* closed without merging */
    json_decref(pr);
    return merged;
}

/* Lands rec (READY or MERGING). Returns 1 if it landed, 0 otherwise. */
static int land(lq_worker *w, lq_pr_record *rec)
{
    lq_error err = {0};
    if (rec->state == LQ_PR_READY) {
        char ms[64];
        int m = mergeable(w, rec, ms, sizeof ms);
        if (m == -3) { /* pushed since the evaluation: look again */
            rec->dirty = 1;
            persist(w, rec);
            return 0;
        }
        char *ctext = NULL, csum[200], chead[41];
        if (m == -1 && conflict_report_for(w, rec, rec->merge_sha, 0, 1, &ctext, csum,
                                           sizeof csum, chead) == 1 &&
            lq_queue_transition(&rec->state, LQ_QEV_EJECT, &err) == LQ_OK) {
            /* GitHub is still computing (the base moved); the mirror already knows. */
            tell_conflict(w, rec, ctext, csum, chead);
            free(ctext);
            return 0;
        }
        free(ctext);
        if (m == -1) { /* GitHub is still computing: try again shortly, do not guess */
            w->retry_after_ms = lq_store_now_ms() + 3000;
            wlog("info", "msg=\"mergeability not known yet; will retry\" repo=%s pr=%d",
                 rec->repo, rec->number);
            return 0;
        }
        if (m == 0) {
            if (lq_queue_transition(&rec->state, LQ_QEV_EJECT, &err))
                return 0;
            char summary[256], quote[256];
            snprintf(summary, sizeof summary, "GitHub cannot merge it into %.100s (mergeable: "
                     "false, state %.40s)", rec->base, ms);
            snprintf(quote, sizeof quote, "mergeable: false (mergeable_state: %.40s); usually a "
                     "conflict with `%.100s`", ms, rec->base);
            tell_refused(w, rec, summary, quote);
            return 0;
        }
        if (lq_queue_transition(&rec->state, LQ_QEV_MERGE_START, &err))
            return 0;
        rec->merge_attempts = 0;
        if (persist(w, rec))
            return 0;
        wlog("info", "msg=transition repo=%s pr=%d sha=%.12s from=ready to=merging", rec->repo,
             rec->number, rec->merge_sha);
    }
    if (rec->merge_attempts > 0) {
        /* A merge was sent before and its outcome is unknown: never merge twice. */
        char commit[64], head[64];
        int m = check_merged(w, rec, commit, sizeof commit, head, sizeof head);
        if (m < 0 && m != -2)
            return 0; /* cannot tell yet; try again next round */
        if (m == 1) {
            landed(w, rec, commit);
            return 1;
        }
        if (m == -2 || strcmp(head, rec->merge_sha)) {
            lq_queue_transition(&rec->state, LQ_QEV_HEAD_MOVED, &err);
            rec->dirty = 1;
            persist(w, rec);
            return 0;
        }
        if (rec->merge_attempts >= MERGE_ATTEMPTS_MAX) {
            lq_queue_transition(&rec->state, LQ_QEV_MERGE_FAILED, &err);
            persist(w, rec);
            char summary[200];
            snprintf(summary, sizeof summary, "GitHub failed to merge %d times; will retry on "
                     "the next change", rec->merge_attempts);
            char *reasons[] = {summary};
            audit(w, rec, "blocked", summary, reasons, 1, NULL);
            post_status(w, rec, rec->merge_sha, "failure", summary);
            return 0;
        }
    }
    rec->merge_attempts++;
    if (persist(w, rec)) /* recorded before the side effect */
        return 0;
    json_t *body = json_pack("{s:s, s:s, s:s, s:s}", "merge_method", "squash", "sha",
                             rec->merge_sha, "commit_title",
                             rec->merge_title ? rec->merge_title : "", "commit_message",
                             rec->merge_message ? rec->merge_message : "");
    if (!body)
        return 0;
    char path[512];
    snprintf(path, sizeof path, "/repos/%s/pulls/%d/merge", rec->repo, rec->number);
    lq_gh_response r;
    int rc = lq_github_request(w->gh, &r, "PUT", path, body, &err);
    json_decref(body);
    const char *ghmsg = jstr(r.json, "message");
    int result = 0;
    if (rc == LQ_OK && r.status == 200 && json_is_true(json_object_get(r.json, "merged"))) {
        landed(w, rec, jstr(r.json, "sha"));
        result = 1;
    } else if (rc == LQ_OK && r.status == 409) {
        lq_queue_transition(&rec->state, LQ_QEV_HEAD_MOVED, &err);
        rec->dirty = 1;
        persist(w, rec);
        char summary[300];
        snprintf(summary, sizeof summary, "head moved before the merge (409: %s); "
                 "re-evaluating the new head", ghmsg ? ghmsg : "");
        char *reasons[] = {summary};
        audit(w, rec, "head-moved", summary, reasons, 1, NULL);
    } else if (rc == LQ_OK && r.status == 405) {
        merge_refused(w, rec, r.status, ghmsg);
    } else if (rc == LQ_ETRANSIENT || (rc == LQ_OK && (r.status >= 500 || r.status == 200))) {
        /* Unknown outcome: stay MERGING; the next attempt re-reads the pull request first. */
        lq_queue_transition(&rec->state, LQ_QEV_MERGE_UNKNOWN, &err);
        persist(w, rec);
        wlog("warn", "msg=\"merge outcome unknown; will re-read before retrying\" repo=%s pr=%d "
             "status=%ld attempt=%d", rec->repo, rec->number, r.status, rec->merge_attempts);
        w->retry_after_ms = lq_store_now_ms() + 1000L * rec->merge_attempts;
    } else if (rc == LQ_OK) {
        lq_queue_transition(&rec->state, LQ_QEV_MERGE_FAILED, &err);
        persist(w, rec);
        char summary[300];
        snprintf(summary, sizeof summary, "GitHub did not merge (%ld): %s", r.status,
                 ghmsg ? ghmsg : "no reason given");
        char *reasons[] = {summary};
        audit(w, rec, "blocked", summary, reasons, 1, NULL);
        post_status(w, rec, rec->merge_sha, "failure", summary);
    }
    lq_gh_response_dispose(&r);
    return result;
}

/* For each branch: resume a merge in flight, else land ready ones in label order. */
static int land_all(lq_worker *w)
{
    int landed_any = 0;
    for (int round = 0; round < 64 && !atomic_load(&w->stop); round++) {
        lq_pr_record *recs = NULL;
        size_t n = 0;
        lq_error err = {0};
        if (lq_store_list(w->store, LQ_STORE_QUEUED, &recs, &n, &err))
            return landed_any;
        lq_queue_entry *q = calloc(n + 1, sizeof(*q));
        for (size_t i = 0; q && i < n; i++)
            q[i] = (lq_queue_entry){recs[i].repo, recs[i].base, recs[i].number,
                                    recs[i].labeled_at_ms, recs[i].state};
        int progressed = 0;
        for (size_t i = 0; q && i < n && !atomic_load(&w->stop); i++) {
            /* First entry of each branch in the list stands for the branch. */
            int seen = 0;
            for (size_t k = 0; k < i && !seen; k++)
                seen = !strcasecmp(recs[k].repo, recs[i].repo) &&
                       !strcmp(recs[k].base, recs[i].base);
            if (seen)
                continue;
            long idx = lq_queue_next(q, n, recs[i].repo, recs[i].base);
            /* A dirty READY entry is re-evaluated before it may land; a MERGING one is always
             * resolved first (no verdict is applied while a merge may be in flight). */
            if (idx < 0 || (recs[idx].state == LQ_PR_READY && recs[idx].dirty))
                continue;
            if (land(w, &recs[idx])) {
                landed_any = progressed = 1;
                early_warning(w, &recs[idx]);
            }
        }
        free(q);
        lq_store_list_free(recs, n);
        if (!progressed)
            break;
    }
    return landed_any;
}

/* ---------------------------------------------------------------- deliveries */

/* Loads or creates the record; *created says which. */
static int record_for(lq_worker *w, const char *repo, int number, lq_pr_record *rec,
                      int create, int *found)
{
    lq_error err = {0};
    int rc = lq_store_get(w->store, repo, number, rec, &err);
    *found = rc == LQ_OK;
    if (rc == LQ_ENOTFOUND && create) {
        memset(rec, 0, sizeof(*rec));
        snprintf(rec->repo, sizeof rec->repo, "%s", repo);
        rec->number = number;
        return LQ_OK;
    }
    return rc;
}

static int touch_pr(lq_worker *w, const char *repo, const json_t *payload, const json_t *pr,
                    int number, const lq_delivery *d, int labeled_now)
{
    int in_payload = has_label(w, json_object_get(pr, "labels"));
    lq_pr_record rec;
    int found = 0;
    int rc = record_for(w, repo, number, &rec, labeled_now || in_payload, &found);
    if (rc == LQ_ENOTFOUND)
        return LQ_OK; /* not ours */
    if (rc)
        return rc;
    if (labeled_now && rec.state != LQ_PR_MERGING) {
        const char *sender = jpath(payload, "sender", "login");
        snprintf(rec.labeler, sizeof rec.labeler, "%s", sender ? sender : "");
        rec.labeled_at_ms = d->received_ms;
    } else if (!found) {
        rec.labeled_at_ms = d->received_ms; /* best guess; labeler from the events API */
    }
    const char *sha = jpath(json_object_get(pr, "head") ? pr : NULL, "head", "sha");
    if (sha && rec.state != LQ_PR_MERGING)
        snprintf(rec.head_sha, sizeof rec.head_sha, "%s", sha);
    const char *base = jpath(pr, "base", "ref");
    if (base && !rec.base[0])
        snprintf(rec.base, sizeof rec.base, "%s", base);
    rec.dirty = 1;
    rc = persist(w, &rec);
    lq_pr_record_dispose(&rec);
    return rc;
}

static int mark_number(lq_worker *w, const char *repo, int number)
{
    lq_pr_record rec;
    int found = 0;
    int rc = record_for(w, repo, number, &rec, 0, &found);
    if (rc == LQ_ENOTFOUND)
        return LQ_OK;
    if (rc)
        return rc;
    if (lq_queue_is_queued(rec.state) && rec.state != LQ_PR_MERGING) {
        rec.dirty = 1;
        rc = persist(w, &rec);
    }
    lq_pr_record_dispose(&rec);
    return rc;
}

static int handle_delivery(lq_worker *w, const lq_delivery *d)
{
    json_t *p = json_loadb(d->body, d->len, 0, NULL);
    if (!json_is_object(p)) {
        json_decref(p);
        wlog("warn", "msg=\"delivery is not a JSON object; skipped\" delivery=%s", d->id);
        return LQ_OK;
    }
    const char *repo = jpath(p, "repository", "full_name");
    int rc = LQ_OK;
    if (!repo_served(w, repo))
        goto out;
    const char *ev = d->event;
    const char *action = jstr(p, "action");
    if (!strcmp(ev, "pull_request")) {
        json_t *pr = json_object_get(p, "pull_request");
        int number = (int)json_integer_value(json_object_get(p, "number"));
        if (!number)
            number = (int)json_integer_value(json_object_get(pr, "number"));
        int labeled_now = action && !strcmp(action, "labeled") &&
                          jpath(p, "label", "name") &&
                          !strcasecmp(jpath(p, "label", "name"), w->label);
        if (number > 0)
            rc = touch_pr(w, repo, p, pr, number, d, labeled_now);
    } else if (!strcmp(ev, "pull_request_review")) {
        json_t *pr = json_object_get(p, "pull_request");
        int number = (int)json_integer_value(json_object_get(pr, "number"));
        if (number > 0)
            rc = touch_pr(w, repo, p, pr, number, d, 0);
    } else if (!strcmp(ev, "status")) {
        const char *sha = jstr(p, "sha");
        if (sha && strcmp(jstr(p, "context") ? jstr(p, "context") : "", w->context))
            rc = lq_store_mark_sha_dirty(w->store, repo, sha, NULL, NULL);
    } else if (!strcmp(ev, "check_run") || !strcmp(ev, "check_suite")) {
        json_t *obj = json_object_get(p, ev);
        const char *sha = jstr(obj, "head_sha");
        if (sha)
            rc = lq_store_mark_sha_dirty(w->store, repo, sha, NULL, NULL);
        size_t i;
        json_t *x;
        json_array_foreach(json_object_get(obj, "pull_requests"), i, x)
        {
            int number = (int)json_integer_value(json_object_get(x, "number"));
            if (!rc && number > 0)
                rc = mark_number(w, repo, number);
        }
    }
out:
    {
        /* One line per delivery: which pull request (or commit) it was about. */
        const json_t *pr = json_object_get(p, "pull_request");
        json_int_t num = json_integer_value(json_object_get(p, "number"));
        if (!num)
            num = json_integer_value(json_object_get(pr, "number"));
        const char *sha = jpath(pr, "head", "sha");
        if (!sha)
            sha = jstr(p, "sha");
        if (!sha && json_is_object(json_object_get(p, d->event)))
            sha = jstr(json_object_get(p, d->event), "head_sha");
        wlog("info", "msg=delivery delivery=%s event=%s action=%s repo=%s pr=%lld sha=%.12s%s",
             d->id, d->event, jstr(p, "action") ? jstr(p, "action") : "-", repo ? repo : "-",
             (long long)num, sha ? sha : "-", repo_served(w, repo) ? "" : " ignored=not-served");
    }
    json_decref(p);
    return rc;
}

/* Applies up to DRAIN_BATCH deliveries; returns how many. */
static int drain(lq_worker *w)
{
    int done = 0;
    while (done < DRAIN_BATCH && !atomic_load(&w->stop)) {
        lq_delivery d;
        memset(&d, 0, sizeof d);
        lq_error err = {0};
        int rc = lq_inbox_next(w->inbox, &d, &err);
        if (rc == LQ_ENOTFOUND)
            break;
        if (rc == LQ_EINVAL) {
            /* A corrupt row (seq and id filled, no body): skip it rather than retry it forever;
             * the reconciliation sweep covers whatever it was about. */
            wlog("error", "msg=\"corrupt delivery skipped\" delivery=%s error=\"%s\"", d.id,
                 err.msg);
            if (lq_inbox_done(w->inbox, d.seq, &err))
                wlog("error", "msg=\"cannot mark delivery done\" delivery=%s error=\"%s\"", d.id,
                     err.msg);
            lq_delivery_dispose(&d);
            continue;
        }
        if (rc) {
            wlog("error", "msg=\"cannot read the inbox\" error=\"%s\"", err.msg);
            break;
        }
        rc = handle_delivery(w, &d);
        if (rc) {
            /* Keep the delivery: it is retried next round. */
            wlog("warn", "msg=\"delivery not applied; will retry\" delivery=%s event=%s", d.id,
                 d.event);
            lq_delivery_dispose(&d);
            break;
        }
        if (lq_inbox_done(w->inbox, d.seq, &err))
            wlog("error", "msg=\"cannot mark delivery done\" delivery=%s error=\"%s\"", d.id,
                 err.msg);
        if (w->cfg.verbose)
            wlog("debug", "msg=\"delivery applied\" delivery=%s event=%s", d.id, d.event);
        lq_delivery_dispose(&d);
        done++;
    }
    return done;
}

static int evaluate_dirty(lq_worker *w)
{
    lq_pr_record *recs = NULL;
    size_t n = 0;
    lq_error err = {0};
    if (lq_store_list(w->store, LQ_STORE_DIRTY, &recs, &n, &err)) {
        wlog("error", "msg=\"cannot list the queue\" error=\"%s\"", err.msg);
        return -1;
    }
    int failed = 0;
    for (size_t i = 0; i < n && !atomic_load(&w->stop); i++) {
        if (recs[i].state == LQ_PR_MERGING)
            continue;
        if (recs[i].state == LQ_PR_LANDED) { /* crashed before the feedback was written */
            if (landed_feedback(w, &recs[i]))
                failed = 1;
            continue;
        }
        if (evaluate(w, &recs[i]))
            failed = 1;
    }
    lq_store_list_free(recs, n);
    return failed ? -1 : (int)n;
}

/* Lost webhooks: at start-up and every reconcile_interval_s, labeled open pull requests the
 * store has not settled are marked dirty (io/reconcile.h). */
static void reconcile(lq_worker *w)
{
    int64_t now = lq_store_now_ms();
    if (w->cfg.reconcile_interval_s <= 0 || now < w->next_reconcile_ms)
        return;
    w->next_reconcile_ms = now + 1000LL * w->cfg.reconcile_interval_s;
    lq_reconcile_stats st;
    lq_error err = {0};
    int rc = lq_reconcile_sweep(w->gh, w->store, (const char *const *)w->repos,
                                w->cfg.repo_count, w->label, now, &st, &err);
    if (rc)
        wlog("warn", "msg=\"reconcile sweep failed; next one as scheduled\" error=\"%s\"",
             err.msg);
    if (rc || st.marked || w->cfg.verbose)
        wlog("info", "msg=\"reconcile sweep\" listed=%zu marked=%zu cached_pages=%zu", st.listed,
             st.marked, st.cached);
}

/* After downtime: failed deliveries of landq's webhooks, asked again once the listener is up
 * (3 days back, as far as GitHub keeps them); duplicates are dropped by the inbox. */
static void redeliver(lq_worker *w)
{
    if (w->redelivered || !atomic_load(&w->listening))
        return;
    w->redelivered = 1;
    for (size_t i = 0; w->redeliver && w->redeliver[i] && !atomic_load(&w->stop); i++) {
        lq_redeliver_stats rs;
        lq_error re = {0};
        int rrc = lq_redeliver_failed(w->gh, w->redeliver[i],
                                      lq_store_now_ms() / 1000 - 3 * 86400, 0, &rs, &re);
        wlog(rrc ? "warn" : "info", "msg=\"redelivery of failed webhook deliveries\" hook=%s "
             "seen=%zu failed=%zu redelivered=%zu%s%s%s", w->redeliver[i], rs.seen, rs.failed,
             rs.redelivered, rrc ? " error=\"" : "", rrc ? re.msg : "", rrc ? "\"" : "");
    }
}

/* /metrics gauges owned by the worker: queue depth per branch, GitHub rate limit budget and
 * 304s, at most once a second. */
static void export_gauges(lq_worker *w)
{
    int64_t now = lq_store_now_ms();
    if (!w->cfg.metrics || now < w->next_gauges_ms)
        return;
    w->next_gauges_ms = now + 1000;
    lq_pr_record *recs = NULL;
    size_t n = 0;
    lq_error err = {0};
    if (lq_store_list(w->store, LQ_STORE_QUEUED, &recs, &n, &err) == LQ_OK) {
        lq_metrics_clear(w->cfg.metrics, "landq_queue_depth");
        for (size_t i = 0; i < n; i++) {
            char l[600];
            lq_metrics_add(w->cfg.metrics, "landq_queue_depth",
                           lq_metrics_label2(l, sizeof l, "repo", recs[i].repo, "branch",
                                             recs[i].base[0] ? recs[i].base : "?"), 1);
        }
        lq_store_list_free(recs, n);
    }
    lq_gh_rate r;
    lq_github_rate(w->gh, &r);
    if (r.remaining >= 0)
        lq_metrics_set(w->cfg.metrics, "landq_github_rate_limit_remaining", NULL,
                       (double)r.remaining);
    if (r.limit >= 0)
        lq_metrics_set(w->cfg.metrics, "landq_github_rate_limit", NULL, (double)r.limit);
}

static void *run(void *arg)
{
    lq_worker *w = arg;
    wlog("info", "msg=\"worker started\" repos=%zu label=%s", w->cfg.repo_count, w->label);
    /* Resume: look at every queued pull request again (webhooks may have been missed while
     * landq was down); merges in flight are resolved by land_all() re-reading them first. */
    lq_pr_record *recs = NULL;
    size_t n = 0;
    lq_error err = {0};
    if (lq_store_list(w->store, LQ_STORE_QUEUED, &recs, &n, &err) == LQ_OK) {
        for (size_t i = 0; i < n; i++) {
            if (recs[i].state == LQ_PR_MERGING) {
                if (!recs[i].merge_attempts)
                    recs[i].merge_attempts = 1; /* outcome unknown: re-read before merging */
            } else {
                recs[i].dirty = 1;
            }
            persist(w, &recs[i]);
        }
        lq_store_list_free(recs, n);
    }
    while (!atomic_load(&w->stop)) {
        int work = drain(w);
        if (atomic_load(&w->stop))
            break;
        redeliver(w);
        reconcile(w);
        export_gauges(w);
        int ev = lq_store_now_ms() >= w->retry_after_ms ? evaluate_dirty(w) : 0;
        if (ev < 0)
            w->retry_after_ms = lq_store_now_ms() + 2000;
        if (!atomic_load(&w->stop) && lq_store_now_ms() >= w->retry_after_ms)
            work += land_all(w);
        if (!work && !atomic_load(&w->stop))
            lq_inbox_wait(w->inbox, ev < 0 ? 2000 : 1000);
    }
    wlog("info", "msg=\"worker stopped\"");
    return NULL;
}

/* ---------------------------------------------------------------- lifecycle */

static char **dup_list(const char *const *src, size_t n)
{
    char **l = calloc(n + 1, sizeof(*l));
    for (size_t i = 0; l && i < n; i++)
        if (!(l[i] = xstrdup(src[i]))) {
            for (size_t k = 0; k < i; k++)
                free(l[k]);
            free(l);
            return NULL;
        }
    return l;
}

static void free_list(char **l)
{
    for (size_t i = 0; l && l[i]; i++)
        free(l[i]);
    free(l);
}

static void worker_free(lq_worker *w)
{
    lq_github_free(w->gh);
    lq_store_close(w->store);
    kv_clear(&w->teams);
    kv_clear(&w->emails);
    kv_clear(&w->perms);
    for (size_t i = 0; i < CODEOWNERS_CACHE; i++)
        lq_codeowners_free(w->co[i].co);
    free_list(w->repos);
    free_list(w->required);
    free_list(w->redeliver);
    free(w->db_path);
    free(w->api_url);
    if (w->token) {
        volatile char *p = w->token;
        while (*p)
            *p++ = 0;
        free(w->token);
    }
    free(w->label);
    free(w->context);
    for (size_t i = 0; w->mirrors && i < w->cfg.repo_count; i++)
        lq_mirror_free(w->mirrors[i]);
    free(w->mirrors);
    free(w->mirror_opened_ms);
    free(w->mirror_dir);
    free(w);
}

int lq_worker_start(lq_worker **out, const lq_worker_config *cfg, lq_error *err)
{
    *out = NULL;
    lq_worker *w = calloc(1, sizeof(*w));
    if (!w)
        return lq_error_set(err, LQ_ENOMEM, "out of memory");
    w->cfg = *cfg;
    w->inbox = cfg->inbox;
    w->repos = dup_list(cfg->repos, cfg->repo_count);
    w->required = dup_list(cfg->required_checks, cfg->required_check_count);
    w->redeliver = dup_list(cfg->redeliver_hooks, cfg->redeliver_hook_count);
    w->db_path = xstrdup(cfg->db_path);
    w->api_url = xstrdup(cfg->api_url);
    w->token = xstrdup(cfg->token ? cfg->token : "");
    w->label = xstrdup(cfg->label ? cfg->label : "land");
    w->context = xstrdup(cfg->status_context ? cfg->status_context : "landq");
    atomic_init(&w->stop, 0);
    atomic_init(&w->listening, 0);
    w->mirrors = calloc(cfg->repo_count + 1, sizeof(*w->mirrors));
    w->mirror_opened_ms = calloc(cfg->repo_count + 1, sizeof(*w->mirror_opened_ms));
    if (cfg->mirror_dir && *cfg->mirror_dir) {
        w->mirror_dir = xstrdup(cfg->mirror_dir);
    } else if (w->db_path) { /* default: beside the database */
        const char *slash = strrchr(w->db_path, '/');
        size_t dl = slash ? (size_t)(slash - w->db_path) : 1;
        if ((w->mirror_dir = malloc(dl + 9)))
            snprintf(w->mirror_dir, dl + 9, "%.*s/mirrors", (int)dl,
                     slash ? (slash == w->db_path ? "/" : w->db_path) : ".");
    }
    if (!w->repos || !w->required || !w->redeliver || !w->db_path || !w->api_url || !w->token ||
        !w->label ||
        !w->context || !w->mirrors || !w->mirror_opened_ms || !w->mirror_dir) {
        worker_free(w);
        return lq_error_set(err, LQ_ENOMEM, "out of memory");
    }
    /* writes ride the inbox's group commit: a webhook burst must not starve landing */
    int rc = lq_store_open(&w->store, w->db_path, w->inbox, err);
    if (rc) {
        worker_free(w);
        return rc;
    }
    lq_github_config gc = {
        .api_url = w->api_url, .token = w->token, .user_agent = "landq/0.1 (+land queue)",
        .should_stop = gh_should_stop, .stop_ctx = w, .log = gh_log, .log_ctx = w,
        .token_cb = cfg->token_cb, .token_ctx = cfg->token_ctx, .metrics = cfg->metrics};
    if ((rc = lq_github_new(&w->gh, &gc, err))) {
        worker_free(w);
        return rc;
    }
    if (cfg->metrics) {
        static const double to_land[] = {10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600,
                                         86400};
        lq_metrics *m = cfg->metrics;
        lq_metrics_describe(m, "landq_landings_total", LQ_METRIC_COUNTER,
                            "Pull requests landed by landq.", NULL, 0);
        lq_metrics_describe(m, "landq_refusals_total", LQ_METRIC_COUNTER, "Pull requests "
                            "refused (eject, blocked, refused by GitHub, conflict), by reason.",
                            NULL, 0);
        lq_metrics_describe(m, "landq_decisions_total", LQ_METRIC_COUNTER,
                            "Decisions recorded in the audit log, by action.", NULL, 0);
        lq_metrics_describe(m, "landq_label_to_landing_seconds", LQ_METRIC_HISTOGRAM,
                            "Time from the land label to the landing.", to_land,
                            sizeof to_land / sizeof to_land[0]);
        lq_metrics_describe(m, "landq_queue_depth", LQ_METRIC_GAUGE,
                            "Queued pull requests (armed, ready, merging, blocked) per branch.",
                            NULL, 0);
        /* requests, 304s and retries are described and counted by the GitHub client */
        lq_metrics_describe(m, "landq_github_rate_limit_remaining", LQ_METRIC_GAUGE,
                            "x-ratelimit-remaining of the last GitHub answer.", NULL, 0);
        lq_metrics_describe(m, "landq_github_rate_limit", LQ_METRIC_GAUGE,
                            "x-ratelimit-limit of the last GitHub answer.", NULL, 0);
    }
    if (pthread_create(&w->thread, NULL, run, w)) {
        worker_free(w);
        return lq_error_set(err, LQ_ERROR, "cannot start the worker thread");
    }
    w->started = 1;
    *out = w;
    return LQ_OK;
}

void lq_worker_listening(lq_worker *w)
{
    if (!w)
        return;
    atomic_store(&w->listening, 1);
    lq_inbox_wake(w->inbox);
}

void lq_worker_stop(lq_worker *w)
{
    if (!w)
        return;
    atomic_store(&w->stop, 1);
    lq_inbox_wake(w->inbox);
    if (w->started)
        pthread_join(w->thread, NULL);
    worker_free(w);
}

/* ---------------------------------------------------------------- landq explain */

/* One changed path of the explanation: its owners, the deciding line, who satisfies it. */
static json_t *explain_path(const lq_policy_facts *f, const lq_verdict *v, const char *path,
                            const char *const *approvers, size_t na)
{
    json_t *o = json_pack("{s:s}", "path", path);
    if (!o)
        return NULL;
    lq_codeowners_match m = {0, 0, NULL};
    if (f->owners)
        lq_codeowners_match_path(f->owners, NULL, path, strlen(path), &m);
    json_t *owners = json_array(), *by = json_array();
    for (size_t k = 0; k < m.owner_count; k++)
        json_array_append_new(owners, json_string(m.owners[k].name));
    for (size_t a = 0; a < na; a++) {
        const char *via = NULL;
        char at[140];
        snprintf(at, sizeof at, "@%s", approvers[a]);
        for (size_t k = 0; k < m.owner_count && !via; k++) {
            const lq_owner *ow = &m.owners[k];
            if (ow->kind == LQ_OWNER_USER && lq_owner_equal(ow->name, at))
                via = ow->name;
            for (size_t i = 0; i < f->affiliation_count && !via; i++)
                if (!strcasecmp(f->affiliations[i].login, approvers[a]) &&
                    lq_owner_equal(f->affiliations[i].owner, ow->name))
                    via = ow->name;
        }
        if (!via)
            continue;
        const char *sha = NULL; /* the approving review (latest of that reviewer) */
        for (size_t r = 0; r < f->review_count; r++)
            if (f->reviews[r].login && !strcasecmp(f->reviews[r].login, approvers[a]) &&
                f->reviews[r].state == LQ_REVIEW_APPROVED)
                sha = f->reviews[r].commit_id;
        json_array_append_new(by, json_pack("{s:s, s:s, s:s?}", "reviewer", approvers[a], "via",
                                            via, "sha", sha));
    }
    json_object_set_new(o, "line", json_integer(m.line));
    json_object_set_new(o, "owners", owners ? owners : json_array());
    json_object_set_new(o, "approved_by", by ? by : json_array());
    const char *missing = NULL;
    for (size_t i = 0; i < v->missing_count && !missing; i++)
        if (!strcmp(v->missing[i].path, path))
            missing = v->missing[i].owners;
    json_object_set_new(o, "missing", missing ? json_string(missing) : json_null());
    return o;
}

int lq_worker_explain(const lq_worker_config *cfg, const char *repo, int number, json_t **out,
                      lq_error *err)
{
    *out = NULL;
    lq_worker *w = calloc(1, sizeof(*w));
    if (!w)
        return lq_error_set(err, LQ_ENOMEM, "out of memory");
    w->cfg = *cfg;
    w->cfg.metrics = NULL;
    w->explaining = 1;
    w->repos = dup_list(cfg->repos, cfg->repo_count);
    w->required = dup_list(cfg->required_checks, cfg->required_check_count);
    w->api_url = xstrdup(cfg->api_url);
    w->token = xstrdup(cfg->token ? cfg->token : "");
    w->label = xstrdup(cfg->label ? cfg->label : "land");
    w->context = xstrdup(cfg->status_context ? cfg->status_context : "landq");
    atomic_init(&w->stop, 0);
    int rc = LQ_OK;
    if (!w->repos || !w->required || !w->api_url || !w->token || !w->label || !w->context)
        rc = lq_error_set(err, LQ_ENOMEM, "out of memory");
    lq_github_config gc = {
        .api_url = w->api_url, .token = w->token, .user_agent = "landq/0.1 (+land queue)",
        .should_stop = gh_should_stop, .stop_ctx = w, .log = gh_log, .log_ctx = w,
        .token_cb = cfg->token_cb, .token_ctx = cfg->token_ctx, .max_retries = 2};
    if (!rc)
        rc = lq_github_new(&w->gh, &gc, err);
    lq_pr_record rec;
    memset(&rec, 0, sizeof rec);
    snprintf(rec.repo, sizeof rec.repo, "%s", repo);
    rec.number = number;
    facts_buf b;
    memset(&b, 0, sizeof b);
    lq_policy_facts f;
    memset(&f, 0, sizeof f);
    co_entry *coe = NULL;
    if (!rc)
        rc = gather(w, &rec, &b, &f, &coe, err);
    if (rc == LQ_ENOTFOUND)
        lq_error_set(err, rc, "%s#%d: no such pull request (or the token cannot see it)", repo,
                     number);
    lq_verdict v;
    memset(&v, 0, sizeof v);
    if (!rc)
        rc = lq_policy_decide(&v, &f, err);
    json_t *o = NULL;
    if (!rc) {
        const json_t *pr = b.pr;
        o = json_pack("{s:s, s:i, s:s?, s:s?, s:s?, s:s?, s:b, s:b, s:b, s:b, s:s?, s:b}",
                      "repo", repo, "number", number, "title", jstr(pr, "title"), "author",
                      f.author, "head_sha", f.head_sha, "base", f.base_ref, "open", f.open,
                      "merged", f.merged, "draft", f.draft, "labeled", f.has_label, "labeler",
                      f.labeler, "labeler_can_write", f.labeler_can_write);
        if (!o)
            rc = lq_error_set(err, LQ_ENOMEM, "out of memory");
    }
    if (!rc) {
        json_object_set_new(o, "label", json_string(w->label));
        json_object_set_new(o, "codeowners", json_pack("{s:s?, s:s?}", "path",
                                                       f.codeowners_path, "error",
                                                       f.codeowners_error));
        const char **approvers = NULL;
        size_t na = 0;
        rc = lq_policy_approvers(&approvers, &na, f.reviews, f.review_count, f.author,
                                 f.head_sha, err);
        /* Approvals of reviewers without write permission do not count. */
        size_t keep = 0;
        for (size_t a = 0; !rc && a < na; a++) {
            int nw = 0;
            for (size_t i = 0; i < f.non_writer_count && !nw; i++)
                nw = !strcasecmp(f.non_writers[i], approvers[a]);
            if (!nw)
                approvers[keep++] = approvers[a];
        }
        json_t *files = json_array(), *nw = json_array(), *checks = json_array();
        for (size_t i = 0; !rc && i < f.file_count; i++) {
            json_array_append_new(files, explain_path(&f, &v, f.files[i].path, approvers, keep));
            if (f.files[i].previous_path)
                json_array_append_new(files, explain_path(&f, &v, f.files[i].previous_path,
                                                          approvers, keep));
        }
        free(approvers);
        for (size_t i = 0; i < f.non_writer_count; i++)
            json_array_append_new(nw, json_string(f.non_writers[i]));
        static const char *const cs[] = {"success", "pending", "failure"};
        for (size_t i = 0; i < f.check_count; i++)
            json_array_append_new(checks, json_pack("{s:s?, s:s, s:s?}", "name", f.checks[i].name,
                                                    "state", cs[f.checks[i].state], "detail",
                                                    f.checks[i].detail));
        json_object_set_new(o, "files", files ? files : json_array());
        json_object_set_new(o, "approvals_without_write", nw ? nw : json_array());
        json_object_set_new(o, "checks", checks ? checks : json_array());
        json_t *reasons = json_array();
        for (size_t i = 0; i < v.reason_count; i++)
            json_array_append_new(reasons, json_string(v.reasons[i]));
        json_object_set_new(o, "verdict", json_pack("{s:s, s:s?, s:o}", "kind",
                                                    lq_verdict_kind_str(v.kind), "summary",
                                                    v.summary, "reasons",
                                                    reasons ? reasons : json_array()));
    }
    lq_verdict_dispose(&v);
    facts_buf_dispose(&b);
    lq_pr_record_dispose(&rec);
    worker_free(w);
    if (rc) {
        json_decref(o);
        return rc;
    }
    *out = o;
    return LQ_OK;
}
