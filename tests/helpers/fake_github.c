/* fake_github.c -- an in-memory GitHub behind the io/gh.h ops table (see fake_github.h). */
#include "fake_github.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static char *dup_s(const char *s)
{
    size_t n = strlen(s ? s : "") + 1;
    char *c = malloc(n);
    if (c)
        memcpy(c, s ? s : "", n);
    return c;
}

static const char *const op_names[] = {
    "pull_get", "files_list", "reviews_list", "issue_events_list", "branch_sha", "content_get",
    "permission_get", "team_member", "user_email", "self_login", "statuses_get",
    "check_runs_list", "commit_get", "commit_pulls", "labeled_pulls", "comments_list",
    "status_post", "comment_create", "comment_update", "label_remove", "merge",
    "deliveries_list", "redeliver", NULL};

/* Logs the call and runs the test's hook. */
static void called(fake_github *fg, const char *op, const char *fmt, ...)
{
    int k = 0;
    while (op_names[k] && strcmp(op_names[k], op))
        k++;
    int nth = ++fg->counts[k];
    if (fg->ncalls < sizeof fg->calls / sizeof fg->calls[0]) {
        char detail[80] = "";
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(detail, sizeof detail, fmt, ap);
        va_end(ap);
        snprintf(fg->calls[fg->ncalls++], sizeof fg->calls[0], "%s %s", op, detail);
    }
    if (fg->on_call)
        fg->on_call(fg, op, nth, fg->on_call_ctx);
}

/* ---------------------------------------------------------------- world */

void fg_init(fake_github *fg, const char *repo)
{
    memset(fg, 0, sizeof(*fg));
    snprintf(fg->repo, sizeof fg->repo, "%s", repo);
    fg->next_id = 1000;
    fg->clock_ms = 1700000000000;
}

static void new_sha(fake_github *fg, char out[FG_SHA])
{
    unsigned n = ++fg->seq;
    snprintf(out, FG_SHA, "%08x%032x", n, n * 2654435761u);
}

static fg_commit *commit_find(fake_github *fg, const char *sha)
{
    for (size_t i = 0; i < fg->ncommits; i++)
        if (!strcmp(fg->commits[i].sha, sha))
            return &fg->commits[i];
    return NULL;
}

static fg_branch *branch_find(fake_github *fg, const char *name)
{
    for (size_t i = 0; i < fg->nbranches; i++)
        if (!strcmp(fg->branches[i].name, name))
            return &fg->branches[i];
    return NULL;
}

static fg_commit *commit_new(fake_github *fg, const char *parent, const char *codeowners)
{
    if (fg->ncommits >= FG_MAX)
        return NULL;
    fg_commit *c = &fg->commits[fg->ncommits++];
    memset(c, 0, sizeof(*c));
    new_sha(fg, c->sha);
    const fg_commit *p = parent ? commit_find(fg, parent) : NULL;
    snprintf(c->parent, sizeof c->parent, "%s", p ? p->sha : "");
    snprintf(c->codeowners, sizeof c->codeowners, "%s",
             codeowners ? codeowners : p ? p->codeowners : "");
    return c;
}

const char *fg_commit_to(fake_github *fg, const char *branch, const char *from,
                         const char *codeowners)
{
    fg_branch *b = branch_find(fg, branch);
    if (!b) {
        fg_branch *f = from ? branch_find(fg, from) : NULL;
        b = &fg->branches[fg->nbranches++];
        snprintf(b->name, sizeof b->name, "%s", branch);
        snprintf(b->sha, sizeof b->sha, "%s", f ? f->sha : "");
    }
    fg_commit *c = commit_new(fg, b->sha[0] ? b->sha : NULL, codeowners);
    snprintf(b->sha, sizeof b->sha, "%s", c ? c->sha : "");
    return b->sha;
}

void fg_permission(fake_github *fg, const char *login, lq_gh_permission perm)
{
    snprintf(fg->perms[fg->nperms].login, FG_NAME, "%s", login);
    fg->perms[fg->nperms++].perm = perm;
}

void fg_team_member(fake_github *fg, const char *team, const char *login)
{
    snprintf(fg->members[fg->nmembers].team, FG_NAME, "%s", team);
    snprintf(fg->members[fg->nmembers++].login, FG_NAME, "%s", login);
}

fg_pull *fg_pull_get(fake_github *fg, int number)
{
    for (size_t i = 0; i < fg->npulls; i++)
        if (fg->pulls[i].number == number)
            return &fg->pulls[i];
    return NULL;
}

