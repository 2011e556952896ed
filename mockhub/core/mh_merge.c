/* mh_merge.c -- merging a world's overrides over an included world (see mh_merge.h). */
#include "mh_merge.h"
#include "mh_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

json_t *mh_merge_sub_lines(json_t *lines, const char *from, const char *to)
{
    json_t *out = json_object();
    size_t fl = strlen(from);
    const char *k;
    json_t *v;
    json_object_foreach(lines, k, v) {
        if (strncmp(k, from, fl) != 0 || (k[fl] != '\0' && k[fl] != '/'))
            continue;
        mh_buf b;
        mh_buf_init(&b);
        mh_buf_puts(&b, to);
        mh_buf_puts(&b, k + fl);
        if (b.ptr)
            json_object_set(out, b.ptr, v);
        mh_buf_dispose(&b);
    }
    return out;
}

json_t *mh_merge_tag_lines(json_t *lines, const char *file)
{
    json_t *out = json_object();
    const char *k;
    json_t *v;
    json_object_foreach(lines, k, v) {
        if (json_is_integer(v)) {
            char loc[1200];
            snprintf(loc, sizeof loc, "%s:%lld", file, (long long)json_integer_value(v));
            json_object_set_new(out, k, json_string(loc));
        } else {
            json_object_set(out, k, v);
        }
    }
    return out;
}

/* Copies the line entries of the subtree at src_ptr (in src_lines) to dst_ptr in out. */
static void copy_lines(json_t *out, json_t *src_lines, const char *src_ptr, const char *dst_ptr)
{
    json_t *sub = mh_merge_sub_lines(src_lines, src_ptr, dst_ptr);
    json_object_update(out, sub);
    json_decref(sub);
}

static void ptr_child(char *out, size_t n, const char *base, const char *key)
{
    mh_buf b;
    mh_buf_init(&b);
    mh_buf_puts(&b, base);
    mh_buf_puts(&b, "/");
    for (const char *p = key; *p; p++) {
        if (*p == '~')
            mh_buf_puts(&b, "~0");
        else if (*p == '/')
            mh_buf_puts(&b, "~1");
        else
            mh_buf_put(&b, p, 1);
    }
    snprintf(out, n, "%s", b.ptr ? b.ptr : "");
    mh_buf_dispose(&b);
}

/* The key naming the entries of an array held under `key`, or NULL (the array is replaced). */
static const char *name_key(const char *key)
{
    static const char *const map[][2] = {{"users", "login"}, {"orgs", "login"}, {"repos", "full_name"},
                                         {"teams", "slug"}, {"apps", "slug"}};
    for (size_t i = 0; key && i < sizeof map / sizeof *map; i++)
        if (!strcmp(map[i][0], key))
            return map[i][1];
    return NULL;
}

typedef struct {
    json_t *base_lines, *over_lines, *out_lines;
} mctx;

/* The line of a merged container: where the overrides wrote it, else where the base had it. */
static void set_line(mctx *m, const char *dp, const char *op, const char *bp)
{
    json_t *l = json_object_get(m->over_lines, op);
    if (!l)
        l = json_object_get(m->base_lines, bp);
    if (l)
        json_object_set(m->out_lines, dp, l);
}

static json_t *merge(mctx *m, json_t *base, const char *bp, json_t *over, const char *op, const char *dp,
                     const char *key);

static json_t *merge_named_arrays(mctx *m, json_t *base, const char *bp, json_t *over, const char *op, const char *dp,
                                  const char *nk)
{
    json_t *out = json_array();
    json_t *used = json_array(); /* over indexes merged into a base entry */
    size_t i, j;
    json_t *b, *o;
    set_line(m, dp, op, bp);
    json_array_foreach(base, i, b) {
        char bpi[1024], dpi[1024];
        snprintf(bpi, sizeof bpi, "%s/%zu", bp, i);
        snprintf(dpi, sizeof dpi, "%s/%zu", dp, i);
        const char *name = json_string_value(json_object_get(b, nk));
        json_t *match = NULL;
        size_t mi = 0;
        json_array_foreach(over, j, o) {
            const char *on = json_string_value(json_object_get(o, nk));
            if (!match && name && on && mh_streq_ci(name, on)) {
                match = o;
                mi = j;
            }
        }
        if (match) {
            char opi[1024];
            snprintf(opi, sizeof opi, "%s/%zu", op, mi);
            json_t *e = merge(m, b, bpi, match, opi, dpi, NULL);
            json_object_set(e, nk, json_object_get(b, nk)); /* the name as the included world spells it */
            json_array_append_new(out, e);
            json_array_append_new(used, json_integer((json_int_t)mi));
        } else {
            json_array_append(out, b);
            copy_lines(m->out_lines, m->base_lines, bpi, dpi);
        }
    }
    json_array_foreach(over, j, o) {
        int merged = 0;
        size_t k;
        json_t *u;
        json_array_foreach(used, k, u) merged |= (size_t)json_integer_value(u) == j;
        if (merged)
            continue;
        char opj[1024], dpj[1024];
        snprintf(opj, sizeof opj, "%s/%zu", op, j);
        snprintf(dpj, sizeof dpj, "%s/%zu", dp, json_array_size(out));
        json_array_append(out, o);
        copy_lines(m->out_lines, m->over_lines, opj, dpj);
    }
    json_decref(used);
    return out;
}

/* Merges over (at op) onto base (at bp) into the result at dp; key is the member name holding
 * the value (it decides how arrays merge). Returns a new reference. */
static json_t *merge(mctx *m, json_t *base, const char *bp, json_t *over, const char *op, const char *dp,
                     const char *key)
{
    if (json_is_object(base) && json_is_object(over)) {
        json_t *out = json_object();
        set_line(m, dp, op, bp);
        const char *k;
        json_t *v;
        json_object_foreach(base, k, v) {
            char bpk[1024], opk[1024], dpk[1024];
            ptr_child(bpk, sizeof bpk, bp, k);
            ptr_child(opk, sizeof opk, op, k);
            ptr_child(dpk, sizeof dpk, dp, k);
            json_t *ov = json_object_get(over, k);
            if (!ov) {
                json_object_set(out, k, v);
                copy_lines(m->out_lines, m->base_lines, bpk, dpk);
            } else if (!json_is_null(ov)) {
                json_object_set_new(out, k, merge(m, v, bpk, ov, opk, dpk, k));
            } /* null: removed */
        }
        json_object_foreach(over, k, v) {
            if (json_object_get(base, k) || json_is_null(v))
                continue;
            char opk[1024], dpk[1024];
            ptr_child(opk, sizeof opk, op, k);
            ptr_child(dpk, sizeof dpk, dp, k);
            json_object_set(out, k, v);
            copy_lines(m->out_lines, m->over_lines, opk, dpk);
        }
        return out;
    }
    const char *nk = name_key(key);
    if (nk && json_is_array(base) && json_is_array(over))
        return merge_named_arrays(m, base, bp, over, op, dp, nk);
    copy_lines(m->out_lines, m->over_lines, op, dp);
    return json_incref(over);
}

json_t *mh_merge_world(json_t *base, json_t *base_lines, json_t *over, json_t *over_lines, json_t **lines_out)
{
    mctx m = {base_lines, over_lines, json_object()};
    json_t *out = merge(&m, base, "", over, "", "", NULL);
    *lines_out = m.out_lines;
    return out;
}
