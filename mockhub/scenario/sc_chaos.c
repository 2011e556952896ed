/* sc_chaos.c -- random scenario generator (see sc_chaos.h). */
#include "sc_chaos.h"

#include "mh_util.h"

#include <stdio.h>
#include <string.h>

static const char *const people[] = {"alice", "bob", "carol", "dave", "erin"};
#define NPEOPLE 5
static const char *const dirs[] = {"app", "lib", "infra", "docs", "web", "tools"};
#define NDIRS 6

static unsigned pick(mh_rng *r, unsigned n)
{
    return (unsigned)(mh_rng_next(r) % n);
}

static int chance(mh_rng *r, double p)
{
    return mh_rng_unit(r) < p;
}

static json_t *world(mh_rng *r, json_t *files_out, json_t *core_members)
{
    json_t *users = json_array();
    for (int i = 0; i < NPEOPLE; i++) {
        char tok[32], mail[64];
        snprintf(tok, sizeof tok, "tok-%s", people[i]);
        snprintf(mail, sizeof mail, "%s@acme.test", people[i]);
        json_array_append_new(users, json_pack("{s:s, s:s, s:s}", "login", people[i], "token", tok, "email", mail));
    }
    json_array_append_new(users, json_pack("{s:s, s:s, s:s}", "login", "rita", "token", "tok-rita", "email", "rita@acme.test"));
    json_array_append_new(users, json_pack("{s:s, s:s, s:s}", "login", "root", "token", "tok-root", "email", "root@acme.test"));
    json_array_append_new(users, json_pack("{s:s, s:s, s:s}", "login", "ci-bot", "token", "tok-ci", "type", "Bot"));
    json_array_append_new(users, json_pack("{s:s, s:s, s:s}", "login", "landq-bot", "token", "tok-landq", "type", "Bot"));
    for (int i = 0; i < NPEOPLE; i++)
        if (chance(r, 0.4))
            json_array_append_new(core_members, json_string(people[i]));
    if (!json_array_size(core_members))
        json_array_append_new(core_members, json_string(people[1 + pick(r, NPEOPLE - 1)]));
    json_t *members = json_array();
    for (int i = 0; i < NPEOPLE; i++)
        json_array_append_new(members, json_string(people[i]));
    json_array_append_new(members, json_string("rita"));
    json_t *orgs = json_pack("[{s:s, s:o, s:[{s:s, s:O}]}]", "login", "acme", "members", members, "teams", "slug",
                             "core", "members", core_members);
    json_t *collab = json_object();
    for (int i = 0; i < NPEOPLE; i++)
        json_object_set_new(collab, people[i], json_string("write"));
    json_object_set_new(collab, "rita", json_string("triage"));
    json_object_set_new(collab, "root", json_string("admin"));
    json_object_set_new(collab, "ci-bot", json_string("write"));
    json_object_set_new(collab, "landq-bot", json_string("maintain"));
    /* files and CODEOWNERS */
    mh_buf co;
    mh_buf_init(&co);
    mh_buf_puts(&co, "# generated\n");
    if (chance(r, 0.5))
        mh_buf_printf(&co, "* @%s\n", people[pick(r, NPEOPLE)]);
    unsigned ndirs = 2 + pick(r, 4);
    for (unsigned d = 0; d < ndirs; d++) {
        const char *dir = dirs[(d + pick(r, 2)) % NDIRS];
        unsigned nf = 1 + pick(r, 2);
        for (unsigned f = 0; f < nf; f++) {
            char path[64], content[64];
            snprintf(path, sizeof path, "%s/f%u.txt", dir, f);
            snprintf(content, sizeof content, "%s %u\n", dir, (unsigned)pick(r, 1000));
            json_object_set_new(files_out, path, json_string(content));
        }
        switch (pick(r, 5)) {
        case 0: mh_buf_printf(&co, "/%s/ @%s\n", dir, people[pick(r, NPEOPLE)]); break;
        case 1: mh_buf_printf(&co, "/%s/ @acme/core\n", dir); break;
        case 2: mh_buf_printf(&co, "/%s/ %s@acme.test\n", dir, people[pick(r, NPEOPLE)]); break;
        case 3: mh_buf_printf(&co, "/%s/ @%s @%s\n", dir, people[pick(r, NPEOPLE)], people[pick(r, NPEOPLE)]); break;
        default: break; /* unowned */
        }
    }
    json_t *files = json_deep_copy(files_out);
    json_object_set_new(files, ".github/CODEOWNERS", json_string(co.ptr));
    mh_buf_dispose(&co);
    json_t *repo = json_pack("{s:s, s:s, s:o, s:{s:s}, s:o, s:[s]}", "full_name", "acme/mono", "default_branch", "main",
                             "collaborators", collab, "teams", "core", "write", "files", files, "labels", "land");
    return json_pack("{s:o, s:o, s:[o], s:{s:i, s:i}, s:I}", "users", users, "orgs", orgs, "repos", repo, "rate_limit",
                     "core", 5000, "window_seconds", 3600, "seed", (json_int_t)(mh_rng_next(r) & 0xffffff));
}

