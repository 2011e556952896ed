/* Unit tests of the squash commit message builder (landq/core/message.c). */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "message.h"

static char *build(const char *body, const char *const *approvers, size_t n)
{
    char *out = NULL;
    lq_error err = {0};
    cr_assert_eq(lq_message_build(&out, body, approvers, n, &err), LQ_OK, "%s", err.msg);
    cr_assert_not_null(out);
    return out;
}

Test(message, body_then_sorted_trailers)
{
    const char *a[] = {"carol", "alice", "Bob"};
    char *m = build("Fix the widget.\n\nLonger text.", a, 3);
    cr_assert_str_eq(m, "Fix the widget.\n\nLonger text.\n\n"
                        "Approved-by: alice\nApproved-by: Bob\nApproved-by: carol");
    free(m);
}

Test(message, empty_body_gives_only_trailers)
{
    const char *a[] = {"zed", "amy"};
    char *m = build("", a, 2);
    cr_assert_str_eq(m, "Approved-by: amy\nApproved-by: zed");
    free(m);
    m = build(NULL, a, 2);
    cr_assert_str_eq(m, "Approved-by: amy\nApproved-by: zed");
    free(m);
}

Test(message, body_of_only_comments_counts_as_empty)
{
    const char *a[] = {"amy"};
    char *m = build("<!-- Describe your change -->\r\n\r\n<!-- and test it -->\r\n  \n", a, 1);
    cr_assert_str_eq(m, "Approved-by: amy");
    free(m);
}

Test(message, html_comments_stripped_inline_and_multiline)
{
    char *m = build("Intro<!-- hidden -->text\n<!-- a\nmulti-line\ncomment -->\nMore  \nEnd", NULL, 0);
    cr_assert_str_eq(m, "Introtext\nMore\nEnd");
    free(m);
}

Test(message, unterminated_comment_hides_the_rest)
{
    char *m = build("Visible\n<!-- never closed\nsecret", NULL, 0);
    cr_assert_str_eq(m, "Visible");
    free(m);
}

Test(message, crlf_and_trailing_whitespace_trimmed)
{
    char *m = build("\n\nLine one \t\r\nLine two\r\n\r\n\r\n   ", NULL, 0);
    cr_assert_str_eq(m, "Line one\nLine two");
    free(m);
}

Test(message, keeps_indentation_and_inner_blank_lines)
{
    char *m = build("Code:\n\n    int x;\n\nDone", NULL, 0);
    cr_assert_str_eq(m, "Code:\n\n    int x;\n\nDone");
    free(m);
}

Test(message, duplicate_approvers_once)
{
    const char *a[] = {"amy", "Amy", "bob"};
    char *m = build("B", a, 3);
    cr_assert_str_eq(m, "B\n\nApproved-by: Amy\nApproved-by: bob");
    free(m);
}

Test(message, lone_angle_brackets_are_text)
{
    char *m = build("a < b <!- not a comment -> c <!-", NULL, 0);
    cr_assert_str_eq(m, "a < b <!- not a comment -> c <!-");
    free(m);
}

Test(message, empty_everything_is_empty_string)
{
    char *m = build("   \n", NULL, 0);
    cr_assert_str_eq(m, "");
    free(m);
}

Test(message, null_login_rejected)
{
    const char *a[] = {"amy", NULL};
    char *out = (char *)1;
    lq_error err = {0};
    cr_assert_eq(lq_message_build(&out, "x", a, 2, &err), LQ_EINVAL);
    cr_assert_null(out);
}

Test(message, login_with_newline_rejected)
{
    const char *a[] = {"amy\nApproved-by: mallory"};
    char *out = NULL;
    lq_error err = {0};
    cr_assert_eq(lq_message_build(&out, "x", a, 1, &err), LQ_EINVAL);
    cr_assert_null(out);
    const char *b[] = {"a b"};
    cr_assert_eq(lq_message_build(&out, "x", b, 1, &err), LQ_EINVAL);
}

/* Issue 12, defect 5: only landq writes Approved-by trailers. */
Test(message, forged_trailer_in_the_body_is_quoted_with_no_approvers)
{
    char *m = build("Fix the typo.\r\n\r\nApproved-by: bob\r\n", NULL, 0);
    cr_assert_str_eq(m, "Fix the typo.\n\n> Approved-by: bob");
    free(m);
}

Test(message, forged_trailers_in_any_spelling_are_quoted)
{
    const char *a[] = {"carol"};
    char *m = build("Text.\n\napproved-by: bob\nAPPROVED-BY : dave\n  Approved-by:\terin\n"
                    "Approved-by-me: no\nNot Approved-by: x\nSigned-off-by: alice",
                    a, 1);
    cr_assert_str_eq(m, "Text.\n\n> approved-by: bob\n> APPROVED-BY : dave\n>   Approved-by:\terin\n"
                        "Approved-by-me: no\nNot Approved-by: x\nSigned-off-by: alice\n\n"
                        "Approved-by: carol");
    free(m);
}

Test(message, only_landq_trailer_lines_parse_as_trailers)
{
    const char *a[] = {"carol"};
    char *m = build("Approved-by: mallory\n<!-- x -->Approved-by: eve\n\nApproved-by: bob", a, 1);
    /* every line that reads as a trailer is one of landq's block at the end */
    size_t trailers = 0;
    const char *block = strstr(m, "\n\nApproved-by: carol");
    cr_assert_not_null(block, "%s", m);
    for (const char *l = m; *l;) {
        const char *e = strchr(l, '\n');
        size_t n = e ? (size_t)(e - l) : strlen(l);
        if (lq_message_is_trailer(l, n)) {
            trailers++;
            cr_assert(l > block, "forged trailer kept: %.*s in\n%s", (int)n, l, m);
        }
        l += n + (e != NULL);
    }
    cr_assert_eq(trailers, 1, "%s", m);
    free(m);
}

Test(message, trailer_recognizer)
{
    cr_assert(lq_message_is_trailer("Approved-by: x", 14));
    cr_assert(lq_message_is_trailer("approved-by:x", 13));
    cr_assert(lq_message_is_trailer(" \tApproved-by \t: x", 18));
    cr_assert_not(lq_message_is_trailer("> Approved-by: x", 16));
    cr_assert_not(lq_message_is_trailer("Approved-byx: x", 15));
    cr_assert_not(lq_message_is_trailer("Approved-by", 11));
    cr_assert_not(lq_message_is_trailer("Approved-by: x", 5));
}
