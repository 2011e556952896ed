/* sc_scenario.c -- scenario parser and validator (pure). See sc_scenario.h, docs/scenarios.md. */
#include "sc_scenario.h"

#include "mh_ci.h"
#include "mh_fault.h"
#include "mh_merge.h"
#include "mh_util.h"
#include "mh_world.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SC_MAX_REPEAT 1000
#define SC_MAX_STEPS 20000

void sc_errors_init(sc_errors *e)
{
    memset(e, 0, sizeof *e);
}

void sc_errors_dispose(sc_errors *e)
{
    for (size_t i = 0; i < e->n; i++)
        free(e->items[i]);
    free(e->items);
    memset(e, 0, sizeof *e);
}

static void errors_add(sc_errors *e, char *owned)
{
    if (!owned)
        return;
    if (e->n == e->cap) {
        size_t cap = e->cap ? e->cap * 2 : 8;
        char **p = realloc(e->items, cap * sizeof *p);
        if (!p) {
            free(owned);
            return;
        }
        e->items = p;
        e->cap = cap;
    }
    e->items[e->n++] = owned;
}

/* ---- line map ---- */

typedef struct {
    const char *s;
    size_t n, i;
    int line;
    json_t *lines;
    int depth;
} scan;

static void skip_ws(scan *sc)
{
    while (sc->i < sc->n && isspace((unsigned char)sc->s[sc->i])) {
        if (sc->s[sc->i] == '\n')
            sc->line++;
        sc->i++;
    }
}

/* Appends the JSON-pointer-escaped key of the string at sc->i (on the quote) to b. */
static void scan_string(scan *sc, mh_buf *b)
{
    sc->i++;
    while (sc->i < sc->n && sc->s[sc->i] != '"') {
        char c = sc->s[sc->i];
        if (c == '\n')
            sc->line++;
        if (c == '\\' && sc->i + 1 < sc->n) {
            char e = sc->s[++sc->i];
            c = e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e == 'b' ? '\b' : e == 'f' ? '\f' : e;
            if (e == 'u') {
                if (b)
                    mh_buf_puts(b, "\\u");
                sc->i++;
                continue;
            }
        }
        if (b) {
            if (c == '~')
                mh_buf_puts(b, "~0");
            else if (c == '/')
                mh_buf_puts(b, "~1");
            else
                mh_buf_put(b, &c, 1);
        }
        sc->i++;
    }
    sc->i++;
}

static void scan_value(scan *sc, const char *ptr)
{
    skip_ws(sc);
    if (sc->i >= sc->n || sc->depth > 200)
        return;
    json_object_set_new(sc->lines, ptr, json_integer(sc->line));
    char c = sc->s[sc->i];
    sc->depth++;
    if (c == '{' || c == '[') {
        char close = c == '{' ? '}' : ']';
        size_t idx = 0;
        sc->i++;
        for (;;) {
            skip_ws(sc);
            if (sc->i >= sc->n)
                break;
            if (sc->s[sc->i] == close) {
                sc->i++;
                break;
            }
            if (sc->s[sc->i] == ',') {
                sc->i++;
                continue;
            }
            mh_buf key;
            mh_buf_init(&key);
            mh_buf_puts(&key, ptr);
            mh_buf_puts(&key, "/");
            if (c == '{') {
                if (sc->s[sc->i] != '"') { /* not valid JSON: stop mapping */
                    mh_buf_dispose(&key);
                    sc->i = sc->n;
                    break;
                }
                scan_string(sc, &key);
                skip_ws(sc);
                if (sc->i < sc->n && sc->s[sc->i] == ':')
                    sc->i++;
            } else {
                mh_buf_printf(&key, "%zu", idx++);
            }
            size_t before = sc->i;
            scan_value(sc, key.ptr ? key.ptr : "");
            mh_buf_dispose(&key);
            if (sc->i == before) /* no progress: malformed */
                sc->i++;
        }
    } else if (c == '"') {
        scan_string(sc, NULL);
    } else {
        while (sc->i < sc->n && !strchr(",]} \t\r\n", sc->s[sc->i]))
            sc->i++;
    }
    sc->depth--;
}

json_t *sc_json_lines(const char *text, size_t len)
{
    json_t *lines = json_object();
    scan sc = {text, len, 0, 1, lines, 0};
    scan_value(&sc, "");
    return lines;
}

int sc_scenario_line(const json_t *lines, const char *ptr)
{
    char p[1024];
    snprintf(p, sizeof p, "%s", ptr);
    for (;;) {
        json_t *v = json_object_get(lines, p);
        if (v)
            return (int)json_integer_value(v);
        char *slash = strrchr(p, '/');
        if (!slash)
            return 1;
        *slash = '\0';
    }
}

/* ---- validation context ---- */

typedef struct {
    const char *file;
    json_t *lines;
    sc_errors *errs;
    size_t nerr;
    json_t *root;
    json_t *world;
    int npulls; /* pull requests known so far (world + open_pr steps) */
    json_t *authors; /* [login of #1, login of #2, ...] (world pulls, then open_pr steps) */
    json_t *fault_names;
} vctx;

