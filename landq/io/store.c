/* store.c -- queue state and audit log tables in SQLite. */
#include "store.h"

#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "inbox.h"

struct lq_store {
    sqlite3 *db;     /* reads (and writes when no inbox is attached) */
    lq_inbox *inbox; /* borrowed: writes run inside its group commit */
};

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS lq_pr ("
    " repo TEXT NOT NULL COLLATE NOCASE,"
    " number INTEGER NOT NULL,"
    " base TEXT NOT NULL DEFAULT '',"
    " head_sha TEXT NOT NULL DEFAULT '',"
    " state TEXT NOT NULL DEFAULT 'idle',"
    " labeler TEXT NOT NULL DEFAULT '',"
    " labeled_at_ms INTEGER NOT NULL DEFAULT 0,"
    " dirty INTEGER NOT NULL DEFAULT 0,"
    " comment_id INTEGER NOT NULL DEFAULT 0,"
    " comment_body TEXT,"
    " status_key TEXT,"
    " merge_sha TEXT NOT NULL DEFAULT '',"
    " merge_title TEXT,"
    " merge_message TEXT,"
    " merge_attempts INTEGER NOT NULL DEFAULT 0,"
    " landed_sha TEXT NOT NULL DEFAULT '',"
    " updated_ms INTEGER NOT NULL DEFAULT 0,"
    " priority INTEGER NOT NULL DEFAULT 0,"
    " PRIMARY KEY (repo, number));"
    "CREATE INDEX IF NOT EXISTS lq_pr_sha ON lq_pr(repo, head_sha);"
    "CREATE TABLE IF NOT EXISTS lq_audit ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " at_ms INTEGER NOT NULL,"
    " repo TEXT NOT NULL,"
    " number INTEGER NOT NULL,"
    " head_sha TEXT NOT NULL DEFAULT '',"
    " action TEXT NOT NULL,"
    " summary TEXT NOT NULL DEFAULT '',"
    " reasons TEXT NOT NULL DEFAULT '[]',"
    " commit_sha TEXT NOT NULL DEFAULT '');"
    "CREATE INDEX IF NOT EXISTS lq_audit_pr ON lq_audit(repo, number);"
    "CREATE INDEX IF NOT EXISTS lq_audit_action ON lq_audit(action, id);"
    "CREATE TABLE IF NOT EXISTS lq_freeze ("
    " repo TEXT NOT NULL COLLATE NOCASE,"
    " branch TEXT NOT NULL,"
    " reason TEXT NOT NULL DEFAULT '',"
    " by_whom TEXT NOT NULL DEFAULT '',"
    " since_ms INTEGER NOT NULL,"
    " PRIMARY KEY (repo, branch));";

static const char columns[] =
    "repo, number, base, head_sha, state, labeler, labeled_at_ms, dirty, comment_id,"
    " comment_body, status_key, merge_sha, merge_title, merge_message, merge_attempts,"
    " landed_sha, updated_ms, priority";

int64_t lq_store_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int db_fail(sqlite3 *db, lq_error *err, const char *what)
{
    return lq_error_set(err, LQ_ERROR, "store: %s: %s", what, sqlite3_errmsg(db));
}


/* Runs a write on the inbox's writer connection (one fsync shared with the deliveries being
 * acknowledged, and no wait for the writer's lock), or on our own connection without an inbox. */
static int write_run(lq_store *st, lq_inbox_run_fn fn, void *ctx, lq_error *err)
{
    if (st->inbox)
        return lq_inbox_run(st->inbox, fn, ctx, err);
    return fn(st->db, ctx, err);
}

/* Databases made before a column was added get it (SQLite has no ADD COLUMN IF NOT EXISTS). */
static int add_missing_columns(sqlite3 *db, char **msg)
{
    sqlite3_stmt *s = NULL;
    int has_priority = 0;
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM pragma_table_info('lq_pr') WHERE name = 'priority'",
                           -1, &s, NULL) != SQLITE_OK)
        return sqlite3_exec(db, "SELECT no_such_thing", NULL, NULL, msg);
    has_priority = sqlite3_step(s) == SQLITE_ROW;
    sqlite3_finalize(s);
    if (has_priority)
        return SQLITE_OK;
    return sqlite3_exec(db, "ALTER TABLE lq_pr ADD COLUMN priority INTEGER NOT NULL DEFAULT 0",
                        NULL, NULL, msg);
}

