/* mh_util.c -- small pure helpers for mockhub (see mh_util.h). */
#include "mh_util.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void mh_buf_init(mh_buf *b)
{
    b->ptr = NULL;
    b->len = 0;
    b->cap = 0;
}

void mh_buf_dispose(mh_buf *b)
{
    free(b->ptr);
    mh_buf_init(b);
}

static int buf_grow(mh_buf *b, size_t extra)
{
    if (b->len + extra + 1 <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + extra + 1)
        cap *= 2;
    char *p = realloc(b->ptr, cap);
    if (!p)
        return -1;
    b->ptr = p;
    b->cap = cap;
    return 0;
}

int mh_buf_put(mh_buf *b, const char *s, size_t n)
{
    if (buf_grow(b, n) < 0)
        return -1;
    if (n)
        memcpy(b->ptr + b->len, s, n);
    b->len += n;
    b->ptr[b->len] = '\0';
    return 0;
}

int mh_buf_puts(mh_buf *b, const char *s)
{
    return mh_buf_put(b, s, strlen(s));
}

int mh_buf_printf(mh_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || buf_grow(b, (size_t)n) < 0)
        return -1;
    va_start(ap, fmt);
    vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

char *mh_buf_take(mh_buf *b)
{
    char *p = b->ptr;
    if (!p)
        p = calloc(1, 1);
    mh_buf_init(b);
    return p;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

char *mh_url_decode(const char *s, size_t n, int plus_is_space)
{
    char *out = malloc(n + 1);
    if (!out)
        return NULL;
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '%') {
            if (i + 2 >= n) {
                free(out);
                return NULL;
            }
            int hi = hexval((unsigned char)s[i + 1]), lo = hexval((unsigned char)s[i + 2]);
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
                free(out);
                return NULL;
            }
            out[j++] = (char)(hi * 16 + lo);
            i += 2;
        } else if (c == '+' && plus_is_space) {
            out[j++] = ' ';
        } else if (c == '\0') {
            free(out);
            return NULL;
        } else {
            out[j++] = c;
        }
    }
    out[j] = '\0';
    return out;
}

char *mh_url_encode(const char *s, int keep_slash)
{
    mh_buf b;
    mh_buf_init(&b);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (isalnum(*p) || *p == '-' || *p == '_' || *p == '.' || *p == '~' ||
            (keep_slash && *p == '/')) {
            if (mh_buf_put(&b, (const char *)p, 1) < 0)
                goto oom;
        } else if (mh_buf_printf(&b, "%%%02X", *p) < 0) {
            goto oom;
        }
    }
    return mh_buf_take(&b);
oom:
    mh_buf_dispose(&b);
    return NULL;
}

static const char b64tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *mh_base64_encode(const unsigned char *data, size_t n, size_t line_len)
{
    size_t enc = 4 * ((n + 2) / 3);
    size_t lines = line_len ? enc / line_len + 2 : 0;
    char *out = malloc(enc + lines + 1);
    if (!out)
        return NULL;
    size_t j = 0, col = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)data[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)data[i + 1] << 8;
        if (i + 2 < n)
            v |= data[i + 2];
        char q[4] = {b64tab[(v >> 18) & 63], b64tab[(v >> 12) & 63],
                     i + 1 < n ? b64tab[(v >> 6) & 63] : '=', i + 2 < n ? b64tab[v & 63] : '='};
        for (int k = 0; k < 4; k++) {
            out[j++] = q[k];
            if (line_len && ++col == line_len) {
                out[j++] = '\n';
                col = 0;
            }
        }
    }
    if (line_len && col)
        out[j++] = '\n';
    out[j] = '\0';
    return out;
}

unsigned char *mh_base64_decode(const char *s, size_t *out_len)
{
    size_t n = strlen(s);
    unsigned char *out = malloc(n / 4 * 3 + 4);
    if (!out)
        return NULL;
    uint32_t acc = 0;
    int bits = 0, pad = 0;
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (isspace(c))
            continue;
        if (c == '=') {
            pad++;
            continue;
        }
        const char *p = c ? strchr(b64tab, c) : NULL;
        if (!p || pad) {
            free(out);
            return NULL;
        }
        acc = (acc << 6) | (uint32_t)(p - b64tab);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[j++] = (unsigned char)(acc >> bits);
        }
    }
    if (pad > 2) {
        free(out);
        return NULL;
    }
    out[j] = 0;
    *out_len = j;
    return out;
}

void mh_time_iso(char out[32], time_t t)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
static long long days_from_civil(long long y, unsigned m, unsigned d)
{
    y -= m <= 2;
    long long era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? (unsigned)-3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (long long)doe - 719468;
}

int mh_time_parse_iso(const char *s, time_t *out)
{
    unsigned y, mo, d, h, mi, se;
    char tail[8] = "";
    int n = 0;
    if (!s || sscanf(s, "%4u-%2u-%2uT%2u:%2u:%2u%n", &y, &mo, &d, &h, &mi, &se, &n) != 6 || n != 19)
        return -1;
    snprintf(tail, sizeof tail, "%s", s + n);
    if (strcmp(tail, "Z") && strcmp(tail, "+00:00"))
        return -1;
    static const unsigned mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 || se > 59)
        return -1;
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (mo == 2 && d == 29 && !leap)
        return -1;
    *out = (time_t)(days_from_civil(y, mo, d) * 86400LL + h * 3600 + mi * 60 + se);
    return 0;
}

void mh_rng_seed(mh_rng *r, uint64_t seed)
{
    r->s = seed ? seed : 0x9E3779B97F4A7C15ull;
}

uint64_t mh_rng_next(mh_rng *r)
{
    uint64_t x = r->s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    r->s = x;
    return x * 0x2545F4914F6CDD1Dull;
}

double mh_rng_unit(mh_rng *r)
{
    return (double)(mh_rng_next(r) >> 11) / 9007199254740992.0;
}

void mh_rng_uuid(mh_rng *r, char out[37])
{
    unsigned char b[16];
    for (int i = 0; i < 16; i += 8) {
        uint64_t v = mh_rng_next(r);
        for (int k = 0; k < 8; k++)
            b[i + k] = (unsigned char)(v >> (8 * k));
    }
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
             b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
             b[14], b[15]);
}

uint64_t mh_hash64(const void *data, size_t n, uint64_t seed)
{
    uint64_t h = 0xcbf29ce484222325ull ^ seed;
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

int mh_streq_ci(const char *a, const char *b)
{
    for (; *a && *b; a++, b++)
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
            return 0;
    return *a == *b;
}