static void fail(vctx *v, const char *ptr, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void fail(vctx *v, const char *ptr, const char *fmt, ...)
{
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    mh_buf b;
    mh_buf_init(&b);
    /* a value of an included world has a "FILE:LINE" string as its line */
    char p[1024];
    snprintf(p, sizeof p, "%s", ptr);
    const char *loc = NULL;
    for (;;) {
        json_t *l = json_object_get(v->lines, p);
        if (json_is_string(l))
            loc = json_string_value(l);
        if (l)
            break;
        char *slash = strrchr(p, '/');
        if (!slash)
            break;
        *slash = '\0';
    }
    if (loc)
        mh_buf_printf(&b, "%s: %s: %s", loc, *ptr ? ptr : "/", msg);
    else
        mh_buf_printf(&b, "%s:%d: %s: %s", v->file, sc_scenario_line(v->lines, ptr), *ptr ? ptr : "/", msg);
    errors_add(v->errs, mh_buf_take(&b));
    mh_buf_dispose(&b);
    v->nerr++;
}

static void ptr_join(char *out, size_t n, const char *base, const char *key)
{
    mh_buf b;
    mh_buf_init(&b);
    mh_buf_puts(&b, base);
    mh_buf_puts(&b, "/");
    for (const char *k = key; *k; k++) {
        if (*k == '~')
            mh_buf_puts(&b, "~0");
        else if (*k == '/')
            mh_buf_puts(&b, "~1");
        else
            mh_buf_put(&b, k, 1);
    }
    snprintf(out, n, "%s", b.ptr ? b.ptr : "");
    mh_buf_dispose(&b);
}

static const char *type_name(json_t *j)
{
    switch (json_typeof(j)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    default: return "null";
    }
}

/* Field types of the schema tables. */
enum { T_STR, T_INT, T_BOOL, T_OBJ, T_ARR, T_FILES, T_ANY, T_STRS, T_INTS };

typedef struct {
    const char *name;
    int type;
    int required;
} field;

static const char *tname(int t)
{
    static const char *const n[] = {"a string", "an integer", "a boolean", "an object", "an array",
                                    "an object of path -> content (string) or null", "any value",
                                    "an array of strings", "an array of integers"};
    return n[t];
}

static int type_ok(vctx *v, const char *ptr, json_t *val, int t)
{
    switch (t) {
    case T_STR: return json_is_string(val);
    case T_INT: return json_is_integer(val);
    case T_BOOL: return json_is_boolean(val);
    case T_OBJ: return json_is_object(val);
    case T_ARR: return json_is_array(val);
    case T_ANY: return 1;
    case T_STRS:
    case T_INTS: {
        if (!json_is_array(val))
            return 0;
        size_t i;
        json_t *x;
        json_array_foreach(val, i, x) {
            if (t == T_STRS ? !json_is_string(x) : !json_is_integer(x))
                return 0;
        }
        return 1;
    }
    case T_FILES: {
        if (!json_is_object(val))
            return 0;
        const char *k;
        json_t *x;
        json_object_foreach(val, k, x) {
            char sub[1024];
            ptr_join(sub, sizeof sub, ptr, k);
            if (!json_is_string(x) && !json_is_null(x)) {
                fail(v, sub, "file content must be a string (or null to delete the file), not %s", type_name(x));
            } else if (!*k || k[0] == '/' || strstr(k, "//") || k[strlen(k) - 1] == '/' || strstr(k, "..")) {
                fail(v, sub, "bad path \"%s\" (relative, no empty or .. segments)", k);
            }
        }
        return 1;
    }
    }
    return 0;
}

/* Checks obj against fields: unknown keys, missing required keys, types. Returns the error count. */
static size_t check_fields(vctx *v, const char *ptr, json_t *obj, const field *fs, const char *what)
{
    size_t before = v->nerr;
    const char *k;
    json_t *val;
    json_object_foreach(obj, k, val) {
        char sub[1024];
        ptr_join(sub, sizeof sub, ptr, k);
        const field *f = NULL;
        for (const field *x = fs; x->name; x++)
            if (!strcmp(x->name, k))
                f = x;
        if (!f) {
            mh_buf known;
            mh_buf_init(&known);
            for (const field *x = fs; x->name; x++)
                mh_buf_printf(&known, "%s%s", x == fs ? "" : ", ", x->name);
            fail(v, sub, "unknown key \"%s\" in %s (known: %s)", k, what, known.ptr ? known.ptr : "");
            mh_buf_dispose(&known);
            continue;
        }
        if (!type_ok(v, sub, val, f->type))
            fail(v, sub, "\"%s\" must be %s, not %s", k, tname(f->type), type_name(val));
    }
    for (const field *x = fs; x->name; x++)
        if (x->required && !json_object_get(obj, x->name))
            fail(v, ptr, "%s needs \"%s\" (%s)", what, x->name, tname(x->type));
    return v->nerr - before;
}

static int one_of(const char *s, const char *const *list)
{
    for (; s && *list; list++)
        if (!strcmp(s, *list))
            return 1;
    return 0;
}

static json_t *find_user(json_t *world, const char *login)
{
    size_t i;
    json_t *u;
    json_array_foreach(json_object_get(world, "users"), i, u) {
        const char *l = json_string_value(json_object_get(u, "login"));
        if (l && login && mh_streq_ci(l, login))
            return u;
    }
    return NULL;
}

static json_t *scenario_repo_obj(json_t *root)
{
    const char *name = sc_scenario_repo(root);
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(json_object_get(root, "world"), "repos"), i, r) {
        const char *n = json_string_value(json_object_get(r, "full_name"));
        if (n && name && !strcmp(n, name))
            return r;
    }
    return NULL;
}

const char *sc_scenario_repo(const json_t *root)
{
    const char *r = json_string_value(json_object_get(root, "repo"));
    if (r)
        return r;
    json_t *repos = json_object_get(json_object_get(root, "world"), "repos");
    return json_string_value(json_object_get(json_array_get(repos, 0), "full_name"));
}

const char *sc_scenario_landq_user(const json_t *root)
{
    const char *u = json_string_value(json_object_get(json_object_get(root, "landq"), "user"));
    return u ? u : "landq-bot";
}

int sc_scenario_instances(const json_t *root)
{
    json_int_t n = json_integer_value(json_object_get(json_object_get(root, "landq"), "instances"));
    return n >= 1 && n <= SC_MAX_INSTANCES ? (int)n : 1;
}

const char *sc_scenario_label(const json_t *root)
{
    const char *l = json_string_value(json_object_get(json_object_get(root, "landq"), "label"));
    return l ? l : "land";
}

/* ---- "repeat": expands "{i}" in every string and key ---- */

static char *subst(const char *s, long i)
{
    if (!strstr(s, "{i}"))
        return strdup(s);
    mh_buf b;
    mh_buf_init(&b);
    for (const char *p = s; *p;) {
        if (!strncmp(p, "{i}", 3)) {
            mh_buf_printf(&b, "%ld", i);
            p += 3;
        } else {
            mh_buf_put(&b, p++, 1);
        }
    }
    char *r = mh_buf_take(&b);
    mh_buf_dispose(&b);
    return r;
}

static json_t *expand(json_t *j, long i)
{
    if (json_is_string(j)) {
        char *s = subst(json_string_value(j), i);
        json_t *r = s ? json_string(s) : NULL;
        free(s);
        return r ? r : json_null();
    }
    if (json_is_array(j)) {
        json_t *a = json_array();
        size_t k;
        json_t *x;
        json_array_foreach(j, k, x)
            json_array_append_new(a, expand(x, i));
        return a;
    }
    if (json_is_object(j)) {
        json_t *o = json_object();
        const char *k;
        json_t *x;
        json_object_foreach(j, k, x) {
            char *nk = subst(k, i);
            if (nk)
                json_object_set_new(o, nk, expand(x, i));
            free(nk);
        }
        return o;
    }
    return json_incref(j);
}

/* A "pr" written as a string after expansion ("{i}" -> "17") becomes an integer. */
static void pr_to_int(json_t *step)
{
    json_t *pr = json_object_get(step, "pr");
    if (json_is_string(pr)) {
        const char *s = json_string_value(pr);
        char *end;
        errno = 0;
        long n = strtol(s, &end, 10);
        if (*s && !*end && !errno && n > 0 && n < 1000000)
            json_object_set_new(step, "pr", json_integer(n));
    }
}

/* ---- steps ---- */

const char *const sc_step_kinds[] = {"open_pr", "push", "review", "dismiss", "label", "unlabel", "status",
                                     "check_run", "commit", "close", "reopen", "retarget", "merge", "wait_idle", "wait_request",
                                     "wait_pr", "wait_fault", "sleep", "restart_landq", "kill_leader", "fault",
                                     "clear_faults", "rate_limit", "mergeable", "freeze", "unfreeze",
                                     "ci", "wait_ci", "comment", "webhook", NULL};

