/* Fuzz target: CIDR / IP / X-Forwarded-For / GET /meta parsing. Input: text lines; the first line
 * is parsed as a range list, the second as X-Forwarded-For, the whole input as a /meta body. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cidr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 8192)
        return 0;
    char *s = malloc(size + 1);
    memcpy(s, data, size);
    s[size] = '\0';
    lq_cidr_list meta, list;
    if (lq_meta_parse_hooks(&meta, (const char *)data, size, NULL) == LQ_OK) {
        for (size_t i = 0; i < meta.n; i++) {
            char buf[64];
            lq_cidr_format(&meta.v[i], buf, sizeof(buf));
            lq_cidr back;
            /* Formatting then parsing gives the same range. */
            if (lq_cidr_parse(&back, buf, strlen(buf), NULL) != LQ_OK ||
                memcmp(&back.addr, &meta.v[i].addr, sizeof(back.addr)) || back.bits != meta.v[i].bits)
                abort();
        }
        lq_cidr_list_dispose(&meta);
    }
    char *nl = strchr(s, '\n');
    const char *xff = NULL;
    if (nl) {
        *nl = '\0';
        xff = nl + 1;
    }
    if (lq_cidr_list_parse(&list, s, NULL) == LQ_OK) {
        if (list.n) {
            lq_ip out, peer = list.v[0].addr; /* a trusted peer: the header is read */
            lq_client_addr(&out, &peer, xff, &list, NULL);
        }
        lq_cidr_list_dispose(&list);
    }
    free(s);
    return 0;
}