static int schema_on(sqlite3 *db, void *ctx, lq_error *err)
{
    const char *path = ctx;
    int own = sqlite3_get_autocommit(db); /* not inside the inbox's transaction */
    char *msg = NULL;
    if ((own && sqlite3_exec(db, "BEGIN", NULL, NULL, &msg) != SQLITE_OK) ||
        sqlite3_exec(db, schema, NULL, NULL, &msg) != SQLITE_OK ||
        add_missing_columns(db, &msg) != SQLITE_OK ||
        (own && sqlite3_exec(db, "COMMIT", NULL, NULL, &msg) != SQLITE_OK)) {
        lq_error_set(err, LQ_ERROR, "store: cannot prepare %s: %s", path, msg ? msg : "?");
        sqlite3_free(msg);
        if (own && !sqlite3_get_autocommit(db))
            sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        return LQ_ERROR;
    }
    return LQ_OK;
}

int lq_store_open(lq_store **out, const char *path, lq_inbox *inbox, lq_error *err)
{
    *out = NULL;
    lq_store *st = calloc(1, sizeof(*st));
    if (!st)
        return lq_error_set(err, LQ_ENOMEM, "out of memory");
    st->inbox = inbox;
    int rc = sqlite3_open_v2(path, &st->db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                             NULL);
    if (rc != SQLITE_OK) {
        lq_error_set(err, LQ_ERROR, "store: cannot open %s: %s", path,
                     st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
        lq_store_close(st);
        return LQ_ERROR;
    }
    sqlite3_busy_timeout(st->db, 10000);
    char *msg = NULL;
    if (sqlite3_exec(st->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;", NULL, NULL,
                     &msg) != SQLITE_OK) {
        lq_error_set(err, LQ_ERROR, "store: cannot prepare %s: %s", path, msg ? msg : "?");
        sqlite3_free(msg);
        lq_store_close(st);
        return LQ_ERROR;
    }
    /* one transaction (one fsync), in the inbox's group commit when there is one */
    if ((rc = write_run(st, schema_on, (void *)path, err)) != LQ_OK) {
        lq_store_close(st);
        return rc;
    }
    *out = st;
    return LQ_OK;
}

void lq_store_close(lq_store *st)
{
    if (!st)
        return;
    sqlite3_close(st->db);
    free(st);
}

void lq_pr_record_dispose(lq_pr_record *r)
{
    if (!r)
        return;
    free(r->comment_body);
    free(r->status_key);
    free(r->merge_title);
    free(r->merge_message);
    r->comment_body = r->status_key = r->merge_title = r->merge_message = NULL;
}

int lq_pr_record_set(char **field, const char *s)
{
    char *n = NULL;
    if (s) {
        size_t l = strlen(s) + 1;
        if (!(n = malloc(l)))
            return LQ_ENOMEM;
        memcpy(n, s, l);
    }
    free(*field);
    *field = n;
    return LQ_OK;
}

static void copy_col(char *dst, size_t cap, sqlite3_stmt *s, int col)
{
    const unsigned char *t = sqlite3_column_text(s, col);
    snprintf(dst, cap, "%s", t ? (const char *)t : "");
}

static int dup_col(char **dst, sqlite3_stmt *s, int col)
{
    const unsigned char *t = sqlite3_column_text(s, col);
    return lq_pr_record_set(dst, t ? (const char *)t : NULL);
}

static int row_to_record(sqlite3_stmt *s, lq_pr_record *r)
{
    memset(r, 0, sizeof(*r));
    copy_col(r->repo, sizeof r->repo, s, 0);
    r->number = sqlite3_column_int(s, 1);
    copy_col(r->base, sizeof r->base, s, 2);
    copy_col(r->head_sha, sizeof r->head_sha, s, 3);
    int st = lq_pr_state_parse((const char *)sqlite3_column_text(s, 4));
    r->state = st < 0 ? LQ_PR_IDLE : (lq_pr_state)st;
    copy_col(r->labeler, sizeof r->labeler, s, 5);
    r->labeled_at_ms = sqlite3_column_int64(s, 6);
    r->dirty = sqlite3_column_int(s, 7);
    r->comment_id = sqlite3_column_int64(s, 8);
    copy_col(r->merge_sha, sizeof r->merge_sha, s, 11);
    r->merge_attempts = sqlite3_column_int(s, 14);
    copy_col(r->landed_sha, sizeof r->landed_sha, s, 15);
    r->updated_ms = sqlite3_column_int64(s, 16);
    r->priority = sqlite3_column_int(s, 17);
    if (dup_col(&r->comment_body, s, 9) || dup_col(&r->status_key, s, 10) ||
        dup_col(&r->merge_title, s, 12) || dup_col(&r->merge_message, s, 13)) {
        lq_pr_record_dispose(r);
        return LQ_ENOMEM;
    }
    return LQ_OK;
}

int lq_store_get(lq_store *st, const char *repo, int number, lq_pr_record *out, lq_error *err)
{
    memset(out, 0, sizeof(*out));
    char sql[512];
    snprintf(sql, sizeof sql, "SELECT %s FROM lq_pr WHERE repo = ?1 AND number = ?2", columns);
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
        return db_fail(st->db, err, "get");
    sqlite3_bind_text(s, 1, repo, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(s, 2, number);
    int rc = sqlite3_step(s);
    int ret;
    if (rc == SQLITE_ROW)
        ret = row_to_record(s, out) ? lq_error_set(err, LQ_ENOMEM, "out of memory") : LQ_OK;
    else if (rc == SQLITE_DONE)
        ret = lq_error_set(err, LQ_ENOTFOUND, "%s#%d is not in the store", repo, number);
    else
        ret = db_fail(st->db, err, "get");
    sqlite3_finalize(s);
    return ret;
}

static int put_on(sqlite3 *db, void *ctx, lq_error *err)
{
    const lq_pr_record *r = ctx;
    char sql[1024];
    snprintf(sql, sizeof sql, "INSERT OR REPLACE INTO lq_pr (%s) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
             "?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)", columns);
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
        return db_fail(db, err, "put");
    sqlite3_bind_text(s, 1, r->repo, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(s, 2, r->number);
    sqlite3_bind_text(s, 3, r->base, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 4, r->head_sha, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 5, lq_pr_state_str(r->state), -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 6, r->labeler, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 7, r->labeled_at_ms);
    sqlite3_bind_int(s, 8, r->dirty);
    sqlite3_bind_int64(s, 9, r->comment_id);
    sqlite3_bind_text(s, 10, r->comment_body, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 11, r->status_key, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 12, r->merge_sha, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 13, r->merge_title, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 14, r->merge_message, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(s, 15, r->merge_attempts);
    sqlite3_bind_text(s, 16, r->landed_sha, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 17, lq_store_now_ms());
    sqlite3_bind_int(s, 18, r->priority != 0);
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? LQ_OK : db_fail(db, err, "put");
}

int lq_store_put(lq_store *st, const lq_pr_record *r, lq_error *err)
{
    return write_run(st, put_on, (void *)r, err);
}

void lq_store_list_free(lq_pr_record *recs, size_t count)
{
    for (size_t i = 0; i < count; i++)
        lq_pr_record_dispose(&recs[i]);
    free(recs);
}

int lq_store_list(lq_store *st, lq_store_filter filter, lq_pr_record **out, size_t *count,
                  lq_error *err)
{
    *out = NULL;
    *count = 0;
    const char *where = filter == LQ_STORE_DIRTY ? "WHERE dirty = 1"
                        : filter == LQ_STORE_QUEUED
                            ? "WHERE state IN ('armed', 'ready', 'merging', 'blocked')"
                            : "";
    char sql[1024];
    snprintf(sql, sizeof sql, "SELECT %s FROM lq_pr %s ORDER BY labeled_at_ms, number", columns,
             where);
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
        return db_fail(st->db, err, "list");
    lq_pr_record *recs = NULL;
    size_t n = 0, cap = 0;
    int rc, ret = LQ_OK;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 16;
            lq_pr_record *nr = realloc(recs, nc * sizeof(*nr));
            if (!nr) {
                ret = lq_error_set(err, LQ_ENOMEM, "out of memory");
                break;
            }
            recs = nr;
            cap = nc;
        }
        if (row_to_record(s, &recs[n])) {
            ret = lq_error_set(err, LQ_ENOMEM, "out of memory");
            break;
        }
        n++;
    }
    if (!ret && rc != SQLITE_DONE)
        ret = db_fail(st->db, err, "list");
    sqlite3_finalize(s);
    if (ret) {
        lq_store_list_free(recs, n);
        return ret;
    }
    *out = recs;
    *count = n;
    return LQ_OK;
}

typedef struct mark_ctx {
    const char *repo, *sha;
    int marked;
} mark_ctx;

static int mark_on(sqlite3 *db, void *ctx, lq_error *err)
{
    mark_ctx *m = ctx;
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db, "UPDATE lq_pr SET dirty = 1 WHERE repo = ?1 AND head_sha = ?2"
                           " AND state IN ('armed', 'ready', 'blocked')", -1, &s, NULL) != SQLITE_OK)
        return db_fail(db, err, "mark");
    sqlite3_bind_text(s, 1, m->repo, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 2, m->sha, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE)
        return db_fail(db, err, "mark");
    m->marked = sqlite3_changes(db);
    return LQ_OK;
}

