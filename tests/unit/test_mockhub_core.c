/* test_mockhub_core.c -- unit tests of mockhub's pure core: routing table, pagination and Link
 * headers, fault matching, webhook signatures (RFC 4231 and GitHub's documented vector), base64,
 * URL decoding and UUIDs. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "mh_fault.h"
#include "mh_page.h"
#include "mh_patch.h"
#include "mh_route.h"
#include "mh_routes.h"
#include "mh_sign.h"
#include "mh_util.h"

static const char *route_of(const char *method, const char *path, mh_route_match *m)
{
    int rc = mh_route_find(mh_api_routes, mh_api_nroutes, method, path, m);
    return rc == MH_ROUTE_OK ? m->route->name : rc == MH_ROUTE_BAD_METHOD ? "BAD_METHOD" : "NONE";
}

Test(route, matches_operations_and_params)
{
    mh_route_match m;
    cr_assert_str_eq(route_of("GET", "/repos/acme/mono/pulls/12", &m), "pulls/get");
    cr_assert_str_eq(mh_route_param(&m, "owner"), "acme");
    cr_assert_str_eq(mh_route_param(&m, "repo"), "mono");
    cr_assert_str_eq(mh_route_param(&m, "pull_number"), "12");
    mh_route_match_dispose(&m);
    cr_assert_str_eq(route_of("PUT", "/repos/acme/mono/pulls/12/merge", &m), "pulls/merge");
    mh_route_match_dispose(&m);
    cr_assert_str_eq(route_of("GET", "/repos/acme/mono/pulls/12/merge", &m), "pulls/check-if-merged");
    mh_route_match_dispose(&m);
    cr_assert_str_eq(route_of("GET", "/meta", &m), "meta/get");
    mh_route_match_dispose(&m);
    cr_assert_str_eq(route_of("GET", "/repos/acme/mono/git/blobs/3a0f86fb8db8eea7ccbb9a95f325ddbedfb25e15", &m),
                     "git/get-blob");
    cr_assert_str_eq(mh_route_param(&m, "file_sha"), "3a0f86fb8db8eea7ccbb9a95f325ddbedfb25e15");
    mh_route_match_dispose(&m);
    cr_assert_str_eq(route_of("POST", "/repos/acme/mono/git/blobs/3a0f86fb8db8eea7ccbb9a95f325ddbedfb25e15", &m),
                     "BAD_METHOD");
    mh_route_match_dispose(&m);
}

Test(route, rest_params_keep_slashes_and_decode)
{
    mh_route_match m;
    cr_assert_str_eq(route_of("GET", "/repos/acme/mono/contents/infra%2Fmain.tf", &m), "repos/get-content");
    cr_assert_str_eq(mh_route_param(&m, "path"), "infra/main.tf");
    mh_route_match_dispose(&m);
    cr_assert_str_eq(route_of("GET", "/repos/acme/mono/contents/a/b/c.txt", &m), "repos/get-content");
    cr_assert_str_eq(mh_route_param(&m, "path"), "a/b/c.txt");
    mh_route_match_dispose(&m);
    cr_assert_str_eq(route_of("GET", "/repos/acme/mono/git/ref/heads%2Ffeature%2Fx", &m), "git/get-ref");
    cr_assert_str_eq(mh_route_param(&m, "ref"), "heads/feature/x");
    mh_route_match_dispose(&m);
    cr_assert_str_eq(route_of("DELETE", "/repos/acme/mono/issues/3/labels/needs%20review", &m), "issues/remove-label");
    cr_assert_str_eq(mh_route_param(&m, "name"), "needs review");
    mh_route_match_dispose(&m);
}

Test(route, unknown_and_wrong_method)
{
    mh_route_match m;
    cr_assert_str_eq(route_of("GET", "/nope", &m), "NONE");
    cr_assert_str_eq(route_of("GET", "/repos/acme", &m), "NONE");
    cr_assert_str_eq(route_of("POST", "/repos/acme/mono/pulls/1", &m), "BAD_METHOD");
    cr_assert_str_eq(route_of("GET", "/repos/acme/mono/contents/", &m), "NONE");
    cr_assert_eq(mh_route_find(mh_api_routes, mh_api_nroutes, "GET", "/repos/a%zz/b", &m), MH_ROUTE_BAD_PATH);
    cr_assert_eq(mh_route_find(mh_api_routes, mh_api_nroutes, "GET", "/repos/a%00/b", &m), MH_ROUTE_BAD_PATH);
    cr_assert_eq(mh_route_find(mh_api_routes, mh_api_nroutes, "GET", "/repos/a%2", &m), MH_ROUTE_BAD_PATH);
}

Test(route, every_pattern_is_well_formed)
{
    for (size_t i = 0; i < mh_api_nroutes + mh_github_nops; i++) {
        const mh_route *r = i < mh_api_nroutes ? &mh_api_routes[i] : &mh_github_ops[i - mh_api_nroutes];
        cr_assert(r->pattern[0] == '/', "%s", r->pattern);
        const char *star = strstr(r->pattern, "*}");
        cr_assert(!star || !strstr(star + 2, "*}"), "two rest params in %s", r->pattern);
        cr_assert(strchr(r->name, '/') || !strcmp(r->name, "graphql"), "operation id %s", r->name);
    }
}

/* A wildcard may sit before literal segments; the most literal pattern wins (defect: "{ref*}"
 * swallowed "main/check-suites" and "{branch*}" swallowed "main/protection"). */
