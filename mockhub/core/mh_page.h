/* mh_page.h -- GitHub-style pagination: per_page/page parsing and Link header building. Pure. */
#ifndef MH_PAGE_H
#define MH_PAGE_H

#include <stddef.h>

typedef struct {
    size_t per_page; /* 1..100, default 30 */
    size_t page;     /* 1-based */
} mh_page;

/* Parses the raw query values (may be NULL). Returns 0, or -1 when a value is not a number
 * (GitHub ignores junk; we treat it as default too but report it). Values are clamped. */
int mh_page_parse(mh_page *out, const char *per_page, const char *page);
/* Index range [*start, *end) of the items on this page out of `total`. */
void mh_page_range(const mh_page *pg, size_t total, size_t *start, size_t *end);
/* Builds the Link header for `url` (absolute, without query) plus `extra_query` (already
 * encoded "k=v&k2=v2", may be NULL or ""). Returns NULL when everything fits on one page
 * (no Link header), else a malloc'd string with next/last/first/prev as GitHub orders them. */
char *mh_page_link(const mh_page *pg, size_t total, const char *url, const char *extra_query);

#endif