int lq_store_mark_sha_dirty(lq_store *st, const char *repo, const char *sha, int *marked,
                            lq_error *err)
{
    mark_ctx m = {.repo = repo, .sha = sha};
    int rc = write_run(st, mark_on, &m, err);
    if (marked)
        *marked = rc == LQ_OK ? m.marked : 0;
    return rc;
}

static int mark_branch_on(sqlite3 *db, void *ctx, lq_error *err)
{
    mark_ctx *m = ctx;
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db, "UPDATE lq_pr SET dirty = 1 WHERE repo = ?1 AND base = ?2"
                           " AND state IN ('armed', 'ready', 'blocked')", -1, &s, NULL) != SQLITE_OK)
        return db_fail(db, err, "mark branch");
    sqlite3_bind_text(s, 1, m->repo, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 2, m->sha, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE)
        return db_fail(db, err, "mark branch");
    m->marked = sqlite3_changes(db);
    return LQ_OK;
}

int lq_store_mark_branch_dirty(lq_store *st, const char *repo, const char *base, int *marked,
                               lq_error *err)
{
    mark_ctx m = {.repo = repo, .sha = base}; /* sha carries the branch here */
    int rc = write_run(st, mark_branch_on, &m, err);
    if (marked)
        *marked = rc == LQ_OK ? m.marked : 0;
    return rc;
}

