/* pr_view.c -- the page of one pull request: explain facts and audit trail (pure). */
#include "pr_view.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "page_html.h"

static const char *jstr(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static const lq_qv_freeze *freeze_of(const lq_pr_view *pv)
{
    const char *base = pv->pr && pv->pr->base ? pv->pr->base
                                              : jstr(pv->pr ? pv->pr->explain : NULL, "base");
    return base ? lq_qv_frozen(pv->queue, pv->repo, base) : NULL;
}

static json_t *audit_json(const lq_qv_audit *a)
{
    char at[32];
    lq_qv_iso(at, sizeof at, a->at_ms);
    return json_pack("{s:s, s:s?, s:s?, s:s?, s:o, s:s?}", "at", at, "action", a->action,
                     "head_sha", a->head_sha && a->head_sha[0] ? a->head_sha : NULL, "summary",
                     a->summary, "reasons",
                     json_is_array(a->reasons) ? json_deep_copy(a->reasons) : json_array(),
                     "commit", a->commit_sha && a->commit_sha[0] ? a->commit_sha : NULL);
}

int lq_pr_view_json(const lq_pr_view *pv, json_t **out, lq_error *err)
{
    *out = NULL;
    const lq_qv_pr *p = pv->pr;
    const lq_qv_freeze *fz = freeze_of(pv);
    size_t total = 0, pos = p ? lq_qv_position(pv->queue, p, &total) : 0;
    char url[600];
    snprintf(url, sizeof url, "%s/%s/pull/%d",
             pv->queue->web_url ? pv->queue->web_url : "https://github.com", pv->repo,
             pv->number);
    json_t *o = json_pack("{s:s, s:i, s:s, s:s?, s:s?, s:s?, s:b, s:o, s:o}", "repo", pv->repo,
                          "number", pv->number, "url", url, "state",
                          p ? lq_pr_state_str(p->state) : NULL, "display_state",
                          p && lq_queue_is_queued(p->state)
                              ? lq_qv_state_str(lq_qv_state_of(p, fz))
                              : NULL,
                          "base", p ? p->base : NULL, "priority", p && p->priority, "explain",
                          p && p->explain ? json_deep_copy(p->explain) : json_null(), "audit",
                          json_array());
    int ok = o != NULL;
    if (ok && pos) {
        json_object_set_new(o, "position", json_integer((json_int_t)pos));
        json_object_set_new(o, "queued", json_integer((json_int_t)total));
    }
    if (ok && fz) {
        char since[32];
        lq_qv_iso(since, sizeof since, fz->since_ms);
        json_object_set_new(o, "frozen", json_pack("{s:s?, s:s?, s:s}", "reason", fz->reason,
                                                   "by", fz->by, "since", since));
    }
    for (size_t i = 0; ok && i < pv->audit_count; i++) {
        json_t *a = audit_json(&pv->audit[i]);
        ok = a && !json_array_append_new(json_object_get(o, "audit"), a);
    }
    if (!ok) {
        json_decref(o);
        return lq_error_set(err, LQ_ENOMEM, "out of memory");
    }
    *out = o;
    return LQ_OK;
}

/* ---------------------------------------------------------------- HTML */

static void dl_item(lq_html *h, const char *term)
{
    lq_html_raw(h, "<dt>");
    lq_html_text(h, term);
    lq_html_raw(h, "</dt><dd>");
}

static void html_overview(lq_html *h, const lq_pr_view *pv, const lq_qv_freeze *fz)
{
    const lq_qv_pr *p = pv->pr;
    const json_t *ex = p ? p->explain : NULL;
    char buf[64];
    lq_html_raw(h, "<section aria-labelledby=\"overview\"><h2 id=\"overview\">Where it stands"
                   "</h2>\n<dl class=\"facts\">");
    dl_item(h, "State");
    if (!p)
        lq_html_raw(h, "not known to landq");
    else if (lq_queue_is_queued(p->state))
        lq_qv_html_state(h, lq_qv_state_of(p, fz));
    else
        lq_html_text(h, lq_pr_state_str(p->state));
    lq_html_raw(h, "</dd>");
    size_t total = 0, pos = p ? lq_qv_position(pv->queue, p, &total) : 0;
    if (pos) {
        dl_item(h, "Position");
        lq_html_rawf(h, "<span id=\"position\">%zu</span> of %zu on <code><bdi>", pos, total);
        lq_html_text(h, p->base);
        lq_html_raw(h, "</bdi></code>");
        if (p->lane && p->lane[0]) {
            lq_html_raw(h, ", lane <bdi>");
            lq_html_text(h, p->lane);
            lq_html_raw(h, "</bdi>");
        }
        lq_html_raw(h, "</dd>");
        char at[32];
        lq_qv_iso(at, sizeof at, p->labeled_at_ms);
        lq_qv_duration(buf, sizeof buf, pv->queue->now_ms - p->labeled_at_ms);
        dl_item(h, "In queue");
        lq_html_rawf(h, "%s (labeled <time datetime=\"%s\">%s</time>)</dd>", buf, at, at);
    } else if (p && p->base && p->base[0]) {
        dl_item(h, "Base branch");
        lq_html_raw(h, "<code><bdi>");
        lq_html_text(h, p->base);
        lq_html_raw(h, "</bdi></code></dd>");
    }
    if (p && p->priority) {
        dl_item(h, "Priority");
        lq_html_raw(h, "<span class=\"urgent\"><span aria-hidden=\"true\">\xE2\x9A\xA1</span> "
                       "yes</span>: ahead of the pull requests without it</dd>");
    }
    const char *labeler = p && p->labeler && p->labeler[0] ? p->labeler : jstr(ex, "labeler");
    if (labeler) {
        dl_item(h, "Labeled by");
        lq_html_bdi(h, labeler);
        lq_html_raw(h, "</dd>");
    }
    if (jstr(ex, "author")) {
        dl_item(h, "Author");
        lq_html_bdi(h, jstr(ex, "author"));
        lq_html_raw(h, "</dd>");
    }
    if (jstr(ex, "head_sha")) {
        dl_item(h, "Head commit");
        lq_html_raw(h, "<code>");
        lq_html_text(h, jstr(ex, "head_sha"));
        lq_html_raw(h, "</code></dd>");
    }
    lq_html_raw(h, "</dl>\n");
    if (fz) {
        char since[32];
        lq_qv_iso(since, sizeof since, fz->since_ms);
        lq_html_raw(h, "<p class=\"frozen\"><strong><span aria-hidden=\"true\">\xE2\x9D\x84 "
                       "</span>Frozen</strong>: <code><bdi>");
        lq_html_text(h, fz->branch);
        lq_html_raw(h, "</bdi></code> is frozen: <q><bdi>");
        lq_html_text(h, fz->reason);
        lq_html_rawf(h, "</bdi></q>, since <time datetime=\"%s\">%s</time>, by <bdi>", since,
                     since);
        lq_html_text(h, fz->by);
        lq_html_raw(h, "</bdi>. Nothing lands on it until it is unfrozen.</p>\n");
    }
    lq_html_raw(h, "</section>\n");
}

static void html_verdict(lq_html *h, const json_t *ex)
{
    const json_t *v = json_object_get(ex, "verdict");
    lq_html_raw(h, "<section aria-labelledby=\"why\"><h2 id=\"why\">Why</h2>\n");
    if (!v) {
        lq_html_raw(h, "<p>landq has not evaluated this pull request since it started; it is "
                       "re-checked shortly. <code>landq explain</code> answers now.</p>"
                       "</section>\n");
        return;
    }
    lq_html_raw(h, "<p>Verdict: <strong id=\"verdict\">");
    lq_html_text(h, jstr(v, "kind"));
    lq_html_raw(h, "</strong> \xE2\x80\x94 <span id=\"summary\">");
    lq_html_codetext(h, jstr(v, "summary"));
    lq_html_raw(h, "</span></p>\n<ul id=\"reasons\">");
    size_t i;
    const json_t *r;
    json_array_foreach(json_object_get(v, "reasons"), i, r)
    {
        lq_html_raw(h, "<li>");
        lq_html_codetext(h, json_string_value(r));
        lq_html_raw(h, "</li>");
    }
    lq_html_raw(h, "</ul>\n</section>\n");
}

static void html_files(lq_html *h, const json_t *ex)
{
    const json_t *files = json_object_get(ex, "files");
    const json_t *co = json_object_get(ex, "codeowners");
    if (!ex)
        return;
    lq_html_raw(h, "<section aria-labelledby=\"files\"><h2 id=\"files\">Changed files and their "
                   "owners</h2>\n<p>CODEOWNERS of the base branch: ");
    if (jstr(co, "path")) {
        lq_html_raw(h, "<code><bdi>");
        lq_html_text(h, jstr(co, "path"));
        lq_html_raw(h, "</bdi></code>");
    } else {
        lq_html_raw(h, "none (nothing is owned)");
    }
    if (jstr(co, "error")) {
        lq_html_raw(h, " \xE2\x80\x94 <strong>cannot be loaded</strong>: ");
        lq_html_text(h, jstr(co, "error"));
    }
    lq_html_raw(h, ".</p>\n");
    if (!json_array_size(files)) {
        lq_html_raw(h, "<p>No changed files were read.</p></section>\n");
        return;
    }
    lq_html_raw(h, "<div class=\"scroll\"><table id=\"file-table\"><caption>Every changed path "
                   "(both paths of a rename)</caption><thead><tr><th scope=\"col\">Path</th>"
                   "<th scope=\"col\">Owners</th><th scope=\"col\">Approved by</th>"
                   "<th scope=\"col\">Status</th></tr></thead><tbody>\n");
    size_t i;
    const json_t *f;
    json_array_foreach(files, i, f)
    {
        lq_html_raw(h, "<tr><th scope=\"row\" class=\"path\"><code><bdi>");
        lq_html_text(h, jstr(f, "path"));
        lq_html_raw(h, "</bdi></code></th><td class=\"owners\">");
        const json_t *owners = json_object_get(f, "owners");
        size_t k;
        const json_t *ow;
        json_array_foreach(owners, k, ow)
        {
            lq_html_raw(h, k ? ", <bdi>" : "<bdi>");
            lq_html_text(h, json_string_value(ow));
            lq_html_raw(h, "</bdi>");
        }
        json_int_t line = json_integer_value(json_object_get(f, "line"));
        if (!json_array_size(owners))
            lq_html_raw(h, line ? "unowned" : "no rule");
        if (line)
            lq_html_rawf(h, " <span class=\"line\">(line %lld)</span>", (long long)line);
        lq_html_raw(h, "</td><td class=\"approved\">");
        const json_t *by;
        json_array_foreach(json_object_get(f, "approved_by"), k, by)
        {
            lq_html_raw(h, k ? ", <bdi>" : "<bdi>");
            lq_html_text(h, jstr(by, "reviewer"));
            lq_html_raw(h, "</bdi> <span class=\"via\">(as <bdi>");
            lq_html_text(h, jstr(by, "via"));
            lq_html_raw(h, "</bdi>)</span>");
        }
        lq_html_raw(h, "</td><td class=\"status\">");
        const char *missing = jstr(f, "missing");
        if (missing) {
            lq_html_raw(h, "<span class=\"state st-waiting_for_owners\"><span aria-hidden="
                           "\"true\">\xE2\x9C\x97</span> missing</span>: needs one of <bdi "
                           "class=\"missing\">");
            lq_html_text(h, missing);
            lq_html_raw(h, "</bdi>");
        } else {
            lq_html_raw(h, "<span class=\"state st-ready\"><span aria-hidden=\"true\">"
                           "\xE2\x9C\x93</span> ok</span>");
        }
        lq_html_raw(h, "</td></tr>\n");
    }
    lq_html_raw(h, "</tbody></table></div>\n");
    const json_t *nw = json_object_get(ex, "approvals_without_write");
    if (json_array_size(nw)) {
        lq_html_raw(h, "<p>Approvals that do not count (no write permission): ");
        const json_t *x;
        json_array_foreach(nw, i, x)
        {
            lq_html_raw(h, i ? ", <bdi>" : "<bdi>");
            lq_html_text(h, json_string_value(x));
            lq_html_raw(h, "</bdi>");
        }
        lq_html_raw(h, ".</p>\n");
    }
    lq_html_raw(h, "</section>\n");
}

static void html_checks(lq_html *h, const json_t *ex)
{
    if (!ex)
        return;
    const json_t *checks = json_object_get(ex, "checks");
    lq_html_raw(h, "<section aria-labelledby=\"checks\"><h2 id=\"checks\">Checks on the head "
                   "commit</h2>\n");
    if (!json_array_size(checks)) {
        lq_html_raw(h, "<p>None reported.</p></section>\n");
        return;
    }
    lq_html_raw(h, "<div class=\"scroll\"><table id=\"check-table\"><caption>Latest result per "
                   "check</caption><thead><tr><th scope=\"col\">Check</th><th scope=\"col\">"
                   "Result</th><th scope=\"col\">Detail</th></tr></thead><tbody>\n");
    size_t i;
    const json_t *c;
    json_array_foreach(checks, i, c)
    {
        const char *st = jstr(c, "state");
        const char *icon = !st ? "?" : !strcmp(st, "success") ? "\xE2\x9C\x93"
                                       : !strcmp(st, "failure") ? "\xE2\x9C\x97"
                                                                : "\xE2\x8F\xB3";
        lq_html_raw(h, "<tr><th scope=\"row\"><bdi>");
        lq_html_text(h, jstr(c, "name"));
        lq_html_rawf(h, "</bdi></th><td><span class=\"check ck-%s\"><span aria-hidden=\"true\">"
                        "%s</span> ",
                     st && (!strcmp(st, "success") || !strcmp(st, "failure")) ? st : "pending",
                     icon);
        lq_html_text(h, st ? st : "unknown");
        lq_html_raw(h, "</span></td><td><bdi>");
        lq_html_text(h, jstr(c, "detail"));
        lq_html_raw(h, "</bdi></td></tr>\n");
    }
    lq_html_raw(h, "</tbody></table></div></section>\n");
}

static void html_audit(lq_html *h, const lq_pr_view *pv)
{
    lq_html_raw(h, "<section aria-labelledby=\"history\"><h2 id=\"history\">History</h2>\n");
    if (!pv->audit_count) {
        lq_html_raw(h, "<p>No decision recorded yet.</p></section>\n");
        return;
    }
    lq_html_raw(h, "<div class=\"scroll\"><table id=\"audit-table\"><caption>Every decision "
                   "landq recorded for this pull request, oldest first</caption><thead><tr>"
                   "<th scope=\"col\">When</th><th scope=\"col\">Decision</th><th scope=\"col\">"
                   "Head</th><th scope=\"col\">Summary</th></tr></thead><tbody>\n");
    for (size_t i = 0; i < pv->audit_count; i++) {
        const lq_qv_audit *a = &pv->audit[i];
        char at[32];
        lq_qv_iso(at, sizeof at, a->at_ms);
        lq_html_rawf(h, "<tr><td><time datetime=\"%s\">%s</time></td><td>", at, at);
        lq_html_text(h, a->action);
        lq_html_raw(h, "</td><td><code>");
        lq_html_textn(h, a->head_sha ? a->head_sha : "",
                      a->head_sha ? (strlen(a->head_sha) > 12 ? 12 : strlen(a->head_sha)) : 0);
        lq_html_raw(h, "</code></td><td>");
        lq_html_codetext(h, a->summary);
        if (a->commit_sha && a->commit_sha[0]) {
            lq_html_raw(h, " (commit <code>");
            lq_html_text(h, a->commit_sha);
            lq_html_raw(h, "</code>)");
        }
        if (json_array_size(a->reasons)) {
            lq_html_raw(h, "<details><summary>Reasons</summary><ul>");
            size_t k;
            const json_t *r;
            json_array_foreach(a->reasons, k, r)
            {
                lq_html_raw(h, "<li>");
                lq_html_codetext(h, json_string_value(r));
                lq_html_raw(h, "</li>");
            }
            lq_html_raw(h, "</ul></details>");
        }
        lq_html_raw(h, "</td></tr>\n");
    }
    lq_html_raw(h, "</tbody></table></div></section>\n");
}

int lq_pr_view_html(const lq_pr_view *pv, char **out, lq_error *err)
{
    *out = NULL;
    const lq_qv_pr *p = pv->pr;
    const json_t *ex = p ? p->explain : NULL;
    const char *title = jstr(ex, "title") ? jstr(ex, "title") : p ? p->title : NULL;
    const lq_qv_freeze *fz = freeze_of(pv);
    lq_html h = {0};
    char name[200], url[600];
    snprintf(name, sizeof name, "%s#%d", pv->repo, pv->number);
    snprintf(url, sizeof url, "%s/%s/pull/%d",
             pv->queue->web_url ? pv->queue->web_url : "https://github.com", pv->repo,
             pv->number);
    lq_page_head(&h, name, pv->queue->refresh_s);
    lq_html_raw(&h, "<header><p class=\"crumbs\"><a href=\"/queue\">The queue</a></p><h1>");
    lq_html_text(&h, name);
    if (title) {
        lq_html_raw(&h, ": <bdi class=\"title\">");
        lq_html_text(&h, title);
        lq_html_raw(&h, "</bdi>");
    }
    lq_html_raw(&h, "</h1>\n<p class=\"meta\">");
    lq_html_link(&h, pv->queue->web_url, url, "Open on GitHub");
    lq_html_raw(&h, " \xC2\xB7 <a href=\"/api/queue/");
    lq_html_attr(&h, pv->repo);
    lq_html_rawf(&h, "/%d\">JSON</a></p>\n<p id=\"live\" class=\"live\" role=\"status\" "
                     "aria-live=\"polite\"></p></header>\n", pv->number);
    char sig[96];
    size_t total = 0, pos = p ? lq_qv_position(pv->queue, p, &total) : 0;
    snprintf(sig, sizeof sig, "%s %zu %zu %zu %d", p ? lq_pr_state_str(p->state) : "-", pos, total,
             pv->audit_count, fz != NULL);
    uint64_t hash = lq_qv_fnv(lq_qv_fnv(0, sig),
                              jstr(json_object_get(ex, "verdict"), "summary"));
    lq_html_rawf(&h, "<main id=\"queue\" data-sig=\"%016llx\">\n", (unsigned long long)hash);
    html_overview(&h, pv, fz);
    html_verdict(&h, ex);
    html_files(&h, ex);
    html_checks(&h, ex);
    html_audit(&h, pv);
    lq_html_raw(&h, "</main>\n");
    lq_page_foot(&h);
    char *s = lq_html_take(&h);
    if (!s)
        return lq_error_set(err, LQ_ENOMEM, "out of memory");
    *out = s;
    return LQ_OK;
}
