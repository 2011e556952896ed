/* Tests for landq/core/duration.c: the retention durations of docs/configuration.md. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "duration.h"

static int64_t ok(const char *s)
{
    int64_t ms = -42;
    lq_error err;
    cr_assert_eq(lq_duration_parse(s, &ms, &err), LQ_OK, "%s: %s", s, err.msg);
    return ms;
}

static void bad(const char *s, const char *why)
{
    int64_t ms = -42;
    lq_error err = {0};
    cr_assert_eq(lq_duration_parse(s, &ms, &err), LQ_EINVAL, "accepted '%s'", s ? s : "(null)");
    cr_assert_eq(ms, -42, "output written on error");
    cr_assert(strstr(err.msg, why), "'%s': message '%s' lacks '%s'", s ? s : "(null)", err.msg,
              why);
}

Test(duration, units_and_sums)
{
    cr_assert_eq(ok("1s"), 1000);
    cr_assert_eq(ok("90s"), 90000);
    cr_assert_eq(ok("15m"), 15 * 60000);
    cr_assert_eq(ok("36h"), 36LL * 3600000);
    cr_assert_eq(ok("7d"), 7LL * 86400000);
    cr_assert_eq(ok("400d"), 400LL * 86400000);
    cr_assert_eq(ok("2w"), 14LL * 86400000);
    cr_assert_eq(ok("1d12h"), 36LL * 3600000);
    cr_assert_eq(ok("1h30m15s"), 5415000);
    cr_assert_eq(ok("0d1s"), 1000, "a zero part is fine when the total is not");
    cr_assert_eq(ok("off"), 0, "off = keep forever");
}

Test(duration, refused_with_a_reason)
{
    bad(NULL, "empty");
    bad("", "empty");
    bad("7", "no unit: write 7s, 7m, 7h or 7d");
    bad("7x", "unknown unit 'x'");
    bad("7D", "unknown unit 'D'");
    bad("d", "expected a number");
    bad("-1d", "expected a number");
    bad("1.5d", "unknown unit '.'");
    bad("7 d", "unknown unit ' '");
    bad(" 7d", "expected a number");
    bad("0s", "zero");
    bad("0d0h", "zero");
    bad("Off", "expected a number");
    bad("36601d", "100 years");
    bad("99999999999999999999s", "100 years");
    bad("1d99999999999999h", "100 years");
}

Test(duration, format_round_trips)
{
    char buf[32];
    cr_assert_str_eq(lq_duration_format(7LL * 86400000, buf, sizeof buf), "7d");
    cr_assert_str_eq(lq_duration_format(36LL * 3600000, buf, sizeof buf), "1d12h");
    cr_assert_str_eq(lq_duration_format(5415000, buf, sizeof buf), "1h30m15s");
    cr_assert_str_eq(lq_duration_format(0, buf, sizeof buf), "off");
    cr_assert_str_eq(lq_duration_format(250, buf, sizeof buf), "250ms");
    const char *samples[] = {"90s", "400d", "2h", "3d4h5m6s"};
    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
        int64_t ms = ok(samples[i]);
        cr_assert_eq(ok(lq_duration_format(ms, buf, sizeof buf)), ms, "%s", samples[i]);
    }
    char tiny[4];
    lq_duration_format(36LL * 3600000, tiny, sizeof tiny);
    cr_assert_lt(strlen(tiny), sizeof tiny);
}
