/* test_train.c -- the predictive train (landq/core/train.c): the cases of
 * ../shared/docs/keep-main-green.md §8 one by one, then a model checker that plays every
 * combination of good/bad PRs (and a semantic conflict) against every setting of speculation,
 * batch, retry and optimistic, with completion orders drawn from seeds, lanes, flakes and
 * restarts through JSON, and checks the invariants after every step:
 *   main is always green; nothing lands without a passing build that contains it; landing order
 *   within a lane is queue order; nobody lands twice; every candidate holds exactly the PRs ahead
 *   of it; at most `speculation` builds per lane at once; at the end every good PR has landed,
 *   every bad one was ejected, and no try branch is left. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "train.h"

static lq_train_config cfg(unsigned k, unsigned b, unsigned retry, int optimistic)
{
    lq_train_config c = {k, b, retry, optimistic, 60000};
    return c;
}

static const char *sha(unsigned n)
{
    static char buf[8][41];
    static int i;
    i = (i + 1) % 8;
    snprintf(buf[i], sizeof buf[i], "%040x", n);
    return buf[i];
}

static lq_train *mk(lq_train_config c)
{
    lq_train *t = NULL;
    lq_error err = {0};
    cr_assert_eq(lq_train_new(&t, "acme/mono", "main", &c, &err), LQ_OK, "%s", err.msg);
    lq_train_set_tip(t, sha(0xB0), 0);
    return t;
}

static void add(lq_train *t, int pr, const char *lane)
{
    lq_error err = {0};
    const char *lanes[] = {lane};
    cr_assert_eq(lq_train_add(t, pr, sha(0x1000 + (unsigned)pr), lanes, 1, 0, pr, &err), LQ_OK, "%s", err.msg);
}

static lq_train_action next(lq_train *t, int64_t now)
{
    lq_train_action a;
    lq_train_next(t, now, &a);
    return a;
}

/* Builds every planned build (fake shas), returns how many. */
static int build_all(lq_train *t, int64_t now)
{
    int n = 0;
    for (;;) {
        lq_train_action a = next(t, now);
        if (a.kind == LQ_ACT_DELETE) {
            lq_train_ref_deleted(t, a.ref);
            continue;
        }
        if (a.kind != LQ_ACT_BUILD)
            return n;
        lq_error err = {0};
        const char *s = a.build->attempt ? a.build->sha : sha(0x5000 + a.build->id);
        cr_assert_eq(lq_train_built(t, a.build->id, a.parent_sha ? a.parent_sha : lq_train_tip(t), s, NULL, now, &err),
                     LQ_OK, "%s", err.msg);
        n++;
    }
}

static const lq_train_build *build_of(lq_train *t, int pr)
{
    const lq_train_entry *e = lq_train_entry_find(t, pr);
    cr_assert(e, "#%d not in the train", pr);
    return lq_train_build_find(t, e->build);
}

static void verdict(lq_train *t, int pr, lq_checks_verdict v, const char *why)
{
    const lq_train_build *b = build_of(t, pr);
    cr_assert(b, "#%d has no build", pr);
    cr_assert_eq(lq_train_checks(t, b->id, b->sha, v, why, 100, 10), LQ_OK);
}

/* Lands whatever is landable; returns the PRs landed, in order, as "1,2,3". */
static char landed_log[256];
static const char *land_all(lq_train *t, int64_t now)
{
    landed_log[0] = '\0';
    for (;;) {
        lq_train_action a = next(t, now);
        if (a.kind == LQ_ACT_DELETE) {
            lq_train_ref_deleted(t, a.ref);
            continue;
        }
        if (a.kind == LQ_ACT_EJECT) {
            lq_train_forget(t, a.pr);
            continue;
        }
        if (a.kind != LQ_ACT_LAND)
            return landed_log;
        size_t n = a.build->nprs;
        int prs[LQ_TRAIN_MAX_BATCH];
        memcpy(prs, a.build->prs, n * sizeof *prs);
        for (size_t i = 0; i < n; i++) {
            lq_error err = {0};
            cr_assert_eq(lq_train_landed(t, prs[i], sha(0x9000 + (unsigned)prs[i]), now, &err), LQ_OK, "%s", err.msg);
            snprintf(landed_log + strlen(landed_log), sizeof landed_log - strlen(landed_log), "%s%d",
                     landed_log[0] ? "," : "", prs[i]);
        }
    }
}

static size_t testing(lq_train *t)
{
    size_t n = 0;
    for (size_t i = 0; i < lq_train_build_count(t); i++)
        n += lq_train_build_at(t, i)->state == LQ_BUILD_TESTING;
    return n;
}

Test(train, config_ranges)
{
    lq_error err = {0};
    lq_train_config c = cfg(0, 1, 0, 0);
    cr_assert_eq(lq_train_config_check(&c, &err), LQ_EINVAL);
    cr_assert(strstr(err.msg, "speculation must be 1..32"), "%s", err.msg);
    c = cfg(33, 1, 0, 0);
    cr_assert_eq(lq_train_config_check(&c, &err), LQ_EINVAL);
    c = cfg(1, 0, 0, 0);
    cr_assert_eq(lq_train_config_check(&c, &err), LQ_EINVAL);
    cr_assert(strstr(err.msg, "batch"), "%s", err.msg);
    c = cfg(4, 4, 11, 0);
    cr_assert_eq(lq_train_config_check(&c, &err), LQ_EINVAL);
    c = cfg(32, 32, 10, 1);
    cr_assert_eq(lq_train_config_check(&c, &err), LQ_OK);
}

/* §8.1: one PR, CI green: one build on the tip, lands, its try branch is deleted. */
Test(train, one_pr_green)
{
    lq_train *t = mk(cfg(1, 1, 0, 0));
    add(t, 1, "default");
    lq_train_action a = next(t, 0);
    cr_assert_eq(a.kind, LQ_ACT_BUILD);
    cr_assert_null(a.parent_sha);
    cr_assert_str_eq(a.ref, "landq/try/main/default/pr-1");
    cr_assert_eq(build_all(t, 0), 1);
    cr_assert_eq(next(t, 0).kind, LQ_ACT_NONE); /* waiting for CI */
    verdict(t, 1, LQ_CHECKS_PASS, NULL);
    a = next(t, 1);
    cr_assert_eq(a.kind, LQ_ACT_LAND);
    lq_error err = {0};
    cr_assert_eq(lq_train_landed(t, 1, sha(0x91), 2, &err), LQ_OK);
    cr_assert(lq_train_landed_by_us(t, sha(0x91)));
    cr_assert_str_eq(lq_train_tip(t), sha(0x91));
    a = next(t, 2);
    cr_assert_eq(a.kind, LQ_ACT_DELETE);
    cr_assert_str_eq(a.ref, "landq/try/main/default/pr-1");
    lq_train_ref_deleted(t, a.ref);
    cr_assert_eq(next(t, 2).kind, LQ_ACT_NONE);
    cr_assert_eq(lq_train_entry_find(t, 1)->state, LQ_ENTRY_LANDED);
    cr_assert_eq(lq_train_stats(t)->candidates_started, 1);
    lq_train_free(t);
}

