/* feedback: what the worker tells people on GitHub about a pull request: the `landq` commit
 * status, landq's one sticky comment (edited in place), removal of the landing label, and the
 * pull request's place in its branch's queue (texts: core/feedback_text.h).
 *
 * Each write is skipped when it would repeat the last one (rec->status_key, rec->comment_body)
 * and recorded in rec (persisted) when GitHub took it. Failures are logged, never fatal: the
 * next change writes again. */
#ifndef LQ_FEEDBACK_H
#define LQ_FEEDBACK_H

#include <stddef.h>

#include "policy.h"
#include "worker_ctx.h"

/* Posts the `landq` status (state: pending|success|failure|error) on sha unless the same one
 * was posted last. */
void lq_feedback_status(lq_worker *w, lq_pr_record *rec, const char *sha, const char *state,
                        const char *desc);
/* Creates or edits landq's comment on rec with text (a new one when it was deleted). */
void lq_feedback_comment(lq_worker *w, lq_pr_record *rec, const char *text);
/* What a timeline read (io/facts.h: marked, the comments carrying landq's marker) says about
 * landq's comment on rec, when rec does not know its id yet: adopts landq's own one (by its
 * author), or records that there is none (rec->comment_id = -1), so the next comment is
 * written without listing the comments first. Nothing changes when landq's login cannot be
 * told now (the write lists them then). Not saved here: the caller persists rec. */
void lq_feedback_comment_seen(lq_worker *w, lq_pr_record *rec, const lq_gh_comment *marked,
                              size_t marked_count);
/* Removes the landing label (404: already gone, fine). */
void lq_feedback_label_remove(lq_worker *w, lq_pr_record *rec);
/* Queue position of rec on its branch, from the store (0 when not queued). */
void lq_feedback_position(lq_worker *w, const lq_pr_record *rec, size_t *pos, size_t *total);
/* The comment for verdict v (with rec's queue position), written with lq_feedback_comment(). */
void lq_feedback_verdict_comment(lq_worker *w, lq_pr_record *rec, const lq_verdict *v);

#endif
