/* Tests for landq/io/store.c: the queue state, audit and allowlist rows, schema versioning and
 * space, on the store's own connection and through the inbox (as `landq serve` runs it).
 * Runs against SQLite (a temporary file) and, through tests/support/pgtest.py, against
 * PostgreSQL (tests/support/dbtest.h); the few backend-specific tests say so. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dbtest.h"
#include "inbox.h"
#include "store.h"

TestSuite(store, .init = dbt_setup, .fini = dbt_teardown, .timeout = 60);

static lq_pr_record record(int number, const char *sha, lq_pr_state state, int64_t labeled)
{
    lq_pr_record r = {.number = number, .state = state, .labeled_at_ms = labeled};
    snprintf(r.repo, sizeof(r.repo), "acme/mono");
    snprintf(r.base, sizeof(r.base), "main");
    snprintf(r.head_sha, sizeof(r.head_sha), "%s", sha);
    return r;
}

static long long count(const char *sql)
{
    return dbt_scalar(sql);
}

static lq_store *open_store(void)
{
    lq_store *st = NULL;
    lq_error err;
    cr_assert_eq(lq_store_open(&st, dbt_target(), NULL, &err), LQ_OK, "%s", err.msg);
    return st;
}

/* The same life of two pull requests, whichever connection writes. */
static void exercise(lq_store *st)
{
    lq_error err;
    lq_pr_record a = record(7, "aaaa", LQ_PR_ARMED, 200), b = record(3, "bbbb", LQ_PR_BLOCKED, 100);
    cr_assert_eq(lq_pr_record_set(&a.comment_body, "waiting for @acme/web"), LQ_OK);
    cr_assert_eq(lq_store_put(st, &a, &err), LQ_OK, "%s", err.msg);
    cr_assert_eq(lq_store_put(st, &b, &err), LQ_OK, "%s", err.msg);

    lq_pr_record got;
    cr_assert_eq(lq_store_get(st, "ACME/mono", 7, &got, &err), LQ_OK, "%s", err.msg);
    cr_assert_str_eq(got.head_sha, "aaaa");
    cr_assert_eq(got.state, LQ_PR_ARMED);
    cr_assert_str_eq(got.comment_body, "waiting for @acme/web");
    cr_assert_null(got.merge_title);
    lq_pr_record_dispose(&got);
    cr_assert_eq(lq_store_get(st, "acme/mono", 8, &got, &err), LQ_ENOTFOUND);

    /* a replace keeps one row per (repo, number), whatever the case of the repo */
    snprintf(a.repo, sizeof a.repo, "Acme/Mono");
    a.merge_attempts = 2;
    cr_assert_eq(lq_store_put(st, &a, &err), LQ_OK, "%s", err.msg);
    cr_assert_eq(count("SELECT count(*) FROM lq_pr"), 2);
    cr_assert_eq(lq_store_get(st, "acme/mono", 7, &got, &err), LQ_OK, "%s", err.msg);
    cr_assert_str_eq(got.repo, "Acme/Mono");
    cr_assert_eq(got.merge_attempts, 2);
    cr_assert_gt(got.updated_ms, 1600000000000LL);
    lq_pr_record_dispose(&got);

    int marked = -1;
    cr_assert_eq(lq_store_mark_sha_dirty(st, "acme/mono", "bbbb", &marked, &err), LQ_OK, "%s",
                 err.msg);
    cr_assert_eq(marked, 1);
    cr_assert_eq(lq_store_mark_sha_dirty(st, "acme/mono", "cccc", &marked, &err), LQ_OK);
    cr_assert_eq(marked, 0);

    lq_pr_record *recs = NULL;
    size_t n = 0;
    cr_assert_eq(lq_store_list(st, LQ_STORE_DIRTY, &recs, &n, &err), LQ_OK, "%s", err.msg);
    cr_assert_eq(n, 1);
    cr_assert_eq(recs[0].number, 3);
    lq_store_list_free(recs, n);
    cr_assert_eq(lq_store_list(st, LQ_STORE_QUEUED, &recs, &n, &err), LQ_OK, "%s", err.msg);
    cr_assert_eq(n, 2);
    cr_assert_eq(recs[0].number, 3, "label order: #3 was labeled first");
    cr_assert_eq(recs[1].number, 7);
    lq_store_list_free(recs, n);

    const char *reasons[] = {"src/a.c: needs @acme/web", "checks: ci/build failing"};
    cr_assert_eq(lq_store_audit(st, "acme/mono", 7, "aaaa", "refused", "2 reasons", reasons, 2,
                                NULL, &err),
                 LQ_OK, "%s", err.msg);
    lq_pr_record_dispose(&a);
    cr_assert_eq(count("SELECT count(*) FROM lq_audit WHERE number = 7 AND reasons = "
                       "'[\"src/a.c: needs @acme/web\",\"checks: ci/build failing\"]'"),
                 1);
}

Test(store, own_connection)
{
    lq_store *st = open_store();
    exercise(st);
    lq_store_close(st);
}

Test(store, through_the_inbox)
{
    lq_inbox *in = NULL;
    lq_store *st = NULL;
    lq_error err;
    cr_assert_eq(lq_inbox_open(&in, dbt_target(), &err), LQ_OK, "%s", err.msg);
    cr_assert_eq(lq_store_open(&st, dbt_target(), in, &err), LQ_OK, "%s", err.msg);
    cr_assert_str_eq(lq_store_backend(st), dbt_is_pg() ? "postgresql" : "sqlite");
    exercise(st);
    cr_assert_eq(lq_inbox_put(in, "d-1", "pull_request", "{}", 2, &err), LQ_OK, "%s", err.msg);
    lq_store_close(st);
    lq_inbox_close(in);
    cr_assert_eq(count("SELECT count(*) FROM inbox_deliveries"), 1);
    cr_assert_eq(count("SELECT count(*) FROM lq_pr"), 2);
}

