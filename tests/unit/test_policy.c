/* Unit tests of the landing decision (landq/core/policy.c). */
#include <criterion/criterion.h>
#include <string.h>

#include "policy.h"

#define HEAD "1111111111111111111111111111111111111111"
#define OLD "2222222222222222222222222222222222222222"

static lq_codeowners *co;
static lq_policy_facts f;
static lq_verdict v;

static const char *codeowners_text = "# owners\n"
                                     "*            @acme/core\n"
                                     "/infra/      @acme/infra\n"
                                     "/docs/       @dora docs@acme.test\n"
                                     "/docs/free/\n"
                                     "/apps/web/   @wendy\n";

static lq_changed_file files[8];
static lq_review reviews[8];
static lq_check checks[8];
static lq_affiliation affs[8];

static void setup(void)
{
    lq_error err = {0};
    cr_assert_eq(lq_codeowners_parse(&co, codeowners_text, strlen(codeowners_text), &err), LQ_OK,
                 "%s", err.msg);
    memset(&f, 0, sizeof f);
    memset(&v, 0, sizeof v);
    f.repo = "acme/mono";
    f.number = 7;
    f.author = "alice";
    f.head_sha = HEAD;
    f.base_ref = "main";
    f.open = 1;
    f.has_label = 1;
    f.label = "land";
    f.repo_configured = 1;
    f.labeler = "alice";
    f.labeler_can_write = 1;
    f.owners = co;
    f.codeowners_path = ".github/CODEOWNERS";
    f.files = files;
    f.reviews = reviews;
    f.checks = checks;
    f.affiliations = affs;
    f.self_context = "landq";
}

static void teardown(void)
{
    lq_verdict_dispose(&v);
    lq_codeowners_free(co);
}

static void add_file(const char *path, const char *prev)
{
    files[f.file_count++] = (lq_changed_file){path, prev};
    f.changed_files = f.file_count;
}

static void add_review(const char *login, lq_review_state st, const char *sha)
{
    reviews[f.review_count++] = (lq_review){login, st, sha};
}

static void add_check(const char *name, lq_check_state st)
{
    checks[f.check_count++] = (lq_check){name, st, NULL};
}

static void add_aff(const char *login, const char *owner)
{
    affs[f.affiliation_count++] = (lq_affiliation){login, owner};
}

static void decide(lq_verdict_kind want)
{
    lq_error err = {0};
    lq_verdict_dispose(&v);
    cr_assert_eq(lq_policy_decide(&v, &f, &err), LQ_OK, "%s", err.msg);
    cr_assert_eq(v.kind, want, "verdict %s, wanted %s: %s", lq_verdict_kind_str(v.kind),
                 lq_verdict_kind_str(want), v.summary);
    cr_assert_not_null(v.summary);
    cr_assert_leq(strlen(v.summary), 140);
}

static int has_reason(const char *needle)
{
    for (size_t i = 0; i < v.reason_count; i++)
        if (strstr(v.reasons[i], needle))
            return 1;
    return 0;
}

TestSuite(policy, .init = setup, .fini = teardown);

Test(policy, user_owner_approval_on_head_is_ready)
{
    add_file("apps/web/index.js", NULL);
    add_review("wendy", LQ_REVIEW_APPROVED, HEAD);
    decide(LQ_VERDICT_READY);
    cr_assert_eq(v.approver_count, 1);
    cr_assert_str_eq(v.approvers[0], "wendy");
}

Test(policy, missing_team_approval_waits_and_names_path_and_team)
{
    add_file("infra/main.tf", NULL);
    add_review("bob", LQ_REVIEW_APPROVED, HEAD);
    decide(LQ_VERDICT_WAIT);
    cr_assert_str_eq(v.summary, "waiting for owner approval: infra/main.tf needs one of @acme/infra");
    cr_assert_eq(v.missing_count, 1);
    cr_assert_eq(v.missing[0].line, 3);
    cr_assert(has_reason("`infra/main.tf` needs an approval from one of @acme/infra"));
}

Test(policy, team_member_satisfies_team_owner)
{
    add_file("infra/main.tf", NULL);
    add_review("ivan", LQ_REVIEW_APPROVED, HEAD);
    add_aff("ivan", "@Acme/Infra");
    decide(LQ_VERDICT_READY);
}

Test(policy, membership_of_a_non_approver_does_not_count)
{
    add_file("infra/main.tf", NULL);
    add_review("ivan", LQ_REVIEW_OTHER, HEAD);
    add_aff("ivan", "@acme/infra");
    decide(LQ_VERDICT_WAIT);
}

