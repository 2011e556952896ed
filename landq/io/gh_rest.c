/* gh_rest.c -- the typed GitHub layer over REST (io/github.h client): paths and JSON decoding. */
#include "gh.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "isotime.h"
#include "str.h"

/* ---------------------------------------------------------------- helpers */

static const char *jstr(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static const char *jpath(const json_t *o, const char *a, const char *b)
{
    return json_string_value(json_object_get(json_object_get(o, a), b));
}

static void copy(char *dst, size_t cap, const char *s)
{
    snprintf(dst, cap, "%s", s ? s : "");
}

static const char *gh_message(const json_t *j)
{
    const char *m = jstr(j, "message");
    return m ? m : "";
}

/* GET returning the JSON of a 200 (*from_cache: answered 304). */
static int get1(lq_github *gh, json_t **out, int *from_cache, const char *path, lq_error *err)
{
    *out = NULL;
    lq_gh_response r;
    int rc = lq_github_request(gh, &r, "GET", path, NULL, err);
    if (!rc && r.status == 404)
        rc = lq_error_set(err, LQ_ENOTFOUND, "GET %s: not found", path);
    else if (!rc && (r.status != 200 || !r.json))
        rc = lq_error_set(err, LQ_ERROR, "GET %s: GitHub answered %ld %s", path, r.status,
                          gh_message(r.json));
    if (!rc) {
        *out = r.json;
        r.json = NULL;
        if (from_cache)
            *from_cache = r.from_cache;
    }
    lq_gh_response_dispose(&r);
    return rc;
}

/* GET every page (Link rel="next"); *all_cached: every page answered 304. */
static int get_pages(lq_github *gh, json_t **out, int *all_cached, const char *path,
                     const char *key, size_t max_items, lq_error *err)
{
    *out = NULL;
    json_t *all = json_array();
    char *next = lq_strdup(path);
    int rc = all && next ? LQ_OK : lq_error_set(err, LQ_ENOMEM, "out of memory");
    int pages = 0, cached = 1;
    while (!rc && next) {
        lq_gh_response r;
        rc = lq_github_request(gh, &r, "GET", next, NULL, err);
        if (!rc && r.status == 404)
            rc = lq_error_set(err, LQ_ENOTFOUND, "GET %s: not found", path);
        else if (!rc && r.status != 200)
            rc = lq_error_set(err, LQ_ERROR, "GET %s: GitHub answered %ld %s", path, r.status,
                              gh_message(r.json));
        if (!rc) {
            cached = cached && r.from_cache;
            json_t *arr = key ? json_object_get(r.json, key) : r.json;
            if (!json_is_array(arr))
                rc = lq_error_set(err, LQ_ERROR, "GET %s: expected a list%s%s", path,
                                  key ? " in " : "", key ? key : "");
            else if (json_array_extend(all, arr))
                rc = lq_error_set(err, LQ_ENOMEM, "out of memory");
        }
        free(next);
        next = NULL;
        if (!rc && r.next_url && ++pages < 1000 && (!max_items || json_array_size(all) < max_items))
            next = lq_strdup(r.next_url);
        lq_gh_response_dispose(&r);
    }
    free(next);
    if (rc) {
        json_decref(all);
        return rc;
    }
    *out = all;
    if (all_cached)
        *all_cached = cached;
    return LQ_OK;
}

/* A write: LQ_OK for a 2xx (*json: the body, may be NULL), LQ_ENOTFOUND for 404, else
 * LQ_ERROR / LQ_ETRANSIENT with the status in the message. */
static int write1(lq_github *gh, json_t **json, const char *method, const char *path,
                  const json_t *body, lq_error *err)
{
    if (json)
        *json = NULL;
    lq_gh_response r;
    int rc = lq_github_request(gh, &r, method, path, body, err);
    if (!rc && r.status == 404)
        rc = lq_error_set(err, LQ_ENOTFOUND, "%s %s: not found", method, path);
    else if (!rc && r.status >= 500)
        rc = lq_error_set(err, LQ_ETRANSIENT, "%s %s: GitHub answered %ld %s", method, path,
                          r.status, gh_message(r.json));
    else if (!rc && r.status / 100 != 2)
        rc = lq_error_set(err, LQ_ERROR, "%s %s: GitHub answered %ld %s", method, path,
                          r.status, gh_message(r.json));
    if (!rc && json) {
        *json = r.json;
        r.json = NULL;
    }
    lq_gh_response_dispose(&r);
    return rc;
}

/* Decodes GitHub's base64 (with newlines). *out owned by the caller, NUL-terminated. */
static int b64_decode(const char *in, char **out, size_t *len)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t n = strlen(in);
    char *o = malloc(n / 4 * 3 + 4);
    if (!o)
        return -1;
    size_t ol = 0;
    unsigned acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)in[i];
        if (c == '=')
            break;
        if (c == '\n' || c == '\r' || c == ' ' || c == '\t')
            continue;
        const char *p = c ? strchr(alphabet, c) : NULL;
        if (!p) {
            free(o);
            return -1;
        }
        acc = (acc << 6) | (unsigned)(p - alphabet);
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

