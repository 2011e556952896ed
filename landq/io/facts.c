/* facts.c -- gathering the facts of a landing decision from GitHub, with caches. */
#include "facts.h"

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "codeowners.h"
#include "feedback_text.h"
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
    char sha[LQ_GH_SHA_MAX];  /* base commit: the cache key is (repository, commit) */
    lq_codeowners *co;        /* NULL: no file, or error */
    char path[64];
    char blob[LQ_GH_SHA_MAX]; /* blob of the file ("" when none) */
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


/* ---------------------------------------------------------------- GitHub reads */

/* CODEOWNERS of repo at sha (cached per repository and commit). Returns the entry (e->co NULL
 * with e->error "" = no file), or NULL when it could not be read (err set). */
static co_entry *codeowners_at(const lq_facts_src *src, const char *repo, const char *sha,
                               lq_error *err)
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
        lq_gh_content c;
        int rc = lq_gh_content_get(src->gh, &c, repo, loc, sha, LQ_CODEOWNERS_MAX_BYTES, err);
        if (rc == LQ_ENOTFOUND)
            continue;
        if (rc)
            return NULL; /* transient or unexpected: try again later */
        snprintf(fresh.path, sizeof fresh.path, "%s", loc);
        snprintf(fresh.blob, sizeof fresh.blob, "%s", c.blob_sha);
        if (c.kind == LQ_GH_CONTENT_NOT_FILE) {
            snprintf(fresh.error, sizeof fresh.error, "%s is not a regular file", loc);
        } else if (c.kind == LQ_GH_CONTENT_TOO_BIG) {
            snprintf(fresh.error, sizeof fresh.error, "it is %lld bytes; GitHub does not load a "
                     "CODEOWNERS file of 3 MiB or more", c.size);
        } else if (c.kind == LQ_GH_CONTENT_UNREADABLE) {
            snprintf(fresh.error, sizeof fresh.error, "%s", c.detail);
        } else {
            lq_error perr = {0};
            if (lq_codeowners_parse(&fresh.co, c.data, c.len, &perr))
                snprintf(fresh.error, sizeof fresh.error, "%.250s", perr.msg);
            else if (lq_codeowners_error_count(fresh.co))
                LQ_WARN("facts", "msg=\"CODEOWNERS has errors; those lines are skipped\" "
                        "repo=%s sha=%s path=%s errors=%zu", repo, sha, loc,
                        lq_codeowners_error_count(fresh.co));
        }
        lq_gh_content_dispose(&c);
        break;
    }
    lq_codeowners_free(lru->co);
    *lru = fresh;
    lru->used_ms = lq_store_now_ms();
    return lru;
}

int lq_facts_codeowners(const lq_facts_src *src, const char *repo, const char *sha,
                        const lq_codeowners **out, lq_error *err)
{
    *out = NULL;
    co_entry *e = codeowners_at(src, repo, sha, err);
    if (!e)
        return err && err->code ? err->code : LQ_ERROR;
    *out = e->co;
    return LQ_OK;
}

int lq_facts_can_write(const lq_facts_src *src, const char *repo, const char *login, int fresh,
                       int *can, lq_error *err)
{
    char key[512];
    snprintf(key, sizeof key, "%s\n%s", repo, login);
    kv_entry *e = fresh ? NULL : kv_find(&src->cache->perms, key);
    if (e) {
        *can = e->value != NULL;
        return LQ_OK;
    }
    lq_gh_permission p = LQ_GH_PERM_NONE;
    int rc = lq_gh_permission_get(src->gh, &p, repo, login, err);
    if (rc)
        return rc;
    *can = p >= LQ_GH_PERM_WRITE;
    kv_put(&src->cache->perms, key, *can ? "1" : NULL, PERM_TTL_MS);
    return LQ_OK;
}

/* The cache's key for team membership ("org/slug\nlogin", lower case). */
static void team_key(char *key, size_t cap, const char *team, const char *login)
{
    snprintf(key, cap, "%s\n%s", team[0] == '@' ? team + 1 : team, login);
    for (char *c = key; *c; c++)
        if (*c >= 'A' && *c <= 'Z')
            *c = (char)(*c - 'A' + 'a');
}

