/* sc_run.c -- the scenario runner (I/O): processes, HTTP, steps, expectations, invariants.
 * See sc_run.h and docs/scenarios.md. */
#include "sc_run.h"

#include "mh_fault.h"
#include "mh_util.h"
#include "sc_ci.h"
#include "sc_owners.h"

#include <curl/curl.h>
#include <errno.h>
#include <libpq-fe.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SECRET "scenario-webhook-secret"
#define ADMIN_TOKEN "scenario-admin-token-0123456789" /* landq's ops admin token (freeze steps) */
#define DEFAULT_WAIT_MS 30000
#define QUIET_MS 700
#define MARKER "<!-- landq:status -->"
/* several instances: lease TTL and renewal; after a kill the queue waits up to TTL + renewal for a
 * takeover, so "idle" then needs a longer silence (KILL_QUIET_MS) */
#define SC_LEASE_TTL "3s"
#define SC_LEASE_RENEW "1s"
#define KILL_QUIET_MS 5000

/* One `landq serve` (scenarios with landq.instances > 1 run several on one PostgreSQL database). */
typedef struct {
    char log[300], port_file[300], ops_port_file[300];
    pid_t pid;
    int port, ops_port;
} lq_instance;

typedef struct {
    const sc_scenario *s;
    const sc_run_opts *o;
    char dir[256];
    char world_path[300], mh_log[300], db[1024], mh_port_file[300];
    char pg_db[64];    /* the database created for this run on the PostgreSQL server, or "" */
    lq_instance lq[SC_MAX_INSTANCES];
    int ninst;         /* landq.instances */
    pid_t mh_pid;
    int mh_port;
    int lq_exit;       /* exit status of the last landq that exited, or -1 */
    int lq_crashed;    /* a landq died on its own */
    int killed9;       /* a kill -9 happened */
    int kills, kills_holder; /* kill_leader steps; of them, kills of an instance holding a lease */
    int kills_merge;         /* ... of the holder while mockhub held a merge request */
    long main_commits;       /* commits on the base judged by invariant 6 */
    long armed_down[8];      /* kill_leader "during": "merge" steps waiting for a merge: their down_ms */
    int armed_n;
    json_int_t armed_fault;  /* the delay fault holding the next merge for the first of them */
    pid_t killed[32];        /* pids SIGKILLed by kill_leader (their inbox claims outlive them) */
    int nkilled;
    char api[64];
    CURL *curl;
    const json_t *world;
    const char *repo, *label, *lq_user;
    const char *reader; /* admin collaborator: reads for checks (never landq's token: its limit is landq's) */
    char base[128];     /* default branch */
    char base_start[48];
    json_t *heads;      /* "N" -> [sha, ...] as pushed */
    json_t *label_order; /* [N, ...] first label per PR */
    json_t *labelers;   /* "N" -> login of the last label step */
    json_t *fault_ids;  /* name -> [ids] */
    json_t *faults_final; /* the fault rules and counters when the timeline ended */
    int rate_limit_steps;
    long default_wait; /* ms: the scenario's "timeout_ms", else DEFAULT_WAIT_MS */
    int npulls;
    mh_buf diff;        /* what differed */
    int failed;
    int stopped;        /* a step failed: the timeline did not run to its end */
    int line;           /* line of the current step */
} env;

static void differ(env *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void differ(env *e, const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (e->line)
        mh_buf_printf(&e->diff, "  %s:%d: %s\n", e->s->file, e->line, msg);
    else
        mh_buf_printf(&e->diff, "  %s\n", msg);
    e->failed = 1;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
    }
}

/* ---- HTTP ---- */

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    mh_buf_put(ud, p, size * n);
    return size * n;
}

static const char *token_of(env *e, const char *login)
{
    size_t i;
    json_t *u;
    json_array_foreach(json_object_get(e->world, "users"), i, u) {
        const char *l = json_string_value(json_object_get(u, "login"));
        if (l && login && mh_streq_ci(l, login))
            return json_string_value(json_object_get(u, "token"));
    }
    return NULL;
}

/* One request to mockhub. user NULL = no auth (control API). *out (may be NULL) gets the parsed
 * answer (new ref, or NULL). Returns the HTTP status, or -1 when no answer came. */
static int http(env *e, const char *method, const char *path, const char *user, json_t *body, json_t **out)
{
    if (out)
        *out = NULL;
    char url[2048];
    snprintf(url, sizeof url, "%s%s", strncmp(path, "http://", 7) ? e->api : "", path); /* or a full URL */
    CURL *c = e->curl;
    curl_easy_reset(c);
    mh_buf resp;
    mh_buf_init(&resp);
    struct curl_slist *h = NULL;
    h = curl_slist_append(h, "Accept: application/vnd.github+json");
    h = curl_slist_append(h, "User-Agent: mockhub-scenario");
    char auth[300];
    const char *tok = user ? token_of(e, user) : NULL;
    if (tok) {
        snprintf(auth, sizeof auth, "Authorization: token %s", tok);
        h = curl_slist_append(h, auth);
    }
    char *data = body ? json_dumps(body, JSON_COMPACT) : NULL;
    if (data) {
        h = curl_slist_append(h, "Content-Type: application/json");
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, data);
    }
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (!strcmp(method, "GET") && !data)
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &resp);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 120L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    CURLcode rc = curl_easy_perform(c);
    long status = -1;
    if (rc == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    if (out && resp.len) {
        json_error_t je;
        *out = json_loadb(resp.ptr, resp.len, 0, &je);
    }
    curl_slist_free_all(h);
    free(data);
    mh_buf_dispose(&resp);
    return (int)status;
}

static json_t *get_json(env *e, const char *path, const char *user)
{
    json_t *j = NULL;
    int st = http(e, "GET", path, user, NULL, &j);
    if (st != 200) {
        json_decref(j);
        return NULL;
    }
    return j;
}

/* ---- processes ---- */

static pid_t spawn(char *const argv[], const char *log, const char *const *envs)
{
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
        dup2(fd, 1);
        dup2(fd, 2);
        close(fd);
    }
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) {
        dup2(devnull, 0);
        close(devnull);
    }
    for (; envs && *envs; envs += 2)
        setenv(envs[0], envs[1], 1);
    setpgid(0, 0);
    execv(argv[0], argv);
    fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
    _exit(127);
}

/* Waits up to ms for pid; returns its wait status, or -1 if it is still running. */
static int wait_pid(pid_t pid, long ms)
{
    double end = now_s() + ms / 1000.0;
    for (;;) {
        int st;
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid)
            return st;
        if (r < 0)
            return 0;
        if (now_s() > end)
            return -1;
        sleep_ms(10);
    }
}

/* The port written to path by pid, or -1: *exited (may be NULL) is then the wait status of a
 * pid that exited (reaped here), or -1 when ms passed. */
static int read_port(const char *path, pid_t pid, long ms, int *exited)
{
    double end = now_s() + ms / 1000.0;
    if (exited)
        *exited = -1;
    while (now_s() < end) {
        FILE *f = fopen(path, "r");
        if (f) {
            int port = 0;
            int n = fscanf(f, "%d", &port);
            fclose(f);
            if (n == 1 && port > 0)
                return port;
        }
        int st;
        if (waitpid(pid, &st, WNOHANG) == pid) {
            if (exited)
                *exited = st;
            return -1;
        }
        sleep_ms(10);
    }
    return -1;
}

/* "landq", or "landq #2" of several (static buffer: one call per expression). */
static const char *inst_name(const env *e, int i)
{
    static char name[32];
    if (e->ninst == 1)
        return "landq";
    snprintf(name, sizeof name, "landq #%d", i + 1);
    return name;
}

/* Is every landq still running? Records a crash of one that exited by itself. */
static int landq_alive(env *e)
{
    int all = 1;
    for (int i = 0; i < e->ninst; i++) {
        lq_instance *q = &e->lq[i];
        if (q->pid <= 0) {
            all = 0;
            continue;
        }
        int st;
        if (waitpid(q->pid, &st, WNOHANG) == q->pid) {
            q->pid = 0;
            e->lq_crashed = 1;
            e->lq_exit = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
            differ(e, "%s exited by itself (%s %d)", inst_name(e, i), WIFEXITED(st) ? "status" : "signal",
                   WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
            all = 0;
        }
    }
    return all;
}

static int start_instance(env *e, int idx)
{
    lq_instance *q = &e->lq[idx];
    char listen[64];
    snprintf(listen, sizeof listen, "127.0.0.1:%d", q->port); /* a restart keeps the port: the webhook's URL */
    unlink(q->port_file);
    const char *argv[72];
    int n = 0;
    char *wrapcopy = e->o->landq_wrap ? strdup(e->o->landq_wrap) : NULL;
    if (wrapcopy)
        for (char *t = strtok(wrapcopy, " "); t && n < 20; t = strtok(NULL, " "))
            argv[n++] = t;
    argv[n++] = e->o->landq_exe;
    argv[n++] = "serve";
    argv[n++] = "--github-api";
    argv[n++] = e->api;
    argv[n++] = "--listen";
    argv[n++] = listen;
    argv[n++] = "--port-file";
    argv[n++] = q->port_file;
    argv[n++] = "--ops-listen"; /* many landq run in parallel: never the fixed default port */
    argv[n++] = "127.0.0.1:0";
    argv[n++] = "--ops-port-file"; /* freeze steps talk to it */
    argv[n++] = q->ops_port_file;
    argv[n++] = "--repo";
    argv[n++] = e->repo;
    argv[n++] = "--db";
    argv[n++] = e->db;
    if (e->ninst > 1) { /* short leases, as in tests/e2e/failover.py: a takeover within seconds */
        argv[n++] = "--lease-ttl";
        argv[n++] = SC_LEASE_TTL;
        argv[n++] = "--lease-renew";
        argv[n++] = SC_LEASE_RENEW;
    }
    argv[n++] = "--label";
    argv[n++] = e->label;
    json_t *lq = json_object_get(e->s->root, "landq");
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(lq, "required_checks"), i, x) {
        if (n < 58) {
            argv[n++] = "--required-check";
            argv[n++] = json_string_value(x);
        }
    }
    json_array_foreach(json_object_get(lq, "args"), i, x) {
        if (n < 62)
            argv[n++] = json_string_value(x);
    }
    argv[n] = NULL;
    const char *envs[] = {"LANDQ_GITHUB_TOKEN", token_of(e, e->lq_user), "LANDQ_WEBHOOK_SECRET", SECRET,
                          "LANDQ_ADMIN_TOKEN", ADMIN_TOKEN, NULL};
    unlink(q->ops_port_file);
    q->pid = spawn((char *const *)argv, q->log, envs);
    free(wrapcopy);
    int exited;
    int port = read_port(q->port_file, q->pid, 30000, &exited);
    if (port < 0 && exited != -1) {
        q->pid = 0;
        e->lq_crashed = 1;
        differ(e, "%s (%s) exited before listening (%s %d): see the tail of its log below", inst_name(e, idx), e->o->landq_exe,
               WIFEXITED(exited) ? "status" : "signal", WIFEXITED(exited) ? WEXITSTATUS(exited) : WTERMSIG(exited));
        return -1;
    }
    if (port < 0) {
        differ(e, "%s (%s) did not write its port file within 30 s", inst_name(e, idx), e->o->landq_exe);
        landq_alive(e);
        return -1;
    }
    q->port = port;
    q->ops_port = read_port(q->ops_port_file, q->pid, 5000, NULL); /* written before the webhook port */
    return 0;
}

static int start_landq(env *e)
{
    for (int i = 0; i < e->ninst; i++)
        if (e->lq[i].pid <= 0 && start_instance(e, i) < 0)
            return -1;
    return 0;
}

/* SIGTERM (expects exit 0 within 30 s) or SIGKILL. */
static void stop_instance(env *e, int i, int kill9)
{
    lq_instance *q = &e->lq[i];
    landq_alive(e);
    if (q->pid <= 0)
        return;
    kill(q->pid, kill9 ? SIGKILL : SIGTERM);
    int st = wait_pid(q->pid, 30000);
    if (st == -1) {
        differ(e, "%s did not exit within 30 s of SIGTERM", inst_name(e, i));
        kill(q->pid, SIGKILL);
        wait_pid(q->pid, 5000);
    } else if (!kill9 && !(WIFEXITED(st) && WEXITSTATUS(st) == 0)) {
        differ(e, "%s exited with %s %d after SIGTERM (expected 0)", inst_name(e, i), WIFEXITED(st) ? "status" : "signal",
               WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
    }
    q->pid = 0;
    if (kill9)
        e->killed9 = 1;
}

static void stop_landq(env *e, int kill9)
{
    for (int i = 0; i < e->ninst; i++)
        stop_instance(e, i, kill9);
}

static int any_landq_running(const env *e)
{
    for (int i = 0; i < e->ninst; i++)
        if (e->lq[i].pid > 0)
            return 1;
    return 0;
}

static void stop_mockhub(env *e)
{
    if (e->mh_pid <= 0)
        return;
    kill(e->mh_pid, SIGTERM);
    if (wait_pid(e->mh_pid, 10000) == -1) {
        kill(e->mh_pid, SIGKILL);
        wait_pid(e->mh_pid, 5000);
    }
    e->mh_pid = 0;
}

/* ---- PostgreSQL (several instances) ---- */

/* A connection to the server of o->pg, database "postgres" (the maintenance database). */
static PGconn *pg_admin(env *e)
{
    const char *const kw[] = {"dbname", "dbname", NULL};
    const char *const val[] = {e->o->pg, "postgres", NULL}; /* the first expands, the second overrides */
    PGconn *c = PQconnectdbParams(kw, val, 1);
    if (PQstatus(c) != CONNECTION_OK) {
        differ(e, "PostgreSQL (%s): %s", e->o->pg, PQerrorMessage(c));
        PQfinish(c);
        return NULL;
    }
    return c;
}

static int pg_exec(env *e, PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok)
        differ(e, "PostgreSQL: %s: %s", sql, PQresultErrorMessage(r));
    PQclear(r);
    return ok ? 0 : -1;
}

