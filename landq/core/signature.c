/* signature.c -- X-Hub-Signature-256 parsing and constant-time verification (libcrypto HMAC). */
#include "signature.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>

static const char prefix[] = "sha256=";
#define PREFIX_LEN (sizeof(prefix) - 1)

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int lq_signature_parse(unsigned char out[LQ_SIGNATURE_LEN], const char *header, size_t len,
                       lq_error *err)
{
    if (!header)
        return lq_error_set(err, LQ_EINVAL, "missing X-Hub-Signature-256 header");
    if (len < PREFIX_LEN || memcmp(header, prefix, PREFIX_LEN) != 0)
        return lq_error_set(err, LQ_EINVAL,
                            "X-Hub-Signature-256 must start with \"sha256=\"");
    if (len != PREFIX_LEN + 2 * LQ_SIGNATURE_LEN)
        return lq_error_set(err, LQ_EINVAL,
                            "X-Hub-Signature-256 must have 64 hex digits after \"sha256=\", "
                            "got %zu characters", len - PREFIX_LEN);
    for (size_t i = 0; i < LQ_SIGNATURE_LEN; i++) {
        int hi = hexval((unsigned char)header[PREFIX_LEN + 2 * i]);
        int lo = hexval((unsigned char)header[PREFIX_LEN + 2 * i + 1]);
        if (hi < 0 || lo < 0)
            return lq_error_set(err, LQ_EINVAL,
                                "X-Hub-Signature-256: non-hex character at offset %zu",
                                PREFIX_LEN + 2 * i + (hi < 0 ? 0 : 1));
        out[i] = (unsigned char)(hi << 4 | lo);
    }
    return LQ_OK;
}

int lq_signature_compute(unsigned char out[LQ_SIGNATURE_LEN], const void *secret,
                         size_t secret_len, const void *body, size_t body_len, lq_error *err)
{
    unsigned int out_len = 0;
    static const unsigned char empty[1];
    /* HMAC() wants non-NULL pointers even for empty inputs on some OpenSSL versions. */
    if (secret_len > 0x7fffffff)
        return lq_error_set(err, LQ_EINVAL, "webhook secret too long");
    if (!HMAC(EVP_sha256(), secret_len ? secret : empty, (int)secret_len,
              body_len ? body : empty, body_len, out, &out_len) ||
        out_len != LQ_SIGNATURE_LEN)
        return lq_error_set(err, LQ_ERROR, "HMAC-SHA256 failed (libcrypto)");
    return LQ_OK;
}

int lq_signature_verify(const char *header, size_t header_len, const void *secret,
                        size_t secret_len, const void *body, size_t body_len, lq_error *err)
{
    unsigned char want[LQ_SIGNATURE_LEN], got[LQ_SIGNATURE_LEN];
    int rc = lq_signature_parse(want, header, header_len, err);
    if (rc != LQ_OK)
        return rc;
    rc = lq_signature_compute(got, secret, secret_len, body, body_len, err);
    if (rc != LQ_OK)
        return rc;
    rc = CRYPTO_memcmp(want, got, LQ_SIGNATURE_LEN) == 0
             ? LQ_OK
             : lq_error_set(err, LQ_EINVAL,
                            "X-Hub-Signature-256 does not match the body (wrong secret or "
                            "altered body)");
    OPENSSL_cleanse(got, sizeof(got));
    return rc;
}

void lq_signature_format(char out[72], const unsigned char mac[LQ_SIGNATURE_LEN])
{
    static const char hex[] = "0123456789abcdef";
    memcpy(out, prefix, PREFIX_LEN);
    for (size_t i = 0; i < LQ_SIGNATURE_LEN; i++) {
        out[PREFIX_LEN + 2 * i] = hex[mac[i] >> 4];
        out[PREFIX_LEN + 2 * i + 1] = hex[mac[i] & 15];
    }
    out[PREFIX_LEN + 2 * LQ_SIGNATURE_LEN] = '\0';
}
