/* store_pg.c -- the PostgreSQL backend (libpq): several landq instances share one database.
 *
 * Connections: the intake's group commit has WRITER_SLOTS writer threads, each with its own
 * connection (gcommit.h: while one batch waits for its WAL flush the next is sent, and the
 * server flushes them together); a batch of deliveries is ONE multi-row INSERT ... ON CONFLICT
 * (delivery_id) DO NOTHING RETURNING delivery_id, a single statement and so a single commit,
 * with synchronous_commit=on. Duplicates are idempotent across instances: the unique index
 * decides, there is no read-then-write. Everything else (the worker's claims and state, audit,
 * health checks, retention) uses one request connection under a mutex.
 *
 * When the database cannot commit (down, failing over, stuck past the deadline), every caller
 * of that batch gets LQ_ETRANSIENT and the intake answers 503: never 202 without a commit. The
 * next batch reconnects (libpq tries every host of a multi-host target; with
 * target_session_attrs=read-write it finds the new primary after a failover).
 *
 * The inbox is shared: next() claims the oldest unprocessed delivery for this instance for
 * CLAIM_MS (FOR UPDATE SKIP LOCKED, pgmq style), so each delivery is applied by one instance
 * while all of them store; a dead instance's claims expire. Times that several instances
 * compare come from the database clock (lq_now_ms()). */
#include "store_pg.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dburl.h"

#define WRITER_SLOTS 4
#define ROWS_PER_INSERT 500 /* 6 parameters each; PostgreSQL allows 65535 */
#define CLAIM_MS 60000
#define SCHEMA_LOCK_KEY 7140512 /* pg_advisory_xact_lock key: landq's migrations */

/* Migrations (store_backend.h): the same logical schema as store_sqlite_schema.c. */
static const struct migration {
    int version;
    const char *what;
    const char *sql;
} migrations[] = {
    {1, "inbox, queue state, audit log, allowlist cache",
     "CREATE FUNCTION lq_now_ms() RETURNS bigint LANGUAGE sql VOLATILE AS"
     " $$ SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint $$;"
     "CREATE TABLE inbox_deliveries ("
     " seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
     " delivery_id text NOT NULL UNIQUE,"
     " event text NOT NULL,"
     " body bytea NOT NULL,"
     " received_ms bigint NOT NULL,"
     " processed smallint NOT NULL DEFAULT 0,"
     " encoding smallint NOT NULL DEFAULT 0,"
     " raw_len integer NOT NULL DEFAULT 0,"
     " claimed_by text,"
     " claim_until_ms bigint NOT NULL DEFAULT 0);"
     /* bodies arrive LZ4-compressed (3.3 KB for a 26 KB pull_request): kept in the row, not
      * TOASTed (a second heap and index per delivery); only a body too big for a page goes
      * out of line */
     "ALTER TABLE inbox_deliveries ALTER COLUMN body SET STORAGE MAIN;"
     "ALTER TABLE inbox_deliveries SET (toast_tuple_target = 8160);"
     "CREATE INDEX inbox_pending ON inbox_deliveries(seq) WHERE processed = 0;"
     "CREATE TABLE lq_pr ("
     " repo text NOT NULL,"
     " repo_key text GENERATED ALWAYS AS (lower(repo)) STORED," /* SQLite: COLLATE NOCASE */
     " number integer NOT NULL,"
     " base text NOT NULL DEFAULT '',"
     " head_sha text NOT NULL DEFAULT '',"
     " state text NOT NULL DEFAULT 'idle',"
     " labeler text NOT NULL DEFAULT '',"
     " labeled_at_ms bigint NOT NULL DEFAULT 0,"
     " dirty smallint NOT NULL DEFAULT 0,"
     " comment_id bigint NOT NULL DEFAULT 0,"
     " comment_body text,"
     " status_key text,"
     " merge_sha text NOT NULL DEFAULT '',"
     " merge_title text,"
     " merge_message text,"
     " merge_attempts integer NOT NULL DEFAULT 0,"
     " landed_sha text NOT NULL DEFAULT '',"
     " updated_ms bigint NOT NULL DEFAULT 0,"
     " priority smallint NOT NULL DEFAULT 0,"
     " PRIMARY KEY (repo_key, number));"
     "CREATE INDEX lq_pr_sha ON lq_pr(repo_key, head_sha);"
     "CREATE TABLE lq_audit ("
     " id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
     " at_ms bigint NOT NULL,"
     " repo text NOT NULL,"
     " number integer NOT NULL,"
     " head_sha text NOT NULL DEFAULT '',"
     " action text NOT NULL,"
     " summary text NOT NULL DEFAULT '',"
     " reasons text NOT NULL DEFAULT '[]',"
     " commit_sha text NOT NULL DEFAULT '');"
     "CREATE INDEX lq_audit_pr ON lq_audit(lower(repo), number);"
     "CREATE INDEX lq_audit_at ON lq_audit(at_ms);"
     "CREATE INDEX lq_audit_action ON lq_audit(action, id);"
     "CREATE TABLE lq_freeze ("
     " repo text NOT NULL,"
     " repo_key text GENERATED ALWAYS AS (lower(repo)) STORED,"
     " branch text NOT NULL,"
     " reason text NOT NULL DEFAULT '',"
     " by_whom text NOT NULL DEFAULT '',"
     " since_ms bigint NOT NULL,"
     " PRIMARY KEY (repo_key, branch));"
     "CREATE TABLE landq_meta_hooks ("
     " id integer PRIMARY KEY CHECK (id = 1), body text NOT NULL,"
     " fetched_at bigint NOT NULL);"},
    {2, "branch leases with fencing tokens",
     "CREATE TABLE lq_lease ("
     " repo text NOT NULL,"
     " repo_key text GENERATED ALWAYS AS (lower(repo)) STORED,"
     " base text NOT NULL,"
     " holder text NOT NULL DEFAULT '',"  /* '' = released */
     " token bigint NOT NULL DEFAULT 0,"  /* +1 on every change of holder */
     " expires_ms bigint NOT NULL DEFAULT 0," /* database clock (lq_now_ms) */
     " acquired_ms bigint NOT NULL DEFAULT 0,"
     " PRIMARY KEY (repo_key, base));"
     "ALTER TABLE lq_pr ADD COLUMN lease_token bigint NOT NULL DEFAULT 0;"
     "ALTER TABLE lq_audit ADD COLUMN lease_token bigint NOT NULL DEFAULT 0;"},
    {3, "predictive trains",
     "CREATE TABLE lq_train ("
     " repo text NOT NULL,"
     " repo_key text GENERATED ALWAYS AS (lower(repo)) STORED,"
     " base text NOT NULL,"
     " body text NOT NULL," /* core/train.h: lq_train_to_json */
     " updated_ms bigint NOT NULL DEFAULT 0,"
     " PRIMARY KEY (repo_key, base));"},
};
#define NMIGRATIONS (sizeof(migrations) / sizeof(migrations[0]))
_Static_assert(NMIGRATIONS == LQ_STORE_SCHEMA_VERSION, "a migration per schema version");