Test(route, wildcard_does_not_swallow_sub_resources)
{
    mh_route_match m;
    cr_assert_str_eq(route_of("GET", "/repos/acme/mono/commits/feature/x/status", &m), "repos/get-combined-status-for-ref");
    cr_assert_str_eq(mh_route_param(&m, "ref"), "feature/x");
    mh_route_match_dispose(&m);
    cr_assert_str_eq(route_of("GET", "/repos/acme/mono/commits/main/check-runs", &m), "checks/list-for-ref");
    cr_assert_str_eq(mh_route_param(&m, "ref"), "main");
    mh_route_match_dispose(&m);
    cr_assert_str_eq(route_of("GET", "/repos/acme/mono/commits/main", &m), "repos/get-commit");
    mh_route_match_dispose(&m);
    /* GitHub's catalogue: sub-resources mockhub may lack are found there, not in get-commit */
    cr_assert_eq(mh_route_find(mh_github_ops, mh_github_nops, "GET", "/repos/acme/mono/commits/main/check-suites", &m),
                 MH_ROUTE_OK);
    cr_assert_str_eq(m.route->name, "checks/list-suites-for-ref");
    cr_assert_str_eq(mh_route_param(&m, "ref"), "main");
    cr_assert_eq(m.literals, 3); /* repos, commits, check-suites */
    mh_route_match_dispose(&m);
    cr_assert_eq(mh_route_find(mh_github_ops, mh_github_nops, "GET", "/repos/acme/mono/branches/rel/1.x/protection", &m),
                 MH_ROUTE_OK);
    cr_assert_str_eq(m.route->name, "repos/get-branch-protection");
    cr_assert_str_eq(mh_route_param(&m, "branch"), "rel/1.x");
    mh_route_match_dispose(&m);
    cr_assert_eq(mh_route_find(mh_github_ops, mh_github_nops, "GET", "/repos/acme/mono/pulls/comments", &m), MH_ROUTE_OK);
    cr_assert_str_eq(m.route->name, "pulls/list-review-comments-for-repo");
    mh_route_match_dispose(&m);
    cr_assert_eq(mh_route_find(mh_github_ops, mh_github_nops, "POST", "/graphql", &m), MH_ROUTE_OK);
    cr_assert_str_eq(m.route->name, "graphql");
    mh_route_match_dispose(&m);
    cr_assert_eq(mh_route_find(mh_github_ops, mh_github_nops, "GET", "/not/github", &m), MH_ROUTE_NOT_FOUND);
}

