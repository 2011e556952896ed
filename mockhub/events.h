/* events.h -- webhook payload builders (events.c). */
#ifndef MH_EVENTS_H
#define MH_EVENTS_H

#include "mockhub.h"

/* extra (stolen, may be NULL) is merged into the payload: label, changes, before/after. */
void mh_emit_pull(mh_repo *r, mh_pull *p, const char *action, mh_user *sender, json_t *extra);
/* `issues` webhook for a plain issue (opened, edited, closed, reopened, labeled, unlabeled...). */
void mh_emit_issue(mh_repo *r, mh_pull *p, const char *action, mh_user *sender, json_t *extra);
/* `issues` for a plain issue, `pull_request` for a pull request (labels on either). */
void mh_emit_issue_or_pull(mh_repo *r, mh_pull *p, const char *action, mh_user *sender, json_t *extra);
void mh_emit_review(mh_repo *r, mh_pull *p, const json_t *rv, const char *action, mh_user *sender);
void mh_emit_comment(mh_repo *r, mh_pull *p, const json_t *c, const char *action, mh_user *sender,
                     json_t *changes);
/* pull_request_review_comment: created, edited (changes stolen), deleted. */
void mh_emit_review_comment(mh_repo *r, mh_pull *p, const json_t *cm, const char *action, mh_user *sender,
                            json_t *changes);
void mh_emit_status(mh_repo *r, const json_t *s, mh_user *sender);
void mh_emit_check_run(mh_repo *r, const json_t *cr, const char *action, mh_user *sender);
void mh_emit_push(mh_repo *r, const char *fullref, const git_oid *old_oid, const git_oid *new_oid,
                  mh_user *pusher, int forced);
json_t *mh_webhook_review(mh_repo *r, mh_pull *p, const json_t *rv);
const char *mh_combined_state(mh_repo *r, const char *sha, size_t *count);

#endif
