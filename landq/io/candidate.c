/* candidate.c -- candidate commits for predictive testing, built and pushed with libgit2
 * (candidate.h). */
#include "candidate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *git_msg(void)
{
    const git_error *e = git_error_last();
    return e && e->message ? e->message : "unknown libgit2 error";
}

static int parse_oid(git_oid *out, const char *hex, const char *what, lq_error *err)
{
    if (!hex || strlen(hex) != 40 || git_oid_fromstr(out, hex) < 0)
        return lq_error_set(err, LQ_EINVAL, "%s \"%.60s\" is not a 40-hex commit id", what, hex ? hex : "");
    return LQ_OK;
}

static int lookup(git_commit **out, git_repository *repo, const char *hex, const char *what, lq_error *err)
{
    git_oid id;
    int rc = parse_oid(&id, hex, what, err);
    if (rc)
        return rc;
    if (git_commit_lookup(out, repo, &id) < 0)
        return lq_error_set(err, LQ_ENOTFOUND, "%s %.12s is not in the mirror (fetch it first)", what, hex);
    return LQ_OK;
}

/* "a.c, b/c.h" of the conflicting paths of idx, bounded. */
static void conflict_paths(git_index *idx, char *out, size_t n)
{
    out[0] = '\0';
    git_index_conflict_iterator *it = NULL;
    if (git_index_conflict_iterator_new(&it, idx) < 0)
        return;
    const git_index_entry *a, *o, *t;
    size_t used = 0;
    while (git_index_conflict_next(&a, &o, &t, it) == 0) {
        const char *p = o ? o->path : t ? t->path : a ? a->path : "?";
        int w = snprintf(out + used, n - used, "%s%s", used ? ", " : "", p);
        if (w < 0 || (size_t)w >= n - used) {
            out[used] = '\0';
            break;
        }
        used += (size_t)w;
    }
    git_index_conflict_iterator_free(it);
}

static int merge_options(git_merge_options *mo)
{
    if (git_merge_options_init(mo, GIT_MERGE_OPTIONS_VERSION) < 0)
        return -1;
    /* GitHub's squash: renames found, no user merge drivers, no renormalisation */
    mo->flags = GIT_MERGE_FIND_RENAMES;
    mo->file_flags = GIT_MERGE_FILE_DEFAULT;
    mo->file_favor = GIT_MERGE_FILE_FAVOR_NORMAL;
    return 0;
}

/* One squash: head merged onto parent, written as a commit with the single parent. */
static int squash(git_repository *repo, git_commit *parent, git_commit *head, const char *base,
                  const lq_candidate_pr *pr, git_oid *out, char *paths, size_t plen, lq_error *err)
{
    git_merge_options mo;
    git_index *idx = NULL;
    if (merge_options(&mo) < 0 || git_merge_commits(&idx, repo, parent, head, &mo) < 0)
        return lq_error_set(err, LQ_ERROR, "merging #%d onto %.12s: %s", pr->number,
                            git_oid_tostr_s(git_commit_id(parent)), git_msg());
    if (git_index_has_conflicts(idx)) {
        conflict_paths(idx, paths, plen);
        git_index_free(idx);
        return lq_error_set(err, LQ_ECONFLICT, "#%d does not apply: %s", pr->number, paths);
    }
    git_oid tree_id;
    git_tree *tree = NULL;
    git_signature *sig = NULL;
    int rc = LQ_OK;
    const git_signature *pc = git_commit_committer(parent);
    if (git_index_write_tree_to(&tree_id, idx, repo) < 0 || git_tree_lookup(&tree, repo, &tree_id) < 0)
        rc = lq_error_set(err, LQ_ERROR, "writing the tree of #%d: %s", pr->number, git_msg());
    else if (git_signature_new(&sig, "landq", "landq@users.noreply.github.com", pc->when.time, 0) < 0)
        rc = lq_error_set(err, LQ_ERROR, "signature: %s", git_msg());
    if (!rc) {
        char msg[1200], head_hex[41];
        git_oid_tostr(head_hex, sizeof head_hex, git_commit_id(head));
        snprintf(msg, sizeof msg,
                 "landq candidate: #%d %.300s\n\nThe squash of #%d on %.200s, tested before it lands.\n\n"
                 "Landq-PR: %d\nLandq-Head: %s\nLandq-Base: %.200s\n",
                 pr->number, pr->title && *pr->title ? pr->title : "(no title)", pr->number, base, pr->number,
                 head_hex, base);
        const git_commit *parents[1] = {parent};
        if (git_commit_create(out, repo, NULL, sig, sig, "UTF-8", msg, tree, 1, parents) < 0)
            rc = lq_error_set(err, LQ_ERROR, "committing #%d: %s", pr->number, git_msg());
    }
    git_signature_free(sig);
    git_tree_free(tree);
    git_index_free(idx);
    return rc;
}