static int is_hex_sha(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    return (n == 40 || n == 64) && strspn(s, "0123456789abcdef") == n;
}

/* ---------------------------------------------------------------- reads */

static int r_pull_get(void *ctx, lq_gh_pull *out, const char *repo, int number, lq_error *err)
{
    memset(out, 0, sizeof(*out));
    char path[512];
    snprintf(path, sizeof path, "/repos/%s/pulls/%d", repo, number);
    json_t *j = NULL;
    int cached = 0;
    int rc = get1(ctx, &j, &cached, path, err);
    if (rc)
        return rc;
    out->number = number;
    out->from_cache = cached;
    const char *state = jstr(j, "state");
    out->open = state && !strcmp(state, "open");
    out->merged = json_is_true(json_object_get(j, "merged"));
    out->draft = json_is_true(json_object_get(j, "draft"));
    json_t *m = json_object_get(j, "mergeable");
    out->mergeable = json_is_true(m) ? LQ_GH_MERGEABLE_YES
                     : json_is_false(m) ? LQ_GH_MERGEABLE_NO : LQ_GH_MERGEABLE_UNKNOWN;
    copy(out->mergeable_state, sizeof out->mergeable_state, jstr(j, "mergeable_state"));
    copy(out->author, sizeof out->author, jpath(j, "user", "login"));
    copy(out->head_sha, sizeof out->head_sha, jpath(j, "head", "sha"));
    copy(out->head_ref, sizeof out->head_ref, jpath(j, "head", "ref"));
    copy(out->head_repo, sizeof out->head_repo,
         jpath(json_object_get(j, "head"), "repo", "full_name"));
    copy(out->base_ref, sizeof out->base_ref, jpath(j, "base", "ref"));
    copy(out->base_sha, sizeof out->base_sha, jpath(j, "base", "sha"));
    copy(out->base_repo, sizeof out->base_repo,
         jpath(json_object_get(j, "base"), "repo", "full_name"));
    copy(out->merge_commit_sha, sizeof out->merge_commit_sha, jstr(j, "merge_commit_sha"));
    json_t *cf = json_object_get(j, "changed_files");
    out->changed_files = json_is_integer(cf) ? (long)json_integer_value(cf) : -1;
    out->title = lq_strdup(jstr(j, "title") ? jstr(j, "title") : "");
    out->body = lq_strdup(jstr(j, "body") ? jstr(j, "body") : "");
    const char *cu = jpath(json_object_get(j, "base"), "repo", "clone_url");
    out->base_clone_url = cu ? lq_strdup(cu) : NULL;
    json_t *labels = json_object_get(j, "labels");
    size_t nl = json_array_size(labels);
    out->labels = calloc(nl + 1, sizeof(*out->labels));
    int oom = !out->title || !out->body || (cu && !out->base_clone_url) || !out->labels;
    for (size_t i = 0; !oom && i < nl; i++) {
        json_t *l = json_array_get(labels, i);
        const char *name = json_is_string(l) ? json_string_value(l) : jstr(l, "name");
        if (!name)
            continue;
        if (!(out->labels[out->label_count] = lq_strdup(name)))
            oom = 1;
        else
            out->label_count++;
    }
    json_decref(j);
    if (oom) {
        lq_gh_pull_dispose(out);
        return lq_error_set(err, LQ_ENOMEM, "out of memory");
    }
    if (!out->head_sha[0] || !out->base_ref[0]) {
        lq_gh_pull_dispose(out);
        return lq_error_set(err, LQ_ERROR, "%s#%d: pull request without head or base", repo,
                            number);
    }
    return LQ_OK;
}

