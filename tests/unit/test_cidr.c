/* CIDR parsing and matching for the webhook source allowlist. */
#include <criterion/criterion.h>
#include <string.h>

#include "cidr.h"

static lq_ip ip(const char *s)
{
    lq_ip out;
    lq_error err;
    cr_assert_eq(lq_ip_parse(&out, s, strlen(s), &err), LQ_OK, "%s: %s", s, err.msg);
    return out;
}

static lq_cidr cidr(const char *s)
{
    lq_cidr out;
    lq_error err;
    cr_assert_eq(lq_cidr_parse(&out, s, strlen(s), &err), LQ_OK, "%s: %s", s, err.msg);
    return out;
}

static int in(const char *range, const char *addr)
{
    lq_cidr c = cidr(range);
    lq_ip a = ip(addr);
    return lq_cidr_contains(&c, &a);
}

Test(cidr, ipv4_ranges)
{
    cr_expect(in("192.30.252.0/22", "192.30.252.1"));
    cr_expect(in("192.30.252.0/22", "192.30.255.255"));
    cr_expect(!in("192.30.252.0/22", "192.31.0.0"));
    cr_expect(!in("192.30.252.0/22", "192.30.251.255"));
    cr_expect(in("140.82.112.0/20", "140.82.127.254"));
    cr_expect(in("0.0.0.0/0", "8.8.8.8"));
    cr_expect(in("10.1.2.3", "10.1.2.3"));
    cr_expect(!in("10.1.2.3", "10.1.2.4"));
    cr_expect(in("127.0.0.0/8", "127.255.0.1"));
}

Test(cidr, ipv6_ranges)
{
    cr_expect(in("2a0a:a440::/29", "2a0a:a440::1"));
    cr_expect(in("2a0a:a440::/29", "2a0a:a447:ffff::1"));
    cr_expect(!in("2a0a:a440::/29", "2a0a:a448::1"));
    cr_expect(in("::1/128", "::1"));
    cr_expect(!in("::1/128", "::2"));
    cr_expect(in("2606:50c0::/32", "2606:50c0:8000::154"));
}

Test(cidr, ipv4_mapped_ipv6_peer_matches_ipv4_range)
{
    cr_expect(in("192.30.252.0/22", "::ffff:192.30.252.7"));
    cr_expect(!in("192.30.252.0/22", "::ffff:192.31.0.1"));
    /* An IPv6 /0 covers mapped addresses too, an IPv4 range never covers real IPv6. */
    cr_expect(!in("0.0.0.0/0", "2001:db8::1"));
}

Test(cidr, host_bits_are_cleared)
{
    cr_expect(in("192.30.253.17/22", "192.30.252.0"));
    char buf[64];
    lq_cidr c = cidr("192.30.253.17/22");
    lq_cidr_format(&c, buf, sizeof(buf));
    cr_expect_str_eq(buf, "192.30.252.0/22");
    c = cidr("2a0a:a440::5/29");
    lq_cidr_format(&c, buf, sizeof(buf));
    cr_expect_str_eq(buf, "2a0a:a440::/29");
}

Test(cidr, malformed_entries_are_rejected_with_a_message)
{
    static const char *bad[] = {"", "1.2.3.4/33", "1.2.3.4/", "1.2.3/24", "1.2.3.4.5", "::1/129",
                                "::/x", "1.2.3.4/-1", "256.0.0.1", "01.2.3.4", "1.2.3.4/08",
                                "hello", "[::1]", "fe80::1%eth0", "1.2.3.4/1234", "2001:db8::/64/1",
                                NULL};
    for (const char **b = bad; *b; b++) {
        lq_cidr c;
        lq_error err = {0, ""};
        cr_expect_eq(lq_cidr_parse(&c, *b, strlen(*b), &err), LQ_EINVAL, "'%s' should be rejected",
                     *b);
        cr_expect(err.msg[0] != '\0', "'%s': no message", *b);
    }
}