static json_t *random_change(mh_rng *r, json_t *files, int round)
{
    json_t *ch = json_object();
    unsigned n = 1 + pick(r, 2);
    size_t total = json_object_size(files);
    for (unsigned i = 0; i < n; i++) {
        if (chance(r, 0.2) || !total) {
            char path[64];
            snprintf(path, sizeof path, "%s/new%u.txt", dirs[pick(r, NDIRS)], (unsigned)pick(r, 50));
            json_object_set_new(ch, path, json_string("new file\n"));
            continue;
        }
        size_t k = pick(r, (unsigned)total), j = 0;
        const char *path;
        json_t *v;
        json_object_foreach(files, path, v) {
            if (j++ == k) {
                char content[96];
                snprintf(content, sizeof content, "changed %d %u\n", round, (unsigned)pick(r, 100000));
                json_object_set_new(ch, path, json_string(content));
                break;
            }
        }
    }
    return ch;
}

/* ---- CI modes (predictive, direct-ci): a CI simulator, markers in the pull requests ---- */

/* Marker pairs: each half passes CI alone, both in one tree fail (a semantic conflict). */
static const char *const pair_markers[][2] = {{"RENAMED_FOO", "CALLS_FOO"}, {"DROPS_BAR_ARG", "PASSES_BAR_ARG"}};
#define NPAIRS 2
#define BROKEN_MARKER "BREAKS_BUILD"

/* The world's ci section: one required context, rules by tree contents, a seeded flake rate. */
static json_t *ci_section(mh_rng *m)
{
    static const double flakes[] = {0.0, 0.0, 0.02, 0.05};
    const char *kind = chance(m, 0.5) ? "check_run" : "status";
    json_t *rules = json_array();
    json_array_append_new(rules, json_pack("{s:s, s:s}", "contains", BROKEN_MARKER, "summary", "the build is broken"));
    for (int k = 0; k < NPAIRS; k++) {
        char summary[96];
        snprintf(summary, sizeof summary, "semantic conflict: %s with %s", pair_markers[k][0], pair_markers[k][1]);
        json_array_append_new(rules, json_pack("{s:[s, s], s:s}", "all", pair_markers[k][0], pair_markers[k][1], "summary",
                                               summary));
    }
    double flake = flakes[pick(m, 4)];
    if (flake > 0)
        json_array_append_new(rules, json_pack("{s:s, s:f, s:s}", "context", SC_CHAOS_CHECK, "flake", flake, "summary",
                                               "flaky test"));
    return json_pack("{s:[{s:s, s:s, s:[i, i]}], s:o}", "contexts", "name", SC_CHAOS_CHECK, "kind", kind, "duration_ms",
                     100, 100 + 100 * (int)(1 + pick(m, 5)), "rules", rules);
}

/* Maybe adds a marker file to a change of pull request pr: broken alone, or one half of a pair;
 * its path goes to path (unchanged when none was added). */
