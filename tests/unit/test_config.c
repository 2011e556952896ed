/* Unit tests of the landq serve config parser and validation (landq/core/config.c). */
#include <criterion/criterion.h>
#include <string.h>

#include "config.h"

static lq_config cfg;
static lq_error err;

static void setup(void)
{
    memset(&err, 0, sizeof err);
    cr_assert_eq(lq_config_init(&cfg, &err), LQ_OK);
}

static void teardown(void)
{
    lq_config_dispose(&cfg);
}

static int parse(const char *text)
{
    memset(&err, 0, sizeof err);
    return lq_config_parse(&cfg, text, strlen(text), "landq.conf", &err);
}

TestSuite(config, .init = setup, .fini = teardown);

Test(config, defaults)
{
    cr_assert_str_eq(cfg.listen.value, "127.0.0.1:8080");
    cr_assert_str_eq(cfg.github_api.value, "https://api.github.com");
    cr_assert_str_eq(cfg.label.value, "land");
    cr_assert_str_eq(cfg.db.value, "./landq.db");
    cr_assert_str_eq(cfg.status_context.value, "landq");
    cr_assert_null(cfg.port_file.value);
    /* No repository: invalid, and the message names the setting. */
    cr_assert_eq(lq_config_validate(&cfg, &err), LQ_EINVAL);
    cr_assert(strstr(err.msg, "repo"), "%s", err.msg);
}

Test(config, full_file)
{
    cr_assert_eq(parse("\xEF\xBB\xBF# landq\n"
                       "listen = 0.0.0.0:9000\r\n"
                       "  github_api=http://127.0.0.1:5000  \n"
                       "\n"
                       "repo = acme/mono\n"
                       "repo = acme/other.repo\n"
                       "label = \"ready to land\"\n"
                       "db = /var/lib/landq/landq.db\n"
                       "required_check = ci/build\n"
                       "required-check = ci/test\n"
                       "github_token_file = /run/secrets/token\n"
                       "webhook_secret_file = /run/secrets/hook\n"),
                 LQ_OK, "%s", err.msg);
    cr_assert_str_eq(cfg.listen.value, "0.0.0.0:9000");
    cr_assert_str_eq(cfg.listen.origin, "landq.conf:2");
    cr_assert_str_eq(cfg.github_api.value, "http://127.0.0.1:5000");
    cr_assert_eq(cfg.repos.count, 2);
    cr_assert_str_eq(cfg.repos.items[1].value, "acme/other.repo");
    cr_assert_str_eq(cfg.label.value, "ready to land");
    cr_assert_eq(cfg.required_checks.count, 2);
    cr_assert_str_eq(cfg.required_checks.items[1].value, "ci/test");
    cr_assert_str_eq(cfg.github_token_file.value, "/run/secrets/token");
    cr_assert_eq(lq_config_validate(&cfg, &err), LQ_OK, "%s", err.msg);
}

Test(config, unknown_key_has_file_line)
{
    cr_assert_eq(parse("repo = a/b\n\nlable = land\n"), LQ_EINVAL);
    cr_assert(strstr(err.msg, "landq.conf:3: unknown setting 'lable'"), "%s", err.msg);
}

Test(config, missing_equals)
{
    cr_assert_eq(parse("listen 127.0.0.1:1\n"), LQ_EINVAL);
    cr_assert(strstr(err.msg, "landq.conf:1: expected 'key = value'"), "%s", err.msg);
}

Test(config, duplicate_scalar_rejected)
{
    cr_assert_eq(parse("db = a\ndb = b\n"), LQ_EINVAL);
    cr_assert(strstr(err.msg, "landq.conf:2: db is set twice"), "%s", err.msg);
}

Test(config, secrets_not_inline)
{
    cr_assert_eq(parse("github_token = ghp_x\n"), LQ_EINVAL);
    cr_assert(strstr(err.msg, "github_token_file"), "%s", err.msg);
    cr_assert_null(strstr(err.msg, "ghp_x"), "secret echoed: %s", err.msg);
}

