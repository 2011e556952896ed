/* events.c -- what GitHub sends when something changes: webhook payloads for pull_request,
 * pull_request_review, issue_comment, status, check_run and push, and the ref-update hook that
 * keeps pull requests in sync with their branches (synchronize, mergeability). */
#include "events.h"
#include "ci.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *org_obj(const mh_repo *r)
{
    if (!r->owner->is_org)
        return NULL;
    const char *B = g_mh->base_url, *l = r->owner->login;
    char u[6][512];
    snprintf(u[0], sizeof u[0], "%s/orgs/%s", B, l);
    snprintf(u[1], sizeof u[1], "%s/orgs/%s/repos", B, l);
    snprintf(u[2], sizeof u[2], "%s/orgs/%s/events", B, l);
    snprintf(u[3], sizeof u[3], "%s/orgs/%s/hooks", B, l);
    snprintf(u[4], sizeof u[4], "%s/orgs/%s/issues", B, l);
    snprintf(u[5], sizeof u[5], "%s/avatars/%s", B, l);
    char m1[512], m2[512];
    snprintf(m1, sizeof m1, "%s/orgs/%s/members{/member}", B, l);
    snprintf(m2, sizeof m2, "%s/orgs/%s/public_members{/member}", B, l);
    return json_pack("{s:s, s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:n}", "login", l, "id",
                     (json_int_t)r->owner->id, "node_id", "O_mockhub", "url", u[0], "repos_url", u[1],
                     "events_url", u[2], "hooks_url", u[3], "issues_url", u[4], "members_url", m1,
                     "public_members_url", m2, "avatar_url", u[5], "description");
}

static json_t *base_payload(mh_repo *r, const char *action, mh_user *sender, int push_style)
{
    json_t *o = json_object();
    if (action)
        json_object_set_new(o, "action", json_string(action));
    json_object_set_new(o, "repository", mh_render_repo(r, NULL, 2, push_style));
    json_t *org = org_obj(r);
    if (org)
        json_object_set_new(o, "organization", org);
    json_object_set_new(o, "sender", mh_render_user(sender ? sender : r->owner));
    return o;
}

void mh_emit_pull(mh_repo *r, mh_pull *p, const char *action, mh_user *sender, json_t *extra)
{
    json_t *o = base_payload(r, action, sender, 0);
    json_object_set_new(o, "number", json_integer(p->number));
    json_object_set_new(o, "pull_request", mh_render_pull(r, p, 1));
    if (extra) {
        json_object_update(o, extra);
        json_decref(extra);
    }
    mh_hooks_emit(r, "pull_request", o);
}

json_t *mh_webhook_review(mh_repo *r, mh_pull *p, const json_t *rv)
{
    json_t *o = mh_render_review(r, p, rv);
    const char *st = json_string_value(json_object_get(rv, "state"));
    char low[32];
    size_t i;
    for (i = 0; st[i] && i < sizeof low - 1; i++)
        low[i] = (char)(st[i] >= 'A' && st[i] <= 'Z' ? st[i] + 32 : st[i]);
    low[i] = '\0';
    json_object_set_new(o, "state", json_string(low));
    if (!json_object_get(o, "submitted_at"))
        json_object_set_new(o, "submitted_at", json_null());
    return o;
}

void mh_emit_issue(mh_repo *r, mh_pull *p, const char *action, mh_user *sender, json_t *extra)
{
    json_t *o = base_payload(r, action, sender, 0);
    json_object_set_new(o, "issue", mh_render_issue(r, p));
    if (extra) {
        json_object_update(o, extra);
        json_decref(extra);
    }
    mh_hooks_emit(r, "issues", o);
}

void mh_emit_issue_or_pull(mh_repo *r, mh_pull *p, const char *action, mh_user *sender, json_t *extra)
{
    if (p->is_issue)
        mh_emit_issue(r, p, action, sender, extra);
    else
        mh_emit_pull(r, p, action, sender, extra);
}

