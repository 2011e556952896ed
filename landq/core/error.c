#include "error.h"

#include <stdarg.h>
#include <stdio.h>

int lq_error_set(lq_error *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        err->code = code;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
        va_end(ap);
    }
    return code;
}

void lq_error_clear(lq_error *err)
{
    if (err) {
        err->code = LQ_OK;
        err->msg[0] = '\0';
    }
}

const char *lq_status_str(int code)
{
    switch (code) {
    case LQ_OK: return "ok";
    case LQ_ERROR: return "error";
    case LQ_ENOMEM: return "out of memory";
    case LQ_ENOTFOUND: return "not found";
    case LQ_EINVAL: return "invalid input";
    case LQ_ETOOBIG: return "too big";
    case LQ_ECONFLICT: return "conflict";
    case LQ_ETRANSIENT: return "transient failure";
    default: return "unknown status";
    }
}
