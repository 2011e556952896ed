/* dbtest.c -- a fresh SQLite file or PostgreSQL database per test (see dbtest.h). */
#include "dbtest.h"

#include <criterion/criterion.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[64];
static char path[128];
static char target[1024];
static char dbname[64];
static int pg;

static PGconn *pg_connect(const char *conninfo)
{
    PGconn *c = PQconnectdb(conninfo);
    cr_assert(c && PQstatus(c) == CONNECTION_OK, "dbtest: cannot connect to %s: %s", conninfo,
              c ? PQerrorMessage(c) : "out of memory");
    return c;
}

static void pg_admin(const char *sql)
{
    char ci[1024];
    snprintf(ci, sizeof ci, "%s dbname=postgres", getenv("LQ_TEST_PG"));
    PGconn *c = pg_connect(ci);
    PGresult *r = PQexec(c, sql);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    char msg[512];
    snprintf(msg, sizeof msg, "%s", PQerrorMessage(c));
    PQclear(r);
    PQfinish(c);
    cr_assert(ok, "dbtest: %s: %s", sql, msg);
}

void dbt_setup(void)
{
    const char *base = getenv("LQ_TEST_PG");
    pg = base && *base;
    if (pg) {
        static int n;
        snprintf(dbname, sizeof dbname, "lqt_%ld_%d", (long)getpid(), n++);
        char sql[128];
        snprintf(sql, sizeof sql, "CREATE DATABASE %s", dbname);
        pg_admin(sql);
        snprintf(target, sizeof target, "%s dbname=%s", base, dbname);
        return;
    }
    snprintf(dir, sizeof(dir), "/tmp/lq-store-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/landq.db", dir);
    snprintf(target, sizeof target, "%s", path);
}

void dbt_teardown(void)
{
    if (pg) {
        char sql[128];
        snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", dbname);
        pg_admin(sql);
        return;
    }
    char f[160];
    const char *suffix[] = {"", "-wal", "-shm", "-journal"};
    for (size_t i = 0; i < 4; i++) {
        snprintf(f, sizeof(f), "%s%s", path, suffix[i]);
        unlink(f);
    }
    rmdir(dir);
}

const char *dbt_target(void)
{
    return target;
}

int dbt_is_pg(void)
{
    return pg;
}

const char *dbt_path(void)
{
    return pg ? NULL : path;
}

const char *dbt_sql(const char *sqlite_sql, const char *pg_sql)
{
    return pg ? pg_sql : sqlite_sql;
}

long long dbt_scalar(const char *sql)
{
    long long v = -1;
    if (pg) {
        PGconn *c = pg_connect(target);
        PGresult *r = PQexec(c, sql);
        int ok = PQresultStatus(r) == PGRES_TUPLES_OK;
        char msg[512];
        snprintf(msg, sizeof msg, "%s", PQerrorMessage(c));
        if (ok && PQntuples(r) > 0 && !PQgetisnull(r, 0, 0))
            v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
        PQclear(r);
        PQfinish(c);
        cr_assert(ok, "dbtest: %s: %s", sql, msg);
        return v;
    }
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    cr_assert_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK, "dbtest: %s: %s", sql,
                 sqlite3_errmsg(db));
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

void dbt_exec(const char *sql)
{
    if (pg) {
        PGconn *c = pg_connect(target);
        PGresult *r = PQexec(c, sql);
        ExecStatusType s = PQresultStatus(r);
        char msg[512];
        snprintf(msg, sizeof msg, "%s", PQerrorMessage(c));
        PQclear(r);
        PQfinish(c);
        cr_assert(s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK, "dbtest: %s: %s", sql, msg);
        return;
    }
    sqlite3 *db = NULL;
    cr_assert_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL),
                 SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    char *msg = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
    char m[512];
    snprintf(m, sizeof m, "%s", msg ? msg : "");
    sqlite3_free(msg);
    sqlite3_close(db);
    cr_assert_eq(rc, SQLITE_OK, "dbtest: %s: %s", sql, m);
}
