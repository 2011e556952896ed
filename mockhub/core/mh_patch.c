/* mh_patch.c -- review comment positions in a unified diff (see mh_patch.h). */
#include "mh_patch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Walks the patch line by line. For each diff line calls visit(); stops when it returns 1. */
typedef int (*visit_fn)(void *ud, int position, int old_line, int new_line, char origin,
                        const char *hunk_start, const char *line_end);

static void walk(const char *patch, visit_fn visit, void *ud)
{
    int position = -1, old_line = 0, new_line = 0;
    const char *hunk = NULL;
    for (const char *p = patch; p && *p;) {
        const char *nl = strchr(p, '\n');
        const char *end = nl ? nl : p + strlen(p);
        if (!strncmp(p, "@@", 2)) {
            int a = 0, c = 0;
            if (sscanf(p, "@@ -%d%*[^+]+%d", &a, &c) == 2) {
                old_line = a;
                new_line = c;
                hunk = p;
            }
            position++; /* the first header is position 0; later headers count */
        } else if (hunk && position >= 0 && (*p == ' ' || *p == '+' || *p == '-')) {
            position++;
            char origin = *p;
            int o = origin == '+' ? 0 : old_line, n = origin == '-' ? 0 : new_line;
            if (visit(ud, position, o, n, origin, hunk, end))
                return;
            if (origin != '+')
                old_line++;
            if (origin != '-')
                new_line++;
        } else if (hunk && *p == '\\') { /* "\ No newline at end of file" is not a line */
        }
        p = nl ? nl + 1 : end;
    }
}

typedef struct {
    int want_line, want_side, want_position;
    mh_patch_spot *out;
    int found;
} find_ctx;

static char *dup_range(const char *a, const char *b)
{
    size_t n = (size_t)(b - a);
    char *s = malloc(n + 1);
    if (s) {
        memcpy(s, a, n);
        s[n] = '\0';
    }
    return s;
}

static int visit_line(void *ud, int position, int old_line, int new_line, char origin, const char *hunk,
                      const char *end)
{
    find_ctx *f = ud;
    int hit = f->want_side == MH_SIDE_RIGHT ? (origin != '-' && new_line == f->want_line)
                                            : (origin != '+' && old_line == f->want_line);
    if (!hit)
        return 0;
    f->out->position = position;
    f->out->line = f->want_line;
    f->out->side = f->want_side;
    f->out->hunk = dup_range(hunk, end);
    f->found = f->out->hunk != NULL;
    return 1;
}

static int visit_position(void *ud, int position, int old_line, int new_line, char origin, const char *hunk,
                          const char *end)
{
    find_ctx *f = ud;
    if (position != f->want_position)
        return position > f->want_position;
    f->out->position = position;
    f->out->side = origin == '-' ? MH_SIDE_LEFT : MH_SIDE_RIGHT;
    f->out->line = origin == '-' ? old_line : new_line;
    f->out->hunk = dup_range(hunk, end);
    f->found = f->out->hunk != NULL;
    return 1;
}

int mh_patch_find_line(const char *patch, int line, int side, mh_patch_spot *out)
{
    memset(out, 0, sizeof *out);
    if (!patch || line < 1 || (side != MH_SIDE_LEFT && side != MH_SIDE_RIGHT))
        return -1;
    find_ctx f = {line, side, 0, out, 0};
    walk(patch, visit_line, &f);
    return f.found ? 0 : -1;
}

int mh_patch_find_position(const char *patch, int position, mh_patch_spot *out)
{
    memset(out, 0, sizeof *out);
    if (!patch || position < 1)
        return -1;
    find_ctx f = {0, 0, position, out, 0};
    walk(patch, visit_position, &f);
    return f.found ? 0 : -1;
}
