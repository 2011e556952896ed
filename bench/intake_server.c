/* intake_server.c -- the webhook intake as it runs in `landq serve`, alone, for the intake
 * benchmark (bench/intake_bench.py): lq_intake + lq_inbox with durability on (every 202 is on
 * disk), plus a worker thread doing lq_inbox_next/done like the landing worker, so the report
 * shows whether a webhook storm starves it.
 *
 *   intake_server --listen 127.0.0.1:PORT --db PATH|URL [--threads N] [--no-worker]
 *                 [--store-own-connection] [--inbox-retention D] [--audit-retention D] [--soak]
 *   (--db: a SQLite file, or a PostgreSQL URL / keyword string: the same code as landq serve)
 *   (--inbox-retention / --audit-retention: run landq's retention thread (io/retention.h))
 *   (--soak: instead of the worker, a consumer that marks every stored delivery processed
 *   every 100 ms and records one audit row per batch, so retention has work at any intake
 *   rate; SQLite only)
 *   (--threads N: the intake's event-loop mode with N threads; default: thread per connection)
 *   (the worker also writes what a landing step writes through landq's store, attached to the
 *   inbox as in `landq serve`; --store-own-connection: on the store's own connection instead)
 *   (secret from LANDQ_WEBHOOK_SECRET; SIGTERM/SIGINT stop it and print one JSON line)
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "dburl.h"
#include "duration.h"
#include "inbox.h"
#include "intake.h"
#include "retention.h"
#include "store.h"

static volatile sig_atomic_t stop_requested;
static lq_inbox *inbox;
static atomic_int worker_stop;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* worker latency samples (ms) */
#define MAX_SAMPLES 500000
typedef struct samples {
    double *v;
    size_t n;
} samples;
static samples next_lat, done_lat, store_lat;
static unsigned long long processed;
static const char *db_path;

static void sample_add(samples *s, double v)
{
    if (s->n < MAX_SAMPLES)
        s->v[s->n++] = v;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double pct(samples *s, double p)
{
    if (!s->n)
        return 0;
    size_t i = (size_t)(p / 100.0 * (double)(s->n - 1) + 0.5);
    return s->v[i];
}

/* The landing worker's store (landq/io/store.c) on the same file: by default attached to the
 * inbox as in `landq serve` (writes ride the group commit), or with --store-own-connection on its
 * own connection (autocommit, busy_timeout), which waits for the intake writer's lock. Each
 * processed delivery writes what one landing step writes: the pull request's state row and an
 * audit row. Their latency is the landing delay a webhook storm causes. */
static lq_store *store;
static int store_own_connection;

static void store_write(int64_t seq)
{
    if (!store)
        return;
    lq_pr_record r = {.number = (int)(seq % 100000) + 1, .state = LQ_PR_ARMED,
                      .labeled_at_ms = lq_store_now_ms()};
    snprintf(r.repo, sizeof(r.repo), "bench/monorepo");
    snprintf(r.base, sizeof(r.base), "main");
    snprintf(r.head_sha, sizeof(r.head_sha), "%040lld", (long long)seq);
    lq_error err;
    double t0 = now_ms();
    int rc = lq_store_put(store, &r, &err);
    if (rc == LQ_OK)
        rc = lq_store_audit(store, r.repo, r.number, r.head_sha, "waiting", "benchmark", NULL, 0,
                            NULL, &err);
    sample_add(&store_lat, now_ms() - t0);
    if (rc != LQ_OK)
        fprintf(stderr, "intake_server: store write: %s\n", err.msg);
}

static void *worker(void *arg)
{
    (void)arg;
    lq_error err;
    if (lq_store_open(&store, db_path, store_own_connection ? NULL : inbox, &err) != LQ_OK)
        fprintf(stderr, "intake_server: store: %s\n", err.msg);
    while (!atomic_load(&worker_stop)) {
        lq_delivery d;
        double t0 = now_ms();
        int rc = lq_inbox_next(inbox, &d, &err);
        double t1 = now_ms();
        if (rc == LQ_ENOTFOUND) {
            lq_inbox_wait(inbox, 100);
            continue;
        }
        if (rc != LQ_OK) {
            fprintf(stderr, "intake_server: worker: %s\n", err.msg);
            lq_inbox_wait(inbox, 100);
            continue;
        }
        sample_add(&next_lat, t1 - t0);
        store_write(d.seq);
        t1 = now_ms();
        rc = lq_inbox_done(inbox, d.seq, &err);
        sample_add(&done_lat, now_ms() - t1);
        if (rc != LQ_OK)
            fprintf(stderr, "intake_server: worker: %s\n", err.msg);
        else
            processed++;
        lq_delivery_dispose(&d);
    }
    return NULL;
}

/* Upper bound (ms) of the histogram bucket holding quantile q of the intake's own ack times. */
static double hist_quantile(const lq_intake_stats *st, double q)
{
    uint64_t want = (uint64_t)(q * (double)st->latency_count), cum = 0;
    for (size_t b = 0; b < LQ_INTAKE_LATENCY_BUCKETS; b++) {
        cum += st->latency_le[b];
        if (cum > want)
            return lq_intake_latency_bounds_ms[b];
    }
    return -1; /* +Inf */
}

static long vm_hwm_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kib = -1;
    while (f && fgets(line, sizeof(line), f))
        if (sscanf(line, "VmHWM: %ld", &kib) == 1)
            break;
    if (f)
        fclose(f);
    return kib;
}

