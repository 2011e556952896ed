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

json_t *sc_chaos_generate(uint64_t seed)
{
    mh_rng rng;
    mh_rng_seed(&rng, seed * 0x9E3779B97F4A7C15ull + 1);
    mh_rng *r = &rng;
    json_t *files = json_object(), *core = json_array();
    json_t *w = world(r, files, core);
    json_t *steps = json_array();
    int npr = 0, round = 0;
    const char *authors[8] = {0};
    unsigned nsteps = 8 + pick(r, 16);
    char desc[128];
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
            json_array_append_new(steps, json_pack("{s:s, s:s, s:i, s:o}", "do", "push", "as", who, "pr", pr, "files",
                                                   random_change(r, files, round)));
        } else if (what < 80) {
            static const char *const states[] = {"success", "success", "pending", "failure"};
            json_array_append_new(steps, json_pack("{s:s, s:s, s:i, s:s, s:s}", "do", "status", "as", "ci-bot", "pr", pr,
                                                   "context", "ci/test", "state", states[pick(r, 4)]));
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
    return json_pack("{s:s, s:o, s:{s:[s, s]}, s:o, s:I}", "description", desc, "world", w, "landq", "args",
                     "--reconcile-interval", "2", "steps", steps, "seed", (json_int_t)seed);
}

json_t *sc_chaos_generate_ha(uint64_t seed, int instances)
{
    json_t *doc = sc_chaos_generate(seed);
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
