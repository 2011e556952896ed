/* explain.c -- `landq explain`: the worker's facts and verdict for one pull request. */
#include "explain.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "facts.h"
#include "lanes.h"
#include "log.h"
#include "policy.h"

static void gh_log(void *ctx, const char *method, const char *url, long status, long ms,
                   const char *note)
{
    (void)ctx;
    LQ_LOG(status >= 500 || status == 0 || status == 401 || status == 403 ? LQ_LOG_WARN
                                                                       : LQ_LOG_DEBUG, "github",
           "msg=\"github request\" method=%s url=\"%s\" status=%ld ms=%ld note=%s", method, url,
           status, ms, note ? note : "-");
}


/* One changed path of the explanation: its owners, the deciding line, who satisfies it. */
static json_t *explain_path(const lq_policy_facts *f, const lq_verdict *own, const char *path,
                            const char *const *approvers, size_t na)
{
    json_t *o = json_pack("{s:s}", "path", path);
    if (!o)
        return NULL;
    lq_codeowners_match m = {0, 0, NULL};
    if (f->owners)
        lq_codeowners_match_path(f->owners, NULL, path, strlen(path), &m);
    json_t *owners = json_array(), *by = json_array();
    for (size_t k = 0; k < m.owner_count; k++)
        json_array_append_new(owners, json_string(m.owners[k].name));
    for (size_t a = 0; a < na; a++) {
        const char *via = NULL;
        char at[140];
        snprintf(at, sizeof at, "@%s", approvers[a]);
        for (size_t k = 0; k < m.owner_count && !via; k++) {
            const lq_owner *ow = &m.owners[k];
            if (ow->kind == LQ_OWNER_USER && lq_owner_equal(ow->name, at))
                via = ow->name;
            for (size_t i = 0; i < f->affiliation_count && !via; i++)
                if (!strcasecmp(f->affiliations[i].login, approvers[a]) &&
                    lq_owner_equal(f->affiliations[i].owner, ow->name))
                    via = ow->name;
        }
        if (!via)
            continue;
        const char *sha = NULL; /* the approving review (latest of that reviewer) */
        for (size_t r = 0; r < f->review_count; r++)
            if (f->reviews[r].login && !strcasecmp(f->reviews[r].login, approvers[a]) &&
                f->reviews[r].state == LQ_REVIEW_APPROVED)
                sha = f->reviews[r].commit_id;
        json_array_append_new(by, json_pack("{s:s, s:s, s:s?}", "reviewer", approvers[a], "via",
                                            via, "sha", sha));
    }
    json_object_set_new(o, "line", json_integer(m.line));
    json_object_set_new(o, "owners", owners ? owners : json_array());
    json_object_set_new(o, "approved_by", by ? by : json_array());
    const char *missing = NULL;
    for (size_t i = 0; i < own->missing_count && !missing; i++)
        if (!strcmp(own->missing[i].path, path))
            missing = own->missing[i].owners;
    json_object_set_new(o, "missing", missing ? json_string(missing) : json_null());
    return o;
}

/* What a WAIT verdict waits for: "owners", "changes", "checks", "draft" (the page's states). */
static json_t *waiting_for(const lq_policy_facts *f, const lq_verdict *v)
{
    json_t *a = json_array();
    if (!a || v->kind != LQ_VERDICT_WAIT)
        return a;
    if (v->missing_count)
        json_array_append_new(a, json_string("owners"));
    if (f->draft)
        json_array_append_new(a, json_string("draft"));
    int checks = 0;
    for (size_t i = 0; i < f->check_count && !checks; i++) {
        const lq_check *c = &f->checks[i];
        if (!c->name || c->state != LQ_CHECK_PENDING ||
            (f->self_context && !strcasecmp(c->name, f->self_context)))
            continue;
        checks = f->required_check_count == 0;
        for (size_t k = 0; k < f->required_check_count && !checks; k++)
            checks = !strcasecmp(f->required_checks[k], c->name);
    }
    for (size_t k = 0; k < f->required_check_count && !checks; k++) {
        int found = 0;
        for (size_t i = 0; i < f->check_count && !found; i++)
            found = f->checks[i].name && !strcasecmp(f->checks[i].name, f->required_checks[k]);
        checks = !found;
    }
    if (checks)
        json_array_append_new(a, json_string("checks"));
    for (size_t i = 0; i < v->reason_count; i++)
        if (strstr(v->reasons[i], "requested changes")) {
            json_array_append_new(a, json_string("changes"));
            break;
        }
    return a;
}

