/* mh_jwt.c -- RS256 JWT verification for GitHub App authentication (see mh_jwt.h). */
#include "mh_jwt.h"
#include "mh_util.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int mh_jwt_looks_like(const char *t)
{
    int dots = 0;
    for (const char *p = t; *p; p++) {
        if (*p == '.')
            dots++;
        else if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
                   *p == '-' || *p == '_' || *p == '='))
            return 0;
    }
    return dots == 2;
}

/* base64url -> bytes (NUL-terminated); NULL on error */
static unsigned char *b64url(const char *s, size_t n, size_t *out_len)
{
    char *t = malloc(n + 4);
    if (!t)
        return NULL;
    size_t j = 0;
    for (size_t i = 0; i < n; i++)
        t[j++] = s[i] == '-' ? '+' : s[i] == '_' ? '/' : s[i];
    while (j % 4)
        t[j++] = '=';
    t[j] = '\0';
    unsigned char *r = mh_base64_decode(t, out_len);
    free(t);
    return r;
}

static json_t *part_json(const char *s, size_t n)
{
    size_t len;
    unsigned char *raw = b64url(s, n, &len);
    if (!raw)
        return NULL;
    json_error_t e;
    json_t *j = json_loadb((const char *)raw, len, 0, &e);
    free(raw);
    if (j && !json_is_object(j)) {
        json_decref(j);
        return NULL;
    }
    return j;
}

json_t *mh_jwt_claims(const char *jwt)
{
    const char *d1 = strchr(jwt, '.');
    const char *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
    if (!d1 || !d2)
        return NULL;
    return part_json(d1 + 1, (size_t)(d2 - d1 - 1));
}

int mh_jwt_verify(const char *jwt, const char *pem, time_t now, char *err, size_t errlen)
{
    const char *d1 = strchr(jwt, '.');
    const char *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
    if (!d1 || !d2 || strchr(d2 + 1, '.')) {
        snprintf(err, errlen, "A JSON web token could not be decoded");
        return -1;
    }
    json_t *hdr = part_json(jwt, (size_t)(d1 - jwt));
    json_t *claims = part_json(d1 + 1, (size_t)(d2 - d1 - 1));
    int rc = -1;
    size_t siglen = 0;
    unsigned char *sig = b64url(d2 + 1, strlen(d2 + 1), &siglen);
    BIO *bio = NULL;
    EVP_PKEY *key = NULL;
    EVP_MD_CTX *md = NULL;
    if (!hdr || !claims || !sig) {
        snprintf(err, errlen, "A JSON web token could not be decoded");
        goto out;
    }
    const char *alg = json_string_value(json_object_get(hdr, "alg"));
    if (!alg || strcmp(alg, "RS256") != 0) {
        snprintf(err, errlen, "'alg' must be RS256");
        goto out;
    }
    json_t *iat = json_object_get(claims, "iat"), *exp = json_object_get(claims, "exp");
    if (!json_is_integer(iat) || !json_is_integer(exp)) {
        snprintf(err, errlen, "Missing 'iat' or 'exp' claim");
        goto out;
    }
    bio = BIO_new_mem_buf(pem, -1);
    key = bio ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL) : NULL;
    if (!key) {
        snprintf(err, errlen, "the app's public key cannot be read");
        goto out;
    }
    md = EVP_MD_CTX_new();
    if (!md || EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key) != 1 ||
        EVP_DigestVerify(md, sig, siglen, (const unsigned char *)jwt, (size_t)(d2 - jwt)) != 1) {
        snprintf(err, errlen, "A JSON web token could not be decoded");
        goto out;
    }
    /* GitHub's time rules, checked against its own clock with no slack (that is what the
     * client's "iat = now - 60" is for): iat not in the future, exp in the future and at most
     * 10 minutes ahead, with GitHub's messages. */
    if (json_integer_value(iat) > (json_int_t)now) {
        snprintf(err, errlen, "%s", MH_JWT_ERR_IAT);
        goto out;
    }
    if (json_integer_value(exp) <= (json_int_t)now) {
        snprintf(err, errlen, "%s", MH_JWT_ERR_EXP_PAST);
        goto out;
    }
    if (json_integer_value(exp) > (json_int_t)now + MH_JWT_MAX_AHEAD_S) {
        snprintf(err, errlen, "%s", MH_JWT_ERR_EXP_FAR);
        goto out;
    }
    rc = 0;
out:
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(key);
    BIO_free(bio);
    free(sig);
    json_decref(hdr);
    json_decref(claims);
    return rc;
}
