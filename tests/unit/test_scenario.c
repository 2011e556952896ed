/* test_scenario.c -- scenario files (mockhub/scenario): parsing, validation with FILE:LINE errors
 * that point at the offending step or value, "repeat" expansion, the runner's independent owner
 * check (invariant 1) and the chaos generator (deterministic, always valid). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "sc_chaos.h"
#include "sc_owners.h"
#include "sc_scenario.h"

#define WORLD                                                                                              \
    "{\"users\": [{\"login\": \"alice\", \"token\": \"tok-alice\", \"email\": \"alice@acme.test\"},\n"      \
    "  {\"login\": \"bob\", \"token\": \"tok-bob\"},\n"                                                    \
    "  {\"login\": \"landq-bot\", \"token\": \"tok-landq\", \"type\": \"Bot\"}],\n"                        \
    " \"orgs\": [{\"login\": \"acme\", \"members\": [\"alice\", \"bob\"],\n"                              \
    "            \"teams\": [{\"slug\": \"infra\", \"members\": [\"bob\"]}]}],\n"                          \
    " \"repos\": [{\"full_name\": \"acme/mono\", \"default_branch\": \"main\",\n"                          \
    "   \"collaborators\": {\"alice\": \"write\", \"bob\": \"admin\", \"landq-bot\": \"maintain\"},\n"     \
    "   \"files\": {\".github/CODEOWNERS\": \"* @bob\\n\", \"a.txt\": \"a\\n\"}}]}"

static sc_errors errs;
static sc_scenario sc;

static void setup(void)
{
    sc_errors_init(&errs);
}
static void teardown(void)
{
    sc_scenario_dispose(&sc);
    sc_errors_dispose(&errs);
}
TestSuite(scenario, .init = setup, .fini = teardown);

static int parse(const char *text)
{
    return sc_scenario_parse(&sc, text, strlen(text), "s.json", &errs);
}

static void expect_error(const char *text, const char *want)
{
    cr_assert_eq(parse(text), -1, "accepted:\n%s", text);
    int found = 0;
    for (size_t i = 0; i < errs.n; i++)
        found |= strstr(errs.items[i], want) != NULL;
    cr_assert(found, "no error contains \"%s\"; first: %s", want, errs.n ? errs.items[0] : "(none)");
}

/* The world occupies lines 2..9 ("world": starts on line 2); steps start on line 10. */
#define DOC(steps, expect)                                                                                  \
    "{\"description\": \"d\",\n"                                                                            \
    "\"world\": " WORLD ",\n"                                                                               \
    "\"steps\": [\n" steps "],\n"                                                                           \
    "\"expect\": " expect "}\n"

#define OPEN "{\"do\": \"open_pr\", \"as\": \"alice\", \"title\": \"T\", \"head\": \"f\", \"files\": {\"a.txt\": \"b\\n\"}}"

Test(scenario, valid_document)
{
    const char *text = DOC(OPEN ",\n"
                           "{\"do\": \"review\", \"as\": \"bob\", \"pr\": 1, \"event\": \"APPROVE\"},\n"
                           "{\"do\": \"label\", \"as\": \"alice\", \"pr\": 1},\n"
                           "{\"do\": \"wait_pr\", \"pr\": 1, \"merged\": true}\n",
                           "{\"pulls\": {\"1\": {\"merged\": true, \"commit\": {\"title\": \"T\"}}}}");
    cr_assert_eq(parse(text), 0, "%s", errs.n ? errs.items[0] : "");
    cr_assert_eq(json_array_size(sc.steps), 4);
    cr_assert_eq(json_integer_value(json_object_get(json_array_get(sc.steps, 0), "_line")), 11);
    cr_assert_eq(json_integer_value(json_object_get(json_array_get(sc.steps, 3), "_line")), 14);
    cr_assert_str_eq(sc_scenario_repo(sc.root), "acme/mono");
    cr_assert_str_eq(sc_scenario_label(sc.root), "land");
    cr_assert_str_eq(sc_scenario_landq_user(sc.root), "landq-bot");
}

Test(scenario, syntax_error_has_line)
{
    expect_error("{\"description\": \"d\",\n\"world\": {},\n\"steps\": [,]}\n", "s.json:3:");
}

Test(scenario, unknown_step_points_at_its_line)
{
    expect_error(DOC(OPEN ",\n{\"do\": \"teleport\", \"as\": \"bob\"}\n", "{}"), "s.json:12: /steps/1/do: unknown step \"teleport\"");
}

Test(scenario, unknown_user)
{
    expect_error(DOC(OPEN ",\n{\"do\": \"label\", \"as\": \"mallory\", \"pr\": 1}\n", "{}"),
                 "s.json:12: /steps/1/as: no user \"mallory\" in the world");
}

Test(scenario, pr_that_does_not_exist_yet)
{
    expect_error(DOC("{\"do\": \"label\", \"as\": \"alice\", \"pr\": 1},\n" OPEN "\n", "{}"),
                 "s.json:11: /steps/0/pr: no pull request #1 at this point");
}

