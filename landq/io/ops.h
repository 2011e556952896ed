/* The ops listener: landq's HTTP server for operators (`--ops-listen`, default 127.0.0.1:9090),
 * apart from the webhook listener, which faces the internet and serves only POST /webhook (and a
 * bare /healthz). Here: GET /metrics, GET /healthz with the details, and whatever later parts of
 * landq register (queue pages, static assets, Server-Sent Events, an admin API).
 *
 * Route registration API (the listener itself never needs editing):
 *
 *   static void get_queue(void *ctx, const lq_ops_request *req, lq_ops_response *resp)
 *   {
 *       const char *repo = lq_ops_query(req, "repo");          // NULL when absent
 *       char *html = render(ctx, repo);                         // malloc'd
 *       lq_ops_reply(resp, 200, "text/html; charset=utf-8", html, strlen(html)); // takes html
 *   }
 *   lq_ops_route(ops, "GET", "/queue", 0, get_queue, world, &err);
 *   lq_ops_route(ops, "GET", "/queue/", LQ_OPS_PREFIX, get_pr_page, world, &err); // req->rest
 *   lq_ops_route(ops, "POST", "/api/freeze", LQ_OPS_ADMIN, post_freeze, world, &err);
 *
 * - Matching: exact path, or with LQ_OPS_PREFIX every path starting with it (req->rest is the
 *   remainder: "/queue/" matches "/queue/acme/mono/12" with rest "acme/mono/12"). An exact route
 *   wins over a prefix route, a longer prefix over a shorter one. A GET route also answers HEAD
 *   (the body is not sent). A known path with another method gets 405 with Allow; an unknown
 *   path 404. Routes may be added at any time, also while serving (thread-safe).
 * - LQ_OPS_ADMIN: the request must carry "Authorization: Bearer TOKEN" with the configured
 *   admin token (constant-time compare); otherwise 401 (WWW-Authenticate: Bearer). With no
 *   admin token configured, admin routes answer 403 ("admin API disabled") and never run.
 * - Handlers run on the connection's own thread (a thread per connection, at most
 *   max_connections) and may block briefly. They must call exactly one lq_ops_reply*(); a
 *   handler that replies nothing gets a 500. Request bodies (POST/PUT/DELETE) are read in full
 *   before the handler runs (req->body, NUL-terminated; over max_body -> 413, never run).
 * - Streams (Server-Sent Events): lq_ops_reply_stream() with a next() callback, called on the
 *   connection's thread whenever MHD can send more; it may block (e.g. on a condition variable)
 *   but should return within a few seconds, sending an SSE comment (": keep-alive\n\n") when
 *   there is nothing new, and check lq_ops_stopping() so that shutdown is not held up.
 * - Every response carries "X-Content-Type-Options: nosniff" and "Cache-Control: no-store"
 *   unless the handler sets its own Cache-Control; handlers add others (e.g. a
 *   Content-Security-Policy) with lq_ops_add_header().
 *
 * Ownership: lq_ops owns its routes (paths copied) and the admin token copy (wiped on stop);
 * ctx pointers are borrowed and must outlive lq_ops_stop(). */
#ifndef LQ_OPS_H
#define LQ_OPS_H

#include <stddef.h>
#include <sys/types.h>

#include "error.h"

typedef struct lq_ops lq_ops;

typedef struct lq_ops_config {
    const char *listen;       /* "ADDR:PORT", "[V6]:PORT"; port 0 picks a free one */
    const char *admin_token;  /* bearer token for LQ_OPS_ADMIN routes (copied); NULL: none */
    unsigned max_connections; /* default 64 */
    unsigned timeout_s;       /* idle connection timeout, default 60 */
    size_t max_body;          /* request body limit, default 64 KiB */
} lq_ops_config;

typedef struct lq_ops_request {
    const char *method;   /* "GET" (also for HEAD), "POST", ... */
    const char *path;     /* the path, without the query string */
    const char *rest;     /* prefix routes: what follows the prefix; "" otherwise */
    const char *body;     /* request body, NUL-terminated ("" when none) */
    size_t body_len;
    void *conn_;          /* private */
} lq_ops_request;

typedef struct lq_ops_response lq_ops_response;

/* Query-string argument (decoded) or request header (case-insensitive); NULL when absent. */
const char *lq_ops_query(const lq_ops_request *req, const char *name);
const char *lq_ops_header(const lq_ops_request *req, const char *name);
/* Bytes in the query string's arguments (names and values as decoded, plus one separator
 * each): lets a handler refuse huge query strings it does not read. */
size_t lq_ops_query_size(const lq_ops_request *req);

/* Replies with body (malloc'd, taken: freed by lq_ops even on failure; may be NULL when len is
 * 0). content_type is copied. */
void lq_ops_reply(lq_ops_response *resp, int status, const char *content_type, char *body,
                  size_t len);
/* Replies with a copy of a NUL-terminated text. */
void lq_ops_reply_text(lq_ops_response *resp, int status, const char *content_type,
                       const char *text);
/* Adds a response header (copied); before or after the lq_ops_reply* call. */
void lq_ops_add_header(lq_ops_response *resp, const char *name, const char *value);

/* Streams the body: next(ctx, buf, cap) writes up to cap bytes and returns how many (> 0), or
 * 0 at the end of the stream, or -1 on error (the connection is closed). free_ctx(ctx) is
 * called once the stream is over (may be NULL). */
typedef ssize_t (*lq_ops_stream_fn)(void *ctx, char *buf, size_t cap);
void lq_ops_reply_stream(lq_ops_response *resp, int status, const char *content_type,
                         lq_ops_stream_fn next, void *ctx, void (*free_ctx)(void *ctx));

typedef void (*lq_ops_handler)(void *ctx, const lq_ops_request *req, lq_ops_response *resp);

enum {
    LQ_OPS_PREFIX = 1, /* match every path that starts with the route's path */
    LQ_OPS_ADMIN = 2,  /* require the admin bearer token */
};

/* Registers method + path. LQ_EINVAL for a path not starting with '/', an unknown flag or a
 * duplicate (same method, path and prefix-ness). */
int lq_ops_route(lq_ops *ops, const char *method, const char *path, unsigned flags,
                 lq_ops_handler fn, void *ctx, lq_error *err);

/* Binds and starts serving (routes may be registered before or after). LQ_EINVAL for a bad
 * address, LQ_ERROR when it cannot be bound. */
int lq_ops_start(lq_ops **out, const lq_ops_config *cfg, lq_error *err);
int lq_ops_port(const lq_ops *ops); /* the bound TCP port */
int lq_ops_stopping(const lq_ops *ops); /* 1 once lq_ops_stop() began: streams should end */
/* Stops accepting, waits for the connections (streams end at their next check), frees.
 * NULL-safe. */
void lq_ops_stop(lq_ops *ops);

#endif
