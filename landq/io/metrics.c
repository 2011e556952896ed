/* metrics.c -- Prometheus registry (see metrics.h). */
#include "metrics.h"

#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct series {
    char *labels;    /* "" when none */
    double value;    /* counter / gauge; histogram: sum */
    double count;    /* histogram: number of observations */
    double *buckets; /* histogram: cumulative per bound (nbuckets) */
} series;

typedef struct family {
    char *name, *help;
    lq_metric_type type;
    double *bounds;
    size_t nbounds;
    series *s;
    size_t ns;
} family;

struct lq_metrics {
    pthread_mutex_t lock;
    family *f;
    size_t nf;
};

static char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}

lq_metrics *lq_metrics_new(void)
{
    lq_metrics *m = calloc(1, sizeof(*m));
    if (m)
        pthread_mutex_init(&m->lock, NULL);
    return m;
}

static void family_clear(family *f)
{
    for (size_t i = 0; i < f->ns; i++) {
        free(f->s[i].labels);
        free(f->s[i].buckets);
    }
    free(f->s);
    f->s = NULL;
    f->ns = 0;
}

void lq_metrics_free(lq_metrics *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->nf; i++) {
        family_clear(&m->f[i]);
        free(m->f[i].name);
        free(m->f[i].help);
        free(m->f[i].bounds);
    }
    free(m->f);
    pthread_mutex_destroy(&m->lock);
    free(m);
}

static family *find_family(lq_metrics *m, const char *name)
{
    for (size_t i = 0; i < m->nf; i++)
        if (!strcmp(m->f[i].name, name))
            return &m->f[i];
    return NULL;
}

int lq_metrics_describe(lq_metrics *m, const char *name, lq_metric_type type, const char *help,
                        const double *buckets, size_t nbuckets)
{
    if (!m)
        return -1;
    pthread_mutex_lock(&m->lock);
    int rc = -1;
    family *nf = NULL;
    if (!find_family(m, name) && (nf = realloc(m->f, (m->nf + 1) * sizeof(*nf)))) {
        m->f = nf;
        family *f = &m->f[m->nf];
        memset(f, 0, sizeof(*f));
        f->name = xstrdup(name);
        f->help = xstrdup(help ? help : "");
        f->type = type;
        if (type == LQ_METRIC_HISTOGRAM && nbuckets) {
            f->bounds = malloc(nbuckets * sizeof(double));
            if (f->bounds) {
                memcpy(f->bounds, buckets, nbuckets * sizeof(double));
                f->nbounds = nbuckets;
            }
        }
        if (f->name && f->help && (type != LQ_METRIC_HISTOGRAM || !nbuckets || f->bounds)) {
            m->nf++;
            rc = 0;
        } else {
            free(f->name);
            free(f->help);
            free(f->bounds);
        }
    }
    pthread_mutex_unlock(&m->lock);
    return rc;
}

int lq_metrics_get(lq_metrics *m, const char *name, const char *labels, double *out)
{
    if (!m || !name)
        return -1;
    int rc = -1;
    pthread_mutex_lock(&m->lock);
    family *f = find_family(m, name);
    for (size_t i = 0; f && i < f->ns && rc; i++)
        if (!strcmp(f->s[i].labels, labels ? labels : "")) {
            *out = f->s[i].value;
            rc = 0;
        }
    pthread_mutex_unlock(&m->lock);
    return rc;
}

/* Series of (family, labels), created on first use. Lock held. */
static series *get_series(family *f, const char *labels)
{
    const char *l = labels ? labels : "";
    for (size_t i = 0; i < f->ns; i++)
        if (!strcmp(f->s[i].labels, l))
            return &f->s[i];
    series *ns = realloc(f->s, (f->ns + 1) * sizeof(*ns));
    if (!ns)
        return NULL;
    f->s = ns;
    series *s = &f->s[f->ns];
    memset(s, 0, sizeof(*s));
    s->labels = xstrdup(l);
    if (f->nbounds)
        s->buckets = calloc(f->nbounds, sizeof(double));
    if (!s->labels || (f->nbounds && !s->buckets)) {
        free(s->labels);
        free(s->buckets);
        return NULL;
    }
    f->ns++;
    return s;
}

static void update(lq_metrics *m, const char *name, const char *labels, double v, int op)
{
    if (!m || !name)
        return;
    pthread_mutex_lock(&m->lock);
    family *f = find_family(m, name);
    series *s = f ? get_series(f, labels) : NULL;
    if (s) {
        if (op == 0) {
            s->value += v;
        } else if (op == 1) {
            s->value = v;
        } else {
            s->value += v;
            s->count += 1;
            for (size_t i = 0; i < f->nbounds; i++)
                if (v <= f->bounds[i])
                    s->buckets[i] += 1;
        }
    }
    pthread_mutex_unlock(&m->lock);
}

