/* Fuzz target: untrusted text in landq's Markdown (core/md.c). Whatever the input, a code span
 * holds no run of backticks as long as its fence and no control character (it cannot be closed
 * early or end its line), and no line inside a fenced block can close the fence. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "md.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t run_at(const char *s)
{
    size_t n = 0;
    while (s[n] == '`')
        n++;
    return n;
}

static void check_span(const char *t)
{
    size_t n = strlen(t), f = run_at(t);
    if (!f || n < 2 * f || run_at(t + n - f) != f || (n > f && t[n - f - 1] == '`'))
        __builtin_trap();
    for (size_t i = f; i < n - f;) {
        if ((unsigned char)t[i] < 0x20 || t[i] == 0x7f)
            __builtin_trap();
        size_t r = run_at(t + i);
        if (r >= f)
            __builtin_trap();
        i += r ? r : 1;
    }
}

static void check_fence(const char *t)
{
    size_t f = run_at(t);
    if (f < 3)
        __builtin_trap();
    const char *end = t + strlen(t);
    const char *line = strchr(t, '\n') + 1;
    const char *last = end - f - 1; /* the closing fence line */
    for (const char *l = line; l < last;) {
        const char *e = memchr(l, '\n', (size_t)(last - l));
        const char *p = l;
        for (int k = 0; k < 3 && *p == ' '; k++)
            p++;
        if (run_at(p) >= f)
            __builtin_trap();
        /* CommonMark also ends a line at a bare CR */
        for (const char *c = l; c < (e ? e : last); c++)
            if (*c == '\r' && run_at(c + 1 + strspn(c + 1, " ")) >= f)
                __builtin_trap();
        l = e ? e + 1 : last;
    }
    if (run_at(last) != f || last[f] != '\n')
        __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 14)
        return 0;
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    lq_sb b = {0};
    lq_md_code(&b, s, size > 0 ? (size_t)data[0] * 4 : 10);
    char *t = lq_sb_take(&b);
    if (t)
        check_span(t);
    free(t);
    char buf[64];
    check_span(lq_md_code_buf(buf, sizeof buf, s));
    lq_md_fence(&b, "text", s);
    t = lq_sb_take(&b);
    if (t)
        check_fence(t);
    free(t);
    free(s);
    return 0;
}
