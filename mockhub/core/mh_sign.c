/* mh_sign.c -- HMAC-SHA256 webhook signatures (see mh_sign.h). */
#include "mh_sign.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>

int mh_sign_sha256(char out[72], const char *secret, const void *body, size_t len)
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0;
    static const unsigned char empty[1] = {0};
    if (!HMAC(EVP_sha256(), secret, (int)strlen(secret), len ? body : empty, len, mac, &maclen) ||
        maclen != 32)
        return -1;
    memcpy(out, "sha256=", 7);
    for (unsigned i = 0; i < maclen; i++)
        snprintf(out + 7 + 2 * i, 3, "%02x", mac[i]);
    return 0;
}

int mh_sign_sha1(char out[46], const char *secret, const void *body, size_t len)
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0;
    static const unsigned char empty[1] = {0};
    if (!HMAC(EVP_sha1(), secret, (int)strlen(secret), len ? body : empty, len, mac, &maclen) ||
        maclen != 20)
        return -1;
    memcpy(out, "sha1=", 5);
    for (unsigned i = 0; i < maclen; i++)
        snprintf(out + 5 + 2 * i, 3, "%02x", mac[i]);
    return 0;
}
