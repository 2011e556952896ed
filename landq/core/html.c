/* html.c -- HTML writer with escaping for landq's queue pages (pure). */
#include "html.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void put(lq_html *h, const char *s, size_t n)
{
    if (h->failed || n == 0)
        return;
    if (h->len + n + 1 > LQ_HTML_MAX) {
        h->failed = 1;
        return;
    }
    if (h->len + n + 1 > h->cap) {
        size_t nc = h->cap ? h->cap : 1024;
        while (nc < h->len + n + 1)
            nc *= 2;
        char *np = realloc(h->p, nc);
        if (!np) {
            h->failed = 1;
            return;
        }
        h->p = np;
        h->cap = nc;
    }
    memcpy(h->p + h->len, s, n);
    h->len += n;
    h->p[h->len] = '\0';
}

void lq_html_raw(lq_html *h, const char *s)
{
    if (s)
        put(h, s, strlen(s));
}

static char *vformat(const char *fmt, va_list ap)
{
    va_list cp;
    va_copy(cp, ap);
    int n = vsnprintf(NULL, 0, fmt, cp);
    va_end(cp);
    if (n < 0)
        return NULL;
    char *s = malloc((size_t)n + 1);
    if (s)
        vsnprintf(s, (size_t)n + 1, fmt, ap);
    return s;
}

void lq_html_rawf(lq_html *h, const char *fmt, ...)
{
    if (h->failed)
        return;
    va_list ap;
    va_start(ap, fmt);
    char *s = vformat(fmt, ap);
    va_end(ap);
    if (!s) {
        h->failed = 1;
        return;
    }
    lq_html_raw(h, s);
    free(s);
}

/* Length of the valid UTF-8 sequence at s[0..n), or 0 when it is not one (overlong forms,
 * surrogates and code points past U+10FFFF are invalid). *cp receives the code point. */
static size_t utf8_seq(const unsigned char *s, size_t n, unsigned long *cp)
{
    unsigned char c = s[0];
    size_t len;
    unsigned long v, min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if ((c & 0xE0) == 0xC0) {
        len = 2, v = c & 0x1F, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
        len = 3, v = c & 0x0F, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
        len = 4, v = c & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return len;
}

static const char replacement[] = "\xEF\xBF\xBD"; /* U+FFFD */

void lq_html_textn(lq_html *h, const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0, run = 0; /* bytes [run, i) are safe and not yet written */
    while (i < n && !h->failed) {
        unsigned long cp = 0;
        size_t len = utf8_seq(s + i, n - i, &cp);
        const char *rep = NULL;
        if (len == 0) {
            rep = replacement;
            len = 1;
        } else if (cp == '&') {
            rep = "&amp;";
        } else if (cp == '<') {
            rep = "&lt;";
        } else if (cp == '>') {
            rep = "&gt;";
        } else if (cp == '"') {
            rep = "&quot;";
        } else if (cp == '\'') {
            rep = "&#39;";
        } else if ((cp < 0x20 && cp != '\t' && cp != '\n') || (cp >= 0x7F && cp <= 0x9F)) {
            rep = replacement;
        }
        if (rep) {
            put(h, (const char *)s + run, i - run);
            put(h, rep, strlen(rep));
            i += len;
            run = i;
        } else {
            i += len;
        }
    }
    put(h, (const char *)s + run, i - run);
}

void lq_html_text(lq_html *h, const char *s)
{
    if (s)
        lq_html_textn(h, s, strlen(s));
}

void lq_html_textf(lq_html *h, const char *fmt, ...)
{
    if (h->failed)
        return;
    va_list ap;
    va_start(ap, fmt);
    char *s = vformat(fmt, ap);
    va_end(ap);
    if (!s) {
        h->failed = 1;
        return;
    }
    lq_html_text(h, s);
    free(s);
}

void lq_html_attr(lq_html *h, const char *s)
{
    lq_html_text(h, s); /* the same entities are right inside double-quoted attributes */
}

void lq_html_bdi(lq_html *h, const char *s)
{
    lq_html_raw(h, "<bdi>");
    lq_html_text(h, s);
    lq_html_raw(h, "</bdi>");
}

void lq_html_codetext(lq_html *h, const char *s)
{
    if (!s)
        return;
    while (*s) {
        const char *open = strchr(s, '`');
        const char *close = open ? strchr(open + 1, '`') : NULL;
        if (!close) {
            lq_html_text(h, s);
            return;
        }
        lq_html_textn(h, s, (size_t)(open - s));
        lq_html_raw(h, "<code><bdi>");
        lq_html_textn(h, open + 1, (size_t)(close - open - 1));
        lq_html_raw(h, "</bdi></code>");
        s = close + 1;
    }
}

int lq_html_origin_ok(const char *s)
{
    if (!s || strncmp(s, "https://", 8))
        return 0;
    const char *p = s + 8;
    size_t host = 0;
    while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
           *p == '-' || *p == '.') {
        p++;
        host++;
    }
    if (host == 0 || host > 253 || s[8] == '.' || s[8] == '-')
        return 0;
    if (*p == ':') {
        size_t digits = 0;
        for (p++; *p >= '0' && *p <= '9'; p++)
            digits++;
        if (digits == 0 || digits > 5)
            return 0;
    }
    return *p == '\0';
}

void lq_html_link(lq_html *h, const char *origin, const char *url, const char *text)
{
    size_t ol = origin ? strlen(origin) : 0;
    int ok = url && lq_html_origin_ok(origin) && !strncmp(url, origin, ol) && url[ol] == '/';
    /* the rest of the URL: no quote, space, control or backslash can reach the attribute */
    for (const char *p = url ? url + ol : NULL; ok && *p; p++)
        ok = (unsigned char)*p > 0x20 && (unsigned char)*p < 0x7F && *p != '"' && *p != '\'' &&
             *p != '<' && *p != '>' && *p != '\\' && *p != '`';
    if (ok) {
        lq_html_raw(h, "<a href=\"");
        lq_html_attr(h, url);
        lq_html_raw(h, "\">");
    }
    lq_html_text(h, text);
    if (ok)
        lq_html_raw(h, "</a>");
}

char *lq_html_take(lq_html *h)
{
    char *out = NULL;
    if (!h->failed)
        out = h->p ? h->p : calloc(1, 1);
    else
        free(h->p);
    h->p = NULL;
    h->len = h->cap = 0;
    h->failed = 0;
    return out;
}

void lq_html_dispose(lq_html *h)
{
    if (!h)
        return;
    free(h->p);
    h->p = NULL;
    h->len = h->cap = 0;
    h->failed = 0;
}

char *lq_html_escape(const char *s)
{
    lq_html h = {0};
    lq_html_text(&h, s ? s : "");
    return lq_html_take(&h);
}
