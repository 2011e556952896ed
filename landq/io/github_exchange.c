/* github_exchange.c -- one HTTP exchange of the GitHub REST client on libcurl: the request
 * headers (API version, auth, If-None-Match), the answer's body (bounded) and the headers the
 * client acts on (ETag, Link, Date, Retry-After, x-ratelimit-*). */
#include "github_int.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

/* One HTTP exchange. Returns the curl code; x filled. */
CURLcode lq_github_perform(lq_github *gh, exchange *x, const char *method, const char *url,
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
