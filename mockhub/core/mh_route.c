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

static int match_one(const char *pattern, char **segs, int nsegs, mh_route_match *m)
{
    const char *p = pattern;
    int si = 0;
    m->nparams = 0;
    if (*p == '/')
        p++;
    while (*p) {
        const char *e = strchr(p, '/');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len >= 2 && p[0] == '{' && p[len - 1] == '}') {
            int rest = len >= 3 && p[len - 2] == '*';
            size_t nlen = len - 2 - (size_t)rest;
            if (m->nparams == MH_ROUTE_MAX_PARAMS || nlen >= sizeof m->name[0])
                return 0;
            if (si >= nsegs || segs[si][0] == '\0')
                return 0;
            memcpy(m->name[m->nparams], p + 1, nlen);
            m->name[m->nparams][nlen] = '\0';
            if (rest) {
                if (e) /* "{x*}" must be last */
                    return 0;
                mh_buf b;
                mh_buf_init(&b);
                for (int k = si; k < nsegs; k++) {
                    if (k > si)
                        mh_buf_puts(&b, "/");
                    mh_buf_puts(&b, segs[k]);
                }
                m->value[m->nparams++] = mh_buf_take(&b);
                si = nsegs;
                return 1;
            }
            m->value[m->nparams++] = NULL; /* filled in on success */
            si++;
        } else {
            if (si >= nsegs || strlen(segs[si]) != len || memcmp(segs[si], p, len) != 0)
                return 0;
            si++;
        }
        if (!e)
            break;
        p = e + 1;
    }
    return si == nsegs;
}

static void clear_match(mh_route_match *m)
{
    for (size_t i = 0; i < m->nparams; i++) {
        free(m->value[i]);
        m->value[i] = NULL;
    }
    m->nparams = 0;
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
        memset(&m, 0, sizeof m);
        if (!match_one(table[i].pattern, segs, nsegs, &m)) {
            clear_match(&m);
            continue;
        }
        if (strcmp(table[i].method, method) != 0) {
            clear_match(&m);
            rc = MH_ROUTE_BAD_METHOD;
            continue;
        }
        /* fill the single-segment params by walking the pattern again */
        const char *p = table[i].pattern + (table[i].pattern[0] == '/');
        int si = 0;
        size_t pi = 0;
        while (*p) {
            const char *e = strchr(p, '/');
            if (p[0] == '{') {
                if (!m.value[pi])
                    m.value[pi] = strdup(segs[si]);
                pi++;
            }
            si++;
            if (!e)
                break;
            p = e + 1;
        }
        m.route = &table[i];
        *out = m;
        rc = MH_ROUTE_OK;
        break;
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
