/* explain: `landq explain`: the facts of one pull request gathered exactly as the worker
 * gathers them (io/facts.h: same REST reads, same CODEOWNERS, approvals, permissions and
 * checks), every fact whatever the verdict, and lq_policy_decide()'s verdict, with no store and
 * no side effect. */
#ifndef LQ_EXPLAIN_H
#define LQ_EXPLAIN_H

#include <jansson.h>

#include "error.h"
#include "facts.h"
#include "policy.h"
#include "worker.h"

/* *out (new reference) is an object: the pull request, "files" (per path: deciding CODEOWNERS
 * "line", "owners", "approved_by" [{reviewer, via, sha}], "missing": the owners still needed,
 * labeled or not; null when none are), "checks", "approvals_without_write" and "verdict"
 * {kind, summary, reasons}. Only the settings of cfg that reading needs are used (api_url,
 * token / token_cb, repos, label, status_context, required_checks). LQ_ENOTFOUND when there is
 * no such pull request. err never names repo#number: the caller prefixes it. */
int lq_explain_pr(const lq_worker_config *cfg, const char *repo, int number, json_t **out,
                  lq_error *err);

/* The same object from facts already gathered and their verdict (the worker publishes it for
 * the queue page after each evaluation, io/board.h). verdict.waiting_for lists what a "wait"
 * waits for ("owners", "checks", "changes", "draft"; the worker adds "freeze"); "priority" is
 * present when the pull request carries the priority label. */
int lq_explain_object(const lq_facts *facts, const lq_verdict *v, const char *repo, int number,
                      const char *label, json_t **out, lq_error *err);

#endif