/* SQLite: with an inbox, every store write is one of the inbox writer's group commits, so it
 * never waits for a second writer's lock during a webhook burst. */
Test(store, sqlite_writes_ride_the_inbox_group_commit)
{
    DBT_ONLY(0, "SQLite only (PostgreSQL has no single-writer lock to wait for)");
    lq_inbox *in = NULL;
    lq_store *st = NULL;
    lq_error err;
    cr_assert_eq(lq_inbox_open(&in, dbt_target(), &err), LQ_OK, "%s", err.msg);
    lq_inbox_stats before, after;
    lq_inbox_stats_get(in, &before);
    cr_assert_eq(lq_store_open(&st, dbt_target(), in, &err), LQ_OK, "%s", err.msg);
    exercise(st);
    lq_inbox_stats_get(in, &after);
    /* 3 puts + 2 marks + 1 audit (the schema came with the inbox) */
    cr_assert_geq(after.commits - before.commits, 6, "store writes bypassed the inbox: %llu",
                  (unsigned long long)(after.commits - before.commits));
    lq_store_close(st);
    lq_inbox_close(in);
}

/* A store opened after the inbox is closed again reads what was written through it. */
Test(store, reopen_reads_state_written_through_the_inbox)
{
    lq_inbox *in = NULL;
    lq_store *st = NULL;
    lq_error err;
    cr_assert_eq(lq_inbox_open(&in, dbt_target(), &err), LQ_OK, "%s", err.msg);
    cr_assert_eq(lq_store_open(&st, dbt_target(), in, &err), LQ_OK, "%s", err.msg);
    lq_pr_record a = record(11, "dddd", LQ_PR_MERGING, 5);
    snprintf(a.merge_sha, sizeof(a.merge_sha), "dddd");
    cr_assert_eq(lq_pr_record_set(&a.merge_message, "line 1\n\nApproved-by: @alice"), LQ_OK);
    cr_assert_eq(lq_store_put(st, &a, &err), LQ_OK, "%s", err.msg);
    lq_pr_record_dispose(&a);
    lq_store_close(st);
    lq_inbox_close(in);

    st = open_store();
    lq_pr_record got;
    cr_assert_eq(lq_store_get(st, "acme/mono", 11, &got, &err), LQ_OK, "%s", err.msg);
    cr_assert_eq(got.state, LQ_PR_MERGING);
    cr_assert_str_eq(got.merge_sha, "dddd");
    cr_assert_str_eq(got.merge_message, "line 1\n\nApproved-by: @alice");
    lq_pr_record_dispose(&got);
    lq_store_close(st);
}

Test(store, open_reports_an_unusable_path)
{
    lq_store *st = NULL;
    lq_error err;
    cr_assert_neq(lq_store_open(&st, "/nonexistent-dir/landq.db", NULL, &err), LQ_OK);
    cr_assert_null(st);
    cr_assert(strstr(err.msg, "/nonexistent-dir/landq.db"), "%s", err.msg);
    cr_assert_neq(lq_store_open(&st, "", NULL, &err), LQ_OK);
}

/* Text cut mid-character (a fixed-size field holding a title) must not lose the row: SQLite
 * keeps the bytes, PostgreSQL (UTF-8 only) gets '?' in their place. */
Test(store, invalid_utf8_text_is_stored)
{
    lq_store *st = open_store();
    lq_error err;
    lq_pr_record a = record(5, "eeee", LQ_PR_ARMED, 1);
    snprintf(a.labeler, sizeof a.labeler, "caf\xc3");
    cr_assert_eq(lq_pr_record_set(&a.merge_title, "Fix \xe2\x82 and \xff"), LQ_OK);
    cr_assert_eq(lq_store_put(st, &a, &err), LQ_OK, "%s", err.msg);
    lq_pr_record got;
    cr_assert_eq(lq_store_get(st, "acme/mono", 5, &got, &err), LQ_OK, "%s", err.msg);
    cr_assert_str_eq(got.labeler, dbt_is_pg() ? "caf?" : "caf\xc3");
    cr_assert_str_eq(got.merge_title, dbt_is_pg() ? "Fix ?? and ?" : "Fix \xe2\x82 and \xff");
    lq_pr_record_dispose(&got);
    lq_pr_record_dispose(&a);
    const char *r[] = {"bad \xc3"};
    cr_assert_eq(lq_store_audit(st, "acme/mono", 5, "eeee", "wait", "\xff", r, 1, NULL, &err),
                 LQ_OK, "%s", err.msg);
    lq_store_close(st);
}

typedef struct audit_seen {
    int n;
    char actions[8][32];
    long long last_at;
} audit_seen;

static int collect(void *ctx, const lq_audit_entry *row)
{
    audit_seen *s = ctx;
    cr_assert_geq(row->at_ms, s->last_at, "oldest first");
    s->last_at = row->at_ms;
    if (s->n < 8)
        snprintf(s->actions[s->n], sizeof s->actions[0], "%s#%d", row->action, row->number);
    s->n++;
    return 0;
}

