/* mh_routes.h -- mockhub's REST route table (pure data; see mh_routes.def). */
#ifndef MH_ROUTES_H
#define MH_ROUTES_H

#include "mh_route.h"

extern const mh_route mh_api_routes[];
extern const size_t mh_api_nroutes;

#endif
