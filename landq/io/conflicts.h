/* conflicts: merge-conflict analysis of a pull request with libgit2, in memory.
 *
 * lq_conflicts_check() merges the head onto the base tip with git_merge_commits (rename
 * detection on, no working tree, nothing written to the repository), lists the conflicting
 * paths with their kind (content, add/add, modify/delete, rename; binary flagged), and for each
 * path the commits on the base since the merge base that changed it, with the pull request each
 * came from: the " (#N)" suffix of its title (GitHub's squash title), else the lookup callback
 * (landq's store of landed commits, or GET /repos/{o}/{r}/commits/{sha}/pulls).
 *
 * The caller initializes libgit2 (git_libgit2_init; lq_mirror_open does) and owns the
 * repository. Use from one thread at a time per repository. */
#ifndef LQ_CONFLICTS_H
#define LQ_CONFLICTS_H

#include <git2.h>
#include <stddef.h>

#include "conflict_report.h"
#include "error.h"

/* Returns the pull request that landed commit sha (hex) in *pr (0 = unknown). A non-zero return
 * is ignored (the commit stays unattributed). */
typedef int (*lq_conflicts_pr_lookup)(void *ctx, const char *sha, const char *title, int *pr);

typedef struct lq_conflicts_opts {
    size_t max_paths;          /* paths analysed and kept; 0 = 100 */
    size_t max_walk;           /* base commits walked back from the tip; 0 = 2000 */
    size_t max_commits_per_path; /* 0 = 20 */
    lq_conflicts_pr_lookup pr_lookup; /* optional */
    void *pr_ctx;
} lq_conflicts_opts;

/* Merges head onto base (each a revision: hex SHA or ref name such as "refs/heads/main").
 * *out is filled in every LQ_OK case: path_count == 0 means it merges cleanly. LQ_ENOTFOUND when
 * a revision is missing from the repository (fetch first); LQ_ERROR on libgit2 failures (message
 * from libgit2). out is zeroed on failure. opts may be NULL. */
int lq_conflicts_check(lq_conflict_set *out, git_repository *repo, const char *base,
                       const char *head, const lq_conflicts_opts *opts, lq_error *err);

#endif