#define COMMON {"do", T_STR, 1}, {"note", T_STR, 0}, {"repeat", T_INT, 0}, {"expect_http", T_INT, 0}

static const field f_open_pr[] = {COMMON, {"as", T_STR, 1}, {"title", T_STR, 1}, {"body", T_STR, 0},
                                  {"head", T_STR, 1}, {"base", T_STR, 0}, {"files", T_FILES, 1},
                                  {"message", T_STR, 0}, {"draft", T_BOOL, 0}, {"number", T_INT, 0}, {NULL, 0, 0}};
static const field f_push[] = {COMMON, {"as", T_STR, 1}, {"pr", T_ANY, 1}, {"files", T_FILES, 1},
                               {"message", T_STR, 0}, {NULL, 0, 0}};
static const field f_review[] = {COMMON, {"as", T_STR, 1}, {"pr", T_ANY, 1}, {"event", T_STR, 1},
                                 {"body", T_STR, 0}, {"commit", T_STR, 0}, {NULL, 0, 0}};
static const field f_dismiss[] = {COMMON, {"as", T_STR, 1}, {"pr", T_ANY, 1}, {"reviewer", T_STR, 1},
                                  {"message", T_STR, 0}, {NULL, 0, 0}};
static const field f_label[] = {COMMON, {"as", T_STR, 1}, {"pr", T_ANY, 1}, {"label", T_STR, 0}, {NULL, 0, 0}};
static const field f_status[] = {COMMON, {"as", T_STR, 1}, {"pr", T_ANY, 1}, {"context", T_STR, 1},
                                 {"state", T_STR, 1}, {"description", T_STR, 0}, {NULL, 0, 0}};
static const field f_check_run[] = {COMMON, {"as", T_STR, 1}, {"pr", T_ANY, 1}, {"name", T_STR, 1},
                                    {"status", T_STR, 0}, {"conclusion", T_STR, 0}, {NULL, 0, 0}};
static const field f_commit[] = {COMMON, {"as", T_STR, 1}, {"branch", T_STR, 0}, {"files", T_FILES, 1},
                                 {"message", T_STR, 0}, {NULL, 0, 0}};
static const field f_close[] = {COMMON, {"as", T_STR, 1}, {"pr", T_ANY, 1}, {NULL, 0, 0}};
static const field f_merge[] = {COMMON, {"as", T_STR, 1}, {"pr", T_ANY, 1}, {"method", T_STR, 0}, {NULL, 0, 0}};
static const field f_retarget[] = {COMMON, {"as", T_STR, 1}, {"pr", T_ANY, 1}, {"base", T_STR, 1}, {NULL, 0, 0}};
static const field f_wait_idle[] = {COMMON, {"timeout_ms", T_INT, 0}, {"quiet_ms", T_INT, 0}, {NULL, 0, 0}};
static const field f_wait_request[] = {COMMON, {"method", T_STR, 0}, {"route", T_STR, 0}, {"path", T_STR, 0},
                                       {"http", T_INT, 0}, {"count", T_INT, 0}, {"timeout_ms", T_INT, 0},
                                       {NULL, 0, 0}};
static const field f_wait_pr[] = {COMMON, {"pr", T_ANY, 1}, {"merged", T_BOOL, 0}, {"has_label", T_STR, 0},
                                  {"lacks_label", T_STR, 0}, {"status", T_STR, 0},
                                  {"status_contains", T_STR, 0}, {"comment_contains", T_STR, 0},
                                  {"timeout_ms", T_INT, 0}, {"min_ms", T_INT, 0}, {NULL, 0, 0}};
static const field f_wait_fault[] = {COMMON, {"name", T_STR, 1}, {"fired", T_INT, 0}, {"timeout_ms", T_INT, 0},
                                     {NULL, 0, 0}};
static const field f_sleep[] = {COMMON, {"ms", T_INT, 1}, {NULL, 0, 0}};
static const field f_restart[] = {COMMON, {"mode", T_STR, 0}, {"down_ms", T_INT, 0}, {NULL, 0, 0}};
static const field f_kill_leader[] = {COMMON, {"wait_ms", T_INT, 0}, {"down_ms", T_INT, 0}, {"pick", T_INT, 0},
                                      {"during", T_STR, 0}, {NULL, 0, 0}};
static const field f_fault[] = {COMMON, {"spec", T_ANY, 1}, {"name", T_STR, 0}, {NULL, 0, 0}};
static const field f_clear[] = {COMMON, {NULL, 0, 0}};
static const field f_rate[] = {COMMON, {"login", T_STR, 0}, {"limit", T_INT, 0}, {"remaining", T_INT, 0},
                               {"used", T_INT, 0}, {"reset_in", T_INT, 0}, {"exhaust", T_BOOL, 0},
                               {"status", T_INT, 0}, {NULL, 0, 0}};
static const field f_mergeable[] = {COMMON, {"delay_reads", T_INT, 0}, {"delay_ms", T_INT, 0}, {NULL, 0, 0}};
static const field f_freeze[] = {COMMON, {"branch", T_STR, 0}, {"reason", T_STR, 1}, {"by", T_STR, 0},
                                 {"token", T_STR, 0}, {"expect_exit", T_INT, 0},
                                 {"output_contains", T_STR, 0}, {NULL, 0, 0}};
static const field f_unfreeze[] = {COMMON, {"branch", T_STR, 0}, {"by", T_STR, 0}, {"token", T_STR, 0},
                                   {"expect_exit", T_INT, 0}, {"output_contains", T_STR, 0}, {NULL, 0, 0}};
static const field f_comment[] = {COMMON, {"as", T_STR, 1}, {"pr", T_ANY, 1}, {"body", T_STR, 1}, {NULL, 0, 0}};
static const field f_webhook[] = {COMMON, {"event", T_STR, 1}, {"payload", T_OBJ, 1}, {NULL, 0, 0}};
/* the CI simulator (sc_ci.c, docs/world.md "ci") */
static const field f_ci[] = {COMMON, {"rules", T_ARR, 1}, {"contexts", T_ARR, 0}, {"seed", T_INT, 0}, {NULL, 0, 0}};
static const field f_wait_ci[] = {COMMON, {"branch", T_STR, 0}, {"runs", T_INT, 0}, {"completed", T_INT, 0},
                                  {"failed", T_INT, 0}, {"commits", T_INT, 0}, {"timeout_ms", T_INT, 0},
                                  {NULL, 0, 0}};

