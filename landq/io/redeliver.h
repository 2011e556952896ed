/* redeliver: after downtime, ask GitHub to redeliver the webhook deliveries that failed.
 *
 * For a repository webhook (its id from the setting redeliver_hook = OWNER/NAME:ID) it lists the
 * recent deliveries (GET /repos/{o}/{r}/hooks/{id}/deliveries, all pages back to `since`), and
 * for every delivery id (guid) that has no successful attempt (2xx) asks for one more
 * (POST .../deliveries/{id}/attempts). Each guid is asked for once per sweep. Deliveries that
 * did reach landq meanwhile are harmless: the inbox deduplicates by delivery id.
 * Needs a token with admin access to the repository's webhooks (an App: "Webhooks: read and
 * write" repository permission). */
#ifndef LQ_REDELIVER_H
#define LQ_REDELIVER_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "gh.h"

typedef struct lq_redeliver_stats {
    size_t seen;        /* deliveries listed (since `since`) */
    size_t failed;      /* distinct guids without a successful attempt */
    size_t redelivered; /* redeliveries GitHub accepted (202) */
} lq_redeliver_stats;

/* spec is "OWNER/NAME:ID". since: unix seconds (older deliveries are left alone); max: most
 * redeliveries to ask for (0 = 500). LQ_EINVAL for a malformed spec; LQ_ERROR / LQ_ETRANSIENT
 * naming the request when GitHub refused or did not answer (404/403: no such hook or no
 * admin access). */
int lq_redeliver_failed(const lq_gh *gh, const char *spec, int64_t since, size_t max,
                        lq_redeliver_stats *stats, lq_error *err);

/* Parses "OWNER/NAME:ID" (for settings validation). 0 or -1. repo gets OWNER/NAME. */
int lq_redeliver_parse(const char *spec, char *repo, size_t cap, long long *hook_id);

#endif
