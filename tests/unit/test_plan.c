/* Unit tests of the landing plan (landq/core/plan.c): every field that can change between the
 * decision and the merge is seen by lq_plan_diff, list order does not matter, and only a moved
 * base tip is allowed to differ. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"
#include "policy.h"

#define HEAD "1111111111111111111111111111111111111111"
#define BASE "2222222222222222222222222222222222222222"
#define BLOB "3333333333333333333333333333333333333333"

/* A plan as evaluation builds it; reversed lists the order GitHub listed things in. */
static void build(lq_plan *p, int reversed)
{
    lq_error err = {0};
    cr_assert_eq(lq_plan_init(p, "acme/mono", 7, "main", BASE, HEAD, &err), LQ_OK);
    cr_assert_eq(lq_plan_set_label(p, "alice", 1700000000000, 42, &err), LQ_OK);
    cr_assert_eq(lq_plan_set_message(p, "Fix infra", "Body\n\nApproved-by: ivan", &err), LQ_OK);
    lq_plan_set_codeowners(p, BLOB);
    const char *who[] = {"ivan", "Bob"};
    int64_t ids[] = {11, 10};
    for (int i = 0; i < 2; i++) {
        int k = reversed ? 1 - i : i;
        cr_assert_eq(lq_plan_add_approval(p, who[k], ids[k], &err), LQ_OK);
        cr_assert_eq(lq_plan_add_check(p, k ? "ci/lint" : "ci/test", LQ_CHECK_SUCCESS, &err),
                     LQ_OK);
    }
    lq_plan_seal(p);
}

Test(plan, same_facts_same_plan_whatever_the_order)
{
    lq_plan a, b;
    build(&a, 0);
    build(&b, 1);
    cr_assert_eq(lq_plan_diff(&a, &b), LQ_PLAN_SAME);
    cr_assert_str_eq(a.approvals[0].login, "Bob"); /* sorted case-insensitively */
    cr_assert_str_eq(a.checks[0].name, "ci/lint");
    lq_plan_dispose(&a);
    lq_plan_dispose(&b);
}

Test(plan, copy_is_deep_and_equal)
{
    lq_plan a, c;
    lq_error err = {0};
    build(&a, 0);
    cr_assert_eq(lq_plan_copy(&c, &a, &err), LQ_OK);
    cr_assert_neq(c.approvals, a.approvals);
    cr_assert_neq(c.title, a.title);
    lq_plan_seal(&c);
    cr_assert_eq(lq_plan_diff(&a, &c), LQ_PLAN_SAME);
    lq_plan_dispose(&a);
    cr_assert_eq(c.number, 7);
    lq_plan_dispose(&c);
    lq_plan_dispose(&c); /* disposed twice: zeroed, harmless */
    lq_plan_dispose(NULL);
}

/* One change of each field, and the bit it must raise. */
typedef void (*mutate_fn)(lq_plan *p);
static void m_number(lq_plan *p) { p->number = 8; }
static void m_repo(lq_plan *p) { free(p->repo); p->repo = strdup("acme/other"); }
static void m_base_ref(lq_plan *p) { free(p->base_ref); p->base_ref = strdup("scratch"); }
static void m_base_sha(lq_plan *p) { p->base_sha[0] = '9'; }
static void m_head(lq_plan *p) { p->head_sha[0] = '9'; }
static void m_labeler(lq_plan *p) { free(p->labeler); p->labeler = strdup("rita"); }
static void m_label_time(lq_plan *p) { p->labeled_at_ms += 1000; }
static void m_label_event(lq_plan *p) { p->label_event_id = 43; }
static void m_codeowners(lq_plan *p) { p->codeowners_blob[0] = '9'; }
static void m_codeowners_gone(lq_plan *p) { p->codeowners_blob[0] = '\0'; }
static void m_approval_gone(lq_plan *p) { free(p->approvals[1].login); p->approval_count = 1; }
static void m_approval_new_review(lq_plan *p) { p->approvals[0].review_id = 99; }
static void m_approval_other(lq_plan *p) { free(p->approvals[1].login); p->approvals[1].login = strdup("carol"); }
static void m_check_state(lq_plan *p) { p->checks[1].state = LQ_CHECK_FAILURE; }
static void m_check_gone(lq_plan *p) { free(p->checks[1].name); p->check_count = 1; }
static void m_title(lq_plan *p) { free(p->title); p->title = strdup("Fix infra!"); }
static void m_message(lq_plan *p) { free(p->message); p->message = strdup("Body"); }

Test(plan, every_field_change_is_seen)
{
    static const struct {
        mutate_fn fn;
        unsigned bit;
        const char *name;
    } cases[] = {
        {m_number, LQ_PLAN_PR, "pull request"},          {m_repo, LQ_PLAN_PR, "pull request"},
        {m_base_ref, LQ_PLAN_BASE_REF, "base branch"},   {m_base_sha, LQ_PLAN_BASE_SHA, "base tip"},
        {m_head, LQ_PLAN_HEAD, "head"},                  {m_labeler, LQ_PLAN_LABEL, "label"},
        {m_label_time, LQ_PLAN_LABEL, "label"},          {m_label_event, LQ_PLAN_LABEL, "label"},
        {m_codeowners, LQ_PLAN_CODEOWNERS, "CODEOWNERS"},
        {m_codeowners_gone, LQ_PLAN_CODEOWNERS, "CODEOWNERS"},
        {m_approval_gone, LQ_PLAN_APPROVALS, "approvals"},
        {m_approval_new_review, LQ_PLAN_APPROVALS, "approvals"},
        {m_approval_other, LQ_PLAN_APPROVALS, "approvals"},
        {m_check_state, LQ_PLAN_CHECKS, "checks"},       {m_check_gone, LQ_PLAN_CHECKS, "checks"},
        {m_title, LQ_PLAN_MESSAGE, "commit message"},    {m_message, LQ_PLAN_MESSAGE, "commit message"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        lq_plan a, b;
        build(&a, 0);
        build(&b, 0);
        cases[i].fn(&b);
        unsigned bits = lq_plan_diff(&a, &b);
        cr_assert_eq(bits, cases[i].bit, "case %zu: bits %#x", i, bits);
        char s[200];
        cr_assert_str_eq(lq_plan_diff_str(bits, s, sizeof s), cases[i].name, "case %zu", i);
        /* only a moved base tip may be merged over */
        cr_assert_eq((bits & LQ_PLAN_BLOCKING) == 0, cases[i].bit == LQ_PLAN_BASE_SHA, "case %zu", i);
        lq_plan_dispose(&a);
        lq_plan_dispose(&b);
    }
}

Test(plan, diff_str_lists_and_truncates)
{
    char s[200];
    cr_assert_str_eq(lq_plan_diff_str(0, s, sizeof s), "nothing");
    cr_assert_str_eq(lq_plan_diff_str(LQ_PLAN_BASE_REF | LQ_PLAN_APPROVALS, s, sizeof s),
                     "base branch, approvals");
    char tiny[8];
    lq_plan_diff_str(LQ_PLAN_BASE_REF | LQ_PLAN_APPROVALS, tiny, sizeof tiny);
    cr_assert_lt(strlen(tiny), sizeof tiny);
}
