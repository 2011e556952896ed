/* sc_ci.c -- scenario steps and expectations for the CI simulator (see sc_ci.h). */
#include "sc_ci.h"

#include "mh_fault.h"
#include "mh_util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TRY_GLOB "landq/try/*"

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    mh_buf_put(ud, p, size * n);
    return size * n;
}

/* A request to mockhub's control API; *out gets the JSON answer (new ref or NULL). */
static int control(CURL *c, const char *api, const char *method, const char *path, const json_t *body, json_t **out)
{
    *out = NULL;
    char url[2048];
    snprintf(url, sizeof url, "%s%s", api, path);
    curl_easy_reset(c);
    mh_buf resp;
    mh_buf_init(&resp);
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    char *data = body ? json_dumps(body, JSON_COMPACT) : NULL;
    if (data)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, data);
    else if (!strcmp(method, "GET"))
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &resp);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 120L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    long status = -1;
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    if (resp.len) {
        json_error_t je;
        *out = json_loadb(resp.ptr, resp.len, 0, &je);
    }
    curl_slist_free_all(h);
    free(data);
    mh_buf_dispose(&resp);
    return (int)status;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
    }
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

int sc_ci_active(CURL *curl, const char *api)
{
    json_t *j = NULL;
    int st = control(curl, api, "GET", "/_mockhub/ci?summary=1", NULL, &j);
    int n = st == 200 ? (int)json_integer_value(json_object_get(j, "active_all")) : -1;
    json_decref(j);
    return n;
}

int sc_ci_configured(CURL *curl, const char *api)
{
    json_t *j = NULL;
    int st = control(curl, api, "GET", "/_mockhub/ci?summary=1", NULL, &j);
    int rc = st != 200 ? -1 : json_is_true(json_object_get(j, "configured")) ? 1 : 0;
    json_decref(j);
    return rc;
}

int sc_ci_step(CURL *curl, const char *api, const json_t *step, char *why, size_t whylen)
{
    json_t *cur = NULL;
    if (control(curl, api, "GET", "/_mockhub/ci?summary=1", NULL, &cur) != 200 ||
        !json_is_true(json_object_get(cur, "configured"))) {
        snprintf(why, whylen, "ci: the world has no ci section (mockhub runs no CI)");
        json_decref(cur);
        return -1;
    }
    json_t *body = json_object();
    json_t *cxs = json_object_get(step, "contexts");
    json_object_set(body, "contexts", cxs ? cxs : json_object_get(json_object_get(cur, "config"), "contexts"));
    json_object_set(body, "rules", json_object_get(step, "rules"));
    if (json_object_get(step, "seed"))
        json_object_set(body, "seed", json_object_get(step, "seed"));
    json_decref(cur);
    json_t *resp = NULL;
    int st = control(curl, api, "POST", "/_mockhub/ci", body, &resp);
    json_decref(body);
    if (st != 200) {
        snprintf(why, whylen, "ci: mockhub refused the rules (HTTP %d): %s", st,
                 json_string_value(json_object_get(resp, "message")) ? json_string_value(json_object_get(resp, "message")) : "");
        json_decref(resp);
        return -1;
    }
    json_decref(resp);
    return 0;
}

typedef struct {
    long runs, completed, failed, commits;
} counts;

static int get_counts(CURL *curl, const char *api, const char *glob, counts *out)
{
    char *enc = mh_url_encode(glob, 1);
    char path[1200];
    snprintf(path, sizeof path, "/_mockhub/ci?summary=1&branch=%s", enc ? enc : "*");
    free(enc);
    json_t *j = NULL;
    int st = control(curl, api, "GET", path, NULL, &j);
    if (st != 200) {
        json_decref(j);
        return -1;
    }
    out->runs = (long)json_integer_value(json_object_get(j, "runs_total"));
    out->completed = (long)json_integer_value(json_object_get(j, "completed"));
    out->failed = (long)json_integer_value(json_object_get(j, "failed"));
    out->commits = (long)json_integer_value(json_object_get(j, "commits"));
    json_decref(j);
    return 0;
}

