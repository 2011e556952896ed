/* dburl.c -- SQLite path or PostgreSQL target; password redaction (pure). */
#include "dburl.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

static int is_uri(const char *t)
{
    return !strncasecmp(t, "postgresql://", 13) || !strncasecmp(t, "postgres://", 11);
}

/* "key=" or "key =" at the start (after white space): a libpq keyword/value string. */
static int is_conninfo(const char *t)
{
    while (isspace((unsigned char)*t))
        t++;
    if (!isalpha((unsigned char)*t) && *t != '_')
        return 0;
    while (isalnum((unsigned char)*t) || *t == '_')
        t++;
    while (*t == ' ' || *t == '\t')
        t++;
    return *t == '=';
}

lq_db_kind lq_dburl_kind(const char *target)
{
    if (!target || !strncmp(target, "sqlite:", 7))
        return LQ_DB_SQLITE;
    return is_uri(target) || is_conninfo(target) ? LQ_DB_POSTGRESQL : LQ_DB_SQLITE;
}

const char *lq_dburl_path(const char *target)
{
    return target && !strncmp(target, "sqlite:", 7) ? target + 7 : target;
}

typedef struct sink {
    char *out;
    size_t cap, len;
} sink;

static void put(sink *s, const char *p, size_t n)
{
    for (size_t i = 0; i < n && s->len + 1 < s->cap; i++)
        s->out[s->len++] = p[i];
    s->out[s->len] = '\0';
}

static void redact_uri(sink *s, const char *t)
{
    const char *auth = strstr(t, "://") + 3;
    put(s, t, (size_t)(auth - t));
    size_t alen = strcspn(auth, "/?#");
    const char *at = NULL;
    for (size_t i = 0; i < alen; i++)
        if (auth[i] == '@')
            at = auth + i;
    const char *colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
    if (colon) {
        put(s, auth, (size_t)(colon - auth) + 1);
        put(s, "***", 3);
        put(s, at, (size_t)(auth + alen - at));
    } else {
        put(s, auth, alen);
    }
    const char *p = auth + alen;
    size_t path = strcspn(p, "?#");
    put(s, p, path);
    p += path;
    /* query parameters: password=VALUE */
    while (*p) {
        size_t seg = strcspn(p + 1, "&#") + 1; /* p points at '?', '&' or '#' */
        if (*p != '#' && !strncmp(p + 1, "password=", 9)) {
            put(s, p, 10);
            put(s, "***", 3);
        } else {
            put(s, p, seg);
        }
        if (*p == '#') { /* fragment: copy the rest as is */
            put(s, p + seg, strlen(p + seg));
            break;
        }
        p += seg;
    }
}

static void redact_conninfo(sink *s, const char *t)
{
    const char *p = t;
    while (*p) {
        const char *start = p;
        while (isspace((unsigned char)*p))
            p++;
        const char *key = p;
        while (*p && *p != '=' && !isspace((unsigned char)*p))
            p++;
        size_t klen = (size_t)(p - key);
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p != '=') { /* not key=value: copy the rest unchanged */
            put(s, start, strlen(start));
            return;
        }
        p++;
        while (*p == ' ' || *p == '\t')
            p++;
        const char *val = p;
        if (*p == '\'') {
            for (p++; *p && *p != '\''; p++)
                if (*p == '\\' && p[1])
                    p++;
            if (*p)
                p++;
        } else {
            while (*p && !isspace((unsigned char)*p))
                p++;
        }
        put(s, start, (size_t)(val - start));
        if (klen == 8 && !strncmp(key, "password", 8))
            put(s, "***", 3);
        else
            put(s, val, (size_t)(p - val));
    }
}

char *lq_dburl_redact(const char *target, char *out, size_t cap)
{
    if (!cap)
        return out;
    sink s = {out, cap, 0};
    out[0] = '\0';
    if (!target)
        return out;
    if (lq_dburl_kind(target) != LQ_DB_POSTGRESQL)
        put(&s, target, strlen(target));
    else if (is_uri(target))
        redact_uri(&s, target);
    else
        redact_conninfo(&s, target);
    return out;
}
