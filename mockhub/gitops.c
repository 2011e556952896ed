/* gitops.c -- mockhub's git side: real bare repositories managed with libgit2. Commits, merges,
 * conflict detection and changed-file lists all come from real git objects (in-memory indexes,
 * no working trees). Runs under g_mh->lock. */
#include "mockhub.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *gerr(void)
{
    const git_error *e = git_error_last();
    return e && e->message ? e->message : "unknown libgit2 error";
}

static int sig_for(git_signature **out, const mh_user *u)
{
    char email[300];
    if (u && u->email)
        snprintf(email, sizeof email, "%s", u->email);
    else
        snprintf(email, sizeof email, "%lld+%s@users.noreply.github.com", u ? (long long)u->id : 0LL,
                 u ? u->login : "ghost");
    return git_signature_new(out, u ? (u->name ? u->name : u->login) : "ghost", email, (git_time_t)mh_now(), 0);
}

static int sig_github(git_signature **out)
{
    return git_signature_new(out, "GitHub", "noreply@github.com", (git_time_t)mh_now(), 0);
}

int mh_git_init_repo(mh_repo *r, json_t *files, char *err, size_t errlen)
{
    git_repository_init_options opts;
    git_repository_init_options_init(&opts, GIT_REPOSITORY_INIT_OPTIONS_VERSION);
    opts.flags = GIT_REPOSITORY_INIT_BARE | GIT_REPOSITORY_INIT_MKPATH;
    char head[512];
    snprintf(head, sizeof head, "refs/heads/%s", r->default_branch);
    opts.initial_head = head;
    if (git_repository_init_ext(&r->git, r->gitdir, &opts) < 0) {
        snprintf(err, errlen, "%s: git init %s: %s", r->full_name, r->gitdir, gerr());
        return -1;
    }
    git_config *cfg = NULL;
    if (git_repository_config(&cfg, r->git) == 0) {
        git_config_set_bool(cfg, "http.receivepack", 1);
        git_config_set_bool(cfg, "uploadpack.allowAnySHA1InWant", 1);
        /* as on GitHub, the refs/pull/ namespace is read-only for pushes */
        git_config_set_string(cfg, "receive.hideRefs", "refs/pull");
        git_config_free(cfg);
    }
    git_oid existing;
    if (mh_git_branch_tip(r, r->default_branch, &existing) == 0)
        return 0; /* state dir reused: keep history */
    json_t *init = files && json_object_size(files) ? json_incref(files)
                                                    : json_pack("{s:s+}", "README.md", "# ", r->name);
    if (!files || !json_object_size(files)) {
        json_t *readme = json_object_get(init, "README.md");
        char txt[256];
        snprintf(txt, sizeof txt, "# %s\n", r->name);
        json_string_set(readme, txt);
    }
    git_oid c;
    int rc = mh_git_commit_files(r, NULL, init, "Initial commit", r->owner, &c, err, errlen);
    json_decref(init);
    if (rc < 0)
        return -1;
    git_reference *ref = NULL;
    if (git_reference_create(&ref, r->git, head, &c, 1, "initial commit") < 0) {
        snprintf(err, errlen, "%s: %s", r->full_name, gerr());
        return -1;
    }
    git_reference_free(ref);
    return 0;
}

static int peel_commit(git_repository *repo, git_object *obj, git_oid *out)
{
    git_object *c = NULL;
    if (git_object_peel(&c, obj, GIT_OBJECT_COMMIT) < 0)
        return -1;
    git_oid_cpy(out, git_object_id(c));
    git_object_free(c);
    (void)repo;
    return 0;
}

static int ref_to_commit(git_repository *repo, const char *name, git_oid *out)
{
    git_reference *ref = NULL;
    if (git_reference_lookup(&ref, repo, name) < 0)
        return -1;
    git_object *obj = NULL;
    int rc = git_reference_peel(&obj, ref, GIT_OBJECT_COMMIT);
    git_reference_free(ref);
    if (rc < 0)
        return -1;
    git_oid_cpy(out, git_object_id(obj));
    git_object_free(obj);
    return 0;
}

int mh_git_branch_tip(mh_repo *r, const char *branch, git_oid *out)
{
    char name[1024];
    snprintf(name, sizeof name, "refs/heads/%s", branch);
    return ref_to_commit(r->git, name, out);
}

int mh_git_resolve(mh_repo *r, const char *ref, git_oid *out)
{
    char name[1024];
    if (!ref || !*ref || strstr(ref, ".."))
        return -1;
    if (mh_git_branch_tip(r, ref, out) == 0)
        return 0;
    snprintf(name, sizeof name, "refs/tags/%s", ref);
    if (ref_to_commit(r->git, name, out) == 0)
        return 0;
    if (strncmp(ref, "refs/", 5) == 0 && ref_to_commit(r->git, ref, out) == 0)
        return 0;
    if (strncmp(ref, "heads/", 6) == 0 || strncmp(ref, "tags/", 5) == 0 || strncmp(ref, "pull/", 5) == 0) {
        snprintf(name, sizeof name, "refs/%s", ref);
        if (ref_to_commit(r->git, name, out) == 0)
            return 0;
    }
    size_t n = strlen(ref);
    if (n < 4 || n > 40)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (!isxdigit((unsigned char)ref[i]))
            return -1;
    git_object *obj = NULL;
    if (git_revparse_single(&obj, r->git, ref) < 0)
        return -1;
    int rc = peel_commit(r->git, obj, out);
    git_object_free(obj);
    return rc;
}

