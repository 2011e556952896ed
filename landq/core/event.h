/* event: a webhook delivery's payload decoded into the few facts the worker acts on (pure).
 *
 * Payloads are hints, never the truth: the worker only learns "this pull request (or this
 * commit) needs a fresh look" from them and re-reads everything over the REST API. Nothing a
 * payload says is trusted for a decision (in particular not `sender`: a replayed or reordered
 * signed delivery can carry anyone's login).
 *
 * Ownership: lq_event owns its arrays (lq_event_dispose); strings are copied out of the JSON,
 * which is freed before lq_event_parse() returns. */
#ifndef LQ_EVENT_H
#define LQ_EVENT_H

#include <stddef.h>

#include "error.h"

typedef enum {
    LQ_EVENT_OTHER = 0,    /* an event landq does not act on (or no repository) */
    LQ_EVENT_PULL_REQUEST, /* pull_request: opened, labeled, synchronize, edited, closed, ... */
    LQ_EVENT_REVIEW,       /* pull_request_review */
    LQ_EVENT_STATUS,       /* status (a commit status) */
    LQ_EVENT_CHECK         /* check_run / check_suite */
} lq_event_kind;

typedef struct lq_event {
    lq_event_kind kind;
    char name[64];      /* X-GitHub-Event as given */
    char action[64];    /* "" when the payload has none */
    char repo[256];     /* repository.full_name ("" when absent) */
    int number;         /* the pull request's number (0 when none) */
    char head_sha[65];  /* pull_request.head.sha, status sha, check head_sha ("" when none) */
    char base_ref[256]; /* pull_request.base.ref ("" when none) */
    char label[256];    /* label.name of labeled / unlabeled ("" otherwise) */
    char context[256];  /* a status's context */
    char sender[128];   /* sender.login: for logs only, never for a decision */
    char **labels;      /* owned: pull_request.labels[].name */
    size_t label_count;
    int *pulls;         /* owned: check_run / check_suite pull_requests[].number */
    size_t pull_count;
} lq_event;

/* Decodes body[0..len) of an event named event (X-GitHub-Event). LQ_OK (unknown events give
 * kind OTHER); LQ_EINVAL when the body is not a JSON object; LQ_ENOMEM. *out is zeroed on
 * failure and must be disposed on success. */
int lq_event_parse(lq_event *out, const char *event, const char *body, size_t len,
                   lq_error *err);
void lq_event_dispose(lq_event *e); /* NULL-safe */

/* Whether the pull request in e carries label (case-insensitive). */
int lq_event_has_label(const lq_event *e, const char *label);

#endif
