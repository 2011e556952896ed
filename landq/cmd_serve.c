/* cmd_serve.c -- `landq serve`: webhook intake + landing worker until SIGTERM/SIGINT.
 *
 * Settings: defaults < --config FILE < environment < flags (docs/configuration.md).
 * Any bad setting is reported once, naming the setting, and exits 2 before listening. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "allowlist.h"
#include "appauth.h"
#include "board.h"
#include "cidr.h"
#include "commands.h"
#include "config.h"
#include "dburl.h"
#include "duration.h"
#include "fsutil.h"
#include "inbox.h"
#include "intake.h"
#include "lanes.h"
#include "metrics.h"
#include "log.h"
#include "ops.h"
#include "page.h"
#include "retention.h"
#include "worker.h"

#define SECRET_MAX 65536

static void serve_usage(FILE *out)
{
    fprintf(out,
            "Usage: landq serve [--config FILE] [OPTIONS]\n\n"
            "Receive GitHub webhooks, and squash-merge pull requests labeled for landing once\n"
            "every changed file is approved by one of its CODEOWNERS on the head commit and\n"
            "the checks passed.\n\n"
            "Options (override the config file and the environment):\n"
            "  --config FILE          read settings from FILE (key = value lines)\n"
            "  --listen ADDR:PORT     webhook listener (default 127.0.0.1:8080; port 0 = any)\n"
            "  --github-api URL       GitHub REST API (default https://api.github.com)\n"
            "  --repo OWNER/NAME      repository to serve (repeatable; at least one)\n"
            "  --label NAME           landing label (default land)\n"
            "  --db PATH|URL          SQLite database (default ./landq.db), or PostgreSQL:\n"
            "                         postgresql://USER@HOST[,HOST2]/DB?... or host=... dbname=...\n"
            "  --inbox-retention DURATION\n"
            "                         keep processed deliveries this long (default 7d; off)\n"
            "  --audit-retention DURATION\n"
            "                         keep audit rows this long (default 400d; off)\n"
            "  --lease-ttl DURATION   branch lease TTL: how long a dead instance's branches wait\n"
            "                         before another instance takes them (default 30s)\n"
            "  --lease-renew DURATION lease renewal interval, at most half the TTL (default 5s)\n"
            "  --required-check NAME  only these checks must pass (repeatable; default all)\n"
            "  --status-context NAME  commit status context landq writes (default landq)\n"
            "  --port-file PATH       write the bound port to PATH once listening\n"
            "  --ops-listen ADDR:PORT ops listener: GET /metrics, GET /healthz with details\n"
            "                         (default 127.0.0.1:9090; port 0 = any; keep it private)\n"
            "  --ops-port-file PATH   write the ops listener's bound port to PATH\n"
            "  --header-timeout SECONDS\n"
            "                         close webhook connections whose request headers are not\n"
            "                         complete after this long (default 10)\n"
            "  --per-source-connections N\n"
            "                         webhook connections one address may hold (default 64;\n"
            "                         trusted proxies are exempt, their clients counted by\n"
            "                         X-Forwarded-For)\n"
            "  --mirror-dir DIR       bare git mirrors for conflict reports (default: the\n"
            "                         database's directory/mirrors)\n"
            "  --webhook-allowlist meta|off\n"
            "                         meta (default): accept webhooks only from the \"hooks\"\n"
            "                         ranges of GET /meta, refused with 403 otherwise, and all\n"
            "                         refused until a list was loaded; off: any address\n"
            "  --meta-refresh SECONDS refresh the ranges this often (default 3600)\n"
            "  --trusted-proxy CIDR   believe X-Forwarded-For from these proxies (repeatable);\n"
            "                         every X-Forwarded-For line counts, right-most first\n"
            "  --reconcile-interval SECONDS\n"
            "                         list labeled open pull requests at start-up and this\n"
            "                         often, to catch lost webhooks (default 300; 0 = never)\n"
            "  --redeliver-hook OWNER/NAME:HOOK_ID\n"
            "                         at start-up, ask GitHub to redeliver this webhook's\n"
            "                         failed deliveries (repeatable; needs admin on its hooks)\n"
            "  --app-id ID            authenticate as this GitHub App (instead of a token),\n"
            "  --app-key-file PATH    with its private key (PEM) and\n"
            "  --app-installation-id ID\n"
            "                         its installation on the served repositories\n"
            "  --verbose              log every GitHub API request\n"
            "  -h, --help             show this help\n\n");
    fprintf(out,
            "Queue page and merge controls (on the ops listener: GET /queue, /api/queue):\n"
            "  --github-web URL       GitHub web address for the page's links (https://HOST;\n"
            "                         default derived from --github-api)\n"
            "  --priority-label NAME  a second label that puts a pull request ahead of the\n"
            "                         others on its branch (first labeled first among them)\n"
            "  --priority-min-permission read|triage|write|maintain|admin\n"
            "                         who may apply it (default maintain)\n"
            "  LANDQ_ADMIN_TOKEN      enables POST /api/freeze and /api/unfreeze for\n"
            "                         `landq freeze` (or LANDQ_ADMIN_TOKEN_FILE, or\n"
            "                         admin_token_file; at least 16 characters)\n\n");
    fprintf(out,
            "Keeping the base green (docs/predictive.md):\n"
            "  --mode direct|predictive\n"
            "                         direct (default): land when the checks on the pull\n"
            "                         request's own head passed; predictive: build a candidate\n"
            "                         (the squash on the base tip and the pull requests ahead),\n"
            "                         push it to landq/try/BASE/LANE/pr-N, land only when the\n"
            "                         required checks (--required-check, needed) pass on it\n"
            "  --speculation K        candidates under test at once, each on those ahead (1-32;\n"
            "                         default 1)\n"
            "  --batch B              pull requests per candidate, bisected when it fails\n"
            "                         (1-32; default 1)\n"
            "  --retry-failed N       re-runs of a failed candidate before ejecting (0-5;\n"
            "                         default 0)\n"
            "  --optimistic true|false\n"
            "                         a passing candidate vouches for the failed ones it\n"
            "                         contains (default false)\n"
            "  --ci-timeout DURATION  a candidate whose required checks did not all report by\n"
            "                         then failed (default 60m)\n"
            "  --lanes single|codeowners|paths\n"
            "                         independent lanes, each tested and landed on its own:\n"
            "                         single (default): one lane; codeowners: a lane per owner\n"
            "                         set of the base's CODEOWNERS; paths: the --lane areas. A\n"
            "                         pull request whose files fall in several lanes waits for\n"
            "                         all of them\n"
            "  --lane 'NAME: PREFIX...'\n"
            "                         an area of lanes = paths (repeatable; a file goes to the\n"
            "                         longest matching prefix, else to lane default)\n"
            "  --lane-catch-all PREFIX\n"
            "                         a pull request touching PREFIX spans every lane: declare\n"
            "                         cross-area dependencies (shared APIs, build rules) here\n"
            "                         (repeatable)\n\n");
    fprintf(out, /* two parts: ISO C guarantees string literals of 4095 bytes only */
            "Environment:\n"
            "  LANDQ_GITHUB_TOKEN       GitHub token (or LANDQ_GITHUB_TOKEN_FILE, or the\n"
            "                           config key github_token_file)\n"
            "  LANDQ_WEBHOOK_SECRET     webhook secret (or LANDQ_WEBHOOK_SECRET_FILE, or\n"
            "                           webhook_secret_file)\n"
            "  LANDQ_LISTEN, LANDQ_GITHUB_API, LANDQ_REPOS (comma-separated), LANDQ_LABEL,\n"
            "  LANDQ_DB, LANDQ_REQUIRED_CHECKS (comma-separated), LANDQ_MIRROR_DIR,\n"
            "  LANDQ_WEBHOOK_ALLOWLIST, LANDQ_META_REFRESH, LANDQ_TRUSTED_PROXIES (comma-separated),\n"
            "  LANDQ_RECONCILE_INTERVAL, LANDQ_APP_ID, LANDQ_APP_PRIVATE_KEY_FILE,\n"
            "  LANDQ_APP_INSTALLATION_ID (GitHub App authentication: no token needed),\n"
            "  LANDQ_REDELIVER_HOOKS (comma-separated), LANDQ_OPS_LISTEN, LANDQ_OPS_PORT_FILE,\n"
            "  LANDQ_HEADER_TIMEOUT, LANDQ_PER_SOURCE_CONNECTIONS, LANDQ_INBOX_RETENTION,\n"
            "  LANDQ_AUDIT_RETENTION\n\n"
            "The webhook listener serves POST /webhook and a bare GET /healthz (ok / not ok);\n"
            "with webhook_allowlist = meta, a connection from an address that is neither in\n"
            "GitHub's webhook ranges nor a trusted proxy is closed before anything is read.\n\n"
            "Exit status: 0 after a clean shutdown (SIGTERM/SIGINT), 2 for a bad setting\n"
            "(including a database that cannot be opened or an address that cannot be bound),\n"
            "1 for other failures.\n"
            "See docs/configuration.md.\n");
}