int mh_git_commit_files(mh_repo *r, const git_oid *parent, json_t *files, const char *message,
                        const mh_user *author, git_oid *out, char *err, size_t errlen)
{
    git_index *idx = NULL;
    git_commit *pc = NULL;
    git_tree *ptree = NULL, *tree = NULL;
    git_signature *a = NULL, *c = NULL;
    int rc = -1;
    if (git_index_new(&idx) < 0)
        goto fail;
    if (parent) {
        if (git_commit_lookup(&pc, r->git, parent) < 0 || git_commit_tree(&ptree, pc) < 0 ||
            git_index_read_tree(idx, ptree) < 0)
            goto fail;
    }
    const char *path;
    json_t *content;
    json_object_foreach(files, path, content) {
        if (json_is_null(content)) {
            git_index_remove_bypath(idx, path);
            git_index_remove_directory(idx, path, 0);
            continue;
        }
        /* a file under an existing file ("a" is a file, write "a/b") would make a broken tree */
        char anc[4096];
        snprintf(anc, sizeof anc, "%s", path);
        for (char *slash = strrchr(anc, '/'); slash; slash = strrchr(anc, '/')) {
            *slash = '\0';
            if (git_index_get_bypath(idx, anc, 0)) {
                snprintf(err, errlen, "\"%s\" is a file, so \"%s\" cannot be created", anc, path);
                git_error_set_str(GIT_ERROR_INVALID, err);
                goto fail;
            }
        }
        git_oid blob;
        if (git_blob_create_from_buffer(&blob, r->git, json_string_value(content),
                                        json_string_length(content)) < 0)
            goto fail;
        /* a file replaces a directory of the same name and vice versa */
        git_index_remove_directory(idx, path, 0);
        git_index_entry e;
        memset(&e, 0, sizeof e);
        e.mode = GIT_FILEMODE_BLOB;
        e.id = blob;
        e.path = path;
        e.file_size = (uint32_t)json_string_length(content);
        if (git_index_add(idx, &e) < 0)
            goto fail;
    }
    git_oid tree_id;
    if (git_index_write_tree_to(&tree_id, idx, r->git) < 0 ||
        git_tree_lookup(&tree, r->git, &tree_id) < 0)
        goto fail;
    if (sig_for(&a, author) < 0 || sig_github(&c) < 0)
        goto fail;
    const git_commit *parents[1] = {pc};
    if (git_commit_create(out, r->git, NULL, a, parent ? c : a, NULL, message, tree, pc ? 1 : 0,
                          parents) < 0)
        goto fail;
    rc = 0;
fail:
    if (rc < 0)
        snprintf(err, errlen, "git commit failed: %s", gerr());
    git_signature_free(a);
    git_signature_free(c);
    git_tree_free(tree);
    git_tree_free(ptree);
    git_commit_free(pc);
    git_index_free(idx);
    return rc;
}

int mh_git_is_ancestor(mh_repo *r, const git_oid *ancestor, const git_oid *descendant)
{
    if (git_oid_equal(ancestor, descendant))
        return 1;
    return git_graph_descendant_of(r->git, descendant, ancestor) == 1;
}

int mh_git_set_ref(mh_repo *r, const char *fullref, const git_oid *new_oid, mh_user *pusher,
                   int forced)
{
    git_oid old;
    int had = ref_to_commit(r->git, fullref, &old) == 0;
    if (new_oid) {
        git_reference *ref = NULL;
        if (git_reference_create(&ref, r->git, fullref, new_oid, 1, "mockhub") < 0)
            return -1;
        git_reference_free(ref);
    } else {
        git_reference *ref = NULL;
        if (git_reference_lookup(&ref, r->git, fullref) < 0)
            return -1;
        int rc = git_reference_delete(ref);
        git_reference_free(ref);
        if (rc < 0)
            return -1;
    }
    mh_on_ref_update(r, fullref, had ? &old : NULL, new_oid, pusher, forced);
    return 0;
}

static int load_commits(mh_repo *r, mh_pull *p, git_commit **base, git_commit **head)
{
    git_oid b, h;
    *base = *head = NULL;
    if (mh_git_branch_tip(r, p->base_ref, &b) < 0 && git_oid_fromstr(&b, p->base_sha) < 0)
        return -1;
    if (git_oid_fromstr(&h, p->head_sha) < 0)
        return -1;
    if (git_commit_lookup(base, r->git, &b) < 0)
        return -1;
    if (git_commit_lookup(head, r->git, &h) < 0) {
        git_commit_free(*base);
        *base = NULL;
        return -1;
    }
    return 0;
}

