/* test_mockhub_ci.c -- the CI simulator's pure half (mockhub/core/mh_ci.c): the `ci` section's
 * validation (errors with the JSON pointer of the bad value, also through the world parser with
 * FILE:LINE), the rules deciding a run from the files of a tree, and the determinism of flakes and
 * durations. */
#include <criterion/criterion.h>
#include <string.h>

#include "mh_ci.h"
#include "mh_world.h"

static char ptr[128], msg[400];

static int parse(mh_ci_config *c, const char *text)
{
    json_error_t je;
    json_t *j = json_loads(text, 0, &je);
    cr_assert(j, "bad test JSON: %s", je.text);
    int rc = mh_ci_config_parse(c, j, 42, ptr, sizeof ptr, msg, sizeof msg);
    json_decref(j);
    return rc;
}

static void expect_bad(const char *text, const char *want_ptr, const char *want_msg)
{
    mh_ci_config c;
    cr_assert_eq(parse(&c, text), -1, "accepted: %s", text);
    cr_assert_str_eq(ptr, want_ptr, "pointer for %s", text);
    cr_assert(strstr(msg, want_msg), "message \"%s\" lacks \"%s\"", msg, want_msg);
}

Test(ci_config, defaults_and_ranges)
{
    mh_ci_config c;
    cr_assert_eq(parse(&c, "{\"contexts\": [{\"name\": \"ci/test\"}, {\"name\": \"lint\", \"kind\": \"status\", "
                           "\"duration_ms\": [10, 20], \"queue_ms\": 5, \"branches\": [\"main\"]}]}"),
                 0, "%s", msg);
    cr_assert_eq(c.ncontexts, 2);
    cr_assert_eq(c.nrules, 0);
    cr_assert_eq(c.seed, 42);
    cr_assert_eq(c.contexts[0].kind, MH_CI_CHECK_RUN);
    cr_assert_eq(c.contexts[0].dur_min, 1000);
    cr_assert_eq(c.contexts[1].kind, MH_CI_STATUS);
    cr_assert_eq(c.contexts[1].dur_max, 20);
    cr_assert_eq(c.contexts[1].queue_ms, 5);
    cr_assert(mh_ci_context_runs_on(&c.contexts[0], "landq/try/main/x/pr-1"));
    cr_assert(mh_ci_context_runs_on(&c.contexts[1], "main"));
    cr_assert_not(mh_ci_context_runs_on(&c.contexts[1], "landq/try/main/x/pr-1"));
    for (unsigned a = 0; a < 50; a++) {
        long d = mh_ci_duration(&c, 1, "abc", a);
        cr_assert(d >= 10 && d <= 20, "duration %ld", d);
    }
    json_t *j = mh_ci_config_json(&c);
    cr_assert_eq(json_array_size(json_object_get(j, "contexts")), 2);
    json_decref(j);
    mh_ci_config_dispose(&c);
}

Test(ci_config, errors_name_the_value)
{
    expect_bad("[]", "", "must be an object");
    expect_bad("{\"contxts\": []}", "/contxts", "unknown key \"contxts\"");
    expect_bad("{\"rules\": []}", "", "missing required key \"contexts\"");
    expect_bad("{\"contexts\": []}", "/contexts", "1..64");
    expect_bad("{\"contexts\": [{\"nam\": \"x\"}]}", "/contexts/0/nam", "unknown key");
    expect_bad("{\"contexts\": [{\"name\": \"\"}]}", "/contexts/0/name", "non-empty");
    expect_bad("{\"contexts\": [{\"name\": \"a\"}, {\"name\": \"a\"}]}", "/contexts/1/name", "duplicate");
    expect_bad("{\"contexts\": [{\"name\": \"a\", \"kind\": \"job\"}]}", "/contexts/0/kind", "check_run");
    expect_bad("{\"contexts\": [{\"name\": \"a\", \"duration_ms\": -1}]}", "/contexts/0/duration_ms", "milliseconds");
    expect_bad("{\"contexts\": [{\"name\": \"a\", \"duration_ms\": [5, 1]}]}", "/contexts/0/duration_ms", "MIN <= MAX");
    expect_bad("{\"contexts\": [{\"name\": \"a\", \"branches\": []}]}", "/contexts/0/branches", "non-empty array");
    expect_bad("{\"contexts\": [{\"name\": \"a\"}], \"rules\": [{}]}", "/rules/0", "needs a condition");
    expect_bad("{\"contexts\": [{\"name\": \"a\"}], \"rules\": [{\"context\": \"b\", \"path\": \"x\"}]}",
               "/rules/0/context", "matches no context");
    expect_bad("{\"contexts\": [{\"name\": \"a\"}], \"rules\": [{\"flake\": 1.5}]}", "/rules/0/flake", "probability");
    expect_bad("{\"contexts\": [{\"name\": \"a\"}], \"rules\": [{\"times\": 0}]}", "/rules/0/times", ">= 1");
    expect_bad("{\"contexts\": [{\"name\": \"a\"}], \"rules\": [{\"all\": []}]}", "/rules/0/all", "marker");
    expect_bad("{\"contexts\": [{\"name\": \"a\"}], \"rules\": [{\"contains\": \"x\", \"all\": [\"y\"]}]}", "/rules/0",
               "not both");
    expect_bad("{\"contexts\": [{\"name\": \"a\"}], \"rules\": [{\"path\": \"x\", \"conclusion\": \"meh\"}]}",
               "/rules/0/conclusion", "timed_out");
    expect_bad("{\"contexts\": [{\"name\": \"a\"}], \"seed\": -3}", "/seed", ">= 0");
}