Test(store, audit_list_and_prune)
{
    lq_store *st = open_store();
    lq_error err;
    const char *acts[] = {"wait", "ready", "landed"};
    for (int i = 0; i < 3; i++)
        cr_assert_eq(lq_store_audit(st, "acme/mono", 1, "s", acts[i], "", NULL, 0, NULL, &err),
                     LQ_OK, "%s", err.msg);
    cr_assert_eq(lq_store_audit(st, "acme/other", 2, "s", "eject", "", NULL, 0, NULL, &err),
                 LQ_OK);
    audit_seen s = {0};
    cr_assert_eq(lq_store_audit_each(st, "", 0, -1, collect, &s, &err), LQ_OK, "%s", err.msg);
    cr_assert_eq(s.n, 4);
    memset(&s, 0, sizeof s);
    cr_assert_eq(lq_store_audit_each(st, "ACME/MONO", 1, 2, collect, &s, &err), LQ_OK);
    cr_assert_eq(s.n, 2, "the last two of #1");
    cr_assert_str_eq(s.actions[0], "ready#1");
    cr_assert_str_eq(s.actions[1], "landed#1");
    /* retention: rows before the cut-off go, a batch at a time */
    dbt_exec("UPDATE lq_audit SET at_ms = 1000 WHERE action IN ('wait', 'ready', 'eject')");
    int64_t n = -1;
    cr_assert_eq(lq_store_audit_prune(st, 2000, 2, &n, &err), LQ_OK, "%s", err.msg);
    cr_assert_eq(n, 2);
    cr_assert_eq(lq_store_audit_prune(st, 2000, 100, &n, &err), LQ_OK);
    cr_assert_eq(n, 1);
    cr_assert_eq(lq_store_audit_prune(st, 2000, 0, &n, &err), LQ_EINVAL);
    memset(&s, 0, sizeof s);
    cr_assert_eq(lq_store_audit_each(st, NULL, 0, -1, collect, &s, &err), LQ_OK);
    cr_assert_eq(s.n, 1);
    cr_assert_str_eq(s.actions[0], "landed#1");
    lq_store_close(st);
}

Test(store, allowlist_cache_round_trip)
{
    lq_store *st = open_store();
    lq_error err;
    char *body = NULL;
    int64_t at = -1;
    cr_assert_eq(lq_store_meta_get(st, &body, &at, &err), LQ_ENOTFOUND);
    cr_assert_null(body);
    cr_assert_eq(lq_store_meta_put(st, "{\"hooks\":[\"192.30.252.0/22\"]}", 1700000000, &err),
                 LQ_OK, "%s", err.msg);
    cr_assert_eq(lq_store_meta_put(st, "{\"hooks\":[\"140.82.112.0/20\"]}", 1700000100, &err),
                 LQ_OK, "%s", err.msg);
    cr_assert_eq(lq_store_meta_get(st, &body, &at, &err), LQ_OK, "%s", err.msg);
    cr_assert_str_eq(body, "{\"hooks\":[\"140.82.112.0/20\"]}");
    cr_assert_eq(at, 1700000100);
    free(body);
    cr_assert_eq(count("SELECT count(*) FROM landq_meta_hooks"), 1);
    lq_store_close(st);
}

/* ---- schema versions ---- */

Test(store, schema_migrated_once_and_reported)
{
    lq_store *st = open_store();
    lq_error err;
    lq_store_info info;
    cr_assert_eq(lq_store_info_get(st, &info, &err), LQ_OK, "%s", err.msg);
    cr_assert_str_eq(info.backend, dbt_is_pg() ? "postgresql" : "sqlite");
    cr_assert_geq(info.schema_version, 1);
    cr_assert_gt(info.bytes, 0);
    lq_store_close(st);
    st = open_store();
    lq_store_close(st);
    lq_inbox *in = NULL;
    cr_assert_eq(lq_inbox_open(&in, dbt_target(), &err), LQ_OK, "%s", err.msg);
    lq_inbox_close(in);
    cr_assert_eq(count("SELECT count(*) FROM lq_schema"), info.schema_version,
                 "one row per migration, applied once");
    cr_assert_eq(count("SELECT max(version) FROM lq_schema"), info.schema_version);
}

/* `landq serve` refuses a database a newer landq has migrated: its rows may mean something
 * this version does not know. */
Test(store, newer_schema_refused)
{
    lq_store *st = open_store();
    lq_store_close(st);
    dbt_exec("INSERT INTO lq_schema (version, applied_at_ms, description) VALUES "
             "(999, 0, 'from the future')");
    lq_error err;
    lq_inbox *in = NULL;
    cr_assert_eq(lq_inbox_open(&in, dbt_target(), &err), LQ_EINVAL);
    cr_assert_null(in);
    cr_assert(strstr(err.msg, "schema is version 999, newer than this landq knows"), "%s",
              err.msg);
    cr_assert_eq(lq_store_open(&st, dbt_target(), NULL, &err), LQ_EINVAL);
    cr_assert_eq(lq_store_open_existing(&st, dbt_target(), &err), LQ_EINVAL);
    cr_assert_null(st);
}

typedef struct opener {
    int rc;
    lq_error err;
} opener;

static void *open_concurrently(void *p)
{
    opener *o = p;
    lq_inbox *in = NULL;
    o->rc = lq_inbox_open(&in, dbt_target(), &o->err);
    lq_inbox_close(in);
    return NULL;
}

/* Instances starting together on an empty database: every one starts, the schema is made once. */
Test(store, concurrent_first_opens_migrate_once)
{
    enum { N = 4 };
    pthread_t t[N];
    opener o[N];
    memset(o, 0, sizeof o);
    for (int i = 0; i < N; i++)
        cr_assert_eq(pthread_create(&t[i], NULL, open_concurrently, &o[i]), 0);
    for (int i = 0; i < N; i++) {
        pthread_join(t[i], NULL);
        cr_assert_eq(o[i].rc, LQ_OK, "opener %d: %s", i, o[i].err.msg);
    }
    cr_assert_eq(count("SELECT count(*) FROM lq_schema WHERE version = 1"), 1);
}

/* SQLite: a file from before versioned migrations (same tables, no lq_schema) is adopted as
 * version 1 with its rows intact. */
