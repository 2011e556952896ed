/* config.c -- landq serve settings: defaults, `key = value` file parsing, validation (pure). */
#include "config.h"

#include "cidr.h"
#include "html.h"
#include "duration.h"
#include "lanes.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define LINE_MAX_BYTES 4096

typedef enum { K_SCALAR, K_LIST } key_kind;

typedef struct key_def {
    const char *name;
    key_kind kind;
    size_t offset; /* of the lq_config_value / lq_config_list in lq_config */
} key_def;

static const key_def keys[] = {
    {"listen", K_SCALAR, offsetof(lq_config, listen)},
    {"github_api", K_SCALAR, offsetof(lq_config, github_api)},
    {"repo", K_LIST, offsetof(lq_config, repos)},
    {"label", K_SCALAR, offsetof(lq_config, label)},
    {"db", K_SCALAR, offsetof(lq_config, db)},
    {"required_check", K_LIST, offsetof(lq_config, required_checks)},
    {"status_context", K_SCALAR, offsetof(lq_config, status_context)},
    {"port_file", K_SCALAR, offsetof(lq_config, port_file)},
    {"github_token_file", K_SCALAR, offsetof(lq_config, github_token_file)},
    {"webhook_secret_file", K_SCALAR, offsetof(lq_config, webhook_secret_file)},
    {"mirror_dir", K_SCALAR, offsetof(lq_config, mirror_dir)},
    {"meta_refresh", K_SCALAR, offsetof(lq_config, meta_refresh)},
    {"webhook_allowlist", K_SCALAR, offsetof(lq_config, webhook_allowlist)},
    {"reconcile_interval", K_SCALAR, offsetof(lq_config, reconcile_interval)},
    {"inbox_retention", K_SCALAR, offsetof(lq_config, inbox_retention)},
    {"audit_retention", K_SCALAR, offsetof(lq_config, audit_retention)},
    {"app_id", K_SCALAR, offsetof(lq_config, app_id)},
    {"app_private_key_file", K_SCALAR, offsetof(lq_config, app_private_key_file)},
    {"app_installation_id", K_SCALAR, offsetof(lq_config, app_installation_id)},
    {"redeliver_hook", K_LIST, offsetof(lq_config, redeliver_hooks)},
    {"trusted_proxy", K_LIST, offsetof(lq_config, trusted_proxies)},
    {"ops_listen", K_SCALAR, offsetof(lq_config, ops_listen)},
    {"ops_port_file", K_SCALAR, offsetof(lq_config, ops_port_file)},
    {"header_timeout", K_SCALAR, offsetof(lq_config, header_timeout)},
    {"per_source_connections", K_SCALAR, offsetof(lq_config, per_source_connections)},
    {"github_web", K_SCALAR, offsetof(lq_config, github_web)},
    {"priority_label", K_SCALAR, offsetof(lq_config, priority_label)},
    {"priority_min_permission", K_SCALAR, offsetof(lq_config, priority_min_permission)},
    {"admin_token_file", K_SCALAR, offsetof(lq_config, admin_token_file)},
    {"lease_ttl", K_SCALAR, offsetof(lq_config, lease_ttl)},
    {"lease_renew", K_SCALAR, offsetof(lq_config, lease_renew)},
    {"mode", K_SCALAR, offsetof(lq_config, mode)},
    {"speculation", K_SCALAR, offsetof(lq_config, speculation)},
    {"batch", K_SCALAR, offsetof(lq_config, batch)},
    {"retry_failed", K_SCALAR, offsetof(lq_config, retry_failed)},
    {"optimistic", K_SCALAR, offsetof(lq_config, optimistic)},
    {"ci_timeout", K_SCALAR, offsetof(lq_config, ci_timeout)},
    {"lanes", K_SCALAR, offsetof(lq_config, lanes)},
    {"lane", K_LIST, offsetof(lq_config, lane_areas)},
    {"lane_catch_all", K_LIST, offsetof(lq_config, lane_catch_all)},
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

const char *lq_config_keys(void)
{
    return "listen, github_api, repo, label, db, inbox_retention, audit_retention, "
           "required_check, status_context, port_file, "
           "github_token_file, webhook_secret_file, mirror_dir, meta_refresh, webhook_allowlist, "
           "trusted_proxy, reconcile_interval, app_id, app_private_key_file, app_installation_id, "
           "redeliver_hook, ops_listen, ops_port_file, header_timeout, per_source_connections, "
           "github_web, priority_label, priority_min_permission, admin_token_file, lease_ttl, "
           "lease_renew, mode, speculation, batch, retry_failed, optimistic, ci_timeout, lanes, "
           "lane, lane_catch_all";
}

static char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}

