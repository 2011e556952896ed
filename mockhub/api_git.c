/* api_git.c -- the git side of the REST API bots use beyond refs and contents: list commits (sha,
 * path, author, since, until), the git database (blobs, trees, commits: read and create), and
 * the text media types (application/vnd.github.diff / .patch) of pull requests, commits and
 * comparisons. Everything is real git (libgit2), under the state lock. */
#include "api.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define B (g_mh->base_url)

/* ---- text media types ---- */

/* "diff" or "patch" when the Accept header asks for application/vnd.github[.v3].diff|patch. */
const char *mh_text_media(const mh_ctx *c)
{
    const char *a = c->accept;
    if (!a)
        return NULL;
    if (strstr(a, "vnd.github.diff") || strstr(a, "vnd.github.v3.diff"))
        return "diff";
    if (strstr(a, "vnd.github.patch") || strstr(a, "vnd.github.v3.patch"))
        return "patch";
    return NULL;
}

static void text_answer(mh_ctx *c, const char *kind, git_buf *buf)
{
    c->status = 200;
    json_decref(c->resp);
    c->resp = NULL;
    c->raw_resp = malloc(buf->size + 1);
    memcpy(c->raw_resp, buf->ptr ? buf->ptr : "", buf->size);
    c->raw_resp[buf->size] = '\0';
    c->raw_len = buf->size;
    c->content_type = !strcmp(kind, "diff") ? "application/vnd.github.diff; charset=utf-8"
                                            : "application/vnd.github.patch; charset=utf-8";
    mh_set_header(c, "X-GitHub-Media-Type", !strcmp(kind, "diff") ? "github.v3; param=diff" : "github.v3; param=patch");
}

static int diff_text(git_diff *diff, git_buf *out)
{
    return git_diff_to_buf(out, diff, GIT_DIFF_FORMAT_PATCH);
}

/* format-patch of the commits from..to (first-parent order, oldest first; merges skipped, as
 * `git format-patch` does), numbered [PATCH i/n] when there are several. */
static int patch_series(mh_repo *r, const git_oid *from, const git_oid *to, git_buf *out)
{
    git_revwalk *w = NULL;
    if (git_revwalk_new(&w, r->git) < 0)
        return -1;
    git_revwalk_sorting(w, GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE);
    git_revwalk_push(w, to);
    if (from)
        git_revwalk_hide(w, from);
    git_oid ids[250], o;
    size_t n = 0;
    while (git_revwalk_next(&o, w) == 0 && n < 250) {
        git_commit *cm = NULL;
        if (git_commit_lookup(&cm, r->git, &o) == 0 && git_commit_parentcount(cm) <= 1)
            ids[n++] = o;
        git_commit_free(cm);
    }
    git_revwalk_free(w);
    mh_buf all;
    mh_buf_init(&all);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        git_commit *cm = NULL;
        git_email_create_options eo;
        memset(&eo, 0, sizeof eo); /* GIT_EMAIL_CREATE_OPTIONS_INIT, spelled out (-Wmissing-field-initializers) */
        eo.version = GIT_EMAIL_CREATE_OPTIONS_VERSION;
        git_diff_options_init(&eo.diff_opts, GIT_DIFF_OPTIONS_VERSION);
        eo.diff_opts.flags = GIT_DIFF_SHOW_BINARY;
        git_diff_find_options_init(&eo.diff_find_opts, GIT_DIFF_FIND_OPTIONS_VERSION);
        eo.flags = n > 1 ? GIT_EMAIL_CREATE_ALWAYS_NUMBER : GIT_EMAIL_CREATE_DEFAULT;
        eo.start_number = i + 1;
        git_buf one = GIT_BUF_INIT;
        git_commit *parent = NULL;
        git_tree *t1 = NULL, *t2 = NULL;
        git_diff *diff = NULL;
        rc = git_commit_lookup(&cm, r->git, &ids[i]);
        if (rc == 0 && git_commit_parentcount(cm) == 1 && git_commit_parent(&parent, cm, 0) == 0)
            git_commit_tree(&t1, parent);
        if (rc == 0)
            rc = git_commit_tree(&t2, cm);
        if (rc == 0)
            rc = git_diff_tree_to_tree(&diff, r->git, t1, t2, &eo.diff_opts);
        if (rc == 0) {
            const char *msg = git_commit_message(cm), *nl = strchr(msg, '\n');
            char *summary = nl ? strndup(msg, (size_t)(nl - msg)) : strdup(msg);
            const char *body = git_commit_body(cm);
            rc = git_email_create_from_diff(&one, diff, i + 1, n, &ids[i], summary, body, git_commit_author(cm), &eo);
            free(summary);
        }
        if (rc == 0)
            mh_buf_put(&all, one.ptr, one.size);
        git_buf_dispose(&one);
        git_diff_free(diff);
        git_tree_free(t1);
        git_tree_free(t2);
        git_commit_free(parent);
        git_commit_free(cm);
    }
    if (rc == 0) {
        git_buf_dispose(out);
        git_buf_set(out, all.ptr ? all.ptr : "", all.len);
    }
    mh_buf_dispose(&all);
    return rc;
}

