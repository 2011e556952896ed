/* The webhook source allowlist: GitHub's published webhook ranges (GET /meta "hooks"), fetched
 * from the configured API, refreshed periodically (conditional requests: a 304 costs nothing),
 * and persisted in the store (store.h: SQLite or PostgreSQL) so that a restart without GitHub
 * still enforces the last good list.
 * With no list ever loaded, every webhook is refused (fail closed).
 * Thread safety: lq_allowlist_check() and lq_allowlist_status() may be called from any thread. */
#ifndef LQ_ALLOWLIST_H
#define LQ_ALLOWLIST_H

#include <stdint.h>
#include <sys/socket.h>

#include "cidr.h"
#include "error.h"

typedef struct lq_allowlist lq_allowlist;

typedef struct lq_allowlist_config {
    const char *api_url;          /* GET {api_url}/meta */
    const char *token;            /* may be NULL: /meta needs none (borrowed) */
    const char *db_path;          /* the db setting: the store keeps the last good list (table
                                     landq_meta_hooks) */
    unsigned refresh_s;           /* default 3600 */
    const lq_cidr_list *proxies;  /* trusted proxies for X-Forwarded-For (copied); may be NULL */
    void (*log)(void *ctx, const char *line); /* one logfmt line per change; may be NULL */
    void *log_ctx;
    struct lq_metrics *metrics;   /* optional: GET /meta counted (lq_github_config.metrics) */
} lq_allowlist_config;

typedef struct lq_allowlist_status {
    int loaded;               /* a list is in force */
    size_t ranges;            /* how many */
    int64_t fetched_at;       /* unix time of the list in force (0 = never) */
    int from_store;           /* the list in force came from the database, not a fetch */
    char last_error[256];     /* why the last fetch failed ("" when it did not) */
} lq_allowlist_status;

/* Loads the persisted list, then fetches in the background right away and every refresh_s. */
int lq_allowlist_start(lq_allowlist **out, const lq_allowlist_config *cfg, lq_error *err);
void lq_allowlist_stop(lq_allowlist *al); /* NULL-safe */

/* 1 when the request may proceed: the client address (peer, or X-Forwarded-For from a trusted
 * proxy) is inside the list. 0 otherwise, and always 0 with no list. */
int lq_allowlist_check(lq_allowlist *al, const struct sockaddr *peer, const char *xff);
/* 1 when addr (already the client address) is inside the list; 0 otherwise or with no list.
 * The webhook intake calls it at accept time and per request (lq_intake_config.allow). */
int lq_allowlist_allows(lq_allowlist *al, const lq_ip *addr);
void lq_allowlist_status_get(lq_allowlist *al, lq_allowlist_status *out);
/* Fetches now (used at start-up and by tests); LQ_OK when a list was loaded. */
int lq_allowlist_refresh(lq_allowlist *al, lq_error *err);

#endif
