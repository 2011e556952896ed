/* sc_run.h -- plays one scenario: starts mockhub (this binary, `serve`) and landq as children on
 * free loopback ports, creates the webhook, runs the steps, checks the expectations and the
 * invariants (docs/scenarios.md). I/O lives here; the pure parts are sc_scenario.c, sc_owners.c. */
#ifndef SC_RUN_H
#define SC_RUN_H

#include "sc_scenario.h"

typedef struct {
    const char *mockhub_exe; /* path of the mockhub binary (default: /proc/self/exe) */
    const char *landq_exe;   /* path of landq */
    int keep;                /* keep the temporary directory */
    int verbose;             /* print each step */
    const char *landq_wrap;  /* optional wrapper command (space-separated), e.g. valgrind */
    const char *pg;          /* PostgreSQL server (libpq conninfo or URI, its dbname ignored) for
                              * scenarios with landq.instances > 1: each run gets a fresh database */
} sc_run_opts;

typedef struct {
    int ok;          /* 1: every expectation and invariant held */
    double seconds;  /* wall time */
    char *report;    /* what differed + log tails (owned, NULL when ok) */
    int kills;       /* kill_leader steps played; kills_holder: of them, kills of a lease holder */
    int kills_holder;
    int kills_merge; /* of them, with a merge request in flight (held by mockhub) */
    int ci;          /* the world had a ci section; then, at the end: */
    long candidates; /* distinct commits tested on the landq try branches */
    long candidate_failed; /* failed CI runs on them */
    long main_commits;     /* commits added to the base (all green, or invariant 6 failed) */
} sc_result;

/* Plays s. Returns 0 (result in *res; free res->report), -1 if the run could not even start
 * (also reported in res->report). */
int sc_run(const sc_scenario *s, const sc_run_opts *o, sc_result *res);

#endif
