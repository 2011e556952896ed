/* Tests for landq/io/retention.c: what is due goes, what is not stays, the thread runs and
 * reports, and (SQLite) the database file stays bounded while deliveries keep coming. Runs
 * against SQLite and, through tests/support/pgtest.py, PostgreSQL (tests/support/dbtest.h). */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dbtest.h"
#include "inbox.h"
#include "metrics.h"
#include "retention.h"
#include "store.h"

TestSuite(retention, .init = dbt_setup, .fini = dbt_teardown, .timeout = 120);

#define DAY (86400LL * 1000)

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static lq_inbox *open_inbox(void)
{
    lq_inbox *in = NULL;
    lq_error err;
    cr_assert_eq(lq_inbox_open(&in, dbt_target(), &err), LQ_OK, "%s", err.msg);
    return in;
}

static void put(lq_inbox *in, const char *id)
{
    lq_error err;
    cr_assert_eq(lq_inbox_put(in, id, "push", "{}", 2, &err), LQ_OK, "%s", err.msg);
}

/* Sets a delivery's received time and processed flag (as if received long ago). */
static void age(const char *id, int64_t received_ms, int processed)
{
    char sql[256];
    snprintf(sql, sizeof sql,
             "UPDATE inbox_deliveries SET received_ms = %lld, processed = %d WHERE "
             "delivery_id = '%s'",
             (long long)received_ms, processed, id);
    dbt_exec(sql);
}

Test(retention, deletes_only_what_is_due)
{
    lq_inbox *in = open_inbox();
    lq_store *st = NULL;
    lq_error err;
    cr_assert_eq(lq_store_open(&st, dbt_target(), in, &err), LQ_OK, "%s", err.msg);
    int64_t now = now_ms();
    put(in, "old-done");
    put(in, "old-pending");
    put(in, "new-done");
    put(in, "new-pending");
    age("old-done", now - 8 * DAY, 1);
    age("old-pending", now - 8 * DAY, 0); /* never applied: kept whatever its age */
    age("new-done", now - 6 * DAY, 1);
    cr_assert_eq(lq_store_audit(st, "acme/mono", 1, "a", "landed", "", NULL, 0, NULL, &err), LQ_OK);
    cr_assert_eq(lq_store_audit(st, "acme/mono", 2, "b", "landed", "", NULL, 0, NULL, &err), LQ_OK);
    char sql[128];
    snprintf(sql, sizeof sql, "UPDATE lq_audit SET at_ms = %lld WHERE number = 1",
             (long long)(now - 401 * DAY));
    dbt_exec(sql);

    lq_retention_config cfg = {.inbox = in, .db = dbt_target(), .inbox_ms = 7 * DAY,
                               .audit_ms = 400 * DAY, .batch = 1};
    lq_retention_stats s;
    cr_assert_eq(lq_retention_pass(&cfg, now, &s, &err), LQ_OK, "%s", err.msg);
    cr_assert_eq(s.deliveries_deleted, 1);
    cr_assert_eq(s.audit_deleted, 1);
    cr_assert_gt(s.db_bytes, 0);
    cr_assert_eq(dbt_scalar("SELECT count(*) FROM inbox_deliveries"), 3);
    cr_assert_eq(dbt_scalar("SELECT count(*) FROM inbox_deliveries WHERE delivery_id = "
                            "'old-done'"),
                 0);
    cr_assert_eq(dbt_scalar("SELECT count(*) FROM lq_audit"), 1);
    cr_assert_eq(dbt_scalar("SELECT number FROM lq_audit"), 2);
    /* "off" keeps everything */
    cr_assert_eq(lq_retention_pass(&(lq_retention_config){.inbox = in, .db = dbt_target()},
                                   now + 1000 * DAY, &s, &err),
                 LQ_OK);
    cr_assert_eq(s.deliveries_deleted + s.audit_deleted, 0);
    lq_store_close(st);
    lq_inbox_close(in);
}

