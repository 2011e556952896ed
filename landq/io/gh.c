/* gh.c -- the typed GitHub layer: dispatch to the backend, result disposal, comment upsert. */
#include "gh.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void lq_gh_pull_dispose(lq_gh_pull *p)
{
    if (!p)
        return;
    free(p->title);
    free(p->body);
    free(p->base_clone_url);
    for (size_t i = 0; i < p->label_count; i++)
        free(p->labels[i]);
    free(p->labels);
    memset(p, 0, sizeof(*p));
}

int lq_gh_pull_has_label(const lq_gh_pull *p, const char *label)
{
    for (size_t i = 0; label && i < p->label_count; i++)
        if (p->labels[i] && !strcasecmp(p->labels[i], label))
            return 1;
    return 0;
}

void lq_gh_files_dispose(lq_gh_files *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->count; i++) {
        free(f->items[i].path);
        free(f->items[i].previous_path);
    }
    free(f->items);
    memset(f, 0, sizeof(*f));
}

void lq_gh_reviews_dispose(lq_gh_reviews *r)
{
    if (!r)
        return;
    free(r->items);
    memset(r, 0, sizeof(*r));
}

void lq_gh_issue_events_dispose(lq_gh_issue_events *e)
{
    if (!e)
        return;
    for (size_t i = 0; i < e->count; i++) {
        free(e->items[i].label);
        free(e->items[i].body);
    }
    free(e->items);
    memset(e, 0, sizeof(*e));
}

void lq_gh_content_dispose(lq_gh_content *c)
{
    if (!c)
        return;
    free(c->data);
    memset(c, 0, sizeof(*c));
}

void lq_gh_checks_dispose(lq_gh_checks *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->count; i++) {
        free(c->items[i].name);
        free(c->items[i].conclusion);
        free(c->items[i].description);
        free(c->items[i].url);
    }
    free(c->items);
    memset(c, 0, sizeof(*c));
}

void lq_gh_comments_dispose(lq_gh_comments *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->count; i++)
        free(c->items[i].body);
    free(c->items);
    memset(c, 0, sizeof(*c));
}

void lq_gh_commit_dispose(lq_gh_commit *c)
{
    if (!c)
        return;
    free(c->parents);
    for (size_t i = 0; i < c->file_count; i++)
        free(c->files[i]);
    free(c->files);
    memset(c, 0, sizeof(*c));
}

void lq_gh_numbers_dispose(lq_gh_numbers *n)
{
    if (!n)
        return;
    free(n->items);
    memset(n, 0, sizeof(*n));
}

void lq_gh_deliveries_dispose(lq_gh_deliveries *d)
{
    if (!d)
        return;
    free(d->items);
    memset(d, 0, sizeof(*d));
}

/* ---------------------------------------------------------------- dispatch */

int lq_gh_pull_get(const lq_gh *gh, lq_gh_pull *out, const char *repo, int number,
                   lq_error *err)
{
    return gh->ops->pull_get(gh->ctx, out, repo, number, err);
}

int lq_gh_files_list(const lq_gh *gh, lq_gh_files *out, const char *repo, int number,
                     size_t max_items, lq_error *err)
{
    return gh->ops->files_list(gh->ctx, out, repo, number, max_items, err);
}

int lq_gh_reviews_list(const lq_gh *gh, lq_gh_reviews *out, const char *repo, int number,
                       lq_error *err)
{
    return gh->ops->reviews_list(gh->ctx, out, repo, number, err);
}

int lq_gh_issue_events_list(const lq_gh *gh, lq_gh_issue_events *out, const char *repo,
                            int number, lq_error *err)
{
    return gh->ops->issue_events_list(gh->ctx, out, repo, number, err);
}

int lq_gh_branch_sha(const lq_gh *gh, char out[LQ_GH_SHA_MAX], const char *repo,
                     const char *branch, lq_error *err)
{
    return gh->ops->branch_sha(gh->ctx, out, repo, branch, err);
}

int lq_gh_content_get(const lq_gh *gh, lq_gh_content *out, const char *repo, const char *path,
                      const char *ref, size_t max_bytes, lq_error *err)
{
    return gh->ops->content_get(gh->ctx, out, repo, path, ref, max_bytes, err);
}

int lq_gh_permission_get(const lq_gh *gh, lq_gh_permission *out, const char *repo,
                         const char *login, lq_error *err)
{
    return gh->ops->permission_get(gh->ctx, out, repo, login, err);
}