int mh_git_mergeable(mh_repo *r, mh_pull *p, git_oid *test_merge)
{
    git_commit *base, *head;
    if (load_commits(r, p, &base, &head) < 0)
        return -1;
    git_index *idx = NULL;
    int rc = -1;
    if (git_merge_commits(&idx, r->git, base, head, NULL) < 0)
        goto out;
    if (git_index_has_conflicts(idx)) {
        rc = 0;
        goto out;
    }
    git_oid tree_id;
    git_tree *tree = NULL;
    git_signature *sig = NULL;
    if (git_index_write_tree_to(&tree_id, idx, r->git) == 0 &&
        git_tree_lookup(&tree, r->git, &tree_id) == 0 && sig_github(&sig) == 0) {
        const git_commit *parents[2] = {base, head};
        char msg[128];
        snprintf(msg, sizeof msg, "Merge %s into %.40s", p->head_sha, git_oid_tostr_s(git_commit_id(base)));
        if (git_commit_create(test_merge, r->git, NULL, sig, sig, NULL, msg, tree, 2, parents) == 0) {
            char refname[64];
            snprintf(refname, sizeof refname, "refs/pull/%d/merge", p->number);
            git_reference *ref = NULL;
            if (git_reference_create(&ref, r->git, refname, test_merge, 1, "test merge") == 0)
                git_reference_free(ref);
            rc = 1;
        }
    }
    git_signature_free(sig);
    git_tree_free(tree);
out:
    git_index_free(idx);
    git_commit_free(base);
    git_commit_free(head);
    return rc;
}

/* Diff between merge-base(base, head) and head, with rename detection. */
git_diff *mh_git_pull_diff(mh_repo *r, mh_pull *p)
{
    git_commit *base, *head;
    if (load_commits(r, p, &base, &head) < 0)
        return NULL;
    git_oid mb;
    git_commit *mbc = NULL;
    git_tree *t1 = NULL, *t2 = NULL;
    git_diff *diff = NULL;
    if (git_merge_base(&mb, r->git, git_commit_id(base), git_commit_id(head)) == 0 &&
        git_commit_lookup(&mbc, r->git, &mb) == 0 && git_commit_tree(&t1, mbc) == 0 &&
        git_commit_tree(&t2, head) == 0 && git_diff_tree_to_tree(&diff, r->git, t1, t2, NULL) == 0) {
        git_diff_find_options fo;
        git_diff_find_options_init(&fo, GIT_DIFF_FIND_OPTIONS_VERSION);
        fo.flags = GIT_DIFF_FIND_RENAMES;
        git_diff_find_similar(diff, &fo);
    }
    git_tree_free(t1);
    git_tree_free(t2);
    git_commit_free(mbc);
    git_commit_free(base);
    git_commit_free(head);
    return diff;
}

static int count_commits(mh_repo *r, mh_pull *p)
{
    git_revwalk *w = NULL;
    git_oid h, b, o;
    int n = 0;
    if (git_oid_fromstr(&h, p->head_sha) < 0 || git_revwalk_new(&w, r->git) < 0)
        return 0;
    git_revwalk_push(w, &h);
    if (mh_git_branch_tip(r, p->base_ref, &b) == 0 && !(p->merged))
        git_revwalk_hide(w, &b);
    else if (git_oid_fromstr(&b, p->base_sha) == 0)
        git_revwalk_hide(w, &b);
    while (git_revwalk_next(&o, w) == 0 && n < 10000)
        n++;
    git_revwalk_free(w);
    return n;
}

void mh_git_pull_stats(mh_repo *r, mh_pull *p)
{
    git_diff *diff = mh_git_pull_diff(r, p);
    if (!diff)
        return;
    git_diff_stats *st = NULL;
    if (git_diff_get_stats(&st, diff) == 0) {
        p->changed_files = (int)git_diff_stats_files_changed(st);
        p->additions = (int)git_diff_stats_insertions(st);
        p->deletions = (int)git_diff_stats_deletions(st);
        git_diff_stats_free(st);
    }
    git_diff_free(diff);
    p->ncommits = count_commits(r, p);
}

