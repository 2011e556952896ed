/* sc_owners.c -- independent owner check for invariant 1 (see sc_owners.h). */
#include "sc_owners.h"

#include "codeowners.h"
#include "codeowners_ref.h"
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

/* The owners written on line `line` of the CODEOWNERS text: the tokens after the pattern
 * (escaped blanks belong to the pattern), up to a comment. New reference (array of strings). */
static json_t *owners_on_line(const char *text, size_t len, unsigned line)
{
    json_t *owners = json_array();
    const char *p = text, *end = text + len;
    for (unsigned l = 1; l < line && p < end; l++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        p = nl ? nl + 1 : end;
    }
    const char *eol = memchr(p, '\n', (size_t)(end - p));
    eol = eol ? eol : end;
    while (p < eol && (*p == ' ' || *p == '\t'))
        p++;
    while (p < eol && *p != ' ' && *p != '\t' && *p != '\r') /* the pattern */
        p += *p == '\\' && p + 1 < eol ? 2 : 1;
    while (p < eol) {
        while (p < eol && (*p == ' ' || *p == '\t' || *p == '\r'))
            p++;
        if (p >= eol || *p == '#')
            break;
        const char *t = p;
        while (p < eol && *p != ' ' && *p != '\t' && *p != '\r')
            p++;
        json_array_append_new(owners, json_stringn(t, (size_t)(p - t)));
    }
    return owners;
}

static int path_ok(const lq_codeowners *co, const char *text, size_t len, const char *path,
                   const json_t *approvers, const json_t *world, char *why, size_t whylen)
{
    long rule = ref_match(co, path);
    unsigned line = 0;
    const char *pattern = NULL;
    if (rule < 0 || lq_codeowners_rule_at(co, (size_t)rule, &line, &pattern) != LQ_OK)
        return 1; /* no rule: nobody owns it */
    json_t *owners = owners_on_line(text, len, line);
    int ok = json_array_size(owners) == 0; /* a rule without owners: unowned */
    size_t o, i;
    json_t *ow, *a;
    json_array_foreach(owners, o, ow) {
        json_array_foreach(approvers, i, a) {
            if (!ok && satisfies(world, json_string_value(ow), json_string_value(a)))
                ok = 1;
        }
    }
    if (!ok) {
        mh_buf b;
        mh_buf_init(&b);
        mh_buf_printf(&b, "%s needs one of", path);
        json_array_foreach(owners, o, ow) mh_buf_printf(&b, " %s", json_string_value(ow));
        mh_buf_printf(&b, " (CODEOWNERS line %u)", line);
        snprintf(why, whylen, "%s", b.ptr);
        mh_buf_dispose(&b);
    }
    json_decref(owners);
    return ok;
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
        if (name && (rc = path_ok(co, codeowners, len, name, approvers, world, why, whylen)) != 1)
            break;
        if (prev && (rc = path_ok(co, codeowners, len, prev, approvers, world, why, whylen)) != 1)
            break;
    }
    lq_codeowners_free(co);
    return rc;
}

int sc_decided_base(const json_t *statuses, const char *context, char *out, size_t cap)
{
    static const char landing[] = "landing on ", now[] = " now", ready[] = "ready: position ",
                      queue_for[] = " in the queue for ";
    size_t i;
    json_t *st;
    json_array_foreach(statuses, i, st) {
        const char *ctx = json_string_value(json_object_get(st, "context"));
        const char *d = json_string_value(json_object_get(st, "description"));
        if (!ctx || !d || strcmp(ctx, context))
            continue;
        size_t dl = strlen(d);
        if (!strncmp(d, landing, sizeof landing - 1) && dl > sizeof landing - 1 + sizeof now - 1 &&
            !strcmp(d + dl - (sizeof now - 1), now)) {
            snprintf(out, cap, "%.*s", (int)(dl - (sizeof landing - 1) - (sizeof now - 1)),
                     d + sizeof landing - 1);
            return 1;
        }
        const char *q = !strncmp(d, ready, sizeof ready - 1) ? strstr(d, queue_for) : NULL;
        if (q) {
            snprintf(out, cap, "%s", q + sizeof queue_for - 1);
            return 1;
        }
    }
    return 0;
}