static const key_def *find_key(const char *name)
{
    for (size_t i = 0; i < NKEYS; i++)
        if (!strcmp(keys[i].name, name))
            return &keys[i];
    return NULL;
}

static int value_set(lq_config_value *v, const char *value, const char *origin)
{
    char *nv = xstrdup(value), *no = xstrdup(origin ? origin : "?");
    if (!nv || !no) {
        free(nv);
        free(no);
        return LQ_ENOMEM;
    }
    free(v->value);
    free(v->origin);
    v->value = nv;
    v->origin = no;
    return LQ_OK;
}

static void value_dispose(lq_config_value *v)
{
    free(v->value);
    free(v->origin);
    v->value = v->origin = NULL;
}

static void list_dispose(lq_config_list *l)
{
    for (size_t i = 0; i < l->count; i++)
        value_dispose(&l->items[i]);
    free(l->items);
    l->items = NULL;
    l->count = 0;
}

int lq_config_init(lq_config *cfg, lq_error *err)
{
    memset(cfg, 0, sizeof(*cfg));
    if (value_set(&cfg->listen, "127.0.0.1:8080", "default") ||
        value_set(&cfg->github_api, "https://api.github.com", "default") ||
        value_set(&cfg->label, "land", "default") || value_set(&cfg->db, "./landq.db", "default") ||
        value_set(&cfg->status_context, "landq", "default") ||
        value_set(&cfg->inbox_retention, "7d", "default") ||
        value_set(&cfg->audit_retention, "400d", "default") ||
        value_set(&cfg->meta_refresh, "3600", "default") ||
        value_set(&cfg->webhook_allowlist, "meta", "default") ||
        value_set(&cfg->reconcile_interval, "300", "default") ||
        value_set(&cfg->ops_listen, "127.0.0.1:9090", "default") ||
        value_set(&cfg->header_timeout, "10", "default") ||
        value_set(&cfg->priority_min_permission, "maintain", "default") ||
        value_set(&cfg->per_source_connections, "64", "default") ||
        value_set(&cfg->lease_ttl, "30s", "default") ||
        value_set(&cfg->lease_renew, "5s", "default") ||
        value_set(&cfg->mode, "direct", "default") ||
        value_set(&cfg->speculation, "1", "default") ||
        value_set(&cfg->batch, "1", "default") ||
        value_set(&cfg->retry_failed, "0", "default") ||
        value_set(&cfg->optimistic, "false", "default") ||
        value_set(&cfg->ci_timeout, "60m", "default") ||
        value_set(&cfg->lanes, "single", "default")) {
        lq_config_dispose(cfg);
        return lq_error_set(err, LQ_ENOMEM, "out of memory");
    }
    return LQ_OK;
}

void lq_config_dispose(lq_config *cfg)
{
    if (!cfg)
        return;
    for (size_t i = 0; i < NKEYS; i++) {
        char *p = (char *)cfg + keys[i].offset;
        if (keys[i].kind == K_SCALAR)
            value_dispose((lq_config_value *)(void *)p);
        else
            list_dispose((lq_config_list *)(void *)p);
    }
}

