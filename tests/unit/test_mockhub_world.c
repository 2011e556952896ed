/* test_mockhub_world.c -- world file parsing and validation: defaults, and FILE:LINE errors that
 * point at the offending value. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "mh_merge.h"
#include "mh_world.h"

static char err[1024];

static int parse(const char *text, mh_world *w)
{
    return mh_world_parse(w, text, strlen(text), "w.json", err, sizeof err);
}

Test(world, issue_example_is_valid)
{
    const char *text =
        "{\"users\": [{\"login\": \"alice\", \"token\": \"tok-alice\", \"email\": \"alice@example.com\", \"name\": \"Alice\"},\n"
        "  {\"login\": \"bob\"}, {\"login\": \"carol\"}],\n"
        " \"orgs\": [{\"login\": \"acme\", \"members\": [\"alice\", \"bob\"],\n"
        "           \"teams\": [{\"slug\": \"infra\", \"members\": [\"bob\"]}]}],\n"
        " \"repos\": [{\"full_name\": \"acme/mono\", \"default_branch\": \"main\",\n"
        "            \"collaborators\": {\"alice\": \"write\", \"bob\": \"admin\", \"carol\": \"read\"},\n"
        "            \"files\": {\".github/CODEOWNERS\": \"/infra/ @acme/infra\\n\", \"infra/main.tf\": \"x\\n\"},\n"
        "            \"labels\": [\"land\"],\n"
        "            \"hooks\": [{\"url\": \"http://127.0.0.1:9000/webhook\", \"secret\": \"s3cret\", \"events\": [\"*\"]}]}],\n"
        " \"meta\": {\"hooks\": [\"127.0.0.0/8\", \"::1/128\"]},\n"
        " \"rate_limit\": {\"core\": 5000, \"window_seconds\": 3600}}\n";
    mh_world w;
    cr_assert_eq(parse(text, &w), 0, "%s", err);
    cr_assert_eq(mh_world_line(&w, "/repos/0/collaborators/carol"), 6);
    mh_world_dispose(&w);
}

static void expect_error(const char *text, const char *want)
{
    mh_world w;
    cr_assert_eq(parse(text, &w), -1, "accepted: %s", text);
    cr_assert(strstr(err, want), "error \"%s\" lacks \"%s\"", err, want);
}

Test(world, errors_name_file_line_and_path)
{
    expect_error("{\"users\": [\n {\"login\": \"a\"},\n {\"login\": 5}]}", "w.json:3: /users/1/login: must be a string");
    expect_error("{\"users\": [{\"login\": \"a\"}],\n \"repos\": [{\"full_name\": \"a/r\",\n  \"collaborators\": {\n   \"zed\": \"write\"}}]}",
                 "w.json:4: /repos/0/collaborators/zed: unknown user");
    expect_error("{\"users\": [{\"login\": \"a\"}],\n \"repos\": [{\"full_name\": \"a/r\", \"collaborators\": {\"a\": \"owner\"}}]}",
                 "role must be one of read, triage, write, maintain, admin");
    expect_error("{\"users\": [{\"login\": \"a\", \"tokn\": \"x\"}]}", "w.json:1: /users/0/tokn: unknown key \"tokn\"");
    expect_error("{\"users\": [{\"login\": \"a\"}]\n,\n}", "w.json:3:");
    expect_error("{\"repos\": [{\"full_name\": \"ghost/r\"}]}", "owner \"ghost\" is neither a user nor an org");
    expect_error("{\"users\": [{\"login\": \"a\"}], \"repos\": [{\"full_name\": \"a/r\", \"files\": {\"../x\": \"y\"}}]}",
                 "invalid file path");
    expect_error("{\"users\": [{\"login\": \"a\", \"token\": \"t\"}, {\"login\": \"b\", \"token\": \"t\"}]}", "token already used");
    expect_error("{\"users\": [{\"login\": \"a\"}], \"repos\": [{\"full_name\": \"a/r\", \"files\": {\"x\": \"1\", \"x/y\": \"2\"}}]}",
                 "\"x\" is also a file");
    expect_error("{\"users\": [{\"login\": \"a\"}, {\"login\": \"A\"}]}", "duplicate login");
    expect_error("{\"rate_limit\": {\"core\": \"lots\"}}", "/rate_limit/core: must be an integer");
    expect_error("{\"rate_limit\": {\"status\": 500}}", "must be 403 or 429");
    expect_error("{\"faults\": [{\"kind\": \"nope\"}]}", "/faults/0: unknown fault kind");
    expect_error("{\"users\": [{\"login\": \"a\"}], \"repos\": [{\"full_name\": \"a/r\", \"hooks\": [{\"url\": \"ftp://x\"}]}]}",
                 "hook url must start with http");
    expect_error("{\"orgs\": [{\"login\": \"o\", \"teams\": [{\"slug\": \"t\", \"parent\": \"nope\"}]}]}", "parent team");
    expect_error("[1, 2]", "the world must be a JSON object");
    expect_error("{\"users\": [{\"login\": \"a\"}], \"repos\": [{\"full_name\": \"a/r\", \"pulls\": [{\"user\": \"a\"}]}]}",
                 "missing required key \"head\"");
    expect_error("{\"users\": [{\"login\": \"a\"}], \"repos\": [{\"full_name\": \"a/r\", \"teams\": {\"t\": \"write\"}}]}",
                 "team grants need an org-owned repository");
}

Test(world, duplicate_keys_rejected)
{
    expect_error("{\"users\": [],\n \"users\": []}", "w.json:2:");
}

Test(world, roles)
{
    cr_assert_eq(mh_role_level("read"), 1);
    cr_assert_eq(mh_role_level("triage"), 2);
    cr_assert_eq(mh_role_level("admin"), 5);
    cr_assert_eq(mh_role_level("owner"), 0);
    cr_assert_eq(mh_role_level(NULL), 0);
    cr_assert_str_eq(mh_role_name(4), "maintain");
}

Test(world, load_missing_file)
{
    mh_world w;
    cr_assert_eq(mh_world_load(&w, "/nonexistent/world.json", err, sizeof err), -1);
    cr_assert(strstr(err, "/nonexistent/world.json: cannot open"));
}

/* ---- "include" (mh_merge: pure merge rules; mh_world_load: the files) ---- */

