/* candidate: the commits a predictive train tests (docs/predictive.md), made with libgit2 in the
 * bare mirror of the repository (io/mirror.h) and pushed to landq/try/... branches, where CI runs.
 *
 * A build's candidate is a chain: the squash of its first PR on `parent` (the base tip, or the
 * candidate of the build ahead), then the squash of the next PR on that, and so on; the last commit
 * is the candidate. A squash is the three-way merge GitHub's squash merge does (merge base of the
 * two, FIND_RENAMES, no merge drivers, no renormalisation) written as one commit with one parent, so
 * that landing the PR through the API gives the same tree (the post-land check verifies it).
 * Candidate commits are deterministic (landq's signature, the parent's commit time): building the
 * same thing again after a restart gives the same commit.
 *
 * Ownership: nothing is kept; the repository and the mirror are borrowed. */
#ifndef LQ_CANDIDATE_H
#define LQ_CANDIDATE_H

#include <git2.h>

#include "error.h"
#include "mirror.h"
#include "train.h"

typedef struct lq_candidate_pr {
    int number;
    const char *head;  /* 40-hex head commit; must be in the mirror (fetch refs/pull/N/head) */
    const char *title; /* for the commit message; may be NULL */
} lq_candidate_pr;

typedef struct lq_candidate_result {
    char shas[LQ_TRAIN_MAX_BATCH][41]; /* per PR: its commit in the chain */
    char tip[41];                      /* the candidate (the last commit) */
    int conflict;                      /* index of the PR that did not apply, or -1 */
    char conflict_paths[600];          /* its conflicting files, comma-separated */
} lq_candidate_result;

/* Builds the chain of prs[0..n) on parent (a commit id of repo). base names the base branch in the
 * commit messages. LQ_OK; LQ_ECONFLICT (out->conflict, out->conflict_paths); LQ_ENOTFOUND when the
 * parent or a head is not in the mirror (fetch it first); LQ_EINVAL; LQ_ERROR. */
int lq_candidate_build(git_repository *repo, const char *parent, const char *base, const lq_candidate_pr *prs,
                       size_t n, lq_candidate_result *out, lq_error *err);

/* Makes the mirror's refs/landq/try/... point at sha and force-pushes it to refs/heads/<ref>
 * (ref = "landq/try/main/default/pr-3"). Errors as lq_mirror_push. */
int lq_candidate_push(lq_mirror *m, const char *ref, const char *sha, lq_error *err);
/* Deletes the branch on the remote and the mirror's local ref (both may already be gone). */
int lq_candidate_delete(lq_mirror *m, const char *ref, lq_error *err);

/* The tree id of a commit. LQ_ENOTFOUND. */
int lq_candidate_tree(git_repository *repo, const char *commit, char out[41], lq_error *err);

/* The tree that landing candidate's own change (its first parent -> itself) on tip must produce:
 * tree(candidate) when tip has the tree of candidate's parent; otherwise (other lanes landed
 * meanwhile) the three-way merge of the change onto tip, which must not conflict nor touch a file
 * the change touches (two edits of one file, even merged cleanly, were never tested together):
 * LQ_ECONFLICT, the candidate is stale, rebuild it. out: 40-hex tree id. */
int lq_candidate_expected_tree(git_repository *repo, const char *candidate, const char *tip, char out[41],
                               lq_error *err);

/* Whether the base moved from `from` to `tip` only through commits accepted by known() (landq's own
 * landings): walks tip's first parents back to from (at most 1000). 1 yes, 0 no (a foreign commit,
 * or from is not a first-parent ancestor); negative on error. tip == from: 1. */
int lq_candidate_moved_by(git_repository *repo, const char *tip, const char *from,
                          int (*known)(void *ctx, const char *sha), void *ctx, lq_error *err);

#endif
