/* intake_stats.c -- the intake's counters read out: lq_intake_stats_get() and the Prometheus
 * text for /metrics (the handler records them, intake_webhook.c). */
#include "intake_int.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "webhook.h"

const int lq_intake_statuses[LQ_INTAKE_STATUSES] = {200, 202, 400, 401, 403, 404,
                                                   405, 413, 429, 503, 500};
const double lq_intake_latency_bounds_ms[LQ_INTAKE_LATENCY_BUCKETS] = {
    0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000};

void lq_intake_stats_get(lq_intake *in, lq_intake_stats *out)
{
    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < LQ_INTAKE_STATUSES; i++)
        out->by_status[i] = LOAD(in->by_status[i]);
    for (size_t i = 0; i < 16; i++)
        out->by_reason[i] = LOAD(in->by_reason[i]);
    out->stored = LOAD(in->stored);
    out->duplicates = LOAD(in->duplicates);
    out->unavailable = LOAD(in->unavailable);
    out->forbidden = LOAD(in->forbidden);
    out->refused_not_allowed = LOAD(in->refused_not_allowed);
    out->refused_per_source = LOAD(in->refused_per_source);
    out->header_timeouts = LOAD(in->header_timeouts);
    out->per_client_limited = LOAD(in->per_client_limited);
    for (size_t i = 0; i <= LQ_INTAKE_LATENCY_BUCKETS; i++)
        out->latency_le[i] = LOAD(in->latency_le[i]);
    out->latency_sum_ms = (double)LOAD(in->latency_sum_us) / 1000.0;
    out->latency_count = LOAD(in->latency_count);
}

char *lq_intake_metrics_text(lq_intake *in)
{
    lq_intake_stats st;
    lq_intake_stats_get(in, &st);
    size_t cap = 16384, n = 0;
    char *buf = malloc(cap);
    if (!buf)
        return NULL;
#define OUT(...) n += (size_t)snprintf(buf + n, n < cap ? cap - n : 0, __VA_ARGS__)
    OUT("# HELP landq_webhook_requests_total HTTP requests answered by the intake, by status.\n"
        "# TYPE landq_webhook_requests_total counter\n");
    for (size_t i = 0; i < LQ_INTAKE_STATUSES; i++)
        OUT("landq_webhook_requests_total{status=\"%d\"} %llu\n", lq_intake_statuses[i],
            (unsigned long long)st.by_status[i]);
    OUT("# HELP landq_webhook_deliveries_total POST /webhook outcomes by reason.\n"
        "# TYPE landq_webhook_deliveries_total counter\n");
    for (int v = 0; v < LQ_WEBHOOK_VERDICT_COUNT; v++)
        if (v != LQ_WEBHOOK_ACCEPT)
            OUT("landq_webhook_deliveries_total{reason=\"%s\"} %llu\n",
                lq_webhook_reason((lq_webhook_verdict)v), (unsigned long long)st.by_reason[v]);
    OUT("landq_webhook_deliveries_total{reason=\"stored\"} %llu\n"
        "landq_webhook_deliveries_total{reason=\"duplicate\"} %llu\n"
        "landq_webhook_deliveries_total{reason=\"unavailable\"} %llu\n"
        "landq_webhook_deliveries_total{reason=\"forbidden\"} %llu\n",
        (unsigned long long)st.stored, (unsigned long long)st.duplicates,
        (unsigned long long)st.unavailable, (unsigned long long)st.forbidden);
    OUT("# HELP landq_webhook_connections_refused_total Connections to the webhook port closed "
        "before a request was read: source not in the allowlist (at accept time), over the "
        "per-source connection cap, or headers not complete within header_timeout.\n"
        "# TYPE landq_webhook_connections_refused_total counter\n"
        "landq_webhook_connections_refused_total{reason=\"source_not_allowed\"} %llu\n"
        "landq_webhook_connections_refused_total{reason=\"per_source_limit\"} %llu\n"
        "landq_webhook_connections_refused_total{reason=\"header_timeout\"} %llu\n"
        "# HELP landq_webhook_per_client_limited_total Requests refused with 429: the client "
        "behind a trusted proxy had per_source_connections requests in flight.\n"
        "# TYPE landq_webhook_per_client_limited_total counter\n"
        "landq_webhook_per_client_limited_total %llu\n",
        (unsigned long long)st.refused_not_allowed, (unsigned long long)st.refused_per_source,
        (unsigned long long)st.header_timeouts, (unsigned long long)st.per_client_limited);
    OUT("# HELP landq_webhook_ack_seconds Time from request headers to the answer.\n"
        "# TYPE landq_webhook_ack_seconds histogram\n");
    unsigned long long cum = 0;
    for (size_t b = 0; b < LQ_INTAKE_LATENCY_BUCKETS; b++) {
        cum += st.latency_le[b];
        OUT("landq_webhook_ack_seconds_bucket{le=\"%g\"} %llu\n",
            lq_intake_latency_bounds_ms[b] / 1000.0, cum);
    }
    cum += st.latency_le[LQ_INTAKE_LATENCY_BUCKETS];
    OUT("landq_webhook_ack_seconds_bucket{le=\"+Inf\"} %llu\n"
        "landq_webhook_ack_seconds_sum %.6f\nlandq_webhook_ack_seconds_count %llu\n",
        cum, st.latency_sum_ms / 1000.0, (unsigned long long)st.latency_count);
#undef OUT
    if (n >= cap) { /* cannot happen with the fixed set above; stay safe */
        free(buf);
        return NULL;
    }
    return buf;
}