void mh_emit_review(mh_repo *r, mh_pull *p, const json_t *rv, const char *action, mh_user *sender)
{
    json_t *o = base_payload(r, action, sender, 0);
    json_object_set_new(o, "review", mh_webhook_review(r, p, rv));
    json_object_set_new(o, "pull_request", mh_render_pull(r, p, 0));
    mh_hooks_emit(r, "pull_request_review", o);
}

void mh_emit_comment(mh_repo *r, mh_pull *p, const json_t *c, const char *action, mh_user *sender,
                     json_t *changes)
{
    json_t *o = base_payload(r, action, sender, 0);
    json_object_set_new(o, "issue", mh_render_issue(r, p));
    json_object_set_new(o, "comment", mh_render_comment(r, c));
    if (changes)
        json_object_set_new(o, "changes", changes);
    mh_hooks_emit(r, "issue_comment", o);
}

void mh_emit_review_comment(mh_repo *r, mh_pull *p, const json_t *cm, const char *action, mh_user *sender,
                            json_t *changes)
{
    json_t *o = base_payload(r, action, sender, 0);
    json_object_set_new(o, "comment", mh_render_review_comment(r, cm));
    json_object_set_new(o, "pull_request", mh_render_pull(r, p, 0));
    if (changes)
        json_object_set_new(o, "changes", changes);
    mh_hooks_emit(r, "pull_request_review_comment", o);
}

void mh_emit_status(mh_repo *r, const json_t *s, mh_user *sender)
{
    json_t *o = base_payload(r, NULL, sender, 0);
    const char *sha = json_string_value(json_object_get(s, "sha"));
    json_object_set(o, "id", json_object_get(s, "id"));
    json_object_set_new(o, "sha", json_string(sha));
    json_object_set_new(o, "name", json_string(r->full_name));
    json_object_set(o, "target_url", json_object_get(s, "target_url"));
    json_object_set(o, "context", json_object_get(s, "context"));
    json_object_set(o, "description", json_object_get(s, "description"));
    json_object_set(o, "state", json_object_get(s, "state"));
    json_object_set(o, "created_at", json_object_get(s, "created_at"));
    json_object_set(o, "updated_at", json_object_get(s, "updated_at"));
    git_oid oid;
    git_oid_fromstr(&oid, sha);
    json_t *commit = mh_render_commit(r, &oid, 0);
    json_object_set_new(o, "commit", commit ? commit : json_null());
    json_t *branches = json_array();
    git_branch_iterator *it = NULL;
    if (git_branch_iterator_new(&it, r->git, GIT_BRANCH_LOCAL) == 0) {
        git_reference *ref;
        git_branch_t type;
        while (git_branch_next(&ref, &type, it) == 0) {
            const git_oid *t = git_reference_target(ref);
            if (t && git_oid_equal(t, &oid)) {
                const char *name = NULL;
                git_branch_name(&name, ref);
                char url[1024];
                snprintf(url, sizeof url, "%s/repos/%s/commits/%s", g_mh->base_url, r->full_name, sha);
                json_array_append_new(branches, json_pack("{s:s, s:{s:s, s:s}, s:b}", "name", name, "commit",
                                                          "sha", sha, "url", url, "protected", 0));
            }
            git_reference_free(ref);
        }
        git_branch_iterator_free(it);
    }
    json_object_set_new(o, "branches", branches);
    mh_hooks_emit(r, "status", o);
}