/* Creates this run's database and points e->db (landq's --db) at it: o->pg's parameters with
 * dbname replaced, as a keyword/value string. */
static int pg_create(env *e)
{
    if (!e->o->pg || !*e->o->pg) {
        differ(e, "%d landq instances need a PostgreSQL server: give --db CONNINFO (or set LQ_TEST_PG; "
                  "tests/support/pgtest.py run starts one)", e->ninst);
        return -1;
    }
    char *err = NULL;
    PQconninfoOption *opts = PQconninfoParse(e->o->pg, &err);
    if (!opts) {
        differ(e, "--db \"%s\": %s", e->o->pg, err ? err : "cannot parse it");
        PQfreemem(err);
        return -1;
    }
    const char *suffix = strrchr(e->dir, '-');
    snprintf(e->pg_db, sizeof e->pg_db, "mockhub_%s", suffix ? suffix + 1 : "run");
    for (char *p = e->pg_db; *p; p++)
        *p = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
    mh_buf b;
    mh_buf_init(&b);
    for (PQconninfoOption *o = opts; o->keyword; o++) {
        if (!o->val || !*o->val || !strcmp(o->keyword, "dbname"))
            continue;
        mh_buf_printf(&b, "%s='", o->keyword);
        for (const char *v = o->val; *v; v++)
            mh_buf_printf(&b, "%s%c", *v == '\'' || *v == '\\' ? "\\" : "", *v);
        mh_buf_printf(&b, "' ");
    }
    mh_buf_printf(&b, "dbname='%s'", e->pg_db);
    snprintf(e->db, sizeof e->db, "%s", b.ptr);
    mh_buf_dispose(&b);
    PQconninfoFree(opts);
    PGconn *c = pg_admin(e);
    if (!c)
        return -1;
    char sql[128];
    snprintf(sql, sizeof sql, "CREATE DATABASE \"%s\"", e->pg_db);
    int rc = pg_exec(e, c, sql);
    PQfinish(c);
    if (rc < 0)
        e->pg_db[0] = '\0';
    return rc;
}

static void pg_drop(env *e)
{
    if (!e->pg_db[0])
        return;
    PGconn *c = pg_admin(e);
    if (!c)
        return;
    char sql[128];
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS \"%s\" WITH (FORCE)", e->pg_db);
    pg_exec(e, c, sql);
    PQfinish(c);
    e->pg_db[0] = '\0';
}

/* ---- state helpers ---- */

static json_t *state(env *e)
{
    return get_json(e, "/_mockhub/state", NULL);
}

static json_t *repo_state(json_t *st, const char *repo)
{
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(st, "repos"), i, r) {
        if (!strcmp(json_string_value(json_object_get(r, "full_name")), repo))
            return r;
    }
    return NULL;
}

static json_t *pull_state(json_t *repo, int n)
{
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(repo, "pulls"), i, p) {
        if (json_integer_value(json_object_get(p, "number")) == n)
            return p;
    }
    return NULL;
}

static const char *label_name(json_t *l)
{
    return json_is_string(l) ? json_string_value(l) : json_string_value(json_object_get(l, "name"));
}

static int has_label(json_t *pull, const char *name)
{
    size_t i;
    json_t *l;
    json_array_foreach(json_object_get(pull, "labels"), i, l) {
        const char *s = label_name(l);
        if (s && mh_streq_ci(s, name))
            return 1;
    }
    return 0;
}

/* Latest status of `context` on sha (borrowed from repo), or NULL. */
static json_t *latest_status(json_t *repo, const char *sha, const char *context)
{
    json_t *best = NULL;
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(repo, "statuses"), i, s) {
        if (!strcmp(json_string_value(json_object_get(s, "sha")), sha) &&
            !strcmp(json_string_value(json_object_get(s, "context")), context))
            best = s;
    }
    return best;
}

/* landq's comments on pull n (new array, borrowed items). */
static json_t *landq_comments(env *e, json_t *repo, int n)
{
    json_t *out = json_array();
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(repo, "comments"), i, c) {
        if (json_integer_value(json_object_get(c, "issue")) == n &&
            mh_streq_ci(json_string_value(json_object_get(c, "user")), e->lq_user))
            json_array_append(out, c);
    }
    return out;
}

static json_t *requests(env *e)
{
    json_t *r = get_json(e, "/_mockhub/requests?brief=1", NULL);
    return r ? r : json_array();
}

static int req_is_landq(env *e, json_t *r)
{
    const char *u = json_string_value(json_object_get(r, "user"));
    return u && mh_streq_ci(u, e->lq_user);
}

static int pr_from_path(const char *path, const char *what)
{
    const char *p = strstr(path, "/pulls/");
    if (!p)
        return 0;
    p += 7;
    int n = atoi(p);
    const char *rest = strchr(p, '/');
    if (what && (!rest || strncmp(rest, what, strlen(what))))
        return 0;
    return n;
}

/* ---- steps ---- */

static const char *step_s(json_t *st, const char *k, const char *def)
{
    const char *v = json_string_value(json_object_get(st, k));
    return v ? v : def;
}

static int step_pr(json_t *st)
{
    return (int)json_integer_value(json_object_get(st, "pr"));
}

static int ok_status(env *e, json_t *st, int status, const char *what, json_t *resp)
{
    json_t *want = json_object_get(st, "expect_http");
    int good = want ? (!json_integer_value(want) && status > 0) || status == json_integer_value(want)
                     : status >= 200 && status < 300;
    if (!good) {
        char *t = resp ? json_dumps(resp, JSON_COMPACT) : NULL;
        differ(e, "%s: HTTP %d %s", what, status, t ? t : "");
        if (want)
            mh_buf_printf(&e->diff, "    expected HTTP %lld\n", (long long)json_integer_value(want));
        free(t);
    }
    return good ? 0 : -1;
}

static void record_head(env *e, int n, const char *sha)
{
    char k[16];
    snprintf(k, sizeof k, "%d", n);
    json_t *arr = json_object_get(e->heads, k);
    if (!arr) {
        arr = json_array();
        json_object_set_new(e->heads, k, arr);
    }
    const char *last = json_string_value(json_array_get(arr, json_array_size(arr) - 1));
    if (!last || strcmp(last, sha))
        json_array_append_new(arr, json_string(sha));
}

static int pull_get(env *e, int n, json_t **out)
{
    char path[512];
    snprintf(path, sizeof path, "/repos/%s/pulls/%d", e->repo, n);
    *out = get_json(e, path, e->reader);
    if (!*out) {
        differ(e, "cannot read pull request #%d", n);
        return -1;
    }
    return 0;
}

/* Commits files (content or null = delete) to branch as user; returns the last commit sha. */
static int write_files(env *e, json_t *st, const char *user, const char *branch, json_t *files, const char *message,
                       char sha_out[48])
{
    const char *path;
    json_t *content;
    int rc = 0;
    json_object_foreach(files, path, content) {
        char *enc = mh_url_encode(path, 1);
        char *benc = mh_url_encode(branch, 0);
        char url[2048];
        snprintf(url, sizeof url, "/repos/%s/contents/%s?ref=%s", e->repo, enc, benc);
        json_t *cur = get_json(e, url, user);
        snprintf(url, sizeof url, "/repos/%s/contents/%s", e->repo, enc);
        free(enc);
        free(benc);
        char msg[512];
        snprintf(msg, sizeof msg, "%s", message ? message : "");
        if (!message)
            snprintf(msg, sizeof msg, "%s %s", json_is_null(content) ? "Delete" : "Update", path);
        json_t *body = json_pack("{s:s, s:s}", "message", msg, "branch", branch);
        if (json_is_object(cur) && json_object_get(cur, "sha"))
            json_object_set(body, "sha", json_object_get(cur, "sha"));
        json_decref(cur);
        json_t *resp = NULL;
        int status;
        if (json_is_null(content)) {
            status = http(e, "DELETE", url, user, body, &resp);
        } else {
            const char *s = json_string_value(content);
            char *b64 = mh_base64_encode((const unsigned char *)s, strlen(s), 0);
            json_object_set_new(body, "content", json_string(b64));
            free(b64);
            status = http(e, "PUT", url, user, body, &resp);
        }
        json_decref(body);
        char what[600];
        snprintf(what, sizeof what, "writing %s on %s as %s", path, branch, user);
        if (status < 200 || status >= 300) {
            ok_status(e, json_object(), status, what, resp); /* plain 2xx check */
            rc = -1;
        } else {
            const char *c = json_string_value(json_object_get(json_object_get(resp, "commit"), "sha"));
            if (c)
                snprintf(sha_out, 48, "%s", c);
        }
        json_decref(resp);
        if (rc < 0)
            break;
    }
    (void)st;
    return rc;
}

static int do_open_pr(env *e, json_t *st)
{
    const char *as = step_s(st, "as", NULL), *head = step_s(st, "head", NULL);
    const char *base = step_s(st, "base", e->base);
    char path[1024];
    snprintf(path, sizeof path, "/repos/%s/git/ref/heads/%s", e->repo, base);
    json_t *ref = get_json(e, path, as);
    const char *sha = json_string_value(json_object_get(json_object_get(ref, "object"), "sha"));
    if (!sha) {
        differ(e, "open_pr: no branch %s", base);
        json_decref(ref);
        return -1;
    }
    char refname[512];
    snprintf(refname, sizeof refname, "refs/heads/%s", head);
    json_t *body = json_pack("{s:s, s:s}", "ref", refname, "sha", sha);
    json_decref(ref);
    snprintf(path, sizeof path, "/repos/%s/git/refs", e->repo);
    json_t *resp = NULL;
    int status = http(e, "POST", path, as, body, &resp);
    json_decref(body);
    if (status != 201) {
        ok_status(e, json_object(), status, "open_pr: creating the branch", resp);
        json_decref(resp);
        return -1;
    }
    json_decref(resp);
    char last[48] = "";
    if (write_files(e, st, as, head, json_object_get(st, "files"), step_s(st, "message", NULL), last) < 0)
        return -1;
    body = json_pack("{s:s, s:s, s:s, s:s, s:b}", "title", step_s(st, "title", ""), "head", head, "base", base,
                     "body", step_s(st, "body", ""), "draft", json_is_true(json_object_get(st, "draft")));
    snprintf(path, sizeof path, "/repos/%s/pulls", e->repo);
    status = http(e, "POST", path, as, body, &resp);
    json_decref(body);
    int rc = ok_status(e, st, status, "open_pr", resp);
    if (status == 201) {
        int n = (int)json_integer_value(json_object_get(resp, "number"));
        e->npulls++;
        if (n != e->npulls)
            differ(e, "open_pr: got #%d, expected #%d", n, e->npulls);
        const char *h = json_string_value(json_object_get(json_object_get(resp, "head"), "sha"));
        if (h)
            record_head(e, n, h);
    }
    json_decref(resp);
    return rc;
}

static int do_push(env *e, json_t *st)
{
    int n = step_pr(st);
    json_t *p;
    if (pull_get(e, n, &p) < 0)
        return -1;
    char ref[256];
    snprintf(ref, sizeof ref, "%s", json_string_value(json_object_get(json_object_get(p, "head"), "ref")));
    json_decref(p);
    char last[48] = "";
    if (write_files(e, st, step_s(st, "as", NULL), ref, json_object_get(st, "files"), step_s(st, "message", NULL),
                    last) < 0)
        return -1;
    if (last[0])
        record_head(e, n, last);
    return 0;
}

static int do_review(env *e, json_t *st)
{
    int n = step_pr(st);
    const char *ev = step_s(st, "event", "APPROVE");
    const char *defbody = !strcmp(ev, "APPROVE") ? "LGTM" : !strcmp(ev, "REQUEST_CHANGES") ? "Please change this" : "A remark";
    json_t *body = json_pack("{s:s, s:s}", "event", ev, "body", step_s(st, "body", defbody));
    const char *which = step_s(st, "commit", "head");
    if (strcmp(which, "head")) {
        char k[16];
        snprintf(k, sizeof k, "%d", n);
        json_t *arr = json_object_get(e->heads, k);
        size_t sz = json_array_size(arr);
        json_t *sha = !strcmp(which, "first") ? json_array_get(arr, 0) : sz >= 2 ? json_array_get(arr, sz - 2) : NULL;
        if (!sha) {
            differ(e, "review: #%d has no %s commit", n, which);
            json_decref(body);
            return -1;
        }
        json_object_set(body, "commit_id", sha);
    }
    char path[512];
    snprintf(path, sizeof path, "/repos/%s/pulls/%d/reviews", e->repo, n);
    json_t *resp = NULL;
    int status = http(e, "POST", path, step_s(st, "as", NULL), body, &resp);
    json_decref(body);
    int rc = ok_status(e, st, status, "review", resp);
    json_decref(resp);
    return rc;
}

