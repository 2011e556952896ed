/* conflict_report: the author-facing explanation of a merge conflict (pure: no git, no I/O).
 *
 * io/conflicts.c fills an lq_conflict_set from a libgit2 in-memory merge of the pull request's
 * head onto the base tip; this module turns it into
 *   - the Markdown for landq's sticky comment: which files conflict and how (content, add/add,
 *     modify/delete, rename, binary), which commits on the base since the merge base touched
 *     each file and the pull requests they came from, and the exact commands to fix it;
 *   - a one-line summary for the `landq` commit status (GitHub caps descriptions at 140 chars).
 * docs/conflicts.md shows an example. Text that comes from users (paths, commit titles, branch
 * names) is put in code spans or shell quotes, so it cannot mention people or inject Markdown.
 *
 * Ownership: an lq_conflict_set owns every string and array in it (malloc); dispose it with
 * lq_conflict_set_dispose(). Builders return new strings owned by the caller (free()). */
#ifndef LQ_CONFLICT_REPORT_H
#define LQ_CONFLICT_REPORT_H

#include <stddef.h>

#include "error.h"

typedef enum lq_conflict_kind {
    LQ_CONFLICT_CONTENT = 0,   /* both sides changed the same lines (or a binary file) */
    LQ_CONFLICT_ADD_ADD,       /* both sides added the path with different contents */
    LQ_CONFLICT_MODIFY_DELETE, /* one side modified the file, the other deleted it */
    LQ_CONFLICT_RENAME,        /* renamed on one side, renamed/deleted/changed on the other */
    LQ_CONFLICT_OTHER          /* anything else git cannot merge (file vs directory, mode) */
} lq_conflict_kind;
#define LQ_CONFLICT_KIND_COUNT 5

/* "content", "add/add", "modify/delete", "rename", "other". */
const char *lq_conflict_kind_str(lq_conflict_kind k);

typedef struct lq_conflict_commit {
    char sha[41];  /* hex object id on the base branch */
    char *title;   /* owned: first line of the message (may be NULL) */
    int pr;        /* pull request it came from; 0 = unknown */
} lq_conflict_commit;

typedef struct lq_conflict_path {
    char *path;          /* owned: the path as the pull request has it (never NULL) */
    char *base_path;     /* owned: the path on the base when it differs (renames), else NULL */
    char *ancestor_path; /* owned: the path at the merge base when it differs, else NULL */
    lq_conflict_kind kind;
    int binary;          /* one side's version is binary: git cannot merge it line by line */
    int deleted_on_base; /* modify/delete and rename: 1 = the base deleted it, 0 = the PR did */
    size_t *commits;     /* owned: indexes into lq_conflict_set.commits, newest first */
    size_t commit_count;
} lq_conflict_path;

typedef struct lq_conflict_set {
    char base_sha[41];        /* base tip the head was merged onto */
    char head_sha[41];        /* pull request head */
    char merge_base_sha[41];  /* "" when the histories are unrelated */
    lq_conflict_path *paths;  /* owned, sorted by path */
    size_t path_count;        /* paths listed (capped by the analysis) */
    size_t paths_total;       /* conflicting paths found (>= path_count) */
    lq_conflict_commit *commits; /* owned: base commits that touched a listed path */
    size_t commit_count;
    size_t base_commits;      /* commits on the base since the merge base (walked) */
    int walk_truncated;       /* the walk stopped at its cap: older commits are not listed */
} lq_conflict_set;

void lq_conflict_set_dispose(lq_conflict_set *s); /* frees the contents, zeroes it; NULL-safe */

/* The pull request number at the end of a squash title, GitHub style: "Fix it (#123)" -> 123.
 * Trailing white space is ignored. Returns 0 when there is none (or title is NULL). */
int lq_conflict_pr_from_title(const char *title);

typedef struct lq_conflict_report_opts {
    const char *repo;         /* "owner/name" (required) */
    int number;               /* the pull request (required, > 0) */
    const char *base;         /* base branch name, e.g. "main" (required) */
    const char *head_branch;  /* the pull request's branch; NULL/"" = unknown */
    const char *label;        /* landing label, e.g. "land" (required) */
    const char *remote;       /* remote name in the commands; NULL = "origin" (or, for a
                                 fork, "upstream" to fetch the base and "origin" to push) */
    const char *fork;         /* "owner/name" holding the branch when it is not repo (a pull
                                 request from a fork); NULL/"" = repo itself */
    const char *base_url;     /* clone URL of repo, for `git remote add upstream` (fork only);
                                 NULL = not shown */
    int caused_by_pr;         /* early warning: the landing of #N caused it; 0 = not known */
    int label_removed;        /* 1: say the label was removed */
    size_t max_paths;         /* files listed in the comment; 0 = 30 */
    size_t max_commits;       /* base commits listed per file; 0 = 5 */
} lq_conflict_report_opts;

/* Markdown body of the comment (without landq's hidden marker line). LQ_EINVAL when set has no
 * paths or a required option is missing; LQ_ENOMEM. *out owned by the caller. */
int lq_conflict_report_build(char **out, const lq_conflict_set *set,
                             const lq_conflict_report_opts *opts, lq_error *err);

/* Status description, at most cap-1 bytes and never more than 140 characters, cut on a UTF-8
 * boundary: "merge conflict with main: src/a.c (content) and 2 more files". */
void lq_conflict_report_summary(char *out, size_t cap, const lq_conflict_set *set,
                                const char *base);

#endif
