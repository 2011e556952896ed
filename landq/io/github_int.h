/* github_int.h -- the REST client's representation, shared by github.c (the client, paging),
 * github_request.c (one request: auth, rate limits, retries), github_exchange.c (one HTTP
 * exchange on libcurl) and github_cache.c (the ETag cache). Not for other modules: use
 * github.h. */
#ifndef LQ_GITHUB_INT_H
#define LQ_GITHUB_INT_H

#include <curl/curl.h>
#include <jansson.h>
#include <stddef.h>

#include "github.h"

#define BODY_MAX ((size_t)64 << 20)  /* refuse answers over 64 MiB */
#define CACHE_BUCKETS 1024
#define CACHE_MAX_ENTRIES 4096
#define RATE_RETRIES_MAX 8            /* rate-limit waits per request before giving up */

typedef struct cache_entry {
    struct cache_entry *next;
    char *url;
    char *etag;
    char *link_next; /* Link rel="next" of the cached page, or NULL */
    json_t *json;
} cache_entry;

struct lq_github {
    CURL *curl;
    char *api_url;
    char *auth_header; /* "Authorization: Bearer ..." (never logged) */
    char *ua_header;
    lq_github_config cfg;
    lq_gh_rate rate;
    cache_entry *cache[CACHE_BUCKETS];
    size_t cache_count;
    unsigned rng;
};

/* Per-exchange buffers filled by the curl callbacks. */
typedef struct exchange {
    char *body;
    size_t len, cap;
    int too_big;
    char etag[256];
    char next[2048];
    char date[64];
    long retry_after; /* -1 when absent */
    long rl_limit, rl_remaining, rl_used, rl_reset;
} exchange;

/* github_exchange.c: one HTTP exchange. Returns the curl code; x filled (the caller sets
 * x's numbers to -1 first). */
CURLcode lq_github_perform(lq_github *gh, exchange *x, const char *method, const char *url,
                           const char *body, const char *etag, const char *auth, long *status);

/* github_cache.c: the cached GET answer for url, or NULL. */
cache_entry *lq_github_cache_find(lq_github *gh, const char *url);
/* Stores (url, etag, next, json); takes a new reference to json. Failures only lose the
 * cache. */
void lq_github_cache_put(lq_github *gh, const char *url, const char *etag, const char *next,
                         json_t *json);

#endif