Test(scenario, missing_and_mistyped_fields)
{
    expect_error(DOC("{\"do\": \"review\", \"as\": \"bob\", \"pr\": 1}\n", "{}"), "step \"review\" needs \"event\"");
    sc_errors_dispose(&errs);
    expect_error(DOC(OPEN ",\n{\"do\": \"sleep\", \"ms\": \"10\"}\n", "{}"), "s.json:12: /steps/1/ms: \"ms\" must be an integer");
    sc_errors_dispose(&errs);
    expect_error(DOC(OPEN ",\n{\"do\": \"review\", \"as\": \"bob\", \"pr\": 1, \"event\": \"LGTM\"}\n", "{}"),
                 "event must be APPROVE, REQUEST_CHANGES or COMMENT");
}

Test(scenario, every_error_is_reported)
{
    cr_assert_eq(parse(DOC(OPEN ",\n{\"do\": \"label\", \"as\": \"x\", \"pr\": 1},\n{\"do\": \"nope\"}\n", "{}")), -1);
    cr_assert_eq(errs.n, 2, "errors: %zu", errs.n);
}

Test(scenario, world_errors_are_mapped_to_the_file)
{
    const char *text = "{\"description\": \"d\",\n"
                       "\"world\": {\"users\": [{\"login\": \"bob\", \"token\": \"t\"}], \"orgs\": [{\"login\": \"acme\"}],\n"
                       "  \"repos\": [{\"full_name\": \"acme/mono\",\n"
                       "     \"collaborators\": {\"bob\": \"emperor\"}}]},\n"
                       "\"steps\": []}\n";
    expect_error(text, "s.json:4: /world/repos/0/collaborators/bob:");
}

Test(scenario, world_needs_landq_user_and_admin)
{
    const char *text = "{\"description\": \"d\",\n"
                       "\"world\": {\"users\": [{\"login\": \"bob\", \"token\": \"t\"}],\n"
                       "  \"repos\": [{\"full_name\": \"acme/mono\", \"collaborators\": {\"bob\": \"write\"}}]},\n"
                       "\"steps\": []}\n";
    expect_error(text, "the landq user \"landq-bot\" must be a world user");
    expect_error(text, "needs an admin collaborator");
}

Test(scenario, repeat_expands_i)
{
    const char *text = DOC(OPEN ",\n" OPEN ",\n" OPEN ",\n"
                           "{\"do\": \"label\", \"repeat\": 3, \"as\": \"alice\", \"pr\": \"{i}\", \"note\": \"n{i}\"}\n",
                           "{}");
    cr_assert_eq(parse(text), 0, "%s", errs.n ? errs.items[0] : "");
    cr_assert_eq(json_array_size(sc.steps), 6);
    json_t *last = json_array_get(sc.steps, 5);
    cr_assert_eq(json_integer_value(json_object_get(last, "pr")), 3);
    cr_assert_str_eq(json_string_value(json_object_get(last, "note")), "n3");
    cr_assert_null(json_object_get(last, "repeat"));
    cr_assert_eq(json_integer_value(json_object_get(last, "_line")), 14);
}

Test(scenario, repeat_beyond_known_prs_fails)
{
    expect_error(DOC(OPEN ",\n{\"do\": \"label\", \"repeat\": 2, \"as\": \"alice\", \"pr\": \"{i}\"}\n", "{}"),
                 "/steps/1/pr: no pull request #2");
}

Test(scenario, world_pulls_repeat)
{
    const char *text = "{\"description\": \"d\",\n"
                       "\"world\": {\"users\": [{\"login\": \"bob\", \"token\": \"t\"}, {\"login\": \"alice\", \"token\": \"a\"},\n"
                       "   {\"login\": \"landq-bot\", \"token\": \"l\"}], \"orgs\": [{\"login\": \"acme\"}],\n"
                       "  \"repos\": [{\"full_name\": \"acme/mono\", \"collaborators\": {\"bob\": \"admin\", \"alice\": \"write\"},\n"
                       "   \"files\": {\"a\": \"a\"},\n"
                       "   \"pulls\": [{\"repeat\": 5, \"user\": \"alice\", \"head\": \"b{i}\", \"base\": \"main\",\n"
                       "              \"title\": \"T{i}\", \"files\": {\"f{i}\": \"{i}\"}}]}]},\n"
                       "\"steps\": [{\"do\": \"label\", \"as\": \"bob\", \"pr\": 5}]}\n";
    cr_assert_eq(parse(text), 0, "%s", errs.n ? errs.items[0] : "");
    json_t *pulls = json_object_get(json_array_get(json_object_get(json_object_get(sc.root, "world"), "repos"), 0), "pulls");
    cr_assert_eq(json_array_size(pulls), 5);
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(pulls, 4), "head")), "b5");
}

Test(scenario, bad_fault_and_unknown_fault_name)
{
    expect_error(DOC("{\"do\": \"fault\", \"spec\": {\"kind\": \"explode\"}}\n", "{}"), "s.json:11: /steps/0/spec: bad fault:");
    sc_errors_dispose(&errs);
    expect_error(DOC("{\"do\": \"wait_fault\", \"name\": \"slow\"}\n", "{}"), "no fault step named \"slow\"");
}

