/* test_mockhub_jwt.c -- GitHub App JWT verification (RS256 signature, exp/iat rules) and the fast
 * JSON serialiser (same bytes as jansson's compact dump). */
#include <criterion/criterion.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mh_json.h"
#include "mh_jwt.h"
#include "mh_util.h"

static EVP_PKEY *key;
static char *pem;

static void setup(void)
{
    key = EVP_RSA_gen(2048);
    cr_assert_not_null(key);
    BIO *b = BIO_new(BIO_s_mem());
    PEM_write_bio_PUBKEY(b, key);
    char *data;
    long n = BIO_get_mem_data(b, &data);
    pem = strndup(data, (size_t)n);
    BIO_free(b);
}

static void teardown(void)
{
    EVP_PKEY_free(key);
    free(pem);
}

static char *b64url(const void *data, size_t n)
{
    char *s = mh_base64_encode(data, n, 0);
    size_t j = 0;
    for (size_t i = 0; s[i]; i++) {
        if (s[i] == '=')
            continue;
        s[j++] = s[i] == '+' ? '-' : s[i] == '/' ? '_' : s[i];
    }
    s[j] = '\0';
    return s;
}

static char *make_jwt(const char *header, const char *claims, EVP_PKEY *signer)
{
    char *h = b64url(header, strlen(header)), *c = b64url(claims, strlen(claims));
    mh_buf b;
    mh_buf_init(&b);
    mh_buf_printf(&b, "%s.%s", h, c);
    unsigned char sig[512];
    size_t siglen = sizeof sig;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    cr_assert_eq(EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, signer), 1);
    cr_assert_eq(EVP_DigestSign(md, sig, &siglen, (unsigned char *)b.ptr, b.len), 1);
    EVP_MD_CTX_free(md);
    char *s = b64url(sig, siglen);
    mh_buf_printf(&b, ".%s", s);
    free(h);
    free(c);
    free(s);
    return mh_buf_take(&b);
}

TestSuite(jwt, .init = setup, .fini = teardown);

Test(jwt, valid_token_verifies)
{
    char claims[128], err[256];
    snprintf(claims, sizeof claims, "{\"iat\":%d,\"exp\":%d,\"iss\":\"42\"}", 1000 - 60, 1000 + 540);
    char *jwt = make_jwt("{\"alg\":\"RS256\",\"typ\":\"JWT\"}", claims, key);
    cr_assert(mh_jwt_looks_like(jwt));
    cr_assert_eq(mh_jwt_verify(jwt, pem, 1000, err, sizeof err), 0, "%s", err);
    json_t *c = mh_jwt_claims(jwt);
    cr_assert_str_eq(json_string_value(json_object_get(c, "iss")), "42");
    json_decref(c);
    free(jwt);
}

Test(jwt, rejects_expired_too_long_wrong_alg_wrong_key_tampered)
{
    char err[256];
    char *jwt = make_jwt("{\"alg\":\"RS256\"}", "{\"iat\":100,\"exp\":200,\"iss\":1}", key);
    cr_assert_eq(mh_jwt_verify(jwt, pem, 1000, err, sizeof err), -1);
    free(jwt);
    jwt = make_jwt("{\"alg\":\"RS256\"}", "{\"iat\":1000,\"exp\":5000,\"iss\":1}", key);
    cr_assert_eq(mh_jwt_verify(jwt, pem, 1000, err, sizeof err), -1);
    cr_assert(strstr(err, "too far"));
    free(jwt);
    jwt = make_jwt("{\"alg\":\"HS256\"}", "{\"iat\":1000,\"exp\":1500,\"iss\":1}", key);
    cr_assert_eq(mh_jwt_verify(jwt, pem, 1000, err, sizeof err), -1);
    free(jwt);
    EVP_PKEY *other = EVP_RSA_gen(2048);
    jwt = make_jwt("{\"alg\":\"RS256\"}", "{\"iat\":1000,\"exp\":1500,\"iss\":1}", other);
    cr_assert_eq(mh_jwt_verify(jwt, pem, 1000, err, sizeof err), -1);
    EVP_PKEY_free(other);
    free(jwt);
    jwt = make_jwt("{\"alg\":\"RS256\"}", "{\"iat\":1000,\"exp\":1500,\"iss\":1}", key);
    char *dot = strchr(jwt, '.');
    dot[2] = dot[2] == 'A' ? 'B' : 'A'; /* tamper with the claims */
    cr_assert_eq(mh_jwt_verify(jwt, pem, 1000, err, sizeof err), -1);
    free(jwt);
    cr_assert_eq(mh_jwt_verify("a.b", pem, 1000, err, sizeof err), -1);
    cr_assert_eq(mh_jwt_verify("!!.??.**", pem, 1000, err, sizeof err), -1);
    cr_assert_not(mh_jwt_looks_like("tok-alice"));
    cr_assert_not(mh_jwt_looks_like("a.b"));
}

Test(json, same_bytes_as_jansson)
{
    const char *docs[] = {
        "{\"a\":1,\"b\":[true,false,null,\"x\\ny\\t\\\"q\\\"\\\\\"],\"c\":{\"d\":-5,\"e\":\"\\u0001\\u001f\"},\"f\":\"h\\u00e9llo / \\u2603\"}",
        "[]", "{}", "[[],{},[{}]]", "{\"z\":\"\",\"y\":9223372036854775807}"};
    for (size_t i = 0; i < sizeof docs / sizeof *docs; i++) {
        json_error_t e;
        json_t *v = json_loads(docs[i], JSON_DECODE_ANY, &e);
        cr_assert_not_null(v, "%s", e.text);
        char *a = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY), *b = mh_json_dumps(v);
        cr_assert_str_eq(b, a);
        free(a);
        free(b);
        json_decref(v);
    }
}