Test(page, parse_clamps)
{
    mh_page pg;
    cr_assert_eq(mh_page_parse(&pg, NULL, NULL), 0);
    cr_assert_eq(pg.per_page, 30);
    cr_assert_eq(pg.page, 1);
    mh_page_parse(&pg, "500", "2");
    cr_assert_eq(pg.per_page, 100);
    cr_assert_eq(pg.page, 2);
    cr_assert_eq(mh_page_parse(&pg, "x", "-1"), -1);
    cr_assert_eq(pg.per_page, 30);
    cr_assert_eq(pg.page, 1);
    mh_page_parse(&pg, "0", "0");
    cr_assert_eq(pg.per_page, 30);
    cr_assert_eq(pg.page, 1);
}

Test(page, range)
{
    mh_page pg = {10, 3};
    size_t s, e;
    mh_page_range(&pg, 25, &s, &e);
    cr_assert_eq(s, 20);
    cr_assert_eq(e, 25);
    pg.page = 4;
    mh_page_range(&pg, 25, &s, &e);
    cr_assert_eq(s, e);
    pg.page = (size_t)-1 / 2;
    mh_page_range(&pg, 25, &s, &e);
    cr_assert_eq(s, 25);
    cr_assert_eq(e, 25);
}

Test(page, link_header)
{
    mh_page pg = {10, 1};
    cr_assert_null(mh_page_link(&pg, 10, "http://h/x", NULL));
    char *l = mh_page_link(&pg, 25, "http://h/x", "state=all");
    cr_assert_str_eq(l, "<http://h/x?state=all&per_page=10&page=2>; rel=\"next\", "
                        "<http://h/x?state=all&per_page=10&page=3>; rel=\"last\"");
    free(l);
    pg.page = 3;
    l = mh_page_link(&pg, 25, "http://h/x", "");
    cr_assert_str_eq(l, "<http://h/x?per_page=10&page=2>; rel=\"prev\", <http://h/x?per_page=10&page=1>; rel=\"first\"");
    free(l);
    pg.page = 2;
    l = mh_page_link(&pg, 25, "http://h/x", NULL);
    cr_assert(strstr(l, "rel=\"prev\"") && strstr(l, "rel=\"next\"") && strstr(l, "rel=\"last\"") && strstr(l, "rel=\"first\""));
    free(l);
}

static json_t *spec(const char *text)
{
    json_error_t e;
    json_t *j = json_loads(text, 0, &e);
    cr_assert_not_null(j, "%s", e.text);
    return j;
}

Test(fault, status_times_and_skip)
{
    mh_faults fs;
    mh_faults_init(&fs, 1);
    char err[256];
    json_t *s = spec("{\"kind\":\"status\",\"method\":\"PUT\",\"path\":\"/repos/*/pulls/*/merge\",\"status\":502,\"times\":2,\"skip\":1}");
    cr_assert_gt(mh_faults_add(&fs, s, err, sizeof err), 0, "%s", err);
    json_decref(s);
    cr_assert_null(mh_faults_match_request(&fs, "PUT", "/repos/a/b/pulls/1/merge", NULL, 0)); /* skipped */
    const mh_fault *f = mh_faults_match_request(&fs, "PUT", "/repos/a/b/pulls/1/merge", NULL, 0);
    cr_assert_not_null(f);
    cr_assert_eq(f->status, 502);
    cr_assert_null(mh_faults_match_request(&fs, "GET", "/repos/a/b/pulls/1/merge", NULL, 0));
    cr_assert_not_null(mh_faults_match_request(&fs, "PUT", "/repos/a/b/pulls/9/merge", NULL, 0));
    cr_assert_null(mh_faults_match_request(&fs, "PUT", "/repos/a/b/pulls/9/merge", NULL, 0)); /* used up */
    mh_faults_dispose(&fs);
}

/* A fault scoped to one login leaves everybody else's requests alone, and its skip counts only
 * that login's requests (a bot's K-th request, whatever the test itself does meanwhile). */
