#include "jwt.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct lq_app_key {
    EVP_PKEY *pkey; /* owned */
};

int lq_app_key_load(lq_app_key **out, const char *pem, size_t len, lq_error *err)
{
    *out = NULL;
    if (len > INT32_MAX)
        return lq_error_set(err, LQ_EINVAL, "private key: too large");
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    if (!bio)
        return lq_error_set(err, LQ_ENOMEM, "out of memory");
    EVP_PKEY *pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
    BIO_free(bio);
    if (!pkey)
        return lq_error_set(err, LQ_EINVAL,
                            "private key: not a PEM private key (use the .pem file GitHub "
                            "generated for the App)");
    if (EVP_PKEY_base_id(pkey) != EVP_PKEY_RSA) {
        EVP_PKEY_free(pkey);
        return lq_error_set(err, LQ_EINVAL, "private key: not an RSA key (GitHub Apps use RSA)");
    }
    lq_app_key *k = malloc(sizeof(*k));
    if (!k) {
        EVP_PKEY_free(pkey);
        return lq_error_set(err, LQ_ENOMEM, "out of memory");
    }
    k->pkey = pkey;
    *out = k;
    return LQ_OK;
}

void lq_app_key_free(lq_app_key *key)
{
    if (key) {
        EVP_PKEY_free(key->pkey);
        free(key);
    }
}

char *lq_base64url(const unsigned char *data, size_t len)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    char *out = malloc(len / 3 * 4 + 5);
    if (!out)
        return NULL;
    size_t o = 0, i = 0;
    for (; i + 3 <= len; i += 3) {
        uint32_t v = (uint32_t)data[i] << 16 | (uint32_t)data[i + 1] << 8 | data[i + 2];
        out[o++] = tab[v >> 18];
        out[o++] = tab[(v >> 12) & 63];
        out[o++] = tab[(v >> 6) & 63];
        out[o++] = tab[v & 63];
    }
    if (len - i == 1) {
        uint32_t v = (uint32_t)data[i] << 16;
        out[o++] = tab[v >> 18];
        out[o++] = tab[(v >> 12) & 63];
    } else if (len - i == 2) {
        uint32_t v = (uint32_t)data[i] << 16 | (uint32_t)data[i + 1] << 8;
        out[o++] = tab[v >> 18];
        out[o++] = tab[(v >> 12) & 63];
        out[o++] = tab[(v >> 6) & 63];
    }
    out[o] = '\0';
    return out;
}

int lq_jwt_app(char **out, const lq_app_key *key, const char *app_id, int64_t now, lq_error *err)
{
    *out = NULL;
    for (const char *p = app_id; *p; p++)
        if (*p < '0' || *p > '9')
            return lq_error_set(err, LQ_EINVAL, "app id '%.40s' is not a number", app_id);
    if (!*app_id)
        return lq_error_set(err, LQ_EINVAL, "app id is empty");
    static const char header[] = "{\"alg\":\"RS256\",\"typ\":\"JWT\"}";
    char claims[128];
    snprintf(claims, sizeof(claims), "{\"iat\":%lld,\"exp\":%lld,\"iss\":\"%.20s\"}",
             (long long)(now - 60), (long long)(now + 540), app_id);
    char *h = lq_base64url((const unsigned char *)header, strlen(header));
    char *c = lq_base64url((const unsigned char *)claims, strlen(claims));
    char *signing = NULL, *sig64 = NULL, *jwt = NULL;
    unsigned char *sig = NULL;
    EVP_MD_CTX *md = NULL;
    int rc = lq_error_set(err, LQ_ENOMEM, "out of memory");
    if (!h || !c)
        goto out;
    size_t sl = strlen(h) + 1 + strlen(c);
    if (!(signing = malloc(sl + 1)))
        goto out;
    snprintf(signing, sl + 1, "%s.%s", h, c);
    size_t siglen = 0;
    if (!(md = EVP_MD_CTX_new()) ||
        EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key->pkey) != 1 ||
        EVP_DigestSign(md, NULL, &siglen, (const unsigned char *)signing, sl) != 1 ||
        !(sig = malloc(siglen)) ||
        EVP_DigestSign(md, sig, &siglen, (const unsigned char *)signing, sl) != 1) {
        rc = lq_error_set(err, LQ_ERROR, "could not sign the App JWT (RS256)");
        goto out;
    }
    if (!(sig64 = lq_base64url(sig, siglen)) || !(jwt = malloc(sl + 1 + strlen(sig64) + 1)))
        goto out;
    sprintf(jwt, "%s.%s", signing, sig64);
    *out = jwt;
    jwt = NULL;
    rc = LQ_OK;
    lq_error_clear(err);
out:
    EVP_MD_CTX_free(md);
    free(h);
    free(c);
    free(signing);
    free(sig);
    free(sig64);
    free(jwt);
    return rc;
}