static const struct {
    const char *kind;
    const field *fields;
} step_schema[] = {
    {"open_pr", f_open_pr},     {"push", f_push},           {"review", f_review},
    {"dismiss", f_dismiss},     {"label", f_label},         {"unlabel", f_label},
    {"status", f_status},       {"check_run", f_check_run}, {"commit", f_commit},
    {"close", f_close},         {"reopen", f_close},        {"retarget", f_retarget}, {"merge", f_merge},
    {"wait_idle", f_wait_idle},
    {"wait_request", f_wait_request}, {"wait_pr", f_wait_pr}, {"wait_fault", f_wait_fault},
    {"sleep", f_sleep},         {"restart_landq", f_restart}, {"kill_leader", f_kill_leader}, {"fault", f_fault},
    {"clear_faults", f_clear},  {"rate_limit", f_rate},     {"mergeable", f_mergeable},
    {"freeze", f_freeze},       {"unfreeze", f_unfreeze},
    {"ci", f_ci},               {"wait_ci", f_wait_ci},
    {"comment", f_comment},     {"webhook", f_webhook},
};

static void check_user(vctx *v, const char *ptr, json_t *step, const char *key)
{
    const char *login = json_string_value(json_object_get(step, key));
    char sub[1024];
    ptr_join(sub, sizeof sub, ptr, key);
    if (login && !find_user(v->world, login))
        fail(v, sub, "no user \"%s\" in the world", login);
    else if (login && !json_is_string(json_object_get(find_user(v->world, login), "token")))
        fail(v, sub, "user \"%s\" has no token in the world", login);
}

/* ---- what GitHub allows, from the world's roles (mirrors mockhub's mh_repo_role) ---- */

static int role_level(const char *r)
{
    static const char *const names[] = {"read", "triage", "write", "maintain", "admin", NULL};
    for (int i = 0; r && names[i]; i++)
        if (!strcmp(names[i], r))
            return i + 1;
    return 0;
}

static const char *role_name(int level)
{
    static const char *const names[] = {"no", "read", "triage", "write", "maintain", "admin"};
    return names[level < 0 || level > 5 ? 0 : level];
}

static int in_logins(json_t *arr, const char *login)
{
    size_t i;
    json_t *x;
    json_array_foreach(arr, i, x) {
        if (json_is_string(x) && mh_streq_ci(json_string_value(x), login))
            return 1;
    }
    return 0;
}

static json_t *find_team(json_t *org, const char *slug)
{
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(org, "teams"), i, t) {
        if (mh_streq_ci(json_string_value(json_object_get(t, "slug")), slug))
            return t;
    }
    return NULL;
}

/* Members of child teams count as members of the parent, as on GitHub. */
static int team_member(json_t *org, json_t *team, const char *login, int depth)
{
    if (!team || depth > 20)
        return 0;
    if (in_logins(json_object_get(team, "members"), login) || in_logins(json_object_get(team, "maintainers"), login))
        return 1;
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(org, "teams"), i, t) {
        const char *parent = json_string_value(json_object_get(t, "parent"));
        if (parent && mh_streq_ci(parent, json_string_value(json_object_get(team, "slug"))) &&
            team_member(org, t, login, depth + 1))
            return 1;
    }
    return 0;
}

/* login's role on the scenario's repository: 0 (cannot see it) .. 5 (admin). */
static int world_role(json_t *root, const char *login)
{
    json_t *world = json_object_get(root, "world"), *repo = scenario_repo_obj(root);
    const char *full = json_string_value(json_object_get(repo, "full_name"));
    if (!repo || !full || !login)
        return 0;
    const char *slash = strchr(full, '/');
    json_t *u = find_user(world, login);
    if ((slash && strlen(login) == (size_t)(slash - full) && !strncasecmp(full, login, (size_t)(slash - full))) ||
        json_is_true(json_object_get(u, "site_admin")))
        return 5;
    int role = json_is_false(json_object_get(repo, "private")) ? 1 : 0;
    const char *k;
    json_t *x;
    json_object_foreach(json_object_get(repo, "collaborators"), k, x) {
        if (mh_streq_ci(k, login) && role_level(json_string_value(x)) > role)
            role = role_level(json_string_value(x));
    }
    size_t i;
    json_t *org;
    json_array_foreach(json_object_get(world, "orgs"), i, org) {
        const char *ol = json_string_value(json_object_get(org, "login"));
        if (!ol || !slash || strlen(ol) != (size_t)(slash - full) || strncasecmp(full, ol, (size_t)(slash - full)))
            continue;
        int member = in_logins(json_object_get(org, "members"), login);
        size_t j;
        json_t *t;
        json_array_foreach(json_object_get(org, "teams"), j, t) member |= team_member(org, t, login, 0);
        if (member && role < 1)
            role = 1; /* the org's base permission */
        json_object_foreach(json_object_get(repo, "teams"), k, x) {
            if (team_member(org, find_team(org, k), login, 0) && role_level(json_string_value(x)) > role)
                role = role_level(json_string_value(x));
        }
    }
    return role;
}

/* The step would be refused by GitHub (a role too low, a self-review) although the scenario
 * expects it to succeed: say so at check time instead of failing the run (or passing for the
 * wrong reason). "expect_http" with the refusal (or 0, any answer) states it is on purpose. */
static void check_allowed(vctx *v, const char *ptr, json_t *step, const char *kind)
{
    json_t *want = json_object_get(step, "expect_http");
    if (want && !(json_integer_value(want) >= 200 && json_integer_value(want) < 300))
        return;
    const char *as = json_string_value(json_object_get(step, "as"));
    if (!as || !find_user(v->world, as))
        return; /* check_user said it */
    static const struct {
        const char *kind;
        int need;
        const char *what;
    } needs[] = {{"open_pr", 3, "pushing its branch"}, {"push", 3, "pushing to the head branch"},
                 {"review", 1, "reviewing"}, {"dismiss", 3, "dismissing a review"}, {"label", 2, "labeling"},
                 {"unlabel", 2, "removing a label"}, {"status", 3, "setting a commit status"},
                 {"check_run", 3, "creating a check run"}, {"commit", 3, "pushing a commit"},
                 {"close", 2, "closing someone else's pull request"}, {"reopen", 2, "reopening someone else's pull request"},
                 {"retarget", 3, "changing the base of someone else's pull request"},
                 {"merge", 3, "merging a pull request"}};
    int need = -1;
    const char *what = "";
    for (size_t i = 0; i < sizeof needs / sizeof *needs; i++)
        if (!strcmp(needs[i].kind, kind)) {
            need = needs[i].need;
            what = needs[i].what;
        }
    if (need < 0)
        return;
    json_t *pr = json_object_get(step, "pr");
    const char *author = json_is_integer(pr) ? json_string_value(json_array_get(v->authors, (size_t)json_integer_value(pr) - 1)) : NULL;
    int own = author && mh_streq_ci(author, as);
    if (own && (!strcmp(kind, "close") || !strcmp(kind, "reopen") || !strcmp(kind, "retarget")))
        return; /* authors may close, reopen and retarget their own pull requests */
    int role = world_role(v->root, as);
    const char *repo = sc_scenario_repo(v->root);
    char sub[1024];
    ptr_join(sub, sizeof sub, ptr, "as");
    if (role < 1) {
        fail(v, sub, "\"%s\" cannot see %s (no role, private repository): GitHub answers 404; add \"expect_http\": 404 "
                     "if that is the point", as, repo);
    } else if (role < need) {
        fail(v, sub, "\"%s\" has %s access to %s; GitHub refuses %s (it needs %s) with 403: add \"expect_http\": 403 "
                     "if that refusal is the point", as, role_name(role), repo, what, role_name(need));
    } else if (own && !strcmp(kind, "review")) {
        const char *ev = json_string_value(json_object_get(step, "event"));
        if (ev && (!strcmp(ev, "APPROVE") || !strcmp(ev, "REQUEST_CHANGES")))
            fail(v, sub, "\"%s\" wrote #%lld: GitHub refuses an author's %s with 422 (\"Can not %s your own pull "
                         "request\"): add \"expect_http\": 422 if that refusal is the point", as,
                 (long long)json_integer_value(pr), ev, !strcmp(ev, "APPROVE") ? "approve" : "request changes on");
    }
}

