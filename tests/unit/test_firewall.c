/* landq firewall: rendering of GitHub's webhook ranges as nftables / gcloud / terraform rules. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "firewall.h"

static lq_cidr_list hooks(void)
{
    const char *meta = "{\"hooks\": [\"192.30.252.0/22\", \"140.82.112.0/20\", \"2a0a:a440::/29\"]}";
    lq_cidr_list l;
    lq_error err;
    cr_assert_eq(lq_meta_parse_hooks(&l, meta, strlen(meta), &err), LQ_OK, "%s", err.msg);
    return l;
}

static size_t count(const char *s, const char *needle)
{
    size_t n = 0;
    for (const char *p = s; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

Test(firewall, nftables_admits_only_the_ranges_on_the_port)
{
    lq_cidr_list l = hooks();
    char *out;
    cr_assert_eq(lq_firewall_render(&out, LQ_FW_NFTABLES, &l, 9443, "test", NULL, NULL), LQ_OK);
    cr_expect(strstr(out, "type ipv4_addr") && strstr(out, "type ipv6_addr"));
    cr_expect(strstr(out, "192.30.252.0/22,\n            140.82.112.0/20\n"));
    cr_expect(strstr(out, "2a0a:a440::/29"));
    cr_expect(strstr(out, "tcp dport 9443 ip saddr @github_hooks_v4 accept"));
    cr_expect(strstr(out, "tcp dport 9443 ip6 saddr @github_hooks_v6 accept"));
    cr_expect(strstr(out, "tcp dport 9443 counter drop"));
    free(out);
    lq_cidr_list_dispose(&l);
}

Test(firewall, gcloud_one_allow_per_range_then_default_deny)
{
    lq_cidr_list l = hooks();
    char *out;
    cr_assert_eq(lq_firewall_render(&out, LQ_FW_GCLOUD, &l, 8080, "test", NULL, NULL), LQ_OK);
    cr_expect_eq(count(out, "gcloud app firewall-rules create"), 5); /* + loopback v4, v6 */
    cr_expect(strstr(out, "create 1002 --action=ALLOW --source-range='2a0a:a440::/29'"));
    cr_expect(strstr(out, "gcloud app firewall-rules update default --action=DENY"));
    free(out);
    lq_cidr_list_dispose(&l);
}

Test(firewall, terraform_resources_with_default_deny)
{
    lq_cidr_list l = hooks();
    char *out;
    cr_assert_eq(lq_firewall_render(&out, LQ_FW_TERRAFORM, &l, 8080, "test", NULL, NULL), LQ_OK);
    cr_expect_eq(count(out, "resource \"google_app_engine_firewall_rule\""), 6);
    cr_expect(strstr(out, "source_range = \"140.82.112.0/20\""));
    cr_expect(strstr(out, "action       = \"DENY\"\n  source_range = \"*\""));
    free(out);
    lq_cidr_list_dispose(&l);
}

Test(firewall, empty_list_and_unknown_format_are_refused)
{
    lq_cidr_list empty = {NULL, 0};
    char *out = (char *)1;
    lq_error err;
    cr_expect_eq(lq_firewall_render(&out, LQ_FW_NFTABLES, &empty, 80, "t", NULL, &err), LQ_EINVAL);
    cr_expect_null(out);
    lq_fw_format f;
    cr_expect_eq(lq_firewall_format_parse(&f, "iptables", &err), LQ_EINVAL);
    cr_expect(strstr(err.msg, "nftables, gcloud or terraform"));
    cr_expect_eq(lq_firewall_format_parse(&f, "terraform", &err), LQ_OK);
    cr_expect_eq(f, LQ_FW_TERRAFORM);
}

/* Issue 13: the operator's proxy and monitoring (--allow) and loopback get through, in every
 * format; without --allow only loopback is added. */
Test(firewall, loopback_always_and_allow_ranges_in_every_format)
{
    lq_cidr_list l = hooks(), allow;
    lq_error err;
    cr_assert_eq(lq_cidr_list_parse(&allow, "10.1.2.0/24, fd00::/8", &err), LQ_OK);
    lq_fw_extra x = {.allow = &allow, .ops_port = 9090};
    char *out;
    cr_assert_eq(lq_firewall_render(&out, LQ_FW_NFTABLES, &l, 443, "test", &x, &err), LQ_OK);
    const char *lo = strstr(out, "iif \"lo\" accept");
    const char *drop = strstr(out, "tcp dport 443 counter drop");
    cr_assert(lo && drop && lo < drop, "%s", out);
    cr_expect(strstr(out, "set operator_allow_v4 {\n        type ipv4_addr\n        flags interval\n"
                          "        elements = {\n            10.1.2.0/24\n        }"), "%s", out);
    cr_expect(strstr(out, "fd00::/8"));
    const char *acc = strstr(out, "tcp dport 443 ip saddr @operator_allow_v4 accept");
    cr_expect(acc && acc < drop, "%s", out);
    /* the ops port: loopback and --allow, never GitHub */
    cr_expect(strstr(out, "tcp dport 9090 ip saddr @operator_allow_v4 accept"), "%s", out);
    cr_expect(strstr(out, "tcp dport 9090 counter drop"), "%s", out);
    cr_expect(!strstr(out, "tcp dport 9090 ip saddr @github_hooks"), "%s", out);
    free(out);

    cr_assert_eq(lq_firewall_render(&out, LQ_FW_GCLOUD, &l, 443, "test", &x, &err), LQ_OK);
    cr_expect(strstr(out, "create 100 --action=ALLOW --source-range='127.0.0.0/8'"), "%s", out);
    cr_expect(strstr(out, "create 101 --action=ALLOW --source-range='::1/128'"), "%s", out);
    cr_expect(strstr(out, "create 200 --action=ALLOW --source-range='10.1.2.0/24'"), "%s", out);
    cr_expect(strstr(out, "create 201 --action=ALLOW --source-range='fd00::/8'"), "%s", out);
    cr_expect(strstr(out, "create 1000 --action=ALLOW --source-range='192.30.252.0/22'"));
    free(out);

    cr_assert_eq(lq_firewall_render(&out, LQ_FW_TERRAFORM, &l, 443, "test", &x, &err), LQ_OK);
    cr_expect(strstr(out, "\"loopback_v4\" {\n  project      = var.project\n  priority     = 100\n"
                          "  action       = \"ALLOW\"\n  source_range = \"127.0.0.0/8\""), "%s", out);
    cr_expect(strstr(out, "\"operator_allow_1\" {\n  project      = var.project\n"
                          "  priority     = 201\n  action       = \"ALLOW\"\n"
                          "  source_range = \"fd00::/8\""), "%s", out);
    cr_expect_eq(count(out, "resource \"google_app_engine_firewall_rule\""), 8);
    free(out);

    /* Without --allow: loopback only. */
    cr_assert_eq(lq_firewall_render(&out, LQ_FW_NFTABLES, &l, 443, "test", NULL, &err), LQ_OK);
    cr_expect(strstr(out, "iif \"lo\" accept"));
    cr_expect(!strstr(out, "operator_allow"));
    free(out);
    lq_cidr_list_dispose(&allow);
    lq_cidr_list_dispose(&l);
}
