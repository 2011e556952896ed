/* github_request.c -- one request of the GitHub REST client: the token per request (refreshed
 * once after a 401), the rate-limit budget and waits, retries with backoff for GETs, the ETag
 * cache's 304s, and the request counters of /metrics. */
#include "github_int.h"
#include "metrics.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "str.h"

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Sleeps ms in small slices; returns -1 if asked to stop. */
static int nap(lq_github *gh, long ms)
{
    long end = now_ms() + ms;
    for (;;) {
        if (gh->cfg.should_stop && gh->cfg.should_stop(gh->cfg.stop_ctx))
            return -1;
        long left = end - now_ms();
        if (left <= 0)
            return 0;
        if (left > 100)
            left = 100;
        struct timespec ts = {left / 1000, (left % 1000) * 1000000L};
        while (nanosleep(&ts, &ts) && errno == EINTR) {
        }
    }
}

static unsigned jitter(lq_github *gh, unsigned range)
{
    gh->rng = gh->rng * 1103515245u + 12345u;
    return range ? (gh->rng >> 8) % range : 0;
}

/* /metrics: one exchange answered `status` (0 = none). */
static void count_request(lq_github *gh, long status)
{
    if (!gh->cfg.metrics)
        return;
    char l[32];
    snprintf(l, sizeof l, "status=\"%ld\"", status);
    lq_metrics_add(gh->cfg.metrics, "landq_github_requests_total", l, 1);
}

static void count_retry(lq_github *gh)
{
    gh->rate.retries++;
    lq_metrics_add(gh->cfg.metrics, "landq_github_retries_total", NULL, 1);
}

static void note_rate(lq_github *gh, const exchange *x)
{
    if (x->rl_limit >= 0)
        gh->rate.limit = x->rl_limit;
    if (x->rl_remaining >= 0)
        gh->rate.remaining = x->rl_remaining;
    if (x->rl_used >= 0)
        gh->rate.used = x->rl_used;
    if (x->rl_reset >= 0)
        gh->rate.reset = x->rl_reset;
}

static int is_get(const char *method)
{
    return !strcmp(method, "GET");
}

/* Whether a 403/429 is a rate limit, and how long to wait (ms). */
static int rate_limited(lq_github *gh, const exchange *x, long status, long *wait_ms)
{
    if (status != 403 && status != 429)
        return 0;
    if (x->retry_after >= 0) {
        *wait_ms = x->retry_after * 1000 + 1000;
        return 1;
    }
    if (x->rl_remaining == 0) {
        long now = (long)time(NULL);
        long w = x->rl_reset > now ? (x->rl_reset - now) * 1000 + 1000 : 1000;
        *wait_ms = w;
        return 1;
    }
    if (x->body && (strstr(x->body, "secondary rate") || strstr(x->body, "Secondary rate") ||
                    strstr(x->body, "abuse"))) {
        *wait_ms = gh->cfg.secondary_wait_ms +
                   (long)jitter(gh, (unsigned)(gh->cfg.secondary_wait_ms / 4 + 1));
        return 1;
    }
    return 0;
}

