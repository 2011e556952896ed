/* metrics: a small thread-safe registry of Prometheus counters, gauges and histograms for
 * `landq serve` (GET /metrics; docs/operations.md lists every series).
 *
 * A series is (name, labels): labels is the text between the braces, already formatted, e.g.
 * `reason="eject"` (values escaped with lq_metrics_label()), or NULL for none. Families are
 * described once with lq_metrics_describe(); a histogram family carries its bucket bounds.
 * Every update call is NULL-safe on the registry (a worker without metrics passes NULL).
 * Ownership: the registry copies names and labels; lq_metrics_text() returns a new string. */
#ifndef LQ_METRICS_H
#define LQ_METRICS_H

#include <stddef.h>

typedef struct lq_metrics lq_metrics;

typedef enum { LQ_METRIC_COUNTER, LQ_METRIC_GAUGE, LQ_METRIC_HISTOGRAM } lq_metric_type;

lq_metrics *lq_metrics_new(void); /* NULL when out of memory */
void lq_metrics_free(lq_metrics *m); /* NULL-safe */

/* Declares a family (HELP and TYPE lines); buckets (ascending upper bounds, +Inf implied) for
 * histograms only. Returns 0, or -1 when out of memory or already declared. */
int lq_metrics_describe(lq_metrics *m, const char *name, lq_metric_type type, const char *help,
                        const double *buckets, size_t nbuckets);

void lq_metrics_add(lq_metrics *m, const char *name, const char *labels, double by);
void lq_metrics_set(lq_metrics *m, const char *name, const char *labels, double value);
void lq_metrics_observe(lq_metrics *m, const char *name, const char *labels, double value);
/* Drops every series of a gauge family (before setting the current ones, e.g. queue depth). */
void lq_metrics_clear(lq_metrics *m, const char *name);

/* The current value of a counter or gauge series (histograms: the sum). 0 and *out set, or -1
 * when the series does not exist (yet). */
int lq_metrics_get(lq_metrics *m, const char *name, const char *labels, double *out);

/* `key="value"` with value escaped per the text format (\\, \", \n) into out[cap]
 * (truncated safely). Returns out. */
char *lq_metrics_label(char *out, size_t cap, const char *key, const char *value);
/* Two labels: `k1="v1",k2="v2"`. */
char *lq_metrics_label2(char *out, size_t cap, const char *k1, const char *v1, const char *k2,
                        const char *v2);

/* The whole registry in the Prometheus text format 0.0.4 (families in declaration order,
 * series in first-seen order). New string (free()), NULL when out of memory. */
char *lq_metrics_text(lq_metrics *m);

#endif
