/* train_int.h -- the train's representation, shared by train.c (the state machine) and
 * train_json.c (persistence). Not for other modules: use train.h. */
#ifndef LQ_TRAIN_INT_H
#define LQ_TRAIN_INT_H

#include "train.h"

#define LQ_TRAIN_RING 256

struct lq_train {
    char *repo, *base;
    lq_train_config cfg;
    char tip[41];
    lq_train_entry *e; /* queue order */
    size_t ne, ecap;
    lq_train_build *b; /* creation order */
    size_t nb, bcap;
    uint32_t next_id;
    char **dead; /* try branches to delete */
    size_t ndead;
    char ring[LQ_TRAIN_RING][41]; /* recent landings */
    size_t nring, ringpos;
    int frozen;
    char frozen_why[512];
    int64_t land_retry_at;
    lq_train_counters c;
};

#endif
