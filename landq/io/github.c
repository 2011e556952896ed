/* github.c -- GitHub REST client: auth, versioning, rate limits, retries, ETag cache, paging. */
#include "github.h"
#include "metrics.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

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

static char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}

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

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *ud)
{
    exchange *x = ud;
    size_t n = size * nmemb;
    if (x->len + n + 1 > BODY_MAX) {
        x->too_big = 1;
        return 0;
    }
    if (x->len + n + 1 > x->cap) {
        size_t cap = x->cap ? x->cap : 4096;
        while (cap < x->len + n + 1)
            cap *= 2;
        char *p = realloc(x->body, cap);
        if (!p)
            return 0;
        x->body = p;
        x->cap = cap;
    }
    memcpy(x->body + x->len, ptr, n);
    x->len += n;
    x->body[x->len] = '\0';
    return n;
}

static int header_is(const char *line, size_t n, const char *name, const char **value,
                     size_t *vlen)
{
    size_t k = strlen(name);
    if (n <= k || strncasecmp(line, name, k) || line[k] != ':')
        return 0;
    const char *v = line + k + 1;
    const char *end = line + n;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
        end--;
    *value = v;
    *vlen = (size_t)(end - v);
    return 1;
}

static long parse_long(const char *v, size_t n)
{
    long r = 0;
    if (n == 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (v[i] < '0' || v[i] > '9')
            return -1;
        if (r > 100000000000L)
            return -1;
        r = r * 10 + (v[i] - '0');
    }
    return r;
}

/* Link: <url>; rel="next", <url>; rel="last" -> the next URL. */
static void parse_link(exchange *x, const char *v, size_t n)
{
    const char *p = v, *end = v + n;
    while (p < end) {
        const char *lt = memchr(p, '<', (size_t)(end - p));
        if (!lt)
            return;
        const char *gt = memchr(lt, '>', (size_t)(end - lt));
        if (!gt)
            return;
        const char *comma = memchr(gt, ',', (size_t)(end - gt));
        const char *seg_end = comma ? comma : end;
        /* look for rel="next" within (gt, seg_end) */
        for (const char *s = gt; s + 10 <= seg_end; s++)
            if (!strncmp(s, "rel=\"next\"", 10)) {
                size_t ul = (size_t)(gt - lt - 1);
                if (ul < sizeof(x->next)) {
                    memcpy(x->next, lt + 1, ul);
                    x->next[ul] = '\0';
                }
                return;
            }
        p = seg_end + (comma ? 1 : 0);
    }
}

static size_t on_header(char *ptr, size_t size, size_t nmemb, void *ud)
{
    exchange *x = ud;
    size_t n = size * nmemb;
    const char *v;
    size_t vl;
    if (n >= 5 && !strncmp(ptr, "HTTP/", 5)) {
        /* A new response (e.g. after a redirect or 100-continue): forget earlier headers. */
        x->etag[0] = x->next[0] = x->date[0] = '\0';
        x->retry_after = x->rl_limit = x->rl_remaining = x->rl_used = x->rl_reset = -1;
        return n;
    }
    if (header_is(ptr, n, "etag", &v, &vl)) {
        if (vl < sizeof(x->etag)) {
            memcpy(x->etag, v, vl);
            x->etag[vl] = '\0';
        }
    } else if (header_is(ptr, n, "date", &v, &vl)) {
        if (vl < sizeof(x->date)) {
            memcpy(x->date, v, vl);
            x->date[vl] = '\0';
        }
    } else if (header_is(ptr, n, "link", &v, &vl)) {
        parse_link(x, v, vl);
    } else if (header_is(ptr, n, "retry-after", &v, &vl)) {
        x->retry_after = parse_long(v, vl);
    } else if (header_is(ptr, n, "x-ratelimit-limit", &v, &vl)) {
        x->rl_limit = parse_long(v, vl);
    } else if (header_is(ptr, n, "x-ratelimit-remaining", &v, &vl)) {
        x->rl_remaining = parse_long(v, vl);
    } else if (header_is(ptr, n, "x-ratelimit-used", &v, &vl)) {
        x->rl_used = parse_long(v, vl);
    } else if (header_is(ptr, n, "x-ratelimit-reset", &v, &vl)) {
        x->rl_reset = parse_long(v, vl);
    }
    return n;
}

