/* cmd_freeze.c -- `landq freeze` and `landq unfreeze`: the merge freeze of a base branch, asked
 * of the running server's ops API (POST /api/freeze, /api/unfreeze; io/page.h) with the admin
 * token. The server stores the freeze (it survives restarts), records who froze and why in the
 * audit log, and re-evaluates the branch's queued pull requests so their status says so.
 *
 * Finding the server: --server URL, else $LANDQ_SERVER, else the ops_listen of --config FILE,
 * else http://127.0.0.1:9090 (the ops listener's default). The token: $LANDQ_ADMIN_TOKEN, or the
 * file named by $LANDQ_ADMIN_TOKEN_FILE (the same variables `landq serve` reads). */
#include <curl/curl.h>
#include <jansson.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "config.h"
#include "freeze.h"
#include "fsutil.h"
#include "page_route.h"

#define RESPONSE_MAX (64 * 1024)

static const char freeze_help[] =
    "Usage: landq freeze --repo OWNER/NAME --branch BRANCH --reason TEXT [OPTIONS]\n"
    "       landq unfreeze --repo OWNER/NAME --branch BRANCH [OPTIONS]\n"
    "       landq resume OWNER/NAME BRANCH [OPTIONS]\n"
    "\n"
    "Freezes (or unfreezes) merges into BRANCH: while frozen, landq keeps evaluating the pull\n"
    "requests queued for it and tells their authors why they wait (\"`main` is frozen:\n"
    "release 4.2, since ..., by ...\"), but lands nothing. The freeze is kept in landq's\n"
    "database (it survives restarts), shown on the queue page, and recorded in the audit log.\n"
    "`landq resume` is `landq unfreeze`: it restarts a branch's queue that landq itself halted\n"
    "after a safety incident (docs/operations.md, \"Safety incidents\").\n"
    "\n"
    "Options:\n"
    "  --repo OWNER/NAME  a repository the server serves\n"
    "  --branch BRANCH    the base branch\n"
    "  --reason TEXT      why (freeze only; shown to authors and on the queue page)\n"
    "  --by NAME          who asks (default: your login name); recorded in the audit log\n"
    "  --server URL       landq's ops listener (default: $LANDQ_SERVER, else the ops_listen\n"
    "                     of --config, else http://127.0.0.1:9090)\n"
    "  --config FILE      the serve config file (for its ops_listen)\n"
    "  -h, --help         show this help\n"
    "\n"
    "Environment:\n"
    "  LANDQ_ADMIN_TOKEN  the admin token the server was started with (or\n"
    "                     LANDQ_ADMIN_TOKEN_FILE naming a file that holds it)\n"
    "  LANDQ_SERVER       default for --server\n"
    "\n"
    "Exit status: 0 done, 1 the server refused or could not be reached, 2 usage error.\n";

static int usage_error(const char *cmd, const char *fmt, ...) LQ_PRINTF(2, 3);
static int usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "landq %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (try 'landq %s --help')\n", cmd);
    return 2;
}

typedef struct buf {
    char *p;
    size_t len;
    int over;
} buf;

static size_t on_body(char *data, size_t size, size_t n, void *ctx)
{
    buf *b = ctx;
    size_t add = size * n;
    if (b->over || b->len + add > RESPONSE_MAX) {
        b->over = 1;
        return add; /* keep reading, but drop it */
    }
    char *np = realloc(b->p, b->len + add + 1);
    if (!np)
        return 0;
    memcpy(np + b->len, data, add);
    b->p = np;
    b->len += add;
    b->p[b->len] = '\0';
    return add;
}