Test(cidr, meta_hooks_all_or_nothing)
{
    const char *ok = "{\"verifiable_password_authentication\": false, \"hooks\": "
                     "[\"192.30.252.0/22\", \"185.199.108.0/22\", \"2a0a:a440::/29\"], "
                     "\"web\": [\"1.2.3.4/32\"]}";
    lq_cidr_list l;
    lq_error err;
    cr_assert_eq(lq_meta_parse_hooks(&l, ok, strlen(ok), &err), LQ_OK, "%s", err.msg);
    cr_expect_eq(l.n, 3);
    lq_ip a = ip("185.199.110.153"), b = ip("1.2.3.4");
    cr_expect(lq_cidr_list_contains(&l, &a));
    cr_expect(!lq_cidr_list_contains(&l, &b)); /* "web" ranges are not webhook sources */
    lq_cidr_list_dispose(&l);

    static const char *bad[] = {"{\"hooks\": [\"192.30.252.0/22\", \"nope\"]}", "{\"hooks\": []}",
                                "{}", "{\"hooks\": [1]}", "not json", "[]", NULL};
    for (const char **p = bad; *p; p++) {
        cr_expect_eq(lq_meta_parse_hooks(&l, *p, strlen(*p), &err), LQ_EINVAL, "%s", *p);
        cr_expect_eq(l.n, 0);
        cr_expect_null(l.v);
    }
}

Test(cidr, forwarded_for_is_trusted_only_from_proxies)
{
    lq_cidr_list proxies;
    lq_error err;
    cr_assert_eq(lq_cidr_list_parse(&proxies, "10.0.0.0/8, 35.191.0.0/16", &err), LQ_OK);
    lq_ip out, peer = ip("10.0.0.5"), outsider = ip("203.0.113.9");
    char buf[64];

    /* From a trusted proxy: right-most untrusted address. */
    cr_assert_eq(lq_client_addr(&out, &peer, "1.1.1.1, 192.30.252.9, 35.191.3.4", &proxies, &err),
                 LQ_OK);
    lq_ip_format(&out, buf, sizeof(buf));
    cr_expect_str_eq(buf, "192.30.252.9");

    /* A spoofed left part cannot win. */
    cr_assert_eq(lq_client_addr(&out, &peer, "192.30.252.1, 6.6.6.6", &proxies, &err), LQ_OK);
    lq_ip_format(&out, buf, sizeof(buf));
    cr_expect_str_eq(buf, "6.6.6.6");

    /* From an untrusted peer the header is ignored. */
    cr_assert_eq(lq_client_addr(&out, &outsider, "192.30.252.1", &proxies, &err), LQ_OK);
    lq_ip_format(&out, buf, sizeof(buf));
    cr_expect_str_eq(buf, "203.0.113.9");

    /* All trusted: the left-most. No header: the peer. */
    cr_assert_eq(lq_client_addr(&out, &peer, "10.9.9.9, 10.1.1.1", &proxies, &err), LQ_OK);
    lq_ip_format(&out, buf, sizeof(buf));
    cr_expect_str_eq(buf, "10.9.9.9");
    cr_assert_eq(lq_client_addr(&out, &peer, NULL, &proxies, &err), LQ_OK);
    lq_ip_format(&out, buf, sizeof(buf));
    cr_expect_str_eq(buf, "10.0.0.5");

    /* Malformed from a proxy: refused (fail closed). */
    cr_expect_eq(lq_client_addr(&out, &peer, "1.2.3.4, garbage", &proxies, &err), LQ_EINVAL);
    cr_expect_eq(lq_client_addr(&out, &peer, "1.2.3.4,", &proxies, &err), LQ_EINVAL);
    lq_cidr_list_dispose(&proxies);
}

static const char *client_of(const char *peer_s, const char *const *lines, size_t n, int *rc)
{
    static char buf[64];
    lq_cidr_list proxies;
    lq_error err;
    cr_assert_eq(lq_cidr_list_parse(&proxies, "127.0.0.1/32, 10.0.0.0/8", &err), LQ_OK);
    lq_ip out, peer = ip(peer_s);
    *rc = lq_client_addr_lines(&out, &peer, lines, n, &proxies, &err);
    lq_ip_format(&out, buf, sizeof(buf));
    lq_cidr_list_dispose(&proxies);
    return buf;
}

