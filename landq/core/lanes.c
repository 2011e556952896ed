/* lanes.c -- lane assignment from CODEOWNERS or explicit areas (lanes.h). */
#include "lanes.h"

#include <ctype.h>
#include <strings.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_NAME 60

typedef struct {
    char *name;
    char **prefixes;
    size_t n;
} area;

struct lq_lanes {
    lq_lanes_mode mode;
    area *areas;
    size_t nareas;
    char **catch_all;
    size_t ncatch;
};

static int name_ok(const char *s, size_t n)
{
    if (n == 0 || n > MAX_NAME || s[0] == '.' || s[0] == '-')
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '.' && s[i] != '_' && s[i] != '-')
            return 0;
    return !(n >= 5 && !memcmp(s + n - 5, ".lock", 5)) && !strstr(s, "..");
}

/* A prefix as written ("infra/", "/infra", "tools/build.sh"): leading '/' dropped; no "..". */
static char *prefix_norm(const char *p, size_t n)
{
    while (n && *p == '/') {
        p++;
        n--;
    }
    if (!n)
        return NULL;
    char *s = malloc(n + 1);
    if (!s)
        return NULL;
    memcpy(s, p, n);
    s[n] = '\0';
    if (strstr(s, "..") || strstr(s, "//") || strchr(s, '*')) {
        free(s);
        return NULL;
    }
    return s;
}

void lq_lanes_free(lq_lanes *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->nareas; i++) {
        free(l->areas[i].name);
        for (size_t k = 0; k < l->areas[i].n; k++)
            free(l->areas[i].prefixes[k]);
        free(l->areas[i].prefixes);
    }
    for (size_t i = 0; i < l->ncatch; i++)
        free(l->catch_all[i]);
    free(l->catch_all);
    free(l->areas);
    free(l);
}

lq_lanes_mode lq_lanes_get_mode(const lq_lanes *l)
{
    return l->mode;
}

static int add_prefix(char ***list, size_t *n, char *p)
{
    char **x = realloc(*list, (*n + 1) * sizeof *x);
    if (!x) {
        free(p);
        return -1;
    }
    *list = x;
    x[(*n)++] = p;
    return 0;
}

static int parse_area(lq_lanes *l, const char *spec, lq_error *err)
{
    const char *colon = strchr(spec, ':');
    if (!colon)
        return lq_error_set(err, LQ_EINVAL, "lane \"%.200s\": expected NAME: PREFIX [PREFIX...]", spec);
    const char *ns = spec, *ne = colon;
    while (ns < ne && isspace((unsigned char)*ns))
        ns++;
    while (ne > ns && isspace((unsigned char)ne[-1]))
        ne--;
    if (!name_ok(ns, (size_t)(ne - ns)))
        return lq_error_set(err, LQ_EINVAL,
                            "lane \"%.200s\": the name must be 1..%d of [A-Za-z0-9._-] (it is part of branch names)",
                            spec, MAX_NAME);
    for (size_t i = 0; i < l->nareas; i++)
        if (strlen(l->areas[i].name) == (size_t)(ne - ns) && !memcmp(l->areas[i].name, ns, (size_t)(ne - ns)))
            return lq_error_set(err, LQ_EINVAL, "lane \"%.*s\" is defined twice", (int)(ne - ns), ns);
    area *a = realloc(l->areas, (l->nareas + 1) * sizeof *a);
    if (!a)
        return lq_error_set(err, LQ_ENOMEM, "out of memory");
    l->areas = a;
    area *ar = &l->areas[l->nareas++];
    memset(ar, 0, sizeof *ar);
    if (!(ar->name = strndup(ns, (size_t)(ne - ns))))
        return lq_error_set(err, LQ_ENOMEM, "out of memory");
    const char *p = colon + 1;
    while (*p) {
        while (isspace((unsigned char)*p) || *p == ',')
            p++;
        const char *s = p;
        while (*p && !isspace((unsigned char)*p) && *p != ',')
            p++;
        if (p == s)
            break;
        char *pre = prefix_norm(s, (size_t)(p - s));
        if (!pre)
            return lq_error_set(err, LQ_EINVAL, "lane \"%s\": bad path prefix \"%.*s\" (relative, no .., no *)",
                                ar->name, (int)(p - s), s);
        if (add_prefix(&ar->prefixes, &ar->n, pre) < 0)
            return lq_error_set(err, LQ_ENOMEM, "out of memory");
    }
    if (!ar->n)
        return lq_error_set(err, LQ_EINVAL, "lane \"%s\": no path prefix", ar->name);
    return LQ_OK;
}

int lq_lanes_new(lq_lanes **out, const char *mode, const char *const *areas, size_t nareas,
                 const char *const *catch_all, size_t ncatch, lq_error *err)
{
    *out = NULL;
    lq_lanes *l = calloc(1, sizeof *l);
    if (!l)
        return lq_error_set(err, LQ_ENOMEM, "out of memory");
    int rc = LQ_OK;
    if (!mode || !strcmp(mode, "single"))
        l->mode = LQ_LANES_SINGLE;
    else if (!strcmp(mode, "codeowners"))
        l->mode = LQ_LANES_CODEOWNERS;
    else if (!strcmp(mode, "paths"))
        l->mode = LQ_LANES_PATHS;
    else
        rc = lq_error_set(err, LQ_EINVAL, "lanes must be single, codeowners or paths, not \"%.100s\"", mode);
    if (!rc && l->mode != LQ_LANES_PATHS && nareas)
        rc = lq_error_set(err, LQ_EINVAL, "lane areas are only used with lanes = paths");
    if (!rc && l->mode == LQ_LANES_PATHS && !nareas)
        rc = lq_error_set(err, LQ_EINVAL, "lanes = paths needs at least one `lane = NAME: PREFIX...`");
    for (size_t i = 0; !rc && i < nareas; i++)
        rc = parse_area(l, areas[i] ? areas[i] : "", err);
    for (size_t i = 0; !rc && i < ncatch; i++) {
        const char *c = catch_all[i] ? catch_all[i] : "";
        char *pre = prefix_norm(c, strlen(c));
        if (!pre)
            rc = lq_error_set(err, LQ_EINVAL, "lane_catch_all: bad path prefix \"%.200s\"", c);
        else if (add_prefix(&l->catch_all, &l->ncatch, pre) < 0)
            rc = lq_error_set(err, LQ_ENOMEM, "out of memory");
    }
    if (rc) {
        lq_lanes_free(l);
        return rc;
    }
    *out = l;
    return LQ_OK;
}

