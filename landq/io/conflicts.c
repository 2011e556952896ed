/* conflicts.c -- in-memory merge of a pull request onto its base, and who touched the conflicts. */
#include "conflicts.h"

#include <stdlib.h>
#include <string.h>
#include <git2/sys/index.h>
#include <sys/stat.h>

static char *dup_str(const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}

static int git_fail(lq_error *err, const char *what)
{
    const git_error *e = git_error_last();
    return lq_error_set(err, LQ_ERROR, "%s: %s", what, e && e->message ? e->message : "libgit2 error");
}

/* Resolves a revision to a commit. LQ_ENOTFOUND when it is not in the repository. */
static int resolve_commit(git_commit **out, git_repository *repo, const char *spec,
                          const char *what, lq_error *err)
{
    *out = NULL;
    if (!spec || !*spec)
        return lq_error_set(err, LQ_EINVAL, "no %s revision given", what);
    git_object *obj = NULL;
    int rc = git_revparse_single(&obj, repo, spec);
    if (rc == GIT_ENOTFOUND || rc == GIT_EAMBIGUOUS || rc == GIT_EINVALIDSPEC)
        return lq_error_set(err, LQ_ENOTFOUND, "%s %.100s is not in the mirror (%s)", what, spec,
                            rc == GIT_ENOTFOUND ? "not found" : "invalid or ambiguous");
    if (rc < 0)
        return git_fail(err, what);
    rc = git_object_peel((git_object **)out, obj, GIT_OBJECT_COMMIT);
    git_object_free(obj);
    if (rc < 0)
        return lq_error_set(err, LQ_ENOTFOUND, "%s %.100s is not a commit", what, spec);
    return LQ_OK;
}

static int is_binary(git_repository *repo, const git_index_entry *e)
{
    if (!e || !S_ISREG(e->mode))
        return 0;
    git_blob *blob = NULL;
    if (git_blob_lookup(&blob, repo, &e->id) < 0)
        return 0;
    int bin = git_blob_is_binary(blob);
    git_blob_free(blob);
    return bin;
}

static int path_cmp(const void *a, const void *b)
{
    return strcmp(((const lq_conflict_path *)a)->path, ((const lq_conflict_path *)b)->path);
}

/* One conflict entry of the merged index (borrowed from it; any side may be NULL;
 * ours = the base, theirs = the pull request). */
typedef struct triple {
    const git_index_entry *anc, *ours, *theirs;
} triple;

/* Appends p (taking its strings) unless the cap is reached (then frees them). */
static void push_path(lq_conflict_set *s, size_t cap, lq_conflict_path *p)
{
    s->paths_total++;
    if (s->path_count >= cap) {
        free(p->path);
        free(p->base_path);
        free(p->ancestor_path);
        return;
    }
    s->paths[s->path_count++] = *p;
}

static int set_names(lq_conflict_path *p, const char *path, const char *base_path,
                     const char *anc_path)
{
    int want_base = base_path && strcmp(base_path, path);
    int want_anc = anc_path && strcmp(anc_path, path) && (!base_path || strcmp(anc_path, base_path));
    p->path = dup_str(path);
    p->base_path = want_base ? dup_str(base_path) : NULL;
    p->ancestor_path = want_anc ? dup_str(anc_path) : NULL;
    if (!p->path || (want_base && !p->base_path) || (want_anc && !p->ancestor_path)) {
        free(p->path);
        free(p->base_path);
        free(p->ancestor_path);
        return LQ_ENOMEM;
    }
    return LQ_OK;
}

