/* isotime: GitHub's ISO 8601 timestamps ("2026-11-28T10:39:05Z", also with fractional seconds
 * or a "+01:00" offset, as the REST API writes them) to Unix time. Pure: no locale, no TZ, no
 * strptime/timegm, so the answer is the same on every machine. */
#ifndef LQ_ISOTIME_H
#define LQ_ISOTIME_H

#include <stdint.h>

/* *out_ms = milliseconds since 1970-01-01T00:00:00Z. LQ_OK, or LQ_EINVAL for anything but a
 * complete date-time with a zone (Z or +-hh:mm) and nothing after it (*out_ms untouched). */
int lq_isotime_parse(const char *s, int64_t *out_ms);

#endif
