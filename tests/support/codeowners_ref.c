#include "codeowners_ref.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#define MAXSEG 256

/* Splits s at '/' (unescaped '/' when escapes is set: patterns, not paths) into segs
 * (pointers into the writable copy s). */
static int split(char *s, char **segs, int escapes)
{
    int n = 0;
    char *start = s;
    for (char *p = s;; p++) {
        if (escapes && *p == '\\' && p[1]) {
            p++;
            continue;
        }
        if (*p == '/' || *p == '\0') {
            int end = *p == '\0';
            *p = '\0';
            if (n == MAXSEG)
                return -1;
            segs[n++] = start;
            start = p + 1;
            if (end)
                break;
        }
    }
    return n;
}

/* Does pattern segments ps[0..pn) match exactly path segments xs[0..xn)? */
static int segs_match(char **ps, int pn, char **xs, int xn)
{
    if (pn == 0)
        return xn == 0;
    if (!strcmp(ps[0], "**")) {
        int min = pn == 1 ? 1 : 0; /* a trailing ** needs at least one segment */
        for (int k = min; k <= xn; k++)
            if (segs_match(ps + 1, pn - 1, xs + k, xn - k))
                return 1;
        return 0;
    }
    if (xn == 0)
        return 0;
    if (fnmatch(ps[0], xs[0], 0) != 0)
        return 0;
    return segs_match(ps + 1, pn - 1, xs + 1, xn - 1);
}

int ref_pattern_matches(const char *pattern, const char *path)
{
    char *p = strdup(pattern), *x = strdup(path);
    char *psegs[MAXSEG + 1], *xsegs[MAXSEG];
    int result = 0;
    size_t n = strlen(p);
    int dir_only = n > 0 && p[n - 1] == '/' && !(n > 1 && p[n - 2] == '\\');
    if (dir_only)
        p[--n] = '\0';
    int anchored = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '\\') {
            i++;
            continue;
        }
        if (p[i] == '/')
            anchored = 1;
    }
    char *body = p[0] == '/' ? p + 1 : p;
    int pn = split(body, psegs + 1, 1);
    int xn = split(x, xsegs, 0);
    if (pn <= 0 || xn <= 0)
        goto out;
    char **ps = psegs + 1;
    if (!anchored) {
        psegs[0] = "**";
        ps = psegs;
        pn++;
    }
    int last_starstar = !strcmp(ps[pn - 1], "**");
    int last_star = !strcmp(ps[pn - 1], "*") && (anchored || pn > 2);
    for (int m = 1; m <= xn && !result; m++) {
        int full = m == xn;
        if (full && dir_only && !last_starstar)
            continue; /* a directory pattern never names the file itself */
        if (!full && last_star && !dir_only)
            continue; /* trailing slash-star: only files directly inside */
        result = segs_match(ps, pn, xsegs, m);
    }
out:
    free(p);
    free(x);
    return result;
}

long ref_match(const lq_codeowners *co, const char *path)
{
    while (*path == '/')
        path++;
    for (size_t i = lq_codeowners_rule_count(co); i-- > 0;) {
        unsigned line;
        const char *pattern;
        lq_codeowners_rule_at(co, i, &line, &pattern);
        if (ref_pattern_matches(pattern, path))
            return (long)i;
    }
    return -1;
}
