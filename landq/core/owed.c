/* owed.c -- the ready feedback landq owes (see owed.h). */
#include "owed.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "str.h"

static long find(const lq_owed_set *s, const char *repo, int number)
{
    for (size_t i = 0; i < s->count; i++)
        if (s->items[i].number == number && !strcasecmp(s->items[i].repo, repo))
            return (long)i;
    return -1;
}

static void remove_at(lq_owed_set *s, size_t i)
{
    free(s->items[i].repo);
    s->items[i] = s->items[--s->count];
}

int lq_owed_ready(lq_owed_set *s, const char *repo, int number)
{
    long i = find(s, repo, number);
    if (i >= 0) {
        if (!s->items[i].due)
            return 0;
        remove_at(s, (size_t)i);
        return 1;
    }
    if (s->count == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 16;
        lq_owed *n = realloc(s->items, cap * sizeof(*n));
        if (!n)
            return -1;
        s->items = n;
        s->cap = cap;
    }
    char *r = lq_strdup(repo);
    if (!r)
        return -1;
    s->items[s->count++] = (lq_owed){r, number, 0};
    return 0;
}

int lq_owed_pending(const lq_owed_set *s, const char *repo, int number)
{
    long i = find(s, repo, number);
    return i >= 0 && !s->items[i].due;
}

void lq_owed_drop(lq_owed_set *s, const char *repo, int number)
{
    long i = find(s, repo, number);
    if (i >= 0)
        remove_at(s, (size_t)i);
}

void lq_owed_dispose(lq_owed_set *s)
{
    for (size_t i = 0; i < s->count; i++)
        free(s->items[i].repo);
    free(s->items);
    memset(s, 0, sizeof(*s));
}