Test(fault, user_scoped_fault_counts_only_that_user)
{
    mh_faults fs;
    mh_faults_init(&fs, 1);
    char err[256];
    json_t *s = spec("{\"kind\":\"delay\",\"path\":\"/repos/*\",\"user\":\"landq-bot\",\"skip\":1,\"times\":1}");
    cr_assert_gt(mh_faults_add(&fs, s, err, sizeof err), 0, "%s", err);
    json_decref(s);
    cr_assert_null(mh_faults_match_request(&fs, "POST", "/repos/a/b/issues/1/labels", "alice", 0));
    cr_assert_null(mh_faults_match_request(&fs, "GET", "/repos/a/b/pulls/1", NULL, 0));
    cr_assert_null(mh_faults_match_request(&fs, "GET", "/repos/a/b/pulls/1", "landq-bot", 0)); /* skipped */
    cr_assert_null(mh_faults_match_request(&fs, "POST", "/repos/a/b/issues/2/labels", "alice", 0));
    cr_assert_not_null(mh_faults_match_request(&fs, "GET", "/repos/a/b/pulls/2", "Landq-Bot", 0));
    json_t *j = mh_faults_to_json(&fs);
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(j, 0), "user")), "landq-bot");
    json_decref(j);
    mh_faults_dispose(&fs);
}

Test(fault, rejects_bad_specs)
{
    mh_faults fs;
    mh_faults_init(&fs, 1);
    char err[256];
    const char *bad[] = {"{\"kind\":\"explode\"}", "{\"path\":\"/x\"}", "{\"kind\":\"status\",\"status\":999}",
                         "{\"kind\":\"status\",\"times\":-1}", "{\"kind\":\"secondary_rate_limit\",\"status\":500}",
                         "{\"kind\":\"drop\",\"path\":\"/x\"}", "{\"kind\":\"status\",\"bogus\":1}",
                         "{\"kind\":\"status\",\"probability\":2}", "[1]",
                         "{\"kind\":\"status\",\"user\":\"\"}", "{\"kind\":\"status\",\"user\":7}",
                         "{\"kind\":\"drop\",\"user\":\"bob\"}"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        json_t *s = spec(bad[i]);
        cr_assert_eq(mh_faults_add(&fs, s, err, sizeof err), -1, "accepted %s", bad[i]);
        cr_assert_gt(strlen(err), 0);
        json_decref(s);
    }
    mh_faults_dispose(&fs);
}

Test(fault, webhook_events_and_kinds_are_separate)
{
    mh_faults fs;
    mh_faults_init(&fs, 1);
    char err[256];
    json_t *s = spec("[{\"kind\":\"drop\",\"event\":\"pull_request.labeled\"},{\"kind\":\"mergeable_null\",\"path\":\"/repos/a/b/pulls/1\",\"times\":1}]");
    cr_assert_gt(mh_faults_add(&fs, json_array_get(s, 0), err, sizeof err), 0);
    cr_assert_gt(mh_faults_add(&fs, json_array_get(s, 1), err, sizeof err), 0);
    json_decref(s);
    cr_assert_not_null(mh_faults_match_webhook(&fs, "pull_request", "labeled"));
    cr_assert_null(mh_faults_match_webhook(&fs, "pull_request", "opened"));
    cr_assert_null(mh_faults_match_request(&fs, "GET", "/repos/a/b/pulls/1", NULL, 0));
    cr_assert_not_null(mh_faults_match_request(&fs, "GET", "/repos/a/b/pulls/1", NULL, 1));
    cr_assert_null(mh_faults_match_request(&fs, "GET", "/repos/a/b/pulls/1", NULL, 1));
    mh_faults_dispose(&fs);
}

