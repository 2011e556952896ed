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

static void clear_match(mh_route_match *m)
{
    for (size_t i = 0; i < m->nparams; i++) {
        free(m->value[i]);
        m->value[i] = NULL;
    }
    m->nparams = 0;
}

/* Segments left in a pattern from p (which starts a segment). */
static int count_segments(const char *p)
{
    int n = 1;
    for (; *p; p++)
        n += *p == '/';
    return n;
}

/* Matches decoded segments against one pattern, walking both at once so that most patterns fail
 * on their first differing literal. A "{name*}" segment takes as many segments (at least one, the
 * first non-empty) as the segments after it leave. Returns 1 and fills m (params decoded and
 * owned) on a match, 0 otherwise (m is then empty). */
static int match_one(const char *pattern, char **segs, int nsegs, mh_route_match *m)
{
    struct {
        const char *name;
        size_t nlen;
        int first, last;
    } par[MH_ROUTE_MAX_PARAMS];
    size_t np = 0;
    int literals = 0, si = 0;
    const char *p = pattern + (pattern[0] == '/');
    memset(m, 0, sizeof *m);
    while (*p) {
        const char *e = strchr(p, '/');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (si >= nsegs)
            return 0;
        if (len >= 3 && p[0] == '{' && p[len - 1] == '}') {
            int star = len >= 4 && p[len - 2] == '*';
            if (np == MH_ROUTE_MAX_PARAMS || segs[si][0] == '\0')
                return 0;
            int take = 1;
            if (star) {
                take = nsegs - si - (e ? count_segments(e + 1) : 0);
                if (take < 1)
                    return 0;
            }
            par[np].name = p + 1;
            par[np].nlen = len - 2 - (size_t)star;
            par[np].first = si;
            par[np].last = si + take - 1;
            if (par[np].nlen >= sizeof m->name[0])
                return 0;
            np++;
            si += take;
        } else {
            if (strlen(segs[si]) != len || memcmp(segs[si], p, len) != 0)
                return 0;
            literals++;
            si++;
        }
        if (!e)
            break;
        p = e + 1;
    }
    if (si != nsegs)
        return 0;
    m->literals = literals;
    for (size_t i = 0; i < np; i++) {
        memcpy(m->name[i], par[i].name, par[i].nlen);
        m->name[i][par[i].nlen] = '\0';
        mh_buf b;
        mh_buf_init(&b);
        for (int k = par[i].first; k <= par[i].last; k++) {
            if (k > par[i].first)
                mh_buf_puts(&b, "/");
            mh_buf_puts(&b, segs[k]);
        }
        m->value[i] = mh_buf_take(&b);
        m->nparams = i + 1;
        if (!m->value[i]) {
            clear_match(m);
            return 0;
        }
    }
    return 1;
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
        /* another method can only turn "not found" into "bad method": skip it once either is known */
        if (rc != MH_ROUTE_NOT_FOUND && strcmp(table[i].method, method) != 0)
            continue;
        if (table[i].nseg > 0 && (table[i].rest ? table[i].nseg > nsegs : table[i].nseg != nsegs))
            continue;
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