Test(policy, email_owner_satisfied_by_matching_account)
{
    add_file("docs/guide.md", NULL);
    add_review("erin", LQ_REVIEW_APPROVED, HEAD);
    add_aff("erin", "DOCS@acme.test");
    decide(LQ_VERDICT_READY);
}

/* Team and e-mail owners: an approver counts only through their OWN affiliation with THAT
 * owner (login and owner must both match the same affiliation row). */
Test(policy, approver_in_another_team_does_not_satisfy_team_owner)
{
    add_file("infra/main.tf", NULL);
    add_review("bob", LQ_REVIEW_APPROVED, HEAD);
    add_aff("bob", "@acme/web");
    decide(LQ_VERDICT_WAIT);
    cr_assert_eq(v.missing_count, 1);
    cr_assert_str_eq(v.missing[0].path, "infra/main.tf");
}

Test(policy, team_membership_of_someone_else_does_not_satisfy_team_owner)
{
    add_file("infra/main.tf", NULL);
    add_review("bob", LQ_REVIEW_APPROVED, HEAD);
    add_aff("ivan", "@acme/infra"); /* ivan is in the team but did not approve */
    decide(LQ_VERDICT_WAIT);
    cr_assert_eq(v.missing_count, 1);
}

Test(policy, email_of_someone_else_does_not_satisfy_email_owner)
{
    add_file("docs/guide.md", NULL);
    add_review("bob", LQ_REVIEW_APPROVED, HEAD);
    add_aff("erin", "docs@acme.test");
    add_aff("bob", "bob@acme.test");
    decide(LQ_VERDICT_WAIT);
    cr_assert(has_reason("`docs/guide.md` needs an approval from one of @dora, docs@acme.test"),
              "%s", v.reason_count ? v.reasons[0] : "(no reason)");
}

Test(policy, stale_approval_does_not_count)
{
    add_file("apps/web/index.js", NULL);
    add_review("wendy", LQ_REVIEW_APPROVED, OLD);
    decide(LQ_VERDICT_WAIT);
    cr_assert_eq(v.approver_count, 0);
    cr_assert(strstr(v.summary, "@wendy"));
}

Test(policy, author_never_counts_even_as_only_owner)
{
    f.author = "Wendy";
    add_file("apps/web/index.js", NULL);
    add_review("wendy", LQ_REVIEW_APPROVED, HEAD);
    decide(LQ_VERDICT_WAIT);
    cr_assert_eq(v.approver_count, 0);
}

Test(policy, latest_opinion_wins_and_comments_do_not_override)
{
    add_file("apps/web/index.js", NULL);
    add_review("wendy", LQ_REVIEW_CHANGES_REQUESTED, HEAD);
    add_review("wendy", LQ_REVIEW_APPROVED, HEAD);
    add_review("wendy", LQ_REVIEW_OTHER, HEAD);
    decide(LQ_VERDICT_READY);
}

Test(policy, dismissed_approval_is_gone)
{
    add_file("apps/web/index.js", NULL);
    add_review("wendy", LQ_REVIEW_APPROVED, HEAD);
    add_review("wendy", LQ_REVIEW_DISMISSED, HEAD);
    decide(LQ_VERDICT_WAIT);
}

Test(policy, later_change_request_blocks_landing)
{
    add_file("apps/web/index.js", NULL);
    add_review("wendy", LQ_REVIEW_APPROVED, HEAD);
    add_review("carl", LQ_REVIEW_CHANGES_REQUESTED, HEAD);
    decide(LQ_VERDICT_WAIT);
    cr_assert_str_eq(v.summary, "waiting: @carl requested changes");
}

Test(policy, rename_needs_owners_of_both_paths)
{
    add_file("apps/web/moved.tf", "infra/old.tf");
    add_review("wendy", LQ_REVIEW_APPROVED, HEAD);
    decide(LQ_VERDICT_WAIT);
    cr_assert_eq(v.missing_count, 1);
    cr_assert_str_eq(v.missing[0].path, "infra/old.tf");
    add_review("ivan", LQ_REVIEW_APPROVED, HEAD);
    add_aff("ivan", "@acme/infra");
    decide(LQ_VERDICT_READY);
}

Test(policy, unowned_paths_need_nothing)
{
    add_file("docs/free/notes.md", NULL);
    decide(LQ_VERDICT_READY);
}