/* diff-entry objects for every delta of diff (capped at 3000, as GitHub); URLs point at `ref`. */
static json_t *diff_entries(mh_repo *r, git_diff *diff, const char *ref)
{
    json_t *arr = json_array();
    size_t n = git_diff_num_deltas(diff);
    for (size_t i = 0; i < n && i < 3000; i++) {
        const git_diff_delta *d = git_diff_get_delta(diff, i);
        const char *status = "modified";
        switch (d->status) {
        case GIT_DELTA_ADDED: status = "added"; break;
        case GIT_DELTA_DELETED: status = "removed"; break;
        case GIT_DELTA_RENAMED: status = "renamed"; break;
        case GIT_DELTA_COPIED: status = "copied"; break;
        case GIT_DELTA_TYPECHANGE: status = "changed"; break;
        case GIT_DELTA_UNMODIFIED: status = "unchanged"; break;
        default: break;
        }
        const git_diff_file *f = d->status == GIT_DELTA_DELETED ? &d->old_file : &d->new_file;
        char sha[41];
        git_oid_tostr(sha, sizeof sha, &f->id);
        json_t *o = json_object();
        json_object_set_new(o, "sha", d->status == GIT_DELTA_DELETED ? json_null() : json_string(sha));
        json_object_set_new(o, "filename", json_string(d->new_file.path));
        json_object_set_new(o, "status", json_string(status));
        size_t adds = 0, dels = 0, ctx = 0;
        git_patch *patch = NULL;
        if (git_patch_from_diff(&patch, diff, i) == 0 && patch) {
            git_patch_line_stats(&ctx, &adds, &dels, patch);
            if (!(d->flags & GIT_DIFF_FLAG_BINARY)) {
                git_buf buf = GIT_BUF_INIT;
                if (git_patch_to_buf(&buf, patch) == 0) {
                    /* GitHub's patch starts at the first hunk header */
                    const char *h = strstr(buf.ptr, "\n@@");
                    if (h && buf.size < 65536)
                        json_object_set_new(o, "patch", json_stringn(h + 1, buf.size - (size_t)(h + 1 - buf.ptr)));
                    git_buf_dispose(&buf);
                }
            }
            git_patch_free(patch);
        }
        json_object_set_new(o, "additions", json_integer((json_int_t)adds));
        json_object_set_new(o, "deletions", json_integer((json_int_t)dels));
        json_object_set_new(o, "changes", json_integer((json_int_t)(adds + dels)));
        char *enc = mh_url_encode(d->new_file.path, 1);
        char url[2048];
        snprintf(url, sizeof url, "%s/%s/blob/%s/%s", g_mh->base_url, r->full_name, ref, enc);
        json_object_set_new(o, "blob_url", json_string(url));
        snprintf(url, sizeof url, "%s/%s/raw/%s/%s", g_mh->base_url, r->full_name, ref, enc);
        json_object_set_new(o, "raw_url", json_string(url));
        snprintf(url, sizeof url, "%s/repos/%s/contents/%s?ref=%s", g_mh->base_url, r->full_name, enc, ref);
        json_object_set_new(o, "contents_url", json_string(url));
        free(enc);
        if (d->status == GIT_DELTA_RENAMED)
            json_object_set_new(o, "previous_filename", json_string(d->old_file.path));
        json_array_append_new(arr, o);
    }
    return arr;
}

json_t *mh_git_pull_files(mh_repo *r, mh_pull *p)
{
    git_diff *diff = mh_git_pull_diff(r, p);
    if (!diff)
        return json_array();
    json_t *arr = diff_entries(r, diff, p->head_sha);
    git_diff_free(diff);
    return arr;
}

static json_t *commit_person(const git_signature *s)
{
    char when[32];
    mh_time_iso(when, (time_t)s->when.time);
    return json_pack("{s:s, s:s, s:s}", "name", s->name, "email", s->email, "date", when);
}

static mh_user *user_by_email(const char *email)
{
    for (size_t i = 0; i < g_mh->nusers; i++) {
        mh_user *u = g_mh->users[i];
        if (u->email && mh_streq_ci(u->email, email))
            return u;
        char nr[300];
        snprintf(nr, sizeof nr, "%lld+%s@users.noreply.github.com", (long long)u->id, u->login);
        if (mh_streq_ci(nr, email))
            return u;
    }
    return NULL;
}

json_t *mh_git_authors(mh_repo *r, const git_oid *tip)
{
    json_t *out = json_object();
    git_revwalk *w = NULL;
    if (git_revwalk_new(&w, r->git) < 0)
        return out;
    git_revwalk_push(w, tip);
    git_oid o;
    for (int n = 0; git_revwalk_next(&o, w) == 0 && n < 20000; n++) {
        git_commit *c = NULL;
        if (git_commit_lookup(&c, r->git, &o) < 0)
            continue;
        mh_user *u = user_by_email(git_commit_author(c)->email);
        if (u)
            json_object_set_new(out, u->login, json_true());
        git_commit_free(c);
    }
    git_revwalk_free(w);
    return out;
}