int lq_gh_team_member(const lq_gh *gh, int *out, const char *org, const char *slug,
                      const char *login, lq_error *err)
{
    return gh->ops->team_member(gh->ctx, out, org, slug, login, err);
}

int lq_gh_user_email(const lq_gh *gh, char **out, const char *login, lq_error *err)
{
    return gh->ops->user_email(gh->ctx, out, login, err);
}

int lq_gh_self_login(const lq_gh *gh, char out[LQ_GH_LOGIN_MAX], lq_error *err)
{
    return gh->ops->self_login(gh->ctx, out, err);
}

int lq_gh_statuses_get(const lq_gh *gh, lq_gh_checks *out, const char *repo, const char *sha,
                       lq_error *err)
{
    return gh->ops->statuses_get(gh->ctx, out, repo, sha, err);
}

int lq_gh_check_runs_list(const lq_gh *gh, lq_gh_checks *out, const char *repo,
                          const char *sha, lq_error *err)
{
    return gh->ops->check_runs_list(gh->ctx, out, repo, sha, err);
}

int lq_gh_commit_get(const lq_gh *gh, lq_gh_commit *out, const char *repo, const char *sha,
                     lq_error *err)
{
    return gh->ops->commit_get(gh->ctx, out, repo, sha, err);
}

int lq_gh_commit_pulls(const lq_gh *gh, lq_gh_numbers *out, const char *repo, const char *sha,
                       lq_error *err)
{
    return gh->ops->commit_pulls(gh->ctx, out, repo, sha, err);
}

int lq_gh_labeled_pulls(const lq_gh *gh, lq_gh_numbers *out, const char *repo,
                        const char *label, lq_error *err)
{
    return gh->ops->labeled_pulls(gh->ctx, out, repo, label, err);
}

int lq_gh_comments_list(const lq_gh *gh, lq_gh_comments *out, const char *repo, int number,
                        lq_error *err)
{
    return gh->ops->comments_list(gh->ctx, out, repo, number, err);
}

int lq_gh_status_post(const lq_gh *gh, const char *repo, const char *sha, const char *state,
                      const char *description, const char *context, lq_error *err)
{
    return gh->ops->status_post(gh->ctx, repo, sha, state, description, context, err);
}

int lq_gh_comment_create(const lq_gh *gh, lq_gh_comment *out, const char *repo, int number,
                         const char *body, lq_error *err)
{
    return gh->ops->comment_create(gh->ctx, out, repo, number, body, err);
}

int lq_gh_comment_update(const lq_gh *gh, lq_gh_comment *out, const char *repo, int64_t id,
                         const char *body, lq_error *err)
{
    return gh->ops->comment_update(gh->ctx, out, repo, id, body, err);
}

int lq_gh_comment_upsert(const lq_gh *gh, int64_t *id, char *author, size_t author_cap,
                         const char *repo, int number, const char *body, lq_error *err)
{
    lq_gh_comment c;
    memset(&c, 0, sizeof c);
    int rc = LQ_ENOTFOUND;
    if (*id) {
        rc = lq_gh_comment_update(gh, &c, repo, *id, body, err);
        if (rc == LQ_ENOTFOUND) /* deleted by someone: write a new one */
            *id = 0;
    }
    if (rc == LQ_ENOTFOUND)
        rc = lq_gh_comment_create(gh, &c, repo, number, body, err);
    if (rc == LQ_OK) {
        *id = c.id;
        if (author && author_cap)
            snprintf(author, author_cap, "%s", c.author);
    }
    free(c.body);
    return rc;
}

int lq_gh_label_remove(const lq_gh *gh, const char *repo, int number, const char *label,
                       lq_error *err)
{
    return gh->ops->label_remove(gh->ctx, repo, number, label, err);
}

int lq_gh_merge(const lq_gh *gh, lq_gh_merge_result *out, const char *repo, int number,
                const lq_gh_merge_req *req, lq_error *err)
{
    return gh->ops->merge(gh->ctx, out, repo, number, req, err);
}

int lq_gh_deliveries_list(const lq_gh *gh, lq_gh_deliveries *out, const char *repo,
                          long long hook, size_t max_items, lq_error *err)
{
    return gh->ops->deliveries_list(gh->ctx, out, repo, hook, max_items, err);
}

int lq_gh_redeliver(const lq_gh *gh, const char *repo, long long hook, int64_t delivery_id,
                    lq_error *err)
{
    return gh->ops->redeliver(gh->ctx, repo, hook, delivery_id, err);
}

void lq_gh_rate_get(const lq_gh *gh, lq_gh_rate *out)
{
    gh->ops->rate(gh->ctx, out);
}
