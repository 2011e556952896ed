/* sc_owners.h -- the scenario runner's own owner check (invariant 1), independent of landq's
 * policy code and of landq's CODEOWNERS matcher: it shares only the CODEOWNERS parser (the rule
 * list); which rule decides a path is the reference matcher's (tests/support/codeowners_ref.c,
 * fnmatch per segment), and the owners are read from that rule's line of the text here.
 * Pure: everything comes from the arguments (mockhub's state and the world file). */
#ifndef SC_OWNERS_H
#define SC_OWNERS_H

#include <jansson.h>
#include <stddef.h>

/* Logins whose latest opinion (APPROVED / CHANGES_REQUESTED / DISMISSED; COMMENTED and PENDING do
 * not change it) approves head_sha, excluding the author; sorted case-insensitively, each once.
 * reviews: array of {"user", "state", "commit_id"} in submission order. New reference. */
json_t *sc_approvers(const json_t *reviews, const char *author, const char *head_sha);

/* 1 if some reviewer's latest opinion is CHANGES_REQUESTED, else 0. */
int sc_changes_requested(const json_t *reviews);

/* Checks that every changed file is approved by one of its owners under `codeowners` (the text
 * of the base branch's CODEOWNERS, NULL = none). files: array of {"filename", "status",
 * "previous_filename"?} (renamed files need the owners of both paths). approvers: from
 * sc_approvers. world: the world file (teams: orgs[].teams[].members, e-mails: users[].email).
 * Returns 1 when satisfied, 0 when not (why says which path and owners), -1 on error (why). */
int sc_owners_satisfied(const char *codeowners, size_t len, const json_t *files, const json_t *approvers,
                        const json_t *world, char *why, size_t whylen);

/* The base branch landq said it lands the head on, from its commit statuses on that head
 * (statuses: GET .../commits/{sha}/statuses, newest first): the newest description of context
 * reading "landing on BASE now" (set right before its merge request) or "ready: position P of N
 * in the queue for BASE". 1 with out filled, 0 when no status names a base. */
int sc_decided_base(const json_t *statuses, const char *context, char *out, size_t cap);

#endif
