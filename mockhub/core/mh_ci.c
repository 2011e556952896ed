/* mh_ci.c -- the CI simulator's configuration and decisions (see mh_ci.h). */
#include "mh_ci.h"
#include "mh_fault.h"
#include "mh_util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CONTEXTS 64
#define MAX_RULES 256
#define MAX_MARKERS 16
#define MAX_MS 3600000L

static const char *const conclusions[] = {"failure", "timed_out", "cancelled", "action_required", NULL};

static char *dup(const char *s)
{
    return s ? strdup(s) : NULL;
}

static int bad(char *ptr, size_t pl, char *msg, size_t ml, const char *p, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
static int bad(char *ptr, size_t pl, char *msg, size_t ml, const char *p, const char *fmt, ...)
{
    snprintf(ptr, pl, "%s", p);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, ml, fmt, ap);
    va_end(ap);
    return -1;
}

#define BAD(p, ...) bad(ptr, ptrlen, msg, msglen, p, __VA_ARGS__)

static int unknown_key(const json_t *obj, const char *const *known, const char **which)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)obj, k, v) {
        int ok = 0;
        for (int i = 0; known[i]; i++)
            ok |= !strcmp(known[i], k);
        if (!ok) {
            *which = k;
            return 1;
        }
    }
    return 0;
}

static void allowed_list(char *out, size_t n, const char *const *known)
{
    size_t o = 0;
    out[0] = '\0';
    for (int i = 0; known[i] && o < n; i++)
        o += (size_t)snprintf(out + o, n - o, "%s%s", i ? ", " : "", known[i]);
}

/* A non-empty array of non-empty strings (at most max). */
static int string_array(const json_t *a, size_t max)
{
    if (!json_is_array(a) || json_array_size(a) == 0 || json_array_size(a) > max)
        return 0;
    size_t i;
    json_t *s;
    json_array_foreach(a, i, s) {
        if (!json_is_string(s) || json_string_length(s) == 0 || json_string_length(s) > 1000)
            return 0;
    }
    return 1;
}

static int parse_ms(const json_t *v, long *lo, long *hi)
{
    if (json_is_integer(v)) {
        *lo = *hi = (long)json_integer_value(v);
        return *lo >= 0 && *lo <= MAX_MS;
    }
    if (json_is_array(v) && json_array_size(v) == 2 && json_is_integer(json_array_get(v, 0)) &&
        json_is_integer(json_array_get(v, 1))) {
        *lo = (long)json_integer_value(json_array_get(v, 0));
        *hi = (long)json_integer_value(json_array_get(v, 1));
        return *lo >= 0 && *hi >= *lo && *hi <= MAX_MS;
    }
    return 0;
}

static int parse_context(mh_ci_context *cx, const json_t *o, const char *p, char *ptr, size_t ptrlen,
                         char *msg, size_t msglen)
{
    static const char *const keys[] = {"name", "kind", "duration_ms", "queue_ms", "branches", NULL};
    char sub[128];
    const char *k;
    if (!json_is_object(o))
        return BAD(p, "a context must be an object like {\"name\": \"ci/test\", \"duration_ms\": 2000}");
    if (unknown_key(o, keys, &k)) {
        char list[256];
        allowed_list(list, sizeof list, keys);
        snprintf(sub, sizeof sub, "%s/%s", p, k);
        return BAD(sub, "unknown key \"%s\" (allowed: %s)", k, list);
    }
    json_t *name = json_object_get(o, "name");
    snprintf(sub, sizeof sub, "%s/name", p);
    if (!name)
        return BAD(p, "missing required key \"name\"");
    if (!json_is_string(name) || json_string_length(name) == 0 || json_string_length(name) > 255)
        return BAD(sub, "must be a non-empty string (at most 255 bytes)");
    cx->name = dup(json_string_value(name));
    json_t *kind = json_object_get(o, "kind");
    snprintf(sub, sizeof sub, "%s/kind", p);
    if (kind && (!json_is_string(kind) || (strcmp(json_string_value(kind), "check_run") &&
                                           strcmp(json_string_value(kind), "status"))))
        return BAD(sub, "must be \"check_run\" or \"status\"");
    cx->kind = kind && !strcmp(json_string_value(kind), "status") ? MH_CI_STATUS : MH_CI_CHECK_RUN;
    json_t *d = json_object_get(o, "duration_ms");
    snprintf(sub, sizeof sub, "%s/duration_ms", p);
    cx->dur_min = cx->dur_max = 1000;
    if (d && !parse_ms(d, &cx->dur_min, &cx->dur_max))
        return BAD(sub, "must be milliseconds 0..%ld, or a range [MIN, MAX] with MIN <= MAX", MAX_MS);
    json_t *q = json_object_get(o, "queue_ms");
    snprintf(sub, sizeof sub, "%s/queue_ms", p);
    long qhi = 0;
    if (q && (!json_is_integer(q) || !parse_ms(q, &cx->queue_ms, &qhi)))
        return BAD(sub, "must be milliseconds 0..%ld", MAX_MS);
    json_t *b = json_object_get(o, "branches");
    snprintf(sub, sizeof sub, "%s/branches", p);
    if (b && !string_array(b, 64))
        return BAD(sub, "must be a non-empty array of branch name globs (e.g. [\"main\", \"landq/try/*\"])");
    cx->branches = b ? json_deep_copy(b) : NULL;
    return 0;
}