void mh_emit_check_run(mh_repo *r, const json_t *cr, const char *action, mh_user *sender)
{
    json_t *o = base_payload(r, action, sender, 0);
    json_t *run = mh_render_check_run(r, cr);
    const char *sha = json_string_value(json_object_get(cr, "head_sha"));
    json_t *suite = json_object_get(run, "check_suite");
    char url[1024];
    snprintf(url, sizeof url, "%s/repos/%s/check-suites/%lld", g_mh->base_url, r->full_name,
             (long long)json_integer_value(json_object_get(suite, "id")));
    json_object_set_new(suite, "node_id", json_string("CS_mockhub"));
    json_object_set_new(suite, "head_branch", json_null());
    json_object_set_new(suite, "head_sha", json_string(sha));
    json_object_set(suite, "status", json_object_get(run, "status"));
    json_object_set(suite, "conclusion", json_object_get(run, "conclusion"));
    json_object_set_new(suite, "url", json_string(url));
    json_object_set_new(suite, "before", json_null());
    json_object_set_new(suite, "after", json_null());
    json_object_set(suite, "pull_requests", json_object_get(run, "pull_requests"));
    json_object_set(suite, "app", json_object_get(run, "app"));
    json_object_set(suite, "created_at", json_object_get(run, "started_at"));
    json_object_set(suite, "updated_at", json_object_get(run, "started_at"));
    json_object_set_new(o, "check_run", run);
    /* each check run has its own suite here, so a completed run completes its suite */
    json_t *suite_payload = NULL;
    if (!strcmp(action, "completed")) {
        json_t *cs = json_deep_copy(suite);
        char runs_url[1100];
        snprintf(runs_url, sizeof runs_url, "%s/check-runs", url);
        json_object_set_new(cs, "latest_check_runs_count", json_integer(1));
        json_object_set_new(cs, "check_runs_url", json_string(runs_url));
        json_object_set_new(cs, "rerequestable", json_true());
        json_object_set_new(cs, "runs_rerequestable", json_true());
        /* head_branch: a branch whose tip is the sha, as GitHub reports the pushed branch */
        for (size_t i = 0; i < r->npulls; i++)
            if (!r->pulls[i]->is_issue && !strcmp(r->pulls[i]->head_sha, sha))
                json_object_set_new(cs, "head_branch", json_string(r->pulls[i]->head_ref));
        git_oid oid;
        git_commit *commit = NULL;
        if (git_oid_fromstr(&oid, sha) == 0 && git_commit_lookup(&commit, r->git, &oid) == 0) {
            char when[32], tree[41];
            mh_time_iso(when, (time_t)git_commit_time(commit));
            git_oid_tostr(tree, sizeof tree, git_commit_tree_id(commit));
            const git_signature *a = git_commit_author(commit), *m = git_commit_committer(commit);
            json_object_set_new(cs, "head_commit",
                                json_pack("{s:s, s:s, s:s, s:s, s:{s:s, s:s}, s:{s:s, s:s}}", "id", sha, "tree_id", tree,
                                          "message", git_commit_message(commit), "timestamp", when, "author", "name",
                                          a->name, "email", a->email, "committer", "name", m->name, "email", m->email));
            git_commit_free(commit);
        }
        suite_payload = base_payload(r, "completed", sender, 0);
        json_object_set_new(suite_payload, "check_suite", cs);
    }
    mh_hooks_emit(r, "check_run", o);
    if (suite_payload)
        mh_hooks_emit(r, "check_suite", suite_payload);
}

static json_t *push_commit(mh_repo *r, const git_oid *oid, int distinct)
{
    git_commit *c = NULL;
    if (git_commit_lookup(&c, r->git, oid) < 0)
        return NULL;
    char sha[41], tsha[41], when[32], url[1024];
    git_oid_tostr(sha, sizeof sha, oid);
    git_oid_tostr(tsha, sizeof tsha, git_commit_tree_id(c));
    mh_time_iso(when, (time_t)git_commit_time(c));
    snprintf(url, sizeof url, "%s/%s/commit/%s", g_mh->base_url, r->full_name, sha);
    const git_signature *a = git_commit_author(c), *m = git_commit_committer(c);
    json_t *added = json_array(), *removed = json_array(), *modified = json_array();
    git_commit *pc = NULL;
    git_tree *t1 = NULL, *t2 = NULL;
    git_diff *diff = NULL;
    if (git_commit_parentcount(c) > 0 && git_commit_parent(&pc, c, 0) == 0)
        git_commit_tree(&t1, pc);
    git_commit_tree(&t2, c);
    if (git_diff_tree_to_tree(&diff, r->git, t1, t2, NULL) == 0) {
        for (size_t i = 0; i < git_diff_num_deltas(diff); i++) {
            const git_diff_delta *d = git_diff_get_delta(diff, i);
            json_t *list = d->status == GIT_DELTA_ADDED ? added : d->status == GIT_DELTA_DELETED ? removed : modified;
            json_array_append_new(list, json_string(d->new_file.path));
        }
        git_diff_free(diff);
    }
    git_tree_free(t1);
    git_tree_free(t2);
    git_commit_free(pc);
    char aw[32], mw[32];
    mh_time_iso(aw, (time_t)a->when.time);
    mh_time_iso(mw, (time_t)m->when.time);
    json_t *o = json_pack("{s:s, s:s, s:b, s:s, s:s, s:s, s:{s:s, s:s, s:s}, s:{s:s, s:s, s:s}, s:o, s:o, s:o}",
                          "id", sha, "tree_id", tsha, "distinct", distinct, "message", git_commit_message(c),
                          "timestamp", when, "url", url, "author", "name", a->name, "email", a->email, "date", aw,
                          "committer", "name", m->name, "email", m->email, "date", mw, "added", added,
                          "removed", removed, "modified", modified);
    git_commit_free(c);
    return o;
}