/* The admin token, from the environment (owned; wiped by the caller). */
static char *admin_token(const char *cmd)
{
    const char *v = getenv("LANDQ_ADMIN_TOKEN");
    if (v && *v)
        return strdup(v);
    const char *f = getenv("LANDQ_ADMIN_TOKEN_FILE");
    if (f && *f) {
        char *text = NULL;
        size_t len = 0;
        lq_error err = {0};
        if (lq_file_read(&text, &len, f, 65536, &err)) {
            fprintf(stderr, "landq %s: LANDQ_ADMIN_TOKEN_FILE: %s: %s\n", cmd, f, err.msg);
            return NULL;
        }
        while (len && (text[len - 1] == '\n' || text[len - 1] == '\r' || text[len - 1] == ' '))
            text[--len] = '\0';
        return text;
    }
    fprintf(stderr, "landq %s: LANDQ_ADMIN_TOKEN is not set: set it to the admin token the "
                    "server was started with\n", cmd);
    return NULL;
}

/* The server's base URL into out: --server, $LANDQ_SERVER, --config's ops_listen, default. */
static int server_url(const char *cmd, const char *flag, const char *config_path, char *out,
                      size_t cap)
{
    const char *s = flag ? flag : getenv("LANDQ_SERVER");
    if (s && *s) {
        size_t n = strlen(s);
        if ((strncmp(s, "http://", 7) && strncmp(s, "https://", 8)) || n >= cap ||
            strpbrk(s, " \t\r\n"))
            return usage_error(cmd, "--server: '%s' is not an http:// or https:// URL", s);
        while (n && s[n - 1] == '/')
            n--;
        snprintf(out, cap, "%.*s", (int)n, s);
        return 0;
    }
    if (!config_path) {
        snprintf(out, cap, "http://127.0.0.1:9090");
        return 0;
    }
    lq_config cfg;
    lq_error err = {0};
    char *text = NULL;
    size_t len = 0;
    int rc = lq_config_init(&cfg, &err);
    if (!rc && (rc = lq_file_read(&text, &len, config_path, 1 << 20, &err)) == 0)
        rc = lq_config_parse(&cfg, text, len, config_path, &err);
    free(text);
    char host[256];
    int port = 0;
    if (!rc)
        rc = lq_config_listen_split(cfg.ops_listen.value, host, sizeof host, &port, &err);
    lq_config_dispose(&cfg);
    if (rc) {
        fprintf(stderr, "landq %s: --config: %s\n", cmd, err.msg);
        return 2;
    }
    if (!strcmp(host, "0.0.0.0") || !*host)
        snprintf(host, sizeof host, "127.0.0.1");
    else if (!strcmp(host, "::"))
        snprintf(host, sizeof host, "::1");
    snprintf(out, cap, strchr(host, ':') ? "http://[%s]:%d" : "http://%s:%d", host, port);
    return 0;
}

static void default_by(char *out, size_t cap)
{
    const char *u = getenv("USER");
    if (!u || !*u) {
        struct passwd *pw = getpwuid(getuid());
        u = pw ? pw->pw_name : NULL;
    }
    snprintf(out, cap, "%s", u && *u ? u : "admin");
}