json_t *mh_render_commit(mh_repo *r, const git_oid *oid, int with_files)
{
    git_commit *c = NULL;
    if (git_commit_lookup(&c, r->git, oid) < 0)
        return NULL;
    char sha[41], tsha[41];
    git_oid_tostr(sha, sizeof sha, oid);
    git_oid_tostr(tsha, sizeof tsha, git_commit_tree_id(c));
    const char *B = g_mh->base_url;
    char url[1024];
    json_t *o = json_object();
    json_object_set_new(o, "sha", json_string(sha));
    json_object_set_new(o, "node_id", json_string("C_mockhub"));
    json_t *inner = json_object();
    json_object_set_new(inner, "author", commit_person(git_commit_author(c)));
    json_object_set_new(inner, "committer", commit_person(git_commit_committer(c)));
    json_object_set_new(inner, "message", json_string(git_commit_message(c)));
    snprintf(url, sizeof url, "%s/repos/%s/git/trees/%s", B, r->full_name, tsha);
    json_object_set_new(inner, "tree", json_pack("{s:s, s:s}", "sha", tsha, "url", url));
    snprintf(url, sizeof url, "%s/repos/%s/git/commits/%s", B, r->full_name, sha);
    json_object_set_new(inner, "url", json_string(url));
    json_object_set_new(inner, "comment_count", json_integer(0));
    json_object_set_new(inner, "verification", json_pack("{s:b, s:s, s:n, s:n, s:n}", "verified", 0, "reason",
                                                         "unsigned", "signature", "payload", "verified_at"));
    json_object_set_new(o, "commit", inner);
    snprintf(url, sizeof url, "%s/repos/%s/commits/%s", B, r->full_name, sha);
    json_object_set_new(o, "url", json_string(url));
    snprintf(url, sizeof url, "%s/%s/commit/%s", B, r->full_name, sha);
    json_object_set_new(o, "html_url", json_string(url));
    snprintf(url, sizeof url, "%s/repos/%s/commits/%s/comments", B, r->full_name, sha);
    json_object_set_new(o, "comments_url", json_string(url));
    mh_user *au = user_by_email(git_commit_author(c)->email);
    mh_user *cu = user_by_email(git_commit_committer(c)->email);
    json_object_set_new(o, "author", mh_render_user(au));
    json_object_set_new(o, "committer", mh_render_user(cu));
    json_t *parents = json_array();
    for (unsigned i = 0; i < git_commit_parentcount(c); i++) {
        char ps[41];
        git_oid_tostr(ps, sizeof ps, git_commit_parent_id(c, i));
        char u1[1024], u2[1024];
        snprintf(u1, sizeof u1, "%s/repos/%s/commits/%s", B, r->full_name, ps);
        snprintf(u2, sizeof u2, "%s/%s/commit/%s", B, r->full_name, ps);
        json_array_append_new(parents, json_pack("{s:s, s:s, s:s}", "sha", ps, "url", u1, "html_url", u2));
    }
    json_object_set_new(o, "parents", parents);
    if (with_files) {
        git_tree *t1 = NULL, *t2 = NULL;
        git_commit *pc = NULL;
        git_diff *diff = NULL;
        json_t *files = json_array();
        size_t adds = 0, dels = 0;
        if (git_commit_parentcount(c) > 0)
            git_commit_parent(&pc, c, 0);
        if (pc)
            git_commit_tree(&t1, pc);
        git_commit_tree(&t2, c);
        if (git_diff_tree_to_tree(&diff, r->git, t1, t2, NULL) == 0) {
            for (size_t i = 0; i < git_diff_num_deltas(diff) && i < 300; i++) {
                const git_diff_delta *d = git_diff_get_delta(diff, i);
                git_patch *patch = NULL;
                size_t a = 0, dd = 0, cx = 0;
                if (git_patch_from_diff(&patch, diff, i) == 0 && patch) {
                    git_patch_line_stats(&cx, &a, &dd, patch);
                    git_patch_free(patch);
                }
                adds += a;
                dels += dd;
                const char *st = d->status == GIT_DELTA_ADDED ? "added" : d->status == GIT_DELTA_DELETED ? "removed" : "modified";
                char fsha[41];
                git_oid_tostr(fsha, sizeof fsha, d->status == GIT_DELTA_DELETED ? &d->old_file.id : &d->new_file.id);
                char *enc = mh_url_encode(d->new_file.path, 1);
                char bu[2048], ru[2048], cu2[2048];
                snprintf(bu, sizeof bu, "%s/%s/blob/%s/%s", B, r->full_name, sha, enc);
                snprintf(ru, sizeof ru, "%s/%s/raw/%s/%s", B, r->full_name, sha, enc);
                snprintf(cu2, sizeof cu2, "%s/repos/%s/contents/%s?ref=%s", B, r->full_name, enc, sha);
                free(enc);
                json_array_append_new(files, json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:s, s:s, s:s}", "sha", fsha,
                                                       "filename", d->new_file.path, "status", st, "additions",
                                                       (json_int_t)a, "deletions", (json_int_t)dd, "changes",
                                                       (json_int_t)(a + dd), "blob_url", bu, "raw_url", ru,
                                                       "contents_url", cu2));
            }
            git_diff_free(diff);
        }
        json_object_set_new(o, "stats", json_pack("{s:I, s:I, s:I}", "total", (json_int_t)(adds + dels),
                                                  "additions", (json_int_t)adds, "deletions", (json_int_t)dels));
        json_object_set_new(o, "files", files);
        git_tree_free(t1);
        git_tree_free(t2);
        git_commit_free(pc);
    }
    git_commit_free(c);
    return o;
}

json_t *mh_git_pull_commits(mh_repo *r, mh_pull *p)
{
    json_t *arr = json_array();
    git_revwalk *w = NULL;
    git_oid h, b, o;
    if (git_oid_fromstr(&h, p->head_sha) < 0 || git_revwalk_new(&w, r->git) < 0)
        return arr;
    git_revwalk_sorting(w, GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE);
    git_revwalk_push(w, &h);
    if (!p->merged && mh_git_branch_tip(r, p->base_ref, &b) == 0)
        git_revwalk_hide(w, &b);
    else if (git_oid_fromstr(&b, p->base_sha) == 0)
        git_revwalk_hide(w, &b);
    while (git_revwalk_next(&o, w) == 0 && json_array_size(arr) < 250) {
        json_t *c = mh_render_commit(r, &o, 0);
        if (c)
            json_array_append_new(arr, c);
    }
    git_revwalk_free(w);
    return arr;
}

