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

#include <jansson.h>
#include <stddef.h>

#include "error.h"
#include "github.h"
#include "policy.h"
#include "store.h"

/* CODEOWNERS per (repository, base commit), permissions, team memberships, e-mails. */
typedef struct lq_facts_cache lq_facts_cache;
int lq_facts_cache_new(lq_facts_cache **out, lq_error *err);
void lq_facts_cache_free(lq_facts_cache *c); /* NULL-safe */

/* Where facts come from and the settings that shape them (all borrowed). */
typedef struct lq_facts_src {
    lq_github *gh;
    lq_facts_cache *cache;
    const char *const *repos;    /* OWNER/NAME served */
    size_t repo_count;
    const char *label;           /* landing label */
    const char *context;         /* landq's own status context (ignored as a check) */
    const char *const *required; /* required checks (may be empty) */
    size_t required_count;
} lq_facts_src;

typedef struct lq_facts {
    lq_policy_facts policy;      /* points into the fields below and into src */
    json_t *pr;                  /* the pull request as read (GET pulls/N) */
    json_t *files, *reviews, *status, *runs;
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
} lq_facts;

typedef enum {
    LQ_FACTS_IF_QUEUED, /* stop after the pull request when the verdict can only be IGNORE */
    LQ_FACTS_ALL        /* every fact, whatever the verdict (`landq explain`) */
} lq_facts_depth;

/* Reads everything the policy needs for rec (repo, number; head_sha, base, labeler and
 * labeled_at_ms are updated from what GitHub says). *out must be disposed in every case.
 * LQ_ENOTFOUND when the pull request is gone; LQ_ETRANSIENT / LQ_ERROR when a read failed. */
int lq_facts_gather(lq_facts *out, const lq_facts_src *src, lq_pr_record *rec,
                    lq_facts_depth depth, lq_error *err);
void lq_facts_dispose(lq_facts *f); /* NULL-safe; leaves it zeroed */

/* Whether repo is one of src's repositories (case-insensitive). */
int lq_facts_repo_served(const lq_facts_src *src, const char *repo);
/* Whether labels (a JSON array of names or of {"name": ...}) holds label (case-insensitive). */
int lq_facts_has_label(const char *label, const json_t *labels);
/* Whether login may write to repo (write, maintain, admin); cached for a minute. */
int lq_facts_can_write(const lq_facts_src *src, const char *repo, const char *login, int *can,
                       lq_error *err);

#endif
