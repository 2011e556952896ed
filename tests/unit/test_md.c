/* Unit tests of Markdown containment (landq/core/md.c). */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "md.h"

static char *code(const char *s, size_t max)
{
    lq_sb b = {0};
    lq_md_code(&b, s, max);
    char *t = lq_sb_take(&b);
    cr_assert_not_null(t);
    return t;
}

Test(md, code_span_fence_outgrows_the_text)
{
    char *t = code("a.c", 100);
    cr_assert_str_eq(t, "`a.c`");
    free(t);
    t = code("a`b", 100);
    cr_assert_str_eq(t, "``a`b``");
    free(t);
    t = code("``x", 100);
    cr_assert_str_eq(t, "``` ``x ```");
    free(t);
    t = code(" lead", 100); /* CommonMark strips one space from each side: keep it */
    cr_assert_str_eq(t, "`  lead `");
    free(t);
    /* 20 backticks inside: a fence of 21, not capped */
    t = code("````````````````````@x", 100);
    cr_assert_str_eq(t, "````````````````````` ````````````````````@x `````````````````````");
    free(t);
}

Test(md, code_span_never_breaks_a_line)
{
    char *t = code("a\n\n@evil\r\tb\x7f", 100);
    cr_assert_str_eq(t, "`a??@evil??b?`");
    free(t);
    t = code("", 100);
    cr_assert_str_eq(t, "` `");
    free(t);
    t = code(NULL, 100);
    cr_assert_str_eq(t, "` `");
    free(t);
}

Test(md, code_span_is_cut_on_a_utf8_boundary)
{
    char *t = code("ab\xc3\xa9z", 3); /* "abé z": é is two bytes */
    cr_assert_str_eq(t, "`ab...`");
    free(t);
}

Test(md, fixed_buffer_spans_are_always_closed)
{
    char buf[32];
    cr_assert_str_eq(lq_md_code_buf(buf, sizeof buf, "src/main.c"), "`src/main.c`");
    const char *longp = "a/very/long/path/that/does/not/fit/in/thirty-two/bytes.c";
    lq_md_code_buf(buf, sizeof buf, longp);
    cr_assert_lt(strlen(buf), sizeof buf);
    cr_assert(buf[0] == '`' && buf[strlen(buf) - 1] == '`', "%s", buf);
    cr_assert(strstr(buf, "..."), "%s", buf);
    lq_md_code_buf(buf, sizeof buf, "````````````````````````````````````````");
    cr_assert_str_eq(buf, "`...`"); /* cannot hold its own fence: nothing of it */
}

Test(md, fence_outgrows_every_run)
{
    lq_sb b = {0};
    lq_md_fence(&b, "text", "x\n````\n@evil\n");
    char *t = lq_sb_take(&b);
    cr_assert_str_eq(t, "`````text\nx\n````\n@evil\n`````\n");
    free(t);
    lq_md_fence(&b, NULL, "plain");
    t = lq_sb_take(&b);
    cr_assert_str_eq(t, "```\nplain\n```\n");
    free(t);
}