int mh_pull_text(mh_ctx *c, mh_pull *p, const char *kind)
{
    git_buf buf = GIT_BUF_INIT;
    int rc = -1;
    if (!strcmp(kind, "diff")) {
        git_diff *diff = mh_git_pull_diff(c->repo, p);
        rc = diff ? diff_text(diff, &buf) : -1;
        git_diff_free(diff);
    } else {
        git_oid head, base, mb;
        if (git_oid_fromstr(&head, p->head_sha) == 0 &&
            (mh_git_branch_tip(c->repo, p->base_ref, &base) == 0 || git_oid_fromstr(&base, p->base_sha) == 0) &&
            git_merge_base(&mb, c->repo->git, &base, &head) == 0)
            rc = patch_series(c->repo, &mb, &head, &buf);
    }
    if (rc < 0)
        mh_error(c, 500, "cannot render the diff");
    else
        text_answer(c, kind, &buf);
    git_buf_dispose(&buf);
    return 0;
}

int mh_commit_text(mh_ctx *c, const git_oid *oid, const char *kind)
{
    git_commit *cm = NULL, *parent = NULL;
    git_tree *t1 = NULL, *t2 = NULL;
    git_diff *diff = NULL;
    git_buf buf = GIT_BUF_INIT;
    int rc = git_commit_lookup(&cm, c->repo->git, oid);
    if (rc == 0 && !strcmp(kind, "patch")) {
        const git_oid *pid = git_commit_parentcount(cm) ? git_commit_parent_id(cm, 0) : NULL;
        rc = patch_series(c->repo, pid, oid, &buf);
    } else if (rc == 0) {
        if (git_commit_parentcount(cm) > 0 && git_commit_parent(&parent, cm, 0) == 0)
            git_commit_tree(&t1, parent);
        rc = git_commit_tree(&t2, cm);
        if (rc == 0)
            rc = git_diff_tree_to_tree(&diff, c->repo->git, t1, t2, NULL);
        if (rc == 0)
            rc = diff_text(diff, &buf);
    }
    if (rc < 0)
        mh_error(c, 404, "Not Found");
    else
        text_answer(c, kind, &buf);
    git_buf_dispose(&buf);
    git_diff_free(diff);
    git_tree_free(t1);
    git_tree_free(t2);
    git_commit_free(parent);
    git_commit_free(cm);
    return 0;
}

int mh_compare_text(mh_ctx *c, const git_oid *base, const git_oid *head, const char *kind)
{
    git_oid mb;
    git_buf buf = GIT_BUF_INIT;
    int rc = git_merge_base(&mb, c->repo->git, base, head);
    if (rc == 0 && !strcmp(kind, "patch")) {
        rc = patch_series(c->repo, &mb, head, &buf);
    } else if (rc == 0) {
        git_commit *a = NULL, *b = NULL;
        git_tree *t1 = NULL, *t2 = NULL;
        git_diff *diff = NULL;
        rc = git_commit_lookup(&a, c->repo->git, &mb) || git_commit_lookup(&b, c->repo->git, head) ||
             git_commit_tree(&t1, a) || git_commit_tree(&t2, b) ||
             git_diff_tree_to_tree(&diff, c->repo->git, t1, t2, NULL) || diff_text(diff, &buf);
        git_diff_free(diff);
        git_tree_free(t1);
        git_tree_free(t2);
        git_commit_free(a);
        git_commit_free(b);
    }
    if (rc != 0)
        mh_error(c, 404, "Not Found");
    else
        text_answer(c, kind, &buf);
    git_buf_dispose(&buf);
    return 0;
}