void mh_emit_push(mh_repo *r, const char *fullref, const git_oid *old_oid, const git_oid *new_oid,
                  mh_user *pusher, int forced)
{
    static const char zeros[] = "0000000000000000000000000000000000000000";
    char before[41], after[41];
    snprintf(before, sizeof before, "%s", zeros);
    snprintf(after, sizeof after, "%s", zeros);
    if (old_oid)
        git_oid_tostr(before, sizeof before, old_oid);
    if (new_oid)
        git_oid_tostr(after, sizeof after, new_oid);
    json_t *o = base_payload(r, NULL, pusher, 1);
    json_object_del(o, "action");
    json_object_set_new(o, "ref", json_string(fullref));
    json_object_set_new(o, "before", json_string(before));
    json_object_set_new(o, "after", json_string(after));
    json_object_set_new(o, "created", json_boolean(old_oid == NULL));
    json_object_set_new(o, "deleted", json_boolean(new_oid == NULL));
    json_object_set_new(o, "forced", json_boolean(forced));
    json_object_set_new(o, "base_ref", json_null());
    char cmp[1024];
    snprintf(cmp, sizeof cmp, "%s/%s/compare/%.12s...%.12s", g_mh->base_url, r->full_name, before, after);
    json_object_set_new(o, "compare", json_string(cmp));
    json_t *commits = json_array();
    if (new_oid) {
        git_revwalk *w = NULL;
        if (git_revwalk_new(&w, r->git) == 0) {
            git_revwalk_sorting(w, GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE);
            git_revwalk_push(w, new_oid);
            if (old_oid)
                git_revwalk_hide(w, old_oid);
            git_oid c;
            json_t *ids = json_array();
            while (git_revwalk_next(&c, w) == 0 && json_array_size(ids) < 2048)
                json_array_append_new(ids, json_string(git_oid_tostr_s(&c)));
            git_revwalk_free(w);
            /* when the branch is new, only the tip is listed (GitHub lists commits new to the repo) */
            size_t start = old_oid ? 0 : (json_array_size(ids) ? json_array_size(ids) - 1 : 0);
            for (size_t i = start; i < json_array_size(ids); i++) {
                git_oid id;
                git_oid_fromstr(&id, json_string_value(json_array_get(ids, i)));
                json_t *pc = push_commit(r, &id, 1);
                if (pc)
                    json_array_append_new(commits, pc);
            }
            json_decref(ids);
        }
    }
    json_object_set_new(o, "commits", commits);
    json_t *head = new_oid ? push_commit(r, new_oid, 1) : NULL;
    json_object_set_new(o, "head_commit", head ? head : json_null());
    char email[300];
    if (pusher && pusher->email)
        snprintf(email, sizeof email, "%s", pusher->email);
    else
        snprintf(email, sizeof email, "%s@users.noreply.github.com", pusher ? pusher->login : "ghost");
    json_object_set_new(o, "pusher", json_pack("{s:s, s:s}", "name", pusher ? pusher->login : "ghost", "email", email));
    mh_hooks_emit(r, "push", o);
}

