/* policy.c -- the landing decision: who must approve what, which checks must pass (pure). */
#include "policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "md.h"

#define SUMMARY_MAX 140 /* GitHub's limit for a commit status description */

lq_review_state lq_review_state_parse(const char *s)
{
    if (!s)
        return LQ_REVIEW_OTHER;
    if (!strcasecmp(s, "APPROVED"))
        return LQ_REVIEW_APPROVED;
    if (!strcasecmp(s, "CHANGES_REQUESTED"))
        return LQ_REVIEW_CHANGES_REQUESTED;
    if (!strcasecmp(s, "DISMISSED"))
        return LQ_REVIEW_DISMISSED;
    return LQ_REVIEW_OTHER;
}

lq_check_state lq_check_state_from_status(const char *state)
{
    if (state && !strcmp(state, "success"))
        return LQ_CHECK_SUCCESS;
    if (state && !strcmp(state, "pending"))
        return LQ_CHECK_PENDING;
    return LQ_CHECK_FAILURE; /* failure, error, or anything unknown: fail closed */
}

lq_check_state lq_check_state_from_run(const char *status, const char *conclusion)
{
    if (!status || strcmp(status, "completed"))
        return LQ_CHECK_PENDING;
    if (conclusion && (!strcmp(conclusion, "success") || !strcmp(conclusion, "neutral") ||
                       !strcmp(conclusion, "skipped")))
        return LQ_CHECK_SUCCESS;
    return LQ_CHECK_FAILURE;
}

const char *lq_verdict_kind_str(lq_verdict_kind k)
{
    switch (k) {
    case LQ_VERDICT_IGNORE: return "ignore";
    case LQ_VERDICT_WAIT: return "wait";
    case LQ_VERDICT_BLOCKED: return "blocked";
    case LQ_VERDICT_EJECT: return "eject";
    case LQ_VERDICT_READY: return "ready";
    }
    return "unknown";
}

/* ---- small helpers ---- */

static char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}

/* Takes s (even on failure). */
static int push_str(char ***arr, size_t *count, char *s)
{
    if (!s)
        return LQ_ENOMEM;
    char **n = realloc(*arr, (*count + 1) * sizeof(**arr));
    if (!n) {
        free(s);
        return LQ_ENOMEM;
    }
    n[(*count)++] = s;
    *arr = n;
    return LQ_OK;
}

/* Copies s into a status description of at most SUMMARY_MAX bytes, cut at a UTF-8 boundary. */
static char *summary_of(const char *s)
{
    size_t n = strlen(s);
    if (n <= SUMMARY_MAX)
        return xstrdup(s);
    size_t cut = SUMMARY_MAX - 3;
    while (cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80)
        cut--;
    char *p = malloc(cut + 4);
    if (!p)
        return NULL;
    memcpy(p, s, cut);
    memcpy(p + cut, "...", 4);
    return p;
}

static int login_eq(const char *a, const char *b)
{
    return a && b && !strcasecmp(a, b);
}

int lq_policy_approvers(const char ***out, size_t *count, const lq_review *reviews, size_t n,
                        const char *author, const char *head_sha, lq_error *err)
{
    *out = NULL;
    *count = 0;
    const char **res = n ? malloc(n * sizeof(*res)) : NULL;
    if (n && !res)
        return lq_error_set(err, LQ_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        const lq_review *r = &reviews[i];
        if (!r->login || r->state == LQ_REVIEW_OTHER || login_eq(r->login, author))
            continue;
        /* Is this the reviewer's latest opinion? */
        int later = 0;
        for (size_t j = i + 1; j < n && !later; j++)
            later = login_eq(reviews[j].login, r->login) && reviews[j].state != LQ_REVIEW_OTHER;
        if (later || r->state != LQ_REVIEW_APPROVED)
            continue;
        if (!r->commit_id || !head_sha || strcmp(r->commit_id, head_sha))
            continue; /* stale: given on an earlier head */
        res[(*count)++] = r->login;
    }
    if (!*count) {
        free(res);
        res = NULL;
    }
    *out = res;
    return LQ_OK;
}

