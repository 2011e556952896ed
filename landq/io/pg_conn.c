/* pg_conn.c -- a libpq connection with deadlines, reconnection and error mapping. */
#include "pg_conn.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void lq_pg_close(lq_pg *p)
{
    if (p->c)
        PQfinish(p->c);
    p->c = NULL;
}

/* libpq's message without its trailing newline. */
static const char *pq_msg(PGconn *c, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s", c ? PQerrorMessage(c) : "out of memory");
    size_t n = strlen(buf);
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
        buf[--n] = '\0';
    return buf;
}

int lq_pg_connect(lq_pg *p, lq_error *err)
{
    if (p->c && PQstatus(p->c) == CONNECTION_OK)
        return LQ_OK;
    lq_pg_close(p);
    p->sqlstate[0] = '\0';
    /* defaults before the target (it may override them), client_encoding after it */
    const char *keys[] = {"connect_timeout", "keepalives", "keepalives_idle",
                          "keepalives_interval", "keepalives_count", "tcp_user_timeout",
                          "application_name", "dbname", "client_encoding", NULL};
    const char *vals[] = {"5", "1", "10", "5", "3", "15000", "landq", p->target, "UTF8", NULL};
    char *perr = NULL;
    PQconninfoOption *parsed = PQconninfoParse(p->target, &perr);
    if (!parsed && !perr)
        return lq_error_set(err, LQ_ENOMEM, "%s: out of memory", p->shown);
    if (!parsed) {
        char m[256];
        snprintf(m, sizeof m, "%s", perr ? perr : "cannot be parsed");
        size_t n = strlen(m);
        while (n && m[n - 1] == '\n')
            m[--n] = '\0';
        PQfreemem(perr);
        return lq_error_set(err, LQ_EINVAL, "%s: not a PostgreSQL connection string: %s",
                            p->shown, m);
    }
    PQconninfoFree(parsed);
    p->c = PQconnectdbParams(keys, vals, 1);
    if (!p->c || PQstatus(p->c) != CONNECTION_OK) {
        char m[400];
        pq_msg(p->c, m, sizeof m);
        lq_pg_close(p);
        return lq_error_set(err, LQ_ETRANSIENT, "%s: cannot connect: %s", p->shown, m);
    }
    if (PQserverVersion(p->c) < 120000) {
        int v = PQserverVersion(p->c);
        lq_pg_close(p);
        return lq_error_set(err, LQ_EINVAL, "%s: PostgreSQL %d.%d is too old (landq needs 12 "
                            "or newer)", p->shown, v / 10000, v % 10000);
    }
    if (PQsetnonblocking(p->c, 1) != 0) {
        lq_pg_close(p);
        return lq_error_set(err, LQ_ETRANSIENT, "%s: cannot use the connection", p->shown);
    }
    return lq_pg_exec(p, "session settings", "SET synchronous_commit = on", 0, NULL, NULL, NULL,
                      NULL, err);
}

/* Waits until the socket is readable (and writable when want_write) or the deadline passes. */
static int wait_io(PGconn *c, int want_write, int64_t deadline)
{
    int64_t left = deadline - mono_ms();
    if (left <= 0)
        return 0;
    struct pollfd pfd = {.fd = PQsocket(c), .events = POLLIN | (want_write ? POLLOUT : 0)};
    if (pfd.fd < 0)
        return -1;
    int rc;
    do
        rc = poll(&pfd, 1, left > 1000000 ? 1000000 : (int)left);
    while (rc < 0 && errno == EINTR);
    return rc < 0 ? -1 : rc;
}

static int transient_state(const char *st)
{
    return !strncmp(st, "08", 2) ||     /* connection exception */
           !strncmp(st, "57P", 3) ||    /* admin/crash shutdown, cannot connect now */
           !strncmp(st, "53", 2) ||     /* insufficient resources */
           !strcmp(st, "40001") ||      /* serialization failure */
           !strcmp(st, "40P01") ||      /* deadlock */
           !strcmp(st, "25006") ||      /* read-only transaction: a standby after failover */
           !strcmp(st, "55P03");        /* lock not available */
}

/* The connection is no good for the next call: a standby (after a failover) or broken. */
static int drop_after(const char *st)
{
    return !strcmp(st, "25006") || !strncmp(st, "57P", 3) || !strncmp(st, "08", 2);
}

static int fail_conn(lq_pg *p, const char *what, const char *why, lq_error *err)
{
    char m[400];
    if (!why)
        why = pq_msg(p->c, m, sizeof m);
    int rc = lq_error_set(err, LQ_ETRANSIENT, "%s: %s: %s", p->shown, what, why);
    lq_pg_close(p);
    return rc;
}

