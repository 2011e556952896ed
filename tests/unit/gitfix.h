/* gitfix.h -- throwaway git repositories for the conflict and mirror tests (libgit2, no CLI).
 * Header-only (static functions) so each test program stays one file. */
#ifndef LQ_TEST_GITFIX_H
#define LQ_TEST_GITFIX_H

#include <criterion/criterion.h>
#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One change: data NULL deletes path; len 0 means strlen(data). */
typedef struct gf_file {
    const char *path;
    const char *data;
    size_t len;
} gf_file;

static inline void gf_check(int rc, const char *what)
{
    if (rc < 0) {
        const git_error *e = git_error_last();
        cr_assert_fail("%s: %s", what, e && e->message ? e->message : "?");
    }
}

/* A new temporary directory (free() the result). */
static inline char *gf_tmpdir(const char *tag)
{
    char tmpl[256];
    snprintf(tmpl, sizeof tmpl, "/tmp/lq-%s-XXXXXX", tag);
    char *d = mkdtemp(tmpl);
    cr_assert_not_null(d, "mkdtemp");
    return strdup(d);
}

static inline void gf_rm_rf(const char *dir)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}

/* Commits files (applied to parent's tree, or to an empty tree) and moves ref (may be NULL) to
 * the new commit. Returns the commit id. */
static inline git_oid gf_commit(git_repository *r, const char *ref, const git_oid *parent,
                         const char *msg, const gf_file *files, size_t n)
{
    git_index *idx = NULL;
    gf_check(git_index_new(&idx), "index");
    git_commit *pc = NULL;
    if (parent) {
        git_tree *pt = NULL;
        gf_check(git_commit_lookup(&pc, r, parent), "parent");
        gf_check(git_commit_tree(&pt, pc), "parent tree");
        gf_check(git_index_read_tree(idx, pt), "read tree");
        git_tree_free(pt);
    }
    for (size_t i = 0; i < n; i++) {
        if (!files[i].data) {
            gf_check(git_index_remove_bypath(idx, files[i].path), "remove");
            continue;
        }
        git_index_entry e;
        memset(&e, 0, sizeof e);
        e.path = files[i].path;
        e.mode = GIT_FILEMODE_BLOB;
        size_t len = files[i].len ? files[i].len : strlen(files[i].data);
        gf_check(git_blob_create_from_buffer(&e.id, r, files[i].data, len), "blob");
        gf_check(git_index_add(idx, &e), "add");
    }
    git_oid tree_id, id;
    gf_check(git_index_write_tree_to(&tree_id, idx, r), "write tree");
    git_tree *tree = NULL;
    gf_check(git_tree_lookup(&tree, r, &tree_id), "tree");
    git_signature *sig = NULL;
    static int tick;
    gf_check(git_signature_new(&sig, "Test", "test@example.com", 1700000000 + tick++, 0), "sig");
    const git_commit *parents[1] = {pc};
    gf_check(git_commit_create(&id, r, NULL, sig, sig, NULL, msg, tree, pc ? 1 : 0, parents),
             "commit");
    if (ref) {
        git_reference *out = NULL;
        gf_check(git_reference_create(&out, r, ref, &id, 1, "test"), "ref");
        git_reference_free(out);
    }
    git_signature_free(sig);
    git_tree_free(tree);
    git_commit_free(pc);
    git_index_free(idx);
    return id;
}

static inline void gf_hex(char out[41], const git_oid *id)
{
    git_oid_tostr(out, 41, id);
}

#endif