int lq_candidate_build(git_repository *repo, const char *parent, const char *base, const lq_candidate_pr *prs,
                       size_t n, lq_candidate_result *out, lq_error *err)
{
    memset(out, 0, sizeof *out);
    out->conflict = -1;
    if (n == 0 || n > LQ_TRAIN_MAX_BATCH)
        return lq_error_set(err, LQ_EINVAL, "a build holds 1..%d pull requests", LQ_TRAIN_MAX_BATCH);
    git_commit *cur = NULL;
    int rc = lookup(&cur, repo, parent, "the base", err);
    for (size_t i = 0; !rc && i < n; i++) {
        git_commit *head = NULL, *next = NULL;
        rc = lookup(&head, repo, prs[i].head, "the head of the pull request", err);
        git_oid id;
        if (!rc)
            rc = squash(repo, cur, head, base ? base : "the base", &prs[i], &id, out->conflict_paths,
                        sizeof out->conflict_paths, err);
        if (rc == LQ_ECONFLICT)
            out->conflict = (int)i;
        if (!rc && git_commit_lookup(&next, repo, &id) < 0)
            rc = lq_error_set(err, LQ_ERROR, "reading back the candidate: %s", git_msg());
        if (!rc) {
            git_oid_tostr(out->shas[i], sizeof out->shas[i], &id);
            git_commit_free(cur);
            cur = next;
        }
        git_commit_free(head);
    }
    if (!rc)
        snprintf(out->tip, sizeof out->tip, "%s", out->shas[n - 1]);
    git_commit_free(cur);
    return rc;
}

/* refs/landq/try/... for branch landq/try/..., after checking the name. */
static int local_ref(char *out, size_t n, const char *ref, lq_error *err)
{
    int valid = 0;
    if (!ref || strncmp(ref, "landq/try/", 10) || (size_t)snprintf(out, n, "refs/%s", ref) >= n ||
        git_reference_name_is_valid(&valid, out) < 0 || !valid)
        return lq_error_set(err, LQ_EINVAL, "\"%.200s\" is not a landq/try/ branch name", ref ? ref : "");
    return LQ_OK;
}

int lq_candidate_push(lq_mirror *m, const char *ref, const char *sha, lq_error *err)
{
    char local[400];
    git_oid id;
    int rc = local_ref(local, sizeof local, ref, err);
    if (!rc)
        rc = parse_oid(&id, sha, "the candidate", err);
    if (rc)
        return rc;
    git_reference *r = NULL;
    if (git_reference_create(&r, lq_mirror_repo(m), local, &id, 1, "landq candidate") < 0)
        return lq_error_set(err, LQ_ERROR, "%s: %s", local, git_msg());
    git_reference_free(r);
    char spec[900];
    snprintf(spec, sizeof spec, "+%s:refs/heads/%s", local, ref);
    const char *specs[] = {spec};
    return lq_mirror_push(m, specs, 1, err);
}

int lq_candidate_delete(lq_mirror *m, const char *ref, lq_error *err)
{
    char local[400];
    int rc = local_ref(local, sizeof local, ref, err);
    if (rc)
        return rc;
    char spec[600];
    snprintf(spec, sizeof spec, ":refs/heads/%s", ref);
    const char *specs[] = {spec};
    rc = lq_mirror_push(m, specs, 1, err);
    if (rc)
        return rc;
    git_reference *r = NULL;
    if (git_reference_lookup(&r, lq_mirror_repo(m), local) == 0) {
        git_reference_delete(r);
        git_reference_free(r);
    }
    return LQ_OK;
}

int lq_candidate_tree(git_repository *repo, const char *commit, char out[41], lq_error *err)
{
    git_commit *c = NULL;
    int rc = lookup(&c, repo, commit, "the commit", err);
    if (rc)
        return rc;
    git_oid_tostr(out, 41, git_commit_tree_id(c));
    git_commit_free(c);
    return LQ_OK;
}

/* The paths both diffs touch (old or new side), comma-separated into out; 1 when there is one,
 * 0 none, -1 on a libgit2 error. */