static int do_dismiss(env *e, json_t *st)
{
    int n = step_pr(st);
    char path[512];
    snprintf(path, sizeof path, "/repos/%s/pulls/%d/reviews?per_page=100", e->repo, n);
    json_t *list = get_json(e, path, step_s(st, "as", NULL));
    json_int_t id = 0;
    size_t i;
    json_t *r;
    json_array_foreach(list, i, r) {
        const char *login = json_string_value(json_object_get(json_object_get(r, "user"), "login"));
        const char *state = json_string_value(json_object_get(r, "state"));
        if (login && mh_streq_ci(login, step_s(st, "reviewer", "")) && state &&
            (!strcmp(state, "APPROVED") || !strcmp(state, "CHANGES_REQUESTED")))
            id = json_integer_value(json_object_get(r, "id"));
    }
    json_decref(list);
    if (!id) {
        differ(e, "dismiss: %s has no approval or change request on #%d", step_s(st, "reviewer", ""), n);
        return -1;
    }
    snprintf(path, sizeof path, "/repos/%s/pulls/%d/reviews/%lld/dismissals", e->repo, n, (long long)id);
    json_t *body = json_pack("{s:s, s:s}", "message", step_s(st, "message", "Dismissed"), "event", "DISMISS");
    json_t *resp = NULL;
    int status = http(e, "PUT", path, step_s(st, "as", NULL), body, &resp);
    json_decref(body);
    int rc = ok_status(e, st, status, "dismiss", resp);
    json_decref(resp);
    return rc;
}

static int do_label(env *e, json_t *st, int add)
{
    int n = step_pr(st);
    const char *label = step_s(st, "label", e->label);
    char path[1024];
    json_t *resp = NULL;
    int status;
    if (add) {
        snprintf(path, sizeof path, "/repos/%s/issues/%d/labels", e->repo, n);
        json_t *body = json_pack("{s:[s]}", "labels", label);
        status = http(e, "POST", path, step_s(st, "as", NULL), body, &resp);
        json_decref(body);
        if (mh_streq_ci(label, e->label)) {
            char k[16];
            snprintf(k, sizeof k, "%d", n);
            int seen = 0;
            size_t i;
            json_t *x;
            json_array_foreach(e->label_order, i, x) seen |= json_integer_value(x) == n;
            if (!seen)
                json_array_append_new(e->label_order, json_integer(n));
            json_object_set_new(e->labelers, k, json_string(step_s(st, "as", "")));
        }
    } else {
        char *enc = mh_url_encode(label, 0);
        snprintf(path, sizeof path, "/repos/%s/issues/%d/labels/%s", e->repo, n, enc);
        free(enc);
        status = http(e, "DELETE", path, step_s(st, "as", NULL), NULL, &resp);
    }
    int rc = ok_status(e, st, status, add ? "label" : "unlabel", resp);
    json_decref(resp);
    return rc;
}

/* A comment on the pull request's conversation, as that user. */
static int do_comment(env *e, json_t *st)
{
    char path[512];
    snprintf(path, sizeof path, "/repos/%s/issues/%d/comments", e->repo, step_pr(st));
    json_t *body = json_pack("{s:s}", "body", step_s(st, "body", ""));
    json_t *resp = NULL;
    int status = http(e, "POST", path, step_s(st, "as", NULL), body, &resp);
    json_decref(body);
    int rc = ok_status(e, st, status, "comment", resp);
    json_decref(resp);
    return rc;
}

static int head_of(env *e, int n, char sha[48])
{
    json_t *p;
    if (pull_get(e, n, &p) < 0)
        return -1;
    snprintf(sha, 48, "%s", json_string_value(json_object_get(json_object_get(p, "head"), "sha")));
    json_decref(p);
    return 0;
}

static int do_status(env *e, json_t *st)
{
    char sha[48], path[512];
    if (head_of(e, step_pr(st), sha) < 0)
        return -1;
    snprintf(path, sizeof path, "/repos/%s/statuses/%s", e->repo, sha);
    json_t *body = json_pack("{s:s, s:s, s:s}", "state", step_s(st, "state", ""), "context", step_s(st, "context", ""),
                             "description", step_s(st, "description", ""));
    json_t *resp = NULL;
    int status = http(e, "POST", path, step_s(st, "as", NULL), body, &resp);
    json_decref(body);
    int rc = ok_status(e, st, status, "status", resp);
    json_decref(resp);
    return rc;
}

static int do_check_run(env *e, json_t *st)
{
    char sha[48], path[512];
    if (head_of(e, step_pr(st), sha) < 0)
        return -1;
    snprintf(path, sizeof path, "/repos/%s/check-runs", e->repo);
    json_t *body = json_pack("{s:s, s:s, s:s}", "name", step_s(st, "name", ""), "head_sha", sha, "status",
                             step_s(st, "status", "completed"));
    if (json_object_get(st, "conclusion"))
        json_object_set(body, "conclusion", json_object_get(st, "conclusion"));
    json_t *resp = NULL;
    int status = http(e, "POST", path, step_s(st, "as", NULL), body, &resp);
    json_decref(body);
    int rc = ok_status(e, st, status, "check_run", resp);
    json_decref(resp);
    return rc;
}

static int do_close(env *e, json_t *st, int open)
{
    char path[512];
    snprintf(path, sizeof path, "/repos/%s/pulls/%d", e->repo, step_pr(st));
    json_t *body = json_pack("{s:s}", "state", open ? "open" : "closed");
    json_t *resp = NULL;
    int status = http(e, "PATCH", path, step_s(st, "as", NULL), body, &resp);
    json_decref(body);
    int rc = ok_status(e, st, status, open ? "reopen" : "close", resp);
    json_decref(resp);
    return rc;
}

/* PATCH the pull request's base (GitHub sends `edited` with changes.base). */
static int do_retarget(env *e, json_t *st)
{
    char path[512];
    snprintf(path, sizeof path, "/repos/%s/pulls/%d", e->repo, step_pr(st));
    json_t *body = json_pack("{s:s}", "base", step_s(st, "base", ""));
    json_t *resp = NULL;
    int status = http(e, "PATCH", path, step_s(st, "as", NULL), body, &resp);
    json_decref(body);
    int rc = ok_status(e, st, status, "retarget", resp);
    json_decref(resp);
    return rc;
}

/* A person merging through the API (branch protection decides; usually with expect_http 405). */
static int do_merge(env *e, json_t *st)
{
    char path[512];
    snprintf(path, sizeof path, "/repos/%s/pulls/%d/merge", e->repo, step_pr(st));
    json_t *body = json_pack("{s:s}", "merge_method", step_s(st, "method", "squash"));
    json_t *resp = NULL;
    int status = http(e, "PUT", path, step_s(st, "as", NULL), body, &resp);
    json_decref(body);
    int rc = ok_status(e, st, status, "merge", resp);
    json_decref(resp);
    return rc;
}

static json_int_t last_seq(json_t *reqs)
{
    return json_integer_value(json_object_get(json_array_get(reqs, json_array_size(reqs) - 1), "seq"));
}

/* 1 while landq's primary rate limit is spent and its window has not reset (plus the second
 * landq adds): landq is then waiting for the reset without sending anything, which is not idle. */
static int landq_waits_for_reset(env *e)
{
    json_t *st = get_json(e, "/_mockhub/state", NULL);
    size_t i;
    json_t *u;
    int waiting = 0;
    json_array_foreach(json_object_get(st, "users"), i, u) {
        const char *login = json_string_value(json_object_get(u, "login"));
        json_t *rl = json_object_get(u, "rate_limit");
        if (login && mh_streq_ci(login, e->lq_user) &&
            json_integer_value(json_object_get(rl, "remaining")) == 0 &&
            (double)json_integer_value(json_object_get(rl, "reset")) + 2.0 > (double)time(NULL))
            waiting = 1;
    }
    json_decref(st);
    return waiting;
}

static void poll_armed_kill(env *e);

/* Webhooks drained and no request from landq for quiet_ms. */
static int wait_idle(env *e, long timeout_ms, long quiet_ms)
{
    double end = now_s() + timeout_ms / 1000.0;
    json_int_t seq = -1, since = 0;
    int last_failed = 0;
    double quiet_since = now_s();
    while (now_s() < end) {
        poll_armed_kill(e);
        if (!landq_alive(e) && e->lq_crashed)
            return -1;
        json_t *w = NULL;
        int st = http(e, "GET", "/_mockhub/webhooks/wait?timeout_ms=2000", NULL, NULL, &w);
        json_decref(w);
        char path[96];
        snprintf(path, sizeof path, "/_mockhub/requests?brief=1&since=%lld", (long long)since);
        json_t *reqs = get_json(e, path, NULL);
        /* the newest request that is activity: landq's conditional polls answered 304 (e.g. its
         * reconciliation sweep) are idle */
        json_int_t s = seq;
        size_t i;
        json_t *r;
        json_array_foreach(reqs, i, r) {
            json_int_t code = json_integer_value(json_object_get(r, "status"));
            if (req_is_landq(e, r) && code == 304)
                continue;
            s = json_integer_value(json_object_get(r, "seq"));
            if (req_is_landq(e, r))
                last_failed = code >= 500 || code == 403 || code == 429;
        }
        json_int_t newest = json_array_size(reqs) ? last_seq(reqs) : since;
        json_decref(reqs);
        /* after a refused request landq is waiting (Retry-After, rate-limit reset, back-off) */
        long need = last_failed && quiet_ms < 4500 ? 4500 : quiet_ms;
        since = newest;
        if (st != 200 || s != seq || sc_ci_active(e->curl, e->api) > 0) { /* CI still running: not idle */
            seq = s;
            quiet_since = now_s();
        } else if ((now_s() - quiet_since) * 1000 >= need && !landq_waits_for_reset(e)) {
            return 0;
        }
        sleep_ms(100);
    }
    return -1;
}

static int match_req(env *e, json_t *r, json_t *st)
{
    if (!req_is_landq(e, r))
        return 0;
    const char *m = step_s(st, "method", NULL), *route = step_s(st, "route", NULL), *path = step_s(st, "path", NULL);
    json_t *http_st = json_object_get(st, "http");
    if (m && strcmp(m, json_string_value(json_object_get(r, "method"))))
        return 0;
    if (route && strcmp(route, json_string_value(json_object_get(r, "route"))))
        return 0;
    if (path && !mh_glob_match(path, json_string_value(json_object_get(r, "path"))))
        return 0;
    if (http_st && json_integer_value(http_st) != json_integer_value(json_object_get(r, "status")))
        return 0;
    return 1;
}

static int do_wait_request(env *e, json_t *st)
{
    long timeout = (long)(json_object_get(st, "timeout_ms") ? json_integer_value(json_object_get(st, "timeout_ms")) : e->default_wait);
    long want = json_object_get(st, "count") ? (long)json_integer_value(json_object_get(st, "count")) : 1;
    double end = now_s() + timeout / 1000.0;
    long n = 0;
    while (now_s() < end) {
        if (!landq_alive(e))
            return -1;
        json_t *reqs = requests(e);
        n = 0;
        size_t i;
        json_t *r;
        json_array_foreach(reqs, i, r) n += match_req(e, r, st);
        json_decref(reqs);
        if (n >= want)
            return 0;
        sleep_ms(50);
    }
    differ(e, "wait_request: %ld of %ld matching requests from landq after %ld ms", n, want, timeout);
    return -1;
}

/* Is pull request n merged? (GET .../merge: 204 yes, 404 no) */
static int pr_merged(env *e, int n)
{
    char path[512];
    snprintf(path, sizeof path, "/repos/%s/pulls/%d/merge", e->repo, n);
    return http(e, "GET", path, e->reader, NULL, NULL) == 204;
}

/* Checks the wait_pr conditions once; fills why with the first unmet one. */
static int pr_conditions(env *e, json_t *st, char *why, size_t wl)
{
    int n = step_pr(st);
    if (json_object_size(st) <= 5 && json_object_get(st, "merged") && !json_object_get(st, "has_label") &&
        !json_object_get(st, "lacks_label") && !json_object_get(st, "status") &&
        !json_object_get(st, "status_contains") && !json_object_get(st, "comment_contains")) {
        /* only "merged": one cheap REST read instead of the whole state (check-if-merged does not
         * consume mockhub's "mergeable: null" reads meant for landq) */
        int m = pr_merged(e, n);
        if (m != json_is_true(json_object_get(st, "merged")))
            snprintf(why, wl, "#%d merged=%s", n, m ? "true" : "false");
        return m == json_is_true(json_object_get(st, "merged"));
    }
    json_t *s = state(e);
    json_t *repo = repo_state(s, e->repo);
    json_t *p = pull_state(repo, n);
    int ok = 1;
    if (!p) {
        snprintf(why, wl, "no pull request #%d", n);
        ok = 0;
    }
    json_t *m = json_object_get(st, "merged");
    if (ok && m && json_is_true(json_object_get(p, "merged")) != json_is_true(m)) {
        snprintf(why, wl, "#%d merged=%s", n, json_is_true(json_object_get(p, "merged")) ? "true" : "false");
        ok = 0;
    }
    const char *hl = step_s(st, "has_label", NULL), *ll = step_s(st, "lacks_label", NULL);
    if (ok && hl && !has_label(p, hl)) {
        snprintf(why, wl, "#%d lacks label %s", n, hl);
        ok = 0;
    }
    if (ok && ll && has_label(p, ll)) {
        snprintf(why, wl, "#%d still has label %s", n, ll);
        ok = 0;
    }
    const char *sst = step_s(st, "status", NULL), *sc = step_s(st, "status_contains", NULL);
    if (ok && (sst || sc)) {
        json_t *ls = latest_status(repo, json_string_value(json_object_get(p, "head_sha")), "landq");
        const char *state_ = json_string_value(json_object_get(ls, "state"));
        const char *desc = json_string_value(json_object_get(ls, "description"));
        if ((sst && (!state_ || strcmp(state_, sst))) || (sc && (!desc || !strstr(desc, sc)))) {
            snprintf(why, wl, "#%d landq status is %s \"%s\"", n, state_ ? state_ : "(none)", desc ? desc : "");
            ok = 0;
        }
    }
    const char *cc = step_s(st, "comment_contains", NULL);
    if (ok && cc) {
        json_t *cs = landq_comments(e, repo, n);
        int found = 0;
        size_t i;
        json_t *c;
        json_array_foreach(cs, i, c) found |= strstr(json_string_value(json_object_get(c, "body")), cc) != NULL;
        json_decref(cs);
        if (!found) {
            snprintf(why, wl, "no landq comment on #%d contains \"%s\"", n, cc);
            ok = 0;
        }
    }
    json_decref(s);
    return ok;
}

