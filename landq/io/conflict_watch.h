/* conflict_watch: conflicts found in landq's own git mirror (io/mirror.h, io/conflicts.h)
 * rather than guessed from GitHub's `mergeable: false`: the report that tells an author which
 * files conflict, with which landed pull requests, and how to fix it (docs/conflicts.md), and
 * the early warning after each landing (every other pull request queued for that branch is
 * merged onto the new tip; those that now conflict are told right away).
 *
 * One mirror per served repository, opened on first use and re-opened with a fresh token
 * every 30 minutes under GitHub App authentication. */
#ifndef LQ_CONFLICT_WATCH_H
#define LQ_CONFLICT_WATCH_H

#include <stddef.h>

#include "worker_ctx.h"

/* Merges rec's head (sha, or refs/pull/N/head when NULL or not fetched) onto the tip of its
 * base in the mirror (fetched first when fetch is set). Returns 1 when it conflicts: *text
 * (landq's comment, owned) and summary[cap] (status) are set and head[41] holds the commit
 * checked; 0 when it merges cleanly; -1 when it cannot tell (logged). caused_by: the pull
 * request whose landing revealed it (0 = unknown). */
int lq_conflict_watch_report(lq_worker *w, const lq_pr_record *rec, const char *sha,
                             int caused_by, int fetch, char **text, char *summary, size_t cap,
                             char head[41]);

/* Out of the queue with the conflict report (rec already moved to EJECTED): persisted,
 * audited, label removed, failure status on head, comment. */
void lq_conflict_watch_tell(lq_worker *w, lq_pr_record *rec, const char *text,
                            const char *summary, const char *head);

/* After landings on (repo, base): every queued pull request for that branch that now
 * conflicts is ejected and told. caused_by: the one pull request that landed since the last
 * check (0 when several did: the report then names no culprit). */
void lq_conflict_watch_after_landing(lq_worker *w, const char *repo, const char *base,
                                     int caused_by);

/* The git mirror of repo (opened or re-created on first use), or NULL when unusable (logged).
 * Borrowed: owned by the worker. Also used by predictive mode for its candidates. */
lq_mirror *lq_conflict_watch_mirror(lq_worker *w, const char *repo);

#endif