Test(retention, thread_prunes_and_reports)
{
    lq_inbox *in = open_inbox();
    lq_metrics *m = lq_metrics_new();
    lq_error err;
    enum { N = 30 };
    for (int i = 0; i < N; i++) {
        char id[16];
        snprintf(id, sizeof id, "t-%d", i);
        put(in, id);
    }
    dbt_exec("UPDATE inbox_deliveries SET processed = 1, received_ms = 1000");
    lq_retention_config cfg = {.inbox = in, .db = dbt_target(), .inbox_ms = 60000,
                               .audit_ms = 0, .batch = 7, .pause_ms = 1, .metrics = m};
    lq_retention *r = NULL;
    cr_assert_eq(lq_retention_start(&r, &cfg, &err), LQ_OK, "%s", err.msg);
    lq_retention_stats s;
    do { /* the first pass runs at once; the suite's timeout bounds the wait */
        struct timespec ts = {0, 20 * 1000000L};
        nanosleep(&ts, NULL);
        lq_retention_stats_get(r, &s);
    } while (s.passes == 0);
    cr_assert_eq(s.deliveries_deleted, N, "in batches of 7");
    cr_assert_str_eq(s.last_error, "");
    lq_retention_stop(r);
    char *text = lq_metrics_text(m);
    cr_assert(strstr(text, "landq_retention_deleted_total{table=\"inbox_deliveries\"} 30\n"),
              "%s", text);
    cr_assert(strstr(text, "landq_store_bytes "), "%s", text);
    free(text);
    lq_metrics_free(m);
    cr_assert_eq(dbt_scalar("SELECT count(*) FROM inbox_deliveries"), 0);
    lq_inbox_close(in);
}

typedef struct waitgroup {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int left, failed;
} waitgroup;

static void put_done(void *ctx, int rc, const lq_error *err)
{
    waitgroup *w = ctx;
    (void)err;
    pthread_mutex_lock(&w->mu);
    w->failed += rc != LQ_OK;
    if (--w->left == 0)
        pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

/* SQLite: deliveries keep coming, retention keeps up, the file does not grow with the total
 * written (here 20 rounds x 400 deliveries of 3 KB incompressible bodies = 24 MB). */
Test(retention, sqlite_file_stays_bounded)
{
    DBT_ONLY(0, "SQLite only (PostgreSQL's space is autovacuum's)");
    lq_inbox *in = open_inbox();
    lq_store *st = NULL;
    lq_error err;
    cr_assert_eq(lq_store_open(&st, dbt_target(), in, &err), LQ_OK, "%s", err.msg);
    enum { ROUNDS = 20, PER = 400, LEN = 3000 };
    char *body = malloc((size_t)PER * LEN);
    static char ids[PER][32];
    unsigned x = 99;
    int64_t sizes[ROUNDS];
    lq_retention_config cfg = {.inbox = in, .db = dbt_target(), .inbox_ms = 1000, .batch = 100};
    for (int round = 0; round < ROUNDS; round++) {
        waitgroup w = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, PER, 0};
        for (int i = 0; i < PER; i++) { /* asynchronous puts: group commits, as under load */
            char *b = body + (size_t)i * LEN;
            for (int k = 0; k < LEN; k++) {
                x = x * 1103515245u + 12345u;
                b[k] = (char)(x >> 16);
            }
            snprintf(ids[i], sizeof ids[i], "s-%d-%d", round, i);
            cr_assert_eq(lq_inbox_put_async(in, ids[i], "push", b, LEN, put_done, &w, &err),
                         LQ_OK, "%s", err.msg);
        }
        pthread_mutex_lock(&w.mu);
        while (w.left)
            pthread_cond_wait(&w.cv, &w.mu);
        pthread_mutex_unlock(&w.mu);
        cr_assert_eq(w.failed, 0);
        dbt_exec("UPDATE inbox_deliveries SET processed = 1");
        lq_retention_stats s;
        cr_assert_eq(lq_retention_pass(&cfg, now_ms() + 2000, &s, &err), LQ_OK, "%s", err.msg);
        cr_assert_eq(s.deliveries_deleted, PER);
        lq_store_info info;
        cr_assert_eq(lq_store_info_get(st, &info, &err), LQ_OK);
        sizes[round] = info.logical_bytes;
        cr_assert_leq(info.wal_bytes, 80LL << 20, "WAL of %lld bytes", (long long)info.wal_bytes);
    }
    free(body);
    for (int round = 2; round < ROUNDS; round++)
        cr_assert_leq(sizes[round], sizes[1] + (2 << 20),
                      "round %d: %lld bytes; round 1: %lld (%d MB written in all)", round,
                      (long long)sizes[round], (long long)sizes[1], ROUNDS * PER * LEN >> 20);
    cr_assert_lt(sizes[ROUNDS - 1], (int64_t)ROUNDS * PER * LEN / 4);
    lq_store_close(st);
    lq_inbox_close(in);
}