Test(store, sqlite_database_from_before_migrations_upgraded)
{
    DBT_ONLY(0, "SQLite only (PostgreSQL support starts with migrations)");
    dbt_exec("PRAGMA journal_mode=WAL;"
             "CREATE TABLE inbox_deliveries (seq INTEGER PRIMARY KEY AUTOINCREMENT,"
             " delivery_id TEXT NOT NULL UNIQUE, event TEXT NOT NULL, body BLOB NOT NULL,"
             " received_ms INTEGER NOT NULL, processed INTEGER NOT NULL DEFAULT 0,"
             " encoding INTEGER NOT NULL DEFAULT 0, raw_len INTEGER NOT NULL DEFAULT 0);"
             "CREATE TABLE lq_pr (repo TEXT NOT NULL COLLATE NOCASE, number INTEGER NOT NULL,"
             " base TEXT NOT NULL DEFAULT '', head_sha TEXT NOT NULL DEFAULT '',"
             " state TEXT NOT NULL DEFAULT 'idle', labeler TEXT NOT NULL DEFAULT '',"
             " labeled_at_ms INTEGER NOT NULL DEFAULT 0, dirty INTEGER NOT NULL DEFAULT 0,"
             " comment_id INTEGER NOT NULL DEFAULT 0, comment_body TEXT, status_key TEXT,"
             " merge_sha TEXT NOT NULL DEFAULT '', merge_title TEXT, merge_message TEXT,"
             " merge_attempts INTEGER NOT NULL DEFAULT 0, landed_sha TEXT NOT NULL DEFAULT '',"
             " updated_ms INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (repo, number));"
             "INSERT INTO lq_pr (repo, number, state) VALUES ('acme/mono', 9, 'ready');"
             "INSERT INTO inbox_deliveries (delivery_id, event, body, received_ms) VALUES "
             "('old-1', 'push', '{}', 1);");
    lq_inbox *in = NULL;
    lq_error err;
    cr_assert_eq(lq_inbox_open(&in, dbt_target(), &err), LQ_OK, "%s", err.msg);
    lq_inbox_close(in);
    lq_store *st = open_store();
    lq_pr_record got;
    cr_assert_eq(lq_store_get(st, "acme/mono", 9, &got, &err), LQ_OK, "%s", err.msg);
    cr_assert_eq(got.state, LQ_PR_READY);
    lq_pr_record_dispose(&got);
    lq_store_close(st);
    cr_assert_eq(count("SELECT count(*) FROM lq_schema WHERE version = 1"), 1);
    cr_assert_eq(count("SELECT count(*) FROM inbox_deliveries WHERE delivery_id = 'old-1'"), 1);
    cr_assert_eq(count("SELECT count(*) FROM sqlite_master WHERE name = 'lq_audit'"), 1);
}

/* Read-only tools never create a database. */
Test(store, open_existing_never_creates)
{
    lq_store *st = NULL;
    lq_error err;
    if (!dbt_is_pg()) {
        char p[300];
        snprintf(p, sizeof p, "%s.missing", dbt_target());
        cr_assert_neq(lq_store_open_existing(&st, p, &err), LQ_OK);
        cr_assert_null(st);
        struct stat sb;
        cr_assert_neq(stat(p, &sb), 0, "a file was created");
    }
    lq_store *rw = open_store();
    lq_store_close(rw);
    cr_assert_eq(lq_store_open_existing(&st, dbt_target(), &err), LQ_OK, "%s", err.msg);
    audit_seen s = {0};
    cr_assert_eq(lq_store_audit_each(st, "", 0, -1, collect, &s, &err), LQ_OK, "%s", err.msg);
    lq_store_close(st);
}

/* SQLite: pruned space is reused, and what is beyond a reserve is given back to the file
 * system (new files use auto_vacuum=INCREMENTAL). */
Test(store, sqlite_reclaim_gives_space_back)
{
    DBT_ONLY(0, "SQLite only (PostgreSQL: autovacuum)");
    lq_inbox *in = NULL;
    lq_store *st = NULL;
    lq_error err;
    cr_assert_eq(lq_inbox_open(&in, dbt_target(), &err), LQ_OK, "%s", err.msg);
    cr_assert_eq(lq_store_open(&st, dbt_target(), in, &err), LQ_OK, "%s", err.msg);
    enum { N = 3000, LEN = 3000 };
    /* incompressible rows, written in one statement (a put each would take an fsync each) */
    dbt_exec("WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 3000) "
             "INSERT INTO inbox_deliveries (delivery_id, event, body, received_ms) "
             "SELECT 'r-' || i, 'push', randomblob(3000), 1 FROM c");
    dbt_exec("UPDATE inbox_deliveries SET processed = 1");
    lq_store_info before, pruned, after;
    cr_assert_eq(lq_store_info_get(st, &before, &err), LQ_OK, "%s", err.msg);
    cr_assert(before.auto_vacuum, "a new file uses auto_vacuum=INCREMENTAL");
    int64_t n = 0;
    cr_assert_eq(lq_inbox_prune(in, INT64_MAX, &n, &err), LQ_OK, "%s", err.msg);
    cr_assert_eq(n, N);
    cr_assert_eq(lq_store_info_get(st, &pruned, &err), LQ_OK);
    cr_assert_gt(pruned.free_bytes, (int64_t)N * LEN / 2, "deleted rows free their pages");
    int64_t given = 0;
    cr_assert_eq(lq_store_reclaim(st, &given, &err), LQ_OK, "%s", err.msg);
    cr_assert_gt(given, (int64_t)N * LEN / 2);
    cr_assert_eq(lq_store_info_get(st, &after, &err), LQ_OK);
    cr_assert_lt(after.free_bytes, pruned.free_bytes);
    cr_assert_eq(lq_store_reclaim(st, &given, &err), LQ_OK);
    cr_assert_eq(given, 0, "the reserve is kept");
    lq_store_close(st);
    lq_inbox_close(in); /* the last connection checkpoints: the file itself shrinks */
    struct stat sb;
    cr_assert_eq(stat(dbt_path(), &sb), 0);
    cr_assert_lt(sb.st_size, (int64_t)N * LEN / 2, "file of %lld bytes", (long long)sb.st_size);
}

