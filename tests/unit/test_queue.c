/* Unit tests of the landing state machine and branch ordering (landq/core/queue.c). */
#include <criterion/criterion.h>

#include "queue.h"

static lq_pr_state run(lq_pr_state s, lq_queue_event ev)
{
    lq_error err = {0};
    cr_assert_eq(lq_queue_transition(&s, ev, &err), LQ_OK, "%s", err.msg);
    return s;
}

static void refused(lq_pr_state s, lq_queue_event ev)
{
    lq_error err = {0};
    lq_pr_state before = s;
    cr_assert_eq(lq_queue_transition(&s, ev, &err), LQ_EINVAL, "%s --%s--> should be refused",
                 lq_pr_state_str(before), lq_queue_event_str(ev));
    cr_assert_eq(s, before);
    cr_assert(err.msg[0]);
}

Test(queue, happy_path)
{
    lq_pr_state s = LQ_PR_IDLE;
    s = run(s, LQ_QEV_WAIT);
    cr_assert_eq(s, LQ_PR_ARMED);
    s = run(s, LQ_QEV_READY);
    s = run(s, LQ_QEV_MERGE_START);
    cr_assert_eq(s, LQ_PR_MERGING);
    s = run(s, LQ_QEV_MERGED);
    cr_assert_eq(s, LQ_PR_LANDED);
}

Test(queue, merge_only_from_ready)
{
    refused(LQ_PR_IDLE, LQ_QEV_MERGE_START);
    refused(LQ_PR_ARMED, LQ_QEV_MERGE_START);
    refused(LQ_PR_BLOCKED, LQ_QEV_MERGE_START);
    refused(LQ_PR_LANDED, LQ_QEV_MERGE_START);
}

Test(queue, merging_accepts_only_outcomes)
{
    refused(LQ_PR_MERGING, LQ_QEV_WAIT);
    refused(LQ_PR_MERGING, LQ_QEV_IGNORE);
    refused(LQ_PR_MERGING, LQ_QEV_READY);
    cr_assert_eq(run(LQ_PR_MERGING, LQ_QEV_HEAD_MOVED), LQ_PR_ARMED);
    cr_assert_eq(run(LQ_PR_MERGING, LQ_QEV_REFUSED), LQ_PR_EJECTED);
    cr_assert_eq(run(LQ_PR_MERGING, LQ_QEV_MERGE_UNKNOWN), LQ_PR_MERGING);
    cr_assert_eq(run(LQ_PR_MERGING, LQ_QEV_MERGE_FAILED), LQ_PR_BLOCKED);
}

Test(queue, outcomes_only_while_merging)
{
    refused(LQ_PR_READY, LQ_QEV_HEAD_MOVED);
    refused(LQ_PR_ARMED, LQ_QEV_REFUSED);
    refused(LQ_PR_IDLE, LQ_QEV_MERGE_UNKNOWN);
}

Test(queue, landed_is_terminal)
{
    cr_assert_eq(run(LQ_PR_LANDED, LQ_QEV_WAIT), LQ_PR_LANDED);
    cr_assert_eq(run(LQ_PR_LANDED, LQ_QEV_IGNORE), LQ_PR_LANDED);
    cr_assert_eq(run(LQ_PR_LANDED, LQ_QEV_MERGED), LQ_PR_LANDED);
}

Test(queue, ejected_can_be_armed_again_by_relabel)
{
    cr_assert_eq(run(LQ_PR_EJECTED, LQ_QEV_WAIT), LQ_PR_ARMED);
    cr_assert_eq(run(LQ_PR_READY, LQ_QEV_EJECT), LQ_PR_EJECTED);
    cr_assert_eq(run(LQ_PR_READY, LQ_QEV_IGNORE), LQ_PR_IDLE);
}

/* Queued = labeled and landq's business: a BLOCKED pull request still carries the label, so
 * unlabeling it must be reported as leaving the queue (scenarios/queue/label-removed-while-blocked). */