static int team_has_member(const lq_facts_src *src, const char *team, const char *login,
                           int fresh, int *member, lq_error *err)
{
    /* team is "@org/slug" */
    const char *t = team[0] == '@' ? team + 1 : team;
    const char *slash = strchr(t, '/');
    *member = 0;
    if (!slash)
        return LQ_OK;
    char key[512];
    team_key(key, sizeof key, team, login);
    kv_entry *e = fresh ? NULL : kv_find(&src->cache->teams, key);
    if (e) {
        *member = e->value != NULL;
        return LQ_OK;
    }
    char org[128], slug[128];
    snprintf(org, sizeof org, "%.*s", (int)(slash - t), t);
    snprintf(slug, sizeof slug, "%s", slash + 1);
    int rc = lq_gh_team_member(src->gh, member, org, slug, login, err);
    if (rc)
        return rc;
    kv_put(&src->cache->teams, key, *member ? "1" : NULL, CACHE_TTL_MS);
    return LQ_OK;
}

/* login's public e-mail (borrowed from the cache; NULL when none). */
static int user_email(const lq_facts_src *src, const char *login, int fresh,
                      const char **email, lq_error *err)
{
    kv_entry *e = fresh ? NULL : kv_find(&src->cache->emails, login);
    if (e) {
        *email = e->value;
        return LQ_OK;
    }
    char *found = NULL;
    int rc = lq_gh_user_email(src->gh, &found, login, err);
    if (rc)
        return rc;
    kv_put(&src->cache->emails, login, found, CACHE_TTL_MS);
    free(found);
    e = kv_find(&src->cache->emails, login);
    *email = e ? e->value : NULL;
    return LQ_OK;
}

/* The latest `labeled` event of label in ev (login "" when none). */
static void label_from(const lq_gh_issue_events *ev, const char *label, char *login, size_t cap,
                       int64_t *at_ms, int64_t *event_id)
{
    login[0] = '\0';
    *at_ms = 0;
    if (event_id)
        *event_id = 0;
    for (size_t i = 0; i < ev->count; i++) {
        const lq_gh_issue_event *e = &ev->items[i];
        if (!strcmp(e->event, "labeled") && e->label && label && !strcasecmp(e->label, label) &&
            e->actor[0]) {
            snprintf(login, cap, "%s", e->actor);
            *at_ms = e->created_ms;
            if (event_id)
                *event_id = e->id;
        }
    }
}

int lq_facts_label_event(const lq_gh *gh, const char *repo, int number, const char *label,
                         char *login, size_t cap, int64_t *at_ms, int64_t *event_id,
                         lq_error *err)
{
    login[0] = '\0';
    *at_ms = 0;
    if (event_id)
        *event_id = 0;
    lq_gh_issue_events ev;
    int rc = lq_gh_issue_events_list(gh, &ev, repo, number, err);
    if (rc)
        return rc;
    label_from(&ev, label, login, cap, at_ms, event_id);
    lq_gh_issue_events_dispose(&ev);
    return LQ_OK;
}

/* Keeps the comments of ev that carry landq's marker (id and author) in b. */
static int marked_from(lq_facts *b, const lq_gh_issue_events *ev, lq_error *err)
{
    for (size_t i = 0; i < ev->count; i++) {
        const lq_gh_issue_event *e = &ev->items[i];
        if (strcmp(e->event, "commented") || !e->body || !strstr(e->body, LQ_FEEDBACK_MARKER))
            continue;
        lq_gh_comment *m = realloc(b->marked, (b->marked_count + 1) * sizeof(*m));
        if (!m)
            return lq_error_set(err, LQ_ENOMEM, "out of memory");
        b->marked = m;
        m[b->marked_count] = (lq_gh_comment){.id = e->id};
        snprintf(m[b->marked_count].author, sizeof m->author, "%s", e->actor);
        b->marked_count++;
    }
    b->timeline_read = 1;
    return LQ_OK;
}

/* ---------------------------------------------------------------- the facts */

