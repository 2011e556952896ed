/* CODEOWNERS engine: GitHub's semantics (shared/docs/codeowners.md) and landq's decisions.
 * Every expectation is checked against both the compiled matcher (with and without a cache)
 * and the reference matcher in tests/support/codeowners_ref.c. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codeowners.h"
#include "codeowners_ref.h"

static lq_codeowners *parse(const char *text)
{
    lq_codeowners *co = NULL;
    lq_error err;
    int rc = lq_codeowners_parse(&co, text, strlen(text), &err);
    cr_assert_eq(rc, LQ_OK, "parse failed: %s", err.msg);
    return co;
}

/* Renders a match as "@a @b", "(unowned)" or "(no rule)". */
static void render(const lq_codeowners_match *m, char *buf, size_t cap)
{
    if (!m->line) {
        snprintf(buf, cap, "(no rule)");
        return;
    }
    if (!m->owner_count) {
        snprintf(buf, cap, "(unowned)");
        return;
    }
    buf[0] = '\0';
    for (size_t i = 0; i < m->owner_count; i++) {
        if (i)
            strncat(buf, " ", cap - strlen(buf) - 1);
        strncat(buf, m->owners[i].name, cap - strlen(buf) - 1);
    }
}

/* Checks path's owners in co against want, through every matcher. Returns the deciding line. */
static unsigned expect_owners(lq_codeowners *co, lq_codeowners_cache *cache, const char *path,
                              const char *want)
{
    lq_codeowners_match a, b;
    char got[512];
    cr_assert_eq(lq_codeowners_match_path(co, NULL, path, strlen(path), &a), LQ_OK);
    render(&a, got, sizeof(got));
    cr_expect_str_eq(got, want, "path %s: got '%s', want '%s'", path, got, want);
    cr_assert_eq(lq_codeowners_match_path(co, cache, path, strlen(path), &b), LQ_OK);
    cr_expect_eq(a.line, b.line, "path %s: cache changed the answer (%u vs %u)", path, a.line,
                 b.line);
    long ri = ref_match(co, path);
    unsigned ref_line = 0;
    if (ri >= 0) {
        const char *pat;
        lq_codeowners_rule_at(co, (size_t)ri, &ref_line, &pat);
    }
    cr_expect_eq(a.line, ref_line, "path %s: compiled matcher line %u, reference line %u", path,
                 a.line, ref_line);
    return a.line;
}

struct q {
    const char *path, *want;
};

static void run_table(const char *text, const struct q *qs)
{
    lq_codeowners *co = parse(text);
    lq_codeowners_cache *cache;
    cr_assert_eq(lq_codeowners_cache_new(&cache, co), LQ_OK);
    /* Twice: the second pass answers from the warm directory cache. */
    for (int pass = 0; pass < 2; pass++)
        for (const struct q *q = qs; q->path; q++)
            expect_owners(co, cache, q->path, q->want);
    lq_codeowners_cache_free(cache);
    lq_codeowners_free(co);
}

/* The example file from GitHub's "About code owners" documentation. */
static const char github_example[] =
    "# These owners will be the default owners for everything in\n"
    "# the repo.\n"
    "*       @global-owner1 @global-owner2\n"
    "*.js    @js-owner #This is an inline comment.\n"
    "*.go docs@example.com\n"
    "*.txt @octo-org/octocats\n"
    "/build/logs/ @doctocat\n"
    "docs/*  docs@example.com\n"
    "apps/ @octocat\n"
    "/docs/ @doctocat\n"
    "/scripts/ @doctocat @octocat\n"
    "**/logs @octocat\n"
    "/apps/ @octocat\n"
    "/apps/github\n";

Test(codeowners, github_documentation_example)
{
    static const struct q qs[] = {
        {"README.md", "@global-owner1 @global-owner2"},
        {"src/index.js", "@js-owner"},
        {"main.go", "docs@example.com"},
        {"notes/a.txt", "@octo-org/octocats"},
        {"build/logs/x.log", "@octocat"},           /* line 12 (any-depth logs) wins over line 7 */
        {"build/logs/deep/x.c", "@octocat"},
        {"docs/getting-started.md", "@doctocat"},   /* line 10 (/docs/) is later than line 8 */
        {"docs/build-app/troubleshooting.md", "@doctocat"},
        {"a/apps/x.c", "@octocat"},                 /* apps/ matches at any depth */
        {"scripts/deploy.sh", "@doctocat @octocat"},
        {"deeply/nested/logs/x", "@octocat"},
        {"apps/x.c", "@octocat"},
        {"apps/github/x.c", "(unowned)"},           /* matched a rule with no owners */
        {"apps/github", "(unowned)"},
        {NULL, NULL}};
    run_table(github_example, qs);
}

