/* duration.c -- "7d" / "1d12h" / "off" to milliseconds and back (pure). */
#include "duration.h"

#include <stdio.h>
#include <string.h>

#define MAX_MS (100LL * 366 * 86400 * 1000) /* 100 years */

static int64_t unit_ms(char u)
{
    switch (u) {
    case 's': return 1000LL;
    case 'm': return 60LL * 1000;
    case 'h': return 3600LL * 1000;
    case 'd': return 86400LL * 1000;
    case 'w': return 7LL * 86400 * 1000;
    default: return 0;
    }
}

int lq_duration_parse(const char *s, int64_t *out_ms, lq_error *err)
{
    if (!s || !*s)
        return lq_error_set(err, LQ_EINVAL, "empty duration (e.g. 7d, 36h, 90m; or off)");
    if (!strcmp(s, "off")) {
        *out_ms = 0;
        return LQ_OK;
    }
    int64_t total = 0;
    const char *p = s;
    while (*p) {
        if (*p < '0' || *p > '9')
            return lq_error_set(err, LQ_EINVAL,
                                "'%s' is not a duration: expected a number at '%s' (e.g. 7d, "
                                "36h, 1d12h; units s, m, h, d, w; or off)", s, p);
        int64_t n = 0;
        while (*p >= '0' && *p <= '9') {
            n = n * 10 + (*p++ - '0');
            if (n > MAX_MS / 1000)
                return lq_error_set(err, LQ_EINVAL, "'%s' is longer than 100 years", s);
        }
        if (!*p)
            return lq_error_set(err, LQ_EINVAL,
                                "'%s' has no unit: write %llds, %lldm, %lldh or %lldd", s,
                                (long long)n, (long long)n, (long long)n, (long long)n);
        int64_t u = unit_ms(*p);
        if (!u)
            return lq_error_set(err, LQ_EINVAL,
                                "'%s': unknown unit '%c' (units: s, m, h, d, w)", s, *p);
        p++;
        if (n > (MAX_MS - total) / u)
            return lq_error_set(err, LQ_EINVAL, "'%s' is longer than 100 years", s);
        total += n * u;
    }
    if (total < 1000)
        return lq_error_set(err, LQ_EINVAL,
                            "'%s' is zero: give at least 1s, or off to keep everything", s);
    *out_ms = total;
    return LQ_OK;
}

char *lq_duration_format(int64_t ms, char *out, size_t cap)
{
    if (!cap)
        return out;
    if (ms <= 0) {
        snprintf(out, cap, "off");
        return out;
    }
    static const char units[] = "dhms";
    size_t used = 0;
    out[0] = '\0';
    int64_t left = ms / 1000;
    for (const char *u = units; *u && left > 0; u++) {
        int64_t per = unit_ms(*u) / 1000;
        if (left >= per) {
            int n = snprintf(out + used, cap - used, "%lld%c", (long long)(left / per), *u);
            if (n < 0 || (size_t)n >= cap - used)
                break;
            used += (size_t)n;
            left %= per;
        }
    }
    if (!used)
        snprintf(out, cap, "%lldms", (long long)ms);
    return out;
}