/* How many landings (a merge through the API, or a push over git) succeeded after request *since;
 * moves *since to the newest request. Reads mockhub's request log, which no rate limit charges
 * (polling the REST API as a user would spend that user's bucket on a long wait). */
static long landings_since(env *e, json_int_t *since)
{
    char path[96];
    snprintf(path, sizeof path, "/_mockhub/requests?brief=1&since=%lld", (long long)*since);
    json_t *reqs = get_json(e, path, NULL);
    long n = 0;
    size_t i;
    json_t *r;
    json_array_foreach(reqs, i, r) {
        const char *route = json_string_value(json_object_get(r, "route"));
        const char *rpath = json_string_value(json_object_get(r, "path"));
        long code = (long)json_integer_value(json_object_get(r, "status"));
        if (code == 200 && ((route && !strcmp(route, "pulls/merge")) ||
                            (rpath && strstr(rpath, "/git-receive-pack"))))
            n++;
    }
    if (json_array_size(reqs))
        *since = last_seq(reqs);
    json_decref(reqs);
    return n;
}

/* Waits for progress, not for a wall-clock deadline: timeout_ms runs from the step's start or
 * from the last landing (see landings_since), so a long queue on a loaded machine passes as long
 * as landings keep coming, and a stuck one fails after timeout_ms without one. */
static int do_wait_pr(env *e, json_t *st)
{
    long timeout = (long)(json_object_get(st, "timeout_ms") ? json_integer_value(json_object_get(st, "timeout_ms")) : e->default_wait);
    double t0 = now_s(), end = t0 + timeout / 1000.0, last_progress = t0;
    long min_ms = (long)json_integer_value(json_object_get(st, "min_ms"));
    char why[1024] = "";
    json_int_t since = 0;
    landings_since(e, &since); /* only landings from now on count */
    while (now_s() < end) {
        if (landings_since(e, &since) > 0) {
            last_progress = now_s();
            end = last_progress + timeout / 1000.0;
        }
        int done = pr_conditions(e, st, why, sizeof why);
        /* a merge cannot be undone: what needs the pull request unmerged fails at once, not after
         * the whole timeout */
        json_t *want_merged = json_object_get(st, "merged");
        if (!done && !json_is_true(want_merged) &&
            (json_is_false(want_merged) || json_object_get(st, "has_label") ||
             !strcmp(step_s(st, "status", ""), "pending")) && pr_merged(e, step_pr(st))) {
            if (json_is_false(want_merged))
                differ(e, "wait_pr: #%d was merged, and a merge cannot be undone (\"merged\": false never holds)",
                       step_pr(st));
            else
                differ(e, "wait_pr: #%d was merged, so this cannot hold any more: %s", step_pr(st), why);
            return -1;
        }
        if (done) {
            long took = (long)((now_s() - t0) * 1000);
            if (took < min_ms) {
                differ(e, "wait_pr: true after %ld ms, expected no sooner than %ld ms", took, min_ms);
                return -1;
            }
            return 0;
        }
        poll_armed_kill(e);
        if (!landq_alive(e))
            return -1;
        sleep_ms(200);
    }
    differ(e, "wait_pr: still not true after %ld ms, %ld ms without a landing: %s%s",
           (long)((now_s() - t0) * 1000), (long)((now_s() - last_progress) * 1000), why,
           landq_waits_for_reset(e) ? " (landq has spent its whole rate limit and waits for the reset)"
                                    : "");
    return -1;
}

static int do_fault(env *e, json_t *st)
{
    json_t *resp = NULL;
    int status = http(e, "POST", "/_mockhub/faults", NULL, json_object_get(st, "spec"), &resp);
    int rc = ok_status(e, st, status, "fault", resp);
    const char *name = step_s(st, "name", NULL);
    if (name && resp)
        json_object_set(e->fault_ids, name, json_object_get(resp, "ids"));
    json_decref(resp);
    return rc;
}

static int do_wait_fault(env *e, json_t *st)
{
    long timeout = (long)(json_object_get(st, "timeout_ms") ? json_integer_value(json_object_get(st, "timeout_ms")) : e->default_wait);
    long want = json_object_get(st, "fired") ? (long)json_integer_value(json_object_get(st, "fired")) : 1;
    json_t *ids = json_object_get(e->fault_ids, step_s(st, "name", ""));
    double end = now_s() + timeout / 1000.0;
    long fired = 0;
    while (now_s() < end) {
        json_t *fs = get_json(e, "/_mockhub/faults", NULL);
        json_t *list = json_is_array(fs) ? fs : json_object_get(fs, "faults");
        fired = 0;
        size_t i, k;
        json_t *f, *id;
        json_array_foreach(list, i, f) {
            json_array_foreach(ids, k, id) {
                if (json_integer_value(json_object_get(f, "id")) == json_integer_value(id))
                    fired += (long)json_integer_value(json_object_get(f, "fired"));
            }
        }
        json_decref(fs);
        if (fired >= want)
            return 0;
        if (!landq_alive(e))
            return -1;
        sleep_ms(20);
    }
    differ(e, "wait_fault %s: fired %ld times, expected %ld within %ld ms", step_s(st, "name", ""), fired, want, timeout);
    return -1;
}

/* `landq freeze` / `landq unfreeze` against the running landq's ops listener, as an operator
 * would run it: exit status (expect_exit, default 0) and output (output_contains) checked. */
static int do_freeze(env *e, json_t *st, int freeze)
{
    if (!landq_alive(e) || e->lq[0].ops_port <= 0) {
        differ(e, "%s: landq is not running (or has no ops listener)", freeze ? "freeze" : "unfreeze");
        return -1;
    }
    char server[64], out[330];
    snprintf(server, sizeof server, "http://127.0.0.1:%d", e->lq[0].ops_port); /* any instance: the freeze is in the database */
    snprintf(out, sizeof out, "%s/freeze.out", e->dir);
    unlink(out);
    const char *argv[20];
    int n = 0;
    argv[n++] = e->o->landq_exe;
    argv[n++] = freeze ? "freeze" : "unfreeze";
    argv[n++] = "--repo";
    argv[n++] = e->repo;
    argv[n++] = "--branch";
    argv[n++] = step_s(st, "branch", e->base);
    if (freeze) {
        argv[n++] = "--reason";
        argv[n++] = step_s(st, "reason", "");
    }
    argv[n++] = "--by";
    argv[n++] = step_s(st, "by", "ops");
    argv[n++] = "--server";
    argv[n++] = server;
    argv[n] = NULL;
    const char *envs[] = {"LANDQ_ADMIN_TOKEN", step_s(st, "token", ADMIN_TOKEN), NULL};
    pid_t pid = spawn((char *const *)argv, out, envs);
    int ws = wait_pid(pid, 30000);
    if (ws == -1) {
        kill(pid, SIGKILL);
        wait_pid(pid, 5000);
        differ(e, "landq %s did not finish within 30 s", argv[1]);
        return -1;
    }
    int code = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
    char text[2048] = "";
    FILE *f = fopen(out, "r");
    if (f) {
        size_t k = fread(text, 1, sizeof text - 1, f);
        text[k] = '\0';
        fclose(f);
    }
    json_int_t want = json_object_get(st, "expect_exit") ? json_integer_value(json_object_get(st, "expect_exit")) : 0;
    if (code != want) {
        differ(e, "landq %s exited %d, expected %lld: %s", argv[1], code, (long long)want, text);
        return -1;
    }
    const char *c = step_s(st, "output_contains", NULL);
    if (c && !strstr(text, c)) {
        differ(e, "landq %s said \"%s\", not containing \"%s\"", argv[1], text, c);
        return -1;
    }
    return 0;
}

/* The instance holding a branch lease (its ops /healthz: "leases": {"held": N > 0}), or -1. */
static int lease_holder(env *e)
{
    for (int i = 0; i < e->ninst; i++) {
        if (e->lq[i].pid <= 0 || e->lq[i].ops_port <= 0)
            continue;
        char url[64];
        snprintf(url, sizeof url, "http://127.0.0.1:%d/healthz", e->lq[i].ops_port);
        json_t *h = NULL;
        http(e, "GET", url, NULL, NULL, &h);
        json_int_t held = json_integer_value(json_object_get(json_object_get(h, "leases"), "held"));
        json_decref(h);
        if (held > 0)
            return i;
    }
    return -1;
}

/* A delay fault holding landq's next merge request in mockhub for MERGE_HOLD_MS; its id, or 0. */
#define MERGE_HOLD_MS 2500
static json_int_t hold_next_merge(env *e)
{
    char path[300];
    snprintf(path, sizeof path, "/repos/%s/pulls/*/merge", e->repo);
    json_t *spec = json_pack("{s:s, s:s, s:s, s:i, s:i}", "kind", "delay", "method", "PUT", "path", path, "delay_ms",
                             MERGE_HOLD_MS, "times", 1);
    json_t *resp = NULL;
    int status = http(e, "POST", "/_mockhub/faults", NULL, spec, &resp);
    json_decref(spec);
    json_int_t id = json_integer_value(json_array_get(json_object_get(resp, "ids"), 0));
    json_decref(resp);
    return status == 201 && id > 0 ? id : 0;
}

static long fault_fired(env *e, json_int_t id)
{
    json_t *fs = get_json(e, "/_mockhub/faults", NULL);
    json_t *list = json_is_array(fs) ? fs : json_object_get(fs, "faults");
    size_t i;
    json_t *f;
    long fired = 0;
    json_array_foreach(list, i, f) {
        if (json_integer_value(json_object_get(f, "id")) == id)
            fired = (long)json_integer_value(json_object_get(f, "fired"));
    }
    json_decref(fs);
    return fired;
}

/* SIGKILLs instance victim (holder: it holds a lease; in_merge: its merge request is being held)
 * and starts it again after down_ms on the same ports. */
static int kill_and_restart(env *e, int victim, int holder, int in_merge, long down_ms)
{
    e->kills++;
    e->kills_holder += holder;
    e->kills_merge += holder && in_merge;
    if (e->nkilled < (int)(sizeof e->killed / sizeof e->killed[0]))
        e->killed[e->nkilled++] = e->lq[victim].pid;
    if (e->o->verbose)
        fprintf(stderr, "  kill -9 %s (pid %d, %s%s)\n", inst_name(e, victim), (int)e->lq[victim].pid,
                holder ? "the lease holder" : "no instance held a lease", in_merge ? ", a merge request in flight" : "");
    stop_instance(e, victim, 1);
    sleep_ms(down_ms);
    return start_instance(e, victim);
}

/* Kills armed by kill_leader "during": "merge": once the fault holding landq's merge request has
 * fired, the lease holder (the instance waiting for that merge) is killed, then the next armed kill
 * waits for the next merge. Polled between steps and by the runner's waits, well within the hold. */
static void poll_armed_kill(env *e)
{
    if (e->armed_n == 0 || !e->armed_fault || fault_fired(e, e->armed_fault) <= 0)
        return;
    e->armed_fault = 0;
    long down = e->armed_down[0];
    memmove(e->armed_down, e->armed_down + 1, (size_t)(--e->armed_n) * sizeof e->armed_down[0]);
    int victim = lease_holder(e);
    if (victim >= 0)
        kill_and_restart(e, victim, 1, 1, down);
    if (e->armed_n)
        e->armed_fault = hold_next_merge(e);
}

/* SIGKILLs the instance holding a branch lease, waiting up to wait_ms for one to hold it, else
 * instance `pick` (modulo their number), and starts it again after down_ms on the same port. The
 * other instances take the lease over once it expires. "during": "merge" only arms the kill: it
 * happens when landq's next merge request is in flight (poll_armed_kill). */
static int do_kill_leader(env *e, json_t *st)
{
    long down = (long)json_integer_value(json_object_get(st, "down_ms"));
    const char *during = step_s(st, "during", NULL);
    if (during && !strcmp(during, "merge")) {
        if (e->armed_n < (int)(sizeof e->armed_down / sizeof e->armed_down[0]))
            e->armed_down[e->armed_n++] = down;
        if (!e->armed_fault)
            e->armed_fault = hold_next_merge(e);
        return 0;
    }
    double until = now_s() + (double)json_integer_value(json_object_get(st, "wait_ms")) / 1000.0;
    int victim;
    while ((victim = lease_holder(e)) < 0 && now_s() < until)
        sleep_ms(50);
    int holder = victim >= 0;
    if (!holder)
        victim = (int)(json_integer_value(json_object_get(st, "pick")) % e->ninst);
    return kill_and_restart(e, victim, holder, 0, down);
}