int fg_pull_open(fake_github *fg, const char *author, const char *base, const char *title,
                 const char *body, const char *const *files)
{
    fg_pull *p = &fg->pulls[fg->npulls++];
    memset(p, 0, sizeof(*p));
    p->number = (int)fg->npulls;
    p->open = 1;
    snprintf(p->author, sizeof p->author, "%s", author);
    snprintf(p->base, sizeof p->base, "%s", base);
    snprintf(p->title, sizeof p->title, "%s", title);
    snprintf(p->body, sizeof p->body, "%s", body ? body : "");
    for (size_t i = 0; files && files[i] && i < 8; i++)
        snprintf(p->files[p->nfiles++], sizeof p->files[0], "%s", files[i]);
    fg_commit *c = commit_new(fg, branch_find(fg, base) ? branch_find(fg, base)->sha : NULL, NULL);
    snprintf(p->head, sizeof p->head, "%s", c ? c->sha : "");
    return p->number;
}

void fg_add_review(fake_github *fg, int number, const char *login, const char *state)
{
    fg_pull *p = fg_pull_get(fg, number);
    fg_review *r = &p->reviews[p->nreviews++];
    r->id = ++fg->next_id;
    snprintf(r->login, sizeof r->login, "%s", login);
    snprintf(r->state, sizeof r->state, "%s", state);
    memcpy(r->commit, p->head, sizeof r->commit);
}

static void event_add(fake_github *fg, fg_pull *p, const char *event, const char *actor,
                      const char *label)
{
    fg_event *e = &p->events[p->nevents++];
    e->id = ++fg->next_id;
    snprintf(e->event, sizeof e->event, "%s", event);
    snprintf(e->actor, sizeof e->actor, "%s", actor);
    snprintf(e->label, sizeof e->label, "%s", label ? label : "");
    e->at_ms = (fg->clock_ms += 1000);
}

void fg_label(fake_github *fg, int number, const char *actor, const char *label)
{
    fg_pull *p = fg_pull_get(fg, number);
    snprintf(p->labels[p->nlabels++], FG_NAME, "%s", label);
    event_add(fg, p, "labeled", actor, label);
}

void fg_unlabel(fake_github *fg, int number, const char *actor, const char *label)
{
    fg_pull *p = fg_pull_get(fg, number);
    for (size_t i = 0; i < p->nlabels; i++)
        if (!strcasecmp(p->labels[i], label)) {
            memmove(p->labels[i], p->labels[i + 1], (p->nlabels - i - 1) * FG_NAME);
            p->nlabels--;
            event_add(fg, p, "unlabeled", actor, label);
            return;
        }
}

void fg_comment_foreign(fake_github *fg, int number, const char *author, const char *body)
{
    fg_pull *p = fg_pull_get(fg, number);
    p->foreign_id = ++fg->next_id;
    snprintf(p->foreign_author, FG_NAME, "%s", author);
    snprintf(p->foreign, sizeof p->foreign, "%s", body);
}

void fg_push(fake_github *fg, int number)
{
    fg_pull *p = fg_pull_get(fg, number);
    fg_commit *c = commit_new(fg, p->head, NULL);
    snprintf(p->head, sizeof p->head, "%s", c ? c->sha : "");
}

void fg_set_status(fake_github *fg, const char *sha, const char *context, const char *state)
{
    fg_status *s = &fg->statuses[fg->nstatuses++];
    memset(s, 0, sizeof(*s));
    snprintf(s->sha, sizeof s->sha, "%s", sha);
    snprintf(s->context, sizeof s->context, "%s", context);
    snprintf(s->state, sizeof s->state, "%s", state);
}

const fg_status *fg_status_latest(const fake_github *fg, const char *sha, const char *context)
{
    for (size_t i = fg->nstatuses; i-- > 0;)
        if (!strcmp(fg->statuses[i].sha, sha) && !strcmp(fg->statuses[i].context, context))
            return &fg->statuses[i];
    return NULL;
}

long fg_call_find(const fake_github *fg, const char *prefix, size_t from)
{
    for (size_t i = from; i < fg->ncalls; i++)
        if (!strncmp(fg->calls[i], prefix, strlen(prefix)))
            return (long)i;
    return -1;
}

size_t fg_call_count(const fake_github *fg, const char *prefix)
{
    size_t n = 0;
    for (size_t i = 0; i < fg->ncalls; i++)
        n += !strncmp(fg->calls[i], prefix, strlen(prefix));
    return n;
}

/* ---------------------------------------------------------------- reads */

