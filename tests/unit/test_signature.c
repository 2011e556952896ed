/* Unit tests for landq/core/signature.c: RFC 4231 HMAC-SHA256 vectors and GitHub's documented
 * X-Hub-Signature-256 example. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "signature.h"

static void check_vector(const unsigned char *key, size_t key_len, const char *data,
                         size_t data_len, const char *hex)
{
    unsigned char mac[LQ_SIGNATURE_LEN];
    char text[72], want[72];
    lq_error err;
    cr_assert_eq(lq_signature_compute(mac, key, key_len, data, data_len, &err), LQ_OK, "%s",
                 err.msg);
    lq_signature_format(text, mac);
    snprintf(want, sizeof(want), "sha256=%s", hex);
    cr_assert_str_eq(text, want);
    /* and verify() accepts exactly that header */
    cr_assert_eq(lq_signature_verify(want, strlen(want), key, key_len, data, data_len, &err),
                 LQ_OK, "%s", err.msg);
}

Test(signature, rfc4231_case1)
{
    unsigned char key[20];
    memset(key, 0x0b, sizeof(key));
    check_vector(key, sizeof(key), "Hi There", 8,
                 "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
}

Test(signature, rfc4231_case2)
{
    check_vector((const unsigned char *)"Jefe", 4, "what do ya want for nothing?", 28,
                 "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

Test(signature, rfc4231_case3)
{
    unsigned char key[20];
    char data[50];
    memset(key, 0xaa, sizeof(key));
    memset(data, 0xdd, sizeof(data));
    check_vector(key, sizeof(key), data, sizeof(data),
                 "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
}

Test(signature, rfc4231_case4)
{
    unsigned char key[25];
    char data[50];
    for (size_t i = 0; i < sizeof(key); i++)
        key[i] = (unsigned char)(i + 1);
    memset(data, 0xcd, sizeof(data));
    check_vector(key, sizeof(key), data, sizeof(data),
                 "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
}

Test(signature, rfc4231_case6_long_key)
{
    unsigned char key[131];
    const char *data = "Test Using Larger Than Block-Size Key - Hash Key First";
    memset(key, 0xaa, sizeof(key));
    check_vector(key, sizeof(key), data, strlen(data),
                 "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

Test(signature, rfc4231_case7_long_key_and_data)
{
    unsigned char key[131];
    const char *data = "This is a test using a larger than block-size key and a larger than "
                       "block-size data. The key needs to be hashed before being used by the "
                       "HMAC algorithm.";
    memset(key, 0xaa, sizeof(key));
    check_vector(key, sizeof(key), data, strlen(data),
                 "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
}

static const char gh_secret[] = "It's a Secret to Everybody";
static const char gh_body[] = "Hello, World!";
static const char gh_sig[] =
    "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

Test(signature, github_documented_example)
{
    lq_error err;
    cr_assert_eq(lq_signature_verify(gh_sig, strlen(gh_sig), gh_secret, strlen(gh_secret),
                                     gh_body, strlen(gh_body), &err),
                 LQ_OK, "%s", err.msg);
}

Test(signature, uppercase_hex_accepted)
{
    char sig[sizeof(gh_sig)];
    lq_error err;
    memcpy(sig, gh_sig, sizeof(sig));
    for (char *p = sig + 7; *p; p++)
        if (*p >= 'a' && *p <= 'f')
            *p = (char)(*p - 'a' + 'A');
    cr_assert_eq(lq_signature_verify(sig, strlen(sig), gh_secret, strlen(gh_secret), gh_body,
                                     strlen(gh_body), &err),
                 LQ_OK, "%s", err.msg);
}

Test(signature, wrong_secret_rejected)
{
    lq_error err;
    cr_assert_eq(lq_signature_verify(gh_sig, strlen(gh_sig), "It's a Secret to Everybody!", 27,
                                     gh_body, strlen(gh_body), &err),
                 LQ_EINVAL);
    cr_assert(strstr(err.msg, "does not match"), "%s", err.msg);
    cr_assert_null(strstr(err.msg, "Secret"), "the secret must never appear in messages");
}

Test(signature, altered_body_rejected)
{
    lq_error err;
    cr_assert_eq(lq_signature_verify(gh_sig, strlen(gh_sig), gh_secret, strlen(gh_secret),
                                     "Hello, World?", 13, &err),
                 LQ_EINVAL);
}

Test(signature, every_flipped_digit_rejected)
{
    char sig[sizeof(gh_sig)];
    lq_error err;
    for (size_t i = 7; i < strlen(gh_sig); i++) {
        memcpy(sig, gh_sig, sizeof(sig));
        sig[i] = sig[i] == '0' ? '1' : '0';
        cr_assert_eq(lq_signature_verify(sig, strlen(sig), gh_secret, strlen(gh_secret),
                                         gh_body, strlen(gh_body), &err),
                     LQ_EINVAL, "digit %zu", i);
    }
}

Test(signature, missing_header)
{
    lq_error err;
    cr_assert_eq(lq_signature_verify(NULL, 0, gh_secret, strlen(gh_secret), gh_body,
                                     strlen(gh_body), &err),
                 LQ_EINVAL);
    cr_assert(strstr(err.msg, "missing"), "%s", err.msg);
}

Test(signature, malformed_headers)
{
    unsigned char mac[LQ_SIGNATURE_LEN];
    lq_error err;
    const char *bad[] = {
        "",
        "sha1=757107ea0eb2509fc211221cce984b8a37570b6d",
        "sha256=",
        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e1",
        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e177",
        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e1g",
        "SHA256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
        " sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        cr_assert_eq(lq_signature_parse(mac, bad[i], strlen(bad[i]), &err), LQ_EINVAL, "%s",
                     bad[i]);
    cr_assert_eq(lq_signature_parse(mac, bad[5], strlen(bad[5]), &err), LQ_EINVAL);
    cr_assert(strstr(err.msg, "offset 70"), "%s", err.msg);
}

Test(signature, empty_body_and_secret)
{
    /* HMAC-SHA256("", "") -- computed independently (python3 hmac). */
    check_vector((const unsigned char *)"", 0, "", 0,
                 "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}