Test(scenario, expectations_are_checked)
{
    expect_error(DOC(OPEN "\n", "{\"pulls\": {\"1\": {\"merged\": \"yes\"}}}"), "\"merged\" must be a boolean");
    sc_errors_dispose(&errs);
    expect_error(DOC(OPEN "\n", "{\"pulls\": {\"2\": {\"merged\": true}}}"), "\"2\" is not a pull request of this scenario");
    sc_errors_dispose(&errs);
    expect_error(DOC(OPEN "\n", "{\"pulls\": {\"1\": {\"commit\": {\"tittle\": \"x\"}}}}"), "unknown key \"tittle\"");
    sc_errors_dispose(&errs);
    expect_error(DOC(OPEN "\n", "{\"base\": {\"order\": [\"1\"]}}"), "\"order\" must be an array of integers");
}

/* The CI simulator's steps and expectations need a world "ci" section; the "ci" step's rules are
 * validated as mockhub validates them, with the pointer of the bad value. */
#define WORLD_CI                                                                                           \
    "{\"users\": [{\"login\": \"bob\", \"token\": \"tok-bob\"},\n"                                        \
    "  {\"login\": \"landq-bot\", \"token\": \"tok-landq\", \"type\": \"Bot\"}],\n"                        \
    " \"repos\": [{\"full_name\": \"bob/mono\", \"collaborators\": {\"bob\": \"admin\"}}],\n"               \
    " \"ci\": {\"contexts\": [{\"name\": \"ci/test\", \"duration_ms\": 100}]}}"
#define DOC_CI(steps, expect)                                                                               \
    "{\"description\": \"d\",\n\"world\": " WORLD_CI ",\n\"steps\": [\n" steps "],\n\"expect\": " expect "}\n"

Test(scenario, ci_steps_and_expectations)
{
    cr_assert_eq(parse(DOC_CI("{\"do\": \"ci\", \"rules\": [{\"contains\": \"X\"}]},\n"
                              "{\"do\": \"wait_ci\", \"branch\": \"landq/try/*\", \"completed\": 1}\n",
                              "{\"ci\": {\"main_green\": true, \"candidates\": 2, \"try_branches\": 0, \"ejected\": [1]}}")),
                 0, "%s", errs.n ? errs.items[0] : "");
    sc_scenario_dispose(&sc);
    expect_error(DOC_CI("{\"do\": \"ci\", \"rules\": [{\"flake\": 2}]}\n", "{}"),
                 "s.json:7: /steps/0/rules/0/flake: must be a probability");
    sc_errors_dispose(&errs);
    expect_error(DOC_CI("{\"do\": \"wait_ci\", \"runs\": \"2\"}\n", "{}"), "\"runs\" must be an integer");
    sc_errors_dispose(&errs);
    expect_error(DOC_CI("{\"do\": \"sleep\", \"ms\": 1}\n", "{\"ci\": {\"main_gren\": true}}"), "unknown key \"main_gren\"");
    sc_errors_dispose(&errs);
    expect_error(DOC("{\"do\": \"wait_ci\", \"runs\": 1}\n", "{}"), "needs a \"ci\" section in the world");
    sc_errors_dispose(&errs);
    expect_error(DOC(OPEN "\n", "{\"ci\": {\"main_green\": true}}"), "CI expectations need a \"ci\" section");
}

Test(scenario, files_must_be_relative)
{
    expect_error(DOC("{\"do\": \"open_pr\", \"as\": \"alice\", \"title\": \"T\", \"head\": \"f\", \"files\": {\"/etc/x\": \"b\"}}\n",
                     "{}"),
                 "/steps/0/files/~1etc~1x: bad path");
}

Test(scenario, line_map_escapes_pointers)
{
    const char *text = "{\"a/b\": 1,\n\"c~d\": [\n0,\n{\"e\": 2}]}";
    json_t *lines = sc_json_lines(text, strlen(text));
    cr_assert_eq(sc_scenario_line(lines, "/a~1b"), 1);
    cr_assert_eq(sc_scenario_line(lines, "/c~0d/1/e"), 4);
    cr_assert_eq(sc_scenario_line(lines, "/c~0d/1/missing"), 4); /* nearest ancestor */
    json_decref(lines);
}

Test(scenario, garbage_never_crashes)
{
    const char *inputs[] = {"", "null", "[]", "{\"world\": 1}", "{\"description\": 1, \"world\": [], \"steps\": {}}",
                            "{\"description\": \"d\", \"world\": {}, \"steps\": [1, null, {\"do\": 3}]}"};
    for (size_t i = 0; i < sizeof inputs / sizeof *inputs; i++) {
        sc_errors e;
        sc_errors_init(&e);
        sc_scenario s;
        cr_assert_eq(sc_scenario_parse(&s, inputs[i], strlen(inputs[i]), "g.json", &e), -1, "%s", inputs[i]);
        cr_assert_gt(e.n, 0);
        sc_errors_dispose(&e);
    }
}

