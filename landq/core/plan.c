/* plan.c -- the landing plan and its comparison (pure). */
#include "plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "str.h"

static int set_str(char **field, const char *s, lq_error *err)
{
    char *c = lq_strdup(s ? s : "");
    if (!c)
        return lq_error_set(err, LQ_ENOMEM, "out of memory");
    free(*field);
    *field = c;
    return LQ_OK;
}

int lq_plan_init(lq_plan *p, const char *repo, int number, const char *base_ref,
                 const char *base_sha, const char *head_sha, lq_error *err)
{
    memset(p, 0, sizeof(*p));
    p->number = number;
    snprintf(p->base_sha, sizeof p->base_sha, "%s", base_sha ? base_sha : "");
    snprintf(p->head_sha, sizeof p->head_sha, "%s", head_sha ? head_sha : "");
    int rc = set_str(&p->repo, repo, err);
    if (!rc)
        rc = set_str(&p->base_ref, base_ref, err);
    if (!rc)
        rc = set_str(&p->labeler, "", err);
    if (!rc)
        rc = set_str(&p->title, "", err);
    if (!rc)
        rc = set_str(&p->message, "", err);
    if (rc)
        lq_plan_dispose(p);
    return rc;
}

int lq_plan_set_label(lq_plan *p, const char *labeler, int64_t labeled_at_ms,
                      int64_t label_event_id, lq_error *err)
{
    p->labeled_at_ms = labeled_at_ms;
    p->label_event_id = label_event_id;
    return set_str(&p->labeler, labeler, err);
}

int lq_plan_set_message(lq_plan *p, const char *title, const char *message, lq_error *err)
{
    int rc = set_str(&p->title, title, err);
    return rc ? rc : set_str(&p->message, message, err);
}

void lq_plan_set_codeowners(lq_plan *p, const char *blob_sha)
{
    snprintf(p->codeowners_blob, sizeof p->codeowners_blob, "%s", blob_sha ? blob_sha : "");
}

int lq_plan_add_approval(lq_plan *p, const char *login, int64_t review_id, lq_error *err)
{
    lq_plan_approval *a = realloc(p->approvals, (p->approval_count + 1) * sizeof(*a));
    if (!a)
        return lq_error_set(err, LQ_ENOMEM, "out of memory");
    p->approvals = a;
    char *l = lq_strdup(login ? login : "");
    if (!l)
        return lq_error_set(err, LQ_ENOMEM, "out of memory");
    a[p->approval_count++] = (lq_plan_approval){l, review_id};
    return LQ_OK;
}

int lq_plan_add_check(lq_plan *p, const char *name, int state, lq_error *err)
{
    lq_plan_check *c = realloc(p->checks, (p->check_count + 1) * sizeof(*c));
    if (!c)
        return lq_error_set(err, LQ_ENOMEM, "out of memory");
    p->checks = c;
    char *n = lq_strdup(name ? name : "");
    if (!n)
        return lq_error_set(err, LQ_ENOMEM, "out of memory");
    c[p->check_count++] = (lq_plan_check){n, state};
    return LQ_OK;
}

static int cmp_approval(const void *a, const void *b)
{
    const lq_plan_approval *x = a, *y = b;
    int c = strcasecmp(x->login, y->login);
    return c ? c : (x->review_id > y->review_id) - (x->review_id < y->review_id);
}

static int cmp_check(const void *a, const void *b)
{
    const lq_plan_check *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : x->state - y->state;
}

void lq_plan_seal(lq_plan *p)
{
    if (p->approval_count > 1)
        qsort(p->approvals, p->approval_count, sizeof(*p->approvals), cmp_approval);
    if (p->check_count > 1)
        qsort(p->checks, p->check_count, sizeof(*p->checks), cmp_check);
}

int lq_plan_copy(lq_plan *dst, const lq_plan *src, lq_error *err)
{
    int rc = lq_plan_init(dst, src->repo, src->number, src->base_ref, src->base_sha,
                          src->head_sha, err);
    if (!rc)
        rc = lq_plan_set_label(dst, src->labeler, src->labeled_at_ms, src->label_event_id, err);
    if (!rc)
        rc = lq_plan_set_message(dst, src->title, src->message, err);
    lq_plan_set_codeowners(dst, src->codeowners_blob);
    for (size_t i = 0; !rc && i < src->approval_count; i++)
        rc = lq_plan_add_approval(dst, src->approvals[i].login, src->approvals[i].review_id, err);
    for (size_t i = 0; !rc && i < src->check_count; i++)
        rc = lq_plan_add_check(dst, src->checks[i].name, src->checks[i].state, err);
    if (rc)
        lq_plan_dispose(dst);
    return rc;
}

