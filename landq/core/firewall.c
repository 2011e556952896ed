#include "firewall.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int lq_firewall_format_parse(lq_fw_format *out, const char *name, lq_error *err)
{
    if (!strcmp(name, "nftables"))
        *out = LQ_FW_NFTABLES;
    else if (!strcmp(name, "gcloud"))
        *out = LQ_FW_GCLOUD;
    else if (!strcmp(name, "terraform"))
        *out = LQ_FW_TERRAFORM;
    else
        return lq_error_set(err, LQ_EINVAL,
                            "unknown firewall format '%s' (use nftables, gcloud or terraform)",
                            name);
    return LQ_OK;
}

/* A growable string; on allocation failure it stays failed and render reports LQ_ENOMEM. */
typedef struct {
    char *s;
    size_t len, cap;
    int failed;
} sbuf;

static void LQ_PRINTF(2, 3) sb_printf(sbuf *b, const char *fmt, ...)
{
    if (b->failed)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? b->cap - b->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->failed = 1;
            return;
        }
        if (b->s && b->len + (size_t)n < b->cap) {
            b->len += (size_t)n;
            return;
        }
        size_t nc = b->cap ? b->cap * 2 : 4096;
        while (nc < b->len + (size_t)n + 1)
            nc *= 2;
        char *ns = realloc(b->s, nc);
        if (!ns) {
            b->failed = 1;
            return;
        }
        b->s = ns;
        b->cap = nc;
    }
}

static size_t count_family(const lq_cidr_list *l, int v4)
{
    size_t n = 0;
    for (size_t i = 0; l && i < l->n; i++)
        n += l->v[i].v4 == v4;
    return n;
}

static void nft_set(sbuf *b, const char *name, const lq_cidr_list *l, int v4)
{
    sb_printf(b, "    set %s_%s {\n        type %s\n        flags interval\n", name,
              v4 ? "v4" : "v6", v4 ? "ipv4_addr" : "ipv6_addr");
    if (count_family(l, v4)) {
        sb_printf(b, "        elements = {");
        size_t k = 0;
        for (size_t i = 0; i < l->n; i++) {
            if (l->v[i].v4 != v4)
                continue;
            char buf[64];
            lq_cidr_format(&l->v[i], buf, sizeof(buf));
            sb_printf(b, "%s\n            %s", k++ ? "," : "", buf);
        }
        sb_printf(b, "\n        }\n");
    }
    sb_printf(b, "    }\n");
}

/* App Engine firewall rules (gcloud commands or Terraform resources) for one range. */
static void gcp_rule(sbuf *b, lq_fw_format fmt, const char *name, size_t priority,
                     const char *range, const char *why)
{
    if (fmt == LQ_FW_GCLOUD)
        sb_printf(b,
                  "gcloud app firewall-rules create %zu --action=ALLOW --source-range='%s' "
                  "--description='%s'\n",
                  priority, range, why);
    else
        sb_printf(b,
                  "\n"
                  "resource \"google_app_engine_firewall_rule\" \"%s\" {\n"
                  "  project      = var.project\n"
                  "  priority     = %zu\n"
                  "  action       = \"ALLOW\"\n"
                  "  source_range = \"%s\"\n"
                  "  description  = \"%s\"\n"
                  "}\n",
                  name, priority, range, why);
}

#define PRIO_LOOPBACK 100 /* App Engine: lower numbers are evaluated first */
#define PRIO_ALLOW 200
#define PRIO_HOOKS 1000

