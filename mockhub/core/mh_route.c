/* mh_route.c -- REST routing table matcher (see mh_route.h). */
#include "mh_route.h"
#include "mh_util.h"

#include <stdlib.h>
#include <string.h>

#define MAX_SEGS 64

/* Splits the raw path into decoded segments. Returns count or -1 (bad escape / too deep). */
static int split_path(const char *path, char **segs)
{
    int n = 0;
    const char *p = path;
    if (*p == '/')
        p++;
    while (*p) {
        const char *e = strchr(p, '/');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (n == MAX_SEGS)
            goto fail;
        segs[n] = mh_url_decode(p, len, 0);
        if (!segs[n])
            goto fail;
        n++;
        if (!e)
            break;
        p = e + 1;
        if (!*p) { /* trailing slash: an empty last segment */
            if (n == MAX_SEGS)
                goto fail;
            segs[n] = calloc(1, 1);
            if (!segs[n])
                goto fail;
            n++;
        }
    }
    return n;
fail:
    for (int i = 0; i < n; i++)
        free(segs[i]);
    return -1;
}

/* Splits a pattern into segments (pointers into it, with lengths). Returns the count or -1. */
static int split_pattern(const char *pattern, const char **seg, size_t *len)
{
    int n = 0;
    const char *p = pattern + (pattern[0] == '/');
    while (*p) {
        if (n == MAX_SEGS)
            return -1;
        const char *e = strchr(p, '/');
        seg[n] = p;
        len[n] = e ? (size_t)(e - p) : strlen(p);
        n++;
        if (!e)
            break;
        p = e + 1;
    }
    return n;
}

static int is_param(const char *seg, size_t len)
{
    return len >= 3 && seg[0] == '{' && seg[len - 1] == '}';
}

static int is_rest(const char *seg, size_t len)
{
    return len >= 4 && is_param(seg, len) && seg[len - 2] == '*';
}

static void clear_match(mh_route_match *m)
{
    for (size_t i = 0; i < m->nparams; i++) {
        free(m->value[i]);
        m->value[i] = NULL;
    }
    m->nparams = 0;
}

/* Matches decoded segments against one pattern; fills m (params decoded and owned) on success.
 * A "{name*}" segment takes as many segments (at least one, the first non-empty) as the segments
 * after it leave. Returns 1 on a match, 0 otherwise (m is then empty). */
static int match_one(const char *pattern, char **segs, int nsegs, mh_route_match *m)
{
    const char *pseg[MAX_SEGS];
    size_t plen[MAX_SEGS];
    memset(m, 0, sizeof *m);
    int np = split_pattern(pattern, pseg, plen);
    if (np < 0)
        return 0;
    int rest = -1;
    for (int i = 0; i < np; i++)
        if (is_rest(pseg[i], plen[i]))
            rest = i;
    if (rest < 0 ? nsegs != np : nsegs < np)
        return 0;
    int extra = rest < 0 ? 0 : nsegs - np; /* segments the wildcard takes beyond its first */
    for (int i = 0, si = 0; i < np; i++) {
        const char *p = pseg[i];
        size_t len = plen[i];
        if (!is_param(p, len)) {
            if (strlen(segs[si]) != len || memcmp(segs[si], p, len) != 0)
                goto no;
            m->literals++;
            si++;
            continue;
        }
        int star = i == rest;
        size_t nlen = len - 2 - (size_t)star;
        if (m->nparams == MH_ROUTE_MAX_PARAMS || nlen >= sizeof m->name[0] || segs[si][0] == '\0')
            goto no;
        memcpy(m->name[m->nparams], p + 1, nlen);
        m->name[m->nparams][nlen] = '\0';
        if (star) {
            mh_buf b;
            mh_buf_init(&b);
            for (int k = si; k <= si + extra; k++) {
                if (k > si)
                    mh_buf_puts(&b, "/");
                mh_buf_puts(&b, segs[k]);
            }
            m->value[m->nparams++] = mh_buf_take(&b);
            si += extra + 1;
        } else {
            m->value[m->nparams++] = strdup(segs[si]);
            si++;
        }
        if (!m->value[m->nparams - 1])
            goto no;
    }
    return 1;
no:
    clear_match(m);
    return 0;
}

int mh_route_find(const mh_route *table, size_t n, const char *method, const char *path,
                  mh_route_match *out)
{
    char *segs[MAX_SEGS];
    memset(out, 0, sizeof *out);
    int nsegs = split_path(path, segs);
    if (nsegs < 0)
        return MH_ROUTE_BAD_PATH;
    int rc = MH_ROUTE_NOT_FOUND;
    for (size_t i = 0; i < n; i++) {
        mh_route_match m;
        if (!match_one(table[i].pattern, segs, nsegs, &m))
            continue;
        if (strcmp(table[i].method, method) != 0) {
            clear_match(&m);
            if (rc != MH_ROUTE_OK)
                rc = MH_ROUTE_BAD_METHOD;
            continue;
        }
        if (rc == MH_ROUTE_OK && m.literals <= out->literals) {
            clear_match(&m);
            continue;
        }
        clear_match(out);
        m.route = &table[i];
        *out = m;
        rc = MH_ROUTE_OK;
    }
    for (int i = 0; i < nsegs; i++)
        free(segs[i]);
    return rc;
}

void mh_route_match_dispose(mh_route_match *m)
{
    clear_match(m);
}

const char *mh_route_param(const mh_route_match *m, const char *name)
{
    for (size_t i = 0; i < m->nparams; i++)
        if (strcmp(m->name[i], name) == 0)
            return m->value[i];
    return NULL;
}
