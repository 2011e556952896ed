/* mh_fault.c -- fault rules (see mh_fault.h). */
#include "mh_fault.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *kind_names[] = {"status", "delay", "secondary_rate_limit", "mergeable_null",
                                   "drop", "duplicate", "delay_webhook", "reorder"};

const char *mh_fault_kind_name(mh_fault_kind k)
{
    return kind_names[k];
}

static int is_webhook_kind(mh_fault_kind k)
{
    return k >= MH_FAULT_DROP;
}

void mh_faults_init(mh_faults *fs, unsigned long long seed)
{
    memset(fs, 0, sizeof *fs);
    fs->next_id = 1;
    mh_rng_seed(&fs->rng, seed);
}

void mh_faults_clear(mh_faults *fs)
{
    for (size_t i = 0; i < fs->n; i++) {
        free(fs->items[i].pattern);
        free(fs->items[i].message);
        free(fs->items[i].user);
    }
    fs->n = 0;
}

void mh_faults_dispose(mh_faults *fs)
{
    mh_faults_clear(fs);
    free(fs->items);
    fs->items = NULL;
    fs->cap = 0;
}

int mh_glob_match(const char *p, const char *s)
{
    const char *star = NULL, *ss = NULL;
    while (*s) {
        if (*p == '*') {
            star = p++;
            ss = s;
        } else if (*p == '?' || *p == *s) {
            p++;
            s++;
        } else if (star) {
            p = star + 1;
            s = ++ss;
        } else {
            return 0;
        }
    }
    while (*p == '*')
        p++;
    return *p == '\0';
}

static int get_long(const json_t *spec, const char *key, long *out, long min, char *err,
                    size_t errlen)
{
    json_t *v = json_object_get(spec, key);
    if (!v)
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < min) {
        snprintf(err, errlen, "fault field \"%s\" must be an integer >= %ld", key, min);
        return -1;
    }
    *out = (long)json_integer_value(v);
    return 0;
}

int mh_faults_add(mh_faults *fs, const json_t *spec, char *err, size_t errlen)
{
    if (!json_is_object(spec)) {
        snprintf(err, errlen, "a fault must be a JSON object");
        return -1;
    }
    static const char *known[] = {"kind",  "method", "path",        "event",       "status",
                                  "delay_ms", "retry_after", "times", "skip", "probability",
                                  "message", "user", NULL};
    const char *key;
    json_t *val;
    json_object_foreach((json_t *)spec, key, val) {
        int ok = 0;
        for (int i = 0; known[i]; i++)
            ok |= strcmp(known[i], key) == 0;
        if (!ok) {
            snprintf(err, errlen, "unknown fault field \"%s\"", key);
            return -1;
        }
    }
    mh_fault f;
    memset(&f, 0, sizeof f);
    const char *kind = json_string_value(json_object_get(spec, "kind"));
    if (!kind) {
        snprintf(err, errlen, "fault needs \"kind\" (status, delay, secondary_rate_limit, "
                              "mergeable_null, drop, duplicate, delay_webhook, reorder)");
        return -1;
    }
    int k = -1;
    for (int i = 0; i < (int)(sizeof kind_names / sizeof *kind_names); i++)
        if (strcmp(kind_names[i], kind) == 0)
            k = i;
    if (k < 0) {
        snprintf(err, errlen, "unknown fault kind \"%s\"", kind);
        return -1;
    }
    f.kind = (mh_fault_kind)k;
    f.times = -1;
    f.probability = 1.0;
    f.status = f.kind == MH_FAULT_SECONDARY ? 403 : 502;
    f.delay_ms = f.kind == MH_FAULT_REORDER ? 0 : 1000;
    f.retry_after = f.kind == MH_FAULT_SECONDARY ? 60 : -1;
    const char *method = json_string_value(json_object_get(spec, "method"));
    const char *pattern = json_string_value(
        json_object_get(spec, is_webhook_kind(f.kind) ? "event" : "path"));
    if (json_object_get(spec, "method") && !method) {
        snprintf(err, errlen, "fault field \"method\" must be a string");
        return -1;
    }
    if (method && strlen(method) >= sizeof f.method) {
        snprintf(err, errlen, "fault method too long");
        return -1;
    }
    snprintf(f.method, sizeof f.method, "%s", method ? method : "*");
    if (is_webhook_kind(f.kind) ? (json_object_get(spec, "path") != NULL)
                                : (json_object_get(spec, "event") != NULL)) {
        snprintf(err, errlen, "fault kind \"%s\" takes \"%s\", not \"%s\"", kind,
                 is_webhook_kind(f.kind) ? "event" : "path",
                 is_webhook_kind(f.kind) ? "path" : "event");
        return -1;
    }
    json_t *pv = json_object_get(spec, is_webhook_kind(f.kind) ? "event" : "path");
    if (pv && !pattern) {
        snprintf(err, errlen, "fault pattern must be a string");
        return -1;
    }
    long status = f.status;
    if (get_long(spec, "status", &status, 100, err, errlen) < 0 ||
        get_long(spec, "delay_ms", &f.delay_ms, 0, err, errlen) < 0 ||
        get_long(spec, "retry_after", &f.retry_after, 0, err, errlen) < 0 ||
        get_long(spec, "times", &f.times, 0, err, errlen) < 0 ||
        get_long(spec, "skip", &f.skip, 0, err, errlen) < 0)
        return -1;
    if (status > 599) {
        snprintf(err, errlen, "fault status must be 100..599");
        return -1;
    }
    f.status = (int)status;
    if (f.kind == MH_FAULT_SECONDARY && f.status != 403 && f.status != 429) {
        snprintf(err, errlen, "secondary_rate_limit status must be 403 or 429");
        return -1;
    }
    json_t *prob = json_object_get(spec, "probability");
    if (prob) {
        if (!json_is_number(prob) || json_number_value(prob) <= 0 || json_number_value(prob) > 1) {
            snprintf(err, errlen, "fault probability must be a number in (0, 1]");
            return -1;
        }
        f.probability = json_number_value(prob);
    }
    json_t *msg = json_object_get(spec, "message");
    if (msg && !json_is_string(msg)) {
        snprintf(err, errlen, "fault message must be a string");
        return -1;
    }
    json_t *user = json_object_get(spec, "user");
    if (user && (!json_is_string(user) || !*json_string_value(user))) {
        snprintf(err, errlen, "fault user must be a non-empty login");
        return -1;
    }
    if (user && is_webhook_kind(f.kind)) {
        snprintf(err, errlen, "fault kind \"%s\" takes no \"user\" (it is not a request)", kind);
        return -1;
    }
    if (fs->n == fs->cap) {
        size_t cap = fs->cap ? fs->cap * 2 : 8;
        mh_fault *items = realloc(fs->items, cap * sizeof *items);
        if (!items) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        fs->items = items;
        fs->cap = cap;
    }
    f.pattern = strdup(pattern ? pattern : "*");
    f.message = msg ? strdup(json_string_value(msg)) : NULL;
    f.user = user ? strdup(json_string_value(user)) : NULL;
    f.id = fs->next_id++;
    fs->items[fs->n++] = f;
    return f.id;
}

