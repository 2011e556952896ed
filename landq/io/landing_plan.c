/* landing_plan.c -- a READY decision's landing plan, from its facts. */
#include "landing_plan.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

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
