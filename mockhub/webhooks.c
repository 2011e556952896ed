/* webhooks.c -- the webhook sender: deliveries are queued under the state lock and posted by one
 * sender thread with libcurl (10 s timeout, no automatic redelivery, as GitHub). Keeps the
 * delivery log behind the deliveries API, and applies webhook faults (drop, duplicate, delay,
 * reorder). Lock order: state lock, then q.lock; the sender never takes the state lock. */
#include "mockhub.h"
#include "core/mh_sign.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

enum { D_QUEUED, D_SENDING, D_DONE, D_DROPPED };

typedef struct {
    int64_t id;
    char guid[37];
    int64_t hook_id, repo_id;
    int64_t app_id; /* > 0: an App's webhook (target type "integration") */
    char event[48];
    char *action;
    char *url, *secret, *content_type;
    char *body; /* JSON payload */
    int redelivery;
    int state;
    int held; /* reorder: waits until a later delivery has been sent */
    double not_before;
    uint64_t seq;
    /* result */
    long status_code;
    char status[160];
    double duration;
    time_t delivered_at;
    json_t *req_headers;
    char *resp_body;
} delivery;

static struct {
    pthread_mutex_t lock;
    pthread_cond_t wake, idle;
    delivery **all;
    size_t n, cap;
    size_t pending; /* queued + sending */
    uint64_t seq;
    int stop;
    pthread_t thread;
    int running;
} q = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, 0, 0, 0, 0, 0, 0, 0};

static double now_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return tv.tv_sec * 1000.0 + tv.tv_usec / 1000.0;
}

static void delivery_free(delivery *d)
{
    free(d->action);
    free(d->url);
    free(d->secret);
    free(d->content_type);
    free(d->body);
    free(d->resp_body);
    json_decref(d->req_headers);
    free(d);
}

/* under q.lock: the log keeps at most MAX_LOG finished deliveries (oldest dropped first) */
#define MAX_LOG 20000
static void trim_log(void)
{
    size_t done = 0;
    for (size_t i = 0; i < q.n; i++)
        done += q.all[i]->state == D_DONE || q.all[i]->state == D_DROPPED;
    if (done <= MAX_LOG)
        return;
    size_t drop = done - MAX_LOG / 2, j = 0;
    for (size_t i = 0; i < q.n; i++) {
        delivery *d = q.all[i];
        if (drop && (d->state == D_DONE || d->state == D_DROPPED)) {
            delivery_free(d);
            drop--;
        } else {
            q.all[j++] = d;
        }
    }
    q.n = j;
}

static void push(delivery *d)
{
    if (q.n == q.cap)
        trim_log();
    if (q.n == q.cap) {
        q.cap = q.cap ? q.cap * 2 : 64;
        q.all = realloc(q.all, q.cap * sizeof *q.all);
    }
    d->seq = ++q.seq;
    q.all[q.n++] = d;
    if (d->state == D_QUEUED)
        q.pending++;
    pthread_cond_broadcast(&q.wake);
}

static delivery *make(mh_repo *r, json_t *hook, const char *event, const char *action, const char *guid,
                      const char *body)
{
    delivery *d = calloc(1, sizeof *d);
    d->id = mh_next_id();
    snprintf(d->guid, sizeof d->guid, "%s", guid);
    d->hook_id = json_integer_value(json_object_get(hook, "id"));
    d->repo_id = r ? r->id : 0;
    d->app_id = json_integer_value(json_object_get(hook, "app_id"));
    snprintf(d->event, sizeof d->event, "%s", event);
    d->action = action ? strdup(action) : NULL;
    d->url = strdup(json_string_value(json_object_get(hook, "url")));
    d->secret = strdup(json_string_value(json_object_get(hook, "secret")) ? json_string_value(json_object_get(hook, "secret")) : "");
    d->content_type = strdup(json_string_value(json_object_get(hook, "content_type")) ? json_string_value(json_object_get(hook, "content_type")) : "json");
    d->body = strdup(body);
    d->state = D_QUEUED;
    d->status_code = 0;
    snprintf(d->status, sizeof d->status, "queued");
    return d;
}

static int hook_wants(json_t *hook, const char *event)
{
    if (!json_is_true(json_object_get(hook, "active")))
        return 0;
    if (!strcmp(event, "ping"))
        return 1;
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(hook, "events"), i, e) {
        const char *s = json_string_value(e);
        if (s && (!strcmp(s, "*") || !strcmp(s, event)))
            return 1;
    }
    return 0;
}