Test(codeowners, last_match_wins_and_rules_do_not_accumulate)
{
    static const struct q qs[] = {{"a/b.js", "@two"}, {"a/b.c", "@one"}, {NULL, NULL}};
    run_table("*.js @one\n* @one\n*.js @two\n", qs);
}

Test(codeowners, same_pattern_twice_only_last_counts)
{
    static const struct q qs[] = {{"x.go", "@b"}, {NULL, NULL}};
    run_table("*.go @a\n*.go @b\n", qs);
}

Test(codeowners, no_rule_versus_unowned)
{
    static const struct q qs[] = {
        {"src/a.c", "@acme/core"}, {"vendor/lib.c", "(unowned)"}, {"other/x", "(no rule)"},
        {NULL, NULL}};
    run_table("/src/ @acme/core\n/vendor/\n", qs);
}

Test(codeowners, anchoring_rules)
{
    static const struct q qs[] = {
        {"build/logs/x", "@l"},       /* /build/logs/ anchored at the root */
        {"src/build/logs/x", "(no rule)"},
        {"apps/x", "@a"},             /* apps/ : only a trailing slash, any depth */
        {"a/b/apps/x", "@a"},
        {"docs/a.md", "@d"},          /* a middle slash anchors */
        {"foo/docs/a.md", "(no rule)"},
        {NULL, NULL}};
    run_table("/build/logs/ @l\napps/ @a\ndocs/* @d\n", qs);
}

Test(codeowners, directory_prefix_owns_everything_below)
{
    static const struct q qs[] = {
        {"foo/bar", "@fb"}, {"foo/bar/baz.rs", "@fb"}, {"x/foo/bar", "(no rule)"},
        {"src/x.js", "@js"}, {"foo.js/inner.txt", "@js"}, /* *.js names a directory too */
        {NULL, NULL}};
    run_table("foo/bar @fb\n*.js @js\n", qs);
}

Test(codeowners, star_prefix_matches_directory)
{
    static const struct q qs[] = {{"foo/bar", "@f"}, {"f", "@f"}, {"g/foo", "@f"}, {NULL, NULL}};
    run_table("f* @f\n", qs);
}

Test(codeowners, anchored_star_owns_whole_directory)
{
    static const struct q qs[] = {{"foo/bar/baz", "@f"}, {"x/foo", "(no rule)"}, {NULL, NULL}};
    run_table("/f* @f\n", qs);
}

Test(codeowners, trailing_slash_matches_directories_only)
{
    static const struct q qs[] = {{"foo/bar", "@f"}, {"foo", "(no rule)"}, {"a/foo/b", "@f"},
                                  {NULL, NULL}};
    run_table("foo/ @f\n", qs);
}

Test(codeowners, trailing_slash_star_is_not_recursive)
{
    static const struct q qs[] = {
        {"docs/a.md", "@d"}, {"docs/sub/x", "(no rule)"}, {"docs", "(no rule)"},
        {"foo/bar", "@f"}, {"foo/bar/baz", "(no rule)"}, /* pure gitignore would say match */
        {NULL, NULL}};
    run_table("docs/* @d\nfoo/* @f\n", qs);
}

Test(codeowners, root_slash_star_owns_root_files_only)
{
    static const struct q qs[] = {{"README", "@r"}, {".gitignore", "@r"}, {"a/b", "(no rule)"},
                                  {NULL, NULL}};
    run_table("/* @r\n", qs);
}

Test(codeowners, bare_star_owns_everything_including_dotfiles)
{
    static const struct q qs[] = {
        {".gitignore", "@all"}, {".github/CODEOWNERS", "@all"}, {"a/b/c/d.e", "@all"},
        {NULL, NULL}};
    run_table("* @all\n", qs);
}

Test(codeowners, star_matches_empty_inside_a_segment)
{
    static const struct q qs[] = {{"f", "@f"}, {"fx", "@f"}, {".js", "@j"}, {NULL, NULL}};
    run_table("f* @f\n*.js @j\n", qs);
}

Test(codeowners, question_mark_matches_one_character)
{
    static const struct q qs[] = {{"foo", "@q"}, {"fo", "(no rule)"}, {"fooo", "(no rule)"},
                                  {"a/f-o", "@q"}, {NULL, NULL}};
    run_table("f?o @q\n", qs);
}

