/* The webhook intake HTTP server (libmicrohttpd). CONTRACT used by `landq serve`.
 * POST /webhook: signature check (X-Hub-Signature-256, constant time) -> 401; body > 25 MB -> 413;
 * missing X-GitHub-Event or bad JSON -> 400; ping -> 200; duplicate delivery -> 200 (not stored);
 * stored durably in the inbox -> 202; inbox failure -> 503.
 * GET /healthz: 200 {"status":"ok",...} or 503 with the reasons (health callback below). */
#ifndef LQ_INTAKE_H
#define LQ_INTAKE_H

#include <stddef.h>

#include "error.h"
#include "inbox.h"

typedef struct lq_intake lq_intake;

/* Called for GET /healthz and GET /metrics when set: returns a malloc'd body (caller frees)
 * and sets *status (200/503). May be NULL. */
typedef char *(*lq_intake_page_fn)(void *ctx, const char *path, int *status,
                                   const char **content_type);

typedef struct lq_intake_config {
    const char *listen;        /* "ADDR:PORT" ("127.0.0.1:0" picks a free port) */
    const char *secret;        /* webhook secret (borrowed; never logged) */
    size_t secret_len;
    lq_inbox *inbox;           /* borrowed */
    lq_intake_page_fn page;    /* optional: extra GET pages (/healthz, /metrics) */
    void *page_ctx;
} lq_intake_config;

int lq_intake_start(lq_intake **out, const lq_intake_config *cfg, lq_error *err);
int lq_intake_port(const lq_intake *in); /* the bound TCP port */
/* Stops accepting, finishes in-flight requests, frees. NULL-safe. */
void lq_intake_stop(lq_intake *in);

#endif
