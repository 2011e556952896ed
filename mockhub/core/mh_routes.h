/* mh_routes.h -- mockhub's REST route table (pure data; see mh_routes.def). */
#ifndef MH_ROUTES_H
#define MH_ROUTES_H

#include "mh_route.h"

extern const mh_route mh_api_routes[];
extern const size_t mh_api_nroutes;

/* Every operation of GitHub's REST API (generated from @octokit/openapi: mh_github_ops.def) and
 * POST /graphql, with its documentation URL in `doc`. A request that matches one of these more
 * specifically than any of mockhub's routes is for an operation mockhub does not implement. */
extern const mh_route mh_github_ops[];
extern const size_t mh_github_nops;

#endif