static int r_files_list(void *ctx, lq_gh_files *out, const char *repo, int number,
                        size_t max_items, lq_error *err)
{
    memset(out, 0, sizeof(*out));
    char path[512];
    snprintf(path, sizeof path, "/repos/%s/pulls/%d/files?per_page=100", repo, number);
    json_t *all = NULL;
    int rc = get_pages(ctx, &all, &out->from_cache, path, NULL, max_items, err);
    if (rc)
        return rc;
    size_t n = json_array_size(all);
    out->items = calloc(n + 1, sizeof(*out->items));
    for (size_t i = 0; out->items && i < n; i++) {
        json_t *x = json_array_get(all, i);
        const char *p = jstr(x, "filename"), *pp = jstr(x, "previous_filename");
        if (!p)
            continue;
        lq_gh_file *f = &out->items[out->count++];
        f->path = lq_strdup(p);
        f->previous_path = pp ? lq_strdup(pp) : NULL;
        if (!f->path || (pp && !f->previous_path)) {
            rc = LQ_ENOMEM;
            break;
        }
    }
    json_decref(all);
    if (!out->items || rc) {
        lq_gh_files_dispose(out);
        return lq_error_set(err, LQ_ENOMEM, "out of memory");
    }
    return LQ_OK;
}

static int r_reviews_list(void *ctx, lq_gh_reviews *out, const char *repo, int number,
                          lq_error *err)
{
    memset(out, 0, sizeof(*out));
    char path[512];
    snprintf(path, sizeof path, "/repos/%s/pulls/%d/reviews?per_page=100", repo, number);
    json_t *all = NULL;
    int rc = get_pages(ctx, &all, &out->from_cache, path, NULL, 0, err);
    if (rc)
        return rc;
    size_t n = json_array_size(all);
    out->items = calloc(n + 1, sizeof(*out->items));
    if (!out->items) {
        json_decref(all);
        return lq_error_set(err, LQ_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        json_t *x = json_array_get(all, i);
        lq_gh_review *r = &out->items[out->count++];
        r->id = (int64_t)json_integer_value(json_object_get(x, "id"));
        copy(r->login, sizeof r->login, jpath(x, "user", "login"));
        copy(r->state, sizeof r->state, jstr(x, "state"));
        copy(r->commit_id, sizeof r->commit_id, jstr(x, "commit_id"));
    }
    json_decref(all);
    return LQ_OK;
}

static int r_issue_events_list(void *ctx, lq_gh_issue_events *out, const char *repo,
                               int number, lq_error *err)
{
    memset(out, 0, sizeof(*out));
    char path[512];
    snprintf(path, sizeof path, "/repos/%s/issues/%d/events?per_page=100", repo, number);
    json_t *all = NULL;
    int rc = get_pages(ctx, &all, &out->from_cache, path, NULL, 10000, err);
    if (rc)
        return rc;
    size_t n = json_array_size(all);
    out->items = calloc(n + 1, sizeof(*out->items));
    for (size_t i = 0; out->items && i < n; i++) {
        json_t *x = json_array_get(all, i);
        lq_gh_issue_event *e = &out->items[out->count++];
        e->id = (int64_t)json_integer_value(json_object_get(x, "id"));
        copy(e->event, sizeof e->event, jstr(x, "event"));
        copy(e->actor, sizeof e->actor, jpath(x, "actor", "login"));
        const char *label = jpath(x, "label", "name");
        if (label && !(e->label = lq_strdup(label))) {
            rc = LQ_ENOMEM;
            break;
        }
        if (lq_isotime_parse(jstr(x, "created_at"), &e->created_ms))
            e->created_ms = 0;
    }
    json_decref(all);
    if (!out->items || rc) {
        lq_gh_issue_events_dispose(out);
        return lq_error_set(err, LQ_ENOMEM, "out of memory");
    }
    return LQ_OK;
}

static int r_branch_sha(void *ctx, char out[LQ_GH_SHA_MAX], const char *repo,
                        const char *branch, lq_error *err)
{
    out[0] = '\0';
    char *eb = lq_github_escape(branch, 1);
    if (!eb)
        return lq_error_set(err, LQ_ENOMEM, "out of memory");
    char path[1024];
    snprintf(path, sizeof path, "/repos/%s/git/ref/heads/%s", repo, eb);
    free(eb);
    json_t *j = NULL;
    int rc = get1(ctx, &j, NULL, path, err);
    if (rc)
        return rc;
    copy(out, LQ_GH_SHA_MAX, jpath(j, "object", "sha"));
    json_decref(j);
    return out[0] ? LQ_OK : lq_error_set(err, LQ_ERROR, "GET %s: no object.sha", path);
}

static int r_content_get(void *ctx, lq_gh_content *out, const char *repo, const char *file,
                         const char *ref, size_t max_bytes, lq_error *err)
{
    memset(out, 0, sizeof(*out));
    char *ef = lq_github_escape(file, 1), *er = lq_github_escape(ref, 0);
    char path[1024];
    if (ef && er)
        snprintf(path, sizeof path, "/repos/%s/contents/%s?ref=%s", repo, ef, er);
    free(ef);
    free(er);
    if (!ef || !er)
        return lq_error_set(err, LQ_ENOMEM, "out of memory");
    json_t *j = NULL, *blob = NULL;
    int rc = get1(ctx, &j, NULL, path, err);
    if (rc)
        return rc;
    json_int_t size = json_integer_value(json_object_get(j, "size"));
    const char *enc = jstr(j, "encoding");
    const char *content = jstr(j, "content");
    const char *bsha = jstr(j, "sha");
    out->size = (long long)size;
    copy(out->blob_sha, sizeof out->blob_sha, bsha);
    if (!json_is_array(j) && enc && !strcmp(enc, "none") && size > 0 &&
        (size_t)size < max_bytes && is_hex_sha(bsha)) {
        /* Over 1 MB the contents API answers without the content (encoding "none"); the git
         * blobs API returns it base64-encoded (up to 100 MB). */
        snprintf(path, sizeof path, "/repos/%s/git/blobs/%s", repo, bsha);
        int brc = get1(ctx, &blob, NULL, path, err);
        if (brc) {
            /* the contents API just named this blob: a 404 is replication lag, not "gone" */
            if (brc == LQ_ENOTFOUND)
                brc = lq_error_set(err, LQ_ETRANSIENT, "blob %.64s of %s not found (yet)",
                                   bsha, file);
            json_decref(j);
            return brc;
        }
        enc = jstr(blob, "encoding");
        content = jstr(blob, "content");
    }
    if (json_is_array(j) || (jstr(j, "type") && strcmp(jstr(j, "type"), "file"))) {
        out->kind = LQ_GH_CONTENT_NOT_FILE;
    } else if ((size_t)size >= max_bytes) {
        out->kind = LQ_GH_CONTENT_TOO_BIG;
    } else if (!enc || strcmp(enc, "base64") || !content) {
        out->kind = LQ_GH_CONTENT_UNREADABLE;
        snprintf(out->detail, sizeof out->detail, "the contents API did not return it (%lld "
                 "bytes, encoding %s)", (long long)size, enc ? enc : "none");
    } else if (b64_decode(content, &out->data, &out->len)) {
        out->kind = LQ_GH_CONTENT_UNREADABLE;
        snprintf(out->detail, sizeof out->detail, "its base64 content is malformed");
    } else {
        out->kind = LQ_GH_CONTENT_FILE;
    }
    json_decref(blob);
    json_decref(j);
    return LQ_OK;
}

static int r_permission_get(void *ctx, lq_gh_permission *out, const char *repo,
                            const char *login, lq_error *err)
{
    *out = LQ_GH_PERM_NONE;
    char *el = lq_github_escape(login, 0);
    if (!el)
        return lq_error_set(err, LQ_ENOMEM, "out of memory");
    char path[768];
    snprintf(path, sizeof path, "/repos/%s/collaborators/%s/permission", repo, el);
    free(el);
    json_t *j = NULL;
    int rc = get1(ctx, &j, NULL, path, err);
    if (rc == LQ_ENOTFOUND)
        return LQ_OK;
    if (rc)
        return rc;
    /* role_name tells maintain and triage apart; the legacy permission only admin/write/read */
    const char *perm = jstr(j, "permission"), *role = jstr(j, "role_name");
    static const struct {
        const char *name;
        lq_gh_permission level;
    } levels[] = {{"admin", LQ_GH_PERM_ADMIN}, {"maintain", LQ_GH_PERM_MAINTAIN},
                  {"write", LQ_GH_PERM_WRITE}, {"triage", LQ_GH_PERM_TRIAGE}};
    for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++) {
        if (role && !strcmp(role, levels[i].name) && levels[i].level > *out)
            *out = levels[i].level;
        if (perm && !strcmp(perm, levels[i].name) && levels[i].level > *out)
            *out = levels[i].level;
    }
    json_decref(j);
    return LQ_OK;
}