/* ---- the independent owner check ---- */

static json_t *reviews(void)
{
    return json_pack("[{s:s, s:s, s:s}, {s:s, s:s, s:s}, {s:s, s:s, s:s}, {s:s, s:s, s:s}, {s:s, s:s, s:s}]",
                     "user", "Bob", "state", "APPROVED", "commit_id", "h2",                /* approves head */
                     "user", "carol", "state", "APPROVED", "commit_id", "h1",              /* stale */
                     "user", "bob", "state", "COMMENTED", "commit_id", "h2",               /* no change */
                     "user", "alice", "state", "APPROVED", "commit_id", "h2",              /* the author */
                     "user", "dave", "state", "CHANGES_REQUESTED", "commit_id", "h2");
}

Test(owners, approvers_latest_opinion_on_head_without_author)
{
    json_t *r = reviews();
    json_t *a = sc_approvers(r, "alice", "h2");
    cr_assert_eq(json_array_size(a), 1);
    cr_assert_str_eq(json_string_value(json_array_get(a, 0)), "Bob");
    cr_assert_eq(sc_changes_requested(r), 1);
    json_array_append_new(r, json_pack("{s:s, s:s, s:s}", "user", "dave", "state", "DISMISSED", "commit_id", "h2"));
    cr_assert_eq(sc_changes_requested(r), 0);
    json_array_append_new(r, json_pack("{s:s, s:s, s:s}", "user", "bob", "state", "DISMISSED", "commit_id", "h2"));
    json_decref(a);
    a = sc_approvers(r, "alice", "h2");
    cr_assert_eq(json_array_size(a), 0);
    json_decref(a);
    json_decref(r);
}

Test(owners, approvers_sorted_case_insensitively)
{
    json_t *r = json_pack("[{s:s, s:s, s:s}, {s:s, s:s, s:s}, {s:s, s:s, s:s}]", "user", "zed", "state", "APPROVED",
                          "commit_id", "h", "user", "Bob", "state", "APPROVED", "commit_id", "h", "user", "carol", "state",
                          "APPROVED", "commit_id", "h");
    json_t *a = sc_approvers(r, "x", "h");
    cr_assert_str_eq(json_string_value(json_array_get(a, 0)), "Bob");
    cr_assert_str_eq(json_string_value(json_array_get(a, 1)), "carol");
    cr_assert_str_eq(json_string_value(json_array_get(a, 2)), "zed");
    json_decref(a);
    json_decref(r);
}

static const char *CO = "*         @bob\n/infra/   @acme/infra\n/docs/    docs@acme.test\n/vendor/\n";

static int satisfied(const char *files_json, const char *approvers_json, char *why, size_t n)
{
    json_error_t je;
    json_t *files = json_loads(files_json, 0, &je);
    json_t *appr = json_loads(approvers_json, 0, &je);
    json_t *world = json_loads("{\"users\": [{\"login\": \"dora\", \"email\": \"Docs@acme.test\"}],"
                               " \"orgs\": [{\"login\": \"acme\", \"teams\": [{\"slug\": \"infra\", \"members\": [\"ivan\"]}]}]}",
                               0, &je);
    int rc = sc_owners_satisfied(CO, strlen(CO), files, appr, world, why, n);
    json_decref(files);
    json_decref(appr);
    json_decref(world);
    return rc;
}

Test(owners, users_teams_emails_unowned)
{
    char why[512];
    cr_assert_eq(satisfied("[{\"filename\": \"README.md\"}]", "[\"bob\"]", why, sizeof why), 1);
    cr_assert_eq(satisfied("[{\"filename\": \"README.md\"}]", "[\"carol\"]", why, sizeof why), 0);
    cr_assert(strstr(why, "README.md needs one of @bob (CODEOWNERS line 1)"), "%s", why);
    cr_assert_eq(satisfied("[{\"filename\": \"infra/main.tf\"}]", "[\"bob\"]", why, sizeof why), 0);
    cr_assert_eq(satisfied("[{\"filename\": \"infra/main.tf\"}]", "[\"IVAN\"]", why, sizeof why), 1);
    cr_assert_eq(satisfied("[{\"filename\": \"docs/a.md\"}]", "[\"dora\"]", why, sizeof why), 1);
    cr_assert_eq(satisfied("[{\"filename\": \"vendor/x.c\"}]", "[]", why, sizeof why), 1);
    cr_assert_eq(satisfied("[{\"filename\": \"vendor/x.c\", \"previous_filename\": \"infra/x.c\"}]", "[\"bob\"]", why,
                           sizeof why),
                 0, "a rename needs the owners of the old path too");
    cr_assert_eq(sc_owners_satisfied(NULL, 0, NULL, NULL, NULL, why, sizeof why), 1, "no CODEOWNERS: nothing owned");
}

