/* event.c -- webhook payload -> lq_event (pure). */
#include "event.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "str.h"

#define MAX_LIST 10000 /* labels / pull requests kept from one payload */

static const char *jstr(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static const char *jpath(const json_t *o, const char *a, const char *b)
{
    return json_string_value(json_object_get(json_object_get(o, a), b));
}

static void copy(char *dst, size_t cap, const char *s)
{
    snprintf(dst, cap, "%s", s ? s : "");
}

/* A pull request number from a JSON integer (0 when absent or out of range). */
static int number_of(const json_t *v)
{
    json_int_t n = json_integer_value(v);
    return json_is_integer(v) && n > 0 && n <= 0x7fffffff ? (int)n : 0;
}

void lq_event_dispose(lq_event *e)
{
    if (!e)
        return;
    for (size_t i = 0; i < e->label_count; i++)
        free(e->labels[i]);
    free(e->labels);
    free(e->pulls);
    memset(e, 0, sizeof(*e));
}

static int take_labels(lq_event *e, const json_t *labels)
{
    size_t n = json_array_size(labels);
    if (n > MAX_LIST)
        n = MAX_LIST;
    if (!n)
        return LQ_OK;
    e->labels = calloc(n, sizeof(*e->labels));
    if (!e->labels)
        return LQ_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        const json_t *l = json_array_get(labels, i);
        const char *name = json_is_string(l) ? json_string_value(l) : jstr(l, "name");
        if (!name)
            continue;
        if (!(e->labels[e->label_count] = lq_strdup(name)))
            return LQ_ENOMEM;
        e->label_count++;
    }
    return LQ_OK;
}

static int take_pulls(lq_event *e, const json_t *pulls)
{
    size_t n = json_array_size(pulls);
    if (n > MAX_LIST)
        n = MAX_LIST;
    if (!n)
        return LQ_OK;
    e->pulls = calloc(n, sizeof(*e->pulls));
    if (!e->pulls)
        return LQ_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        int num = number_of(json_object_get(json_array_get(pulls, i), "number"));
        if (num)
            e->pulls[e->pull_count++] = num;
    }
    return LQ_OK;
}

static int decode(lq_event *e, const char *event, const json_t *p)
{
    copy(e->action, sizeof e->action, jstr(p, "action"));
    copy(e->repo, sizeof e->repo, jpath(p, "repository", "full_name"));
    copy(e->sender, sizeof e->sender, jpath(p, "sender", "login"));
    if (!strcmp(event, "pull_request") || !strcmp(event, "pull_request_review")) {
        const json_t *pr = json_object_get(p, "pull_request");
        e->kind = strcmp(event, "pull_request") ? LQ_EVENT_REVIEW : LQ_EVENT_PULL_REQUEST;
        e->number = e->kind == LQ_EVENT_PULL_REQUEST ? number_of(json_object_get(p, "number"))
                                                     : 0;
        if (!e->number)
            e->number = number_of(json_object_get(pr, "number"));
        copy(e->head_sha, sizeof e->head_sha, jpath(pr, "head", "sha"));
        copy(e->base_ref, sizeof e->base_ref, jpath(pr, "base", "ref"));
        if (e->kind == LQ_EVENT_PULL_REQUEST)
            copy(e->label, sizeof e->label, jpath(p, "label", "name"));
        return take_labels(e, json_object_get(pr, "labels"));
    }
    if (!strcmp(event, "status")) {
        e->kind = LQ_EVENT_STATUS;
        copy(e->head_sha, sizeof e->head_sha, jstr(p, "sha"));
        copy(e->context, sizeof e->context, jstr(p, "context"));
        return LQ_OK;
    }
    if (!strcmp(event, "check_run") || !strcmp(event, "check_suite")) {
        const json_t *obj = json_object_get(p, event);
        e->kind = LQ_EVENT_CHECK;
        copy(e->head_sha, sizeof e->head_sha, jstr(obj, "head_sha"));
        return take_pulls(e, json_object_get(obj, "pull_requests"));
    }
    e->kind = LQ_EVENT_OTHER;
    return LQ_OK;
}

int lq_event_parse(lq_event *out, const char *event, const char *body, size_t len,
                   lq_error *err)
{
    memset(out, 0, sizeof(*out));
    copy(out->name, sizeof out->name, event);
    json_error_t je;
    json_t *p = json_loadb(body ? body : "", body ? len : 0, 0, &je);
    if (!json_is_object(p)) {
        json_decref(p);
        memset(out, 0, sizeof(*out));
        return lq_error_set(err, LQ_EINVAL, "the payload is not a JSON object");
    }
    int rc = decode(out, event ? event : "", p);
    json_decref(p);
    if (rc) {
        lq_event_dispose(out);
        return lq_error_set(err, LQ_ENOMEM, "out of memory");
    }
    if (!out->repo[0])
        out->kind = LQ_EVENT_OTHER; /* nothing to act on without a repository */
    return LQ_OK;
}

int lq_event_has_label(const lq_event *e, const char *label)
{
    for (size_t i = 0; label && i < e->label_count; i++)
        if (!strcasecmp(e->labels[i], label))
            return 1;
    return 0;
}