int lq_explain_object(const lq_facts *b, const lq_verdict *v, const char *repo, int number,
                      const char *label, json_t **out, lq_error *err)
{
    *out = NULL;
    const lq_policy_facts f = b->policy;
    json_t *o = json_pack("{s:s, s:i, s:s?, s:s?, s:s?, s:s?, s:b, s:b, s:b, s:b, s:s?, s:b}",
                          "repo", repo, "number", number, "title", b->pr.title, "author",
                          f.author, "head_sha", f.head_sha, "base", f.base_ref, "open", f.open,
                          "merged", f.merged, "draft", f.draft, "labeled", f.has_label,
                          "labeler", f.labeler, "labeler_can_write", f.labeler_can_write);
    if (!o)
        return lq_error_set(err, LQ_ENOMEM, "out of memory");
    json_object_set_new(o, "label", json_string(label));
    json_object_set_new(o, "codeowners", json_pack("{s:s?, s:s?}", "path", f.codeowners_path,
                                                   "error", f.codeowners_error));
    const char **approvers = NULL;
    size_t na = 0;
    int rc = lq_policy_approvers(&approvers, &na, f.reviews, f.review_count, f.author,
                                 f.head_sha, err);
    /* Approvals of reviewers without write permission do not count. */
    size_t keep = 0;
    for (size_t a = 0; !rc && a < na; a++) {
        int nw = 0;
        for (size_t i = 0; i < f.non_writer_count && !nw; i++)
            nw = !strcasecmp(f.non_writers[i], approvers[a]);
        if (!nw)
            approvers[keep++] = approvers[a];
    }
    /* What each path lacks, whether or not the label is there (the verdict of an unlabeled
     * pull request stops before the owners). */
    lq_verdict own;
    memset(&own, 0, sizeof own);
    if (!rc)
        rc = lq_policy_owners(&own, &f, err);
    json_t *files = json_array(), *nw = json_array(), *checks = json_array();
    for (size_t i = 0; !rc && i < f.file_count; i++) {
        json_array_append_new(files, explain_path(&f, &own, f.files[i].path, approvers, keep));
        if (f.files[i].previous_path)
            json_array_append_new(files, explain_path(&f, &own, f.files[i].previous_path,
                                                      approvers, keep));
    }
    lq_verdict_dispose(&own);
    free(approvers);
    for (size_t i = 0; i < f.non_writer_count; i++)
        json_array_append_new(nw, json_string(f.non_writers[i]));
    static const char *const cs[] = {"success", "pending", "failure"};
    for (size_t i = 0; i < f.check_count; i++)
        json_array_append_new(checks, json_pack("{s:s?, s:s, s:s?}", "name", f.checks[i].name,
                                                "state", cs[f.checks[i].state], "detail",
                                                f.checks[i].detail));
    json_object_set_new(o, "files", files ? files : json_array());
    json_object_set_new(o, "approvals_without_write", nw ? nw : json_array());
    json_object_set_new(o, "checks", checks ? checks : json_array());
    json_t *reasons = json_array();
    for (size_t i = 0; i < v->reason_count; i++)
        json_array_append_new(reasons, json_string(v->reasons[i]));
    json_object_set_new(o, "verdict", json_pack("{s:s, s:s?, s:o, s:o}", "kind",
                                                lq_verdict_kind_str(v->kind), "summary",
                                                v->summary, "reasons",
                                                reasons ? reasons : json_array(), "waiting_for",
                                                waiting_for(&f, v)));
    if (b->has_priority_label)
        json_object_set_new(o, "priority", json_pack("{s:s?, s:s?, s:b}", "labeler",
                                                     b->priority_labeler[0] ? b->priority_labeler
                                                                            : NULL,
                                                     "permission", b->priority_permission[0]
                                                                       ? b->priority_permission
                                                                       : NULL,
                                                     "counts", b->priority));
    if (rc || !json_object_get(o, "verdict")) {
        json_decref(o);
        return rc ? rc : lq_error_set(err, LQ_ENOMEM, "out of memory");
    }
    *out = o;
    return LQ_OK;
}

