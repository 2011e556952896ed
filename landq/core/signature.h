/* signature.h -- GitHub webhook signatures: X-Hub-Signature-256 is "sha256=" followed by the
 * lowercase hex HMAC-SHA256 of the raw request body, keyed with the webhook secret.
 * Pure (libcrypto only). The secret is never copied into an lq_error message. */
#ifndef LQ_SIGNATURE_H
#define LQ_SIGNATURE_H

#include <stddef.h>

#include "error.h"

#define LQ_SIGNATURE_LEN 32 /* bytes of an HMAC-SHA256 */

/* Parses "sha256=<64 hex digits>" (hex digits in either case) of length len into out.
 * LQ_OK, or LQ_EINVAL with a message saying what is wrong (missing prefix, bad length,
 * non-hex character at an offset). header may be NULL (missing header: LQ_EINVAL). */
int lq_signature_parse(unsigned char out[LQ_SIGNATURE_LEN], const char *header, size_t len,
                       lq_error *err);

/* out = HMAC-SHA256(secret, body). LQ_OK or LQ_ERROR (libcrypto failure). */
int lq_signature_compute(unsigned char out[LQ_SIGNATURE_LEN], const void *secret,
                         size_t secret_len, const void *body, size_t body_len, lq_error *err);

/* Checks header (may be NULL: missing) against HMAC-SHA256(secret, body), comparing the MACs in
 * constant time (CRYPTO_memcmp). LQ_OK when it matches; LQ_EINVAL when the header is missing or
 * malformed or the signature does not match (err says which); LQ_ERROR on a libcrypto failure. */
int lq_signature_verify(const char *header, size_t header_len, const void *secret,
                        size_t secret_len, const void *body, size_t body_len, lq_error *err);

/* Writes "sha256=<64 lowercase hex>" and a NUL into out (72 bytes). For tools and tests. */
void lq_signature_format(char out[72], const unsigned char mac[LQ_SIGNATURE_LEN]);

#endif
