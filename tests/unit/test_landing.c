/* The landing protocol, driven in one process against the fake GitHub
 * (tests/helpers/fake_github.c): landq's worker without its thread (lq_worker_open +
 * lq_worker_step), deterministic, no sleeps.
 *
 * Each race test changes one fact of the landing plan at the exact moment between the decision
 * and the merge request (during the mergeability read, through fg.on_call) and checks that
 * nothing is merged on the old plan. Then the merge answers (405, 409, 5xx), landq's status
 * around the merge (issue 12 defect 8), and the outcome check after a merge that went
 * elsewhere (an incident that halts the branch). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fake_github.h"
#include "inbox.h"
#include "store.h"
#include "worker.h"

#define REPO "acme/mono"
#define OWNERS "* @bob\n/infra/ @ivan\n"

typedef struct env {
    char dir[64], db[128];
    fake_github fg;
    lq_gh gh;
    lq_inbox *inbox;
    lq_worker *w;
    int deliveries;
} env;

static env E;

/* The world every test starts from: main with CODEOWNERS, scratch without; #1 by alice changes
 * infra/main.tf on main, approved by its owner ivan. */
static void world(const char *base, int approve)
{
    fg_init(&E.fg, REPO);
    fg_commit_to(&E.fg, "main", NULL, OWNERS);
    fg_commit_to(&E.fg, "scratch", "main", "");
    fg_permission(&E.fg, "alice", LQ_GH_PERM_WRITE);
    fg_permission(&E.fg, "bob", LQ_GH_PERM_WRITE);
    fg_permission(&E.fg, "ivan", LQ_GH_PERM_WRITE);
    static const char *const files[] = {"infra/main.tf", NULL};
    fg_pull_open(&E.fg, "alice", base, "Tune infra", "Smaller instances.", files);
    if (approve)
        fg_add_review(&E.fg, 1, "ivan", "APPROVED");
    fg_set_status(&E.fg, fg_pull_get(&E.fg, 1)->head, "ci/test", "success");
}

static void deliver(const char *event, const char *action)
{
    fg_pull *p = fg_pull_get(&E.fg, 1);
    char body[1024], id[32];
    snprintf(body, sizeof body,
             "{\"action\":\"%s\",\"label\":{\"name\":\"land\"},\"number\":1,"
             "\"pull_request\":{\"number\":1,\"head\":{\"sha\":\"%s\"},\"base\":{\"ref\":\"%s\"},"
             "\"labels\":[{\"name\":\"land\"}]},\"repository\":{\"full_name\":\"%s\"},"
             "\"sender\":{\"login\":\"alice\"}}", action, p->head, p->base, REPO);
    snprintf(id, sizeof id, "d-%d", ++E.deliveries);
    lq_error err = {0};
    cr_assert_eq(lq_inbox_put(E.inbox, id, event, body, strlen(body), &err), LQ_OK, "%s",
                 err.msg);
}

/* landq on E's database and inbox (again after a restart: the same queue state). */
static void open_worker(void)
{
    static const char *const repos[] = {REPO};
    static const char *const required[] = {"ci/test"};
    lq_worker_config cfg = {.db_path = E.db, .inbox = E.inbox, .api_url = "", .token = "t",
                            .repos = repos, .repo_count = 1, .label = "land",
                            .status_context = "landq", .required_checks = required,
                            .required_check_count = 1, .self_login = "landq-bot"};
    lq_error err = {0};
    cr_assert_eq(lq_worker_open(&E.w, &cfg, &E.gh, &err), LQ_OK, "%s", err.msg);
}

/* Starts landq and labels #1 (the labeled delivery arrives). */
static void start(void)
{
    snprintf(E.dir, sizeof E.dir, "/tmp/lq-landing-XXXXXX");
    cr_assert_not_null(mkdtemp(E.dir));
    snprintf(E.db, sizeof E.db, "%s/landq.db", E.dir);
    lq_error err = {0};
    cr_assert_eq(lq_inbox_open(&E.inbox, E.db, &err), LQ_OK, "%s", err.msg);
    fg_gh(&E.fg, &E.gh);
    open_worker();
    fg_label(&E.fg, 1, "alice", "land");
    deliver("pull_request", "labeled");
}