/* Predictive mode's lanes (core/lanes.h) the pull request would join with the settings given:
 * "lanes": {"mode", "names", "all"}, from the files and the base's CODEOWNERS read for the
 * facts, as the worker assigns them when it joins the train. */
static int add_lanes(json_t *o, const lq_lanes *l, const lq_facts *b, lq_error *err)
{
    static const char *const modes[] = {"single", "codeowners", "paths"};
    const char **paths = calloc(2 * b->files.count + 1, sizeof *paths);
    size_t np = 0, n = 0;
    char **names = NULL;
    int all = 0, rc = LQ_OK;
    if (!paths)
        return lq_error_set(err, LQ_ENOMEM, "out of memory");
    for (size_t i = 0; i < b->files.count; i++) {
        paths[np++] = b->files.items[i].path;
        if (b->files.items[i].previous_path)
            paths[np++] = b->files.items[i].previous_path;
    }
    if (b->files.count >= LQ_POLICY_MAX_FILES) /* what it touches is not known: every lane */
        all = 1;
    else
        rc = lq_lanes_of(l, b->policy.owners, paths, np, &names, &n, &all, err);
    free(paths);
    if (rc)
        return rc;
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < n; i++)
        json_array_append_new(arr, json_string(names[i]));
    lq_lanes_names_free(names, n);
    json_object_set_new(o, "lanes", json_pack("{s:s, s:o, s:b}", "mode",
                                              modes[lq_lanes_get_mode(l)], "names",
                                              arr ? arr : json_array(), "all", all));
    return LQ_OK;
}

int lq_explain_pr(const lq_worker_config *cfg, const char *repo, int number, json_t **out,
                  lq_error *err)
{
    *out = NULL;
    const char *label = cfg->label ? cfg->label : "land";
    lq_github *gh = NULL;
    lq_facts_cache *cache = NULL;
    lq_github_config gc = {
        .api_url = cfg->api_url, .token = cfg->token ? cfg->token : "",
        .user_agent = "landq/0.1 (+land queue)", .log = gh_log, .token_cb = cfg->token_cb,
        .token_ctx = cfg->token_ctx, .max_retries = 2};
    int rc = lq_github_new(&gh, &gc, err);
    if (!rc)
        rc = lq_facts_cache_new(&cache, err);
    lq_gh api;
    lq_gh_rest_init(&api, gh);
    lq_facts_src src = {.gh = &api, .cache = cache, .repos = cfg->repos,
                        .repo_count = cfg->repo_count, .label = label,
                        .context = cfg->status_context ? cfg->status_context : "landq",
                        .required = cfg->required_checks,
                        .required_count = cfg->required_check_count};
    lq_pr_record rec;
    memset(&rec, 0, sizeof rec);
    snprintf(rec.repo, sizeof rec.repo, "%s", repo);
    rec.number = number;
    lq_facts b;
    memset(&b, 0, sizeof b);
    if (!rc)
        rc = lq_facts_gather(&b, &src, &rec, LQ_FACTS_ALL, err);
    if (rc == LQ_ENOTFOUND)
        lq_error_set(err, rc, "no such pull request (or the token cannot see it)");
    lq_verdict v;
    memset(&v, 0, sizeof v);
    if (!rc)
        rc = lq_policy_decide(&v, &b.policy, err);
    json_t *o = NULL;
    if (!rc)
        rc = lq_explain_object(&b, &v, repo, number, label, &o, err);
    if (!rc && cfg->lanes && lq_lanes_get_mode(cfg->lanes) != LQ_LANES_SINGLE)
        rc = add_lanes(o, cfg->lanes, &b, err);
    lq_verdict_dispose(&v);
    lq_facts_dispose(&b);
    lq_pr_record_dispose(&rec);
    lq_facts_cache_free(cache);
    lq_github_free(gh);
    if (rc) {
        json_decref(o);
        return rc;
    }
    *out = o;
    return LQ_OK;
}
