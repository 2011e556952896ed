/* ops.c -- the ops listener (libmicrohttpd, a thread per connection): routes registered by the
 * rest of landq, admin routes behind a bearer token, streamed responses. See ops.h. */
#include "ops.h"

#include <microhttpd.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "intake.h" /* lq_listen_parse */

#define DEFAULT_MAX_CONNECTIONS 64
#define DEFAULT_TIMEOUT_S 60
#define DEFAULT_MAX_BODY ((size_t)64 * 1024)
#define STREAM_BLOCK 4096

typedef struct route {
    char *method, *path;
    size_t path_len;
    unsigned flags;
    lq_ops_handler fn;
    void *ctx;
} route;

struct lq_ops {
    struct MHD_Daemon *daemon;
    int port;
    char *admin_token; /* NULL: admin routes disabled */
    size_t admin_len;
    size_t max_body;
    pthread_rwlock_t routes_lock;
    route *routes;
    size_t nroutes;
    atomic_int stopping;
};

typedef struct header {
    char *name, *value;
} header;

struct lq_ops_response {
    int replied;
    int status;
    char *ctype;
    char *body;
    size_t len;
    lq_ops_stream_fn next;
    void *stream_ctx;
    void (*free_ctx)(void *);
    header *headers;
    size_t nheaders;
    int failed; /* out of memory while building it: 500 */
};

/* Per-request state (MHD's *con_cls) of a request with a body: its route and the body. */
typedef struct pending {
    route rt;
    char *body;
    size_t len, cap;
    int too_big, answered;
} pending;

static char *xstrdup(const char *s)
{
    return s ? strdup(s) : NULL;
}

const char *lq_ops_query(const lq_ops_request *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn_, MHD_GET_ARGUMENT_KIND, name);
}

const char *lq_ops_header(const lq_ops_request *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn_, MHD_HEADER_KIND, name);
}

static enum MHD_Result add_size(void *cls, enum MHD_ValueKind kind, const char *key,
                                const char *value)
{
    (void)kind;
    *(size_t *)cls += (key ? strlen(key) : 0) + (value ? strlen(value) + 1 : 0) + 1;
    return MHD_YES;
}

size_t lq_ops_query_size(const lq_ops_request *req)
{
    size_t n = 0;
    MHD_get_connection_values(req->conn_, MHD_GET_ARGUMENT_KIND, add_size, &n);
    return n;
}

static void response_reset_body(lq_ops_response *resp)
{
    free(resp->body);
    free(resp->ctype);
    resp->body = resp->ctype = NULL;
    if (resp->free_ctx && resp->stream_ctx)
        resp->free_ctx(resp->stream_ctx);
    resp->next = NULL;
    resp->stream_ctx = NULL;
    resp->free_ctx = NULL;
}

void lq_ops_reply(lq_ops_response *resp, int status, const char *content_type, char *body,
                  size_t len)
{
    response_reset_body(resp); /* a second reply replaces the first */
    resp->replied = 1;
    resp->status = status;
    resp->body = body;
    resp->len = body ? len : 0;
    resp->ctype = xstrdup(content_type ? content_type : "text/plain; charset=utf-8");
    if (!resp->ctype || (len && !body))
        resp->failed = 1;
}

void lq_ops_reply_text(lq_ops_response *resp, int status, const char *content_type,
                       const char *text)
{
    char *copy = xstrdup(text ? text : "");
    lq_ops_reply(resp, status, content_type, copy, copy ? strlen(copy) : 1);
}

void lq_ops_add_header(lq_ops_response *resp, const char *name, const char *value)
{
    header *nh = realloc(resp->headers, (resp->nheaders + 1) * sizeof(*nh));
    if (!nh) {
        resp->failed = 1;
        return;
    }
    resp->headers = nh;
    nh[resp->nheaders].name = xstrdup(name);
    nh[resp->nheaders].value = xstrdup(value);
    if (!nh[resp->nheaders].name || !nh[resp->nheaders].value)
        resp->failed = 1;
    resp->nheaders++;
}

void lq_ops_reply_stream(lq_ops_response *resp, int status, const char *content_type,
                         lq_ops_stream_fn next, void *ctx, void (*free_ctx)(void *ctx))
{
    response_reset_body(resp);
    resp->replied = 1;
    resp->status = status;
    resp->ctype = xstrdup(content_type ? content_type : "text/event-stream");
    resp->next = next;
    resp->stream_ctx = ctx;
    resp->free_ctx = free_ctx;
    if (!resp->ctype || !next)
        resp->failed = 1;
}