Test(config, unterminated_quote_and_bad_name)
{
    cr_assert_eq(parse("label = \"land\n"), LQ_EINVAL);
    cr_assert(strstr(err.msg, "unterminated"), "%s", err.msg);
    cr_assert_eq(parse("bad key = 1\n"), LQ_EINVAL);
    cr_assert(strstr(err.msg, "invalid setting name"), "%s", err.msg);
    cr_assert_eq(parse(" = 1\n"), LQ_EINVAL);
}

Test(config, nul_and_long_lines_rejected)
{
    const char text[] = "repo = a/b\nlabel = x\0y\n";
    cr_assert_eq(lq_config_parse(&cfg, text, sizeof text - 1, "f", &err), LQ_EINVAL);
    cr_assert(strstr(err.msg, "f:2:"), "%s", err.msg);
    static char big[6000];
    memset(big, 'a', sizeof big - 1);
    memcpy(big, "db = ", 5);
    cr_assert_eq(parse(big), LQ_EINVAL);
    cr_assert(strstr(err.msg, "longer than"), "%s", err.msg);
}

Test(config, validation_names_setting_and_origin)
{
    cr_assert_eq(parse("repo = acme/mono\nlisten = localhost\n"), LQ_OK);
    cr_assert_eq(lq_config_validate(&cfg, &err), LQ_EINVAL);
    cr_assert(strstr(err.msg, "landq.conf:2: listen:"), "%s", err.msg);

    cr_assert_eq(lq_config_set(&cfg, "listen", "127.0.0.1:99999", "--listen", &err), LQ_OK);
    cr_assert_eq(lq_config_validate(&cfg, &err), LQ_EINVAL);
    cr_assert(strstr(err.msg, "--listen: listen:"), "%s", err.msg);

    cr_assert_eq(lq_config_set(&cfg, "listen", "[::1]:0", "--listen", &err), LQ_OK);
    cr_assert_eq(lq_config_set(&cfg, "github_api", "ftp://x", "LANDQ_GITHUB_API", &err), LQ_OK);
    cr_assert_eq(lq_config_validate(&cfg, &err), LQ_EINVAL);
    cr_assert(strstr(err.msg, "LANDQ_GITHUB_API: github_api:"), "%s", err.msg);
}

Test(config, bad_repos)
{
    const char *bad[] = {"acme", "acme/", "/mono", "acme/mo no", "a/b/c", "acme/.."};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        lq_config_clear(&cfg, "repo");
        cr_assert_eq(lq_config_set(&cfg, "repo", bad[i], "--repo", &err), LQ_OK);
        cr_assert_eq(lq_config_validate(&cfg, &err), LQ_EINVAL, "accepted %s", bad[i]);
        cr_assert(strstr(err.msg, "--repo: repo:"), "%s", err.msg);
    }
    lq_config_clear(&cfg, "repo");
    lq_config_set(&cfg, "repo", "acme/mono", "--repo", &err);
    lq_config_set(&cfg, "repo", "ACME/mono", "--repo", &err);
    cr_assert_eq(lq_config_validate(&cfg, &err), LQ_EINVAL);
    cr_assert(strstr(err.msg, "listed twice"), "%s", err.msg);
}

Test(config, empty_label_rejected)
{
    lq_config_set(&cfg, "repo", "acme/mono", "--repo", &err);
    lq_config_set(&cfg, "label", "", "--label", &err);
    cr_assert_eq(lq_config_validate(&cfg, &err), LQ_EINVAL);
    cr_assert(strstr(err.msg, "--label: label:"), "%s", err.msg);
}

Test(config, listen_split)
{
    char host[64];
    int port = -1;
    cr_assert_eq(lq_config_listen_split("127.0.0.1:0", host, sizeof host, &port, &err), LQ_OK);
    cr_assert_str_eq(host, "127.0.0.1");
    cr_assert_eq(port, 0);
    cr_assert_eq(lq_config_listen_split("[::1]:8080", host, sizeof host, &port, &err), LQ_OK);
    cr_assert_str_eq(host, "::1");
    cr_assert_eq(port, 8080);
    cr_assert_eq(lq_config_listen_split("::1:80", host, sizeof host, &port, &err), LQ_EINVAL);
    cr_assert_eq(lq_config_listen_split(":80", host, sizeof host, &port, &err), LQ_EINVAL);
    cr_assert_eq(lq_config_listen_split("h:8x", host, sizeof host, &port, &err), LQ_EINVAL);
}