static int r_team_member(void *ctx, int *out, const char *org, const char *slug,
                         const char *login, lq_error *err)
{
    *out = 0;
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
    int rc = get1(ctx, &j, NULL, path, err);
    if (rc == LQ_ENOTFOUND)
        return LQ_OK;
    if (rc)
        return rc;
    const char *state = jstr(j, "state");
    *out = !state || !strcmp(state, "active"); /* pending invitations do not count */
    json_decref(j);
    return LQ_OK;
}

static int r_user_email(void *ctx, char **out, const char *login, lq_error *err)
{
    *out = NULL;
    char *el = lq_github_escape(login, 0);
    if (!el)
        return lq_error_set(err, LQ_ENOMEM, "out of memory");
    char path[512];
    snprintf(path, sizeof path, "/users/%s", el);
    free(el);
    json_t *j = NULL;
    int rc = get1(ctx, &j, NULL, path, err);
    if (rc == LQ_ENOTFOUND)
        return LQ_OK;
    if (rc)
        return rc;
    const char *email = jstr(j, "email");
    if (email && !(*out = lq_strdup(email)))
        rc = lq_error_set(err, LQ_ENOMEM, "out of memory");
    json_decref(j);
    return rc;
}

static int r_self_login(void *ctx, char out[LQ_GH_LOGIN_MAX], lq_error *err)
{
    out[0] = '\0';
    json_t *j = NULL;
    int rc = get1(ctx, &j, NULL, "/user", err);
    if (rc == LQ_ERROR) /* 403 for an App installation token: it has no user */
        rc = lq_error_set(err, LQ_ENOTFOUND, "GET /user: the token has no user account");
    if (rc)
        return rc;
    copy(out, LQ_GH_LOGIN_MAX, jstr(j, "login"));
    json_decref(j);
    return out[0] ? LQ_OK : lq_error_set(err, LQ_ENOTFOUND, "GET /user: no login");
}