typedef struct pg_db {
    char *target;          /* as given (may hold a password: never printed) */
    char *shown;           /* redacted, for messages */
    char instance[128];    /* host:pid:nonce, this process's claims */
    lq_pg req;             /* request connection */
    pthread_mutex_t mu;    /* req */
    lq_pg writers[WRITER_SLOTS];
    lq_gcommit *gc;        /* NULL without the inbox */
} pg_db;

static pg_db *PG(lq_backend *be)
{
    return (pg_db *)(void *)be;
}

lq_pg *lq_pgb_begin(lq_backend *be)
{
    pthread_mutex_lock(&PG(be)->mu);
    return &PG(be)->req;
}

void lq_pgb_end(lq_backend *be)
{
    pthread_mutex_unlock(&PG(be)->mu);
}

/* ---- schema ------------------------------------------------------------------------------ */

static int read_version(lq_pg *p, int *out, lq_error *err)
{
    PGresult *r = NULL;
    *out = 0;
    /* pg_class read with this statement's snapshot: to_regclass() would consult the catalog
     * cache, stale in a session that just waited for the migration lock */
    int rc = lq_pg_exec(p, "schema version",
                        "SELECT CASE WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_tables WHERE"
                        " tablename = 'lq_schema' AND schemaname = ANY (current_schemas(false)))"
                        " THEN 0 ELSE -1 END",
                        0, NULL, NULL, NULL, &r, err);
    if (rc != LQ_OK)
        return rc;
    int exists = lq_pg_i64(r, 0, 0) == 0;
    PQclear(r);
    if (!exists)
        return LQ_OK;
    rc = lq_pg_exec(p, "schema version", "SELECT coalesce(max(version), 0) FROM lq_schema", 0,
                    NULL, NULL, NULL, &r, err);
    if (rc != LQ_OK)
        return rc;
    *out = (int)lq_pg_i64(r, 0, 0);
    PQclear(r);
    return LQ_OK;
}