static int do_control(env *e, json_t *st, const char *method, const char *path, json_t *body)
{
    json_t *resp = NULL;
    int status = http(e, method, path, NULL, body, &resp);
    int rc = ok_status(e, st, status, path, resp);
    json_decref(resp);
    return rc;
}

static int alive_cb(void *ctx)
{
    poll_armed_kill(ctx);
    return landq_alive(ctx);
}

static int run_step(env *e, json_t *st)
{
    const char *kind = step_s(st, "do", "");
    e->line = (int)json_integer_value(json_object_get(st, "_line"));
    if (e->o->verbose) {
        char *t = json_dumps(st, JSON_COMPACT);
        fprintf(stderr, "  step %s:%d %s\n", e->s->file, e->line, t);
        free(t);
    }
    if (!strcmp(kind, "open_pr"))
        return do_open_pr(e, st);
    if (!strcmp(kind, "push"))
        return do_push(e, st);
    if (!strcmp(kind, "review"))
        return do_review(e, st);
    if (!strcmp(kind, "dismiss"))
        return do_dismiss(e, st);
    if (!strcmp(kind, "label") || !strcmp(kind, "unlabel"))
        return do_label(e, st, !strcmp(kind, "label"));
    if (!strcmp(kind, "status"))
        return do_status(e, st);
    if (!strcmp(kind, "check_run"))
        return do_check_run(e, st);
    if (!strcmp(kind, "commit")) {
        char last[48];
        return write_files(e, st, step_s(st, "as", NULL), step_s(st, "branch", e->base), json_object_get(st, "files"),
                           step_s(st, "message", NULL), last);
    }
    if (!strcmp(kind, "close") || !strcmp(kind, "reopen"))
        return do_close(e, st, !strcmp(kind, "reopen"));
    if (!strcmp(kind, "retarget"))
        return do_retarget(e, st);
    if (!strcmp(kind, "merge"))
        return do_merge(e, st);
    if (!strcmp(kind, "wait_idle")) {
        long t = json_object_get(st, "timeout_ms") ? (long)json_integer_value(json_object_get(st, "timeout_ms")) : e->default_wait;
        long q = json_object_get(st, "quiet_ms") ? (long)json_integer_value(json_object_get(st, "quiet_ms")) : QUIET_MS;
        if (wait_idle(e, t, q) < 0) {
            differ(e, "wait_idle: landq still busy after %ld ms", t);
            return -1;
        }
        return 0;
    }
    if (!strcmp(kind, "wait_request"))
        return do_wait_request(e, st);
    if (!strcmp(kind, "wait_pr"))
        return do_wait_pr(e, st);
    if (!strcmp(kind, "wait_fault"))
        return do_wait_fault(e, st);
    if (!strcmp(kind, "sleep")) {
        sleep_ms((long)json_integer_value(json_object_get(st, "ms")));
        return 0;
    }
    if (!strcmp(kind, "freeze") || !strcmp(kind, "unfreeze"))
        return do_freeze(e, st, !strcmp(kind, "freeze"));
    if (!strcmp(kind, "restart_landq")) {
        stop_landq(e, !strcmp(step_s(st, "mode", "clean"), "kill9"));
        if (json_object_get(st, "down_ms"))
            sleep_ms((long)json_integer_value(json_object_get(st, "down_ms")));
        return start_landq(e);
    }
    if (!strcmp(kind, "kill_leader"))
        return do_kill_leader(e, st);
    if (!strcmp(kind, "fault"))
        return do_fault(e, st);
    if (!strcmp(kind, "clear_faults"))
        return do_control(e, st, "DELETE", "/_mockhub/faults", NULL);
    if (!strcmp(kind, "rate_limit")) {
        json_t *body = json_deep_copy(st);
        json_object_del(body, "do");
        json_object_del(body, "_line");
        json_object_del(body, "note");
        json_object_del(body, "expect_http");
        if (!json_object_get(body, "login"))
            json_object_set_new(body, "login", json_string(e->lq_user));
        e->rate_limit_steps++;
        int rc = do_control(e, st, "POST", "/_mockhub/rate_limit", body);
        json_decref(body);
        return rc;
    }
    if (!strcmp(kind, "ci") || !strcmp(kind, "wait_ci")) { /* the CI simulator (sc_ci.c) */
        char why[1024];
        int rc = !strcmp(kind, "ci") ? sc_ci_step(e->curl, e->api, st, why, sizeof why)
                                     : sc_ci_wait(e->curl, e->api, st, e->default_wait, alive_cb, e, why, sizeof why);
        if (rc < 0)
            differ(e, "%s", why);
        return rc;
    }
    if (!strcmp(kind, "comment"))
        return do_comment(e, st);
    if (!strcmp(kind, "webhook")) { /* a signed delivery of any payload: a replayed or forged one */
        json_t *body = json_pack("{s:O, s:O, s:s}", "event", json_object_get(st, "event"), "payload",
                                 json_object_get(st, "payload"), "repo", e->repo);
        int rc = do_control(e, st, "POST", "/_mockhub/webhooks/send", body);
        json_decref(body);
        return rc;
    }
    if (!strcmp(kind, "mergeable")) {
        json_t *body = json_object();
        if (json_object_get(st, "delay_reads"))
            json_object_set(body, "delay_reads", json_object_get(st, "delay_reads"));
        if (json_object_get(st, "delay_ms"))
            json_object_set(body, "delay_ms", json_object_get(st, "delay_ms"));
        int rc = do_control(e, st, "POST", "/_mockhub/mergeable", body);
        json_decref(body);
        return rc;
    }
    differ(e, "unknown step %s", kind);
    return -1;
}

/* ---- expectations ---- */

/* Whether line[0..len) would be read as an Approved-by trailer (git interpret-trailers: the token
 * in any case, blanks allowed around it; a reader trimming the line). The runner's own code, not
 * landq's. */
static int looks_like_approved_by(const char *line, size_t len)
{
    size_t i = 0;
    while (i < len && (line[i] == ' ' || line[i] == '\t'))
        i++;
    if (len - i < 11 || strncasecmp(line + i, "approved-by", 11))
        return 0;
    for (i += 11; i < len && (line[i] == ' ' || line[i] == '\t'); i++)
        ;
    return i < len && line[i] == ':';
}

static json_t *commit_get(env *e, const char *sha)
{
    char path[512];
    snprintf(path, sizeof path, "/repos/%s/commits/%s", e->repo, sha);
    return get_json(e, path, e->reader);
}

/* Content of path at ref (new string, caller frees), NULL if absent. */
static char *file_at(env *e, const char *path, const char *ref, size_t *len)
{
    char *enc = mh_url_encode(path, 1);
    char url[1024];
    snprintf(url, sizeof url, "/repos/%s/contents/%s?ref=%s", e->repo, enc, ref);
    free(enc);
    json_t *j = NULL;
    int status = http(e, "GET", url, e->reader, NULL, &j);
    if (status != 200 && status != 404)
        differ(e, "reading %s at %.12s: HTTP %d", path, ref, status);
    const char *c = status == 200 ? json_string_value(json_object_get(j, "content")) : NULL;
    char *out = NULL;
    if (c) {
        size_t n = 0;
        out = (char *)mh_base64_decode(c, &n);
        if (len)
            *len = n;
    }
    json_decref(j);
    return out;
}

static void check_commit(env *e, const char *what, const char *sha, json_t *want)
{
    json_t *c = commit_get(e, sha);
    if (!c) {
        differ(e, "%s: cannot read commit %s", what, sha);
        return;
    }
    const char *msg = json_string_value(json_object_get(json_object_get(c, "commit"), "message"));
    if (!msg)
        msg = "";
    const char *nl = strstr(msg, "\n\n");
    size_t tlen = nl ? (size_t)(nl - msg) : strlen(msg);
    const char *rest = nl ? nl + 2 : "";
    const char *t = json_string_value(json_object_get(want, "title"));
    if (t && (strlen(t) != tlen || strncmp(t, msg, tlen)))
        differ(e, "%s: title is \"%.*s\", expected \"%s\"", what, (int)tlen, msg, t);
    const char *m = json_string_value(json_object_get(want, "message"));
    if (m && strcmp(m, rest))
        differ(e, "%s: message is\n-----\n%s\n-----\nexpected\n-----\n%s\n-----", what, rest, m);
    json_t *parents = json_object_get(want, "parents");
    if (parents && (json_int_t)json_array_size(json_object_get(c, "parents")) != json_integer_value(parents))
        differ(e, "%s: %zu parents, expected %lld", what, json_array_size(json_object_get(c, "parents")),
               (long long)json_integer_value(parents));
    const char *path;
    json_t *content;
    json_object_foreach(json_object_get(want, "files"), path, content) {
        size_t n = 0;
        char *got = file_at(e, path, sha, &n);
        if (json_is_null(content) && got)
            differ(e, "%s: %s exists, expected it deleted", what, path);
        else if (json_is_string(content) && (!got || strcmp(got, json_string_value(content))))
            differ(e, "%s: %s is %s%s%s, expected \"%s\"", what, path, got ? "\"" : "", got ? got : "missing",
                   got ? "\"" : "", json_string_value(content));
        free(got);
    }
    json_decref(c);
}

/* First-parent history of the base branch since the scenario started: [sha...] oldest first. */
static json_t *base_history(env *e, json_t *repo)
{
    json_t *out = json_array();
    const char *sha = json_string_value(json_object_get(json_object_get(repo, "branches"), e->base));
    char cur[48];
    snprintf(cur, sizeof cur, "%s", sha ? sha : "");
    for (int guard = 0; cur[0] && strcmp(cur, e->base_start) && guard < 5000; guard++) {
        json_array_insert_new(out, 0, json_string(cur));
        json_t *c = commit_get(e, cur);
        const char *p = json_string_value(json_object_get(json_array_get(json_object_get(c, "parents"), 0), "sha"));
        snprintf(cur, sizeof cur, "%s", p ? p : "");
        json_decref(c);
    }
    return out;
}

