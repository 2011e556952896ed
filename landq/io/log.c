/* log.c -- the logfmt logger: level gate, value escaping, one write per line. */
#include "log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LINE_MAX_BYTES 4096

static atomic_int min_level = LQ_LOG_INFO;
static lq_log_sink_fn *sink_fn;
static void *sink_ctx;

void lq_log_set_level(lq_log_level min)
{
    atomic_store(&min_level, (int)min);
}

int lq_log_enabled(lq_log_level level)
{
    return (int)level >= atomic_load_explicit(&min_level, memory_order_relaxed);
}

const char *lq_log_level_str(lq_log_level level)
{
    static const char *const names[] = {"debug", "info", "warn", "error"};
    return (unsigned)level < 4 ? names[level] : "info";
}

void lq_log_set_sink(lq_log_sink_fn *fn, void *ctx)
{
    sink_fn = fn;
    sink_ctx = ctx;
}

/* ---------------------------------------------------------------- a bounded line */

typedef struct line {
    char *p;
    size_t len, cap; /* cap includes the NUL */
    int full;
} line;

static void put(line *l, const char *s, size_t n)
{
    if (l->full)
        return;
    if (l->len + n + 1 > l->cap) {
        n = l->cap - l->len - 1;
        l->full = 1;
    }
    memcpy(l->p + l->len, s, n);
    l->len += n;
    l->p[l->len] = '\0';
}

static int needs_quotes(const char *s, size_t n)
{
    if (!n)
        return 1;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= ' ' || c == '=' || c == '"' || c == '\\' || c == 0x7f)
            return 1;
    }
    return 0;
}

/* Writes s[0..n) escaped for the inside of a logfmt quoted value. */
static void put_escaped(line *l, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char e[8];
        if (c == '"' || c == '\\') {
            e[0] = '\\';
            e[1] = (char)c;
            put(l, e, 2);
        } else if (c == '\n') {
            put(l, "\\n", 2);
        } else if (c == '\r') {
            put(l, "\\r", 2);
        } else if (c == '\t') {
            put(l, "\\t", 2);
        } else if (c < 0x20 || c == 0x7f) {
            snprintf(e, sizeof e, "\\x%02x", c);
            put(l, e, 4);
        } else {
            put(l, (const char *)&s[i], 1);
        }
    }
}

/* A printf with %s values escaped for logfmt (see log.h). Conversions other than %s are
 * formatted one by one with snprintf (the spec copied from the format, which the compiler
 * checked at the call site: hence the non-literal formats below). */
#if defined(__GNUC__) || defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
#endif
static void vformat(line *l, const char *fmt, va_list ap)
{
    int quoted = 0; /* inside a "..." of the format's literal text */
    for (const char *f = fmt; *f && !l->full;) {
        if (*f != '%') {
            const char *lit = f;
            while (*f && *f != '%') {
                if (*f == '"')
                    quoted = !quoted;
                f++;
            }
            put(l, lit, (size_t)(f - lit));
            continue;
        }
        const char *spec = f++;
        if (*f == '%') {
            put(l, "%", 1);
            f++;
            continue;
        }
        while (*f && strchr("-+ #0", *f))
            f++;
        int width = -1, prec = -1;
        if (*f == '*') {
            width = va_arg(ap, int);
            f++;
        } else {
            while (*f >= '0' && *f <= '9')
                f++;
        }
        if (*f == '.') {
            f++;
            if (*f == '*') {
                prec = va_arg(ap, int);
                f++;
            } else {
                prec = 0;
                while (*f >= '0' && *f <= '9')
                    prec = prec * 10 + (*f++ - '0');
            }
        }
        char len[3] = "";
        if ((f[0] == 'h' && f[1] == 'h') || (f[0] == 'l' && f[1] == 'l')) {
            len[0] = f[0];
            len[1] = f[1];
            f += 2;
        } else if (*f && strchr("hlzjtL", *f)) {
            len[0] = *f++;
        }
        char conv = *f ? *f++ : '\0';
        char one[64];
        size_t sl = (size_t)(f - spec);
        if (sl >= sizeof one)
            return; /* absurd spec: stop rather than misread the arguments */
        memcpy(one, spec, sl);
        one[sl] = '\0';
        char out[128];
        int n = 0;
        switch (conv) {
        case 's': {
            const char *s = va_arg(ap, const char *);
            if (!s)
                s = "(null)";
            size_t sn = prec >= 0 ? strnlen(s, (size_t)prec) : strlen(s);
            (void)width; /* no padding: values are never aligned in logfmt */
            if (quoted) {
                put_escaped(l, s, sn);
            } else if (needs_quotes(s, sn)) {
                put(l, "\"", 1);
                put_escaped(l, s, sn);
                put(l, "\"", 1);
            } else {
                put(l, s, sn);
            }
            continue;
        }
        case 'c': {
            char c = (char)va_arg(ap, int);
            if (quoted || !needs_quotes(&c, 1))
                put_escaped(l, &c, 1);
            else {
                put(l, "\"", 1);
                put_escaped(l, &c, 1);
                put(l, "\"", 1);
            }
            continue;
        }
        case 'd':
        case 'i':
        case 'u':
        case 'x':
        case 'X':
        case 'o':
            if (!strcmp(len, "ll"))
                n = conv == 'd' || conv == 'i' ? snprintf(out, sizeof out, one, va_arg(ap, long long))
                                               : snprintf(out, sizeof out, one,
                                                          va_arg(ap, unsigned long long));
            else if (!strcmp(len, "l"))
                n = conv == 'd' || conv == 'i' ? snprintf(out, sizeof out, one, va_arg(ap, long))
                                               : snprintf(out, sizeof out, one,
                                                          va_arg(ap, unsigned long));
            else if (!strcmp(len, "z"))
                n = snprintf(out, sizeof out, one, va_arg(ap, size_t));
            else if (!strcmp(len, "j"))
                n = conv == 'd' || conv == 'i' ? snprintf(out, sizeof out, one, va_arg(ap, intmax_t))
                                               : snprintf(out, sizeof out, one,
                                                          va_arg(ap, uintmax_t));
            else if (!strcmp(len, "t"))
                n = snprintf(out, sizeof out, one, va_arg(ap, ptrdiff_t));
            else
                n = conv == 'd' || conv == 'i' ? snprintf(out, sizeof out, one, va_arg(ap, int))
                                               : snprintf(out, sizeof out, one,
                                                          va_arg(ap, unsigned));
            break;
        case 'f':
        case 'g':
        case 'e':
        case 'F':
        case 'G':
        case 'E':
            if (!strcmp(len, "L"))
                n = snprintf(out, sizeof out, one, va_arg(ap, long double));
            else
                n = snprintf(out, sizeof out, one, va_arg(ap, double));
            break;
        case 'p':
            n = snprintf(out, sizeof out, one, va_arg(ap, void *));
            break;
        default:
            return; /* unknown conversion: the arguments cannot be read safely */
        }
        if (n > 0)
            put(l, out, (size_t)n < sizeof out ? (size_t)n : sizeof out - 1);
    }
}

