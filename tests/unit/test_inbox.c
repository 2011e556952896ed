/* Tests for landq/io/inbox.c: put, duplicate, next/done order, restart, wait/wake, group commit
 * under concurrent puts, a store that refuses writes, retention. Runs against SQLite (a
 * temporary file) and, through tests/support/pgtest.py, against PostgreSQL (tests/support/
 * dbtest.h); the few backend-specific tests say so. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dbtest.h"
#include "inbox.h"

TestSuite(inbox, .init = dbt_setup, .fini = dbt_teardown, .timeout = 60);

static lq_inbox *open_inbox(void)
{
    lq_inbox *in = NULL;
    lq_error err;
    cr_assert_eq(lq_inbox_open(&in, dbt_target(), &err), LQ_OK, "%s", err.msg);
    return in;
}

static void put(lq_inbox *in, const char *id, const char *event, const char *body, int want)
{
    lq_error err;
    int rc = lq_inbox_put(in, id, event, body, strlen(body), &err);
    cr_assert_eq(rc, want, "put %s: %d %s", id, rc, rc < 0 ? err.msg : "");
}

Test(inbox, put_duplicate_next_done_in_order)
{
    lq_inbox *in = open_inbox();
    lq_delivery d;
    lq_error err;
    put(in, "d-1", "pull_request", "{\"n\":1}", LQ_OK);
    put(in, "d-2", "pull_request_review", "{\"n\":2}", LQ_OK);
    put(in, "d-1", "pull_request", "{\"n\":\"again\"}", 1); /* duplicate: not stored */
    put(in, "d-3", "status", "{\"n\":3}", LQ_OK);

    int64_t pending;
    cr_assert_eq(lq_inbox_pending(in, &pending, &err), LQ_OK);
    cr_assert_eq(pending, 3);

    const char *ids[] = {"d-1", "d-2", "d-3"};
    const char *bodies[] = {"{\"n\":1}", "{\"n\":2}", "{\"n\":3}"};
    int64_t last = 0;
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(lq_inbox_next(in, &d, &err), LQ_OK, "%s", err.msg);
        cr_assert_str_eq(d.id, ids[i]);
        cr_assert_str_eq(d.body, bodies[i]);
        cr_assert_eq(d.len, strlen(bodies[i]));
        cr_assert_gt(d.seq, last);
        cr_assert_gt(d.received_ms, 1600000000000LL);
        last = d.seq;
        /* next() without done() returns the same delivery */
        lq_delivery again;
        cr_assert_eq(lq_inbox_next(in, &again, &err), LQ_OK);
        cr_assert_eq(again.seq, d.seq);
        lq_delivery_dispose(&again);
        cr_assert_eq(lq_inbox_done(in, d.seq, &err), LQ_OK, "%s", err.msg);
        lq_delivery_dispose(&d);
    }
    cr_assert_str_eq(ids[1], "d-2");
    cr_assert_eq(lq_inbox_next(in, &d, &err), LQ_ENOTFOUND);
    cr_assert_eq(lq_inbox_done(in, 9999, &err), LQ_ENOTFOUND);
    /* a processed delivery still deduplicates */
    put(in, "d-2", "pull_request_review", "{}", 1);

    lq_inbox_stats st;
    lq_inbox_stats_get(in, &st);
    cr_assert_eq(st.stored, 3);
    cr_assert_eq(st.duplicates, 2);
    cr_assert_eq(st.failed, 0);
    lq_inbox_close(in);
}

Test(inbox, reopen_keeps_unprocessed_and_dedup)
{
    lq_inbox *in = open_inbox();
    lq_delivery d;
    lq_error err;
    put(in, "a", "push", "{\"a\":1}", LQ_OK);
    put(in, "b", "push", "{\"b\":2}", LQ_OK);
    cr_assert_eq(lq_inbox_next(in, &d, &err), LQ_OK);
    cr_assert_eq(lq_inbox_done(in, d.seq, &err), LQ_OK);
    int64_t first = d.seq;
    lq_delivery_dispose(&d);
    lq_inbox_close(in);

    in = open_inbox();
    cr_assert_eq(lq_inbox_next(in, &d, &err), LQ_OK, "%s", err.msg);
    cr_assert_str_eq(d.id, "b");
    cr_assert_str_eq(d.event, "push");
    cr_assert_str_eq(d.body, "{\"b\":2}");
    lq_delivery_dispose(&d);
    put(in, "a", "push", "{}", 1);
    put(in, "c", "push", "{}", LQ_OK);
    /* seq keeps increasing across restarts */
    cr_assert_eq(lq_inbox_next(in, &d, &err), LQ_OK);
    cr_assert_eq(lq_inbox_done(in, d.seq, &err), LQ_OK);
    lq_delivery_dispose(&d);
    cr_assert_eq(lq_inbox_next(in, &d, &err), LQ_OK);
    cr_assert_str_eq(d.id, "c");
    cr_assert_gt(d.seq, first + 1);
    lq_delivery_dispose(&d);
    lq_inbox_close(in);
}

