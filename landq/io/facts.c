/* facts.c -- gathering the facts of a landing decision from GitHub, with caches. */
#include "facts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "codeowners.h"
#include "log.h"
#include "reconcile.h"
#include "str.h"

#define CACHE_TTL_MS (5 * 60 * 1000)
#define PERM_TTL_MS (60 * 1000)
#define CODEOWNERS_CACHE 32
#define KV_CACHE_MAX 2048

/* ---------------------------------------------------------------- caches */

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

struct lq_facts_cache {
    kv_cache teams;  /* "org/team\nlogin" -> "1" / NULL */
    kv_cache emails; /* login -> email / NULL */
    kv_cache perms;  /* "repo\nlogin" -> "1" / NULL */
    co_entry co[CODEOWNERS_CACHE];
};

int lq_facts_cache_new(lq_facts_cache **out, lq_error *err)
{
    *out = calloc(1, sizeof(**out));
    return *out ? LQ_OK : lq_error_set(err, LQ_ENOMEM, "out of memory");
}

static const char *jstr(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static const char *jpath(const json_t *o, const char *a, const char *b)
{
    return json_string_value(json_object_get(json_object_get(o, a), b));
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
            char *v = value ? lq_strdup(value) : NULL;
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
    e->key = lq_strdup(key);
    e->value = value ? lq_strdup(value) : NULL;
    e->expires_ms = exp;
    if (!e->key || (value && !e->value)) {
        free(e->key);
        free(e->value);
        return;
    }
    c->count++;
}


void lq_facts_cache_free(lq_facts_cache *c)
{
    if (!c)
        return;
    kv_clear(&c->teams);
    kv_clear(&c->emails);
    kv_clear(&c->perms);
    for (size_t i = 0; i < CODEOWNERS_CACHE; i++)
        lq_codeowners_free(c->co[i].co);
    free(c);
}

int lq_facts_repo_served(const lq_facts_src *src, const char *repo)
{
    for (size_t i = 0; repo && i < src->repo_count; i++)
        if (!strcasecmp(src->repos[i], repo))
            return 1;
    return 0;
}

int lq_facts_has_label(const char *label, const json_t *labels)
{
    size_t i;
    json_t *l;
    json_array_foreach(labels, i, l)
    {
        const char *n = json_is_string(l) ? json_string_value(l) : jstr(l, "name");
        if (n && label && !strcasecmp(n, label))
            return 1;
    }
    return 0;
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
static co_entry *codeowners_at(const lq_facts_src *src, const char *repo, const char *sha, lq_error *err)
{
    co_entry *lru = &src->cache->co[0];
    for (size_t i = 0; i < CODEOWNERS_CACHE; i++) {
        co_entry *e = &src->cache->co[i];
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
        int rc = lq_github_get_json(src->gh, &j, path, err);
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
            int brc = lq_github_get_json(src->gh, &blob, path, err);
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
                    LQ_WARN("facts", "msg=\"CODEOWNERS has errors; those lines are skipped\" "
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

int lq_facts_can_write(const lq_facts_src *src, const char *repo, const char *login, int *can,
                             lq_error *err)
{
    char key[512];
    snprintf(key, sizeof key, "%s\n%s", repo, login);
    kv_entry *e = kv_find(&src->cache->perms, key);
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
    int rc = lq_github_get_json(src->gh, &j, path, err);
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
    kv_put(&src->cache->perms, key, *can ? "1" : NULL, PERM_TTL_MS);
    return LQ_OK;
}

static int team_has_member(const lq_facts_src *src, const char *team, const char *login, int *member,
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
    kv_entry *e = kv_find(&src->cache->teams, key);
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
    int rc = lq_github_get_json(src->gh, &j, path, err);
    if (rc == LQ_ENOTFOUND) {
        *member = 0;
    } else if (rc) {
        return rc;
    } else {
        const char *state = jstr(j, "state");
        *member = !state || !strcmp(state, "active"); /* pending invitations do not count */
        json_decref(j);
    }
    kv_put(&src->cache->teams, key, *member ? "1" : NULL, CACHE_TTL_MS);
    return LQ_OK;
}

static int user_email(const lq_facts_src *src, const char *login, const char **email, lq_error *err)
{
    kv_entry *e = kv_find(&src->cache->emails, login);
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
    int rc = lq_github_get_json(src->gh, &j, path, err);
    if (rc && rc != LQ_ENOTFOUND)
        return rc;
    kv_put(&src->cache->emails, login, j ? jstr(j, "email") : NULL, CACHE_TTL_MS);
    json_decref(j);
    e = kv_find(&src->cache->emails, login);
    *email = e ? e->value : NULL;
    return LQ_OK;
}

/* ---------------------------------------------------------------- evaluation */
/* ---------------------------------------------------------------- the facts */

void lq_facts_dispose(lq_facts *b)
{
    if (!b)
        return;
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

static int add_aff(lq_facts *b, const char *login, const char *owner)
{
    for (size_t i = 0; i < b->aff_count; i++)
        if (!strcasecmp(b->affs[i].login, login) && lq_owner_equal(b->affs[i].owner, owner))
            return LQ_OK;
    char *o = lq_strdup(owner);
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
static int resolve_affiliations(const lq_facts_src *src, lq_facts *b, const lq_policy_facts *f,
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
                    rc = team_has_member(src, o->name, approvers[a], &member, err);
                    if (!rc && member)
                        rc = add_aff(b, approvers[a], o->name);
                } else if (o->kind == LQ_OWNER_EMAIL) {
                    const char *email = NULL;
                    rc = user_email(src, approvers[a], &email, err);
                    if (!rc && email && lq_owner_equal(email, o->name))
                        rc = add_aff(b, approvers[a], o->name);
                }
            }
        }
    }
    free(approvers);
    return rc;
}

int lq_facts_gather(lq_facts *b, const lq_facts_src *src, lq_pr_record *rec,
                    lq_facts_depth depth, lq_error *err)
{
    memset(b, 0, sizeof(*b));
    lq_policy_facts *f = &b->policy;
    char path[1024];
    snprintf(path, sizeof path, "/repos/%s/pulls/%d", rec->repo, rec->number);
    int rc = lq_github_get_json(src->gh, &b->pr, path, err);
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
    f->has_label = lq_facts_has_label(src->label, json_object_get(pr, "labels"));
    f->label = src->label;
    const char *base_repo = json_string_value(
        json_object_get(json_object_get(json_object_get(pr, "base"), "repo"), "full_name"));
    f->repo_configured = lq_facts_repo_served(src, base_repo ? base_repo : rec->repo);
    f->self_context = src->context;
    f->required_checks = src->required;
    f->required_check_count = src->required_count;
    if (!f->head_sha || !f->base_ref)
        return lq_error_set(err, LQ_ERROR, "%s#%d: pull request without head or base",
                            rec->repo, rec->number);
    snprintf(rec->head_sha, sizeof rec->head_sha, "%s", f->head_sha);
    snprintf(rec->base, sizeof rec->base, "%s", f->base_ref);
    if ((!f->open || f->merged || !f->has_label || !f->repo_configured) && depth != LQ_FACTS_ALL)
        return LQ_OK; /* the verdict is IGNORE: no need to read more */

    /* Labeler and permission. */
    if (!rec->labeler[0]) {
        /* first seen without a labeled event (reconciliation, another event): the label's own
         * time orders the queue, not when landq noticed it */
        int64_t at = 0;
        if ((rc = lq_reconcile_label_event(src->gh, rec->repo, rec->number, src->label, rec->labeler,
                                           sizeof rec->labeler, &at, err)))
            return rc;
        if (at > 0 && rec->state != LQ_PR_MERGING)
            rec->labeled_at_ms = at;
    }
    if (rec->labeler[0]) {
        snprintf(b->labeler, sizeof b->labeler, "%s", rec->labeler);
        f->labeler = b->labeler;
        if ((rc = lq_facts_can_write(src, rec->repo, rec->labeler, &f->labeler_can_write, err)))
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
    rc = lq_github_get_json(src->gh, &ref, path, err);
    char base_head[64];
    const char *rs = ref ? jpath(ref, "object", "sha") : NULL;
    snprintf(base_head, sizeof base_head, "%s", rs ? rs : base_sha ? base_sha : "");
    json_decref(ref);
    if (rc && rc != LQ_ENOTFOUND)
        return rc;
    co_entry *e = codeowners_at(src, rec->repo, base_head, err);
    if (!e)
        return err ? err->code : LQ_ERROR;
    f->owners = e->co;
    f->codeowners_path = e->path[0] ? e->path : NULL;
    f->codeowners_error = e->error[0] ? e->error : NULL;

    /* Changed files (all pages). */
    snprintf(path, sizeof path, "/repos/%s/pulls/%d/files?per_page=100", rec->repo, rec->number);
    if ((rc = lq_github_get_all(src->gh, &b->files, path, NULL, 3000, err)))
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
    if ((rc = lq_github_get_all(src->gh, &b->reviews, path, NULL, 0, err)))
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
    rc = lq_github_get_json(src->gh, &b->status, path, err);
    if (rc && rc != LQ_ENOTFOUND)
        return rc;
    snprintf(path, sizeof path, "/repos/%s/commits/%s/check-runs?per_page=100", rec->repo,
             f->head_sha);
    rc = lq_github_get_all(src->gh, &b->runs, path, "check_runs", 0, err);
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
        rc = lq_facts_can_write(src, rec->repo, approvers[i], &can, err);
        if (!rc && !can)
            b->non_writers[b->non_writer_count++] = approvers[i];
    }
    free(approvers);
    if (rc)
        return rc;
    f->non_writers = b->non_writers;
    f->non_writer_count = b->non_writer_count;

    if ((rc = resolve_affiliations(src, b, f, err)))
        return rc;
    f->affiliations = b->affs;
    f->affiliation_count = b->aff_count;
    return LQ_OK;
}

