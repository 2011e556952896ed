/* mh_ci.h -- the CI simulator's pure half: the world's `ci` section (check contexts with
 * durations, rules that decide a run's result from the tree being tested) and the decision itself.
 * No I/O, no clocks: the server (mockhub/ci.c) walks the tree of a pushed commit, feeds every file
 * to a scan, then asks for each context's result and duration. Deterministic: flakes and durations
 * are drawn from a hash of (seed, tree, context, rule, attempt), never from the time of day, so the
 * same pushes give the same results in every run. Format: docs/world.md, section "ci". */
#ifndef MH_CI_H
#define MH_CI_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

typedef enum { MH_CI_CHECK_RUN = 0, MH_CI_STATUS = 1 } mh_ci_kind;

typedef struct {
    char *name;
    mh_ci_kind kind;
    long dur_min, dur_max; /* ms from start to completion; equal = fixed */
    long queue_ms;         /* ms queued before in_progress */
    json_t *branches;      /* array of globs over branch names it runs on (owned); NULL = all */
} mh_ci_context;

typedef struct {
    char *context;    /* glob over context names ("*" = every context) */
    char *path;       /* glob over file paths, or NULL */
    char *contains;   /* marker, or NULL */
    json_t *all;      /* array of markers that must all be present (owned), or NULL */
    double flake;     /* probability in [0,1]; < 0: not a flake rule */
    long times;       /* how many more times it may fire; -1 = unlimited */
    long fired;       /* how many times it fired */
    json_t *branches; /* globs over branch names it applies to (owned); NULL = all */
    char *conclusion; /* check run conclusion when it fires (default "failure") */
    char *summary;    /* text of the failure, or NULL (one is generated) */
} mh_ci_rule;

typedef struct {
    mh_ci_context *contexts;
    size_t ncontexts;
    mh_ci_rule *rules;
    size_t nrules;
    uint64_t seed;
} mh_ci_config;

/* Parses and validates a `ci` section (an object). default_seed is used when it has no "seed".
 * Returns 0, or -1 with the JSON pointer (relative to the section, e.g. "/rules/2/flake") of the
 * offending value in ptr and what is wrong in msg. On success *out owns everything. */
int mh_ci_config_parse(mh_ci_config *out, const json_t *ci, uint64_t default_seed, char *ptr,
                       size_t ptrlen, char *msg, size_t msglen);
void mh_ci_config_dispose(mh_ci_config *c);
/* The section as JSON (new reference), with each rule's "fired" counter. */
json_t *mh_ci_config_json(const mh_ci_config *c);

/* 1 when the context runs on pushes to `branch`. */
int mh_ci_context_runs_on(const mh_ci_context *cx, const char *branch);

/* What a tree holds, as far as the rules care. Embedded; mh_ci_scan_dispose. */
typedef struct {
    size_t nrules;
    unsigned char *path_hit; /* per rule: a file matched its path (and held its marker) */
    unsigned char **marker;  /* per rule with "all": per marker, present somewhere */
    char **where;            /* per rule: the first file that matched (owned), for the summary */
    size_t files;            /* files seen */
} mh_ci_scan;

int mh_ci_scan_init(mh_ci_scan *s, const mh_ci_config *c);
void mh_ci_scan_dispose(mh_ci_scan *s);
/* 1 when some rule needs the content of the file at `path` (read it only then). */
int mh_ci_wants_content(const mh_ci_config *c, const char *path);
/* Records one file of the tree; data may be NULL when mh_ci_wants_content() said 0. */
void mh_ci_scan_file(mh_ci_scan *s, const mh_ci_config *c, const char *path, const char *data,
                     size_t len);

typedef struct {
    int failed;          /* 1: the run fails */
    int rule;            /* the deciding rule, -1 when it passed */
    int transient;       /* the deciding rule is a flake or has "times" */
    char conclusion[32]; /* "success", "failure", "timed_out", ... */
    char summary[600];
} mh_ci_result;

/* Decides the result of context cx for a tree on branch, for the attempt-th run of that context
 * on that tree (0 first). The first rule (in file order) that applies to the context and the
 * branch and fires decides. With live = 1, flake rules draw and rules with "times" consume a
 * firing; with live = 0 (the oracle: "does this tree pass CI?") only the deterministic rules
 * count: flakes and rules with "times" are skipped. */
void mh_ci_decide(mh_ci_config *c, const mh_ci_scan *s, size_t cx, const char *branch,
                  const char *tree_hex, unsigned attempt, int live, mh_ci_result *out);
/* Duration in ms of that run (fixed, or drawn in [dur_min, dur_max]). */
long mh_ci_duration(const mh_ci_config *c, size_t cx, const char *tree_hex, unsigned attempt);
/* A number in [0,1) from (seed, tree, name, index, attempt, salt): the simulator's only dice. */
double mh_ci_draw(uint64_t seed, const char *tree_hex, const char *name, size_t index,
                  unsigned attempt, const char *salt);

#endif