/* §8.2: P1..P3 green, window 3: three builds at once, chained, land in order, 3 builds total. */
Test(train, window_three_all_green)
{
    lq_train *t = mk(cfg(3, 1, 0, 0));
    for (int i = 1; i <= 3; i++)
        add(t, i, "default");
    cr_assert_eq(build_all(t, 0), 3);
    cr_assert_eq(testing(t), 3);
    cr_assert_eq(build_of(t, 2)->parent, build_of(t, 1)->id);
    cr_assert_eq(build_of(t, 3)->parent, build_of(t, 2)->id);
    verdict(t, 3, LQ_CHECKS_PASS, NULL); /* out of order: nothing lands before #1 */
    verdict(t, 2, LQ_CHECKS_PASS, NULL);
    cr_assert_str_eq(land_all(t, 1), "");
    verdict(t, 1, LQ_CHECKS_PASS, NULL);
    cr_assert_str_eq(land_all(t, 1), "1,2,3");
    cr_assert_eq(lq_train_stats(t)->candidates_started, 3);
    lq_train_free(t);
}

/* speculation 1: one build at a time */
Test(train, speculation_bounds_the_window)
{
    lq_train *t = mk(cfg(2, 1, 0, 0));
    for (int i = 1; i <= 5; i++)
        add(t, i, "default");
    cr_assert_eq(build_all(t, 0), 2);
    verdict(t, 1, LQ_CHECKS_PASS, NULL);
    cr_assert_str_eq(land_all(t, 1), "1");
    cr_assert_eq(build_all(t, 1), 1); /* #3 joins on top of #2 */
    cr_assert_eq(build_of(t, 3)->parent, build_of(t, 2)->id);
    lq_train_free(t);
}

/* §8.3: P1 red at the head: ejected; S2, S3 rebuilt without it (S2' on the tip). */
Test(train, head_red_ejected_and_behind_rebuilt)
{
    lq_train *t = mk(cfg(3, 1, 0, 0));
    for (int i = 1; i <= 3; i++)
        add(t, i, "default");
    build_all(t, 0);
    uint32_t old2 = build_of(t, 2)->id;
    verdict(t, 1, LQ_CHECKS_FAIL, "ci/test failed: http://ci/1");
    lq_train_action a = next(t, 1);
    cr_assert_eq(a.kind, LQ_ACT_EJECT);
    cr_assert_eq(a.pr, 1);
    cr_assert(strstr(lq_train_entry_find(t, 1)->reason, "ci/test failed: http://ci/1"));
    lq_train_forget(t, 1);
    int deleted = 0;
    while ((a = next(t, 1)).kind == LQ_ACT_DELETE) {
        deleted++;
        lq_train_ref_deleted(t, a.ref);
    }
    cr_assert_eq(deleted, 1, "pr-1's branch goes; pr-2 and pr-3 are pushed again with new candidates");
    cr_assert_eq(a.kind, LQ_ACT_BUILD);
    cr_assert_null(a.parent_sha, "S2' is built on the tip");
    build_all(t, 1);
    cr_assert_neq(build_of(t, 2)->id, old2);
    cr_assert_eq(build_of(t, 3)->parent, build_of(t, 2)->id);
    verdict(t, 2, LQ_CHECKS_PASS, NULL);
    verdict(t, 3, LQ_CHECKS_PASS, NULL);
    cr_assert_str_eq(land_all(t, 2), "2,3");
    cr_assert_eq(lq_train_stats(t)->ejections, 1);
    lq_train_free(t);
}

/* §8.4: P2 red with S1 green: P2 ejected, S3' = S1 + P3, P1 unaffected. */
Test(train, middle_red_after_head_green)
{
    lq_train *t = mk(cfg(3, 1, 0, 0));
    for (int i = 1; i <= 3; i++)
        add(t, i, "default");
    build_all(t, 0);
    uint32_t b1 = build_of(t, 1)->id;
    verdict(t, 1, LQ_CHECKS_PASS, NULL);
    verdict(t, 2, LQ_CHECKS_FAIL, "red");
    cr_assert_str_eq(land_all(t, 1), "1");
    cr_assert_eq(lq_train_entry_find(t, 2), NULL, "#2 ejected and forgotten");
    build_all(t, 1);
    const lq_train_build *b3 = build_of(t, 3);
    cr_assert(b3->parent == 0 || b3->parent == b1);
    lq_train_free(t);
}

/* §8.5: P2 red while S1 pending: PENDING_FAILURE; then S1 red: P1 ejected, P2 rebuilt, not blamed. */
Test(train, pending_failure_is_not_blamed)
{
    lq_train *t = mk(cfg(3, 1, 0, 0));
    for (int i = 1; i <= 3; i++)
        add(t, i, "default");
    build_all(t, 0);
    verdict(t, 2, LQ_CHECKS_FAIL, "red");
    cr_assert_eq(next(t, 1).kind, LQ_ACT_NONE, "nothing decided while #1 tests");
    cr_assert_eq(build_of(t, 2)->state, LQ_BUILD_FAILED);
    verdict(t, 1, LQ_CHECKS_FAIL, "red at the head");
    lq_train_action a = next(t, 2);
    cr_assert_eq(a.kind, LQ_ACT_EJECT);
    cr_assert_eq(a.pr, 1);
    lq_train_forget(t, 1);
    cr_assert_eq(lq_train_entry_find(t, 2)->state, LQ_ENTRY_IN_BUILD, "#2 is rebuilt, not ejected");
    cr_assert_eq(build_of(t, 2)->state, LQ_BUILD_PLANNED);
    lq_train_free(t);
}