static int fail2(const char *fmt, ...) LQ_PRINTF(1, 2);
static int fail2(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "landq serve: ");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return 2;
}

/* Reads a secret from a file: whole content, trailing newline/white space removed. */
static int read_secret(char **out, const char *path, const char *what, const char *origin)
{
    lq_error err = {0};
    size_t len = 0;
    if (lq_file_read(out, &len, path, SECRET_MAX, &err)) {
        fprintf(stderr, "landq serve: %s: %s: cannot read the %s file: %s\n", origin, path, what,
                err.msg);
        return 2;
    }
    while (len > 0 && ((*out)[len - 1] == '\n' || (*out)[len - 1] == '\r' ||
                       (*out)[len - 1] == ' ' || (*out)[len - 1] == '\t'))
        (*out)[--len] = '\0';
    if (len == 0 || strlen(*out) != len) {
        fprintf(stderr, "landq serve: %s: %s: the %s file is empty or not text\n", origin, path,
                what);
        free(*out);
        *out = NULL;
        return 2;
    }
    return 0;
}

/* Secret from ENV, else ENV_FILE, else the config file's *_file key. */
static int load_secret(char **out, const char *env, const char *env_file,
                       const lq_config_value *cfg_file, const char *what, const char *cfg_key)
{
    *out = NULL;
    const char *v = getenv(env);
    if (v && *v) {
        *out = strdup(v);
        return *out ? 0 : 1;
    }
    const char *f = getenv(env_file);
    if (f && *f)
        return read_secret(out, f, what, env_file);
    if (cfg_file->value)
        return read_secret(out, cfg_file->value, what, cfg_file->origin);
    fprintf(stderr, "landq serve: %s: not set; set %s, or %s / %s = PATH to a file holding it\n",
            what, env, env_file, cfg_key);
    return 2;
}

static int set_list_env(lq_config *cfg, const char *key, const char *env)
{
    const char *v = getenv(env);
    if (!v || !*v)
        return 0;
    lq_config_clear(cfg, key);
    char *copy = strdup(v);
    if (!copy)
        return 1;
    lq_error err = {0};
    int rc = 0;
    for (char *save = NULL, *t = strtok_r(copy, ", \t\n", &save); t && !rc;
         t = strtok_r(NULL, ", \t\n", &save))
        if (lq_config_set(cfg, key, t, env, &err))
            rc = fail2("%s%s", err.msg, "");
    free(copy);
    return rc;
}