/* Applies the missing migrations in one transaction under an advisory transaction lock: the
 * instances of a deployment starting together migrate once, the others wait and find it done. */
static int migrate(lq_pg *p, int existing_only, lq_error *err)
{
    int v = 0;
    int rc = read_version(p, &v, err);
    if (rc != LQ_OK)
        return rc;
    if (v > LQ_STORE_SCHEMA_VERSION)
        return lq_store_schema_too_new(err, p->shown, v);
    if (v == LQ_STORE_SCHEMA_VERSION || existing_only)
        return LQ_OK;
    int saved = p->timeout_ms;
    p->timeout_ms = 120000; /* DDL may wait for the lock and for other sessions */
    char lock[96];
    snprintf(lock, sizeof lock, "BEGIN; SELECT pg_advisory_xact_lock(%d)", SCHEMA_LOCK_KEY);
    rc = lq_pg_exec(p, "schema migration", lock, 0, NULL, NULL, NULL, NULL, err);
    if (rc == LQ_OK)
        rc = read_version(p, &v, err);
    if (rc == LQ_OK && v > LQ_STORE_SCHEMA_VERSION)
        rc = lq_store_schema_too_new(err, p->shown, v);
    if (rc == LQ_OK)
        rc = lq_pg_exec(p, "schema migration",
                        "CREATE TABLE IF NOT EXISTS lq_schema (version integer PRIMARY KEY,"
                        " applied_at_ms bigint NOT NULL, description text NOT NULL)",
                        0, NULL, NULL, NULL, NULL, err);
    for (size_t i = 0; rc == LQ_OK && i < NMIGRATIONS; i++) {
        if (migrations[i].version <= v)
            continue;
        rc = lq_pg_exec(p, "schema migration", migrations[i].sql, 0, NULL, NULL, NULL, NULL,
                        err);
        if (rc == LQ_OK) {
            char ver[16];
            snprintf(ver, sizeof ver, "%d", migrations[i].version);
            const char *vals[] = {ver, migrations[i].what};
            rc = lq_pg_exec(p, "schema migration",
                            "INSERT INTO lq_schema (version, applied_at_ms, description) VALUES "
                            "($1::integer, lq_now_ms(), $2)",
                            2, vals, NULL, NULL, NULL, err);
        }
    }
    if (rc == LQ_OK)
        rc = lq_pg_exec(p, "schema migration", "COMMIT", 0, NULL, NULL, NULL, NULL, err);
    if (rc != LQ_OK && p->c)
        lq_pg_exec(p, "schema migration", "ROLLBACK", 0, NULL, NULL, NULL, NULL, NULL);
    p->timeout_ms = saved;
    return rc;
}

/* ---- group commit: a batch of deliveries, one INSERT per ROWS_PER_INSERT ------------------ */

