#include "cidr.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t v4_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

int lq_ip_is_v4(const lq_ip *ip)
{
    return !memcmp(ip->b, v4_prefix, 12);
}

int lq_ip_parse(lq_ip *out, const char *s, size_t len, lq_error *err)
{
    char buf[64];
    if (len == 0 || len >= sizeof(buf))
        return lq_error_set(err, LQ_EINVAL, "'%.*s' is not an IP address", (int)(len > 60 ? 60 : len), s);
    memcpy(buf, s, len);
    buf[len] = '\0';
    memset(out, 0, sizeof(*out));
    struct in_addr a4;
    /* inet_pton(AF_INET) accepts only dotted quads: no octal, no short forms. */
    if (inet_pton(AF_INET, buf, &a4) == 1) {
        memcpy(out->b, v4_prefix, 12);
        memcpy(out->b + 12, &a4, 4);
        return LQ_OK;
    }
    if (strchr(buf, ':') && inet_pton(AF_INET6, buf, out->b) == 1)
        return LQ_OK;
    return lq_error_set(err, LQ_EINVAL, "'%s' is not an IPv4 or IPv6 address", buf);
}

int lq_cidr_parse(lq_cidr *out, const char *s, size_t len, lq_error *err)
{
    while (len && (*s == ' ' || *s == '\t')) {
        s++;
        len--;
    }
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;
    const char *slash = memchr(s, '/', len);
    size_t alen = slash ? (size_t)(slash - s) : len;
    lq_error e2;
    if (lq_ip_parse(&out->addr, s, alen, &e2) != LQ_OK)
        return lq_error_set(err, LQ_EINVAL, "range '%.*s': %s", (int)(len > 80 ? 80 : len), s, e2.msg);
    out->v4 = lq_ip_is_v4(&out->addr) && !memchr(s, ':', alen);
    unsigned max = out->v4 ? 32 : 128;
    unsigned bits = max;
    if (slash) {
        const char *p = slash + 1, *end = s + len;
        if (p == end || end - p > 3)
            return lq_error_set(err, LQ_EINVAL, "range '%.*s': bad prefix length", (int)len, s);
        bits = 0;
        for (; p < end; p++) {
            if (*p < '0' || *p > '9')
                return lq_error_set(err, LQ_EINVAL, "range '%.*s': bad prefix length", (int)len, s);
            bits = bits * 10 + (unsigned)(*p - '0');
        }
        if ((end - slash - 1) > 1 && slash[1] == '0')
            return lq_error_set(err, LQ_EINVAL, "range '%.*s': bad prefix length", (int)len, s);
        if (bits > max)
            return lq_error_set(err, LQ_EINVAL, "range '%.*s': prefix length %u is over %u",
                                (int)len, s, bits, max);
    }
    out->bits = out->v4 ? 96 + bits : bits;
    for (unsigned i = out->bits; i < 128; i++) /* clear host bits */
        out->addr.b[i / 8] &= (uint8_t) ~(0x80u >> (i % 8));
    return LQ_OK;
}

int lq_cidr_contains(const lq_cidr *c, const lq_ip *ip)
{
    unsigned full = c->bits / 8, rest = c->bits % 8;
    if (memcmp(c->addr.b, ip->b, full))
        return 0;
    if (rest) {
        uint8_t mask = (uint8_t)(0xffu << (8 - rest));
        return (c->addr.b[full] & mask) == (ip->b[full] & mask);
    }
    return 1;
}

void lq_ip_format(const lq_ip *ip, char *buf, size_t cap)
{
    if (lq_ip_is_v4(ip))
        inet_ntop(AF_INET, ip->b + 12, buf, (socklen_t)cap);
    else
        inet_ntop(AF_INET6, ip->b, buf, (socklen_t)cap);
}

void lq_cidr_format(const lq_cidr *c, char *buf, size_t cap)
{
    char a[INET6_ADDRSTRLEN];
    if (c->v4)
        inet_ntop(AF_INET, c->addr.b + 12, a, sizeof(a));
    else
        inet_ntop(AF_INET6, c->addr.b, a, sizeof(a));
    snprintf(buf, cap, "%s/%u", a, c->v4 ? c->bits - 96 : c->bits);
}

void lq_cidr_list_dispose(lq_cidr_list *l)
{
    if (l) {
        free(l->v);
        l->v = NULL;
        l->n = 0;
    }
}

int lq_cidr_list_contains(const lq_cidr_list *l, const lq_ip *ip)
{
    for (size_t i = 0; i < l->n; i++)
        if (lq_cidr_contains(&l->v[i], ip))
            return 1;
    return 0;
}

static int list_push(lq_cidr_list *l, const lq_cidr *c)
{
    lq_cidr *nv = realloc(l->v, (l->n + 1) * sizeof(*nv));
    if (!nv)
        return -1;
    l->v = nv;
    l->v[l->n++] = *c;
    return 0;
}

