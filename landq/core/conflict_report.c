/* conflict_report.c -- the author-facing text of a merge conflict (pure). */
#include "conflict_report.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REPORT_MAX ((size_t)60000) /* GitHub caps comment bodies at 65536 characters */
#define STATUS_MAX 140

const char *lq_conflict_kind_str(lq_conflict_kind k)
{
    switch (k) {
    case LQ_CONFLICT_CONTENT: return "content";
    case LQ_CONFLICT_ADD_ADD: return "add/add";
    case LQ_CONFLICT_MODIFY_DELETE: return "modify/delete";
    case LQ_CONFLICT_RENAME: return "rename";
    case LQ_CONFLICT_OTHER: return "other";
    }
    return "other";
}

void lq_conflict_set_dispose(lq_conflict_set *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->path_count; i++) {
        free(s->paths[i].path);
        free(s->paths[i].base_path);
        free(s->paths[i].ancestor_path);
        free(s->paths[i].commits);
    }
    free(s->paths);
    for (size_t i = 0; i < s->commit_count; i++)
        free(s->commits[i].title);
    free(s->commits);
    memset(s, 0, sizeof(*s));
}

int lq_conflict_pr_from_title(const char *title)
{
    if (!title)
        return 0;
    size_t n = strlen(title);
    while (n > 0 && (title[n - 1] == ' ' || title[n - 1] == '\t' || title[n - 1] == '\r' ||
                     title[n - 1] == '\n'))
        n--;
    if (n < 4 || title[n - 1] != ')')
        return 0;
    size_t end = n - 1, i = end;
    while (i > 0 && title[i - 1] >= '0' && title[i - 1] <= '9')
        i--;
    if (i == end || end - i > 9 || i < 3 || title[i - 1] != '#' || title[i - 2] != '(' ||
        title[i - 3] != ' ')
        return 0;
    long v = 0;
    for (size_t k = i; k < end; k++)
        v = v * 10 + (title[k] - '0');
    return v > 0 && v <= 0x7fffffff ? (int)v : 0;
}

/* ---------------------------------------------------------------- a capped string builder */

typedef struct rbuf {
    char *p;
    size_t len, cap;
    int failed; /* LQ_ENOMEM */
} rbuf;