static void check_pr(vctx *v, const char *ptr, json_t *step)
{
    json_t *pr = json_object_get(step, "pr");
    if (!pr)
        return;
    char sub[1024];
    ptr_join(sub, sizeof sub, ptr, "pr");
    if (!json_is_integer(pr)) {
        fail(v, sub, "\"pr\" must be a pull request number (or \"{i}\" inside a repeated step)");
        return;
    }
    json_int_t n = json_integer_value(pr);
    if (n < 1 || n > v->npulls)
        fail(v, sub, "no pull request #%lld at this point (%d known: world pulls + open_pr steps before)",
             (long long)n, v->npulls);
}

static void check_step(vctx *v, const char *ptr, json_t *step)
{
    if (!json_is_object(step)) {
        fail(v, ptr, "a step must be an object with \"do\", not %s", type_name(step));
        return;
    }
    const char *kind = json_string_value(json_object_get(step, "do"));
    const field *fs = NULL;
    for (size_t i = 0; kind && i < sizeof step_schema / sizeof *step_schema; i++)
        if (!strcmp(step_schema[i].kind, kind))
            fs = step_schema[i].fields;
    if (!fs) {
        char sub[1024];
        ptr_join(sub, sizeof sub, ptr, "do");
        mh_buf known;
        mh_buf_init(&known);
        for (size_t i = 0; sc_step_kinds[i]; i++)
            mh_buf_printf(&known, "%s%s", i ? ", " : "", sc_step_kinds[i]);
        if (!kind)
            fail(v, json_object_get(step, "do") ? sub : ptr, "a step needs \"do\": one of %s", known.ptr);
        else
            fail(v, sub, "unknown step \"%s\" (one of %s)", kind, known.ptr);
        mh_buf_dispose(&known);
        return;
    }
    char what[64];
    snprintf(what, sizeof what, "step \"%s\"", kind);
    if (check_fields(v, ptr, step, fs, what)) {
        if (!strcmp(kind, "open_pr")) { /* still a pull request: later steps may name it (one root error) */
            v->npulls++;
            json_array_append_new(v->authors, json_string(json_is_string(json_object_get(step, "as"))
                                                               ? json_string_value(json_object_get(step, "as")) : ""));
        }
        return;
    }
    char sub[1024];
    check_user(v, ptr, step, "as");
    check_allowed(v, ptr, step, kind);
    if (!strcmp(kind, "open_pr")) {
        v->npulls++;
        json_array_append_new(v->authors, json_string(json_string_value(json_object_get(step, "as"))));
        json_t *num = json_object_get(step, "number");
        if (num && json_integer_value(num) != v->npulls) {
            ptr_join(sub, sizeof sub, ptr, "number");
            fail(v, sub, "this pull request will be #%d, not #%lld", v->npulls, (long long)json_integer_value(num));
        }
        if (!json_object_size(json_object_get(step, "files"))) {
            ptr_join(sub, sizeof sub, ptr, "files");
            fail(v, sub, "a pull request needs at least one changed file");
        }
        return;
    }
    check_pr(v, ptr, step);
    if (!strcmp(kind, "review")) {
        static const char *const ev[] = {"APPROVE", "REQUEST_CHANGES", "COMMENT", NULL};
        const char *e = json_string_value(json_object_get(step, "event"));
        ptr_join(sub, sizeof sub, ptr, "event");
        if (!one_of(e, ev))
            fail(v, sub, "event must be APPROVE, REQUEST_CHANGES or COMMENT, not \"%s\"", e);
        const char *c = json_string_value(json_object_get(step, "commit"));
        ptr_join(sub, sizeof sub, ptr, "commit");
        if (c && strcmp(c, "head") && strcmp(c, "first") && strcmp(c, "previous"))
            fail(v, sub, "commit must be \"head\" (default), \"previous\" or \"first\"");
    } else if (!strcmp(kind, "dismiss")) {
        check_user(v, ptr, step, "reviewer");
    } else if (!strcmp(kind, "mergeable")) {
        if (!json_object_get(step, "delay_reads") && !json_object_get(step, "delay_ms"))
            fail(v, ptr, "\"mergeable\" needs \"delay_reads\" or \"delay_ms\"");
    } else if (!strcmp(kind, "status")) {
        static const char *const st[] = {"error", "failure", "pending", "success", NULL};
        ptr_join(sub, sizeof sub, ptr, "state");
        if (!one_of(json_string_value(json_object_get(step, "state")), st))
            fail(v, sub, "state must be error, failure, pending or success");
    } else if (!strcmp(kind, "check_run")) {
        static const char *const st[] = {"queued", "in_progress", "completed", NULL};
        static const char *const cc[] = {"success", "failure", "neutral", "cancelled", "skipped", "timed_out",
                                         "action_required", NULL};
        const char *s = json_string_value(json_object_get(step, "status"));
        const char *c = json_string_value(json_object_get(step, "conclusion"));
        ptr_join(sub, sizeof sub, ptr, "status");
        if (s && !one_of(s, st))
            fail(v, sub, "status must be queued, in_progress or completed");
        ptr_join(sub, sizeof sub, ptr, "conclusion");
        if (c && !one_of(c, cc))
            fail(v, sub, "unknown conclusion \"%s\"", c);
        if ((!s || !strcmp(s, "completed")) && !c)
            fail(v, ptr, "a completed check run needs \"conclusion\"");
    } else if (!strcmp(kind, "restart_landq")) {
        static const char *const m[] = {"clean", "kill9", NULL};
        const char *s = json_string_value(json_object_get(step, "mode"));
        ptr_join(sub, sizeof sub, ptr, "mode");
        if (s && !one_of(s, m))
            fail(v, sub, "mode must be \"clean\" (SIGTERM, exit 0 expected) or \"kill9\"");
    } else if (!strcmp(kind, "kill_leader")) {
        if (sc_scenario_instances(v->root) < 2)
            fail(v, ptr, "kill_leader needs several landq instances (\"landq\": {\"instances\": N}, N >= 2)");
        json_t *pick = json_object_get(step, "pick");
        ptr_join(sub, sizeof sub, ptr, "pick");
        if (pick && json_integer_value(pick) < 0)
            fail(v, sub, "pick must be >= 0");
        const char *during = json_string_value(json_object_get(step, "during"));
        ptr_join(sub, sizeof sub, ptr, "during");
        if (during && strcmp(during, "merge"))
            fail(v, sub, "during must be \"merge\" (kill the holder while its merge request is in flight)");
    } else if (!strcmp(kind, "fault")) {
        json_t *spec = json_object_get(step, "spec");
        json_t *list = json_is_array(spec) ? json_incref(spec) : json_pack("[O]", spec);
        mh_faults fs2;
        mh_faults_init(&fs2, 1);
        size_t i;
        json_t *f;
        ptr_join(sub, sizeof sub, ptr, "spec");
        json_array_foreach(list, i, f) {
            char e[256];
            if (mh_faults_add(&fs2, f, e, sizeof e) < 0) {
                char s2[1100];
                if (json_is_array(spec))
                    snprintf(s2, sizeof s2, "%s/%zu", sub, i);
                else
                    snprintf(s2, sizeof s2, "%s", sub);
                fail(v, s2, "bad fault: %s", e);
            }
        }
        mh_faults_dispose(&fs2);
        json_decref(list);
        const char *name = json_string_value(json_object_get(step, "name"));
        if (name)
            json_object_set_new(v->fault_names, name, json_true());
    } else if (!strcmp(kind, "wait_fault")) {
        const char *name = json_string_value(json_object_get(step, "name"));
        ptr_join(sub, sizeof sub, ptr, "name");
        if (!json_object_get(v->fault_names, name))
            fail(v, sub, "no fault step named \"%s\" before this step", name);
    } else if (!strcmp(kind, "sleep")) {
        json_int_t ms = json_integer_value(json_object_get(step, "ms"));
        ptr_join(sub, sizeof sub, ptr, "ms");
        if (ms < 0 || ms > 120000)
            fail(v, sub, "ms must be within 0..120000");
    } else if (!strcmp(kind, "rate_limit")) {
        check_user(v, ptr, step, "login");
    } else if (!strcmp(kind, "wait_request")) {
        if (!json_object_get(step, "route") && !json_object_get(step, "path"))
            fail(v, ptr, "wait_request needs \"route\" (e.g. \"pulls/merge\") or \"path\" (a glob)");
    } else if (!strcmp(kind, "ci") || !strcmp(kind, "wait_ci")) {
        json_t *wci = json_object_get(v->world, "ci");
        if (!wci)
            fail(v, ptr, "step \"%s\" needs a \"ci\" section in the world (the CI simulator)", kind);
        if (wci && !strcmp(kind, "ci")) { /* the same validation as mockhub's POST /_mockhub/ci */
            json_t *sec = json_pack("{s:O, s:O}", "contexts",
                                    json_object_get(step, "contexts") ? json_object_get(step, "contexts")
                                                                      : json_object_get(wci, "contexts"),
                                    "rules", json_object_get(step, "rules"));
            mh_ci_config cc;
            char cptr[128], cmsg[400];
            if (sec && mh_ci_config_parse(&cc, sec, 0, cptr, sizeof cptr, cmsg, sizeof cmsg) == 0) {
                mh_ci_config_dispose(&cc);
            } else if (sec) {
                snprintf(sub, sizeof sub, "%s%s", ptr, cptr); /* cptr is already a pointer */
                fail(v, sub, "%s", cmsg);
            }
            json_decref(sec);
        }
    }
    json_t *t = json_object_get(step, "timeout_ms");
    if (t && (json_integer_value(t) < 0 || json_integer_value(t) > 600000)) {
        ptr_join(sub, sizeof sub, ptr, "timeout_ms");
        fail(v, sub, "timeout_ms must be within 0..600000");
    }
}

