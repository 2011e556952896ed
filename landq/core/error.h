/* lq_error: a caller-owned, fixed-size error report (jansson json_error_t style).
 * No allocation, no globals: safe to use from any thread. */
#ifndef LQ_ERROR_H
#define LQ_ERROR_H

#include <stddef.h>

#if defined(__GNUC__) || defined(__clang__)
#define LQ_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define LQ_PRINTF(fmt, args)
#endif

/* Status codes: 0 success, negative failure; only a few "expected" ones. */
typedef enum {
    LQ_OK = 0,
    LQ_ERROR = -1,     /* generic failure; message in lq_error */
    LQ_ENOMEM = -2,    /* allocation failed */
    LQ_ENOTFOUND = -3, /* requested thing does not exist */
    LQ_EINVAL = -4,    /* malformed input */
    LQ_ETOOBIG = -5,   /* input exceeds a documented limit */
    LQ_ECONFLICT = -6, /* state changed underneath us (e.g. head moved) */
    LQ_ETRANSIENT = -7 /* retry later (5xx, rate limit, network) */
} lq_status;

typedef struct lq_error {
    int code;       /* an lq_status */
    char msg[512];  /* human-readable, NUL-terminated */
} lq_error;

/* Sets err (if non-NULL) and returns code, so callers can `return lq_error_set(...)`. */
int lq_error_set(lq_error *err, int code, const char *fmt, ...) LQ_PRINTF(3, 4);
void lq_error_clear(lq_error *err);
const char *lq_status_str(int code);

#endif
