/* sc_scenario.h -- scenario files (docs/scenarios.md): a world, a timeline of steps and the
 * expectations, checked by `mockhub check` and played by `mockhub run`. Parsing and validation
 * are PURE (no I/O, no clocks): unit-tested (tests/unit/test_scenario.c) and fuzzed
 * (fuzz/fuzz_scenario.c). Every error names FILE:LINE, the JSON pointer and what is wrong; the
 * line is the line of the offending value (or of the nearest enclosing one, e.g. the step). */
#ifndef SC_SCENARIO_H
#define SC_SCENARIO_H

#include <jansson.h>
#include <stddef.h>

/* Errors collected by the validator (all of them, not just the first). Embedded; dispose with
 * sc_errors_dispose. Each item is an owned "FILE:LINE: /pointer: message" string. */
typedef struct {
    char **items;
    size_t n, cap;
} sc_errors;

void sc_errors_init(sc_errors *e);
void sc_errors_dispose(sc_errors *e);

/* A validated scenario. root and lines are owned: sc_scenario_dispose. */
typedef struct {
    json_t *root;  /* the document as written */
    json_t *steps; /* the timeline with "repeat" expanded (owned), each step has "_line" */
    json_t *lines; /* JSON pointer -> line */
    char *file;
} sc_scenario;

/* Parses and validates text[0..len) named `file` in messages. Returns 0 with *out filled, or -1
 * with at least one error appended to errs (*out is then empty). Never crashes on any input. */
int sc_scenario_parse(sc_scenario *out, const char *text, size_t len, const char *file,
                      sc_errors *errs);
/* Reads FILE then sc_scenario_parse (this one does I/O). */
int sc_scenario_load(sc_scenario *out, const char *file, sc_errors *errs);
void sc_scenario_dispose(sc_scenario *s);
/* Line of the value at JSON pointer ptr (or of its nearest ancestor that has one), >= 1. */
int sc_scenario_line(const json_t *lines, const char *ptr);

/* Lines of every value of a JSON text, keyed by JSON pointer ("" = the root, "/steps/3/as").
 * Pure; text must already be valid JSON for the lines to be meaningful. New reference. */
json_t *sc_json_lines(const char *text, size_t len);

/* The repository a scenario plays on: "repo", or the first repository of the world. Borrowed. */
const char *sc_scenario_repo(const json_t *root);
/* The landq user (default "landq-bot") and the landing label (default "land"). Borrowed. */
const char *sc_scenario_landq_user(const json_t *root);
const char *sc_scenario_label(const json_t *root);
/* landq.instances: how many `landq serve` share one PostgreSQL database (1..SC_MAX_INSTANCES,
 * default 1 = one landq on its own SQLite file). */
#define SC_MAX_INSTANCES 5
int sc_scenario_instances(const json_t *root);

/* Step kinds, in the order of docs/scenarios.md. NULL-terminated. */
extern const char *const sc_step_kinds[];

#endif
