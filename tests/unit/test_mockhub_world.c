/* test_mockhub_world.c -- world file parsing and validation: defaults, and FILE:LINE errors that
 * point at the offending value. */
#include <criterion/criterion.h>
#include <string.h>

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
