/* ci.c -- the CI simulator's runtime (see ci.h): runs started on pushes, advanced by a timer
 * thread, decided by core/mh_ci.c from the tree of the pushed commit. */
#include "ci.h"
#include "core/mh_ci.h"
#include "events.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { RUN_QUEUED, RUN_IN_PROGRESS, RUN_COMPLETED };
static const char *const phase_names[] = {"queued", "in_progress", "completed"};

typedef struct {
    int64_t id; /* check run id, or the id of the run's first (pending) status */
    mh_repo *repo;
    char sha[41], tree[41];
    char *branch;
    size_t cx;      /* context index in the configuration the run started under */
    char *context;  /* its name (the configuration may be replaced while it runs) */
    mh_ci_kind kind;
    int phase;
    unsigned attempt;
    long duration_ms;
    double queued_at, due; /* monotonic ms */
    double started_at, completed_at;
    mh_ci_result res;
    json_t *cr; /* the check run object in repo->check_runs (own reference), or NULL */
} ci_run;

#define SCAN_CACHE 256

typedef struct {
    char tree[41];
    mh_ci_scan scan;
} scan_entry;

static struct {
    int configured; /* the world has a ci section */
    int serving;    /* mh_ci_start was called (the server is up) */
    int thread_made, started, stop;
    mh_ci_config cfg;
    ci_run *runs;
    size_t n, cap;
    size_t active;
    json_t *attempts; /* "tree context" -> runs started so far */
    scan_entry cache[SCAN_CACHE];
    size_t ncache, next_slot;
    pthread_t thread;
    pthread_cond_t cond;
    double t0;
} ci;

static double mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static void clear_cache(void)
{
    for (size_t i = 0; i < ci.ncache; i++)
        mh_ci_scan_dispose(&ci.cache[i].scan);
    ci.ncache = ci.next_slot = 0;
}

static int read_config(const json_t *world_root, char *err, size_t errlen)
{
    const json_t *sec = json_object_get(world_root, "ci");
    if (!sec)
        return 0;
    json_t *seed = json_object_get(world_root, "seed");
    char ptr[128], msg[400];
    if (mh_ci_config_parse(&ci.cfg, sec, seed ? (uint64_t)json_integer_value(seed) : 42, ptr, sizeof ptr, msg,
                           sizeof msg) < 0) {
        snprintf(err, errlen, "ci%s: %s", ptr, msg);
        return -1;
    }
    ci.configured = 1;
    return 0;
}

int mh_ci_setup(const json_t *world_root, char *err, size_t errlen)
{
    memset(&ci, 0, sizeof ci);
    ci.attempts = json_object();
    return read_config(world_root, err, errlen);
}

/* ---- scanning the tree of a commit ---- */

typedef struct {
    mh_repo *r;
    mh_ci_scan *scan;
} walk_ctx;

static int walk_cb(const char *root, const git_tree_entry *entry, void *payload)
{
    walk_ctx *w = payload;
    if (git_tree_entry_type(entry) != GIT_OBJECT_BLOB)
        return 0;
    char path[4096];
    snprintf(path, sizeof path, "%s%s", root, git_tree_entry_name(entry));
    if (!mh_ci_wants_content(&ci.cfg, path)) {
        mh_ci_scan_file(w->scan, &ci.cfg, path, NULL, 0);
        return 0;
    }
    git_blob *blob = NULL;
    if (git_blob_lookup(&blob, w->r->git, git_tree_entry_id(entry)) < 0) {
        mh_ci_scan_file(w->scan, &ci.cfg, path, NULL, 0);
        return 0;
    }
    mh_ci_scan_file(w->scan, &ci.cfg, path, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob));
    git_blob_free(blob);
    return 0;
}