static int matches_some_context(const mh_ci_config *c, const char *glob)
{
    for (size_t i = 0; i < c->ncontexts; i++)
        if (mh_glob_match(glob, c->contexts[i].name))
            return 1;
    return 0;
}

static int parse_rule(mh_ci_config *c, mh_ci_rule *r, const json_t *o, const char *p, char *ptr,
                      size_t ptrlen, char *msg, size_t msglen)
{
    static const char *const keys[] = {"context", "path", "contains", "all", "flake", "times",
                                       "branches", "conclusion", "summary", NULL};
    char sub[128];
    const char *k;
    r->flake = -1;
    r->times = -1;
    if (!json_is_object(o))
        return BAD(p, "a rule must be an object like {\"contains\": \"BREAKS_BUILD\"}");
    if (unknown_key(o, keys, &k)) {
        char list[256];
        allowed_list(list, sizeof list, keys);
        snprintf(sub, sizeof sub, "%s/%s", p, k);
        return BAD(sub, "unknown key \"%s\" (allowed: %s)", k, list);
    }
    static const char *const strs[] = {"context", "path", "contains", "conclusion", "summary"};
    for (int i = 0; i < 5; i++) {
        json_t *v = json_object_get(o, strs[i]);
        snprintf(sub, sizeof sub, "%s/%s", p, strs[i]);
        if (v && (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > 1000))
            return BAD(sub, "must be a non-empty string");
    }
    r->context = dup(json_object_get(o, "context") ? json_string_value(json_object_get(o, "context")) : "*");
    r->path = dup(json_string_value(json_object_get(o, "path")));
    r->contains = dup(json_string_value(json_object_get(o, "contains")));
    r->summary = dup(json_string_value(json_object_get(o, "summary")));
    const char *concl = json_string_value(json_object_get(o, "conclusion"));
    int ok = !concl;
    for (int i = 0; concl && conclusions[i]; i++)
        ok |= !strcmp(concl, conclusions[i]);
    snprintf(sub, sizeof sub, "%s/conclusion", p);
    if (!ok)
        return BAD(sub, "must be one of failure, timed_out, cancelled, action_required");
    r->conclusion = dup(concl ? concl : "failure");
    snprintf(sub, sizeof sub, "%s/context", p);
    if (!matches_some_context(c, r->context))
        return BAD(sub, "\"%s\" matches no context of \"contexts\"", r->context);
    json_t *all = json_object_get(o, "all");
    snprintf(sub, sizeof sub, "%s/all", p);
    if (all && !string_array(all, MAX_MARKERS))
        return BAD(sub, "must be an array of 1..%d non-empty marker strings", MAX_MARKERS);
    r->all = all ? json_deep_copy(all) : NULL;
    json_t *fl = json_object_get(o, "flake");
    snprintf(sub, sizeof sub, "%s/flake", p);
    if (fl && (!json_is_number(fl) || json_number_value(fl) < 0 || json_number_value(fl) > 1))
        return BAD(sub, "must be a probability from 0 to 1");
    if (fl)
        r->flake = json_number_value(fl);
    json_t *t = json_object_get(o, "times");
    snprintf(sub, sizeof sub, "%s/times", p);
    if (t && (!json_is_integer(t) || json_integer_value(t) < 1 || json_integer_value(t) > 1000000))
        return BAD(sub, "must be an integer >= 1");
    if (t)
        r->times = (long)json_integer_value(t);
    json_t *b = json_object_get(o, "branches");
    snprintf(sub, sizeof sub, "%s/branches", p);
    if (b && !string_array(b, 64))
        return BAD(sub, "must be a non-empty array of branch name globs");
    r->branches = b ? json_deep_copy(b) : NULL;
    if (r->contains && r->all)
        return BAD(p, "a rule has either \"contains\" or \"all\", not both");
    if (!r->path && !r->contains && !r->all && !fl && !t)
        return BAD(p, "a rule needs a condition: \"path\", \"contains\", \"all\", \"flake\" or \"times\"");
    return 0;
}