/* ---- list commits ---- */

/* Does commit c change `path` (a file or a directory) relative to its first parent? */
static int touches(mh_repo *r, git_commit *c, const char *path)
{
    git_tree *t = NULL, *pt = NULL;
    git_commit *p = NULL;
    git_tree_entry *e1 = NULL, *e2 = NULL;
    int changed = 0;
    if (git_commit_tree(&t, c) < 0)
        return 0;
    git_tree_entry_bypath(&e1, t, path);
    if (git_commit_parentcount(c) > 0 && git_commit_parent(&p, c, 0) == 0 && git_commit_tree(&pt, p) == 0)
        git_tree_entry_bypath(&e2, pt, path);
    if (!e1 != !e2)
        changed = 1;
    else if (e1 && e2)
        changed = !git_oid_equal(git_tree_entry_id(e1), git_tree_entry_id(e2));
    git_tree_entry_free(e1);
    git_tree_entry_free(e2);
    git_tree_free(t);
    git_tree_free(pt);
    git_commit_free(p);
    (void)r;
    return changed;
}

static int person_matches(const git_signature *s, const char *who)
{
    if (mh_streq_ci(s->email, who))
        return 1;
    mh_user *u = mh_user_by_login(who);
    if (!u)
        return 0;
    char nr[300];
    snprintf(nr, sizeof nr, "%lld+%s@users.noreply.github.com", (long long)u->id, u->login);
    return (u->email && mh_streq_ci(u->email, s->email)) || mh_streq_ci(nr, s->email);
}

/* GET /repos/{o}/{r}/commits?sha=&path=&author=&committer=&since=&until= (newest first). */
int h_commits_list(mh_ctx *c)
{
    if (mh_need_repo(c, 1) < 0)
        return 0;
    const char *sha = mh_q(c, "sha") && *mh_q(c, "sha") ? mh_q(c, "sha") : c->repo->default_branch;
    const char *path = mh_q(c, "path"), *author = mh_q(c, "author"), *committer = mh_q(c, "committer");
    const char *since = mh_q(c, "since"), *until = mh_q(c, "until");
    time_t since_t = 0, until_t = 0;
    if ((since && mh_time_parse_iso(since, &since_t) < 0) || (until && mh_time_parse_iso(until, &until_t) < 0)) {
        mh_error(c, 400, since && mh_time_parse_iso(since, &since_t) < 0 ? "Invalid value for since" : "Invalid value for until");
        return 0;
    }
    git_oid start;
    if (mh_git_resolve(c->repo, sha, &start) < 0) {
        char m[300];
        snprintf(m, sizeof m, "No commit found for SHA: %.200s", sha);
        mh_error(c, 404, m);
        return 0;
    }
    char pathbuf[4096];
    if (path) { /* "dir/" and "/dir" name the same directory */
        snprintf(pathbuf, sizeof pathbuf, "%s", path + (path[0] == '/'));
        size_t n = strlen(pathbuf);
        while (n > 0 && pathbuf[n - 1] == '/')
            pathbuf[--n] = '\0';
        path = *pathbuf ? pathbuf : NULL;
    }
    git_revwalk *w = NULL;
    json_t *arr = json_array();
    if (git_revwalk_new(&w, c->repo->git) == 0) {
        git_revwalk_sorting(w, GIT_SORT_TIME);
        git_revwalk_push(w, &start);
        git_oid o;
        for (int seen = 0; git_revwalk_next(&o, w) == 0 && seen < 50000; seen++) {
            git_commit *cm = NULL;
            if (git_commit_lookup(&cm, c->repo->git, &o) < 0)
                continue;
            time_t when = (time_t)git_commit_committer(cm)->when.time;
            int keep = (!since_t || when >= since_t) && (!until_t || when <= until_t) &&
                       (!author || person_matches(git_commit_author(cm), author)) &&
                       (!committer || person_matches(git_commit_committer(cm), committer)) &&
                       (!path || touches(c->repo, cm, path));
            git_commit_free(cm);
            if (keep) {
                json_t *rc = mh_render_commit(c->repo, &o, 0);
                if (rc)
                    json_array_append_new(arr, rc);
            }
        }
        git_revwalk_free(w);
    }
    mh_paginate(c, arr);
    return 0;
}

