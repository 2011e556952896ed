/* mh_merge.h -- "include" for world files: a world (or a scenario's "world") may be
 * {"include": "worlds/acme-mono.json", ...overrides}. The overrides are merged over the included
 * world (pure; the file reading is mh_world_load's and sc_scenario_load's):
 *   - objects merge key by key, recursively; a key set to null is removed (RFC 7396);
 *   - arrays of named things merge by name: "users" and "orgs" by "login", "repos" by "full_name",
 *     "teams" by "slug", "apps" by "slug"; an entry naming an existing one merges into it, a new
 *     name is appended;
 *   - every other array, and every other value, replaces the included one.
 * Line maps (JSON pointer -> line) follow the values: a pointer of the result maps to the line of
 * the document its value came from. */
#ifndef MH_MERGE_H
#define MH_MERGE_H

#include <jansson.h>

/* Merges over onto base (neither is modified). base_lines / over_lines map pointers (relative to
 * base / over) to lines: integers (a line of the including file) or "FILE:LINE" strings; every
 * value is copied as is. Returns the merged document (new reference) and *lines_out (new). */
json_t *mh_merge_world(json_t *base, json_t *base_lines, json_t *over, json_t *over_lines, json_t **lines_out);

/* Rewrites a line map for a document read from `file`: integer lines become "FILE:LINE" strings
 * (as the lines of an included file appear in the including one). New reference. */
json_t *mh_merge_tag_lines(json_t *lines, const char *file);

/* The line map entries under pointer prefix `from`, re-rooted at `to` (e.g. "/world" -> "").
 * New reference. */
json_t *mh_merge_sub_lines(json_t *lines, const char *from, const char *to);

#endif