/* The scan of commit oid's tree (cached by tree id; borrowed until the cache changes), or NULL. */
static const mh_ci_scan *scan_commit(mh_repo *r, const git_oid *oid, char tree_hex[41])
{
    git_commit *c = NULL;
    git_tree *t = NULL;
    if (git_commit_lookup(&c, r->git, oid) < 0)
        return NULL;
    git_oid_tostr(tree_hex, 41, git_commit_tree_id(c));
    for (size_t i = 0; i < ci.ncache; i++)
        if (!strcmp(ci.cache[i].tree, tree_hex)) {
            git_commit_free(c);
            return &ci.cache[i].scan;
        }
    if (git_commit_tree(&t, c) < 0) {
        git_commit_free(c);
        return NULL;
    }
    size_t slot;
    if (ci.ncache < SCAN_CACHE) {
        slot = ci.ncache++;
    } else { /* the oldest entry goes */
        slot = ci.next_slot;
        ci.next_slot = (slot + 1) % SCAN_CACHE;
        mh_ci_scan_dispose(&ci.cache[slot].scan);
    }
    scan_entry *e = &ci.cache[slot];
    snprintf(e->tree, sizeof e->tree, "%s", tree_hex);
    if (mh_ci_scan_init(&e->scan, &ci.cfg) < 0) {
        e->tree[0] = '\0';
        git_tree_free(t);
        git_commit_free(c);
        return NULL;
    }
    walk_ctx w = {r, &e->scan};
    git_tree_walk(t, GIT_TREEWALK_PRE, walk_cb, &w);
    git_tree_free(t);
    git_commit_free(c);
    return &e->scan;
}

/* ---- runs ---- */

static void wake(void)
{
    if (ci.thread_made)
        pthread_cond_signal(&ci.cond);
}

static json_t *new_status(ci_run *run, const char *state, const char *description)
{
    char now[32], url[1024];
    mh_iso_now(now);
    snprintf(url, sizeof url, "%s/_mockhub/ci/runs/%lld", g_mh->base_url, (long long)run->id);
    json_t *s = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "id", (json_int_t)mh_next_id(), "sha",
                          run->sha, "state", state, "context", run->context, "description", description,
                          "target_url", url, "creator", run->repo->owner->login, "created_at", now, "updated_at",
                          now);
    json_array_append(run->repo->statuses, s);
    return s;
}

static void start_run(mh_repo *r, const char *branch, const char *sha, const char *tree, const mh_ci_scan *scan,
                      size_t cx)
{
    if (ci.n == ci.cap) {
        size_t cap = ci.cap ? ci.cap * 2 : 64;
        ci_run *nr = realloc(ci.runs, cap * sizeof *nr);
        if (!nr)
            return;
        ci.runs = nr;
        ci.cap = cap;
    }
    ci_run *run = &ci.runs[ci.n];
    memset(run, 0, sizeof *run);
    const mh_ci_context *x = &ci.cfg.contexts[cx];
    run->repo = r;
    snprintf(run->sha, sizeof run->sha, "%s", sha);
    snprintf(run->tree, sizeof run->tree, "%s", tree);
    run->branch = strdup(branch);
    run->context = strdup(x->name);
    run->cx = cx;
    run->kind = x->kind;
    char key[400];
    snprintf(key, sizeof key, "%s %s", tree, x->name);
    run->attempt = (unsigned)json_integer_value(json_object_get(ci.attempts, key));
    json_object_set_new(ci.attempts, key, json_integer(run->attempt + 1));
    /* decided now, from the tree as pushed: what the run will report when it completes */
    mh_ci_decide(&ci.cfg, scan, cx, branch, tree, run->attempt, 1, &run->res);
    run->duration_ms = mh_ci_duration(&ci.cfg, cx, tree, run->attempt);
    run->queued_at = mono_ms();
    run->due = run->queued_at + (double)x->queue_ms;
    run->phase = RUN_QUEUED;
    if (run->kind == MH_CI_CHECK_RUN) {
        char now[32];
        mh_iso_now(now);
        run->id = mh_next_id();
        run->cr = json_pack("{s:I, s:s, s:s, s:s, s:n, s:s, s:n, s:s, s:n, s:{s:n, s:n, s:n, s:i}}", "id",
                            (json_int_t)run->id, "name", x->name, "head_sha", sha, "status", "queued", "conclusion",
                            "started_at", now, "completed_at", "external_id", "", "details_url", "output", "title",
                            "summary", "text", "annotations_count", 0);
        json_array_append(r->check_runs, run->cr);
        mh_emit_check_run(r, run->cr, "created", NULL);
    } else {
        run->id = mh_next_id();
        json_t *s = new_status(run, "pending", "queued");
        mh_emit_status(r, s, NULL);
        json_decref(s);
    }
    ci.n++;
    ci.active++;
    mh_log("info", "ci-run", "repo=%s branch=%s sha=%.12s tree=%.12s context=%s attempt=%u id=%lld will=%s in_ms=%ld%s%s",
           r->full_name, branch, sha, tree, x->name, run->attempt, (long long)run->id, run->res.conclusion,
           run->duration_ms, run->res.failed ? " why=" : "", run->res.failed ? run->res.summary : "");
}