static int insert_chunk(pg_db *d, lq_pg *p, lq_gc_op *first, size_t n)
{
    /* INSERT ... VALUES ($1,$2,$3,$4,$5,$6),($7,...) ON CONFLICT DO NOTHING RETURNING id */
    size_t cap = 200 + n * 64;
    char *sql = malloc(cap);
    const char **vals = calloc(n * 6, sizeof(*vals));
    int *lens = calloc(n * 6, sizeof(*lens));
    int *fmts = calloc(n * 6, sizeof(*fmts));
    char (*nums)[3][24] = calloc(n, sizeof(*nums));
    lq_error e = {0};
    int rc = LQ_OK;
    if (!sql || !vals || !lens || !fmts || !nums) {
        rc = lq_error_set(&e, LQ_ENOMEM, "%s: out of memory", d->shown);
        goto out;
    }
    size_t len = (size_t)snprintf(sql, cap, "INSERT INTO inbox_deliveries (delivery_id, event, "
                                  "body, received_ms, encoding, raw_len) VALUES ");
    lq_gc_op *o = first;
    for (size_t i = 0; i < n; i++, o = o->next) {
        size_t b = i * 6;
        len += (size_t)snprintf(sql + len, cap - len,
                                "%s($%zu,$%zu,$%zu,$%zu::bigint,$%zu::smallint,$%zu::integer)",
                                i ? "," : "", b + 1, b + 2, b + 3, b + 4, b + 5, b + 6);
        snprintf(nums[i][0], sizeof nums[i][0], "%lld", (long long)o->received_ms);
        snprintf(nums[i][1], sizeof nums[i][1], "%d", o->encoding);
        snprintf(nums[i][2], sizeof nums[i][2], "%zu", o->raw_len);
        vals[b] = o->id;
        vals[b + 1] = o->event;
        vals[b + 2] = o->stored ? o->stored : "";
        lens[b + 2] = (int)o->stored_len;
        fmts[b + 2] = 1; /* bytea, binary */
        vals[b + 3] = nums[i][0];
        vals[b + 4] = nums[i][1];
        vals[b + 5] = nums[i][2];
    }
    snprintf(sql + len, cap - len, " ON CONFLICT (delivery_id) DO NOTHING RETURNING delivery_id");
    PGresult *r = NULL;
    rc = lq_pg_exec(p, "cannot store deliveries", sql, (int)(n * 6), vals, lens, fmts, &r, &e);
    if (rc == LQ_OK) {
        /* stored: the ids RETURNING names, each once (a repeat inside the batch is a duplicate) */
        int rows = PQntuples(r);
        char *taken = calloc((size_t)rows + 1, 1);
        o = first;
        for (size_t i = 0; i < n; i++, o = o->next) {
            o->rc = 1;
            for (int k = 0; taken && k < rows; k++)
                if (!taken[k] && !strcmp(PQgetvalue(r, k, 0), o->id)) {
                    taken[k] = 1;
                    o->rc = LQ_OK;
                    break;
                }
        }
        free(taken);
        PQclear(r);
    }
out:
    if (rc != LQ_OK) { /* nothing of this chunk is stored: 503 for each (GitHub redelivers) */
        o = first;
        for (size_t i = 0; i < n; i++, o = o->next) {
            o->rc = LQ_ETRANSIENT;
            if (o->err) {
                *o->err = e;
                o->err->code = LQ_ETRANSIENT;
            }
        }
    }
    free(sql);
    free(vals);
    free(lens);
    free(fmts);
    free(nums);
    return rc;
}

static int commit(void *be, int slot, lq_gc_op *batch, size_t n)
{
    pg_db *d = be;
    lq_pg *p = &d->writers[slot];
    int failed = 0;
    lq_gc_op *o = batch;
    while (o) {
        size_t k = 0;
        lq_gc_op *first = o;
        while (o && k < ROWS_PER_INSERT && o->kind == LQ_GC_PUT) {
            o = o->next;
            k++;
        }
        if (k == 0) { /* only puts come here on PostgreSQL */
            o->rc = lq_error_set(o->err, LQ_EINVAL, "%s: not an intake write", d->shown);
            o = o->next;
            failed = 1;
            continue;
        }
        if (insert_chunk(d, p, first, k) != LQ_OK)
            failed = 1;
    }
    (void)n;
    return failed ? -1 : 0;
}

/* ---- open / close ------------------------------------------------------------------------ */

static void pgb_close(lq_backend *be)
{
    pg_db *d = PG(be);
    if (!d)
        return;
    lq_gc_stop(d->gc);
    lq_pg_close(&d->req);
    for (int i = 0; i < WRITER_SLOTS; i++)
        lq_pg_close(&d->writers[i]);
    pthread_mutex_destroy(&d->mu);
    if (d->target) { /* it may hold a password */
        volatile char *v = d->target;
        while (*v)
            *v++ = 0;
    }
    free(d->target);
    free(d->shown);
    free(d);
}

static int pgb_open(lq_backend **out, const char *target, const lq_backend_options *opt,
                    lq_error *err)
{
    *out = NULL;
    pg_db *d = calloc(1, sizeof(*d));
    size_t sn = 2 * strlen(target) + 16; /* "***" may be longer than the password */
    if (!d || !(d->target = strdup(target)) || !(d->shown = malloc(sn))) {
        if (d)
            free(d->target);
        free(d);
        return lq_error_set(err, LQ_ENOMEM, "store: out of memory");
    }
    lq_dburl_redact(target, d->shown, sn);
    pthread_mutex_init(&d->mu, NULL);
    char host[64] = "";
    gethostname(host, sizeof host - 1);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    snprintf(d->instance, sizeof d->instance, "%s:%ld:%08lx", host, (long)getpid(),
             (unsigned long)((unsigned long)ts.tv_nsec ^ ((unsigned long)ts.tv_sec << 11)) &
                 0xffffffffUL);
    d->req = (lq_pg){.target = d->target, .shown = d->shown, .timeout_ms = 10000};
    for (int i = 0; i < WRITER_SLOTS; i++)
        d->writers[i] = (lq_pg){.target = d->target, .shown = d->shown, .timeout_ms = 8000};
    int rc = migrate(&d->req, opt->existing_only, err);
    if (rc == LQ_OK && opt->inbox) {
        lq_gc_config gcc = {.slots = WRITER_SLOTS, .commit = commit, .be = d,
                            .on_stored = opt->on_stored, .on_stored_ctx = opt->on_stored_ctx,
                            .name = d->shown};
        rc = lq_gc_start(&d->gc, &gcc, err);
    }
    if (rc != LQ_OK) {
        pgb_close((lq_backend *)(void *)d);
        return rc;
    }
    *out = (lq_backend *)(void *)d;
    return LQ_OK;
}

