/* store.c -- the store's front end: picks the backend (store_backend.h), shares the inbox's when
 * one is attached, and keeps the backend-independent parts (records, audit JSON, the clock). */
#include "store.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dburl.h"
#include "store_backend.h"

struct lq_store {
    const lq_store_ops *ops;
    lq_backend *be;
    int owned; /* be is ours to close (not the inbox's) */
};

const lq_store_ops *lq_store_ops_for(const char *target)
{
    return lq_dburl_kind(target) == LQ_DB_POSTGRESQL ? &lq_store_pg_ops : &lq_store_sqlite_ops;
}

int64_t lq_store_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int store_open(lq_store **out, const char *target, lq_inbox *inbox, int existing_only,
                      lq_error *err)
{
    *out = NULL;
    lq_store *st = calloc(1, sizeof(*st));
    if (!st)
        return lq_error_set(err, LQ_ENOMEM, "out of memory");
    if (inbox) {
        lq_inbox_backend_get(inbox, &st->ops, &st->be);
    } else {
        if (!target || !*target) {
            free(st);
            return lq_error_set(err, LQ_EINVAL, "store: empty database path");
        }
        st->ops = lq_store_ops_for(target);
        lq_backend_options opt = {.existing_only = existing_only};
        int rc = st->ops->open(&st->be, target, &opt, err);
        if (rc != LQ_OK) {
            free(st);
            return rc;
        }
        st->owned = 1;
    }
    *out = st;
    return LQ_OK;
}

int lq_store_open(lq_store **out, const char *target, lq_inbox *inbox, lq_error *err)
{
    return store_open(out, target, inbox, 0, err);
}

int lq_store_open_existing(lq_store **out, const char *target, lq_error *err)
{
    return store_open(out, target, NULL, 1, err);
}

void lq_store_close(lq_store *st)
{
    if (!st)
        return;
    if (st->owned)
        st->ops->close(st->be);
    free(st);
}

const char *lq_store_backend(const lq_store *st)
{
    return st->ops->name;
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

int lq_store_get(lq_store *st, const char *repo, int number, lq_pr_record *out, lq_error *err)
{
    memset(out, 0, sizeof(*out));
    return st->ops->pr_get(st->be, repo, number, out, err);
}

int lq_store_put(lq_store *st, const lq_pr_record *r, lq_error *err)
{
    return st->ops->pr_put(st->be, r, NULL, NULL, err);
}

int lq_store_put_fenced(lq_store *st, lq_pr_record *r, const lq_lease *l, lq_error *err)
{
    int64_t written = 0;
    int rc = st->ops->pr_put(st->be, r, l, &written, err);
    if (rc == LQ_OK)
        r->updated_ms = written; /* the next write compares with this one */
    return rc;
}

int lq_store_lease_acquire(lq_store *st, const char *repo, const char *base, const char *holder,
                           int64_t ttl_ms, lq_lease *out, lq_error *err)
{
    memset(out, 0, sizeof(*out));
    if (!holder || !*holder)
        return lq_error_set(err, LQ_EINVAL, "lease: empty holder id");
    return st->ops->lease_acquire(st->be, repo, base, holder, ttl_ms, out, err);
}

int lq_store_lease_renew(lq_store *st, lq_lease *l, int64_t ttl_ms, lq_error *err)
{
    return st->ops->lease_renew(st->be, l, ttl_ms, err);
}

int lq_store_lease_get(lq_store *st, const char *repo, const char *base, lq_lease *out,
                       lq_error *err)
{
    memset(out, 0, sizeof(*out));
    snprintf(out->repo, sizeof out->repo, "%s", repo);
    snprintf(out->base, sizeof out->base, "%s", base);
    return st->ops->lease_get(st->be, repo, base, out, err);
}

int lq_store_lease_release(lq_store *st, const lq_lease *l, lq_error *err)
{
    return st->ops->lease_release(st->be, l, err);
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
    return st->ops->pr_list(st->be, filter, out, count, err);
}

int lq_store_mark_sha_dirty(lq_store *st, const char *repo, const char *sha, int *marked,
                            lq_error *err)
{
    int m = 0;
    int rc = st->ops->pr_mark_sha_dirty(st->be, repo, sha, &m, err);
    if (marked)
        *marked = rc == LQ_OK ? m : 0;
    return rc;
}

static int audit_add(lq_store *st, const lq_lease *fence, const char *repo, int number,
                     const char *head_sha, const char *action, const char *summary,
                     const char *const *reasons, size_t n, const char *commit_sha,
                     lq_error *err)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < n; i++)
        json_array_append_new(arr, json_string(reasons[i] ? reasons[i] : ""));
    char *rs = arr ? json_dumps(arr, JSON_COMPACT) : NULL;
    json_decref(arr);
    if (!rs)
        return lq_error_set(err, LQ_ENOMEM, "out of memory");
    lq_audit_entry row = {.at_ms = lq_store_now_ms(), .repo = repo, .number = number,
                        .head_sha = head_sha ? head_sha : "", .action = action,
                        .summary = summary ? summary : "", .reasons = rs,
                        .commit_sha = commit_sha ? commit_sha : ""};
    int rc = st->ops->audit_add(st->be, &row, fence, err);
    free(rs);
    return rc;
}