Test(ci_config, world_errors_carry_file_and_line)
{
    const char *text = "{\"users\": [],\n"
                       " \"ci\": {\"contexts\": [{\"name\": \"ci/test\"}],\n"
                       "        \"rules\": [{\"path\": \"*.bad\"},\n"
                       "                  {\"flake\": \"often\"}]}}\n";
    mh_world w;
    char err[512];
    cr_assert_eq(mh_world_parse(&w, text, strlen(text), "w.json", err, sizeof err), -1);
    cr_assert(strstr(err, "w.json:4: /ci/rules/1/flake: must be a probability"), "%s", err);
    const char *good = "{\"ci\": {\"contexts\": [{\"name\": \"ci/test\"}], \"rules\": [{\"path\": \"*.bad\"}]}}";
    cr_assert_eq(mh_world_parse(&w, good, strlen(good), "w.json", err, sizeof err), 0, "%s", err);
    mh_world_dispose(&w);
}

/* A tree as a list of (path, content). */
static void scan_tree(mh_ci_scan *s, const mh_ci_config *c, const char *const *files)
{
    cr_assert_eq(mh_ci_scan_init(s, c), 0);
    for (size_t i = 0; files[i]; i += 2)
        mh_ci_scan_file(s, c, files[i], mh_ci_wants_content(c, files[i]) ? files[i + 1] : NULL,
                        strlen(files[i + 1]));
}

static const char *RULES =
    "{\"contexts\": [{\"name\": \"ci/test\"}, {\"name\": \"ci/lint\"}],"
    " \"rules\": [{\"path\": \"*.broken\"},"
    "            {\"context\": \"ci/test\", \"contains\": \"BREAKS_BUILD\", \"path\": \"src/*\"},"
    "            {\"all\": [\"RENAMED_FOO\", \"CALLS_FOO\"], \"summary\": \"foo was renamed under a caller\"},"
    "            {\"context\": \"ci/lint\", \"contains\": \"TODO\", \"conclusion\": \"timed_out\", "
    "             \"branches\": [\"landq/try/*\"]}]}";

Test(ci_rules, each_kind_of_rule)
{
    mh_ci_config c;
    cr_assert_eq(parse(&c, RULES), 0, "%s", msg);
    mh_ci_scan s;
    mh_ci_result r;

    const char *ok[] = {"README.md", "BREAKS_BUILD\n", "src/a.c", "int a;\n", NULL};
    scan_tree(&s, &c, ok);
    mh_ci_decide(&c, &s, 0, "main", "t1", 0, 1, &r);
    cr_assert_eq(r.failed, 0, "%s", r.summary); /* the marker outside src/ does not count */
    cr_assert_str_eq(r.conclusion, "success");
    mh_ci_scan_dispose(&s);

    const char *marker[] = {"src/x/y.c", "a BREAKS_BUILD b", NULL};
    scan_tree(&s, &c, marker);
    mh_ci_decide(&c, &s, 0, "main", "t2", 0, 1, &r);
    cr_assert(r.failed);
    cr_assert_eq(r.rule, 1);
    cr_assert_str_eq(r.summary, "src/x/y.c contains \"BREAKS_BUILD\"");
    mh_ci_decide(&c, &s, 1, "main", "t2", 0, 1, &r); /* ci/lint is not concerned */
    cr_assert_not(r.failed);
    mh_ci_scan_dispose(&s);

    const char *path[] = {"a/b/c.broken", "", NULL};
    scan_tree(&s, &c, path);
    mh_ci_decide(&c, &s, 1, "main", "t3", 0, 1, &r);
    cr_assert(r.failed);
    cr_assert_str_eq(r.summary, "a/b/c.broken matches \"*.broken\"");
    mh_ci_scan_dispose(&s);

    /* the semantic conflict: neither marker alone fails, both together do */
    const char *one[] = {"lib/foo.c", "RENAMED_FOO\n", NULL};
    const char *other[] = {"app/main.c", "CALLS_FOO\n", NULL};
    const char *both[] = {"lib/foo.c", "RENAMED_FOO\n", "app/main.c", "CALLS_FOO\n", NULL};
    scan_tree(&s, &c, one);
    mh_ci_decide(&c, &s, 0, "main", "t4", 0, 1, &r);
    cr_assert_not(r.failed);
    mh_ci_scan_dispose(&s);
    scan_tree(&s, &c, other);
    mh_ci_decide(&c, &s, 0, "main", "t5", 0, 1, &r);
    cr_assert_not(r.failed);
    mh_ci_scan_dispose(&s);
    scan_tree(&s, &c, both);
    mh_ci_decide(&c, &s, 0, "main", "t6", 0, 1, &r);
    cr_assert(r.failed);
    cr_assert_str_eq(r.summary, "foo was renamed under a caller");
    mh_ci_scan_dispose(&s);

    /* branch-limited rule and a conclusion other than failure */
    const char *todo[] = {"x.txt", "TODO\n", NULL};
    scan_tree(&s, &c, todo);
    mh_ci_decide(&c, &s, 1, "main", "t7", 0, 1, &r);
    cr_assert_not(r.failed);
    mh_ci_decide(&c, &s, 1, "landq/try/main/all/pr-3", "t7", 0, 1, &r);
    cr_assert(r.failed);
    cr_assert_str_eq(r.conclusion, "timed_out");
    mh_ci_scan_dispose(&s);
    mh_ci_config_dispose(&c);
}