/* Classifies a conflict entry that is not part of a rename. */
static int add_plain(lq_conflict_set *s, size_t cap, git_repository *repo, const triple *t)
{
    const char *path = t->theirs ? t->theirs->path : t->ours ? t->ours->path
                                                 : t->anc ? t->anc->path : NULL;
    if (!path)
        return LQ_OK;
    lq_conflict_path p;
    memset(&p, 0, sizeof p);
    if (t->anc && t->ours && t->theirs)
        p.kind = ((t->ours->mode ^ t->theirs->mode) & S_IFMT) ? LQ_CONFLICT_OTHER
                                                              : LQ_CONFLICT_CONTENT;
    else if (!t->anc && t->ours && t->theirs)
        p.kind = LQ_CONFLICT_ADD_ADD;
    else if (t->anc && (t->ours || t->theirs))
        p.kind = LQ_CONFLICT_MODIFY_DELETE;
    else
        p.kind = LQ_CONFLICT_OTHER;
    p.deleted_on_base = p.kind == LQ_CONFLICT_MODIFY_DELETE && !t->ours;
    p.binary = is_binary(repo, t->ours) || is_binary(repo, t->theirs);
    if (set_names(&p, path, t->ours ? t->ours->path : NULL, t->anc ? t->anc->path : NULL))
        return LQ_ENOMEM;
    push_path(s, cap, &p);
    return LQ_OK;
}

static int name_in(const char *path, const char *const names[3])
{
    for (int i = 0; i < 3; i++)
        if (names[i] && path && !strcmp(names[i], path))
            return 1;
    return 0;
}

/* The entry of one side (0 ancestor, 1 ours, 2 theirs) whose path is name. */
static const git_index_entry *entry_named(const triple *ts, size_t n, const char *name, int side)
{
    for (size_t i = 0; name && i < n; i++) {
        const git_index_entry *e = side == 0 ? ts[i].anc : side == 1 ? ts[i].ours : ts[i].theirs;
        if (e && !strcmp(e->path, name))
            return e;
    }
    return NULL;
}

static int names_differ(const git_index_name_entry *ne)
{
    const char *a = ne->ancestor, *o = ne->ours, *t = ne->theirs;
    return (a && o && strcmp(a, o)) || (a && t && strcmp(a, t)) || (o && t && strcmp(o, t)) ||
           (a && (!o || !t) && (o || t));
}

/* Rename conflicts: libgit2 splits one rename over several conflict entries (one per name) and
 * records the three names in the index's NAME entries (ancestor, ours, theirs). Each NAME entry
 * whose names differ becomes one RENAME item, named as the pull request has it; its conflict
 * entries are then skipped. The rest are classified one by one. */
static int collect(lq_conflict_set *s, size_t cap, git_repository *repo, git_index *idx,
                   const triple *ts, size_t n)
{
    size_t nn = git_index_name_entrycount(idx);
    for (size_t i = 0; i < nn; i++) {
        const git_index_name_entry *ne = git_index_name_get_byindex(idx, i);
        if (!ne || !names_differ(ne))
            continue;
        const char *a = ne->ancestor, *o = ne->ours, *t = ne->theirs;
        lq_conflict_path p;
        memset(&p, 0, sizeof p);
        p.kind = LQ_CONFLICT_RENAME;
        p.deleted_on_base = !o;
        p.binary = is_binary(repo, entry_named(ts, n, o, 1)) ||
                   is_binary(repo, entry_named(ts, n, t, 2));
        if (set_names(&p, t ? t : o ? o : a, o, a))
            return LQ_ENOMEM;
        push_path(s, cap, &p);
    }
    for (size_t k = 0; k < n; k++) {
        int renamed = 0;
        for (size_t i = 0; i < nn && !renamed; i++) {
            const git_index_name_entry *ne = git_index_name_get_byindex(idx, i);
            if (!ne || !names_differ(ne))
                continue;
            const char *names[3] = {ne->ancestor, ne->ours, ne->theirs};
            renamed = (ts[k].anc && name_in(ts[k].anc->path, names)) ||
                      (ts[k].ours && name_in(ts[k].ours->path, names)) ||
                      (ts[k].theirs && name_in(ts[k].theirs->path, names));
        }
        if (!renamed && add_plain(s, cap, repo, &ts[k]))
            return LQ_ENOMEM;
    }
    return LQ_OK;
}