static int same_files(git_repository *repo, git_tree *from, git_tree *a, git_tree *b, char *out, size_t n)
{
    git_diff *da = NULL, *db = NULL;
    size_t o = 0;
    int found = 0;
    out[0] = '\0';
    if (git_diff_tree_to_tree(&da, repo, from, a, NULL) < 0 || git_diff_tree_to_tree(&db, repo, from, b, NULL) < 0) {
        git_diff_free(da);
        return -1;
    }
    for (size_t i = 0; i < git_diff_num_deltas(da); i++) {
        const git_diff_delta *x = git_diff_get_delta(da, i);
        for (size_t k = 0; k < git_diff_num_deltas(db); k++) {
            const git_diff_delta *y = git_diff_get_delta(db, k);
            const char *p = x->new_file.path;
            if (strcmp(p, y->new_file.path) && strcmp(p, y->old_file.path) &&
                strcmp((p = x->old_file.path), y->new_file.path) && strcmp(p, y->old_file.path))
                continue;
            if (o < n)
                o += (size_t)snprintf(out + o, n - o, "%s%s", found ? ", " : "", p);
            found = 1;
            break;
        }
    }
    git_diff_free(da);
    git_diff_free(db);
    return found;
}

int lq_candidate_expected_tree(git_repository *repo, const char *candidate, const char *tip, char out[41],
                               lq_error *err)
{
    git_commit *c = NULL, *t = NULL, *p = NULL;
    git_tree *pt = NULL, *tt = NULL, *ct = NULL;
    git_index *idx = NULL;
    int rc = lookup(&c, repo, candidate, "the candidate", err);
    if (!rc)
        rc = lookup(&t, repo, tip, "the tip", err);
    if (!rc && (git_commit_parentcount(c) != 1 || git_commit_parent(&p, c, 0) < 0))
        rc = lq_error_set(err, LQ_EINVAL, "the candidate %.12s has no single parent", candidate);
    if (!rc && git_oid_equal(git_commit_tree_id(p), git_commit_tree_id(t))) {
        git_oid_tostr(out, 41, git_commit_tree_id(c)); /* the usual case: landed exactly on what it was built on */
        goto done;
    }
    git_merge_options mo;
    if (!rc && (git_commit_tree(&pt, p) < 0 || git_commit_tree(&tt, t) < 0 || git_commit_tree(&ct, c) < 0))
        rc = lq_error_set(err, LQ_ERROR, "reading the trees of %.12s and %.12s: %s", candidate, tip, git_msg());
    if (!rc) { /* two edits of one file, even merged cleanly, were never tested together */
        char paths[400];
        int same = same_files(repo, pt, ct, tt, paths, sizeof paths);
        if (same < 0)
            rc = lq_error_set(err, LQ_ERROR, "comparing %.12s with %.12s: %s", candidate, tip, git_msg());
        else if (same)
            rc = lq_error_set(err, LQ_ECONFLICT, "the base moved under %.12s in the same files: %s", candidate,
                              paths);
    }
    if (!rc && (merge_options(&mo) < 0 || git_merge_trees(&idx, repo, pt, tt, ct, &mo) < 0))
        rc = lq_error_set(err, LQ_ERROR, "merging %.12s onto %.12s: %s", candidate, tip, git_msg());
    if (!rc && git_index_has_conflicts(idx)) {
        char paths[400];
        conflict_paths(idx, paths, sizeof paths);
        rc = lq_error_set(err, LQ_ECONFLICT, "the base moved under %.12s in the same files: %s", candidate, paths);
    }
    git_oid tree_id;
    if (!rc && git_index_write_tree_to(&tree_id, idx, repo) < 0)
        rc = lq_error_set(err, LQ_ERROR, "writing the expected tree: %s", git_msg());
    if (!rc)
        git_oid_tostr(out, 41, &tree_id);
done:
    git_index_free(idx);
    git_tree_free(pt);
    git_tree_free(tt);
    git_tree_free(ct);
    git_commit_free(p);
    git_commit_free(t);
    git_commit_free(c);
    return rc;
}

int lq_candidate_moved_by(git_repository *repo, const char *tip, const char *from,
                          int (*known)(void *ctx, const char *sha), void *ctx, lq_error *err)
{
    git_oid cur, stop;
    int rc = parse_oid(&cur, tip, "the tip", err);
    if (!rc)
        rc = parse_oid(&stop, from, "the base", err);
    if (rc)
        return rc;
    for (int i = 0; i < 1000; i++) {
        if (git_oid_equal(&cur, &stop))
            return 1;
        char hex[41];
        git_oid_tostr(hex, sizeof hex, &cur);
        if (!known || !known(ctx, hex))
            return 0;
        git_commit *c = NULL;
        if (git_commit_lookup(&c, repo, &cur) < 0)
            return lq_error_set(err, LQ_ENOTFOUND, "%.12s is not in the mirror", hex);
        int has = git_commit_parentcount(c) > 0;
        if (has)
            cur = *git_commit_parent_id(c, 0);
        git_commit_free(c);
        if (!has)
            return 0;
    }
    return 0;
}
