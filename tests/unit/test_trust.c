/* What landq trusts, driven in one process against the fake GitHub (tests/helpers/fake_github.c):
 * the labeler comes from the issue events, never from a delivery's sender (issue 12, defect 3);
 * landq's sticky comment is only one its own account wrote (defect 4). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fake_github.h"
#include "feedback_text.h"
#include "inbox.h"
#include "worker.h"

#define REPO "acme/mono"

static struct {
    char dir[64], db[128];
    fake_github fg;
    lq_gh gh;
    lq_inbox *inbox;
    lq_worker *w;
    int deliveries;
} E;

/* #1 by alice changes infra/main.tf, approved by its owner ivan, checks green; rita may only
 * triage. */
static void world(void)
{
    fg_init(&E.fg, REPO);
    fg_commit_to(&E.fg, "main", NULL, "* @bob\n/infra/ @ivan\n");
    fg_permission(&E.fg, "alice", LQ_GH_PERM_WRITE);
    fg_permission(&E.fg, "bob", LQ_GH_PERM_WRITE);
    fg_permission(&E.fg, "ivan", LQ_GH_PERM_WRITE);
    fg_permission(&E.fg, "rita", LQ_GH_PERM_TRIAGE);
    static const char *const files[] = {"infra/main.tf", NULL};
    fg_pull_open(&E.fg, "alice", "main", "Tune infra", "Smaller instances.", files);
    fg_add_review(&E.fg, 1, "ivan", "APPROVED");
    fg_set_status(&E.fg, fg_pull_get(&E.fg, 1)->head, "ci/test", "success");
}

/* A signed pull_request delivery for #1 whose payload names sender (a replayed or reordered
 * body says whatever it said then). */
static void deliver(const char *action, const char *sender)
{
    fg_pull *p = fg_pull_get(&E.fg, 1);
    char body[1024], id[32];
    snprintf(body, sizeof body,
             "{\"action\":\"%s\",\"label\":{\"name\":\"land\"},\"number\":1,"
             "\"pull_request\":{\"number\":1,\"head\":{\"sha\":\"%s\"},\"base\":{\"ref\":\"main\"},"
             "\"labels\":[{\"name\":\"land\"}]},\"repository\":{\"full_name\":\"%s\"},"
             "\"sender\":{\"login\":\"%s\"}}", action, p->head, REPO, sender);
    snprintf(id, sizeof id, "d-%d", ++E.deliveries);
    lq_error err = {0};
    cr_assert_eq(lq_inbox_put(E.inbox, id, "pull_request", body, strlen(body), &err), LQ_OK,
                 "%s", err.msg);
}

