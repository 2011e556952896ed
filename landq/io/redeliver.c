/* redeliver.c -- redeliver failed webhook deliveries (see redeliver.h). */
#include "redeliver.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "isotime.h"

int lq_redeliver_parse(const char *spec, char *repo, size_t cap, long long *hook_id)
{
    const char *colon = spec ? strrchr(spec, ':') : NULL;
    const char *slash = spec ? strchr(spec, '/') : NULL;
    if (!colon || !slash || slash == spec || slash > colon || slash + 1 == colon ||
        strchr(slash + 1, '/') || (size_t)(colon - spec) >= cap)
        return -1;
    char *end = NULL;
    long long id = strtoll(colon + 1, &end, 10);
    if (!colon[1] || *end || id <= 0)
        return -1;
    for (const char *p = spec; p < colon; p++)
        if (*p == ' ' || *p == '?' || *p == '#' || *p == '%' || (unsigned char)*p < 0x20)
            return -1;
    memcpy(repo, spec, (size_t)(colon - spec));
    repo[colon - spec] = '\0';
    *hook_id = id;
    return 0;
}

static int64_t parse_iso(const char *s)
{
    int64_t ms;
    return lq_isotime_parse(s, &ms) == LQ_OK ? ms / 1000 : -1;
}

static int ok_status(const json_t *d)
{
    json_int_t code = json_integer_value(json_object_get(d, "status_code"));
    return code >= 200 && code < 300;
}

int lq_redeliver_failed(lq_github *gh, const char *spec, int64_t since, size_t max,
                        lq_redeliver_stats *stats, lq_error *err)
{
    lq_redeliver_stats local;
    if (!stats)
        stats = &local;
    memset(stats, 0, sizeof(*stats));
    char repo[256];
    long long hook = 0;
    if (lq_redeliver_parse(spec, repo, sizeof repo, &hook))
        return lq_error_set(err, LQ_EINVAL, "redeliver_hook: '%s' is not OWNER/NAME:HOOK_ID",
                            spec ? spec : "");
    if (!max)
        max = 500;
    char path[512];
    snprintf(path, sizeof path, "/repos/%s/hooks/%lld/deliveries?per_page=100", repo, hook);
    json_t *all = NULL;
    /* Newest first; 3 days of deliveries are kept by GitHub. */
    int rc = lq_github_get_all(gh, &all, path, NULL, 5000, err);
    if (rc)
        return rc;
    json_t *good = json_object(), *asked = json_object();
    if (!good || !asked) {
        json_decref(all);
        json_decref(good);
        json_decref(asked);
        return lq_error_set(err, LQ_ENOMEM, "out of memory");
    }
    size_t i;
    json_t *d;
    json_array_foreach(all, i, d)
    {
        const char *guid = json_string_value(json_object_get(d, "guid"));
        if (guid && ok_status(d))
            json_object_set_new(good, guid, json_true());
    }
    json_array_foreach(all, i, d)
    {
        const char *guid = json_string_value(json_object_get(d, "guid"));
        int64_t at = parse_iso(json_string_value(json_object_get(d, "delivered_at")));
        if (!guid || (at >= 0 && at < since))
            continue;
        stats->seen++;
        if (json_object_get(good, guid) || json_object_get(asked, guid))
            continue;
        stats->failed++;
        json_object_set_new(asked, guid, json_true());
        if (stats->redelivered >= max)
            continue;
        json_int_t id = json_integer_value(json_object_get(d, "id"));
        snprintf(path, sizeof path, "/repos/%s/hooks/%lld/deliveries/%lld/attempts", repo, hook,
                 (long long)id);
        lq_gh_response r;
        lq_error e2 = {0};
        int prc = lq_github_request(gh, &r, "POST", path, NULL, &e2);
        if (!prc && r.status / 100 == 2) {
            stats->redelivered++;
        } else if (!rc && prc) {
            rc = lq_error_set(err, prc, "%s", e2.msg);
        } else if (!rc) {
            rc = lq_error_set(err, LQ_ERROR, "POST %s: GitHub answered %ld", path, r.status);
        }
        lq_gh_response_dispose(&r);
    }
    json_decref(all);
    json_decref(good);
    json_decref(asked);
    return rc;
}