static void step(void)
{
    lq_worker_step(E.w, NULL);
}

static void stop(void)
{
    lq_worker_stop(E.w);
    E.w = NULL;
    lq_inbox_close(E.inbox);
    E.inbox = NULL;
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", E.dir);
    cr_assert_eq(system(cmd), 0);
}

static int merged(void)
{
    return fg_pull_get(&E.fg, 1)->merged;
}

static const char *landq_state(void)
{
    const fg_status *s = fg_status_latest(&E.fg, fg_pull_get(&E.fg, 1)->head, "landq");
    return s ? s->state : "";
}

/* ---------------------------------------------------------------- the plan holds */

Test(landing, lands_and_says_success_only_right_before_the_merge)
{
    world("main", 1);
    start();
    step();
    cr_assert(merged());
    cr_assert_eq(fg_call_count(&E.fg, "merge "), 1);
    long merge = fg_call_find(&E.fg, "merge ", 0);
    long success = fg_call_find(&E.fg, "status_post ", 0);
    while (success >= 0 && !strstr(E.fg.calls[success], " success landing on main"))
        success = fg_call_find(&E.fg, "status_post ", (size_t)success + 1);
    cr_assert(success >= 0 && success < merge, "success status before the merge request");
    /* before it, every landq status on the head was pending */
    for (long i = 0; i < success; i++)
        cr_assert_not(strstr(E.fg.calls[i], "status_post ") && strstr(E.fg.calls[i], "success"),
                      "%s", E.fg.calls[i]);
    /* the re-verification re-read the pull request between the decision and the merge */
    cr_assert_geq(fg_call_count(&E.fg, "pull_get"), 3);
    cr_assert_str_eq(landq_state(), "success");
    cr_assert(strstr(fg_pull_get(&E.fg, 1)->comment, "**landq: landed**"));
    /* issue 18: the evaluation's timeline showed no comment of landq's: none listed apart */
    cr_assert_eq(fg_call_count(&E.fg, "comments_list"), 0);
    cr_assert_eq(fg_call_count(&E.fg, "comment_create"), 1);
    stop();
}

/* main owned by @bob, infra/ by the team @acme/infra (ivan a member); #1 by alice changes
 * files, approved by the approvers (NULL-terminated). */
static void team_world(const char *const *files, const char *const *approvers)
{
    fg_init(&E.fg, REPO);
    fg_commit_to(&E.fg, "main", NULL, "* @bob\n/infra/ @acme/infra\n");
    fg_permission(&E.fg, "alice", LQ_GH_PERM_WRITE);
    fg_permission(&E.fg, "bob", LQ_GH_PERM_WRITE);
    fg_permission(&E.fg, "ivan", LQ_GH_PERM_WRITE);
    fg_team_member(&E.fg, "acme/infra", "ivan");
    fg_pull_open(&E.fg, "alice", "main", "Tune infra", "Smaller instances.", files);
    for (size_t i = 0; approvers[i]; i++)
        fg_add_review(&E.fg, 1, approvers[i], "APPROVED");
    fg_set_status(&E.fg, fg_pull_get(&E.fg, 1)->head, "ci/test", "success");
}

/* Issue 18: a team owner's membership is asked only as far as the decision needs it (each
 * request is one of the rate limit, and a non-member's is a 404 that no ETag makes free): once
 * per (team, approver) in an evaluation whatever the number of files, and in the re-verification
 * right before the merge (fresh answers) the approver known to be a member is asked first. */
Test(landing, team_owners_are_asked_once_per_pair_and_members_first)
{
    static const char *const files[] = {"infra/a.tf", "infra/b.tf", "infra/c.tf", "app/x.c",
                                        NULL};
    static const char *const approvers[] = {"bob", "ivan", NULL};
    team_world(files, approvers);
    start();
    step();
    cr_assert(merged());
    /* the evaluation: bob (not a member), then ivan; the re-verification: ivan only */
    cr_assert_eq(fg_call_count(&E.fg, "team_member"), 3, "%zu",
                 fg_call_count(&E.fg, "team_member"));
    long first = fg_call_find(&E.fg, "team_member", 0);
    cr_assert_str_eq(E.fg.calls[first], "team_member acme/infra bob");
    long last = first;
    for (long i = first; i >= 0; i = fg_call_find(&E.fg, "team_member", (size_t)i + 1))
        last = i;
    cr_assert_str_eq(E.fg.calls[last], "team_member acme/infra ivan");
    stop();
}

