/* Tests for landq/core/isotime.c: GitHub's timestamps to Unix milliseconds. */
#include <criterion/criterion.h>
#include <stdint.h>

#include "error.h"
#include "isotime.h"

static int64_t parse_ok(const char *s)
{
    int64_t ms = -42;
    cr_assert_eq(lq_isotime_parse(s, &ms), LQ_OK, "%s", s);
    return ms;
}

static void parse_bad(const char *s)
{
    int64_t ms = -42;
    cr_assert_eq(lq_isotime_parse(s, &ms), LQ_EINVAL, "accepted %s", s ? s : "(null)");
    cr_assert_eq(ms, -42, "%s: output written on error", s ? s : "(null)");
}

Test(isotime, github_forms)
{
    cr_assert_eq(parse_ok("1970-01-01T00:00:00Z"), 0);
    /* `date -u -d 2026-11-28T10:39:05Z +%s` = 1795862345 */
    cr_assert_eq(parse_ok("2026-11-28T10:39:05Z"), 1795862345000LL);
    cr_assert_eq(parse_ok("2026-11-28T10:39:05.5Z"), 1795862345500LL);
    cr_assert_eq(parse_ok("2026-11-28T10:39:05.123456Z"), 1795862345123LL);
    cr_assert_eq(parse_ok("2026-11-28T11:39:05+01:00"), 1795862345000LL);
    cr_assert_eq(parse_ok("2026-11-28T05:09:05-05:30"), 1795862345000LL);
    cr_assert_eq(parse_ok("2026-11-28t10:39:05z"), 1795862345000LL);
}

Test(isotime, calendar_edges)
{
    cr_assert_eq(parse_ok("2000-02-29T00:00:00Z"), 951782400000LL);  /* leap (400) */
    cr_assert_eq(parse_ok("2024-02-29T23:59:59Z"), 1709251199000LL); /* leap (4) */
    cr_assert_eq(parse_ok("2024-03-01T00:00:00Z"), 1709251200000LL);
    cr_assert_eq(parse_ok("1969-12-31T23:59:59Z"), -1000);
    cr_assert_eq(parse_ok("2038-01-19T03:14:08Z"), 2147483648000LL); /* past 32-bit time_t */
    parse_bad("1900-02-29T00:00:00Z"); /* not leap (100) */
    parse_bad("2023-02-29T00:00:00Z");
    parse_bad("2026-04-31T00:00:00Z");
    parse_bad("2026-13-01T00:00:00Z");
    parse_bad("2026-00-01T00:00:00Z");
    parse_bad("2026-11-28T24:00:00Z");
    parse_bad("2026-11-28T10:60:00Z");
}

Test(isotime, malformed)
{
    parse_bad(NULL);
    parse_bad("");
    parse_bad("2026-11-28");
    parse_bad("2026-11-28T10:39:05");      /* no zone */
    parse_bad("2026-11-28 10:39:05Z");     /* space */
    parse_bad("2026-11-28T10:39:05Zjunk"); /* trailing */
    parse_bad("2026-11-28T10:39:05.Z");    /* empty fraction */
    parse_bad("2026-11-28T10:39:05+0100"); /* offset without colon */
    parse_bad("2026-11-28T10:39:05+24:00");
    parse_bad("26-11-28T10:39:05Z");
    parse_bad("2026-1-28T10:39:05Z");
    parse_bad("Sat, 28 Nov 2026 10:39:05 GMT"); /* an HTTP date is not ISO 8601 */
}
