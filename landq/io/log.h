/* log: landq's one logger. One logfmt line per event on stderr (journald and grep read it):
 *   ts=2024-05-01T12:00:00.123Z level=info mod=worker msg="landed" repo=acme/mono pr=7
 *
 * LQ_LOG() checks the level before anything is formatted (valkey's serverLog), so debug lines
 * cost nothing when they are off. Formats are printf formats (checked by the compiler); every
 * %s value is escaped for logfmt as it is written: inside a quoted value (`key="%s"`) quotes,
 * backslashes and control characters are escaped (\" \\ \n \t \xNN); an unquoted value
 * (`key=%s`) is quoted when it is empty or holds white space, '=', '"', '\\' or a control
 * character. So a file name, title or login can never end a line or forge a key: only the
 * literal text of the format, written by us, shapes the line.
 *
 * Thread-safe: each line is written with one call to the sink. Never log secrets. */
#ifndef LQ_LOG_H
#define LQ_LOG_H

#include <stdarg.h>
#include <stddef.h>

#include "error.h"

typedef enum { LQ_LOG_DEBUG = 0, LQ_LOG_INFO, LQ_LOG_WARN, LQ_LOG_ERROR } lq_log_level;

/* Lines below min are dropped before formatting (default LQ_LOG_INFO). */
void lq_log_set_level(lq_log_level min);
int lq_log_enabled(lq_log_level level);
const char *lq_log_level_str(lq_log_level level);

/* Where lines go (default: stderr). fn gets the whole line without the trailing newline.
 * NULL restores stderr. For tests (capture) and embedding. */
typedef void lq_log_sink_fn(lq_log_level level, const char *line, void *ctx);
void lq_log_set_sink(lq_log_sink_fn *fn, void *ctx);

#define LQ_LOG(level, mod, ...)                         \
    do {                                                \
        if (!lq_log_enabled(level))                     \
            break;                                      \
        lq_log__emit((level), (mod), __VA_ARGS__);      \
    } while (0)
#define LQ_DEBUG(mod, ...) LQ_LOG(LQ_LOG_DEBUG, mod, __VA_ARGS__)
#define LQ_INFO(mod, ...) LQ_LOG(LQ_LOG_INFO, mod, __VA_ARGS__)
#define LQ_WARN(mod, ...) LQ_LOG(LQ_LOG_WARN, mod, __VA_ARGS__)
#define LQ_ERR(mod, ...) LQ_LOG(LQ_LOG_ERROR, mod, __VA_ARGS__)

void lq_log__emit(lq_log_level level, const char *mod, const char *fmt, ...) LQ_PRINTF(3, 4);

/* For modules that build their own logfmt text (a callback given one line): the line is
 * written after the ts/level/mod prefix with every control character escaped, so it stays
 * one line. */
void lq_log_line(lq_log_level level, const char *mod, const char *line);

/* Formats like lq_log__emit() into buf[cap] (always NUL-terminated, truncated with "..."),
 * without the prefix. Returns the length written. For tests and callers that keep a line. */
size_t lq_log_format(char *buf, size_t cap, const char *fmt, ...) LQ_PRINTF(3, 4);
/* The same with a va_list (for modules with a printf-like log helper of their own). */
size_t lq_log_vformat(char *buf, size_t cap, const char *fmt, va_list ap) LQ_PRINTF(3, 0);

#endif