Test(owners, owners_read_from_the_deciding_line)
{
    /* escaped blanks belong to the pattern; a comment ends the owners */
    static const char *co = "*  @bob  # everyone\n/my\\ dir/  @carol @Dora   # two\n";
    json_error_t je;
    json_t *world = json_loads("{}", 0, &je);
    json_t *files = json_loads("[{\"filename\": \"my dir/a.txt\"}]", 0, &je);
    json_t *dora = json_loads("[\"dora\"]", 0, &je), *bob = json_loads("[\"bob\"]", 0, &je);
    char why[512];
    cr_assert_eq(sc_owners_satisfied(co, strlen(co), files, dora, world, why, sizeof why), 1, "%s", why);
    cr_assert_eq(sc_owners_satisfied(co, strlen(co), files, bob, world, why, sizeof why), 0);
    cr_assert(strstr(why, "needs one of @carol @Dora (CODEOWNERS line 2)"), "%s", why);
    json_decref(world);
    json_decref(files);
    json_decref(dora);
    json_decref(bob);
}

Test(owners, decided_base_from_landq_statuses)
{
    json_error_t je;
    json_t *st = json_loads(
        "[{\"context\": \"landq\", \"description\": \"landed as 0123456789ab on scratch\"},"
        " {\"context\": \"ci\", \"description\": \"landing on nope now\"},"
        " {\"context\": \"landq\", \"description\": \"landing on release/4.2 now\"},"
        " {\"context\": \"landq\", \"description\": \"ready: position 1 of 2 in the queue for main\"}]",
        0, &je);
    char base[64];
    cr_assert_eq(sc_decided_base(st, "landq", base, sizeof base), 1);
    cr_assert_str_eq(base, "release/4.2", "the newest status naming a base, landq's only");
    json_array_remove(st, 2);
    cr_assert_eq(sc_decided_base(st, "landq", base, sizeof base), 1);
    cr_assert_str_eq(base, "main");
    json_array_clear(st);
    cr_assert_eq(sc_decided_base(st, "landq", base, sizeof base), 0);
    json_decref(st);
}

/* ---- chaos ---- */

Test(chaos, deterministic_and_valid)
{
    for (uint64_t seed = 0; seed < 150; seed++) {
        json_t *a = sc_chaos_generate(seed), *b = sc_chaos_generate(seed);
        cr_assert(json_equal(a, b), "seed %llu not deterministic", (unsigned long long)seed);
        char *text = json_dumps(a, JSON_INDENT(1));
        sc_errors e;
        sc_errors_init(&e);
        sc_scenario s;
        int rc = sc_scenario_parse(&s, text, strlen(text), "chaos.json", &e);
        cr_assert_eq(rc, 0, "seed %llu: %s", (unsigned long long)seed, e.n ? e.items[0] : "");
        sc_scenario_dispose(&s);
        sc_errors_dispose(&e);
        free(text);
        json_decref(a);
        json_decref(b);
    }
    json_t *x = sc_chaos_generate(1), *y = sc_chaos_generate(2);
    cr_assert_not(json_equal(x, y));
    json_decref(x);
    json_decref(y);
}

/* --instances N: the one-instance timeline with 1-3 kill_leader steps added, valid, deterministic */
Test(chaos, several_instances_add_kills_only)
{
    for (uint64_t seed = 0; seed < 100; seed++) {
        json_t *one = sc_chaos_generate(seed), *a = sc_chaos_generate_ha(seed, 3), *b = sc_chaos_generate_ha(seed, 3);
        cr_assert(json_equal(a, b), "seed %llu not deterministic", (unsigned long long)seed);
        cr_assert_eq(json_integer_value(json_object_get(json_object_get(a, "landq"), "instances")), 3);
        json_t *steps = json_object_get(a, "steps"), *rest = json_array();
        size_t i, kills = 0;
        json_t *st;
        json_array_foreach(steps, i, st) {
            const char *note = json_string_value(json_object_get(st, "note"));
            if (!strcmp(json_string_value(json_object_get(st, "do")), "kill_leader"))
                kills++;
            else if (!note || strcmp(note, SC_CHAOS_LOAD))
                json_array_append(rest, st);
        }
        cr_assert(kills >= 1 && kills <= 3, "seed %llu: %zu kills", (unsigned long long)seed, kills);
        cr_assert(json_equal(rest, json_object_get(one, "steps")), "seed %llu: the timeline changed", (unsigned long long)seed);
        char *text = json_dumps(a, JSON_INDENT(1));
        sc_errors e;
        sc_errors_init(&e);
        sc_scenario s;
        int rc = sc_scenario_parse(&s, text, strlen(text), "chaos.json", &e);
        cr_assert_eq(rc, 0, "seed %llu: %s", (unsigned long long)seed, e.n ? e.items[0] : "");
        sc_scenario_dispose(&s);
        sc_errors_dispose(&e);
        free(text);
        json_decref(rest);
        json_decref(one);
        json_decref(a);
        json_decref(b);
    }
    json_t *one = sc_chaos_generate(5), *same = sc_chaos_generate_ha(5, 1);
    cr_assert(json_equal(one, same), "--instances 1 must play the seeds as before");
    json_decref(one);
    json_decref(same);
}

