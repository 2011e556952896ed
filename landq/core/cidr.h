/* IP address ranges (CIDR) for the webhook source allowlist: pure parsing and matching.
 * IPv4 is held as IPv4-mapped IPv6 (::ffff:a.b.c.d), so one matcher serves both families and an
 * IPv4 peer seen on a dual-stack socket as ::ffff:a.b.c.d matches an IPv4 range. */
#ifndef LQ_CIDR_H
#define LQ_CIDR_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

typedef struct lq_ip {
    uint8_t b[16]; /* network order; IPv4 as ::ffff:a.b.c.d */
} lq_ip;

typedef struct lq_cidr {
    lq_ip addr;    /* host bits cleared */
    unsigned bits; /* prefix length over the 128-bit form (IPv4 /n is stored as /96+n) */
    int v4;        /* written as IPv4 */
} lq_cidr;

/* Parses "1.2.3.4", "::1", "::ffff:1.2.3.4" (no brackets, no zone). LQ_EINVAL with a message. */
int lq_ip_parse(lq_ip *out, const char *s, size_t len, lq_error *err);
/* Parses "192.30.252.0/22", "2a0a:a440::/29"; a bare address is a /32 or /128. Host bits set
 * below the prefix are cleared. LQ_EINVAL with a message naming the entry. */
int lq_cidr_parse(lq_cidr *out, const char *s, size_t len, lq_error *err);
int lq_cidr_contains(const lq_cidr *c, const lq_ip *ip);
int lq_ip_is_v4(const lq_ip *ip);
/* Formats as written ("192.30.252.0/22" or "2a0a:a440::/29"); buf of at least 64 bytes. */
void lq_cidr_format(const lq_cidr *c, char *buf, size_t cap);
void lq_ip_format(const lq_ip *ip, char *buf, size_t cap);

/* A list of ranges (owned array). */
typedef struct lq_cidr_list {
    lq_cidr *v; /* owned */
    size_t n;
} lq_cidr_list;

void lq_cidr_list_dispose(lq_cidr_list *l);
int lq_cidr_list_contains(const lq_cidr_list *l, const lq_ip *ip);
/* Parses a comma- or whitespace-separated list ("10.0.0.0/8, ::1"); all or nothing. */
int lq_cidr_list_parse(lq_cidr_list *out, const char *s, lq_error *err);
/* Parses GET /meta's body and takes its "hooks" ranges; all or nothing: any malformed entry,
 * a missing or empty "hooks" array fails with a message (the caller keeps its last good list). */
int lq_meta_parse_hooks(lq_cidr_list *out, const char *json, size_t len, lq_error *err);

/* The client address behind proxies: when peer is a trusted proxy, X-Forwarded-For (may be NULL)
 * is read from the right, skipping trusted proxies; the first untrusted address is the client.
 * When every address is trusted, the left-most one is the client. A malformed or empty entry met
 * on the way from a trusted proxy is LQ_EINVAL (refuse the request: fail closed); entries left
 * of the client are not read. */
int lq_client_addr(lq_ip *out, const lq_ip *peer, const char *xff, const lq_cidr_list *proxies,
                   lq_error *err);
/* The same over every X-Forwarded-For header line of a request, in the order received: the
 * lines are one comma-separated list (RFC 9110 section 5.3), so a second line cannot hide behind
 * a first one (a proxy such as HAProxy adds its own line after the client's). NULL lines are
 * skipped. */
int lq_client_addr_lines(lq_ip *out, const lq_ip *peer, const char *const *lines, size_t n,
                         const lq_cidr_list *proxies, lq_error *err);

/* The key under which connections are counted per source: an IPv4 address itself, an IPv6
 * address's /64 (one subscriber usually holds a whole /64). */
void lq_ip_source_key(lq_ip *key, const lq_ip *ip);

#endif
