/* mh_routes.c -- the REST route table as data. A matched route's index (route - mh_api_routes)
 * selects its handler in api.c, which expands the same mh_routes.def. */
#include "mh_routes.h"

#define X(method, pattern, op, handler) {method, pattern, op, 0},
const mh_route mh_api_routes[] = {
#include "mh_routes.def"
};
#undef X

const size_t mh_api_nroutes = sizeof mh_api_routes / sizeof *mh_api_routes;