int lq_github_request(lq_github *gh, lq_gh_response *out, const char *method, const char *path,
                      const json_t *body, lq_error *err)
{
    memset(out, 0, sizeof(*out));
    char *url = NULL, *payload = NULL;
    if (!strncmp(path, "http://", 7) || !strncmp(path, "https://", 8)) {
        url = lq_strdup(path);
    } else {
        size_t n = strlen(gh->api_url) + strlen(path) + 2;
        url = malloc(n);
        if (url)
            snprintf(url, n, "%s%s%s", gh->api_url, path[0] == '/' ? "" : "/", path);
    }
    if (body)
        payload = json_dumps(body, JSON_COMPACT);
    if (!url || (body && !payload)) {
        free(url);
        free(payload);
        return lq_error_set(err, LQ_ENOMEM, "out of memory");
    }
    int retries = 0, rate_waits = 0, rc = LQ_OK, refreshed = 0;
    char *auth = NULL; /* "Authorization: Bearer ..." from token_cb (wiped after use) */
    for (;;) {
        exchange x;
        memset(&x, 0, sizeof x);
        x.retry_after = x.rl_limit = x.rl_remaining = x.rl_used = x.rl_reset = -1;
        if (gh->cfg.token_cb) {
            enum { AUTH_CAP = 4096 };
            if (!auth && !(auth = calloc(1, AUTH_CAP))) {
                rc = lq_error_set(err, LQ_ENOMEM, "out of memory");
                break;
            }
            static const char pre[] = "Authorization: Bearer ";
            memcpy(auth, pre, sizeof pre);
            lq_error te = {0};
            if (gh->cfg.token_cb(gh->cfg.token_ctx, refreshed == 1, auth + sizeof pre - 1,
                                 AUTH_CAP - sizeof pre, &te)) {
                rc = lq_error_set(err, LQ_ERROR, "%s %s: no token: %s", method, path, te.msg);
                break;
            }
            if (refreshed == 1)
                refreshed = 2;
        }
        /* Never spend past the budget: when the last answer said none is left, wait for the
         * window to reset before asking again (a request then would only earn a 403). */
        if (gh->rate.remaining == 0 && gh->rate.reset > 0) {
            long now = (long)time(NULL);
            if (gh->rate.reset >= now) {
                gh->rate.remaining = -1; /* unknown until the next answer */
                count_retry(gh);
                if (nap(gh, (gh->rate.reset - now) * 1000 + 1000)) {
                    rc = lq_error_set(err, LQ_ERROR, "%s %s: stopped while waiting for the rate "
                                      "limit", method, path);
                    break;
                }
            }
        }
        cache_entry *ce = is_get(method) ? lq_github_cache_find(gh, url) : NULL;
        long status = 0, t0 = now_ms();
        CURLcode cc = lq_github_perform(gh, &x, method, url, payload, ce ? ce->etag : NULL, auth,
                                        &status);
        gh->rate.requests++;
        count_request(gh, status);
        note_rate(gh, &x);
        if (gh->cfg.log)
            gh->cfg.log(gh->cfg.log_ctx, method, url, status, now_ms() - t0,
                        cc != CURLE_OK ? curl_easy_strerror(cc) : status == 304 ? "cached" : NULL);
        long wait = 0;
        if (cc == CURLE_OK && status == 401 && gh->cfg.token_cb && !refreshed) {
            /* The installation token expired or was revoked: fetch a new one, once. */
            free(x.body);
            refreshed = 1;
            continue;
        }
        if (cc == CURLE_OK && status == 304 && ce) {
            gh->rate.not_modified++;
            lq_metrics_add(gh->cfg.metrics, "landq_github_not_modified_total", NULL, 1);
            out->status = 200;
            memcpy(out->date, x.date, sizeof out->date);
            out->json = json_incref(ce->json);
            out->from_cache = 1;
            if (ce->link_next)
                out->next_url = lq_strdup(ce->link_next);
            free(x.body);
            break;
        }
        if (cc == CURLE_OK && rate_limited(gh, &x, status, &wait) &&
            rate_waits < RATE_RETRIES_MAX) {
            free(x.body);
            rate_waits++;
            count_retry(gh);
            if (nap(gh, wait)) {
                rc = lq_error_set(err, LQ_ERROR, "%s %s: stopped while waiting for the rate "
                                  "limit", method, path);
                break;
            }
            continue;
        }
        int transient = cc != CURLE_OK || status >= 500;
        if (transient && is_get(method) && retries < gh->cfg.max_retries) {
            free(x.body);
            long back = gh->cfg.backoff_ms << retries;
            retries++;
            count_retry(gh);
            if (nap(gh, back + (long)jitter(gh, (unsigned)(back / 4 + 1)))) {
                rc = lq_error_set(err, LQ_ERROR, "%s %s: stopped while retrying", method, path);
                break;
            }
            continue;
        }
        out->status = status;
        memcpy(out->date, x.date, sizeof out->date);
        if (x.body && x.len)
            out->json = json_loadb(x.body, x.len, JSON_DECODE_ANY, NULL);
        if (x.next[0])
            out->next_url = lq_strdup(x.next);
        if (cc != CURLE_OK) {
            rc = lq_error_set(err, LQ_ETRANSIENT, "%s %s: %s", method, path,
                              x.too_big ? "answer too large" : curl_easy_strerror(cc));
        } else if (transient && is_get(method)) {
            rc = lq_error_set(err, LQ_ETRANSIENT, "%s %s: GitHub answered %ld after %d retries",
                              method, path, status, retries);
        } else if (status == 200 && is_get(method) && x.etag[0] && out->json) {
            lq_github_cache_put(gh, url, x.etag, x.next, out->json);
        }
        free(x.body);
        break;
    }
    if (auth) {
        volatile char *p = auth;
        while (*p)
            *p++ = 0;
        free(auth);
    }
    free(url);
    free(payload);
    return rc;
}