static void enqueue(mh_repo *r, json_t *hook, const char *event, const char *action, const char *guid,
                    const char *body)
{
    const mh_fault *f = mh_faults_match_webhook(&g_mh->faults, event, action);
    delivery *d = make(r, hook, event, action, guid, body);
    pthread_mutex_lock(&q.lock);
    if (f) {
        mh_log("info", "fault", "id=%d kind=%s event=%s action=%s guid=%s hook=%lld", f->id,
               mh_fault_kind_name(f->kind), event, action ? action : "-", guid, (long long)d->hook_id);
        if (f->kind == MH_FAULT_DROP) {
            d->state = D_DROPPED;
            snprintf(d->status, sizeof d->status, "dropped by mockhub fault %d", f->id);
        } else if (f->kind == MH_FAULT_HOLD) {
            d->not_before = now_ms() + (double)f->delay_ms;
        } else if (f->kind == MH_FAULT_REORDER) {
            d->held = 1;
        } else if (f->kind == MH_FAULT_DUPLICATE) {
            push(make(r, hook, event, action, guid, body));
        }
    }
    push(d);
    pthread_mutex_unlock(&q.lock);
}

void mh_hooks_emit(mh_repo *r, const char *event, json_t *payload)
{
    char guid[37];
    mh_hooks_emit_guid(r, event, payload, guid);
}

int mh_hooks_emit_guid(mh_repo *r, const char *event, json_t *payload, char guid[37])
{
    const char *action = json_string_value(json_object_get(payload, "action"));
    mh_rng_uuid(&g_mh->rng, guid);
    char *body = json_dumps(payload, JSON_COMPACT);
    int sent = 0;
    size_t i;
    json_t *hook;
    json_array_foreach(r->hooks, i, hook) {
        if (!hook_wants(hook, event))
            continue;
        enqueue(r, hook, event, action, guid, body);
        sent++;
    }
    /* GitHub Apps with a webhook and an installation covering this repository get the same event
     * (same GUID) with "installation": {id, node_id} added. */
    json_array_foreach(g_mh->apps, i, hook) {
        json_t *wh = json_object_get(hook, "webhook");
        json_t *inst = wh ? mh_app_installation_for(hook, r) : NULL;
        if (!inst || !hook_wants(wh, event))
            continue;
        json_t *copy = json_copy(payload);
        json_object_set_new(copy, "installation", json_pack("{s:O, s:s}", "id", json_object_get(inst, "id"), "node_id",
                                                            "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9u"));
        char *abody = json_dumps(copy, JSON_COMPACT);
        enqueue(r, wh, event, action, guid, abody);
        free(abody);
        json_decref(copy);
        sent++;
    }
    mh_log("info", "webhook-queued", "event=%s action=%s guid=%s repo=%s hooks=%d", event, action ? action : "-", guid,
           r->full_name, sent);
    free(body);
    json_decref(payload);
    return sent;
}

void mh_hooks_ping(mh_repo *r, json_t *hook)
{
    json_t *h = mh_render_hook(r, hook);
    json_t *cfg = json_object_get(h, "config");
    json_object_del(cfg, "secret");
    static const char *zen[] = {"Keep it logically awesome.", "Design for failure.", "Practicality beats purity.",
                                "Non-blocking is better than blocking.", "Avoid administrative distraction."};
    json_t *p = json_pack("{s:s, s:O, s:o, s:o, s:o}", "zen", zen[mh_rng_next(&g_mh->rng) % 5], "hook_id",
                          json_object_get(hook, "id"), "hook", h, "repository", mh_render_repo(r, NULL, 2, 0),
                          "sender", mh_render_user(r->owner));
    char guid[37];
    mh_rng_uuid(&g_mh->rng, guid);
    char *body = json_dumps(p, JSON_COMPACT);
    enqueue(r, hook, "ping", NULL, guid, body);
    mh_log("info", "webhook-queued", "event=ping guid=%s repo=%s hook=%lld", guid, r->full_name,
           (long long)json_integer_value(json_object_get(hook, "id")));
    free(body);
    json_decref(p);
}

/* ---- sender ---- */

typedef struct {
    mh_buf body;
} sink;

static size_t on_body(char *ptr, size_t size, size_t n, void *ud)
{
    sink *s = ud;
    if (s->body.len < 65536)
        mh_buf_put(&s->body, ptr, size * n);
    return size * n;
}

/* Lets shutdown interrupt a delivery that waits on a slow receiver. */
static int on_progress(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
    (void)ud;
    (void)dt;
    (void)dn;
    (void)ut;
    (void)un;
    return __atomic_load_n(&q.stop, __ATOMIC_RELAXED) ? 1 : 0;
}