Test(inbox, binary_body_round_trip)
{
    lq_inbox *in = open_inbox();
    lq_delivery d;
    lq_error err;
    const char body[] = {'{', '\0', 'x', '}'};
    cr_assert_eq(lq_inbox_put(in, "bin", "push", body, sizeof(body), &err), LQ_OK);
    cr_assert_eq(lq_inbox_put(in, "empty", "push", NULL, 0, &err), LQ_OK);
    cr_assert_eq(lq_inbox_next(in, &d, &err), LQ_OK);
    cr_assert_eq(d.len, sizeof(body));
    cr_assert_eq(memcmp(d.body, body, sizeof(body)), 0);
    cr_assert_eq(d.body[d.len], '\0');
    lq_inbox_done(in, d.seq, &err);
    lq_delivery_dispose(&d);
    cr_assert_eq(lq_inbox_next(in, &d, &err), LQ_OK);
    cr_assert_eq(d.len, 0);
    cr_assert_str_eq(d.body, "");
    lq_delivery_dispose(&d);
    lq_delivery_dispose(NULL);
    lq_inbox_close(in);
}

Test(inbox, rejects_bad_arguments)
{
    lq_inbox *in = open_inbox();
    lq_error err;
    char longid[200];
    memset(longid, 'x', sizeof(longid) - 1);
    longid[sizeof(longid) - 1] = '\0';
    cr_assert_eq(lq_inbox_put(in, "", "push", "{}", 2, &err), LQ_EINVAL);
    cr_assert_eq(lq_inbox_put(in, longid, "push", "{}", 2, &err), LQ_EINVAL);
    cr_assert_eq(lq_inbox_put(in, "x", NULL, "{}", 2, &err), LQ_EINVAL);
    cr_assert_eq(lq_inbox_put(in, "x", "push", NULL, 2, &err), LQ_EINVAL);
    lq_inbox_close(in);
    lq_inbox *bad = NULL;
    cr_assert_neq(lq_inbox_open(&bad, "/nonexistent-dir/x/landq.db", &err), LQ_OK);
    cr_assert_null(bad);
    cr_assert(strstr(err.msg, "/nonexistent-dir/x/landq.db"), "%s", err.msg);
    cr_assert_eq(lq_inbox_open(&bad, "", &err), LQ_EINVAL);
    lq_inbox_close(NULL);
}

Test(inbox, wait_wakes_on_put_and_times_out)
{
    lq_inbox *in = open_inbox();
    cr_assert_eq(lq_inbox_wait(in, 20), 0);
    put(in, "w1", "push", "{}", LQ_OK);
    cr_assert_eq(lq_inbox_wait(in, 5000), 1); /* the put happened after the last call */
    cr_assert_eq(lq_inbox_wait(in, 20), 0);
    put(in, "w1", "push", "{}", 1); /* a duplicate stores nothing: no wake-up */
    cr_assert_eq(lq_inbox_wait(in, 20), 0);
    lq_inbox_wake(in);
    cr_assert_eq(lq_inbox_wait(in, 5000), 1);
    lq_inbox_close(in);
}

typedef struct {
    lq_inbox *in;
    int thread;
    int n;
} putter_arg;

static void *putter(void *p)
{
    putter_arg *a = p;
    for (int i = 0; i < a->n; i++) {
        char id[64];
        lq_error err;
        snprintf(id, sizeof(id), "t%d-%d", a->thread, i);
        if (lq_inbox_put(a->in, id, "push", "{\"x\":1}", 7, &err) != LQ_OK)
            return (void *)1;
    }
    return NULL;
}

static void *waiter(void *p)
{
    lq_inbox *in = p;
    return (void *)(intptr_t)lq_inbox_wait(in, 10000);
}

