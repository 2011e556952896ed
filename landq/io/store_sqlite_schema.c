/* store_sqlite_schema.c -- the SQLite backend's schema: the migrations, numbered 1..
 * LQ_STORE_SCHEMA_VERSION (store_backend.h says how to add one), and applying them. */
#include "store_sqlite_int.h"

#include <stdio.h>
#include <time.h>

/* Migrations: version N's statements, applied once, in order (store_backend.h). Version 1 is
 * the schema landq used before migrations existed, so it is all IF NOT EXISTS. */
static const struct migration {
    int version;
    const char *what;
    const char *sql;
} migrations[] = {
    {1, "inbox, queue state, audit log, allowlist cache",
     "CREATE TABLE IF NOT EXISTS inbox_deliveries ("
     " seq INTEGER PRIMARY KEY AUTOINCREMENT,"
     " delivery_id TEXT NOT NULL UNIQUE,"
     " event TEXT NOT NULL,"
     " body BLOB NOT NULL,"             /* raw bytes, or compressed: see encoding */
     " received_ms INTEGER NOT NULL,"
     " processed INTEGER NOT NULL DEFAULT 0,"
     " encoding INTEGER NOT NULL DEFAULT 0," /* 0 raw, 1 LZ4 block of raw_len bytes */
     " raw_len INTEGER NOT NULL DEFAULT 0);"
     "CREATE INDEX IF NOT EXISTS inbox_pending ON inbox_deliveries(seq) WHERE processed = 0;"
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
     "CREATE INDEX IF NOT EXISTS lq_audit_at ON lq_audit(at_ms);"
     "CREATE INDEX IF NOT EXISTS lq_audit_action ON lq_audit(action, id);"
     "CREATE TABLE IF NOT EXISTS lq_freeze ("
     " repo TEXT NOT NULL COLLATE NOCASE,"
     " branch TEXT NOT NULL,"
     " reason TEXT NOT NULL DEFAULT '',"
     " by_whom TEXT NOT NULL DEFAULT '',"
     " since_ms INTEGER NOT NULL,"
     " PRIMARY KEY (repo, branch));"
     "CREATE TABLE IF NOT EXISTS landq_meta_hooks ("
     " id INTEGER PRIMARY KEY CHECK (id = 1), body TEXT NOT NULL,"
     " fetched_at INTEGER NOT NULL);"},
    {2, "branch leases with fencing tokens",
     "CREATE TABLE lq_lease ("
     " repo TEXT NOT NULL COLLATE NOCASE,"
     " base TEXT NOT NULL,"
     " holder TEXT NOT NULL DEFAULT '',"  /* '' = released */
     " token INTEGER NOT NULL DEFAULT 0," /* +1 on every change of holder */
     " expires_ms INTEGER NOT NULL DEFAULT 0,"
     " acquired_ms INTEGER NOT NULL DEFAULT 0,"
     " PRIMARY KEY (repo, base));"
     "ALTER TABLE lq_pr ADD COLUMN lease_token INTEGER NOT NULL DEFAULT 0;"
     "ALTER TABLE lq_audit ADD COLUMN lease_token INTEGER NOT NULL DEFAULT 0;"},
    {3, "predictive trains",
     "CREATE TABLE lq_train ("
     " repo TEXT NOT NULL COLLATE NOCASE,"
     " base TEXT NOT NULL,"
     " body TEXT NOT NULL," /* core/train.h: lq_train_to_json */
     " updated_ms INTEGER NOT NULL DEFAULT 0,"
     " PRIMARY KEY (repo, base));"},
};
#define NMIGRATIONS (sizeof(migrations) / sizeof(migrations[0]))
_Static_assert(NMIGRATIONS == LQ_STORE_SCHEMA_VERSION, "a migration per schema version");

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- schema ------------------------------------------------------------------------------ */

int lq_store_schema_too_new(lq_error *err, const char *where, int found)
{
    return lq_error_set(err, LQ_EINVAL,
                        "%s: the database schema is version %d, newer than this landq knows "
                        "(%d): a newer landq has used it; run that version (or newer), or "
                        "point db at another database",
                        where, found, LQ_STORE_SCHEMA_VERSION);
}

/* The highest migration applied: 0 for a database from before migrations (or a new one). */
int lq_sq_schema_version(sqlite3 *db, const char *path, int *out, lq_error *err)
{
    *out = 0;
    int64_t has = lq_sq_pragma_int(db, "SELECT count(*) FROM sqlite_master WHERE "
                                       "type = 'table' AND name = 'lq_schema'");
    if (has < 0)
        return lq_sq_db_fail(err, LQ_ERROR, path, db, "cannot read the schema");
    if (has == 0)
        return LQ_OK;
    int64_t v = lq_sq_pragma_int(db, "SELECT coalesce(max(version), 0) FROM lq_schema");
    if (v < 0)
        return lq_sq_db_fail(err, LQ_ERROR, path, db, "cannot read the schema version");
    *out = (int)v;
    return LQ_OK;
}

/* Applies the missing migrations in one transaction (the caller holds no transaction). */
int lq_sq_migrate(sqlite3 *db, const char *path, int existing_only, lq_error *err)
{
    int v = 0;
    int rc = lq_sq_schema_version(db, path, &v, err);
    if (rc != LQ_OK)
        return rc;
    if (v > LQ_STORE_SCHEMA_VERSION)
        return lq_store_schema_too_new(err, path, v);
    if (v == LQ_STORE_SCHEMA_VERSION || existing_only)
        return LQ_OK;
    if ((rc = lq_sq_exec(db, path, "BEGIN IMMEDIATE", err)) != LQ_OK)
        return rc;
    rc = lq_sq_schema_version(db, path, &v, err); /* another process may have migrated meanwhile */
    if (rc == LQ_OK && v > LQ_STORE_SCHEMA_VERSION)
        rc = lq_store_schema_too_new(err, path, v);
    if (rc == LQ_OK)
        rc = lq_sq_exec(db, path,
                        "CREATE TABLE IF NOT EXISTS lq_schema (version INTEGER PRIMARY KEY,"
                        " applied_at_ms INTEGER NOT NULL, description TEXT NOT NULL)",
                        err);
    for (size_t i = 0; rc == LQ_OK && i < NMIGRATIONS; i++) {
        if (migrations[i].version <= v)
            continue;
        rc = lq_sq_exec(db, path, migrations[i].sql, err);
        /* version 1 adopts files from before migrations; the oldest lack lq_pr.priority */
        if (rc == LQ_OK && migrations[i].version == 1 &&
            lq_sq_pragma_int(db, "SELECT count(*) FROM pragma_table_info('lq_pr') WHERE "
                                 "name = 'priority'") == 0)
            rc = lq_sq_exec(db, path,
                            "ALTER TABLE lq_pr ADD COLUMN priority INTEGER NOT NULL DEFAULT 0",
                            err);
        if (rc == LQ_OK) {
            char sql[256];
            snprintf(sql, sizeof sql,
                     "INSERT INTO lq_schema (version, applied_at_ms, description) VALUES "
                     "(%d, %lld, '%s')",
                     migrations[i].version, (long long)wall_ms(), migrations[i].what);
            rc = lq_sq_exec(db, path, sql, err);
        }
    }
    if (rc == LQ_OK)
        rc = lq_sq_exec(db, path, "COMMIT", err);
    if (rc != LQ_OK && !sqlite3_get_autocommit(db))
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

