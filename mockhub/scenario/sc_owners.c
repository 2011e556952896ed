/* sc_owners.c -- independent owner check for invariant 1 (see sc_owners.h). */
#include "sc_owners.h"

#include "codeowners.h"
#include "mh_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int cmp_ci(const void *a, const void *b)
{
    const char *x = json_string_value(*(json_t *const *)a), *y = json_string_value(*(json_t *const *)b);
    int c = strcasecmp(x, y);
    return c ? c : strcmp(x, y);
}

json_t *sc_approvers(const json_t *reviews, const char *author, const char *head_sha)
{
    json_t *latest = json_object(); /* lowercased login -> review */
    size_t i;
    json_t *r;
    json_array_foreach(reviews, i, r) {
        const char *state = json_string_value(json_object_get(r, "state"));
        const char *user = json_string_value(json_object_get(r, "user"));
        if (!state || !user || !*user)
            continue;
        if (strcmp(state, "APPROVED") && strcmp(state, "CHANGES_REQUESTED") && strcmp(state, "DISMISSED"))
            continue;
        char low[256];
        size_t k;
        for (k = 0; user[k] && k + 1 < sizeof low; k++)
            low[k] = (char)((user[k] >= 'A' && user[k] <= 'Z') ? user[k] + 32 : user[k]);
        low[k] = '\0';
        json_object_set(latest, low, r);
    }
    json_t *list = json_array();
    const char *key;
    json_object_foreach(latest, key, r) {
        const char *user = json_string_value(json_object_get(r, "user"));
        const char *commit = json_string_value(json_object_get(r, "commit_id"));
        if (!strcmp(json_string_value(json_object_get(r, "state")), "APPROVED") && commit && head_sha &&
            !strcmp(commit, head_sha) && !(author && mh_streq_ci(user, author)))
            json_array_append_new(list, json_string(user));
    }
    json_decref(latest);
    size_t n = json_array_size(list);
    json_t **items = calloc(n ? n : 1, sizeof *items);
    for (i = 0; i < n; i++)
        items[i] = json_incref(json_array_get(list, i));
    qsort(items, n, sizeof *items, cmp_ci);
    json_t *sorted = json_array();
    for (i = 0; i < n; i++)
        json_array_append_new(sorted, items[i]);
    free(items);
    json_decref(list);
    return sorted;
}

int sc_changes_requested(const json_t *reviews)
{
    json_t *latest = json_object();
    size_t i;
    json_t *r;
    json_array_foreach(reviews, i, r) {
        const char *state = json_string_value(json_object_get(r, "state"));
        const char *user = json_string_value(json_object_get(r, "user"));
        if (!state || !user || (strcmp(state, "APPROVED") && strcmp(state, "CHANGES_REQUESTED") &&
                                strcmp(state, "DISMISSED")))
            continue;
        char low[256];
        size_t k;
        for (k = 0; user[k] && k + 1 < sizeof low; k++)
            low[k] = (char)((user[k] >= 'A' && user[k] <= 'Z') ? user[k] + 32 : user[k]);
        low[k] = '\0';
        json_object_set_new(latest, low, json_string(state));
    }
    int cr = 0;
    const char *key;
    json_t *s;
    json_object_foreach(latest, key, s) cr |= !strcmp(json_string_value(s), "CHANGES_REQUESTED");
    json_decref(latest);
    return cr;
}

/* Does approver `login` satisfy owner `owner` ("@user", "@org/team", "mail@x")? */
static int satisfies(const json_t *world, const char *owner, const char *login)
{
    if (owner[0] == '@' && !strchr(owner, '/'))
        return mh_streq_ci(owner + 1, login);
    if (owner[0] == '@') {
        const char *slash = strchr(owner, '/');
        size_t olen = (size_t)(slash - owner - 1);
        size_t i, j, k;
        json_t *org, *team, *m;
        json_array_foreach(json_object_get(world, "orgs"), i, org) {
            const char *ol = json_string_value(json_object_get(org, "login"));
            if (!ol || strlen(ol) != olen || strncasecmp(ol, owner + 1, olen))
                continue;
            json_array_foreach(json_object_get(org, "teams"), j, team) {
                const char *slug = json_string_value(json_object_get(team, "slug"));
                if (!slug || !mh_streq_ci(slug, slash + 1))
                    continue;
                json_array_foreach(json_object_get(team, "members"), k, m) {
                    if (json_is_string(m) && mh_streq_ci(json_string_value(m), login))
                        return 1;
                }
            }
        }
        return 0;
    }
    size_t i;
    json_t *u;
    json_array_foreach(json_object_get(world, "users"), i, u) {
        const char *l = json_string_value(json_object_get(u, "login"));
        const char *e = json_string_value(json_object_get(u, "email"));
        if (l && e && mh_streq_ci(l, login) && mh_streq_ci(e, owner))
            return 1;
    }
    return 0;
}

static int path_ok(const lq_codeowners *co, const char *path, const json_t *approvers, const json_t *world,
                   char *why, size_t whylen)
{
    lq_codeowners_match m;
    if (lq_codeowners_match_path(co, NULL, path, strlen(path), &m) != LQ_OK) {
        snprintf(why, whylen, "out of memory matching %s", path);
        return -1;
    }
    if (!m.line || !m.owner_count)
        return 1;
    for (size_t o = 0; o < m.owner_count; o++) {
        size_t i;
        json_t *a;
        json_array_foreach(approvers, i, a) {
            if (satisfies(world, m.owners[o].name, json_string_value(a)))
                return 1;
        }
    }
    mh_buf b;
    mh_buf_init(&b);
    mh_buf_printf(&b, "%s needs one of", path);
    for (size_t o = 0; o < m.owner_count; o++)
        mh_buf_printf(&b, " %s", m.owners[o].name);
    mh_buf_printf(&b, " (CODEOWNERS line %u)", m.line);
    snprintf(why, whylen, "%s", b.ptr);
    mh_buf_dispose(&b);
    return 0;
}

int sc_owners_satisfied(const char *codeowners, size_t len, const json_t *files, const json_t *approvers,
                        const json_t *world, char *why, size_t whylen)
{
    if (!codeowners)
        return 1;
    lq_codeowners *co = NULL;
    lq_error err;
    if (lq_codeowners_parse(&co, codeowners, len, &err) != LQ_OK) {
        snprintf(why, whylen, "CODEOWNERS: %s", err.msg);
        return -1;
    }
    int rc = 1;
    size_t i;
    json_t *f;
    json_array_foreach(files, i, f) {
        const char *name = json_string_value(json_object_get(f, "filename"));
        const char *prev = json_string_value(json_object_get(f, "previous_filename"));
        if (name && (rc = path_ok(co, name, approvers, world, why, whylen)) != 1)
            break;
        if (prev && (rc = path_ok(co, prev, approvers, world, why, whylen)) != 1)
            break;
    }
    lq_codeowners_free(co);
    return rc;
}