int lq_config_set(lq_config *cfg, const char *key, const char *value, const char *origin,
                  lq_error *err)
{
    const key_def *k = find_key(key);
    if (!k) {
        if (!strcmp(key, "github_token") || !strcmp(key, "webhook_secret"))
            return lq_error_set(err, LQ_EINVAL, "%s: secrets are not read from the config file; "
                                "use %s_file = PATH or the environment variable LANDQ_%s",
                                key, key, !strcmp(key, "github_token") ? "GITHUB_TOKEN"
                                                                       : "WEBHOOK_SECRET");
        return lq_error_set(err, LQ_EINVAL, "unknown setting '%s' (known settings: %s)", key,
                            lq_config_keys());
    }
    char *p = (char *)cfg + k->offset;
    if (k->kind == K_SCALAR) {
        if (value_set((lq_config_value *)(void *)p, value, origin))
            return lq_error_set(err, LQ_ENOMEM, "out of memory");
        return LQ_OK;
    }
    lq_config_list *l = (lq_config_list *)(void *)p;
    lq_config_value *n = realloc(l->items, (l->count + 1) * sizeof(*n));
    if (!n)
        return lq_error_set(err, LQ_ENOMEM, "out of memory");
    l->items = n;
    memset(&n[l->count], 0, sizeof(n[0]));
    if (value_set(&n[l->count], value, origin))
        return lq_error_set(err, LQ_ENOMEM, "out of memory");
    l->count++;
    return LQ_OK;
}

void lq_config_clear(lq_config *cfg, const char *key)
{
    const key_def *k = find_key(key);
    if (k && k->kind == K_LIST)
        list_dispose((lq_config_list *)(void *)((char *)cfg + k->offset));
}

static int is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

int lq_config_parse(lq_config *cfg, const char *text, size_t len, const char *filename,
                    lq_error *err)
{
    const char *fname = filename ? filename : "config";
    unsigned char seen[NKEYS] = {0};
    size_t pos = 0;
    unsigned lineno = 0;
    char line[LINE_MAX_BYTES + 1];
    char origin[512];
    while (pos < len) {
        lineno++;
        size_t start = pos;
        while (pos < len && text[pos] != '\n')
            pos++;
        size_t n = pos - start;
        if (pos < len)
            pos++; /* skip '\n' */
        if (n > LINE_MAX_BYTES)
            return lq_error_set(err, LQ_EINVAL, "%s:%u: line is longer than %d bytes", fname,
                                lineno, LINE_MAX_BYTES);
        if (memchr(text + start, '\0', n))
            return lq_error_set(err, LQ_EINVAL, "%s:%u: line contains a NUL byte", fname, lineno);
        memcpy(line, text + start, n);
        line[n] = '\0';
        /* UTF-8 byte order mark on the first line. */
        char *s = line;
        if (lineno == 1 && !strncmp(s, "\xEF\xBB\xBF", 3))
            s += 3;
        while (is_blank(*s))
            s++;
        char *end = s + strlen(s);
        while (end > s && is_blank(end[-1]))
            *--end = '\0';
        if (!*s || *s == '#' || *s == ';')
            continue;
        char *eq = strchr(s, '=');
        if (!eq)
            return lq_error_set(err, LQ_EINVAL, "%s:%u: expected 'key = value', got '%.80s'",
                                fname, lineno, s);
        char *kend = eq;
        while (kend > s && is_blank(kend[-1]))
            kend--;
        *kend = '\0';
        if (!*s)
            return lq_error_set(err, LQ_EINVAL, "%s:%u: missing setting name before '='", fname,
                                lineno);
        for (char *c = s; *c; c++)
            if (!(isalnum((unsigned char)*c) || *c == '_' || *c == '-'))
                return lq_error_set(err, LQ_EINVAL, "%s:%u: invalid setting name '%.80s'", fname,
                                    lineno, s);
        for (char *c = s; *c; c++)
            if (*c == '-')
                *c = '_'; /* accept github-api as well as github_api */
        char *v = eq + 1;
        while (is_blank(*v))
            v++;
        size_t vl = strlen(v);
        if (vl >= 2 && v[0] == '"' && v[vl - 1] == '"') {
            v[vl - 1] = '\0';
            v++;
        } else if (vl >= 1 && v[0] == '"') {
            return lq_error_set(err, LQ_EINVAL, "%s:%u: %s: unterminated quoted value", fname,
                                lineno, s);
        }
        snprintf(origin, sizeof origin, "%s:%u", fname, lineno);
        const key_def *k = find_key(s);
        if (k && k->kind == K_SCALAR) {
            size_t idx = (size_t)(k - keys);
            if (seen[idx])
                return lq_error_set(err, LQ_EINVAL, "%s:%u: %s is set twice (only '%s' may "
                                    "repeat)", fname, lineno, s,
                                    "repo' and 'required_check");
            seen[idx] = 1;
        }
        lq_error e2 = {0};
        int rc = lq_config_set(cfg, s, v, origin, &e2);
        if (rc)
            return lq_error_set(err, rc, "%s:%u: %s", fname, lineno, e2.msg);
    }
    return LQ_OK;
}