Test(queue, queued_states_include_blocked)
{
    cr_assert(lq_queue_is_queued(LQ_PR_ARMED));
    cr_assert(lq_queue_is_queued(LQ_PR_READY));
    cr_assert(lq_queue_is_queued(LQ_PR_MERGING));
    cr_assert(lq_queue_is_queued(LQ_PR_BLOCKED));
    cr_assert_not(lq_queue_is_queued(LQ_PR_IDLE));
    cr_assert_not(lq_queue_is_queued(LQ_PR_LANDED));
    cr_assert_not(lq_queue_is_queued(LQ_PR_EJECTED));
}

/* GitHub's answer to PUT .../merge, mapped onto the state machine: only a 200 that says
 * "merged" is a landing; no answer, a 5xx or a 200 without "merged" is unknown (re-read, never
 * merge twice); 409 is a moved head (re-evaluate), 405 not mergeable (eject), the rest blocks. */
Test(queue, merge_outcome_maps_every_answer)
{
    cr_assert_eq(lq_queue_merge_outcome(200, 1), LQ_QEV_MERGED);
    cr_assert_eq(lq_queue_merge_outcome(200, 0), LQ_QEV_MERGE_UNKNOWN);
    cr_assert_eq(lq_queue_merge_outcome(0, 0), LQ_QEV_MERGE_UNKNOWN);
    cr_assert_eq(lq_queue_merge_outcome(502, 0), LQ_QEV_MERGE_UNKNOWN);
    cr_assert_eq(lq_queue_merge_outcome(500, 1), LQ_QEV_MERGE_UNKNOWN);
    cr_assert_eq(lq_queue_merge_outcome(409, 0), LQ_QEV_HEAD_MOVED);
    cr_assert_eq(lq_queue_merge_outcome(405, 0), LQ_QEV_REFUSED);
    cr_assert_eq(lq_queue_merge_outcome(403, 0), LQ_QEV_MERGE_FAILED);
    cr_assert_eq(lq_queue_merge_outcome(422, 0), LQ_QEV_MERGE_FAILED);
    cr_assert_eq(lq_queue_merge_outcome(404, 0), LQ_QEV_MERGE_FAILED);
    /* and what each does to a MERGING pull request */
    cr_assert_eq(run(LQ_PR_MERGING, lq_queue_merge_outcome(200, 1)), LQ_PR_LANDED);
    cr_assert_eq(run(LQ_PR_MERGING, lq_queue_merge_outcome(409, 0)), LQ_PR_ARMED);
    cr_assert_eq(run(LQ_PR_MERGING, lq_queue_merge_outcome(405, 0)), LQ_PR_EJECTED);
    cr_assert_eq(run(LQ_PR_MERGING, lq_queue_merge_outcome(502, 0)), LQ_PR_MERGING);
}

Test(queue, invalid_values_refused)
{
    refused((lq_pr_state)42, LQ_QEV_WAIT);
    refused(LQ_PR_IDLE, (lq_queue_event)99);
}

Test(queue, state_names_round_trip)
{
    for (int i = 0; i < LQ_PR_STATE_COUNT; i++)
        cr_assert_eq(lq_pr_state_parse(lq_pr_state_str((lq_pr_state)i)), i);
    cr_assert_eq(lq_pr_state_parse("nope"), -1);
    cr_assert_eq(lq_pr_state_parse(NULL), -1);
}

Test(queue, first_labeled_ready_lands_first_and_armed_does_not_block)
{
    lq_queue_entry q[] = {
        {"acme/mono", "main", 1, 100, LQ_PR_ARMED, 0},   /* labeled first, not ready */
        {"acme/mono", "main", 3, 300, LQ_PR_READY, 0},
        {"acme/mono", "main", 2, 200, LQ_PR_READY, 0},
        {"acme/mono", "dev", 4, 50, LQ_PR_READY, 0},     /* other branch */
    };
    cr_assert_eq(lq_queue_next(q, 4, "acme/mono", "main"), 2);
    cr_assert_eq(lq_queue_next(q, 4, "ACME/mono", "dev"), 3);
    cr_assert_eq(lq_queue_next(q, 4, "acme/mono", "release"), -1);
}

