/* Fuzz target: scenario files (mockhub/scenario/sc_scenario.c): parse + validate any bytes. Must
 * never crash or leak; every rejection carries at least one "FILE:LINE: ..." error; an accepted
 * scenario has a timeline whose steps all carry their line. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sc_scenario.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 256 * 1024)
        return 0;
    sc_errors errs;
    sc_errors_init(&errs);
    sc_scenario s;
    int rc = sc_scenario_parse(&s, (const char *)data, size, "fuzz.json", &errs);
    if (rc < 0) {
        if (!errs.n || strncmp(errs.items[0], "fuzz.json:", 10))
            __builtin_trap();
    } else {
        size_t i;
        json_t *st;
        json_array_foreach(s.steps, i, st) {
            if (json_integer_value(json_object_get(st, "_line")) < 1)
                __builtin_trap();
        }
        sc_scenario_dispose(&s);
    }
    sc_errors_dispose(&errs);
    json_t *lines = sc_json_lines((const char *)data, size);
    json_decref(lines);
    return 0;
}
