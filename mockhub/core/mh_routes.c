/* mh_routes.c -- the REST route table as data, and GitHub's catalogue of operations. A matched route's index (route - mh_api_routes)
 * selects its handler in api.c, which expands the same mh_routes.def. */
#include "mh_routes.h"

#define X(method, pattern, op, handler) {method, pattern, op, 0, NULL, 0, 0},
const mh_route mh_api_routes[] = {
#include "mh_routes.def"
};
#undef X

const size_t mh_api_nroutes = sizeof mh_api_routes / sizeof *mh_api_routes;

#define G(method, pattern, op, doc, nseg, rest) {method, pattern, op, 0, doc, nseg, rest},
const mh_route mh_github_ops[] = {
#include "mh_github_ops.def"
};
#undef G

const size_t mh_github_nops = sizeof mh_github_ops / sizeof *mh_github_ops;
