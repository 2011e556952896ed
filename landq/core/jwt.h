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
 * clock drift), "exp": now+540 (under GitHub's 10 minute cap), "iss": "APP_ID"}. New string in
 * *out (caller frees). */
int lq_jwt_app(char **out, const lq_app_key *key, const char *app_id, int64_t now, lq_error *err);

/* base64url without padding, for tests and the verifier: new string (caller frees). */
char *lq_base64url(const unsigned char *data, size_t len);

#endif
