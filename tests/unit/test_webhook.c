/* Unit tests for landq/core/webhook.c: the JSON validator (checked against jansson) and the
 * POST /webhook decision (signature, size, headers, JSON, ping). */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "signature.h"
#include "webhook.h"

static int valid(const char *s)
{
    lq_error err;
    return lq_json_validate(s, strlen(s), &err) == LQ_OK;
}

/* jansson's verdict for the same text, counting only a top-level object as valid */
static int jansson_valid(const char *s, size_t n)
{
    json_error_t e;
    json_t *j = json_loadb(s, n, 0, &e);
    int ok = j && json_is_object(j);
    json_decref(j);
    return ok;
}

Test(json, accepts_valid_objects)
{
    const char *ok[] = {
        "{}", " {} ", "\n{\"a\":1}\r\n", "{\"a\":[1,2,{\"b\":null}],\"c\":true,\"d\":false}",
        "{\"n\":-0.5e+10,\"m\":0,\"k\":1E3,\"j\":-12.25E-2}", "{\"s\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"}",
        "{\"u\":\"\\u00e9\\uD83D\\uDE00\"}", "{\"utf8\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"}",
        "{\"e\":[],\"o\":{},\"x\":[[],{}]}", "{\"dup\":1,\"dup\":2}",
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        cr_assert(valid(ok[i]), "should accept %s", ok[i]);
        cr_assert(jansson_valid(ok[i], strlen(ok[i])), "jansson disagrees on %s", ok[i]);
    }
}

Test(json, rejects_invalid)
{
    const char *bad[] = {
        "", "   ", "[]", "1", "\"s\"", "null", "{", "}", "{\"a\"}", "{\"a\":}", "{\"a\":1,}",
        "{a:1}", "{'a':1}", "{\"a\":01}", "{\"a\":1.}", "{\"a\":.5}", "{\"a\":1e}", "{\"a\":+1}",
        "{\"a\":-}", "{\"a\":tru}", "{\"a\":nul}", "{\"a\":[1,]}", "{\"a\":[1 2]}",
        "{\"a\":\"unterminated}", "{\"a\":\"bad \\x escape\"}", "{\"a\":\"\\u12\"}",
        "{\"a\":\"\\u0000\"}", "{\"a\":\"\\uDE00\"}", "{\"a\":\"\\uD83D\"}",
        "{\"a\":\"\\uD83D\\u0041\"}", "{\"a\":\"tab\there\"}", "{\"a\":\"\xc3\"}",
        "{\"a\":\"\xc0\xaf\"}", "{\"a\":\"\xed\xa0\x80\"}", "{\"a\":\"\xf4\x90\x80\x80\"}",
        "{\"a\":\"\xff\"}", "{} {}", "{}x", "{\"a\":1}}", "{\"a\":[}", "{\"a\":{]}", "{,}",
        "{\"a\" 1}", "{\"a\":NaN}", "{\"a\":Infinity}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cr_assert_not(valid(bad[i]), "should reject %s", bad[i]);
        cr_assert_not(jansson_valid(bad[i], strlen(bad[i])), "jansson accepts %s", bad[i]);
    }
}

Test(json, embedded_nul_byte_rejected)
{
    lq_error err;
    cr_assert_eq(lq_json_validate("{\"a\":\"x\0y\"}", 11, &err), LQ_EINVAL);
    cr_assert_eq(lq_json_validate("{}\0", 3, &err), LQ_EINVAL);
}

Test(json, error_names_position)
{
    lq_error err;
    const char *s = "{\n  \"a\": 1,\n  \"b\": x\n}";
    cr_assert_eq(lq_json_validate(s, strlen(s), &err), LQ_EINVAL);
    cr_assert(strstr(err.msg, "unexpected character at byte 19 (line 3, column 8)"), "%s",
              err.msg);
}

static char *nested(size_t depth, int with_scalar)
{
    char *s = malloc(2 * depth + 16);
    size_t n = 0;
    s[n++] = '{';
    s[n++] = '"';
    s[n++] = 'a';
    s[n++] = '"';
    s[n++] = ':';
    for (size_t i = 1; i < depth; i++)
        s[n++] = '[';
    if (with_scalar)
        s[n++] = '1';
    for (size_t i = 1; i < depth; i++)
        s[n++] = ']';
    s[n++] = '}';
    s[n] = '\0';
    return s;
}

Test(json, depth_limit_matches_jansson)
{
    char *ok = nested(LQ_JSON_MAX_DEPTH, 0);
    char *deep = nested(LQ_JSON_MAX_DEPTH + 1, 0);
    cr_assert(valid(ok));
    cr_assert(jansson_valid(ok, strlen(ok)));
    cr_assert_not(valid(deep));
    cr_assert_not(jansson_valid(deep, strlen(deep)));
    free(ok);
    free(deep);
}

static char *read_payload(size_t *len)
{
    /* LQ_TEST_DATA is <source>/tests/data (it may not exist); the payload lives in bench/. */
    const char *dir = getenv("LQ_TEST_DATA");
    char path[4096];
    snprintf(path, sizeof(path), "%s", dir ? dir : "tests/data");
    char *slash = strrchr(path, '/');
    if (slash)
        *slash = '\0';
    else
        snprintf(path, sizeof(path), ".");
    strncat(path, "/../bench/data/pull_request_labeled.json", sizeof(path) - strlen(path) - 1);
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s", path);
    char *buf = malloc(1 << 20);
    *len = fread(buf, 1, 1 << 20, f);
    fclose(f);
    return buf;
}