static void start_runs(mh_repo *r, const char *branch, const git_oid *oid)
{
    char sha[41], tree[41];
    git_oid_tostr(sha, sizeof sha, oid);
    const mh_ci_scan *scan = NULL;
    for (size_t cx = 0; cx < ci.cfg.ncontexts; cx++) {
        if (!mh_ci_context_runs_on(&ci.cfg.contexts[cx], branch))
            continue;
        if (!scan && !(scan = scan_commit(r, oid, tree))) {
            mh_log("warn", "ci-skip", "repo=%s branch=%s sha=%s why=commit-unreadable", r->full_name, branch, sha);
            return;
        }
        start_run(r, branch, sha, tree, scan, cx);
    }
    wake();
}

static int mh_ci_start_locked(void);
static void start_world_runs(void);

void mh_ci_on_push(mh_repo *r, const char *branch, const git_oid *new_oid)
{
    if (!ci.configured || !ci.started || !new_oid)
        return;
    start_runs(r, branch, new_oid);
}

static void advance(ci_run *run, double now)
{
    char iso[32];
    mh_iso_now(iso);
    if (run->phase == RUN_QUEUED) {
        run->phase = RUN_IN_PROGRESS;
        run->started_at = now;
        run->due = now + (double)run->duration_ms;
        if (run->cr) { /* GitHub sends no webhook for in_progress; the REST state changes */
            json_object_set_new(run->cr, "status", json_string("in_progress"));
            json_object_set_new(run->cr, "started_at", json_string(iso));
        }
        return;
    }
    run->phase = RUN_COMPLETED;
    run->completed_at = now;
    ci.active--;
    mh_log("info", "ci-done", "repo=%s branch=%s sha=%.12s context=%s id=%lld conclusion=%s ms=%.0f",
           run->repo->full_name, run->branch, run->sha, run->context, (long long)run->id, run->res.conclusion,
           now - run->queued_at);
    if (run->cr) {
        char title[400];
        snprintf(title, sizeof title, "%s: %s", run->context, run->res.conclusion);
        json_object_set_new(run->cr, "status", json_string("completed"));
        json_object_set_new(run->cr, "conclusion", json_string(run->res.conclusion));
        json_object_set_new(run->cr, "completed_at", json_string(iso));
        json_t *out = json_object_get(run->cr, "output");
        json_object_set_new(out, "title", json_string(title));
        json_object_set_new(out, "summary", json_string(run->res.summary));
        mh_emit_check_run(run->repo, run->cr, "completed", NULL);
        return;
    }
    const char *state = !run->res.failed ? "success" : !strcmp(run->res.conclusion, "failure") ? "failure" : "error";
    json_t *s = new_status(run, state, run->res.summary);
    mh_emit_status(run->repo, s, NULL);
    json_decref(s);
}

static void *timer_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&g_mh->lock);
    while (!ci.stop) {
        double now = mono_ms(), next = -1;
        for (size_t i = 0; i < ci.n; i++) {
            ci_run *run = &ci.runs[i];
            if (run->phase == RUN_COMPLETED)
                continue;
            if (run->due <= now)
                advance(run, now);
            if (run->phase != RUN_COMPLETED && (next < 0 || run->due < next))
                next = run->due;
        }
        if (next < 0) {
            pthread_cond_wait(&ci.cond, &g_mh->lock);
        } else {
            struct timespec ts;
            ts.tv_sec = (time_t)(next / 1000.0);
            ts.tv_nsec = (long)((next - (double)ts.tv_sec * 1000.0) * 1e6);
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            if (ts.tv_nsec < 0)
                ts.tv_nsec = 0;
            pthread_cond_timedwait(&ci.cond, &g_mh->lock, &ts);
        }
    }
    pthread_mutex_unlock(&g_mh->lock);
    return NULL;
}