int mh_ci_config_parse(mh_ci_config *out, const json_t *ci, uint64_t default_seed, char *ptr,
                       size_t ptrlen, char *msg, size_t msglen)
{
    memset(out, 0, sizeof *out);
    static const char *const keys[] = {"seed", "contexts", "rules", NULL};
    const char *k;
    if (!json_is_object(ci))
        return BAD("", "must be an object with \"contexts\" (and optionally \"rules\", \"seed\")");
    if (unknown_key(ci, keys, &k)) {
        char sub[128];
        snprintf(sub, sizeof sub, "/%s", k);
        return BAD(sub, "unknown key \"%s\" (allowed: seed, contexts, rules)", k);
    }
    json_t *seed = json_object_get(ci, "seed");
    if (seed && (!json_is_integer(seed) || json_integer_value(seed) < 0))
        return BAD("/seed", "must be an integer >= 0");
    out->seed = seed ? (uint64_t)json_integer_value(seed) : default_seed;
    json_t *cxs = json_object_get(ci, "contexts");
    if (!cxs)
        return BAD("", "missing required key \"contexts\"");
    if (!json_is_array(cxs) || json_array_size(cxs) == 0 || json_array_size(cxs) > MAX_CONTEXTS)
        return BAD("/contexts", "must be an array of 1..%d contexts", MAX_CONTEXTS);
    out->contexts = calloc(json_array_size(cxs), sizeof *out->contexts);
    if (!out->contexts)
        return BAD("/contexts", "out of memory");
    size_t i;
    json_t *v;
    int rc = 0;
    json_array_foreach(cxs, i, v) {
        char p[64];
        snprintf(p, sizeof p, "/contexts/%zu", i);
        out->ncontexts++;
        if ((rc = parse_context(&out->contexts[i], v, p, ptr, ptrlen, msg, msglen)) < 0)
            break;
        for (size_t j = 0; j < i; j++)
            if (!strcmp(out->contexts[j].name, out->contexts[i].name)) {
                snprintf(p, sizeof p, "/contexts/%zu/name", i);
                rc = BAD(p, "duplicate context name \"%s\"", out->contexts[i].name);
                break;
            }
        if (rc < 0)
            break;
    }
    json_t *rules = json_object_get(ci, "rules");
    if (!rc && rules && (!json_is_array(rules) || json_array_size(rules) > MAX_RULES))
        rc = BAD("/rules", "must be an array of at most %d rules", MAX_RULES);
    if (!rc && rules && json_array_size(rules)) {
        out->rules = calloc(json_array_size(rules), sizeof *out->rules);
        if (!out->rules)
            rc = BAD("/rules", "out of memory");
        json_array_foreach(rc ? NULL : rules, i, v) {
            char p[64];
            snprintf(p, sizeof p, "/rules/%zu", i);
            out->nrules++;
            if ((rc = parse_rule(out, &out->rules[i], v, p, ptr, ptrlen, msg, msglen)) < 0)
                break;
        }
    }
    if (rc < 0)
        mh_ci_config_dispose(out);
    return rc;
}

void mh_ci_config_dispose(mh_ci_config *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->ncontexts; i++) {
        free(c->contexts[i].name);
        json_decref(c->contexts[i].branches);
    }
    for (size_t i = 0; i < c->nrules; i++) {
        mh_ci_rule *r = &c->rules[i];
        free(r->context);
        free(r->path);
        free(r->contains);
        json_decref(r->all);
        json_decref(r->branches);
        free(r->conclusion);
        free(r->summary);
    }
    free(c->contexts);
    free(c->rules);
    memset(c, 0, sizeof *c);
}

