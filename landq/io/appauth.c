/* appauth.c -- GitHub App JWT -> installation token, cached and refreshed. */
#include "appauth.h"

#include <jansson.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "github.h"
#include "isotime.h"
#include "jwt.h"

struct lq_appauth {
    char *api_url, *app_id, *installation_id;
    lq_app_key *key;
    long early_s;
    void (*log)(void *ctx, const char *line);
    void *log_ctx;
    pthread_mutex_t lock;
    char *token;        /* cached installation token (owned, wiped on free), or NULL */
    int64_t expires_at; /* unix seconds, GitHub's expires_at in the local clock */
    unsigned long fetched;
    int64_t clock_offset; /* GitHub's clock minus ours (seconds), measured after a refusal */
    struct lq_metrics *metrics;
};

static char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}

static void wipe(char *s)
{
    if (!s)
        return;
    volatile char *p = s;
    while (*p)
        *p++ = 0;
    free(s);
}

static void alog(lq_appauth *a, const char *fmt, ...) LQ_PRINTF(2, 3);
static void alog(lq_appauth *a, const char *fmt, ...)
{
    if (!a->log)
        return;
    char line[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    a->log(a->log_ctx, line);
}

int lq_appauth_new(lq_appauth **out, const lq_appauth_config *cfg, lq_error *err)
{
    *out = NULL;
    if (!cfg || !cfg->api_url || !cfg->app_id || !*cfg->app_id || !cfg->installation_id ||
        !*cfg->installation_id || !cfg->key_pem)
        return lq_error_set(err, LQ_EINVAL, "GitHub App: app id, installation id and private "
                            "key are all required");
    lq_appauth *a = calloc(1, sizeof(*a));
    if (!a)
        return lq_error_set(err, LQ_ENOMEM, "out of memory");
    int rc = lq_app_key_load(&a->key, cfg->key_pem, cfg->key_len, err);
    if (rc) {
        free(a);
        return rc;
    }
    a->api_url = xstrdup(cfg->api_url);
    a->app_id = xstrdup(cfg->app_id);
    a->installation_id = xstrdup(cfg->installation_id);
    a->early_s = cfg->refresh_early_s > 0 ? cfg->refresh_early_s : 300;
    a->log = cfg->log;
    a->log_ctx = cfg->log_ctx;
    a->metrics = cfg->metrics;
    pthread_mutex_init(&a->lock, NULL);
    if (!a->api_url || !a->app_id || !a->installation_id) {
        lq_appauth_free(a);
        return lq_error_set(err, LQ_ENOMEM, "out of memory");
    }
    *out = a;
    return LQ_OK;
}

void lq_appauth_free(lq_appauth *a)
{
    if (!a)
        return;
    if (a->key) /* the mutex exists once the key is loaded and the strings copied */
        pthread_mutex_destroy(&a->lock);
    lq_app_key_free(a->key);
    wipe(a->token);
    free(a->api_url);
    free(a->app_id);
    free(a->installation_id);
    free(a);
}

/* "2026-11-28T09:47:00Z" -> unix seconds; -1 when malformed. */
static int64_t parse_iso(const char *s)
{
    int64_t ms;
    return lq_isotime_parse(s, &ms) == LQ_OK ? ms / 1000 : -1;
}

/* s as a quoted logfmt value into out[cap] (truncated): double quotes and backslashes become
 * single quotes, control characters spaces; GitHub's message and Date are otherwise kept as they
 * came. Returns out. */
static const char *logval(char *out, size_t cap, const char *s)
{
    size_t o = 0;
    for (; s && *s && o + 1 < cap; s++)
        out[o++] = *s == '"' || *s == '\\' ? '\'' : (unsigned char)*s < 0x20 ? ' ' : *s;
    out[o] = '\0';
    return out;
}

/* One POST .../access_tokens with a JWT signed for GitHub's estimated clock (local + offset).
 * *r must be disposed in every case. */
static int exchange(lq_appauth *a, lq_gh_response *r, const char *method, const char *path,
                    lq_error *err)
{
    memset(r, 0, sizeof *r);
    char *jwt = NULL;
    int rc = lq_jwt_app(&jwt, a->key, a->app_id, (int64_t)time(NULL) + a->clock_offset, err);
    if (rc)
        return rc;
    lq_github *gh = NULL;
    lq_github_config gc = {.api_url = a->api_url, .token = jwt,
                           .user_agent = "landq/0.1 (+land queue)", .max_retries = 2,
                           .backoff_ms = 500, .metrics = a->metrics};
    rc = lq_github_new(&gh, &gc, err);
    wipe(jwt);
    if (rc)
        return rc;
    json_t *body = strcmp(method, "GET") ? json_object() : NULL;
    rc = body || !strcmp(method, "GET") ? lq_github_request(gh, r, method, path, body, err)
                                        : lq_error_set(err, LQ_ENOMEM, "out of memory");
    json_decref(body);
    lq_github_free(gh);
    return rc;
}

/* Exchanges a fresh JWT for an installation token. Called with the lock held. */
static int fetch(lq_appauth *a, lq_error *err)
{
    char path[128];
    snprintf(path, sizeof path, "/app/installations/%s/access_tokens", a->installation_id);
    lq_gh_response r;
    int rc = exchange(a, &r, "POST", path, err);
    const char *msg = json_string_value(json_object_get(r.json, "message"));
    if (!rc && r.status == 401 && lq_jwt_clock_refusal(msg)) {
        /* GitHub's clock and ours differ by more than the JWT's margins: measure the offset
         * from its Date header, keep it, sign again and repeat once (@octokit/auth-app). */
        int64_t off = 0;
        lq_error de = {0};
        char v1[80], v2[200];
        if (lq_jwt_clock_offset(&off, r.date, (int64_t)time(NULL), &de) == LQ_OK) {
            alog(a, "msg=\"GitHub refused the App JWT's time claims: correcting for its clock\" "
                 "app_id=%s skew_s=%lld previous_skew_s=%lld github_date=\"%s\" "
                 "github_message=\"%s\"", a->app_id, (long long)off,
                 (long long)a->clock_offset, logval(v1, sizeof v1, r.date),
                 logval(v2, sizeof v2, msg));
            a->clock_offset = off;
            lq_gh_response_dispose(&r);
            rc = exchange(a, &r, "POST", path, err);
            msg = json_string_value(json_object_get(r.json, "message"));
        } else {
            alog(a, "msg=\"GitHub refused the App JWT's time claims and its clock is unknown\" "
                 "app_id=%s error=\"%s\"", a->app_id, logval(v2, sizeof v2, de.msg));
        }
    }
    if (rc) {
        lq_gh_response_dispose(&r);
        return rc;
    }
    const char *tok = json_string_value(json_object_get(r.json, "token"));
    const char *exp = json_string_value(json_object_get(r.json, "expires_at"));
    if (r.status != 201 || !tok || !*tok) {
        rc = lq_error_set(err, r.status >= 500 || r.status == 0 ? LQ_ETRANSIENT : LQ_ERROR,
                          "GitHub App authentication failed: POST %s answered "
                          "%ld%s%s%s", path, r.status, msg ? " (" : "", msg ? msg : "",
                          msg ? ")" : "");
        char first[sizeof err->msg];
        snprintf(first, sizeof first, "%s", err ? err->msg : "");
        if (r.status == 401 && lq_jwt_clock_refusal(msg))
            lq_error_set(err, rc, "%s: the JWT's times do not fit GitHub's clock (GitHub's "
                         "Date: %s; measured skew %lld s): set this machine's clock right "
                         "(NTP)", first, r.date[0] ? r.date : "none", (long long)a->clock_offset);
        else if (r.status == 401)
            lq_error_set(err, rc, "%s: GitHub could not verify landq's JWT: check "
                         "app_id (%s) and that app_private_key_file is a current private key "
                         "of that App", first, a->app_id);
        else if (r.status == 404)
            lq_error_set(err, rc, "%s: no installation %s of App %s (check "
                         "app_installation_id)", first, a->installation_id, a->app_id);
        lq_gh_response_dispose(&r);
        return rc;
    }
    int64_t when = parse_iso(exp);
    char *copy = xstrdup(tok);
    lq_gh_response_dispose(&r);
    if (!copy)
        return lq_error_set(err, LQ_ENOMEM, "out of memory");
    wipe(a->token);
    a->token = copy;
    /* GitHub's expires_at is in its clock: in ours it is offset earlier or later. Unknown
     * expiry: GitHub's tokens live an hour. */
    a->expires_at = when > 0 ? when - a->clock_offset : (int64_t)time(NULL) + 3600;
    a->fetched++;
    alog(a, "msg=\"installation token fetched\" app_id=%s installation=%s expires_in_s=%lld "
         "fetched=%lu", a->app_id, a->installation_id,
         (long long)(a->expires_at - (int64_t)time(NULL)), a->fetched);
    return LQ_OK;
}

int lq_appauth_token(lq_appauth *a, int refresh, char *buf, size_t cap, lq_error *err)
{
    pthread_mutex_lock(&a->lock);
    int rc = LQ_OK;
    int64_t now = (int64_t)time(NULL);
    if (refresh || !a->token || now >= a->expires_at - a->early_s) {
        if (refresh && a->token)
            alog(a, "msg=\"installation token refused (401); fetching a new one\" app_id=%s",
                 a->app_id);
        rc = fetch(a, err);
        if (rc)
            alog(a, "msg=\"cannot get an installation token\" error=\"%s\"", err->msg);
    }
    if (!rc) {
        size_t n = strlen(a->token);
        if (n + 1 > cap)
            rc = lq_error_set(err, LQ_ETOOBIG, "installation token longer than %zu bytes", cap);
        else
            memcpy(buf, a->token, n + 1);
    }
    pthread_mutex_unlock(&a->lock);
    return rc;
}

int lq_appauth_bot_login(lq_appauth *a, char *buf, size_t cap, lq_error *err)
{
    if (cap)
        buf[0] = '\0';
    pthread_mutex_lock(&a->lock); /* the clock offset */
    lq_gh_response r;
    int rc = exchange(a, &r, "GET", "/app", err);
    pthread_mutex_unlock(&a->lock);
    if (rc) {
        lq_gh_response_dispose(&r);
        return rc;
    }
    const char *slug = json_string_value(json_object_get(r.json, "slug"));
    if (r.status != 200 || !slug || !*slug)
        rc = lq_error_set(err, r.status >= 500 || r.status == 0 ? LQ_ETRANSIENT : LQ_ERROR,
                          "GET /app answered %ld without the App's slug", r.status);
    else if ((size_t)snprintf(buf, cap, "%s[bot]", slug) >= cap)
        rc = lq_error_set(err, LQ_ETOOBIG, "App slug longer than %zu bytes", cap);
    lq_gh_response_dispose(&r);
    return rc;
}

int lq_appauth_token_cb(void *ctx, int refresh, char *buf, size_t cap, lq_error *err)
{
    return lq_appauth_token(ctx, refresh, buf, cap, err);
}

int64_t lq_appauth_expires_in(lq_appauth *a)
{
    pthread_mutex_lock(&a->lock);
    int64_t v = a->token ? a->expires_at - (int64_t)time(NULL) : -1;
    pthread_mutex_unlock(&a->lock);
    return v;
}

int64_t lq_appauth_clock_offset(lq_appauth *a)
{
    pthread_mutex_lock(&a->lock);
    int64_t v = a->clock_offset;
    pthread_mutex_unlock(&a->lock);
    return v;
}