/* Under the lock: the timer thread and the runs on the world's pull requests. */
static int mh_ci_start_locked(void)
{
    if (!ci.configured)
        return 0;
    if (!ci.thread_made) {
        pthread_condattr_t ca;
        pthread_condattr_init(&ca);
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        pthread_cond_init(&ci.cond, &ca);
        pthread_condattr_destroy(&ca);
        int rc = pthread_create(&ci.thread, NULL, timer_main, NULL);
        if (rc) {
            pthread_cond_destroy(&ci.cond);
            mh_log("error", "ci-start", "why=\"%s\"", strerror(rc));
            return -1;
        }
        ci.thread_made = 1;
    }
    ci.t0 = mono_ms();
    ci.started = 1;
    start_world_runs();
    mh_log("info", "ci-started", "contexts=%zu rules=%zu seed=%llu", ci.cfg.ncontexts, ci.cfg.nrules,
           (unsigned long long)ci.cfg.seed);
    return 0;
}

int mh_ci_start(void)
{
    pthread_mutex_lock(&g_mh->lock);
    ci.serving = 1;
    int rc = mh_ci_start_locked();
    pthread_mutex_unlock(&g_mh->lock);
    return rc;
}

void mh_ci_stop(void)
{
    pthread_mutex_lock(&g_mh->lock);
    ci.serving = 0;
    int made = ci.thread_made;
    ci.stop = 1;
    if (made)
        pthread_cond_signal(&ci.cond);
    pthread_mutex_unlock(&g_mh->lock);
    if (!made)
        return;
    pthread_join(ci.thread, NULL);
    ci.thread_made = ci.started = 0;
    pthread_cond_destroy(&ci.cond);
}

static void drop_runs(void)
{
    for (size_t i = 0; i < ci.n; i++) {
        free(ci.runs[i].branch);
        free(ci.runs[i].context);
        json_decref(ci.runs[i].cr);
    }
    free(ci.runs);
    ci.runs = NULL;
    ci.n = ci.cap = ci.active = 0;
    clear_cache();
    json_object_clear(ci.attempts);
}

void mh_ci_dispose(void)
{
    drop_runs();
    json_decref(ci.attempts);
    if (ci.configured)
        mh_ci_config_dispose(&ci.cfg);
    memset(&ci, 0, sizeof ci);
}

void mh_ci_clear(void)
{
    drop_runs();
    if (ci.configured)
        mh_ci_config_dispose(&ci.cfg);
    ci.configured = 0;
}

static void start_world_runs(void)
{
    /* the heads of the world's open pull requests were pushed before mockhub started */
    for (size_t i = 0; i < g_mh->nrepos; i++) {
        mh_repo *r = g_mh->repos[i];
        for (size_t k = 0; k < r->npulls; k++) {
            mh_pull *p = r->pulls[k];
            git_oid oid;
            if (p->open && git_oid_fromstr(&oid, p->head_sha) == 0)
                start_runs(r, p->head_ref, &oid);
        }
    }
}

int mh_ci_reload(const json_t *world_root, char *err, size_t errlen)
{
    mh_ci_clear();
    if (read_config(world_root, err, errlen) < 0)
        return -1;
    if (!ci.configured || !ci.serving) /* no ci, or not serving yet: mh_ci_start does the rest */
        return 0;
    return mh_ci_start_locked();
}

/* ---- control API ---- */

static json_t *run_json(const ci_run *run)
{
    json_t *o = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:I, s:I}", "id", (json_int_t)run->id,
                          "kind", run->kind == MH_CI_STATUS ? "status" : "check_run", "repo", run->repo->full_name,
                          "branch", run->branch, "sha", run->sha, "tree", run->tree, "context", run->context,
                          "state", phase_names[run->phase], "attempt", (int)run->attempt, "duration_ms",
                          (json_int_t)run->duration_ms, "queued_ms", (json_int_t)(run->queued_at - ci.t0));
    if (run->phase == RUN_COMPLETED) {
        json_object_set_new(o, "conclusion", json_string(run->res.conclusion));
        json_object_set_new(o, "summary", json_string(run->res.summary));
        json_object_set_new(o, "completed_ms", json_integer((json_int_t)(run->completed_at - ci.t0)));
    }
    return o;
}