/* --mode predictive / direct-ci: the direct timeline with marker files added to some pull requests
 * and pushes, ci-bot's statuses renamed, a CI landing load appended; a ci section, landq's settings */
static int is_marker_path(const char *path)
{
    return strstr(path, "/broken-") || strstr(path, "/pair-");
}

Test(chaos, ci_modes_keep_the_timeline)
{
    int seen_pair = 0, seen_spec = 0, seen_batch = 0, seen_retry = 0;
    for (uint64_t seed = 0; seed < 100; seed++) {
        json_t *one = sc_chaos_generate(seed), *p = sc_chaos_generate_mode(seed, SC_CHAOS_PREDICTIVE),
               *p2 = sc_chaos_generate_mode(seed, SC_CHAOS_PREDICTIVE), *d = sc_chaos_generate_mode(seed, SC_CHAOS_DIRECT_CI);
        cr_assert(json_equal(p, p2), "seed %llu not deterministic", (unsigned long long)seed);
        json_t *ci = json_object_get(json_object_get(p, "world"), "ci");
        cr_assert(json_is_object(ci), "seed %llu: no ci section", (unsigned long long)seed);
        cr_assert(json_equal(ci, json_object_get(json_object_get(d, "world"), "ci")));
        cr_assert(json_equal(json_object_get(p, "steps"), json_object_get(d, "steps")), "direct-ci plays the same timeline");
        cr_assert_str_eq(json_string_value(json_array_get(json_object_get(json_object_get(p, "landq"), "required_checks"), 0)),
                         SC_CHAOS_CHECK);
        /* landq's arguments: predictive with settings; direct-ci without --mode */
        char *pa = json_dumps(json_object_get(json_object_get(p, "landq"), "args"), JSON_COMPACT);
        char *da = json_dumps(json_object_get(json_object_get(d, "landq"), "args"), JSON_COMPACT);
        cr_assert(strstr(pa, "\"--mode\",\"predictive\""), "%s", pa);
        cr_assert_null(strstr(da, "--mode"), "%s", da);
        seen_spec |= !strstr(pa, "\"--speculation\",\"1\"");
        seen_batch |= !strstr(pa, "\"--batch\",\"1\"");
        seen_retry |= !strstr(pa, "\"--retry-failed\",\"0\"");
        free(pa);
        free(da);
        /* the timeline: the direct one, up to marker files and ci-bot's context, plus the load */
        json_t *steps = json_object_get(p, "steps"), *base = json_object_get(one, "steps");
        size_t i, n = 0;
        json_t *st;
        json_array_foreach(steps, i, st) {
            const char *note = json_string_value(json_object_get(st, "note"));
            if (note && !strcmp(note, SC_CHAOS_CI_LOAD)) {
                json_t *f = json_object_get(st, "files");
                const char *k;
                json_t *v;
                json_object_foreach(f, k, v) seen_pair |= strstr(json_string_value(v), "RENAMED_FOO") != NULL;
                continue;
            }
            json_t *want = json_array_get(base, n++), *got = json_deep_copy(st);
            cr_assert_not_null(want, "seed %llu: more steps than the direct timeline", (unsigned long long)seed);
            json_t *f = json_object_get(got, "files");
            const char *k;
            json_t *v;
            void *tmp;
            json_object_foreach_safe(f, tmp, k, v) {
                if (is_marker_path(k))
                    json_object_del(f, k);
            }
            if (!strcmp(json_string_value(json_object_get(got, "do")), "status")) {
                cr_assert_str_eq(json_string_value(json_object_get(got, "context")), "ci/lint");
                json_object_set_new(got, "context", json_string("ci/test"));
            }
            cr_assert(json_equal(got, want), "seed %llu: step %zu changed", (unsigned long long)seed, i);
            json_decref(got);
        }
        cr_assert_eq(n, json_array_size(base), "seed %llu: the direct timeline was cut", (unsigned long long)seed);
        char *text = json_dumps(p, JSON_INDENT(1));
        sc_errors e;
        sc_errors_init(&e);
        sc_scenario s;
        int rc = sc_scenario_parse(&s, text, strlen(text), "chaos.json", &e);
        cr_assert_eq(rc, 0, "seed %llu: %s", (unsigned long long)seed, e.n ? e.items[0] : "");
        sc_scenario_dispose(&s);
        sc_errors_dispose(&e);
        free(text);
        json_decref(one);
        json_decref(p);
        json_decref(p2);
        json_decref(d);
    }
    cr_assert(seen_pair && seen_spec && seen_batch && seen_retry, "the seeds vary landq's settings and carry pairs");
    json_t *one = sc_chaos_generate(9), *same = sc_chaos_generate_mode(9, SC_CHAOS_DIRECT);
    cr_assert(json_equal(one, same), "--mode direct must play the seeds as before");
    json_decref(one);
    json_decref(same);
}