Test(merge, objects_merge_named_arrays_merge_other_arrays_replace)
{
    json_error_t je;
    json_t *base = json_loads("{\"users\": [{\"login\": \"alice\", \"token\": \"a\"}, {\"login\": \"bob\"}],"
                              " \"repos\": [{\"full_name\": \"acme/mono\", \"labels\": [\"land\"], \"private\": true,"
                              "              \"collaborators\": {\"alice\": \"write\"}}],"
                              " \"seed\": 1, \"rate_limit\": {\"core\": 5, \"window_seconds\": 60}}", 0, &je);
    json_t *over = json_loads("{\"users\": [{\"login\": \"Alice\", \"email\": \"a@x\"}, {\"login\": \"carol\"}],"
                              " \"repos\": [{\"full_name\": \"acme/mono\", \"labels\": [\"ship\"], \"private\": null,"
                              "              \"collaborators\": {\"carol\": \"read\"}}],"
                              " \"rate_limit\": {\"core\": 9}}", 0, &je);
    json_t *bl = json_pack("{s:s, s:s, s:s}", "/users/1", "w.json:3", "/repos/0/private", "w.json:7", "/seed", "w.json:9");
    json_t *ol = json_pack("{s:i, s:i}", "/users/1", 4, "/repos/0/labels", 6);
    json_t *lines = NULL;
    json_t *m = mh_merge_world(base, bl, over, ol, &lines);
    json_t *want = json_loads("{\"users\": [{\"login\": \"alice\", \"token\": \"a\", \"email\": \"a@x\"}, {\"login\": \"bob\"},"
                              "            {\"login\": \"carol\"}],"
                              " \"repos\": [{\"full_name\": \"acme/mono\", \"labels\": [\"ship\"],"
                              "              \"collaborators\": {\"alice\": \"write\", \"carol\": \"read\"}}],"
                              " \"seed\": 1, \"rate_limit\": {\"core\": 9, \"window_seconds\": 60}}", 0, &je);
    char *got = json_dumps(m, JSON_SORT_KEYS | JSON_COMPACT);
    cr_assert(json_equal(m, want), "%s", got);
    free(got);
    /* lines follow the values: bob keeps the included file's line, carol (appended) the override's */
    cr_assert_str_eq(json_string_value(json_object_get(lines, "/users/1")), "w.json:3");
    cr_assert_eq(json_integer_value(json_object_get(lines, "/users/2")), 4);
    cr_assert_eq(json_integer_value(json_object_get(lines, "/repos/0/labels")), 6);
    cr_assert_str_eq(json_string_value(json_object_get(lines, "/seed")), "w.json:9");
    cr_assert_null(json_object_get(lines, "/repos/0/private"), "a removed key keeps no line");
    json_t *tagged = mh_merge_tag_lines(ol, "x.json");
    cr_assert_str_eq(json_string_value(json_object_get(tagged, "/users/1")), "x.json:4");
    json_decref(tagged);
    for (json_t **p = (json_t *[]){base, over, bl, ol, lines, m, want, NULL}; *p; p++)
        json_decref(*p);
}