/* ---- git database ---- */

static int parse_sha(const char *s, git_oid *out)
{
    if (!s || strlen(s) != 40)
        return -1;
    for (const char *p = s; *p; p++)
        if (!isxdigit((unsigned char)*p))
            return -1;
    return git_oid_fromstr(out, s);
}

static json_t *git_person(const git_signature *s)
{
    char when[32];
    mh_time_iso(when, (time_t)s->when.time);
    return json_pack("{s:s, s:s, s:s}", "name", s->name, "email", s->email, "date", when);
}

static json_t *mh_render_git_commit(mh_repo *r, git_commit *cm)
{
    char sha[41], tsha[41], url[1024], html[1024], turl[1024];
    git_oid_tostr(sha, sizeof sha, git_commit_id(cm));
    git_oid_tostr(tsha, sizeof tsha, git_commit_tree_id(cm));
    snprintf(url, sizeof url, "%s/repos/%s/git/commits/%s", B, r->full_name, sha);
    snprintf(html, sizeof html, "%s/%s/commit/%s", B, r->full_name, sha);
    snprintf(turl, sizeof turl, "%s/repos/%s/git/trees/%s", B, r->full_name, tsha);
    json_t *parents = json_array();
    for (unsigned i = 0; i < git_commit_parentcount(cm); i++) {
        char ps[41], pu[1024], ph[1024];
        git_oid_tostr(ps, sizeof ps, git_commit_parent_id(cm, i));
        snprintf(pu, sizeof pu, "%s/repos/%s/git/commits/%s", B, r->full_name, ps);
        snprintf(ph, sizeof ph, "%s/%s/commit/%s", B, r->full_name, ps);
        json_array_append_new(parents, json_pack("{s:s, s:s, s:s}", "sha", ps, "url", pu, "html_url", ph));
    }
    return json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:s, s:{s:s, s:s}, s:o, s:{s:b, s:s, s:n, s:n, s:n}}", "sha", sha,
                     "node_id", "C_mockhub", "url", url, "html_url", html, "author", git_person(git_commit_author(cm)),
                     "committer", git_person(git_commit_committer(cm)), "message", git_commit_message(cm), "tree",
                     "sha", tsha, "url", turl, "parents", parents, "verification", "verified", 0, "reason", "unsigned",
                     "signature", "payload", "verified_at");
}

int h_git_commit_get(mh_ctx *c)
{
    if (mh_need_repo(c, 1) < 0)
        return 0;
    git_oid oid;
    git_commit *cm = NULL;
    if (parse_sha(mh_p(c, "commit_sha"), &oid) < 0 || git_commit_lookup(&cm, c->repo->git, &oid) < 0) {
        mh_error(c, 404, "Not Found");
        return 0;
    }
    c->resp = mh_render_git_commit(c->repo, cm);
    git_commit_free(cm);
    return 0;
}