/* A hook's url may list several URLs separated by spaces (a mockhub extension for tests of
 * several receivers: `mockhub chaos --instances N`): deliveries go to them round robin. */
static unsigned rr_next;

static int urls_count(const char *urls)
{
    int n = 0;
    for (const char *p = urls; *p;) {
        p += strspn(p, " ");
        if (!*p)
            break;
        n++;
        p += strcspn(p, " ");
    }
    return n ? n : 1;
}

static void url_at(const char *urls, int i, char *out, size_t len)
{
    const char *p = urls;
    size_t n = 0;
    for (int k = 0; k <= i && *p; k++) {
        p += strspn(p, " ");
        n = strcspn(p, " ");
        if (k < i)
            p += n;
    }
    snprintf(out, len, "%.*s", (int)n, p);
}

static void send_one(delivery *d)
{
    CURL *curl = curl_easy_init();
    mh_buf body;
    mh_buf_init(&body);
    if (!strcmp(d->content_type, "form")) {
        char *enc = curl_easy_escape(curl, d->body, 0);
        mh_buf_printf(&body, "payload=%s", enc);
        curl_free(enc);
    } else {
        mh_buf_puts(&body, d->body);
    }
    json_t *hdrs = json_object();
    char v[128];
    json_object_set_new(hdrs, "Accept", json_string("*/*"));
    json_object_set_new(hdrs, "User-Agent", json_string("GitHub-Hookshot/mockhub"));
    json_object_set_new(hdrs, "X-GitHub-Event", json_string(d->event));
    json_object_set_new(hdrs, "X-GitHub-Delivery", json_string(d->guid));
    snprintf(v, sizeof v, "%lld", (long long)d->hook_id);
    json_object_set_new(hdrs, "X-GitHub-Hook-ID", json_string(v));
    json_object_set_new(hdrs, "X-GitHub-Hook-Installation-Target-Type", json_string(d->app_id > 0 ? "integration" : "repository"));
    snprintf(v, sizeof v, "%lld", (long long)(d->app_id > 0 ? d->app_id : d->repo_id));
    json_object_set_new(hdrs, "X-GitHub-Hook-Installation-Target-ID", json_string(v));
    json_object_set_new(hdrs, "Content-Type", json_string(!strcmp(d->content_type, "form") ? "application/x-www-form-urlencoded" : "application/json"));
    if (*d->secret) {
        char sig[72], sig1[46];
        if (mh_sign_sha256(sig, d->secret, body.ptr, body.len) == 0)
            json_object_set_new(hdrs, "X-Hub-Signature-256", json_string(sig));
        if (mh_sign_sha1(sig1, d->secret, body.ptr, body.len) == 0)
            json_object_set_new(hdrs, "X-Hub-Signature", json_string(sig1));
    }
    struct curl_slist *list = NULL;
    const char *k;
    json_t *hv;
    json_object_foreach(hdrs, k, hv) {
        char line[512];
        snprintf(line, sizeof line, "%s: %s", k, json_string_value(hv));
        list = curl_slist_append(list, line);
    }
    list = curl_slist_append(list, "Expect:");
    sink s;
    mh_buf_init(&s.body);
    char url[1024];
    int tries = urls_count(d->url);
    int pick = (int)(__atomic_fetch_add(&rr_next, 1, __ATOMIC_RELAXED) % (unsigned)tries);
    url_at(d->url, pick, url, sizeof url);
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.ptr);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)body.len);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 10000L);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &s);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
    double t0 = now_ms();
    CURLcode rc = curl_easy_perform(curl);
    /* several URLs: a refused connection goes to the next one, as a load balancer whose health
     * check took the dead backend out would (the body was not sent, so nothing is delivered twice) */
    for (int t = 1; t < tries && rc == CURLE_COULDNT_CONNECT; t++) {
        url_at(d->url, (pick + t) % tries, url, sizeof url);
        curl_easy_setopt(curl, CURLOPT_URL, url);
        mh_buf_dispose(&s.body);
        mh_buf_init(&s.body);
        rc = curl_easy_perform(curl);
    }
    double dt = (now_ms() - t0) / 1000.0;
    long code = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
    pthread_mutex_lock(&q.lock);
    d->duration = dt;
    d->delivered_at = mh_now();
    d->status_code = rc == CURLE_OK ? code : 0;
    if (rc == CURLE_OPERATION_TIMEDOUT)
        snprintf(d->status, sizeof d->status, "timed out");
    else if (rc != CURLE_OK)
        snprintf(d->status, sizeof d->status, "failed to connect to host: %s", curl_easy_strerror(rc));
    else if (code >= 200 && code < 300)
        snprintf(d->status, sizeof d->status, "OK");
    else
        snprintf(d->status, sizeof d->status, "Invalid HTTP Response: %ld", code);
    json_decref(d->req_headers);
    d->req_headers = hdrs;
    free(d->resp_body);
    d->resp_body = mh_buf_take(&s.body);
    pthread_mutex_unlock(&q.lock);
    mh_log("info", "webhook-sent", "event=%s action=%s guid=%s hook=%lld url=%s status=%ld result=\"%s\" ms=%.1f",
           d->event, d->action ? d->action : "-", d->guid, (long long)d->hook_id, url, d->status_code, d->status,
           dt * 1000);
    curl_slist_free_all(list);
    curl_easy_cleanup(curl);
    mh_buf_dispose(&body);
    mh_buf_dispose(&s.body);
}