/* "infra/" matches infra/x; "tools/build.sh" matches itself (and tools/build.sh/...). */
static size_t prefix_match(const char *prefix, const char *path)
{
    size_t n = strlen(prefix);
    if (strncmp(prefix, path, n))
        return 0;
    if (prefix[n - 1] == '/' || path[n] == '\0' || path[n] == '/')
        return n;
    return 0;
}

void lq_lanes_owner_name(const lq_owner *owners, size_t n, char *buf, size_t len)
{
    if (!n) {
        snprintf(buf, len, "unowned");
        return;
    }
    /* sorted case-insensitively, so that the same set always gives the same name */
    const lq_owner *sorted[64];
    size_t m = n < 64 ? n : 64;
    for (size_t i = 0; i < m; i++) {
        size_t k = i;
        while (k > 0 && strcasecmp(sorted[k - 1]->name, owners[i].name) > 0) {
            sorted[k] = sorted[k - 1];
            k--;
        }
        sorted[k] = &owners[i];
    }
    char tmp[1024];
    size_t o = 0;
    for (size_t i = 0; i < m && o + 2 < sizeof tmp; i++) {
        if (i)
            tmp[o++] = '_';
        for (const char *p = sorted[i]->name; *p && o + 4 < sizeof tmp; p++) {
            char c = *p;
            if (c == '@' && p == sorted[i]->name)
                continue;
            if (c == '@') {
                memcpy(tmp + o, "-at-", 4);
                o += 4;
                continue;
            }
            tmp[o++] = isalnum((unsigned char)c) || c == '.' || c == '-' ? (char)tolower((unsigned char)c) : '-';
        }
    }
    tmp[o] = '\0';
    if (o == 0 || o > MAX_NAME || !name_ok(tmp, o)) {
        uint64_t h = 1469598103934665603ull;
        for (size_t i = 0; i < o; i++)
            h = (h ^ (unsigned char)tmp[i]) * 1099511628211ull;
        snprintf(buf, len, "owners-%08llx", (unsigned long long)(h & 0xffffffffull));
        return;
    }
    snprintf(buf, len, "%s", tmp);
}

static int add_name(char ***names, size_t *count, const char *name)
{
    size_t k = 0;
    while (k < *count && strcmp((*names)[k], name) < 0)
        k++;
    if (k < *count && !strcmp((*names)[k], name))
        return 0;
    char **x = realloc(*names, (*count + 1) * sizeof *x);
    if (!x)
        return -1;
    *names = x;
    char *s = strdup(name);
    if (!s)
        return -1;
    memmove(x + k + 1, x + k, (*count - k) * sizeof *x);
    x[k] = s;
    (*count)++;
    return 0;
}

void lq_lanes_names_free(char **names, size_t count)
{
    for (size_t i = 0; i < count; i++)
        free(names[i]);
    free(names);
}

int lq_lanes_of(const lq_lanes *l, const lq_codeowners *co, const char *const *paths, size_t n, char ***names,
                size_t *count, int *all, lq_error *err)
{
    *names = NULL;
    *count = 0;
    *all = 0;
    lq_codeowners_cache *cache = NULL;
    if (l->mode == LQ_LANES_CODEOWNERS && co && n > 16 && lq_codeowners_cache_new(&cache, co))
        cache = NULL;
    int rc = LQ_OK;
    for (size_t i = 0; !rc && i < n; i++) {
        const char *p = paths[i] ? paths[i] : "";
        int caught = 0;
        for (size_t k = 0; k < l->ncatch && !caught; k++)
            caught = prefix_match(l->catch_all[k], p) > 0;
        if (caught) {
            *all = 1;
            continue;
        }
        char name[128] = "default";
        if (l->mode == LQ_LANES_PATHS) {
            size_t best = 0;
            for (size_t a = 0; a < l->nareas; a++)
                for (size_t k = 0; k < l->areas[a].n; k++) {
                    size_t m = prefix_match(l->areas[a].prefixes[k], p);
                    if (m > best) {
                        best = m;
                        snprintf(name, sizeof name, "%s", l->areas[a].name);
                    }
                }
        } else if (l->mode == LQ_LANES_CODEOWNERS) {
            lq_codeowners_match m = {0, 0, NULL};
            if (co && lq_codeowners_match_path(co, cache, p, strlen(p), &m)) {
                rc = lq_error_set(err, LQ_ENOMEM, "out of memory matching CODEOWNERS");
                break;
            }
            lq_lanes_owner_name(m.owners, m.owner_count, name, sizeof name);
        }
        if (add_name(names, count, name) < 0)
            rc = lq_error_set(err, LQ_ENOMEM, "out of memory");
    }
    if (!rc && !*all && *count == 0 && add_name(names, count, "default") < 0)
        rc = lq_error_set(err, LQ_ENOMEM, "out of memory");
    lq_codeowners_cache_free(cache);
    if (rc) {
        lq_lanes_names_free(*names, *count);
        *names = NULL;
        *count = 0;
    }
    return rc;
}