/* Object id and mode of path in tree; 0 found, 1 absent. */
static int entry_of(git_tree *tree, const char *path, git_oid *id, unsigned *mode)
{
    git_tree_entry *e = NULL;
    if (!tree || git_tree_entry_bypath(&e, tree, path) < 0)
        return 1;
    git_oid_cpy(id, git_tree_entry_id(e));
    *mode = (unsigned)git_tree_entry_filemode(e);
    git_tree_entry_free(e);
    return 0;
}

static int touched(git_tree *t, git_tree *parent, const char *path)
{
    if (!path)
        return 0;
    git_oid a, b;
    unsigned ma = 0, mb = 0;
    int ra = entry_of(t, path, &a, &ma), rb = entry_of(parent, path, &b, &mb);
    if (ra != rb)
        return 1;
    return ra == 0 && (ma != mb || !git_oid_equal(&a, &b));
}

/* Records base commit c (once) in s->commits; *cidx is its index. */
static int note_commit(lq_conflict_set *s, git_commit *c, const git_oid *id, long *cidx,
                       const lq_conflicts_opts *o)
{
    if (*cidx >= 0)
        return LQ_OK;
    lq_conflict_commit *nc = realloc(s->commits, (s->commit_count + 1) * sizeof(*nc));
    if (!nc)
        return LQ_ENOMEM;
    s->commits = nc;
    lq_conflict_commit *cc = &nc[s->commit_count];
    memset(cc, 0, sizeof(*cc));
    git_oid_tostr(cc->sha, sizeof cc->sha, id);
    const char *summary = git_commit_summary(c);
    if (summary && !(cc->title = dup_str(summary)))
        return LQ_ENOMEM;
    cc->pr = lq_conflict_pr_from_title(summary);
    if (!cc->pr && o && o->pr_lookup) {
        int pr = 0;
        if (o->pr_lookup(o->pr_ctx, cc->sha, summary, &pr) == 0 && pr > 0)
            cc->pr = pr;
    }
    *cidx = (long)s->commit_count++;
    return LQ_OK;
}

/* Walks the base from its tip back to the merge base and records, for each listed path, the
 * commits whose first-parent diff changed it under any of its names. */
static int attribute(lq_conflict_set *s, git_repository *repo, const git_oid *base,
                     const git_oid *mb, const lq_conflicts_opts *o, lq_error *err)
{
    size_t max_walk = o && o->max_walk ? o->max_walk : 2000;
    size_t max_per = o && o->max_commits_per_path ? o->max_commits_per_path : 20;
    git_revwalk *walk = NULL;
    int rc = LQ_OK;
    size_t *caps = calloc(s->path_count + 1, sizeof(*caps));
    if (!caps)
        return lq_error_set(err, LQ_ENOMEM, "out of memory");
    if (git_revwalk_new(&walk, repo) < 0 ||
        git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_TIME) < 0 ||
        git_revwalk_push(walk, base) < 0 || (mb && git_revwalk_hide(walk, mb) < 0)) {
        rc = git_fail(err, "walking the base branch");
        goto out;
    }
    git_oid id;
    while (rc == LQ_OK && git_revwalk_next(&id, walk) == 0) {
        if (s->base_commits >= max_walk) {
            s->walk_truncated = 1;
            break;
        }
        s->base_commits++;
        git_commit *c = NULL, *parent = NULL;
        git_tree *t = NULL, *pt = NULL;
        if (git_commit_lookup(&c, repo, &id) < 0 || git_commit_tree(&t, c) < 0) {
            git_commit_free(c);
            rc = git_fail(err, "reading a base commit");
            break;
        }
        if (git_commit_parentcount(c) > 0 && git_commit_parent(&parent, c, 0) == 0 &&
            git_commit_tree(&pt, parent) < 0)
            pt = NULL;
        long cidx = -1;
        for (size_t k = 0; k < s->path_count && rc == LQ_OK; k++) {
            lq_conflict_path *p = &s->paths[k];
            if (p->commit_count >= max_per)
                continue;
            if (!touched(t, pt, p->base_path ? p->base_path : p->path) &&
                !touched(t, pt, p->ancestor_path) && !(p->base_path && touched(t, pt, p->path)))
                continue;
            if ((rc = note_commit(s, c, &id, &cidx, o)))
                break;
            if (p->commit_count >= caps[k]) {
                size_t nc = caps[k] ? caps[k] * 2 : 4;
                size_t *np = realloc(p->commits, nc * sizeof(*np));
                if (!np) {
                    rc = LQ_ENOMEM;
                    break;
                }
                p->commits = np;
                caps[k] = nc;
            }
            p->commits[p->commit_count++] = (size_t)cidx;
        }
        git_tree_free(t);
        git_tree_free(pt);
        git_commit_free(parent);
        git_commit_free(c);
        if (rc == LQ_ENOMEM)
            lq_error_set(err, rc, "out of memory");
    }