/* ---------------------------------------------------------------- the queue pages' reads */

Test(store, freezes_persist_until_unfrozen)
{
    lq_store *st = NULL;
    lq_error err = {0};
    cr_assert_eq(lq_store_open(&st, dbt_target(), NULL, &err), LQ_OK, "%s", err.msg);
    lq_freeze_row f;
    cr_assert_eq(lq_store_freeze_get(st, "acme/mono", "main", &f, &err), LQ_ENOTFOUND);
    cr_assert_eq(lq_store_freeze_set(st, "acme/mono", "main", "release 4.2", "carol", 1000, &err),
                 LQ_OK, "%s", err.msg);
    cr_assert_eq(lq_store_freeze_set(st, "acme/mono", "release/4.2", "", "dan", 2000, &err), LQ_OK);
    lq_store_close(st);

    cr_assert_eq(lq_store_open(&st, dbt_target(), NULL, &err), LQ_OK, "%s", err.msg);
    cr_assert_eq(lq_store_freeze_get(st, "ACME/mono", "main", &f, &err), LQ_OK, "%s", err.msg);
    cr_assert_str_eq(f.reason, "release 4.2");
    cr_assert_str_eq(f.by, "carol");
    cr_assert_eq(f.since_ms, 1000);
    free(f.reason);
    cr_assert_eq(lq_store_freeze_get(st, "acme/mono", "Main", &f, &err), LQ_ENOTFOUND,
                 "branch names are case-sensitive");
    /* freezing again updates the reason */
    cr_assert_eq(lq_store_freeze_set(st, "acme/mono", "main", "release 4.3", "erin", 3000, &err),
                 LQ_OK);
    lq_freeze_row *rows = NULL;
    size_t n = 0;
    cr_assert_eq(lq_store_freeze_list(st, &rows, &n, &err), LQ_OK, "%s", err.msg);
    cr_assert_eq(n, 2);
    cr_assert_str_eq(rows[0].branch, "main");
    cr_assert_str_eq(rows[0].reason, "release 4.3");
    cr_assert_str_eq(rows[0].by, "erin");
    cr_assert_str_eq(rows[1].branch, "release/4.2");
    lq_store_freeze_rows_free(rows, n);
    int was = 0;
    cr_assert_eq(lq_store_freeze_clear(st, "acme/mono", "main", &was, &err), LQ_OK);
    cr_assert_eq(was, 1);
    cr_assert_eq(lq_store_freeze_clear(st, "acme/mono", "main", &was, &err), LQ_OK);
    cr_assert_eq(was, 0);
    cr_assert_eq(lq_store_freeze_list(st, &rows, &n, &err), LQ_OK);
    cr_assert_eq(n, 1);
    lq_store_freeze_rows_free(rows, n);
    lq_store_close(st);
}

Test(store, audit_trail_and_landings_for_the_queue_page)
{
    lq_store *st = NULL;
    lq_error err = {0};
    cr_assert_eq(lq_store_open(&st, dbt_target(), NULL, &err), LQ_OK, "%s", err.msg);
    lq_pr_record r = record(7, "aaaa", LQ_PR_LANDED, 500);
    cr_assert_eq(lq_pr_record_set(&r.merge_title, "Seven"), LQ_OK);
    cr_assert_eq(lq_store_put(st, &r, &err), LQ_OK, "%s", err.msg);
    lq_pr_record_dispose(&r);
    const char *why[] = {"`a.c` needs an approval"};
    cr_assert_eq(lq_store_audit(st, "acme/mono", 7, "aaaa", "wait", "waiting", why, 1, NULL,
                                &err), LQ_OK);
    cr_assert_eq(lq_store_audit(st, "acme/mono", 7, "aaaa", "ready", "ready", NULL, 0, NULL,
                                &err), LQ_OK);
    cr_assert_eq(lq_store_audit(st, "acme/mono", 8, "bbbb", "wait", "other", NULL, 0, NULL,
                                &err), LQ_OK);
    cr_assert_eq(lq_store_audit(st, "acme/mono", 7, "aaaa", "landed", "landed", NULL, 0, "cccc",
                                &err), LQ_OK);
    cr_assert_eq(lq_store_audit(st, "acme/mono", 9, "dddd", "landed", "landed", NULL, 0, "eeee",
                                &err), LQ_OK);
    lq_audit_row *a = NULL;
    size_t n = 0;
    cr_assert_eq(lq_store_audit_list(st, "ACME/mono", 7, 100, &a, &n, &err), LQ_OK, "%s",
                 err.msg);
    cr_assert_eq(n, 3);
    cr_assert_str_eq(a[0].action, "wait");
    cr_assert_str_eq(a[0].reasons_json, "[\"`a.c` needs an approval\"]");
    cr_assert_str_eq(a[2].action, "landed");
    cr_assert_str_eq(a[2].commit_sha, "cccc");
    lq_store_audit_rows_free(a, n);
    cr_assert_eq(lq_store_audit_list(st, "acme/mono", 7, 2, &a, &n, &err), LQ_OK);
    cr_assert_eq(n, 2, "the last two, oldest first");
    cr_assert_str_eq(a[0].action, "ready");
    lq_store_audit_rows_free(a, n);
    cr_assert_eq(lq_store_audit_list(st, "acme/mono", 99, 10, &a, &n, &err), LQ_OK);
    cr_assert_eq(n, 0);
    lq_store_audit_rows_free(a, n);

    lq_landing_row *l = NULL;
    cr_assert_eq(lq_store_landings(st, 10, &l, &n, &err), LQ_OK, "%s", err.msg);
    cr_assert_eq(n, 2);
    cr_assert_eq(l[0].number, 9, "newest first");
    cr_assert_str_eq(l[0].title, "", "no queue row: unknown title");
    cr_assert_eq(l[1].number, 7);
    cr_assert_str_eq(l[1].title, "Seven");
    cr_assert_str_eq(l[1].base, "main");
    cr_assert_eq(l[1].labeled_at_ms, 500);
    cr_assert_str_eq(l[1].commit_sha, "cccc");
    cr_assert(l[1].landed_at_ms > 0);
    lq_store_landing_rows_free(l, n);
    cr_assert_eq(lq_store_landings(st, 1, &l, &n, &err), LQ_OK);
    cr_assert_eq(n, 1);
    lq_store_landing_rows_free(l, n);
    lq_store_close(st);
}

