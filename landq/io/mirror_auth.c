/* mirror_auth.c -- how the mirror authenticates to an HTTP(S) remote: the token as the
 * Basic-auth password of user "x-access-token", in a header sent with every request, and a
 * credentials callback that tries once. */
#include "mirror_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "Authorization: Basic base64(x-access-token:TOKEN)", sent with every request (as
 * actions/checkout does with http.extraheader): no 401 round trip, and no reliance on libgit2
 * 1.5's replay after a 401, which fails with "http parser error: invalid constant string" when
 * the 401 carries a body on a kept-alive connection (mockhub's does). Caller frees (and wipes). */
char *lq_mirror_auth_header(const char *token)
{
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const char *user = "x-access-token:";
    size_t ul = strlen(user), tl = strlen(token), n = ul + tl;
    unsigned char *raw = malloc(n + 1);
    char *out = malloc(32 + (n + 2) / 3 * 4 + 1);
    if (!raw || !out) {
        free(raw);
        free(out);
        return NULL;
    }
    memcpy(raw, user, ul);
    memcpy(raw + ul, token, tl);
    size_t o = (size_t)sprintf(out, "Authorization: Basic ");
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)raw[i] << 16 | (i + 1 < n ? (unsigned)raw[i + 1] << 8 : 0) |
                     (i + 2 < n ? raw[i + 2] : 0);
        out[o++] = tbl[(v >> 18) & 63];
        out[o++] = tbl[(v >> 12) & 63];
        out[o++] = i + 1 < n ? tbl[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < n ? tbl[v & 63] : '=';
    }
    out[o] = '\0';
    memset(raw, 0, n);
    free(raw);
    return out;
}

int lq_mirror_on_credentials(git_credential **out, const char *url, const char *user_from_url,
                             unsigned int allowed, void *payload)
{
    (void)url;
    (void)user_from_url;
    fetch_ctx *c = payload;
    /* One try: a second call means the server refused the token; libgit2 would loop. */
    if (!c->token || c->header_sent || c->cred_calls++ > 0 ||
        !(allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT)) {
        c->auth_failed = 1;
        return GIT_EUSER;
    }
    return git_credential_userpass_plaintext_new(out, "x-access-token", c->token);
}

