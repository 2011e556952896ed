/* message.c -- the squash commit message: cleaned pull request body + Approved-by trailers. */
#include "message.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A growable string; cap keeps a hostile body from growing without bound (GitHub caps bodies at
 * 65536 characters, so 1 MiB is generous). */
#define MESSAGE_MAX ((size_t)1 << 20)

typedef struct sbuf {
    char *p;
    size_t len, cap;
} sbuf;

static int sbuf_add(sbuf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > MESSAGE_MAX)
        return LQ_ETOOBIG;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p)
            return LQ_ENOMEM;
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
    return LQ_OK;
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

int lq_message_is_trailer(const char *line, size_t len)
{
    static const char token[] = "Approved-by";
    size_t i = 0, n = sizeof token - 1;
    while (i < len && (line[i] == ' ' || line[i] == '\t'))
        i++;
    if (len - i < n || strncasecmp(line + i, token, n))
        return 0;
    for (i += n; i < len && (line[i] == ' ' || line[i] == '\t'); i++)
        ;
    return i < len && line[i] == ':';
}

/* Only landq writes Approved-by trailers: a body line that a trailer parser (git
 * interpret-trailers, a grep for "^Approved-by:", a reader) could take for one is quoted with
 * "> " (docs/decisions.md, "Forged trailers"). */
static int quote_forged_trailers(sbuf *b)
{
    size_t forged = 0;
    for (size_t i = 0; i < b->len;) {
        size_t e = i;
        while (e < b->len && b->p[e] != '\n')
            e++;
        forged += lq_message_is_trailer(b->p + i, e - i);
        i = e + 1;
    }
    if (!forged)
        return LQ_OK;
    sbuf q = {0};
    int rc = LQ_OK;
    for (size_t i = 0; !rc && i < b->len;) {
        size_t e = i;
        while (e < b->len && b->p[e] != '\n')
            e++;
        if (lq_message_is_trailer(b->p + i, e - i))
            rc = sbuf_add(&q, "> ", 2);
        if (!rc)
            rc = sbuf_add(&q, b->p + i, e - i + (e < b->len));
        i = e + 1;
    }
    if (rc) {
        free(q.p);
        return rc;
    }
    free(b->p);
    *b = q;
    return LQ_OK;
}

int lq_message_clean_body(char **out, const char *body, lq_error *err)
{
    *out = NULL;
    sbuf b = {0};
    int rc = sbuf_add(&b, "", 0);
    if (rc)
        return lq_error_set(err, rc, "out of memory building the commit message");
    if (!body)
        body = "";
    int in_comment = 0;
    const char *p = body;
    while (*p) {
        /* One input line: [p, eol). */
        const char *eol = strchr(p, '\n');
        if (!eol)
            eol = p + strlen(p);
        size_t line_start = b.len;
        int had_comment = in_comment;
        const char *q = p;
        while (q < eol) {
            if (in_comment) {
                const char *end = NULL;
                for (const char *s = q; s + 2 < eol; s++)
                    if (s[0] == '-' && s[1] == '-' && s[2] == '>') {
                        end = s;
                        break;
                    }
                if (!end) {
                    q = eol;
                } else {
                    q = end + 3;
                    in_comment = 0;
                }
                continue;
            }
            if (eol - q >= 4 && !memcmp(q, "<!--", 4)) {
                in_comment = 1;
                had_comment = 1;
                q += 4;
                continue;
            }
            /* Copy up to the next possible comment start. */
            const char *next = q + 1;
            while (next < eol && *next != '<')
                next++;
            if ((rc = sbuf_add(&b, q, (size_t)(next - q))))
                goto fail;
            q = next;
        }
        /* Trim trailing white space of the line (CR of CRLF included). */
        while (b.len > line_start && is_space(b.p[b.len - 1]))
            b.len--;
        b.p[b.len] = '\0';
        /* A line that held only a comment disappears instead of leaving a blank line. */
        int keep = !(had_comment && b.len == line_start);
        if (keep && (rc = sbuf_add(&b, "\n", 1)))
            goto fail;
        p = *eol ? eol + 1 : eol;
    }
    /* Trailing blank lines/white space. */
    while (b.len > 0 && (is_space(b.p[b.len - 1]) || b.p[b.len - 1] == '\n'))
        b.len--;
    b.p[b.len] = '\0';
    /* Leading blank lines (not leading spaces of the first text line: indentation may matter). */
    size_t skip = 0, i = 0;
    while (i < b.len) {
        size_t j = i;
        while (j < b.len && is_space(b.p[j]))
            j++;
        if (j < b.len && b.p[j] == '\n') {
            i = j + 1;
            skip = i;
        } else {
            break;
        }
    }
    if (skip) {
        memmove(b.p, b.p + skip, b.len - skip + 1);
        b.len -= skip;
    }
    if ((rc = quote_forged_trailers(&b)))
        goto fail;
    *out = b.p;
    return LQ_OK;
fail:
    free(b.p);
    return lq_error_set(err, rc, rc == LQ_ETOOBIG ? "pull request body is too long (over 1 MiB)"
                                                  : "out of memory building the commit message");
}

static int cmp_login(const void *a, const void *b)
{
    const char *x = *(const char *const *)a, *y = *(const char *const *)b;
    int c = strcasecmp(x, y);
    return c ? c : strcmp(x, y);
}

int lq_message_build(char **out, const char *body, const char *const *approvers, size_t count,
                     lq_error *err)
{
    *out = NULL;
    for (size_t i = 0; i < count; i++) {
        if (!approvers[i] || !approvers[i][0])
            return lq_error_set(err, LQ_EINVAL, "approver %zu has no login", i);
        /* A login never holds white space or control characters; one that does could forge
         * extra trailers, so refuse it. */
        for (const unsigned char *c = (const unsigned char *)approvers[i]; *c; c++)
            if (*c <= ' ' || *c == 0x7f)
                return lq_error_set(err, LQ_EINVAL, "approver %zu: invalid login", i);
    }
    char *clean = NULL;
    int rc = lq_message_clean_body(&clean, body, err);
    if (rc)
        return rc;
    const char **sorted = NULL;
    if (count) {
        sorted = malloc(count * sizeof(*sorted));
        if (!sorted) {
            free(clean);
            return lq_error_set(err, LQ_ENOMEM, "out of memory building the commit message");
        }
        memcpy(sorted, approvers, count * sizeof(*sorted));
        qsort(sorted, count, sizeof(*sorted), cmp_login);
    }
    sbuf b = {0};
    rc = sbuf_add(&b, clean, strlen(clean));
    for (size_t i = 0; !rc && i < count; i++) {
        if (i > 0 && !strcasecmp(sorted[i], sorted[i - 1]))
            continue; /* same person twice */
        if (b.len > 0)
            rc = sbuf_add(&b, i == 0 ? "\n\n" : "\n", i == 0 ? 2 : 1);
        if (!rc)
            rc = sbuf_add(&b, "Approved-by: ", 13);
        if (!rc)
            rc = sbuf_add(&b, sorted[i], strlen(sorted[i]));
    }
    free(sorted);
    free(clean);
    if (rc) {
        free(b.p);
        return lq_error_set(err, rc, "commit message too long or out of memory");
    }
    if (!b.p) {
        b.p = calloc(1, 1);
        if (!b.p)
            return lq_error_set(err, LQ_ENOMEM, "out of memory building the commit message");
    }
    *out = b.p;
    return LQ_OK;
}