Test(policy, no_codeowners_file_means_nothing_owned)
{
    f.owners = NULL;
    f.codeowners_path = NULL;
    add_file("infra/main.tf", NULL);
    decide(LQ_VERDICT_READY);
}

Test(policy, codeowners_that_fails_to_load_blocks)
{
    f.owners = NULL;
    f.codeowners_error = "it is 3145728 bytes; GitHub ignores files of 3 MiB or more";
    add_file("README.md", NULL);
    decide(LQ_VERDICT_BLOCKED);
    cr_assert(has_reason("CODEOWNERS at .github/CODEOWNERS on the base branch `main` could not be "
                         "loaded: `it is 3145728 bytes;"));
    cr_assert_str_eq(v.summary, "CODEOWNERS at .github/CODEOWNERS on the base branch main could "
                                "not be loaded: it is 3145728 bytes; GitHub ignores files of 3 MiB "
                                "or more");
}

Test(policy, truncated_file_list_blocks)
{
    add_file("README.md", NULL);
    f.changed_files = 3001;
    decide(LQ_VERDICT_BLOCKED);
    cr_assert(has_reason("3001 files"));
}

/* Fewer files listed than the pull request says it changes (a listing cut short, under the
 * 3000 cap): the unlisted files' owners are unknown, so it must not land on the listed ones. */
Test(policy, short_file_list_blocks_even_under_the_cap)
{
    add_file("README.md", NULL);
    add_review("carol", LQ_REVIEW_APPROVED, HEAD);
    add_aff("carol", "@acme/core");
    f.changed_files = 2;
    decide(LQ_VERDICT_BLOCKED);
    cr_assert(has_reason("changes 2 files but GitHub listed only 1"), "%s", v.reasons[0]);
}

Test(policy, labeler_without_write_is_ejected)
{
    f.labeler = "rita";
    f.labeler_can_write = 0;
    add_file("apps/web/index.js", NULL);
    add_review("wendy", LQ_REVIEW_APPROVED, HEAD);
    decide(LQ_VERDICT_EJECT);
    cr_assert(has_reason("@rita, who does not have write"));
}

Test(policy, unknown_labeler_blocks)
{
    f.labeler = NULL;
    decide(LQ_VERDICT_BLOCKED);
}

Test(policy, failing_check_ejects_and_is_named)
{
    add_file("apps/web/index.js", NULL);
    add_review("wendy", LQ_REVIEW_APPROVED, HEAD);
    add_check("ci/build", LQ_CHECK_SUCCESS);
    add_check("ci/test", LQ_CHECK_FAILURE);
    decide(LQ_VERDICT_EJECT);
    cr_assert_str_eq(v.failing_check, "ci/test");
    cr_assert_str_eq(v.summary, "check ci/test failed");
}

Test(policy, pending_check_waits)
{
    add_file("apps/web/index.js", NULL);
    add_review("wendy", LQ_REVIEW_APPROVED, HEAD);
    add_check("ci/test", LQ_CHECK_PENDING);
    decide(LQ_VERDICT_WAIT);
    cr_assert_str_eq(v.summary, "waiting for check ci/test");
}

Test(policy, own_status_context_is_ignored)
{
    add_file("apps/web/index.js", NULL);
    add_review("wendy", LQ_REVIEW_APPROVED, HEAD);
    add_check("landq", LQ_CHECK_PENDING);
    add_check("LandQ", LQ_CHECK_FAILURE);
    decide(LQ_VERDICT_READY);
}

Test(policy, required_checks_narrow_and_must_exist)
{
    static const char *req[] = {"ci/build"};
    f.required_checks = req;
    f.required_check_count = 1;
    add_file("apps/web/index.js", NULL);
    add_review("wendy", LQ_REVIEW_APPROVED, HEAD);
    add_check("lint", LQ_CHECK_FAILURE); /* not required: ignored */
    decide(LQ_VERDICT_WAIT);
    cr_assert(has_reason("required check `ci/build` has not reported"));
    add_check("ci/build", LQ_CHECK_SUCCESS);
    decide(LQ_VERDICT_READY);
}

Test(policy, closed_merged_unlabeled_and_foreign_are_ignored)
{
    f.has_label = 0;
    decide(LQ_VERDICT_IGNORE);
    f.has_label = 1;
    f.open = 0;
    decide(LQ_VERDICT_IGNORE);
    f.open = 1;
    f.merged = 1;
    decide(LQ_VERDICT_IGNORE);
    f.merged = 0;
    f.repo_configured = 0;
    decide(LQ_VERDICT_IGNORE);
}