Test(fault, probability_is_deterministic_per_seed)
{
    char a[64], b[64];
    for (int round = 0; round < 2; round++) {
        mh_faults fs;
        mh_faults_init(&fs, 1234);
        char err[256];
        json_t *s = spec("{\"kind\":\"status\",\"probability\":0.5}");
        mh_faults_add(&fs, s, err, sizeof err);
        json_decref(s);
        char *out = round ? b : a;
        for (int i = 0; i < 63; i++)
            out[i] = mh_faults_match_request(&fs, "GET", "/x", NULL, 0) ? '1' : '0';
        out[63] = '\0';
        mh_faults_dispose(&fs);
    }
    cr_assert_str_eq(a, b);
    cr_assert(strchr(a, '1') && strchr(a, '0'));
}

Test(fault, glob)
{
    cr_assert(mh_glob_match("*", "/anything/at/all"));
    cr_assert(mh_glob_match("/repos/*/pulls/?", "/repos/a/b/pulls/1"));
    cr_assert_not(mh_glob_match("/repos/*/pulls/?", "/repos/a/b/pulls/12"));
    cr_assert(mh_glob_match("pull_request*", "pull_request_review"));
    cr_assert_not(mh_glob_match("", "x"));
}

Test(sign, github_documented_vector)
{
    char out[72];
    const char *body = "Hello, World!";
    cr_assert_eq(mh_sign_sha256(out, "It's a Secret to Everybody", body, strlen(body)), 0);
    cr_assert_str_eq(out, "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17");
}