static void put(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "%s", path);
    fputs(text, f);
    fclose(f);
}

Test(world, load_include_found_upwards_errors_in_the_included_file)
{
    char dir[] = "/tmp/test-world-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char p[600], q[600];
    snprintf(p, sizeof p, "%s/worlds", dir);
    cr_assert_eq(mkdir(p, 0755), 0);
    snprintf(p, sizeof p, "%s/deep", dir);
    cr_assert_eq(mkdir(p, 0755), 0);
    snprintf(p, sizeof p, "%s/worlds/base.json", dir);
    put(p, "{\"users\": [{\"login\": \"bob\", \"token\": \"t\"}],\n"
           " \"repos\": [{\"full_name\": \"bob/x\", \"collaborators\": {}}]}\n");
    snprintf(q, sizeof q, "%s/deep/w.json", dir);
    put(q, "{\"include\": \"worlds/base.json\",\n \"seed\": 7}\n");
    mh_world w;
    cr_assert_eq(mh_world_load(&w, q, err, sizeof err), 0, "%s", err);
    cr_assert_eq(json_integer_value(json_object_get(w.root, "seed")), 7);
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(w.root, "users"), 0), "login")), "bob");
    mh_world_dispose(&w);
    /* a bad value from the included file: that file and its line */
    put(p, "{\"users\": [{\"login\": \"bob\", \"token\": \"t\"}],\n"
           " \"repos\": [{\"full_name\": \"bob/x\",\n   \"collaborators\": {\"bob\": \"emperor\"}}]}\n");
    cr_assert_eq(mh_world_load(&w, q, err, sizeof err), -1);
    cr_assert(strstr(err, "worlds/base.json:3: /repos/0/collaborators/bob"), "%s", err);
    /* a bad override: the including file and its line */
    put(p, "{\"users\": [{\"login\": \"bob\", \"token\": \"t\"}], \"repos\": []}\n");
    put(q, "{\"include\": \"worlds/base.json\",\n \"seed\": \"seven\"}\n");
    cr_assert_eq(mh_world_load(&w, q, err, sizeof err), -1);
    cr_assert(strstr(err, "deep/w.json:2: /seed"), "%s", err);
    /* cycles and missing files */
    put(p, "{\"include\": \"deep/w.json\"}\n");
    put(q, "{\"include\": \"worlds/base.json\"}\n");
    cr_assert_eq(mh_world_load(&w, q, err, sizeof err), -1);
    cr_assert(strstr(err, "a cycle"), "%s", err);
    put(q, "{\"include\": \"worlds/nope.json\"}\n");
    cr_assert_eq(mh_world_load(&w, q, err, sizeof err), -1);
    cr_assert(strstr(err, "w.json:1: /include: \"worlds/nope.json\" not found"), "%s", err);
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
}
