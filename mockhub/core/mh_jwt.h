/* mh_jwt.h -- GitHub App JWT verification (RS256), pure: the caller passes `now`.
 * GitHub's rules: header alg RS256; claims iat, exp, iss; exp in the future and at most
 * 10 minutes after iat (plus clock-drift slack); iss the app id (number or string) or client id. */
#ifndef MH_JWT_H
#define MH_JWT_H

#include <jansson.h>
#include <stddef.h>
#include <time.h>

/* Returns 1 when the text looks like a JWT (three base64url parts). */
int mh_jwt_looks_like(const char *token);
/* Decodes the claims without verifying (to find the issuer). New reference or NULL. */
json_t *mh_jwt_claims(const char *jwt);
/* Verifies signature and time claims with the PEM public key. Returns 0, or -1 with err set. */
int mh_jwt_verify(const char *jwt, const char *pem_public_key, time_t now, char *err, size_t errlen);

#endif
