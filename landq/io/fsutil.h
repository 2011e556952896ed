/* Small file helpers shared by the programs. */
#ifndef LQ_FSUTIL_H
#define LQ_FSUTIL_H

#include <stddef.h>

#include "error.h"

/* Reads a whole file into a new NUL-terminated buffer (owned by the caller, free()).
 * Refuses files larger than max bytes with LQ_ETOOBIG. */
int lq_file_read(char **out, size_t *out_len, const char *path, size_t max, lq_error *err);

#endif
