/* mh_world.c -- world file parsing and validation (see mh_world.h). */
#include "mh_world.h"
#include "mh_ci.h"
#include "mh_fault.h"
#include "mh_merge.h"
#include "mh_util.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *role_names[] = {"none", "read", "triage", "write", "maintain", "admin"};

int mh_role_level(const char *role)
{
    for (int i = 1; i < 6; i++)
        if (role && strcmp(role, role_names[i]) == 0)
            return i;
    return 0;
}

const char *mh_role_name(int level)
{
    return level >= 0 && level < 6 ? role_names[level] : "none";
}

/* ---- line map: a second scan over the (already valid) text, recording each value's line ---- */

typedef struct {
    const char *s;
    size_t n, i;
    int line;
    json_t *lines;
} scan;

static void skip_ws(scan *sc)
{
    while (sc->i < sc->n && isspace((unsigned char)sc->s[sc->i])) {
        if (sc->s[sc->i] == '\n')
            sc->line++;
        sc->i++;
    }
}

/* Reads a JSON string at sc->i (on the quote) into b, decoding simple escapes. */
static void scan_string(scan *sc, mh_buf *b)
{
    sc->i++;
    while (sc->i < sc->n && sc->s[sc->i] != '"') {
        char c = sc->s[sc->i];
        if (c == '\\' && sc->i + 1 < sc->n) {
            char e = sc->s[++sc->i];
            char d = e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e;
            if (e == 'u') { /* keep the escape as written; paths with \u keys are rare */
                mh_buf_puts(b, "\\u");
            } else if (b) {
                mh_buf_put(b, &d, 1);
            }
        } else if (b) {
            mh_buf_put(b, &c, 1);
        }
        sc->i++;
    }
    sc->i++;
}

static void scan_value(scan *sc, const char *ptr)
{
    skip_ws(sc);
    if (sc->i >= sc->n)
        return;
    json_object_set_new(sc->lines, ptr, json_integer(sc->line));
    char c = sc->s[sc->i];
    if (c == '{') {
        sc->i++;
        for (;;) {
            skip_ws(sc);
            if (sc->i >= sc->n || sc->s[sc->i] == '}') {
                sc->i++;
                return;
            }
            if (sc->s[sc->i] == ',') {
                sc->i++;
                continue;
            }
            mh_buf key;
            mh_buf_init(&key);
            mh_buf_puts(&key, ptr);
            mh_buf_puts(&key, "/");
            scan_string(sc, &key);
            skip_ws(sc);
            sc->i++; /* ':' */
            scan_value(sc, key.ptr);
            mh_buf_dispose(&key);
        }
    } else if (c == '[') {
        sc->i++;
        size_t idx = 0;
        for (;;) {
            skip_ws(sc);
            if (sc->i >= sc->n || sc->s[sc->i] == ']') {
                sc->i++;
                return;
            }
            if (sc->s[sc->i] == ',') {
                sc->i++;
                continue;
            }
            char sub[1024];
            snprintf(sub, sizeof sub, "%s/%zu", ptr, idx++);
            scan_value(sc, sub);
        }
    } else if (c == '"') {
        scan_string(sc, NULL);
    } else {
        while (sc->i < sc->n && !strchr(",]} \t\r\n", sc->s[sc->i]))
            sc->i++;
    }
}

/* ---- validation ---- */

typedef struct {
    const mh_world *w;
    char *err;
    size_t errlen;
    int failed;
} vctx;