static void add_marker(mh_rng *m, json_t *change, int pr, double p_broken, double p_pair, char path[64])
{
    double u = mh_rng_unit(m);
    if (u < p_broken) {
        snprintf(path, 64, "%s/broken-%d.txt", dirs[pick(m, NDIRS)], pr);
        json_object_set_new(change, path, json_string("int x = 1; /* " BROKEN_MARKER " */\n"));
    } else if (u < p_broken + p_pair) {
        unsigned k = pick(m, NPAIRS), side = pick(m, 2);
        char content[96];
        snprintf(path, 64, "%s/pair-%d.txt", dirs[pick(m, NDIRS)], pr);
        snprintf(content, sizeof content, "/* %s */\n", pair_markers[k][side]);
        json_object_set_new(change, path, json_string(content));
    }
}

/* The CI modes' landing load: random owners and reviews let few chaos pull requests land, so
 * candidates would seldom meet. 3-5 pull requests of one new file each, approved by every other
 * person (an owner is among them) and labeled by their author, at the end; the first carries one
 * half of a marker pair, another one its other half (mostly), and some are broken. */
static void ci_load(mh_rng *m, json_t *steps, int nopen)
{
    int load = 3 + (int)pick(m, 3);
    unsigned k = pick(m, NPAIRS);
    int other = chance(m, 0.7) ? 2 + (int)pick(m, (unsigned)load - 1) : 0;
    for (int j = 1; j <= load; j++) {
        int author = (int)pick(m, NPEOPLE), number = nopen + j;
        char title[64], head[32], path[32], content[64];
        snprintf(title, sizeof title, "Load %d by %s", j, people[author]);
        snprintf(head, sizeof head, "ci-load-%d", j);
        snprintf(path, sizeof path, "%s/load%d.txt", dirs[pick(m, NDIRS)], j);
        if (j == 1 || j == other)
            snprintf(content, sizeof content, "/* %s */\n", pair_markers[k][j == 1 ? 0 : 1]);
        else if (chance(m, 0.15))
            snprintf(content, sizeof content, "/* %s */\n", BROKEN_MARKER);
        else
            snprintf(content, sizeof content, "load %d\n", j);
        json_array_append_new(steps, json_pack("{s:s, s:s, s:s, s:s, s:{s:s}, s:s}", "do", "open_pr", "as", people[author],
                                               "title", title, "head", head, "files", path, content, "note", SC_CHAOS_CI_LOAD));
        for (int p = 0; p < NPEOPLE; p++)
            if (p != author)
                json_array_append_new(steps, json_pack("{s:s, s:s, s:i, s:s, s:i, s:s}", "do", "review", "as", people[p], "pr",
                                                       number, "event", "APPROVE", "expect_http", 0, "note", SC_CHAOS_CI_LOAD));
        json_array_append_new(steps, json_pack("{s:s, s:s, s:i, s:s}", "do", "label", "as", people[author], "pr", number,
                                               "note", SC_CHAOS_CI_LOAD));
    }
}

