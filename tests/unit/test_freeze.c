/* Unit tests of the merge freeze's pure parts (landq/core/freeze.c). */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "freeze.h"

Test(freeze, branch_names)
{
    static const char *const good[] = {"main", "release/4.2", "feature-x_y", "v1.0",
                                       "caf\xC3\xA9"};
    static const char *const bad[] = {"", "-main", "/main", "main/", "main.", "a..b", "a//b",
                                      "a b", "a~1", "a^", "a:b", "a?", "a*", "a[b", "a\\b",
                                      "x.lock", "@", "a@{1}", "a\nb", "a\x7f", "\xFF"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        cr_assert(lq_freeze_branch_ok(good[i]), "%s", good[i]);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert_not(lq_freeze_branch_ok(bad[i]), "%s", bad[i]);
    char longname[300];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    cr_assert_not(lq_freeze_branch_ok(longname));
    cr_assert_not(lq_freeze_branch_ok(NULL));
}

Test(freeze, request_checks_name_the_field)
{
    lq_error err = {0};
    cr_assert_eq(lq_freeze_check("main", "release 4.2", "carol", &err), LQ_OK);
    cr_assert_eq(lq_freeze_check("main", "release 4.2", NULL, &err), LQ_OK);
    cr_assert_eq(lq_freeze_check("ma in", "x", NULL, &err), LQ_EINVAL);
    cr_assert(strstr(err.msg, "branch"));
    cr_assert_eq(lq_freeze_check("main", "", NULL, &err), LQ_EINVAL);
    cr_assert(strstr(err.msg, "reason"));
    cr_assert_eq(lq_freeze_check("main", "two\nlines", NULL, &err), LQ_EINVAL);
    cr_assert(strstr(err.msg, "reason"));
    cr_assert_eq(lq_freeze_check("main", "x", "evil\x1b[31m", &err), LQ_EINVAL);
    cr_assert(strstr(err.msg, "by"));
    char big[LQ_FREEZE_REASON_MAX + 2];
    memset(big, 'r', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    cr_assert_eq(lq_freeze_check("main", big, NULL, &err), LQ_EINVAL);
}

Test(freeze, text_names_branch_reason_since_and_by)
{
    char t[256];
    lq_freeze_text(t, sizeof t, "main", "release 4.2", "carol", 1767225600000LL);
    cr_assert_str_eq(t, "`main` is frozen: release 4.2, since 2026-01-01T00:00:00Z, by carol");
}

static lq_verdict verdict(lq_verdict_kind kind)
{
    lq_verdict v;
    memset(&v, 0, sizeof v);
    v.kind = kind;
    v.summary = strdup("ready to land");
    v.reasons = calloc(1, sizeof(*v.reasons));
    v.reasons[0] = strdup("every changed file is approved by an owner and all checks passed");
    v.reason_count = 1;
    return v;
}

Test(freeze, a_ready_verdict_waits_with_the_freeze_as_reason)
{
    lq_verdict v = verdict(LQ_VERDICT_READY);
    cr_assert_eq(lq_freeze_hold(&v, "main", "release 4.2", "carol", 1767225600000LL), 1);
    cr_assert_eq(v.kind, LQ_VERDICT_WAIT);
    cr_assert_str_eq(v.summary, "waiting: main is frozen (release 4.2)");
    cr_assert_eq(v.reason_count, 2);
    cr_assert_str_eq(v.reasons[0],
                     "`main` is frozen: release 4.2, since 2026-01-01T00:00:00Z, by carol");
    cr_assert(strstr(v.reasons[1], "approved"));
    lq_verdict_dispose(&v);

    v = verdict(LQ_VERDICT_WAIT);
    cr_assert_eq(lq_freeze_hold(&v, "main", "release 4.2", "carol", 0), 0);
    cr_assert_eq(v.kind, LQ_VERDICT_WAIT);
    cr_assert_eq(v.reason_count, 1, "a pull request that is not ready is told what it lacks");
    lq_verdict_dispose(&v);

    char longreason[400];
    memset(longreason, 'x', sizeof longreason - 1);
    longreason[sizeof longreason - 1] = '\0';
    v = verdict(LQ_VERDICT_READY);
    cr_assert_eq(lq_freeze_hold(&v, "main", longreason, "carol", 0), 1);
    cr_assert_leq(strlen(v.summary), 140, "a commit status description fits");
    lq_verdict_dispose(&v);
}

Test(freeze, text_keeps_a_hostile_branch_in_its_code_span)
{
    char t[256];
    lq_freeze_text(t, sizeof t, "rel`@evil", "release", "carol", 1767225600000LL);
    cr_assert_str_eq(t, "``rel`@evil`` is frozen: release, since 2026-01-01T00:00:00Z, by carol");
}
