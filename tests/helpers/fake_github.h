/* fake_github: an in-memory GitHub behind the io/gh.h ops table, for Criterion tests that drive
 * landq's worker (lq_worker_open + lq_worker_step) in one process, deterministically, with no
 * network and no sleeps.
 *
 * One repository; branches (each commit remembers its CODEOWNERS text and its parent), pull
 * requests (head, base, labels, files, reviews, issue events, comments), commit statuses,
 * collaborator permissions. Merges behave as GitHub's PUT .../merge (405 closed or refused,
 * 409 head moved, squash onto the base tip) unless a test forces an answer. Every call is
 * logged (fg->calls) so a test can assert the order of landq's requests; fg->on_call lets a test
 * change the world at an exact point of the protocol (e.g. during the mergeability read, after
 * the decision and before the merge).
 *
 * Everything is fixed-size; a test that exceeds a capacity fails its assertions. Not
 * thread-safe (the worker runs on the test's thread). */
#ifndef FAKE_GITHUB_H
#define FAKE_GITHUB_H

#include <stddef.h>
#include <stdint.h>

#include "gh.h"

#define FG_MAX 32
#define FG_SHA 41
#define FG_NAME 64

typedef struct fg_commit {
    char sha[FG_SHA];
    char parent[FG_SHA];
    char codeowners[512]; /* "" = no CODEOWNERS file */
} fg_commit;

typedef struct fg_branch {
    char name[FG_NAME];
    char sha[FG_SHA];
} fg_branch;

typedef struct fg_review {
    int64_t id;
    char login[FG_NAME];
    char state[32];
    char commit[FG_SHA];
} fg_review;

typedef struct fg_event {
    int64_t id;
    char event[16];
    char actor[FG_NAME];
    char label[FG_NAME];
    int64_t at_ms;
} fg_event;

typedef struct fg_pull {
    int number;
    int open, merged;
    char author[FG_NAME];
    char base[FG_NAME];
    char head[FG_SHA];
    char title[128];
    char body[256];
    char labels[4][FG_NAME];
    size_t nlabels;
    char files[8][128];
    size_t nfiles;
    fg_review reviews[FG_MAX];
    size_t nreviews;
    fg_event events[FG_MAX];
    size_t nevents;
    int64_t comment_id;
    char comment[4096];
    /* one comment by someone else (fg_comment_foreign), listed before landq's */
    int64_t foreign_id;
    char foreign_author[FG_NAME];
    char foreign[256];
    char merge_commit[FG_SHA];
} fg_pull;

typedef struct fg_status {
    char sha[FG_SHA];
    char context[FG_NAME];
    char state[16];
    char description[160];
} fg_status;

typedef struct fake_github {
    char repo[FG_NAME];
    fg_commit commits[FG_MAX];
    size_t ncommits;
    fg_branch branches[8];
    size_t nbranches;
    fg_pull pulls[4];
    size_t npulls;
    fg_status statuses[128];
    size_t nstatuses;
    struct {
        char login[FG_NAME];
        lq_gh_permission perm;
    } perms[16];
    size_t nperms;
    /* team memberships: "org/slug" and an active member's login */
    struct {
        char team[FG_NAME];
        char login[FG_NAME];
    } members[16];
    size_t nmembers;
    /* merge behaviour: 0 = as GitHub; else this HTTP status (and message) is answered without
     * merging, once (merge_http_times answers; 0 = every time) */
    long merge_http;
    int merge_http_times;
    /* the merge lands on this branch instead of the pull request's base (an outcome that
     * violates the plan: the base was switched at the last instant) */
    char merge_into[FG_NAME];
    /* the log of calls: "pull_get 1", "merge 1", "status_post SHA12 success", ... */
    char calls[512][96];
    size_t ncalls;
    /* called after each call is logged (the call's name and how many calls of that name so
     * far, 1-based), before the fake answers it */
    void (*on_call)(struct fake_github *fg, const char *op, int nth, void *ctx);
    void *on_call_ctx;
    int counts[32];
    int64_t next_id;
    int64_t clock_ms;
    unsigned seq;
} fake_github;

void fg_init(fake_github *fg, const char *repo);
/* The ops table over fg (borrowed by out). */
void fg_gh(fake_github *fg, lq_gh *out);

/* World building. A new commit on branch (created from `from` when missing) with that
 * CODEOWNERS text (NULL: unchanged from its parent). Returns the new tip. */
const char *fg_commit_to(fake_github *fg, const char *branch, const char *from,
                         const char *codeowners);
void fg_permission(fake_github *fg, const char *login, lq_gh_permission perm);
/* login is an active member of team ("org/slug"). */
void fg_team_member(fake_github *fg, const char *team, const char *login);
/* Opens pull request #N (returned) from author onto base, changing the files (NULL-terminated). */
int fg_pull_open(fake_github *fg, const char *author, const char *base, const char *title,
                 const char *body, const char *const *files);
fg_pull *fg_pull_get(fake_github *fg, int number);
void fg_add_review(fake_github *fg, int number, const char *login, const char *state);
void fg_label(fake_github *fg, int number, const char *actor, const char *label);
void fg_unlabel(fake_github *fg, int number, const char *actor, const char *label);
/* A comment on #number by author (not landq), e.g. one carrying landq's marker. */
void fg_comment_foreign(fake_github *fg, int number, const char *author, const char *body);
/* A push to the head: a new head SHA. */
void fg_push(fake_github *fg, int number);
void fg_set_status(fake_github *fg, const char *sha, const char *context, const char *state);
/* The latest status of context on sha (NULL when none). */
const fg_status *fg_status_latest(const fake_github *fg, const char *sha, const char *context);
/* Index of the first logged call starting with prefix at or after from (-1: none). */
long fg_call_find(const fake_github *fg, const char *prefix, size_t from);
/* How many logged calls start with prefix. */
size_t fg_call_count(const fake_github *fg, const char *prefix);

#endif