Test(queue, merging_entry_is_resumed_first)
{
    lq_queue_entry q[] = {
        {"acme/mono", "main", 1, 100, LQ_PR_READY, 0},
        {"acme/mono", "main", 2, 200, LQ_PR_MERGING, 0},
    };
    cr_assert_eq(lq_queue_next(q, 2, "acme/mono", "main"), 1);
}

Test(queue, ties_broken_by_number)
{
    lq_queue_entry q[] = {
        {"acme/mono", "main", 9, 100, LQ_PR_READY, 0},
        {"acme/mono", "main", 5, 100, LQ_PR_READY, 0},
    };
    cr_assert_eq(lq_queue_next(q, 2, "acme/mono", "main"), 1);
}

Test(queue, positions)
{
    lq_queue_entry q[] = {
        {"acme/mono", "main", 1, 100, LQ_PR_ARMED, 0},
        {"acme/mono", "main", 2, 200, LQ_PR_LANDED, 0},
        {"acme/mono", "main", 3, 300, LQ_PR_READY, 0},
        {"acme/mono", "dev", 4, 50, LQ_PR_READY, 0},
    };
    size_t total = 0;
    cr_assert_eq(lq_queue_position(q, 4, 0, &total), 1);
    cr_assert_eq(total, 2);
    cr_assert_eq(lq_queue_position(q, 4, 2, &total), 2);
    cr_assert_eq(lq_queue_position(q, 4, 1, &total), 0);
    cr_assert_eq(lq_queue_position(q, 4, 3, &total), 1);
    cr_assert_eq(total, 1);
    cr_assert_eq(lq_queue_position(q, 4, 9, NULL), 0);
}

Test(queue, priority_overtakes_normal_entries_fifo_among_priority)
{
    lq_queue_entry q[] = {
        {"acme/mono", "main", 1, 100, LQ_PR_READY, 0},
        {"acme/mono", "main", 2, 300, LQ_PR_READY, 1}, /* urgent, labeled later */
        {"acme/mono", "main", 3, 200, LQ_PR_READY, 1}, /* urgent, labeled before #2 */
        {"acme/mono", "dev", 4, 400, LQ_PR_READY, 1},  /* other branch */
    };
    cr_assert_eq(lq_queue_next(q, 4, "acme/mono", "main"), 2);
    q[2].state = LQ_PR_LANDED;
    cr_assert_eq(lq_queue_next(q, 4, "acme/mono", "main"), 1);
    q[1].state = LQ_PR_LANDED;
    cr_assert_eq(lq_queue_next(q, 4, "acme/mono", "main"), 0);
}

Test(queue, priority_does_not_preempt_a_merge_in_flight)
{
    lq_queue_entry q[] = {
        {"acme/mono", "main", 1, 100, LQ_PR_MERGING, 0},
        {"acme/mono", "main", 2, 50, LQ_PR_READY, 1},
    };
    cr_assert_eq(lq_queue_next(q, 2, "acme/mono", "main"), 0);
}

Test(queue, priority_positions_and_order)
{
    lq_queue_entry q[] = {
        {"acme/mono", "main", 1, 100, LQ_PR_ARMED, 0},
        {"acme/mono", "main", 2, 200, LQ_PR_READY, 0},
        {"acme/mono", "main", 3, 300, LQ_PR_ARMED, 1},
    };
    size_t total = 0;
    cr_assert_eq(lq_queue_position(q, 3, 2, &total), 1);
    cr_assert_eq(total, 3);
    cr_assert_eq(lq_queue_position(q, 3, 0, &total), 2);
    cr_assert_eq(lq_queue_position(q, 3, 1, &total), 3);
    cr_assert(lq_queue_before(&q[2], &q[0]));
    cr_assert_not(lq_queue_before(&q[0], &q[2]));
    cr_assert(lq_queue_before(&q[0], &q[1]));
    cr_assert_not(lq_queue_before(&q[0], &q[0]));
}
