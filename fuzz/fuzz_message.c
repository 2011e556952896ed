/* Fuzz target: the squash commit message builder. The input is "body\0login\0login...".
 * Must never crash or leak; the result never ends in white space; cleaning adds no text but the
 * "> " that quotes a forged trailer line; every line that reads as an Approved-by trailer is
 * one of landq's, after the body (issue 12, defect 5). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "message.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 16)
        return 0;
    char *buf = malloc(size + 1);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    buf[size] = '\0';
    const char *logins[16];
    size_t n = 0;
    for (char *p = buf + strlen(buf); p < buf + size && n < 16; p += strlen(p)) {
        p++;
        if (*p)
            logins[n++] = p;
    }
    char *out = NULL;
    lq_error err = {0};
    if (lq_message_build(&out, buf, logins, n, &err) == LQ_OK) {
        size_t len = strlen(out);
        if (len && (out[len - 1] == ' ' || out[len - 1] == '\n' || out[len - 1] == '\t'))
            __builtin_trap();
        char *clean = NULL;
        if (lq_message_clean_body(&clean, buf, &err) == LQ_OK) {
            /* Cleaning only removes text. (A "<!--" may remain: "<!<!-- x -->--" shows as
             * "<!--" on GitHub, and the message keeps what readers saw.) */
            size_t lines = 1;
            for (const char *c = buf; *c; c++)
                lines += *c == '\n';
            if (strlen(clean) > strlen(buf) + 2 * lines)
                __builtin_trap();
            /* no line of the cleaned body reads as a trailer */
            for (const char *l = clean; *l;) {
                const char *e = strchr(l, '\n');
                size_t ll = e ? (size_t)(e - l) : strlen(l);
                if (lq_message_is_trailer(l, ll))
                    __builtin_trap();
                l += ll + (e != NULL);
            }
            /* the message is the cleaned body, then only landq's trailers */
            size_t cl = strlen(clean);
            if (strncmp(out, clean, cl))
                __builtin_trap();
            for (const char *l = out + cl; *l;) {
                const char *e = strchr(l, '\n');
                size_t ll = e ? (size_t)(e - l) : strlen(l);
                if (ll && strncmp(l, "Approved-by: ", 13))
                    __builtin_trap();
                l += ll + (e != NULL);
            }
            free(clean);
        }
        free(out);
    }
    free(buf);
    return 0;
}