Test(codeowners, double_star_forms)
{
    static const struct q qs[] = {
        {"foo", "@lead"},             /* leading double star: zero directories */
        {"c/d/foo", "@lead"},
        {"a/b/foo", "@mid"},          /* a/b is a directory owned by the later rule */
        {"a/b", "@mid"},              /* middle double star: zero or more directories */
        {"a/x/y/b", "@mid"},
        {"t/x", "@trail"},            /* trailing double star: everything below */
        {"t/x/y", "@trail"},
        {"t", "(no rule)"},           /* ... but not t itself */
        {NULL, NULL}};
    run_table("**/foo @lead\na/**/b @mid\nt/** @trail\n", qs);
}

Test(codeowners, double_star_alone_matches_everything)
{
    static const struct q qs[] = {{"x", "@all"}, {"a/b/c", "@all"}, {NULL, NULL}};
    run_table("** @all\n", qs);
}

Test(codeowners, double_star_inside_segment_acts_as_star)
{
    static const struct q qs[] = {{"fooXbar", "@s"}, {"foobar", "@s"}, {"foo/bar", "(no rule)"},
                                  {NULL, NULL}};
    run_table("foo**bar @s\n", qs);
}

Test(codeowners, decision_double_star_slash_owns_direct_files)
{
    /* landq decision 11.3 (hmarr agrees; pure gitignore says no for foo/bar). */
    static const struct q qs[] = {{"foo/bar", "@f"}, {"foo/a/b", "@f"}, {"foo", "(no rule)"},
                                  {NULL, NULL}};
    run_table("foo/**/ @f\n", qs);
}

Test(codeowners, matching_is_case_sensitive)
{
    static const struct q qs[] = {{"Docs/a.md", "@d"}, {"docs/a.md", "(no rule)"}, {NULL, NULL}};
    run_table("/Docs/ @d\n", qs);
}

Test(codeowners, backslash_escapes)
{
    static const struct q qs[] = {
        {"f*o", "@lit"}, {"fxo", "(no rule)"}, {"foo bar/x", "@space"}, {"a?", "@q"},
        {"ab", "(no rule)"}, {NULL, NULL}};
    run_table("f\\*o @lit\nfoo\\ bar @space\na\\? @q\n", qs);
}

Test(codeowners, other_characters_are_literal)
{
    static const struct q qs[] = {{"a(b){c}|d~e^f:g", "@lit"}, {NULL, NULL}};
    run_table("a(b){c}|d~e^f:g @lit\n", qs);
}

Test(codeowners, hash_inside_a_token_is_literal)
{
    /* landq decision 11.1: '#' starts a comment only at the start of a token. */
    static const struct q qs[] = {{"foo#abc", "@h"}, {"foo", "(no rule)"}, {NULL, NULL}};
    run_table("foo#abc @h # trailing comment @ignored\n", qs);
}

Test(codeowners, inline_comment_after_owners)
{
    lq_codeowners *co = parse("*.js @js-owner #This is an inline comment.\n");
    cr_assert_eq(lq_codeowners_error_count(co), 0);
    expect_owners(co, NULL, "a.js", "@js-owner");
    lq_codeowners_free(co);
}

Test(codeowners, crlf_and_whitespace)
{
    static const struct q qs[] = {{"a.c", "@c"}, {"b.h", "@h"}, {NULL, NULL}};
    run_table("\t *.c\t@c  \r\n\r\n   # comment\r\n*.h @h", qs);
}

Test(codeowners, owners_forms_and_case_insensitive_dedup)
{
    lq_codeowners *co = parse("* @Alice @acme/Core-Team bob@example.com @alice\n");
    cr_assert_eq(lq_codeowners_error_count(co), 0);
    lq_codeowners_match m;
    lq_codeowners_match_path(co, NULL, "x", 1, &m);
    cr_assert_eq(m.owner_count, 3);
    cr_expect_eq(m.owners[0].kind, LQ_OWNER_USER);
    cr_expect_eq(m.owners[1].kind, LQ_OWNER_TEAM);
    cr_expect_eq(m.owners[2].kind, LQ_OWNER_EMAIL);
    cr_expect(lq_owner_equal("@ALICE", "@alice"));
    cr_expect(lq_owner_equal("@acme/core-team", "@Acme/Core-Team"));
    cr_expect(!lq_owner_equal("@alice", "@alice2"));
    cr_expect(!lq_owner_equal("@alice2", "@alice"));
    lq_codeowners_free(co);
}

