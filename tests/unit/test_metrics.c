/* Unit tests of io/metrics: Prometheus text rendering, label escaping, histograms. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

Test(metrics, counters_gauges_and_labels)
{
    lq_metrics *m = lq_metrics_new();
    cr_assert(m);
    cr_assert_eq(lq_metrics_describe(m, "landq_x_total", LQ_METRIC_COUNTER, "X.", NULL, 0), 0);
    cr_assert_eq(lq_metrics_describe(m, "landq_x_total", LQ_METRIC_COUNTER, "X.", NULL, 0), -1);
    cr_assert_eq(lq_metrics_describe(m, "landq_g", LQ_METRIC_GAUGE, "G.", NULL, 0), 0);
    char l[128];
    lq_metrics_add(m, "landq_x_total", lq_metrics_label(l, sizeof l, "reason", "a\"b\\c\nd"), 1);
    lq_metrics_add(m, "landq_x_total", l, 2);
    lq_metrics_add(m, "landq_x_total", NULL, 1);
    lq_metrics_add(m, "landq_unknown", NULL, 1); /* undeclared: ignored */
    lq_metrics_set(m, "landq_g", lq_metrics_label2(l, sizeof l, "repo", "a/b", "branch", "main"),
                   4);
    lq_metrics_set(m, "landq_g", l, 3);
    char *t = lq_metrics_text(m);
    cr_assert(t);
    cr_assert(strstr(t, "# HELP landq_x_total X.\n# TYPE landq_x_total counter\n"), "%s", t);
    cr_assert(strstr(t, "landq_x_total{reason=\"a\\\"b\\\\c\\nd\"} 3\n"), "%s", t);
    cr_assert(strstr(t, "landq_x_total 1\n"), "%s", t);
    cr_assert(strstr(t, "landq_g{repo=\"a/b\",branch=\"main\"} 3\n"), "%s", t);
    cr_assert_null(strstr(t, "landq_unknown"));
    free(t);
    lq_metrics_clear(m, "landq_g");
    t = lq_metrics_text(m);
    cr_assert_null(strstr(t, "landq_g{"), "%s", t);
    cr_assert(strstr(t, "# TYPE landq_g gauge\n"), "%s", t);
    free(t);
    lq_metrics_free(m);
}

Test(metrics, histogram_buckets_are_cumulative)
{
    lq_metrics *m = lq_metrics_new();
    const double b[] = {1, 10, 60};
    cr_assert_eq(lq_metrics_describe(m, "landq_h_seconds", LQ_METRIC_HISTOGRAM, "H.", b, 3), 0);
    lq_metrics_observe(m, "landq_h_seconds", NULL, 0.5);
    lq_metrics_observe(m, "landq_h_seconds", NULL, 5);
    lq_metrics_observe(m, "landq_h_seconds", NULL, 100);
    char *t = lq_metrics_text(m);
    cr_assert(strstr(t, "landq_h_seconds_bucket{le=\"1\"} 1\n"), "%s", t);
    cr_assert(strstr(t, "landq_h_seconds_bucket{le=\"10\"} 2\n"), "%s", t);
    cr_assert(strstr(t, "landq_h_seconds_bucket{le=\"60\"} 2\n"), "%s", t);
    cr_assert(strstr(t, "landq_h_seconds_bucket{le=\"+Inf\"} 3\n"), "%s", t);
    cr_assert(strstr(t, "landq_h_seconds_sum 105.5\n"), "%s", t);
    cr_assert(strstr(t, "landq_h_seconds_count 3\n"), "%s", t);
    free(t);
    lq_metrics_free(m);
    /* NULL registry: every call is a no-op. */
    lq_metrics_add(NULL, "x", NULL, 1);
    lq_metrics_observe(NULL, "x", NULL, 1);
    char small[8];
    cr_assert_str_eq(lq_metrics_label(small, sizeof small, "reason", "long value"), "");
}

Test(metrics, read_back_a_series)
{
    lq_metrics *m = lq_metrics_new();
    double v = -1;
    cr_assert_eq(lq_metrics_get(m, "landq_github_rate_limit_remaining", NULL, &v), -1);
    lq_metrics_describe(m, "landq_github_rate_limit_remaining", LQ_METRIC_GAUGE, "h", NULL, 0);
    cr_assert_eq(lq_metrics_get(m, "landq_github_rate_limit_remaining", NULL, &v), -1,
                 "declared but never set");
    lq_metrics_set(m, "landq_github_rate_limit_remaining", NULL, 4812);
    cr_assert_eq(lq_metrics_get(m, "landq_github_rate_limit_remaining", NULL, &v), 0);
    cr_assert_eq(v, 4812);
    lq_metrics_describe(m, "c_total", LQ_METRIC_COUNTER, "h", NULL, 0);
    lq_metrics_add(m, "c_total", "a=\"1\"", 2);
    cr_assert_eq(lq_metrics_get(m, "c_total", "a=\"1\"", &v), 0);
    cr_assert_eq(v, 2);
    cr_assert_eq(lq_metrics_get(m, "c_total", "a=\"2\"", &v), -1);
    cr_assert_eq(lq_metrics_get(NULL, "c_total", NULL, &v), -1);
    lq_metrics_free(m);
}