int h_git_blob_create(mh_ctx *c)
{
    if (mh_need_repo(c, 3) < 0 || need_object(c) < 0)
        return 0;
    json_t *content = json_object_get(c->body, "content"), *enc = json_object_get(c->body, "encoding");
    const char *e = enc ? json_string_value(enc) : "utf-8";
    if (!json_is_string(content)) {
        mh_invalid(c, "Blob", "content", content ? "invalid" : "missing_field", NULL);
        return 0;
    }
    if (!e || (strcmp(e, "utf-8") && strcmp(e, "utf8") && strcmp(e, "base64"))) {
        mh_invalid(c, "Blob", "encoding", "invalid", "encoding must be utf-8 or base64");
        return 0;
    }
    unsigned char *raw = NULL;
    size_t n = json_string_length(content);
    if (!strcmp(e, "base64")) {
        raw = mh_base64_decode(json_string_value(content), &n);
        if (!raw) {
            mh_invalid(c, "Blob", "content", "invalid", "content is not valid Base64");
            return 0;
        }
    }
    git_oid oid;
    int rc = git_blob_create_from_buffer(&oid, c->repo->git, raw ? (const char *)raw : json_string_value(content), n);
    free(raw);
    if (rc < 0) {
        mh_error(c, 500, "cannot write the blob");
        return 0;
    }
    char sha[41], url[1024];
    git_oid_tostr(sha, sizeof sha, &oid);
    snprintf(url, sizeof url, "%s/repos/%s/git/blobs/%s", B, c->repo->full_name, sha);
    c->status = 201;
    c->resp = json_pack("{s:s, s:s}", "url", url, "sha", sha);
    mh_set_header(c, "Location", url);
    return 0;
}

static const char *mode_str(git_filemode_t m, char buf[8])
{
    snprintf(buf, 8, "%06o", (unsigned)m);
    return buf;
}

/* Appends tree entries (recursive: every level, as GitHub's ?recursive=1). */
static void tree_entries(mh_repo *r, git_tree *t, const char *prefix, int recursive, json_t *out, size_t cap)
{
    for (size_t i = 0; i < git_tree_entrycount(t) && json_array_size(out) < cap; i++) {
        const git_tree_entry *e = git_tree_entry_byindex(t, i);
        char path[4096], sha[41], mode[8], url[1024];
        snprintf(path, sizeof path, "%s%s", prefix, git_tree_entry_name(e));
        git_oid_tostr(sha, sizeof sha, git_tree_entry_id(e));
        git_object_t type = git_tree_entry_type(e);
        const char *ts = type == GIT_OBJECT_TREE ? "tree" : type == GIT_OBJECT_COMMIT ? "commit" : "blob";
        json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "path", path, "mode", mode_str(git_tree_entry_filemode(e), mode),
                              "type", ts, "sha", sha);
        if (type == GIT_OBJECT_BLOB) {
            git_blob *b = NULL;
            if (git_blob_lookup(&b, r->git, git_tree_entry_id(e)) == 0) {
                json_object_set_new(o, "size", json_integer((json_int_t)git_blob_rawsize(b)));
                git_blob_free(b);
            }
            snprintf(url, sizeof url, "%s/repos/%s/git/blobs/%s", B, r->full_name, sha);
        } else {
            snprintf(url, sizeof url, "%s/repos/%s/git/trees/%s", B, r->full_name, sha);
        }
        if (type != GIT_OBJECT_COMMIT)
            json_object_set_new(o, "url", json_string(url));
        json_array_append_new(out, o);
        git_tree *sub = NULL;
        if (recursive && type == GIT_OBJECT_TREE && git_tree_lookup(&sub, r->git, git_tree_entry_id(e)) == 0) {
            char pre[4100];
            snprintf(pre, sizeof pre, "%s/", path);
            tree_entries(r, sub, pre, 1, out, cap);
            git_tree_free(sub);
        }
    }
}

static json_t *render_tree(mh_repo *r, git_tree *t, int recursive)
{
    json_t *entries = json_array();
    size_t cap = 100000; /* GitHub truncates recursive listings at 100,000 entries */
    tree_entries(r, t, "", recursive, entries, cap + 1);
    int truncated = json_array_size(entries) > cap;
    if (truncated)
        json_array_remove(entries, cap);
    char sha[41], url[1024];
    git_oid_tostr(sha, sizeof sha, git_tree_id(t));
    snprintf(url, sizeof url, "%s/repos/%s/git/trees/%s", B, r->full_name, sha);
    return json_pack("{s:s, s:s, s:o, s:b}", "sha", sha, "url", url, "tree", entries, "truncated", truncated);
}