/* a failed build (blame pending) is never built upon: its descendants would be wasted runs */
Test(train, never_speculates_on_a_failed_build)
{
    lq_train *t = mk(cfg(3, 1, 0, 0));
    add(t, 1, "default");
    add(t, 2, "default");
    build_all(t, 0);
    verdict(t, 2, LQ_CHECKS_FAIL, "red");
    add(t, 3, "default");
    cr_assert_eq(build_all(t, 1), 0, "#3 waits: #2's build failed");
    verdict(t, 1, LQ_CHECKS_PASS, NULL);
    land_all(t, 2);
    cr_assert_eq(build_all(t, 2), 1, "#2 ejected, #3 on the tip");
    cr_assert_eq(build_of(t, 3)->parent, 0);
    lq_train_free(t);
}

/* §8.6 and §8.8: a flake at the head is re-run once on the same candidate (a new branch); a
 * second failure ejects. */
Test(train, flake_retried_then_lands)
{
    lq_train *t = mk(cfg(2, 1, 1, 0));
    add(t, 1, "default");
    add(t, 2, "default");
    build_all(t, 0);
    char first_sha[41];
    snprintf(first_sha, sizeof first_sha, "%s", build_of(t, 1)->sha);
    uint32_t b2 = build_of(t, 2)->id;
    verdict(t, 1, LQ_CHECKS_FAIL, "flaky");
    lq_train_action a = next(t, 1);
    cr_assert_eq(a.kind, LQ_ACT_DELETE);
    cr_assert_str_eq(a.ref, "landq/try/main/default/pr-1");
    lq_train_ref_deleted(t, a.ref);
    a = next(t, 1);
    cr_assert_eq(a.kind, LQ_ACT_BUILD);
    cr_assert_eq(a.build->attempt, 1);
    cr_assert_str_eq(a.ref, "landq/try/main/default/pr-1-retry1");
    cr_assert_eq(a.build->min_check_id, 100, "the failed run's checks are ignored");
    lq_error err = {0};
    cr_assert_eq(lq_train_built(t, a.build->id, NULL, sha(1), NULL, 1, &err), LQ_EINVAL, "a re-run pushes the same commit");
    cr_assert_eq(lq_train_built(t, a.build->id, NULL, first_sha, NULL, 1, &err), LQ_OK, "%s", err.msg);
    cr_assert_eq(build_of(t, 2)->id, b2, "the build behind survives the re-run");
    verdict(t, 1, LQ_CHECKS_PASS, NULL);
    verdict(t, 2, LQ_CHECKS_PASS, NULL);
    cr_assert_str_eq(land_all(t, 2), "1,2");
    cr_assert_eq(lq_train_stats(t)->flake_retries, 1);
    cr_assert_eq(lq_train_stats(t)->flake_rescued, 1);
    cr_assert_eq(lq_train_entry_find(t, 1)->retries, 1);
    lq_train_free(t);
}

Test(train, second_failure_ejects)
{
    lq_train *t = mk(cfg(1, 1, 1, 0));
    add(t, 1, "default");
    build_all(t, 0);
    verdict(t, 1, LQ_CHECKS_FAIL, "red");
    build_all(t, 1);
    verdict(t, 1, LQ_CHECKS_FAIL, "red again");
    lq_train_action a = next(t, 2);
    cr_assert_eq(a.kind, LQ_ACT_EJECT);
    cr_assert(strstr(lq_train_entry_find(t, 1)->reason, "red again (re-run, failed again)"),
              "%s", lq_train_entry_find(t, 1)->reason);
    lq_train_free(t);
}

/* §8.9: CI never reports: after ci_timeout the build failed, the message names what was missing. */
Test(train, timeout_names_the_missing_checks)
{
    lq_train_config c = cfg(1, 1, 0, 0);
    c.ci_timeout_ms = 5000;
    lq_train *t = mk(c);
    add(t, 1, "default");
    build_all(t, 1000);
    const lq_train_build *b = build_of(t, 1);
    lq_train_checks(t, b->id, b->sha, LQ_CHECKS_PENDING, "waiting for ci/test, ci/lint", 0, 2000);
    cr_assert_eq(next(t, 5999).kind, LQ_ACT_NONE);
    lq_train_action a = next(t, 6000);
    cr_assert_eq(a.kind, LQ_ACT_EJECT);
    const char *r = lq_train_entry_find(t, 1)->reason;
    cr_assert(strstr(r, "did not all report within 5 s on landq/try/main/default/pr-1"), "%s", r);
    cr_assert(strstr(r, "waiting for ci/test, ci/lint"), "%s", r);
    lq_train_free(t);
}

/* stale reports: another sha, or a build that is not testing */
Test(train, stale_check_reports_are_ignored)
{
    lq_train *t = mk(cfg(1, 1, 0, 0));
    add(t, 1, "default");
    build_all(t, 0);
    const lq_train_build *b = build_of(t, 1);
    cr_assert_eq(lq_train_checks(t, b->id, sha(77), LQ_CHECKS_FAIL, "x", 0, 1), LQ_ENOTFOUND);
    cr_assert_eq(lq_train_checks(t, 999, b->sha, LQ_CHECKS_FAIL, "x", 0, 1), LQ_ENOTFOUND);
    cr_assert_eq(build_of(t, 1)->state, LQ_BUILD_TESTING);
    lq_train_free(t);
}

/* Batches: b = 4, #3 bad: the batch fails, its first half [1,2] passes, [3] alone fails, #4
 * (released) is rebuilt and lands. */
Test(train, batch_bisected_finds_the_culprit)
{
    lq_train *t = mk(cfg(1, 4, 0, 0));
    for (int i = 1; i <= 4; i++)
        add(t, i, "default");
    cr_assert_eq(build_all(t, 0), 1);
    cr_assert_eq(build_of(t, 1)->nprs, 4);
    cr_assert_str_eq(build_of(t, 1)->ref, "landq/try/main/default/pr-4");
    verdict(t, 1, LQ_CHECKS_FAIL, "ci/test failed");
    build_all(t, 1);
    cr_assert_eq(build_of(t, 1)->nprs, 2, "first half");
    cr_assert_eq(lq_train_entry_find(t, 3)->hold, build_of(t, 1)->id, "second half waits");
    verdict(t, 1, LQ_CHECKS_PASS, NULL);
    cr_assert_str_eq(land_all(t, 2), "1,2");
    build_all(t, 2);
    cr_assert_eq(build_of(t, 3)->nprs, 1);
    cr_assert_eq(lq_train_entry_find(t, 4)->hold, build_of(t, 3)->id);
    verdict(t, 3, LQ_CHECKS_FAIL, "red");
    lq_train_action a = next(t, 3);
    cr_assert_eq(a.kind, LQ_ACT_EJECT);
    cr_assert_eq(a.pr, 3);
    lq_train_forget(t, 3);
    build_all(t, 3);
    verdict(t, 4, LQ_CHECKS_PASS, NULL);
    cr_assert_str_eq(land_all(t, 4), "4");
    cr_assert_eq(lq_train_stats(t)->bisections, 2);
    lq_train_free(t);
}

