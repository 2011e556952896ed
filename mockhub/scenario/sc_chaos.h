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
/* The same with `instances` landq (landq.instances; > 1: one PostgreSQL database), 1-3
 * kill_leader steps inserted at seeded places and a landing load appended (SC_CHAOS_LOAD); the
 * timeline is otherwise sc_chaos_generate(seed)'s.
 * instances <= 1: sc_chaos_generate(seed). */
json_t *sc_chaos_generate_ha(uint64_t seed, int instances);
/* The "note" of the landing-load steps sc_chaos_generate_ha appends (2-3 pull requests approved by
 * everyone else and labeled, so that kills meet merges). */
#define SC_CHAOS_LOAD "landing load (--instances)"

#endif
