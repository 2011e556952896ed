/* board.c -- the worker's last evaluations, kept for the queue pages (see board.h). */
#include "board.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct entry {
    char *repo;
    int number;
    char *text;     /* the explain object as compact JSON */
    uint64_t stamp; /* version of the last update (eviction order) */
} entry;

struct lq_board {
    pthread_mutex_t lock;
    entry *v;
    size_t n, cap;
    uint64_t version; /* changes */
    uint64_t clock;   /* puts: eviction order */
};

lq_board *lq_board_new(void)
{
    lq_board *b = calloc(1, sizeof(*b));
    if (b && pthread_mutex_init(&b->lock, NULL)) {
        free(b);
        return NULL;
    }
    return b;
}

void lq_board_free(lq_board *b)
{
    if (!b)
        return;
    for (size_t i = 0; i < b->n; i++) {
        free(b->v[i].repo);
        free(b->v[i].text);
    }
    free(b->v);
    pthread_mutex_destroy(&b->lock);
    free(b);
}

static entry *find(lq_board *b, const char *repo, int number)
{
    for (size_t i = 0; i < b->n; i++) /* a queue holds hundreds, not millions */
        if (b->v[i].number == number && !strcasecmp(b->v[i].repo, repo))
            return &b->v[i];
    return NULL;
}

static void remove_at(lq_board *b, size_t i)
{
    free(b->v[i].repo);
    free(b->v[i].text);
    b->v[i] = b->v[--b->n];
}

/* The explain object as text, without the per-file list when it is too large. */
static char *dump(const json_t *explain)
{
    char *text = json_dumps(explain, JSON_COMPACT);
    if (text && strlen(text) > LQ_BOARD_TEXT_MAX) {
        free(text);
        json_t *copy = json_copy((json_t *)explain);
        if (!copy)
            return NULL;
        json_object_set_new(copy, "files", json_array());
        json_object_set_new(copy, "files_omitted", json_true());
        text = json_dumps(copy, JSON_COMPACT);
        json_decref(copy);
    }
    return text;
}

int lq_board_put(lq_board *b, const char *repo, int number, const json_t *explain, lq_error *err)
{
    if (!b)
        return LQ_OK;
    if (!repo || !explain)
        return lq_error_set(err, LQ_EINVAL, "board: repository and evaluation needed");
    char *text = dump(explain);
    char *r = strdup(repo);
    if (!text || !r) {
        free(text);
        free(r);
        return lq_error_set(err, LQ_ENOMEM, "out of memory");
    }
    pthread_mutex_lock(&b->lock);
    entry *e = find(b, repo, number);
    if (!e && b->n >= LQ_BOARD_MAX) {
        size_t oldest = 0;
        for (size_t i = 1; i < b->n; i++)
            if (b->v[i].stamp < b->v[oldest].stamp)
                oldest = i;
        remove_at(b, oldest);
    }
    if (!e && b->n == b->cap) {
        size_t nc = b->cap ? b->cap * 2 : 64;
        entry *nv = realloc(b->v, nc * sizeof(*nv));
        if (!nv) {
            pthread_mutex_unlock(&b->lock);
            free(text);
            free(r);
            return lq_error_set(err, LQ_ENOMEM, "out of memory");
        }
        b->v = nv;
        b->cap = nc;
    }
    if (!e) {
        e = &b->v[b->n++];
        e->repo = r;
        e->number = number;
        e->text = NULL;
        r = NULL;
    }
    int changed = !e->text || strcmp(e->text, text);
    free(e->text);
    e->text = text;
    if (changed)
        b->version++;
    e->stamp = ++b->clock;
    pthread_mutex_unlock(&b->lock);
    free(r);
    return LQ_OK;
}

void lq_board_drop(lq_board *b, const char *repo, int number)
{
    if (!b || !repo)
        return;
    pthread_mutex_lock(&b->lock);
    for (size_t i = 0; i < b->n; i++)
        if (b->v[i].number == number && !strcasecmp(b->v[i].repo, repo)) {
            remove_at(b, i);
            b->version++;
            break;
        }
    pthread_mutex_unlock(&b->lock);
}

json_t *lq_board_get(lq_board *b, const char *repo, int number)
{
    if (!b || !repo)
        return NULL;
    char *text = NULL;
    pthread_mutex_lock(&b->lock);
    entry *e = find(b, repo, number);
    if (e)
        text = strdup(e->text);
    pthread_mutex_unlock(&b->lock);
    if (!text)
        return NULL;
    json_t *o = json_loads(text, 0, NULL);
    free(text);
    return o;
}

uint64_t lq_board_version(lq_board *b)
{
    if (!b)
        return 0;
    pthread_mutex_lock(&b->lock);
    uint64_t v = b->version;
    pthread_mutex_unlock(&b->lock);
    return v;
}

void lq_board_touch(lq_board *b)
{
    if (!b)
        return;
    pthread_mutex_lock(&b->lock);
    b->version++;
    pthread_mutex_unlock(&b->lock);
}
