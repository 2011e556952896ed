/* predictive_int.h -- predictive mode's trains, shared by predictive.c (the trains, the queue,
 * the tip and checks, the round, the metrics) and predictive_act.c (the train's actions: build,
 * land, eject, and their feedback). Internal to landq/io. */
#ifndef LQ_PREDICTIVE_INT_H
#define LQ_PREDICTIVE_INT_H

#include <stdint.h>

#include "train.h"
#include "worker_ctx.h"

struct lq_ptrain {
    char repo[256], base[256];
    lq_train *t;
    int64_t next_poll_ms;
    unsigned long pokes_seen;
    lq_train_counters exported; /* what /metrics has been told so far */
};

/* predictive.c: saves the train in the store (after every decision, before its side effect). */
void lq_ptrain_persist(lq_worker *w, struct lq_ptrain *p);

/* predictive_act.c: the train's actions LQ_ACT_BUILD, LQ_ACT_LAND and LQ_ACT_EJECT. */
void lq_ptrain_build(lq_worker *w, struct lq_ptrain *p, const lq_train_action *a, int64_t now);
void lq_ptrain_land(lq_worker *w, struct lq_ptrain *p, const lq_train_build *b, int64_t now);
void lq_ptrain_eject(lq_worker *w, struct lq_ptrain *p, int pr);

#endif