out:
    free(caps);
    git_revwalk_free(walk);
    return rc;
}

int lq_conflicts_check(lq_conflict_set *out, git_repository *repo, const char *base,
                       const char *head, const lq_conflicts_opts *o, lq_error *err)
{
    memset(out, 0, sizeof(*out));
    if (!repo)
        return lq_error_set(err, LQ_EINVAL, "no repository");
    size_t cap = o && o->max_paths ? o->max_paths : 100;
    git_commit *bc = NULL, *hc = NULL;
    git_index *idx = NULL;
    git_index_conflict_iterator *it = NULL;
    triple *ts = NULL;
    int rc = resolve_commit(&bc, repo, base, "base", err);
    if (!rc)
        rc = resolve_commit(&hc, repo, head, "head", err);
    if (rc)
        goto out;
    git_oid_tostr(out->base_sha, sizeof out->base_sha, git_commit_id(bc));
    git_oid_tostr(out->head_sha, sizeof out->head_sha, git_commit_id(hc));
    git_oid mb;
    int has_mb = git_merge_base(&mb, repo, git_commit_id(bc), git_commit_id(hc)) == 0;
    if (has_mb)
        git_oid_tostr(out->merge_base_sha, sizeof out->merge_base_sha, &mb);

    git_merge_options mo;
    git_merge_options_init(&mo, GIT_MERGE_OPTIONS_VERSION);
    mo.flags = GIT_MERGE_FIND_RENAMES;
    if (git_merge_commits(&idx, repo, bc, hc, &mo) < 0) {
        rc = git_fail(err, "merging the head onto the base");
        goto out;
    }
    if (!git_index_has_conflicts(idx))
        goto out;
    out->paths = calloc(cap, sizeof(*out->paths));
    if (!out->paths) {
        rc = lq_error_set(err, LQ_ENOMEM, "out of memory");
        goto out;
    }
    if (git_index_conflict_iterator_new(&it, idx) < 0) {
        rc = git_fail(err, "listing conflicts");
        goto out;
    }
    const git_index_entry *anc, *ours, *theirs;
    size_t nt = 0, tcap = 0;
    int nrc;
    while ((nrc = git_index_conflict_next(&anc, &ours, &theirs, it)) == 0) {
        if (nt == tcap) {
            size_t nc = tcap ? tcap * 2 : 16;
            triple *n2 = realloc(ts, nc * sizeof(*n2));
            if (!n2) {
                rc = lq_error_set(err, LQ_ENOMEM, "out of memory");
                goto out;
            }
            ts = n2;
            tcap = nc;
        }
        ts[nt++] = (triple){anc, ours, theirs};
    }
    if (nrc != GIT_ITEROVER) {
        rc = git_fail(err, "listing conflicts");
        goto out;
    }
    if ((rc = collect(out, cap, repo, idx, ts, nt))) {
        lq_error_set(err, rc, "out of memory");
        goto out;
    }
    qsort(out->paths, out->path_count, sizeof(*out->paths), path_cmp);
    rc = attribute(out, repo, git_commit_id(bc), has_mb ? &mb : NULL, o, err);
out:
    free(ts);
    git_index_conflict_iterator_free(it);
    git_index_free(idx);
    git_commit_free(bc);
    git_commit_free(hc);
    if (rc)
        lq_conflict_set_dispose(out);
    return rc;
}