/* kill_leader needs several instances; instances is bounded */
Test(chaos, kill_leader_needs_instances)
{
#define KL_BASE(LANDQ)                                                                                        \
    "{\"description\": \"d\", \"world\": {\"users\": [{\"login\": \"root\", \"token\": \"t\"},"          \
    " {\"login\": \"landq-bot\", \"token\": \"l\"}], \"orgs\": [{\"login\": \"acme\"}],"                   \
    " \"repos\": [{\"full_name\": \"acme/mono\", \"collaborators\": {\"root\": \"admin\","                   \
    " \"landq-bot\": \"maintain\"}, \"files\": {\"a\": \"a\\n\"}}]}, " LANDQ                                \
    " \"steps\": [{\"do\": \"kill_leader\", \"down_ms\": 10}]}"
    const char *texts[] = {KL_BASE(""), KL_BASE("\"landq\": {\"instances\": 3},"), KL_BASE("\"landq\": {\"instances\": 9},")};
    const int want[] = {-1, 0, -1};
    for (int k = 0; k < 3; k++) {
        const char *text = texts[k];
        sc_errors e;
        sc_errors_init(&e);
        sc_scenario s;
        int rc = sc_scenario_parse(&s, text, strlen(text), "k.json", &e);
        cr_assert_eq(rc, want[k], "case %d: %s", k, e.n ? e.items[0] : "(no error)");
        if (rc == 0)
            sc_scenario_dispose(&s);
        sc_errors_dispose(&e);
    }
}

/* ---- what GitHub refuses, known at check time (issue 17) ---- */

/* A world with a read-only user (carol), a triage user (trina) and an org member without a role
 * (dave, who gets the org's read). */
#define WORLD2                                                                                             \
    "{\"users\": [{\"login\": \"alice\", \"token\": \"tok-alice\"}, {\"login\": \"bob\", \"token\": \"tok-bob\"},\n" \
    "  {\"login\": \"carol\", \"token\": \"tok-carol\"}, {\"login\": \"trina\", \"token\": \"tok-trina\"},\n"     \
    "  {\"login\": \"dave\", \"token\": \"tok-dave\"}, {\"login\": \"zed\", \"token\": \"tok-zed\"},\n"           \
    "  {\"login\": \"landq-bot\", \"token\": \"tok-landq\", \"type\": \"Bot\"}],\n"                              \
    " \"orgs\": [{\"login\": \"acme\", \"members\": [\"alice\", \"bob\", \"dave\"],\n"                          \
    "            \"teams\": [{\"slug\": \"core\", \"members\": []}, {\"slug\": \"kids\", \"parent\": \"core\", \"members\": [\"zed\"]}]}],\n" \
    " \"repos\": [{\"full_name\": \"acme/mono\", \"teams\": {\"core\": \"write\"},\n"                          \
    "   \"collaborators\": {\"alice\": \"write\", \"bob\": \"admin\", \"carol\": \"read\", \"trina\": \"triage\", \"landq-bot\": \"maintain\"},\n" \
    "   \"files\": {\"a.txt\": \"a\\n\"}}]}"
#define DOC2(steps) "{\"description\": \"d\",\n\"world\": " WORLD2 ",\n\"steps\": [\n" steps "]}\n"

Test(scenario, steps_github_refuses_by_role)
{
    expect_error(DOC2(OPEN ",\n{\"do\": \"label\", \"as\": \"carol\", \"pr\": 1}\n"),
                 "/steps/1/as: \"carol\" has read access to acme/mono; GitHub refuses labeling (it needs triage) with 403");
    sc_errors_dispose(&errs);
    expect_error(DOC2("{\"do\": \"open_pr\", \"as\": \"trina\", \"title\": \"T\", \"head\": \"f\", \"files\": {\"a.txt\": \"b\\n\"}}\n"),
                 "\"trina\" has triage access to acme/mono; GitHub refuses pushing its branch (it needs write)");
    sc_errors_dispose(&errs);
    expect_error(DOC2(OPEN ",\n{\"do\": \"review\", \"as\": \"alice\", \"pr\": 1, \"event\": \"APPROVE\"}\n"),
                 "\"alice\" wrote #1: GitHub refuses an author's APPROVE with 422");
    sc_errors_dispose(&errs);
    expect_error(DOC2(OPEN ",\n{\"do\": \"status\", \"as\": \"dave\", \"pr\": 1, \"context\": \"ci\", \"state\": \"success\"}\n"),
                 "\"dave\" has read access");
}

Test(scenario, refusals_on_purpose_and_allowed_steps_pass)
{
    const char *ok = DOC2(OPEN ",\n"
                          "{\"do\": \"label\", \"as\": \"carol\", \"pr\": 1, \"expect_http\": 403},\n"
                          "{\"do\": \"label\", \"as\": \"trina\", \"pr\": 1},\n"
                          "{\"do\": \"review\", \"as\": \"alice\", \"pr\": 1, \"event\": \"APPROVE\", \"expect_http\": 422},\n"
                          "{\"do\": \"review\", \"as\": \"carol\", \"pr\": 1, \"event\": \"APPROVE\"},\n"
                          "{\"do\": \"status\", \"as\": \"zed\", \"pr\": 1, \"context\": \"ci\", \"state\": \"success\"},\n"
                          "{\"do\": \"close\", \"as\": \"alice\", \"pr\": 1},\n"
                          "{\"do\": \"reopen\", \"as\": \"trina\", \"pr\": 1},\n"
                          "{\"do\": \"unlabel\", \"as\": \"dave\", \"pr\": 1, \"expect_http\": 0}\n");
    cr_assert_eq(parse(ok), 0, "%s", errs.n ? errs.items[0] : ""); /* zed writes through a child team */
}