static void check_expectations(env *e, json_t *st, json_t *reqs)
{
    json_t *exp = json_object_get(e->s->root, "expect");
    json_t *repo = repo_state(st, e->repo);
    const char *k;
    json_t *pe;
    e->line = 0;
    json_object_foreach(json_object_get(exp, "pulls"), k, pe) {
        int n = atoi(k);
        char ptr[64];
        snprintf(ptr, sizeof ptr, "/expect/pulls/%s", k);
        e->line = sc_scenario_line(e->s->lines, ptr);
        json_t *p = pull_state(repo, n);
        if (!p) {
            differ(e, "#%d does not exist", n);
            continue;
        }
        json_t *m = json_object_get(pe, "merged");
        if (m && json_is_true(json_object_get(p, "merged")) != json_is_true(m))
            differ(e, "#%d merged=%s, expected %s", n, json_is_true(json_object_get(p, "merged")) ? "true" : "false",
                   json_is_true(m) ? "true" : "false");
        const char *sstate = json_string_value(json_object_get(pe, "state"));
        if (sstate && strcmp(sstate, json_string_value(json_object_get(p, "state"))))
            differ(e, "#%d is %s, expected %s", n, json_string_value(json_object_get(p, "state")), sstate);
        json_t *labels = json_object_get(pe, "labels");
        if (labels) {
            int same = json_array_size(labels) == json_array_size(json_object_get(p, "labels"));
            size_t i;
            json_t *l;
            json_array_foreach(labels, i, l) same &= has_label(p, json_string_value(l));
            if (!same) {
                mh_buf got;
                mh_buf_init(&got);
                json_array_foreach(json_object_get(p, "labels"), i, l) mh_buf_printf(&got, " %s", label_name(l));
                char *w = json_dumps(labels, JSON_COMPACT);
                differ(e, "#%d labels:%s, expected %s", n, got.ptr ? got.ptr : " (none)", w);
                free(w);
                mh_buf_dispose(&got);
            }
        }
        json_t *ce = json_object_get(pe, "comments");
        if (ce) {
            json_t *cs = landq_comments(e, repo, n);
            json_t *cnt = json_object_get(ce, "count");
            if (cnt && (json_int_t)json_array_size(cs) != json_integer_value(cnt))
                differ(e, "#%d has %zu landq comments, expected %lld", n, json_array_size(cs),
                       (long long)json_integer_value(cnt));
            size_t i, j;
            json_t *want, *c;
            json_array_foreach(json_object_get(ce, "contains"), i, want) {
                int found = 0;
                json_array_foreach(cs, j, c) found |= strstr(json_string_value(json_object_get(c, "body")),
                                                            json_string_value(want)) != NULL;
                if (!found) {
                    const char *last = json_string_value(json_object_get(json_array_get(cs, json_array_size(cs) - 1), "body"));
                    differ(e, "#%d: no landq comment contains \"%s\" (last comment:\n%s)", n, json_string_value(want),
                           last ? last : "(none)");
                }
            }
            json_array_foreach(json_object_get(ce, "not_contains"), i, want) {
                json_array_foreach(cs, j, c) {
                    if (strstr(json_string_value(json_object_get(c, "body")), json_string_value(want)))
                        differ(e, "#%d: a landq comment contains \"%s\"", n, json_string_value(want));
                }
            }
            json_decref(cs);
        }
        json_t *se = json_object_get(pe, "status");
        if (se) {
            const char *ctx = json_string_value(json_object_get(se, "context"));
            json_t *ls = latest_status(repo, json_string_value(json_object_get(p, "head_sha")), ctx ? ctx : "landq");
            const char *gs = json_string_value(json_object_get(ls, "state"));
            const char *gd = json_string_value(json_object_get(ls, "description"));
            const char *ws = json_string_value(json_object_get(se, "state"));
            const char *wd = json_string_value(json_object_get(se, "description"));
            const char *wc = json_string_value(json_object_get(se, "description_contains"));
            if ((ws && (!gs || strcmp(ws, gs))) || (wd && (!gd || strcmp(wd, gd))) || (wc && (!gd || !strstr(gd, wc))))
                differ(e, "#%d status %s is %s \"%s\", expected %s \"%s\"", n, ctx ? ctx : "landq", gs ? gs : "(none)",
                       gd ? gd : "", ws ? ws : "*", wd ? wd : wc ? wc : "*");
        }
        json_t *cme = json_object_get(pe, "commit");
        if (cme) {
            /* an open pull request's merge_commit_sha is GitHub's test merge: never compare that */
            const char *mc = json_string_value(json_object_get(p, "merge_commit_sha"));
            char what[64];
            snprintf(what, sizeof what, "#%d's commit", n);
            if (!json_is_true(json_object_get(p, "merged")))
                differ(e, "#%d is not merged, so it has no merge commit to compare with \"commit\" (it is %s)", n,
                       json_string_value(json_object_get(p, "state")));
            else if (!mc)
                differ(e, "#%d has no merge commit", n);
            else
                check_commit(e, what, mc, cme);
        }
        json_t *ma = json_object_get(pe, "merge_attempts");
        if (ma) {
            long cnt = 0;
            size_t i;
            json_t *r;
            json_array_foreach(reqs, i, r) {
                if (req_is_landq(e, r) && !strcmp(json_string_value(json_object_get(r, "method")), "PUT") &&
                    pr_from_path(json_string_value(json_object_get(r, "path")), "/merge") == n)
                    cnt++;
            }
            if (cnt != json_integer_value(ma))
                differ(e, "#%d: %ld merge requests from landq, expected %lld", n, cnt, (long long)json_integer_value(ma));
        }
    }
    json_t *be = json_object_get(exp, "base");
    if (be) {
        e->line = sc_scenario_line(e->s->lines, "/expect/base");
        json_t *hist = base_history(e, repo);
        json_t *nc = json_object_get(be, "new_commits");
        if (nc && (json_int_t)json_array_size(hist) != json_integer_value(nc))
            differ(e, "%s has %zu new commits, expected %lld", e->base, json_array_size(hist),
                   (long long)json_integer_value(nc));
        if (json_object_get(be, "head")) {
            const char *head = json_string_value(json_object_get(json_object_get(repo, "branches"), e->base));
            check_commit(e, "the head of the base branch", head ? head : "", json_object_get(be, "head"));
        }
        /* landing order: the pull requests' merge commits in base history order */
        json_t *order = json_array();
        size_t i, j;
        json_t *sha, *p;
        json_array_foreach(hist, i, sha) {
            json_array_foreach(json_object_get(repo, "pulls"), j, p) {
                const char *mc = json_string_value(json_object_get(p, "merge_commit_sha"));
                if (mc && !strcmp(mc, json_string_value(sha)))
                    json_array_append(order, json_object_get(p, "number"));
            }
        }
        json_t *want = json_object_get(be, "order");
        if (json_is_true(json_object_get(be, "label_order")))
            want = e->label_order;
        if (want && !json_equal(want, order)) {
            char *a = json_dumps(order, JSON_COMPACT), *b = json_dumps(want, JSON_COMPACT);
            differ(e, "landing order on %s is %s, expected %s", e->base, a, b);
            free(a);
            free(b);
        }
        json_decref(order);
        json_decref(hist);
    }
    json_t *re = json_object_get(exp, "requests");
    if (re) {
        e->line = sc_scenario_line(e->s->lines, "/expect/requests");
        long total = 0, merges = 0, charged = 0, gap = 0, gap_max = 0;
        size_t i;
        json_t *r;
        json_array_foreach(reqs, i, r) {
            if (!req_is_landq(e, r))
                continue;
            total++;
            const char *route = json_string_value(json_object_get(r, "route"));
            int merge = route && !strcmp(route, "pulls/merge") &&
                        !strcmp(json_string_value(json_object_get(r, "method")), "PUT");
            merges += merge;
            /* requests the rate limit charges: not 304s (GitHub does not) nor git fetches */
            json_int_t code = json_integer_value(json_object_get(r, "status"));
            if (code == 304 || (route && !strcmp(route, "git-smart-http")))
                continue;
            charged++;
            gap++;
            if (merge && code == 200) {
                gap_max = gap > gap_max ? gap : gap_max;
                gap = 0;
            }
        }
        if (gap > gap_max && gap == charged) /* no merge at all: the whole run was one gap */
            gap_max = gap;
        json_t *mx = json_object_get(re, "max"), *mg = json_object_get(re, "merges");
        json_t *gm = json_object_get(re, "merge_gap_max");
        if (gm && gap_max > json_integer_value(gm))
            differ(e, "landq made %ld charged API requests without a merge between them (before its first "
                      "merge or between two), at most %lld expected",
                   gap_max, (long long)json_integer_value(gm));
        if (mx && total > json_integer_value(mx))
            differ(e, "landq made %ld API requests, at most %lld expected", total, (long long)json_integer_value(mx));
        if (mg && merges != json_integer_value(mg))
            differ(e, "landq made %ld merge requests, expected %lld", merges, (long long)json_integer_value(mg));
    }
    json_t *ce = json_object_get(exp, "ci");
    if (ce) { /* the CI simulator (sc_ci.c) */
        e->line = sc_scenario_line(e->s->lines, "/expect/ci");
        sc_ci_where w = {e->repo, e->base, e->base_start, e->label, e->lq_user};
        json_t *diffs = json_array();
        sc_ci_expect(e->curl, e->api, &w, ce, diffs);
        size_t i;
        json_t *d;
        json_array_foreach(diffs, i, d) differ(e, "%s", json_string_value(d));
        json_decref(diffs);
    }
    e->line = 0;
}

/* ---- invariants ---- */

static const char *const co_locations[] = {".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"};

static char *codeowners_at(env *e, const char *ref, size_t *len)
{
    for (int i = 0; i < 3; i++) {
        char *t = file_at(e, co_locations[i], ref, len);
        if (t)
            return t;
    }
    return NULL;
}

static json_t *pull_files(env *e, int n)
{
    json_t *all = json_array();
    for (int page = 1; page < 40; page++) {
        char path[512];
        snprintf(path, sizeof path, "/repos/%s/pulls/%d/files?per_page=100&page=%d", e->repo, n, page);
        json_t *j = get_json(e, path, e->reader);
        if (!json_is_array(j)) {
            differ(e, "cannot read the files of #%d", n);
            json_decref(j);
            break;
        }
        size_t got = json_array_size(j);
        json_array_extend(all, j);
        json_decref(j);
        if (got < 100)
            break;
    }
    return all;
}

static int write_role(env *e, const char *login)
{
    json_t *repo = NULL;
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(e->world, "repos"), i, r) {
        if (!strcmp(json_string_value(json_object_get(r, "full_name")), e->repo))
            repo = r;
    }
    const char *role = json_string_value(json_object_get(json_object_get(repo, "collaborators"), login));
    if (role && (!strcmp(role, "write") || !strcmp(role, "maintain") || !strcmp(role, "admin")))
        return 1;
    /* team permissions */
    const char *slug;
    json_t *perm;
    json_object_foreach(json_object_get(repo, "teams"), slug, perm) {
        const char *pr = json_string_value(perm);
        if (!pr || (strcmp(pr, "write") && strcmp(pr, "maintain") && strcmp(pr, "admin")))
            continue;
        size_t a, b, c;
        json_t *org, *team, *m;
        json_array_foreach(json_object_get(e->world, "orgs"), a, org) {
            json_array_foreach(json_object_get(org, "teams"), b, team) {
                if (strcmp(json_string_value(json_object_get(team, "slug")), slug))
                    continue;
                json_array_foreach(json_object_get(team, "members"), c, m) {
                    if (mh_streq_ci(json_string_value(m), login))
                        return 1;
                }
            }
        }
    }
    return 0;
}

/* Are all checks on sha green (ignoring landq's own)? 1 yes, 0 pending, -1 failing. */
static int checks_state(env *e, json_t *repo, const char *sha)
{
    json_t *req = json_object_get(json_object_get(e->s->root, "landq"), "required_checks");
    json_t *latest = json_object();
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(repo, "statuses"), i, s) {
        const char *ctx = json_string_value(json_object_get(s, "context"));
        if (!strcmp(json_string_value(json_object_get(s, "sha")), sha) && strcmp(ctx, "landq"))
            json_object_set_new(latest, ctx, json_string(json_string_value(json_object_get(s, "state"))));
    }
    json_array_foreach(json_object_get(repo, "check_runs"), i, s) {
        if (strcmp(json_string_value(json_object_get(s, "head_sha")) ? json_string_value(json_object_get(s, "head_sha")) : "", sha))
            continue;
        const char *name = json_string_value(json_object_get(s, "name"));
        const char *status = json_string_value(json_object_get(s, "status"));
        const char *concl = json_string_value(json_object_get(s, "conclusion"));
        const char *v = !status || strcmp(status, "completed") ? "pending"
                        : concl && (!strcmp(concl, "success") || !strcmp(concl, "neutral") || !strcmp(concl, "skipped")) ? "success"
                                                                                                                            : "failure";
        if (name)
            json_object_set_new(latest, name, json_string(v));
    }
    int rc = 1;
    const char *k;
    json_object_foreach(latest, k, s) {
        int required = !json_array_size(req);
        size_t j;
        json_t *x;
        json_array_foreach(req, j, x) required |= !strcmp(json_string_value(x), k);
        if (!required)
            continue;
        const char *v = json_string_value(s);
        if (!strcmp(v, "pending") && rc > 0)
            rc = 0;
        else if (strcmp(v, "success") && strcmp(v, "pending"))
            rc = -1;
    }
    json_array_foreach(req, i, s) {
        if (!json_object_get(latest, json_string_value(s)) && rc > 0)
            rc = 0;
    }
    json_decref(latest);
    return rc;
}