/* the last PR is never re-tested alone: [1,2,3,4] red, [1,2] green, [3] green -> #4 is the culprit */
Test(train, last_of_a_bisection_is_blamed_without_a_run)
{
    lq_train *t = mk(cfg(1, 4, 0, 0));
    for (int i = 1; i <= 4; i++)
        add(t, i, "default");
    build_all(t, 0);
    verdict(t, 1, LQ_CHECKS_FAIL, "ci/test failed: http://ci/9");
    build_all(t, 1);
    verdict(t, 1, LQ_CHECKS_PASS, NULL);
    land_all(t, 2);
    build_all(t, 2);
    verdict(t, 3, LQ_CHECKS_PASS, NULL);
    lq_train_action a = next(t, 3);
    cr_assert_eq(a.kind, LQ_ACT_EJECT);
    cr_assert_eq(a.pr, 4);
    const char *r = lq_train_entry_find(t, 4)->reason;
    cr_assert(strstr(r, "the batch #1, #2, #3, #4 failed: ci/test failed: http://ci/9"), "%s", r);
    cr_assert(strstr(r, "passed without it"), "%s", r);
    cr_assert_eq(lq_train_stats(t)->candidates_started, 3);
    lq_train_free(t);
}

/* optimistic: S1 fails (a flake), S2 = S1 + P2 passes: S1 is rescued, both land */
Test(train, optimistic_rescue)
{
    lq_train *t = mk(cfg(2, 1, 0, 1));
    add(t, 1, "default");
    add(t, 2, "default");
    build_all(t, 0);
    verdict(t, 1, LQ_CHECKS_FAIL, "flaky");
    cr_assert_eq(next(t, 1).kind, LQ_ACT_NONE, "waits for the build behind");
    verdict(t, 2, LQ_CHECKS_PASS, NULL);
    cr_assert_str_eq(land_all(t, 2), "1,2");
    cr_assert_eq(lq_train_stats(t)->optimistic_rescues, 1);
    lq_train_free(t);
}

Test(train, not_optimistic_never_rescues)
{
    lq_train *t = mk(cfg(2, 1, 0, 0));
    add(t, 1, "default");
    add(t, 2, "default");
    build_all(t, 0);
    verdict(t, 2, LQ_CHECKS_PASS, NULL);
    verdict(t, 1, LQ_CHECKS_FAIL, "red");
    lq_train_action a = next(t, 1);
    cr_assert_eq(a.kind, LQ_ACT_EJECT);
    cr_assert_eq(a.pr, 1);
    lq_train_free(t);
}

/* lanes: independent, each with its own window, both on the tip */
Test(train, lanes_are_independent)
{
    lq_train *t = mk(cfg(1, 1, 0, 0));
    add(t, 1, "infra");
    add(t, 2, "docs");
    add(t, 3, "infra");
    cr_assert_eq(build_all(t, 0), 2);
    cr_assert_eq(build_of(t, 1)->parent, 0);
    cr_assert_eq(build_of(t, 2)->parent, 0);
    cr_assert_str_eq(build_of(t, 2)->ref, "landq/try/main/docs/pr-2");
    verdict(t, 2, LQ_CHECKS_PASS, NULL);
    cr_assert_str_eq(land_all(t, 1), "2", "docs lands while infra tests");
    verdict(t, 1, LQ_CHECKS_FAIL, "red");
    next(t, 2);
    lq_train_forget(t, 1);
    build_all(t, 2);
    cr_assert_eq(build_of(t, 3)->parent, 0);
    size_t depth = 0;
    cr_assert_eq(lq_train_position(t, 3, &depth), 1);
    cr_assert_eq(depth, 1);
    lq_train_free(t);
}

/* a PR spanning two lanes waits for both lanes ahead of it, then is built on the tip; the PRs
 * behind it in either lane speculate on top of it */
Test(train, spanning_pr_waits_for_both_lanes)
{
    lq_train *t = mk(cfg(2, 1, 0, 0));
    add(t, 1, "infra");
    add(t, 2, "docs");
    lq_error err = {0};
    const char *both[] = {"infra", "docs"};
    cr_assert_eq(lq_train_add(t, 3, sha(0x1003), both, 2, 0, 3, &err), LQ_OK);
    add(t, 4, "docs");
    cr_assert_eq(build_all(t, 0), 2);
    cr_assert_null(build_of(t, 3));
    verdict(t, 1, LQ_CHECKS_PASS, NULL);
    land_all(t, 1);
    cr_assert_eq(build_all(t, 1), 0, "docs has not landed yet");
    verdict(t, 2, LQ_CHECKS_PASS, NULL);
    land_all(t, 2);
    cr_assert_eq(build_all(t, 2), 2);
    cr_assert_eq(build_of(t, 3)->parent, 0);
    cr_assert_str_eq(build_of(t, 3)->ref, "landq/try/main/docs+infra/pr-3");
    cr_assert_eq(build_of(t, 4)->parent, build_of(t, 3)->id);
    size_t depth;
    cr_assert_eq(lq_train_position(t, 4, &depth), 2);
    lq_train_free(t);
}

Test(train, catch_all_spans_every_lane)
{
    lq_train *t = mk(cfg(2, 1, 0, 0));
    add(t, 1, "infra");
    lq_error err = {0};
    cr_assert_eq(lq_train_add(t, 2, sha(0x1002), NULL, 0, 1, 2, &err), LQ_OK);
    add(t, 3, "docs");
    cr_assert_eq(build_all(t, 0), 1, "#2 waits for #1, #3 for #2");
    verdict(t, 1, LQ_CHECKS_PASS, NULL);
    land_all(t, 1);
    cr_assert_eq(build_all(t, 1), 2);
    cr_assert_str_eq(build_of(t, 2)->ref, "landq/try/main/all/pr-2");
    cr_assert_eq(build_of(t, 3)->parent, build_of(t, 2)->id);
    lq_train_free(t);
}

/* a textual conflict with a PR ahead: blocked until it landed, then rebuilt on the tip, and
 * ejected if it still does not apply */