static int checks_alloc(lq_gh_checks *out, size_t n, lq_error *err)
{
    out->items = calloc(n + 1, sizeof(*out->items));
    return out->items ? LQ_OK : lq_error_set(err, LQ_ENOMEM, "out of memory");
}

static int r_statuses_get(void *ctx, lq_gh_checks *out, const char *repo, const char *sha,
                          lq_error *err)
{
    memset(out, 0, sizeof(*out));
    char path[512];
    snprintf(path, sizeof path, "/repos/%s/commits/%s/status?per_page=100", repo, sha);
    json_t *j = NULL;
    int rc = get1(ctx, &j, &out->from_cache, path, err);
    if (rc)
        return rc;
    json_t *sts = json_object_get(j, "statuses");
    size_t n = json_array_size(sts);
    rc = checks_alloc(out, n, err);
    for (size_t i = 0; !rc && i < n; i++) {
        json_t *s = json_array_get(sts, i);
        lq_gh_check *c = &out->items[out->count++];
        const char *d = jstr(s, "description");
        c->name = lq_strdup(jstr(s, "context") ? jstr(s, "context") : "");
        c->description = d ? lq_strdup(d) : NULL;
        copy(c->state, sizeof c->state, jstr(s, "state"));
        if (!c->name || (d && !c->description))
            rc = lq_error_set(err, LQ_ENOMEM, "out of memory");
    }
    json_decref(j);
    if (rc)
        lq_gh_checks_dispose(out);
    return rc;
}

static int r_check_runs_list(void *ctx, lq_gh_checks *out, const char *repo, const char *sha,
                             lq_error *err)
{
    memset(out, 0, sizeof(*out));
    char path[512];
    snprintf(path, sizeof path, "/repos/%s/commits/%s/check-runs?per_page=100", repo, sha);
    json_t *all = NULL;
    int rc = get_pages(ctx, &all, &out->from_cache, path, "check_runs", 0, err);
    if (rc)
        return rc;
    size_t n = json_array_size(all);
    rc = checks_alloc(out, n, err);
    for (size_t i = 0; !rc && i < n; i++) {
        json_t *r = json_array_get(all, i);
        lq_gh_check *c = &out->items[out->count++];
        const char *concl = jstr(r, "conclusion");
        c->name = lq_strdup(jstr(r, "name") ? jstr(r, "name") : "");
        c->conclusion = concl ? lq_strdup(concl) : NULL;
        copy(c->state, sizeof c->state, jstr(r, "status"));
        if (!c->name || (concl && !c->conclusion))
            rc = lq_error_set(err, LQ_ENOMEM, "out of memory");
    }
    json_decref(all);
    if (rc)
        lq_gh_checks_dispose(out);
    return rc;
}