typedef struct audit_ctx {
    const char *repo;
    int number;
    const char *head_sha, *action, *summary, *reasons, *commit_sha;
} audit_ctx;

static int audit_on(sqlite3 *db, void *ctx, lq_error *err)
{
    const audit_ctx *a = ctx;
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db, "INSERT INTO lq_audit (at_ms, repo, number, head_sha, action,"
                           " summary, reasons, commit_sha) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                           -1, &s, NULL) != SQLITE_OK)
        return db_fail(db, err, "audit");
    sqlite3_bind_int64(s, 1, lq_store_now_ms());
    sqlite3_bind_text(s, 2, a->repo, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(s, 3, a->number);
    sqlite3_bind_text(s, 4, a->head_sha ? a->head_sha : "", -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 5, a->action, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 6, a->summary ? a->summary : "", -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 7, a->reasons, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 8, a->commit_sha ? a->commit_sha : "", -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? LQ_OK : db_fail(db, err, "audit");
}

int lq_store_audit(lq_store *st, const char *repo, int number, const char *head_sha,
                   const char *action, const char *summary, const char *const *reasons,
                   size_t n, const char *commit_sha, lq_error *err)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < n; i++)
        json_array_append_new(arr, json_string(reasons[i] ? reasons[i] : ""));
    char *rs = arr ? json_dumps(arr, JSON_COMPACT) : NULL;
    json_decref(arr);
    if (!rs)
        return lq_error_set(err, LQ_ENOMEM, "out of memory");
    audit_ctx a = {.repo = repo, .number = number, .head_sha = head_sha, .action = action,
                   .summary = summary, .reasons = rs, .commit_sha = commit_sha};
    int rc = write_run(st, audit_on, &a, err);
    free(rs);
    return rc;
}

