/* mh_route.h -- the REST routing table: matches "METHOD /path" against patterns such as
 * "/repos/{owner}/{repo}/pulls/{pull_number}" and "/repos/{owner}/{repo}/contents/{path*}".
 * Pure: no I/O. Path segments are percent-decoded before matching (octokit sends "%2F"). */
#ifndef MH_ROUTE_H
#define MH_ROUTE_H

#include <stddef.h>

#define MH_ROUTE_MAX_PARAMS 6

typedef struct {
    const char *method;  /* "GET", "POST", ... */
    const char *pattern; /* "/repos/{owner}/{repo}"; "{name*}" takes one or more segments (at most
                            one per pattern, anywhere: "/commits/{ref*}/status") */
    const char *name;    /* operation name for logs, e.g. "pulls/get" */
    int id;              /* caller's handler index */
    const char *doc;     /* documentation URL (GitHub's catalogue), or NULL */
    short nseg, rest;    /* segments and "has {name*}" when known (nseg > 0): a quick pre-check */
} mh_route;

typedef struct {
    const mh_route *route;
    int literals; /* literal segments of the matched pattern: the more, the more specific */
    size_t nparams;
    char name[MH_ROUTE_MAX_PARAMS][32];
    char *value[MH_ROUTE_MAX_PARAMS]; /* owned; decoded */
} mh_route_match;

enum { MH_ROUTE_OK = 0, MH_ROUTE_NOT_FOUND = -1, MH_ROUTE_BAD_METHOD = -2, MH_ROUTE_BAD_PATH = -3 };

/* Finds the most specific route whose method and pattern match: the one with the most literal
 * segments ("/pulls/comments" beats "/pulls/{pull_number}", "/commits/{ref*}/status" beats
 * "/commits/{ref*}"); among equals, the first in the table. `path` is the raw (still encoded) path
 * without the query string. On MH_ROUTE_OK, *out holds decoded params: release with
 * mh_route_match_dispose. MH_ROUTE_BAD_METHOD: the path matched some route with another method. */
int mh_route_find(const mh_route *table, size_t n, const char *method, const char *path,
                  mh_route_match *out);
void mh_route_match_dispose(mh_route_match *m);
/* Borrowed value of a parameter, or NULL. */
const char *mh_route_param(const mh_route_match *m, const char *name);

#endif