/* landq without its thread; self_login NULL: it asks GET /user (the fake: landq-bot). */
static void start(void)
{
    snprintf(E.dir, sizeof E.dir, "/tmp/lq-trust-XXXXXX");
    cr_assert_not_null(mkdtemp(E.dir));
    snprintf(E.db, sizeof E.db, "%s/landq.db", E.dir);
    lq_error err = {0};
    cr_assert_eq(lq_inbox_open(&E.inbox, E.db, &err), LQ_OK, "%s", err.msg);
    fg_gh(&E.fg, &E.gh);
    static const char *const repos[] = {REPO};
    static const char *const required[] = {"ci/test"};
    lq_worker_config cfg = {.db_path = E.db, .inbox = E.inbox, .api_url = "", .token = "t",
                            .repos = repos, .repo_count = 1, .label = "land",
                            .status_context = "landq", .required_checks = required,
                            .required_check_count = 1};
    cr_assert_eq(lq_worker_open(&E.w, &cfg, &E.gh, &err), LQ_OK, "%s", err.msg);
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

static void steps(void)
{
    for (int i = 0; i < 5 && lq_worker_step(E.w, NULL) > 0; i++)
        ;
}

static int has_label(void)
{
    fg_pull *p = fg_pull_get(&E.fg, 1);
    for (size_t i = 0; i < p->nlabels; i++)
        if (!strcmp(p->labels[i], "land"))
            return 1;
    return 0;
}

/* ---------------------------------------------------------------- defect 3: the labeler */

Test(trust, labeled_delivery_naming_a_writer_does_not_make_a_triage_label_count)
{
    world();
    start();
    fg_label(&E.fg, 1, "rita", "land");
    deliver("labeled", "ivan"); /* a replay of a writer's labeled body */
    steps();
    cr_assert_not(fg_pull_get(&E.fg, 1)->merged, "merged on a triage user's label");
    cr_assert_eq(fg_call_count(&E.fg, "merge "), 0);
    cr_assert_not(has_label(), "the label of a user without write permission stays");
    cr_assert(strstr(fg_pull_get(&E.fg, 1)->comment, "@rita"), "%s",
              fg_pull_get(&E.fg, 1)->comment);
    cr_assert_null(strstr(fg_pull_get(&E.fg, 1)->comment, "@ivan, who"), "%s",
                   fg_pull_get(&E.fg, 1)->comment);
    cr_assert(fg_call_count(&E.fg, "issue_events_list"), "the labeler was not read from events");
    stop();
}

Test(trust, reordered_deliveries_the_last_labeler_in_the_events_decides)
{
    world();
    start();
    /* ivan labeled and unlabeled; rita labeled last. ivan's labeled delivery arrives last. */
    fg_label(&E.fg, 1, "ivan", "land");
    fg_unlabel(&E.fg, 1, "ivan", "land");
    fg_label(&E.fg, 1, "rita", "land");
    deliver("labeled", "rita");
    deliver("unlabeled", "ivan");
    deliver("labeled", "ivan");
    steps();
    cr_assert_not(fg_pull_get(&E.fg, 1)->merged);
    cr_assert_not(has_label());
    stop();
}

Test(trust, a_writers_label_lands_whoever_the_sender_claims)
{
    world();
    start();
    fg_label(&E.fg, 1, "alice", "land");
    deliver("labeled", "rita"); /* the payload's sender does not matter either way */
    steps();
    cr_assert(fg_pull_get(&E.fg, 1)->merged);
    stop();
}

/* ---------------------------------------------------------------- defect 4: the comment */

#define IMPOSTOR LQ_FEEDBACK_MARKER "\n**landq: ready**, every owner approved."

Test(trust, a_marked_comment_by_someone_else_is_never_edited)
{
    world();
    fg_pull_get(&E.fg, 1)->nreviews = 0;
    fg_comment_foreign(&E.fg, 1, "rita", IMPOSTOR);
    int64_t foreign = fg_pull_get(&E.fg, 1)->foreign_id;
    start();
    fg_label(&E.fg, 1, "alice", "land");
    deliver("labeled", "alice");
    steps();
    fg_pull *p = fg_pull_get(&E.fg, 1);
    cr_assert_str_eq(p->foreign, IMPOSTOR, "rita's comment was edited");
    char upd[64];
    snprintf(upd, sizeof upd, "comment_update %lld", (long long)foreign);
    cr_assert_eq(fg_call_count(&E.fg, upd), 0);
    cr_assert(p->comment_id && p->comment_id != foreign);
    cr_assert(strstr(p->comment, "@ivan"), "landq's own comment names the owner: %s", p->comment);
    stop();
}

Test(trust, landqs_own_comment_is_found_again_after_a_restart)
{
    world();
    fg_pull_get(&E.fg, 1)->nreviews = 0;
    fg_comment_foreign(&E.fg, 1, "rita", IMPOSTOR);
    start();
    fg_label(&E.fg, 1, "alice", "land");
    deliver("labeled", "alice");
    steps();
    int64_t own = fg_pull_get(&E.fg, 1)->comment_id;
    cr_assert(own);
    stop();
    /* a new database (the id was never saved): landq finds its comment by marker and author */
    fg_add_review(&E.fg, 1, "ivan", "APPROVED");
    start();
    deliver("labeled", "alice");
    steps();
    fg_pull *p = fg_pull_get(&E.fg, 1);
    cr_assert(p->merged);
    cr_assert_eq(p->comment_id, own, "a second comment was created");
    cr_assert_eq(fg_call_count(&E.fg, "comment_create"), 1);
    cr_assert_str_eq(p->foreign, IMPOSTOR);
    cr_assert(fg_call_count(&E.fg, "self_login"), "landq's login was not asked");
    /* issue 18: the timeline the evaluation reads lists the comments too */
    cr_assert_eq(fg_call_count(&E.fg, "comments_list"), 0, "the comments were listed apart");
    stop();
}
