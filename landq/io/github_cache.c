/* github_cache.c -- the GitHub REST client's ETag cache: GET answers by URL, replayed when
 * GitHub answers 304 Not Modified (which costs no rate limit). Bounded: cleared when full. */
#include "github_int.h"

#include <stdlib.h>
#include <string.h>

#include "str.h"

static unsigned hash_str(const char *s)
{
    unsigned h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

cache_entry *lq_github_cache_find(lq_github *gh, const char *url)
{
    for (cache_entry *e = gh->cache[hash_str(url) % CACHE_BUCKETS]; e; e = e->next)
        if (!strcmp(e->url, url))
            return e;
    return NULL;
}

void lq_github_cache_clear(lq_github *gh)
{
    for (size_t i = 0; i < CACHE_BUCKETS; i++) {
        cache_entry *e = gh->cache[i];
        while (e) {
            cache_entry *n = e->next;
            free(e->url);
            free(e->etag);
            free(e->link_next);
            json_decref(e->json);
            free(e);
            e = n;
        }
        gh->cache[i] = NULL;
    }
    gh->cache_count = 0;
}

/* Stores (url, etag, next, json); takes a new reference to json. Failures only lose the
 * cache. */
void lq_github_cache_put(lq_github *gh, const char *url, const char *etag, const char *next,
                         json_t *json)
{
    cache_entry *e = lq_github_cache_find(gh, url);
    if (e) {
        char *t = lq_strdup(etag);
        char *nx = next && *next ? lq_strdup(next) : NULL;
        if (!t || (next && *next && !nx)) {
            free(t);
            free(nx);
            return;
        }
        free(e->etag);
        free(e->link_next);
        e->etag = t;
        e->link_next = nx;
        json_decref(e->json);
        e->json = json_incref(json);
        return;
    }
    if (gh->cache_count >= CACHE_MAX_ENTRIES)
        lq_github_cache_clear(gh); /* crude but bounded */
    e = calloc(1, sizeof(*e));
    if (!e)
        return;
    e->url = lq_strdup(url);
    e->etag = lq_strdup(etag);
    if (!e->url || !e->etag) {
        free(e->url);
        free(e->etag);
        free(e);
        return;
    }
    if (next && *next && !(e->link_next = lq_strdup(next))) {
        free(e->url);
        free(e->etag);
        free(e);
        return;
    }
    e->json = json_incref(json);
    unsigned b = hash_str(url) % CACHE_BUCKETS;
    e->next = gh->cache[b];
    gh->cache[b] = e;
    gh->cache_count++;
}

