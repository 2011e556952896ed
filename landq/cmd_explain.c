/* cmd_explain.c -- `landq explain --pr OWNER/NAME#N`: why a pull request would or would not land.
 *
 * Reads the pull request through the configured API exactly as `landq serve` does
 * (lq_worker_explain: same facts, same policy) and prints, for each changed file, its owners,
 * the CODEOWNERS line that decided, the approvals that satisfy it (reviewer, SHA) or what is
 * missing; the checks; and the verdict. Settings as for serve: --config FILE < environment <
 * flags (docs/configuration.md); only those needed for reading are used. */
#include <curl/curl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appauth.h"
#include "commands.h"
#include "config.h"
#include "fsutil.h"
#include "explain.h"
#include "lanes.h"

static const char explain_help[] =
    "Usage: landq explain --pr OWNER/NAME#N [--json] [--config FILE] [OPTIONS]\n"
    "\n"
    "Explains the landing decision for one pull request, as `landq serve` would take it now:\n"
    "for each changed file its owners, the CODEOWNERS line that decided, the approvals that\n"
    "satisfy it (reviewer, head SHA) or what is missing; the checks; and the verdict.\n"
    "Nothing is written to GitHub or to the database.\n"
    "\n"
    "Options (override the config file and the environment, as for `landq serve`):\n"
    "  --pr OWNER/NAME#N      the pull request (required)\n"
    "  --json                 print the explanation as one JSON object\n"
    "  --config FILE          read settings from FILE (the serve config file)\n"
    "  --github-api URL       GitHub REST API (default https://api.github.com)\n"
    "  --label NAME           landing label (default land)\n"
    "  --required-check NAME  only these checks must pass (repeatable)\n"
    "  --status-context NAME  landq's own status context, ignored as a check (default landq)\n"
    "  --app-id ID, --app-key-file PATH, --app-installation-id ID\n"
    "                         authenticate as a GitHub App instead of with a token\n"
    "  --lanes single|codeowners|paths, --lane 'NAME: PREFIX...', --lane-catch-all PREFIX\n"
    "                         predictive mode's lanes (as for serve): show the lanes the\n"
    "                         pull request would be tested and landed in\n"
    "  -h, --help             show this help\n"
    "\n"
    "Environment: LANDQ_GITHUB_TOKEN (or LANDQ_GITHUB_TOKEN_FILE, or github_token_file),\n"
    "LANDQ_GITHUB_API, LANDQ_LABEL, LANDQ_REPOS, LANDQ_REQUIRED_CHECKS, LANDQ_APP_ID,\n"
    "LANDQ_APP_PRIVATE_KEY_FILE, LANDQ_APP_INSTALLATION_ID.\n"
    "\n"
    "Exit status: 0 explained (whatever the verdict), 1 GitHub could not be read, 2 usage or\n"
    "setting error.\n";

static int usage_error(const char *fmt, ...) LQ_PRINTF(1, 2);
static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "landq explain: ");
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (try 'landq explain --help')\n");
    return 2;
}

/* "owner/name#12" -> repo, number; 0 or -1. */
static int parse_pr(const char *s, char *repo, size_t cap, int *number)
{
    const char *hash = strrchr(s, '#');
    const char *slash = strchr(s, '/');
    if (!hash || !slash || slash > hash || slash == s || slash + 1 == hash ||
        strchr(slash + 1, '/') || (size_t)(hash - s) >= cap)
        return -1;
    char *end = NULL;
    long n = strtol(hash + 1, &end, 10);
    if (!hash[1] || *end || n <= 0 || n > 0x7fffffff)
        return -1;
    memcpy(repo, s, (size_t)(hash - s));
    repo[hash - s] = '\0';
    for (const char *p = repo; *p; p++)
        if (*p == ' ' || *p == '\t' || *p == '?' || *p == '%')
            return -1;
    *number = (int)n;
    return 0;
}