int lq_cidr_list_parse(lq_cidr_list *out, const char *s, lq_error *err)
{
    lq_cidr_list l = {NULL, 0};
    const char *p = s;
    while (*p) {
        while (*p == ',' || *p == ' ' || *p == '\t' || *p == '\n')
            p++;
        if (!*p)
            break;
        const char *e = p;
        while (*e && *e != ',' && *e != ' ' && *e != '\t' && *e != '\n')
            e++;
        lq_cidr c;
        if (lq_cidr_parse(&c, p, (size_t)(e - p), err) != LQ_OK) {
            lq_cidr_list_dispose(&l);
            return LQ_EINVAL;
        }
        if (list_push(&l, &c)) {
            lq_cidr_list_dispose(&l);
            return lq_error_set(err, LQ_ENOMEM, "out of memory");
        }
        p = e;
    }
    *out = l;
    return LQ_OK;
}

int lq_meta_parse_hooks(lq_cidr_list *out, const char *json, size_t len, lq_error *err)
{
    out->v = NULL;
    out->n = 0;
    json_error_t je;
    json_t *root = json_loadb(json, len, 0, &je);
    if (!root)
        return lq_error_set(err, LQ_EINVAL, "GET /meta: bad JSON at line %d: %s", je.line, je.text);
    json_t *hooks = json_object_get(root, "hooks");
    int rc = LQ_OK;
    if (!json_is_array(hooks) || json_array_size(hooks) == 0) {
        rc = lq_error_set(err, LQ_EINVAL, "GET /meta: no \"hooks\" ranges in the response");
        goto out;
    }
    size_t i;
    json_t *v;
    json_array_foreach(hooks, i, v) {
        lq_cidr c;
        lq_error e2;
        if (!json_is_string(v)) {
            rc = lq_error_set(err, LQ_EINVAL, "GET /meta: hooks[%zu] is not a string", i);
            goto out;
        }
        if (lq_cidr_parse(&c, json_string_value(v), json_string_length(v), &e2) != LQ_OK) {
            rc = lq_error_set(err, LQ_EINVAL, "GET /meta: hooks[%zu]: %s", i, e2.msg);
            goto out;
        }
        if (list_push(out, &c)) {
            rc = lq_error_set(err, LQ_ENOMEM, "out of memory");
            goto out;
        }
    }
out:
    if (rc != LQ_OK)
        lq_cidr_list_dispose(out);
    json_decref(root);
    return rc;
}

/* Walks one header value from the right (see lq_client_addr_lines). 1: the client was found
 * (*out set), 0: every entry was trusted (*out = the left-most one), LQ_EINVAL: malformed. */
static int walk_value(lq_ip *out, const char *xff, const lq_cidr_list *proxies, lq_error *err)
{
    size_t end = strlen(xff);
    for (;;) {
        size_t start = end;
        while (start > 0 && xff[start - 1] != ',')
            start--;
        const char *p = xff + start;
        size_t n = end - start;
        while (n && (*p == ' ' || *p == '\t')) {
            p++;
            n--;
        }
        while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
            n--;
        lq_ip ip;
        if (lq_ip_parse(&ip, p, n, NULL) != LQ_OK)
            return lq_error_set(err, LQ_EINVAL, "malformed X-Forwarded-For entry '%.*s'",
                                (int)(n > 60 ? 60 : n), p);
        *out = ip;
        if (!lq_cidr_list_contains(proxies, &ip))
            return 1; /* right-most untrusted address: the client */
        if (start == 0)
            return 0;
        end = start - 1;
    }
}

int lq_client_addr_lines(lq_ip *out, const lq_ip *peer, const char *const *lines, size_t n,
                         const lq_cidr_list *proxies, lq_error *err)
{
    *out = *peer;
    if (!proxies || !proxies->n || !lq_cidr_list_contains(proxies, peer))
        return LQ_OK;
    /* The lines are one list in the order received (RFC 9110 section 5.3): the last line's
     * right-most entry was added by the proxy nearest to us. */
    for (size_t i = n; i-- > 0;) {
        if (!lines[i])
            continue;
        int rc = walk_value(out, lines[i], proxies, err);
        if (rc != 0)
            return rc == 1 ? LQ_OK : rc;
    }
    return LQ_OK; /* no header, or all trusted: the left-most one (or the peer) */
}

int lq_client_addr(lq_ip *out, const lq_ip *peer, const char *xff, const lq_cidr_list *proxies,
                   lq_error *err)
{
    return lq_client_addr_lines(out, peer, &xff, xff ? 1 : 0, proxies, err);
}

void lq_ip_source_key(lq_ip *key, const lq_ip *ip)
{
    *key = *ip;
    if (!lq_ip_is_v4(ip))
        memset(key->b + 8, 0, 8); /* an IPv6 /64: one subscriber, however many addresses */
}
