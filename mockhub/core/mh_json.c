/* mh_json.c -- fast compact JSON serialiser (see mh_json.h). */
#include "mh_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int put_string(mh_buf *b, const char *s, size_t n)
{
    if (mh_buf_put(b, "\"", 1) < 0)
        return -1;
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        if (i > start && mh_buf_put(b, s + start, i - start) < 0)
            return -1;
        char esc[8];
        switch (c) {
        case '"': memcpy(esc, "\\\"", 3); break;
        case '\\': memcpy(esc, "\\\\", 3); break;
        case '\n': memcpy(esc, "\\n", 3); break;
        case '\r': memcpy(esc, "\\r", 3); break;
        case '\t': memcpy(esc, "\\t", 3); break;
        case '\b': memcpy(esc, "\\b", 3); break;
        case '\f': memcpy(esc, "\\f", 3); break;
        default: snprintf(esc, sizeof esc, "\\u%04X", c); break;
        }
        if (mh_buf_puts(b, esc) < 0)
            return -1;
        start = i + 1;
    }
    if (n > start && mh_buf_put(b, s + start, n - start) < 0)
        return -1;
    return mh_buf_put(b, "\"", 1);
}

int mh_json_write(mh_buf *b, const json_t *v)
{
    char num[64];
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        if (mh_buf_put(b, "{", 1) < 0)
            return -1;
        int first = 1;
        for (void *it = json_object_iter((json_t *)v); it; it = json_object_iter_next((json_t *)v, it)) {
            if (!first && mh_buf_put(b, ",", 1) < 0)
                return -1;
            first = 0;
            const char *k = json_object_iter_key(it);
            if (put_string(b, k, strlen(k)) < 0 || mh_buf_put(b, ":", 1) < 0 ||
                mh_json_write(b, json_object_iter_value(it)) < 0)
                return -1;
        }
        return mh_buf_put(b, "}", 1);
    }
    case JSON_ARRAY: {
        if (mh_buf_put(b, "[", 1) < 0)
            return -1;
        for (size_t i = 0; i < json_array_size(v); i++) {
            if ((i && mh_buf_put(b, ",", 1) < 0) || mh_json_write(b, json_array_get(v, i)) < 0)
                return -1;
        }
        return mh_buf_put(b, "]", 1);
    }
    case JSON_STRING:
        return put_string(b, json_string_value(v), json_string_length(v));
    case JSON_INTEGER:
        snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return mh_buf_puts(b, num);
    case JSON_REAL: {
        char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
        int rc = s ? mh_buf_puts(b, s) : -1;
        free(s);
        return rc;
    }
    case JSON_TRUE:
        return mh_buf_puts(b, "true");
    case JSON_FALSE:
        return mh_buf_puts(b, "false");
    case JSON_NULL:
        return mh_buf_puts(b, "null");
    }
    return -1;
}

char *mh_json_dumps(const json_t *v)
{
    mh_buf b;
    mh_buf_init(&b);
    if (mh_json_write(&b, v) < 0) {
        mh_buf_dispose(&b);
        return NULL;
    }
    return mh_buf_take(&b);
}