static void response_dispose(lq_ops_response *resp)
{
    response_reset_body(resp);
    for (size_t i = 0; i < resp->nheaders; i++) {
        free(resp->headers[i].name);
        free(resp->headers[i].value);
    }
    free(resp->headers);
}

int lq_ops_route(lq_ops *ops, const char *method, const char *path, unsigned flags,
                 lq_ops_handler fn, void *ctx, lq_error *err)
{
    if (!method || !*method || !path || path[0] != '/' || !fn ||
        (flags & ~(unsigned)(LQ_OPS_PREFIX | LQ_OPS_ADMIN)))
        return lq_error_set(err, LQ_EINVAL, "ops route: bad method, path '%s', flags or handler",
                            path ? path : "");
    pthread_rwlock_wrlock(&ops->routes_lock);
    int rc = LQ_OK;
    for (size_t i = 0; i < ops->nroutes; i++) {
        route *r = &ops->routes[i];
        if (!strcmp(r->method, method) && !strcmp(r->path, path) &&
            (r->flags & LQ_OPS_PREFIX) == (flags & LQ_OPS_PREFIX)) {
            rc = lq_error_set(err, LQ_EINVAL, "ops route: %s %s is already registered", method,
                              path);
            goto out;
        }
    }
    route *nr = realloc(ops->routes, (ops->nroutes + 1) * sizeof(*nr));
    if (!nr) {
        rc = lq_error_set(err, LQ_ENOMEM, "out of memory");
        goto out;
    }
    ops->routes = nr;
    route *r = &nr[ops->nroutes];
    r->method = xstrdup(method);
    r->path = xstrdup(path);
    if (!r->method || !r->path) {
        free(r->method);
        free(r->path);
        rc = lq_error_set(err, LQ_ENOMEM, "out of memory");
        goto out;
    }
    r->path_len = strlen(path);
    r->flags = flags;
    r->fn = fn;
    r->ctx = ctx;
    ops->nroutes++;
out:
    pthread_rwlock_unlock(&ops->routes_lock);
    return rc;
}

/* The best route for path (exact, then the longest prefix) and method; *path_known tells
 * whether some route has that path with another method (405), *allow lists those methods. */
static int find_route(lq_ops *ops, const char *method, const char *path, route *out,
                      int *path_known, char *allow, size_t allow_cap)
{
    const route *best = NULL;
    *path_known = 0;
    allow[0] = '\0';
    for (size_t i = 0; i < ops->nroutes; i++) {
        const route *r = &ops->routes[i];
        int match = (r->flags & LQ_OPS_PREFIX) ? !strncmp(path, r->path, r->path_len)
                                               : !strcmp(path, r->path);
        if (!match)
            continue;
        if (strcmp(r->method, method)) {
            *path_known = 1;
            size_t n = strlen(allow);
            if (!strstr(allow, r->method))
                snprintf(allow + n, allow_cap - n, "%s%s%s", n ? ", " : "", r->method,
                         !strcmp(r->method, "GET") ? ", HEAD" : "");
            continue;
        }
        if (!best || (!(r->flags & LQ_OPS_PREFIX) && (best->flags & LQ_OPS_PREFIX)) ||
            ((r->flags & LQ_OPS_PREFIX) && (best->flags & LQ_OPS_PREFIX) &&
             r->path_len > best->path_len))
            best = r;
    }
    if (best)
        *out = *best;
    return best != NULL;
}

static ssize_t stream_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    lq_ops_response *resp = cls;
    (void)pos;
    ssize_t n = resp->next(resp->stream_ctx, buf, max);
    if (n > 0)
        return n > (ssize_t)max ? (ssize_t)max : n;
    return n == 0 ? MHD_CONTENT_READER_END_OF_STREAM : MHD_CONTENT_READER_END_WITH_ERROR;
}

static void stream_free(void *cls)
{
    lq_ops_response *resp = cls;
    response_dispose(resp);
    free(resp);
}

static int has_header(const lq_ops_response *resp, const char *name)
{
    for (size_t i = 0; i < resp->nheaders; i++)
        if (!strcasecmp(resp->headers[i].name, name))
            return 1;
    return 0;
}

