/* mh_util.h -- small pure helpers for mockhub: growable strings, URL decoding, base64, time
 * formatting, a seeded PRNG and UUIDs. No I/O, no clocks: callers pass `now`. */
#ifndef MH_UTIL_H
#define MH_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* A growable NUL-terminated string. Embedded: dispose with mh_buf_dispose (frees ptr only). */
typedef struct {
    char *ptr;
    size_t len;
    size_t cap;
} mh_buf;

void mh_buf_init(mh_buf *b);
void mh_buf_dispose(mh_buf *b);
/* Each returns 0, or -1 on allocation failure (the buffer is left valid). */
int mh_buf_put(mh_buf *b, const char *s, size_t n);
int mh_buf_puts(mh_buf *b, const char *s);
int mh_buf_printf(mh_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Hands the string to the caller (free() it); the buffer becomes empty. Never NULL unless OOM. */
char *mh_buf_take(mh_buf *b);

/* Percent-decodes s[0..n) into a new string ('+' stays '+' unless plus_is_space). Returns NULL on
 * a malformed escape, an embedded NUL or OOM. Caller frees. */
char *mh_url_decode(const char *s, size_t n, int plus_is_space);
/* Percent-encodes everything except unreserved characters (and '/' when keep_slash). Caller frees. */
char *mh_url_encode(const char *s, int keep_slash);

/* Base64 (standard alphabet, padded). With line_len > 0, a '\n' follows every line_len output
 * characters and ends the text, as GitHub's contents API does. Caller frees. */
char *mh_base64_encode(const unsigned char *data, size_t n, size_t line_len);
/* Decodes, skipping whitespace. Returns NULL on invalid input. *out_len gets the length; the
 * result is NUL-terminated for convenience. Caller frees. */
unsigned char *mh_base64_decode(const char *s, size_t *out_len);

/* "2026-11-28T07:34:00Z" into out (>= 21 bytes). */
void mh_time_iso(char out[32], time_t t);
/* Parses "YYYY-MM-DDTHH:MM:SSZ" (or "+00:00"), the form mh_time_iso writes, from 1970 on.
 * Returns 0, or -1 when s is anything else (another offset, fractions, an impossible date). */
int mh_time_parse_iso(const char *s, time_t *out);

/* Seeded PRNG (xorshift64*): deterministic given the seed. */
typedef struct {
    uint64_t s;
} mh_rng;
void mh_rng_seed(mh_rng *r, uint64_t seed);
uint64_t mh_rng_next(mh_rng *r);
/* Uniform double in [0,1). */
double mh_rng_unit(mh_rng *r);
/* A version-4 UUID string from the PRNG, into out (>= 37 bytes). */
void mh_rng_uuid(mh_rng *r, char out[37]);

/* FNV-1a 64-bit hash, used for ETags. */
uint64_t mh_hash64(const void *data, size_t n, uint64_t seed);

/* Case-insensitive ASCII equality. */
int mh_streq_ci(const char *a, const char *b);

#endif