/* GET /git/trees/{tree_sha}[?recursive=1]: a tree sha, or a commit-ish (branch, commit sha). */
int h_git_tree_get(mh_ctx *c)
{
    if (mh_need_repo(c, 1) < 0)
        return 0;
    const char *ts = mh_p(c, "tree_sha");
    git_oid oid;
    git_tree *t = NULL;
    git_object *obj = NULL;
    if (!(parse_sha(ts, &oid) == 0 && git_object_lookup(&obj, c->repo->git, &oid, GIT_OBJECT_ANY) == 0) &&
        mh_git_resolve(c->repo, ts, &oid) == 0)
        git_object_lookup(&obj, c->repo->git, &oid, GIT_OBJECT_ANY);
    if (!obj || git_object_peel((git_object **)&t, obj, GIT_OBJECT_TREE) < 0) {
        git_object_free(obj);
        mh_error(c, 404, "Not Found");
        return 0;
    }
    git_object_free(obj);
    const char *rec = mh_q(c, "recursive");
    c->resp = render_tree(c->repo, t, rec && *rec && strcmp(rec, "0") && strcmp(rec, "false"));
    git_tree_free(t);
    return 0;
}

/* Adds every blob (and gitlink) of tree t under prefix to the index. */
static int index_add_tree(mh_repo *r, git_index *idx, git_tree *t, const char *prefix)
{
    for (size_t i = 0; i < git_tree_entrycount(t); i++) {
        const git_tree_entry *e = git_tree_entry_byindex(t, i);
        char path[4096];
        snprintf(path, sizeof path, "%s%s", prefix, git_tree_entry_name(e));
        if (git_tree_entry_type(e) == GIT_OBJECT_TREE) {
            git_tree *sub = NULL;
            if (git_tree_lookup(&sub, r->git, git_tree_entry_id(e)) < 0)
                return -1;
            char pre[4100];
            snprintf(pre, sizeof pre, "%s/", path);
            int rc = index_add_tree(r, idx, sub, pre);
            git_tree_free(sub);
            if (rc < 0)
                return -1;
            continue;
        }
        git_index_entry ie;
        memset(&ie, 0, sizeof ie);
        ie.mode = git_tree_entry_filemode(e);
        ie.id = *git_tree_entry_id(e);
        ie.path = path;
        if (git_index_add(idx, &ie) < 0)
            return -1;
    }
    return 0;
}

static int valid_tree_path(const char *p)
{
    if (!p || !*p || p[0] == '/' || p[strlen(p) - 1] == '/' || strstr(p, "//"))
        return 0;
    for (const char *s = p; *s;) {
        const char *e = strchr(s, '/');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        if ((n == 1 && s[0] == '.') || (n == 2 && !strncmp(s, "..", 2)) || (n == 4 && !strncmp(s, ".git", 4)))
            return 0;
        s = e ? e + 1 : s + n;
    }
    return 1;
}

/* POST /git/trees {"base_tree": SHA, "tree": [{path, mode, type, sha | content}]}: paths may be
 * nested ("a/b/c"); "sha": null deletes the path. */