/* ---------- errors ---------- */

static const lq_codeowners_error *only_error(lq_codeowners *co)
{
    cr_assert_eq(lq_codeowners_error_count(co), 1, "want exactly one error, got %zu",
                 lq_codeowners_error_count(co));
    return lq_codeowners_error_at(co, 0);
}

Test(codeowners_errors, invalid_owner_is_reported_with_column)
{
    lq_codeowners *co = parse("# x\n*.txt docs@\n");
    const lq_codeowners_error *e = only_error(co);
    cr_expect_eq(e->line, 2);
    cr_expect_eq(e->column, 7);
    cr_expect_str_eq(e->kind, "Invalid owner");
    cr_expect_str_eq(e->source, "*.txt docs@");
    cr_expect(strstr(e->message, "docs@") != NULL);
    /* All owners invalid: the line is skipped rather than un-owning files. */
    expect_owners(co, NULL, "a.txt", "(no rule)");
    lq_codeowners_free(co);
}

Test(codeowners_errors, plain_word_owner_is_invalid)
{
    lq_codeowners *co = parse("* user\n");
    const lq_codeowners_error *e = only_error(co);
    cr_expect_str_eq(e->kind, "Invalid owner");
    cr_expect_eq(e->column, 3);
    lq_codeowners_free(co);
}

Test(codeowners_errors, invalid_owner_forms)
{
    static const char *bad[] = {"user", ".x@y.com", "a@b", "@name*", "@", "@org/", "@/team",
                                "x@.com", "x@y.", "@-lead", "a@b@c.com", NULL};
    for (const char **b = bad; *b; b++) {
        char text[128];
        snprintf(text, sizeof(text), "* %s\n", *b);
        lq_codeowners *co = parse(text);
        cr_expect_eq(lq_codeowners_error_count(co), 1, "owner '%s' should be invalid", *b);
        lq_codeowners_free(co);
    }
}

Test(codeowners_errors, line_keeps_its_valid_owners)
{
    /* landq decision 11.2 */
    lq_codeowners *co = parse("/infra/ @good @bad* @acme/infra\n");
    const lq_codeowners_error *e = only_error(co);
    cr_expect_eq(e->column, 15);
    expect_owners(co, NULL, "infra/main.tf", "@good @acme/infra");
    lq_codeowners_free(co);
}

Test(codeowners_errors, bad_line_is_skipped_rest_applies)
{
    lq_codeowners *co = parse("* @all\n!dir/* @neg\n[a-z]* @range\n*.c @c\n");
    cr_assert_eq(lq_codeowners_error_count(co), 2);
    const lq_codeowners_error *e0 = lq_codeowners_error_at(co, 0);
    const lq_codeowners_error *e1 = lq_codeowners_error_at(co, 1);
    cr_expect_eq(e0->line, 2);
    cr_expect_eq(e0->column, 1);
    cr_expect_str_eq(e0->kind, "Invalid pattern");
    cr_expect_eq(e1->line, 3);
    cr_expect_str_eq(e1->kind, "Invalid pattern");
    expect_owners(co, NULL, "dir/x", "@all");
    expect_owners(co, NULL, "b", "@all");
    expect_owners(co, NULL, "x.c", "@c");
    cr_expect_eq(lq_codeowners_rule_count(co), 2);
    lq_codeowners_free(co);
}

Test(codeowners_errors, unsupported_pattern_forms)
{
    static const char *bad[] = {"!x @o\n", "[ab] @o\n", "x] @o\n", "\\#x @o\n", "*** @o\n",
                                "***/*.rb @o\n", "/ @o\n", "a//b @o\n", "x\\\n", "x\\", NULL};
    for (const char **b = bad; *b; b++) {
        char text[128];
        snprintf(text, sizeof(text), "%s", *b);
        lq_codeowners *co = parse(text);
        cr_expect_eq(lq_codeowners_error_count(co), 1, "pattern '%s' should be invalid", *b);
        if (lq_codeowners_error_count(co) == 1)
            cr_expect_str_eq(lq_codeowners_error_at(co, 0)->kind, "Invalid pattern");
        cr_expect_eq(lq_codeowners_rule_count(co), 0);
        lq_codeowners_free(co);
    }
}

Test(codeowners_errors, suggestions_as_github)
{
    lq_codeowners *co = parse("***/*.rb @monalisa\n");
    cr_expect_str_eq(only_error(co)->suggestion, "Did you mean `**/*.rb`?");
    lq_codeowners_free(co);
    co = parse("/ @x\n");
    cr_expect_str_eq(only_error(co)->suggestion,
                     "The pattern `/` will never match anything, did you mean `*` instead?");
    lq_codeowners_free(co);
}