static int not_found(lq_error *err, const char *what)
{
    return lq_error_set(err, LQ_ENOTFOUND, "fake GitHub: no %s", what);
}

static int op_pull_get(void *ctx, lq_gh_pull *out, const char *repo, int number, lq_error *err)
{
    fake_github *fg = ctx;
    called(fg, "pull_get", "%d", number);
    memset(out, 0, sizeof(*out));
    fg_pull *p = fg_pull_get(fg, number);
    if (!p || strcasecmp(repo, fg->repo))
        return not_found(err, "pull request");
    fg_branch *b = branch_find(fg, p->base);
    out->number = number;
    out->open = p->open;
    out->merged = p->merged;
    out->mergeable = p->open ? LQ_GH_MERGEABLE_YES : LQ_GH_MERGEABLE_UNKNOWN;
    snprintf(out->mergeable_state, sizeof out->mergeable_state, "clean");
    snprintf(out->author, sizeof out->author, "%s", p->author);
    snprintf(out->head_sha, sizeof out->head_sha, "%s", p->head);
    snprintf(out->head_ref, sizeof out->head_ref, "topic-%d", number);
    snprintf(out->head_repo, sizeof out->head_repo, "%s", fg->repo);
    snprintf(out->base_ref, sizeof out->base_ref, "%s", p->base);
    snprintf(out->base_sha, sizeof out->base_sha, "%s", b ? b->sha : "");
    snprintf(out->base_repo, sizeof out->base_repo, "%s", fg->repo);
    snprintf(out->merge_commit_sha, sizeof out->merge_commit_sha, "%s", p->merge_commit);
    out->title = dup_s(p->title);
    out->body = dup_s(p->body);
    out->labels = calloc(p->nlabels + 1, sizeof(*out->labels));
    for (size_t i = 0; out->labels && i < p->nlabels; i++)
        out->labels[out->label_count++] = dup_s(p->labels[i]);
    out->changed_files = (long)p->nfiles;
    return LQ_OK;
}

static int op_files_list(void *ctx, lq_gh_files *out, const char *repo, int number,
                         size_t max_items, lq_error *err)
{
    fake_github *fg = ctx;
    called(fg, "files_list", "%d", number);
    memset(out, 0, sizeof(*out));
    fg_pull *p = fg_pull_get(fg, number);
    if (!p)
        return not_found(err, "pull request");
    out->items = calloc(p->nfiles + 1, sizeof(*out->items));
    for (size_t i = 0; out->items && i < p->nfiles && i < max_items; i++)
        out->items[out->count++].path = dup_s(p->files[i]);
    return LQ_OK;
}

static int op_reviews_list(void *ctx, lq_gh_reviews *out, const char *repo, int number,
                           lq_error *err)
{
    fake_github *fg = ctx;
    called(fg, "reviews_list", "%d", number);
    memset(out, 0, sizeof(*out));
    fg_pull *p = fg_pull_get(fg, number);
    if (!p)
        return not_found(err, "pull request");
    out->items = calloc(p->nreviews + 1, sizeof(*out->items));
    for (size_t i = 0; out->items && i < p->nreviews; i++) {
        lq_gh_review *r = &out->items[out->count++];
        r->id = p->reviews[i].id;
        snprintf(r->login, sizeof r->login, "%s", p->reviews[i].login);
        snprintf(r->state, sizeof r->state, "%s", p->reviews[i].state);
        snprintf(r->commit_id, sizeof r->commit_id, "%s", p->reviews[i].commit);
    }
    return LQ_OK;
}

static int op_issue_events_list(void *ctx, lq_gh_issue_events *out, const char *repo,
                                int number, lq_error *err)
{
    fake_github *fg = ctx;
    called(fg, "issue_events_list", "%d", number);
    memset(out, 0, sizeof(*out));
    fg_pull *p = fg_pull_get(fg, number);
    if (!p)
        return not_found(err, "issue");
    out->items = calloc(p->nevents + 3, sizeof(*out->items));
    for (size_t i = 0; out->items && i < p->nevents; i++) {
        lq_gh_issue_event *e = &out->items[out->count++];
        e->id = p->events[i].id;
        snprintf(e->event, sizeof e->event, "%s", p->events[i].event);
        snprintf(e->actor, sizeof e->actor, "%s", p->events[i].actor);
        e->label = p->events[i].label[0] ? dup_s(p->events[i].label) : NULL;
        e->created_ms = p->events[i].at_ms;
    }
    /* the timeline also lists the comments ("commented"), as op_comments_list does */
    if (out->items && p->foreign_id) {
        lq_gh_issue_event *e = &out->items[out->count++];
        e->id = p->foreign_id;
        snprintf(e->event, sizeof e->event, "commented");
        snprintf(e->actor, sizeof e->actor, "%s", p->foreign_author);
        e->body = dup_s(p->foreign);
    }
    if (out->items && p->comment_id) {
        lq_gh_issue_event *e = &out->items[out->count++];
        e->id = p->comment_id;
        snprintf(e->event, sizeof e->event, "commented");
        snprintf(e->actor, sizeof e->actor, "landq-bot");
        e->body = dup_s(p->comment);
    }
    return LQ_OK;
}