Test(json, real_github_payload_and_every_truncation)
{
    size_t len;
    lq_error err;
    char *body = read_payload(&len);
    cr_assert_gt(len, 20000);
    cr_assert_eq(lq_json_validate(body, len, &err), LQ_OK, "%s", err.msg);
    /* every proper prefix is invalid, and jansson agrees on a sample of them */
    for (size_t n = 0; n < len; n++) {
        cr_assert_eq(lq_json_validate(body, n, &err), LQ_EINVAL, "prefix %zu accepted", n);
        if (n % 997 == 0)
            cr_assert_not(jansson_valid(body, n));
    }
    free(body);
}

/* ---- lq_webhook_check ---- */

static const char secret[] = "It's a Secret to Everybody";

static lq_webhook_verdict check(const char *sig, const char *event, const char *delivery,
                                const char *body, lq_error *err)
{
    lq_webhook_request req = {sig, event, delivery, body, strlen(body)};
    return lq_webhook_check(&req, secret, strlen(secret), err);
}

static void sign(char out[72], const char *body)
{
    unsigned char mac[LQ_SIGNATURE_LEN];
    cr_assert_eq(lq_signature_compute(mac, secret, strlen(secret), body, strlen(body), NULL),
                 LQ_OK);
    lq_signature_format(out, mac);
}

Test(webhook, verdicts)
{
    char sig[72], other[72];
    lq_error err;
    const char *body = "{\"action\":\"labeled\"}";
    sign(sig, body);
    sign(other, "{}");
    cr_assert_eq(check(sig, "pull_request", "72d3162e-cc78-11e3-81ab-4c9367dc0958", body, &err),
                 LQ_WEBHOOK_ACCEPT);
    cr_assert_eq(check(NULL, "pull_request", "d1", body, &err), LQ_WEBHOOK_NO_SIGNATURE);
    cr_assert_eq(check(other, "pull_request", "d1", body, &err), LQ_WEBHOOK_BAD_SIGNATURE);
    cr_assert_eq(check("sha256=zz", "pull_request", "d1", body, &err), LQ_WEBHOOK_BAD_SIGNATURE);
    cr_assert_eq(check(sig, NULL, "d1", body, &err), LQ_WEBHOOK_NO_EVENT);
    cr_assert_eq(check(sig, "", "d1", body, &err), LQ_WEBHOOK_NO_EVENT);
    cr_assert_eq(check(sig, "pull request", "d1", body, &err), LQ_WEBHOOK_BAD_HEADER);
    cr_assert_eq(check(sig, "pull_request", NULL, body, &err), LQ_WEBHOOK_NO_DELIVERY);
    cr_assert_eq(check(sig, "pull_request", "d\"1", body, &err), LQ_WEBHOOK_BAD_HEADER);
    cr_assert_eq(check(sig, "ping", "d1", body, &err), LQ_WEBHOOK_PING);
    /* an unsigned request is refused before its headers are judged */
    cr_assert_eq(check(NULL, NULL, NULL, body, &err), LQ_WEBHOOK_NO_SIGNATURE);
    /* a signed non-JSON body */
    const char *form = "payload=%7B%7D";
    sign(sig, form);
    cr_assert_eq(check(sig, "push", "d1", form, &err), LQ_WEBHOOK_BAD_JSON);
    cr_assert(strstr(err.msg, "not a JSON object"), "%s", err.msg);
}

Test(webhook, header_length_limits)
{
    char sig[72], ev[LQ_WEBHOOK_MAX_EVENT + 2], id[LQ_WEBHOOK_MAX_DELIVERY + 2];
    lq_error err;
    sign(sig, "{}");
    memset(ev, 'e', sizeof(ev));
    ev[LQ_WEBHOOK_MAX_EVENT] = '\0';
    memset(id, '1', sizeof(id));
    id[LQ_WEBHOOK_MAX_DELIVERY] = '\0';
    cr_assert_eq(check(sig, ev, id, "{}", &err), LQ_WEBHOOK_ACCEPT);
    ev[LQ_WEBHOOK_MAX_EVENT] = 'e';
    ev[LQ_WEBHOOK_MAX_EVENT + 1] = '\0';
    cr_assert_eq(check(sig, ev, id, "{}", &err), LQ_WEBHOOK_BAD_HEADER);
    ev[LQ_WEBHOOK_MAX_EVENT] = '\0';
    id[LQ_WEBHOOK_MAX_DELIVERY] = '1';
    id[LQ_WEBHOOK_MAX_DELIVERY + 1] = '\0';
    cr_assert_eq(check(sig, ev, id, "{}", &err), LQ_WEBHOOK_BAD_HEADER);
}

Test(webhook, too_big_refused_before_hashing)
{
    lq_webhook_request req = {NULL, "push", "d1", "{}", LQ_WEBHOOK_MAX_BODY + 1};
    lq_error err;
    /* body_len lies about the buffer: the check must not touch the bytes */
    cr_assert_eq(lq_webhook_check(&req, secret, strlen(secret), &err), LQ_WEBHOOK_TOO_BIG);
    cr_assert_eq(lq_webhook_http_status(LQ_WEBHOOK_TOO_BIG), 413);
    cr_assert_str_eq(lq_webhook_reason(LQ_WEBHOOK_BAD_JSON), "bad_json");
}
