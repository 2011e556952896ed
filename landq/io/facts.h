/* facts: everything a landing decision rests on, gathered from GitHub (io/github.h) with the
 * caches that keep it cheap: the pull request, its labeler and their permission, the base
 * branch's CODEOWNERS (cached per repository and base commit), changed files, reviews, checks,
 * approvers' team memberships and e-mails. The result is an lq_policy_facts for
 * lq_policy_decide() (core/policy.h).
 *
 * Used by the worker (io/evaluate.c) and by `landq explain` (io/explain.c): the same reads, the
 * same caches, the same facts. Nothing here writes to GitHub or to the store.
 *
 * Ownership: lq_facts_src borrows everything it points to; lq_facts owns what it read
 * (lq_facts_dispose), and its .policy points into it. */
#ifndef LQ_FACTS_H
#define LQ_FACTS_H

#include <stddef.h>

#include "error.h"
#include "gh.h"
#include "policy.h"
#include "store.h"

/* CODEOWNERS per (repository, base commit), permissions, team memberships, e-mails. */
typedef struct lq_facts_cache lq_facts_cache;
int lq_facts_cache_new(lq_facts_cache **out, lq_error *err);
void lq_facts_cache_free(lq_facts_cache *c); /* NULL-safe */

/* Where facts come from and the settings that shape them (all borrowed). */
typedef struct lq_facts_src {
    const lq_gh *gh;
    lq_facts_cache *cache;
    const char *const *repos;    /* OWNER/NAME served */
    size_t repo_count;
    const char *label;           /* landing label */
    const char *context;         /* landq's own status context (ignored as a check) */
    const char *const *required; /* required checks (may be empty) */
    size_t required_count;
    const char *priority_label;  /* NULL: priority off */
    int priority_min_rank;       /* lq_config_permission_rank() of priority_min_permission */
} lq_facts_src;

typedef struct lq_facts {
    lq_policy_facts policy;      /* points into the fields below and into src */
    lq_gh_pull pr;               /* the pull request as read */
    lq_gh_files files;
    lq_gh_reviews reviews;
    lq_gh_checks statuses, runs;
    char base_sha[LQ_GH_SHA_MAX];        /* tip of the base branch whose CODEOWNERS was used */
    char codeowners_blob[LQ_GH_SHA_MAX]; /* blob of that CODEOWNERS ("" when none) */
    int64_t label_event_id;              /* the `labeled` event that named the labeler */
    lq_changed_file *files_arr;
    lq_review *reviews_arr;
    lq_check *checks;
    size_t check_count;
    lq_affiliation *affs;
    size_t aff_count;
    char **aff_strings;          /* owned owner names */
    size_t aff_string_count;
    const char **non_writers;    /* borrowed logins (from reviews) */
    size_t non_writer_count;
    char labeler[128];
    /* Priority (src->priority_label): who applied it (issue timeline API, never payloads), their
     * permission (role_name), and whether that is enough (priority). */
    int has_priority_label;
    int priority;
    char priority_labeler[128];
    char priority_permission[32];
    /* Comments carrying landq's marker, as the timeline read by the evaluation listed them (id
     * and author; body NULL), so the next comment write needs no list of the comments first
     * (issue 18). timeline_read: the timeline was read (marked is then complete). */
    lq_gh_comment *marked;
    size_t marked_count;
    int timeline_read;
} lq_facts;

/* Flags of lq_facts_gather(). */
#define LQ_FACTS_ALL 1u   /* every fact, whatever the verdict (`landq explain`); without it the
                             reading stops after the pull request when the verdict can only be
                             IGNORE */
#define LQ_FACTS_FRESH 2u /* bypass the in-process caches of permissions, team memberships and
                             e-mails (the conditional GETs still answer 304 when unchanged):
                             the re-verification right before a merge */

/* Reads everything the policy needs for rec (repo, number; head_sha and base are updated from
 * what GitHub says; labeler and labeled_at_ms from the issue timeline API when rec has no
 * labeler yet). *out must be disposed in every case. LQ_ENOTFOUND when the pull
 * request is gone; LQ_ETRANSIENT / LQ_ERROR when a read failed. */
int lq_facts_gather(lq_facts *out, const lq_facts_src *src, lq_pr_record *rec, unsigned flags,
                    lq_error *err);
void lq_facts_dispose(lq_facts *f); /* NULL-safe; leaves it zeroed */

/* The parsed CODEOWNERS of repo at commit sha, from the same cache as the facts (*out NULL: no
 * file, or one GitHub would not load). Borrowed until the next read through src. LQ_OK, or the
 * read's error (transient: try again later). */
int lq_facts_codeowners(const lq_facts_src *src, const char *repo, const char *sha,
                        const lq_codeowners **out, lq_error *err);

/* Whether repo is one of src's repositories (case-insensitive). */
int lq_facts_repo_served(const lq_facts_src *src, const char *repo);
/* Whether login may write to repo (write, maintain, admin); cached for a minute unless fresh. */
int lq_facts_can_write(const lq_facts_src *src, const char *repo, const char *login, int fresh,
                       int *can, lq_error *err);

/* The latest `labeled` event of label on repo#number (issue timeline API): its actor
 * (login[cap], "" when none), time (*at_ms, 0 when none) and id (*event_id, may be NULL). */
int lq_facts_label_event(const lq_gh *gh, const char *repo, int number, const char *label,
                         char *login, size_t cap, int64_t *at_ms, int64_t *event_id,
                         lq_error *err);

#endif