/* ---- ETag cache ---- */

static unsigned hash_str(const char *s)
{
    unsigned h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

static cache_entry *cache_find(lq_github *gh, const char *url)
{
    for (cache_entry *e = gh->cache[hash_str(url) % CACHE_BUCKETS]; e; e = e->next)
        if (!strcmp(e->url, url))
            return e;
    return NULL;
}

void lq_github_cache_clear(lq_github *gh)
{
    for (size_t i = 0; i < CACHE_BUCKETS; i++) {
        cache_entry *e = gh->cache[i];
        while (e) {
            cache_entry *n = e->next;
            free(e->url);
            free(e->etag);
            free(e->link_next);
            json_decref(e->json);
            free(e);
            e = n;
        }
        gh->cache[i] = NULL;
    }
    gh->cache_count = 0;
}

/* Stores (url, etag, next, json); takes a new reference to json. Failures only lose the
 * cache. */
static void cache_put(lq_github *gh, const char *url, const char *etag, const char *next,
                      json_t *json)
{
    cache_entry *e = cache_find(gh, url);
    if (e) {
        char *t = xstrdup(etag);
        char *nx = next && *next ? xstrdup(next) : NULL;
        if (!t || (next && *next && !nx)) {
            free(t);
            free(nx);
            return;
        }
        free(e->etag);
        free(e->link_next);
        e->etag = t;
        e->link_next = nx;
        json_decref(e->json);
        e->json = json_incref(json);
        return;
    }
    if (gh->cache_count >= CACHE_MAX_ENTRIES)
        lq_github_cache_clear(gh); /* crude but bounded */
    e = calloc(1, sizeof(*e));
    if (!e)
        return;
    e->url = xstrdup(url);
    e->etag = xstrdup(etag);
    if (!e->url || !e->etag) {
        free(e->url);
        free(e->etag);
        free(e);
        return;
    }
    if (next && *next && !(e->link_next = xstrdup(next))) {
        free(e->url);
        free(e->etag);
        free(e);
        return;
    }
    e->json = json_incref(json);
    unsigned b = hash_str(url) % CACHE_BUCKETS;
    e->next = gh->cache[b];
    gh->cache[b] = e;
    gh->cache_count++;
}

/* ---- public ---- */

int lq_github_new(lq_github **out, const lq_github_config *cfg, lq_error *err)
{
    *out = NULL;
    if (!cfg || !cfg->api_url || !*cfg->api_url)
        return lq_error_set(err, LQ_EINVAL, "github: no API URL");
    lq_github *gh = calloc(1, sizeof(*gh));
    if (!gh)
        return lq_error_set(err, LQ_ENOMEM, "out of memory");
    gh->cfg = *cfg;
    if (gh->cfg.timeout_ms <= 0)
        gh->cfg.timeout_ms = 30000;
    if (gh->cfg.max_retries <= 0)
        gh->cfg.max_retries = 4;
    if (gh->cfg.secondary_wait_ms <= 0)
        gh->cfg.secondary_wait_ms = 60000;
    if (gh->cfg.backoff_ms <= 0)
        gh->cfg.backoff_ms = 1000;
    gh->api_url = xstrdup(cfg->api_url);
    const char *ua = cfg->user_agent && *cfg->user_agent ? cfg->user_agent : "landq/0.1";
    size_t ual = strlen(ua) + 16;
    gh->ua_header = malloc(ual);
    if (gh->ua_header)
        snprintf(gh->ua_header, ual, "User-Agent: %s", ua);
    if (cfg->token && *cfg->token) {
        size_t al = strlen(cfg->token) + 32;
        gh->auth_header = malloc(al);
        if (gh->auth_header)
            snprintf(gh->auth_header, al, "Authorization: Bearer %s", cfg->token);
    }
    gh->curl = curl_easy_init();
    if (!gh->api_url || !gh->ua_header || (cfg->token && *cfg->token && !gh->auth_header) ||
        !gh->curl) {
        lq_github_free(gh);
        return lq_error_set(err, LQ_ENOMEM, "github: cannot set up the HTTP client");
    }
    size_t l = strlen(gh->api_url);
    while (l > 0 && gh->api_url[l - 1] == '/')
        gh->api_url[--l] = '\0';
    gh->rate.limit = gh->rate.remaining = gh->rate.used = gh->rate.reset = -1;
    gh->rng = (unsigned)time(NULL) ^ (unsigned)(uintptr_t)gh;
    if (cfg->metrics) { /* -1 when an earlier client declared them: fine */
        lq_metrics_describe(cfg->metrics, "landq_github_requests_total", LQ_METRIC_COUNTER,
                            "GitHub REST requests (worker, reconciliation, redelivery, webhook "
                            "allowlist, App token exchange), by HTTP status (0 = no answer).",
                            NULL, 0);
        lq_metrics_describe(cfg->metrics, "landq_github_not_modified_total", LQ_METRIC_COUNTER,
                            "GET requests answered 304 and served from the ETag cache.", NULL, 0);
        lq_metrics_describe(cfg->metrics, "landq_github_retries_total", LQ_METRIC_COUNTER,
                            "GitHub requests repeated (rate limits, 5xx, network).", NULL, 0);
        lq_metrics_add(cfg->metrics, "landq_github_not_modified_total", NULL, 0); /* shown at 0 */
        lq_metrics_add(cfg->metrics, "landq_github_retries_total", NULL, 0);
    }
    *out = gh;
    return LQ_OK;
}

void lq_github_free(lq_github *gh)
{
    if (!gh)
        return;
    lq_github_cache_clear(gh);
    if (gh->curl)
        curl_easy_cleanup(gh->curl);
    if (gh->auth_header) {
        /* Do not leave the token lying around in freed memory. */
        volatile char *p = gh->auth_header;
        while (*p)
            *p++ = 0;
        free(gh->auth_header);
    }
    free(gh->api_url);
    free(gh->ua_header);
    free(gh);
}

void lq_gh_response_dispose(lq_gh_response *r)
{
    if (!r)
        return;
    json_decref(r->json);
    free(r->next_url);
    memset(r, 0, sizeof(*r));
}

void lq_github_rate(const lq_github *gh, lq_gh_rate *out)
{
    *out = gh->rate;
}

char *lq_github_escape(const char *s, int keep_slash)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = strlen(s);
    char *o = malloc(n * 3 + 1), *p = o;
    if (!o)
        return NULL;
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if ((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') ||
            *c == '-' || *c == '_' || *c == '.' || *c == '~' || (keep_slash && *c == '/')) {
            *p++ = (char)*c;
        } else {
            *p++ = '%';
            *p++ = hex[*c >> 4];
            *p++ = hex[*c & 15];
        }
    }
    *p = '\0';
    return o;
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

/* One HTTP exchange. Returns the curl code; x filled. */
static CURLcode perform(lq_github *gh, exchange *x, const char *method, const char *url,
                        const char *body, const char *etag, const char *auth, long *status)
{
    CURL *c = gh->curl;
    curl_easy_reset(c);
    struct curl_slist *h = NULL, *t;
    char inm[300];
    int ok = 1;
#define ADD(s)                                   \
    do {                                         \
        if (ok && (t = curl_slist_append(h, s))) \
            h = t;                               \
        else                                     \
            ok = 0;                              \
    } while (0)
    ADD("Accept: application/vnd.github+json");
    ADD("X-GitHub-Api-Version: 2022-11-28");
    ADD(gh->ua_header);
    if (auth)
        ADD(auth);
    else if (gh->auth_header)
        ADD(gh->auth_header);
    if (body)
        ADD("Content-Type: application/json; charset=utf-8");
    if (etag) {
        snprintf(inm, sizeof inm, "If-None-Match: %s", etag);
        ADD(inm);
    }
    ADD("Expect:");
#undef ADD
    if (!ok) {
        curl_slist_free_all(h);
        return CURLE_OUT_OF_MEMORY;
    }
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (!strcmp(method, "GET"))
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    } else if (strcmp(method, "GET")) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, 0L);
        if (!strcmp(method, "DELETE"))
            curl_easy_setopt(c, CURLOPT_POSTFIELDS, NULL);
    }
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, x);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, gh->cfg.timeout_ms);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    /* The token must not follow a redirect to another host: curl drops custom Authorization
     * headers on cross-host redirects unless CURLOPT_UNRESTRICTED_AUTH is set (it is not). */
    CURLcode rc = curl_easy_perform(c);
    *status = 0;
    if (rc == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
    curl_slist_free_all(h);
    return rc;
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
        url = xstrdup(path);
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
        cache_entry *ce = is_get(method) ? cache_find(gh, url) : NULL;
        long status = 0, t0 = now_ms();
        CURLcode cc = perform(gh, &x, method, url, payload, ce ? ce->etag : NULL, auth, &status);
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
                out->next_url = xstrdup(ce->link_next);
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
            out->next_url = xstrdup(x.next);
        if (cc != CURLE_OK) {
            rc = lq_error_set(err, LQ_ETRANSIENT, "%s %s: %s", method, path,
                              x.too_big ? "answer too large" : curl_easy_strerror(cc));
        } else if (transient && is_get(method)) {
            rc = lq_error_set(err, LQ_ETRANSIENT, "%s %s: GitHub answered %ld after %d retries",
                              method, path, status, retries);
        } else if (status == 200 && is_get(method) && x.etag[0] && out->json) {
            cache_put(gh, url, x.etag, x.next, out->json);
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

/* GitHub's error message from a body, for error texts. */
static const char *gh_message(const json_t *j)
{
    const char *m = json_string_value(json_object_get(j, "message"));
    return m ? m : "";
}

int lq_github_get_json(lq_github *gh, json_t **out, const char *path, lq_error *err)
{
    *out = NULL;
    lq_gh_response r;
    int rc = lq_github_request(gh, &r, "GET", path, NULL, err);
    if (rc) {
        lq_gh_response_dispose(&r);
        return rc;
    }
    if (r.status == 404) {
        lq_gh_response_dispose(&r);
        return lq_error_set(err, LQ_ENOTFOUND, "GET %s: not found", path);
    }
    if (r.status != 200 || !r.json) {
        rc = lq_error_set(err, LQ_ERROR, "GET %s: GitHub answered %ld %s", path, r.status,
                          gh_message(r.json));
        lq_gh_response_dispose(&r);
        return rc;
    }
    *out = r.json;
    r.json = NULL;
    lq_gh_response_dispose(&r);
    return LQ_OK;
}

int lq_github_get_all(lq_github *gh, json_t **out, const char *path, const char *key,
                      size_t max_items, lq_error *err)
{
    *out = NULL;
    json_t *all = json_array();
    if (!all)
        return lq_error_set(err, LQ_ENOMEM, "out of memory");
    char *next = xstrdup(path);
    int rc = next ? LQ_OK : lq_error_set(err, LQ_ENOMEM, "out of memory");
    int pages = 0;
    while (!rc && next) {
        lq_gh_response r;
        rc = lq_github_request(gh, &r, "GET", next, NULL, err);
        if (!rc && r.status == 404)
            rc = lq_error_set(err, LQ_ENOTFOUND, "GET %s: not found", path);
        else if (!rc && r.status != 200)
            rc = lq_error_set(err, LQ_ERROR, "GET %s: GitHub answered %ld %s", path, r.status,
                              gh_message(r.json));
        if (!rc) {
            json_t *arr = key ? json_object_get(r.json, key) : r.json;
            if (!json_is_array(arr)) {
                rc = lq_error_set(err, LQ_ERROR, "GET %s: expected a list%s%s", path,
                                  key ? " in " : "", key ? key : "");
            } else if (json_array_extend(all, arr)) {
                rc = lq_error_set(err, LQ_ENOMEM, "out of memory");
            }
        }
        free(next);
        next = NULL;
        if (!rc && r.next_url && ++pages < 1000 && (!max_items || json_array_size(all) < max_items))
            next = xstrdup(r.next_url);
        lq_gh_response_dispose(&r);
    }
    free(next);
    if (rc) {
        json_decref(all);
        return rc;
    }
    *out = all;
    return LQ_OK;
}
