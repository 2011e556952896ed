/* github.c -- GitHub REST client: the client's life (configuration, headers, metrics families),
 * URL escaping, and the JSON helpers on top of one request (GET one, GET all pages). The request
 * itself: github_request.c; the HTTP exchange: github_exchange.c; the ETag cache:
 * github_cache.c. */
#include "github_int.h"
#include "metrics.h"

#include <curl/curl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "str.h"

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
    gh->api_url = lq_strdup(cfg->api_url);
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
    char *next = lq_strdup(path);
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
            next = lq_strdup(r.next_url);
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