/* ---------------------------------------------------------------- reading for the queue pages */

static char *col_dup(sqlite3_stmt *s, int col)
{
    const unsigned char *t = sqlite3_column_text(s, col);
    const char *v = t ? (const char *)t : "";
    size_t n = strlen(v) + 1;
    char *p = malloc(n);
    if (p)
        memcpy(p, v, n);
    return p;
}

void lq_store_audit_rows_free(lq_audit_row *rows, size_t n)
{
    for (size_t i = 0; rows && i < n; i++) {
        free(rows[i].repo);
        free(rows[i].head_sha);
        free(rows[i].action);
        free(rows[i].summary);
        free(rows[i].reasons_json);
        free(rows[i].commit_sha);
    }
    free(rows);
}

int lq_store_audit_list(lq_store *st, const char *repo, int number, size_t limit,
                        lq_audit_row **out, size_t *count, lq_error *err)
{
    *out = NULL;
    *count = 0;
    sqlite3_stmt *s = NULL;
    /* the last `limit` rows, then oldest first */
    if (sqlite3_prepare_v2(st->db, "SELECT id, at_ms, repo, number, head_sha, action, summary,"
                           " reasons, commit_sha FROM (SELECT * FROM lq_audit WHERE repo = ?1"
                           " COLLATE NOCASE AND number = ?2 ORDER BY id DESC LIMIT ?3)"
                           " ORDER BY id", -1, &s, NULL) != SQLITE_OK)
        return db_fail(st->db, err, "audit list");
    sqlite3_bind_text(s, 1, repo, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(s, 2, number);
    sqlite3_bind_int64(s, 3, (sqlite3_int64)(limit > 100000 ? 100000 : limit));
    lq_audit_row *rows = calloc(limit ? limit : 1, sizeof(*rows));
    size_t n = 0;
    int rc = SQLITE_DONE, ret = rows ? LQ_OK : lq_error_set(err, LQ_ENOMEM, "out of memory");
    while (!ret && n < limit && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        lq_audit_row *r = &rows[n++];
        r->id = sqlite3_column_int64(s, 0);
        r->at_ms = sqlite3_column_int64(s, 1);
        r->repo = col_dup(s, 2);
        r->number = sqlite3_column_int(s, 3);
        r->head_sha = col_dup(s, 4);
        r->action = col_dup(s, 5);
        r->summary = col_dup(s, 6);
        r->reasons_json = col_dup(s, 7);
        r->commit_sha = col_dup(s, 8);
        if (!r->repo || !r->head_sha || !r->action || !r->summary || !r->reasons_json ||
            !r->commit_sha)
            ret = lq_error_set(err, LQ_ENOMEM, "out of memory");
    }
    if (!ret && n < limit && rc != SQLITE_DONE)
        ret = db_fail(st->db, err, "audit list");
    sqlite3_finalize(s);
    if (ret) {
        lq_store_audit_rows_free(rows, n);
        return ret;
    }
    *out = rows;
    *count = n;
    return LQ_OK;
}

void lq_store_landing_rows_free(lq_landing_row *rows, size_t n)
{
    for (size_t i = 0; rows && i < n; i++) {
        free(rows[i].repo);
        free(rows[i].base);
        free(rows[i].title);
        free(rows[i].commit_sha);
    }
    free(rows);
}

int lq_store_landings(lq_store *st, size_t limit, lq_landing_row **out, size_t *count,
                      lq_error *err)
{
    *out = NULL;
    *count = 0;
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(st->db, "SELECT a.repo, a.number, a.at_ms, a.commit_sha, p.base,"
                           " p.labeled_at_ms, p.merge_title FROM lq_audit a LEFT JOIN lq_pr p"
                           " ON p.repo = a.repo AND p.number = a.number WHERE a.action = 'landed'"
                           " ORDER BY a.id DESC LIMIT ?1", -1, &s, NULL) != SQLITE_OK)
        return db_fail(st->db, err, "landings");
    sqlite3_bind_int64(s, 1, (sqlite3_int64)(limit > 10000 ? 10000 : limit));
    lq_landing_row *rows = calloc(limit ? limit : 1, sizeof(*rows));
    size_t n = 0;
    int rc = SQLITE_DONE, ret = rows ? LQ_OK : lq_error_set(err, LQ_ENOMEM, "out of memory");
    while (!ret && n < limit && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        lq_landing_row *r = &rows[n++];
        r->repo = col_dup(s, 0);
        r->number = sqlite3_column_int(s, 1);
        r->landed_at_ms = sqlite3_column_int64(s, 2);
        r->commit_sha = col_dup(s, 3);
        r->base = col_dup(s, 4);
        r->labeled_at_ms = sqlite3_column_int64(s, 5);
        r->title = col_dup(s, 6);
        if (!r->repo || !r->commit_sha || !r->base || !r->title)
            ret = lq_error_set(err, LQ_ENOMEM, "out of memory");
    }
    if (!ret && n < limit && rc != SQLITE_DONE)
        ret = db_fail(st->db, err, "landings");
    sqlite3_finalize(s);
    if (ret) {
        lq_store_landing_rows_free(rows, n);
        return ret;
    }
    *out = rows;
    *count = n;
    return LQ_OK;
}

