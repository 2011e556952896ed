/* redeliver.c -- redeliver failed webhook deliveries (see redeliver.h). */
#include "redeliver.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>


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

/* Whether guid is in set[0..n). */
static int seen_in(char (*set)[128], size_t n, const char *guid)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(set[i], guid))
            return 1;
    return 0;
}

int lq_redeliver_failed(const lq_gh *gh, const char *spec, int64_t since, size_t max,
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
    lq_gh_deliveries all;
    /* Newest first; 3 days of deliveries are kept by GitHub. */
    int rc = lq_gh_deliveries_list(gh, &all, repo, hook, 5000, err);
    if (rc)
        return rc;
    char(*good)[128] = calloc(all.count + 1, sizeof(*good));
    char(*asked)[128] = calloc(all.count + 1, sizeof(*asked));
    size_t ngood = 0, nasked = 0;
    if (!good || !asked) {
        lq_gh_deliveries_dispose(&all);
        free(good);
        free(asked);
        return lq_error_set(err, LQ_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < all.count; i++) {
        const lq_gh_delivery *d = &all.items[i];
        if (d->guid[0] && d->status_code >= 200 && d->status_code < 300 &&
            !seen_in(good, ngood, d->guid))
            snprintf(good[ngood++], sizeof good[0], "%s", d->guid);
    }
    for (size_t i = 0; i < all.count; i++) {
        const lq_gh_delivery *d = &all.items[i];
        int64_t at = d->delivered_ms ? d->delivered_ms / 1000 : -1;
        if (!d->guid[0] || (at >= 0 && at < since))
            continue;
        stats->seen++;
        if (seen_in(good, ngood, d->guid) || seen_in(asked, nasked, d->guid))
            continue;
        stats->failed++;
        snprintf(asked[nasked++], sizeof asked[0], "%s", d->guid);
        if (stats->redelivered >= max)
            continue;
        lq_error e2 = {0};
        int prc = lq_gh_redeliver(gh, repo, hook, d->id, &e2);
        if (!prc)
            stats->redelivered++;
        else if (!rc)
            rc = lq_error_set(err, prc, "%s", e2.msg);
    }
    lq_gh_deliveries_dispose(&all);
    free(good);
    free(asked);
    return rc;
}
