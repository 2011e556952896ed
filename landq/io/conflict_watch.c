/* conflict_watch.c -- conflict reports from the git mirror; early warning after a landing. */
#include "conflict_watch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conflict_report.h"
#include "conflicts.h"
#include "feedback.h"
#include "feedback_text.h"
#include "queue.h"

static int gh_should_stop(void *ctx)
{
    return lq_wctx_stopping(ctx);
}

/* The mirror of repo, opened (or re-created) on first use; NULL when unusable (logged). */
static lq_mirror *mirror_of(lq_worker *w, const char *repo)
{
    size_t i = 0;
    while (i < w->cfg.repo_count && strcasecmp(w->repos[i], repo))
        i++;
    if (i == w->cfg.repo_count || !w->mirrors)
        return NULL;
    if (w->mirrors[i] && w->cfg.token_cb && w->mirror_opened_ms &&
        lq_store_now_ms() - w->mirror_opened_ms[i] > 30 * 60 * 1000) {
        /* GitHub App: the installation token the mirror holds expires after an hour; re-open
         * it (the bare repository on disk stays) with the current one. */
        lq_mirror_free(w->mirrors[i]);
        w->mirrors[i] = NULL;
    }
    if (w->mirrors[i])
        return w->mirrors[i];
    char *path = NULL, *url = NULL;
    lq_error err = {0};
    if (lq_mirror_path(&path, w->mirror_dir, w->repos[i], &err) == LQ_OK &&
        lq_mirror_url_from_api(&url, w->api_url, w->repos[i], &err) == LQ_OK) {
        /* With GitHub App authentication the mirror gets the installation token current
         * now (and is re-opened with a fresh one after 30 minutes, above). */
        char app_token[1024] = "";
        if (w->cfg.token_cb && w->cfg.token_cb(w->cfg.token_ctx, 0, app_token,
                                               sizeof app_token, &err))
            app_token[0] = '\0';
        lq_mirror_config mc = {path, url, w->cfg.token_cb ? app_token : w->token,
                               gh_should_stop, w};
        lq_mirror_open(&w->mirrors[i], &mc, &err);
        memset(app_token, 0, sizeof app_token);
        if (w->mirror_opened_ms)
            w->mirror_opened_ms[i] = lq_store_now_ms();
    }
    if (!w->mirrors[i])
        LQ_WARN("conflicts", "msg=\"no git mirror: conflict reports unavailable\" repo=%s error=\"%s\"",
             repo, err.msg);
    free(path);
    free(url);
    return w->mirrors[i];
}

lq_mirror *lq_conflict_watch_mirror(lq_worker *w, const char *repo)
{
    return mirror_of(w, repo);
}

typedef struct pr_lookup_ctx {
    lq_worker *w;
    const char *repo;
    int requests; /* GET commits/{sha}/pulls made (capped) */
} pr_lookup_ctx;

/* The pull request a base commit came from: landq's own landings (the store), else GitHub's
 * "list pull requests associated with a commit". The caller tried the " (#N)" title first. */
static int pr_of_commit(void *ctx, const char *sha, const char *title, int *pr)
{
    (void)title;
    pr_lookup_ctx *c = ctx;
    lq_pr_record *recs = NULL;
    size_t n = 0;
    lq_error err = {0};
    if (lq_store_list(c->w->store, LQ_STORE_ALL, &recs, &n, &err) == LQ_OK) {
        for (size_t i = 0; i < n && !*pr; i++)
            if (!strcasecmp(recs[i].repo, c->repo) && !strcmp(recs[i].landed_sha, sha))
                *pr = recs[i].number;
        lq_store_list_free(recs, n);
    }
    if (*pr || c->requests++ >= 5)
        return *pr ? 0 : -1;
    lq_gh_numbers list;
    if (lq_gh_commit_pulls(&c->w->gh, &list, c->repo, sha, &err))
        return -1;
    if (list.count) /* the one whose merge commit it is comes first */
        *pr = list.items[0];
    lq_gh_numbers_dispose(&list);
    return 0;
}