static json_t *generate(uint64_t seed, sc_chaos_mode mode)
{
    mh_rng rng, mrng;
    mh_rng_seed(&rng, seed * 0x9E3779B97F4A7C15ull + 1);
    mh_rng *r = &rng;
    /* the CI modes draw from a generator of their own: the timeline stays the direct seed's */
    mh_rng_seed(&mrng, seed ^ 0x7072656469637421ULL);
    mh_rng *m = &mrng;
    int ci = mode != SC_CHAOS_DIRECT;
    json_t *files = json_object(), *core = json_array();
    json_t *w = world(r, files, core);
    json_t *steps = json_array();
    int npr = 0, round = 0;
    const char *authors[8] = {0};
    unsigned nsteps = 8 + pick(r, 16);
    char desc[256];
    char marker[8][64] = {{0}}; /* the CI modes: each pull request's marker file, if any */
    snprintf(desc, sizeof desc, "chaos seed %llu", (unsigned long long)seed);
    /* at least one pull request */
    for (unsigned s = 0; s < nsteps; s++) {
        unsigned what = npr ? pick(r, 100) : 0;
        const char *who = people[pick(r, NPEOPLE)];
        int pr = npr ? 1 + (int)pick(r, (unsigned)npr) : 0;
        round++;
        if (what < 18 && npr < 6) {
            npr++;
            authors[npr] = who;
            char head[32], title[64];
            snprintf(head, sizeof head, "topic-%d", npr);
            snprintf(title, sizeof title, "Change %d by %s", npr, who);
            json_array_append_new(steps, json_pack("{s:s, s:s, s:s, s:s, s:s, s:o}", "do", "open_pr", "as", who, "title",
                                                   title, "body", chance(r, 0.5) ? "Why: testing.\n\n<!-- template -->" : "",
                                                   "head", head, "files", random_change(r, files, round)));
            if (ci)
                add_marker(m, json_object_get(json_array_get(steps, json_array_size(steps) - 1), "files"), npr, 0.12, 0.35,
                           marker[npr]);
        } else if (what < 45) {
            const char *ev = chance(r, 0.8) ? "APPROVE" : chance(r, 0.5) ? "REQUEST_CHANGES" : "COMMENT";
            if (!strcmp(who, authors[pr])) /* GitHub refuses reviews from the author */
                who = people[(pick(r, NPEOPLE - 1) + 1 + (unsigned)(strchr("abcde", authors[pr][0]) - "abcde")) % NPEOPLE];
            json_t *st = json_pack("{s:s, s:s, s:i, s:s}", "do", "review", "as", who, "pr", pr, "event", ev);
            /* the pull request may have landed already: a review of a closed one is refused (422) */
            json_object_set_new(st, "expect_http", json_integer(0));
            json_array_append_new(steps, st);
        } else if (what < 65) {
            const char *labeler = chance(r, 0.85) ? who : "rita";
            json_array_append_new(steps, json_pack("{s:s, s:s, s:i}", "do", "label", "as", labeler, "pr", pr));
        } else if (what < 75) { /* pushes make earlier approvals stale */
            json_t *change = random_change(r, files, round);
            if (ci && marker[pr][0] && chance(m, 0.3)) { /* the author fixes the build, or resolves a conflict */
                json_object_set_new(change, marker[pr], json_null());
                marker[pr][0] = '\0';
            } else if (ci && !marker[pr][0]) {
                add_marker(m, change, pr, 0.05, 0.1, marker[pr]);
            }
            json_array_append_new(steps, json_pack("{s:s, s:s, s:i, s:o}", "do", "push", "as", who, "pr", pr, "files", change));
        } else if (what < 80) {
            static const char *const states[] = {"success", "success", "pending", "failure"};
            /* with a CI simulator, ci-bot's statuses are a check landq does not require */
            json_array_append_new(steps, json_pack("{s:s, s:s, s:i, s:s, s:s}", "do", "status", "as", "ci-bot", "pr", pr,
                                                   "context", ci ? "ci/lint" : "ci/test", "state", states[pick(r, 4)]));
        } else if (what < 83) {
            json_array_append_new(steps, json_pack("{s:s, s:s, s:o}", "do", "commit", "as", "root", "files",
                                                   random_change(r, files, round)));
        } else if (what < 85) {
            /* 404 when the label is not there (any more) */
            json_array_append_new(steps, json_pack("{s:s, s:s, s:i, s:i}", "do", "unlabel", "as", who, "pr", pr, "expect_http", 0));
        } else if (what < 86) {
            json_array_append_new(steps, json_pack("{s:s, s:s, s:i}", "do", "close", "as", who, "pr", pr));
        } else if (what < 94) {
            json_t *spec;
            switch (pick(r, 7)) {
            case 0: spec = json_pack("{s:s, s:s, s:s, s:i, s:i}", "kind", "status", "method", "PUT", "path",
                                     "/repos/acme/mono/pulls/*/merge", "status", 502, "times", 1); break;
            case 1: spec = json_pack("{s:s, s:s, s:s, s:i, s:i}", "kind", "secondary_rate_limit", "method", "GET", "path",
                                     "/repos/acme/mono/collaborators/*", "retry_after", 1, "times", 1); break;
            case 2: spec = json_pack("{s:s, s:s, s:i}", "kind", "duplicate", "event", "pull_request*", "times", 2); break;
            case 3: spec = json_pack("{s:s, s:s, s:i}", "kind", "reorder", "event", "*", "times", 1); break;
            case 4: spec = json_pack("{s:s, s:s, s:i, s:i}", "kind", "delay_webhook", "event", "*", "delay_ms", 300, "times", 2); break;
            case 5: /* lost: landq's reconciliation (every 2 s here) must catch up */
                spec = json_pack("{s:s, s:s, s:i}", "kind", "drop", "event", chance(r, 0.5) ? "pull_request.labeled" : "*",
                                 "times", 1 + (int)pick(r, 2));
                break;
            default: /* only landq reads the files API during the timeline (the runner's faults must not hit people) */
                spec = json_pack("{s:s, s:s, s:s, s:i, s:i}", "kind", "status", "method", "GET", "path",
                                 "/repos/acme/mono/pulls/*/files", "status", 500, "times", 1); break;
            }
            json_array_append_new(steps, json_pack("{s:s, s:o}", "do", "fault", "spec", spec));
        } else if (what < 96) {
            json_array_append_new(steps, json_pack("{s:s, s:i, s:i}", "do", "rate_limit", "remaining", 0, "reset_in", 2));
        } else {
            json_array_append_new(steps, json_pack("{s:s, s:i}", "do", "wait_idle", "quiet_ms", 300));
        }
    }
    json_decref(files);
    json_decref(core);
    json_t *doc = json_pack("{s:s, s:o, s:{s:[s, s]}, s:o, s:I}", "description", desc, "world", w, "landq", "args",
                            "--reconcile-interval", "2", "steps", steps, "seed", (json_int_t)seed);
    if (!ci)
        return doc;
    json_object_set_new(w, "ci", ci_section(m));
    ci_load(m, steps, npr);
    json_t *lq = json_object_get(doc, "landq");
    json_object_set_new(lq, "required_checks", json_pack("[s]", SC_CHAOS_CHECK));
    json_t *args = json_object_get(lq, "args");
    char more[160] = "landq in direct mode (invariant 6 may fail: a demonstration)";
    if (mode == SC_CHAOS_PREDICTIVE) {
        static const int batches[] = {1, 1, 2, 3};
        int k = 1 + (int)pick(m, 4), b = batches[pick(m, 4)], n = (int)pick(m, 3);
        char ks[8], bs[8], ns[8];
        snprintf(ks, sizeof ks, "%d", k);
        snprintf(bs, sizeof bs, "%d", b);
        snprintf(ns, sizeof ns, "%d", n);
        json_t *more_args = json_pack("[s, s, s, s, s, s, s, s]", "--mode", "predictive", "--speculation", ks, "--batch", bs,
                                      "--retry-failed", ns);
        json_array_extend(args, more_args);
        json_decref(more_args);
        snprintf(more, sizeof more, "predictive, speculation %d, batch %d, retry_failed %d", k, b, n);
    }
    snprintf(desc, sizeof desc, "chaos seed %llu (%s)", (unsigned long long)seed, more);
    json_object_set_new(doc, "description", json_string(desc));
    return doc;
}

