/* appauth: GitHub App authentication for landq serve (and the one-shot commands).
 *
 * From the App's id and private key (PEM) it signs an RS256 JWT (core/jwt.h: iat = now - 60,
 * exp = now + 540, so a clock skew of up to a minute either way is tolerated) and exchanges it
 * for an installation token (POST /app/installations/{id}/access_tokens). Larger skews: when
 * GitHub answers 401 naming the JWT's 'iat' or 'exp' claim, the offset between GitHub's clock
 * (its Date header) and ours is measured, logged (skew_s=N), kept for every later JWT, and the
 * exchange is signed again and repeated once (as @octokit/auth-app does). The token is cached
 * and replaced 5 minutes before its expires_at, or at once when a request got a 401
 * (lq_github_config.token_cb with refresh = 1: lq_appauth_token_cb is that callback).
 *
 * Thread safety: one lq_appauth may serve several lq_github clients on several threads (a
 * mutex guards the cached token). Neither the key nor a token is ever logged or put in an
 * lq_error message. */
#ifndef LQ_APPAUTH_H
#define LQ_APPAUTH_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

typedef struct lq_appauth lq_appauth;

typedef struct lq_appauth_config {
    const char *api_url;         /* GitHub REST base URL (copied) */
    const char *app_id;          /* copied */
    const char *installation_id; /* copied */
    const char *key_pem;         /* private key text (borrowed for the call) */
    size_t key_len;
    long refresh_early_s;        /* replace the token this long before it expires; 0 = 300 */
    struct lq_metrics *metrics;  /* optional: token exchanges counted (lq_github_config) */
    /* Optional: one line per token fetched / failure (never the token). */
    void (*log)(void *ctx, const char *line);
    void *log_ctx;
} lq_appauth_config;

/* Loads the key (LQ_EINVAL naming the problem, never quoting the key). No network yet. */
int lq_appauth_new(lq_appauth **out, const lq_appauth_config *cfg, lq_error *err);
void lq_appauth_free(lq_appauth *a); /* NULL-safe; wipes the cached token */

/* The current installation token into buf[cap] (NUL-terminated), fetching a new one when there
 * is none, it expires within refresh_early_s, or refresh != 0. LQ_ERROR with GitHub's status
 * and message when GitHub refuses the exchange (e.g. 401: a JWT it could not verify: wrong key
 * or app id; 404: no such installation); LQ_ETRANSIENT when GitHub did not answer or answered
 * 5xx; LQ_ETOOBIG when cap is too small. */
int lq_appauth_token(lq_appauth *a, int refresh, char *buf, size_t cap, lq_error *err);

/* The App's bot login, "<slug>[bot]" (GET /app with a JWT), into buf[cap]: the account its
 * installation tokens act as (landq's own comments are written by it). */
int lq_appauth_bot_login(lq_appauth *a, char *buf, size_t cap, lq_error *err);

/* lq_github_config.token_cb adapter: ctx is the lq_appauth. */
int lq_appauth_token_cb(void *ctx, int refresh, char *buf, size_t cap, lq_error *err);

/* Seconds until the cached token expires (negative when expired or none): for /metrics. */
int64_t lq_appauth_expires_in(lq_appauth *a);

/* GitHub's clock minus ours, as last measured from a refused exchange (0 until then). */
int64_t lq_appauth_clock_offset(lq_appauth *a);

#endif
