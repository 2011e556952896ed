/* GitHub App JWT (RS256): structure, claims, and a signature that verifies with the public key. */
#include <criterion/criterion.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jwt.h"

/* RSA: the fixed test-only key in tests/data (a 2048-bit key generation takes ~10 s under
 * Valgrind, which the memcheck stage paid twice), generated when the file is not there. */
static EVP_PKEY *make_key(int type)
{
    EVP_PKEY *k = NULL;
    const char *dir = getenv("LQ_TEST_DATA");
    if (type == EVP_PKEY_RSA && dir) {
        char path[1024];
        snprintf(path, sizeof path, "%s/jwt-test-rsa2048.pem", dir);
        FILE *f = fopen(path, "r");
        if (f) {
            k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
            fclose(f);
        }
    }
    if (!k)
        k = type == EVP_PKEY_RSA ? EVP_RSA_gen(2048) : EVP_EC_gen("P-256");
    cr_assert_not_null(k);
    return k;
}

static char *to_pem(EVP_PKEY *k, size_t *len)
{
    BIO *b = BIO_new(BIO_s_mem());
    cr_assert(PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL));
    char *data;
    long n = BIO_get_mem_data(b, &data);
    char *out = malloc((size_t)n + 1);
    memcpy(out, data, (size_t)n);
    out[n] = '\0';
    *len = (size_t)n;
    BIO_free(b);
    return out;
}

static size_t b64url_decode(const char *s, size_t n, unsigned char *out)
{
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        const char *tab = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        const char *p = strchr(tab, s[i]);
        cr_assert(p && *p, "bad base64url character '%c'", s[i]);
        acc = acc << 6 | (uint32_t)(p - tab);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char)(acc >> bits);
        }
    }
    return o;
}

Test(jwt, app_jwt_claims_and_signature)
{
    EVP_PKEY *pk = make_key(EVP_PKEY_RSA);
    size_t len;
    char *pem = to_pem(pk, &len);
    lq_app_key *key;
    lq_error err;
    cr_assert_eq(lq_app_key_load(&key, pem, len, &err), LQ_OK, "%s", err.msg);
    char *jwt;
    cr_assert_eq(lq_jwt_app(&jwt, key, "12345", 1700000000, &err), LQ_OK, "%s", err.msg);

    char *dot1 = strchr(jwt, '.'), *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
    cr_assert(dot1 && dot2 && !strchr(dot2 + 1, '.'), "three parts: %s", jwt);
    unsigned char buf[1024];
    size_t n = b64url_decode(jwt, (size_t)(dot1 - jwt), buf);
    buf[n] = '\0';
    cr_expect_str_eq((char *)buf, "{\"alg\":\"RS256\",\"typ\":\"JWT\"}");
    n = b64url_decode(dot1 + 1, (size_t)(dot2 - dot1 - 1), buf);
    buf[n] = '\0';
    cr_expect_str_eq((char *)buf, "{\"iat\":1699999940,\"exp\":1700000540,\"iss\":\"12345\"}");

    unsigned char sig[512];
    size_t siglen = b64url_decode(dot2 + 1, strlen(dot2 + 1), sig);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    cr_assert_eq(EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pk), 1);
    cr_expect_eq(EVP_DigestVerify(md, sig, siglen, (unsigned char *)jwt, (size_t)(dot2 - jwt)), 1,
                 "signature must verify with the App's public key");
    /* A changed claim no longer verifies. */
    jwt[dot1 - jwt + 3] ^= 1;
    EVP_MD_CTX_reset(md);
    EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pk);
    cr_expect_neq(EVP_DigestVerify(md, sig, siglen, (unsigned char *)jwt, (size_t)(dot2 - jwt)), 1);
    EVP_MD_CTX_free(md);
    free(jwt);
    lq_app_key_free(key);
    free(pem);
    EVP_PKEY_free(pk);
}

Test(jwt, bad_keys_and_app_ids_are_refused)
{
    lq_app_key *key = (lq_app_key *)1;
    lq_error err;
    const char *junk = "-----BEGIN RSA PRIVATE KEY-----\nnot a key\n-----END RSA PRIVATE KEY-----\n";
    cr_expect_eq(lq_app_key_load(&key, junk, strlen(junk), &err), LQ_EINVAL);
    cr_expect_null(key);
    cr_expect(strstr(err.msg, "not a key") == NULL, "never quote key material");

    EVP_PKEY *ec = make_key(EVP_PKEY_EC);
    size_t len;
    char *pem = to_pem(ec, &len);
    cr_expect_eq(lq_app_key_load(&key, pem, len, &err), LQ_EINVAL);
    cr_expect(strstr(err.msg, "RSA"));
    free(pem);
    EVP_PKEY_free(ec);

    EVP_PKEY *pk = make_key(EVP_PKEY_RSA);
    pem = to_pem(pk, &len);
    cr_assert_eq(lq_app_key_load(&key, pem, len, &err), LQ_OK);
    char *jwt = (char *)1;
    cr_expect_eq(lq_jwt_app(&jwt, key, "12a", 0, &err), LQ_EINVAL);
    cr_expect_null(jwt);
    cr_expect_eq(lq_jwt_app(&jwt, key, "", 0, &err), LQ_EINVAL);
    lq_app_key_free(key);
    free(pem);
    EVP_PKEY_free(pk);
}

Test(jwt, base64url_has_no_padding)
{
    char *s = lq_base64url((const unsigned char *)"\xfb\xff", 2);
    cr_expect_str_eq(s, "-_8");
    free(s);
    s = lq_base64url((const unsigned char *)"any carnal pleas", 16);
    cr_expect_str_eq(s, "YW55IGNhcm5hbCBwbGVhcw");
    free(s);
}