static int fail(vctx *v, const char *ptr, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(vctx *v, const char *ptr, const char *fmt, ...)
{
    if (v->failed)
        return -1;
    v->failed = 1;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    char where[1100];
    mh_world_where(v->w, ptr, where, sizeof where);
    snprintf(v->err, v->errlen, "%s: %s: %s", where, *ptr ? ptr : "/", msg);
    return -1;
}

static int check_keys(vctx *v, const char *ptr, json_t *obj, const char *const *known)
{
    const char *key;
    json_t *val;
    json_object_foreach(obj, key, val) {
        int ok = 0;
        for (int i = 0; known[i]; i++)
            ok |= strcmp(known[i], key) == 0;
        if (!ok) {
            char sub[1024];
            snprintf(sub, sizeof sub, "%s/%s", ptr, key);
            mh_buf allowed;
            mh_buf_init(&allowed);
            for (int i = 0; known[i]; i++)
                mh_buf_printf(&allowed, "%s%s", i ? ", " : "", known[i]);
            fail(v, sub, "unknown key \"%s\" (allowed: %s)", key, allowed.ptr);
            mh_buf_dispose(&allowed);
            return -1;
        }
    }
    return 0;
}

static json_t *want(vctx *v, const char *ptr, json_t *obj, const char *key, json_type type,
                    int required)
{
    static const char *tn[] = {"an object", "an array", "a string", "an integer", "a number",
                               "a boolean", "a boolean", "null"};
    char sub[1024];
    snprintf(sub, sizeof sub, "%s/%s", ptr, key);
    json_t *x = json_object_get(obj, key);
    if (!x) {
        if (required)
            fail(v, ptr, "missing required key \"%s\"", key);
        return NULL;
    }
    int ok = type == JSON_TRUE ? json_is_boolean(x) : json_typeof(x) == type;
    if (!ok) {
        fail(v, sub, "must be %s", tn[type]);
        return NULL;
    }
    return x;
}

static int valid_login(const char *s)
{
    if (!*s || strlen(s) > 39 || s[0] == '-')
        return 0;
    for (const char *p = s; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' && *p != '[' && *p != ']')
            return 0;
    return 1;
}

static int valid_name(const char *s)
{
    if (!*s || strlen(s) > 100 || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
        return 0;
    for (const char *p = s; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr("-_.", *p))
            return 0;
    return 1;
}

static int valid_ref_name(const char *s)
{
    if (!*s || s[0] == '/' || s[strlen(s) - 1] == '/' || strstr(s, "..") || strstr(s, "//") ||
        s[0] == '-' || strstr(s, "@{"))
        return 0;
    for (const char *p = s; *p; p++)
        if ((unsigned char)*p < 0x21 || strchr("~^:?*[\\", *p) || *p == 0x7f)
            return 0;
    return 1;
}

static int valid_path(const char *s)
{
    if (!*s || s[0] == '/' || s[strlen(s) - 1] == '/' || strstr(s, "//"))
        return 0;
    const char *p = s;
    while (*p) {
        const char *e = strchr(p, '/');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if ((len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.') ||
            (len == 4 && memcmp(p, ".git", 4) == 0))
            return 0;
        p += len;
        if (*p)
            p++;
    }
    return 1;
}

static int is_user(json_t *root, const char *login)
{
    size_t i;
    json_t *u;
    json_array_foreach(json_object_get(root, "users"), i, u) {
        if (mh_streq_ci(json_string_value(json_object_get(u, "login")), login))
            return 1;
    }
    return 0;
}

static json_t *find_org(json_t *root, const char *login)
{
    size_t i;
    json_t *o;
    json_array_foreach(json_object_get(root, "orgs"), i, o) {
        if (mh_streq_ci(json_string_value(json_object_get(o, "login")), login))
            return o;
    }
    return NULL;
}

static int check_files(vctx *v, const char *ptr, json_t *files)
{
    const char *path;
    json_t *content;
    json_object_foreach(files, path, content) {
        char sub[1024];
        snprintf(sub, sizeof sub, "%s/%s", ptr, path);
        if (!valid_path(path))
            return fail(v, sub, "invalid file path \"%s\" (relative, no '.', '..' or '.git' parts)", path);
        if (!json_is_string(content) && !json_is_null(content))
            return fail(v, sub, "file content must be a string (or null to delete)");
        char anc[1024];
        snprintf(anc, sizeof anc, "%s", path);
        for (char *slash = strrchr(anc, '/'); slash; slash = strrchr(anc, '/')) {
            *slash = '\0';
            if (json_is_string(json_object_get(files, anc)))
                return fail(v, sub, "\"%s\" is also a file, so \"%s\" cannot be a path under it", anc, path);
        }
    }
    return 0;
}

static int check_login_list(vctx *v, const char *ptr, json_t *arr)
{
    size_t i;
    json_t *m;
    json_array_foreach(arr, i, m) {
        char sub[1024];
        snprintf(sub, sizeof sub, "%s/%zu", ptr, i);
        if (!json_is_string(m))
            return fail(v, sub, "must be a user login string");
        if (!is_user(v->w->root, json_string_value(m)))
            return fail(v, sub, "unknown user \"%s\" (not in \"users\")", json_string_value(m));
    }
    return 0;
}

static int check_users(vctx *v, json_t *root)
{
    static const char *const keys[] = {"login", "token", "email", "name", "type", "site_admin", "id",
                                       NULL};
    json_t *users = want(v, "", root, "users", JSON_ARRAY, 0);
    if (v->failed)
        return -1;
    size_t i;
    json_t *u;
    json_array_foreach(users, i, u) {
        char ptr[64];
        snprintf(ptr, sizeof ptr, "/users/%zu", i);
        if (!json_is_object(u))
            return fail(v, ptr, "a user must be an object");
        if (check_keys(v, ptr, u, keys) < 0)
            return -1;
        json_t *login = want(v, ptr, u, "login", JSON_STRING, 1);
        if (!login)
            return -1;
        if (!valid_login(json_string_value(login)))
            return fail(v, ptr, "invalid login \"%s\"", json_string_value(login));
        want(v, ptr, u, "token", JSON_STRING, 0);
        want(v, ptr, u, "email", JSON_STRING, 0);
        want(v, ptr, u, "name", JSON_STRING, 0);
        want(v, ptr, u, "site_admin", JSON_TRUE, 0);
        want(v, ptr, u, "id", JSON_INTEGER, 0);
        json_t *type = want(v, ptr, u, "type", JSON_STRING, 0);
        if (v->failed)
            return -1;
        if (type && strcmp(json_string_value(type), "User") && strcmp(json_string_value(type), "Bot"))
            return fail(v, ptr, "type must be \"User\" or \"Bot\"");
        for (size_t j = 0; j < i; j++) {
            json_t *o = json_array_get(users, j);
            if (mh_streq_ci(json_string_value(json_object_get(o, "login")), json_string_value(login)))
                return fail(v, ptr, "duplicate login \"%s\"", json_string_value(login));
            const char *t1 = json_string_value(json_object_get(o, "token"));
            const char *t2 = json_string_value(json_object_get(u, "token"));
            if (t1 && t2 && strcmp(t1, t2) == 0)
                return fail(v, ptr, "token already used by user \"%s\"",
                            json_string_value(json_object_get(o, "login")));
        }
    }
    return 0;
}

static int check_orgs(vctx *v, json_t *root)
{
    static const char *const okeys[] = {"login", "members", "teams", "id", "name", NULL};
    static const char *const tkeys[] = {"slug", "name", "members", "maintainers", "parent",
                                        "pending", "id", "privacy", NULL};
    json_t *orgs = want(v, "", root, "orgs", JSON_ARRAY, 0);
    if (v->failed)
        return -1;
    size_t i;
    json_t *o;
    json_array_foreach(orgs, i, o) {
        char ptr[64];
        snprintf(ptr, sizeof ptr, "/orgs/%zu", i);
        if (!json_is_object(o))
            return fail(v, ptr, "an org must be an object");
        if (check_keys(v, ptr, o, okeys) < 0)
            return -1;
        json_t *login = want(v, ptr, o, "login", JSON_STRING, 1);
        if (!login)
            return -1;
        if (!valid_login(json_string_value(login)))
            return fail(v, ptr, "invalid org login \"%s\"", json_string_value(login));
        if (is_user(root, json_string_value(login)))
            return fail(v, ptr, "org login \"%s\" is also a user login", json_string_value(login));
        if (find_org(root, json_string_value(login)) != o)
            return fail(v, ptr, "duplicate org \"%s\"", json_string_value(login));
        want(v, ptr, o, "name", JSON_STRING, 0);
        want(v, ptr, o, "id", JSON_INTEGER, 0);
        json_t *members = want(v, ptr, o, "members", JSON_ARRAY, 0);
        if (v->failed)
            return -1;
        char sub[128];
        snprintf(sub, sizeof sub, "%s/members", ptr);
        if (members && check_login_list(v, sub, members) < 0)
            return -1;
        json_t *teams = want(v, ptr, o, "teams", JSON_ARRAY, 0);
        if (v->failed)
            return -1;
        size_t j;
        json_t *t;
        json_array_foreach(teams, j, t) {
            char tp[128];
            snprintf(tp, sizeof tp, "%s/teams/%zu", ptr, j);
            if (!json_is_object(t))
                return fail(v, tp, "a team must be an object");
            if (check_keys(v, tp, t, tkeys) < 0)
                return -1;
            json_t *slug = want(v, tp, t, "slug", JSON_STRING, 1);
            if (!slug)
                return -1;
            if (!valid_name(json_string_value(slug)))
                return fail(v, tp, "invalid team slug \"%s\"", json_string_value(slug));
            for (size_t k = 0; k < j; k++)
                if (mh_streq_ci(json_string_value(json_object_get(json_array_get(teams, k), "slug")),
                                json_string_value(slug)))
                    return fail(v, tp, "duplicate team \"%s\"", json_string_value(slug));
            want(v, tp, t, "name", JSON_STRING, 0);
            want(v, tp, t, "id", JSON_INTEGER, 0);
            json_t *priv = want(v, tp, t, "privacy", JSON_STRING, 0);
            if (v->failed)
                return -1;
            if (priv && strcmp(json_string_value(priv), "closed") &&
                strcmp(json_string_value(priv), "secret"))
                return fail(v, tp, "privacy must be \"closed\" or \"secret\"");
            static const char *lists[] = {"members", "maintainers", "pending"};
            for (int l = 0; l < 3; l++) {
                json_t *arr = want(v, tp, t, lists[l], JSON_ARRAY, 0);
                if (v->failed)
                    return -1;
                char lp[160];
                snprintf(lp, sizeof lp, "%s/%s", tp, lists[l]);
                if (arr && check_login_list(v, lp, arr) < 0)
                    return -1;
            }
            json_t *parent = want(v, tp, t, "parent", JSON_STRING, 0);
            if (v->failed)
                return -1;
            if (parent) {
                int found = 0;
                for (size_t k = 0; k < json_array_size(teams); k++)
                    found |= k != j && mh_streq_ci(json_string_value(json_object_get(
                                                       json_array_get(teams, k), "slug")),
                                                   json_string_value(parent));
                if (!found)
                    return fail(v, tp, "parent team \"%s\" not found in this org",
                                json_string_value(parent));
            }
        }
    }
    return 0;
}

static int check_labels(vctx *v, const char *ptr, json_t *labels)
{
    size_t i;
    json_t *l;
    json_array_foreach(labels, i, l) {
        char sub[1024];
        snprintf(sub, sizeof sub, "%s/%zu", ptr, i);
        if (json_is_string(l))
            continue;
        if (!json_is_object(l))
            return fail(v, sub, "a label is a name string or {name, color, description}");
        static const char *const keys[] = {"name", "color", "description", NULL};
        if (check_keys(v, sub, l, keys) < 0)
            return -1;
        if (!want(v, sub, l, "name", JSON_STRING, 1))
            return -1;
        json_t *color = want(v, sub, l, "color", JSON_STRING, 0);
        want(v, sub, l, "description", JSON_STRING, 0);
        if (v->failed)
            return -1;
        if (color) {
            const char *c = json_string_value(color);
            int ok = strlen(c) == 6;
            for (int k = 0; ok && k < 6; k++)
                ok = isxdigit((unsigned char)c[k]);
            if (!ok)
                return fail(v, sub, "color must be 6 hex digits without '#'");
        }
    }
    return 0;
}

static int check_hooks(vctx *v, const char *ptr, json_t *hooks)
{
    static const char *const keys[] = {"url", "secret", "events", "content_type", "active", "id",
                                       NULL};
    size_t i;
    json_t *h;
    json_array_foreach(hooks, i, h) {
        char sub[1024];
        snprintf(sub, sizeof sub, "%s/%zu", ptr, i);
        if (!json_is_object(h))
            return fail(v, sub, "a hook must be an object");
        if (check_keys(v, sub, h, keys) < 0)
            return -1;
        json_t *url = want(v, sub, h, "url", JSON_STRING, 1);
        if (!url)
            return -1;
        if (strncmp(json_string_value(url), "http://", 7) && strncmp(json_string_value(url), "https://", 8))
            return fail(v, sub, "hook url must start with http:// or https://");
        want(v, sub, h, "secret", JSON_STRING, 0);
        want(v, sub, h, "active", JSON_TRUE, 0);
        want(v, sub, h, "id", JSON_INTEGER, 0);
        json_t *ct = want(v, sub, h, "content_type", JSON_STRING, 0);
        json_t *ev = want(v, sub, h, "events", JSON_ARRAY, 0);
        if (v->failed)
            return -1;
        if (ct && strcmp(json_string_value(ct), "json") && strcmp(json_string_value(ct), "form"))
            return fail(v, sub, "content_type must be \"json\" or \"form\"");
        size_t k;
        json_t *e;
        json_array_foreach(ev, k, e) {
            if (!json_is_string(e))
                return fail(v, sub, "events must be strings");
        }
    }
    return 0;
}

static int check_pulls(vctx *v, const char *ptr, json_t *pulls)
{
    static const char *const keys[] = {"title", "body", "user", "head", "base", "files",
                                       "labels", "draft", "state", NULL};
    size_t i;
    json_t *p;
    json_array_foreach(pulls, i, p) {
        char sub[1024];
        snprintf(sub, sizeof sub, "%s/%zu", ptr, i);
        if (!json_is_object(p))
            return fail(v, sub, "a pull request must be an object");
        if (check_keys(v, sub, p, keys) < 0)
            return -1;
        json_t *head = want(v, sub, p, "head", JSON_STRING, 1);
        json_t *user = want(v, sub, p, "user", JSON_STRING, 1);
        want(v, sub, p, "title", JSON_STRING, 0);
        want(v, sub, p, "body", JSON_STRING, 0);
        json_t *base = want(v, sub, p, "base", JSON_STRING, 0);
        json_t *files = want(v, sub, p, "files", JSON_OBJECT, 0);
        json_t *labels = want(v, sub, p, "labels", JSON_ARRAY, 0);
        json_t *state = want(v, sub, p, "state", JSON_STRING, 0);
        want(v, sub, p, "draft", JSON_TRUE, 0);
        if (v->failed)
            return -1;
        if (!valid_ref_name(json_string_value(head)))
            return fail(v, sub, "invalid head branch name");
        if (base && !valid_ref_name(json_string_value(base)))
            return fail(v, sub, "invalid base branch name");
        if (!is_user(v->w->root, json_string_value(user)))
            return fail(v, sub, "unknown user \"%s\"", json_string_value(user));
        if (state && strcmp(json_string_value(state), "open") && strcmp(json_string_value(state), "closed"))
            return fail(v, sub, "state must be \"open\" or \"closed\"");
        char fp[1100];
        snprintf(fp, sizeof fp, "%s/files", sub);
        if (files && check_files(v, fp, files) < 0)
            return -1;
        snprintf(fp, sizeof fp, "%s/labels", sub);
        if (labels && check_labels(v, fp, labels) < 0)
            return -1;
    }
    return 0;
}

static int check_repos(vctx *v, json_t *root)
{
    static const char *const keys[] = {
        "full_name", "default_branch", "private", "collaborators", "teams", "files", "labels",
        "hooks", "branches", "pulls", "id", "description", "archived", "branch_protection",
        "allow_squash_merge", "allow_merge_commit", "allow_rebase_merge", "allow_auto_merge",
        "delete_branch_on_merge", "squash_merge_commit_title", "squash_merge_commit_message",
        "merge_commit_title", "merge_commit_message", NULL};
    json_t *repos = want(v, "", root, "repos", JSON_ARRAY, 0);
    if (v->failed)
        return -1;
    size_t i;
    json_t *r;
    json_array_foreach(repos, i, r) {
        char ptr[64];
        snprintf(ptr, sizeof ptr, "/repos/%zu", i);
        if (!json_is_object(r))
            return fail(v, ptr, "a repo must be an object");
        if (check_keys(v, ptr, r, keys) < 0)
            return -1;
        json_t *fn = want(v, ptr, r, "full_name", JSON_STRING, 1);
        if (!fn)
            return -1;
        const char *full = json_string_value(fn);
        const char *slash = strchr(full, '/');
        char owner[64];
        if (!slash || (size_t)(slash - full) >= sizeof owner || !valid_name(slash + 1))
            return fail(v, ptr, "full_name must be \"owner/name\"");
        memcpy(owner, full, (size_t)(slash - full));
        owner[slash - full] = '\0';
        if (!is_user(root, owner) && !find_org(root, owner))
            return fail(v, ptr, "owner \"%s\" is neither a user nor an org", owner);
        for (size_t j = 0; j < i; j++)
            if (mh_streq_ci(json_string_value(json_object_get(json_array_get(repos, j), "full_name")), full))
                return fail(v, ptr, "duplicate repo \"%s\"", full);
        json_t *db = want(v, ptr, r, "default_branch", JSON_STRING, 0);
        if (v->failed)
            return -1;
        if (db && !valid_ref_name(json_string_value(db)))
            return fail(v, ptr, "invalid default_branch \"%s\"", json_string_value(db));
        static const char *bools[] = {"private", "archived", "allow_squash_merge", "allow_merge_commit",
                                      "allow_rebase_merge", "allow_auto_merge", "delete_branch_on_merge"};
        for (size_t k = 0; k < sizeof bools / sizeof *bools; k++)
            want(v, ptr, r, bools[k], JSON_TRUE, 0);
        want(v, ptr, r, "id", JSON_INTEGER, 0);
        want(v, ptr, r, "description", JSON_STRING, 0);
        if (v->failed)
            return -1;
        static const struct { const char *key; const char *vals[4]; } enums[] = {
            {"squash_merge_commit_title", {"PR_TITLE", "COMMIT_OR_PR_TITLE", NULL, NULL}},
            {"squash_merge_commit_message", {"PR_BODY", "COMMIT_MESSAGES", "BLANK", NULL}},
            {"merge_commit_title", {"PR_TITLE", "MERGE_MESSAGE", NULL, NULL}},
            {"merge_commit_message", {"PR_BODY", "PR_TITLE", "BLANK", NULL}},
        };
        for (size_t k = 0; k < 4; k++) {
            json_t *e = want(v, ptr, r, enums[k].key, JSON_STRING, 0);
            if (v->failed)
                return -1;
            if (!e)
                continue;
            int ok = 0;
            for (int m = 0; enums[k].vals[m]; m++)
                ok |= strcmp(enums[k].vals[m], json_string_value(e)) == 0;
            if (!ok) {
                char sub[128];
                snprintf(sub, sizeof sub, "%s/%s", ptr, enums[k].key);
                return fail(v, sub, "invalid value \"%s\"", json_string_value(e));
            }
        }
        json_t *collab = want(v, ptr, r, "collaborators", JSON_OBJECT, 0);
        if (v->failed)
            return -1;
        const char *login;
        json_t *role;
        json_object_foreach(collab, login, role) {
            char sub[256];
            snprintf(sub, sizeof sub, "%s/collaborators/%s", ptr, login);
            if (!is_user(root, login))
                return fail(v, sub, "unknown user \"%s\"", login);
            if (!json_is_string(role) || !mh_role_level(json_string_value(role)))
                return fail(v, sub, "role must be one of read, triage, write, maintain, admin");
        }
        json_t *teams = want(v, ptr, r, "teams", JSON_OBJECT, 0);
        if (v->failed)
            return -1;
        json_t *org = find_org(root, owner);
        const char *slug;
        json_object_foreach(teams, slug, role) {
            char sub[256];
            snprintf(sub, sizeof sub, "%s/teams/%s", ptr, slug);
            if (!org)
                return fail(v, sub, "team grants need an org-owned repository");
            int found = 0;
            size_t k;
            json_t *t;
            json_array_foreach(json_object_get(org, "teams"), k, t) {
                found |= mh_streq_ci(json_string_value(json_object_get(t, "slug")), slug);
            }
            if (!found)
                return fail(v, sub, "unknown team \"%s\" in org \"%s\"", slug, owner);
            if (!json_is_string(role) || !mh_role_level(json_string_value(role)))
                return fail(v, sub, "role must be one of read, triage, write, maintain, admin");
        }
        json_t *files = want(v, ptr, r, "files", JSON_OBJECT, 0);
        if (v->failed)
            return -1;
        char sub[128];
        snprintf(sub, sizeof sub, "%s/files", ptr);
        if (files && check_files(v, sub, files) < 0)
            return -1;
        json_t *labels = want(v, ptr, r, "labels", JSON_ARRAY, 0);
        if (v->failed)
            return -1;
        snprintf(sub, sizeof sub, "%s/labels", ptr);
        if (labels && check_labels(v, sub, labels) < 0)
            return -1;
        json_t *hooks = want(v, ptr, r, "hooks", JSON_ARRAY, 0);
        if (v->failed)
            return -1;
        snprintf(sub, sizeof sub, "%s/hooks", ptr);
        if (hooks && check_hooks(v, sub, hooks) < 0)
            return -1;
        json_t *branches = want(v, ptr, r, "branches", JSON_OBJECT, 0);
        if (v->failed)
            return -1;
        const char *bname;
        json_t *b;
        json_object_foreach(branches, bname, b) {
            char bp[512];
            snprintf(bp, sizeof bp, "%s/branches/%s", ptr, bname);
            if (!valid_ref_name(bname))
                return fail(v, bp, "invalid branch name \"%s\"", bname);
            if (!json_is_object(b))
                return fail(v, bp, "a branch is {\"from\": BRANCH, \"files\": {...}, \"message\": ...}");
            static const char *const bkeys[] = {"from", "files", "message", NULL};
            if (check_keys(v, bp, b, bkeys) < 0)
                return -1;
            want(v, bp, b, "from", JSON_STRING, 0);
            want(v, bp, b, "message", JSON_STRING, 0);
            json_t *bf = want(v, bp, b, "files", JSON_OBJECT, 0);
            if (v->failed)
                return -1;
            char fp[600];
            snprintf(fp, sizeof fp, "%s/files", bp);
            if (bf && check_files(v, fp, bf) < 0)
                return -1;
        }
        json_t *prot = want(v, ptr, r, "branch_protection", JSON_OBJECT, 0);
        if (v->failed)
            return -1;
        const char *pb;
        json_t *pr;
        json_object_foreach(prot, pb, pr) {
            char pp[512];
            snprintf(pp, sizeof pp, "%s/branch_protection/%s", ptr, pb);
            static const char *const pkeys[] = {"required_approving_review_count", "required_status_checks",
                                                "dismiss_stale_reviews", NULL};
            if (!json_is_object(pr))
                return fail(v, pp, "branch protection must be an object");
            if (check_keys(v, pp, pr, pkeys) < 0)
                return -1;
            json_t *n = want(v, pp, pr, "required_approving_review_count", JSON_INTEGER, 0);
            json_t *checks = want(v, pp, pr, "required_status_checks", JSON_ARRAY, 0);
            want(v, pp, pr, "dismiss_stale_reviews", JSON_TRUE, 0);
            if (v->failed)
                return -1;
            if (n && (json_integer_value(n) < 0 || json_integer_value(n) > 6))
                return fail(v, pp, "required_approving_review_count must be 0..6");
            size_t m;
            json_t *cx;
            json_array_foreach(checks, m, cx) {
                if (!json_is_string(cx))
                    return fail(v, pp, "required_status_checks must be context / check names");
            }
        }
        json_t *pulls = want(v, ptr, r, "pulls", JSON_ARRAY, 0);
        if (v->failed)
            return -1;
        snprintf(sub, sizeof sub, "%s/pulls", ptr);
        if (pulls && check_pulls(v, sub, pulls) < 0)
            return -1;
    }
    return 0;
}

static int validate(vctx *v, json_t *root)
{
    static const char *const keys[] = {"users", "orgs", "repos", "meta", "rate_limit", "faults",
                                       "seed", "apps", "mergeable_delay_reads", "mergeable_delay_ms", "clock", "ci",
                                       NULL};
    if (!json_is_object(root))
        return fail(v, "", "the world must be a JSON object");
    if (check_keys(v, "", root, keys) < 0 || check_users(v, root) < 0 || check_orgs(v, root) < 0 ||
        check_repos(v, root) < 0)
        return -1;
    json_t *meta = want(v, "", root, "meta", JSON_OBJECT, 0);
    if (v->failed)
        return -1;
    if (meta) {
        static const char *const mkeys[] = {"hooks", "git", "api", "web", NULL};
        if (check_keys(v, "/meta", meta, mkeys) < 0)
            return -1;
        const char *key;
        json_t *arr;
        json_object_foreach(meta, key, arr) {
            char sub[64];
            snprintf(sub, sizeof sub, "/meta/%s", key);
            if (!json_is_array(arr))
                return fail(v, sub, "must be an array of CIDR strings");
            size_t k;
            json_t *s;
            json_array_foreach(arr, k, s) {
                if (!json_is_string(s) || !strchr(json_string_value(s), '/'))
                    return fail(v, sub, "entries must be CIDR strings like \"127.0.0.0/8\"");
            }
        }
    }
    json_t *rl = want(v, "", root, "rate_limit", JSON_OBJECT, 0);
    if (v->failed)
        return -1;
    if (rl) {
        static const char *const rkeys[] = {"core", "window_seconds", "status", "unauthenticated",
                                            NULL};
        if (check_keys(v, "/rate_limit", rl, rkeys) < 0)
            return -1;
        static const char *ints[] = {"core", "window_seconds", "unauthenticated", "status"};
        for (int k = 0; k < 4; k++) {
            json_t *x = want(v, "/rate_limit", rl, ints[k], JSON_INTEGER, 0);
            if (v->failed)
                return -1;
            char sub[64];
            snprintf(sub, sizeof sub, "/rate_limit/%s", ints[k]);
            if (x && json_integer_value(x) < (k == 0 || k == 2 ? 0 : 1))
                return fail(v, sub, "must be positive");
        }
        json_t *st = json_object_get(rl, "status");
        if (st && json_integer_value(st) != 403 && json_integer_value(st) != 429)
            return fail(v, "/rate_limit/status", "must be 403 or 429");
    }
    json_t *seed = want(v, "", root, "seed", JSON_INTEGER, 0);
    json_t *mdr = want(v, "", root, "mergeable_delay_reads", JSON_INTEGER, 0);
    if (v->failed)
        return -1;
    (void)seed;
    if (mdr && json_integer_value(mdr) < 0)
        return fail(v, "/mergeable_delay_reads", "must be >= 0");
    json_t *mdm = want(v, "", root, "mergeable_delay_ms", JSON_INTEGER, 0);
    if (v->failed)
        return -1;
    if (mdm && (json_integer_value(mdm) < 0 || json_integer_value(mdm) > 600000))
        return fail(v, "/mergeable_delay_ms", "must be 0..600000");
    json_t *clock = want(v, "", root, "clock", JSON_OBJECT, 0);
    if (v->failed)
        return -1;
    if (clock) {
        static const char *const ckeys[] = {"freeze", "skew_seconds", NULL};
        if (check_keys(v, "/clock", clock, ckeys) < 0)
            return -1;
        json_t *fr = json_object_get(clock, "freeze");
        time_t t;
        if (fr && !(json_is_integer(fr) && json_integer_value(fr) >= 0) &&
            !(json_is_string(fr) && mh_time_parse_iso(json_string_value(fr), &t) == 0))
            return fail(v, "/clock/freeze",
                        "must be a UTC time like \"2024-01-01T00:00:00Z\" or epoch seconds (an integer >= 0)");
        json_t *sk = want(v, "/clock", clock, "skew_seconds", JSON_INTEGER, 0);
        if (v->failed)
            return -1;
        if (sk && (json_integer_value(sk) < -86400 || json_integer_value(sk) > 86400))
            return fail(v, "/clock/skew_seconds", "must be within -86400..86400");
    }
    json_t *faults = want(v, "", root, "faults", JSON_ARRAY, 0);
    if (v->failed)
        return -1;
    mh_faults fs;

    mh_faults_init(&fs, 1);
    size_t k;
    json_t *f;
    json_array_foreach(faults, k, f) {
        char e[256], sub[64];
        snprintf(sub, sizeof sub, "/faults/%zu", k);
        if (mh_faults_add(&fs, f, e, sizeof e) < 0) {
            mh_faults_dispose(&fs);
            return fail(v, sub, "%s", e);
        }
    }
    mh_faults_dispose(&fs);
    json_t *ci = json_object_get(root, "ci");
    if (ci) { /* the CI simulator (mh_ci.h) */
        mh_ci_config cc;
        char cptr[128], cmsg[400];
        if (mh_ci_config_parse(&cc, ci, 0, cptr, sizeof cptr, cmsg, sizeof cmsg) < 0) {
            char sub[160];
            snprintf(sub, sizeof sub, "/ci%s", cptr);
            return fail(v, sub, "%s", cmsg);
        }
        mh_ci_config_dispose(&cc);
    }
    json_t *apps = want(v, "", root, "apps", JSON_ARRAY, 0);
    if (v->failed)
        return -1;
    json_t *a;
    json_array_foreach(apps, k, a) {
        char sub[64];
        snprintf(sub, sizeof sub, "/apps/%zu", k);
        static const char *const akeys[] = {"id", "slug", "client_id", "public_key", "installations",
                                            "name", "webhook", NULL};
        if (!json_is_object(a))
            return fail(v, sub, "an app must be an object");
        if (check_keys(v, sub, a, akeys) < 0 || !want(v, sub, a, "id", JSON_INTEGER, 1) ||
            !want(v, sub, a, "slug", JSON_STRING, 1) || !want(v, sub, a, "public_key", JSON_STRING, 1))
            return -1;
        if (!valid_name(json_string_value(json_object_get(a, "slug"))))
            return fail(v, sub, "invalid app slug");
        if (!strstr(json_string_value(json_object_get(a, "public_key")), "-----BEGIN PUBLIC KEY-----"))
            return fail(v, sub, "public_key must be a PEM \"-----BEGIN PUBLIC KEY-----\" block");
        want(v, sub, a, "client_id", JSON_STRING, 0);
        want(v, sub, a, "name", JSON_STRING, 0);
        json_t *wh = want(v, sub, a, "webhook", JSON_OBJECT, 0);
        json_t *insts = want(v, sub, a, "installations", JSON_ARRAY, 0);
        if (v->failed)
            return -1;
        if (wh) {
            char wp[96];
            snprintf(wp, sizeof wp, "%s/webhook", sub);
            json_t *one = json_pack("[O]", wh);
            int rc = check_hooks(v, wp, one);
            json_decref(one);
            if (rc < 0)
                return -1;
        }
        size_t m;
        json_t *inst;
        json_array_foreach(insts, m, inst) {
            char ip[96];
            snprintf(ip, sizeof ip, "%s/installations/%zu", sub, m);
            static const char *const ikeys[] = {"id", "account", "repositories", "permissions", NULL};
            if (!json_is_object(inst))
                return fail(v, ip, "an installation must be an object");
            if (check_keys(v, ip, inst, ikeys) < 0 || !want(v, ip, inst, "id", JSON_INTEGER, 1) ||
                !want(v, ip, inst, "account", JSON_STRING, 1))
                return -1;
            const char *acct = json_string_value(json_object_get(inst, "account"));
            if (!is_user(root, acct) && !find_org(root, acct))
                return fail(v, ip, "account \"%s\" is neither a user nor an org", acct);
            want(v, ip, inst, "permissions", JSON_OBJECT, 0);
            if (v->failed)
                return -1;
            json_t *repos = json_object_get(inst, "repositories");
            if (repos && !(json_is_string(repos) && !strcmp(json_string_value(repos), "all")) && !json_is_array(repos))
                return fail(v, ip, "repositories must be \"all\" or an array of repository names");
        }
    }
    return 0;
}

/* Validates root (owned from now on) with its line map (owned); fills *out on success. */
static int world_from(mh_world *out, json_t *root, json_t *lines, const char *file, char *err, size_t errlen)
{
    out->root = root;
    out->file = strdup(file);
    out->lines = lines;
    vctx v = {out, err, errlen, 0};
    if (validate(&v, root) < 0) {
        mh_world_dispose(out);
        return -1;
    }
    return 0;
}

static json_t *line_map(const char *text, size_t len)
{
    json_t *lines = json_object();
    scan sc = {text, len, 0, 1, lines};
    scan_value(&sc, "");
    return lines;
}

int mh_world_parse(mh_world *out, const char *text, size_t len, const char *file, char *err,
                   size_t errlen)
{
    memset(out, 0, sizeof *out);
    json_error_t je;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        snprintf(err, errlen, "%s:%d: %s", file, je.line, je.text);
        return -1;
    }
    return world_from(out, root, line_map(text, len), file, err, errlen);
}

/* Reads a whole file (at most 64 MiB). NULL with err set on failure. */
static char *read_file(const char *file, size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(file, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: cannot open: %s", file, strerror(errno));
        return NULL;
    }
    mh_buf b;
    mh_buf_init(&b);
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (mh_buf_put(&b, chunk, n) < 0 || b.len > 64u * 1024 * 1024) {
            fclose(f);
            mh_buf_dispose(&b);
            snprintf(err, errlen, "%s: too large or out of memory", file);
            return NULL;
        }
    }
    fclose(f);
    *len = b.len;
    char *text = mh_buf_take(&b);
    mh_buf_dispose(&b);
    return text;
}

/* The first DIR/name readable from `from`'s directory upwards (an absolute name as is); the path
 * is written relative like `from` when `from` was relative. */
static int find_include(const char *from, const char *name, char *out, size_t outlen)
{
    if (name[0] == '/') {
        snprintf(out, outlen, "%s", name);
        return access(out, R_OK) == 0 ? 0 : -1;
    }
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", from);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    else
        snprintf(dir, sizeof dir, ".");
    for (int up = 0; up < 64; up++) {
        snprintf(out, outlen, "%s/%s", dir, name);
        if (access(out, R_OK) == 0)
            return 0;
        /* one directory up: drop the last component, or add ".." once none is left */
        char *s = strrchr(dir, '/');
        char real[4096];
        if (!realpath(dir, real) || !strcmp(real, "/"))
            break;
        if (s && strcmp(s + 1, "..") && strcmp(s + 1, "."))
            *s = '\0';
        else if (!strcmp(dir, "."))
            snprintf(dir, sizeof dir, "..");
        else if (strlen(dir) + 4 < sizeof dir)
            strcat(dir, "/..");
        else
            break;
    }
    return -1;
}

static int resolve_include(json_t *doc, json_t *lines, const char *file, int depth, json_t *seen, json_t **out,
                           json_t **out_lines, char *err, size_t errlen)
{
    json_t *inc = json_object_get(doc, "include");
    if (!inc) {
        *out = json_incref(doc);
        *out_lines = json_incref(lines);
        return 0;
    }
    json_t *l = json_object_get(lines, "/include");
    char where[1100];
    if (json_is_string(l))
        snprintf(where, sizeof where, "%s", json_string_value(l));
    else
        snprintf(where, sizeof where, "%s:%lld", file, (long long)(l ? json_integer_value(l) : 1));
    if (!json_is_string(inc) || !json_string_length(inc)) {
        snprintf(err, errlen, "%s: /include: must be the path of a world file (e.g. \"worlds/acme-mono.json\")", where);
        return -1;
    }
    char path[4096];
    if (find_include(file, json_string_value(inc), path, sizeof path) < 0) {
        snprintf(err, errlen, "%s: /include: \"%s\" not found next to %s or in any directory above it", where,
                 json_string_value(inc), file);
        return -1;
    }
    char real[4096];
    if (!realpath(path, real))
        snprintf(real, sizeof real, "%s", path);
    if (depth >= 8 || json_object_get(seen, real)) {
        snprintf(err, errlen, "%s: /include: \"%s\" %s", where, json_string_value(inc),
                 depth >= 8 ? "nests includes more than 8 deep" : "includes itself (a cycle)");
        return -1;
    }
    json_object_set_new(seen, real, json_true());
    size_t len;
    char *text = read_file(path, &len, err, errlen);
    if (!text)
        return -1;
    json_error_t je;
    json_t *base = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!base || !json_is_object(base)) {
        snprintf(err, errlen, "%s:%d: %s", path, base ? 1 : je.line, base ? "a world must be a JSON object" : je.text);
        json_decref(base);
        free(text);
        return -1;
    }
    json_t *blines = line_map(text, len);
    free(text);
    json_t *rbase, *rlines;
    int rc = resolve_include(base, blines, path, depth + 1, seen, &rbase, &rlines, err, errlen);
    json_decref(base);
    json_decref(blines);
    if (rc < 0)
        return -1;
    json_t *tagged = mh_merge_tag_lines(rlines, path);
    json_decref(rlines);
    json_t *over = json_deep_copy(doc);
    json_object_del(over, "include");
    json_t *olines = json_deep_copy(lines);
    json_object_del(olines, "/include");
    *out = mh_merge_world(rbase, tagged, over, olines, out_lines);
    json_decref(rbase);
    json_decref(tagged);
    json_decref(over);
    json_decref(olines);
    return 0;
}

int mh_world_resolve_include(json_t *doc, json_t *lines, const char *file, json_t **out, json_t **out_lines,
                             char *err, size_t errlen)
{
    json_t *seen = json_object();
    char real[4096];
    if (realpath(file, real))
        json_object_set_new(seen, real, json_true());
    int rc = resolve_include(doc, lines, file, 0, seen, out, out_lines, err, errlen);
    json_decref(seen);
    return rc;
}

int mh_world_load(mh_world *out, const char *file, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    size_t len;
    char *text = read_file(file, &len, err, errlen);
    if (!text)
        return -1;
    json_error_t je;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        snprintf(err, errlen, "%s:%d: %s", file, je.line, je.text);
        free(text);
        return -1;
    }
    json_t *lines = line_map(text, len);
    free(text);
    json_t *merged = json_incref(root), *mlines = json_incref(lines);
    int rc = 0;
    if (json_is_object(root) && json_object_get(root, "include")) {
        json_decref(merged);
        json_decref(mlines);
        rc = mh_world_resolve_include(root, lines, file, &merged, &mlines, err, errlen);
    }
    json_decref(root);
    json_decref(lines);
    if (rc < 0)
        return -1;
    return world_from(out, merged, mlines, file, err, errlen);
}

void mh_world_dispose(mh_world *w)
{
    json_decref(w->root);
    json_decref(w->lines);
    free(w->file);
    memset(w, 0, sizeof *w);
}

int mh_world_line(const mh_world *w, const char *ptr)
{
    return (int)json_integer_value(json_object_get(w->lines, ptr));
}

void mh_world_where(const mh_world *w, const char *ptr, char *out, size_t outlen)
{
    char p[1024];
    snprintf(p, sizeof p, "%s", ptr);
    for (;;) { /* the nearest enclosing value that has a line */
        json_t *l = json_object_get(w->lines, p);
        if (json_is_string(l)) { /* a value from an included file: "FILE:LINE" */
            snprintf(out, outlen, "%s", json_string_value(l));
            return;
        }
        if (json_integer_value(l) > 0) {
            snprintf(out, outlen, "%s:%lld", w->file, (long long)json_integer_value(l));
            return;
        }
        char *slash = strrchr(p, '/');
        if (!slash || !*p)
            break;
        *slash = '\0';
    }
    snprintf(out, outlen, "%s:1", w->file);
}
