/* test_lanes.c -- lane assignment (landq/core/lanes.c): single, CODEOWNERS owner sets, explicit
 * path areas with the longest prefix, catch-all prefixes, and the errors of bad configuration. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "lanes.h"

static char got[512];

static const char *lanes_of(const lq_lanes *l, const lq_codeowners *co, const char *const *paths, size_t n)
{
    char **names = NULL;
    size_t count = 0;
    int all = 0;
    lq_error err = {0};
    cr_assert_eq(lq_lanes_of(l, co, paths, n, &names, &count, &all, &err), LQ_OK, "%s", err.msg);
    size_t o = (size_t)snprintf(got, sizeof got, "%s", all ? "*" : "");
    for (size_t i = 0; i < count; i++)
        o += (size_t)snprintf(got + o, sizeof got - o, "%s%s", o ? " " : "", names[i]);
    lq_lanes_names_free(names, count);
    return got;
}

Test(lanes, single_mode)
{
    lq_lanes *l = NULL;
    lq_error err = {0};
    cr_assert_eq(lq_lanes_new(&l, "single", NULL, 0, NULL, 0, &err), LQ_OK);
    const char *p[] = {"a/b", "c"};
    cr_assert_str_eq(lanes_of(l, NULL, p, 2), "default");
    cr_assert_str_eq(lanes_of(l, NULL, p, 0), "default");
    lq_lanes_free(l);
}

Test(lanes, paths_longest_prefix_and_catch_all)
{
    lq_lanes *l = NULL;
    lq_error err = {0};
    const char *areas[] = {"infra: infra/ deploy/", "docs: docs/", "api: infra/api/,tools/gen.sh"};
    const char *catch_all[] = {"/proto/"};
    cr_assert_eq(lq_lanes_new(&l, "paths", areas, 3, catch_all, 1, &err), LQ_OK, "%s", err.msg);
    const char *a[] = {"infra/main.tf"};
    cr_assert_str_eq(lanes_of(l, NULL, a, 1), "infra");
    const char *b[] = {"infra/api/x.go", "deploy/k8s.yaml"};
    cr_assert_str_eq(lanes_of(l, NULL, b, 2), "api infra");
    const char *c[] = {"README.md", "tools/gen.sh", "tools/gen.shx"};
    cr_assert_str_eq(lanes_of(l, NULL, c, 3), "api default");
    const char *d[] = {"docs/a.md", "proto/api.proto"};
    cr_assert_str_eq(lanes_of(l, NULL, d, 2), "* docs");
    const char *e[] = {"docsy/x"};
    cr_assert_str_eq(lanes_of(l, NULL, e, 1), "default");
    lq_lanes_free(l);
}

Test(lanes, codeowners_owner_sets)
{
    const char *text = "* @bob\n/infra/ @acme/infra\n/docs/ @acme/docs @Bob docs@acme.test\n/vendor/\n";
    lq_codeowners *co = NULL;
    lq_error err = {0};
    cr_assert_eq(lq_codeowners_parse(&co, text, strlen(text), &err), LQ_OK);
    lq_lanes *l = NULL;
    cr_assert_eq(lq_lanes_new(&l, "codeowners", NULL, 0, NULL, 0, &err), LQ_OK);
    const char *a[] = {"infra/x.tf", "infra/y.tf"};
    cr_assert_str_eq(lanes_of(l, co, a, 2), "acme-infra");
    const char *b[] = {"docs/guide.md", "README.md"};
    cr_assert_str_eq(lanes_of(l, co, b, 2), "acme-docs_bob_docs-at-acme.test bob");
    const char *c[] = {"vendor/lib.c"};
    cr_assert_str_eq(lanes_of(l, co, c, 1), "unowned");
    cr_assert_str_eq(lanes_of(l, NULL, c, 1), "unowned");
    lq_lanes_free(l);
    lq_codeowners_free(co);
}

Test(lanes, long_owner_sets_are_hashed)
{
    lq_owner owners[8];
    char names[8][64];
    for (int i = 0; i < 8; i++) {
        snprintf(names[i], sizeof names[i], "@acme/a-rather-long-team-name-%d", i);
        owners[i].kind = LQ_OWNER_TEAM;
        owners[i].name = names[i];
    }
    char buf[128];
    lq_lanes_owner_name(owners, 8, buf, sizeof buf);
    cr_assert(!strncmp(buf, "owners-", 7) && strlen(buf) == 15, "%s", buf);
    char again[128];
    lq_owner rev[8];
    for (int i = 0; i < 8; i++)
        rev[i] = owners[7 - i];
    lq_lanes_owner_name(rev, 8, again, sizeof again);
    cr_assert_str_eq(buf, again, "the same set, the same name");
}

Test(lanes, bad_configuration)
{
    lq_lanes *l = NULL;
    lq_error err = {0};
    cr_assert_eq(lq_lanes_new(&l, "teams", NULL, 0, NULL, 0, &err), LQ_EINVAL);
    cr_assert(strstr(err.msg, "single, codeowners or paths"), "%s", err.msg);
    cr_assert_eq(lq_lanes_new(&l, "paths", NULL, 0, NULL, 0, &err), LQ_EINVAL);
    cr_assert(strstr(err.msg, "at least one"), "%s", err.msg);
    const char *noname[] = {"infra/"};
    cr_assert_eq(lq_lanes_new(&l, "paths", noname, 1, NULL, 0, &err), LQ_EINVAL);
    cr_assert(strstr(err.msg, "expected NAME: PREFIX"), "%s", err.msg);
    const char *badname[] = {"in fra: infra/"};
    cr_assert_eq(lq_lanes_new(&l, "paths", badname, 1, NULL, 0, &err), LQ_EINVAL);
    cr_assert(strstr(err.msg, "[A-Za-z0-9._-]"), "%s", err.msg);
    const char *dup[] = {"a: x/", "a: y/"};
    cr_assert_eq(lq_lanes_new(&l, "paths", dup, 2, NULL, 0, &err), LQ_EINVAL);
    cr_assert(strstr(err.msg, "defined twice"), "%s", err.msg);
    const char *dots[] = {"a: ../x"};
    cr_assert_eq(lq_lanes_new(&l, "paths", dots, 1, NULL, 0, &err), LQ_EINVAL);
    const char *empty[] = {"a:"};
    cr_assert_eq(lq_lanes_new(&l, "paths", empty, 1, NULL, 0, &err), LQ_EINVAL);
    const char *areas[] = {"a: x/"};
    cr_assert_eq(lq_lanes_new(&l, "codeowners", areas, 1, NULL, 0, &err), LQ_EINVAL);
    cr_assert(strstr(err.msg, "only used with lanes = paths"), "%s", err.msg);
    const char *ca[] = {"*"};
    cr_assert_eq(lq_lanes_new(&l, "single", NULL, 0, ca, 1, &err), LQ_EINVAL);
    cr_assert_null(l);
}