/* Expands repeats and validates each resulting step; returns the expanded array (new ref). */
static json_t *check_steps(vctx *v, json_t *steps)
{
    json_t *out = json_array();
    size_t i;
    json_t *step;
    json_array_foreach(steps, i, step) {
        char ptr[64];
        snprintf(ptr, sizeof ptr, "/steps/%zu", i);
        int line = sc_scenario_line(v->lines, ptr);
        json_t *rep = json_object_get(step, "repeat");
        if (rep) {
            char sub[80];
            snprintf(sub, sizeof sub, "%s/repeat", ptr);
            if (!json_is_integer(rep) || json_integer_value(rep) < 1 || json_integer_value(rep) > SC_MAX_REPEAT) {
                fail(v, sub, "repeat must be an integer within 1..%d", SC_MAX_REPEAT);
                continue;
            }
        }
        long times = rep ? (long)json_integer_value(rep) : 1;
        for (long k = 1; k <= times; k++) {
            json_t *one = rep ? expand(step, k) : json_incref(step);
            if (rep) {
                json_object_del(one, "repeat");
                pr_to_int(one);
            }
            size_t before = v->nerr;
            check_step(v, ptr, one);
            if (json_is_object(one))
                json_object_set_new(one, "_line", json_integer(line));
            if (json_array_size(out) < SC_MAX_STEPS)
                json_array_append(out, one);
            json_decref(one);
            if (v->nerr > before && rep) /* one error per repeated step is enough */
                break;
        }
    }
    return out;
}

/* ---- expectations ---- */

static const field f_expect[] = {{"pulls", T_OBJ, 0}, {"base", T_OBJ, 0}, {"requests", T_OBJ, 0},
                                 {"invariants", T_BOOL, 0}, {"note", T_STR, 0}, {"ci", T_OBJ, 0}, {NULL, 0, 0}};
static const field f_exp_ci[] = {{"main_green", T_BOOL, 0}, {"candidates", T_INT, 0}, {"candidates_min", T_INT, 0},
                                 {"candidates_max", T_INT, 0}, {"candidate_runs_max", T_INT, 0},
                                 {"try_branches", T_INT, 0}, {"ejected", T_INTS, 0}, {NULL, 0, 0}};
static const field f_exp_pull[] = {{"merged", T_BOOL, 0}, {"state", T_STR, 0}, {"labels", T_STRS, 0},
                                   {"comments", T_OBJ, 0}, {"status", T_OBJ, 0}, {"commit", T_OBJ, 0},
                                   {"merge_attempts", T_INT, 0}, {NULL, 0, 0}};
static const field f_exp_comments[] = {{"count", T_INT, 0}, {"contains", T_STRS, 0}, {"not_contains", T_STRS, 0},
                                       {NULL, 0, 0}};
static const field f_exp_status[] = {{"context", T_STR, 0}, {"state", T_STR, 0}, {"description", T_STR, 0},
                                     {"description_contains", T_STR, 0}, {NULL, 0, 0}};
static const field f_exp_commit[] = {{"title", T_STR, 0}, {"message", T_STR, 0}, {"files", T_FILES, 0},
                                     {"parents", T_INT, 0}, {NULL, 0, 0}};
