/* feedback_text: the texts landq writes where people look (pure): its sticky pull request
 * comment for each verdict, for a landing and for a merge GitHub refused, and the one-line
 * descriptions of its `landq` commit status. io/feedback.c writes them; nothing here does I/O.
 *
 * Every comment starts with LQ_FEEDBACK_MARKER (an HTML comment, invisible on GitHub) so the
 * worker can find its own comment again after a crash.
 *
 * Ownership: builders return new strings owned by the caller (free()), or NULL when memory ran
 * out; every input is borrowed. */
#ifndef LQ_FEEDBACK_TEXT_H
#define LQ_FEEDBACK_TEXT_H

#include <stddef.h>

#include "policy.h"

#define LQ_FEEDBACK_MARKER "<!-- landq:status -->"

/* What a comment is about. */
typedef struct lq_feedback_pr {
    const char *repo;     /* "owner/name" */
    const char *base;     /* base branch */
    const char *head_sha; /* head commit the verdict is about */
    const char *label;    /* the landing label */
    size_t position;      /* 1-based place in the branch's queue; 0 = not queued */
    size_t queue_length;  /* entries queued on that branch */
} lq_feedback_pr;

/* The sticky comment for a verdict: what state, the reasons, who approved, the next step. */
char *lq_feedback_text_verdict(const lq_verdict *v, const lq_feedback_pr *pr);

/* The comment after a landing: the squash commit and the message it carries. */
char *lq_feedback_text_landed(const char *base, const char *landed_sha, const char *merge_sha,
                              const char *title, const char *message);

/* The comment when GitHub cannot merge it (label removed): quote is GitHub's reason. */
char *lq_feedback_text_refused(const char *label, const char *merge_sha, const char *base,
                               const char *quote);

/* The comment after a safety incident: the merge did not go where landq decided (what: a plain
 * sentence, shown in a code block). Untrusted strings (branch names, what) are rendered so that
 * no backtick in them can end their code span or block. */
char *lq_feedback_text_incident(const char *decided_base, const char *actual_base,
                                const char *merge_sha, const char *what);

/* The marker followed by a prepared report (core/conflict_report.h). */
char *lq_feedback_text_report(const char *report);

#endif