int lq_config_listen_split(const char *listen, char *host, size_t hostlen, int *port,
                           lq_error *err)
{
    if (!listen || !*listen)
        return lq_error_set(err, LQ_EINVAL, "empty address");
    const char *colon;
    const char *h = listen;
    size_t hl;
    if (listen[0] == '[') {
        const char *rb = strchr(listen, ']');
        if (!rb || rb[1] != ':')
            return lq_error_set(err, LQ_EINVAL, "'%s' is not [IPV6]:PORT", listen);
        h = listen + 1;
        hl = (size_t)(rb - h);
        colon = rb + 1;
    } else {
        colon = strrchr(listen, ':');
        if (!colon)
            return lq_error_set(err, LQ_EINVAL, "'%s' is not ADDR:PORT (e.g. 127.0.0.1:8080)",
                                listen);
        hl = (size_t)(colon - listen);
        if (memchr(listen, ':', hl))
            return lq_error_set(err, LQ_EINVAL, "'%s': write IPv6 addresses as [ADDR]:PORT",
                                listen);
    }
    if (hl == 0 || hl >= hostlen)
        return lq_error_set(err, LQ_EINVAL, "'%s' has no usable address before the port", listen);
    const char *p = colon + 1;
    if (!*p || strlen(p) > 5)
        return lq_error_set(err, LQ_EINVAL, "'%s' has no valid port (0-65535)", listen);
    long v = 0;
    for (const char *c = p; *c; c++) {
        if (!isdigit((unsigned char)*c))
            return lq_error_set(err, LQ_EINVAL, "'%s' has no valid port (0-65535)", listen);
        v = v * 10 + (*c - '0');
    }
    if (v > 65535)
        return lq_error_set(err, LQ_EINVAL, "'%s': port %ld is out of range (0-65535)", listen, v);
    memcpy(host, h, hl);
    host[hl] = '\0';
    if (port)
        *port = (int)v;
    return LQ_OK;
}

static int valid_repo_part(const char *s, size_t n)
{
    if (n == 0 || n > 100)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!(isalnum((unsigned char)s[i]) || s[i] == '-' || s[i] == '_' || s[i] == '.'))
            return 0;
    return !(n == 1 && s[0] == '.') && !(n == 2 && s[0] == '.' && s[1] == '.');
}

static int validate_predictive(const lq_config *cfg, lq_error *err);