Test(store, old_databases_gain_the_priority_column)
{
    DBT_ONLY(0, "SQLite only (PostgreSQL support starts with migrations)");
    dbt_exec("CREATE TABLE lq_pr (repo TEXT NOT NULL COLLATE NOCASE,"
                              " number INTEGER NOT NULL, base TEXT NOT NULL DEFAULT '',"
                              " head_sha TEXT NOT NULL DEFAULT '', state TEXT NOT NULL DEFAULT"
                              " 'idle', labeler TEXT NOT NULL DEFAULT '', labeled_at_ms INTEGER"
                              " NOT NULL DEFAULT 0, dirty INTEGER NOT NULL DEFAULT 0, comment_id"
                              " INTEGER NOT NULL DEFAULT 0, comment_body TEXT, status_key TEXT,"
                              " merge_sha TEXT NOT NULL DEFAULT '', merge_title TEXT,"
                              " merge_message TEXT, merge_attempts INTEGER NOT NULL DEFAULT 0,"
                              " landed_sha TEXT NOT NULL DEFAULT '', updated_ms INTEGER NOT NULL"
                              " DEFAULT 0, PRIMARY KEY (repo, number));"
                              "INSERT INTO lq_pr (repo, number, state) VALUES ('acme/mono', 3,"
                              " 'armed');");
    lq_store *st = NULL;
    lq_error err = {0};
    cr_assert_eq(lq_store_open(&st, dbt_target(), NULL, &err), LQ_OK, "%s", err.msg);
    lq_pr_record r;
    cr_assert_eq(lq_store_get(st, "acme/mono", 3, &r, &err), LQ_OK, "%s", err.msg);
    cr_assert_eq(r.priority, 0);
    r.priority = 1;
    cr_assert_eq(lq_store_put(st, &r, &err), LQ_OK, "%s", err.msg);
    lq_pr_record_dispose(&r);
    cr_assert_eq(lq_store_get(st, "acme/mono", 3, &r, &err), LQ_OK);
    cr_assert_eq(r.priority, 1);
    lq_pr_record_dispose(&r);
    lq_store_close(st);
    /* opening again does not add it twice */
    cr_assert_eq(lq_store_open(&st, dbt_target(), NULL, &err), LQ_OK, "%s", err.msg);
    lq_store_close(st);
}

/* ---- branch leases and fencing (store.h) ---- */

static lq_lease take(lq_store *st, const char *holder, int64_t ttl_ms)
{
    lq_lease l;
    lq_error err;
    cr_assert_eq(lq_store_lease_acquire(st, "acme/mono", "main", holder, ttl_ms, &l, &err), LQ_OK,
                 "%s", err.msg);
    cr_assert_str_eq(l.holder, holder);
    cr_assert_geq(l.token, 1);
    cr_assert_gt(l.ttl_left_ms, 0);
    return l;
}

/* The holder writes under its token; once another instance took the expired lease (token + 1),
 * the old holder's writes of the pull request's row and audit are refused by the database, and
 * the new holder's go through. */
