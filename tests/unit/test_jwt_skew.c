/* GitHub App JWT clock skew (core/jwt.h): HTTP-date parsing, recognising GitHub's refusals of the
 * time claims, the measured offset, and the corrected claims, checked against mockhub's verifier
 * (GitHub's rules: iat not in the future, exp in the future and at most 10 minutes ahead). */
#include <criterion/criterion.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdlib.h>
#include <string.h>

#include "jwt.h"
#include "mh_jwt.h"

/* A fixed 1024-bit test key (generating one under Valgrind takes long). */
static const char key_pem[] =
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

static int64_t date_of(const char *s)
{
    int64_t t = -1;
    lq_error err = {0};
    cr_assert_eq(lq_http_date_parse(s, &t, &err), LQ_OK, "%s: %s", s, err.msg);
    return t;
}

Test(http_date, three_forms_of_rfc9110)
{
    /* RFC 9110's example instant: 1994-11-06T08:49:37Z = 784111777 */
    cr_expect_eq(date_of("Sun, 06 Nov 1994 08:49:37 GMT"), 784111777);
    cr_expect_eq(date_of("Sunday, 06-Nov-94 08:49:37 GMT"), 784111777);
    cr_expect_eq(date_of("Sun Nov  6 08:49:37 1994"), 784111777);
    cr_expect_eq(date_of("Thu, 01 Jan 1970 00:00:00 GMT"), 0);
    cr_expect_eq(date_of("Sat, 28 Nov 2026 10:30:52 GMT"), 1795861852);
    cr_expect_eq(date_of("Thu, 29 Feb 2024 23:59:59 GMT"), 1709251199);
    cr_expect_eq(date_of("Thu, 31 Dec 2099 12:00:00 GMT"), 4102401600);
    cr_expect_eq(date_of("Monday, 01-Jan-07 00:00:00 GMT"), 1167609600); /* 2-digit: 20xx */
    cr_expect_eq(date_of("Wed Dec 31 23:59:60 1969"), 0);                 /* a leap second */
}

Test(http_date, malformed_dates_are_refused_with_the_reason)
{
    static const char *bad[] = {
        "",
        "06 Nov 1994 08:49:37 GMT",      /* no day name */
        "Sun, 06 Nov 1994 08:49:37 UTC", /* not GMT */
        "Sun, 6 Nov 1994 08:49:37 GMT",  /* day not two digits */
        "Sun, 06 nov 1994 08:49:37 GMT", /* month case */
        "Sun, 06 Nov 1994 24:00:00 GMT", /* hour */
        "Sun, 06 Nov 1994 08:60:00 GMT", /* minute */
        "Sun, 06 Nov 1994 08:49:37 GMT ", /* trailing */
        "Sun, 06 Nov 94 08:49:37 GMT",   /* 2-digit year in IMF-fixdate */
        "Sun, 06 Nov 1994 08:49 GMT",
        "Sun, 06 Nov 1994",
        "Sunday, 06 Nov 1994 08:49:37 GMT", /* long name, fixdate body */
        "Sun, 30 Feb 2024 00:00:00 GMT",    /* no such day */
        "Sun, 00 Nov 1994 08:49:37 GMT",
        "Sun, 29 Feb 2023 00:00:00 GMT",
        "1795861852",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        int64_t t = 42;
        lq_error err = {0};
        cr_expect_eq(lq_http_date_parse(bad[i], &t, &err), LQ_EINVAL, "accepted '%s'", bad[i]);
        cr_expect_eq(t, 0);
        cr_expect(strstr(err.msg, "HTTP date"), "%s", err.msg);
    }
    lq_error err = {0};
    int64_t t;
    cr_expect_eq(lq_http_date_parse(NULL, &t, &err), LQ_EINVAL);
    cr_expect_eq(lq_http_date_parse("Sun, 30 Feb 2024 00:00:00 GMT", &t, &err), LQ_EINVAL);
    cr_expect(strstr(err.msg, "no day 30"), "%s", err.msg);
}

Test(jwt_skew, github_time_claim_refusals_are_recognised)
{
    cr_expect(lq_jwt_clock_refusal(MH_JWT_ERR_IAT));
    cr_expect(lq_jwt_clock_refusal(MH_JWT_ERR_EXP_PAST));
    cr_expect(lq_jwt_clock_refusal(MH_JWT_ERR_EXP_FAR));
    /* the older wording (probot/probot#326, @octokit/auth-app) */
    cr_expect(lq_jwt_clock_refusal("'Issued at' claim ('iat') must be an Integer representing "
                                   "the time that the assertion was issued"));
    cr_expect_not(lq_jwt_clock_refusal("A JSON web token could not be decoded"));
    cr_expect_not(lq_jwt_clock_refusal("Bad credentials"));
    cr_expect_not(lq_jwt_clock_refusal("'Issuer' claim ('iss') must be an Integer"));
    cr_expect_not(lq_jwt_clock_refusal(""));
    cr_expect_not(lq_jwt_clock_refusal(NULL));
}

