/* webhook.h -- the pure part of POST /webhook: given the request's headers and raw body, decide
 * how to answer before anything is stored (signature, size, event and delivery headers, JSON).
 * No I/O; the intake server (landq/io/intake_webhook.c) and the fuzz target call it. */
#ifndef LQ_WEBHOOK_H
#define LQ_WEBHOOK_H

#include <stddef.h>

#include "error.h"

/* GitHub does not deliver payloads over 25 MB; anything larger is refused with 413. */
#define LQ_WEBHOOK_MAX_BODY ((size_t)25 * 1000 * 1000)
#define LQ_WEBHOOK_MAX_EVENT 63     /* fits lq_delivery.event[64] */
#define LQ_WEBHOOK_MAX_DELIVERY 127 /* fits lq_delivery.id[128] */
#define LQ_JSON_MAX_DEPTH 2048      /* same nesting limit as jansson */

/* The request as received; every pointer is borrowed. A missing header is NULL. */
typedef struct lq_webhook_request {
    const char *signature; /* X-Hub-Signature-256 */
    const char *event;     /* X-GitHub-Event */
    const char *delivery;  /* X-GitHub-Delivery */
    const char *body;      /* raw bytes exactly as received (need not be NUL-terminated) */
    size_t body_len;
} lq_webhook_request;

typedef enum lq_webhook_verdict {
    LQ_WEBHOOK_ACCEPT = 0,     /* store it: 202 (200 when the delivery id was seen before) */
    LQ_WEBHOOK_PING,           /* 200, nothing stored */
    LQ_WEBHOOK_NO_SIGNATURE,   /* 401 */
    LQ_WEBHOOK_BAD_SIGNATURE,  /* 401: malformed or not matching */
    LQ_WEBHOOK_TOO_BIG,        /* 413 */
    LQ_WEBHOOK_NO_EVENT,       /* 400 */
    LQ_WEBHOOK_NO_DELIVERY,    /* 400 */
    LQ_WEBHOOK_BAD_HEADER,     /* 400: event or delivery id with unexpected characters/length */
    LQ_WEBHOOK_BAD_JSON,       /* 400 */
    LQ_WEBHOOK_VERDICT_COUNT
} lq_webhook_verdict;

/* Checks req in this order: size, signature (constant-time, see signature.h), event header,
 * delivery header, JSON syntax (the body must be one JSON object), ping. Returns the verdict;
 * for every verdict but ACCEPT and PING, err (if non-NULL) says precisely what is wrong (never
 * quoting the secret). */
lq_webhook_verdict lq_webhook_check(const lq_webhook_request *req, const void *secret,
                                    size_t secret_len, lq_error *err);

int lq_webhook_http_status(lq_webhook_verdict v);  /* 202, 200, 401, 413, 400 */
const char *lq_webhook_reason(lq_webhook_verdict v); /* metric label, e.g. "bad_signature" */

/* Validates that s[0..len) is exactly one JSON object (RFC 8259: strict syntax, valid UTF-8,
 * surrogate pairs matched, no \u0000, nesting <= LQ_JSON_MAX_DEPTH), surrounded only by white
 * space. Allocation-free and fast (no tree is built). LQ_OK or LQ_EINVAL with
 * "<what> at byte N (line L, column C)". */
int lq_json_validate(const char *s, size_t len, lq_error *err);

#endif