void mh_on_ref_update(mh_repo *r, const char *fullref, const git_oid *old_oid,
                      const git_oid *new_oid, mh_user *pusher, int forced)
{
    char before[41] = "", after[41] = "";
    if (old_oid)
        git_oid_tostr(before, sizeof before, old_oid);
    if (new_oid)
        git_oid_tostr(after, sizeof after, new_oid);
    mh_log("info", "ref-update", "repo=%s ref=%s before=%s after=%s pusher=%s forced=%d", r->full_name, fullref,
           before[0] ? before : "-", after[0] ? after : "-", pusher ? pusher->login : "-", forced);
    if (strncmp(fullref, "refs/tags/", 10) == 0) { /* tags get a push event, nothing else */
        r->pushed_at = mh_now();
        mh_emit_push(r, fullref, old_oid, new_oid, pusher, forced);
        return;
    }
    if (strncmp(fullref, "refs/heads/", 11) != 0)
        return;
    const char *branch = fullref + 11;
    r->pushed_at = mh_now();
    mh_emit_push(r, fullref, old_oid, new_oid, pusher, forced);
    mh_ci_on_push(r, branch, new_oid); /* the CI simulator (ci.c) runs on every branch push */
    for (size_t i = 0; i < r->npulls; i++) {
        mh_pull *p = r->pulls[i];
        if (!p->open || p->is_issue)
            continue;
        if (strcmp(p->base_ref, branch) == 0) {
            p->mergeable = -1;
            if (new_oid)
                snprintf(p->base_sha, sizeof p->base_sha, "%s", after);
            p->stats_stale = 1; /* lazily: a busy base must not cost O(open PRs) diffs per push */
        }
        if (strcmp(p->head_ref, branch) == 0 && !new_oid) {
            /* GitHub closes a pull request whose head branch is deleted */
            p->open = 0;
            p->closed_at = p->updated_at = mh_now();
            mh_log("info", "decision", "why=head-branch-deleted repo=%s pr=%d", r->full_name, p->number);
            mh_issue_event(r, p->number, "closed", pusher, NULL);
            mh_emit_pull(r, p, "closed", pusher, NULL);
            continue;
        }
        if (strcmp(p->head_ref, branch) == 0 && new_oid && strcmp(p->head_sha, after) != 0) {
            char old[41];
            snprintf(old, sizeof old, "%s", p->head_sha);
            snprintf(p->head_sha, sizeof p->head_sha, "%s", after);
            char refname[64];
            snprintf(refname, sizeof refname, "refs/pull/%d/head", p->number);
            git_reference *ref = NULL;
            if (git_reference_create(&ref, r->git, refname, new_oid, 1, "synchronize") == 0)
                git_reference_free(ref);
            p->mergeable = -1;
            p->null_reads_left = 0;
            p->updated_at = mh_now();
            p->stats_stale = 1;
            mh_log("info", "decision", "why=pull-synchronize repo=%s pr=%d before=%s after=%s", r->full_name,
                   p->number, old, after);
            mh_emit_pull(r, p, "synchronize", pusher, json_pack("{s:s, s:s}", "before", old, "after", after));
            json_t *prot = json_object_get(r->protection, p->base_ref);
            if (json_is_true(json_object_get(prot, "dismiss_stale_reviews"))) {
                size_t k;
                json_t *rv;
                json_array_foreach(p->reviews, k, rv) {
                    if (strcmp(json_string_value(json_object_get(rv, "state")), "APPROVED") != 0)
                        continue;
                    json_object_set_new(rv, "state", json_string("DISMISSED"));
                    mh_log("info", "decision", "why=stale-approval-dismissed repo=%s pr=%d review=%lld", r->full_name,
                           p->number, (long long)json_integer_value(json_object_get(rv, "id")));
                    mh_emit_review(r, p, rv, "dismissed", pusher);
                }
            }
        }
    }
}
