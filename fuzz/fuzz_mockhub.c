/* Fuzz target: mockhub's pure input parsers on any bytes: the world file (parse + validate; every
 * rejection must name "fuzz.json:LINE:"), the route matcher (the input as a request path), fault
 * specs, JWT decoding and the CI simulator's section (parse, then decide on a small tree). Must
 * never crash or leak. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mh_ci.h"
#include "mh_fault.h"
#include "mh_json.h"
#include "mh_jwt.h"
#include "mh_route.h"
#include "mh_routes.h"
#include "mh_world.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 256 * 1024)
        return 0;
    char err[1024];
    mh_world w;
    if (mh_world_parse(&w, (const char *)data, size, "fuzz.json", err, sizeof err) < 0) {
        if (strncmp(err, "fuzz.json:", 10) != 0)
            __builtin_trap();
    } else {
        char *s = mh_json_dumps(w.root);
        free(s);
        mh_world_dispose(&w);
    }
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    if (strlen(text) == size) {
        mh_route_match m;
        static const char *methods[] = {"GET", "POST", "PUT", "PATCH", "DELETE"};
        if (mh_route_find(mh_api_routes, mh_api_nroutes, methods[size % 5], text, &m) == MH_ROUTE_OK) {
            if (!m.route)
                __builtin_trap();
            mh_route_match_dispose(&m);
        }
        json_t *c = mh_jwt_claims(text);
        json_decref(c);
        char e2[256];
        (void)mh_jwt_verify(text, "not a key", 1000, e2, sizeof e2);
    }
    json_error_t je;
    json_t *spec = json_loadb((const char *)data, size, JSON_DECODE_ANY, &je);
    if (spec) {
        mh_faults fs;
        mh_faults_init(&fs, 1);
        if (mh_faults_add(&fs, spec, err, sizeof err) > 0) {
            (void)mh_faults_match_request(&fs, "GET", "/repos/a/b/pulls/1", "alice", 0);
            (void)mh_faults_match_webhook(&fs, "pull_request", "opened");
        }
        mh_faults_dispose(&fs);
        mh_ci_config cc;
        char cptr[128];
        if (mh_ci_config_parse(&cc, spec, 1, cptr, sizeof cptr, err, sizeof err) == 0) {
            mh_ci_scan sc;
            if (mh_ci_scan_init(&sc, &cc) == 0) {
                static const char *const files[] = {"src/a.c", "x BREAKS y", "docs/b.md", "RENAMED_FOO CALLS_FOO"};
                for (int i = 0; i < 4; i += 2)
                    mh_ci_scan_file(&sc, &cc, files[i], files[i + 1], strlen(files[i + 1]));
                for (size_t k = 0; k < cc.ncontexts; k++) {
                    mh_ci_result res;
                    mh_ci_decide(&cc, &sc, k, "landq/try/main/all/pr-1", "tree", 0, 1, &res);
                    (void)mh_ci_duration(&cc, k, "tree", 1);
                }
                mh_ci_scan_dispose(&sc);
            }
            json_decref(mh_ci_config_json(&cc));
            mh_ci_config_dispose(&cc);
        }
        json_decref(spec);
    }
    free(text);
    return 0;
}