/* ---- inbox ------------------------------------------------------------------------------- */

static int pgb_submit(lq_backend *be, lq_gc_op *o)
{
    pg_db *d = PG(be);
    if (!d->gc)
        return lq_error_set(o->err, LQ_EINVAL, "%s: opened without the inbox", d->shown);
    return lq_gc_submit(d->gc, o);
}

static int pgb_next(lq_backend *be, lq_delivery *out, lq_error *err)
{
    pg_db *d = PG(be);
    char claim[24];
    snprintf(claim, sizeof claim, "%d", CLAIM_MS);
    const char *v2[] = {d->instance, claim};
    PGresult *r = NULL;
    lq_pg *p = lq_pgb_begin(be);
    int rc = lq_pg_exec(p, "cannot read the inbox",
                        "WITH c AS (SELECT seq FROM inbox_deliveries WHERE processed = 0 AND"
                        " (claimed_by IS NULL OR claimed_by = $1 OR claim_until_ms < lq_now_ms())"
                        " ORDER BY seq LIMIT 1 FOR UPDATE SKIP LOCKED)"
                        " UPDATE inbox_deliveries i SET claimed_by = $1,"
                        " claim_until_ms = lq_now_ms() + $2::bigint FROM c WHERE i.seq = c.seq"
                        " RETURNING i.seq, i.delivery_id, i.event, i.body, i.received_ms,"
                        " i.encoding, i.raw_len",
                        2, v2, NULL, NULL, &r, err);
    lq_pgb_end(be);
    if (rc != LQ_OK) { /* never LQ_EINVAL: that would mean "corrupt row, skip it" */
        if (err)
            err->code = LQ_ETRANSIENT;
        return LQ_ETRANSIENT;
    }
    if (PQntuples(r) == 0) {
        PQclear(r);
        return lq_error_set(err, LQ_ENOTFOUND, "inbox: no unprocessed delivery");
    }
    size_t blen = 0;
    unsigned char *body = PQunescapeBytea((const unsigned char *)PQgetvalue(r, 0, 3), &blen);
    if (!body) {
        PQclear(r);
        return lq_error_set(err, LQ_ENOMEM, "inbox: out of memory reading a delivery");
    }
    rc = lq_delivery_decode(out, lq_pg_i64(r, 0, 0), lq_pg_str(r, 0, 1), lq_pg_str(r, 0, 2),
                            lq_pg_i64(r, 0, 4), (int)lq_pg_i64(r, 0, 5), lq_pg_i64(r, 0, 6), body,
                            blen, d->shown, err);
    PQfreemem(body);
    PQclear(r);
    return rc;
}

static int pgb_done(lq_backend *be, int64_t seq, lq_error *err)
{
    char s[24];
    snprintf(s, sizeof s, "%lld", (long long)seq);
    const char *vals[] = {s};
    PGresult *r = NULL;
    lq_pg *p = lq_pgb_begin(be);
    int rc = lq_pg_exec(p, "cannot mark a delivery done",
                        "UPDATE inbox_deliveries SET processed = 1, claimed_by = NULL"
                        " WHERE seq = $1::bigint",
                        1, vals, NULL, NULL, &r, err);
    lq_pgb_end(be);
    if (rc != LQ_OK)
        return rc;
    int changed = atoi(PQcmdTuples(r));
    PQclear(r);
    return changed ? LQ_OK
                   : lq_error_set(err, LQ_ENOTFOUND, "%s: no delivery with seq %lld",
                                  PG(be)->shown, (long long)seq);
}

static int pgb_pending(lq_backend *be, int64_t *out, lq_error *err)
{
    PGresult *r = NULL;
    lq_pg *p = lq_pgb_begin(be);
    int rc = lq_pg_exec(p, "cannot count the inbox",
                        "SELECT count(*) FROM inbox_deliveries WHERE processed = 0", 0, NULL,
                        NULL, NULL, &r, err);
    lq_pgb_end(be);
    if (rc != LQ_OK)
        return rc;
    *out = lq_pg_i64(r, 0, 0);
    PQclear(r);
    return LQ_OK;
}