/* Does one of the approvers satisfy owner o? */
static int owner_satisfied(const lq_owner *o, const char *const *approvers, size_t na,
                           const lq_policy_facts *f)
{
    for (size_t i = 0; i < na; i++) {
        if (o->kind == LQ_OWNER_USER) {
            const char *name = o->name[0] == '@' ? o->name + 1 : o->name;
            if (login_eq(name, approvers[i]))
                return 1;
            continue;
        }
        for (size_t k = 0; k < f->affiliation_count; k++)
            if (login_eq(f->affiliations[k].login, approvers[i]) &&
                lq_owner_equal(f->affiliations[k].owner, o->name))
                return 1;
    }
    return 0;
}

static char *owners_text(const lq_codeowners_match *m)
{
    size_t len = 1;
    for (size_t i = 0; i < m->owner_count; i++)
        len += strlen(m->owners[i].name) + 2;
    char *s = malloc(len);
    if (!s)
        return NULL;
    s[0] = '\0';
    for (size_t i = 0; i < m->owner_count; i++) {
        if (i)
            strcat(s, ", ");
        strcat(s, m->owners[i].name);
    }
    return s;
}

static int add_missing(lq_verdict *v, const char *path, const lq_codeowners_match *m)
{
    for (size_t i = 0; i < v->missing_count; i++)
        if (!strcmp(v->missing[i].path, path))
            return LQ_OK;
    lq_missing_owner *n = realloc(v->missing, (v->missing_count + 1) * sizeof(*n));
    if (!n)
        return LQ_ENOMEM;
    v->missing = n;
    lq_missing_owner *e = &n[v->missing_count];
    e->path = xstrdup(path);
    e->owners = owners_text(m);
    e->line = m->line;
    if (!e->path || !e->owners) {
        free(e->path);
        free(e->owners);
        return LQ_ENOMEM;
    }
    v->missing_count++;
    return LQ_OK;
}

static int check_path(lq_verdict *v, const lq_policy_facts *f, const char *path,
                      const char *const *approvers, size_t na)
{
    lq_codeowners_match m;
    lq_codeowners_match_path(f->owners, NULL, path, strlen(path), &m);
    if (m.line == 0 || m.owner_count == 0)
        return LQ_OK; /* unowned: needs nothing */
    for (size_t i = 0; i < m.owner_count; i++)
        if (owner_satisfied(&m.owners[i], approvers, na, f))
            return LQ_OK;
    return add_missing(v, path, &m);
}

static int decide_done(lq_verdict *v, lq_verdict_kind kind, const char *summary)
{
    v->kind = kind;
    v->summary = summary_of(summary);
    return v->summary ? LQ_OK : LQ_ENOMEM;
}