/* ---------------------------------------------------------------- frozen branches */

typedef struct freeze_ctx {
    const char *repo, *branch, *reason, *by;
    int64_t since_ms;
    int changed;
} freeze_ctx;

static int freeze_set_on(sqlite3 *db, void *ctx, lq_error *err)
{
    freeze_ctx *f = ctx;
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO lq_freeze (repo, branch, reason, by_whom,"
                           " since_ms) VALUES (?1, ?2, ?3, ?4, ?5)", -1, &s, NULL) != SQLITE_OK)
        return db_fail(db, err, "freeze");
    sqlite3_bind_text(s, 1, f->repo, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 2, f->branch, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 3, f->reason ? f->reason : "", -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 4, f->by ? f->by : "", -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 5, f->since_ms);
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? LQ_OK : db_fail(db, err, "freeze");
}

int lq_store_freeze_set(lq_store *st, const char *repo, const char *branch, const char *reason,
                        const char *by, int64_t since_ms, lq_error *err)
{
    freeze_ctx f = {repo, branch, reason, by, since_ms, 0};
    return write_run(st, freeze_set_on, &f, err);
}

static int freeze_clear_on(sqlite3 *db, void *ctx, lq_error *err)
{
    freeze_ctx *f = ctx;
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db, "DELETE FROM lq_freeze WHERE repo = ?1 AND branch = ?2", -1, &s,
                           NULL) != SQLITE_OK)
        return db_fail(db, err, "unfreeze");
    sqlite3_bind_text(s, 1, f->repo, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 2, f->branch, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE)
        return db_fail(db, err, "unfreeze");
    f->changed = sqlite3_changes(db);
    return LQ_OK;
}