static int pgb_prune(lq_backend *be, int64_t before_ms, int limit, int64_t *deleted,
                     lq_error *err)
{
    char b[24], l[24];
    snprintf(b, sizeof b, "%lld", (long long)before_ms);
    snprintf(l, sizeof l, "%d", limit);
    const char *vals[] = {b, limit > 0 ? l : NULL}; /* LIMIT NULL: all */
    PGresult *r = NULL;
    lq_pg *p = lq_pgb_begin(be);
    int rc = lq_pg_exec(p, "cannot prune the inbox",
                        "DELETE FROM inbox_deliveries WHERE seq IN (SELECT seq FROM"
                        " inbox_deliveries WHERE processed = 1 AND received_ms < $1::bigint"
                        " ORDER BY seq LIMIT $2::bigint FOR UPDATE SKIP LOCKED)",
                        2, vals, NULL, NULL, &r, err);
    lq_pgb_end(be);
    *deleted = 0;
    if (rc != LQ_OK)
        return rc;
    *deleted = atoll(PQcmdTuples(r));
    PQclear(r);
    return LQ_OK;
}

static void pgb_stats(lq_backend *be, lq_inbox_stats *out)
{
    pg_db *d = PG(be);
    if (d->gc)
        lq_gc_stats(d->gc, out);
    else
        memset(out, 0, sizeof(*out));
}

/* ---- maintenance ------------------------------------------------------------------------- */

static int pgb_info(lq_backend *be, lq_store_info *out, lq_error *err)
{
    memset(out, 0, sizeof(*out));
    out->backend = "postgresql";
    lq_pg *p = lq_pgb_begin(be);
    int rc = read_version(p, &out->schema_version, err);
    PGresult *r = NULL;
    if (rc == LQ_OK)
        rc = lq_pg_exec(p, "database size",
                        "SELECT pg_total_relation_size('inbox_deliveries') +"
                        " pg_total_relation_size('lq_pr') + pg_total_relation_size('lq_audit') +"
                        " pg_total_relation_size('lq_lease') +"
                        " pg_total_relation_size('landq_meta_hooks')",
                        0, NULL, NULL, NULL, &r, err);
    lq_pgb_end(be);
    if (rc != LQ_OK)
        return rc;
    out->bytes = out->logical_bytes = lq_pg_i64(r, 0, 0);
    PQclear(r);
    return LQ_OK;
}

static int pgb_reclaim(lq_backend *be, int64_t *out_bytes, lq_error *err)
{
    (void)be;
    (void)err;
    *out_bytes = 0; /* autovacuum makes deleted rows' space reusable */
    return LQ_OK;
}

const lq_store_ops lq_store_pg_ops = {
    .version = LQ_STORE_OPS_VERSION,
    .name = "postgresql",
    .open = pgb_open,
    .close = pgb_close,
    .submit = pgb_submit,
    .inbox_next = pgb_next,
    .inbox_done = pgb_done,
    .inbox_pending = pgb_pending,
    .inbox_prune = pgb_prune,
    .inbox_stats = pgb_stats,
    .pr_get = lq_pgb_pr_get,
    .pr_put = lq_pgb_pr_put,
    .pr_list = lq_pgb_pr_list,
    .pr_mark_sha_dirty = lq_pgb_pr_mark_sha_dirty,
    .pr_mark_branch_dirty = lq_pgb_pr_mark_branch_dirty,
    .audit_add = lq_pgb_audit_add,
    .lease_acquire = lq_pgb_lease_acquire,
    .lease_renew = lq_pgb_lease_renew,
    .lease_release = lq_pgb_lease_release,
    .lease_get = lq_pgb_lease_get,
    .audit_each = lq_pgb_audit_each,
    .landings = lq_pgb_landings,
    .freeze_set = lq_pgb_freeze_set,
    .freeze_clear = lq_pgb_freeze_clear,
    .freeze_list = lq_pgb_freeze_list,
    .audit_prune = lq_pgb_audit_prune,
    .meta_get = lq_pgb_meta_get,
    .meta_put = lq_pgb_meta_put,
    .train_get = lq_pgb_train_get,
    .train_put = lq_pgb_train_put,
    .info = pgb_info,
    .reclaim = pgb_reclaim,
};
