/* GitHub App authentication: the RS256 JSON Web Token an App presents to exchange for an
 * installation token (POST /app/installations/{id}/access_tokens). Pure: the caller passes now. */
#ifndef LQ_JWT_H
#define LQ_JWT_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

typedef struct lq_app_key lq_app_key;

/* Loads an RSA private key (PEM, PKCS#1 or PKCS#8, as GitHub's "Generate a private key" gives).
 * LQ_EINVAL with a message that never quotes the key. */
int lq_app_key_load(lq_app_key **out, const char *pem, size_t len, lq_error *err);
void lq_app_key_free(lq_app_key *key); /* NULL-safe */

/* The App JWT: header {"alg":"RS256","typ":"JWT"}, claims {"iat": now-60 (GitHub's advice for
 * clock drift), "exp": now+540 (under GitHub's 10 minute cap), "iss": "APP_ID"} (lq_jwt_times).
 * `now` is landq's best estimate of GitHub's clock: the local clock plus the offset measured by
 * lq_jwt_clock_offset() after a refusal (0 until then). New string in *out (caller frees). */
int lq_jwt_app(char **out, const lq_app_key *key, const char *app_id, int64_t now, lq_error *err);

#define LQ_JWT_BACKDATE_S 60        /* iat = now - 60: GitHub's advice, covers a clock 60 s ahead */
#define LQ_JWT_LIFETIME_S 540       /* exp = now + 540: 60 s under GitHub's 10 minute cap */
#define LQ_JWT_SKEW_MAX_S 86400     /* a Date further off than a day is not trusted */

/* The iat and exp claims lq_jwt_app() signs for `now` (GitHub's clock as landq estimates it). */
void lq_jwt_times(int64_t now, int64_t *iat, int64_t *exp);

/* 1 when GitHub's message (the "message" of a 401 to the token exchange) says it refused the JWT
 * for its time claims, i.e. the clocks differ: it names the 'iat' or the 'exp' claim, as in
 * "'Issued at' claim ('iat') must be an Integer representing a time in the past" (older: "...
 * representing the time that the assertion was issued"), "'Expiration time' claim ('exp') must
 * be a numeric value representing the future time at which the assertion expires" and
 * "'Expiration time' claim ('exp') is too far in the future". 0 otherwise (bad key, app id,
 * NULL). */
int lq_jwt_clock_refusal(const char *message);

/* An HTTP-date (RFC 9110 5.6.7: IMF-fixdate "Sun, 06 Nov 1994 08:49:37 GMT", and the obsolete
 * RFC 850 "Sunday, 06-Nov-94 08:49:37 GMT" and asctime "Sun Nov  6 08:49:37 1994" forms) as unix
 * seconds. LQ_EINVAL naming what is wrong (the text is quoted, it is not secret). */
int lq_http_date_parse(const char *s, int64_t *out, lq_error *err);

/* GitHub's clock minus landq's, from the Date header of GitHub's answer (`date`, may be NULL or
 * empty) and the local clock when the answer arrived: LQ_OK with *offset in seconds (Date has a
 * one-second resolution, so the estimate is within about a second: the 60 s back-dating covers
 * that). LQ_EINVAL when Date is missing or malformed, or further off than LQ_JWT_SKEW_MAX_S. */
int lq_jwt_clock_offset(int64_t *offset, const char *date, int64_t local_now, lq_error *err);

/* base64url without padding, for tests and the verifier: new string (caller frees). */
char *lq_base64url(const unsigned char *data, size_t len);

#endif