static int r_commit_get(void *ctx, lq_gh_commit *out, const char *repo, const char *sha,
                        lq_error *err)
{
    memset(out, 0, sizeof(*out));
    char path[512];
    snprintf(path, sizeof path, "/repos/%s/commits/%s", repo, sha);
    json_t *j = NULL;
    int rc = get1(ctx, &j, NULL, path, err);
    if (rc)
        return rc;
    copy(out->sha, sizeof out->sha, jstr(j, "sha"));
    copy(out->tree, sizeof out->tree, jpath(json_object_get(j, "commit"), "tree", "sha"));
    json_t *parents = json_object_get(j, "parents"), *files = json_object_get(j, "files");
    size_t np = json_array_size(parents), nf = json_array_size(files);
    out->parents = calloc(np + 1, sizeof(*out->parents));
    out->files = calloc(2 * nf + 1, sizeof(*out->files));
    if (!out->parents || !out->files)
        rc = lq_error_set(err, LQ_ENOMEM, "out of memory");
    for (size_t i = 0; !rc && i < np; i++)
        copy(out->parents[out->parent_count++], LQ_GH_SHA_MAX,
             jstr(json_array_get(parents, i), "sha"));
    for (size_t i = 0; !rc && i < nf; i++) {
        json_t *f = json_array_get(files, i);
        const char *names[] = {jstr(f, "filename"), jstr(f, "previous_filename")};
        for (size_t k = 0; !rc && k < 2; k++) {
            if (!names[k])
                continue;
            if (!(out->files[out->file_count] = lq_strdup(names[k])))
                rc = lq_error_set(err, LQ_ENOMEM, "out of memory");
            else
                out->file_count++;
        }
    }
    out->files_truncated = nf >= 3000;
    json_decref(j);
    if (rc)
        lq_gh_commit_dispose(out);
    return rc;
}

static int numbers_push(lq_gh_numbers *out, int n)
{
    int *items = realloc(out->items, (out->count + 1) * sizeof(*items));
    if (!items)
        return LQ_ENOMEM;
    out->items = items;
    out->items[out->count++] = n;
    return LQ_OK;
}

static int r_commit_pulls(void *ctx, lq_gh_numbers *out, const char *repo, const char *sha,
                          lq_error *err)
{
    memset(out, 0, sizeof(*out));
    char path[512];
    snprintf(path, sizeof path, "/repos/%s/commits/%s/pulls", repo, sha);
    json_t *list = NULL;
    int rc = get1(ctx, &list, NULL, path, err);
    if (rc)
        return rc;
    size_t i;
    json_t *p;
    /* the pull request whose merge commit this is goes first */
    json_array_foreach(list, i, p)
    {
        const char *mc = jstr(p, "merge_commit_sha");
        int n = (int)json_integer_value(json_object_get(p, "number"));
        if (!rc && n > 0 && mc && !strcmp(mc, sha))
            rc = numbers_push(out, n);
    }
    json_array_foreach(list, i, p)
    {
        const char *mc = jstr(p, "merge_commit_sha");
        int n = (int)json_integer_value(json_object_get(p, "number"));
        if (!rc && n > 0 && !(mc && !strcmp(mc, sha)))
            rc = numbers_push(out, n);
    }
    json_decref(list);
    if (rc) {
        lq_gh_numbers_dispose(out);
        return lq_error_set(err, LQ_ENOMEM, "out of memory");
    }
    return LQ_OK;
}

