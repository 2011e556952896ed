/* sc_chaos.h -- random scenarios for `mockhub chaos`: a random world (files, CODEOWNERS, users,
 * a team) and a random timeline (pull requests, reviews, labels from random users, pushes,
 * conflicting commits, checks, faults). PURE and deterministic: the same seed gives the same
 * scenario, byte for byte, so a failing seed can be replayed and committed as a scenario file. */
#ifndef SC_CHAOS_H
#define SC_CHAOS_H

#include <jansson.h>
#include <stdint.h>

/* A scenario document (new reference) for seed; valid for sc_scenario_parse. */
json_t *sc_chaos_generate(uint64_t seed);

#endif