Test(sign, rfc4231_case2)
{
    char out[72];
    const char *data = "what do ya want for nothing?";
    cr_assert_eq(mh_sign_sha256(out, "Jefe", data, strlen(data)), 0);
    cr_assert_str_eq(out, "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    char out1[46];
    cr_assert_eq(mh_sign_sha1(out1, "Jefe", data, strlen(data)), 0); /* RFC 2202 case 2 */
    cr_assert_str_eq(out1, "sha1=effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
}

Test(util, base64_roundtrip_and_lines)
{
    const unsigned char data[] = "The quick brown fox jumps over the lazy dog, again and again and again.";
    char *enc = mh_base64_encode(data, sizeof data - 1, 60);
    cr_assert(strchr(enc, '\n') - enc == 60);
    cr_assert_eq(enc[strlen(enc) - 1], '\n');
    size_t n;
    unsigned char *dec = mh_base64_decode(enc, &n);
    cr_assert_eq(n, sizeof data - 1);
    cr_assert_eq(memcmp(dec, data, n), 0);
    free(enc);
    free(dec);
    cr_assert_null(mh_base64_decode("a=b", &n));
    cr_assert_null(mh_base64_decode("!!!!", &n));
    enc = mh_base64_encode((const unsigned char *)"", 0, 60);
    cr_assert_str_eq(enc, "");
    free(enc);
}

Test(util, url_codec)
{
    char *s = mh_url_decode("a%2Fb+c", 7, 1);
    cr_assert_str_eq(s, "a/b c");
    free(s);
    cr_assert_null(mh_url_decode("%4", 2, 0));
    cr_assert_null(mh_url_decode("%g0", 3, 0));
    s = mh_url_encode("a b/ü", 1);
    cr_assert_str_eq(s, "a%20b/%C3%BC");
    free(s);
}

Test(util, uuid_format_and_determinism)
{
    mh_rng r1, r2;
    mh_rng_seed(&r1, 9);
    mh_rng_seed(&r2, 9);
    char a[37], b[37];
    mh_rng_uuid(&r1, a);
    mh_rng_uuid(&r2, b);
    cr_assert_str_eq(a, b);
    cr_assert_eq(strlen(a), 36);
    cr_assert_eq(a[14], '4');
    cr_assert(strchr("89ab", a[19]));
}

/* Review comment placement (mh_patch): `line`+`side` and the legacy `position`. */
static const char *PATCH = "@@ -1,3 +1,4 @@\n"
                           " a\n"
                           "-b\n"
                           "+B\n"
                           "+B2\n"
                           " c\n"
                           "@@ -10,2 +11,2 @@ func\n"
                           " x\n"
                           "-y\n"
                           "+Y\n"
                           "\\ No newline at end of file\n";

Test(patch, line_on_each_side)
{
    mh_patch_spot s;
    cr_assert_eq(mh_patch_find_line(PATCH, 3, MH_SIDE_RIGHT, &s), 0); /* "+B2" */
    cr_assert_eq(s.position, 4);
    cr_assert_str_eq(s.hunk, "@@ -1,3 +1,4 @@\n a\n-b\n+B\n+B2");
    free(s.hunk);
    cr_assert_eq(mh_patch_find_line(PATCH, 2, MH_SIDE_LEFT, &s), 0); /* "-b" */
    cr_assert_eq(s.position, 2);
    free(s.hunk);
    cr_assert_eq(mh_patch_find_line(PATCH, 4, MH_SIDE_RIGHT, &s), 0); /* " c" (context) */
    cr_assert_eq(s.position, 5);
    free(s.hunk);
    cr_assert_eq(mh_patch_find_line(PATCH, 12, MH_SIDE_RIGHT, &s), 0); /* "+Y" in the second hunk */
    cr_assert_eq(s.position, 9);
    cr_assert_str_eq(s.hunk, "@@ -10,2 +11,2 @@ func\n x\n-y\n+Y");
    free(s.hunk);
    /* not in the diff */
    cr_assert_eq(mh_patch_find_line(PATCH, 7, MH_SIDE_RIGHT, &s), -1);
    cr_assert_eq(mh_patch_find_line(PATCH, 3, MH_SIDE_LEFT, &s), 0); /* " c" is old line 3 */
    free(s.hunk);
    cr_assert_eq(mh_patch_find_line(PATCH, 5, MH_SIDE_LEFT, &s), -1);
    cr_assert_eq(mh_patch_find_line(PATCH, 0, MH_SIDE_RIGHT, &s), -1);
    cr_assert_eq(mh_patch_find_line(NULL, 1, MH_SIDE_RIGHT, &s), -1);
}

Test(patch, positions_count_later_hunk_headers)
{
    mh_patch_spot s;
    cr_assert_eq(mh_patch_find_position(PATCH, 1, &s), 0);
    cr_assert_eq(s.line, 1);
    cr_assert_eq(s.side, MH_SIDE_RIGHT);
    free(s.hunk);
    cr_assert_eq(mh_patch_find_position(PATCH, 2, &s), 0);
    cr_assert_eq(s.line, 2);
    cr_assert_eq(s.side, MH_SIDE_LEFT);
    free(s.hunk);
    cr_assert_eq(mh_patch_find_position(PATCH, 6, &s), -1); /* the second "@@" header */
    cr_assert_eq(mh_patch_find_position(PATCH, 7, &s), 0);
    cr_assert_eq(s.line, 11);
    free(s.hunk);
    cr_assert_eq(mh_patch_find_position(PATCH, 10, &s), -1); /* past the end */
    cr_assert_eq(mh_patch_find_position(PATCH, 0, &s), -1);
}

/* The frozen clock parses what mockhub writes, and only that. */
Test(util, iso_time_round_trip)
{
    time_t t;
    cr_assert_eq(mh_time_parse_iso("2024-01-01T00:00:00Z", &t), 0);
    cr_assert_eq(t, 1704067200);
    char buf[32];
    mh_time_iso(buf, t + 86399);
    cr_assert_str_eq(buf, "2024-01-01T23:59:59Z");
    cr_assert_eq(mh_time_parse_iso("2024-02-29T12:00:00+00:00", &t), 0);
    cr_assert_eq(mh_time_parse_iso("2023-02-29T12:00:00Z", &t), -1);
    cr_assert_eq(mh_time_parse_iso("2024-01-01T00:00:00+02:00", &t), -1);
    cr_assert_eq(mh_time_parse_iso("2024-01-01 00:00:00Z", &t), -1);
    cr_assert_eq(mh_time_parse_iso("1969-12-31T23:59:59Z", &t), -1);
    cr_assert_eq(mh_time_parse_iso("2024-13-01T00:00:00Z", &t), -1);
    cr_assert_eq(mh_time_parse_iso(NULL, &t), -1);
}
