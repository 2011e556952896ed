/* mh_fault.h -- fault rules for scenarios: which requests or webhook deliveries get a 5xx, a delay,
 * a secondary rate limit, a drop, a duplicate... Pure: matching and counting only; the server
 * applies the effect. Deterministic given the seed (probabilities draw from a seeded PRNG). */
#ifndef MH_FAULT_H
#define MH_FAULT_H

#include <jansson.h>
#include <stddef.h>

#include "mh_util.h"

typedef enum {
    /* request faults (match method + path) */
    MH_FAULT_STATUS,         /* answer `status` (default 502) with a JSON error body */
    MH_FAULT_DELAY,          /* sleep delay_ms, then serve normally */
    MH_FAULT_SECONDARY,      /* 403/429 "secondary rate limit" + Retry-After */
    MH_FAULT_MERGEABLE_NULL, /* GET of a pull: keep mergeable null (each read consumes one) */
    /* webhook faults (match event, or "event.action") */
    MH_FAULT_DROP,      /* never delivered (recorded in the delivery log as not sent) */
    MH_FAULT_DUPLICATE, /* delivered twice with the same GUID */
    MH_FAULT_HOLD,      /* delay: delivered after delay_ms, later ones may overtake it */
    MH_FAULT_REORDER,   /* held until the next delivery has been sent */
} mh_fault_kind;

typedef struct {
    int id;
    mh_fault_kind kind;
    char method[12]; /* "*" = any */
    char *pattern;   /* glob over the path (requests) or "event[.action]" (webhooks); '*' matches anything */
    int status;
    long delay_ms;
    long retry_after;
    long times; /* matches left to fire; -1 = unlimited */
    long skip;  /* matching requests to let through first */
    double probability;
    char *message; /* optional override */
    char *user;    /* requests only: the authenticated login it applies to; NULL = anyone */
    long fired;
} mh_fault;

typedef struct {
    mh_fault *items;
    size_t n, cap;
    int next_id;
    mh_rng rng;
} mh_faults;

void mh_faults_init(mh_faults *fs, unsigned long long seed);
void mh_faults_dispose(mh_faults *fs);
/* Parses one fault spec (JSON object, see docs/world.md) and appends it. Returns its id, or -1 with
 * a message in err. */
int mh_faults_add(mh_faults *fs, const json_t *spec, char *err, size_t errlen);
void mh_faults_clear(mh_faults *fs);
/* Finds the first live rule of one of the request kinds for METHOD PATH made by USER (the
 * authenticated login, NULL when anonymous) and consumes one firing (skip/times/probability).
 * Returns a borrowed pointer valid until the list changes, or NULL. */
const mh_fault *mh_faults_match_request(mh_faults *fs, const char *method, const char *path,
                                        const char *user, int want_mergeable_null);
/* Same for webhook deliveries of `event` / `action` (action may be NULL). */
const mh_fault *mh_faults_match_webhook(mh_faults *fs, const char *event, const char *action);
/* The rules and their counters as JSON (new reference). */
json_t *mh_faults_to_json(const mh_faults *fs);
const char *mh_fault_kind_name(mh_fault_kind k);

/* Glob match: '*' any run of characters (including '/'), '?' one character. Case-sensitive. */
int mh_glob_match(const char *pattern, const char *s);

#endif