int mh_git_merge_pull(mh_repo *r, mh_pull *p, const char *method, const char *title,
                      const char *message, mh_user *merger, git_oid *out, char *err, size_t errlen)
{
    git_commit *base = NULL, *head = NULL;
    git_index *idx = NULL;
    git_tree *tree = NULL;
    git_signature *author = NULL, *committer = NULL;
    int rc = -1;
    if (load_commits(r, p, &base, &head) < 0) {
        snprintf(err, errlen, "cannot load commits: %s", gerr());
        return -1;
    }
    if (sig_github(&committer) < 0)
        goto out;
    if (strcmp(method, "rebase") == 0) {
        git_revwalk *w = NULL;
        git_oid o;
        git_oid onto = *git_commit_id(base);
        if (git_revwalk_new(&w, r->git) < 0)
            goto out;
        git_revwalk_sorting(w, GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE);
        git_revwalk_push(w, git_commit_id(head));
        git_revwalk_hide(w, git_commit_id(base));
        rc = 0;
        while (rc == 0 && git_revwalk_next(&o, w) == 0) {
            git_commit *pick = NULL, *ontoc = NULL;
            git_index *pidx = NULL;
            git_tree *ptree = NULL;
            git_oid tid;
            rc = -1;
            if (git_commit_lookup(&pick, r->git, &o) == 0 && git_commit_lookup(&ontoc, r->git, &onto) == 0) {
                if (git_commit_parentcount(pick) > 1) {
                    rc = 0; /* merge commits are skipped, as a rebase does */
                } else if (git_cherrypick_commit(&pidx, r->git, pick, ontoc, 0, NULL) == 0) {
                    if (git_index_has_conflicts(pidx)) {
                        rc = -2;
                    } else if (git_index_write_tree_to(&tid, pidx, r->git) == 0 &&
                               git_tree_lookup(&ptree, r->git, &tid) == 0) {
                        const git_commit *parents[1] = {ontoc};
                        if (git_commit_create(&onto, r->git, NULL, git_commit_author(pick), committer, NULL,
                                              git_commit_message(pick), ptree, 1, parents) == 0)
                            rc = 0;
                    }
                }
            }
            git_tree_free(ptree);
            git_index_free(pidx);
            git_commit_free(pick);
            git_commit_free(ontoc);
        }
        git_revwalk_free(w);
        if (rc == 0)
            *out = onto;
        goto out;
    }
    if (git_merge_commits(&idx, r->git, base, head, NULL) < 0)
        goto out;
    if (git_index_has_conflicts(idx)) {
        rc = -2;
        goto out;
    }
    git_oid tid;
    if (git_index_write_tree_to(&tid, idx, r->git) < 0 || git_tree_lookup(&tree, r->git, &tid) < 0)
        goto out;
    mh_buf msg;
    mh_buf_init(&msg);
    int squash = strcmp(method, "squash") == 0;
    const char *tset = json_string_value(json_object_get(r->settings, squash ? "squash_merge_commit_title" : "merge_commit_title"));
    const char *mset = json_string_value(json_object_get(r->settings, squash ? "squash_merge_commit_message" : "merge_commit_message"));
    if (title) {
        mh_buf_puts(&msg, title);
    } else if (squash) {
        if (p->ncommits == 1 && tset && strcmp(tset, "COMMIT_OR_PR_TITLE") == 0) {
            mh_buf_printf(&msg, "%s (#%d)", git_commit_summary(head), p->number);
        } else {
            mh_buf_printf(&msg, "%s (#%d)", p->title, p->number);
        }
    } else if (tset && strcmp(tset, "PR_TITLE") == 0) {
        mh_buf_printf(&msg, "%s (#%d)", p->title, p->number);
    } else {
        mh_buf_printf(&msg, "Merge pull request #%d from %s/%s", p->number, r->owner->login, p->head_ref);
    }
    if (message) {
        if (*message)
            mh_buf_printf(&msg, "\n\n%s", message);
    } else if (squash && mset && strcmp(mset, "COMMIT_MESSAGES") == 0) {
        json_t *commits = mh_git_pull_commits(r, p);
        if (!(p->ncommits == 1 && tset && strcmp(tset, "COMMIT_OR_PR_TITLE") == 0)) {
            size_t i;
            json_t *cm;
            mh_buf_puts(&msg, "\n");
            json_array_foreach(commits, i, cm) {
                mh_buf_printf(&msg, "\n* %s", json_string_value(json_object_get(json_object_get(cm, "commit"), "message")));
            }
        } else {
            const char *body = strchr(git_commit_message(head), '\n');
            if (body && body[1])
                mh_buf_printf(&msg, "\n%s", body);
        }
        json_decref(commits);
    } else if (mset && strcmp(mset, "PR_BODY") == 0) {
        if (p->body && *p->body)
            mh_buf_printf(&msg, "\n\n%s", p->body);
    } else if (!squash && mset && strcmp(mset, "PR_TITLE") == 0) {
        mh_buf_printf(&msg, "\n\n%s", p->title);
    }
    if (sig_for(&author, squash ? p->user : merger) < 0) {
        mh_buf_dispose(&msg);
        goto out;
    }
    const git_commit *parents[2] = {base, head};
    rc = git_commit_create(out, r->git, NULL, author, committer, NULL, msg.ptr, tree, squash ? 1 : 2, parents) == 0 ? 0 : -1;
    mh_buf_dispose(&msg);
out:
    if (rc == -1)
        snprintf(err, errlen, "merge failed: %s", gerr());
    git_signature_free(author);
    git_signature_free(committer);
    git_tree_free(tree);
    git_index_free(idx);
    git_commit_free(base);
    git_commit_free(head);
    return rc;
}

