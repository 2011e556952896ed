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
    cr_assert_eq(lq_firewall_render(&out, LQ_FW_NFTABLES, &l, 9443, "test", NULL), LQ_OK);
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
    cr_assert_eq(lq_firewall_render(&out, LQ_FW_GCLOUD, &l, 8080, "test", NULL), LQ_OK);
    cr_expect_eq(count(out, "gcloud app firewall-rules create"), 3);
    cr_expect(strstr(out, "create 1002 --action=ALLOW --source-range='2a0a:a440::/29'"));
    cr_expect(strstr(out, "gcloud app firewall-rules update default --action=DENY"));
    free(out);
    lq_cidr_list_dispose(&l);
}

Test(firewall, terraform_resources_with_default_deny)
{
    lq_cidr_list l = hooks();
    char *out;
    cr_assert_eq(lq_firewall_render(&out, LQ_FW_TERRAFORM, &l, 8080, "test", NULL), LQ_OK);
    cr_expect_eq(count(out, "resource \"google_app_engine_firewall_rule\""), 4);
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
    cr_expect_eq(lq_firewall_render(&out, LQ_FW_NFTABLES, &empty, 80, "t", &err), LQ_EINVAL);
    cr_expect_null(out);
    lq_fw_format f;
    cr_expect_eq(lq_firewall_format_parse(&f, "iptables", &err), LQ_EINVAL);
    cr_expect(strstr(err.msg, "nftables, gcloud or terraform"));
    cr_expect_eq(lq_firewall_format_parse(&f, "terraform", &err), LQ_OK);
    cr_expect_eq(f, LQ_FW_TERRAFORM);
}