static void check_invariants(env *e, json_t *st, json_t *reqs)
{
    json_t *repo = repo_state(st, e->repo);
    e->line = 0;
    /* 2: no double merge; merges only by landq, squash, title, trailers */
    json_t *ok200 = json_object();
    size_t i;
    json_t *r, *p;
    long lq_ratelimited = 0;
    json_array_foreach(reqs, i, r) {
        if (!req_is_landq(e, r))
            continue;
        json_int_t status = json_integer_value(json_object_get(r, "status"));
        if (status == 403 || status == 429)
            lq_ratelimited++;
        if (strcmp(json_string_value(json_object_get(r, "route")), "pulls/merge") ||
            strcmp(json_string_value(json_object_get(r, "method")), "PUT") || status != 200)
            continue;
        char k[16];
        snprintf(k, sizeof k, "%d", pr_from_path(json_string_value(json_object_get(r, "path")), NULL));
        json_int_t c = json_integer_value(json_object_get(ok200, k));
        json_object_set_new(ok200, k, json_integer(c + 1));
        if (c + 1 == 2)
            differ(e, "invariant 2: pull request #%s merged twice", k);
    }
    json_decref(ok200);
    json_array_foreach(json_object_get(repo, "pulls"), i, p) {
        int n = (int)json_integer_value(json_object_get(p, "number"));
        if (!json_is_true(json_object_get(p, "merged")))
            continue;
        const char *by = json_string_value(json_object_get(p, "merged_by"));
        if (!by || !mh_streq_ci(by, e->lq_user))
            continue; /* merged by a person in the scenario: not landq's doing */
        const char *mc = json_string_value(json_object_get(p, "merge_commit_sha"));
        const char *head = json_string_value(json_object_get(p, "head_sha"));
        const char *author = json_string_value(json_object_get(p, "user"));
        json_t *c = mc ? commit_get(e, mc) : NULL;
        if (!c) {
            differ(e, "invariant 2: #%d merged but its commit cannot be read", n);
            continue;
        }
        json_t *parents = json_object_get(c, "parents");
        const char *msg = json_string_value(json_object_get(json_object_get(c, "commit"), "message"));
        if (json_array_size(parents) != 1)
            differ(e, "invariant 2: #%d's commit %s has %zu parents (not a squash)", n, mc, json_array_size(parents));
        const char *title = json_string_value(json_object_get(p, "title"));
        size_t tl = strcspn(msg ? msg : "", "\n");
        if (!msg || strlen(title) != tl || strncmp(msg, title, tl))
            differ(e, "invariant 2: #%d's commit title is \"%.*s\", not the pull request title \"%s\"", n, (int)tl,
                   msg ? msg : "", title);
        json_t *approvers = sc_approvers(json_object_get(p, "reviews"), author, head);
        /* trailers: the last lines "Approved-by: X": approvers of the merged head (the ones the decision
         * used; an approval that arrives between the decision and the merge may be missing), sorted
         * case-insensitively, each once, after a blank line */
        char *tr_err = NULL;
        {
            const char *end = msg ? msg + strlen(msg) : NULL;
            const char *block = end; /* where landq's trailer block starts */
            const char *prev_login = NULL;
            json_t *seen = json_array();
            while (msg && end > msg && end[-1] == '\n')
                end--;
            while (msg && end > msg) {
                const char *ls = end;
                while (ls > msg && ls[-1] != '\n')
                    ls--;
                if (strncmp(ls, "Approved-by: ", 13)) {
                    if (json_array_size(seen) && ls != end)
                        tr_err = strdup("the Approved-by block does not follow a blank line");
                    break;
                }
                json_array_insert_new(seen, 0, json_stringn(ls + 13, (size_t)(end - ls - 13)));
                block = ls;
                if (ls == msg)
                    break;
                end = ls - 1;
            }
            /* Above the block, no line a trailer parser would read as Approved-by (issue 12,
             * defect 5: a pull request body forging one). */
            for (const char *l = msg; msg && !tr_err && l < block;) {
                const char *nl = strchr(l, '\n');
                size_t len = nl ? (size_t)(nl - l) : strlen(l);
                if (looks_like_approved_by(l, len)) {
                    mh_buf eb;
                    mh_buf_init(&eb);
                    mh_buf_printf(&eb, "\"%.*s\" reads as an Approved-by trailer landq did not write", (int)len, l);
                    tr_err = mh_buf_take(&eb);
                    mh_buf_dispose(&eb);
                }
                l += len + (nl != NULL);
            }
            size_t j;
            json_t *a;
            json_array_foreach(seen, j, a) {
                const char *login = json_string_value(a);
                int ok = 0;
                size_t q;
                json_t *b;
                json_array_foreach(approvers, q, b) ok |= !strcmp(json_string_value(b), login);
                if (!ok && !tr_err) {
                    mh_buf eb;
                    mh_buf_init(&eb);
                    mh_buf_printf(&eb, "Approved-by: %s, who did not approve the merged head", login);
                    tr_err = mh_buf_take(&eb);
                    mh_buf_dispose(&eb);
                }
                if (prev_login && strcasecmp(prev_login, login) >= 0 && !tr_err)
                    tr_err = strdup("the Approved-by lines are not sorted case-insensitively, each login once");
                prev_login = login;
            }
            json_decref(seen);
        }
        if (tr_err)
            differ(e, "invariant 2: #%d's commit message: %s (approvers of %.12s: %zu)\n---- message:\n%s", n, tr_err, head,
                   json_array_size(approvers), msg ? msg : "");
        free(tr_err);
        /* 1: owners under the base branch's CODEOWNERS (at the merge commit's parent) */
        const char *parent = json_string_value(json_object_get(json_array_get(parents, 0), "sha"));
        size_t colen = 0;
        char *co = parent ? codeowners_at(e, parent, &colen) : NULL;
        json_t *files = pull_files(e, n);
        char why[1024] = "";
        int ok = sc_owners_satisfied(co, colen, files, approvers, e->world, why, sizeof why);
        if (ok != 1)
            differ(e, "invariant 1: #%d merged without owner approval on its head %.12s: %s", n, head, why);
        /* 5: merged into the base landq decided for (its last status naming a base on the head) */
        json_t *mine = json_array(); /* landq's statuses on the head, newest first */
        size_t si;
        json_t *sv;
        json_array_foreach(json_object_get(repo, "statuses"), si, sv) {
            if (!strcmp(json_string_value(json_object_get(sv, "sha")), head))
                json_array_insert(mine, 0, sv);
        }
        char decided[256];
        const char *base = json_string_value(json_object_get(p, "base"));
        if (sc_decided_base(mine, "landq", decided, sizeof decided) && base && strcmp(decided, base))
            differ(e, "invariant 5: #%d merged into %s, but landq decided for %s", n, base, decided);
        json_decref(mine);
        free(co);
        json_decref(files);
        json_decref(approvers);
        json_decref(c);
    }
    /* 3: labeled pull requests land, or say why (not when the timeline stopped early: landq had
     * no time to, and that would only repeat the root error) */
    json_array_foreach(e->stopped ? NULL : json_object_get(repo, "pulls"), i, p) {
        int n = (int)json_integer_value(json_object_get(p, "number"));
        char k[16];
        snprintf(k, sizeof k, "%d", n);
        const char *labeler = json_string_value(json_object_get(e->labelers, k));
        if (!labeler || json_is_true(json_object_get(p, "merged")) ||
            strcmp(json_string_value(json_object_get(p, "state")), "open"))
            continue;
        const char *head = json_string_value(json_object_get(p, "head_sha"));
        int labeled = has_label(p, e->label);
        /* who removed the label last? */
        const char *remover = NULL;
        size_t j;
        json_t *ev;
        json_array_foreach(json_object_get(repo, "events"), j, ev) {
            if (json_integer_value(json_object_get(ev, "issue")) == n &&
                !strcmp(json_string_value(json_object_get(ev, "event")), "unlabeled"))
                remover = json_string_value(json_object_get(ev, "actor"));
        }
        int removed_by_landq = !labeled && remover && mh_streq_ci(remover, e->lq_user);
        if (!labeled && !removed_by_landq)
            continue; /* a person took it out of the queue */
        json_t *cs = landq_comments(e, repo, n);
        json_t *ls = latest_status(repo, head, "landq");
        if (!ls && removed_by_landq) {
            /* taken out of the queue, then pushed to: the reason is on an older head, which can be
             * any commit of the pull request (a push step writes one commit per file, and landq
             * may have judged one in the middle: chaos seeds 30521, 30539) */
            char path[512];
            snprintf(path, sizeof path, "/repos/%s/pulls/%d/commits?per_page=100", e->repo, n);
            json_t *hist = get_json(e, path, e->reader);
            json_t *h;
            json_array_foreach(hist, j, h) {
                if (!ls)
                    ls = latest_status(repo, json_string_value(json_object_get(h, "sha")), "landq");
            }
            json_decref(hist);
        }
        if (!json_array_size(cs) || !ls)
            differ(e, "invariant 3: #%d was labeled and did not land, but landq gave no reason (%zu comments, %s status)", n,
                   json_array_size(cs), ls ? "a" : "no");
        json_decref(cs);
        if (!labeled)
            continue;
        /* eligible? then it should have landed */
        const char *author = json_string_value(json_object_get(p, "user"));
        if (json_is_true(json_object_get(p, "draft")) || !write_role(e, labeler) ||
            sc_changes_requested(json_object_get(p, "reviews")) || checks_state(e, repo, head) != 1 ||
            !json_is_true(json_object_get(p, "mergeable")))
            continue;
        json_t *approvers = sc_approvers(json_object_get(p, "reviews"), author, head);
        const char *basesha = json_string_value(json_object_get(json_object_get(repo, "branches"), json_string_value(json_object_get(p, "base"))));
        size_t colen = 0;
        char *co = basesha ? codeowners_at(e, basesha, &colen) : NULL;
        json_t *files = pull_files(e, n);
        char why[1024] = "";
        if (sc_owners_satisfied(co, colen, files, approvers, e->world, why, sizeof why) == 1)
            differ(e, "invariant 3: #%d is eligible (labeled by %s, owners approved %.12s, checks green, mergeable) "
                      "but did not land",
                   n, labeler, head);
        free(co);
        json_decref(files);
        json_decref(approvers);
    }
    /* 4: deliveries never answered 5xx; rate limit not exceeded */
    json_t *dl = get_json(e, "/_mockhub/deliveries", NULL);
    json_t *d;
    json_array_foreach(dl, i, d) {
        json_int_t code = json_integer_value(json_object_get(d, "status_code"));
        if (code >= 500)
            differ(e, "invariant 4: landq answered delivery %s (%s) with %lld", json_string_value(json_object_get(d, "guid")),
                   json_string_value(json_object_get(d, "event")), (long long)code);
    }
    json_decref(dl);
    json_t *fs = json_incref(e->faults_final);
    json_t *list = json_is_array(fs) ? fs : json_object_get(fs, "faults");
    long injected = 0;
    json_t *f;
    json_array_foreach(list, i, f) {
        const char *kind = json_string_value(json_object_get(f, "kind"));
        json_int_t s = json_integer_value(json_object_get(f, "status"));
        if (kind && (!strcmp(kind, "secondary_rate_limit") || (!strcmp(kind, "status") && (s == 403 || s == 429))))
            injected += (long)json_integer_value(json_object_get(f, "fired"));
    }
    json_decref(fs);
    json_t *rmax = json_object_get(json_object_get(json_object_get(e->s->root, "expect"), "requests"), "rate_limited_max");
    /* several instances share landq's token but not what each learned from its rate-limit headers:
     * every landq process (the instances, and each restart after a kill) may get its own first
     * rate-limited answer after an exhaustion */
    long allowed = rmax ? (long)json_integer_value(rmax) : (long)e->rate_limit_steps * (e->ninst > 1 ? e->ninst + e->kills : 1);
    if (lq_ratelimited - injected > allowed)
        differ(e, "invariant 4: landq got %ld rate-limited answers (%ld injected by faults), at most %ld allowed: "
                  "it does not wait for the reset",
               lq_ratelimited - injected, injected, allowed);
    /* 6: main is always green, judged by the CI simulator's rules on each tree (its oracle, not
     * landq's view), whenever the world has a ci section; a scenario showing the opposite says
     * "expect": {"ci": {"main_green": false}}, and "main_green": true is reported once, by the
     * expectation, when the timeline ran to its end */
    json_t *mg = json_object_get(json_object_get(json_object_get(e->s->root, "expect"), "ci"), "main_green");
    if (!json_is_false(mg) && !(json_is_true(mg) && !e->stopped) && sc_ci_configured(e->curl, e->api) == 1) {
        sc_ci_where w = {e->repo, e->base, e->base_start, e->label, e->lq_user};
        size_t n = 0;
        char *detail = NULL;
        int red = sc_ci_red_commits(e->curl, e->api, &w, &n, &detail);
        e->main_commits = (long)n;
        if (red < 0)
            differ(e, "invariant 6: mockhub's CI history did not answer");
        else if (red > 0)
            differ(e, "invariant 6: main is not green: %d of %zu new commits on %s fail the CI rules:%s", red, n, e->base,
                   detail ? detail : "");
        free(detail);
    }
}

/* Rows of one SQL query on the run's database (landq's store), or NULL (reported). */
static PGresult *ha_query(env *e, PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        differ(e, "PostgreSQL: %s: %s", sql, PQresultErrorMessage(r));
        PQclear(r);
        return NULL;
    }
    return r;
}

/* Several instances (docs/scale-out.md section 1), from landq's database after the run:
 * H1 every delivery an instance acknowledged (2xx) is stored and was processed (nothing
 * acknowledged is lost when its instance dies); H2 every pull request landq merged has exactly
 * one `landed` audit row, and none has one without a merge by landq; H3 every landed row carries a
 * lease token and the tokens never go down in landing order (each landing was made under the
 * lease in force, never under one already superseded). */
static void check_ha(env *e, json_t *st)
{
    PGconn *c = PQconnectdb(e->db);
    if (PQstatus(c) != CONNECTION_OK) {
        differ(e, "PostgreSQL (%s): %s", e->db, PQerrorMessage(c));
        PQfinish(c);
        return;
    }
    /* H1 */
    /* 1 processed; 2 not yet, claimed by an instance killed here whose claim has not expired (landq
     * claims a delivery for a minute, docs/deploy.md: it is applied once the claim expires, after
     * the run; not lost); 0 otherwise */
    PGresult *r = ha_query(e, c, "SELECT delivery_id, CASE WHEN processed <> 0 THEN 1 WHEN claimed_by IS NOT NULL"
                                 " AND claim_until_ms > lq_now_ms() THEN 2 ELSE 0 END, coalesce(claimed_by, '')"
                                 " FROM inbox_deliveries");
    json_t *stored = json_object();
    size_t awaiting = 0;
    for (int k = 0; r && k < PQntuples(r); k++) {
        int v = atoi(PQgetvalue(r, k, 1));
        const char *colon = strchr(PQgetvalue(r, k, 2), ':'); /* claimed_by: host:pid:nonce */
        int killed = 0;
        for (int q = 0; v == 2 && colon && q < e->nkilled; q++)
            killed |= atol(colon + 1) == (long)e->killed[q];
        if (v == 2 && !killed)
            v = 0;
        awaiting += v == 2;
        json_object_set_new(stored, PQgetvalue(r, k, 0), json_integer(v));
    }
    PQclear(r);
    json_t *dl = get_json(e, "/_mockhub/deliveries", NULL);
    size_t i, acked = 0;
    json_t *d;
    json_array_foreach(dl, i, d) {
        json_int_t code = json_integer_value(json_object_get(d, "status_code"));
        const char *guid = json_string_value(json_object_get(d, "guid"));
        const char *event = json_string_value(json_object_get(d, "event"));
        if (code < 200 || code > 299 || !guid || (event && !strcmp(event, "ping")))
            continue;
        json_t *p = json_object_get(stored, guid);
        acked++;
        if (!p)
            differ(e, "HA invariant 1: delivery %s (%s) was acknowledged (%lld) but is not in landq's inbox", guid,
                   event ? event : "?", (long long)code);
        else if (!json_integer_value(p))
            differ(e, "HA invariant 1: delivery %s (%s) was acknowledged and stored but never processed", guid,
                   event ? event : "?");
    }
    json_decref(dl);
    json_decref(stored);
    /* H2, H3 */
    r = ha_query(e, c, "SELECT number, lease_token FROM lq_audit WHERE action = 'landed' ORDER BY id");
    json_t *landed = json_object();
    long long last_token = 0;
    for (int k = 0; r && k < PQntuples(r); k++) {
        const char *n = PQgetvalue(r, k, 0);
        long long token = atoll(PQgetvalue(r, k, 1));
        json_object_set_new(landed, n, json_integer(json_integer_value(json_object_get(landed, n)) + 1));
        if (token <= 0)
            differ(e, "HA invariant 3: #%s's landed audit row has no lease token", n);
        else if (token < last_token)
            differ(e, "HA invariant 3: #%s landed under lease token %lld after a landing under token %lld", n, token,
                   last_token);
        if (token > last_token)
            last_token = token;
    }
    PQclear(r);
    PQfinish(c);
    json_t *p;
    json_array_foreach(json_object_get(repo_state(st, e->repo), "pulls"), i, p) {
        char n[16];
        snprintf(n, sizeof n, "%lld", (long long)json_integer_value(json_object_get(p, "number")));
        const char *by = json_string_value(json_object_get(p, "merged_by"));
        int by_landq = json_is_true(json_object_get(p, "merged")) && by && mh_streq_ci(by, e->lq_user);
        json_int_t rows = json_integer_value(json_object_get(landed, n));
        if (by_landq && rows != 1)
            differ(e, "HA invariant 2: #%s was merged by landq but has %lld landed audit rows (expected 1)", n,
                   (long long)rows);
        else if (!by_landq && rows)
            differ(e, "HA invariant 2: #%s has %lld landed audit rows but landq did not merge it", n, (long long)rows);
    }
    if (e->o->verbose)
        fprintf(stderr, "  HA checks: %zu acknowledged deliveries (%zu awaiting the expiry of a killed instance's claim), "
                "%zu pull requests with a landed row, last lease token %lld\n", acked, awaiting, json_object_size(landed),
                last_token);
    json_decref(landed);
}

