/* CODEOWNERS: GitHub's semantics (see docs/codeowners.md), compiled for fast matching.
 *
 * Ownership: lq_codeowners_parse() returns an owned ruleset (free with lq_codeowners_free()).
 * Everything returned by the getters and by lq_codeowners_match() is borrowed from the ruleset
 * and lives until it is freed. A ruleset is immutable after parsing: matching from several
 * threads at once is safe when each thread uses its own lq_codeowners_cache (or none). */
#ifndef LQ_CODEOWNERS_H
#define LQ_CODEOWNERS_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* GitHub does not load a CODEOWNERS file of 3 MiB or more (landq decision 11.6). */
#define LQ_CODEOWNERS_MAX_BYTES ((size_t)3 * 1024 * 1024)

/* GitHub's discovery order; the first one that exists is used, files are never merged. */
extern const char *const lq_codeowners_locations[3];

typedef enum {
    LQ_OWNER_USER,  /* @login */
    LQ_OWNER_TEAM,  /* @org/team-slug */
    LQ_OWNER_EMAIL  /* user@example.com */
} lq_owner_kind;

typedef struct lq_owner {
    lq_owner_kind kind;
    const char *name; /* as written, with '@' for users and teams (e.g. "@acme/infra") */
} lq_owner;

/* One entry of GitHub's "List CODEOWNERS errors" shape. */
typedef struct lq_codeowners_error {
    unsigned line;          /* 1-based */
    unsigned column;        /* 1-based, where the offending token starts */
    const char *kind;       /* "Invalid pattern" or "Invalid owner" */
    const char *source;     /* the whole line as written (no line terminator) */
    const char *message;    /* what is wrong, for a person */
    const char *suggestion; /* may be NULL */
} lq_codeowners_error;

typedef struct lq_codeowners lq_codeowners;

/* Result of a match. line == 0 means no rule matched (owners NULL, count 0).
 * line > 0 means that rule decided; owner_count may be 0 ("matched, nobody owns it"). */
typedef struct lq_codeowners_match {
    unsigned line;
    size_t owner_count;
    const lq_owner *owners; /* borrowed from the ruleset */
} lq_codeowners_match;

/* Parse and compile. Bad lines become errors (see lq_codeowners_error_at) and are skipped;
 * the call itself fails only for text of LQ_CODEOWNERS_MAX_BYTES or more (LQ_ETOOBIG) or
 * on allocation failure (LQ_ENOMEM). text need not be NUL-terminated. */
int lq_codeowners_parse(lq_codeowners **out, const char *text, size_t len, lq_error *err);
void lq_codeowners_free(lq_codeowners *co);

size_t lq_codeowners_rule_count(const lq_codeowners *co);
size_t lq_codeowners_error_count(const lq_codeowners *co);
const lq_codeowners_error *lq_codeowners_error_at(const lq_codeowners *co, size_t i);

/* A per-thread cache of automaton states per directory prefix; optional but makes bulk matching
 * of paths sharing directories much faster. Bound to one ruleset. */
typedef struct lq_codeowners_cache lq_codeowners_cache;
int lq_codeowners_cache_new(lq_codeowners_cache **out, const lq_codeowners *co);
void lq_codeowners_cache_free(lq_codeowners_cache *cache);

/* Owners of a repository-relative path ("src/a.c"; leading and trailing "/" are ignored; paths
 * are bytes compared case-sensitively and must not contain empty segments "a//b").
 * cache may be NULL (slower: a temporary one is made). Returns LQ_OK, or LQ_ENOMEM when memory
 * ran out: then *out says "no rule" and must not be trusted (fail closed). */
int lq_codeowners_match_path(const lq_codeowners *co, lq_codeowners_cache *cache,
                             const char *path, size_t len, lq_codeowners_match *out);

/* Rule i (0-based, file order, valid lines only): its line and its pattern as written. */
int lq_codeowners_rule_at(const lq_codeowners *co, size_t i, unsigned *line, const char **pattern);

/* Case-insensitive owner comparison ("@Alice" equals "@alice"); emails compare case-insensitively. */
int lq_owner_equal(const char *a, const char *b);

#endif