Test(train, conflict_with_a_pr_ahead)
{
    lq_train *t = mk(cfg(2, 1, 0, 0));
    add(t, 1, "default");
    add(t, 2, "default");
    lq_train_action a = next(t, 0);
    lq_error err = {0};
    cr_assert_eq(lq_train_built(t, a.build->id, lq_train_tip(t), sha(0x51), NULL, 0, &err), LQ_OK);
    a = next(t, 0);
    cr_assert_eq(a.kind, LQ_ACT_BUILD);
    cr_assert_eq(lq_train_build_conflict(t, a.build->id, 2, "README.md", 0, &err), LQ_OK);
    cr_assert_eq(lq_train_entry_find(t, 2)->state, LQ_ENTRY_BLOCKED);
    cr_assert_eq(build_all(t, 0), 0);
    verdict(t, 1, LQ_CHECKS_PASS, NULL);
    land_all(t, 1);
    a = next(t, 1);
    cr_assert_eq(a.kind, LQ_ACT_BUILD);
    cr_assert_null(a.parent_sha);
    cr_assert_eq(lq_train_build_conflict(t, a.build->id, 2, "README.md: content", 1, &err), LQ_OK);
    a = next(t, 1);
    cr_assert_eq(a.kind, LQ_ACT_EJECT);
    cr_assert(strstr(lq_train_entry_find(t, 2)->reason, "does not apply on main: README.md: content"));
    lq_train_free(t);
}

/* §8.15/16: a PR leaving mid-test: the builds behind are rebuilt without it */
Test(train, removed_mid_test)
{
    lq_train *t = mk(cfg(3, 1, 0, 0));
    for (int i = 1; i <= 3; i++)
        add(t, i, "default");
    build_all(t, 0);
    lq_error err = {0};
    cr_assert_eq(lq_train_remove(t, 2, &err), LQ_OK);
    cr_assert_eq(lq_train_remove(t, 2, &err), LQ_ENOTFOUND);
    cr_assert_eq(build_of(t, 1)->state, LQ_BUILD_TESTING, "the build ahead is kept");
    build_all(t, 0);
    cr_assert_eq(build_of(t, 3)->parent, build_of(t, 1)->id);
    lq_train_free(t);
}

/* a PR joining ahead (earlier label) invalidates what was built behind it */
Test(train, joining_ahead_rebuilds_behind)
{
    lq_train *t = mk(cfg(3, 1, 0, 0));
    lq_error err = {0};
    const char *d[] = {"default"};
    cr_assert_eq(lq_train_add(t, 5, sha(0x1005), d, 1, 0, 50, &err), LQ_OK);
    build_all(t, 0);
    uint32_t old = build_of(t, 5)->id;
    cr_assert_eq(lq_train_add(t, 4, sha(0x1004), d, 1, 0, 40, &err), LQ_OK);
    cr_assert_eq(lq_train_entry_at(t, 0)->pr, 4);
    build_all(t, 0);
    cr_assert_neq(build_of(t, 5)->id, old);
    cr_assert_eq(build_of(t, 5)->parent, build_of(t, 4)->id);
    /* the same head again: nothing changes; a new head: rebuilt */
    uint32_t b5 = build_of(t, 5)->id;
    cr_assert_eq(lq_train_add(t, 5, sha(0x1005), d, 1, 0, 50, &err), LQ_OK);
    cr_assert_eq(build_of(t, 5)->id, b5);
    cr_assert_eq(lq_train_add(t, 5, sha(0x2005), d, 1, 0, 50, &err), LQ_OK);
    cr_assert_null(build_of(t, 5));
    lq_train_free(t);
}

/* §8.17: the base moved by someone else: everything is rebuilt on the new tip */
Test(train, foreign_push_rebuilds_everything)
{
    lq_train *t = mk(cfg(2, 1, 0, 0));
    add(t, 1, "default");
    add(t, 2, "default");
    build_all(t, 0);
    lq_train_set_tip(t, sha(0xF0), 0); /* our own landing, say: nothing changes */
    cr_assert_eq(build_of(t, 1)->state, LQ_BUILD_TESTING);
    lq_train_set_tip(t, sha(0xF1), 1);
    cr_assert_eq(lq_train_entry_find(t, 1)->state, LQ_ENTRY_WAITING);
    cr_assert_eq(lq_train_entry_find(t, 2)->state, LQ_ENTRY_WAITING);
    cr_assert_eq(build_all(t, 0), 2);
    cr_assert_eq(build_of(t, 1)->parent, 0);
    lq_train_free(t);
}

/* landing outcomes: refused (ejected), not ready (leaves), base moved (rebuild), mismatch (frozen) */
Test(train, landing_failures)
{
    lq_error err = {0};
    lq_train *t = mk(cfg(2, 1, 0, 0));
    add(t, 1, "default");
    add(t, 2, "default");
    build_all(t, 0);
    verdict(t, 1, LQ_CHECKS_PASS, NULL);
    lq_train_action a = next(t, 1);
    cr_assert_eq(a.kind, LQ_ACT_LAND);
    cr_assert_eq(lq_train_remove(t, 1, &err), LQ_ECONFLICT, "a landing PR is not removed");
    cr_assert_eq(lq_train_land_failed(t, 1, LQ_LAND_TRANSIENT, "502", NULL, 1, &err), LQ_OK);
    cr_assert_neq(next(t, 2).kind, LQ_ACT_LAND, "not again right away");
    cr_assert_eq(next(t, 3000).kind, LQ_ACT_LAND);
    cr_assert_eq(lq_train_land_failed(t, 1, LQ_LAND_REFUSED, "Pull Request is not mergeable", NULL, 3000, &err), LQ_OK);
    a = next(t, 3000);
    cr_assert_eq(a.kind, LQ_ACT_EJECT);
    cr_assert(strstr(lq_train_entry_find(t, 1)->reason, "GitHub refused the merge: Pull Request is not mergeable"));
    lq_train_forget(t, 1);
    build_all(t, 3000);
    verdict(t, 2, LQ_CHECKS_PASS, NULL);
    cr_assert_eq(next(t, 3001).kind, LQ_ACT_LAND);
    cr_assert_eq(lq_train_land_failed(t, 2, LQ_LAND_TIP_MOVED, "main moved", NULL, 3001, &err), LQ_OK);
    cr_assert_eq(lq_train_entry_find(t, 2)->state, LQ_ENTRY_WAITING);
    build_all(t, 3001);
    verdict(t, 2, LQ_CHECKS_PASS, NULL);
    cr_assert_eq(next(t, 3002).kind, LQ_ACT_LAND);
    cr_assert_eq(lq_train_land_failed(t, 2, LQ_LAND_NOT_READY, "head moved", NULL, 3002, &err), LQ_OK);
    cr_assert_null(lq_train_entry_find(t, 2));
    add(t, 3, "default");
    build_all(t, 3002);
    verdict(t, 3, LQ_CHECKS_PASS, NULL);
    cr_assert_eq(next(t, 3003).kind, LQ_ACT_LAND);
    add(t, 4, "default");
    cr_assert_eq(lq_train_land_failed(t, 3, LQ_LAND_MISMATCH, "tree abc != def", sha(0x93), 3003, &err), LQ_OK);
    const char *why = NULL;
    cr_assert(lq_train_frozen(t, &why));
    cr_assert(strstr(why, "#3 landed a tree that was not tested: tree abc != def"), "%s", why);
    cr_assert_eq(lq_train_entry_find(t, 3)->state, LQ_ENTRY_LANDED);
    cr_assert_str_eq(lq_train_tip(t), sha(0x93));
    lq_train_action x;
    while ((x = next(t, 3004)).kind == LQ_ACT_DELETE)
        lq_train_ref_deleted(t, x.ref);
    cr_assert_eq(x.kind, LQ_ACT_NONE, "frozen: nothing is built or landed");
    lq_train_unfreeze(t);
    cr_assert_eq(next(t, 3005).kind, LQ_ACT_BUILD);
    lq_train_free(t);
}