int lq_config_validate(const lq_config *cfg, lq_error *err)
{
    char host[256];
    lq_error e2 = {0};
    if (lq_config_listen_split(cfg->listen.value, host, sizeof host, NULL, &e2))
        return lq_error_set(err, LQ_EINVAL, "%s: listen: %s", cfg->listen.origin, e2.msg);
    const char *api = cfg->github_api.value;
    if (!api || (strncmp(api, "http://", 7) && strncmp(api, "https://", 8)) ||
        strlen(api) < 9 || strchr(api, ' '))
        return lq_error_set(err, LQ_EINVAL, "%s: github_api: '%s' is not an http:// or "
                            "https:// URL", cfg->github_api.origin, api ? api : "");
    if (cfg->repos.count == 0)
        return lq_error_set(err, LQ_EINVAL, "repo: no repository configured; give at least one "
                            "with --repo OWNER/NAME or 'repo = OWNER/NAME' in the config file");
    for (size_t i = 0; i < cfg->repos.count; i++) {
        const lq_config_value *r = &cfg->repos.items[i];
        const char *slash = strchr(r->value, '/');
        if (!slash || !valid_repo_part(r->value, (size_t)(slash - r->value)) ||
            !valid_repo_part(slash + 1, strlen(slash + 1)))
            return lq_error_set(err, LQ_EINVAL, "%s: repo: '%s' is not OWNER/NAME (letters, "
                                "digits, '-', '_', '.')", r->origin, r->value);
        for (size_t k = 0; k < i; k++)
            if (!strcasecmp(cfg->repos.items[k].value, r->value))
                return lq_error_set(err, LQ_EINVAL, "%s: repo: '%s' is listed twice", r->origin,
                                    r->value);
    }
    const char *label = cfg->label.value;
    if (!label || !*label || strlen(label) > 50)
        return lq_error_set(err, LQ_EINVAL, "%s: label: must be 1 to 50 characters",
                            cfg->label.origin);
    if (!cfg->db.value || !*cfg->db.value)
        return lq_error_set(err, LQ_EINVAL, "%s: db: empty path", cfg->db.origin);
    int64_t ms;
    if (lq_duration_parse(cfg->inbox_retention.value, &ms, &e2))
        return lq_error_set(err, LQ_EINVAL, "%s: inbox_retention: %s",
                            cfg->inbox_retention.origin, e2.msg);
    if (lq_duration_parse(cfg->audit_retention.value, &ms, &e2))
        return lq_error_set(err, LQ_EINVAL, "%s: audit_retention: %s",
                            cfg->audit_retention.origin, e2.msg);
    const char *ctx = cfg->status_context.value;
    if (!ctx || !*ctx || strlen(ctx) > 100)
        return lq_error_set(err, LQ_EINVAL, "%s: status_context: must be 1 to 100 characters",
                            cfg->status_context.origin);
    for (size_t i = 0; i < cfg->required_checks.count; i++)
        if (!cfg->required_checks.items[i].value[0])
            return lq_error_set(err, LQ_EINVAL, "%s: required_check: empty name",
                                cfg->required_checks.items[i].origin);
    if (cfg->port_file.value && !cfg->port_file.value[0])
        return lq_error_set(err, LQ_EINVAL, "%s: port_file: empty path", cfg->port_file.origin);
    const char *mr = cfg->meta_refresh.value;
    char *end = NULL;
    long secs = mr ? strtol(mr, &end, 10) : 0;
    if (!mr || !*mr || *end || secs < 1 || secs > 604800)
        return lq_error_set(err, LQ_EINVAL, "%s: meta_refresh: '%s' is not a number of seconds "
                            "from 1 to 604800", cfg->meta_refresh.origin, mr ? mr : "");
    const char *ri = cfg->reconcile_interval.value;
    long ris = ri ? strtol(ri, &end, 10) : -1;
    if (!ri || !*ri || *end || ris < 0 || ris > 604800)
        return lq_error_set(err, LQ_EINVAL, "%s: reconcile_interval: '%s' is not a number of "
                            "seconds from 0 (off) to 604800", cfg->reconcile_interval.origin,
                            ri ? ri : "");
    const lq_config_value *app[] = {&cfg->app_id, &cfg->app_private_key_file,
                                    &cfg->app_installation_id};
    static const char *const app_keys[] = {"app_id", "app_private_key_file",
                                           "app_installation_id"};
    int app_set = 0;
    for (size_t i = 0; i < 3; i++)
        app_set += app[i]->value != NULL;
    for (size_t i = 0; app_set && i < 3; i++) {
        const char *v = app[i]->value;
        if (!v)
            return lq_error_set(err, LQ_EINVAL, "%s is set but %s is not: GitHub App "
                                "authentication needs app_id, app_private_key_file and "
                                "app_installation_id", app_set == 1 ? "one App setting" :
                                "some App settings", app_keys[i]);
        if (!*v)
            return lq_error_set(err, LQ_EINVAL, "%s: %s: empty", app[i]->origin, app_keys[i]);
        if (i != 1) {
            long long id = strtoll(v, &end, 10);
            if (*end || id <= 0)
                return lq_error_set(err, LQ_EINVAL, "%s: %s: '%s' is not a positive number",
                                    app[i]->origin, app_keys[i], v);
        }
    }
    for (size_t i = 0; i < cfg->redeliver_hooks.count; i++) {
        const lq_config_value *v = &cfg->redeliver_hooks.items[i];
        const char *colon = strrchr(v->value, ':');
        long long id = colon ? strtoll(colon + 1, &end, 10) : 0;
        int served = 0;
        for (size_t k = 0; colon && k < cfg->repos.count; k++)
            served |= strlen(cfg->repos.items[k].value) == (size_t)(colon - v->value) &&
                      !strncasecmp(cfg->repos.items[k].value, v->value,
                                   (size_t)(colon - v->value));
        if (!colon || !colon[1] || *end || id <= 0 || !served)
            return lq_error_set(err, LQ_EINVAL, "%s: redeliver_hook: '%s' is not "
                                "OWNER/NAME:HOOK_ID of a served repository", v->origin, v->value);
    }
    const char *wa = cfg->webhook_allowlist.value;
    if (!wa || (strcmp(wa, "meta") && strcmp(wa, "off")))
        return lq_error_set(err, LQ_EINVAL, "%s: webhook_allowlist: '%s' is not 'meta' or 'off'",
                            cfg->webhook_allowlist.origin, wa ? wa : "");
    if (lq_config_listen_split(cfg->ops_listen.value, host, sizeof host, NULL, &e2))
        return lq_error_set(err, LQ_EINVAL, "%s: ops_listen: %s", cfg->ops_listen.origin,
                            e2.msg);
    if (cfg->ops_port_file.value && !cfg->ops_port_file.value[0])
        return lq_error_set(err, LQ_EINVAL, "%s: ops_port_file: empty path",
                            cfg->ops_port_file.origin);
    const char *ht = cfg->header_timeout.value;
    long hts = ht ? strtol(ht, &end, 10) : -1;
    if (!ht || !*ht || *end || hts < 1 || hts > 300)
        return lq_error_set(err, LQ_EINVAL, "%s: header_timeout: '%s' is not a number of "
                            "seconds from 1 to 300", cfg->header_timeout.origin, ht ? ht : "");
    const char *ps = cfg->per_source_connections.value;
    long psn = ps ? strtol(ps, &end, 10) : -1;
    if (!ps || !*ps || *end || psn < 1 || psn > 256)
        return lq_error_set(err, LQ_EINVAL, "%s: per_source_connections: '%s' is not a number "
                            "from 1 to 256", cfg->per_source_connections.origin, ps ? ps : "");
    for (size_t i = 0; i < cfg->trusted_proxies.count; i++) {
        lq_cidr c;
        const lq_config_value *v = &cfg->trusted_proxies.items[i];
        if (lq_cidr_parse(&c, v->value, strlen(v->value), &e2))
            return lq_error_set(err, LQ_EINVAL, "%s: trusted_proxy: %s", v->origin, e2.msg);
    }
    if (cfg->github_web.value && !lq_html_origin_ok(cfg->github_web.value))
        return lq_error_set(err, LQ_EINVAL, "%s: github_web: '%s' is not https://HOST (the "
                            "GitHub web address the queue page links to)",
                            cfg->github_web.origin, cfg->github_web.value);
    const char *pl = cfg->priority_label.value;
    if (pl && (!*pl || strlen(pl) > 50))
        return lq_error_set(err, LQ_EINVAL, "%s: priority_label: must be 1 to 50 characters",
                            cfg->priority_label.origin);
    if (pl && label && !strcasecmp(pl, label))
        return lq_error_set(err, LQ_EINVAL, "%s: priority_label: must differ from the landing "
                            "label '%s'", cfg->priority_label.origin, label);
    const char *pm = cfg->priority_min_permission.value;
    if (lq_config_permission_rank(pm) < 0)
        return lq_error_set(err, LQ_EINVAL, "%s: priority_min_permission: '%s' is not read, "
                            "triage, write, maintain or admin",
                            cfg->priority_min_permission.origin, pm ? pm : "");
    if (cfg->admin_token_file.value && !cfg->admin_token_file.value[0])
        return lq_error_set(err, LQ_EINVAL, "%s: admin_token_file: empty path",
                            cfg->admin_token_file.origin);
    /* branch leases: the holder renews at least twice per TTL, so one lost renewal is not a
     * failover */
    int64_t ttl = 0, renew = 0;
    if (lq_duration_parse(cfg->lease_ttl.value, &ttl, &e2) || ttl < 2000 || ttl > 3600000)
        return lq_error_set(err, LQ_EINVAL, "%s: lease_ttl: '%s' is not a duration from 2s to "
                            "1h", cfg->lease_ttl.origin, cfg->lease_ttl.value);
    if (lq_duration_parse(cfg->lease_renew.value, &renew, &e2) || renew < 1000 ||
        renew * 2 > ttl)
        return lq_error_set(err, LQ_EINVAL, "%s: lease_renew: '%s' is not a duration from 1s to "
                            "half of lease_ttl (%s)", cfg->lease_renew.origin,
                            cfg->lease_renew.value, cfg->lease_ttl.value);
    return validate_predictive(cfg, err);
}