static void wipe(char *s)
{
    if (!s)
        return;
    volatile char *p = s;
    while (*p)
        *p++ = 0;
    free(s);
}

static int write_port_file(const char *path, int port)
{
    size_t n = strlen(path) + 8;
    char *tmp = malloc(n);
    if (!tmp)
        return -1;
    snprintf(tmp, n, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    int ok = f && fprintf(f, "%d\n", port) > 0;
    if (f && fclose(f))
        ok = 0;
    if (ok && rename(tmp, path))
        ok = 0;
    if (!ok)
        unlink(tmp);
    free(tmp);
    return ok ? 0 : -1;
}

/* The modules' own log lines go through the logger: prefixed, one line whatever they hold. */
static void intake_log(void *ctx, const char *line)
{
    (void)ctx;
    lq_log_line(LQ_LOG_INFO, "intake", line);
}

/* What /healthz and /metrics report on, beyond the intake itself. */
struct serve_health {
    lq_inbox *inbox;
    lq_intake *intake;       /* set once listening */
    lq_allowlist *allowlist; /* NULL when webhook_allowlist = off */
    lq_metrics *metrics;     /* the worker's series (io/metrics.h) */
    lq_worker *worker;       /* set once started: its branch leases */
};

/* Branch leases held, and whether the store answers (the worker's last lease call, and the
 * inbox now). */
static int leases_cb(void *ctx, int *db_ok)
{
    struct serve_health *h = ctx;
    int worker_db = 0;
    int held = lq_worker_leases_held(h->worker, &worker_db);
    int64_t pending = -1;
    lq_error err;
    *db_ok = worker_db && lq_inbox_pending(h->inbox, &pending, &err) == LQ_OK;
    return held;
}

static int allow_cb(void *ctx, const lq_ip *addr)
{
    return lq_allowlist_allows(ctx, addr);
}

/* The webhook port's bare /healthz (for load balancers): the same verdict as the ops
 * listener's /healthz, without the details. */
static int healthy_cb(void *ctx)
{
    struct serve_health *h = ctx;
    lq_allowlist_status as = {0};
    if (h->allowlist)
        lq_allowlist_status_get(h->allowlist, &as);
    int64_t pending = -1;
    lq_error err;
    return lq_inbox_pending(h->inbox, &pending, &err) == LQ_OK && (!h->allowlist || as.loaded);
}

/* GET /healthz: liveness and readiness in one: 200 when the store is writable and the webhook
 * allowlist is loaded (GitHub reachable at least once), 503 with the reasons otherwise.
 * GET /metrics: the intake's Prometheus text plus the allowlist gauges. */
static char *serve_page(void *ctx, const char *path, int *status, const char **content_type)
{
    struct serve_health *h = ctx;
    lq_allowlist_status as = {0};
    if (h->allowlist)
        lq_allowlist_status_get(h->allowlist, &as);
    if (!strcmp(path, "/metrics")) {
        char *base = h->intake ? lq_intake_metrics_text(h->intake) : strdup("");
        if (!base)
            return NULL;
        char *wm = lq_metrics_text(h->metrics);
        if (wm) {
            size_t bl = strlen(base), wl = strlen(wm);
            char *nb = realloc(base, bl + wl + 1);
            if (nb) {
                memcpy(nb + bl, wm, wl + 1);
                base = nb;
            }
            free(wm);
        }
        int64_t pending = -1;
        lq_error perr;
        lq_inbox_stats ist;
        lq_inbox_stats_get(h->inbox, &ist);
        if (lq_inbox_pending(h->inbox, &pending, &perr) != LQ_OK)
            pending = -1; /* /healthz says why */
        char extra[1024];
        snprintf(extra, sizeof extra,
                 "# HELP landq_inbox_pending Deliveries stored and not yet processed by the "
                 "worker (-1: the store cannot be read).\n"
                 "# TYPE landq_inbox_pending gauge\n"
                 "landq_inbox_pending %lld\n"
                 "# HELP landq_inbox_commits_total Group commits (one fsync each) of the inbox "
                 "writer: deliveries and the worker's state.\n"
                 "# TYPE landq_inbox_commits_total counter\n"
                 "landq_inbox_commits_total %llu\n"
                 "# HELP landq_webhook_allowlist_ranges GitHub webhook source ranges in force.\n"
                 "# TYPE landq_webhook_allowlist_ranges gauge\n"
                 "landq_webhook_allowlist_ranges %zu\n"
                 "# HELP landq_webhook_allowlist_fetched_timestamp_seconds When the list in force "
                 "was fetched.\n"
                 "# TYPE landq_webhook_allowlist_fetched_timestamp_seconds gauge\n"
                 "landq_webhook_allowlist_fetched_timestamp_seconds %lld\n",
                 (long long)pending, (unsigned long long)ist.commits, as.ranges,
                 (long long)as.fetched_at);
        size_t n = strlen(base) + strlen(extra) + 1;
        char *out = malloc(n);
        if (out)
            snprintf(out, n, "%s%s", base, extra);
        free(base);
        *content_type = "text/plain; version=0.0.4";
        *status = 200;
        return out;
    }
    int64_t pending = -1;
    lq_error err;
    int store_ok = lq_inbox_pending(h->inbox, &pending, &err) == LQ_OK;
    int allow_ok = !h->allowlist || as.loaded;
    json_t *o = json_pack("{s:s, s:{s:b, s:I}}", "status", store_ok && allow_ok ? "ok" : "unavailable",
                          "store", "writable", store_ok, "pending_deliveries", (json_int_t)pending);
    if (!o)
        return NULL;
    if (!store_ok)
        json_object_set_new(json_object_get(o, "store"), "error", json_string(err.msg));
    int db_ok = 0;
    int held = leases_cb(h, &db_ok);
    /* informational: an instance that holds no lease is healthy (it receives webhooks and
     * stands by to take a branch over) */
    json_object_set_new(o, "leases", json_pack("{s:i, s:b}", "held", held,
                                               "database_reachable", db_ok));
    json_t *al;
    if (!h->allowlist) {
        al = json_pack("{s:s}", "mode", "off");
    } else {
        al = json_pack("{s:s, s:b, s:I, s:I, s:s, s:b}", "mode", "meta", "loaded", as.loaded,
                       "ranges", (json_int_t)as.ranges, "fetched_at", (json_int_t)as.fetched_at,
                       "source", as.from_store ? "store" : "meta", "github_reachable",
                       as.last_error[0] == '\0');
        if (al && as.last_error[0])
            json_object_set_new(al, "error", json_string(as.last_error));
        if (al && !as.loaded)
            json_object_set_new(al, "why", json_string("no webhook source list was ever loaded "
                                                       "from GET /meta: every webhook is refused"));
    }
    json_object_set_new(o, "webhook_allowlist", al ? al : json_null());
    char *out = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    *status = store_ok && allow_ok ? 200 : 503;
    *content_type = "application/json";
    if (out) { /* a trailing newline for curl users */
        size_t n = strlen(out);
        char *nl = realloc(out, n + 2);
        if (nl) {
            nl[n] = '\n';
            nl[n + 1] = '\0';
            out = nl;
        }
    }
    return out;
}

/* The ops listener's routes (io/ops.h). */
static void ops_page(void *ctx, const lq_ops_request *req, lq_ops_response *resp)
{
    int status = 500;
    const char *ctype = "text/plain";
    char *body = serve_page(ctx, req->path, &status, &ctype);
    if (!body) {
        lq_ops_reply_text(resp, 500, NULL, "out of memory\n");
        return;
    }
    lq_ops_reply(resp, status, ctype, body, strlen(body));
}

/* The webhook events the worker acts on (io/worker.c, handle_delivery); the GitHub App is
 * subscribed to exactly these (docs/deploy.md). ping is answered by the intake itself. */
static const char served_events[] = "pull_request pull_request_review status check_run "
                                     "check_suite";

static void page_log(void *ctx, const char *line)
{
    (void)ctx;
    lq_log_line(LQ_LOG_INFO, "page", line);
}

static void appauth_log(void *ctx, const char *line)
{
    (void)ctx;
    lq_log_line(LQ_LOG_INFO, "appauth", line);
}

static void allowlist_log(void *ctx, const char *line)
{
    (void)ctx;
    lq_log_line(LQ_LOG_INFO, "allowlist", line);
}

static void retention_log(void *ctx, const char *line)
{
    (void)ctx;
    lq_log_line(LQ_LOG_INFO, "store", line);
}

int lq_cmd_serve(int argc, char **argv)
{
    const char *config_path = NULL;
    int verbose = 0;
    /* First pass: --help and --config (the file is applied before everything else). */
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            serve_usage(stdout);
            return 0;
        }
        if (!strcmp(argv[i], "--config")) {
            if (i + 1 >= argc)
                return fail2("--config needs a FILE%s%s", "", "");
            config_path = argv[++i];
        } else if (!strncmp(argv[i], "--config=", 9)) {
            config_path = argv[i] + 9;
        }
    }
    lq_config cfg;
    lq_error err = {0};
    if (lq_config_init(&cfg, &err))
        return fail2("%s%s", err.msg, "");
    int rc = 2;
    char *token = NULL, *secret = NULL;
    lq_inbox *inbox = NULL;
    lq_worker *worker = NULL;
    lq_intake *intake = NULL;
    lq_appauth *appauth = NULL;
    char bot_login[256] = ""; /* an App's "<slug>[bot]" */
    lq_ops *ops = NULL;
    lq_board *board = NULL;
    lq_lanes *lanes = NULL; /* predictive mode's lane assignment (validated with the config) */
    lq_page *page = NULL;
    char *admin_token = NULL;
    lq_cidr_list proxies = {NULL, 0};
    lq_retention *retention = NULL;
    char db_shown[1024] = "";
    struct serve_health health = {NULL, NULL, NULL, NULL, NULL};

    if (config_path) {
        char *text = NULL;
        size_t len = 0;
        if (lq_file_read(&text, &len, config_path, 1 << 20, &err)) {
            fail2("--config: %s%s", err.msg, "");
            goto out;
        }
        int prc = lq_config_parse(&cfg, text, len, config_path, &err);
        free(text);
        if (prc) {
            fail2("%s%s", err.msg, "");
            goto out;
        }
    }
    /* Environment. */
    static const struct {
        const char *env, *key;
    } envs[] = {{"LANDQ_LISTEN", "listen"}, {"LANDQ_GITHUB_API", "github_api"},
                {"LANDQ_LABEL", "label"},   {"LANDQ_DB", "db"},
                {"LANDQ_PORT_FILE", "port_file"}, {"LANDQ_MIRROR_DIR", "mirror_dir"},
                {"LANDQ_META_REFRESH", "meta_refresh"},
                {"LANDQ_WEBHOOK_ALLOWLIST", "webhook_allowlist"},
                {"LANDQ_RECONCILE_INTERVAL", "reconcile_interval"},
                {"LANDQ_APP_ID", "app_id"},
                {"LANDQ_APP_PRIVATE_KEY_FILE", "app_private_key_file"},
                {"LANDQ_APP_INSTALLATION_ID", "app_installation_id"},
                {"LANDQ_GITHUB_WEB", "github_web"}, {"LANDQ_PRIORITY_LABEL", "priority_label"},
                {"LANDQ_PRIORITY_MIN_PERMISSION", "priority_min_permission"},
                {"LANDQ_OPS_LISTEN", "ops_listen"}, {"LANDQ_OPS_PORT_FILE", "ops_port_file"},
                {"LANDQ_HEADER_TIMEOUT", "header_timeout"},
                {"LANDQ_PER_SOURCE_CONNECTIONS", "per_source_connections"},
                {"LANDQ_INBOX_RETENTION", "inbox_retention"},
                {"LANDQ_AUDIT_RETENTION", "audit_retention"},
                {"LANDQ_LEASE_TTL", "lease_ttl"}, {"LANDQ_LEASE_RENEW", "lease_renew"},
                {"LANDQ_MODE", "mode"}, {"LANDQ_SPECULATION", "speculation"},
                {"LANDQ_BATCH", "batch"}, {"LANDQ_RETRY_FAILED", "retry_failed"},
                {"LANDQ_OPTIMISTIC", "optimistic"}, {"LANDQ_CI_TIMEOUT", "ci_timeout"},
                {"LANDQ_LANES", "lanes"}};
    for (size_t i = 0; i < sizeof envs / sizeof envs[0]; i++) {
        const char *v = getenv(envs[i].env);
        if (v && *v && lq_config_set(&cfg, envs[i].key, v, envs[i].env, &err)) {
            fail2("%s%s", err.msg, "");
            goto out;
        }
    }
    if (set_list_env(&cfg, "repo", "LANDQ_REPOS") ||
        set_list_env(&cfg, "required_check", "LANDQ_REQUIRED_CHECKS") ||
        set_list_env(&cfg, "trusted_proxy", "LANDQ_TRUSTED_PROXIES") ||
        set_list_env(&cfg, "redeliver_hook", "LANDQ_REDELIVER_HOOKS"))
        goto out;
    /* Flags. */
    static const struct {
        const char *flag, *key;
    } flags[] = {{"--listen", "listen"},       {"--github-api", "github_api"},
                 {"--repo", "repo"},           {"--label", "label"},
                 {"--db", "db"},               {"--required-check", "required_check"},
                 {"--status-context", "status_context"}, {"--port-file", "port_file"},
                 {"--mirror-dir", "mirror_dir"}, {"--meta-refresh", "meta_refresh"},
                 {"--webhook-allowlist", "webhook_allowlist"},
                 {"--trusted-proxy", "trusted_proxy"},
                 {"--reconcile-interval", "reconcile_interval"},
                 {"--app-id", "app_id"}, {"--app-key-file", "app_private_key_file"},
                 {"--app-installation-id", "app_installation_id"},
                 {"--redeliver-hook", "redeliver_hook"},
                 {"--github-web", "github_web"}, {"--priority-label", "priority_label"},
                 {"--priority-min-permission", "priority_min_permission"},
                 {"--ops-listen", "ops_listen"}, {"--ops-port-file", "ops_port_file"},
                 {"--header-timeout", "header_timeout"},
                 {"--per-source-connections", "per_source_connections"},
                 {"--inbox-retention", "inbox_retention"},
                 {"--audit-retention", "audit_retention"},
                 {"--lease-ttl", "lease_ttl"}, {"--lease-renew", "lease_renew"},
                 {"--mode", "mode"}, {"--speculation", "speculation"}, {"--batch", "batch"},
                 {"--retry-failed", "retry_failed"}, {"--optimistic", "optimistic"},
                 {"--ci-timeout", "ci_timeout"}, {"--lanes", "lanes"}, {"--lane", "lane"},
                 {"--lane-catch-all", "lane_catch_all"}};
    int repos_from_flags = 0, checks_from_flags = 0, proxies_from_flags = 0, hooks_from_flags = 0;
    int areas_from_flags = 0, catch_from_flags = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--config")) {
            i++;
            continue;
        }
        if (!strncmp(a, "--config=", 9))
            continue;
        if (!strcmp(a, "--verbose") || !strcmp(a, "-v")) {
            verbose = 1;
            lq_log_set_level(LQ_LOG_DEBUG); /* every GitHub request, every delivery applied */
            continue;
        }
        size_t k;
        const char *val = NULL;
        for (k = 0; k < sizeof flags / sizeof flags[0]; k++) {
            size_t fl = strlen(flags[k].flag);
            if (!strcmp(a, flags[k].flag)) {
                if (i + 1 >= argc) {
                    fail2("%s needs a value%s", a, "");
                    goto out;
                }
                val = argv[++i];
                break;
            }
            if (!strncmp(a, flags[k].flag, fl) && a[fl] == '=') {
                val = a + fl + 1;
                break;
            }
        }
        if (k == sizeof flags / sizeof flags[0]) {
            fail2("unknown option '%s' (try 'landq serve --help')%s", a, "");
            goto out;
        }
        if (!strcmp(flags[k].key, "repo") && !repos_from_flags++)
            lq_config_clear(&cfg, "repo");
        if (!strcmp(flags[k].key, "required_check") && !checks_from_flags++)
            lq_config_clear(&cfg, "required_check");
        if (!strcmp(flags[k].key, "trusted_proxy") && !proxies_from_flags++)
            lq_config_clear(&cfg, "trusted_proxy");
        if (!strcmp(flags[k].key, "redeliver_hook") && !hooks_from_flags++)
            lq_config_clear(&cfg, "redeliver_hook");
        if (!strcmp(flags[k].key, "lane") && !areas_from_flags++)
            lq_config_clear(&cfg, "lane");
        if (!strcmp(flags[k].key, "lane_catch_all") && !catch_from_flags++)
            lq_config_clear(&cfg, "lane_catch_all");
        if (lq_config_set(&cfg, flags[k].key, val, flags[k].flag, &err)) {
            fail2("%s%s", err.msg, "");
            goto out;
        }
    }
    if (lq_config_validate(&cfg, &err)) {
        fail2("%s%s", err.msg, "");
        goto out;
    }
    if ((!cfg.app_id.value &&
         (rc = load_secret(&token, "LANDQ_GITHUB_TOKEN", "LANDQ_GITHUB_TOKEN_FILE",
                           &cfg.github_token_file, "GitHub token", "github_token_file"))) ||
        (rc = load_secret(&secret, "LANDQ_WEBHOOK_SECRET", "LANDQ_WEBHOOK_SECRET_FILE",
                          &cfg.webhook_secret_file, "webhook secret", "webhook_secret_file"))) {
        rc = 2;
        goto out;
    }
    /* The admin token is optional: without it the freeze API answers 403. */
    if (((getenv("LANDQ_ADMIN_TOKEN") && *getenv("LANDQ_ADMIN_TOKEN")) ||
         (getenv("LANDQ_ADMIN_TOKEN_FILE") && *getenv("LANDQ_ADMIN_TOKEN_FILE")) ||
         cfg.admin_token_file.value) &&
        (rc = load_secret(&admin_token, "LANDQ_ADMIN_TOKEN", "LANDQ_ADMIN_TOKEN_FILE",
                          &cfg.admin_token_file, "admin token", "admin_token_file"))) {
        rc = 2;
        goto out;
    }
    if (admin_token && strlen(admin_token) < 16) {
        rc = fail2("admin token: at least 16 characters (e.g. openssl rand -hex 32)%s", "");
        goto out;
    }

    /* Signals are taken by sigwait() below; every thread started from here inherits the mask. */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);
    curl_global_init(CURL_GLOBAL_DEFAULT);

    /* /metrics: one registry for every part, made first so every GitHub request is counted. */
    health.metrics = lq_metrics_new();
    board = lq_board_new(); /* the worker's evaluations, for the queue page */
    if (!health.metrics || !board) {
        fprintf(stderr, "landq serve: out of memory\n");
        rc = 1;
        goto out;
    }
    /* GitHub App authentication: the first installation token is fetched now, so a wrong key
     * or app id is a bad setting (exit 2) reported before listening. */
    if (cfg.app_id.value) {
        char *pem = NULL;
        size_t pem_len = 0;
        rc = 2;
        if (lq_file_read(&pem, &pem_len, cfg.app_private_key_file.value, 1 << 20, &err)) {
            fprintf(stderr, "landq serve: %s: app_private_key_file: cannot read %s: %s\n",
                    cfg.app_private_key_file.origin, cfg.app_private_key_file.value, err.msg);
            goto out;
        }
        lq_appauth_config aac = {.api_url = cfg.github_api.value, .app_id = cfg.app_id.value,
                                 .installation_id = cfg.app_installation_id.value,
                                 .key_pem = pem, .key_len = pem_len, .log = appauth_log,
                                 .metrics = health.metrics};
        int arc = lq_appauth_new(&appauth, &aac, &err);
        memset(pem, 0, pem_len);
        free(pem);
        if (arc) {
            fprintf(stderr, "landq serve: %s: app_private_key_file: %s: %s\n",
                    cfg.app_private_key_file.origin, cfg.app_private_key_file.value, err.msg);
            goto out;
        }
        char first[1024];
        arc = lq_appauth_token(appauth, 0, first, sizeof first, &err);
        memset(first, 0, sizeof first);
        if (arc == LQ_ETRANSIENT) {
            fprintf(stderr, "level=warn mod=appauth msg=\"no installation token yet; will retry\" "
                            "error=\"%s\"\n", err.msg);
        } else if (arc) {
            fprintf(stderr, "landq serve: %s\n", err.msg);
            goto out;
        }
        /* The bot the installation acts as: only its comments are landq's (a comment by anyone
         * else carrying landq's marker is never edited). */
        if (lq_appauth_bot_login(appauth, bot_login, sizeof bot_login, &err))
            LQ_WARN("appauth", "msg=\"cannot read the App's slug (GET /app): landq will not "
                    "take over its comments written before a restart\" error=\"%s\"", err.msg);
    }

    /* The database and the address are settings too: failing to use them is exit status 2. */
    rc = 2;
    lq_dburl_redact(cfg.db.value, db_shown, sizeof db_shown); /* it may hold a password */
    if (lq_inbox_open(&inbox, cfg.db.value, &err)) {
        fprintf(stderr, "landq serve: %s: db: cannot open %s: %s\n", cfg.db.origin, db_shown,
                err.msg);
        goto out;
    }
    fprintf(stderr, "level=info mod=store msg=\"database open\" backend=%s db=\"%s\"\n",
            lq_inbox_backend(inbox), db_shown);
    rc = 1;
    const char **repos = calloc(cfg.repos.count + 1, sizeof(*repos));
    const char **checks = calloc(cfg.required_checks.count + 1, sizeof(*checks));
    const char **hooks = calloc(cfg.redeliver_hooks.count + 1, sizeof(*hooks));
    if (!repos || !checks || !hooks) {
        free(repos);
        free(checks);
        free(hooks);
        fprintf(stderr, "landq serve: out of memory\n");
        goto out;
    }
    for (size_t i = 0; i < cfg.repos.count; i++)
        repos[i] = cfg.repos.items[i].value;
    for (size_t i = 0; i < cfg.required_checks.count; i++)
        checks[i] = cfg.required_checks.items[i].value;
    for (size_t i = 0; i < cfg.redeliver_hooks.count; i++)
        hooks[i] = cfg.redeliver_hooks.items[i].value;
    int64_t lease_ttl_ms = 0, lease_renew_ms = 0; /* validated with the config */
    lq_duration_parse(cfg.lease_ttl.value, &lease_ttl_ms, NULL);
    lq_duration_parse(cfg.lease_renew.value, &lease_renew_ms, NULL);
    lq_worker_config wc = {
        .db_path = cfg.db.value, .inbox = inbox, .api_url = cfg.github_api.value,
        .token = token, .repos = repos, .repo_count = cfg.repos.count, .label = cfg.label.value,
        .status_context = cfg.status_context.value, .required_checks = checks,
        .required_check_count = cfg.required_checks.count, .verbose = verbose,
        /* mirrors go beside a SQLite file; with PostgreSQL, in the working directory */
        .mirror_dir = cfg.mirror_dir.value ? cfg.mirror_dir.value
                      : lq_dburl_kind(cfg.db.value) == LQ_DB_POSTGRESQL ? "mirrors" : NULL,
        .reconcile_interval_s = (int)strtol(cfg.reconcile_interval.value, NULL, 10),
        .token_cb = appauth ? lq_appauth_token_cb : NULL, .token_ctx = appauth,
        .redeliver_hooks = hooks, .redeliver_hook_count = cfg.redeliver_hooks.count,
        .metrics = health.metrics, .board = board, .priority_label = cfg.priority_label.value,
        .priority_min_permission = cfg.priority_min_permission.value,
        .self_login = bot_login[0] ? bot_login : NULL,
        .lease_ttl_ms = (long)lease_ttl_ms, .lease_renew_ms = (long)lease_renew_ms,
        .predictive = !strcmp(cfg.mode.value, "predictive")};
    { /* validated with the config */
        int64_t ci_ms = 0;
        lq_duration_parse(cfg.ci_timeout.value, &ci_ms, NULL);
        wc.train = (lq_train_config){
            .speculation = (unsigned)strtoul(cfg.speculation.value, NULL, 10),
            .batch = (unsigned)strtoul(cfg.batch.value, NULL, 10),
            .retry_failed = (unsigned)strtoul(cfg.retry_failed.value, NULL, 10),
            .optimistic = lq_config_bool(cfg.optimistic.value) == 1, .ci_timeout_ms = ci_ms};
        const char **areas = calloc(cfg.lane_areas.count + 1, sizeof *areas);
        const char **catch_all = calloc(cfg.lane_catch_all.count + 1, sizeof *catch_all);
        for (size_t i = 0; areas && i < cfg.lane_areas.count; i++)
            areas[i] = cfg.lane_areas.items[i].value;
        for (size_t i = 0; catch_all && i < cfg.lane_catch_all.count; i++)
            catch_all[i] = cfg.lane_catch_all.items[i].value;
        int lrc = !areas || !catch_all ? LQ_ENOMEM
                  : lq_lanes_new(&lanes, cfg.lanes.value, areas, cfg.lane_areas.count,
                                 catch_all, cfg.lane_catch_all.count, &err);
        free(areas);
        free(catch_all);
        if (lrc) { /* validated: only ENOMEM */
            free(repos);
            free(checks);
            free(hooks);
            fprintf(stderr, "landq serve: lanes: %s\n", lrc == LQ_ENOMEM ? "out of memory"
                                                                          : err.msg);
            goto out;
        }
        wc.lanes = lanes;
    }
    int wrc = lq_worker_start(&worker, &wc, &err);
    free(repos);
    free(checks);
    free(hooks);
    if (wrc) {
        fprintf(stderr, "landq serve: cannot start the worker: %s\n", err.msg);
        goto out;
    }
    health.inbox = inbox;
    health.worker = worker;
    int64_t inbox_ms = 0, audit_ms = 0; /* validated above */
    lq_duration_parse(cfg.inbox_retention.value, &inbox_ms, NULL);
    lq_duration_parse(cfg.audit_retention.value, &audit_ms, NULL);
    lq_retention_config rc_cfg = {.inbox = inbox, .db = db_shown, .inbox_ms = inbox_ms,
                                  .audit_ms = audit_ms, .log = retention_log,
                                  .metrics = health.metrics};
    if (lq_retention_start(&retention, &rc_cfg, &err)) {
        fprintf(stderr, "landq serve: cannot start retention: %s\n", err.msg);
        goto out;
    }
    for (size_t i = 0; i < cfg.trusted_proxies.count; i++) {
        lq_cidr c;
        lq_cidr *nv = realloc(proxies.v, (proxies.n + 1) * sizeof(*nv));
        const char *v = cfg.trusted_proxies.items[i].value;
        if (nv)
            proxies.v = nv;
        if (!nv || lq_cidr_parse(&c, v, strlen(v), &err)) { /* validated: only ENOMEM */
            fprintf(stderr, "landq serve: out of memory\n");
            goto out;
        }
        proxies.v[proxies.n++] = c;
    }
    if (!strcmp(cfg.webhook_allowlist.value, "meta")) {
        lq_allowlist_config ac = {.api_url = cfg.github_api.value, .token = token,
                                  .db_path = cfg.db.value,
                                  .refresh_s = (unsigned)strtoul(cfg.meta_refresh.value, NULL, 10),
                                  .proxies = &proxies, .log = allowlist_log,
                                  .metrics = health.metrics};
        int arc = lq_allowlist_start(&health.allowlist, &ac, &err);
        if (arc) {
            fprintf(stderr, "landq serve: cannot start the webhook allowlist: %s\n", err.msg);
            goto out;
        }
    } else {
        fprintf(stderr, "level=warn mod=allowlist msg=\"webhook_allowlist = off: webhooks are "
                        "accepted from any address (signatures are still verified)\"\n");
    }
    /* The ops listener first: /healthz and /metrics answer while the intake starts. */
    lq_ops_config oc = {.listen = cfg.ops_listen.value, .admin_token = admin_token};
    if (lq_ops_start(&ops, &oc, &err)) {
        fprintf(stderr, "landq serve: %s: ops_listen: cannot listen on %s: %s\n",
                cfg.ops_listen.origin, cfg.ops_listen.value, err.msg);
        rc = 2;
        goto out;
    }
    if (lq_ops_route(ops, "GET", "/metrics", 0, ops_page, &health, &err) ||
        lq_ops_route(ops, "GET", "/healthz", 0, ops_page, &health, &err)) {
        fprintf(stderr, "landq serve: %s\n", err.msg);
        goto out;
    }
    /* The queue page and the freeze API (io/page.h), from the store and the board. */
    {
        char web[300];
        lq_config_web_url(&cfg, web, sizeof web);
        const char **prepos = calloc(cfg.repos.count + 1, sizeof(*prepos));
        for (size_t i = 0; prepos && i < cfg.repos.count; i++)
            prepos[i] = cfg.repos.items[i].value;
        lq_page_config pc = {.db_path = cfg.db.value, .inbox = inbox, .board = board,
                             .metrics = health.metrics, .web_url = web,
                             .repos = prepos, .repo_count = cfg.repos.count,
                             .priority_label = cfg.priority_label.value,
                             .status_context = cfg.status_context.value, .refresh_s = 2,
                             .log = page_log};
        int prc = prepos ? lq_page_start(&page, ops, &pc, &err)
                         : lq_error_set(&err, LQ_ENOMEM, "out of memory");
        free(prepos);
        if (prc) {
            fprintf(stderr, "landq serve: cannot serve the queue page: %s\n", err.msg);
            goto out;
        }
    }
    lq_intake_config ic = {.listen = cfg.listen.value, .secret = secret,
                           .secret_len = strlen(secret), .inbox = inbox,
                           .log = verbose ? intake_log : NULL,
                           .allow = health.allowlist ? allow_cb : NULL,
                           .allow_ctx = health.allowlist, .trusted_proxies = &proxies,
                           .header_timeout_s =
                               (unsigned)strtoul(cfg.header_timeout.value, NULL, 10),
                           .per_source_connections =
                               (unsigned)strtoul(cfg.per_source_connections.value, NULL, 10),
                           .healthy = healthy_cb, .healthy_ctx = &health,
                           .leases_held = leases_cb};
    if (lq_intake_start(&intake, &ic, &err)) {
        fprintf(stderr, "landq serve: %s: listen: cannot listen on %s: %s\n", cfg.listen.origin,
                cfg.listen.value, err.msg);
        rc = 2;
        goto out;
    }
    health.intake = intake;
    lq_worker_listening(worker);
    int port = lq_intake_port(intake);
    char host[256];
    int unused;
    lq_config_listen_split(cfg.listen.value, host, sizeof host, &unused, NULL);
    printf("landq: listening on %s:%d (POST /webhook), serving %zu repositor%s, label '%s'\n",
           host, port, cfg.repos.count, cfg.repos.count == 1 ? "y" : "ies", cfg.label.value);
    char ops_host[256];
    lq_config_listen_split(cfg.ops_listen.value, ops_host, sizeof ops_host, &unused, NULL);
    printf("landq: ops listener on %s:%d (GET /metrics, GET /healthz)\n", ops_host,
           lq_ops_port(ops));
    printf("landq: queue page at http://%s:%d/queue\n", ops_host, lq_ops_port(ops));
    fflush(stdout);
    fprintf(stderr, "level=info msg=\"acting on webhook events\" events=\"%s\" "
                    "ignored=\"every other event (answered 202, then skipped)\"\n",
            served_events);
    /* The ops port file first: whoever waits for the webhook port file finds both. */
    if (cfg.ops_port_file.value && write_port_file(cfg.ops_port_file.value, lq_ops_port(ops))) {
        fprintf(stderr, "landq serve: %s: ops_port_file: cannot write %s: %s\n",
                cfg.ops_port_file.origin, cfg.ops_port_file.value, strerror(errno));
        goto out;
    }
    if (cfg.port_file.value && write_port_file(cfg.port_file.value, port)) {
        fprintf(stderr, "landq serve: %s: port_file: cannot write %s: %s\n",
                cfg.port_file.origin, cfg.port_file.value, strerror(errno));
        goto out;
    }

    int sig = 0;
    while (sigwait(&sigs, &sig) == EINTR) {
    }
    fprintf(stderr, "landq serve: %s received; stopping (queued work is kept in %s)\n",
            sig == SIGINT ? "SIGINT" : "SIGTERM", db_shown);
    rc = 0;
out:
    /* Stop accepting first; deliveries already acknowledged are on disk in the inbox. */
    lq_intake_stop(intake);
    lq_ops_stop(ops);
    lq_page_free(page);
    lq_cidr_list_dispose(&proxies);
    lq_allowlist_stop(health.allowlist);
    lq_retention_stop(retention);
    lq_worker_stop(worker);
    lq_lanes_free(lanes);
    lq_board_free(board);
    lq_metrics_free(health.metrics);
    lq_inbox_close(inbox);
    lq_appauth_free(appauth);
    wipe(token);
    wipe(secret);
    wipe(admin_token);
    lq_config_dispose(&cfg);
    if (rc != 2)
        curl_global_cleanup();
    return rc;
}