json_t *mh_ci_config_json(const mh_ci_config *c)
{
    json_t *cxs = json_array(), *rules = json_array();
    for (size_t i = 0; i < c->ncontexts; i++) {
        const mh_ci_context *x = &c->contexts[i];
        json_t *o = json_pack("{s:s, s:s, s:[I,I], s:I}", "name", x->name, "kind",
                              x->kind == MH_CI_STATUS ? "status" : "check_run", "duration_ms",
                              (json_int_t)x->dur_min, (json_int_t)x->dur_max, "queue_ms", (json_int_t)x->queue_ms);
        if (x->branches)
            json_object_set(o, "branches", x->branches);
        json_array_append_new(cxs, o);
    }
    for (size_t i = 0; i < c->nrules; i++) {
        const mh_ci_rule *r = &c->rules[i];
        json_t *o = json_pack("{s:s, s:s, s:I}", "context", r->context, "conclusion", r->conclusion, "fired",
                              (json_int_t)r->fired);
        if (r->path)
            json_object_set_new(o, "path", json_string(r->path));
        if (r->contains)
            json_object_set_new(o, "contains", json_string(r->contains));
        if (r->all)
            json_object_set(o, "all", r->all);
        if (r->flake >= 0)
            json_object_set_new(o, "flake", json_real(r->flake));
        if (r->times >= 0)
            json_object_set_new(o, "times_left", json_integer(r->times));
        if (r->branches)
            json_object_set(o, "branches", r->branches);
        if (r->summary)
            json_object_set_new(o, "summary", json_string(r->summary));
        json_array_append_new(rules, o);
    }
    return json_pack("{s:I, s:o, s:o}", "seed", (json_int_t)c->seed, "contexts", cxs, "rules", rules);
}

static int globs_match(const json_t *globs, const char *s)
{
    if (!globs)
        return 1;
    size_t i;
    json_t *g;
    json_array_foreach(globs, i, g) {
        if (mh_glob_match(json_string_value(g), s))
            return 1;
    }
    return 0;
}

int mh_ci_context_runs_on(const mh_ci_context *cx, const char *branch)
{
    return globs_match(cx->branches, branch);
}

/* ---- scanning a tree ---- */

int mh_ci_scan_init(mh_ci_scan *s, const mh_ci_config *c)
{
    memset(s, 0, sizeof *s);
    s->nrules = c->nrules;
    if (!c->nrules)
        return 0;
    s->path_hit = calloc(c->nrules, 1);
    s->marker = calloc(c->nrules, sizeof *s->marker);
    s->where = calloc(c->nrules, sizeof *s->where);
    if (!s->path_hit || !s->marker || !s->where) {
        mh_ci_scan_dispose(s);
        return -1;
    }
    for (size_t i = 0; i < c->nrules; i++) {
        if (c->rules[i].all && !(s->marker[i] = calloc(json_array_size(c->rules[i].all), 1))) {
            mh_ci_scan_dispose(s);
            return -1;
        }
    }
    return 0;
}

void mh_ci_scan_dispose(mh_ci_scan *s)
{
    for (size_t i = 0; i < s->nrules; i++) {
        if (s->marker)
            free(s->marker[i]);
        if (s->where)
            free(s->where[i]);
    }
    free(s->path_hit);
    free(s->marker);
    free(s->where);
    memset(s, 0, sizeof *s);
}

static int needs_content(const mh_ci_rule *r)
{
    return r->contains || r->all;
}

int mh_ci_wants_content(const mh_ci_config *c, const char *path)
{
    for (size_t i = 0; i < c->nrules; i++)
        if (needs_content(&c->rules[i]) && (!c->rules[i].path || mh_glob_match(c->rules[i].path, path)))
            return 1;
    return 0;
}

static int has(const char *data, size_t len, const char *marker)
{
    size_t m = strlen(marker);
    if (!data || m == 0 || m > len)
        return 0;
    for (size_t i = 0; i + m <= len; i++)
        if (data[i] == marker[0] && !memcmp(data + i, marker, m))
            return 1;
    return 0;
}

void mh_ci_scan_file(mh_ci_scan *s, const mh_ci_config *c, const char *path, const char *data,
                     size_t len)
{
    s->files++;
    for (size_t i = 0; i < c->nrules && i < s->nrules; i++) {
        const mh_ci_rule *r = &c->rules[i];
        if (r->path && !mh_glob_match(r->path, path))
            continue;
        int hit = 0;
        if (r->all) {
            size_t k;
            json_t *m;
            json_array_foreach(r->all, k, m) {
                if (!s->marker[i][k] && has(data, len, json_string_value(m))) {
                    s->marker[i][k] = 1;
                    hit = 1;
                }
            }
        } else if (r->contains) {
            hit = has(data, len, r->contains);
        } else {
            hit = r->path != NULL; /* path alone: the file exists */
        }
        if (hit && !r->all)
            s->path_hit[i] = 1;
        if (hit && !s->where[i])
            s->where[i] = dup(path);
    }
}

