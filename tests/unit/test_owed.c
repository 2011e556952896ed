/* Unit tests of the owed ready feedback (landq/core/owed.c): written only once the landing
 * round stopped (due), never twice, never lost for another pull request. */
#include <criterion/criterion.h>

#include <string.h>

#include "owed.h"

Test(owed, first_ready_verdict_is_owed_not_written)
{
    lq_owed_set s = {0};
    cr_assert_eq(lq_owed_ready(&s, "acme/mono", 7), 0);
    cr_assert_eq(s.count, 1);
    /* evaluated again before the round stopped: still owed, one entry */
    cr_assert_eq(lq_owed_ready(&s, "acme/mono", 7), 0);
    cr_assert_eq(s.count, 1);
    lq_owed_dispose(&s);
}

Test(owed, due_entry_is_written_once_then_owed_again)
{
    lq_owed_set s = {0};
    lq_owed_ready(&s, "acme/mono", 7);
    s.items[0].due = 1; /* the landing round stopped */
    cr_assert_eq(lq_owed_ready(&s, "ACME/mono", 7), 1, "due: write it now (repo case-insensitive)");
    cr_assert_eq(s.count, 0);
    cr_assert_eq(lq_owed_ready(&s, "acme/mono", 7), 0, "a later ready verdict is owed anew");
    lq_owed_dispose(&s);
}

Test(owed, entries_are_per_pull_request_and_repository)
{
    lq_owed_set s = {0};
    for (int i = 1; i <= 40; i++)
        cr_assert_eq(lq_owed_ready(&s, "acme/mono", i), 0);
    lq_owed_ready(&s, "acme/other", 1);
    cr_assert_eq(s.count, 41);
    for (size_t i = 0; i < s.count; i++)
        if (s.items[i].number == 1 && !strcmp(s.items[i].repo, "acme/other"))
            s.items[i].due = 1;
    cr_assert_eq(lq_owed_ready(&s, "acme/mono", 1), 0, "the other repository's #1 was due");
    cr_assert_eq(lq_owed_ready(&s, "acme/other", 1), 1);
    lq_owed_drop(&s, "acme/mono", 40);
    lq_owed_drop(&s, "acme/mono", 99); /* not owed: nothing happens */
    cr_assert_eq(s.count, 39);
    lq_owed_dispose(&s);
    cr_assert_eq(s.count, 0);
    cr_assert_null(s.items);
}

Test(owed, dropped_when_another_verdict_told)
{
    lq_owed_set s = {0};
    lq_owed_ready(&s, "acme/mono", 3);
    s.items[0].due = 1;
    lq_owed_drop(&s, "acme/mono", 3); /* e.g. ejected: its feedback was written */
    cr_assert_eq(lq_owed_ready(&s, "acme/mono", 3), 0, "not due any more");
    lq_owed_dispose(&s);
}

Test(owed, pending_until_due)
{
    lq_owed_set s = {0};
    cr_assert_not(lq_owed_pending(&s, "acme/mono", 5));
    lq_owed_ready(&s, "acme/mono", 5);
    cr_assert(lq_owed_pending(&s, "Acme/Mono", 5));
    cr_assert_not(lq_owed_pending(&s, "acme/mono", 6));
    s.items[0].due = 1;
    cr_assert_not(lq_owed_pending(&s, "acme/mono", 5), "due: the evaluation writes it");
    lq_owed_dispose(&s);
}
