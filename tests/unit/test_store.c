/* Tests for landq/io/store.c on a temporary SQLite file: the queue state and audit rows, on the
 * store's own connection and through the inbox's group commit (as `landq serve` runs it). */
#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "inbox.h"
#include "store.h"

static char dir[64];
static char path[128];

static void setup(void)
{
    snprintf(dir, sizeof(dir), "/tmp/lq-store-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/landq.db", dir);
}

static void teardown(void)
{
    char f[160];
    const char *suffix[] = {"", "-wal", "-shm", "-journal"};
    for (size_t i = 0; i < 4; i++) {
        snprintf(f, sizeof(f), "%s%s", path, suffix[i]);
        unlink(f);
    }
    rmdir(dir);
}

TestSuite(store, .init = setup, .fini = teardown, .timeout = 30);

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
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    long long n = -1;
    cr_assert_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
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
    lq_pr_record_dispose(&got);
    cr_assert_eq(lq_store_get(st, "acme/mono", 8, &got, &err), LQ_ENOTFOUND);

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
    lq_store *st = NULL;
    lq_error err;
    cr_assert_eq(lq_store_open(&st, path, NULL, &err), LQ_OK, "%s", err.msg);
    exercise(st);
    lq_store_close(st);
}

/* With an inbox, every write (the schema too) is one of the inbox writer's group commits: it
 * never waits for a second writer's lock during a webhook burst. */
Test(store, writes_ride_the_inbox_group_commit)
{
    lq_inbox *in = NULL;
    lq_store *st = NULL;
    lq_error err;
    cr_assert_eq(lq_inbox_open(&in, path, &err), LQ_OK, "%s", err.msg);
    lq_inbox_stats before, after;
    lq_inbox_stats_get(in, &before);
    cr_assert_eq(lq_store_open(&st, path, in, &err), LQ_OK, "%s", err.msg);
    exercise(st);
    lq_inbox_stats_get(in, &after);
    /* schema + 2 puts + 2 marks + 1 audit */
    cr_assert_geq(after.commits - before.commits, 6, "store writes bypassed the inbox: %llu",
                  (unsigned long long)(after.commits - before.commits));
    /* deliveries and store rows share the file and the writer */
    cr_assert_eq(lq_inbox_put(in, "d-1", "pull_request", "{}", 2, &err), LQ_OK, "%s", err.msg);
    lq_store_close(st);
    lq_inbox_close(in);
    cr_assert_eq(count("SELECT count(*) FROM inbox_deliveries"), 1);
    cr_assert_eq(count("SELECT count(*) FROM lq_pr"), 2);
}

/* A store opened after the inbox is closed again reads what was written through it. */
Test(store, reopen_reads_state_written_through_the_inbox)
{
    lq_inbox *in = NULL;
    lq_store *st = NULL;
    lq_error err;
    cr_assert_eq(lq_inbox_open(&in, path, &err), LQ_OK, "%s", err.msg);
    cr_assert_eq(lq_store_open(&st, path, in, &err), LQ_OK, "%s", err.msg);
    lq_pr_record a = record(11, "dddd", LQ_PR_MERGING, 5);
    snprintf(a.merge_sha, sizeof(a.merge_sha), "dddd");
    cr_assert_eq(lq_store_put(st, &a, &err), LQ_OK, "%s", err.msg);
    lq_store_close(st);
    lq_inbox_close(in);

    cr_assert_eq(lq_store_open(&st, path, NULL, &err), LQ_OK, "%s", err.msg);
    lq_pr_record got;
    cr_assert_eq(lq_store_get(st, "acme/mono", 11, &got, &err), LQ_OK, "%s", err.msg);
    cr_assert_eq(got.state, LQ_PR_MERGING);
    cr_assert_str_eq(got.merge_sha, "dddd");
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
}

/* ---------------------------------------------------------------- the queue pages' reads */

Test(store, freezes_persist_until_unfrozen)
{
    lq_store *st = NULL;
    lq_error err = {0};
    cr_assert_eq(lq_store_open(&st, path, NULL, &err), LQ_OK, "%s", err.msg);
    lq_freeze_row f;
    cr_assert_eq(lq_store_freeze_get(st, "acme/mono", "main", &f, &err), LQ_ENOTFOUND);
    cr_assert_eq(lq_store_freeze_set(st, "acme/mono", "main", "release 4.2", "carol", 1000, &err),
                 LQ_OK, "%s", err.msg);
    cr_assert_eq(lq_store_freeze_set(st, "acme/mono", "release/4.2", "", "dan", 2000, &err), LQ_OK);
    lq_store_close(st);

    cr_assert_eq(lq_store_open(&st, path, NULL, &err), LQ_OK, "%s", err.msg);
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
    cr_assert_eq(lq_store_open(&st, path, NULL, &err), LQ_OK, "%s", err.msg);
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
    sqlite3 *db = NULL;
    cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
    cr_assert_eq(sqlite3_exec(db, "CREATE TABLE lq_pr (repo TEXT NOT NULL COLLATE NOCASE,"
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
                              " 'armed');", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    lq_store *st = NULL;
    lq_error err = {0};
    cr_assert_eq(lq_store_open(&st, path, NULL, &err), LQ_OK, "%s", err.msg);
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
    cr_assert_eq(lq_store_open(&st, path, NULL, &err), LQ_OK, "%s", err.msg);
    lq_store_close(st);
}
