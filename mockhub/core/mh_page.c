/* mh_page.c -- pagination (see mh_page.h). */
#include "mh_page.h"
#include "mh_util.h"

#include <errno.h>
#include <stdlib.h>

static int parse_num(const char *s, size_t *out)
{
    if (!s || !*s)
        return 1;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (*end || errno || v < 0)
        return -1;
    *out = (size_t)v;
    return 0;
}

int mh_page_parse(mh_page *out, const char *per_page, const char *page)
{
    size_t pp = 30, pg = 1;
    int rc = 0;
    if (parse_num(per_page, &pp) < 0) {
        pp = 30;
        rc = -1;
    }
    if (parse_num(page, &pg) < 0) {
        pg = 1;
        rc = -1;
    }
    if (pp == 0)
        pp = 30;
    if (pp > 100)
        pp = 100;
    if (pg == 0)
        pg = 1;
    out->per_page = pp;
    out->page = pg;
    return rc;
}

void mh_page_range(const mh_page *pg, size_t total, size_t *start, size_t *end)
{
    size_t s = (pg->page - 1) * pg->per_page;
    if (pg->page - 1 > total / pg->per_page + 1 || s > total)
        s = total;
    size_t e = s + pg->per_page;
    if (e > total)
        e = total;
    *start = s;
    *end = e;
}

static void add_rel(mh_buf *b, const char *url, const char *extra, size_t per_page, size_t page,
                    const char *rel)
{
    if (b->len)
        mh_buf_puts(b, ", ");
    mh_buf_printf(b, "<%s?%s%sper_page=%zu&page=%zu>; rel=\"%s\"", url, extra ? extra : "",
                  extra && *extra ? "&" : "", per_page, page, rel);
}

char *mh_page_link(const mh_page *pg, size_t total, const char *url, const char *extra_query)
{
    size_t last = total == 0 ? 1 : (total + pg->per_page - 1) / pg->per_page;
    if (last <= 1 && pg->page == 1)
        return NULL;
    mh_buf b;
    mh_buf_init(&b);
    if (pg->page > 1) {
        add_rel(&b, url, extra_query, pg->per_page, pg->page - 1 < last ? pg->page - 1 : last,
                "prev");
    }
    if (pg->page < last)
        add_rel(&b, url, extra_query, pg->per_page, pg->page + 1, "next");
    if (pg->page < last)
        add_rel(&b, url, extra_query, pg->per_page, last, "last");
    if (pg->page > 1)
        add_rel(&b, url, extra_query, pg->per_page, 1, "first");
    return mh_buf_take(&b);
}
