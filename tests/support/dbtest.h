/* dbtest: the database a store test runs against, so one Criterion suite covers both backends.
 * Without LQ_TEST_PG: a SQLite file in a fresh temporary directory. With LQ_TEST_PG (a libpq
 * keyword string without dbname, set by tests/support/pgtest.py run): a fresh PostgreSQL
 * database per test, dropped afterwards. Call dbt_setup()/dbt_teardown() from the suite's
 * .init/.fini (each Criterion test runs in its own process). */
#ifndef LQ_DBTEST_H
#define LQ_DBTEST_H

#include <stdio.h>

void dbt_setup(void);
void dbt_teardown(void);
/* What to pass as `db` (a path, or a keyword string with dbname). */
const char *dbt_target(void);
int dbt_is_pg(void);
/* SQLite only: the file path (NULL on PostgreSQL). */
const char *dbt_path(void);
/* First column of the first row as an integer (-1: no row); fails the test on an SQL error. */
long long dbt_scalar(const char *sql);
/* Runs sql (several statements allowed); fails the test on an SQL error. */
void dbt_exec(const char *sql);
/* A test for one backend returns at once on the other (cr_skip_test() leaves Criterion's
 * worker with memory Valgrind reports). */
#define DBT_ONLY(pg_wanted, why)                                                                  \
    do {                                                                                        \
        if (dbt_is_pg() != (pg_wanted)) {                                                       \
            fprintf(stderr, "skipped: %s\n", why);                                              \
            return;                                                                             \
        }                                                                                       \
    } while (0)

/* The SQL for the backend: sqlite_sql or pg_sql. */
const char *dbt_sql(const char *sqlite_sql, const char *pg_sql);

#endif
