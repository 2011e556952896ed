/* str.c -- lq_strdup, lq_wipe and the string builder (pure). */
#include "str.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *lq_strdup(const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}

void lq_wipe(void *p, size_t n)
{
    volatile unsigned char *v = p;
    while (v && n--)
        *v++ = 0;
}

void lq_wipe_free(char *s)
{
    if (!s)
        return;
    lq_wipe(s, strlen(s));
    free(s);
}

static int sb_reserve(lq_sb *b, size_t more)
{
    if (b->failed)
        return -1;
    if (more > LQ_SB_MAX || b->len + more + 1 > LQ_SB_MAX) {
        b->failed = 1;
        return -1;
    }
    if (b->len + more + 1 <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + more + 1)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) {
        b->failed = 1;
        return -1;
    }
    b->p = p;
    b->cap = cap;
    return 0;
}

void lq_sb_add(lq_sb *b, const char *s, size_t n)
{
    if (!s || sb_reserve(b, n))
        return;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void lq_sb_adds(lq_sb *b, const char *s)
{
    if (s)
        lq_sb_add(b, s, strlen(s));
}

void lq_sb_addf(lq_sb *b, const char *fmt, ...)
{
    if (b->failed)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->failed = 1;
        return;
    }
    if (sb_reserve(b, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

char *lq_sb_take(lq_sb *b)
{
    char *p = NULL;
    if (!b->failed)
        p = b->p ? b->p : lq_strdup("");
    else
        free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
    b->failed = 0;
    return p;
}

void lq_sb_dispose(lq_sb *b)
{
    if (!b)
        return;
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
    b->failed = 0;
}
