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
/* Reads FILE and parses it. */
int mh_world_load(mh_world *out, const char *file, char *err, size_t errlen);
void mh_world_dispose(mh_world *w);
/* Line of the value at JSON pointer `ptr`, or 0 if unknown. */
int mh_world_line(const mh_world *w, const char *ptr);

/* Role names in increasing power: "read" = 1 ... "admin" = 5; 0 for unknown. */
int mh_role_level(const char *role);
const char *mh_role_name(int level);

#endif