Test(inbox, concurrent_puts_are_group_committed)
{
    lq_inbox *in = open_inbox();
    enum { THREADS = 16, EACH = 25 };
    pthread_t t[THREADS], w;
    putter_arg a[THREADS];
    cr_assert_eq(pthread_create(&w, NULL, waiter, in), 0);
    for (int i = 0; i < THREADS; i++) {
        a[i] = (putter_arg){in, i, EACH};
        cr_assert_eq(pthread_create(&t[i], NULL, putter, &a[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        void *r;
        pthread_join(t[i], &r);
        cr_assert_null(r, "thread %d failed a put", i);
    }
    void *woke;
    pthread_join(w, &woke);
    cr_assert_eq((intptr_t)woke, 1);
    lq_inbox_stats st;
    lq_inbox_stats_get(in, &st);
    cr_assert_eq(st.stored, THREADS * EACH);
    cr_assert_lt(st.commits, st.stored, "no batching: %llu commits for %llu puts",
                 (unsigned long long)st.commits, (unsigned long long)st.stored);
    cr_assert_gt(st.max_batch, 1);
    int64_t pending;
    lq_error err;
    cr_assert_eq(lq_inbox_pending(in, &pending, &err), LQ_OK);
    cr_assert_eq(pending, THREADS * EACH);
    /* per thread, arrival order is kept */
    int next_i[THREADS] = {0};
    lq_delivery d;
    while (lq_inbox_next(in, &d, &err) == LQ_OK) {
        int th, i;
        cr_assert_eq(sscanf(d.id, "t%d-%d", &th, &i), 2);
        cr_assert_eq(i, next_i[th], "thread %d: got %d, expected %d", th, i, next_i[th]);
        next_i[th]++;
        cr_assert_eq(lq_inbox_done(in, d.seq, &err), LQ_OK);
        lq_delivery_dispose(&d);
    }
    lq_inbox_close(in);
}

Test(inbox, prune_forgets_old_processed_only)
{
    lq_inbox *in = open_inbox();
    lq_delivery d;
    lq_error err;
    int64_t n;
    put(in, "p1", "push", "{}", LQ_OK);
    put(in, "p2", "push", "{}", LQ_OK);
    cr_assert_eq(lq_inbox_next(in, &d, &err), LQ_OK);
    cr_assert_eq(lq_inbox_done(in, d.seq, &err), LQ_OK);
    lq_delivery_dispose(&d);
    cr_assert_eq(lq_inbox_prune(in, 0, &n, &err), LQ_OK);
    cr_assert_eq(n, 0);
    cr_assert_eq(lq_inbox_prune(in, INT64_MAX, &n, &err), LQ_OK);
    cr_assert_eq(n, 1); /* p1 only: p2 is not processed */
    put(in, "p1", "push", "{}", LQ_OK); /* forgotten, so accepted again */
    put(in, "p2", "push", "{}", 1);
    lq_inbox_close(in);
}

Test(inbox, write_failure_reported_not_stored)
{
    lq_inbox *in = open_inbox();
    lq_error err;
    /* another connection makes every insert fail, as a full disk would */
    dbt_exec(dbt_sql("CREATE TRIGGER refuse BEFORE INSERT ON inbox_deliveries "
                     "BEGIN SELECT RAISE(ABORT, 'disk says no'); END;",
                     "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS "
                     "$$ BEGIN RAISE EXCEPTION 'disk says no'; END $$;"
                     "CREATE TRIGGER refuse BEFORE INSERT ON inbox_deliveries "
                     "FOR EACH ROW EXECUTE FUNCTION refuse();"));
    int rc = lq_inbox_put(in, "f1", "push", "{}", 2, &err);
    cr_assert_lt(rc, 0);
    cr_assert(strstr(err.msg, "disk says no"), "%s", err.msg);
    dbt_exec(dbt_sql("DROP TRIGGER refuse", "DROP TRIGGER refuse ON inbox_deliveries"));
    put(in, "f1", "push", "{}", LQ_OK); /* not a duplicate: nothing was stored */
    lq_inbox_stats st;
    lq_inbox_stats_get(in, &st);
    cr_assert_eq(st.failed, 1);
    lq_inbox_close(in);
}

static long long query_int(const char *sql)
{
    return dbt_scalar(sql);
}

Test(inbox, large_bodies_compressed_round_trip)
{
    lq_inbox *in = open_inbox();
    lq_delivery d;
    lq_error err;
    /* a JSON-like compressible body and an incompressible one */
    size_t n = 200000;
    char *json = malloc(n), *noise = malloc(4096);
    for (size_t i = 0; i < n; i++)
        json[i] = "{\"url\":\"https://api.github.com/repos/acme/mono/pulls/1\"},"[i % 55];
    unsigned x = 12345;
    for (size_t i = 0; i < 4096; i++) {
        x = x * 1103515245u + 12345u;
        noise[i] = (char)(x >> 16);
    }
    cr_assert_eq(lq_inbox_put(in, "big", "push", json, n, &err), LQ_OK, "%s", err.msg);
    cr_assert_eq(lq_inbox_put(in, "noise", "push", noise, 4096, &err), LQ_OK, "%s", err.msg);
    cr_assert_eq(query_int("SELECT encoding FROM inbox_deliveries WHERE delivery_id='big'"), 1);
    cr_assert_lt(query_int("SELECT length(body) FROM inbox_deliveries WHERE delivery_id='big'"),
                 (long long)n / 4);
    cr_assert_eq(query_int("SELECT encoding FROM inbox_deliveries WHERE delivery_id='noise'"), 0);
    cr_assert_eq(lq_inbox_next(in, &d, &err), LQ_OK, "%s", err.msg);
    cr_assert_eq(d.len, n);
    cr_assert_eq(memcmp(d.body, json, n), 0);
    cr_assert_eq(d.body[n], '\0');
    lq_inbox_done(in, d.seq, &err);
    lq_delivery_dispose(&d);
    cr_assert_eq(lq_inbox_next(in, &d, &err), LQ_OK, "%s", err.msg);
    cr_assert_eq(d.len, 4096);
    cr_assert_eq(memcmp(d.body, noise, 4096), 0);
    lq_delivery_dispose(&d);
    free(json);
    free(noise);
    lq_inbox_close(in);
}

Test(inbox, corrupt_row_reported_and_skippable)
{
    lq_inbox *in = open_inbox();
    lq_delivery d;
    lq_error err;
    char body[1000];
    memset(body, 'a', sizeof(body));
    body[0] = '{';
    cr_assert_eq(lq_inbox_put(in, "c1", "push", body, sizeof(body), &err), LQ_OK);
    put(in, "c2", "push", "{}", LQ_OK);
    dbt_exec(dbt_sql("UPDATE inbox_deliveries SET body = x'ffffffff' WHERE delivery_id = 'c1'",
                     "UPDATE inbox_deliveries SET body = '\\xffffffff'::bytea "
                     "WHERE delivery_id = 'c1'"));
    cr_assert_eq(lq_inbox_next(in, &d, &err), LQ_EINVAL);
    cr_assert(strstr(err.msg, "corrupt compressed body"), "%s", err.msg);
    cr_assert_str_eq(d.id, "c1");
    cr_assert_null(d.body);
    cr_assert_eq(lq_inbox_done(in, d.seq, &err), LQ_OK);
    cr_assert_eq(lq_inbox_next(in, &d, &err), LQ_OK);
    cr_assert_str_eq(d.id, "c2");
    lq_delivery_dispose(&d);
    lq_inbox_close(in);
}

static int run_insert(struct sqlite3 *db, void *ctx, lq_error *err)
{
    const char *sql = ctx;
    char *msg = NULL;
    if (sqlite3_exec(db, "CREATE TABLE IF NOT EXISTS side(v TEXT)", NULL, NULL, &msg) !=
            SQLITE_OK ||
        sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        lq_error_set(err, LQ_ERROR, "side: %s", msg ? msg : "?");
        sqlite3_free(msg);
        return LQ_ERROR;
    }
    return LQ_OK;
}

static int run_insert_then_fail(struct sqlite3 *db, void *ctx, lq_error *err)
{
    (void)ctx;
    sqlite3_exec(db, "CREATE TABLE IF NOT EXISTS side(v TEXT)", NULL, NULL, NULL);
    sqlite3_exec(db, "INSERT INTO side VALUES ('must be rolled back')", NULL, NULL, NULL);
    return lq_error_set(err, LQ_ECONFLICT, "changed my mind");
}

Test(inbox, run_shares_the_group_commit_and_rolls_back_only_itself)
{
    DBT_ONLY(0, "SQLite only");
    lq_inbox *in = open_inbox();
    lq_error err;
    cr_assert_eq(lq_inbox_run(in, run_insert, "INSERT INTO side VALUES ('a')", &err), LQ_OK,
                 "%s", err.msg);
    cr_assert_eq(lq_inbox_run(in, run_insert_then_fail, NULL, &err), LQ_ECONFLICT);
    cr_assert_str_eq(err.msg, "changed my mind");
    cr_assert_eq(lq_inbox_run(in, run_insert, "INSERT INTO nowhere VALUES (1)", &err), LQ_ERROR);
    cr_assert(strstr(err.msg, "no such table"), "%s", err.msg);
    cr_assert_eq(lq_inbox_run(in, NULL, NULL, &err), LQ_EINVAL);
    put(in, "r1", "push", "{}", LQ_OK); /* the writer is still healthy */
    lq_inbox_close(in);
    cr_assert_eq(query_int("SELECT count(*) FROM side"), 1);
    cr_assert_eq(query_int("SELECT count(*) FROM side WHERE v = 'a'"), 1);
}

typedef struct mixed_arg {
    lq_inbox *in;
    int thread;
} mixed_arg;

static void *mixed(void *p)
{
    mixed_arg *a = p;
    for (int i = 0; i < 20; i++) {
        char id[32];
        lq_error err;
        snprintf(id, sizeof(id), "m%d-%d", a->thread, i);
        if (a->thread % 2) {
            if (lq_inbox_put(a->in, id, "push", "{}", 2, &err) != LQ_OK)
                return (void *)1;
        } else {
            int rc = lq_inbox_run(a->in, i % 3 ? run_insert : run_insert_then_fail,
                                  "INSERT INTO side VALUES ('x')", &err);
            if (rc != (i % 3 ? LQ_OK : LQ_ECONFLICT))
                return (void *)1;
        }
    }
    return NULL;
}

Test(inbox, run_and_puts_interleaved_in_batches)
{
    DBT_ONLY(0, "SQLite only");
    lq_inbox *in = open_inbox();
    pthread_t t[8];
    mixed_arg a[8];
    for (int i = 0; i < 8; i++) {
        a[i] = (mixed_arg){in, i};
        pthread_create(&t[i], NULL, mixed, &a[i]);
    }
    for (int i = 0; i < 8; i++) {
        void *r;
        pthread_join(t[i], &r);
        cr_assert_null(r, "thread %d", i);
    }
    lq_inbox_stats st;
    lq_inbox_stats_get(in, &st);
    cr_assert_eq(st.stored, 80);
    lq_inbox_close(in);
    /* 4 threads x 20 runs, of which i % 3 == 0 (7 per thread) failed and rolled back */
    cr_assert_eq(query_int("SELECT count(*) FROM side"), 4 * 13);
}

Test(inbox, prune_batch_oldest_first_within_limit)
{
    lq_inbox *in = open_inbox();
    lq_delivery d;
    lq_error err;
    int64_t n = -1;
    const char *ids[] = {"p1", "p2", "p3", "p4", "p5"};
    for (int i = 0; i < 5; i++)
        put(in, ids[i], "push", "{}", LQ_OK);
    for (int i = 0; i < 5; i++) {
        cr_assert_eq(lq_inbox_next(in, &d, &err), LQ_OK, "%s", err.msg);
        cr_assert_eq(lq_inbox_done(in, d.seq, &err), LQ_OK, "%s", err.msg);
        lq_delivery_dispose(&d);
    }
    put(in, "p6", "push", "{}", LQ_OK); /* not processed: never pruned */
    cr_assert_eq(lq_inbox_prune_batch(in, INT64_MAX, 2, &n, &err), LQ_OK, "%s", err.msg);
    cr_assert_eq(n, 2);
    cr_assert_eq(query_int("SELECT count(*) FROM inbox_deliveries"), 4);
    cr_assert_eq(query_int("SELECT count(*) FROM inbox_deliveries WHERE delivery_id IN "
                           "('p1', 'p2')"),
                 0, "the oldest go first");
    cr_assert_eq(lq_inbox_prune_batch(in, INT64_MAX, 10, &n, &err), LQ_OK);
    cr_assert_eq(n, 3);
    cr_assert_eq(query_int("SELECT count(*) FROM inbox_deliveries"), 1);
    cr_assert_eq(lq_inbox_prune_batch(in, INT64_MAX, 0, &n, &err), LQ_EINVAL);
    /* received after the cut-off: kept */
    cr_assert_eq(lq_inbox_next(in, &d, &err), LQ_OK);
    cr_assert_eq(lq_inbox_done(in, d.seq, &err), LQ_OK);
    lq_delivery_dispose(&d);
    cr_assert_eq(lq_inbox_prune_batch(in, 1000, 10, &n, &err), LQ_OK);
    cr_assert_eq(n, 0);
    lq_inbox_close(in);
}

/* PostgreSQL: several instances store into and take from one inbox. Each open is an instance
 * (its own connections and claim identity), as two `landq serve` processes would be. */
Test(inbox, instances_share_one_inbox)
{
    DBT_ONLY(1, "PostgreSQL only (SQLite is one instance)");
    lq_inbox *a = open_inbox(), *b = open_inbox();
    lq_delivery d;
    lq_error err;
    put(a, "x1", "push", "{\"x\":1}", LQ_OK);
    put(b, "x1", "push", "{\"x\":1}", 1); /* a duplicate across instances */
    put(b, "x2", "push", "{\"x\":2}", LQ_OK);
    put(a, "x3", "push", "{\"x\":3}", LQ_OK);
    cr_assert_eq(lq_inbox_next(a, &d, &err), LQ_OK, "%s", err.msg);
    cr_assert_str_eq(d.id, "x1");
    int64_t s1 = d.seq;
    lq_delivery_dispose(&d);
    cr_assert_eq(lq_inbox_next(b, &d, &err), LQ_OK, "%s", err.msg);
    cr_assert_str_eq(d.id, "x2", "x1 is claimed by the other instance");
    int64_t s2 = d.seq;
    lq_delivery_dispose(&d);
    cr_assert_eq(lq_inbox_next(a, &d, &err), LQ_OK);
    cr_assert_str_eq(d.id, "x1", "an instance gets its own claim again until done");
    lq_delivery_dispose(&d);
    cr_assert_eq(lq_inbox_done(a, s1, &err), LQ_OK, "%s", err.msg);
    cr_assert_eq(lq_inbox_done(b, s2, &err), LQ_OK, "%s", err.msg);
    /* x3: claimed by an instance that died; its claim expires and another takes it */
    dbt_exec("UPDATE inbox_deliveries SET claimed_by = 'dead:1:0', claim_until_ms = "
             "lq_now_ms() + 60000 WHERE delivery_id = 'x3'");
    cr_assert_eq(lq_inbox_next(b, &d, &err), LQ_ENOTFOUND, "a live claim is respected");
    dbt_exec("UPDATE inbox_deliveries SET claim_until_ms = lq_now_ms() - 1 "
             "WHERE delivery_id = 'x3'");
    cr_assert_eq(lq_inbox_next(b, &d, &err), LQ_OK, "%s", err.msg);
    cr_assert_str_eq(d.id, "x3");
    cr_assert_str_eq(d.body, "{\"x\":3}");
    cr_assert_eq(lq_inbox_done(b, d.seq, &err), LQ_OK);
    lq_delivery_dispose(&d);
    int64_t pending = -1;
    cr_assert_eq(lq_inbox_pending(a, &pending, &err), LQ_OK);
    cr_assert_eq(pending, 0);
    cr_assert_eq(lq_inbox_run(a, run_insert, "", &err), LQ_EINVAL, "lq_inbox_run is SQLite's");
    cr_assert_str_eq(lq_inbox_backend(a), "postgresql");
    lq_inbox_close(a);
    lq_inbox_close(b);
}

/* PostgreSQL: what a bad or unreachable `db` gives, without ever printing the password. */
Test(inbox, postgresql_target_errors)
{
    lq_inbox *in = NULL;
    lq_error err;
    cr_assert_eq(lq_inbox_open(&in, "postgresql://landq:hunter2@/x?nonsense=1", &err), LQ_EINVAL);
    cr_assert_null(in);
    cr_assert(strstr(err.msg, "not a PostgreSQL connection string"), "%s", err.msg);
    cr_assert_null(strstr(err.msg, "hunter2"), "password printed: %s", err.msg);
    cr_assert(strstr(err.msg, "landq:***@"), "%s", err.msg);
    cr_assert_eq(lq_inbox_open(&in, "host=/nonexistent-dir port=1 dbname=x password=hunter2",
                               &err),
                 LQ_ETRANSIENT);
    cr_assert(strstr(err.msg, "cannot connect"), "%s", err.msg);
    cr_assert_null(strstr(err.msg, "hunter2"), "password printed: %s", err.msg);
}