static int number_in(const lq_config_value *v, long lo, long hi, long *out)
{
    char *end = NULL;
    long n = v->value && *v->value ? strtol(v->value, &end, 10) : lo - 1;
    if (end && *end)
        return 0;
    *out = n;
    return n >= lo && n <= hi;
}

/* lanes, lane and lane_catch_all (core/lanes.h): each part alone first, so that the message
 * names the line it comes from, then together. */
static int validate_lanes(const lq_config *cfg, lq_error *err)
{
    const char *mode = cfg->lanes.value ? cfg->lanes.value : "";
    lq_lanes *l = NULL;
    lq_error e2 = {0};
    if (strcmp(mode, "single") && strcmp(mode, "codeowners") && strcmp(mode, "paths"))
        return lq_error_set(err, LQ_EINVAL, "%s: lanes: '%s' is not 'single', 'codeowners' or "
                            "'paths'", cfg->lanes.origin, mode);
    if (strcmp(mode, "paths") && cfg->lane_areas.count)
        return lq_error_set(err, LQ_EINVAL, "%s: lane: areas are only used with lanes = paths "
                            "(lanes is '%s')", cfg->lane_areas.items[0].origin, mode);
    for (size_t i = 0; i < cfg->lane_areas.count; i++) {
        const char *a = cfg->lane_areas.items[i].value;
        if (lq_lanes_new(&l, "paths", &a, 1, NULL, 0, &e2))
            return lq_error_set(err, e2.code, "%s: %s", cfg->lane_areas.items[i].origin, e2.msg);
        lq_lanes_free(l);
    }
    for (size_t i = 0; i < cfg->lane_catch_all.count; i++) {
        const char *c = cfg->lane_catch_all.items[i].value;
        if (lq_lanes_new(&l, "single", NULL, 0, &c, 1, &e2))
            return lq_error_set(err, e2.code, "%s: %s", cfg->lane_catch_all.items[i].origin,
                                e2.msg);
        lq_lanes_free(l);
    }
    const char **areas = calloc(cfg->lane_areas.count + 1, sizeof *areas);
    const char **catch_all = calloc(cfg->lane_catch_all.count + 1, sizeof *catch_all);
    int rc = !areas || !catch_all ? lq_error_set(err, LQ_ENOMEM, "out of memory") : LQ_OK;
    for (size_t i = 0; !rc && i < cfg->lane_areas.count; i++)
        areas[i] = cfg->lane_areas.items[i].value;
    for (size_t i = 0; !rc && i < cfg->lane_catch_all.count; i++)
        catch_all[i] = cfg->lane_catch_all.items[i].value;
    if (!rc && lq_lanes_new(&l, mode, areas, cfg->lane_areas.count, catch_all,
                            cfg->lane_catch_all.count, &e2))
        rc = lq_error_set(err, e2.code, "%s: %s", cfg->lanes.origin, e2.msg);
    else if (!rc)
        lq_lanes_free(l);
    free(areas);
    free(catch_all);
    return rc;
}