static char *read_token_file(const char *path, const char *origin)
{
    char *t = NULL;
    size_t len = 0;
    lq_error err = {0};
    if (lq_file_read(&t, &len, path, 65536, &err)) {
        fprintf(stderr, "landq explain: %s: %s: cannot read the GitHub token file: %s\n", origin,
                path, err.msg);
        return NULL;
    }
    while (len && (t[len - 1] == '\n' || t[len - 1] == '\r' || t[len - 1] == ' '))
        t[--len] = '\0';
    if (!len) {
        fprintf(stderr, "landq explain: %s: %s: the GitHub token file is empty\n", origin, path);
        free(t);
        return NULL;
    }
    return t;
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

static void short12(char out[13], const char *sha)
{
    snprintf(out, 13, "%s", sha ? sha : "?");
}

static const char *js(const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

static void print_text(const json_t *o)
{
    char h[13];
    short12(h, js(o, "head_sha"));
    printf("%s#%lld \"%s\" by %s: head %s, base %s%s%s%s\n", js(o, "repo"),
           (long long)json_integer_value(json_object_get(o, "number")), js(o, "title"),
           js(o, "author"), h, js(o, "base"),
           json_is_true(json_object_get(o, "open")) ? "" : ", closed",
           json_is_true(json_object_get(o, "merged")) ? ", merged" : "",
           json_is_true(json_object_get(o, "draft")) ? ", draft" : "");
    if (!json_is_true(json_object_get(o, "labeled")))
        printf("label %s: not applied\n", js(o, "label"));
    else if (json_is_string(json_object_get(o, "labeler")))
        printf("label %s: applied by @%s (write permission: %s)\n", js(o, "label"),
               js(o, "labeler"),
               json_is_true(json_object_get(o, "labeler_can_write")) ? "yes" : "no");
    else
        printf("label %s: applied (by whom: unknown)\n", js(o, "label"));
    json_t *co = json_object_get(o, "codeowners");
    if (json_is_string(json_object_get(co, "error")))
        printf("CODEOWNERS: cannot be used: %s\n", js(co, "error"));
    else if (json_is_string(json_object_get(co, "path")))
        printf("CODEOWNERS: %s on %s (the base branch)\n", js(co, "path"), js(o, "base"));
    else
        printf("CODEOWNERS: none on %s (nothing is owned)\n", js(o, "base"));
    json_t *files = json_object_get(o, "files");
    printf("files (%zu):\n", json_array_size(files));
    size_t i;
    json_t *f;
    json_array_foreach(files, i, f)
    {
        printf("  %s\n", js(f, "path"));
        json_t *owners = json_object_get(f, "owners");
        json_int_t line = json_integer_value(json_object_get(f, "line"));
        if (!line) {
            printf("    owners: none (no CODEOWNERS line matches)\n");
        } else if (!json_array_size(owners)) {
            printf("    owners: none (CODEOWNERS line %lld names nobody)\n", (long long)line);
        } else {
            printf("    owners: ");
            size_t k;
            json_t *ow;
            json_array_foreach(owners, k, ow)
                printf("%s%s", k ? ", " : "", json_string_value(ow));
            printf(" (CODEOWNERS line %lld)\n", (long long)line);
        }
        size_t k;
        json_t *a;
        json_array_foreach(json_object_get(f, "approved_by"), k, a)
        {
            char s[13];
            short12(s, js(a, "sha"));
            printf("    approved by @%s (as %s) on %s\n", js(a, "reviewer"), js(a, "via"), s);
        }
        if (json_is_string(json_object_get(f, "missing")))
            printf("    MISSING: an approval on the head commit from one of %s\n",
                   js(f, "missing"));
    }
    json_t *nw = json_object_get(o, "approvals_without_write");
    if (json_array_size(nw)) {
        printf("approvals that do not count (no write permission):");
        size_t k;
        json_t *x;
        json_array_foreach(nw, k, x)
            printf(" @%s", json_string_value(x));
        printf("\n");
    }
    json_t *checks = json_object_get(o, "checks");
    printf("checks (%zu):\n", json_array_size(checks));
    json_t *c;
    json_array_foreach(checks, i, c)
        printf("  %s: %s%s%s%s\n", js(c, "name"), js(c, "state"),
               json_is_string(json_object_get(c, "detail")) ? " (" : "", js(c, "detail"),
               json_is_string(json_object_get(c, "detail")) ? ")" : "");
    json_t *ln = json_object_get(o, "lanes");
    if (ln) { /* predictive mode: where it would be tested and landed */
        json_t *names = json_object_get(ln, "names"), *x;
        size_t k;
        if (json_is_true(json_object_get(ln, "all")))
            printf("lanes (%s): every lane (it touches a lane_catch_all path): tested on top of "
                   "everything ahead of it\n", js(ln, "mode"));
        else {
            printf("lanes (%s):", js(ln, "mode"));
            json_array_foreach(names, k, x)
                printf("%s %s", k ? "," : "", json_string_value(x));
            printf("%s\n", json_array_size(names) > 1 ? " (spans them: waits for the pull "
                   "requests ahead of it in each)" : "");
        }
    }
    json_t *v = json_object_get(o, "verdict");
    printf("verdict: %s: %s\n", js(v, "kind"), js(v, "summary"));
    json_t *r;
    json_array_foreach(json_object_get(v, "reasons"), i, r)
        printf("  - %s\n", json_string_value(r));
}

int lq_cmd_explain(int argc, char **argv)
{
    const char *pr = NULL, *config_path = NULL;
    int as_json = 0;
    static const struct {
        const char *flag, *key;
    } flags[] = {{"--github-api", "github_api"}, {"--label", "label"},
                 {"--required-check", "required_check"}, {"--status-context", "status_context"},
                 {"--app-id", "app_id"}, {"--app-key-file", "app_private_key_file"},
                 {"--app-installation-id", "app_installation_id"}, {"--lanes", "lanes"},
                 {"--lane", "lane"}, {"--lane-catch-all", "lane_catch_all"}};
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            fputs(explain_help, stdout);
            return 0;
        }
    }
    lq_config cfg;
    lq_error err = {0};
    if (lq_config_init(&cfg, &err)) {
        fprintf(stderr, "landq explain: %s\n", err.msg);
        return 2;
    }
    int rc = 2, checks_from_flags = 0, areas_from_flags = 0, catch_from_flags = 0;
    char *token = NULL;
    lq_appauth *appauth = NULL;
    lq_lanes *lanes = NULL;
    json_t *out = NULL;
    const char **repos = NULL, **checks = NULL;
    for (int i = 1; i < argc; i++) { /* pass 1: --pr, --json, --config */
        if (!strcmp(argv[i], "--pr") || !strcmp(argv[i], "--config")) {
            if (i + 1 >= argc) {
                rc = usage_error("%s needs a value", argv[i]);
                goto done;
            }
            *(!strcmp(argv[i], "--pr") ? &pr : &config_path) = argv[i + 1];
            i++;
        } else if (!strcmp(argv[i], "--json")) {
            as_json = 1;
        }
    }
    if (config_path) {
        char *text = NULL;
        size_t len = 0;
        if (lq_file_read(&text, &len, config_path, 1 << 20, &err) ||
            lq_config_parse(&cfg, text, len, config_path, &err)) {
            fprintf(stderr, "landq explain: --config: %s\n", err.msg);
            free(text);
            goto done;
        }
        free(text);
    }
    static const struct {
        const char *env, *key;
    } envs[] = {{"LANDQ_GITHUB_API", "github_api"}, {"LANDQ_LABEL", "label"},
                {"LANDQ_APP_ID", "app_id"}, {"LANDQ_APP_PRIVATE_KEY_FILE", "app_private_key_file"},
                {"LANDQ_APP_INSTALLATION_ID", "app_installation_id"}, {"LANDQ_LANES", "lanes"}};
    for (size_t k = 0; k < sizeof envs / sizeof envs[0]; k++) {
        const char *v = getenv(envs[k].env);
        if (v && *v && lq_config_set(&cfg, envs[k].key, v, envs[k].env, &err)) {
            fprintf(stderr, "landq explain: %s\n", err.msg);
            goto done;
        }
    }
    static const struct {
        const char *env, *key;
    } lists[] = {{"LANDQ_REPOS", "repo"}, {"LANDQ_REQUIRED_CHECKS", "required_check"}};
    for (size_t k = 0; k < 2; k++) {
        const char *v = getenv(lists[k].env);
        if (!v || !*v)
            continue;
        lq_config_clear(&cfg, lists[k].key);
        char *copy = strdup(v);
        for (char *save = NULL, *t = copy ? strtok_r(copy, ", \t\n", &save) : NULL; t;
             t = strtok_r(NULL, ", \t\n", &save))
            lq_config_set(&cfg, lists[k].key, t, lists[k].env, &err);
        free(copy);
    }
    for (int i = 1; i < argc; i++) { /* pass 2: the other flags */
        const char *a = argv[i];
        if (!strcmp(a, "--pr") || !strcmp(a, "--config")) {
            i++;
            continue;
        }
        if (!strcmp(a, "--json"))
            continue;
        size_t k;
        for (k = 0; k < sizeof flags / sizeof flags[0]; k++)
            if (!strcmp(a, flags[k].flag))
                break;
        if (k == sizeof flags / sizeof flags[0]) {
            rc = usage_error("unknown option '%s'", a);
            goto done;
        }
        if (i + 1 >= argc) {
            rc = usage_error("%s needs a value", a);
            goto done;
        }
        if (!strcmp(flags[k].key, "required_check") && !checks_from_flags++)
            lq_config_clear(&cfg, "required_check");
        if (!strcmp(flags[k].key, "lane") && !areas_from_flags++)
            lq_config_clear(&cfg, "lane");
        if (!strcmp(flags[k].key, "lane_catch_all") && !catch_from_flags++)
            lq_config_clear(&cfg, "lane_catch_all");
        if (lq_config_set(&cfg, flags[k].key, argv[++i], flags[k].flag, &err)) {
            fprintf(stderr, "landq explain: %s\n", err.msg);
            goto done;
        }
    }
    char repo[256];
    int number = 0;
    if (!pr) {
        rc = usage_error("--pr OWNER/NAME#N is required");
        goto done;
    }
    if (parse_pr(pr, repo, sizeof repo, &number)) {
        rc = usage_error("--pr: '%s' is not OWNER/NAME#NUMBER", pr);
        goto done;
    }
    if (!cfg.repos.count && lq_config_set(&cfg, "repo", repo, "--pr", &err)) {
        fprintf(stderr, "landq explain: %s\n", err.msg);
        goto done;
    }
    if (lq_config_validate(&cfg, &err)) {
        fprintf(stderr, "landq explain: %s\n", err.msg);
        goto done;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (cfg.app_id.value) {
        char *pem = NULL;
        size_t pem_len = 0;
        if (lq_file_read(&pem, &pem_len, cfg.app_private_key_file.value, 1 << 20, &err)) {
            fprintf(stderr, "landq explain: %s: app_private_key_file: cannot read %s: %s\n",
                    cfg.app_private_key_file.origin, cfg.app_private_key_file.value, err.msg);
            goto done_curl;
        }
        lq_appauth_config ac = {.api_url = cfg.github_api.value, .app_id = cfg.app_id.value,
                                .installation_id = cfg.app_installation_id.value,
                                .key_pem = pem, .key_len = pem_len};
        int arc = lq_appauth_new(&appauth, &ac, &err);
        memset(pem, 0, pem_len);
        free(pem);
        if (arc) {
            fprintf(stderr, "landq explain: %s: %s\n", cfg.app_private_key_file.value, err.msg);
            goto done_curl;
        }
    } else {
        const char *t = getenv("LANDQ_GITHUB_TOKEN"), *tf = getenv("LANDQ_GITHUB_TOKEN_FILE");
        if (t && *t)
            token = strdup(t);
        else if (tf && *tf)
            token = read_token_file(tf, "LANDQ_GITHUB_TOKEN_FILE");
        else if (cfg.github_token_file.value)
            token = read_token_file(cfg.github_token_file.value, cfg.github_token_file.origin);
        else
            fprintf(stderr, "landq explain: GitHub token: not set; set LANDQ_GITHUB_TOKEN, or "
                            "LANDQ_GITHUB_TOKEN_FILE / github_token_file, or the App settings\n");
        if (!token)
            goto done_curl;
    }
    repos = calloc(cfg.repos.count + 1, sizeof(*repos));
    checks = calloc(cfg.required_checks.count + 1, sizeof(*checks));
    if (!repos || !checks) {
        fprintf(stderr, "landq explain: out of memory\n");
        rc = 1;
        goto done_curl;
    }
    for (size_t k = 0; k < cfg.repos.count; k++)
        repos[k] = cfg.repos.items[k].value;
    for (size_t k = 0; k < cfg.required_checks.count; k++)
        checks[k] = cfg.required_checks.items[k].value;
    lq_worker_config wc = {
        .api_url = cfg.github_api.value, .token = token, .repos = repos,
        .repo_count = cfg.repos.count, .label = cfg.label.value,
        .status_context = cfg.status_context.value, .required_checks = checks,
        .required_check_count = cfg.required_checks.count,
        .token_cb = appauth ? lq_appauth_token_cb : NULL, .token_ctx = appauth};
    {
        const char **areas = calloc(cfg.lane_areas.count + 1, sizeof *areas);
        const char **catch_all = calloc(cfg.lane_catch_all.count + 1, sizeof *catch_all);
        for (size_t k = 0; areas && k < cfg.lane_areas.count; k++)
            areas[k] = cfg.lane_areas.items[k].value;
        for (size_t k = 0; catch_all && k < cfg.lane_catch_all.count; k++)
            catch_all[k] = cfg.lane_catch_all.items[k].value;
        int lrc = !areas || !catch_all ? lq_error_set(&err, LQ_ENOMEM, "out of memory")
                  : lq_lanes_new(&lanes, cfg.lanes.value, areas, cfg.lane_areas.count,
                                 catch_all, cfg.lane_catch_all.count, &err);
        free(areas);
        free(catch_all);
        if (lrc) { /* validated: only ENOMEM */
            fprintf(stderr, "landq explain: lanes: %s\n", err.msg);
            rc = 1;
            goto done_curl;
        }
        wc.lanes = lanes;
    }
    if (lq_explain_pr(&wc, repo, number, &out, &err)) {
        fprintf(stderr, "landq explain: %s#%d: %s\n", repo, number, err.msg);
        rc = 1;
        goto done_curl;
    }
    if (as_json) {
        char *s = json_dumps(out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        if (s)
            printf("%s\n", s);
        free(s);
    } else {
        print_text(out);
    }
    rc = fflush(stdout) ? 1 : 0;
done_curl:
    curl_global_cleanup();
done:
    json_decref(out);
    free(repos);
    free(checks);
    lq_appauth_free(appauth);
    lq_lanes_free(lanes);
    wipe(token);
    lq_config_dispose(&cfg);
    return rc;
}