/* ---- deciding ---- */

double mh_ci_draw(uint64_t seed, const char *tree_hex, const char *name, size_t index,
                  unsigned attempt, const char *salt)
{
    char buf[1024];
    int n = snprintf(buf, sizeof buf, "%s\n%s\n%zu\n%u\n%s", tree_hex ? tree_hex : "", name ? name : "", index,
                     attempt, salt ? salt : "");
    if (n < 0)
        n = 0;
    if ((size_t)n >= sizeof buf)
        n = (int)sizeof buf - 1;
    uint64_t h = mh_hash64(buf, (size_t)n, seed * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E019ull);
    /* FNV's low bits are weak; mix (splitmix64 finaliser) before taking 53 bits */
    h ^= h >> 30;
    h *= 0xBF58476D1CE4E5B9ull;
    h ^= h >> 27;
    h *= 0x94D049BB133111EBull;
    h ^= h >> 31;
    return (double)(h >> 11) / 9007199254740992.0;
}

long mh_ci_duration(const mh_ci_config *c, size_t cx, const char *tree_hex, unsigned attempt)
{
    const mh_ci_context *x = &c->contexts[cx];
    if (x->dur_max <= x->dur_min)
        return x->dur_min;
    double u = mh_ci_draw(c->seed, tree_hex, x->name, 0, attempt, "duration");
    return x->dur_min + (long)(u * (double)(x->dur_max - x->dur_min + 1));
}

/* 1 when the rule's condition (path/contains/all) holds for the scanned tree; a rule without
 * one (a bare flake or "times") holds always. */
static int condition(const mh_ci_rule *r, const mh_ci_scan *s, size_t i)
{
    if (r->all) {
        for (size_t k = 0; k < json_array_size(r->all); k++)
            if (!s->marker[i][k])
                return 0;
        return 1;
    }
    if (r->contains || r->path)
        return s->path_hit[i];
    return 1;
}

static void describe(const mh_ci_rule *r, const mh_ci_scan *s, size_t i, char *out, size_t n)
{
    if (r->summary) {
        snprintf(out, n, "%s", r->summary);
    } else if (r->all) {
        size_t o = (size_t)snprintf(out, n, "semantic conflict: the tree holds");
        for (size_t k = 0; k < json_array_size(r->all) && o < n; k++)
            o += (size_t)snprintf(out + o, n - o, "%s \"%s\"", k ? " and" : "", json_string_value(json_array_get(r->all, k)));
    } else if (r->contains) {
        snprintf(out, n, "%s contains \"%s\"", s->where[i] ? s->where[i] : "a file", r->contains);
    } else if (r->path) {
        snprintf(out, n, "%s matches \"%s\"", s->where[i] ? s->where[i] : "a file", r->path);
    } else {
        snprintf(out, n, "flaky failure");
    }
}

void mh_ci_decide(mh_ci_config *c, const mh_ci_scan *s, size_t cx, const char *branch,
                  const char *tree_hex, unsigned attempt, int live, mh_ci_result *out)
{
    memset(out, 0, sizeof *out);
    out->rule = -1;
    const char *name = c->contexts[cx].name;
    for (size_t i = 0; i < c->nrules && i < s->nrules; i++) {
        mh_ci_rule *r = &c->rules[i];
        int transient = r->flake >= 0 || r->times >= 0;
        if (!mh_glob_match(r->context, name) || !globs_match(r->branches, branch ? branch : ""))
            continue;
        if (transient && !live)
            continue;
        if (r->times == 0 || !condition(r, s, i))
            continue;
        if (r->flake >= 0 && !(mh_ci_draw(c->seed, tree_hex, name, i, attempt, "flake") < r->flake))
            continue;
        if (live && r->times > 0)
            r->times--;
        if (live)
            r->fired++;
        out->failed = 1;
        out->rule = (int)i;
        out->transient = transient;
        snprintf(out->conclusion, sizeof out->conclusion, "%s", r->conclusion);
        describe(r, s, i, out->summary, sizeof out->summary);
        return;
    }
    snprintf(out->conclusion, sizeof out->conclusion, "success");
    snprintf(out->summary, sizeof out->summary, "passed (no rule of %zu fired)", c->nrules);
}
