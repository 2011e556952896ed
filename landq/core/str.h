/* str: the small string helpers every module shares (pure): a NULL-safe strdup, wiping memory
 * that held a secret, and a growable string builder for texts (comments, messages).
 *
 * Ownership: lq_strdup() and lq_sb_take() return owned strings (free()). */
#ifndef LQ_STR_H
#define LQ_STR_H

#include <stddef.h>

#include "error.h"

/* A copy of s (owned), or NULL when s is NULL or memory ran out. */
char *lq_strdup(const char *s);

/* Zeroes n bytes at p in a way the compiler may not drop (tokens, keys). NULL-safe. */
void lq_wipe(void *p, size_t n);
/* Zeroes the NUL-terminated string s, then frees it. NULL-safe. */
void lq_wipe_free(char *s);

/* A growable NUL-terminated string. Zero-initialise it ({0}); after an allocation failure every
 * later call is a no-op and lq_sb_take() returns NULL. Capped at LQ_SB_MAX bytes (further text
 * is refused the same way): comments and messages have limits far below it. */
#define LQ_SB_MAX ((size_t)16 << 20)
typedef struct lq_sb {
    char *p;      /* NULL until something was added */
    size_t len;
    size_t cap;
    int failed;   /* allocation failed or LQ_SB_MAX reached */
} lq_sb;

void lq_sb_addf(lq_sb *b, const char *fmt, ...) LQ_PRINTF(2, 3);
void lq_sb_add(lq_sb *b, const char *s, size_t n); /* n bytes of s (may contain NUL-free text) */
void lq_sb_adds(lq_sb *b, const char *s);          /* a NUL-terminated string; NULL adds nothing */
/* The text built so far (owned; "" when nothing was added), or NULL when it failed. b is
 * reset to empty either way. */
char *lq_sb_take(lq_sb *b);
void lq_sb_dispose(lq_sb *b); /* frees the text; b is reset; NULL-safe */

#endif
