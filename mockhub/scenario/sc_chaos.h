/* sc_chaos.h -- random scenarios for `mockhub chaos`: a random world (files, CODEOWNERS, users,
 * a team) and a random timeline (pull requests, reviews, labels from random users, pushes,
 * conflicting commits, checks, faults). PURE and deterministic: the same seed gives the same
 * scenario, byte for byte, so a failing seed can be replayed and committed as a scenario file. */
#ifndef SC_CHAOS_H
#define SC_CHAOS_H

#include <jansson.h>
#include <stdint.h>

/* What landq and the world are (mockhub chaos --mode). */
typedef enum {
    SC_CHAOS_DIRECT,     /* landq in direct mode, no CI simulator (ci-bot posts statuses) */
    SC_CHAOS_PREDICTIVE, /* a world `ci` section (SC_CHAOS_CHECK required; rules: a broken marker,
                          * marker pairs that fail together, a seeded flake rate), marker files in
                          * some pull requests, landq in predictive mode with a seeded speculation,
                          * batch and retry_failed */
    SC_CHAOS_DIRECT_CI,  /* the same world and timeline, landq in direct mode: conflicting pairs
                          * land and main goes red (invariant 6 fails: the oracle at work) */
} sc_chaos_mode;

/* The check context of the CI modes' simulator (landq's required check). */
#define SC_CHAOS_CHECK "ci/test"

/* A scenario document (new reference) for seed; valid for sc_scenario_parse. */
json_t *sc_chaos_generate(uint64_t seed);
/* The same in a mode; SC_CHAOS_DIRECT is sc_chaos_generate. The CI modes draw the markers, the CI
 * section and landq's settings from a generator of their own: the timeline is the direct seed's,
 * with marker files added to some pull requests and pushes (and ci-bot's statuses named ci/lint). */
json_t *sc_chaos_generate_mode(uint64_t seed, sc_chaos_mode mode);
/* sc_chaos_generate_ha in a mode. */
json_t *sc_chaos_generate_with(uint64_t seed, int instances, sc_chaos_mode mode);
/* The same with `instances` landq (landq.instances; > 1: one PostgreSQL database), 1-3
 * kill_leader steps inserted at seeded places and a landing load appended (SC_CHAOS_LOAD); the
 * timeline is otherwise sc_chaos_generate(seed)'s.
 * instances <= 1: sc_chaos_generate(seed). */
json_t *sc_chaos_generate_ha(uint64_t seed, int instances);
/* The "note" of the landing-load steps sc_chaos_generate_ha appends (2-3 pull requests approved by
 * everyone else and labeled, so that kills meet merges). */
#define SC_CHAOS_LOAD "landing load (--instances)"
/* The "note" of the CI modes' landing load (3-5 pull requests approved by everyone else and
 * labeled, carrying a marker pair and sometimes a broken marker, so that candidates meet). */
#define SC_CHAOS_CI_LOAD "landing load (--mode)"

#endif