Test(config, clear_and_unknown_set)
{
    lq_config_set(&cfg, "repo", "a/b", "x", &err);
    lq_config_clear(&cfg, "repo");
    cr_assert_eq(cfg.repos.count, 0);
    cr_assert_eq(lq_config_set(&cfg, "nope", "1", "x", &err), LQ_EINVAL);
    cr_assert(strstr(err.msg, "known settings"), "%s", err.msg);
}

Test(config, webhook_allowlist_settings)
{
    cr_assert_str_eq(cfg.webhook_allowlist.value, "meta");
    cr_assert_str_eq(cfg.meta_refresh.value, "3600");
    cr_assert_eq(parse("repo = acme/mono\ntrusted_proxy = 10.0.0.0/8\ntrusted_proxy = ::1\n"
                       "meta_refresh = 60\nwebhook_allowlist = off\n"),
                 LQ_OK);
    cr_assert_eq(cfg.trusted_proxies.count, 2);
    cr_assert_eq(lq_config_validate(&cfg, &err), LQ_OK, "%s", err.msg);

    cr_assert_eq(lq_config_set(&cfg, "trusted_proxy", "10.0.0.0/33", "--trusted-proxy", &err), LQ_OK);
    cr_assert_eq(lq_config_validate(&cfg, &err), LQ_EINVAL);
    cr_assert(strstr(err.msg, "--trusted-proxy: trusted_proxy:"), "%s", err.msg);
    lq_config_clear(&cfg, "trusted_proxy");

    cr_assert_eq(lq_config_set(&cfg, "meta_refresh", "0", "LANDQ_META_REFRESH", &err), LQ_OK);
    cr_assert_eq(lq_config_validate(&cfg, &err), LQ_EINVAL);
    cr_assert(strstr(err.msg, "LANDQ_META_REFRESH: meta_refresh:"), "%s", err.msg);
    cr_assert_eq(lq_config_set(&cfg, "meta_refresh", "30", "x", &err), LQ_OK);

    cr_assert_eq(lq_config_set(&cfg, "webhook_allowlist", "github", "--webhook-allowlist", &err),
                 LQ_OK);
    cr_assert_eq(lq_config_validate(&cfg, &err), LQ_EINVAL);
    cr_assert(strstr(err.msg, "'meta' or 'off'"), "%s", err.msg);
}

Test(config, reconcile_interval)
{
    cr_assert_str_eq(cfg.reconcile_interval.value, "300");
    cr_assert_eq(parse("repo = acme/mono\nreconcile_interval = 0\n"), LQ_OK, "%s", err.msg);
    cr_assert_eq(lq_config_validate(&cfg, &err), LQ_OK, "%s", err.msg);
    const char *bad[] = {"-1", "x", "", "604801", "5s"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cr_assert_eq(lq_config_set(&cfg, "reconcile_interval", bad[i], "--reconcile-interval",
                                   &err), LQ_OK);
        cr_assert_eq(lq_config_validate(&cfg, &err), LQ_EINVAL, "%s", bad[i]);
        cr_assert(strstr(err.msg, "--reconcile-interval: reconcile_interval:"), "%s", err.msg);
    }
}

Test(config, app_settings_all_or_nothing)
{
    cr_assert_eq(parse("repo = acme/mono\napp_id = 77\n"), LQ_OK, "%s", err.msg);
    cr_assert_eq(lq_config_validate(&cfg, &err), LQ_EINVAL);
    cr_assert(strstr(err.msg, "app_private_key_file"), "%s", err.msg);
    cr_assert_eq(lq_config_set(&cfg, "app_private_key_file", "/etc/landq/app.pem",
                               "LANDQ_APP_PRIVATE_KEY_FILE", &err), LQ_OK);
    cr_assert_eq(lq_config_validate(&cfg, &err), LQ_EINVAL);
    cr_assert(strstr(err.msg, "app_installation_id"), "%s", err.msg);
    cr_assert_eq(lq_config_set(&cfg, "app_installation_id", "7001x", "--app-installation-id",
                               &err), LQ_OK);
    cr_assert_eq(lq_config_validate(&cfg, &err), LQ_EINVAL);
    cr_assert(strstr(err.msg, "--app-installation-id: app_installation_id: '7001x'"), "%s",
              err.msg);
    cr_assert_eq(lq_config_set(&cfg, "app_installation_id", "7001", "x", &err), LQ_OK);
    cr_assert_eq(lq_config_validate(&cfg, &err), LQ_OK, "%s", err.msg);
    cr_assert_eq(lq_config_set(&cfg, "app_id", "0", "--app-id", &err), LQ_OK);
    cr_assert_eq(lq_config_validate(&cfg, &err), LQ_EINVAL);
    cr_assert(strstr(err.msg, "--app-id: app_id: '0' is not a positive number"), "%s", err.msg);
}

