/* sc_ci.h -- the scenario runner's side of mockhub's CI simulator (docs/scenarios.md): the steps
 * "ci" (replace the rules while the scenario runs) and "wait_ci" (wait for CI progress), the
 * expectation "ci" (main_green, candidates, try branches, ejections) and the CI activity that
 * "wait_idle" must wait out. I/O against mockhub's control API (/_mockhub/ci...). The validation
 * of those steps and expectations is pure (sc_ci_check_*), called by sc_scenario.c. */
#ifndef SC_CI_H
#define SC_CI_H

#include <curl/curl.h>
#include <jansson.h>

/* Runs of the CI simulator not completed yet (0 when the world has no ci section), -1 when
 * mockhub did not answer. */
int sc_ci_active(CURL *curl, const char *api);

/* 1 when the world has a ci section (mockhub runs CI), 0 when not, -1 when mockhub did not answer. */
int sc_ci_configured(CURL *curl, const char *api);

/* Step "ci": POST /_mockhub/ci with the step's rules (and contexts, default: the current ones).
 * 0, or -1 with the reason in why. */
int sc_ci_step(CURL *curl, const char *api, const json_t *step, char *why, size_t whylen);

/* Step "wait_ci": until the runs on branches matching "branch" (default "*") reach every count the
 * step names (runs, completed, failed, commits), or timeout_ms (default default_ms). alive() is
 * polled (landq may die meanwhile). 0, or -1 with the reason in why. */
int sc_ci_wait(CURL *curl, const char *api, const json_t *step, long default_ms, int (*alive)(void *), void *ctx,
               char *why, size_t whylen);

typedef struct {
    const char *repo, *base, *base_start; /* base_start: the base's tip when the scenario began */
    const char *label, *lq_user;
} sc_ci_where;

/* The commits of w->base's first-parent chain after w->base_start that fail the CI simulator's
 * deterministic rules (its oracle, GET /_mockhub/ci/history): their number, or -1 when mockhub
 * did not answer (no ci section). *ncommits: the commits judged; *detail (malloc'd, may be NULL):
 * one line per red commit ("SHA12: context: summary"). The expectation main_green and the
 * invariant "main is always green" both use it. */
int sc_ci_red_commits(CURL *curl, const char *api, const sc_ci_where *w, size_t *ncommits, char **detail);

/* The CI runs on the landq try branches: distinct commits tested and failed runs. 0 or -1. */
int sc_ci_try_counts(CURL *curl, const char *api, long *commits, long *failed);

/* Expectation "ci": appends one message per difference to diffs (an array of strings). */
void sc_ci_expect(CURL *curl, const char *api, const sc_ci_where *w, const json_t *exp, json_t *diffs);

#endif