static int r_labeled_pulls(void *ctx, lq_gh_numbers *out, const char *repo, const char *label,
                           lq_error *err)
{
    memset(out, 0, sizeof(*out));
    char *el = lq_github_escape(label, 0);
    if (!el)
        return lq_error_set(err, LQ_ENOMEM, "out of memory");
    size_t n = strlen(repo) + strlen(el) + 80;
    char *next = malloc(n);
    if (next)
        snprintf(next, n, "/repos/%s/issues?labels=%s&state=open&per_page=100", repo, el);
    free(el);
    if (!next)
        return lq_error_set(err, LQ_ENOMEM, "out of memory");
    int rc = LQ_OK;
    for (int pages = 0; next && !rc && pages < 1000; pages++) {
        lq_gh_response r;
        rc = lq_github_request(ctx, &r, "GET", next, NULL, err);
        free(next);
        next = NULL;
        if (!rc && r.status != 200)
            rc = lq_error_set(err, LQ_ERROR, "%s: listing labeled pull requests: GitHub "
                              "answered %ld", repo, r.status);
        else if (!rc && !json_is_array(r.json))
            rc = lq_error_set(err, LQ_ERROR, "%s: listing labeled pull requests: not a list",
                              repo);
        if (!rc) {
            out->cached_pages += r.from_cache != 0;
            size_t i;
            json_t *it;
            json_array_foreach(r.json, i, it)
            {
                /* The issues API lists issues too; pull requests carry "pull_request". */
                if (!json_is_object(json_object_get(it, "pull_request")))
                    continue;
                json_int_t num = json_integer_value(json_object_get(it, "number"));
                if (num <= 0 || num > 0x7fffffff)
                    continue;
                if (numbers_push(out, (int)num)) {
                    rc = lq_error_set(err, LQ_ENOMEM, "out of memory");
                    break;
                }
            }
            if (!rc && r.next_url && !(next = lq_strdup(r.next_url)))
                rc = lq_error_set(err, LQ_ENOMEM, "out of memory");
        }
        lq_gh_response_dispose(&r);
    }
    free(next);
    if (rc)
        lq_gh_numbers_dispose(out);
    return rc;
}

static int comment_of(lq_gh_comment *out, const json_t *c)
{
    out->id = (int64_t)json_integer_value(json_object_get(c, "id"));
    copy(out->author, sizeof out->author, jpath(c, "user", "login"));
    out->body = lq_strdup(jstr(c, "body") ? jstr(c, "body") : "");
    return out->body ? LQ_OK : LQ_ENOMEM;
}

static int r_comments_list(void *ctx, lq_gh_comments *out, const char *repo, int number,
                           lq_error *err)
{
    memset(out, 0, sizeof(*out));
    char path[512];
    snprintf(path, sizeof path, "/repos/%s/issues/%d/comments?per_page=100", repo, number);
    json_t *all = NULL;
    int rc = get_pages(ctx, &all, NULL, path, NULL, 0, err);
    if (rc)
        return rc;
    size_t n = json_array_size(all);
    out->items = calloc(n + 1, sizeof(*out->items));
    rc = out->items ? LQ_OK : LQ_ENOMEM;
    for (size_t i = 0; !rc && i < n; i++)
        rc = comment_of(&out->items[out->count++], json_array_get(all, i));
    json_decref(all);
    if (rc) {
        lq_gh_comments_dispose(out);
        return lq_error_set(err, LQ_ENOMEM, "out of memory");
    }
    return LQ_OK;
}

/* ---------------------------------------------------------------- writes */

static int r_status_post(void *ctx, const char *repo, const char *sha, const char *state,
                         const char *description, const char *context, lq_error *err)
{
    json_t *body = json_pack("{s:s, s:s, s:s}", "state", state, "description", description,
                             "context", context);
    if (!body)
        return lq_error_set(err, LQ_ENOMEM, "out of memory");
    char path[512];
    snprintf(path, sizeof path, "/repos/%s/statuses/%s", repo, sha);
    int rc = write1(ctx, NULL, "POST", path, body, err);
    json_decref(body);
    return rc;
}

static int comment_write(void *ctx, lq_gh_comment *out, const char *method, const char *path,
                         const char *text, lq_error *err)
{
    memset(out, 0, sizeof(*out));
    json_t *body = json_pack("{s:s}", "body", text);
    if (!body)
        return lq_error_set(err, LQ_ENOMEM, "out of memory");
    json_t *j = NULL;
    int rc = write1(ctx, &j, method, path, body, err);
    json_decref(body);
    if (!rc && comment_of(out, j))
        rc = lq_error_set(err, LQ_ENOMEM, "out of memory");
    json_decref(j);
    return rc;
}

static int r_comment_create(void *ctx, lq_gh_comment *out, const char *repo, int number,
                            const char *text, lq_error *err)
{
    char path[512];
    snprintf(path, sizeof path, "/repos/%s/issues/%d/comments", repo, number);
    return comment_write(ctx, out, "POST", path, text, err);
}

static int r_comment_update(void *ctx, lq_gh_comment *out, const char *repo, int64_t id,
                            const char *text, lq_error *err)
{
    char path[512];
    snprintf(path, sizeof path, "/repos/%s/issues/comments/%lld", repo, (long long)id);
    return comment_write(ctx, out, "PATCH", path, text, err);
}