int lq_store_audit(lq_store *st, const char *repo, int number, const char *head_sha,
                   const char *action, const char *summary, const char *const *reasons,
                   size_t n, const char *commit_sha, lq_error *err)
{
    return audit_add(st, NULL, repo, number, head_sha, action, summary, reasons, n, commit_sha,
                     err);
}

int lq_store_audit_fenced(lq_store *st, const lq_lease *l, const char *repo, int number,
                          const char *head_sha, const char *action, const char *summary,
                          const char *const *reasons, size_t n, const char *commit_sha,
                          lq_error *err)
{
    return audit_add(st, l, repo, number, head_sha, action, summary, reasons, n, commit_sha,
                     err);
}

int lq_store_audit_each(lq_store *st, const char *repo, int number, long limit, lq_audit_fn fn,
                        void *ctx, lq_error *err)
{
    return st->ops->audit_each(st->be, repo ? repo : "", number, limit, fn, ctx, err);
}

int lq_store_mark_branch_dirty(lq_store *st, const char *repo, const char *base, int *marked,
                               lq_error *err)
{
    int m = 0;
    int rc = st->ops->pr_mark_branch_dirty(st->be, repo, base, &m, err);
    if (marked)
        *marked = rc == LQ_OK ? m : 0;
    return rc;
}