/* JSON: a train survives a round trip in the middle of everything */
Test(train, json_round_trip)
{
    lq_train_config c = cfg(2, 2, 1, 1);
    lq_train *t = mk(c);
    for (int i = 1; i <= 5; i++)
        add(t, i, i % 2 ? "infra" : "docs");
    build_all(t, 0);
    verdict(t, 1, LQ_CHECKS_FAIL, "red");
    next(t, 1);
    json_t *j = lq_train_to_json(t);
    char *text = json_dumps(j, JSON_SORT_KEYS);
    lq_train *u = NULL;
    lq_error err = {0};
    cr_assert_eq(lq_train_from_json(&u, j, &c, &err), LQ_OK, "%s", err.msg);
    json_t *j2 = lq_train_to_json(u);
    char *text2 = json_dumps(j2, JSON_SORT_KEYS);
    cr_assert_str_eq(text, text2);
    free(text);
    free(text2);
    json_decref(j2);
    /* damaged documents are refused with a reason */
    json_object_set_new(j, "v", json_integer(9));
    lq_train *w = NULL;
    cr_assert_eq(lq_train_from_json(&w, j, &c, &err), LQ_EINVAL);
    cr_assert_null(w);
    json_object_set_new(j, "v", json_integer(1));
    json_object_set_new(json_array_get(json_object_get(j, "entries"), 0), "state", json_string("flying"));
    lq_train *v = NULL;
    cr_assert_eq(lq_train_from_json(&v, j, &c, &err), LQ_EINVAL);
    cr_assert(strstr(err.msg, "unknown state"), "%s", err.msg);
    json_decref(j);
    lq_train_free(t);
    lq_train_free(u);
}

/* ---------------------------------------------------------------- the model checker */

#define MAXPR 8

typedef struct {
    /* the world */
    int n;
    int bad[MAXPR + 1];
    int conflict_a, conflict_b; /* both present in a tree: red (0 = none) */
    const char *lane[MAXPR + 1];
    double flake;
    /* the harness */
    lq_train_config c;
    lq_train *t;
    uint64_t rng;
    unsigned set[4096];   /* build id -> PRs in its candidate (bitmask) */
    unsigned main_set;    /* PRs on main */
    int landed_order[MAXPR + 1], nlanded;
    int landed_count[MAXPR + 1];
    int ejected[MAXPR + 1];
    int runs;
    int64_t now;
    char where[256];
} sim;

static uint64_t rnd(sim *s)
{
    s->rng ^= s->rng << 13;
    s->rng ^= s->rng >> 7;
    s->rng ^= s->rng << 17;
    return s->rng;
}

static int red(const sim *s, unsigned set)
{
    for (int i = 1; i <= s->n; i++)
        if ((set >> i & 1) && s->bad[i])
            return 1;
    return s->conflict_a && (set >> s->conflict_a & 1) && (set >> s->conflict_b & 1);
}

static int same_lane(const sim *s, int a, int b)
{
    return !strcmp(s->lane[a], "*") || !strcmp(s->lane[b], "*") || !strcmp(s->lane[a], s->lane[b]);
}

static void check_bounds(sim *s)
{
    /* at most k builds planned or testing per lane */
    const char *lanes[] = {"A", "B"};
    for (int l = 0; l < 2; l++) {
        unsigned n = 0;
        for (size_t i = 0; i < lq_train_build_count(s->t); i++) {
            const lq_train_build *b = lq_train_build_at(s->t, i);
            if (b->state != LQ_BUILD_PLANNED && b->state != LQ_BUILD_TESTING)
                continue;
            const char *ln = s->lane[b->prs[0]];
            n += !strcmp(ln, lanes[l]) || !strcmp(ln, "*");
        }
        cr_assert_leq(n, s->c.speculation, "%s: %u builds in lane %s, speculation %u", s->where, n, lanes[l],
                      s->c.speculation);
    }
}

