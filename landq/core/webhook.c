/* webhook.c -- the pure decision for POST /webhook and an allocation-free JSON validator.
 * jansson needs ~380 us to build a tree for a 26 KB pull_request payload; intake only has to
 * know that the body is JSON (the worker parses it later), so validation is a single scan. */
#include "webhook.h"

#include <stdint.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "signature.h"

/* ---- JSON validation -------------------------------------------------------------------- */

typedef struct json_scan {
    const unsigned char *start, *p, *end;
} json_scan;

static int json_fail(const json_scan *s, lq_error *err, const char *what)
{
    size_t line = 1, col = 1;
    for (const unsigned char *q = s->start; q < s->p; q++) {
        if (*q == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
    }
    return lq_error_set(err, LQ_EINVAL, "body is not a JSON object: %s at byte %zu (line %zu, column %zu)",
                        what, (size_t)(s->p - s->start), line, col);
}

static void skip_ws(json_scan *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\n' || *s->p == '\r' || *s->p == '\t'))
        s->p++;
}

static int hex4(const unsigned char *p, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        unsigned char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

/* Length of the valid UTF-8 sequence at p (2..4), or 0 (Unicode 15, table 3-7). */
static size_t utf8_seq(const unsigned char *p, const unsigned char *end)
{
    unsigned char c = p[0];
    size_t n;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F; /* no UTF-16 surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F; /* <= U+10FFFF */
    } else
        return 0;
    if ((size_t)(end - p) < n || p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if (p[i] < 0x80 || p[i] > 0xBF)
            return 0;
    return n;
}

static int scan_string(json_scan *s, lq_error *err)
{
    s->p++; /* opening quote */
    for (;;) {
        const unsigned char *p = s->p, *end = s->end;
#if defined(__SSE2__)
        /* 16 bytes at a time: stop at '"', '\\', a control byte or a non-ASCII byte (signed
         * compare: bytes >= 0x80 are negative, so "< 0x20" catches them too) */
        const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\'),
                      space = _mm_set1_epi8(0x20);
        while (end - p >= 16) {
            __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
            __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote),
                                                    _mm_cmpeq_epi8(v, bslash)),
                                       _mm_cmplt_epi8(v, space));
            int mask = _mm_movemask_epi8(hit);
            if (mask) {
                p += __builtin_ctz((unsigned)mask);
                break;
            }
            p += 16;
        }
#endif
        /* 8 bytes at a time while none is '"', '\\', a control or a non-ASCII byte
         * (SWAR "has zero byte"; a false alarm only falls through to the byte loop). */
        while (end - p >= 8) {
            uint64_t w, q, b;
            memcpy(&w, p, 8);
            q = w ^ 0x2222222222222222ULL;
            b = w ^ 0x5C5C5C5C5C5C5C5CULL;
            if (((w | ((q - 0x0101010101010101ULL) & ~q) | ((b - 0x0101010101010101ULL) & ~b) |
                  ((w - 0x2020202020202020ULL) & ~w)) &
                 0x8080808080808080ULL) != 0)
                break;
            p += 8;
        }
        while (p < end && *p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\')
            p++;
        s->p = p;
        if (p == end)
            return json_fail(s, err, "unterminated string");
        if (*p == '"') {
            s->p++;
            return LQ_OK;
        }
        if (*p == '\\') {
            if (end - p < 2)
                return json_fail(s, err, "unterminated string");
            switch (p[1]) {
            case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
                s->p += 2;
                continue;
            case 'u':
                break;
            default:
                return json_fail(s, err, "invalid escape in string");
            }
            unsigned cp;
            if (end - p < 6 || hex4(p + 2, &cp) < 0)
                return json_fail(s, err, "invalid \\u escape");
            if (cp == 0)
                return json_fail(s, err, "\\u0000 in string");
            if (cp >= 0xDC00 && cp <= 0xDFFF)
                return json_fail(s, err, "lone low surrogate in \\u escape");
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                unsigned lo;
                if (end - p < 12 || p[6] != '\\' || p[7] != 'u' || hex4(p + 8, &lo) < 0 ||
                    lo < 0xDC00 || lo > 0xDFFF)
                    return json_fail(s, err, "high surrogate not followed by a low surrogate");
                s->p += 12;
            } else {
                s->p += 6;
            }
            continue;
        }
        if (*p < 0x20)
            return json_fail(s, err, "control character in string");
        size_t n = utf8_seq(p, end);
        if (!n)
            return json_fail(s, err, "invalid UTF-8 in string");
        s->p += n;
    }
}