static int r_label_remove(void *ctx, const char *repo, int number, const char *label,
                          lq_error *err)
{
    char *el = lq_github_escape(label, 0);
    if (!el)
        return lq_error_set(err, LQ_ENOMEM, "out of memory");
    char path[768];
    snprintf(path, sizeof path, "/repos/%s/issues/%d/labels/%s", repo, number, el);
    free(el);
    int rc = write1(ctx, NULL, "DELETE", path, NULL, err);
    return rc == LQ_ENOTFOUND ? LQ_OK : rc;
}

static int r_merge(void *ctx, lq_gh_merge_result *out, const char *repo, int number,
                   const lq_gh_merge_req *req, lq_error *err)
{
    memset(out, 0, sizeof(*out));
    json_t *body = json_pack("{s:s, s:s, s:s, s:s}", "merge_method",
                             req->method ? req->method : "squash", "sha", req->sha,
                             "commit_title", req->title ? req->title : "", "commit_message",
                             req->message ? req->message : "");
    if (!body)
        return lq_error_set(err, LQ_ENOMEM, "out of memory");
    char path[512];
    snprintf(path, sizeof path, "/repos/%s/pulls/%d/merge", repo, number);
    lq_gh_response r;
    int rc = lq_github_request(ctx, &r, "PUT", path, body, err);
    json_decref(body);
    out->http = r.status;
    out->merged = r.status == 200 && json_is_true(json_object_get(r.json, "merged"));
    copy(out->sha, sizeof out->sha, jstr(r.json, "sha"));
    copy(out->message, sizeof out->message, jstr(r.json, "message"));
    lq_gh_response_dispose(&r);
    if (rc == LQ_ETRANSIENT)
        out->http = 0; /* no answer: the outcome is unknown */
    return rc;
}

static int r_deliveries_list(void *ctx, lq_gh_deliveries *out, const char *repo,
                             long long hook, size_t max_items, lq_error *err)
{
    memset(out, 0, sizeof(*out));
    char path[512];
    snprintf(path, sizeof path, "/repos/%s/hooks/%lld/deliveries?per_page=100", repo, hook);
    json_t *all = NULL;
    int rc = get_pages(ctx, &all, NULL, path, NULL, max_items, err);
    if (rc)
        return rc;
    size_t n = json_array_size(all);
    out->items = calloc(n + 1, sizeof(*out->items));
    if (!out->items) {
        json_decref(all);
        return lq_error_set(err, LQ_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        json_t *d = json_array_get(all, i);
        lq_gh_delivery *x = &out->items[out->count++];
        x->id = (int64_t)json_integer_value(json_object_get(d, "id"));
        copy(x->guid, sizeof x->guid, jstr(d, "guid"));
        x->status_code = (int)json_integer_value(json_object_get(d, "status_code"));
        if (lq_isotime_parse(jstr(d, "delivered_at"), &x->delivered_ms))
            x->delivered_ms = 0;
    }
    json_decref(all);
    return LQ_OK;
}

static int r_redeliver(void *ctx, const char *repo, long long hook, int64_t delivery_id,
                       lq_error *err)
{
    char path[512];
    snprintf(path, sizeof path, "/repos/%s/hooks/%lld/deliveries/%lld/attempts", repo, hook,
             (long long)delivery_id);
    return write1(ctx, NULL, "POST", path, NULL, err);
}

static void r_rate(void *ctx, lq_gh_rate *out)
{
    lq_github_rate(ctx, out);
}

static const lq_gh_ops rest_ops = {
    .version = LQ_GH_OPS_VERSION,
    .pull_get = r_pull_get,
    .files_list = r_files_list,
    .reviews_list = r_reviews_list,
    .issue_events_list = r_issue_events_list,
    .branch_sha = r_branch_sha,
    .content_get = r_content_get,
    .permission_get = r_permission_get,
    .team_member = r_team_member,
    .user_email = r_user_email,
    .self_login = r_self_login,
    .statuses_get = r_statuses_get,
    .check_runs_list = r_check_runs_list,
    .commit_get = r_commit_get,
    .commit_pulls = r_commit_pulls,
    .labeled_pulls = r_labeled_pulls,
    .comments_list = r_comments_list,
    .status_post = r_status_post,
    .comment_create = r_comment_create,
    .comment_update = r_comment_update,
    .label_remove = r_label_remove,
    .merge = r_merge,
    .deliveries_list = r_deliveries_list,
    .redeliver = r_redeliver,
    .rate = r_rate,
};

void lq_gh_rest_init(lq_gh *out, lq_github *client)
{
    out->ops = &rest_ops;
    out->ctx = client;
}
