/* mh_jwt.h -- GitHub App JWT verification (RS256), pure: the caller passes `now` (GitHub's
 * clock: mockhub's plus POST /_mockhub/clock's skew).
 * GitHub's rules: header alg RS256; claims iat, exp, iss (the app id, number or string, or the
 * client id); the signature is checked first, then, against GitHub's clock and with no slack:
 * iat not in the future, exp in the future, exp at most 10 minutes ahead. Each failure has
 * GitHub's message (the body of the 401), so clients that correct their clock from the Date
 * header (@octokit/auth-app, landq) can recognise it. */
#ifndef MH_JWT_H
#define MH_JWT_H

#include <jansson.h>
#include <stddef.h>
#include <time.h>

/* Returns 1 when the text looks like a JWT (three base64url parts). */
#define MH_JWT_MAX_AHEAD_S 600
#define MH_JWT_ERR_IAT "'Issued at' claim ('iat') must be an Integer representing a time in the past"
#define MH_JWT_ERR_EXP_PAST                                                                    \
    "'Expiration time' claim ('exp') must be a numeric value representing the future time at " \
    "which the assertion expires"
#define MH_JWT_ERR_EXP_FAR "'Expiration time' claim ('exp') is too far in the future"

int mh_jwt_looks_like(const char *token);
/* Decodes the claims without verifying (to find the issuer). New reference or NULL. */
json_t *mh_jwt_claims(const char *jwt);
/* Verifies signature and time claims with the PEM public key. Returns 0, or -1 with err set to
 * GitHub's message ("A JSON web token could not be decoded" for a bad signature). */
int mh_jwt_verify(const char *jwt, const char *pem_public_key, time_t now, char *err, size_t errlen);

#endif