int sc_ci_wait(CURL *curl, const char *api, const json_t *step, long default_ms, int (*alive)(void *), void *ctx,
               char *why, size_t whylen)
{
    const char *glob = json_string_value(json_object_get(step, "branch"));
    if (!glob)
        glob = "*";
    long want[4];
    static const char *const keys[] = {"runs", "completed", "failed", "commits"};
    for (int i = 0; i < 4; i++)
        want[i] = json_object_get(step, keys[i]) ? (long)json_integer_value(json_object_get(step, keys[i])) : -1;
    long timeout = json_object_get(step, "timeout_ms") ? (long)json_integer_value(json_object_get(step, "timeout_ms"))
                                                       : default_ms;
    double end = now_ms() + (double)timeout;
    counts c = {0, 0, 0, 0};
    for (;;) {
        if (get_counts(curl, api, glob, &c) < 0) {
            snprintf(why, whylen, "wait_ci: mockhub's /_mockhub/ci did not answer");
            return -1;
        }
        long got[4] = {c.runs, c.completed, c.failed, c.commits};
        int ok = 1;
        for (int i = 0; i < 4; i++)
            ok &= want[i] < 0 || got[i] >= want[i];
        if (ok)
            return 0;
        if (now_ms() > end || (alive && !alive(ctx)))
            break;
        sleep_ms(20);
    }
    snprintf(why, whylen,
             "wait_ci %s: after %ld ms runs=%ld completed=%ld failed=%ld commits=%ld, wanted runs>=%ld completed>=%ld "
             "failed>=%ld commits>=%ld (-1: any)",
             glob, timeout, c.runs, c.completed, c.failed, c.commits, want[0], want[1], want[2], want[3]);
    return -1;
}

static void add(json_t *diffs, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(json_t *diffs, const char *fmt, ...)
{
    char m[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m, sizeof m, fmt, ap);
    va_end(ap);
    json_array_append_new(diffs, json_string(m));
}

static json_t *repo_of(json_t *state, const char *repo)
{
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(state, "repos"), i, r) {
        if (mh_streq_ci(json_string_value(json_object_get(r, "full_name")), repo))
            return r;
    }
    return NULL;
}

static int carries(json_t *pull, const char *label)
{
    size_t i;
    json_t *l;
    json_array_foreach(json_object_get(pull, "labels"), i, l) {
        const char *n = json_is_string(l) ? json_string_value(l) : json_string_value(json_object_get(l, "name"));
        if (n && mh_streq_ci(n, label))
            return 1;
    }
    return 0;
}

int sc_ci_red_commits(CURL *curl, const char *api, const sc_ci_where *w, size_t *ncommits, char **detail)
{
    *ncommits = 0;
    *detail = NULL;
    char *er = mh_url_encode(w->repo, 0), *eb = mh_url_encode(w->base, 0);
    char path[1400];
    snprintf(path, sizeof path, "/_mockhub/ci/history?repo=%s&branch=%s&since=%s", er ? er : "", eb ? eb : "", w->base_start);
    free(er);
    free(eb);
    json_t *h = NULL;
    if (control(curl, api, "GET", path, NULL, &h) != 200) {
        json_decref(h);
        return -1;
    }
    long red = (long)json_integer_value(json_object_get(h, "red"));
    *ncommits = json_array_size(json_object_get(h, "commits"));
    mh_buf b;
    mh_buf_init(&b);
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(h, "commits"), i, c) {
        if (json_is_true(json_object_get(c, "pass")))
            continue;
        json_t *f = json_array_get(json_object_get(c, "failures"), 0);
        mh_buf_printf(&b, "\n    %.12s: %s: %s", json_string_value(json_object_get(c, "sha")),
                      json_string_value(json_object_get(f, "context")), json_string_value(json_object_get(f, "summary")));
    }
    *detail = mh_buf_take(&b);
    json_decref(h);
    return (int)red;
}

int sc_ci_try_counts(CURL *curl, const char *api, long *commits, long *failed)
{
    counts c;
    if (get_counts(curl, api, TRY_GLOB, &c) < 0)
        return -1;
    *commits = c.commits;
    *failed = c.failed;
    return 0;
}

