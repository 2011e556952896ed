#include "fsutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int lq_file_read(char **out, size_t *out_len, const char *path, size_t max, lq_error *err)
{
    *out = NULL;
    *out_len = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return lq_error_set(err, errno == ENOENT ? LQ_ENOTFOUND : LQ_ERROR, "%s: %s", path,
                            strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        return lq_error_set(err, LQ_EINVAL, "%s: not a regular file", path);
    }
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap + 1);
    if (!buf) {
        fclose(f);
        return lq_error_set(err, LQ_ENOMEM, "%s: out of memory", path);
    }
    for (;;) {
        if (len == cap) {
            if (cap > max) {
                free(buf);
                fclose(f);
                return lq_error_set(err, LQ_ETOOBIG, "%s: larger than %zu bytes", path, max);
            }
            char *nb = realloc(buf, cap * 2 + 1);
            if (!nb) {
                free(buf);
                fclose(f);
                return lq_error_set(err, LQ_ENOMEM, "%s: out of memory", path);
            }
            buf = nb;
            cap *= 2;
        }
        size_t n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (n == 0)
            break;
    }
    int rd_err = ferror(f);
    fclose(f);
    if (rd_err) {
        free(buf);
        return lq_error_set(err, LQ_ERROR, "%s: read error", path);
    }
    if (len > max) {
        free(buf);
        return lq_error_set(err, LQ_ETOOBIG, "%s: %zu bytes, larger than the limit of %zu bytes",
                            path, len, max);
    }
    buf[len] = '\0';
    *out = buf;
    *out_len = len;
    return LQ_OK;
}
