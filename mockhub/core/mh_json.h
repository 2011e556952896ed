/* mh_json.h -- a fast compact serialiser for jansson values (jansson's json_dumps dominates the
 * cost of large responses). Same output as json_dumps(v, JSON_COMPACT) for the values mockhub
 * builds: keys in insertion order, UTF-8 left as is, control characters escaped. */
#ifndef MH_JSON_H
#define MH_JSON_H

#include <jansson.h>

#include "mh_util.h"

/* Appends the serialisation of v to b. Returns 0, or -1 on allocation failure. */
int mh_json_write(mh_buf *b, const json_t *v);
/* Convenience: a malloc'd string (caller frees), NULL on failure. */
char *mh_json_dumps(const json_t *v);

#endif
