/* feedback_text.c -- landq's comments (pure). */
#include "feedback_text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "md.h"
#include "str.h"

static void short_sha(char out[13], const char *sha)
{
    snprintf(out, 13, "%.12s", sha ? sha : "");
}

static const char *next_step(const lq_verdict *v, const lq_feedback_pr *pr, char *buf,
                             size_t cap)
{
    char sha[13], label[200], check[300];
    short_sha(sha, pr->head_sha);
    lq_md_code_buf(label, sizeof label, pr->label);
    if (v->kind == LQ_VERDICT_IGNORE)
        snprintf(buf, cap, "add the %s label again to queue the pull request.", label);
    else if (v->kind == LQ_VERDICT_EJECT && v->failing_check)
        snprintf(buf, cap, "fix %s, push the fix, and add the %s label again.",
                 lq_md_code_buf(check, sizeof check, v->failing_check), label);
    else if (v->kind == LQ_VERDICT_EJECT)
        snprintf(buf, cap, "ask someone with write permission on %s to add the %s label.",
                 pr->repo, label);
    else if (v->missing_count)
        snprintf(buf, cap, "ask one of the owners listed above to approve the current head "
                 "commit `%s`. Approvals of earlier commits do not count. landq lands the pull "
                 "request as soon as the approvals are in; you do not need to re-add the label.",
                 sha);
    else if (v->kind == LQ_VERDICT_BLOCKED)
        snprintf(buf, cap, "fix the problem above; landq checks again on the next change to the "
                 "pull request.");
    else if (v->kind == LQ_VERDICT_READY)
        snprintf(buf, cap, "nothing: landq squash-merges it when its turn comes.");
    else
        snprintf(buf, cap, "nothing, unless stated above: landq lands the pull request as soon "
                 "as it is ready.");
    return buf;
}

char *lq_feedback_text_verdict(const lq_verdict *v, const lq_feedback_pr *pr)
{
    lq_sb b = {0};
    char sha[13], step[512];
    short_sha(sha, pr->head_sha);
    size_t pos = pr->position, total = pr->queue_length;
    /* Untrusted text (branch, label, and in the reasons paths and check names: core/policy.c)
     * is in code spans that it cannot close (core/md.h). */
    char base[300], label[200];
    lq_md_code_buf(base, sizeof base, pr->base);
    lq_md_code_buf(label, sizeof label, pr->label);
    lq_sb_addf(&b, "%s\n", LQ_FEEDBACK_MARKER);
    switch (v->kind) {
    case LQ_VERDICT_WAIT:
        lq_sb_addf(&b, "**landq: waiting** to land on %s", base);
        if (pos)
            lq_sb_addf(&b, " (position %zu of %zu in the queue)", pos, total);
        lq_sb_addf(&b, ".\n\nIt cannot land yet, at head commit `%s`:\n\n", sha);
        break;
    case LQ_VERDICT_READY:
        lq_sb_addf(&b, "**landq: ready** to land on %s", base);
        if (pos)
            lq_sb_addf(&b, " (position %zu of %zu in the queue)", pos, total);
        lq_sb_addf(&b, ", at head commit `%s`:\n\n", sha);
        break;
    case LQ_VERDICT_BLOCKED:
        lq_sb_addf(&b, "**landq: blocked**: this pull request cannot land on %s until this is "
                   "fixed (head commit `%s`):\n\n", base, sha);
        break;
    case LQ_VERDICT_EJECT:
        lq_sb_addf(&b, "**landq: removed from the queue**: I removed the %s label (head commit "
                   "`%s`):\n\n", label, sha);
        break;
    case LQ_VERDICT_IGNORE:
        lq_sb_addf(&b, "**landq: not queued**:\n\n");
        break;
    }
    for (size_t i = 0; i < v->reason_count; i++)
        lq_sb_addf(&b, "- %s\n", v->reasons[i]);
    if (v->approver_count) {
        lq_sb_addf(&b, "\nApproved on `%s` by:", sha);
        for (size_t i = 0; i < v->approver_count; i++)
            lq_sb_addf(&b, "%s @%s", i ? "," : "", v->approvers[i]);
        lq_sb_addf(&b, "\n");
    }
    lq_sb_addf(&b, "\n**Next step:** %s\n", next_step(v, pr, step, sizeof step));
    return lq_sb_take(&b);
}

char *lq_feedback_text_landed(const char *base, const char *landed_sha, const char *merge_sha,
                              const char *title, const char *message)
{
    char c12[13], h12[13];
    short_sha(c12, landed_sha);
    short_sha(h12, merge_sha);
    lq_sb b = {0};
    lq_sb_addf(&b, "%s\n**landq: landed** on ", LQ_FEEDBACK_MARKER);
    lq_md_code(&b, base, 200);
    lq_sb_addf(&b, " as `%s` (squash of head commit `%s`).\n", c12, h12);
    /* title and message in a fence longer than any run of backticks in them */
    lq_sb m = {0};
    lq_sb_adds(&m, title ? title : "");
    if (message && *message) {
        lq_sb_adds(&m, "\n\n");
        lq_sb_adds(&m, message);
    }
    char *text = lq_sb_take(&m);
    if (!text) {
        lq_sb_dispose(&b);
        return NULL;
    }
    lq_sb_adds(&b, "\nCommit message:\n\n");
    lq_md_fence(&b, "text", text);
    free(text);
    return lq_sb_take(&b);
}

char *lq_feedback_text_refused(const char *label, const char *merge_sha, const char *base,
                               const char *quote)
{
    char l[200], bs[300];
    lq_md_code_buf(l, sizeof l, label);
    lq_md_code_buf(bs, sizeof bs, base);
    lq_sb b = {0};
    lq_sb_addf(&b, "%s\n**landq: removed from the queue**: I removed the %s label because "
               "GitHub cannot squash-merge head commit `%.12s` into %s:\n\n> ",
               LQ_FEEDBACK_MARKER, l, merge_sha ? merge_sha : "", bs);
    lq_md_code(&b, quote, 1000); /* GitHub's message: shown, never rendered */
    lq_sb_addf(&b, "\n\n**Next step:** update the branch with %s (merge or rebase), resolve "
               "any conflicts, push, and add the %s label again.\n", bs, l);
    return lq_sb_take(&b);
}

char *lq_feedback_text_report(const char *report)
{
    lq_sb b = {0};
    lq_sb_addf(&b, "%s\n%s", LQ_FEEDBACK_MARKER, report ? report : "");
    return lq_sb_take(&b);
}

char *lq_feedback_text_incident(const char *decided_base, const char *actual_base,
                                const char *merge_sha, const char *what)
{
    lq_sb b = {0};
    char h12[13];
    short_sha(h12, merge_sha);
    lq_sb_addf(&b, "%s\n**landq: safety incident**: head commit `%s` was merged, but not as "
               "landq decided (for ", LQ_FEEDBACK_MARKER, h12);
    lq_md_code(&b, decided_base, 256);
    if (actual_base && *actual_base && strcmp(actual_base, decided_base ? decided_base : "")) {
        lq_sb_adds(&b, "; it is on ");
        lq_md_code(&b, actual_base, 256);
    }
    lq_sb_adds(&b, "):\n\n");
    lq_md_fence(&b, "text", what);
    lq_sb_adds(&b, "\nThe queue of that branch is halted until an operator has looked "
                   "(docs/operations.md, \"Safety incidents\").\n");
    return lq_sb_take(&b);
}