int lq_store_freeze_clear(lq_store *st, const char *repo, const char *branch, int *was,
                          lq_error *err)
{
    freeze_ctx f = {repo, branch, NULL, NULL, 0, 0};
    int rc = write_run(st, freeze_clear_on, &f, err);
    if (was)
        *was = rc == LQ_OK && f.changed > 0;
    return rc;
}

void lq_store_freeze_rows_free(lq_freeze_row *rows, size_t n)
{
    for (size_t i = 0; rows && i < n; i++)
        free(rows[i].reason);
    free(rows);
}

/* Reads up to cap rows of a freeze query (bound by the caller) into rows. */
static int freeze_rows(lq_store *st, sqlite3_stmt *s, lq_freeze_row **out, size_t *count,
                       lq_error *err)
{
    lq_freeze_row *rows = NULL;
    size_t n = 0, cap = 0;
    int rc, ret = LQ_OK;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 8;
            lq_freeze_row *nr = realloc(rows, nc * sizeof(*nr));
            if (!nr) {
                ret = lq_error_set(err, LQ_ENOMEM, "out of memory");
                break;
            }
            rows = nr;
            cap = nc;
        }
        lq_freeze_row *r = &rows[n++];
        memset(r, 0, sizeof(*r));
        copy_col(r->repo, sizeof r->repo, s, 0);
        copy_col(r->branch, sizeof r->branch, s, 1);
        r->reason = col_dup(s, 2);
        copy_col(r->by, sizeof r->by, s, 3);
        r->since_ms = sqlite3_column_int64(s, 4);
        if (!r->reason) {
            ret = lq_error_set(err, LQ_ENOMEM, "out of memory");
            break;
        }
    }
    if (!ret && rc != SQLITE_DONE)
        ret = db_fail(st->db, err, "freeze list");
    sqlite3_finalize(s);
    if (ret) {
        lq_store_freeze_rows_free(rows, n);
        return ret;
    }
    *out = rows;
    *count = n;
    return LQ_OK;
}

int lq_store_freeze_list(lq_store *st, lq_freeze_row **out, size_t *count, lq_error *err)
{
    *out = NULL;
    *count = 0;
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(st->db, "SELECT repo, branch, reason, by_whom, since_ms FROM lq_freeze"
                           " ORDER BY repo, branch", -1, &s, NULL) != SQLITE_OK)
        return db_fail(st->db, err, "freeze list");
    return freeze_rows(st, s, out, count, err);
}

int lq_store_freeze_get(lq_store *st, const char *repo, const char *branch, lq_freeze_row *out,
                        lq_error *err)
{
    memset(out, 0, sizeof(*out));
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(st->db, "SELECT repo, branch, reason, by_whom, since_ms FROM lq_freeze"
                           " WHERE repo = ?1 AND branch = ?2", -1, &s, NULL) != SQLITE_OK)
        return db_fail(st->db, err, "freeze get");
    sqlite3_bind_text(s, 1, repo, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 2, branch, -1, SQLITE_TRANSIENT);
    lq_freeze_row *rows = NULL;
    size_t n = 0;
    int rc = freeze_rows(st, s, &rows, &n, err);
    if (rc)
        return rc;
    if (!n) {
        free(rows);
        return lq_error_set(err, LQ_ENOTFOUND, "%s %s is not frozen", repo, branch);
    }
    *out = rows[0];
    rows[0].reason = NULL;
    lq_store_freeze_rows_free(rows, n);
    return LQ_OK;
}