Test(store, lease_takeover_fences_the_old_holder)
{
    lq_store *st = open_store();
    lq_error err;
    lq_lease a = take(st, "host-a:1:aa", 30000);
    lq_lease again = take(st, "host-a:1:aa", 30000);
    cr_assert_eq(again.token, a.token, "re-acquiring one's own lease keeps the token");
    cr_assert_eq(again.took_over, 0);

    lq_pr_record r = record(5, "aaaa", LQ_PR_READY, 100);
    cr_assert_eq(lq_store_put_fenced(st, &r, &a, &err), LQ_OK, "%s", err.msg);
    cr_assert_eq(count("SELECT lease_token FROM lq_pr WHERE number = 5"), a.token);
    cr_assert_eq(lq_store_audit_fenced(st, &a, "acme/mono", 5, "aaaa", "ready", "ok", NULL, 0,
                                       NULL, &err), LQ_OK, "%s", err.msg);

    /* a's lease expires (a paused or dead holder); b takes it */
    dbt_exec("UPDATE lq_lease SET expires_ms = 1");
    lq_lease b = take(st, "host-b:2:bb", 30000);
    cr_assert_eq(b.token, a.token + 1);
    cr_assert_eq(b.took_over, 1, "taken from another holder: a failover");
    lq_lease seen;
    cr_assert_eq(lq_store_lease_get(st, "Acme/Mono", "main", &seen, &err), LQ_OK, "%s", err.msg);
    cr_assert_str_eq(seen.holder, "host-b:2:bb");
    cr_assert_eq(seen.token, b.token);
    cr_assert_gt(seen.ttl_left_ms, 0);
    cr_assert_eq(lq_store_lease_get(st, "acme/mono", "dev", &seen, &err), LQ_ENOTFOUND);
    r.state = LQ_PR_MERGING;
    cr_assert_eq(lq_store_put_fenced(st, &r, &b, &err), LQ_OK, "%s", err.msg);

    /* a wakes up and writes with its stale token: refused, nothing changed */
    lq_pr_record stale = record(5, "aaaa", LQ_PR_LANDED, 100);
    cr_assert_eq(lq_store_put_fenced(st, &stale, &a, &err), LQ_ECONFLICT);
    cr_assert(strstr(err.msg, "no longer held"), "%s", err.msg);
    cr_assert_eq(lq_store_audit_fenced(st, &a, "acme/mono", 5, "aaaa", "landed", "x", NULL, 0,
                                       "cccc", &err), LQ_ECONFLICT);
    cr_assert_eq(lq_store_lease_renew(st, &a, 30000, &err), LQ_ECONFLICT);
    lq_pr_record got;
    cr_assert_eq(lq_store_get(st, "acme/mono", 5, &got, &err), LQ_OK, "%s", err.msg);
    cr_assert_eq(got.state, LQ_PR_MERGING);
    lq_pr_record_dispose(&got);
    cr_assert_eq(count("SELECT lease_token FROM lq_pr WHERE number = 5"), b.token);
    cr_assert_eq(count("SELECT count(*) FROM lq_audit WHERE action = 'landed'"), 0);
    cr_assert_eq(count("SELECT count(*) FROM lq_audit WHERE action = 'ready'"), 1);
    cr_assert_eq(count("SELECT lease_token FROM lq_audit WHERE action = 'ready'"), a.token,
                 "the audit row records the token it was written under");

    /* b renews and releases; the next holder gets token + 1 */
    int64_t before = b.expires_ms;
    cr_assert_eq(lq_store_lease_renew(st, &b, 60000, &err), LQ_OK, "%s", err.msg);
    cr_assert_geq(b.expires_ms, before);
    cr_assert_eq(lq_store_lease_release(st, &b, &err), LQ_OK, "%s", err.msg);
    cr_assert_eq(lq_store_put_fenced(st, &r, &b, &err), LQ_ECONFLICT, "released: fenced");
    lq_lease c = take(st, "host-c:3:cc", 30000);
    cr_assert_eq(c.token, b.token + 1);
    cr_assert_eq(c.took_over, 0, "a released lease is not a failover");
    lq_store_close(st);
}

/* A write without a token (the webhook decoder's read-modify-write, the reconcile sweep) on a
 * row the lease holder owns changes what it observes but never the landing state. */
Test(store, unfenced_write_keeps_the_landing_state)
{
    lq_store *st = open_store();
    lq_error err;
    lq_lease a = take(st, "host-a:1:aa", 30000);
    lq_pr_record r = record(9, "aaaa", LQ_PR_MERGING, 100);
    r.merge_attempts = 1;
    snprintf(r.merge_sha, sizeof r.merge_sha, "aaaa");
    cr_assert_eq(lq_store_put_fenced(st, &r, &a, &err), LQ_OK, "%s", err.msg);

    lq_pr_record old = record(9, "bbbb", LQ_PR_READY, 100); /* read before the merge began */
    old.dirty = 1;
    cr_assert_eq(lq_store_put(st, &old, &err), LQ_OK, "%s", err.msg);
    lq_pr_record got;
    cr_assert_eq(lq_store_get(st, "acme/mono", 9, &got, &err), LQ_OK, "%s", err.msg);
    cr_assert_eq(got.state, LQ_PR_MERGING);
    cr_assert_eq(got.merge_attempts, 1);
    cr_assert_str_eq(got.merge_sha, "aaaa");
    cr_assert_eq(got.dirty, 1);
    cr_assert_str_eq(got.head_sha, "bbbb");
    lq_pr_record_dispose(&got);
    lq_store_close(st);
}

/* PostgreSQL: a live lease is not taken; an expired one is not written under, even by its
 * holder, until renewed (all on the database clock). */
Test(store, lease_expiry_on_the_database_clock)
{
    DBT_ONLY(1, "PostgreSQL: SQLite's single process always holds its leases");
    lq_store *st = open_store();
    lq_error err;
    lq_lease a = take(st, "host-a:1:aa", 30000);
    lq_lease b;
    cr_assert_eq(lq_store_lease_acquire(st, "ACME/mono", "main", "host-b:2:bb", 30000, &b, &err),
                 LQ_ECONFLICT);
    cr_assert(strstr(err.msg, "held by another instance"), "%s", err.msg);
    dbt_exec("UPDATE lq_lease SET expires_ms = 1");
    lq_pr_record r = record(4, "aaaa", LQ_PR_READY, 100);
    cr_assert_eq(lq_store_put_fenced(st, &r, &a, &err), LQ_ECONFLICT, "expired: fenced");
    cr_assert_eq(lq_store_lease_renew(st, &a, 30000, &err), LQ_OK, "not taken: renewable");
    cr_assert_eq(lq_store_put_fenced(st, &r, &a, &err), LQ_OK, "%s", err.msg);
    lq_store_close(st);
}

/* SQLite: one process owns the file, so a restarted landq (a new holder id) takes the lease at
 * once, with the next token, and its predecessor's token is refused. */
