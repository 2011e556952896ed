/* api.c -- dispatch from a matched route (core/mh_routes.def) to its handler. */
#include "api.h"
#include "core/mh_routes.h"

#include <string.h>

typedef int (*handler_fn)(mh_ctx *c);

#define X(method, pattern, op, handler) handler,
static const handler_fn handlers[] = {
#include "core/mh_routes.def"
};
#undef X

int mh_route_request(mh_ctx *c, const char *method, const char *path)
{
    return mh_route_find(mh_api_routes, mh_api_nroutes, method, path, &c->m);
}

int need_object(mh_ctx *c)
{
    if (!c->body) {
        c->body = json_object();
        return 0;
    }
    if (!json_is_object(c->body)) {
        mh_error(c, 400, "Body should be a JSON object");
        return -1;
    }
    return 0;
}

int mh_api_dispatch(mh_ctx *c)
{
    if (!c->m.route)
        return -1;
    size_t i = (size_t)(c->m.route - mh_api_routes);
    if (i >= sizeof handlers / sizeof *handlers)
        return -1;
    return handlers[i](c);
}