static int decide(lq_verdict *v, const lq_policy_facts *f)
{
    int rc;
    const char *label = f->label ? f->label : "land";
    char buf[1024];

    /* 1. Is it landq's business at all? */
    if (!f->repo_configured) {
        snprintf(buf, sizeof buf, "%s is not a repository landq is configured to serve",
                 f->repo ? f->repo : "the base repository");
        if ((rc = push_str(&v->reasons, &v->reason_count, xstrdup(buf))))
            return rc;
        return decide_done(v, LQ_VERDICT_IGNORE, buf);
    }
    if (f->merged || !f->open || !f->has_label) {
        const char *why = f->merged ? "the pull request is merged"
                          : !f->open ? "the pull request is closed"
                                     : "the landing label is not on the pull request";
        if ((rc = push_str(&v->reasons, &v->reason_count, xstrdup(why))))
            return rc;
        return decide_done(v, LQ_VERDICT_IGNORE, why);
    }

    /* 2. Who queued it. */
    if (!f->labeler) {
        snprintf(buf, sizeof buf, "landq could not find out who added the `%s` label, so it "
                 "cannot check their permission; remove the label and add it again", label);
        if ((rc = push_str(&v->reasons, &v->reason_count, xstrdup(buf))))
            return rc;
        return decide_done(v, LQ_VERDICT_BLOCKED, "cannot tell who added the label; re-add it");
    }
    if (!f->labeler_can_write) {
        snprintf(buf, sizeof buf, "the `%s` label was added by @%s, who does not have write, "
                 "maintain or admin permission on %s; ask someone with write access to add it",
                 label, f->labeler, f->repo ? f->repo : "the repository");
        if ((rc = push_str(&v->reasons, &v->reason_count, xstrdup(buf))))
            return rc;
        snprintf(buf, sizeof buf, "label added by @%s, who lacks write permission", f->labeler);
        return decide_done(v, LQ_VERDICT_EJECT, buf);
    }

    /* 3. Approvers on the current head. */
    const char **approvers = NULL;
    size_t na = 0;
    if ((rc = lq_policy_approvers(&approvers, &na, f->reviews, f->review_count, f->author,
                                  f->head_sha, NULL)))
        return rc;
    size_t kept = 0;
    for (size_t i = 0; i < na; i++) {
        int writer = 1;
        for (size_t k = 0; k < f->non_writer_count && writer; k++)
            writer = !login_eq(f->non_writers[k], approvers[i]);
        if (!writer) {
            snprintf(buf, sizeof buf, "@%s approved, but has no write permission on %s, so the "
                     "approval does not count", approvers[i], f->repo ? f->repo : "the repository");
            if ((rc = push_str(&v->reasons, &v->reason_count, xstrdup(buf)))) {
                free(approvers);
                return rc;
            }
            continue;
        }
        approvers[kept++] = approvers[i];
        if ((rc = push_str(&v->approvers, &v->approver_count, xstrdup(approvers[i])))) {
            free(approvers);
            return rc;
        }
    }
    na = kept;

    /* 4. Checks. Failures eject; pending ones make it wait. */
    size_t pending = 0;
    char *first_pending = NULL;
    for (size_t i = 0; i < f->check_count; i++) {
        const lq_check *c = &f->checks[i];
        if (!c->name || (f->self_context && !strcasecmp(c->name, f->self_context)))
            continue;
        int relevant = f->required_check_count == 0;
        for (size_t k = 0; k < f->required_check_count && !relevant; k++)
            relevant = !strcasecmp(f->required_checks[k], c->name);
        if (!relevant || c->state == LQ_CHECK_SUCCESS)
            continue;
        if (c->state == LQ_CHECK_FAILURE) {
            char name[300], detail[400] = "";
            if (c->detail && c->detail[0])
                lq_md_code_buf(detail, sizeof detail, c->detail);
            snprintf(buf, sizeof buf, "check %s failed%s%s%s on %.12s",
                     lq_md_code_buf(name, sizeof name, c->name), detail[0] ? " (" : "", detail,
                     detail[0] ? ")" : "", f->head_sha ? f->head_sha : "");
            if ((rc = push_str(&v->reasons, &v->reason_count, xstrdup(buf))))
                goto out;
            if (!v->failing_check && !(v->failing_check = xstrdup(c->name))) {
                rc = LQ_ENOMEM;
                goto out;
            }
        }
    }
    if (v->failing_check) {
        snprintf(buf, sizeof buf, "check %s failed", v->failing_check);
        rc = decide_done(v, LQ_VERDICT_EJECT, buf);
        goto out;
    }

    /* 5. Conditions that block without ejecting. */
    if (f->draft) {
        rc = push_str(&v->reasons, &v->reason_count,
                      xstrdup("the pull request is a draft; mark it ready for review"));
        if (!rc)
            rc = decide_done(v, LQ_VERDICT_WAIT, "waiting: the pull request is a draft");
        goto out;
    }
    if (f->codeowners_error) {
        char base[300], why[600];
        snprintf(buf, sizeof buf, "CODEOWNERS%s%s on the base branch %s could not be loaded: %s",
                 f->codeowners_path ? " at " : "", f->codeowners_path ? f->codeowners_path : "",
                 lq_md_code_buf(base, sizeof base, f->base_ref ? f->base_ref : ""),
                 lq_md_code_buf(why, sizeof why, f->codeowners_error));
        rc = push_str(&v->reasons, &v->reason_count, xstrdup(buf));
        /* the status description is plain text */
        snprintf(buf, sizeof buf, "CODEOWNERS%s%s on the base branch %s could not be loaded: %s",
                 f->codeowners_path ? " at " : "", f->codeowners_path ? f->codeowners_path : "",
                 f->base_ref ? f->base_ref : "", f->codeowners_error);
        if (!rc)
            rc = decide_done(v, LQ_VERDICT_BLOCKED, buf);
        goto out;
    }
    if (f->changed_files > LQ_POLICY_MAX_FILES || f->file_count < f->changed_files) {
        snprintf(buf, sizeof buf, "the pull request changes %zu files but GitHub listed only %zu "
                 "(at most %d); landq cannot check the owners of the rest, so split it",
                 f->changed_files, f->file_count, LQ_POLICY_MAX_FILES);
        rc = push_str(&v->reasons, &v->reason_count, xstrdup(buf));
        if (!rc)
            rc = decide_done(v, LQ_VERDICT_BLOCKED, buf);
        goto out;
    }

    /* 6. Owners of every changed path (both paths of a rename). */
    if (f->owners) {
        for (size_t i = 0; i < f->file_count; i++) {
            const lq_changed_file *cf = &f->files[i];
            if (cf->path && (rc = check_path(v, f, cf->path, approvers, na)))
                goto out;
            if (cf->previous_path && (rc = check_path(v, f, cf->previous_path, approvers, na)))
                goto out;
        }
    }
    for (size_t i = 0; i < v->missing_count; i++) {
        char path[600];
        snprintf(buf, sizeof buf, "%s needs an approval from one of %s (%s line %u)",
                 lq_md_code_buf(path, sizeof path, v->missing[i].path), v->missing[i].owners,
                 f->codeowners_path ? f->codeowners_path : "CODEOWNERS", v->missing[i].line);
        if ((rc = push_str(&v->reasons, &v->reason_count, xstrdup(buf))))
            goto out;
    }

    /* 7. Outstanding change requests (latest opinion of a non-author). */
    const char *requester = NULL;
    for (size_t i = 0; i < f->review_count; i++) {
        const lq_review *r = &f->reviews[i];
        if (!r->login || r->state == LQ_REVIEW_OTHER || login_eq(r->login, f->author))
            continue;
        int later = 0;
        for (size_t j = i + 1; j < f->review_count && !later; j++)
            later = login_eq(f->reviews[j].login, r->login) &&
                    f->reviews[j].state != LQ_REVIEW_OTHER;
        if (later || r->state != LQ_REVIEW_CHANGES_REQUESTED)
            continue;
        if (!requester)
            requester = r->login;
        snprintf(buf, sizeof buf, "@%s requested changes; they need to approve the current "
                 "head or have the review dismissed", r->login);
        if ((rc = push_str(&v->reasons, &v->reason_count, xstrdup(buf))))
            goto out;
    }

    /* 8. Pending or missing checks. */
    for (size_t i = 0; i < f->check_count; i++) {
        const lq_check *c = &f->checks[i];
        if (!c->name || c->state != LQ_CHECK_PENDING ||
            (f->self_context && !strcasecmp(c->name, f->self_context)))
            continue;
        int relevant = f->required_check_count == 0;
        for (size_t k = 0; k < f->required_check_count && !relevant; k++)
            relevant = !strcasecmp(f->required_checks[k], c->name);
        if (!relevant)
            continue;
        pending++;
        if (!first_pending && !(first_pending = xstrdup(c->name))) {
            rc = LQ_ENOMEM;
            goto out;
        }
        char name[300];
        snprintf(buf, sizeof buf, "check %s has not finished yet",
                 lq_md_code_buf(name, sizeof name, c->name));
        if ((rc = push_str(&v->reasons, &v->reason_count, xstrdup(buf))))
            goto out;
    }
    for (size_t k = 0; k < f->required_check_count; k++) {
        int found = 0;
        for (size_t i = 0; i < f->check_count && !found; i++)
            found = f->checks[i].name && !strcasecmp(f->checks[i].name, f->required_checks[k]);
        if (found)
            continue;
        pending++;
        if (!first_pending && !(first_pending = xstrdup(f->required_checks[k]))) {
            rc = LQ_ENOMEM;
            goto out;
        }
        char name[300];
        snprintf(buf, sizeof buf, "required check %s has not reported on %.12s yet",
                 lq_md_code_buf(name, sizeof name, f->required_checks[k]), f->head_sha ? f->head_sha : "");
        if ((rc = push_str(&v->reasons, &v->reason_count, xstrdup(buf))))
            goto out;
    }

    if (v->missing_count) {
        if (v->missing_count == 1)
            snprintf(buf, sizeof buf, "waiting for owner approval: %s needs one of %s",
                     v->missing[0].path, v->missing[0].owners);
        else
            snprintf(buf, sizeof buf, "waiting for owner approval: %s needs one of %s "
                     "(+%zu more paths)", v->missing[0].path, v->missing[0].owners,
                     v->missing_count - 1);
        rc = decide_done(v, LQ_VERDICT_WAIT, buf);
    } else if (requester) {
        snprintf(buf, sizeof buf, "waiting: @%s requested changes", requester);
        rc = decide_done(v, LQ_VERDICT_WAIT, buf);
    } else if (pending) {
        if (pending == 1)
            snprintf(buf, sizeof buf, "waiting for check %s", first_pending);
        else
            snprintf(buf, sizeof buf, "waiting for check %s (+%zu more)", first_pending,
                     pending - 1);
        rc = decide_done(v, LQ_VERDICT_WAIT, buf);
    } else {
        rc = push_str(&v->reasons, &v->reason_count,
                      xstrdup("every changed file is approved by an owner and all checks passed"));
        if (!rc)
            rc = decide_done(v, LQ_VERDICT_READY, "ready to land");
    }
out:
    free(first_pending);
    free(approvers);
    return rc;
}