static int op_branch_sha(void *ctx, char out[LQ_GH_SHA_MAX], const char *repo,
                         const char *branch, lq_error *err)
{
    fake_github *fg = ctx;
    called(fg, "branch_sha", "%s", branch);
    out[0] = '\0';
    fg_branch *b = branch_find(fg, branch);
    if (!b)
        return not_found(err, "branch");
    snprintf(out, LQ_GH_SHA_MAX, "%s", b->sha);
    return LQ_OK;
}

static int op_content_get(void *ctx, lq_gh_content *out, const char *repo, const char *path,
                          const char *ref, size_t max_bytes, lq_error *err)
{
    fake_github *fg = ctx;
    called(fg, "content_get", "%s", path);
    memset(out, 0, sizeof(*out));
    fg_commit *c = commit_find(fg, ref);
    if (!c || !c->codeowners[0] || strcmp(path, ".github/CODEOWNERS"))
        return not_found(err, "file");
    out->kind = LQ_GH_CONTENT_FILE;
    out->data = dup_s(c->codeowners);
    out->len = strlen(c->codeowners);
    out->size = (long long)out->len;
    /* the blob id depends on the text only, as in git */
    unsigned h = 2166136261u;
    for (const char *s = c->codeowners; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    snprintf(out->blob_sha, sizeof out->blob_sha, "b10b%08x%028x", h, 0u);
    return LQ_OK;
}

static int op_permission_get(void *ctx, lq_gh_permission *out, const char *repo,
                             const char *login, lq_error *err)
{
    fake_github *fg = ctx;
    called(fg, "permission_get", "%s", login);
    *out = LQ_GH_PERM_NONE;
    for (size_t i = 0; i < fg->nperms; i++)
        if (!strcasecmp(fg->perms[i].login, login))
            *out = fg->perms[i].perm;
    return LQ_OK;
}

static int op_team_member(void *ctx, int *out, const char *org, const char *slug,
                          const char *login, lq_error *err)
{
    fake_github *fg = ctx;
    called(fg, "team_member", "%s/%s %s", org, slug, login);
    *out = 0;
    char team[2 * FG_NAME + 2];
    snprintf(team, sizeof team, "%s/%s", org, slug);
    for (size_t i = 0; i < fg->nmembers; i++)
        *out |= !strcasecmp(fg->members[i].team, team) && !strcasecmp(fg->members[i].login, login);
    return LQ_OK;
}

static int op_user_email(void *ctx, char **out, const char *login, lq_error *err)
{
    called(ctx, "user_email", "%s", login);
    *out = NULL;
    return LQ_OK;
}

static int op_self_login(void *ctx, char out[LQ_GH_LOGIN_MAX], lq_error *err)
{
    called(ctx, "self_login", "");
    snprintf(out, LQ_GH_LOGIN_MAX, "landq-bot");
    return LQ_OK;
}

static int op_statuses_get(void *ctx, lq_gh_checks *out, const char *repo, const char *sha,
                           lq_error *err)
{
    fake_github *fg = ctx;
    called(fg, "statuses_get", "%.12s", sha);
    memset(out, 0, sizeof(*out));
    out->items = calloc(fg->nstatuses + 1, sizeof(*out->items));
    for (size_t i = 0; out->items && i < fg->nstatuses; i++) {
        const fg_status *s = &fg->statuses[i];
        if (strcmp(s->sha, sha) || fg_status_latest(fg, sha, s->context) != s)
            continue;
        lq_gh_check *c = &out->items[out->count++];
        c->name = dup_s(s->context);
        snprintf(c->state, sizeof c->state, "%s", s->state);
        c->description = dup_s(s->description);
    }
    return LQ_OK;
}

static int op_check_runs_list(void *ctx, lq_gh_checks *out, const char *repo, const char *sha,
                              lq_error *err)
{
    called(ctx, "check_runs_list", "%.12s", sha);
    memset(out, 0, sizeof(*out));
    return LQ_OK;
}

static int op_commit_get(void *ctx, lq_gh_commit *out, const char *repo, const char *sha,
                         lq_error *err)
{
    fake_github *fg = ctx;
    called(fg, "commit_get", "%.12s", sha);
    memset(out, 0, sizeof(*out));
    fg_commit *c = commit_find(fg, sha);
    if (!c)
        return not_found(err, "commit");
    snprintf(out->sha, sizeof out->sha, "%s", c->sha);
    if (c->parent[0]) {
        out->parents = calloc(1, sizeof(*out->parents));
        if (out->parents) {
            snprintf(out->parents[0], LQ_GH_SHA_MAX, "%s", c->parent);
            out->parent_count = 1;
        }
    }
    return LQ_OK;
}

static int op_numbers_none(void *ctx, lq_gh_numbers *out, const char *repo, const char *x,
                           lq_error *err)
{
    called(ctx, "labeled_pulls", "%s", x);
    memset(out, 0, sizeof(*out));
    return LQ_OK;
}

static int op_comments_list(void *ctx, lq_gh_comments *out, const char *repo, int number,
                            lq_error *err)
{
    fake_github *fg = ctx;
    called(fg, "comments_list", "%d", number);
    memset(out, 0, sizeof(*out));
    fg_pull *p = fg_pull_get(fg, number);
    if (!p)
        return not_found(err, "issue");
    if (!p->comment_id && !p->foreign_id)
        return LQ_OK;
    out->items = calloc(2, sizeof(*out->items));
    if (!out->items)
        return LQ_ENOMEM;
    if (p->foreign_id) { /* older: listed first */
        lq_gh_comment *c = &out->items[out->count++];
        c->id = p->foreign_id;
        snprintf(c->author, sizeof c->author, "%s", p->foreign_author);
        c->body = dup_s(p->foreign);
    }
    if (p->comment_id) {
        lq_gh_comment *c = &out->items[out->count++];
        c->id = p->comment_id;
        snprintf(c->author, sizeof c->author, "landq-bot");
        c->body = dup_s(p->comment);
    }
    return LQ_OK;
}

/* ---------------------------------------------------------------- writes */

static int op_status_post(void *ctx, const char *repo, const char *sha, const char *state,
                          const char *description, const char *context, lq_error *err)
{
    fake_github *fg = ctx;
    called(fg, "status_post", "%.12s %s %s", sha, state, description ? description : "");
    fg_set_status(fg, sha, context, state);
    snprintf(fg->statuses[fg->nstatuses - 1].description, 160, "%s",
             description ? description : "");
    return LQ_OK;
}

static fg_pull *pull_of_comment(fake_github *fg, int64_t id)
{
    for (size_t i = 0; i < fg->npulls; i++)
        if (fg->pulls[i].comment_id == id)
            return &fg->pulls[i];
    return NULL;
}

static void comment_out(lq_gh_comment *out, const fg_pull *p)
{
    if (!out)
        return;
    memset(out, 0, sizeof(*out));
    out->id = p->comment_id;
    snprintf(out->author, sizeof out->author, "landq-bot");
    out->body = dup_s(p->comment);
}

static int op_comment_create(void *ctx, lq_gh_comment *out, const char *repo, int number,
                             const char *body, lq_error *err)
{
    fake_github *fg = ctx;
    called(fg, "comment_create", "%d", number);
    fg_pull *p = fg_pull_get(fg, number);
    if (!p)
        return not_found(err, "issue");
    p->comment_id = ++fg->next_id;
    snprintf(p->comment, sizeof p->comment, "%s", body);
    comment_out(out, p);
    return LQ_OK;
}

static int op_comment_update(void *ctx, lq_gh_comment *out, const char *repo, int64_t id,
                             const char *body, lq_error *err)
{
    fake_github *fg = ctx;
    called(fg, "comment_update", "%lld", (long long)id);
    for (size_t i = 0; i < fg->npulls; i++) /* GitHub lets a writer edit anyone's comment */
        if (fg->pulls[i].foreign_id && fg->pulls[i].foreign_id == id) {
            fg_pull *f = &fg->pulls[i];
            snprintf(f->foreign, sizeof f->foreign, "%s", body);
            if (out) {
                memset(out, 0, sizeof(*out));
                out->id = id;
                snprintf(out->author, sizeof out->author, "%s", f->foreign_author);
                out->body = dup_s(f->foreign);
            }
            return LQ_OK;
        }
    fg_pull *p = pull_of_comment(fg, id);
    if (!p)
        return not_found(err, "comment");
    snprintf(p->comment, sizeof p->comment, "%s", body);
    comment_out(out, p);
    return LQ_OK;
}

static int op_label_remove(void *ctx, const char *repo, int number, const char *label,
                           lq_error *err)
{
    fake_github *fg = ctx;
    called(fg, "label_remove", "%d %s", number, label);
    if (fg_pull_get(fg, number))
        fg_unlabel(fg, number, "landq-bot", label);
    return LQ_OK;
}

static int op_merge(void *ctx, lq_gh_merge_result *out, const char *repo, int number,
                    const lq_gh_merge_req *req, lq_error *err)
{
    fake_github *fg = ctx;
    called(fg, "merge", "%d %.12s", number, req->sha ? req->sha : "-");
    memset(out, 0, sizeof(*out));
    fg_pull *p = fg_pull_get(fg, number);
    if (!p)
        return not_found(err, "pull request");
    if (fg->merge_http) {
        out->http = fg->merge_http;
        snprintf(out->message, sizeof out->message, "forced answer %ld", fg->merge_http);
        if (fg->merge_http_times > 0 && --fg->merge_http_times == 0)
            fg->merge_http = 0;
        return out->http >= 500 ? LQ_ETRANSIENT : LQ_OK;
    }
    if (!p->open || p->merged) {
        out->http = 405;
        snprintf(out->message, sizeof out->message, "Pull Request is not mergeable");
        return LQ_OK;
    }
    if (req->sha && strcmp(req->sha, p->head)) {
        out->http = 409;
        snprintf(out->message, sizeof out->message, "Head branch was modified.");
        return LQ_OK;
    }
    if (fg->merge_into[0]) /* switched at the last instant */
        snprintf(p->base, sizeof p->base, "%s", fg->merge_into);
    fg_branch *b = branch_find(fg, p->base);
    if (!b)
        return not_found(err, "base branch");
    fg_commit *c = commit_new(fg, b->sha, NULL);
    if (!c)
        return lq_error_set(err, LQ_ENOMEM, "fake GitHub: too many commits");
    snprintf(b->sha, sizeof b->sha, "%s", c->sha);
    p->open = 0;
    p->merged = 1;
    snprintf(p->merge_commit, sizeof p->merge_commit, "%s", c->sha);
    out->http = 200;
    out->merged = 1;
    snprintf(out->sha, sizeof out->sha, "%s", c->sha);
    snprintf(out->message, sizeof out->message, "Pull Request successfully merged");
    return LQ_OK;
}

static int op_deliveries_list(void *ctx, lq_gh_deliveries *out, const char *repo,
                              long long hook, size_t max_items, lq_error *err)
{
    called(ctx, "deliveries_list", "%lld", hook);
    memset(out, 0, sizeof(*out));
    return LQ_OK;
}

static int op_redeliver(void *ctx, const char *repo, long long hook, int64_t delivery_id,
                        lq_error *err)
{
    called(ctx, "redeliver", "%lld", (long long)delivery_id);
    return LQ_OK;
}

static void op_rate(void *ctx, lq_gh_rate *out)
{
    memset(out, 0, sizeof(*out));
    out->remaining = out->limit = out->used = out->reset = -1;
}

static const lq_gh_ops fake_ops = {
    .version = LQ_GH_OPS_VERSION,
    .pull_get = op_pull_get,
    .files_list = op_files_list,
    .reviews_list = op_reviews_list,
    .issue_events_list = op_issue_events_list,
    .branch_sha = op_branch_sha,
    .content_get = op_content_get,
    .permission_get = op_permission_get,
    .team_member = op_team_member,
    .user_email = op_user_email,
    .self_login = op_self_login,
    .statuses_get = op_statuses_get,
    .check_runs_list = op_check_runs_list,
    .commit_get = op_commit_get,
    .commit_pulls = op_numbers_none,
    .labeled_pulls = op_numbers_none,
    .comments_list = op_comments_list,
    .status_post = op_status_post,
    .comment_create = op_comment_create,
    .comment_update = op_comment_update,
    .label_remove = op_label_remove,
    .merge = op_merge,
    .deliveries_list = op_deliveries_list,
    .redeliver = op_redeliver,
    .rate = op_rate,
};

void fg_gh(fake_github *fg, lq_gh *out)
{
    out->ops = &fake_ops;
    out->ctx = fg;
}
