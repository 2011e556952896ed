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
    int64_t iat, exp;
    lq_jwt_times(now, &iat, &exp);
    snprintf(claims, sizeof(claims), "{\"iat\":%lld,\"exp\":%lld,\"iss\":\"%.20s\"}",
             (long long)iat, (long long)exp, app_id);
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

void lq_jwt_times(int64_t now, int64_t *iat, int64_t *exp)
{
    *iat = now - LQ_JWT_BACKDATE_S;
    *exp = now + LQ_JWT_LIFETIME_S;
}

int lq_jwt_clock_refusal(const char *message)
{
    return message && (strstr(message, "claim ('iat')") || strstr(message, "claim ('exp')"));
}

/* ---- HTTP-date ---- */

static const char *const wdays[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
static const char *const wdays_long[] = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                         "Friday", "Saturday", "Sunday"};
static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* Reads exactly n digits at *p; -1 when not. */
static int digits(const char **p, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9')
            return -1;
        v = v * 10 + (c - '0');
    }
    *p += n;
    return v;
}

static int lit(const char **p, const char *word)
{
    size_t n = strlen(word);
    if (strncmp(*p, word, n))
        return 0;
    *p += n;
    return 1;
}

static int month_of(const char **p)
{
    for (int i = 0; i < 12; i++)
        if (lit(p, months[i]))
            return i + 1;
    return 0;
}

/* "HH:MM:SS" */
static int hms(const char **p, int *h, int *m, int *s)
{
    *h = digits(p, 2);
    if (*h < 0 || !lit(p, ":"))
        return 0;
    *m = digits(p, 2);
    if (*m < 0 || !lit(p, ":"))
        return 0;
    *s = digits(p, 2);
    return *s >= 0 && *h <= 23 && *m <= 59 && *s <= 60; /* 60: a leap second */
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int month_days(int y, int m)
{
    static const int n[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 ? 28 + leap : n[m - 1];
}

int lq_http_date_parse(const char *s, int64_t *out, lq_error *err)
{
    *out = 0;
    if (!s || !*s)
        return lq_error_set(err, LQ_EINVAL, "HTTP date: empty");
    const char *p = s;
    int y = -1, mo = 0, d = -1, h = 0, mi = 0, se = 0, ok = 0;
    int wd = -1;
    for (int i = 0; i < 7 && wd < 0; i++) /* the long names first: "Monday" starts with "Mon" */
        if (lit(&p, wdays_long[i]))
            wd = i + 7;
    for (int i = 0; i < 7 && wd < 0; i++)
        if (lit(&p, wdays[i]))
            wd = i;
    if (wd < 0)
        return lq_error_set(err, LQ_EINVAL, "HTTP date '%.64s': no day name", s);
    if (wd < 7 && lit(&p, ", ")) {
        /* IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" */
        ok = (d = digits(&p, 2)) >= 0 && lit(&p, " ") && (mo = month_of(&p)) && lit(&p, " ") &&
             (y = digits(&p, 4)) >= 0 && lit(&p, " ") && hms(&p, &h, &mi, &se) &&
             lit(&p, " GMT") && !*p;
    } else if (wd >= 7 && lit(&p, ", ")) {
        /* RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT" (two-digit years: 70-99 are 19xx) */
        ok = (d = digits(&p, 2)) >= 0 && lit(&p, "-") && (mo = month_of(&p)) && lit(&p, "-") &&
             (y = digits(&p, 2)) >= 0 && lit(&p, " ") && hms(&p, &h, &mi, &se) &&
             lit(&p, " GMT") && !*p;
        y += y < 70 ? 2000 : 1900;
    } else if (wd < 7 && lit(&p, " ")) {
        /* asctime: "Sun Nov  6 08:49:37 1994" (day padded with a space) */
        ok = (mo = month_of(&p)) && lit(&p, " ");
        if (ok && *p == ' ') {
            p++;
            ok = (d = digits(&p, 1)) >= 0;
        } else if (ok) {
            ok = (d = digits(&p, 2)) >= 0;
        }
        ok = ok && lit(&p, " ") && hms(&p, &h, &mi, &se) && lit(&p, " ") &&
             (y = digits(&p, 4)) >= 0 && !*p;
    }
    if (!ok)
        return lq_error_set(err, LQ_EINVAL, "HTTP date '%.64s': not an IMF-fixdate "
                            "(\"Sun, 06 Nov 1994 08:49:37 GMT\")", s);
    if (d < 1 || d > month_days(y, mo))
        return lq_error_set(err, LQ_EINVAL, "HTTP date '%.64s': no day %d in that month", s, d);
    *out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
    return LQ_OK;
}

int lq_jwt_clock_offset(int64_t *offset, const char *date, int64_t local_now, lq_error *err)
{
    *offset = 0;
    if (!date || !*date)
        return lq_error_set(err, LQ_EINVAL, "GitHub's answer has no Date header: its clock is "
                            "unknown");
    int64_t server;
    int rc = lq_http_date_parse(date, &server, err);
    if (rc)
        return rc;
    int64_t off = server - local_now;
    if (off > LQ_JWT_SKEW_MAX_S || off < -LQ_JWT_SKEW_MAX_S)
        return lq_error_set(err, LQ_EINVAL, "GitHub's Date '%.64s' is %lld s from the local "
                            "clock (over a day): not trusted; set the clock right (NTP)", date,
                            (long long)off);
    *offset = off;
    return LQ_OK;
}