/* mode and the predictive train's settings (docs/predictive.md). */
static int validate_predictive(const lq_config *cfg, lq_error *err)
{
    const char *mode = cfg->mode.value ? cfg->mode.value : "";
    if (strcmp(mode, "direct") && strcmp(mode, "predictive"))
        return lq_error_set(err, LQ_EINVAL, "%s: mode: '%s' is not 'direct' or 'predictive'",
                            cfg->mode.origin, mode);
    long n = 0;
    if (!number_in(&cfg->speculation, 1, 32, &n))
        return lq_error_set(err, LQ_EINVAL, "%s: speculation: '%s' is not a number from 1 to 32",
                            cfg->speculation.origin, cfg->speculation.value);
    if (!number_in(&cfg->batch, 1, 32, &n))
        return lq_error_set(err, LQ_EINVAL, "%s: batch: '%s' is not a number from 1 to 32",
                            cfg->batch.origin, cfg->batch.value);
    if (!number_in(&cfg->retry_failed, 0, 5, &n))
        return lq_error_set(err, LQ_EINVAL, "%s: retry_failed: '%s' is not a number from 0 to 5",
                            cfg->retry_failed.origin, cfg->retry_failed.value);
    if (lq_config_bool(cfg->optimistic.value) < 0)
        return lq_error_set(err, LQ_EINVAL, "%s: optimistic: '%s' is not true or false",
                            cfg->optimistic.origin, cfg->optimistic.value);
    int64_t to = 0;
    lq_error e2 = {0};
    if (lq_duration_parse(cfg->ci_timeout.value, &to, &e2) || to < 1000 || to > 86400000)
        return lq_error_set(err, LQ_EINVAL, "%s: ci_timeout: '%s' is not a duration from 1s to "
                            "24h", cfg->ci_timeout.origin, cfg->ci_timeout.value);
    /* the candidate passes when the required checks pass on it: landq must know which */
    if (!strcmp(mode, "predictive") && !cfg->required_checks.count)
        return lq_error_set(err, LQ_EINVAL, "%s: mode: predictive needs at least one "
                            "required_check (the checks that must pass on the candidate)",
                            cfg->mode.origin);
    return validate_lanes(cfg, err);
}