/* One bad path in open_pr is one error, not one per later step naming that pull request. */
Test(scenario, bad_open_pr_is_one_root_error)
{
    cr_assert_eq(parse(DOC("{\"do\": \"open_pr\", \"as\": \"alice\", \"title\": \"T\", \"head\": \"f\", \"files\": {\"../x\": \"b\\n\"}},\n"
                           "{\"do\": \"review\", \"as\": \"bob\", \"pr\": 1, \"event\": \"APPROVE\"},\n"
                           "{\"do\": \"label\", \"as\": \"alice\", \"pr\": 1},\n"
                           "{\"do\": \"wait_pr\", \"pr\": 1, \"merged\": true}\n",
                           "{\"pulls\": {\"1\": {\"merged\": true}}}")),
                 -1);
    cr_assert_eq(errs.n, 1, "%zu errors, the first: %s", errs.n, errs.items[0]);
    cr_assert(strstr(errs.items[0], "/steps/0/files/..~1x: bad path"), "%s", errs.items[0]);
}

/* "world": {"include": FILE, ...overrides} (sc_scenario_load reads the included world). */
static char tmpdir[] = "/tmp/test-scenario-XXXXXX";

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "%s", path);
    fputs(text, f);
    fclose(f);
}

Test(scenario, world_include_with_overrides)
{
    cr_assert_not_null(mkdtemp(tmpdir));
    char p[512];
    snprintf(p, sizeof p, "%s/worlds", tmpdir);
    cr_assert_eq(mkdir(p, 0755), 0);
    snprintf(p, sizeof p, "%s/worlds/acme.json", tmpdir);
    write_file(p, WORLD "\n");
    snprintf(p, sizeof p, "%s/sub", tmpdir);
    cr_assert_eq(mkdir(p, 0755), 0);
    snprintf(p, sizeof p, "%s/sub/s.json", tmpdir);
    write_file(p, "{\"description\": \"d\",\n"
                  " \"world\": {\"include\": \"worlds/acme.json\",\n"
                  "   \"rate_limit\": {\"core\": 10},\n"
                  "   \"users\": [{\"login\": \"carol\", \"token\": \"tok-carol\"}],\n"
                  "   \"repos\": [{\"full_name\": \"acme/mono\", \"collaborators\": {\"carol\": \"write\"}}]},\n"
                  " \"steps\": [" OPEN ",\n"
                  "   {\"do\": \"review\", \"as\": \"carol\", \"pr\": 1, \"event\": \"APPROVE\"}]}\n");
    cr_assert_eq(sc_scenario_load(&sc, p, &errs), 0, "%s", errs.n ? errs.items[0] : "");
    json_t *w = json_object_get(sc.root, "world");
    cr_assert_eq(json_integer_value(json_object_get(json_object_get(w, "rate_limit"), "core")), 10);
    cr_assert_eq(json_array_size(json_object_get(w, "users")), 4); /* alice, bob, landq-bot + carol */
    json_t *collab = json_object_get(json_array_get(json_object_get(w, "repos"), 0), "collaborators");
    cr_assert_str_eq(json_string_value(json_object_get(collab, "carol")), "write");
    cr_assert_str_eq(json_string_value(json_object_get(collab, "bob")), "admin"); /* kept from the include */
    sc_scenario_dispose(&sc);
    /* an error in the included world names the included file and its line */
    snprintf(p, sizeof p, "%s/worlds/bad.json", tmpdir);
    write_file(p, "{\"users\": [{\"login\": \"bob\", \"token\": \"t\"}],\n \"repos\": [{\"full_name\": \"bob/x\",\n"
                  "   \"collaborators\": {\"bob\": \"emperor\"}}]}\n");
    snprintf(p, sizeof p, "%s/sub/bad.json", tmpdir);
    write_file(p, "{\"description\": \"d\", \"world\": {\"include\": \"worlds/bad.json\"}, \"steps\": []}\n");
    cr_assert_eq(sc_scenario_load(&sc, p, &errs), -1);
    cr_assert(strstr(errs.items[0], "worlds/bad.json:3: /world/repos/0/collaborators/bob"), "%s", errs.items[0]);
    sc_errors_dispose(&errs);
    /* a missing include is the root error, at its line */
    write_file(p, "{\"description\": \"d\",\n \"world\": {\"include\": \"worlds/none.json\"}, \"steps\": []}\n");
    cr_assert_eq(sc_scenario_load(&sc, p, &errs), -1);
    cr_assert(strstr(errs.items[0], "sub/bad.json:2: /world/include: \"worlds/none.json\" not found"), "%s", errs.items[0]);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    cr_assert_eq(system(cmd), 0);
}