/* Without a member among the approvers every pair is asked (the decision needs them all), and
 * the verdict names the team. */
Test(landing, team_owner_without_a_member_approving_is_not_merged)
{
    static const char *const files[] = {"infra/a.tf", "infra/b.tf", NULL};
    static const char *const approvers[] = {"bob", NULL};
    team_world(files, approvers);
    start();
    step();
    cr_assert_not(merged());
    cr_assert_eq(fg_call_count(&E.fg, "merge "), 0);
    cr_assert_eq(fg_call_count(&E.fg, "team_member"), 1, "bob, once for both files");
    cr_assert(strstr(fg_pull_get(&E.fg, 1)->comment, "@acme/infra"), "%s",
              fg_pull_get(&E.fg, 1)->comment);
    stop();
}

/* ---------------------------------------------------------------- races */

typedef void (*race_fn)(fake_github *fg);

static race_fn change_now; /* the change on_mergeability_read makes */

/* Runs the change after the mergeability read, as the re-verification starts: after the
 * decision, before the merge request (reads: #1 the decision, #2 mergeability, #3 the
 * re-verification). */
static void on_mergeability_read(fake_github *fg, const char *op, int nth, void *ctx)
{
    if (!strcmp(op, "pull_get") && nth == 3) {
        fg->on_call = NULL;
        change_now(fg);
    }
}

static void race(const char *base, race_fn change)
{
    world(base, 1);
    start();
    E.fg.on_call = on_mergeability_read;
    change_now = change;
    step();
    cr_assert(E.fg.on_call == NULL, "the change ran");
    cr_assert_not(merged(), "merged on a plan that no longer held");
    cr_assert_eq(fg_call_count(&E.fg, "merge "), 0);
    cr_assert_str_neq(landq_state(), "success");
}

static void retarget_to_main(fake_github *fg) { snprintf(fg_pull_get(fg, 1)->base, FG_NAME, "main"); }
static void push(fake_github *fg) { fg_push(fg, 1); }
static void request_changes(fake_github *fg) { fg_add_review(fg, 1, "ivan", "CHANGES_REQUESTED"); }
static void unlabel(fake_github *fg) { fg_unlabel(fg, 1, "ivan", "land"); }
static void relabel(fake_github *fg) { fg_unlabel(fg, 1, "alice", "land"); fg_label(fg, 1, "alice", "land"); }
static void close_it(fake_github *fg) { fg_pull_get(fg, 1)->open = 0; }
static void new_owners(fake_github *fg) { fg_commit_to(fg, "main", NULL, "* @bob\n/infra/ @carol\n"); }
static void base_moved(fake_github *fg) { fg_commit_to(fg, "main", NULL, NULL); }
static void check_fails(fake_github *fg) { fg_set_status(fg, fg_pull_get(fg, 1)->head, "ci/test", "failure"); }
static void retitle(fake_github *fg) { snprintf(fg_pull_get(fg, 1)->title, 128, "Tune infra (v2)"); }
static void approve_too(fake_github *fg) { fg_add_review(fg, 1, "bob", "APPROVED"); }
static void reapprove(fake_github *fg) { fg_add_review(fg, 1, "ivan", "APPROVED"); }

Test(landing, base_retargeted_during_the_wait_is_not_merged)
{
    /* issue 12 defect 1: ready for scratch (no CODEOWNERS), retargeted to main */
    world("scratch", 0);
    start();
    E.fg.on_call = on_mergeability_read;
    change_now = retarget_to_main;
    step();
    cr_assert_not(merged());
    for (int i = 0; i < 3; i++)
        step();
    cr_assert_not(merged(), "infra/main.tf has no owner approval for main");
    cr_assert_eq(fg_call_count(&E.fg, "merge "), 0);
    cr_assert_str_eq(landq_state(), "pending");
    cr_assert(strstr(fg_pull_get(&E.fg, 1)->comment, "infra/main.tf"));
    stop();
}

