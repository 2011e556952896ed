/* md.c -- untrusted text inside landq's Markdown: code spans and fences that cannot be closed. */
#include "md.h"

#include <stdlib.h>
#include <string.h>

/* The longest run of backticks in s[0..n). */
static size_t longest_run(const char *s, size_t n)
{
    size_t run = 0, longest = 0;
    for (size_t i = 0; i < n; i++) {
        run = s[i] == '`' ? run + 1 : 0;
        if (run > longest)
            longest = run;
    }
    return longest;
}

static void add_ticks(lq_sb *b, size_t n)
{
    static const char ticks[] = "````````````````";
    while (n) {
        size_t k = n < sizeof ticks - 1 ? n : sizeof ticks - 1;
        lq_sb_add(b, ticks, k);
        n -= k;
    }
}

void lq_md_code(lq_sb *b, const char *s, size_t max)
{
    if (!s)
        s = "";
    size_t n = strlen(s);
    int cut = 0;
    if (n > max) {
        n = max;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
        cut = 1;
    }
    size_t f = longest_run(s, n) + 1;
    /* CommonMark strips one space from each end when both ends have one: pad so that a text
     * starting or ending with a backtick or a space keeps it and cannot touch the fence. */
    int pad = n > 0 && (s[0] == '`' || s[n - 1] == '`' || s[0] == ' ' || s[n - 1] == ' ');
    if (n == 0 && !cut) {
        lq_sb_adds(b, "` `"); /* an empty span renders as one space; `` would be text */
        return;
    }
    add_ticks(b, f);
    if (pad)
        lq_sb_adds(b, " ");
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char o = c < 0x20 || c == 0x7f ? '?' : (char)c;
        lq_sb_add(b, &o, 1);
    }
    if (cut)
        lq_sb_adds(b, "...");
    if (pad)
        lq_sb_adds(b, " ");
    add_ticks(b, f);
}

const char *lq_md_code_buf(char *out, size_t cap, const char *s)
{
    if (!cap)
        return out;
    out[0] = '\0';
    if (!s)
        s = "";
    size_t n = strlen(s);
    /* room for the text: cap - NUL - "..." - 2 pads - 2 fences (the fence can only shrink
     * when the text is cut) */
    size_t f = longest_run(s, n) + 1, over = 1 + 3 + 2 + 2 * f;
    size_t max = cap > over ? cap - over : 0;
    lq_sb b = {0};
    lq_md_code(&b, s, max);
    char *t = lq_sb_take(&b);
    if (t && strlen(t) < cap)
        memcpy(out, t, strlen(t) + 1);
    else if (cap >= 4)
        memcpy(out, "`?`", 4); /* a pathological run of backticks that cannot fit */
    free(t);
    return out;
}

void lq_md_fence(lq_sb *b, const char *info, const char *text)
{
    if (!text)
        text = "";
    size_t n = strlen(text), f = longest_run(text, n) + 1;
    if (f < 3)
        f = 3;
    add_ticks(b, f);
    if (info)
        lq_sb_adds(b, info);
    lq_sb_adds(b, "\n");
    lq_sb_add(b, text, n);
    if (n && text[n - 1] != '\n')
        lq_sb_adds(b, "\n");
    add_ticks(b, f);
    lq_sb_adds(b, "\n");
}
