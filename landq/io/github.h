/* github: a small GitHub REST client on libcurl (one handle; use from one thread at a time).
 *
 * Every request sends the token (Authorization: Bearer), a User-Agent,
 * Accept: application/vnd.github+json and X-GitHub-Api-Version: 2022-11-28.
 * Rate limits: the x-ratelimit-* headers are recorded; a primary limit (403/429 with
 * x-ratelimit-remaining: 0) waits until x-ratelimit-reset; a secondary limit (403/429 with
 * Retry-After or a "secondary rate limit" message) waits Retry-After seconds, or at least a
 * minute with jitter; then the request is repeated (for every method: GitHub did not act on it).
 * 5xx and network errors are retried with exponential backoff for GET only: for other methods the
 * outcome is unknown and the caller must re-read state before trying again (never merge twice).
 * GETs are cached by URL with ETag / If-None-Match (a 304 costs no rate limit and returns the
 * cached body). Waits are cut short when the stop callback says so (shutdown).
 *
 * The token is never logged, and never appears in lq_error messages. */
#ifndef LQ_GITHUB_H
#define LQ_GITHUB_H

#include <jansson.h>
#include <stddef.h>

#include "error.h"

typedef struct lq_github lq_github;

typedef struct lq_github_config {
    const char *api_url;    /* e.g. "https://api.github.com" (copied; trailing '/' ignored) */
    const char *token;      /* copied; may be NULL/empty (unauthenticated) */
    const char *user_agent; /* copied; default "landq/0.1" */
    long timeout_ms;        /* per request; default 30000 */
    int max_retries;        /* GET retries on 5xx/network; default 4 */
    long secondary_wait_ms; /* minimum wait on a secondary limit without Retry-After; 60000 */
    long backoff_ms;        /* first 5xx backoff, doubled each retry; default 1000 */
    /* Optional: returns non-zero when waits should stop (shutdown). */
    int (*should_stop)(void *ctx);
    void *stop_ctx;
    /* Optional: one call per HTTP exchange, for logs (never sees the token). */
    void (*log)(void *ctx, const char *method, const char *url, long status, long ms,
                const char *note);
    void *log_ctx;
    /* Optional: supplies the token per request instead of .token (GitHub App installation
     * tokens, io/appauth.h). refresh = 1 after a 401: get a new one (the request is then
     * repeated once). Writes a NUL-terminated token into buf[cap]; returns 0, or non-zero with
     * err set, and the request fails with LQ_ERROR and that message. */
    int (*token_cb)(void *ctx, int refresh, char *buf, size_t cap, lq_error *err);
    void *token_ctx;
    /* Optional /metrics registry (borrowed; io/metrics.h): every HTTP exchange of this client is
     * counted in landq_github_requests_total{status} (0 = no answer; a 304 counts as "304"),
     * 304s served from the ETag cache in landq_github_not_modified_total, repeated requests in
     * landq_github_retries_total. Give it to every client of `landq serve`, so no request goes
     * uncounted (the families are declared on lq_github_new). */
    struct lq_metrics *metrics;
} lq_github_config;

typedef struct lq_gh_response {
    long status;     /* HTTP status (200 also for a 304 served from the cache); 0 = no answer */
    json_t *json;    /* parsed body, new reference (NULL when empty or not JSON) */
    char *next_url;  /* Link rel="next", owned (NULL when absent) */
    int from_cache;  /* 1 when GitHub answered 304 */
    char date[64];   /* the Date header of the final answer ("" when absent): GitHub's clock */
} lq_gh_response;

typedef struct lq_gh_rate {
    long limit, remaining, used, reset; /* -1 when not seen yet */
    unsigned long requests, not_modified, retries;
} lq_gh_rate;

int lq_github_new(lq_github **out, const lq_github_config *cfg, lq_error *err);
void lq_github_free(lq_github *gh); /* NULL-safe */

/* One request. path is relative to api_url ("/repos/o/r/pulls/1") or an absolute URL (from a
 * Link header). body (borrowed) is sent as JSON when non-NULL. Returns LQ_OK with out->status
 * set for every HTTP answer that is final (2xx, 3xx, 4xx, or 5xx on a non-GET);
 * LQ_ETRANSIENT when no answer came (network) or GET retries ran out (out->status = last one);
 * LQ_ERROR when stopped while waiting. out must be disposed in every case. */
int lq_github_request(lq_github *gh, lq_gh_response *out, const char *method, const char *path,
                      const json_t *body, lq_error *err);
void lq_gh_response_dispose(lq_gh_response *r); /* NULL-safe */

/* GET following Link rel="next" until the end; *out is a new array holding every element.
 * key selects the array inside an object-wrapped list ("check_runs"), NULL for plain arrays.
 * LQ_ENOTFOUND on 404; LQ_ERROR (message has status and GitHub's message) on other failures. */
int lq_github_get_all(lq_github *gh, json_t **out, const char *path, const char *key,
                      size_t max_items, lq_error *err);

/* GET returning the JSON body of a 200; LQ_ENOTFOUND on 404, LQ_ERROR otherwise. */
int lq_github_get_json(lq_github *gh, json_t **out, const char *path, lq_error *err);

void lq_github_rate(const lq_github *gh, lq_gh_rate *out);

/* Percent-encodes s for a URL path; keep_slash keeps '/' (for {path} / {ref} parameters).
 * Returns a new string (free()) or NULL on allocation failure. */
char *lq_github_escape(const char *s, int keep_slash);

/* Removes the cached GET responses (e.g. after a write that changes them). */
void lq_github_cache_clear(lq_github *gh);

#endif