/* under q.lock: the next deliverable item, or NULL; *wait_ms gets the time to the next due one */
static delivery *next_due(double *wait_ms)
{
    double now = now_ms();
    delivery *best = NULL;
    int any_unheld = 0;
    *wait_ms = 1000;
    for (size_t i = 0; i < q.n; i++) {
        delivery *d = q.all[i];
        if (d->state != D_QUEUED)
            continue;
        if (!d->held)
            any_unheld = 1;
        if (d->held)
            continue;
        if (d->not_before > now) {
            if (d->not_before - now < *wait_ms)
                *wait_ms = d->not_before - now;
            continue;
        }
        if (!best || d->seq < best->seq)
            best = d;
    }
    if (!best && !any_unheld) { /* only held ones left: release them */
        for (size_t i = 0; i < q.n; i++)
            if (q.all[i]->state == D_QUEUED && q.all[i]->held) {
                q.all[i]->held = 0;
                if (!best)
                    best = q.all[i];
            }
    }
    return best;
}

static void *sender_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&q.lock);
    while (!q.stop) {
        double wait_ms;
        delivery *d = next_due(&wait_ms);
        if (!d) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            long ns = ts.tv_nsec + (long)(wait_ms * 1e6);
            ts.tv_sec += ns / 1000000000L;
            ts.tv_nsec = ns % 1000000000L;
            pthread_cond_timedwait(&q.wake, &q.lock, &ts);
            continue;
        }
        d->state = D_SENDING;
        pthread_mutex_unlock(&q.lock);
        send_one(d);
        pthread_mutex_lock(&q.lock);
        d->state = D_DONE;
        /* a reordered delivery goes after the one that overtook it */
        for (size_t i = 0; i < q.n; i++)
            if (q.all[i]->held && q.all[i]->seq < d->seq)
                q.all[i]->held = 0;
        q.pending--;
        pthread_cond_broadcast(&q.idle);
    }
    pthread_mutex_unlock(&q.lock);
    return NULL;
}

int mh_hooks_start(void)
{
    q.stop = 0;
    if (pthread_create(&q.thread, NULL, sender_main, NULL) != 0)
        return -1;
    q.running = 1;
    return 0;
}

void mh_hooks_stop(void)
{
    if (q.running) {
        pthread_mutex_lock(&q.lock);
        __atomic_store_n(&q.stop, 1, __ATOMIC_RELAXED);
        pthread_cond_broadcast(&q.wake);
        pthread_mutex_unlock(&q.lock);
        pthread_join(q.thread, NULL);
        q.running = 0;
    }
    for (size_t i = 0; i < q.n; i++)
        delivery_free(q.all[i]);
    free(q.all);
    q.all = NULL;
    q.n = q.cap = q.pending = 0;
}

int mh_hooks_wait_idle(long timeout_ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    long long ns = ts.tv_nsec + (long long)timeout_ms * 1000000LL;
    ts.tv_sec += (time_t)(ns / 1000000000LL);
    ts.tv_nsec = (long)(ns % 1000000000LL);
    pthread_mutex_lock(&q.lock);
    int rc = 0;
    while (q.pending > 0) {
        pthread_cond_broadcast(&q.wake);
        if (pthread_cond_timedwait(&q.idle, &q.lock, &ts) != 0) {
            rc = q.pending > 0 ? -1 : 0;
            break;
        }
    }
    pthread_mutex_unlock(&q.lock);
    return rc;
}