int lq_policy_decide(lq_verdict *out, const lq_policy_facts *facts, lq_error *err)
{
    if (!out)
        return lq_error_set(err, LQ_EINVAL, "no verdict to fill");
    memset(out, 0, sizeof(*out));
    if (!facts)
        return lq_error_set(err, LQ_EINVAL, "no facts to decide on");
    int rc = decide(out, facts);
    if (rc) {
        lq_verdict_dispose(out);
        return lq_error_set(err, rc, "out of memory deciding on %s#%d",
                            facts->repo ? facts->repo : "?", facts->number);
    }
    return LQ_OK;
}

int lq_policy_owners(lq_verdict *out, const lq_policy_facts *f, lq_error *err)
{
    if (!out || !f)
        return lq_error_set(err, LQ_EINVAL, "no facts to check the owners of");
    memset(out, 0, sizeof(*out));
    const char **approvers = NULL;
    size_t na = 0;
    int rc = lq_policy_approvers(&approvers, &na, f->reviews, f->review_count, f->author,
                                 f->head_sha, NULL);
    size_t kept = 0;
    for (size_t i = 0; !rc && i < na; i++) {
        int writer = 1;
        for (size_t k = 0; k < f->non_writer_count && writer; k++)
            writer = !login_eq(f->non_writers[k], approvers[i]);
        if (writer)
            approvers[kept++] = approvers[i];
    }
    for (size_t i = 0; !rc && f->owners && i < f->file_count; i++) {
        const lq_changed_file *cf = &f->files[i];
        if (cf->path)
            rc = check_path(out, f, cf->path, approvers, kept);
        if (!rc && cf->previous_path)
            rc = check_path(out, f, cf->previous_path, approvers, kept);
    }
    free(approvers);
    if (rc) {
        lq_verdict_dispose(out);
        return lq_error_set(err, rc, "out of memory checking the owners of %s#%d",
                            f->repo ? f->repo : "?", f->number);
    }
    return LQ_OK;
}

void lq_verdict_dispose(lq_verdict *v)
{
    if (!v)
        return;
    free(v->summary);
    for (size_t i = 0; i < v->reason_count; i++)
        free(v->reasons[i]);
    free(v->reasons);
    for (size_t i = 0; i < v->missing_count; i++) {
        free(v->missing[i].path);
        free(v->missing[i].owners);
    }
    free(v->missing);
    for (size_t i = 0; i < v->approver_count; i++)
        free(v->approvers[i]);
    free(v->approvers);
    free(v->failing_check);
    memset(v, 0, sizeof(*v));
}