Test(landing, push_during_the_wait) { race("main", push); stop(); }
Test(landing, change_request_during_the_wait) { race("main", request_changes); stop(); }
Test(landing, close_during_the_wait) { race("main", close_it); stop(); }
Test(landing, check_failing_during_the_wait) { race("main", check_fails); stop(); }

Test(landing, label_removed_during_the_wait)
{
    /* issue 12 defect 2 */
    race("main", unlabel);
    step();
    cr_assert_not(merged());
    cr_assert_str_eq(landq_state(), "error"); /* "not queued: the land label was removed" */
    stop();
}

Test(landing, codeowners_changed_during_the_wait)
{
    race("main", new_owners);
    step();
    step();
    cr_assert_not(merged(), "infra/ now belongs to carol, who did not approve");
    stop();
}

/* Changes after which landing is still right, on a new plan: not merged on the old one, merged
 * on the next round. */
static void race_then_lands(race_fn change)
{
    race("main", change);
    step();
    step();
    cr_assert(merged(), "lands on the new plan");
    cr_assert_eq(fg_call_count(&E.fg, "merge "), 1);
}

Test(landing, label_removed_and_added_again_during_the_wait) { race_then_lands(relabel); stop(); }
Test(landing, title_edited_during_the_wait)
{
    race_then_lands(retitle);
    cr_assert(strstr(fg_pull_get(&E.fg, 1)->comment, "Tune infra (v2)"));
    stop();
}
Test(landing, approval_added_during_the_wait)
{
    race_then_lands(approve_too);
    cr_assert(strstr(fg_pull_get(&E.fg, 1)->comment, "Approved-by: bob"));
    stop();
}
Test(landing, approval_replaced_during_the_wait) { race_then_lands(reapprove); stop(); }

Test(landing, base_moved_with_the_same_owners_still_lands)
{
    world("main", 1);
    start();
    E.fg.on_call = on_mergeability_read;
    change_now = base_moved;
    step();
    cr_assert(merged(), "a moved base tip with the same CODEOWNERS is no reason to wait");
    stop();
}

/* A delivery that arrives during the wait is applied before the merge: the merge waits for
 * the next round, which looks again. */
static void webhook_arrives(fake_github *fg, const char *op, int nth, void *ctx)
{
    if (!strcmp(op, "pull_get") && nth == 2) {
        fg->on_call = NULL;
        deliver("pull_request_review", "submitted");
    }
}

Test(landing, delivery_during_the_wait_is_applied_first)
{
    world("main", 1);
    start();
    E.fg.on_call = webhook_arrives;
    step();
    cr_assert_not(merged());
    step();
    step();
    cr_assert(merged());
    stop();
}

/* ---------------------------------------------------------------- merge answers */

Test(landing, merge_405_is_refused_and_not_left_successful)
{
    world("main", 1);
    E.fg.merge_http = 405;
    start();
    step();
    cr_assert_not(merged());
    cr_assert_str_eq(landq_state(), "failure");
    cr_assert_eq(fg_pull_get(&E.fg, 1)->nlabels, 0, "out of the queue");
    stop();
}

Test(landing, merge_409_goes_back_to_pending_then_lands)
{
    world("main", 1);
    E.fg.merge_http = 409;
    E.fg.merge_http_times = 1;
    start();
    step();
    cr_assert_not(merged());
    cr_assert_str_eq(landq_state(), "pending");
    step();
    step();
    cr_assert(merged());
    cr_assert_eq(fg_call_count(&E.fg, "merge "), 2);
    stop();
}

Test(landing, merge_5xx_goes_back_to_pending_and_is_not_resent_blind)
{
    world("main", 1);
    E.fg.merge_http = 502;
    start();
    step();
    cr_assert_not(merged());
    cr_assert_str_eq(landq_state(), "pending");
    cr_assert_eq(fg_call_count(&E.fg, "merge "), 1);
    stop();
}

Test(landing, merge_5xx_then_restart_lands_on_a_fresh_plan_once)
{
    /* plans live in memory: after a restart the merge in doubt is re-read, nothing is merged on
     * a plan from before, the pull request is decided again and lands once */
    world("main", 1);
    E.fg.merge_http = 502;
    E.fg.merge_http_times = 1;
    start();
    step();
    cr_assert_not(merged());
    lq_worker_stop(E.w);
    open_worker();
    size_t reads = fg_call_count(&E.fg, "pull_get");
    step();
    step();
    cr_assert(merged());
    cr_assert_eq(fg_call_count(&E.fg, "merge "), 2, "the 502, then one merge");
    cr_assert_geq(fg_call_count(&E.fg, "pull_get") - reads, 3, "re-read, decided, re-verified");
    cr_assert_str_eq(landq_state(), "success");
    stop();
}