static const field f_exp_base[] = {{"branch", T_STR, 0}, {"new_commits", T_INT, 0}, {"head", T_OBJ, 0},
                                   {"order", T_INTS, 0}, {"label_order", T_BOOL, 0}, {NULL, 0, 0}};
static const field f_exp_requests[] = {{"max", T_INT, 0}, {"merges", T_INT, 0}, {"rate_limited_max", T_INT, 0},
                                       {"merge_gap_max", T_INT, 0}, {NULL, 0, 0}};

static void check_expect(vctx *v, json_t *exp)
{
    if (check_fields(v, "/expect", exp, f_expect, "\"expect\""))
        return;
    const char *k;
    json_t *pe;
    json_object_foreach(json_object_get(exp, "pulls"), k, pe) {
        char ptr[256], sub[300];
        ptr_join(ptr, sizeof ptr, "/expect/pulls", k);
        char *end;
        long n = strtol(k, &end, 10);
        if (!*k || *end || n < 1 || n > v->npulls)
            fail(v, ptr, "\"%s\" is not a pull request of this scenario (1..%d)", k, v->npulls);
        if (!json_is_object(pe)) {
            fail(v, ptr, "expectations of a pull request must be an object");
            continue;
        }
        if (check_fields(v, ptr, pe, f_exp_pull, "a pull request expectation"))
            continue;
        static const char *const states[] = {"open", "closed", NULL};
        snprintf(sub, sizeof sub, "%s/state", ptr);
        if (json_object_get(pe, "state") && !one_of(json_string_value(json_object_get(pe, "state")), states))
            fail(v, sub, "state must be \"open\" or \"closed\"");
        snprintf(sub, sizeof sub, "%s/comments", ptr);
        if (json_object_get(pe, "comments"))
            check_fields(v, sub, json_object_get(pe, "comments"), f_exp_comments, "\"comments\"");
        snprintf(sub, sizeof sub, "%s/status", ptr);
        if (json_object_get(pe, "status"))
            check_fields(v, sub, json_object_get(pe, "status"), f_exp_status, "\"status\"");
        snprintf(sub, sizeof sub, "%s/commit", ptr);
        if (json_object_get(pe, "commit"))
            check_fields(v, sub, json_object_get(pe, "commit"), f_exp_commit, "\"commit\"");
    }
    json_t *base = json_object_get(exp, "base");
    if (base && !check_fields(v, "/expect/base", base, f_exp_base, "\"base\"") && json_object_get(base, "head"))
        check_fields(v, "/expect/base/head", json_object_get(base, "head"), f_exp_commit, "\"head\"");
    if (json_object_get(exp, "requests"))
        check_fields(v, "/expect/requests", json_object_get(exp, "requests"), f_exp_requests, "\"requests\"");
    json_t *eci = json_object_get(exp, "ci");
    if (eci && !check_fields(v, "/expect/ci", eci, f_exp_ci, "\"ci\"") && !json_object_get(v->world, "ci"))
        fail(v, "/expect/ci", "CI expectations need a \"ci\" section in the world (the CI simulator)");
}

/* ---- world ---- */

/* Expands "repeat" inside world.repos[].pulls[] (a burst of pull requests) in place. */
static void expand_world_pulls(vctx *v, json_t *world)
{
    size_t r;
    json_t *repo;
    json_array_foreach(json_object_get(world, "repos"), r, repo) {
        json_t *pulls = json_object_get(repo, "pulls");
        if (!json_is_array(pulls))
            continue;
        json_t *out = json_array();
        size_t i;
        json_t *p;
        json_array_foreach(pulls, i, p) {
            json_t *rep = json_object_get(p, "repeat");
            if (!rep) {
                json_array_append(out, p);
                continue;
            }
            char ptr[128];
            snprintf(ptr, sizeof ptr, "/world/repos/%zu/pulls/%zu/repeat", r, i);
            if (!json_is_integer(rep) || json_integer_value(rep) < 1 || json_integer_value(rep) > SC_MAX_REPEAT) {
                fail(v, ptr, "repeat must be an integer within 1..%d", SC_MAX_REPEAT);
                continue;
            }
            for (long k = 1; k <= json_integer_value(rep); k++) {
                json_t *one = expand(p, k);
                json_object_del(one, "repeat");
                json_array_append_new(out, one);
            }
        }
        json_object_set_new(repo, "pulls", out);
    }
}

/* Maps an mh_world error ("world:LINE: /ptr: message") to the scenario file. */
static void world_error(vctx *v, const char *err)
{
    const char *p = strchr(err, ':');
    p = p ? strchr(p + 1, ':') : NULL;
    if (!p || p[1] != ' ') {
        fail(v, "/world", "%s", err);
        return;
    }
    p += 2;
    const char *q = strstr(p, ": ");
    if (!q) {
        fail(v, "/world", "%s", p);
        return;
    }
    char ptr[1024];
    snprintf(ptr, sizeof ptr, "/world%.*s", (int)(q - p) > 900 ? 900 : (int)(q - p), p);
    if (!strcmp(ptr, "/world/"))
        ptr[6] = '\0';
    fail(v, ptr, "%s", q + 2);
}

static void check_world(vctx *v, json_t *root)
{
    json_t *world = json_object_get(root, "world");
    expand_world_pulls(v, world);
    char *text = json_dumps(world, JSON_COMPACT);
    if (!text) {
        fail(v, "/world", "cannot serialize the world");
        return;
    }
    mh_world w;
    char err[1024];
    if (mh_world_parse(&w, text, strlen(text), "world", err, sizeof err) < 0)
        world_error(v, err);
    else
        mh_world_dispose(&w);
    free(text);
    json_t *repo = scenario_repo_obj(root);
    if (!repo) {
        fail(v, json_object_get(root, "repo") ? "/repo" : "/world/repos",
             "the scenario's repository (\"repo\", default: the first of world.repos) is not in the world");
        return;
    }
    v->npulls = (int)json_array_size(json_object_get(repo, "pulls"));
    size_t pi;
    json_t *pp;
    json_array_foreach(json_object_get(repo, "pulls"), pi, pp) {
        json_array_append_new(v->authors, json_string(json_is_string(json_object_get(pp, "user"))
                                                           ? json_string_value(json_object_get(pp, "user")) : ""));
    }
    const char *lq = sc_scenario_landq_user(root);
    json_t *u = find_user(world, lq);
    if (!u || !json_is_string(json_object_get(u, "token")))
        fail(v, "/world/users", "the landq user \"%s\" must be a world user with a token", lq);
    int admin = 0;
    const char *k;
    json_t *role;
    json_object_foreach(json_object_get(repo, "collaborators"), k, role) {
        if (json_is_string(role) && !strcmp(json_string_value(role), "admin") && find_user(world, k))
            admin = 1;
    }
    if (!admin)
        fail(v, "/world/repos", "the repository needs an admin collaborator (the runner creates the webhook as them)");
}

