/* api.h -- REST handler declarations shared by api.c (route table) and the api_*.c files. */
#ifndef MH_API_H
#define MH_API_H

#include "events.h"
#include "mockhub.h"

/* Ensures c->body is a JSON object (an absent body becomes {}). -1 with 400 set otherwise. */
int need_object(mh_ctx *c);
int git_reference_name_is_valid_compat(const char *name);
/* PATCH /repos/{o}/{r}/issues/{n} for a plain issue (api_issues.c). */
int mh_issue_update_plain(mh_ctx *c, mh_pull *p);
/* Review comments (api_reviews.c): places comment specs in p's diff (new array, without ids), or
 * NULL with GitHub's reason in why; then stores them under a review (emit: webhooks). */
json_t *mh_review_comments_place(mh_repo *r, mh_pull *p, json_t *specs, const char *commit_id, char *why,
                                 size_t whylen);
void mh_review_comments_add(mh_repo *r, mh_pull *p, json_t *placed, json_int_t review_id, mh_user *who, int emit);
/* Text media types (api_git.c): "diff"/"patch" when Accept asks for one, else NULL; and the
 * answers in those types for a pull request, a commit and a comparison. */
const char *mh_text_media(const mh_ctx *c);
int mh_pull_text(mh_ctx *c, mh_pull *p, const char *kind);
int mh_commit_text(mh_ctx *c, const git_oid *oid, const char *kind);
int mh_compare_text(mh_ctx *c, const git_oid *base, const git_oid *head, const char *kind);
/* A review by login was submitted: GitHub drops login's pending review request. */
void mh_review_submitted(mh_repo *r, mh_pull *p, const char *login);

#define H(name) int name(mh_ctx *c);
H(h_meta) H(h_rate_limit) H(h_user) H(h_user_get) H(h_repo_get) H(h_repo_patch)
H(h_branch_get) H(h_branches_list) H(h_ref_get) H(h_refs_matching) H(h_refs_list) H(h_ref_create)
H(h_ref_update) H(h_ref_delete) H(h_commit_get) H(h_commit_status) H(h_commit_statuses) H(h_commit_check_runs) H(h_commit_pulls) H(h_issue_create) H(h_search_issues)
H(h_requested_reviewers_list) H(h_requested_reviewers_add) H(h_requested_reviewers_remove)
H(h_review_comments_list) H(h_review_comments_list_repo) H(h_review_comments_of_review) H(h_review_comment_get)
H(h_review_comment_update) H(h_review_comment_delete) H(h_review_comment_create) H(h_review_comment_reply)
H(h_git_blob_create) H(h_git_tree_get) H(h_git_tree_create) H(h_git_commit_get) H(h_git_commit_create) H(h_commits_list)
H(h_org_get) H(h_org_repos) H(h_branch_protection_get) H(h_branch_protection_checks) H(h_branch_protection_contexts)
H(h_branch_protection_reviews) H(h_branch_protection_admins) H(h_status_create) H(h_check_run_create)
H(h_check_run_get) H(h_check_run_update) H(h_contents_get) H(h_contents_put) H(h_contents_delete) H(h_blob_get)
H(h_team_members) H(h_team_membership) H(h_collab_permission) H(h_collab_check) H(h_hooks_list)
H(h_hook_get) H(h_hook_create) H(h_hook_delete) H(h_hook_ping) H(h_deliveries_list)
H(h_delivery_get) H(h_delivery_redeliver)
H(h_pulls_list) H(h_pull_create) H(h_pull_get) H(h_pull_update) H(h_pull_files) H(h_pull_commits)
H(h_pull_merge) H(h_pull_merged) H(h_reviews_list) H(h_review_create) H(h_review_get)
H(h_review_dismiss) H(h_issues_list) H(h_issue_get) H(h_issue_update) H(h_issue_labels_list)
H(h_issue_labels_add) H(h_issue_labels_set) H(h_issue_label_remove) H(h_issue_labels_clear)
H(h_labels_list) H(h_label_create) H(h_label_get) H(h_comments_list) H(h_comment_create)
H(h_comment_get) H(h_comment_update) H(h_comment_delete) H(h_issue_events) H(h_issue_timeline)
H(h_compare) H(h_team_repo) H(h_repo_teams) H(h_pull_update_branch) H(h_app_installation) H(h_app_token) H(h_app_get) H(h_app_installations) H(h_installation_repos)
#undef H

#endif