int lq_cmd_freeze(int argc, char **argv)
{
    int resume = !strcmp(argv[0], "resume"); /* unfreeze, with positional REPO BRANCH */
    const char *cmd = resume ? "resume" : !strcmp(argv[0], "unfreeze") ? "unfreeze" : "freeze";
    const char *api = resume ? "unfreeze" : cmd;
    int freeze = !strcmp(cmd, "freeze");
    const char *repo = NULL, *branch = NULL, *reason = NULL, *by = NULL, *server = NULL,
               *config_path = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(freeze_help, stdout);
            return 0;
        }
        if (resume && a[0] != '-' && (!repo || !branch)) {
            *(!repo ? &repo : &branch) = a;
            continue;
        }
        const char **slot = !strcmp(a, "--repo") ? &repo : !strcmp(a, "--branch") ? &branch
                            : !strcmp(a, "--reason") && freeze ? &reason
                            : !strcmp(a, "--by") ? &by : !strcmp(a, "--server") ? &server
                            : !strcmp(a, "--config") ? &config_path : NULL;
        if (!slot)
            return usage_error(cmd, "unknown option '%s'", a);
        if (i + 1 >= argc)
            return usage_error(cmd, "%s needs a value", a);
        *slot = argv[++i];
    }
    if (!repo || !lq_page_repo_ok(repo))
        return usage_error(cmd, "--repo OWNER/NAME is required");
    if (!branch)
        return usage_error(cmd, "--branch BRANCH is required");
    if (freeze && !reason)
        return usage_error(cmd, "--reason TEXT is required (say why, e.g. \"release 4.2\")");
    char who[128];
    if (!by) {
        default_by(who, sizeof who);
        by = who;
    }
    lq_error err = {0};
    if (lq_freeze_check(branch, freeze ? reason : "-", by, &err))
        return usage_error(cmd, "--%s", err.msg);
    char base[512], url[600];
    int rc = server_url(cmd, server, config_path, base, sizeof base);
    if (rc)
        return rc;
    snprintf(url, sizeof url, "%s/api/%s", base, api);
    char *token = admin_token(cmd);
    if (!token)
        return 1;
    json_t *body = json_pack("{s:s, s:s, s:s}", "repo", repo, "branch", branch, "by", by);
    if (body && freeze)
        json_object_set_new(body, "reason", json_string(reason));
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    size_t auth_len = strlen(token) + 32;
    char *auth = malloc(auth_len);
    if (auth)
        snprintf(auth, auth_len, "Authorization: Bearer %s", token);
    memset(token, 0, strlen(token));
    free(token);
    buf resp = {0};
    long status = 0;
    CURLcode cc = CURLE_OUT_OF_MEMORY;
    CURL *c = text && auth && curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? curl_easy_init()
                                                                           : NULL;
    struct curl_slist *h = NULL;
    if (c) {
        h = curl_slist_append(h, "Content-Type: application/json");
        h = curl_slist_append(h, auth);
        curl_easy_setopt(c, CURLOPT_URL, url);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, text);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &resp);
        curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(c, CURLOPT_USERAGENT, "landq-freeze");
        cc = h ? curl_easy_perform(c) : CURLE_OUT_OF_MEMORY;
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        curl_slist_free_all(h);
        curl_easy_cleanup(c);
    }
    curl_global_cleanup();
    if (auth) {
        memset(auth, 0, strlen(auth));
        free(auth);
    }
    free(text);
    if (cc != CURLE_OK) {
        fprintf(stderr, "landq %s: cannot reach landq at %s: %s\n", cmd, base,
                curl_easy_strerror(cc));
        free(resp.p);
        return 1;
    }
    json_t *answer = resp.p ? json_loads(resp.p, 0, NULL) : NULL;
    if (status != 200) {
        const char *why = json_string_value(json_object_get(answer, "error"));
        char plain[300] = "";
        if (!why && resp.p) { /* the listener's own answers (401, 403) are one line of text */
            snprintf(plain, sizeof plain, "%s", resp.p);
            plain[strcspn(plain, "\r\n")] = '\0';
            why = plain;
        }
        fprintf(stderr, "landq %s: %s answered %ld: %s\n", cmd, url, status,
                why && *why ? why : "(no reason given)");
        json_decref(answer);
        free(resp.p);
        return 1;
    }
    json_int_t again = json_integer_value(json_object_get(answer, "reevaluating"));
    if (freeze)
        printf("%s %s is frozen: %s (since %s, by %s); %lld queued pull request%s re-evaluated\n",
               repo, branch, reason, json_string_value(json_object_get(answer, "since"))
                                         ? json_string_value(json_object_get(answer, "since"))
                                         : "now",
               by, (long long)again, again == 1 ? "" : "s");
    else if (json_is_true(json_object_get(answer, "was_frozen")))
        printf("%s %s is unfrozen (by %s); %lld queued pull request%s re-evaluated\n", repo,
               branch, by, (long long)again, again == 1 ? "" : "s");
    else
        printf("%s %s was not frozen; nothing changed\n", repo, branch);
    json_decref(answer);
    free(resp.p);
    return 0;
}