Test(policy, draft_waits)
{
    f.draft = 1;
    decide(LQ_VERDICT_WAIT);
    cr_assert(strstr(v.summary, "draft"));
}

Test(policy, many_missing_paths_summarised_within_140_bytes)
{
    add_file("infra/a-very-long-directory-name-that-goes-on-and-on/and-on-and-on/main.tf", NULL);
    add_file("apps/web/x.js", NULL);
    add_file("docs/x.md", NULL);
    decide(LQ_VERDICT_WAIT);
    cr_assert_eq(v.missing_count, 3);
    cr_assert(strstr(v.summary, "...") || strstr(v.summary, "+2 more"));
}

Test(policy, approvers_helper_excludes_stale_author_and_ghosts)
{
    add_review(NULL, LQ_REVIEW_APPROVED, HEAD);
    add_review("alice", LQ_REVIEW_APPROVED, HEAD);
    add_review("bob", LQ_REVIEW_APPROVED, OLD);
    add_review("carol", LQ_REVIEW_APPROVED, HEAD);
    const char **a = NULL;
    size_t n = 0;
    cr_assert_eq(lq_policy_approvers(&a, &n, reviews, f.review_count, "alice", HEAD, NULL), LQ_OK);
    cr_assert_eq(n, 1);
    cr_assert_str_eq(a[0], "carol");
    free((void *)a);
}

Test(policy, state_parsers)
{
    cr_assert_eq(lq_review_state_parse("approved"), LQ_REVIEW_APPROVED);
    cr_assert_eq(lq_review_state_parse("CHANGES_REQUESTED"), LQ_REVIEW_CHANGES_REQUESTED);
    cr_assert_eq(lq_review_state_parse("PENDING"), LQ_REVIEW_OTHER);
    cr_assert_eq(lq_check_state_from_status("error"), LQ_CHECK_FAILURE);
    cr_assert_eq(lq_check_state_from_status("pending"), LQ_CHECK_PENDING);
    cr_assert_eq(lq_check_state_from_run("in_progress", NULL), LQ_CHECK_PENDING);
    cr_assert_eq(lq_check_state_from_run("completed", "skipped"), LQ_CHECK_SUCCESS);
    cr_assert_eq(lq_check_state_from_run("completed", "timed_out"), LQ_CHECK_FAILURE);
}

Test(policy, approval_without_write_permission_does_not_count)
{
    static const char *nw[] = {"Wendy"};
    add_file("apps/web/index.js", NULL);
    add_review("wendy", LQ_REVIEW_APPROVED, HEAD);
    f.non_writers = nw;
    f.non_writer_count = 1;
    decide(LQ_VERDICT_WAIT);
    cr_assert_eq(v.approver_count, 0);
    cr_assert(has_reason("@wendy approved, but has no write permission on acme/mono"));
    f.non_writer_count = 0;
    decide(LQ_VERDICT_READY);
}

Test(policy, null_facts_rejected)
{
    lq_error err = {0};
    cr_assert_eq(lq_policy_decide(&v, NULL, &err), LQ_EINVAL);
}

/* Issue 12, defect 9: what each path lacks is known before the label (landq explain). */
Test(policy, owners_missing_whatever_the_label)
{
    f.has_label = 0;
    f.labeler = NULL;
    add_file("infra/main.tf", NULL);
    add_file("docs/free/x.md", NULL);
    add_file("apps/web/new.js", "infra/old.js");
    add_review("wendy", LQ_REVIEW_APPROVED, HEAD);
    add_review("ivan", LQ_REVIEW_APPROVED, OLD); /* stale: does not count */
    lq_error err = {0};
    cr_assert_eq(lq_policy_owners(&v, &f, &err), LQ_OK, "%s", err.msg);
    cr_assert_eq(v.missing_count, 2);
    cr_assert_str_eq(v.missing[0].path, "infra/main.tf");
    cr_assert_str_eq(v.missing[0].owners, "@acme/infra");
    cr_assert_str_eq(v.missing[1].path, "infra/old.js");
    lq_verdict_dispose(&v);
    /* the verdict itself still ignores an unlabeled pull request */
    cr_assert_eq(lq_policy_decide(&v, &f, &err), LQ_OK);
    cr_assert_eq(v.kind, LQ_VERDICT_IGNORE);
    cr_assert_eq(v.missing_count, 0);
}
