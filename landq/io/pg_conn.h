/* pg_conn: one libpq connection as the PostgreSQL backend uses it: connected on demand (a lost
 * connection is dropped and made again on the next call), every round trip bounded by a
 * deadline (a database that stopped answering costs a 503, never a hung intake), errors mapped
 * to lq_status (LQ_ETRANSIENT for everything that a retry or a failover can cure).
 *
 * Connection settings: the target (URI or keyword/value string, passwords and all) goes to
 * libpq as given; landq adds defaults BEFORE it, so the target can override them:
 * connect_timeout=5, keepalives (idle 10 s, interval 5 s, count 3), tcp_user_timeout=15 s,
 * application_name=landq; and AFTER it, so they always hold: client_encoding=UTF8. Every
 * session runs with synchronous_commit=on: a 202 to GitHub is an action taken on the
 * assumption that the commit is durable.
 *
 * Not thread-safe: one lq_pg per thread at a time (the backend guards shared ones). */
#ifndef LQ_PG_CONN_H
#define LQ_PG_CONN_H

#include <libpq-fe.h>
#include <stdint.h>

#include "error.h"

typedef struct lq_pg {
    PGconn *c;           /* NULL until connected, and after a connection failure */
    const char *target;  /* borrowed: what libpq gets (may hold a password) */
    const char *shown;   /* borrowed: the target with passwords redacted, for messages */
    int timeout_ms;      /* per call; 0 = 10 s */
    char sqlstate[6];    /* of the last failed call ("" for none or a connection failure) */
} lq_pg;

/* Connects if needed. LQ_OK, LQ_ETRANSIENT (unreachable, not a primary yet, ...) or LQ_EINVAL
 * (a target libpq cannot parse: a setting error). */
int lq_pg_connect(lq_pg *p, lq_error *err);
void lq_pg_close(lq_pg *p); /* NULL-safe on p->c */

/* Runs sql (one statement, or several without parameters when n == 0) with n parameters:
 * vals[i] NULL = SQL NULL; lens/fmts may be NULL (all text), fmts[i] = 1 for binary (bytea).
 * Results come as text. On LQ_OK, *out (may be NULL: discarded) is the last result (PQclear).
 * On failure the message names what failed and PostgreSQL's reason (and SQLSTATE). */
int lq_pg_exec(lq_pg *p, const char *what, const char *sql, int n, const char *const *vals,
               const int *lens, const int *fmts, PGresult **out, lq_error *err);

/* s as valid UTF-8: s itself when it is, else a copy with each invalid byte replaced by '?'
 * stored in *tofree (free() it). NULL s gives NULL. NULL on out of memory with *tofree NULL. */
const char *lq_pg_utf8(const char *s, char **tofree);

/* Column helpers for text results. */
int64_t lq_pg_i64(const PGresult *r, int row, int col);
const char *lq_pg_str(const PGresult *r, int row, int col); /* "" for NULL */
const char *lq_pg_str_or_null(const PGresult *r, int row, int col);

#endif