int mh_git_read_file(mh_repo *r, const git_oid *commit, const char *path, git_blob **blob_out,
                     git_oid *blob_id, int *is_dir)
{
    git_commit *c = NULL;
    git_tree *t = NULL;
    git_tree_entry *e = NULL;
    int rc = -1;
    *is_dir = 0;
    *blob_out = NULL;
    if (git_commit_lookup(&c, r->git, commit) < 0 || git_commit_tree(&t, c) < 0)
        goto out;
    if (!path || !*path) {
        *is_dir = 1;
        rc = 0;
        goto out;
    }
    if (git_tree_entry_bypath(&e, t, path) < 0)
        goto out;
    if (git_tree_entry_type(e) == GIT_OBJECT_TREE) {
        *is_dir = 1;
        rc = 0;
        goto out;
    }
    if (git_tree_entry_type(e) != GIT_OBJECT_BLOB)
        goto out;
    git_oid_cpy(blob_id, git_tree_entry_id(e));
    rc = git_blob_lookup(blob_out, r->git, blob_id) == 0 ? 0 : -1;
out:
    git_tree_entry_free(e);
    git_tree_free(t);
    git_commit_free(c);
    return rc;
}

json_t *mh_git_list_dir(mh_repo *r, const git_oid *commit, const char *path, const char *ref)
{
    git_commit *c = NULL;
    git_tree *t = NULL, *sub = NULL;
    git_tree_entry *e = NULL;
    json_t *arr = json_array();
    if (git_commit_lookup(&c, r->git, commit) < 0 || git_commit_tree(&t, c) < 0)
        goto out;
    git_tree *dir = t;
    if (path && *path) {
        if (git_tree_entry_bypath(&e, t, path) < 0 || git_tree_lookup(&sub, r->git, git_tree_entry_id(e)) < 0)
            goto out;
        dir = sub;
    }
    for (size_t i = 0; i < git_tree_entrycount(dir); i++) {
        const git_tree_entry *te = git_tree_entry_byindex(dir, i);
        char full[2048], sha[41], url[4096];
        snprintf(full, sizeof full, "%s%s%s", path && *path ? path : "", path && *path ? "/" : "", git_tree_entry_name(te));
        git_oid_tostr(sha, sizeof sha, git_tree_entry_id(te));
        int isdir = git_tree_entry_type(te) == GIT_OBJECT_TREE;
        size_t size = 0;
        if (!isdir) {
            git_blob *b = NULL;
            if (git_blob_lookup(&b, r->git, git_tree_entry_id(te)) == 0) {
                size = (size_t)git_blob_rawsize(b);
                git_blob_free(b);
            }
        }
        char *enc = mh_url_encode(full, 1);
        json_t *o = json_object();
        json_object_set_new(o, "type", json_string(isdir ? "dir" : "file"));
        json_object_set_new(o, "size", json_integer((json_int_t)size));
        json_object_set_new(o, "name", json_string(git_tree_entry_name(te)));
        json_object_set_new(o, "path", json_string(full));
        json_object_set_new(o, "sha", json_string(sha));
        snprintf(url, sizeof url, "%s/repos/%s/contents/%s?ref=%s", g_mh->base_url, r->full_name, enc, ref);
        json_object_set_new(o, "url", json_string(url));
        snprintf(url, sizeof url, "%s/repos/%s/git/%s/%s", g_mh->base_url, r->full_name, isdir ? "trees" : "blobs", sha);
        json_object_set_new(o, "git_url", json_string(url));
        snprintf(url, sizeof url, "%s/%s/%s/%s/%s", g_mh->base_url, r->full_name, isdir ? "tree" : "blob", ref, enc);
        json_object_set_new(o, "html_url", json_string(url));
        snprintf(url, sizeof url, "%s/%s/raw/%s/%s", g_mh->base_url, r->full_name, ref, enc);
        json_object_set_new(o, "download_url", isdir ? json_null() : json_string(url));
        json_object_set_new(o, "_links", json_pack("{s:O, s:O, s:O}", "self", json_object_get(o, "url"), "git",
                                                   json_object_get(o, "git_url"), "html", json_object_get(o, "html_url")));
        free(enc);
        json_array_append_new(arr, o);
    }
out:
    git_tree_entry_free(e);
    git_tree_free(sub);
    git_tree_free(t);
    git_commit_free(c);
    return arr;
}