Test(store, sqlite_lease_is_trivially_held)
{
    DBT_ONLY(0, "SQLite");
    lq_store *st = open_store();
    lq_error err;
    lq_lease a = take(st, "host-a:1:aa", 30000);
    lq_lease b = take(st, "host-a:2:bb", 30000);
    cr_assert_eq(b.token, a.token + 1);
    lq_pr_record r = record(4, "aaaa", LQ_PR_READY, 100);
    cr_assert_eq(lq_store_put_fenced(st, &r, &a, &err), LQ_ECONFLICT);
    dbt_exec("UPDATE lq_lease SET expires_ms = 1");
    cr_assert_eq(lq_store_put_fenced(st, &r, &b, &err), LQ_OK, "expiry is not enforced: %s",
                 err.msg);
    lq_store_close(st);
}

/* Another instance marks a pull request for a fresh look (a status event) while the lease
 * holder evaluates it: the holder's write clearing `dirty` does not erase that mark; a write
 * from an up-to-date read, or the holder's next write of its own record, does clear it. */
Test(store, fenced_write_keeps_a_dirty_mark_made_meanwhile)
{
    lq_store *st = open_store();
    lq_error err;
    lq_lease a = take(st, "host-a:1:aa", 30000);
    lq_pr_record r = record(6, "aaaa", LQ_PR_ARMED, 100);
    r.dirty = 1;
    cr_assert_eq(lq_store_put_fenced(st, &r, &a, &err), LQ_OK, "%s", err.msg);
    r.dirty = 0; /* the holder's own next write: clears */
    cr_assert_eq(lq_store_put_fenced(st, &r, &a, &err), LQ_OK, "%s", err.msg);
    cr_assert_eq(count("SELECT dirty FROM lq_pr WHERE number = 6"), 0);

    lq_pr_record seen;
    cr_assert_eq(lq_store_get(st, "acme/mono", 6, &seen, &err), LQ_OK, "%s", err.msg);
    int marked = 0;
    cr_assert_eq(lq_store_mark_sha_dirty(st, "acme/mono", "aaaa", &marked, &err), LQ_OK);
    cr_assert_eq(marked, 1);
    seen.dirty = 0; /* evaluated with what it read before the mark */
    cr_assert_eq(lq_store_put_fenced(st, &seen, &a, &err), LQ_OK, "%s", err.msg);
    cr_assert_eq(count("SELECT dirty FROM lq_pr WHERE number = 6"), 1, "the mark was lost");
    lq_pr_record_dispose(&seen);

    /* the same with the decoder's unfenced read-modify-write */
    cr_assert_eq(lq_store_get(st, "acme/mono", 6, &seen, &err), LQ_OK, "%s", err.msg);
    seen.dirty = 0;
    cr_assert_eq(lq_store_put_fenced(st, &seen, &a, &err), LQ_OK, "%s", err.msg);
    cr_assert_eq(count("SELECT dirty FROM lq_pr WHERE number = 6"), 0, "an up-to-date read clears");
    lq_pr_record other;
    cr_assert_eq(lq_store_get(st, "acme/mono", 6, &other, &err), LQ_OK, "%s", err.msg);
    other.dirty = 1;
    cr_assert_eq(lq_store_put(st, &other, &err), LQ_OK, "%s", err.msg);
    cr_assert_eq(lq_store_put_fenced(st, &seen, &a, &err), LQ_OK, "%s", err.msg);
    cr_assert_eq(count("SELECT dirty FROM lq_pr WHERE number = 6"), 1, "the mark was lost");
    lq_pr_record_dispose(&seen);
    lq_pr_record_dispose(&other);
    lq_store_close(st);
}

typedef struct racer {
    lq_store *st;
    const char *holder;
    pthread_barrier_t *go;
    int rc;
    lq_lease l;
    lq_error err;
} racer;

static void *race_for_lease(void *p)
{
    racer *r = p;
    pthread_barrier_wait(r->go);
    r->rc = lq_store_lease_acquire(r->st, "acme/mono", "main", r->holder, 30000, &r->l, &r->err);
    return NULL;
}

/* PostgreSQL: three instances (own connections) race for an expired lease, again and again:
 * each time exactly one gets it, with the next token, and the others are told it is held. */
Test(store, expired_lease_taken_by_exactly_one_instance)
{
    DBT_ONLY(1, "PostgreSQL: one SQLite process has no one to race with");
    enum { N = 3, ROUNDS = 30 };
    static const char *const holders[N] = {"host-a:1:aa", "host-b:2:bb", "host-c:3:cc"};
    lq_store *st[N];
    for (int i = 0; i < N; i++)
        st[i] = open_store();
    int64_t token = take(st[0], holders[0], 30000).token;
    for (int round = 0; round < ROUNDS; round++) {
        dbt_exec("UPDATE lq_lease SET expires_ms = 1"); /* the holder died */
        pthread_barrier_t go;
        pthread_barrier_init(&go, NULL, N);
        pthread_t t[N];
        racer r[N];
        memset(r, 0, sizeof r);
        for (int i = 0; i < N; i++) {
            r[i] = (racer){.st = st[i], .holder = holders[i], .go = &go};
            cr_assert_eq(pthread_create(&t[i], NULL, race_for_lease, &r[i]), 0);
        }
        int won = 0;
        for (int i = 0; i < N; i++) {
            pthread_join(t[i], NULL);
            if (r[i].rc == LQ_OK) {
                won++;
                cr_assert(r[i].l.token == token + 1 || r[i].l.token == token,
                          "round %d: token %lld after %lld", round, (long long)r[i].l.token,
                          (long long)token);
                token = r[i].l.token;
            } else {
                cr_assert_eq(r[i].rc, LQ_ECONFLICT, "round %d: %s", round, r[i].err.msg);
            }
        }
        pthread_barrier_destroy(&go);
        cr_assert_eq(won, 1, "round %d: %d instances got the lease", round, won);
    }
    cr_assert_geq(count("SELECT token FROM lq_lease"), 2);
    for (int i = 0; i < N; i++)
        lq_store_close(st[i]);
}
