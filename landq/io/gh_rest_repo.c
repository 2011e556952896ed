/* gh_rest_repo.c -- REST reads about a repository and its accounts: branch tips, file contents
 * (contents API, git blobs API over 1 MB), collaborator permissions, team membership, users,
 * commit statuses, check runs and commits. */
#include "gh.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gh_rest_int.h"
#include "str.h"

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

int lq_ghr_branch_sha(void *ctx, char out[LQ_GH_SHA_MAX], const char *repo,
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
    int rc = lq_ghr_get1(ctx, &j, NULL, path, err);
    if (rc)
        return rc;
    copy(out, LQ_GH_SHA_MAX, jpath(j, "object", "sha"));
    json_decref(j);
    return out[0] ? LQ_OK : lq_error_set(err, LQ_ERROR, "GET %s: no object.sha", path);
}

int lq_ghr_content_get(void *ctx, lq_gh_content *out, const char *repo, const char *file,
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
    int rc = lq_ghr_get1(ctx, &j, NULL, path, err);
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
        int brc = lq_ghr_get1(ctx, &blob, NULL, path, err);
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

int lq_ghr_permission_get(void *ctx, lq_gh_permission *out, const char *repo,
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
    int rc = lq_ghr_get1(ctx, &j, NULL, path, err);
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

int lq_ghr_team_member(void *ctx, int *out, const char *org, const char *slug,
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
    int rc = lq_ghr_get1(ctx, &j, NULL, path, err);
    if (rc == LQ_ENOTFOUND)
        return LQ_OK;
    if (rc)
        return rc;
    const char *state = jstr(j, "state");
    *out = !state || !strcmp(state, "active"); /* pending invitations do not count */
    json_decref(j);
    return LQ_OK;
}

int lq_ghr_user_email(void *ctx, char **out, const char *login, lq_error *err)
{
    *out = NULL;
    char *el = lq_github_escape(login, 0);
    if (!el)
        return lq_error_set(err, LQ_ENOMEM, "out of memory");
    char path[512];
    snprintf(path, sizeof path, "/users/%s", el);
    free(el);
    json_t *j = NULL;
    int rc = lq_ghr_get1(ctx, &j, NULL, path, err);
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

int lq_ghr_self_login(void *ctx, char out[LQ_GH_LOGIN_MAX], lq_error *err)
{
    out[0] = '\0';
    json_t *j = NULL;
    int rc = lq_ghr_get1(ctx, &j, NULL, "/user", err);
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

/* The latest status per context, from the list of statuses (newest first) rather than the
 * combined status: the combined status embeds the repository, whose push times change with
 * every landing, so it is never a 304 in a queue; the list is one while no status was added. */
int lq_ghr_statuses_get(void *ctx, lq_gh_checks *out, const char *repo, const char *sha,
                        lq_error *err)
{
    memset(out, 0, sizeof(*out));
    char path[512];
    snprintf(path, sizeof path, "/repos/%s/commits/%s/statuses?per_page=100", repo, sha);
    json_t *all = NULL;
    int rc = lq_ghr_get_pages(ctx, &all, &out->from_cache, path, NULL, 10000, err);
    if (rc)
        return rc;
    size_t n = json_array_size(all);
    rc = checks_alloc(out, n, err);
    for (size_t i = 0; !rc && i < n; i++) {
        json_t *s = json_array_get(all, i);
        const char *ctxname = jstr(s, "context") ? jstr(s, "context") : "";
        int older = 0; /* a newer status of this context came first */
        for (size_t k = 0; k < out->count && !older; k++)
            older = !strcmp(out->items[k].name, ctxname);
        if (older)
            continue;
        lq_gh_check *c = &out->items[out->count++];
        const char *d = jstr(s, "description");
        c->name = lq_strdup(ctxname);
        c->description = d ? lq_strdup(d) : NULL;
        copy(c->state, sizeof c->state, jstr(s, "state"));
        const char *u = jstr(s, "target_url");
        c->url = u ? lq_strdup(u) : NULL;
        c->id = (int64_t)json_integer_value(json_object_get(s, "id"));
        if (!c->name || (d && !c->description) || (u && !c->url))
            rc = lq_error_set(err, LQ_ENOMEM, "out of memory");
    }
    json_decref(all);
    if (rc)
        lq_gh_checks_dispose(out);
    return rc;
}

int lq_ghr_check_runs_list(void *ctx, lq_gh_checks *out, const char *repo, const char *sha,
                           lq_error *err)
{
    memset(out, 0, sizeof(*out));
    char path[512];
    snprintf(path, sizeof path, "/repos/%s/commits/%s/check-runs?per_page=100", repo, sha);
    json_t *all = NULL;
    int rc = lq_ghr_get_pages(ctx, &all, &out->from_cache, path, "check_runs", 0, err);
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
        const char *u = jstr(r, "html_url") ? jstr(r, "html_url") : jstr(r, "details_url");
        c->url = u ? lq_strdup(u) : NULL;
        json_t *output = json_object_get(r, "output");
        const char *os = jstr(output, "summary") ? jstr(output, "summary") : jstr(output, "title");
        c->description = os && *os ? lq_strdup(os) : NULL;
        c->id = (int64_t)json_integer_value(json_object_get(r, "id"));
        if (!c->name || (concl && !c->conclusion) || (u && !c->url) ||
            (os && *os && !c->description))
            rc = lq_error_set(err, LQ_ENOMEM, "out of memory");
    }
    json_decref(all);
    if (rc)
        lq_gh_checks_dispose(out);
    return rc;
}

int lq_ghr_commit_get(void *ctx, lq_gh_commit *out, const char *repo, const char *sha,
                      lq_error *err)
{
    memset(out, 0, sizeof(*out));
    char path[512];
    snprintf(path, sizeof path, "/repos/%s/commits/%s", repo, sha);
    json_t *j = NULL;
    int rc = lq_ghr_get1(ctx, &j, NULL, path, err);
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