int lq_pg_exec(lq_pg *p, const char *what, const char *sql, int n, const char *const *vals,
               const int *lens, const int *fmts, PGresult **out, lq_error *err)
{
    if (out)
        *out = NULL;
    p->sqlstate[0] = '\0';
    int rc = lq_pg_connect(p, err);
    if (rc != LQ_OK)
        return rc;
    int64_t deadline = mono_ms() + (p->timeout_ms > 0 ? p->timeout_ms : 10000);
    int sent = n == 0 && !fmts ? PQsendQuery(p->c, sql)
                               : PQsendQueryParams(p->c, sql, n, NULL, vals, lens, fmts, 0);
    if (!sent)
        return fail_conn(p, what, NULL, err);
    /* send everything (non-blocking: a large batch may not fit the socket buffer at once) */
    for (;;) {
        int f = PQflush(p->c);
        if (f == 0)
            break;
        if (f < 0)
            return fail_conn(p, what, NULL, err);
        int w = wait_io(p->c, 1, deadline);
        if (w == 0)
            return fail_conn(p, what, "no answer in time (the database is stuck or unreachable)",
                             err);
        if (w < 0 || !PQconsumeInput(p->c))
            return fail_conn(p, what, NULL, err);
    }
    PGresult *last = NULL;
    int ret = LQ_OK;
    for (;;) {
        while (PQisBusy(p->c)) {
            int w = wait_io(p->c, 0, deadline);
            if (w == 0) {
                PQclear(last);
                return fail_conn(p, what,
                                 "no answer in time (the database is stuck or unreachable)", err);
            }
            if (w < 0 || !PQconsumeInput(p->c)) {
                PQclear(last);
                return fail_conn(p, what, NULL, err);
            }
        }
        PGresult *r = PQgetResult(p->c);
        if (!r)
            break;
        ExecStatusType s = PQresultStatus(r);
        if (ret == LQ_OK && s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK &&
            s != PGRES_EMPTY_QUERY) {
            const char *st = PQresultErrorField(r, PG_DIAG_SQLSTATE);
            const char *msg = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
            snprintf(p->sqlstate, sizeof p->sqlstate, "%s", st ? st : "");
            int code = st && transient_state(st) ? LQ_ETRANSIENT : LQ_ERROR;
            if (!st && PQstatus(p->c) != CONNECTION_OK)
                code = LQ_ETRANSIENT;
            char m[400];
            ret = lq_error_set(err, code, "%s: %s: %s (SQLSTATE %s)", p->shown, what,
                               msg ? msg : pq_msg(p->c, m, sizeof m), st ? st : "none");
        }
        PQclear(last);
        last = r;
    }
    if (PQstatus(p->c) != CONNECTION_OK || (p->sqlstate[0] && drop_after(p->sqlstate))) {
        if (ret == LQ_OK) /* answered, then lost: the outcome stands, the connection does not */
            lq_pg_close(p);
        else {
            lq_pg_close(p);
            if (err)
                err->code = ret = LQ_ETRANSIENT;
        }
    }
    if (ret == LQ_OK && out)
        *out = last;
    else
        PQclear(last);
    return ret;
}

const char *lq_pg_utf8(const char *s, char **tofree)
{
    *tofree = NULL;
    if (!s)
        return NULL;
    const unsigned char *p = (const unsigned char *)s;
    size_t bad = 0;
    char *copy = NULL;
    for (size_t i = 0; p[i];) {
        unsigned c = p[i];
        size_t len = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3
                                 : (c & 0xf8) == 0xf0 ? 4 : 0;
        int ok = len > 0;
        for (size_t k = 1; ok && k < len; k++)
            ok = (p[i + k] & 0xc0) == 0x80;
        if (ok && len == 2)
            ok = c >= 0xc2; /* no overlong */
        if (ok && len == 3) {
            unsigned v = ((c & 0x0f) << 12) | ((p[i + 1] & 0x3f) << 6) | (p[i + 2] & 0x3f);
            ok = v >= 0x800 && (v < 0xd800 || v > 0xdfff);
        }
        if (ok && len == 4) {
            unsigned v = ((c & 0x07) << 18) | ((p[i + 1] & 0x3f) << 12) |
                         ((p[i + 2] & 0x3f) << 6) | (p[i + 3] & 0x3f);
            ok = v >= 0x10000 && v <= 0x10ffff;
        }
        if (!ok) {
            if (!copy && !(copy = strdup(s)))
                return NULL;
            copy[i] = '?';
            bad++;
            i++;
            continue;
        }
        i += len;
    }
    if (!bad)
        return s;
    *tofree = copy;
    return copy;
}

int64_t lq_pg_i64(const PGresult *r, int row, int col)
{
    if (PQgetisnull(r, row, col))
        return 0;
    return strtoll(PQgetvalue(r, row, col), NULL, 10);
}

const char *lq_pg_str(const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? "" : PQgetvalue(r, row, col);
}

const char *lq_pg_str_or_null(const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? NULL : PQgetvalue(r, row, col);
}