static long long count_rows(const char *file)
{
    if (lq_dburl_kind(file) == LQ_DB_POSTGRESQL) {
        PGconn *c = PQconnectdb(file);
        PGresult *r = c ? PQexec(c, "SELECT count(*) FROM inbox_deliveries") : NULL;
        long long n = r && PQresultStatus(r) == PGRES_TUPLES_OK ? atoll(PQgetvalue(r, 0, 0)) : -1;
        PQclear(r);
        PQfinish(c);
        return n;
    }
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    long long n = -1;
    if (sqlite3_open_v2(file, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, "SELECT count(*) FROM inbox_deliveries", -1, &st, NULL) ==
            SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

/* --soak: keeps up with any intake rate, so retention always has processed rows to prune. */
static int mark_all_on(struct sqlite3 *db, void *ctx, lq_error *err)
{
    int *n = ctx;
    char *msg = NULL;
    if (sqlite3_exec(db, "UPDATE inbox_deliveries SET processed = 1 WHERE processed = 0", NULL,
                     NULL, &msg) != SQLITE_OK) {
        lq_error_set(err, LQ_ERROR, "soak: %s", msg ? msg : "?");
        sqlite3_free(msg);
        return LQ_ERROR;
    }
    *n = sqlite3_changes(db);
    return LQ_OK;
}

static void *soak_consumer(void *arg)
{
    (void)arg;
    lq_error err;
    if (lq_store_open(&store, db_path, inbox, &err) != LQ_OK) {
        fprintf(stderr, "intake_server: store: %s\n", err.msg);
        return NULL;
    }
    while (!atomic_load(&worker_stop)) {
        int n = 0;
        if (lq_inbox_run(inbox, mark_all_on, &n, &err) != LQ_OK)
            fprintf(stderr, "intake_server: %s\n", err.msg);
        if (n > 0) {
            processed += (unsigned long long)n;
            if (lq_store_audit(store, "bench/monorepo", 1, "", "bench", "soak batch", NULL, 0,
                               NULL, &err) != LQ_OK)
                fprintf(stderr, "intake_server: %s\n", err.msg);
        }
        lq_inbox_wait(inbox, 100);
    }
    return NULL;
}

static void retention_log(void *ctx, const char *line)
{
    (void)ctx;
    fprintf(stderr, "intake_server: %s\n", line);
}

int main(int argc, char **argv)
{
    double t_main = now_ms();
    const char *listen = "127.0.0.1:0", *db = NULL;
    int with_worker = 1, soak = 0;
    unsigned threads = 0;
    const char *inbox_ret = "off", *audit_ret = "off";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--listen") == 0 && i + 1 < argc)
            listen = argv[++i];
        else if (strcmp(argv[i], "--db") == 0 && i + 1 < argc)
            db = argv[++i];
        else if (strcmp(argv[i], "--no-worker") == 0)
            with_worker = 0;
        else if (strcmp(argv[i], "--store-own-connection") == 0)
            store_own_connection = 1;
        else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
            threads = (unsigned)atoi(argv[++i]);
        else if (strcmp(argv[i], "--inbox-retention") == 0 && i + 1 < argc)
            inbox_ret = argv[++i];
        else if (strcmp(argv[i], "--audit-retention") == 0 && i + 1 < argc)
            audit_ret = argv[++i];
        else if (strcmp(argv[i], "--soak") == 0)
            soak = 1;
        else {
            fprintf(stderr, "usage: %s --db PATH|URL [--listen ADDR:PORT] [--threads N] "
                    "[--no-worker] [--store-own-connection] [--inbox-retention D] "
                    "[--audit-retention D] [--soak]\n",
                    argv[0]);
            return 2;
        }
    }
    const char *secret = getenv("LANDQ_WEBHOOK_SECRET");
    db_path = db;
    if (!db || !secret || !*secret) {
        fprintf(stderr, "intake_server: --db and LANDQ_WEBHOOK_SECRET are required\n");
        return 2;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    lq_error err;
    int64_t inbox_ms = 0, audit_ms = 0;
    if (lq_duration_parse(inbox_ret, &inbox_ms, &err) ||
        lq_duration_parse(audit_ret, &audit_ms, &err)) {
        fprintf(stderr, "intake_server: retention: %s\n", err.msg);
        return 2;
    }
    if (soak && lq_dburl_kind(db) != LQ_DB_SQLITE) {
        fprintf(stderr, "intake_server: --soak needs a SQLite database\n");
        return 2;
    }
    if (lq_inbox_open(&inbox, db, &err) != LQ_OK) {
        fprintf(stderr, "intake_server: %s\n", err.msg);
        return 1;
    }
    lq_retention *retention = NULL;
    lq_retention_config rcfg = {.inbox = inbox, .db = db, .inbox_ms = inbox_ms,
                                .audit_ms = audit_ms, .log = retention_log};
    if ((inbox_ms || audit_ms) && lq_retention_start(&retention, &rcfg, &err) != LQ_OK) {
        fprintf(stderr, "intake_server: retention: %s\n", err.msg);
        lq_inbox_close(inbox);
        return 1;
    }
    double t_inbox = now_ms();
    lq_intake *intake = NULL;
    lq_intake_config cfg = {.listen = listen, .secret = secret, .secret_len = strlen(secret),
                            .inbox = inbox, .threads = threads};
    if (lq_intake_start(&intake, &cfg, &err) != LQ_OK) {
        fprintf(stderr, "intake_server: %s\n", err.msg);
        lq_inbox_close(inbox);
        return 1;
    }
    fprintf(stderr, "intake_server: listening on port %d (main -> inbox open %.1f ms -> "
            "listening %.1f ms)\n", lq_intake_port(intake), t_inbox - t_main, now_ms() - t_main);

    pthread_t wt;
    if (with_worker) {
        next_lat.v = malloc(MAX_SAMPLES * sizeof(double));
        done_lat.v = malloc(MAX_SAMPLES * sizeof(double));
        store_lat.v = malloc(MAX_SAMPLES * sizeof(double));
        if (!next_lat.v || !done_lat.v || !store_lat.v ||
            pthread_create(&wt, NULL, soak ? soak_consumer : worker, NULL) != 0)
            with_worker = 0;
    }
    while (!stop_requested)
        pause();

    long hwm = vm_hwm_kib();
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double cpu_s = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
                   (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
    lq_intake_stats ist;
    lq_intake_stats_get(intake, &ist);
    lq_intake_stop(intake);
    lq_retention_stop(retention);
    if (with_worker) {
        atomic_store(&worker_stop, 1);
        lq_inbox_wake(inbox);
        pthread_join(wt, NULL);
        lq_store_close(store);
    }
    lq_inbox_stats st;
    lq_inbox_stats_get(inbox, &st);
    int64_t pending = 0;
    lq_inbox_pending(inbox, &pending, &err);
    lq_inbox_close(inbox);
    long long rows = count_rows(db);
    qsort(next_lat.v, next_lat.n, sizeof(double), cmp_double);
    qsort(done_lat.v, done_lat.n, sizeof(double), cmp_double);
    qsort(store_lat.v, store_lat.n, sizeof(double), cmp_double);
    printf("{\"cpu_s\":%.3f,\"peak_rss_kib\":%ld,\"stored\":%llu,\"duplicates\":%llu,\"failed\":%llu,"
           "\"commits\":%llu,\"max_batch\":%llu,\"commit_ms_avg\":%.3f,\"commit_ms_max\":%.3f,\"rows_on_disk\":%lld,\"pending\":%lld,"
           "\"answered_202\":%llu,\"answered_other\":%llu,"
           "\"server_ack_ms_le\":{\"p50\":%g,\"p99\":%g},"
           "\"worker_processed\":%llu,\"worker_next_ms\":{\"p50\":%.3f,\"p99\":%.3f,\"max\":%.3f},"
           "\"worker_done_ms\":{\"p50\":%.3f,\"p99\":%.3f,\"max\":%.3f},"
           "\"store_write_ms\":{\"p50\":%.3f,\"p99\":%.3f,\"max\":%.3f}}\n",
           cpu_s, hwm, (unsigned long long)st.stored, (unsigned long long)st.duplicates,
           (unsigned long long)st.failed, (unsigned long long)st.commits,
           (unsigned long long)st.max_batch,
           st.commits ? (double)st.commit_us_total / 1000.0 / (double)st.commits : 0.0,
           (double)st.commit_us_max / 1000.0, rows, (long long)pending,
           (unsigned long long)ist.by_status[1],
           (unsigned long long)(ist.latency_count - ist.by_status[1]), hist_quantile(&ist, 0.5),
           hist_quantile(&ist, 0.99), processed,
           pct(&next_lat, 50), pct(&next_lat, 99), next_lat.n ? next_lat.v[next_lat.n - 1] : 0,
           pct(&done_lat, 50), pct(&done_lat, 99), done_lat.n ? done_lat.v[done_lat.n - 1] : 0,
           pct(&store_lat, 50), pct(&store_lat, 99),
           store_lat.n ? store_lat.v[store_lat.n - 1] : 0);
    free(next_lat.v);
    free(done_lat.v);
    free(store_lat.v);
    return 0;
}