#if defined(__GNUC__) || defined(__clang__)
#pragma GCC diagnostic pop
#endif

size_t lq_log_vformat(char *buf, size_t cap, const char *fmt, va_list ap)
{
    if (!cap)
        return 0;
    line l = {buf, 0, cap, 0};
    buf[0] = '\0';
    va_list cp;
    va_copy(cp, ap);
    vformat(&l, fmt, cp);
    va_end(cp);
    if (l.full && cap > 4)
        memcpy(buf + cap - 4, "...", 4);
    return strlen(buf);
}

size_t lq_log_format(char *buf, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t n = lq_log_vformat(buf, cap, fmt, ap);
    va_end(ap);
    return n;
}

static void prefix(line *l, lq_log_level level, const char *mod)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char when[32];
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
    char head[96];
    int n = snprintf(head, sizeof head, "ts=%s.%03ldZ level=%s mod=", when, ts.tv_nsec / 1000000,
                     lq_log_level_str(level));
    put(l, head, (size_t)n);
    const char *m = mod && *mod ? mod : "landq";
    put_escaped(l, m, strlen(m));
    put(l, " ", 1);
}

static void write_line(lq_log_level level, line *l)
{
    if (l->full && l->cap > 4)
        memcpy(l->p + l->cap - 4, "...", 4);
    if (sink_fn) {
        sink_fn(level, l->p, sink_ctx);
        return;
    }
    size_t n = strlen(l->p);
    l->p[n] = '\n'; /* there is room: the line reserved its NUL */
    fwrite(l->p, 1, n + 1, stderr);
    l->p[n] = '\0';
}

void lq_log__emit(lq_log_level level, const char *mod, const char *fmt, ...)
{
    char buf[LINE_MAX_BYTES];
    line l = {buf, 0, sizeof buf, 0};
    buf[0] = '\0';
    prefix(&l, level, mod);
    va_list ap;
    va_start(ap, fmt);
    vformat(&l, fmt, ap);
    va_end(ap);
    write_line(level, &l);
}

void lq_log_line(lq_log_level level, const char *mod, const char *text)
{
    if (!lq_log_enabled(level))
        return;
    char buf[LINE_MAX_BYTES];
    line l = {buf, 0, sizeof buf, 0};
    buf[0] = '\0';
    prefix(&l, level, mod);
    for (const char *s = text ? text : ""; *s && !l.full; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x20 || c == 0x7f)
            put_escaped(&l, s, 1);
        else
            put(&l, s, 1);
    }
    write_line(level, &l);
}