void lq_facts_dispose(lq_facts *b)
{
    if (!b)
        return;
    lq_gh_pull_dispose(&b->pr);
    lq_gh_files_dispose(&b->files);
    lq_gh_reviews_dispose(&b->reviews);
    lq_gh_checks_dispose(&b->statuses);
    lq_gh_checks_dispose(&b->runs);
    free(b->marked);
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

/* Whether the cache (however it was filled) says login is affiliated with the team or e-mail
 * owner o: only an order hint, never an answer when the facts must be fresh. */
static int affiliation_hint(const lq_facts_src *src, const lq_owner *o, const char *login)
{
    if (o->kind == LQ_OWNER_TEAM) {
        char key[512];
        team_key(key, sizeof key, o->name, login);
        kv_entry *e = kv_find(&src->cache->teams, key);
        return e && e->value;
    }
    kv_entry *e = kv_find(&src->cache->emails, login);
    return e && e->value && lq_owner_equal(e->value, o->name);
}

/* Is login affiliated with the team or e-mail owner o? (one request at most) */
static int affiliated(const lq_facts_src *src, const lq_owner *o, const char *login, int fresh,
                      int *yes, lq_error *err)
{
    *yes = 0;
    if (o->kind == LQ_OWNER_TEAM)
        return team_has_member(src, o->name, login, fresh, yes, err);
    const char *email = NULL;
    int rc = user_email(src, login, fresh, &email, err);
    *yes = !rc && email && lq_owner_equal(email, o->name);
    return rc;
}

static int is_approver(const char *login, const char **approvers, size_t na)
{
    for (size_t a = 0; a < na; a++)
        if (!strcasecmp(login, approvers[a]))
            return 1;
    return 0;
}

/* Does an approver already satisfy one of m's owners (a user owner, or a known affiliation)? */
static int path_satisfied(const lq_facts *b, const lq_codeowners_match *m,
                          const char **approvers, size_t na)
{
    for (size_t k = 0; k < m->owner_count; k++) {
        const lq_owner *o = &m->owners[k];
        if (o->kind == LQ_OWNER_USER &&
            is_approver(o->name[0] == '@' ? o->name + 1 : o->name, approvers, na))
            return 1;
        for (size_t i = 0; o->kind != LQ_OWNER_USER && i < b->aff_count; i++)
            if (lq_owner_equal(b->affs[i].owner, o->name) &&
                is_approver(b->affs[i].login, approvers, na))
                return 1;
    }
    return 0;
}

typedef struct {
    const char *owner, *login;
} asked_pair;

/* Team memberships and e-mail matches of the approvers, for the owners of the changed paths.
 * all: every (owner, approver) pair (`landq explain` shows them all). Otherwise only as many as
 * the decision needs (issue 18: every one is a request, a 404 when not a member, which no ETag
 * makes free): none for a path an approver already satisfies, and approvers the cache calls
 * affiliated asked first. Each pair is asked once per evaluation. */
static int resolve_affiliations(const lq_facts_src *src, lq_facts *b, const lq_policy_facts *f,
                                int fresh, int all, lq_error *err)
{
    const char **approvers = NULL;
    size_t na = 0;
    int rc = lq_policy_approvers(&approvers, &na, f->reviews, f->review_count, f->author,
                                 f->head_sha, err);
    if (rc || !na || !f->owners) {
        free(approvers); /* approved, but no CODEOWNERS (absent or refused) */
        return rc;
    }
    asked_pair *asked = NULL;
    size_t nasked = 0;
    for (size_t i = 0; !rc && i < f->file_count * 2; i++) {
        const char *path = i % 2 ? f->files[i / 2].previous_path : f->files[i / 2].path;
        if (!path)
            continue;
        lq_codeowners_match m;
        lq_codeowners_match_path(f->owners, NULL, path, strlen(path), &m);
        int done = !all && path_satisfied(b, &m, approvers, na);
        for (int pass = 0; !rc && !done && pass < 2; pass++) { /* hinted pairs first */
            for (size_t k = 0; !rc && !done && k < m.owner_count; k++) {
                const lq_owner *o = &m.owners[k];
                if (o->kind != LQ_OWNER_TEAM && o->kind != LQ_OWNER_EMAIL)
                    continue;
                for (size_t a = 0; !rc && !done && a < na; a++) {
                    if (affiliation_hint(src, o, approvers[a]) != !pass)
                        continue;
                    int seen = 0;
                    for (size_t q = 0; q < nasked && !seen; q++)
                        seen = lq_owner_equal(asked[q].owner, o->name) &&
                               !strcasecmp(asked[q].login, approvers[a]);
                    if (seen)
                        continue;
                    asked_pair *np = realloc(asked, (nasked + 1) * sizeof(*np));
                    if (!np) {
                        rc = lq_error_set(err, LQ_ENOMEM, "out of memory");
                        break;
                    }
                    asked = np;
                    asked[nasked++] = (asked_pair){o->name, approvers[a]};
                    int yes = 0;
                    rc = affiliated(src, o, approvers[a], fresh, &yes, err);
                    if (!rc && yes && !(rc = add_aff(b, approvers[a], o->name)))
                        done = !all;
                }
            }
        }
    }
    free(asked);
    free(approvers);
    return rc;
}

/* Commit statuses (latest per context) then check runs (first = latest run of each name). */
static int collect_checks(lq_facts *b, lq_error *err)
{
    size_t ns = b->statuses.count, nrun = b->runs.count;
    b->checks = calloc(ns + nrun + 1, sizeof(*b->checks));
    if (!b->checks)
        return lq_error_set(err, LQ_ENOMEM, "out of memory");
    for (size_t i = 0; i < ns; i++) {
        const lq_gh_check *s = &b->statuses.items[i];
        b->checks[b->check_count++] = (lq_check){s->name, lq_check_state_from_status(s->state),
                                                 s->description};
    }
    for (size_t i = 0; i < nrun; i++) {
        const lq_gh_check *r = &b->runs.items[i];
        int dup = 0;
        for (size_t k = ns; k < b->check_count && !dup; k++)
            dup = !strcmp(b->checks[k].name, r->name);
        if (!dup)
            b->checks[b->check_count++] = (lq_check){
                r->name, lq_check_state_from_run(r->state, r->conclusion), r->conclusion};
    }
    return LQ_OK;
}

/* The priority label: present, who applied it last (issue events, never payloads), and
 * whether their permission reaches src->priority_min_rank. */
static int priority_of(lq_facts *b, const lq_facts_src *src, const lq_pr_record *rec,
                       lq_error *err)
{
    if (!src->priority_label || !lq_gh_pull_has_label(&b->pr, src->priority_label))
        return LQ_OK;
    b->has_priority_label = 1;
    int64_t at = 0;
    int rc = lq_facts_label_event(src->gh, rec->repo, rec->number, src->priority_label,
                                  b->priority_labeler, sizeof b->priority_labeler, &at, NULL, err);
    if (rc || !b->priority_labeler[0])
        return rc;
    lq_gh_permission p = LQ_GH_PERM_NONE;
    if ((rc = lq_gh_permission_get(src->gh, &p, rec->repo, b->priority_labeler, err)))
        return rc;
    static const char *const names[] = {"read", "triage", "write", "maintain", "admin"};
    snprintf(b->priority_permission, sizeof b->priority_permission, "%s",
             (unsigned)p < 5 ? names[p] : "read");
    b->priority = (int)p >= src->priority_min_rank;
    return LQ_OK;
}

int lq_facts_gather(lq_facts *b, const lq_facts_src *src, lq_pr_record *rec, unsigned flags,
                    lq_error *err)
{
    memset(b, 0, sizeof(*b));
    lq_policy_facts *f = &b->policy;
    int fresh = (flags & LQ_FACTS_FRESH) != 0;
    int rc = lq_gh_pull_get(src->gh, &b->pr, rec->repo, rec->number, err);
    if (rc)
        return rc;
    const lq_gh_pull *pr = &b->pr;
    f->repo = rec->repo;
    f->number = rec->number;
    f->author = pr->author[0] ? pr->author : NULL;
    f->head_sha = pr->head_sha;
    f->base_ref = pr->base_ref;
    f->open = pr->open;
    f->merged = pr->merged;
    f->draft = pr->draft;
    f->has_label = lq_gh_pull_has_label(pr, src->label);
    f->label = src->label;
    f->repo_configured = lq_facts_repo_served(src, pr->base_repo[0] ? pr->base_repo : rec->repo);
    f->self_context = src->context;
    f->required_checks = src->required;
    f->required_check_count = src->required_count;
    snprintf(rec->head_sha, sizeof rec->head_sha, "%s", f->head_sha);
    snprintf(rec->base, sizeof rec->base, "%s", f->base_ref);
    if ((!f->open || f->merged || !f->has_label || !f->repo_configured) &&
        !(flags & LQ_FACTS_ALL))
        return LQ_OK; /* the verdict is IGNORE: no need to read more */

    /* Labeler and permission: whoever applied the label last, from the issue events at every
     * evaluation (an unchanged list is a 304, free of rate limit), never from a payload. */
    {
        int64_t at = 0;
        lq_gh_issue_events ev;
        if ((rc = lq_gh_issue_events_list(src->gh, &ev, rec->repo, rec->number, err)))
            return rc;
        label_from(&ev, src->label, rec->labeler, sizeof rec->labeler, &at, &b->label_event_id);
        rc = marked_from(b, &ev, err);
        lq_gh_issue_events_dispose(&ev);
        if (rc)
            return rc;
        /* first seen without a labeled delivery (reconciliation, another event): the label's
         * own time orders the queue, not when landq noticed it */
        if (at > 0 && !rec->labeled_at_ms && rec->state != LQ_PR_MERGING)
            rec->labeled_at_ms = at;
    }
    if (rec->labeler[0]) {
        snprintf(b->labeler, sizeof b->labeler, "%s", rec->labeler);
        f->labeler = b->labeler;
        if ((rc = lq_facts_can_write(src, rec->repo, rec->labeler, fresh, &f->labeler_can_write,
                                     err)))
            return rc;
    }

    if ((rc = priority_of(b, src, rec, err)))
        return rc;

    /* CODEOWNERS from the head of the base branch (never from the pull request's head). */
    rc = lq_gh_branch_sha(src->gh, b->base_sha, rec->repo, f->base_ref, err);
    if (rc == LQ_ENOTFOUND || (!rc && !b->base_sha[0]))
        snprintf(b->base_sha, sizeof b->base_sha, "%s", pr->base_sha);
    else if (rc)
        return rc;
    co_entry *e = codeowners_at(src, rec->repo, b->base_sha, err);
    if (!e)
        return err ? err->code : LQ_ERROR;
    f->owners = e->co;
    f->codeowners_path = e->path[0] ? e->path : NULL;
    f->codeowners_error = e->error[0] ? e->error : NULL;
    snprintf(b->codeowners_blob, sizeof b->codeowners_blob, "%s", e->blob);

    /* Changed files (all pages). */
    if ((rc = lq_gh_files_list(src->gh, &b->files, rec->repo, rec->number, LQ_POLICY_MAX_FILES,
                               err)))
        return rc;
    size_t nf = b->files.count;
    b->files_arr = calloc(nf + 1, sizeof(*b->files_arr));
    if (!b->files_arr)
        return lq_error_set(err, LQ_ENOMEM, "out of memory");
    for (size_t i = 0; i < nf; i++)
        b->files_arr[i] = (lq_changed_file){b->files.items[i].path,
                                            b->files.items[i].previous_path};
    f->files = b->files_arr;
    f->file_count = nf;
    f->changed_files = pr->changed_files >= 0 ? (size_t)pr->changed_files : nf;

    /* Reviews (all pages, chronological). */
    if ((rc = lq_gh_reviews_list(src->gh, &b->reviews, rec->repo, rec->number, err)))
        return rc;
    size_t nr = b->reviews.count;
    b->reviews_arr = calloc(nr + 1, sizeof(*b->reviews_arr));
    if (!b->reviews_arr)
        return lq_error_set(err, LQ_ENOMEM, "out of memory");
    for (size_t i = 0; i < nr; i++) {
        const lq_gh_review *x = &b->reviews.items[i];
        b->reviews_arr[i] = (lq_review){x->login[0] ? x->login : NULL,
                                        lq_review_state_parse(x->state),
                                        x->commit_id[0] ? x->commit_id : NULL};
    }
    f->reviews = b->reviews_arr;
    f->review_count = nr;

    /* Checks on the head: commit statuses (latest per context) and check runs. */
    rc = lq_gh_statuses_get(src->gh, &b->statuses, rec->repo, f->head_sha, err);
    if (rc && rc != LQ_ENOTFOUND)
        return rc;
    rc = lq_gh_check_runs_list(src->gh, &b->runs, rec->repo, f->head_sha, err);
    if (rc && rc != LQ_ENOTFOUND)
        return rc;
    if ((rc = collect_checks(b, err)))
        return rc;
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
        rc = lq_facts_can_write(src, rec->repo, approvers[i], fresh, &can, err);
        if (!rc && !can)
            b->non_writers[b->non_writer_count++] = approvers[i];
    }
    free(approvers);
    if (rc)
        return rc;
    f->non_writers = b->non_writers;
    f->non_writer_count = b->non_writer_count;

    if ((rc = resolve_affiliations(src, b, f, fresh, (flags & LQ_FACTS_ALL) != 0, err)))
        return rc;
    f->affiliations = b->affs;
    f->affiliation_count = b->aff_count;
    return LQ_OK;
}