static void control_list(mh_ctx *c)
{
    const char *branch = mh_q(c, "branch"), *repo = mh_q(c, "repo");
    json_t *runs = json_array();
    size_t total = 0, done = 0, failed = 0;
    json_t *shas = json_object();
    for (size_t i = 0; i < ci.n; i++) {
        const ci_run *run = &ci.runs[i];
        if ((branch && !mh_glob_match(branch, run->branch)) || (repo && !mh_streq_ci(repo, run->repo->full_name)))
            continue;
        total++;
        done += run->phase == RUN_COMPLETED;
        failed += run->phase == RUN_COMPLETED && run->res.failed;
        json_object_set_new(shas, run->sha, json_true());
        if (!mh_q(c, "summary"))
            json_array_append_new(runs, run_json(run));
    }
    c->resp = json_pack("{s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:o}", "configured", ci.configured, "runs_total",
                        (json_int_t)total, "completed", (json_int_t)done, "failed", (json_int_t)failed, "active",
                        (json_int_t)(total - done), "active_all", (json_int_t)ci.active, "commits",
                        (json_int_t)json_object_size(shas), "runs", runs);
    json_decref(shas);
    if (ci.configured)
        json_object_set_new(c->resp, "config", mh_ci_config_json(&ci.cfg));
}

/* GET /_mockhub/ci/verdict?repo=O/R&ref=REF[&branch=B]: does this commit pass the deterministic
 * rules (no flakes, no "times")? The oracle of the "main is green" invariant. */
static void control_verdict(mh_ctx *c)
{
    const char *repo = mh_q(c, "repo"), *ref = mh_q(c, "ref");
    if (!ci.configured) {
        mh_error(c, 404, "no ci section in the world");
        return;
    }
    if (!repo || !ref || !strchr(repo, '/')) {
        mh_error(c, 422, "verdict needs ?repo=OWNER/NAME&ref=SHA_OR_BRANCH");
        return;
    }
    char owner[256];
    snprintf(owner, sizeof owner, "%.*s", (int)(strchr(repo, '/') - repo), repo);
    mh_repo *r = mh_repo_find(owner, strchr(repo, '/') + 1);
    git_oid oid;
    if (!r || mh_git_resolve(r, ref, &oid) < 0) {
        mh_error(c, 404, "unknown repository or ref");
        return;
    }
    const char *branch = mh_q(c, "branch") ? mh_q(c, "branch") : r->default_branch;
    char tree[41], sha[41];
    git_oid_tostr(sha, sizeof sha, &oid);
    const mh_ci_scan *scan = scan_commit(r, &oid, tree);
    if (!scan) {
        mh_error(c, 422, "commit unreadable");
        return;
    }
    json_t *cxs = json_array();
    int pass = 1;
    for (size_t cx = 0; cx < ci.cfg.ncontexts; cx++) {
        mh_ci_result res;
        mh_ci_decide(&ci.cfg, scan, cx, branch, tree, 0, 0, &res);
        pass &= !res.failed;
        json_array_append_new(cxs, json_pack("{s:s, s:b, s:s, s:s}", "name", ci.cfg.contexts[cx].name, "pass",
                                             !res.failed, "conclusion", res.conclusion, "summary", res.summary));
    }
    c->resp = json_pack("{s:s, s:s, s:b, s:o}", "sha", sha, "tree", tree, "pass", pass, "contexts", cxs);
}

/* GET /_mockhub/ci/history?repo=O/R&branch=B[&since=SHA]: the verdict of every first-parent commit
 * of the branch after `since` (exclusive; default: all), oldest first: is the branch green? */