/* A scenario must not depend on an endpoint mockhub only pretends to have (--strict answers 501). */
static void check_unimplemented(env *e, json_t *reqs)
{
    size_t i;
    json_t *r;
    e->line = 0;
    json_array_foreach(reqs, i, r) {
        if (json_is_true(json_object_get(r, "unimplemented")))
            differ(e, "%s called %s %s (%s), a GitHub endpoint mockhub does not implement (docs/mockhub.md)",
                   json_string_value(json_object_get(r, "user")) ? json_string_value(json_object_get(r, "user")) : "someone",
                   json_string_value(json_object_get(r, "method")), json_string_value(json_object_get(r, "path")),
                   json_string_value(json_object_get(r, "route")));
    }
}

/* ---- the run ---- */

static void tail(mh_buf *b, const char *path, const char *name, int lines)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    long from = size > 200000 ? size - 200000 : 0;
    fseek(f, from, SEEK_SET);
    char *buf = malloc((size_t)(size - from) + 1);
    size_t n = buf ? fread(buf, 1, (size_t)(size - from), f) : 0;
    fclose(f);
    if (!buf)
        return;
    buf[n] = '\0';
    int seen = 0;
    char *p = buf + n;
    while (p > buf && seen <= lines) {
        p--;
        if (*p == '\n' && p + 1 < buf + n)
            seen++;
    }
    if (*p == '\n')
        p++;
    mh_buf_printf(b, "  ---- tail of %s (%s)\n", name, path);
    for (char *line = strtok(p, "\n"); line; line = strtok(NULL, "\n"))
        mh_buf_printf(b, "  | %s\n", line);
    free(buf);
}

static int setup(env *e)
{
    /* under $TMPDIR when set: a benchmark finds its kept files among other runs' */
    const char *tmp = getenv("TMPDIR");
    char tmpl[200];
    snprintf(tmpl, sizeof tmpl, "%.170s/mockhub-scenario-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(tmpl)) {
        differ(e, "mkdtemp: %s", strerror(errno));
        return -1;
    }
    snprintf(e->dir, sizeof e->dir, "%s", tmpl);
    snprintf(e->world_path, sizeof e->world_path, "%s/world.json", e->dir);
    snprintf(e->mh_log, sizeof e->mh_log, "%s/mockhub.log", e->dir);
    snprintf(e->db, sizeof e->db, "%s/landq.db", e->dir);
    for (int i = 0; i < e->ninst; i++) {
        lq_instance *q = &e->lq[i];
        if (e->ninst == 1) {
            snprintf(q->log, sizeof q->log, "%s/landq.log", e->dir);
            snprintf(q->port_file, sizeof q->port_file, "%s/landq.port", e->dir);
            snprintf(q->ops_port_file, sizeof q->ops_port_file, "%s/ops.port", e->dir);
        } else {
            snprintf(q->log, sizeof q->log, "%s/landq%d.log", e->dir, i + 1);
            snprintf(q->port_file, sizeof q->port_file, "%s/landq%d.port", e->dir, i + 1);
            snprintf(q->ops_port_file, sizeof q->ops_port_file, "%s/ops%d.port", e->dir, i + 1);
        }
    }
    if (e->ninst > 1 && pg_create(e) < 0)
        return -1;
    snprintf(e->mh_port_file, sizeof e->mh_port_file, "%s/mockhub.port", e->dir);
    if (json_dump_file(e->world, e->world_path, JSON_INDENT(1)) < 0) {
        differ(e, "cannot write %s", e->world_path);
        return -1;
    }
    char state_dir[300];
    snprintf(state_dir, sizeof state_dir, "%s/state", e->dir);
    const char *argv[] = {e->o->mockhub_exe, "serve", "--world", e->world_path, "--listen", "127.0.0.1:0",
                          "--port-file", e->mh_port_file, "--state-dir", state_dir, "--strict", NULL};
    e->mh_pid = spawn((char *const *)argv, e->mh_log, NULL);
    int exited;
    int port = read_port(e->mh_port_file, e->mh_pid, 30000, &exited);
    if (port < 0) {
        if (exited != -1)
            e->mh_pid = 0;
        differ(e, "mockhub (%s) did not start%s", e->o->mockhub_exe, exited != -1 ? ": it exited (see its log below)" : "");
        return -1;
    }
    snprintf(e->api, sizeof e->api, "http://127.0.0.1:%d", port);
    /* default branch, starting point, pull requests of the world */
    json_t *st = state(e);
    json_t *repo = repo_state(st, e->repo);
    snprintf(e->base, sizeof e->base, "%s", json_string_value(json_object_get(repo, "default_branch")));
    const char *start = json_string_value(json_object_get(json_object_get(repo, "branches"), e->base));
    snprintf(e->base_start, sizeof e->base_start, "%s", start ? start : "");
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(repo, "pulls"), i, p) {
        record_head(e, (int)json_integer_value(json_object_get(p, "number")), json_string_value(json_object_get(p, "head_sha")));
        e->npulls++;
        if (has_label(p, e->label)) {
            char k[16];
            snprintf(k, sizeof k, "%d", (int)json_integer_value(json_object_get(p, "number")));
            json_array_append(e->label_order, json_object_get(p, "number"));
            json_object_set_new(e->labelers, k, json_string(json_string_value(json_object_get(p, "user"))));
        }
    }
    json_decref(st);
    if (start_landq(e) < 0)
        return -1;
    /* the webhook, created by an admin collaborator */
    const char *admin = NULL;
    json_t *wr = NULL;
    json_array_foreach(json_object_get(e->world, "repos"), i, p) {
        if (!strcmp(json_string_value(json_object_get(p, "full_name")), e->repo))
            wr = p;
    }
    const char *k;
    json_t *role;
    json_object_foreach(json_object_get(wr, "collaborators"), k, role) {
        if (!admin && !strcmp(json_string_value(role), "admin"))
            admin = k;
    }
    e->reader = admin;
    /* several instances: one hook whose url lists them all; mockhub delivers round robin and skips
     * one whose connection is refused (docs/mockhub.md, "Webhooks") */
    char url[128 * SC_MAX_INSTANCES], path[300];
    url[0] = '\0';
    for (int q = 0; q < e->ninst; q++)
        snprintf(url + strlen(url), sizeof url - strlen(url), "%shttp://127.0.0.1:%d/webhook", q ? " " : "", e->lq[q].port);
    snprintf(path, sizeof path, "/repos/%s/hooks", e->repo);
    json_t *body = json_pack("{s:s, s:b, s:[s], s:{s:s, s:s, s:s}}", "name", "web", "active", 1, "events", "*", "config",
                             "url", url, "content_type", "json", "secret", SECRET);
    json_t *resp = NULL;
    int status = http(e, "POST", path, admin, body, &resp);
    json_decref(body);
    json_decref(resp);
    if (status != 201) {
        differ(e, "creating the webhook as %s: HTTP %d", admin ? admin : "(no admin)", status);
        return -1;
    }
    return 0;
}

int sc_run(const sc_scenario *s, const sc_run_opts *o, sc_result *res)
{
    memset(res, 0, sizeof *res);
    double t0 = now_s();
    env e;
    memset(&e, 0, sizeof e);
    e.s = s;
    e.o = o;
    e.world = json_object_get(s->root, "world");
    e.repo = sc_scenario_repo(s->root);
    e.label = sc_scenario_label(s->root);
    e.lq_user = sc_scenario_landq_user(s->root);
    e.heads = json_object();
    e.label_order = json_array();
    e.labelers = json_object();
    e.fault_ids = json_object();
    e.lq_exit = -1;
    e.ninst = sc_scenario_instances(s->root);
    e.default_wait = json_object_get(s->root, "timeout_ms") ? (long)json_integer_value(json_object_get(s->root, "timeout_ms"))
                                                            : DEFAULT_WAIT_MS;
    mh_buf_init(&e.diff);
    e.curl = curl_easy_init();
    int rc = 0;
    if (setup(&e) < 0) {
        rc = -1;
    } else {
        size_t i;
        json_t *st;
        json_array_foreach(s->steps, i, st) {
            poll_armed_kill(&e);
            if (run_step(&e, st) < 0 || e.failed)
                break;
        }
        e.line = 0;
        /* landq may be sleeping through a Retry-After, a rate-limit reset or a retry back-off: after
         * faults, "idle" needs a longer silence */
        long quiet = QUIET_MS;
        json_array_foreach(s->steps, i, st) {
            const char *k = step_s(st, "do", "");
            if (!strcmp(k, "fault") || !strcmp(k, "rate_limit") || !strcmp(k, "restart_landq"))
                quiet = quiet > 2500 ? quiet : 2500;
            if (!strcmp(k, "kill_leader"))
                quiet = KILL_QUIET_MS;
        }
        if (!e.failed && wait_idle(&e, DEFAULT_WAIT_MS, quiet) < 0 && landq_alive(&e))
            differ(&e, "landq still busy %d s after the last step", DEFAULT_WAIT_MS / 1000);
        if (any_landq_running(&e) || !e.failed) {
            landq_alive(&e);
            /* the checks read through the REST API: no fault may hit them */
            e.faults_final = get_json(&e, "/_mockhub/faults", NULL);
            http(&e, "DELETE", "/_mockhub/faults", NULL, NULL, NULL);
            json_t *stt = state(&e);
            json_t *reqs = requests(&e);
            check_unimplemented(&e, reqs);
            if (stt) {
                /* after a failed step report that root error once: the expectations describe the end
                 * of a timeline that did not run (they would all fail with it); the safety invariants
                 * (1, 2, 4) still hold or not */
                e.stopped = e.failed;
                if (e.stopped)
                    mh_buf_printf(&e.diff, "  (the timeline stopped there: \"expect\" not checked)\n");
                else
                    check_expectations(&e, stt, reqs);
                if (!json_is_false(json_object_get(json_object_get(s->root, "expect"), "invariants")))
                    check_invariants(&e, stt, reqs);
                if (e.ninst > 1 && e.pg_db[0])
                    check_ha(&e, stt);
                /* figures for chaos's report: what the CI simulator saw */
                res->ci = sc_ci_configured(e.curl, e.api) == 1 &&
                          sc_ci_try_counts(e.curl, e.api, &res->candidates, &res->candidate_failed) == 0;
                res->main_commits = e.main_commits;
            } else {
                differ(&e, "cannot read mockhub's state");
            }
            json_decref(stt);
            json_decref(reqs);
        }
    }
    stop_landq(&e, 0);
    stop_mockhub(&e);
    if (!e.failed && !o->keep)
        pg_drop(&e); /* kept with the files on failure */
    else if (e.pg_db[0])
        mh_buf_printf(&e.diff, "  database kept: %s\n", e.db);
    res->ok = !e.failed;
    res->kills = e.kills;
    res->kills_holder = e.kills_holder;
    res->kills_merge = e.kills_merge;
    if (e.failed) {
        for (int i = 0; i < e.ninst; i++) {
            char what[48];
            snprintf(what, sizeof what, "%s log", inst_name(&e, i));
            tail(&e.diff, e.lq[i].log, what, e.ninst > 1 ? 25 : 40);
        }
        tail(&e.diff, e.mh_log, "mockhub log", 25);
        mh_buf_printf(&e.diff, "  files kept in %s\n", e.dir);
        res->report = mh_buf_take(&e.diff);
    } else if (!o->keep && e.dir[0]) {
        char cmd[400];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", e.dir);
        if (system(cmd) != 0) {
        }
    }
    mh_buf_dispose(&e.diff);
    curl_easy_cleanup(e.curl);
    json_decref(e.heads);
    json_decref(e.label_order);
    json_decref(e.labelers);
    json_decref(e.fault_ids);
    json_decref(e.faults_final);
    res->seconds = now_s() - t0;
    return rc;
}