Test(jwt_skew, offset_from_the_date_header)
{
    int64_t off = 1;
    lq_error err = {0};
    const int64_t local = 1795861852; /* Sat, 28 Nov 2026 10:30:52 GMT */
    cr_assert_eq(lq_jwt_clock_offset(&off, "Sat, 28 Nov 2026 10:35:52 GMT", local, &err), LQ_OK);
    cr_expect_eq(off, 300);
    cr_assert_eq(lq_jwt_clock_offset(&off, "Sat, 28 Nov 2026 10:25:52 GMT", local, &err), LQ_OK);
    cr_expect_eq(off, -300);
    cr_assert_eq(lq_jwt_clock_offset(&off, "Sat, 28 Nov 2026 10:30:52 GMT", local, &err), LQ_OK);
    cr_expect_eq(off, 0);
    cr_expect_eq(lq_jwt_clock_offset(&off, "", local, &err), LQ_EINVAL);
    cr_expect(strstr(err.msg, "no Date header"), "%s", err.msg);
    cr_expect_eq(lq_jwt_clock_offset(&off, NULL, local, &err), LQ_EINVAL);
    cr_expect_eq(lq_jwt_clock_offset(&off, "tomorrow", local, &err), LQ_EINVAL);
    cr_expect(strstr(err.msg, "HTTP date 'tomorrow'"), "%s", err.msg);
    cr_expect_eq(off, 0);
    /* a day and a second off: not trusted */
    cr_expect_eq(lq_jwt_clock_offset(&off, "Sun, 29 Nov 2026 10:30:53 GMT", local, &err),
                 LQ_EINVAL);
    cr_expect(strstr(err.msg, "over a day"), "%s", err.msg);
    cr_expect_eq(lq_jwt_clock_offset(&off, "Sun, 29 Nov 2026 10:30:52 GMT", local, &err), LQ_OK);
    cr_expect_eq(off, 86400);
}

/* The claims of lq_jwt_app(now): the JSON between the dots. */
static json_t *claims_of(const char *jwt)
{
    json_t *c = mh_jwt_claims(jwt);
    cr_assert_not_null(c);
    return c;
}

static char *public_pem(void)
{
    BIO *b = BIO_new_mem_buf(key_pem, -1);
    EVP_PKEY *k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
    BIO_free(b);
    cr_assert_not_null(k);
    b = BIO_new(BIO_s_mem());
    cr_assert(PEM_write_bio_PUBKEY(b, k));
    char *data;
    long n = BIO_get_mem_data(b, &data);
    char *out = strndup(data, (size_t)n);
    BIO_free(b);
    EVP_PKEY_free(k);
    return out;
}

/* Signs at landq's local clock + offset; GitHub's clock is local + skew. Returns mockhub's
 * verdict (0 accepted) with its message in why. */
static int github_verdict(const lq_app_key *key, const char *pub, int64_t local, int64_t offset,
                          int64_t skew, char *why, size_t cap)
{
    char *jwt = NULL;
    lq_error err = {0};
    cr_assert_eq(lq_jwt_app(&jwt, key, "77", local + offset, &err), LQ_OK, "%s", err.msg);
    json_t *c = claims_of(jwt);
    int64_t iat, exp;
    lq_jwt_times(local + offset, &iat, &exp);
    cr_expect_eq(json_integer_value(json_object_get(c, "iat")), iat);
    cr_expect_eq(json_integer_value(json_object_get(c, "exp")), exp);
    cr_expect_str_eq(json_string_value(json_object_get(c, "iss")), "77");
    json_decref(c);
    why[0] = '\0';
    int v = mh_jwt_verify(jwt, pub, (time_t)(local + skew), why, cap);
    free(jwt);
    return v;
}

Test(jwt_skew, corrected_claims_fit_githubs_clock)
{
    int64_t iat, exp;
    lq_jwt_times(1000, &iat, &exp);
    cr_expect_eq(iat, 940);
    cr_expect_eq(exp, 1540);
    lq_app_key *key = NULL;
    lq_error err = {0};
    cr_assert_eq(lq_app_key_load(&key, key_pem, strlen(key_pem), &err), LQ_OK, "%s", err.msg);
    char *pub = public_pem();
    const int64_t local = 1795861852;
    char why[256];
    /* Up to a minute either way needs no correction. */
    for (int64_t skew = -60; skew <= 60; skew += 30)
        cr_expect_eq(github_verdict(key, pub, local, 0, skew, why, sizeof why), 0,
                     "skew %lld: %s", (long long)skew, why);
    /* GitHub 61 s behind: iat is in its future. */
    cr_expect_eq(github_verdict(key, pub, local, 0, -61, why, sizeof why), -1);
    cr_expect_str_eq(why, MH_JWT_ERR_IAT);
    cr_expect(lq_jwt_clock_refusal(why));
    /* GitHub 300 s behind: refused for iat; corrected with the offset from its Date: accepted. */
    cr_expect_eq(github_verdict(key, pub, local, 0, -300, why, sizeof why), -1);
    cr_expect(lq_jwt_clock_refusal(why), "%s", why);
    cr_expect_eq(github_verdict(key, pub, local, -300, -300, why, sizeof why), 0, "%s", why);
    /* GitHub 900 s ahead: exp is in its past; corrected: accepted. */
    cr_expect_eq(github_verdict(key, pub, local, 0, 900, why, sizeof why), -1);
    cr_expect_str_eq(why, MH_JWT_ERR_EXP_PAST);
    cr_expect(lq_jwt_clock_refusal(why));
    cr_expect_eq(github_verdict(key, pub, local, 900, 900, why, sizeof why), 0, "%s", why);
    /* GitHub 300 s ahead: exp = its now + 240, still in the future: accepted as is. */
    cr_expect_eq(github_verdict(key, pub, local, 0, 300, why, sizeof why), 0, "%s", why);
    /* An offset measured a second off (Date's resolution) is still accepted. */
    cr_expect_eq(github_verdict(key, pub, local, -301, -300, why, sizeof why), 0, "%s", why);
    cr_expect_eq(github_verdict(key, pub, local, 899, 900, why, sizeof why), 0, "%s", why);
    free(pub);
    lq_app_key_free(key);
}
