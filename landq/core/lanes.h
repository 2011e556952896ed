/* lanes: which independent lanes of a predictive train a pull request belongs to (pure; see
 * docs/predictive.md, "Lanes").
 *
 * Modes (config `lanes`):
 *   single      every pull request in one lane, "default" (the default);
 *   codeowners  a lane per owner set of the base's CODEOWNERS: a changed file belongs to the lane
 *               of the owners of the rule that decides it (e.g. "acme-infra" for @acme/infra,
 *               "acme-docs_bob" for @acme/docs @bob); files no rule owns go to "unowned";
 *   paths       explicit areas (config `lane = NAME: PREFIX [PREFIX...]`): a file belongs to the
 *               area with the longest matching prefix, else to "default".
 * A pull request whose files fall in several lanes spans them. A file under a catch-all prefix
 * (config `lane_catch_all = PREFIX`) makes the pull request span every lane: that is how an
 * operator declares cross-area dependencies (a shared API, generated code) that landq cannot see.
 * Lane names are safe in branch names: [A-Za-z0-9._-], at most 60 bytes.
 *
 * Ownership: lq_lanes owns its configuration; lq_lanes_of() returns names the caller frees with
 * lq_lanes_names_free(). */
#ifndef LQ_LANES_H
#define LQ_LANES_H

#include <stddef.h>

#include "codeowners.h"
#include "error.h"

typedef enum { LQ_LANES_SINGLE = 0, LQ_LANES_CODEOWNERS, LQ_LANES_PATHS } lq_lanes_mode;

typedef struct lq_lanes lq_lanes;

/* mode: "single", "codeowners" or "paths"; areas ("NAME: PREFIX ...", paths mode only, at least
 * one), catch_all (prefixes, any mode). LQ_EINVAL with a precise message for bad input. */
int lq_lanes_new(lq_lanes **out, const char *mode, const char *const *areas, size_t nareas,
                 const char *const *catch_all, size_t ncatch, lq_error *err);
void lq_lanes_free(lq_lanes *l); /* NULL-safe */
lq_lanes_mode lq_lanes_get_mode(const lq_lanes *l);

/* The lanes of a pull request from its changed paths (both paths of a rename). co: the base's
 * CODEOWNERS (codeowners mode; NULL = none: every file is "unowned"). *names: sorted, unique,
 * owned by the caller; *all = 1 when a catch-all prefix was touched (then *names may be empty).
 * LQ_ENOMEM. A pull request without files lands in "default". */
int lq_lanes_of(const lq_lanes *l, const lq_codeowners *co, const char *const *paths, size_t n,
                char ***names, size_t *count, int *all, lq_error *err);
void lq_lanes_names_free(char **names, size_t count);

/* The lane name of one owner set (codeowners mode), into buf (>= 64 bytes). */
void lq_lanes_owner_name(const lq_owner *owners, size_t n, char *buf, size_t len);

#endif