Test(config, redeliver_hook_names_a_served_repository)
{
    cr_assert_eq(parse("repo = acme/mono\nredeliver_hook = acme/mono:1019\n"), LQ_OK, "%s",
                 err.msg);
    cr_assert_eq(lq_config_validate(&cfg, &err), LQ_OK, "%s", err.msg);
    const char *bad[] = {"acme/other:1", "acme/mono", "acme/mono:", "acme/mono:0", "acme/mono:x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        lq_config_clear(&cfg, "redeliver_hook");
        cr_assert_eq(lq_config_set(&cfg, "redeliver_hook", bad[i], "--redeliver-hook", &err),
                     LQ_OK);
        cr_assert_eq(lq_config_validate(&cfg, &err), LQ_EINVAL, "%s", bad[i]);
        cr_assert(strstr(err.msg, "--redeliver-hook: redeliver_hook:"), "%s", err.msg);
    }
}

Test(config, queue_page_priority_and_admin_settings)
{
    char web[128];
    cr_assert_str_eq(cfg.priority_min_permission.value, "maintain");
    cr_assert_null(cfg.priority_label.value);
    lq_config_web_url(&cfg, web, sizeof web);
    cr_assert_str_eq(web, "https://github.com");
    cr_assert_eq(parse("repo = acme/mono\ngithub_api = https://ghe.example.com/api/v3\n"
                       "priority_label = land:urgent\npriority_min_permission = admin\n"
                       "admin_token_file = /etc/landq/admin\n"), LQ_OK, "%s", err.msg);
    cr_assert_eq(lq_config_validate(&cfg, &err), LQ_OK, "%s", err.msg);
    lq_config_web_url(&cfg, web, sizeof web);
    cr_assert_str_eq(web, "https://ghe.example.com");
    cr_assert_str_eq(cfg.priority_label.value, "land:urgent");
    cr_assert_eq(lq_config_set(&cfg, "github_api", "http://127.0.0.1:8000", "--github-api", &err),
                 LQ_OK);
    lq_config_web_url(&cfg, web, sizeof web);
    cr_assert_str_eq(web, "https://github.com", "a mock's http address is not a web origin");
    cr_assert_eq(lq_config_set(&cfg, "github_web", "https://github.example", "--github-web",
                               &err), LQ_OK);
    lq_config_web_url(&cfg, web, sizeof web);
    cr_assert_str_eq(web, "https://github.example");
    cr_assert_eq(lq_config_validate(&cfg, &err), LQ_OK, "%s", err.msg);

    static const struct {
        const char *key, *value, *says;
    } bad[] = {
        {"github_web", "javascript:alert(1)", "github_web"},
        {"github_web", "http://github.com", "github_web"},
        {"github_web", "https://github.com/acme", "github_web"},
        {"priority_label", "land", "must differ"},
        {"priority_label", "LAND", "must differ"},
        {"priority_label", "", "1 to 50"},
        {"priority_min_permission", "owner", "not read, triage, write, maintain or admin"},
        {"admin_token_file", "", "empty path"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        lq_config c2;
        cr_assert_eq(lq_config_init(&c2, &err), LQ_OK);
        cr_assert_eq(lq_config_set(&c2, "repo", "acme/mono", "t", &err), LQ_OK);
        cr_assert_eq(lq_config_set(&c2, bad[i].key, bad[i].value, "landq.conf:7", &err), LQ_OK);
        cr_assert_eq(lq_config_validate(&c2, &err), LQ_EINVAL, "%s = %s", bad[i].key,
                     bad[i].value);
        cr_assert(strstr(err.msg, bad[i].says) && strstr(err.msg, "landq.conf:7"), "%s",
                  err.msg);
        lq_config_dispose(&c2);
    }
    cr_assert_eq(lq_config_permission_rank("read"), 0);
    cr_assert_eq(lq_config_permission_rank("maintain"), 3);
    cr_assert_eq(lq_config_permission_rank("admin"), 4);
    cr_assert_eq(lq_config_permission_rank("Admin"), -1);
    cr_assert_eq(lq_config_permission_rank(NULL), -1);
}

/* Issue 13: the ops listener and the slow-client limits. */
Test(config, ops_listener_and_slow_client_settings)
{
    cr_assert_str_eq(cfg.ops_listen.value, "127.0.0.1:9090");
    cr_assert_str_eq(cfg.header_timeout.value, "10");
    cr_assert_str_eq(cfg.per_source_connections.value, "64");
    cr_assert_null(cfg.ops_port_file.value);
    cr_assert_eq(parse("repo = acme/mono\nops_listen = [::1]:0\nops-port-file = /tmp/ops.port\n"
                       "header_timeout = 3\nper_source_connections = 8\n"),
                 LQ_OK, "%s", err.msg);
    cr_assert_eq(lq_config_validate(&cfg, &err), LQ_OK, "%s", err.msg);
    cr_assert_str_eq(cfg.ops_port_file.value, "/tmp/ops.port");
    static const struct {
        const char *key, *value, *want;
    } bad[] = {{"ops_listen", "localhost", "ops_listen"},
               {"header_timeout", "0", "header_timeout"},
               {"header_timeout", "301", "header_timeout"},
               {"per_source_connections", "0", "per_source_connections"},
               {"per_source_connections", "257", "per_source_connections"},
               {"per_source_connections", "12x", "per_source_connections"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cr_assert_eq(lq_config_set(&cfg, bad[i].key, bad[i].value, "--flag", &err), LQ_OK);
        cr_assert_eq(lq_config_validate(&cfg, &err), LQ_EINVAL, "accepted %s=%s", bad[i].key,
                     bad[i].value);
        cr_assert(strstr(err.msg, bad[i].want) && strstr(err.msg, "--flag"), "%s", err.msg);
        cr_assert_eq(lq_config_set(&cfg, bad[i].key,
                                   !strcmp(bad[i].key, "ops_listen") ? "127.0.0.1:0" : "5",
                                   "--flag", &err), LQ_OK);
    }
}

Test(config, retention_durations)
{
    cr_assert_str_eq(cfg.inbox_retention.value, "7d");
    cr_assert_str_eq(cfg.audit_retention.value, "400d");
    cr_assert_eq(parse("repo = acme/mono\ninbox_retention = 36h\naudit-retention = off\n"
                       "db = postgresql://landq@db1,db2/landq?target_session_attrs=read-write\n"),
                 LQ_OK, "%s", err.msg);
    cr_assert_eq(lq_config_validate(&cfg, &err), LQ_OK, "%s", err.msg);
    cr_assert_str_eq(cfg.inbox_retention.value, "36h");
    cr_assert_str_eq(cfg.audit_retention.value, "off");
    const char *bad[] = {"7", "0d", "7 days", "-1d", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cr_assert_eq(lq_config_set(&cfg, "inbox_retention", bad[i], "landq.conf:9", &err), LQ_OK);
        cr_assert_eq(lq_config_validate(&cfg, &err), LQ_EINVAL, "accepted '%s'", bad[i]);
        cr_assert(strstr(err.msg, "landq.conf:9: inbox_retention: "), "%s", err.msg);
    }
    cr_assert_eq(lq_config_set(&cfg, "inbox_retention", "7d", "x", &err), LQ_OK);
    cr_assert_eq(lq_config_set(&cfg, "audit_retention", "7", "--audit-retention", &err), LQ_OK);
    cr_assert_eq(lq_config_validate(&cfg, &err), LQ_EINVAL);
    cr_assert(strstr(err.msg, "--audit-retention: audit_retention: '7' has no unit"), "%s",
              err.msg);
}

/* Issue 15: branch lease TTL and renewal (durations; renewal at most half the TTL). */
Test(config, lease_settings)
{
    cr_assert_str_eq(cfg.lease_ttl.value, "30s");
    cr_assert_str_eq(cfg.lease_renew.value, "5s");
    cr_assert_eq(parse("repo = acme/mono\nlease_ttl = 4s\nlease-renew = 1s\n"), LQ_OK, "%s",
                 err.msg);
    cr_assert_eq(lq_config_validate(&cfg, &err), LQ_OK, "%s", err.msg);
    static const struct {
        const char *ttl, *renew, *want;
    } bad[] = {{"1s", "1s", "lease_ttl"}, {"2h", "5s", "lease_ttl"}, {"30", "5s", "lease_ttl"},
               {"4s", "3s", "lease_renew"}, {"30s", "off", "lease_renew"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cr_assert_eq(lq_config_set(&cfg, "lease_ttl", bad[i].ttl, "--flag", &err), LQ_OK);
        cr_assert_eq(lq_config_set(&cfg, "lease_renew", bad[i].renew, "--flag", &err), LQ_OK);
        cr_assert_eq(lq_config_validate(&cfg, &err), LQ_EINVAL, "accepted %s/%s", bad[i].ttl,
                     bad[i].renew);
        cr_assert(strstr(err.msg, bad[i].want), "%s", err.msg);
    }
}

/* Issue 14: lanes in predictive mode. `lanes = single | codeowners | paths`, the areas of paths
 * mode (`lane = NAME: PREFIX...`, repeatable), catch-all prefixes (`lane_catch_all`). */
Test(config, lanes_settings)
{
    cr_assert_str_eq(cfg.lanes.value, "single");
    cr_assert_eq(cfg.lane_areas.count, 0);
    cr_assert_eq(parse("repo = acme/mono\nrequired_check = ci/test\nmode = predictive\n"
                       "lanes = paths\nlane = web: web/ ui/\nlane = infra: infra/\n"
                       "lane_catch_all = api/\nlane_catch_all = BUILD\n"),
                 LQ_OK, "%s", err.msg);
    cr_assert_eq(lq_config_validate(&cfg, &err), LQ_OK, "%s", err.msg);
    cr_assert_str_eq(cfg.lanes.value, "paths");
    cr_assert_eq(cfg.lane_areas.count, 2);
    cr_assert_str_eq(cfg.lane_areas.items[1].value, "infra: infra/");
    cr_assert_eq(cfg.lane_catch_all.count, 2);
    cr_assert(strstr(lq_config_keys(), "lane_catch_all"));

    /* codeowners mode with catch-all prefixes, no areas */
    lq_config_clear(&cfg, "lane");
    cr_assert_eq(lq_config_set(&cfg, "lanes", "codeowners", "--lanes", &err), LQ_OK);
    cr_assert_eq(lq_config_validate(&cfg, &err), LQ_OK, "%s", err.msg);

    /* errors name the setting and its origin */
    cr_assert_eq(lq_config_set(&cfg, "lanes", "owners", "--lanes", &err), LQ_OK);
    cr_assert_eq(lq_config_validate(&cfg, &err), LQ_EINVAL);
    cr_assert(strstr(err.msg, "--lanes") && strstr(err.msg, "lanes"), "%s", err.msg);
    cr_assert_eq(lq_config_set(&cfg, "lanes", "paths", "--lanes", &err), LQ_OK);
    cr_assert_eq(lq_config_validate(&cfg, &err), LQ_EINVAL, "paths without areas accepted");
    cr_assert(strstr(err.msg, "lane"), "%s", err.msg);
    cr_assert_eq(lq_config_set(&cfg, "lane", "no colon here", "landq.conf:9", &err), LQ_OK);
    cr_assert_eq(lq_config_validate(&cfg, &err), LQ_EINVAL, "bad area accepted");
    cr_assert(strstr(err.msg, "landq.conf:9"), "%s", err.msg);
    /* areas only make sense in paths mode */
    lq_config_clear(&cfg, "lane");
    cr_assert_eq(lq_config_set(&cfg, "lane", "web: web/", "landq.conf:9", &err), LQ_OK);
    cr_assert_eq(lq_config_set(&cfg, "lanes", "codeowners", "--lanes", &err), LQ_OK);
    cr_assert_eq(lq_config_validate(&cfg, &err), LQ_EINVAL, "areas with codeowners accepted");
    cr_assert(strstr(err.msg, "landq.conf:9"), "%s", err.msg);
}
