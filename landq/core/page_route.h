/* page_route: which queue page a request asks for (pure). Every path the ops listener hands to
 * the queue pages is classified here, and anything else gets a precise 400/404/405:
 *
 *   GET  /queue                      the queue (HTML)          GET /api/queue        (JSON)
 *   GET  /queue/OWNER/NAME/N         one pull request (HTML)   GET /api/queue/OWNER/NAME/N
 *   GET  /queue/assets/queue.css, queue.js, favicon.svg
 *   POST /api/freeze, /api/unfreeze  admin API (io/page.c checks the token)
 *
 * OWNER is GitHub's login syntax (letters, digits, '-', at most 39), NAME letters, digits, '.',
 * '-', '_' (at most 100, not "." or ".."), N a decimal number 1..2147483647 without sign or
 * leading zero. A query string longer than LQ_PAGE_QUERY_MAX is refused (400): the pages take
 * no parameters, so a long one is an attack or a mistake. HEAD is accepted where GET is. */
#ifndef LQ_PAGE_ROUTE_H
#define LQ_PAGE_ROUTE_H

#include <stddef.h>

#include "error.h"

#define LQ_PAGE_QUERY_MAX 1024

typedef enum {
    LQ_PAGE_QUEUE,
    LQ_PAGE_QUEUE_JSON,
    LQ_PAGE_PR,
    LQ_PAGE_PR_JSON,
    LQ_PAGE_CSS,
    LQ_PAGE_JS,
    LQ_PAGE_ICON,
    LQ_PAGE_FREEZE,
    LQ_PAGE_UNFREEZE
} lq_page_kind;

typedef struct lq_page_req {
    lq_page_kind kind;
    char repo[141];  /* "OWNER/NAME" for the pull request pages */
    int number;
    int head;        /* HEAD: headers only */
    int json;        /* the answer (or error) is JSON */
} lq_page_req;

/* 200 and *out filled, or the HTTP status to answer (400, 404, 405) with err->msg saying why
 * in a sentence fit for the error page. path excludes the query; query_len is its length. */
int lq_page_route(lq_page_req *out, const char *method, const char *path, size_t query_len,
                  lq_error *err);

/* Whether repo ("OWNER/NAME") has GitHub's syntax. */
int lq_page_repo_ok(const char *repo);

#endif