static const field f_top[] = {{"description", T_STR, 1}, {"world", T_OBJ, 1}, {"steps", T_ARR, 1},
                              {"expect", T_OBJ, 0}, {"repo", T_STR, 0}, {"landq", T_OBJ, 0},
                              {"expected_failure", T_STR, 0}, {"expected_failure_shows", T_STR, 0}, {"timeout_ms", T_INT, 0}, {"seed", T_INT, 0},
                              {NULL, 0, 0}};
static const field f_landq[] = {{"user", T_STR, 0}, {"label", T_STR, 0}, {"required_checks", T_STRS, 0},
                                {"args", T_STRS, 0}, {"instances", T_INT, 0}, {NULL, 0, 0}};

/* Validates a parsed scenario (root and lines are taken over). */
static int scenario_from(sc_scenario *out, json_t *root, json_t *lines, const char *file, sc_errors *errs)
{
    vctx v = {file, lines, errs, 0, NULL, NULL, 0, json_array(), json_object()};
    json_t *steps = NULL;
    if (!json_is_object(root)) {
        fail(&v, "", "a scenario must be a JSON object with \"description\", \"world\", \"steps\"");
    } else if (!check_fields(&v, "", root, f_top, "a scenario")) {
        v.world = json_object_get(root, "world");
        v.root = root;
        if (json_object_get(root, "landq"))
            check_fields(&v, "/landq", json_object_get(root, "landq"), f_landq, "\"landq\"");
        json_t *ni = json_object_get(json_object_get(root, "landq"), "instances");
        if (json_is_integer(ni) && (json_integer_value(ni) < 1 || json_integer_value(ni) > SC_MAX_INSTANCES))
            fail(&v, "/landq/instances", "instances must be within 1..%d", SC_MAX_INSTANCES);
        check_world(&v, root);
        if (!v.nerr) {
            steps = check_steps(&v, json_object_get(root, "steps"));
            if (json_object_get(root, "expect"))
                check_expect(&v, json_object_get(root, "expect"));
        }
        json_t *t = json_object_get(root, "timeout_ms");
        if (t && (json_integer_value(t) < 100 || json_integer_value(t) > 600000))
            fail(&v, "/timeout_ms", "timeout_ms must be within 100..600000");
    }
    json_decref(v.fault_names);
    json_decref(v.authors);
    if (v.nerr) {
        json_decref(root);
        json_decref(v.lines);
        json_decref(steps);
        return -1;
    }
    out->root = root;
    out->steps = steps;
    out->lines = v.lines;
    out->file = strdup(file);
    return 0;
}

static json_t *parse_text(const char *text, size_t len, const char *file, sc_errors *errs)
{
    json_error_t je;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        mh_buf b;
        mh_buf_init(&b);
        mh_buf_printf(&b, "%s:%d: %s", file, je.line > 0 ? je.line : 1, je.text);
        errors_add(errs, mh_buf_take(&b));
        mh_buf_dispose(&b);
    }
    return root;
}

int sc_scenario_parse(sc_scenario *out, const char *text, size_t len, const char *file, sc_errors *errs)
{
    memset(out, 0, sizeof *out);
    json_t *root = parse_text(text, len, file, errs);
    if (!root)
        return -1;
    if (json_object_get(json_object_get(root, "world"), "include")) {
        mh_buf b;
        mh_buf_init(&b);
        json_t *lines = sc_json_lines(text, len);
        mh_buf_printf(&b, "%s:%d: /world/include: \"include\" is resolved when the scenario is read from a file "
                          "(mockhub check / run)", file, sc_scenario_line(lines, "/world/include"));
        errors_add(errs, mh_buf_take(&b));
        mh_buf_dispose(&b);
        json_decref(lines);
        json_decref(root);
        return -1;
    }
    return scenario_from(out, root, sc_json_lines(text, len), file, errs);
}

int sc_scenario_load(sc_scenario *out, const char *file, sc_errors *errs)
{
    memset(out, 0, sizeof *out);
    FILE *f = fopen(file, "rb");
    mh_buf b;
    mh_buf_init(&b);
    if (!f) {
        mh_buf_printf(&b, "%s: cannot open: %s", file, strerror(errno));
        errors_add(errs, mh_buf_take(&b));
        mh_buf_dispose(&b);
        return -1;
    }
    char chunk[65536];
    size_t n;
    int big = 0;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (mh_buf_put(&b, chunk, n) < 0 || b.len > 16u * 1024 * 1024) {
            big = 1;
            break;
        }
    }
    fclose(f);
    if (big) {
        mh_buf_dispose(&b);
        mh_buf_printf(&b, "%s: too large (16 MiB at most)", file);
        errors_add(errs, mh_buf_take(&b));
        mh_buf_dispose(&b);
        return -1;
    }
    json_t *root = parse_text(b.ptr ? b.ptr : "", b.len, file, errs);
    json_t *lines = root ? sc_json_lines(b.ptr ? b.ptr : "", b.len) : NULL;
    mh_buf_dispose(&b);
    if (!root)
        return -1;
    json_t *world = json_object_get(root, "world");
    if (json_is_object(world) && json_object_get(world, "include")) {
        /* "world": {"include": "worlds/acme-mono.json", ...overrides} */
        json_t *sub = mh_merge_sub_lines(lines, "/world", ""), *merged = NULL, *mlines = NULL;
        char err[1024];
        int rc = mh_world_resolve_include(world, sub, file, &merged, &mlines, err, sizeof err);
        json_decref(sub);
        if (rc < 0) {
            char *at = strstr(err, ": /include: ");
            mh_buf eb;
            mh_buf_init(&eb);
            if (at && !strncmp(err, file, strlen(file)))
                mh_buf_printf(&eb, "%.*s: /world/include: %s", (int)(at - err), err, at + 12);
            else
                mh_buf_puts(&eb, err);
            errors_add(errs, mh_buf_take(&eb));
            mh_buf_dispose(&eb);
            json_decref(root);
            json_decref(lines);
            return -1;
        }
        json_object_set_new(root, "world", merged);
        json_t *kept = json_object();
        const char *k;
        json_t *v;
        json_object_foreach(lines, k, v) {
            if (strncmp(k, "/world", 6) || (k[6] && k[6] != '/'))
                json_object_set(kept, k, v);
        }
        json_t *wl = mh_merge_sub_lines(mlines, "", "/world");
        json_object_update(kept, wl);
        if (!json_object_get(kept, "/world"))
            json_object_set(kept, "/world", json_object_get(lines, "/world"));
        json_decref(wl);
        json_decref(mlines);
        json_decref(lines);
        lines = kept;
    }
    return scenario_from(out, root, lines, file, errs);
}

void sc_scenario_dispose(sc_scenario *s)
{
    json_decref(s->root);
    json_decref(s->steps);
    json_decref(s->lines);
    free(s->file);
    memset(s, 0, sizeof *s);
}