/* Queues resp (taken) on c. */
static enum MHD_Result send_response(struct MHD_Connection *c, lq_ops_response *resp)
{
    if (resp->failed || !resp->replied) {
        response_dispose(resp);
        memset(resp, 0, sizeof(*resp));
        lq_ops_reply_text(resp, 500, NULL,
                          resp->failed ? "out of memory\n" : "the handler gave no answer\n");
    }
    struct MHD_Response *r;
    lq_ops_response *heap = NULL;
    if (resp->next) { /* the response outlives this call: move it to the heap */
        heap = malloc(sizeof(*heap));
        if (!heap) {
            response_dispose(resp);
            return MHD_NO;
        }
        *heap = *resp;
        memset(resp, 0, sizeof(*resp));
        r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, STREAM_BLOCK, stream_reader,
                                              heap, stream_free);
        if (!r) {
            stream_free(heap);
            return MHD_NO;
        }
        resp = heap;
    } else {
        r = MHD_create_response_from_buffer(resp->len, resp->body, MHD_RESPMEM_MUST_FREE);
        if (!r) {
            response_dispose(resp);
            return MHD_NO;
        }
        resp->body = NULL; /* MHD owns it now */
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, resp->ctype);
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    if (!has_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL))
        MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    for (size_t i = 0; i < resp->nheaders; i++)
        MHD_add_response_header(r, resp->headers[i].name, resp->headers[i].value);
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)resp->status, r);
    MHD_destroy_response(r); /* a stream's state is freed by stream_free once MHD is done */
    if (!heap)
        response_dispose(resp);
    return ret;
}

static enum MHD_Result simple(struct MHD_Connection *c, int status, const char *text,
                              const char *hname, const char *hvalue)
{
    lq_ops_response resp = {0};
    lq_ops_reply_text(&resp, status, NULL, text);
    if (hname)
        lq_ops_add_header(&resp, hname, hvalue);
    return send_response(c, &resp);
}

/* 1 when the request carries the admin token (constant time in the token's length). */
static int admin_ok(lq_ops *ops, struct MHD_Connection *c)
{
    const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                   MHD_HTTP_HEADER_AUTHORIZATION);
    if (!auth || strncasecmp(auth, "Bearer ", 7))
        return 0;
    const char *tok = auth + 7;
    while (*tok == ' ')
        tok++;
    size_t n = strlen(tok);
    while (n && (tok[n - 1] == ' ' || tok[n - 1] == '\t'))
        n--;
    /* Compare over the configured length whatever was sent, then the lengths. */
    unsigned char diff = 0;
    for (size_t i = 0; i < ops->admin_len; i++)
        diff |= (unsigned char)(ops->admin_token[i] ^ (i < n ? tok[i] : 0));
    return (diff == 0) & (n == ops->admin_len);
}