int h_git_tree_create(mh_ctx *c)
{
    if (mh_need_repo(c, 3) < 0 || need_object(c) < 0)
        return 0;
    json_t *entries = json_object_get(c->body, "tree"), *base = json_object_get(c->body, "base_tree");
    if (!json_is_array(entries)) {
        mh_invalid(c, "Tree", "tree", entries ? "invalid" : "missing_field", NULL);
        return 0;
    }
    git_index *idx = NULL;
    git_tree *bt = NULL;
    git_oid oid;
    if (git_index_new(&idx) < 0) {
        mh_error(c, 500, "cannot build the tree");
        return 0;
    }
    if (base && !json_is_null(base)) {
        git_object *obj = NULL;
        if (parse_sha(json_string_value(base), &oid) < 0 || git_object_lookup(&obj, c->repo->git, &oid, GIT_OBJECT_ANY) < 0 ||
            git_object_peel((git_object **)&bt, obj, GIT_OBJECT_TREE) < 0 || index_add_tree(c->repo, idx, bt, "") < 0) {
            git_object_free(obj);
            git_tree_free(bt);
            git_index_free(idx);
            mh_invalid(c, "Tree", "base_tree", "invalid", "base_tree is not a tree of this repository");
            return 0;
        }
        git_object_free(obj);
        git_tree_free(bt);
    }
    size_t i;
    json_t *e;
    char why[300] = "";
    json_array_foreach(entries, i, e) {
        const char *path = json_string_value(json_object_get(e, "path"));
        const char *mode = json_string_value(json_object_get(e, "mode"));
        const char *type = json_string_value(json_object_get(e, "type"));
        json_t *sha = json_object_get(e, "sha"), *content = json_object_get(e, "content");
        if (!json_is_object(e) || !valid_tree_path(path)) {
            snprintf(why, sizeof why, "tree.path is invalid in entry %zu", i);
            break;
        }
        unsigned m = mode ? (unsigned)strtoul(mode, NULL, 8) : 0;
        int is_tree = type && !strcmp(type, "tree"), is_commit = type && !strcmp(type, "commit");
        int mode_ok = (m == 0100644 || m == 0100755 || m == 0120000) ? !is_tree && !is_commit
                      : m == 040000 ? is_tree : m == 0160000 ? is_commit : 0;
        if (!mode || !type || !mode_ok || (strcmp(type, "blob") && !is_tree && !is_commit)) {
            snprintf(why, sizeof why, "tree.mode %s and tree.type %s do not fit together in entry %zu",
                     mode ? mode : "(none)", type ? type : "(none)", i);
            break;
        }
        if (sha && content) {
            snprintf(why, sizeof why, "entry %zu has both sha and content", i);
            break;
        }
        if (json_is_null(sha)) { /* deletion */
            git_index_remove_bypath(idx, path);
            git_index_remove_directory(idx, path, 0);
            continue;
        }
        if (json_is_string(content)) {
            if (is_tree || is_commit) {
                snprintf(why, sizeof why, "tree.content is only for blobs (entry %zu)", i);
                break;
            }
            git_blob_create_from_buffer(&oid, c->repo->git, json_string_value(content), json_string_length(content));
        } else if (parse_sha(json_string_value(sha), &oid) < 0) {
            snprintf(why, sizeof why, "tree.sha is missing or not a sha in entry %zu", i);
            break;
        } else if (!is_commit) {
            git_object *obj = NULL;
            int ok = git_object_lookup(&obj, c->repo->git, &oid, is_tree ? GIT_OBJECT_TREE : GIT_OBJECT_BLOB) == 0;
            git_object_free(obj);
            if (!ok) {
                snprintf(why, sizeof why, "tree.sha %s is not a valid %s", json_string_value(sha), type);
                break;
            }
        }
        git_index_remove_bypath(idx, path);
        git_index_remove_directory(idx, path, 0);
        if (is_tree) {
            git_tree *sub = NULL;
            char pre[4100];
            snprintf(pre, sizeof pre, "%s/", path);
            if (git_tree_lookup(&sub, c->repo->git, &oid) < 0 || index_add_tree(c->repo, idx, sub, pre) < 0) {
                git_tree_free(sub);
                snprintf(why, sizeof why, "cannot read tree %s", json_string_value(sha));
                break;
            }
            git_tree_free(sub);
            continue;
        }
        git_index_entry ie;
        memset(&ie, 0, sizeof ie);
        ie.mode = m;
        ie.id = oid;
        ie.path = path;
        if (git_index_add(idx, &ie) < 0) {
            snprintf(why, sizeof why, "tree.path %s conflicts with another entry", path);
            break;
        }
    }
    git_tree *t = NULL;
    if (!*why && (git_index_write_tree_to(&oid, idx, c->repo->git) < 0 || git_tree_lookup(&t, c->repo->git, &oid) < 0))
        snprintf(why, sizeof why, "the entries do not make a tree (a file and a directory of the same name?)");
    git_index_free(idx);
    if (*why) {
        mh_invalid(c, "Tree", "tree", "invalid", why);
        return 0;
    }
    c->status = 201;
    c->resp = render_tree(c->repo, t, 0);
    mh_set_header(c, "Location", json_string_value(json_object_get(c->resp, "url")));
    git_tree_free(t);
    return 0;
}

