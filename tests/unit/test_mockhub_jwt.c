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

/* Fixed test keys (generating RSA keys under Valgrind takes minutes). */
static const char app_key_pem[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC3DrTuhV3mPOU/\n"
    "JCfze+L7bO1YIUXyn6STOfokabXn/7MeMgNP4h7OGJ3emOKo1sTkCwpxX8oH0qnX\n"
    "l//8EmH2LEmTmVJKX/8ECTMtygf/lnbUJmK9TRU9/6f80pUtoROUD3cQdJek4T0E\n"
    "5vztao7gbPmFjmxLK8IYIyE32qNS2cFnYUbCqmHqztgO/fV5LLRmsBvNO++9SCvr\n"
    "gllvVySbTEM5uSlhJJOnWT+rVu0Flkxj7a9e1vdFre+UnuETR6ZhzuE7CnAdzE7z\n"
    "uBv21ci9apWco/owEc2uE+MnQ/7te9VIm52aI+NUFKa+iXJ0mdIS8xNL4IGi8EiG\n"
    "2ZU3SUBnAgMBAAECggEAL5clNrV5effu6YFu2YAlvJPPCJBt7OvQD26NN5Y78nqp\n"
    "iHocHlJ9C7uen1ZD5v0e5uJv7pWmom4ENcaQiGoHCcbtwe+kUy2t0NDLe2YAulPV\n"
    "xMXN+cTmdt3WQIZGvjwYKO/0VlTZb8YW5QVgUCDZ0ELEhBJI2SohJcFMS4cN2uXM\n"
    "+8kjSMkTdEljdFa55mrhZ0hm5i4E+fDiM2KKtcXKxAOdO7no6N5WOh1/Ik168JxR\n"
    "++NHNR6xlbdVtgvzgxtz44eD+XTQSirg62aAQ7NgKgHykAQic0qTTwCjhaP5NMaq\n"
    "/LfDrwVDXyu3NIn1aia5aVnKGNgRFvtPC0sgIzjGcQKBgQDmBmC5jX1PueyR7XdH\n"
    "CpJjj4Dic9u/qD7z4YCP6blNsY9Lb9t5qNg37ym5ETCN9PI2rfOhXdf0a1sww8IK\n"
    "LgCwY21/olien6i3OpBet8+3aZmPY7CF0FprjP9IquOpyqg2Lh37SMkfPjR1f2/J\n"
    "LOHv+/ekjSnaHbRggt29Ar85awKBgQDLupSvMipkmVOg09AXUjGAnk1FkihGzQmE\n"
    "bGGOf4I+vYc4C96jcpetqQtbNlfQ1bFrFMReO5DlRultVAm90U8mVIOWDMw8jD7F\n"
    "ot3R8qu87MWRBrI1PxieHcaVpL3d8dDzWBzs842D69Gcu7O7EYFRbPf0fXiw+Hi6\n"
    "Y8/rV5gn9QKBgGG6a/Xpy0fIMl59iaPBNhjeq1+K4d432Sc8s6ZxIq2DtuHSEGlL\n"
    "9zEsh4l9aCen3hClL1Fr0Yii5Ad/5Dz29ov6clc73nLmWoQeeaAEcFf4oaluLV1s\n"
    "/D2dlgiFslw9IeKDDXHppqmDgD47en76drPDVZ+v6gwlerFWaGcZd60pAoGAOaPK\n"
    "WV8KG3g97uy+nTqGAuvG1P4rIwzzumGnoFd3FCUvUq4ZCYlsXJfNPLs9UTqEfdVc\n"
    "UYTs09GiTWpPb0L+78tNh3CLgD31rJkNxU6xRDyBES0h0mrNnj6yZrg7d8Xo5lBx\n"
    "rqCh00cvAPciPLURL2ZzKNsvAHLsRV/j/aPEytkCgYEAgGQrf25nWvBIUbHDQM/B\n"
    "6SuKaMU8Dpx+G4aJx2ACjUKNyGaGnliVhMmfCUhW5xTqxwdFGUrkuH3D09tpwEP/\n"
    "5Nx1D2lp5p7ozXZDe94oDg3EXSXtIq3Yj7+FEn5mDS+L8DDylOqATSywKJAJXPzT\n"
    "uIufpkccHCyDZxhXtmbb/Z4=\n"
    "-----END PRIVATE KEY-----\n";
static const char other_key_pem[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIICdQIBADANBgkqhkiG9w0BAQEFAASCAl8wggJbAgEAAoGBAMQdrME8d8mXDhzY\n"
    "8odFaQY/xaRgqcWMOJMr17BbYOsPuZnheiLHBAydf/Krf2gMR/Y4VDaWsS6v1CQ1\n"
    "9Nuk0ESXQwBdbZPoqW/QJl3R+dfHuH3Yb3Oy7dNZaCC8k5ugW7ZFJN1mOGftqAZx\n"
    "x9NvV/+So1WR12NE/WFlX0JjkU7nAgMBAAECgYA2peY7unPOss717uY2F3taiG60\n"
    "jVMBfz9Mk0z5EZ2CItGfNZtpEXfpZAIBRxSrk7CBxdSBmaAp2EkPBhIDGnwGBBAZ\n"
    "wF3CjK/pBTVL3KW78VzLMyOWdq/PI89D1Kft2mAgPkUafJpmMOUJtcjPaK2EWA3a\n"
    "cEBn11Ua6U4k5CVfsQJBAOU9lCO047jyC1w2x4wYYnaGZ4Bk29Wtu3fg53spKFTV\n"
    "jedw7sWoOu0030u9TtuQMB9ToBUfegaTGwKIxmj2KqsCQQDbAjqtviR5lfL5W0J5\n"
    "G9mIIvfB1u2C8QFRKc/BfUFxLVucZrzIXMYlcMoVmr+Lfy6OR5JM0gopg8jcjpF6\n"
    "j2y1AkAMVkcNsON8hZI08UHF+V37MPqK/2KRWls3dWQfzbQ89I1BgmNnQcmCEJFf\n"
    "2x1OVbExTmfUGzCPAAW5GjFLXswnAkA4fTK1bb3qvoqVVrymkFBjlOFi1hUdGRzF\n"
    "2osD1VLz5kci6Dz5UTSqo5T8TZXqXTuc50kNF4AXhS5h9UQA4M2hAkBWYVQkUTvQ\n"
    "/AUh3jSl09wT05o0Q0BuSc4X+MyZhciTVRVFWKDWTyjWNcqSUXgjy3gtEk2kx2Ph\n"
    "De2CTVc+cXBb\n"
    "-----END PRIVATE KEY-----\n";

static EVP_PKEY *load_key(const char *text)
{
    BIO *b = BIO_new_mem_buf(text, -1);
    EVP_PKEY *k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
    BIO_free(b);
    cr_assert_not_null(k);
    return k;
}

static void setup(void)
{
    key = load_key(app_key_pem);
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
    EVP_PKEY *other = load_key(other_key_pem);
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