void mh_hooks_reset(void)
{
    pthread_mutex_lock(&q.lock);
    for (;;) {
        int sending = 0;
        for (size_t i = 0; i < q.n; i++) {
            delivery *d = q.all[i];
            if (d->state == D_QUEUED) { /* never sent: the world they belong to is gone */
                d->state = D_DROPPED;
                q.pending--;
            }
            sending |= d->state == D_SENDING;
        }
        if (!sending)
            break;
        pthread_cond_wait(&q.idle, &q.lock); /* the one in flight ends within its 10 s timeout */
    }
    for (size_t i = 0; i < q.n; i++)
        delivery_free(q.all[i]);
    q.n = 0;
    q.pending = 0;
    pthread_mutex_unlock(&q.lock);
}

size_t mh_hooks_pending(void)
{
    pthread_mutex_lock(&q.lock);
    size_t n = q.pending;
    pthread_mutex_unlock(&q.lock);
    return n;
}

static json_t *delivery_json(const delivery *d, int full)
{
    char when[32];
    mh_time_iso(when, d->delivered_at ? d->delivered_at : mh_now());
    json_t *o = json_pack("{s:I, s:s, s:s, s:b, s:f, s:s, s:I, s:s, s:o, s:n, s:I, s:n}", "id", (json_int_t)d->id,
                          "guid", d->guid, "delivered_at", when, "redelivery", d->redelivery, "duration", d->duration,
                          "status", d->status, "status_code", (json_int_t)d->status_code, "event", d->event,
                          "action", d->action ? json_string(d->action) : json_null(), "installation_id",
                          "repository_id", (json_int_t)d->repo_id, "throttled_at");
    if (full) {
        json_error_t je;
        json_t *payload = json_loads(d->body, 0, &je);
        json_object_set_new(o, "url", json_string(d->url));
        json_object_set_new(o, "request", json_pack("{s:O, s:o}", "headers", d->req_headers ? d->req_headers : json_object(),
                                                     "payload", payload ? payload : json_null()));
        if (!d->req_headers)
            json_decref(json_object_get(json_object_get(o, "request"), "headers"));
        json_object_set_new(o, "response", json_pack("{s:{}, s:s}", "headers", "payload", d->resp_body ? d->resp_body : ""));
        json_object_set_new(o, "hook_id", json_integer(d->hook_id));
        json_object_set_new(o, "state", json_string(d->state == D_QUEUED ? "queued" : d->state == D_SENDING ? "sending" : d->state == D_DONE ? "done" : "dropped"));
    }
    return o;
}

json_t *mh_hooks_deliveries(int64_t hook_id, int64_t delivery_id)
{
    pthread_mutex_lock(&q.lock);
    json_t *out = delivery_id > 0 ? NULL : json_array();
    for (size_t i = q.n; i-- > 0;) { /* newest first, as GitHub */
        delivery *d = q.all[i];
        if (d->hook_id != hook_id || d->state == D_DROPPED)
            continue;
        if (delivery_id > 0) {
            if (d->id == delivery_id) {
                out = delivery_json(d, 1);
                break;
            }
        } else if (d->state == D_DONE) {
            json_array_append_new(out, delivery_json(d, 0));
        }
    }
    pthread_mutex_unlock(&q.lock);
    return out;
}

int mh_hooks_redeliver(int64_t hook_id, int64_t delivery_id)
{
    pthread_mutex_lock(&q.lock);
    delivery *src = NULL;
    for (size_t i = 0; i < q.n; i++)
        if (q.all[i]->hook_id == hook_id && q.all[i]->id == delivery_id)
            src = q.all[i];
    if (!src) {
        pthread_mutex_unlock(&q.lock);
        return -1;
    }
    delivery *d = calloc(1, sizeof *d);
    d->id = mh_next_id();
    memcpy(d->guid, src->guid, sizeof d->guid);
    d->hook_id = src->hook_id;
    d->repo_id = src->repo_id;
    memcpy(d->event, src->event, sizeof d->event);
    d->action = src->action ? strdup(src->action) : NULL;
    d->url = strdup(src->url);
    d->secret = strdup(src->secret);
    d->content_type = strdup(src->content_type);
    d->body = strdup(src->body);
    d->redelivery = 1;
    d->state = D_QUEUED;
    snprintf(d->status, sizeof d->status, "queued");
    push(d);
    pthread_mutex_unlock(&q.lock);
    mh_log("info", "webhook-redeliver", "guid=%s hook=%lld", d->guid, (long long)hook_id);
    return 0;
}

json_t *mh_hooks_log_json(void)
{
    pthread_mutex_lock(&q.lock);
    json_t *arr = json_array();
    for (size_t i = 0; i < q.n; i++)
        json_array_append_new(arr, delivery_json(q.all[i], 1));
    pthread_mutex_unlock(&q.lock);
    return arr;
}