void lq_plan_dispose(lq_plan *p)
{
    if (!p)
        return;
    free(p->repo);
    free(p->base_ref);
    free(p->labeler);
    free(p->title);
    free(p->message);
    for (size_t i = 0; i < p->approval_count; i++)
        free(p->approvals[i].login);
    free(p->approvals);
    for (size_t i = 0; i < p->check_count; i++)
        free(p->checks[i].name);
    free(p->checks);
    memset(p, 0, sizeof(*p));
}

static int str_eq(const char *a, const char *b)
{
    return !strcmp(a ? a : "", b ? b : "");
}

static int approvals_eq(const lq_plan *a, const lq_plan *b)
{
    if (a->approval_count != b->approval_count)
        return 0;
    for (size_t i = 0; i < a->approval_count; i++)
        if (strcasecmp(a->approvals[i].login, b->approvals[i].login) ||
            a->approvals[i].review_id != b->approvals[i].review_id)
            return 0;
    return 1;
}

static int checks_eq(const lq_plan *a, const lq_plan *b)
{
    if (a->check_count != b->check_count)
        return 0;
    for (size_t i = 0; i < a->check_count; i++)
        if (strcmp(a->checks[i].name, b->checks[i].name) ||
            a->checks[i].state != b->checks[i].state)
            return 0;
    return 1;
}

unsigned lq_plan_diff(const lq_plan *d, const lq_plan *n)
{
    unsigned bits = 0;
    /* repository names compare case-insensitively (as GitHub does); branch names do not */
    if (strcasecmp(d->repo ? d->repo : "", n->repo ? n->repo : "") || d->number != n->number)
        bits |= LQ_PLAN_PR;
    if (!str_eq(d->base_ref, n->base_ref))
        bits |= LQ_PLAN_BASE_REF;
    if (strcmp(d->base_sha, n->base_sha))
        bits |= LQ_PLAN_BASE_SHA;
    if (strcmp(d->head_sha, n->head_sha))
        bits |= LQ_PLAN_HEAD;
    if (strcasecmp(d->labeler ? d->labeler : "", n->labeler ? n->labeler : "") ||
        d->labeled_at_ms != n->labeled_at_ms || d->label_event_id != n->label_event_id)
        bits |= LQ_PLAN_LABEL;
    if (strcmp(d->codeowners_blob, n->codeowners_blob))
        bits |= LQ_PLAN_CODEOWNERS;
    if (!approvals_eq(d, n))
        bits |= LQ_PLAN_APPROVALS;
    if (!checks_eq(d, n))
        bits |= LQ_PLAN_CHECKS;
    if (!str_eq(d->title, n->title) || !str_eq(d->message, n->message))
        bits |= LQ_PLAN_MESSAGE;
    return bits;
}

const char *lq_plan_diff_str(unsigned bits, char *buf, size_t cap)
{
    static const struct {
        unsigned bit;
        const char *name;
    } names[] = {{LQ_PLAN_PR, "pull request"},   {LQ_PLAN_BASE_REF, "base branch"},
                 {LQ_PLAN_BASE_SHA, "base tip"},  {LQ_PLAN_HEAD, "head"},
                 {LQ_PLAN_LABEL, "label"},        {LQ_PLAN_CODEOWNERS, "CODEOWNERS"},
                 {LQ_PLAN_APPROVALS, "approvals"}, {LQ_PLAN_CHECKS, "checks"},
                 {LQ_PLAN_MESSAGE, "commit message"}};
    if (!cap)
        return buf;
    buf[0] = '\0';
    size_t len = 0;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (!(bits & names[i].bit))
            continue;
        int n = snprintf(buf + len, cap - len, "%s%s", len ? ", " : "", names[i].name);
        if (n < 0 || (size_t)n >= cap - len)
            break;
        len += (size_t)n;
    }
    if (!len)
        snprintf(buf, cap, "nothing");
    return buf;
}