int lq_firewall_render(char **out, lq_fw_format fmt, const lq_cidr_list *hooks, unsigned port,
                       const char *source, const lq_fw_extra *extra, lq_error *err)
{
    *out = NULL;
    if (!hooks->n)
        return lq_error_set(err, LQ_EINVAL, "no webhook source ranges: refusing to render rules "
                                            "that would block GitHub too");
    const lq_cidr_list *allow = extra && extra->allow && extra->allow->n ? extra->allow : NULL;
    unsigned ops_port = extra ? extra->ops_port : 0;
    if (allow && allow->n > PRIO_HOOKS - PRIO_ALLOW)
        return lq_error_set(err, LQ_EINVAL, "too many --allow ranges (at most %d)",
                            PRIO_HOOKS - PRIO_ALLOW);
    sbuf b = {NULL, 0, 0, 0};
    char buf[64], name[64];
    switch (fmt) {
    case LQ_FW_NFTABLES:
        sb_printf(&b,
                  "#!/usr/sbin/nft -f\n"
                  "# landq: admit only GitHub's webhook source ranges to port %u, plus loopback"
                  "%s.\n"
                  "# Source: %s (\"hooks\"). Regenerate with 'landq firewall' when GitHub's list "
                  "changes.\n"
                  "table inet landq\n"
                  "delete table inet landq\n"
                  "table inet landq {\n",
                  port, allow ? " and the --allow ranges" : "", source);
        nft_set(&b, "github_hooks", hooks, 1);
        nft_set(&b, "github_hooks", hooks, 0);
        if (allow) {
            nft_set(&b, "operator_allow", allow, 1);
            nft_set(&b, "operator_allow", allow, 0);
        }
        sb_printf(&b,
                  "    chain input {\n"
                  "        type filter hook input priority filter; policy accept;\n"
                  "        iif \"lo\" accept comment \"loopback: a proxy or health check on this "
                  "host\"\n");
        if (allow)
            sb_printf(&b,
                      "        tcp dport %u ip saddr @operator_allow_v4 accept comment \"--allow\"\n"
                      "        tcp dport %u ip6 saddr @operator_allow_v6 accept comment "
                      "\"--allow\"\n",
                      port, port);
        sb_printf(&b,
                  "        tcp dport %u ip saddr @github_hooks_v4 accept\n"
                  "        tcp dport %u ip6 saddr @github_hooks_v6 accept\n"
                  "        tcp dport %u counter drop comment \"not a GitHub webhook source\"\n",
                  port, port, port);
        if (ops_port && ops_port != port) {
            if (allow)
                sb_printf(&b,
                          "        tcp dport %u ip saddr @operator_allow_v4 accept comment "
                          "\"ops listener: --allow\"\n"
                          "        tcp dport %u ip6 saddr @operator_allow_v6 accept comment "
                          "\"ops listener: --allow\"\n",
                          ops_port, ops_port);
            sb_printf(&b,
                      "        tcp dport %u counter drop comment \"landq's ops listener: "
                      "loopback and --allow only\"\n",
                      ops_port);
        }
        sb_printf(&b, "    }\n"
                      "}\n");
        break;
    case LQ_FW_GCLOUD:
    case LQ_FW_TERRAFORM:
        if (fmt == LQ_FW_GCLOUD)
            sb_printf(&b,
                      "#!/bin/sh\n"
                      "# landq: App Engine firewall admitting only GitHub's webhook source "
                      "ranges, loopback%s.\n"
                      "# Source: %s (\"hooks\"). Review, then run; needs 'gcloud config set "
                      "project'.\n"
                      "set -e\n",
                      allow ? " and the --allow ranges" : "", source);
        else
            sb_printf(&b,
                      "# landq: App Engine firewall admitting only GitHub's webhook source "
                      "ranges, loopback%s.\n"
                      "# Source: %s (\"hooks\"). Generated by 'landq firewall --format "
                      "terraform'.\n"
                      "\n"
                      "variable \"project\" {\n"
                      "  type        = string\n"
                      "  description = \"Google Cloud project that hosts the landq App Engine "
                      "app\"\n"
                      "}\n",
                      allow ? " and the --allow ranges" : "", source);
        gcp_rule(&b, fmt, "loopback_v4", PRIO_LOOPBACK, "127.0.0.0/8", "loopback (landq)");
        gcp_rule(&b, fmt, "loopback_v6", PRIO_LOOPBACK + 1, "::1/128", "loopback (landq)");
        for (size_t i = 0; allow && i < allow->n; i++) {
            lq_cidr_format(&allow->v[i], buf, sizeof(buf));
            snprintf(name, sizeof name, "operator_allow_%zu", i);
            gcp_rule(&b, fmt, name, PRIO_ALLOW + i, buf,
                     "operator: proxy, health checks, monitoring (landq --allow)");
        }
        for (size_t i = 0; i < hooks->n; i++) {
            lq_cidr_format(&hooks->v[i], buf, sizeof(buf));
            snprintf(name, sizeof name, "github_hooks_%zu", i);
            gcp_rule(&b, fmt, name, PRIO_HOOKS + i, buf, "GitHub webhooks (landq)");
        }
        if (fmt == LQ_FW_GCLOUD)
            sb_printf(&b, "# Default deny: everything else.\n"
                          "gcloud app firewall-rules update default --action=DENY\n");
        else
            sb_printf(&b, "\n"
                          "resource \"google_app_engine_firewall_rule\" \"default_deny\" {\n"
                          "  project      = var.project\n"
                          "  priority     = 2147483646\n"
                          "  action       = \"DENY\"\n"
                          "  source_range = \"*\"\n"
                          "  description  = \"Everything else (landq)\"\n"
                          "}\n");
        break;
    }
    if (b.failed) {
        free(b.s);
        return lq_error_set(err, LQ_ENOMEM, "out of memory");
    }
    *out = b.s;
    return LQ_OK;
}