static int scan_number(json_scan *s, lq_error *err)
{
    const unsigned char *p = s->p, *end = s->end;
    if (p < end && *p == '-')
        p++;
    if (p == end || *p < '0' || *p > '9') {
        s->p = p;
        return json_fail(s, err, "invalid number");
    }
    if (*p == '0')
        p++;
    else
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    if (p < end && *p == '.') {
        p++;
        if (p == end || *p < '0' || *p > '9') {
            s->p = p;
            return json_fail(s, err, "digit expected after decimal point");
        }
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        if (p == end || *p < '0' || *p > '9') {
            s->p = p;
            return json_fail(s, err, "digit expected in exponent");
        }
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    }
    s->p = p;
    return LQ_OK;
}

static int scan_literal(json_scan *s, const char *lit, size_t n, lq_error *err)
{
    if ((size_t)(s->end - s->p) < n || memcmp(s->p, lit, n) != 0)
        return json_fail(s, err, "invalid literal");
    s->p += n;
    return LQ_OK;
}

int lq_json_validate(const char *text, size_t len, lq_error *err)
{
    json_scan s = {(const unsigned char *)text, (const unsigned char *)text,
                   (const unsigned char *)text + len};
    unsigned char is_object[LQ_JSON_MAX_DEPTH / 8]; /* bit per open container: 1 = object */
    size_t depth = 0;
    int rc;

    if (!text && len)
        return lq_error_set(err, LQ_EINVAL, "body is missing");
    skip_ws(&s);
    if (s.p == s.end)
        return json_fail(&s, err, "empty body");
    if (*s.p != '{')
        return json_fail(&s, err, "expected '{'");

value:
    skip_ws(&s);
    if (s.p == s.end)
        return json_fail(&s, err, "unexpected end of body");
    switch (*s.p) {
    case '{':
    case '[': {
        unsigned char open = *s.p;
        if (depth == LQ_JSON_MAX_DEPTH)
            return json_fail(&s, err, "nesting deeper than 2048");
        if (open == '{')
            is_object[depth / 8] |= (unsigned char)(1u << (depth % 8));
        else
            is_object[depth / 8] &= (unsigned char)~(1u << (depth % 8));
        depth++;
        s.p++;
        skip_ws(&s);
        if (s.p < s.end && *s.p == (open == '{' ? '}' : ']')) {
            s.p++;
            depth--;
            goto after_value;
        }
        if (open == '{')
            goto key;
        goto value;
    }
    case '"':
        rc = scan_string(&s, err);
        break;
    case 't':
        rc = scan_literal(&s, "true", 4, err);
        break;
    case 'f':
        rc = scan_literal(&s, "false", 5, err);
        break;
    case 'n':
        rc = scan_literal(&s, "null", 4, err);
        break;
    default:
        if (*s.p == '-' || (*s.p >= '0' && *s.p <= '9'))
            rc = scan_number(&s, err);
        else
            rc = json_fail(&s, err, "unexpected character");
    }
    if (rc != LQ_OK)
        return rc;

after_value:
    skip_ws(&s);
    if (depth == 0) {
        if (s.p != s.end)
            return json_fail(&s, err, "unexpected data after the object");
        return LQ_OK;
    }
    if (s.p == s.end)
        return json_fail(&s, err, "unexpected end of body");
    if (is_object[(depth - 1) / 8] & (1u << ((depth - 1) % 8))) {
        if (*s.p == ',') {
            s.p++;
            goto key;
        }
        if (*s.p != '}')
            return json_fail(&s, err, "expected ',' or '}'");
    } else {
        if (*s.p == ',') {
            s.p++;
            goto value;
        }
        if (*s.p != ']')
            return json_fail(&s, err, "expected ',' or ']'");
    }
    s.p++;
    depth--;
    goto after_value;

key:
    skip_ws(&s);
    if (s.p == s.end)
        return json_fail(&s, err, "unexpected end of body");
    if (*s.p != '"')
        return json_fail(&s, err, "expected a string key");
    rc = scan_string(&s, err);
    if (rc != LQ_OK)
        return rc;
    skip_ws(&s);
    if (s.p == s.end || *s.p != ':')
        return json_fail(&s, err, "expected ':'");
    s.p++;
    goto value;
}

