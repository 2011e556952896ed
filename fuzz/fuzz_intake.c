/* Fuzz target: the pure part of POST /webhook -- headers and body through lq_webhook_check()
 * (size, signature, event/delivery headers, JSON validation, ping). Must never crash or leak.
 *
 * Input: byte 0 = flags (bit 0: sign the body correctly, so the fuzzer reaches the header and
 * JSON checks; bit 1: leave X-GitHub-Event out; bit 2: leave X-GitHub-Delivery out), then three
 * '\n'-terminated header values (signature, event, delivery), then the raw body.
 * Bit 3 (X-Forwarded-For, issue 13): three more '\n'-terminated fields come before the body:
 * the peer address, the trusted proxies (a CIDR list) and the X-Forwarded-For header lines,
 * separated by '\r' (a request may carry several). The lines must decide exactly as the same
 * values joined with ',' (RFC 9110 section 5.3: one list), and from an untrusted peer the
 * headers must be ignored.
 * Also a differential check: a body jansson parses as an object must pass lq_json_validate. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cidr.h"
#include "signature.h"
#include "webhook.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char secret[] = "fuzz-secret";

/* Copies the next '\n'-terminated field into a new string; NULL at the end of input. */
static char *field(const uint8_t **p, const uint8_t *end)
{
    const uint8_t *nl = memchr(*p, '\n', (size_t)(end - *p));
    if (!nl)
        return NULL;
    size_t n = (size_t)(nl - *p);
    char *s = malloc(n + 1);
    if (!s)
        return NULL;
    memcpy(s, *p, n);
    s[n] = '\0';
    if (strlen(s) != n) { /* an embedded NUL cannot occur in an HTTP header value */
        free(s);
        return NULL;
    }
    *p = nl + 1;
    return s;
}

/* Bit 3: the client address over X-Forwarded-For lines. */
static void forwarded_for(const char *peer_s, const char *proxies_s, char *lines_s)
{
    lq_ip peer, a, b;
    lq_cidr_list proxies;
    if (lq_ip_parse(&peer, peer_s, strlen(peer_s), NULL) != LQ_OK ||
        lq_cidr_list_parse(&proxies, proxies_s, NULL) != LQ_OK)
        return;
    const char *lines[16];
    size_t n = 0;
    size_t joined_len = strlen(lines_s) + 1;
    char *joined = malloc(joined_len);
    if (!joined) {
        lq_cidr_list_dispose(&proxies);
        return;
    }
    joined[0] = '\0';
    for (char *p = lines_s; p && n < 16;) {
        char *cr = strchr(p, '\r');
        if (cr)
            *cr = '\0';
        lines[n++] = p;
        if (n > 1)
            strcat(joined, ",");
        strcat(joined, p);
        p = cr ? cr + 1 : NULL;
    }
    int ra = lq_client_addr_lines(&a, &peer, lines, n, &proxies, NULL);
    int rb = lq_client_addr(&b, &peer, joined, &proxies, NULL);
    if (ra != rb || (ra == LQ_OK && memcmp(&a, &b, sizeof a)))
        __builtin_trap(); /* several lines are one list */
    if (ra == LQ_OK && !lq_cidr_list_contains(&proxies, &peer) && memcmp(&a, &peer, sizeof a))
        __builtin_trap(); /* an untrusted peer's header is never believed */
    free(joined);
    lq_cidr_list_dispose(&proxies);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 1 << 20)
        return 0;
    const uint8_t *p = data + 1, *end = data + size;
    unsigned flags = data[0];
    char *sig = field(&p, end), *event = NULL, *delivery = NULL, *peer = NULL, *proxies = NULL,
         *xff = NULL;
    if (sig)
        event = field(&p, end);
    if (event)
        delivery = field(&p, end);
    if (!delivery)
        goto out;
    if (flags & 8) {
        peer = field(&p, end);
        proxies = peer ? field(&p, end) : NULL;
        xff = proxies ? field(&p, end) : NULL;
        if (!xff)
            goto out;
        forwarded_for(peer, proxies, xff);
    }
    const char *body = (const char *)p;
    size_t len = (size_t)(end - p);
    char good[72];
    if (flags & 1) {
        unsigned char mac[LQ_SIGNATURE_LEN];
        if (lq_signature_compute(mac, secret, strlen(secret), body, len, NULL) != LQ_OK)
            __builtin_trap();
        lq_signature_format(good, mac);
    }
    lq_webhook_request req = {flags & 1 ? good : sig, flags & 2 ? NULL : event,
                              flags & 4 ? NULL : delivery, body, len};
    lq_error err;
    err.msg[0] = '\0';
    lq_webhook_verdict v = lq_webhook_check(&req, secret, strlen(secret), &err);
    if ((unsigned)v >= LQ_WEBHOOK_VERDICT_COUNT)
        __builtin_trap();
    int status = lq_webhook_http_status(v);
    if (status != 200 && status != 202 && status != 400 && status != 401 && status != 413)
        __builtin_trap();
    if (v != LQ_WEBHOOK_ACCEPT && v != LQ_WEBHOOK_PING && !err.msg[0])
        __builtin_trap(); /* every refusal explains itself */
    if (strstr(err.msg, secret))
        __builtin_trap(); /* never echo the secret */
    if ((flags & 1) && v == LQ_WEBHOOK_BAD_SIGNATURE)
        __builtin_trap();

    /* differential: whatever jansson accepts as an object, the validator accepts (except
     * bodies with a NUL byte: jansson lets one through after a number, e.g. {"e":-2<NUL>},
     * which RFC 8259 does not allow) */
    if (!memchr(body, '\0', len)) {
        json_error_t je;
        json_t *j = json_loadb(body, len, 0, &je);
        if (j && json_is_object(j) && lq_json_validate(body, len, &err) != LQ_OK)
            __builtin_trap();
        json_decref(j);
    }
out:
    free(sig);
    free(event);
    free(delivery);
    free(peer);
    free(proxies);
    free(xff);
    return 0;
}