static int count_range(mh_repo *r, const git_oid *from, const git_oid *hide, json_t *collect)
{
    git_revwalk *w = NULL;
    git_oid o;
    int n = 0;
    if (git_revwalk_new(&w, r->git) < 0)
        return 0;
    git_revwalk_sorting(w, GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE);
    git_revwalk_push(w, from);
    git_revwalk_hide(w, hide);
    while (git_revwalk_next(&o, w) == 0) {
        if (collect && json_array_size(collect) < 250) {
            json_t *c = mh_render_commit(r, &o, 0);
            if (c)
                json_array_append_new(collect, c);
        }
        n++;
    }
    git_revwalk_free(w);
    return n;
}

json_t *mh_git_compare(mh_repo *r, const git_oid *base, const git_oid *head, const char *basehead)
{
    git_oid mb;
    if (git_merge_base(&mb, r->git, base, head) < 0)
        return NULL;
    json_t *commits = json_array();
    int ahead = count_range(r, head, base, commits);
    int behind = count_range(r, base, head, NULL);
    const char *status = ahead && behind ? "diverged" : ahead ? "ahead" : behind ? "behind" : "identical";
    git_commit *mbc = NULL, *hc = NULL;
    git_tree *t1 = NULL, *t2 = NULL;
    git_diff *diff = NULL;
    json_t *files = json_array();
    char hs[41];
    git_oid_tostr(hs, sizeof hs, head);
    if (git_commit_lookup(&mbc, r->git, &mb) == 0 && git_commit_lookup(&hc, r->git, head) == 0 &&
        git_commit_tree(&t1, mbc) == 0 && git_commit_tree(&t2, hc) == 0 &&
        git_diff_tree_to_tree(&diff, r->git, t1, t2, NULL) == 0) {
        git_diff_find_options fo;
        git_diff_find_options_init(&fo, GIT_DIFF_FIND_OPTIONS_VERSION);
        fo.flags = GIT_DIFF_FIND_RENAMES;
        git_diff_find_similar(diff, &fo);
        json_decref(files);
        files = diff_entries(r, diff, hs);
    }
    git_diff_free(diff);
    git_tree_free(t1);
    git_tree_free(t2);
    git_commit_free(mbc);
    git_commit_free(hc);
    const char *B = g_mh->base_url;
    char url[1024], html[1024], perma[1024], du[1100], pu[1100];
    snprintf(url, sizeof url, "%s/repos/%s/compare/%s", B, r->full_name, basehead);
    snprintf(html, sizeof html, "%s/%s/compare/%s", B, r->full_name, basehead);
    snprintf(perma, sizeof perma, "%s/%s/compare/%s", B, r->full_name, basehead);
    snprintf(du, sizeof du, "%s.diff", html);
    snprintf(pu, sizeof pu, "%s.patch", html);
    json_t *bc = mh_render_commit(r, base, 0), *mbj = mh_render_commit(r, &mb, 0);
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:s, s:i, s:i, s:i, s:o, s:o}", "url", url, "html_url", html,
                     "permalink_url", perma, "diff_url", du, "patch_url", pu, "base_commit", bc ? bc : json_null(),
                     "merge_base_commit", mbj ? mbj : json_null(), "status", status, "ahead_by", ahead, "behind_by",
                     behind, "total_commits", ahead, "commits", commits, "files", files);
}

int mh_git_update_branch(mh_repo *r, mh_pull *p, mh_user *who, git_oid *out)
{
    git_commit *base = NULL, *head = NULL;
    git_index *idx = NULL;
    git_tree *tree = NULL;
    git_signature *a = NULL, *c = NULL;
    int rc = -1;
    if (load_commits(r, p, &base, &head) < 0)
        return -1;
    if (mh_git_is_ancestor(r, git_commit_id(base), git_commit_id(head))) {
        *out = *git_commit_id(head); /* already up to date */
        rc = 1;
        goto out;
    }
    if (git_merge_commits(&idx, r->git, head, base, NULL) < 0)
        goto out;
    if (git_index_has_conflicts(idx)) {
        rc = -2;
        goto out;
    }
    git_oid tid;
    char msg[1200];
    snprintf(msg, sizeof msg, "Merge branch '%s' into %s", p->base_ref, p->head_ref);
    if (git_index_write_tree_to(&tid, idx, r->git) == 0 && git_tree_lookup(&tree, r->git, &tid) == 0 &&
        sig_for(&a, who) == 0 && sig_github(&c) == 0) {
        const git_commit *parents[2] = {head, base};
        rc = git_commit_create(out, r->git, NULL, a, c, NULL, msg, tree, 2, parents) == 0 ? 0 : -1;
    }
out:
    git_signature_free(a);
    git_signature_free(c);
    git_tree_free(tree);
    git_index_free(idx);
    git_commit_free(base);
    git_commit_free(head);
    return rc;
}