/* ---- the webhook decision ---------------------------------------------------------------- */

/* 1..max characters from [A-Za-z0-9._:-]: GitHub event names and delivery GUIDs. */
static int header_token_ok(const char *v, size_t max)
{
    size_t n = 0;
    for (; v[n]; n++) {
        char c = v[n];
        if (n >= max || !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                          (c >= '0' && c <= '9') || c == '.' || c == '_' || c == ':' || c == '-'))
            return 0;
    }
    return n > 0;
}

lq_webhook_verdict lq_webhook_check(const lq_webhook_request *req, const void *secret,
                                    size_t secret_len, lq_error *err)
{
    if (req->body_len > LQ_WEBHOOK_MAX_BODY) {
        lq_error_set(err, LQ_ETOOBIG, "body of %zu bytes exceeds the 25 MB limit", req->body_len);
        return LQ_WEBHOOK_TOO_BIG;
    }
    if (!req->signature) {
        lq_error_set(err, LQ_EINVAL, "missing X-Hub-Signature-256 header");
        return LQ_WEBHOOK_NO_SIGNATURE;
    }
    if (lq_signature_verify(req->signature, strlen(req->signature), secret, secret_len,
                            req->body, req->body_len, err) != LQ_OK)
        return LQ_WEBHOOK_BAD_SIGNATURE;
    if (!req->event || !*req->event) {
        lq_error_set(err, LQ_EINVAL, "missing X-GitHub-Event header");
        return LQ_WEBHOOK_NO_EVENT;
    }
    if (!header_token_ok(req->event, LQ_WEBHOOK_MAX_EVENT)) {
        lq_error_set(err, LQ_EINVAL,
                     "X-GitHub-Event must be 1-%d characters from [A-Za-z0-9._:-]",
                     LQ_WEBHOOK_MAX_EVENT);
        return LQ_WEBHOOK_BAD_HEADER;
    }
    if (!req->delivery || !*req->delivery) {
        lq_error_set(err, LQ_EINVAL, "missing X-GitHub-Delivery header");
        return LQ_WEBHOOK_NO_DELIVERY;
    }
    if (!header_token_ok(req->delivery, LQ_WEBHOOK_MAX_DELIVERY)) {
        lq_error_set(err, LQ_EINVAL,
                     "X-GitHub-Delivery must be 1-%d characters from [A-Za-z0-9._:-]",
                     LQ_WEBHOOK_MAX_DELIVERY);
        return LQ_WEBHOOK_BAD_HEADER;
    }
    if (lq_json_validate(req->body, req->body_len, err) != LQ_OK)
        return LQ_WEBHOOK_BAD_JSON;
    if (strcmp(req->event, "ping") == 0)
        return LQ_WEBHOOK_PING;
    return LQ_WEBHOOK_ACCEPT;
}

int lq_webhook_http_status(lq_webhook_verdict v)
{
    switch (v) {
    case LQ_WEBHOOK_ACCEPT: return 202;
    case LQ_WEBHOOK_PING: return 200;
    case LQ_WEBHOOK_NO_SIGNATURE:
    case LQ_WEBHOOK_BAD_SIGNATURE: return 401;
    case LQ_WEBHOOK_TOO_BIG: return 413;
    default: return 400;
    }
}

const char *lq_webhook_reason(lq_webhook_verdict v)
{
    static const char *const names[LQ_WEBHOOK_VERDICT_COUNT] = {
        "accepted", "ping", "missing_signature", "bad_signature", "too_big",
        "missing_event", "missing_delivery", "bad_header", "bad_json",
    };
    return (unsigned)v < LQ_WEBHOOK_VERDICT_COUNT ? names[v] : "unknown";
}