int lq_config_bool(const char *v)
{
    if (v && (!strcmp(v, "true") || !strcmp(v, "yes") || !strcmp(v, "on") || !strcmp(v, "1")))
        return 1;
    if (v && (!strcmp(v, "false") || !strcmp(v, "no") || !strcmp(v, "off") || !strcmp(v, "0")))
        return 0;
    return -1;
}

int lq_config_permission_rank(const char *p)
{
    static const char *const levels[] = {"read", "triage", "write", "maintain", "admin"};
    for (int i = 0; p && i < 5; i++)
        if (!strcmp(p, levels[i]))
            return i;
    return -1;
}

void lq_config_web_url(const lq_config *cfg, char *out, size_t cap)
{
    const char *api = cfg->github_api.value ? cfg->github_api.value : "";
    if (cfg->github_web.value) {
        snprintf(out, cap, "%s", cfg->github_web.value);
    } else if (!strncmp(api, "https://api.", 12)) {
        snprintf(out, cap, "https://%.*s", (int)strcspn(api + 12, "/"), api + 12);
    } else if (!strncmp(api, "https://", 8) && strstr(api + 8, "/api/v3")) {
        snprintf(out, cap, "https://%.*s", (int)strcspn(api + 8, "/"), api + 8);
    } else {
        snprintf(out, cap, "https://github.com");
    }
    if (!lq_html_origin_ok(out))
        snprintf(out, cap, "https://github.com");
}
