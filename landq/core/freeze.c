/* freeze.c -- merge freeze: request checks, texts, holding a verdict (pure). */
#include "freeze.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "md.h"

static int has_control(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7F)
            return 1;
    return 0;
}

static int utf8_ok(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        size_t len = *p < 0x80 ? 1 : (*p & 0xE0) == 0xC0 ? 2 : (*p & 0xF0) == 0xE0 ? 3
                                   : (*p & 0xF8) == 0xF0 ? 4 : 0;
        if (!len || (len == 2 && *p < 0xC2))
            return 0;
        for (size_t i = 1; i < len; i++)
            if ((p[i] & 0xC0) != 0x80)
                return 0;
        p += len;
    }
    return 1;
}

int lq_freeze_branch_ok(const char *b)
{
    size_t n = b ? strlen(b) : 0;
    if (!n || n > LQ_FREEZE_BRANCH_MAX || b[0] == '-' || b[0] == '/' || b[n - 1] == '/' ||
        b[n - 1] == '.' || has_control(b) || !utf8_ok(b) || strstr(b, "..") || strstr(b, "//") ||
        strstr(b, "@{") || (n >= 5 && !strcmp(b + n - 5, ".lock")) || !strcmp(b, "@"))
        return 0;
    return strpbrk(b, " ~^:?*[\\") == NULL;
}

int lq_freeze_check(const char *branch, const char *reason, const char *by, lq_error *err)
{
    if (!lq_freeze_branch_ok(branch))
        return lq_error_set(err, LQ_EINVAL, "branch: not a valid branch name");
    if (!reason || !*reason)
        return lq_error_set(err, LQ_EINVAL, "reason: required (say why, e.g. \"release 4.2\")");
    if (strlen(reason) > LQ_FREEZE_REASON_MAX || has_control(reason) || !utf8_ok(reason))
        return lq_error_set(err, LQ_EINVAL, "reason: at most %d bytes of text on one line",
                            LQ_FREEZE_REASON_MAX);
    if (by && (strlen(by) > LQ_FREEZE_BY_MAX || has_control(by) || !utf8_ok(by)))
        return lq_error_set(err, LQ_EINVAL, "by: at most %d bytes of text on one line",
                            LQ_FREEZE_BY_MAX);
    return LQ_OK;
}

void lq_freeze_text(char *out, size_t cap, const char *branch, const char *reason,
                    const char *by, int64_t since_ms)
{
    char since[32] = "?";
    time_t t = (time_t)(since_ms / 1000);
    struct tm tm;
    if (since_ms >= 0 && gmtime_r(&t, &tm))
        strftime(since, sizeof since, "%Y-%m-%dT%H:%M:%SZ", &tm);
    char b[300]; /* a branch name may hold backticks: a span it cannot close (core/md.h) */
    snprintf(out, cap, "%s is frozen: %s, since %s, by %s",
             lq_md_code_buf(b, sizeof b, branch ? branch : "?"),
             reason && *reason ? reason : "no reason given", since, by && *by ? by : "an admin");
}

int lq_freeze_hold(lq_verdict *v, const char *branch, const char *reason, const char *by,
                   int64_t since_ms)
{
    if (v->kind != LQ_VERDICT_READY)
        return 0;
    char text[1024], summary[160];
    lq_freeze_text(text, sizeof text, branch, reason, by, since_ms);
    snprintf(summary, sizeof summary, "waiting: %.55s is frozen (%.55s)", branch ? branch : "?",
             reason ? reason : "");
    size_t tl = strlen(text) + 1, sl = strlen(summary) + 1;
    char *t = malloc(tl), *s = malloc(sl);
    char **nr = realloc(v->reasons, (v->reason_count + 1) * sizeof(*nr));
    if (nr)
        v->reasons = nr;
    if (!t || !s || !nr) {
        free(t);
        free(s);
        return LQ_ENOMEM;
    }
    memcpy(t, text, tl);
    memcpy(s, summary, sl);
    memmove(v->reasons + 1, v->reasons, v->reason_count * sizeof(*v->reasons));
    v->reasons[0] = t;
    v->reason_count++;
    free(v->summary);
    v->summary = s;
    v->kind = LQ_VERDICT_WAIT;
    return 1;
}
