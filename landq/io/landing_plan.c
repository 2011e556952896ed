/* landing_plan.c -- a READY decision's landing plan, from its facts, and the check that a merge
 * went where the plan said. */
#include "landing_plan.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "message.h"

/* The id of login's latest APPROVED review of head (0 when none is listed). */
static int64_t approval_id(const lq_facts *b, const char *login, const char *head)
{
    int64_t id = 0;
    for (size_t i = 0; i < b->reviews.count; i++) {
        const lq_gh_review *r = &b->reviews.items[i];
        if (!strcasecmp(r->login, login) && !strcmp(r->state, "APPROVED") &&
            !strcmp(r->commit_id, head))
            id = r->id;
    }
    return id;
}

/* The checks the decision looked at: the required ones when a list is configured, else every
 * check on the head but landq's own status. */
static int wanted_check(const lq_policy_facts *f, const char *name)
{
    if (f->self_context && !strcmp(name, f->self_context))
        return 0;
    if (!f->required_check_count)
        return 1;
    for (size_t i = 0; i < f->required_check_count; i++)
        if (!strcmp(f->required_checks[i], name))
            return 1;
    return 0;
}

int lq_landing_plan_build(lq_worker *w, const lq_pr_record *rec, const lq_facts *b,
                          const lq_verdict *v, lq_plan *out, lq_error *err)
{
    const lq_gh_pull *pr = &b->pr;
    int rc = lq_plan_init(out, rec->repo, rec->number, pr->base_ref, b->base_sha, pr->head_sha,
                          err);
    if (rc)
        return rc;
    char labeler[LQ_GH_LOGIN_MAX];
    int64_t at = 0, event = 0;
    rc = lq_facts_label_event(&w->gh, rec->repo, rec->number, w->label, labeler, sizeof labeler,
                              &at, &event, err);
    if (!rc)
        rc = lq_plan_set_label(out, labeler, at, event, err);
    lq_plan_set_codeowners(out, b->codeowners_blob);
    for (size_t i = 0; !rc && i < v->approver_count; i++)
        rc = lq_plan_add_approval(out, v->approvers[i],
                                  approval_id(b, v->approvers[i], pr->head_sha), err);
    const lq_policy_facts *f = &b->policy;
    for (size_t i = 0; !rc && i < f->check_count; i++)
        if (wanted_check(f, f->checks[i].name))
            rc = lq_plan_add_check(out, f->checks[i].name, (int)f->checks[i].state, err);
    char *msg = NULL;
    if (!rc)
        rc = lq_message_build(&msg, pr->body, (const char *const *)v->approvers,
                              v->approver_count, err);
    if (!rc)
        rc = lq_plan_set_message(out, pr->title ? pr->title : "", msg, err);
    free(msg);
    if (rc) {
        lq_plan_dispose(out);
        return rc;
    }
    lq_plan_seal(out);
    return LQ_OK;
}

/* ---------------------------------------------------------------- verify after */

int lq_landing_outcome_violates(lq_worker *w, const lq_pr_record *rec, const char *decided_base,
                                const char *base_tip, const char *commit, char *actual_base,
                                size_t acap, char *what, size_t wcap)
{
    actual_base[0] = '\0';
    lq_error err = {0};
    /* The usual answer in one read: the merge commit is the decided branch's tip, so GitHub
     * merged into that branch (a commit made by this merge is on no other branch's tip unless
     * someone pushed it there). The read also leaves the tip in the ETag cache, so the next
     * evaluation's read of it is a 304, free of rate limit. */
    if (commit && commit[0]) {
        char tip[LQ_GH_SHA_MAX] = "";
        if (lq_gh_branch_sha(&w->gh, tip, rec->repo, decided_base, &err) == LQ_OK &&
            !strcmp(tip, commit)) {
            snprintf(actual_base, acap, "%s", decided_base);
            return 0;
        }
        memset(&err, 0, sizeof err);
    }
    lq_gh_pull pr;
    if (lq_gh_pull_get(&w->gh, &pr, rec->repo, rec->number, &err)) {
        LQ_WARN("landing", "msg=\"cannot verify the merge outcome\" repo=%s pr=%d error=\"%s\"",
                rec->repo, rec->number, err.msg);
        return 0;
    }
    snprintf(actual_base, acap, "%s", pr.base_ref);
    int bad = strcmp(pr.base_ref, decided_base) != 0;
    if (bad)
        snprintf(what, wcap, "merged into '%.100s', but landq decided for '%.100s'", pr.base_ref,
                 decided_base);
    lq_gh_pull_dispose(&pr);
    if (bad || !base_tip || !base_tip[0] || !commit || !commit[0])
        return bad;
    lq_gh_commit c;
    if (lq_gh_commit_get(&w->gh, &c, rec->repo, commit, &err)) {
        LQ_WARN("landing", "msg=\"cannot read the merge commit to verify it\" repo=%s pr=%d "
                "commit=%.40s error=\"%s\"", rec->repo, rec->number, commit, err.msg);
        return 0;
    }
    if (c.parent_count >= 1 && strcmp(c.parents[0], base_tip)) {
        char tip[LQ_GH_SHA_MAX] = "";
        if (lq_gh_branch_sha(&w->gh, tip, rec->repo, decided_base, &err) || strcmp(tip, commit)) {
            snprintf(what, wcap, "the merge commit %.12s has parent %.12s, not %.12s (the tip of "
                     "'%.100s' before the merge)", commit, c.parents[0], base_tip, decided_base);
            bad = 1;
        }
    }
    lq_gh_commit_dispose(&c);
    return bad;
}
