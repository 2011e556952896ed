/* mh_sign.h -- webhook signatures: "sha256=" + lowercase hex HMAC-SHA256(secret, body).
 * mockhub's OWN implementation (libcrypto HMAC()), independent of landq's verifier. */
#ifndef MH_SIGN_H
#define MH_SIGN_H

#include <stddef.h>

/* Writes "sha256=<64 hex>" into out (>= 72 bytes). Returns 0 or -1. */
int mh_sign_sha256(char out[72], const char *secret, const void *body, size_t len);
/* Legacy X-Hub-Signature: "sha1=<40 hex>" into out (>= 46 bytes). */
int mh_sign_sha1(char out[46], const char *secret, const void *body, size_t len);

#endif