int lq_conflict_watch_report(lq_worker *w, const lq_pr_record *rec, const char *sha,
                               int caused_by, int fetch, char **text, char *summary,
                               size_t cap, char head[41])
{
    *text = NULL;
    lq_mirror *m = mirror_of(w, rec->repo);
    if (!m)
        return -1;
    lq_error err = {0};
    int pulls[] = {rec->number};
    const char *branches[] = {rec->base};
    if (fetch && lq_mirror_fetch_branches(m, branches, 1, pulls, 1, NULL, &err)) {
        LQ_WARN("conflicts", "msg=\"mirror fetch failed: no conflict report\" repo=%s pr=%d error=\"%s\"",
             rec->repo, rec->number, err.msg);
        return -1;
    }
    char base_ref[300], pull_ref[64];
    snprintf(base_ref, sizeof base_ref, "refs/heads/%s", rec->base);
    snprintf(pull_ref, sizeof pull_ref, "refs/pull/%d/head", rec->number);
    pr_lookup_ctx pc = {w, rec->repo, 0};
    lq_conflicts_opts o = {.pr_lookup = pr_of_commit, .pr_ctx = &pc};
    lq_conflict_set set;
    int rc = lq_conflicts_check(&set, lq_mirror_repo(m), base_ref, sha && *sha ? sha : pull_ref,
                                &o, &err);
    if (rc == LQ_ENOTFOUND && sha && *sha)
        rc = lq_conflicts_check(&set, lq_mirror_repo(m), base_ref, pull_ref, &o, &err);
    if (rc) {
        LQ_WARN("conflicts", "msg=\"conflict analysis failed\" repo=%s pr=%d error=\"%s\"", rec->repo,
             rec->number, err.msg);
        return -1;
    }
    if (!set.path_count)
        return 0;
    snprintf(head, 41, "%s", set.head_sha);
    lq_gh_pull pr;
    /* only for the branch name in the commands (zeroed when it cannot be read) */
    lq_gh_pull_get(&w->gh, &pr, rec->repo, rec->number, &err);
    /* a fork's branch is pushed to the fork: the commands say so */
    const char *head_repo = pr.head_repo[0] ? pr.head_repo : NULL;
    lq_conflict_report_opts ro = {.repo = rec->repo, .number = rec->number, .base = rec->base,
                                  .head_branch = pr.head_ref[0] ? pr.head_ref : NULL,
                                  .label = w->label, .caused_by_pr = caused_by,
                                  .label_removed = 1,
                                  .fork = head_repo && strcasecmp(head_repo, rec->repo) ? head_repo
                                                                                      : NULL,
                                  .base_url = pr.base_clone_url};
    char *report = NULL;
    rc = lq_conflict_report_build(&report, &set, &ro, &err);
    lq_gh_pull_dispose(&pr);
    if (rc == LQ_OK) {
        *text = lq_feedback_text_report(report);
        lq_conflict_report_summary(summary, cap, &set, rec->base);
        LQ_INFO("conflicts", "msg=conflict repo=%s pr=%d sha=%.12s base=%.12s files=%zu caused_by=%d",
             rec->repo, rec->number, set.head_sha, set.base_sha, set.paths_total, caused_by);
    }
    free(report);
    lq_conflict_set_dispose(&set);
    return *text ? 1 : -1;
}

void lq_conflict_watch_tell(lq_worker *w, lq_pr_record *rec, const char *text, const char *summary,
                          const char *head)
{
    lq_wctx_persist(w, rec);
    char *reasons[] = {(char *)summary};
    lq_wctx_audit(w, rec, "conflict", summary, reasons, 1, NULL);
    lq_feedback_label_remove(w, rec);
    lq_feedback_status(w, rec, head, "failure", summary);
    lq_feedback_comment(w, rec, text);
}

void lq_conflict_watch_after_landing(lq_worker *w, const char *repo, const char *base,
                                     int caused_by)
{
    lq_pr_record *recs = NULL;
    size_t n = 0;
    lq_error err = {0};
    if (lq_store_list(w->store, LQ_STORE_QUEUED, &recs, &n, &err))
        return;
    int *pulls = calloc(n + 1, sizeof(*pulls));
    size_t np = 0;
    for (size_t i = 0; pulls && i < n; i++)
        if (!strcasecmp(recs[i].repo, repo) && !strcmp(recs[i].base, base) &&
            recs[i].state != LQ_PR_MERGING)
            pulls[np++] = recs[i].number;
    lq_mirror *m = np ? mirror_of(w, repo) : NULL;
    const char *branches[] = {base};
    if (m && lq_mirror_fetch_branches(m, branches, 1, pulls, np, NULL, &err)) {
        LQ_WARN("conflicts", "msg=\"mirror fetch failed: no early warning\" repo=%s error=\"%s\"",
             repo, err.msg);
        m = NULL;
    }
    for (size_t i = 0; m && i < n && !lq_wctx_stopping(w); i++) {
        lq_pr_record *r = &recs[i];
        if (strcasecmp(r->repo, repo) || strcmp(r->base, base) || r->state == LQ_PR_MERGING)
            continue;
        char *text = NULL, summary[200], head[41];
        if (lq_conflict_watch_report(w, r, NULL, caused_by, 0, &text, summary, sizeof summary,
                                head) == 1 &&
            lq_queue_transition(&r->state, LQ_QEV_EJECT, &err) == LQ_OK) {
            LQ_INFO("conflicts", "msg=\"early warning\" repo=%s pr=%d landed=%d", r->repo, r->number,
                 caused_by);
            lq_conflict_watch_tell(w, r, text, summary, head);
        }
        free(text);
    }
    free(pulls);
    lq_store_list_free(recs, n);
}