void sc_ci_expect(CURL *curl, const char *api, const sc_ci_where *w, const json_t *exp, json_t *diffs)
{
    json_t *mg = json_object_get(exp, "main_green");
    if (mg) {
        size_t n = 0;
        char *detail = NULL;
        int red = sc_ci_red_commits(curl, api, w, &n, &detail);
        if (red < 0)
            add(diffs, "main_green: mockhub's CI history did not answer (no ci section in the world?)");
        else if (json_is_true(mg) && red > 0)
            add(diffs, "main_green: %d of %zu new commits on %s fail CI:%s", red, n, w->base, detail ? detail : "");
        else if (json_is_false(mg) && red == 0)
            add(diffs, "main_green: false expected, but all %zu new commits on %s pass CI", n, w->base);
        free(detail);
    }
    counts tc;
    int have = get_counts(curl, api, TRY_GLOB, &tc) == 0;
    json_t *x;
    if ((x = json_object_get(exp, "candidates")) && have && tc.commits != json_integer_value(x))
        add(diffs, "%ld candidate commits were tested on %s, expected %lld", tc.commits, TRY_GLOB,
            (long long)json_integer_value(x));
    if ((x = json_object_get(exp, "candidates_min")) && have && tc.commits < json_integer_value(x))
        add(diffs, "%ld candidate commits were tested, expected at least %lld", tc.commits, (long long)json_integer_value(x));
    if ((x = json_object_get(exp, "candidates_max")) && have && tc.commits > json_integer_value(x))
        add(diffs, "%ld candidate commits were tested, expected at most %lld", tc.commits, (long long)json_integer_value(x));
    if ((x = json_object_get(exp, "candidate_runs_max")) && have && tc.runs > json_integer_value(x))
        add(diffs, "%ld CI runs on %s, expected at most %lld", tc.runs, TRY_GLOB, (long long)json_integer_value(x));
    if (!have && (json_object_get(exp, "candidates") || json_object_get(exp, "candidates_min") ||
                  json_object_get(exp, "candidates_max") || json_object_get(exp, "candidate_runs_max")))
        add(diffs, "cannot read the CI simulator's runs");
    json_t *tb = json_object_get(exp, "try_branches");
    json_t *ej = json_object_get(exp, "ejected");
    if (!tb && !ej)
        return;
    json_t *st = NULL;
    if (control(curl, api, "GET", "/_mockhub/state", NULL, &st) != 200 || !repo_of(st, w->repo)) {
        add(diffs, "cannot read mockhub's state");
        json_decref(st);
        return;
    }
    json_t *repo = repo_of(st, w->repo);
    if (tb) {
        long n = 0;
        mh_buf names;
        mh_buf_init(&names);
        const char *k;
        json_t *v;
        json_object_foreach(json_object_get(repo, "branches"), k, v) {
            if (mh_glob_match(TRY_GLOB, k)) {
                n++;
                mh_buf_printf(&names, " %s", k);
            }
        }
        if (n != json_integer_value(tb))
            add(diffs, "%ld %s branches left, expected %lld:%s", n, TRY_GLOB, (long long)json_integer_value(tb),
                names.ptr ? names.ptr : "");
        mh_buf_dispose(&names);
    }
    size_t i;
    json_t *num;
    json_array_foreach(ej, i, num) {
        json_t *p = NULL, *q;
        size_t j;
        json_array_foreach(json_object_get(repo, "pulls"), j, q) {
            if (json_integer_value(json_object_get(q, "number")) == json_integer_value(num))
                p = q;
        }
        long long n = (long long)json_integer_value(num);
        if (!p) {
            add(diffs, "ejected: #%lld does not exist", n);
            continue;
        }
        int comment = 0;
        json_t *cm;
        json_array_foreach(json_object_get(repo, "comments"), j, cm) {
            if (json_integer_value(json_object_get(cm, "issue")) == n &&
                mh_streq_ci(json_string_value(json_object_get(cm, "user")), w->lq_user))
                comment = 1;
        }
        if (json_is_true(json_object_get(p, "merged")) || carries(p, w->label) || !comment)
            add(diffs, "#%lld was not ejected (merged=%s, label %s=%s, landq comment=%s)", n,
                json_is_true(json_object_get(p, "merged")) ? "true" : "false", w->label,
                carries(p, w->label) ? "kept" : "removed", comment ? "yes" : "no");
    }
    json_decref(st);
}