/* ---------------------------------------------------------------- the outcome */

/* Issue 18: the usual outcome is verified with one read (the decided branch's tip is the merge
 * commit), and that read is what the next evaluation re-reads as a 304. */
Test(landing, a_merge_that_is_the_decided_tip_is_verified_with_one_read)
{
    world("main", 1);
    start();
    step();
    cr_assert(merged());
    long merge = fg_call_find(&E.fg, "merge ", 0);
    cr_assert(merge >= 0);
    cr_assert_eq(fg_call_find(&E.fg, "branch_sha main", (size_t)merge), merge + 1,
                 "the tip is read right after the merge");
    cr_assert_lt(fg_call_find(&E.fg, "pull_get", (size_t)merge), 0, "no pull request re-read");
    cr_assert_lt(fg_call_find(&E.fg, "commit_get", (size_t)merge), 0, "no merge commit read");
    cr_assert_str_eq(landq_state(), "success");
    cr_assert(strstr(fg_pull_get(&E.fg, 1)->comment, "**landq: landed**"));
    stop();
}

/* A push onto the branch right after the merge moves the tip past the merge commit: the
 * outcome is then told from the pull request and the merge commit's parent (landed, no
 * incident). */
static void push_after_merge(fake_github *fg, const char *op, int nth, void *ctx)
{
    (void)nth;
    (void)ctx;
    if (!strcmp(op, "branch_sha") && fg_call_count(fg, "merge ") == 1) {
        fg->on_call = NULL;
        fg_commit_to(fg, "main", NULL, NULL);
    }
}

Test(landing, a_push_right_after_the_merge_is_checked_by_the_parent_and_lands)
{
    world("main", 1);
    start();
    E.fg.on_call = push_after_merge;
    step();
    cr_assert(E.fg.on_call == NULL, "the push ran");
    cr_assert(merged());
    long merge = fg_call_find(&E.fg, "merge ", 0);
    cr_assert_geq(fg_call_find(&E.fg, "commit_get", (size_t)merge), 0, "the parent was read");
    cr_assert_str_eq(landq_state(), "success");
    cr_assert(strstr(fg_pull_get(&E.fg, 1)->comment, "**landq: landed**"));
    stop();
}

Test(landing, merge_elsewhere_is_an_incident_that_halts_the_branch)
{
    world("main", 1);
    fg_commit_to(&E.fg, "release", "main", NULL);
    snprintf(E.fg.merge_into, sizeof E.fg.merge_into, "release");
    start();
    step();
    cr_assert(merged());
    cr_assert_str_eq(landq_state(), "error");
    cr_assert(strstr(fg_pull_get(&E.fg, 1)->comment, "**landq: safety incident**"));
    lq_store *st = NULL;
    lq_error err = {0};
    cr_assert_eq(lq_store_open_existing(&st, E.db, &err), LQ_OK, "%s", err.msg);
    const char *halted[] = {"main", "release"};
    for (int i = 0; i < 2; i++) {
        lq_freeze_row fz;
        cr_assert_eq(lq_store_freeze_get(st, REPO, halted[i], &fz, &err), LQ_OK, "%s",
                     halted[i]);
        cr_assert_str_eq(fz.by, "landq");
        cr_assert(strstr(fz.reason, "safety incident"), "%s", fz.reason);
        free(fz.reason);
    }
    lq_audit_row *rows = NULL;
    size_t n = 0;
    cr_assert_eq(lq_store_audit_list(st, REPO, 1, 50, &rows, &n, &err), LQ_OK);
    int incident = 0, landed = 0;
    for (size_t i = 0; i < n; i++) {
        incident += !strcmp(rows[i].action, "incident");
        landed += !strcmp(rows[i].action, "landed");
    }
    cr_assert_eq(incident, 1);
    cr_assert_eq(landed, 0);
    lq_store_audit_rows_free(rows, n);
    lq_store_close(st);
    stop();
}
