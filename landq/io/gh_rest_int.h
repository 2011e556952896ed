/* gh_rest_int.h -- what gh_rest.c (request plumbing, the ops table) shares with the files
 * that implement the REST operations: gh_rest_pulls.c (pull request reads), gh_rest_repo.c
 * (repository, account and commit reads) and gh_rest_write.c (writes, hook deliveries).
 * Internal to the REST backend: use gh.h. Every op's ctx is the lq_github client. */
#ifndef LQ_GH_REST_INT_H
#define LQ_GH_REST_INT_H

#include <jansson.h>
#include <stdio.h>

#include "gh.h"

static inline const char *jstr(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static inline const char *jpath(const json_t *o, const char *a, const char *b)
{
    return json_string_value(json_object_get(json_object_get(o, a), b));
}

static inline void copy(char *dst, size_t cap, const char *s)
{
    snprintf(dst, cap, "%s", s ? s : "");
}

/* GET returning the JSON of a 200 (*from_cache: answered 304). */
int lq_ghr_get1(lq_github *gh, json_t **out, int *from_cache, const char *path, lq_error *err);
/* GET every page (Link rel="next"); *all_cached: every page answered 304. */
int lq_ghr_get_pages(lq_github *gh, json_t **out, int *all_cached, const char *path,
                     const char *key, size_t max_items, lq_error *err);
/* A write: LQ_OK for a 2xx (*json: the body, may be NULL), LQ_ENOTFOUND for 404, else
 * LQ_ERROR / LQ_ETRANSIENT with the status in the message. */
int lq_ghr_write1(lq_github *gh, json_t **json, const char *method, const char *path,
                  const json_t *body, lq_error *err);
/* Fills out from a comment object of the issues API; LQ_ENOMEM. */
int lq_ghr_comment_of(lq_gh_comment *out, const json_t *c);

/* gh_rest_pulls.c */
int lq_ghr_pull_get(void *ctx, lq_gh_pull *out, const char *repo, int number, lq_error *err);
int lq_ghr_files_list(void *ctx, lq_gh_files *out, const char *repo, int number,
                      size_t max_items, lq_error *err);
int lq_ghr_reviews_list(void *ctx, lq_gh_reviews *out, const char *repo, int number,
                        lq_error *err);
int lq_ghr_issue_events_list(void *ctx, lq_gh_issue_events *out, const char *repo, int number,
                             lq_error *err);
int lq_ghr_commit_pulls(void *ctx, lq_gh_numbers *out, const char *repo, const char *sha,
                        lq_error *err);
int lq_ghr_labeled_pulls(void *ctx, lq_gh_numbers *out, const char *repo, const char *label,
                         lq_error *err);
int lq_ghr_comments_list(void *ctx, lq_gh_comments *out, const char *repo, int number,
                         lq_error *err);

/* gh_rest_repo.c */
int lq_ghr_branch_sha(void *ctx, char out[LQ_GH_SHA_MAX], const char *repo, const char *branch,
                      lq_error *err);
int lq_ghr_content_get(void *ctx, lq_gh_content *out, const char *repo, const char *file,
                       const char *ref, size_t max_bytes, lq_error *err);
int lq_ghr_permission_get(void *ctx, lq_gh_permission *out, const char *repo, const char *login,
                          lq_error *err);
int lq_ghr_team_member(void *ctx, int *out, const char *org, const char *slug, const char *login,
                       lq_error *err);
int lq_ghr_user_email(void *ctx, char **out, const char *login, lq_error *err);
int lq_ghr_self_login(void *ctx, char out[LQ_GH_LOGIN_MAX], lq_error *err);
int lq_ghr_statuses_get(void *ctx, lq_gh_checks *out, const char *repo, const char *sha,
                        lq_error *err);
int lq_ghr_check_runs_list(void *ctx, lq_gh_checks *out, const char *repo, const char *sha,
                           lq_error *err);
int lq_ghr_commit_get(void *ctx, lq_gh_commit *out, const char *repo, const char *sha,
                      lq_error *err);

/* gh_rest_write.c */
int lq_ghr_status_post(void *ctx, const char *repo, const char *sha, const char *state,
                       const char *description, const char *context, lq_error *err);
int lq_ghr_comment_create(void *ctx, lq_gh_comment *out, const char *repo, int number,
                          const char *text, lq_error *err);
int lq_ghr_comment_update(void *ctx, lq_gh_comment *out, const char *repo, int64_t id,
                          const char *text, lq_error *err);
int lq_ghr_label_remove(void *ctx, const char *repo, int number, const char *label,
                        lq_error *err);
int lq_ghr_merge(void *ctx, lq_gh_merge_result *out, const char *repo, int number,
                 const lq_gh_merge_req *req, lq_error *err);
int lq_ghr_deliveries_list(void *ctx, lq_gh_deliveries *out, const char *repo, long long hook,
                           size_t max_items, lq_error *err);
int lq_ghr_redeliver(void *ctx, const char *repo, long long hook, int64_t delivery_id,
                     lq_error *err);

#endif