/* {"name", "email", "date"} into a signature; NULL fields take the user's (and mockhub's clock). */
static int signature_from(json_t *o, const mh_user *u, git_signature **out)
{
    const char *name = json_string_value(json_object_get(o, "name"));
    const char *email = json_string_value(json_object_get(o, "email"));
    const char *date = json_string_value(json_object_get(o, "date"));
    time_t when = mh_now();
    if (o && (!json_is_object(o) || !name || !email || (date && mh_time_parse_iso(date, &when) < 0)))
        return -1;
    char nr[300];
    snprintf(nr, sizeof nr, "%lld+%s@users.noreply.github.com", u ? (long long)u->id : 0LL, u ? u->login : "ghost");
    return git_signature_new(out, name ? name : u && u->name ? u->name : u ? u->login : "ghost",
                             email ? email : u && u->email ? u->email : nr, (git_time_t)when, 0);
}

/* POST /git/commits {"message", "tree", "parents": [...], "author", "committer"}: a commit object
 * (no branch moves; POST/PATCH git/refs does that). */
int h_git_commit_create(mh_ctx *c)
{
    if (mh_need_repo(c, 3) < 0 || need_object(c) < 0)
        return 0;
    json_t *msg = json_object_get(c->body, "message"), *tree = json_object_get(c->body, "tree");
    json_t *parents = json_object_get(c->body, "parents");
    if (!json_is_string(msg) || !json_is_string(tree)) {
        mh_invalid(c, "Commit", !json_is_string(msg) ? "message" : "tree",
                   (!json_is_string(msg) ? !msg : !tree) ? "missing_field" : "invalid", NULL);
        return 0;
    }
    if (parents && !json_is_array(parents)) {
        mh_invalid(c, "Commit", "parents", "invalid", NULL);
        return 0;
    }
    git_oid oid;
    git_tree *t = NULL;
    if (parse_sha(json_string_value(tree), &oid) < 0 || git_tree_lookup(&t, c->repo->git, &oid) < 0) {
        mh_invalid(c, "Commit", "tree", "invalid", "tree is not a tree of this repository");
        return 0;
    }
    size_t np = json_array_size(parents);
    git_commit **pc = calloc(np + 1, sizeof *pc);
    int bad = 0;
    for (size_t i = 0; i < np && !bad; i++)
        bad = parse_sha(json_string_value(json_array_get(parents, i)), &oid) < 0 ||
              git_commit_lookup(&pc[i], c->repo->git, &oid) < 0;
    git_signature *a = NULL, *m = NULL;
    int sig_bad = !bad && (signature_from(json_object_get(c->body, "author"), c->user, &a) < 0 ||
                           signature_from(json_object_get(c->body, "committer") ? json_object_get(c->body, "committer")
                                                                                 : json_object_get(c->body, "author"),
                                          c->user, &m) < 0);
    if (bad || sig_bad) {
        mh_invalid(c, "Commit", bad ? "parents" : "author", "invalid",
                   bad ? "a parent is not a commit of this repository" : "author/committer need name, email and an ISO 8601 date");
    } else if (git_commit_create(&oid, c->repo->git, NULL, a, m, NULL, json_string_value(msg), t, np,
                                 (const git_commit **)pc) < 0) {
        mh_error(c, 500, "cannot write the commit");
    } else {
        git_commit *nc = NULL;
        git_commit_lookup(&nc, c->repo->git, &oid);
        c->status = 201;
        c->resp = mh_render_git_commit(c->repo, nc);
        mh_set_header(c, "Location", json_string_value(json_object_get(c->resp, "url")));
        git_commit_free(nc);
    }
    for (size_t i = 0; i < np; i++)
        git_commit_free(pc[i]);
    free(pc);
    git_signature_free(a);
    git_signature_free(m);
    git_tree_free(t);
    return 0;
}