static void rb_putn(rbuf *b, const char *s, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->failed = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void rb_puts(rbuf *b, const char *s)
{
    rb_putn(b, s, strlen(s));
}

static void rb_printf(rbuf *b, const char *fmt, ...) LQ_PRINTF(2, 3);
static void rb_printf(rbuf *b, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->failed = 1;
        return;
    }
    rb_putn(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* A Markdown code span holding s verbatim: the fence is one backtick longer than the longest run
 * inside, padded with spaces when s starts or ends with a backtick or a space. Control characters (a path
 * may hold a newline) become '?', so a span never breaks the line. Long text is cut at max bytes
 * (on a UTF-8 boundary) with "...". */
static void rb_code(rbuf *b, const char *s, size_t max)
{
    if (!s)
        s = "";
    size_t n = strlen(s), run = 0, longest = 0;
    int cut = 0;
    if (n > max) {
        n = max;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
        cut = 1;
    }
    for (size_t i = 0; i < n; i++) {
        run = s[i] == '`' ? run + 1 : 0;
        if (run > longest)
            longest = run;
    }
    /* not capped: a fence no longer than a run inside would be closed by it */
    size_t f = longest + 1;
    int pad = n > 0 && (s[0] == '`' || s[n - 1] == '`' || s[0] == ' ' || s[n - 1] == ' ');
    for (size_t k = 0; k < f; k++)
        rb_putn(b, "`", 1);
    if (pad)
        rb_puts(b, " ");
    for (size_t i = 0; i < n; i++) {
        char c = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
        rb_putn(b, &c, 1);
    }
    if (cut)
        rb_puts(b, "...");
    if (pad)
        rb_puts(b, " ");
    for (size_t k = 0; k < f; k++)
        rb_putn(b, "`", 1);
}

/* s as one shell word: bare when it only holds safe characters, else in single quotes. */
static void rb_shell(rbuf *b, const char *s)
{
    int safe = *s != '\0' && *s != '-';
    for (const char *p = s; *p && safe; p++)
        safe = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
               strchr("._/-+@%=:,", *p) != NULL;
    if (safe) {
        rb_puts(b, s);
        return;
    }
    rb_puts(b, "'");
    for (const char *p = s; *p; p++) {
        if (*p == '\'')
            rb_puts(b, "'\\''");
        else if ((unsigned char)*p < 0x20)
            rb_puts(b, "?");
        else
            rb_putn(b, p, 1);
    }
    rb_puts(b, "'");
}

/* ---------------------------------------------------------------- the comment */

static const char *kind_text(const lq_conflict_path *p, const char *base)
{
    (void)base;
    switch (p->kind) {
    case LQ_CONFLICT_CONTENT:
        return p->binary ? "both sides changed this binary file; git cannot merge it line by line, "
                           "so keep one version or redo one side's change"
                         : "both sides changed the same lines";
    case LQ_CONFLICT_ADD_ADD:
        return p->binary ? "both sides added this binary file with different contents"
                         : "both sides added this file with different contents";
    case LQ_CONFLICT_MODIFY_DELETE:
        return p->deleted_on_base ? "deleted on the base branch, modified by this pull request"
                                  : "modified on the base branch, deleted by this pull request";
    case LQ_CONFLICT_RENAME:
        return "renamed on one side and renamed, deleted or changed differently on the other";
    case LQ_CONFLICT_OTHER:
        return "git cannot merge it (e.g. a file on one side and a directory on the other)";
    }
    return "";
}

static void rb_commit(rbuf *b, const lq_conflict_commit *c)
{
    rb_printf(b, "`%.12s`", c->sha);
    if (c->title && *c->title) {
        rb_puts(b, " ");
        rb_code(b, c->title, 100);
    }
    if (c->pr > 0 && lq_conflict_pr_from_title(c->title) != c->pr)
        rb_printf(b, " (#%d)", c->pr);
    else if (c->pr > 0)
        rb_printf(b, " (from #%d)", c->pr);
}

int lq_conflict_report_build(char **out, const lq_conflict_set *set,
                             const lq_conflict_report_opts *o, lq_error *err)
{
    *out = NULL;
    if (!set || !set->path_count || !set->paths)
        return lq_error_set(err, LQ_EINVAL, "conflict report: no conflicting paths");
    if (!o || !o->repo || !*o->repo || o->number <= 0 || !o->base || !*o->base || !o->label ||
        !*o->label)
        return lq_error_set(err, LQ_EINVAL, "conflict report: repo, number, base and label are "
                                            "required");
    for (size_t i = 0; i < set->path_count; i++)
        if (!set->paths[i].path)
            return lq_error_set(err, LQ_EINVAL, "conflict report: path %zu has no name", i);
    /* A fork's clone conventionally has origin = the fork and upstream = the base repository
     * (GitHub's "syncing a fork"): fetch the base from upstream, push the branch to origin. */
    int fork = o->fork && *o->fork;
    const char *remote = o->remote && *o->remote ? o->remote : fork ? "upstream" : "origin";
    const char *push_remote = o->remote && *o->remote ? o->remote : "origin";
    size_t max_paths = o->max_paths ? o->max_paths : 30;
    size_t max_commits = o->max_commits ? o->max_commits : 5;
    size_t total = set->paths_total > set->path_count ? set->paths_total : set->path_count;

    rbuf b = {0};
    rb_puts(&b, "**landq: merge conflict** with ");
    rb_code(&b, o->base, 200);
    rb_printf(&b, " (at `%.12s`)", set->base_sha);
    if (o->caused_by_pr > 0)
        rb_printf(&b, ", caused by #%d which just landed", o->caused_by_pr);
    rb_printf(&b, ": head commit `%.12s` no longer merges cleanly; %zu file%s conflict%s.",
              set->head_sha, total, total == 1 ? "" : "s", total == 1 ? "s" : "");
    if (o->label_removed) {
        rb_puts(&b, " I removed the ");
        rb_code(&b, o->label, 100);
        rb_puts(&b, " label.");
    }
    rb_puts(&b, "\n\n");

    for (size_t i = 0; i < set->path_count && i < max_paths; i++) {
        const lq_conflict_path *p = &set->paths[i];
        rb_puts(&b, "- ");
        if (p->base_path && strcmp(p->base_path, p->path)) {
            rb_code(&b, p->base_path, 300);
            rb_puts(&b, " (on ");
            rb_code(&b, o->base, 100);
            rb_puts(&b, ") / ");
            rb_code(&b, p->path, 300);
            rb_puts(&b, " (in this pull request)");
        } else {
            rb_code(&b, p->path, 300);
        }
        if (p->ancestor_path && strcmp(p->ancestor_path, p->path) &&
            (!p->base_path || strcmp(p->ancestor_path, p->base_path))) {
            rb_puts(&b, ", was ");
            rb_code(&b, p->ancestor_path, 300);
        }
        rb_printf(&b, " — **%s%s**: %s.", lq_conflict_kind_str(p->kind),
                  p->binary && p->kind != LQ_CONFLICT_CONTENT && p->kind != LQ_CONFLICT_ADD_ADD
                      ? ", binary" : p->binary ? " (binary)" : "",
                  kind_text(p, o->base));
        if (p->commit_count) {
            rb_puts(&b, " Changed on ");
            rb_code(&b, o->base, 100);
            rb_puts(&b, " since your branch point by: ");
            for (size_t k = 0; k < p->commit_count && k < max_commits; k++) {
                size_t ci = p->commits[k];
                if (ci >= set->commit_count)
                    continue;
                if (k)
                    rb_puts(&b, "; ");
                rb_commit(&b, &set->commits[ci]);
            }
            if (p->commit_count > max_commits)
                rb_printf(&b, "; and %zu older commit%s", p->commit_count - max_commits,
                          p->commit_count - max_commits == 1 ? "" : "s");
            rb_puts(&b, ".");
        } else if (set->merge_base_sha[0]) {
            rb_puts(&b, set->walk_truncated
                            ? " (The commits that changed it on the base are too far back to list.)"
                            : " (No commit on the base since your branch point changed it.)");
        }
        rb_puts(&b, "\n");
    }
    if (total > set->path_count || set->path_count > max_paths) {
        size_t shown = set->path_count < max_paths ? set->path_count : max_paths;
        rb_printf(&b, "- ... and %zu more file%s.\n", total - shown,
                  total - shown == 1 ? "" : "s");
    }
    if (!set->merge_base_sha[0])
        rb_puts(&b, "\nThe branch and the base have no common history (unrelated histories).\n");

    /* Pull requests involved, once each (GitHub links #N). */
    size_t listed = 0;
    for (size_t i = 0; i < set->commit_count; i++) {
        int pr = set->commits[i].pr, dup = 0;
        if (pr <= 0)
            continue;
        for (size_t k = 0; k < i && !dup; k++)
            dup = set->commits[k].pr == pr;
        if (dup)
            continue;
        rb_puts(&b, listed++ ? ", " : "\nPull requests on the base that touched these files: ");
        rb_printf(&b, "#%d", pr);
    }
    if (listed)
        rb_puts(&b, ".\n");

    const char *head = o->head_branch && *o->head_branch ? o->head_branch : NULL;
    rb_puts(&b, "\n**How to fix:** update the branch with ");
    rb_code(&b, o->base, 100);
    if (fork) {
        rb_puts(&b, " in your clone of the fork ");
        rb_code(&b, o->fork, 200);
        rb_printf(&b, " (`%s` below is ", remote);
        rb_code(&b, o->repo, 200);
        if (o->base_url && *o->base_url && !strpbrk(o->base_url, "` \t\r\n") && !o->remote) {
            rb_puts(&b, "; add it once with `git remote add upstream ");
            rb_shell(&b, o->base_url);
            rb_puts(&b, "`");
        }
        rb_puts(&b, "). Rebase onto it:\n\n```sh\n");
    } else {
        rb_puts(&b, " in your clone of ");
        rb_code(&b, o->repo, 200);
        rb_puts(&b, ". Rebase onto it:\n\n```sh\n");
    }
    rb_printf(&b, "git fetch %s && ", remote);
    if (head) {
        rb_puts(&b, "git checkout ");
        rb_shell(&b, head);
        rb_puts(&b, " && ");
    }
    rb_printf(&b, "git rebase %s/", remote);
    rb_shell(&b, o->base);
    rb_puts(&b, "\n# fix each file listed above, then: git add FILE... && git rebase --continue\n");
    rb_printf(&b, "git push --force-with-lease %s ", push_remote);
    rb_shell(&b, head ? head : "HEAD");
    rb_puts(&b, "\n```\n\nor merge it into your branch (no force push):\n\n```sh\n");
    rb_printf(&b, "git fetch %s && ", remote);
    if (head) {
        rb_puts(&b, "git checkout ");
        rb_shell(&b, head);
        rb_puts(&b, " && ");
    }
    rb_printf(&b, "git merge %s/", remote);
    rb_shell(&b, o->base);
    rb_puts(&b, "\n# fix each file listed above, then: git add FILE... && git commit\n");
    rb_printf(&b, "git push %s ", push_remote);
    rb_shell(&b, head ? head : "HEAD");
    rb_puts(&b, "\n```\n\n**Next step:** push the fix, then add the ");
    rb_code(&b, o->label, 100);
    rb_puts(&b, " label again: landq puts the pull request back in the queue");
    rb_puts(&b, " (approvals must be on the new head commit).\n");

    if (b.failed) {
        free(b.p);
        return lq_error_set(err, LQ_ENOMEM, "out of memory building the conflict report");
    }
    if (b.len > REPORT_MAX) { /* cannot happen with the caps above; stay under GitHub's limit */
        b.len = REPORT_MAX;
        while (b.len > 0 && ((unsigned char)b.p[b.len] & 0xC0) == 0x80)
            b.len--;
        b.p[b.len] = '\0';
    }
    *out = b.p;
    return LQ_OK;
}

/* Appends s to out (capacity cap), counting characters (UTF-8 code points) in *chars, stopping
 * before limit characters. Returns 0 when all of s fit. */
static int put_chars(char *out, size_t cap, size_t *len, size_t *chars, size_t limit,
                     const char *s)
{
    for (size_t i = 0; s[i];) {
        size_t n = 1;
        while (s[i + n] && ((unsigned char)s[i + n] & 0xC0) == 0x80)
            n++;
        if (*len + n + 1 > cap || *chars + 1 > limit)
            return -1;
        for (size_t k = 0; k < n; k++) {
            unsigned char c = (unsigned char)s[i + k];
            out[(*len)++] = c < 0x20 || c == 0x7f ? '?' : (char)c;
        }
        out[*len] = '\0';
        (*chars)++;
        i += n;
    }
    return 0;
}

void lq_conflict_report_summary(char *out, size_t cap, const lq_conflict_set *set,
                                const char *base)
{
    if (!cap)
        return;
    out[0] = '\0';
    size_t len = 0, chars = 0;
    size_t total = set ? (set->paths_total > set->path_count ? set->paths_total : set->path_count)
                       : 0;
    char tail[64];
    const lq_conflict_path *p = set && set->path_count ? &set->paths[0] : NULL;
    if (p && total > 1)
        snprintf(tail, sizeof tail, " (%s) and %zu more file%s", lq_conflict_kind_str(p->kind),
                 total - 1, total - 1 == 1 ? "" : "s");
    else if (p)
        snprintf(tail, sizeof tail, " (%s)", lq_conflict_kind_str(p->kind));
    else
        tail[0] = '\0';
    /* Keep room for the tail: the path is the part that gets cut. */
    size_t tail_chars = strlen(tail), limit = STATUS_MAX;
    put_chars(out, cap, &len, &chars, limit, "merge conflict with ");
    put_chars(out, cap, &len, &chars, limit, base && *base ? base : "the base");
    if (!p)
        return;
    put_chars(out, cap, &len, &chars, limit, ": ");
    size_t before = len;
    if (chars + tail_chars + 4 < limit &&
        put_chars(out, cap, &len, &chars, limit - tail_chars - 3, p->path) != 0 &&
        len > before)
        put_chars(out, cap, &len, &chars, limit - tail_chars, "...");
    put_chars(out, cap, &len, &chars, limit, tail);
}
