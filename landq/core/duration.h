/* duration: retention periods in the config file ("7d", "400d", "36h", "1d12h", "90s", "off").
 * Pure. The syntax (docs/configuration.md#durations): one or more NUMBER UNIT pairs, units s, m,
 * h, d, w (seconds, minutes, hours, days of 24 h, weeks); no spaces, no fractions; the total must
 * be at least one second and at most 100 years. "off" means forever (nothing is pruned). A bare
 * number is refused: "7" could mean seconds or days, and guessing wrong deletes data. */
#ifndef LQ_DURATION_H
#define LQ_DURATION_H

#include <stdint.h>

#include "error.h"

/* *out_ms = the duration in milliseconds, or 0 for "off". LQ_OK, or LQ_EINVAL with a message
 * saying what is wrong (*out_ms untouched). */
int lq_duration_parse(const char *s, int64_t *out_ms, lq_error *err);

/* Formats ms (> 0) in the largest units that divide it ("7d", "1d12h", "90s"); "off" for 0.
 * Writes at most cap bytes (NUL included); returns out. */
char *lq_duration_format(int64_t ms, char *out, size_t cap);

#endif