Test(ci_rules, content_is_read_only_when_needed)
{
    mh_ci_config c;
    cr_assert_eq(parse(&c, RULES), 0, "%s", msg);
    cr_assert(mh_ci_wants_content(&c, "src/a.c"));     /* the contains rule on src/ and the "all" rule */
    cr_assert(mh_ci_wants_content(&c, "docs/x.md"));   /* the "all" rule looks everywhere */
    mh_ci_config_dispose(&c);
    cr_assert_eq(parse(&c, "{\"contexts\": [{\"name\": \"a\"}], \"rules\": [{\"contains\": \"X\", \"path\": "
                           "\"src/*\"}, {\"path\": \"*.bad\"}]}"),
                 0, "%s", msg);
    cr_assert(mh_ci_wants_content(&c, "src/a.c"));
    cr_assert_not(mh_ci_wants_content(&c, "docs/a.bad"));
    mh_ci_config_dispose(&c);
}

Test(ci_rules, flakes_are_seeded_and_skipped_by_the_oracle)
{
    mh_ci_config c;
    cr_assert_eq(parse(&c, "{\"seed\": 7, \"contexts\": [{\"name\": \"ci/test\"}], \"rules\": [{\"flake\": 0.25}]}"),
                 0, "%s", msg);
    mh_ci_scan s;
    const char *files[] = {"a", "b", NULL};
    scan_tree(&s, &c, files);
    int fails = 0, again = 0;
    mh_ci_result r;
    char tree[32];
    for (unsigned i = 0; i < 4000; i++) {
        snprintf(tree, sizeof tree, "tree%u", i);
        mh_ci_decide(&c, &s, 0, "main", tree, 0, 1, &r);
        fails += r.failed;
        if (r.failed) {
            cr_assert(r.transient);
            cr_assert_str_eq(r.summary, "flaky failure");
        }
        mh_ci_result r2;
        mh_ci_decide(&c, &s, 0, "main", tree, 0, 1, &r2); /* same inputs, same draw */
        again += r2.failed;
        mh_ci_decide(&c, &s, 0, "main", tree, 0, 0, &r2); /* the oracle never flakes */
        cr_assert_not(r2.failed);
    }
    cr_assert_eq(fails, again);
    cr_assert(fails > 850 && fails < 1150, "25%% of 4000 draws failed %d times", fails);
    /* another seed, other dice */
    cr_assert(mh_ci_draw(7, "t", "ci/test", 0, 0, "flake") != mh_ci_draw(8, "t", "ci/test", 0, 0, "flake"));
    cr_assert(mh_ci_draw(7, "t", "ci/test", 0, 0, "flake") != mh_ci_draw(7, "t", "ci/test", 0, 1, "flake"));
    mh_ci_scan_dispose(&s);
    mh_ci_config_dispose(&c);
}

Test(ci_rules, times_fires_then_passes)
{
    mh_ci_config c;
    cr_assert_eq(parse(&c, "{\"contexts\": [{\"name\": \"ci/test\"}], \"rules\": [{\"times\": 2, \"path\": "
                           "\"x\"}]}"),
                 0, "%s", msg);
    mh_ci_scan s;
    const char *files[] = {"x", "", NULL};
    scan_tree(&s, &c, files);
    mh_ci_result r;
    mh_ci_decide(&c, &s, 0, "main", "t", 0, 0, &r);
    cr_assert_not(r.failed); /* the oracle ignores transient rules */
    mh_ci_decide(&c, &s, 0, "main", "t", 0, 1, &r);
    cr_assert(r.failed);
    mh_ci_decide(&c, &s, 0, "main", "t", 1, 1, &r);
    cr_assert(r.failed);
    mh_ci_decide(&c, &s, 0, "main", "t", 2, 1, &r);
    cr_assert_not(r.failed);
    cr_assert_eq(c.rules[0].fired, 2);
    mh_ci_scan_dispose(&s);
    mh_ci_config_dispose(&c);
}