void lq_metrics_add(lq_metrics *m, const char *name, const char *labels, double by)
{
    update(m, name, labels, by, 0);
}

void lq_metrics_set(lq_metrics *m, const char *name, const char *labels, double value)
{
    update(m, name, labels, value, 1);
}

void lq_metrics_observe(lq_metrics *m, const char *name, const char *labels, double value)
{
    update(m, name, labels, value, 2);
}

void lq_metrics_clear(lq_metrics *m, const char *name)
{
    if (!m)
        return;
    pthread_mutex_lock(&m->lock);
    family *f = find_family(m, name);
    if (f)
        family_clear(f);
    pthread_mutex_unlock(&m->lock);
}

static size_t escape_into(char *out, size_t cap, size_t at, const char *v)
{
    for (const char *p = v ? v : ""; *p && at + 3 < cap; p++) {
        if (*p == '\\' || *p == '"') {
            out[at++] = '\\';
            out[at++] = *p;
        } else if (*p == '\n') {
            out[at++] = '\\';
            out[at++] = 'n';
        } else {
            out[at++] = *p;
        }
    }
    return at;
}

char *lq_metrics_label2(char *out, size_t cap, const char *k1, const char *v1, const char *k2,
                        const char *v2)
{
    if (!cap)
        return out;
    size_t at = 0;
    const char *ks[2] = {k1, k2}, *vs[2] = {v1, v2};
    for (int i = 0; i < 2 && ks[i]; i++) {
        int n = snprintf(out + at, cap - at, "%s%s=\"", i ? "," : "", ks[i]);
        if (n < 0 || (size_t)n >= cap - at) {
            out[0] = '\0';
            return out;
        }
        at = escape_into(out, cap, at + (size_t)n, vs[i]);
        if (at + 1 < cap)
            out[at++] = '"';
    }
    out[at < cap ? at : cap - 1] = '\0';
    return out;
}

char *lq_metrics_label(char *out, size_t cap, const char *key, const char *value)
{
    return lq_metrics_label2(out, cap, key, value, NULL, NULL);
}

typedef struct buf {
    char *p;
    size_t len, cap;
    int failed;
} buf;

static void put(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(buf *b, const char *fmt, ...)
{
    if (b->failed)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->failed = 1;
            return;
        }
        if (b->p && (size_t)n < b->cap - b->len) {
            b->len += (size_t)n;
            return;
        }
        size_t nc = (b->cap ? b->cap * 2 : 4096) + (size_t)n;
        char *np = realloc(b->p, nc);
        if (!np) {
            b->failed = 1;
            return;
        }
        b->p = np;
        b->cap = nc;
    }
}

static void num(char *out, size_t cap, double v)
{
    if (isinf(v))
        snprintf(out, cap, "%s", v > 0 ? "+Inf" : "-Inf");
    else if (v == (double)(long long)v && (v < 0 ? -v : v) < 1e15)
        snprintf(out, cap, "%lld", (long long)v);
    else
        snprintf(out, cap, "%.6g", v);
}

char *lq_metrics_text(lq_metrics *m)
{
    buf b = {0};
    put(&b, "%s", "");
    if (!m)
        return b.p;
    static const char *const types[] = {"counter", "gauge", "histogram"};
    pthread_mutex_lock(&m->lock);
    for (size_t i = 0; i < m->nf; i++) {
        family *f = &m->f[i];
        put(&b, "# HELP %s %s\n# TYPE %s %s\n", f->name, f->help, f->name, types[f->type]);
        for (size_t k = 0; k < f->ns; k++) {
            series *s = &f->s[k];
            char v[64];
            const char *l = s->labels;
            if (f->type != LQ_METRIC_HISTOGRAM) {
                num(v, sizeof v, s->value);
                put(&b, "%s%s%s%s %s\n", f->name, *l ? "{" : "", l, *l ? "}" : "", v);
                continue;
            }
            for (size_t j = 0; j <= f->nbounds; j++) {
                char le[64], c[64];
                num(le, sizeof le, j < f->nbounds ? f->bounds[j] : INFINITY);
                num(c, sizeof c, j < f->nbounds ? s->buckets[j] : s->count);
                put(&b, "%s_bucket{%s%sle=\"%s\"} %s\n", f->name, l, *l ? "," : "", le, c);
            }
            num(v, sizeof v, s->value);
            put(&b, "%s_sum%s%s%s %s\n", f->name, *l ? "{" : "", l, *l ? "}" : "", v);
            num(v, sizeof v, s->count);
            put(&b, "%s_count%s%s%s %s\n", f->name, *l ? "{" : "", l, *l ? "}" : "", v);
        }
    }
    pthread_mutex_unlock(&m->lock);
    if (b.failed) {
        free(b.p);
        return NULL;
    }
    return b.p;
}
