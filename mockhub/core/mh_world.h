/* mh_world.h -- the world file: users, orgs, teams, repositories, hooks, limits and faults that
 * seed mockhub (format: docs/world.md). Parsing and validation are pure; every error names
 * FILE:LINE and the JSON path of the offending value. */
#ifndef MH_WORLD_H
#define MH_WORLD_H

#include <jansson.h>
#include <stddef.h>

typedef struct {
    json_t *root;  /* validated document (owned) */
    json_t *lines; /* JSON pointer ("/repos/0/name") -> line number (owned) */
    char *file;    /* owned */
} mh_world;

/* Parses and validates `text` (len bytes) named `file` in messages. Returns 0, or -1 with
 * "FILE:LINE: path: message" in err. On success *out owns everything: mh_world_dispose. */
int mh_world_parse(mh_world *out, const char *text, size_t len, const char *file, char *err,
                   size_t errlen);
/* Reads FILE (I/O), resolves its "include" chain (mh_world_resolve_include) and validates the
 * result; errors in included values name the included file and its line. */
int mh_world_load(mh_world *out, const char *file, char *err, size_t errlen);
/* {"include": "worlds/acme-mono.json", ...overrides}: reads the included world (found next to
 * `file`, else in the nearest directory above that holds it), resolves its own includes (8 deep at
 * most, no cycles) and merges the overrides over it (mh_merge.h). doc's line map `lines` (pointers
 * relative to doc; int lines in `file`) follows. Without "include", *out and *out_lines are doc and
 * lines (new references). Returns 0, or -1 with "FILE:LINE: /include: why" in err. I/O. */
int mh_world_resolve_include(json_t *doc, json_t *lines, const char *file, json_t **out, json_t **out_lines,
                             char *err, size_t errlen);
void mh_world_dispose(mh_world *w);
/* Line of the value at JSON pointer `ptr`, or 0 if unknown (or in an included file). */
int mh_world_line(const mh_world *w, const char *ptr);
/* "FILE:LINE" of the value at ptr, or of its nearest ancestor that has one (included files too). */
void mh_world_where(const mh_world *w, const char *ptr, char *out, size_t outlen);

/* Role names in increasing power: "read" = 1 ... "admin" = 5; 0 for unknown. */
int mh_role_level(const char *role);
const char *mh_role_name(int level);

#endif