static enum MHD_Result run(struct MHD_Connection *c, const route *rt, const char *method,
                           const char *url, const pending *p)
{
    lq_ops_request req = {.method = method, .path = url,
                          .rest = (rt->flags & LQ_OPS_PREFIX) ? url + rt->path_len : "",
                          .body = p && p->body ? p->body : "", .body_len = p ? p->len : 0,
                          .conn_ = c};
    lq_ops_response resp = {0};
    rt->fn(rt->ctx, &req, &resp);
    return send_response(c, &resp);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_size, void **con_cls)
{
    lq_ops *ops = cls;
    pending *p = *con_cls;
    (void)version;
    const char *m = strcmp(method, "HEAD") ? method : "GET";
    if (!p) { /* headers in: route and authorize before any body is read */
        route rt;
        int known;
        char allow[128];
        pthread_rwlock_rdlock(&ops->routes_lock);
        int found = find_route(ops, m, url, &rt, &known, allow, sizeof allow);
        pthread_rwlock_unlock(&ops->routes_lock);
        if (!found) {
            if (known)
                return simple(c, 405, "method not allowed\n", MHD_HTTP_HEADER_ALLOW, allow);
            return simple(c, 404, "not found\n", NULL, NULL);
        }
        if (rt.flags & LQ_OPS_ADMIN) {
            if (!ops->admin_token)
                return simple(c, 403, "admin API disabled: landq runs without an admin token\n",
                              NULL, NULL);
            if (!admin_ok(ops, c))
                return simple(c, 401, "admin token required (Authorization: Bearer TOKEN)\n",
                              MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"landq\"");
        }
        if (!strcmp(m, "GET"))
            return run(c, &rt, m, url, NULL);
        if (!(p = calloc(1, sizeof(*p))))
            return MHD_NO;
        p->rt = rt;
        *con_cls = p;
        return MHD_YES;
    }
    if (*upload_size) {
        size_t n = *upload_size;
        *upload_size = 0;
        if (p->too_big || n > ops->max_body - p->len) {
            p->too_big = 1; /* the rest is discarded, then 413 */
            return MHD_YES;
        }
        if (p->len + n + 1 > p->cap) {
            size_t cap = p->cap ? p->cap * 2 : 1024;
            while (cap < p->len + n + 1)
                cap *= 2;
            char *nb = realloc(p->body, cap);
            if (!nb)
                return MHD_NO;
            p->body = nb;
            p->cap = cap;
        }
        memcpy(p->body + p->len, upload_data, n);
        p->len += n;
        p->body[p->len] = '\0';
        return MHD_YES;
    }
    if (p->answered)
        return MHD_YES;
    p->answered = 1;
    if (p->too_big) {
        char msg[96];
        snprintf(msg, sizeof msg, "request body over %zu bytes\n", ops->max_body);
        return simple(c, 413, msg, NULL, NULL);
    }
    return run(c, &p->rt, m, url, p);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    pending *p = *con_cls;
    if (p) {
        free(p->body);
        free(p);
    }
    *con_cls = NULL;
}

int lq_ops_start(lq_ops **out, const lq_ops_config *cfg, lq_error *err)
{
    *out = NULL;
    struct sockaddr_storage addr;
    socklen_t addr_len;
    lq_error e2;
    if (lq_listen_parse(&addr, &addr_len, cfg ? cfg->listen : NULL, &e2) != LQ_OK)
        return lq_error_set(err, LQ_EINVAL, "ops listener: %s", e2.msg);
    lq_ops *ops = calloc(1, sizeof(*ops));
    if (!ops)
        return lq_error_set(err, LQ_ENOMEM, "out of memory");
    pthread_rwlock_init(&ops->routes_lock, NULL);
    ops->max_body = cfg->max_body ? cfg->max_body : DEFAULT_MAX_BODY;
    if (cfg->admin_token && *cfg->admin_token) {
        if (!(ops->admin_token = strdup(cfg->admin_token))) {
            lq_ops_stop(ops);
            return lq_error_set(err, LQ_ENOMEM, "out of memory");
        }
        ops->admin_len = strlen(ops->admin_token);
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
                     MHD_USE_POLL;
    if (addr.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    ops->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, ops, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
        MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)(cfg->max_connections ? cfg->max_connections : DEFAULT_MAX_CONNECTIONS),
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)(cfg->timeout_s ? cfg->timeout_s : DEFAULT_TIMEOUT_S),
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, ops, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        (size_t)64 * 1024, MHD_OPTION_THREAD_STACK_SIZE, (size_t)512 * 1024, MHD_OPTION_END);
    if (!ops->daemon) {
        lq_ops_stop(ops);
        return lq_error_set(err, LQ_ERROR, "address in use, or not an address of this host");
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(ops->daemon, MHD_DAEMON_INFO_BIND_PORT);
    ops->port = di ? (int)di->port : 0;
    *out = ops;
    return LQ_OK;
}

int lq_ops_port(const lq_ops *ops)
{
    return ops ? ops->port : 0;
}

int lq_ops_stopping(const lq_ops *ops)
{
    return !ops || atomic_load(&ops->stopping);
}

void lq_ops_stop(lq_ops *ops)
{
    if (!ops)
        return;
    atomic_store(&ops->stopping, 1);
    if (ops->daemon)
        MHD_stop_daemon(ops->daemon); /* joins the connection threads */
    for (size_t i = 0; i < ops->nroutes; i++) {
        free(ops->routes[i].method);
        free(ops->routes[i].path);
    }
    free(ops->routes);
    if (ops->admin_token) {
        OPENSSL_cleanse(ops->admin_token, ops->admin_len);
        free(ops->admin_token);
    }
    pthread_rwlock_destroy(&ops->routes_lock);
    free(ops);
}