static void do_build(sim *s, const lq_train_action *a)
{
    const lq_train_build *b = a->build;
    cr_assert_lt(b->id, 4096);
    unsigned set;
    if (b->attempt > 0) {
        set = s->set[b->id];
    } else {
        const lq_train_build *p = lq_train_build_find(s->t, b->parent);
        set = p && p->state != LQ_BUILD_LANDED ? s->set[p->id] : s->main_set;
        cr_assert(!p || p->sha[0], "%s: built on an unbuilt parent", s->where);
        for (size_t i = 0; i < b->nprs; i++)
            set |= 1u << b->prs[i];
        /* speculation soundness: the candidate holds every PR on main and every active PR ahead of
         * its last PR that shares a lane with it */
        int last = b->prs[b->nprs - 1];
        size_t li = 0;
        for (size_t i = 0; i < lq_train_entry_count(s->t); i++)
            if (lq_train_entry_at(s->t, i)->pr == last)
                li = i;
        for (size_t i = 0; i < li; i++) {
            const lq_train_entry *e = lq_train_entry_at(s->t, i);
            if (e->state == LQ_ENTRY_LANDED || e->state == LQ_ENTRY_EJECTED || !same_lane(s, e->pr, last))
                continue;
            cr_assert(set >> e->pr & 1, "%s: build %u (last #%d) lacks #%d ahead of it", s->where, b->id, last, e->pr);
        }
        /* and what landed in its lanes (other lanes move the tip independently) */
        for (int i = 1; i <= s->n; i++)
            if ((s->main_set >> i & 1) && same_lane(s, i, last))
                cr_assert(set >> i & 1, "%s: build %u lacks #%d, landed in its lane", s->where, b->id, i);
    }
    s->set[b->id] = set;
    char shabuf[41];
    snprintf(shabuf, sizeof shabuf, "%040x", 0x5000 + b->id);
    lq_error err = {0};
    int rc = lq_train_built(s->t, b->id, a->parent_sha ? a->parent_sha : lq_train_tip(s->t),
                            b->attempt ? b->sha : shabuf, NULL, s->now, &err);
    cr_assert_eq(rc, LQ_OK, "%s: %s", s->where, err.msg);
    s->runs++;
}

static void do_land(sim *s, const lq_train_action *a)
{
    const lq_train_build *b = a->build;
    cr_assert_eq(b->state, LQ_BUILD_LANDING);
    cr_assert(!red(s, s->set[b->id]) || b->rescued, "%s: landing a red candidate", s->where);
    size_t n = b->nprs;
    int prs[LQ_TRAIN_MAX_BATCH];
    memcpy(prs, b->prs, n * sizeof *prs);
    uint32_t id = b->id;
    for (size_t i = 0; i < n; i++) {
        int pr = prs[i];
        cr_assert_eq(s->landed_count[pr], 0, "%s: #%d lands twice", s->where, pr);
        /* order within a lane: everything ahead in its lanes has landed or left */
        for (size_t k = 0; k < lq_train_entry_count(s->t); k++) {
            const lq_train_entry *e = lq_train_entry_at(s->t, k);
            if (e->pr == pr)
                break;
            if (same_lane(s, e->pr, pr))
                cr_assert(e->state == LQ_ENTRY_LANDED || e->state == LQ_ENTRY_EJECTED ||
                              (e->state == LQ_ENTRY_LANDING && e->build == id),
                          "%s: #%d lands before #%d (%s)", s->where, pr, e->pr, lq_entry_state_str(e->state));
        }
        s->main_set |= 1u << pr;
        cr_assert(!red(s, s->main_set), "%s: main is red after #%d (main %x)", s->where, pr, s->main_set);
        s->landed_count[pr]++;
        s->landed_order[s->nlanded++] = pr;
        char l[41];
        snprintf(l, sizeof l, "%040x", 0x9000 + pr);
        lq_error err = {0};
        cr_assert_eq(lq_train_landed(s->t, pr, l, s->now, &err), LQ_OK, "%s: %s", s->where, err.msg);
    }
}

static void restart(sim *s)
{
    json_t *j = lq_train_to_json(s->t);
    char *text = json_dumps(j, 0);
    json_decref(j);
    json_error_t je;
    j = json_loads(text, 0, &je);
    free(text);
    lq_train *u = NULL;
    lq_error err = {0};
    cr_assert_eq(lq_train_from_json(&u, j, &s->c, &err), LQ_OK, "%s: %s", s->where, err.msg);
    json_decref(j);
    lq_train_free(s->t);
    s->t = u;
}

/* Plays one world to the end. Returns the number of steps. */
static int play(sim *s, int restarts)
{
    lq_error err = {0};
    lq_train_new(&s->t, "acme/mono", "main", &s->c, &err);
    lq_train_set_tip(s->t, sha(0xB0), 0);
    for (int i = 1; i <= s->n; i++) {
        int all = !strcmp(s->lane[i], "*");
        const char *lanes[] = {s->lane[i]};
        char head[41];
        snprintf(head, sizeof head, "%040x", 0x1000 + i);
        cr_assert_eq(lq_train_add(s->t, i, head, all ? NULL : lanes, all ? 0 : 1, all, i, &err), LQ_OK, "%s", err.msg);
    }
    int steps = 0;
    for (; steps < 2000; steps++) {
        s->now += 10;
        if (restarts && rnd(s) % 7 == 0)
            restart(s);
        lq_train_action a;
        lq_train_next(s->t, s->now, &a);
        check_bounds(s);
        switch (a.kind) {
        case LQ_ACT_EJECT:
            s->ejected[a.pr]++;
            lq_train_forget(s->t, a.pr);
            continue;
        case LQ_ACT_DELETE:
            lq_train_ref_deleted(s->t, a.ref);
            continue;
        case LQ_ACT_LAND:
            do_land(s, &a);
            continue;
        case LQ_ACT_BUILD:
            if (rnd(s) % 4) { /* sometimes let CI finish something first */
                do_build(s, &a);
                continue;
            }
            break;
        case LQ_ACT_NONE:
            break;
        }
        /* complete one testing build, chosen at random */
        size_t cand[64], nc = 0;
        for (size_t i = 0; i < lq_train_build_count(s->t) && nc < 64; i++)
            if (lq_train_build_at(s->t, i)->state == LQ_BUILD_TESTING)
                cand[nc++] = i;
        if (!nc) {
            if (a.kind == LQ_ACT_BUILD) {
                do_build(s, &a);
                continue;
            }
            break; /* quiescent */
        }
        const lq_train_build *b = lq_train_build_at(s->t, cand[rnd(s) % nc]);
        int fail = red(s, s->set[b->id]) || (s->flake > 0 && (double)(rnd(s) % 1000) / 1000.0 < s->flake);
        lq_train_checks(s->t, b->id, b->sha, fail ? LQ_CHECKS_FAIL : LQ_CHECKS_PASS, fail ? "ci/test failed" : NULL,
                        s->runs, s->now);
    }
    cr_assert_lt(steps, 2000, "%s: did not settle", s->where);
    return steps;
}