/* Issue 13, defect 1: two X-Forwarded-For lines (a GitHub address first, an outsider second)
 * used to be judged by the first line only. The lines are one list: the second line's
 * right-most untrusted entry decides. */
Test(cidr, forwarded_for_lines_are_one_list)
{
    int rc;
    const char *two[] = {"192.30.252.5", "8.8.8.8"};
    cr_expect_str_eq(client_of("127.0.0.1", two, 2, &rc), "8.8.8.8");
    cr_expect_eq(rc, LQ_OK);
    /* HAProxy adds its own line after whatever the client sent: the client's lines lose. */
    const char *haproxy[] = {"192.30.252.5, 140.82.112.1", "203.0.113.7"};
    cr_expect_str_eq(client_of("127.0.0.1", haproxy, 2, &rc), "203.0.113.7");
    /* Trusted hops on the last line are skipped into the line before. */
    const char *hops[] = {"6.6.6.6, 192.30.252.9", "10.1.1.1", "10.2.2.2, 10.3.3.3"};
    cr_expect_str_eq(client_of("10.0.0.1", hops, 3, &rc), "192.30.252.9");
    /* Every entry trusted: the left-most of the first line. */
    const char *all[] = {"10.9.9.9", "10.1.1.1"};
    cr_expect_str_eq(client_of("10.0.0.1", all, 2, &rc), "10.9.9.9");
    /* A malformed or empty entry on the way is refused; one left of the client is not read. */
    const char *bad[] = {"192.30.252.5", "junk"};
    client_of("127.0.0.1", bad, 2, &rc);
    cr_expect_eq(rc, LQ_EINVAL);
    const char *empty[] = {"192.30.252.5", ""};
    client_of("127.0.0.1", empty, 2, &rc);
    cr_expect_eq(rc, LQ_EINVAL);
    const char *left_junk[] = {"junk", "8.8.4.4"};
    cr_expect_str_eq(client_of("127.0.0.1", left_junk, 2, &rc), "8.8.4.4");
    cr_expect_eq(rc, LQ_OK);
    /* From an untrusted peer no line is read. */
    cr_expect_str_eq(client_of("203.0.113.1", two, 2, &rc), "203.0.113.1");
    /* Same answer as the joined header (RFC 9110 section 5.3). */
    int rc2;
    lq_cidr_list proxies;
    lq_error err;
    cr_assert_eq(lq_cidr_list_parse(&proxies, "127.0.0.1/32, 10.0.0.0/8", &err), LQ_OK);
    lq_ip a, b, peer = ip("127.0.0.1");
    rc = lq_client_addr_lines(&a, &peer, hops, 3, &proxies, &err);
    rc2 = lq_client_addr(&b, &peer, "6.6.6.6, 192.30.252.9,10.1.1.1,10.2.2.2, 10.3.3.3", &proxies,
                         &err);
    cr_expect_eq(rc, rc2);
    cr_expect_eq(memcmp(&a, &b, sizeof a), 0);
    lq_cidr_list_dispose(&proxies);
}

Test(cidr, source_key_is_the_ipv4_address_or_the_ipv6_64)
{
    lq_ip k1, k2, a = ip("2001:db8:1:2:aaaa::1"), b = ip("2001:db8:1:2:bbbb::9"),
                  c = ip("2001:db8:1:3::1"), d = ip("192.0.2.1"), e = ip("192.0.2.2");
    lq_ip_source_key(&k1, &a);
    lq_ip_source_key(&k2, &b);
    cr_expect_eq(memcmp(&k1, &k2, sizeof k1), 0);
    lq_ip_source_key(&k2, &c);
    cr_expect_neq(memcmp(&k1, &k2, sizeof k1), 0);
    lq_ip_source_key(&k1, &d);
    lq_ip_source_key(&k2, &e);
    cr_expect_neq(memcmp(&k1, &k2, sizeof k1), 0);
    cr_expect_eq(memcmp(&k1, &d, sizeof k1), 0);
}