static void control_history(mh_ctx *c)
{
    const char *repo = mh_q(c, "repo"), *branch = mh_q(c, "branch"), *since = mh_q(c, "since");
    if (!ci.configured) {
        mh_error(c, 404, "no ci section in the world");
        return;
    }
    char owner[256];
    mh_repo *r = NULL;
    if (repo && strchr(repo, '/')) {
        snprintf(owner, sizeof owner, "%.*s", (int)(strchr(repo, '/') - repo), repo);
        r = mh_repo_find(owner, strchr(repo, '/') + 1);
    }
    git_oid tip, stop;
    if (!r || mh_git_branch_tip(r, branch ? branch : r->default_branch, &tip) < 0) {
        mh_error(c, 404, "history needs ?repo=OWNER/NAME (and branch=, default the default branch) that exist");
        return;
    }
    int have_stop = since && *since && git_oid_fromstr(&stop, since) == 0;
    json_t *commits = json_array();
    size_t red = 0;
    git_oid cur = tip;
    for (int n = 0; n < 20000; n++) {
        if (have_stop && git_oid_equal(&cur, &stop))
            break;
        char tree[41], sha[41];
        git_oid_tostr(sha, sizeof sha, &cur);
        const mh_ci_scan *scan = scan_commit(r, &cur, tree);
        if (!scan)
            break;
        json_t *fails = json_array();
        for (size_t cx = 0; cx < ci.cfg.ncontexts; cx++) {
            mh_ci_result res;
            mh_ci_decide(&ci.cfg, scan, cx, branch ? branch : r->default_branch, tree, 0, 0, &res);
            if (res.failed)
                json_array_append_new(fails, json_pack("{s:s, s:s}", "context", ci.cfg.contexts[cx].name, "summary",
                                                       res.summary));
        }
        red += json_array_size(fails) > 0;
        json_array_insert_new(commits, 0, json_pack("{s:s, s:b, s:o}", "sha", sha, "pass",
                                                    json_array_size(fails) == 0, "failures", fails));
        git_commit *cm = NULL;
        if (git_commit_lookup(&cm, r->git, &cur) < 0)
            break;
        int more = git_commit_parentcount(cm) > 0;
        if (more)
            cur = *git_commit_parent_id(cm, 0);
        git_commit_free(cm);
        if (!more)
            break;
    }
    c->resp = json_pack("{s:I, s:o}", "red", (json_int_t)red, "commits", commits);
}

/* POST /_mockhub/ci: replaces the section (same format as the world's); runs in flight keep the
 * results they were given. */
static void control_replace(mh_ctx *c)
{
    if (!ci.configured) {
        mh_error(c, 409, "the world has no ci section: the simulator is off");
        return;
    }
    mh_ci_config nc;
    char ptr[128], msg[400];
    if (mh_ci_config_parse(&nc, c->body, ci.cfg.seed, ptr, sizeof ptr, msg, sizeof msg) < 0) {
        char m[700];
        snprintf(m, sizeof m, "ci%s: %s", ptr, msg);
        mh_error(c, 422, m);
        return;
    }
    clear_cache();
    mh_ci_config_dispose(&ci.cfg);
    ci.cfg = nc;
    mh_log("info", "ci-config", "contexts=%zu rules=%zu", ci.cfg.ncontexts, ci.cfg.nrules);
    c->resp = mh_ci_config_json(&ci.cfg);
}

void mh_ci_control(mh_ctx *c, const char *sub)
{
    if ((!strcmp(sub, "") || !strcmp(sub, "/")) && !strcmp(c->method, "GET"))
        control_list(c);
    else if ((!strcmp(sub, "") || !strcmp(sub, "/")) && !strcmp(c->method, "POST"))
        control_replace(c);
    else if (!strcmp(sub, "/verdict") && !strcmp(c->method, "GET"))
        control_verdict(c);
    else if (!strcmp(sub, "/history") && !strcmp(c->method, "GET"))
        control_history(c);
    else if (!strncmp(sub, "/runs/", 6) && !strcmp(c->method, "GET")) {
        long long id = strtoll(sub + 6, NULL, 10);
        for (size_t i = 0; i < ci.n; i++)
            if (ci.runs[i].id == id) {
                c->resp = run_json(&ci.runs[i]);
                return;
            }
        mh_error(c, 404, "Not Found");
    } else
        mh_error(c, 404, "Not Found");
}