static void final_checks(sim *s, int flaky)
{
    for (int i = 1; i <= s->n; i++) {
        const lq_train_entry *e = lq_train_entry_find(s->t, i);
        cr_assert(!e || e->state == LQ_ENTRY_LANDED, "%s: #%d ended %s", s->where, i,
                  e ? lq_entry_state_str(e->state) : "-");
        cr_assert_eq(s->landed_count[i] + s->ejected[i], 1, "%s: #%d landed %d times, ejected %d times", s->where, i,
                     s->landed_count[i], s->ejected[i]);
        if (s->bad[i])
            cr_assert_eq(s->ejected[i], 1, "%s: bad #%d was not ejected", s->where, i);
        else if (!flaky && i != s->conflict_b)
            cr_assert_eq(s->landed_count[i], 1, "%s: good #%d did not land", s->where, i);
    }
    if (s->conflict_a && !s->bad[s->conflict_a] && !s->bad[s->conflict_b] && !flaky)
        cr_assert_eq(s->ejected[s->conflict_b], 1, "%s: the second of the conflicting pair was not ejected", s->where);
    for (size_t i = 0; i < lq_train_build_count(s->t); i++) {
        const lq_train_build *b = lq_train_build_at(s->t, i);
        cr_assert(b->state == LQ_BUILD_LANDED || b->state == LQ_BUILD_DEAD, "%s: build %u left %s", s->where, b->id,
                  lq_build_state_str(b->state));
    }
    lq_train_action a;
    lq_train_next(s->t, s->now, &a);
    cr_assert_eq(a.kind, LQ_ACT_NONE, "%s: a try branch or an action is left", s->where);
}

/* Under Valgrind (about 50 times slower) the model checker plays a smaller space. */
static int slow_machine(void)
{
    const char *p = getenv("LD_PRELOAD");
    return (p && strstr(p, "vgpreload")) || getenv("LQ_TEST_QUICK");
}

Test(train_model, every_world_every_setting)
{
    static const unsigned ks[] = {1, 2, 4}, bs[] = {1, 2, 4}, rs[] = {0, 1};
    long worlds = 0;
    int maxn = slow_machine() ? 4 : 5;
    for (int n = 1; n <= maxn; n++)
        for (unsigned badmask = 0; badmask < (1u << n); badmask++)
            for (int pair = 0; pair <= (n >= 2 ? 2 : 0); pair++)
                for (size_t ki = 0; ki < 3; ki++)
                    for (size_t bi = 0; bi < 3; bi++)
                        for (size_t ri = 0; ri < 2; ri++)
                            for (int opt = 0; opt < 2; opt++)
                                for (uint64_t seed = 1; seed <= (slow_machine() ? 1u : 2u); seed++) {
                                    sim s;
                                    memset(&s, 0, sizeof s);
                                    s.n = n;
                                    for (int i = 1; i <= n; i++) {
                                        s.bad[i] = badmask >> (i - 1) & 1;
                                        s.lane[i] = "A";
                                    }
                                    if (pair == 1) {
                                        s.conflict_a = 1;
                                        s.conflict_b = n;
                                    } else if (pair == 2) {
                                        s.conflict_a = n - 1;
                                        s.conflict_b = n;
                                    }
                                    s.c = cfg(ks[ki], bs[bi], rs[ri], opt);
                                    s.rng = seed * 0x9E3779B97F4A7C15ull + badmask * 31 + (uint64_t)n;
                                    snprintf(s.where, sizeof s.where,
                                             "n=%d bad=%x pair=%d k=%u b=%u retry=%u opt=%d seed=%llu", n, badmask, pair,
                                             ks[ki], bs[bi], rs[ri], opt, (unsigned long long)seed);
                                    play(&s, slow_machine() ? (int)(badmask & 1) : seed == 2);
                                    final_checks(&s, 0);
                                    lq_train_free(s.t);
                                    worlds++;
                                }
    cr_log_info("%ld worlds played", worlds);
}

Test(train_model, lanes_spanning_and_flakes)
{
    static const char *const lanes[] = {"A", "B", "*"};
    long worlds = 0;
    for (uint64_t seed = 1; seed <= (slow_machine() ? 400u : 3000u); seed++) {
        sim s;
        memset(&s, 0, sizeof s);
        s.rng = seed * 0x2545F4914F6CDD1Dull;
        s.n = 2 + (int)(rnd(&s) % 7);
        for (int i = 1; i <= s.n; i++) {
            s.bad[i] = rnd(&s) % 5 == 0;
            s.lane[i] = lanes[rnd(&s) % 10 < 8 ? rnd(&s) % 2 : 2];
        }
        if (rnd(&s) % 3 == 0) { /* a semantic conflict inside one lane (across lanes: the operator's call) */
            int a = 1 + (int)(rnd(&s) % (unsigned)s.n), b = 1 + (int)(rnd(&s) % (unsigned)s.n);
            if (a != b && same_lane(&s, a, b)) {
                s.conflict_a = a < b ? a : b;
                s.conflict_b = a < b ? b : a;
            }
        }
        int flaky = rnd(&s) % 2;
        s.flake = flaky ? 0.15 : 0;
        s.c = cfg(1 + (unsigned)(rnd(&s) % 4), 1 + (unsigned)(rnd(&s) % 4), (unsigned)(rnd(&s) % 3),
                  (int)(rnd(&s) % 2));
        snprintf(s.where, sizeof s.where, "seed=%llu n=%d k=%u b=%u retry=%u opt=%d flaky=%d",
                 (unsigned long long)seed, s.n, s.c.speculation, s.c.batch, s.c.retry_failed, s.c.optimistic, flaky);
        play(&s, seed % 3 == 0);
        final_checks(&s, flaky);
        lq_train_free(s.t);
        worlds++;
    }
    cr_log_info("%ld worlds played", worlds);
}

/* The point of speculation: with k builds at once, k good PRs finish in one CI period. */
Test(train_model, speculation_lands_k_per_period)
{
    for (unsigned k = 1; k <= 8; k *= 2) {
        lq_train *t = mk(cfg(k, 1, 0, 0));
        for (int i = 1; i <= 16; i++)
            add(t, i, "default");
        int periods = 0;
        size_t landed = 0;
        while (landed < 16 && periods < 100) {
            periods++;
            build_all(t, periods);
            for (size_t i = 0; i < lq_train_build_count(t); i++) {
                const lq_train_build *b = lq_train_build_at(t, i);
                if (b->state == LQ_BUILD_TESTING)
                    lq_train_checks(t, b->id, b->sha, LQ_CHECKS_PASS, NULL, 0, periods);
            }
            land_all(t, periods);
            landed = lq_train_stats(t)->landed;
        }
        cr_assert_eq(periods, (int)(16 / k), "k=%u: %d CI periods for 16 PRs", k, periods);
        lq_train_free(t);
    }
}