Test(codeowners_errors, three_mebibytes_is_refused)
{
    size_t n = LQ_CODEOWNERS_MAX_BYTES;
    char *big = malloc(n);
    memset(big, '#', n);
    lq_codeowners *co = (lq_codeowners *)1;
    lq_error err;
    cr_expect_eq(lq_codeowners_parse(&co, big, n, &err), LQ_ETOOBIG);
    cr_expect_null(co);
    cr_expect(strstr(err.msg, "3 MiB") != NULL);
    /* One byte less loads (all comments). */
    cr_expect_eq(lq_codeowners_parse(&co, big, n - 1, &err), LQ_OK);
    lq_codeowners_free(co);
    free(big);
}

Test(codeowners_errors, binary_garbage_does_not_crash)
{
    char junk[4096];
    unsigned s = 12345;
    for (size_t i = 0; i < sizeof(junk); i++) {
        s = s * 1103515245 + 12345;
        junk[i] = (char)(s >> 16);
    }
    lq_codeowners *co;
    cr_assert_eq(lq_codeowners_parse(&co, junk, sizeof(junk), NULL), LQ_OK);
    lq_codeowners_match m;
    cr_expect_eq(lq_codeowners_match_path(co, NULL, "a/b", 3, &m), LQ_OK);
    lq_codeowners_free(co);
}

Test(codeowners, discovery_order_is_githubs)
{
    cr_expect_str_eq(lq_codeowners_locations[0], ".github/CODEOWNERS");
    cr_expect_str_eq(lq_codeowners_locations[1], "CODEOWNERS");
    cr_expect_str_eq(lq_codeowners_locations[2], "docs/CODEOWNERS");
}

Test(codeowners, backslash_in_a_path_is_an_ordinary_character)
{
    /* Paths are never unescaped: a backslash before '/' does not join two segments (a fuzzing
     * find in the reference matcher). */
    static const struct q qs[] = {{"a\\b", "@root"}, {"a\\/x.c", "@c"}, {NULL, NULL}};
    run_table("/* @root\n?.c @c\n", qs);
}

Test(codeowners, leading_slash_in_path_is_ignored)
{
    static const struct q qs[] = {{"/src/a.c", "@s"}, {NULL, NULL}};
    run_table("/src/ @s\n", qs);
}

/* Many rules, many paths: compiled and reference matchers agree everywhere. */
Test(codeowners, agrees_with_reference_on_generated_rules)
{
    static const char *segs[] = {"src", "lib", "docs", "a", "b", "test", "x.c", "y.js", ".cfg"};
    static const char *pats[] = {"*", "/src/", "src/", "*.js", "docs/*", "/a/**/b", "**/test",
                                 "lib/*/x.c", "/b", "a/", "/*", "t*", "*.c", "src/**",
                                 "/lib/**/", "?.js", "**/a/*", "b/", "/docs/", "x*"};
    char text[4096] = "";
    size_t np = sizeof(pats) / sizeof(pats[0]);
    unsigned s = 7;
    for (int i = 0; i < 40; i++) {
        s = s * 1664525u + 1013904223u;
        char line[64];
        snprintf(line, sizeof(line), "%s @o%d\n", pats[(s >> 8) % np], i);
        strcat(text, line);
    }
    lq_codeowners *co = parse(text);
    lq_codeowners_cache *cache;
    lq_codeowners_cache_new(&cache, co);
    for (int i = 0; i < 3000; i++) {
        char path[256] = "";
        s = s * 1664525u + 1013904223u;
        int depth = 1 + (int)((s >> 10) % 5);
        for (int d = 0; d < depth; d++) {
            s = s * 1664525u + 1013904223u;
            if (d)
                strcat(path, "/");
            strcat(path, segs[(s >> 12) % 9]);
        }
        lq_codeowners_match m;
        lq_codeowners_match_path(co, cache, path, strlen(path), &m);
        long ri = ref_match(co, path);
        unsigned ref_line = 0;
        const char *pat;
        if (ri >= 0)
            lq_codeowners_rule_at(co, (size_t)ri, &ref_line, &pat);
        cr_assert_eq(m.line, ref_line, "path %s: compiled line %u, reference line %u", path,
                     m.line, ref_line);
    }
    lq_codeowners_cache_free(cache);
    lq_codeowners_free(co);
}