static char *dup_or_empty(const char *s)
{
    return strdup(s ? s : "");
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

typedef struct collect_ctx {
    lq_audit_row *rows;
    size_t n;
} collect_ctx;

static int collect_row(void *ctx, const lq_audit_entry *e)
{
    collect_ctx *c = ctx;
    lq_audit_row *r = &c->rows[c->n];
    r->id = e->id;
    r->at_ms = e->at_ms;
    r->number = e->number;
    r->repo = dup_or_empty(e->repo);
    r->head_sha = dup_or_empty(e->head_sha);
    r->action = dup_or_empty(e->action);
    r->summary = dup_or_empty(e->summary);
    r->reasons_json = dup_or_empty(e->reasons);
    r->commit_sha = dup_or_empty(e->commit_sha);
    c->n++;
    return !r->repo || !r->head_sha || !r->action || !r->summary || !r->reasons_json ||
                   !r->commit_sha
               ? LQ_ENOMEM
               : 0;
}

int lq_store_audit_list(lq_store *st, const char *repo, int number, size_t limit,
                        lq_audit_row **out, size_t *count, lq_error *err)
{
    *out = NULL;
    *count = 0;
    if (limit > 100000)
        limit = 100000;
    collect_ctx c = {calloc(limit ? limit : 1, sizeof(lq_audit_row)), 0};
    if (!c.rows)
        return lq_error_set(err, LQ_ENOMEM, "out of memory");
    int rc = limit ? st->ops->audit_each(st->be, repo ? repo : "", number, (long)limit,
                                         collect_row, &c, err)
                   : LQ_OK;
    if (rc == LQ_ENOMEM)
        lq_error_set(err, LQ_ENOMEM, "out of memory");
    if (rc != LQ_OK) {
        lq_store_audit_rows_free(c.rows, c.n);
        return rc;
    }
    *out = c.rows;
    *count = c.n;
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
    return st->ops->landings(st->be, limit > 10000 ? 10000 : limit, out, count, err);
}

void lq_store_freeze_rows_free(lq_freeze_row *rows, size_t n)
{
    for (size_t i = 0; rows && i < n; i++)
        free(rows[i].reason);
    free(rows);
}

int lq_store_freeze_set(lq_store *st, const char *repo, const char *branch, const char *reason,
                        const char *by, int64_t since_ms, lq_error *err)
{
    return st->ops->freeze_set(st->be, repo, branch, reason ? reason : "", by ? by : "",
                               since_ms, err);
}

int lq_store_freeze_clear(lq_store *st, const char *repo, const char *branch, int *was,
                          lq_error *err)
{
    int w = 0;
    int rc = st->ops->freeze_clear(st->be, repo, branch, &w, err);
    if (was)
        *was = rc == LQ_OK && w;
    return rc;
}

int lq_store_freeze_list(lq_store *st, lq_freeze_row **out, size_t *count, lq_error *err)
{
    *out = NULL;
    *count = 0;
    return st->ops->freeze_list(st->be, NULL, NULL, out, count, err);
}

int lq_store_freeze_get(lq_store *st, const char *repo, const char *branch, lq_freeze_row *out,
                        lq_error *err)
{
    memset(out, 0, sizeof(*out));
    lq_freeze_row *rows = NULL;
    size_t n = 0;
    int rc = st->ops->freeze_list(st->be, repo, branch, &rows, &n, err);
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

int lq_store_audit_prune(lq_store *st, int64_t before_ms, int limit, int64_t *out_deleted,
                         lq_error *err)
{
    int64_t d = 0;
    if (limit <= 0)
        return lq_error_set(err, LQ_EINVAL, "store: prune batch limit must be positive");
    int rc = st->ops->audit_prune(st->be, before_ms, limit, &d, err);
    if (out_deleted)
        *out_deleted = rc == LQ_OK ? d : 0;
    return rc;
}

int lq_store_train_get(lq_store *st, const char *repo, const char *base, char **json,
                       lq_error *err)
{
    *json = NULL;
    return st->ops->train_get(st->be, repo, base, json, err);
}

int lq_store_train_put(lq_store *st, const char *repo, const char *base, const char *json,
                       lq_error *err)
{
    return st->ops->train_put(st->be, repo, base, json, err);
}

int lq_store_meta_get(lq_store *st, char **body, int64_t *fetched_at, lq_error *err)
{
    *body = NULL;
    *fetched_at = 0;
    return st->ops->meta_get(st->be, body, fetched_at, err);
}

int lq_store_meta_put(lq_store *st, const char *body, int64_t fetched_at, lq_error *err)
{
    return st->ops->meta_put(st->be, body, fetched_at, err);
}

int lq_store_info_get(lq_store *st, lq_store_info *out, lq_error *err)
{
    return st->ops->info(st->be, out, err);
}

int lq_store_reclaim(lq_store *st, int64_t *out_bytes, lq_error *err)
{
    int64_t b = 0;
    int rc = st->ops->reclaim(st->be, &b, err);
    if (out_bytes)
        *out_bytes = rc == LQ_OK ? b : 0;
    return rc;
}