json_t *sc_chaos_generate(uint64_t seed)
{
    return generate(seed, SC_CHAOS_DIRECT);
}

json_t *sc_chaos_generate_mode(uint64_t seed, sc_chaos_mode mode)
{
    return generate(seed, mode);
}

json_t *sc_chaos_generate_ha(uint64_t seed, int instances)
{
    return sc_chaos_generate_with(seed, instances, SC_CHAOS_DIRECT);
}

json_t *sc_chaos_generate_with(uint64_t seed, int instances, sc_chaos_mode mode)
{
    json_t *doc = generate(seed, mode);
    if (instances < 2)
        return doc;
    /* the kills come from a generator of their own: the timeline stays the one-instance seed's */
    mh_rng rng;
    mh_rng_seed(&rng, seed ^ 0x6b696c6c6c656164ULL);
    mh_rng *r = &rng;
    json_object_set_new(json_object_get(doc, "landq"), "instances", json_integer(instances));
    json_t *steps = json_object_get(doc, "steps");
    static const int downs[] = {0, 200, 800, 1500};
    int kills = 1 + (int)pick(r, 3);
    for (int k = 0; k < kills; k++) {
        /* mostly right after a label (a lease is taken, a landing may be under way), else after any
         * step; half of them "during": "merge", armed at the start: they strike when landq's next
         * merge request is in flight (mockhub holds it), one merge after the other */
        size_t n = json_array_size(steps), at = 1 + pick(r, (unsigned)n);
        if (chance(r, 0.7)) {
            size_t labels = 0;
            for (size_t i = 0; i < n; i++)
                labels += !strcmp(json_string_value(json_object_get(json_array_get(steps, i), "do")), "label");
            size_t want = labels ? pick(r, (unsigned)labels) : 0;
            for (size_t i = 0; i < n && labels; i++)
                if (!strcmp(json_string_value(json_object_get(json_array_get(steps, i), "do")), "label") && !want--) {
                    at = i + 1;
                    break;
                }
        }
        json_t *kill = json_pack("{s:s, s:i, s:i, s:i}", "do", "kill_leader", "wait_ms", 1500, "down_ms", downs[pick(r, 4)],
                                 "pick", (int)pick(r, (unsigned)instances));
        if (chance(r, 0.5)) { /* armed from the start: it strikes at the seed's first merge (few seeds land much) */
            json_object_set_new(kill, "during", json_string("merge"));
            at = 0;
        }
        json_array_insert_new(steps, at, kill);
    }
    /* landing load: random owners, reviews and checks let few chaos seeds land much, so a kill would
     * seldom meet a merge. 2-3 pull requests of one new file each, approved by every other person
     * (whatever CODEOWNERS says, an owner is among them) and labeled by their author, at the end. */
    size_t nopen = 0;
    for (size_t i = 0; i < json_array_size(steps); i++)
        nopen += !strcmp(json_string_value(json_object_get(json_array_get(steps, i), "do")), "open_pr");
    int load = 2 + (int)pick(r, 2);
    for (int j = 1; j <= load; j++) {
        int author = (int)pick(r, NPEOPLE), number = (int)nopen + j;
        char title[64], head[32], path[32], content[32];
        snprintf(title, sizeof title, "Load %d by %s", j, people[author]);
        snprintf(head, sizeof head, "load-%d", j);
        snprintf(path, sizeof path, "load/l%d.txt", j);
        snprintf(content, sizeof content, "load %d\n", j);
        json_array_append_new(steps, json_pack("{s:s, s:s, s:s, s:s, s:{s:s}, s:s}", "do", "open_pr", "as", people[author],
                                               "title", title, "head", head, "files", path, content, "note", SC_CHAOS_LOAD));
        for (int p = 0; p < NPEOPLE; p++)
            if (p != author)
                json_array_append_new(steps, json_pack("{s:s, s:s, s:i, s:s, s:i, s:s}", "do", "review", "as", people[p], "pr",
                                                       number, "event", "APPROVE", "expect_http", 0, "note", SC_CHAOS_LOAD));
        json_array_append_new(steps, json_pack("{s:s, s:s, s:i, s:s}", "do", "label", "as", people[author], "pr", number,
                                               "note", SC_CHAOS_LOAD));
    }
    char desc[200];
    snprintf(desc, sizeof desc, "%s; %d landq instances on one PostgreSQL database, the lease holder killed %d times, "
             "%d pull requests of landing load", json_string_value(json_object_get(doc, "description")), instances, kills, load);
    json_object_set_new(doc, "description", json_string(desc));
    return doc;
}