static int consume(mh_faults *fs, mh_fault *f)
{
    if (f->times == 0)
        return 0;
    if (f->skip > 0) {
        f->skip--;
        return 0;
    }
    if (f->probability < 1.0 && mh_rng_unit(&fs->rng) >= f->probability)
        return 0;
    if (f->times > 0)
        f->times--;
    f->fired++;
    return 1;
}

const mh_fault *mh_faults_match_request(mh_faults *fs, const char *method, const char *path,
                                        const char *user, int want_mergeable_null)
{
    for (size_t i = 0; i < fs->n; i++) {
        mh_fault *f = &fs->items[i];
        if (is_webhook_kind(f->kind))
            continue;
        if ((f->kind == MH_FAULT_MERGEABLE_NULL) != (want_mergeable_null != 0))
            continue;
        if (strcmp(f->method, "*") != 0 && strcmp(f->method, method) != 0)
            continue;
        if (!mh_glob_match(f->pattern, path))
            continue;
        if (f->user && (!user || strcasecmp(f->user, user) != 0))
            continue;
        if (consume(fs, f))
            return f;
    }
    return NULL;
}

const mh_fault *mh_faults_match_webhook(mh_faults *fs, const char *event, const char *action)
{
    char full[128];
    snprintf(full, sizeof full, "%s.%s", event, action ? action : "");
    for (size_t i = 0; i < fs->n; i++) {
        mh_fault *f = &fs->items[i];
        if (!is_webhook_kind(f->kind))
            continue;
        if (!mh_glob_match(f->pattern, event) && !mh_glob_match(f->pattern, full))
            continue;
        if (consume(fs, f))
            return f;
    }
    return NULL;
}

json_t *mh_faults_to_json(const mh_faults *fs)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < fs->n; i++) {
        const mh_fault *f = &fs->items[i];
        json_t *o = json_pack("{s:i, s:s, s:s, s:s, s:i, s:I, s:I, s:I, s:f, s:I}", "id", f->id,
                              "kind", kind_names[f->kind], "method", f->method, "pattern",
                              f->pattern, "status", f->status, "delay_ms", (json_int_t)f->delay_ms,
                              "times", (json_int_t)f->times, "skip", (json_int_t)f->skip,
                              "probability", f->probability, "fired", (json_int_t)f->fired);
        if (f->message)
            json_object_set_new(o, "message", json_string(f->message));
        if (f->user)
            json_object_set_new(o, "user", json_string(f->user));
        json_array_append_new(arr, o);
    }
    return arr;
}
